"""``rules check`` says what is wrong, where (issue 10, point 5).

Outcomes that leave reachable answers with no level, Python keywords as ids, a '#' in a condition (in its
text, or a YAML comment cutting it), identifiers that Unicode normalisation would fold, UTF-32 files and NUL
bytes: each is refused at FILE:LINE with a message that says what happened.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
STARTBACK = (ROOT / "tests" / "data" / "startback.yaml").read_text(encoding="utf-8")
runner = CliRunner()
BANDS = "  - {score: total, min: 0, max: 0, level: low}\n  - {score: total, min: 1, level: high}"


def check(tmp_path: Path, text: str | bytes) -> tuple[int, str, Path]:
    path = tmp_path / "r.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["rules", "check", str(path)])
    assert "internal error" not in r.output
    return r.exit_code, r.stderr, path


@pytest.mark.parametrize(
    "outcomes",
    [
        "  - {score: total, min: 0, max: 0.5, level: low}\n  - {score: total, min: 1.5, level: high}",
        "  - {score: total, min: 0, max: 0, level: low}\n  - {score: total, min: 2, level: high}",
        "  - {score: total, min: 1, level: high}",
        "  - {score: total, min: 0, max: 1, level: low}",
        "  - {when: months > 3, level: high}\n  - {when: stiff, level: low}",
        "  - {when: total >= 2, level: high}\n  - {when: total == 0, level: low}",
    ],
)
def test_outcomes_that_leave_answers_without_a_level(tmp_path: Path, outcomes: str) -> None:
    code, err, path = check(tmp_path, MINIMAL.replace(BANDS, outcomes))
    assert code == 2
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: .*(leave a gap|no level from any outcome)", err), err


def test_when_chains_that_cover_every_score_pass(tmp_path: Path) -> None:
    code, err, _ = check(tmp_path, STARTBACK)
    assert code == 0, err
    code, err, _ = check(tmp_path, STARTBACK.replace("when: total <= 3", "when: total <= 2"))
    assert code == 2 and "total = 3" in err


@pytest.mark.parametrize("word", sorted(w for w in keyword.kwlist if w.islower()))
def test_python_keywords_are_refused_at_the_id(tmp_path: Path, word: str) -> None:
    text = MINIMAL.replace("  - id: stiff\n    type: boolean", f"  - id: {word}\n    type: boolean")
    code, err, path = check(tmp_path, text)
    assert code == 2
    assert f"{path}:16:9: " in err and "reserved word" in err, err


@pytest.mark.parametrize(
    ("condition", "column"),
    [('"months > 3 # or stiff"', 23), ("'stiff or # months > 3'", 21), ("months > 3 # or stiff", 22)],
)
def test_a_hash_in_a_condition_is_an_error(tmp_path: Path, condition: str, column: int) -> None:
    code, err, path = check(tmp_path, MINIMAL.replace("when: months > 3", f"when: {condition}"))
    assert code == 2
    assert f"{path}:44:{column}: " in err and "'#'" in err, err


def test_a_quoted_hash_in_a_string_literal_is_allowed(tmp_path: Path) -> None:
    text = MINIMAL.replace("{id: back, label: Back}", "{id: back, label: 'Back #1'}")
    code, err, _ = check(tmp_path, text)
    assert code == 0, err


@pytest.mark.parametrize("name", ["ｍonths", "mｏnths", "month\u0455", "ﬁ", "months\u0301"])
def test_look_alike_identifiers_are_refused(tmp_path: Path, name: str) -> None:
    code, err, path = check(tmp_path, MINIMAL.replace("when: months > 3", f"when: {name} > 3"))
    assert code == 2, err
    assert f"{path}:44:" in err


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-le", "utf-32-be"])
def test_utf32_is_named(tmp_path: Path, encoding: str) -> None:
    code, err, path = check(tmp_path, MINIMAL.encode(encoding))
    assert code == 2 and f"{path}: the file is UTF-32 text" in err


def test_a_nul_is_located(tmp_path: Path) -> None:
    code, err, path = check(tmp_path, MINIMAL.replace("title: Minimal", "title: Min\x00imal").encode())
    assert code == 2 and f"{path}:3:11: a NUL character" in err


def test_a_nul_in_a_batch_export_is_located(tmp_path: Path) -> None:
    """A NUL in a record: that record's error row names its line and column, and the run goes on (exit 1);
    in the header: the file is refused, the NUL located (tests/test_nul_cells.py: every format)."""
    export = tmp_path / "in.csv"
    rules = str(ROOT / "tests" / "data" / "minimal.yaml")
    export.write_bytes(b"id,months,stiff,areas,neck_level,fever\nA1,4\x00,yes,back,,no\nA2,4,yes,back,,no\n")
    r = runner.invoke(app, ["batch", str(export), "--rules", rules])
    assert r.exit_code == 1 and "\x00" not in r.stdout
    assert f"A1,error,,,,,,,,\"{export}:2 (column 'months'): a NUL character (byte 0) in a cell" in r.stdout
    assert "\n2,A2," in r.stdout
    export.write_bytes(b"id,mon\x00ths,stiff,areas,neck_level,fever\nA1,4,yes,back,,no\n")
    r = runner.invoke(app, ["batch", str(export), "--rules", rules])
    assert r.exit_code == 1 and f"{export}:1: a NUL character (byte 0) at line 1, column 7" in r.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["rules", "check", ""],
        ["rules", "show", ""],
        ["score", "{answers}", "--rules", ""],
        ["batch", "{export}", "--rules", ""],
        ["form", "export", "csv", "--rules", ""],
        ["rules", "diff", "", "pt-screen", "{export}"],
    ],
)
def test_an_empty_rules_name_is_refused_not_taken_for_the_bundled_ruleset(argv: list[str]) -> None:
    """``rules check "$RULES"`` with the variable unset said "ok: pt-screen" of rules it never checked."""
    answers = str(ROOT / "docs" / "examples" / "answers.yaml")
    export = str(ROOT / "tests" / "data" / "batch" / "plain_ids.csv")
    r = runner.invoke(app, [a.format(answers=answers, export=export) for a in argv])
    assert r.exit_code == 2, r.output
    assert "the rules name is empty" in r.stderr and "ok:" not in r.output
