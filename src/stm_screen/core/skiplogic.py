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
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from stm_screen.core.conditions import Condition
    from stm_screen.core.ruleset import Question

MAX_STATES = 4_096  # different sets of answers that still matter at one point in the questions, at most

MAX_WORK = 100_000  # sets of answers taken from one question to the next for one rules file, at most

_HIDDEN = None  # in a state: the question was not asked (no answer is None)
_NO_BUILTINS: dict[str, Any] = {"__builtins__": {}}


def _getter(places: list[int]) -> Any:
    """A function giving the tuple of a state's items at ``places``."""
    if len(places) > 1:
        return itemgetter(*places)
    if places:
        (place,) = places
        return lambda state: (state[place],)
    return lambda state: ()


class TooComplex(NamedTuple):
    """The search stopped: more than ``limit`` different sets of answers still mattered at one point, or
    the check of the whole rules file had taken ``budget`` sets of answers from one question to the next."""

    limit: int
    budget: int


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


# The answers that lead to a state, linked back to front: (how many, the rest, question order, answer);
# _START for none.
Path_ = tuple[int, Any, int, Any]
_START: Path_ = (0, None, -1, None)
Layer = dict[tuple[Any, ...], Path_]  # the answer (or _HIDDEN) to each question looked at -> best path
Reach = tuple[tuple[str, ...], Layer] | None  # the questions looked at, in order, and their answers
Sig = tuple[bool, frozenset[str], frozenset[float]]  # what tells a question's answers apart: see _Cond
Key = tuple[frozenset[str], frozenset[tuple[str, int]]]  # questions looked at, and their Sig's numbers

_NO_SIG: Sig = (False, frozenset(), frozenset())


class _Cond(NamedTuple):
    names: frozenset[str]  # the questions it names
    # for each question it names that is not yes/no: whether a part compares it with another question,
    # the parts that look at it alone, and the numbers near those written in the condition (a number's)
    sigs: Mapping[str, Sig]


