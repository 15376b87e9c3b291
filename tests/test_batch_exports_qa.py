"""Exports as the platforms really write them (QA against the shared survey-exports notes): each test pins a
bug that was fixed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from tests.batch_helpers import BATCH, fixtures, invoke, rows

TEXT = fixtures.TEXT
LABEL = fixtures.LABEL
REST = fixtures.ORDER[2:]  # the questions after pain_duration_months and pain_areas


DEFAULTS = {
    "age_years": "40",
    "pain_trend": fixtures.TREND["same"],
    "pain_intensity": "5",
    "activity_limitation": "5",
}


def answers(**given: str) -> list[str]:
    """Answers for every question after pain_areas (40 years old, no warning signs: No), overridden by
    ``given``."""
    return [given.get(q, DEFAULTS.get(q, "No")) for q in REST]


def write(path: Path, table: list[list[str]], newline: str = "\n") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(table)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


# --- REDCap labels export with label headers ------------------------------------------------------------


def test_redcap_label_headers_fixture_is_read_as_redcap() -> None:
    result = invoke(str(BATCH / "redcap_label_headers.csv"))
    assert "as a redcap export (detected" in result.stderr
    assert rows(result.stdout)[0]["id"] == "1/Baseline (Arm 1: Arm 1)"
    # the platform's own columns are left out quietly, not offered as unmatched
    assert "match no question" not in result.stderr


def test_redcap_label_headers_keep_events_apart_and_read_missing_codes(tmp_path: Path) -> None:
    head = ["Record ID", "Event Name", "Repeat Instrument", "Repeat Instance", "Survey Timestamp",
            TEXT["pain_duration_months"], *[f"{TEXT['pain_areas']} (choice={label})" for label in LABEL.values()],
            *[TEXT[q] for q in REST], "Complete?"]  # fmt: skip

    def record(rid: str, event: str, **given: str) -> list[str]:
        ticks = ["Checked" if c == "tendon" else "Unchecked" for c in LABEL]
        return [rid, event, "", "", "2024-03-05 15:52:43", "24", *ticks, *answers(**given), "Complete"]

    path = write(
        tmp_path / "Pain_DATA_LABELS_2024-03-05_1038.csv",
        [
            head,
            record("1", "Baseline (Arm 1: Arm 1)"),
            record("1", "Follow-up (Arm 1: Arm 1)", night_pain="Yes"),
            record("2", "Baseline (Arm 1: Arm 1)", night_pain="UNK"),
        ],
        newline="\r\n",
    )
    result = invoke(str(path))
    assert result.exit_code == 0, result.output
    got = rows(result.stdout)
    assert [r["id"] for r in got] == [
        "1/Baseline (Arm 1: Arm 1)",
        "1/Follow-up (Arm 1: Arm 1)",
        "2/Baseline (Arm 1: Arm 1)",
    ]
    assert [r["status"] for r in got] == ["ok", "ok", "incomplete"]
    assert got[1]["level"] == "see_doctor"
    assert got[2]["unanswered_red_flags"] == "constant_night_pain"


# --- duplicated question titles (Google Forms, Microsoft Forms; pandas' '.1' once re-saved) --------------


def test_pandas_suffix_on_a_question_text_header_is_understood(tmp_path: Path) -> None:
    # A re-saved Microsoft Forms sheet whose night-pain title was duplicated: pandas wrote 'Title.1'.
    head = ["ID", TEXT["pain_duration_months"], TEXT["pain_areas"], *[TEXT[q] for q in REST if q != "night_pain"],
            TEXT["night_pain"] + ".1"]  # fmt: skip
    given = answers(night_pain="Yes")
    cells = [
        "24",
        LABEL["low_back"],
        *[a for q, a in zip(REST, given, strict=True) if q != "night_pain"],
        "Yes",
    ]
    result = invoke(str(write(tmp_path / "forms.csv", [head, ["1", *cells]])))
    assert result.exit_code == 0, result.output
    assert rows(result.stdout)[0]["red_flags"] == "constant_night_pain"
    assert "match no question" not in result.stderr


def test_identical_duplicate_headers_can_be_told_apart_in_a_mapping(tmp_path: Path) -> None:
    title = TEXT["pain_intensity"]
    head = ["Timestamp", title, TEXT["pain_duration_months"], TEXT["pain_areas"],
            *[TEXT[q] for q in REST if q != "pain_intensity"], title]  # fmt: skip
    body = [
        "24",
        LABEL["tendon"],
        *[a for q, a in zip(REST, answers(), strict=True) if q != "pain_intensity"],
    ]
    data = write(tmp_path / "sheet.csv", [head, ["3/5/2024 9:12:03", "5", *body, "11"]])
    refused = invoke(str(data))
    assert refused.exit_code == 1
    # the message says how a mapping file names the second column
    assert f"'{title}.1'" in refused.stderr
    mapping = tmp_path / "map.yaml"
    mapping.write_text(f'columns:\n  "{title}": pain_intensity\n  "{title}.1": null\n', encoding="utf-8")
    result = invoke(str(data), "--map", str(mapping))
    assert result.exit_code == 0, result.output
    assert rows(result.stdout)[0]["status"] == "ok"
    # and the other way round: the second column is the one kept
    mapping.write_text(f'columns:\n  "{title}": null\n  "{title}.1": pain_intensity\n', encoding="utf-8")
    result = invoke(str(data), "--map", str(mapping))
    assert result.exit_code == 1 and "'11'" in rows(result.stdout)[0]["error"]


def test_suggest_map_for_duplicate_headers_is_a_usable_mapping(tmp_path: Path) -> None:
    title = TEXT["pain_intensity"]
    head = ["Timestamp", title, TEXT["pain_duration_months"], TEXT["pain_areas"],
            *[TEXT[q] for q in REST if q != "pain_intensity"], title]  # fmt: skip
    body = [
        "24",
        LABEL["tendon"],
        *[a for q, a in zip(REST, answers(), strict=True) if q != "pain_intensity"],
    ]
    data = write(tmp_path / "sheet.csv", [head, ["3/5/2024 9:12:03", "5", *body, "6"]])
    mapping = tmp_path / "map.yaml"
    suggested = invoke(str(data), "--suggest-map", "-o", str(mapping))
    assert suggested.exit_code == 0, suggested.output
    result = invoke(str(data), "--map", str(mapping))
    assert result.exit_code == 0, result.output
    assert rows(result.stdout)[0]["status"] == "ok"


def test_suggest_map_guesses_no_question_that_already_has_its_columns(tmp_path: Path) -> None:
    # Qualtrics with split multi-select columns, an 'Other' text column and a display-order column: the
    # two extra columns look like the pain-areas question, which its split columns already answer.
    tags = ["ResponseId", "StartDate", "Q1", *[f"Q2_{i}" for i in range(1, 9)], "Q2_8_TEXT", "Q2_DO"]
    texts = ["Response ID", "Start Date", TEXT["pain_duration_months"],
             *[f"{TEXT['pain_areas']} - Selected Choice - {label}" for label in LABEL.values()],
             f"{TEXT['pain_areas']} - Somewhere else - Text", f"{TEXT['pain_areas']} - Display Order"]  # fmt: skip
    tags += list(REST)
    texts += [TEXT[q] for q in REST]
    imports = [json.dumps({"ImportId": t}) for t in tags]
    record = ["R_1a2B3c4D5e6F7g8", "2024-03-05 09:12:03", "24", "Lower back", *[""] * 6, "Somewhere else",
              "left hip", "1|2|3|4|5|6|7|8", *answers()]  # fmt: skip
    data = write(tmp_path / "q.csv", [tags, texts, imports, record])
    mapping = tmp_path / "map.yaml"
    assert invoke(str(data), "--suggest-map", "-o", str(mapping)).exit_code == 0
    text = mapping.read_text(encoding="utf-8")
    assert '"Q2_8_TEXT": pain_areas' not in text and '"Q2_DO": pain_areas' not in text
    result = invoke(str(data), "--map", str(mapping))
    assert result.exit_code == 0, result.output
    assert rows(result.stdout)[0]["status"] == "ok"


# --- FHIR: answers coded in a terminology (LOINC answer lists) ------------------------------------------

YES = {"system": "http://loinc.org", "code": "LA33-6", "display": "Yes"}
NO = {"system": "http://loinc.org", "code": "LA32-8", "display": "No"}


def test_fhir_coding_whose_code_is_not_an_answer_is_read_by_its_display(tmp_path: Path) -> None:
    # LHC-Forms and other FHIR form tools code yes/no with the LOINC answer list: code LA33-6, display Yes.
    def response(rid: str, yes: tuple[str, ...]) -> dict[str, object]:
        safety = [
            {"linkId": q, "answer": [{"valueCoding": YES if q in yes else NO}]} for q in fixtures.SAFETY
        ]
        return {
            "resourceType": "QuestionnaireResponse",
            "id": rid,
            "status": "completed",
            "item": [
                {"linkId": "age_years", "answer": [{"valueInteger": 40}]},
                {"linkId": "pain_duration_months", "answer": [{"valueDecimal": 24}]},
                {"linkId": "pain_areas", "answer": [
                    {"valueCoding": {"system": "urn:site", "code": "site-7", "display": "Lower back"}},
                    {"valueCoding": {"code": "tendon", "display": "Tendon"}},
                ]},
                {"linkId": "safety", "item": safety},
                {"linkId": "tightness_trigger_points", "answer": [{"valueCoding": YES}]},
                {"linkId": "pain_intensity", "answer": [{"valueCoding": {"code": "LA6114-0", "display": "eleven"}}]},
            ],
        }  # fmt: skip

    good = response("qr-1", ())
    good["item"] = good["item"][:-1]  # type: ignore[index]
    bundle = {"resourceType": "Bundle", "type": "searchset",
              "entry": [{"resource": good}, {"resource": response("qr-2", ("night_pain",))}]}  # fmt: skip
    path = tmp_path / "responses.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    result = invoke(str(path))
    got = rows(result.stdout)
    assert got[0]["status"] == "ok", got[0]
    assert got[0]["criteria_met"] == "long_lasting_pain;tightness_or_trigger_points"
    # neither the code nor the display reads: the error quotes the code
    assert (
        got[1]["status"] == "error" and "pain_intensity" in got[1]["error"] and "LA6114-0" in got[1]["error"]
    )
    assert "night_pain" not in got[1]["error"]


# --- REDCap missing-data codes on a checkbox field --------------------------------------------------------


def test_redcap_checkbox_missing_code_columns(tmp_path: Path, ruleset: Any) -> None:
    # With Missing Data Codes enabled REDCap adds a column per code to each checkbox field
    # (pain_areas___unk, pain_areas___na): ticked means the question was not answered.
    head = ["record_id", "redcap_event_name", "pain_duration_months", *[f"pain_areas___{c}" for c in LABEL],
            "pain_areas___unk", "pain_areas___na", *REST, "pt_screen_complete"]  # fmt: skip
    yes_no = [a.replace("No", "0") for a in answers()]

    def record(rid: str, ticked: tuple[str, ...]) -> list[str]:
        boxes = ["1" if c in ticked else "0" for c in [*LABEL, "unk", "na"]]
        return [rid, "baseline_arm_1", "24", *boxes, *yes_no, "2"]

    path = write(tmp_path / "Pain_DATA_2024-03-05_1038.csv", [
        head, record("1", ("low_back",)), record("2", ("unk",)), record("3", ()), record("4", ("na", "unk")),
    ])  # fmt: skip
    result = invoke(str(path), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert "match no question" not in result.stderr  # the code columns belong to pain_areas
    got = [json.loads(line) for line in result.stdout.splitlines()]
    # unanswered pain areas (a missing-data code ticked) leave the warning signs that ask about the
    # spine open under pt-screen 2.0; none ticked is an answer (no area)
    assert [r["status"] for r in got] == ["ok", "incomplete", "ok", "incomplete"]
    assert "infection_risk_spine" in got[1]["unanswered_red_flags"] and got[1]["level"] == "see_doctor"
    # what was read for pain_areas: checked through the rules' notes is indirect, so ask the converter
    from stm_screen.batch.columns import Options, build_plan
    from stm_screen.batch.presets import PRESETS, Column

    plan = build_plan(
        [Column(i, h) for i, h in enumerate(head)], ruleset, PRESETS["redcap"], None, Options(), "x"
    )
    target = next(t for t in plan.targets if t.question.id == "pain_areas")
    read = [target.read(tuple(record(str(i), ticked)[j] for j in target.indices))
            for i, ticked in enumerate([("low_back",), ("unk",), (), ("na", "unk"), ("low_back", "unk")])]  # fmt: skip
    assert read == [frozenset({"low_back"}), None, frozenset(), None, frozenset({"low_back"})]


def test_unknown_item_of_a_joined_answer_is_quoted_as_typed_in_the_error(tmp_path: Path) -> None:
    # An item joined in with ', ' that is no choice: the error quotes it as typed, not with the space after
    # the comma (a plain export: no platform puts free text there).
    head = [TEXT["pain_duration_months"], TEXT["pain_areas"], *[TEXT[q] for q in REST]]
    path = write(tmp_path / "plain.csv", [head, ["24", "Lower back, my left hip", *answers()]])
    result = invoke(str(path), "--preset", "plain")
    assert result.exit_code == 1
    error = rows(result.stdout)[0]["error"]
    assert "'my left hip' is not a choice" in error, error


def test_forms_other_answer_as_typed_is_the_other_choice(tmp_path: Path) -> None:
    # Google Forms and Microsoft Forms put a checkbox question's free-text 'Other' answer in the joined
    # cell as typed (commas included): it is the question's 'other' choice, and the record is scored,
    # warning signs included, instead of failing on the respondent's own words.
    head = ["Timestamp", TEXT["pain_duration_months"], TEXT["pain_areas"], *[TEXT[q] for q in REST]]
    flagged = answers(progressive_weakness="Yes")
    sheet = write(
        tmp_path / "sheet.csv",
        [head, ["3/5/2024 9:12:03", "24", "Lower back, my left hip, mostly when walking", *flagged]],
    )
    result = invoke(str(sheet), "-f", "jsonl")
    assert "as a google-forms export (detected" in result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["status"] == "ok" and record["error"] is None, record
    assert record["red_flags"] and record["level"] in ("see_doctor", "emergency"), record
    ms_head = [
        "ID",
        "Start time",
        "Completion time",
        "Email",
        "Name",
        TEXT["pain_duration_months"],
        TEXT["pain_areas"],
        *[TEXT[q] for q in REST],
    ]
    ms = write(
        tmp_path / "ms.csv",
        [
            ms_head,
            [
                "1",
                "3/5/24 9:12:03",
                "3/5/24 9:15:41",
                "anonymous",
                "",
                "24",
                "Neck or shoulder;my jaw;",
                *answers(),
            ],
        ],
    )
    result = invoke(str(ms), "-f", "jsonl")
    assert "as a ms-forms export (detected" in result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["status"] == "ok", record
    # a question without an 'other' choice still refuses an unknown item
    from stm_screen.batch.values import ValueOptions, converter, other_choice
    from stm_screen.screening import load_rules

    q = load_rules().by_id["pain_areas"]
    assert other_choice(q) == "other"
    read = converter(q, ValueOptions(other_as_typed=True))
    assert read("Lower back, my left hip") == frozenset({"low_back", "other"})
    from stm_screen.core.answers import AnswerValueError
    from stm_screen.rules.loader import load_ruleset

    no_other = load_ruleset(Path(__file__).parent / "data" / "minimal.yaml").by_id["areas"]
    assert other_choice(no_other) is None
    try:
        converter(no_other, ValueOptions(other_as_typed=True))("Back, my left hip")
    except AnswerValueError as exc:
        assert "'my left hip' is not a choice" in str(exc)
    else:
        raise AssertionError("an unknown item was accepted for a question without an 'other' choice")


def test_redcap_eav_export_gets_a_hint_to_export_flat(tmp_path: Path) -> None:
    # REDCap's EAV layout (one row per answer) cannot be scored row by row: the message says which export
    # to make instead, for CSV and for API JSON alike (exit 2, like any file no column of which matches).
    csv_path = tmp_path / "eav.csv"
    csv_path.write_text(
        "record,redcap_event_name,field_name,value\n1,baseline_arm_1,pain_intensity,5\n", encoding="utf-8"
    )
    json_path = tmp_path / "eav.json"
    json_path.write_text(json.dumps([{"record": "1", "field_name": "pain_intensity", "value": "5"}]))
    for path in (csv_path, json_path):
        result = invoke(str(path))
        assert result.exit_code == 2, result.output
        assert "EAV layout" in result.stderr and "type=flat" in result.stderr, result.stderr
