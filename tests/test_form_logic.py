"""The exported skip logic, run the way each tool runs it, asks a question exactly when stm-screen does.

REDCap branching logic is evaluated with REDCap's blank semantics (a blank field is '' and 0 in arithmetic;
the checkbox options of a blank record are all 0), FHIR ``enableWhen`` with the R4 rules (typed answers: an
``answerBoolean`` never matches a Coding), and the SDC FHIRPath expression with fhirpathpy, which must give
true or false (never an empty result). Answer sets are random (hypothesis), with blanks and 'not sure'
everywhere it is an answer. Forms are built from the exported *form* (data dictionary, Questionnaire), not
from the ruleset, so a wrong code or type in the export shows up here.

The helpers at the top are shared with ``test_form_roundtrip`` and ``test_fhir_enable_when``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.core.engine import Scorer
from stm_screen.core.ruleset import UNSURE, Question, Ruleset
from stm_screen.rules.loader import load_ruleset

runner = CliRunner()
EXPRESSION = "sdc-questionnaire-enableWhenExpression"


def export(fmt: str, rules: str | None = None) -> str:
    result = runner.invoke(app, ["form", "export", "-f", fmt, *(["-r", rules] if rules else [])])
    assert result.exit_code == 0, result.output
    return result.stdout


# --- FHIR: the Questionnaire as a form filler uses it --------------------------------------------------


def form_items(questionnaire: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every item by linkId (groups and display items too)."""
    out: dict[str, dict[str, Any]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            out[item["linkId"]] = item
            walk(item.get("item", []))

    walk(list(questionnaire["item"]))
    return out


def fhir_answer(item: Mapping[str, Any], value: Any) -> list[dict[str, Any]]:
    """What a form filler stores for this answer: one of the item's own answerOption codings for a choice
    (yes/no/unsure for a yes/no question that offers 'not sure'), else a value of the item's type."""
    if item["type"] == "choice":
        options = {o["valueCoding"]["code"]: o["valueCoding"] for o in item["answerOption"]}
        if isinstance(value, bool):
            value = "yes" if value else "no"
        codes = value if isinstance(value, list | tuple) else [value]
        missing = [c for c in codes if c not in options]
        assert not missing, f"item '{item['linkId']}' offers no answer {missing}; it offers {sorted(options)}"
        return [{"valueCoding": dict(options[c])} for c in codes]
    assert value != UNSURE, f"item '{item['linkId']}' ({item['type']}) cannot be answered 'not sure'"
    key = {"boolean": "valueBoolean", "integer": "valueInteger", "decimal": "valueDecimal"}[item["type"]]
    return [{key: value}]


def qr_answers(qr: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if item.get("answer"):
                found[item["linkId"]] = item["answer"]
            walk(item.get("item", []))

    walk(list(qr.get("item", [])))
    return found


def _typed(answer: Mapping[str, Any]) -> tuple[str, Any]:
    """(type, comparable value) of an answer or an enableWhen's answer[x]: a Coding by system and code."""
    ((key, value),) = [(k, v) for k, v in answer.items() if k.startswith(("value", "answer"))]
    kind = key.removeprefix("value").removeprefix("answer")
    if kind == "Coding":
        return kind, (value.get("system"), value["code"])
    return kind, value


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}


def enable_when_holds(
    item: Mapping[str, Any], qr: Mapping[str, Any], items: Mapping[str, Mapping[str, Any]] | None = None
) -> bool:
    """FHIR R4 enableWhen (questionnaire-enable-operator): ``exists`` compares whether there is an answer;
    ``=`` holds when an answer of the same type equals the value (a Coding: same system and code), ``!=``
    when none does (so also with no answer at all); the orderings when an answer of the same type compares
    so. An answer of another type matches nothing. With the form's ``items``, the answer of an item that is
    itself disabled counts as no answer ("If enableWhen logic depends on an item that is disabled, the logic
    should proceed as though the item is not valued")."""
    answers = qr_answers(qr)
    if items is not None:
        for cond in item["enableWhen"]:
            link = cond["question"]
            if link in answers and not fhir_enabled(items[link], qr, items):
                del answers[link]
    results = []
    for cond in item["enableWhen"]:
        got = [_typed(a) for a in answers.get(cond["question"], [])]
        kind, expected = _typed(cond)
        if cond["operator"] == "exists":
            results.append(bool(got) == expected)
            continue
        same = [v for k, v in got if k == kind or {k, kind} <= {"Integer", "Decimal"}]
        if cond["operator"] == "=":
            results.append(any(v == expected for v in same))
        elif cond["operator"] == "!=":
            results.append(not any(v == expected for v in same))
        else:
            results.append(any(_ORDER[cond["operator"]](v, expected) for v in same))
    return all(results) if item.get("enableBehavior", "all") == "all" else any(results)


_COMPILED: dict[str, Any] = {}
_RESULTS: dict[tuple[str, str], list[Any]] = {}


def fhirpath_holds(item: Mapping[str, Any], qr: Mapping[str, Any]) -> bool:
    """The SDC enableWhenExpression, run by fhirpathpy; it must resolve to exactly true or false."""
    import fhirpathpy  # the test extra
    from fhirpathpy.models import models

    (ext,) = [e for e in item["extension"] if e["url"].endswith(EXPRESSION)]
    text = ext["valueExpression"]["expression"]
    if text not in _COMPILED:
        _COMPILED[text] = fhirpathpy.compile(text, models["r4"])
    # FHIRPath is pure, and the expression reads only the items it names: the same answers to those give
    # the same result (fhirpathpy takes ~30 ms per run of a repeat(item) expression)
    answers = qr_answers(qr)
    key = (text, json.dumps([answers.get(link) for link in re.findall(r"linkId='(\w+)'", text)]))
    if key not in _RESULTS:
        _RESULTS[key] = _COMPILED[text](dict(qr), {"resource": dict(qr)})
    out = _RESULTS[key]
    assert out in ([True], [False]), f"{item['linkId']}: {text} gave {out}, not a boolean"
    return bool(out == [True])


def fhir_enabled(
    item: Mapping[str, Any], qr: Mapping[str, Any], items: Mapping[str, Mapping[str, Any]] | None = None
) -> bool:
    """Whether a form filler enables the item. An expression sees every answer in the response, stale ones
    of disabled items too (as LHC-Forms does); enableWhen follows the R4 rule for disabled items."""
    if "enableWhen" in item:
        assert not any(e["url"].endswith(EXPRESSION) for e in item.get("extension", []))
        return enable_when_holds(item, qr, items)
    if any(e["url"].endswith(EXPRESSION) for e in item.get("extension", [])):
        return fhirpath_holds(item, qr)
    return True


def response_for(
    questionnaire: Mapping[str, Any], answers: Mapping[str, Any], *, drop_disabled: bool = False
) -> dict[str, Any]:
    """A QuestionnaireResponse as a FHIR form filler makes it from this Questionnaire. With
    ``drop_disabled`` the answers of items the form disables are left out, as LHC-Forms leaves out a disabled
    item (each item is judged on the answers kept before it, in form order); without it every answer is
    kept, like a stale answer that a form filler did not clear."""
    qr: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{questionnaire['url']}|{questionnaire['version']}",
        "status": "completed",
        "item": [],
    }

    def items(q_items: list[dict[str, Any]], into: list[dict[str, Any]]) -> None:
        for item in q_items:
            if item["type"] == "group":
                group: dict[str, Any] = {"linkId": item["linkId"], "item": []}
                into.append(group)
                items(item.get("item", []), group["item"])
                if not group["item"]:
                    into.remove(group)
                continue
            value = answers.get(item["linkId"])
            if item["type"] == "display" or value is None or (isinstance(value, list) and not value):
                continue
            if drop_disabled and not fhir_enabled(item, qr, form_items(questionnaire)):
                continue
            into.append({"linkId": item["linkId"], "answer": fhir_answer(item, value)})

    items(list(questionnaire["item"]), qr["item"])
    return qr


