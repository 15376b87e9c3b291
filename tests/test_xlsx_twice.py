"""A sheet whose XML writes a row or a cell twice, or a row after a later one (issue 10: records accounted
for). No spreadsheet writes this; calamine keeps the last of two cells or rows and openpyxl drops a row
whose number is not past the one before, so an answer or a whole record would vanish without a word. The
workbook is refused with the row or cell named, exit 1 (an export that cannot be read), no output written,
on every path: calamine in this process, slices read by helpers, a sheet scored in parts, and openpyxl."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stm_screen.batch import readers, runner
from stm_screen.cli.app import app
from tests._xlsx import SHEET, rewrite, with_rows
from tests.test_batch_parallel import both, rules
from tests.test_workbooks import MINIMAL
from tests.test_xlsx_parts import workbook

cli = CliRunner()

HEADER = ["id", "months", "stiff", "areas", "neck_level", "fever"]
RECORDS = [["A1", "4", "yes", "back", "", "no"], ["A2", "1", "no", "neck", "2", "no"], ["A3", "5", "no", "back", "", "no"]]


def _c(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _row(r: int, cells: list[tuple[str, str]]) -> str:
    return f'<row r="{r}">' + "".join(_c(f"{col}{r}", v) for col, v in cells) + "</row>"


def _cells(values: list[str]) -> list[tuple[str, str]]:
    return [(chr(65 + i), v) for i, v in enumerate(values) if v]


def _book(tmp_path: Path, rows_xml: str, name: str = "book.xlsx") -> Path:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    base = tmp_path / "base.xlsx"
    Workbook().save(base)
    return rewrite(base, tmp_path / name, lambda part, data: with_rows(data, rows_xml.encode()) if part == SHEET else data)


def _plain() -> list[str]:
    return [_row(1, _cells(HEADER))] + [_row(r, _cells(rec)) for r, rec in enumerate(RECORDS, 2)]


def _batch(path: Path, tmp_path: Path, jobs: str) -> tuple[int, str, Path]:
    out = tmp_path / f"out-{jobs}.csv"
    r = cli.invoke(app, ["batch", str(path), "--rules", MINIMAL, "--jobs", jobs, "-o", str(out)])
    return r.exit_code, r.output, out


def test_a_plain_inline_sheet_is_read(tmp_path: Path) -> None:
    """The control: the same builder without a fault scores every record."""
    code, output, out = _batch(_book(tmp_path, "".join(_plain())), tmp_path, "1")
    assert code == 0, output
    assert [line.split(",")[1] for line in out.read_text(encoding="utf-8").splitlines()[1:]] == ["A1", "A2", "A3"]


ROW_FAULTS = {
    # the second record's row written again with another patient's answers (calamine kept the last)
    "twice": lambda rows: rows[:3] + [_row(3, _cells(["B9", "7", "no", "neck", "1", "no"]))] + rows[3:],
    # one record's cells split over two elements of one row number (calamine merged them)
    "split": lambda rows: rows[:2] + [_row(3, _cells(RECORDS[1])[:3]), _row(3, _cells(RECORDS[1])[3:])] + rows[3:],
    # the same, its number written with spaces and other attributes before it
    "spaced": lambda rows: rows[:3] + [_row(3, _cells(["B9", "7", "no"])).replace('<row r="3">', "<row spans='1:6'\n r = '3'>")] + rows[3:],
    # rows out of order (openpyxl drops a row whose number is not past the one before)
    "backwards": lambda rows: [rows[0], rows[3], rows[1], rows[2]],
}


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("fault", sorted(ROW_FAULTS))
def test_a_row_written_twice_or_out_of_order_is_refused_before_scoring(tmp_path: Path, fault: str, jobs: str) -> None:
    path = _book(tmp_path, "".join(ROW_FAULTS[fault](_plain())))
    code, output, out = _batch(path, tmp_path, jobs)
    assert code == 1, output
    assert "the sheet's XML writes row" in output and "the workbook is not read" in output
    assert "Traceback" not in output and "internal error" not in output
    assert not out.exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("where", [0, 1, 5])
def test_a_cell_written_twice_is_refused_with_its_reference(tmp_path: Path, where: int, jobs: str) -> None:
    rows = _plain()
    cells = _cells(RECORDS[1])
    doubled = cells[:where] + [("B", "9")] + cells[where:]  # B3 twice: '1' and '9', anywhere in the row
    rows[2] = _row(3, doubled)
    code, output, out = _batch(_book(tmp_path, "".join(rows)), tmp_path, jobs)
    assert code == 1, output
    assert "writes the cell B3 twice" in output
    assert not out.exists()


@pytest.mark.parametrize("written", ['<c t="inlineStr" r="B3">', '<c\n  r="B3" t="inlineStr">', "<c r='B3' t='inlineStr'>"])
def test_a_cell_written_twice_is_found_however_its_tag_is_written(tmp_path: Path, written: str) -> None:
    rows = _plain()
    rows[2] = rows[2].replace("</row>", f"{written}<is><t>9</t></is></c></row>")
    code, output, out = _batch(_book(tmp_path, "".join(rows)), tmp_path, "1")
    assert code == 1, output
    assert "writes the cell B3 twice" in output
    assert not out.exists()


# the second record's id written again in row 3 in ways spreadsheets never write a cell, each read by
# calamine and openpyxl as A3 (or, with no reference, as the column after the cell before)
CELL_SPELLINGS = {
    "leading zero": '<c r="A03" t="inlineStr"><is><t>Q7</t></is></c>',
    "lower case": '<c r="a3" t="inlineStr"><is><t>Q7</t></is></c>',
    "closing tag with a space": '<c r="A3" t="inlineStr"><is><t>Q7</t></is></c >',
}


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("spelling", sorted(CELL_SPELLINGS))
def test_a_cell_written_twice_in_any_spelling_is_refused(tmp_path: Path, spelling: str, jobs: str) -> None:
    rows = _plain()
    rows[2] = rows[2].replace("</row>", CELL_SPELLINGS[spelling] + "</row>")
    code, output, out = _batch(_book(tmp_path, "".join(rows)), tmp_path, jobs)
    assert code == 1, output
    assert "writes the cell A3 twice" in output
    assert not out.exists()


def test_a_cell_without_a_reference_then_the_same_cell_again_is_refused(tmp_path: Path) -> None:
    rows = _plain()
    rows[2] = '<row r="3"><c t="inlineStr"><is><t>Q7</t></is></c>' + rows[2][len('<row r="3">') :]
    code, output, out = _batch(_book(tmp_path, "".join(rows)), tmp_path, "1")
    assert code == 1, output
    assert "writes the cell A3 twice" in output


ROW_SPELLINGS = {
    "no number": lambda rows: rows[:2] + ["<row>" + rows[2][len('<row r="3">') :]] + rows[2:],
    "ten digits": lambda rows: rows[:3] + [rows[2].replace('<row r="3">', '<row r="0000000003">')] + rows[3:],
}


@pytest.mark.parametrize("spelling", sorted(ROW_SPELLINGS))
def test_a_row_written_twice_in_any_spelling_is_refused(tmp_path: Path, spelling: str) -> None:
    """A row without a number is the one after the row before (as both readers count it)."""
    code, output, out = _batch(_book(tmp_path, "".join(ROW_SPELLINGS[spelling](_plain()))), tmp_path, "1")
    assert code == 1, output
    assert "the sheet's XML writes row 3 again after row 3" in output
    assert not out.exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_row_or_cell_with_a_namespace_prefix_is_refused_before_scoring(tmp_path: Path, jobs: str) -> None:
    """One row written again as <x:row> (calamine reads it as row 3, over the first): a sheet naming rows
    or cells with a prefix is refused whole, with a message, before any row is scored."""
    rows = _plain()
    again = rows[2].replace("<row", "<x:row").replace("</row>", "</x:row>").replace("<c ", "<x:c ").replace("</c>", "</x:c>")
    code, output, out = _batch(_book(tmp_path, "".join([*rows[:3], again, *rows[3:]])), tmp_path, jobs)
    assert code == 1, output
    assert "names its rows with a namespace prefix" in output
    assert not out.exists()


def test_a_sheet_whose_rows_carry_a_namespace_prefix_is_said_not_called_empty(tmp_path: Path) -> None:
    """<x:sheetData>, <x:row>, <x:c>: valid XML that no spreadsheet writes. It was 'the file is empty'."""
    rows = "".join(_plain()).replace("<row", "<x:row").replace("</row>", "</x:row>").replace("<c ", "<x:c ").replace("</c>", "</x:c>")
    path = _book(tmp_path, rows)
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = parts[SHEET].replace(b"<sheetData>", b"<x:sheetData>").replace(b"</sheetData>", b"</x:sheetData>")
    sheet = sheet.replace(b"<worksheet ", b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ', 1)
    parts[SHEET] = sheet
    with zipfile.ZipFile(path, "w") as z:
        for part, data in parts.items():
            z.writestr(part, data)
    code, output, out = _batch(path, tmp_path, "1")
    assert code == 1, output
    assert "names its rows with a namespace prefix" in output and "empty" not in output


def test_a_cell_written_twice_is_refused_where_openpyxl_reads(tmp_path: Path) -> None:
    """An _xHHHH_ escape makes openpyxl read the sheet (calamine decodes it): the cell check runs there too."""
    rows = _plain()
    rows[1] = _row(2, _cells(["A_x0031_", "4", "yes", "back", "", "no"]) + [("C", "no")])
    code, output, out = _batch(_book(tmp_path, "".join(rows)), tmp_path, "1")
    assert code == 1, output
    assert "writes the cell C2 twice" in output
    assert not out.exists()


def test_cells_out_of_order_in_a_row_are_read_by_their_references(tmp_path: Path) -> None:
    """Cells written out of order, each once, lose nothing: they are read where their references put them."""
    rows = _plain()
    rows[2] = _row(3, list(reversed(_cells(RECORDS[1]))))
    code, output, out = _batch(_book(tmp_path, "".join(rows)), tmp_path, "1")
    assert code == 0, output
    plain_code, _, plain_out = _batch(_book(tmp_path, "".join(_plain()), "plain.xlsx"), tmp_path, "2")
    assert plain_code == 0
    assert out.read_bytes() == plain_out.read_bytes()


def test_values_that_read_as_blank_are_not_taken_for_cells_written_twice(tmp_path: Path) -> None:
    """An empty inline text and an empty value are written values that read as blank: the count of values
    differs from the cells read, the check cell by cell finds nothing written twice, and the sheet is read."""
    rows = _plain()
    rows[2] = rows[2].replace("</row>", '<c r="E3" t="inlineStr"><is><t></t></is></c><c r="G3"><v></v></c></row>')
    rows[2] = rows[2].replace(_c("E3", "2"), "")
    code, output, out = _batch(_book(tmp_path, "".join(rows)), tmp_path, "1")
    assert code == 0, output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4


# --- a large sheet: slices read by helpers, scored in parts ------------------------------------------------


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "SLICE_BYTES", 8192)
    monkeypatch.setattr(runner, "CALIBRATION_ROWS", 5)


def _doubled_cell(path: Path, row: int, into: int | None = None) -> Path:
    """The workbook with row ``row``'s first cell written a second time (another value) at the end of row
    ``into`` (its own row by default: in another row, the cell is written inside a row not its own)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    found = re.search(rb'<row r="%d"[^>]*>(<c r="A%d"[^>]*>.*?</c>).*?(</row>)' % (row, row), parts[SHEET])
    assert found is not None
    first = found.group(1)
    again = re.sub(rb"<v>[^<]*</v>", b"<v>12345</v>", first) if b"<v>" in first else first.replace(b"</t>", b"x</t>")
    end = found.start(2)
    if into is not None:
        target = re.search(rb'<row r="%d"[^>]*>.*?(</row>)' % into, parts[SHEET])
        assert target is not None
        end = target.start(1)
    parts[SHEET] = parts[SHEET][:end] + again + parts[SHEET][end:]
    out = path.with_name(f"twice-{row}-{into}.xlsx")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parallel scoring is Linux only")
