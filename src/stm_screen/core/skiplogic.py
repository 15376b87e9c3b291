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
sets of ticked choices, numbers on both sides of each number written in the conditions), and the first
answer set found is returned as an example.
"""

from __future__ import annotations

import ast
import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stm_screen.core.conditions import Condition
    from stm_screen.core.ruleset import Question

MAX_TRIALS = 20_000  # answer sets tried exactly by rules check; beyond that, a fixed random sample


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


def _numbers(conds: Sequence[Condition]) -> list[float]:
    found: set[float] = {0.0}
    for cond in conds:
        for node in ast.walk(ast.parse(cond.source, mode="eval")):
            if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
                if not isinstance(node.value, bool):
                    v = float(node.value)
                    found |= {v - 1, v - 0.5, v, v + 0.5, v + 1, v * 12, v / 12, -v}
    return sorted(found)


def _candidates(q: Question, numbers: list[float]) -> list[Any]:
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


def _trials(choices: list[list[Any]], limit: int) -> Iterator[tuple[Any, ...]]:
    total = 1
    for c in choices:
        total *= len(c)
    if total <= limit:
        yield from itertools.product(*choices)
        return
    rng = random.Random(0)  # the same sample on every run: a check must not flicker
    for _ in range(limit):
        yield tuple(rng.choice(c) for c in choices)


def _leaves(source: str) -> list[ast.expr]:
    out: list[ast.expr] = []

    def walk(node: ast.expr) -> None:
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                walk(v)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            walk(node.operand)
        else:
            out.append(node)

    walk(ast.parse(source, mode="eval").body)
    return out


def _classes(conds: Sequence[Condition], deps: list[Question], numbers: list[float]) -> list[list[Any]]:
    """Candidate answers per question, one per class of answers that every comparison over that question
    alone finds the same (a question compared together with another keeps all its candidates)."""
    from stm_screen.core.conditions import ConditionError, NameInfo, compile_condition

    ids = {d.id for d in deps}
    single: dict[str, list[Condition]] = {}
    joint: set[str] = set()
    for cond in conds:
        for leaf in _leaves(cond.source):
            names = {n.id for n in ast.walk(leaf) if isinstance(n, ast.Name)} & ids
            if len(names) > 1:
                joint |= names
            elif names:
                (name,) = names
                d = next(x for x in deps if x.id == name)
                kind = {"boolean": "bool", "integer": "num", "number": "num"}.get(d.type)
                info = NameInfo(kind or ("choice" if d.type == "choice" else "multi"), d.choice_ids)  # type: ignore[arg-type]
                try:
                    single.setdefault(name, []).append(compile_condition(ast.unparse(leaf), {name: info}))
                except ConditionError:  # pragma: no cover - a part of a condition that compiled
                    joint.add(name)
    out: list[list[Any]] = []
    for d in deps:
        values = _candidates(d, numbers)
        if d.id not in joint:
            seen: dict[tuple[bool | None, ...], Any] = {}
            for v in values:
                given = {d.id: frozenset(v) if isinstance(v, list) else v}
                seen.setdefault(tuple(a.evaluate(given) for a in single.get(d.id, ())), v)
            values = list(seen.values())
        out.append(values)
    return out


def undecided_example(
    cond: Condition | None, by_id: Mapping[str, Question], limit: int = MAX_TRIALS
) -> tuple[dict[str, Any], str] | None:
    """Answers to every shown question (none blank, none 'not sure') under which a condition (an
    ``ask_if``, a warning sign's ``when``) cannot be decided, with a question it looks at that was not
    shown; None when there are none. At most ``limit`` answer sets are tried (a fixed sample beyond)."""
    if cond is None:
        return None
    deps = depends_on(cond, by_id)
    if not any(d.ask_if is not None for d in deps):
        return None  # every question it looks at is always shown, and so answered
    conds = [cond, *(d.ask_if for d in deps if d.ask_if is not None)]
    choices = _classes(conds, deps, _numbers(conds))
    for combo in _trials(choices, limit):
        live: dict[str, Any] = {}
        hidden: list[str] = []
        for d, value in zip(deps, combo, strict=True):
            if d.ask_if is not None and d.ask_if.evaluate(live) is not True:
                hidden.append(d.id)
                continue
            live[d.id] = frozenset(value) if isinstance(value, list) else value
        if not hidden:
            continue
        if cond.evaluate(live) is None:
            # all the questions it names were shown and answered would decide it: one of them was not
            culprit = next(h for h in hidden if h in cond.names)
            return live, culprit
    return None


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
