"""A writer killed mid-way never corrupts the store, and every committed row survives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from stm_screen.store.history import HistoryStore

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from stm_screen.store.history import HistoryStore

    result = {"level": "pt_consider", "ruleset": {"id": "t", "version": "1", "sha256": "0"},
              "tool_version": "x", "padding": "p" * 20000}
    with HistoryStore(Path(sys.argv[1])) as store:
        n = 0
        while True:
            n += 1
            rid = store.add(result=result, answers={"n": n, "blob": "b" * 5000})
            print(rid, n, flush=True)
    """
)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_sigkilled_writer_leaves_a_sound_store(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    committed: dict[int, int] = {}
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    try:
        while len(committed) < 40 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            rid, n = map(int, line.split())
            committed[rid] = n
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # mid-way through the next insert, most likely
        proc.wait(timeout=10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert len(committed) >= 40, "the writer did not get going"

    with HistoryStore(path) as store:
        assert store.integrity_ok()
        rows = {r.id: r.answers["n"] for r in store.records()}
    # every row the writer reported as committed is there, unchanged (it may have committed a few more
    # before the signal arrived: those are whole rows too)
    for rid, n in committed.items():
        assert rows.get(rid) == n
    assert sorted(rows.values()) == list(range(1, len(rows) + 1))
