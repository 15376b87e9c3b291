"""`stm-screen batch` on a large CSV against a polars script scoring the same rules, and a bare csv.reader loop.

    pip install -e '.[fast]' polars
    python benchmarks/bench_polars.py                 # 1,000,000 records; 200,000 with varied answers
    python benchmarks/bench_polars.py --records 1000000 3000000 --varied-records 200000 1000000 --repeat 3

Each figure is a whole process as a user runs it (interpreter start-up included), the best of ``--repeat``
runs, interleaved so that all see the same machine load; files are made with gen_records.py and cached in
the temp folder. Two kinds of data: ``plain`` (gen_records' plausible answers: most safety answers 'no')
and ``varied`` (every yes/no answer 50/50: most records have a combination of answers of their own).

- ``batch``: ``stm-screen batch FILE -o OUT`` (the installed command; the columnar reader when
  ``stm-screen[fast]`` is installed);
- ``exact``: the same with ``STM_SCREEN_FAST=0``, as the default install (no extra) runs it;
- ``polars``: the peer, a polars script (written out by this script from the ruleset's conditions, one
  expression each, as a person would hand-write them) that reads the file, evaluates every red flag,
  criterion and outcome rule, and writes row, id, status, level, red flags and criteria met as CSV. It
  does less than ``batch`` (no answer checking, no 'not sure', no skip logic, no instrument scores): it is
  the floor, not a rival;
- ``csv_reader``: a bare ``csv.reader`` loop over the file that does nothing else.

Peak RSS is each process's own (with its helper processes, if any), in MB. Goals (issue 15): ``batch`` at
most 1.5x ``polars`` at 1M and 3M records, the same output as ``exact`` byte for byte, and the default
install (``exact``) under 100 MB at any size and answer variety.
"""

from __future__ import annotations

import argparse
import ast
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_records  # noqa: E402

RULES = HERE.parent / "rules" / "pt-screen.yaml"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

BARE = """
import csv, sys
n = 0
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for _row in csv.reader(f):
        n += 1
"""


# --- the peer: polars expressions for the ruleset's conditions ------------------------------------------


def _expr(node: ast.AST, types: dict[str, str]) -> str:
    """A polars expression (source text) for one condition of the rules (its Python-like syntax)."""
    if isinstance(node, ast.BoolOp):
        op = " & " if isinstance(node.op, ast.And) else " | "
        return "(" + op.join(_expr(v, types) for v in node.values) + ")"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return f"~{_expr(node.operand, types)}"
    if isinstance(node, ast.Name):  # read once into its type (see peer_source)
        return f'pl.col("{node.id}")'
    if isinstance(node, ast.Constant):
        return repr(node.value)
    if isinstance(node, ast.BinOp):
        ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
        return f"({_expr(node.left, types)} {ops[type(node.op)]} {_expr(node.right, types)})"
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op, right = node.ops[0], node.comparators[0]
        if isinstance(op, ast.In) and isinstance(node.left, ast.Constant) and isinstance(right, ast.Name):
            return f'pl.col("{right.id}").str.contains({node.left.value!r}, literal=True)'
        ops = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
        return f"({_expr(node.left, types)} {ops[type(op)]} {_expr(right, types)})"
    raise ValueError(f"no polars form for {ast.dump(node)}")


