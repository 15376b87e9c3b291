"""The scorer: a pure, deterministic function of a compiled ruleset and canonical answers.

``Scorer.evaluate`` is the fast path used for every record of a batch: skip logic, red flags, criteria,
scores and the level. ``stm_screen.core.explain`` builds the full, human-facing result on top of it.
"""

import math
from collections.abc import Mapping
from typing import NamedTuple

from stm_screen.core.answers import Answer
from stm_screen.core.ruleset import Outcome, Question, Ruleset, Score


class ScoringError(Exception):
    """The ruleset gives no outcome for these answers (an author's mistake a check should catch)."""


class Evaluation(NamedTuple):
    """What the rules make of one answer set."""

    level: str | None  # None: no outcome could be decided (answers missing)
    values: Mapping[str, Answer]  # the answers that count (skipped questions removed)
    skipped: frozenset[str]  # questions not asked because of their ask_if
    red_flags: tuple[str, ...]  # ids of red flags that fired
    red_flags_unknown: tuple[str, ...]  # red flags that could not be ruled out
    criteria_met: tuple[str, ...]
    criteria_unknown: tuple[str, ...]
    scores: Mapping[str, float | None]
    missing: tuple[str, ...]  # questions that would be asked but have no answer

    @property
    def complete(self) -> bool:
        return self.level is not None and not self.red_flags_unknown


class Scorer:
    """Scores answer sets against one compiled ruleset; create once, call many times."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self._gated = tuple(q for q in ruleset.questions if q.ask_if is not None)
        self._flags = tuple((rf.id, rf.when, rf.level) for rf in ruleset.red_flags)
        self._criteria = tuple((c.id, c.when, c.points) for c in ruleset.criteria)
        self._rank = {lv.id: lv.rank for lv in ruleset.levels}
        index = {c.id: i for i, c in enumerate(ruleset.criteria)}
        self._scores = tuple(
            (s, tuple(index[c] for c in s.criteria), tuple(ruleset.by_id[q] for q in s.items))
            for s in ruleset.scores
        )
        self._outcomes = ruleset.outcomes
        self._question_ids = tuple(q.id for q in ruleset.questions)

    def rank(self, level: str | None) -> int:
        return -1 if level is None else self._rank[level]

    def evaluate(self, answers: Mapping[str, Answer]) -> Evaluation:
        values: Mapping[str, Answer] = answers
        skipped: set[str] = set()
        if self._gated:
            live = dict(answers)
            for q in self._gated:
                assert q.ask_if is not None
                if q.ask_if.evaluate(live) is False:
                    skipped.add(q.id)
                    live.pop(q.id, None)
            values = live

        fired: list[str] = []
        unknown_flags: list[str] = []
        top_level: str | None = None
        for rid, cond, flag_level in self._flags:
            hit = cond.evaluate(values)
            if hit:
                fired.append(rid)
                if top_level is None or self._rank[flag_level] > self._rank[top_level]:
                    top_level = flag_level
            elif hit is None:
                unknown_flags.append(rid)

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
        level = top_level if top_level is not None else self._outcome(scores)
        missing = tuple(q for q in self._question_ids if q not in values and q not in skipped)
        return Evaluation(
            level=level,
            values=values,
            skipped=frozenset(skipped),
            red_flags=tuple(fired),
            red_flags_unknown=tuple(unknown_flags),
            criteria_met=tuple(met),
            criteria_unknown=tuple(unknown),
            scores=scores,
            missing=missing,
        )

    def _outcome(self, scores: Mapping[str, float | None]) -> str | None:
        known = {k: v for k, v in scores.items() if v is not None}
        return outcome_level(self._outcomes, known)


def outcome_level(outcomes: tuple[Outcome, ...], scores: Mapping[str, float]) -> str | None:
    """The first outcome whose band or condition holds for these scores."""
    for o in outcomes:
        if o.when is not None:
            if o.when.evaluate(scores):
                return o.level
            continue
        assert o.score is not None
        value = scores.get(o.score)
        if value is not None and _in_band(o, value):
            # Bands of a real-valued score may share a boundary: the value goes to the higher band.
            best = o
            for other in outcomes:
                if other.when is None and other.score == o.score and _in_band(other, value):
                    if (other.min if other.min is not None else -math.inf) > (
                        best.min if best.min is not None else -math.inf
                    ):
                        best = other
            return best.level
    return None


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
