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
from typing import Any, NamedTuple

from stm_screen.core.conditions import suggest
from stm_screen.core.ruleset import UNSURE, Question, Ruleset
from stm_screen.errors import AnswerProblem, AnswersError
from stm_screen.i18n import _, pgettext

# LA33-6 and LA32-8 are LOINC's answer codes for Yes and No (answer list LL361-7), as FHIR forms send them
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "checked", "ja", "oui", "si", "sí", "on", "x", "la33-6"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "unchecked", "nein", "non", "off", "la32-8"})
# 'Not sure', for questions that offer it; compared after folding case, spaces and apostrophes.
UNSURE_WORDS = frozenset(
    {"unsure", "not sure", "notsure", "dont know", "do not know", "idk", "unknown", "not known", "ns", "dk"}
)
MAX_NUMBER = 10**15  # larger whole numbers are refused before any arithmetic


class Vocabulary(NamedTuple):
    """The words people type in one language, beyond the ones understood in every language."""

    yes: frozenset[str] = frozenset()
    no: frozenset[str] = frozenset()
    unsure: frozenset[str] = frozenset()  # folded as is_unsure_word folds (no apostrophes, one space)
    units: Mapping[str, frozenset[str]] = {}  # days, weeks, months, years -> words
    numbers: Mapping[str, float] = {}  # 'seis' -> 6
    half: frozenset[str] = frozenset()  # '... y medio': 'un año y medio' is 1.5 years
    decimal_comma: bool = False  # '1,5' is one and a half


def _fold_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


VOCABULARIES: dict[str, Vocabulary] = {
    "es": Vocabulary(
        yes=frozenset({"sí", "si", "s", "claro"}),
        no=frozenset({"no", "n"}),
        unsure=frozenset(
            {
                "no sé",
                "no se",
                "no lo sé",
                "no lo se",
                "nose",
                "no estoy seguro",
                "no estoy segura",
                "no estoy seguro/a",
                "no estoy segura/o",
                "no seguro",
                "no segura",
                "ns",
                "ns/nc",
                "no sabe",
                "desconocido",
                "no lo sabe",
            }
        ),  # fmt: skip
        units={
            "days": frozenset({"d", "dia", "dias", "día", "días"}),
            "weeks": frozenset({"sem", "sems", "semana", "semanas"}),
            "months": frozenset({"mes", "meses", "mss"}),
            "years": frozenset({"a", "año", "años", "ano", "anos", "anio", "anios"}),
        },
        numbers={
            "un": 1,
            "uno": 1,
            "una": 1,
            "dos": 2,
            "tres": 3,
            "cuatro": 4,
            "cinco": 5,
            "seis": 6,
            "siete": 7,
            "ocho": 8,
            "nueve": 9,
            "diez": 10,
            "once": 11,
            "doce": 12,
            "trece": 13,
            "catorce": 14,
            "quince": 15,
            "dieciséis": 16,
            "dieciseis": 16,
            "dieciocho": 18,
            "veinte": 20,
            "veinticuatro": 24,
            "treinta": 30,
            "treinta y seis": 36,
            "cuarenta": 40,
            "cincuenta": 50,
            "sesenta": 60,
            "setenta": 70,
            "ochenta": 80,
            "noventa": 90,
            "medio": 0.5,
            "media": 0.5,
        },  # fmt: skip
        half=frozenset({"y medio", "y media"}),
        decimal_comma=True,
    ),
}


def vocabulary(lang: str | None) -> Vocabulary:
    """The words of ``lang`` ('es-MX' uses 'es'); an empty vocabulary for a language without one."""
    if not lang:
        return Vocabulary()
    return VOCABULARIES.get(lang, VOCABULARIES.get(lang.split("-", 1)[0], Vocabulary()))


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

Answer = bool | int | float | str | frozenset[str]


class AnswerValueError(ValueError):
    """One answer cannot be read; ``str()`` says what is allowed."""


def allowed(q: Question) -> str:
    """What a question accepts, in plain words (in the tool's language)."""
    text = _allowed(q)
    return _("{allowed}, or not sure").format(allowed=text) if q.unsure and q.type != "boolean" else text


def _allowed(q: Question) -> str:
    unit = f" {q.unit}" if str(q.unit) else ""
    if q.type == "boolean":
        return _("yes, no or not sure") if q.unsure else _("yes or no")
    if q.type in ("integer", "number"):
        whole = q.type == "integer"
        if q.min is not None and q.max is not None:
            text = _("a whole number from {min} to {max}") if whole else _("a number from {min} to {max}")
        elif q.min is not None:
            text = _("a whole number of at least {min}") if whole else _("a number of at least {min}")
        elif q.max is not None:
            text = _("a whole number of at most {max}") if whole else _("a number of at most {max}")
        else:
            return _("a whole number") if whole else _("a number")
        low = "" if q.min is None else f"{q.min:g}"
        high = "" if q.max is None else f"{q.max:g}"
        return text.format(min=low, max=high) + unit
    ids = ", ".join(q.choice_ids)
    return (_("one of: {ids}") if q.type == "choice" else _("any of: {ids}")).format(ids=ids)


