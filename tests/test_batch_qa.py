"""Adversarial inputs found in QA of ``stm-screen batch``: each test pins a bug that was fixed."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from pathlib import Path

import pytest

from tests.batch_helpers import fixtures, invoke, rows

# A whole pt-screen 2.0 record: 40 years old, 24 months of low back pain, no warning signs, activity 7,
# tight muscles and flare-ups (pt_recommended). pain_intensity is the third question (tests edit it there).
SAFETY = fixtures.SAFETY
QIDS = ["pain_duration_months", "pain_areas", "pain_intensity", "age_years", "pregnant", "pain_trend", *SAFETY,
        "activity_limitation", "tightness_trigger_points", "recurrent_flare_ups", "fear_of_movement"]  # fmt: skip
ANSWERS = ["24", "low_back", "6", "40", "no", "same", *["no"] * len(SAFETY), "7", "yes", "yes", "no"]
RECORD = {"id": "a1", **dict(zip(QIDS, ANSWERS, strict=True))}


def write_csv(path: Path, *records: list[str]) -> Path:
    lines = [",".join(["id", *QIDS])] + [",".join(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX FIFOs")
def test_output_to_a_fifo_or_device_is_written_in_place(tmp_path: Path) -> None:
    """`-o /dev/null` (or a FIFO) must be written to, never replaced by a renamed temp file."""
    src = write_csv(tmp_path / "in.csv", ["a1", *ANSWERS])
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[str] = []

    def read() -> None:
        with open(fifo, encoding="utf-8") as f:
            got.append(f.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        result = invoke(str(src), "-o", str(fifo))
        reader.join(timeout=5)
    finally:
        if reader.is_alive():  # the command never opened the FIFO: unblock the reader
            with open(fifo, "w", encoding="utf-8"):
                pass
            reader.join(timeout=5)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was replaced by a regular file"
    assert result.exit_code == 0, result.output
    assert got and got[0].startswith("row,id,status")
    assert [p.name for p in tmp_path.iterdir()] == ["in.csv", "out.fifo"] or sorted(
        p.name for p in tmp_path.iterdir()
    ) == ["in.csv", "out.fifo", "stm-home"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "deep.json",
            "[" + "[" * 100_000 + "]" * 100_000 + "]",
            "x.json:1:2: not valid JSON: nested too deeply",
        ),
        ("deep1.json", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "not valid JSON: nested too deeply"),
        ("deep.jsonl", json.dumps(RECORD) + "\n" + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
        ("big.json", json.dumps([RECORD]).replace('"6"', "1" + "0" * 5000), "' is too large"),
        ("big.jsonl", json.dumps(RECORD).replace('"6"', "1" + "0" * 5000) + "\n", "' is too large"),
    ],
)
def test_hostile_json_is_a_clear_error_not_a_crash(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    result = invoke(str(p))
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.stderr
    assert message in (result.stderr + result.stdout).replace(name, "x.json")


def test_jsonl_broken_line_is_one_error_record(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    good = json.dumps(RECORD)
    p.write_text("\n".join([good, '{"id": "b", broken', "[1, 2]", good]) + "\n", encoding="utf-8")
    result = invoke(str(p))
    assert result.exit_code == 1, result.output
    got = rows(result.stdout)
    assert [r["row"] for r in got] == ["1", "2", "3", "4"]
    assert [r["status"] for r in got] == ["ok", "error", "error", "ok"]
    assert "not valid JSON" in got[1]["error"] and f"{p}:2:" in got[1]["error"]
    assert "not an object" in got[2]["error"]
    assert "row 2" in result.stderr


def test_fhir_response_without_answers_mid_file_is_a_record(tmp_path: Path) -> None:
    """An in-progress response with no items is an unanswered record, not the end of the run."""

    def qr(rid: str, items: list[dict[str, object]]) -> dict[str, object]:
        return {"resourceType": "QuestionnaireResponse", "id": rid, "status": "completed", "item": items}

    items = [{"linkId": "pain_intensity", "answer": [{"valueInteger": 3}]}]
    p = tmp_path / "f.json"
    p.write_text(json.dumps([qr("1", items), qr("2", []), qr("3", items)]), encoding="utf-8")
    result = invoke(str(p), "--allow-missing")  # responses answering one question
    assert result.exit_code == 0, result.output
    got = rows(result.stdout)
    assert [(r["row"], r["id"], r["status"]) for r in got] == [
        ("1", "1", "incomplete"),
        ("2", "2", "incomplete"),
        ("3", "3", "incomplete"),
    ]
    p.write_text(json.dumps([qr("1", []), qr("2", items)]), encoding="utf-8")  # empty one first
    result = invoke(str(p), "--allow-missing")
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in rows(result.stdout)] == ["incomplete", "incomplete"]
    assert "no column for questions: pregnant, pain_trend," in result.stderr  # said of record 2
    assert "pain_intensity," not in result.stderr.split("no column for questions:")[1].split("\n")[0]
    # the safety questions without a column: named once, in the summary
    assert result.stderr.count("no column for warning-sign questions age_years, pain_duration_months") == 1


def test_json_record_with_other_keys_mid_file_does_not_stop_the_run(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    dup = {**RECORD, "id": "d", "Pain_Intensity": "5"}
    p.write_text(json.dumps([RECORD, {"id": "b"}, {"id": "c", "other": "1"}, dup, RECORD]), encoding="utf-8")
    result = invoke(str(p))
    assert result.exit_code == 1, result.output
    got = rows(result.stdout)
    assert [(r["row"], r["status"]) for r in got] == [
        ("1", "ok"),
        ("2", "incomplete"),
        ("3", "incomplete"),
        ("4", "error"),
        ("5", "ok"),
    ]
    assert "both answer 'pain_intensity'" in got[3]["error"]


def test_json_first_record_matching_nothing_is_still_a_mapping_error(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    p.write_text(json.dumps([{"id": "c", "other": "1"}, RECORD]), encoding="utf-8")
    result = invoke(str(p))
    assert result.exit_code == 2
    assert "no column matches a question" in result.stderr


def test_fhir_with_mapping_and_an_item_left_out(tmp_path: Path) -> None:
    """Unanswered FHIR items are left out of the response: a mapped linkId missing from one response
    is an unanswered question, not a mapping error (it is one only when no response has it)."""
    m = tmp_path / "map.yaml"
    m.write_text("columns:\n  q-pain: pain_intensity\n  q-months: pain_duration_months\n", encoding="utf-8")

    def qr(rid: str, items: list[dict[str, object]]) -> dict[str, object]:
        return {"resourceType": "QuestionnaireResponse", "id": rid, "status": "completed", "item": items}

    pain = {"linkId": "q-pain", "answer": [{"valueInteger": 3}]}
    months = {"linkId": "q-months", "answer": [{"valueInteger": 30}]}
    p = tmp_path / "f.json"
    p.write_text(json.dumps([qr("1", [pain, months]), qr("2", [pain]), qr("3", [months])]), encoding="utf-8")
    result = invoke(str(p), "--map", str(m), "--allow-missing")
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in rows(result.stdout)] == ["incomplete"] * 3
    m.write_text("columns:\n  q-pain: pain_intensity\n  q-typo: pain_duration_months\n", encoding="utf-8")
    result = invoke(str(p), "--map", str(m), "-o", str(tmp_path / "out.csv"), "--allow-missing")
    assert result.exit_code == 2, result.output
    assert "column 'q-typo' is not in" in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_control_characters_never_reach_stderr_or_split_lines(tmp_path: Path) -> None:
    """A cell with a line break or a terminal escape sequence: one line per problem, nothing raw."""
    a = ["a1", *ANSWERS]
    a[3] = '"5\n=1+1"'
    b = ["b1", *ANSWERS]
    b[3] = "\x1b[31mRED\x1b[0m"
    src = write_csv(tmp_path / "in.csv", a, b)
    result = invoke(str(src))
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\x1b" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if "row " in line]
    assert len(errors) == 2 and all("pain_intensity" in line for line in errors)
    got = rows(result.stdout)
    assert "\n" not in got[0]["error"] and "'5\\n=1+1' is not a number" in got[0]["error"]
    assert "'\\x1b[31mRED\\x1b[0m' is not a number" in got[1]["error"]


def test_stderr_names_the_problem_but_never_the_answer(tmp_path: Path) -> None:
    a = ["a1", *ANSWERS]
    a[3] = "11"
    b = ["b1", *ANSWERS]
    b[2] = "low_back;secretpart"
    src = write_csv(tmp_path / "in.csv", a, b)
    result = invoke(str(src))
    assert result.exit_code == 1
    assert "row 1: pain_intensity: the value is out of range; allowed: a whole number" in result.stderr
    assert "row 2: pain_areas: the value is not a choice" in result.stderr
    assert "'11'" not in result.stderr and "secretpart" not in result.stderr
    assert "a1" not in result.stderr and "b1" not in result.stderr
    got = rows(result.stdout)
    assert "'11' is out of range" in got[0]["error"] and "'secretpart'" in got[1]["error"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_disk_full_is_a_clear_error_not_an_internal_one(tmp_path: Path) -> None:
    import subprocess

    src = write_csv(tmp_path / "in.csv", ["a1", *ANSWERS])
    with open("/dev/full", "w", encoding="utf-8") as full:  # opened, never replaced
        proc = subprocess.run(
            [sys.executable, "-m", "stm_screen", "batch", str(src)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 1, proc.stderr
    assert "internal error" not in proc.stderr
    assert "cannot write to standard output" in proc.stderr and "full" in proc.stderr


def test_qualtrics_with_its_extra_header_rows_deleted_keeps_the_first_record(tmp_path: Path) -> None:
    """People often delete Qualtrics' rows 2 and 3 before sharing: the first response is data, not a
    legacy second header row, and must not vanish."""
    import csv

    from tests.batch_helpers import BATCH

    with (BATCH / "qualtrics.csv").open(newline="", encoding="utf-8-sig") as f:
        src = list(csv.reader(f))
    one = tmp_path / "q.csv"
    with one.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([src[0], *src[3:]])
    tags = [c for c in src[0] if c.startswith("Q")]
    texts = dict(zip(src[0], src[1], strict=False))
    m = tmp_path / "map.yaml"
    from stm_screen.batch.presets import norm
    from stm_screen.rules.loader import load_ruleset

    # the question text as the export has it, or an earlier wording kept as an alias
    by_text = {norm(t): q.id for q in load_ruleset().questions for t in (*q.aliases, q.text.default)}
    lines = ["columns:"]
    for tag in tags:
        text = texts[tag].removesuffix(" - Selected Choice")
        lines.append(f"  {tag}: {by_text[norm(text)]}")
    m.write_text("\n".join(lines) + "\n", encoding="utf-8")
    full = invoke(str(BATCH / "qualtrics.csv"))
    result = invoke(str(one), "--map", str(m))
    assert [r["id"] for r in rows(result.stdout)] == [r["id"] for r in rows(full.stdout)]
    assert len(rows(result.stdout)) == len(src) - 3


@pytest.mark.skipif(not os.path.isdir("/dev/fd"), reason="needs /dev/fd")
@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_input_from_a_pipe(tmp_path: Path, kind: str) -> None:
    """`stm-screen batch <(zcat export.csv.gz)` or /dev/stdin: a pipe cannot seek back to the start."""
    header = ",".join(["id", *QIDS]) + "\n"
    line = ",".join(["a1", *ANSWERS]) + "\n"
    data = header + line * 30_000 if kind == "csv" else (json.dumps(RECORD) + "\n") * 30_000
    r, w = os.pipe()

    def feed() -> None:
        with os.fdopen(w, "wb") as f:
            f.write(data.encode())

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        result = invoke(f"/dev/fd/{r}", "-o", str(tmp_path / "out.csv"))
    finally:
        feeder.join(timeout=10)
        os.close(r)
    assert result.exit_code == 0, result.output
    got = rows((tmp_path / "out.csv").read_text(encoding="utf-8"))
    assert len(got) == 30_000 and {g["status"] for g in got} == {"ok"}
    assert got[-1]["row"] == "30000"


def test_memo_reset_with_more_bad_cells_in_one_row_than_the_limit(tmp_path: Path) -> None:
    """Error messages were remembered in one list for all columns: a row with more bad cells than the
    limit reset the memos again on every retry and never finished."""
    import subprocess

    src = write_csv(
        tmp_path / "in.csv",
        ["a1", *ANSWERS],
        ["b1", *[f"bad{i}" for i in range(len(ANSWERS))]],
        ["c1", *ANSWERS],
    )
    code = (
        "import io, sys\n"
        "from stm_screen.batch import scoring\n"
        "from stm_screen.batch.output import CsvWriter\n"
        "from stm_screen.batch.runner import Batch, BatchSettings\n"
        "from stm_screen.rules.loader import load_ruleset\n"
        "scoring.MAX_TOKENS = 3\n"
        "out = io.StringIO()\n"
        f"Batch(load_ruleset(), None, BatchSettings()).run({str(src)!r}, CsvWriter(out, with_file=False))\n"
        "sys.stdout.write(out.getvalue())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    got = rows(proc.stdout)
    assert [g["status"] for g in got] == ["ok", "error", "ok"]
    assert got[1]["error"].count("is not") == len(ANSWERS)


def test_semicolon_file_whose_question_texts_hold_commas(tmp_path: Path) -> None:
    """A European spreadsheet saves ';'-separated CSV without quoting commas: the header alone has more
    commas than semicolons, the data lines show the delimiter."""
    from stm_screen.rules.loader import load_ruleset

    by = {q.id: q.text.default for q in load_ruleset().questions}
    cols = ["pain_intensity", "stroke_signs", "progressive_weakness", "bladder_bowel_change"]
    p = tmp_path / "eu.csv"
    lines = [";".join(["ID", *(by[c] for c in cols)]), "p1;6;No;Yes;No", "p2;3,5;No;No;No", "p3;4;No;No;No"]
    assert lines[0].count(",") > lines[0].count(";")
    p.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    result = invoke(str(p), "--allow-missing")  # four questions only
    got = rows(result.stdout)
    assert [g["id"] for g in got] == ["p1", "p2", "p3"], result.output
    assert "'3,5' is not a whole number" in got[1]["error"] or "not a number" in got[1]["error"]
    assert got[0]["red_flags"] == "weakness_getting_worse"


def test_fhir_quantity_with_a_ucum_code_reads_its_value(tmp_path: Path) -> None:
    """valueQuantity carries a unit code ('mo'); the answer is its value, not the code."""
    qr = {
        "resourceType": "QuestionnaireResponse",
        "id": "q1",
        "status": "completed",
        "item": [
            {
                "linkId": "pain_duration_months",
                "answer": [
                    {
                        "valueQuantity": {
                            "value": 24,
                            "unit": "months",
                            "system": "http://unitsofmeasure.org",
                            "code": "mo",
                        }
                    }
                ],
            }
        ],
    }
    p = tmp_path / "f.json"
    p.write_text(json.dumps(qr), encoding="utf-8")
    result = invoke(str(p), "--allow-missing")  # one question only
    got = rows(result.stdout)
    assert got[0]["status"] == "incomplete", got
    assert "long_lasting_pain" in got[0]["criteria_met"]


def test_output_on_a_non_utf8_stdout_is_utf8_not_a_crash(tmp_path: Path) -> None:
    """A legacy locale (or a Windows console) gives stdout an encoding without CJK: the CSV is UTF-8,
    as with --output, instead of an internal error."""
    import subprocess

    src = write_csv(tmp_path / "in.csv", ["東京", *ANSWERS])
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for fmt in ("csv", "jsonl"):
        proc = subprocess.run(
            [sys.executable, "-m", "stm_screen", "batch", str(src), "-f", fmt],
            capture_output=True,
            env=env,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        assert "東京" in proc.stdout.decode("utf-8")


def test_jsonl_whose_first_line_is_broken(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_text('{"id": "a", broken\n' + json.dumps(RECORD) + "\n", encoding="utf-8")
    result = invoke(str(p))
    assert result.exit_code == 1, result.output
    assert [r["status"] for r in rows(result.stdout)] == ["error", "ok"]
    suggested = invoke(str(p), "--suggest-map")
    assert suggested.exit_code == 0 and '"pain_intensity": pain_intensity' in suggested.stdout


def test_mapping_that_makes_two_columns_answer_one_question_is_a_mapping_error(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["a1", *ANSWERS])
    m = tmp_path / "map.yaml"
    m.write_text("id_column: pain_areas\ncolumns:\n  id: pain_intensity\n", encoding="utf-8")
    result = invoke(str(src), "--map", str(m))
    assert result.exit_code == 2, result.output
    assert f"{m}:3:" in result.stderr and "both answer 'pain_intensity'" in result.stderr


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".json"])
def test_not_utf8_far_into_the_file_names_the_right_line(tmp_path: Path, suffix: str) -> None:
    p = tmp_path / f"late{suffix}"
    if suffix == ".csv":
        good = (",".join(["a1", *ANSWERS]) + "\n").encode()
        head = (",".join(["id", *QIDS]) + "\n").encode()
    elif suffix == ".json":
        good = (json.dumps(RECORD) + ",\n").encode()
        head = b"[\n"
    else:
        good = (json.dumps(RECORD) + "\n").encode()
        head = b""
    bad = good.replace(b"a1", "Jos\xe9".encode("latin-1"), 1)
    p.write_bytes(head + good * 3000 + bad + good.rstrip(b",\n") + (b"]" if suffix == ".json" else b""))
    line = 3000 + (2 if head else 1)
    result = invoke(str(p), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1, result.output
    assert f"late{suffix}:{line}: the file is not UTF-8 text" in result.stderr


def test_xlsx_zip_bomb_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    import openpyxl  # type: ignore[import-untyped]

    from stm_screen.batch import readers

    ok = tmp_path / "ok.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["id", *QIDS])
    wb.active.append(["a1", *ANSWERS])
    wb.save(ok)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(ok) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                cell = (
                    b'<row r="9"><c r="A9" t="inlineStr"><is><t>' + b"A" * 3_000_000 + b"</t></is></c></row>"
                )
                data = data.replace(b"</sheetData>", cell + b"</sheetData>")
            dst.writestr(item.filename, data)
    monkeypatch.setattr(readers, "XLSX_BIG_PART", 1_000_000)
    assert invoke(str(ok)).exit_code == 0
    result = invoke(str(bomb), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1, result.output
    assert "looks like a zip bomb" in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_stray_quote_does_not_swallow_the_records_after_it(tmp_path: Path) -> None:
    """A cell starting with an unclosed '"' made the csv reader take every following line into it: five
    records vanished into one ragged row (and its id). They are read again; the bad line is an error."""
    good = ",".join(["a1", *ANSWERS])
    in_id = '"b1 oops,' + ",".join(ANSWERS)
    mid = ",".join(["c1", ANSWERS[0], ANSWERS[1], '"6', *ANSWERS[3:]])
    src = tmp_path / "in.csv"
    # the stray quote in the id: no id; after the id: the error row keeps it
    for bad, rid, cell in ((in_id, "", "in.csv:3: a '\"'"), (mid, "c1", "in.csv:3: a '\"'")):
        src.write_text("\n".join([",".join(["id", *QIDS]), good, bad, good, good, good]) + "\n")
        result = invoke(str(src))
        got = rows(result.stdout)
        assert [g["row"] for g in got] == ["1", "2", "3", "4", "5"], result.stdout
        assert [g["status"] for g in got] == ["ok", "error", "ok", "ok", "ok"]
        assert [g["id"] for g in got] == ["a1", rid, "a1", "a1", "a1"]
        assert "stray" in got[1]["error"] and cell in got[1]["error"]
        assert "5 records" in result.stderr


def test_a_ragged_row_with_a_line_break_in_a_cell_stays_one_record(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    short = ",".join(["b1", *ANSWERS[:-3]]) + ',"a note\nover two lines"'
    src.write_text("\n".join([",".join(["id", *QIDS]), short, ",".join(["a1", *ANSWERS])]) + "\n")
    got = rows(invoke(str(src)).stdout)
    assert [(g["row"], g["status"]) for g in got] == [("1", "error"), ("2", "ok")]
    assert "cells but the header has" in got[0]["error"]


def test_json_list_in_a_checkbox_column_is_read_not_a_crash(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    recs = [
        {**RECORD, "pain_areas": "", "pain_areas___low_back": ["1"], "pain_areas___tendon": []},
        {
            **RECORD,
            "id": "b",
            "pain_areas": "",
            "pain_areas___low_back": ["1", "0"],
            "pain_areas___tendon": "0",
        },
    ]
    del recs[0]["pain_areas"], recs[1]["pain_areas"]
    p.write_text(json.dumps(recs), encoding="utf-8")
    result = invoke(str(p))
    assert "internal error" not in result.stderr, result.stderr
    got = rows(result.stdout)
    assert [g["status"] for g in got] == ["ok", "error"]
    assert "2 answers given in the column for 'low_back'" in got[1]["error"]


def test_xlsx_formulas_without_computed_values_are_error_rows(tmp_path: Path) -> None:
    import openpyxl

    p = tmp_path / "f.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["id", *QIDS])
    row: list[object] = ["a1", *ANSWERS]
    row[1] = "=12*2"  # saved by openpyxl: no cached value (once read as blank, with a warning)
    wb.active.append(row)
    wb.save(p)
    result = invoke(str(p))
    assert result.exit_code == 1
    got = rows(result.stdout)
    assert [(g["id"], g["status"]) for g in got] == [("a1", "error")]
    assert "the cell B2 holds a formula whose value was never computed" in got[0]["error"]
    ok = tmp_path / "ok.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["id", *QIDS])
    wb.active.append(["a1", *ANSWERS])
    wb.save(ok)
    fine = invoke(str(ok))
    assert fine.exit_code == 0 and "never computed" not in fine.stdout + fine.stderr
