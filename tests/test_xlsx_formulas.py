"""A workbook cell holding a formula whose value was never computed (issue 10): a program (openpyxl,
a script) wrote the formula but no spreadsheet ever computed it, so the cell holds no answer. Both readers
read such a cell as blank: a safety question's 'yes' would have read as 'not answered', and a yes/no or
0/1 column could be taken as something else. Its record is an error row naming the cell, with either
reader (calamine, or openpyxl where it takes over), in a part scored by a helper too; in the header,
nothing is scored. A formula that gives an empty text (written with an empty value and t="str", as
spreadsheets write it) is a computed value: a blank answer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stm_screen.batch import readers, runner
from tests._xlsx import edit_sheet
from tests.batch_helpers import invoke, records, rows
from tests.test_batch_parallel import both, rules
from tests.test_xlsx_parts import workbook

HEADER = list(records.HEADER)
COLUMN = HEADER.index("self_harm_thoughts")  # a safety question
LETTER = "".join(chr(65 + d) for d in (COLUMN // 26 - 1, COLUMN % 26) if d >= 0)  # (its column, 'AF')

# the cell's XML, written for the cell at {r}
NOT_COMPUTED = {
    "empty-value": '<c r="{r}"><f>1+1</f><v></v></c>',
    "no-value": '<c r="{r}"><f>1+1</f></c>',
    "value-closed": '<c r="{r}"><f>1+1</f><v/></c>',
    "value-closed-spaced": '<c r="{r}"><f>1+1</f><v /></c>',  # (as openpyxl saves one)
    "blank-value": '<c r="{r}"><f>1+1</f><v> </v></c>',
    "boolean": '<c r="{r}" t="b"><f>TRUE()</f><v></v></c>',
    "text-without-value": '<c r="{r}" t="str"><f>A1</f></c>',
    "shared-formula": '<c r="{r}"><f t="shared" si="0"/></c>',
    "error": '<c r="{r}" t="e"><f>1/0</f><v></v></c>',
    "number-marked": '<c r="{r}" t="n" s="0"><f>A1</f></c>',
}


def _sheet(path: Path, cell: str | None, at: int = 3, exact: bool = False, n: int = 5) -> Path:
    """``n`` records of the bundled questions; the self-harm cell of sheet row ``at`` (row 1 is the header)
    written as ``cell`` (a key of NOT_COMPUTED, or XML); ``exact``: a cell calamine reads otherwise (an
    _xHHHH_ escape), so that openpyxl reads the sheet."""
    import random

    from openpyxl import Workbook  # type: ignore[import-untyped]

    rng = random.Random(5)
    wb = Workbook()
    wb.active.append(HEADER)
    for i in range(n):
        row = records.record(i, rng)
        if exact and i == n - 1:
            row[0] += "_x0041_"
        wb.active.append([c or None for c in row])
    wb.save(path)
    if cell is not None:
        ref = f"{LETTER}{at}".encode()
        xml = NOT_COMPUTED.get(cell, cell).replace("{r}", ref.decode()).encode()
        edit_sheet(path, rb'<c r="' + ref + rb'"[^>]*?(?:/>|>.*?</c>)', xml)
    return path


def _run(path: Path) -> tuple[int, list[dict[str, str]], str]:
    r = invoke(str(path), "--jobs", "1")
    assert "Traceback" not in r.stdout + r.stderr
    return r.exit_code, rows(r.stdout), r.stderr


@pytest.mark.parametrize("exact", [False, True], ids=["calamine", "openpyxl"])
@pytest.mark.parametrize("cell", sorted(NOT_COMPUTED))
def test_a_formula_never_computed_is_its_records_error_row(tmp_path: Path, cell: str, exact: bool) -> None:
    path = _sheet(tmp_path / "f.xlsx", cell, exact=exact)
    code, out, _err = _run(path)
    _, plain, _ = _run(_sheet(tmp_path / "plain.xlsx", None, exact=exact))
    assert code == 1
    assert [o["id"] for o in out] == [o["id"] for o in plain]  # the record keeps its id
    assert [o["status"] == "error" for o in out] == [k == 1 for k in range(5)]
    assert out[1]["error"] == (
        f"{path}:3: the cell {LETTER}3 holds a formula whose value was never computed (the workbook was written "
        "by a program, not saved by a spreadsheet); open and save it in a spreadsheet, then try again"
    )
    assert out[:1] + out[2:] == plain[:1] + plain[2:]


def _stripped(row: list[str]) -> list[str]:
    """A row's cells (an error row's: those kept for its id), spaces aside (calamine keeps a value of
    spaces, which openpyxl cannot read as a number: the cell is not computed either way)."""
    return [cell.strip() for cell in getattr(row, "cells", row)]


@pytest.mark.parametrize("exact", [False, True], ids=["calamine", "openpyxl"])
def test_the_readers_agree_on_every_formula_cell(tmp_path: Path, exact: bool) -> None:
    """Each kind of cell in a row of its own, a few in one row: the same rows from either reader."""
    state = {"row": 0}
    for k, cell in enumerate(sorted(NOT_COMPUTED)):
        path = _sheet(tmp_path / f"f{k}.xlsx", cell, at=2 + k % 5, exact=exact)
        src = readers.open_source(str(path))
        try:
            fast = [(type(r).__name__, getattr(r, "message", ""), _stripped(r)) for r in src.rows]
        finally:
            src.close()
        exact_rows = [
            (type(r).__name__, getattr(r, "message", ""), _stripped(r))
            for r in readers._exact_rows(str(path), "xl/worksheets/sheet1.xml", state)
        ]
        while exact_rows and not exact_rows[-1][2]:
            exact_rows.pop()
        assert fast == exact_rows, cell
        assert [kind for kind, _m, _c in fast].count("LineError") == 1


@pytest.mark.parametrize("exact", [False, True], ids=["calamine", "openpyxl"])
@pytest.mark.parametrize(
    ("cell", "read"),
    [
        ('<c r="{r}" t="str"><f>""</f><v></v></c>', ""),  # an empty text, computed: a blank answer
        ('<c r="{r}" t="str"><f>"yes"</f><v>yes</v></c>', "yes"),  # computed: its value
        ('<c r="{r}"><f>0</f><v>0</v></c>', "0"),
        ('<c r="{r}" t="b"><f>TRUE()</f><v>1</v></c>', "true"),
    ],
    ids=["empty-text", "text", "number", "boolean"],
)
def test_a_computed_formula_is_read_as_its_value(tmp_path: Path, cell: str, read: str, exact: bool) -> None:
    path = _sheet(tmp_path / "f.xlsx", cell, exact=exact)
    _code, out, _err = _run(path)
    like = _sheet(tmp_path / "like.xlsx", f'<c r="{{r}}" t="inlineStr"><is><t>{read}</t></is></c>' if read else "<c r=\"{r}\"/>", exact=exact)
    _, same, _ = _run(like)
    assert out == same
    assert "never computed" not in str(out)


@pytest.mark.parametrize("exact", [False, True], ids=["calamine", "openpyxl"])
@pytest.mark.parametrize("where", ["a-row-of-nothing-else", "a-column-no-question-reads"])
def test_such_a_cell_anywhere_in_a_record_makes_it_an_error_row(tmp_path: Path, where: str, exact: bool) -> None:
    """A row holding nothing but such a formula is a record (not a blank row); one in a column that no
    question reads still stops its record (its other cells may be computed from it)."""
    path = _sheet(tmp_path / "f.xlsx", None, exact=exact)
    if where == "a-row-of-nothing-else":
        edit_sheet(path, rb'<row r="4"[^>]*>.*?</row>', b'<row r="4"><c r="B4"><f>A3*2</f><v></v></c></row>')
        cell = "B4"
    else:
        edit_sheet(path, rb"</row>", b'<c r="AZ1" t="inlineStr"><is><t>sum</t></is></c></row>')  # a header
        edit_sheet(path, rb'(<row r="4"[^>]*>.*?)</row>', rb'\1<c r="AZ4"><f>B4+1</f></c></row>')
        cell = "AZ4"
    _code, out, _err = _run(path)
    assert len(out) == 5 and [o["status"] == "error" for o in out] == [k == 2 for k in range(5)]
    assert f":4: the cell {cell} holds a formula whose value was never computed" in out[2]["error"]
    assert out[2]["id"] == ("" if where == "a-row-of-nothing-else" else out[2]["id"]) and out[2]["row"] == "3"


@pytest.mark.parametrize("exact", [False, True], ids=["calamine", "openpyxl"])
def test_such_a_cell_in_the_header_stops_the_run(tmp_path: Path, exact: bool) -> None:
    path = _sheet(tmp_path / "f.xlsx", None, exact=exact)
    edit_sheet(path, rb'<c r="C1"[^>]*>.*?</c>', b'<c r="C1" t="str"><f>"pain_" &amp; "areas"</f></c>')
    out = tmp_path / "out.csv"
    r = invoke(str(path), "-o", str(out))
    assert r.exit_code == 1 and not out.exists()
    assert f"{path}:1: the cell C1 holds a formula whose value was never computed" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parallel scoring is Linux only")
@pytest.mark.parametrize("row", [40, 350])  # in the first part, in a helper's
def test_in_a_sheet_scored_in_parts_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, row: int) -> None:
    """A large sheet scored in parts (a helper reads and scores the later slices): the same rows as one
    process, the record holding such a cell among them as an error row."""
    monkeypatch.setattr(readers, "SLICE_BYTES", 8192)
    monkeypatch.setattr(runner, "CALIBRATION_ROWS", 5)
    path = workbook(tmp_path / "big.xlsx", 400, edit=(rb'<c r="C%d"[^>]*?(?:/>|>.*?</c>)' % row, b'<c r="C%d"><f>1+1</f></c>' % row))
    one, many = both(rules(), [path], 2)
    assert one.records == [400] and one.error is None
    assert many.parts == [["first:handed", "part1:handed"]] if row == 40 else many.parts[0][0] == "first:handed"
    bad = [line for line in one.output.decode().splitlines() if ",error," in line and "never computed" in line]
    assert len(bad) == 1 and bad[0].startswith(f"{row - 1},") and f":{row}: the cell C{row} holds a formula" in bad[0]
