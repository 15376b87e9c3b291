"""QA: --resume never gives one patient another patient's answers."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli import screen_cmd
from stm_screen.cli.app import app
from stm_screen.prompt import resume

runner = CliRunner()


@pytest.fixture
def two_stopped(ruleset: Any, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)
    _isolated_home.mkdir(parents=True, exist_ok=True)
    first = _isolated_home / "resume-1.json"
    second = _isolated_home / "resume-2.json"
    resume.save(first, ruleset, {"pain_duration_months": 11}, rules=None, patient="MRN-1")
    resume.save(second, ruleset, {"pain_duration_months": 22}, rules=None, patient="MRN-2")
    now = time.time()
    os.utime(first, (now - 60, now - 60))  # MRN-2 stopped last
    return first, second


def test_resume_with_a_patient_reference_takes_that_patients_answers(two_stopped: Any) -> None:
    result = runner.invoke(app, ["screen", "--plain", "--resume", "--patient", "MRN-1"], input="")
    assert result.exit_code == 130
    assert "Patient reference: MRN-1" in result.stdout
    first, second = two_stopped
    assert resume.load(second).patient == "MRN-2"  # the other patient's file untouched
    assert resume.load(second).answers == {"pain_duration_months": 22}
    assert resume.load(first).patient == "MRN-1"
    assert resume.load(first).answers == {"pain_duration_months": 11}


def test_resume_with_an_unknown_patient_reference_is_refused(two_stopped: Any) -> None:
    result = runner.invoke(app, ["screen", "--plain", "--resume", "--patient", "MRN-3"], input="")
    assert result.exit_code == 2
    assert "MRN-3" not in result.stderr  # references are never repeated in messages
    assert "no stopped screening" in result.stderr


def test_a_name_in_a_resume_file_is_never_shown_as_the_reference(
    ruleset: Any, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)
    _isolated_home.mkdir(parents=True, exist_ok=True)
    resume.save(
        _isolated_home / "resume-1.json", ruleset, {"pain_duration_months": 3}, rules=None, patient="Jane Doe"
    )
    result = runner.invoke(app, ["screen", "--plain", "--resume"], input="")
    assert result.exit_code == 130
    assert "Jane" not in result.stdout + result.stderr


def test_resume_whose_rules_are_gone_says_how_to_go_on(
    ruleset: Any, _isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)
    _isolated_home.mkdir(parents=True, exist_ok=True)
    gone = tmp_path / "old-rules.yaml"
    resume.save(
        _isolated_home / "resume-1.json", ruleset, {"pain_duration_months": 11}, rules=str(gone), patient=None
    )
    result = runner.invoke(app, ["screen", "--plain", "--resume"], input="")
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr
    assert "stm-screen screen --resume --rules PATH" in result.stderr
    assert "Traceback" not in result.output
