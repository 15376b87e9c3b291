"""JSON Lines read in columns (batch.columnar_jsonl, the ``stm-screen[fast]`` extra) writes exactly what the
exact reader writes: the same bytes, counts, first bad records, notes and errors, whatever a line after the
first records holds (a key twice, a number, null, a missing or extra key, blank lines, two records on a
line, broken JSON, a BOM, CR LF or bare CR, a lone surrogate, bytes that are not UTF-8, a FHIR resource).

The exact reader's run is the reference (``STM_SCREEN_FAST=0``). In the columnar run the calibration
sample is cut to 40 records and blocks to a few hundred bytes, so that small files go through many blocks,
and through the hand-over to the exact reader part way."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyarrow")  # in the test extra: skipped only in a default install without it

from stm_screen.batch import columnar, columnar_jsonl, runner  # noqa: E402
from tests.batch_helpers import records as gen_records  # noqa: E402
from tests.test_batch_columnar import run  # noqa: E402

HEADER = list(gen_records.HEADER)
CALIBRATION = 40


class Spy:
    """Counts the blocks read in columns and the hand-overs to the exact reader."""

    def __init__(self, m: pytest.MonkeyPatch) -> None:
        self.blocks = 0
        self.exact: list[int] = []  # the lines before each hand-over
        block, exact = columnar_jsonl.JsonLines._block, columnar_jsonl.JsonLines._exact

        def counted_block(obj: Any, table: Any, n: int) -> int:
            self.blocks += 1
            return block(obj, table, n)

        def counted_exact(obj: Any, pos: int, lines: int, n: int) -> int:
            self.exact.append(lines)
            return exact(obj, pos, lines, n)

        m.setattr(columnar_jsonl.JsonLines, "_block", counted_block)
        m.setattr(columnar_jsonl.JsonLines, "_exact", counted_exact)


def both(
    path: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch, block: int = 700, jobs: int = 1
) -> tuple[dict[str, Any], dict[str, Any], Spy]:
    with monkeypatch.context() as m:
        m.setenv(columnar.SWITCH, "0")
        exact = run(path, tmp / "exact.csv", jobs=jobs, allow_missing=True)
    with monkeypatch.context() as m:
        m.setenv(columnar.SWITCH, "1")
        m.setattr(runner, "CALIBRATION_ROWS", CALIBRATION)
        m.setattr(runner, "COMPILE_AFTER", 4)
        m.setattr(columnar, "BLOCK_BYTES", block)
        spy = Spy(m)
        fast = run(path, tmp / "fast.csv", jobs=jobs, allow_missing=True)
    return exact, fast, spy


def good(n: int, seed: int = 5) -> list[bytes]:
    rng = random.Random(seed)
    return [
        json.dumps(dict(zip(HEADER, gen_records.record(i, rng), strict=True))).encode() + b"\n"
        for i in range(1, n + 1)
    ]


def _with(line: bytes, **changes: Any) -> dict[str, Any]:
    rec: dict[str, Any] = json.loads(line)
    rec.update(changes)
    return rec


# What a line may become: each a function of the good line it replaces (its text, a dict of its record).
ODD: dict[str, Any] = {
    "key_twice": lambda b: b.replace(b', "pain_intensity"', b', "pain_intensity": "9", "pain_intensity"', 1),
    "number": lambda b: json.dumps(_with(b, pain_intensity=7)).encode() + b"\n",
    "float": lambda b: json.dumps(_with(b, pain_duration_months=2.0)).encode() + b"\n",
    "true": lambda b: json.dumps(_with(b, bladder_bowel_change=True)).encode() + b"\n",
    "null": lambda b: json.dumps(_with(b, pain_trend=None)).encode() + b"\n",
    "list": lambda b: json.dumps(_with(b, pain_areas=["low_back", "neck_shoulder"])).encode() + b"\n",
    "object": lambda b: json.dumps(_with(b, pain_areas={"a": "b"})).encode() + b"\n",
    "missing_key": lambda b: json.dumps({k: v for k, v in json.loads(b).items() if k != "pain_trend"}).encode()
    + b"\n",
    "extra_key": lambda b: json.dumps(_with(b, comment="more")).encode() + b"\n",
    "alias_key": lambda b: json.dumps(_with(b, **{"Pain intensity": "2"})).encode() + b"\n",
    "resource": lambda b: json.dumps(_with(b, resourceType="Patient")).encode() + b"\n",
    "status": lambda b: json.dumps(_with(b, __status__="entered-in-error")).encode() + b"\n",
    "reordered": lambda b: json.dumps(dict(reversed(list(json.loads(b).items())))).encode() + b"\n",
    "escaped": lambda b: json.dumps(_with(b, id="Zoë 😀 \u2028 \\ \" /"), ensure_ascii=True).encode() + b"\n",
    "escaped_key": lambda b: b.replace(b'"pain_trend"', b'"pain_\\u0074rend"', 1),
    "compact": lambda b: json.dumps(json.loads(b), separators=(",", ":")).encode() + b"\n",
    "blank": lambda b: b + b"\n",
    "spaces_line": lambda b: b + b"  \t \n",
    "leading_space": lambda b: b" " + b,
    "trailing_space": lambda b: b[:-1] + b" \n",
    "two_on_a_line": lambda b: b[:-1] + b,
    "broken": lambda b: b[: len(b) // 2] + b"\n",
    "not_object": lambda b: b"[1, 2]\n",
    "empty_object": lambda b: b"{}\n",
    "bom": lambda b: b"\xef\xbb\xbf" + b,
    "crlf": lambda b: b[:-1] + b"\r\n",
    "bare_cr": lambda b: b[:-1] + b"\r" + b,
    "lone_surrogate": lambda b: b.replace(b'"pain_trend": "', b'"pain_trend": "\\ud800', 1),
    "not_utf8": lambda b: b.replace(b'"pain_trend": "', b'"pain_trend": "\xff', 1),
    "nul": lambda b: b.replace(b'"pain_trend": "', b'"pain_trend": "\x00', 1),
    "tab_in_text": lambda b: b.replace(b'"pain_trend": "', b'"pain_trend": "\t', 1),
    "nan": lambda b: b.replace(b'"pain_intensity": "', b'"pain_intensity": NaN, "x": "', 1),
    "huge": lambda b: b.replace(b'"pain_intensity": "', b'"pain_intensity": ' + b"9" * 400 + b', "x": "', 1),
    "control_space": lambda b: b + b"\x0c\n",
}
# Lines the exact reader reads to the same keys and texts: these stay in columns.
SAME_RECORD = ("escaped", "escaped_key", "compact", "reordered")


def write(path: Path, lines: list[bytes], last_eol: bool = True) -> Path:
    data = b"".join(lines)
    path.write_bytes(data if last_eol else data.rstrip(b"\n"))
    return path


@pytest.mark.parametrize("kind", sorted(ODD))
@pytest.mark.parametrize("where", ["first_block", "second_block", "late"])
def test_odd_line_same_bytes(kind: str, where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An odd line in the first block after the first records: the file is left to the exact reader before
    any record is scored (see columnar_jsonl.promising); later: handed over at its block."""
    lines = good(120)
    at = {"first_block": CALIBRATION, "second_block": CALIBRATION + 2, "late": 100}[where]
    lines[at] = ODD[kind](lines[at])
    exact, fast, spy = both(write(tmp_path / "odd.jsonl", lines), tmp_path, monkeypatch)
    parts = fast.pop("parts", None)
    exact.pop("parts", None)
    assert fast == exact
    if kind in SAME_RECORD:
        assert parts == ["columns"] and spy.exact == [] and spy.blocks >= 10
    elif spy.blocks or spy.exact:  # handed to the exact reader at the block holding it, never after it
        assert parts is None or parts[0] == "columns"
        assert len(spy.exact) == 1 and CALIBRATION <= spy.exact[0] <= at
    else:  # the first block after the first records fails: never in columns. Or seen before: bytes that are
        # not UTF-8 or a NUL (an error for the whole file), a FHIR resource among the first 64 KB (read as FHIR)
        assert where == "first_block" or kind in ("not_utf8", "nul", "resource")
    if where != "first_block" and kind not in SAME_RECORD + ("not_utf8", "nul", "resource"):
        assert spy.blocks >= 1 and len(spy.exact) == 1


