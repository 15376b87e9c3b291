"""Peak memory of `stm-screen batch` when nearly every record is a combination of answers never seen before.

    python benchmarks/bench_memo.py                  # 300,000 records (file cached in /tmp)
    python benchmarks/bench_memo.py --records 1000000

The records are gen_records.py's with every yes/no answer a coin toss and the numbers spread over their
whole range: the memo of distinct answers (batch/scoring.py) meets its worst case. Goal (issue 15): memory
flat, under 100 MB, at any variety; the memo is bounded in bytes (MAX_MEMO_BYTES) as well as in entries.
Runs the installed command with ``--jobs 1`` and with its default (one process per CPU), with the exact
reader of the default install (``STM_SCREEN_FAST=0``), and with ``--fast`` the columnar reader too (the
``[fast]`` extra, batch/columnar.py); prints each run's wall time and peak RSS (the largest single process),
and checks the outputs are byte for byte the same.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_records  # noqa: E402


def write_varied(path: Path, n: int, seed: int = 5) -> None:
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
            w.writerow(row)


def peak_run(cmd: list[str], fast: bool = False) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run, in a fresh measuring process of its own."""
    code = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False);"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["STM_SCREEN_FAST"] = "1" if fast else "0"
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True, env=env)
    wall, kb = out.stdout.split()
    return float(wall), int(kb) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=300_000)
    ap.add_argument("--fast", action="store_true", help="also the columnar reader (--jobs 1)")
    args = ap.parse_args()
    path = Path(tempfile.gettempdir()) / f"stm-bench-{gen_records.DATA}-varied-{args.records}.csv"
    if not path.exists():
        write_varied(path, args.records)
    exe = shutil.which("stm-screen")
    cmd = [exe] if exe else [sys.executable, "-m", "stm_screen"]
    out = Path(tempfile.gettempdir()) / "stm-bench-varied-out.csv"
    one = peak_run([*cmd, "batch", str(path), "-o", str(out.with_suffix(".jobs1.csv")), "--jobs", "1"])
    default = peak_run([*cmd, "batch", str(path), "-o", str(out)])
    same = filecmp.cmp(out, out.with_suffix(".jobs1.csv"), shallow=False)
    columnar = None
    if args.fast:
        columnar = peak_run([*cmd, "batch", str(path), "-o", str(out.with_suffix(".fast.csv")), "--jobs", "1"], True)
        same = same and filecmp.cmp(out, out.with_suffix(".fast.csv"), shallow=False)
    print(f"{args.records:,} records of coin-toss answers ({path.stat().st_size / 1e6:.0f} MB):")
    print(f"  --jobs 1        {one[0]:6.1f} s   peak RSS {one[1]:6.1f} MB")
    print(f"  default jobs    {default[0]:6.1f} s   peak RSS {default[1]:6.1f} MB (largest process)")
    peaks = [one[1], default[1]]
    if columnar is not None:
        print(f"  columnar reader {columnar[0]:6.1f} s   peak RSS {columnar[1]:6.1f} MB (--jobs 1, STM_SCREEN_FAST=1)")
        peaks.append(columnar[1])
    print(f"  same output: {same}; goal: peak RSS < 100 MB -> {'meets' if max(peaks) < 100 else 'MISSES'}")


if __name__ == "__main__":
    main()
