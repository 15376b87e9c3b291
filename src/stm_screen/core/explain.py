"""The full result for people: why the level was reached, what is missing, and what would change it.

``explain`` is pure and deterministic: the same ruleset and answers always give the same ``Result``
(no clock, no randomness). Renderers (text, JSON, HTML) only present it.
"""

import math
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from stm_screen import __version__
from stm_screen.core.answers import Answer, describe, plain
from stm_screen.core.conditions import Condition
from stm_screen.core.contacts import Contacts, fill
from stm_screen.core.engine import Evaluation, ScoreDetail, Scorer
from stm_screen.core.ruleset import (
    UNSURE,
    URGENCY_WORDS,
    Criterion,
    Question,
    RedFlag,
    Ruleset,
    Score,
    Source,
)
from stm_screen.i18n import _, ngettext

URGENCY_ORDER = ("weeks", "days", "today", "now")
MAX_CHANGES = 6
MAX_TRIALS = 400  # answer changes tried at most: bounds the work on very large rulesets
EMERGENCY = "emergency"  # the level the questionnaire acts on at once


class AnswerUsed(NamedTuple):
    question: str
    text: str
    value: Any
    shown: str


class Finding(NamedTuple):
    id: str
    title: str
    explanation: str
    source: dict[str, Any]
    answers: list[AnswerUsed] = []
    level: str | None = None
    points: float | None = None
    urgency: str | None = None  # red flags: now, today, days, weeks


class Missing(NamedTuple):
    question: str
    text: str
    safety: bool
    note: str


class Change(NamedTuple):
    question: str
    text: str
    current: Any
    proposed: Any
    level: str
    summary: str


class ScoreValue(NamedTuple):
    id: str
    title: str
    value: float | None
    min: float
    max: float


class ScoreLine(NamedTuple):
    """One score of an instrument, as the result shows it ("PHQ-4: 7 of 12, moderate")."""

    id: str
    name: str  # the short name, e.g. PHQ-4
    title: str
    value: float | None  # None: not scored (too few items answered)
    min: float
    max: float
    text: str  # the line shown to people
    band: str | None = None
    band_label: str = ""
    flag: bool = False  # pointed out for a conversation with a doctor (never an emergency)
    message: str = ""  # what the band means, in plain words
    source: dict[str, Any] = {}  # the band's source
    raw: float | None = None  # before a lookup table
    answered: int = 0
    needed: int = 0
    items: int = 0
    better: str | None = None
    code: dict[str, Any] | None = None
    important_change: list[dict[str, Any]] = []  # thresholds of the minimal important change, each sourced


class ModuleResult(NamedTuple):
    """An instrument asked beside the screening: its scores, licence and copyright line."""

    id: str
    name: str
    title: str
    version: str
    scores: list[ScoreLine]
    copyright: str
    license: str
    source: str
    item_text: str
    warnings: list[str] = []
    answered: int = 0  # how many of its questions were answered
    sha256: str = ""


