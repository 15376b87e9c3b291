"""A ruleset as a REDCap data dictionary (the 18-column CSV REDCap imports). Pure: rows, no I/O.

Field name = question id; yes/no, radio, checkbox and text fields (integer/number validation with min/max);
choices written ``code, label | code, label`` with the choice id as the code, so a raw REDCap export of the
project has the columns stm-screen reads back (``pain_areas___low_back`` for a ticked box). A question that
offers 'not sure' (the safety questions) has it as one more choice coded ``unsure``: a yes/no one becomes a
radio field ``1, Yes | 0, No | unsure, Not sure`` (the codes of a yesno field, so branching logic and
``batch --preset redcap`` read it alike, and 'unsure' reads back as 'not sure'). ``ask_if`` becomes
branching logic that hides a question while the answer it depends on is blank or 'not sure'; each section's
title becomes the section header of its first question. Required questions and every safety question are
required fields (REDCap does not ask for a required field that branching logic hides).
"""

from __future__ import annotations

from stm_screen.core.ruleset import UNSURE, Question, Ruleset
from stm_screen.errors import UsageError
from stm_screen.i18n import _
from stm_screen.interop.conditions import (
    UNSURE_LABEL,
    YES_NO_UNSURE_REDCAP,
    NotExpressible,
    checkbox_code,
    offers_unsure,
    plain_number,
    required_in_forms,
    shown_when,
    to_redcap,
)

MAX_FIELD_NAME = 26
RECORD_ID = "record_id"

COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)

FIELD_TYPE = {
    "boolean": "yesno",
    "integer": "text",
    "number": "text",
    "choice": "radio",
    "multi_choice": "checkbox",
}
VALIDATION = {"integer": "integer", "number": "number"}


def form_name(ruleset_id: str) -> str:
    """A REDCap instrument name from the ruleset id: lower-case letters, digits and _."""
    name = "".join(ch if ch.isalnum() else "_" for ch in ruleset_id.lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"form_{name}"
    return name[:50]


def _num(value: float | None) -> str:
    if value is None:
        return ""
    from stm_screen.io.csvcells import Number

    return Number(plain_number(float(value)))  # a minimum of -5 stays -5 in the CSV


def _clean(text: str) -> str:
    """One line of text; ``|`` separates choices in REDCap, so it may not appear in a label."""
    return " ".join(text.replace("|", "/").split())


def field_type(q: Question) -> str:
    """``yesno``, ``radio``, ``checkbox`` or ``text``; a yes/no question that offers 'not sure' is a radio
    field of three choices."""
    if q.type == "boolean" and offers_unsure(q):
        return "radio"
    return FIELD_TYPE[q.type]


def choice_codes(q: Question) -> list[tuple[str, str]]:
    """(code, label) of each choice of a radio or checkbox field, 'not sure' last where it is an answer."""
    if q.type == "boolean":
        pairs = [(code, _(label)) for code, label in YES_NO_UNSURE_REDCAP if code != UNSURE]
    elif q.type == "multi_choice":
        pairs = [(checkbox_code(q, c.id), _clean(str(c.label))) for c in q.choices]
    else:
        pairs = [(c.id, _clean(str(c.label))) for c in q.choices]
    if offers_unsure(q):
        pairs.append((UNSURE, _(UNSURE_LABEL)))  # in the form's language (form export --lang)
    return pairs


def _choices(q: Question) -> str:
    return " | ".join(f"{code}, {label}" for code, label in choice_codes(q))


def dictionary_warnings(ruleset: Ruleset) -> list[str]:
    """What the data dictionary cannot carry over."""
    return [
        _(
            "question '{id}': a REDCap {field} field cannot offer 'not sure'; leave it blank when the answer is "
            "not known (it then counts as not sure)"
        ).format(id=q.id, field=FIELD_TYPE[q.type])
        for q in ruleset.questions
        if q.unsure and not offers_unsure(q)
    ]


def _note(q: Question) -> str:
    note = _clean(str(q.help))
    unit = str(q.unit)
    if unit:
        note = f"{note} (in {unit})" if note else f"In {unit}"
    return note


class _Refused(UsageError):
    """Several problems, printed one line each."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        super().__init__("\n".join(lines))

    def lines(self) -> list[str]:
        return list(self._lines)


def check_field_names(ruleset: Ruleset) -> None:
    """Refuse ids REDCap cannot take, listing every one."""
    problems = []
    complete = f"{form_name(ruleset.id)}_complete"
    for q in ruleset.questions:
        if len(q.id) > MAX_FIELD_NAME:
            problems.append(
                f"question '{q.id}' has {len(q.id)} characters; REDCap field names can have at most "
                f"{MAX_FIELD_NAME}. Shorten the id in the rules file"
            )
        if q.id == RECORD_ID:
            problems.append(f"question '{q.id}': '{RECORD_ID}' is the REDCap record id; rename the question")
        if q.id == complete:
            problems.append(
                f"question '{q.id}': REDCap adds a field of that name to mark the form complete; rename the question"
            )
    if problems:
        raise _Refused(["cannot write a REDCap data dictionary:", *problems])


def branching_logic(ruleset: Ruleset, q: Question) -> str:
    if q.ask_if is None:
        return ""
    try:
        node = shown_when(q, ruleset.by_id)
        assert node is not None
        return to_redcap(node, ruleset.by_id)
    except NotExpressible as exc:
        raise UsageError(
            f"question '{q.id}': its ask_if cannot be written as REDCap branching logic ({exc})"
        ) from None


def data_dictionary(ruleset: Ruleset) -> list[list[str]]:
    """Header row and one row per field (a ``record_id`` field first, as REDCap requires)."""
    check_field_names(ruleset)
    form = form_name(ruleset.id)
    rows: list[list[str]] = [list(COLUMNS)]
    blank = [""] * len(COLUMNS)
    first = list(blank)
    first[0], first[1], first[3], first[4] = RECORD_ID, form, "text", "Record ID"
    rows.append(first)
    seen_sections: set[str] = set()
    for q in ruleset.questions:
        row = list(blank)
        row[0] = q.id
        row[1] = form
        if q.section is not None and q.section not in seen_sections:
            seen_sections.add(q.section)
            row[2] = _clean(str(ruleset.sections[q.section].title))
        row[3] = field_type(q)
        row[4] = _clean(str(q.text))
        if row[3] in ("radio", "checkbox"):
            row[5] = _choices(q)
        row[6] = _note(q)
        if q.type in VALIDATION:
            row[7] = VALIDATION[q.type]
            row[8] = _num(q.min)
            row[9] = _num(q.max)
        row[11] = branching_logic(ruleset, q)
        row[12] = "y" if required_in_forms(q) else ""
        rows.append(row)
    return rows
