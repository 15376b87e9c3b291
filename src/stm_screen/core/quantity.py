"""Numbers as people write them: ``6``, ``6 months``, ``about 6 months``, ``2 yrs``, ``six months``,
``18mo``, ``1.5 years``, ``a year and a half``; in Spanish ``seis meses``, ``2 años``, ``1,5 años``, ``un
año y medio``, ``unos 6 meses``; and the yes / no / not sure words. One parser for the questionnaire,
``score`` and ``batch`` (through :mod:`stm_screen.core.answers`).

Every word comes from a per-language :class:`Vocabulary` in :data:`LANGUAGES` (English and Spanish).
Adding a language is adding one table (number words, unit words, "about" and "half" words, yes/no/not-sure
words, whether a comma is the decimal mark): the parser itself does not change. A chosen language's words
are read with English's (the tool's own language); without a language (files and survey exports), the
words of every table are understood.

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
    courtesy: frozenset[str] = frozenset()  # said around an answer, adding nothing: 'yes please', 'no thanks'
    tens_join: frozenset[str] = frozenset()  # the word between tens and units: 'treinta y seis'
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
    courtesy=frozenset({"please", "pls", "plz", "thanks", "thank you", "thankyou", "many thanks", "cheers"}),
    unsure=frozenset(
        {
            "unsure",
            "not sure",
            "notsure",
            "dont know",
            "do not know",
            "i dont know",
            "i do not know",
            "dunno",
            "no idea",
            "not certain",
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

_ES_NUMBERS = {
    "cero": 0, "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14,
    "quince": 15, "dieciséis": 16, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19,
    "veinte": 20, "veintiuno": 21, "veintiún": 21, "veintiun": 21, "veintiuna": 21, "veintidós": 22,
    "veintidos": 22, "veintitrés": 23, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25,
    "veintiséis": 26, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
    "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80,
    "noventa": 90, "cien": 100,
}  # fmt: skip

SPANISH = Vocabulary(
    lang="es",
    numbers={k: float(v) for k, v in _ES_NUMBERS.items()},
    tens=frozenset({"treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa"}),
    tens_join=frozenset({"y"}),  # treinta y seis
    half=frozenset({"medio", "media"}),  # medio año; un año y medio
    and_words=frozenset({"y"}),
    approx=frozenset(
        {
            "unos", "unas", "como", "aproximadamente", "aprox", "aprox.", "más o menos", "mas o menos",
            "alrededor de", "cerca de", "hace", "desde hace",
        }
    ),  # fmt: skip
    units={
        **dict.fromkeys(("d", "día", "días", "dia", "dias"), "days"),
        **dict.fromkeys(("sem", "sems", "semana", "semanas"), "weeks"),
        **dict.fromkeys(("mes", "meses", "mss"), "months"),
        **dict.fromkeys(("a", "año", "años", "ano", "anos", "anio", "anios"), "years"),
    },
    unit_names={
        "days": ("día", "días"),
        "weeks": ("semana", "semanas"),
        "months": ("mes", "meses"),
        "years": ("año", "años"),
    },
    fillers=frozenset(
        {"atrás", "atras", "ya", "de edad", "aproximadamente", "aprox", "más o menos", "mas o menos"}
    ),
    out_of=frozenset({"/", "de", "sobre"}),  # 6 de 10
    yes=frozenset({"sí", "si", "s", "claro"}),
    no=frozenset({"no", "n"}),
    courtesy=frozenset({"por favor", "porfa", "gracias", "muchas gracias"}),
    unsure=frozenset(
        {
            "no sé", "no se", "no lo sé", "no lo se", "nose", "no estoy seguro", "no estoy segura",
            "no estoy seguro/a", "no estoy segura/o", "no seguro", "no segura", "ns", "ns/nc", "no sabe",
            "desconocido", "no lo sabe", "ni idea", "no tengo idea",
        }
    ),  # fmt: skip
    decimal_comma=True,
)

# Language code -> vocabulary: one table per language (the parser does not change with the language).
LANGUAGES: dict[str, Vocabulary] = {"en": ENGLISH, "es": SPANISH}
SOURCE = "en"  # the tool's own language: its words are understood whatever language was chosen


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str | None  # canonical ('months') when a unit of time was written; else the word as typed
    words: bool = False  # written with number words ('six'), not digits
    out_of: float | None = None  # '6 out of 10': the top of the scale it was given on


@cache
def _merged(langs: tuple[str, ...]) -> Vocabulary:
    """One vocabulary holding the words of several languages; the first wins a clash (a word that is a
    unit in one language and a number in another) and says whether a comma is the decimal mark."""
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
        lang="+".join(t.lang for t in tables),
        numbers=numbers,
        tens=union("tens"),
        half=union("half"),
        and_words=union("and_words"),
        approx=union("approx"),
        units=units,
        unit_names=names,
        fillers=union("fillers"),
        out_of=union("out_of"),
        yes=union("yes"),
        no=union("no"),
        unsure=union("unsure"),
        decimal_comma=tables[0].decimal_comma,
        tens_join=union("tens_join"),
        courtesy=union("courtesy"),
    )


def _base(lang: str | None) -> str | None:
    """'es' for 'es-MX' (the table of the language without its region), None for a language without one."""
    if not lang:
        return None
    for code in (lang, lang.split("-", 1)[0].lower()):
        if code in LANGUAGES:
            return code
    return None


def vocabulary(lang: str | None = None) -> Vocabulary:
    """The words of one language (with the tool's own English words, understood in every language), or of
    every language known (``None``, and for a language without a table: a file or a survey export)."""
    code = _base(lang)
    if code is None:
        return _merged(tuple(LANGUAGES))
    return _merged((code, SOURCE)) if code != SOURCE else LANGUAGES[code]


def own_vocabulary(lang: str | None) -> Vocabulary | None:
    """The table of ``lang`` alone ('es-MX' uses 'es'), without English's words; None for English and for a
    language without a table (the questionnaire's choices take these words as typed aliases)."""
    code = _base(lang)
    return LANGUAGES[code] if code is not None and code != SOURCE else None


def yes_words(lang: str | None = None) -> frozenset[str]:
    """'yes' as people write it, in ``lang`` (every language for ``None``)."""
    return vocabulary(lang).yes | NEUTRAL_YES


def no_words(lang: str | None = None) -> frozenset[str]:
    return vocabulary(lang).no | NEUTRAL_NO


def unsure_words(lang: str | None = None) -> frozenset[str]:
    """'not sure' as people write it, folded (:func:`fold`), in ``lang`` (every language for ``None``)."""
    return vocabulary(lang).unsure


# Words of the yes / no tables that files and exports use but a person typing an answer does not mean as
# one ('1' and '0' are choice numbers to a person; 'x', 'on', 't' are a ticked box or a flag).
FILE_ONLY = frozenset({"true", "false", "t", "f", "1", "0", "checked", "unchecked", "on", "off", "x"})


def spoken(words: Iterable[str]) -> frozenset[str]:
    """The words a person types for an answer, without those of files only (:data:`FILE_ONLY`)."""
    return frozenset(w for w in words if w not in FILE_ONLY)


def without_courtesy(text: str, lang: str | None = None) -> str:
    """The answer in a polite reply: 'Yes please', 'no, thank you.', 'Sí, por favor' give 'yes', 'no' and
    'sí' (folded, see :func:`fold`). Only words of courtesy and the punctuation around them go; a reply
    that says something more ('yes but not often') keeps it, and is not read as a plain yes."""
    vocab = vocabulary(lang)
    phrases = sorted(vocab.courtesy, key=len, reverse=True)
    words = " ".join(re.sub(r"[.,;:!¡¿?]+", " ", fold(text)).split())
    changed = True
    while changed and words:
        changed = False
        for phrase in phrases:
            if words == phrase:
                return fold(text)  # courtesy alone is no answer
            if words.endswith(" " + phrase):
                words, changed = words[: -len(phrase) - 1], True
            elif words.startswith(phrase + " "):
                words, changed = words[len(phrase) + 1 :], True
    return words


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
            return digits + self.and_a_half()
        if tok in self.v.half:
            self.take()
            self.words = True
            return 0.5
        two = f"{tok} {self.peek(1)}" if self.peek(1) is not None else None
        if two is not None and two in self.v.numbers and two not in self.v.units:
            self.take(2)
            self.words = True
            return self.v.numbers[two] + self.and_a_half()
        if tok in self.v.numbers:
            value = self.v.numbers[tok]
            self.take()
            self.words = True
            if tok in self.v.tens:  # twenty five; treinta y seis
                skip = 1 if self.peek() in self.v.tens_join else 0
                nxt = self.peek(skip)
                if nxt is not None and nxt in self.v.numbers and 0 < self.v.numbers[nxt] < 10:
                    value += self.v.numbers[nxt]
                    self.take(skip + 1)
            return value + self.and_a_half()
        return None

    def and_a_half(self) -> float:
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

    def phrase(self, words: frozenset[str]) -> bool:
        """Take a word or phrase of ``words`` ('about', 'más o menos') when it comes next."""
        for width in (3, 2, 1):
            parts = [self.peek(k) for k in range(width)]
            if None not in parts and " ".join(p for p in parts if p is not None) in words:
                self.take(width)
                return True
        return False

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
    while r.phrase(vocab.approx):
        pass
    total = 0.0
    unit: str | None = None
    parts = 0
    while r.peek() is not None:
        if parts and r.peek() in vocab.and_words:
            r.take()
        if r.peek() in vocab.half and vocab.numbers.get(r.peek(1) or "") == 1 and parts == 0:  # half a year
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
        value += r.and_a_half()  # a year and a half; un año y medio
        if unit is None:
            unit = this_unit
            total = value
        elif unit in MONTHS_IN and this_unit in MONTHS_IN:
            total += value * MONTHS_IN[this_unit] / MONTHS_IN[unit]
        else:
            return None
        parts += 1
    while r.phrase(vocab.fillers):
        pass
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
    """'months' for 'month', 'mo', 'months', 'meses' (a unit of time), else None."""
    return vocabulary(lang).units.get(fold(word))


def format_quantity(value: float | int, unit: str, lang: str | None = None) -> str:
    """'1 month', '6 months', '1.5 years', '1 mes': the number and its unit, singular for exactly one."""
    number = f"{value:g}" if isinstance(value, float) else str(value)
    if not unit:
        return number
    if value != 1:  # keep the rules' own spelling for more than one ('months'); only the singular is chosen
        return f"{number} {unit}"
    word = fold(unit)
    # the singular from the table of the language the unit is written in ('meses' -> 'mes'), whatever the
    # language asked for (a ruleset without this language shows its first language's unit)
    tables = [LANGUAGES[c] for c in (_base(lang),) if c is not None] + list(LANGUAGES.values())
    for table in tables:
        canon = table.units.get(word)
        if canon is not None and canon in table.unit_names:
            return f"{number} {table.unit_names[canon][0]}"
    return f"{number} {unit}"


def count(n: int, one: str, many: str | None = None) -> str:
    """'1 answer', '3 answers', '1 criterion', '2 criteria': a number with its noun, singular for one."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