class Result(NamedTuple):
    level: str | None
    title: str
    symbol: str
    advice: str
    next_steps: list[str]
    rank: int
    complete: bool
    score: float | None
    max_score: float | None
    scores: list[ScoreValue]
    red_flags: list[Finding]
    red_flags_not_ruled_out: list[Finding]
    findings: list[Finding]
    criteria_not_met: list[Finding]
    criteria_undetermined: list[Finding]
    notes: list[str]
    missing: list[Missing]
    skipped: list[str]
    what_would_change: list[Change]
    disclaimer: str
    answers: dict[str, Any]
    ruleset: dict[str, Any]
    tool_version: str
    urgency: str | None = None  # how soon to act: the most urgent of the warning signs that fired
    # how soon to act if it fits: the most urgent of the warning signs that could not be ruled out (a
    # worklist sorted by urgency alone would not see an emergency that could not be ruled out)
    urgency_not_ruled_out: str | None = None
    unchecked: bool = False  # a warning sign could not be ruled out, and that set the level
    # questions asked and answered 'not sure' (those whose 'not sure' counts as yes too: unsure_means_yes)
    unsure: list[str] = []
    pt_level: str | None = None  # for clinicians: what the physical-therapy rules alone give
    reason: Finding | None = None  # the outcome rule that gave pt_level, when it explains itself
    contacts: dict[str, Any] = {}
    modules: list[ModuleResult] = []  # instruments asked beside the screening (never change the level)
    warning_notes: list[str] = []  # the notes (of ``notes``) also shown under warning signs

    @property
    def warning(self) -> bool:
        """The result is about warning signs (fired or left open), not about physical therapy."""
        return bool(self.red_flags) or self.unchecked

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-friendly data (what ``--format json`` prints)."""
        out = _plain_data(self)
        assert isinstance(out, dict)
        return out


def plain_data(value: Any) -> Any:
    """Named tuples (results, findings, module results) as plain JSON-friendly data."""
    return _plain_data(value)


def _plain_data(value: Any) -> Any:
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: _plain_data(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [_plain_data(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_data(v) for k, v in value.items()}
    return value


def _source(src: Source) -> dict[str, Any]:
    out: dict[str, Any] = {"id": src.id, "citation": src.citation}
    if src.url:
        out["url"] = src.url
    return out


def _used(
    ruleset: Ruleset,
    cond: Condition,
    values: Mapping[str, Answer],
    lang: str | None,
    fed: Mapping[str, str] | None = None,
    unsure: frozenset[str] = frozenset(),
) -> list[AnswerUsed]:
    """The answers a condition looked at, in question order. A question an instrument answered yes (see
    ``feeds``) is shown by the instrument's question and answer that did it; one answered 'not sure' that
    it takes as yes (``unsure_means_yes``, in ``unsure``) is shown as what the person said."""
    used = []
    for q in ruleset.questions:  # question order, not set order: deterministic
        if q.id in cond.names and q.id in unsure and q.unsure_yes:
            used.append(AnswerUsed(q.id, q.text.get(lang), UNSURE, _("not sure (taken as yes)")))
            continue
        if q.id in cond.names and q.id in values:
            source = fed.get(q.id) if fed else None
            if source and source in values and source in ruleset.by_id:
                src_q = ruleset.by_id[source]
                value = values[source]
                used.append(
                    AnswerUsed(source, src_q.text.get(lang), plain(value), describe(src_q, value, lang))
                )
                continue
            value = values[q.id]
            used.append(AnswerUsed(q.id, q.text.get(lang), plain(value), describe(q, value, lang)))
    return used


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def score_text(
    score: Score, detail: ScoreDetail | None, value: float | None, band_label: str = "", name: str = ""
) -> str:
    """'PHQ-4: 7 of 12, moderate', 'TSK-11: 26 on a scale of 11 to 44', or why there is no score."""
    name = name or score.name
    if value is None:
        if detail is None:
            return _("{name}: not scored").format(name=name)
        if detail.answered == 0:
            return _("{name}: not answered").format(name=name)
        if detail.needed < detail.items:
            need = _("{n} are needed").format(n=detail.needed)
        elif detail.items == 2:
            need = _("both are needed")
        else:
            need = _("all {n} are needed").format(n=detail.items)
        return _("{name}: not scored ({answered} of {items} questions answered; {need})").format(
            name=name, answered=detail.answered, items=detail.items, need=need
        )
    if score.lookup is not None and detail is not None and detail.raw is not None:
        shown = _("{name}: {value} (raw score {raw})").format(
            name=name, value=_number(value), raw=_number(detail.raw)
        )
    elif score.low == 0:
        shown = _("{name}: {value} of {high}").format(
            name=name, value=_number(value), high=_number(score.high)
        )
    else:
        shown = _("{name}: {value} on a scale of {low} to {high}").format(
            name=name, value=_number(value), low=_number(score.low), high=_number(score.high)
        )
    shown = f"{shown}, {band_label}" if band_label else shown
    if detail is not None and 0 < detail.answered < detail.items and score.missing in ("prorate", "zero"):
        # A score made with questions missing says so: a reader must not take it for a complete one.
        left = detail.items - detail.answered
        if score.missing == "prorate":
            missing = ngettext(
                "the missing one estimated from the others", "the {n} missing estimated from the others", left
            )
        else:
            missing = ngettext("the missing one counted as 0", "the {n} missing counted as 0", left)
        shown += " " + _("({answered} of {items} questions answered; {missing})").format(
            answered=detail.answered, items=detail.items, missing=missing.format(n=left)
        )
    return shown


def score_lines(
    ruleset: Ruleset, ev: Evaluation, scores: tuple[Score, ...], lang: str | None, fill_text: Any = None
) -> list[ScoreLine]:
    say = fill_text or (lambda text: text)
    out = []
    for s in scores:
        value = ev.scores.get(s.id)
        detail = ev.details.get(s.id)
        band_id = ev.bands.get(s.id)
        band = next((b for b in s.bands if b.id == band_id), None)
        label = band.label.get(lang) if band else ""
        name = s.short.get(lang) or s.title.get(lang)
        out.append(
            ScoreLine(
                id=s.id,
                name=name,
                title=s.title.get(lang),
                value=value,
                min=s.low,
                max=s.high,
                text=score_text(s, detail, value, label, name),
                band=band_id,
                band_label=label,
                flag=bool(band and band.flag),
                message=say(band.message.get(lang)) if band else "",
                source=_source(band.source) if band else {},
                raw=detail.raw if detail else None,
                answered=detail.answered if detail else 0,
                needed=detail.needed if detail else 0,
                items=detail.items if detail else 0,
                better=s.better,
                code=None if s.code is None else {k: v for k, v in s.code._asdict().items() if v},
                important_change=[
                    {
                        **({"points": c.points} if c.points is not None else {}),
                        **({"percent": c.percent} if c.percent is not None else {}),
                        "source": _source(c.source),
                    }
                    for c in s.important_change
                ],
            )
        )
    return out


def module_results(
    ruleset: Ruleset, ev: Evaluation, answers: Mapping[str, Answer], lang: str | None, fill_text: Any = None
) -> list[ModuleResult]:
    """Each instrument's scores and licence, and whether the person fits whom it is meant for."""
    out = []
    for mod in ruleset.modules:
        answered = sum(1 for q in mod.questions if q.id in answers)
        warnings = []
        cond = ruleset.audience.get(mod.id)
        if cond is not None and answered:
            fits = cond.evaluate(ev.values)
            who = mod.intended_for.get(lang)
            if fits is False:
                warnings.append(
                    _(
                        "{name} is meant for {who}; these answers do not show that, so its result may not apply."
                    ).format(name=mod.short, who=who)
                )
            elif fits is None:
                warnings.append(
                    _("{name} is meant for {who}; these answers could not show whether that fits.").format(
                        name=mod.short, who=who
                    )
                )
        scores = tuple(s for s in ruleset.scores if s.module == mod.id)
        out.append(
            ModuleResult(
                id=mod.id,
                name=mod.short,
                title=mod.title.get(lang),
                version=mod.version,
                scores=score_lines(ruleset, ev, scores, lang, fill_text),
                copyright=" ".join(mod.copyright.split()),
                license=mod.license,
                source=" ".join(mod.source.split()),
                item_text=mod.item_text,
                warnings=warnings,
                answered=answered,
                sha256=mod.sha256,
            )
        )
    return out