def test_clean_file_read_in_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for last_eol in (True, False):
        path = write(tmp_path / "clean.jsonl", good(300), last_eol=last_eol)
        exact, fast, spy = both(path, tmp_path, monkeypatch)
        assert fast.pop("parts") == ["columns"]
        assert exact.pop("parts") == []
        assert fast == exact
        assert spy.exact == [] and spy.blocks >= 10
        assert fast["out"].count(b"\n") == 301


@pytest.mark.parametrize("jobs", [1, 2])
def test_threads_and_big_blocks(jobs: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = good(400, seed=9)
    lines[333] = ODD["key_twice"](lines[333])
    monkeypatch.setattr(columnar, "FIRST_BLOCK", 8 << 10)  # then blocks of 16, 32 ... KB
    exact, fast, spy = both(write(tmp_path / "f.jsonl", lines), tmp_path, monkeypatch, block=1 << 20, jobs=jobs)
    exact.pop("parts")
    assert fast.pop("parts") == ["columns"]
    assert fast == exact and len(spy.exact) == 1


def test_not_in_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """First records of several key sets, or a bare CR among them, or too few; answers given as numbers,
    CR LF line ends or a blank line among the first records, a broken line in the first block after them:
    never read in columns (the exact reader reads the file, in parts when it is large)."""
    lines = good(200)
    mixed = list(lines)
    mixed[7] = ODD["extra_key"](mixed[7])
    cr = list(lines)
    cr[3] = ODD["bare_cr"](cr[3])
    numbers = [ODD["number"](line) for line in lines]
    crlf = [ODD["crlf"](line) for line in lines]
    blank = list(lines)
    blank[5] = ODD["blank"](blank[5])
    early = list(lines)
    early[CALIBRATION + 1] = ODD["broken"](early[CALIBRATION + 1])
    cases = {"mixed": mixed, "cr": cr, "few": lines[: CALIBRATION - 1], "numbers": numbers, "crlf": crlf}
    cases.update(blank=blank, early=early)
    for name, these in cases.items():
        exact, fast, spy = both(write(tmp_path / f"{name}.jsonl", these), tmp_path, monkeypatch, block=4000)
        assert fast == exact, name
        assert spy.blocks == 0 and spy.exact == [], name


def test_a_file_not_read_in_columns_is_read_in_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers as numbers: the exact reader's parts, as without the extra (never one process alone)."""
    from stm_screen.batch import parallel

    lines = [ODD["number"](line) for line in good(600)]
    path = write(tmp_path / "numbers.jsonl", lines)
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 1000)
    exact, fast, spy = both(path, tmp_path, monkeypatch, jobs=2)
    assert spy.blocks == 0
    assert fast.pop("parts")[0].startswith("first:")
    exact.pop("parts")
    assert fast == exact


