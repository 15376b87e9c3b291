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
from stm_screen.io.atomic import write_text_atomic

FORMAT = "stm-screen-resume"
PATTERN = "resume-*.json"


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
    """Resume files in the folder, newest first."""
    files = [p for p in folder.glob(PATTERN) if p.is_file()]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def load(path: Path) -> Saved:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UsageError(
            f"{path}: the saved screening cannot be read; delete this file to start afresh"
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("answers"), dict)
    ):
        raise UsageError(f"{path}: not a saved screening; delete this file to start afresh")
    rules = data.get("rules")
    patient = data.get("patient")
    ruleset = data.get("ruleset")
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
        except AnswerValueError:
            dropped.append(qid)
    return values, dropped
