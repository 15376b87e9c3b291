"""Instrument modules beside the screening: licences and supplied wording, include and --with, the crisis
handling of PHQ-9 item 9, their own part of the result, batch columns, FHIR Observations, following a
patient, and the rule that a module never changes the screening's level."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.core.answers import check_answers
from stm_screen.core.engine import Scorer
from stm_screen.core.explain import explain
from stm_screen.errors import RulesError, UsageError
from stm_screen.rules.loader import load_module, load_ruleset, module_names
from stm_screen.screening import check_rules, load_rules, score_data

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MODULES = ROOT / "rules" / "modules"
PEG_TEXTS = DATA / "peg-texts.yaml"
CALM: dict[str, Any] = dict(load_ruleset().examples[0].answers)  # every safety question answered no
runner = CliRunner()
SUPPLIED = ("peg", "startback", "orebro-sf", "tsk11")
# The answer wording of the supplied instruments' forms (STarT Back items 1-9, the TSK-11's four answers).
ANSWER_WORDING = ("agree", "not at all", "slightly", "moderately", "very much", "extremely")


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


# --- the bundled modules and their licences -------------------------------------------------------------


def test_every_bundled_module_checks_and_its_worked_cases_pass() -> None:
    assert set(module_names()) == {"phq4", "phq9", "peg", "startback", "orebro-sf", "tsk11"}
    for name in module_names():
        ruleset, report = check_rules(str(MODULES / f"{name}.yaml"))
        assert report.problems == [] and report.passed == report.total >= 4, name
        assert ruleset.license and ruleset.copyright and ruleset.source, name


@pytest.mark.parametrize("name", SUPPLIED)
def test_no_item_text_is_shipped_for_supplied_instruments(name: str) -> None:
    data = yaml.safe_load((MODULES / f"{name}.yaml").read_text(encoding="utf-8"))
    assert data["item_text"] == "supplied"
    for q in data["questions"]:
        assert not {"text", "help"} & set(q), q["id"]
        assert all("label" not in c for c in q.get("choices") or []), q["id"]
    module = load_module(name)
    assert all(q.supplied and not q.wording for q in module.questions)
    # A choice is named by its place on the form, never by its wording: an id such as 'very_much' is shown
    # as the answer's label wherever no wording was given (form exports, rules show, results).
    for q in module.questions:
        assert all(re.fullmatch(r"option_\d+", c.id) for c in q.choices), (q.id, q.choice_ids)
    # Nor does the file spell the answers' wording anywhere (STarT Back: Keele's labels; TSK-11's scale).
    raw = (MODULES / f"{name}.yaml").read_text(encoding="utf-8").lower().replace("_", " ")
    for words in ANSWER_WORDING:
        assert words not in raw, words


# Fragments of the wording of instruments whose text is not shipped (PEG, STarT Back, ÖMPSQ-SF, TSK-11),
# written here only to check that none of it reaches what is shipped: the package, its rules and the README
# (the wheel's description).
LICENSED_FRAGMENTS = (
    "best describes your pain",
    "enjoyment of life?",
    "spread down my leg",
    "walked short distances",
    "dressed myself",
    "worrying thoughts",
    "never going to get",
    "how bothersome",
    "light work for an hour",
    "sleep at night",
    "injure myself",
    "something dangerously wrong",
    "very much",
    "extremely",
)


def test_no_licensed_wording_anywhere_in_what_is_shipped() -> None:
    shipped = [*sorted((ROOT / "src" / "stm_screen").rglob("*.py")), *sorted((ROOT / "rules").rglob("*.yaml"))]
    for path in [*shipped, ROOT / "README.md"]:
        text = " ".join(path.read_text(encoding="utf-8").lower().replace("_", " ").split())
        for fragment in LICENSED_FRAGMENTS:
            assert fragment not in text, (path.name, fragment)


def test_phq_text_is_shipped_with_pfizers_attribution() -> None:
    for name in ("phq4", "phq9"):
        module = load_module(name)
        assert module.item_text == "shipped" and "Pfizer" in module.copyright
        assert all(q.wording and str(q.text) for q in module.questions)
    assert str(load_module("phq9").questions[8].text) == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )


def test_rules_check_fails_on_shipped_text_for_a_supplied_instrument(tmp_path: Path) -> None:
    text = (MODULES / "peg.yaml").read_text(encoding="utf-8")
    bad = text.replace("{id: peg_2, item: 2, type: integer, min: 0, max: 10}", "{id: peg_2, item: 2, type: integer, min: 0, max: 10, text: Some wording}")
    assert bad != text
    path = tmp_path / "peg.yaml"
    path.write_text(bad, encoding="utf-8")
    result = run("rules", "check", str(path))
    assert result.exit_code == 2
    assert f"{path}:" in result.stderr and "text is shipped, but PEG's item text is 'supplied'" in result.stderr
    labelled = text.replace("{id: peg_1, item: 1, type: integer, min: 0, max: 10}", "{id: peg_1, item: 1, type: choice, choices: [{id: a, label: A, value: 0}]}")
    path.write_text(labelled, encoding="utf-8")
    assert "the label of choice 'a' is shipped" in run("rules", "check", str(path)).stderr


def test_a_shipped_instrument_needs_its_text(tmp_path: Path) -> None:
    text = (MODULES / "phq4.yaml").read_text(encoding="utf-8")
    path = tmp_path / "phq4.yaml"
    path.write_text(text.replace("    text: Not being able to stop or control worrying\n", ""), encoding="utf-8")
    with pytest.raises(RulesError) as info:
        check_rules(str(path))
    assert "missing key 'text'" in str(info.value)


# --- include and --with --------------------------------------------------------------------------------


def test_with_adds_modules_after_the_screening_in_their_own_sections() -> None:
    rs = load_rules(None, "phq4,peg,phq4")
    assert [m.id for m in rs.modules] == ["phq4", "peg"]
    tail = [q.id for q in rs.questions[-7:]]
    assert tail == ["phq4_1", "phq4_2", "phq4_3", "phq4_4", "peg_1", "peg_2", "peg_3"]
    assert [q.order for q in rs.questions] == list(range(len(rs.questions)))
    assert rs.by_id["peg_1"].section == "peg" and rs.sections["peg"].module == "peg"
    assert rs.sha256 != load_rules().sha256 and rs.base_sha256 == load_rules().sha256
    assert rs.headline is not None and rs.headline.id == "total"


def test_unknown_module_is_a_usage_error_with_a_suggestion() -> None:
    result = run("score", "x.json", "--with", "tsk-11")
    assert result.exit_code == 2 and "no such instrument module (did you mean 'tsk11'?)" in result.stderr


def test_module_names_are_read_whatever_their_case_and_a_missing_file_is_said_so(tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({**CALM, **PHQ4_7}), encoding="utf-8")
    result = run("score", str(answers), "--with", "PHQ4, Peg")
    assert result.exit_code == 0, result.stderr
    assert "PHQ-4: 7 of 12, moderate" in result.stdout
    missing = run("score", str(answers), "--with", str(tmp_path / "mine.yaml"))
    assert missing.exit_code == 2 and "mine.yaml: no such file" in missing.stderr


def test_include_in_a_ruleset_and_outcomes_that_use_a_modules_score(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        (MODULES / "tsk11.yaml").read_text(encoding="utf-8").replace("module: tsk11", "module: my-tsk"),
        encoding="utf-8",
    )
    data = yaml.safe_load((DATA / "minimal.yaml").read_text(encoding="utf-8"))
    data["include"] = ["phq4", "mine.yaml"]
    data["outcomes"] = [{"level": data["outcomes"][-1]["level"], "when": "phq2 >= 3"}, *data["outcomes"]]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    rs = load_ruleset(tmp_path / "rules.yaml")
    assert [m.id for m in rs.modules] == ["phq4", "my-tsk"]
    scorer = Scorer(rs)
    base = {"months": 1, "stiff": False, "fever": False}
    top = data["outcomes"][0]["level"]
    assert scorer.evaluate({**base, "phq4_3": "nearly_every_day", "phq4_4": "not_at_all"}).pt_level == top
    assert scorer.evaluate(base).outcome != 0  # an unknown PHQ-2 never makes 'phq2 >= 3' hold


def test_clashing_ids_and_a_missing_fed_question_are_errors(tmp_path: Path) -> None:
    with pytest.raises(RulesError) as info:
        load_rules(str(DATA / "minimal.yaml"), "phq9")
    assert "answers the screening question 'self_harm_thoughts', which the ruleset 'minimal' does not have" in str(
        info.value
    )
    clash = (MODULES / "peg.yaml").read_text(encoding="utf-8").replace("module: peg", "module: peg2")
    (tmp_path / "peg2.yaml").write_text(clash, encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_rules(None, ["peg", str(tmp_path / "peg2.yaml")])
    assert "question id 'peg_1' is also used by module 'peg'" in str(info.value)


# --- PHQ-9 item 9 and the screening's self-harm warning sign -------------------------------------------

PHQ9_NONE = {f"phq9_{i}": "not_at_all" for i in range(1, 10)}


def test_phq9_item_9_fires_the_screenings_self_harm_warning_sign_with_its_crisis_advice() -> None:
    rs = load_rules(None, "phq9")
    answers = {**CALM, **PHQ9_NONE, "phq9_9": "several_days"}
    ev = Scorer(rs).evaluate(check_answers(rs, answers))
    # the follow-up about acting on the thoughts is not answered yet: help now (ASQ)
    assert ev.level == "emergency" and ev.red_flags == ("self_harm_danger_not_answered",)
    assert ev.fed == {"self_harm_thoughts": "phq9_9"}
    assert "self_harm_danger" not in ev.skipped  # its follow-up question is asked
    result = explain(rs, check_answers(rs, answers))
    flag = result.red_flags[0]
    assert flag.answers[0].question == "phq9_9" and flag.answers[0].shown == "Several days"
    screening_flag = next(rf for rf in rs.red_flags if rf.id == ev.red_flags[0])
    assert flag.explanation == explain(load_rules(), check_answers(load_rules(), {**CALM, "self_harm_thoughts": True})).red_flags[0].explanation
    assert "{crisis}" in screening_flag.message.default and "{crisis}" not in flag.explanation
    danger = Scorer(rs).evaluate(check_answers(rs, {**answers, "self_harm_danger": True}))
    assert danger.red_flags == ("self_harm_danger_now",)


def test_feeding_never_says_no() -> None:
    rs = load_rules(None, "phq9")
    scorer = Scorer(rs)
    yes = scorer.evaluate(check_answers(rs, {**CALM, **PHQ9_NONE, "self_harm_thoughts": True, "self_harm_danger": False}))
    assert yes.red_flags == ("self_harm",) and yes.fed == {}
    unanswered = {k: v for k, v in CALM.items() if k != "self_harm_thoughts"}
    open_ = scorer.evaluate(check_answers(rs, {**unanswered, **PHQ9_NONE}))
    assert "self_harm" in open_.red_flags_unknown and open_.unchecked  # 'not at all' does not rule it out


def test_the_questionnaire_asks_the_follow_up_at_once_then_goes_on() -> None:
    from stm_screen.prompt.flow import Flow

    rs = load_rules(None, "phq9,peg")
    flow = Flow(rs, {**CALM, **{f"phq9_{i}": "not_at_all" for i in range(1, 9)}})
    assert flow.current is not None and flow.current.id == "phq9_9"
    fired = flow.answer("more_than_half")
    assert [rf.id for rf in fired] == ["self_harm"]
    assert flow.current is not None and flow.current.id == "self_harm_danger"
    assert flow.answer(False) == []
    assert flow.current is not None and flow.current.id == "peg_1"  # back to where the person was


# --- modules never change the screening's level -------------------------------------------------------

QUIET = ("phq4", "peg", "startback", "orebro-sf", "tsk11")
WITH_ALL = load_rules(None, ",".join(QUIET))
ALONE = load_rules()


@st.composite
def module_answers(draw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in WITH_ALL.questions:
        if q.module is None or not draw(st.booleans()):
            continue
        if q.type == "integer":
            out[q.id] = draw(st.integers(int(q.min or 0), int(q.max or 10)))
        else:
            out[q.id] = draw(st.sampled_from(q.choice_ids))
    return out


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ALONE.examples), module_answers())
def test_a_module_never_changes_the_screenings_level(example: Any, extra: dict[str, Any]) -> None:
    host = check_answers(ALONE, example.answers)
    alone = Scorer(ALONE).evaluate(host)
    joined = Scorer(WITH_ALL).evaluate({**host, **check_answers(WITH_ALL, extra)})
    assert (joined.level, joined.red_flags, joined.red_flags_unknown) == (
        alone.level,
        alone.red_flags,
        alone.red_flags_unknown,
    )
    host_missing = tuple(q for q in joined.missing if WITH_ALL.by_id[q].module is None)
    assert host_missing == alone.missing


# --- the result ---------------------------------------------------------------------------------------

PHQ4_7 = {"phq4_1": "several_days", "phq4_2": "more_than_half", "phq4_3": "more_than_half", "phq4_4": "more_than_half"}


def test_result_lines_flags_json_and_copyright() -> None:
    rs = load_rules(None, "phq4,peg")
    result = score_data(rs, {**CALM, **PHQ4_7, "peg_1": 6, "peg_2": 7})
    phq4, peg = result.modules
    assert [line.text for line in phq4.scores] == [
        "PHQ-4: 7 of 12, moderate",
        "GAD-2: 3 of 6, positive screen for anxiety",
        "PHQ-2: 4 of 6, positive screen for depression",
    ]
    assert phq4.scores[1].flag and "not an emergency" in phq4.scores[1].message
    assert peg.scores[0].text == "PEG: not scored (2 of 3 questions answered; all 3 are needed)"
    assert result.level == "self_care"  # the questionnaires did not change the screening's level
    data = json.loads(json.dumps(result.to_dict()))
    assert data["modules"][0]["scores"][0]["value"] == 7 and data["modules"][0]["copyright"].startswith("PHQ-4")
    assert data["ruleset"]["modules"] == [
        {"id": "phq4", "version": "1.0.0", "sha256": rs.modules[0].sha256},
        {"id": "peg", "version": "1.0.0", "sha256": rs.modules[1].sha256},
    ]
    from stm_screen.render.report import ReportInfo, render_report
    from stm_screen.render.text import render_plain

    text = render_plain(result)
    assert "PHQ-4: 7 of 12, moderate" in text and "[TALK TO YOUR DOCTOR] GAD-2" in text
    assert text.index("Questionnaires") < text.index("What to do next")  # the summary comes last
    for fmt in ("md", "html", "txt"):
        report = render_report(result, fmt, ReportInfo(__import__("datetime").datetime.now()))
        assert "PHQ-4 Copyright © Pfizer Inc." in report and "7 of 12" in report, fmt


def test_under_a_warning_sign_the_modules_are_shown_without_their_reassurance() -> None:
    rs = load_rules(None, "phq4")
    result = score_data(rs, {**CALM, **PHQ4_7, "saddle_numbness": True})
    from stm_screen.render.text import render_plain

    text = render_plain(result)
    assert result.level == "emergency" and "PHQ-4: 7 of 12, moderate" in text
    assert "not an emergency" not in text
    assert text.rstrip().split("WHAT TO DO NOW")[0].count("Questionnaires") == 1


def test_startback_says_when_low_back_is_not_among_the_areas() -> None:
    rs = load_rules(None, "startback")
    sb = {f"sb_{i}": "option_2" for i in range(1, 9)} | {"sb_9": "option_5"}
    neck = score_data(rs, {**CALM, "pain_areas": ["neck_shoulder"], **sb}).modules[0]
    assert neck.warnings == [
        "STarT Back is meant for people with low back pain; these answers do not show that, so its result may "
        "not apply."
    ]
    back = score_data(rs, {**CALM, "pain_areas": ["low_back"], **sb}).modules[0]
    assert back.warnings == [] and back.scores[0].text == "STarT Back: 9 of 9, high risk"
    assert load_rules(str(DATA / "minimal.yaml"), "startback").notices  # no pain_areas question: said once


# --- supplied wording ---------------------------------------------------------------------------------


def test_texts_file_gives_the_wording_per_language() -> None:
    rs = load_rules(None, "peg", str(PEG_TEXTS))
    q1, q2, q3 = (rs.by_id[f"peg_{i}"] for i in (1, 2, 3))
    assert q1.wording and str(q1.text).startswith("Test wording for PEG item 1")
    assert q2.text.get("es").startswith("Texto de prueba") and str(q3.help).startswith("Test help")
    assert rs.missing_wording == ()
    assert run("rules", "check", "--with", "peg", "--texts", str(PEG_TEXTS)).exit_code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("peg_9: x\n", "peg_9: no such item (did you mean 'peg_3'?)"),
        ("phq4_1: x\n", "phq4_1: PHQ-4 ships its own wording"),
        ("peg_1: ''\n", "peg_1: the text is empty"),
        ("peg_1: 'see {doctor}'\n", "unknown placeholder '{doctor}'"),
        ("peg_1: [a, b]\n", "peg_1: give the wording as text"),
        ("sb_9: {text: x, choices: {often: y}}\n", "choices: no choice 'often'"),
        ("- a\n", "a texts file must be a mapping"),
        # the wrong language: these rules are asked in English, so Spanish alone would be shown in its place
        ("peg_1: {es: x}\n", "peg_1: no text in 'en', the language of these rules (given: es)"),
        ("peg_1: {text: {es: x}}\n", "peg_1: no text in 'en'"),
        ("peg_1: {engl: x}\n", "peg_1: 'engl' is not a language code"),
        ("peg_1: {txt: x, help: y}\n", "peg_1: 'txt' is not one of text, help, choices (did you mean 'text'?)"),
    ],
)
def test_texts_file_mistakes_are_located(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "texts.yaml"
    path.write_text(content, encoding="utf-8")
    result = run("rules", "check", "--with", "phq4,peg,startback", "--texts", str(path))
    assert result.exit_code == 2 and message in result.stderr and str(path) in result.stderr


def test_rules_check_with_texts_wants_every_supplied_item(tmp_path: Path) -> None:
    path = tmp_path / "texts.yaml"
    path.write_text("peg_1: one\npeg_2: two\n", encoding="utf-8")
    result = run("rules", "check", "--with", "peg", "--texts", str(path))
    assert result.exit_code == 2 and "peg_3 (PEG item 3): no wording" in result.stderr


def test_the_questionnaire_refuses_items_without_wording_before_the_first_question() -> None:
    from stm_screen.cli.screen_cmd import refuse_missing_wording

    with pytest.raises(UsageError) as info:
        refuse_missing_wording(load_rules(None, "phq4,peg"))
    text = str(info.value)
    assert "cannot ask PEG (peg_1, peg_2, peg_3)" in text and "--texts FILE.yaml" in text
    refuse_missing_wording(load_rules(None, "phq4,peg", str(PEG_TEXTS)))  # nothing to refuse


def test_rules_texts_writes_a_template_that_reads_back() -> None:
    result = run("rules", "texts", "--with", "phq4,startback")
    assert result.exit_code == 0
    data = yaml.safe_load(result.stdout)
    assert set(data) == {f"sb_{i}" for i in range(1, 10)}  # PHQ-4 ships its text: not in the template
    assert list(data["sb_9"]["choices"]) == ["option_1", "option_2", "option_3", "option_4", "option_5"]
    assert run("rules", "texts").exit_code == 2


# --- score, batch, FHIR ---------------------------------------------------------------------------------


def test_score_command_with_modules(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({**CALM, **PHQ4_7, "peg_1": 6, "peg_2": 7, "peg_3": 5}), encoding="utf-8")
    result = run("score", str(path), "--with", "phq4,peg", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [s["text"] for m in data["modules"] for s in m["scores"]][-1] == "PEG: 6 of 10"
    text = run("score", str(path), "--with", "phq4,peg", "--texts", str(PEG_TEXTS)).stdout
    assert "PHQ-4: 7 of 12, moderate" in text and "PEG: 6 of 10" in text


def test_batch_columns_for_module_scores(tmp_path: Path) -> None:
    rows = [
        {**CALM, **PHQ4_7, "peg_1": 6, "peg_2": 7, "peg_3": 5},
        {**CALM, "phq4_1": "not_at_all", "peg_1": 1, "peg_2": 1, "peg_3": 2},
        {**CALM, **PHQ4_7, "peg_1": 60},
    ]
    lines = []
    for i, row in enumerate(rows):
        lines.append(json.dumps({"id": f"r{i}", **row}))
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = run("batch", str(path), "--with", "phq4,peg", "--output", str(out), "--id-column", "id")
    assert result.exit_code == 1  # the third row's PEG answer is out of range: an error row
    import csv

    table = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert list(table[0])[-7:] == ["phq4", "phq4_band", "gad2", "gad2_band", "phq2", "phq2_band", "peg"]
    assert (table[0]["phq4"], table[0]["phq4_band"], table[0]["peg"]) == ("7", "moderate", "6")
    assert (table[1]["phq4"], table[1]["phq4_band"], table[1]["peg"]) == ("", "", "1.3")
    assert table[2]["status"] == "error" and table[2]["phq4"] == ""
    jsonl = tmp_path / "out.jsonl"
    run("batch", str(path), "--with", "phq4,peg", "--output", str(jsonl), "--format", "jsonl", "--id-column", "id")
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert records[0]["phq2_band"] == "positive" and records[1]["phq4"] is None and records[2]["peg"] is None


def test_batch_stops_when_a_module_has_no_column(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(CALM) + "\n", encoding="utf-8")
    result = run("batch", str(path), "--with", "tsk11")
    assert result.exit_code == 2 and "no column for any question of TSK-11" in result.stderr
    assert run("batch", str(path), "--with", "tsk11", "--allow-missing").exit_code == 0


def test_fhir_bundle_has_one_observation_per_score_with_loinc_where_confirmed(tmp_path: Path) -> None:
    from fhir.resources.bundle import Bundle

    path = tmp_path / "a.json"
    path.write_text(json.dumps({**CALM, **PHQ4_7, "peg_1": 6, "peg_2": 7}), encoding="utf-8")
    result = run("score", str(path), "--with", "phq4,peg", "--format", "fhir", "--patient", "MRN-7")
    doc = json.loads(result.stdout)
    Bundle.model_validate(doc)
    obs = [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "Observation"]
    codes = {o["code"]["text"]: [c["code"] for c in o["code"]["coding"]] for o in obs}
    assert codes == {
        "PHQ-4": ["70272-0", "phq4/phq4"],
        "GAD-2": ["phq4/gad2"],  # no LOINC code could be confirmed for the GAD-2 total
        "PHQ-2": ["55758-7", "phq4/phq2"],
        "PEG": ["peg/peg"],
    }
    peg = next(o for o in obs if o["code"]["text"] == "PEG")
    assert "valueQuantity" not in peg and peg["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert obs[0]["valueQuantity"]["value"] == 7 and obs[0]["interpretation"][0]["text"] == "moderate"
    assert all(o["subject"]["identifier"]["value"] == "MRN-7" for o in obs)


# --- following a patient ---------------------------------------------------------------------------------


def test_history_show_patient_with_the_minimal_important_change(tmp_path: Path) -> None:
    for i, peg in enumerate(((8, 7, 8), (5, 5, 4), (4, 5, 4))):
        path = tmp_path / f"v{i}.json"
        answers = {**CALM, **PHQ4_7, "peg_1": peg[0], "peg_2": peg[1], "peg_3": peg[2]}
        path.write_text(json.dumps(answers), encoding="utf-8")
        assert run("score", str(path), "--with", "phq4,peg", "--save", "--patient", "MRN-9").exit_code == 0
    other = tmp_path / "o.json"
    other.write_text(json.dumps(CALM), encoding="utf-8")
    run("score", str(other), "--save", "--patient", "MRN-10")
    result = run("history", "show", "--patient", "MRN-9", "--plot")
    assert result.exit_code == 0
    text = result.stdout
    assert "Patient MRN-9: 3 saved screenings" in text
    assert "PEG (lower is better; minimal important change: 1 point (reed2024) and 30%" in text
    assert "-3 (-39%), better: larger than the minimal important change" in text
    assert "-0.4 (-9%), better; smaller than the minimal important change" in text
    assert "█" in text or "#" in text
    data = json.loads(run("history", "show", "--patient", "MRN-9", "--format", "json").stdout)
    peg = next(s for s in data["scores"] if s["id"] == "peg")
    assert [p["value"] for p in peg["points"]] == [7.7, 4.7, 4.3]
    assert [c["important"] for c in peg["changes"]] == [True, False]
    html = tmp_path / "trend.html"
    assert run("history", "show", "--patient", "MRN-9", "--format", "html", "--plot", "-o", str(html)).exit_code == 0
    page = html.read_text(encoding="utf-8")
    assert "<svg" in page and "aria-label='PEG over time" in page and "MRN-10" not in page
    assert oct(html.stat().st_mode & 0o777) == "0o600"
    assert run("history", "show", "1", "--patient", "MRN-9").exit_code == 2
    missing = run("history", "show", "--patient", "MRN-404")
    assert missing.exit_code == 2 and "MRN-404" not in missing.stderr


def test_trend_steps_and_directions() -> None:
    from stm_screen.core.trend import Point, step

    thresholds = [{"points": 1, "source": {"id": "a"}}, {"percent": 30, "source": {"id": "b"}}]
    worse = step(Point(1, "d1", 2.0, ""), Point(2, "d2", 3.5, ""), "lower", thresholds)
    assert (worse.direction, worse.important, worse.percent) == ("worse", True, 75.0)
    small = step(Point(1, "d1", 8.0, ""), Point(2, "d2", 6.8, ""), "lower", thresholds)
    assert small.reached == ("1 point (a)",) and small.missed == ("30% (b)",) and not small.important
    from_zero = step(Point(1, "d1", 0.0, ""), Point(2, "d2", 2.0, ""), "lower", thresholds)
    assert from_zero.percent is None and not from_zero.important  # no percentage of 0


# --- the questionnaire ------------------------------------------------------------------------------------


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from stm_screen.cli import screen_cmd

    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)


@pytest.mark.usefixtures("terminal")
def test_questionnaire_with_modules_and_the_clinics_wording(tmp_path: Path) -> None:
    from tests._keys import plain_lines

    rs = load_rules(None, "phq4,peg", str(PEG_TEXTS))
    answers = {**CALM, **PHQ4_7, "peg_1": 6, "peg_2": 7, "peg_3": 5}
    report = tmp_path / "r.html"
    args = ["screen", "--plain", "--with", "phq4,peg", "--texts", str(PEG_TEXTS), "--report", str(report)]
    result = runner.invoke(app, [*args, "--save", "--patient", "MRN-5"], input="\n".join([*plain_lines(rs, answers), "", ""]))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Mood and worry (PHQ-4)" in out and "Over the last 2 weeks, how often" in out
    assert "PHQ-4 Copyright © Pfizer Inc." in out and "Test wording for PEG item 2" in out
    assert "PHQ-4: 7 of 12, moderate" in out and "PEG: 6 of 10" in out
    page = report.read_text(encoding="utf-8")
    assert "PHQ-4: 7 of 12, moderate" in page and "PEG: 6 of 10" in page and "Copyright © Pfizer" in page
    assert "Saved to the history" in out


@pytest.mark.usefixtures("terminal")
def test_questionnaire_refuses_supplied_items_without_wording_before_any_question() -> None:
    result = runner.invoke(app, ["screen", "--plain", "--with", "peg"], input="40\n")
    assert result.exit_code == 2
    assert "cannot ask PEG (peg_1, peg_2, peg_3)" in result.stderr and "How old" not in result.stdout


@pytest.mark.usefixtures("terminal")
def test_questionnaire_acts_at_once_on_phq9_item_9() -> None:
    from tests._keys import plain_lines

    rs = load_rules(None, "phq9")
    before = plain_lines(rs, {**CALM, **PHQ9_NONE}, until="phq9_8")
    lines = [*before, "3", "2", "no", "", ""]  # item 9: more than half the days; carry on; no plan
    result = runner.invoke(app, ["screen", "--plain", "--with", "phq9"], input="\n".join(lines))
    out = result.stdout
    assert result.exit_code == 0, result.stderr
    told = out.index("URGENT: Please read this now.\nThoughts of being better off dead")
    assert told < out.index("Are you having these thoughts right now")  # told at once, then asked
    assert "PHQ-9: 2 of 27, none or minimal" in out


@pytest.mark.parametrize("mods", ["phq9,peg", "phq4,startback"])
def test_batch_equals_the_core_with_modules(tmp_path: Path, mods: str) -> None:
    """The batch fast path (memos, fingerprints) gives what the core gives, with module answers and PHQ-9
    item 9 answering a screening question (which changes what the skip logic asks)."""
    import csv
    import io
    import random

    from stm_screen.batch.output import CsvWriter
    from stm_screen.batch.runner import Batch, BatchSettings
    from stm_screen.batch.scoring import module_fields, module_values

    rs = load_rules(None, mods)
    rng = random.Random(7)
    header = ["id", *(q.id for q in rs.questions)]
    rows = []
    for i in range(1200):
        row = [f"r{i}"]
        for q in rs.questions:
            if q.module is not None:
                cell = "" if rng.random() < 0.05 else (
                    str(rng.randint(0, 10)) if q.type == "integer" else rng.choice(q.choice_ids)
                )
            elif q.id in ("self_harm_thoughts", "self_harm_danger"):
                cell = rng.choice(["yes", "no", "no", "", "unsure"])
            elif q.id in CALM:
                value = CALM[q.id]
                cell = ";".join(value) if isinstance(value, list) else ("yes" if value is True else "no" if value is False else str(value))
            else:
                cell = ""
            row.append(cell)
        rows.append(row)
    path = tmp_path / "r.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    buf = io.StringIO()
    Batch(rs, None, BatchSettings(allow_missing=True)).run(str(path), CsvWriter(buf, False, module_fields(rs)))
    got = list(csv.DictReader(io.StringIO(buf.getvalue())))
    scorer = Scorer(rs)
    fields = module_fields(rs)
    for row, out in zip(rows, got, strict=True):
        values = check_answers(rs, dict(zip(header[1:], row[1:], strict=True)))
        ev = scorer.evaluate(values)
        want_extra = ["" if v is None else ("yes" if v is True else "no" if v is False else f"{v:g}" if isinstance(v, float) else str(v)) for _, v in module_values(rs, ev)]
        assert (out["level"], out["red_flags"], out["unanswered_red_flags"]) == (
            ev.level or "", ";".join(ev.red_flags), ";".join(ev.red_flags_unknown)
        ), row
        assert [out[f] for f in fields] == want_extra, row
    if "phq9" in mods:  # the sample reaches the follow-up that only a fed yes makes asked
        fed_only = [g for g, r in zip(got, rows, strict=True) if r[header.index("self_harm_thoughts")] != "yes"]
        assert any("self_harm_danger_now" in g["red_flags"] for g in fed_only)


def test_resume_files_keep_the_modules_and_the_wording_file(tmp_path: Path) -> None:
    from stm_screen.prompt import resume

    rs = load_rules(None, "phq4,peg", str(PEG_TEXTS))
    path = tmp_path / "resume-x.json"
    resume.save(path, rs, {"phq4_1": "several_days"}, rules=None, patient=None, with_modules="phq4,peg", texts=str(PEG_TEXTS))
    saved = resume.load(path)
    assert (saved.with_modules, saved.texts) == ("phq4,peg", str(PEG_TEXTS))
    assert resume.restore(rs, saved) == ({"phq4_1": "several_days"}, [])


def test_history_fhir_of_a_screening_with_modules(tmp_path: Path) -> None:
    from fhir.resources.bundle import Bundle

    path = tmp_path / "a.json"
    path.write_text(json.dumps({**CALM, **PHQ4_7}), encoding="utf-8")
    assert run("score", str(path), "--with", "phq4", "--save", "--patient", "MRN-3").exit_code == 0
    doc = json.loads(run("history", "show", "1", "--format", "fhir").stdout)
    Bundle.model_validate(doc)
    kinds = [e["resource"]["resourceType"] for e in doc["entry"]]
    assert kinds == ["QuestionnaireResponse", "RiskAssessment", "Observation", "Observation", "Observation"]
    groups = [item["linkId"] for item in doc["entry"][0]["resource"]["item"]]
    assert groups[-1] == "section-phq4"  # the ruleset with its module was found again: answers grouped
    text = run("history", "show", "1").stdout
    assert "PHQ-4: 7 of 12, moderate" in text


def test_rules_check_and_show_name_modules(tmp_path: Path) -> None:
    alone = run("rules", "check", "phq9")
    assert alone.exit_code == 0 and alone.stdout.startswith("ok: module phq9 1.0.0")
    assert "8 of 8 examples pass" in alone.stdout
    shown = json.loads(run("rules", "show", "--with", "startback", "--format", "json").stdout)
    assert shown["modules"][0]["item_text"] == "supplied" and "Keele" in shown["modules"][0]["copyright"]
    total = next(s for s in shown["scores"] if s["id"] == "startback_total")
    assert [b["id"] for b in total["bands"]] == ["high", "low", "medium"]
    clash = (MODULES / "tsk11.yaml").read_text(encoding="utf-8").replace("module: tsk11", "module: tsk-x")
    (tmp_path / "t.yaml").write_text(clash.replace("tsk11", "level"), encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_rules(None, str(tmp_path / "t.yaml"))
    assert "score id 'level' is a name batch output already uses" in str(info.value)


def test_a_licence_is_an_spdx_id_or_proprietary(tmp_path: Path) -> None:
    text = (MODULES / "peg.yaml").read_text(encoding="utf-8").replace("license: proprietary", "license: free for clinics")
    path = tmp_path / "peg.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("rules", "check", str(path))
    assert result.exit_code == 2 and "license: 'free for clinics' is not an SPDX licence id" in result.stderr


def test_an_instruments_yes_counts_even_where_the_ruleset_would_not_ask_the_question(tmp_path: Path) -> None:
    """A ruleset may ask its self-harm question only of some people (ask_if); PHQ-9 item 9 answered above 'not
    at all' still answers it yes, so the warning sign fires at once instead of being skipped or left open."""
    data = yaml.safe_load((DATA / "minimal.yaml").read_text(encoding="utf-8"))
    data["levels"].append({"id": "emergency", "title": "Emergency", "advice": "Get help now."})
    data["questions"].append(
        {"id": "self_harm_thoughts", "type": "boolean", "section": "safety", "text": "Harm?", "ask_if": "months > 6"}
    )
    data["questions"].append(
        {"id": "self_harm_danger", "type": "boolean", "section": "safety", "text": "Plan?", "ask_if": "self_harm_thoughts"}
    )
    data["red_flags"].append(
        {"id": "self_harm", "when": "self_harm_thoughts", "level": "emergency", "title": "Harm", "message": "Help.", "source": "test"}
    )
    data["examples"] = []
    path = tmp_path / "gated.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    rs = load_rules(str(path), "phq9")
    scorer = Scorer(rs)
    base = {"months": 2, "stiff": False, "areas": ["back"], "fever": False, **PHQ9_NONE}
    quiet = scorer.evaluate(check_answers(rs, base))
    assert "self_harm_thoughts" in quiet.skipped and not quiet.red_flags
    ev = scorer.evaluate(check_answers(rs, {**base, "phq9_9": "nearly_every_day"}))
    assert ev.red_flags == ("self_harm",) and ev.level == "emergency"
    assert ev.fed == {"self_harm_thoughts": "phq9_9"} and ev.values["self_harm_thoughts"] is True
    assert "self_harm_danger" not in ev.skipped  # its follow-up is asked

    from stm_screen.prompt.flow import Flow

    flow = Flow(rs, {k: v for k, v in base.items() if k != "phq9_9"})
    assert flow.current is not None and flow.current.id == "phq9_9"
    assert [rf.id for rf in flow.answer("several_days")] == ["self_harm"]  # at once, in the questionnaire
    assert flow.current is not None and flow.current.id == "self_harm_danger"


