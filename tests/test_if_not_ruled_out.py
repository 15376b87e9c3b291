"""A warning sign that holds on another's doubt (``if_not_ruled_out``).

With new symptoms in both legs, not being sure about (or not answering) the bladder or saddle questions is
itself a reason to go now: ``both_legs_cauda_equina_not_ruled_out`` holds when its condition is true, none
of the signs it names holds, and one of them could not be ruled out; it then stands in for them. These tests
check the rule in the scorer, the rules check, the batch (drawn from fingerprints, and in columns), and the
questionnaire (a question still to come is not yet a doubt).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from stm_screen.core.answers import check_answers
from stm_screen.core.engine import Scorer
from stm_screen.errors import RulesError
from stm_screen.prompt.flow import Flow
from stm_screen.rules.loader import load_ruleset
from tests.test_engine import CALM, complete
from tests.test_open_replaced import batch_and_score_every_mix

RULESET = load_ruleset()
SCORER = Scorer(RULESET)
DOUBT = "both_legs_cauda_equina_not_ruled_out"


def _ev(**changes: Any) -> Any:
    return SCORER.evaluate(check_answers(RULESET, complete(RULESET, {**CALM, **changes})))


@pytest.mark.parametrize("doubt", ["saddle_numbness", "bladder_bowel_change"])
def test_both_legs_with_a_doubt_is_the_emergency_and_stands_in_for_the_open_sign(doubt: str) -> None:
    ev = _ev(both_legs_symptoms=True, **{doubt: "unsure"})
    assert ev.level == "emergency"
    assert DOUBT in ev.red_flags and "both_legs" not in ev.red_flags  # it replaces the 'today' sign
    assert not {"cauda_equina_saddle", "cauda_equina_bladder"} & set(ev.red_flags_unknown), ev.red_flags_unknown


def test_a_blank_answer_is_a_doubt_too() -> None:
    answers = complete(RULESET, {**CALM, "both_legs_symptoms": True})
    del answers["saddle_numbness"]
    ev = SCORER.evaluate(check_answers(RULESET, answers))
    assert DOUBT in ev.red_flags and ev.level == "emergency"


def test_no_doubt_no_sign() -> None:
    ev = _ev(both_legs_symptoms=True)  # bladder and saddle answered no
    assert ev.red_flags == ("both_legs",) and ev.level == "see_doctor"


def test_a_named_sign_that_holds_says_more_than_the_doubt() -> None:
    ev = _ev(both_legs_symptoms=True, saddle_numbness=True, bladder_bowel_change="unsure")
    assert "cauda_equina_saddle" in ev.red_flags and DOUBT not in ev.red_flags
    assert "cauda_equina_bladder" in ev.red_flags_unknown


def test_never_itself_left_open() -> None:
    """Not sure about both legs and about the saddle: the named signs say what is in doubt."""
    ev = _ev(both_legs_symptoms="unsure", saddle_numbness="unsure")
    assert DOUBT not in ev.red_flags and DOUBT not in ev.red_flags_unknown
    assert {"both_legs", "cauda_equina_saddle"} <= set(ev.red_flags_unknown)


def test_without_both_legs_the_doubt_stays_open() -> None:
    ev = _ev(saddle_numbness="unsure")
    assert ev.red_flags == () and ev.red_flags_unknown == ("cauda_equina_saddle",)


def test_conclude_brute_force_against_the_rule() -> None:
    """Every result of the three conditions (true, false, cannot be decided): the sign holds exactly when
    its own condition is true, no named sign holds and one is undecided."""
    at = {rf.id: j for j, rf in enumerate(RULESET.red_flags)}
    j, named = at[DOUBT], [at["cauda_equina_bladder"], at["cauda_equina_saddle"]]
    for own, a, b in itertools.product([True, False, None], repeat=3):
        hits: list[object] = [False] * len(RULESET.red_flags)
        hits[j], hits[named[0]], hits[named[1]] = own, a, b
        d = SCORER.conclude(hits, [False] * len(RULESET.criteria), {}, None, {})
        holds = own is True and True not in (a, b) and None in (a, b)
        assert (DOUBT in d.red_flags) == holds, (own, a, b)
        assert DOUBT not in d.red_flags_unknown
        if holds:
            assert not {"cauda_equina_bladder", "cauda_equina_saddle"} & set(d.red_flags_unknown)
            assert d.level == "emergency"


def test_batch_gives_what_score_gives_for_every_mix(tmp_path: Path) -> None:
    asked = ["both_legs_symptoms", "bladder_bowel_change", "saddle_numbness", "progressive_weakness"]
    seen_doubt = 0
    for row, record, ev in batch_and_score_every_mix(tmp_path, asked):
        assert sorted(filter(None, row["red_flags"].split(";"))) == sorted(ev.red_flags), (record, row)
        assert sorted(filter(None, row["unanswered_red_flags"].split(";"))) == sorted(ev.red_flags_unknown)
        assert row["level"] == (ev.level or ""), (record, row)
        seen_doubt += DOUBT in ev.red_flags
    assert seen_doubt > 0


# --- the rules check ---------------------------------------------------------------------------------------

MINI = """\
id: mini
version: "1"
title: Mini
disclaimer: A screening aid, not a diagnosis.
sources:
  - {{id: test, citation: Test source}}
