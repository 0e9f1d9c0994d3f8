"""Rendering tables (theme tables and the like) as CSV, Markdown and JSON, and checking files.

The data comes from the query layer (:meth:`jtai_tools.query.Database.theme_table`,
which holds the SQL and the column definitions); this module only renders a
DataFrame, byte-for-byte deterministically: fixed columns, floats printed
with three decimals, ``\\n`` line endings, no timestamps. That makes a
committed table file checkable (``jtai table --output F --check``) in CI.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import JtaiError

FORMATS: tuple[str, ...] = ("csv", "md", "json")

#: Characters that make a spreadsheet treat a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TableError(JtaiError, ValueError):
    """A table that cannot be written or checked (unknown format, unreadable file)."""


def is_missing(value: Any) -> bool:
    """None, pandas' NA or a float NaN: what every rendering shows as an empty cell."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def cell_text(value: Any) -> str:
    """A cell as text: empty for missing, integers plainly, floats with three decimals."""
    if is_missing(value):
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def neutralise(cell: str) -> str:
    """Prefix a single quote to text a spreadsheet would run as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _columns(frame: pd.DataFrame) -> list[tuple[list[Any], list[str], bool]]:
    """Per column: its values as Python objects (None for missing), as text, and whether
    it holds numbers. Formatting column by column keeps a 20,000-row table fast."""
    out = []
    for name in frame.columns:
        series = frame[name]
        values = [None if is_missing(v) else v for v in series.tolist()]
        numeric = pd.api.types.is_numeric_dtype(series)
        if pd.api.types.is_float_dtype(series):
            values = [None if v is None else round(v, 3) for v in values]
            text = ["" if v is None else f"{v:.3f}" for v in values]
        else:
            text = ["" if v is None else str(v) for v in values]
        out.append((values, text, numeric))
    return out


_NEEDS_QUOTES = re.compile(r'[,"\n\r]')


def _csv_field(text: str) -> str:
    """One CSV field: neutralised, then quoted when it holds a comma, quote or line break."""
    text = neutralise(text)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def render_csv(frame: pd.DataFrame) -> str:
    """RFC 4180 CSV with ``\\n`` line endings and formula-looking cells neutralised.

    Written by hand rather than with :mod:`csv` because its writer leaves a
    lone carriage return unquoted when the line terminator is ``\\n``.
    """
    columns = [text if numeric else [_csv_field(t) for t in text]
               for _, text, numeric in _columns(frame)]
    lines = [",".join(_csv_field(str(c)) for c in frame.columns)]
    lines += [",".join(row) for row in zip(*columns, strict=True)]
    return "".join(line + "\n" for line in lines)


def render_markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped)."""
    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    columns = _columns(frame)
    lines = ["| " + " | ".join(esc(str(c)) for c in frame.columns) + " |"]
    lines.append("|" + "|".join("---:" if numeric else "---" for _, _, numeric in columns)
                 + "|")
    cells = [text if numeric else [esc(t) for t in text] for _, text, numeric in columns]
    lines += ["| " + " | ".join(row) + " |" for row in zip(*cells, strict=True)]
    return "\n".join(lines) + "\n"


def render_json(frame: pd.DataFrame, meta: dict[str, Any] | None = None) -> str:
    """``{...meta, "columns": [...], "rows": [{...}, ...]}``, one row a line, fixed key order.

    One row per line keeps a committed table's diffs readable and lets the
    fast C JSON encoder write each row.
    """
    names = [str(c) for c in frame.columns]
    values = [v for v, _, _ in _columns(frame)]
    head = {**(meta or {}), "columns": names}
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [']
    rows = [json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False)
            for row in zip(*values, strict=True)]
    lines.append(",\n".join("  " + r for r in rows))
    lines.append("]}")
    return "\n".join(line for line in lines if line) + "\n"


def render(frame: pd.DataFrame, fmt: str, meta: dict[str, Any] | None = None) -> str:
    """The table in ``csv``, ``md`` or ``json``."""
    if fmt == "csv":
        return render_csv(frame)
    if fmt == "md":
        return render_markdown(frame)
    if fmt == "json":
        return render_json(frame, meta)
    raise TableError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")


def format_for(path: Path) -> str | None:
    """The format a file name implies (``.csv``, ``.md``/``.markdown``, ``.json``)."""
    suffix = path.suffix.lower().lstrip(".")
    return {"csv": "csv", "md": "md", "markdown": "md", "json": "json"}.get(suffix)


def check(path: Path, expected: str, max_lines: int = 40) -> str | None:
    """None when ``path`` holds exactly ``expected``; otherwise a short unified diff.

    The diff goes from the file to what would be written, and is cut to
    ``max_lines`` lines so a CI log stays readable.
    """
    try:
        current = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        current = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise TableError(f"{path}: cannot be read ({exc})") from exc
    if current == expected:
        return None
    diff = list(difflib.unified_diff(
        current.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        fromfile=str(path),
        tofile=f"{path} (expected)",
        n=1,
    ))
    if len(diff) > max_lines:
        diff = [*diff[:max_lines], f"... {len(diff) - max_lines} more diff lines\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in diff)


def write(path: Path, content: str | bytes) -> None:
    """Write exactly these bytes (text as UTF-8, no platform newline translation)."""
    try:
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    except OSError as exc:
        raise TableError(f"{path}: cannot be written ({exc.strerror})") from exc
