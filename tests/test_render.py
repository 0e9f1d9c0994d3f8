"""The HTML report and the heatmap image, built from a real SQLite database.

The fixture reports (tests/fixtures/render_reports.json) are tagged by hand
with themes, polarity, agencies and evidence offsets; one finding holds
``<script>``, quotes and ampersands to prove that report text is escaped.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from lxml import etree

from conftest import FIXTURES
from fixtures.html_page import Page
from jtai_tools import render
from jtai_tools.models import (
    Area,
    Evidence,
    Fieldwork,
    Finding,
    Report,
    Section,
    Source,
    report_from_dict,
)
from jtai_tools.store import Store, StoreError

FIXTURE_REPORTS = FIXTURES / "render_reports.json"


def fixture_reports() -> list[Report]:
    return [report_from_dict(d) for d in json.loads(FIXTURE_REPORTS.read_text("utf-8"))]


def build_db(path: Path, reports: list[Report] | None = None) -> Path:
    """A real jtai database holding the fixture reports (or the given ones)."""
    with Store(path) as store:
        for report in reports if reports is not None else fixture_reports():
            store.save(report)
    return path


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "jtai.db")


def test_heatmap_counts_concerns_and_strengths_per_area(db: Path) -> None:
    corpus = render.load_corpus(db, ["sutton", "LEWISHAM", "Surrey"])
    heat = render.build_heatmap(corpus)
    assert [c.label for c in heat.columns] == ["Sutton", "Lewisham", "Surrey"]
    # supervision: two Sutton concerns (2017 and 2023) and one Lewisham concern
    assert heat.themes[0] == "supervision"
    assert heat.total("supervision", "sutton") == 2
    assert heat.concern[("supervision", "sutton")] == 2
    assert heat.strength[("supervision", "sutton")] == 0
    # a mixed finding counts once on each side
    assert heat.concern[("strategy-meetings", "lewisham")] == 1
    assert heat.strength[("strategy-meetings", "lewisham")] == 1
    assert heat.total("front-door", "surrey") == 1
    assert heat.strength[("front-door", "surrey")] == 1
    # the untagged neutral finding is in no cell
    tagged = sum(1 for ts in corpus.findings["themes"] if ts)
    assert len({i for rows in heat.cells.values() for i in rows}) == tagged
    assert tagged == len(corpus.findings) - 1


def test_one_area_is_shown_across_its_inspections(db: Path) -> None:
    corpus = render.load_corpus(db, ["sutton"])
    heat = render.build_heatmap(corpus)
    assert [c.key for c in heat.columns] == ["sutton-2017-02-13-sif", "sutton-2023-09-01-jtai"]
    assert heat.columns[0].label == "2017-02-13 SIF"
    assert "Sutton" in heat.title
    assert heat.total("supervision", "sutton-2017-02-13-sif") == 1
    assert heat.total("supervision", "sutton-2023-09-01-jtai") == 1


def test_unknown_area_and_missing_database_are_clear_errors(db: Path, tmp_path: Path) -> None:
    with pytest.raises(render.UnknownAreaError, match="croydon"):
        render.load_corpus(db, ["croydon"])
    with pytest.raises(StoreError, match=r"nothing\.db: no such database") as missing:
        render.load_corpus(tmp_path / "nothing.db")
    assert missing.value.exit_code == 2  # as for every command on a missing database


def test_cell_colour_is_a_diverging_scale_of_balance_alone() -> None:
    red = render.cell_colour(4, 0, 4)
    blue = render.cell_colour(0, 4, 4)
    assert red == pytest.approx(render.CONCERN_RGB) and blue == pytest.approx(render.STRENGTH_RGB)
    assert render.cell_colour(3, 3, 6) == render.EVEN_RGB
    # volume is not in the colour: one concern is as red as forty
    assert render.cell_colour(1, 0, 1) == render.cell_colour(40, 0, 40)
    # the two cells that once looked alike now lean to opposite sides
    leaning_concern, leaning_strength = render.cell_colour(175, 134), render.cell_colour(102, 204)
    assert leaning_concern[0] > leaning_concern[2] and leaning_strength[2] > leaning_strength[0]
    # more concern, redder; all-neutral cells have a colour of their own
    assert render.cell_colour(3, 1)[1] < render.cell_colour(2, 1)[1]
    assert render.cell_colour(0, 0, 2) == render.NEUTRAL_RGB
    assert render.cell_colour(0, 0, 0) == render.EMPTY_RGB


def test_bars_are_per_report_shares_not_counts(tmp_path: Path) -> None:
    """A long report does not make its area look busier than a short one saying the same."""
    db = build_db(tmp_path / "jtai.db")
    corpus = render.load_corpus(db, ["sutton", "lewisham", "surrey"])
    heat = render.build_heatmap(corpus)
    counts = render.report_counts(corpus)
    # Sutton: supervision is 1 of each report's tagged findings, averaged over its two reports
    expected = sum(counts.by_theme["supervision"][rid][2] / counts.tagged[rid]
                   for rid in ("sutton-2017-02-13-sif", "sutton-2023-09-01-jtai")) / 2
    assert heat.share[("supervision", "sutton")] == pytest.approx(expected)
    assert 0 < heat.share[("supervision", "sutton")] < 1
    assert [c.note for c in heat.columns] == ["2 reports, 2017–2023", "1 report, 2023",
                                              "1 report, 2023"]


def test_highlight_marks_evidence_and_escapes() -> None:
    text = 'Police <b> & "health" share late'
    health, share = text.index("health"), text.index("share")
    evidence = [
        {"label": "police", "kind": "agency", "start": 0, "end": 6},
        {"label": "health", "kind": "agency", "start": health, "end": health + 6},
        {"label": "information-sharing", "kind": "theme", "start": health + 3,
         "end": share + 5},
        {"label": "bad", "kind": "theme", "start": share, "end": 99},
    ]
    out = render.highlight(text, evidence)
    page = Page(f"<p class='text'>{out}</p>")
    assert page.finding_texts == [text]
    # overlapping spans are merged into one mark listing both labels
    assert page.marks == ["Police", 'health" share']
    assert 'title="health, information-sharing"' in out
    assert "<b>" not in out and "&lt;b&gt;" in out


def test_html_is_self_contained_escaped_and_linked(db: Path) -> None:
    corpus = render.load_corpus(db, ["sutton", "lewisham", "surrey"])
    text = render.render_html(corpus)
    page = Page(text)
    # one script that runs (ours) beside its JSON data, nothing fetched at view time
    assert text.count("<script>") == 1 and text.count('<script type="application/json"') == 1
    assert page.sources == []
    assert all(link.startswith("#") for link in page.links)
    assert "<link" not in text and "@import" not in text
    # every finding text comes back exactly, hostile characters included
    hostile = next(t for t in corpus.findings["text"] if "<script>" in t)
    assert hostile in page.finding_texts
    assert "<script>alert" not in text
    # every cell links to a group of exactly its findings
    heat = render.build_heatmap(corpus)
    assert len(page.cell_links) == len(heat.cells)
    for link in page.cell_links:
        target = str(link["data-cell"])
        assert link["href"] == f"#{target}"
        assert page.ids[target] == "div"
        theme, key = next(
            cell for cell in heat.cells if target == render._slug("cell", *cell)
        )
        assert page.group_findings[target] == heat.total(theme, key)
    # the sections a reader navigates to
    for section in ("heatmap", "themes", "recurring", "reports", "cell-panel", "filters",
                    "legend"):
        assert section in page.ids


def test_html_shows_report_metadata_and_sources(db: Path) -> None:
    corpus = render.load_corpus(db, ["sutton"])
    text = render.render_html(corpus)
    assert "overall effectiveness: <strong>inadequate</strong>" in text
    assert "London Borough of Sutton" in text
    assert '<li class="concern">' in text and "childrens-social-care · improve</small>" in text
    assert "Ofsted, CQC, HMICFRS" in text


def test_recurring_improvement_points_across_an_areas_inspections(db: Path) -> None:
    corpus = render.load_corpus(db, ["sutton", "lewisham"])
    (comparison,) = corpus.recurring["Sutton"]
    assert (comparison.earlier, comparison.later) == (
        "sutton-2017-02-13-sif", "sutton-2023-09-01-jtai")
    later = [p.later for p in comparison.recurring]
    assert any(p.startswith("Return home interviews are still not offered") for p in later)
    assert corpus.recurring["Lewisham"] == []
    text = render.render_html(corpus)
    assert "2017-02-13 SIF → 2023-09-01 JTAI" in text
    assert "Concerns in both: Children missing, Supervision and management oversight." in text
    assert "Only one inspection with findings" in text


HOSTILE = '</script><script>alert(1)</script>"\'><img src=x onerror=alert(2)>&amp;'


def hostile_report() -> Report:
    """A report whose every field read from a document tries to break out of the HTML."""
    text = "Strategy meetings " + HOSTILE + " are late."
    evidence = [Evidence(HOSTILE, 'theme" onmouseover="alert(3)', "Strategy meetings", 0, 17),
                Evidence("strategy-meetings", "theme", "Strategy meetings", 0, 17)]
    finding = Finding("improve", HOSTILE, text, 0, ["strategy-meetings", HOSTILE], "concern",
                      [HOSTILE], evidence)
    return Report(
        id="hostile-2023-01-01-jtai" + HOSTILE, source=Source("x" + HOSTILE, "sha", "text", 1),
        area=Area("$\\nope$ " + HOSTILE, HOSTILE), inspection_type="jtai", date="2023-01-01",
        fieldwork=Fieldwork(HOSTILE, None), inspectorates=[HOSTILE], jtai_focus=HOSTILE,
        judgements={HOSTILE: HOSTILE}, sections=[Section("improve", HOSTILE, [], [text], 1)],
        findings=[finding], warnings=[],
    )


class Markup(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.mark.filterwarnings("ignore:Tight layout not applied")  # the label is huge on purpose
@pytest.mark.parametrize("areas", [["sutton"], []])
def test_every_value_from_a_document_is_escaped(tmp_path: Path, areas: list[str]) -> None:
    """Area, heading, report id, judgements, evidence labels and kinds, agencies, themes."""
    db = build_db(tmp_path / "jtai.db", [*fixture_reports(), hostile_report()])
    corpus = render.load_corpus(db, [*areas, "$\\nope$ " + HOSTILE] if areas else [])
    text = render.render_html(corpus)
    tags = Markup(text).tags
    scripts = [a for t, a in tags if t == "script"]
    assert scripts == [{"type": "application/json", "id": "heat-data"}, {}]
    assert "img" not in [t for t, _ in tags]
    data = text[text.index('id="heat-data">') + 15:text.index("</script>")]
    assert "<" not in data and json.loads(data)["reports"]
    assert not [(t, a) for t, a in tags for name in a if name.startswith("on")]
    assert text.rindex("<script>") > text.rindex("</main>")  # ours, after the content
    page = Page(text)
    assert any(HOSTILE in t for t in page.finding_texts)
    for fmt in ("png", "svg"):  # "$...$" in a label is text, not matplotlib mathtext
        assert render.heatmap_image(corpus, fmt)


def test_output_is_deterministic(db: Path) -> None:
    corpus = render.load_corpus(db, ["sutton", "lewisham"])
    assert render.render_html(corpus) == render.render_html(corpus)
    png = render.heatmap_image(corpus, "png")
    assert png.startswith(b"\x89PNG") and png == render.heatmap_image(corpus, "png")
    svg = render.heatmap_image(corpus, "svg")
    assert svg == render.heatmap_image(corpus, "svg")
    root = etree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert b"<dc:date>" not in svg
    texts = {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert corpus.label("supervision") in texts and "2 | 0" in texts




def test_area_labels_for_stored_lower_case_names() -> None:
    assert render.area_label("kingston upon thames") == "Kingston upon Thames"
    assert render.area_label("southend-on-sea") == "Southend-on-Sea"
    assert render.area_label("Sutton") == "Sutton"


def extract_corpus(reports_dir: Path, db: Path) -> Path:
    """The sample corpus's text reports, extracted and tagged by the real pipeline."""
    from jtai_tools.extract import extract_file

    paths = sorted((reports_dir / "text").iterdir())
    return build_db(db, [extract_file(p) for p in paths])


