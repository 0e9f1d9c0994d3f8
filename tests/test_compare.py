"""Area comparison and across-years recurrence, as a library and as ``jtai compare``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from fixtures.store_reports import (
    SUTTON_2017,
    SUTTON_2023,
    add_neighbours,
    build_report,
)
from jtai_tools.compare import (
    AreaComparison,
    ComparisonGroup,
    Rarity,
    benchmark,
    cohorts_of,
    compare_areas,
    compare_reports,
    compare_settings,
    excerpt,
    lemma_key,
    match_points,
    resolve_report,
    weighted_overlap,
    wilson_interval,
)
from jtai_tools.models import Fieldwork
from jtai_tools.query import AreaError, QueryError, Target, open_db, resolve_target
from jtai_tools.store import Store


def _group(result: AreaComparison, kind: str | None) -> ComparisonGroup:
    return next(g for g in result.groups if g.inspection_type == kind)


def test_areas_are_compared_one_inspection_type_at_a_time(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        result = compare_areas(db, ["sutton", "lewisam"])
    assert result.areas == ["sutton", "lewisham"]
    assert result.reports["sutton"] == ["sutton-2017-02-13-sif", "sutton-2023-09-01-jtai"]
    assert [g.inspection_type for g in result.groups] == ["sif", "jtai"]
    sif = _group(result, "sif")
    assert [c.name for c in sif.columns] == ["sutton"] and sif.absent == ["lewisham"]
    jtai = _group(result, "jtai")
    sutton, lewisham = jtai.columns
    assert sutton.reports == ["sutton-2023-09-01-jtai"] and sutton.years == [2023]
    assert sutton.label == "sutton \u00b7 jtai \u00b7 1 report, 2023 (few reports)"
    assert sutton.small and lewisham.small
    # Sutton's letter: 9 findings, 6 raising a concern (5 concerns and 1 mixed)
    assert (sutton.findings, sutton.concerns, lewisham.findings, lewisham.concerns) == (9, 6, 5, 3)
    strategy = sutton.rates["strategy-meetings"]
    assert (strategy.findings, strategy.concerns, strategy.reports) == (2, 2, 1)
    assert strategy.share == round(2 / 9, 4) and strategy.concern_share == round(2 / 6, 4)
    assert lewisham.rates["strategy-meetings"].concern_share == round(1 / 3, 4)
    # a mixed finding counts as a concern and as a strength
    encompass = sutton.rates["operation-encompass"]
    assert (encompass.concerns, encompass.strengths) == (2, 1)
    assert lewisham.rates["operation-encompass"].findings == 0
    assert lewisham.rates["operation-encompass"].covered  # a JTAI looks at it
    assert jtai.shared == ["quality-assurance", "strategy-meetings", "training"]
    assert "operation-encompass" in jtai.only["sutton"]
    assert "out-of-hours" in jtai.only["lewisham"]
    assert not set(jtai.only["sutton"]) & set(jtai.only["lewisham"])
    # themes with only strengths are never "raised as a concern"
    assert "front-door" not in jtai.only["sutton"]
    # themes ordered by concern share, highest first
    order = [sum(c.rates[t].concern_share or 0 for c in jtai.columns) for t in jtai.themes]
    assert order == sorted(order, reverse=True)


def test_mixing_types_is_one_group_that_says_so(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        result = compare_areas(db, ["sutton", "lewisham"], mix_types=True)
    (group,) = result.groups
    assert result.mixed and group.inspection_type is None
    sutton = group.columns[0]
    assert sutton.types == {"sif": 1, "jtai": 1} and sutton.years == [2017, 2023]
    assert sutton.label == "sutton \u00b7 1 sif + 1 jtai \u00b7 2 reports, 2017-2023 (few reports)"
    # care leavers: Sutton's SIF looked and raised it; Lewisham's JTAI never looked
    assert sutton.rates["care-leavers"].covering_reports == 1
    assert not group.columns[1].rates["care-leavers"].covered
    assert "care-leavers" not in group.only["sutton"]  # not a gap Lewisham was checked for


def test_wilson_interval() -> None:
    assert wilson_interval(5, 100, z=1.96) == (0.0215, 0.1118)
    low, high = wilson_interval(0, 10, z=1.96)
    assert low == 0.0 and 0.27 < high < 0.28
    assert wilson_interval(3, 0) is None
    narrow, wide = wilson_interval(50, 1000), wilson_interval(5, 100)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]


def test_coverage_names_only_codebook_themes() -> None:
    from jtai_tools.codebook import load_codebook

    ids = set(load_codebook().ids)
    settings = compare_settings()
    for kind, coverage in settings.coverage.items():
        named = coverage.covers | coverage.not_covered | {
            t for _, themes in coverage.focus for t in themes}
        assert named <= ids, (kind, named - ids)
    jtai = settings.coverage_of("jtai")
    assert not jtai.covered("children-in-care", "identification of initial need and risk",
                            raised=True)
    assert jtai.covered("strategy-meetings", None, raised=False)
    assert settings.coverage_of("focused-visit").covered("care-leavers", None, raised=True)
    assert not settings.coverage_of("focused-visit").covered("care-leavers", None, raised=False)
    assert not settings.coverage_of("an-unknown-type").covered("neglect", None, raised=False)


def test_quotes_prefer_concerns_from_the_latest_improvement_list(sample_db: Path) -> None:
    """Of two improvement items naming strategy meetings, the one mainly about them is quoted."""
    with open_db(sample_db) as db:
        result = compare_areas(db, ["sutton", "lewisham"], mix_types=True)
    quotes = result.groups[0].quotes
    sutton = quotes["strategy-meetings"]["sutton"]
    assert sutton.report_id == "sutton-2023-09-01-jtai" and sutton.section_kind == "improve"
    assert sutton.text.startswith("Strategy meetings do not involve all relevant agencies")
    assert quotes["supervision"]["lewisham"].polarity == "strength"
    with open_db(sample_db) as db:  # per type, each quote comes from a report of that type
        by_type = compare_areas(db, ["sutton", "lewisham"])
    sif_quote = _group(by_type, "sif").quotes["strategy-meetings"]["sutton"]
    assert sif_quote.report_id == "sutton-2017-02-13-sif"


def test_type_and_since_filters(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        result = compare_areas(db, ["sutton", "lewisham"], type="jtai")
        assert result.reports["sutton"] == ["sutton-2023-09-01-jtai"]
        assert [g.inspection_type for g in result.groups] == ["jtai"]
        assert "care-leavers" not in result.groups[0].themes
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


def test_years_new_persisting_resolved_and_not_covered(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        result = compare_reports(db, "sutton@2023", "sutton@2017-02-13")
    assert (result.earlier, result.later) == ("sutton-2017-02-13-sif", "sutton-2023-09-01-jtai")
    assert (result.earlier_type, result.later_type) == ("sif", "jtai")
    status = {c.theme: c.status for c in result.changes}
    assert status["strategy-meetings"] == "persisting"
    assert status["operation-encompass"] == "new"
    assert status["equality-diversity"] == "resolved"  # a JTAI looks at it
    # the front-door JTAI does not look at care leavers: not "resolved"
    assert status["care-leavers"] == "not covered"
    assert "front-door" not in status  # a strength only, never a concern
    change = next(c for c in result.changes if c.theme == "strategy-meetings")
    assert (change.earlier, change.later) == (1, 2)
    assert change.later_share == round(2 / 6, 4)


def test_a_theme_a_focused_visit_does_not_raise_is_not_covered(sample_db: Path) -> None:
    """A focused visit looks at one part of services: its silence resolves nothing."""
    visit = build_report("sutton-2024-03-01-focused-visit", "sutton", "focused-visit",
                         "2024-03-01", SUTTON_2023[4:5])
    with Store(sample_db) as store:
        store.save(visit)
    with open_db(sample_db) as db:
        result = compare_reports(db, "sutton@2023", "sutton@2024")
        back = compare_reports(db, "sutton@2017", "sutton@2024")
    status = {c.theme: c.status for c in result.changes}
    assert status["training"] == "persisting"
    assert status["strategy-meetings"] == "not covered"
    assert "resolved" not in status.values()
    back_status = {c.theme: c.status for c in back.changes}
    assert back_status["training"] == "new"  # the SIF looked at training and raised nothing
    assert back_status["care-leavers"] == "not covered"


def test_every_sif_to_jtai_comparison_of_the_corpus_keeps_uncovered_themes(
        reports_dir: Path, tmp_path: Path) -> None:
    """Sutton's SIF and JTAI as extracted by the real pipeline: what the JTAI never looks
    at is not covered, never resolved."""
    from jtai_tools.extract import extract_file

    db = tmp_path / "sutton.db"
    with Store(db) as store:
        for name in ("sutton-2017-02-13-sif.txt", "sutton-2023-09-01-jtai.txt"):
            store.save(extract_file(reports_dir / "text" / name))
    with open_db(db) as database:
        result = compare_reports(database, "sutton@2017", "sutton@2023")
    status = {c.theme: c.status for c in result.changes}
    uncovered = [t for t in ("children-in-care", "care-leavers") if t in status]
    assert uncovered, "the SIF raised concerns about children in care and care leavers"
    for theme in uncovered:
        # the JTAI does not look at them: never resolved (persisting only where the
        # letter itself raises a concern the tagger reads as that theme)
        assert status[theme] in ("not covered", "persisting"), (theme, status[theme])
    assert "not covered" in status.values()


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


def test_a_recurrence_needs_the_same_cohort() -> None:
    """Suitable accommodation for children in police protection is not the care leavers'."""
    themes = ["police-protection-accommodation"]
    earlier = [("Ensure that all care leavers are in suitable accommodation.", themes)]
    police = [("Timely provision of suitable accommodation for children subject to police "
               "protection.", themes)]
    assert cohorts_of(police[0][0]) == {"police-protection"}
    assert cohorts_of(earlier[0][0]) == {"care-leavers"}
    assert match_points(earlier, police, min_score=0) == []
    leavers = [("Care leavers are not always living in suitable accommodation.", themes)]
    (found,) = match_points(earlier, leavers, min_score=0)
    assert found.cohorts == ["care-leavers"] and found.words > 0 and found.theme_score == 100


