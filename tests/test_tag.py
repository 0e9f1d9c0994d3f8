"""Theme, polarity and agency tagging with evidence, on real spaCy matchers.

These tests hold the codebook rules (``Tagger(model=None)``): what the rules
find is what the learned model reads as features, and what tags findings
where no model is given. The model's own behaviour is tested in test_model.py.
"""

from __future__ import annotations

import pytest

from conftest import FIXTURES
from jtai_tools.codebook import load_codebook, parse_codebook
from jtai_tools.models import Area, Fieldwork, Finding, Report, Source
from jtai_tools.tag import (
    Tagger,
    fold_case,
    kwic,
    select_reports,
    theme_hits,
    theme_summary,
)


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(model=None)


def tag(tagger: Tagger, text: str, section: str = "main-findings", **kw: str) -> Finding:
    finding = Finding(section_kind=section, section_heading="Heading", text=text)
    tagger.tag([finding], **kw)
    return finding


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Practitioners hear the voice of the child.", "voice-of-child"),
        ("Children's voices are heard.", "voice-of-child"),
        ("Children’s voices are heard.", "voice-of-child"),
        ("Their wishes and feelings are recorded.", "voice-of-child"),
        ("Plans reflect the lived experience of children.", "voice-of-child"),
        ("Children are seen alone by their social workers.", "voice-of-child"),
        ("Management oversight of cases is variable.", "supervision"),
        ("Supervision is regular and reflective.", "supervision"),
        ("Operation Encompass notifications reach schools quickly.", "operation-encompass"),
        ("Strategy meetings are held promptly.", "strategy-meetings"),
        ("A strategy meeting was held.", "strategy-meetings"),
        ("Return home interviews are offered.", "missing-children"),
        ("The MASH screens contacts quickly.", "front-door"),
        ("County lines and criminal exploitation are understood.", "exploitation"),
        ("Children stepped down to early help are reviewed.", "step-up-step-down"),
    ],
)
def test_theme_variants(tagger: Tagger, text: str, theme: str) -> None:
    assert theme in tag(tagger, text).themes


def test_every_theme_is_found_by_its_own_label(tagger: Tagger) -> None:
    codebook = load_codebook()
    findings = [Finding("improve", "x", theme.label) for theme in codebook.themes]
    tagger.tag(findings)
    for theme, finding in zip(codebook.themes, findings, strict=True):
        assert theme.id in finding.themes, (theme.id, finding.themes)


def test_evidence_points_at_the_words_as_written(tagger: Tagger) -> None:
    text = "Quality of SUPERVISION and Children’s Voices in Strategy Meetings."
    finding = tag(tagger, text)
    themes = {e.label: e for e in finding.evidence if e.kind == "theme"}
    assert set(themes) == {"supervision", "voice-of-child", "strategy-meetings"}
    for e in finding.evidence:
        assert text[e.start : e.end] == e.text
    assert themes["voice-of-child"].text == "Children’s Voices"
    assert themes["strategy-meetings"].text == "Strategy Meetings"


def test_longer_phrase_wins_over_words_inside_it(tagger: Tagger) -> None:
    finding = tag(tagger, "Adult mental health services do not assess risk to children.")
    assert "mental-health" in finding.themes
    assert "health" not in finding.themes  # "health" lies inside "mental health"
    assert "health" in finding.agencies


def test_themes_in_codebook_order_and_at_most_three(tagger: Tagger) -> None:
    text = (
        "Supervision, strategy meetings, early help, training, audits and care leavers' "
        "pathway plans all need attention; supervision and training are weakest."
    )
    finding = tag(tagger, text, section="improve")
    ids = load_codebook().ids
    assert len(finding.themes) == 3
    assert finding.themes == sorted(finding.themes, key=ids.index)
    assert {"supervision", "training"} <= set(finding.themes)  # matched twice each
    kept = {e.label for e in finding.evidence if e.kind == "theme"}
    assert kept == set(finding.themes)


