"""Theme tables: how often each theme is raised, per area, year, inspection type or area-year.

The table is one SQL aggregation over ``finding_themes`` (so it stays fast on
thousands of reports), and its renderings are byte-for-byte deterministic for
the same database: rows sorted by group then theme, fixed columns, shares
printed with three decimals, ``\\n`` line endings, no timestamps. That makes a
committed table file checkable (``jtai table --output F --check``) in CI.

Columns: the group column(s); ``theme``; ``findings`` (findings tagged with
the theme); per polarity ``concern``, ``strength``, ``mixed``, ``neutral``
(only the chosen one with ``polarity``); ``reports`` (reports in the group
raising the theme); ``group_reports`` (reports in the group); ``share``
(reports / group_reports).
"""

from __future__ import annotations

import difflib
import json
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .models import POLARITIES

if TYPE_CHECKING:  # query imports this module lazily; the import here is for types only
    from .query import Filters

FORMATS: tuple[str, ...] = ("csv", "md", "json")

_GROUP_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "area": [("area", "r.area")],
    "year": [("year", "r.year")],
    "type": [("inspection_type", "r.inspection_type")],
    "area-year": [("area", "r.area"), ("year", "r.year")],
}

#: What ``--by`` accepts.
GROUPINGS: tuple[str, ...] = tuple(_GROUP_COLUMNS)

#: Characters that make a spreadsheet treat a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TableError(ValueError):
    """A table request that cannot be met (unknown grouping or polarity, unreadable file)."""


def theme_table(
    conn: sqlite3.Connection,
    by: str = "area",
    polarity: str | None = None,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """The theme table as a DataFrame (see the module docstring for its columns).

    ``filters`` is a :class:`jtai_tools.query.Filters` (area/type/since).
    """
    if by not in _GROUP_COLUMNS:
        raise TableError(f"--by {by!r}: expected one of {', '.join(GROUPINGS)}")
    if polarity is not None and polarity not in POLARITIES:
        raise TableError(f"--polarity {polarity!r}: expected one of {', '.join(POLARITIES)}")
    groups = _GROUP_COLUMNS[by]
    names = [name for name, _ in groups]
    exprs = ", ".join(expr for _, expr in groups)
    where, params = filters.report_sql() if filters is not None else ("1", [])
    polarities = [polarity] if polarity else list(POLARITIES)
    # Two steps: per (report, theme) straight from the finding_themes_report index,
    # then per group over those few rows; "reports" is then a plain COUNT.
    inner_counts = ", ".join(f"SUM(t.polarity = '{p}') AS {_sql_name(p)}" for p in polarities)
    outer_counts = ", ".join(f"SUM(p.{_sql_name(p)})" for p in polarities)
    pwhere = "t.polarity = ?" if polarity else "1"
    rwhere = "1" if where == "1" else f"t.report_id IN (SELECT r.id FROM reports r WHERE {where})"
    # sorted by SQLite (byte order of UTF-8 is code point order, as Python sorts),
    # missing years last
    order = ", ".join(f"{expr} IS NULL, {expr}" for _, expr in groups)
    rows = conn.execute(
        f"SELECT {exprs}, p.theme, SUM(p.n), {outer_counts}, COUNT(*) FROM ("
        f" SELECT t.report_id, t.theme, COUNT(*) AS n, {inner_counts}"
        f" FROM finding_themes t WHERE {pwhere} AND {rwhere}"
        " GROUP BY t.report_id, t.theme"
        f") p JOIN reports r ON r.id = p.report_id GROUP BY {exprs}, p.theme"
        f" ORDER BY {order}, p.theme",
        [*([polarity] if polarity else []), *([] if where == "1" else params)],
    ).fetchall()
    sizes = {
        tuple(r[:-1]): r[-1]
        for r in conn.execute(
            f"SELECT {exprs}, COUNT(*) FROM reports r WHERE {where} GROUP BY {exprs}", params
        )
    }
    columns = [*names, "theme", "findings", *polarities, "reports", "group_reports", "share"]
    records = []
    for row in rows:
        key = tuple(row[: len(names)])
        reports = row[-1]
        total = sizes.get(key, 0)
        records.append([*row, total, round(reports / total, 3) if total else 0.0])
    frame = pd.DataFrame(records, columns=columns)
    for col in ["findings", *polarities, "reports", "group_reports"]:
        frame[col] = frame[col].astype("int64")
    if "year" in frame:
        frame["year"] = frame["year"].astype("Int64")
    return frame


def _sql_name(polarity: str) -> str:
    """A column alias for a polarity (aliases cannot hold "-")."""
    return "n_" + polarity.replace("-", "_")


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


def write(path: Path, content: str) -> None:
    """Write exactly these bytes (no platform newline translation)."""
    try:
        path.write_bytes(content.encode("utf-8"))
    except OSError as exc:
        raise TableError(f"{path}: cannot be written ({exc.strerror})") from exc
