"""The pandas API (``open_db``) and the ``search``, ``list`` and ``show`` commands."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from fixtures.cli_runner import run_cli as run
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


def test_search_command(sample_db: Path) -> None:
    result = run("search", "Operation Encompass", "--db", str(sample_db))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[:2]
    assert first[0].startswith("1. sutton-2023-09-01-jtai · What needs to improve? (improve)")
    assert "**Operation Encompass**" in first[1]
    as_json = json.loads(run("search", "encompass", "--db", str(sample_db), "--format", "json",
                             "--section", "main-findings").stdout)
    assert [h["section_kind"] for h in as_json] == ["main-findings"]
    bad = run("search", '"open', "--db", str(sample_db))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("error: cannot search")
    unknown_theme = run("search", "x", "--theme", "nonsense-theme", "--db", str(sample_db))
    assert unknown_theme.returncode == 2 and "unknown theme" in unknown_theme.stderr


def test_search_says_how_many_it_left_out(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        total = db.search_count("meeting")
        assert total == len(db.search("meeting", limit=None)) == 5
        assert db.search_count("meeting", area="sutton") == len(db.search("meeting",
                                                                          area="sutton"))
    limited = run("search", "meeting", "--limit", "2", "--db", str(sample_db))
    assert limited.stderr == "2 of 5 findings match 'meeting' (--limit N or --all for more)\n"
    assert [line[:2] for line in limited.stdout.splitlines() if line[:1].isdigit()] == [
        "1.", "2."]
    every = run("search", "meeting", "--limit", "2", "--all", "--db", str(sample_db))
    assert every.stderr == "5 findings match 'meeting'\n"
    assert sum(line[:1].isdigit() for line in every.stdout.splitlines()) == 5
    none = run("search", "zebra", "--db", str(sample_db))
    assert (none.returncode, none.stdout, none.stderr) == (0, "", "no findings match 'zebra'\n")


def test_a_fuzzy_area_is_said_once_on_stderr(sample_db: Path) -> None:
    listed = run("list", "--area", "suton", "--db", str(sample_db))
    assert listed.returncode == 0 and listed.stderr == "reading 'suton' as sutton\n"
    exact = run("list", "--area", "Sutton", "--db", str(sample_db))
    assert exact.stderr == ""  # case is not a spelling
    compared = run("compare", "suton@2017", "suton@2023", "--db", str(sample_db))
    assert compared.returncode == 0, compared.stderr
    assert compared.stderr == "reading 'suton' as sutton\n"


def test_list_runs_oldest_first_across_areas(sample_db: Path) -> None:
    rows = json.loads(run("list", "--db", str(sample_db), "-f", "json").stdout)
    dates = [r["sort_date"] for r in rows]
    assert dates == sorted(dates) and len({r["area"] for r in rows}) > 1
    assert {"lead_inspector", "date_source"} <= set(rows[0])


def test_list_and_show_commands(sample_db: Path) -> None:
    listed = run("list", "--db", str(sample_db), "--area", "sutton")
    lines = listed.stdout.splitlines()
    assert lines[0].split("\t") == ["id", "area", "type", "date", "dated by", "pages",
                                    "findings"]
    assert [line.split("\t")[0] for line in lines[1:]] == [
        "sutton-2017-02-13-sif", "sutton-2023-09-01-jtai"]
    shown = run("show", "sutton", "--db", str(sample_db)).stdout
    assert "showing the latest" in shown and "sutton-2023-09-01-jtai" in shown
    assert "What needs to improve? (improve)" in shown
    assert "  • Effectiveness, quality assurance and impact of Operation Encompass." in shown
    as_json = json.loads(run("show", "sutton@2017", "--db", str(sample_db), "-f", "json").stdout)
    assert as_json["id"] == "sutton-2017-02-13-sif"
    missing = run("show", "nowhere-at-all", "--db", str(sample_db))
    assert missing.returncode == 2 and "unknown area" in missing.stderr
    no_db = run("list", "--db", str(sample_db.parent / "none.db"))
    assert no_db.returncode == 2 and "no such database" in no_db.stderr


def test_show_an_area_with_one_report_shows_it_without_a_listing(sample_db: Path) -> None:
    shown = run("show", "lewisham", "--db", str(sample_db))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == "lewisham-2023-01-31-jtai"
    assert "showing the latest" not in shown.stdout


def test_commands_on_an_empty_database(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    Store(db).close()
    listed = run("list", "--db", str(db))
    assert (listed.returncode, listed.stdout) == (
        0, "id\tarea\ttype\tdate\tdated by\tpages\tfindings\n")
    assert run("list", "--db", str(db), "-f", "json").stdout == "[]\n"
    compared = run("compare", "sutton", "lewisham", "--db", str(db))
    assert compared.returncode == 2
    assert compared.stderr == "error: unknown area 'sutton': the database holds no reports\n"


def test_a_database_of_a_newer_jtai_is_one_line_and_exit_1(sample_db: Path) -> None:
    conn = sqlite3.connect(sample_db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    for command in (["list"], ["search", "police"], ["table", "-f", "csv"], ["show", "sutton"],
                    ["compare", "sutton", "lewisham"]):
        result = run(*command, "--db", str(sample_db))
        assert result.returncode == 1
        assert result.stderr.startswith("error: ") and "newer than this jtai" in result.stderr
        assert result.stderr.count("\n") == 1


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
                found |= {t for t in [target, *(f"{target}.{a.name}" for a in node.names)]
                          if t in modules}
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
    from jtai_tools.store import Store

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
