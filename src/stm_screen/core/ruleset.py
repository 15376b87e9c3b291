"""A checked, compiled ruleset, and the function that builds one from parsed rules data.

``compile_ruleset`` takes plain data (as parsed from YAML) and a ``locate`` callback that turns a path inside
that data into a file position; it checks everything a rules author can get wrong and raises one
:class:`~stm_screen.errors.RulesError` listing every problem. Nothing here reads files.
"""

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from stm_screen.core import model as m
from stm_screen.core.conditions import (
    Condition,
    ConditionError,
    Implies,
    NameInfo,
    compile_condition,
    suggest,
)
from stm_screen.core.contacts import PLACEHOLDERS, placeholders
from stm_screen.core.language import LANG_CODE, resolve
from stm_screen.errors import Problem, RulesError
from stm_screen.i18n import N_, _, gettext_in

Path = tuple[str | int, ...]
Locate = Callable[[Path, int], tuple[str, int, int]]

RED_FLAG_LEVELS = ("see_doctor", "emergency")
UNSURE = "unsure"  # the canonical 'not sure' answer (see Question.unsure)
# How soon, in words (translated where shown: core.explain.how_soon).
URGENCY_WORDS = {
    "now": N_("now"),
    "today": N_("today"),
    "days": N_("within a few days"),
    "weeks": N_("within a few weeks"),
}
# Keys whose values are text shown to people (checked for placeholders); conditions are not among them.
_TEXT_KEYS = frozenset(
    {
        "title",
        "text",
        "help",
        "intro",
        "message",
        "explanation",
        "advice",
        "next_steps",
        "label",
        "disclaimer",
    }
)
# Output fields of batch scoring: an instrument's score (a column of its own) may not take these names.
RESERVED_SCORE_IDS = frozenset(
    {"file", "row", "id", "status", "level", "urgency", "score", "red_flags", "criteria_met",
     "unanswered_red_flags", "unanswered_urgency", "error"}
)  # fmt: skip
_SPDX = re.compile(r"^(proprietary|[A-Za-z0-9][A-Za-z0-9.+-]*( (AND|OR|WITH) [A-Za-z0-9][A-Za-z0-9.+-]*)*)$")
SUPPLIED = "supplied"  # item_text: the clinic supplies the wording (--texts); the rules file ships none
MAX_ROUND = 6


class Words(NamedTuple):
    """Text in one or more languages; ``str()`` gives the language the ruleset is shown in (its first
    language, or the one :func:`stm_screen.core.localised.localise` chose)."""

    by_lang: Mapping[str, str]
    default: str

    def get(self, lang: str | None = None) -> str:
        if lang and lang in self.by_lang:
            return self.by_lang[lang]
        return self.default

    def __str__(self) -> str:
        return self.default

    def languages(self, first: str) -> frozenset[str]:
        """The languages this text is written in (plain text counts as the ruleset's first language)."""
        return frozenset(self.by_lang) if self.by_lang else frozenset({first} if self.default else ())


def _words(value: str | Mapping[str, str] | None, languages: list[str]) -> Words:
    if value is None:
        return Words({}, "")
    if isinstance(value, str):
        return Words({}, value)
    return Words(dict(value), resolve(value, None, languages))


class Code(NamedTuple):
    """A code from a code system (LOINC, SNOMED CT), carried to FHIR exports."""

    system: str
    code: str
    display: str | None = None


class Choice(NamedTuple):
    id: str
    label: Words
    value: float | None
    codes: tuple[Code, ...] = ()


class Question(NamedTuple):
    id: str
    order: int  # position in the questionnaire, from 0
    text: Words
    help: Words
    type: str
    min: float | None
    max: float | None
    unit: Words
    choices: tuple[Choice, ...]
    ask_if: Condition | None
    section: str | None
    required: bool
    safety: bool  # asked in a safety section or referred to by a red flag
    unsure: bool = False  # 'not sure' is an answer (it counts as not known, unless unsure_yes)
    unsure_yes: bool = False  # 'not sure' is taken as yes (unsure_means_yes; boolean questions that offer it)
    unsure_source: str | None = None  # the source that says so
    item: str | None = None  # the item's number on the published instrument
    reverse: bool = False  # scored (max + min) - value in item scores
    counts: frozenset[str] | None = None  # choices that score 1 (the others 0) in item scores
    module: str | None = None  # the instrument module the question belongs to (None: the screening)
    supplied: bool = False  # its wording is supplied by the clinic (item_text: supplied)
    wording: bool = True  # False: supplied wording that was not given (the questionnaire cannot ask it)
    codes: tuple[Code, ...] = ()  # e.g. the LOINC code of the question, for FHIR
    aliases: tuple[str, ...] = ()  # other titles surveys give it (column headers)

    @property
    def choice_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.choices)

    def choice(self, choice_id: str) -> Choice:
        for c in self.choices:
            if c.id == choice_id:
                return c
        raise KeyError(choice_id)


class Section(NamedTuple):
    id: str
    title: Words
    intro: Words
    safety: bool
    module: str | None = None


class Source(NamedTuple):
    id: str
    citation: str
    url: str | None


class RedFlag(NamedTuple):
    id: str
    when: Condition
    level: str
    title: Words
    message: Words
    source: Source
    urgency: str | None = None  # now, today, days, weeks
    replaces: tuple[str, ...] = ()
    # holds only when ``when`` is true and one of these signs could not be ruled out (none of them holding);
    # it then stands in for them (see Scorer.conclude)
    if_not_ruled_out: tuple[str, ...] = ()


class Criterion(NamedTuple):
    id: str
    when: Condition
    points: float
    title: Words
    explanation: Words
    source: Source


class Band(NamedTuple):
    """A labelled range of a score (or a condition over its instrument's scores), with its source."""

    id: str
    label: Words
    min: float | None
    max: float | None
    when: Condition | None
    flag: bool
    message: Words
    source: Source


class ImportantChange(NamedTuple):
    """One threshold of a score's minimal important change: points, or a percentage of the earlier score."""

    points: float | None
    percent: float | None
    source: Source


class Score(NamedTuple):
    id: str
    title: Words
    method: str
    criteria: tuple[str, ...]
    items: tuple[str, ...]
    low: float  # the range of the reported score (after rounding and lookup)
    high: float
    integral: bool
    short: Words = Words({}, "")
    missing: str = "none"  # none | zero | prorate (item scores)
    min_answered: int = 0  # fewest answered items for a score (item scores)
    round: int | None = None  # decimal places
    rounding: str = "half_up"
    lookup: Mapping[float, float] | None = None  # raw score -> reported score
    bands: tuple[Band, ...] = ()
    better: str | None = None  # lower | higher
    important_change: tuple[ImportantChange, ...] = ()
    code: Code | None = None
    module: str | None = None
    raw_low: float = 0.0  # the range of the raw score (before lookup)
    raw_high: float = 0.0

    @property
    def name(self) -> str:
        """The short name for result lines (PHQ-4), else the title."""
        return str(self.short) or str(self.title)


class Level(NamedTuple):
    id: str
    rank: int
    title: Words
    advice: Words
    symbol: str
    next_steps: tuple[Words, ...]


class Outcome(NamedTuple):
    level: str
    when: Condition | None
    score: str | None
    min: float | None
    max: float | None
    explanation: Words = Words({}, "")
    source: Source | None = None


class Unchecked(NamedTuple):
    """The result when a warning sign could not be ruled out: it replaces any outcome level."""

    level: str
    title: Words
    advice: Words
    next_steps: tuple[Words, ...]


# The 'could not be checked' result of a ruleset with no 'unchecked:' of its own. Each warning sign not ruled
# out is listed with what to do if it fits (an emergency's advice in full); then a doctor within a few days,
# the same time frame as the bundled rules' own (clinical review, December 2026: unknown is not safe, but
# an unanswered question alone is not an emergency). No 'below' or 'above': the list is above the summary
# on a screen and below it on paper.
DEFAULT_UNCHECKED = (
    N_("Some warning signs could not be checked"),
    N_(
        "Some safety questions were answered 'Not sure' or not answered, so this screening cannot rule out "
        "a problem that a doctor should check first."
    ),
    (
        N_("Read each warning sign that could not be checked. If one fits you, do what it says."),
        N_(
            "If none fits, see a doctor in the next few days, before you start any new treatment for this "
            "pain. Tell them which safety questions you could not answer."
        ),
    ),
)


class Note(NamedTuple):
    id: str
    when: Condition | None
    text: Words
    source: Source
    with_warnings: bool = False  # also shown under warning signs


class Example(NamedTuple):
    name: str
    answers: Mapping[str, Any]
    level: str | None  # None: a module's example (no level)
    scores: Mapping[str, float]
    path: Path
    red_flags: tuple[str, ...] | None = None
    open: tuple[str, ...] | None = None
    bands: Mapping[str, str] = {}
    unknown: tuple[str, ...] = ()


class Feed(NamedTuple):
    """A yes/no question of the screening that an instrument answers yes when its condition holds."""

    question: str
    when: Condition
    source: Source
    module: str


class Module(NamedTuple):
    """A validated instrument asked beside the screening: its own questions, scores and licence."""

    id: str
    version: str
    title: Words
    short: str
    description: Words
    license: str
    copyright: str
    source: str
    item_text: str
    languages: tuple[str, ...]
    sources: Mapping[str, Source]
    sections: Mapping[str, Section]
    questions: tuple[Question, ...]
    scores: tuple[Score, ...]
    feeds: tuple[Feed, ...]
    examples: tuple[Example, ...]
    sha256: str
    origin: str = ""
    intended_for: Words = Words({}, "")
    intended_when: str | bool | None = None  # a condition over the screening's questions, compiled on attach
    locate: Locate | None = None

    def where(self, path: Path) -> str:
        if self.locate is None:
            return self.origin
        file, line, col = self.locate(path, 0)
        return str(Problem("", file, line, col)).rstrip(": ")


