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
