"""Rules, mapping and wording files never carry invisible characters into forms or terminals (issue 10).

Every text of a YAML file the tool reads (rules, instrument modules, mapping files, --texts wording files)
is checked once, where the file is parsed (``stm_screen.io.yamlfile``): a control character (an escape
sequence, a bell, a CR or backspace that overwrites, a NUL), a C1 control, a direction override, embedding
or isolate, a line or paragraph separator, or a zero-width no-break space is refused at its FILE:LINE:COL
with exit 2. Before, such text loaded, reached the terminal raw and made ``form export xlsform`` fail with
an internal error (a workbook cannot hold control characters). Line feeds and tabs are text, and a file
saved with CRLF line ends is read as it always was.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
EXE = str(Path(sys.executable).with_name("stm-screen"))

HIDDEN = ["\x00", "\x07", "\x08", "\x1b", "\r", "\x0b", "\x7f", "\x85", "\x9b", "\u2028", "\u202e", "\u2067", "\ufeff"]
# invisible operators, deprecated format characters, interlinear annotation marks, the Hangul filler and
# tag characters (text no one sees: "ASCII smuggling")
HIDDEN += ["\u2063", "\u206b", "\ufffa", "\u3164", "\U000e0041"]
# invisible characters that scripts need between letters but that split a number where nothing shows (a
# crisis number copied from the screen could not be dialled): refused next to a digit
SPLITTERS = ["\xad", "\u180e", "\u200b", "\u200c", "\u200d", "\u2060"]
# (what is replaced in minimal.yaml, by what: {c} is the hidden character, as a YAML escape)
FIELDS = {
    "question text": ("text: Stiff?", 'text: "Stiff{c}[8m hidden?"'),
    "choice label": ("label: Back", 'label: "Ba{c}ck"'),
    "title": ("title: Minimal test ruleset", 'title: "Minimal{c} ruleset"'),
    "version": ('version: "1"', 'version: "1{c}"'),
    "red flag message": ("message: See a doctor today.", 'message: "See a doctor{c} today."'),
    "level advice": ("advice: Rest.", 'advice: "Rest{c}."'),
    "a mapping key": ("sources:", '"so{c}urces":'),
}


def _escape(ch: str) -> str:
    if ord(ch) > 0xFFFF:
        return f"\\U{ord(ch):08x}"
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def _rules(tmp_path: Path, field: str, ch: str) -> tuple[Path, int]:
    old, new = FIELDS[field]
    assert old in MINIMAL
    text = MINIMAL.replace(old, new.format(c=_escape(ch)), 1)
    line = text[: text.index(new.format(c=_escape(ch)))].count("\n") + 1
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path, line


@pytest.mark.parametrize("ch", HIDDEN, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", list(FIELDS))
def test_a_hidden_character_in_a_rules_file_is_refused_where_it_stands(tmp_path: Path, field: str, ch: str) -> None:
    rules, line = _rules(tmp_path, field, ch)
    r = CliRunner().invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 2, r.output
    assert re.search(rf"{re.escape(str(rules))}:{line}:\d+: the text holds the invisible character U\+{ord(ch):04X}", r.stderr), r.stderr
    assert ch not in r.stderr


@pytest.mark.parametrize("ch", ["\x1b", "\x00", "\u202e", "\x85"], ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("fmt", ["xlsform", "redcap", "fhir", "csv"])
def test_form_export_refuses_it_and_never_fails_inside(tmp_path: Path, fmt: str, ch: str) -> None:
    rules, line = _rules(tmp_path, "choice label", ch)
    p = subprocess.run(
        [EXE, "form", "export", fmt, "--rules", str(rules), "-o", str(tmp_path / "form.out")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert p.returncode == 2, p.stderr
    assert f"{rules}:{line}:" in p.stderr and "internal error" not in p.stderr
    assert not (tmp_path / "form.out").exists()


def test_mapping_and_wording_files_are_checked_too(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text('columns:\n  "Age\\x1b[2J": age_years\n', encoding="utf-8")
    src = tmp_path / "in.csv"
    src.write_text("id,age_years\n1,40\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["batch", str(src), "--map", str(mapping), "--allow-missing"])
    assert r.exit_code == 2 and f"{mapping}:2:" in r.stderr and "U+001B" in r.stderr, r.output
    texts = tmp_path / "texts.yaml"
    texts.write_text((ROOT / "tests" / "data" / "peg-texts.yaml").read_text(encoding="utf-8").replace(
        'peg_1: "Test wording', 'peg_1: "Test\\u202e wording'
    ), encoding="utf-8")  # fmt: skip
    r = CliRunner().invoke(app, ["form", "export", "csv", "--with", "peg", "--texts", str(texts)])
    assert r.exit_code == 2 and f"{texts}:" in r.stderr and "U+202E" in r.stderr, r.output


def test_line_feeds_tabs_and_crlf_files_are_still_text(tmp_path: Path) -> None:
    text = MINIMAL.replace("text: Stiff?", "text: |\n      Stiff?\n      \tReally stiff?")
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    r = CliRunner().invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 0, r.output
    out = tmp_path / "form.xlsx"
    r = CliRunner().invoke(app, ["form", "export", "xlsform", "--rules", str(rules), "-o", str(out)])
    assert r.exit_code == 0, r.output
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    labels = [row[2] for row in load_workbook(out).worksheets[0].iter_rows(values_only=True)]
    assert "Stiff?\n\tReally stiff?\n" in labels


def test_the_workbook_writer_names_a_cell_it_cannot_hold() -> None:
    from stm_screen.errors import UsageError
    from stm_screen.io.xlsx import workbook_bytes

    with pytest.raises(UsageError, match=r"sheet choices, row 2, column 3: .*U\+001B"):
        workbook_bytes({"choices": [["list_name", "name", "label"], ["yn", "yes", "Y\x1bes"]]})


@pytest.mark.parametrize("ch", ["\u2028", "\u2029", "\x85"], ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("where", ["comment", "value", "key"])
def test_a_raw_line_separator_is_refused_at_the_line_an_editor_shows(tmp_path: Path, ch: str, where: str) -> None:
    """PyYAML starts a new line at U+2028, U+2029 and NEL; an editor does not. Unrefused in a comment, it
    shifted every later FILE:LINE by one; in a text, the line given was PyYAML's. Said at the editor's
    line and column, wherever it stands."""
    lines = MINIMAL.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "text: Stiff?" in line)
    if where == "comment":
        lines.insert(at, f"  # a note{ch} on the next question\n")
        col = len("  # a note") + 1
    elif where == "value":
        lines[at] = lines[at].replace("Stiff?", f"Sti{ch}ff?")
        col = lines[at].index(ch) + 1
    else:
        lines[at] = lines[at].replace("text:", f"te{ch}xt:")
        col = lines[at].index(ch) + 1
    rules = tmp_path / "rules.yaml"
    rules.write_text("".join(lines), encoding="utf-8")
    r = CliRunner().invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 2, r.output
    assert f"{rules}:{at + 1}:{col}: the character U+{ord(ch):04X} (a line or paragraph separator)" in r.stderr, r.stderr
    assert ch not in r.stderr


def test_joiners_that_scripts_need_are_text(tmp_path: Path) -> None:
    """The zero-width joiner and non-joiner shape Persian and Indic words (and emoji): they are kept."""
    text = MINIMAL.replace("text: Stiff?", 'text: "Stiff? \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u0915\u094d\u200d\u0937"')
    rules = tmp_path / "rules.yaml"
    rules.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("ch", SPLITTERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("where", ["9{c}11", "911{c}", "{c}911"])
def test_an_invisible_character_in_a_number_is_refused_at_the_character(tmp_path: Path, ch: str, where: str) -> None:
    """'Call 9<zero-width space>11': the number copied from the screen cannot be dialled. Written as it is
    in the file, it is said at its own line and column (not where the text starts)."""
    number = where.format(c=ch)
    text = MINIMAL.replace("message: See a doctor today.", f"message: >-\n      See a doctor today.\n      Or call {number} now.")
    rules = tmp_path / "rules.yaml"
    rules.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    line = next(i for i, x in enumerate(lines) if ch in x)
    col = lines[line].index(ch) + 1
    r = CliRunner().invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 2, r.output
    assert f"{rules}:{line + 1}:{col}: the text holds the invisible character U+{ord(ch):04X}" in r.stderr, r.stderr


@pytest.mark.parametrize(
    "text",
    [
        "\u0e20\u0e32\u0e29\u0e32\u200b\u0e44\u0e17\u0e22",  # Thai: a zero-width space between words
        "\u1822\u180e\u1820",  # Mongolian: the vowel separator
        "Schmerz\xadtherapie",  # German: a soft hyphen where the word may break
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: the non-joiner
    ],
)
def test_invisible_characters_that_scripts_need_between_letters_are_text(tmp_path: Path, text: str) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(MINIMAL.replace("text: Stiff?", f"text: {text} 12"), encoding="utf-8")
    r = CliRunner().invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 0, r.output


def test_a_line_separator_in_a_file_with_cr_line_ends_is_said_at_its_line(tmp_path: Path) -> None:
    """Old Mac line ends (CR only): YAML and editors count a line at each CR."""
    text = MINIMAL.replace("text: Stiff?", "text: Sti\u2028ff?")
    line = text[: text.index("\u2028")].count("\n") + 1
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(text.replace("\n", "\r").encode("utf-8"))
    r = CliRunner().invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 2, r.output
    assert f"{rules}:{line}:" in r.stderr and "U+2028" in r.stderr, r.stderr