class Ruleset(NamedTuple):
    id: str
    version: str
    title: Words
    description: Words
    languages: tuple[str, ...]
    disclaimer: Words
    sources: Mapping[str, Source]
    sections: Mapping[str, Section]
    questions: tuple[Question, ...]
    red_flags: tuple[RedFlag, ...]
    criteria: tuple[Criterion, ...]
    scores: tuple[Score, ...]
    levels: tuple[Level, ...]
    outcomes: tuple[Outcome, ...]
    notes: tuple[Note, ...]
    examples: tuple[Example, ...]
    sha256: str
    unchecked: Unchecked | None = None
    origin: str = ""
    by_id: Mapping[str, Question] = {}
    level_by_id: Mapping[str, Level] = {}
    locate: Locate | None = None
    license: str | None = None
    copyright: str | None = None
    source: str | None = None
    item_text: str = "shipped"
    modules: tuple[Module, ...] = ()
    feeds: tuple[Feed, ...] = ()
    audience: Mapping[str, Condition] = {}  # module id -> the condition of its intended_for
    notices: tuple[str, ...] = ()  # what a person adding modules should know (said once, on stderr)
    base_sha256: str = ""  # the hash of the screening's own rules, without its modules
    # Author mistakes that do not stop the rules (rules check shows them): texts missing in a language,
    # skip logic (core.skiplogic).
    warnings: tuple[Problem, ...] = ()
    lang: str = ""  # the language its texts are shown in: its first language, or the one localise() chose
    country: str | None = None  # the country whose words (physiotherapy, physical therapy) are used

    def question(self, qid: str) -> Question:
        return self.by_id[qid]

    @property
    def headline(self) -> Score | None:
        """The score shown as 'the' score: the one named ``total``, else the first (never a module's)."""
        own = [s for s in self.scores if s.module is None]
        for s in own:
            if s.id == "total":
                return s
        return own[0] if own else None

    def module(self, module_id: str) -> Module:
        for mod in self.modules:
            if mod.id == module_id:
                return mod
        raise KeyError(module_id)

    @property
    def missing_wording(self) -> tuple[Question, ...]:
        """Questions whose wording the clinic must supply (--texts) and has not."""
        return tuple(q for q in self.questions if not q.wording)

    def where(self, path: Path) -> str:
        """``FILE:LINE:COL`` of a place in the rules, for messages about it."""
        if self.locate is None:
            return self.origin
        file, line, col = self.locate(path, 0)
        return str(Problem("", file, line, col)).rstrip(": ")


def name_info(q: Question | m.Rec) -> NameInfo:
    """What a question's id stands for in a condition (its kind, and a choice question's choices), of a
    compiled question or of one as the rules file writes it."""
    if q.type == "boolean":
        return NameInfo("bool")
    if q.type in ("integer", "number"):
        return NameInfo("num")
    return NameInfo("choice" if q.type == "choice" else "multi", tuple(c.id for c in q.choices or ()))


def covers(ruleset: Ruleset) -> tuple[tuple[str, str, Implies], ...]:
    """``(new, old, test)`` for each warning sign ``new`` that ``replaces`` another, ``old``: ``test`` tells
    whether, for this person, ``old`` could only be true where ``new`` is too (see :class:`Implies`). A sign
    that could not be checked is then left out when the sign replacing it could not be checked either: its
    advice is the replacing sign's, and sooner (a weakness 'within a few days' beside the same weakness with
    symptoms in both legs, an emergency, when only the weakness is in doubt)."""
    if not any(rf.replaces for rf in ruleset.red_flags):
        return ()
    names = {q.id: name_info(q) for q in ruleset.questions}
    by_id = {rf.id: rf for rf in ruleset.red_flags}
    return tuple(
        (rf.id, old, Implies(by_id[old].when, rf.when, names))
        for rf in ruleset.red_flags
        for old in rf.replaces
        if old in by_id
    )


def _no_locate(path: Path, offset: int) -> tuple[str, int, int]:
    return ("", 0, 0)


