"""Cell text -> canonical answer, one converter per column, built once per file.

Built on :mod:`stm_screen.core.answers` (booleans, numbers, choices by id or label) with what exports add:
value maps from a mapping file, missing-value codes, decimal commas, joined multi-selects whose labels may
themselves hold the separator (matched against the known labels), and multi-selects split over one column
per option. A converter returns ``None`` for "not answered" and raises ``AnswerValueError`` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from stm_screen.batch.presets import fold, norm
from stm_screen.core.answers import (
    FALSE_WORDS,
    Answer,
    AnswerValueError,
    allowed,
    is_unsure_word,
    parse_bool,
    parse_choice,
    parse_number,
    parse_typed,
)
from stm_screen.core.ruleset import UNSURE, Question

Cell = str | tuple[str, ...]
Converter = Callable[[Cell], Answer | None]


@dataclass(frozen=True)
class ValueOptions:
    """How one column's cells are read."""

    value_map: Mapping[str, object] = field(default_factory=dict)  # folded cell text -> answer
    missing: frozenset[str] = frozenset()  # folded codes meaning "not answered"
    decimal_comma: bool = False
    separators: str = ",;"
    other_as_typed: bool = False  # an unknown item of a joined multi-select is the "other" choice
    # a yes/no answer written as a number is a recode whose meaning the export does not carry (Qualtrics and
    # SurveyMonkey: Yes = 1, No = 2 by default, and recodes or choice values can reverse them): refused
    # unless a value map says it
    numbers_are_recodes: bool = False


# A whole number written with a decimal part, as pandas and R write a column of 0/1 that also holds blanks
# ("1.0", "0.0"): read as the whole number it is, so a checkbox column of "0.0" is not ticked.
_WHOLE_FLOAT = re.compile(r"^([+-]?\d+)\.0+$")


def whole(text: str) -> str:
    """'1.0' -> '1', '0.00' -> '0'; any other text as it is."""
    m = _WHOLE_FLOAT.fullmatch(text)
    return m.group(1) if m else text


def choice_table(q: Question) -> dict[str, str]:
    """Folded id, label (every language) or answer code -> choice id."""
    table: dict[str, str] = {}
    for c in q.choices:
        table.setdefault(norm(c.id), c.id)
        for code in c.codes:  # a LOINC answer code (LA...) in a FHIR response
            table.setdefault(norm(code.code), c.id)
        for text in (c.label.default, *c.label.by_lang.values()):
            if text:
                table.setdefault(norm(text), c.id)
    return table


# How survey platforms label a 'not sure' answer, beyond the words the core reads (is_unsure_word), folded
# as survey_unsure folds them: case, apostrophes and punctuation do not count.
SURVEY_UNSURE = frozenset(
    {
        "i dont know",
        "i do not know",
        "im not sure",
        "i am not sure",
        "i m not sure",
        "not sure dont know",
        "dont know not sure",
        "unsure dont know",
        "dont know unsure",
        "not sure unsure",
        "unsure not sure",
        "dont know",
        "not known",
        "uncertain",
    }
)
_PUNCT = re.compile(r"[^\w]+", re.UNICODE)


def survey_unsure(raw: object) -> bool:
    """'Not sure', "Don't know", 'Unsure', "I don't know", 'Not sure / Don't know' and the like."""
    if is_unsure_word(raw):
        return True
    if not isinstance(raw, str):
        return False
    words = " ".join(_PUNCT.sub(" ", raw.casefold().replace("\u2019", "").replace("'", "")).split())
    return words in SURVEY_UNSURE or is_unsure_word(words)


def _or_unsure(read: Callable[[object], Answer]) -> Callable[[object], Answer]:
    """A reader that also takes 'not sure' (for questions that offer it)."""

    def read_or_unsure(raw: object) -> Answer:
        return UNSURE if survey_unsure(raw) else read(raw)

    return read_or_unsure