def peer_source() -> str:
    """The peer script: the ruleset's red flags, criteria and outcome rules as polars expressions."""
    import yaml

    rules = yaml.load(RULES.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    types = {q["id"]: q["type"] for q in rules["questions"]}

    def cond(text: str) -> str:
        return _expr(ast.parse(text, mode="eval").body, types) + ".fill_null(False)"

    flags = [(rf["id"], rf["level"], cond(rf["when"])) for rf in rules["red_flags"]]
    crits = [(c["id"], cond(c["when"])) for c in rules["criteria"]]
    rules_by_level = [(o["level"], cond(o["when"])) for o in rules["outcomes"] if "when" in o]
    lines = [
        "import sys",
        "import polars as pl",
        "df = pl.scan_csv(sys.argv[1], infer_schema=False).with_columns(",
        *(
            f'    (pl.col("{q}").str.to_lowercase() == "yes"),'
            if t == "boolean"
            else f'    pl.col("{q}").cast(pl.Float64, strict=False),'
            for q, t in types.items()
            if t in ("boolean", "integer", "number")
        ),
        ")",
        "flags = {",
        *(f"    {name!r}: ({level!r}, {e})," for name, level, e in flags),
        "}",
        "crits = {",
        *(f"    {name!r}: {e}," for name, e in crits),
        "}",
        "df = df.with_columns(",
        *(f"    {e}.alias('rf_{name}')," for name, _, e in flags),
        *(f"    {e}.alias('cr_{name}')," for name, e in crits),
        ")",
        "met = pl.sum_horizontal([pl.col(f'cr_{c}').cast(pl.Int32) for c in crits])",
        "level = (",
        "    pl.when(pl.any_horizontal([pl.col(f'rf_{n}') for n, (lv, _) in flags.items() if lv == 'emergency']))",
        "    .then(pl.lit('emergency'))",
        "    .when(pl.any_horizontal([pl.col(f'rf_{n}') for n, (lv, _) in flags.items() if lv == 'see_doctor']))",
        "    .then(pl.lit('see_doctor'))",
        *(f"    .when({e}).then(pl.lit({lv!r}))" for lv, e in rules_by_level),
        "    .when(met == 0).then(pl.lit('self_care'))",
        "    .when(met <= 2).then(pl.lit('pt_consider'))",
        "    .otherwise(pl.lit('pt_recommended'))",
        ")",
        "def names(prefix, ids):",
        "    return pl.concat_str([pl.when(pl.col(prefix + i)).then(pl.lit(i)) for i in ids], separator=';',"
        " ignore_nulls=True)",
        "out = df.select(",
        "    pl.int_range(1, pl.len() + 1).alias('row'),",
        "    pl.col('id'),",
        "    pl.lit('ok').alias('status'),",
        "    level.alias('level'),",
        "    names('rf_', flags).alias('red_flags'),",
        "    names('cr_', crits).alias('criteria_met'),",
        ")",
        "out.sink_csv(sys.argv[2])",
    ]
    return "\n".join(lines) + "\n"


# --- timing ---------------------------------------------------------------------------------------------


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process (with its helper processes)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


def data(records: int, varied: bool) -> Path:
    kind = "varied" if varied else "plain"
    # not bench_memo.py's stm-bench-varied-N.csv: its varied records are made another way
    path = Path(tempfile.gettempdir()) / f"stm-bench-{gen_records.DATA}-polars-{kind}-{records}.csv"
    if not path.exists():
        part = path.with_suffix(".part")
        with part.open("w", newline="", encoding="utf-8") as f:
            gen_records.write(records, f, seed=1, varied=varied)
        part.replace(path)
    return path


def measure(records: int, varied: bool, repeat: int, peer: Path, cmd: list[str]) -> dict[str, Any]:
    path = data(records, varied)
    tmp = Path(tempfile.gettempdir())
    outs = {k: tmp / f"stm-bench-polars-out-{k}.csv" for k in ("batch", "exact", "polars")}
    exact_env = {**ENV, "STM_SCREEN_FAST": "0"}
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in ("batch", "exact", "polars", "csv_reader")}
    for _ in range(repeat):  # interleaved, so all see the same machine load
        runs["csv_reader"].append(timed([sys.executable, "-c", BARE, str(path)]))
        runs["polars"].append(timed([sys.executable, str(peer), str(path), str(outs["polars"])]))
        runs["batch"].append(timed([*cmd, "batch", str(path), "-o", str(outs["batch"])]))
        runs["exact"].append(timed([*cmd, "batch", str(path), "-o", str(outs["exact"])], exact_env))
    best = {k: min(w for w, _ in v) for k, v in runs.items()}
    peak = {k: max(m for _, m in v) for k, v in runs.items()}
    return {
        "records": records,
        "answers": "varied" if varied else "plain",
        "file_mb": round(path.stat().st_size / 1e6, 1),
        **{f"{k}_s": round(v, 2) for k, v in best.items()},
        "batch_vs_polars": round(best["batch"] / best["polars"], 2),
        "exact_vs_polars": round(best["exact"] / best["polars"], 2),
        "batch_vs_csv_reader": round(best["batch"] / best["csv_reader"], 2),
        "exact_vs_csv_reader": round(best["exact"] / best["csv_reader"], 2),
        **{f"{k}_peak_mb": round(v, 1) for k, v in peak.items()},
        "same_output_as_exact": filecmp.cmp(outs["batch"], outs["exact"], shallow=False),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    ap.add_argument(
        "--varied-records",
        type=int,
        nargs="*",
        default=[200_000],
        help="sizes of the varied-answers files (each record about its own outcome: the scorer runs per record)",
    )
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    peer = Path(tempfile.gettempdir()) / "stm-bench-polars-peer.py"
    peer.write_text(peer_source(), encoding="utf-8")
    exe = shutil.which("stm-screen") or str(Path(sys.executable).parent / "stm-screen")
    cmd = [exe] if Path(exe).exists() else [sys.executable, "-m", "stm_screen"]
    runs = [(records, False) for records in args.records] + [
        (records, True) for records in args.varied_records
    ]
    rows = [measure(records, varied, args.repeat, peer, cmd) for records, varied in runs]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        for key, value in row.items():
            print(f"{key:>22}: {value}")
        meets = row["batch_vs_polars"] <= 1.5 and row["same_output_as_exact"]
        print(f"{'goal':>22}: batch <= 1.5 x polars, same bytes -> {'meets' if meets else 'MISSES'}")
        memory = "meets" if row["exact_peak_mb"] < 100 else "MISSES"
        print(f"{'goal (default install)':>22}: peak < 100 MB -> {memory}")
        print()


if __name__ == "__main__":
    main()
