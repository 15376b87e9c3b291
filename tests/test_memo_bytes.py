"""The batch memo is bounded in bytes as well as in entries (batch.scoring.MAX_MEMO_BYTES): with answers of
any variety, memory stays flat, and forgetting everything between records changes no output and no count."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from stm_screen.batch import scoring
from stm_screen.batch.output import CsvWriter, JsonlWriter
from stm_screen.batch.runner import Batch, BatchSettings
from stm_screen.core.ruleset import Ruleset
from tests.batch_helpers import records as gen_records

CMD = [sys.executable, "-m", "stm_screen"]


def write_varied(path: Path, n: int, seed: int = 5) -> None:
    """Records whose every yes/no answer is a coin toss, and numbers over their whole range: nearly every
    record is a combination of answers never seen before (the memo's worst case)."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(gen_records.HEADER)
        for i in range(1, n + 1):
            row = gen_records.record(i, rng)
            row = [
                ("yes" if rng.random() < 0.5 else "no") if j > 6 and c in ("yes", "no", "") else c
                for j, c in enumerate(row)
            ]
            row[1], row[3], row[4] = str(rng.randint(0, 600)), str(rng.randint(0, 10)), str(rng.randint(16, 99))
            if i % 97 == 0:
                row[3] = "eleven"  # an error row now and then
            w.writerow(row)


def score(path: Path, ruleset: Ruleset, fmt: str = "csv") -> tuple[str, dict[tuple[str, str], int]]:
    out = io.StringIO()
    writer = (CsvWriter if fmt == "csv" else JsonlWriter)(out, with_file=False)
    Batch(ruleset, None, BatchSettings(jobs=1)).run(str(path), writer)
    return out.getvalue(), writer.counts


@pytest.mark.parametrize("fast", ["0", "1"])  # the exact reader, and the columnar one when installed
@pytest.mark.parametrize("budget", [1, 50_000])
def test_forgetting_changes_no_output_and_no_count(
    tmp_path: Path, ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch, budget: int, fast: str
) -> None:
    monkeypatch.setenv("STM_SCREEN_FAST", fast)
    src = tmp_path / "varied.csv"
    write_varied(src, 2400)  # past the first 2,048 records: the columnar reader takes the rest
    expected = score(src, ruleset)
    resets = []
    real = scoring.RecordScorer._reset

    def counted(self: scoring.RecordScorer) -> None:
        resets.append(1)
        real(self)

    monkeypatch.setattr(scoring.RecordScorer, "_reset", counted)
    monkeypatch.setattr(scoring, "MAX_MEMO_BYTES", budget)
    got = score(src, ruleset)
    assert len(resets) > (1500 if budget == 1 else 3)
    assert got == expected
    assert sum(n for (status, _), n in got[1].items() if status in ("ok", "incomplete", "error")) == 2400


def test_records_forget_too(tmp_path: Path, ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "varied.csv"
    write_varied(src, 400)
    with src.open(encoding="utf-8", newline="") as f:
        records = [{k: v for k, v in r.items() if v} for r in csv.DictReader(f)]
    jsonl = tmp_path / "varied.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    expected = score(jsonl, ruleset, "jsonl")
    monkeypatch.setattr(scoring, "MAX_MEMO_BYTES", 1)
    assert score(jsonl, ruleset, "jsonl") == expected


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB on Linux")
def test_memory_is_flat_at_any_variety(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a budget of 8 MB (STM_SCREEN_MEMO_MB), 20,000 coin-toss records take about what 500 take; with
    the default budget (64 MB, about 40 MB resident at most), the default install stays under 100 MB."""
    from tests.test_batch_process import peak_rss_kb

    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    write_varied(small, 500)
    write_varied(big, 20_000)
    # the exact reader, the default install's (the columnar reader of the [fast] extra is its own matter)
    monkeypatch.setenv("STM_SCREEN_FAST", "0")
    monkeypatch.setenv("STM_SCREEN_MEMO_MB", "8")
    rss_small = peak_rss_kb([*CMD, "batch", str(small), "-o", str(tmp_path / "a.csv"), "--jobs", "1"])
    rss_big = peak_rss_kb([*CMD, "batch", str(big), "-o", str(tmp_path / "b.csv"), "--jobs", "1"])
    # without the bound in bytes, 20,000 such records took about 50 MB more than 500
    assert rss_big - rss_small < 15 * 1024, (rss_small, rss_big)
    assert subprocess.run(["wc", "-l", str(tmp_path / "b.csv")], capture_output=True, text=True).stdout.split()[0] == "20001"
    monkeypatch.delenv("STM_SCREEN_MEMO_MB")
    rss_default = peak_rss_kb([*CMD, "batch", str(big), "-o", str(tmp_path / "c.csv"), "--jobs", "1"])
    assert rss_default < 100 * 1024, rss_default
    assert (tmp_path / "c.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


@pytest.mark.parametrize("value", ["x", "-1", "1.5", "９", "99999999999"])
def test_memo_budget_from_the_environment_is_checked(tmp_path: Path, value: str) -> None:
    src = tmp_path / "in.csv"
    write_varied(src, 5)
    env = {**os.environ, "STM_SCREEN_MEMO_MB": value}
    done = subprocess.run([*CMD, "batch", str(src), "-o", str(tmp_path / "o.csv")], capture_output=True, text=True, env=env)
    assert done.returncode == 2, done.stderr
    assert "STM_SCREEN_MEMO_MB must be a whole number of megabytes" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "o.csv").exists()


def test_memo_budget_reaches_the_scorer(tmp_path: Path, ruleset: Ruleset) -> None:
    seen: list[int] = []
    batch = Batch(ruleset, None, BatchSettings(jobs=1, memo_mb=3))
    src = tmp_path / "in.csv"
    write_varied(src, 5)
    real = scoring.RecordScorer.__init__

    def spied(self: scoring.RecordScorer, *a: object, **k: object) -> None:
        real(self, *a, **k)  # type: ignore[arg-type]
        seen.append(self.budget)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(scoring.RecordScorer, "__init__", spied)
        batch.run(str(src), CsvWriter(io.StringIO(), with_file=False))
    assert seen == [3 << 20]
    assert Batch(ruleset, None, BatchSettings())._budget() is None  # the scorer's default, MAX_MEMO_BYTES


def test_a_tiny_budget_stays_quick_in_columns(tmp_path: Path, ruleset: Ruleset) -> None:
    """STM_SCREEN_MEMO_MB=1 with the columnar reader: everything is forgotten once per block, never after
    each group of a block (which took a block's tokens anew each time: minutes for a 23 MB file); the
    output is the default budget's."""
    pytest.importorskip("pyarrow")
    src = tmp_path / "in.csv"
    write_varied(src, 12_000)
    outs = []
    for budget in ("1", "0", "00"):
        out = tmp_path / f"o{budget}.csv"
        env = {**os.environ, "STM_SCREEN_MEMO_MB": budget, "STM_SCREEN_FAST": "1"}
        done = subprocess.run([*CMD, "batch", str(src), "-o", str(out), "--jobs", "1"], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 1, done.stderr  # some records hold errors (write_varied)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
