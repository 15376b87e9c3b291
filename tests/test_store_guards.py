"""The history store touches only its own file (issue 10, points 1, 2 and 5).

A database named like the store but written by another program is refused before anything is written to
it; the store is never opened through a symbolic link (the file, or its -wal/-shm files); a file it did not
create keeps its mode; one damaged row does not stop ``history list`` or ``export``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = str(ROOT / "docs" / "examples" / "answers.yaml")
runner = CliRunner()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _save(n: int = 1) -> None:
    for i in range(n):
        r = runner.invoke(app, ["score", ANSWERS, "--save", "--patient", f"MRN-{i + 1}"])
        assert r.exit_code == 0, r.output


@pytest.mark.parametrize(
    "schema",
    [
        "CREATE TABLE t (x)",  # another program's tables
        "CREATE TABLE screenings (x)",  # the same table name, other columns
        "PRAGMA application_id = 1234; CREATE TABLE screenings (id, created_at, answers_json, result_json)",
        "PRAGMA user_version = 1; CREATE TABLE notes (id)",
    ],
)
@pytest.mark.parametrize("command", [["history", "list"], ["history", "export", "-o", "-"], ["score", ANSWERS, "--save"]])
def test_a_foreign_database_is_refused_untouched(
    _isolated_home: Path, schema: str, command: list[str]
) -> None:
    _isolated_home.mkdir(parents=True)
    store = _isolated_home / "history.sqlite3"
    with sqlite3.connect(store) as db:
        db.executescript(schema)
    os.chmod(store, 0o644)
    before = _digest(store)
    r = runner.invoke(app, command)
    assert r.exit_code == 3, r.output
    assert "not a stm-screen history" in r.stderr and "left as it is" in r.stderr
    assert _digest(store) == before
    assert sorted(os.listdir(_isolated_home)) == ["history.sqlite3"]  # no -wal, no -shm made
    assert os.stat(store).st_mode & 0o777 == 0o644


def test_a_store_from_an_earlier_version_is_still_ours(_isolated_home: Path) -> None:
    _save(1)
    store = _isolated_home / "history.sqlite3"
    with sqlite3.connect(store) as db:
        db.execute("PRAGMA application_id = 0")  # written before the marker existed
    r = runner.invoke(app, ["history", "list"])
    assert r.exit_code == 0 and "MRN-1" in r.stdout
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] != 0  # marked now


@pytest.mark.parametrize("which", ["history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm"])
@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlink_is_refused(_isolated_home: Path, tmp_path: Path, which: str, dangling: bool) -> None:
    _isolated_home.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.sqlite3"
    if not dangling:
        elsewhere.write_bytes(b"")
    (_isolated_home / which).symlink_to(elsewhere)
    commands = [["history", "list"], ["history", "delete", "1"]] if which == "history.sqlite3" else []
    for command in [*commands, ["score", ANSWERS, "--save"]]:  # without a store, list and delete read none
        r = runner.invoke(app, command)
        assert r.exit_code == 3, (command, r.output)
        assert "symbolic link" in r.stderr
    assert "Seeing a physical therapist" in r.stdout  # score: the result was shown first
    assert not elsewhere.exists() or elsewhere.read_bytes() == b""


def test_an_existing_file_keeps_its_mode(_isolated_home: Path) -> None:
    _save(1)
    store = _isolated_home / "history.sqlite3"
    os.chmod(store, 0o640)
    _save(1)
    assert os.stat(store).st_mode & 0o777 == 0o640


def test_a_new_store_is_0600_whatever_the_umask(_isolated_home: Path) -> None:
    old = os.umask(0)
    try:
        _save(1)
    finally:
        os.umask(old)
    assert os.stat(_isolated_home / "history.sqlite3").st_mode & 0o777 == 0o600


@pytest.mark.parametrize("damage", ["{bad", "[]", "1" * 5000, json.dumps({"a": [[[[]]]]}) + "x"])
def test_one_damaged_row_does_not_stop_list_or_export(_isolated_home: Path, damage: str) -> None:
    _save(3)
    with sqlite3.connect(_isolated_home / "history.sqlite3") as db:
        db.execute("UPDATE screenings SET result_json = ? WHERE id = 2", (damage,))
    for command in (
        ["history", "list"],
        ["history", "list", "-f", "json"],
        ["history", "export", "-o", "-", "-f", "jsonl"],
        ["history", "export", "-o", "-", "-f", "csv"],
        ["history", "export", "-o", "-", "-f", "fhir"],
    ):
        r = runner.invoke(app, command)
        assert r.exit_code == 3, (command, r.output)
        assert "MRN-1" in r.stdout and "MRN-3" in r.stdout, command
        assert "screening 2 cannot be read" in r.stderr
        assert "MRN" not in r.stderr  # messages never hold patient references


@pytest.mark.parametrize(
    ("column", "value"),
    [("created_at", "garbage"), ("patient_ref", "MRN-2\x1b]52;c;aGk=\x07"), ("level", "ok\x1b[2J"), ("created_at", 5)],
)
def test_a_row_changed_outside_the_tool_is_named_as_damaged(_isolated_home: Path, column: str, value: object) -> None:
    """A time that cannot be read, or an escape sequence in a text the tool wrote (it would act on a
    terminal, and an export would carry it), is a damaged row: named and left out, the others listed."""
    _save(3)
    with sqlite3.connect(_isolated_home / "history.sqlite3") as db:
        db.execute(f"UPDATE screenings SET {column} = ? WHERE id = 2", (value,))  # noqa: S608 - a test's own names
    for command in (["history", "list"], ["history", "export", "-o", "-", "-f", "csv"]):
        r = runner.invoke(app, command)
        assert r.exit_code == 3, (command, r.output)
        assert "MRN-1" in r.stdout and "MRN-3" in r.stdout and "\x1b" not in r.stdout, command
        assert "screening 2 cannot be read" in r.stderr


@pytest.mark.parametrize("shape", ["one-long-name", "too-deep"])
def test_a_data_folder_path_the_system_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str) -> None:
    folder = tmp_path / ("a" * 300) if shape == "one-long-name" else tmp_path.joinpath(*["b" * 200] * 25)
    monkeypatch.setenv("STM_SCREEN_HOME", str(folder))
    r = runner.invoke(app, ["score", ANSWERS, "--save"])
    assert r.exit_code == 3, r.output
    assert "Seeing a physical therapist" in r.stdout  # the result first
    assert "NOT saved" in r.stderr and "internal error" not in r.stderr
    for command in (["history", "list"], ["history", "export", "-o", "-"], ["history", "show", "1"]):
        r = runner.invoke(app, command)
        assert r.exit_code == 3 and "cannot use the data folder" in r.stderr, (command, r.output)


@pytest.mark.parametrize("which", ["history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm", "history.sqlite3-journal"])
def test_a_hard_link_is_refused_and_left_as_it_was(_isolated_home: Path, tmp_path: Path, which: str) -> None:
    """A file with another name too (a hard link, put there by anyone who can write in the folder): SQLite
    would write the log (answers, patient references) into it, readable under the other name with its own
    mode. Refused (exit 3) before anything is written; the other name's content kept."""
    _save(1)
    victim = tmp_path / "victim"
    target = _isolated_home / which
    if which == "history.sqlite3":  # the store itself, with a second name elsewhere
        target.rename(victim)
    else:
        target.unlink(missing_ok=True)
        victim.write_bytes(b"precious data")
    before = victim.read_bytes()
    target.hardlink_to(victim)
    r = runner.invoke(app, ["score", ANSWERS, "--save", "--patient", "MRN-0042"])
    assert r.exit_code == 3, r.output
    assert "hard link" in r.stderr and "MRN-0042" not in r.stderr
    assert victim.read_bytes() == before
