"""Real exports that broke batch scoring in review (issue 11 follow-up), each adapted from a platform's own
layout (sources named in tests/data/batch/make_fixtures.py and next to each test)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.batch_helpers import BATCH, ROOT, expected, fixtures, invoke, rows


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_redcap_label_export_follow_up_rows_of_unchecked_boxes_are_skipped(ruleset: Any) -> None:
    """PyCap's API labels export (raw headers, label values): a follow-up event whose screening form was not
    filled has 'Unchecked' in every box; it answers nothing and is counted, not scored as 'incomplete'."""
    result = invoke(str(BATCH / "redcap_api_labels_longitudinal.csv"))
    got = rows(result.stdout)
    want = expected(ruleset)
    assert [r["id"] for r in got] == [f"{i}/Screening" for i in range(1, len(fixtures.PEOPLE) + 1)]
    for pid, row in zip(fixtures.PEOPLE, got, strict=True):
        assert (row["status"], row["level"]) == (want[pid]["status"], want[pid]["level"]), (pid, row)
    assert "6 rows of other events skipped, not scored: Follow-up 6" in result.stderr
    # --event names the event as the file has it: its rows are scored, empty or not
    result = invoke(str(BATCH / "redcap_api_labels_longitudinal.csv"), "--event", "Follow-up")
    got = rows(result.stdout)
    assert [r["id"] for r in got] == [f"{i}/Follow-up" for i in range(1, len(fixtures.PEOPLE) + 1)]
    assert {r["status"] for r in got} == {"incomplete"}


def _matches_core(got: list[dict[str, str]], ruleset: Any) -> None:
    want = expected(ruleset)
    assert len(got) == len(fixtures.PEOPLE)
    for pid, row in zip(fixtures.PEOPLE, got, strict=True):
        assert (row["status"], row["level"], row["urgency"]) == (
            want[pid]["status"],
            want[pid]["level"],
            want[pid]["urgency"],
        ), (pid, row)
        if row["status"] != "error":
            assert row["score"] == want[pid]["score"], (pid, row)


def test_an_export_through_pandas_reads_0_0_as_unticked_and_1_0_as_yes(ruleset: Any) -> None:
    """A REDCap raw export read into pandas and written back: '0.0' in a checkbox column was read as ticked
    (every pain area chosen), '1.0'/'0.0' in a yes/no field was refused."""
    result = invoke(str(BATCH / "redcap_through_pandas.csv"))
    got = rows(result.stdout)
    _matches_core(got, ruleset)
    assert [r["status"] for r in got] == ["ok", "ok", "ok", "incomplete", "error", "incomplete"]


def test_the_filled_in_csv_template_scores_with_its_description_row_left_in(tmp_path: Path) -> None:
    """A newcomer fills the template of 'form export csv' under its row of what each column accepts: that
    row was scored as a record (an error, exit 1), and the template had no column for the record id."""
    import csv
    import io

    from typer.testing import CliRunner

    from stm_screen.cli.app import app

    template = tmp_path / "template.csv"
    done = CliRunner().invoke(app, ["form", "export", "csv", "-o", str(template)])
    assert done.exit_code == 0, done.output
    header, described = list(csv.reader(io.StringIO(template.read_text(encoding="utf-8"))))
    answers = yaml.safe_load((ROOT / "docs" / "examples" / "answers.yaml").read_text(encoding="utf-8"))
    lines = [header, described]
    for rid in ("MRN-0042", "MRN-0107"):
        cells = {"id": rid, **answers}
        lines.append(
            [
                ";".join(v) if isinstance(v, list) else str(cells.get(h, ""))
                for h, v in ((h, cells.get(h, "")) for h in header)
            ]
        )
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(lines)  # as a spreadsheet saves it
    filled = tmp_path / "filled.csv"
    filled.write_text(buf.getvalue(), encoding="utf-8")
    result = invoke(str(filled))
    assert result.exit_code == 0, result.output
    got = rows(result.stdout)
    assert [(r["row"], r["id"], r["status"], r["level"]) for r in got] == [
        ("1", "MRN-0042", "ok", "pt_recommended"),
        ("2", "MRN-0107", "ok", "pt_recommended"),
    ]
    assert "row 2 says what each column accepts" in result.stderr
    # a template with its description row and no record is a file without records
    template_only = invoke(str(template))
    assert template_only.exit_code == 1 and "no records" in template_only.stderr


def test_a_duration_typed_with_its_unit_in_a_free_text_field(tmp_path: Path, ruleset: Any) -> None:
    """A Google Forms (or Qualtrics, SurveyMonkey, Microsoft Forms) short-answer field takes what the
    question's own help invites ('You can also type weeks or years'): '2 years', '8 weeks'. batch and score
    refused them although the questionnaire and the README take units."""
    import csv
    import io

    from typer.testing import CliRunner

    from stm_screen.cli.app import app

    typed = {"A": "2 years", "B": "2 mo", "C": "1.5 months", "D": "1 year", "E": "6 months", "F": "4 Months"}
    lines = list(csv.reader(io.StringIO((BATCH / "google_forms.csv").read_text(encoding="utf-8"))))
    col = lines[0].index(ruleset.by_id["pain_duration_months"].text.default)
    for line, pid in zip(lines[1:], fixtures.PEOPLE, strict=True):
        line[col] = typed[pid]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(lines)
    path = tmp_path / "Form Responses 1.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    _matches_core(rows(invoke(str(path)).stdout), ruleset)
    weeks = tmp_path / "weeks.csv"
    weeks.write_text("id,pain_duration_months,age_years\nw,13 weeks,40 years\n", encoding="utf-8")
    got = _jsonl(invoke(str(weeks), "-f", "jsonl", "--allow-missing").stdout)
    assert got[0]["status"] == "incomplete" and "long_lasting_pain" not in got[0]["criteria_met"]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,pain_duration_months\nb,6 parsecs\n", encoding="utf-8")
    got = _jsonl(invoke(str(bad), "-f", "jsonl", "--allow-missing").stdout)
    assert got[0]["status"] == "error" and "'6 parsecs' is not a number" in got[0]["error"]
    # score reads the same answers
    answers = yaml.safe_load((ROOT / "docs" / "examples" / "answers.yaml").read_text(encoding="utf-8"))
    answers["pain_duration_months"] = "2 yrs"
    file = tmp_path / "answers.json"
    file.write_text(json.dumps(answers), encoding="utf-8")
    result = CliRunner().invoke(app, ["score", str(file), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answers"]["pain_duration_months"] == 24


def test_a_fhir_quantity_answer_keeps_its_unit_of_time(tmp_path: Path) -> None:
    """A form filler may answer a duration with valueQuantity (UCUM code 'a' = years, or a unit word):
    {value: 2, code: a} was read as 2 months, and a long-lasting pain was missed."""
    answers = yaml.safe_load((ROOT / "docs" / "examples" / "answers.yaml").read_text(encoding="utf-8"))

    def response(duration: dict[str, Any]) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for qid, value in answers.items():
            if qid == "pain_duration_months":
                items.append({"linkId": qid, "answer": [{"valueQuantity": duration}]})
            elif isinstance(value, list):
                items.append({"linkId": qid, "answer": [{"valueCoding": {"code": v}} for v in value]})
            elif isinstance(value, bool):
                items.append({"linkId": qid, "answer": [{"valueBoolean": value}]})
            elif isinstance(value, int):
                items.append({"linkId": qid, "answer": [{"valueInteger": value}]})
            else:
                items.append({"linkId": qid, "answer": [{"valueString": value}]})
        return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}

    ucum = "http://unitsofmeasure.org"
    durations = [
        {"value": 2, "unit": "years", "system": ucum, "code": "a"},  # 24 months: long-lasting
        {"value": 2, "unit": "mo", "system": ucum, "code": "mo"},  # 2 months
        {"value": 20, "unit": "weeks"},  # 4.6 months, a unit word without a code
        {"value": 8},  # no unit: the question's own (months)
        {"value": 3, "unit": "kg", "system": ucum, "code": "kg"},  # not a unit of time: the value as before
    ]
    path = tmp_path / "qr.json"
    path.write_text(json.dumps([response(d) for d in durations]), encoding="utf-8")
    got = _jsonl(invoke(str(path), "-f", "jsonl").stdout)
    long_lasting = ["long_lasting_pain" in r["criteria_met"] for r in got]
    assert long_lasting == [True, False, True, True, True], got


def test_an_event_that_no_row_has_is_a_usage_error(tmp_path: Path) -> None:
    """'--event screening_arm_1' on a labels export (whose event column holds 'Screening'): every row was
    skipped and the run ended with exit 0 and an empty result, which a script takes for success."""
    out = tmp_path / "scored.csv"
    result = invoke(str(BATCH / "redcap_api_labels_longitudinal.csv"), "--event", "screening_arm_1", "-o", str(out))
    assert result.exit_code == 2
    assert "no row of screening_arm_1 in the input, so nothing was scored" in result.stderr
    assert "the events in the input: Follow-up, Screening" in result.stderr
    assert not out.exists()
    # several inputs: a file without the event is named, the run goes on
    both = invoke(str(BATCH / "redcap_api_labels_longitudinal.csv"), str(BATCH / "redcap_raw.csv"), "--event", "baseline_arm_1")
    assert both.exit_code == 1  # redcap_raw.csv's person E has an out-of-range answer
    assert "redcap_api_labels_longitudinal.csv: no row of event baseline_arm_1" in both.stderr
    assert len(rows(both.stdout)) == len(fixtures.PEOPLE)


def _transaction(*args: str) -> dict[str, Any]:
    result = invoke(*args, "-f", "fhir", "--fhir-bundle", "transaction")
    assert result.exit_code in (0, 1), result.output
    bundle: dict[str, Any] = json.loads(result.stdout)
    return bundle


def test_a_record_without_an_id_is_never_taken_for_another(tmp_path: Path, monkeypatch: Any) -> None:
    """Google Forms gives no response id: the conditional create matched on 'FILE:ROW', so a second form's
    'Form Responses 1.csv' (Google's name for every download), or the same sheet sorted, had its row 1
    taken for the first one's and silently not stored. The same response sent again still matches."""
    text = (BATCH / "google_forms.csv").read_text(encoding="utf-8")
    head, *lines = text.splitlines(keepends=True)
    contents = {"clinic-a": text, "clinic-b": head + "".join(reversed(lines))}  # other people, other order
    found: dict[str, list[str]] = {}
    for folder, content in contents.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "Form Responses 1.csv").write_text(content, encoding="utf-8")
        monkeypatch.chdir(tmp_path / folder)
        found[folder] = [e["request"]["ifNoneExist"] for e in _transaction("Form Responses 1.csv")["entry"]]
    assert len(found["clinic-a"]) == 2 * (len(fixtures.PEOPLE) - 1)  # person E has an error: left out
    assert not set(found["clinic-a"]) & set(found["clinic-b"]), "two people taken for one"
    again = [e["request"]["ifNoneExist"] for e in _transaction("Form Responses 1.csv")["entry"]]
    assert again == found["clinic-b"]  # the same responses sent again: the same conditions


