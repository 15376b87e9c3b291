"""Time from launch to the first question on screen: ``stm-screen screen`` vs a bare questionary app.

Both run in a real pseudo-terminal (pexpect) in the same environment, interleaved so that disk cache and CPU
frequency affect them alike. Prints the medians and the ratio. Goal: within 1.5x of bare questionary and
under 300 ms.

    python benchmarks/bench_prompt_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pexpect

FIRST_QUESTION = "How old are you"
BARE_APP = "import questionary\nquestionary.text('How old are you?').unsafe_ask()\n"


def time_to_prompt(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=30, dimensions=(40, 100))
    child.expect(FIRST_QUESTION)
    elapsed = time.perf_counter() - start
    child.terminate(force=True)
    child.close()
    return elapsed


def time_to_exit(argv: list[str], env: dict[str, str]) -> float:
    """Wall time of a command that needs no terminal (stdin is /dev/null)."""
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()

    script = shutil.which("stm-screen") or str(Path(sys.executable).parent / "stm-screen")
    home = tempfile.mkdtemp(prefix="stm-bench-")
    # As after a normal install: our modules' bytecode compiled and kept (the bare app's libraries have theirs).
    import compileall

    import stm_screen

    compileall.compile_dir(str(Path(stm_screen.__file__).parent), quiet=1)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PYTHONDONTWRITEBYTECODE")}
    # English from the locale, as on most desktops (with no language chosen, the questionnaire asks for one).
    env.update({"STM_SCREEN_HOME": home, "TERM": "xterm-256color", "LC_MESSAGES": "en"})
    commands = {
        "stm-screen screen": [script, "screen"],
        "bare questionary": [sys.executable, "-c", BARE_APP],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm-up: byte-code caches, disk cache
        time_to_prompt(argv, env)
    for _ in range(args.runs):
        for name, argv in commands.items():
            times[name].append(time_to_prompt(argv, env))
    # Where the time goes: pieces measured the same way, outside a terminal.
    parts = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import questionary": [sys.executable, "-c", "import questionary"],
        "'stm-screen screen' refusing a non-terminal (fast path, no Typer)": [script, "screen"],
        "import + compile the bundled rules": [
            sys.executable,
            "-c",
            "from stm_screen.rules.loader import load_ruleset; load_ruleset()",
        ],
    }
    part_times: dict[str, list[float]] = {name: [] for name in parts}
    for _ in range(args.runs):
        for name, argv in parts.items():
            part_times[name].append(time_to_exit(argv, env))
    shutil.rmtree(home, ignore_errors=True)

    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    for name, ms in medians.items():
        low = min(times[name]) * 1000
        print(f"{name:<20} median {ms:6.1f} ms   min {low:6.1f} ms   ({args.runs} runs)")
    ratio = medians["stm-screen screen"] / medians["bare questionary"]
    print(
        f"ratio {ratio:.2f}x (goal <= 1.5x); stm-screen {medians['stm-screen screen']:.0f} ms (goal < 300 ms)"
    )
    print("where the time goes (wall medians, no terminal):")
    for name, values in part_times.items():
        print(f"  {statistics.median(values) * 1000:6.1f} ms  {name}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
