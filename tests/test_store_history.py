"""The history store: schema, permissions, migrations, and every way it can refuse to work."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from stm_screen.errors import StoreError, UsageError
from stm_screen.store import check_patient_ref, result_from_dict, save_screening
from stm_screen.store import history as h
from stm_screen.store.history import HistoryStore


def _result(ruleset: Any, **answers: Any) -> Any:
    from stm_screen.screening import score_data

    # a complete 2.0 answer set: the 'nothing met gives self-care' example, and every other yes/no "no"
    base = {q.id: False for q in ruleset.questions if q.type == "boolean"}
    base.update(ruleset.examples[0].answers)
    base.update(pain_duration_months=6, pain_areas=["low_back"], pain_intensity=5, activity_limitation=5)
    base.update(answers)
    return score_data(ruleset, base)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_save_and_read_back_everything(ruleset: Any, _isolated_home: Path) -> None:
    result = _result(ruleset, fear_of_movement=True)
    rid = save_screening(result, ruleset=ruleset, patient="MRN-0042")
    with HistoryStore() as store:
        record = store.get(rid)
        assert store.schema_version() == h.SCHEMA_VERSION
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert record is not None
    assert record.patient_ref == "MRN-0042"
    assert record.ruleset_id == ruleset.id
    assert record.ruleset_version == ruleset.version
    assert record.ruleset_sha256 == ruleset.sha256
    assert record.level == result.level
    assert record.answers == result.answers
    assert record.answer_types["pain_duration_months"] == "number"
    assert record.answer_types["pain_areas"] == "multi_choice"
    assert record.created_at.endswith("Z") and record.created_at[4] == "-"
    assert (result.level, result.unchecked) == ("pt_recommended", False)
    # the stored result turns back into the very same Result
    assert result_from_dict(record.result) == result


@pytest.mark.parametrize(
    "answers",
    [
        {"night_pain": True},  # a warning sign, with its urgency
        {"night_pain": "unsure"},  # a warning sign that could not be ruled out
        {"self_harm_thoughts": True, "self_harm_danger": False},  # emergency
        {"activity_limitation": 2},  # self-care
    ],
    ids=["see-doctor", "unchecked", "emergency", "self-care"],
)
def test_every_kind_of_result_reads_back_the_same(ruleset: Any, answers: dict[str, Any]) -> None:
    result = _result(ruleset, **answers)
    rid = save_screening(result, ruleset=ruleset)
    with HistoryStore() as store:
        record = store.get(rid)
    assert record is not None and record.level == result.level
    back = result_from_dict(record.result)
    assert (back.level, back.unchecked, back.urgency) == (result.level, result.unchecked, result.urgency)
    assert back == result


def test_store_folder_and_file_modes(ruleset: Any, _isolated_home: Path) -> None:
    save_screening(_result(ruleset))
    path = _isolated_home / h.FILE_NAME
    assert stat.S_IMODE(os.stat(_isolated_home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if extra.exists():
            assert stat.S_IMODE(os.stat(extra).st_mode) & 0o077 == 0


def test_filters_and_order(ruleset: Any) -> None:
    with HistoryStore() as store:
        ids = [
            store.add(result=_result(ruleset).to_dict(), answers={}, patient_ref=ref, created_at=when)
            for ref, when in (
                ("A1", "2024-01-02T10:00:00Z"),
                ("B2", "2024-03-01T09:00:00Z"),
                ("A1", "2024-02-01T08:00:00Z"),
            )
        ]
        assert [r.id for r in store.records()] == [ids[0], ids[2], ids[1]]
        assert [r.id for r in store.records(patient_ref="A1")] == [ids[0], ids[2]]
        assert [r.id for r in store.records(since="2024-02-01")] == [ids[2], ids[1]]
        assert store.count_before("2024-02-15T00:00:00Z") == 2
        assert store.purge_before("2024-02-15T00:00:00Z") == 2
        assert [r.id for r in store.records()] == [ids[1]]
        assert store.delete(ids[1]) is True
        assert store.delete(ids[1]) is False


def _v1_store(path: Path) -> None:
    """A store as the first schema version wrote it, with one row."""
    conn = sqlite3.connect(path, isolation_level=None)
    for sql in h.MIGRATIONS[0][1]:
        conn.execute(sql)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO screenings (created_at, patient_ref, ruleset_id, ruleset_version, ruleset_sha256, "
        "tool_version, level, answers_json, result_json) VALUES "
        "('2024-01-01T00:00:00Z', 'P-1', 'pt-screen', '0.9', 'abc', '0.0.1', 'self_care', "
        '\'{"pain_intensity": 3}\', \'{"level": "self_care"}\')'
    )
    conn.close()


def test_old_store_is_migrated_forward_keeping_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _v1_store(path)
    with HistoryStore(path) as store:
        assert store.schema_version() == h.SCHEMA_VERSION
        (record,) = list(store.records())
        assert (record.patient_ref, record.ruleset_version, record.answers) == (
            "P-1",
            "0.9",
            {"pain_intensity": 3},
        )
        assert record.answer_types == {}
        indexes = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "screenings_patient" in indexes
        assert store.integrity_ok()


def test_store_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    _v1_store(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {h.SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    before = _digest(path)
    with pytest.raises(StoreError, match="newer stm-screen") as info:
        HistoryStore(path)
    assert "Upgrade" in str(info.value)
    assert _digest(path) == before


def test_corrupt_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "bad.sqlite3"
    path.write_bytes(b"this is not a database, just some text that someone saved here\n" * 50)
    before = _digest(path)
    with pytest.raises(StoreError, match="damaged or is not a stm-screen history file"):
        HistoryStore(path)
    assert _digest(path) == before


def test_a_folder_in_the_way_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.mkdir()
    with pytest.raises(StoreError, match="is a folder"):
        HistoryStore(path)


def test_unwritable_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("STM_SCREEN_HOME", str(blocker / "sub"))
    with pytest.raises(StoreError, match="cannot use the data folder"):
        HistoryStore()


def test_read_only_store(ruleset: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store that cannot be written (read-only file or file system) is one clear error; rows survive.

    File modes do not stop root (CI runs as root), so the store is opened read-only the way SQLite sees a
    read-only file: through a ``mode=ro`` connection.
    """
    path = tmp_path / "ro.sqlite3"
    with HistoryStore(path) as store:
        first = store.add(result=_result(ruleset).to_dict(), answers={})
    real_connect = sqlite3.connect

    def read_only(database: str, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if database == str(path):
            return real_connect(f"file:{path}?mode=ro", *args, uri=True, **kwargs)
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    with pytest.raises(StoreError) as info:
        with HistoryStore(path) as store:
            store.add(result=_result(ruleset).to_dict(), answers={}, patient_ref="SECRET-7")
    assert "SECRET-7" not in str(info.value)
    monkeypatch.setattr(sqlite3, "connect", real_connect)
    with HistoryStore(path) as store:
        assert [r.id for r in store.records()] == [first]


def test_locked_store_is_a_clear_error_and_loses_nothing(ruleset: Any, tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    with HistoryStore(path) as store:
        first = store.add(result=_result(ruleset).to_dict(), answers={"pain_intensity": 5})
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="busy") as info:
            with HistoryStore(path, timeout=0.2) as store:
                store.add(result=_result(ruleset).to_dict(), answers={}, patient_ref="SECRET-99")
        assert "SECRET-99" not in str(info.value)
    finally:
        other.execute("ROLLBACK")
        other.close()
    with HistoryStore(path) as store:
        assert [r.id for r in store.records()] == [first]


def test_full_disk_is_a_clear_error_and_loses_nothing(ruleset: Any, tmp_path: Path) -> None:
    """A real SQLITE_FULL: the database may not grow past its current size."""
    path = tmp_path / "full.sqlite3"
    with HistoryStore(path) as store:
        kept = store.add(result=_result(ruleset).to_dict(), answers={"pain_intensity": 5})
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreError, match="disk is full") as info:
            store.add(
                result=_result(ruleset).to_dict(), answers={"note": "x" * 200_000}, patient_ref="SECRET-77"
            )
        assert "SECRET-77" not in str(info.value) and "xxxx" not in str(info.value)
    with HistoryStore(path) as store:
        assert [r.id for r in store.records()] == [kept]
        assert store.integrity_ok()


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("database is locked", "busy"),
        ("database or disk is full", "disk is full"),
        ("file is not a database", "damaged"),
        ("attempt to write a readonly database", "read-only"),
        ("unable to open database file", "cannot open"),
        ("disk I/O error", "disk error"),
        ("something new", "the database refused what was asked of it; run again with --debug"),
    ],
)
def test_every_sqlite_error_has_words(message: str, expected: str) -> None:
    said = h.describe_error(sqlite3.OperationalError(message))
    assert expected in said
    assert "OperationalError" not in said  # a Python class's name means nothing to a clinic's staff


@pytest.mark.parametrize("ref", ["MRN-0042", "12345", "clinic:A/7", "p.9_x#1"])
def test_patient_references_accepted(ref: str) -> None:
    assert check_patient_ref(f" {ref} ") == ref


@pytest.mark.parametrize("ref", ["John Smith", "Smith", "", "jane.doe", "a" * 70 + "1", "-1", "x y 1"])
def test_name_like_patient_references_refused_without_echo(ref: str) -> None:
    with pytest.raises(UsageError) as info:
        check_patient_ref(ref)
    message = str(info.value)
    assert "never a name" in message
    if ref.strip():
        assert ref not in message