def converter(q: Question, opts: ValueOptions) -> Converter:
    """The converter of a column holding one question's answer."""
    vmap = dict(opts.value_map)
    missing = opts.missing

    if q.type == "boolean" and opts.numbers_are_recodes:

        def read(raw: object) -> Answer:
            if isinstance(raw, str):
                raw = whole(raw.strip())
            if isinstance(raw, str) and raw.lstrip("-").isdigit():
                raise AnswerValueError(
                    f"'{raw.strip()}' is not readable as yes or no: it is a numeric recode, and the export does "
                    "not say which number means yes (Qualtrics and SurveyMonkey number the choices in their order, "
                    "Yes = 1, No = 2, unless the recodes or choice values were changed); "
                    "export choice text, or map the numbers in a mapping file "
                    "(values: {\"1\": yes, \"2\": no})"
                )
            return parse_bool(q, raw)

    elif q.type == "boolean":

        def read(raw: object) -> Answer:
            return parse_bool(q, whole(raw.strip()) if isinstance(raw, str) else raw)

    elif q.type in ("integer", "number"):
        comma = opts.decimal_comma

        def read(raw: object) -> Answer:
            try:
                return parse_number(q, raw, decimal_comma=comma)
            except AnswerValueError as exc:
                if isinstance(raw, str) and any(c.isalpha() for c in raw):
                    # a unit typed after the number ('6 weeks', '2 yrs'), as a free-text survey field lets
                    # people write it and the question's own help invites: read as the questionnaire does
                    typed = raw.replace(",", ".") if comma and "." not in raw else raw
                    try:
                        return parse_typed(q, typed)[0]
                    except AnswerValueError:
                        raise exc from None
                if not comma and isinstance(raw, str) and "," in raw:
                    try:
                        parse_number(q, raw, decimal_comma=True)
                    except AnswerValueError:
                        raise exc from None
                    raise AnswerValueError(f"{exc} (a decimal comma? use --decimal-comma)") from None
                raise

    elif q.type == "choice":

        def read(raw: object) -> Answer:
            return parse_choice(q, raw)

    else:
        read = _multi_reader(q, opts.separators, vmap, opts.other_as_typed)  # type: ignore[assignment]

    if q.unsure:
        read = _or_unsure(read)  # type: ignore[assignment]

    def convert(cell: Cell) -> Answer | None:
        if isinstance(cell, tuple):
            if not cell:
                return None
            if q.type != "multi_choice":
                if len(cell) > 1:
                    raise AnswerValueError(
                        f"{len(cell)} answers given where one is expected; allowed: {allowed(q)}"
                    )
                cell = cell[0]
            else:
                return read(cell)
        text = cell.strip()
        if not text:
            return None
        key = fold(text)
        if key in missing:
            return None
        if key in vmap:
            mapped = vmap[key]
            if mapped is None:
                return None
            return read(mapped)
        del key  # not kept while the text is read: a copy of a cell that may be 16 MB (issue 10)
        try:
            return read(text)
        except AnswerValueError:
            display = getattr(cell, "display", "")  # a FHIR Coding: its display when its code means nothing
            if display:
                try:
                    return convert(display)
                except AnswerValueError:
                    pass
            raise

    return convert


def other_choice(q: Question) -> str | None:
    """The choice that stands for "something else" (id or label "other"), if the question has one."""
    for c in q.choices:
        labels = [c.label.default, *c.label.by_lang.values()]
        if norm(c.id) == "other" or any(norm(text) == "other" for text in labels):
            return c.id
    return None


