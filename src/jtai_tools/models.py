"""Plain data records passed between the pipeline stages.

Data flows one way: ``read`` gives a :class:`RawDocument` (pages of
:class:`Line`), ``clean`` gives :class:`Block` s, ``sections`` gives
:class:`Section` s and :class:`Finding` s, ``metadata`` gives
:class:`Metadata`, ``tag`` fills in the finding's themes, polarity and
agencies, and the whole is a :class:`Report`, which ``store`` keeps in SQLite.

Every record is a dataclass that turns into JSON-ready dicts with
:func:`to_dict`, so a notebook can use them directly or as DataFrames.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SourceFormat = Literal["pdf", "text"]

INSPECTION_TYPES: tuple[str, ...] = (
    "jtai",
    "ilacs",
    "sif",
    "focused-visit",
    "monitoring-visit",
    "area-send",
    "child-protection",
    "looked-after-children",
    "other",
)


POLARITIES: tuple[str, ...] = ("concern", "strength", "mixed", "neutral")

#: Where a report's sortable date came from, best first: the date printed on the
#: report (its publication or letter date), else the last day of fieldwork, else
#: the first.
DATE_SOURCES: tuple[str, ...] = ("printed", "fieldwork-end", "fieldwork-start")


@dataclass(slots=True)
class Line:
    """One printed line of a page, as the reader found it.

    The layout fields are ``None`` for text input, where there is no layout.
    ``x0`` and ``top`` are measured from the top left of the page as it is
    displayed (turned by its /Rotate entry), in points.

    Not frozen, though no stage changes a line once read: a frozen dataclass
    sets each field through ``object.__setattr__``, which made building the
    reader's lines (one per printed line) cost more than reading their layout.
    """

    text: str
    page: int
    size: float | None = None
    bold: bool | None = None
    x0: float | None = None
    top: float | None = None
    page_height: float | None = None
    #: For a line opening with a bullet: where its text starts (the item's hanging indent).
    text_x: float | None = None
    #: ``(offset in text, x0)`` of each run of glyphs after a column gap: the later cells of
    #: a table row the reader ran into one line (measured on pages with ruled tables only).
    runs: tuple[tuple[int, float], ...] = ()


@dataclass(slots=True)
class RawDocument:
    """What the read stage hands on: the pages of lines and where they came from.

    ``rules`` holds, for PDF pages that print a ruled list table, the
    horizontal rules drawn on the page (cell borders) as ``(top, x0, x1)``
    in points from the top left of the displayed page.
    """

    path: str
    format: SourceFormat
    sha256: str
    pages: list[list[Line]]
    warnings: list[str] = field(default_factory=list)
    rules: dict[int, list[tuple[float, float, float]]] = field(default_factory=dict)

    @property
    def page_count(self) -> int:
        return len(self.pages)


BlockKind = Literal["heading", "paragraph", "item"]


@dataclass(slots=True)
class Block:
    """A paragraph, a list item or a heading candidate, re-joined across lines and pages.

    ``marker`` is the bullet or number label that opened a list item (removed
    from ``text``); ``level`` is 0 for a top-level item and 1 for a sub-bullet.
    ``size`` and ``bold`` come from the block's first line (PDF only).
    """

    kind: BlockKind
    text: str
    page: int
    marker: str | None = None
    level: int = 0
    size: float | None = None
    bold: bool | None = None


@dataclass(slots=True)
class Section:
    """A main section of a report, in document order.

    ``groups`` runs parallel to ``items`` when the list prints sub-headings
    ("Quality of practice", "Priority and immediate action"): each item's
    sub-heading, or ``None`` for an item before the first. Empty when the
    list has none.
    """

    kind: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    page: int | None = None
    groups: list[str | None] = field(default_factory=list)


@dataclass(slots=True)
class Evidence:
    """Why a tag was given: the label, the matched words and their offsets in the finding."""

    label: str
    kind: Literal["theme", "polarity", "agency"]
    text: str
    start: int
    end: int


@dataclass(slots=True)
class Finding:
    """One list item, or one sentence of a narrative section, with its tags."""

    section_kind: str
    section_heading: str
    text: str
    index: int = 0
    themes: list[str] = field(default_factory=list)
    polarity: str = "neutral"
    agencies: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(slots=True)
class Source:
    """The file a report was read from: its path, content hash, format and page count."""

    path: str
    sha256: str
    format: SourceFormat
    pages: int


@dataclass(slots=True)
class Area:
    """A local authority: its short name (the key for comparisons) and the name as printed."""

    name: str
    full_name: str | None = None


@dataclass(slots=True)
class Fieldwork:
    """The first and last days inspectors were on site, as ISO dates."""

    start: str | None = None
    end: str | None = None


@dataclass(slots=True)
class Metadata:
    """What the metadata stage reads from a report's words."""

    area: Area
    inspection_type: str
    date: str | None = None
    fieldwork: Fieldwork = field(default_factory=Fieldwork)
    inspectorates: list[str] = field(default_factory=list)
    jtai_focus: str | None = None
    judgements: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    lead_inspector: str | None = None
    copyright_year: int | None = None


def sortable_date(date: str | None, fieldwork: Fieldwork) -> tuple[str | None, str | None]:
    """The date a report sorts by, and where it came from (one of :data:`DATE_SOURCES`).

    Many reports (every ILACS and area SEND report) print no date of their
    own, so chronologies fall back to the fieldwork: a report is dated by
    when its inspection ended. ``(None, None)`` when the report gives no date
    at all.
    """
    for value, source in zip((date, fieldwork.end, fieldwork.start), DATE_SOURCES, strict=True):
        if value:
            return value, source
    return None, None


@dataclass(slots=True)
class Report:
    """One extracted report: the record stored in the database and printed as JSON.

    ``date`` is the date as printed (None when the report prints none);
    ``sort_date`` and ``date_source`` are derived from it and the fieldwork
    (see :func:`sortable_date`) and are what ids, listings and every
    chronology use.
    """

    id: str
    source: Source
    area: Area
    inspection_type: str
    date: str | None
    fieldwork: Fieldwork
    inspectorates: list[str]
    jtai_focus: str | None
    judgements: dict[str, str]
    sections: list[Section]
    findings: list[Finding]
    warnings: list[str] = field(default_factory=list)
    lead_inspector: str | None = None
    copyright_year: int | None = None
    sort_date: str | None = field(init=False, default=None)
    date_source: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.sort_date, self.date_source = sortable_date(self.date, self.fieldwork)


def to_dict(record: Any) -> dict[str, Any]:
    """A JSON-ready dict of any record above (nested records included)."""
    return asdict(record)


def report_from_dict(data: dict[str, Any]) -> Report:
    """Rebuild a :class:`Report` from :func:`to_dict` output (as stored in the database)."""
    findings = [
        Finding(
            **{k: v for k, v in f.items() if k != "evidence"},
            evidence=[Evidence(**e) for e in f.get("evidence", [])],
        )
        for f in data.get("findings", [])
    ]
    return Report(
        id=data["id"],
        source=Source(**data["source"]),
        area=Area(**data["area"]),
        inspection_type=data["inspection_type"],
        date=data.get("date"),
        fieldwork=Fieldwork(**(data.get("fieldwork") or {})),
        inspectorates=list(data.get("inspectorates", [])),
        jtai_focus=data.get("jtai_focus"),
        judgements=dict(data.get("judgements", {})),
        sections=[Section(**s) for s in data.get("sections", [])],
        findings=findings,
        warnings=list(data.get("warnings", [])),
        lead_inspector=data.get("lead_inspector"),
        copyright_year=data.get("copyright_year"),
    )
