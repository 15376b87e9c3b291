"""Keystrokes that answer the questionnaire like a person, for prompt_toolkit pipe input and pexpect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOWN = "\x1b[B"
ENTER = "\r"
CTRL_C = "\x03"
BACKSPACE = "\x7f"

CALM: dict[str, Any] = {
    "pain_duration_months": 1,
    "pain_areas": ["low_back"],
    "pain_intensity": 3,
    "bladder_bowel_change": False,
    "saddle_numbness": False,
    "progressive_weakness": False,
    "stroke_signs": False,
    "self_harm_thoughts": False,
    "fever_or_unwell": False,
    "cancer_history": False,
    "unexplained_weight_loss": False,
    "major_trauma": False,
    "night_pain": False,
    "activity_limitation": 2,
    "tightness_trigger_points": False,
    "recurrent_flare_ups": False,
    "fear_of_movement": False,
}


def key_for(q: Any, value: Any) -> str:
    """The keys that give this answer in the questionary prompts (numbers select, space ticks)."""
    if q.type == "boolean":
        return ("1" if value else "2") + ENTER
    if q.type == "choice":
        return str(q.choice_ids.index(value) + 1) + ENTER
    if q.type == "multi_choice":
        keys = ""
        for cid in q.choice_ids:
            keys += (" " if cid in value else "") + DOWN
        return keys + ENTER
    return f"{value}{ENTER}"


def keys_for(ruleset: Any, answers: Mapping[str, Any], *, review: bool = True) -> str:
    """Keys answering every question present in ``answers``, in the ruleset's order, then the review."""
    keys = "".join(key_for(q, answers[q.id]) for q in ruleset.questions if q.id in answers)
    return keys + (ENTER if review else "")


def plain_line(q: Any, value: Any) -> str:
    """What a person types in plain mode for this answer."""
    if q.type == "boolean":
        return "yes" if value else "no"
    if q.type == "choice":
        return str(q.choice_ids.index(value) + 1)
    if q.type == "multi_choice":
        return ",".join(str(q.choice_ids.index(c) + 1) for c in value) or "0"
    return str(value)
