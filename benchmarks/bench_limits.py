"""Every documented input limit also bounds the work: hostile inputs at the limits, timed.

    python benchmarks/bench_limits.py            # all cases, 3 runs each (the median is shown)
    python benchmarks/bench_limits.py --runs 1

Each case runs the installed ``stm-screen`` in a fresh process on a file made to cost as much as the limits
allow, and reports its wall time and peak memory (RSS), next to the floor measured in the same run: the
start-up of ``stm-screen --version``. Goals (issue 10): a rules file at the size limit is refused or loaded
in under 1 s and 100 MB; a rules folder at the file-count limit loads in under 2 s; a resume file has a size
limit; a 1,000,000-column header is refused or read in under 2 s; a survey export with a cell at the 16 MB
limit (CSV, TSV, JSON, JSON Lines, a workbook's shared or inline text), just over it (its record an error
row, in those formats and FHIR), or of millions of line breaks, is refused or scored in under 150 MB with the default install (``STM_SCREEN_FAST=0``: no
columnar reader) and in time in proportion to the file (goal 10 s here), with ``--jobs 1`` and by default.
Times include start-up.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import string
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

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


def titled_csv(tmp: Path, columns: int) -> Path:
    """A header of the bundled questions' titles as people write them (their texts in each language, ids
    and aliases, numbered, in capitals, a letter swapped or a word added), delimiters taken out: most are
    no exact match, so each of the first MAX_GUESSES such columns is compared with every question."""
    from stm_screen.screening import load_rules

    titles = [
        title.replace(",", " ").replace(";", " ")
        for q in load_rules().questions
        for title in (q.id, str(q.text.default), *map(str, q.text.by_lang.values()), *q.aliases)
    ]
    rng = random.Random(5)

    def variant(i: int) -> str:
        title = rng.choice(titles)
        k = rng.randrange(4)
        if k == 0 and len(title) > 3:
            at = rng.randrange(len(title) - 1)
            return title[:at] + title[at + 1] + title[at] + title[at + 2 :]
        return (f"Q{i}. {title}", title.upper(), f"{title} (please answer)", title)[k]

    path = tmp / f"titled-{columns}.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(variant(i) for i in range(columns)) + "\n")
        f.write(",".join("1" for _ in range(columns)) + "\n")
    return path


# --- survey exports with a cell at the 16 MB limit (issue 10: a cell costs a few copies of it) -----------

CELL = 16 * 1024 * 1024  # README's Limits: a cell of a survey export (csv.field_size_limit in batch.readers)
_spec = importlib.util.spec_from_file_location("gen_records", ROOT / "benchmarks" / "gen_records.py")
assert _spec is not None and _spec.loader is not None
gen_records = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_records)


def _records(n: int = 6) -> list[list[str]]:
    rng = random.Random(1)
    return [gen_records.record(i, rng) for i in range(n)]


def _quoted(cell: str, delimiter: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in (delimiter, '"', "\n", "\r")) else cell


def table_with(path: Path, delimiter: str, big: str, raw: bool = False, records: int = 6) -> Path:
    """Six records (or ``records``) of the bundled questions whose middle one has ``big`` as its pain_areas
    (written as it is when ``raw``, else quoted as needed)."""
    header = list(gen_records.HEADER)
    col = header.index("pain_areas")
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(delimiter.join(header) + "\n")
        for i, record in enumerate(_records(records)):
            cells = [_quoted(c, delimiter) for c in record]
            if i == (2 if records == 6 else records // 2):
                cells[col] = big if raw else _quoted(big, delimiter)
            f.write(delimiter.join(cells) + "\n")
    return path


def json_with(path: Path, big: str, lines: bool) -> Path:
    records = [dict(zip(gen_records.HEADER, r, strict=True)) for r in _records()]
    records[2]["pain_areas"] = big
    text = "".join(json.dumps(r) + "\n" for r in records) if lines else json.dumps(records)
    path.write_text(text, encoding="utf-8")
    return path


def fhir_with(path: Path, big: str) -> Path:
    """The same six records as FHIR QuestionnaireResponses in one Bundle (every answer a valueString)."""
    header = list(gen_records.HEADER)
    records = [dict(zip(header, r, strict=True)) for r in _records()]
    records[2]["pain_areas"] = big
    responses = [
        {"resourceType": "QuestionnaireResponse", "id": r["id"], "status": "completed",
         "item": [{"linkId": k, "answer": [{"valueString": r[k]}]} for k in header[1:] if r[k]]}
        for r in records
    ]  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in responses]}
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def _column(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def workbook_with(path: Path, big: str, shared: bool) -> Path:
    """A workbook of the same six records, every text shared (``shared``) or written inline in the sheet."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    rows = [list(gen_records.HEADER), *(list(r) for r in _records())]
    rows[3][rows[0].index("pain_areas")] = big
    texts: dict[str, int] = {}
    xml = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row):
            if not value:
                continue
            if shared:
                cells.append(f'<c r="{_column(c)}{r}" t="s"><v>{texts.setdefault(value, len(texts))}</v></c>')
            else:
                cells.append(f'<c r="{_column(c)}{r}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        xml.append(f'<row r="{r}">{"".join(cells)}</row>')
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kind}.worksheet+xml"/>'
        + (f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}.sharedStrings+xml"/>' if shared else "")
        + "</Types>",
        "_rels/.rels": head + f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
        f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": head + f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": head + f'<Relationships xmlns="{pkg}">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        + (f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>' if shared else "")
        + "</Relationships>",
        "xl/worksheets/sheet1.xml": head + f'<worksheet xmlns="{main}"><sheetData>{"".join(xml)}</sheetData></worksheet>',
    }
    if shared:
        items = "".join(f"<si><t>{escape(t)}</t></si>" for t in texts)
        parts["xl/sharedStrings.xml"] = head + f'<sst xmlns="{main}" count="{len(texts)}" uniqueCount="{len(texts)}">{items}</sst>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def cell_cases(tmp: Path) -> dict[str, Path]:
    """Exports of six records, the third with a cell at the limit (or just over it, or made of line breaks)."""
    x = "x" * CELL
    # letters at random: a workbook part of one letter repeated would be refused as a zip bomb (200x)
    noise = "".join(random.Random(2).choices(string.ascii_letters, k=CELL))
    cases: dict[str, Path] = {}
    for ext, d in (("csv", ","), ("tsv", "\t")):
        cases[f"{ext.upper()}, a 16 MB cell"] = table_with(tmp / f"cell.{ext}", d, x)
        if ext == "csv":  # (after the first 2,048 records: the columnar reader's turn, when installed)
            cases["CSV, a 16 MB cell among 6,000 records"] = table_with(tmp / "many.csv", d, x, records=6000)
        cases[f"{ext.upper()}, a cell of 16 MB + 1 (an error row)"] = table_with(tmp / f"over.{ext}", d, x + "x")
        cases[f"{ext.upper()}, 3,000,000 line feeds in quotes"] = table_with(tmp / f"lf.{ext}", d, "\n" * 3_000_000)
        cases[f"{ext.upper()}, 3,000,000 quoted lines 'ab'"] = table_with(tmp / f"ab.{ext}", d, "ab\n" * 3_000_000)
        cases[f"{ext.upper()}, 1,000,000 bare CRs, unquoted"] = table_with(tmp / f"cr.{ext}", d, "a\r" * 1_000_000, raw=True)
    for lines, ext in ((False, "json"), (True, "jsonl")):
        cases[f"{ext.upper()}, a 16 MB string"] = json_with(tmp / f"cell.{ext}", x, lines)
        cases[f"{ext.upper()}, a string of 16 MB + 1 (an error row)"] = json_with(tmp / f"over.{ext}", x + "x", lines)
    cases["FHIR, an answer of 16 MB + 1 (an error row)"] = fhir_with(tmp / "over-fhir.json", x + "x")
    cases["XLSX, a 16 MB shared text"] = workbook_with(tmp / "shared.xlsx", noise, shared=True)
    cases["XLSX, a 16 MB inline text"] = workbook_with(tmp / "inline.xlsx", noise, shared=False)
    cases["XLSX, a shared text of 16 MB + 1 (an error row)"] = workbook_with(tmp / "over-shared.xlsx", noise + "x", shared=True)
    cases["XLSX, an inline text of 16 MB + 1 (an error row)"] = workbook_with(tmp / "over-inline.xlsx", noise + "x", shared=False)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="only the cases whose label holds this text (and the floor)")
    args = parser.parse_args()
    rows: list[tuple[str, float, float, int, float, float]] = []

    def measure(label: str, argv: list[str], goal_s: float, goal_mb: float, env: dict[str, str] | None = None) -> None:
        if args.only and args.only not in label and rows:
            return
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
        path = titled_csv(tmp, 9_999)
        measure("batch --suggest-map, 9,999 columns titled as people do", ["batch", str(path), "--suggest-map"], 2.0, 100)
        out = str(tmp / "out.csv")
        for label, path in cell_cases(tmp).items():
            for jobs in (["--jobs", "1"], []):
                measure(
                    f"batch {' '.join(jobs) or '(default jobs)'}: {label}",
                    ["batch", str(path), "-o", out, *jobs],
                    10.0,
                    150,
                    {"STM_SCREEN_FAST": "0"},
                )
    floor = rows[0][1]
    print(f"{'case':<70} {'wall':>8} {'x floor':>8} {'peak RSS':>9} exit  goal")
    for label, wall, rss, code, goal_s, goal_mb in rows:
        ok = "meets" if wall < goal_s and rss < goal_mb else "MISSES"
        print(f"{label:<70} {wall:7.2f}s {wall / floor:7.1f}x {rss:7.0f} MB {code:>4}  <{goal_s:g} s, <{goal_mb:g} MB: {ok}")


if __name__ == "__main__":
    main()
