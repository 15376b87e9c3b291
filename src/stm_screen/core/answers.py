"""Checking and normalising answers against a ruleset's questions.

Answers arrive from JSON or YAML files, from survey exports (as text) and from the questionnaire. Each is
turned into its canonical value: ``bool`` for boolean, ``int`` for integer, ``float``/``int`` for number, the
choice id (``str``) for choice, a ``frozenset`` of choice ids for multi_choice. A value that cannot be read
raises :class:`AnswerValueError` with a message that says what is allowed.
"""

from __future__ import annotations

import math
import re
import reprlib
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from stm_screen.core.conditions import suggest
from stm_screen.core.ruleset import UNSURE, Question, Ruleset
from stm_screen.errors import AnswerProblem, AnswersError

# LA33-6 and LA32-8 are LOINC's answer codes for Yes and No (answer list LL361-7), as FHIR forms send them
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "checked", "ja", "oui", "si", "sí", "on", "x", "la33-6"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "unchecked", "nein", "non", "off", "la32-8"})
# 'Not sure', for questions that offer it; compared after folding case, spaces and apostrophes.
UNSURE_WORDS = frozenset(
    {"unsure", "not sure", "notsure", "dont know", "do not know", "idk", "unknown", "not known", "ns", "dk"}
)
MAX_NUMBER = 10**15  # larger whole numbers are refused before any arithmetic
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

Answer = bool | int | float | str | frozenset[str]


class AnswerValueError(ValueError):
    """One answer cannot be read; ``str()`` says what is allowed."""


def allowed(q: Question) -> str:
    """What a question accepts, in plain words."""
    text = _allowed(q)
    return f"{text}, or not sure" if q.unsure and q.type != "boolean" else text


def _allowed(q: Question) -> str:
    unit = f" {q.unit}" if str(q.unit) else ""
    if q.type == "boolean":
        return "yes, no or not sure" if q.unsure else "yes or no"
    if q.type in ("integer", "number"):
        kind = "a whole number" if q.type == "integer" else "a number"
        if q.min is not None and q.max is not None:
            return f"{kind} from {q.min:g} to {q.max:g}{unit}"
        if q.min is not None:
            return f"{kind} of at least {q.min:g}{unit}"
        if q.max is not None:
            return f"{kind} of at most {q.max:g}{unit}"
        return kind
    ids = ", ".join(q.choice_ids)
    return f"one of: {ids}" if q.type == "choice" else f"any of: {ids}"


_REPR = reprlib.Repr()
_REPR.maxlevel = 2
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxfrozenset = _REPR.maxdict = 4
_REPR.maxstring = _REPR.maxother = 60


def _show(value: object) -> str:
    """A short, bounded picture of a value for a message (never the whole of a huge structure)."""
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 60 else f"'{value[:57]}...'"
    return _REPR.repr(value)


def parse_number(q: Question, raw: object, *, decimal_comma: bool = False) -> int | float:
    if isinstance(raw, bool):
        raise AnswerValueError(f"{_show(raw)} is not a number; allowed: {allowed(q)}")
    if isinstance(raw, int) and abs(raw) > MAX_NUMBER:  # would overflow a float (or even printing it)
        raise AnswerValueError(f"the number is too large; allowed: {allowed(q)}")
    if isinstance(raw, int | float):
        value: int | float = raw
    elif isinstance(raw, str):
        text = raw.strip().replace("\u00a0", "").replace(" ", "")
        if decimal_comma:
            text = text.replace(".", "").replace(",", ".") if "," in text else text
        if not _NUMBER.match(text):
            raise AnswerValueError(f"{_show(raw)} is not a number; allowed: {allowed(q)}")
        value = float(text)
    else:
        raise AnswerValueError(f"{_show(raw)} is not a number; allowed: {allowed(q)}")
    if not math.isfinite(value):
        raise AnswerValueError(f"{_show(raw)} is not a number; allowed: {allowed(q)}")
    if q.type == "integer":
        if value != int(value):
            raise AnswerValueError(f"{_show(raw)} is not a whole number; allowed: {allowed(q)}")
        value = int(value)
    elif isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    if (q.min is not None and value < q.min) or (q.max is not None and value > q.max):
        raise AnswerValueError(f"{_show(raw)} is out of range; allowed: {allowed(q)}")
    return value


# Words people type after a number, by unit, with each unit's length in months (time units convert).
_TIME_UNITS: dict[str, tuple[frozenset[str], float]] = {
    "days": (frozenset({"d", "day", "days"}), 12 / 365.25),
    "weeks": (frozenset({"w", "wk", "wks", "week", "weeks"}), 7 * 12 / 365.25),
    "months": (frozenset({"mo", "mos", "mon", "mth", "mths", "month", "months"}), 1.0),
    "years": (frozenset({"y", "yr", "yrs", "year", "years"}), 12.0),
}
_WITH_UNIT = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([^\W\d_]+)\.?\s*$")


def _time_unit(word: str) -> str | None:
    folded = word.casefold()
    for name, (words, _) in _TIME_UNITS.items():
        if folded in words:
            return name
    return None


