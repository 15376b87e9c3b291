"""A carriage return alone inside an unquoted cell, in a file whose lines end with a line feed (LF or CR LF),
is a line end to Python's reader (old Mac text pasted into a cell, a comment typed on a Mac): its record
came out as two rows, and every later row number shifted (issue 10, third review: 4 rows for 3 records).
The two halves are one record again when the second is not a record of its own and together, quotes
honoured, they read as one record of the header's width, a quoted cell on the CR's line or the next
included; a CR alone that ends a whole record (a file joined from several) still ends it. Files read ahead
only (under 16 MB)."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stm_screen.batch.output import CsvWriter
from stm_screen.batch.runner import Batch, BatchSettings
from stm_screen.screening import load_rules

MINIMAL = Path(__file__).resolve().parent / "data" / "minimal.yaml"
HEADER = "id,months,stiff,areas,fever,comment"


def _score(path: Path) -> list[dict[str, str]]:
    buf = io.StringIO()
    Batch(load_rules(str(MINIMAL)), None, BatchSettings(allow_missing=True)).run(str(path), CsvWriter(buf, with_file=False))
    return list(csv.DictReader(io.StringIO(buf.getvalue())))


def _records(n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [
        [f"P{i:04d}", str(rng.randint(1, 30)), rng.choice(["yes", "no"]), rng.choice(["back", "neck"]), "no",
         rng.choice(["", "sore after work", "better today"])]
        for i in range(1, n + 1)
    ]  # fmt: skip


@pytest.mark.parametrize("n", [5, 3000])  # among the first records, and after them
@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_a_cr_inside_a_comment_keeps_its_record_whole_and_scored(tmp_path: Path, n: int, end: str) -> None:
    rows = _records(n, 1)
    at = n - 2
    rows[at][5] = "typed on\ra Mac"
    path = tmp_path / "in.csv"
    path.write_bytes((end.join([HEADER, *(",".join(r) for r in rows)]) + end).encode())
    out = _score(path)
    assert [r["id"] for r in out] == [r[0] for r in rows]
    assert out[at]["status"] == "ok" and out[at + 1]["row"] == str(at + 2)


@pytest.mark.parametrize("cell", [1, 2, 4])
def test_a_cr_inside_an_answer_is_one_error_row_for_its_record(tmp_path: Path, cell: int) -> None:
    rows = _records(6, 2)
    rows[2][cell] = rows[2][cell][:1] + "\r" + rows[2][cell][1:]
    path = tmp_path / "in.csv"
    path.write_bytes(("\n".join([HEADER, *(",".join(r) for r in rows)]) + "\n").encode())
    out = _score(path)
    assert [r["id"] for r in out] == [r[0] for r in rows]
    assert [r["status"] for r in out].count("error") == 1 and out[2]["status"] == "error"


def test_a_cr_that_ends_a_whole_record_still_ends_it(tmp_path: Path) -> None:
    """Two exports joined, one with Mac line ends: each CR-ended line is a whole record of its own."""
    rows = _records(6, 3)
    text = HEADER + "\n" + "\n".join(",".join(r) for r in rows[:3]) + "\n" + "\r".join(",".join(r) for r in rows[3:]) + "\r"
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode())
    out = _score(path)
    assert [r["id"] for r in out] == [r[0] for r in rows]
    assert all(r["status"] == "ok" for r in out)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(2, 12), st.integers(0, 10**6), st.data())
def test_one_row_per_record_whatever_cell_holds_a_cr(tmp_path: Path, n: int, seed: int, data: st.DataObject) -> None:
    """A CR put inside any cell but the id, of any records: one output row per record, each its own."""
    rows = _records(n, seed)
    for i in data.draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n)):
        cell = data.draw(st.integers(1, 5))
        text = rows[i][cell] or "x"
        cut = data.draw(st.integers(0, len(text)))
        rows[i][cell] = text[:cut] + "\r" + text[cut:]
    path = tmp_path / "in.csv"
    body = "\n".join(",".join(r) for r in rows)
    path.write_bytes((HEADER + "\n" + body + "\n").encode())
    out = _score(path)
    assert [r["id"] for r in out] == [r[0] for r in rows], (body, out)
    assert [r["row"] for r in out] == [str(i) for i in range(1, n + 1)]


def test_the_report_a_quoted_cell_beside_the_cr(tmp_path: Path) -> None:
    """The record held a quoted cell (a multi-select holding the delimiter): it was cut at the CR, the
    correct quote was blamed, part of an answer became an id and every later row number shifted."""
    path = tmp_path / "cr.csv"
    path.write_bytes(b'id,pain_areas,pain_trend,night_pain\nP1,"low_back,tendon",sa\rme,no\nP2,low_back,same,no\n')
    buf = io.StringIO()
    Batch(load_rules(), None, BatchSettings(allow_missing=True)).run(str(path), CsvWriter(buf, with_file=False))
    out = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [(r["row"], r["id"]) for r in out] == [("1", "P1"), ("2", "P2")]
    assert out[0]["status"] == "error" and "pain_trend: 'sa\\rme' is not a choice" in out[0]["error"]
    assert out[1]["status"] == "incomplete"


@pytest.mark.parametrize("n", [5, 3000])  # among the first records, and after them
@pytest.mark.parametrize("end", ["\n", "\r\n"])
@pytest.mark.parametrize("quoted", ['"back,neck"', '"back"'])
def test_a_cr_beside_a_quoted_cell_keeps_its_record_whole(tmp_path: Path, n: int, end: str, quoted: str) -> None:
    rows = _records(n, 4)
    at = n - 2
    rows[at][3] = quoted
    rows[at][5] = "typed on\ra Mac"
    rows[at - 1][5] = '"a comment, on\ntwo lines"'  # a quoted line break just before
    path = tmp_path / "in.csv"
    path.write_bytes((end.join([HEADER, *(",".join(r) for r in rows)]) + end).encode())
    out = _score(path)
    assert [r["id"] for r in out] == [r[0] for r in rows]
    assert out[at]["status"] == "ok" and out[at + 1]["row"] == str(at + 2)
    # the CR in an answer: the record is one error row of its own
    rows[at][5] = ""
    rows[at][2] = rows[at][2][:1] + "\r" + rows[at][2][1:]  # 'y\res', 'n\ro'
    path.write_bytes((end.join([HEADER, *(",".join(r) for r in rows)]) + end).encode())
    out = _score(path)
    assert [r["id"] for r in out] == [r[0] for r in rows]
    assert [r["status"] for r in out].count("error") == 1 and out[at]["status"] == "error"
    assert "stiff:" in out[at]["error"]


def _quoted(rng: random.Random, cell: str, free: bool) -> str:
    """A cell as an export may quote it: holding the delimiter (and, in free text, a line feed)."""
    if free and rng.random() < 0.5:
        cell = rng.choice(["sore, after work", "better\ntoday", 'said "ouch", twice\nthen rested', ""])
    return '"' + cell.replace('"', '""') + '"'


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(2, 12), st.integers(0, 10**6), st.data())
def test_one_row_per_record_with_quoted_cells_and_a_cr(tmp_path: Path, n: int, seed: int, data: st.DataObject) -> None:
    """Records with and without quoted cells (the multi-select holding the delimiter, a comment holding the
    delimiter, quotes or a line feed); one CR alone put inside an unquoted cell of one record, any but the
    id (a line holding the id's first part alone before a whole record is two lines, as before): one output
    row per record, row numbers in order, and every row carries its own id, an error row too."""
    rng = random.Random(seed)
    rows = _records(n, seed)
    cells: list[list[str]] = []
    for row in rows:
        written = []
        for c, cell in enumerate(row):
            if c == 3 and rng.random() < 0.4:
                cell = _quoted(rng, rng.choice(["back,neck", "neck", "back;neck"]), False)
            elif c == 5 and rng.random() < 0.5:
                cell = _quoted(rng, cell, True)
            elif c in (1, 2, 4) and rng.random() < 0.15:
                cell = _quoted(rng, cell, False)
            written.append(cell)
        cells.append(written)
    i = data.draw(st.integers(0, n - 1), label="record")
    plain = [c for c, cell in enumerate(cells[i]) if c and not cell.startswith('"')]
    c = data.draw(st.sampled_from(plain), label="cell")
    text = cells[i][c]
    cut = data.draw(st.integers(0, len(text)), label="cut")
    cells[i][c] = text[:cut] + "\r" + text[cut:]
    end = data.draw(st.sampled_from(["\n", "\r\n"]), label="end")
    body = end.join(",".join(r) for r in cells)
    path = tmp_path / "in.csv"
    path.write_bytes((HEADER + end + body + end).encode())
    out = _score(path)
    assert [r["row"] for r in out] == [str(k) for k in range(1, n + 1)], (body, out)
    assert [r["id"] for r in out] == [r[0] for r in rows], (body, out)
    if c == 5:  # a CR in the comment (no question reads it) leaves the record scored
        assert out[i]["status"] != "error", (body, out)


def test_a_cr_before_a_stray_quote_lets_no_record_vanish(tmp_path: Path) -> None:
    """The row after the CR holds a stray quote that a later record's quote closes: joined, the two halves
    would take in the records between (a whole record on the next line); they are not joined, and the
    stray quote is reported as in any record. Every other record keeps its own row."""
    path = tmp_path / "in.csv"
    path.write_bytes(
        (HEADER + '\nP0,1,no,back,no,\nP1,12\r,no,back,no,"oops\nP2,3,no,back,no,\nP3,4,no,back,no,fine"\n'
         "P4,5,no,back,no,\n").encode()
    )  # fmt: skip
    out = _score(path)
    assert [r["id"] for r in out if r["status"] != "error"] == ["P0", "P2", "P3", "P4"]
    assert out[1]["id"] == "P1" and out[1]["status"] == "error"


def _ragged_error(cells: int, width: int = 6) -> str:
    plural = "" if cells == 1 else "s"
    return (
        f"the record has {cells} cell{plural} but the header has {width} columns (a missing or extra delimiter, or "
        "an unquoted line break?)"
    )


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_many_bare_crs_are_one_row_each_as_the_lines_split(tmp_path: Path, end: str) -> None:
    """A cell of 3,000 CRs alone (issue 10: a million took 25 s), past the first records read to calibrate:
    each CR ends a line that is a record of its own (no two lines read as one record), so the output has
    one row per line as Python splits them, in order, each a record's outcome or its own error row."""
    rows = _records(8, 5)
    rows[3][3] = "a\r" * 3000 + "back"
    body = end.join(",".join(r) for r in rows) + end
    path = tmp_path / "in.csv"
    path.write_bytes((HEADER + end + body).encode())
    out = _score(path)
    lines = body.splitlines()
    assert len(lines) == 8 + 3000
    assert [r["row"] for r in out] == [str(k) for k in range(1, len(lines) + 1)]
    assert [r["id"] for r in out] == [line.split(",")[0] for line in lines]
    for line, r in zip(lines, out, strict=True):
        cells = line.split(",")
        if len(cells) == 6:
            assert r["status"] != "error", (line, r)
        else:
            assert (r["status"], r["error"]) == ("error", _ragged_error(len(cells))), (line, r)


def test_a_cr_cut_record_after_many_bare_crs_is_still_one_record(tmp_path: Path) -> None:
    """Each bare CR line looks at the line after it, and the reader reads on from where it was (nothing
    skipped or read twice): a record that a CR in its comment cut in two, after 3,000 such lines, is still
    joined and scored, and the rows after it keep their numbers."""
    rows = _records(8, 6)
    rows[2][3] = "a\r" * 3000 + "back"
    rows[6][5] = "typed on\ra Mac"
    path = tmp_path / "in.csv"
    path.write_bytes((HEADER + "\n" + "\n".join(",".join(r) for r in rows) + "\n").encode())
    out = _score(path)
    assert len(out) == 8 + 3000
    assert [r["id"] for r in out[-5:]] == [r[0] for r in rows[3:]]
    assert [r["row"] for r in out[-5:]] == [str(k) for k in range(3004, 3009)]
    assert out[-2]["status"] == "ok"


def test_ragged_rows_of_every_width_each_say_their_own_count(tmp_path: Path) -> None:
    """A ragged row's outcome is made once per number of cells (and reused): rows of 1 to 9 cells and lines
    of spaces, mixed, each get the message of their own count, in CSV and JSON Lines, an id a spreadsheet
    would run as a formula made plain; the summary keeps the first row of each distinct error."""
    from stm_screen.batch.output import JsonlWriter

    rng = random.Random(7)
    lines = [HEADER]
    expected: list[str] = []
    for k in range(400):
        cells = rng.choice([1, 2, 3, 4, 5, 7, 8, 9, 0])
        if cells == 0:
            lines.append("   ")
            expected.append("the line holds only spaces or tabs, not a record of the header's 6 columns: delete "
                            "the line, or the spaces on it")
        else:
            lines.append(",".join([f"=1+{k}" if k % 50 == 0 else f"R{k}", *("x" * (cells - 1))]))
            expected.append(_ragged_error(cells))
    path = tmp_path / "in.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rules = load_rules(str(MINIMAL))
    buf = io.StringIO()
    writer = CsvWriter(buf, with_file=False)
    Batch(rules, None, BatchSettings(allow_missing=True)).run(str(path), writer)
    out = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [r["error"] for r in out] == expected
    assert [r["id"] for r in out[:2]] == ["'=1+0", "R1"]
    firsts = {}
    for i, message in enumerate(expected, 1):
        firsts.setdefault(message, i)
    assert [row for _file, row, _brief in writer.bad] == sorted(firsts.values())[:5]
    jbuf = io.StringIO()
    jsonl = JsonlWriter(jbuf, with_file=False)
    jsonl.start_file(str(path))
    Batch(rules, None, BatchSettings(allow_missing=True)).run(str(path), jsonl)
    import json

    records = [json.loads(text) for text in jbuf.getvalue().splitlines()]
    assert [r["error"] for r in records] == expected
    assert [r["row"] for r in records] == list(range(1, 401))


# --- several CRs alone in one record (issue 10, fourth review: 'a\r\rb' came out as two rows) ------------


def _crs(k: int) -> str:
    return "\r" * k


@pytest.mark.parametrize("n", [5, 3000])  # among the first records (read with the header), and after them
@pytest.mark.parametrize("end", ["\n", "\r\n"])
@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize(
    "how",
    ["inside", "at-start", "at-end", "two-cells", "between-cells", "line-end"],
)
def test_several_crs_alone_keep_their_record_whole(tmp_path: Path, n: int, end: str, k: int, how: str) -> None:
    """``k`` CRs alone in one record, where Python's reader sees ``k`` line ends: inside the comment
    ('a\\r\\rb'), at its start or end, split between two cells, between two cells (after a delimiter,
    'a,\\r\\rb'), or before the line's end ('\\r\\r\\n'). One output row per record, each with its own id
    and row number (an answer holding a CR is its record's error row, as with one CR)."""
    rows = _records(n, 7)
    at = n - 2
    rows[at][5] = "sore after work"
    error = False
    if how == "inside":
        rows[at][5] = "sore" + _crs(k) + "after work"
    elif how == "at-start":
        rows[at][5] = _crs(k) + "sore"
    elif how == "at-end":
        rows[at][5] = "sore" + _crs(k) + "x"
    elif how == "two-cells":
        rows[at][2] = rows[at][2][:1] + "\r" + rows[at][2][1:]  # 'y\res', 'n\ro'
        rows[at][5] = "sore" + _crs(k - 1) + "after"
        error = True  # an answer holding a CR: an error row
    elif how == "between-cells":  # 'no,\r\rno': CRs as a cell starts (an answer's edge, as spaces are)
        rows[at][4] = _crs(k) + rows[at][4]
    else:  # the line ends with CRs before its line end ('\r\r\n')
        rows[at][5] = "sore" + _crs(k)
    text = end.join([HEADER, *(",".join(r) for r in rows)]) + end
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode())
    out = _score(path)
    assert [r["id"] for r in out] == [r[0] for r in rows], [r["id"] for r in out][at - 1 : at + 3]
    assert [r["row"] for r in out] == [str(i) for i in range(1, n + 1)]
    if error:
        assert out[at]["status"] == "error" and out[at]["error"].startswith("stiff:")
    else:
        assert out[at]["status"] == "ok", out[at]
    assert [r["status"] for r in out].count("error") == error


