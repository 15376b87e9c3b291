"""Outputs named through descriptors and special files never replace an input (issue 10, point 1, again).

The same guard (``stm_screen.io.sameness``) is tried with the names a shell gives to open files: ``-o
/dev/stdout``, ``/dev/fd/1``, ``/proc/self/fd/N`` with standard output (or another descriptor) open on an
input; an input read as ``-`` or ``/dev/stdin`` with standard output on the same file (``< a 1<> a`` writes
over it in place, ``>> a`` appends to it); commands with no ``--output`` that print onto a file they read
(``rules show r.yaml 1<> r.yaml``); a FIFO that is both input and output (refused before it is opened, so
nothing waits for a writer); and the history store's files named before the store exists. Every case runs
the installed tool, so the real descriptors are used; each must stop with exit 2, say which file, and leave
the input byte for byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BATCH = ROOT / "tests" / "data" / "batch"
EXE = str(Path(sys.executable).with_name("stm-screen"))
ANSWERS = ROOT / "docs" / "examples" / "answers.yaml"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(BATCH / "redcap_raw.csv", tmp_path / "in.csv")
    shutil.copy(ROOT / "tests" / "data" / "minimal.yaml", tmp_path / "rules.yaml")
    shutil.copy(ANSWERS, tmp_path / "answers.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STM_SCREEN_HOME", str(tmp_path / "home"))
    return tmp_path


def _run(
    args: list[str], victim: Path, *, stdout_mode: str, stdin: Path | None = None, extra_fd: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run with standard output open on ``victim``: "rw" is ``1<> victim`` (written from its start, not
    truncated), "a" is ``>> victim``. With ``extra_fd``, ``victim`` is also open read-write on another
    descriptor, which ``/dev/fd/N`` in ``args`` names."""
    flags = os.O_RDWR if stdout_mode == "rw" else os.O_WRONLY | os.O_APPEND
    out = os.open(victim, flags)
    fds: tuple[int, ...] = ()
    try:
        if extra_fd:
            fds = (os.open(victim, os.O_RDWR),)
            args = [a.replace("/dev/fd/N", f"/dev/fd/{fds[0]}") for a in args]
        with open(stdin, "rb") if stdin is not None else open(os.devnull, "rb") as inp:
            return subprocess.run(
                args, stdin=inp, stdout=out, stderr=subprocess.PIPE, text=True, timeout=60, check=False, pass_fds=fds
            )
    finally:
        os.close(out)
        for fd in fds:
            os.close(fd)


# (command line, the file standard output is open on, standard input's file)
CASES = [
    (["batch", "in.csv", "-o", "/dev/stdout"], "in.csv", None),
    (["batch", "in.csv", "-o", "/dev/fd/1"], "in.csv", None),
    (["batch", "in.csv", "-o", "/proc/self/fd/1"], "in.csv", None),
    (["batch", "in.csv", "-o", "-"], "in.csv", None),
    (["batch", "in.csv", "--rules", "rules.yaml", "--allow-missing"], "rules.yaml", None),
    (["batch", "/dev/stdin", "-o", "-"], "in.csv", "in.csv"),
    (["batch", "/proc/self/fd/0", "-o", "/dev/fd/1"], "in.csv", "in.csv"),
    (["batch", "-", "-o", "-"], "in.csv", "in.csv"),
    (["rules", "diff", "pt-screen", "pt-screen", "in.csv", "-o", "/dev/fd/1"], "in.csv", None),
    (["rules", "show", "rules.yaml"], "rules.yaml", None),
    (["rules", "check", "rules.yaml"], "rules.yaml", None),
    (["form", "export", "csv", "--rules", "rules.yaml"], "rules.yaml", None),
    (["form", "export", "fhir", "--rules", "rules.yaml", "-o", "/dev/stdout"], "rules.yaml", None),
    (["score", "-", "--format", "json"], "answers.yaml", "answers.yaml"),
    (["score", "/dev/stdin"], "answers.yaml", "answers.yaml"),
    (["score", "answers.yaml", "--format", "md"], "answers.yaml", None),
]


@pytest.mark.parametrize("mode", ["rw", "a"])
@pytest.mark.parametrize(("argv", "victim", "stdin"), CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_standard_output_on_an_input_is_refused(
    work: Path, argv: list[str], victim: str, stdin: str | None, mode: str
) -> None:
    before = (work / victim).read_bytes()
    p = _run([EXE, *argv], work / victim, stdout_mode=mode, stdin=work / stdin if stdin else None)
    assert p.returncode == 2, p.stderr
    assert "same file as" in p.stderr, p.stderr
    assert (work / victim).read_bytes() == before


@pytest.mark.parametrize("argv", [["batch", "in.csv", "-o", "/dev/fd/N"], ["batch", "/dev/fd/N", "-o", "in.csv"]])
def test_another_descriptor_on_an_input_is_the_same_file(work: Path, argv: list[str]) -> None:
    before = (work / "in.csv").read_bytes()
    p = _run([EXE, *argv], work / "in.csv", stdout_mode="a", extra_fd=True)
    assert p.returncode == 2 and "same file as" in p.stderr, p.stderr
    assert (work / "in.csv").read_bytes() == before


def test_the_history_store_is_not_written_through_standard_output(work: Path) -> None:
    p = subprocess.run([EXE, "score", "answers.yaml", "--save"], capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 0, p.stderr
    store = work / "home" / "history.sqlite3"
    before = store.read_bytes()
    p = _run([EXE, "history", "list"], store, stdout_mode="rw")
    assert p.returncode == 2 and "history store" in p.stderr, p.stderr
    assert store.read_bytes() == before


def test_a_fifo_that_is_input_and_output_is_refused_before_it_is_opened(work: Path) -> None:
    os.mkfifo(work / "pipe")
    for argv in (["batch", "pipe", "-o", "pipe"], ["rules", "diff", "pt-screen", "pt-screen", "pipe", "-o", "pipe"]):
        p = subprocess.run([EXE, *argv], capture_output=True, text=True, timeout=60, check=False)
        assert p.returncode == 2 and "same file as" in p.stderr, p.stderr


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_the_store_files_are_protected_by_name_before_the_store_exists(work: Path, suffix: str) -> None:
    home = work / "home"
    home.mkdir()
    for target in (home / f"history.sqlite3{suffix}", Path("home") / "." / f"history.sqlite3{suffix}"):
        for argv in (["form", "export", "csv", "-o", str(target)], ["rules", "schema", "-o", str(target)]):
            p = subprocess.run([EXE, *argv], capture_output=True, text=True, timeout=60, check=False)
            assert p.returncode == 2 and "history store" in p.stderr, p.stderr
    assert list(home.iterdir()) == []


def test_standard_output_on_an_unrelated_file_still_works(work: Path) -> None:
    """The check looks at files read, not at every regular file: ``> result.md`` is written."""
    with open(work / "result.md", "wb") as out:
        p = subprocess.run(
            [EXE, "score", "answers.yaml", "--format", "md"], stdout=out, stderr=subprocess.PIPE, text=True, timeout=60
        )
    assert p.returncode == 0, p.stderr
    assert (work / "result.md").read_text(encoding="utf-8").startswith("#")