def _not_a(problem: str, raw: object, q: Question) -> AnswerValueError:
    """'<value> is not a number; allowed: ...' in the tool's language (``problem`` is marked by the caller)."""
    return AnswerValueError(
        _("{value} {problem}; allowed: {allowed}").format(
            value=_show(raw), problem=problem, allowed=allowed(q)
        )
    )


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
        raise _not_a(_("is not a number"), raw, q)
    if isinstance(raw, int) and abs(raw) > MAX_NUMBER:  # would overflow a float (or even printing it)
        raise AnswerValueError(_("the number is too large; allowed: {allowed}").format(allowed=allowed(q)))
    if isinstance(raw, int | float):
        value: int | float = raw
    elif isinstance(raw, str):
        text = raw.strip().replace("\u00a0", "").replace(" ", "")
        if decimal_comma:
            text = text.replace(".", "").replace(",", ".") if "," in text else text
        if not _NUMBER.match(text):
            raise _not_a(_("is not a number"), raw, q)
        value = float(text)
    else:
        raise _not_a(_("is not a number"), raw, q)
    if not math.isfinite(value):
        raise _not_a(_("is not a number"), raw, q)
    if q.type == "integer":
        if value != int(value):
            raise _not_a(_("is not a whole number"), raw, q)
        value = int(value)
    elif isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    if (q.min is not None and value < q.min) or (q.max is not None and value > q.max):
        raise _not_a(_("is out of range"), raw, q)
    return value


# Words people type after a number, by unit, with each unit's length in months (time units convert).
_TIME_UNITS: dict[str, tuple[frozenset[str], float]] = {
    "days": (frozenset({"d", "day", "days"}), 12 / 365.25),
    "weeks": (frozenset({"w", "wk", "wks", "week", "weeks"}), 7 * 12 / 365.25),
    "months": (frozenset({"mo", "mos", "mon", "mth", "mths", "month", "months"}), 1.0),
    "years": (frozenset({"y", "yr", "yrs", "year", "years"}), 12.0),
}
_WITH_UNIT = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([^\W\d_]+)\.?\s*$")


def _time_unit(word: str, vocab: Vocabulary | None = None) -> str | None:
    folded = word.casefold()
    for name, (words, _months) in _TIME_UNITS.items():
        if folded in words or (vocab is not None and folded in vocab.units.get(name, ())):
            return name
    return None


def is_time_unit(word: str) -> bool:
    """'years', 'wk', 'mo' and the like: a unit of time that typed answers may carry."""
    return _time_unit(word) is not None


def _words_to_number(text: str, vocab: Vocabulary) -> str:
    """'seis meses' -> '6 meses', 'un año y medio' -> '1.5 año', '1,5 años' -> '1.5 años' (in ``vocab``'s
    language); the text unchanged when it holds no such words."""
    folded = " ".join(text.strip().casefold().split())
    if vocab.decimal_comma:
        folded = re.sub(r"(?<=\d),(?=\d)", ".", folded)
    half = 0.0
    for tail in vocab.half:
        if folded.endswith(" " + tail):
            folded, half = folded[: -len(tail) - 1].strip(), 0.5
            break
    for words in sorted(vocab.numbers, key=len, reverse=True):
        if folded == words or folded.startswith(words + " "):
            value = vocab.numbers[words] + half
            return f"{value:g}{folded[len(words) :]}"
    match = re.match(r"^(\d+(?:\.\d+)?)(.*)$", folded)
    if half and match:
        return f"{float(match.group(1)) + half:g}{match.group(2)}"
    return folded if (half or vocab.decimal_comma) else text