def ruleset_info(ruleset: Ruleset) -> dict[str, Any]:
    """The ruleset's id, version and hash (and its modules'), as results and history records hold them."""
    info: dict[str, Any] = {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256}
    if ruleset.modules:
        info["modules"] = [{"id": m.id, "version": m.version, "sha256": m.sha256} for m in ruleset.modules]
    return info


def _left_open(ruleset: Ruleset, cond: Condition, ev: Evaluation, lang: str | None) -> list[AnswerUsed]:
    """The questions behind a warning sign that could not be ruled out: answered 'not sure', or not at all."""
    out = []
    for q in ruleset.questions:
        if q.id not in cond.names:
            continue
        if q.id in ev.unsure and q.unsure_yes:  # 'not sure' taken as yes is known: it leaves nothing open
            continue
        if q.id in ev.unsure:
            out.append(AnswerUsed(q.id, q.text.get(lang), UNSURE, _("not sure")))
        elif q.id in ev.missing or (q.id not in ev.values and q.id not in ev.skipped):
            out.append(AnswerUsed(q.id, q.text.get(lang), None, _("not answered")))
    return out


def explain(
    ruleset: Ruleset,
    answers: Mapping[str, Answer],
    *,
    scorer: Scorer | None = None,
    lang: str | None = None,
    contacts: Contacts | None = None,
) -> Result:
    """Score the answers and explain the result; ``contacts`` fills in the emergency number and crisis
    line of the person's country (the default names 112 and 911)."""
    scorer = scorer or Scorer(ruleset)
    ev = scorer.evaluate(answers)
    values = ev.values
    level = ruleset.level_by_id.get(ev.level) if ev.level else None
    flags = {rf.id: rf for rf in ruleset.red_flags}
    crits = {c.id: c for c in ruleset.criteria}

    def say(text: str) -> str:
        return fill(text, contacts, lang or ruleset.lang)

    def flag(rf: RedFlag, left_open: bool = False) -> Finding:
        used = (
            _left_open(ruleset, rf.when, ev, lang)
            if left_open
            else _used(ruleset, rf.when, values, lang, ev.fed, ev.unsure)
        )
        return Finding(
            rf.id,
            say(rf.title.get(lang)),
            say(rf.message.get(lang)),
            _source(rf.source),
            used,
            level=rf.level,
            urgency=rf.urgency,
        )

    def criterion(c: Criterion, with_answers: bool = True) -> Finding:
        used = _used(ruleset, c.when, values, lang, unsure=ev.unsure) if with_answers else []
        return Finding(
            c.id, c.title.get(lang), c.explanation.get(lang), _source(c.source), used, points=c.points
        )

    red_flags = [flag(flags[i]) for i in ev.red_flags]
    not_ruled_out = [flag(flags[i], left_open=True) for i in ev.red_flags_unknown]
    met = [criterion(crits[i]) for i in ev.criteria_met]
    undetermined_ids = set(ev.criteria_unknown)
    decided = set(ev.criteria_met) | undetermined_ids
    not_met = [criterion(c) for c in ruleset.criteria if c.id not in decided]
    undetermined = [criterion(c, with_answers=False) for c in ruleset.criteria if c.id in undetermined_ids]
    shown = [n for n in ruleset.notes if n.when is None or n.when.evaluate(values)]
    notes = [say(n.text.get(lang)) for n in shown]
    warning_notes = [say(n.text.get(lang)) for n in shown if n.with_warnings]

    flag_questions: set[str] = set()
    for rf in ruleset.red_flags:
        flag_questions |= rf.when.names
    missing = []
    for qid in ev.missing:
        q = ruleset.by_id[qid]
        if q.module is not None:
            continue  # an instrument's unanswered questions are said with its score, not as the screening's
        safety = q.safety or qid in flag_questions
        note = _("could not be ruled out") if safety else _("not answered")
        missing.append(Missing(qid, q.text.get(lang), safety, note))

    headline = ruleset.headline
    scores = [
        ScoreValue(s.id, s.title.get(lang), ev.scores.get(s.id), s.low, s.high)
        for s in ruleset.scores
        if s.module is None
    ]
    if ev.unchecked and ruleset.unchecked is not None:
        title = ruleset.unchecked.title.get(lang)
        advice = ruleset.unchecked.advice.get(lang)
        steps = [s.get(lang) for s in ruleset.unchecked.next_steps]
    elif level is not None:
        title, advice = level.title.get(lang), level.advice.get(lang)
        steps = [s.get(lang) for s in level.next_steps]
    else:
        title = _("Not enough answers for a result")
        advice = _("Some answers that the result depends on are missing. Please answer them to get a result.")
        steps = []
    urgencies = [f.urgency for f in red_flags if f.urgency in URGENCY_ORDER]
    doubts = [f.urgency for f in not_ruled_out if f.urgency in URGENCY_ORDER]
    reason = None
    if ev.outcome is not None:
        chosen = ruleset.outcomes[ev.outcome]
        if str(chosen.explanation):
            src = {} if chosen.source is None else _source(chosen.source)
            used = [] if chosen.when is None else _used(ruleset, chosen.when, values, lang, unsure=ev.unsure)
            reason = Finding(f"outcome_{ev.outcome + 1}", "", say(chosen.explanation.get(lang)), src, used)
    answered = {**values, **dict.fromkeys(ev.unsure, UNSURE)}
    return Result(
        level=ev.level,
        title=say(title),
        symbol=level.symbol if level else "?",
        advice=say(advice),
        next_steps=[say(s) for s in steps],
        rank=scorer.rank(ev.level),
        complete=ev.complete,
        score=ev.scores.get(headline.id) if headline else None,
        max_score=headline.high if headline else None,
        scores=scores,
        red_flags=red_flags,
        red_flags_not_ruled_out=not_ruled_out,
        findings=met,
        criteria_not_met=not_met,
        criteria_undetermined=undetermined,
        notes=notes,
        warning_notes=warning_notes,
        missing=missing,
        skipped=sorted(ev.skipped, key=lambda q: ruleset.by_id[q].order),
        what_would_change=list(what_would_change(ruleset, scorer, ev, lang)),
        disclaimer=say(ruleset.disclaimer.get(lang)),
        answers={q.id: plain(answered[q.id]) for q in ruleset.questions if q.id in answered},
        ruleset=ruleset_info(ruleset),
        tool_version=__version__,
        urgency=max(urgencies, key=URGENCY_ORDER.index) if urgencies else None,
        urgency_not_ruled_out=max(doubts, key=URGENCY_ORDER.index) if doubts else None,
        unchecked=ev.unchecked,
        unsure=[q.id for q in ruleset.questions if q.id in ev.unsure],
        pt_level=ev.pt_level,
        reason=reason,
        contacts=(contacts.as_dict() if contacts is not None else {}),
        modules=module_results(ruleset, ev, answers, lang, say) if ruleset.modules else [],
    )


