"""pt-screen 2.0: the clinical contract (issue 9), checked on the bundled rules and through the tool.

Reading level, examples for every warning sign and guard, unknown-is-not-safe, patient text under warning
signs, the per-country emergency numbers, and the engine features the rules rely on.
"""

from __future__ import annotations

import json
import re
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.core.answers import check_answers, parse_answer
from stm_screen.core.contacts import DEFAULT, country_from_locale, fill, normalise_country
from stm_screen.core.engine import Scorer
from stm_screen.core.explain import explain
from stm_screen.core.ruleset import UNSURE, Ruleset
from stm_screen.errors import RulesError
from stm_screen.io.contacts import contacts_for, load_table
from stm_screen.render.report import ReportInfo, render_report
from stm_screen.render.text import render_plain
from tests.readability import grade, patient_texts

SAFETY_GROUP = {
    "bladder_bowel_change", "saddle_numbness", "both_legs_symptoms", "progressive_weakness", "weakness_fast",
    "clumsy_hands_or_gait", "stroke_signs", "sudden_severe_headache", "dizziness_ongoing", "jaw_scalp_headache",
    "chest_arm_pain_exertion", "calf_swelling", "hot_swollen_joint", "self_harm_thoughts", "self_harm_danger", "fever_or_unwell",
    "infection_risk", "cancer_history", "unexplained_weight_loss", "major_trauma", "minor_trauma",
    "fracture_risk", "blood_thinners", "night_pain", "morning_stiffness", "bone_pain_impact",
}  # fmt: skip


def calm(ruleset: Ruleset) -> dict[str, Any]:
    return dict(ruleset.examples[0].answers)


def result_for(ruleset: Ruleset, **changes: Any) -> Any:
    answers = {**calm(ruleset), **changes}
    return explain(ruleset, check_answers(ruleset, {k: v for k, v in answers.items() if v is not None}))


# --- the public contract ---------------------------------------------------------------------------------


def test_version_and_question_contract(ruleset: Ruleset) -> None:
    assert ruleset.version == "2.4.2"
    safety = {q.id for q in ruleset.questions if q.section == "safety"}
    assert safety == SAFETY_GROUP
    for qid in SAFETY_GROUP:
        q = ruleset.by_id[qid]
        assert q.type == "boolean" and q.unsure, qid
    types = {q.id: q.type for q in ruleset.questions}
    assert types["age_years"] == "integer" and ruleset.by_id["age_years"].required
    assert (ruleset.by_id["age_years"].min, ruleset.by_id["age_years"].max) == (0, 120)
    assert ruleset.by_id["pain_trend"].choice_ids == ("better", "same", "worse")
    assert "mid_back" in ruleset.by_id["pain_areas"].choice_ids
    assert types["pregnant"] == "boolean" and not ruleset.by_id["pregnant"].safety


def test_every_red_flag_states_how_soon_and_names_its_source(ruleset: Ruleset) -> None:
    for rf in ruleset.red_flags:
        assert rf.urgency in ("now", "today", "days", "weeks"), rf.id
        assert rf.source.citation, rf.id
        if rf.urgency == "now":
            assert rf.level == "emergency", rf.id


# --- examples: a yes and a no for every warning sign ------------------------------------------------------


def test_every_red_flag_has_a_yes_and_a_no_example(ruleset: Ruleset) -> None:
    """Yes: an example fires it. No: an example answers every yes/no question the sign looks at, and the
    sign neither fires nor is left open."""
    scorer = Scorer(ruleset)
    evaluated = [(ex, scorer.evaluate(check_answers(ruleset, ex.answers))) for ex in ruleset.examples]
    for rf in ruleset.red_flags:
        own = {n for n in rf.when.names if ruleset.by_id[n].type == "boolean"}
        yes = any(rf.id in ev.red_flags for _, ev in evaluated)
        no = any(
            rf.id not in ev.red_flags
            and rf.id not in ev.red_flags_unknown
            and all(ex.answers.get(n) is not None for n in own)
            for ex, ev in evaluated
        )
        assert yes, f"{rf.id}: no example fires it"
        assert no, f"{rf.id}: no example answers its questions without firing it"


def test_examples_cover_the_boundaries(ruleset: Ruleset) -> None:
    by_name = {ex.name: ex for ex in ruleset.examples}
    durations = {ex.answers.get("pain_duration_months") for ex in ruleset.examples}
    assert {2.9, 3, 1.5, 1}.issubset(durations)
    ages = {ex.answers.get("age_years") for ex in ruleset.examples}
    assert {15, 16, 49, 50, 69, 70}.issubset(ages)
    assert "inflammatory back pain that began at 44 needs a doctor" in by_name
    assert "morning stiffness with back pain that began at 45 is not asked" in by_name


@pytest.mark.parametrize(
    ("changes", "level", "fired"),
    [
        ({"major_trauma": True, "pain_duration_months": 30, "morning_stiffness": False}, "pt_consider", []),
        ({"cancer_history": True, "pain_areas": ["tendon"]}, "self_care", []),
        ({"bladder_bowel_change": False}, "self_care", []),  # long-standing, unchanged leakage is "no"
        ({"blood_thinners": UNSURE}, "self_care", []),  # no fall: the sign cannot fire, nothing open
        ({"self_harm_thoughts": True, "self_harm_danger": False}, "emergency", ["self_harm"]),
        ({"progressive_weakness": True, "weakness_fast": True}, "emergency", ["weakness_getting_worse_fast"]),
    ],
)
def test_cases_from_the_contract(
    ruleset: Ruleset, changes: dict[str, Any], level: str, fired: list[str]
) -> None:
    result = result_for(ruleset, **changes)
    assert result.level == level
    assert [f.id for f in result.red_flags] == fired
    assert not result.red_flags_not_ruled_out


# --- unknown is not safe ---------------------------------------------------------------------------------


