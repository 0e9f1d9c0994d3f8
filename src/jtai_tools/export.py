"""Exports for the tools analysts already use: Excel, and REFI-QDA for QDA software.

* ``xlsx``: one workbook with a sheet per table (reports, findings, themes by
  area, themes by year), header rows frozen and filterable. Text that a
  spreadsheet would run as a formula (starting ``=``, ``+``, ``-``, ``@``, tab
  or carriage return) is neutralised with a leading apostrophe, because report
  text is not ours to execute.
* ``qdpx``: a REFI-QDA project (urn:QDA-XML:project:1.0) — a zip holding
  ``project.qde`` and each report's plain text under ``sources/`` — with the
  codebook and every tagged finding as a coded segment, so the corpus opens in
  NVivo, MAXQDA, ATLAS.ti or QualCoder with jtai's coding in place.
* ``qdc``: the codebook alone (urn:QDA-XML:codebook:1.0).

Identifiers are uuid5 of jtai's own ids, zip entries carry a fixed date, and
everything is sorted, so the same database gives the same bytes.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import ARC_CORE
from openpyxl.xml.functions import tostring as xml_tostring

from . import __version__
from .corpus import Corpus, area_label, codebook_themes, load_corpus
from .models import POLARITIES, Finding, Report
from .query import open_db
from .store import report_year
from .tables import is_missing, neutralise

FORMATS: tuple[str, ...] = ("xlsx", "qdpx", "qdc")

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
#: The namespace all export guids are derived from (uuid5), so they are stable across runs.
GUID_NS = uuid.UUID("5b0c7f3e-2a4e-5d3b-9a51-6a7461692d71")
#: Zip entries are dated this (the zip epoch) so output bytes do not depend on the clock.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FIXED_TIME = datetime(2000, 1, 1)

AGENCIES: tuple[str, ...] = (
    "police", "health", "childrens-social-care", "education", "early-help-services",
    "probation-youth-justice", "voluntary-sector", "partnership",
)

# --------------------------------------------------------------------------- shared


def guid(*parts: str) -> str:
    """A stable guid for a jtai object (theme, report, finding), from its ids."""
    return str(uuid.uuid5(GUID_NS, "/".join(parts)))


def _zip_bytes(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of the entries in the given order, each dated ZIP_DATE and deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _joined(values: Iterable[object]) -> str:
    return "; ".join(str(v) for v in values)


# --------------------------------------------------------------------------- tables


def reports_table(reports: Sequence[Report]) -> pd.DataFrame:
    """One row per report: where, what kind, when, judgements and source."""
    rows = [{
        "report_id": r.id,
        "area": r.area.name,
        "area_full_name": r.area.full_name or "",
        "inspection_type": r.inspection_type,
        "date": r.date or "",
        "sort_date": r.sort_date or "",
        "date_source": r.date_source or "",
        "year": report_year(r),
        "fieldwork_start": r.fieldwork.start or "",
        "fieldwork_end": r.fieldwork.end or "",
        "inspectorates": _joined(r.inspectorates),
        "jtai_focus": r.jtai_focus or "",
        "lead_inspector": r.lead_inspector or "",
        "judgements": _joined(f"{k}: {v}" for k, v in sorted(r.judgements.items())),
        "findings": len(r.findings),
        "source_path": r.source.path,
        "source_format": r.source.format,
        "pages": r.source.pages,
    } for r in reports]
    return pd.DataFrame(rows)


def findings_table(corpus: Corpus) -> pd.DataFrame:
    """The findings with list columns flattened to text, as a spreadsheet wants them."""
    frame = corpus.findings.copy()
    frame["theme_labels"] = frame["themes"].map(lambda ts: _joined(corpus.label(t) for t in ts))
    frame["themes"] = frame["themes"].map(_joined)
    frame["agencies"] = frame["agencies"].map(_joined)
    frame["evidence"] = frame["evidence"].map(
        lambda ev: _joined(f"{e['label']}: {e['text']}" for e in ev)
    )
    return frame


def theme_tables(corpus: Corpus) -> dict[str, pd.DataFrame]:
    """The theme tables by area and by year, as ``jtai table`` computes them."""
    if corpus.db is None:
        raise ValueError("theme tables need the corpus's database")
    with open_db(corpus.db) as database:
        return {by: database.theme_table(by=by, area=corpus.areas or None)
                for by in ("area", "year")}


# --------------------------------------------------------------------------- xlsx


def safe_cell(value: object) -> object:
    """A value safe to put in a cell: text that would run as a formula gets an apostrophe.

    Characters XML cannot hold are dropped; numbers and None pass unchanged.
    """
    if is_missing(value):
        return None
    if isinstance(value, bool | int | float):
        return value
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _add_sheet(book: Workbook, title: str, frame: pd.DataFrame) -> None:
    sheet = book.create_sheet(title)
    sheet.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        sheet.append([safe_cell(v.item() if hasattr(v, "item") else v) for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    if len(frame.columns):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
    for index, column in enumerate(frame.columns, start=1):
        longest = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(longest, 8) + 2, 70)
        if longest > 70:
            for cell in sheet[get_column_letter(index)][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def xlsx_bytes(corpus: Corpus) -> bytes:
    """The workbook: reports, findings, themes by area, themes by year."""
    sheets = {"reports": reports_table(corpus.reports), "findings": findings_table(corpus)}
    for by, table in theme_tables(corpus).items():
        table.insert(int(table.columns.get_loc("theme")) + 1, "label",
                     table["theme"].map(corpus.label))
        sheets[f"themes by {by}"] = table
    return workbook_bytes(sheets, "jtai inspection themes")


def workbook_bytes(sheets: dict[str, pd.DataFrame], title: str) -> bytes:
    """A workbook of one sheet per table (header frozen and filterable, cells made safe),
    the same bytes for the same tables: no clock in its properties or zip entries."""
    book = Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        _add_sheet(book, name, frame)
    props = book.properties
    props.creator = props.lastModifiedBy = "jtai"
    props.title = title
    props.created = props.modified = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)  # stamps properties.modified with the clock...
    props.modified = FIXED_TIME  # ...so the core properties are written again, fixed
    core = xml_tostring(props.to_tree())
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        entries = [(i.filename, core if i.filename == ARC_CORE else archive.read(i))
                   for i in archive.infolist()]
    return _zip_bytes(entries)


# --------------------------------------------------------------------------- REFI-QDA


@dataclass(slots=True)
class Segment:
    """Where one finding sits in its report's plain text (character offsets)."""

    finding: Finding
    start: int
    end: int


