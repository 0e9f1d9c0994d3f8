"""Fuzzing the readers with mutated real reports: no traceback, no hang, no memory beyond the limit.

Hypothesis mutates real reports of the sample corpus (bytes flipped, the file
cut short, two PDF streams swapped, a slice repeated) and every mutant goes
through the real batch, in worker processes with a memory and a time limit.
Each must come back as a report or as one line naming the file: never an
internal error, a time-out or a worker that died. ``make fuzz`` runs a few
thousand mutants (``JTAI_FUZZ_EXAMPLES``); the suite runs a short, fixed
sample of them.
"""

from __future__ import annotations

import os
import re
import time
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPORTS
from jtai_tools.extract import extract_batch

#: Hypothesis examples (each a batch of up to ``BATCH`` mutants); ``make fuzz`` raises it.
EXAMPLES = int(os.environ.get("JTAI_FUZZ_EXAMPLES", "12"))
BATCH = 8
SEEDS = ("pdf/lewisham-2023-01-31-jtai.pdf", "pdf/sutton-2023-09-01-jtai.pdf",
         "text/lewisham-2023-01-31-jtai.txt", "text/surrey-2023-05-02-jtai.md")
MEMORY = 512 * 1000**2
TIMEOUT = 30.0

_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)


def flip(data: bytes, spots: list[tuple[float, int]]) -> bytes:
    """``data`` with a byte set at each (fraction of the length, value)."""
    out = bytearray(data)
    for where, value in spots if out else ():
        out[int(where * (len(out) - 1))] = value
    return bytes(out)


def truncate(data: bytes, where: float) -> bytes:
    return data[: int(where * len(data))]


def swap_streams(data: bytes, first: float, second: float) -> bytes:
    """Two streams' contents exchanged (the xref offsets no longer match after it)."""
    spans = [m.span(1) for m in _STREAM.finditer(data)]
    if len(spans) < 2:
        return data
    a = int(first * (len(spans) - 2))
    b = a + 1 + int(second * (len(spans) - 2 - a))
    (a0, a1), (b0, b1) = spans[a], spans[b]
    return data[:a0] + data[b0:b1] + data[a1:b0] + data[a0:a1] + data[b1:]


def repeat_slice(data: bytes, where: float, length: int, times: int) -> bytes:
    start = int(where * len(data))
    return data[:start] + data[start:start + length] * times + data[start:]


fraction = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
mutation = st.one_of(
    st.tuples(st.just("flip"), st.lists(st.tuples(fraction, st.integers(0, 255)),
                                        min_size=1, max_size=40)),
    st.tuples(st.just("truncate"), fraction),
    st.tuples(st.just("swap"), fraction, fraction),
    st.tuples(st.just("repeat"), fraction, st.integers(1, 4096), st.integers(2, 50)),
)
mutant = st.tuples(st.sampled_from(SEEDS), st.lists(mutation, min_size=1, max_size=3))


def mutate(data: bytes, steps: list[tuple]) -> bytes:
    for kind, *args in steps:
        if kind == "flip":
            data = flip(data, args[0])
        elif kind == "truncate":
            data = truncate(data, args[0])
        elif kind == "swap":
            data = swap_streams(data, *args)
        else:
            data = repeat_slice(data, *args)
    return data


@cache
def seed(name: str) -> bytes:
    """A real report of the sample corpus, read once."""
    return (REPORTS / name).read_bytes()


@settings(max_examples=EXAMPLES, deadline=None, derandomize="JTAI_FUZZ_EXAMPLES" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(mutants=st.lists(mutant, min_size=1, max_size=BATCH))
def test_mutated_reports_give_a_report_or_one_line(
    mutants: list[tuple[str, list[tuple]]], tmp_path_factory: pytest.TempPathFactory,
) -> None:
    assert REPORTS.is_dir(), f"sample corpus not found at {REPORTS} (set JTAI_SHARED)"
    folder = tmp_path_factory.mktemp("fuzz")
    paths = []
    for number, (name, steps) in enumerate(mutants):
        path = folder / f"mutant-{number}{Path(name).suffix}"
        path.write_bytes(mutate(seed(name), steps))
        paths.append(path)
    started = time.monotonic()
    outcomes = list(extract_batch(paths, jobs=2, timeout=TIMEOUT, max_memory=MEMORY,
                                  keep_other=True))
    if os.environ.get("JTAI_FUZZ_VERBOSE"):
        print(f"{len(paths)} mutants in {time.monotonic() - started:.2f} s")
    assert [o.path for o in outcomes] == [str(p) for p in paths]
    for outcome in outcomes:
        if outcome.status == "extracted":
            assert outcome.report is not None
            continue
        error = outcome.error or ""
        assert outcome.status == "failed" and error.startswith(f"{outcome.path}: "), error
        assert "\n" not in error and "Traceback" not in error
        for sign in ("internal error", "took longer than", "the reader stopped"):
            assert sign not in error, error