# --- REDCap: the data dictionary as a project built from it uses it ------------------------------------


def redcap_fields(dictionary_csv: str) -> dict[str, dict[str, str]]:
    return {r["Variable / Field Name"]: r for r in csv.DictReader(io.StringIO(dictionary_csv))}


def redcap_codes(field: Mapping[str, str]) -> list[str]:
    text = field["Choices, Calculations, OR Slider Labels"]
    return [c.split(",", 1)[0].strip() for c in text.split("|")] if text else []


def redcap_cell(field: Mapping[str, str], value: Any) -> str:
    """The raw export's cell for one answer of a yesno, radio or text field ('' when blank)."""
    if value is None:
        return ""
    name, kind = field["Variable / Field Name"], field["Field Type"]
    if kind == "yesno":
        assert isinstance(value, bool), f"field '{name}' is yesno and cannot say {value!r}"
        return "1" if value else "0"
    if kind == "radio":
        code = "1" if value is True else "0" if value is False else str(value)
        assert code in redcap_codes(field), f"field '{name}' has no code {code!r}: {redcap_codes(field)}"
        return code
    assert value != UNSURE, f"field '{name}' ({kind}) cannot say 'not sure'"
    return str(value)


def redcap_record(
    fields: Mapping[str, Mapping[str, str]], answers: Mapping[str, Any], ruleset: Ruleset | None = None
) -> dict[str, str]:
    """One record's raw export cells: checkbox fields as ``field___code`` columns of 0/1 (all 0 when not
    answered, as REDCap stores them); with the ``ruleset``, a checkbox field whose columns would be too long
    with choice ids has the choices' numbers as codes."""
    from stm_screen.interop.conditions import checkbox_code

    record: dict[str, str] = {}
    for name, field in fields.items():
        if name == "record_id":
            continue
        value = answers.get(name)
        if field["Field Type"] == "checkbox":
            codes = redcap_codes(field)
            chosen = list(value or [])
            if ruleset is not None:
                chosen = [checkbox_code(ruleset.by_id[name], c) for c in chosen]
            assert set(chosen) <= set(codes), f"field '{name}' has no codes {set(chosen) - set(codes)}"
            for code in codes:
                record[f"{name}___{code}"] = "1" if code in chosen else "0"
        else:
            record[name] = redcap_cell(field, value)
    return record


