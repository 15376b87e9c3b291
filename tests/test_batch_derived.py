"""Outcomes concluded from a record's fingerprint (``RecordScorer._derived``: the results of the conditions,
through ``Scorer.conclude``) are those of the per-record core scorer (``RecordScorer.evaluate`` on the
record's answers), field for field; and a batch run that concludes them so writes the same bytes and
counts as one that scores every distinct record (the exact reader and the columnar one).

Records are random: every answer drawn from valid values, blanks, 'not sure' (and spellings of it),
invalid texts, out-of-range numbers, and answers left where the skip logic does not ask the question."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from stm_screen.batch import columnar, runner, scoring  # noqa: E402
from stm_screen.batch.columns import Options, build_plan  # noqa: E402
from stm_screen.batch.output import CsvWriter  # noqa: E402
from stm_screen.batch.presets import PRESETS, Column  # noqa: E402
from stm_screen.batch.runner import Batch, BatchSettings  # noqa: E402
from stm_screen.batch.scoring import RecordScorer, module_fields  # noqa: E402
from stm_screen.core.answers import Answer  # noqa: E402
from stm_screen.screening import load_rules  # noqa: E402
from tests.batch_helpers import records as gen_records  # noqa: E402

RULESET = load_rules()
HEADER = list(gen_records.HEADER)
YESNO = ["yes", "no", "Yes", "NO", "y", "n", "true", "0", "1"]
OPEN = ["", "", "unsure", "not sure", " "]  # no answer, 'not sure'
BAD = ["maybe", "eleven", "-3", "999", "1e400", "4.5", "nan"]  # invalid or out of range somewhere
AREAS = list(gen_records.AREAS)


def _cells(column: str, rng: random.Random) -> str:
    """One cell: mostly plausible, sometimes blank, 'not sure', invalid or out of range."""
    odd = rng.random()
    if odd < 0.1:
        return rng.choice(OPEN)
    if odd < 0.11:
        return rng.choice(BAD)
    if column == "pain_duration_months":
        return rng.choice([str(rng.randint(0, 130)), f"{rng.randint(0, 24)}.5", "3", "2.9", "3.1"])
    if column == "pain_areas":
        return ",".join(rng.sample(AREAS, rng.randint(1, 3))) if rng.random() < 0.95 else "elbow"
    if column in ("pain_intensity", "activity_limitation"):
        return str(rng.randint(-1, 11))
    if column == "age_years":
        return str(rng.choice([rng.randint(10, 100), 11, 12, 49, 50, 60, 61]))
    if column == "pain_trend":
        return rng.choice(["better", "same", "worse", "sideways"])
    return rng.choice(YESNO) if rng.random() < 0.2 else rng.choice(["yes", "no"])


def make_rows(seed: int, n: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [[f"R{i}", *(_cells(c, rng) for c in HEADER[1:])] for i in range(n)]


def _scorer() -> RecordScorer:
    columns = [Column(i, h) for i, h in enumerate(HEADER)]
    return RecordScorer(RULESET, build_plan(columns, RULESET, PRESETS["plain"], None, Options(), "x"))


def _fields(out: scoring.Outcome) -> tuple[Any, ...]:
    return (out.json, out.csv, out.ignored, out.brief)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(1, 120))
def test_derived_outcome_is_the_scorers(seed: int, n: int) -> None:
    rs = _scorer()
    assert rs._derive  # the bundled rules: no item scores, no instruments
    fingerprint = rs._compile_fingerprint()
    checked = 0
    for row in make_rows(seed, n):
        toks = rs.tokens(rs.cells(row))
        if min(toks, default=0) < 0:
            continue  # an answer that cannot be read: an error outcome, no fingerprint
        same = rs.canonical(toks)
        values: dict[str, Answer] = {}
        for t, vals, tok in zip(rs.targets, rs._values, same, strict=True):
            if vals[tok] is not None:
                values[t.question.id] = vals[tok]
        assert _fields(rs._derived(fingerprint(same))) == _fields(rs.evaluate(values)), row
        checked += 1
    assert checked or n < 20  # most records hold no error


def _run(path: Path, out: Path) -> tuple[bytes, dict[Any, int]]:
    batch = Batch(RULESET, None, BatchSettings(jobs=1))
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = CsvWriter(handle, with_file=False, extra=module_fields(RULESET))
        writer.untranslated = True
        writer.start_file(str(path))
        batch.run(str(path), writer)
        writer.begin()
        writer.finish()
    return out.read_bytes(), dict(writer.counts)


def _write(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 100_000), n=st.integers(20, 400), fast=st.booleans())
def test_batch_same_bytes_as_the_per_record_scorer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, n: int, fast: bool
) -> None:
    path = tmp_path / "answers.csv"
    _write(path, make_rows(seed, n))
    with monkeypatch.context() as m:  # every distinct record by the core scorer, read exactly
        m.setenv(columnar.SWITCH, "0")
        m.setattr(scoring, "DERIVE", False)
        m.setattr(scoring, "FINGERPRINT_AFTER", 10**9)
        expected = _run(path, tmp_path / "expected.csv")
    with monkeypatch.context() as m:  # outcomes concluded from fingerprints from the first record on
        m.setenv(columnar.SWITCH, "1" if fast else "0")
        m.setattr(scoring, "FINGERPRINT_AFTER", 0)
        m.setattr(runner, "CALIBRATION_ROWS", 3)
        m.setattr(columnar, "BLOCK_BYTES", 2000)
        m.setattr(columnar, "FEW_KEYS", 0)
        got = _run(path, tmp_path / "got.csv")
    assert got == expected


def test_every_record_with_an_unreadable_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A block of many distinct records that all hold an answer that cannot be read (an age of 'old' in
    every row) is read in columns like any other (it stopped the columnar reader with an internal error)."""
    rng = random.Random(3)
    rows = []
    for i in range(400):
        row = gen_records.record(i, rng, yes=0.5)
        row[HEADER.index("age_years")] = "old"
        rows.append(row)
    path = tmp_path / "answers.csv"
    _write(path, rows)
    with monkeypatch.context() as m:
        m.setenv(columnar.SWITCH, "0")
        expected = _run(path, tmp_path / "expected.csv")
    with monkeypatch.context() as m:
        m.setenv(columnar.SWITCH, "1")
        m.setattr(runner, "CALIBRATION_ROWS", 3)
        blocks = []
        real = columnar.Columnar._block
        m.setattr(columnar.Columnar, "_block", lambda obj, t, n: blocks.append(1) or real(obj, t, n))
        got = _run(path, tmp_path / "got.csv")
    assert blocks and got == expected
    assert got[1][("error", "")] == 400