@settings(max_examples=24, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    odd=st.lists(st.tuples(st.integers(CALIBRATION, 159), st.sampled_from(sorted(ODD))), max_size=6),
    block=st.integers(200, 2000),
)
@example(odd=[(40, "resource"), (69, "not_utf8")], block=200)  # a Patient in the sample made the file FHIR
def test_random_odd_lines(
    odd: list[tuple[int, str]], block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = good(160, seed=11)
    for at, kind in dict(odd).items():  # (one change a line)
        lines[at] = ODD[kind](lines[at])
    exact, fast, _ = both(write(tmp_path / "r.jsonl", lines), tmp_path, monkeypatch, block=block)
    exact.pop("parts", None)
    fast.pop("parts", None)
    assert fast == exact


def test_installed_command_same_output(tmp_path: Path) -> None:
    """The command itself, on a file past the real calibration sample, odd lines in its later blocks."""
    lines = good(runner.CALIBRATION_ROWS + 3000, seed=2)
    for at, kind in ((2500, "key_twice"), (4000, "number"), (4500, "blank")):
        lines[at] = ODD[kind](lines[at])
    path = write(tmp_path / "big.jsonl", lines)
    outs = []
    for switch in ("0", "1"):
        out = tmp_path / f"out{switch}.csv"
        env = {**os.environ, columnar.SWITCH: switch}
        proc = subprocess.run(
            [sys.executable, "-m", "stm_screen", "batch", str(path), "-o", str(out)],
            capture_output=True,
            env=env,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr  # the key held twice: an error row
        outs.append((out.read_bytes(), proc.stderr))
    assert outs[0] == outs[1]
    assert outs[0][0].count(b"\n") == 1 + len(lines)  # the header, and a row a record


def test_first_records_too_large_to_check_are_read_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first records are checked whole before the rest is read in columns: past MAX_HEAD bytes they
    are not held to be checked, and the file is read exactly (in parts when large), with the same output."""
    monkeypatch.setattr(columnar_jsonl, "MAX_HEAD", 1000)
    exact, fast, spy = both(write(tmp_path / "big-head.jsonl", good(200)), tmp_path, monkeypatch)
    assert spy.blocks == 0 and spy.exact == []
    exact.pop("parts")
    fast.pop("parts")
    assert fast == exact
