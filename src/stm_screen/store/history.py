"""The local history of screenings: one SQLite file in the data folder.

Design, in short:

* The file lives in :func:`stm_screen.io.datadir.data_dir` (folder 0700) and is created 0600 before SQLite
  opens it; SQLite gives its ``-wal`` and ``-shm`` files the same mode.
* WAL journal, ``synchronous=FULL``, a busy timeout, and every write in one ``BEGIN IMMEDIATE`` transaction:
  a process killed mid-way leaves either the whole record or none of it.
* ``PRAGMA user_version`` holds the schema version. Older stores are migrated forward inside a transaction;
  a store written by a newer stm-screen is refused and left untouched.
* Every ``sqlite3`` error becomes one :class:`~stm_screen.errors.StoreError` whose message names the file and
  the problem, never the answers or the patient reference.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sqlite3
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stm_screen.errors import Problem, StoreError, os_reason, printable
from stm_screen.i18n import L_, Text

FILE_NAME = "history.sqlite3"
BUSY_TIMEOUT_S = 5.0
SCHEMA_VERSION = 2
APPLICATION_ID = 0x53544D53  # "STMS" in the file's header: this file is a stm-screen history

# Forward migrations: version reached -> statements. Never edit a released step; add a new one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE screenings (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                created_at TEXT NOT NULL,
                patient_ref TEXT,
                ruleset_id TEXT NOT NULL,
                ruleset_version TEXT NOT NULL,
                ruleset_sha256 TEXT NOT NULL,
                tool_version TEXT NOT NULL,
                level TEXT,
                answers_json TEXT NOT NULL,
                result_json TEXT NOT NULL
            )""",
            "CREATE INDEX screenings_created ON screenings (created_at)",
        ),
    ),
    (
        2,
        (
            # question id -> question type, so that exports (FHIR) type each answer as it was asked
            "ALTER TABLE screenings ADD COLUMN answer_types_json TEXT NOT NULL DEFAULT '{}'",
            "CREATE INDEX screenings_patient ON screenings (patient_ref, created_at)",
        ),
    ),
)

_COLUMNS = (
    "id, created_at, patient_ref, ruleset_id, ruleset_version, ruleset_sha256, tool_version, level, "
    "answers_json, result_json, answer_types_json"
)


class ReadOnlyStore(StoreError):
    """The store file exists but cannot be opened for writing."""


@dataclass(frozen=True)
class Record:
    """One saved screening."""

    id: int
    created_at: str  # UTC, ISO 8601 with a Z
    patient_ref: str | None
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    tool_version: str
    level: str | None
    answers: dict[str, Any]
    result: dict[str, Any]
    answer_types: dict[str, str]

    def summary(self) -> dict[str, Any]:
        """The record without answers and result: what ``history list`` shows."""
        return {
            "id": self.id,
            "created_at": self.created_at,
            "patient": self.patient_ref,
            "ruleset_id": self.ruleset_id,
            "ruleset_version": self.ruleset_version,
            "ruleset_sha256": self.ruleset_sha256,
            "tool_version": self.tool_version,
            "level": self.level,
            "level_title": self.result.get("title") if isinstance(self.result.get("title"), str) else None,
            "score": self.result.get("score"),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "answers": self.answers, "result": self.result}


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_path() -> Path:
    from stm_screen.io.datadir import data_dir

    return data_dir() / FILE_NAME


