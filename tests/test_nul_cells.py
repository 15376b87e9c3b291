"""A NUL byte (byte 0) in a survey export (issue 10, "nothing lost, nothing let in"): one rule in every input
format and reading path. The record holding it is an error row naming its line (or sheet row) and column,
every other record is scored as in the same file without that NUL, the run goes on (exit 1), and no output
byte is 0. A NUL in the header is refused, located (no column can be named with it); a file that is not
text at all (many NULs) is refused as before."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from stm_screen.batch import columnar, parallel, runner
from tests.batch_helpers import invoke, records, rows
from tests.test_cell_limits import _export, _quoted, _records, _suffix

HEADER = list(records.HEADER)
KEYS = [*HEADER, "comment"]
# xlsx-openpyxl is not here: a NUL byte in a sheet's XML is not XML, and openpyxl's parser refuses the
# workbook (calamine reads it: xlsx-shared, xlsx-inline)
FORMATS = ["csv", "tsv", "no-quotes", "json", "jsonl", "fhir-bundle", "fhir-jsonl", "xlsx-shared", "xlsx-inline"]
MESSAGE = ": a NUL character (byte 0) in a cell: the export may be damaged; the record is not scored"


def _where(path: Path, fmt: str, column: str, at: int) -> str:
    """Where the error row of record ``at`` says its NUL is, in ``column``."""
    if fmt in ("csv", "tsv", "no-quotes"):
        return f"{path}:{at + 2} (column '{column}')"
    if fmt in ("json", "jsonl", "fhir-jsonl"):
        return f"{path}:{at + 1 + (fmt == 'json')} (column '{column}')"
    if fmt == "fhir-bundle":
        return f"{path} (column '{column}')"
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    return f"{path}:{at + 2} ({get_column_letter(KEYS.index(column) + 1)}{at + 2}, column '{column}')"


def _cell(column: str, at: int, n: int) -> str:
    """The record's cell in ``column`` as _export writes it (its id, an answer, or the comment)."""
    return "fine" if column == "comment" else dict(zip(HEADER, _records(n)[at], strict=True))[column]


def _check(tmp_path: Path, fmt: str, column: str, at: int, n: int, cell: str, *args: str) -> None:
    """Record ``at`` of ``n`` with ``cell`` (holding a NUL) in ``column``: its error row, and every other
    row as in the file with that cell written without its NUL."""
    rid = cell if column == "id" else None
    path, _ = _export(tmp_path / f"in.{_suffix(fmt)}", fmt, "comment" if column == "id" else column,
                      "fine" if column == "id" else cell, at=at, n=n, rid=rid)  # fmt: skip
    clean_cell = cell.replace("\x00", "")
    clean, _ = _export(tmp_path / f"clean.{_suffix(fmt)}", fmt, "comment" if column == "id" else column,
                       "fine" if column == "id" else clean_cell, at=at, n=n,
                       rid=clean_cell if column == "id" else None)  # fmt: skip
    r = invoke(str(path), "--jobs", "1", *args)
    assert r.exit_code == 1, r.stderr[-800:]
    assert "\x00" not in r.stdout and "\x00" not in r.stderr and "Traceback" not in r.stderr
    out = rows(r.stdout)
    ids = [rec[0] for rec in _records(n)]
    assert len(out) == n and [o["row"] for o in out] == [str(k) for k in range(1, n + 1)]
    assert [o["status"] == "error" for o in out].count(True) >= 1 and out[at]["status"] == "error"
    shown = "id" if column == "id" else column
    assert out[at]["error"] == _where(path, fmt, shown, at) + MESSAGE
    assert out[at]["id"] == ("" if column == "id" else ids[at])  # an id holding a NUL: not written
    scored = rows(invoke(str(clean), "--jobs", "1", *args).stdout)
    assert len(scored) == n
    assert out[:at] + out[at + 1 :] == scored[:at] + scored[at + 1 :]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("column", "at", "n", "cell"),
    [
        ("id", 0, 6, "P\x000"),  # the id of the record read with the header (within the first 64 KB)
        ("pain_areas", 2, 6, "low_back\x00"),  # an answer
        ("comment", 5, 6, "said, \"no\"\x00 twice"),  # the file's last cell, quoted (it holds ',' and '"')
        ("age_years", 330, 340, "4\x000"),  # past the first 64 KB (and past the first 2,048 bytes' records)
    ],
    ids=["id-first", "answer", "last-cell-quoted", "after-64k"],
)
def test_a_nul_makes_its_record_an_error_row_in_every_format(
    tmp_path: Path, fmt: str, column: str, at: int, n: int, cell: str
) -> None:
    if fmt == "no-quotes" and ('"' in cell or "," in cell):
        cell = cell.replace('"', "").replace(",", "")
    _check(tmp_path, fmt, column, at, n, cell)