@dataclass(slots=True)
class SourceText:
    """A report laid out as plain text, with the offsets of its findings."""

    text: str
    segments: list[Segment]


def source_text(report: Report) -> SourceText:
    """The report as plain text (headings, paragraphs, items) and where each finding sits.

    Each finding is looked for in its own section first, then anywhere; a
    finding not found word for word (say its sentence was re-joined) is
    appended under a closing heading so that every finding can still be coded.
    """
    parts: list[str] = []
    ranges: list[tuple[str, str, int, int]] = []
    pos = 0

    def add(text: str) -> None:
        nonlocal pos
        parts.append(text + "\n\n")
        pos += len(text) + 2

    add(_source_title(report))
    for section in report.sections:
        start = pos
        add(section.heading or section.kind)
        for block in [*section.paragraphs, *section.items]:
            add(block)
        ranges.append((section.kind, section.heading, start, pos))
    text = "".join(parts)
    segments: list[Segment] = []
    cursor: dict[tuple[str, str], int] = {}
    unplaced: list[Finding] = []
    for finding in report.findings:
        found = _locate(text, finding, ranges, cursor)
        if found is None:
            unplaced.append(finding)
        else:
            segments.append(Segment(finding, found, found + len(finding.text)))
    if unplaced:
        tail = "Findings as extracted\n\n"
        for finding in unplaced:
            start = len(text) + len(tail)
            tail += finding.text + "\n\n"
            segments.append(Segment(finding, start, start + len(finding.text)))
        text += tail
    segments.sort(key=lambda s: (s.start, s.finding.index))
    return SourceText(text, segments)


def _source_title(report: Report) -> str:
    bits = [report.area.full_name or report.area.name, report.inspection_type, report.date or ""]
    return " – ".join(b for b in bits if b)


def _locate(text: str, finding: Finding, ranges: list[tuple[str, str, int, int]],
            cursor: dict[tuple[str, str], int]) -> int | None:
    """Offset of the finding in its section (after the previous finding there), or anywhere."""
    if not finding.text:
        return None
    key = (finding.section_kind, finding.section_heading)
    for kind, heading, start, end in ranges:
        if (kind, heading) != key:
            continue
        at = text.find(finding.text, max(start, cursor.get(key, start)), end)
        if at >= 0:
            cursor[key] = at + len(finding.text)
            return at
    at = text.find(finding.text)
    return at if at >= 0 else None


