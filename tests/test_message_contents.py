"""What messages may contain, as the README's "What messages contain" says (issue 10, point 5).

Messages on stderr may quote the value of the bad answer they are about (score), never a patient reference,
a record id, a name, or another answer; batch's summary says "the value" instead of quoting it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml
from typer.testing import CliRunner

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
REF = "MRN-7391X"
RECORD_ID = "PATIENT-ID-55821"


def _answers() -> dict[str, object]:
    data = yaml.safe_load((ROOT / "docs" / "examples" / "answers.yaml").read_text(encoding="utf-8"))
    return {k: ("yes" if v is True else "no" if v is False else v) for k, v in data.items()}


def test_score_quotes_the_bad_value_only(tmp_path: Path) -> None:
    answers = _answers()
    answers["pain_intensity"] = "eleventy"
    answers["age_years"] = 52  # another answer: never quoted
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    r = runner.invoke(app, ["score", str(path), "--save", "--patient", REF])
    assert r.exit_code == 1
    assert "'eleventy'" in r.stderr  # the value the message is about
    assert REF not in r.stderr and "52" not in r.stderr


def test_batch_summary_never_quotes_ids_or_values(tmp_path: Path) -> None:
    answers = _answers()
    rows = []
    for i, bad in enumerate(["eleventy", "\x1b[31mred", "=1+1"]):
        rec = dict(answers)
        rec["id"] = f"{RECORD_ID}-{i}"
        rec["pain_intensity"] = bad
        rows.append(rec)
    path = tmp_path / "in.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    r = runner.invoke(app, ["batch", str(path), "--id-column", "id"])
    assert r.exit_code == 1, r.output
    assert RECORD_ID not in r.stderr
    assert "eleventy" not in r.stderr and "=1+1" not in r.stderr and "\x1b" not in r.stderr
    assert "row 1: pain_intensity: the value is not a number" in r.stderr
    assert RECORD_ID in r.stdout and "eleventy" in r.stdout  # the output itself keeps both


def test_history_messages_name_screenings_by_number(tmp_path: Path, _isolated_home: Path) -> None:
    good = ROOT / "docs" / "examples" / "answers.yaml"
    for _ in range(2):
        assert runner.invoke(app, ["score", str(good), "--save", "--patient", REF]).exit_code == 0
    with sqlite3.connect(_isolated_home / "history.sqlite3") as db:
        db.execute("UPDATE screenings SET result_json = '{bad' WHERE id = 2")
    outputs = [
        runner.invoke(app, ["history", "list", "--patient", REF]),
        runner.invoke(app, ["history", "export", "-o", "-", "--patient", REF]),
        runner.invoke(app, ["history", "show", "2"]),
        runner.invoke(app, ["history", "show", "--patient", "MRN-0000"]),
        runner.invoke(app, ["history", "delete", "99"]),
        runner.invoke(app, ["score", str(good), "--save", "--patient", "John Smith"]),
    ]
    for r in outputs:
        assert REF not in r.stderr and "MRN-0000" not in r.stderr and "John" not in r.stderr, r.stderr
    assert "screening 2 cannot be read" in outputs[0].stderr


def test_screen_resume_for_another_patient_does_not_repeat_the_reference(
    tmp_path: Path, _isolated_home: Path, monkeypatch: object
) -> None:
    from stm_screen.cli import screen_cmd
    from stm_screen.prompt import resume
    from stm_screen.rules.loader import load_ruleset

    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)  # type: ignore[attr-defined]
    _isolated_home.mkdir(parents=True, exist_ok=True)
    resume.save(_isolated_home / "resume-1.json", load_ruleset(), {"age_years": 40}, rules=None, patient=REF)
    r = runner.invoke(app, ["screen", "--plain", "--resume", "--patient", "MRN-0001"], input="")
    assert r.exit_code == 2 and "MRN-0001" not in r.stderr and REF not in r.stderr


def test_a_reference_typed_without_patient_is_not_repeated(tmp_path: Path) -> None:
    """`score answers.yaml MRN-0042` (the reference where --patient was meant): the usage error does not
    quote the extra word, and says how to give a reference; an extra word that is a file is still named."""
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump({"age_years": 40}), encoding="utf-8")
    r = runner.invoke(app, ["score", str(answers), "MRN-0042"])
    assert r.exit_code == 2
    assert "MRN-0042" not in r.output and "use --patient REF" in r.output
    r = runner.invoke(app, ["score", str(answers), str(answers)])
    assert r.exit_code == 2 and str(answers) in r.output.replace("\n", "")
