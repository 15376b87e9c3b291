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


# --- a cell over the limit, in every format: its record's error row, named where it is; the run goes on ---

FORMATS = ["csv", "tsv", "no-quotes", "json", "jsonl", "fhir-bundle", "fhir-jsonl", "xlsx-shared", "xlsx-inline", "xlsx-openpyxl"]
AT = 2  # the record holding the long cell (its index): read with the header, or after it (see _export)


def _export(
    path: Path, fmt: str, column: str, cell: str, at: int = AT, n: int = 6, rid: str | None = None
) -> tuple[Path, str]:
    """``n`` records in format ``fmt``, record ``at`` with ``cell`` in ``column`` (a question's column, or
    'comment', which no question reads) and ``rid`` for its id when given; returns the file and where the
    error row names the cell."""
    recs = [dict(zip(HEADER, r, strict=True)) for r in _records(n)]
    for rec in recs:
        rec["comment"] = "fine"
    recs[at][column] = cell
    if rid is not None:
        recs[at]["id"] = rid
    keys = [*HEADER, "comment"]
    if fmt in ("csv", "tsv", "no-quotes"):
        d = "\t" if fmt == "tsv" else ","
        if fmt == "no-quotes":  # a file with no '"' at all is read without the quote check
            for rec in recs:
                rec["pain_areas"] = rec["pain_areas"].split(",")[0]
        with open(path, "w", newline="", encoding="utf-8") as f:
            f.write(d.join(keys) + "\n" + "".join(d.join(_quoted(r[k], d) for k in keys) + "\n" for r in recs))
        return path, f"{path}:{at + 2}"
    if fmt in ("json", "jsonl"):  # (a JSON array: one record a line, so that its line can be told)
        lines = [json.dumps(r) for r in recs]
        text = "\n".join(lines) + "\n" if fmt == "jsonl" else "[\n" + ",\n".join(lines) + "\n]\n"
        path.write_text(text, encoding="utf-8")
        return path, f"{path}:{at + 1 + (fmt == 'json')} ('{column}')"
    if fmt.startswith("fhir"):
        responses = [
            {"resourceType": "QuestionnaireResponse", "id": r["id"], "status": "completed",
             "item": [{"linkId": k, "answer": [{"valueString": r[k]}]} for k in keys[1:] if r[k]]}
            for r in recs
        ]  # fmt: skip
        if fmt == "fhir-bundle":
            bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in responses]}
            path.write_text(json.dumps(bundle), encoding="utf-8")
            return path, f"{path} ('{column}')"
        path.write_text("".join(json.dumps(r) + "\n" for r in responses), encoding="utf-8")
        return path, f"{path}:{at + 1} ('{column}')"
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    from tests._xlsx import write_workbook

    table = [keys, *([rec[key] for key in keys] for rec in recs)]
    if fmt == "xlsx-openpyxl":
        table[1][-1] = "_x0041_"  # an escape calamine reads otherwise: openpyxl reads the sheet
    write_workbook(path, table, shared=fmt == "xlsx-shared")
    return path, f"{path}:{at + 2} ({get_column_letter(keys.index(column) + 1)}{at + 2})"


