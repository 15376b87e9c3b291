"""Row numbers far apart in a sheet (issue 10, bounded work: found by an adversarial review).

A 5 KB workbook with one empty row numbered 50,000,000 took 15 to 70 seconds: openpyxl's ``iter_rows``
makes an empty row for every number skipped, and the calamine path handed on one blank row per number
too. Rows with no value are not records; the readers now hand on only the rows the sheet's XML writes, so
the work follows the size of the file, not the numbers written in it. (Checked by counting the rows the
reader hands on, never by timing.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.batch import readers
from stm_screen.cli.app import app
from tests._xlsx import SHEET, rewrite, with_rows

cli = CliRunner()
FAR = 5_000_000  # (50,000,000 in the review; this is enough to tell one row per number from none)


def _c(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _book(tmp_path: Path, rows_xml: str) -> Path:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    base = tmp_path / "base.xlsx"
    Workbook().save(base)
    return rewrite(
        base, tmp_path / "gaps.xlsx", lambda part, data: with_rows(data, rows_xml.encode()) if part == SHEET else data
    )


def _rows(header: bool = True) -> list[str]:
    out = ['<row r="1">' + _c("A1", "id") + _c("B1", "night_pain") + "</row>"] if header else []
    return out + ['<row r="2">' + _c("A2", "P1") + _c("B2", "yes") + "</row>"]


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize(
    "tail",
    [
        f'<row r="{FAR}"/>',  # an empty row far on (the review's workbook)
        f'<row r="{FAR}">' + _c(f"A{FAR}", "P2") + _c(f"B{FAR}", "no") + "</row>",  # a record far on
        f'<row r="{FAR}"><c r="B{FAR}"/></row>',  # a row of empty cells
    ],
)
def test_the_reader_hands_on_the_rows_written_not_every_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: str, exact: bool
) -> None:
    if exact:  # openpyxl reads the sheet (as for a workbook calamine would render otherwise)
        monkeypatch.setattr(readers, "_not_for_calamine", lambda data, shared=False: True)
    path = _book(tmp_path, "".join([*_rows(), tail]))
    src = readers.open_xlsx(str(path), path.stat().st_size, jobs=1)
    try:
        handed = [(src.line(), row) for row in src.rows]
    finally:
        src.close()
    assert len(handed) <= 3, handed[:5]
    assert handed[0] == (1, ["id", "night_pain"]) and handed[1] == (2, ["P1", "yes"])
    if "P2" in tail:
        assert handed[2] == (FAR, ["P2", "no"])


@pytest.mark.parametrize("exact", [False, True])
def test_a_record_far_on_is_scored_and_named_by_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exact: bool
) -> None:
    if exact:
        monkeypatch.setattr(readers, "_not_for_calamine", lambda data, shared=False: True)
    far = f'<row r="{FAR}">' + _c(f"A{FAR}", "P2") + _c(f"B{FAR}", "maybe") + "</row>"
    path = _book(tmp_path, "".join([*_rows(), far]))
    result = cli.invoke(app, ["batch", str(path), "--allow-missing"])
    lines = result.stdout.splitlines()
    assert len(lines) == 3, result.output  # the header and two records: the rows between are not records
    assert lines[1].startswith("1,P1,") and lines[2].startswith("2,P2,error,")
    assert "'maybe'" in lines[2]