def test_points_on_different_themes_never_recur() -> None:
    earlier = [("The timeliness of return home interviews for children who go missing",
                ["missing-children"])]
    later = [("The timeliness of return home interviews for children who go missing",
              ["supervision"])]
    assert match_points(earlier, later, min_score=0) == []


def test_targets_match_the_printed_or_the_fieldwork_year(sample_db: Path) -> None:
    """An ILACS prints no date: it is found by the year its fieldwork ended, or started."""
    ilacs = dataclasses.replace(
        build_report("sutton-2022-01-21-ilacs", "sutton", "ilacs", "2022-01-21", SUTTON_2017,
                     sha256="ilacs"),
        date=None, fieldwork=Fieldwork("2021-12-06", "2022-01-21"))
    assert (ilacs.sort_date, ilacs.date_source) == ("2022-01-21", "fieldwork-end")
    with Store(sample_db) as store:
        store.save(ilacs)
    with open_db(sample_db) as db:
        assert resolve_target(db, "sutton@2022").report_id == ilacs.id
        assert resolve_target(db, "sutton@2021").report_id == ilacs.id
        assert resolve_target(db, "sutton@2022-01").report_id == ilacs.id
        assert resolve_target(db, "sutton") == Target("sutton", "sutton")
        assert resolve_target(db, "suton") == Target("suton", "sutton", None, fuzzy=True)
        assert resolve_target(db, ilacs.id).area == "sutton"
        # across years in sortable-date order: SIF 2017, ILACS 2022, JTAI 2023
        result = compare_reports(db, "sutton@2023", "sutton@2022")
        assert (result.earlier, result.later) == (ilacs.id, "sutton-2023-09-01-jtai")
        refs = [r.id for r in db.report_refs() if r.area == "sutton"]
        assert refs == ["sutton-2017-02-13-sif", ilacs.id, "sutton-2023-09-01-jtai"]


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




