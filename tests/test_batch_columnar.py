"""The columnar reader (batch.columnar, the ``stm-screen[fast]`` extra) writes exactly what the exact reader
writes: the same bytes, counts, first bad records, notes and errors, on the batch fixtures and on generated
files with odd cells, quotes, stray quotes, quoted line breaks, ragged rows, blank lines and bad bytes.

The exact reader's run is the reference (``STM_SCREEN_FAST=0``). In the columnar run the calibration
sample is cut to 3 records and blocks to a few hundred bytes, so that small files go through many blocks,
and through the hand-over to the exact reader part way."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyarrow")  # in the test extra: skipped only in a default install without it

from stm_screen.batch import columnar, runner  # noqa: E402
from stm_screen.batch.output import CsvWriter  # noqa: E402
from stm_screen.batch.runner import Batch, BatchSettings  # noqa: E402
from stm_screen.batch.scoring import module_fields  # noqa: E402
from stm_screen.errors import StmScreenError  # noqa: E402
from stm_screen.screening import load_rules  # noqa: E402

BATCH = Path(__file__).resolve().parent / "data" / "batch"
RULESET = load_rules()


class Spy:
    """Counts the blocks scored in columns and the hand-overs to the exact reader."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.blocks = 0
        self.exact = 0
        block, exact = columnar.Columnar._block, columnar.Columnar._exact

        def counted_block(obj: columnar.Columnar, table: Any, n: int) -> int:
            out = block(obj, table, n)
            self.blocks += 1
            return out

        def counted_exact(obj: columnar.Columnar, pos: int, lines: int, n: int) -> int:
            self.exact += 1
            return exact(obj, pos, lines, n)

        monkeypatch.setattr(columnar.Columnar, "_block", counted_block)
        monkeypatch.setattr(columnar.Columnar, "_exact", counted_exact)


def run(
    path: Path, out: Path, *, with_file: bool = False, jobs: int = 1, allow_missing: bool = False
) -> dict[str, Any]:
    """One batch run as the CLI makes it (CSV output to a file), and everything it tells."""
    notes: list[str] = []
    settings = BatchSettings(jobs=jobs, allow_missing=allow_missing)
    batch = Batch(RULESET, None, settings, notify=notes.append)
    error = None
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = CsvWriter(handle, with_file=with_file, extra=module_fields(RULESET))
        writer.untranslated = True
        try:
            writer.start_file(str(path))
            batch.run(str(path), writer)
            batch.check_events_found()
            writer.begin()
            writer.finish()
        except StmScreenError as exc:
            error = (type(exc).__name__, str(exc))
    result: dict[str, Any] = {"error": error, "notes": notes}
    if error is None:  # after an error the CLI keeps no output (written atomically)
        result.update(out=out.read_bytes(), counts=writer.counts, bad=writer.bad, parts=batch.parts)
    return result


def both(
    path: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch, block: int = 300, **kw: Any
) -> tuple[dict[str, Any], dict[str, Any], Spy]:
    with monkeypatch.context() as m:
        m.setenv(columnar.SWITCH, "0")
        exact = run(path, tmp / "exact.csv", **kw)
    with monkeypatch.context() as m:
        m.setenv(columnar.SWITCH, "1")
        m.setattr(runner, "CALIBRATION_ROWS", 3)
        m.setattr(columnar, "BLOCK_BYTES", block)
        spy = Spy(m)
        fast = run(path, tmp / "fast.csv", **kw)
    return exact, fast, spy


FIXTURES = sorted(p for p in BATCH.iterdir() if p.suffix in (".csv", ".tsv"))