@pytest.mark.parametrize("qid", sorted(SAFETY_GROUP - {"weakness_fast", "self_harm_danger"}))
def test_not_sure_to_any_safety_question_never_leaves_a_pt_headline(ruleset: Ruleset, qid: str) -> None:
    strong = {"pain_duration_months": 24, "activity_limitation": 8, "fear_of_movement": True,
              "pain_areas": ["low_back", "neck_shoulder"], "age_years": 60, "minor_trauma": True,
              "morning_stiffness": False}  # fmt: skip
    answers = {**calm(ruleset), **strong, qid: UNSURE}
    scorer = Scorer(ruleset)
    ev = scorer.evaluate(check_answers(ruleset, answers))
    if not ev.red_flags_unknown:
        pytest.fail(f"not sure to {qid} leaves no warning sign open")
    result = explain(ruleset, check_answers(ruleset, answers))
    assert result.level in ("see_doctor", "emergency")
    assert result.pt_level == "pt_recommended"  # kept for clinicians
    text = render_plain(result)
    assert "physical therapist is recommended" not in text.lower()
    assert "Score" not in text and "What would change" not in text


def test_unchecked_result_has_its_own_title(ruleset: Ruleset) -> None:
    result = result_for(ruleset, calf_swelling=UNSURE)
    assert result.unchecked and result.level == "see_doctor"
    assert result.title == "Some warning signs could not be checked"
    assert [f.id for f in result.red_flags_not_ruled_out] == ["possible_blood_clot"]
    assert result.red_flags_not_ruled_out[0].answers[0].shown == "not sure"
    assert result.answers["calf_swelling"] == "unsure"