def test_area_send_context_implies_disabled_children(tagger: Tagger) -> None:
    text = "Leaders in education should review the offer of alternative provision."
    assert "disabled-children" not in tag(tagger, text, section="improve").themes
    finding = tag(tagger, text, section="improve", inspection_type="area-send")
    assert "disabled-children" in finding.themes
    assert len(finding.themes) <= 3


@pytest.mark.parametrize(
    ("section", "text", "polarity"),
    [
        ("improve", "Effective and timely strategy meetings.", "concern"),
        ("recommendations", "Ensure that supervision remains strong.", "concern"),
        ("strengths", "Supervision is not yet embedded everywhere.", "strength"),
        ("main-findings", "Supervision is not consistently effective.", "concern"),
        ("main-findings", "Managers do not always record their decisions.", "concern"),
        ("main-findings", "There is limited capacity in the team.", "concern"),
        ("main-findings", "Children wait too long for assessments.", "concern"),
        ("main-findings", "There is a delay in holding conferences.", "concern"),
        ("main-findings", "Strategy meetings are timely and effective.", "strength"),
        ("main-findings", "Leaders have a strong grip on practice.", "strength"),
        ("main-findings", "Referrals are dealt with without delay.", "strength"),
        ("main-findings", "Assessments are timely, but plans are not specific.", "mixed"),
        ("main-findings", "However, audits are weak although supervision is good.", "mixed"),
        ("main-findings", "The local authority has five localities.", "neutral"),
        # a negator far from its cue still turns round a cue followed by "enough"
        ("main-findings", "Not every review is written clearly enough for parents.", "concern"),
        ("main-findings", "Some plans have not been reviewed promptly enough.", "concern"),
        # a negator with no cue after it is description in a describing clause ...
        ("main-findings", "Staff are ambitious for young people who are not in school.",
         "strength"),
        ("main-findings", "Plans are reviewed promptly if parents do not engage.", "strength"),
        # ... and a concern in a clause of its own
        ("main-findings", "The panel has not met since the spring and its minutes are clear.",
         "concern"),
        # ... but still a concern after a contrast word
        ("main-findings", "Visits are timely, but records are not kept.", "mixed"),
        # an opening "However" refers back; an opening "While" joins two points
        ("main-findings", "However, not all reviews are clear enough.", "concern"),
        ("main-findings", "While visits are mostly good, a few plans are too vague and weak.",
         "mixed"),
        # a concern cue only qualifies a strength cue right next to it
        ("main-findings", "Gaps found by audits led to prompt and effective action.", "strength"),
        ("main-findings", "The quality of plans has declined.", "concern"),
        ("main-findings", "The timeliness of visits varies between teams.", "concern"),
        ("main-findings", "Families value the advice they receive.", "strength"),
        # evaluative words of inspection prose
        ("main-findings", "Carers show warmth and pride in the young people they look after.",
         "strength"),
        ("main-findings", "Young people participate in their reviews and their views are "
         "carefully considered.", "strength"),
        ("main-findings", "Waiting lists for therapy have grown this year.", "concern"),
        ("main-findings", "Reviews are less thorough in the disability team.", "concern"),
        ("main-findings", "Help and protection requires improvement to be good.", "concern"),
        # a hedge limits a point even where a plain "not" would be description
        ("main-findings", "Staff are skilled with parents who are not in work.", "strength"),
        ("main-findings", "A small number of plans are not reviewed.", "concern"),
        ("main-findings", "Most plans are thorough, but some are not.", "mixed"),
        # an averter turns a concern round and judges nothing alone
        ("main-findings", "New duty rotas reduce delays for families.", "strength"),
        ("main-findings", "The team works with schools to prevent exploitation.", "neutral"),
        # phrases holding a cue word that judge nothing
        ("main-findings", "Social workers visit parents as well as children.", "neutral"),
        ("main-findings", "Schools share concerns about children with the hub.", "neutral"),
        ("main-findings", "Every teacher knows how to raise a concern about a pupil.", "neutral"),
        ("main-findings", "The lateness of reports is a concern.", "concern"),
        ("main-findings", "Pupils' well-being is discussed at each meeting.", "neutral"),
        ("main-findings", "The new panel is at an early stage.", "concern"),
        ("main-findings", "Risks are spotted at an early stage and plans are thorough.",
         "strength"),
        # with no contrast word, strength words beside a concern name the missed standard
        ("main-findings", "High caseloads limit how effectively staff can plan.", "concern"),
        # a linking word inside the sentence turns from a point the cues cannot see
        ("main-findings", "Practitioners know each family's history, but this is not recorded.",
         "mixed"),
        ("main-findings", "There is, however, drift in some cases.", "concern"),
    ],
)
def test_polarity(tagger: Tagger, section: str, text: str, polarity: str) -> None:
    assert tag(tagger, text, section=section).polarity == polarity


