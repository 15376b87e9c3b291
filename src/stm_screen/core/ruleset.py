"""A checked, compiled ruleset, and the function that builds one from parsed rules data.

``compile_ruleset`` takes plain data (as parsed from YAML) and a ``locate`` callback that turns a path inside
that data into a file position; it checks everything a rules author can get wrong and raises one
:class:`~stm_screen.errors.RulesError` listing every problem. Nothing here reads files.
"""

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from stm_screen.core import model as m
from stm_screen.core.conditions import Condition, ConditionError, NameInfo, compile_condition, suggest
from stm_screen.core.contacts import PLACEHOLDERS, placeholders
from stm_screen.errors import Problem, RulesError

Path = tuple[str | int, ...]
Locate = Callable[[Path, int], tuple[str, int, int]]

RED_FLAG_LEVELS = ("see_doctor", "emergency")
UNSURE = "unsure"  # the canonical 'not sure' answer (see Question.unsure)
URGENCY_WORDS = {"now": "now", "today": "today", "days": "within a few days", "weeks": "within a few weeks"}
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


class Words(NamedTuple):
    """Text in one or more languages; ``str()`` gives the ruleset's first language."""

    by_lang: Mapping[str, str]
    default: str

    def get(self, lang: str | None = None) -> str:
        if lang and lang in self.by_lang:
            return self.by_lang[lang]
        return self.default

    def __str__(self) -> str:
        return self.default


def _words(value: str | Mapping[str, str] | None, languages: list[str]) -> Words:
    if value is None:
        return Words({}, "")
    if isinstance(value, str):
        return Words({}, value)
    for lang in [*languages, *value]:
        if lang in value:
            return Words(dict(value), value[lang])
    return Words(dict(value), "")


class Choice(NamedTuple):
    id: str
    label: Words
    value: float | None


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
    unsure: bool = False  # 'not sure' is an answer (it counts as not known)

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


class Criterion(NamedTuple):
    id: str
    when: Condition
    points: float
    title: Words
    explanation: Words
    source: Source


class Score(NamedTuple):
    id: str
    title: Words
    method: str
    criteria: tuple[str, ...]
    items: tuple[str, ...]
    low: float
    high: float
    integral: bool


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


DEFAULT_UNCHECKED = (
    "Some warning signs could not be checked",
    "Some safety questions were answered 'not sure' or not answered, so this screening cannot rule out "
    "a problem that a doctor should check first. Please talk to a doctor before you start any new "
    "treatment for this pain.",
    ("Contact your doctor and tell them which questions below you could not answer.",),
)


class Note(NamedTuple):
    id: str
    when: Condition | None
    text: Words
    source: Source


class Example(NamedTuple):
    name: str
    answers: Mapping[str, Any]
    level: str
    scores: Mapping[str, float]
    path: Path
    red_flags: tuple[str, ...] | None = None
    open: tuple[str, ...] | None = None


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

    def question(self, qid: str) -> Question:
        return self.by_id[qid]

    @property
    def headline(self) -> Score | None:
        """The score shown as 'the' score: the one named ``total``, else the first."""
        for s in self.scores:
            if s.id == "total":
                return s
        return self.scores[0] if self.scores else None

    def where(self, path: Path) -> str:
        """``FILE:LINE:COL`` of a place in the rules, for messages about it."""
        if self.locate is None:
            return self.origin
        file, line, col = self.locate(path, 0)
        return str(Problem("", file, line, col)).rstrip(": ")


def _no_locate(path: Path, offset: int) -> tuple[str, int, int]:
    return ("", 0, 0)


