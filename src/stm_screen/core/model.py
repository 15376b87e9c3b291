"""The rules file format: one declarative spec, used both to check rules files and to publish the JSON Schema.

The spec says what a ruleset may contain, field by field. ``validate`` checks parsed data against it and
returns records with defaults filled in (or every shape problem, each with its path); ``json_schema``
derives the JSON Schema for editors from the same spec. The meaning (ids that must exist, conditions,
score bands) is checked when the ruleset is compiled, in ``core.ruleset``.

A hand-written spec (rather than a model library) keeps start-up fast: the CLI loads rules on every run.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, NamedTuple

from stm_screen.core.conditions import suggest
from stm_screen.errors import value_words
from stm_screen.i18n import _

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
RULESET_ID_PATTERN = r"^[a-z][a-z0-9_.-]*$"
_ID = re.compile(ID_PATTERN)
_RULESET_ID = re.compile(RULESET_ID_PATTERN)
MAX_ID = 64
MAX_CONDITION = 2000

Path = tuple[str | int, ...]


class F(NamedTuple):
    """One field: its kind, whether it is required, its default and a description for the schema.

    Kinds: ``id``, ``ruleset_id``, ``str``, ``text`` (a string or language code -> string), ``cond`` (a
    condition, text or true/false), ``bool``, ``number``, ``version`` (text or number, kept as text),
    ``enum`` (one of ``of``), ``list`` (of the record named by ``of``, or of ``id``/``text``), ``record``,
    ``criteria`` ('all' or a list of ids), ``map_any``, ``map_number`` and ``map_id`` (string keys).
    """

    kind: str
    required: bool = False
    default: Any = None
    of: Any = None
    doc: str = ""


RECORDS: dict[str, dict[str, F]] = {
    "Source": {
        "id": F("id", True),
        "citation": F("str", True, doc="The reference, in any citation style"),
        "url": F("str"),
    },
    "Section": {
        "id": F("id", True),
        "title": F("text", True),
        "intro": F("text", doc="Shown before the section's first question"),
        "safety": F("bool", default=False, doc="True for the red-flag (safety) questions"),
    },
    "Choice": {
        "id": F("id", True),
        "label": F(
            "text",
            doc="Shown to people. Required, except in an instrument whose item text is supplied by the clinic "
            "(item_text: supplied), where it must be left out",
        ),
        "value": F("number", doc="Numeric value (weight) of this choice, for item scores"),
        "codes": F("list", of="Code", doc="Codes of this answer (a LOINC answer code LA...), for FHIR"),
    },
    "Question": {
        "id": F("id", True),
        "text": F(
            "text",
            doc="The question as asked. Required, except in an instrument whose item text is supplied by the "
            "clinic (item_text: supplied), where it must be left out",
        ),
        "help": F("text"),
        "type": F("enum", True, of=("boolean", "integer", "number", "choice", "multi_choice")),
        "min": F("number", doc="Smallest allowed answer (integer and number)"),
        "max": F("number", doc="Largest allowed answer (integer and number)"),
        "unit": F("text", doc="Unit shown with the answer, e.g. months"),
        "choices": F("list", of="Choice", doc="Required for choice and multi_choice"),
        "codes": F("list", of="Code", doc="Codes of this question (a LOINC question code), for FHIR"),
        "ask_if": F("cond", doc="Ask only when this condition over earlier answers holds"),
        "section": F("id"),
        "required": F(
            "bool", default=False, doc="An unanswered required question makes the result incomplete"
        ),
        "aliases": F(
            "list",
            default=(),
            of="str",
            doc="Other titles surveys give this question (column headers such as 'History of cancer?'): "
            "a column titled so answers it, and --suggest-map matches headers against them",
        ),
        "safety": F(
            "bool",
            doc="false: a question outside the safety sections that a warning sign reads (pregnant, in a "
            "sign for a new headache in pregnancy) stays out of the safety questions, which every survey "
            "export must have a column for; a record without its answer leaves that sign could not be "
            "ruled out. Default: a question a warning sign reads is a safety question",
        ),
        "unsure": F(
            "bool",
            doc="Offer 'not sure' as an answer ('unsure' in files); it counts as not known, so a warning "
            "sign that depends on it could not be ruled out. Default: yes in a safety section",
        ),
        "unsure_means_yes": F(
            "record",
            of="UnsureMeansYes",
            doc="Yes/no questions that offer 'not sure' only: 'not sure' is taken as yes for skip logic, "
            "warning signs and scores (as the ASQ counts an unclear answer as a positive screen), while the "
            "answer is still recorded and shown as 'not sure'. Give the source that says so: "
            "{source: asq}",
        ),
        "item": F(
            "version", doc="The item's number on the published instrument, e.g. 9 (shown as 'PEG item 1')"
        ),
        "reverse": F(
            "bool",
            default=False,
            doc="Scored reversed in item scores: (max + min) - value, over the question's min and max or its "
            "choices' values",
        ),
        "counts": F(
            "list",
            of="id",
            doc="Choice questions: in item scores the answer counts 1 when it is one of these choices, 0 for "
            "the others (e.g. STarT Back item 9)",
        ),
    },
    "UnsureMeansYes": {
        "source": F(
            "id", True, doc="The id of an entry in 'sources' that counts 'not sure' as yes for this question"
        ),
    },
    "RedFlag": {
        "id": F("id", True),
        "when": F("cond", True),
        "level": F("enum", True, of=("emergency", "see_doctor")),
        "title": F("text", True),
        "message": F(
            "text",
            True,
            doc="What the person should do, and how soon; {emergency} and {crisis} stand for the "
            "emergency number and crisis line of the person's country",
        ),
        "urgency": F(
            "enum",
            of=("now", "today", "days", "weeks"),
            doc="How soon to act: now (an emergency), today, within days, within weeks",
        ),
        "replaces": F(
            "list",
            of="id",
            doc="Red flags this one stands in for: when both hold, only this one is shown",
        ),
        "if_not_ruled_out": F(
            "list",
            of="id",
            doc="Red flags whose doubt is enough: this one holds only when its condition is true and one of "
            "these could not be ruled out (none of them holding), and it then stands in for them; it is "
            "never itself listed as not ruled out",
        ),
        "source": F("id", True, doc="The id of an entry in 'sources'"),
    },
    "Criterion": {
        "id": F("id", True),
        "when": F("cond", True),
        "points": F("number", default=1),
        "title": F("text", True),
        "explanation": F("text", True, doc="Why this matters, in plain words"),
        "source": F("id", True, doc="The id of an entry in 'sources'"),
    },
    "Score": {
        "id": F("id", True),
        "title": F("text", True),
        "short": F("text", doc="A short name for result lines, e.g. PHQ-4 (default: the title)"),
        "method": F("enum", default="sum", of=("sum", "mean")),
        "criteria": F("criteria", doc="'all' or a list of criterion ids: the points of those that are met"),
        "items": F(
            "list",
            of="id",
            doc="Question ids whose answers are scored (yes = 1, a number as it is, a choice's value; see "
            "the questions' reverse and counts)",
        ),
        "missing": F(
            "enum",
            default="none",
            of=("none", "zero", "prorate"),
            doc="Unanswered items: none (the score is unknown unless every item is answered), zero (they "
            "count 0), prorate (the mean of the answered items stands in for them)",
        ),
        "min_answered": F(
            "number",
            doc="Fewest answered items for a score; below it the score is unknown and says so. Required "
            "with missing: prorate",
        ),
        "round": F("number", doc="Decimal places the score is rounded to (0 for a whole number)"),
        "rounding": F(
            "enum",
            default="half_up",
            of=("half_up", "down", "up"),
            doc="How to round: half_up (2.5 -> 3), down, up",
        ),
        "lookup": F(
            "map_number",
            doc="Raw score -> reported score (e.g. a T-score table a licensed clinic supplies); it must list "
            "every raw score the items can give",
        ),
        "bands": F("list", of="Band", doc="Labelled ranges of the reported score, each with its source"),
        "better": F("enum", of=("lower", "higher"), doc="Which way is better, for following a patient"),
        "important_change": F(
            "list",
            of="ImportantChange",
            doc="The minimal important change: a change reaching every one of these is shown as important",
        ),
        "code": F("record", of="Code", doc="A standard code for the score (FHIR Observation.code)"),
    },
    "Band": {
        "id": F("id", True),
        "label": F("text", True, doc="Shown next to the score, e.g. moderate"),
        "min": F("number", doc="Lowest score of the band (included)"),
        "max": F("number", doc="Highest score of the band (included)"),
        "when": F(
            "cond",
            doc="Instead of min and max: a condition over the instrument's scores (bands are tried in order)",
        ),
        "flag": F(
            "bool",
            default=False,
            doc="A score in this band is pointed out (e.g. for a conversation with a doctor); never an "
            "emergency and never a change of the screening's level",
        ),
        "message": F("text", doc="What a score in this band means for the person, in plain words"),
        "source": F("id", True, doc="The id of an entry in 'sources' behind this band"),
    },
    "ImportantChange": {
        "points": F("number", doc="A change of at least this many points"),
        "percent": F("number", doc="A change of at least this percentage of the earlier score"),
        "source": F("id", True),
    },
    "Code": {
        "system": F("str", True, doc="e.g. http://loinc.org"),
        "code": F("str", True),
        "display": F("str"),
    },
    "Feed": {
        "question": F(
            "id", True, doc="A yes/no question of the screening that this instrument can answer yes"
        ),
        "when": F("cond", True, doc="A condition over the instrument's own questions"),
        "source": F("id", True),
    },
    "IntendedFor": {
        "text": F("text", True, doc="Who the instrument is made for, e.g. people with low back pain"),
        "when": F(
            "cond",
            doc="A condition over the screening's questions that says whether the person fits; when it does "
            "not hold, the result and the questionnaire say so",
        ),
    },
    "Level": {
        "id": F("id", True),
        "title": F("text", True),
        "advice": F("text", True),
        "symbol": F("str", doc="A short symbol shown next to the title"),
        "next_steps": F("list", default=(), of="text"),
    },
    "Outcome": {
        "level": F("id", True),
        "when": F("cond", doc="A condition over question ids and score ids"),
        "score": F("id", doc="With min and/or max: a band of this score (both ends included)"),
        "min": F("number"),
        "max": F("number"),
        "explanation": F("text", doc="Why this outcome gives its level, in plain words"),
        "source": F("id", doc="The id of an entry in 'sources' behind this outcome"),
    },
    "Unchecked": {
        "level": F("id", True, doc="The level given when a warning sign could not be ruled out"),
        "title": F("text", True),
        "advice": F("text", True),
        "next_steps": F("list", default=(), of="text"),
    },
    "Note": {
        "id": F("id", True),
        "when": F("cond", doc="Shown when this holds; always shown when absent"),
        "text": F("text", True),
        "source": F("id", True),
        "with_warnings": F(
            "bool",
            default=False,
            doc="Also shown when a warning sign fired or could not be ruled out (else only with a physical-"
            "therapy or self-care result)",
        ),
    },
    "Example": {
        "name": F("str", True),
        "answers": F("map_any", True),
        "level": F("id", True),
        "scores": F("map_number", default={}),
        "bands": F("map_id", default={}, doc="Score id -> the band its value must fall in"),
        "unknown": F("list", of="id", doc="Scores that must be unknown (too few items answered)"),
        "red_flags": F("list", of="id", doc="When given: exactly the red flags that must fire"),
        "open": F(
            "list", of="id", doc="When given: exactly the red flags that must be left open (not ruled out)"
        ),
    },
    "RulesetFile": {
        "$schema": F("str"),
        "id": F("ruleset_id", True),
        "version": F("version", True),
        "title": F("text", True),
        "description": F("text"),
        "license": F(
            "str",
            doc="An SPDX licence id (e.g. MIT, CC-BY-4.0) or 'proprietary': the terms of the item text",
        ),
        "copyright": F("str", doc="The copyright line, printed in reports"),
        "source": F("str", doc="Where the instrument or rules come from: a URL or a citation"),
        "item_text": F(
            "enum",
            of=("shipped", "supplied"),
            doc="shipped: the question text is in this file; supplied: the licence does not allow shipping it, "
            "so the clinic supplies it with --texts FILE",
        ),
        "include": F(
            "list",
            of="str",
            doc="Instrument modules asked beside the screening: bundled names (phq4, peg, ...) or paths "
            "relative to this file",
        ),
        "languages": F(
            "list",
            default=("en",),
            of="str",
            doc="Language codes (en, es, pt-BR), the first is the default. A text may then be a mapping of "
            "these codes to text; safety text must be in every one (rules check)",
        ),
        "sources": F("list", default=(), of="Source"),
        "disclaimer": F("text", True, doc="Shown with every result: a screening aid, not a diagnosis"),
        "sections": F("list", default=(), of="Section"),
        "questions": F("list", default=(), of="Question"),
        "red_flags": F("list", default=(), of="RedFlag"),
        "criteria": F("list", default=(), of="Criterion"),
        "scores": F("list", default=(), of="Score"),
        "levels": F("list", default=(), of="Level", doc="From least to most urgent"),
        "outcomes": F("list", default=(), of="Outcome"),
        "unchecked": F(
            "record",
            of="Unchecked",
            doc="The result when a warning sign could not be ruled out (a safety answer was 'not sure' or "
            "missing): it replaces any physical-therapy level",
        ),
        "notes": F("list", default=(), of="Note"),
        "examples": F("list", default=(), of="Example"),
    },
    "ModuleExample": {
        "name": F("str", True),
        "answers": F("map_any", True),
        "scores": F("map_number", default={}),
        "bands": F("map_id", default={}, doc="Score id -> the band its value must fall in"),
        "unknown": F("list", of="id", doc="Scores that must be unknown (too few items answered)"),
    },
    "ModuleFile": {
        "$schema": F("str"),
        "module": F("ruleset_id", True, doc="The module's name, as used in include: and --with"),
        "version": F("version", True),
        "title": F("text", True),
        "short": F("str", True, doc="A short name for the instrument, e.g. PHQ-4"),
        "description": F("text"),
        "license": F("str", True, doc="An SPDX licence id or 'proprietary': the terms of the item text"),
        "copyright": F("str", True, doc="The copyright line, printed in reports"),
        "source": F("str", True, doc="Where the instrument comes from: a URL or a citation"),
        "item_text": F("enum", True, of=("shipped", "supplied")),
        "intended_for": F("record", of="IntendedFor"),
        "languages": F("list", default=("en",), of="str"),
        "sources": F("list", default=(), of="Source"),
        "sections": F("list", default=(), of="Section"),
        "questions": F("list", default=(), of="Question"),
        "scores": F("list", default=(), of="Score"),
        "feeds": F(
            "list",
            default=(),
            of="Feed",
            doc="Screening questions this instrument answers yes (e.g. PHQ-9 item 9 and the self-harm warning "
            "sign): the screening's warning signs then fire, with their crisis advice",
        ),
        "examples": F("list", default=(), of="ModuleExample"),
    },
}

# The list sections a rules file may carry; in a folder each may be spread over several files.
LIST_KEYS = tuple(k for k, f in RECORDS["RulesetFile"].items() if f.kind == "list" and f.of in RECORDS)
MODULE_KEY = "module"  # the top-level key that marks a module file


class Rec(SimpleNamespace):
    """A checked record: its fields are attributes (``q.type``, ``q.items``)."""

    def __getattr__(self, name: str) -> Any:  # only reached for unknown names: tells mypy fields are Any
        raise AttributeError(name)


def _show(value: object) -> str:
    if isinstance(value, bool):  # an unquoted yes/no/on/off in YAML 1.1: say why, not only 'True'
        return _(
            "{value}: YAML reads yes, no, on, off, true and false written without quotes as true or false; "
            "put the word in quotes"
        ).format(value=str(value).lower())
    if not isinstance(value, str):  # a number as written; null, a date... said in words, not as Python shows them
        return value_words(value)
    text = f"'{value}'"
    return text if len(text) <= 40 else text[:37] + "..."


MAX_NUMBER = 1e12  # as in conditions: sums of points and bounds stay exact and finite


def _yaml_read_as_text(value: object) -> str:
    """Why a number written in a rules file came out as text: YAML 1.1 (PyYAML) reads ``1.5e3`` and
    ``1e400`` as strings, since its numbers with an exponent need a dot and a signed exponent."""
    if not isinstance(value, str):
        return ""
    try:
        number = float(value.replace("_", ""))
    except ValueError:
        return ""
    if math.isnan(number) or not any(ch.isdigit() for ch in value):  # 'nan', 'inf': words, not numbers
        return ""
    if not math.isfinite(number):
        return "; " + _(
            "YAML read {value} as text, and as a number it would be too large (at most {limit})"
        ).format(value=repr(value), limit=f"{MAX_NUMBER:g}")
    plain = f"{number:.15g}" if abs(number) < 1e15 else f"{number:g}"
    if "e" not in value.lower():  # quoted ('010'), or digits YAML does not know (full-width)
        return "; " + _("YAML read {value} as text, not a number: write {number}").format(
            value=repr(value), number=plain
        )
    return "; " + _(
        "YAML read {value} as text, not a number (YAML numbers with an exponent need a dot and a sign, as in "
        "1.5e+3): write {number}"
    ).format(value=repr(value), number=plain)


def _kind_word(value: object) -> str:
    if isinstance(value, Mapping):
        return _("a mapping")
    if isinstance(value, list):
        return _("a list")
    return _show(value)


class KeyName(str):
    """A mapping key that is not text (a null, true or false, a number, a date), as a step of a path: the
    text the data's positions name it by (``str(key)``, "None" for a null), with ``label``, how a message
    names it (``~``, ``true``: as YAML writes it, not as Python does)."""

    label: str

    def __new__(cls, key: object) -> KeyName:
        made = super().__new__(cls, str(key))
        made.label = "~" if key is None else str(key).lower() if isinstance(key, bool) else str(key)
        return made


class _Validator:
    def __init__(self) -> None:
        self.problems: list[tuple[Path, str]] = []

    def bad(self, path: Path, message: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:  # enough to fix first; the rest is not worth the time
            raise _TooMany
        self.problems.append((path, message))

    def record(self, name: str, data: object, path: Path) -> Rec | None:
        spec = RECORDS[name]
        if not isinstance(data, Mapping):
            # true or false here is no word YAML took for a boolean: no advice to quote it
            got = str(data).lower() if isinstance(data, bool) else _kind_word(data)
            self.bad(path, _("must be a mapping of keys ({keys}), not {got}").format(keys=", ".join(spec), got=got))
            return None
        out: dict[str, Any] = {}
        for key in data:
            if key not in spec and not isinstance(key, str):  # ~ (null), yes (true), 2024-01-01 (a date)...
                self.bad(
                    (*path, KeyName(key)),
                    _("a key that YAML reads as {what}, not as a name; allowed: {keys}").format(
                        what=value_words(key), keys=", ".join(spec)
                    ),
                )
            elif key not in spec:
                self.bad(
                    (*path, str(key)),
                    _("unknown key '{key}'{suggestion}; allowed: {keys}").format(
                        key=key, suggestion=suggest(str(key), list(spec)), keys=", ".join(spec)
                    ),
                )
        for key, field in spec.items():
            if key not in data or data[key] is None:
                if field.required:
                    self.bad(path, _("missing key '{key}'").format(key=key))
                default = field.default
                out[key.lstrip("$")] = list(default) if isinstance(default, tuple) else default
                continue
            out[key.lstrip("$")] = self.value(field, data[key], (*path, key))
        return Rec(**out)

    def value(self, field: F, value: object, path: Path) -> Any:  # noqa: C901 - one branch per kind
        kind = field.kind
        if kind in ("id", "ruleset_id"):
            pattern = _ID if kind == "id" else _RULESET_ID
            if not isinstance(value, str) or not pattern.fullmatch(value) or len(value) > MAX_ID:
                if kind == "ruleset_id":
                    message = _(
                        "must be an id: lower-case letters, digits, _, . and -, starting with a letter, at most "
                        "{n} (got {got})"
                    )
                else:
                    message = _(
                        "must be an id: lower-case letters, digits and _, starting with a letter, at most {n} "
                        "(got {got})"
                    )
                self.bad(path, message.format(n=MAX_ID, got=_show(value)))
                return None
            if kind == "id" and keyword.iskeyword(value):
                self.bad(
                    path,
                    _(
                        "'{value}' is a reserved word of conditions (like if, not, and, or, in, class, lambda), "
                        "so a condition could not name it; choose another id"
                    ).format(value=value),
                )
                return None
            return value
        if kind == "str":
            if not isinstance(value, str):
                self.bad(path, _("must be text (got {got})").format(got=_kind_word(value)))
                return None
            return value
        if kind == "text":
            if isinstance(value, str):
                return value
            if (
                isinstance(value, Mapping)
                and value
                and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
            ):
                return dict(value)
            self.bad(
                path,
                _("must be text, or a mapping of language code to text (got {got})").format(
                    got=_kind_word(value)
                ),
            )
            return None
        if kind == "version":
            if isinstance(value, str) and value.strip():
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            self.bad(path, _('must be a version such as "1.0.0" (got {got})').format(got=_kind_word(value)))
            return None
        if kind == "cond":
            if isinstance(value, bool) or (isinstance(value, str) and len(value) <= MAX_CONDITION):
                return value
            if isinstance(value, str):
                self.bad(
                    path,
                    _("the condition is too long ({n} characters; at most {limit})").format(
                        n=len(value), limit=MAX_CONDITION
                    ),
                )
            else:
                self.bad(
                    path, _("must be a condition written as text (got {got})").format(got=_kind_word(value))
                )
            return None
        if kind == "bool":
            if isinstance(value, bool):
                return value
            self.bad(path, _("must be true or false (got {got})").format(got=_kind_word(value)))
            return None
        if kind == "number":
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                if abs(value) <= MAX_NUMBER:
                    return value
                self.bad(path, _("the number is too large (at most {limit})").format(limit=f"{MAX_NUMBER:g}"))
                return None
            if isinstance(value, float) and not math.isnan(value):
                self.bad(path, _("the number is too large (at most {limit})").format(limit=f"{MAX_NUMBER:g}"))
                return None
            self.bad(
                path,
                _("must be a number (got {got})").format(got=_kind_word(value)) + _yaml_read_as_text(value),
            )
            return None
        if kind == "enum":
            if isinstance(value, str) and value in field.of:
                return value
            hint = suggest(value, list(field.of)) if isinstance(value, str) else ""
            self.bad(
                path,
                _("must be one of: {choices} (got {got})").format(
                    choices=", ".join(field.of), got=_kind_word(value)
                )
                + hint,
            )
            return None
        if kind == "criteria":
            if value == "all":
                return value
            return self.value(F("list", of="id"), value, path)
        if kind == "record":
            return self.record(field.of, value, path)
        if kind in ("map_any", "map_number", "map_id"):
            if not isinstance(value, Mapping):
                self.bad(path, _("must be a mapping (got {got})").format(got=_kind_word(value)))
                return None
            mapping: dict[str, Any] = {}
            for k, v in value.items():
                key = str(k)
                if kind == "map_any":
                    mapping[key] = v
                else:
                    inner = F("number") if kind == "map_number" else F("id")
                    mapping[key] = self.value(inner, v, (*path, key))
            return mapping
        if kind == "list":
            if not isinstance(value, list):
                self.bad(path, _("must be a list (got {got})").format(got=_kind_word(value)))
                return None
            if len(value) > MAX_LIST:  # bounds the work of loading, checking and running the rules
                self.bad(
                    path,
                    _("holds {n} items; at most {limit}").format(n=f"{len(value):,}", limit=f"{MAX_LIST:,}"),
                )
                return None
            if field.of in RECORDS:
                return [self.record(field.of, item, (*path, i)) for i, item in enumerate(value)]
            return [self.value(F(field.of), item, (*path, i)) for i, item in enumerate(value)]
        raise AssertionError(f"unknown field kind {kind}")  # pragma: no cover


MAX_PROBLEMS = 100
MAX_LIST = 1000  # questions, warning signs, criteria, examples, choices, ...: far beyond any screening


class _TooMany(Exception):
    """Validation stops after MAX_PROBLEMS problems (a huge broken file would take long to list)."""


def validate(data: object, record: str = "RulesetFile") -> tuple[Rec | None, list[tuple[Path, str]]]:
    """Check parsed rules data against the spec: (the record with defaults, problems as (path, message)).
    ``record``: ``ModuleFile`` for an instrument module."""
    checker = _Validator()
    if not isinstance(data, Mapping):
        keys = "module, version" if record == "ModuleFile" else "id, version"
        checker.bad((), _("a rules file must be a mapping of keys ({keys}, questions, ...) at the top").format(keys=keys))
        return None, checker.problems
    try:
        rec = checker.record(record, data, ())
    except _TooMany:
        checker.problems.append(((), f"(stopped after the first {MAX_PROBLEMS} problems; fix these first)"))
        return None, checker.problems
    return (rec if not checker.problems else None), checker.problems


def is_module(data: object) -> bool:
    """Whether parsed rules data is an instrument module (it has ``module:`` rather than ``id:``)."""
    return isinstance(data, Mapping) and MODULE_KEY in data and "id" not in data


# --- JSON Schema ---------------------------------------------------------------------------------------

_TEXT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string"},
        {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1},
    ],
    "description": "Text shown to people: a string, or a mapping of language code to string",
}


def _field_schema(field: F) -> dict[str, Any]:
    kind = field.kind
    schema: dict[str, Any]
    if kind in ("id", "ruleset_id"):
        schema = {
            "type": "string",
            "pattern": ID_PATTERN if kind == "id" else RULESET_ID_PATTERN,
            "maxLength": MAX_ID,
        }
    elif kind == "str":
        schema = {"type": "string"}
    elif kind == "text":
        schema = dict(_TEXT_SCHEMA)
    elif kind == "version":
        schema = {"type": ["string", "number"]}
    elif kind == "cond":
        schema = {
            "type": ["string", "boolean"],
            "maxLength": MAX_CONDITION,
            "description": "A condition over question ids: comparisons, and/or/not, in, + and -, literals. "
            "Example: pain_duration_months > 3 and fear_of_movement",
        }
    elif kind == "bool":
        schema = {"type": "boolean"}
    elif kind == "number":
        schema = {"type": "number"}
    elif kind == "enum":
        schema = {"enum": list(field.of)}
    elif kind == "criteria":
        schema = {"anyOf": [{"const": "all"}, {"type": "array", "items": _field_schema(F("id"))}]}
    elif kind == "map_any":
        schema = {"type": "object"}
    elif kind == "map_number":
        schema = {"type": "object", "additionalProperties": {"type": "number"}}
    elif kind == "map_id":
        schema = {"type": "object", "additionalProperties": _field_schema(F("id"))}
    elif kind == "list":
        items = {"$ref": f"#/$defs/{field.of}"} if field.of in RECORDS else _field_schema(F(field.of))
        schema = {"type": "array", "items": items}
    elif kind == "record":
        schema = {"$ref": f"#/$defs/{field.of}"}
    else:  # pragma: no cover
        raise AssertionError(kind)
    if field.doc:
        schema["description"] = field.doc
    if field.default is not None and kind not in ("list", "map_number", "map_id"):
        schema["default"] = field.default
    return schema


def _record_schema(name: str) -> dict[str, Any]:
    spec = RECORDS[name]
    return {
        "type": "object",
        "title": name,
        "properties": {key: _field_schema(f) for key, f in spec.items()},
        "required": [key for key, f in spec.items() if f.required],
        "additionalProperties": False,
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a rules file (a ruleset or an instrument module), for editors."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://stm-screen.invalid/schema/ruleset.json",
        "title": "stm-screen ruleset or instrument module",
        "oneOf": [{"$ref": "#/$defs/RulesetFile"}, {"$ref": "#/$defs/ModuleFile"}],
        "$defs": {name: _record_schema(name) for name in RECORDS},
    }
