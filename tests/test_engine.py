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
from stm_screen.rules.loader import load_ruleset

EMERGENCY: dict[str, dict[str, Any]] = {  # each of these alone makes the result an emergency
    "bladder_bowel_change": {"bladder_bowel_change": True},
    "saddle_numbness": {"saddle_numbness": True},
    "weakness_fast": {"progressive_weakness": True, "weakness_fast": True},
    "stroke_signs": {"stroke_signs": True},
    "sudden_severe_headache": {"sudden_severe_headache": True},
    "self_harm_thoughts": {"self_harm_thoughts": True, "self_harm_danger": False},
    "self_harm_danger": {"self_harm_thoughts": True, "self_harm_danger": True},
}
SEE_DOCTOR: dict[str, dict[str, Any]] = {  # each of these alone (with back pain) means see a doctor first
    "fever_or_unwell": {"fever_or_unwell": True},
    "cancer_history": {"cancer_history": True},
    "unexplained_weight_loss": {"unexplained_weight_loss": True},
    "night_pain": {"night_pain": True},
    "both_legs_symptoms": {"both_legs_symptoms": True},
    "progressive_weakness": {"progressive_weakness": True, "weakness_fast": False},
    "clumsy_hands_or_gait": {"clumsy_hands_or_gait": True},
    "chest_arm_pain_exertion": {"chest_arm_pain_exertion": True},
    "calf_swelling": {"calf_swelling": True},
    "infection_risk": {"infection_risk": True},
    "bone_pain_impact": {"bone_pain_impact": True},
}
# flags that need the pain to be recent (3 months or less)
RECENT_SEE_DOCTOR: dict[str, dict[str, Any]] = {
    "major_trauma": {"major_trauma": True, "blood_thinners": False},
    "minor_trauma_fracture_risk": {"minor_trauma": True, "fracture_risk": True, "blood_thinners": False},
    "minor_trauma_blood_thinners": {"minor_trauma": True, "fracture_risk": False, "blood_thinners": True},
}
SAFETY_BOOLS = frozenset(
    """
    bladder_bowel_change saddle_numbness both_legs_symptoms progressive_weakness weakness_fast
    clumsy_hands_or_gait stroke_signs sudden_severe_headache jaw_scalp_headache dizziness_ongoing
    chest_arm_pain_exertion calf_swelling fever_or_unwell infection_risk cancer_history
    unexplained_weight_loss night_pain major_trauma minor_trauma fracture_risk blood_thinners
    morning_stiffness bone_pain_impact self_harm_thoughts self_harm_danger
    """.split()
)
RULESET = load_ruleset()
CALM: dict[str, Any] = dict(RULESET.examples[0].answers)  # 'nothing met gives self-care': complete
ALL_CRITERIA = {
    "pain_duration_months": 12,
    "activity_limitation": 5,
    "tightness_trigger_points": True,
    "recurrent_flare_ups": True,
    "fear_of_movement": True,
}


_SCORER = Scorer(RULESET)


