"""FHIR that a server accepts: legal ids, a settable canonical url, who each record belongs to, transaction
Bundles of conditional creates, LOINC codes and UCUM units; everything written is validated by the R4 JSON
schema and by fhir.resources (tests/fhir_validate.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from tests.fhir_validate import assert_valid, model_errors, schema_errors

runner = CliRunner()
ROOT = Path(__file__).parent.parent
BATCH = ROOT / "tests" / "data" / "batch"


def run(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_the_validators_catch_what_they_should() -> None:
    bad = {"resourceType": "Questionnaire", "id": "pt_screen", "status": "active", "item": []}
    assert any("does not match" in e for e in schema_errors(bad))
    assert model_errors({"resourceType": "RiskAssessment", "status": "final"})  # no subject


def test_questionnaire_ids_and_canonical(tmp_path: Path) -> None:
    text = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
    rules = tmp_path / "r.yaml"
    rules.write_text(text.replace("id: minimal", "id: my_clinic.screen-v2", 1), encoding="utf-8")
    q = run("form", "export", "fhir", "-r", str(rules))
    assert q["id"] == "my-clinic.screen-v2" and q["url"] == "urn:stm-screen:questionnaire:my_clinic.screen-v2"
    assert_valid(q)
    q = run("form", "export", "fhir", "-r", str(rules), "--canonical-base", "https://forms.example.org/fhir/")
    assert q["url"] == "https://forms.example.org/fhir/Questionnaire/my-clinic.screen-v2"
    assert_valid(q)
    bad = runner.invoke(app, ["form", "export", "fhir", "--canonical-base", "forms.example.org"])
    assert bad.exit_code == 2 and "absolute http(s) URL" in bad.stderr


def test_bundled_questionnaire_is_valid_with_loinc_codes_and_ucum_months(tmp_path: Path) -> None:
    q = run("form", "export", "fhir")
    assert_valid(q)
    items = {}

    def walk(children: list[dict[str, Any]]) -> None:
        for item in children:
            items[item["linkId"]] = item
            walk(item.get("item", []))

    walk(q["item"])
    unit = [e for e in items["pain_duration_months"]["extension"] if e["url"].endswith("questionnaire-unit")]
    assert unit[0]["valueCoding"] == {
        "system": "http://unitsofmeasure.org",
        "code": "mo",
        "display": "months",
    }
    text = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
    rules = tmp_path / "coded.yaml"
    first_q = text.index("questions:") + len("questions:\n")
    line_end = text.index("\n", first_q)
    coded = (
        text[:line_end]
        + "\n    codes: [{system: 'http://loinc.org', code: '38208-5', display: Pain severity}]"
        + text[line_end:]
    )
    rules.write_text(coded, encoding="utf-8")
    q = run("form", "export", "fhir", "-r", str(rules))
    assert_valid(q)
    assert {"system": "http://loinc.org", "code": "38208-5", "display": "Pain severity"} in [
        c for item in q["item"] for c in _codes(item)
    ]


def _codes(item: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(item.get("code", []))
    for child in item.get("item", []):
        out += _codes(child)
    return out


def test_score_and_history_fhir_are_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STM_SCREEN_HOME", str(tmp_path))
    for example in ("answers.yaml", "warning.yaml", "unsure.yaml"):
        bundle = run("score", str(ROOT / "docs" / "examples" / example), "--format", "fhir")
        assert_valid(bundle)
        saved = runner.invoke(
            app, ["score", str(ROOT / "docs" / "examples" / example), "--save", "--patient", "MRN-0042"]
        )
        assert saved.exit_code == 0, saved.output
    assert_valid(run("history", "show", "1", "--format", "fhir"))
    out = tmp_path / "all.json"
    result = runner.invoke(app, ["history", "export", "--output", str(out), "--format", "fhir"])
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert len(bundle["entry"]) == 6
    assert_valid(bundle)


def test_batch_csv_keeps_the_record_id_as_the_patient_with_the_clinics_system() -> None:
    bundle = run(
        "batch",
        str(BATCH / "redcap_raw.csv"),
        "-f",
        "fhir",
        "--patient-system",
        "https://hospital.example.org/mrn",
    )
    assert_valid(bundle)
    responses = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    risks = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "RiskAssessment"]
    assert responses[0]["subject"] == {
        "identifier": {"system": "https://hospital.example.org/mrn", "value": "1"}
    }
    assert risks[0]["subject"] == responses[0]["subject"]
    assert responses[0]["identifier"] == {"system": "urn:stm-screen:response", "value": "1/baseline_arm_1"}
    assert len({json.dumps(r["subject"]) for r in responses}) == len(responses)  # no two patients merged


def test_batch_transaction_bundle_of_conditional_creates() -> None:
    result = runner.invoke(
        app, ["batch", str(BATCH / "redcap_raw.csv"), "-f", "fhir", "--fhir-bundle", "transaction"]
    )
    assert result.exit_code == 1  # row 5 has an error
    bundle = json.loads(result.stdout)
    assert_valid(bundle)
    assert bundle["type"] == "transaction"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert "OperationOutcome" not in kinds and kinds.count("QuestionnaireResponse") == 5
    for entry in bundle["entry"]:
        request = entry["request"]
        ident = entry["resource"]["identifier"]
        ident = ident[0] if isinstance(ident, list) else ident
        assert request["method"] == "POST" and request["url"] == entry["resource"]["resourceType"]
        assert request["ifNoneExist"].startswith("identifier=" + ident["system"] + "|")
        assert entry["fullUrl"].startswith("urn:uuid:")
    ra = bundle["entry"][1]["resource"]
    assert ra["basis"] == [{"reference": bundle["entry"][0]["fullUrl"]}]
    assert "1 record(s) with errors are not in the transaction Bundle" in result.stderr
    # the same records give the same identifiers (a second send creates nothing new)
    again = json.loads(
        runner.invoke(
            app, ["batch", str(BATCH / "redcap_raw.csv"), "-f", "fhir", "--fhir-bundle", "transaction"]
        ).stdout
    )
    assert [e["request"] for e in again["entry"]] == [e["request"] for e in bundle["entry"]]


def test_batch_fhir_keeps_subject_reference_and_identifier(tmp_path: Path) -> None:
    import yaml

    from stm_screen.interop.fhir import questionnaire_response
    from stm_screen.rules.loader import load_ruleset

    values = yaml.safe_load((ROOT / "docs" / "examples" / "answers.yaml").read_text())
    ruleset = load_ruleset()
    qr = questionnaire_response(
        ruleset_id=ruleset.id, ruleset_version=ruleset.version, answers=values, ruleset=ruleset
    )
    qr["subject"] = {"reference": "Patient/123"}
    qr["identifier"] = {"system": "https://forms.example.org/responses", "value": "r-77"}
    second = dict(
        qr, subject={"identifier": {"system": "https://hospital.example.org/mrn", "value": "MRN-9"}}
    )
    second["identifier"] = {"system": "https://forms.example.org/responses", "value": "r-78"}
    path = tmp_path / "qrs.json"
    path.write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": qr}, {"resource": second}],
            }
        )
    )
    bundle = run("batch", str(path), "-f", "fhir", "--fhir-bundle", "transaction")
    assert_valid(bundle)
    out_qr, out_ra, out_qr2, out_ra2 = (e["resource"] for e in bundle["entry"])
    assert out_qr["subject"] == {"reference": "Patient/123"} and out_ra["subject"] == {
        "reference": "Patient/123"
    }
    assert out_qr["identifier"] == {"system": "https://forms.example.org/responses", "value": "r-77"}
    assert (
        bundle["entry"][0]["request"]["ifNoneExist"] == "identifier=https://forms.example.org/responses|r-77"
    )
    assert out_ra2["subject"]["identifier"]["value"] == "MRN-9"


def test_loinc_yes_no_codes_without_display(tmp_path: Path) -> None:
    import yaml

    values = yaml.safe_load((ROOT / "docs" / "examples" / "answers.yaml").read_text())
    items = []
    for qid, value in values.items():
        if isinstance(value, bool):
            code = "LA33-6" if value else "LA32-8"
            items.append(
                {"linkId": qid, "answer": [{"valueCoding": {"system": "http://loinc.org", "code": code}}]}
            )
        elif isinstance(value, list):
            items.append({"linkId": qid, "answer": [{"valueCoding": {"code": v}} for v in value]})
        elif isinstance(value, int):
            items.append({"linkId": qid, "answer": [{"valueInteger": value}]})
        else:
            items.append({"linkId": qid, "answer": [{"valueCoding": {"code": value}}]})
    qr = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}
    path = tmp_path / "qr.json"
    path.write_text(json.dumps(qr))
    result = runner.invoke(app, ["batch", str(path), "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert row["status"] == "ok" and row["level"] == "pt_recommended", row


def test_a_survey_platforms_response_id_is_not_a_patient() -> None:
    kobo = str(ROOT / "docs" / "examples" / "kobo_export.csv")
    bundle = run("batch", kobo, "-f", "fhir")
    assert_valid(bundle)
    qr = bundle["entry"][0]["resource"]
    assert "subject" not in qr and qr["identifier"]["system"] == "urn:stm-screen:response"
    assert bundle["entry"][1]["resource"]["subject"] == {"display": "unidentified"}
    bundle = run("batch", kobo, "-f", "fhir", "--patient-system", "urn:oid:1.2.3.4")
    assert bundle["entry"][0]["resource"]["subject"]["identifier"]["system"] == "urn:oid:1.2.3.4"
    bad = runner.invoke(app, ["batch", kobo, "-f", "fhir", "--patient-system", "not a uri"])
    assert bad.exit_code == 2
    assert runner.invoke(app, ["batch", kobo, "--fhir-bundle", "transaction"]).exit_code == 2