def test_a_1x_answer_file_still_scores(tmp_path: Path) -> None:
    old = {"pain_duration_months": 6, "pain_areas": ["low_back"], "activity_limitation": 5,
           "bladder_bowel_change": False, "saddle_numbness": False, "progressive_weakness": False,
           "stroke_signs": False, "self_harm_thoughts": False, "fever_or_unwell": False,
           "cancer_history": False, "unexplained_weight_loss": False, "major_trauma": False,
           "night_pain": False, "tightness_trigger_points": True, "recurrent_flare_ups": False,
           "fear_of_movement": False}  # fmt: skip
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    out = CliRunner().invoke(app, ["score", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["level"] == "see_doctor" and data["unchecked"] is True
    assert not data["complete"]
    assert {"possible_blood_clot", "both_legs"} <= {f["id"] for f in data["red_flags_not_ruled_out"]}


def test_a_follow_up_under_a_not_sure_parent_is_not_asked(ruleset: Ruleset) -> None:
    ev = Scorer(ruleset).evaluate(check_answers(ruleset, {**calm(ruleset), "progressive_weakness": UNSURE}))
    assert "weakness_fast" in ev.skipped and "weakness_fast" not in ev.missing
    assert set(ev.red_flags_unknown) == {"weakness_getting_worse", "weakness_getting_worse_fast"}
    assert ev.level == "see_doctor" and ev.unchecked


def test_not_sure_about_self_harm_asks_about_danger(ruleset: Ruleset) -> None:
    """The ASQ counts an unclear answer as a positive screen and then asks about acute risk: 'not sure' to
    the self-harm question fires its crisis advice and asks the follow-up (unsure_means_yes)."""
    ev = Scorer(ruleset).evaluate(check_answers(ruleset, {**calm(ruleset), "self_harm_thoughts": UNSURE}))
    assert "self_harm_danger" not in ev.skipped and "self_harm_danger" in ev.missing
    # the danger question not answered counts as positive too (ASQ): help now
    assert ev.red_flags == ("self_harm_danger_not_answered",) and ev.red_flags_unknown == ()
    assert ev.level == "emergency" and not ev.unchecked


@pytest.mark.parametrize("word", ["unsure", "Not sure", "don't know", "DONT KNOW", "not  sure"])
def test_not_sure_words(ruleset: Ruleset, word: str) -> None:
    assert parse_answer(ruleset.by_id["night_pain"], word) == UNSURE


def test_not_sure_is_refused_where_it_is_not_offered(ruleset: Ruleset) -> None:
    from stm_screen.core.answers import AnswerValueError

    with pytest.raises(AnswerValueError, match="does not take 'not sure'"):
        parse_answer(ruleset.by_id["fear_of_movement"], "not sure")


# --- the patient's text under a warning sign -------------------------------------------------------------

PT_WORDS = re.compile(
    r"physical therapist is recommended|worth seeing a physical therapist|book a physical therapy|"
    r"hands-on|soft tissue|What would change|Score|█|Reasons found",
    re.IGNORECASE,
)


def _fired_examples(ruleset: Ruleset) -> list[Any]:
    return [ex for ex in ruleset.examples if ex.red_flags]


@pytest.mark.parametrize("fmt", ["text", "md", "html", "txt"])
def test_no_pt_content_under_any_warning_sign(ruleset: Ruleset, fmt: str) -> None:
    from datetime import datetime

    seen = set()
    for ex in _fired_examples(ruleset):
        result = explain(ruleset, check_answers(ruleset, {**ex.answers, "tightness_trigger_points": True}))
        assert result.warning
        if fmt == "text":
            text = render_plain(result)
        else:
            text = render_report(result, fmt, ReportInfo(datetime(2026, 1, 1, tzinfo=UTC)))
        assert not PT_WORDS.search(text), (ex.name, PT_WORDS.search(text))
        assert not result.what_would_change
        for f in result.red_flags:
            seen.add(f.id)
            title = f.title if fmt == "text" else f.title.replace("'", "&#x27;") if fmt == "html" else f.title
            assert text.count(title.split(",")[0]) >= 2, f"{f.id}: not shown first and again last"
    assert seen == {rf.id for rf in ruleset.red_flags}


def test_the_last_lines_say_what_to_do_and_how_soon(ruleset: Ruleset) -> None:
    result = result_for(ruleset, saddle_numbness=True)
    lines = render_plain(result).rstrip("\n").split("\n")
    tail = "\n".join(lines[-12:])  # the summary, last
    assert "What to do now" in tail and "How soon: now" in tail
    assert "emergency department now" in tail


def test_an_unchecked_emergency_sign_is_said_in_full_in_the_summary_beside_a_fired_emergency(
    ruleset: Ruleset,
) -> None:
    """Thoughts of self-harm (an emergency, today) and 'Not sure' about new bladder trouble (an emergency if it
    fits) and one that needs a doctor: the summary never counts the bladder sign under 'SEE A DOCTOR'; it
    says what to do if it fits, in full, and only the other sign is counted."""
    from stm_screen.render.view import summary

    result = result_for(
        ruleset,
        self_harm_thoughts=True,
        self_harm_danger=False,
        bladder_bowel_change=UNSURE,
        night_pain=UNSURE,
    )
    todo = summary(result).todo
    bladder = next(i for i in todo if "New bladder or bowel problems" in i.text)
    assert bladder.tag == "EMERGENCY" and "emergency department now" in bladder.detail
    # every sign answered 'Not sure' is said (what to do if it fits); only unanswered ones are counted
    (night,) = [i for i in todo if i.text.startswith("Could not be checked: Constant night pain")]
    assert night.tag == "SEE A DOCTOR" and not [i for i in todo if "other warning sign" in i.text]
    assert [i.tag for i in todo][:2] == ["EMERGENCY", "EMERGENCY"]  # emergencies first

    # stopped after the emergency: the questions left unanswered are counted, not each said in full
    stopped = summary(
        result_for(
            ruleset, bladder_bowel_change=True, stroke_signs=None, self_harm_thoughts=None, calf_swelling=None,
            night_pain=None,
        )
    )
    assert not [i for i in stopped.todo if i.text.startswith("Could not be checked")]
    assert [i for i in stopped.todo if "other warning signs were not answered" in i.text]


def test_after_an_emergency_the_unasked_signs_are_one_line_not_a_list(ruleset: Ruleset) -> None:
    """Stopped at an emergency (new saddle numbness): the 20-odd signs never asked are counted in one line
    in the details, the summary and the printed report, not listed (a new user's run found seven other
    [EMERGENCY] items, the crisis advice among them, under an emergency the person did report); their
    sources are not cited. A sign answered 'Not sure' is still said in full."""
    from stm_screen.render.report import warning_lines
    from stm_screen.render.view import summary, view

    answered = {"age_years": 62, "pregnant": False, "pain_duration_months": 24, "pain_areas": ["low_back"],
                "pain_trend": "same", "pain_intensity": 6, "bladder_bowel_change": UNSURE, "saddle_numbness": True}  # fmt: skip
    from stm_screen.core.answers import check_answers
    from stm_screen.core.explain import explain

    result = explain(ruleset, check_answers(ruleset, answered))
    assert result.level == "emergency" and len(result.red_flags_not_ruled_out) > 10
    (block,) = [b for b in view(result).blocks if b.id == "not-ruled-out"]
    assert [i.text for i in block.items] == ["New bladder or bowel problems"]  # 'Not sure': in full
    assert block.text.endswith("then tell the doctor or nurse that this check was not finished.")
    assert "other warning signs were not answered, so they were not checked" in block.text
    todo = summary(result).todo
    assert sum("other warning signs were not answered" in i.text for i in todo) == 1
    assert not [i for i in todo if "hurting yourself" in f"{i.text} {i.detail}"]
    _text, items = warning_lines(result)
    assert len(items) == 3  # the emergency, the 'Not sure' sign, the one line
    cited = " ".join(t for b in view(result).blocks if b.id == "sources" for i in b.items for t in (i.text, i.detail))
    assert "Finucane" in cited and "NICE guideline NG158" not in cited  # the calf sign was never asked


def test_beside_an_emergency_a_few_unanswered_signs_are_still_named(ruleset: Ruleset) -> None:
    """A file with an emergency and one warning-sign question left blank (not a stop mid-way): that sign is
    named, with what to do, as before; only a stop's mass of unasked signs is counted in one line."""
    from stm_screen.render.view import summary, view

    result = result_for(ruleset, bladder_bowel_change=True, chest_arm_pain_exertion=None)
    assert result.level == "emergency" and [f.id for f in result.red_flags_not_ruled_out] == ["heart_pain"]
    (block,) = [b for b in view(result).blocks if b.id == "not-ruled-out"]
    assert [i.text for i in block.items] == ["Chest, jaw, shoulder or arm pain that comes with effort"]
    assert not [i for i in summary(result).todo if "other warning sign" in i.text]


def test_the_crisis_message_reads_as_sentences_with_the_countrys_line(ruleset: Ruleset) -> None:
    """'talk to someone today: the Lifeline: call 988, or your doctor' read as one muddle of colons: the
    doctor and the crisis line are each named in a sentence of their own, in English and in Spanish."""
    message = next(rf for rf in ruleset.red_flags if rf.id == "self_harm").message
    mx = load_table().lookup("MX")
    en = fill(str(message.get("en")), mx, "en")
    es = fill(str(message.get("es")), mx, "es")
    assert "You can contact the Línea de la Vida: call 800 911 2000" in en and "Or tell your doctor" in en
    assert "Puede pedir ayuda a la Línea de la Vida: llame al 800 911 2000" in es
    assert "O cuéntele hoy estos pensamientos a su médico" in es
    assert "llame ahora al 911" in es and "a el" not in es


def test_crisis_text_is_short_direct_and_says_nobody_was_told(ruleset: Ruleset) -> None:
    for rid in ("self_harm", "self_harm_danger_now"):
        message = str(next(rf for rf in ruleset.red_flags if rf.id == rid).message)
        assert "{crisis}" in message and "{emergency}" in message
        assert "does not alert anyone" in message
        assert "physical therapy" not in message.lower()
    result = result_for(ruleset, self_harm_thoughts=True, self_harm_danger=False)
    text = render_plain(result)
    assert "not the right first step" not in text
    assert "physical therapy" not in text.split("Sources")[0].lower().replace("before physical therapy", "")


# --- readability -----------------------------------------------------------------------------------------


def test_reading_level_of_every_patient_text(ruleset: Ruleset) -> None:
    grades = []
    too_hard = []
    for where, text in patient_texts(ruleset):
        if len(text.split()) < 8:
            continue
        g = grade(text)
        grades.append(g)
        if g > 8.0:
            too_hard.append(f"{where}: grade {g:.1f}")
    assert not too_hard, "\n".join(too_hard)
    assert sum(grades) / len(grades) <= 6.5


def test_emergency_messages_are_at_most_60_words(ruleset: Ruleset) -> None:
    for rf in ruleset.red_flags:
        if rf.level == "emergency":
            words = len(fill(str(rf.message), DEFAULT).split())
            assert words <= 60, f"{rf.id}: {words} words"


# --- emergency numbers and crisis lines per country -------------------------------------------------------


def test_contacts_table_covers_the_countries_with_sources() -> None:
    table = load_table()
    assert set(table.countries) == {"US", "CA", "GB", "IE", "AU", "NZ", "ES", "MX", "DE", "FR", "IN"}
    for code, entry in table.countries.items():
        assert entry.emergency and entry.crisis, code
        assert entry.sources and all(s.url for s in entry.sources), code
    assert table.countries["US"].emergency == "911" and "988" in table.countries["US"].crisis
    assert table.countries["GB"].emergency.startswith("999") and "116 123" in table.countries["GB"].crisis
    assert "112" in table.default.emergency and "911" in table.default.emergency


@pytest.mark.parametrize(
    ("env", "country"),
    [
        ({"LANG": "en_GB.UTF-8"}, "GB"),
        ({"LC_ALL": "es_MX.UTF-8", "LANG": "en_US.UTF-8"}, "MX"),
        ({"LANG": "C.UTF-8"}, None),
        ({"LANG": "de_DE@euro"}, "DE"),
        ({}, None),
    ],
)
def test_country_from_locale(env: dict[str, str], country: str | None) -> None:
    assert country_from_locale(env) == country


def test_country_codes() -> None:
    assert normalise_country("uk") == "GB"
    assert normalise_country("Britain") is None
    assert contacts_for(None, {"LANG": "en_AU.UTF-8"})[0].emergency.startswith("000")
    entry, note = contacts_for("it")
    assert entry == load_table().default and "112 and 911" in note


def test_score_names_the_countrys_numbers(tmp_path: Path, ruleset: Ruleset) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({**calm(ruleset), "self_harm_thoughts": True, "self_harm_danger": False}))
    runner = CliRunner()
    gb = runner.invoke(app, ["score", str(path), "--country", "GB"])
    assert gb.exit_code == 0 and "116 123" in gb.stdout and "999" in gb.stdout
    us = runner.invoke(app, ["score", str(path), "--country", "us", "--format", "json"])
    assert "988" in json.loads(us.stdout)["red_flags"][0]["explanation"]
    default = runner.invoke(app, ["score", str(path)], env={"LANG": "C", "LC_ALL": "", "LC_MESSAGES": ""})
    assert "112 or 911" in " ".join(default.stdout.split())
    bad = runner.invoke(app, ["score", str(path), "--country", "England"])
    assert bad.exit_code == 2 and "two-letter" in bad.output


# --- the rules format features 2.0 relies on ---------------------------------------------------------------


def _tiny(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "t", "version": "1", "title": "T", "disclaimer": "A screening aid, not a diagnosis.",
        "sources": [{"id": "s", "citation": "S"}],
        "sections": [{"id": "safe", "title": "Safety", "safety": True}],
        "questions": [{"id": "flag", "type": "boolean", "text": "Flag?", "section": "safe"},
                      {"id": "n", "type": "integer", "text": "N?", "min": 0, "max": 10}],
        "red_flags": [{"id": "f", "when": "flag", "level": "see_doctor", "title": "F", "message": "Call {emergency}.",
                       "source": "s", "urgency": "today"}],
        "criteria": [{"id": "c", "when": "n >= 5", "title": "C", "explanation": "E", "source": "s"}],
        "scores": [{"id": "total", "title": "T", "criteria": "all"}],
        "levels": [{"id": "low", "title": "L", "advice": "A"}, {"id": "see_doctor", "title": "D", "advice": "A"}],
        "outcomes": [{"score": "total", "min": 0, "level": "low"}],
    }  # fmt: skip
    data.update(extra)
    return data


def test_a_ruleset_without_an_unchecked_block_still_never_passes_unknown_as_safe() -> None:
    from stm_screen.core.ruleset import compile_ruleset

    rs = compile_ruleset(_tiny())
    ev = Scorer(rs).evaluate({"n": 7})
    assert ev.level == "see_doctor" and ev.unchecked
    assert Scorer(rs).evaluate({"n": 7, "flag": False}).level == "low"
    assert Scorer(rs).evaluate({"n": 7, "flag": UNSURE}).unchecked


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"disclaimer": "Call {ambulance}."}, "unknown placeholder '{ambulance}'"),
        ({"unchecked": {"level": "low", "title": "U", "advice": "A"}}, "must be more urgent"),
        ({"unchecked": {"level": "nope", "title": "U", "advice": "A"}}, "unknown level 'nope'"),
    ],
)
def test_rules_errors_of_the_new_fields(extra: dict[str, Any], fragment: str) -> None:
    from stm_screen.core.ruleset import compile_ruleset

    with pytest.raises(RulesError) as exc:
        compile_ruleset(_tiny(**extra))
    assert fragment in str(exc.value)