def _multi_reader(
    q: Question, separators: str, vmap: Mapping[str, object], other_as_typed: bool = False
) -> Callable[[object], Answer]:
    table = choice_table(q)
    split = re.compile("|".join(re.escape(s) for s in separators) or ",")
    other = other_choice(q) if other_as_typed else None
    # A label may hold the separator ('Back, upper'): a run of tokens is tried as one label, but never a run
    # longer than the longest label splits into (blank tokens between allowed for), so a cell of many
    # selections is read in time in proportion to its length (it was cubic: 800 took 16 s).
    texts = [t for c in q.choices for t in (c.id, *(k.code for k in c.codes), c.label.default, *c.label.by_lang.values()) if t]
    label_tokens = max((len(split.split(t)) for t in texts), default=1)
    longest = 2 * label_tokens
    most = MAX_SELECTIONS_PER_CHOICE * max(1, len(q.choices)) * label_tokens + 16  # tokens, not selections

    def one(token: str) -> str:
        key = fold(token)
        if key in vmap:
            mapped = vmap[key]
            if isinstance(mapped, str):
                return parse_choice(q, mapped)
        del key  # not kept while the token is read: a copy of a cell that may be 16 MB (issue 10)
        found = table.get(norm(token))
        if found is not None:
            return found
        return parse_choice(q, token)  # raises with the allowed choices and a suggestion

    def coded(token: object) -> str:
        try:
            return one(str(token))
        except AnswerValueError:
            display = getattr(token, "display", "")  # a FHIR Coding: its display when its code means nothing
            if display:
                try:
                    return one(display)
                except AnswerValueError:
                    pass
            raise

    def read(raw: object) -> Answer:
        if isinstance(raw, list | tuple | frozenset | set):
            return frozenset(coded(t) for t in raw if str(t).strip())
        text = str(raw).strip()
        whole = table.get(norm(text))
        if whole is not None:
            return frozenset({whole})
        tokens = list(split.split(text))
        while tokens and not tokens[-1].strip():  # Microsoft Forms ends with ';'
            tokens.pop()
        given = sum(1 for t in tokens if t.strip())
        if given > most and other is None:  # (an "Other" answer's own words may hold many separators)
            raise AnswerValueError(f"{given:,} selections in one answer, but the question has {len(q.choices)} choices")
        out: set[str] = set()
        i, n = 0, len(tokens)
        while i < n:
            if not tokens[i].strip():
                i += 1
                continue
            # the longest run of tokens that is a known label: labels may hold the separator
            for j in range(min(n, i + longest), i, -1):
                found = table.get(norm("".join(tokens[i:j]))) if j > i + 1 else None
                if found is not None:
                    out.add(found)
                    i = j
                    break
            else:
                try:
                    out.add(one(tokens[i].strip()))
                except AnswerValueError:
                    if other is None:
                        raise
                    out.add(other)  # the respondent's own words for "Other", which may hold the separator
                i += 1
        return frozenset(out)

    return read


_UNSELECTED = FALSE_WORDS | {""}
MAX_SELECTIONS_PER_CHOICE = 4  # a cell naming more selections than this per choice (repeats allowed) is refused


def split_converter(
    q: Question, choices: tuple[str, ...], opts: ValueOptions
) -> Callable[[tuple[Cell, ...]], Answer | None]:
    """The converter of a multi-select spread over one column per option (REDCap checkboxes,
    SurveyMonkey, Qualtrics split columns): a cell holding 1, Checked, yes or the option's text is ticked;
    blank, 0, Unchecked and no are not. All cells blank (or missing codes) means not answered, and so does
    a ticked missing-data-code column (a choice starting with NUL, see ``columns.MISSING_CHOICE``) with no
    option ticked."""
    missing = opts.missing

    def convert(cells: tuple[Cell, ...]) -> Answer | None:
        chosen: set[str] = set()
        seen = False
        declined = False
        for choice, cell in zip(choices, cells, strict=True):
            if isinstance(cell, tuple):  # JSON: a list where one cell's text belongs
                if len(cell) > 1:
                    raise AnswerValueError(f"{len(cell)} answers given in the column for '{choice}'")
                cell = cell[0] if cell else ""
            key = whole(fold(cell))
            if not key or key in missing:
                continue
            if choice.startswith("\x00"):  # a missing-data-code column
                declined = declined or key not in _UNSELECTED
                continue
            seen = True
            if key not in _UNSELECTED:
                chosen.add(choice)
        if not seen or (declined and not chosen):
            return None
        return frozenset(chosen)

    return convert