def test_polarity_evidence_shows_negation_and_contrast(tagger: Tagger) -> None:
    text = "Visits are timely, but supervision is not effective."
    finding = tag(tagger, text)
    cues = [(e.label, e.text) for e in finding.evidence if e.kind == "polarity"]
    assert ("strength", "timely") in cues
    assert ("concern", "not effective") in cues
    assert ("mixed", "but") in cues


def test_mixed_by_turning_word_shows_it_as_evidence(tagger: Tagger) -> None:
    finding = tag(tagger, "Leaders know the families in the borough, but plans are not updated.")
    cues = [(e.label, e.text) for e in finding.evidence if e.kind == "polarity"]
    assert finding.polarity == "mixed"
    assert cues == [("mixed", "but"), ("concern", "not")]


def test_neutral_phrase_hides_its_cue_word(tagger: Tagger) -> None:
    finding = tag(tagger, "Police as well as schools attend the meetings.")
    assert not [e for e in finding.evidence if e.kind == "polarity"]


def test_list_items_have_no_cue_evidence(tagger: Tagger) -> None:
    finding = tag(tagger, "Timely and effective supervision.", section="improve")
    assert not [e for e in finding.evidence if e.kind == "polarity"]


@pytest.mark.parametrize(
    ("text", "agencies"),
    [
        ("The quality of social work supervision.", ["childrens-social-care"]),
        ("The timeliness of initial health assessments.", ["health"]),
        ("Children held in police stations overnight.", ["police"]),
        ("The LSCB's monitoring of multi-agency practice.", ["partnership"]),
        ("The quality of children's plans.", ["childrens-social-care"]),  # the default
        ("Attendance of GPs and schools at conferences.", ["health", "education"]),
        ("Support from the youth justice service.", ["probation-youth-justice"]),
        # outcomes, not services: "education, employment or training" names no agency
        ("More care leavers in education, employment or training.", ["childrens-social-care"]),
        ("Effectiveness and impact of Operation Encompass.", ["police", "education"]),
    ],
)
def test_agencies(tagger: Tagger, text: str, agencies: list[str]) -> None:
    assert tag(tagger, text, section="improve").agencies == agencies


def test_tagging_replaces_old_tags_and_is_deterministic(tagger: Tagger) -> None:
    text = "Supervision is not consistently effective, but audits are strong."
    first = tag(tagger, text)
    again = Finding("main-findings", "x", text, themes=["neglect"], polarity="strength",
                    agencies=["police"])
    tagger.tag([again])
    assert (again.themes, again.polarity, again.agencies, again.evidence) == (
        first.themes, first.polarity, first.agencies, first.evidence
    )


def test_empty_and_odd_input(tagger: Tagger) -> None:
    tagger.tag([])
    odd = [Finding("main-findings", "x", t) for t in ("", "   ", "İstanbul DSL", "—", "\x00")]
    tagger.tag(odd)
    for finding in odd:
        for e in finding.evidence:
            assert finding.text[e.start : e.end] == e.text