def test_replaces_and_urgency_are_checked() -> None:
    from stm_screen.core.ruleset import compile_ruleset

    data = _tiny()
    data["red_flags"][0]["replaces"] = ["ghost"]
    with pytest.raises(RulesError, match="unknown red flag 'ghost'"):
        compile_ruleset(data)
    data["red_flags"][0]["replaces"] = []
    data["red_flags"][0]["urgency"] = "soon"
    with pytest.raises(RulesError, match="now, today, days, weeks"):
        compile_ruleset(data)


def test_outcome_conditions_see_answers_and_explain_themselves() -> None:
    from stm_screen.core.ruleset import compile_ruleset

    data = _tiny(
        outcomes=[
            {"when": "n >= 9", "level": "see_doctor", "explanation": "Very high.", "source": "s"},
            {"score": "total", "min": 0, "level": "low"},
        ]
    )
    rs = compile_ruleset(data)
    result = explain(rs, {"n": 9, "flag": False})
    assert result.level == "see_doctor" and result.reason is not None
    assert result.reason.explanation == "Very high." and result.reason.answers[0].question == "n"


def test_txt_report_wraps_the_result_once(ruleset: Ruleset) -> None:
    from datetime import UTC, datetime

    result = result_for(ruleset, self_harm_thoughts=True, self_harm_danger=False)
    text = render_report(result, "txt", ReportInfo(datetime(2026, 1, 1, tzinfo=UTC)))
    import textwrap

    lines = text.splitlines()
    assert all(len(line) <= 78 for line in lines)
    # wrapped once, as one paragraph at 78 columns (not cut again into one-word lines)
    assert textwrap.fill(result.advice, 78, break_on_hyphens=False) in text
    flat = " ".join(text.split())
    for f in result.red_flags:
        assert " ".join(f.explanation.split()) in flat