@pytest.mark.parametrize("allow_missing", [False, True])
@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_fixtures_same_bytes(
    path: Path, allow_missing: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exact, fast, _ = both(path, tmp_path, monkeypatch, allow_missing=allow_missing)
    assert fast == exact


def test_fixture_read_in_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plain fixtures are read in columns past the first records (not all handed to the exact reader)."""
    names = ("plain_ids.csv", "google_forms.csv", "redcap_labels.csv", "surveymonkey.csv", "injection.csv")
    for name in names:
        exact, fast, spy = both(BATCH / name, tmp_path, monkeypatch, block=64, allow_missing=True)
        assert fast == exact
        assert spy.blocks >= 1 and spy.exact == 0, name


# --- generated files -----------------------------------------------------------------------------------

BOOL = ["yes", "no", "no", "no", "Yes", "n", "1", "0", "", "maybe", "not sure", "unsure"]
AREAS = ["low_back", "neck_shoulder", "low_back,mid_back", "tendon;other", "widespread,head_jaw", "", "knees"]
TREND = ["better", "same", "worse", "", "sideways"]
NUMBER = ["0", "3", "7", "10", "", "x", "-1", "11", "2.5", "45", "70", "130", "1.5"]


def cell(q: Any, rng: random.Random, junk: bool = True) -> str:
    if not junk:  # answers every question accepts
        if q.type == "boolean":
            return rng.choice(["yes", "no", "no", "no"])
        if q.type == "multi_choice":
            return rng.choice(AREAS[:5])
        if q.type == "choice":
            return rng.choice(TREND[:3])
        return str(rng.randint(20, 60) if q.id == "age_years" else rng.randint(0, 10))
    if q.type == "boolean":
        return rng.choice(BOOL)
    if q.type == "multi_choice":
        return rng.choice(AREAS)
    if q.type == "choice":
        return rng.choice(TREND)
    if q.id == "age_years":
        return rng.choice([str(rng.randint(10, 95)), "", "x", "130", "15", "50", "70"])
    return rng.choice(NUMBER)


def quoted(text: str, rng: random.Random, always: float) -> str:
    if any(c in text for c in ',"\n\r') or rng.random() < always:
        return '"' + text.replace('"', '""') + '"'
    return text


ODD = ("blank", "ragged", "extra", "trailing", "stray", "linebreak", "inner_quote", "latin1", "nul", "cr", "bom")


def make_file(
    seed: int, rows: int, odd: list[str], crlf: bool, bom: bool, always: float, junk: bool = True
) -> bytes:
    rng = random.Random(seed)
    qs = RULESET.questions
    end = "\r\n" if crlf else "\n"
    lines = [",".join(["id", *(q.id for q in qs)])]
    for i in range(rows):
        cells = [
            f"r{i}" if rng.random() < 0.9 else rng.choice(["-7", "a b", "=x", ""]),
            *(cell(q, rng, junk) for q in qs),
        ]
        lines.append(",".join(quoted(c, rng, always) for c in cells))
    text = end.join(lines) + end
    data = bytearray(("\ufeff" if bom else "").encode() + text.encode())
    for kind in odd:  # each disturbance somewhere after the header
        out = data.decode("utf-8", errors="surrogateescape").split(end)
        at = rng.randint(1, max(1, len(out) - 2))
        line = out[at]
        if kind == "blank":
            out.insert(at, "")
        elif kind == "ragged":
            out[at] = line.rsplit(",", 1)[0]
        elif kind == "extra":
            out[at] = line + ",oops"
        elif kind == "trailing":
            out[at] = line + ","
        elif kind == "stray":
            parts = line.split(",")
            k = rng.randrange(len(parts))
            parts[k] = '"' + parts[k]
            out[at] = ",".join(parts)
        elif kind == "linebreak":
            parts = line.split(",")
            parts[0] = '"' + parts[0].strip('"') + '\nmore"'
            out[at] = ",".join(parts)
        elif kind == "inner_quote":
            parts = line.split(",")
            parts[0] = parts[0].strip('"') + '"x"'
            out[at] = ",".join(parts)
        elif kind == "latin1":
            out[at] = line.replace("r", "\udce9", 1)
        elif kind == "nul":
            out[at] = line + "\x00"
        elif kind == "cr":
            out[at] = line.replace(",", "\r,", 1)
        elif kind == "bom":  # a byte-order mark typed at a line's start (Arrow drops one starting a block)
            out[at] = "\ufeff" + line
        data = bytearray(end.join(out).encode("utf-8", errors="surrogateescape"))
    return bytes(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    rows=st.integers(4, 40),
    odd=st.lists(st.sampled_from(ODD), max_size=3),
    crlf=st.booleans(),
    bom=st.booleans(),
    always=st.sampled_from([0.0, 0.2, 1.0]),
    block=st.integers(40, 2000),
    jobs=st.sampled_from([0, 1]),
)
def test_generated_same_bytes(
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
    exact, fast, spy = both(path, tmp_path, monkeypatch, block=block, jobs=jobs)
    assert fast == exact
    if not odd and exact["error"] is None:
        assert spy.blocks >= 1 and spy.exact == 0  # a clean file is read in columns to its end


def test_quoted_cells_read_in_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quoted cells (with commas inside) do not send a file to the exact reader; a stray quote, late in
    the file, hands over the rest: the row numbers and the line it names are the exact reader's."""
    path = tmp_path / "answers.csv"
    data = make_file(5, 60, [], False, False, 0.2, junk=False)
    path.write_bytes(data)
    exact, fast, spy = both(path, tmp_path, monkeypatch, block=500)
    assert fast == exact and spy.blocks >= 3 and spy.exact == 0
    lines = data.decode().split("\n")
    at = next(i for i in range(50, 58) if not lines[i].startswith('"'))  # an id cell that is not quoted
    lines[at] = '"' + lines[at]  # a stray quote opening the id cell, swallowing the next line
    path.write_bytes("\n".join(lines).encode())
    exact, fast, spy = both(path, tmp_path, monkeypatch, block=500)
    assert fast == exact and spy.blocks >= 3 and spy.exact == 1
    assert [row for _, row, _ in exact["bad"]] == [at], exact["bad"]  # line at + 1: record at


def test_with_file_column_and_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "answers.csv"
    path.write_bytes(make_file(9, 80, [], True, True, 0.2))
    exact, fast, spy = both(path, tmp_path, monkeypatch, block=700, with_file=True, jobs=0)
    assert fast == exact and spy.blocks >= 2


def test_switched_off_or_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(columnar.SWITCH, "0")
    assert not columnar.wanted()
    monkeypatch.setenv(columnar.SWITCH, "1")
    assert columnar.wanted()
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed: import fails
    assert not columnar.wanted()


@pytest.mark.parametrize("block", range(2))
def test_stray_quotes_in_a_file_scored_without_reading_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """A file large enough to be scored in parts is mended without reading ahead (see README): the block
    handed to the exact reader is read so too, not mended further than the default reader would."""
    from stm_screen.batch import parallel
    from tests.test_stray_quotes_multiline import _searched

    path = tmp_path / "in.csv"
    for seed in range(block * 30, block * 30 + 30):
        text = _searched(seed, True)[0]
        path.write_bytes(text.encode("utf-8"))
        monkeypatch.setattr(parallel, "MIN_PART_BYTES", max(200, len(text) // 5))
        exact, fast, _spy = both(path, tmp_path, monkeypatch, allow_missing=True)
        assert fast == exact, (seed, text)


@pytest.mark.parametrize("concludes", [False, True])
@pytest.mark.parametrize("varied", [False, True])
def test_a_very_varied_file_is_left_to_the_exact_reader(
    varied: bool, concludes: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Coin-toss answers (nearly every record an outcome of its own in the calibration sample) gain nothing
    from columns unless the tails are made in columns too (columnar.concludes, the bundled rules): else the
    exact reader, which scores in parts, reads the whole file; plausible answers are read in columns
    either way. The output is the same in every case."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    import gen_records

    path = tmp_path / "records.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        gen_records.write(runner.CALIBRATION_ROWS + 1500, out, varied=varied)
    with monkeypatch.context() as m:
        m.setenv(columnar.SWITCH, "0")
        exact = run(path, tmp_path / "exact.csv")
    with monkeypatch.context() as m:
        m.setenv(columnar.SWITCH, "1")
        m.setattr(columnar, "BLOCK_BYTES", 64 << 10)
        if not concludes:
            m.setattr(columnar, "concludes", lambda _rs: False)
        spy = Spy(m)
        fast = run(path, tmp_path / "fast.csv")
    assert fast == exact
    assert (spy.blocks == 0) == (varied and not concludes), spy.blocks


def test_pandas_is_not_imported_for_a_csv_file(tmp_path: Path) -> None:
    """pyarrow would import pandas (when installed) at its first conversion, only to ask whether objects
    are pandas ones: the stm-screen command spares the quarter second. A program calling the library keeps
    pyarrow as it is: after a batch run in its process, pyarrow still reads a pandas Series of categories
    as a dictionary array."""
    import subprocess
    import sys

    pytest.importorskip("pandas")
    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    import gen_records

    path = tmp_path / "records.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        gen_records.write(runner.CALIBRATION_ROWS + 500, out)
    env = {**os.environ, columnar.SWITCH: "1"}
    command = f"""
import runpy, sys
sys.argv = ["stm-screen", "batch", {str(path)!r}, "-o", {str(tmp_path / "out.csv")!r}, "--jobs", "1"]
try:
    runpy.run_module("stm_screen", run_name="__main__")
except SystemExit as exc:
    assert not exc.code, exc.code
print("pyarrow.csv" in sys.modules, "pandas" in sys.modules)  # read in columns; pandas spared
"""
    done = subprocess.run([sys.executable, "-c", command], capture_output=True, text=True, env=env)
    assert done.stdout.split() == ["True", "False"], done.stderr
    assert (tmp_path / "out.csv").read_bytes().count(b"\n") == runner.CALIBRATION_ROWS + 501
    library = f"""
import sys
from stm_screen.batch.output import CsvWriter
from stm_screen.batch.runner import Batch, BatchSettings
from stm_screen.screening import load_rules
with open({str(tmp_path / "lib.csv")!r}, "w", newline="", encoding="utf-8") as handle:
    Batch(load_rules(), None, BatchSettings(jobs=1)).run({str(path)!r}, CsvWriter(handle, with_file=False))
print("pyarrow.csv" in sys.modules)
import pandas, pyarrow
print(pyarrow.array(pandas.Series(["a", "b", "a"], dtype="category")).type)
"""
    done = subprocess.run([sys.executable, "-c", library], capture_output=True, text=True, env=env)
    assert done.stdout.split()[0] == "True", done.stderr
    assert done.stdout.split("\n")[1].startswith("dictionary<"), done.stdout


@pytest.mark.parametrize("pool", ["bogus", "System", "system"])
def test_a_memory_pool_arrow_does_not_know_is_not_warned_about_by_arrow(tmp_path: Path, pool: str) -> None:
    """ARROW_DEFAULT_MEMORY_POOL naming no pool Arrow has: Arrow printed its own line ('Unsupported backend')
    on stderr, which carries only the tool's own messages. The C library's pool is used, as when none is
    named; a name Arrow knows is left as it is. The output is that of the exact reader either way."""
    import subprocess
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    import gen_records

    path = tmp_path / "records.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        gen_records.write(runner.CALIBRATION_ROWS + 500, out)
    command = f"""
import runpy, sys
sys.argv = ["stm-screen", "batch", {str(path)!r}, "-o", sys.argv[1], "--jobs", "1"]
try:
    runpy.run_module("stm_screen", run_name="__main__")
except SystemExit as exc:
    assert not exc.code, exc.code
print("pyarrow.csv" in sys.modules)
"""
    outputs = []
    for switch in ("1", "0"):
        env = {**os.environ, columnar.SWITCH: switch, "ARROW_DEFAULT_MEMORY_POOL": pool}
        out = tmp_path / f"out-{switch}.csv"
        done = subprocess.run([sys.executable, "-c", command, str(out)], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == [str(switch == "1")], done.stderr  # read in columns, or not
        assert "Unsupported backend" not in done.stderr and "memory_pool.cc" not in done.stderr, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