def test_three_areas_only_and_shared(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        result = compare_areas(db, ["sutton", "lewisham", "surrey"])
    assert result.areas == ["sutton", "lewisham", "surrey"]
    jtai = _group(result, "jtai")
    # strategy meetings are a concern everywhere; training only in Sutton and Lewisham
    assert jtai.shared == ["quality-assurance", "strategy-meetings"]
    assert jtai.only["surrey"] == ["early-help"]
    assert "training" not in jtai.only["sutton"] + jtai.only["lewisham"]
    assert "operation-encompass" in jtai.only["sutton"]
    assert set(jtai.quotes["strategy-meetings"]) == {"sutton", "lewisham", "surrey"}




def test_benchmark_against_neighbours_region_and_england(sample_db: Path) -> None:
    add_neighbours(sample_db)
    with open_db(sample_db) as db:
        result = benchmark(db, "sutton", "neighbours")
        region = benchmark(db, "sutton", "region", type="jtai")
        england = benchmark(db, "sutton", "england", type="jtai")
    assert result.present == ["merton", "kingston upon thames"]
    assert len(result.missing) == 8 and "bromley" not in result.missing
    sif = next(g for g in result.groups if g.inspection_type == "sif")
    assert sif.benchmark.reports == []  # no neighbour has a SIF stored
    jtai = next(g for g in result.groups if g.inspection_type == "jtai")
    assert jtai.benchmark.reports == ["kingston-upon-thames-2022-11-01-jtai",
                                      "merton-2023-03-01-jtai"]
    assert [m.name for m in jtai.members] == ["merton", "kingston upon thames"]
    # pooled: Merton 1 of 5 findings and Kingston 1 of 2 are on strategy meetings
    row = next(r for r in jtai.rows if r.theme == "strategy-meetings")
    assert row.benchmark.share == round(2 / 7, 4)
    assert row.area.share == round(2 / 9, 4)
    assert row.difference == round(round(2 / 9, 4) - round(2 / 7, 4), 4)
    assert jtai.benchmark.small is True and len(jtai.benchmark.reports) == 2
    assert region.present == ["bromley", "kingston upon thames", "lewisham", "merton"]
    assert "surrey" not in region.present  # Surrey is in the South East
    assert england.present == ["bromley", "kingston upon thames", "lewisham", "merton", "surrey"]
    assert england.missing == []
    assert len(england.groups[0].benchmark.reports) == 5