def test_fold_case_keeps_offsets() -> None:
    assert fold_case("Children’s VOICES") == "children's voices"
    assert fold_case("İ") == "İ"  # lower-casing would change the length: left alone


def test_user_codebook_theme_is_tagged() -> None:
    tagger = Tagger(load_codebook(FIXTURES / "tag_codebook_extra.toml"), model=None)
    finding = tag(tagger, "Family and friends carers and kinship care arrangements.")
    assert "kinship-care" in finding.themes
    narrow = tag(tagger, "Children suffer neglect and neglectful parenting.")
    assert [e.text for e in narrow.evidence if e.label == "neglect"] == ["neglect"]


def test_ignore_phrases_swallow_matches() -> None:
    text = (
        'ignore = ["health visitor"]\n'
        '[[theme]]\nid = "health"\nphrases = ["health"]\n'
        '[[theme]]\nid = "school"\nphrases = ["school"]\n'
    )
    tagger = Tagger(parse_codebook(text), model=None)
    assert tag(tagger, "Health visitors visit schools.").themes == ["school"]
    assert tag(tagger, "Health services visit schools.").themes == ["health", "school"]


def test_a_token_pattern_is_found_after_the_first_of_its_anchor_words() -> None:
    """The token matcher reads a finding from its first anchor word: a match starting
    at a later one keeps its offsets in the finding."""
    text = ('[[theme]]\nid = "seen-alone"\n'
            'tokens = [[{LOWER = "seen"}, {IS_ALPHA = true, OP = "{0,2}"}, {LOWER = "alone"}]]\n')
    tagger = Tagger(parse_codebook(text), model=None)
    sentence = "Children are seen, and often seen quite alone, by their social workers."
    finding = tag(tagger, sentence)
    assert finding.themes == ["seen-alone"]
    [evidence] = [e for e in finding.evidence if e.kind == "theme"]
    assert (evidence.text, evidence.start) == ("seen quite alone", sentence.index("seen quite"))


def test_token_patterns_are_matched_as_far_as_each_can_reach() -> None:
    """The matcher reads from each anchor word as far as the longest match reaches: a
    pattern with no bound ("+") reaches the end of the finding."""
    text = ('[[theme]]\nid = "gap"\n'
            'tokens = [[{LOWER = "seen"}, {IS_ALPHA = true, OP = "+"}, {LOWER = "alone"}]]\n'
            '[[theme]]\nid = "near"\n'
            'tokens = [[{LOWER = "visits"}, {IS_ALPHA = true, OP = "?"}, {LOWER = "happen"}]]\n')
    tagger = Tagger(parse_codebook(text), model=None)
    sentence = ("Visits often happen when children are seen by the social worker they know"
                " and trust most of all alone, and visits happen weekly.")
    finding = tag(tagger, sentence)
    assert finding.themes == ["gap", "near"]
    found = sorted((e.label, e.text) for e in finding.evidence if e.kind == "theme")
    assert found[0] == ("gap", sentence[sentence.index("seen"):sentence.index(", and")])
    assert found[1:] == [("near", "Visits often happen"), ("near", "visits happen")]


def test_a_pattern_opening_with_a_negated_word_matches_before_that_word() -> None:
    """A first token with OP "!" matches any other word, so its match may start before
    the word that lets the matcher run."""
    text = ('[[theme]]\nid = "alone"\n'
            'tokens = [[{LOWER = "visited", OP = "!"}, {LOWER = "alone"}]]\n')
    tagger = Tagger(parse_codebook(text), model=None)
    finding = tag(tagger, "Children alone are visited.")
    assert finding.themes == ["alone"]
    assert [e.text for e in finding.evidence if e.kind == "theme"] == ["Children alone"]


