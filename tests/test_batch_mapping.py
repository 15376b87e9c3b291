"""Mapping files (validated with FILE:LINE:COL) and --suggest-map."""

from __future__ import annotations

from pathlib import Path

from tests.batch_helpers import BATCH, invoke, rows

NUMERIC = (
    "ResponseId,Q1,Q2,Q3,Q4,Q5,Q6\n"
    "Response ID,Months with pain,Where?,Pain now,Numb saddle area,Night pain,How often limited\n"
    '{"ImportId":"_recordId"},{"ImportId":"QID1"},{"ImportId":"QID2"},{"ImportId":"QID3"},'
    '{"ImportId":"QID4"},{"ImportId":"QID5"},{"ImportId":"QID6"}\n'
    'R_1,24,"1,2",6,2,2,Most days\n'
    "R_2,2,3,3,1,2,Never\n"
    "R_3,5,1,-99,2,-99,Some days\n"
)

MAPPING = """\
id_column: ResponseId
missing: ["-99"]
columns:
  Q1: pain_duration_months
  Q2:
    question: pain_areas
    values: {"1": low_back, "2": neck_shoulder, "3": other}
  Q3: pain_intensity
  Q4:
    question: saddle_numbness
    values: {"1": yes, "2": no}
  Q5: {question: night_pain, values: {"1": true, "2": false}}
  Q6:
    question: activity_limitation
    values: {"Never": 0, "Some days": 4, "Most days": 7}
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_mapping_with_value_maps(tmp_path: Path) -> None:
    data = write(tmp_path, "numeric.csv", NUMERIC)
    mapping = write(tmp_path, "map.yaml", MAPPING)
    result = invoke(data, "--map", mapping, "--format", "csv", "--allow-missing")  # six questions only
    got = rows(result.stdout)
    assert [r["id"] for r in got] == ["R_1", "R_2", "R_3"]
    assert got[1]["level"] == "emergency" and got[1]["red_flags"] == "cauda_equina_saddle"
    assert "limits_activity" in got[0]["criteria_met"]  # "Most days" -> 7 -> limits activity
    assert "limits_activity" not in got[1]["criteria_met"]  # "Never" -> 0
    assert got[2]["status"] == "incomplete"  # -99 on night pain: not answered
    assert "constant_night_pain" in got[2]["unanswered_red_flags"]


def test_mapping_errors_are_located(tmp_path: Path) -> None:
    data = write(tmp_path, "numeric.csv", NUMERIC)
    bad = MAPPING.replace("Q3: pain_intensity", "Q3: pain_intensty").replace(
        '"Most days": 7', '"Most days": 70'
    )
    bad += "  Q9: fear_of_movement\nextra: 1\n"
    mapping = write(tmp_path, "bad.yaml", bad)
    result = invoke(data, "--map", mapping)
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert (
        f"{mapping}:8:7: column 'Q3': unknown question 'pain_intensty' (did you mean 'pain_intensity'?)"
        in err
    )
    assert f"{mapping}:15:" in err and "'Most days' maps to '70' is out of range" in err
    assert f"{mapping}:17:" in err and "unknown key 'extra'" in err
    assert "Traceback" not in result.output


def test_mapped_column_missing_from_input(tmp_path: Path) -> None:
    data = write(tmp_path, "numeric.csv", NUMERIC)
    mapping = write(tmp_path, "map.yaml", MAPPING + "  Q7: fear_of_movement\n")
    result = invoke(data, "--map", mapping)
    assert result.exit_code == 2
    assert f"{mapping}:16:7: column 'Q7' is not in {data}" in result.stderr


def test_mapping_yaml_syntax_error(tmp_path: Path) -> None:
    mapping = write(tmp_path, "map.yaml", "columns:\n  Q1: [unclosed\n")
    result = invoke(str(BATCH / "plain_ids.csv"), "--map", mapping)
    assert result.exit_code == 2 and f"{mapping}:" in result.stderr and "YAML syntax error" in result.stderr


def test_suggest_map_round_trip(tmp_path: Path) -> None:
    data = write(
        tmp_path,
        "survey.csv",
        'Patient ID,"How long have you had this pain, in months?",Pain intensity (past week),Night pain constant,'
        "Favourite colour\nP1,24,6,no,blue\nP2,2,3,yes,red\n",
    )
    out = tmp_path / "map.yaml"
    result = invoke(data, "--suggest-map", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert '"How long have you had this pain, in months?": pain_duration_months\n' in text  # exact text match
    assert '"Pain intensity (past week)": pain_intensity  # guess' in text
    assert '"Night pain constant": night_pain  # guess' in text
    assert '# "Favourite colour": ' in text  # unmatched, listed for a person
    assert "# Questions with no column yet: age_years, pregnant, pain_areas," in text
    # the safety questions among them stop a batch run: said, with the way to allow them
    assert "# allow_missing: [age_years, pain_areas, bladder_bowel_change," in text
    assert 'id_column: "Patient ID"\n' in text  # the id column, by its usual names
    assert '"Patient ID":' not in text  # not guessed to be a question
    assert invoke(data, "--map", str(out)).exit_code == 2  # safety questions without a column
    scored = invoke(data, "--map", str(out), "--allow-missing")
    got = rows(scored.stdout)
    assert [r["id"] for r in got] == ["P1", "P2"]
    assert got[1]["red_flags"] == "constant_night_pain"
