"""The scorer: a pure, deterministic function of a compiled ruleset and canonical answers.

``Scorer.evaluate`` is the fast path used for every record of a batch: skip logic, red flags, criteria,
scores and the level. ``stm_screen.core.explain`` builds the full, human-facing result on top of it.
"""

import math
from collections.abc import Mapping
from typing import NamedTuple

from stm_screen.core.answers import Answer
from stm_screen.core.ruleset import UNSURE, Outcome, Question, Ruleset, Score


class ScoringError(Exception):
    """The ruleset gives no outcome for these answers (an author's mistake a check should catch)."""


class Evaluation(NamedTuple):
    """What the rules make of one answer set."""

    level: str | None  # None: no outcome could be decided (answers missing)
    values: Mapping[str, Answer]  # the answers that count, as conditions see them ('not sure' left out)
    skipped: frozenset[str]  # questions not asked because their ask_if does not hold
    red_flags: tuple[str, ...]  # ids of red flags that fired
    red_flags_unknown: tuple[str, ...]  # red flags that could not be ruled out
    criteria_met: tuple[str, ...]
    criteria_unknown: tuple[str, ...]
    scores: Mapping[str, float | None]
    missing: tuple[str, ...]  # questions that would be asked but have no answer
    unsure: frozenset[str] = frozenset()  # questions answered 'not sure'
    unchecked: bool = False  # the level is the ruleset's 'unchecked' one: a warning sign was left open
    pt_level: str | None = None  # what the outcomes alone give (the level without any warning sign)
    outcome: int | None = None  # index of the outcome that gave pt_level

    @property
    def complete(self) -> bool:
        return self.level is not None and not self.red_flags_unknown