def _comments(path: Path) -> list[list[str]]:
    """The records as the batch reader reads them (its rows after the header), as the runner reads them:
    the first rows with the header, checked once the header's width is known, then the rest."""
    from itertools import islice

    from stm_screen.batch.readers import TableSource, open_source

    src = open_source(str(path))
    try:
        assert isinstance(src, TableSource) and src.checker is not None
        head = list(islice(src.rows, 3))
        src.checker.width = 6
        rows = src.checker.recheck(head[1:]) + list(src.checker.rows)
    finally:
        src.close()
    return [row for row in rows if row]


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("quoted", [False, True])
def test_the_crs_are_kept_in_their_cell(tmp_path: Path, k: int, quoted: bool) -> None:
    """The cell holds exactly what was typed, its CRs included, whether it was quoted or not."""
    rows = _records(6, 8)
    typed = "a" + "\r" * k + "b"
    rows[2][5] = f'"{typed}"' if quoted else typed
    rows[3][5] = '"a, quoted\ncomment"'
    path = tmp_path / "in.csv"
    path.write_bytes(("\n".join([HEADER, *(",".join(r) for r in rows)]) + "\n").encode())
    got = _comments(path)
    assert [r[0] for r in got] == [r[0] for r in rows]
    assert got[2][5] == typed and got[3][5] == "a, quoted\ncomment"


