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


# The id cell of the template's second row: batch reads a row holding it as a header row, not a record,
# so the template can be filled in and scored as it is.
TEMPLATE_NOTE = "(this row says what each column takes; it is not scored)"


def batch_template(ruleset: Ruleset) -> list[list[str]]:
    """Two rows: an id column and the question ids, then what each column takes (batch skips that row:
    fill in records below it)."""
    return [
        ["id", *(q.id for q in ruleset.questions)],
        [TEMPLATE_NOTE, *(describe(q) for q in ruleset.questions)],
    ]