class _Compiler:
    def __init__(self, data: Mapping[str, Any], locate: Locate, record: str = "RulesetFile") -> None:
        self.data = data
        self.locate = locate
        self.record = record
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def label(self, path: Path) -> str:
        """``questions[3] 'pain_areas'`` style label of a place: position and, when it has one, its id."""
        base = _label(path)
        if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
            items = self.data.get(path[0]) if isinstance(self.data, Mapping) else None
            if isinstance(items, list) and path[1] < len(items) and isinstance(items[path[1]], Mapping):
                ident = items[path[1]].get("id") or items[path[1]].get("name")
                if isinstance(ident, str) and ident:
                    head = _label(path[:2])
                    return f"{head} '{ident}'{base[len(head) :]}"
        return base

    def problem(self, path: Path, message: str, offset: int = 0) -> None:
        file, line, col = self.locate(path, offset)
        self.problems.append(Problem(message, file, line, col))

    def condition(self, path: Path, text: str | bool, names: Mapping[str, NameInfo]) -> Condition | None:
        try:
            return compile_condition(text, names)
        except ConditionError as exc:
            self.problem(path, f"{self.label(path)}: {exc.message}", exc.offset)
            return None

    def unique(self, section: str, items: Iterable[Any], key: str = "id") -> None:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            ident = getattr(item, key)
            if ident in seen:
                self.problem(
                    (section, i, key),
                    _("{section}: duplicate id '{ident}' (first used at item {seen})").format(
                        section=section, ident=ident, seen=seen[ident] + 1
                    ),
                )
            else:
                seen[ident] = i

    # --- shape ------------------------------------------------------------------------------------------

    def validate_shape(self) -> m.Rec | None:
        raw, problems = m.validate(self.data, self.record)
        for path, message in problems:
            where = self.label(path) or _("top level")
            self.problem(path, f"{where}: {message}")
        return raw

    # --- meaning ----------------------------------------------------------------------------------------

    def sources_of(self, raw: m.Rec) -> tuple[dict[str, Source], Callable[[Path, str], Source]]:
        sources = {s.id: Source(s.id, s.citation, s.url) for s in raw.sources}

        def source(path: Path, ident: str) -> Source:
            if ident not in sources:
                self.problem(
                    path,
                    _("{where}: unknown source '{ident}'{hint}").format(
                        where=self.label(path), ident=ident, hint=suggest(ident, list(sources))
                    ),
                )
                return Source(ident, "", None)
            return sources[ident]

        return sources, source

    def build_questions(
        self,
        raw: m.Rec,
        sections: Mapping[str, Section],
        langs: list[str],
        *,
        supplied: bool,
        owner: str,
        module: str | None = None,
    ) -> tuple[list[Question], dict[str, NameInfo]]:
        """The questions in order (ask_if may only look back), and the names conditions may use."""
        names: dict[str, NameInfo] = {}
        all_names = {q.id: name_info(q) for q in raw.questions}
        questions: list[Question] = []
        for i, q in enumerate(raw.questions):
            path: Path = ("questions", i)
            self.check_question(path, q, supplied=supplied, owner=owner)
            ask_if = None
            if q.ask_if is not None:
                ask_if = self.ask_if((*path, "ask_if"), q, names, all_names)
            if q.section is not None and q.section not in sections:
                self.problem(
                    (*path, "section"),
                    _("{where}: unknown section '{q_section}'{hint}").format(
                        where=self.label(path), q_section=q.section, hint=suggest(q.section, list(sections))
                    ),
                )
            names[q.id] = all_names[q.id]
            in_safety = bool(q.section and q.section in sections and sections[q.section].safety)
            if in_safety and q.safety is False:
                self.problem(
                    (*path, "safety"),
                    _("{where}: a question of a safety section is a safety question ('safety: false' is for "
                      "a question outside them that a warning sign reads)").format(where=self.label(path)),
                )
            unsure = in_safety if q.unsure is None else q.unsure
            if unsure and UNSURE in {c.id for c in q.choices or ()}:
                self.problem(
                    (*path, "unsure"),
                    _("{where}: a choice id '{unsure}' would be mistaken for the answer 'not sure'").format(
                        where=self.label(path), unsure=UNSURE
                    ),
                )
            unsure_yes = self.unsure_means_yes(path, q, unsure, raw)
            section = q.section
            if section is None and module is not None and sections:
                section = next(iter(sections))  # a module's questions are asked in its own section
            text = _words(q.text, langs)
            if supplied:
                text = Words({}, _placeholder(owner, q.item, q.id))
            questions.append(
                Question(
                    id=q.id,
                    order=i,
                    text=text,
                    help=_words(q.help, langs),
                    type=q.type,
                    min=q.min,
                    max=q.max,
                    unit=_words(q.unit, langs),
                    choices=tuple(
                        Choice(
                            c.id,
                            _words(c.label, langs) if c.label is not None else Words({}, c.id),
                            c.value,
                            _codes(c.codes),
                        )
                        for c in q.choices or ()
                    ),
                    ask_if=ask_if,
                    section=section,
                    required=q.required,
                    safety=in_safety,
                    unsure=unsure,
                    unsure_yes=unsure_yes is not None,
                    unsure_source=unsure_yes,
                    item=q.item,
                    reverse=q.reverse,
                    counts=None if q.counts is None else frozenset(q.counts),
                    module=module,
                    supplied=supplied,
                    wording=not supplied,
                    codes=_codes(q.codes),
                    aliases=tuple(str(a) for a in (q.aliases or ())),
                )
            )
        return questions, all_names

    def unsure_means_yes(self, path: Path, q: m.Rec, unsure: bool, raw: m.Rec) -> str | None:
        """The source id of a question's ``unsure_means_yes`` (None: 'not sure' is not known, as usual).
        Only a yes/no question that offers 'not sure' may take it as yes: anywhere else it is refused."""
        given = q.unsure_means_yes
        if given is None:
            return None
        where = (*path, "unsure_means_yes")
        if q.type != "boolean":
            self.problem(
                where,
                _("{where}: only a yes/no question can take 'not sure' as yes; this one is {kind}").format(
                    where=self.label(where), kind=q.type.replace("_", " ")
                ),
            )
            return None
        if not unsure:
            self.problem(
                where,
                _(
                    "{where}: this question does not offer 'not sure' (it is not in a safety section, or says unsure: false), so 'not sure' cannot be taken as yes; add unsure: true or drop this"
                ).format(where=self.label(where)),
            )
            return None
        ids = [s.id for s in raw.sources]
        if given.source not in ids:
            self.problem(
                (*where, "source"),
                _("{where}: unknown source '{ident}'{hint}").format(
                    where=self.label((*where, "source")), ident=given.source, hint=suggest(given.source, ids)
                ),
            )
            return None
        return str(given.source)

    def build(self, raw: m.Rec, sha256: str, origin: str, modules: Sequence[Module] = ()) -> Ruleset | None:
        langs = list(raw.languages) or ["en"]
        for key in ("sources", "sections", "questions", "red_flags", "criteria", "scores", "levels", "notes"):
            self.unique(key, getattr(raw, key))
        if not raw.questions:
            self.problem((), _("the ruleset has no questions"))
        self.check_placeholders(self.data, ())
        self.check_licence(raw)

        sources, source = self.sources_of(raw)
        sections = {
            s.id: Section(s.id, _words(s.title, langs), _words(s.intro, langs), s.safety)
            for s in raw.sections
        }
        supplied = raw.item_text == SUPPLIED
        questions, own_names = self.build_questions(raw, sections, langs, supplied=supplied, owner=raw.id)
        # Conditions may also use the questions of the modules this ruleset includes.
        all_names = dict(own_names)
        for mod in modules:
            for mq in mod.questions:
                all_names.setdefault(mq.id, _question_info(mq))
        red_flag_names: set[str] = set()
        scores = self.build_scores(raw, [], {q.id: q for q in questions}, langs, source)
        module_scores = [s for mod in modules for s in mod.scores]
        # Scores over items are known before any condition runs: warning signs, criteria and notes may use
        # them (an unknown score makes them unknown, never zero).
        item_scores = {
            s.id: NameInfo("num", description="score")
            for s in [*scores, *module_scores]
            if s.items and s.id not in all_names
        }
        cond_names = {**all_names, **item_scores}

        red_flags: list[RedFlag] = []
        for i, rf in enumerate(raw.red_flags):
            path: Path = ("red_flags", i)
            cond = self.condition((*path, "when"), rf.when, cond_names)
            src = source((*path, "source"), rf.source)
            if cond is not None:
                red_flag_names |= cond.names
                red_flags.append(
                    RedFlag(
                        rf.id,
                        cond,
                        rf.level,
                        _words(rf.title, langs),
                        _words(rf.message, langs),
                        src,
                        rf.urgency,
                        tuple(rf.replaces or ()),
                        tuple(rf.if_not_ruled_out or ()),
                    )
                )
        flag_ids = [rf.id for rf in raw.red_flags]
        doubted = {rf.id for rf in raw.red_flags if rf.if_not_ruled_out}
        for i, rf in enumerate(raw.red_flags):
            for j, other in enumerate(rf.if_not_ruled_out or ()):
                where = ("red_flags", i, "if_not_ruled_out", j)
                if other == rf.id or other in doubted:
                    self.problem(
                        where,
                        _(
                            "{where}: if_not_ruled_out: '{other}' is this red flag or has an if_not_ruled_out of "
                            "its own: the signs named here must be plain red flags"
                        ).format(where=self.label(("red_flags", i)), other=other),
                    )
                elif other not in flag_ids:
                    self.problem(
                        where,
                        _("{where}: if_not_ruled_out: unknown red flag '{other}'{hint}").format(
                            where=self.label(("red_flags", i)), other=other, hint=suggest(other, flag_ids)
                        ),
                    )
            for j, other in enumerate(rf.replaces or ()):
                where = ("red_flags", i, "replaces", j)
                if other == rf.id:
                    self.problem(
                        where,
                        _("{where}: a red flag cannot replace itself").format(
                            where=self.label(("red_flags", i))
                        ),
                    )
                elif other not in flag_ids:
                    self.problem(
                        where,
                        _("{where}: unknown red flag '{other}'{hint}").format(
                            where=self.label(("red_flags", i)), other=other, hint=suggest(other, flag_ids)
                        ),
                    )
        kept_out = {q.id for q in raw.questions if q.safety is False}  # (see model: Question.safety)
        questions = [
            q if q.safety or q.id not in red_flag_names or q.id in kept_out else _replace_safety(q)
            for q in questions
        ]

        criteria: list[Criterion] = []
        for i, c in enumerate(raw.criteria):
            path = ("criteria", i)
            if not math.isfinite(c.points):
                self.problem(
                    (*path, "points"),
                    _("{where}: points must be a finite number").format(where=self.label(path)),
                )
            cond = self.condition((*path, "when"), c.when, cond_names)
            src = source((*path, "source"), c.source)
            if cond is not None:
                criteria.append(
                    Criterion(c.id, cond, c.points, _words(c.title, langs), _words(c.explanation, langs), src)
                )

        levels = self.build_levels(raw, langs)
        outcomes = self.build_outcomes(raw, [*scores, *module_scores], levels, all_names, source, langs)
        unchecked = self.build_unchecked(raw, levels, langs)

        notes: list[Note] = []
        for i, n in enumerate(raw.notes):
            path = ("notes", i)
            cond = None if n.when is None else self.condition((*path, "when"), n.when, cond_names)
            src = source((*path, "source"), n.source)
            notes.append(Note(n.id, cond, _words(n.text, langs), src, bool(n.with_warnings)))

        score_ids = {s.id for s in [*scores, *module_scores]}
        known_flags = {rf.id for rf in raw.red_flags}
        examples = []
        for i, ex in enumerate(raw.examples):
            path = ("examples", i)
            if ex.level not in levels:
                self.problem(
                    (*path, "level"),
                    _("{where}: unknown level '{ex_level}'{hint}").format(
                        where=self.label(path), ex_level=ex.level, hint=suggest(ex.level, list(levels))
                    ),
                )
            self.check_example_scores(path, ex, score_ids)
            for key in ("red_flags", "open"):
                for j, rid in enumerate(getattr(ex, key) or ()):
                    if rid not in known_flags:
                        self.problem(
                            (*path, key, j),
                            _("{where}: unknown red flag '{rid}'{hint}").format(
                                where=self.label(path), rid=rid, hint=suggest(rid, sorted(known_flags))
                            ),
                        )
            examples.append(
                Example(
                    ex.name,
                    dict(ex.answers),
                    ex.level,
                    dict(ex.scores),
                    path,
                    None if ex.red_flags is None else tuple(ex.red_flags),
                    None if ex.open is None else tuple(ex.open),
                    dict(ex.bands),
                    tuple(ex.unknown or ()),
                )
            )

        self.check_languages(langs, questions, {rf.level for rf in raw.red_flags}, raw.unchecked)
        if self.problems:
            return None
        return Ruleset(
            id=raw.id,
            version=raw.version,
            title=_words(raw.title, langs),
            description=_words(raw.description, langs),
            languages=tuple(langs),
            disclaimer=_words(raw.disclaimer, langs),
            sources=sources,
            sections=sections,
            questions=tuple(questions),
            red_flags=tuple(red_flags),
            criteria=tuple(criteria),
            scores=tuple(scores),
            levels=tuple(levels.values()),
            outcomes=tuple(outcomes),
            notes=tuple(notes),
            examples=tuple(examples),
            sha256=sha256,
            origin=origin,
            by_id={q.id: q for q in questions},
            level_by_id=levels,
            locate=self.locate,
            unchecked=unchecked,
            license=raw.license,
            copyright=raw.copyright,
            source=raw.source,
            item_text=raw.item_text or "shipped",
            base_sha256=sha256,
            warnings=tuple(sorted(self.warnings, key=lambda p: (p.file, p.line, p.col))),
            lang=langs[0],
        )

    def check_licence(self, raw: m.Rec) -> None:
        """``license`` is an SPDX licence expression (MIT, CC-BY-4.0, LicenseRef-x, A OR B) or 'proprietary'."""
        if raw.license is not None and not _SPDX.fullmatch(raw.license):
            self.problem(
                ("license",),
                _(
                    "license: '{raw_license}' is not an SPDX licence id (such as MIT or CC-BY-4.0) or 'proprietary'; say the terms in 'copyright'"
                ).format(raw_license=raw.license[:60]),
            )

    def check_example_scores(self, path: Path, ex: m.Rec, score_ids: set[str]) -> None:
        for sid in ex.scores:
            if sid not in score_ids:
                self.problem(
                    (*path, "scores", sid),
                    _("{where}: unknown score '{sid}'").format(where=self.label(path), sid=sid),
                )
        for sid in ex.bands:
            if sid not in score_ids:
                self.problem(
                    (*path, "bands", sid),
                    _("{where}: unknown score '{sid}'").format(where=self.label(path), sid=sid),
                )
        for j, sid in enumerate(ex.unknown or ()):
            if sid not in score_ids:
                self.problem(
                    (*path, "unknown", j),
                    _("{where}: unknown score '{sid}'").format(where=self.label(path), sid=sid),
                )

    def build_module(self, raw: m.Rec, sha256: str, origin: str) -> Module | None:
        langs = list(raw.languages) or ["en"]
        for key in ("sources", "sections", "questions", "scores"):
            self.unique(key, getattr(raw, key))
        if not raw.questions:
            self.problem((), _("the module has no questions"))
        if not raw.scores:
            self.problem((), _("the module has no scores"))
        self.check_placeholders(self.data, ())
        self.check_licence(raw)
        sources, source = self.sources_of(raw)
        sections: dict[str, Section] = {}
        for i, sec in enumerate(raw.sections):
            if sec.safety:
                self.problem(
                    ("sections", i, "safety"),
                    _(
                        "{where}: a module's questions are never safety questions; warning signs stay in the screening (a module may answer one of its questions: see feeds)"
                    ).format(where=self.label(("sections", i))),
                )
            sections[sec.id] = Section(
                sec.id, _words(sec.title, langs), _words(sec.intro, langs), False, raw.module
            )
        if not sections:
            sid = raw.module.replace("-", "_").replace(".", "_")
            sections[sid] = Section(sid, Words({}, raw.short), Words({}, ""), False, raw.module)
        supplied = raw.item_text == SUPPLIED
        questions, names = self.build_questions(
            raw, sections, langs, supplied=supplied, owner=raw.short, module=raw.module
        )
        for i, q in enumerate(raw.questions):
            if q.required:
                self.problem(
                    ("questions", i, "required"),
                    _(
                        "{where}: a module's questions cannot be required; a score says how many answers it needs (min_answered)"
                    ).format(where=self.label(("questions", i))),
                )
        scores = self.build_scores(raw, [], {q.id: q for q in questions}, langs, source, module=raw.module)
        score_ids = {s.id for s in scores}
        for i, s in enumerate(raw.scores):
            if s.criteria is not None:
                self.problem(
                    ("scores", i, "criteria"),
                    _("{where}: a module scores its items").format(where=self.label(("scores", i))),
                )
            if s.id in names:
                self.problem(
                    ("scores", i, "id"),
                    _("{where}: the id '{s_id}' is also a question's id").format(
                        where=self.label(("scores", i)), s_id=s.id
                    ),
                )
        feeds: list[Feed] = []
        for i, f in enumerate(raw.feeds):
            path: Path = ("feeds", i)
            cond = self.condition((*path, "when"), f.when, names)
            src = source((*path, "source"), f.source)
            if cond is not None:
                feeds.append(Feed(f.question, cond, src, raw.module))
        examples = []
        for i, ex in enumerate(raw.examples):
            path = ("examples", i)
            self.check_example_scores(path, ex, score_ids)
            examples.append(
                Example(
                    ex.name,
                    dict(ex.answers),
                    None,
                    dict(ex.scores),
                    path,
                    None,
                    None,
                    dict(ex.bands),
                    tuple(ex.unknown or ()),
                )
            )
        intended = raw.intended_for
        if self.problems:
            return None
        return Module(
            id=raw.module,
            version=raw.version,
            title=_words(raw.title, langs),
            short=raw.short,
            description=_words(raw.description, langs),
            license=raw.license,
            copyright=raw.copyright,
            source=raw.source,
            item_text=raw.item_text,
            languages=tuple(langs),
            sources=sources,
            sections=sections,
            questions=tuple(questions),
            scores=tuple(scores),
            feeds=tuple(feeds),
            examples=tuple(examples),
            sha256=sha256,
            origin=origin,
            intended_for=_words(intended.text, langs) if intended is not None else Words({}, ""),
            intended_when=intended.when if intended is not None else None,
            locate=self.locate,
        )

    # --- languages --------------------------------------------------------------------------------------

    def check_languages(
        self, langs: list[str], questions: list[Question], flag_levels: set[str], unchecked: m.Rec | None
    ) -> None:
        """Every text is in declared languages only; safety text is in all of them (an error otherwise),
        other text should be (a warning, listing each)."""
        seen: set[str] = set()
        for i, code in enumerate(langs):
            if not LANG_CODE.fullmatch(code):
                self.problem(
                    ("languages", i),
                    _("languages: '{code}' is not a language code such as en, es or pt-BR").format(code=code),
                )
            elif code in seen:
                self.problem(("languages", i), _("languages: '{code}' is listed twice").format(code=code))
            seen.add(code)
        safe_questions = {q.id for q in questions if q.safety}
        safe_levels = set(flag_levels) | ({unchecked.level} if unchecked is not None else set())
        safe_sections = {s.get("id") for s in self._items("sections") if s.get("safety") is True}
        texts: list[tuple[Path, bool]] = [
            (("title",), False),
            (("description",), False),
            (("disclaimer",), True),
        ]
        safe_ids: dict[str, set[Any] | None] = {  # None: every item is safety text
            "sections": safe_sections,
            "questions": set(safe_questions),
            "red_flags": None,
            "levels": safe_levels,
        }
        for key, fields in (
            ("sections", ("title", "intro")),
            ("questions", ("text", "help", "unit")),
            ("red_flags", ("title", "message")),
            ("criteria", ("title", "explanation")),
            ("scores", ("title",)),
            ("levels", ("title", "advice", "next_steps")),
            ("outcomes", ("explanation",)),
            ("notes", ("text",)),
        ):
            for i, item in enumerate(self._items(key)):
                ids = safe_ids.get(key, set())
                is_safe = ids is None or item.get("id") in ids
                texts.extend(((key, i, f), is_safe) for f in fields)
                if key == "questions":
                    for j, _choice in enumerate(item.get("choices") or ()):
                        texts.append((("questions", i, "choices", j, "label"), is_safe))
        if isinstance(self.data.get("unchecked"), Mapping):
            texts.extend((("unchecked", f), True) for f in ("title", "advice", "next_steps"))
        for path, is_safe in texts:
            value = self._at(path)
            if isinstance(value, list):
                for k, item in enumerate(value):
                    self.text_languages((*path, k), item, langs, is_safe)
            else:
                self.text_languages(path, value, langs, is_safe)

    def _items(self, key: str) -> list[Mapping[str, Any]]:
        items = self.data.get(key)
        if not isinstance(items, list):
            return []
        return [item if isinstance(item, Mapping) else {} for item in items]

    def _at(self, path: Path) -> Any:
        value: Any = self.data
        for part in path:
            if isinstance(part, int):
                value = value[part] if isinstance(value, list) and part < len(value) else None
            else:
                value = value.get(part) if isinstance(value, Mapping) else None
        return value

    def text_languages(self, path: Path, value: Any, langs: list[str], safety: bool) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return
        if isinstance(value, str):
            have = {langs[0]}
        elif isinstance(value, Mapping):
            have = {str(k) for k in value}
            for code in value:
                if str(code) not in langs:
                    self.problem(
                        (*path, str(code)),
                        _(
                            "{where}: '{code}' is not one of the ruleset's languages ({join}); add it to 'languages' or remove this text"
                        ).format(where=self.label(path), code=code, join=", ".join(langs)),
                    )
        else:
            return
        missing = [code for code in langs if code not in have]
        if not missing:
            return
        shown = ", ".join(f"'{c}'" for c in missing)
        if safety:
            self.problem(
                path,
                _(
                    "{where}: no {shown} text; safety text (warning signs, their levels, the disclaimer, safety questions) must be written in every language the ruleset declares"
                ).format(where=self.label(path), shown=shown),
            )
        else:
            fallback = next((c for c in langs if c in have), next(iter(sorted(have)), "?"))
            file, line, col = self.locate(path, 0)
            self.warnings.append(
                Problem(
                    _("{where}: no {shown} text; the '{fallback}' text is shown instead").format(
                        where=self.label(path), shown=shown, fallback=fallback
                    ),
                    file,
                    line,
                    col,
                )
            )

    def check_question(self, path: Path, q: m.Rec, *, supplied: bool = False, owner: str = "") -> None:
        label = self.label(path)
        if supplied:
            shipped = [k for k in ("text", "help") if getattr(q, k) is not None]
            shipped += [
                _("the label of choice '{c_id}'").format(c_id=c.id)
                for c in q.choices or ()
                if c.label is not None
            ]
            for key in shipped:
                where = (*path, key) if key in ("text", "help") else (*path, "choices")
                self.problem(
                    where,
                    _(
                        "{label}: {key} is shipped, but {owner}'s item text is 'supplied' (its licence does not let it be shipped): remove it; the clinic gives the wording with --texts FILE"
                    ).format(label=label, key=key, owner=owner),
                )
            if q.item is None:
                self.problem(
                    path,
                    _("{label}: give 'item', the item's number on the published form").format(label=label),
                )
        else:
            if q.text is None:
                self.problem(path, _("{label}: missing key 'text'").format(label=label))
            for j, c in enumerate(q.choices or ()):
                if c.label is None:
                    self.problem(
                        (*path, "choices", j),
                        _("{label}: choice '{c_id}': missing key 'label'").format(label=label, c_id=c.id),
                    )
        numeric = q.type in ("integer", "number")
        if not numeric:
            for key in ("min", "max", "unit"):
                if getattr(q, key) is not None:
                    self.problem(
                        (*path, key),
                        _("{label}: '{key}' is only for integer and number questions").format(
                            label=label, key=key
                        ),
                    )
        else:
            for key in ("min", "max"):
                value = getattr(q, key)
                if value is not None and not math.isfinite(value):
                    self.problem(
                        (*path, key),
                        _("{label}: '{key}' must be a finite number").format(label=label, key=key),
                    )
                elif value is not None and q.type == "integer" and value != int(value):
                    self.problem(
                        (*path, key),
                        _("{label}: '{key}' of an integer question must be a whole number").format(
                            label=label, key=key
                        ),
                    )
            if q.min is not None and q.max is not None and q.min > q.max:
                self.problem(
                    (*path, "min"),
                    _("{label}: min ({q_min:g}) is larger than max ({q_max:g})").format(
                        label=label, q_min=q.min, q_max=q.max
                    ),
                )
        if q.type in ("choice", "multi_choice"):
            if not q.choices:
                self.problem(
                    path, _("{label}: a {q_type} question needs 'choices'").format(label=label, q_type=q.type)
                )
            else:
                self.unique_choices(path, q.choices)
        elif q.choices is not None:
            self.problem(
                (*path, "choices"),
                _("{label}: 'choices' are only for choice and multi_choice questions").format(label=label),
            )
        if q.counts is not None:
            ids = [c.id for c in q.choices or ()]
            if q.type != "choice":
                self.problem(
                    (*path, "counts"), _("{label}: 'counts' is only for choice questions").format(label=label)
                )
            for j, cid in enumerate(q.counts):
                if q.type == "choice" and cid not in ids:
                    self.problem(
                        (*path, "counts", j),
                        _("{label}: counts: unknown choice '{cid}'{hint}").format(
                            label=label, cid=cid, hint=suggest(cid, ids)
                        ),
                    )
            if q.reverse:
                self.problem(
                    (*path, "reverse"),
                    _("{label}: give either 'counts' or 'reverse', not both").format(label=label),
                )
        if q.reverse and q.type == "multi_choice":
            self.problem(
                (*path, "reverse"),
                _("{label}: a multi_choice question cannot be reversed").format(label=label),
            )

    def unique_choices(self, path: Path, choices: list[m.Rec]) -> None:
        seen: set[str] = set()
        for j, c in enumerate(choices):
            if c.id in seen:
                self.problem(
                    (*path, "choices", j, "id"),
                    _("{where}: duplicate choice id '{c_id}'").format(where=self.label(path), c_id=c.id),
                )
            seen.add(c.id)

    def ask_if(
        self, path: Path, q: m.Rec, earlier: Mapping[str, NameInfo], every: Mapping[str, NameInfo]
    ) -> Condition | None:
        assert q.ask_if is not None
        try:
            return compile_condition(q.ask_if, earlier)
        except ConditionError as exc:
            # Say precisely why a known question cannot be used here.
            later = _first_name_in(q.ask_if, set(every) - set(earlier))
            if later == q.id:
                self.problem(
                    path,
                    _("{where}: ask_if refers to the question itself ('{q_id}')").format(
                        where=self.label(path), q_id=q.id
                    ),
                    exc.offset,
                )
            elif later is not None:
                self.problem(
                    path,
                    _(
                        "{where}: ask_if refers to '{later}', which is asked later; it may only use earlier questions"
                    ).format(where=self.label(path), later=later),
                    exc.offset,
                )
            else:
                self.problem(path, f"{self.label(path)}: {exc.message}", exc.offset)
            return None

    def build_scores(
        self,
        raw: m.Rec,
        criteria: list[Criterion],
        questions: Mapping[str, Question],
        langs: list[str],
        source: Callable[[Path, str], Source],
        module: str | None = None,
    ) -> list[Score]:
        known_criteria = {c.id: c for c in getattr(raw, "criteria", None) or ()}
        scores: list[Score] = []
        for i, s in enumerate(raw.scores):
            path: Path = ("scores", i)
            label = self.label(path)
            if (s.criteria is None) == (s.items is None):
                self.problem(path, _("{label}: give either 'criteria' or 'items'").format(label=label))
                continue
            low = high = 0.0
            integral = s.method == "sum"
            crit_ids: tuple[str, ...] = ()
            item_ids: tuple[str, ...] = ()
            if s.criteria is not None:
                crit_ids = tuple(known_criteria) if s.criteria == "all" else tuple(s.criteria)
                for j, cid in enumerate(crit_ids):
                    if cid not in known_criteria:
                        self.problem(
                            (*path, "criteria", j),
                            _("{label}: unknown criterion '{cid}'{hint}").format(
                                label=label, cid=cid, hint=suggest(cid, list(known_criteria))
                            ),
                        )
                        continue
                    pts = known_criteria[cid].points
                    low, high = low + min(pts, 0), high + max(pts, 0)
                    integral = integral and float(pts).is_integer()
                if s.method == "mean" and crit_ids:
                    low, high = low / len(crit_ids), high / len(crit_ids)
                for key in ("min_answered",):
                    if getattr(s, key) is not None:
                        self.problem(
                            (*path, key),
                            _("{label}: '{key}' is only for scores over items").format(label=label, key=key),
                        )
                if s.missing != "none":
                    self.problem(
                        (*path, "missing"),
                        _("{label}: 'missing' is only for scores over items").format(label=label),
                    )
            else:
                item_ids = tuple(s.items or ())
                lows, highs = [], []
                for j, qid in enumerate(item_ids):
                    q = questions.get(qid)
                    if q is None:
                        self.problem(
                            (*path, "items", j),
                            _("{label}: unknown question '{qid}'{hint}").format(
                                label=label, qid=qid, hint=suggest(qid, list(questions))
                            ),
                        )
                        continue
                    rng = item_range(q)
                    if rng is None:
                        self.problem(
                            (*path, "items", j),
                            _(
                                "{label}: '{qid}' cannot be scored: it needs a min and max, be yes/no, have a value on every choice, or say which choices count"
                            ).format(label=label, qid=qid),
                        )
                        continue
                    if s.missing == "zero" and not rng[0] <= 0 <= rng[1]:
                        self.problem(
                            (*path, "missing"),
                            _(
                                "{label}: missing: zero, but '{qid}' scores {rng:g} to {rng_b:g}, so 0 is not one of its scores; use missing: prorate or none"
                            ).format(label=label, qid=qid, rng=rng[0], rng_b=rng[1]),
                        )
                    lows.append(rng[0])
                    highs.append(rng[1])
                    integral = integral and rng[2]
                if len(set(item_ids)) != len(item_ids):
                    self.problem((*path, "items"), _("{label}: an item is listed twice").format(label=label))
                if lows:
                    if s.method == "sum":
                        low, high = sum(lows), sum(highs)
                    else:
                        low, high = min(lows), max(highs)
                if s.missing == "prorate" and s.method == "sum":
                    integral = False  # a prorated sum is a whole number only once rounded
            n = len(item_ids)
            need = self.min_answered(path, s, n)
            if s.method == "mean":
                integral = False
            decimals = self.rounding(path, s)
            if decimals is not None:
                integral = decimals == 0 or integral
            raw_low, raw_high = low, high
            lookup = None
            if s.lookup is not None:
                lookup = self.lookup(path, s, low, high, integral)
                if lookup:
                    low, high = min(lookup.values()), max(lookup.values())
                    integral = all(float(v).is_integer() for v in lookup.values())
            if integral:
                low, high = int(low), int(high)
            changes = []
            for j, ch in enumerate(s.important_change or ()):
                where: Path = (*path, "important_change", j)
                if (ch.points is None) == (ch.percent is None):
                    self.problem(
                        where,
                        _("{label}: important_change: give either points or percent").format(label=label),
                    )
                for key in ("points", "percent"):
                    value = getattr(ch, key)
                    if value is not None and value <= 0:
                        self.problem(
                            (*where, key),
                            _("{label}: important_change: {key} must be above 0").format(
                                label=label, key=key
                            ),
                        )
                changes.append(ImportantChange(ch.points, ch.percent, source((*where, "source"), ch.source)))
            if changes and s.better is None:
                self.problem(
                    path,
                    _(
                        "{label}: with important_change, say which way is better (better: lower or higher)"
                    ).format(label=label),
                )
            score = Score(
                s.id,
                _words(s.title, langs),
                s.method,
                crit_ids,
                item_ids,
                low,
                high,
                integral,
                short=_words(s.short, langs),
                missing=s.missing,
                min_answered=need,
                round=decimals,
                rounding=s.rounding,
                lookup=lookup,
                better=s.better,
                important_change=tuple(changes),
                code=None if s.code is None else Code(s.code.system, s.code.code, s.code.display),
                module=module,
                raw_low=raw_low,
                raw_high=raw_high,
            )
            scores.append(score)
        # Bands last: a band's condition may look at any score of the same rules.
        names = {s.id: NameInfo("num", description="score") for s in scores}
        position = {r.id: i for i, r in reversed(list(enumerate(raw.scores)))}
        out = []
        for score in scores:
            i = position[score.id]
            bands = self.build_bands(("scores", i), raw.scores[i].bands or [], score, names, langs, source)
            out.append(score._replace(bands=bands))
        return out

    def min_answered(self, path: Path, s: m.Rec, n: int) -> int:
        """The fewest answered items a score needs (0 for a score over criteria)."""
        if s.items is None:
            return 0
        label = self.label(path)
        given = s.min_answered
        if given is not None and (given != int(given) or not 1 <= given <= max(n, 1)):
            self.problem(
                (*path, "min_answered"),
                _("{label}: min_answered must be a whole number from 1 to {n}").format(label=label, n=n),
            )
            given = None
        if s.missing == "prorate" and s.min_answered is None:
            self.problem(
                path,
                _(
                    "{label}: missing: prorate needs min_answered (how many items must be answered, as the instrument says)"
                ).format(label=label),
            )
        if s.missing == "none":
            if given is not None and int(given) != n:
                self.problem(
                    (*path, "min_answered"),
                    _(
                        "{label}: with missing: none every item must be answered (min_answered {n}); to score with fewer, say how the others count: missing: prorate or zero"
                    ).format(label=label, n=n),
                )
            return n
        if given is None:
            return 1 if s.missing == "zero" else n
        return int(given)

    def rounding(self, path: Path, s: m.Rec) -> int | None:
        if s.round is None:
            return None
        if s.round != int(s.round) or not 0 <= s.round <= MAX_ROUND:
            self.problem(
                (*path, "round"),
                _("{where}: round must be a whole number from 0 to {max_round}").format(
                    where=self.label(path), max_round=MAX_ROUND
                ),
            )
            return None
        return int(s.round)

    def lookup(
        self, path: Path, s: m.Rec, low: float, high: float, integral: bool
    ) -> dict[float, float] | None:
        label = self.label(path)
        if not integral:
            self.problem(
                (*path, "lookup"),
                _(
                    "{label}: a lookup table needs whole raw scores: a sum of whole-number items, or round: 0"
                ).format(label=label),
            )
            return None
        table: dict[float, float] = {}
        for key, value in s.lookup.items():
            try:
                raw_score = float(key)
            except ValueError:
                raw_score = math.nan
            if not math.isfinite(raw_score) or not raw_score.is_integer():
                self.problem(
                    (*path, "lookup", key),
                    _("{label}: lookup: '{key}' is not a whole raw score").format(label=label, key=key),
                )
                continue
            if not low <= raw_score <= high:
                self.problem(
                    (*path, "lookup", key),
                    _(
                        "{label}: lookup: raw score {raw_score:g} is outside what the items can give ({low:g} to {high:g})"
                    ).format(label=label, raw_score=raw_score, low=low, high=high),
                )
                continue
            if value is not None:
                table[raw_score] = value
        missing = [v for v in range(int(low), int(high) + 1) if float(v) not in table]
        if missing and len(table) == len(s.lookup):
            shown = ", ".join(str(v) for v in missing[:8]) + (" ..." if len(missing) > 8 else "")
            self.problem(
                (*path, "lookup"),
                _("{label}: lookup: no reported score for raw score(s) {shown}").format(
                    label=label, shown=shown
                ),
            )
        return table

    def build_bands(
        self,
        path: Path,
        specs: list[m.Rec],
        score: Score,
        names: Mapping[str, NameInfo],
        langs: list[str],
        source: Callable[[Path, str], Source],
    ) -> tuple[Band, ...]:
        label = self.label(path)
        bands: list[Band] = []
        seen: set[str] = set()
        ranges: list[tuple[int, float, float]] = []
        for j, b in enumerate(specs):
            where: Path = (*path, "bands", j)
            if b.id in seen:
                self.problem(
                    (*where, "id"), _("{label}: duplicate band id '{b_id}'").format(label=label, b_id=b.id)
                )
            seen.add(b.id)
            cond = None
            if b.when is not None:
                if b.min is not None or b.max is not None:
                    self.problem(
                        where,
                        _("{label}: band '{b_id}': give either 'when' or min and max").format(
                            label=label, b_id=b.id
                        ),
                    )
                    continue
                cond = self.condition((*where, "when"), b.when, names)
            elif b.min is None and b.max is None:
                self.problem(
                    where,
                    _("{label}: band '{b_id}': give min and/or max, or 'when'").format(
                        label=label, b_id=b.id
                    ),
                )
                continue
            else:
                lo = -math.inf if b.min is None else b.min
                hi = math.inf if b.max is None else b.max
                if lo > hi:
                    self.problem(
                        (*where, "min"),
                        _("{label}: band '{b_id}': min ({lo:g}) is larger than max ({hi:g})").format(
                            label=label, b_id=b.id, lo=lo, hi=hi
                        ),
                    )
                    continue
                ranges.append((j, lo, hi))
            bands.append(
                Band(
                    b.id,
                    _words(b.label, langs),
                    b.min,
                    b.max,
                    cond,
                    b.flag,
                    _words(b.message, langs),
                    source((*where, "source"), b.source),
                )
            )
        if ranges and len(ranges) != len(specs):
            self.problem(
                (*path, "bands"),
                _("{label}: bands: use ranges (min, max) or conditions (when), not both").format(label=label),
            )
        elif ranges:
            for message, (j, key) in _band_gaps(score, sorted(ranges, key=lambda r: (r[1], r[2])), "bands"):
                self.problem((*path, "bands", j, key), f"{label}: {message}")
        return tuple(bands)

    def check_replaces(self, raw: m.Rec, levels: dict[str, Level]) -> None:
        """A red flag replaces only signs no more urgent than itself (level, then how soon): where both fire
        only it is shown, and where both could not be checked the one it covers is left out (see
        :func:`covers`), so a less urgent sign replacing an emergency would hide the emergency."""
        from stm_screen.core.explain import URGENCY_ORDER

        def urgency(rf: m.Rec) -> tuple[int, int]:
            level = levels[rf.level].rank if rf.level in levels else -1
            soon = URGENCY_ORDER.index(rf.urgency) if rf.urgency in URGENCY_ORDER else -1
            return level, soon

        by_id = {rf.id: rf for rf in raw.red_flags}
        for i, rf in enumerate(raw.red_flags):
            for j, other in enumerate(rf.replaces or ()):
                if other in by_id and other != rf.id and urgency(by_id[other]) > urgency(rf):
                    self.problem(
                        ("red_flags", i, "replaces", j),
                        _(
                            "{where}: '{other}' is more urgent than this red flag (its level, or how soon), "
                            "so it cannot be replaced by it: the more urgent advice would be hidden"
                        ).format(where=self.label(("red_flags", i)), other=other),
                    )

    def build_levels(self, raw: m.Rec, langs: list[str]) -> dict[str, Level]:
        levels = {}
        for rank, lv in enumerate(raw.levels):
            levels[lv.id] = Level(
                lv.id,
                rank,
                _words(lv.title, langs),
                _words(lv.advice, langs),
                lv.symbol or "",
                tuple(_words(s, langs) for s in lv.next_steps),
            )
        if not raw.levels:
            self.problem((), _("the ruleset declares no 'levels'"))
            return levels
        used_by_flags = {rf.level for rf in raw.red_flags}
        for i, rf in enumerate(raw.red_flags):
            if rf.level not in levels:
                self.problem(
                    ("red_flags", i, "level"),
                    _("{where}: level '{rf_level}' must also be declared under 'levels'").format(
                        where=self.label(("red_flags", i)), rf_level=rf.level
                    ),
                )
        self.check_replaces(raw, levels)
        outcome_levels = {o.level for o in raw.outcomes}
        flag_ranks = [levels[lv].rank for lv in used_by_flags if lv in levels]
        for i, o in enumerate(raw.outcomes):
            if o.level in levels and flag_ranks and levels[o.level].rank > min(flag_ranks):
                self.problem(
                    ("outcomes", i, "level"),
                    _(
                        "{where}: level '{o_level}' is listed as more urgent than a red-flag level; red-flag levels must come last in 'levels'"
                    ).format(where=self.label(("outcomes", i)), o_level=o.level),
                )
        del outcome_levels
        return levels

    def check_placeholders(self, data: Any, path: Path) -> None:
        """Every ``{name}`` in text shown to people must be one the tool fills in."""
        if isinstance(data, Mapping):
            for key, value in data.items():
                if key == "examples":
                    continue
                if key in _TEXT_KEYS:
                    self.text_placeholders(value, (*path, str(key)))
                elif isinstance(value, Mapping | list):
                    self.check_placeholders(value, (*path, str(key)))
        elif isinstance(data, list):
            for i, item in enumerate(data):
                self.check_placeholders(item, (*path, i))

    def text_placeholders(self, value: Any, path: Path) -> None:
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.text_placeholders(item, (*path, i))
            return
        texts = value.items() if isinstance(value, Mapping) else [(None, value)]
        for lang, text in texts:
            if not isinstance(text, str):
                continue
            for name in placeholders(text):
                if name not in PLACEHOLDERS:
                    where = (*path, lang) if lang else path
                    self.problem(
                        where,
                        _("{where}: unknown placeholder '{{{name}}}'{hint}; allowed: {join}").format(
                            where=self.label(path),
                            name=name,
                            hint=suggest(name, PLACEHOLDERS),
                            join=", ".join("{" + p + "}" for p in PLACEHOLDERS),
                        ),
                    )

    def build_unchecked(self, raw: m.Rec, levels: Mapping[str, Level], langs: list[str]) -> Unchecked | None:
        flag_levels = sorted(
            {rf.level for rf in raw.red_flags if rf.level in levels}, key=lambda lv: levels[lv].rank
        )
        spec = raw.unchecked
        if spec is None:
            if not flag_levels:
                return None
            title, advice, steps = DEFAULT_UNCHECKED

            def tool_words(text: str) -> Words:
                """The tool's own wording, in every language the ruleset declares that the tool speaks."""
                return Words({lang: gettext_in(lang, text) for lang in langs}, text) if langs else Words({}, text)

            return Unchecked(flag_levels[0], tool_words(title), tool_words(advice), tuple(map(tool_words, steps)))
        path: Path = ("unchecked",)
        if spec.level not in levels:
            self.problem(
                (*path, "level"),
                _("unchecked: unknown level '{spec_level}'{hint}").format(
                    spec_level=spec.level, hint=suggest(spec.level, list(levels))
                ),
            )
            return None
        outcome_ranks = [levels[o.level].rank for o in raw.outcomes if o.level in levels]
        if outcome_ranks and levels[spec.level].rank <= max(outcome_ranks):
            self.problem(
                (*path, "level"),
                _(
                    "unchecked: level '{spec_level}' must be more urgent than every outcome's level, so that a warning sign that could not be ruled out never gives a physical-therapy result"
                ).format(spec_level=spec.level),
            )
        return Unchecked(
            spec.level,
            _words(spec.title, langs),
            _words(spec.advice, langs),
            tuple(_words(s, langs) for s in spec.next_steps),
        )

    def build_outcomes(
        self,
        raw: m.Rec,
        scores: list[Score],
        levels: Mapping[str, Level],
        questions: Mapping[str, NameInfo],
        source: Callable[[Path, str], Source],
        langs: list[str],
    ) -> list[Outcome]:
        score_names = {s.id: NameInfo("num", description="score") for s in scores}
        for i, s in enumerate(raw.scores):
            if s.id in questions:
                self.problem(
                    ("scores", i, "id"),
                    _(
                        "{where}: the id '{s_id}' is also a question's id; an outcome condition could not tell them apart"
                    ).format(where=self.label(("scores", i)), s_id=s.id),
                )
        names = {**questions, **score_names}
        by_id = {s.id: s for s in scores}
        outcomes: list[Outcome] = []
        bands: dict[str, list[tuple[int, float, float]]] = {}
        if not raw.outcomes:
            self.problem((), _("the ruleset declares no 'outcomes'"))
        for i, o in enumerate(raw.outcomes):
            path: Path = ("outcomes", i)
            if o.level not in levels:
                self.problem(
                    (*path, "level"),
                    _("{where}: unknown level '{o_level}'{hint}").format(
                        where=self.label(path), o_level=o.level, hint=suggest(o.level, list(levels))
                    ),
                )
            cond = None
            if o.when is not None:
                if o.score is not None or o.min is not None or o.max is not None:
                    self.problem(
                        path,
                        _("{where}: give either 'when' or a score band (score, min, max)").format(
                            where=self.label(path)
                        ),
                    )
                    continue
                cond = self.condition((*path, "when"), o.when, names)
            elif o.score is None:
                self.problem(
                    path,
                    _("{where}: give either 'when' or a score band (score, min, max)").format(
                        where=self.label(path)
                    ),
                )
                continue
            elif o.score not in by_id:
                self.problem(
                    (*path, "score"),
                    _("{where}: unknown score '{o_score}'{hint}").format(
                        where=self.label(path), o_score=o.score, hint=suggest(o.score, list(by_id))
                    ),
                )
                continue
            else:
                lo = -math.inf if o.min is None else o.min
                hi = math.inf if o.max is None else o.max
                if lo > hi:
                    self.problem(
                        (*path, "min"),
                        _("{where}: min ({lo:g}) is larger than max ({hi:g})").format(
                            where=self.label(path), lo=lo, hi=hi
                        ),
                    )
                    continue
                bands.setdefault(o.score, []).append((i, lo, hi))
            src = None if o.source is None else source((*path, "source"), o.source)
            outcomes.append(Outcome(o.level, cond, o.score, o.min, o.max, _words(o.explanation, langs), src))
        for sid, group in bands.items():
            self.check_bands(by_id[sid], sorted(group, key=lambda b: (b[1], b[2])))
        return outcomes

    def check_bands(self, score: Score, group: list[tuple[int, float, float]]) -> None:
        for message, (i, key) in _band_gaps(score, group, "outcome"):
            self.problem(("outcomes", i, key), message)


