"""Numbers as people write them: ``6``, ``6 months``, ``about 6 months``, ``2 yrs``, ``six months``,
``18mo``, ``1.5 years``, ``a year and a half``; and the yes / no / not sure words. One parser for the
questionnaire, ``score`` and ``batch`` (through :mod:`stm_screen.core.answers`).

Every word comes from a per-language :class:`Vocabulary` in :data:`LANGUAGES`. Adding a language is adding
one table (number words, unit words, yes/no/not-sure words, whether a comma is the decimal mark): the
parser itself does not change. Without a language, the words of every table are understood.

Pure: no I/O. A text that is not a quantity gives ``None``; the caller says what is allowed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

# Canonical units of time, with their length in months: a duration typed in another unit of time is
# converted to the question's own unit.
MONTHS_IN = {"days": 12 / 365.25, "weeks": 7 * 12 / 365.25, "months": 1.0, "years": 12.0}


@dataclass(frozen=True)
class Vocabulary:
    """The words of one language. Keys are folded (see :func:`fold`)."""

    lang: str
    numbers: Mapping[str, float]  # 'six': 6, 'twenty': 20, 'a': 1 ('a year')
    tens: frozenset[str]  # number words that another adds to ('twenty' + 'five')
    half: frozenset[str]  # 'half' ('half a year', 'a year and a half')
    and_words: frozenset[str]  # 'and' ('two and a half', '1 year and 6 months')
    approx: frozenset[str]  # words before a number that do not change it: 'about', 'around'
    units: Mapping[str, str]  # unit word -> canonical unit ('yrs' -> 'years')
    unit_names: Mapping[str, tuple[str, str]]  # canonical unit -> (one, many) in this language
    fillers: frozenset[str] = frozenset()  # words after a quantity that add nothing: 'old', 'ago'
    out_of: frozenset[str] = frozenset({"/"})  # '6 out of 10', '6/10' on a scale
    yes: frozenset[str] = frozenset()
    no: frozenset[str] = frozenset()
    unsure: frozenset[str] = frozenset()
    decimal_comma: bool = False  # '1,5' is one and a half
    extra: Mapping[str, str] = field(default_factory=dict)


def fold(text: str) -> str:
    """Case, accents kept (they matter in some languages), spacing and apostrophes folded."""
    text = unicodedata.normalize("NFC", text).casefold().replace("\u2019", "'").replace("'", "")
    return " ".join(text.split())


_EN_NUMBERS = {
    "zero": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "a": 1, "an": 1, "a hundred": 100, "one hundred": 100,
}  # fmt: skip

ENGLISH = Vocabulary(
    lang="en",
    numbers={k: float(v) for k, v in _EN_NUMBERS.items()},
    tens=frozenset({"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}),
    half=frozenset({"half"}),
    and_words=frozenset({"and", "&"}),
    approx=frozenset(
        {"about", "around", "approximately", "approx", "approx.", "roughly", "~", "circa", "ca."}
    ),
    units={
        **dict.fromkeys(("d", "day", "days", "dy", "dys"), "days"),
        **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "weeks"),
        **dict.fromkeys(("m", "mo", "mos", "mon", "mons", "mth", "mths", "month", "months"), "months"),
        **dict.fromkeys(("y", "yr", "yrs", "year", "years"), "years"),
    },
    unit_names={
        "days": ("day", "days"),
        "weeks": ("week", "weeks"),
        "months": ("month", "months"),
        "years": ("year", "years"),
    },
    fillers=frozenset({"old", "ago", "now", "roughly", "about", "approx", "approximately"}),
    out_of=frozenset({"/", "out of", "of"}),
    yes=frozenset({"yes", "y", "true", "t", "1", "checked", "on", "x", "yeah", "yep"}),
    no=frozenset({"no", "n", "false", "f", "0", "unchecked", "off", "nope"}),
    unsure=frozenset(
        {
            "unsure",
            "not sure",
            "notsure",
            "dont know",
            "do not know",
            "idk",
            "unknown",
            "not known",
            "ns",
            "dk",
        }
    ),
)

# Yes and no in other languages that survey exports carry, understood whatever the language (they were
# read before the vocabularies existed); a language's own table adds to them.
NEUTRAL_YES = frozenset({"ja", "oui", "si", "sí"})
NEUTRAL_NO = frozenset({"nein", "non"})

# Language code -> vocabulary. Issue 13 adds 'es' here.
LANGUAGES: dict[str, Vocabulary] = {"en": ENGLISH}


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str | None  # canonical ('months') when a unit of time was written; else the word as typed
    words: bool = False  # written with number words ('six'), not digits
    out_of: float | None = None  # '6 out of 10': the top of the scale it was given on


@cache
def _merged(langs: tuple[str, ...]) -> Vocabulary:
    """One vocabulary holding the words of several languages."""
    tables = [LANGUAGES[lang] for lang in langs if lang in LANGUAGES] or [ENGLISH]
    if len(tables) == 1:
        return tables[0]

    def union(name: str) -> frozenset[str]:
        out: set[str] = set()
        for t in tables:
            out |= getattr(t, name)
        return frozenset(out)

    numbers: dict[str, float] = {}
    units: dict[str, str] = {}
    names: dict[str, tuple[str, str]] = {}
    for t in reversed(tables):  # the first language wins a clash
        numbers.update(t.numbers)
        units.update(t.units)
        names.update(t.unit_names)
    return Vocabulary(
        lang="+".join(langs),
        numbers=numbers,
        tens=union("tens"),
        half=union("half"),
        and_words=union("and_words"),
        approx=union("approx"),
        units=units,
        unit_names=names,
        fillers=union("fillers"),
        yes=union("yes"),
        no=union("no"),
        unsure=union("unsure"),
        decimal_comma=all(t.decimal_comma for t in tables),
    )


def vocabulary(lang: str | None = None) -> Vocabulary:
    """The words of one language, or of every language known (``None``, and for an unknown code)."""
    if lang is not None and lang in LANGUAGES:
        return LANGUAGES[lang]
    return _merged(tuple(LANGUAGES))


def yes_words() -> frozenset[str]:
    return vocabulary().yes | NEUTRAL_YES


def no_words() -> frozenset[str]:
    return vocabulary().no | NEUTRAL_NO


def unsure_words() -> frozenset[str]:
    return vocabulary().unsure


# A number in digits: 6, 6.5, .5, and with a decimal comma 6,5 (when the language uses one).
_DIGITS = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)")
# Digits glued to letters ('18mo', '2yrs'), split apart before reading words.
_GLUED = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")


def _number(token: str, vocab: Vocabulary, decimal_comma: bool | None) -> float | None:
    if not _DIGITS.fullmatch(token):
        return None
    comma = vocab.decimal_comma if decimal_comma is None else decimal_comma
    if "," in token:
        if not comma:
            return None
        token = token.replace(",", ".")
    try:
        return float(token)
    except ValueError:  # pragma: no cover - the pattern only lets numbers through
        return None


def _tokens(text: str, vocab: Vocabulary) -> list[str]:
    text = fold(text).replace("-", " ") if not re.match(r"^\s*-\s*\d", text) else fold(text)
    text = _GLUED.sub(" ", text)
    text = text.replace("~", " ~ ").replace("/", " / ")
    return [t.rstrip(".") if t not in vocab.approx else t for t in text.split()]


class _Reader:
    """A small recursive-descent reader over the tokens of one answer."""

    def __init__(self, tokens: list[str], vocab: Vocabulary, decimal_comma: bool | None) -> None:
        self.t = tokens
        self.i = 0
        self.v = vocab
        self.comma = decimal_comma
        self.words = False

    def peek(self, k: int = 0) -> str | None:
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def take(self, k: int = 1) -> None:
        self.i += k

    def number(self) -> float | None:
        """Digits, or number words ('twenty five', 'one and a half', 'a'); 'half' alone is 0.5."""
        tok = self.peek()
        if tok is None:
            return None
        digits = _number(tok, self.v, self.comma)
        if digits is not None:
            self.take()
            return digits + self._and_a_half()
        if tok in self.v.half:
            self.take()
            return 0.5
        two = f"{tok} {self.peek(1)}" if self.peek(1) is not None else None
        if two is not None and two in self.v.numbers and two not in self.v.units:
            self.take(2)
            self.words = True
            return self.v.numbers[two] + self._and_a_half()
        if tok in self.v.numbers:
            value = self.v.numbers[tok]
            self.take()
            self.words = True
            if tok in self.v.tens:  # twenty five
                nxt = self.peek()
                if nxt is not None and nxt in self.v.numbers and 0 < self.v.numbers[nxt] < 10:
                    value += self.v.numbers[nxt]
                    self.take()
            return value + self._and_a_half()
        return None

    def _and_a_half(self) -> float:
        """'two and a half': the 'and a half' right after a number."""
        if self.peek() in self.v.and_words:
            rest = [self.peek(1), self.peek(2)]
            if rest[0] in self.v.half:
                self.take(2)
                return 0.5
            if rest[1] in self.v.half and rest[0] is not None and self.v.numbers.get(rest[0]) == 1:
                self.take(3)
                return 0.5
        return 0.0

    def unit(self, own: Iterable[str]) -> str | None:
        tok = self.peek()
        if tok is None:
            return None
        if tok in self.v.units:
            self.take()
            return self.v.units[tok]
        if tok in own:
            self.take()
            return tok
        return None


def parse_quantity(
    text: str,
    own_units: Iterable[str] = (),
    *,
    lang: str | None = None,
    decimal_comma: bool | None = None,
) -> Quantity | None:
    """A number with an optional unit, as people write it; ``None`` when the text is not one.

    ``own_units``: the folded words of the question's own unit (say 'points'), understood besides the
    units of time. Several parts of time add up ('1 year 6 months', 'a year and a half'). Words that
    qualify ('more than', 'almost', a range such as '2-3') are not guessed at: they give ``None``.
    """
    vocab = vocabulary(lang)
    own = frozenset(fold(u) for u in own_units if u)
    r = _Reader(_tokens(text, vocab), vocab, decimal_comma)
    while r.peek() in vocab.approx:
        r.take()
    total = 0.0
    unit: str | None = None
    parts = 0
    while r.peek() is not None:
        if parts and r.peek() in vocab.and_words:
            r.take()
        if r.peek() in vocab.half and r.peek(1) in ("a", "an") and parts == 0:  # half a year
            r.take(2)
            value = 0.5
            r.words = True
        else:
            start = r.i
            number = r.number()
            if number is None:
                r.i = start
                break
            value = number
        this_unit = r.unit(own)
        if this_unit is None:
            if parts:  # '1 year 6': a number without a unit after a part with one
                return None
            total, parts = value, 1
            top = _out_of(r)
            if top is not None:
                return Quantity(total, None, r.words, top) if r.peek() is None else None
            break
        if r.peek() in vocab.and_words and r.peek(1) in ("a", "an") and r.peek(2) in vocab.half:
            r.take(3)  # a year and a half
            value += 0.5
        if unit is None:
            unit = this_unit
            total = value
        elif unit in MONTHS_IN and this_unit in MONTHS_IN:
            total += value * MONTHS_IN[this_unit] / MONTHS_IN[unit]
        else:
            return None
        parts += 1
    while r.peek() in vocab.fillers:
        r.take()
    if parts == 0 or r.peek() is not None:
        return None
    return Quantity(total, unit, r.words)


def _out_of(r: _Reader) -> float | None:
    """'out of 10' or '/ 10' after a number: the 10."""
    for width in (2, 1):
        words = " ".join(t for t in (r.peek(k) for k in range(width)) if t is not None)
        if words in r.v.out_of and len(words.split()) == width:
            start = r.i
            r.take(width)
            top = r.number()
            if top is None:
                r.i = start
                return None
            return top
    return None


def convert(value: float, unit: str, to: str) -> float | None:
    """A duration in another unit of time (None when either is not a unit of time)."""
    if unit not in MONTHS_IN or to not in MONTHS_IN:
        return None
    return value * MONTHS_IN[unit] / MONTHS_IN[to]


def canonical_unit(word: str, lang: str | None = None) -> str | None:
    """'months' for 'month', 'mo', 'months' (a unit of time), else None."""
    return vocabulary(lang).units.get(fold(word))


def format_quantity(value: float | int, unit: str, lang: str | None = None) -> str:
    """'1 month', '6 months', '1.5 years': the number and its unit, singular for exactly one."""
    number = f"{value:g}" if isinstance(value, float) else str(value)
    if not unit:
        return number
    canon = canonical_unit(unit, lang)
    if canon is not None:
        one, many = vocabulary(lang).unit_names.get(canon, (unit, unit))
        word = one if value == 1 else many
        # keep the rules' own spelling for more than one ('months'); only the singular is chosen here
        return f"{number} {word if value == 1 else unit}"
    return f"{number} {unit}"


def count(n: int, one: str, many: str | None = None) -> str:
    """'1 answer', '3 answers', '1 criterion', '2 criteria': a number with its noun, singular for one."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