def complete(ruleset: Ruleset, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers, with every safety question that they make asked (and that has no answer) answered no."""
    out = dict(answers)
    scorer = Scorer(ruleset) if ruleset is not RULESET else _SCORER
    while True:
        gaps = [q for q in scorer.evaluate(check_answers(ruleset, out)).missing if q in SAFETY_BOOLS]
        if not gaps:
            return out
        out.update(dict.fromkeys(gaps, False))


def answers(ruleset: Ruleset, **changes: Any) -> dict[str, Any]:
    return complete(ruleset, {**CALM, **changes})


def level(ruleset: Ruleset, **changes: Any) -> str | None:
    ev = Scorer(ruleset).evaluate(check_answers(ruleset, answers(ruleset, **changes)))
    assert not ev.red_flags_unknown, ev.red_flags_unknown  # the helper answers every safety question
    return ev.level


def test_calm_answers_are_complete_and_self_care(ruleset: Ruleset) -> None:
    ev = Scorer(ruleset).evaluate(check_answers(ruleset, CALM))
    assert ev.level == "self_care" and ev.complete and not ev.unchecked and not ev.missing


@pytest.mark.parametrize("flag", sorted(EMERGENCY))
def test_emergency_flags_win_over_everything(ruleset: Ruleset, flag: str) -> None:
    others = {k: v for changes in SEE_DOCTOR.values() for k, v in changes.items() if k not in EMERGENCY[flag]}
    assert level(ruleset, **ALL_CRITERIA, **others, **EMERGENCY[flag]) == "emergency"
    assert level(ruleset, **EMERGENCY[flag]) == "emergency"


@pytest.mark.parametrize("flag", sorted(SEE_DOCTOR))
def test_see_doctor_flags_override_pt(ruleset: Ruleset, flag: str) -> None:
    assert level(ruleset, **ALL_CRITERIA, **SEE_DOCTOR[flag]) == "see_doctor"
    assert level(ruleset, **SEE_DOCTOR[flag]) == "see_doctor"


@pytest.mark.parametrize("flag", sorted(RECENT_SEE_DOCTOR))
def test_injuries_need_a_doctor_only_when_recent(ruleset: Ruleset, flag: str) -> None:
    recent = {**ALL_CRITERIA, "pain_duration_months": 2}
    assert level(ruleset, **recent, **RECENT_SEE_DOCTOR[flag]) == "see_doctor"
    assert level(ruleset, **ALL_CRITERIA, **RECENT_SEE_DOCTOR[flag]) == "pt_recommended"  # 12 months ago


def test_progressive_weakness_alone_is_see_doctor_and_fast_weakness_an_emergency(ruleset: Ruleset) -> None:
    scorer = Scorer(ruleset)
    slow = scorer.evaluate(
        check_answers(ruleset, answers(ruleset, progressive_weakness=True, weakness_fast=False))
    )
    assert slow.level == "see_doctor" and slow.red_flags == ("weakness_getting_worse",)
    fast = scorer.evaluate(
        check_answers(ruleset, answers(ruleset, progressive_weakness=True, weakness_fast=True))
    )
    assert fast.level == "emergency" and fast.red_flags == ("weakness_getting_worse_fast",)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "self_care"),
        ({"pain_duration_months": 2.9}, "self_care"),
        ({"pain_duration_months": 3}, "pt_consider"),  # long_lasting_pain is 3 months or more
        ({"pain_duration_months": 3.01}, "pt_consider"),
        ({"activity_limitation": 3}, "self_care"),
        ({"activity_limitation": 4}, "pt_consider"),
        ({"activity_limitation": 6}, "pt_consider"),
        ({"activity_limitation": 7}, "pt_recommended"),  # guard: limitation 7 or more
        ({"fear_of_movement": True, "activity_limitation": 3}, "pt_consider"),
        ({"fear_of_movement": True, "activity_limitation": 4}, "pt_recommended"),  # guard: fear with 4+
        ({"fear_of_movement": True, "recurrent_flare_ups": True}, "pt_consider"),
        (
            {"fear_of_movement": True, "recurrent_flare_ups": True, "tightness_trigger_points": True},
            "pt_recommended",
        ),
        ({"pain_duration_months": 6, "activity_limitation": 5, "fear_of_movement": True}, "pt_recommended"),
        # guard: under 6 weeks, getting better, limitation under 4, no fear: self-care whatever the count
        (
            {
                "pain_duration_months": 1,
                "pain_trend": "better",
                "tightness_trigger_points": True,
                "recurrent_flare_ups": True,
                "activity_limitation": 3,
            },
            "self_care",
        ),
        (
            {"pain_duration_months": 1.5, "pain_trend": "better", "tightness_trigger_points": True},
            "pt_consider",
        ),
        ({"pain_duration_months": 1, "pain_trend": "worse", "tightness_trigger_points": True}, "pt_consider"),
        ({"pain_duration_months": 1, "pain_trend": "better", "fear_of_movement": True}, "pt_consider"),
    ],
)
def test_criteria_levels(ruleset: Ruleset, changes: dict[str, Any], expected: str) -> None:
    assert level(ruleset, **changes) == expected


def test_pain_areas_shape_the_explanation_never_the_level(ruleset: Ruleset) -> None:
    scorer = Scorer(ruleset)
    results = {}
    for area in [a for a in AREAS if a != "other"]:
        values = check_answers(ruleset, answers(ruleset, **ALL_CRITERIA, pain_areas=[area]))
        results[area] = explain(ruleset, values, scorer=scorer)
    assert {r.level for r in results.values()} == {"pt_recommended"}
    notes = {area: "\n".join(r.notes) for area, r in results.items()}
    assert "Lower back" in notes["low_back"] and "Neck or shoulder" not in notes["low_back"]
    assert "Arm or leg" in notes["tendon"]
    assert len(set(notes.values())) == len(notes)  # each area gets its own explanation


def test_every_result_says_screening_aid_and_exercise(ruleset: Ruleset) -> None:
    for changes in ({}, ALL_CRITERIA, {"night_pain": True}, {"stroke_signs": True}):
        result = explain(ruleset, check_answers(ruleset, answers(ruleset, **changes)))
        assert "screening aid, not a diagnosis" in result.disclaimer
    result = explain(ruleset, check_answers(ruleset, answers(ruleset, **ALL_CRITERIA)))
    assert any("only as part of a plan that includes exercise" in n for n in result.notes)


def test_findings_carry_the_answers_that_made_them_fire(ruleset: Ruleset) -> None:
    result = explain(
        ruleset, check_answers(ruleset, answers(ruleset, activity_limitation=6, night_pain=True))
    )
    [flag] = result.red_flags
    assert flag.id == "constant_night_pain" and [(a.question, a.value) for a in flag.answers] == [
        ("night_pain", True)
    ]
    assert flag.urgency == "days" and result.urgency == "days"
    [finding] = result.findings
    assert finding.id == "limits_activity"
    assert [(a.question, a.value, a.shown) for a in finding.answers] == [("activity_limitation", 6, "6/10")]


def test_unanswered_red_flag_questions_are_not_ruled_out(ruleset: Ruleset) -> None:
    values = check_answers(ruleset, {"pain_duration_months": 8, "fear_of_movement": True})
    result = explain(ruleset, values)
    open_ids = {f.id for f in result.red_flags_not_ruled_out}
    assert {
        "cauda_equina_bladder",
        "cauda_equina_saddle",
        "stroke_like_signs",
        "sudden_headache",
        "under_16",
        "self_harm",
    } <= open_ids
    assert not result.red_flags
    saddle = next(m for m in result.missing if m.question == "saddle_numbness")
    assert saddle.safety and saddle.note == "could not be ruled out"
    assert result.complete is False
    # unknown is not safe: see a doctor, under its own title, with no physical-therapy headline or step
    assert result.level == "see_doctor" and result.unchecked
    assert ruleset.unchecked is not None
    assert result.title == ruleset.unchecked.title.default == "Some warning signs could not be checked"
    assert not any("physical therapy" in s for s in result.next_steps)
    assert result.what_would_change == []


UNSURE_CONTEXT: dict[str, dict[str, Any]] = {  # answers that make a gated safety question asked
    "weakness_fast": {"progressive_weakness": True},
    "self_harm_danger": {"self_harm_thoughts": True},
    "jaw_scalp_headache": {"age_years": 55},
    "dizziness_ongoing": {"pain_areas": ["neck_shoulder"]},
    "fracture_risk": {"minor_trauma": True},
    "blood_thinners": {"minor_trauma": True},
    "morning_stiffness": {"pain_duration_months": 12, "age_years": 30},
}


@pytest.mark.parametrize("question", sorted(SAFETY_BOOLS - {"self_harm_danger"}))
def test_not_sure_or_missing_on_any_asked_safety_question_leaves_a_sign_open(
    ruleset: Ruleset, question: str
) -> None:
    scorer = Scorer(ruleset)
    full = answers(ruleset, **UNSURE_CONTEXT.get(question, {}))
    assert question in full, "the helper answers every asked safety question"
    for changed in ({**full, question: "unsure"}, {k: v for k, v in full.items() if k != question}):
        ev = scorer.evaluate(check_answers(ruleset, changed))
        if question == "self_harm_thoughts" and question in changed:
            # 'not sure' counts as yes (ASQ), and its follow-up not answered as positive: help now
            assert ev.red_flags == ("self_harm_danger_not_answered",) and ev.level == "emergency"
            continue
        assert ev.red_flags_unknown, (question, changed.get(question))
        if ev.red_flags:  # a follow-up's parent sign fires on its own, and sets the level
            assert scorer.rank(ev.level) >= scorer.rank("see_doctor")
        else:
            assert ev.level == "see_doctor" and ev.unchecked


def test_a_fired_emergency_keeps_its_level_when_other_signs_are_open(ruleset: Ruleset) -> None:
    ev = Scorer(ruleset).evaluate(
        check_answers(ruleset, answers(ruleset, stroke_signs=True, calf_swelling="unsure"))
    )
    assert ev.level == "emergency" and not ev.unchecked and "possible_blood_clot" in ev.red_flags_unknown


def test_what_would_change_names_the_smallest_change(ruleset: Ruleset) -> None:
    values = check_answers(
        ruleset, answers(ruleset, activity_limitation=3, fear_of_movement=True, pain_duration_months=5)
    )
    result = explain(ruleset, values)
    assert result.level == "pt_consider"
    summaries = [c.summary for c in result.what_would_change]
    assert (
        summaries[0] == "If one more of the reasons on the list fitted your answers, the result would be 'Seeing a physical therapist is recommended'."
    )
    up = [c for c in result.what_would_change if c.level == "pt_recommended" and c.question]
    assert {(c.question, c.proposed) for c in up} >= {
        ("activity_limitation", 4),
        ("tightness_trigger_points", True),
    }


def test_what_would_change_uses_an_outcomes_own_threshold(ruleset: Ruleset) -> None:
    """An outcome's condition ('activity limitation 7 or more') is a threshold of its own: the nearest
    change is 7/10, not the scale's end (found by a new user's run: it said 10/10)."""
    values = check_answers(ruleset, answers(ruleset, activity_limitation=2, pain_duration_months=8))
    result = explain(ruleset, values)
    up = {c.proposed for c in result.what_would_change if c.question == "activity_limitation"}
    assert up == {7}


def test_red_flag_result_never_says_what_would_change(ruleset: Ruleset) -> None:
    """2.0: under a warning sign the result never tells the person which safety answer to withdraw."""
    result = explain(ruleset, check_answers(ruleset, answers(ruleset, **ALL_CRITERIA, cancer_history=True)))
    assert result.level == "see_doctor" and result.warning
    assert result.what_would_change == []
    assert result.pt_level == "pt_recommended"  # what the PT rules alone give stays in the data


def test_result_identifies_ruleset_and_tool(ruleset: Ruleset) -> None:
    from stm_screen import __version__

    result = explain(ruleset, check_answers(ruleset, CALM))
    assert result.ruleset == {"id": "pt-screen", "version": ruleset.version, "sha256": ruleset.sha256}
    assert len(ruleset.sha256) == 64 and result.tool_version == __version__


def test_explain_is_deterministic(ruleset: Ruleset) -> None:
    values = check_answers(ruleset, {**CALM, **ALL_CRITERIA})
    assert explain(ruleset, values).to_dict() == explain(ruleset, dict(reversed(values.items()))).to_dict()


# --- invariants --------------------------------------------------------------------------------------------

AREAS = list(RULESET.by_id["pain_areas"].choice_ids)
PT_BOOLS = ["tightness_trigger_points", "recurrent_flare_ups", "fear_of_movement"]


@st.composite
def answer_sets(draw: Any) -> dict[str, Any]:
    """Complete 2.0 answer sets: the calm answers with a few changes, every asked safety question answered."""
    changes: dict[str, Any] = {
        "age_years": draw(st.integers(0, 120)),
        "pain_duration_months": draw(
            st.one_of(
                st.sampled_from([0, 1, 1.49, 1.5, 2.9, 3, 3.01, 6, 12, 120]),
                st.floats(0, 600, allow_nan=False),
            )
        ),
        "pain_areas": draw(st.lists(st.sampled_from(AREAS), unique=True, min_size=1)),
        "pain_trend": draw(st.sampled_from(["better", "same", "worse"])),
        "activity_limitation": draw(st.integers(0, 10)),
        **{q: draw(st.booleans()) for q in PT_BOOLS},
    }
    for q in draw(st.lists(st.sampled_from(sorted(SAFETY_BOOLS)), max_size=3, unique=True)):
        changes[q] = True
    return complete(RULESET, {**CALM, **changes})


def expected_level(a: dict[str, Any]) -> str:
    """The level as the 2.0 contract (issue 9) states it, written out by hand."""
    areas = set(a["pain_areas"])
    months, age, limit = a["pain_duration_months"], a["age_years"], a["activity_limitation"]
    spine = bool(areas & {"low_back", "mid_back", "neck_shoulder", "widespread"})
    back = bool(areas & {"low_back", "mid_back"})
    recent = months <= 3
    yes = {q for q, v in a.items() if v is True}
    if (
        yes
        & {
            "bladder_bowel_change",
            "saddle_numbness",
            "stroke_signs",
            "sudden_severe_headache",
            "self_harm_thoughts",
        }
        or {"progressive_weakness", "weakness_fast"} <= yes
        # symptoms in both legs with a weakening limb: possible cauda equina (pt-screen 2.2)
        or {"both_legs_symptoms", "progressive_weakness"} <= yes
        # fever with spinal pain and nerve signs: possible infection near the spine (pt-screen 2.3)
        or (
            "fever_or_unwell" in yes
            and spine
            and bool(yes & {"progressive_weakness", "both_legs_symptoms", "clumsy_hands_or_gait"})
        )
        # cancer with spinal or night pain and nerve signs: possible spinal cord compression (NICE NG234)
        or (
            "cancer_history" in yes
            and (spine or "night_pain" in yes)
            and bool(yes & {"progressive_weakness", "both_legs_symptoms", "clumsy_hands_or_gait"})
        )
        # pt-screen 2.4: a swollen calf with chest pain (NG158); a new headache and neck pain with a fever
        # (NG240); a knock to the head or face on a blood thinner (NG232)
        or {"calf_swelling", "chest_arm_pain_exertion"} <= yes
        or ("fever_or_unwell" in yes and {"head_jaw", "neck_shoulder"} <= areas and months < 1)
        or (
            "blood_thinners" in yes
            and bool(yes & {"minor_trauma", "major_trauma"})
            and "head_jaw" in areas
            and months <= 3
            and (months <= 0.5 or a["pain_trend"] == "worse")
        )
        # a fever with spinal pain and a higher risk of infection (NG151)
        or ("fever_or_unwell" in yes and "infection_risk" in yes and spine)
    ):
        return "emergency"
    see_doctor = [
        yes
        & {
            "both_legs_symptoms",
            "progressive_weakness",
            "clumsy_hands_or_gait",
            "chest_arm_pain_exertion",
            "calf_swelling",
            "fever_or_unwell",
            "unexplained_weight_loss",
            "night_pain",
            "bone_pain_impact",
        },
        age < 16,
        "jaw_scalp_headache" in yes and age >= 50,
        "head_jaw" in areas and age >= 50 and months < 3,  # a new headache at 50 or over (pt-screen 2.3)
        "dizziness_ongoing" in yes and bool(areas & {"neck_shoulder", "head_jaw", "widespread"}),
        "infection_risk" in yes and spine,
        "cancer_history" in yes and (spine or bool(yes & {"night_pain", "unexplained_weight_loss"})),
        "major_trauma" in yes and recent,
        "minor_trauma" in yes and ("fracture_risk" in yes or age >= 70) and recent,
        "blood_thinners" in yes and bool(yes & {"minor_trauma", "major_trauma"}) and recent,
        "morning_stiffness" in yes and back and months >= 3 and age - months / 12 < 45,
        # pt-screen 2.4: neck or shoulder pain within a week of a fall at 65 or over; new mid-back pain at 50+
        bool(yes & {"minor_trauma", "major_trauma"}) and "neck_shoulder" in areas and age >= 65 and months <= 0.25,
        "mid_back" in areas and age >= 50 and months < 3,
    ]
    if any(see_doctor):
        return "see_doctor"
    fear = a["fear_of_movement"]
    if months < 1.5 and a["pain_trend"] == "better" and limit < 4 and not fear:
        return "self_care"
    if limit >= 7 or (fear and limit >= 4):
        return "pt_recommended"
    met = sum([months >= 3, a["tightness_trigger_points"], limit >= 4, a["recurrent_flare_ups"], fear])
    return "self_care" if met == 0 else "pt_consider" if met <= 2 else "pt_recommended"


FLAG_CHANGES = {
    **EMERGENCY,
    **{k: v for k, v in SEE_DOCTOR.items() if k not in ("cancer_history", "infection_risk")},
}


@settings(max_examples=250, deadline=None)
@given(answers=answer_sets(), flag=st.sampled_from(sorted(FLAG_CHANGES)))
def test_adding_a_red_flag_never_lowers_urgency(ruleset: Ruleset, answers: dict[str, Any], flag: str) -> None:
    scorer = Scorer(ruleset)
    before = scorer.evaluate(check_answers(ruleset, answers))
    # add the sign; a follow-up the change answers "no" keeps a "yes" it already has (adding, never removing)
    change = {k: v for k, v in FLAG_CHANGES[flag].items() if v or answers.get(k) is not True}
    after = scorer.evaluate(check_answers(ruleset, {**answers, **change}))
    assert scorer.rank(after.level) >= scorer.rank(before.level)
    assert scorer.rank(after.level) >= scorer.rank("see_doctor")


CRITERIA_UP = {**ALL_CRITERIA, "activity_limitation": 10}


@settings(max_examples=250, deadline=None)
@given(answers=answer_sets(), change=st.sampled_from(sorted(CRITERIA_UP)))
def test_meeting_one_more_criterion_never_lowers_the_pt_level(
    ruleset: Ruleset, answers: dict[str, Any], change: str
) -> None:
    scorer = Scorer(ruleset)
    before = scorer.evaluate(check_answers(ruleset, answers))
    after = scorer.evaluate(
        check_answers(ruleset, complete(ruleset, {**answers, change: CRITERIA_UP[change]}))
    )
    assert len(after.criteria_met) >= len(before.criteria_met)
    assert scorer.rank(after.pt_level) >= scorer.rank(before.pt_level)


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets())
def test_level_follows_the_rules_as_written(ruleset: Ruleset, answers: dict[str, Any]) -> None:
    ev = Scorer(ruleset).evaluate(check_answers(ruleset, answers))
    assert not ev.red_flags_unknown and not ev.unchecked
    assert ev.level == expected_level(answers)


@settings(max_examples=250, deadline=None)
@given(answers=answer_sets(), data=st.data())
def test_not_sure_instead_of_no_never_lowers_urgency(
    ruleset: Ruleset, answers: dict[str, Any], data: Any
) -> None:
    """Unknown is not safe: turning a safety 'no' into 'not sure' can only keep or raise the level."""
    noes = sorted(q for q in SAFETY_BOOLS if answers.get(q) is False)
    if not noes:
        return
    question = data.draw(st.sampled_from(noes))
    scorer = Scorer(ruleset)
    before = scorer.evaluate(check_answers(ruleset, answers))
    after = scorer.evaluate(check_answers(ruleset, {**answers, question: "unsure"}))
    assert scorer.rank(after.level) >= scorer.rank(before.level)
    if after.red_flags_unknown and not after.red_flags:
        assert after.level == "see_doctor" and after.unchecked


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


def test_the_tools_own_unchecked_wording_speaks_every_declared_language(tmp_path: Any) -> None:
    """A ruleset in English and Spanish with no 'unchecked:' of its own: the tool's fallback result for
    warning signs that could not be ruled out is said in Spanish too, never English to a Spanish reader."""
    from pathlib import Path

    bundled = Path(__file__).resolve().parent.parent / "rules" / "pt-screen.yaml"
    text = bundled.read_text(encoding="utf-8")
    start, end = text.index("\nunchecked:\n"), text.index("\noutcomes:\n")
    path = tmp_path / "no-unchecked.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    loaded = load_ruleset(path)
    assert loaded.unchecked is not None
    assert loaded.unchecked.title.get("en") == "Some warning signs could not be checked"
    assert loaded.unchecked.title.get("es") == "No se pudieron revisar algunas señales de alarma"
    steps = loaded.unchecked.next_steps
    assert all(step.get("es") != step.get("en") for step in steps)
    # what to do if a sign fits, then how soon a doctor (a time frame, never just 'contact your doctor')
    assert "Si una le corresponde, haga lo que dice" in steps[0].get("es")
    assert "vea a un médico en los próximos días" in steps[-1].get("es")
    assert "see a doctor in the next few days" in steps[-1].get("en")
    assert "médico" in loaded.unchecked.advice.get("es")
    assert all("below" not in str(t.get("en")) for t in (loaded.unchecked.advice, *steps))


# --- 'not sure' taken as yes (unsure_means_yes): the self-harm question, after the ASQ --------------------


def test_only_the_self_harm_questions_take_not_sure_as_yes(ruleset: Ruleset) -> None:
    """Declared in the rules, citing the ASQ (the screen and its acuity question); every other question's
    'not sure' keeps its meaning."""
    taken = {q.id: q.unsure_source for q in ruleset.questions if q.unsure_yes}
    assert taken == {"self_harm_thoughts": "asq", "self_harm_danger": "asq"}


@pytest.mark.parametrize("thoughts", [True, "unsure"])
def test_not_sure_about_acting_on_the_thoughts_is_an_emergency_now(ruleset: Ruleset, thoughts: Any) -> None:
    """The ASQ's acuity question: someone unsure whether they will act soon is at risk now."""
    scorer = Scorer(ruleset)
    ev = scorer.evaluate(
        check_answers(ruleset, {**CALM, "self_harm_thoughts": thoughts, "self_harm_danger": "unsure"})
    )
    assert (ev.level, ev.red_flags, ev.red_flags_unknown) == ("emergency", ("self_harm_danger_now",), ())
    assert "self_harm_danger" in ev.unsure