@dataclass(frozen=True, slots=True)
class Code:
    """A code of the exported codebook: a theme, a polarity or an agency, under a parent."""

    key: str
    name: str
    description: str = ""
    parent: str | None = None

    @property
    def guid(self) -> str:
        return guid("code", self.key)


def codes(corpus: Corpus) -> list[Code]:
    """The codebook themes (plus any theme in the data the codebook lacks), polarities, agencies.

    Parents ("Themes", "Polarity", "Agencies") group them and are not codable.
    """
    themes = codebook_themes()
    known = {t[0] for t in themes}
    used = sorted({t for ts in corpus.findings["themes"] for t in ts} - known)
    themes += [(t, corpus.label(t), "") for t in used]
    agencies = list(AGENCIES) + sorted(
        {a for ags in corpus.findings["agencies"] for a in ags} - set(AGENCIES)
    )
    out = [Code("group:themes", "Themes", "jtai codebook themes")]
    out += [Code(f"theme:{i}", label, desc, "group:themes") for i, label, desc in themes]
    out.append(Code("group:polarity", "Polarity", "concern, strength, mixed or neutral"))
    out += [Code(f"polarity:{p}", p, "", "group:polarity") for p in POLARITIES]
    out.append(Code("group:agencies", "Agencies", "services a finding is about"))
    out += [Code(f"agency:{a}", a, "", "group:agencies") for a in agencies]
    return out


def _codebook_element(all_codes: list[Code], standalone: bool) -> ET.Element:
    """<CodeBook><Codes> with children nested under their parents.

    Standalone (a .qdc file) it is a root in the codebook namespace; inside a
    project it takes the project's namespace from its parent.
    """
    book = ET.Element("CodeBook")
    if standalone:
        book.set("xmlns", CODEBOOK_NS)
        book.set("origin", f"jtai {__version__}")
    codes_el = ET.SubElement(book, "Codes")
    elements: dict[str, ET.Element] = {}
    for code in all_codes:
        parent = elements[code.parent] if code.parent else codes_el
        el = ET.SubElement(parent, "Code", guid=code.guid, name=_cell_text(code.name),
                           isCodable="false" if code.parent is None else "true")
        if code.description:
            ET.SubElement(el, "Description").text = _cell_text(code.description)
        elements[code.key] = el
    return book


