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
from stm_screen.core.engine import Scorer
from stm_screen.core.explain import explain
from stm_screen.render.formats import RENDERERS
from stm_screen.render.text import render_plain
from stm_screen.rules.loader import load_ruleset
from stm_screen.screening import score_data
from tests._keys import plain_line

runner = CliRunner()
RULESET = load_ruleset()
SCORER = Scorer(RULESET)
SAFETY = frozenset(q.id for q in RULESET.questions if q.unsure)  # the safety group: each accepts 'not sure'


def complete(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers, with every safety question they make asked (and that has no answer) answered no."""
    out = dict(answers)
    while True:
        gaps = [q for q in SCORER.evaluate(check_answers(RULESET, out)).missing if q in SAFETY]
        if not gaps:
            return out
        out.update(dict.fromkeys(gaps, False))


# the 'nothing met gives self-care' example: a complete 2.0 answer set, every safety question "no"
CALM: dict[str, Any] = dict(RULESET.examples[0].answers)

EMERGENCY_FLAGS: dict[str, tuple[dict[str, Any], str]] = {
    "bladder_bowel_change": ({"bladder_bowel_change": True}, "cauda_equina_bladder"),
    "saddle_numbness": ({"saddle_numbness": True}, "cauda_equina_saddle"),
    "weakness_fast": ({"progressive_weakness": True, "weakness_fast": True}, "weakness_getting_worse_fast"),
    "stroke_signs": ({"stroke_signs": True}, "stroke_like_signs"),
    "sudden_severe_headache": ({"sudden_severe_headache": True}, "sudden_headache"),
    "self_harm_thoughts": ({"self_harm_thoughts": True, "self_harm_danger": False}, "self_harm"),
    "self_harm_danger": ({"self_harm_thoughts": True, "self_harm_danger": True}, "self_harm_danger_now"),
}
SEE_DOCTOR_FLAGS: dict[str, tuple[dict[str, Any], str]] = {
    "fever_or_unwell": ({"fever_or_unwell": True}, "possible_infection"),
    "cancer_history": ({"cancer_history": True}, "cancer_with_spine_pain"),
    "unexplained_weight_loss": ({"unexplained_weight_loss": True}, "weight_loss"),
    "night_pain": ({"night_pain": True}, "constant_night_pain"),
    "progressive_weakness": (
        {"progressive_weakness": True, "weakness_fast": False},
        "weakness_getting_worse",
    ),
    "both_legs_symptoms": ({"both_legs_symptoms": True}, "both_legs"),
    "calf_swelling": ({"calf_swelling": True}, "possible_blood_clot"),
}
STRONG_PT = complete(
    {
        **CALM,
        "pain_duration_months": 24,
        "activity_limitation": 8,
        "tightness_trigger_points": True,
        "recurrent_flare_ups": True,
        "fear_of_movement": True,
    }
)
RECENT_STRONG_PT = {**STRONG_PT, "pain_duration_months": 2}


@pytest.fixture
def tty_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)


def score_json(answers: dict[str, Any], *args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["score", "-", "--format", "json", *args], input=json.dumps(answers))
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def score_text(answers: dict[str, Any], *args: str) -> str:
    result = runner.invoke(app, ["score", "-", *args], input=json.dumps(answers), env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    return result.stdout


# --- patient cases -------------------------------------------------------------------------------------------

CASES: list[tuple[str, dict[str, Any], str, list[str]]] = [
    *[(f"{q} alone", complete({**CALM, **c}), "emergency", [f]) for q, (c, f) in EMERGENCY_FLAGS.items()],
    *[(f"{q} alone", complete({**CALM, **c}), "see_doctor", [f]) for q, (c, f) in SEE_DOCTOR_FLAGS.items()],
    *[
        (f"{q} with all five PT signs", complete({**STRONG_PT, **c}), "emergency", [f])
        for q, (c, f) in EMERGENCY_FLAGS.items()
    ],
    *[
        (f"{q} with all five PT signs", complete({**STRONG_PT, **c}), "see_doctor", [f])
        for q, (c, f) in SEE_DOCTOR_FLAGS.items()
    ],
    (
        "recent serious injury with all five PT signs",
        complete({**RECENT_STRONG_PT, "major_trauma": True}),
        "see_doctor",
        ["serious_injury_weeks_ago"],  # two months ago: within a few days, if no doctor has checked it
    ),
    (
        "old serious injury with all five PT signs",
        complete({**STRONG_PT, "major_trauma": True}),
        "pt_recommended",
        [],
    ),
    (
        "see-doctor and emergency together",
        complete({**STRONG_PT, "night_pain": True, "saddle_numbness": True}),
        "emergency",
        ["cauda_equina_saddle", "constant_night_pain"],
    ),
    ("2.9 months alone", {**CALM, "pain_duration_months": 2.9}, "self_care", []),
    ("exactly 3 months alone", complete({**CALM, "pain_duration_months": 3}), "pt_consider", []),
    ("3.1 months alone", complete({**CALM, "pain_duration_months": 3.1}), "pt_consider", []),
    (
        "activity 3 and 3 months",
        complete({**CALM, "pain_duration_months": 3, "activity_limitation": 3}),
        "pt_consider",
        [],
    ),
    ("activity 6 only", {**CALM, "activity_limitation": 6}, "pt_consider", []),
    ("activity 10 only", {**CALM, "activity_limitation": 10}, "pt_recommended", []),
    (
        "widespread pain, three signs",
        complete(
            {
                **CALM,
                "pain_areas": ["widespread"],
                "pain_duration_months": 36,
                "fear_of_movement": True,
                "activity_limitation": 6,
            }
        ),
        "pt_recommended",
        [],
    ),
    (
        "post-surgical stiffness at 2 months",
        complete(
            {**CALM, "pain_areas": ["post_surgical"], "pain_duration_months": 2, "activity_limitation": 5}
        ),
        "pt_consider",
        [],
    ),
    (
        "conflicting: 0 months yet every other sign",
        {**STRONG_PT, "pain_duration_months": 0},
        "pt_recommended",
        [],
    ),
    (
        "new pain getting better, two signs, little limitation",
        {
            **CALM,
            "pain_duration_months": 1,
            "pain_trend": "better",
            "tightness_trigger_points": True,
            "recurrent_flare_ups": True,
        },
        "self_care",
        [],
    ),
    (
        "new pain getting worse, two signs",
        {
            **CALM,
            "pain_duration_months": 1,
            "pain_trend": "worse",
            "tightness_trigger_points": True,
            "recurrent_flare_ups": True,
        },
        "pt_consider",
        [],
    ),
    ("age 15", {**CALM, "age_years": 15}, "see_doctor", ["under_16"]),
]


@pytest.mark.parametrize(("answers", "level", "flags"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_patient_cases_reach_the_expected_level(
    answers: dict[str, Any], level: str, flags: list[str]
) -> None:
    data = score_json(answers)
    assert data["level"] == level
    assert sorted(f["id"] for f in data["red_flags"]) == sorted(flags)
    assert data["red_flags_not_ruled_out"] == [] and data["unchecked"] is False  # every case is complete
    assert data["disclaimer"].startswith("This is a screening aid, not a diagnosis.")
    for finding in data["red_flags"] + data["findings"]:
        assert finding["source"]["citation"]  # every finding names where its rule comes from
    for flag in data["red_flags"]:
        assert flag["urgency"] in ("now", "today", "days", "weeks")


@pytest.mark.parametrize("question", sorted(EMERGENCY_FLAGS))
def test_emergency_next_steps_never_point_below_the_warning_signs(question: str) -> None:
    """The warning signs come first and again last ('What to do now'); no step points to 'below'."""
    text = score_text(complete({**STRONG_PT, **EMERGENCY_FLAGS[question][0]}))
    data = score_json(complete({**STRONG_PT, **EMERGENCY_FLAGS[question][0]}))
    [flag] = data["red_flags"]
    steps = text.split("Next steps", 1)[1].split("SUMMARY", 1)[0]  # (in the summary, the advice is below)
    assert "below" not in steps
    first, _, last = " ".join(text.split()).partition("Next steps")
    assert flag["title"] in first and "What to do now" in last  # the summary, last
    assert flag["title"] in last.split("What to do now", 1)[1]  # and again last
    assert "How soon: " in last
    if flag["urgency"] == "now":
        assert "now" in last.split("What to do now", 1)[1]


@pytest.mark.parametrize("question", sorted(EMERGENCY_FLAGS) + sorted(SEE_DOCTOR_FLAGS))
def test_a_warning_sign_result_never_says_what_would_change(question: str) -> None:
    """2.0: under a warning sign the result never tells the person which safety answer to withdraw."""
    changes = {**EMERGENCY_FLAGS, **SEE_DOCTOR_FLAGS}[question][0]
    data = score_json(complete({**STRONG_PT, **changes}))
    assert data["what_would_change"] == []
    assert data["pt_level"] == "pt_recommended"  # what the PT rules alone give stays in JSON for clinicians
    text = score_text(complete({**STRONG_PT, **changes}))
    assert "What would change" not in text and "Without them" not in text


def test_a_see_doctor_result_still_says_see_a_doctor_first() -> None:
    data = score_json({**STRONG_PT, "night_pain": True})
    assert data["level"] == "see_doctor" and data["title"] == "Please see a doctor before physical therapy"
    assert data["urgency"] == "days"
    text = score_text({**STRONG_PT, "night_pain": True})
    assert "See a doctor within a few days" in text
    assert "physical therapy assessment" not in text  # no PT next step under a warning sign


@pytest.mark.parametrize("question", ["self_harm_thoughts", "night_pain"])
def test_pt_reasons_under_a_warning_sign_are_left_out_of_the_patient_text(
    ruleset: Any, question: str
) -> None:
    """2.0: the PT reasons, the score bar and the area notes are left out under a warning sign (JSON keeps them)."""
    changes = {**EMERGENCY_FLAGS, **SEE_DOCTOR_FLAGS}[question][0]
    result = score_data(ruleset, complete({**STRONG_PT, **changes}))
    assert result.findings  # still there for clinicians
    for fmt in ("text", "md", "html"):
        out = RENDERERS[fmt](result)
        for finding in result.findings:
            assert finding.title not in out, (fmt, finding.id)
        assert "Why this result" not in out and "Why physical therapy" not in out, fmt
        assert "█" not in out and "of the 5 reasons" not in out, fmt
        assert "Lower back:" not in out, fmt  # the area note
        assert "physical therapy assessment" not in out, fmt
    calm = RENDERERS["text"](score_data(ruleset, STRONG_PT))
    assert "\nWhy this result\n" in calm  # without a warning sign the reasons are the reasons for the result
    assert all(f.title in calm for f in score_data(ruleset, STRONG_PT).findings)


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_every_finding_shown_to_people_names_its_source(ruleset: Any, fmt: str) -> None:
    for answers in (complete({**STRONG_PT, "night_pain": True, "stroke_signs": True}), STRONG_PT):
        result = score_data(ruleset, answers)
        out = " ".join(RENDERERS[fmt](result).split())
        assert "Sources" in out
        shown = (
            result.red_flags if result.warning else result.findings
        )  # PT reasons are left out under a sign
        assert shown
        for finding in shown:
            citation = finding.source["citation"]
            if fmt == "html":
                citation = citation.replace("&", "&amp;")
            assert " ".join(citation.split()) in out, finding.id


def test_self_harm_result_gives_the_crisis_line_and_the_disclaimer() -> None:
    answers = complete({**CALM, **EMERGENCY_FLAGS["self_harm_thoughts"][0]})
    text = " ".join(score_text(answers, "--country", "US").split())
    assert "988" in text and "Crisis Lifeline" in text
    assert "Score" not in text and "physical therapy assessment" not in text  # nothing about physical therapy
    assert "not the right first step" not in text
    assert "does not alert anyone" in text  # says plainly that nobody has been told
    assert "This is a screening aid, not a diagnosis." in text
    default = " ".join(score_text(answers, "--country", "ZZ").split())  # no bundled numbers: the default text
    assert "crisis line" in default and "112" in default and "911" in default
    from_locale = runner.invoke(app, ["score", "-"], input=json.dumps(answers), env={"LC_ALL": "en_GB.UTF-8"})
    assert from_locale.exit_code == 0 and "116 123" in from_locale.stdout


def test_self_harm_with_danger_gives_the_country_emergency_number_now() -> None:
    answers = complete({**CALM, **EMERGENCY_FLAGS["self_harm_danger"][0]})
    data = score_json(answers, "--country", "GB")
    assert data["level"] == "emergency" and data["urgency"] == "now"
    text = score_text(answers, "--country", "GB")
    assert "999" in text and "116 123" in text


# --- the questionnaire ----------------------------------------------------------------------------------------


def plain_lines(ruleset: Any, answers: dict[str, Any], upto: str | None = None) -> list[str]:
    """What a person types, question by question, for the questions that are asked (skip logic applied)."""
    values = check_answers(ruleset, answers)
    scorer = Scorer(ruleset)
    out = []
    for q in ruleset.questions:
        if q.id in answers and scorer.asked(q, values):
            out.append(plain_line(q, answers[q.id]))
        if q.id == upto:
            break
    return out


def lines_with_duration(ruleset: Any, typed: str, months: float) -> list[str]:
    """The calm answers with the pain duration typed as ``typed`` (which the tool reads as ``months``)."""
    answers = complete({**CALM, "pain_duration_months": months})
    lines = plain_lines(ruleset, answers)
    before = plain_lines(ruleset, answers, upto="pain_duration_months")
    lines[len(before) - 1] = typed
    return lines


def test_resume_after_an_emergency_shows_what_to_do_before_any_question(
    tty_stdin: None, ruleset: Any, tmp_path: Path
) -> None:
    answers = complete({**CALM, **EMERGENCY_FLAGS["self_harm_thoughts"][0]})
    lines = plain_lines(ruleset, answers, upto="self_harm_thoughts")
    first = runner.invoke(
        app, ["screen", "--plain", "--country", "US"], input="\n".join(lines) + "\n"
    )  # input ends at the choice
    assert first.exit_code == 130
    assert "988" in first.stdout
    report = tmp_path / "r.json"
    second = runner.invoke(
        app, ["screen", "--plain", "--resume", "--country", "US", "--report", str(report)], input="1\n2\n"
    )  # stop; then the acuity question, asked before the result: no
    assert second.exit_code == 0, second.stderr
    out = second.stdout
    assert "988" in out
    assert out.index("988") < out.index("Stop here and show my result")
    assert out.index("Stop here and show my result") < out.index("Are you having these thoughts right now")
    assert f"({len(lines) + 2}/" not in out and "Pain in daily life" not in out  # then stopped: no more
    data = json.loads(report.read_text())
    assert data["level"] == "emergency" and [f["id"] for f in data["red_flags"]] == ["self_harm"]
    assert "Score" not in out and "physical therapy assessment" not in out


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
    lines = lines_with_duration(ruleset, typed, expected)
    report = tmp_path / "r.json"
    result = runner.invoke(
        app, ["screen", "--plain", "--report", str(report)], input="\n".join([*lines, ""]) + "\n"
    )
    assert result.exit_code == 0, result.stdout[-600:]
    assert json.loads(report.read_text())["answers"]["pain_duration_months"] == expected


def test_a_converted_unit_is_said_back_to_the_person(tty_stdin: None, ruleset: Any, tmp_path: Path) -> None:
    lines = lines_with_duration(ruleset, "2 yrs", 24)
    result = runner.invoke(app, ["screen", "--plain"], input="\n".join([*lines, ""]) + "\n")
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
    assert "5 of the 5 reasons on the article's list" in out


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

    pt_questions = {
        "pain_trend",
        "pain_intensity",
        "activity_limitation",
        "tightness_trigger_points",
        "recurrent_flare_ups",
        "fear_of_movement",
    }
    safety_only = {q: v for q, v in CALM.items() if q not in pt_questions}  # every warning sign checked
    assert score_data(ruleset, safety_only).level == "self_care"
    assert shown(safety_only)
    # nothing answered at all: the warning signs could not be checked, and that decides (see a doctor)
    empty = score_data(ruleset, {})
    assert (empty.level, empty.unchecked) == ("see_doctor", True)
    assert not shown({})
    assert not shown(STRONG_PT)
    assert not shown({**safety_only, "stroke_signs": True})
    # top level already: nothing unanswered could raise it
    top = {**STRONG_PT}
    top.pop("fear_of_movement", None)
    assert score_data(ruleset, top).level == score_data(ruleset, STRONG_PT).level
    assert not shown(top)


def test_stop_then_yes_to_the_acuity_question_says_it_and_shows_the_result_without_asking_again(
    tty_stdin: None, ruleset: Any, tmp_path: Path
) -> None:
    """'Stop here' chosen, then yes to the acuity question: its own emergency is said and the result follows;
    the person is not offered to stop a second time (plain mode)."""
    answers = complete({**CALM, **EMERGENCY_FLAGS["self_harm_thoughts"][0]})
    lines = plain_lines(ruleset, answers, upto="self_harm_thoughts")
    report = tmp_path / "r.json"
    result = runner.invoke(
        app,
        ["screen", "--plain", "--country", "US", "--report", str(report)],
        input="\n".join([*lines, "1", "1"]) + "\n",
    )  # stop here; the acuity question: yes; nothing more is typed
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.count("Stop here and show my result") == 1
    danger = out.index("URGENT: Please read this now.\nYou may not be safe from thoughts of self-harm")
    assert out.index("Are you having these thoughts right now") < danger
    assert "Finish the remaining questions" not in out[danger:]
    assert str(ruleset.level_by_id["emergency"].title) in out[danger:]
    data = json.loads(report.read_text())
    assert data["level"] == "emergency" and [f["id"] for f in data["red_flags"]] == ["self_harm_danger_now"]