@pytest.mark.parametrize("k", [1, 2, 3])
def test_row_and_line_numbers_after_a_record_with_several_crs(tmp_path: Path, k: int) -> None:
    """A later record's error row keeps its own row number, and the line it names is the line of its
    stray quote, counting each CR alone as a line end (as Python's reader, and editors that show old Mac
    line ends, count them)."""
    rows = _records(8, 9)
    rows[2][5] = "a" + "\r" * k + "b"
    rows[6][5] = '"oops'  # a stray quote
    text = "\n".join([HEADER, *(",".join(r) for r in rows)]) + "\n"
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode())
    out = _score(path)
    assert [r["id"] for r in out] == [r[0] for r in rows]
    assert [r["row"] for r in out] == [str(i) for i in range(1, 9)]
    assert out[6]["status"] == "error"
    line = text[: text.index('"oops')].count("\n") + text[: text.index('"oops')].count("\r") + 1
    assert f"in.csv:{line}:" in out[6]["error"]


def test_crs_that_end_whole_records_still_end_them(tmp_path: Path) -> None:
    """Old Mac line ends (CR alone) after a blank CR line, and a record cut by two CRs before them: each
    CR-ended line that is a whole record stays one."""
    rows = _records(8, 10)
    rows[1][5] = "a\r\rb"
    text = HEADER + "\n" + "\n".join(",".join(r) for r in rows[:4]) + "\n\r" + "\r".join(",".join(r) for r in rows[4:]) + "\r"
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode())
    out = _score(path)
    assert [r["id"] for r in out] == [r[0] for r in rows]
    assert all(r["status"] == "ok" for r in out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(2, 12), st.integers(0, 10**6), st.data())
