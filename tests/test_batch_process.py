"""The installed command in a real process: Ctrl-C leaves no output file; memory stays flat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.batch_helpers import records as gen_records
from tests.batch_helpers import writing_in

ROOT = Path(__file__).resolve().parent.parent

CMD = [sys.executable, "-m", "stm_screen"]


def make_input(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        gen_records.write(n, f, seed=7)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_exits_130_and_leaves_no_file(tmp_path: Path) -> None:
    src = tmp_path / "big.csv"
    make_input(src, 150_000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "result.csv"
    proc = subprocess.Popen(
        [*CMD, "batch", str(src), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not writing_in(proc.pid, out_dir):  # the temp file is open: scoring has started
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert list(out_dir.iterdir()) == []  # neither the result nor its temp file


def peak_rss_kb(args: list[str]) -> int:
    code = (
        "import resource, subprocess, sys;"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB on Linux")
def test_memory_is_flat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default install (no [fast] extra: the exact reader) stays under 100 MB, and flat: the scorer's
    memos fill up to their budget (scoring.MAX_MEMO_BYTES) over the first records of varied answers (about
    30 MB with the bundled rules of 2.4.2), then the memory does not grow with the file."""
    monkeypatch.setenv("STM_SCREEN_FAST", "0")
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    make_input(small, 100_000)
    make_input(big, 300_000)
    rss_small = peak_rss_kb([*CMD, "batch", str(small), "-o", str(tmp_path / "a.csv")])
    rss_big = peak_rss_kb([*CMD, "batch", str(big), "-o", str(tmp_path / "b.csv")])
    assert rss_big < 100 * 1024, rss_big
    assert rss_big - rss_small < 10 * 1024, (rss_small, rss_big)  # 3x the records, not 3x the memory
    with (tmp_path / "b.csv").open(encoding="utf-8") as f:
        assert sum(1 for _ in f) == 300_001


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB on Linux")
def test_memory_is_flat_with_the_columnar_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the [fast] extra (pyarrow and numpy, about 75 MB of their own) memory does not grow with the
    file once blocks have reached their largest size."""
    pytest.importorskip("pyarrow")
    monkeypatch.setenv("STM_SCREEN_FAST", "1")
    mid, big = tmp_path / "mid.csv", tmp_path / "big.csv"
    make_input(mid, 100_000)  # about 15 MB: its blocks have grown to their largest (BLOCK_BYTES) on the way
    make_input(big, 300_000)
    rss_mid = peak_rss_kb([*CMD, "batch", str(mid), "-o", str(tmp_path / "a.csv")])
    rss_big = peak_rss_kb([*CMD, "batch", str(big), "-o", str(tmp_path / "b.csv")])
    assert rss_big - rss_mid < 40 * 1024, (rss_mid, rss_big)  # 3x the records, not 3x the memory
    with (tmp_path / "b.csv").open(encoding="utf-8") as f:
        assert sum(1 for _ in f) == 300_001


def test_no_progress_bar_when_not_a_terminal(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    make_input(src, 100)
    done = subprocess.run([*CMD, "batch", str(src)], capture_output=True, text=True, env={**os.environ})
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stderr and "scoring" not in done.stderr
    assert done.stdout.count("\n") == 101


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_terminate_or_hangup_leaves_no_file(tmp_path: Path, sig: signal.Signals) -> None:
    """`timeout`, a job scheduler or a closed terminal stop the run like Ctrl-C: no temp file left."""
    src = tmp_path / "big.csv"
    make_input(src, 150_000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = subprocess.Popen(
        [*CMD, "batch", str(src), "-o", str(out_dir / "result.csv")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not writing_in(proc.pid, out_dir):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(sig)
    _stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert list(out_dir.iterdir()) == []


def _run_with(tmp_path: Path, sitecustomize: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sitecustomize.py").write_text(sitecustomize, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT / "src")])}
    return subprocess.run([*CMD, *args], capture_output=True, text=True, env=env, check=False, timeout=60)


def test_an_interrupt_inside_generated_code_still_exits_130(tmp_path: Path) -> None:
    """Ctrl-C can land while a module being imported runs generated code (a dataclass's ``__init__`` is
    made from a string). CPython remembers such an interrupt even once the command handled it, and under
    ``python -m`` then ended the process by SIGINT (-2) instead of the documented 130 (seen under load)."""
    src = tmp_path / "in.csv"
    make_input(src, 3)
    done = _run_with(
        tmp_path,
        "import stm_screen.cli.errors as errors\n"
        "def guard(fn):\n"
        "    def body(*args, **kwargs):\n"
        "        exec('raise KeyboardInterrupt', {})  # the interrupt ends code run from a string\n"
        "    return errors.__dict__['_real_guard'](body)\n"
        "errors._real_guard = errors.guard\n"
        "errors.guard = guard\n",
        ["batch", str(src)],
    )
    assert "stm-screen: interrupted" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.returncode == 130


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_an_interrupt_that_lands_in_a_finaliser_still_stops_the_command(tmp_path: Path) -> None:
    """Ctrl-C can land while Python runs a finaliser (the weak-reference callbacks every import runs, an
    object's ``__del__``). CPython cannot raise it there: it printed "Exception ignored in ..." with a
    traceback and went on, so the Ctrl-C was lost (seen: Ctrl-C at start-up, then the first question
    waited). The command now stops as for any Ctrl-C."""
    done = _run_with(
        tmp_path,
        "import time\n"
        "import stm_screen.cli.errors as errors\n"
        "class Late:\n"
        "    def __del__(self):\n"
        "        raise KeyboardInterrupt  # as a Ctrl-C that lands in a finaliser\n"
        "def guard(fn):\n"
        "    def body(*args, **kwargs):\n"
        "        Late()\n"
        "        time.sleep(30)  # the command's work, which the Ctrl-C must stop\n"
        "    return errors.__dict__['_real_guard'](body)\n"
        "errors._real_guard = errors.guard\n"
        "errors.guard = guard\n",
        ["score", str(ROOT / "docs" / "examples" / "answers.yaml")],
    )
    assert "stm-screen: interrupted" in done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr
    assert done.returncode == 130


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_an_interrupt_while_the_streams_are_prepared_exits_130_without_a_traceback(tmp_path: Path) -> None:
    """Ctrl-C pressed just after Enter lands while the entry point is still importing what makes the
    standard streams safe (up to a tenth of a second under load): it printed a traceback and ended the
    process by SIGINT."""
    done = _run_with(
        tmp_path,
        "import stm_screen.cli.main as main\n"
        "def interrupted():\n"
        "    exec('raise KeyboardInterrupt', {})  # in generated code, as in an import's namedtuple\n"
        "main._safe_streams = interrupted\n",
        ["score", str(ROOT / "docs" / "examples" / "answers.yaml")],
    )
    assert "stm-screen: interrupted" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.returncode == 130


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_ctrl_c_after_the_command_ended_changes_nothing(tmp_path: Path) -> None:
    """Ctrl-C while the interpreter shuts down, the output complete and the exit code chosen (a tenth of a
    second under load: 2 to 3 runs in 30 of `history list` or `score` stopped at random moments): it ended
    the process by SIGINT (-2). It is ignored: the command's own exit code stands."""
    done = _run_with(
        tmp_path,
        "import os, signal, time\n"
        "class Late:\n"
        "    def __del__(self):  # when the interpreter clears this module, at the very end\n"
        "        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C as the interpreter shuts down\n"
        "        time.sleep(0.2)\n"
        "late = Late()\n",
        ["score", str(ROOT / "docs" / "examples" / "answers.yaml")],
    )
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0 and "physical therapy" in done.stdout.lower()