@pytest.mark.parametrize("danger", [None, False, True, "unsure"])
def test_not_sure_about_self_harm_counts_as_yes(ruleset: Ruleset, danger: Any) -> None:
    """Skip logic, warning signs and level are those of 'yes' (the follow-up is asked); the answer stays
    'not sure' in the evaluation, the JSON answers and the unsure list, and is shown so behind the sign."""
    scorer = Scorer(ruleset)
    extra = {} if danger is None else {"self_harm_danger": danger}
    said = check_answers(ruleset, {**CALM, "self_harm_thoughts": "unsure", **extra})
    yes = check_answers(ruleset, {**CALM, "self_harm_thoughts": True, **extra})
    ev, ev_yes = scorer.evaluate(said), scorer.evaluate(yes)
    assert "self_harm_danger" not in ev.skipped
    assert (ev.level, ev.red_flags, ev.red_flags_unknown, ev.skipped, ev.missing, ev.scores) == (
        ev_yes.level,
        ev_yes.red_flags,
        ev_yes.red_flags_unknown,
        ev_yes.skipped,
        ev_yes.missing,
        ev_yes.scores,
    )
    assert ev.level == "emergency" and ev.values["self_harm_thoughts"] is True
    assert ev.unsure == ev_yes.unsure | {"self_harm_thoughts"}  # and the danger question's own 'not sure'
    expected = {True: "self_harm_danger_now", "unsure": "self_harm_danger_now", False: "self_harm"}
    assert ev.red_flags == (expected.get(danger, "self_harm_danger_not_answered"),)  # None: not answered
    assert ("self_harm_danger" in ev.missing) == (danger is None)
    result = explain(ruleset, said).to_dict()
    assert result["answers"]["self_harm_thoughts"] == "unsure"
    assert "self_harm_thoughts" in result["unsure"]
    (fired,) = result["red_flags"]
    assert {"question": "self_harm_thoughts", "value": "unsure", "shown": "not sure (taken as yes)"} in [
        {k: a[k] for k in ("question", "value", "shown")} for a in fired["answers"]
    ]
    for sign in result["red_flags_not_ruled_out"]:  # only the danger question can leave a sign open
        assert [a["question"] for a in sign["answers"]] == ["self_harm_danger"]
    assert "even if you are not sure" in fired["explanation"] or danger in (True, "unsure", None)  # None: help now