class _Blank:
    """A blank field: equal to '' only, 0 in a comparison with a number and in arithmetic."""

    def __eq__(self, other: object) -> bool:
        return other == "" or isinstance(other, _Blank)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return 0

    def __lt__(self, other: Any) -> bool:
        return bool(0 < other)

    def __gt__(self, other: Any) -> bool:
        return bool(0 > other)

    def __le__(self, other: Any) -> bool:
        return bool(0 <= other)

    def __ge__(self, other: Any) -> bool:
        return bool(0 >= other)

    def __add__(self, other: Any) -> Any:
        return 0 + other

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        return 0 - other

    def __rsub__(self, other: Any) -> Any:
        return other - 0

    def __mul__(self, other: Any) -> Any:
        return 0

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        return 0 / other


def redcap_shows(logic: str, fields: Mapping[str, Mapping[str, str]], record: Mapping[str, str]) -> bool:
    """REDCap branching logic on one record's raw cells, with REDCap's blank semantics."""
    if not logic:
        return True

    def field(match: re.Match[str]) -> str:
        name, code = match.group(1), match.group(2)
        if code is not None:
            return repr(record[f"{name}___{code}"])
        cell = record[name]
        if cell == "":
            return "BLANK"
        if (
            fields[name]["Field Type"] == "text"
            and fields[name]["Text Validation Type OR Show Slider Number"]
        ):
            return repr(float(cell))
        return repr(cell)

    text = re.sub(r"\[(\w+)(?:\((\w+)\))?\]", field, logic)
    text = re.sub(r"(?<![<>!=])=(?!=)", "==", text).replace("<>", "!=")
    return bool(eval(text, {"__builtins__": {}}, {"BLANK": _Blank()}))  # noqa: S307 - test-made logic


