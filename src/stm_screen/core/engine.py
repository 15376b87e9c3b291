"""The scorer: a pure, deterministic function of a compiled ruleset and canonical answers.

``Scorer.evaluate`` is the fast path used for every record of a batch: skip logic, red flags, criteria,
scores and the level. ``stm_screen.core.explain`` builds the full, human-facing result on top of it.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from stm_screen.core.answers import Answer
from stm_screen.core.ruleset import UNSURE, Outcome, Question, Ruleset, Score, covers, item_range

ItemScorer = Callable[[Answer | None], float | None]


class ScoringError(Exception):
    """The ruleset gives no outcome for these answers (an author's mistake a check should catch)."""


class ScoreDetail(NamedTuple):
    """How a score came out: its reported value (None: unknown), the raw value before a lookup table, and
    how many of its items were answered against how many it needs."""

    value: float | None
    raw: float | None
    answered: int
    needed: int
    items: int


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
    unsure: frozenset[str] = frozenset()  # questions asked and answered 'not sure' (taken as yes or not)
    unchecked: bool = False  # the level is the ruleset's 'unchecked' one: a warning sign was left open
    pt_level: str | None = None  # what the outcomes alone give (the level without any warning sign)
    outcome: int | None = None  # index of the outcome that gave pt_level
    details: Mapping[str, ScoreDetail] = {}  # scores over items: answered and needed items
    bands: Mapping[str, str | None] = {}  # score id -> the id of the band its value falls in
    fed: Mapping[str, str] = {}  # screening question -> the module question whose answer made it yes

    @property
    def complete(self) -> bool:
        return self.level is not None and not self.red_flags_unknown


class Decision(NamedTuple):
    """What the results of the conditions come to (see :meth:`Scorer.conclude`)."""

    level: str | None
    red_flags: tuple[str, ...]
    red_flags_unknown: tuple[str, ...]
    met: tuple[str, ...]
    unknown: tuple[str, ...]
    scores: dict[str, float | None]
    bands: dict[str, str | None]
    chosen: int | None
    pt_level: str | None
    unchecked: bool


class Scorer:
    """Scores answer sets against one compiled ruleset; create once, call many times."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self._gated = tuple(q for q in ruleset.questions if q.ask_if is not None)
        self._flags = tuple((rf.id, rf.when, rf.level) for rf in ruleset.red_flags)
        self._replaces = {rf.id: rf.replaces for rf in ruleset.red_flags if rf.replaces}
        at = {rf.id: j for j, rf in enumerate(ruleset.red_flags)}
        # (index, the indexes of its if_not_ruled_out) of each sign that holds on another's doubt
        self.doubts = tuple(
            (j, tuple(at[o] for o in rf.if_not_ruled_out if o in at))
            for j, rf in enumerate(ruleset.red_flags)
            if rf.if_not_ruled_out
        )
        self.covers = covers(ruleset)  # (new, old, test): see _covered
        self._criteria = tuple((c.id, c.when, c.points) for c in ruleset.criteria)
        self._rank = {lv.id: lv.rank for lv in ruleset.levels}
        index = {c.id: i for i, c in enumerate(ruleset.criteria)}
        self._item_scores = tuple(
            (s, tuple(_item_scorer(ruleset.by_id[q]) for q in s.items)) for s in ruleset.scores if s.items
        )
        self._crit_scores = tuple(
            (s, tuple(index[c] for c in s.criteria)) for s in ruleset.scores if not s.items
        )
        self._banded = tuple(s for s in ruleset.scores if s.bands)
        self._feeds = tuple((f.question, f.when, f.module) for f in ruleset.feeds)
        self._outcomes = ruleset.outcomes
        self._question_ids = tuple(q.id for q in ruleset.questions)
        self._unsure_qs = {q.id: q for q in ruleset.questions if q.unsure}
        self._unchecked = ruleset.unchecked

    def rank(self, level: str | None) -> int:
        return -1 if level is None else self._rank[level]

    def known(self, answers: Mapping[str, Answer]) -> Mapping[str, Answer]:
        """The answers as conditions see them (see :func:`known_answer`): 'not sure' is not known, so it is
        left out, except where the question takes it as yes (``unsure_means_yes``)."""
        if not self._unsure_qs or not any(v == UNSURE for k, v in answers.items() if k in self._unsure_qs):
            return answers
        out: dict[str, Answer] = {}
        for k, v in answers.items():
            q = self._unsure_qs.get(k)
            value = v if q is None else known_answer(q, v)
            if value is not None:
                out[k] = value
        return out

    def asked(self, q: Question, answers: Mapping[str, Answer]) -> bool:
        """Whether a question is asked: only when its ask_if is true (see :meth:`visible`)."""
        if q.ask_if is None:
            return True
        # an instrument's answer later in the form may answer a screening question yes (feeds): then the
        # whole form counts
        return q.id not in self.visible(answers, upto=None if self._feeds else q.order)[1]

    def visible(
        self, answers: Mapping[str, Answer], upto: int | None = None
    ) -> tuple[Mapping[str, Answer], frozenset[str]]:
        """The skip rule, in one place: (the answers that count, the questions not asked).

        Questions are judged in order. A question is asked only when its ``ask_if`` is *true*; one whose
        ``ask_if`` is false or cannot be decided (an answer it looks at is blank, 'not sure', or belongs to
        a question that is itself not asked) is not asked, as survey forms do. The answer of a question
        that is not asked is ignored (a stale answer left from before an earlier answer changed), so it
        cannot switch a later question on, fire a warning sign or count towards a score. A screening
        question an instrument answered yes (see ``feeds``) counts as yes here too. ``upto``: stop after
        the question of that order (the answers returned are then partial)."""
        live, skipped, _fed = self._visible(answers, upto)
        return live, frozenset(skipped)

    def _visible(
        self, answers: Mapping[str, Answer], upto: int | None = None
    ) -> tuple[Mapping[str, Answer], set[str], dict[str, str]]:
        values: Mapping[str, Answer] = self.known(answers)
        skipped: set[str] = set()
        fed: dict[str, str] = {}
        live: Mapping[str, Answer] = values
        if self._gated:
            live, skipped = self._skip(values, skipped, upto)
        if self._feeds:
            fed_values, fed = self._fed(live)
            if fed:  # skip logic again: a question asked only after a yes is now asked
                skipped = set()
                live, skipped = self._skip({**values, **fed_values}, skipped, upto, fed)
        return live, skipped, fed

    def ignored(self, answers: Mapping[str, Answer]) -> tuple[str, ...]:
        """Questions that have an answer (or 'not sure') although the skip rule does not ask them: their
        answers are ignored."""
        skipped = self.visible(answers)[1]
        return tuple(q for q in self._question_ids if q in skipped and answers.get(q) is not None)

    def _skip(
        self,
        values: Mapping[str, Answer],
        skipped: set[str],
        upto: int | None = None,
        fed: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Answer], set[str]]:
        live = dict(values)
        for q in self._gated:
            if upto is not None and q.order > upto:
                break
            assert q.ask_if is not None
            if q.ask_if.evaluate(live) is not True:
                skipped.add(q.id)
                if not (fed and q.id in fed):  # an instrument's yes is known even where it is not asked
                    live.pop(q.id, None)
        return live, skipped

    def _fed(self, values: Mapping[str, Answer]) -> tuple[dict[str, Answer], dict[str, str]]:
        """The answers with the screening questions an instrument answered yes (feeding never says no)."""
        out = dict(values)
        fed: dict[str, str] = {}
        for target, cond, _module in self._feeds:
            if out.get(target) is not True and cond.evaluate(values) is True:
                out[target] = True
                fed[target] = min(cond.names & values.keys(), default="")
        return out, fed

    def conclude(
        self,
        hits: Sequence[object],
        crit_hits: Sequence[object],
        scores: dict[str, float | None],
        holds: Callable[[int], object] | None = None,
        values: Mapping[str, Answer] | None = None,
        covered: Sequence[object] | None = None,
    ) -> Decision:
        """What the results of the red flags' and criteria's conditions (True, False or None: cannot be
        decided; in the ruleset's order) come to, with the item scores already made (``scores``): the one
        place where fired and open warning signs, criteria met, criteria scores, bands and the level are
        decided. The outcomes' conditions are ``holds(i)`` (outcome ``i``), or evaluated on ``values`` and
        the scores. ``covered`` are the results of the tests in ``self.covers`` (evaluated on ``values`` when
        not given). ``Scorer.evaluate`` and the batch scorer's outcomes by fingerprint both come here."""
        if self.doubts:
            hits = self._doubted(hits)
        fired: list[str] = []
        unknown_flags: list[str] = []
        for (rid, _, _), hit in zip(self._flags, hits, strict=True):
            if hit:
                fired.append(rid)
            elif hit is None:
                unknown_flags.append(rid)
        if self._replaces and fired:
            replaced = {old for rid in fired for old in self._replaces.get(rid, ())}
            fired = [rid for rid in fired if rid not in replaced]
            unknown_flags = [rid for rid in unknown_flags if rid not in replaced]
        if self.covers and len(unknown_flags) > 1:
            unknown_flags = self._covered(unknown_flags, covered, values)
        top_level: str | None = None
        for rid, _, flag_level in self._flags:
            if rid in fired and (top_level is None or self._rank[flag_level] > self._rank[top_level]):
                top_level = flag_level

        met: list[str] = []
        unknown: list[str] = []
        points: list[float] = []
        for (cid, _, pts), hit in zip(self._criteria, crit_hits, strict=True):
            if hit:
                met.append(cid)
                points.append(pts)
            else:
                points.append(0.0)
                if hit is None:
                    unknown.append(cid)

        for s, crit in self._crit_scores:
            scores[s.id] = _criteria_score(s, [points[i] for i in crit])
        if self._item_scores and self._crit_scores:
            scores = {s.id: scores[s.id] for s in self.ruleset.scores}  # the ruleset's order
        known_scores = {k: v for k, v in scores.items() if v is not None}
        bands = {s.id: band_of(s, scores[s.id], known_scores) for s in self._banded}
        chosen = outcome_index(self._outcomes, known_scores, values, holds)
        pt_level = None if chosen is None else self._outcomes[chosen].level
        level = top_level if top_level is not None else pt_level
        unchecked = False
        if unknown_flags and self._unchecked is not None:
            if top_level is None or self._rank[top_level] < self._rank[self._unchecked.level]:
                level = self._unchecked.level
                unchecked = True
        return Decision(
            level, tuple(fired), tuple(unknown_flags), tuple(met), tuple(unknown), scores, bands, chosen,
            pt_level, unchecked,
        )

    def _doubted(self, hits: Sequence[object]) -> list[object]:
        """The results of the red flags' conditions with ``if_not_ruled_out`` applied: such a sign holds
        only when its condition is true, none of the signs it names holds and one of them could not be ruled
        out; it then stands in for them (they are no longer 'not ruled out'). It is never itself left
        open: where its condition could not be decided, the signs it names say what is in doubt."""
        out = list(hits)
        for j, named in self.doubts:
            doubted = [k for k in named if hits[k] is None]
            if hits[j] and doubted and not any(hits[k] for k in named):
                for k in doubted:
                    out[k] = False
            else:
                out[j] = False
        return out

    def _covered(
        self, unknown: list[str], covered: Sequence[object] | None, values: Mapping[str, Answer] | None
    ) -> list[str]:
        """The signs that could not be checked, without those whose replacing sign could not be checked
        either and covers them for this person (it is true wherever they could be: see ruleset.covers)."""
        if covered is None:
            if values is None:
                return unknown
            covered = [test.evaluate(values) for _new, _old, test in self.covers]
        open_ = set(unknown)
        gone = {old for (new, old, _), hit in zip(self.covers, covered, strict=True) if hit is True and new in open_}
        return [rid for rid in unknown if rid not in gone]

    def evaluate(self, answers: Mapping[str, Answer]) -> Evaluation:
        values, skipped, fed = self._visible(answers)
        unsure = frozenset(
            k for k in self._unsure_qs if k not in skipped and k in answers and answers[k] == UNSURE
        )

        scores: dict[str, float | None] = {}
        details: dict[str, ScoreDetail] = {}
        env: Mapping[str, object] = values
        if self._item_scores:
            for s, scorers in self._item_scores:
                detail = score_items(s, [f(values.get(q)) for q, f in scorers])
                details[s.id] = detail
                scores[s.id] = detail.value
            env = {**values, **{k: v for k, v in scores.items() if v is not None}}

        hits = [cond.evaluate(env) for _, cond, _ in self._flags]
        crit_hits = [cond.evaluate(env) for _, cond, _ in self._criteria]
        covered = None
        if self.covers and sum(hit is None for hit in hits) > 1:
            covered = [test.evaluate(env) for _new, _old, test in self.covers]
        d = self.conclude(hits, crit_hits, scores, None, values, covered)
        level, fired, unknown_flags, met, unknown = d.level, d.red_flags, d.red_flags_unknown, d.met, d.unknown
        scores, bands, chosen, pt_level, unchecked = d.scores, d.bands, d.chosen, d.pt_level, d.unchecked
        missing = tuple(
            q for q in self._question_ids if q not in answers and q not in skipped and q not in fed
        )
        return Evaluation(
            level=level,
            values=values,
            skipped=frozenset(skipped),
            red_flags=fired,
            red_flags_unknown=unknown_flags,
            criteria_met=met,
            criteria_unknown=unknown,
            scores=scores,
            missing=missing,
            unsure=unsure,
            unchecked=unchecked,
            pt_level=pt_level,
            outcome=chosen,
            details=details,
            bands=bands,
            fed=fed,
        )


def known_answer(q: Question, value: Answer | None) -> Answer | None:
    """An answer as conditions see it: the one place where 'not sure' gets its meaning. It is not known
    (None, as a blank) for a question that offers it, except that a yes/no question with
    ``unsure_means_yes`` takes it as yes (the ASQ counts an unclear answer to its suicide-risk questions as a
    positive screen). Skip logic, warning signs, criteria and scores all see this value; the answer itself
    stays 'not sure' (``Evaluation.unsure``, the review screen, JSON ``answers``). ``Scorer.known`` and the
    batch scorer's classes of answers both come here."""
    if value == UNSURE and q.unsure:
        return True if q.unsure_yes else None
    return value


def outcome_index(
    outcomes: tuple[Outcome, ...],
    scores: Mapping[str, float],
    values: Mapping[str, Answer] | None = None,
    holds: Callable[[int], object] | None = None,
) -> int | None:
    """The first outcome whose condition or band holds (conditions see answers and scores; or, given
    ``holds``, its result for outcome ``i`` stands for the condition's)."""
    env: Mapping[str, object] | None = None
    for i, o in enumerate(outcomes):
        if o.when is not None:
            if holds is not None:
                if holds(i):
                    return i
                continue
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


def _item_scorer(q: Question) -> tuple[str, ItemScorer]:
    """(question id, a function from its answer (or None) to its item score (or None))."""
    counts = q.counts
    if counts is not None:

        def counted(value: Answer | None) -> float | None:
            if value is None or not isinstance(value, str) or value == UNSURE:
                return None
            return 1.0 if value in counts else 0.0

        return q.id, counted
    if q.reverse:
        rng = item_range(q)
        total = 0.0 if rng is None else rng[0] + rng[1]

        def reversed_(value: Answer | None) -> float | None:
            v = None if value is None else _item_value(q, value)
            return None if v is None else total - v

        return q.id, reversed_

    def plain(value: Answer | None) -> float | None:
        return None if value is None else _item_value(q, value)

    return q.id, plain


def score_items(s: Score, item_values: Sequence[float | None]) -> ScoreDetail:
    """A score over items from each item's score (None: not answered): the score is unknown, never zero,
    when fewer than ``min_answered`` items were answered; ``missing`` says how unanswered items count."""
    got = [v for v in item_values if v is not None]
    n, k = len(item_values), len(got)
    needed = s.min_answered
    if k < needed or k == 0:
        return ScoreDetail(None, None, k, needed, n)
    total = math.fsum(got)
    if s.method == "sum":
        if s.missing == "prorate" and k < n:
            total = total * n / k
    elif s.missing == "zero":
        total = total / n
    else:
        total = total / k
    raw = finish(s, total)
    if s.lookup is None:
        return ScoreDetail(raw, raw, k, needed, n)
    found = s.lookup.get(raw)
    if found is None:  # pragma: no cover - the table was checked to hold every raw score
        return ScoreDetail(None, raw, k, needed, n)
    return ScoreDetail(_whole(found) if s.integral and float(found).is_integer() else found, raw, k, needed, n)


def finish(s: Score, total: float) -> float:
    """Round as the score says (half up by default: 2.5 -> 3), and keep whole numbers whole."""
    if s.round is not None:
        total = round_half(total, s.round, s.rounding)
    if s.integral and float(total).is_integer():
        return _whole(total)
    return total


def _whole(value: float) -> float:
    return int(value)


def round_half(value: float, places: int, how: str = "half_up") -> float:
    """``value`` rounded to ``places`` decimals: half_up (away from zero at .5), down or up. Decimal
    arithmetic on the shortest repr, so 2.675 rounds to 2.68 (binary floats would give 2.67)."""
    from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

    mode = {"half_up": ROUND_HALF_UP, "down": ROUND_FLOOR, "up": ROUND_CEILING}[how]
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=mode)
    return float(rounded)


def _criteria_score(s: Score, got: list[float]) -> float | None:
    if not got:
        return 0 if s.method == "sum" else None
    total = math.fsum(got) if s.method == "sum" else math.fsum(got) / len(got)
    if s.method == "sum" and s.integral and s.round is None and s.lookup is None:
        return int(total) if float(total).is_integer() else total
    raw = finish(s, total)
    if s.lookup is not None:
        found = s.lookup.get(raw)
        return None if found is None else found
    return raw


def band_of(s: Score, value: float | None, scores: Mapping[str, float]) -> str | None:
    """The id of the band a score's value falls in (None: no band, or the value is unknown). Bands by
    condition are tried in order, and one that cannot be decided stops the search (it might have held)."""
    if value is None or not s.bands:
        return None
    if s.bands[0].when is not None:
        for b in s.bands:
            assert b.when is not None
            hit = b.when.evaluate(scores)
            if hit:
                return b.id
            if hit is None:
                return None
        return None
    best = None
    best_low = -math.inf
    for b in s.bands:
        low = -math.inf if b.min is None else b.min
        if low <= value and (b.max is None or value <= b.max) and (best is None or low > best_low):
            best, best_low = b.id, low  # a value on a shared boundary goes to the higher band
    return best
