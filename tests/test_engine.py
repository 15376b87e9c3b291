"""The scorer and the explanation on the bundled ruleset: required behaviour and invariants."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stm_screen.core.answers import check_answers
from stm_screen.core.engine import Scorer
from stm_screen.core.explain import explain
from stm_screen.core.ruleset import Ruleset

EMERGENCY = [
    "bladder_bowel_change",
    "saddle_numbness",
    "progressive_weakness",
    "stroke_signs",
    "self_harm_thoughts",
]
SEE_DOCTOR = ["fever_or_unwell", "cancer_history", "unexplained_weight_loss", "major_trauma", "night_pain"]
CALM: dict[str, Any] = {
    "pain_duration_months": 1,
    "pain_areas": ["low_back"],
    "pain_intensity": 3,
    "activity_limitation": 2,
    "tightness_trigger_points": False,
    "recurrent_flare_ups": False,
    "fear_of_movement": False,
    **dict.fromkeys(EMERGENCY + SEE_DOCTOR, False),
}
ALL_CRITERIA = {
    "pain_duration_months": 12,
    "activity_limitation": 8,
    "tightness_trigger_points": True,
    "recurrent_flare_ups": True,
    "fear_of_movement": True,
}


def level(ruleset: Ruleset, **changes: Any) -> str | None:
    return Scorer(ruleset).evaluate(check_answers(ruleset, {**CALM, **changes})).level


@pytest.mark.parametrize("flag", EMERGENCY)
def test_emergency_flags_win_over_everything(ruleset: Ruleset, flag: str) -> None:
    others = dict.fromkeys(SEE_DOCTOR, True)
    assert level(ruleset, **ALL_CRITERIA, **others, **{flag: True}) == "emergency"


@pytest.mark.parametrize("flag", SEE_DOCTOR)
def test_see_doctor_flags_override_pt(ruleset: Ruleset, flag: str) -> None:
    assert level(ruleset, **ALL_CRITERIA, **{flag: True}) == "see_doctor"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "self_care"),
        ({"pain_duration_months": 3}, "self_care"),
        ({"pain_duration_months": 3.01}, "pt_consider"),
        ({"activity_limitation": 3}, "self_care"),
        ({"activity_limitation": 4}, "pt_consider"),
        ({"fear_of_movement": True, "recurrent_flare_ups": True}, "pt_consider"),
        (
            {"fear_of_movement": True, "recurrent_flare_ups": True, "tightness_trigger_points": True},
            "pt_recommended",
        ),
        ({"pain_duration_months": 6, "activity_limitation": 5, "fear_of_movement": True}, "pt_recommended"),
    ],
)
def test_criteria_levels(ruleset: Ruleset, changes: dict[str, Any], expected: str) -> None:
    assert level(ruleset, **changes) == expected


def test_pain_areas_shape_the_explanation_never_the_level(ruleset: Ruleset) -> None:
    scorer = Scorer(ruleset)
    results = {}
    for area in [
        "low_back",
        "neck_shoulder",
        "head_jaw",
        "tendon",
        "post_surgical",
        "sports_overuse",
        "widespread",
    ]:
        values = check_answers(ruleset, {**CALM, **ALL_CRITERIA, "pain_areas": [area]})
        results[area] = explain(ruleset, values, scorer=scorer)
    assert {r.level for r in results.values()} == {"pt_recommended"}
    notes = {area: "\n".join(r.notes) for area, r in results.items()}
    assert "Lower back" in notes["low_back"] and "Neck or shoulder" not in notes["low_back"]
    assert "Tendon" in notes["tendon"]
    assert len(set(notes.values())) == len(notes)  # each area gets its own explanation


def test_every_result_says_screening_aid_and_exercise(ruleset: Ruleset) -> None:
    for changes in ({}, ALL_CRITERIA, {"night_pain": True}, {"stroke_signs": True}):
        result = explain(ruleset, check_answers(ruleset, {**CALM, **changes}))
        assert "screening aid, not a diagnosis" in result.disclaimer
    result = explain(ruleset, check_answers(ruleset, {**CALM, **ALL_CRITERIA}))
    assert any("always goes together with exercise" in n for n in result.notes)


def test_findings_carry_the_answers_that_made_them_fire(ruleset: Ruleset) -> None:
    result = explain(ruleset, check_answers(ruleset, {**CALM, "activity_limitation": 6, "night_pain": True}))
    [flag] = result.red_flags
    assert flag.id == "constant_night_pain" and [(a.question, a.value) for a in flag.answers] == [
        ("night_pain", True)
    ]
    [finding] = result.findings
    assert finding.id == "limits_activity"
    assert [(a.question, a.value, a.shown) for a in finding.answers] == [("activity_limitation", 6, "6")]


def test_unanswered_red_flag_questions_are_not_ruled_out(ruleset: Ruleset) -> None:
    values = check_answers(ruleset, {"pain_duration_months": 8, "fear_of_movement": True})
    result = explain(ruleset, values)
    assert {f.id for f in result.red_flags_not_ruled_out} == {rf.id for rf in ruleset.red_flags}
    saddle = next(m for m in result.missing if m.question == "saddle_numbness")
    assert saddle.safety and saddle.note == "could not be ruled out"
    assert result.complete is False
    assert result.level == "pt_consider"


def test_what_would_change_names_the_smallest_change(ruleset: Ruleset) -> None:
    values = check_answers(
        ruleset, {**CALM, "activity_limitation": 3, "fear_of_movement": True, "pain_duration_months": 5}
    )
    result = explain(ruleset, values)
    assert result.level == "pt_consider"
    summaries = [c.summary for c in result.what_would_change]
    assert (
        summaries[0]
        == "One more criterion met would make this 'A physical therapy evaluation is recommended'."
    )
    up = [c for c in result.what_would_change if c.level == "pt_recommended" and c.question]
    assert {(c.question, c.proposed) for c in up} >= {
        ("activity_limitation", 4),
        ("tightness_trigger_points", True),
    }


def test_red_flag_result_says_what_the_answers_would_otherwise_give(ruleset: Ruleset) -> None:
    result = explain(ruleset, check_answers(ruleset, {**CALM, **ALL_CRITERIA, "cancer_history": True}))
    assert result.level == "see_doctor"
    [change] = result.what_would_change
    assert change.level == "pt_recommended" and "see a doctor first" in change.summary


def test_result_identifies_ruleset_and_tool(ruleset: Ruleset) -> None:
    from stm_screen import __version__

    result = explain(ruleset, check_answers(ruleset, CALM))
    assert result.ruleset == {"id": "pt-screen", "version": ruleset.version, "sha256": ruleset.sha256}
    assert len(ruleset.sha256) == 64 and result.tool_version == __version__


def test_explain_is_deterministic(ruleset: Ruleset) -> None:
    values = check_answers(ruleset, {**CALM, **ALL_CRITERIA})
    assert explain(ruleset, values).to_dict() == explain(ruleset, dict(reversed(values.items()))).to_dict()


# --- invariants --------------------------------------------------------------------------------------------

BOOLS = ["tightness_trigger_points", "recurrent_flare_ups", "fear_of_movement"]
answer_sets = st.fixed_dictionaries(
    {},
    optional={
        "pain_duration_months": st.one_of(st.integers(0, 600), st.floats(0, 600, allow_nan=False)),
        "pain_areas": st.lists(
            st.sampled_from(["low_back", "neck_shoulder", "tendon", "other"]), unique=True
        ),
        "pain_intensity": st.integers(0, 10),
        "activity_limitation": st.integers(0, 10),
        **{q: st.booleans() for q in BOOLS + EMERGENCY + SEE_DOCTOR},
    },
)


@settings(max_examples=250, deadline=None)
@given(answers=answer_sets, flag=st.sampled_from(EMERGENCY + SEE_DOCTOR))
def test_adding_a_red_flag_never_lowers_urgency(ruleset: Ruleset, answers: dict[str, Any], flag: str) -> None:
    scorer = Scorer(ruleset)
    before = scorer.evaluate(check_answers(ruleset, answers))
    after = scorer.evaluate(check_answers(ruleset, {**answers, flag: True}))
    assert scorer.rank(after.level) >= scorer.rank(before.level)
    assert scorer.rank(after.level) >= scorer.rank("see_doctor")


@settings(max_examples=250, deadline=None)
@given(answers=answer_sets, change=st.sampled_from(sorted(ALL_CRITERIA)))
def test_meeting_one_more_criterion_never_lowers_urgency(
    ruleset: Ruleset, answers: dict[str, Any], change: str
) -> None:
    scorer = Scorer(ruleset)
    before = scorer.evaluate(check_answers(ruleset, answers))
    after = scorer.evaluate(check_answers(ruleset, {**answers, change: ALL_CRITERIA[change]}))
    assert len(after.criteria_met) >= len(before.criteria_met)
    assert scorer.rank(after.level) >= scorer.rank(before.level)


@settings(max_examples=150, deadline=None)
@given(answers=answer_sets)
def test_level_follows_the_rules_as_written(ruleset: Ruleset, answers: dict[str, Any]) -> None:
    ev = Scorer(ruleset).evaluate(check_answers(ruleset, answers))
    if any(answers.get(q) for q in EMERGENCY):
        assert ev.level == "emergency"
    elif any(answers.get(q) for q in SEE_DOCTOR):
        assert ev.level == "see_doctor"
    else:
        met = len(ev.criteria_met)
        assert ev.level == ("self_care" if met == 0 else "pt_consider" if met <= 2 else "pt_recommended")


def test_what_would_change_tries_a_bounded_number_of_answers(tmp_path: Any) -> None:
    """On a very large ruleset the search stops after MAX_TRIALS answer changes (it never runs for minutes)."""
    from stm_screen.core import explain as explain_module
    from stm_screen.rules.loader import load_ruleset

    n = 600
    questions = "\n".join(f"  - {{id: q{i}, type: boolean, text: Q{i}}}" for i in range(n))
    criteria = "\n".join(
        f"  - {{id: c{i}, when: q{i}, title: C{i}, explanation: E, source: s}}" for i in range(n)
    )
    path = tmp_path / "big.yaml"
    path.write_text(
        f"id: big\nversion: '1'\ntitle: Big\ndisclaimer: d\nsources: [{{id: s, citation: x}}]\n"
        f"questions:\n{questions}\ncriteria:\n{criteria}\n"
        "scores: [{id: total, title: T, criteria: all}]\n"
        "levels: [{id: low, title: L, advice: a}, {id: high, title: H, advice: b}]\n"
        "outcomes: [{score: total, max: 10, level: low}, {score: total, min: 11, level: high}]\n",
        encoding="utf-8",
    )
    big = load_ruleset(path)
    scorer = Scorer(big)
    calls = 0
    real = scorer.evaluate

    def counting(values: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(values)

    scorer.evaluate = counting  # type: ignore[method-assign]
    result = explain(big, {f"q{i}": i < 10 for i in range(n)}, scorer=scorer)
    assert result.level == "low"
    assert calls <= explain_module.MAX_TRIALS + 1
    assert any(c.level == "high" for c in result.what_would_change)
