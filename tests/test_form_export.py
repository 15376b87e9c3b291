"""``stm-screen form export``: REDCap data dictionary, FHIR Questionnaire, CSV batch template."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.interop import redcap

runner = CliRunner()
DATA = Path(__file__).resolve().parent / "data"
BRANCHING = str(DATA / "branching.yaml")


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def dictionary(rules: str | None = None) -> list[dict[str, str]]:
    args = ["form", "export", "--format", "redcap"] + (["--rules", rules] if rules else [])
    result = run(*args)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert all(len(r) == 18 for r in rows)
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_redcap_header_is_the_18_standard_columns() -> None:
    result = run("form", "export", "-f", "redcap")
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert header == [
        "Variable / Field Name",
        "Form Name",
        "Section Header",
        "Field Type",
        "Field Label",
        "Choices, Calculations, OR Slider Labels",
        "Field Note",
        "Text Validation Type OR Show Slider Number",
        "Text Validation Min",
        "Text Validation Max",
        "Identifier?",
        "Branching Logic (Show field only if...)",
        "Required Field?",
        "Custom Alignment",
        "Question Number (surveys only)",
        "Matrix Group Name",
        "Matrix Ranking?",
        "Field Annotation",
    ]


def test_redcap_fields_of_the_bundled_ruleset(ruleset: Any) -> None:
    rows = dictionary()
    by_name = {r["Variable / Field Name"]: r for r in rows}
    assert rows[0]["Variable / Field Name"] == "record_id"  # REDCap's first field is the record id
    assert [r["Variable / Field Name"] for r in rows[1:]] == [q.id for q in ruleset.questions]
    assert {r["Form Name"] for r in rows} == {"pt_screen"}
    months = by_name["pain_duration_months"]
    assert (months["Field Type"], months["Text Validation Type OR Show Slider Number"]) == ("text", "number")
    assert (months["Text Validation Min"], months["Text Validation Max"]) == ("0", "600")
    assert months["Required Field?"] == "y" and "(in months)" in months["Field Note"]
    assert by_name["pain_intensity"]["Text Validation Type OR Show Slider Number"] == "integer"
    assert by_name["pain_intensity"]["Required Field?"] == ""
    assert by_name["night_pain"]["Field Type"] == "yesno"
    areas = by_name["pain_areas"]
    assert areas["Field Type"] == "checkbox"
    q = ruleset.by_id["pain_areas"]
    assert areas["Choices, Calculations, OR Slider Labels"] == " | ".join(
        f"{c.id}, {c.label}" for c in q.choices
    )
    # the safety section (and every other) starts with its header
    safety_first = next(x for x in ruleset.questions if x.section == "safety")
    assert by_name[safety_first.id]["Section Header"] == str(ruleset.sections["safety"].title)
    headers = [r["Section Header"] for r in rows if r["Section Header"]]
    assert headers == [str(s.title) for s in ruleset.sections.values()]


def test_redcap_branching_logic() -> None:
    by_name = {r["Variable / Field Name"]: r for r in dictionary(BRANCHING)}
    logic = {name: row["Branching Logic (Show field only if...)"] for name, row in by_name.items()}
    assert logic["back_radiates"] == (
        "[pain_intensity] <> '' and [pain_areas(low_back)] = '1' and [pain_intensity] >= 4"
    )
    assert logic["sleep"] == (
        "([duration] <> '' and [duration] > 3) or ([pain_intensity] <> '' and [pain_intensity] > 7)"
    )
    assert logic["sleep_aid"] == "[sleep] <> '' and [sleep] <> 'well'"
    assert logic["sleep_detail"] == "([sleep] = 'poorly' or [sleep] = 'not_at_all') and [back_radiates] = '0'"
    assert logic["no_knee"] == "[pain_areas(knee)] = '0'"
    assert logic["numbness"] == (
        "[back_radiates] = '1' or "
        "([pain_intensity] <> '' and [duration] <> '' and [pain_intensity] > 8 and [duration] < 1)"
    )
    assert logic["pain_areas"] == ""
    assert by_name["sleep"]["Field Type"] == "radio"
    assert by_name["sleep"]["Choices, Calculations, OR Slider Labels"] == (
        "well, Well | poorly, Poorly, often awake | not_at_all, Hardly at all"
    )
    assert by_name["numbness"]["Section Header"] == "Safety check"


def test_negations_are_pushed_down() -> None:
    from stm_screen.interop.conditions import normalize, to_redcap
    from stm_screen.rules.loader import load_ruleset

    qs = load_ruleset(BRANCHING).by_id
    assert to_redcap(normalize("not (duration > 3 and sleep == 'well')", qs), qs) == (
        "([duration] <> '' and [duration] <= 3) or ([sleep] <> '' and [sleep] <> 'well')"
    )
    assert to_redcap(normalize("not 'neck' in pain_areas", qs), qs) == "[pain_areas(neck)] = '0'"
    assert (
        to_redcap(normalize("1 < pain_intensity <= 5", qs), qs)
        == "[pain_intensity] <> '' and [pain_intensity] > 1 and [pain_intensity] <= 5"
    )
    assert (
        to_redcap(normalize("duration + pain_intensity > 10", qs), qs)
        == "[duration] <> '' and [pain_intensity] <> '' and ([duration] + [pain_intensity]) > 10"
    )


def _rules_with_id(tmp_path: Path, qid: str) -> str:
    text = (DATA / "branching.yaml").read_text(encoding="utf-8").replace("pain_intensity", qid)
    path = tmp_path / "long.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_redcap_refuses_ids_longer_than_26(tmp_path: Path) -> None:
    long_id = "pain_intensity_over_the_past_week"
    assert len(long_id) > redcap.MAX_FIELD_NAME
    out = tmp_path / "dict.csv"
    result = run("form", "export", "-f", "redcap", "-r", _rules_with_id(tmp_path, long_id), "-o", str(out))
    assert result.exit_code == 2
    assert f"question '{long_id}' has {len(long_id)} characters" in result.stderr
    assert "at most 26" in result.stderr
    assert not out.exists()
    # exactly 26 is fine
    ok = run("form", "export", "-f", "redcap", "-r", _rules_with_id(tmp_path, "p" * 26))
    assert ok.exit_code == 0, ok.output


def test_csv_template(ruleset: Any, tmp_path: Path) -> None:
    out = tmp_path / "template.csv"
    result = run("form", "export", "--format", "csv", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    header, allowed, *rest = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rest == []
    assert header == [q.id for q in ruleset.questions]
    described = dict(zip(header, allowed, strict=True))
    assert described["pain_intensity"] == "a whole number from 0 to 10"
    assert described["night_pain"] == "yes or no"
    assert described["pain_duration_months"].endswith("; required")
    assert described["pain_areas"].startswith("any of: low_back, neck_shoulder")


def test_unknown_format_and_bad_rules() -> None:
    assert run("form", "export", "-f", "pdf").exit_code == 2
    bad = run("form", "export", "-f", "fhir", "-r", "/nonexistent/rules.yaml")
    assert bad.exit_code != 0 and "Traceback" not in bad.output


# --- FHIR Questionnaire -------------------------------------------------------------------------------


def _questionnaire(rules: str | None = None) -> tuple[dict[str, Any], str]:
    args = ["form", "export", "-f", "fhir"] + (["-r", rules] if rules else [])
    result = run(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def _items(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            out[item["linkId"]] = item
            walk(item.get("item", []))

    walk(resource["item"])
    return out


@pytest.mark.parametrize("rules", [None, BRANCHING])
def test_questionnaire_is_valid_fhir_r4(rules: str | None) -> None:
    from fhir.resources.R4B.questionnaire import Questionnaire

    resource, _ = _questionnaire(rules)
    model = Questionnaire.model_validate(resource)
    assert model.status == "active"


def test_questionnaire_items(ruleset: Any) -> None:
    resource, warnings = _questionnaire()
    assert warnings == ""
    assert (resource["url"], resource["version"]) == (
        "urn:stm-screen:questionnaire:pt-screen",
        ruleset.version,
    )
    items = _items(resource)
    groups = [i for i in resource["item"] if i["type"] == "group"]
    assert [g["text"] for g in groups] == [str(s.title) for s in ruleset.sections.values()]
    for q in ruleset.questions:
        item = items[q.id]
        assert item["text"] == str(q.text)
        assert item["type"] == {"boolean": "boolean", "integer": "integer", "number": "decimal"}.get(
            q.type, "choice"
        )
        assert item.get("required", False) == q.required
        assert item.get("repeats", False) == (q.type == "multi_choice")
    areas = items["pain_areas"]
    assert [o["valueCoding"]["code"] for o in areas["answerOption"]] == list(
        ruleset.by_id["pain_areas"].choice_ids
    )
    ext = {e["url"].rsplit("/", 1)[1]: e for e in items["pain_intensity"]["extension"]}
    assert ext["minValue"]["valueInteger"] == 0 and ext["maxValue"]["valueInteger"] == 10
    ext = {e["url"].rsplit("/", 1)[1]: e for e in items["pain_duration_months"]["extension"]}
    assert ext["maxValue"]["valueDecimal"] == 600
    assert ext["questionnaire-unit"]["valueCoding"]["display"] == "months"


def test_questionnaire_enable_when() -> None:
    resource, warnings = _questionnaire(BRANCHING)
    items = _items(resource)
    system = "urn:stm-screen:choices:branching-demo"
    assert items["back_radiates"]["enableWhen"] == [
        {
            "question": "pain_areas",
            "operator": "=",
            "answerCoding": {"system": f"{system}:pain_areas", "code": "low_back"},
        },
        {"question": "pain_intensity", "operator": ">=", "answerInteger": 4},
    ]
    assert items["back_radiates"]["enableBehavior"] == "all"
    assert items["sleep"]["enableWhen"] == [
        {"question": "duration", "operator": ">", "answerDecimal": 3},
        {"question": "pain_intensity", "operator": ">", "answerInteger": 7},
    ]
    assert items["sleep"]["enableBehavior"] == "any"
    # FHIR's != holds with no answer at all; stm-screen does not ask on an unanswered question's account
    assert items["sleep_aid"]["enableWhen"] == [
        {
            "question": "sleep",
            "operator": "!=",
            "answerCoding": {"system": f"{system}:sleep", "code": "well"},
        },
        {"question": "sleep", "operator": "exists", "answerBoolean": True},
    ]
    assert items["sleep_aid"]["enableBehavior"] == "all"
    # a mix of and/or, and 'not in' a multiple choice, have no enableWhen: they get the SDC FHIRPath
    # extension instead (checked against ask_if in test_fhir_enable_when), and a warning, never silence
    for qid in ("sleep_detail", "no_knee", "numbness"):
        assert "enableWhen" not in items[qid]
        assert f"question '{qid}'" in warnings
        (ext,) = [
            e for e in items[qid]["extension"] if e["url"].endswith("sdc-questionnaire-enableWhenExpression")
        ]
        assert ext["valueExpression"]["language"] == "text/fhirpath"
