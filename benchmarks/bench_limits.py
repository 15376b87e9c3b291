"""Every documented input limit also bounds the work: hostile inputs at the limits, timed.

    python benchmarks/bench_limits.py            # all cases, 3 runs each (the median is shown)
    python benchmarks/bench_limits.py --runs 1

Each case runs the installed ``stm-screen`` in a fresh process on a file made to cost as much as the limits
allow, and reports its wall time and peak memory (RSS), next to the floor measured in the same run: the
start-up of ``stm-screen --version``. Goals (issue 10): a rules file at the size limit is refused or loaded
in under 1 s and 100 MB; a rules folder at the file-count limit loads in under 2 s; a resume file has a size
limit; a 1,000,000-column header is refused or read in under 2 s. Times include start-up.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).with_name("stm-screen"))
sys.path.insert(0, str(ROOT / "src"))

from stm_screen.io.yamlfile import MAX_BYTES  # noqa: E402
from stm_screen.prompt.resume import MAX_BYTES as RESUME_MAX  # noqa: E402
from stm_screen.rules.loader import MAX_FILES  # noqa: E402

MINIMAL = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB, and exit code of one run."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.execve(EXE, [EXE, *args], {**os.environ, **(env or {})})
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def fill(line: Callable[[int], str], budget: int, head: str = "") -> str:
    """``head`` then lines ``line(i)`` up to just under ``budget`` bytes."""
    parts = [head]
    size = len(head.encode())
    i = 0
    while True:
        text = line(i)
        n = len(text.encode())
        if size + n > budget:
            return "".join(parts)
        parts.append(text)
        size += n
        i += 1


def rules_cases(tmp: Path) -> dict[str, Path]:
    budget = MAX_BYTES - 1024
    head, _, _ = MINIMAL.partition("examples:")
    cases = {
        "nested flow sequences": "x: " + "[" * (budget // 2 - 8) + "]" * (budget // 2 - 8) + "\n",
        "nested block mappings": fill(lambda i: " " * min(i, 4000) + f"k{i}:\n", budget, "x:\n"),
        "alias fan-out": fill(
            lambda i: f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10 if i else ["x"] * 10) + "]\n", budget
        ),
        "one long string": "id: " + "x" * (budget - 16) + "\n",
        "many keys": fill(lambda i: f"k{i}: {i}\n", budget),
        "many questions": head.replace(
            "questions:\n",
            fill(lambda i: f"  - {{id: q{i}, type: integer, min: 0, max: 10, text: Q{i}?}}\n", budget - len(head), "questions:\n"),
        ),
        "many examples": fill(
            lambda i: f"  - {{name: e{i}, level: low, answers: {{months: 1, stiff: false, fever: false}}}}\n",
            budget,
            head + "examples:\n",
        ),
        "long conditions": fill(
            lambda i: f"  - {{id: c{i}, when: '{' and '.join(['months > 3'] * 180)}', title: T, "
            f"explanation: E, source: test}}\n",
            budget,
            head.replace("criteria:\n", "criteria:\n"),
        ),
    }
    cases.update(skip_logic_cases(head, budget))
    out = {}
    for name, text in cases.items():
        path = tmp / (name.replace(" ", "-") + ".yaml")
        path.write_text(text, encoding="utf-8")
        assert path.stat().st_size <= MAX_BYTES, name
        out[name] = path
    return out


def skip_logic_cases(head: str, budget: int) -> dict[str, str]:
    """Rules files that load, shaped to cost the skip-logic check of ``rules check`` as much as the limits
    allow (issue 10: a chain of 400 questions each asked after the one before took 40 s). Each has as many
    questions (at most 1,000 in a list) as fit in the size limit besides the minimal ruleset's."""
    limit = 990  # questions of our own: the list limit is 1,000, with the minimal ruleset's 5

    def questions(line: Callable[[int], str]) -> str:
        return head.replace("questions:\n", fill(lambda i: line(i) if i < limit else "x" * budget, budget - len(head), "questions:\n"))

    def q(i: int, ask_if: str = "", kind: str = "boolean", extra: str = "") -> str:
        return f"  - {{id: q{i}, type: {kind}, text: Q?{extra}" + (f", ask_if: \"{ask_if}\"" if ask_if else "") + "}\n"

    choices = ", choices: [" + ", ".join(f"{{id: c{j}, label: C}}" for j in range(40)) + "]"
    gated = 16  # g, then a0 to a15 each asked after g
    anyof = " or ".join(f"a{j}" for j in range(gated))

    def fan(i: int, when: str) -> str:
        if i == 0:
            return "  - {id: g, type: boolean, text: G?}\n"
        if i <= gated:
            return f"  - {{id: a{i - 1}, type: boolean, text: A?, ask_if: g}}\n"
        return f"  - {{id: t{i}, type: boolean, text: T?, ask_if: \"{when.format(i=i)}\"}}\n"

    rng = random.Random(0)
    fan_questions = "".join(fan(i, "") for i in range(gated + 1))
    fan_head = head.replace("questions:\n", "questions:\n" + fan_questions)
    flags_head, _, flags_tail = fan_head.partition("red_flags:\n")
    return {
        # each asked after the one before, or the two before: every one of them can be left undecided
        "skip logic: a chain of 990": questions(lambda i: q(i, f"q{i - 1}" if i else "")),
        "skip logic: a chain of 990, two back": questions(lambda i: q(i, f"q{i - 1} and q{max(i - 2, 0)}" if i else "")),
        # each asked if the 90 before it were answered yes (90 questions looked at together at each point)
        "skip logic: 90 back, 200 questions": questions(lambda i: q(i, " and ".join(f"q{j}" for j in range(max(0, i - 90), i)))),
        # a chain of 480, then 480 asked after one question of the chain and its end (each its own search)
        "skip logic: 480 chained, 480 pairs": questions(
            lambda i: q(i, f"q{i - 1}" if i else "") if i < 480 else q(i, f"q{i - 480} and q479")
        ),
        # asked after any 12 of 16 questions asked alike (each its own wide search)
        "skip logic: any 12 of 16, 900 times": questions(
            lambda i: fan(i, " and ".join(f"a{j}" for j in sorted(rng.sample(range(gated), 12))))
        ),
        # choice questions of 40 choices, each asked if the two before were answered the same
        "skip logic: 40 choices, compared": questions(lambda i: q(i, f"q{i - 1} == q{i - 2}" if i > 1 else "", "choice", choices)),
        # whole numbers, each asked after its own ranges of the one or two before
        "skip logic: numbers, 990 ranges": questions(
            lambda i: q(i, f"q{i - 1} > {i} and q{i - 1} < {i + 500} and q{i - 1} + q{max(i - 2, 0)} != {3 * i}" if i else "",
                        "integer", ", min: 0, max: 1000")
        ),
        # warning signs over 16 questions asked alike: 65,536 sets of answers each, each written its own way
        "skip logic: 640 warning signs over 16": fill(
            lambda i: f"  - {{id: r{i}, when: 'g and ({' or '.join(rng.sample(anyof.split(' or '), gated))}) and stiff', "
            "level: see_doctor, title: T, "
            "message: M, source: test}\n" if i < 700 else "x" * budget,
            budget - len(fan_head),
            flags_head + "red_flags:\n",
        ) + flags_tail,
    }