@pytest.mark.parametrize("question", sorted(SAFETY_BOOLS - {"self_harm_thoughts", "self_harm_danger"}))
def test_not_sure_on_any_other_safety_question_is_not_known(ruleset: Ruleset, question: str) -> None:
    """Elsewhere 'not sure' is what a blank is to the rules: the same signs fire and stay open."""
    scorer = Scorer(ruleset)
    full = answers(ruleset, **UNSURE_CONTEXT.get(question, {}))
    said = scorer.evaluate(check_answers(ruleset, {**full, question: "unsure"}))
    blank = scorer.evaluate(check_answers(ruleset, {k: v for k, v in full.items() if k != question}))
    assert (said.level, said.red_flags, said.red_flags_unknown, said.skipped) == (
        blank.level,
        blank.red_flags,
        blank.red_flags_unknown,
        blank.skipped,
    )
    assert question not in said.values and question in said.unsure


UNSURE_YES_RULES = """
id: unsure-yes
version: "1"
title: Not sure taken as yes
disclaimer: A test ruleset, not for use with people.
sources:
  - {id: test, citation: Test fixture}
sections:
  - {id: safety, title: Safety, safety: true}
questions:
  - {id: dark, section: safety, type: boolean, unsure_means_yes: {source: test}, text: Dark thoughts?}
  - {id: hurt, section: safety, type: boolean, text: Hurt?}
  - {id: plan, section: safety, type: boolean, ask_if: dark, text: A plan?}
red_flags:
  - {id: low, when: dark, level: see_doctor, urgency: today, title: Low, message: Talk to someone., source: test}
criteria:
  - {id: dark_point, when: dark, title: Dark, explanation: Dark., source: test}
scores:
  - {id: items, title: Items, items: [dark, hurt]}
  - {id: total, title: Total, criteria: all}
levels:
  - {id: low_level, title: Low, advice: Rest.}
  - {id: see_doctor, title: Doctor, advice: See a doctor.}
outcomes:
  - {level: low_level, score: total, min: 0}
examples:
  - {name: not sure is yes, level: see_doctor, red_flags: [low], open: [], answers: {dark: unsure, hurt: false, plan: false}, scores: {items: 1, total: 1}}
  - {name: a plain no, level: low_level, red_flags: [], answers: {dark: false, hurt: false}, scores: {items: 0, total: 0}}
"""


def test_not_sure_taken_as_yes_counts_in_scores_and_criteria(tmp_path: Any) -> None:
    path = tmp_path / "unsure-yes.yaml"
    path.write_text(UNSURE_YES_RULES, encoding="utf-8")
    rules = load_ruleset(path)  # its examples pass: 'not sure' to dark is yes to the warning sign and scores
    scorer = Scorer(rules)
    ev = scorer.evaluate(check_answers(rules, {"dark": "unsure", "hurt": "unsure", "plan": False}))
    assert ev.criteria_met == ("dark_point",) and ev.red_flags == ("low",)
    assert ev.scores["items"] is None  # hurt's 'not sure' is not known: an item left out
    assert ev.unsure == {"dark", "hurt"}
    ev = scorer.evaluate(check_answers(rules, {"dark": "unsure", "hurt": True, "plan": False}))
    assert ev.scores == {"items": 2, "total": 1} and ev.complete
