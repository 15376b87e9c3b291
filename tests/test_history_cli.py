"""``score --save`` and ``stm-screen history`` through Typer's CliRunner (and once through a real process)."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.rules.loader import load_ruleset
from stm_screen.store import history as h

runner = CliRunner()
# a complete 2.0 answer set: the 'nothing met gives self-care' example, every safety question "no"
CALM: dict[str, Any] = dict(load_ruleset().examples[0].answers)
ANSWERS = {
    **CALM,
    "pain_duration_months": 7,
    "pain_areas": ["low_back", "neck_shoulder"],
    "dizziness_ongoing": False,  # asked for neck pain
    "morning_stiffness": False,  # asked: back pain for 3 months or more that began before 45
    "activity_limitation": 5,
    "fear_of_movement": True,
}
PATIENT = "MRN-0042"


def run(*args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin)


@pytest.fixture
def answers_file(tmp_path: Path) -> str:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(ANSWERS), encoding="utf-8")
    return str(path)


def save(answers_file: str, *extra: str) -> int:
    result = run("score", answers_file, "--save", *extra)
    assert result.exit_code == 0, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("Saved to the history as screening ")
    return int(line.rsplit(" ", 1)[1].rstrip("."))


def store_path(home: Path) -> Path:
    return home / h.FILE_NAME


def test_score_save_records_everything(answers_file: str, _isolated_home: Path) -> None:
    fresh = run("score", answers_file, "--format", "json")
    rid = save(answers_file, "--patient", PATIENT)
    shown = run("history", "show", str(rid), "--format", "json")
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.stdout)
    expected = json.loads(fresh.stdout)
    assert record["patient"] == PATIENT
    assert record["level"] == expected["level"] == "pt_recommended"
    assert record["result"] == expected
    assert record["answers"] == expected["answers"]
    assert (record["ruleset_id"], record["ruleset_version"], record["ruleset_sha256"]) == (
        expected["ruleset"]["id"],
        expected["ruleset"]["version"],
        expected["ruleset"]["sha256"],
    )
    assert record["tool_version"] == expected["tool_version"]
    assert stat.S_IMODE(os.stat(store_path(_isolated_home)).st_mode) == 0o600


def test_show_renders_like_a_fresh_result(answers_file: str) -> None:
    fresh = run("score", answers_file)
    rid = save(answers_file, "--patient", PATIENT)
    shown = run("history", "show", str(rid))
    assert shown.exit_code == 0, shown.output
    header, rest = shown.stdout.split("\n● ", 1)  # the header line may wrap
    rest = "● " + rest
    header = " ".join(header.split())
    assert header.startswith(f"Screening {rid}, saved ") and f"patient reference {PATIENT}" in header
    assert "scored with pt-screen 2.4.2" in " ".join(shown.stdout.split())
    # the same details and summary (the summary says when it was saved and for whom), then the answers
    assert rest.split("SUMMARY")[0] == fresh.stdout.split("SUMMARY")[0]
    assert f"Patient reference {PATIENT}" in rest.split("SUMMARY")[1]
    answers = rest.split("\nAnswers\n", 1)[1]
    assert "- How old are you?\n    " in answers


@pytest.mark.parametrize("fmt", ["json", "fhir", "text"])
def test_show_writes_one_screening_to_the_output_file(answers_file: str, tmp_path: Path, fmt: str) -> None:
    """`history show ID -o FILE` writes the file (health data: owner-only) and prints nothing of it."""
    rid = save(answers_file, "--patient", PATIENT)
    out = tmp_path / f"one.{fmt}"
    shown = run("history", "show", str(rid), "--format", fmt, "-o", str(out))
    assert shown.exit_code == 0, shown.output
    assert PATIENT not in shown.stdout and f"wrote {out}" in shown.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    text = out.read_text(encoding="utf-8")
    if fmt == "json":
        assert json.loads(text)["patient"] == PATIENT
    elif fmt == "fhir":
        assert json.loads(text)["resourceType"] == "Bundle"
    else:
        assert f"patient reference {PATIENT}" in " ".join(text.split()) and "\x1b" not in text
        assert "SUMMARY" in text and "\nAnswers\n" in text  # the whole screening, as on the screen


def test_show_keeps_the_ruleset_version_it_was_scored_with(answers_file: str, _isolated_home: Path) -> None:
    rid = save(answers_file)
    conn = sqlite3.connect(store_path(_isolated_home))
    row = json.loads(conn.execute("SELECT result_json FROM screenings WHERE id = ?", (rid,)).fetchone()[0])
    row["ruleset"]["version"] = "0.9.7"
    conn.execute("UPDATE screenings SET result_json = ? WHERE id = ?", (json.dumps(row), rid))
    conn.commit()
    conn.close()
    shown = run("history", "show", str(rid))
    assert "scored with pt-screen 0.9.7" in shown.stdout


def test_patient_must_be_a_reference_and_is_never_echoed(answers_file: str, _isolated_home: Path) -> None:
    result = run("score", answers_file, "--save", "--patient", "Jane Doe")
    assert result.exit_code == 2
    assert "never a name" in result.stderr and "Jane" not in result.stderr
    assert (
        not store_path(_isolated_home).exists() or run("history", "list", "-f", "json").stdout.strip() == "[]"
    )
    shown = run("score", answers_file, "--patient", PATIENT)  # without --save: shown with the result only
    assert shown.exit_code == 0 and f"Patient reference {PATIENT}" in shown.stdout


def test_list_formats_and_filters(answers_file: str) -> None:
    a = save(answers_file, "--patient", PATIENT)
    b = save(answers_file, "--patient", "MRN-7")
    c = save(answers_file)
    table = run("history", "list")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "SAVED", "(UTC)", "PATIENT", "RULESET", "RESULT", "SCORE"]
    assert [line.split()[0] for line in lines[1:]] == [str(a), str(b), str(c)]
    assert lines[1].split()[2] == PATIENT and lines[3].split()[2] == "-"

    rows = json.loads(run("history", "list", "--format", "json", "--patient", PATIENT).stdout)
    assert [r["id"] for r in rows] == [a]
    assert rows[0]["level"] == "pt_recommended" and rows[0]["score"] == 3
    assert rows[0]["level_title"] == "Seeing a physical therapist is recommended"
    assert "Seeing a physical therapist is recommended" in lines[1]  # the table shows the title

    reader = list(csv.DictReader(io.StringIO(run("history", "list", "-f", "csv").stdout)))
    assert [int(r["id"]) for r in reader] == [a, b, c]
    assert reader[2]["patient"] == ""

    assert json.loads(run("history", "list", "-f", "json", "--since", "2999-01-01").stdout) == []
    assert len(json.loads(run("history", "list", "-f", "json", "--since", "2000-01-01").stdout)) == 3
    bad = run("history", "list", "--since", "yesterday")
    assert bad.exit_code == 2 and "not a date" in bad.stderr
    assert run("history", "list", "-f", "xml").exit_code == 2


def test_empty_history_lists_nothing() -> None:
    result = run("history", "list")
    assert result.exit_code == 0
    assert result.stdout == "" and "no saved screenings" in result.stderr


def test_export_csv_and_jsonl(answers_file: str, tmp_path: Path) -> None:
    a = save(answers_file, "--patient", PATIENT)
    b = save(answers_file)
    out = tmp_path / "out.csv"
    result = run("history", "export", "--output", str(out), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "exported 2 screenings" in result.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [int(r["id"]) for r in rows] == [a, b]
    assert rows[0]["patient"] == PATIENT
    assert rows[0]["pain_areas"] == "low_back;neck_shoulder"
    assert rows[0]["fear_of_movement"] == "yes" and rows[0]["night_pain"] == "no"
    assert rows[0]["pain_duration_months"] == "7"

    out = tmp_path / "out.jsonl"
    assert run("history", "export", "-o", str(out), "-f", "jsonl", "--patient", PATIENT).exit_code == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [a]
    assert records[0]["answers"]["pain_areas"] == ["low_back", "neck_shoulder"]


def test_export_refuses_unknown_format_without_creating_the_file(tmp_path: Path) -> None:
    out = tmp_path / "x.out"
    result = run("history", "export", "-o", str(out), "-f", "xlsx")
    assert result.exit_code == 2 and not out.exists()


def test_delete(answers_file: str) -> None:
    a = save(answers_file)
    b = save(answers_file)
    result = run("history", "delete", str(a))
    assert result.exit_code == 0 and f"deleted screening {a}" in result.stderr
    assert [r["id"] for r in json.loads(run("history", "list", "-f", "json").stdout)] == [b]
    again = run("history", "delete", str(a))
    assert again.exit_code == 2 and f"no saved screening with id {a}" in again.stderr
    assert run("history", "show", "999").exit_code == 2


def test_damaged_record(answers_file: str, _isolated_home: Path) -> None:
    good = save(answers_file)
    bad = save(answers_file)
    odd = save(answers_file)
    conn = sqlite3.connect(store_path(_isolated_home))
    conn.execute("UPDATE screenings SET answers_json = '{not json' WHERE id = ?", (bad,))
    conn.execute('UPDATE screenings SET result_json = \'{"level": "x"}\' WHERE id = ?', (odd,))
    conn.commit()
    conn.close()
    result = run("history", "show", str(bad))
    assert result.exit_code == 3 and f"saved screening {bad} cannot be read" in result.stderr
    result = run("history", "show", str(odd))
    assert result.exit_code == 2 and "--format json" in result.stderr
    assert run("history", "show", str(odd), "-f", "json").exit_code == 0
    assert run("history", "show", str(good)).exit_code == 0


def _backdate(home: Path, rid: int, when: str) -> None:
    conn = sqlite3.connect(store_path(home))
    conn.execute("UPDATE screenings SET created_at = ? WHERE id = ?", (when, rid))
    conn.commit()
    conn.close()


def test_purge(answers_file: str, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = save(answers_file)
    older = save(answers_file)
    new = save(answers_file)
    _backdate(_isolated_home, old, "2023-05-01T10:00:00Z")
    _backdate(_isolated_home, older, "2022-01-01T10:00:00Z")

    # a date not come yet is accepted (everything saved up to now), but only when confirmed
    future = run("history", "purge", "--before", "2999-01-01")
    assert future.exit_code == 2 and "--yes" in future.stderr

    # not at a terminal and no --yes: refuse rather than guess
    refused = run("history", "purge", "--before", "2024-01-01")
    assert refused.exit_code == 2 and "--yes" in refused.stderr

    from stm_screen.cli import history_cmd

    monkeypatch.setattr(history_cmd, "_interactive", lambda: True)
    declined = run("history", "purge", "--before", "2024-01-01", stdin="n\n")
    assert declined.exit_code == 0 and "Delete 2 screenings" in declined.stderr
    assert "nothing was deleted" in declined.stderr
    assert len(json.loads(run("history", "list", "-f", "json").stdout)) == 3

    confirmed = run("history", "purge", "--before", "2024-01-01", stdin="y\n")
    assert confirmed.exit_code == 0 and "deleted 2 screenings" in confirmed.stderr
    assert [r["id"] for r in json.loads(run("history", "list", "-f", "json").stdout)] == [new]

    nothing = run("history", "purge", "--before", "2024-01-01", "--yes")
    assert nothing.exit_code == 0 and "nothing to delete" in nothing.stderr

    from datetime import UTC, datetime

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    asked = run("history", "purge", "--before", "2999-01-01", stdin="n\n")
    assert asked.exit_code == 0 and "saved up to now" in asked.stderr and "nothing was deleted" in asked.stderr
    later = run("history", "purge", "--before", today, "--yes")  # today: the start of this day
    assert later.exit_code == 0


def test_purge_with_yes_for_scripts(answers_file: str, _isolated_home: Path) -> None:
    old = save(answers_file)
    save(answers_file)
    _backdate(_isolated_home, old, "2020-05-01T10:00:00Z")
    result = run("history", "purge", "--before", "2021-01-01", "--yes")
    assert result.exit_code == 0 and "deleted 1 screening saved before" in result.stderr
    assert len(json.loads(run("history", "list", "-f", "json").stdout)) == 1


# --- the store cannot be used: one message, exit 3, nothing lost --------------------------------------


def test_corrupt_store(_isolated_home: Path) -> None:
    _isolated_home.mkdir(parents=True, exist_ok=True)
    path = store_path(_isolated_home)
    junk = b"\x00garbage" * 500
    path.write_bytes(junk)
    for args in (
        ("history", "list"),
        ("history", "show", "1"),
        ("history", "purge", "--before", "2020-01-01"),
    ):
        result = run(*args)
        assert result.exit_code == 3, result.output
        assert result.stderr.count("\n") == 1 and "damaged" in result.stderr
        assert "Traceback" not in result.output
    assert path.read_bytes() == junk


def test_store_from_a_newer_version(answers_file: str, _isolated_home: Path) -> None:
    rid = save(answers_file, "--patient", PATIENT)
    conn = sqlite3.connect(store_path(_isolated_home))
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    result = run("score", answers_file, "--save", "--patient", PATIENT)
    assert result.exit_code == 3
    assert "newer stm-screen" in result.stderr and PATIENT not in result.stderr
    assert "pt_recommended" not in result.stderr
    conn = sqlite3.connect(store_path(_isolated_home))
    assert conn.execute("SELECT id FROM screenings").fetchall() == [(rid,)]
    conn.close()


def test_locked_store(answers_file: str, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rid = save(answers_file)
    monkeypatch.setattr(h, "BUSY_TIMEOUT_S", 0.1)
    other = sqlite3.connect(store_path(_isolated_home), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        result = run("score", answers_file, "--save", "--patient", PATIENT)
        assert result.exit_code == 3
        assert "busy" in result.stderr and PATIENT not in result.stderr
        # the result itself was still shown before saving failed
        assert "physical therapy" in result.stdout
        assert run("history", "delete", str(rid)).exit_code == 3
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert [r["id"] for r in json.loads(run("history", "list", "-f", "json").stdout)] == [rid]


def test_full_disk(answers_file: str, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk filling up while saving (a real SQLITE_FULL is in test_store_history)."""
    rid = save(answers_file)

    def full(self: h.HistoryStore, **_: Any) -> int:
        with self._write() as conn:
            raise sqlite3.OperationalError("database or disk is full")
            conn.execute("SELECT 1")  # pragma: no cover
        return 0  # pragma: no cover

    with monkeypatch.context() as m:
        m.setattr(h.HistoryStore, "add", full)
        result = run("score", answers_file, "--save", "--patient", PATIENT)
    assert result.exit_code == 3
    assert "disk is full" in result.stderr and PATIENT not in result.stderr
    assert [r["id"] for r in json.loads(run("history", "list", "-f", "json").stdout)] == [rid]


