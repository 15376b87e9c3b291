"""The exported Questionnaire asks a question exactly when stm-screen would (enableWhen or FHIRPath)."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.rules.loader import load_ruleset

DATA = Path(__file__).resolve().parent / "data"
GRID = {
    "pain_areas": [None, ["low_back"], ["knee"], ["low_back", "knee"], ["neck"]],
    "pain_intensity": [None, 2, 4, 8, 9],
    "back_radiates": [None, True, False],
    "duration": [None, 0.5, 3, 5],
    "sleep": [None, "well", "poorly", "not_at_all"],
}


def _items(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            out[item["linkId"]] = item
            walk(item.get("item", []))

    walk(resource["item"])
    return out


def _response(answers: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    from stm_screen.interop.fhir import answer_entries

    items = [
        {"linkId": qid, "answer": answer_entries(types[qid], value, f"s:{qid}")}
        for qid, value in answers.items()
        if value is not None
    ]
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [{"linkId": "g", "item": items}],
    }


def _value(answer: dict[str, Any]) -> Any:
    (key, value), *_ = ((k, v) for k, v in answer.items() if k.startswith(("value", "answer")))
    return value["code"] if key in ("valueCoding", "answerCoding") else value


def _enable_when(item: dict[str, Any], answers: dict[str, Any], types: dict[str, str]) -> bool:
    """The FHIR R4 enableWhen rules, for the operators the export uses."""
    results = []
    for cond in item["enableWhen"]:
        expected = next(_value({k: v}) for k, v in cond.items() if k.startswith("answer"))
        given = answers.get(cond["question"])
        got = (
            []
            if given is None
            else [
                _value(a) for a in _response({cond["question"]: given}, types)["item"][0]["item"][0]["answer"]
            ]
        )
        ops = {
            "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            ">": lambda a, b: a > b,
            "<": lambda a, b: a < b,
            ">=": lambda a, b: a >= b,
            "<=": lambda a, b: a <= b,
        }
        results.append(any(ops[cond["operator"]](g, expected) for g in got))
    return all(results) if item.get("enableBehavior", "all") == "all" else any(results)


def test_enable_when_and_fhirpath_agree_with_ask_if() -> None:
    import fhirpathpy  # the test extra
    from fhirpathpy.models import models

    ruleset = load_ruleset(DATA / "branching.yaml")
    types = {q.id: q.type for q in ruleset.questions}
    result = CliRunner().invoke(app, ["form", "export", "-f", "fhir", "-r", str(DATA / "branching.yaml")])
    items = _items(json.loads(result.stdout))
    combos = list(itertools.product(*GRID.values()))
    random.Random(5).shuffle(combos)
    checked = {"enableWhen": 0, "expression": 0}
    for combo in combos[:80]:
        answers = dict(zip(GRID, combo, strict=True))
        values = {
            k: (frozenset(v) if isinstance(v, list) else v) for k, v in answers.items() if v is not None
        }
        qr = _response(answers, types)
        for q in ruleset.questions:
            if q.ask_if is None:
                continue
            asked = q.ask_if.evaluate(values) is True
            item = items[q.id]
            if "enableWhen" in item:
                shown = _enable_when(item, answers, types)
                checked["enableWhen"] += 1
            else:
                (ext,) = [e for e in item["extension"] if e["url"].endswith("enableWhenExpression")]
                out = fhirpathpy.evaluate(
                    qr, ext["valueExpression"]["expression"], {"resource": qr}, models["r4"]
                )
                shown = out == [True]
                checked["expression"] += 1
            assert shown == asked, (q.id, q.ask_if.source, answers)
    assert checked["enableWhen"] > 100 and checked["expression"] > 100
