"""A database named like the history store is ours only if everything in it is ours (issue 10, point 1).

New variants of another program's file in the store's place: an unmarked database holding a view, a
trigger or an index of its own beside a table shaped like ours; one with only a schema version (no
tables); one whose tables are still in its write-ahead log (the main file looks empty). Every command that
opens the store refuses it with exit 3 and changes neither the file nor its log. The store's own files,
whether the store was just made or has an unflushed log, stay ours.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = str(ROOT / "docs" / "examples" / "answers.yaml")
runner = CliRunner()
OURS = "CREATE TABLE screenings (id INTEGER PRIMARY KEY, created_at, answers_json, result_json);"


def _digest(*paths: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in paths if p.exists())).hexdigest()


@pytest.mark.parametrize(
    "schema",
    [
        "CREATE VIEW v AS SELECT 1",  # nothing but a view: not empty, not ours
        OURS + "CREATE TRIGGER t AFTER INSERT ON screenings BEGIN SELECT 1; END",
        OURS + "CREATE INDEX theirs ON screenings (id)",
        OURS + "CREATE VIEW recent AS SELECT * FROM screenings",
        "PRAGMA user_version = 7",  # a schema version, no tables: another program's empty database
        "PRAGMA user_version = 2",
    ],
)
@pytest.mark.parametrize("command", [["history", "list"], ["history", "export", "-o", "-"], ["score", ANSWERS, "--save"]])
def test_an_unmarked_database_with_anything_not_ours_is_refused(
    _isolated_home: Path, schema: str, command: list[str]
) -> None:
    _isolated_home.mkdir(parents=True)
    store = _isolated_home / "history.sqlite3"
    with sqlite3.connect(store) as db:
        db.executescript(schema)
    before = _digest(store)
    r = runner.invoke(app, command)
    assert r.exit_code == 3, r.output
    assert "not a stm-screen history" in r.stderr
    assert _digest(store) == before
    assert sorted(p.name for p in _isolated_home.iterdir()) == ["history.sqlite3"]


def _foreign_in_log(folder: Path) -> None:
    """A database in WAL mode whose table is only in its log (as left by a program that was killed)."""
    store = folder / "history.sqlite3"
    db = sqlite3.connect(store)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    db.execute("CREATE TABLE patients (name TEXT)")
    db.execute("INSERT INTO patients VALUES ('someone')")
    db.commit()
    shutil.copy(store, folder / "main.copy")
    shutil.copy(folder / "history.sqlite3-wal", folder / "wal.copy")
    db.close()  # a clean close folds the log into the file: put the killed program's files back
    (folder / "history.sqlite3-shm").unlink(missing_ok=True)
    shutil.move(folder / "main.copy", store)
    shutil.move(folder / "wal.copy", folder / "history.sqlite3-wal")


@pytest.mark.parametrize("command", [["history", "list"], ["score", ANSWERS, "--save"]])
def test_tables_still_in_the_write_ahead_log_are_seen(_isolated_home: Path, command: list[str]) -> None:
    _isolated_home.mkdir(parents=True)
    _foreign_in_log(_isolated_home)
    store, log = _isolated_home / "history.sqlite3", _isolated_home / "history.sqlite3-wal"
    with sqlite3.connect(f"{store.as_uri()}?immutable=1", uri=True) as db:
        assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0  # the file alone: empty
    before = _digest(store, log)
    r = runner.invoke(app, command)
    assert r.exit_code == 3, r.output
    assert "not a stm-screen history" in r.stderr
    assert _digest(store, log) == before
    with sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["patients"]


def test_our_own_store_with_its_log_is_still_ours(_isolated_home: Path) -> None:
    r = runner.invoke(app, ["score", ANSWERS, "--save", "--patient", "MRN-1"])
    assert r.exit_code == 0, r.output
    store = _isolated_home / "history.sqlite3"
    holder = sqlite3.connect(store)  # keeps the log from being folded in while the next save is made
    holder.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        r = runner.invoke(app, ["score", ANSWERS, "--save", "--patient", "MRN-2"])
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["history", "list"])
        assert r.exit_code == 0 and "MRN-1" in r.stdout and "MRN-2" in r.stdout, r.output
    finally:
        holder.close()


@pytest.mark.parametrize(
    "extra",
    [
        "CREATE TABLE keep AS SELECT * FROM screenings WHERE 0;"
        "CREATE TRIGGER t AFTER INSERT ON screenings BEGIN INSERT INTO keep SELECT * FROM screenings WHERE id = new.id; END",
        "CREATE TRIGGER t BEFORE DELETE ON screenings BEGIN SELECT 1; END",
        "CREATE VIEW everyone AS SELECT * FROM screenings",
        "CREATE INDEX theirs ON screenings (created_at, id)",
    ],
)
@pytest.mark.parametrize(
    "command",
    [["history", "list"], ["history", "export", "-o", "-"], ["history", "purge", "--before", "2100-01-01", "--yes"], ["score", ANSWERS, "--save"]],
)
def test_our_store_with_another_programs_trigger_view_or_table_is_refused(
    _isolated_home: Path, extra: str, command: list[str]
) -> None:
    """The store's own marker is not enough: a trigger added to it could copy each new screening elsewhere,
    or keep what purge deletes. Such a store is not used (exit 3) and is left as it is."""
    r = runner.invoke(app, ["score", ANSWERS, "--save", "--patient", "MRN-1"])
    assert r.exit_code == 0, r.output
    store = _isolated_home / "history.sqlite3"
    with sqlite3.connect(store) as db:
        db.executescript(extra)
    db.close()
    before = _digest(store)
    r = runner.invoke(app, command)
    assert r.exit_code == 3, r.output
    assert "holds things stm-screen never makes" in r.stderr
    assert _digest(store) == before


def test_sqlites_own_statistics_tables_are_not_foreign(_isolated_home: Path) -> None:
    """ANALYZE (run by a database tool, say) adds SQLite's own sqlite_stat1 table: still our store."""
    r = runner.invoke(app, ["score", ANSWERS, "--save", "--patient", "MRN-1"])
    assert r.exit_code == 0, r.output
    with sqlite3.connect(_isolated_home / "history.sqlite3") as db:
        db.execute("ANALYZE")
    db.close()
    r = runner.invoke(app, ["history", "list"])
    assert r.exit_code == 0, r.output
    assert "MRN-1" in r.stdout