def test_a_resumed_emergency_still_offers_to_take_the_answer_back(ruleset: Ruleset) -> None:
    from collections.abc import Sequence

    from stm_screen.prompt.ask import Option
    from stm_screen.prompt.flow import Flow
    from stm_screen.prompt.questionnaire import MISTAKE, Questionnaire

    offered: list[list[str]] = []

    class Picks:
        plain = True

        def show(self, text: str, kind: str = "") -> None:
            pass

        def select(self, message: str, options: Sequence[Option], default: str | None = None) -> str:
            offered.append([o.key for o in options])
            return MISTAKE

    saved = check_answers(ruleset, {**calm(ruleset), "saddle_numbness": True})
    flow = Flow(ruleset, saved)
    assert flow.announced == {"cauda_equina_saddle"}
    q = Questionnaire(flow, Picks())  # type: ignore[arg-type]
    fired = [rf for rf in ruleset.red_flags if rf.id in flow.announced]
    q.emergency(fired, asked=q.answered_yes(fired))
    assert MISTAKE in offered[0]
    assert flow.current is not None and flow.current.id == "saddle_numbness"
    assert "saddle_numbness" not in flow.answers

    # a saved 'not sure' to the self-harm question is an emergency answer too (taken as yes): said again
    # at once on resuming, with the offer to take it back
    offered.clear()
    saved = check_answers(ruleset, {**calm(ruleset), "self_harm_thoughts": UNSURE})
    flow = Flow(ruleset, saved)
    assert flow.announced == {"self_harm"}
    assert flow.current is not None and flow.current.id == "self_harm_danger"  # its follow-up comes next
    q = Questionnaire(flow, Picks())  # type: ignore[arg-type]
    fired = [rf for rf in ruleset.red_flags if rf.id in flow.announced]
    q.emergency(fired, asked=q.answered_yes(fired))
    assert MISTAKE in offered[0]
    assert flow.current is not None and flow.current.id == "self_harm_thoughts"
    assert "self_harm_thoughts" not in flow.answers


def test_the_recap_after_the_offer_of_a_copy_says_what_to_do_and_how_soon(ruleset: Ruleset) -> None:
    """The lines said again after the offer of a copy (a small screen has scrolled the summary off): the
    headline, the soonest warning sign in full (what to do, how soon), and every emergency in full."""
    from stm_screen.render.text import recap_lines, wrap_lines

    fever = [t for _s, t in recap_lines(result_for(ruleset, fever_or_unwell=True, night_pain=True))]
    assert fever[0].endswith("Please see a doctor before physical therapy")
    assert "Fever or feeling very unwell" in fever[2] and "Contact a doctor today." in fever[3]
    assert "How soon: today" in fever[4] and "Constant night pain" not in " ".join(fever)
    assert fever[-2:] == [
        "The other steps are in your result above.",
        "It is a screening aid, not a diagnosis.",
    ]
    assert len(wrap_lines(fever, 56)) <= 12  # fits under the offer on a 60x20 terminal

    crisis = " ".join(
        t for _s, t in recap_lines(result_for(ruleset, self_harm_thoughts=True, bladder_bowel_change=UNSURE))
    )
    assert "does not alert anyone" in crisis and "If this fits you: Go to an emergency department now" in crisis


def test_warning_signs_are_listed_soonest_first_whether_they_fired_or_could_not_be_checked(ruleset: Ruleset) -> None:
    """A sign that could not be ruled out and needs a doctor today comes before one that fired and needs a
    doctor within days (a reviewer read 'within a few days' first and stopped there); in the details too,
    emergencies come before signs for the coming weeks (a 15-year-old's crisis advice came after 'under 16')."""
    from stm_screen.render.view import soonest_first, summary, view

    result = result_for(ruleset, pain_areas=["widespread"], dizziness_ongoing=False, infection_risk=True, fever_or_unwell=UNSURE)
    todo = summary(result).todo
    fever = next(i for i, item in enumerate(todo) if item.text.startswith("Could not be checked: A fever"))
    spine = next(i for i, item in enumerate(todo) if item.text.startswith("Back, neck or widespread pain"))
    assert fever < spine  # the emergency that could not be checked (now) before the fired sign (days)
    assert "How soon: within a few days" in todo[spine].lines

    young = result_for(ruleset, age_years=15, self_harm_thoughts=True, self_harm_danger=False)
    details = next(b for b in view(young).blocks if b.id == "red-flags")
    tags = [item.tag for item in details.items]
    assert tags[0] == "EMERGENCY" and tags == sorted(tags, key=lambda t: t != "EMERGENCY")
    assert [soonest_first(f) for f in sorted(young.red_flags, key=soonest_first)] == sorted(
        soonest_first(f) for f in young.red_flags
    )


def test_a_sign_that_could_not_be_checked_keeps_all_of_its_advice(ruleset: Ruleset) -> None:
    """'If this fits you' is followed by the sign's own advice in full (what to do at once if it gets worse,
    what must not be done meanwhile), then how soon: before, only 'see a doctor today' was kept."""
    from stm_screen.render.view import summary

    hot = result_for(ruleset, hot_swollen_joint=UNSURE)
    (item,) = [i for i in summary(hot).todo if i.text.startswith("Could not be checked: A joint")]
    assert item.detail.startswith("If this fits you: Contact a doctor today") and "Do not have it massaged" in item.detail
    assert item.lines == ("How soon: today",)
    text = " ".join(render_plain(hot).split())
    assert text.count("Do not have it massaged") == 2  # in the details and in the summary
    assert "If this fits you, see a doctor today." not in text


