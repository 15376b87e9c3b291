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

BOOL = ["yes", "no", "Yes", "NO", "y", "n", "1", "0", "true", "", "maybe", "not sure", "Don't know", "unsure"]
AREAS = ["low_back", "Neck or shoulder", "tendon;other", "widespread,head_jaw", "mid_back", "", "knees"]
TREND = ["better", "same", "worse", "Getting worse", "", "sideways"]


def random_rows(ruleset, n: int, seed: int, junk: float = 0.3) -> tuple[list[str], list[list[str]]]:  # type: ignore[no-untyped-def]
    """Rows answering every question: mostly plausible (safety answers mostly no), with a share ``junk``
    of odd cells per yes/no question (other spellings, blanks, 'not sure', values that are not allowed)."""
    rng = random.Random(seed)
    header = ["id"] + [q.id for q in ruleset.questions]
    out = []
    for i in range(n):
        row = [f"r{i}"]
        for q in ruleset.questions:
            if q.type == "boolean":
                row.append(rng.choice(BOOL) if rng.random() < junk else rng.choice(["no"] * 12 + ["yes"]))
            elif q.type == "multi_choice":
                row.append(rng.choice(AREAS) if rng.random() < 0.97 else "knees")
            elif q.type == "choice":
                row.append(rng.choice(TREND[:4]) if rng.random() < 0.97 else rng.choice(TREND[4:]))
            elif q.id == "age_years":
                row.append(rng.choice([str(rng.randint(10, 95)), str(rng.choice([15, 16, 44, 45, 49, 50, 69, 70]))])
                           if rng.random() < 0.98 else rng.choice(["", "x", "130"]))  # fmt: skip
            elif q.type == "integer":
                row.append(
                    str(rng.randint(0, 10))
                    if rng.random() < 0.95
                    else rng.choice(["-1", "11", "", "x", "4.0", "2.5"])
                )
            else:
                row.append(
                    rng.choice([str(rng.randint(0, 30)), f"{rng.randint(0, 5)}.5", "3", "1.5", "", "700"])
                )
        out.append(row)
    return header, out


def core_expectation(ruleset, header: list[str], row: list[str]) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """What the core makes of a row (through parse_answer and Scorer.evaluate), as batch writes it."""
    from stm_screen.core.explain import URGENCY_ORDER

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
    flags = {rf.id: rf for rf in ruleset.red_flags}
    soon = [flags[r].urgency for r in ev.red_flags if flags[r].urgency in URGENCY_ORDER]
    urgency = max(soon, key=URGENCY_ORDER.index) if soon else ""
    if ev.complete:
        return (
            "ok",
            ev.level or "",
            urgency,
            score_text,
            ";".join(ev.red_flags),
            ";".join(ev.criteria_met),
            "",
        )
    # a warning sign left open: the 'unchecked' level (see_doctor), or a fired sign's higher one
    level = ev.level or "" if ev.unchecked or ev.red_flags else ""
    return ("incomplete", level, urgency, score_text, ";".join(ev.red_flags), ";".join(ev.criteria_met),
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
            got.append((r["status"], r["level"], r["urgency"], r["score"], r["red_flags"], r["criteria_met"],
                        r["unanswered_red_flags"]))  # fmt: skip
    return got


@pytest.mark.parametrize(("seed", "junk"), [(1, 0.3), (2, 0.05), (3, 0.01), (4, 0.0)])
def test_batch_equals_core(ruleset, tmp_path: Path, seed: int, junk: float) -> None:  # type: ignore[no-untyped-def]
    header, data = random_rows(ruleset, 3000, seed, junk)
    path = tmp_path / "r.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *data])
    got = run_batch(ruleset, path)
    want = [core_expectation(ruleset, header, row) for row in data]
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, (i, data[i], g, w)
    if junk:
        assert {g[0] for g in got} == {"ok", "incomplete", "error"}  # the sample covers every status
    levels = {g[1] for g in got if g[0] == "incomplete"}
    assert "see_doctor" in levels  # open warning signs: the 'could not be checked' level
    if junk <= 0.05:
        assert {g[1] for g in got if g[0] == "ok"} >= {
            "pt_consider",
            "pt_recommended",
            "see_doctor",
            "emergency",
        }


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


def test_json_records_equal_core(ruleset, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """JSON records (a plan per key set, scored by the compiled loop once a key set recurs): the same results."""
    import json

    header, data = random_rows(ruleset, 1500, 5, 0.03)
    path = tmp_path / "r.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for row in data:
            f.write(json.dumps(dict(zip(header, row, strict=True))) + "\n")
    got = run_batch(ruleset, path)
    want = [core_expectation(ruleset, header, row) for row in data]
    assert got == want