def test_one_row_per_record_with_several_crs_anywhere(tmp_path: Path, n: int, seed: int, data: st.DataObject) -> None:
    """Runs of one to three CRs alone put inside any cells but the id, of any records, in unquoted cells
    or in quoted ones (which may also hold the delimiter, a line feed or a doubled quote), beside other
    quoted cells: one output row per record, each its own, in order."""
    rng = random.Random(seed)
    rows = _records(n, seed)
    cells = [[_quoted(rng, cell, c == 5) if c and rng.random() < 0.2 else cell for c, cell in enumerate(row)] for row in rows]
    for i in data.draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n), label="records"):
        for c in data.draw(st.sets(st.integers(1, 5), min_size=1, max_size=2), label="cells"):
            crs = "\r" * data.draw(st.integers(1, 3), label="crs")
            if c == 5 and data.draw(st.booleans(), label="quoted"):
                cells[i][c] = '"' + crs + rows[i][c].replace('"', '""') + ', ""so"" it goes"'
                continue
            text = cells[i][c] if not cells[i][c].startswith('"') else rows[i][c]
            text = text or "x"
            cut = data.draw(st.integers(0, len(text)), label="cut")
            cells[i][c] = text[:cut] + crs + text[cut:]
    end = data.draw(st.sampled_from(["\n", "\r\n"]), label="end")
    body = end.join(",".join(r) for r in cells)
    path = tmp_path / "in.csv"
    path.write_bytes((HEADER + end + body + end).encode())
    out = _score(path)
    assert [r["id"] for r in out] == [r[0] for r in rows], (body, out)
    assert [r["row"] for r in out] == [str(i) for i in range(1, n + 1)]