def test_a_malformed_subject_or_identifier_is_not_carried_into_the_output(tmp_path: Path) -> None:
    """A response whose identifier or subject is not well formed was copied as it was: the transaction
    Bundle was invalid and a server refuses all of it for one entry."""
    from tests.fhir_validate import assert_valid

    answers = yaml.safe_load((ROOT / "docs" / "examples" / "answers.yaml").read_text(encoding="utf-8"))
    items = [
        {"linkId": k, "answer": [{"valueString": ";".join(v) if isinstance(v, list) else str(v)}]}
        for k, v in answers.items()
    ]
    good = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}
    responses = [
        {**good, "identifier": {"value": {"x": 1}}, "subject": {"reference": 5}},
        {**good, "identifier": "abc", "subject": "Patient/1"},
        {**good, "identifier": [{"system": "urn:x", "value": "r-3"}], "subject": {"identifier": {"value": 7}}},
        {**good, "identifier": {"system": "urn:x", "value": "r-4"}, "subject": {"reference": "Patient/4"}},
    ]
    path = tmp_path / "qrs.json"
    path.write_text(json.dumps(responses), encoding="utf-8")
    bundle = _transaction(str(path))
    assert_valid(bundle)
    qrs = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    assert [qr.get("identifier", {}).get("value", "")[:4] for qr in qrs][2:] == ["r-3", "r-4"]
    assert qrs[3]["subject"] == {"reference": "Patient/4"}
    assert "subject" not in qrs[2] or "identifier" not in qrs[2]["subject"]


