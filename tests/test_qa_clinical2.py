"""QA (clinical): patient cases through the installed commands, urgency wording, forgiving input, plain mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli import screen_cmd
from stm_screen.cli.app import app
from stm_screen.core.answers import check_answers
from stm_screen.core.explain import explain
from stm_screen.render.formats import RENDERERS
from stm_screen.render.text import render_plain
from stm_screen.screening import score_data
from tests._keys import CALM, plain_line

runner = CliRunner()

EMERGENCY_FLAGS = {
    "bladder_bowel_change": "cauda_equina_bladder",
    "saddle_numbness": "cauda_equina_saddle",
    "progressive_weakness": "progressive_neuro_deficit",
    "stroke_signs": "vascular_signs",
    "self_harm_thoughts": "self_harm",
}
SEE_DOCTOR_FLAGS = {
    "fever_or_unwell": "possible_infection",
    "cancer_history": "cancer_history",
    "unexplained_weight_loss": "weight_loss",
    "major_trauma": "trauma",
    "night_pain": "constant_night_pain",
}
STRONG_PT = {
    **CALM,
    "pain_duration_months": 24,
    "activity_limitation": 8,
    "tightness_trigger_points": True,
    "recurrent_flare_ups": True,
    "fear_of_movement": True,
}


@pytest.fixture
def tty_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)


def score_json(answers: dict[str, Any]) -> dict[str, Any]:
    result = runner.invoke(app, ["score", "-", "--format", "json"], input=json.dumps(answers))
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def score_text(answers: dict[str, Any]) -> str:
    result = runner.invoke(app, ["score", "-"], input=json.dumps(answers), env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    return result.stdout


# --- patient cases -------------------------------------------------------------------------------------------

CASES: list[tuple[str, dict[str, Any], str]] = [
    *[(f"{q} alone", {**CALM, q: True}, "emergency") for q in EMERGENCY_FLAGS],
    *[(f"{q} alone", {**CALM, q: True}, "see_doctor") for q in SEE_DOCTOR_FLAGS],
    *[(f"{q} with all five PT signs", {**STRONG_PT, q: True}, "emergency") for q in EMERGENCY_FLAGS],
    *[(f"{q} with all five PT signs", {**STRONG_PT, q: True}, "see_doctor") for q in SEE_DOCTOR_FLAGS],
    (
        "see-doctor and emergency together",
        {**STRONG_PT, "night_pain": True, "saddle_numbness": True},
        "emergency",
    ),
    ("exactly 3 months alone", {**CALM, "pain_duration_months": 3}, "self_care"),
    ("3.1 months alone", {**CALM, "pain_duration_months": 3.1}, "pt_consider"),
    ("activity 3 and 3 months", {**CALM, "pain_duration_months": 3, "activity_limitation": 3}, "self_care"),
    ("activity 10 only", {**CALM, "activity_limitation": 10}, "pt_consider"),
    (
        "widespread pain, three signs",
        {
            **CALM,
            "pain_areas": ["widespread"],
            "pain_duration_months": 36,
            "fear_of_movement": True,
            "activity_limitation": 6,
        },
        "pt_recommended",
    ),
    (
        "post-surgical stiffness at 2 months",
        {**CALM, "pain_areas": ["post_surgical"], "pain_duration_months": 2, "activity_limitation": 5},
        "pt_consider",
    ),
    (
        "conflicting: 0 months yet every other sign",
        {**STRONG_PT, "pain_duration_months": 0},
        "pt_recommended",
    ),
]


@pytest.mark.parametrize(("answers", "level"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_patient_cases_reach_the_expected_level(answers: dict[str, Any], level: str) -> None:
    data = score_json(answers)
    assert data["level"] == level
    assert data["disclaimer"].startswith("This is a screening aid, not a diagnosis.")
    for finding in data["red_flags"] + data["findings"]:
        assert finding["source"]["citation"]  # every finding names where its rule comes from


@pytest.mark.parametrize("question", sorted(EMERGENCY_FLAGS))
def test_emergency_next_steps_never_point_below_the_warning_signs(question: str) -> None:
    """Next steps come after the warning signs in every rendering: 'the message below' is nothing."""
    text = score_text({**STRONG_PT, question: True})
    steps = text.split("Next steps", 1)[1]
    assert "below" not in steps
    assert "now" in steps


@pytest.mark.parametrize("question", sorted(EMERGENCY_FLAGS))
def test_an_emergency_result_never_says_only_see_a_doctor(question: str) -> None:
    data = score_json({**STRONG_PT, question: True})
    for change in data["what_would_change"]:
        assert "see a doctor first" not in change["summary"]
        assert "urgent" in change["summary"]


def test_a_see_doctor_result_still_says_see_a_doctor_first() -> None:
    data = score_json({**STRONG_PT, "night_pain": True})
    assert "see a doctor first" in data["what_would_change"][0]["summary"]


@pytest.mark.parametrize("question", ["self_harm_thoughts", "night_pain"])
def test_pt_reasons_under_a_warning_sign_are_not_presented_as_the_reason_for_the_result(
    ruleset: Any, question: str
) -> None:
    result = score_data(ruleset, {**STRONG_PT, question: True})
    for fmt in ("text", "md", "html"):
        out = RENDERERS[fmt](result)
        assert "Why" not in out.replace("Why physical therapy may help later", ""), fmt
        assert "Why physical therapy may help later" in out, fmt
    calm = RENDERERS["text"](score_data(ruleset, STRONG_PT))
    assert "\nWhy\n" in calm  # without a warning sign the reasons are the reasons for the result


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_every_finding_shown_to_people_names_its_source(ruleset: Any, fmt: str) -> None:
    answers = {**STRONG_PT, "night_pain": True, "stroke_signs": True}
    result = score_data(ruleset, answers)
    out = " ".join(RENDERERS[fmt](result).split())
    assert "Sources" in out
    for finding in result.red_flags + result.findings:
        citation = finding.source["citation"]
        if fmt == "html":
            citation = citation.replace("&", "&amp;")
        assert " ".join(citation.split()) in out, finding.id


def test_self_harm_result_gives_the_crisis_line_and_the_disclaimer() -> None:
    text = score_text({**CALM, "self_harm_thoughts": True})
    assert "988" in text and "crisis line" in text
    assert text.index("988") < text.index("Score")  # before anything about physical therapy
    assert "This is a screening aid, not a diagnosis." in text


# --- the questionnaire ----------------------------------------------------------------------------------------


def plain_lines(ruleset: Any, answers: dict[str, Any], upto: str | None = None) -> list[str]:
    out = []
    for q in ruleset.questions:
        if q.id in answers:
            out.append(plain_line(q, answers[q.id]))
        if q.id == upto:
            break
    return out


def test_resume_after_an_emergency_shows_what_to_do_before_any_question(
    tty_stdin: None, ruleset: Any, tmp_path: Path
) -> None:
    answers = {**CALM, "self_harm_thoughts": True}
    lines = plain_lines(ruleset, answers, upto="self_harm_thoughts")
    first = runner.invoke(
        app, ["screen", "--plain"], input="\n".join(lines) + "\n"
    )  # input ends at the choice
    assert first.exit_code == 130
    assert "988" in first.stdout
    report = tmp_path / "r.json"
    second = runner.invoke(app, ["screen", "--plain", "--resume", "--report", str(report)], input="1\n")
    assert second.exit_code == 0, second.stderr
    out = second.stdout
    assert "988" in out
    assert out.index("988") < out.index("Stop here and show my result")
    assert "(9/17)" not in out  # stopped at once: no further question was asked
    assert json.loads(report.read_text())["level"] == "emergency"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("6 months", 6),
        ("6 Months", 6),
        ("1 month", 1),
        ("18mo", 18),
        ("2 yrs", 24),
        ("1.5 years", 18),
        ("1 year", 12),
        ("1.5", 1.5),
        (" 7 ", 7),
    ],
)
def test_numbers_typed_with_a_unit_are_understood(
    tty_stdin: None, ruleset: Any, tmp_path: Path, typed: str, expected: float
) -> None:
    rest = plain_lines(ruleset, {k: v for k, v in CALM.items() if k != "pain_duration_months"})
    report = tmp_path / "r.json"
    result = runner.invoke(
        app, ["screen", "--plain", "--report", str(report)], input="\n".join([typed, *rest, ""]) + "\n"
    )
    assert result.exit_code == 0, result.stdout[-600:]
    assert json.loads(report.read_text())["answers"]["pain_duration_months"] == expected


def test_a_converted_unit_is_said_back_to_the_person(tty_stdin: None, ruleset: Any, tmp_path: Path) -> None:
    rest = plain_lines(ruleset, {k: v for k, v in CALM.items() if k != "pain_duration_months"})
    result = runner.invoke(app, ["screen", "--plain"], input="\n".join(["2 yrs", *rest, ""]) + "\n")
    assert result.exit_code == 0
    assert "2 yrs counted as 24 months" in result.stdout


@pytest.mark.parametrize("typed", ["6 kg", "six months", "2 weeks 3 days", "months"])
def test_other_words_after_a_number_are_still_refused(
    tty_stdin: None, ruleset: Any, tmp_path: Path, typed: str
) -> None:
    result = runner.invoke(app, ["screen", "--plain"], input=typed + "\n")
    assert result.exit_code == 130
    assert "Sorry:" in result.stdout
    assert not list((tmp_path / "stm-home").glob("resume-*.json"))  # nothing was accepted


def test_a_unit_in_a_whole_number_question_must_still_give_a_whole_number(ruleset: Any) -> None:
    from stm_screen.prompt.questionnaire import Questionnaire

    q = ruleset.by_id["pain_intensity"]  # no unit at all
    assert Questionnaire._check_text(q, "5 months") is not None


def test_plain_screening_result_has_no_block_characters(tty_stdin: None, ruleset: Any) -> None:
    """--plain is what a screen reader gets: a bar of block characters is read out one by one."""
    result = runner.invoke(
        app, ["screen", "--plain"], input="\n".join([*plain_lines(ruleset, STRONG_PT), ""]) + "\n"
    )
    assert result.exit_code == 0
    out = result.stdout
    assert not set("█░▓▒╭╮╰╯│─") & set(out)
    assert "5 of 5 signs that physical therapy may help" in out


def test_plain_render_without_unicode_is_pure_ascii(ruleset: Any) -> None:
    result = explain(ruleset, check_answers(ruleset, {**STRONG_PT, "stroke_signs": True}))
    assert render_plain(result, unicode_ok=False).isascii()


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_unanswered_pain_questions_are_not_passed_off_as_no(ruleset: Any, fmt: str) -> None:
    """Nothing answered about the pain: the low result says it may be too low and why, in every format
    people read; answering everything, or a warning sign (which decides anyway), leaves the note out."""
    from stm_screen.render.text import CRITERIA_GAP

    def shown(answers: dict[str, Any]) -> bool:
        out = " ".join(RENDERERS[fmt](score_data(ruleset, answers)).split())
        return " ".join(CRITERIA_GAP.split()).replace("'", "&#x27;" if fmt == "html" else "'") in out

    safety_only = {q: v for q, v in CALM.items() if ruleset.by_id[q].safety}
    assert shown(safety_only)
    assert shown({})
    assert not shown(STRONG_PT)
    assert not shown({**safety_only, "stroke_signs": True})
    # top level already: nothing unanswered could raise it
    top = {**STRONG_PT}
    top.pop("fear_of_movement", None)
    assert score_data(ruleset, top).level == score_data(ruleset, STRONG_PT).level
    assert not shown(top)
