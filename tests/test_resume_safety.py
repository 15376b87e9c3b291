"""A stopped screening is never overwritten, never continued under other rules unseen, and a damaged resume
file is said to be damaged (issue 10, points 1, 2, 3 and 5)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli import screen_cmd
from stm_screen.cli.app import app
from stm_screen.prompt import resume

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def stopped(ruleset: Any, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)
    _isolated_home.mkdir(parents=True, exist_ok=True)
    path = _isolated_home / "resume-1.json"
    resume.save(path, ruleset, {"age_years": 40, "pain_duration_months": 11}, rules=None, patient="MRN-1")
    return path


def test_a_second_resume_of_the_same_screening_is_refused(stopped: Path) -> None:
    """The first holds the screening's lock (here: another process that has it open)."""
    code = (
        "import sys, time; from pathlib import Path; from stm_screen.prompt import resume; "
        "fd = resume.hold(Path(sys.argv[1])); print('held', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(stopped)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = stopped.read_bytes()
        result = runner.invoke(app, ["screen", "--plain", "--resume"], input="")
        assert result.exit_code == 2, result.output
        assert "already open in another stm-screen" in result.stderr
        assert stopped.read_bytes() == before  # untouched
    finally:
        holder.communicate("", timeout=30)
    result = runner.invoke(app, ["screen", "--plain", "--resume"], input="")  # the lock went with it
    assert result.exit_code == 130 and "Welcome back: 2 answers restored." in result.stdout


def _other_rules(stopped: Path) -> None:
    data = json.loads(stopped.read_text(encoding="utf-8"))
    data["ruleset"] = {"id": "pt-screen", "version": "1.0.1", "sha256": "0" * 64}
    stopped.write_text(json.dumps(data), encoding="utf-8")


def test_other_rules_are_said_plainly_and_can_be_continued(stopped: Path) -> None:
    _other_rules(stopped)
    result = runner.invoke(app, ["screen", "--plain", "--resume"], input="2\n")
    assert result.exit_code == 130, result.output
    said = " ".join(result.stdout.split())
    assert "started with the rules pt-screen 1.0.1 (sha256 000000000000)" in said
    assert "the rules in use now are pt-screen 2.4.2" in said
    assert "Welcome back: 2 answers restored." in result.stdout


def test_other_rules_can_start_again(stopped: Path) -> None:
    _other_rules(stopped)
    result = runner.invoke(app, ["screen", "--plain", "--resume"], input="1\n")
    assert result.exit_code == 130, result.output
    assert "Welcome back" not in result.stdout
    assert not stopped.exists()  # the saved answers are removed, as offered


def test_input_ending_at_the_other_rules_question_leaves_the_screening_as_it_was(stopped: Path) -> None:
    """End of input (Ctrl-D) before choosing: stopped as at every other prompt (exit 130, no internal
    error), the saved answers and their rules left untouched."""
    _other_rules(stopped)
    before = stopped.read_bytes()
    result = runner.invoke(app, ["screen", "--plain", "--resume"], input="")
    assert result.exit_code == 130, result.output
    assert "the stopped screening was left as it was" in result.stderr
    assert "stm-screen screen --resume" in result.stderr
    assert stopped.read_bytes() == before


def test_a_damaged_answer_is_not_blamed_on_the_rules(stopped: Path) -> None:
    data = json.loads(stopped.read_text(encoding="utf-8"))
    data["answers"]["age_years"] = "not a number"
    stopped.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["screen", "--plain", "--resume"], input="")
    assert "rules have changed" not in result.stdout
    assert "could not be read back" in result.stdout


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000 + "]" * 100_000,  # nested too deeply for the JSON reader
        '{"format": "stm-screen-resume", "answers": {"age_years": ' + "[" * 5000 + "]" * 5000 + "}}",
        '{"format": "stm-screen-resume", "answers": {"age_years": {"a": 1}}}',
        '{"format": "stm-screen-resume", "answers": {"age_years": 1' + "0" * 5000 + "}}",
        "\x00\xff garbage",
        " " * (resume.MAX_BYTES + 1),
    ],
    ids=["deep", "deep-answer", "object-answer", "huge-number", "binary", "too-large"],
)
def test_a_hostile_resume_file_is_one_clear_message(stopped: Path, content: str) -> None:
    stopped.write_text(content, encoding="utf-8", errors="surrogateescape")
    result = runner.invoke(app, ["screen", "--plain", "--resume"], input="")
    assert result.exit_code in (2, 130), result.output
    assert "internal error" not in result.stderr and result.exception is None or isinstance(
        result.exception, SystemExit
    )
    if result.exit_code == 2:
        assert "delete this file to start afresh" in result.stderr
        assert "rules" not in result.stderr


def test_a_report_over_the_stopped_screening_is_refused(stopped: Path) -> None:
    """`screen --resume --report <its own resume file> --force` wrote the report there, said it was saved,
    then removed it with the finished screening's resume file. Refused before the questionnaire (exit 2)."""
    before = stopped.read_bytes()
    r = runner.invoke(app, ["screen", "--resume", "--report", str(stopped), "--force", "--plain"])
    assert r.exit_code == 2, r.output
    assert "same file as --resume" in r.output
    assert stopped.read_bytes() == before