def test_a_questionnaire_score_for_a_doctor_is_in_the_summary(ruleset: Ruleset) -> None:
    """PHQ-4 with both screens positive: the summary, which stays on screen, says to talk to a doctor (as
    the details do); never under a warning sign, never as one."""
    from stm_screen.render.view import summary
    from stm_screen.screening import load_rules

    with_phq = load_rules(None, with_modules=["phq4"])
    answers = {**calm(with_phq), "phq4_1": "more_than_half", "phq4_2": "more_than_half", "phq4_3": "nearly_every_day", "phq4_4": "more_than_half"}
    result = explain(with_phq, check_answers(with_phq, answers))
    assert not result.warning
    talk = [i for i in summary(result).todo if i.tag == "TALK TO YOUR DOCTOR"]
    assert [i.text.split(":")[0] for i in talk] == ["GAD-2", "PHQ-2"]
    assert all("talk with your doctor is advised" in i.detail for i in talk)
    flagged = explain(with_phq, check_answers(with_phq, {**answers, "night_pain": True}))
    assert not [i for i in summary(flagged).todo if i.tag == "TALK TO YOUR DOCTOR"]


def test_a_mostly_blank_record_does_not_bury_the_sign_that_fired(ruleset: Ruleset) -> None:
    """A child's new pain that is getting worse, every safety question blank (a file, not a stop): the
    summary said 25 open signs in full, 11 [EMERGENCY] ones before the child's own 'today' sign. Now the
    sign that fired comes first and the unanswered signs are one counted line that says how many would be
    an emergency if they fit; the details still list each, and a sign answered 'Not sure' is said in full."""
    from stm_screen.core.explain import EMERGENCY
    from stm_screen.render.view import summary, view

    answers = {"age_years": 10, "pain_duration_months": 0.2, "pain_trend": "worse", "pain_areas": ["sports_overuse"]}
    result = explain(ruleset, check_answers(ruleset, answers))
    assert [f.id for f in result.red_flags] == ["child_new_pain_getting_worse"]
    open_ = result.red_flags_not_ruled_out
    urgent = sum(f.level == EMERGENCY for f in open_)
    assert len(open_) > 10 and urgent > 5
    todo = summary(result).todo
    assert todo[0].text == "New pain getting worse, under 16 years old"
    (counted,) = [i for i in todo if "warning signs were not answered" in i.text]
    assert counted.text.startswith(f"The questions about {len(open_)} warning signs were not answered")
    assert f"{urgent} of them need emergency help at once if they fit you." in counted.text
    assert "other warning signs" not in counted.text  # no emergency fired: not 'get help for it first'
    assert not [i for i in todo if i.text.startswith("Could not be checked")]
    (block,) = [b for b in view(result).blocks if b.id == "not-ruled-out"]
    assert len(block.items) == len(open_)  # the details still name each one

    # 'Not sure' about the saddle among the blanks: said in full, first (an emergency if it fits)
    unsure = summary(explain(ruleset, check_answers(ruleset, {**answers, "saddle_numbness": UNSURE})))
    assert unsure.todo[0].text.startswith("Could not be checked: New numbness around the genitals")
    assert unsure.todo[0].tag == "EMERGENCY"
    assert unsure.todo[1].text == "New pain getting worse, under 16 years old"

    # a grown-up's record with only the age and the duration: the headline is the unchecked one, the
    # counted line, then the next steps that say what to do with the list
    blank = explain(ruleset, check_answers(ruleset, {"age_years": 40, "pain_duration_months": 6}))
    steps = summary(blank).todo
    assert blank.unchecked and "warning signs were not answered" in steps[0].text
    assert [i.text for i in steps[1:]] == blank.next_steps


def test_a_few_unanswered_signs_are_still_each_said_in_the_summary(ruleset: Ruleset) -> None:
    """Up to three unanswered warning signs (a file with a column or two left blank) are each said in the
    summary with what to do if they fit, as before; only more are counted."""
    from stm_screen.render.view import FEW_UNASKED, summary

    result = result_for(ruleset, night_pain=None, calf_swelling=None, unexplained_weight_loss=None)
    assert 0 < len(result.red_flags_not_ruled_out) <= FEW_UNASKED
    said = [i for i in summary(result).todo if i.text.startswith("Could not be checked")]
    assert len(said) == len(result.red_flags_not_ruled_out)
    assert not [i for i in summary(result).todo if "were not answered" in i.text]


def test_the_counted_line_in_spanish(ruleset: Ruleset) -> None:
    from stm_screen.i18n import speaking
    from stm_screen.render.view import summary

    with speaking("es"):
        blank = explain(ruleset, check_answers(ruleset, {"age_years": 40, "pain_duration_months": 6}), lang="es")
        line = summary(blank).todo[0].text
    assert line.startswith("Las preguntas sobre ") and "señales de alarma no se contestaron" in line
    assert "necesitan ayuda urgente en seguida si le corresponden" in line


def test_help_and_messages_after_the_third_clinicians_read(ruleset: Ruleset) -> None:
    """What a clinician's read of 25 new cases changed in the text people read (pt-screen 2.4.1)."""
    by_q = ruleset.by_id
    flags = {rf.id: rf for rf in ruleset.red_flags}
    fever = by_q["fever_or_unwell"].help
    assert "38 °C" in fever.get("en") and "Hot flushes of the menopause" in fever.get("en")
    assert "38 °C" in fever.get("es") and "sofocos de la menopausia" in fever.get("es")
    bladder = by_q["bladder_bowel_change"].help
    assert "pregnant or after a birth" in bladder.get("en") and "embarazo" in bladder.get("es")
    cancer = str(flags["cancer_with_spine_pain"].message)
    assert "new weakness or numbness in an arm or leg that is getting worse" in cancer
    bone = str(flags["bone_stress"].message)
    assert "Stop running and jumping" in bone and "groin or hip" in bone
    limits = next(c for c in ruleset.criteria if c.id == "limits_activity")
    assert "long-lasting" not in str(limits.explanation)