# --- answer sets --------------------------------------------------------------------------------------


def _numbers(q: Question, ruleset: Ruleset) -> st.SearchStrategy[Any]:
    """Values around every number the rules compare with, and anything in range."""
    import ast

    lo = 0.0 if q.min is None else q.min
    hi = 1000.0 if q.max is None else q.max
    near: set[float] = {lo, hi}
    for other in ruleset.questions:
        if other.ask_if is not None and q.id in other.ask_if.names:
            for node in ast.walk(ast.parse(other.ask_if.source, mode="eval")):
                if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
                    if not isinstance(node.value, bool):
                        v = float(node.value)
                        near |= {v - 1, v - 0.5, v - 0.1, v, v + 0.1, v + 0.5, v + 1, v * 12, v * 12 + 1}
    if q.type == "integer":
        points = sorted({int(v) for v in near if v == int(v) and lo <= v <= hi})
        return st.one_of(st.sampled_from(points), st.integers(int(lo), int(hi)))
    points = sorted(v for v in near if lo <= v <= hi)
    tenths = st.integers(int(lo * 10), int(hi * 10)).map(lambda n: n / 10)
    return st.one_of(st.sampled_from(points), tenths).map(lambda v: int(v) if v == int(v) else v)


def answer_sets(ruleset: Ruleset, answered: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, Any]]:
    """Random answers for every question: blank anywhere (except the ``answered`` questions), 'not sure'
    wherever it is an answer."""
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for q in ruleset.questions:
        unsure = [UNSURE] if q.unsure and q.type in ("boolean", "choice") else []
        if q.type == "boolean":
            value: st.SearchStrategy[Any] = st.sampled_from([True, False, *unsure])
        elif q.type == "choice":
            value = st.sampled_from([*q.choice_ids, *unsure])
        elif q.type == "multi_choice":
            value = st.lists(st.sampled_from(q.choice_ids), min_size=1, unique=True).map(sorted)
        else:
            value = _numbers(q, ruleset)
        parts[q.id] = value if q.id in answered else st.one_of(st.none(), value)
    return st.fixed_dictionaries(parts)


def canonical(answers: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (frozenset(v) if isinstance(v, list) else v) for k, v in answers.items() if v is not None}


def agree(
    ruleset: Ruleset,
    questionnaire: Mapping[str, Any],
    fields: Mapping[str, Mapping[str, str]],
    answers: Mapping[str, Any],
    *,
    skip_redcap: frozenset[str] = frozenset(),
) -> int:
    """Check one answer set both ways; return how many (question, tool) visibilities were compared.

    1. Each translated condition on every answer (stale ones too, the answers of questions the skip rule
       does not ask, which a form tool may keep): shown exactly when stm-screen asks the question.
    2. The whole form: answers to questions the form hides are cleared in form order, as the tools do, and
       then every gated question is shown exactly when stm-screen's scorer asks it.
    3. The questionnaire (prompt.flow), given these answers as they are asked for, asks those questions.
    """
    scorer = Scorer(ruleset)
    values = canonical(answers)
    items = form_items(questionnaire)
    checked = 0
    qr = response_for(questionnaire, answers)
    record = redcap_record(fields, answers, ruleset)
    skipped = scorer.visible(values)[1]
    # REDCap stores a checkbox field as one 0/1 column per box, so a blank one reads as nothing ticked (as
    # batch --preset redcap reads it): the same answers, as REDCap holds them
    in_redcap = {q.id: [] for q in ruleset.questions if q.type == "multi_choice" and q.id not in values}
    redcap_skipped = scorer.visible({**values, **in_redcap})[1]
    for q in ruleset.questions:
        if q.ask_if is None:
            continue
        asked = q.id not in skipped
        assert scorer.asked(q, values) == asked
        assert fhir_enabled(items[q.id], qr, items) == asked, ("fhir", q.id, q.ask_if.source, answers)
        checked += 1
        if q.id not in skip_redcap:
            logic = fields[q.id]["Branching Logic (Show field only if...)"]
            shown = q.id not in redcap_skipped
            assert redcap_shows(logic, fields, record) == shown, ("redcap", q.id, logic, answers)
            checked += 1
    # 2. the whole form, hidden answers cleared
    ev = scorer.evaluate(values)
    kept = {k: v for k, v in answers.items() if k not in ev.skipped}
    qr = response_for(questionnaire, kept)
    record = redcap_record(fields, kept, ruleset)
    assert set(qr_answers(qr)) == {k for k, v in kept.items() if v is not None}
    for q in ruleset.questions:
        if q.ask_if is None:
            continue
        asked = q.id not in ev.skipped
        assert fhir_enabled(items[q.id], qr, items) == asked, ("fhir form", q.id, q.ask_if.source, kept)
        if q.id not in skip_redcap:
            logic = fields[q.id]["Branching Logic (Show field only if...)"]
            shown = q.id not in redcap_skipped
            assert redcap_shows(logic, fields, record) == shown, ("redcap form", q.id, logic, kept)
    # the filler that drops disabled items keeps exactly the answers stm-screen counts
    dropped = response_for(questionnaire, answers, drop_disabled=True)
    assert qr_answers(dropped) == qr_answers(qr)
    # 3. the questionnaire asks exactly the questions the scorer does not skip
    assert flow_asks(ruleset, answers) == {q.id for q in ruleset.questions if q.id not in ev.skipped}
    return checked


