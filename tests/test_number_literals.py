"""A number written with more than a float holds is never read silently as another value (issue 10, new
variants): in JSON, JSON Lines and YAML, ``1e-400`` (a float's 0) or ``0.99999999999999999999`` (a float's 1)
is not taken as no or yes; it is read as its text, as the same cell in a CSV file is. YAML's hexadecimal and
binary numbers (``0x258`` is 600) are said plainly, as its octal and base-60 ones are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.io.jsonnum import json_float

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _answers() -> dict[str, object]:
    data = yaml.safe_load((ROOT / "docs" / "examples" / "answers.yaml").read_text(encoding="utf-8"))
    return {k: ("yes" if v is True else "no" if v is False else v) for k, v in data.items()}


@pytest.mark.parametrize(
    ("text", "read"),
    [("1e-400", "1e-400"), ("0.99999999999999999999", "0.99999999999999999999"), ("1e400", "1e400"),
     ("1.0", "1.0"), ("1e0", "1e0"), ("0.5", 0.5), ("-0.0", "-0.0"), ("5e-324", 5e-324), ("2.50", 2.5),
     ("1e300", 1e300)],
)  # fmt: skip
def test_json_float_keeps_the_text_of_a_whole_number_or_one_a_float_would_change(text: str, read: object) -> None:
    assert json_float(text) == read and type(json_float(text)) is type(read)


@pytest.mark.parametrize("literal", ["1e-400", "0.99999999999999999999", "1.0000000000000000001"])
def test_a_yes_no_answer_is_never_a_rounded_float(tmp_path: Path, literal: str) -> None:
    answers = _answers()
    text = json.dumps(answers).replace('"night_pain": "no"', f'"night_pain": {literal}')
    (tmp_path / "a.json").write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["score", str(tmp_path / "a.json")])
    assert r.exit_code == 1 and f"night_pain: '{literal}' is not yes, no or not sure" in r.stderr
    (tmp_path / "a.jsonl").write_text(text + "\n" + text.replace(literal, "1") + "\n", encoding="utf-8")
    r = runner.invoke(app, ["batch", str(tmp_path / "a.jsonl")])
    rows = r.stdout.splitlines()
    assert rows[1].startswith("1,,error,") and f"night_pain: '{literal}'" in rows[1]
    assert ",constant_night_pain," in rows[2]  # 1 is yes
    yml = tmp_path / "a.yaml"
    yml.write_text(yaml.safe_dump({**answers, "night_pain": "X"}).replace("night_pain: X", f"night_pain: {literal}"))
    r = runner.invoke(app, ["score", str(yml)])
    assert r.exit_code == 1  # YAML 1.1 reads 1e-400 (no dot) as a text: refused as any other text
    assert f"YAML reads {literal} as the whole number" in r.stderr or f"'{literal}' is not yes, no" in r.stderr


@pytest.mark.parametrize(("written", "read", "kind"), [("0x258", 600, "hexadecimal"), ("0b1001011000", 600, "binary")])
def test_yaml_hex_and_binary_numbers_in_rules_are_said(tmp_path: Path, written: str, read: int, kind: str) -> None:
    text = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
    assert "months > 3" in text
    rules = tmp_path / "r.yaml"
    rules.write_text(text.replace("type: integer", f"type: integer\n    max: {written}", 1), encoding="utf-8")
    r = runner.invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 2, r.output
    assert f"YAML reads {written} as the {kind} number {read}" in r.output.replace("\n", " ")


@pytest.mark.parametrize(("literal", "said"), [("-Infinity", "too small"), ("Infinity", "too large"), ("-" + "9" * 40, "too small")])
def test_a_number_beyond_a_float_is_said_by_its_sign(tmp_path: Path, literal: str, said: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(_answers()).replace("\"pain_intensity\": 6", f"\"pain_intensity\": {literal}"), encoding="utf-8")
    assert f'"pain_intensity": {literal}' in path.read_text(encoding="utf-8")
    r = runner.invoke(app, ["score", str(path)])
    assert r.exit_code == 1 and f"pain_intensity: the number is {said}" in r.stderr


def test_csv_and_json_lines_give_the_same_verdict_for_the_same_numbers(tmp_path: Path) -> None:
    """Found in review: JSON 1e0 was yes (an emergency for a safety question) where CSV '1e0' is an error,
    and -0.0 was no. A JSON number with a fraction or exponent that is whole is read as its text, as CSV."""
    cells = [("A", "1e0", ""), ("B", "1.0", ""), ("C", "-0.0", ""), ("D", "1", ""), ("E", "yes", "5.0"), ("F", "yes", "1E+1")]
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("id,night_pain,pain_intensity\n" + "".join(f"{a},{b},{c}\n" for a, b, c in cells), encoding="utf-8")
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(
        "".join(
            "{" + f'"id": "{a}", "night_pain": {b if b != "yes" else json.dumps(b)}' + (f', "pain_intensity": {c}' if c else "") + "}\n"
            for a, b, c in cells
        ),
        encoding="utf-8",
    )
    one = runner.invoke(app, ["batch", str(csv_path), "--allow-missing"]).stdout
    two = runner.invoke(app, ["batch", str(jsonl), "--allow-missing"]).stdout
    assert one == two
    assert [line.split(",")[2] for line in one.splitlines()[1:]] == ["error", "incomplete", "error", "incomplete", "incomplete", "incomplete"]

