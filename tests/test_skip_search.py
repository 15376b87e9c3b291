"""The skip-logic check's search (``core.skiplogic``) on the shapes that made it slow (issue 10): long chains
of questions each asked after the one before, wide ``ask_if``s, warning signs over deeply gated questions.
It must give the right answer on them (timings are for ``benchmarks/bench_limits.py``, never asserted
here), and agree with trying every possible answer on small random rules."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.core.engine import Scorer
from stm_screen.core.ruleset import Question, Ruleset, check_skip_logic, compile_ruleset
from stm_screen.core.skiplogic import SkipSearch, TooComplex, depends_on

ROOT = Path(__file__).resolve().parent
MINIMAL = yaml.safe_load((ROOT / "data" / "minimal.yaml").read_text(encoding="utf-8"))
runner = CliRunner()


def rules(questions: list[dict[str, Any]], red_flags: list[dict[str, Any]] | None = None) -> Ruleset:
    data = dict(MINIMAL)
    data["questions"] = [*MINIMAL["questions"], *questions]
    data["red_flags"] = [*MINIMAL["red_flags"], *(red_flags or [])]
    data["examples"] = []
    return compile_ruleset(data)


def chain(n: int, ask_if: Any = None) -> list[dict[str, Any]]:
    """``q0`` to ``q{n-1}``, each asked if ``ask_if(i)`` (by default: the one before was answered yes)."""
    after = ask_if or (lambda i: f"q{i - 1}")
    return [
        {"id": "q0", "type": "boolean", "text": "Q0?"},
        *({"id": f"q{i}", "type": "boolean", "text": f"Q{i}?", "ask_if": after(i)} for i in range(1, n)),
    ]


def test_a_400_long_chain_loads_and_skips_the_rest_after_a_no() -> None:
    ruleset = rules(chain(400))
    scorer = Scorer(ruleset)
    yes = {f"q{i}": True for i in range(400)}
    assert not scorer.visible(yes)[1] & set(yes)  # every one asked
    stop = {**yes, "q150": False}
    skipped = scorer.visible(stop)[1]
    assert {f"q{i}" for i in range(151, 400)} <= skipped and not {f"q{i}" for i in range(151)} & skipped
    errors, warnings = check_skip_logic(ruleset)
    # q2 on: the one before can be not asked (after a 'no' further up): a warning each, the shortest example
    assert errors == [] and len(warnings) == 398
    last = [w for w in warnings if "'q399'.ask_if" in w.message]
    assert len(last) == 1 and "with q0 = no, 'q398' is not asked" in last[0].message


def test_a_chain_that_names_what_each_question_follows_is_fine() -> None:
    """``q{i}`` asked if every question before it (up to 60 back) was answered yes: always decided."""
    ruleset = rules(chain(300, lambda i: " and ".join(f"q{j}" for j in range(max(0, i - 60), i)) if i <= 60 else None))
    assert check_skip_logic(ruleset) == ([], [])
    # beyond 60 it forgets where the chain started: each is undecided once q0 says no
    ruleset = rules(chain(150, lambda i: " and ".join(f"q{j}" for j in range(max(0, i - 60), i))))
    errors, warnings = check_skip_logic(ruleset)
    assert errors == [] and len(warnings) == 150 - 61  # q61 to q149
    assert all("with q0 = no" in w.message for w in warnings)


def test_a_warning_sign_over_the_end_of_a_long_chain() -> None:
    questions = chain(400, lambda i: f"q{i - 1}")
    flags = [
        {"id": "deep", "when": "q398 and q399", "level": "see_doctor", "title": "T", "message": "M", "source": "test"},
        {"id": "fine", "when": "fever and months > 3", "level": "see_doctor", "title": "T", "message": "M", "source": "test"},
    ]
    errors, _warnings = check_skip_logic(rules(questions, flags))
    # the warning sign, and the two questions it looks at (safety questions now, hidden undecided)
    assert [e.message.split(":")[0] for e in errors] == [
        "red_flags[2] 'deep'.when", "questions[404] 'q398'.ask_if", "questions[405] 'q399'.ask_if"
    ]
    assert "with q0 = no, 'q398' is not asked" in errors[0].message


def test_a_wide_ask_if_over_gated_questions() -> None:
    """t asked if g and any of 24 questions asked after g: always decided (2^24 answer sets, all alike)."""
    questions = [{"id": "g", "type": "boolean", "text": "G?"}]
    questions += [{"id": f"a{i}", "type": "boolean", "text": "A?", "ask_if": "g"} for i in range(12)]
    questions += [
        {"id": f"t{j}", "type": "boolean", "text": "T?", "ask_if": "g and (" + " or ".join(f"a{i}" for i in range(12)) + ")"}
        for j in range(30)
    ]
    assert check_skip_logic(rules(questions)) == ([], [])


def test_too_many_answer_sets_at_once_is_reported_never_passed() -> None:
    """Over the cap the search stops; the condition is reported as not checked (an error for a safety
    question), whatever it would have found."""
    questions = [{"id": "g", "type": "boolean", "text": "G?"}]
    questions += [{"id": f"a{i}", "type": "boolean", "text": "A?", "ask_if": "g"} for i in range(8)]
    questions.append(
        {"id": "t", "type": "boolean", "text": "T?", "ask_if": " and ".join(f"(a{i} == a{i + 1})" for i in range(7))}
    )
    questions.append({"id": "s", "type": "boolean", "section": "safety", "text": "S?", "ask_if": "t"})
    ruleset = rules(questions)
    errors, warnings = check_skip_logic(ruleset, limit=2)
    assert [e.message.split(":")[0] for e in errors] == ["questions[16] 's'.ask_if"]
    assert "not checked" in errors[0].message and "at most 2 sets of answers at one point" in errors[0].message
    assert [w.message.split(":")[0] for w in warnings] == ["questions[15] 't'.ask_if"]
    assert "not checked" in warnings[0].message
    # 256 sets of answers to a0..a7 matter to s; t's own parts fold into few (each pair, once known)
    errors, warnings = check_skip_logic(ruleset, limit=16)
    assert "not checked" in errors[0].message
    assert "with g = no, 'a0' is not asked" in warnings[0].message
    # with room enough both are found
    errors, warnings = check_skip_logic(ruleset)
    assert "with g = no, 't' is not asked" in errors[0].message
    assert "with g = no, 'a0' is not asked" in warnings[0].message


def test_a_warning_sign_over_many_questions_asked_alike() -> None:
    """'g and (any of 16 questions asked after g)': 65,536 sets of answers, more than the shared search
    keeps; folded, the sign is found always decided (no error), and a sign that is not, is found."""
    questions = [{"id": "g", "type": "boolean", "text": "G?"}]
    questions += [{"id": f"a{i}", "type": "boolean", "text": "A?", "ask_if": "g"} for i in range(16)]
    anyof = " or ".join(f"a{i}" for i in range(16))
    flags = [
        {"id": "ok", "when": f"g and ({anyof})", "level": "see_doctor", "title": "T", "message": "M", "source": "test"},
        {"id": "bad", "when": f"fever or {anyof}", "level": "see_doctor", "title": "T", "message": "M", "source": "test"},
    ]
    errors, warnings = check_skip_logic(rules(questions, flags))
    assert [e.message.split(":")[0] for e in errors] == ["red_flags[3] 'bad'.when"]
    assert "with fever = no, g = no, 'a0' is not asked" in errors[0].message
    assert warnings == []


def test_rules_check_on_a_long_chain_file(tmp_path: Path) -> None:
    data = dict(MINIMAL)
    data["questions"] = [*MINIMAL["questions"], *chain(400, lambda i: f"q{i - 1} and q{i - 2}" if i > 1 else "q0")]
    path = tmp_path / "chain.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("warning:") == 397


# --- against trying every answer --------------------------------------------------------------------


def _random_rules(rng: random.Random) -> list[dict[str, Any]]:
    kinds = ["boolean", "choice", "integer", "multi_choice"]
    questions: list[dict[str, Any]] = []
    for i in range(rng.randint(3, 7)):
        kind = rng.choice(kinds)
        q: dict[str, Any] = {"id": f"x{i}", "type": kind, "text": "X?"}
        if kind in ("choice", "multi_choice"):
            q["choices"] = [{"id": c, "label": c} for c in ("a", "b", "c")]
        if kind == "integer":
            q["min"], q["max"] = 0, 4
        if questions and rng.random() < 0.8:
            q["ask_if"] = _random_cond(rng, questions)
        questions.append(q)
    return questions


def _leaf(rng: random.Random, q: dict[str, Any], others: list[dict[str, Any]]) -> str:
    n, kind = q["id"], q["type"]
    if kind == "boolean":
        return rng.choice([n, f"not {n}"])
    if kind == "choice":
        same = [o for o in others if o["type"] == "choice" and o["id"] != n]
        if same and rng.random() < 0.3:
            return f"{n} == {rng.choice(same)['id']}"
        return rng.choice([f"{n} == 'a'", f"{n} != 'b'", f"{n} in ['a', 'c']"])
    if kind == "integer":
        nums = [o for o in others if o["type"] == "integer" and o["id"] != n]
        if nums and rng.random() < 0.3:
            return f"{n} + {rng.choice(nums)['id']} >= {rng.randint(2, 6)}"
        return f"{n} {rng.choice(['>', '>=', '<', '=='])} {rng.randint(0, 4)}"
    return rng.choice([f"'a' in {n}", f"'b' not in {n}"])


def _random_cond(rng: random.Random, earlier: list[dict[str, Any]]) -> str:
    parts = [_leaf(rng, rng.choice(earlier), earlier) for _ in range(rng.randint(1, 3))]
    text = parts[0]
    for p in parts[1:]:
        text = f"({text}) {rng.choice(['and', 'or'])} {p}"
    return text


def _all_answers(q: Question) -> list[Any]:
    if q.type == "boolean":
        return [True, False]
    if q.type == "choice":
        return list(q.choice_ids)
    if q.type == "multi_choice":
        ids = list(q.choice_ids)
        return [frozenset(c) for n in range(len(ids) + 1) for c in itertools.combinations(ids, n)]
    return list(range(int(q.min or 0), int(q.max or 0) + 1))


def _shown(deps: list[Question], answers: dict[str, Any]) -> dict[str, Any] | None:
    """The answers of the questions shown, if ``answers`` gives exactly those (else None)."""
    live: dict[str, Any] = {}
    for d in deps:
        if d.ask_if is None or d.ask_if.evaluate(live) is True:
            if d.id not in answers:
                return None
            live[d.id] = answers[d.id]
        elif d.id in answers:
            return None
    return live


@pytest.mark.parametrize("fold", [False, True], ids=["shared", "folded"])
@pytest.mark.parametrize("seed", range(40))
def test_the_search_agrees_with_trying_every_answer(seed: int, fold: bool) -> None:
    """Both searches: the one shared between conditions, and the one that folds the condition checked
    into what is left of it (used where the first has too many states)."""
    rng = random.Random(seed)
    for _ in range(10):
        ruleset = rules(_random_rules(rng))
        qs = [q for q in ruleset.questions if q.id.startswith("x")]
        search = SkipSearch(ruleset.by_id)
        search.fold_only = fold
        for q in qs:
            if q.ask_if is None:
                continue
            deps = depends_on(q.ask_if, ruleset.by_id)
            undecided = False
            for combo in itertools.product(*(_all_answers(d) for d in deps)):
                live: dict[str, Any] = {}
                for d, value in zip(deps, combo, strict=True):
                    if d.ask_if is None or d.ask_if.evaluate(live) is True:
                        live[d.id] = value
                if q.ask_if.evaluate(live) is None:
                    undecided = True
                    break
            found = search.example(q.ask_if)
            assert not isinstance(found, TooComplex)
            assert (found is not None) == undecided, (q.id, q.ask_if.source, found)
            if found is not None:
                answers, hidden = found
                assert _shown(deps, answers) == answers  # exactly the questions shown are answered
                assert q.ask_if.evaluate(answers) is None and hidden in q.ask_if.names and hidden not in answers