def folder_case(tmp: Path) -> Path:
    """A ruleset that loads, split into as many files as a folder may hold: the metadata, the minimal
    ruleset's lists, and one file of questions for each file left (each with 4 questions)."""
    folder = tmp / "folder"
    folder.mkdir()
    meta, _, rest = MINIMAL.partition("questions:")
    (folder / "000-meta.yaml").write_text(meta, encoding="utf-8")
    (folder / "001.yaml").write_text("questions:" + rest.partition("examples:")[0], encoding="utf-8")
    for i in range(2, MAX_FILES):
        text = "questions:\n" + "".join(
            f"  - {{id: q{i}_{j}, type: integer, min: 0, max: 10, text: Question {i}.{j}?}}\n" for j in range(4)
        )
        (folder / f"{i:03d}.yaml").write_text(text, encoding="utf-8")
    return folder


def wide_csv(tmp: Path, columns: int) -> Path:
    path = tmp / f"wide-{columns}.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(f"column {i}" for i in range(columns)) + "\n")
        f.write(",".join("1" for _ in range(columns)) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows: list[tuple[str, float, float, int, float, float]] = []

    def measure(label: str, argv: list[str], goal_s: float, goal_mb: float, env: dict[str, str] | None = None) -> None:
        results = [run(argv, env) for _ in range(args.runs)]
        wall = statistics.median(r[0] for r in results)
        rss = max(r[1] for r in results)
        rows.append((label, wall, rss, results[0][2], goal_s, goal_mb))

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        measure("floor: stm-screen --version", ["--version"], 1.0, 100)
        for label, path in rules_cases(tmp).items():
            measure(f"rules file at {MAX_BYTES // 1024} KB: {label}", ["rules", "check", str(path)], 1.0, 100)
        measure(f"rules folder of {MAX_FILES} files", ["rules", "check", str(folder_case(tmp))], 2.0, 100)
        home = tmp / "home"
        home.mkdir()
        (home / "resume-1.json").write_text(" " * (RESUME_MAX * 4), encoding="utf-8")
        measure(
            f"resume file of {RESUME_MAX * 4 // 1024} KB (limit {RESUME_MAX // 1024} KB)",
            ["screen", "--resume"],
            1.0,
            100,
            {"STM_SCREEN_HOME": str(home)},
        )
        for columns in (1_000_000, 9_999):
            path = wide_csv(tmp, columns)
            measure(f"batch, a {columns:,}-column header", ["batch", str(path)], 2.0, 100)
            measure(f"batch --suggest-map, {columns:,} columns", ["batch", str(path), "--suggest-map"], 2.0, 100)
    floor = rows[0][1]
    print(f"{'case':<58} {'wall':>8} {'x floor':>8} {'peak RSS':>9} exit  goal")
    for label, wall, rss, code, goal_s, goal_mb in rows:
        ok = "meets" if wall < goal_s and rss < goal_mb else "MISSES"
        print(f"{label:<58} {wall:7.2f}s {wall / floor:7.1f}x {rss:7.0f} MB {code:>4}  <{goal_s:g} s, <{goal_mb:g} MB: {ok}")


if __name__ == "__main__":
    main()
