"""Tails made in columns (batch.columnar._Conclusion): for any results of the skip rules, warning signs,
criteria and outcome conditions, the output line after the id is the one the record scorer renders for
that fingerprint, byte for byte, and the records are counted under the same status, level and ignored
answers; a batch of very varied answers read so writes what the exact reader writes."""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyarrow")
np = pytest.importorskip("numpy")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from stm_screen.batch import columnar, runner  # noqa: E402
from stm_screen.batch.output import CsvWriter  # noqa: E402
from stm_screen.batch.scoring import IGNORED, RecordScorer, module_fields  # noqa: E402
from tests.test_batch_columnar import RULESET, run  # noqa: E402
from tests.test_batch_derived import _scorer  # noqa: E402


def _fingerprint(gates: int, vals: list[int]) -> tuple[Any, ...]:
    """The record scorer's fingerprint from a row of codes (as Columnar._fingerprint, no items)."""
    return (*(bool(v) for v in vals[:gates]), *(columnar._RESULT[v] for v in vals[gates:]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 1 << 30), rows=st.integers(1, 300), mostly=st.sampled_from([0, 1, 2, None]))
def test_tails_made_in_columns_are_the_scorers(seed: int, rows: int, mostly: int | None) -> None:
    """Three blocks in a row through one conclusion (the later ones take the cells of small keys seen
    before from its memory), each against a fresh scorer's outcomes, record counts included."""
    rs = _scorer()
    c = columnar._Conclusion.of(rs)
    assert c is not None  # the bundled rules allow it (plain ids, outcomes concluded from fingerprints)
    width = rs._fp_covers.stop  # skip rules, warning signs, criteria, outcomes, audience, covers (no items)
    assert width == c.gates + c.nf + c.nc + c.nw + len(c.covers) + len(RULESET.audience)
    rng = np.random.default_rng(seed)
    writer = CsvWriter(io.StringIO(), with_file=False, extra=module_fields(RULESET))
    expected: dict[tuple[str, str], int] = {}
    fresh = _scorer()
    for _block in range(3):
        mat = rng.integers(0, 3, size=(rows, width), dtype=np.int64)
        if mostly is not None:  # most conditions alike (few warning signs fired, say), as real answers are
            mat = np.where(rng.random((rows, width)) < 0.8, mostly, mat)
        mat[:, : c.gates] = np.minimum(mat[:, : c.gates], 1)  # a skip rule's part is yes or no
        counts = rng.integers(1, 5, size=rows)
        made = c.tails(mat, counts, rs, lambda vals: _fingerprint(c.gates, vals), writer)
        assert made is not None
        tails, small = made
        assert len(tails) == rows and 1 <= small <= rows
        for r in range(rows):
            out = fresh.from_fingerprint(_fingerprint(c.gates, mat[r].tolist()))
            writer.render(out)
            assert tails[r].as_py() == out.tail, (r, mat[r].tolist())
            key = (out.status, out.level)
            expected[key] = expected.get(key, 0) + int(counts[r])
            for qid in out.ignored:
                expected[(IGNORED, qid)] = expected.get((IGNORED, qid), 0) + int(counts[r])
    assert rs.tally() == expected


def test_rules_without_it() -> None:
    """Rules whose outcomes are not concluded from fingerprints (instrument items) keep one outcome per
    group."""
    rs = _scorer()
    assert columnar.concludes(rs)
    rs._derive = False
    assert not columnar.concludes(rs)
    assert isinstance(rs, RecordScorer)


@pytest.mark.parametrize("junk", [False, True])
def test_very_varied_answers_read_in_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, junk: bool) -> None:
    """Coin-toss answers (with blanks, 'not sure' and invalid cells when ``junk``) are read in columns, their
    tails made so: the same bytes, counts, first bad records and notes as the exact reader."""
    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    import gen_records

    path = tmp_path / "records.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        gen_records.write(runner.CALIBRATION_ROWS + 3000, out, varied=True)
    if junk:
        rng = random.Random(7)
        lines = path.read_text(encoding="utf-8").split("\n")
        for i in range(1, len(lines) - 1):
            cells = lines[i].split(",")
            k = rng.randrange(5, len(cells))
            if '"' not in lines[i]:
                cells[k] = rng.choice(["", "not sure", "maybe", "unsure", "11"])
                lines[i] = ",".join(cells)
        path.write_text("\n".join(lines), encoding="utf-8")
    with monkeypatch.context() as m:
        m.setenv(columnar.SWITCH, "0")
        exact = run(path, tmp_path / "exact.csv")
    made: list[bool] = []
    real = columnar.Columnar._concluded

    def spied(obj: columnar.Columnar, groups: Any, counts: Any) -> Any:
        out = real(obj, groups, counts)
        made.append(out is not None)
        return out

    with monkeypatch.context() as m:
        m.setenv(columnar.SWITCH, "1")
        m.setattr(columnar, "BLOCK_BYTES", 64 << 10)
        m.setattr(columnar.Columnar, "_concluded", spied)
        fast = run(path, tmp_path / "fast.csv")
    assert fast == exact
    assert made and all(made), made