def test_kwic() -> None:
    text = "one two three four five six seven MATCH eight nine ten eleven twelve thirteen"
    start = text.index("MATCH")
    left, match, right = kwic(text, start, start + 5, words=3)
    assert (left, match, right) == ("… five six seven ", "MATCH", " eight nine ten …")
    assert kwic("MATCH", 0, 5) == ("", "MATCH", "")
    text = "the voices of children, such as  these"
    start = text.index("children")
    assert kwic(text, start, start + 8, words=2) == ("… voices of ", "children", ", such …")


def _report(report_id: str, area: str, findings: list[Finding]) -> Report:
    return Report(
        id=report_id, source=Source("x.txt", "0" * 64, "text", 1), area=Area(area),
        inspection_type="ilacs", date=None, fieldwork=Fieldwork(), inspectorates=[],
        jtai_focus=None, judgements={}, sections=[], findings=findings,
    )


def test_theme_hits_and_summary(tagger: Tagger) -> None:
    findings = [
        Finding("improve", "x", "Supervision of social workers and supervision notes."),
        Finding("strengths", "x", "Supervision is regular."),
        Finding("main-findings", "x", "Strategy meetings are timely."),
    ]
    tagger.tag(findings)
    reports = [_report("sutton-2020-01-01-ilacs", "sutton", findings)]
    hits = theme_hits(reports, context_words=2)
    supervision = [h for h in hits if h.theme == "supervision"]
    assert [(h.finding, h.match) for h in supervision] == [
        (0, "Supervision"), (0, "supervision"), (1, "Supervision"),
    ]
    assert supervision[1].left == "… workers and " and supervision[1].right == " notes."
    summary = theme_summary(hits, load_codebook().ids)
    rows = summary.to_dict(orient="records")
    assert rows[:2] == [
        {"theme": "supervision", "polarity": "concern", "findings": 1, "hits": 2},
        {"theme": "supervision", "polarity": "strength", "findings": 1, "hits": 1},
    ]
    assert rows[2]["theme"] == "strategy-meetings" and rows[2]["polarity"] == "strength"


def test_select_reports_by_id_or_area() -> None:
    reports = [
        _report("sutton-2020-01-01-ilacs", "sutton", []),
        _report("sutton-2023-09-01-jtai", "sutton", []),
        _report("surrey-2022-03-09-ilacs", "surrey", []),
    ]
    assert [r.id for r in select_reports(reports, "SUTTON")] == [
        "sutton-2020-01-01-ilacs", "sutton-2023-09-01-jtai",
    ]
    assert [r.id for r in select_reports(reports, "surrey-2022-03-09-ilacs")] == [
        "surrey-2022-03-09-ilacs"
    ]
    assert select_reports(reports, "lewisham") == []


def test_an_acronym_counts_only_as_written(tagger: Tagger) -> None:
    """SEND is a theme; the verb "send" is not, nor is "Send" opening a sentence."""
    assert "disabled-children" in tag(tagger, "Support for children with SEND is slow.").themes
    assert "disabled-children" in tag(tagger, "The SENCo advises staff.").themes
    for text in ("Leaders should send the written statement of action by 1 May.",
                 "Send plans to schools on time."):
        assert "disabled-children" not in tag(tagger, text).themes


