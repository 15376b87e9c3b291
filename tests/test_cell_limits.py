"""Exports with a cell at the 16 MB limit, or just over it, or of millions of line breaks (issue 10: every
documented limit also bounds the work). Here only what is written is checked: the right error rows, the
right rows and counts. Memory and time are measured by benchmarks/bench_limits.py, never in tests."""

from __future__ import annotations

import difflib
import io
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from stm_screen.batch import readers
from stm_screen.core.conditions import suggest
from stm_screen.errors import InputFileError
from tests.batch_helpers import invoke, records, rows

CELL = 16 * 1024 * 1024  # README's Limits: a cell of a survey export
HEADER = list(records.HEADER)
AREAS = HEADER.index("pain_areas")


def _records(n: int = 6) -> list[list[str]]:
    rng = random.Random(1)
    return [records.record(i, rng) for i in range(n)]


def _quoted(cell: str, d: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in (d, '"', "\n", "\r")) else cell


def _table(path: Path, d: str, cells: dict[int, str], recs: list[list[str]] | None = None) -> Path:
    """The records, with ``cells`` (record index -> pain_areas) put in, quoted as needed."""
    recs = [list(r) for r in (recs or _records())]
    for i, cell in cells.items():
        recs[i][AREAS] = cell
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(d.join(HEADER) + "\n" + "".join(d.join(_quoted(c, d) for c in r) + "\n" for r in recs))
    return path


def _same_but(big: list[dict[str, str]], small: list[dict[str, str]], at: set[int]) -> None:
    """The rows of two runs agree, but for the error of the rows ``at`` (the value they quote)."""
    assert len(big) == len(small)
    for i, (a, b) in enumerate(zip(big, small, strict=True)):
        if i in at:
            a, b = {**a, "error": ""}, {**b, "error": ""}
        assert a == b, i


@pytest.mark.parametrize("ext, d", [("csv", ","), ("tsv", "\t")])
def test_a_cell_at_the_limit_is_one_error_row(tmp_path: Path, ext: str, d: str) -> None:
    r = invoke(str(_table(tmp_path / f"in.{ext}", d, {2: "x" * CELL})), "--jobs", "1")
    assert r.exit_code == 1, r.stderr[-500:]
    out = rows(r.stdout)
    assert [o["id"] for o in out] == [rec[0] for rec in _records()]
    assert [o["status"] for o in out].count("error") == 1
    assert out[2]["status"] == "error"
    assert out[2]["error"].startswith("pain_areas: 'xxx") and "...' is not a choice; allowed:" in out[2]["error"]
    assert "did you mean" not in out[2]["error"]
    assert len(out[2]["error"]) < 400  # the value is shown cut short
    small = invoke(str(_table(tmp_path / f"small.{ext}", d, {2: "x" * 80})), "--jobs", "1")
    _same_but(out, rows(small.stdout), {2})
    assert "6 records" in r.stderr and "1 error" in r.stderr


@pytest.mark.parametrize("ext, d", [("csv", ","), ("tsv", "\t")])
def test_a_cell_over_the_limit_is_refused_with_its_line(tmp_path: Path, ext: str, d: str) -> None:
    path = _table(tmp_path / f"in.{ext}", d, {2: "x" * (CELL + 1)})
    out = tmp_path / "out.csv"
    r = invoke(str(path), "-o", str(out))
    assert r.exit_code == 1
    assert f"{path}:4: cannot read the CSV: field larger than field limit" in r.stderr
    assert "a cell over 16 MB" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert not out.exists()


@pytest.mark.parametrize("lines", [False, True])
def test_a_16_mb_string_in_json_is_one_error_row(tmp_path: Path, lines: bool) -> None:
    recs = [dict(zip(HEADER, r, strict=True)) for r in _records()]
    recs[2]["pain_areas"] = "x" * CELL
    path = tmp_path / ("in.jsonl" if lines else "in.json")
    path.write_text("".join(json.dumps(r) + "\n" for r in recs) if lines else json.dumps(recs), encoding="utf-8")
    r = invoke(str(path), "--jobs", "1")
    assert r.exit_code == 1
    out = rows(r.stdout)
    assert [o["status"] for o in out] == ["ok", "ok", "error", "ok", "ok", "ok"]
    assert out[2]["error"].startswith("pain_areas: 'xxx") and "is not a choice" in out[2]["error"]


def test_long_cells_are_read_each_time_they_come_not_remembered(tmp_path: Path) -> None:
    """Cells over batch.scoring.MAX_MEMO_CELL are never remembered: the same long cell in several records,
    a long valid answer (spaces around a choice) and a long invalid one, each read right every time."""
    pad = " " * 100_000
    cells = {0: "y" * 100_000, 2: pad + "low_back" + pad, 3: "y" * 100_000, 5: pad + "low_back" + pad, 7: "y" * 100_000}
    recs = _records(9)
    r = invoke(str(_table(tmp_path / "in.csv", ",", cells, recs)))
    short = {i: ("y" if c.startswith("y") else "low_back") for i, c in cells.items()}
    s = invoke(str(_table(tmp_path / "short.csv", ",", short, recs)))
    out = rows(r.stdout)
    _same_but(out, rows(s.stdout), {0, 3, 7})
    assert [out[i]["status"] for i in (0, 3, 7)] == ["error"] * 3
    assert out[2]["status"] != "error" and out[5]["status"] != "error"
    assert r.stderr.replace(str(tmp_path / "in.csv"), "F") == s.stderr.replace(str(tmp_path / "short.csv"), "F")


