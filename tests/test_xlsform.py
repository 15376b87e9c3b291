"""``form export xlsform``: a workbook that pyxform (ODK's converter, a test dependency only) turns into an
XForm, whose ``relevant`` expressions follow stm-screen's skip rule on random answers (evaluated with XPath
1.0's rules for ODK's stored values: everything is text, a blank is '', compared with a number it is NaN)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.core.engine import Scorer
from stm_screen.core.ruleset import UNSURE, Ruleset
from stm_screen.rules.loader import load_ruleset
from tests.test_form_logic import CHAIN_RULES, UNSURE_RULES, answer_sets, canonical

pyxform = pytest.importorskip("pyxform")  # the test extra; CI installs it
runner = CliRunner()


def export_xlsform(tmp_path: Path, rules: str | None = None, name: str = "form.xlsx") -> Path:
    out = tmp_path / name
    args = ["form", "export", "xlsform", "-o", str(out), *(["-r", rules] if rules else [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK"  # a zip: an .xlsx workbook
    return out


def parsed(path: Path) -> dict[str, Any]:
    from pyxform import xls2json

    return dict(xls2json.parse_file_to_json(str(path)))


def fields(form: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def walk(children: list[dict[str, Any]]) -> None:
        for child in children:
            if child.get("type") == "group":
                walk(child.get("children", []))
            else:
                out[child["name"]] = child

    walk(form["children"])
    return out


# --- XPath 1.0 as ODK evaluates a relevant expression ----------------------------------------------------


class _Node:
    """A field's value: text ('' when blank); compared with a number it is converted (NaN when not one)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def num(self) -> float:
        try:
            return float(self.text)
        except ValueError:
            return float("nan")

    def _pair(self, other: Any) -> tuple[Any, Any]:
        if isinstance(other, _Node):
            return self.text, other.text
        if isinstance(other, str):
            return self.text, other
        return self.num(), float(other)

    def __eq__(self, other: object) -> bool:
        a, b = self._pair(other)
        return bool(a == b)

    def __ne__(self, other: object) -> bool:
        a, b = self._pair(other)
        return bool(a != b)

    def __hash__(self) -> int:
        return hash(self.text)

    def __lt__(self, other: Any) -> bool:
        return self.num() < float(other)

    def __le__(self, other: Any) -> bool:
        return self.num() <= float(other)

    def __gt__(self, other: Any) -> bool:
        return self.num() > float(other)

    def __ge__(self, other: Any) -> bool:
        return self.num() >= float(other)

    def __add__(self, other: Any) -> float:
        return self.num() + _n(other)

    def __radd__(self, other: Any) -> float:
        return _n(other) + self.num()

    def __sub__(self, other: Any) -> float:
        return self.num() - _n(other)

    def __rsub__(self, other: Any) -> float:
        return _n(other) - self.num()

    def __mul__(self, other: Any) -> float:
        return self.num() * _n(other)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> float:
        return self.num() / _n(other)


def _n(value: Any) -> float:
    return value.num() if isinstance(value, _Node) else float(value)


def _selected(node: _Node, choice: str) -> bool:
    return choice in node.text.split()


def xpath_true(expression: str, values: dict[str, str]) -> bool:
    """A pyxform ``relevant`` (``${name}`` references) on ODK's stored values."""
    if not expression:
        return True
    text = re.sub(r"\$\{(\w+)\}", r"V('\1')", expression)
    text = re.sub(r"(?<![<>!=])=(?!=)", "==", text).replace(" div ", " / ")
    text = text.replace("not(", "NOT(")
    env = {"V": lambda name: _Node(values.get(name, "")), "selected": _selected, "NOT": lambda v: not v}
    return bool(eval(text, {"__builtins__": {}}, env))  # noqa: S307 - a test-made expression


