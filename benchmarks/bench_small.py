"""Small runs: `stm-screen batch` of a 10-row file and `stm-screen score` of one answers file, against a bare
Typer command, as ratios measured in the same run.

    python benchmarks/bench_small.py [--runs 21]

Each command runs in a fresh process, in turn with the floor (A B C A B C ...) so that machine drift hits
all alike; the figures are median wall times and the ratio of the medians (goal: <= 1.3 for both). The floor
is a bare Typer app's subcommand that reads the same file and prints it. Bytecode is compiled first and kept
(PYTHONDONTWRITEBYTECODE is dropped for the runs), as after a normal install. The rules cache
(stm_screen.rules.cache) is warmed by the first run, as it is after a first run on a machine; ``--cold``
gives every run an empty cache folder instead.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_records  # noqa: E402
from bench_score import BARE_APP  # noqa: E402  (the same bare Typer floor as bench_score)

ANSWERS = {
    "age_years": 52,
    "pregnant": "no",
    "pain_duration_months": "8 months",
    "pain_areas": ["low_back", "neck_shoulder"],
    "pain_trend": "same",
    "pain_intensity": 6,
    "activity_limitation": 5,
    "tightness_trigger_points": "yes",
    "recurrent_flare_ups": "no",
    "fear_of_movement": "yes",
    **dict.fromkeys(gen_records.SAFETY, "no"),
}


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--cold", action="store_true", help="an empty rules cache for every run")
    args = parser.parse_args()
    import stm_screen

    exe = shutil.which("stm-screen", path=str(Path(sys.executable).parent)) or shutil.which("stm-screen")
    if exe is None:
        raise SystemExit("stm-screen is not installed in this environment")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bare = folder / "bare_app.py"
        bare.write_text(BARE_APP, encoding="utf-8")
        answers = folder / "answers.json"
        answers.write_text(json.dumps(ANSWERS), encoding="utf-8")
        ten = folder / "ten.csv"
        with ten.open("w", newline="", encoding="utf-8") as f:
            gen_records.write(10, f, seed=1)
        compileall.compile_dir(str(Path(stm_screen.__file__).parent), quiet=1)
        compileall.compile_file(str(bare), quiet=1)
        env["STM_SCREEN_HOME"] = str(folder / "home")
        env["STM_SCREEN_CACHE"] = str(folder / "cache")
        commands = {
            "floor": [sys.executable, str(bare), "score", str(answers), "--format", "json"],
            "batch": [exe, "batch", str(ten), "-o", str(folder / "out.csv")],
            "score": [exe, "score", str(answers), "--format", "json"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(2):  # warm the file cache (and the rules cache)
            for cmd in commands.values():
                wall(cmd, env)
        for _ in range(args.runs):
            for name, cmd in commands.items():
                if args.cold:
                    shutil.rmtree(folder / "cache", ignore_errors=True)
                times[name].append(wall(cmd, env))
    floor = statistics.median(times["floor"])
    print(f"small runs, {args.runs} interleaved runs each (median wall time){' , cold rules cache' if args.cold else ''}:")
    print(f"  bare Typer app subcommand (floor)          {floor * 1000:7.1f} ms")
    verdict = []
    for name, label in (("batch", "stm-screen batch TEN_ROWS.csv -o OUT"), ("score", "stm-screen score FILE --format json")):
        med = statistics.median(times[name])
        pairs = statistics.median(x / y for x, y in zip(times[name], times["floor"], strict=True))
        ratio = med / floor
        verdict.append(ratio <= 1.3)
        print(f"  {label:<42} {med * 1000:7.1f} ms  ratio {ratio:.2f} (pairwise {pairs:.2f}; goal <= 1.30)")
    print(f"  goal: both within 1.3x the floor -> {'meets' if all(verdict) else 'MISSES'}")


if __name__ == "__main__":
    main()