# --- a ruleset with 'not sure' parents, * and / ---------------------------------------------------------

UNSURE_RULES = """
id: unsure-demo
version: "1.0"
title: Not sure demo
disclaimer: A test ruleset, not for use with people.
sources:
  - {id: test, citation: Test fixture}
sections:
  - {id: about, title: About you}
  - {id: safety, title: Safety check, safety: true}
  - {id: more, title: More}
questions:
  - {id: age, section: about, type: integer, min: 0, max: 120, required: true, text: How old are you?}
  - {id: months, section: about, type: number, min: 0, max: 600, unit: months, text: How many months?}
  - id: areas
    section: about
    type: multi_choice
    text: Where?
    choices: [{id: back, label: Back}, {id: knee, label: Knee}]
  - {id: hurt, section: safety, type: boolean, text: Did you hurt yourself?}
  - id: how
    section: safety
    type: choice
    text: How?
    choices: [{id: fall, label: A fall}, {id: lift, label: Lifting}]
  - {id: count, section: safety, type: integer, min: 0, max: 9, text: How many times?}
  # 'not sure' counts as yes here (unsure_means_yes): it asks what 'yes' asks, never what 'no' asks
  - {id: dark, section: safety, type: boolean, unsure_means_yes: {source: test}, text: Dark thoughts?}
  - {id: after_hurt, section: more, type: boolean, text: After the injury?, ask_if: hurt}
  - {id: not_hurt, section: more, type: boolean, text: No injury?, ask_if: not hurt}
  - {id: hurt_ne, section: more, type: boolean, text: Not hurt (!=)?, ask_if: "hurt != True"}
  - {id: hurt_false, section: more, type: boolean, text: Hurt is false?, ask_if: "hurt == False"}
  - {id: not_a_fall, section: more, type: boolean, text: Not a fall?, ask_if: "how != 'fall'"}
  - {id: lifting, section: more, type: boolean, text: Lifting?, ask_if: "how == 'lift'"}
  - {id: either, section: more, type: boolean, text: Either?, ask_if: "how in ['fall', 'lift'] or hurt"}
  - {id: not_fall_or_old, section: more, type: boolean, text: Not fall or old?, ask_if: "how != 'fall' or age > 60"}
  - {id: double, section: more, type: boolean, text: Double?, ask_if: "age * 2 > 100"}
  - {id: left_mult, section: more, type: boolean, text: Left *?, ask_if: "3 * months >= 9"}
  - {id: began, section: more, type: boolean, text: Began before 45?, ask_if: "age - months / 12 < 45"}
  - {id: not_half, section: more, type: boolean, text: Not half?, ask_if: "not (age / 2 >= 20)"}
  - id: mixed
    section: more
    type: boolean
    text: Mixed?
    ask_if: "(hurt or how == 'lift') and age * 2 - months / 6 > 60"
  - {id: back_began, section: more, type: boolean, text: Back began?, ask_if: "'back' in areas and months >= 3 and age - months / 12 < 45"}
  - {id: count_ok, section: more, type: boolean, text: Count?, ask_if: "count >= 2"}
  - {id: hurt_and_not, section: more, type: boolean, text: Hurt and not lift?, ask_if: "hurt and not how == 'lift'"}
  - {id: after_dark, section: more, type: boolean, text: After dark?, ask_if: dark}
  - {id: not_dark, section: more, type: boolean, text: Not dark?, ask_if: not dark}
  - {id: dark_ne, section: more, type: boolean, text: Dark != True?, ask_if: "dark != True"}
  - {id: dark_eq, section: more, type: boolean, text: Dark == True?, ask_if: "dark == True"}
  - {id: dark_false, section: more, type: boolean, text: Dark is false?, ask_if: "dark == False"}
  - {id: dark_or_hurt, section: more, type: boolean, text: Dark or hurt?, ask_if: dark or hurt}
  - {id: dark_and_lift, section: more, type: boolean, text: Dark and lift?, ask_if: "dark and how == 'lift'"}
  - {id: dark_not_fall, section: more, type: boolean, text: Dark and not a fall?, ask_if: "dark and how != 'fall'"}
  - {id: dark_is_hurt, section: more, type: boolean, text: Dark as hurt?, ask_if: "dark == hurt"}
  - {id: dark_not_hurt, section: more, type: boolean, text: Dark unlike hurt?, ask_if: "dark != hurt"}
  - {id: dark_old, section: more, type: boolean, text: Dark and old?, ask_if: "dark and age * 2 > 100"}
  - {id: after_after_dark, section: more, type: boolean, text: Chained?, ask_if: "after_dark or not dark"}
red_flags:
  - {id: injured, when: hurt, level: see_doctor, urgency: today, title: Injured, message: See a doctor today., source: test}
  - {id: low, when: dark, level: see_doctor, urgency: today, title: Low, message: Talk to someone today., source: test}
criteria:
  - {id: long, when: months >= 3, title: Long, explanation: It has lasted., source: test}
scores:
  - {id: total, title: Signs, criteria: all}
levels:
  - {id: self_care, title: Self care, advice: Keep moving.}
  - {id: pt_consider, title: Consider PT, advice: Consider it.}
  - {id: see_doctor, title: See a doctor, advice: See one.}
outcomes:
  - {level: self_care, score: total, max: 0}
  - {level: pt_consider, score: total, min: 1}
"""


