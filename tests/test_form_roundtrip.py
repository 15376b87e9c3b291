"""Round trips: form export -> what the survey platform exports -> ``batch`` gives what ``score`` gives.

The REDCap raw export and the FHIR QuestionnaireResponses are built from the exported *form* (the data
dictionary and the Questionnaire), not from the ruleset, so a wrong code or type in the form shows up here
(a 'not sure' answer the form does not offer fails the test). Answer sets: the ruleset's examples (through
``score``) and random pt-screen 2.0 answer sets with blanks, 'not sure' answers and gated questions, both as
a form keeps them after hiding questions and with stale answers to hidden questions left in.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.core.answers import check_answers
from stm_screen.core.engine import Scorer
from stm_screen.core.explain import explain
from stm_screen.rules.loader import load_ruleset
from tests.test_form_logic import (
    answer_sets,
    canonical,
    redcap_codes,
    redcap_fields,
    redcap_record,
    redcap_shows,
    response_for,
)

runner = CliRunner()
__all__ = ["examples", "redcap_raw_export", "response_for"]  # also used by test_fhir_batch


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def examples(ruleset: Any) -> list[dict[str, Any]]:
    return [dict(e.answers) for e in ruleset.examples]


def scored(tmp_path: Path, answers: dict[str, Any]) -> dict[str, Any]:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    result = run("score", str(path), "-f", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def scored_here(ruleset: Any, answers: Mapping[str, Any]) -> dict[str, Any]:
    """What ``score -f json`` prints, computed in this process (the same check and explain)."""
    return explain(
        ruleset, check_answers(ruleset, {k: v for k, v in answers.items() if v is not None})
    ).to_dict()


# --- REDCap -------------------------------------------------------------------------------------------


def redcap_raw_export(dictionary_csv: str, records: list[dict[str, Any]], *, hide: bool = False) -> str:
    from stm_screen.rules.loader import load_ruleset

    ruleset = load_ruleset(None)
    """A REDCap "CSV (raw data)" export of a project built from this data dictionary. With ``hide`` a
    field that its branching logic hides is blank (REDCap clears a value when its field is hidden); without
    it every answer is kept, like a value entered before the answer it depends on changed."""
    fields = redcap_fields(dictionary_csv)
    form = next(iter(fields.values()))["Form Name"]
    header: list[str] = []
    for name, f in fields.items():
        if f["Field Type"] == "checkbox":
            header += [f"{name}___{code}" for code in redcap_codes(f)]
        else:
            header.append(name)
    header.append(f"{form}_complete")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for n, answers in enumerate(records, 1):
        kept = dict(answers)
        if hide:
            for name, f in fields.items():
                logic = f["Branching Logic (Show field only if...)"]
                if name != "record_id" and not redcap_shows(
                    logic, fields, redcap_record(fields, kept, ruleset)
                ):
                    kept[name] = None
        cells = {"record_id": str(n), f"{form}_complete": "2", **redcap_record(fields, kept, ruleset)}
        writer.writerow([cells[column] for column in header])
    return out.getvalue()


def test_redcap_export_columns_follow_the_dictionary(ruleset: Any) -> None:
    dictionary = run("form", "export", "-f", "redcap").stdout
    raw = redcap_raw_export(dictionary, examples(ruleset)[:1])
    header = raw.splitlines()[0].split(",")
    assert header[0] == "record_id" and header[-1] == "pt_screen_complete"
    assert "pain_areas___low_back" in header and "pain_areas" not in header
    assert "pain_areas___mid_back" in header
    first = dict(zip(header, raw.splitlines()[1].split(","), strict=True))
    assert first["pain_areas___low_back"] == "1" and first["pain_areas___neck_shoulder"] == "0"
    assert first["night_pain"] == "0"


def test_redcap_export_writes_not_sure_as_its_code() -> None:
    dictionary = run("form", "export", "-f", "redcap").stdout
    raw = redcap_raw_export(dictionary, [{"night_pain": "unsure", "fever_or_unwell": True}])
    first = dict(zip(*(line.split(",") for line in raw.splitlines()), strict=True))
    assert (first["night_pain"], first["fever_or_unwell"], first["calf_swelling"]) == ("unsure", "1", "")


def _agrees(row: Mapping[str, Any], expected: Mapping[str, Any], answers: Any) -> None:
    assert row["status"] == ("ok" if expected["complete"] else "incomplete"), (row, answers)
    assert row["level"] == expected["level"], (row, expected["title"], answers)
    assert float(row["score"]) == expected["score"], (row, answers)
    assert row["red_flags"] == [f["id"] for f in expected["red_flags"]], (row, answers)
    assert row["unanswered_red_flags"] == [f["id"] for f in expected["red_flags_not_ruled_out"]], row
    assert (row.get("urgency") or None) == expected["urgency"], (row, answers)


def _batch(tmp_path: Path, name: str, text: str, preset: str, *extra: str) -> list[dict[str, Any]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run("batch", str(path), "--preset", preset, "--format", "jsonl", "--output", "-", *extra)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_redcap_round_trip(ruleset: Any, tmp_path: Path) -> None:
    records = examples(ruleset)
    expected = [scored(tmp_path, answers) for answers in records]
    dictionary = run("form", "export", "-f", "redcap").stdout
    for hide in (False, True):
        rows = _batch(
            tmp_path,
            "Project_DATA_2024-03-05_0912.csv",
            redcap_raw_export(dictionary, records, hide=hide),
            "redcap",
        )
        assert len(rows) == len(records)
        for row, answers, result in zip(rows, records, expected, strict=True):
            _agrees(row, result, answers)
    # the examples include 'not sure' answers, unanswered safety questions and stale answers to gated ones
    assert any("unsure" in a.values() for a in records)
    assert any(not scored_here(ruleset, a)["complete"] for a in records)


RULESET = load_ruleset()
RANDOM_RECORDS = st.lists(answer_sets(RULESET), min_size=25, max_size=25)
# REDCap stores an unticked checkbox as 0 whether or not the question was answered, and batch reads a
# record with none ticked as answered with none; pain_areas is a required field, so a form always has one.
CHECKBOXES = [q.id for q in RULESET.questions if q.type == "multi_choice"]
REDCAP_RECORDS = st.lists(answer_sets(RULESET, tuple(CHECKBOXES)), min_size=25, max_size=25)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=REDCAP_RECORDS)
def test_redcap_round_trip_of_random_answers(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    dictionary = run("form", "export", "-f", "redcap").stdout
    # a question that none of the random records answered has no column: scored as blank, as scored_here does
    rows = _batch(
        tmp_path, "export.csv", redcap_raw_export(dictionary, records, hide=True), "redcap", "--allow-missing"
    )
    for row, answers in zip(rows, records, strict=True):
        _agrees(row, scored_here(RULESET, answers), answers)


# --- FHIR ---------------------------------------------------------------------------------------------


def test_responses_from_the_questionnaire_are_valid(ruleset: Any) -> None:
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    questionnaire = json.loads(run("form", "export", "-f", "fhir").stdout)
    for answers in examples(ruleset):
        for drop in (False, True):
            QuestionnaireResponse.model_validate(response_for(questionnaire, answers, drop_disabled=drop))


def test_not_sure_is_the_unsure_coding_of_the_form() -> None:
    questionnaire = json.loads(run("form", "export", "-f", "fhir").stdout)
    qr = response_for(questionnaire, {"night_pain": "unsure", "fever_or_unwell": True, "pain_trend": "worse"})
    answers = {i["linkId"]: i["answer"] for g in qr["item"] for i in g["item"]}
    system = "urn:stm-screen:choices:pt-screen"
    coding = {k: v for k, v in answers["night_pain"][0]["valueCoding"].items() if k != "_display"}
    assert len(answers["night_pain"]) == 1
    assert coding == {"system": f"{system}:night_pain", "code": "unsure", "display": "Not sure"}
    assert answers["fever_or_unwell"][0]["valueCoding"]["code"] == "yes"


def _bundle(questionnaire: dict[str, Any], records: list[dict[str, Any]], drop: bool) -> str:
    entries = [{"resource": response_for(questionnaire, a, drop_disabled=drop)} for a in records]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})


def test_fhir_round_trip(ruleset: Any, tmp_path: Path) -> None:
    records = examples(ruleset)
    expected = [scored(tmp_path, answers) for answers in records]
    questionnaire = json.loads(run("form", "export", "-f", "fhir").stdout)
    for drop in (False, True):
        rows = _batch(tmp_path, "responses.json", _bundle(questionnaire, records, drop), "fhir")
        assert len(rows) == len(records)
        for row, answers, result in zip(rows, records, expected, strict=True):
            _agrees(row, result, answers)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=RANDOM_RECORDS)
def test_fhir_round_trip_of_random_answers(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    questionnaire = json.loads(run("form", "export", "-f", "fhir").stdout)
    # a question that none of the random records answered has no item at all: scored as blank, as here
    rows = _batch(
        tmp_path, "responses.json", _bundle(questionnaire, records, True), "fhir", "--allow-missing"
    )
    for row, answers in zip(rows, records, strict=True):
        _agrees(row, scored_here(RULESET, answers), answers)


def test_stale_answers_to_hidden_questions_do_not_count(tmp_path: Path) -> None:
    """LHC-Forms keeps the answer of an item an expression hides: 'yes' to blood thinners with no fall must
    not raise the warning sign, in batch as in score."""
    base = next(
        dict(e.answers) for e in RULESET.examples if e.name.startswith("not sure about blood thinners")
    )
    answers = {**base, "minor_trauma": False, "major_trauma": False, "blood_thinners": True}
    values = canonical(answers)
    assert "blood_thinners" in Scorer(RULESET).evaluate(values).skipped
    expected = scored(tmp_path, answers)
    assert "injury_on_blood_thinners" not in [f["id"] for f in expected["red_flags"]]
    questionnaire = json.loads(run("form", "export", "-f", "fhir").stdout)
    (row,) = _batch(tmp_path, "stale.json", _bundle(questionnaire, [answers], False), "fhir")
    _agrees(row, expected, answers)
    dictionary = run("form", "export", "-f", "redcap").stdout
    (row,) = _batch(tmp_path, "stale.csv", redcap_raw_export(dictionary, [answers]), "redcap")
    _agrees(row, expected, answers)
