"""Qualtrics: the legacy layout (two header rows, V1..V10 over ResponseID, ResponseSet, ...; the layout of
ropensci/qualtRics tests/testthat/files/sample_legacy.csv, with this ruleset's question text in row 2) is
detected and its id column found; a yes/no answer written as a numeric recode is never read as yes or no
on a guess (a reversed recode, No = 1, would turn every 'no' into a 'yes'): a value map says it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from stm_screen.cli.app import app

runner = CliRunner()
LEGACY = Path(__file__).parent / "data" / "batch" / "qualtrics_legacy.csv"


def test_legacy_layout_is_detected_with_its_id_column() -> None:
    result = runner.invoke(app, ["batch", str(LEGACY), "--allow-missing"])
    assert "reading as a qualtrics export (detected" in result.stderr
    assert "match no question" not in result.stderr  # V1..V10 and Location* are Qualtrics' own columns
    lines = result.stdout.splitlines()
    assert [line.split(",")[1] for line in lines[1:]] == ["R_2YPOQ602ER1jkf1", "R_2YPOQ602ER1jkf2"]


def test_a_numeric_yes_no_recode_needs_a_value_map(tmp_path: Path) -> None:
    result = runner.invoke(app, ["batch", str(LEGACY), "--allow-missing"])
    assert result.exit_code == 1
    first = result.stdout.splitlines()[1]
    assert ",error," in first and "numeric recode" in first
    assert "row 1: fear_of_movement (column 'Q1'): the value is not readable" in result.stderr  # no answer shown
    # the clinic's recode says No = 1: with the value map, 1 is read as no
    mapping = tmp_path / "map.yaml"
    mapping.write_text('columns:\n  Q1:\n    question: fear_of_movement\n    values: {"1": no, "2": yes}\n')
    result = runner.invoke(app, ["batch", str(LEGACY), "--allow-missing", "--map", str(mapping), "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    import json

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert "fear_of_movement" not in rows[0]["criteria_met"] and "fear_of_movement" in rows[1]["criteria_met"]


def test_choice_text_exports_still_read_without_a_map() -> None:
    result = runner.invoke(app, ["batch", str(LEGACY.parent / "qualtrics.csv"), "-f", "jsonl"])
    assert result.exit_code == 1  # the fixture's own bad row
    assert "numeric recode" not in result.stdout