def how_soon(urgency: str | None) -> str:
    """'now', 'today', 'within a few days', 'within a few weeks' (or '')."""
    words = URGENCY_WORDS.get(urgency or "", "")
    return _(words) if words else ""


# --- what would change the result ---------------------------------------------------------------------


def _level_title(ruleset: Ruleset, level: str | None, lang: str | None) -> str:
    if level is None:
        return _("no result")
    return ruleset.level_by_id[level].title.get(lang)


def what_would_change(
    ruleset: Ruleset, scorer: Scorer, ev: Evaluation, lang: str | None = None
) -> Iterator[Change]:
    """The smallest single-answer changes that move the level, nearest first.

    Answers to safety questions are left out: a warning sign can only make a result more urgent, and the
    result already lists which ones were asked. When a red flag set the level, the first entry says what the
    answers would give without it.
    """
    current = scorer.rank(ev.level)
    red_levels = {rf.level for rf in ruleset.red_flags}
    if ev.red_flags or ev.unchecked:
        # A warning sign (fired, or left open) decides the result. Saying what the answers would give
        # without it would tell the person which safety answer to take back: clinicians have pt_level.
        return
    flag_questions: set[str] = set()
    for rf in ruleset.red_flags:
        flag_questions |= rf.when.names
    # Only answers that some criterion, skip rule or item score looks at can move the level.
    constants = _constants_by_name(ruleset)
    relevant = set(constants)
    for s in ruleset.scores:
        if s.module is None:
            relevant.update(s.items)
    budget = MAX_TRIALS
    found: list[tuple[int, float, Change]] = []
    for q in ruleset.questions:
        if q.safety or q.id in flag_questions or q.id in ev.skipped or q.id not in relevant:
            continue
        if q.module is not None and q.id not in constants:
            continue  # an instrument's question that the screening's own rules never look at
        now = ev.values.get(q.id)
        for distance, candidate in _candidates(q, now, constants.get(q.id, set())):
            budget -= 1
            if budget < 0:
                break
            trial = dict(ev.values)
            if isinstance(candidate, frozenset) and not candidate:
                trial.pop(q.id, None)
            else:
                trial[q.id] = candidate
            new = scorer.evaluate(trial)
            if new.level is None or new.level == ev.level or new.level in red_levels:
                continue
            direction = 0 if scorer.rank(new.level) > current else 1
            shown_now = _("not answered") if now is None else describe(q, now, lang)
            found.append(
                (
                    direction,
                    distance,
                    Change(
                        q.id,
                        q.text.get(lang),
                        None if now is None else plain(now),
                        plain(candidate),
                        new.level,
                        _(
                            'If the answer to "{question}" were {answer} (now {now}), the result would be '
                            "'{result}'."
                        ).format(
                            question=q.text.get(lang),
                            answer=describe(q, candidate, lang),
                            now=shown_now,
                            result=_level_title(ruleset, new.level, lang),
                        ),
                    ),
                )
            )
            break  # the nearest change for this question is enough
    found.sort(key=lambda t: (t[0], t[1], ruleset.by_id[t[2].question].order))
    band = _band_summary(ruleset, ev, lang)
    if band is not None:
        yield band
    for _direction, _distance, change in found[:MAX_CHANGES]:
        yield change


