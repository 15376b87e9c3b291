"""The questionnaire's pure state machine: order, skip logic, back, review, emergencies."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stm_screen.core.engine import Scorer
from stm_screen.core.ruleset import UNSURE
from stm_screen.prompt.flow import Flow
from stm_screen.rules.loader import load_ruleset
from tests._keys import CALM as CALM_FLOW

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def skip_rules():  # type: ignore[no-untyped-def]
    return load_ruleset(DATA / "skip-rules.yaml")


def test_starts_at_first_question_and_counts(ruleset) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(ruleset)
    assert flow.current is not None and flow.current.id == "age_years" and flow.current.required
    assert flow.position() == (1, 36)  # 9 gated questions may still apply: counted until ruled out
    flow.answer(35)
    assert flow.current is not None and flow.current.id == "pregnant"  # asked at 12 to 60
    assert flow.position() == (2, 35)  # pregnancy applies at 35; its own follow-ups are ruled out
    flow.answer(False)
    assert flow.current is not None and flow.current.id == "pain_duration_months"
    assert flow.position() == (3, 35)
    flow.answer(12)
    assert flow.current is not None and flow.current.id == "pain_areas"
    flow.answer(frozenset({"low_back"}))  # low back, 12 months, began at 34: infection and stiffness apply
    assert flow.current is not None and flow.current.id == "pain_trend"
    assert flow.position() == (5, 32)  # the count never grows: it shrinks as answers rule follow-ups out


def test_pregnancy_is_not_asked_outside_its_ages(ruleset) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(ruleset)
    flow.answer(75)
    assert flow.current is not None and flow.current.id == "pain_duration_months"


def test_gated_safety_questions_follow_their_conditions(ruleset) -> None:  # type: ignore[no-untyped-def]
    base = {
        "age_years": 40,
        "pregnant": False,
        "pain_duration_months": 1,
        "pain_areas": frozenset({"tendon"}),
    }
    ids = lambda answers: {q.id for q in Flow(ruleset, answers).applicable()}  # noqa: E731
    calm = ids(base)
    for gated in (
        "weakness_fast",
        "jaw_scalp_headache",
        "dizziness_ongoing",
        "infection_risk",
        "fracture_risk",
        "blood_thinners",
        "morning_stiffness",
        "self_harm_danger",
    ):
        assert gated not in calm
    assert "weakness_fast" in ids({**base, "progressive_weakness": True})
    assert "self_harm_danger" in ids({**base, "self_harm_thoughts": True})
    assert "jaw_scalp_headache" in ids({**base, "age_years": 50})
    assert "jaw_scalp_headache" not in ids({**base, "age_years": 49})
    assert "dizziness_ongoing" in ids({**base, "pain_areas": frozenset({"head_jaw"})})
    assert "infection_risk" in ids({**base, "pain_areas": frozenset({"mid_back"})})
    assert {"fracture_risk", "blood_thinners"} <= ids({**base, "minor_trauma": True})
    assert "blood_thinners" in ids({**base, "major_trauma": True})
    assert "fracture_risk" not in ids({**base, "major_trauma": True})
    assert "blood_thinners" not in ids({**base, "major_trauma": True, "pain_duration_months": 4})
    back = {**base, "pain_areas": frozenset({"low_back"}), "pain_duration_months": 24}
    assert "morning_stiffness" in ids(back)  # began at 38
    assert "morning_stiffness" not in ids({**back, "age_years": 47})  # began at 45
    assert "morning_stiffness" not in ids({**back, "pain_duration_months": 2})


def test_a_not_sure_parent_hides_its_follow_up(ruleset) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(ruleset)
    flow.answer(40)
    flow.answer(False)
    flow.answer(1)
    flow.answer(frozenset({"tendon"}))
    while flow.current is not None and flow.current.id != "progressive_weakness":
        flow.answer(
            "same" if flow.current.type == "choice" else (False if flow.current.type == "boolean" else 2)
        )
    assert flow.answer("unsure") == []
    assert flow.current is not None and flow.current.id == "clumsy_hands_or_gait"  # weakness_fast not asked
    assert "weakness_fast" not in {q.id for q in flow.applicable()}
    flow.back()
    assert flow.current is not None and flow.current.id == "progressive_weakness"
    assert flow.default(flow.current) == "unsure"
    flow.answer(True)
    assert flow.current is not None and flow.current.id == "weakness_fast"


def test_not_sure_about_self_harm_asks_the_follow_up_and_is_an_emergency_at_once(ruleset) -> None:  # type: ignore[no-untyped-def]
    """unsure_means_yes (the ASQ): 'not sure' is announced as the emergency 'yes' is, the follow-up is asked
    next, and the review shows the answer as it was given."""
    from stm_screen.core.answers import describe

    flow = Flow(ruleset)
    flow.answer(40)
    flow.answer(False)
    flow.answer(1)
    flow.answer(frozenset({"tendon"}))
    while flow.current is not None and flow.current.id != "self_harm_thoughts":
        flow.answer(
            "same" if flow.current.type == "choice" else (False if flow.current.type == "boolean" else 2)
        )
    before = flow.position()[1]
    fired = flow.answer(UNSURE)
    assert [rf.id for rf in fired] == ["self_harm"]  # said at once
    assert flow.current is not None and flow.current.id == "self_harm_danger"
    assert flow.position()[1] == before  # the follow-up was counted while it might apply
    assert [rf.id for rf in flow.answer(True)] == ["self_harm_danger_now"]
    line = next(r for r in flow.review() if r.question.id == "self_harm_thoughts")
    assert line.value == UNSURE and describe(line.question, line.value) == "not sure"
    flow.back()
    flow.back()
    assert flow.current is not None and flow.current.id == "self_harm_thoughts"
    assert flow.answer(False) == []  # no: the follow-up no longer applies, and its answer is dropped
    assert "self_harm_danger" not in flow.answers and flow.current.id != "self_harm_danger"


def test_skip_logic_skips_when_condition_false(skip_rules) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(skip_rules)
    flow.answer(False)  # has_pain: no -> pain_months and sport are skipped
    assert flow.current is not None and flow.current.id == "urgent"
    assert [q.id for q in flow.applicable()] == ["has_pain", "urgent"]


def test_skip_logic_asks_when_condition_true(skip_rules) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(skip_rules)
    flow.answer(True)
    assert flow.current is not None and flow.current.id == "pain_months"
    flow.answer(1)  # pain_months > 2 is False -> sport skipped
    assert flow.current is not None and flow.current.id == "urgent"
    flow.back()
    flow.answer(5)
    assert flow.current is not None and flow.current.id == "sport"


def test_changing_an_earlier_answer_drops_answers_that_no_longer_apply(skip_rules) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(skip_rules)
    for value in (True, 5, "running", False):
        flow.answer(value)
    assert flow.done and flow.reviewing
    flow.change("has_pain")
    flow.answer(False)
    assert flow.done
    assert flow.values() == {"has_pain": False, "urgent": False}


def test_back_returns_to_previous_applicable_question_with_default(skip_rules) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(skip_rules)
    assert flow.back() is False  # nothing before the first question
    flow.answer(False)
    assert flow.back() is True
    assert flow.current is not None and flow.current.id == "has_pain"
    assert flow.default(flow.current) is False


def test_review_then_change_asks_newly_applicable_questions(skip_rules) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(skip_rules)
    flow.answer(False)
    flow.answer(False)
    assert flow.done
    assert [(r.question.id, r.value) for r in flow.review()] == [("has_pain", False), ("urgent", False)]
    flow.change("has_pain")
    flow.answer(True)
    # pain_months now applies and has no answer: asked next, then sport, then back to review
    assert flow.current is not None and flow.current.id == "pain_months"
    flow.answer(10)
    assert flow.current is not None and flow.current.id == "sport"
    flow.answer("none")
    assert flow.done
    assert flow.values() == {"has_pain": True, "pain_months": 10, "sport": "none", "urgent": False}


def test_emergency_is_reported_once_when_answered(skip_rules) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(skip_rules)
    assert flow.answer(False) == []
    fired = flow.answer(True)
    assert [rf.id for rf in fired] == ["urgent"]
    assert fired[0].level == "emergency"
    flow.change("has_pain")
    assert flow.answer(False) == []  # still fired, already announced


def test_restored_answers_continue_at_first_unanswered(ruleset) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(
        ruleset,
        {
            "age_years": 40,
            "pregnant": False,
            "pain_duration_months": 4,
            "pain_areas": frozenset({"low_back"}),
            "pain_trend": "same",
            "pain_intensity": 5,
        },
    )
    assert flow.current is not None and flow.current.id == "bladder_bowel_change"
    assert flow.position() == (7, 32)


def test_see_doctor_flags_do_not_interrupt(ruleset) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(ruleset)
    while flow.current is not None and flow.current.id != "cancer_history":
        q = flow.current
        if q.type == "multi_choice":
            flow.answer(frozenset({"low_back"}))
        else:
            flow.answer("same" if q.type == "choice" else (False if q.type == "boolean" else 40))
    fired = flow.answer(True)
    assert fired == []
    assert (
        "cancer_with_spine_pain" in Scorer(ruleset).evaluate(flow.answers).red_flags
    )  # fired, not interrupting


def test_stop_ends_asking(skip_rules) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(skip_rules)
    flow.answer(True)
    flow.stop()
    assert flow.done and flow.stopped_early
    assert flow.values() == {"has_pain": True}


def test_an_optional_question_left_blank_is_not_asked_again(ruleset) -> None:  # type: ignore[no-untyped-def]
    flow = Flow(ruleset)
    flow.answer(40)
    flow.answer(False)
    flow.answer(6)
    flow.answer(frozenset({"tendon"}))
    flow.answer("same")
    assert flow.current is not None and flow.current.id == "pain_intensity" and not flow.current.required
    flow.leave_blank()
    while flow.current is not None:
        flow.answer(False if flow.current.type == "boolean" else 2)
    assert flow.done
    assert "pain_intensity" not in flow.values()
    assert [r.value for r in flow.review() if r.question.id == "pain_intensity"] == [None]


def _some_answer(q, pick: int):  # type: ignore[no-untyped-def]
    """One valid answer to ``q`` chosen by ``pick`` (or 'not sure' where the question offers it)."""
    if q.type == "boolean":
        options: list[object] = [True, False] + ([UNSURE] if q.unsure else [])
        return options[pick % len(options)]
    if q.type == "choice":
        return q.choices[pick % len(q.choices)].id
    if q.type == "multi_choice":
        return frozenset({q.choices[pick % len(q.choices)].id})
    low = 0 if q.min is None else int(q.min)
    high = low + 100 if q.max is None else int(q.max)
    return low + pick % (high - low + 1)


@settings(max_examples=60, deadline=None)
@given(picks=st.lists(st.integers(min_value=0, max_value=1000), min_size=60, max_size=60))
def test_the_question_count_never_grows(ruleset, picks: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Whatever is answered, the total in "(n/total)" only stays or shrinks, the number goes up by one each
    question, and at the end the total is the number of questions asked."""
    flow = Flow(ruleset)
    number, total = flow.position()
    assert number == 1
    asked = 0
    for pick in picks:
        q = flow.current
        if q is None:
            break
        flow.answer(_some_answer(q, pick))
        asked += 1
        new_number, new_total = flow.position()
        assert new_total <= total
        if flow.current is not None:
            assert new_number == asked + 1
        number, total = new_number, new_total
    assert flow.current is None
    assert flow.position() == (asked, asked)


def test_stopping_after_the_self_harm_advice_asks_the_acuity_question_first(ruleset) -> None:  # type: ignore[no-untyped-def]
    """The follow-up that can make the emergency more urgent comes before the result; answered no, the flow
    stops; answered yes, it stops too: its own emergency is said, then the result (the person is not asked
    again whether to stop)."""
    for danger in (False, True):
        flow = Flow(ruleset)
        while flow.current is not None and flow.current.id != "self_harm_thoughts":
            flow.answer(CALM_FLOW[flow.current.id])
        fired = flow.answer(True)
        assert [rf.id for rf in fired] == ["self_harm"]
        follow = flow.escalating_follow_up(fired)
        assert follow is not None and follow.id == "self_harm_danger" == flow.current.id
        flow.stop_after_answer(follow)
        number, total = flow.position()
        assert number == total  # the last question before the result: the count says so
        again = flow.answer(danger)
        assert flow.stopped_early and flow.done
        assert [rf.id for rf in again] == (["self_harm_danger_now"] if danger else [])
    other = Flow(ruleset)
    assert other.escalating_follow_up([rf for rf in ruleset.red_flags if rf.id == "cauda_equina_bladder"]) is None
