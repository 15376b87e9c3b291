"""A carriage return alone inside an unquoted cell, in a file whose lines end with a line feed (LF or CR LF),
is a line end to Python's reader (old Mac text pasted into a cell, a comment typed on a Mac): its record
came out as two rows, and every later row number shifted (issue 10, third review: 4 rows for 3 records).
The two halves are one record again when neither holds a quote, the second is not a record of its own,
and together they have the header's width; a CR alone that ends a whole record (a file joined from
several) still ends it. Files read ahead only (under 16 MB)."""

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