def test_history_never_compares_scores_of_a_module_whose_rules_changed_between_screenings(tmp_path: Path) -> None:
    """PEG 1.0.0 (mean, 0-10) then a clinic's PEG 2.0.0 (sum, 0-30): two series, no change between them."""
    data = yaml.safe_load((MODULES / "peg.yaml").read_text(encoding="utf-8"))
    data["version"] = "2.0.0"
    data["scores"][0].update({"method": "sum", "round": 0})
    data["examples"] = []
    peg2 = tmp_path / "peg.yaml"
    peg2.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    visits = [("peg", (8, 8, 9)), ("peg", (7, 7, 8)), (str(peg2), (2, 2, 3))]
    for i, (mod, peg) in enumerate(visits):
        path = tmp_path / f"v{i}.json"
        path.write_text(json.dumps({**CALM, "peg_1": peg[0], "peg_2": peg[1], "peg_3": peg[2]}), encoding="utf-8")
        assert run("score", str(path), "--with", mod, "--save", "--patient", "MRN-77").exit_code == 0
    result = run("history", "show", "--patient", "MRN-77")
    assert result.exit_code == 0
    text = result.stdout
    assert "PEG [peg 1.0.0]" in text and "PEG [peg 2.0.0]" in text
    assert "-1 (-12%), better" in text  # 8.3 -> 7.3, under the same rules
    assert "+" not in text.split("PEG [peg 2.0.0]")[1]  # 7 of 30 is never a change from 7.3 of 10
    assert "First to last" not in text and "shown apart and never compared" in text
    series = json.loads(run("history", "show", "--patient", "MRN-77", "--format", "json").stdout)["scores"]
    assert [(s["version"], [p["value"] for p in s["points"]], len(s["changes"])) for s in series] == [
        ("1.0.0", [8.3, 7.3], 1),
        ("2.0.0", [7], 0),
    ]