@pytest.mark.parametrize("seed", range(12))
def test_a_nul_in_a_random_cell(tmp_path: Path, seed: int) -> None:
    """A NUL put anywhere in any cell of any record (and the NUL bytes only of a cell)."""
    rng = random.Random(seed)
    fmt = rng.choice(FORMATS)
    n = rng.choice([3, 7, 250])
    at = rng.randrange(n)
    column = rng.choice(KEYS)
    text = _cell(column, at, n) or "x"
    if fmt == "no-quotes":
        text = text.split(",")[0]
    cut = rng.randrange(len(text) + 1)
    cell = text[:cut] + "\x00" * rng.choice([1, 1, 3]) + text[cut:]
    _check(tmp_path, fmt, column, at, n, cell)


def test_a_quoted_cell_on_two_lines_names_the_record_s_first_line(tmp_path: Path) -> None:
    recs = _records()
    for rec in recs:
        rec.append("fine")
    recs[3][-1] = "first line\nsecond\x00 line"
    path = tmp_path / "in.csv"
    path.write_text(",".join(KEYS) + "\n" + "".join(",".join(_quoted(c, ",") for c in r) + "\n" for r in recs), encoding="utf-8")
    out = rows(invoke(str(path), "--jobs", "1").stdout)
    assert [o["id"] for o in out] == [r[0] for r in recs]
    assert out[3]["error"] == f"{path}:5 (column 'comment')" + MESSAGE
    assert out[4]["status"] != "error" and out[5]["status"] != "error"


# --- the header: refused, located --------------------------------------------------------------------------


@pytest.mark.parametrize("late", [False, True], ids=["first-64k", "header-past-64k"])
def test_a_nul_in_the_header_is_refused_and_located(tmp_path: Path, late: bool) -> None:
    path, _ = _export(tmp_path / "in.csv", "csv", "comment", "fine")
    text = path.read_text(encoding="utf-8")
    pad = ",".join(f"extra_{k}" for k in range(9000)) + "," if late else ""  # a header longer than 64 KB
    path.write_text(pad + text.replace("pain_areas", "pain\x00_areas", 1), encoding="utf-8")
    out = tmp_path / "out.csv"
    r = invoke(str(path), "-o", str(out))
    assert r.exit_code == 1 and not out.exists()
    col = len(pad) + text.index("pain_areas") + 5
    assert f"{path}:1: a NUL character (byte 0) at line 1, column {col}: a survey export never holds one" in r.stderr


def test_a_nul_in_a_workbook_s_header_is_refused_and_located(tmp_path: Path) -> None:
    path, _ = _export(tmp_path / "in.xlsx", "xlsx-inline", "comment", "fine")
    from tests._xlsx import edit_sheet

    edit_sheet(path, rb"<t>comment</t>", b"<t>com\x00ment</t>")
    r = invoke(str(path))
    assert r.exit_code == 1 and "(AL1): a NUL character (byte 0) at line 1, column 38" in r.stderr


def test_a_binary_file_is_still_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"id,age_years\n" + b"".join(b"P%d,4\x00\x00\x00\n" % k for k in range(40)))
    r = invoke(str(path))
    assert r.exit_code == 1 and "this is a binary file, not a survey export" in r.stderr


# --- the other reading paths: in columns, in parts, from a pipe -----------------------------------------------