def parse_typed(q: Question, raw: str, lang: str | None = None) -> tuple[Answer, str]:
    """A typed answer and, when a unit was converted, what it was counted as (else '').

    People type units: '6 months' for a question in months, or '2 yrs', which is counted as 24 months.
    Only the question's own unit, or another unit of time for a question in units of time, is understood;
    anything else raises :class:`AnswerValueError` as :func:`parse_answer` does.
    """
    try:
        return parse_answer(q, raw), ""
    except AnswerValueError:
        match = _WITH_UNIT.match(raw) if q.type in ("integer", "number") else None
        unit = q.unit.get(lang).strip()
        if match is None or not unit:
            raise
    number, word = match.group(1), match.group(2)
    folded, own = word.casefold(), unit.casefold()
    if folded in (own, own.rstrip("s"), own + "s"):
        return parse_number(q, number), ""
    typed_unit, own_unit = _time_unit(folded), _time_unit(own)
    if typed_unit is None or own_unit is None:
        raise AnswerValueError(f"{_show(raw.strip())} is not a number; allowed: {allowed(q)}")
    if typed_unit == own_unit:
        return parse_number(q, number), ""
    months = float(number) * _TIME_UNITS[typed_unit][1] / _TIME_UNITS[own_unit][1]
    value = parse_number(q, round(months, 2))
    return value, f"{' '.join(raw.split())} counted as {describe(q, value, lang)}"


def is_unsure_word(raw: object) -> bool:
    """'not sure', "don't know", 'unsure' and the like (any case)."""
    if not isinstance(raw, str):
        return False
    word = " ".join(raw.strip().casefold().replace("\u2019", "'").replace("'", "").split())
    return word in UNSURE_WORDS


def parse_bool(q: Question, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    if q.unsure:
        raise AnswerValueError(
            f"{_show(raw)} is not yes, no or not sure; allowed: yes/no, true/false, y/n, 1/0, unsure"
        )
    if is_unsure_word(raw):
        raise AnswerValueError(f"{_show(raw)}: this question does not take 'not sure'; allowed: yes or no")
    raise AnswerValueError(f"{_show(raw)} is not yes or no; allowed: yes/no, true/false, y/n, 1/0")


def _choice_lookup(q: Question) -> dict[str, str]:
    table: dict[str, str] = {}
    for c in q.choices:
        table[c.id.lower()] = c.id
        for text in (c.label.default, *c.label.by_lang.values()):
            table.setdefault(_fold(text), c.id)
    return table


def _fold(text: str) -> str:
    """Case, spacing and Unicode form do not matter ('Épaule' typed as E + combining accent matches)."""
    return " ".join(unicodedata.normalize("NFC", text).strip().casefold().split())


def parse_choice(q: Question, raw: object) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise AnswerValueError(f"{_show(raw)} is not a choice; allowed: {allowed(q)}")
    text = str(raw) if not isinstance(raw, float) or not raw.is_integer() else str(int(raw))
    found = _choice_lookup(q).get(_fold(text))
    if found is None:
        raise AnswerValueError(
            f"{_show(raw)} is not a choice{suggest(text, q.choice_ids)}; allowed: {allowed(q)}"
        )
    return found


def parse_multi(q: Question, raw: object, *, separators: str = ",;") -> frozenset[str]:
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return frozenset()
        table = _choice_lookup(q)
        if _fold(text) in table:
            return frozenset({table[_fold(text)]})
        parts: Iterable[object] = [p for p in re.split(f"[{re.escape(separators)}]", text) if p.strip()]
    elif isinstance(raw, list | tuple | set | frozenset):
        parts = raw
    else:
        raise AnswerValueError(f"{_show(raw)} is not a list of choices; allowed: {allowed(q)}")
    out = set()
    for part in parts:
        out.add(parse_choice(q, part))
    return frozenset(out)


def parse_answer(q: Question, raw: object) -> Answer:
    """The canonical value of one answer; raises :class:`AnswerValueError`."""
    if q.unsure and is_unsure_word(raw):
        return UNSURE
    if q.type == "boolean":
        return parse_bool(q, raw)
    if q.type in ("integer", "number"):
        return parse_number(q, raw)
    if q.type == "choice":
        return parse_choice(q, raw)
    return parse_multi(q, raw)


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def check_answers(ruleset: Ruleset, raw: object, source: str = "") -> dict[str, Answer]:
    """Check a whole mapping of answers; raise :class:`AnswersError` listing every problem."""
    if not isinstance(raw, Mapping):
        kind = "nothing" if raw is None else type(raw).__name__
        raise AnswersError(
            [AnswerProblem("", f"answers must be a mapping of question id to answer, not {kind}")], source
        )
    problems: list[AnswerProblem] = []
    values: dict[str, Answer] = {}
    ids = [q.id for q in ruleset.questions]
    for key, value in raw.items():
        qid = str(key)
        q = ruleset.by_id.get(qid)
        if q is None:
            shown = qid if len(qid) <= 60 else f"{qid[:57]}..."  # never a huge key in full
            problems.append(AnswerProblem(shown, f"unknown question{suggest(qid[:200], ids)}"))
            continue
        if is_blank(value):
            continue
        try:
            values[qid] = parse_answer(q, value)
        except AnswerValueError as exc:
            problems.append(AnswerProblem(qid, str(exc)))
    if problems:
        raise AnswersError(problems, source)
    return values


def plain(value: Answer) -> Any:
    """An answer as JSON-friendly data (sets become sorted lists)."""
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def describe(q: Question, value: Answer, lang: str | None = None) -> str:
    """An answer in words, for people."""
    if value == UNSURE and q.unsure:
        return "not sure"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, frozenset):
        labels = [c.label.get(lang) for c in q.choices if c.id in value]
        return ", ".join(labels) if labels else "none"
    if isinstance(value, str):
        try:
            return q.choice(value).label.get(lang)
        except KeyError:
            return value
    unit = q.unit.get(lang)
    return f"{value:g} {unit}".strip() if isinstance(value, float) else f"{value} {unit}".strip()


def as_values(answers: Mapping[str, Any]) -> dict[str, Answer]:
    """Answers that are already canonical, without blanks (for tests and internal callers)."""
    return {k: v for k, v in answers.items() if v is not None}