def _band_gaps(
    score: Score, group: list[tuple[int, float, float]], what: str
) -> list[tuple[str, tuple[int, str]]]:
    """Gaps and overlaps of ranges (index, low, high), sorted, over a score's range: (message, (index, key))."""
    out: list[tuple[str, tuple[int, str]]] = []
    step = 1.0 if score.integral else 0.0
    name = _("outcome bands for '{score_id}'").format(score_id=score.id) if what == "outcome" else _("bands")
    thing = _("outcome") if what == "outcome" else _("bands")
    first = group[0]
    if first[1] > score.low:
        out.append(
            (
                _("{name} leave a gap: scores from {score_low:g} to {value:g} match no band").format(
                    name=name, score_low=score.low, value=first[1] - step
                ),
                (first[0], "min"),
            )
        )
    for (pi, _plo, phi), (ni, nlo, _nhi) in zip(group, group[1:], strict=False):
        if nlo <= phi and not (step == 0 and nlo == phi):
            out.append(
                (
                    _("{name} overlap: {thing} {pi} reaches {phi:g}, {thing} {ni} starts at {nlo:g}").format(
                        name=name, thing=thing, pi=pi + 1, phi=phi, ni=ni + 1, nlo=nlo
                    ),
                    (ni, "min"),
                )
            )
        elif nlo > phi + step or (step and math.floor(phi) + 1 < nlo):  # a whole score between them
            gap_hi = nlo - step
            text = (
                _("{name} leave a gap: scores above {phi:g} and below {nlo:g} match no band").format(
                    name=name, phi=phi, nlo=nlo
                )
                if step == 0
                else _("{name} leave a gap: scores from {floor:g} to {ceil:g} match no band").format(
                    name=name, floor=math.floor(phi) + 1, ceil=math.ceil(gap_hi)
                )
            )
            out.append((text, (ni, "min")))
    last = group[-1]
    if last[2] < score.high:
        out.append(
            (
                _("{name} leave a gap: scores above {last:g} (up to {score_high:g}) match no band").format(
                    name=name, last=last[2], score_high=score.high
                ),
                (last[0], "max"),
            )
        )
    return out


