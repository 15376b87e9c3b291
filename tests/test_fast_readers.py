"""The fast readers (calamine for workbooks, orjson for JSON) give what the exact ones (openpyxl, the standard
library's json) gave: the same rows, values and line numbers, the same error rows and messages, on the
fixtures and on hostile inputs (issue 15). Golden comparisons of the two readers, never timings.
"""

from __future__ import annotations

import datetime
import json
import random
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stm_screen.batch import readers
from tests._xlsx import SHEET, with_rows
from tests.batch_helpers import BATCH, invoke
from tests.test_batch_qa import ANSWERS, QIDS, RECORD

# --- workbooks --------------------------------------------------------------------------------------------


def _save(rows: list[list[Any]], path: Path, formats: dict[int, str] | None = None) -> Path:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for col, fmt in (formats or {}).items():
        for r in range(2, len(rows) + 1):
            ws.cell(r, col).number_format = fmt
    wb.save(path)
    return path


def _edit(path: Path, out: Path, *changes: tuple[bytes, bytes]) -> Path:
    """The workbook with its sheet's XML changed (each change: a regular expression, its replacement)."""
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        for item in z.infolist():
            data = z.read(item.filename)
            if item.filename == SHEET:
                for pattern, repl in changes:
                    data = re.sub(pattern, repl, data)
            w.writestr(item.filename, data)
    return out


class Spy:
    """Counts how often the exact reader (openpyxl) was asked to read, and from which row."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[int] = []

        def spy(name: str, state: dict[str, int], min_row: int = 1) -> Any:
            self.calls.append(min_row)
            return EXACT_ROWS(name, state, min_row)

        monkeypatch.setattr(readers, "_openpyxl_rows", spy)


def _fast(path: Path, jobs: int = 1) -> list[tuple[int, list[str]]]:
    src = readers.open_xlsx(str(path), path.stat().st_size, jobs)
    try:
        return [(src.line(), row) for row in src.rows]
    finally:
        src.close()


EXACT_ROWS = readers._openpyxl_rows  # the exact reader, even while a test spies on it


def _exact(path: Path) -> list[tuple[int, list[str]]]:
    state = {"row": 0}
    return [(state["row"], row) for row in EXACT_ROWS(str(path), state)]


def _blank_trimmed(rows: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """Blank rows after the last row holding a value (openpyxl gives those up to its <dimension>; they are
    not records either way)."""
    while rows and not rows[-1][1]:
        rows.pop()
    return rows


ODD_TEXTS = [
    "a & b",
    " lead",
    "trail ",
    "tab\tin",
    "two\nlines",
    "quote\"'",
    "é ü 中 🙂",
    "<x>",
    "=not a formula",
    "",
]


def test_an_ordinary_workbook_is_read_by_calamine_exactly_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: list[list[Any]] = [
        [None, None, None],
        ["id", "months", "when", "at", "ok", "share", "note", "formula", None, "last"],
        ["A1", 4, datetime.datetime(2024, 1, 5), datetime.time(12, 30), True, 0.25, "x", "=1+1"],
        ["A2", 1.5, datetime.datetime(2024, 1, 5, 10, 4, 59), datetime.time(0, 0), False, 1, None, None],
        [],
        [None, 9007199254740991, datetime.date(1900, 3, 1), None, None, 3.25, *ODD_TEXTS[:3]],
        ["A4", 1e-7, None, None, None, 123456.789, *ODD_TEXTS[3:]],
        ["A5", 0, None, None, None, 0.0, None, None, None, "end"],
    ]
    path = _save(rows, tmp_path / "w.xlsx", {3: "yyyy-mm-dd", 4: "h:mm", 6: "0%"})
    spy = Spy(monkeypatch)
    got = _fast(path)
    assert spy.calls == []  # calamine read it all
    assert _blank_trimmed(got) == _blank_trimmed(_exact(path))
    # row 3's formula was saved by openpyxl without a value: its record is an error row in both readers
    # (row 1: no value), its cells kept for its id
    assert got[1] == (3, []) and type(got[1][1]) is readers.LineError
    assert "the cell H3 holds a formula whose value was never computed" in got[1][1].message
    assert got[1][1].cells == ["A1", "4", "2024-01-05 00:00:00", "12:30:00", "true", "0.25", "x"]
    assert [(n, type(row), getattr(row, "message", "")) for n, row in got] == [
        (n, type(row), getattr(row, "message", "")) for n, row in _blank_trimmed(_exact(path))
    ]
    assert got[2] == (4, ["A2", "1.5", "2024-01-05 10:04:59", "00:00:00", "false", "1"])


@pytest.mark.parametrize("seed", [1, 2])
def test_number_formats_read_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Numbers under many number formats (dates, times, percents, fractions, text, locale codes), as a
    spreadsheet stores them: whole seconds for dates and times."""
    formats = [
        "General", "0", "0.00", "0%", "yyyy-mm-dd", "d/m/yyyy", "m/d/yy h:mm", "h:mm", "h:mm:ss", "mm:ss",
        "yyyy-mm-dd hh:mm:ss", "dd-mmm-yy", "# ?/?", "0.00E+00", "@", "[$-409]mmmm d, yyyy", "dddd",
        "h AM/PM", '"Date:" yyyy-mm-dd', "[Red]0.00", "mmm-yy", "0;[Red]-0", "yy/mm/dd;@",
    ]  # fmt: skip
    rng = random.Random(seed)
    rows: list[list[Any]] = [["id", *(f"c{i}" for i in range(len(formats)))]]
    for r in range(150):
        row: list[Any] = [f"r{r}"]
        for _ in formats:
            pick = rng.random()
            if pick < 0.5:
                row.append(round(rng.uniform(0, 80000) * 86400) / 86400)
            elif pick < 0.7:
                row.append(rng.randint(0, 2_900_000))
            elif pick < 0.9:
                row.append(round(rng.uniform(0, 2) * 86400) / 86400)
            else:
                row.append(rng.choice([0, 1, 59, 60, 61, 0.5, 0.75, 45000.42017361111, 1 / 86400]))
        rows.append(row)
    path = _save(rows, tmp_path / "f.xlsx", {i + 2: fmt for i, fmt in enumerate(formats)})
    spy = Spy(monkeypatch)
    got = _fast(path)
    assert spy.calls == []
    assert got == _exact(path)