def test_unusable_data_folder(answers_file: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("STM_SCREEN_HOME", str(blocker))
    result = run("score", answers_file, "--save")
    assert result.exit_code == 3 and "cannot use the data folder" in result.stderr


def test_reading_an_empty_history_writes_nothing(_isolated_home: Path, tmp_path: Path) -> None:
    assert run("history", "list").exit_code == 0
    assert run("history", "show", "1").exit_code == 2
    assert run("history", "delete", "1").exit_code == 2
    assert run("history", "purge", "--before", "2020-01-01").exit_code == 0
    out = tmp_path / "empty.jsonl"
    assert run("history", "export", "-o", str(out), "-f", "jsonl").exit_code == 0
    assert out.read_text(encoding="utf-8") == ""
    assert not _isolated_home.exists()


def test_installed_tool_end_to_end(answers_file: str, _isolated_home: Path) -> None:
    """Through a real process: exit codes, no traceback, data on stdout."""
    env = {**os.environ, "STM_SCREEN_HOME": str(_isolated_home), "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "stm_screen"]
    saved = subprocess.run([*cmd, "score", answers_file, "--save"], capture_output=True, text=True, env=env)
    assert saved.returncode == 0, saved.stderr
    listed = subprocess.run([*cmd, "history", "list", "-f", "json"], capture_output=True, text=True, env=env)
    assert [r["level"] for r in json.loads(listed.stdout)] == ["pt_recommended"]
    missing = subprocess.run([*cmd, "history", "show", "42"], capture_output=True, text=True, env=env)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="pexpect needs a POSIX pseudo-terminal")
def test_purge_asks_at_a_real_terminal(answers_file: str, _isolated_home: Path) -> None:
    import pexpect

    rid = save(answers_file)
    _backdate(_isolated_home, rid, "2021-01-01T00:00:00Z")
    env = {**os.environ, "STM_SCREEN_HOME": str(_isolated_home), "NO_COLOR": "1"}
    args = ["-m", "stm_screen", "history", "purge", "--before", "2022-01-01"]
    for key, code, said in (
        ("ctrl-c", 130, "cancelled; nothing was deleted"),
        ("y", 0, "deleted 1 screening"),
    ):
        child = pexpect.spawn(sys.executable, args, env=env, encoding="utf-8", timeout=20)
        child.expect(r"Delete 1 screening saved before 2022-01-01T00:00:00Z\? .*\[y/N\]")
        if key == "ctrl-c":
            child.sendcontrol("c")
        else:
            child.sendline(key)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == code, child.before
        assert said in child.before
    assert json.loads(run("history", "list", "-f", "json").stdout) == []
