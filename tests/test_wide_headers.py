"""A header wider than the limit is refused before it is parsed, and the message tells the truth about it
(issue 10, points 4 and 5): the count stops early, so it says "more than 10,000 columns", never the number
of columns counted before it stopped (a header of a million columns was said to have 10,949)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stm_screen.batch.readers import MAX_COLUMNS
from tests.batch_helpers import invoke


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("million.csv", ",".join(f"c{i}" for i in range(1_000_000)) + "\n"),
        ("million-empty.csv", "," * 1_000_000 + "\n"),
        ("million.tsv", "\t".join(f"c{i}" for i in range(1_000_000)) + "\n"),
        ("million-semicolon.csv", ";".join(f"c{i}" for i in range(1_000_000)) + "\n"),
        ("just-over.csv", ",".join(f"c{i}" for i in range(MAX_COLUMNS + 500)) + "\nA\n"),
        ("no-line-end.csv", ",".join(f"c{i}" for i in range(200_000))),
    ],
)
@pytest.mark.parametrize("suggest", [False, True])
def test_a_too_wide_header_is_said_to_have_more_than_the_limit(
    tmp_path: Path, name: str, text: str, suggest: bool
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    r = invoke(str(path), *(["--suggest-map"] if suggest else []))
    assert r.exit_code == 1, r.output
    assert f"the header has more than {MAX_COLUMNS:,} columns" in r.stderr, r.stderr
    counts = [int(n.replace(",", "")) for n in re.findall(r"(\d[\d,]*) columns", r.stderr)]
    assert counts == [MAX_COLUMNS], r.stderr  # no other number of columns is claimed


@pytest.mark.parametrize("at", [1, 2, 8])
def test_a_record_wider_than_the_limit_is_its_own_error_row_wherever_it_is(tmp_path: Path, at: int) -> None:
    """A record (not the header) past the column limit is an error row, also among the first rows read with
    the header: it refused the whole file as "a header row" there (a stray cell at XFD2 in a workbook, say)."""
    records = [f"P{i},no" for i in range(1, 10)]
    records[at - 1] += "," * (MAX_COLUMNS + 100) + "x"
    path = tmp_path / "wide.csv"
    path.write_text("id,night_pain\n" + "\n".join(records) + "\n", encoding="utf-8")
    r = invoke(str(path), "--allow-missing")
    rows = r.stdout.splitlines()[1:]
    assert len(rows) == 9, r.output
    assert rows[at - 1].startswith(f"{at},P{at},error,") and f"{MAX_COLUMNS + 102:,} cells" in rows[at - 1]
    assert all(",error," not in row for i, row in enumerate(rows) if i != at - 1)