HOSTILE = {
    # a whole number beyond a float's precision (written by a program): openpyxl keeps its digits
    "long-number": [(rb"<v>7</v>", b"<v>12345678901234567890</v>")],
    # error cells: openpyxl reads '#N/A', calamine a blank
    "error-cell": [(rb'<c r="C3" t="n"><v>7</v></c>', b'<c r="C3" t="e"><v>#N/A</v></c>')],
    # Excel's escape of a carriage return: openpyxl leaves it as written
    "escape": [(rb"<t>b2</t>", b"<t>b_x000D_2</t>")],
    # edge spaces without xml:space="preserve": calamine trims them
    "edge-spaces": [(rb"<t>b2</t>", b"<t> b2 </t>")],
    # rows without their numbers
    "unnumbered-rows": [(rb'<row r="\d+"', b"<row")],
    # a negative number formatted as a time; a fraction of a second; a duration
    "negative-time": [(rb'<c r="D3" t="n"><v>[^<]*</v>', b'<c r="D3" s="1" t="n"><v>-0.25</v>')],
    "sub-second": [(rb'<c r="D3" t="n"><v>[^<]*</v>', b'<c r="D3" s="1" t="n"><v>0.50000578</v>')],
    "duration": [(rb'<c r="D3" t="n"><v>[^<]*</v>', b'<c r="D3" s="2" t="n"><v>1.25</v>')],
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_what_calamine_reads_otherwise_is_left_to_openpyxl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    rows: list[list[Any]] = [
        ["id", "a", "b", "c"],
        ["a1", "x", 5, 0.5],
        ["b2", "y", 7, 0.25],
        ["c3", "z", 9, 1],
    ]
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    ws["D2"].number_format = "h:mm:ss"  # style 1: a time; style 2: a duration
    ws["D4"].number_format = "[h]:mm:ss"
    base = tmp_path / "base.xlsx"
    wb.save(base)
    path = _edit(base, tmp_path / f"{case}.xlsx", *HOSTILE[case])
    assert zipfile.ZipFile(path).read(SHEET) != zipfile.ZipFile(base).read(SHEET)
    spy = Spy(monkeypatch)
    got = _fast(path)
    assert spy.calls, "openpyxl read it"
    assert got == _exact(path)


def test_a_long_workbook_in_many_slices_and_helpers_reads_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slices of a few rows each (read here and by helper processes), blank rows across slice ends, and a
    long whole number in a late slice, where openpyxl takes over at its row."""
    rows: list[list[Any]] = [["id", *QIDS]]
    for i in range(1, 400):
        cells: list[Any] = [f"p{i}", *ANSWERS]
        cells[1] = i % 120
        rows.append(cells if i % 37 else [])
    rows[350][3] = 12345678901234567890
    path = _save(rows, tmp_path / "long.xlsx")
    monkeypatch.setattr(readers, "SLICE_BYTES", 4096)
    exact = _exact(path)
    for jobs in (1, 0):
        spy = Spy(monkeypatch)
        assert _fast(path, jobs) == exact
        assert spy.calls == [351]  # openpyxl from the long number's row on
    plain = _save(rows[:300], tmp_path / "plain.xlsx")
    for jobs in (1, 0):
        spy = Spy(monkeypatch)
        assert _fast(plain, jobs) == _exact(plain)
        assert spy.calls == []


def test_a_workbook_is_scored_alike_through_either_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole command: a workbook's output is byte for byte that of the same data as CSV, and that of
    the exact reader (sliced small, so helpers read it)."""
    data = [["id", *QIDS]] + [[f"p{i}", *ANSWERS] for i in range(200)]
    data[50][2] = "not an area"  # an error row
    data[80][2] = ""  # a blank cell
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("\n".join(",".join(r) for r in data) + "\n", encoding="utf-8")
    xlsx = _save([[int(c) if c.isdigit() else c for c in r] for r in data], tmp_path / "in.xlsx")
    monkeypatch.setattr(readers, "SLICE_BYTES", 4096)
    fast = invoke(str(xlsx))
    assert "1 error" in fast.stderr and "internal error" not in fast.stderr
    assert fast.stdout == invoke(str(csv_path)).stdout
    monkeypatch.setattr(
        readers, "_calamine_rows", lambda book, state, jobs=0, parts=None: readers._openpyxl_rows(book.name, state)
    )
    exact = invoke(str(xlsx))
    assert (exact.exit_code, exact.stdout) == (fast.exit_code, fast.stdout)


def test_a_wrong_dimension_no_longer_cuts_the_sheet(tmp_path: Path) -> None:
    """openpyxl's streaming mode stopped at the sheet's <dimension> (a program may write 'A1'); both
    readers now read every row (a change: the old reader silently dropped the records)."""
    path = _save([["id", *QIDS], ["a1", *ANSWERS], ["b2", *ANSWERS]], tmp_path / "d.xlsx")
    bad = _edit(path, tmp_path / "dim.xlsx", (rb'<dimension ref="[^"]*"', b'<dimension ref="A1"'))
    got = _fast(bad)
    assert [row[0] for _, row in got] == ["id", "a1", "b2"]
    assert got == _exact(bad)


def _restored(path: Path, out: Path, how: int) -> Path:
    """The workbook with every part compressed ``how`` (zipfile.ZIP_STORED, ZIP_DEFLATED)."""
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(out, "w", how) as w:
        for item in z.infolist():
            w.writestr(item.filename, z.read(item.filename))
    return out


@pytest.mark.parametrize("how", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
@pytest.mark.parametrize("slice_bytes", [1024, 3000])
def test_the_index_gives_any_slice_as_a_read_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: int, slice_bytes: int
) -> None:
    """The pass before reading (readers._index_sheet) cuts the sheet as the reader cuts it: a helper that
    starts at any slice from the index gets the slices, and the rows before, that a read from the start
    gets (a row longer than a slice, a formula with no value, blank rows included)."""
    rows: list[list[Any]] = [["id", *QIDS]] + [[f"p{i}", *ANSWERS] if i % 29 else [] for i in range(1, 150)]
    rows[40][1] = "x" * 5000  # a row longer than a slice
    rows[90][2] = "=1+1"  # saved by openpyxl without a value
    path = _restored(_save(rows, tmp_path / "saved.xlsx"), tmp_path / "w.xlsx", how)
    monkeypatch.setattr(readers, "SLICE_BYTES", slice_bytes)
    book = readers._Book(str(path))
    assert book.sheet is not None
    found = readers._index_sheet(str(path), book.sheet[1], keep=True)
    assert found is not None
    uncached, book.index = found
    assert uncached and readers._scan_sheet(str(path), book.sheet[1], book.shared)[0]
    assert book.index is not None
    whole = list(readers._sheet_slices(str(path), book.sheet[1]))
    assert len(whole) == len(book.index.marks) > 5
    assert max(len(body) for _, body, _ in whole) > 5000
    before = 0
    for k, piece in enumerate(whole):
        assert book.index.rows[k] == before
        assert list(readers._slices_from(book, k)) == whole[k:]
        before += piece[1].count(b"</row>")
    assert before == sum(1 for row in rows if row)  # (openpyxl writes no element for an empty row)


def test_a_row_longer_than_a_slice_is_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row element longer than a slice: the slicer reads on to its end (it once read on forever)."""
    rows: list[list[Any]] = [["id", *QIDS]] + [[f"p{i}", *ANSWERS] for i in range(1, 30)]
    rows[12][1] = "y" * 20000
    path = _save(rows, tmp_path / "long-row.xlsx")
    monkeypatch.setattr(readers, "SLICE_BYTES", 1024)
    got = _fast(path)
    assert got == _exact(path)
    assert got[12][1][1] == "y" * 20000


def test_a_sheet_the_index_cannot_vouch_for_is_scanned_as_before(tmp_path: Path) -> None:
    """A sheet whose CRC is wrong (or a member neither stored nor deflated): no index, the scan as before."""
    path = _save([["id", *QIDS], ["a1", *ANSWERS]], tmp_path / "ok.xlsx")
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while data[at + 46 : at + 46 + len(SHEET)] != SHEET.encode():
        at = data.find(b"PK\x01\x02", at + 1)
    data[at + 16] ^= 0xFF  # the sheet's CRC in the central directory
    bad = tmp_path / "crc.xlsx"
    bad.write_bytes(bytes(data))
    assert readers._index_sheet(str(path), SHEET, keep=True) is not None
    assert readers._index_sheet(str(bad), SHEET, keep=True) is None


# Cells as a spreadsheet or a program writes them, one XML form each (``_sheet_of``): numbers (whole,
# fractional, long, in E notation), dates (style 1, a date format), booleans, shared and inline strings,
# empty cells (absent, or an element without a value), formulas with cached values, errors.
_TEXT = st.text(alphabet="ab _#&<>'\"é0-.E", max_size=6)
_CELL = st.one_of(
    st.tuples(st.just("n"), st.integers(-(10**6), 10**6).map(str)),
    st.tuples(st.just("n"), st.sampled_from(["0.5", "23.5", "-0.25", "1E-3", "2.50", "17.0", "1e5", "0"])),
    st.tuples(st.just("date"), st.sampled_from(["45000", "45000.5", "1", "60", "61", "0.75"])),
    st.tuples(st.just("b"), st.sampled_from(["0", "1"])),
    st.tuples(st.just("s"), _TEXT),
    st.tuples(st.just("inlineStr"), _TEXT),
    st.tuples(st.just("empty"), st.sampled_from(["", "<v></v>"])),
    st.tuples(st.just("formula"), st.sampled_from(["2", "0.5", "yes", "no"])),
    st.tuples(st.just("e"), st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!"])),
    st.tuples(st.just("none"), st.just("")),
)


def _sheet_of(rows: list[list[tuple[str, str]]], shared: list[str]) -> bytes:
    """The sheet data of ``rows`` (cells ``(kind, value)``); texts of kind 's' are added to ``shared``."""
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    out = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, (kind, value) in enumerate(row, start=1):
            ref = f'r="{get_column_letter(c)}{r}"'
            if kind == "none":
                continue
            if kind == "n":
                cells.append(f"<c {ref}><v>{value}</v></c>")
            elif kind == "date":
                cells.append(f'<c {ref} s="1"><v>{value}</v></c>')
            elif kind == "b":
                cells.append(f'<c {ref} t="b"><v>{value}</v></c>')
            elif kind == "s":
                shared.append(value)
                cells.append(f'<c {ref} t="s"><v>{len(shared) - 1}</v></c>')
            elif kind == "inlineStr":
                cells.append(f'<c {ref} t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            elif kind == "empty":
                cells.append(f"<c {ref}>{value}</c>" if value else f"<c {ref}/>")
            elif kind == "formula":
                kind_attr = "" if value[0].isdigit() else ' t="str"'
                cells.append(f"<c {ref}{kind_attr}><f>1+1</f><v>{value}</v></c>")
            else:
                cells.append(f'<c {ref} t="e"><f>NA()</f><v>{value}</v></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    return "".join(out).encode()


def _workbook_of(tmp_path: Path, rows: list[list[tuple[str, str]]]) -> Path:
    """A workbook (styles from openpyxl: style 1 a date) whose sheet holds exactly ``rows``."""
    from xml.sax.saxutils import escape

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"] = "x"
    ws["A2"] = datetime.datetime(2024, 1, 5)
    ws["A2"].number_format = "yyyy-mm-dd"
    base = tmp_path / "base.xlsx"
    wb.save(base)
    shared: list[str] = []
    data = _sheet_of(rows, shared)
    sst = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + "".join(f'<si><t xml:space="preserve">{escape(t)}</t></si>' for t in shared)
        + "</sst>"
    ).encode()
    path = tmp_path / "cells.xlsx"
    with zipfile.ZipFile(base) as z, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as w:
        for item in z.infolist():
            part = z.read(item.filename)
            if item.filename == SHEET:
                part = with_rows(part, data)
            elif item.filename == "[Content_Types].xml":
                part = part.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                part = part.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            if item.filename != "xl/sharedStrings.xml":  # openpyxl writes texts inline: the table is ours
                w.writestr(item.filename, part)
        w.writestr("xl/sharedStrings.xml", sst)
    return path


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.lists(_CELL, max_size=8), min_size=1, max_size=30), many=st.booleans())
def test_any_cells_read_alike(tmp_path_factory: pytest.TempPathFactory, rows: list[list[tuple[str, str]]], many: bool) -> None:
    """Every kind of cell, read by calamine here or (in slices of a few rows) by helper processes, reads as
    openpyxl reads it; cells calamine renders otherwise are left to openpyxl, as before."""
    path = _workbook_of(tmp_path_factory.mktemp("cells"), rows * (8 if many else 1))
    exact = _blank_trimmed(_exact(path))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(readers, "SLICE_BYTES", 1024)
        for jobs in (1, 0):
            assert _blank_trimmed(_fast(path, jobs)) == exact


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(st.text(alphabet="ab\x1e\x1f é", max_size=3), max_size=4), max_size=6))
def test_rows_sent_by_a_helper_arrive_as_read(rows: list[list[str]]) -> None:
    """A slice's rows, joined into one text by a helper, are split back as they were read (rows with no
    value are empty lists, cells never end a row blank); a cell holding a separator sends lists."""
    rows = [row[: len(row) - next((i for i, c in enumerate(reversed(row)) if c), len(row))] for row in rows]
    piece = readers._pack(readers._Slice(first=3, rows=[list(r) for r in rows]))
    if any("\x1e" in c or "\x1f" in c for r in rows for c in r):
        assert piece.rows == rows and piece.text is None
    got = readers._unpack(piece)
    assert (got.first, got.rows, got.text) == (3, rows, None)


# --- JSON -------------------------------------------------------------------------------------------------

ANSWER = json.dumps({"id": "a1", "night_pain": "no"})[1:-1]
TEXTS = [
    '{"a": 1, "a": 2}',
    '{"a":1,"b":{"c":1,"c":2}}',
    '{"a" :1, "a"  : 2}',
    '{"a\\":": 1, "b": "x\\":y"}',
    '{"t": "10:30", "u": "http://x", "a": 1, "a": 2}',
    '{"t": "10:30", "u": "http://x"}',
    '{"a": NaN, "b": Infinity, "c": -Infinity}',
    '{"a": 12345678901234567890}',
    '{"a": 18446744073709551615, "b": -9223372036854775808, "c": -9223372036854775809}',
    '{"a": ' + "9" * 5000 + "}",
    '{"a": 1e400, "b": -1e400, "c": 1e-400}',
    '{"a": 0.1, "b": 1.0, "c": -0.0, "d": 2.2250738585072011e-308, "e": 1E2}',
    '{"a": "\\ud800", "b": "\\u0000"}',
    "\ufeff{}",
    "{}",
    "[]",
    '[{"a": 1}, {"a": 1, "a": 2}]',
    '{"a": [1, [2, [3]]], "b": {"c": {"d": null}}}',
    "[" * 150 + "]" * 150,
    "[" * 250 + "]" * 250,
    "[" * 1010 + "]" * 1010,
    "[" * 5000 + "]" * 5000,
    '{"a":' * 300 + "1" + "}" * 300,
    '{"a": 1',
    '{"a": 1}}',
    '{"a": 01}',
    "nul",
    '"text"',
    "12",
    '{"a": "é", "b": "\\u00e9", "c": "🙂"}',
    "{" + ANSWER + ', "night_pain": "yes"}',
]


def _outcome(read: Any, text: str) -> tuple[str, Any, str]:
    try:
        value = read(text)
    except (ValueError, RecursionError) as exc:
        return type(exc).__name__, str(exc), ""
    return type(value).__name__, value, readers.find_twice(value) or ""


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_orjson_reads_as_the_exact_reader(text: str) -> None:
    assert _outcome(readers.loads, text) == _outcome(readers._loads, text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=4), kids, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values, spaced=st.booleans(), twice=st.booleans())
def test_any_json_reads_alike(value: Any, spaced: bool, twice: bool) -> None:
    text = json.dumps(value, separators=(", ", " : ") if spaced else (",", ":"))
    if twice and text.startswith("{") and len(text) > 2:
        text = text[:-1] + ', "k": 1, "k": 2}'
    assert _outcome(readers.loads, text) == _outcome(readers._loads, text)


@settings(max_examples=300, deadline=None)
@given(digits=st.from_regex(r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,20})?([eE][-+]?[0-9]{1,3})?", fullmatch=True))
def test_numbers_read_alike(digits: str) -> None:
    text = '{"n": ' + digits + "}"
    assert _outcome(readers.loads, text) == _outcome(readers._loads, text)


def _exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    """The readers as they were: the standard library's json for every record."""
    monkeypatch.setattr(readers, "loads", readers._loads)
    monkeypatch.setattr(readers, "_object_at", lambda buf, pos, tries=4: (None, -1))


