"""The pandas API (``open_db``) and the ``search``, ``list`` and ``show`` commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.store_reports import sample_reports
from jtai_tools.query import (
    AreaError,
    SearchSyntaxError,
    fts_query,
    open_db,
    resolve_name,
    split_highlight,
)
from jtai_tools.store import Store, StoreError


def test_findings_frame_has_one_row_per_finding_with_tags(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        frame = db.findings()
        assert len(frame) == sum(len(r.findings) for r in sample_reports())
        assert list(frame.columns) == [
            "report_id", "area", "inspection_type", "date", "year", "section_kind",
            "section_heading", "finding_index", "text", "polarity", "themes", "agencies",
            "evidence"]
        row = frame[frame.text.str.contains("Operation Encompass")
                    & (frame.section_kind == "improve")].iloc[0]
        assert row.themes == ("operation-encompass", "quality-assurance")
        assert row.agencies == ("police", "education")
        ev = row.evidence[0]
        assert row.text[ev["start"]:ev["end"]] == ev["text"] == "Operation Encompass"
        assert row.year == 2023


def test_findings_filters(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        sutton = db.findings(area="sutton")
        assert set(sutton.report_id) == {"sutton-2017-02-13-sif", "sutton-2023-09-01-jtai"}
        assert set(db.findings(area="sutton", since=2020).report_id) == {"sutton-2023-09-01-jtai"}
        assert set(db.findings(type="sif").area) == {"sutton"}
        strategy = db.findings(theme="strategy-meetings")
        assert len(strategy) == 5 and all("strategy-meetings" in t for t in strategy.themes)
        improve = db.findings(section="improve", area=["lewisham", "surrey"])
        assert set(improve.section_kind) == {"improve"} and len(improve) == 5


def test_reports_frame_counts_findings(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        frame = db.reports().set_index("report_id")
    assert frame.loc["sutton-2023-09-01-jtai", "findings"] == 9
    assert frame.loc["surrey-2023-05-02-jtai", "pages"] == 3
    assert list(frame.index) == sorted(frame.index, key=lambda i: (i.split("-")[0], i))


@pytest.mark.parametrize(("typed", "expected"), [
    ("lewisam", "lewisham"), ("Lewisham", "lewisham"), ("SUTTON", "sutton"), ("surey", "surrey"),
])
def test_area_names_resolve_fuzzily(sample_db: Path, typed: str, expected: str) -> None:
    with open_db(sample_db) as db:
        assert db.resolve_area(typed) == expected


def test_unknown_and_ambiguous_areas_name_the_closest() -> None:
    areas = ["north-tyneside", "north-somerset", "sutton"]
    with pytest.raises(AreaError, match="ambiguous") as ambiguous:
        resolve_name("north", areas)
    assert set(ambiguous.value.candidates) == {"north-tyneside", "north-somerset"}
    with pytest.raises(AreaError, match="unknown area 'zzz'"):
        resolve_name("zzz", areas)
    assert resolve_name("north tyneside", areas) == "north-tyneside"


def test_search_ranks_and_highlights(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        hits = db.search("Operation Encompass")
        assert len(hits) == 2
        assert hits.score.is_monotonic_decreasing
        for hit in hits.itertuples():
            (start, end), = hit.hits
            assert hit.text[start:end] == "Operation Encompass"
        # stemming: "meeting" finds "meetings"; filters narrow the hits
        assert len(db.search("meeting")) == 5
        assert set(db.search("meeting", area="sutton").area) == {"sutton"}
        assert set(db.search("meeting", section="recommendations").section_kind) == {
            "recommendations"}
        assert len(db.search("meeting", theme="information-sharing")) == 1
        assert len(db.search("meeting", limit=2)) == 2


@pytest.mark.parametrize("query", ['"unbalanced', "   ", "-", "OR"])
def test_unsearchable_queries_raise_a_clear_error(query: str) -> None:
    with pytest.raises(SearchSyntaxError, match="cannot search"):
        fts_query(query)


@pytest.mark.parametrize("query", ["NEAR(", "a:b", "(police", "risk-assessment", "child's"])
def test_punctuation_in_queries_is_quoted_not_parsed(sample_db: Path, query: str) -> None:
    with open_db(sample_db) as db:
        db.search(query)  # no exception


def test_query_operators_still_work(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        assert len(db.search("Encompass OR stations")) == 3
        assert len(db.search("meetings NOT strategy")) == 0
        assert len(db.search("supervis*")) == 3
        assert len(db.search('"police services"')) == 1
        with pytest.raises(SearchSyntaxError):
            db.search("a:b", raw=True)


@pytest.mark.parametrize("query", ["NOT police", "police OR NOT schools", "NOT"])
def test_a_not_without_words_before_it_is_refused_not_dropped(query: str) -> None:
    """FTS5 has no unary NOT: dropping it would search for the opposite of what was asked."""
    with pytest.raises(SearchSyntaxError, match="NOT"):
        fts_query(query)


def test_and_not_means_not_and_repeated_operators_collapse(sample_db: Path) -> None:
    assert fts_query("police AND NOT schools") == '"police" NOT "schools"'
    assert fts_query("police OR OR schools") == '"police" OR "schools"'
    with open_db(sample_db) as db:
        assert len(db.search("police AND NOT schools")) == len(db.search("police NOT schools"))
        assert len(db.search("police AND NOT schools")) < len(db.search("police"))


@pytest.mark.parametrize("query", ["*", "", '"x', "NEAR(", "a:b", "police AND", "^"])
def test_raw_queries_fts5_cannot_parse_are_syntax_errors(sample_db: Path, query: str) -> None:
    with open_db(sample_db) as db, pytest.raises(SearchSyntaxError, match="cannot search"):
        db.search(query, raw=True)


@pytest.mark.parametrize("query", ["text:police", "NEAR(police schools)", "police*OR",
                                   "{text}: police", "police'); DROP TABLE findings; --"])
def test_column_filters_and_sql_in_queries_are_plain_words(sample_db: Path, query: str) -> None:
    with open_db(sample_db) as db:
        db.search(query)
        assert len(db.findings()) == sum(len(r.findings) for r in sample_reports())


def test_split_highlight_merges_a_phrase() -> None:
    text, hits = split_highlight("impact of \x02Operation\x03 \x02Encompass\x03 and \x02it\x03")
    assert text == "impact of Operation Encompass and it"
    assert hits == ((10, 29), (34, 36))


def test_open_db_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such database"):
        open_db(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()




def _package_imports() -> dict[str, set[str]]:
    """Every module of the package and the package modules it imports (anywhere in it,
    lazy and type-checking imports included)."""
    import ast

    import jtai_tools

    root = Path(jtai_tools.__file__).resolve().parent
    modules: dict[str, Path] = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                target = _absolute(package, node.level, node.module)
                named = {f"{target}.{a.name}" for a in node.names}
                found |= named & modules.keys()
                # ``from .. import vocab`` needs the module, not what the package itself defines
                if node.module or named - modules.keys():
                    found |= {target} & modules.keys()
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in modules}
        graph[name] = found - {name}
    return graph


def _absolute(package: str, level: int, module: str | None) -> str:
    """The absolute name a ``from`` import refers to (``from ..x import y`` in a.b.c: a.x)."""
    if not level:
        return module or ""
    parts = package.split(".")[: len(package.split(".")) - level + 1]
    return ".".join([*parts, module] if module else parts)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles found by a depth-first walk, each as the modules around it."""
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "visiting"
        for imported in sorted(graph[module]):
            if state.get(imported) == "visiting":
                cycles.append([*trail[trail.index(imported):], imported])
            elif imported not in state:
                visit(imported, [*trail, imported])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_the_package_has_no_import_cycles() -> None:
    graph = _package_imports()
    assert "jtai_tools.tables" not in graph["jtai_tools.query"]
    assert "jtai_tools.query" in graph["jtai_tools.compare"]
    assert _cycles(graph) == []
    # the check finds a cycle when there is one
    graph["jtai_tools.store"].add("jtai_tools.query")
    assert any(set(cycle) == {"jtai_tools.query", "jtai_tools.store"}  # where the walk enters it
               for cycle in _cycles(graph))


def test_area_at_year_finds_an_undated_report_by_its_copyright_year(
        reports_dir: Path, tmp_path: Path) -> None:
    """A 2019-onwards ILACS prints no publication date, only "© Crown copyright 2022"."""
    from jtai_tools.extract import extract_file
    from jtai_tools.query import resolve_target

    db = tmp_path / "sutton.db"
    report = extract_file(reports_dir / "pdf" / "sutton-2022-02-01-ilacs.pdf")
    assert report.date is None and report.copyright_year == 2022
    assert report.fieldwork.end == "2021-12-10"
    with Store(db) as store:
        store.save(report)
        assert store.report(report.id).copyright_year == 2022
    with open_db(db) as database:
        assert resolve_target(database, "sutton@2022").report_id == report.id
        assert resolve_target(database, "sutton@2021").report_id == report.id
