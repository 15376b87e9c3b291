"""The columnar reader in parts (batch.columnar.Columnar._in_parts): a large CSV file read in columns by
several processes writes exactly what one process of the exact reader writes (bytes, counts, first bad
records, notes and errors), whatever is in it: a block the exact reader must read, in the first range or
in a helper's, a blank line or a quoted line break before a cut, a helper that fails.

Files of a few ten kilobytes are cut into ranges of about a kilobyte (``MIN_PART_BYTES``), read in blocks
of a few hundred bytes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyarrow")

from stm_screen.batch import columnar, parallel, runner  # noqa: E402
from tests.test_batch_columnar import ODD, make_file, run  # noqa: E402


def both(path: Path, tmp: Path, mp: pytest.MonkeyPatch, jobs: int = 2, block: int = 400) -> tuple[Any, Any]:
    """(the exact reader in one process, the columnar reader in parts): what each run told. Both take
    the file for one that may be scored in parts (mended without reading ahead: see the README)."""
    mp.setattr(parallel, "MIN_PART_BYTES", 1000)
    with mp.context() as m:
        m.setenv(columnar.SWITCH, "0")
        exact = run(path, tmp / "exact.csv", jobs=1)
    with mp.context() as m:
        m.setenv(columnar.SWITCH, "1")
        m.setattr(runner, "CALIBRATION_ROWS", 5)
        m.setattr(columnar, "BLOCK_BYTES", block)
        fast = run(path, tmp / "fast.csv", jobs=jobs)
    assert exact.pop("parts", []) == []
    return exact, fast


def clean(seed: int, rows: int = 300) -> bytes:
    return make_file(seed, rows, [], False, False, 0.2)


def lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def test_clean_file_every_range_handed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(clean(1))
    exact, fast = both(path, tmp_path, monkeypatch, jobs=3)
    assert fast.pop("parts") == ["first:handed", "part1:handed", "part2:alone"]
    assert fast == exact
    assert exact["out"].count(b"\n") == 301  # header and one line per record


def test_each_range_read_by_its_own_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The helpers' ranges are read in the helpers, not again here: this process reads its own range's
    blocks only."""
    path = tmp_path / "in.csv"
    path.write_bytes(clean(2, 400))
    seen: list[tuple[int, int, int | None]] = []
    real = columnar.Columnar._run

    def spied(obj: columnar.Columnar, fd: int, start: int, lines: int, n: int, *a: Any, **k: Any) -> int:
        seen.append((os.getpid(), start, k.get("end", a[0] if a else None)))
        return int(real(obj, fd, start, lines, n, *a, **k))

    monkeypatch.setattr(columnar.Columnar, "_run", spied)
    exact, fast = both(path, tmp_path, monkeypatch, jobs=2)
    assert fast.pop("parts") == ["first:handed", "part1:alone"]
    assert fast == exact
    assert len(seen) == 1 and seen[0][0] == os.getpid() and seen[0][2] is not None  # up to the cut only


@pytest.mark.parametrize("where", [0.2, 0.5, 0.9])
@pytest.mark.parametrize("kind", ["blank", "linebreak", "stray", "ragged", "latin1", "cr", "nul", "bom"])
def test_a_line_for_the_exact_reader_in_any_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, where: float
) -> None:
    """One odd line early (the first range), half way or late (a helper's range): the same output as one
    process; the range that holds it, and every one after, is read here."""
    data = lines_of(clean(3, 400))
    at = int(len(data) * where)
    line = data[at]
    if kind == "blank":
        data.insert(at, b"")
    elif kind == "linebreak":
        data[at] = b'"' + line.split(b",", 1)[0].strip(b'"') + b'\nmore",' + line.split(b",", 1)[1]
    elif kind == "stray":
        data[at] = b'"' + line
    elif kind == "ragged":
        data[at] = line.rsplit(b",", 1)[0]
    elif kind == "latin1":
        data[at] = line.replace(b"r", b"\xe9", 1)
    elif kind == "cr":
        data[at] = line.replace(b",", b"\r,", 1)
    elif kind == "bom":  # right after a cut, where a helper's first block starts
        data[at] = b"\xef\xbb\xbf" + line
    else:
        data[at] = line + b"\x00"
    path = tmp_path / "in.csv"
    path.write_bytes(b"\n".join(data))
    exact, fast = both(path, tmp_path, monkeypatch, jobs=2)
    parts = fast.pop("parts", None)
    assert fast == exact
    if parts is None:  # a file that cannot be read (not UTF-8, a NUL byte): the same error as one process
        assert kind in ("latin1", "nul") and exact["error"] is not None
        return
    assert parts[0] in ("first:handed", "first:alone")
    if parts[0] == "first:handed":
        assert parts[1] in ("part1:redone", "part1:alone"), parts


