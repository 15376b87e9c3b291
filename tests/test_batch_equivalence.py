"""The batch fast path (memoised cells, grouped keys, generated loop) gives exactly what the core gives."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from stm_screen.batch import scoring
from stm_screen.batch.output import CsvWriter
from stm_screen.batch.runner import Batch, BatchSettings
from stm_screen.core.answers import AnswerValueError, parse_answer
from stm_screen.core.engine import Scorer

BOOL = ["yes", "no", "Yes", "NO", "y", "n", "1", "0", "true", "", "maybe"]
AREAS = ["low_back", "Neck or shoulder", "tendon;other", "widespread,head_jaw", "", "knees"]


def random_rows(ruleset, n: int, seed: int) -> tuple[list[str], list[list[str]]]:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    header = ["id"] + [q.id for q in ruleset.questions]
    out = []
    for i in range(n):
        row = [f"r{i}"]
        for q in ruleset.questions:
            if q.type == "boolean":
                row.append(rng.choice(BOOL) if rng.random() < 0.3 else rng.choice(["no", "no", "no", "yes"]))
            elif q.type == "multi_choice":
                row.append(rng.choice(AREAS))
            elif q.type == "integer":
                row.append(rng.choice([str(rng.randint(-1, 11)), "", "x", "4.0", "2.5"]))
            else:
                row.append(rng.choice([str(rng.randint(0, 30)), f"{rng.randint(0, 5)}.5", "", "700"]))
        out.append(row)
    return header, out


def core_expectation(ruleset, header: list[str], row: list[str]) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    values = {}
    for qid, cell in zip(header[1:], row[1:], strict=True):
        if not cell.strip():
            continue
        q = ruleset.by_id[qid]
        try:
            values[qid] = parse_answer(q, cell) if q.type != "multi_choice" else _multi(q, cell)
        except AnswerValueError:
            return ("error",)
    ev = Scorer(ruleset).evaluate(values)
    score = ev.scores["total"]
    score_text = "" if score is None else f"{score:g}"
    if ev.complete:
        return ("ok", ev.level or "", score_text, ";".join(ev.red_flags), ";".join(ev.criteria_met), "")
    level = ev.level or "" if ev.red_flags else ""
    return ("incomplete", level, score_text, ";".join(ev.red_flags), ";".join(ev.criteria_met),
            ";".join(ev.red_flags_unknown))  # fmt: skip


def _multi(q, cell: str):  # type: ignore[no-untyped-def]
    from stm_screen.core.answers import parse_multi

    return parse_multi(q, cell)


def run_batch(ruleset, path: Path) -> list[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    writer = CsvWriter(buf, with_file=False)
    Batch(ruleset, None, BatchSettings()).run(str(path), writer)
    got = []
    for r in csv.DictReader(io.StringIO(buf.getvalue())):
        if r["status"] == "error":
            got.append(("error",))
        else:
            got.append((r["status"], r["level"], r["score"], r["red_flags"], r["criteria_met"],
                        r["unanswered_red_flags"]))  # fmt: skip
    return got


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_equals_core(ruleset, tmp_path: Path, seed: int) -> None:  # type: ignore[no-untyped-def]
    header, data = random_rows(ruleset, 1500, seed)
    path = tmp_path / "r.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *data])
    got = run_batch(ruleset, path)
    want = [core_expectation(ruleset, header, row) for row in data]
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, (i, data[i], g, w)
    assert {g[0] for g in got} == {"ok", "incomplete", "error"}  # the sample covers every status


def test_batch_equals_core_when_memos_overflow(ruleset, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Tiny memo limits force resets mid-run: results must not change."""
    monkeypatch.setattr(scoring, "MAX_MEMO", 5)
    monkeypatch.setattr(scoring, "MAX_TOKENS", 7)
    monkeypatch.setattr(scoring, "MAX_OUTCOMES", 9)
    header, data = random_rows(ruleset, 600, 9)
    path = tmp_path / "r.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *data])
    got = run_batch(ruleset, path)
    want = [core_expectation(ruleset, header, row) for row in data]
    assert got == want