def odk_value(q_type: str, value: Any) -> str:
    """What ODK stores for an answer: choice names (yes/no for a yes/no question), space-joined for a
    multiple choice, numbers as text, '' when blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | frozenset):
        return " ".join(sorted(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- tests ------------------------------------------------------------------------------------------------


def _rules(tmp_path: Path, text: str, name: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("which", ["bundled", "unsure", "chain"])
def test_pyxform_converts_the_export_and_relevant_follows_the_skip_rule(which: str, tmp_path: Path) -> None:
    from pyxform import xls2xform

    rules = {
        "bundled": None,
        "unsure": _rules(tmp_path, UNSURE_RULES, "unsure.yaml"),
        "chain": _rules(tmp_path, CHAIN_RULES, "chain.yaml"),
    }[which]
    ruleset: Ruleset = load_ruleset(rules)
    book = export_xlsform(tmp_path, rules)
    result = xls2xform.convert(str(book), validate=False)
    assert "<h:html" in result.xform and not result.warnings
    for q in ruleset.questions:
        assert f'/{q.id}"' in result.xform or f"/{q.id} " in result.xform
    form = parsed(book)
    by_name = fields(form)
    assert form["id_string"] == ruleset.id and form["version"] == ruleset.version
    scorer = Scorer(ruleset)
    relevant = {q.id: by_name[q.id].get("bind", {}).get("relevant", "") for q in ruleset.questions}
    assert all(bool(relevant[q.id]) == (q.ask_if is not None) for q in ruleset.questions)

    @settings(max_examples=150, deadline=None)
    @given(answers=answer_sets(ruleset))
    def check(answers: dict[str, Any]) -> None:
        values = canonical(answers)
        stored = {q.id: odk_value(q.type, answers.get(q.id)) for q in ruleset.questions}
        # stale answers of hidden questions are kept here: the relevant must ignore them too
        for q in ruleset.questions:
            if q.ask_if is None:
                continue
            assert xpath_true(relevant[q.id], stored) == scorer.asked(q, values), (
                q.id,
                relevant[q.id],
                answers,
            )

    check()


def test_choices_required_constraints_and_settings(tmp_path: Path) -> None:
    ruleset = load_ruleset()
    form = parsed(export_xlsform(tmp_path))
    by_name = fields(form)
    age = by_name["age_years"]
    assert age["type"] == "integer"
    assert age["bind"]["constraint"] == ". >= 0 and . <= 120"
    assert "0 to 120" in age["bind"]["jr:constraintMsg"]["English (en)"]
    assert age["bind"]["required"] == "yes"
    assert age["hint"]["English (en)"]
    bladder = by_name["bladder_bowel_change"]  # a safety question: yes / no / not sure, required
    assert bladder["type"] == "select one" and bladder["bind"]["required"] == "yes"
    assert [c["name"] for c in bladder["choices"]] == ["yes", "no", UNSURE]
    areas = by_name["pain_areas"]
    assert areas["type"] == "select all that apply"
    assert [c["name"] for c in areas["choices"]] == list(ruleset.by_id["pain_areas"].choice_ids)
    assert form["default_language"] == "English (en)"
    safety = [q.id for q in ruleset.questions if q.safety]
    assert all(by_name[q]["bind"].get("required") == "yes" for q in safety)


def test_every_language_of_the_rules_is_a_label_column(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book = export_xlsform(tmp_path)  # the bundled pt-screen: English and Spanish (issue 13)
    sheet = load_workbook(book)["survey"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert "label::English (en)" in header and "label::Español (es)" in header
    assert "hint::Español (es)" in header and "constraint_message::Español (es)" in header
    form = fields(parsed(book))
    assert form["age_years"]["label"] == {"English (en)": "How old are you?", "Español (es)": "¿Qué edad tiene?"}
    labels = {c["name"]: c["label"] for c in form["night_pain"]["choices"]}
    assert labels["yes"] == {"English (en)": "Yes", "Español (es)": "Sí"}
    assert labels["unsure"] == {"English (en)": "Not sure", "Español (es)": "No lo sé"}
    assert form["age_years"]["bind"]["jr:constraintMsg"]["Español (es)"].startswith("Se acepta: un número entero")


def test_no_workbook_on_a_terminal_and_a_clear_error_for_a_bad_format(tmp_path: Path) -> None:
    result = runner.invoke(app, ["form", "export", "odt"])
    assert result.exit_code == 2 and "xlsform" in result.stderr
    result = runner.invoke(app, ["form", "export", "fhir", "--format", "redcap"])
    assert result.exit_code == 2
    with_json = runner.invoke(app, ["form", "export", "fhir"])
    assert json.loads(with_json.stdout)["resourceType"] == "Questionnaire"