def test_suggest_map_reads_odk_and_kobo_columns_as_batch_does(tmp_path: Path) -> None:
    """--suggest-map on an ODK Central export marked every group path ('safety-night_pain') as a fuzzy
    guess to check, and listed Kobo's 'Question/Option' columns as matching no question, though batch
    reads both with no mapping file."""
    for name in ("odk_central_export.csv", "kobo_export.csv"):
        export = str(ROOT / "docs" / "examples" / name)
        starter = invoke(export, "--suggest-map")
        assert starter.exit_code == 0, starter.output
        text = starter.stdout
        assert "# guess" not in text and "match no question" not in text, text
        assert "  # \"" not in text  # no column left for a person to map
        mapping = tmp_path / f"{name}.yaml"
        mapping.write_text(text, encoding="utf-8")
        assert invoke(export, "--map", str(mapping)).stdout == invoke(export).stdout


def test_response_system_names_a_projects_record_ids(tmp_path: Path) -> None:
    """REDCap numbers records 1, 2, 3 in every project: in the shared urn:stm-screen:response system, a
    transaction of a second project matched its record 101 on the first project's and stored nothing, and
    said nothing. --response-system names each project's system; without it the run says so."""
    export = (ROOT / "docs" / "examples" / "redcap_export.csv").read_text(encoding="utf-8")
    other = tmp_path / "other_project.csv"
    other.write_text(export.replace(",40,0,2,", ",71,0,30,"), encoding="utf-8")  # other people, same ids

    def send(path: Path, *system: str) -> tuple[list[str], str]:
        result = invoke(str(path), "--event", "screening_arm_1", "-f", "fhir", "--fhir-bundle", "transaction", *system)
        assert result.exit_code == 0, result.output
        entries = json.loads(result.stdout)["entry"]
        return [e["request"]["ifNoneExist"] for e in entries[::2]], result.stderr

    a, err = send(ROOT / "docs" / "examples" / "redcap_export.csv")
    b, _ = send(other)
    assert a == b  # the same conditions for other people: the clash the note warns of
    assert "name this project's system with --response-system URI" in err
    a, err = send(ROOT / "docs" / "examples" / "redcap_export.csv", "--response-system", "https://redcap.example.org/p/1")
    b, _ = send(other, "--response-system", "https://redcap.example.org/p/2")
    assert not set(a) & set(b) and "--response-system URI" not in err
    assert a[0] == "identifier=https://redcap.example.org/p/1|101/screening_arm_1"
    assert invoke(str(other), "--response-system", "https://x.example.org").exit_code == 2  # FHIR output only
    bad = invoke(str(other), "-f", "fhir", "--response-system", "project 1")
    assert bad.exit_code == 2 and "not an absolute URI" in bad.stderr


