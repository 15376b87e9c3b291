"""Resume files: the answers of an unfinished screening, kept in the data folder so nothing is lost.

Each screening session has its own file ``resume-<time>-<random>.json`` (mode 0600, written atomically),
saved after every answer and when the person stops. ``--resume`` continues the newest one; a finished
screening deletes its own file. The files hold answers and the patient reference, so they are never
printed or logged, only named by path.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stm_screen.core.answers import Answer, AnswerValueError, parse_answer, plain
from stm_screen.core.ruleset import Ruleset
from stm_screen.errors import UsageError
from stm_screen.i18n import _
from stm_screen.io.atomic import write_text_atomic

FORMAT = "stm-screen-resume"
PATTERN = "resume-*.json"
MAX_BYTES = 256 * 1024  # a screening's answers take a few kilobytes; anything this large is not one


@dataclass
class Saved:
    """What a resume file holds."""

    path: Path
    answers: dict[str, Any]
    rules: str | None  # the --rules value the screening was started with (None: bundled)
    ruleset: dict[str, str] = field(default_factory=dict)
    patient: str | None = None
    saved_at: str = ""
    run: dict[str, Any] = field(default_factory=dict)  # the run's options: --save, --next, --report...
    with_modules: str | None = None  # the --with value (instrument modules)
    texts: str | None = None  # the --texts file (the clinic's wording)


def new_path(folder: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"resume-{stamp}-{secrets.token_hex(3)}.json"


def save(
    path: Path,
    ruleset: Ruleset,
    answers: dict[str, Answer],
    *,
    rules: str | None,
    patient: str | None,
    run: dict[str, Any] | None = None,
    with_modules: str | None = None,
    texts: str | None = None,
) -> None:
    """Write (or replace) a resume file atomically, readable by its owner only. ``run``: the options of
    the run (see ``cli.screen_cmd.run_state``), restored by ``--resume``."""
    data = {
        "format": FORMAT,
        "version": 1,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rules": rules,
        "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256},
        "patient": patient,
        "run": run or {},
        "answers": {k: plain(v) for k, v in answers.items()},
    }
    if with_modules:
        data["with"] = with_modules
    if texts:
        data["texts"] = texts
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", force=True, mode=0o600)


def delete(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def saved_files(folder: Path) -> list[Path]:
    """Resume files in the folder, newest first (a file removed meanwhile is left out)."""
    found: list[tuple[float, str, Path]] = []
    try:
        candidates = list(folder.glob(PATTERN))
    except OSError:
        return []
    for p in candidates:
        try:
            st = p.stat()
        except OSError:
            continue
        import stat

        if stat.S_ISREG(st.st_mode):
            found.append((st.st_mtime, p.name, p))
    return [p for _, _, p in sorted(found, reverse=True)]


class AlreadyOpen(UsageError):
    """The stopped screening is being answered in another stm-screen (another window)."""


def hold(path: Path) -> int | None:
    """Lock a screening's slot (``resume-....lock`` beside its resume file) for as long as this process
    answers it: a second ``--resume`` of the same screening is refused instead of overwriting it. The
    lock goes with the process (even with ``kill -9``). Returns the lock's descriptor (None where files
    cannot be locked)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no advisory locks
        return None
    lock_path = path.with_name(path.stem + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError:
        return None  # an unwritable data folder: the autosave says so later
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise AlreadyOpen(
            _(
                "this stopped screening is already open in another stm-screen (another window or terminal); "
                "finish or stop it there first, or start a new one with 'stm-screen screen'"
            )
        ) from None
    _HELD[fd] = path
    return fd


_HELD: dict[int, Path] = {}  # locks this process holds: descriptor -> resume file


def release_all() -> None:
    """Let go of every screening this process holds (when a screening ends, however it ends)."""
    for fd, path in list(_HELD.items()):
        release(path, fd)


def release(path: Path | None, fd: int | None) -> None:
    """Unlock a screening's slot (and remove the lock file once its screening is gone)."""
    if fd is None or path is None:
        return
    _HELD.pop(fd, None)
    if not path.exists():
        with contextlib.suppress(OSError):
            os.unlink(path.with_name(path.stem + ".lock"))
    with contextlib.suppress(OSError):
        os.close(fd)


def load(path: Path) -> Saved:
    damaged = UsageError(
        _(
            "{path}: the saved screening cannot be read (the file is damaged or was changed by another "
            "program); delete this file to start afresh"
        ).format(path=path)
    )
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UsageError(
                _(
                    "{path}: the saved screening is larger than {size} KB, so it is not one this tool wrote; "
                    "delete this file to start afresh"
                ).format(path=path, size=MAX_BYTES // 1024)
            )
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        raise damaged from None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("answers"), dict)
    ):
        raise UsageError(_("{path}: not a saved screening; delete this file to start afresh").format(path=path))
    rules = data.get("rules")
    patient = data.get("patient")
    ruleset = data.get("ruleset")
    if not all(_plain_value(v) for v in data["answers"].values()):
        raise damaged
    run = data.get("run")
    return Saved(
        path=path,
        answers=dict(data["answers"]),
        rules=rules if isinstance(rules, str) else None,
        ruleset={str(k): str(v) for k, v in ruleset.items()} if isinstance(ruleset, dict) else {},
        patient=patient if isinstance(patient, str) else None,
        saved_at=str(data.get("saved_at", "")),
        run=dict(run) if isinstance(run, dict) else {},
        with_modules=data["with"] if isinstance(data.get("with"), str) else None,
        texts=data["texts"] if isinstance(data.get("texts"), str) else None,
    )


def _plain_value(value: Any) -> bool:
    """An answer as this tool saves one: a scalar, or a flat list of texts (a multiple choice)."""
    if value is None or isinstance(value, str | int | float | bool):
        return True
    return isinstance(value, list) and len(value) <= 1000 and all(isinstance(v, str) for v in value)


def same_rules(ruleset: Ruleset, saved: Saved) -> bool:
    """Was the stopped screening started with exactly these rules (id, version and sha256)?"""
    return (saved.ruleset.get("id"), saved.ruleset.get("version"), saved.ruleset.get("sha256")) == (
        ruleset.id,
        ruleset.version,
        ruleset.sha256,
    )


def restore(ruleset: Ruleset, saved: Saved) -> tuple[dict[str, Answer], list[str]]:
    """The saved answers that are still valid for this ruleset, and the ids of those that are not."""
    values: dict[str, Answer] = {}
    dropped: list[str] = []
    for qid, raw in saved.answers.items():
        q = ruleset.by_id.get(qid)
        if q is None or raw is None:
            dropped.append(qid)
            continue
        try:
            values[qid] = parse_answer(q, raw)
        except (AnswerValueError, TypeError, ValueError, OverflowError):
            dropped.append(qid)
    return values, dropped
