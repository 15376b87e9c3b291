"""Messages in plain words: no Python exception's name, no Python repr of a value, no half sentence (an
adversarial review of the messages).

A workbook that cannot be read says what is wrong with the file and, where a row is to blame, which row
(``FILE:ROW``), also when the row is in a slice of the sheet read by a helper process; ``--debug`` still shows
the library's own error. A JSON file that is not valid says where (``FILE:LINE:COL``) and why, in words
(Python's messages end in "at", waiting for a position). A YAML value that is not text (a null, a date) is
said in words at its ``FILE:LINE:COL``. A line of only spaces in a CSV file is read the same whether the file
holds a quoted cell elsewhere or not.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.batch import readers
from stm_screen.cli.app import app
from tests._xlsx import edit_sheet

cli = CliRunner()

# Names a person should never read: Python's and the libraries' exception classes, and Python's reprs.
INTERNAL = re.compile(
    r"\b\w*(?:Error|Exception)\b|BadZipFile|KeyError|\bdatetime\.|\bNone\b|\bTrue\b|\bFalse\b|Expecting "
    r"|Unterminated|Invalid control|starting at\b"
)


def plain(text: str) -> None:
    """Every line of stderr is free of internal names, and ends a sentence (not with 'at', a dangling
    word, or an opening bracket)."""
    assert text.strip(), "no message"
    for line in text.strip().splitlines():
        assert not INTERNAL.search(line), line
        assert not re.search(r"(?:\bat|\(|:)\s*$", line), line


def run(args: list[str]) -> tuple[int, str, str]:
    result = cli.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


# --- workbooks ----------------------------------------------------------------------------------------


def _workbook(path: Path, rows: int, edit: tuple[bytes, bytes] | None = None) -> Path:
    """A workbook of ``rows`` records (id, night_pain, pain_intensity as a number), its sheet's XML changed by
    ``edit`` (a regular expression and its replacement)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["id", "night_pain", "pain_intensity"])
    for i in range(1, rows + 1):
        ws.append([f"P{i}", "no", 6])
    wb.save(path)
    if edit is not None:
        edit_sheet(path, *edit)
    return path


def _bad_number(row: int) -> tuple[bytes, bytes]:
    """The number cell of sheet row ``row`` written ' 7' (calamine cannot read it as a number)."""
    return (rf'(<c r="C{row}" t="n"><v>)6(</v>)'.encode(), rb"\g<1> 7\g<2>")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_cell_that_cannot_be_read_names_its_row_not_row_0(tmp_path: Path, jobs: str) -> None:
    """Rows 1-500 read, row 501 cannot be: the message names row 501 (it said 'after row 0 (CalamineError)',
    the whole slice being refused), in words, and nothing is written."""
    path = _workbook(tmp_path / "in.xlsx", 500, _bad_number(501))
    out = tmp_path / "out.csv"
    code, _out, err = run(["batch", str(path), "--allow-missing", "--jobs", jobs, "-o", str(out)])
    assert code == 1
    assert f"{path}:501: row 501 of the workbook's sheet cannot be read" in err, err
    assert "a cell marked as a number holds something else" in err
    assert "after row 0" not in err and not out.exists()
    plain(err.replace(str(path), "in.xlsx"))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_row_is_named_in_a_slice_read_by_a_helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    """Slices of a few rows each: the bad cell is in a late slice, read by a helper process (``--jobs 2``)
    or in a part of the sheet scored by one, or here; the message is the same."""
    monkeypatch.setattr(readers, "SLICE_BYTES", 8192)
    path = _workbook(tmp_path / "in.xlsx", 900, _bad_number(777))
    code, _out, err = run(["batch", str(path), "--allow-missing", "--jobs", jobs, "-o", str(tmp_path / "o.csv")])
    assert code == 1
    assert f"{path}:777: row 777 of the workbook's sheet cannot be read" in err, err
    plain(err.replace(str(path), "in.xlsx"))


