"""A warning sign that could not be checked, beside the sign that replaces it (``replaces``).

When the replacing sign could not be checked either and, with the answers given, the replaced one could only
be true where the replacing one is, the replaced one is not listed: its advice is the replacing sign's, and
later (symptoms in both legs with "not sure" about weakness listed "within a few days" for the weakness after
the emergency that the same weakness would be). ``core.conditions.Implies`` tells this by trying the
unanswered yes/no and choice questions with each of their answers; these tests check it against the
conditions evaluated on every completion of the answers, and that the batch scorer's outcomes (drawn from a
record's fingerprint) agree with the per-record scorer's.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from stm_screen.core.answers import check_answers
from stm_screen.core.conditions import Implies, NameInfo, compile_condition
from stm_screen.core.engine import Scorer
from stm_screen.core.ruleset import covers
from stm_screen.rules.loader import load_ruleset
from tests.test_engine import CALM, SAFETY_BOOLS, complete

RULESET = load_ruleset()
SCORER = Scorer(RULESET)
FLAGS = {rf.id: rf for rf in RULESET.red_flags}


def _open(**changes: Any) -> tuple[str, ...]:
    return SCORER.evaluate(check_answers(RULESET, complete(RULESET, {**CALM, **changes}))).red_flags_unknown


def test_both_legs_with_weakness_not_sure_lists_the_emergency_not_the_days_sign() -> None:
    found = _open(both_legs_symptoms=True, progressive_weakness="unsure")
    assert "both_legs_weakness" in found and "weakness_getting_worse" not in found, found
    assert "weakness_getting_worse_fast" in found  # not replaced by both_legs_weakness: still listed


def test_both_not_sure_keeps_every_sign_the_weakness_alone_could_make() -> None:
    """Unsure about both legs too: the weakness could be in one leg only, so its own sign stays."""
    found = _open(both_legs_symptoms="unsure", progressive_weakness="unsure")
    assert {"both_legs", "both_legs_weakness", "weakness_getting_worse"} <= set(found), found


def test_one_leg_weakness_not_sure_keeps_its_own_sign() -> None:
    found = _open(both_legs_symptoms=False, progressive_weakness="unsure")
    assert "weakness_getting_worse" in found and "both_legs_weakness" not in found, found


def test_a_hot_joint_with_fever_not_sure_lists_the_emergency_only() -> None:
    found = _open(hot_swollen_joint=True, fever_or_unwell="unsure")
    assert "hot_joint_with_fever" in found and "possible_infection" not in found, found


def test_weakness_yes_with_both_legs_not_sure_drops_the_today_sign() -> None:
    """Both legs yes would make the emergency (the weakness is known): 'today' for both legs is covered."""
    found = _open(both_legs_symptoms="unsure", progressive_weakness=True, weakness_fast=False)
    assert "both_legs_weakness" in found and "both_legs" not in found, found


# --- Implies against every completion ---------------------------------------------------------------

NAMES = {
    "a": NameInfo("bool"),
    "b": NameInfo("bool"),
    "c": NameInfo("bool"),
    "k": NameInfo("choice", ("x", "y", "z")),
    "n": NameInfo("num"),
}
ATOMS = ["a", "b", "c", "not a", "k == 'x'", "k != 'y'", "n >= 3"]


@st.composite
def conditions(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=3))
    ops = [draw(st.sampled_from([" and ", " or "])) for _ in parts[1:]]
    return parts[0] + "".join(op + p for op, p in zip(ops, parts[1:], strict=True))


DOMAINS: dict[str, tuple[object, ...]] = {
    "a": (True, False), "b": (True, False), "c": (True, False), "k": ("x", "y", "z"), "n": (0, 3, 7),
}


@settings(max_examples=300, deadline=None)
@given(
    when=conditions(),
    then=conditions(),
    known=st.dictionaries(st.sampled_from(sorted(DOMAINS)), st.integers(0, 2)),
)
def test_implies_is_true_or_false_only_when_every_completion_agrees(
    when: str, then: str, known: dict[str, int]
) -> None:
    first, second = compile_condition(when, NAMES), compile_condition(then, NAMES)
    test = Implies(first, second, NAMES)
    values = {k: DOMAINS[k][i % len(DOMAINS[k])] for k, i in known.items()}
    missing = [k for k in sorted(test.names) if k not in values]
    results = set()
    for combo in itertools.product(*(DOMAINS[k] for k in missing)):
        env = {**values, **dict(zip(missing, combo, strict=True))}
        results.add(first.evaluate(env) is False or second.evaluate(env) is True)
    got = test.evaluate(values)
    if got is not None:
        assert results == {got}, (when, then, values, got)
    if "n" not in missing:  # every unanswered question could be tried: as decisive as the completions
        assert got == (results.pop() if len(results) == 1 else None), (when, then, values, got)


def test_implies_sees_what_three_valued_logic_cannot() -> None:
    first = compile_condition("b", NAMES)
    second = compile_condition("a and b", NAMES)
    assert Implies(first, second, NAMES).evaluate({"a": True}) is True
    assert Implies(first, second, NAMES).evaluate({"a": False}) is None  # b alone may hold
    assert Implies(first, second, NAMES).evaluate({}) is None


# --- the bundled ruleset: a dropped sign is always covered --------------------------------------------

SAFETY = sorted(SAFETY_BOOLS)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(SAFETY), st.sampled_from([True, False, "unsure", None]), min_size=1))
def test_a_sign_left_out_would_only_hold_where_a_listed_sooner_one_does(changes: dict[str, Any]) -> None:
    """Against the same scorer without the covering step: every sign it lists that is now left out has a
    listed open sign replacing it, and on every completion of the unanswered yes/no safety questions where
    the left-out sign holds, that sign holds too."""
    answers = complete(RULESET, {**CALM, **{k: v for k, v in changes.items() if v is not None}})
    for k, v in changes.items():
        if v is None:
            answers.pop(k, None)
    checked = check_answers(RULESET, answers)
    ev = SCORER.evaluate(checked)
    plain = Scorer(RULESET)
    plain.covers = ()
    before = plain.evaluate(checked)
    assert ev.level == before.level and ev.red_flags == before.red_flags
    assert set(ev.red_flags_unknown) <= set(before.red_flags_unknown)
    known = SCORER.known(ev.values)
    gone = set(before.red_flags_unknown) - set(ev.red_flags_unknown)
    for old in gone:
        replacers = [new for new, o, _ in SCORER.covers if o == old and new in ev.red_flags_unknown]
        assert replacers, (old, changes)
        names = FLAGS[old].when.names | {n for r in replacers for n in FLAGS[r].when.names}
        missing = sorted(n for n in names if n not in known)
        assert all(n in SAFETY_BOOLS for n in missing), missing
        for combo in itertools.product((True, False), repeat=len(missing)):
            env = {**known, **dict(zip(missing, combo, strict=True))}
            if FLAGS[old].when.evaluate(env):
                assert any(FLAGS[r].when.evaluate(env) for r in replacers), (old, replacers, env)


def test_covers_are_the_rulesets_replaces() -> None:
    pairs = {(new, old) for new, old, _ in covers(RULESET)}
    assert pairs == {(rf.id, old) for rf in RULESET.red_flags for old in rf.replaces}
    assert ("both_legs_weakness", "weakness_getting_worse") in pairs


def batch_and_score_every_mix(tmp_path: Path, asked: list[str]) -> list[tuple[dict[str, str], dict[str, Any], Any]]:
    """Every combination of yes, no, 'not sure' and blank over ``asked`` (the rest calm), three times, as a
    batch file: (output row, record, the per-record scorer's evaluation) for each record."""
    from typer.testing import CliRunner

    from stm_screen.cli.app import app

    rows = []
    for i, combo in enumerate(itertools.product(["yes", "no", "unsure", ""], repeat=len(asked))):
        base = {k: ("yes" if v is True else "no" if v is False else v) for k, v in CALM.items()}
        base.update(dict(zip(asked, combo, strict=True)))
        base["id"] = f"R{i}"
        rows.append(base)
    rows = rows * 3  # records seen again are concluded from their fingerprint
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", str(path), "--allow-missing"])
    assert result.exit_code in (0, 1), result.output
    out = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(out) == len(rows)
    scored = []
    for row, record in zip(out, rows, strict=True):
        answers = {k: v for k, v in record.items() if k != "id" and v != ""}
        scored.append((row, record, SCORER.evaluate(check_answers(RULESET, answers))))
    return scored


def test_batch_gives_what_score_gives_for_every_mix_of_not_sure(tmp_path: Path) -> None:
    """Every combination of yes, no, 'not sure' and blank over the questions of replaced signs, as a batch
    file: each row's open signs are those of the per-record scorer (the batch draws many from the record's
    fingerprint, not from the scorer)."""
    asked = ["both_legs_symptoms", "progressive_weakness", "hot_swollen_joint", "fever_or_unwell"]
    for row, record, ev in batch_and_score_every_mix(tmp_path, asked):
        assert sorted(filter(None, row["unanswered_red_flags"].split(";"))) == sorted(ev.red_flags_unknown), (
            record,
            row,
        )
        assert row["level"] == (ev.level or ""), (record, row)