def _suffix(fmt: str) -> str:
    return {"tsv": "tsv", "no-quotes": "csv", "json": "json", "fhir-bundle": "json"}.get(fmt, fmt.split("-")[0])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("column", "made"),
    [
        ("pain_areas", lambda n: "low_back".ljust(n)),  # a valid answer but for its length (read: 'ok')
        ("comment", lambda n: "z" * n),  # a column no question reads
        ("pain_areas", lambda n: "low_back".rjust(n)),  # (padded before)
    ],
    ids=["answer-padded", "unread-column", "answer-padded-before"],
)
def test_a_cell_just_over_the_limit_is_an_error_row_in_every_format(
    tmp_path: Path, fmt: str, column: str, made: Callable[[int], str]
) -> None:
    """One character over 16 MB: the record's error row names the file, its line (or sheet row and cell,
    or field) and the limit; every other record is scored as with a short cell; exit 1. The same cell one
    character shorter is read (an answer padded with spaces scores as the answer)."""
    path, where = _export(tmp_path / f"in.{_suffix(fmt)}", fmt, column, made(CELL + 1))
    r = invoke(str(path), "--jobs", "1")
    assert r.exit_code == 1, r.stderr[-500:]
    assert "Traceback" not in r.stdout + r.stderr
    out = rows(r.stdout)
    assert [o["id"] for o in out] == [rec[0] for rec in _records()]
    assert [o["status"] for o in out].count("error") == 1 and out[AT]["status"] == "error"
    assert out[AT]["error"] == f"{where}: a cell is longer than 16 MB (at most 16,777,216 characters)"
    assert "6 records" in r.stderr and "1 error" in r.stderr
    short, _ = _export(tmp_path / f"short.{_suffix(fmt)}", fmt, column, made(8))
    scored = rows(invoke(str(short), "--jobs", "1").stdout)
    assert scored[AT]["status"] == "ok"
    assert out[:AT] + out[AT + 1 :] == scored[:AT] + scored[AT + 1 :]
    at_limit, _ = _export(tmp_path / f"limit.{_suffix(fmt)}", fmt, column, made(CELL))
    assert rows(invoke(str(at_limit), "--jobs", "1").stdout) == scored


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize("id_quoted", [False, True])
def test_a_quoted_cell_over_the_limit_holding_delimiters_and_quotes(tmp_path: Path, fmt: str, id_quoted: bool) -> None:
    """The long cell quoted (it holds the delimiter and doubled quotes), after a quoted id: the id is read
    for the error row as the reader reads it, and the next record starts on the next line."""
    d = "\t" if fmt == "tsv" else ","
    cell = ('said "no", then' + d + " ") * (CELL // 16 + 1)
    recs = _records()
    if id_quoted:
        recs[AT][0] = f'P{d}"2"'  # (written quoted)
    path, where = _export(tmp_path / f"in.{fmt}", fmt, "comment", cell, rid=recs[AT][0])
    out = rows(invoke(str(path), "--jobs", "1").stdout)
    assert [o["id"] for o in out] == [rec[0] for rec in recs]
    assert [o["status"] == "error" for o in out] == [k == AT for k in range(6)]
    assert out[AT]["error"] == f"{where}: a cell is longer than 16 MB (at most 16,777,216 characters)"


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx-inline", "fhir-bundle"])
@pytest.mark.parametrize("at", [0, 5])
def test_the_first_or_last_record_over_the_limit(tmp_path: Path, fmt: str, at: int) -> None:
    """The record read with the header (or the file's first), and the file's last: the same error row."""
    path, where = _export(tmp_path / f"in.{_suffix(fmt)}", fmt, "comment", "q" * (CELL + 1), at=at)
    out = rows(invoke(str(path), "--jobs", "1").stdout)
    assert [o["id"] for o in out] == [rec[0] for rec in _records()]
    assert [o["row"] for o in out] == [str(i) for i in range(1, 7)]
    assert [o["status"] == "error" for o in out] == [k == at for k in range(6)]
    assert out[at]["error"].startswith(f"{where}: a cell is longer than 16 MB")


@pytest.mark.parametrize("fmt", ["csv", "xlsx-inline", "xlsx-openpyxl"])
def test_a_header_cell_over_the_limit_stops_the_run(tmp_path: Path, fmt: str) -> None:
    """A header cell that long is no column's title: nothing is scored (exit 1), said in one line."""
    path, _ = _export(tmp_path / f"in.{_suffix(fmt)}", fmt, "comment", "fine")
    if fmt == "csv":
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("comment", "h" * (CELL + 1), 1), encoding="utf-8")
        where = f"{path}:1"
    else:
        from tests._xlsx import edit_sheet

        edit_sheet(path, rb"<t>comment</t>", b"<t>" + b"h" * (CELL + 1) + b"</t>")
        where = f"{path}:1 (AL1)"
    out = tmp_path / "out.csv"
    r = invoke(str(path), "-o", str(out))
    assert r.exit_code == 1 and not out.exists()
    assert f"stm-screen: {where}: a cell is longer than 16 MB" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("d", [",", "\t"])
def test_a_quoted_cell_over_the_limit_that_runs_on_is_refused(tmp_path: Path, d: str) -> None:
    """A quoted cell over the limit that holds a line break (or a quote never closed, which reads so): its
    record's end cannot be told (a stray quote may have taken in the records after it), so the file is
    refused, naming the line, as before."""
    path = _table(tmp_path / "in.csv", d, {2: "ab\n" + "x" * (CELL + 1)})
    out = tmp_path / "out.csv"
    r = invoke(str(path), "-o", str(out))
    assert r.exit_code == 1 and not out.exists()
    assert "cannot read the CSV: field larger than field limit" in r.stderr and "a cell over 16 MB" in r.stderr


def test_long_cells_among_many_records_are_error_rows_in_order(tmp_path: Path) -> None:
    """Records after the first 2,048 (where the columnar reader reads, when installed): a line longer
    than the limit is the exact reader's, which makes it the error row. Two such records, each named."""
    recs = _records(2600)
    recs[2300][AREAS] = "low_back" + " " * (CELL - 7)
    recs[2450][AREAS] = "x" * (CELL + 1)
    path = tmp_path / "in.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(",".join(HEADER) + "\n" + "".join(",".join(_quoted(c, ",") for c in r) + "\n" for r in recs))
    r = invoke(str(path))
    out = rows(r.stdout)
    assert [o["id"] for o in out] == [rec[0] for rec in recs]
    bad = [(k, o["error"]) for k, o in enumerate(out) if o["status"] == "error"]
    assert bad == [(k, f"{path}:{k + 2}: a cell is longer than 16 MB (at most 16,777,216 characters)") for k in (2300, 2450)]


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