@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize("row", [2, 150, 399])
def test_a_cell_written_twice_in_any_slice_stops_every_path_alike(
    tmp_path: Path, small_slices: None, jobs: int, row: int
) -> None:
    path = _doubled_cell(workbook(tmp_path / "big.xlsx", 400), row)
    one, many = both(rules(), [path], jobs)
    assert one.error is not None and f"writes the cell A{row} twice" in one.error
    assert many.error == one.error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parallel scoring is Linux only")
@given(st.integers(3, 399), st.sampled_from(["twice", "backwards"]))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_row_written_twice_anywhere_in_a_large_sheet_is_refused(
    tmp_path_factory: pytest.TempPathFactory, row: int, fault: str
) -> None:
    edit = (
        (rb'(<row r="%d"[^>]*>.*?</row>)' % row, rb"\1\1")
        if fault == "twice"
        else (rb'(<row r="%d")' % row, b'<row r="%d"' % (row - 2))
    )
    path = workbook(tmp_path_factory.mktemp("rows") / "rows.xlsx", 400, edit=edit)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(readers, "SLICE_BYTES", 8192)
        m.setattr(runner, "CALIBRATION_ROWS", 5)
        one, many = both(rules(), [path], 2)
    assert one.error is not None and "the sheet's XML writes row" in one.error
    assert many.error == one.error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parallel scoring is Linux only")
def test_a_cell_written_inside_a_row_of_another_slice_is_refused(tmp_path: Path, small_slices: None) -> None:
    """Row 3's first cell written again inside row 350, slices away: within one slice there is no second
    A3, but calamine would put it in row 3 (or hold every row between), and a record would lose its id."""
    path = _doubled_cell(workbook(tmp_path / "big.xlsx", 400), 3, into=350)
    one, many = both(rules(), [path], 2)
    assert one.error is not None and "writes the cell A3 inside row 350" in one.error
    assert many.error == one.error