class Scorer:
    """Scores answer sets against one compiled ruleset; create once, call many times."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self._gated = tuple(q for q in ruleset.questions if q.ask_if is not None)
        self._flags = tuple((rf.id, rf.when, rf.level) for rf in ruleset.red_flags)
        self._replaces = {rf.id: rf.replaces for rf in ruleset.red_flags if rf.replaces}
        self._criteria = tuple((c.id, c.when, c.points) for c in ruleset.criteria)
        self._rank = {lv.id: lv.rank for lv in ruleset.levels}
        index = {c.id: i for i, c in enumerate(ruleset.criteria)}
        self._scores = tuple(
            (s, tuple(index[c] for c in s.criteria), tuple(ruleset.by_id[q] for q in s.items))
            for s in ruleset.scores
        )
        self._outcomes = ruleset.outcomes
        self._question_ids = tuple(q.id for q in ruleset.questions)
        self._unsure_ids = frozenset(q.id for q in ruleset.questions if q.unsure)
        self._unchecked = ruleset.unchecked

    def rank(self, level: str | None) -> int:
        return -1 if level is None else self._rank[level]

    def known(self, answers: Mapping[str, Answer]) -> Mapping[str, Answer]:
        """The answers as conditions see them: 'not sure' is not known, so it is left out."""
        if not self._unsure_ids or not any(v == UNSURE for k, v in answers.items() if k in self._unsure_ids):
            return answers
        return {k: v for k, v in answers.items() if not (v == UNSURE and k in self._unsure_ids)}

    def asked(self, q: Question, answers: Mapping[str, Answer]) -> bool:
        """Whether a question is asked: only when its ask_if is true (see :meth:`visible`)."""
        if q.ask_if is None:
            return True
        return q.id not in self.visible(answers, upto=q.order)[1]

    def visible(
        self, answers: Mapping[str, Answer], upto: int | None = None
    ) -> tuple[Mapping[str, Answer], frozenset[str]]:
        """The skip rule, in one place: (the answers that count, the questions not asked).

        Questions are judged in order. A question is asked only when its ``ask_if`` is *true*; one whose
        ``ask_if`` is false or cannot be decided (an answer it looks at is blank, 'not sure', or belongs to
        a question that is itself not asked) is not asked, as survey forms do. The answer of a question
        that is not asked is ignored (a stale answer left from before an earlier answer changed), so it
        cannot switch a later question on, fire a warning sign or count towards a score. ``upto``: stop
        after the question of that order (the answers returned are then partial)."""
        values: Mapping[str, Answer] = self.known(answers)
        if not self._gated:
            return values, frozenset()
        skipped: set[str] = set()
        live = dict(values)
        for q in self._gated:
            if upto is not None and q.order > upto:
                break
            assert q.ask_if is not None
            if q.ask_if.evaluate(live) is not True:
                skipped.add(q.id)
                live.pop(q.id, None)
        return live, frozenset(skipped)

    def ignored(self, answers: Mapping[str, Answer]) -> tuple[str, ...]:
        """Questions that have an answer (or 'not sure') although the skip rule does not ask them: their
        answers are ignored."""
        skipped = self.visible(answers)[1]
        return tuple(q for q in self._question_ids if q in skipped and answers.get(q) is not None)

    def evaluate(self, answers: Mapping[str, Answer]) -> Evaluation:
        values, skipped = self.visible(answers)
        unsure = frozenset(
            k for k in self._unsure_ids if k not in skipped and k in answers and answers[k] == UNSURE
        )

        fired: list[str] = []
        unknown_flags: list[str] = []
        for rid, cond, _ in self._flags:
            hit = cond.evaluate(values)
            if hit:
                fired.append(rid)
            elif hit is None:
                unknown_flags.append(rid)
        if self._replaces and fired:
            replaced = {old for rid in fired for old in self._replaces.get(rid, ())}
            fired = [rid for rid in fired if rid not in replaced]
            unknown_flags = [rid for rid in unknown_flags if rid not in replaced]
        top_level: str | None = None
        for rid, _, flag_level in self._flags:
            if rid in fired and (top_level is None or self._rank[flag_level] > self._rank[top_level]):
                top_level = flag_level

        met: list[str] = []
        unknown: list[str] = []
        points: list[float] = []
        for cid, cond, pts in self._criteria:
            hit = cond.evaluate(values)
            if hit:
                met.append(cid)
                points.append(pts)
            else:
                points.append(0.0)
                if hit is None:
                    unknown.append(cid)

        scores = {s.id: _score(s, crit, items, points, values) for s, crit, items in self._scores}
        known_scores = {k: v for k, v in scores.items() if v is not None}
        chosen = outcome_index(self._outcomes, known_scores, values)
        pt_level = None if chosen is None else self._outcomes[chosen].level
        level = top_level if top_level is not None else pt_level
        unchecked = False
        if unknown_flags and self._unchecked is not None:
            if top_level is None or self._rank[top_level] < self._rank[self._unchecked.level]:
                level = self._unchecked.level
                unchecked = True
        missing = tuple(q for q in self._question_ids if q not in answers and q not in skipped)
        return Evaluation(
            level=level,
            values=values,
            skipped=skipped,
            red_flags=tuple(fired),
            red_flags_unknown=tuple(unknown_flags),
            criteria_met=tuple(met),
            criteria_unknown=tuple(unknown),
            scores=scores,
            missing=missing,
            unsure=unsure,
            unchecked=unchecked,
            pt_level=pt_level,
            outcome=chosen,
        )


def outcome_index(
    outcomes: tuple[Outcome, ...], scores: Mapping[str, float], values: Mapping[str, Answer] | None = None
) -> int | None:
    """The first outcome whose condition or band holds (conditions see answers and scores)."""
    env: Mapping[str, object] | None = None
    for i, o in enumerate(outcomes):
        if o.when is not None:
            if env is None:
                env = {**values, **scores} if values else scores
            if o.when.evaluate(env):
                return i
            continue
        assert o.score is not None
        value = scores.get(o.score)
        if value is not None and _in_band(o, value):
            # Bands of a real-valued score may share a boundary: the value goes to the higher band.
            best = i
            for j, other in enumerate(outcomes):
                if other.when is None and other.score == o.score and _in_band(other, value):
                    if _low(other) > _low(outcomes[best]):
                        best = j
            return best
    return None


def outcome_level(
    outcomes: tuple[Outcome, ...], scores: Mapping[str, float], values: Mapping[str, Answer] | None = None
) -> str | None:
    """The level of the first outcome that holds for these scores (and answers)."""
    i = outcome_index(outcomes, scores, values)
    return None if i is None else outcomes[i].level


def _low(o: Outcome) -> float:
    return o.min if o.min is not None else -math.inf


def _in_band(o: Outcome, value: float) -> bool:
    return (o.min is None or value >= o.min) and (o.max is None or value <= o.max)


def _item_value(q: Question, value: Answer) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        for c in q.choices:
            if c.id == value:
                return c.value
    return None


def _score(
    s: Score,
    crit: tuple[int, ...],
    items: tuple[Question, ...],
    points: list[float],
    values: Mapping[str, Answer],
) -> float | None:
    if crit:
        got = [points[i] for i in crit]
    else:
        got = []
        for q in items:
            if q.id in values:
                v = _item_value(q, values[q.id])
                if v is not None:
                    got.append(v)
    if not got:
        return 0 if s.method == "sum" else None
    total = sum(got)
    if s.method == "sum":
        return int(total) if s.integral else total
    return total / len(got)