@pytest.fixture(scope="module")
def unsure_rules(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("rules") / "unsure-demo.yaml"
    path.write_text(UNSURE_RULES, encoding="utf-8")
    return str(path)


BUNDLED = load_ruleset()
BUNDLED_FORMS = (json.loads(export("fhir")), redcap_fields(export("redcap")))


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets(BUNDLED))
def test_bundled_forms_ask_what_stm_screen_asks(answers: dict[str, Any]) -> None:
    questionnaire, fields = BUNDLED_FORMS
    assert agree(BUNDLED, questionnaire, fields, answers) > 0


def test_bundled_forms_agree_on_the_examples() -> None:
    questionnaire, fields = BUNDLED_FORMS
    checked = sum(agree(BUNDLED, questionnaire, fields, dict(e.answers)) for e in BUNDLED.examples)
    assert checked > 500


Forms = tuple[Ruleset, dict[str, Any], dict[str, dict[str, str]]]


@pytest.fixture(scope="module")
def unsure_forms(unsure_rules: str) -> Forms:
    ruleset = load_ruleset(unsure_rules)
    return ruleset, json.loads(export("fhir", unsure_rules)), redcap_fields(export("redcap", unsure_rules))


def test_unsure_parents_and_arithmetic(unsure_forms: Forms) -> None:
    ruleset, questionnaire, fields = unsure_forms

    @settings(max_examples=400, deadline=None)
    @given(answers=answer_sets(ruleset))
    def check(answers: dict[str, Any]) -> None:
        agree(ruleset, questionnaire, fields, answers)

    check()


