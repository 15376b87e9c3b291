"""``stm-screen screen --save``: the questionnaire's result goes to the history like ``score --save``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli import screen_cmd
from stm_screen.cli.app import app
from stm_screen.core.answers import check_answers
from stm_screen.core.engine import Scorer
from stm_screen.rules.loader import load_ruleset
from stm_screen.store import history as h
from tests._keys import plain_line

runner = CliRunner()
# a complete 2.0 answer set (the 'nothing met gives self-care' example), 7 months of low back pain: the
# morning stiffness question is then asked too (back pain for 3 months or more that began before 45)
ANSWERS: dict[str, Any] = {
    **load_ruleset().examples[0].answers,
    "pain_areas": ["low_back"],
    "pain_duration_months": 7,
    "morning_stiffness": False,
}


def plain_input(ruleset: Any, answers: dict[str, Any]) -> str:
    """What a person types for every question that is asked (skip logic applied), then Enter at the review."""
    scorer, values = Scorer(ruleset), check_answers(ruleset, answers)
    lines = [
        plain_line(q, answers[q.id]) for q in ruleset.questions if q.id in answers and scorer.asked(q, values)
    ]
    return "\n".join([*lines, ""]) + "\n"


@pytest.fixture
def tty_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)


def test_screen_save_records_the_result(tty_stdin: None, ruleset: Any, tmp_path: Path) -> None:
    answers = ANSWERS
    result = runner.invoke(
        app, ["screen", "--plain", "--save", "--patient", "MRN-0042"], input=plain_input(ruleset, answers)
    )
    assert result.exit_code == 0, result.stderr
    assert "Saved to the history as screening 1" in result.stdout
    (record,) = json.loads(runner.invoke(app, ["history", "list", "-f", "json"]).stdout)
    assert record["patient"] == "MRN-0042"
    score_file = tmp_path / "a.json"
    score_file.write_text(json.dumps(answers), encoding="utf-8")
    fresh = json.loads(runner.invoke(app, ["score", str(score_file), "-f", "json"]).stdout)
    shown = json.loads(runner.invoke(app, ["history", "show", "1", "-f", "json"]).stdout)
    assert shown["result"] == fresh
    assert not list((tmp_path / "stm-home").glob("resume-*.json"))


def test_screen_save_refuses_an_unusable_store_before_any_question(
    tty_stdin: None, _isolated_home: Path
) -> None:
    _isolated_home.mkdir(parents=True)
    conn = sqlite3.connect(_isolated_home / h.FILE_NAME)
    conn.execute(f"PRAGMA application_id = {h.APPLICATION_ID}")  # a newer stm-screen marks its store too
    conn.execute(f"PRAGMA user_version = {h.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    result = runner.invoke(app, ["screen", "--plain", "--save"], input="5\n")
    assert result.exit_code == 3
    assert "newer stm-screen" in result.stderr
    assert "How old are you" not in result.stdout and "How long have you had this pain" not in result.stdout


def test_screen_save_failing_at_the_end_keeps_the_answers(
    tty_stdin: None, ruleset: Any, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: h.HistoryStore, **_: Any) -> int:
        raise self._fail(sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(h.HistoryStore, "add", full)
    answers = ANSWERS
    result = runner.invoke(app, ["screen", "--plain", "--save"], input=plain_input(ruleset, answers))
    assert result.exit_code == 3 and "disk is full" in result.stderr
    (resume,) = list(_isolated_home.glob("resume-*.json"))
    assert json.loads(resume.read_text())["answers"]["pain_duration_months"] == 7
