"""A named pipe (``mkfifo``) as an input (issue 10, point 3: bounded, never a hang). ``batch`` checked
that an input can be opened by opening and closing it: for a named pipe that ended the writer's only
read, and the real open then waited for a writer for ever. ``rules diff`` reads each export twice, which a
pipe cannot give: it is refused with exit 2 at once (it said "the file is empty", or hung)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).with_name("stm-screen"))
EXPORT = ROOT / "tests" / "data" / "batch" / "plain_ids.csv"

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


def _feed(fifo: Path) -> threading.Thread:
    def write() -> None:
        with open(fifo, "wb") as out:  # waits for the reader
            out.write(EXPORT.read_bytes())

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("extra", [[], ["--suggest-map"], ["--format", "jsonl"]])
def test_batch_reads_a_named_pipe(tmp_path: Path, extra: list[str]) -> None:
    fifo = tmp_path / "export.csv"
    os.mkfifo(fifo)
    writer = _feed(fifo)
    p = subprocess.run(
        [EXE, "batch", str(fifo), *extra], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "STM_SCREEN_HOME": str(tmp_path / "home")},
    )
    writer.join(timeout=10)
    assert p.returncode in (0, 1), p.stderr
    assert "internal error" not in p.stderr and "empty" not in p.stderr
    assert ("columns:" in p.stdout) if extra == ["--suggest-map"] else ("pt_recommended" in p.stdout)


def test_rules_diff_refuses_a_pipe_before_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "export.csv"
    os.mkfifo(fifo)
    regular = tmp_path / "plain.csv"
    shutil.copy(EXPORT, regular)
    for inputs in ([str(fifo)], [str(regular), str(fifo)]):
        p = subprocess.run(
            [EXE, "rules", "diff", "pt-screen", "pt-screen", *inputs],
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert p.returncode == 2, p.stderr
        assert f"{fifo}: rules diff reads each export twice" in p.stderr
        assert p.stdout == ""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_named_pipe_output_whose_reader_leaves_is_named_in_the_message(tmp_path: Path, jobs: str) -> None:
    """`-o fifo` and the program reading the fifo stops after a few bytes: exit 1, and the message names the
    fifo (it said "cannot write to standard output", which was a file, untouched)."""
    lines = EXPORT.read_text(encoding="utf-8").splitlines()
    records = tmp_path / "many.csv"
    records.write_text("\n".join([lines[0], *(lines[1:] * 4000)]) + "\n", encoding="utf-8")
    fifo = tmp_path / "results.csv"
    os.mkfifo(fifo)

    def read_a_little() -> None:
        with open(fifo, "rb") as src:
            src.read(5)

    reader = threading.Thread(target=read_a_little, daemon=True)
    reader.start()
    with open(tmp_path / "stdout.txt", "wb") as stdout:
        p = subprocess.run(
            [EXE, "batch", str(records), "-o", str(fifo), "--jobs", jobs, "--allow-missing"],
            stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120, check=False,
        )  # fmt: skip
    reader.join(10)
    assert p.returncode == 1, p.stderr
    assert f"{fifo}: cannot write (the program reading it stopped reading)" in p.stderr, p.stderr
    assert "standard output" not in p.stderr and "Traceback" not in p.stderr
    assert (tmp_path / "stdout.txt").read_bytes() == b""