@pytest.mark.parametrize("hurt", [True, False, UNSURE, None])
@pytest.mark.parametrize("how", ["fall", "lift", UNSURE, None])
def test_every_unsure_parent_combination(unsure_forms: Forms, hurt: Any, how: Any) -> None:
    """Each gated question against each value of its 'not sure' parents, ages and months on both sides of
    every boundary."""
    ruleset, questionnaire, fields = unsure_forms
    for age in (None, 20, 30, 44, 45, 46, 50, 51, 61):
        for months in (None, 0, 2.5, 3, 6, 12, 24):
            answers = {"age": age, "months": months, "areas": ["back"], "hurt": hurt, "how": how, "count": 2}
            agree(ruleset, questionnaire, fields, answers)


@pytest.mark.parametrize("dark", [True, False, UNSURE, None])
@pytest.mark.parametrize("hurt", [True, False, UNSURE, None])
@pytest.mark.parametrize("how", ["fall", "lift", UNSURE, None])
def test_not_sure_taken_as_yes_in_every_form(unsure_forms: Forms, dark: Any, hurt: Any, how: Any) -> None:
    """A question whose 'not sure' counts as yes (unsure_means_yes): each form shows exactly what the
    scorer and the questionnaire ask, for each value of it and of the 'not sure' questions it is compared
    with; 'not sure' asks what 'yes' asks, and 'not sure' to the others still counts as not known."""
    ruleset, questionnaire, fields = unsure_forms
    scorer = Scorer(ruleset)
    for age in (None, 40, 51):
        for after in (None, True, False):
            answers = {"age": age, "dark": dark, "hurt": hurt, "how": how, "after_dark": after, "count": 2}
            agree(ruleset, questionnaire, fields, answers)
    base = {"age": 51, "hurt": hurt, "how": how, "after_dark": True}
    said = scorer.visible(canonical({**base, "dark": dark}))[1]
    as_yes = scorer.visible(canonical({**base, "dark": True if dark == UNSURE else dark}))[1]
    assert said == as_yes
    if hurt == UNSURE:  # another 'not sure' never counts as yes: only what 'hurt' alone decides is asked
        assert "dark_is_hurt" in said and "dark_not_hurt" in said
        assert scorer.evaluate(canonical({**base, "dark": False})).red_flags_unknown == ("injured",)


# --- chained skip logic: questions gated on questions that are gated themselves --------------------------

