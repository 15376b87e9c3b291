"""FHIR R4 results: ``score --format fhir`` and ``history export --format fhir``, validated with fhir.resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.interop import fhir

runner = CliRunner()
# pt-screen 2.0's safety group (issue 9), each answered no (the gated ones are then not asked)
NO_FLAGS = dict.fromkeys(
    "bladder_bowel_change saddle_numbness both_legs_symptoms progressive_weakness weakness_fast "
    "clumsy_hands_or_gait stroke_signs sudden_severe_headache dizziness_ongoing jaw_scalp_headache "
    "chest_arm_pain_exertion calf_swelling self_harm_thoughts self_harm_danger fever_or_unwell hot_swollen_joint infection_risk "
    "cancer_history unexplained_weight_loss major_trauma minor_trauma fracture_risk blood_thinners night_pain "
    "morning_stiffness bone_pain_impact".split(),
    False,
)
ANSWERS = {
    "age_years": 52,
    **NO_FLAGS,
    "pain_duration_months": 7.5,
    "pain_areas": ["low_back", "tendon"],
    "pain_trend": "same",
    "pain_intensity": 6,
    "activity_limitation": 5,
    "fear_of_movement": True,
}
SYSTEM = "urn:stm-screen:choices:pt-screen"


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def answers_file(tmp_path: Path, answers: dict[str, Any]) -> str:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    return str(path)


def validate(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Validate the Bundle and its resources; return the resources by type (the last of each)."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
    from fhir.resources.R4B.riskassessment import RiskAssessment

    Bundle.model_validate(doc)
    assert doc["type"] == "collection"
    models = {"QuestionnaireResponse": QuestionnaireResponse, "RiskAssessment": RiskAssessment}
    out = {}
    for entry in doc["entry"]:
        resource = entry["resource"]
        models[resource["resourceType"]].model_validate(resource)
        assert entry["fullUrl"].startswith("urn:uuid:")
        out[resource["resourceType"]] = resource
    return out


def answers_of(qr: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if "answer" in item:
                found[item["linkId"]] = item["answer"]
            walk(item.get("item", []))

    walk(qr.get("item", []))
    return found


def test_score_format_fhir(tmp_path: Path, ruleset: Any) -> None:
    fresh = json.loads(run("score", answers_file(tmp_path, ANSWERS), "-f", "json").stdout)
    result = run("score", answers_file(tmp_path, ANSWERS), "--format", "fhir", "--patient", "MRN-5")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    res = validate(doc)
    qr, ra = res["QuestionnaireResponse"], res["RiskAssessment"]
    assert qr["questionnaire"] == f"urn:stm-screen:questionnaire:pt-screen|{ruleset.version}"
    assert qr["subject"]["identifier"]["value"] == "MRN-5"
    answers = answers_of(qr)
    assert answers["pain_duration_months"] == [{"valueDecimal": 7.5}]
    assert answers["pain_intensity"] == [{"valueInteger": 6}]
    assert answers["age_years"] == [{"valueInteger": 52}]
    assert answers["fear_of_movement"] == [{"valueBoolean": True}]
    # a safety question is a choice of yes, no and not sure in the Questionnaire: its answer is that Coding
    assert answers["night_pain"] == [
        {"valueCoding": {"system": f"{SYSTEM}:night_pain", "code": "no", "display": "No"}}
    ]
    assert [a["valueCoding"]["code"] for a in answers["pain_areas"]] == ["low_back", "tendon"]
    assert answers["pain_areas"][0]["valueCoding"]["display"] == "Lower back"
    # questions the skip logic does not ask have no answer (their Questionnaire items are disabled)
    assert not {"weakness_fast", "self_harm_danger", "fracture_risk", "blood_thinners"} & set(answers)
    # RiskAssessment: level, reasons, ruleset version
    outcome = ra["prediction"][0]["outcome"]
    assert outcome["coding"][0] == {
        "system": fhir.LEVEL_SYSTEM,
        "code": fresh["level"],
        "display": fresh["title"],
    }
    assert ra["method"]["coding"][0]["version"] == ruleset.version
    assert ra["method"]["coding"][0]["code"] == "pt-screen"
    assert ruleset.sha256 in ra["method"]["text"]
    reasons = [f["title"] for f in fresh["findings"]]
    assert reasons and ra["prediction"][0]["rationale"] == "; ".join(reasons)
    assert [n["text"] for n in ra["note"]][: len(reasons)] == reasons
    basis = ra["basis"][0]["reference"]
    assert basis == doc["entry"][0]["fullUrl"]
    assert ra["status"] == "final"
    # no warning sign: one prediction, with no urgency
    assert len(ra["prediction"]) == 1 and "qualitativeRisk" not in ra["prediction"][0]


def test_urgency_of_each_warning_sign_and_of_the_result(tmp_path: Path) -> None:
    answers = {**ANSWERS, "calf_swelling": True, "unexplained_weight_loss": True}
    fresh = json.loads(run("score", answers_file(tmp_path, answers), "-f", "json").stdout)
    assert fresh["urgency"] == "today"
    ra = validate(json.loads(run("score", answers_file(tmp_path, answers), "-f", "fhir").stdout))[
        "RiskAssessment"
    ]
    overall, *signs = ra["prediction"]
    assert overall["outcome"]["coding"][0]["code"] == "see_doctor"
    assert overall["qualitativeRisk"] == {
        "coding": [{"system": fhir.URGENCY_SYSTEM, "code": "today", "display": "today"}],
        "text": "Act today",
    }
    assert [
        (p["outcome"]["coding"][0]["code"], p["qualitativeRisk"]["coding"][0]["code"]) for p in signs
    ] == [(f["id"], f["urgency"]) for f in fresh["red_flags"]]
    assert {f["urgency"] for f in fresh["red_flags"]} == {"today", "days"}
    for p, f in zip(signs, fresh["red_flags"], strict=True):
        assert p["outcome"]["coding"][0]["system"] == fhir.RED_FLAG_SYSTEM
        assert p["outcome"]["text"] == f["title"] and p["rationale"] == f["explanation"]
    assert ra["prediction"][0]["rationale"].startswith(
        f"Warning sign: {fresh['red_flags'][0]['title']} (act "
    )
    assert "(act within a few days)" in ra["prediction"][0]["rationale"]


def test_emergency_now(tmp_path: Path) -> None:
    answers = {**ANSWERS, "progressive_weakness": True, "weakness_fast": True}
    ra = validate(json.loads(run("score", answers_file(tmp_path, answers), "-f", "fhir").stdout))[
        "RiskAssessment"
    ]
    assert ra["prediction"][0]["outcome"]["coding"][0]["code"] == "emergency"
    assert ra["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "now"
    assert "weakness_getting_worse_fast" in [p["outcome"]["coding"][0]["code"] for p in ra["prediction"][1:]]


def test_not_sure_answers_are_the_unsure_coding(tmp_path: Path) -> None:
    answers = {**ANSWERS, "stroke_signs": "not sure", "progressive_weakness": "unsure", "weakness_fast": True}
    path = answers_file(tmp_path, answers)
    fresh = json.loads(run("score", path, "-f", "json").stdout)
    assert fresh["unchecked"] and fresh["level"] == "see_doctor"
    res = validate(json.loads(run("score", path, "-f", "fhir").stdout))
    qr, ra = res["QuestionnaireResponse"], res["RiskAssessment"]
    given = answers_of(qr)
    for qid in ("stroke_signs", "progressive_weakness"):
        assert given[qid] == [
            {"valueCoding": {"system": f"{SYSTEM}:{qid}", "code": "unsure", "display": "Not sure"}}
        ]
    assert "weakness_fast" not in given  # not asked when the weakness question is 'not sure'
    assert ra["status"] == "preliminary"
    assert ra["prediction"][0]["outcome"]["coding"][0]["code"] == "see_doctor"
    assert ra["prediction"][0]["outcome"]["text"] == fresh["title"]
    notes = [n["text"] for n in ra["note"]]
    assert "Answered 'not sure': progressive_weakness, stroke_signs" in notes
    assert any(n.startswith("Not ruled out: ") for n in notes)
    assert len(ra["prediction"]) == 1  # nothing fired


def test_answer_entries_for_not_sure(ruleset: Any) -> None:
    q = ruleset.by_id["night_pain"]
    assert fhir.answer_entries("boolean", True, "s", question=q) == [
        {"valueCoding": {"system": "s", "code": "yes", "display": "Yes"}}
    ]
    assert fhir.answer_entries("boolean", "unsure", "s", question=q) == [
        {"valueCoding": {"system": "s", "code": "unsure", "display": "Not sure"}}
    ]
    # without the question (a history record of another ruleset version): 'not sure' is still that Coding
    assert fhir.answer_entries("boolean", "unsure", "s") == [
        {"valueCoding": {"system": "s", "code": "unsure", "display": "Not sure"}}
    ]
    assert fhir.answer_entries("integer", "unsure", "s")[0]["valueCoding"]["code"] == "unsure"
    assert fhir.answer_entries("boolean", False, "s") == [{"valueBoolean": False}]


def test_batch_fhir_carries_urgency_and_the_unchecked_result(tmp_path: Path) -> None:
    from tests.test_form_roundtrip import redcap_raw_export

    records = [
        {**ANSWERS, "calf_swelling": True},
        {**ANSWERS, "stroke_signs": "unsure"},
        {**ANSWERS, "minor_trauma": False, "blood_thinners": True},  # a stale answer to a hidden question
    ]
    dictionary = run("form", "export", "-f", "redcap").stdout
    export = tmp_path / "export.csv"
    export.write_text(redcap_raw_export(dictionary, records), encoding="utf-8")
    result = run("batch", str(export), "--preset", "redcap", "--format", "fhir")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(doc)
    resources = [e["resource"] for e in doc["entry"]]
    scored = [json.loads(run("score", answers_file(tmp_path, a), "-f", "fhir").stdout) for a in records]
    for n, single in enumerate(scored):
        qr, ra = resources[2 * n], resources[2 * n + 1]
        want = validate(single)
        assert ra["prediction"] == want["RiskAssessment"]["prediction"], n
        assert ra["status"] == want["RiskAssessment"]["status"]
        assert ra["mitigation"] == want["RiskAssessment"]["mitigation"]
        assert answers_of(qr) == answers_of(want["QuestionnaireResponse"]), n
    assert resources[1]["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "today"
    assert resources[3]["prediction"][0]["outcome"]["text"] == "Some warning signs could not be checked"
    assert "blood_thinners" not in answers_of(resources[4])


def test_warning_signs_come_first_in_the_reasons(tmp_path: Path) -> None:
    answers = {**ANSWERS, "saddle_numbness": True}
    doc = json.loads(run("score", answers_file(tmp_path, answers), "-f", "fhir").stdout)
    ra = validate(doc)["RiskAssessment"]
    assert ra["prediction"][0]["outcome"]["coding"][0]["code"] == "emergency"
    assert ra["prediction"][0]["rationale"].startswith("Warning sign: ")
    assert ra["subject"] == {"display": "unidentified"}


def test_incomplete_result_is_preliminary(tmp_path: Path) -> None:
    path = answers_file(tmp_path, {"pain_intensity": 3})
    fresh = json.loads(run("score", path, "-f", "json").stdout)
    assert fresh["complete"] is False
    ra = validate(json.loads(run("score", path, "-f", "fhir").stdout))["RiskAssessment"]
    assert ra["status"] == "preliminary"
    assert ra["prediction"][0]["outcome"]["text"] == fresh["title"]


def test_result_without_a_level() -> None:
    result = {
        "level": None,
        "title": "Not enough answers for a result",
        "ruleset": {"id": "r", "version": "1"},
    }
    ra = fhir.risk_assessment(result)
    assert ra["status"] == "preliminary"
    assert ra["prediction"][0]["outcome"] == {"text": "Not enough answers for a result"}


def test_every_renderer_works(tmp_path: Path) -> None:
    from stm_screen.render.formats import RENDERERS

    for name in RENDERERS:
        result = run("score", answers_file(tmp_path, ANSWERS), "-f", name)
        assert result.exit_code == 0, (name, result.output)
        assert result.stdout.strip()


def test_history_export_fhir(tmp_path: Path) -> None:
    ids = []
    for patient, answers in (("MRN-1", ANSWERS), ("MRN-2", {**ANSWERS, "cancer_history": True})):
        saved = run("score", answers_file(tmp_path, answers), "--save", "--patient", patient)
        assert saved.exit_code == 0, saved.output
        ids.append(int(saved.stderr.split()[-1].rstrip(".")))
    out = tmp_path / "bundle.json"
    result = run("history", "export", "-o", str(out), "-f", "fhir")
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    validate(doc)
    kinds = [e["resource"]["resourceType"] for e in doc["entry"]]
    assert kinds == ["QuestionnaireResponse", "RiskAssessment"] * 2
    levels = [e["resource"]["prediction"][0]["outcome"]["coding"][0]["code"] for e in doc["entry"][1::2]]
    assert levels == ["pt_recommended", "see_doctor"]
    # the cancer history with back pain: its urgency is in the stored result, and so in the export
    assert doc["entry"][3]["resource"]["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "days"
    subjects = [e["resource"]["subject"]["identifier"]["value"] for e in doc["entry"][1::2]]
    assert subjects == ["MRN-1", "MRN-2"]
    # the same record always gets the same ids
    again = tmp_path / "again.json"
    assert run("history", "export", "-o", str(again), "-f", "fhir").exit_code == 0
    urls = [e["fullUrl"] for e in json.loads(again.read_text(encoding="utf-8"))["entry"]]
    assert urls == [e["fullUrl"] for e in doc["entry"]]
    assert len(set(urls)) == 4
    # and one record through history show
    shown = run("history", "show", str(ids[1]), "-f", "fhir")
    assert validate(json.loads(shown.stdout))["RiskAssessment"]["prediction"][0]["outcome"]["text"]


def test_streamed_bundle_equals_the_whole_bundle() -> None:
    result = {"level": "self_care", "title": "T", "ruleset": {"id": "r", "version": "1", "sha256": "s"}}
    entries = [
        e
        for n in range(3)
        for e in fhir.bundle_for_record(
            result, answers={"x": n, "y": [f"c{n}"]}, key=str(n), authored="2024-01-01"
        )
    ]
    streamed = json.loads("".join(fhir.iter_bundle_json(iter(entries), timestamp="2024-01-02T00:00:00Z")))
    assert streamed == fhir.bundle(entries, timestamp="2024-01-02T00:00:00Z")
    validate(streamed)
    empty = json.loads("".join(fhir.iter_bundle_json([])))
    assert empty == {"resourceType": "Bundle", "type": "collection", "entry": []}


@pytest.mark.parametrize(
    ("qtype", "value", "expected"),
    [
        ("boolean", True, [{"valueBoolean": True}]),
        ("integer", 4, [{"valueInteger": 4}]),
        ("number", 4, [{"valueDecimal": 4}]),
        (None, 2.5, [{"valueDecimal": 2.5}]),
        (None, 3, [{"valueInteger": 3}]),
        ("choice", "a", [{"valueCoding": {"system": "s", "code": "a"}}]),
        ("multi_choice", ["a", "b"], [{"valueCoding": {"system": "s", "code": c}} for c in "ab"]),
    ],
)
def test_answer_types(qtype: str | None, value: Any, expected: list[dict[str, Any]]) -> None:
    assert fhir.answer_entries(qtype, value, "s") == expected
