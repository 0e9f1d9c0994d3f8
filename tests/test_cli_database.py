"""The database commands, in-process: ``list``, ``show``, ``search``, ``compare``, ``table``,
``grades``."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from fixtures.cli_runner import run_cli as run
from fixtures.graded_reports import graded_db
from fixtures.store_reports import (
    SUTTON_2017,
    add_neighbours,
    build_report,
    sample_reports,
)
from jtai_tools.cli import app
from jtai_tools.query import GROUPINGS, Filters, SearchQuery, open_db
from jtai_tools.store import Store


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
        total = db.search_count(SearchQuery("meeting"))
        assert total == len(db.search("meeting", limit=None)) == 5
        in_sutton = SearchQuery("meeting", Filters(area="sutton"))
        assert db.search_count(in_sutton) == len(db.search("meeting", area="sutton"))
        assert db.search_rows(in_sutton) == db.search("meeting", area="sutton").to_dict("records")
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


def test_table_command_writes_and_checks(sample_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "themes.csv"
    db = ["--db", str(sample_db)]
    wrote = run("table", "--by", "area", "--output", str(out), *db)
    assert wrote.returncode == 0, wrote.stderr
    stdout = run("table", "--by", "area", "--format", "csv", *db).stdout
    assert out.read_text() == stdout  # same bytes to a file and to stdout
    assert run("table", "--by", "area", "--output", str(out), "--check", *db).returncode == 0
    with Store(sample_db) as store:  # the database changes: the committed table is stale
        store.delete("surrey-2023-05-02-jtai")
    stale = run("table", "--by", "area", "--output", str(out), "--check", *db)
    assert stale.returncode == 1
    assert stale.stdout.startswith(f"--- {out}\n")
    assert "-surrey,early-help," in stale.stdout
    usage = run("table", "--check", *db)
    assert usage.returncode == 2 and "--output" in usage.stderr
    bad = run("table", "--by", "decade", "--format", "csv", *db)
    assert bad.returncode == 2 and "grouping 'decade'" in bad.stderr
    md = run("table", "--by", "type", "--polarity", "concern", "--format", "md", *db).stdout
    assert md.splitlines()[0].startswith("| inspection_type | theme | findings | concern |")


def test_table_command_output_is_the_same_bytes_whatever_the_save_order(tmp_path: Path) -> None:
    """Every format and grouping, from two databases filled in opposite orders."""
    reports = sample_reports()
    dbs = []
    for name, order in (("a.db", reports), ("b.db", list(reversed(reports)))):
        with Store(tmp_path / name) as store:
            for report in order:
                store.save(report)
        dbs.append(str(tmp_path / name))
    runner = CliRunner()  # in-process: 32 runs
    for fmt in ("csv", "md", "json", "text"):
        for by in GROUPINGS:
            first, second = (runner.invoke(app, ["table", "--by", by, "-f", fmt, "--db", db])
                             for db in dbs)
            assert first.exit_code == second.exit_code == 0, first.output
            assert first.stdout == second.stdout and first.stdout.count("\n") > 3, (fmt, by)


def test_table_output_without_a_known_suffix_needs_a_format(sample_db: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "themes.txt"
    result = run("table", "--output", str(out), "--db", str(sample_db))
    assert result.returncode == 2 and not out.exists()
    assert result.stderr == (f"error: {out}: cannot tell the format from the suffix; "
                             "pass --format csv, md or json\n")
    assert run("table", "-o", str(out), "-f", "md", "--db", str(sample_db)).returncode == 0
    assert out.read_text().startswith("| area | theme |")


def test_compare_command_areas_and_years(sample_db: Path) -> None:
    db = ["--db", str(sample_db)]
    areas = run("compare", "sutton", "lewisam", *db)
    assert areas.returncode == 0, areas.stderr
    assert areas.stderr == "reading 'lewisam' as lewisham\n"
    lines = areas.stdout.splitlines()
    assert lines[0] == "Comparing sutton (2 reports), lewisham (1 report)"
    assert "== jtai ==" in lines and "  lewisham: no sif report" in lines
    assert ("  sutton \u00b7 jtai \u00b7 1 report, 2023 (few reports): sutton-2023-09-01-jtai"
            in lines)
    assert ("strategy-meetings\t22.2% (2) \u00b7 33.3% (2) \u00b7 1/1\t"
            "20.0% (1) \u00b7 33.3% (1) \u00b7 1/1") in lines
    assert "Concerns shared by all: quality-assurance, strategy-meetings, training" in lines
    mixed = run("compare", "sutton", "lewisham", "--mix-types", *db).stdout.splitlines()
    assert mixed[1] == ("Mixing inspection types (sutton: 1 sif + 1 jtai; lewisham: 1 jtai): "
                        "rates compare different inspections")
    assert any(line.startswith("care-leavers\t") and line.endswith("\tnot covered")
               for line in mixed)
    as_json = json.loads(run("compare", "sutton", "lewisham", "--type", "jtai", "-f", "json",
                             *db).stdout)
    assert as_json["reports"] == {"sutton": ["sutton-2023-09-01-jtai"],
                                  "lewisham": ["lewisham-2023-01-31-jtai"]}
    rate = as_json["groups"][0]["columns"][0]["rates"]["strategy-meetings"]
    assert rate["share_interval"][0] < rate["share"] < rate["share_interval"][1]
    assert as_json["groups"][0]["columns"][0]["small"] is True
    years = run("compare", "sutton@2017", "sutton@2023", *db)
    assert years.returncode == 0, years.stderr
    assert "strategy-meetings\t1 (25.0%)\t2 (33.3%)\tpersisting" in years.stdout
    assert "care-leavers\t1 (25.0%)\t0 (0.0%)\tnot covered" in years.stdout
    assert "later:   Strategy meetings do not involve all relevant agencies" in years.stdout
    assert "cohort: none named" in years.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["sutton", "nowhereville"], "unknown area 'nowhereville'"),
    (["sutton"], "two different areas"),
    (["sutton@2017", "sutton@2023", "lewisham"], "exactly two reports"),
    (["sutton", "lewisham", "--type", "jtia"],
     "unknown inspection type 'jtia'; closest known: jtai"),
])
def test_compare_command_usage_errors(sample_db: Path, args: list[str],
                                      message: str) -> None:
    result = run("compare", *args, "--db", str(sample_db))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_area_with_only_an_unclassified_report(sample_db: Path) -> None:
    with Store(sample_db) as store:
        store.save(build_report("croydon-2020-03-02-other", "croydon", "other", "2020-03-02",
                                SUTTON_2017[:1]))
    db = ["--db", str(sample_db)]
    both = run("compare", "sutton", "croydon", "--mix-types", *db)
    assert both.returncode == 0, both.stderr
    assert both.stdout.splitlines()[0] == "Comparing sutton (2 reports), croydon (1 report)"
    # an unclassified report covers only what it raises
    assert "strategy-meetings\t21.4% (3) \u00b7 30.0% (3) \u00b7 2/2\t" in both.stdout
    assert "care-leavers\t20.0% (1) \u00b7 25.0% (1) \u00b7 1/1\tnot covered" in both.stdout
    assert "\tnot covered" in both.stdout
    jtai_only = run("compare", "sutton", "croydon", "--type", "jtai", *db)
    assert jtai_only.returncode == 2
    assert jtai_only.stderr == "error: no reports for croydon with these filters (type jtai)\n"


def test_since_excluding_one_of_three_areas_names_it(sample_db: Path) -> None:
    result = run("compare", "sutton", "lewisham", "surrey", "--since", "2023-03",
                 "--db", str(sample_db))
    assert result.returncode == 2
    assert result.stderr == "error: no reports for lewisham with these filters (since 2023-03)\n"


def test_since_is_refused_when_comparing_two_reports(sample_db: Path) -> None:
    result = run("compare", "sutton@2017", "sutton@2023", "--since", "2020",
                 "--db", str(sample_db))
    assert result.returncode == 2
    assert "--since" in result.stderr and result.stderr.count("\n") == 1


def test_jtai_letters_of_the_sample_corpus(reports_dir: Path, tmp_path: Path) -> None:
    """The two JTAI letters, extracted and tagged by the real pipeline, compared."""
    from jtai_tools.extract import extract_file

    db = tmp_path / "corpus.db"
    with Store(db) as store:
        for name in ("sutton-2023-09-01-jtai.txt", "lewisham-2023-01-31-jtai.txt"):
            store.save(extract_file(reports_dir / "text" / name))
    result = run("compare", "sutton", "lewisham", "--type", "jtai", "--db", str(db),
                 "-f", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    (group,) = data["groups"]
    letters = {"sutton": "sutton-2023-09-01-jtai", "lewisham": "lewisham-2023-01-31-jtai"}
    for theme in ("supervision", "voice-of-child", "operation-encompass"):
        quotes = group["quotes"][theme]
        assert {area: q["report_id"] for area, q in quotes.items()} == letters, theme
        for quote in quotes.values():
            assert quote["text"].strip("…")
    # each quote is taken from its letter's own text
    texts = {a: (reports_dir / "text" / f"{rid}.txt").read_text("utf-8")
             for a, rid in letters.items()}
    quote = group["quotes"]["operation-encompass"]["sutton"]["text"].strip("…")
    assert " ".join(quote.split()[:4]) in " ".join(texts["sutton"].split())


def test_compare_against_command(sample_db: Path) -> None:
    add_neighbours(sample_db)
    db = ["--db", str(sample_db)]
    result = run("compare", "sutton", "--against", "neighbors", "--type", "jtai", *db)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Benchmarking sutton against sutton's 10 statistical neighbours"
    assert lines[1] == "  with reports: merton; kingston upon thames"
    header = next(line for line in lines if line.startswith("theme\t"))
    assert header.split("\t") == ["theme", "sutton", "neighbours", "difference",
                                  "concern difference", "merton", "kingston upon thames"]
    row = next(line for line in lines if line.startswith("strategy-meetings\t")).split("\t")
    assert row[1:4] == ["22.2% (2) \u00b7 33.3% (2) \u00b7 1/1",
                        "28.6% (2) \u00b7 40.0% (2) \u00b7 2/2", "-6.3"]
    as_json = json.loads(run("compare", "sutton", "--against", "region", "-f", "json",
                             *db).stdout)
    assert as_json["present"] == ["bromley", "kingston upon thames", "lewisham", "merton"]
    label = as_json["groups"][1]["benchmark"]["label"]
    assert label.startswith("region \u00b7 jtai \u00b7 4 reports")
    two = run("compare", "sutton", "lewisham", "--against", "england", *db)
    assert two.returncode == 2 and "benchmarks one area" in two.stderr
    bad = run("compare", "sutton", "--against", "galaxy", *db)
    assert bad.returncode == 2 and "unknown benchmark 'galaxy'" in bad.stderr


def test_grades_formats_and_check(tmp_path: Path) -> None:
    db = graded_db(tmp_path / "jtai.db")
    runner = CliRunner()
    csv = runner.invoke(app, ["grades", "--db", str(db), "-f", "csv"])
    assert csv.exit_code == 0, csv.output
    lines = csv.stdout.splitlines()
    assert lines[0].split(",")[:3] == ["area", "region", "report_id"]
    assert [line.split(",")[0] for line in lines[1:]] == ["lewisham", "sutton"]
    as_json = json.loads(runner.invoke(app, ["grades", "--db", str(db), "-f", "json"]).stdout)
    assert [r["lead_inspector"] for r in as_json["rows"]] == [
        "Sam Smith", "Jane Doe, His Majesty’s Inspector"]
    md = tmp_path / "grades.md"
    assert runner.invoke(app, ["grades", "--db", str(db), "-o", str(md)]).exit_code == 0
    assert md.read_text("utf-8").startswith("| area | region |")
    fresh = runner.invoke(app, ["grades", "--db", str(db), "-o", str(md), "--check"])
    assert fresh.exit_code == 0 and "up to date" in fresh.output
    md.write_text(md.read_text("utf-8").replace("outstanding", "good"), "utf-8")
    stale = runner.invoke(app, ["grades", "--db", str(db), "-o", str(md), "--check"])
    assert stale.exit_code == 1 and "+| sutton" in stale.stdout
    # the workbook is the same bytes for the same database, so --check works on it too
    book = tmp_path / "grades.xlsx"
    assert runner.invoke(app, ["grades", "--db", str(db), "--history", "-o", str(book)]
                         ).exit_code == 0
    sheet = load_workbook(io.BytesIO(book.read_bytes()))["grades"]
    assert sheet.max_row == 4 and sheet["A1"].value == "area"
    again = runner.invoke(app, ["grades", "--db", str(db), "--history", "-o", str(book),
                                "--check"])
    assert again.exit_code == 0, again.output
    bad = runner.invoke(app, ["grades", "--db", str(db), "-o", str(tmp_path / "g.pdf")])
    assert bad.exit_code == 2 and "suffix" in bad.output
