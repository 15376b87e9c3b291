"""A large sheet scored in parts (batch.parallel.run_xlsx: a forked helper reads and scores the later slices
of the sheet) gives exactly what one process gives: the same output bytes, counts, first bad records and
errors; a part that needs openpyxl, or that does not start at the record the part before ended at, is
redone by the main process (issue 15)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stm_screen.batch import readers, runner
from tests._xlsx import edit_sheet
from tests.test_batch_equivalence import random_rows
from tests.test_batch_parallel import both, rules

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parallel scoring is Linux only")



def _cell(text: str) -> object:
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def workbook(path: Path, n: int, seed: int = 1, *, edit: tuple[bytes, bytes] | None = None) -> Path:
    """``n`` records of random answers (numbers as numbers), the sheet's XML changed by ``edit``
    (a regular expression and its replacement, first match only)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    header, rows = random_rows(rules(), n, seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(header)
    for row in rows:
        ws.append([_cell(c) for c in row])
    wb.save(path)
    if edit is not None:
        edit_sheet(path, *edit)
    return path


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of a few rows each (so a sheet of some hundred records is many slices), a short sample."""
    monkeypatch.setattr(readers, "SLICE_BYTES", 8192)
    monkeypatch.setattr(runner, "CALIBRATION_ROWS", 5)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("jobs", [2, 3])
def test_a_plain_sheet_hands_every_part_over(tmp_path: Path, small_slices: None, jobs: int, fmt: str) -> None:
    path = workbook(tmp_path / "plain.xlsx", 400)
    one, many = both(rules(), [path], jobs, fmt)
    assert many.parts == [["first:handed", *(f"part{j}:handed" for j in range(1, jobs))]]
    assert one.records == [400]


def test_a_part_openpyxl_must_read_is_redone_here(tmp_path: Path, small_slices: None) -> None:
    """A whole number too long for a float in the helper's part: the main process reads that part (and
    openpyxl takes over at the number's row), as one process does."""
    path = workbook(
        tmp_path / "late.xlsx",
        400,
        edit=(rb'(<row r="350">.*?<v>)\d+(</v>)', rb"\g<1>12345678901234567890\2"),
    )
    one, many = both(rules(), [path], 2)
    assert many.parts == [["first:handed", "part1:redone"]]
    assert one.records == [400]


def test_openpyxl_in_the_first_part_reads_on_alone(tmp_path: Path, small_slices: None) -> None:
    path = workbook(
        tmp_path / "early.xlsx",
        400,
        edit=(rb'(<row r="60">.*?<v>)\d+(</v>)', rb"\g<1>12345678901234567890\2"),
    )
    one, many = both(rules(), [path], 2)
    assert many.parts == [["first:alone"]]
    assert one.records == [400]


def test_rows_without_values_before_a_part_make_it_redone(tmp_path: Path, small_slices: None) -> None:
    """A row element with no value (not a record) before the helper's part: its guess of the first record
    number is wrong, so the main process reads the part itself."""
    path = workbook(tmp_path / "blank.xlsx", 400, edit=(rb'<row r="30">.*?</row>', b'<row r="30"></row>'))
    one, many = both(rules(), [path], 2)
    assert many.parts == [["first:handed", "part1:redone"]]
    assert one.records == [399]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(1, 300),
    seed=st.integers(0, 50),
    slice_bytes=st.sampled_from([2048, 6000, 20000]),
    jobs=st.sampled_from([2, 3, 4]),
    blank=st.one_of(st.none(), st.integers(2, 300)),
)
def test_any_sheet_scores_alike_in_parts(
    tmp_path_factory: pytest.TempPathFactory,
    n: int,
    seed: int,
    slice_bytes: int,
    jobs: int,
    blank: int | None,
) -> None:
    """Random records (odd answers, errors), maybe a valueless row, any slice size: as one process."""
    edit = (
        None if blank is None or blank > n else (rb'<row r="%d">.*?</row>' % blank, b'<row r="%d"/>' % blank)
    )
    path = workbook(tmp_path_factory.mktemp("any") / "any.xlsx", n, seed, edit=edit)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(readers, "SLICE_BYTES", slice_bytes)
        m.setattr(runner, "CALIBRATION_ROWS", 5)
        one, many = both(rules(), [path], jobs)
    assert one.records == [n - (edit is not None)] or one.error is not None