def test_debug_still_shows_the_library_s_own_words(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "in.xlsx", 20, _bad_number(5))
    code, _out, err = run(["--debug", "batch", str(path), "--allow-missing", "-o", str(tmp_path / "o.csv")])
    assert code == 1
    assert "CalamineError" in err and "row 5 of the workbook's sheet" in err


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ((rb'(<c r="B3") t="inlineStr"><is><t>no</t></is>', rb'\1 t="b"><v>7</v>'), "TRUE or FALSE"),
        ((rb'(<c r="B3") t="inlineStr"><is><t>no</t></is>', rb'\1 t="zz"><v>no</v>'), "a kind of value"),
        ((rb"<t>P2</t>", rb"<t>P&#0;2</t>"), "the sheet's XML is damaged"),
    ],
)
def test_each_kind_of_bad_cell_is_said_in_words(tmp_path: Path, edit: tuple[bytes, bytes], words: str) -> None:
    path = _workbook(tmp_path / "in.xlsx", 10, edit)
    code, _out, err = run(["batch", str(path), "--allow-missing", "-o", str(tmp_path / "o.csv")])
    assert code == 1
    assert words in err and f"{path}:3: row 3 of the workbook's sheet cannot be read" in err, err
    plain(err.replace(str(path), "in.xlsx"))


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: (p.write_bytes(b"PK\x03\x04" + b"\x00" * 200), p)[1], "damaged or incomplete"),  # not a zip
        (lambda p: _zip(p, {"docProps/app.xml": b"<x/>"}), "a part that every workbook holds is missing"),
        (
            lambda p: _zip(p, {"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships><broken"}),
            "not well-formed XML",
        ),
    ],
)
def test_a_workbook_that_cannot_be_opened_says_what_is_wrong(tmp_path: Path, make, words: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path / "in.xlsx")
    code, _out, err = run(["batch", str(path), "--allow-missing"])
    assert code == 1
    assert f"{path}: cannot read the workbook (" in err and words in err, err
    assert "is it an .xlsx file saved by a spreadsheet?" in err
    plain(err.replace(str(path), "in.xlsx"))


# --- JSON ---------------------------------------------------------------------------------------------

RECORD = '{"id": "A1", "night_pain": "no"}'


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ('[\n  {"id": "A1", "night_pain": "n\to"}\n]', ":2:32:", "a control character (such as a tab or line break) inside a text"),
        ('[\n  {"id": "A1", "night_pain": "no}]', ":2:30:", "a text that is never closed"),
        ('[\n  {"id": "A1" "night_pain": "no"}\n]', ":2:15:", "a comma or bracket is missing"),
        ('[\n  {"id": "A1", "night_pain": no}\n]', ":2:30:", "a value is missing, or is not written as JSON"),
        ('[\n  {"id": "A1", "night_pain": "\\q"}\n]', ":2:31:", "a backslash that starts no escape JSON knows"),
        ('[\n  {"id": "A1",}\n]', ":2:15:", "a key in double quotes is expected"),
        ("[" + RECORD + ",\n" + RECORD + "\n" + RECORD + "]", ":3:1:", "expected ',' or ']' between records"),
        ('{"resourceType": "QuestionnaireResponse",\n "item": [}', ":2:11:", "a value is missing"),
    ],
)
def test_json_errors_say_where_and_why_in_words(tmp_path: Path, text: str, where: str, words: str) -> None:
    path = tmp_path / "in.json"
    path.write_text(text, encoding="utf-8")
    code, _out, err = run(["batch", str(path), "--allow-missing"])
    assert code == 1
    assert f"{path}{where} not valid JSON: {words}" in err, err
    plain(err.replace(str(path), "in.json"))


@pytest.mark.parametrize("chunk", [5, 16, 37, 64, 256 * 1024])
def test_a_json_position_is_counted_across_the_buffer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """A file read in pieces (of ``chunk`` characters, cutting lines anywhere): the line and column are the
    file's, not the piece's."""
    monkeypatch.setattr(readers.iter_json_array, "__defaults__", (chunk,))
    lines = ["[", *(f"  {RECORD}," for _ in range(30)), '  {"id": "A2", "night_pain": "n\to"}', "]"]
    path = tmp_path / "in.json"
    path.write_text("\n".join(lines), encoding="utf-8")
    code, _out, err = run(["batch", str(path), "--allow-missing", "-o", str(tmp_path / "o.csv")])
    assert code == 1
    assert f"{path}:32:32: not valid JSON: a control character" in err, err
    lines[-2] = "  " + RECORD + "  x"
    path.write_text("\n".join(lines), encoding="utf-8")
    code, _out, err = run(["batch", str(path), "--allow-missing", "-o", str(tmp_path / "o.csv")])
    assert f"{path}:32:{2 + len(RECORD) + 3}: not valid JSON: expected ',' or ']' between records" in err, err


def test_a_broken_json_lines_record_is_an_error_row_with_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(RECORD + '\n{"id": "A2", "night_pain": "n\to"}\n' + RECORD + "\n", encoding="utf-8")
    code, out, err = run(["batch", str(path), "--allow-missing"])
    assert code == 1
    row = out.splitlines()[2]
    assert f"{path}:2:30: not valid JSON: a control character (such as a tab or line break) inside a text" in row
    assert "(column" not in row and " at " not in row