@pytest.mark.parametrize("end", ["\n", "ab\n"])
def test_a_quoted_cell_of_many_lines_is_one_record(tmp_path: Path, end: str) -> None:
    """20,000 line breaks inside quotes, in a column that never holds one: the lines are checked as
    records one at a time (see QuoteCheck._paired); the record is still read as one row."""
    r = invoke(str(_table(tmp_path / "in.csv", ",", {2: end * 20_000})), "--jobs", "1")
    out = rows(r.stdout)
    assert [o["id"] for o in out] == [rec[0] for rec in _records()]
    assert [o["row"] for o in out] == ["1", "2", "3", "4", "5", "6"]
    if end == "\n":  # blank: no answer
        assert out[2]["status"] == "incomplete"
    else:
        assert out[2]["status"] == "error" and out[2]["error"].startswith("pain_areas:")


def test_a_huge_value_has_the_suggestion_difflib_gives() -> None:
    """No 'did you mean' is looked for when the value is far longer than every option: the same test as
    difflib's first, so the same suggestions for every length."""
    options = ["low_back", "neck", "other", "post_surgical", ""]
    words = ["", "x", "lowback", "neck_", "postsurgical"]
    words += ["low_back" + "k" * n for n in range(0, 40)] + ["post_surgica" + "l" * n for n in range(0, 40)]
    for word in words:
        close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
        got = suggest(word, options)
        assert bool(got) == bool(close), word
        if close:
            assert f"'{close[0]}'" in got


# --- a sheet's XML cut into slices: a long row read on a step at a time, the steps joined once -------


def _cut_slices_before(f: io.BytesIO, name: str = "") -> list[tuple[bytes, bytes, bytes]]:
    """readers._cut_slices as it was (the bytes joined at each step), for the slices of a read from the
    start: the reference the new one must match."""
    step = min(1 << 20, readers.SLICE_BYTES)
    out = []
    head = buf = b""
    while not head:
        chunk = f.read(step)
        buf += chunk
        found = buf.find(b"<sheetData")
        if found >= 0:
            close = buf.find(b">", found)
            if close >= 0:
                if buf[close - 1 : close] == b"/":
                    return out
                head, buf = buf[: close + 1], buf[close + 1 :]
                break
        if not chunk:
            return out
    eof = False
    while not eof:
        want = readers.SLICE_BYTES
        searched = 0
        while True:
            if len(buf) < want:
                pieces = [buf]
                have = len(buf)
                while have < want:
                    chunk = f.read(step)
                    if not chunk:
                        eof = True
                        break
                    pieces.append(chunk)
                    have += len(chunk)
                buf = b"".join(pieces)
            if eof:
                break
            cut = buf.rfind(b"</row>", searched)
            if cut >= 0:
                break
            searched = max(0, len(buf) - len(b"</row>") + 1)
            if len(buf) > readers.XLSX_MAX_ROW_BYTES and readers._ROW_START.search(buf, 8) is None:
                raise readers._row_too_long(name, buf)
            want = len(buf) + step
        if eof:
            end = buf.rfind(b"</sheetData>")
            if end < 0:
                end = len(buf)
            out.append((head, buf[:end], buf[end:] if end < len(buf) else b"</sheetData></worksheet>"))
            return out
        cut += len(b"</row>")
        body, buf = buf[:cut], buf[cut:]
        out.append((head, body, b"</sheetData></worksheet>"))
    return out


def _sheet(rng: random.Random) -> bytes:
    rows = []
    for r in range(1, rng.randint(1, 30)):
        kind = rng.random()
        if kind < 0.2:
            rows.append(f'<row r="{r}" ht="20"/>')
        else:
            text = "".join(rng.choice("ab </row <rowx>") for _ in range(rng.choice([1, 5, 40, 300])))
            text = text.replace("<", "&lt;")
            rows.append(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{text}</t></is></c></row>')
    end = rng.choice(["</sheetData></worksheet>", "</sheetData>", ""])
    return ('<worksheet xmlns="x"><sheetData>' + "".join(rows) + end).encode()


@pytest.mark.parametrize("seed", range(60))
def test_slices_are_cut_as_before(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = random.Random(seed)
    monkeypatch.setattr(readers, "SLICE_BYTES", rng.choice([16, 64, 200, 1000]))
    monkeypatch.setattr(readers, "XLSX_MAX_ROW_BYTES", rng.choice([100, 400, 10_000]))
    data = _sheet(rng)

    def run(cut: Callable[[io.BytesIO, str], list[tuple[bytes, bytes, bytes]]]) -> object:
        try:
            return cut(io.BytesIO(data), "w.xlsx")
        except InputFileError as exc:
            return ("refused", str(exc))

    marks: list[tuple[int, int]] = []
    new = run(lambda f, name: list(readers._cut_slices(f, marks, name=name)))
    assert new == run(_cut_slices_before)
    if isinstance(new, list):
        assert len(marks) == len(new)
        for (head, body, _), (offset, _at) in zip(new, marks, strict=True):
            assert data[offset : offset + len(body)] == body and data.startswith(head)


def test_a_row_longer_than_the_limit_is_still_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "SLICE_BYTES", 64)
    monkeypatch.setattr(readers, "XLSX_MAX_ROW_BYTES", 1000)
    data = b'<worksheet><sheetData><row r="1"><c><v>1</v></c></row><row r="2"><c t="inlineStr"><is><t>'
    data += b"z" * 5000 + b"</t></is></c></row></sheetData></worksheet>"
    with pytest.raises(InputFileError, match=re.escape("w.xlsx:2: a row of the sheet is longer than")):
        list(readers._cut_slices(io.BytesIO(data), name="w.xlsx"))
