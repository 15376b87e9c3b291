"""Checking and normalising answers against a ruleset's questions.

Answers arrive from JSON or YAML files, from survey exports (as text) and from the questionnaire. Each is
turned into its canonical value: ``bool`` for boolean, ``int`` for integer, ``float``/``int`` for number, the
choice id (``str``) for choice, a ``frozenset`` of choice ids for multi_choice. A value that cannot be read
raises :class:`AnswerValueError` with a message that says what is allowed.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from stm_screen.core.conditions import suggest
from stm_screen.core.quantity import (
    canonical_unit,
    convert,
    fold,
    format_quantity,
    no_words,
    parse_quantity,
    unsure_words,
    vocabulary,
    without_courtesy,
    yes_words,
)
from stm_screen.core.ruleset import UNSURE, Question, Ruleset
from stm_screen.errors import AnswerProblem, AnswersError, value_words
from stm_screen.i18n import _, pgettext

# The words of every language in stm_screen.core.quantity.LANGUAGES (one table per language: issue 13's
# Spanish is one of them), and LOINC's answer codes for Yes and No, LA33-6 and LA32-8 (answer list LL361-7),
# as FHIR forms send them. A file or an export is read with the words of every language; the questionnaire
# with the words of the person's language (and English's).
LOINC_YES = frozenset({"la33-6"})
LOINC_NO = frozenset({"la32-8"})
TRUE_WORDS = yes_words() | LOINC_YES
FALSE_WORDS = no_words() | LOINC_NO
# 'Not sure', for questions that offer it; compared after folding case, spaces and apostrophes.
UNSURE_WORDS = unsure_words()
MAX_NUMBER = 10**15  # larger whole numbers are refused before any arithmetic


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


def _show(value: object, level: int = 0) -> str:
    """A short, bounded picture of a value for a message (never the whole of a huge structure), written as
    the file wrote it: true, false and null as JSON and YAML write them, not as Python does (``True``,
    ``None``); texts in quotes, lists and mappings to two levels and four items."""
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 60 else f"'{value[:57]}...'"
    if isinstance(value, datetime.date | datetime.time):  # YAML reads 2024-01-01 as a date: shown as typed
        return f"'{value.isoformat()}'"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        text = str(value)
        return text if len(text) <= 60 else text[:57] + "..."
    if isinstance(value, list | tuple | set | frozenset | Mapping):
        if level >= 2:
            return "{...}" if isinstance(value, Mapping) else "[...]"
        items = list(value.items()) if isinstance(value, Mapping) else list(value)
        if isinstance(value, Mapping):
            shown = [f"{_show(k, level + 1)}: {_show(v, level + 1)}" for k, v in items[:4]]
        else:
            shown = [_show(item, level + 1) for item in items[:4]]
        more = ", ..." if len(items) > 4 else ""
        inside = ", ".join(shown) + more
        return "{" + inside + "}" if isinstance(value, Mapping) else "[" + inside + "]"
    return value_words(value)


def parse_number(
    q: Question, raw: object, *, decimal_comma: bool | None = False, lang: str | None = None
) -> int | float:
    """A number answer: a number, or text such as '6', '6 months', 'about six months', '2 yrs', 'seis
    meses' (another unit of time is converted to the question's unit; see :func:`parse_typed` to say so).
    ``decimal_comma``: whether '1,5' is one and a half (None: as ``lang`` writes numbers)."""
    return parse_typed_number(q, raw, decimal_comma=decimal_comma, lang=lang)[0]


def _check_number(q: Question, raw: object, value: float) -> int | float:
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


def parse_typed_number(
    q: Question, raw: object, *, decimal_comma: bool | None = None, lang: str | None = None
) -> tuple[int | float, bool]:
    """The value of a number answer, and whether it was converted from another unit of time. ``lang``: the
    words of that language (and English's); None: of every language. ``decimal_comma`` None: as ``lang``
    writes numbers (Spanish: '1,5'); for None, a comma is not a decimal mark."""
    if isinstance(raw, bool):
        raise _not_a(_("is not a number"), raw, q)
    if (isinstance(raw, int) and abs(raw) > MAX_NUMBER) or (isinstance(raw, float) and math.isinf(raw)):
        # would overflow a float (or even printing it): said as 'too large' or 'too small', by its sign
        small = raw < 0
        message = _("the number is too small; allowed: {allowed}") if small else _(
            "the number is too large; allowed: {allowed}"
        )
        raise AnswerValueError(message.format(allowed=allowed(q)))
    if isinstance(raw, int | float):
        return _check_number(q, raw, raw), False
    if not isinstance(raw, str):
        raise _not_a(_("is not a number"), raw, q)
    comma = vocabulary(lang).decimal_comma if (decimal_comma is None and lang) else bool(decimal_comma)
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if comma:
        text = text.replace(".", "").replace(",", ".") if "," in text else text
    if _NUMBER.fullmatch(text):  # the common case, fast
        value = float(text)
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:  # written out, but beyond any range
            raise _not_a(_("is too large"), raw, q)
        return _check_number(q, raw, value), False
    if len(raw) > 200:
        raise _not_a(_("is not a number"), raw, q)
    unit = q.unit.get(lang).strip()
    found = parse_quantity(raw, [unit, unit.rstrip("s")] if unit else [], lang=lang, decimal_comma=comma)
    if found is None:
        raise _not_a(_("is not a number"), raw, q)
    value = found.value
    if found.out_of is not None and found.out_of != q.max:  # '6 out of 5' on a 0-10 scale
        raise _not_a(_("is not a number on this scale"), raw, q)
    if found.unit is None or found.unit in (fold(unit), fold(unit).rstrip("s")):
        return _check_number(q, raw, value), False
    own = canonical_unit(unit, lang) if unit else None
    if own is None or own == found.unit:
        if own is None:  # a unit of time typed for a question that is not in one
            raise _not_a(_("is not a number"), raw, q)
        return _check_number(q, raw, value), False
    moved = convert(value, found.unit, own)
    assert moved is not None
    return _check_number(q, raw, round(moved, 2)), True


def is_time_unit(word: str) -> bool:
    """'years', 'wk', 'mo', 'meses' and the like: a unit of time that typed answers may carry (in any
    language the tool knows)."""
    return canonical_unit(word) is not None


def parse_typed(q: Question, raw: str, lang: str | None = None) -> tuple[Answer, str]:
    """A typed answer and, when a unit was converted, what it was counted as (else '').

    People type units and words: '6 months', 'about six months', or '2 yrs', which is counted as 24 months
    for a question in months; in Spanish 'seis meses', '2 años', '1,5 años', 'un año y medio'. The same
    reading as :func:`parse_answer` (``score`` and ``batch``); only the question's own unit or, for a
    question in units of time, another unit of time is understood. ``lang`` adds its words ('sí', 'no sé').
    """
    if q.type not in ("integer", "number") or (q.unsure and is_unsure_word(raw, lang)):
        return parse_answer(q, raw, lang), ""
    value, converted = parse_typed_number(q, raw, lang=lang)
    if not converted:
        return value, ""
    return value, _("{typed} counted as {value}").format(
        typed=" ".join(raw.split()), value=describe(q, value, lang)
    )


def is_unsure_word(raw: object, lang: str | None = None) -> bool:
    """'not sure', "don't know", 'unsure' and the like (any case); in ``lang``'s words too ('no sé')."""
    if not isinstance(raw, str):
        return False
    # a file or an export (no language): 'not sure' in any language the tool knows (never a risk)
    return fold(raw) in unsure_words(lang) or without_courtesy(raw, lang) in unsure_words(lang)


def parse_bool(q: Question, raw: object, lang: str | None = None) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        for word in (raw.strip().lower(), without_courtesy(raw, lang)):  # 'yes please', 'no, thanks'
            if word in (yes_words(lang) | LOINC_YES if lang else TRUE_WORDS):
                return True
            if word in (no_words(lang) | LOINC_NO if lang else FALSE_WORDS):
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


def parse_answer(
    q: Question, raw: object, lang: str | None = None, *, decimal_comma: bool | None = None
) -> Answer:
    """The canonical value of one answer; raises :class:`AnswerValueError`. ``lang``: the words of that
    language, with English's (in Spanish: 's' for yes, 'no sé' for not sure, 'seis meses', '1,5');
    None, for files and exports: the words of every language, and a comma is not a decimal mark unless
    ``decimal_comma`` says so."""
    if q.unsure and is_unsure_word(raw, lang):
        return UNSURE
    if q.type == "boolean":
        return parse_bool(q, raw, lang)
    if q.type in ("integer", "number"):
        return parse_number(q, raw, decimal_comma=decimal_comma, lang=lang)
    if q.type == "choice":
        return parse_choice(q, raw)
    return parse_multi(q, raw)


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _kind_of(raw: object) -> str:
    """What a file of answers holds in place of a mapping, in words (not its content, which may be answers)."""
    if raw is None:
        return _("nothing")
    if isinstance(raw, str):
        return _("a text")
    if isinstance(raw, bool):
        return _("true or false")
    if isinstance(raw, int | float):
        return _("a number")
    return value_words(raw)


def check_answers(ruleset: Ruleset, raw: object, source: str = "") -> dict[str, Answer]:
    """Check a whole mapping of answers; raise :class:`AnswersError` listing every problem."""
    if not isinstance(raw, Mapping):
        kind = _kind_of(raw)
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
    # a file is read with the words of every language; '1,5' is one and a half when the ruleset is shown in
    # a language that writes numbers so (score --lang es)
    comma = vocabulary(ruleset.lang).decimal_comma if ruleset.lang else False
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
            values[qid] = parse_answer(q, value, decimal_comma=comma)
        except AnswerValueError as exc:  # (units and words are read by parse_answer itself: '6 weeks')
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
    if not unit and q.type == "integer" and q.min == 0 and q.max == 10:
        return f"{value}/10"  # a 0-10 scale
    return format_quantity(value, unit, lang)


def as_values(answers: Mapping[str, Any]) -> dict[str, Answer]:
    """Answers that are already canonical, without blanks (for tests and internal callers)."""
    return {k: v for k, v in answers.items() if v is not None}
