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
    age = by_name["age_years"]
    assert (age["Field Type"], age["Text Validation Type OR Show Slider Number"]) == ("text", "integer")
    assert (age["Text Validation Min"], age["Text Validation Max"], age["Required Field?"]) == (
        "0",
        "120",
        "y",
    )
    assert by_name["pain_intensity"]["Text Validation Type OR Show Slider Number"] == "integer"
    assert by_name["pain_intensity"]["Required Field?"] == ""
    assert by_name["pain_trend"]["Field Type"] == "radio"
    assert [c.split(",")[0].strip() for c in by_name["pain_trend"][CHOICES].split("|")] == [
        "better",
        "same",
        "worse",
    ]
    areas = by_name["pain_areas"]
    assert areas["Field Type"] == "checkbox" and areas["Required Field?"] == "y"
    q = ruleset.by_id["pain_areas"]
    assert "mid_back" in q.choice_ids
    # 'pain_areas___sports_overuse' would pass REDCap's 26 characters: that choice is coded by its number
    codes = {c.id: c.id for c in q.choices} | {"sports_overuse": "7"}
    assert areas[CHOICES] == " | ".join(f"{codes[c.id]}, {c.label}" for c in q.choices)
    assert all(len(f"pain_areas___{code}") <= 26 for code in codes.values())
    # the safety section (and every other) starts with its header
    safety_first = next(x for x in ruleset.questions if x.section == "safety")
    assert by_name[safety_first.id]["Section Header"] == str(ruleset.sections["safety"].title)
    headers = [r["Section Header"] for r in rows if r["Section Header"]]
    assert headers == [str(s.title) for s in ruleset.sections.values()]


SAFETY_GROUP = (
    "bladder_bowel_change saddle_numbness both_legs_symptoms progressive_weakness weakness_fast "
    "clumsy_hands_or_gait stroke_signs sudden_severe_headache dizziness_ongoing jaw_scalp_headache "
    "chest_arm_pain_exertion calf_swelling self_harm_thoughts self_harm_danger fever_or_unwell hot_swollen_joint infection_risk "
    "cancer_history unexplained_weight_loss major_trauma minor_trauma fracture_risk blood_thinners night_pain "
    "morning_stiffness bone_pain_impact"
).split()
CHOICES = "Choices, Calculations, OR Slider Labels"
LOGIC = "Branching Logic (Show field only if...)"


def test_redcap_safety_questions_are_required_radios_with_not_sure(ruleset: Any) -> None:
    """Issue 9's safety group: yes, no, not sure (in that order, coded 1, 0, unsure), each required; the
    other yes/no questions stay yesno fields and are not required."""
    assert len(SAFETY_GROUP) == 26
    by_name = {r["Variable / Field Name"]: r for r in dictionary()}
    for qid in SAFETY_GROUP:
        row = by_name[qid]
        assert ruleset.by_id[qid].unsure, qid
        assert (row["Field Type"], row[CHOICES], row["Required Field?"]) == (
            "radio",
            "1, Yes | 0, No | unsure, Not sure",
            "y",
        ), qid
    for q in ruleset.questions:
        if q.type == "boolean" and q.id not in SAFETY_GROUP:
            assert by_name[q.id]["Field Type"] == "yesno", q.id
            assert by_name[q.id]["Required Field?"] == "", q.id


def test_redcap_skip_logic_of_the_gated_safety_questions() -> None:
    """Hidden while the answer it depends on is blank or 'not sure': a radio's 'unsure' never equals '1',
    and numbers are guarded against blanks; a required field hidden by branching logic is not asked. The
    self-harm question's 'not sure' counts as yes (unsure_means_yes, after the ASQ): its follow-up is shown
    for 'unsure' too."""
    logic = {r["Variable / Field Name"]: r[LOGIC] for r in dictionary()}
    assert logic["weakness_fast"] == "[progressive_weakness] = '1'"
    assert logic["self_harm_danger"] == "[self_harm_thoughts] = '1' or [self_harm_thoughts] = 'unsure'"
    assert logic["jaw_scalp_headache"] == "[age_years] <> '' and [age_years] >= 50"
    assert logic["fracture_risk"] == (
        "[pain_duration_months] <> '' and [minor_trauma] = '1' and [pain_duration_months] <= 3"
    )
    assert logic["blood_thinners"] == (
        "[pain_duration_months] <> '' and ([minor_trauma] = '1' or [major_trauma] = '1') "
        "and [pain_duration_months] <= 3"
    )
    # age_years - pain_duration_months / 12 < 45: '/' by a number, in REDCap's own syntax
    assert logic["morning_stiffness"] == (
        "[pain_duration_months] <> '' and [age_years] <> '' and "
        "([pain_areas(low_back)] = '1' or [pain_areas(mid_back)] = '1') and [pain_duration_months] >= 3 "
        "and ([age_years] - ([pain_duration_months] / 12)) < 45"
    )


