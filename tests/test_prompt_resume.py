"""Resume files: round trip, permissions, answers that no longer fit the rules, unreadable files."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from stm_screen.errors import UsageError
from stm_screen.prompt import resume


def test_round_trip_keeps_answers_and_is_private(ruleset: Any, tmp_path: Path) -> None:
    path = resume.new_path(tmp_path)
    answers = {
        "pain_duration_months": 2.5,
        "pain_areas": frozenset({"tendon", "low_back"}),
        "night_pain": False,
        "cancer_history": "unsure",  # 'not sure' is an answer, kept as it was given
    }
    resume.save(path, ruleset, answers, rules="/some/rules.yaml", patient="MRN-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = resume.load(path)
    assert saved.rules == "/some/rules.yaml" and saved.patient == "MRN-1"
    assert saved.ruleset["sha256"] == ruleset.sha256
    values, dropped = resume.restore(ruleset, saved)
    assert values == answers and dropped == []
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind


def test_answers_that_no_longer_fit_are_dropped(ruleset: Any, tmp_path: Path) -> None:
    path = tmp_path / "resume-x.json"
    resume.save(path, ruleset, {"pain_intensity": 4}, rules=None, patient=None)
    saved = resume.load(path)
    saved.answers.update({"pain_intensity": 42, "old_question": True, "night_pain": True})
    values, dropped = resume.restore(ruleset, saved)
    assert values == {"night_pain": True}
    assert sorted(dropped) == ["old_question", "pain_intensity"]


def test_newest_first_and_delete(ruleset: Any, tmp_path: Path) -> None:
    old, new = tmp_path / "resume-a.json", tmp_path / "resume-b.json"
    for p in (old, new):
        resume.save(p, ruleset, {}, rules=None, patient=None)
    os.utime(old, (1_000_000, 1_000_000))
    assert resume.saved_files(tmp_path) == [new, old]
    resume.delete(new)
    resume.delete(new)  # already gone: fine
    assert resume.saved_files(tmp_path) == [old]


@pytest.mark.parametrize("content", ["not json", "[]", '{"format": "other", "answers": {}}'])
def test_unreadable_resume_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "resume-bad.json"
    path.write_text(content)
    with pytest.raises(UsageError, match="delete this file to start afresh"):
        resume.load(path)
