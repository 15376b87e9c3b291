"""End to end, through the installed ``stm-screen``: a clinic runs the questionnaire with PHQ-4 and PEG and
its own PEG wording, batch-scores an export holding those items, and sees the change between two visits."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from stm_screen.rules.loader import load_ruleset
from stm_screen.screening import load_rules
from tests._keys import plain_lines

SCRIPT = Path(sys.executable).parent / "stm-screen"
DATA = Path(__file__).resolve().parent / "data"
PEG_TEXTS = DATA / "peg-texts.yaml"
CALM: dict[str, Any] = dict(load_ruleset().examples[0].answers)
PHQ4 = {"phq4_1": "several_days", "phq4_2": "more_than_half", "phq4_3": "more_than_half", "phq4_4": "more_than_half"}

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="the stm-screen console script is not installed")


def env(home: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    environ.update({"STM_SCREEN_HOME": str(home), "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"})
    return environ


def test_questionnaire_batch_and_two_visits_with_phq4_and_peg(tmp_path: Path) -> None:
    home = tmp_path / "home"
    rs = load_rules(None, "phq4,peg", str(PEG_TEXTS))
    first = {**CALM, **PHQ4, "peg_1": 8, "peg_2": 7, "peg_3": 8}
    args = ["--with", "phq4,peg", "--texts", str(PEG_TEXTS), "--plain", "--save", "--patient", "MRN-0042"]
    child = pexpect.spawn(str(SCRIPT), args, env=env(home), encoding="utf-8", timeout=20, dimensions=(40, 80))
    for line in plain_lines(rs, first):
        child.expect(r"\(\d+/\d+\)")
        child.sendline(line)
    child.expect("Please check your answers")
    child.sendline("")
    child.expect("PHQ-4: 7 of 12, moderate")
    child.expect("PEG: 7.7 of 10")
    child.expect("Saved to the history as screening 1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    second = tmp_path / "visit2.json"
    second.write_text(json.dumps({**CALM, **PHQ4, "phq4_1": "not_at_all", "peg_1": 5, "peg_2": 5, "peg_3": 4}))
    run = subprocess.run(
        [str(SCRIPT), "score", str(second), "--with", "phq4,peg", "--save", "--patient", "MRN-0042"],
        env=env(home), capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0 and "PEG: 4.7 of 10" in run.stdout
    trend = subprocess.run(
        [str(SCRIPT), "history", "show", "--patient", "MRN-0042", "--plot"],
        env=env(home), capture_output=True, text=True, check=False,
    )
    assert trend.returncode == 0
    assert "-3 (-39%), better: larger than the minimal important change" in trend.stdout
    assert "6  moderate" in trend.stdout and "-1 (-14%), better" in trend.stdout

    export = tmp_path / "export.csv"
    columns = [q.id for q in rs.questions]
    with export.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", *columns])
        for i, answers in enumerate((first, {**first, "peg_3": ""})):
            cells = []
            for q in columns:
                value = answers.get(q, "")
                cells.append(";".join(value) if isinstance(value, list) else ("yes" if value is True else "no" if value is False else value))
            writer.writerow([f"r{i}", *cells])
    batch = subprocess.run(
        [str(SCRIPT), "batch", str(export), "--with", "phq4,peg", "--format", "jsonl"],
        env=env(home), capture_output=True, text=True, check=False,
    )
    assert batch.returncode == 0, batch.stderr
    records = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [(r["phq4"], r["phq4_band"], r["peg"]) for r in records] == [(7, "moderate", 7.7), (7, "moderate", None)]