def check_skip_logic(ruleset: Ruleset, limit: int | None = None) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) about skip logic (see ``core.skiplogic``), each at its ``FILE:LINE:COL``:

    * an error for a safety question whose ``ask_if`` can be undecided for someone who answered every
      question shown (a hidden safety question leaves its warning sign unchecked for everyone it hides it
      from), and for a warning sign whose ``when`` can be (it could never be ruled out for them);
    * a warning for any other question whose ``ask_if`` can be.

    A condition over so many questions asked after one another that more than ``limit`` different sets
    of their answers still matter at one point, or met once the whole check has used up its work
    (``skiplogic.MAX_WORK``), is not checked: it is reported as an error (a safety question, a warning
    sign) or a warning (another question) saying so, never passed as fine.

    Run by ``rules check`` (slower than loading the rules: not run whenever a command loads them)."""
    from stm_screen.core.skiplogic import MAX_STATES, SkipSearch, TooComplex, describe_answers

    locate = ruleset.locate or _no_locate
    by_id = dict(ruleset.by_id)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    search = SkipSearch(by_id, limit or MAX_STATES)

    def at(path: Path, message: str) -> Problem:
        file, line, col = locate(path, 0)
        return Problem(message, file or ruleset.origin, line, col)

    def too_complex(what: str, found: TooComplex) -> str:
        return _(
            "{what}: not checked: the questions it looks at, and those they are asked after, can be answered in too many ways that matter to try them all (the check tries at most {limit} sets of answers at one point, {budget} in all for a rules file), so it is treated as if it might not be decided for someone who answered every question shown. Look at fewer questions together in the ask_if of questions asked one after another"
        ).format(what=what, limit=found.limit, budget=found.budget)

    for i, rf in enumerate(ruleset.red_flags):
        found = search.example(rf.when)
        if isinstance(found, TooComplex):
            what = f"red_flags[{i + 1}] '{rf.id}'.when"
            errors.append(at(("red_flags", i, "when"), too_complex(what, found)))
        elif found is not None:
            answers, hidden = found
            errors.append(
                at(
                    ("red_flags", i, "when"),
                    _(
                        "red_flags[{i_number}] '{rf_id}'.when: with {answers}, '{hidden}' is not asked, so this warning sign could never be ruled out for someone who answered every question shown (everyone like that would be told some warning signs could not be checked). Add what '{hidden}' is asked after, for example '<its ask_if> and {hidden}'"
                    ).format(i_number=i + 1, rf_id=rf.id, answers=describe_answers(answers), hidden=hidden),
                )
            )
    for q in ruleset.questions:
        found = search.example(q.ask_if)
        if found is None:
            continue
        path: Path = ("questions", q.order, "ask_if")
        if isinstance(found, TooComplex):
            what = f"questions[{q.order + 1}] '{q.id}'.ask_if"
            (errors if q.safety else warnings).append(at(path, too_complex(what, found)))
            continue
        answers, hidden = found
        why = _(
            "questions[{q_order}] '{q_id}'.ask_if: with {answers}, '{hidden}' is not asked, so this ask_if cannot be decided and '{q_id}' is not asked either, although every question shown was answered"
        ).format(q_order=q.order + 1, q_id=q.id, answers=describe_answers(answers), hidden=hidden)
        if q.safety:
            errors.append(
                at(
                    path,
                    _(
                        "{why}; a safety question hidden this way leaves its warning sign unchecked for everyone it hides it from. Write the ask_if so it is true or false whenever the questions it looks at are shown (for example 'a and b' where b is asked only if a), or drop the ask_if"
                    ).format(why=why),
                )
            )
        else:
            warnings.append(
                at(
                    path,
                    _(
                        "{why} (fine if '{q_id}' is meant to follow '{hidden}'; to say so, and silence this warning, add what '{hidden}' is asked after: '<its ask_if> and ...')"
                    ).format(why=why, q_id=q.id, hidden=hidden),
                )
            )
    return errors, warnings


def _codes(raw: Any) -> tuple[Code, ...]:
    return tuple(Code(c.system, c.code, c.display) for c in raw or ())


def _replace_safety(q: Question) -> Question:
    return q._replace(safety=True)


def _placeholder(owner: str, item: str | None, qid: str) -> str:
    """What stands for supplied wording that was not given: 'PEG item 1'."""
    return f"{owner} item {item}" if item else f"{owner}: {qid}"


def _question_info(q: Question) -> NameInfo:
    if q.type == "boolean":
        return NameInfo("bool")
    if q.type in ("integer", "number"):
        return NameInfo("num")
    return NameInfo("choice" if q.type == "choice" else "multi", q.choice_ids)


def item_range(q: Question) -> tuple[float, float, bool] | None:
    """(lowest, highest, whole numbers only) of a question's item score, or None if it cannot be scored."""
    if q.counts is not None:
        return (0.0, 1.0, True)
    if q.type == "boolean":
        return (0.0, 1.0, True)
    if q.type in ("integer", "number"):
        if q.min is None or q.max is None:
            return None
        return (q.min, q.max, q.type == "integer")
    if q.type == "choice":
        values = [c.value for c in q.choices]
        if not values or any(v is None for v in values):
            return None
        vals = [float(v) for v in values if v is not None]
        return (min(vals), max(vals), all(v.is_integer() for v in vals))
    return None


