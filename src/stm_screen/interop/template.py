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


ID_COLUMN = "id"
ID_TEXT = "the patient's record number or code (never a name)"


def batch_template(ruleset: Ruleset) -> list[list[str]]:
    """Two rows: an id column and the question ids, then what each column accepts. ``batch`` knows that
    second row and skips it (see :func:`is_description_row`), so records can be typed under it: the
    template can be filled in and scored as it is."""
    return [
        [ID_COLUMN, *(q.id for q in ruleset.questions)],
        [ID_TEXT, *(describe(q) for q in ruleset.questions)],
    ]


def is_description_row(cells: list[tuple[Question, str]]) -> bool:
    """Whether a row holds, under each question-id column, exactly what the template says it accepts."""
    return bool(cells) and all(text.strip() == describe(q) for q, text in cells)
