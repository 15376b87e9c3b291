"""Workbooks by content, whatever their name; hostile XML inside one is a clear message (issue 10, point 3)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from tests._xlsx import SHEET, rewrite, with_rows

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = str(ROOT / "tests" / "data" / "minimal.yaml")
runner = CliRunner()


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "months", "stiff", "areas", "neck_level", "fever"])
    ws.append(["A1", 4, "yes", "back", None, "no"])
    ws.append(["A2", 1, "no", "neck", 2, "no"])
    path = tmp_path / "w.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("name", ["w.csv", "w", "w.txt", "w.XLSX", "w.json"])
def test_a_workbook_is_read_whatever_its_name(workbook: Path, tmp_path: Path, name: str) -> None:
    other = tmp_path / name
    if other != workbook:
        shutil.copy(workbook, other)
    r = runner.invoke(app, ["batch", str(other), "--rules", MINIMAL])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1].startswith("1,A1,ok,")


def _rewrite(workbook: Path, out: Path, change: bytes, replace: tuple[bytes, bytes] | None = None) -> Path:
    def sheet(name: str, data: bytes) -> bytes:
        if name != SHEET:
            return data
        data = change + data if change else data
        return data.replace(*replace) if replace else data

    return rewrite(workbook, out, sheet)


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol;" if i == 1 else b"&lol%d;" % (i - 1)) * 10) for i in range(1, 10)
    )
    + b"]>"
)


@pytest.mark.parametrize(
    ("change", "replace", "message"),
    [
        (BOMB, (b"<v>4</v>", b"<v>&lol9;</v>"), "declares XML entities"),
        (b'<!doctype x SYSTEM "file:///etc/passwd">', None, "declares XML entities"),
        (b"", (b"<v>4</v>", b"<v>&undefined;</v>"), "cannot be read"),
        (b"", (b"</sheetData>", b"<row><c><v>1</c></row></sheetData>"), "cannot be read"),
    ],
    ids=["billion-laughs", "external-dtd", "undefined-entity", "broken-xml"],
)
def test_hostile_xml_is_a_clear_message(
    workbook: Path, tmp_path: Path, change: bytes, replace: tuple[bytes, bytes] | None, message: str
) -> None:
    bad = _rewrite(workbook, tmp_path / "bad.xlsx", change, replace)
    runs = [["batch", str(bad), "--rules", MINIMAL]]
    if "entities" in message:  # refused before anything is parsed, even the headers
        runs.append(["batch", str(bad), "--suggest-map"])
    for args in runs:
        r = runner.invoke(app, args)
        assert r.exit_code == 1, r.output
        assert message in r.stderr and "internal error" not in r.stderr


@pytest.mark.parametrize("doctype", [b"", BOMB], ids=["plain", "entity-bomb"])
@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_a_sheet_in_utf16_is_said_not_called_empty(workbook: Path, tmp_path: Path, codec: str, doctype: bytes) -> None:
    """A sheet's XML in UTF-16 or UTF-32 (with or without a byte-order mark; an entity bomb inside it too)
    read as UTF-8 looked empty ('the file is empty'): it is named for what it is, before anything is read."""
    with zipfile.ZipFile(workbook) as z:
        sheet = z.read(SHEET).decode("utf-8").replace("UTF-8", codec.upper()).replace("utf-8", codec)
    text = (doctype.decode() if doctype else "") + sheet
    bad = rewrite(workbook, tmp_path / "u16.xlsx", lambda name, part: text.encode(codec) if name == SHEET else part)
    for args in (["batch", str(bad), "--rules", MINIMAL], ["batch", str(bad), "--suggest-map"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 1, r.output
        assert "is XML in UTF-16 or UTF-32" in r.stderr and "empty" not in r.stderr



def _inline_workbook(tmp_path: Path, rows: list[list[str]]) -> Path:
    """A workbook whose sheet holds ``rows`` as inline strings (the cell's text in the row's own XML)."""
    from openpyxl import Workbook

    base = tmp_path / "base.xlsx"
    Workbook().save(base)
    data = "".join(
        f'<row r="{r}">'
        + "".join(f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for c, v in enumerate(row) if v)
        + "</row>"
        for r, row in enumerate(rows, 1)
    ).encode()
    return rewrite(base, tmp_path / "inline.xlsx", lambda name, part: with_rows(part, data) if name == SHEET else part)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_row_longer_than_any_real_row_is_refused_with_its_number(tmp_path: Path, jobs: str) -> None:
    """A row whose XML runs past 16 MB (a cell that runs on) is not held whole in memory: the workbook is
    refused before anything is scored, naming the row (issue 10, point 4: a limit that bounds the work)."""
    header = ["id", "months", "stiff", "areas", "neck_level", "fever"]
    path = _inline_workbook(
        tmp_path,
        [header, ["A1", "4", "yes", "back", "", "no"], ["A2", "1", "no", "neck", "2", "x" * (17 << 20)], ["A3", "1", "no", "neck", "2", "no"]],
    )
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["batch", str(path), "--rules", MINIMAL, "--jobs", jobs, "-o", str(out)])
    assert r.exit_code == 1, r.output  # an export that cannot be parsed (README, exit codes)
    assert f"{path}:3: a row of the sheet is longer than 16 MB" in r.output
    assert "Traceback" not in r.output
    assert not out.exists()


def test_a_long_row_under_the_limit_is_read(tmp_path: Path) -> None:
    header = ["id", "months", "stiff", "areas", "neck_level", "fever", "comment"]
    path = _inline_workbook(
        tmp_path,
        [header, ["A1", "4", "yes", "back", "", "no", "y" * (6 << 20)], ["A2", "1", "no", "neck", "2", "no", "short"]],
    )
    r = runner.invoke(app, ["batch", str(path), "--rules", MINIMAL])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1].startswith("1,A1,ok,")
    assert r.stdout.splitlines()[2].startswith("2,A2,ok,")


def test_many_empty_formatted_rows_after_the_data_are_not_one_long_row(tmp_path: Path) -> None:
    """Rows written as '<row r="N" ht="20" customHeight="1"/>' (formatting only, no '</row>') after the
    data, more than 16 MB of them: read as before, not refused as one row that runs on (found in review)."""
    header = ["id", "months", "stiff", "areas", "neck_level", "fever"]
    path = _inline_workbook(tmp_path, [header, ["A1", "4", "yes", "back", "", "no"]])
    empty = "".join(f'<row r="{r}" ht="20" customHeight="1"/>' for r in range(3, 450_000)).encode()
    path = rewrite(
        path, tmp_path / "empty-rows.xlsx",
        lambda name, part: part.replace(b"</sheetData>", empty + b"</sheetData>") if name == SHEET else part,
    )  # fmt: skip
    with zipfile.ZipFile(path) as z:
        assert z.getinfo(SHEET).file_size > 17 << 20
    r = runner.invoke(app, ["batch", str(path), "--rules", MINIMAL])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1].startswith("1,A1,ok,")



def _with_cell(path: Path, out: Path, old: bytes, new: bytes) -> Path:
    def change(name: str, part: bytes) -> bytes:
        if name != SHEET:
            return part
        assert old in part
        return part.replace(old, new, 1)

    return rewrite(path, out, change)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_cell_far_to_the_right_is_a_clear_message_not_an_abort(tmp_path: Path, jobs: str) -> None:
    """One cell at column ZZZZZZZ: calamine would hold every cell of the range (it asked for 260 GB and
    aborted the process, exit 134). openpyxl reads such a sheet, and says what it cannot read."""
    header = ["id", "months", "stiff", "areas", "neck_level", "fever"]
    path = _inline_workbook(tmp_path, [header, ["A1", "4", "yes", "back", "", "no"], ["A2", "1", "no", "neck", "2", "no"]])
    far = _with_cell(path, tmp_path / "far.xlsx", b'<c r="F3"', b'<c r="ZZZZZZZ3"')
    r = runner.invoke(app, ["batch", str(far), "--rules", MINIMAL, "--jobs", jobs])
    assert r.exit_code in (1, 2), r.output
    assert "cannot be read" in r.output and "Traceback" not in r.output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak memory read from /proc/self/status")
def test_a_cell_far_down_is_read_without_holding_the_rows_between(tmp_path: Path) -> None:
    """A record at row 1,048,576 (the last row a sheet has) after two others: calamine held a million rows
    of cells (1.7 GB); the sheet is now streamed (openpyxl), and the three records are scored."""
    header = ["id", "months", "stiff", "areas", "neck_level", "fever"]
    rows = [header, ["A1", "4", "yes", "back", "", "no"], ["A2", "1", "no", "neck", "2", "no"]]
    path = _inline_workbook(tmp_path, rows)
    last = "".join(f'<c r="{chr(65 + c)}1048576" t="inlineStr"><is><t>{v}</t></is></c>' for c, v in enumerate(rows[1]) if v)
    far = rewrite(
        path, tmp_path / "far-down.xlsx",
        lambda name, part: part.replace(b"</sheetData>", f'<row r="1048576">{last}</row></sheetData>'.encode()) if name == SHEET else part,
    )  # fmt: skip
    code = (
        "import re, sys; from stm_screen.cli.main import main; sys.argv = ['stm-screen', 'batch', "
        f"{str(far)!r}, '--rules', {MINIMAL!r}, '-o', {str(tmp_path / 'out.csv')!r}]\n"
        "code = None\ntry:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        # this process's own peak (VmHWM: ru_maxrss would count the pytest process it was forked from)
        "print(re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1), code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    peak_kb, exit_code = done.stdout.split()[-2:]
    assert exit_code in ("0", "None"), done.stderr
    assert int(peak_kb) < 300_000, peak_kb  # (1.7 GB before)
    lines = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[1] for line in lines[1:]] == ["A1", "A2", "A1"]


def test_other_sheets_and_a_hidden_first_sheet_are_said(tmp_path: Path) -> None:
    """Only the first sheet is read (README): records on other sheets are named on stderr, never skipped
    without a word; a hidden first sheet (read, though a spreadsheet shows another) is said too."""
    from openpyxl import Workbook

    header = ["id", "months", "stiff", "areas", "neck_level", "fever"]
    wb = Workbook()
    first = wb.active
    first.title = "Part 1"
    first.append(header)
    first.append(["A1", 4, "yes", "back", None, "no"])
    second = wb.create_sheet("Part\u202e 2")  # (a right-to-left override: escaped when said)
    second.append(header)
    second.append(["A2", 1, "no", "neck", 2, "no"])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    r = runner.invoke(app, ["batch", str(path), "--rules", MINIMAL])
    assert r.exit_code == 0, r.output
    assert "only the first sheet, 'Part 1', is read; records on the other sheets ('Part\\u202e 2')" in r.stderr
    assert "\u202e" not in r.stderr
    assert len(r.stdout.splitlines()) == 2  # the header and A1
    first.sheet_state = "hidden"
    wb.active = 1
    wb.save(path)
    r = runner.invoke(app, ["batch", str(path), "--rules", MINIMAL])
    assert "the first sheet, 'Part 1', is hidden in the spreadsheet; it is the sheet read" in r.stderr
    one = tmp_path / "one.xlsx"
    wb.remove(second)
    first.sheet_state = "visible"
    wb.save(one)
    r = runner.invoke(app, ["batch", str(one), "--rules", MINIMAL])
    assert r.exit_code == 0 and "only the first sheet" not in r.stderr and "is hidden" not in r.stderr
