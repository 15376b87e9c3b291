"""A blank batch template: a header of question ids and a row saying what each column accepts. Pure."""

from __future__ import annotations

from stm_screen.core.answers import allowed
from stm_screen.core.ruleset import Question, Ruleset


def describe(q: Question) -> str:
    text = allowed(q)
    if q.type == "multi_choice":
        text += " (several: separate with ;)"
    if q.required or q.safety:
        # a blank safety answer is a warning sign that could not be ruled out
        text += "; required when asked" if q.ask_if is not None else "; required"
    return text


def batch_template(ruleset: Ruleset) -> list[list[str]]:
    """Two rows: question ids, then the allowed values (delete the second row before filling in)."""
    return [[q.id for q in ruleset.questions], [describe(q) for q in ruleset.questions]]
