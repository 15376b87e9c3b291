"""A killed run leaves no partial result behind, or one that the next run finds and removes (issue 10).

Outputs are written to a file with no name (``O_TMPFILE``) and linked into place at the end, so even
``kill -9`` leaves nothing. Where a file cannot be made without a name it gets a locked
``.NAME.XXXX.stm-screen-partial`` name, and the next write to the same folder removes any such file whose
writer is gone (its lock is free), with a note; a file still being written (locked) is left alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stm_screen.io import atomic
from tests.batch_helpers import records as gen_records
from tests.batch_helpers import writing_in

EXE = str(Path(sys.executable).with_name("stm-screen"))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("in") / "records.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        gen_records.write(80_000, out, 5)
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and O_TMPFILE")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_kill_9_mid_batch_leaves_nothing(tmp_path: Path, big: Path, jobs: str) -> None:
    src = big.parent
    outdir = tmp_path / "out"
    outdir.mkdir()
    p = subprocess.Popen(
        [EXE, "batch", str(big), "-o", str(outdir / "result.csv"), "--jobs", jobs],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "STM_SCREEN_FAST": "0"},  # the exact reader, its parts written by helpers
    )
    try:
        deadline = time.monotonic() + 60
        while not writing_in(p.pid, outdir) and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert p.poll() is None, "the run ended before it could be killed; make the input larger"
        os.kill(p.pid, signal.SIGKILL)
    finally:
        p.wait(timeout=60)
    assert sorted(os.listdir(outdir)) == []
    assert sorted(os.listdir(src)) == ["records.csv"]


def test_a_named_partial_left_by_a_dead_run_is_removed_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)  # a system where a file always has a name
    dead = tmp_path / f".result.csv.0a0a0a0a{atomic.PARTIAL_SUFFIX}"
    dead.write_text("row,id\n1,MRN-1\n", encoding="utf-8")  # a partial result: health data
    dead.chmod(0o600)  # as a run makes them
    live = tmp_path / f".other.csv.0b0b0b0b{atomic.PARTIAL_SUFFIX}"
    live.write_text("being written\n", encoding="utf-8")
    import fcntl

    holder = os.open(live, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another stm-screen still writing it
    try:
        with atomic.atomic_writer(tmp_path / "result.csv") as handle:
            names = sorted(os.listdir(tmp_path))
            assert any(n.endswith(atomic.PARTIAL_SUFFIX) and n.startswith(".result.csv.") for n in names)
            handle.write("done\n")
    finally:
        os.close(holder)
    assert not dead.exists() and live.exists()
    assert (tmp_path / "result.csv").read_text(encoding="utf-8") == "done\n"
    assert sorted(os.listdir(tmp_path)) == sorted(["result.csv", live.name])
    err = capsys.readouterr().err
    assert f"removed {dead}" in err and "interrupted run" in err and "MRN" not in err


def test_an_error_inside_the_block_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "result.csv").write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic.atomic_writer(tmp_path / "result.csv") as handle:
        handle.write("new\n")
        raise RuntimeError("stop")
    assert os.listdir(tmp_path) == ["result.csv"]
    assert (tmp_path / "result.csv").read_text(encoding="utf-8") == "old\n"


def test_the_unnamed_temp_file_is_linked_into_place_not_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the system makes unnamed temp files (O_TMPFILE, /proc), the finished output is given its name
    by a link, not written a second time: os.link without a folder descriptor called link(), which does not
    follow /proc's link (EXDEV), so every output was copied whole and synced twice."""
    import os

    from stm_screen.io import atomic

    if not getattr(os, "O_TMPFILE", 0) or not os.path.isdir("/proc/self/fd"):
        pytest.skip("no unnamed temp files here: outputs are named temp files renamed into place")
    copied: list[int] = []
    real = atomic._copy_to_named

    def spied(fd: int, folder: Path, name: str) -> str:
        copied.append(fd)
        return real(fd, folder, name)

    monkeypatch.setattr(atomic, "_copy_to_named", spied)
    target = tmp_path / "out.txt"
    with atomic.atomic_writer(target, force=True) as handle:
        handle.write("every byte\n")
    assert target.read_text() == "every byte\n" and copied == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o600)


def test_a_users_own_file_named_like_a_partial_is_left_alone(tmp_path: Path) -> None:
    """Only what a run made is removed: a regular file of one name, mode 0600 or less, of this user. An
    export or a rules file that merely has such a name (mode 0644, or a second name) was deleted before."""
    own = tmp_path / f".in.csv.12345678{atomic.PARTIAL_SUFFIX}"
    own.write_text("id,a\n1,2\n", encoding="utf-8")
    own.chmod(0o644)
    linked = tmp_path / f".r.yaml.aabbccdd{atomic.PARTIAL_SUFFIX}"
    linked.write_text("x\n", encoding="utf-8")
    linked.chmod(0o600)
    (tmp_path / "elsewhere").hardlink_to(linked)
    odd_name = tmp_path / f".notes{atomic.PARTIAL_SUFFIX}"  # not a name a run makes
    odd_name.write_text("x\n", encoding="utf-8")
    odd_name.chmod(0o600)
    assert atomic.clean_partials(tmp_path) == []
    assert own.exists() and linked.exists() and odd_name.exists()
