"""Throughput of `stm-screen batch` against a bare csv.reader loop over the same file, and peak memory.

    python benchmarks/bench_batch.py                 # 1,000,000 records (file cached in /tmp)
    python benchmarks/bench_batch.py --records 200000 --repeat 3

Goal (issue 4): batch wall time <= 2.5 x the bare loop (at least 40% of its throughput), peak RSS < 100 MB.
The batch figure is the whole command in a fresh process as a user runs it (start-up, rules loading, scoring
-- in parallel processes on a machine with several CPUs, see docs/batch.md --, writing the CSV output file,
fsync and rename); the bare loop reads the same file with csv.reader and does nothing else. ``jobs_1`` is the
same command with ``--jobs 1`` (one process), and ``in_process`` is the scoring loop alone (Batch.run into a
CSV file, default settings), without interpreter and CLI start-up. Peak RSS is the largest single process.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import filecmp
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_records  # noqa: E402


def bare_loop(path: Path) -> float:
    start = time.perf_counter()
    n = 0
    with path.open(newline="", encoding="utf-8") as f:
        for _row in csv.reader(f):
            n += 1
    return time.perf_counter() - start


# As after a normal install: bytecode compiled and kept for the command's runs.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def batch_run(cmd: list[str], path: Path, out: Path, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [*cmd, "batch", str(path), "-o", str(out), *extra],
        check=False,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    return time.perf_counter() - start


def in_process(path: Path, out: Path) -> float:
    """The scoring loop alone: rules loaded, then records read, scored and written (no process start)."""
    from stm_screen.batch.output import CsvWriter
    from stm_screen.batch.runner import Batch, BatchSettings
    from stm_screen.screening import load_rules

    ruleset = load_rules()
    start = time.perf_counter()
    with out.open("w", newline="", encoding="utf-8") as f:
        Batch(ruleset, None, BatchSettings()).run(str(path), CsvWriter(f, with_file=False))
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    ap.add_argument("--file", type=Path, help="input CSV (made with gen_records.py if missing)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()

    path = args.file or Path(tempfile.gettempdir()) / f"stm-bench-{gen_records.DATA}-{args.records}.csv"
    if not path.exists():
        with path.open("w", newline="", encoding="utf-8") as f:
            gen_records.write(args.records, f, seed=1)
    import stm_screen

    compileall.compile_dir(str(Path(stm_screen.__file__).parent), quiet=1)
    from stm_screen.batch.parallel import default_jobs

    jobs = default_jobs()
    exe = shutil.which("stm-screen")
    cmd = [exe] if exe else [sys.executable, "-m", "stm_screen"]
    out = Path(tempfile.gettempdir()) / "stm-bench-out.csv"

    bare, batch, single, inner = [], [], [], []
    for _ in range(args.repeat):  # interleaved, so all see the same machine load
        bare.append(bare_loop(path))
        batch.append(batch_run(cmd, path, out))
        single.append(batch_run(cmd, path, out.with_suffix(".jobs1.csv"), "--jobs", "1"))
        inner.append(in_process(path, out.with_suffix(".inner.csv")))
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with out.open(encoding="utf-8") as f:
        lines = sum(1 for _ in f) - 1

    figures = {
        "records": args.records,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "bare_csv_reader_s": round(min(bare), 2),
        "stm_screen_batch_s": round(min(batch), 2),
        "ratio": round(min(batch) / min(bare), 2),
        "jobs_1_batch_s": round(min(single), 2),
        "jobs_1_ratio": round(min(single) / min(bare), 2),
        "in_process_loop_s": round(min(inner), 2),
        "in_process_ratio": round(min(inner) / min(bare), 2),
        "batch_records_per_s": round(args.records / min(batch)),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "output_rows": lines,
        "same_output_with_jobs_1": filecmp.cmp(out, out.with_suffix(".jobs1.csv"), shallow=False),
        "cpus": jobs,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    buf = io.StringIO()
    for key, value in figures.items():
        buf.write(f"{key:>22}: {value}\n")
    verdict = "meets" if figures["ratio"] <= 2.5 and figures["peak_rss_mb"] < 100 else "MISSES"
    buf.write(f"{'goal':>22}: ratio <= 2.5 and peak RSS < 100 MB -> {verdict}\n")
    print(buf.getvalue(), end="")


if __name__ == "__main__":
    main()