def test_a_score_made_with_questions_missing_says_so() -> None:
    """PHQ-9 with two items missing is prorated (NHS): its line says it is not a complete score."""
    rs = load_rules(None, "phq9,phq4")
    seven = {f"phq9_{i}": "more_than_half" for i in range(1, 8)}
    result = score_data(rs, {**CALM, **seven, "phq4_3": "several_days"})
    lines = {s.id: s.text for m in result.modules for s in m.scores}
    assert lines["phq9"] == (
        "PHQ-9: 18 of 27, moderately severe (7 of 9 questions answered; the 2 missing estimated from the others)"
    )
    assert lines["phq2"] == "PHQ-2: not scored (1 of 2 questions answered; both are needed)"
    full = score_data(rs, {**CALM, **PHQ9_NONE})
    assert next(s.text for m in full.modules for s in m.scores if s.id == "phq9") == "PHQ-9: 0 of 27, none or minimal"


def test_a_positive_phq2_or_gad2_is_put_plainly_and_kindly_and_true_at_the_cut_off() -> None:
    """3 is the cut-off itself (3 or more is positive): the message may not say 'above' it."""
    rs = load_rules(None, "phq4")
    at = {"phq4_1": "nearly_every_day", "phq4_2": "not_at_all", "phq4_3": "nearly_every_day", "phq4_4": "not_at_all"}
    lines = {s.id: s for s in score_data(rs, {**CALM, **at}).modules[0].scores}
    for sid in ("gad2", "phq2"):
        line = lines[sid]
        assert line.value == 3 and line.flag and line.band == "positive"
        assert "above" not in line.message and "cut-off" not in line.message  # plain words, true at 3
        assert "talk with your doctor" in line.message and "not an emergency" in line.message