def _first_name_in(text: str | bool, names: set[str]) -> str | None:
    import ast

    if not isinstance(text, str):
        return None
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in names]
    if not found:
        return None
    return min(found, key=lambda n: n.col_offset).id


def _label(path: Path) -> str:
    """``questions[3]`` style label of a place, for the start of a message."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            shown = getattr(part, "label", part)  # a key that is not text: as YAML writes it (model.KeyName)
            out += f".{shown}" if out else shown
    return out


def compile_ruleset(
    data: Any,
    *,
    sha256: str = "",
    origin: str = "",
    locate: Locate | None = None,
    modules: Sequence[Module] = (),
) -> Ruleset:
    """Check and compile parsed rules data; raise :class:`RulesError` with every problem found.
    ``modules``: the compiled modules the rules include (their questions and scores may be used in its
    conditions); they are attached after the ruleset's own questions."""
    compiler = _Compiler(data, locate or _no_locate)
    raw = compiler.validate_shape()
    ruleset = None if raw is None else compiler.build(raw, sha256, origin, modules)
    if compiler.problems or ruleset is None:
        raise RulesError(compiler.problems or [Problem(_("the ruleset is not valid"), origin)])
    return attach(ruleset, modules) if modules else ruleset


def compile_module(data: Any, *, sha256: str = "", origin: str = "", locate: Locate | None = None) -> Module:
    """Check and compile an instrument module; raise :class:`RulesError` with every problem found."""
    compiler = _Compiler(data, locate or _no_locate, "ModuleFile")
    raw = compiler.validate_shape()
    module = None if raw is None else compiler.build_module(raw, sha256, origin)
    if compiler.problems or module is None:
        raise RulesError(compiler.problems or [Problem(_("the module is not valid"), origin)])
    return module


