"""Checks of skip logic for rules authors: can a question's ``ask_if`` (or a warning sign's ``when``) be
undecided for someone who answered every question they were shown? Pure: no I/O.

The skip rule (see :meth:`stm_screen.core.engine.Scorer.visible`) asks a question only when its ``ask_if``
is true. With every question shown answered (and no 'not sure'), an ``ask_if`` can still be undecided when
an answer it looks at belongs to a question that was *not* shown: ``ask_if: injured`` where ``injured`` is
itself asked only after a fall. The question is then hidden whatever the person would have said. For a
safety question that means a warning sign that can never be ruled out (``rules check`` refuses it); for
other questions it is most likely an oversight (``rules check`` warns). A warning sign whose ``when`` can be
undecided that way could never be ruled out for those people, and every one of them would be told that
some warning signs could not be checked: ``rules check`` refuses it too (write ``fell and bruise``, not
``bruise``, when ``bruise`` is asked only after a fall).

The search is exact over the questions the ``ask_if`` depends on, directly or through their own
``ask_if``: every answer that can make a difference to those conditions is tried (each yes/no and choice,
sets of ticked choices, numbers on both sides of each number written in the conditions), and the example
returned is one with the fewest answers (the first of those in question and answer order).

It walks the questions in order keeping only what later conditions still look at: the answers (or 'not
asked') of the questions named by a later ``ask_if`` or by the condition checked, each set of them once.
What is reached over a set of questions does not depend on the condition being checked, so it is
worked out once for all of them: a chain of 1,000 questions each asked after the one before costs about
1,000 steps, not 1,000 x 1,000. Where more than MAX_STATES different sets of answers still matter at
one point (dozens of questions that later conditions look at together), the search stops and the
condition is reported as not checked (``rules check`` says so: an error for a safety question or a
warning sign, a warning otherwise), never as fine.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from stm_screen.core.conditions import Condition
    from stm_screen.core.ruleset import Question

MAX_STATES = 4_096  # different sets of answers that still matter at one point in the questions, at most

_HIDDEN: Any = object()  # in a state: the question was not asked


class TooComplex(NamedTuple):
    """The search stopped: more than ``limit`` different sets of answers still mattered at one point."""

    limit: int


def depends_on(cond: Condition, by_id: Mapping[str, Question]) -> list[Question]:
    """The questions a condition looks at, directly or through their own ``ask_if``, in order."""
    seen: dict[str, Question] = {}
    todo = [n for n in cond.names if n in by_id]
    while todo:
        name = todo.pop()
        if name in seen or name not in by_id:
            continue
        other = by_id[name]
        seen[name] = other
        if other.ask_if is not None:
            todo.extend(other.ask_if.names)
    return sorted(seen.values(), key=lambda x: x.order)


def _numbers_in(tree: ast.AST) -> set[float]:
    found: set[float] = {0.0}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            if not isinstance(node.value, bool):
                v = float(node.value)
                found |= {v - 1, v - 0.5, v, v + 0.5, v + 1, v * 12, v / 12, -v}
    return found


def _candidates(q: Question, numbers: Iterable[float]) -> list[Any]:
    if q.type == "boolean":
        return [True, False]
    if q.type == "choice":
        return list(q.choice_ids)
    if q.type == "multi_choice":
        ids = list(q.choice_ids)
        if len(ids) <= 4:
            return [list(c) for n in range(len(ids) + 1) for c in itertools.combinations(ids, n)]
        return [[], ids, *([i] for i in ids), *([x for x in ids if x != i] for i in ids)]
    lo = q.min if q.min is not None else -1e9
    hi = q.max if q.max is not None else 1e9
    values = {v for v in numbers if lo <= v <= hi}
    values |= {v for v in (q.min, q.max) if v is not None}
    if q.type == "integer":
        values = {float(int(v)) for v in values if float(v).is_integer()}
        return sorted(int(v) for v in values) or [0]
    return sorted(values) or [0.0]


def _leaves(tree: ast.Expression) -> list[ast.expr]:
    out: list[ast.expr] = []

    def walk(node: ast.expr) -> None:
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                walk(v)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            walk(node.operand)
        else:
            out.append(node)

    walk(tree.body)
    return out


Path_ = tuple[tuple[int, int, Any], ...]  # (question order, answer's place, answer) of each question shown
Layer = dict[tuple[Any, ...], Path_]  # the answer (or _HIDDEN) to each question looked at -> best path
Reach = tuple[tuple[str, ...], Layer] | None  # the questions looked at, in order, and their answers
Key = tuple[frozenset[str], frozenset[str]]  # questions looked at, and the conditions that look at them


class _Cond(NamedTuple):
    names: frozenset[str]  # the questions it names
    single: tuple[tuple[str, str], ...]  # (question, text) of each part that looks at one question alone
    joint: frozenset[str]  # questions compared together with another in one part
    numbers: frozenset[float]  # numbers near those written in it


class SkipSearch:
    """The search for one set of rules: ``example(cond)`` for each condition to check. It parses each
    condition once and shares what it works out over a set of questions between the conditions checked.

    The state after a question is the answer (or 'not asked') of each question that a condition still to
    come looks at, each answer one of a class that every comparison in those conditions finds the same;
    the same set of questions looked at by the same conditions reaches the same states whatever the
    condition checked, so they are worked out once (a memo)."""

    def __init__(self, by_id: Mapping[str, Question], limit: int = MAX_STATES) -> None:
        self.by_id = by_id
        self.limit = limit
        self._by_order = {q.order: q for q in by_id.values()}
        self._conds: dict[str, _Cond] = {}
        self._cands: dict[tuple[str, frozenset[str]], list[Any]] = {}
        self._reach: dict[Key, Reach] = {}

    def _cond(self, cond: Condition) -> _Cond:
        found = self._conds.get(cond.source)
        if found is not None:
            return found
        tree = ast.parse(cond.source, mode="eval")
        single: list[tuple[str, str]] = []
        joint: set[str] = set()
        for leaf in _leaves(tree):
            names = {n.id for n in ast.walk(leaf) if isinstance(n, ast.Name)} & self.by_id.keys()
            if len(names) > 1:
                joint |= names
            elif names:
                single.append((names.pop(), ast.unparse(leaf)))
        found = _Cond(cond.names & self.by_id.keys(), tuple(single), frozenset(joint), frozenset(_numbers_in(tree)))
        self._conds[cond.source] = found
        return found

    def candidates(self, q: Question, ctx: frozenset[str]) -> list[Any]:
        """Answers to try for a question looked at by the conditions ``ctx`` (their texts): one for each
        class of answers that every comparison of that question alone finds the same (a question compared
        together with another keeps them all), numbers near those written in those conditions."""
        key = (q.id, ctx)
        found = self._cands.get(key)
        if found is not None:
            return found
        from stm_screen.core.conditions import ConditionError, NameInfo, compile_condition

        conds = [self._conds[c] for c in sorted(ctx)]
        numbers: set[float] = {0.0}
        for c in conds:
            numbers |= c.numbers
        values = _candidates(q, numbers)
        if not any(q.id in c.joint for c in conds):
            kind = {"boolean": "bool", "integer": "num", "number": "num"}.get(q.type)
            info = NameInfo(kind or ("choice" if q.type == "choice" else "multi"), q.choice_ids)  # type: ignore[arg-type]
            texts = dict.fromkeys(text for c in conds for name, text in c.single if name == q.id)
            try:
                parts = [compile_condition(text, {q.id: info}) for text in texts]
            except ConditionError:  # pragma: no cover - a part of a condition that compiled
                parts = None
            if parts is not None:
                seen: dict[tuple[bool | None, ...], Any] = {}
                for v in values:
                    given = {q.id: frozenset(v) if isinstance(v, list) else v}
                    seen.setdefault(tuple(a.evaluate(given) for a in parts), v)
                values = list(seen.values())
        self._cands[key] = values
        return values

    def _last(self, names: frozenset[str]) -> Question:
        return max((self.by_id[n] for n in names), key=lambda q: q.order)

    def reach(self, names: frozenset[str], ctx: frozenset[str]) -> Reach:
        """Every set of answers (or 'not asked') to the questions ``names``, in the classes the conditions
        ``ctx`` tell apart, that someone answering every question shown can give, each with the fewest
        answers that lead to it; None when more than ``limit`` of them matter at one point."""
        chain: list[Key] = []
        key: Key = (names, ctx)
        while key[0] and key not in self._reach:
            chain.append(key)
            front, looking = key
            q = self._last(front)
            below = front - {q.id}
            if q.ask_if is not None:
                looking = looking | {q.ask_if.source}
                below |= self._cond(q.ask_if).names
            key = (below, frozenset(c for c in looking if not self._conds[c].names.isdisjoint(below)))
        done: Reach = self._reach[key] if key[0] else ((), {(): ()})
        for front, looking in reversed(chain):
            done = None if done is None else self._step(done, front, looking)
            self._reach[front, looking] = done
        return done if names else ((), {(): ()})

    def _step(self, below: tuple[tuple[str, ...], Layer], front: frozenset[str], ctx: frozenset[str]) -> Reach:
        """The answers to ``front`` from those to the questions before its last one (``below``)."""
        q = self._last(front)
        mine = frozenset(c for c in ctx if q.id in self._conds[c].names)
        order = tuple(sorted(front, key=lambda n: self.by_id[n].order))
        names, states = below
        at = {n: i for i, n in enumerate(names)}
        keep = [at[n] for n in order[:-1]]
        ask_if = q.ask_if
        looks = [(n, at[n]) for n in sorted(self._cond(ask_if).names)] if ask_if is not None else []
        values = [frozenset(v) if isinstance(v, list) else v for v in self.candidates(q, mine)]
        out: Layer = {}
        for state, path in states.items():
            base = tuple(state[i] for i in keep)
            if ask_if is not None:
                env = {n: state[i] for n, i in looks if state[i] is not _HIDDEN}
                if ask_if.evaluate(env) is not True:
                    self._offer(out, (*base, _HIDDEN), path)
                    continue
            for index, value in enumerate(values):
                self._offer(out, (*base, value), (*path, (q.order, index, value)))
            if len(out) > self.limit:
                return None
        return order, out
    @staticmethod
    def _offer(out: Layer, key: tuple[int, ...], path: Path_) -> None:
        old = out.get(key)
        if old is None or (len(path), path) < (len(old), old):
            out[key] = path

    def example(self, cond: Condition | None) -> tuple[dict[str, Any], str] | TooComplex | None:
        """Answers to every shown question (none blank, none 'not sure') under which a condition (an
        ``ask_if``, a warning sign's ``when``) cannot be decided, with a question it looks at that was not
        shown; None when there are none; TooComplex when there were too many to try."""
        if cond is None:
            return None
        names = cond.names & self.by_id.keys()
        if not any(self.by_id[n].ask_if is not None for n in names):
            return None  # every question it looks at is always shown, and so answered
        self._cond(cond)
        found = self.reach(frozenset(names), frozenset({cond.source}))
        if found is None:
            return TooComplex(self.limit)
        order, states = found
        best: tuple[Path_, str] | None = None
        for state, path in states.items():
            if best is not None and (len(path), path) >= (len(best[0]), best[0]):
                continue
            env = {n: v for n, v in zip(order, state, strict=True) if v is not _HIDDEN}
            if cond.evaluate(env) is None:
                # all the questions it names were shown and answered would decide it: one of them was not
                culprit = next(n for n, v in zip(order, state, strict=True) if v is _HIDDEN)
                best = (path, culprit)
        if best is None:
            return None
        path, culprit = best
        return {self._by_order[o].id: v for o, _i, v in path}, culprit


def undecided_example(
    cond: Condition | None, by_id: Mapping[str, Question], limit: int = MAX_STATES
) -> tuple[dict[str, Any], str] | TooComplex | None:
    """:meth:`SkipSearch.example` for one condition (checking many, make one :class:`SkipSearch`)."""
    return SkipSearch(by_id, limit).example(cond)


def describe_answers(answers: Mapping[str, Any]) -> str:
    """``a = yes, b = 3`` for a message."""

    def word(v: Any) -> str:
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, list):
            return "[" + ", ".join(v) + "]" if v else "nothing ticked"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return ", ".join(f"{k} = {word(v)}" for k, v in answers.items()) or "no answers"