def _band_summary(ruleset: Ruleset, ev: Evaluation, lang: str | None) -> Change | None:
    """'One more criterion would make this X', from the headline score's bands."""
    headline = ruleset.headline
    if headline is None or not headline.criteria or ev.level is None:
        return None
    value = ev.scores.get(headline.id)
    if value is None:
        return None
    bands = sorted(
        (o for o in ruleset.outcomes if o.score == headline.id and o.when is None),
        key=lambda o: -math.inf if o.min is None else o.min,
    )
    unit_points = all(c.points == 1 for c in ruleset.criteria if c.id in headline.criteria)
    for o in bands:
        if o.min is not None and o.min > value and o.level != ev.level:
            need = o.min - value
            title = _level_title(ruleset, o.level, lang)
            if unit_points:
                summary = ngettext(
                    "If one more of the reasons on the list fitted your answers, the result would be "
                    "'{result}'.",
                    "If {n} more of the reasons on the list fitted your answers, the result would be "
                    "'{result}'.",
                    int(need) if float(need).is_integer() else 2,
                ).format(n=f"{need:g}", result=title)
            else:
                summary = ngettext(
                    "If your answers added {n} more point, the result would be '{result}'.",
                    "If your answers added {n} more points, the result would be '{result}'.",
                    1 if need == 1 else 2,
                ).format(n=f"{need:g}", result=title)
            return Change("", "", value, o.min, o.level, summary)
    return None


