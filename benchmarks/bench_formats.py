"""XLSX and JSONL input against the same records as CSV, and the workbook's peak memory (issue 15).

    python benchmarks/bench_formats.py                      # 100,000 records, 3 rounds
    python benchmarks/bench_formats.py --records 20000 --repeat 5

The records of ``gen_records.py`` are written three (four) ways: CSV; XLSX as a program writes it
(openpyxl: numbers as numbers, every text inline in the sheet); XLSX as a spreadsheet saves it (the same
sheet with a shared-strings table, as Excel and Microsoft Forms write); JSONL (one object of field -> text
a line, as REDCap's API). Each round runs ``stm-screen batch FILE -o OUT`` once per format, in turn, as a
user runs it (a fresh process: start-up, rules loading, reading, scoring, writing the output file); the
figures are medians, the ratios are of medians against CSV in the same run. Peak memory is the largest
single process of a run (the command or one of its helpers), from wait4. The outputs must be identical.

Goals: XLSX <= 3x CSV, JSONL <= 1.5x CSV, XLSX peak memory < 200 MB.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_records  # noqa: E402

GOALS = {"xlsx": 3.0, "xlsx_shared": 3.0, "jsonl": 1.5}
PEAK_GOAL_MB = 200
# As after a normal install: bytecode compiled and kept for the command's runs.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _cell(text: str) -> object:
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def input_paths(n: int, folder: Path) -> dict[str, Path]:
    return {
        "csv": folder / f"records-{gen_records.DATA}-{n}.csv",
        "xlsx": folder / f"records-{gen_records.DATA}-{n}.xlsx",
        "xlsx_shared": folder / f"records-{gen_records.DATA}-{n}-shared.xlsx",
        "jsonl": folder / f"records-{gen_records.DATA}-{n}.jsonl",
    }


def make_inputs(n: int, folder: Path) -> dict[str, Path]:
    """The same records as CSV, XLSX (inline strings), XLSX (shared strings) and JSONL (made once)."""
    paths = input_paths(n, folder)
    if all(p.exists() for p in paths.values()):
        return paths
    with paths["csv"].open("w", newline="", encoding="utf-8") as f:
        gen_records.write(n, f)
    with paths["csv"].open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for i, row in enumerate(rows):
        ws.append(row if i == 0 else [_cell(c) for c in row])
    wb.save(paths["xlsx"])
    shared_strings(paths["xlsx"], paths["xlsx_shared"])
    with paths["jsonl"].open("w", encoding="utf-8") as out:
        for row in rows[1:]:
            out.write(json.dumps(dict(zip(rows[0], row, strict=True))) + "\n")
    return paths


def shared_strings(src: Path, dst: Path) -> None:
    """The workbook with its inline texts moved to a shared-strings table, as a spreadsheet saves it."""
    with zipfile.ZipFile(src) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
        table: dict[bytes, int] = {}

        def shared(m: re.Match[bytes]) -> bytes:
            return b't="s"><v>%d</v>' % table.setdefault(m.group(1), len(table))

        sheet = re.sub(rb't="inlineStr"><is><t>([^<]*)</t></is>', shared, sheet).replace(b' t="n"', b"")
        sst = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats'
            b'.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
            % (sheet.count(b't="s"'), len(table))
            + b"".join(b"<si><t>" + t + b"</t></si>" for t in table)
            + b"</sst>"
        )
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
            for item in z.infolist():
                data = z.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = sheet
                elif item.filename == "[Content_Types].xml":
                    data = data.replace(
                        b"</Types>",
                        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                    )
                elif item.filename == "xl/_rels/workbook.xml.rels":
                    data = data.replace(
                        b"</Relationships>",
                        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                    )
                out.writestr(item.filename, data)
            out.writestr("xl/sharedStrings.xml", sst)


def run(cmd: list[str], path: Path, out: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, helpers included) and peak RSS (MB, the largest single
    process of the command and its helpers)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "batch", str(path), "-o", str(out)],
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        env=ENV,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # 1: some records had errors or were incomplete (still written)
        raise SystemExit(f"stm-screen batch {path.name} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="rounds (each runs every format once)")
    ap.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()), help="where inputs are kept")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--make-inputs", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make_inputs:
        make_inputs(args.records, args.folder)
        return
    # Inputs are made by another process: a child's peak memory, as the kernel counts it, starts from the
    # memory of the process it was started from, which must stay small.
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--make-inputs",
            "--records",
            str(args.records),
            "--folder",
            str(args.folder),
        ],
        check=True,
    )

    subprocess.run(  # bytecode compiled, as after an install (in another process, as above)
        [
            sys.executable,
            "-c",
            "import compileall, pathlib, stm_screen; "
            "compileall.compile_dir(pathlib.Path(stm_screen.__file__).parent, quiet=1)",
        ],
        check=True,
    )
    exe = shutil.which("stm-screen")
    cmd = [exe] if exe else [sys.executable, "-m", "stm_screen"]
    paths = input_paths(args.records, args.folder)
    work = Path(tempfile.mkdtemp(prefix="bench-formats-"))
    times: dict[str, list[float]] = {k: [] for k in paths}
    cpu: dict[str, list[float]] = {k: [] for k in paths}
    peaks: dict[str, float] = dict.fromkeys(paths, 0.0)
    try:
        for kind, path in paths.items():  # warm-up (page cache, bytecode)
            run(cmd, path, work / f"{kind}.csv")
        for _ in range(args.repeat):
            for kind, path in paths.items():
                wall, used, peak = run(cmd, path, work / f"{kind}.csv")
                times[kind].append(wall)
                cpu[kind].append(used)
                peaks[kind] = max(peaks[kind], peak)
        same = all(filecmp.cmp(work / "csv.csv", work / f"{k}.csv", shallow=False) for k in paths)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    median = {k: statistics.median(v) for k, v in times.items()}
    figures: dict[str, object] = {"records": args.records, "rounds": args.repeat}
    for kind in paths:
        figures[f"{kind}_s"] = round(median[kind], 2)
    for kind, goal in GOALS.items():
        ratio = median[kind] / median["csv"]
        figures[f"{kind}_vs_csv"] = round(ratio, 2)
        figures[f"{kind}_goal"] = f"<= {goal}x: {'meets' if ratio <= goal else 'misses'}"
    for kind in paths:  # CPU time: what a busy machine shows (helpers cannot run beside the main process)
        figures[f"{kind}_cpu_s"] = round(statistics.median(cpu[kind]), 2)
    for kind in paths:
        figures[f"{kind}_peak_mb"] = round(peaks[kind], 1)
    figures["xlsx_peak_goal"] = (
        f"< {PEAK_GOAL_MB} MB: {'meets' if max(peaks['xlsx'], peaks['xlsx_shared']) < PEAK_GOAL_MB else 'misses'}"
    )
    figures["same_output"] = same
    figures["cpus"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    figures["load_avg_1min"] = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    figures["python"] = platform.python_version()
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:>{width}}: {value}")


if __name__ == "__main__":
    main()
