"""Bad files, bad records, output safety, several inputs, formats, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.batch_helpers import BATCH, invoke, rows


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "the file is empty"),
        ("header_only.csv", "has column headers but no records"),
        ("binary.csv", "binary file"),
        ("latin1.csv", "latin1.csv:2: the file is not UTF-8 text"),
        ("duplicate_columns.csv", "columns 2 ('pain_intensity') and 3 ('Pain_Intensity') both answer"),
    ],
)
def test_bad_files_exit_1_without_output(tmp_path: Path, name: str, message: str) -> None:
    out = tmp_path / "out.csv"
    result = invoke(str(BATCH / name), "-o", str(out))
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temp file left either
    assert "Traceback" not in result.output


def test_no_matching_column_is_a_mapping_error(tmp_path: Path) -> None:
    result = invoke(str(BATCH / "no_questions.csv"))
    assert result.exit_code == 2
    assert "no column matches a question" in result.stderr and "--suggest-map" in result.stderr


def test_missing_file_and_utf16_without_bom(tmp_path: Path) -> None:
    assert "no such file" in invoke(str(tmp_path / "nope.csv")).stderr
    p = tmp_path / "u16.csv"
    p.write_bytes("id,pain_intensity\n1,3\n".encode("utf-16-le"))
    result = invoke(str(p))
    assert result.exit_code == 1 and "UTF-16 text without a byte-order mark" in result.stderr


def test_ragged_rows_are_records_with_errors() -> None:
    result = invoke(str(BATCH / "ragged.csv"), "--allow-missing")  # a file of three columns only
    assert result.exit_code == 1
    got = rows(result.stdout)
    assert [r["row"] for r in got] == ["1", "2", "3", "4"]  # every record accounted for, in order
    assert got[1]["status"] == "error" and "2 cells but the header has 3" in got[1]["error"]
    assert got[2]["status"] == "error" and "4 cells" in got[2]["error"]
    assert got[3]["status"] == "incomplete"  # a trailing empty cell is only a trailing delimiter


def test_bad_values_name_column_value_and_allowed() -> None:
    result = invoke(str(BATCH / "bad_values.csv"), "--allow-missing")
    assert result.exit_code == 1
    errors = [r["error"] for r in rows(result.stdout)]
    assert errors[0].startswith(
        "pain_duration_months: 'abc' is not a number; allowed: a number from 0 to 600"
    )
    assert "'knees' is not a choice" in errors[1] and "low_back" in errors[1]
    assert "'11' is out of range; allowed: a whole number from 0 to 10" in errors[2]
    assert "'maybe' is not yes, no or not sure" in errors[3] and "unsure" in errors[3]
    assert "use --decimal-comma" in errors[4]
    assert "first records with errors:" in result.stderr and "row 3: pain_intensity" in result.stderr
    assert "5 error" in result.stderr


def test_formula_injection_is_neutralised() -> None:
    result = invoke(str(BATCH / "injection.csv"), "--allow-missing")
    got = rows(result.stdout)
    assert [r["id"] for r in got] == ['\'=HYPERLINK("http://x")', "'+1", "'@SUM(A1)", "'-2", "'\tx"]
    for r in got:
        for value in r.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), r


def test_jsonl_keeps_exact_values_and_same_fields() -> None:
    result = invoke(str(BATCH / "injection.csv"), "--format", "jsonl", "--allow-missing")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["id"] for d in lines] == ['=HYPERLINK("http://x")', "+1", "@SUM(A1)", "-2", "\tx"]
    assert list(lines[0]) == ["row", "id", "status", "level", "urgency", "score", "red_flags", "criteria_met",
                              "unanswered_red_flags", "unanswered_urgency", "error"]  # fmt: skip
    assert lines[0]["unanswered_red_flags"][0] == "cauda_equina_bladder"
    assert lines[0]["unanswered_urgency"] == "now"  # the bladder sign, among others, is an emergency if it fits


def test_several_inputs_add_a_file_column(tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    result = invoke(str(BATCH / "plain_ids.csv"), str(BATCH / "redcap_raw.csv"), "-o", str(out))
    assert result.exit_code == 1
    got = rows(out.read_text(encoding="utf-8"))
    assert len(got) == 12
    assert {r["file"] for r in got} == {str(BATCH / "plain_ids.csv"), str(BATCH / "redcap_raw.csv")}
    assert [r["row"] for r in got] == [str(i) for i in (1, 2, 3, 4, 5, 6)] * 2  # numbered per file
    assert "12 records from 2 files" in result.stderr


def test_all_ok_exits_0(tmp_path: Path) -> None:
    p = tmp_path / "ok.csv"
    p.write_text("id,pain_intensity,night_pain\n1,3,no\n2,,yes\n", encoding="utf-8")
    result = invoke(str(p), "--allow-missing")
    assert result.exit_code == 0, result.output  # incomplete records are not errors
    got = rows(result.stdout)
    assert got[0]["level"] == "see_doctor" and got[0]["status"] == "incomplete"  # signs could not be checked
    assert got[1]["level"] == "see_doctor" and got[1]["status"] == "incomplete"  # a fired flag stands
    assert got[1]["red_flags"] == "constant_night_pain" and got[1]["urgency"] == "days"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    src = str(BATCH / "plain_ids.csv")
    assert invoke(src, "--format", "xml").exit_code == 2
    r = invoke(src, "--preset", "qualtrix")
    assert r.exit_code == 2 and "'qualtrics'" in r.stderr  # a choice: the error lists them (and completion offers them)
    r = invoke(src, "--id-column", "idd")
    assert r.exit_code == 2 and "no column 'idd'" in r.stderr and "did you mean 'id'" in r.stderr
    r = invoke(src, "--preset", "fhir")
    assert r.exit_code == 2
    r = invoke(src, "-o", src)
    assert r.exit_code == 2 and "same file as input" in r.stderr
    r = invoke(src, "--delimiter", "ab")
    assert r.exit_code == 2


def test_delimiter_option_and_crlf_quoted_newlines(tmp_path: Path) -> None:
    p = tmp_path / "pipes.txt"
    p.write_bytes(b'id|pain_intensity|night_pain\r\n"a\r\nb"|3|no\r\n2|4|yes\r\n')
    result = invoke(str(p), "--delimiter", "|", "--format", "jsonl", "--allow-missing")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["id"] for d in lines] == ["a\r\nb", "2"]
    assert lines[1]["red_flags"] == ["constant_night_pain"]
    detected = invoke(str(p), "--format", "jsonl", "--allow-missing")
    assert detected.stdout == result.stdout


def test_output_file_is_written_whole(tmp_path: Path) -> None:
    out = tmp_path / "res.csv"
    out.write_text("old", encoding="utf-8")
    result = invoke(str(BATCH / "plain_ids.csv"), "-o", str(out))
    assert result.exit_code == 1
    assert out.read_text(encoding="utf-8").startswith("row,id,status,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res.csv"]


def test_summary_never_shows_ids() -> None:
    result = invoke(str(BATCH / "qualtrics.csv"))
    assert "R_1a2B3c4D5e6F7g" not in result.stderr
    assert "levels: emergency 1, see_doctor 2, pt_recommended 1, pt_consider 1" in result.stderr
