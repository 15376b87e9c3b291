"""``batch --format fhir``: one FHIR R4 Bundle with a QuestionnaireResponse and a RiskAssessment per record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from stm_screen.cli.app import app
from tests.test_form_roundtrip import examples, redcap_raw_export, response_for

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def validate(doc: dict[str, Any]) -> list[dict[str, Any]]:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.operationoutcome import OperationOutcome
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
    from fhir.resources.R4B.riskassessment import RiskAssessment

    Bundle.model_validate(doc)
    models = {
        "QuestionnaireResponse": QuestionnaireResponse,
        "RiskAssessment": RiskAssessment,
        "OperationOutcome": OperationOutcome,
    }
    resources = [e["resource"] for e in doc["entry"]]
    for resource in resources:
        models[resource["resourceType"]].model_validate(resource)
    return resources


def answers_of(qr: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            for a in item.get("answer", []):
                (key, value), *_ = a.items()
                value = value["code"] if key == "valueCoding" else value
                if item.get("linkId") in found or key == "valueCoding" and item["linkId"] == "pain_areas":
                    found.setdefault(item["linkId"], [])
                    found[item["linkId"]].append(value)
                else:
                    found[item["linkId"]] = value
            walk(item.get("item", []))

    walk(qr.get("item", []))
    return found


def test_batch_fhir_from_a_redcap_export(ruleset: Any, tmp_path: Path) -> None:
    records = examples(ruleset)
    bad = {**records[0], "pain_intensity": 11}
    export = tmp_path / "redcap.csv"
    export.write_text(
        redcap_raw_export(run("form", "export", "-f", "redcap").stdout, [*records, bad]), encoding="utf-8"
    )
    jsonl = run("batch", str(export), "--preset", "redcap", "--format", "jsonl")
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    out = tmp_path / "bundle.json"
    result = run("batch", str(export), "--preset", "redcap", "--format", "fhir", "--output", str(out))
    assert result.exit_code == jsonl.exit_code == 1, result.output  # one bad record
    resources = validate(json.loads(out.read_text(encoding="utf-8")))
    kinds = [r["resourceType"] for r in resources]
    assert kinds == ["QuestionnaireResponse", "RiskAssessment"] * len(records) + ["OperationOutcome"]
    risks = resources[1 : 2 * len(records) : 2]
    responses = resources[0 : 2 * len(records) : 2]
    from stm_screen.core.answers import check_answers
    from stm_screen.core.engine import Scorer
    from stm_screen.interop.conditions import offers_unsure

    scorer = Scorer(ruleset)
    for row, risk, response, answers, example in zip(
        rows, risks, responses, records, ruleset.examples, strict=False
    ):
        ev = scorer.evaluate(check_answers(ruleset, {k: v for k, v in answers.items() if v is not None}))
        assert row["status"] == ("ok" if ev.complete else "incomplete"), (example.name, row)
        assert row["level"] == example.level, (example.name, row)  # 'could not be checked': see_doctor
        assert risk["prediction"][0]["outcome"]["coding"][0]["code"] == row["level"]
        assert risk["method"]["coding"][0]["version"] == ruleset.version
        # the record's own answers, as the exported form codes them (yes/no/unsure where 'not sure' is
        # offered), without those its skip logic does not ask
        expected = {
            k: sorted(v) if isinstance(v, list) else ("yes" if v else "no") if isinstance(v, bool) and
            offers_unsure(ruleset.by_id[k]) else v
            for k, v in answers.items() if v is not None and k not in ev.skipped
        }  # fmt: skip
        assert answers_of(response) == expected, example.name
        assert risk["basis"][0]["reference"].startswith("urn:uuid:")
    problem = resources[-1]["issue"][0]["diagnostics"]
    assert problem.startswith(f"row {len(records) + 1}: pain_intensity") and "out of range" in problem
    assert rows[-1]["status"] == "error"


def test_batch_fhir_from_fhir_responses(ruleset: Any, tmp_path: Path) -> None:
    questionnaire = json.loads(run("form", "export", "-f", "fhir").stdout)
    records = examples(ruleset)[:4]
    path = tmp_path / "responses.json"
    path.write_text(json.dumps([response_for(questionnaire, a) for a in records]), encoding="utf-8")
    result = run("batch", str(path), "--preset", "fhir", "--format", "fhir")
    assert result.exit_code == 0, result.output
    resources = validate(json.loads(result.stdout))
    levels = [r["prediction"][0]["outcome"]["coding"][0]["code"] for r in resources[1::2]]
    assert levels == [e.level for e in ruleset.examples[:4]]


def test_rules_diff_has_no_fhir_format(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("pain_intensity\n3\n", encoding="utf-8")
    result = run("rules", "diff", "pt-screen", "pt-screen", str(path), "--format", "fhir")
    assert result.exit_code == 2 and "is not one of 'csv', 'jsonl'" in result.stderr