def _hostile_records(deep: bool = True) -> list[str]:
    """Records as JSON texts; ``deep``: with one nested past what the reader takes (in an array, that
    stops the file: it is left out there)."""
    good = json.dumps(RECORD)
    return [
        good,
        good[:-1] + ', "night_pain": "yes"}',  # an answer given twice
        good.replace('"a1"', '"nan"').replace('"7"', "NaN"),
        good.replace('"7"', "12345678901234567890"),
        good.replace('"7"', "1e400"),
        good.replace('"7"', '{"x": ' * 300 + "1" + "}" * 300),
        *([good.replace('"7"', "[" * 1500 + "]" * 1500)] if deep else []),
        good.replace('"7"', '{"c": 1, "c": 2}'),
        good.replace('"a1"', '"a\\":\\"1"'),
        '{"id": "b", ',
        "[1, 2]",
        good.replace('"7"', "7"),
        good,
    ]


@pytest.mark.parametrize("shape", ["jsonl", "array", "array-pretty", "bom-jsonl", "bom-array"])
def test_hostile_records_give_the_same_rows_and_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    lines = _hostile_records(deep=shape.endswith("jsonl"))
    if shape.endswith("jsonl"):
        lines = [line for line in lines if line != '{"id": "b", ']  # (an array stops at a broken record)
        text = "\n".join(lines[:5] + [""] + lines[5:]) + "\n"
    else:
        lines = [line for line in lines if line != '{"id": "b", ']
        text = "[" + (",\n" if "pretty" in shape else ",").join(lines) + "]"
    if shape.startswith("bom"):
        text = "\ufeff" + text
    path = tmp_path / ("in.jsonl" if "jsonl" in shape else "in.json")
    path.write_text(text, encoding="utf-8")
    fast = invoke(str(path))
    _exactly(monkeypatch)
    exact = invoke(str(path))
    assert (fast.exit_code, fast.stdout, fast.stderr) == (exact.exit_code, exact.stdout, exact.stderr)
    assert "answered twice" in fast.stdout