def test_an_organisations_culture_is_not_equality_and_diversity(tagger: Tagger) -> None:
    organisation = tag(tagger, "Leaders have built a culture of professional accountability.")
    assert "equality-diversity" not in organisation.themes
    family = tag(tagger, "Assessments consider each child's culture and identity.", "improve")
    assert "equality-diversity" in family.themes


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("The strategy was co-produced with children and young people.", "voice-of-child"),
        ("Services are co-produced by young people and their families.", "voice-of-child"),
        ("Pathway plans should involve them in planning their future.", "voice-of-child"),
        ("Information is not made available to carers before a placement.", "information-sharing"),
        ("Practitioners lack access to pertinent information about families.",
         "information-sharing"),
        ("Teams are working more effectively together than last year.", "partnership-working"),
        ("The council works more closely with housing providers.", "partnership-working"),
        ("Leaders want a partnership approach to reducing exclusions.", "partnership-working"),
        ("The board does not monitor the quality of services it oversees.", "quality-assurance"),
        ("Leaders track the impact of each placement on attainment.", "quality-assurance"),
        ("Each young person is offered an independent visitor.", "children-in-care"),
        ("The local offer for care leavers is generous.", "care-leavers"),
        ("Completed early help assessments are thorough.", "early-help"),
    ],
)
def test_theme_patterns_for_paraphrases(tagger: Tagger, text: str, theme: str) -> None:
    assert theme in tag(tagger, text).themes


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Some pupils are missing out on full-time lessons.", "missing-children"),
        ("Leaders are missing opportunities to commission services jointly.", "missing-children"),
        ("Some children are stepped down from child protection to child in need too soon.",
         "step-up-step-down"),
        ("The recruitment of foster carers has improved this year.", "workforce-capacity"),
        ("Leaders have an effective recruitment strategy for adopters.", "workforce-capacity"),
        ("Parents say the local offer is hard to find on the website.", "care-leavers"),
        ("Leaders have reviewed their operational plans.", "assessment-planning"),
        ("Completed early help assessments are thorough.", "assessment-planning"),
        ("Children wait too long for an autism assessment.", "assessment-planning"),
        ("Audits give a rigorous assessment of the quality of casework.", "assessment-planning"),
    ],
)
def test_ordinary_words_and_other_topics_are_not_themes(
    tagger: Tagger, text: str, theme: str
) -> None:
    assert theme not in tag(tagger, text).themes


def test_agencies_listed_side_by_side_are_agencies_not_themes(tagger: Tagger) -> None:
    finding = tag(tagger, "Health and police staff attend safeguarding training.")
    assert finding.themes == ["training"]
    assert {"health", "police"} <= set(finding.agencies)


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("Area leaders have a clear strategy for inclusion.", "partnership", None),
        ("Education, health and care plans are often late.", None, "education"),
        ("Education, health and care plans are often late.", None, "health"),
        ("Strategy meetings are held promptly with the police.", "childrens-social-care", None),
        ("Personal education plans are up to date.", "childrens-social-care", None),
        ("Young people live in suitable accommodation near their school.",
         "childrens-social-care", None),
    ],
)
def test_agency_vocabulary(
    tagger: Tagger, text: str, present: str | None, absent: str | None
) -> None:
    agencies = tag(tagger, text).agencies
    if present:
        assert present in agencies
    if absent:
        assert absent not in agencies


def test_an_area_send_finding_naming_no_service_is_about_the_partnership(tagger: Tagger) -> None:
    text = "Waiting times for assessments are too long."
    assert tag(tagger, text, "improve", inspection_type="area-send").agencies == ["partnership"]
    assert tag(tagger, text, "improve", inspection_type="ilacs").agencies == [
        "childrens-social-care"]
    named = tag(tagger, "Police attendance is low.", "improve", inspection_type="area-send")
    assert named.agencies == ["police"]


def _one_by_one(tagger: Tagger, findings: list[Finding]) -> list[Finding]:
    alone = [Finding(f.section_kind, f.section_heading, f.text) for f in findings]
    for finding in alone:
        tagger.tag([finding])
    return alone


