"""Huge numbers are a located message, never an internal error (issue 10, points 3 and 5).

Rules files: hundreds or thousands of digits, values beyond a float, and sums that would overflow, in every
numeric field and in conditions: exit 2 with FILE:LINE. Answers (score, batch CSV/JSON/JSONL): the
question is named, exit 1. ``1.5e3`` (text to YAML 1.1) gets a message saying how YAML read it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
runner = CliRunner()
BIG = "9" * 5000
HUGE_VALUES = [BIG, "-" + BIG, "1.0e+400", "-1.0e+400", "1.0e+308", "12345678901234567890", ".inf", "1e400"]


def _rules(tmp_path: Path, old: str, new: str) -> Path:
    assert old in MINIMAL
    path = tmp_path / "r.yaml"
    path.write_text(MINIMAL.replace(old, new, 1), encoding="utf-8")
    return path


PLACES = [
    ("max: 600", "max: {v}"),
    ("min: 0\n    max: 600", "min: {v}\n    max: 600"),
    ("    title: Long\n", "    points: {v}\n    title: Long\n"),
    ("{id: back, label: Back}", "{id: back, label: Back, value: {v}}"),
    ("{score: total, min: 1, level: high}", "{score: total, min: {v}, level: high}"),
    ("months > 3", "months > {v}"),
    ("months > 3", "months * {v} > 3"),
    ("months > 3", "months + {v} + {v} > 3"),
]


@pytest.mark.parametrize(("old", "new"), PLACES)
@pytest.mark.parametrize("value", HUGE_VALUES, ids=lambda v: v[:12])
def test_rules_files(tmp_path: Path, old: str, new: str, value: str) -> None:
    path = _rules(tmp_path, old, new.replace("{v}", value))
    r = runner.invoke(app, ["rules", "check", str(path)])
    assert r.exit_code == 2, r.output
    assert "internal error" not in r.output
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: ", r.stderr), r.stderr


def test_points_that_would_sum_to_infinity(tmp_path: Path) -> None:
    text = MINIMAL.replace("    title: Long\n", "    points: 1.0e+308\n    title: Long\n")
    text = text.replace("    title: Stiff\n", "    points: 1.0e+308\n    title: Stiff\n")
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["rules", "check", str(path)])
    assert r.exit_code == 2 and "too large" in r.stderr and f"{path}:" in r.stderr


@pytest.mark.parametrize("written", ["1.5e3", "2e2", "1E3", "1e400"])
def test_yaml_text_that_looks_like_a_number_is_explained(tmp_path: Path, written: str) -> None:
    path = _rules(tmp_path, "max: 600", f"max: {written}")
    r = runner.invoke(app, ["rules", "check", str(path)])
    assert r.exit_code == 2
    assert f"YAML read '{written}' as text" in r.stderr


@pytest.mark.parametrize("value", [BIG, "-" + BIG, "1e400", "-1e400", "1e308"])
@pytest.mark.parametrize("form", ["json", "yaml", "text-json"])
def test_answers(tmp_path: Path, value: str, form: str) -> None:
    path = tmp_path / ("a.json" if "json" in form else "a.yaml")
    shown = f'"{value}"' if form == "text-json" else value
    if form == "yaml":
        path.write_text(f"age_years: {shown}\npain_duration_months: {shown}\n", encoding="utf-8")
    else:
        path.write_text(f'{{"age_years": {shown}, "pain_duration_months": {shown}}}', encoding="utf-8")
    r = runner.invoke(app, ["score", str(path)])
    assert r.exit_code == 1, r.output
    assert "internal error" not in r.output
    assert f"{path}: age_years: " in r.stderr and f"{path}: pain_duration_months: " in r.stderr


@pytest.mark.parametrize("value", [BIG, "-" + BIG, "1e400", "1.0e+308"])
@pytest.mark.parametrize("form", ["csv", "json", "jsonl"])
def test_batch(tmp_path: Path, value: str, form: str) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text(MINIMAL, encoding="utf-8")
    if form == "csv":
        path = tmp_path / "in.csv"
        path.write_text(f"id,months,stiff,areas,neck_level,fever\n1,{value},yes,back,,no\n2,4,yes,back,,no\n")
    else:
        path = tmp_path / f"in.{form}"
        one = f'{{"months": {value}, "stiff": "yes", "fever": "no"}}'
        two = '{"months": 4, "stiff": "yes", "fever": "no"}'
        path.write_text(f"[{one}, {two}]" if form == "json" else f"{one}\n{two}\n", encoding="utf-8")
    r = runner.invoke(app, ["batch", str(path), "--rules", str(rules)])
    assert r.exit_code == 1, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 3 and "months: " in lines[1] and "too large" in lines[1], r.stdout
    assert ",ok," in lines[2]


@pytest.mark.parametrize(
    ("written", "read"),
    [("010", "octal number 8"), ("0_17", "octal number 15"), ("-010", "octal number -8"), ("1:30", "base-60 number 90"),
     ("2:00.5", "base-60 number 120.5"), ("0x10", "hexadecimal number 16"), ("0b11", "binary number 3")],
)
def test_a_number_yaml_reads_otherwise_is_refused_at_its_place(tmp_path: Path, written: str, read: str) -> None:
    """YAML 1.1 reads ``010`` as 8 and ``1:30`` as 90: a threshold written so would silently be another
    number. Rules files and answers files both say how YAML read it, at FILE:LINE:COL."""
    path = _rules(tmp_path, "max: 600", f"max: {written}")
    r = runner.invoke(app, ["rules", "check", str(path)])
    assert r.exit_code == 2 and f"{path}:13:10: YAML reads {written} as the {read}" in r.stderr, r.stderr
    answers = tmp_path / "a.yaml"
    answers.write_text(f"age_years: 40\npain_duration_months: {written}\n", encoding="utf-8")
    r = runner.invoke(app, ["score", str(answers)])
    assert r.exit_code == 1 and f"{answers}:2:23: cannot read the answers: YAML reads {written}" in r.stderr, r.stderr


@pytest.mark.parametrize("written", ["07", "00", "0", "10", "1_000", "0.5", "'1:30'", "1.0e+300", "2.0"])
def test_numbers_read_as_written_are_left_alone(tmp_path: Path, written: str) -> None:
    path = _rules(tmp_path, "max: 600", f"max: {written}")
    r = runner.invoke(app, ["rules", "check", str(path)])
    assert "YAML reads" not in r.stderr and "internal error" not in r.output


@pytest.mark.parametrize(("written", "said"), [("'010'", "YAML read '010' as text, not a number: write 10"),
                                               ("nan", None), ("Infinity", None)])
def test_text_that_is_no_number_is_not_explained_as_an_exponent(tmp_path: Path, written: str, said: str | None) -> None:
    """A quoted number is text; 'nan' is a word: neither is said to be "too large" or "an exponent"."""
    path = _rules(tmp_path, "max: 600", f"max: {written}")
    r = runner.invoke(app, ["rules", "check", str(path)])
    assert r.exit_code == 2 and "exponent" not in r.stderr and "too large" not in r.stderr, r.stderr
    if said:
        assert said in r.stderr