def describe_error(exc: BaseException) -> Text:
    """What went wrong with the store, in words; only SQLite's own message, which holds no data."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return L_("the history store is busy (another stm-screen is writing to it); try again in a moment")
    if "disk is full" in text or "database or disk is full" in text:
        return L_("the disk is full; free some space and try again (nothing already saved was lost)")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return L_(
            "the history store is damaged or is not a stm-screen history file; it was left as it is. "
            "Move it away to start a new history (or restore it from a backup)"
        )
    if "readonly" in text or "read-only" in text:
        return L_("the history store is read-only; check the file's permissions")
    if "unable to open" in text or "cannot open" in text:
        return L_("cannot open the history store; check that its folder exists and is writable")
    if "disk i/o" in text:
        return L_("a disk error stopped the history store; check the disk and try again")
    return L_("the history store cannot be used: the database refused what was asked of it; run again with --debug to see its own words")


class HistoryStore:
    """An open history store. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        timeout: float | None = None,
        in_memory: bool = False,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._timeout = BUSY_TIMEOUT_S if timeout is None else timeout
        if not in_memory:
            from stm_screen.io.sameness import refuse_streams_on_store

            refuse_streams_on_store(self.path)
        if in_memory:
            self.conn = self._open_memory()
        else:
            self.conn = self._open_read_only() if read_only else self._open()

    def _open_memory(self) -> sqlite3.Connection:
        """An empty store that is never written anywhere (reading a history that does not exist yet)."""
        conn = sqlite3.connect(":memory:", isolation_level=None)
        self._migrate(conn)
        return conn

    # --- opening ---------------------------------------------------------------------------------------

    def _fail(self, exc: BaseException) -> StoreError:
        return StoreError(Problem(describe_error(exc), str(self.path)))

    def _create_file(self) -> None:
        """Create the store's file, mode 0600, if it is not there; an existing file keeps its mode (it may
        not be ours to change). A symbolic link is refused: the history is never written through one."""
        refuse_links(self.path)
        if self.path.is_dir():
            raise StoreError(Problem(L_("is a folder, not a history store"), str(self.path)))
        nofollow = getattr(os, "O_NOFOLLOW", 0)
        try:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | nofollow, 0o600)
            except FileExistsError:
                fd = os.open(self.path, os.O_RDWR | nofollow)
            else:
                if os.name == "posix":
                    os.fchmod(fd, 0o600)  # whatever the umask: a file we made
            os.close(fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                refuse_links(self.path, always=True)
            if self.path.is_file() and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise ReadOnlyStore(
                    f"{self.path}: the history store is read-only ({os_reason(exc)}); "
                    "it can be listed, shown and exported, not changed"
                ) from None
            reason = os_reason(exc)
            message = L_(
                "cannot create the history store ({reason}); check the folder's permissions or set STM_SCREEN_HOME",
                reason=reason,
            )
            raise StoreError(Problem(message, str(self.path))) from None

    def _open(self) -> sqlite3.Connection:
        self._create_file()
        check_marker(self.path)  # before anything is written to it: a foreign database is left alone
        try:
            conn = sqlite3.connect(str(self.path), timeout=self._timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                message = L_(
                    "this history store was written by a newer stm-screen (schema {version}; this version "
                    "reads up to {supported}). Upgrade stm-screen; the store was left as it is",
                    version=version,
                    supported=SCHEMA_VERSION,
                )
                raise StoreError(Problem(message, str(self.path)))
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - e.g. a network file system
                message = L_("the history store cannot use write-ahead logging here")
                raise StoreError(Problem(message, str(self.path)))
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            if version < SCHEMA_VERSION:
                self._migrate(conn)
            if int(conn.execute("PRAGMA application_id").fetchone()[0]) != APPLICATION_ID:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")  # ours: mark it as such
        except StoreError:
            conn.close()
            raise
        except sqlite3.Error as exc:
            conn.close()
            raise self._fail(exc) from None
        return conn

    def _open_read_only(self) -> sqlite3.Connection:
        """A store this process cannot write (read-only file or file system): read it as it is.

        ``immutable`` because a write-ahead-log store cannot be opened ``mode=ro`` where its ``-shm`` file
        cannot be made. Only reading commands open a store this way (``open_store(create=False)``); a write
        through this connection fails as "read-only".
        """
        refuse_links(self.path)
        check_marker(self.path)
        uri = self.path.resolve().as_uri() + "?immutable=1"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        if version != SCHEMA_VERSION:
            conn.close()
            newer = version > SCHEMA_VERSION
            if newer:
                message = L_(
                    "the history store is read-only and was written by a newer stm-screen (schema {version}; "
                    "this version reads {supported}). Upgrade stm-screen",
                    version=version,
                    supported=SCHEMA_VERSION,
                )
            else:
                message = L_(
                    "the history store is read-only and was written by an older stm-screen (schema {version}; "
                    "this version reads {supported}); it cannot be upgraded while read-only",
                    version=version,
                    supported=SCHEMA_VERSION,
                )
            raise StoreError(Problem(message, str(self.path)))
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        if int(conn.execute("PRAGMA user_version").fetchone()[0]) == 0:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        try:
            # read again inside the lock: another process may have migrated meanwhile
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            for target, statements in MIGRATIONS:
                if target <= version:
                    continue
                for sql in statements:
                    conn.execute(sql)
                conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

    # --- context manager -------------------------------------------------------------------------------

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it or none of it."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._fail(exc) from None
            raise

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    # --- writing ---------------------------------------------------------------------------------------

    def add(
        self,
        *,
        result: Mapping[str, Any],
        answers: Mapping[str, Any],
        answer_types: Mapping[str, str] | None = None,
        patient_ref: str | None = None,
        created_at: str | None = None,
    ) -> int:
        """Save one screening; return its id."""
        ruleset = result.get("ruleset") or {}
        row = (
            created_at or utc_now(),
            patient_ref,
            str(ruleset.get("id", "")),
            str(ruleset.get("version", "")),
            str(ruleset.get("sha256", "")),
            str(result.get("tool_version", "")),
            result.get("level"),
            json.dumps(dict(answers), ensure_ascii=False, sort_keys=True),
            json.dumps(dict(result), ensure_ascii=False),
            json.dumps(dict(answer_types or {}), ensure_ascii=False, sort_keys=True),
        )
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO screenings (created_at, patient_ref, ruleset_id, ruleset_version, "
                "ruleset_sha256, tool_version, level, answers_json, result_json, answer_types_json) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            new_id = cur.lastrowid
        assert new_id is not None
        return int(new_id)

    def delete(self, record_id: int) -> bool:
        """Delete one record; False if there is no such id."""
        with self._write() as conn:
            cur = conn.execute("DELETE FROM screenings WHERE id = ?", (record_id,))
            return cur.rowcount > 0

    def count_before(self, before: str) -> int:
        return int(self._query("SELECT count(*) FROM screenings WHERE created_at < ?", (before,))[0][0])

    def purge_before(self, before: str) -> int:
        """Delete every record saved before ``before`` (an ISO time); return how many."""
        with self._write() as conn:
            cur = conn.execute("DELETE FROM screenings WHERE created_at < ?", (before,))
            return cur.rowcount

    # --- reading ---------------------------------------------------------------------------------------

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def _record(self, row: tuple[Any, ...]) -> Record:
        try:
            return self._decode(row)
        except (ValueError, TypeError, RecursionError):
            message = L_(
                "saved screening {number} cannot be read (its stored data is damaged); the other screenings "
                "are unaffected",
                number=row[0],
            )
            raise StoreError(Problem(message, str(self.path))) from None

    @staticmethod
    def _decode(row: tuple[Any, ...]) -> Record:
        answers, result, types = json.loads(row[8]), json.loads(row[9]), json.loads(row[10] or "{}")
        if not all(isinstance(part, dict) for part in (answers, result, types)):
            raise TypeError("a stored JSON column is not an object")
        # Columns stm-screen wrote itself: a text, never a control character (a terminal would act on it,
        # an export would carry it), and a time it can read. Anything else was changed outside the tool.
        texts = [row[i] for i in range(1, 8)]
        if not isinstance(row[1], str) or any(t is not None and not isinstance(t, str) for t in texts):
            raise TypeError("a stored text column holds something else")
        if any(t and _CONTROL.search(t) for t in texts):
            raise ValueError("a stored text holds a control character")
        from datetime import datetime

        datetime.fromisoformat(row[1])  # ValueError: not a time
        return Record(
            id=int(row[0]),
            created_at=row[1],
            patient_ref=row[2],
            ruleset_id=row[3],
            ruleset_version=row[4],
            ruleset_sha256=row[5],
            tool_version=row[6],
            level=row[7],
            answers=answers,
            result=result,
            answer_types=types,
        )

    def get(self, record_id: int) -> Record | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM screenings WHERE id = ?", (record_id,))
        return self._record(rows[0]) if rows else None

    def records(
        self, *, patient_ref: str | None = None, since: str | None = None, damaged: list[int] | None = None
    ) -> Iterator[Record]:
        """Records oldest first, optionally for one patient and/or from a time on. Streams. With
        ``damaged``, a record whose stored data cannot be read is left out and its id added there
        (listing and exporting go on); without it, such a record stops the reading."""
        where, params = [], []
        if patient_ref is not None:
            where.append("patient_ref = ?")
            params.append(patient_ref)
        if since is not None:
            where.append("created_at >= ?")
            params.append(since)
        sql = f"SELECT {_COLUMNS} FROM screenings"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at, id"
        try:
            cur = self.conn.execute(sql, tuple(params))
            while True:
                rows = cur.fetchmany(200)
                if not rows:
                    return
                for row in rows:
                    if damaged is None:
                        yield self._record(row)
                        continue
                    try:
                        record = self._decode(row)
                    except (ValueError, TypeError, RecursionError):
                        damaged.append(int(row[0]) if isinstance(row[0], int) else -1)
                        continue
                    yield record
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def integrity_ok(self) -> bool:
        rows = self._query("PRAGMA integrity_check")
        return len(rows) == 1 and rows[0][0] == "ok"


def refuse_links(path: Path, always: bool = False) -> None:
    """The store and its write-ahead files are never opened through a symbolic link, nor written while
    another name shares the file (a hard link: SQLite would write answers into a file that is someone
    else's too, with its mode): exit 3."""
    for name in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        if always or name.is_symlink():
            message = L_(
                "is a symbolic link; the history store is never opened through a link (it could point "
                "anywhere). Put the real file there, or set STM_SCREEN_HOME to the folder that holds it"
            )
            raise StoreError(Problem(message, str(name)))
        try:
            info = os.lstat(name)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
            message = L_(
                "has another name too (a hard link); the history store never writes into a file that "
                "another name shares (what it writes would be readable there). Remove the other name, or "
                "set STM_SCREEN_HOME to another folder"
            )
            raise StoreError(Problem(message, str(name)))


def check_marker(path: Path) -> None:
    """Refuse (exit 3, the file untouched) a database that is not a stm-screen history: one marked by
    another application, or unmarked with anything in it that is not ours (a table, view, trigger or index
    of another program, or a schema version with no tables). Read without writing; what a write-ahead log
    beside it holds is read too (another program's tables may be there only)."""
    try:
        if path.stat().st_size == 0:
            return  # just created: ours to set up
    except OSError:
        return
    try:
        logged = os.stat(path.with_name(path.name + "-wal")).st_size > 0
    except OSError:
        logged = False
    base = path.resolve().as_uri()
    # "immutable" reads a read-only disk but ignores the log; "mode=ro" reads the log as SQLite would.
    uris = [base + "?mode=ro", base + "?immutable=1"] if logged else [base + "?immutable=1"]
    for n, uri in enumerate(uris):
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_S)
            try:
                app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                things = {(str(r[0]), str(r[1])) for r in conn.execute("SELECT type, name FROM sqlite_master")}
                columns = {r[1] for r in conn.execute("PRAGMA table_info(screenings)")}
            finally:
                conn.close()
            break
        except sqlite3.Error as exc:
            if n + 1 < len(uris):
                continue
            raise StoreError(Problem(describe_error(exc), str(path))) from None
    foreign = {
        (kind, name)
        for kind, name in things
        if not (
            (kind == "table" and (name in _OUR_TABLES or name.startswith("sqlite_stat")))  # ANALYZE's own
            or (kind == "index" and (name in _OUR_INDEXES or name.startswith("sqlite_autoindex_")))
        )
    }
    if app_id == APPLICATION_ID:
        if foreign:  # a trigger could copy every screening elsewhere, a view show them to another program
            kinds = ", ".join(f"{kind} {printable(name[:40])}" for kind, name in sorted(foreign)[:5])
            raise StoreError(
                Problem(
                    L_(
                        "is a stm-screen history, but it holds things stm-screen never makes ({kinds}: another "
                        "program's, which could copy or keep the screenings); it was not used and was left as "
                        "it is. Remove them with sqlite3, or set STM_SCREEN_HOME to another folder",
                        kinds=kinds,
                    ),
                    str(path),
                )
            )
        ours = True
    elif app_id != 0 or foreign:
        ours = False
    elif not things:
        ours = version == 0  # an empty database; with a schema version, another program's
    else:
        ours = {"id", "created_at", "answers_json", "result_json"} <= columns
    if not ours:
        message = L_(
            "is a database but not a stm-screen history (another program's file with the same name?); it "
            "was left as it is. Move it away, or set STM_SCREEN_HOME to another folder"
        )
        raise StoreError(Problem(message, str(path)))


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # (a tab or line feed is text: a rules file may hold one)
_OUR_TABLES = frozenset({"screenings", "sqlite_sequence"})
_OUR_INDEXES = frozenset({"screenings_created", "screenings_patient"})


def open_store(path: Path | None = None, *, create: bool = True) -> HistoryStore:
    """Open (creating or migrating) the history store at ``path`` (default: the data folder).

    With ``create=False`` a store that does not exist yet is not created: an empty one is read instead, so
    that looking at an empty history writes nothing to disk.
    """
    if not create:
        if path is None:
            from stm_screen.io.datadir import data_dir

            path = data_dir(create=False) / FILE_NAME
        if not path.exists() and not path.is_symlink():
            return HistoryStore(path, in_memory=True)
        try:
            return HistoryStore(path)
        except ReadOnlyStore:
            return HistoryStore(path, read_only=True)
    return HistoryStore(path)