def _xml_bytes(root: ET.Element) -> bytes:
    """UTF-8 XML with a declaration, indented.

    Elements are built with plain names and the root carries ``xmlns``: the
    standard library cannot combine a default namespace with the standard's
    unqualified attributes any other way.
    """
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _xml_text(text: str) -> str:
    """Text without the control characters XML 1.0 cannot carry."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text)


def _cell_text(text: str) -> str:
    """A name, description or variable value, neutralised as in the xlsx.

    QDA software lists these in tables that users export to spreadsheets, so
    a value that would run there as a formula gets a leading apostrophe. The
    sources' plain text is left exact: coded selections point into it.
    """
    return neutralise(_xml_text(text))


def qdc_bytes(corpus: Corpus) -> bytes:
    """The codebook alone as a REFI-QDA codebook file (.qdc)."""
    return _xml_bytes(_codebook_element(codes(corpus), standalone=True))


VARIABLES: tuple[tuple[str, str], ...] = (
    ("area", "Text"), ("inspection type", "Text"), ("date", "Date"), ("year", "Integer"),
    ("lead inspector", "Text"),
)


def _variable_values(el: ET.Element, report: Report) -> None:
    year = report_year(report)
    values = {
        "area": ("TextValue", report.area.name),
        "inspection type": ("TextValue", report.inspection_type),
        "date": ("DateValue", report.date if report.date and len(report.date) == 10 else None),
        "year": ("IntegerValue", None if year is None else str(year)),
        "lead inspector": ("TextValue", report.lead_inspector),
    }
    for name, _ in VARIABLES:
        kind, value = values[name]
        if value is None:
            continue
        vv = ET.SubElement(el, "VariableValue")
        ET.SubElement(vv, "VariableRef", targetGUID=guid("variable", name))
        ET.SubElement(vv, kind).text = _cell_text(value)


def project_xml(corpus: Corpus, texts: dict[str, SourceText]) -> bytes:
    """project.qde: users, codebook, variables, one case per area, sources with codings."""
    user = guid("user", "jtai")
    root = ET.Element("Project", xmlns=PROJECT_NS, name="jtai inspection corpus",
                         origin=f"jtai {__version__}", creatingUserGUID=user)
    users = ET.SubElement(root, "Users")
    ET.SubElement(users, "User", guid=user, name="jtai")
    all_codes = codes(corpus)
    root.append(_codebook_element(all_codes, standalone=False))
    variables = ET.SubElement(root, "Variables")
    for name, kind in VARIABLES:
        ET.SubElement(variables, "Variable", guid=guid("variable", name), name=name,
                         typeOfVariable=kind)
    cases = ET.SubElement(root, "Cases")
    for area in sorted({r.area.name for r in corpus.reports}):
        case = ET.SubElement(cases, "Case", guid=guid("case", area),
                             name=_cell_text(area_label(area)))
        for report in sorted(corpus.reports, key=lambda r: r.id):
            if report.area.name == area:
                ET.SubElement(case, "SourceRef", targetGUID=guid("source", report.id))
    sources = ET.SubElement(root, "Sources")
    code_guid = {c.key: c.guid for c in all_codes}
    for report in sorted(corpus.reports, key=lambda r: r.id):
        _text_source(sources, report, texts[report.id], code_guid, user)
    ET.SubElement(root, "Description").text = (
        "Inspection reports extracted and coded by jtai: each finding is a selection coded "
        "with its themes, its polarity and the agencies it is about."
    )
    return _xml_bytes(root)


def _text_source(parent: ET.Element, report: Report, source: SourceText,
                 code_guid: dict[str, str], user: str) -> None:
    source_guid = guid("source", report.id)
    el = ET.SubElement(parent, "TextSource", guid=source_guid, name=_cell_text(report.id),
                          plainTextPath=f"internal://{source_guid}.txt", creatingUser=user)
    ET.SubElement(el, "Description").text = _cell_text(_source_title(report))
    for segment in source.segments:
        finding = segment.finding
        keys = [f"theme:{t}" for t in finding.themes]
        if not keys:
            continue
        keys += [f"polarity:{finding.polarity}"] + [f"agency:{a}" for a in finding.agencies]
        selection_id = guid("selection", report.id, str(finding.index))
        sel = ET.SubElement(
            el, "PlainTextSelection", guid=selection_id,
            name=_cell_text(f"{finding.section_heading or finding.section_kind} "
                            f"#{finding.index}"),
            startPosition=str(segment.start), endPosition=str(segment.end), creatingUser=user,
        )
        for key in dict.fromkeys(keys):
            if key not in code_guid:
                continue
            coding = ET.SubElement(sel, "Coding", guid=guid("coding", selection_id, key),
                                      creatingUser=user)
            ET.SubElement(coding, "CodeRef", targetGUID=code_guid[key])
    _variable_values(el, report)


def qdpx_bytes(corpus: Corpus) -> bytes:
    """The REFI-QDA project archive: project.qde and sources/<guid>.txt per report."""
    texts = {r.id: source_text(r) for r in corpus.reports}
    entries = [("project.qde", project_xml(corpus, texts))]
    for report in sorted(corpus.reports, key=lambda r: r.id):
        entries.append((f"sources/{guid('source', report.id)}.txt",
                        texts[report.id].text.encode("utf-8")))
    return _zip_bytes(entries)


# --------------------------------------------------------------------------- entry point


def export_bytes(corpus: Corpus, fmt: str) -> bytes:
    """The export of ``corpus`` in one of FORMATS."""
    if fmt == "xlsx":
        return xlsx_bytes(corpus)
    if fmt == "qdpx":
        return qdpx_bytes(corpus)
    if fmt == "qdc":
        return qdc_bytes(corpus)
    raise ValueError(f"unknown export format {fmt!r} (use {', '.join(FORMATS)})")


def export(db: str | Path, output: str | Path, fmt: str, areas: Sequence[str] = ()) -> None:
    """Export the stored reports of ``areas`` (all when empty) to ``output``."""
    Path(output).write_bytes(export_bytes(load_corpus(db, areas), fmt))