sections:
  - {{id: safety, title: Safety, safety: true}}
questions:
  - {{id: legs, type: boolean, section: safety, text: Legs?}}
  - {{id: numb, type: boolean, section: safety, text: Numb?}}
red_flags:
  - {{id: numb_flag, when: numb, level: emergency, urgency: now, title: Numb, message: Go now., source: test}}
  - id: legs_flag
    when: legs
    level: emergency
    urgency: now
    if_not_ruled_out: [{named}]
    title: Legs
    message: Go now.
    source: test
criteria: []
levels:
  - {{id: low, title: Low, advice: Rest.}}
  - {{id: see_doctor, title: Doctor, advice: See a doctor.}}
  - {{id: emergency, title: Emergency, advice: Go now.}}
outcomes:
  - {{when: "not legs", level: low}}
  - {{when: "legs", level: low}}
"""


@pytest.mark.parametrize(
    ("named", "words"),
    [("numb_falg", "unknown red flag 'numb_falg'"), ("legs_flag", "must be plain red flags")],
)
def test_rules_check_refuses_a_bad_name_at_its_place(tmp_path: Path, named: str, words: str) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI.format(named=named), encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_ruleset(path)
    text = str(err.value)
    assert words in text and "if_not_ruled_out" in text
    line = MINI.format(named=named).splitlines().index(f"    if_not_ruled_out: [{named}]") + 1
    assert f"mini.yaml:{line}:" in text, text


def test_the_questionnaire_waits_for_the_question_still_to_come(tmp_path: Path) -> None:
    """Here 'legs' is asked before 'numb': a yes to legs is not yet an emergency (numb is still to come);
    'not sure' to numb then makes it one, said at once."""
    path = tmp_path / "mini.yaml"
    path.write_text(MINI.format(named="numb_flag"), encoding="utf-8")
    rs = load_ruleset(path)
    flow = Flow(rs)
    assert flow.current is not None and flow.current.id == "legs"
    assert flow.answer(True) == []
    assert flow.current is not None and flow.current.id == "numb"
    fired = flow.answer("unsure")
    assert [rf.id for rf in fired] == ["legs_flag"]


def test_the_questionnaire_says_it_after_the_doubt_in_the_bundled_order() -> None:
    flow = Flow(RULESET)
    said: list[str] = []
    while flow.current is not None:
        q = flow.current
        if q.id in ("both_legs_symptoms",):
            value: Any = True
        elif q.id == "saddle_numbness":
            value = "unsure"
        else:
            value = complete(RULESET, dict(CALM)).get(q.id, CALM.get(q.id))
        said += [rf.id for rf in flow.answer(value)]
        if said:
            break
    assert said == [DOUBT]
