"""Benchmark: `stm-screen score FILE --format json` against a bare Typer app, and in-process scoring.

Run from an environment where stm-screen is installed:

    python benchmarks/bench_score.py [--runs 21]

1. Start-up: the installed `stm-screen score answers.json --format json` and a bare Typer app's subcommand
   that reads the same file and prints it, run in turn (A B A B ...) so machine drift hits both alike.
   Prints the median wall time of each and the ratio of the medians (goal: <= 1.5).
2. In-process: one answer set scored with `Scorer.evaluate` (the batch path; goal: < 20 us) and with
   `explain` (the full explained result).

Bytecode is compiled first and kept (PYTHONDONTWRITEBYTECODE is dropped for the runs), as after a
normal install.
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
import timeit
from pathlib import Path

BARE_APP = """
import typer

app = typer.Typer()


@app.command()
def score(path: str, fmt: str = typer.Option("text", "--format")) -> None:
    with open(path, encoding="utf-8") as handle:
        print(handle.read())


@app.command()
def other() -> None:
    pass


if __name__ == "__main__":
    app()
"""

ANSWERS = {
    "pain_duration_months": 8,
    "pain_areas": ["low_back", "neck_shoulder"],
    "pain_intensity": 6,
    "activity_limitation": 5,
    "tightness_trigger_points": True,
    "recurrent_flare_ups": False,
    "fear_of_movement": True,
    "bladder_bowel_change": False,
    "saddle_numbness": False,
    "progressive_weakness": False,
    "stroke_signs": False,
    "self_harm_thoughts": False,
    "fever_or_unwell": False,
    "cancer_history": False,
    "unexplained_weight_loss": False,
    "major_trauma": False,
    "night_pain": False,
}


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    return elapsed


def startup(runs: int) -> None:
    import stm_screen

    exe = shutil.which("stm-screen", path=str(Path(sys.executable).parent)) or shutil.which("stm-screen")
    if exe is None:
        raise SystemExit("stm-screen is not installed in this environment")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare_app.py"
        bare.write_text(BARE_APP, encoding="utf-8")
        answers = Path(tmp) / "answers.json"
        answers.write_text(json.dumps(ANSWERS), encoding="utf-8")
        compileall.compile_dir(str(Path(stm_screen.__file__).parent), quiet=1)
        compileall.compile_file(str(bare), quiet=1)
        ours = [exe, "score", str(answers), "--format", "json"]
        floor = [sys.executable, str(bare), "score", str(answers), "--format", "json"]
        for _ in range(2):  # warm the file cache
            wall(ours, env)
            wall(floor, env)
        a, b = [], []
        for _ in range(runs):
            a.append(wall(ours, env))
            b.append(wall(floor, env))
    ma, mb = statistics.median(a), statistics.median(b)
    pairs = statistics.median(x / y for x, y in zip(a, b, strict=True))
    print(f"start-up, {runs} interleaved runs each (median wall time):")
    print(f"  stm-screen score FILE --format json   {ma * 1000:7.1f} ms")
    print(f"  bare Typer app subcommand (floor)     {mb * 1000:7.1f} ms")
    print(f"  ratio of medians {ma / mb:.2f}  (median of pairwise ratios {pairs:.2f}; goal <= 1.50)")


def in_process() -> None:
    from stm_screen.core.answers import check_answers
    from stm_screen.core.engine import Scorer
    from stm_screen.core.explain import explain
    from stm_screen.rules.loader import load_ruleset

    ruleset = load_ruleset()
    scorer = Scorer(ruleset)
    values = check_answers(ruleset, ANSWERS)

    def per_call(fn: object, number: int) -> float:
        times = timeit.repeat(fn, number=number, repeat=7)  # type: ignore[arg-type]
        return statistics.median(times) / number * 1e6

    evaluate = per_call(lambda: scorer.evaluate(values), 20000)
    full = per_call(lambda: explain(ruleset, values, scorer=scorer), 500)
    checked = per_call(lambda: check_answers(ruleset, ANSWERS), 20000)
    print("in-process, one answer set (median of 7 repeats):")
    print(f"  Scorer.evaluate (level, flags, criteria, scores)  {evaluate:7.1f} us  (goal < 20 us)")
    print(f"  check_answers (validate raw answers)              {checked:7.1f} us")
    print(f"  explain (full result with what-would-change)      {full:7.1f} us")
    # With instruments beside the screening: PHQ-4, PHQ-9 (item 9 answers a screening question) and PEG.
    mods = load_ruleset(None, ["phq4", "phq9", "peg"])
    extra = {f"phq4_{i}": "several_days" for i in range(1, 5)} | {f"phq9_{i}": "not_at_all" for i in range(1, 10)}
    mod_values = check_answers(mods, {**ANSWERS, **extra, "peg_1": 6, "peg_2": 5, "peg_3": 7})
    mod_scorer = Scorer(mods)
    with_modules = per_call(lambda: mod_scorer.evaluate(mod_values), 5000)
    print(f"  Scorer.evaluate with PHQ-4, PHQ-9 and PEG         {with_modules:7.1f} us  (goal < 40 us)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    startup(args.runs)
    in_process()


if __name__ == "__main__":
    main()