class SkipSearch:
    """The search for one set of rules: ``example(cond)`` for each condition to check. It parses each
    condition once and shares what it works out over a set of questions between the conditions checked.

    The state after a question is the answer (or 'not asked') of each question that a condition still to
    come looks at, one answer for each class of answers that the comparisons of those conditions find the
    same (yes and no are both always tried). The same questions, told apart the same way, reach the same
    states whatever the condition checked: they are worked out once (a memo)."""

    def __init__(self, by_id: Mapping[str, Question], limit: int = MAX_STATES, budget: int = MAX_WORK) -> None:
        self.by_id = by_id
        self.limit = limit
        self._by_order = {q.order: q for q in by_id.values()}
        self._conds: dict[str, _Cond] = {}
        self._sig_ids: dict[Sig, int] = {_NO_SIG: 0}
        self._sig_list: list[Sig] = [_NO_SIG]
        self._merged: dict[tuple[int, str, str], int] = {}
        self._cands: dict[tuple[str, int], list[Any]] = {}
        self._reach: dict[Key, Reach] = {}
        self._order = {q.id: q.order for q in by_id.values()}
        self.budget = budget
        self.work = 0  # sets of answers taken from one question to the next, in all
        self.spent = False  # whether the budget ran out

    def _cond(self, cond: Condition) -> _Cond:
        found = self._conds.get(cond.source)
        if found is not None:
            return found
        names = cond.names & self.by_id.keys()
        sigs: dict[str, Sig] = {}
        if any(self.by_id[n].type != "boolean" for n in names):
            tree = ast.parse(cond.source, mode="eval")
            numbers = frozenset(_numbers_in(tree))
            single: dict[str, set[str]] = {}
            joint: set[str] = set()
            for leaf in _leaves(tree):
                used = {n.id for n in ast.walk(leaf) if isinstance(n, ast.Name)} & names
                if len(used) > 1:
                    joint |= used
                elif used:
                    (name,) = used
                    if self.by_id[name].type != "boolean":
                        if cond.source.isascii() and "\n" not in cond.source:  # offsets count UTF-8 bytes
                            text = cond.source[leaf.col_offset : leaf.end_col_offset]
                        else:
                            text = ast.get_source_segment(cond.source, leaf) or ast.unparse(leaf)
                        single.setdefault(name, set()).add(text)
            for n in names:
                q = self.by_id[n]
                if q.type != "boolean":
                    nums = numbers if q.type in ("integer", "number") else frozenset()
                    sigs[n] = (n in joint, frozenset(single.get(n, ())), nums)
        found = _Cond(names, sigs)
        self._conds[cond.source] = found
        return found

    def _sig(self, sig: Sig) -> int:
        found = self._sig_ids.get(sig)
        if found is None:
            found = self._sig_ids[sig] = len(self._sig_list)
            self._sig_list.append(sig)
        return found

    def _merge(self, sig_id: int, cond: Condition, name: str) -> int:
        """The Sig of ``name`` told apart by both ``sig_id``'s conditions and ``cond``."""
        key = (sig_id, cond.source, name)
        found = self._merged.get(key)
        if found is None:
            old, new = self._sig_list[sig_id], self._cond(cond).sigs[name]
            found = self._merged[key] = self._sig((old[0] or new[0], old[1] | new[1], old[2] | new[2]))
        return found

    def candidates(self, q: Question, sig_id: int) -> list[Any]:
        """Answers to try for a question: one for each class of answers that every comparison of that
        question alone in the conditions looking at it finds the same (a question compared together with
        another keeps them all), numbers near those written in those conditions (Sig ``sig_id``)."""
        key = (q.id, sig_id)
        found = self._cands.get(key)
        if found is not None:
            return found
        from stm_screen.core.conditions import ConditionError, NameInfo, compile_condition

        joint, texts, numbers = self._sig_list[sig_id]
        values = _candidates(q, numbers | {0.0})
        if q.type != "boolean" and not joint:
            kind = {"boolean": "bool", "integer": "num", "number": "num"}.get(q.type)
            info = NameInfo(kind or ("choice" if q.type == "choice" else "multi"), q.choice_ids)  # type: ignore[arg-type]
            try:
                parts = [compile_condition(text, {q.id: info}) for text in sorted(texts)]
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
        return self.by_id[max(names, key=self._order.__getitem__)]

    def reach(self, names: frozenset[str], sigs: frozenset[tuple[str, int]]) -> Reach:
        """Every set of answers (or 'not asked') to the questions ``names``, told apart as their ``sigs``
        say, that someone answering every question shown can give, each with the fewest answers that lead
        to it; None when more than ``limit`` of them matter at one point, or the work ran out."""
        chain: list[Key] = []
        key: Key = (names, sigs)
        while key[0] and key not in self._reach:
            self.work += 1
            if self.work > self.budget:
                self.spent = True
                return None
            chain.append(key)
            front, told = key
            q = self._last(front)
            below = front - {q.id}
            apart = {n: i for n, i in told if n != q.id}
            if q.ask_if is not None:
                looks = self._cond(q.ask_if)
                below |= looks.names
                for n in looks.sigs:
                    apart[n] = self._merge(apart.get(n, 0), q.ask_if, n)
            key = (below, frozenset(apart.items()))
        done: Reach = self._reach[key] if key[0] else ((), {(): _START})
        for front, told in reversed(chain):
            done = None if done is None else self._step(done, front, dict(told))
            self._reach[front, told] = done
        return done if names else ((), {(): _START})

    def _step(self, below: tuple[tuple[str, ...], Layer], front: frozenset[str], told: Mapping[str, int]) -> Reach:
        """The answers to ``front`` from those to the questions before its last one (``below``)."""
        q = self._last(front)
        names, states = below
        values = [frozenset(v) if isinstance(v, list) else v for v in self.candidates(q, told.get(q.id, 0))]
        self.work += len(states) * len(values)  # at most this many sets of answers offered
        if self.work > self.budget:
            self.spent = True
            return None
        order = (*(n for n in names if n in front), q.id)
        keep = [i for i, n in enumerate(names) if n in front]
        project = _getter(keep)
        ask_if = q.ask_if
        if ask_if is not None:
            asked = tuple(sorted(self._cond(ask_if).names))
            look = _getter([names.index(n) for n in asked])
            code, interp = ask_if.code, ask_if.interp
        out: Layer = {}
        for state, path in states.items():
            base = project(state)
            if ask_if is not None:
                seen = look(state)
                env = dict(zip(asked, seen, strict=True))
                if _HIDDEN in seen:
                    shown = interp(env)
                    shown = shown is not None and bool(shown)
                else:
                    shown = bool(eval(code, _NO_BUILTINS, env))  # noqa: S307 - a compiled, whitelisted condition
                if not shown:
                    self._offer(out, (*base, _HIDDEN), path)
                    continue
            for value in values:
                self._offer(out, (*base, value), (path[0] + 1, path, q.order, value))
            if len(out) > self.limit:
                return None
        return order, out

    @staticmethod
    def _offer(out: Layer, key: tuple[Any, ...], path: Path_) -> None:
        old = out.get(key)
        if old is None or path[0] < old[0]:
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
        sigs = frozenset((n, self._merge(0, cond, n)) for n in self._cond(cond).sigs)
        found = self.reach(frozenset(names), sigs)
        if found is None:
            return TooComplex(self.limit, self.budget)
        order, states = found
        best: tuple[Path_, str] | None = None
        # fewest answers first (sorted keeps the first of equals first): the first undecided one is it
        for state, path in sorted(states.items(), key=lambda item: item[1][0]):
            if _HIDDEN in state and _decide(cond, order, state) is None:
                # all the questions it names were shown and answered would decide it: one of them was not
                best = (path, next(n for n, v in zip(order, state, strict=True) if v is _HIDDEN))
                break
        if best is None:
            return None
        path, culprit = best
        answers: list[tuple[str, Any]] = []
        while path[0]:
            answers.append((self._by_order[path[2]].id, path[3]))
            path = path[1]
        return dict(reversed(answers)), culprit


def _decide(cond: Condition, names: tuple[str, ...], state: tuple[Any, ...]) -> bool | None:
    """The condition's value with these answers (None in ``state``: not asked)."""
    env = dict(zip(names, state, strict=True))
    if _HIDDEN in state:
        result = cond.interp(env)  # looks a name up with env.get: None, as if unanswered
        return None if result is None else bool(result)
    return cond.evaluate(env)


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
