"""One test per kind of rules-file problem: the message and the FILE:LINE it points to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.errors import RulesError
from stm_screen.rules.loader import load_ruleset

MINIMAL = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str | bytes, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def mutate(old: str, new: str) -> str:
    assert old in MINIMAL, old
    return MINIMAL.replace(old, new, 1)


def problems(path: Path) -> list[str]:
    with pytest.raises(RulesError) as info:
        load_ruleset(path)
    return info.value.lines()


def assert_problem(lines: list[str], path: Path, line: int, fragment: str) -> None:
    pattern = re.compile(rf"^{re.escape(str(path))}:{line}:\d+: .*{re.escape(fragment)}")
    assert any(pattern.search(x) for x in lines), "\n".join(lines)


CASES = [
    # (name, old, new, line, fragment)
    ("yaml_syntax", "    text: Stiff?", "    text: [Stiff?", 19, "YAML syntax error"),
    ("duplicate_key", "    text: Stiff?", "    text: Stiff?\n    text: Again?", 19, "duplicate key 'text'"),
    (
        "unknown_key",
        "    unit: months",
        "    units: months",
        14,
        "unknown key 'units' (did you mean 'unit'?)",
    ),
    ("missing_key", "    text: How many months?\n", "", 10, "missing key 'text'"),
    (
        "duplicate_id",
        "  - id: stiff\n    type: boolean",
        "  - id: months\n    type: boolean",
        16,
        "duplicate id 'months'",
    ),
    (
        "unknown_question",
        "when: months > 3",
        "when: month > 3",
        44,
        "unknown question 'month' (did you mean 'months'?)",
    ),
    (
        "type_mismatch",
        "when: months > 3",
        "when: months > 'long'",
        44,
        "compare numbers, but this is a text value",
    ),
    (
        "bool_vs_number",
        "when: months > 3",
        "when: stiff > 3",
        44,
        "compare numbers, but this is a yes/no value",
    ),
    (
        "unsafe_call",
        "when: months > 3",
        "when: __import__('os').system('true')",
        44,
        "calling a function is not allowed",
    ),
    (
        "unsafe_attribute",
        "when: months > 3",
        "when: months.real > 3",
        44,
        "an attribute (a.b) is not allowed",
    ),
    (
        "unsafe_subscript",
        "when: months > 3",
        "when: areas[0] == 'back'",
        44,
        "indexing (a[b]) is not allowed",
    ),
    ("dunder_name", "when: months > 3", "when: __class__ > 3", 44, "names starting with '_' are not allowed"),
    ("malformed", "when: months > 3", "when: months >", 44, "not a valid condition"),
    ("not_boolean", "when: months > 3", "when: months + 3", 44, "must be true or false"),
    (
        "unknown_choice",
        "ask_if: \"'neck' in areas\"",
        "ask_if: \"'nek' in areas\"",
        30,
        "'nek' is not a choice of 'areas' (did you mean 'neck'?)",
    ),
    (
        "ask_if_self",
        "ask_if: \"'neck' in areas\"",
        "ask_if: neck_level > 2",
        30,
        "ask_if refers to the question itself",
    ),
    (
        "ask_if_later",
        "ask_if: \"'neck' in areas\"",
        "ask_if: fever",
        30,
        "refers to 'fever', which is asked later",
    ),
    (
        "bands_overlap",
        "{score: total, min: 1, level: high}",
        "{score: total, min: 0, level: high}",
        61,
        "overlap",
    ),
    (
        "bands_gap",
        "{score: total, min: 1, level: high}",
        "{score: total, min: 2, level: high}",
        61,
        "leave a gap",
    ),
    (
        "bands_gap_top",
        "{score: total, min: 1, level: high}",
        "{score: total, min: 1, max: 1, level: high}",
        61,
        "scores above 1 (up to 2)",
    ),
    (
        "unknown_level",
        "{score: total, min: 1, level: high}",
        "{score: total, min: 1, level: hihg}",
        61,
        "unknown level 'hihg' (did you mean 'high'?)",
    ),
    (
        "unknown_source",
        "    source: test\ncriteria:",
        "    source: tset\ncriteria:",
        41,
        "unknown source 'tset'",
    ),
    (
        "wrong_type_field",
        "    max: 600",
        "    max: lots",
        13,
        "questions[1] 'months'.max: must be a number (got 'lots')",
    ),
    (
        "min_above_max",
        "    min: 0\n    max: 600",
        "    min: 700\n    max: 600",
        12,
        "min (700) is larger than max (600)",
    ),
    (
        "choices_missing",
        "    choices:\n      - {id: back, label: Back}\n      - {id: neck, label: Neck}\n",
        "    choices: []\n",
        19,
        "needs 'choices'",
    ),
    (
        "python_tag",
        "    text: Stiff?",
        "    text: !!python/object/apply:os.system ['true']",
        18,
        "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "line", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_located_problem(tmp_path: Path, name: str, old: str, new: str, line: int, fragment: str) -> None:
    path = write(tmp_path, mutate(old, new))
    assert_problem(problems(path), path, line, fragment)


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    text = mutate("when: months > 3", "when: month > 3").replace("    unit: months", "    units: months")
    path = write(tmp_path, text)
    lines = problems(path)
    assert_problem(lines, path, 14, "unknown key 'units'")
    # the shape error stops before conditions are compiled, so fix it and the condition error shows
    path2 = write(
        tmp_path,
        mutate("when: months > 3", "when: month > 3").replace("when: stiff or", "when: stif or"),
        "b.yaml",
    )
    lines2 = problems(path2)
    assert_problem(lines2, path2, 44, "unknown question 'month'")
    assert_problem(lines2, path2, 49, "unknown question 'stif'")


def test_wrong_top_level_shape(tmp_path: Path) -> None:
    path = write(tmp_path, "- id: x\n- id: y\n")
    assert_problem(problems(path), path, 1, "must be a mapping")


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "# nothing here\n")
    assert problems(path) == [f"{path}: the file is empty"]


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    lines = problems(missing)
    assert len(lines) == 1 and lines[0].startswith(f"{missing}: no such file or folder")


def test_non_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("Stiff?", "Stiff\xe9?").encode("latin-1"))
    assert_problem(problems(path), path, 18, "not UTF-8")


def test_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert f"{path}: this is a binary file" in "\n".join(problems(path))
    path = write(tmp_path, b"id: x\nversion: '1'\ntitle: a\x00b\n")
    assert_problem(problems(path), path, 3, "NUL character (byte 0) at line 3, column 9")


def test_alias_bomb(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    assert_problem(problems(path), path, 1, "alias bomb")


def test_oversized_file(tmp_path: Path) -> None:
    path = write(tmp_path, "# " + "x" * (3 * 1024 * 1024) + "\n")
    lines = problems(path)
    assert len(lines) == 1 and "too large" in lines[0]


def test_cli_reports_problems_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, mutate("when: months > 3", "when: months.__class__ > 3"))
    result = CliRunner().invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{path}:44:" in result.stderr


def test_failing_example_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, mutate("{name: none, level: low,", "{name: none, level: high,"))
    result = CliRunner().invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 2
    assert f"{path}:63:" in result.stderr
    assert "example 'none': expected level 'high' but the rules give 'low'" in result.stderr


def test_folder_ruleset_points_into_each_file(tmp_path: Path) -> None:
    head, _, rest = MINIMAL.partition("criteria:\n")
    folder = tmp_path / "rs"
    folder.mkdir()
    (folder / "00-main.yaml").write_text(head, encoding="utf-8")
    (folder / "10-criteria.yaml").write_text(
        "criteria:\n" + rest.replace("months > 3", "monts > 3"), encoding="utf-8"
    )
    lines = problems(folder)
    assert_problem(lines, folder / "10-criteria.yaml", 3, "unknown question 'monts'")
    (folder / "10-criteria.yaml").write_text("criteria:\n" + rest, encoding="utf-8")
    rs = load_ruleset(folder)
    assert [c.id for c in rs.criteria] == ["long", "stiff"]


@pytest.mark.parametrize(
    ("where", "line", "fragment"),
    [
        # a number question
        ("    unit: months\n", 15, "only a yes/no question can take 'not sure' as yes; this one is number"),
        # a yes/no question outside a safety section: it does not offer 'not sure'
        ("    text: Stiff?\n", 19, "this question does not offer 'not sure'"),
        # a multiple-choice question
        ("    text: Where?\n", 22, "only a yes/no question can take 'not sure' as yes; this one is multi choice"),
    ],
)
def test_unsure_means_yes_is_refused_where_not_sure_is_not_a_yes_no_answer(
    tmp_path: Path, where: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, mutate(where, where + "    unsure_means_yes: {source: test}\n"))
    assert_problem(problems(path), path, line, fragment)


def test_unsure_means_yes_names_a_known_source(tmp_path: Path) -> None:
    path = write(tmp_path, mutate("    text: Fever?\n", "    text: Fever?\n    unsure_means_yes:\n      source: tset\n"))
    assert_problem(problems(path), path, 36, "unknown source 'tset' (did you mean 'test'?)")
    path = write(tmp_path, mutate("    text: Fever?\n", "    text: Fever?\n    unsure_means_yes: yes\n"), "b.yaml")
    lines = problems(path)
    assert_problem(lines, path, 35, "unsure_means_yes: must be a mapping of keys (source), not true")
    assert not any("quotes" in x for x in lines)  # a mapping is wanted: quoting the word would not do
    # where it belongs (a yes/no safety question, a known source) the rules load, and the CLI agrees
    path = write(tmp_path, mutate("    text: Fever?\n", "    text: Fever?\n    unsure_means_yes: {source: test}\n"), "c.yaml")
    fever = load_ruleset(path).by_id["fever"]
    assert fever.unsure_yes and fever.unsure_source == "test"
    assert not load_ruleset(path).by_id["stiff"].unsure_yes
    result = CliRunner().invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("tail", ["\\n", "\\r\\n", "\\t", "\\x1b[31m"])
def test_an_id_with_a_control_character_is_refused_on_one_line(tmp_path: Path, tail: str) -> None:
    """An id in quotes ending in a line break (which a regular expression's '$' lets through) or holding
    another control character is not an id; the message quoting it stays on one line."""
    first = re.search(r"\n  - id: (\w+)\n", MINIMAL)
    assert first is not None
    path = write(tmp_path, mutate(f"- id: {first.group(1)}\n", f'- id: "{first.group(1)}{tail}"\n'))
    lines = problems(path)
    # refused at the id (a line feed or tab: "must be an id"; CR and escapes: an invisible character)
    assert any(x.startswith(f"{path}:10:") and ("must be an id" in x or "invisible character" in x) for x in lines)
    assert all("\n" not in x and "\x1b" not in x and "\r" not in x for x in lines), lines


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\x7f", "\x9b", "\x85\x9b"])
def test_a_control_character_is_located(tmp_path: Path, char: str) -> None:
    """A character YAML refuses (ESC, BEL, DEL, the C1 controls) is said at its FILE:LINE:COL, not as
    'YAML error ... position 40'."""
    path = tmp_path / "r.yaml"
    path.write_text('ruleset: {id: x}\ntitle: "ab' + char + 'c"\n', encoding="utf-8")
    r = CliRunner().invoke(app, ["rules", "check", str(path)])
    assert r.exit_code == 2, r.output
    if char.startswith("\x85"):  # NEL, which YAML takes for a line break, is said first, where it stands
        assert f"{path}:2:11: the character U+0085 (a line or paragraph separator) is not allowed" in r.output
    else:
        bad = char[-1]
        assert f"{path}:2:{10 + len(char)}: the character U+{ord(bad):04X} (a control character) is not allowed" in r.output
    assert "position" not in r.output


def test_a_suggested_mapping_of_odd_headers_is_read_back(tmp_path: Path) -> None:
    """--suggest-map writes a header holding C1 controls or a direction override as escapes in its quoted
    key (and in comments): the mapping file is then read by --map (it was refused: 'unacceptable
    character #x009b'), and its key is the header itself."""
    import csv

    root = Path(__file__).resolve().parent.parent
    text = (root / "tests" / "data" / "batch" / "plain_ids.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    odd = "note\u202e\x9b31m"
    export = tmp_path / "odd\x9b.csv"
    with export.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([[*rows[0], odd], *([*r, "1"] for r in rows[1:])])
    mapping = tmp_path / "m.yaml"
    r = CliRunner().invoke(app, ["batch", str(export), "--suggest-map", "-o", str(mapping)])
    assert r.exit_code == 0, r.output
    text = mapping.read_text(encoding="utf-8")
    assert "\x9b" not in text and "\u202e" not in text and '"note\\u202e\\u009b31m"' in text
    r = CliRunner().invoke(app, ["batch", str(export), "--map", str(mapping), "-o", str(tmp_path / "o.csv")])
    assert r.exit_code in (0, 1), r.output  # (1: a record of the fixture has an answer out of range)


def test_a_suggested_mapping_of_headers_with_invisible_characters_is_read_back(tmp_path: Path) -> None:
    """Headers that match questions but hold characters a mapping file may not (a direction override, a
    zero-width space in a number) or may (a soft hyphen in a word): --suggest-map writes keys that --map
    reads back, and every column is mapped to its question."""
    minimal = Path(__file__).resolve().parent / "data" / "minimal.yaml"
    export = tmp_path / "odd.csv"
    export.write_text(
        "id,How many mo\u00adnths?,sti\u202eff,areas,neck_level 1\u200b0,fever\nA1,4,yes,back,,no\n", encoding="utf-8"
    )
    mapping = tmp_path / "m.yaml"
    r = CliRunner().invoke(app, ["batch", str(export), "--rules", str(minimal), "--suggest-map", "-o", str(mapping)])
    assert r.exit_code == 0, r.output
    text = mapping.read_text(encoding="utf-8")
    assert "\u202e" not in text and "\\u202e" not in text.split("columns:")[1].split("#")[0]
    out = tmp_path / "o.csv"
    r = CliRunner().invoke(app, ["batch", str(export), "--rules", str(minimal), "--map", str(mapping), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8").splitlines()[1].split(",")[:3] == ["1", "A1", "ok"]


def test_a_red_flag_cannot_replace_a_more_urgent_one(tmp_path: Path) -> None:
    """A sign that replaces another hides it where both fire, and where both could not be checked (the one
    it covers is left out): a 'see a doctor' sign replacing an emergency would hide the emergency. Refused at
    the replaced id; the bundled replacements (emergencies over sooner-or-later signs) load."""
    bundled = Path(__file__).resolve().parent.parent / "rules" / "pt-screen.yaml"
    text = bundled.read_text(encoding="utf-8")
    old = "  - id: both_legs\n    when: both_legs_symptoms\n    level: see_doctor\n    urgency: today\n"
    assert old in text
    path = write(tmp_path, text.replace(old, old + "    replaces: [cauda_equina_bladder]\n", 1))
    line = text[: text.index(old)].count("\n") + 5
    assert_problem(problems(path), path, line, "'cauda_equina_bladder' is more urgent than this red flag")
    same_level = text.replace(old, old + "    replaces: [neck_dizziness]\n", 1)  # see_doctor, weeks: later
    load_ruleset(write(tmp_path, same_level, "ok.yaml"))
    sooner = text.replace(old, old + "    replaces: [possible_blood_clot]\n", 1)  # see_doctor, today: same
    load_ruleset(write(tmp_path, sooner, "same.yaml"))
    later_first = text.replace(old, old.replace("urgency: today", "urgency: days") + "    replaces: [possible_blood_clot]\n", 1)
    lines = problems(write(tmp_path, later_first, "later.yaml"))
    assert any("'possible_blood_clot' is more urgent" in x for x in lines), lines