def test_a_failed_helper_is_redone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(clean(4, 400))
    real = columnar.Columnar._part

    def failing(obj: columnar.Columnar, fd: int, split: Any, j: int) -> dict[str, Any]:
        if j == 1:
            os._exit(3)  # the second helper dies (only ever called in a helper)
        return real(obj, fd, split, j)

    monkeypatch.setattr(columnar.Columnar, "_part", failing)
    exact, fast = both(path, tmp_path, monkeypatch, jobs=3)
    assert fast.pop("parts") == ["first:handed", "part1:handed", "part2:redone"]
    assert fast == exact


def test_no_process_to_be_had(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(clean(5, 300))

    def no_fork(*_a: Any, **_k: Any) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(parallel, "_fork_with", no_fork)
    exact, fast = both(path, tmp_path, monkeypatch, jobs=2)
    assert fast.pop("parts") == ["alone"]
    assert fast == exact


@settings(max_examples=24, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    rows=st.integers(60, 400),
    odd=st.lists(st.sampled_from(ODD), max_size=3),
    crlf=st.booleans(),
    bom=st.booleans(),
    always=st.sampled_from([0.0, 0.2, 1.0]),
    block=st.integers(100, 3000),
    jobs=st.sampled_from([0, 2, 3, 5]),
)
def test_generated_same_bytes_in_parts(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    rows: int,
    odd: list[str],
    crlf: bool,
    bom: bool,
    always: float,
    block: int,
    jobs: int,
) -> None:
    path = tmp_path / "answers.csv"
    path.write_bytes(make_file(seed, rows, odd, crlf, bom, always))
    exact, fast = both(path, tmp_path, monkeypatch, jobs=jobs, block=block)
    fast.pop("parts", None)
    assert fast == exact


@pytest.mark.parametrize("jobs", ["0", "1"])
def test_ctrl_c_while_reading_in_columns(tmp_path: Path, jobs: str) -> None:
    """A Ctrl-C while blocks are read in columns (in parts or not) stops the run: exit 130, no output file,
    no helper left. (Blocks are parsed outside the main thread, where pyarrow would take SIGINT itself.)"""
    import subprocess
    import sys

    path = tmp_path / "in.csv"
    path.write_bytes(clean(6, 3000))
    out = tmp_path / "out.csv"
    code = f"""
import os, signal
from stm_screen.batch import columnar, parallel, runner
runner.CALIBRATION_ROWS = 5
parallel.MIN_PART_BYTES = 20000
columnar.BLOCK_BYTES = 4000
seen = [0]
real = columnar.Columnar._block
def block(self, table, n):
    seen[0] += 1
    if seen[0] == 5:
        os.kill(os.getpid(), signal.SIGINT)
    return real(self, table, n)
columnar.Columnar._block = block
from stm_screen.cli.main import main
main(["batch", {str(path)!r}, "-o", {str(out)!r}, "--jobs", {jobs!r}])
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, columnar.SWITCH: "1"}, timeout=120
    )
    assert done.returncode == 130, done.stderr
    assert "interrupted" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