def test_redcap_branching_logic() -> None:
    by_name = {r["Variable / Field Name"]: r for r in dictionary(BRANCHING)}
    logic = {name: row["Branching Logic (Show field only if...)"] for name, row in by_name.items()}
    assert logic["back_radiates"] == (
        "[pain_intensity] <> '' and [pain_areas(low_back)] = '1' and [pain_intensity] >= 4"
    )
    assert logic["sleep"] == (
        "([duration] <> '' and [duration] > 3) or ([pain_intensity] <> '' and [pain_intensity] > 7)"
    )
    # 'sleep' is asked only when duration > 3 or pain_intensity > 7: a stale answer to it must not show
    # the questions that follow it, so each comparison with it comes with when it is asked
    sleep_asked = "(([duration] <> '' and [duration] > 3) or ([pain_intensity] <> '' and [pain_intensity] > 7))"
    assert logic["sleep_aid"] == f"[sleep] <> '' and [sleep] <> 'well' and {sleep_asked}"
    assert logic["sleep_detail"] == (
        f"[pain_intensity] <> '' and ([sleep] = 'poorly' or [sleep] = 'not_at_all') and {sleep_asked} and "
        "[back_radiates] = '0' and [pain_areas(low_back)] = '1' and [pain_intensity] >= 4"
    )
    assert logic["no_knee"] == "[pain_areas(knee)] = '0'"
    assert logic["numbness"] == (
        "([pain_intensity] <> '' and [pain_areas(low_back)] = '1' and [pain_intensity] >= 4 and "
        "[back_radiates] = '1') or "
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
    assert header == ["id", *(q.id for q in ruleset.questions)]
    described = dict(zip(header, allowed, strict=True))
    assert "never a name" in described["id"]
    assert described["pain_intensity"] == "a whole number from 0 to 10"
    assert described["age_years"] == "a whole number from 0 to 120 years; required"
    assert described["night_pain"] == "yes, no or not sure; required"
    assert described["weakness_fast"] == "yes, no or not sure; required when asked"
    assert described["fear_of_movement"] == "yes or no"
    assert described["pain_trend"] == "one of: better, same, worse"
    assert described["pain_duration_months"].endswith("; required")
    assert described["pain_areas"].startswith("any of: low_back, mid_back, neck_shoulder")


def test_the_filled_in_template_scores_as_it_is(ruleset: Any, tmp_path: Path) -> None:
    """The template's description row is not a record; an id column names each record."""
    out = tmp_path / "template.csv"
    assert run("form", "export", "csv", "-o", str(out)).exit_code == 0  # the format as an argument
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    calm = dict(ruleset.examples[0].answers)

    def cell(qid: str) -> str:
        value = calm.get(qid, "")
        if isinstance(value, bool):
            return "yes" if value else "no"
        return ";".join(value) if isinstance(value, list) else str(value)

    rows.append(["P-001", *(cell(q) for q in rows[0][1:])])
    with out.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    scored = run("batch", str(out))
    assert scored.exit_code == 0, scored.output
    lines = scored.stdout.splitlines()
    assert len(lines) == 2 and lines[1].startswith("1,P-001,ok,self_care")


def test_a_missing_format_gets_a_hint() -> None:
    result = run("form", "export")
    assert result.exit_code == 2 and "stm-screen form export redcap" in result.stderr


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
    # two ask_if mix 'and' with 'or', which enableWhen cannot say: they are FHIRPath, and say so
    assert [line.split("'")[1] for line in warnings.splitlines()] == ["blood_thinners", "morning_stiffness"]
    assert all(line.startswith("warning: question '") for line in warnings.splitlines())
    assert (resource["url"], resource["version"]) == (
        "urn:stm-screen:questionnaire:pt-screen",
        ruleset.version,
    )
    items = _items(resource)
    groups = [i for i in resource["item"] if i["type"] == "group"]
    assert [g["text"] for g in groups] == [str(s.title) for s in ruleset.sections.values()]
    system = "urn:stm-screen:choices:pt-screen"
    for q in ruleset.questions:
        item = items[q.id]
        assert item["text"] == str(q.text)
        offers_unsure = q.unsure and q.type == "boolean"
        assert item["type"] == {"boolean": "boolean", "integer": "integer", "number": "decimal"}.get(
            q.type if not offers_unsure else "choice", "choice"
        )
        assert item.get("required", False) == (q.required or q.safety)
        assert item.get("repeats", False) == (q.type == "multi_choice")
        if offers_unsure:  # yes, no, not sure: in that order, as the questionnaire offers them
            plain_options = [  # the other languages' labels are checked in tests/test_i18n.py
                {"valueCoding": {k: v for k, v in o["valueCoding"].items() if k != "_display"}}
                for o in item["answerOption"]
            ]
            assert plain_options == [
                {"valueCoding": {"system": f"{system}:{q.id}", "code": code, "display": label}}
                for code, label in (("yes", "Yes"), ("no", "No"), ("unsure", "Not sure"))
            ]
            controls = [e for e in item["extension"] if e["url"].endswith("questionnaire-itemControl")]
            assert controls[0]["valueCodeableConcept"]["coding"][0]["code"] == "radio-button"
    assert {q.id for q in ruleset.questions if items[q.id].get("required")} >= set(SAFETY_GROUP)
    assert items["pain_areas"]["required"] and items["age_years"]["required"]
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
        # always true or false, never empty (LHC-Forms logs "did not resolve to a Boolean" otherwise)
        assert ext["valueExpression"]["expression"].startswith("iif(")


def test_questionnaire_enable_when_on_a_not_sure_parent() -> None:
    """The parent is a choice of yes/no/unsure, so the condition is answerCoding 'yes' (answerBoolean
    would never match a Coding, and the follow-up would never be asked); where the parent's 'not sure'
    counts as yes (self_harm_thoughts, after the ASQ), 'yes' or 'unsure' (enableBehavior any)."""
    items = _items(_questionnaire()[0])
    system = "urn:stm-screen:choices:pt-screen"
    parent = "progressive_weakness"
    assert items["weakness_fast"]["enableWhen"] == [
        {"question": parent, "operator": "=", "answerCoding": {"system": f"{system}:{parent}", "code": "yes"}}
    ]
    assert "enableBehavior" not in items["weakness_fast"]
    parent = "self_harm_thoughts"
    assert items["self_harm_danger"]["enableWhen"] == [
        {"question": parent, "operator": "=", "answerCoding": {"system": f"{system}:{parent}", "code": code}}
        for code in ("yes", "unsure")
    ]
    assert items["self_harm_danger"]["enableBehavior"] == "any"
    for qid in ("weakness_fast", "self_harm_danger"):
        assert items[qid]["required"] is True
    assert items["fracture_risk"]["enableWhen"] == [
        {
            "question": "minor_trauma",
            "operator": "=",
            "answerCoding": {"system": f"{system}:minor_trauma", "code": "yes"},
        },
        {"question": "pain_duration_months", "operator": "<=", "answerDecimal": 3},
    ]
    (ext,) = [e for e in items["morning_stiffness"]["extension"] if e["url"].endswith("enableWhenExpression")]
    expression = ext["valueExpression"]["expression"]
    assert "/ 12)) < 45)" in expression and "linkId='age_years'" in expression


UNSURE_CHOICE_RULES = """
id: choice-unsure
version: "1"
title: T
disclaimer: D
sources: [{id: s, citation: S}]
sections: [{id: safety, title: Safety, safety: true}, {id: more, title: More}]
questions:
  - {id: age, section: more, type: integer, min: 0, max: 99, text: Age?}
  - {id: hurt, section: safety, type: boolean, text: Hurt?}
  - id: how
    section: safety
    type: choice
    text: How?
    choices: [{id: fall, label: A fall}, {id: lift, label: Lifting}]
  - {id: times, section: safety, type: integer, min: 0, max: 9, text: How many times?}
  - id: where
    section: safety
    type: multi_choice
    text: Where?
    choices: [{id: back, label: Back}, {id: knee, label: Knee}]
  - {id: not_a_fall, section: more, type: boolean, text: Not a fall?, ask_if: "how != 'fall'"}
  - {id: not_hurt, section: more, type: boolean, text: Not hurt?, ask_if: "hurt != True"}
  - {id: older, section: more, type: boolean, text: Older?, ask_if: "age * 2 > 100 or how != 'lift'"}
red_flags:
  - {id: f, when: hurt, level: see_doctor, urgency: days, title: F, message: M, source: s}
criteria:
  - {id: c, when: age > 50, title: C, explanation: E, source: s}
scores: [{id: total, title: T, criteria: all}]
levels: [{id: self_care, title: A, advice: A}, {id: see_doctor, title: B, advice: B}]
outcomes: [{level: self_care, score: total}]
"""


def test_not_sure_choice_and_types_that_cannot_offer_it(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(UNSURE_CHOICE_RULES, encoding="utf-8")
    # REDCap: 'not sure' is one more radio choice, and a != is guarded against it as against a blank
    result = run("form", "export", "-f", "redcap", "-r", str(rules))
    assert result.exit_code == 0, result.output
    rows = {r["Variable / Field Name"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["how"][CHOICES] == "fall, A fall | lift, Lifting | unsure, Not sure"
    assert rows["not_a_fall"][LOGIC] == "[how] <> '' and [how] <> 'unsure' and [how] <> 'fall'"
    assert rows["not_hurt"][LOGIC] == "[hurt] = '0'"  # the only known answer other than yes
    assert rows["older"][LOGIC] == (
        "([age] <> '' and ([age] * 2) > 100) or ([how] <> '' and [how] <> 'unsure' and [how] <> 'lift')"
    )
    assert (rows["times"]["Field Type"], rows["where"]["Field Type"]) == ("text", "checkbox")
    assert rows["times"]["Required Field?"] == rows["where"]["Required Field?"] == "y"
    assert "unsure" not in rows["where"][CHOICES]
    for qid in ("times", "where"):
        assert f"warning: question '{qid}'" in result.stderr and "cannot offer 'not sure'" in result.stderr
    # FHIR: one more answerOption; != comes with exists and != unsure
    resource, warnings = _questionnaire(str(rules))
    items = _items(resource)
    system = "urn:stm-screen:choices:choice-unsure"
    assert [o["valueCoding"]["code"] for o in items["how"]["answerOption"]] == ["fall", "lift", "unsure"]
    assert items["not_a_fall"]["enableWhen"] == [
        {"question": "how", "operator": "!=", "answerCoding": {"system": f"{system}:how", "code": "fall"}},
        {"question": "how", "operator": "exists", "answerBoolean": True},
        {"question": "how", "operator": "!=", "answerCoding": {"system": f"{system}:how", "code": "unsure"}},
    ]
    assert items["not_hurt"]["enableWhen"] == [
        {"question": "hurt", "operator": "=", "answerCoding": {"system": f"{system}:hurt", "code": "no"}}
    ]
    (ext,) = [e for e in items["older"]["extension"] if e["url"].endswith("enableWhenExpression")]
    assert ext["valueExpression"]["expression"] == (
        "iif(((%resource.repeat(item).where(linkId='age').answer.value * 2) > 100) or "
        "(%resource.repeat(item).where(linkId='how').answer.value.where(code != 'unsure').code != 'lift'), "
        "true, false)"
    )
    assert (items["times"]["type"], items["where"]["type"]) == ("integer", "choice")
    assert [o["valueCoding"]["code"] for o in items["where"]["answerOption"]] == ["back", "knee"]
    assert "question 'times'" in warnings and "question 'where'" in warnings
    from fhir.resources.R4B.questionnaire import Questionnaire

    Questionnaire.model_validate(resource)