class _Compiler:
    def __init__(self, data: Mapping[str, Any], locate: Locate) -> None:
        self.data = data
        self.locate = locate
        self.problems: list[Problem] = []

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
                    f"{section}: duplicate id '{ident}' (first used at item {seen[ident] + 1})",
                )
            else:
                seen[ident] = i

    # --- shape ------------------------------------------------------------------------------------------

    def validate_shape(self) -> m.Rec | None:
        raw, problems = m.validate(self.data)
        for path, message in problems:
            self.problem(path, f"{self.label(path) or 'top level'}: {message}")
        return raw

    # --- meaning ----------------------------------------------------------------------------------------

    def build(self, raw: m.Rec, sha256: str, origin: str) -> Ruleset | None:
        langs = list(raw.languages) or ["en"]
        for key in ("sources", "sections", "questions", "red_flags", "criteria", "scores", "levels", "notes"):
            self.unique(key, getattr(raw, key))
        if not raw.questions:
            self.problem((), "the ruleset has no questions")
        self.check_placeholders(self.data, ())

        sources = {s.id: Source(s.id, s.citation, s.url) for s in raw.sources}
        sections = {
            s.id: Section(s.id, _words(s.title, langs), _words(s.intro, langs), s.safety)
            for s in raw.sections
        }

        def source(path: Path, ident: str) -> Source:
            if ident not in sources:
                self.problem(
                    path, f"{self.label(path)}: unknown source '{ident}'{suggest(ident, list(sources))}"
                )
                return Source(ident, "", None)
            return sources[ident]

        # questions, in order; ask_if may only look back
        names: dict[str, NameInfo] = {}
        all_names = {q.id: _name_info(q) for q in raw.questions}
        red_flag_names: set[str] = set()
        questions: list[Question] = []
        for i, q in enumerate(raw.questions):
            path: Path = ("questions", i)
            self.check_question(path, q)
            ask_if = None
            if q.ask_if is not None:
                ask_if = self.ask_if((*path, "ask_if"), q, names, all_names)
            if q.section is not None and q.section not in sections:
                self.problem(
                    (*path, "section"),
                    f"{self.label(path)}: unknown section '{q.section}'{suggest(q.section, list(sections))}",
                )
            names[q.id] = all_names[q.id]
            in_safety = bool(q.section and q.section in sections and sections[q.section].safety)
            unsure = in_safety if q.unsure is None else q.unsure
            if unsure and UNSURE in {c.id for c in q.choices or ()}:
                self.problem(
                    (*path, "unsure"),
                    f"{self.label(path)}: a choice id '{UNSURE}' would be mistaken for the answer 'not sure'",
                )
            questions.append(
                Question(
                    id=q.id,
                    order=i,
                    text=_words(q.text, langs),
                    help=_words(q.help, langs),
                    type=q.type,
                    min=q.min,
                    max=q.max,
                    unit=_words(q.unit, langs),
                    choices=tuple(Choice(c.id, _words(c.label, langs), c.value) for c in q.choices or ()),
                    ask_if=ask_if,
                    section=q.section,
                    required=q.required,
                    safety=in_safety,
                    unsure=unsure,
                )
            )

        red_flags: list[RedFlag] = []
        for i, rf in enumerate(raw.red_flags):
            path = ("red_flags", i)
            cond = self.condition((*path, "when"), rf.when, all_names)
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
                    )
                )
        flag_ids = [rf.id for rf in raw.red_flags]
        for i, rf in enumerate(raw.red_flags):
            for j, other in enumerate(rf.replaces or ()):
                where = ("red_flags", i, "replaces", j)
                if other == rf.id:
                    self.problem(where, f"{self.label(('red_flags', i))}: a red flag cannot replace itself")
                elif other not in flag_ids:
                    self.problem(
                        where,
                        f"{self.label(('red_flags', i))}: unknown red flag '{other}'{suggest(other, flag_ids)}",
                    )
        questions = [q if q.safety or q.id not in red_flag_names else _replace_safety(q) for q in questions]

        criteria: list[Criterion] = []
        for i, c in enumerate(raw.criteria):
            path = ("criteria", i)
            if not math.isfinite(c.points):
                self.problem((*path, "points"), f"{self.label(path)}: points must be a finite number")
            cond = self.condition((*path, "when"), c.when, all_names)
            src = source((*path, "source"), c.source)
            if cond is not None:
                criteria.append(
                    Criterion(c.id, cond, c.points, _words(c.title, langs), _words(c.explanation, langs), src)
                )

        scores = self.build_scores(raw, criteria, {q.id: q for q in questions}, langs)
        levels = self.build_levels(raw, langs)
        outcomes = self.build_outcomes(raw, scores, levels, all_names, source, langs)
        unchecked = self.build_unchecked(raw, levels, langs)

        notes: list[Note] = []
        for i, n in enumerate(raw.notes):
            path = ("notes", i)
            cond = None if n.when is None else self.condition((*path, "when"), n.when, all_names)
            src = source((*path, "source"), n.source)
            notes.append(Note(n.id, cond, _words(n.text, langs), src))

        examples = []
        for i, ex in enumerate(raw.examples):
            path = ("examples", i)
            if ex.level not in levels:
                self.problem(
                    (*path, "level"),
                    f"{self.label(path)}: unknown level '{ex.level}'{suggest(ex.level, list(levels))}",
                )
            for sid in ex.scores:
                if sid not in {s.id for s in scores}:
                    self.problem((*path, "scores", sid), f"{self.label(path)}: unknown score '{sid}'")
            known_flags = {rf.id for rf in raw.red_flags}
            for key in ("red_flags", "open"):
                for j, rid in enumerate(getattr(ex, key) or ()):
                    if rid not in known_flags:
                        self.problem(
                            (*path, key, j),
                            f"{self.label(path)}: unknown red flag '{rid}'{suggest(rid, sorted(known_flags))}",
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
                )
            )

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
        )

    def check_question(self, path: Path, q: m.Rec) -> None:
        label = self.label(path)
        numeric = q.type in ("integer", "number")
        if not numeric:
            for key in ("min", "max", "unit"):
                if getattr(q, key) is not None:
                    self.problem((*path, key), f"{label}: '{key}' is only for integer and number questions")
        else:
            for key in ("min", "max"):
                value = getattr(q, key)
                if value is not None and not math.isfinite(value):
                    self.problem((*path, key), f"{label}: '{key}' must be a finite number")
                elif value is not None and q.type == "integer" and value != int(value):
                    self.problem(
                        (*path, key), f"{label}: '{key}' of an integer question must be a whole number"
                    )
            if q.min is not None and q.max is not None and q.min > q.max:
                self.problem((*path, "min"), f"{label}: min ({q.min:g}) is larger than max ({q.max:g})")
        if q.type in ("choice", "multi_choice"):
            if not q.choices:
                self.problem(path, f"{label}: a {q.type} question needs 'choices'")
            else:
                self.unique_choices(path, q.choices)
        elif q.choices is not None:
            self.problem(
                (*path, "choices"), f"{label}: 'choices' are only for choice and multi_choice questions"
            )

    def unique_choices(self, path: Path, choices: list[m.Rec]) -> None:
        seen: set[str] = set()
        for j, c in enumerate(choices):
            if c.id in seen:
                self.problem((*path, "choices", j, "id"), f"{self.label(path)}: duplicate choice id '{c.id}'")
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
                    path, f"{self.label(path)}: ask_if refers to the question itself ('{q.id}')", exc.offset
                )
            elif later is not None:
                self.problem(
                    path,
                    f"{self.label(path)}: ask_if refers to '{later}', which is asked later; "
                    "it may only use earlier questions",
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
    ) -> list[Score]:
        known_criteria = {c.id: c for c in raw.criteria}
        scores: list[Score] = []
        for i, s in enumerate(raw.scores):
            path: Path = ("scores", i)
            if (s.criteria is None) == (s.items is None):
                self.problem(path, f"{self.label(path)}: give either 'criteria' or 'items'")
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
                            f"{self.label(path)}: unknown criterion '{cid}'{suggest(cid, list(known_criteria))}",
                        )
                        continue
                    pts = known_criteria[cid].points
                    low, high = low + min(pts, 0), high + max(pts, 0)
                    integral = integral and float(pts).is_integer()
                if s.method == "mean" and crit_ids:
                    low, high = low / len(crit_ids), high / len(crit_ids)
            else:
                item_ids = tuple(s.items or ())
                lows, highs = [], []
                for j, qid in enumerate(item_ids):
                    q = questions.get(qid)
                    if q is None:
                        self.problem(
                            (*path, "items", j),
                            f"{self.label(path)}: unknown question '{qid}'{suggest(qid, list(questions))}",
                        )
                        continue
                    rng = _item_range(q)
                    if rng is None:
                        self.problem(
                            (*path, "items", j),
                            f"{self.label(path)}: '{qid}' cannot be scored: it needs a min and max, be yes/no, "
                            "or have a value on every choice",
                        )
                        continue
                    lows.append(rng[0])
                    highs.append(rng[1])
                    integral = integral and rng[2]
                if lows:
                    if s.method == "sum":
                        low, high = sum(lows), sum(highs)
                    else:
                        low, high = min(lows), max(highs)
            if integral:
                low, high = int(low), int(high)
            scores.append(
                Score(s.id, _words(s.title, langs), s.method, crit_ids, item_ids, low, high, integral)
            )
        return scores

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
            self.problem((), "the ruleset declares no 'levels'")
            return levels
        used_by_flags = {rf.level for rf in raw.red_flags}
        for i, rf in enumerate(raw.red_flags):
            if rf.level not in levels:
                self.problem(
                    ("red_flags", i, "level"),
                    f"{self.label(('red_flags', i))}: level '{rf.level}' must also be declared under 'levels'",
                )
        outcome_levels = {o.level for o in raw.outcomes}
        flag_ranks = [levels[lv].rank for lv in used_by_flags if lv in levels]
        for i, o in enumerate(raw.outcomes):
            if o.level in levels and flag_ranks and levels[o.level].rank > min(flag_ranks):
                self.problem(
                    ("outcomes", i, "level"),
                    f"{self.label(('outcomes', i))}: level '{o.level}' is listed as more urgent than a red-flag "
                    "level; red-flag levels must come last in 'levels'",
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
                        f"{self.label(path)}: unknown placeholder '{{{name}}}'{suggest(name, PLACEHOLDERS)}; "
                        f"allowed: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
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
            return Unchecked(
                flag_levels[0], Words({}, title), Words({}, advice), tuple(Words({}, s) for s in steps)
            )
        path: Path = ("unchecked",)
        if spec.level not in levels:
            self.problem(
                (*path, "level"),
                f"unchecked: unknown level '{spec.level}'{suggest(spec.level, list(levels))}",
            )
            return None
        outcome_ranks = [levels[o.level].rank for o in raw.outcomes if o.level in levels]
        if outcome_ranks and levels[spec.level].rank <= max(outcome_ranks):
            self.problem(
                (*path, "level"),
                f"unchecked: level '{spec.level}' must be more urgent than every outcome's level, so that a "
                "warning sign that could not be ruled out never gives a physical-therapy result",
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
                    f"{self.label(('scores', i))}: the id '{s.id}' is also a question's id; an outcome "
                    "condition could not tell them apart",
                )
        names = {**questions, **score_names}
        by_id = {s.id: s for s in scores}
        outcomes: list[Outcome] = []
        bands: dict[str, list[tuple[int, float, float]]] = {}
        if not raw.outcomes:
            self.problem((), "the ruleset declares no 'outcomes'")
        for i, o in enumerate(raw.outcomes):
            path: Path = ("outcomes", i)
            if o.level not in levels:
                self.problem(
                    (*path, "level"),
                    f"{self.label(path)}: unknown level '{o.level}'{suggest(o.level, list(levels))}",
                )
            cond = None
            if o.when is not None:
                if o.score is not None or o.min is not None or o.max is not None:
                    self.problem(
                        path, f"{self.label(path)}: give either 'when' or a score band (score, min, max)"
                    )
                    continue
                cond = self.condition((*path, "when"), o.when, names)
            elif o.score is None:
                self.problem(
                    path, f"{self.label(path)}: give either 'when' or a score band (score, min, max)"
                )
                continue
            elif o.score not in by_id:
                self.problem(
                    (*path, "score"),
                    f"{self.label(path)}: unknown score '{o.score}'{suggest(o.score, list(by_id))}",
                )
                continue
            else:
                lo = -math.inf if o.min is None else o.min
                hi = math.inf if o.max is None else o.max
                if lo > hi:
                    self.problem(
                        (*path, "min"), f"{self.label(path)}: min ({lo:g}) is larger than max ({hi:g})"
                    )
                    continue
                bands.setdefault(o.score, []).append((i, lo, hi))
            src = None if o.source is None else source((*path, "source"), o.source)
            outcomes.append(Outcome(o.level, cond, o.score, o.min, o.max, _words(o.explanation, langs), src))
        for sid, group in bands.items():
            self.check_bands(by_id[sid], sorted(group, key=lambda b: (b[1], b[2])))
        return outcomes

    def check_bands(self, score: Score, group: list[tuple[int, float, float]]) -> None:
        step = 1.0 if score.integral else 0.0
        first = group[0]
        if first[1] > score.low:
            self.problem(
                ("outcomes", first[0], "min"),
                f"outcome bands for '{score.id}' leave a gap: scores from {score.low:g} to "
                f"{first[1] - step:g} match no band",
            )
        for (pi, _plo, phi), (ni, nlo, _nhi) in zip(group, group[1:], strict=False):
            if nlo <= phi and not (step == 0 and nlo == phi):
                self.problem(
                    ("outcomes", ni, "min"),
                    f"outcome bands for '{score.id}' overlap: outcome {pi + 1} reaches {phi:g}, "
                    f"outcome {ni + 1} starts at {nlo:g}",
                )
            elif nlo > phi + step or (step and math.floor(phi) + 1 < nlo):  # a whole score between them
                gap_hi = nlo - step
                self.problem(
                    ("outcomes", ni, "min"),
                    f"outcome bands for '{score.id}' leave a gap: scores above {phi:g} and below "
                    f"{nlo:g} match no band"
                    if step == 0
                    else f"outcome bands for '{score.id}' leave a gap: scores from {math.floor(phi) + 1:g} to "
                    f"{math.ceil(gap_hi):g} match no band",
                )
        last = group[-1]
        if last[2] < score.high:
            self.problem(
                ("outcomes", last[0], "max"),
                f"outcome bands for '{score.id}' leave a gap: scores above {last[2]:g} (up to "
                f"{score.high:g}) match no band",
            )


def _replace_safety(q: Question) -> Question:
    return q._replace(safety=True)


def _name_info(q: m.Rec) -> NameInfo:
    if q.type == "boolean":
        return NameInfo("bool")
    if q.type in ("integer", "number"):
        return NameInfo("num")
    if q.type == "choice":
        return NameInfo("choice", tuple(c.id for c in q.choices or ()))
    return NameInfo("multi", tuple(c.id for c in q.choices or ()))


def _item_range(q: Question) -> tuple[float, float, bool] | None:
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
            out += f".{part}" if out else part
    return out


def compile_ruleset(
    data: Any, *, sha256: str = "", origin: str = "", locate: Locate | None = None
) -> Ruleset:
    """Check and compile parsed rules data; raise :class:`RulesError` with every problem found."""
    compiler = _Compiler(data, locate or _no_locate)
    raw = compiler.validate_shape()
    ruleset = None if raw is None else compiler.build(raw, sha256, origin)
    if compiler.problems or ruleset is None:
        raise RulesError(compiler.problems or [Problem("the ruleset is not valid", origin)])
    return ruleset