CHAIN_RULES = """
id: chain-demo
version: "1.0"
title: Chained skip logic
disclaimer: A test ruleset, not for use with people.
sources:
  - {id: test, citation: Test fixture}
sections:
  - {id: about, title: About you}
  - {id: safety, title: Safety check, safety: true}
questions:
  - {id: fell, section: about, type: boolean, required: true, text: Did you fall?}
  - {id: age, section: about, type: integer, min: 0, max: 120, text: How old are you?}
  - {id: hurt, section: about, type: boolean, text: Did it hurt?, ask_if: fell}
  - id: where
    section: about
    type: multi_choice
    text: Where?
    ask_if: fell and hurt
    choices: [{id: back, label: Back}, {id: knee, label: Knee}, {id: hip, label: Hip}]
  - id: how
    section: about
    type: choice
    text: How?
    ask_if: fell and age >= 18
    choices: [{id: trip, label: Trip}, {id: slip, label: Slip}]
  - {id: swollen, section: about, type: boolean, text: Swollen?, ask_if: hurt}
  - {id: not_knee, section: about, type: boolean, text: Not the knee?, ask_if: "'knee' not in where"}
  - {id: back_or_old, section: about, type: boolean, text: Back or old?, ask_if: "'back' in where or age > 70"}
  - {id: not_trip, section: about, type: boolean, text: Not a trip?, ask_if: "how != 'trip'"}
  - {id: grand, section: about, type: boolean, text: Swollen and not trip?, ask_if: "swollen and not_trip"}
  - {id: years, section: about, type: number, min: 0, max: 50, text: Years since?, ask_if: "how == 'slip'"}
  - {id: sum, section: about, type: boolean, text: Sum?, ask_if: "age - years * 2 > 30 or swollen"}
  - {id: bruise, section: safety, type: boolean, text: Bruise?, ask_if: fell and hurt}
  - {id: bruise_big, section: safety, type: boolean, text: Big?, ask_if: fell and hurt and bruise}
  - {id: hip_pain, section: safety, type: boolean, text: Hip pain?, ask_if: "fell and (not hurt or 'hip' in where)"}
red_flags:
  - {id: bad, when: fell and hurt and bruise and bruise_big, level: see_doctor, urgency: today, title: Bad, message: See a doctor today., source: test}
  - {id: hip, when: "fell and (not hurt or 'hip' in where) and hip_pain", level: see_doctor, urgency: today, title: Hip, message: See a doctor today., source: test}
criteria:
  - {id: long, when: fell, title: Long, explanation: It has lasted., source: test}
scores:
  - {id: total, title: Signs, criteria: all}
levels:
  - {id: self_care, title: Self care, advice: Keep moving.}
  - {id: pt_consider, title: Consider PT, advice: Consider it.}
  - {id: see_doctor, title: See a doctor, advice: See one.}
outcomes:
  - {level: self_care, score: total, max: 0}
  - {level: pt_consider, score: total, min: 1}
"""


def flow_asks(ruleset: Ruleset, answers: Mapping[str, Any]) -> set[str]:
    """The questions the questionnaire asks someone who gives these answers (blank: left blank)."""
    from stm_screen.prompt.flow import Flow

    flow = Flow(ruleset)
    asked: set[str] = set()
    while not flow.done:
        q = flow.current
        assert q is not None and q.id not in asked
        asked.add(q.id)
        value = answers.get(q.id)
        if value is None:
            flow.leave_blank()
        else:
            flow.answer(frozenset(value) if isinstance(value, list) else value)
    return asked


@pytest.fixture(scope="module")
def chain_forms(tmp_path_factory: pytest.TempPathFactory) -> Forms:
    path = tmp_path_factory.mktemp("rules") / "chain-demo.yaml"
    path.write_text(CHAIN_RULES, encoding="utf-8")
    ruleset = load_ruleset(str(path))
    return ruleset, json.loads(export("fhir", str(path))), redcap_fields(export("redcap", str(path)))


def test_chained_skip_logic_agrees_everywhere(chain_forms: Forms) -> None:
    """Questionnaire, scorer, REDCap branching logic, FHIR enableWhen and FHIRPath: the same questions,
    with stale answers to questions turned off everywhere in the answer sets."""
    from stm_screen.core.ruleset import check_skip_logic

    ruleset, questionnaire, fields = chain_forms
    scorer = Scorer(ruleset)
    assert any("enableWhenExpression" in json.dumps(i) for i in form_items(questionnaire).values())
    errors, warnings = check_skip_logic(ruleset)
    assert errors == []  # its safety questions are decided whenever what they look at is shown
    assert {w.message.split("'")[1] for w in warnings} >= {"swollen", "not_knee"}

    @settings(max_examples=250, deadline=None)
    @given(answers=answer_sets(ruleset, answered=("fell",)))
    def check(answers: dict[str, Any]) -> None:
        agree(ruleset, questionnaire, fields, answers)
        skipped = scorer.visible(canonical(answers))[1]
        assert {q.id for q in ruleset.questions if scorer.asked(q, canonical(answers))} == {
            q.id for q in ruleset.questions if q.id not in skipped
        }

    check()