def test_an_answers_file_that_is_not_json_says_why(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"night_pain": "no",\n "age_years": }', encoding="utf-8")
    code, _out, err = run(["score", str(path)])
    assert code == 1
    assert f"{path}:2:15: not valid JSON: a value is missing" in err, err
    plain(err.replace(str(path), "a.json"))


def test_answers_nested_too_deeply_are_said_so(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"night_pain": ' + "[" * 5_000 + "]" * 5_000 + "}", encoding="utf-8")
    code, _out, err = run(["score", str(path)])
    assert code == 1
    assert "nested too deeply" in err
    plain(err.replace(str(path), "a.json"))


# --- YAML values --------------------------------------------------------------------------------------


def test_a_null_column_key_in_a_mapping_file_is_said_at_its_place(tmp_path: Path) -> None:
    data = tmp_path / "in.csv"
    data.write_text("id,night_pain\nP1,no\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  ~: night_pain\n", encoding="utf-8")
    code, _out, err = run(["batch", str(data), "--map", str(mapping)])
    assert code == 2
    assert f"{mapping}:2:3: the column key ~ is read by YAML as a null" in err, err
    assert "'None'" not in err
    plain(err.replace(str(mapping), "m.yaml"))


def test_yaml_dates_and_nulls_in_a_rules_file_are_said_in_words(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text("id: t\nversion: 2001-12-14 21:05:00\ntitle: 2001-12-14\n", encoding="utf-8")
    code, _out, err = run(["rules", "check", str(rules)])
    assert code == 2
    assert f"{rules}:2:10: version: must be a version such as \"1.0.0\" (got a date and time (2001-12-14 21:05))" in err, err
    assert f"{rules}:3:8: title: must be text, or a mapping of language code to text (got a date (2001-12-14))" in err
    plain(err.replace(str(rules), "r.yaml"))


def test_keys_that_are_not_text_are_named_as_yaml_writes_them(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text('id: t\nversion: "1"\n~: 1\nyes: 2\n', encoding="utf-8")
    code, _out, err = run(["rules", "check", str(rules)])
    assert code == 2
    assert f"{rules}:3:4: ~: a key that YAML reads as a null (~, null or nothing written), not as a name" in err, err
    assert f"{rules}:4:6: true: a key that YAML reads as true, not as a name" in err, err
    plain(err.replace(str(rules), "r.yaml"))


def test_a_date_that_is_no_date_is_named_at_its_place(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text("id: t\nversion: 2001-13-45\n", encoding="utf-8")
    code, _out, err = run(["rules", "check", str(rules)])
    assert code == 2
    assert f"{rules}:2:10: YAML reads this value as a date, but it is not a real date" in err, err
    plain(err.replace(str(rules), "r.yaml"))
    answers = tmp_path / "a.yaml"
    answers.write_text("night_pain: no\nage_years: 2001-13-45\n", encoding="utf-8")
    code, _out, err = run(["score", str(answers)])
    assert code == 1
    assert f"{answers}:2:12: cannot read the answers: YAML reads this value as a date" in err, err
    plain(err.replace(str(answers), "a.yaml"))


def test_answer_values_are_shown_as_the_file_wrote_them(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"pain_intensity": True, "night_pain": None, "age_years": [True, None]}), encoding="utf-8")
    code, _out, err = run(["score", str(path)])
    assert code == 1
    assert "pain_intensity: true is not a number" in err, err
    assert "age_years: [true, null]" in err, err
    plain(err.replace(str(path), "a.json"))


# --- a line of only spaces ----------------------------------------------------------------------------


@pytest.mark.parametrize("blank", [" ", "\t", "   "])
def test_a_line_of_spaces_reads_the_same_with_or_without_a_quoted_cell(tmp_path: Path, blank: str) -> None:
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(f'id,pain_areas,night_pain\nP1,"low_back,tendon",no\n{blank}\nP2,low_back,no\n', encoding="utf-8")
    bare = tmp_path / "bare.csv"
    bare.write_text(f"id,pain_areas,night_pain\nP1,low_back,no\n{blank}\nP2,low_back,no\n", encoding="utf-8")
    results = [run(["batch", str(p), "--allow-missing"]) for p in (quoted, bare)]
    errors = [[line.split(",", 3)[3] for line in out.splitlines()[1:] if ",error," in line] for _c, out, _e in results]
    assert errors[0] == errors[1], errors
    assert len(errors[0]) == 1 and "the line holds only spaces or tabs" in errors[0][0], errors
    assert "opens a quoted cell" not in results[0][2]
    for _code, out, _err in results:
        assert [line.split(",")[0] for line in out.splitlines()[1:]] == ["1", "2", "3"]
