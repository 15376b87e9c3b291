"""JSON records scored by the tables' compiled loop give, record by record, what the plain way gives and
what the same records give as CSV: with keys missing, extra keys, numbers, booleans, null and lists."""

from __future__ import annotations

import csv
import functools
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stm_screen.batch import runner
from stm_screen.batch.output import CsvWriter
from stm_screen.batch.readers import _flat_text
from stm_screen.batch.runner import Batch, BatchSettings


@functools.cache
def rules() -> Any:
    """The bundled rules (not the fixture: its repr is long, shown on every failure)."""
    from stm_screen.screening import load_rules

    return load_rules(None)


BOOLS = st.sampled_from(["yes", "no", "no", "no", "", "not sure", "maybe", True, False, None, 1, 0])
NUMBERS = st.sampled_from(["3", "7", "", "x", "4.0", "11", 5, 2.5, 4.0, -1, None, True])
AREAS = st.sampled_from(["low_back", "neck", "knees,mid_back", "", None, ["low_back", "neck"], [], 3])
OTHER = st.sampled_from(["better", "worse", "same", "", "sideways", None, 12, ["better"], False])
EXTRA = st.sampled_from(["note", "clinic", "timestamp"])


def _value(q: Any) -> st.SearchStrategy[Any]:
    if q.type == "boolean":
        return BOOLS
    if q.type in ("integer", "number"):
        return NUMBERS
    if q.type == "multi_choice":
        return AREAS
    return OTHER


@st.composite
def record_files(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Records of a few shapes (which questions they answer, in which order, with which extra keys), the
    shapes' runs interleaved: long enough runs for the compiled loop, and shapes that come back."""
    questions = list(rules().questions)
    shapes = []
    for _ in range(draw(st.integers(1, 3))):
        kept = [q for q in questions if draw(st.booleans()) or q.safety]
        order = draw(st.permutations(kept))
        extra = draw(st.lists(EXTRA, unique=True, max_size=2))
        shapes.append((order, extra))
    out: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 4))):
        order, extra = shapes[draw(st.integers(0, len(shapes) - 1))]
        for _ in range(draw(st.integers(1, 12))):
            rec: dict[str, Any] = {
                "id": draw(st.sampled_from([f"r{len(out)}", len(out), [f"r{len(out)}"], None]))
            }
            for q in order:
                rec[q.id] = draw(_value(q))
            for name in extra:
                rec[name] = draw(st.sampled_from(["a", "", None, 1, {"x": 1}]))
            out.append(rec)
    return out


def _score(path: Path, **kw: Any) -> str:
    buf = io.StringIO()
    Batch(rules(), None, BatchSettings(**kw)).run(str(path), CsvWriter(buf, with_file=False))
    return buf.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=record_files())
def test_compiled_records_equal_plain_and_csv(
    records: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    monkeypatch.setattr(runner, "COMPILE_AFTER", 3)
    got = _score(path, allow_missing=True)
    monkeypatch.setattr(runner, "COMPILE_AFTER", 10**9)  # never compiled: each record the plain way
    assert got == _score(path, allow_missing=True)
    rows = list(csv.reader(io.StringIO(got)))[1:]
    assert [int(r[0]) for r in rows] == list(range(1, len(records) + 1))
    # the same records as CSV (one file per shape; lists have no CSV form): the same outcome each
    shapes: dict[tuple[str, ...], list[int]] = {}
    for i, rec in enumerate(records):
        if not any(isinstance(v, list) for v in rec.values()):
            shapes.setdefault(tuple(rec), []).append(i)
    for n, (keys, which) in enumerate(shapes.items()):
        table = tmp_path / f"shape{n}.csv"
        with table.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([keys, *([_flat_text(records[i][k]) for k in keys] for i in which)])
        as_csv = list(csv.reader(io.StringIO(_score(table, allow_missing=True))))[1:]
        assert len(as_csv) == len(which)
        for i, row in zip(which, as_csv, strict=True):
            assert rows[i][1:] == row[1:], (records[i], rows[i], row)
