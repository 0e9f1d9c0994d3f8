"""Area comparison and across-years recurrence, as a library and as ``jtai compare``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures.cli_runner import run_cli as run
from fixtures.store_reports import SUTTON_2017, build_report
from jtai_tools.compare import (
    Rarity,
    compare_areas,
    compare_reports,
    excerpt,
    lemma_key,
    match_points,
    resolve_report,
    weighted_overlap,
)
from jtai_tools.query import AreaError, QueryError, open_db
from jtai_tools.store import Store


def test_area_counts_shared_and_only_themes(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        result = compare_areas(db, ["sutton", "lewisam"])
    assert result.areas == ["sutton", "lewisham"]
    assert result.reports["sutton"] == ["sutton-2017-02-13-sif", "sutton-2023-09-01-jtai"]
    by_theme = {t.theme: t for t in result.themes}
    strategy = by_theme["strategy-meetings"]
    assert strategy.concern == {"sutton": 3, "lewisham": 1}
    # a mixed finding counts as a concern and as a strength
    assert by_theme["operation-encompass"].concern["sutton"] == 2
    assert by_theme["operation-encompass"].strength["sutton"] == 1
    assert by_theme["supervision"].strength == {"sutton": 1, "lewisham": 1}
    assert result.shared == ["quality-assurance", "strategy-meetings", "training"]
    assert "operation-encompass" in result.only["sutton"]
    assert "out-of-hours" in result.only["lewisham"]
    assert not set(result.only["sutton"]) & set(result.only["lewisham"])
    # themes with only strengths are never "raised as a concern"
    assert "front-door" not in result.only["sutton"]


def test_quotes_prefer_concerns_from_the_latest_improvement_list(sample_db: Path) -> None:
    """Of two improvement items naming strategy meetings, the one mainly about them is quoted."""
    with open_db(sample_db) as db:
        result = compare_areas(db, ["sutton", "lewisham"])
    quotes = {t.theme: t.quotes for t in result.themes}
    sutton = quotes["strategy-meetings"]["sutton"]
    assert sutton.report_id == "sutton-2023-09-01-jtai" and sutton.section_kind == "improve"
    assert sutton.text.startswith("Strategy meetings do not involve all relevant agencies")
    assert quotes["supervision"]["lewisham"].polarity == "strength"


def test_type_and_since_filters(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        result = compare_areas(db, ["sutton", "lewisham"], type="jtai")
        assert result.reports["sutton"] == ["sutton-2023-09-01-jtai"]
        assert "care-leavers" not in {t.theme for t in result.themes}
        with pytest.raises(AreaError, match="no reports for lewisham"):
            compare_areas(db, ["sutton", "lewisham"], since="2023-06")
        with pytest.raises(QueryError, match="two different areas"):
            compare_areas(db, ["sutton", "Sutton"])


def test_excerpt_cuts_at_words_around_the_evidence() -> None:
    text = " ".join(f"word{i}" for i in range(60)) + " strategy meetings " + " ".join(
        f"tail{i}" for i in range(60))
    start = text.index("strategy meetings")
    cut = excerpt(text, start, start + len("strategy meetings"), context=30)
    assert cut.startswith("…word") and cut.endswith("…")
    assert "strategy meetings" in cut and len(cut) < 110
    assert all(part.startswith(("word", "tail", "strategy", "meetings", "…"))
               for part in cut.split())
    assert excerpt("short text", None, None) == "short text"


def test_years_new_persisting_resolved(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        result = compare_reports(db, "sutton@2023", "sutton@2017-02-13")
    assert (result.earlier, result.later) == ("sutton-2017-02-13-sif", "sutton-2023-09-01-jtai")
    status = {c.theme: c.status for c in result.changes}
    assert status["strategy-meetings"] == "persisting"
    assert status["operation-encompass"] == "new"
    assert status["care-leavers"] == "resolved"
    assert "front-door" not in status  # a strength only, never a concern


def test_recurring_point_is_found_with_its_score(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        result = compare_reports(db, "sutton@2017", "sutton@2023")
    assert len(result.recurring) == 1
    match = result.recurring[0]
    assert match.later.startswith("Strategy meetings do not involve all relevant agencies")
    assert match.earlier.startswith("Ensure that strategy discussions and meetings involve")
    assert match.score >= 80
    assert "strategy-meetings" in match.themes


def test_similarity_uses_lemmas_and_ignores_word_order() -> None:
    assert lemma_key("Children were seen alone.") == lemma_key("A child is seen alone")
    def words(text: str) -> set[str]:
        return set(lemma_key(text).split())

    a = words("The timeliness of return home interviews for children who go missing")
    b = words("Children who went missing are not offered timely return home interviews")
    unrelated = words("The quality of supervision of social workers")
    same = lambda w: 1.0  # noqa: E731
    assert weighted_overlap(a, b, same) > 60 > weighted_overlap(a, unrelated, same)
    later = [("Children who went missing are not offered timely return home interviews",
              ["missing-children"])]
    earlier = [("The quality of supervision of social workers", ["supervision"]),
               ("The timeliness of return home interviews for children who go missing",
                ["missing-children"])]
    (found,) = match_points(earlier, later)
    assert found.earlier == earlier[1][0] and found.themes == ["missing-children"]
    assert found.theme_score == 100 and found.words > 60
    assert match_points(earlier, later, min_score=101) == []


def test_rare_words_weigh_more_than_common_ones() -> None:
    """Sharing 'return home interviews' beats sharing 'quality' and 'children'."""
    common = {"quality": 500, "child": 900, "timely": 300}
    weights = Rarity(total=1000, words={**common, "return": 12, "home": 40, "interview": 15})
    later = [("The quality of return home interviews for children", [])]
    earlier = [("The quality and timeliness of plans for children", []),
               ("Return home interviews are not offered", [])]
    (found,) = match_points(earlier, later, min_score=0, weights=weights)
    assert found.earlier == earlier[1][0]


def test_shared_themes_alone_do_not_make_a_recurrence() -> None:
    later = [("Caseloads are too high", ["workforce-capacity"])]
    earlier = [("Recruitment of permanent staff", ["workforce-capacity"])]
    assert match_points(earlier, later) == []


def test_report_references(sample_db: Path, tmp_path: Path) -> None:
    with Store(sample_db) as store:  # a second report on the same day, of another type
        store.save(build_report("sutton-2017-02-13-ilacs", "sutton", "ilacs", "2017-02-13",
                                SUTTON_2017, sha256="other-file"))
    with open_db(sample_db) as db:
        assert resolve_report(db, "sutton-2023-09-01-jtai") == "sutton-2023-09-01-jtai"
        assert resolve_report(db, "sutton@2017", type="sif") == "sutton-2017-02-13-sif"
        with pytest.raises(QueryError, match="matches 2 reports"):
            resolve_report(db, "sutton@2017")
        with pytest.raises(QueryError, match="no sutton report dated 2019"):
            resolve_report(db, "sutton@2019")
        with pytest.raises(AreaError, match="unknown area"):
            resolve_report(db, "atlantis@2019")
        with pytest.raises(QueryError, match="same report"):
            compare_reports(db, "sutton@2023", "sutton-2023-09-01-jtai")


def test_compare_command_areas_and_years(sample_db: Path) -> None:
    db = ["--db", str(sample_db)]
    areas = run("compare", "sutton", "lewisam", *db)
    assert areas.returncode == 0, areas.stderr
    lines = areas.stdout.splitlines()
    assert lines[0] == "Comparing sutton (2 reports), lewisham (1 report)"
    assert "strategy-meetings\t3 / 0\t1 / 0" in lines
    assert "Concerns shared by all: quality-assurance, strategy-meetings, training" in lines
    as_json = json.loads(run("compare", "sutton", "lewisham", "--type", "jtai", "-f", "json",
                             *db).stdout)
    assert as_json["reports"] == {"sutton": ["sutton-2023-09-01-jtai"],
                                  "lewisham": ["lewisham-2023-01-31-jtai"]}
    years = run("compare", "sutton@2017", "sutton@2023", *db)
    assert years.returncode == 0, years.stderr
    assert "strategy-meetings\t1\t2\tpersisting" in years.stdout
    assert "later:   Strategy meetings do not involve all relevant agencies" in years.stdout


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


def test_three_areas_only_and_shared(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        result = compare_areas(db, ["sutton", "lewisham", "surrey"])
    assert result.areas == ["sutton", "lewisham", "surrey"]
    # strategy meetings are a concern everywhere; training only in Sutton and Lewisham
    assert result.shared == ["quality-assurance", "strategy-meetings"]
    assert result.only["surrey"] == ["early-help"]
    assert "training" not in result.only["sutton"] + result.only["lewisham"]
    assert "operation-encompass" in result.only["sutton"]
    strategy = next(t for t in result.themes if t.theme == "strategy-meetings")
    assert set(strategy.quotes) == {"sutton", "lewisham", "surrey"}


def test_an_area_with_only_an_unclassified_report(sample_db: Path) -> None:
    with Store(sample_db) as store:
        store.save(build_report("croydon-2020-03-02-other", "croydon", "other", "2020-03-02",
                                SUTTON_2017[:1]))
    db = ["--db", str(sample_db)]
    both = run("compare", "sutton", "croydon", *db)
    assert both.returncode == 0, both.stderr
    assert both.stdout.splitlines()[0] == "Comparing sutton (2 reports), croydon (1 report)"
    assert "strategy-meetings\t3 / 0\t1 / 0" in both.stdout
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
    themes = {t["theme"]: t for t in data["themes"]}
    letters = {"sutton": "sutton-2023-09-01-jtai", "lewisham": "lewisham-2023-01-31-jtai"}
    for theme in ("supervision", "voice-of-child", "operation-encompass"):
        quotes = themes[theme]["quotes"]
        assert {area: q["report_id"] for area, q in quotes.items()} == letters, theme
        for quote in quotes.values():
            assert quote["text"].strip("…")
    # each quote is taken from its letter's own text
    texts = {a: (reports_dir / "text" / f"{rid}.txt").read_text("utf-8")
             for a, rid in letters.items()}
    quote = themes["operation-encompass"]["quotes"]["sutton"]["text"].strip("…")
    assert " ".join(quote.split()[:4]) in " ".join(texts["sutton"].split())