def attach(ruleset: Ruleset, modules: Sequence[Module]) -> Ruleset:
    """The ruleset with these instrument modules asked after its own questions, each in its own section.

    A module never changes the screening's level by itself: only the ruleset's own outcomes (which may
    name an included module's scores) and warning signs do. A module's ``feeds`` answer a yes/no question
    of the screening (PHQ-9 item 9 and the self-harm question), so that question's warning signs fire with
    their own advice. Raises :class:`RulesError` when ids clash or a fed question is missing."""
    present = {mod.id for mod in ruleset.modules}
    new: list[Module] = []
    for mod in modules:
        if mod.id not in present:
            present.add(mod.id)
            new.append(mod)
    if not new:
        return ruleset
    problems: list[Problem] = []
    questions = list(ruleset.questions)
    by_id = dict(ruleset.by_id)
    owner = {q.id: q.module for q in questions}
    sections = dict(ruleset.sections)
    sources = dict(ruleset.sources)
    scores = list(ruleset.scores)
    score_owner = {sc.id: sc.module for sc in scores}
    feeds = list(ruleset.feeds)
    audience = dict(ruleset.audience)
    notices = list(ruleset.notices)
    host_names = {q.id: _question_info(q) for q in questions if q.module is None}

    def whose(module_id: str | None) -> str:
        return (
            _("module '{module_id}'").format(module_id=module_id)
            if module_id
            else _("the ruleset '{ruleset_id}'").format(ruleset_id=ruleset.id)
        )

    for mod in new:

        def bad(message: str, path: Path = (), mod: Module = mod) -> None:
            file, line, col = mod.locate(path, 0) if mod.locate else (mod.origin, 0, 0)
            problems.append(
                Problem(
                    _("module '{module_id}': {message}").format(module_id=mod.id, message=message),
                    file or mod.origin,
                    line,
                    col,
                )
            )

        for i, q in enumerate(mod.questions):
            if q.id in by_id:
                bad(
                    _("question id '{q_id}' is also used by {whose}").format(
                        q_id=q.id, whose=whose(owner[q.id])
                    ),
                    ("questions", i, "id"),
                )
                continue
            placed = q._replace(order=len(questions))
            questions.append(placed)
            by_id[q.id] = placed
            owner[q.id] = mod.id
        for sid, sec in mod.sections.items():
            if sid in sections:
                bad(
                    _("section id '{sid}' is also used by {whose}").format(
                        sid=sid, whose=whose(sections[sid].module)
                    )
                )
            else:
                sections[sid] = sec
        for sid, src in mod.sources.items():
            if sid in sources and sources[sid] != src:
                bad(
                    _("source id '{sid}' is also used, with another citation, by the rules it joins").format(
                        sid=sid
                    )
                )
            sources.setdefault(sid, src)
        for i, sc in enumerate(mod.scores):
            if sc.id in RESERVED_SCORE_IDS:
                bad(
                    _("score id '{sc_id}' is a name batch output already uses; choose another").format(
                        sc_id=sc.id
                    ),
                    ("scores", i),
                )
                continue
            if sc.id in score_owner or sc.id in host_names:
                also = (
                    _("score id '{sc_id}' is also a score of {whose}")
                    if sc.id in score_owner
                    else _("score id '{sc_id}' is also a question of {whose}")
                )
                bad(
                    also.format(sc_id=sc.id, whose=whose(score_owner.get(sc.id))),
                    ("scores", i),
                )
                continue
            scores.append(sc)
            score_owner[sc.id] = mod.id
        for i, feed in enumerate(mod.feeds):
            target = ruleset.by_id.get(feed.question)
            if target is None or target.module is not None:
                bad(
                    _(
                        "it answers the screening question '{feed_question}', which the ruleset '{ruleset_id}' does not have; its answers could show a warning sign these rules would never see, so it cannot be added to them"
                    ).format(feed_question=feed.question, ruleset_id=ruleset.id),
                    ("feeds", i, "question"),
                )
            elif target.type != "boolean":
                bad(
                    _("it can only answer a yes/no question, and '{feed_question}' is not one").format(
                        feed_question=feed.question
                    ),
                    ("feeds", i),
                )
            else:
                feeds.append(feed)
        if mod.intended_when is not None:
            try:
                audience[mod.id] = compile_condition(mod.intended_when, host_names)
            except ConditionError as exc:
                notices.append(
                    _(
                        "{mod_short}: it is meant for {value}, and these rules cannot check that ({exc_message})"
                    ).format(
                        mod_short=mod.short,
                        value=mod.intended_for or _("a narrower group"),
                        exc_message=exc.message,
                    )
                )
        elif str(mod.intended_for):
            notices.append(
                _("{mod_short}: it is meant for {mod_intended_for}").format(
                    mod_short=mod.short, mod_intended_for=mod.intended_for
                )
            )
    if problems:
        raise RulesError(problems)
    every = (*ruleset.modules, *new)
    digest = hashlib.sha256(ruleset.base_sha256.encode())
    for mod in every:
        digest.update(f"\0{mod.id}\0{mod.sha256}".encode())
    return ruleset._replace(
        questions=tuple(questions),
        by_id=by_id,
        sections=sections,
        sources=sources,
        scores=tuple(scores),
        modules=every,
        feeds=tuple(feeds),
        audience=audience,
        notices=tuple(notices),
        sha256=digest.hexdigest(),
    )


def standalone(module: Module) -> Ruleset:
    """A module on its own, as a ruleset with no warning signs, levels or outcomes (to run its examples)."""
    return Ruleset(
        id=module.id,
        version=module.version,
        title=module.title,
        description=module.description,
        languages=module.languages,
        disclaimer=Words({}, ""),
        sources=module.sources,
        sections=module.sections,
        questions=module.questions,
        red_flags=(),
        criteria=(),
        scores=module.scores,
        levels=(),
        outcomes=(),
        notes=(),
        examples=module.examples,
        sha256=module.sha256,
        origin=module.origin,
        by_id={q.id: q for q in module.questions},
        level_by_id={},
        locate=module.locate,
        license=module.license,
        copyright=module.copyright,
        source=module.source,
        item_text=module.item_text,
        base_sha256=module.sha256,
    )
