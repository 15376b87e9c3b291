"""Keystrokes that answer the questionnaire like a person, for prompt_toolkit pipe input and pexpect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOWN = "\x1b[B"
ENTER = "\r"
CTRL_C = "\x03"
BACKSPACE = "\x7f"
UNSURE = "unsure"  # the 'Not sure' answer of a safety question

# A calm adult with recent low back pain: exactly the questions of pt-screen 2.0 that these answers make
# apply, answered with no warning sign (the gated follow-ups they hide are left out).
CALM: dict[str, Any] = {
    "age_years": 35,
    "pregnant": False,
    "pain_duration_months": 1,
    "pain_areas": ["low_back"],
    "pain_trend": "same",
    "pain_intensity": 3,
    "bladder_bowel_change": False,
    "saddle_numbness": False,
    "both_legs_symptoms": False,
    "progressive_weakness": False,
    "clumsy_hands_or_gait": False,
    "stroke_signs": False,
    "sudden_severe_headache": False,
    "chest_arm_pain_exertion": False,
    "calf_swelling": False,
    "fever_or_unwell": False,
    "hot_swollen_joint": False,
    "infection_risk": False,
    "cancer_history": False,
    "unexplained_weight_loss": False,
    "night_pain": False,
    "major_trauma": False,
    "minor_trauma": False,
    "bone_pain_impact": False,
    "self_harm_thoughts": False,
    "activity_limitation": 2,
    "tightness_trigger_points": False,
    "recurrent_flare_ups": False,
    "fear_of_movement": False,
}

# The gated follow-up questions, answered no: add them to answers that make them apply (keys_for and
# plain_lines skip those that are not asked).
GATED_NO: dict[str, Any] = {
    "weakness_fast": False,
    "jaw_scalp_headache": False,
    "dizziness_ongoing": False,
    "fracture_risk": False,
    "blood_thinners": False,
    "morning_stiffness": False,
    "self_harm_danger": False,
}


def _typed(q: Any, value: Any) -> Any:
    if q.type == "multi_choice":
        return frozenset(value)
    if q.type == "boolean" and isinstance(value, str) and value != UNSURE:
        return value == "yes"
    return value


def asked(ruleset: Any, answers: Mapping[str, Any]) -> list[Any]:
    """The questions the questionnaire asks, in order, when a person gives these answers."""
    from stm_screen.core.engine import Scorer

    scorer = Scorer(ruleset)
    given: dict[str, Any] = {}
    out = []
    for q in ruleset.questions:
        if q.id in answers and scorer.asked(q, given):
            out.append(q)
            given[q.id] = _typed(q, answers[q.id])
    return out


def applied(ruleset: Any, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Only the answers of questions that are asked (what the saved report holds)."""
    return {q.id: answers[q.id] for q in asked(ruleset, answers)}


def key_for(q: Any, value: Any) -> str:
    """The keys that give this answer in the questionary prompts (numbers select, space ticks)."""
    if q.type == "boolean":
        if value == UNSURE:
            return "3" + ENTER  # Yes / No / Not sure
        return ("1" if value else "2") + ENTER
    if q.type == "choice":
        return str(q.choice_ids.index(value) + 1) + ENTER
    if q.type == "multi_choice":
        keys = ""
        for cid in q.choice_ids:
            keys += (" " if cid in value else "") + DOWN
        return keys + ENTER
    return f"{value}{ENTER}"


def keys_for(
    ruleset: Any,
    answers: Mapping[str, Any],
    *,
    review: bool = True,
    after: str | None = None,
    until: str | None = None,
) -> str:
    """Keys answering every question these answers make apply, in the ruleset's order, then the review.

    ``after``: start with the question after this one; ``until``: stop after this one (and no review).
    """
    keys = ""
    started = after is None
    for q in asked(ruleset, answers):
        if started:
            keys += key_for(q, answers[q.id])
        if q.id == after:
            started = True
        if q.id == until:
            return keys
    if until is not None:
        raise AssertionError(f"{until} is not asked with these answers")
    return keys + (ENTER if review else "")


def plain_line(q: Any, value: Any) -> str:
    """What a person types in plain mode for this answer."""
    if q.type == "boolean":
        if value == UNSURE:
            return "not sure"
        return "yes" if value else "no"
    if q.type == "choice":
        return str(q.choice_ids.index(value) + 1)
    if q.type == "multi_choice":
        return ",".join(str(q.choice_ids.index(c) + 1) for c in value) or "0"
    return str(value)


def plain_lines(
    ruleset: Any, answers: Mapping[str, Any], *, after: str | None = None, until: str | None = None
) -> list[str]:
    """The lines typed in plain mode for every question these answers make apply (no review line)."""
    lines: list[str] = []
    started = after is None
    for q in asked(ruleset, answers):
        if started:
            lines.append(plain_line(q, answers[q.id]))
        if q.id == after:
            started = True
        if q.id == until:
            return lines
    if until is not None:
        raise AssertionError(f"{until} is not asked with these answers")
    return lines