def test_a_json_array_cut_anywhere_by_the_buffer_reads_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    records = [r for r in _hostile_records(deep=False) if not r.endswith(", ")]  # none cut short
    text = "[" + ",\n".join([*records, '{"a": {"b": {"c": "}"}}}']) + "]"
    for chunk in (7, 64, 1000, 1 << 20):
        fast = list(readers.iter_json_array(io.StringIO(text), "x", chunk))
        with monkeypatch.context() as m:
            _exactly(m)
            exact = list(readers.iter_json_array(io.StringIO(text), "x", chunk))
        assert [(type(f), f, readers.find_twice(f)) for f in fast] == [
            (type(e), e, readers.find_twice(e)) for e in exact
        ]


@pytest.mark.parametrize("name", ["redcap_api.json", "fhir_bundle.json", "fhir_responses.jsonl"])
def test_fixtures_read_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    path = tmp_path / name
    shutil.copy(BATCH / name, path)
    fast = invoke(str(path))
    _exactly(monkeypatch)
    exact = invoke(str(path))
    assert (fast.exit_code, fast.stdout, fast.stderr) == (exact.exit_code, exact.stdout, exact.stderr)
    assert fast.stdout.count("\n") > 2


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_bad_text_and_broken_files_say_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    good = json.dumps(RECORD)
    cases = {
        "latin1": (
            ("[" if suffix == ".json" else "") + good + ("," if suffix == ".json" else "") + "\n"
        ).encode()
        + good.replace("a1", "Jos\xe9").encode("latin-1")
        + (b"]" if suffix == ".json" else b"\n"),
        "broken": (
            ("[" + good + ",\n" + good[:-3]) if suffix == ".json" else (good + "\n" + good[:-3] + "\n")
        ).encode(),
        "object-twice": (b'{"resourceType": "Bundle", "entry": [], "entry": []}'),
        "deep": ('{"a": ' * 3000 + "1" + "}" * 3000).encode(),
    }
    for case, data in cases.items():
        path = tmp_path / f"{case}{suffix}"
        path.write_bytes(data)
        fast = invoke(str(path))
        with monkeypatch.context() as m:
            _exactly(m)
            exact = invoke(str(path))
        assert (fast.exit_code, fast.stdout, fast.stderr) == (exact.exit_code, exact.stdout, exact.stderr), (
            case
        )