def _many(path: Path, n: int, nul_at: list[int], fmt: str = "csv") -> Path:
    """``n`` records (the benchmark's), a NUL in the id of the first record of ``nul_at`` and in an answer
    (a quoted one, in CSV) of the others."""
    rng = random.Random(2)
    recs = [dict(zip(HEADER, records.record(k, rng), strict=True)) for k in range(n)]
    for j, k in enumerate(nul_at):
        if j == 0:
            recs[k]["id"] = recs[k]["id"][:3] + "\x00" + recs[k]["id"][3:]
        else:
            recs[k]["pain_areas"] = "low_back,\x00neck_shoulder"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    else:
        path.write_text(",".join(HEADER) + "\n" + "".join(",".join(_quoted(r[k], ",") for k in HEADER) + "\n" for r in recs), encoding="utf-8")
    return path


def _errors(text: str) -> dict[int, str]:
    return {int(o["row"]): o["error"] for o in rows(text) if o["status"] == "error"}


NUL_AT = [40, 1500, 2900]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("fast", ["0", "1"], ids=["exact", "columns"])
def test_in_parts_and_in_columns_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, fast: str) -> None:
    """In parts (helper processes), with the columnar reader (pyarrow) or without: the same bytes as one
    process reading exactly, every NUL record an error row named at its line."""
    pytest.importorskip("pyarrow")
    path = _many(tmp_path / f"in.{fmt}", 3000, NUL_AT, fmt)
    monkeypatch.setenv(columnar.SWITCH, "0")
    one = invoke(str(path), "--jobs", "1")
    monkeypatch.setenv(columnar.SWITCH, fast)
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 20_000)
    monkeypatch.setattr(runner, "CALIBRATION_ROWS", 20)
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 30_000)
    many = invoke(str(path), "--jobs", "3")
    assert one.exit_code == many.exit_code == 1
    assert many.stdout == one.stdout and "\x00" not in one.stdout
    errors = _errors(one.stdout)
    first = 1 + (fmt == "csv")  # the line of record 0
    assert {k: e.split(":", 2)[1].split(" ")[0] for k, e in errors.items()} == {k + 1: str(k + first) for k in NUL_AT}
    assert all(e.endswith(MESSAGE) for e in errors.values())
    assert errors[NUL_AT[0] + 1].startswith(f"{path}:{NUL_AT[0] + first} (column 'id')")
    assert len(rows(one.stdout)) == 3000 and rows(one.stdout)[NUL_AT[0]]["id"] == ""


def test_in_columns_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The columnar reader hands a block holding a NUL to the exact reader: the same rows."""
    pytest.importorskip("pyarrow")
    path = _many(tmp_path / "in.csv", 3000, NUL_AT)
    monkeypatch.setenv(columnar.SWITCH, "0")
    exact = invoke(str(path), "--jobs", "1")
    monkeypatch.setenv(columnar.SWITCH, "1")
    monkeypatch.setattr(runner, "CALIBRATION_ROWS", 20)
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 30_000)
    assert invoke(str(path), "--jobs", "1").stdout == exact.stdout
    assert sorted(_errors(exact.stdout)) == [k + 1 for k in NUL_AT]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_from_a_pipe(tmp_path: Path, fmt: str) -> None:
    """A pipe (nothing to look at before reading): its blocks are, as they are read."""
    path = _many(tmp_path / f"in.{fmt}", 3000, NUL_AT, fmt)
    exe = str(Path(sys.executable).with_name("stm-screen"))
    env = {**os.environ, "STM_SCREEN_HOME": str(tmp_path / "home")}
    piped = subprocess.run([exe, "batch", "/dev/stdin"], input=path.read_bytes(), capture_output=True, timeout=300, check=False, env=env)
    assert piped.returncode == 1, piped.stderr[-500:]
    assert b"\x00" not in piped.stdout
    from_file = invoke(str(path), "--jobs", "1")
    assert piped.stdout.decode() == from_file.stdout.replace(str(path), "/dev/stdin")
    assert sorted(_errors(from_file.stdout)) == [k + 1 for k in NUL_AT]
