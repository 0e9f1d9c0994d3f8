"""Tagging stored reports again (a new model or codebook) without reading their files.

Each report is loaded from the database, its findings are tagged again and
it is saved back in one transaction of its own, so an interrupted run leaves
every report either as it was or fully re-tagged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .store import Store
from .tag import Tagger


@dataclass(slots=True)
class RetagResult:
    """How many reports changed their tags and how many stayed as they were."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def retag(store: Store, tagger: Tagger, report_ids: Iterable[str] | None = None,
          progress: Callable[[str, str], None] | None = None) -> RetagResult:
    """Tag the stored reports (all, or ``report_ids``) again with ``tagger``."""
    result = RetagResult()
    for report_id in list(report_ids) if report_ids is not None else store.report_ids():
        report = store.report(report_id)
        if report is None:
            continue
        tagger.tag(report.findings, inspection_type=report.inspection_type)
        status = store.save(report)
        result.counts[status] = result.counts.get(status, 0) + 1
        if progress:
            progress(report_id, status)
    return result
