"""The exported forms ask a question exactly when stm-screen would (REDCap branching logic, FHIR enableWhen
or FHIRPath), on a grid of answers to the branching demo; see test_form_logic for random answer sets to
pt-screen 2.0 and to a ruleset with 'not sure' parents, ``*`` and ``/``."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest

from stm_screen.core.engine import Scorer
from stm_screen.rules.loader import load_ruleset
from tests.test_form_logic import (
    UNSURE_RULES,
    enable_when_holds,
    export,
    fhir_enabled,
    fhirpath_holds,
    form_items,
    redcap_fields,
    redcap_record,
    redcap_shows,
    response_for,
)

DATA = Path(__file__).resolve().parent / "data"
BRANCHING = str(DATA / "branching.yaml")
GRID = {
    "pain_areas": [None, ["low_back"], ["knee"], ["low_back", "knee"], ["neck"]],
    "pain_intensity": [None, 2, 4, 8, 9],
    "back_radiates": [None, True, False],
    "duration": [None, 0.5, 3, 5],
    "sleep": [None, "well", "poorly", "not_at_all"],
}


def _values(answers: dict[str, Any]) -> dict[str, Any]:
    return {k: (frozenset(v) if isinstance(v, list) else v) for k, v in answers.items() if v is not None}


def test_redcap_branching_logic_agrees_with_ask_if() -> None:
    """Blank fields included: the exported logic shows a question exactly when stm-screen asks it
    (except 'not in' a multiple choice, which REDCap cannot tell from a blank record: see conditions.py)."""
    ruleset = load_ruleset(BRANCHING)
    scorer = Scorer(ruleset)
    fields = redcap_fields(export("redcap", BRANCHING))
    checked = 0
    for combo in itertools.product(*GRID.values()):
        answers = dict(zip(GRID, combo, strict=True))
        record = redcap_record(fields, answers, ruleset)
        for q in ruleset.questions:
            if q.ask_if is None or q.id == "no_knee":
                continue
            logic = fields[q.id]["Branching Logic (Show field only if...)"]
            # answers to questions the skip rule does not ask (stale ones) are in the grid too
            asked = scorer.asked(q, _values(answers))
            assert redcap_shows(logic, fields, record) == asked, (q.id, logic, answers)
            checked += 1
    assert checked > 1000


def test_enable_when_and_fhirpath_agree_with_ask_if() -> None:
    ruleset = load_ruleset(BRANCHING)
    scorer = Scorer(ruleset)
    items = form_items(json.loads(export("fhir", BRANCHING)))
    questionnaire = json.loads(export("fhir", BRANCHING))
    combos = list(itertools.product(*GRID.values()))
    random.Random(5).shuffle(combos)
    checked = {"enableWhen": 0, "expression": 0}
    for combo in combos[:80]:
        answers = dict(zip(GRID, combo, strict=True))
        qr = response_for(questionnaire, answers)
        for q in ruleset.questions:
            if q.ask_if is None:
                continue
            asked = scorer.asked(q, _values(answers))
            item = items[q.id]
            if "enableWhen" in item:
                shown = enable_when_holds(item, qr, items)
                checked["enableWhen"] += 1
            else:
                shown = fhirpath_holds(item, qr)
                checked["expression"] += 1
            assert shown == fhir_enabled(item, qr, items)
            assert shown == asked, (q.id, q.ask_if.source, answers)
    assert checked["enableWhen"] > 100 and checked["expression"] > 100


@pytest.mark.parametrize("which", ["bundled", "branching", "unsure"])
def test_enable_when_answers_have_the_type_of_the_question_they_name(which: str, tmp_path: Path) -> None:
    """A yes/no question that offers 'not sure' is a choice: an enableWhen on it compares an answerCoding
    of one of its own options (yes or no), never answerBoolean; every other entry has its item's type."""
    rules = {"bundled": None, "branching": BRANCHING, "unsure": str(tmp_path / "u.yaml")}[which]
    if which == "unsure":
        (tmp_path / "u.yaml").write_text(UNSURE_RULES, encoding="utf-8")
    items = form_items(json.loads(export("fhir", rules)))
    answer_key = {
        "boolean": "answerBoolean",
        "integer": "answerInteger",
        "decimal": "answerDecimal",
        "choice": "answerCoding",
    }
    entries = 0
    coded = 0
    for item in items.values():
        for cond in item.get("enableWhen", []):
            parent = items[cond["question"]]
            (key,) = [k for k in cond if k.startswith("answer")]
            entries += 1
            if cond["operator"] == "exists":
                assert key == "answerBoolean"
                continue
            assert key == answer_key[parent["type"]], (item["linkId"], cond, parent["type"])
            if key == "answerCoding":
                options = [o["valueCoding"] for o in parent["answerOption"]]
                assert {"system": cond[key]["system"], "code": cond[key]["code"]} in [
                    {"system": o["system"], "code": o["code"]} for o in options
                ], (item["linkId"], cond)
                coded += options[-1]["code"] == "unsure"
    assert entries > 0
    if which != "branching":
        assert coded > 0  # some enableWhen names a question that offers 'not sure'