def test_a_note_with_warnings_is_shown_beside_a_warning_sign(ruleset: Ruleset) -> None:
    """A note marked ``with_warnings`` (a recent injury, after an operation) is said under a warning sign
    too; the others only with a physical-therapy result."""
    from stm_screen.render.view import view

    ankle = result_for(ruleset, pain_duration_months=0.1, pain_areas=["sports_overuse"], bone_pain_impact=True)
    assert [f.id for f in ankle.red_flags] == ["bone_stress"]
    (notes,) = [b for b in view(ankle).blocks if b.id == "notes"]
    assert [i.text for i in notes.items] == ankle.warning_notes
    assert any("could not take four steps" in n for n in ankle.warning_notes)
    assert not any("Sports or overuse injury" in n for n in ankle.warning_notes)  # a note without the flag
    assert any("Sports or overuse injury" in n for n in ankle.notes)  # (it still holds)
    # pain of months: the injury note does not hold
    old = result_for(ruleset, pain_duration_months=6, pain_areas=["sports_overuse"], bone_pain_impact=True)
    assert not any("four steps" in n for n in old.notes + old.warning_notes)
    # with a physical-therapy result, it is one of the notes as before
    calm = result_for(ruleset, pain_duration_months=0.5, pain_areas=["sports_overuse"])
    assert not calm.warning and any("four steps" in n for n in calm.notes)
    assert json.loads(json.dumps(ankle.to_dict()))["warning_notes"] == ankle.warning_notes


