"""One error base for the library, carrying the exit code the command line ends with.

Library code raises a :class:`JtaiError` subclass whose message is one line
naming the file (and line) and what is wrong, and never a command-line flag:
a notebook user has no flags. The CLI prints ``error: <message>`` and exits
with the error's ``exit_code``.
"""

from __future__ import annotations

import re

#: Exit codes of every command, in one place (rendered into ``--help`` and README).
EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "some input failed, a check failed or a score was below its minimum",
    2: "wrong usage (unknown option, area or report, a malformed codebook, model or "
    "labels file, a database that cannot be opened)",
    130: "interrupted",
}


class JtaiError(Exception):
    """Base of the library's errors: ``str()`` is one line, ``exit_code`` what the CLI returns."""

    exit_code = 1


class UsageError(JtaiError):
    """Input the user must correct before anything can run (exit 2)."""

    exit_code = 2


class ModelError(UsageError):
    """A model directory that is missing, corrupt or made for another codebook."""


class DataFileError(UsageError):
    """A data file (shipped, or a settings file the user gives) with a missing, unknown or
    mistyped key: ``FILE: [table] what is wrong``."""


class LabelsError(UsageError):
    """A labels file with broken JSON, unknown ids or missing fields (names FILE:LINE)."""


def exit_codes_text() -> str:
    """The exit-code table as one sentence, for ``--help`` and the README."""
    return "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items())


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` on one safe line: control characters are shown as escapes like ``\\n``.

    Messages quote file names and report text, so every line the CLI prints
    goes through this.
    """
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)
