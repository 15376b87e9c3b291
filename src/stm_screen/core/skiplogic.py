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
returned is one with the fewest answers (the first of those found, the same on every run).

It walks the questions in order keeping only what later conditions still look at: the answers (or 'not
asked') of the questions named by a later ``ask_if`` or by the condition checked, each set of them once.
What is reached over a set of questions does not depend on the condition being checked, so it is
worked out once for all of them: a chain of 1,000 questions each asked after the one before costs about
1,000 steps, not 1,000 x 1,000. A condition naming many questions asked alike ('g and (a1 or ... or
a16)', each asked after g) is searched instead folding its own parts, as they become known, into what
is left of it (true, false, undecided, or the rest), so the answers only it looks at are not kept.

Both are bounded, and a bound reached is never taken as 'fine': where more than MAX_STATES different
sets of answers still matter at one point, or once the check of a rules file has done MAX_WORK work
(about a fifth of a second), a condition not yet decided is reported as not checked (``rules check``
says so: an error for a safety question or a warning sign, a warning otherwise).
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

# The work of the whole check of a rules file, at most, counted in sets of answers offered, conditions
# evaluated and steps from one question to the next (a unit is about a microsecond, at most about 2);
# beyond it, the conditions left are reported as not checked.
MAX_WORK = 200_000
FIRST_STATES = 256  # the shared search tries first with at most this many states at one point
WIDE = 6  # a condition naming this many questions that no other it names is asked after is folded first
_STEP = 12  # the work of one step from one question to the next besides its answers

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
        # the shared search's memo, first with at most FIRST_STATES states at one point, then ``limit``
        self._reach: dict[int, dict[Key, Reach]] = {}
        self._found: dict[str, tuple[dict[str, Any], str] | TooComplex | None] = {}
        self._order = {q.id: q.order for q in by_id.values()}
        self.budget = budget
        self.work = 0  # the work so far (see MAX_WORK)
        self.spent = False  # whether the budget ran out
        self.fold_only = False  # tests: always search as when the shared search had too many states

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

    def _down(
        self, front: frozenset[str], told: frozenset[tuple[str, int]]
    ) -> tuple[Question, frozenset[str], frozenset[tuple[str, int]]]:
        """One step back through the questions: the last one of ``front``, and the questions (with what
        tells their answers apart) that decide the rest once it is taken away: the others, and what its
        ask_if looks at."""
        q = self._last(front)
        below = front - {q.id}
        apart = {n: i for n, i in told if n != q.id}
        if q.ask_if is not None:
            looks = self._cond(q.ask_if)
            below |= looks.names
            for n in looks.sigs:
                apart[n] = self._merge(apart.get(n, 0), q.ask_if, n)
        return q, below, frozenset(apart.items())

    def reach(self, names: frozenset[str], sigs: frozenset[tuple[str, int]], limit: int | None = None) -> Reach:
        """Every set of answers (or 'not asked') to the questions ``names``, told apart as their ``sigs``
        say, that someone answering every question shown can give, each with the fewest answers that lead
        to it; None when more than ``limit`` of them matter at one point, or the work ran out."""
        limit = self.limit if limit is None else limit
        memo = self._reach.setdefault(limit, {})
        chain: list[Key] = []
        key: Key = (names, sigs)
        while key[0] and key not in memo:
            self.work += _STEP
            if self.work > self.budget:
                self.spent = True
                return None
            chain.append(key)
            key = self._down(*key)[1:]
        done: Reach = memo[key] if key[0] else ((), {(): _START})
        for front, told in reversed(chain):
            done = None if done is None else self._step(done, front, dict(told), limit)
            memo[front, told] = done
        return done if names else ((), {(): _START})

    def _step(self, below: tuple[tuple[str, ...], Layer], front: frozenset[str], told: Mapping[str, int], limit: int) -> Reach:
        """The answers to ``front`` from those to the questions before its last one (``below``)."""
        q = self._last(front)
        names, states = below
        values = [frozenset(v) if isinstance(v, list) else v for v in self.candidates(q, told.get(q.id, 0))]
        ask_if = q.ask_if
        asked = tuple(sorted(self._cond(ask_if).names)) if ask_if is not None else ()
        # the work: the step's own, then for each state its ask_if (more for a long one) and each set of
        # answers offered (more for a wide one)
        self.work += _STEP + len(names) // 8
        per_ask = 1 + len(asked) // 8 if ask_if is not None else 0
        per_offer = 1 + len(front) // 16
        order = (*(n for n in names if n in front), q.id)
        keep = [i for i, n in enumerate(names) if n in front]
        project = _getter(keep)
        if ask_if is not None:
            look = _getter([names.index(n) for n in asked])
            code, interp = ask_if.code, ask_if.interp
        out: Layer = {}
        for state, path in states.items():
            if self.work > self.budget:
                self.spent = True
                return None
            base = project(state)
            if ask_if is not None:
                self.work += per_ask
                seen = look(state)
                env = dict(zip(asked, seen, strict=True))
                if _HIDDEN in seen:
                    shown = interp(env)
                    shown = shown is not None and bool(shown)
                else:
                    shown = bool(eval(code, _NO_BUILTINS, env))  # noqa: S307 - a compiled, whitelisted condition
                if not shown:
                    self.work += per_offer
                    self._offer(out, (*base, _HIDDEN), path)
                    continue
            self.work += per_offer * len(values)
            for value in values:
                self._offer(out, (*base, value), (path[0] + 1, path, q.order, value))
            if len(out) > limit:
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
        if cond.source in self._found:
            return self._found[cond.source]
        result = self._example(cond, frozenset(names), sigs)
        self._found[cond.source] = result
        return result

    def _example(self, cond: Condition, names: frozenset[str], sigs: frozenset[tuple[str, int]]) -> tuple[dict[str, Any], str] | TooComplex | None:
        """:meth:`example`: the shared search with few states at one point; where it needs more, the
        search folding ``cond``; where that needs more than ``limit``, the shared search with ``limit``."""
        first = min(self.limit, FIRST_STATES)
        # questions it names that none of the others is asked after: many of them, fold first
        after = set().union(*(self._cond(a).names for n in names if (a := self.by_id[n].ask_if) is not None))
        wide = len(names - after) >= WIDE
        found = None if self.fold_only or wide else self.reach(names, sigs, first)
        if found is None:
            if self.spent:
                return TooComplex(self.limit, self.budget)
            folded = self._fold(cond, names, sigs)
            if folded is not None and not isinstance(folded, TooComplex):
                best: tuple[Path_, str] | None = folded
            elif folded is None:
                return None
            elif self.fold_only or (first == self.limit and not wide) or self.spent:
                return folded
            else:
                found = self.reach(names, sigs)
                if found is None:
                    return TooComplex(self.limit, self.budget)
                best = self._undecided(cond, *found)
        else:
            best = self._undecided(cond, *found)
        if best is None:
            return None
        path, culprit = best
        answers: list[tuple[str, Any]] = []
        while path[0]:
            answers.append((self._by_order[path[2]].id, path[3]))
            path = path[1]
        return dict(reversed(answers)), culprit

    def _undecided(self, cond: Condition, order: tuple[str, ...], states: Layer) -> tuple[Path_, str] | None:
        """The path with fewest answers to a state under which ``cond`` is undecided, and the question it
        names that was not asked first."""
        best: tuple[Path_, str] | None = None
        # fewest answers first (sorted keeps the first of equals first): the first undecided one is it
        for state, path in sorted(states.items(), key=lambda item: item[1][0]):
            self.work += 1 + len(order) // 8
            if _HIDDEN in state and _decide(cond, order, state) is None:
                # all the questions it names were shown and answered would decide it: one of them was not
                best = (path, next(n for n, v in zip(order, state, strict=True) if v is _HIDDEN))
                break
        return best

    def _parts(self, cond: Condition) -> tuple[Any, list[tuple[frozenset[str], Condition]]] | None:
        """``cond`` as a tree of and/or/not over its parts (("L", i) for part i), and each part's names and
        compiled condition; None when a part names something other than a question."""
        from stm_screen.core.conditions import ConditionError, compile_condition
        from stm_screen.core.ruleset import name_info

        tree = ast.parse(cond.source, mode="eval")
        parts: list[tuple[frozenset[str], Condition]] = []

        def walk(node: ast.expr) -> Any:
            if isinstance(node, ast.BoolOp):
                return ("A" if isinstance(node.op, ast.And) else "O", tuple(walk(v) for v in node.values))
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                return ("N", walk(node.operand))
            used = frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
            if not used <= self.by_id.keys():
                raise ConditionError("")
            text = ast.get_source_segment(cond.source, node) or ast.unparse(node)
            parts.append((used, compile_condition(text, {n: name_info(self.by_id[n]) for n in used})))
            return ("L", len(parts) - 1)

        try:
            return walk(tree.body), parts
        except ConditionError:  # pragma: no cover - a part of a condition that compiled
            return None

    def _fold(self, cond: Condition, names: frozenset[str], sigs: frozenset[tuple[str, int]]) -> tuple[Path_, str] | TooComplex | None:
        """:meth:`example`'s search where the shared one had too many states: from the point where the
        questions ``cond`` names start, the answers that only ``cond`` looks at are not kept but folded
        into what is left of ``cond`` once its parts over them are known (true, false, undecided, or the
        rest of it), so a wide ``cond`` over questions asked alike keeps few states."""
        too = TooComplex(self.limit, self.budget)
        found = self._parts(cond)
        if found is None:
            return too  # pragma: no cover
        tree, parts = found
        steps: list[tuple[Question, int]] = []  # the question taken, and its Sig there
        told: frozenset[tuple[str, int]] = sigs
        front = names
        while front & names:
            self.work += _STEP
            q, front_below, told_below = self._down(front, told)
            steps.append((q, dict(told).get(q.id, 0)))
            front, told = front_below, told_below
        base = self.reach(front, told) if front else ((), {(): _START})
        if base is None or self.work > self.budget:
            self.spent = self.spent or self.work > self.budget
            return too
        # each part's last question (its place in the questions), and the names asked about after each step
        last_of = [max(self._order[n] for n in used) if used else -1 for used, _c in parts]
        later: list[set[str]] = [set()]
        for q, _sig in steps:
            later.append(later[-1] | (self._cond(q.ask_if).names if q.ask_if is not None else set()))
        kept_names, states = base
        residual = _simplify(tree, {i: c.evaluate({}) for i, (used, c) in enumerate(parts) if not used})
        layer: dict[tuple[tuple[Any, ...], Any], Path_] = {(state, residual): path for state, path in states.items()}
        for j in range(len(steps) - 1, -1, -1):
            q, sig = steps[j]
            pending = {n for i, (used, _c) in enumerate(parts) if last_of[i] > q.order for n in used}
            done_parts = [(i, c) for i, (_used, c) in enumerate(parts) if last_of[i] == q.order]
            new_names = tuple(n for n in (*kept_names, q.id) if n in later[j] or n in pending)
            full_names = (*kept_names, q.id)
            keep = _getter([full_names.index(n) for n in new_names])
            values = [frozenset(v) if isinstance(v, list) else v for v in self.candidates(q, sig)]
            out: dict[tuple[tuple[Any, ...], Any], Path_] = {}
            self.work += _STEP + len(parts)
            per_offer = 2 + len(done_parts) + (len(parts) + len(kept_names)) // 4  # parts, residual, names
            for (state, res), path in layer.items():
                if self.work > self.budget:
                    self.spent = True
                    return too
                env = {n: v for n, v in zip(kept_names, state, strict=True) if v is not _HIDDEN}
                shown = q.ask_if is None or q.ask_if.evaluate(env) is True
                for value in values if shown else [_HIDDEN]:
                    self.work += per_offer
                    if value is not _HIDDEN:
                        env[q.id] = value
                    else:
                        env.pop(q.id, None)
                    new_res = _simplify(res, {i: c.evaluate(env) for i, c in done_parts}) if done_parts else res
                    key = (keep((*state, value)), new_res)
                    new_path = (path[0] + 1, path, q.order, value) if value is not _HIDDEN else path
                    old = out.get(key)
                    if old is None or new_path[0] < old[0]:
                        out[key] = new_path
                if len(out) > self.limit:
                    return too
            layer, kept_names = out, new_names
        best: Path_ | None = None
        for (_state, res), path in layer.items():
            if res is None and (best is None or path[0] < best[0]):
                best = path
        if best is None:
            return None
        shown_ids: set[str] = set()
        walk = best
        while walk[0]:
            shown_ids.add(self._by_order[walk[2]].id)
            walk = walk[1]
        culprit = min((n for n in names if n not in shown_ids), key=self._order.__getitem__)
        return best, culprit


def _simplify(node: Any, known: Mapping[int, Any]) -> Any:
    """What is left of a condition's tree (see :meth:`SkipSearch._parts`) once the parts ``known`` are
    (True, False, or None: undecided), in three-valued logic: True, False, None, or a smaller tree."""
    if node is True or node is False or node is None:
        return node
    tag = node[0]
    if tag == "L":
        return known.get(node[1], node)
    if tag == "N":
        inner = _simplify(node[1], known)
        return (not inner) if isinstance(inner, bool) else None if inner is None else ("N", inner)
    stop = tag == "O"  # the value that decides it: True for or, False for and
    rest: list[Any] = []
    unknown = False
    for child in node[1]:
        value = _simplify(child, known)
        if value is stop:
            return stop
        if value is None:
            unknown = True
        elif value is not (not stop):
            rest.append(value)
    if not rest:
        return None if unknown else (not stop)
    if unknown:
        rest.append(None)
    return rest[0] if len(rest) == 1 else (tag, tuple(rest))


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