def test_with_warnings_is_a_checked_note_field(tmp_path: Path) -> None:
    from stm_screen.rules.loader import load_ruleset

    base = Path(__file__).parent.parent / "rules" / "pt-screen.yaml"
    text = base.read_text(encoding="utf-8").replace("    with_warnings: true\n", "    with_warnings: maybe\n", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_ruleset(bad)
    assert "with_warnings" in str(err.value) and f"{bad}:" in str(err.value)


def test_not_sure_about_an_emergency_sign_says_what_to_do_when_one_cannot_tell(ruleset: Ruleset) -> None:
    """'Not sure' whether any stroke-like sign is new (a clinician's case: neck pain with long-standing
    dizziness): the open emergency said only what to do if it fits. Now it also says what to do when the
    person cannot tell (a doctor today), in the details and the summary; an emergency left blank (not
    answered) and a sign that is not an emergency keep their own lines."""
    from stm_screen.i18n import speaking
    from stm_screen.render.view import summary, view

    line = "If you cannot tell whether this fits you, contact a doctor today."
    result = result_for(ruleset, stroke_signs=UNSURE, night_pain=UNSURE)
    (block,) = [b for b in view(result).blocks if b.id == "not-ruled-out"]
    stroke = next(i for i in block.items if "dizziness" in i.text)
    assert stroke.tag == "EMERGENCY" and stroke.lines[-1] == line
    night = next(i for i in block.items if i.text.startswith("Constant night pain"))
    assert line not in night.lines and night.lines[-1].startswith("How soon:")
    said = next(i for i in summary(result).todo if "dizziness" in i.text)
    assert said.lines == (line,)
    blank = result_for(ruleset, stroke_signs=None)
    (block,) = [b for b in view(blank).blocks if b.id == "not-ruled-out"]
    assert all(line not in i.lines for i in block.items)
    with speaking("es"):
        es = explain(ruleset, check_answers(ruleset, {**calm(ruleset), "stroke_signs": UNSURE}), lang="es")
        (block,) = [b for b in view(es).blocks if b.id == "not-ruled-out"]
    assert block.items[0].lines[-1] == "Si no sabe decir si esto le corresponde, hable hoy con un médico."


def test_back_pain_that_began_at_50_or_over_is_noted_by_the_age_it_began_at(ruleset: Ruleset) -> None:
    """The note on back pain that starts at 50 or over went by the pain's duration alone (under 3 months): a
    79-year-old's first back pain of 4 months, getting worse, lost it (a clinician's case). It now goes by the
    age the pain began at, for pain under 3 months or getting worse."""
    marker = "starts at 50 or over"

    def noted(**changes: Any) -> bool:
        result = result_for(ruleset, pain_areas=["low_back"], **changes)
        return any(marker in n for n in result.notes)

    assert noted(age_years=79, pain_duration_months=4, pain_trend="worse")
    assert noted(age_years=55, pain_duration_months=1, pain_trend="same")
    assert not noted(age_years=79, pain_duration_months=4, pain_trend="same")  # lasting, not worse
    assert not noted(age_years=51, pain_duration_months=24, pain_trend="worse")  # began at 49
    assert not noted(age_years=45, pain_duration_months=1, pain_trend="worse")


def test_back_pain_getting_worse_with_a_risk_of_infection_is_checked_today(ruleset: Ruleset) -> None:
    """A clinician's case: back pain getting worse six weeks after a spinal operation was told 'within a few
    days'. Worsening pain with a risk of infection is now checked the same day; a fever still makes it an
    emergency, and pain that is not getting worse keeps 'within a few days'."""

    def signs(**changes: Any) -> tuple[str, str, set[str]]:
        result = result_for(ruleset, pain_areas=["low_back"], infection_risk=True, **changes)
        fired = {s.id for s in result.red_flags}
        return str(result.level), str(result.urgency or ""), fired

    level, urgency, fired = signs(pain_duration_months=1.5, pain_trend="worse")
    assert (level, urgency) == ("see_doctor", "today")
    assert fired == {"infection_risk_pain_getting_worse"}  # it replaces the 'within days' sign
    level, urgency, fired = signs(pain_duration_months=1.5, pain_trend="same")
    assert (level, urgency, fired) == ("see_doctor", "days", {"infection_risk_spine"})
    level, urgency, fired = signs(pain_duration_months=1.5, pain_trend="worse", fever_or_unwell=True)
    assert level == "emergency" and "infection_risk_pain_getting_worse" not in fired
    assert "fever_with_infection_risk" in fired
    # not asked about for pain in a tendon (the infection question is for the spine)
    result = result_for(ruleset, pain_areas=["tendon"], infection_risk=True, pain_trend="worse")
    assert "infection_risk_pain_getting_worse" not in {s.id for s in result.red_flags}
    text = render_plain(result_for(ruleset, pain_areas=["low_back"], infection_risk=True, pain_trend="worse"))
    assert "Contact a doctor today" in text


def test_a_recent_hard_blow_to_the_head_with_pain_since_goes_to_the_emergency_department(ruleset: Ruleset) -> None:
    """A clinician's case: a head knock in rugby, with a headache since, was told 'see a doctor today… a broken
    bone'. NICE NG232 sends a head injury with a headache that persists since the injury to an emergency
    department; after two weeks the injury signs that were there before apply."""

    def signs(**changes: Any) -> tuple[str, set[str]]:
        answers = {"pain_areas": ["head_jaw"], "dizziness_ongoing": False, "major_trauma": True}
        answers["blood_thinners"] = False
        result = result_for(ruleset, **{**answers, **changes})
        return str(result.level), {s.id for s in result.red_flags}

    assert signs(pain_duration_months=0.07) == ("emergency", {"head_injury_recent"})  # replaces the 'today' sign
    assert signs(pain_duration_months=0.75) == ("see_doctor", {"serious_injury_weeks_ago"})
    level, fired = signs(pain_duration_months=0.07, blood_thinners=True)
    assert level == "emergency" and "head_injury_on_blood_thinners" in fired  # the more specific advice
    assert "head_injury_recent" not in fired and "recent_serious_injury" not in fired
    # a hard blow to the back, not the head: the injury sign as before
    level, fired = signs(pain_areas=["low_back"], pain_duration_months=0.07)
    assert (level, fired) == ("see_doctor", {"recent_serious_injury"})
    text = render_plain(result_for(ruleset, pain_areas=["head_jaw"], dizziness_ongoing=False, major_trauma=True,
                                   blood_thinners=False, pain_duration_months=0.07))  # fmt: skip
    assert "Go to an emergency department now" in text and "broken bone" not in text


def test_a_hot_swollen_joint_after_an_injury_is_not_only_called_an_infection(ruleset: Ruleset) -> None:
    """A clinician's case: a hot knee after a skiing fall, no fever, was told only that it could be an infection;
    after a fall or twist it can be bleeding inside the joint, also checked today."""
    text = render_plain(result_for(ruleset, pain_areas=["sports_overuse"], hot_swollen_joint=True))
    assert "bleeding inside the joint" in " ".join(text.split())


def test_a_sore_spot_on_a_bone_after_a_recent_fall_or_twist_is_checked_today(ruleset: Ruleset) -> None:
    """A clinician's case: an ankle twisted 2 days ago, a bone sore on one spot, was told 'within a few days'
    (the sign for a stress crack). After an injury the Ottawa rules call for an X-ray: the same day. Without
    an injury, or weeks later, the stress-crack sign is as before."""

    def signs(**changes: Any) -> tuple[str, set[str]]:
        answers = {"pain_areas": ["sports_overuse"], "bone_pain_impact": True, "fracture_risk": False}
        answers["blood_thinners"] = False
        result = result_for(ruleset, **{**answers, **changes})
        return str(result.urgency), {s.id for s in result.red_flags}

    assert signs(minor_trauma=True, pain_duration_months=0.07) == ("today", {"injury_bone_tender"})
    assert signs(minor_trauma=False, pain_duration_months=0.07) == ("days", {"bone_stress"})
    assert signs(minor_trauma=True, pain_duration_months=2) == ("days", {"bone_stress"})


def test_what_a_clinicians_read_of_the_new_signs_changed(ruleset: Ruleset) -> None:
    """A clinician's read of the three new signs of 2.4.2 (24 cases): a small fall at 65 or over with a headache
    since is the emergency too, and a headache getting worse weeks later at that age; a sore spot on a bone
    after an injury is the same-day sign only for a limb, within about 10 days (the Ottawa rules' scope); the
    infection sign is for back or neck pain, and what it says holds for someone who answered 'not sure'."""

    def fired(**changes: Any) -> set[str]:
        return {s.id for s in result_for(ruleset, **changes).red_flags}

    head = {"pain_areas": ["head_jaw"], "jaw_scalp_headache": False, "fracture_risk": False}
    head["blood_thinners"] = False
    assert fired(**head, age_years=80, minor_trauma=True, pain_duration_months=0.07) == {"head_injury_recent"}
    assert "head_injury_recent" not in fired(**head, age_years=40, minor_trauma=True, pain_duration_months=0.07)
    late = fired(**head, age_years=80, minor_trauma=True, pain_duration_months=0.75, pain_trend="worse")
    assert late == {"head_injury_worse_over_65"}
    assert "head_injury_worse_over_65" not in fired(
        **head, age_years=80, minor_trauma=True, pain_duration_months=0.75, pain_trend="better"
    )
    bone = {"bone_pain_impact": True, "minor_trauma": True, "fracture_risk": False, "blood_thinners": False}
    assert fired(**bone, pain_areas=["low_back"], pain_duration_months=0.07) == {"bone_stress"}  # lifting
    assert fired(**bone, pain_areas=["sports_overuse"], pain_duration_months=0.5) == {"bone_stress"}
    assert "injury_bone_tender" in fired(**bone, pain_areas=["sports_overuse"], pain_duration_months=0.2)
    infection = {"infection_risk": True, "pain_trend": "worse", "pain_duration_months": 1}
    assert fired(**infection, pain_areas=["widespread"]) == {"infection_risk_spine"}
    result = result_for(ruleset, pain_areas=["low_back"], infection_risk=UNSURE, pain_trend="worse")
    assert "infection_risk_pain_getting_worse" in {s.id for s in result.red_flags_not_ruled_out}
    text = " ".join(render_plain(result).split())
    assert "should be checked the same day if you have a weak immune system" in text