def _candidates(q: Question, now: Answer | None, points: set[float]) -> list[tuple[float, Answer]]:
    """Alternative answers for a question, nearest first (distance, value)."""
    if q.type == "boolean":
        if now is None:
            return [(1.0, True), (1.0, False)]
        return [(1.0, not now)]
    if q.type == "choice":
        return [(1.0, c.id) for c in q.choices if c.id != now]
    if q.type == "multi_choice":
        current = now if isinstance(now, frozenset) else frozenset()
        return [(1.0, current ^ {c.id}) for c in q.choices]
    # numbers: values around every constant the rules compare this question with
    step = 1.0 if q.type == "integer" else 0.5
    candidates: set[float] = set()
    for c in points:
        candidates.update({c - step, c, c + step})
    for bound in (q.min, q.max):
        if bound is not None:
            candidates.add(bound)
    out = []
    base = float(now) if isinstance(now, int | float) and not isinstance(now, bool) else None
    for c in candidates:
        if (q.min is not None and c < q.min) or (q.max is not None and c > q.max):
            continue
        if q.type == "integer" and not float(c).is_integer():
            continue
        if base is not None and c == base:
            continue
        value: Answer = int(c) if float(c).is_integer() else c
        out.append((abs(c - base) if base is not None else abs(c), value))
    out.sort(key=lambda t: (t[0], float(t[1])))  # type: ignore[arg-type]
    return out


def _constants_by_name(ruleset: Ruleset) -> dict[str, set[float]]:
    """For each question a criterion, outcome or skip rule looks at: the numbers its conditions compare
    with (an outcome's own condition counts: 'activity limitation 7 or more' is its threshold)."""
    out: dict[str, set[float]] = {}
    for cond in _conditions(ruleset):
        numbers = _constants(cond.source)
        for name in cond.names:
            out.setdefault(name, set()).update(numbers)
    return out


def _conditions(ruleset: Ruleset) -> Iterator[Condition]:
    for c in ruleset.criteria:
        yield c.when
    for o in ruleset.outcomes:
        if o.when is not None:
            yield o.when
    for q in ruleset.questions:
        if q.ask_if is not None:
            yield q.ask_if


def _constants(source: str) -> set[float]:
    import ast

    found: set[float] = set()
    for node in ast.walk(ast.parse(source, mode="eval")):
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            if not isinstance(node.value, bool):
                found.add(float(node.value))
    return found