def parse_typed(q: Question, raw: str, lang: str | None = None) -> tuple[Answer, str]:
    """A typed answer and, when a unit was converted, what it was counted as (else '').

    People type units: '6 months' for a question in months, or '2 yrs', which is counted as 24 months.
    Only the question's own unit, or another unit of time for a question in units of time, is understood;
    anything else raises :class:`AnswerValueError` as :func:`parse_answer` does. ``lang`` adds its words:
    in Spanish 'sí' and 's', 'no sé', 'seis meses', '2 años', '1,5 años', 'un año y medio'.
    """
    vocab = vocabulary(lang)
    try:
        return parse_answer(q, raw, lang), ""
    except AnswerValueError:
        text = _words_to_number(raw, vocab) if q.type in ("integer", "number") else raw
        if text != raw:
            try:
                return parse_answer(q, text, lang), ""
            except AnswerValueError:
                pass
        match = _WITH_UNIT.match(text) if q.type in ("integer", "number") else None
        unit = q.unit.get(lang).strip()
        if match is None or not unit:
            raise
    number, word = match.group(1), match.group(2)
    folded, own = word.casefold(), unit.casefold()
    if folded in (own, own.rstrip("s"), own + "s") or _fold_accents(folded) == _fold_accents(own):
        return parse_number(q, number), ""
    typed_unit, own_unit = _time_unit(folded, vocab), _time_unit(own, vocab)
    if typed_unit is None or own_unit is None:
        raise _not_a(_("is not a number"), raw.strip(), q)
    if typed_unit == own_unit:
        return parse_number(q, number), ""
    months = float(number) * _TIME_UNITS[typed_unit][1] / _TIME_UNITS[own_unit][1]
    value = parse_number(q, round(months, 2))
    return value, _("{typed} counted as {value}").format(
        typed=" ".join(raw.split()), value=describe(q, value, lang)
    )


def is_unsure_word(raw: object, lang: str | None = None) -> bool:
    """'not sure', "don't know", 'unsure' and the like (any case); in ``lang``'s words too ('no sé')."""
    if not isinstance(raw, str):
        return False
    word = " ".join(raw.strip().casefold().replace("\u2019", "'").replace("'", "").split())
    if lang is None:  # a file or an export: 'not sure' in any language the tool knows (never a risk)
        return word in UNSURE_WORDS or any(word in v.unsure for v in VOCABULARIES.values())
    return word in UNSURE_WORDS or word in vocabulary(lang).unsure


def parse_bool(q: Question, raw: object, lang: str | None = None) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        vocab = vocabulary(lang)
        if word in TRUE_WORDS or word in vocab.yes:
            return True
        if word in FALSE_WORDS or word in vocab.no:
            return False
    if q.unsure:
        raise AnswerValueError(
            _("{value} is not yes, no or not sure; allowed: yes/no, true/false, y/n, 1/0, unsure").format(
                value=_show(raw)
            )
        )
    if is_unsure_word(raw, lang):
        raise AnswerValueError(
            _("{value}: this question does not take 'not sure'; allowed: yes or no").format(value=_show(raw))
        )
    raise AnswerValueError(
        _("{value} is not yes or no; allowed: yes/no, true/false, y/n, 1/0").format(value=_show(raw))
    )


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
        raise _not_a(_("is not a choice"), raw, q)
    text = str(raw) if not isinstance(raw, float) or not raw.is_integer() else str(int(raw))
    found = _choice_lookup(q).get(_fold(text))
    if found is None:
        raise _not_a(_("is not a choice") + suggest(text, q.choice_ids), raw, q)
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
        raise _not_a(_("is not a list of choices"), raw, q)
    out = set()
    for part in parts:
        out.add(parse_choice(q, part))
    return frozenset(out)


def parse_answer(q: Question, raw: object, lang: str | None = None) -> Answer:
    """The canonical value of one answer; raises :class:`AnswerValueError`. ``lang`` adds the words of a
    language to the ones understood in every language (in Spanish: 's' for yes, 'no sé' for not sure)."""
    if q.unsure and is_unsure_word(raw, lang):
        return UNSURE
    if q.type == "boolean":
        return parse_bool(q, raw, lang)
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
            [
                AnswerProblem(
                    "", _("answers must be a mapping of question id to answer, not {kind}").format(kind=kind)
                )
            ],
            source,
        )
    problems: list[AnswerProblem] = []
    values: dict[str, Answer] = {}
    ids = [q.id for q in ruleset.questions]
    for key, value in raw.items():
        qid = str(key)
        q = ruleset.by_id.get(qid)
        if q is None:
            shown = qid if len(qid) <= 60 else f"{qid[:57]}..."  # never a huge key in full
            problems.append(AnswerProblem(shown, _("unknown question") + suggest(qid[:200], ids)))
            continue
        if is_blank(value):
            continue
        try:
            values[qid] = parse_answer(q, value)
        except AnswerValueError as exc:
            if q.type in ("integer", "number") and isinstance(value, str):
                try:  # a unit typed after the number ('6 weeks', '2 yrs'), as the questionnaire reads it
                    values[qid] = parse_typed(q, value)[0]
                    continue
                except AnswerValueError:
                    pass
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
        return _("not sure")
    if isinstance(value, bool):
        return pgettext("answer", "yes") if value else pgettext("answer", "no")
    if isinstance(value, frozenset):
        labels = [c.label.get(lang) for c in q.choices if c.id in value]
        return ", ".join(labels) if labels else _("none")
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