def test_a_report_tagged_as_one_doc_is_tagged_as_each_finding_alone(tagger: Tagger) -> None:
    """Findings are tokenized and matched as one doc; a phrase across two findings
    ("... the voice of" | "the child ...") counts for neither, and white space at either
    end of a text (which a joined doc would tokenize otherwise) gives the same tags."""
    texts = ["Practitioners do not always hear the voice of",
             "the child. Strategy meetings are held promptly.",
             "  Supervision is regular and reflective. ",
             "Management oversight is not effective; the MASH screens contacts quickly.",
             "SEND support is good, but they send letters late."]
    findings = [Finding("main-findings", "Heading", t) for t in texts]
    findings.insert(2, Finding("improve", "What needs to improve", "Return home interviews."))
    tagger.tag(findings)
    assert "voice-of-child" not in findings[0].themes + findings[1].themes
    assert findings == _one_by_one(tagger, findings)
    joined = findings[:2] + findings[3:]  # no text with white space at its ends: one doc
    tagger.tag(joined)
    assert joined == _one_by_one(tagger, joined)
    assert any(e.text == "SEND" for e in joined[-1].evidence)
    assert not any(e.text == "send" for e in joined[-1].evidence)


def test_findings_longer_together_than_spacys_limit_are_tagged_in_several_docs(
        tagger: Tagger) -> None:
    """A batch bigger than one doc may hold (spaCy refuses a million characters)
    is split into docs of bounded length, and tags as each finding alone."""
    from jtai_tools.tag import JOINED_CHARS

    texts = ["Return home interviews are not always offered to children who go missing.",
             "Supervision is regular and reflective.",
             "Strategy meetings are held promptly."]
    count = 1_000_000 // sum(len(t) + 1 for t in texts) + 1
    findings = [Finding("main-findings", "Heading", t) for t in texts * count]
    assert sum(len(f.text) + 1 for f in findings) > max(tagger.nlp.max_length, JOINED_CHARS)
    tagger.tag(findings)
    assert findings[-3:] == _one_by_one(tagger, findings[-3:])
    assert findings[:3] == findings[-3:]


def test_groups_of_length_keep_order_and_bound_each_run() -> None:
    from jtai_tools.tag import _groups_of_length

    texts = ["a" * n for n in (3, 4, 2, 9, 1, 1, 12, 2)]
    groups = _groups_of_length(texts, 10)
    assert [t for g in groups for t in g] == texts
    assert all(len(" ".join(g)) <= 10 or len(g) == 1 for g in groups)
    assert [len(g) for g in groups] == [2, 1, 1, 2, 1, 1]  # 3+1+4, then 2 (2+1+9 > 10) ...


def test_outermost_drops_exactly_the_hits_strictly_inside_a_longer_kept_one() -> None:
    """The one-pass filter against the definition, on every small set of spans."""
    import itertools
    import random

    from jtai_tools.tag import Hit, outermost

    def by_definition(hits: list[Hit]) -> list[Hit]:
        kept: list[Hit] = []
        for hit in hits:
            if not any(k.start <= hit.start and hit.end <= k.end
                       and k.end - k.start > hit.end - hit.start for k in kept):
                kept.append(hit)
        return kept

    spans = [(s, e) for s, e in itertools.combinations(range(7), 2)]
    chooser = random.Random(7)
    for _ in range(3000):
        chosen = chooser.sample(spans, chooser.randint(1, 8))
        chosen += chooser.sample(chosen, min(2, len(chosen)))  # equal spans, other labels
        hits = sorted((Hit("polarity", f"l{i}", s, e) for i, (s, e) in enumerate(chosen)),
                      key=lambda h: (h.start, -h.end, h.group, h.label))
        assert outermost(hits) == by_definition(hits)


def test_judge_polarity_reads_a_doc_or_a_span_of_one(tagger: Tagger) -> None:
    """Called on its own, the polarity judge takes a finding's doc, or its span of a larger
    doc, and gives offsets into the finding's text either way."""
    from jtai_tools.tag import Hit, judge_polarity

    text = "Delays remain."
    alone = tagger.nlp.make_doc(fold_case(text))
    inside = tagger.nlp.make_doc("Visits are regular. " + fold_case(text))[4:]
    for doc in (alone, inside):
        polarity, evidence = judge_polarity(text, doc, [Hit("polarity", "concern", 0, 1)], 3)
        assert polarity == "concern"
        assert [(e.text, e.start, e.end) for e in evidence] == [("Delays", 0, 6)]
