"""Every CSV stm-screen writes is safe to open in a spreadsheet (issue 10, point 2).

One cell writer (``stm_screen.io.csvcells``) is used by every CSV writer: batch, rules diff, history list and
export, form export's template and REDCap dictionary. These tests check the writer with random text, then
each command's real output with hostile content, by the same rule: read back as CSV it gives the neutralised
cells one for one, and whatever delimiter a spreadsheet guesses (``,`` ``;`` ``|`` tab) and wherever it breaks
lines (CR, LF), no piece starts with a formula character (``= + - @`` tab CR) unless made text with ``'``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.io.csvcells import Number, cell, line, neutral

ROOT = Path(__file__).resolve().parent.parent
FORMULA = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "ok;=cmd",
    "ok, =cmd",
    "ok|@x",
    "ok\r-1",
    "ok\n+1",
    "ok\t=1",
    'a "quoted" =b',
    "  =spaced",
    "-2",
    "|cmd",
    " |x",
    "ok\n|y",
]


def pieces(text: str) -> list[str]:
    """Every piece a spreadsheet could make of a CSV text, whatever it takes for a delimiter or a line."""
    out: list[str] = []
    for delimiter in ",;|\t":
        for raw in re.split(r"\r\n|\r|\n", text):
            out.extend(raw.split(delimiter))
    return out


def assert_spreadsheet_safe(text: str) -> None:
    for piece in pieces(text):
        bare = piece.lstrip(' "')
        assert not bare.startswith(FORMULA[:4]), (piece, text)
    for raw in csv.reader(io.StringIO(text, newline="")):
        for value in raw:  # no part of a cell a spreadsheet could split off starts with a pipe (DDE)
            parts = re.split(r"[,;\t]|\r\n|\r|\n", value)
            assert not any(part.lstrip(" ").startswith("|") for part in parts), (value, text)


alphabet = st.sampled_from(list("=+-@\t\r\n,;| \"'abc1.")) | st.characters(codec="utf-8")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet, max_size=20))
def test_one_cell_reads_back_as_one_neutral_cell(text: str) -> None:
    written = cell(text)
    for delimiter in ",;|\t":  # one cell whatever delimiter the reader assumes
        back = list(csv.reader(io.StringIO(written, newline=""), delimiter=delimiter))
        assert len(back) <= 1 and len(back[0] if back else [""]) == 1, (text, written, delimiter)
    (back,) = csv.reader(io.StringIO(written + "\n", newline="")) if written else ([""],)
    assert back == [neutral(text)]
    assert_spreadsheet_safe(written)
    assert neutral(text).replace("'", "") == text.replace("'", "")  # only quotes are added


def test_a_leading_pipe_is_neutralised_only_where_a_cell_or_line_starts() -> None:
    assert cell("|cmd") == '"\'|cmd"'
    assert cell(" |x") == '" \'|x"'
    assert cell("a\r\n|b") == '"a\r\n\'|b"'
    assert cell("a|b") == '"a|b"'  # a pipe inside a cell is kept as it is
    assert cell("a||b") == '"a||b"'  # (a pipe after a pipe: split there, the part is empty or plain)
    assert cell("a,|b") == '"a,\'|b"' and cell("a;|b") == '"a;\'|b"' and cell("a\t|b") == '"a\t\'|b"'


def test_numbers_written_by_the_tool_keep_their_sign() -> None:
    assert line([-5, 2.5, Number("-1"), "-1", None, True]) == "-5,2.5,-1,'-1,,true\n"


def _hostile_rules(tmp_path: Path) -> Path:
    text = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("text: How many months?", "text: '=HYPERLINK(\"http://x\");@SUM(A1)'")
    text = text.replace("{id: back, label: Back}", "{id: back, label: 'Back;=1+1'}")
    text = text.replace("text: Stiff?", "text: \"Stiff?\\n-2+3\"")
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_form_exports_are_safe(tmp_path: Path) -> None:
    rules = _hostile_rules(tmp_path)
    for fmt in ("csv", "redcap"):
        r = CliRunner().invoke(app, ["form", "export", "--format", fmt, "--rules", str(rules)])
        assert r.exit_code == 0, r.output
        assert fmt == "csv" or "HYPERLINK" in r.stdout
        assert_spreadsheet_safe(r.stdout)
        rows = list(csv.reader(io.StringIO(r.stdout, newline="")))
        assert len({len(row) for row in rows}) == 1  # no cell was split


def _batch_input(tmp_path: Path) -> Path:
    qids = ["months", "stiff", "areas", "neck_level", "fever"]
    lines = [",".join(["id", *qids])]
    for i, bad in enumerate(HOSTILE):
        rid = '"' + bad.replace('"', '""') + '"'
        months = '"' + bad.replace('"', '""') + '"' if i % 2 else "4"
        lines.append(",".join([rid, months, "yes", "back", "", "no"]))
    path = tmp_path / "in.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_batch_and_rules_diff_outputs_are_safe(tmp_path: Path) -> None:
    src = _batch_input(tmp_path)
    minimal = str(ROOT / "tests" / "data" / "minimal.yaml")
    r = CliRunner().invoke(app, ["batch", str(src), "--rules", minimal])
    assert r.exit_code == 1, r.output
    assert_spreadsheet_safe(r.stdout)
    rows = list(csv.DictReader(io.StringIO(r.stdout, newline="")))
    assert [row["id"] for row in rows] == [neutral(h) for h in HOSTILE]
    two = tmp_path / "two.yaml"
    two.write_text(Path(minimal).read_text(encoding="utf-8").replace("months > 3", "months > 30").replace("stiff or neck_level", "neck_level"), encoding="utf-8")
    for args in (["batch", str(src), str(src), "--rules", minimal], ["rules", "diff", minimal, str(two), str(src)]):
        r = CliRunner().invoke(app, args)
        assert r.stdout.count("\n") > 1, r.output
        assert_spreadsheet_safe(r.stdout)


def test_history_outputs_are_safe(tmp_path: Path, _isolated_home: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text((ROOT / "docs" / "examples" / "answers.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert CliRunner().invoke(app, ["score", str(answers), "--save", "--patient", "MRN-1"]).exit_code == 0
    store = _isolated_home / "history.sqlite3"
    with sqlite3.connect(store) as db:  # a store edited by another program: nothing in it is trusted
        for i, bad in enumerate(HOSTILE):
            db.execute(
                "INSERT INTO screenings (created_at, patient_ref, ruleset_id, ruleset_version, ruleset_sha256, "
                "tool_version, level, answers_json, result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (f"2024-01-0{i % 9 + 1}T00:00:00Z", bad, bad, bad, bad, bad, bad,
                 json.dumps({"age_years": bad}), json.dumps({"score": bad})),
            )  # fmt: skip
    for args in (["history", "list", "-f", "csv"], ["history", "export", "-o", "-", "-f", "csv"]):
        r = CliRunner().invoke(app, args)
        # a row whose texts hold a control character (a CR, an escape) is damaged: named, left out (exit 3)
        assert r.exit_code in (0, 3), r.output
        assert_spreadsheet_safe(r.stdout)
        rows = list(csv.reader(io.StringIO(r.stdout, newline="")))
        assert len(HOSTILE) - 3 <= len(rows) - 2 <= len(HOSTILE) and len({len(row) for row in rows}) == 1