def test_surveymonkey_numeric_yes_no_is_not_read_on_a_guess(tmp_path: Path, ruleset: Any) -> None:
    """SurveyMonkey's "numerical value" export writes a choice's number: on a form listing No before Yes,
    1 means no, and it was read as yes (a warning sign for every patient who said no)."""
    lines = (BATCH / "surveymonkey.csv").read_bytes().decode("utf-8").split("\r\n")
    import re

    def number(line: str) -> str:
        return re.sub(r"(?<=,)Yes(?=,|$)", "2", re.sub(r"(?<=,)No(?=,|$)", "1", line))

    numeric = [*lines[:2], *(number(line) for line in lines[2:])]
    path = tmp_path / "numeric.csv"
    path.write_bytes("\r\n".join(numeric).encode("utf-8"))
    got = rows(invoke(str(path)).stdout)
    assert {r["status"] for r in got} == {"error"}
    assert all("numeric recode" in r["error"] for r in got)
    mapping = tmp_path / "map.yaml"
    text = ruleset.by_id["night_pain"].text.default
    mapping.write_text(f'columns:\n  "{text}": {{question: night_pain, values: {{"1": no, "2": yes}}}}\n', encoding="utf-8")
    mapped = rows(invoke(str(path), "--map", str(mapping)).stdout)
    assert "night_pain" not in mapped[0]["error"] and "numeric recode" in mapped[0]["error"]