def test_a_file_that_is_no_module_is_not_called_a_ruleset(tmp_path: Path) -> None:
    """`--with` a file that is neither a module nor a ruleset (a new adversarial variant: /etc/passwd) is
    said to be no module; a ruleset given there is named as a ruleset."""
    other = tmp_path / "x.yaml"
    other.write_text("x: 1\n", encoding="utf-8")
    answers = str(ROOT / "docs" / "examples" / "answers.yaml")
    r = runner.invoke(app, ["score", answers, "--with", str(other)])
    assert r.exit_code == 2 and "this is not an instrument module" in r.stderr, r.output
    r = runner.invoke(app, ["score", answers, "--with", str(ROOT / "rules" / "pt-screen.yaml")])
    assert r.exit_code == 2 and "this is a ruleset, not an instrument module" in r.stderr, r.output


def test_score_bands_are_said_in_spanish_too() -> None:
    """A band's label and what it means are this tool's words, not the instrument's: they are said in the
    person's language (they were English in a Spanish result: 'PHQ-4: 8 de 12, moderate'). The items keep
    their published wording, and the instrument's own title and copyright stay as published."""
    for name in module_names():
        rs = load_rules(None, with_modules=[name])
        for score in rs.scores:
            for band in score.bands:
                assert band.label.get("es") != band.label.get("en"), (name, score.id, band.id)
                if band.message.get("en"):
                    assert band.message.get("es") != band.message.get("en"), (name, score.id, band.id)


def test_a_spanish_result_says_its_score_bands_in_spanish(tmp_path: Path) -> None:
    base = load_rules(None).examples[0].answers
    answers = {**base, "phq4_1": "nearly_every_day", "phq4_2": "nearly_every_day", "phq4_3": "several_days", "phq4_4": "several_days"}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    r = CliRunner().invoke(app, ["score", str(path), "--with", "phq4", "--lang", "es"])
    assert r.exit_code == 0, r.output
    out = " ".join(r.stdout.split())
    assert "8 de 12, moderado" in out and "cribado positivo de ansiedad" in out and "por debajo del punto de corte" in out
    assert "moderate" not in out and "positive screen" not in out and "below the screening" not in out