def _answer(q: Any, rng: random.Random) -> str:
    """A cell for any question of any ruleset: valid, blank, 'not sure' or invalid."""
    odd = rng.random()
    if odd < 0.12:
        return rng.choice(OPEN)
    if odd < 0.13:
        return rng.choice(BAD)
    if q.type == "boolean":
        return rng.choice(["yes", "no"])
    if q.type in ("integer", "number"):
        low = 0 if q.min is None else int(q.min)
        high = low + 100 if q.max is None else int(q.max)
        value = rng.randint(low, high)
        return str(value) if q.type == "integer" or rng.random() < 0.7 else f"{value - 0.5:g}"
    ids = [c.id for c in q.choices]
    if q.type == "choice":
        return rng.choice(ids)
    return ",".join(rng.sample(ids, rng.randint(1, min(3, len(ids)))))


DATA = Path(__file__).resolve().parent / "data"
# the test rulesets whose outcomes are concluded from fingerprints (startback.yaml has item scores: every
# outcome by the scorer; peg-texts.yaml is a texts file)
RULESETS = ["pt-screen", "branching.yaml", "minimal.yaml", "skip-rules.yaml"]


def test_not_derived_with_item_scores() -> None:
    ruleset = load_rules(DATA / "startback.yaml")
    header = [q.id for q in ruleset.questions]
    columns = [Column(i, h) for i, h in enumerate(header)]
    assert not RecordScorer(ruleset, build_plan(columns, ruleset, PRESETS["plain"], None, Options(), "x"))._derive


@pytest.mark.parametrize("name", RULESETS)
def test_derived_outcome_under_every_test_ruleset(name: str) -> None:
    """Each ruleset the tests ship (skip logic, bands, criteria points, outcome conditions): where the
    outcome can be concluded from the fingerprint, it is the scorer's for every random record."""
    ruleset = RULESET if name == "pt-screen" else load_rules(DATA / name)
    header = [q.id for q in ruleset.questions]
    columns = [Column(i, h) for i, h in enumerate(header)]
    rs = RecordScorer(ruleset, build_plan(columns, ruleset, PRESETS["plain"], None, Options(), "x"))
    assert rs._derive
    fingerprint = rs._compile_fingerprint()
    rng = random.Random(name)
    checked = 0
    for _ in range(1500):
        toks = rs.tokens(tuple(_answer(t.question, rng) for t in rs.targets))
        if min(toks, default=0) < 0:
            continue
        same = rs.canonical(toks)
        values: dict[str, Answer] = {}
        for t, vals, tok in zip(rs.targets, rs._values, same, strict=True):
            if vals[tok] is not None:
                values[t.question.id] = vals[tok]
        assert _fields(rs._derived(fingerprint(same))) == _fields(rs.evaluate(values)), values
        checked += 1
    assert checked > 100
