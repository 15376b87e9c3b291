"""CSV cells stay plain text when the formula character hides behind Unicode (issue 10, point 2, again).

New variants for the one cell writer (``stm_screen.io.csvcells``): full-width and small forms of ``= + -
@`` (``＝ ＋ － ＠ ﹦ ﹢ ﹣ ﹫``) and the minus sign, which spreadsheets and input methods may fold to the ASCII
ones; a formula character after spaces of other widths (no-break, ideographic), zero-width characters, a
byte-order mark, direction marks or control characters, which a spreadsheet may trim; and the line breaks
other than CR and LF (VT, FF, FS/GS/RS, NEL, U+2028, U+2029) that a reader splitting lines may cut a cell
at. The model of a spreadsheet below splits on every delimiter and line break, trims everything unseen,
folds compatibility forms (NFKC), and must never find a formula; every writer that carries input text
(batch ids and error messages, rules diff, history list and export, form export CSV and REDCap) is tried.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.io.csvcells import cell, neutral

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "data" / "minimal.yaml"
FORMS = "=＝﹦+＋﹢-－﹣−@＠﹫"
UNSEEN = "\u00a0\u3000\u2007\u200b\u200d\u2060\ufeff\u200e\u202e\u2066\x00\x01\x1b\x7f\x9b"
BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
HOSTILE = [
    "＝HYPERLINK(\"http://x\")",
    "＋1＋1",
    "－2＋3",
    "＠SUM(A1)",
    "﹦1",
    "−1",
    "\u00a0=1+1",
    "\u3000@SUM(A1)",
    "\u200b=cmd|' /C calc'!A0",
    "\ufeff+1",
    "\u202e=1",
    "\x1b=1",
    "ok\u2028=1",
    "ok\x85+1",
    "ok\x0b-1",
    "ok,\u00a0＝1",
    " \u3000 ＠x",
]


def _pieces(text: str) -> list[str]:
    """Every piece a spreadsheet could make of CSV text: split on any delimiter and any line break."""
    return re.split("[,;|\t\r\n" + BREAKS + "]", text)


def _trimmed(piece: str) -> str:
    """A piece as a spreadsheet that trims everything unseen, and folds compatibility forms, sees it."""
    i = 0
    while i < len(piece) and (piece[i] in ' "' or piece[i].isspace() or unicodedata.category(piece[i]) in ("Cc", "Cf")):
        i += 1
    return unicodedata.normalize("NFKC", piece[i:])


def assert_safe(text: str) -> None:
    for piece in _pieces(text):
        seen = _trimmed(piece)
        assert not seen.startswith(("=", "+", "-", "@", "−")), (piece, text)


alphabet = st.sampled_from(list(FORMS + UNSEEN + BREAKS + ",;|\t\r\n \"'a1")) | st.characters(codec="utf-8")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet, max_size=16))
@example('"=')  # a quote before the formula (found by CI's random run): '=' once the quote is taken off
def test_a_cell_never_starts_a_formula_in_any_form(text: str) -> None:
    written = cell(text)
    assert_safe(written)
    (back,) = csv.reader(io.StringIO(written + "\n", newline="")) if written else ([""],)
    assert back == [neutral(text)]
    assert neutral(text).replace("'", "") == text.replace("'", "")  # only quotes are added
    if any(ch in written for ch in BREAKS):
        assert written.startswith('"')  # a reader that splits lines there still sees one quoted cell


def test_plain_text_is_left_as_it_is() -> None:
    for text in ("hello", "a-b", "x=1", "MRN-0042", "año", "１２", "e-mail@host", "\u00a0hello"):
        assert neutral(text) == text


def _hostile_rules(tmp_path: Path) -> Path:
    text = MINIMAL.read_text(encoding="utf-8")
    text = text.replace("text: How many months?", 'text: "\\u3000＝HYPERLINK(1)"')
    text = text.replace("{id: back, label: Back}", '{id: back, label: "Back\\n＋1"}')
    text = text.replace("text: Stiff?", 'text: "\\u00a0－2+3"')
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_form_exports(tmp_path: Path) -> None:
    rules = _hostile_rules(tmp_path)
    for fmt in ("csv", "redcap"):
        r = CliRunner().invoke(app, ["form", "export", "--format", fmt, "--rules", str(rules)])
        assert r.exit_code == 0, r.output
        assert_safe(r.stdout)
        rows = list(csv.reader(io.StringIO(r.stdout, newline="")))
        assert len({len(row) for row in rows}) == 1


def _batch_input(tmp_path: Path) -> Path:
    lines = ["id,months,stiff,areas,neck_level,fever"]
    for i, bad in enumerate(HOSTILE):
        quoted = '"' + bad.replace('"', '""') + '"'
        lines.append(",".join([quoted, quoted if i % 2 else "4", "yes", "back", "", "no"]))
    path = tmp_path / "in.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return path


def test_batch_and_rules_diff(tmp_path: Path) -> None:
    src = _batch_input(tmp_path)
    r = CliRunner().invoke(app, ["batch", str(src), "--rules", str(MINIMAL)])
    assert r.exit_code == 1, r.output  # the odd rows' months are errors that quote the value
    assert_safe(r.stdout)
    rows = list(csv.DictReader(io.StringIO(r.stdout, newline="")))
    assert [row["id"] for row in rows] == [neutral(h) for h in HOSTILE]
    assert any(row["status"] == "error" for row in rows)
    two = tmp_path / "two.yaml"
    two.write_text(
        MINIMAL.read_text(encoding="utf-8").replace("months > 3", "months > 30").replace("stiff or neck_level", "neck_level"),
        encoding="utf-8",
    )
    r = CliRunner().invoke(app, ["rules", "diff", str(MINIMAL), str(two), str(src)])
    assert r.stdout.count("\n") > 1, r.output
    assert_safe(r.stdout)


def test_history_list_and_export(tmp_path: Path, _isolated_home: Path) -> None:
    answers = ROOT / "docs" / "examples" / "answers.yaml"
    assert CliRunner().invoke(app, ["score", str(answers), "--save", "--patient", "MRN-1"]).exit_code == 0
    with sqlite3.connect(_isolated_home / "history.sqlite3") as db:  # a store another program edited
        for i, bad in enumerate(HOSTILE):
            db.execute(
                "INSERT INTO screenings (created_at, patient_ref, ruleset_id, ruleset_version, ruleset_sha256, "
                "tool_version, level, answers_json, result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (f"2024-01-0{i % 9 + 1}T00:00:00Z", bad, bad, bad, bad, bad, bad,
                 json.dumps({"age_years": bad}), json.dumps({"score": bad})),
            )  # fmt: skip
    for args in (["history", "list", "-f", "csv"], ["history", "export", "-o", "-", "-f", "csv"]):
        r = CliRunner().invoke(app, args)
        # rows whose texts hold a control character (a CR, say) are damaged: named, left out (exit 3)
        assert r.exit_code in (0, 3), r.output
        assert_safe(r.stdout)
        assert "MRN-1" in r.stdout and r.stdout.count("\n") > 2  # the others are listed


def test_no_unseen_character_hides_a_formula() -> None:
    """Every character a reader does not see (controls, format characters such as the soft hyphen, spaces)
    before a formula character still gets the cell neutralised: found by the property test with '\\xad='."""
    import sys

    unseen = [
        chr(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zs") and chr(c) not in ",;|\t\r\n" + BREAKS
    ]
    assert "\xad" in unseen and "\u061c" in unseen and "\U000e0001" in unseen
    for ch in unseen:
        for formula in ("=1+1", "+1", "-1", "@SUM(A1)", "＝1"):
            assert_safe(cell(ch + formula))


@pytest.mark.parametrize("unseen", ["\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u17b4", "\ufe0f", "\U000e0100"])
@pytest.mark.parametrize("formula", ["=1+1", "@SUM(A1)", "+1", "-1"])
def test_default_ignorable_characters_before_a_formula(unseen: str, formula: str) -> None:
    """Unicode's default-ignorable characters (a grapheme joiner, Hangul fillers, variation selectors) are
    unseen like zero-width spaces: a formula after them is made plain text, at the start and after a split."""


    assert neutral(unseen + formula) == unseen + "'" + formula
    assert neutral("a;" + unseen + formula) == "a;" + unseen + "'" + formula


def test_a_full_width_pipe_is_a_pipe() -> None:


    assert neutral("\uff5ccmd") == "'\uff5ccmd"
    assert neutral("a,\uff5ccmd") == "a,'\uff5ccmd"