def test_report_of_the_sample_corpus(reports_dir: Path, tmp_path: Path) -> None:
    db = extract_corpus(reports_dir, tmp_path / "corpus.db")
    corpus = render.load_corpus(db)
    heat = render.build_heatmap(corpus)
    page = Page(render.render_html(corpus))
    tagged = corpus.findings[corpus.findings["themes"].map(bool)]
    assert len(tagged) > 0 and len(heat.columns) == corpus.findings["area"].nunique()
    # every tagged finding is listed once under each of its themes
    assert len(page.finding_texts) == sum(len(ts) for ts in tagged["themes"])
    assert set(page.finding_texts) == set(tagged["text"])
    assert sum(page.group_findings.values()) == len(page.finding_texts)


def test_many_areas_give_an_index_and_one_page_per_area(db: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "MAX_AREAS_PER_PAGE", 2)
    corpus = render.load_corpus(db)
    output = tmp_path / "all.html"
    written = render.write_report(corpus, output)
    folder = tmp_path / "all-areas"
    assert written == [output, folder / "lewisham.html", folder / "surrey.html",
                       folder / "sutton.html"]  # every area, in the database's order
    index = output.read_text("utf-8")
    page = Page(index)
    # the index holds the heatmap and the area list, but no findings
    assert page.finding_texts == [] and "cell-panel" not in page.ids
    assert 'name="area" value="sutton">' in index  # past the limit: listed, not shown
    assert 'name="area" value="lewisham" checked>' in index
    assert "all-areas/sutton.html#theme--supervision" in page.links
    # each area's page is the one-area report, linked back to the index
    sutton = Page((folder / "sutton.html").read_text("utf-8"))
    assert "../all.html" in sutton.links
    assert any("Management oversight of casework" in t for t in sutton.finding_texts)
    assert not any("Records say" in t for t in sutton.finding_texts)  # Lewisham's finding
