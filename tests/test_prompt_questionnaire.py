"""The questionnaire driven like a person through prompt_toolkit pipe input (questionary widgets)."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from stm_screen.cli import screen_cmd
from stm_screen.cli.errors import guard
from stm_screen.render.formats import RENDERERS
from stm_screen.screening import score_data
from tests._keys import BACKSPACE, CALM, CTRL_C, DOWN, ENTER, GATED_NO, UNSURE, applied, keys_for

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend stdin and stdout are a colour terminal (the pipe input stands in for the keyboard)."""
    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(screen_cmd, "stdout_is_terminal", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def _lines(out: str) -> str:
    """The output as read: without colour codes, each line without the spaces around it (an urgent line's
    band pads it)."""
    import re

    return "\n".join(line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", out).split("\n"))


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def drive(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    def run(keys: str, **options: Any) -> Run:
        code = 0
        with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
            inp.send_text(keys)
            inp.close()  # running out of keys is end of input, never a hang
            try:
                guard(screen_cmd.run)(screen_cmd.Options(**options))
            except SystemExit as exc:
                code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    yield run


def expected_json(ruleset: Any, answers: dict[str, Any], country: str | None = None) -> dict[str, Any]:
    """What the questionnaire's report holds for these answers (only those of questions asked count)."""
    from stm_screen.io.contacts import contacts_for

    contacts = contacts_for(country)[0]
    return json.loads(RENDERERS["json"](score_data(ruleset, applied(ruleset, answers), contacts=contacts)))


LEVEL_CASES = {
    "self_care": CALM,
    "pt_consider": {**CALM, **GATED_NO, "pain_duration_months": 3.5},
    "pt_recommended": {
        **CALM,
        "tightness_trigger_points": True,
        "recurrent_flare_ups": True,
        "fear_of_movement": True,
    },
    "see_doctor": {**CALM, **GATED_NO, "cancer_history": True, "pain_duration_months": 24},
}


@pytest.mark.parametrize("level", sorted(LEVEL_CASES))
def test_complete_path_to_each_level(drive: Any, ruleset: Any, tmp_path: Path, level: str) -> None:
    answers = LEVEL_CASES[level]
    report = tmp_path / "report.json"
    run = drive(keys_for(ruleset, answers), report=report)
    assert run.code == 0, run.err
    title = str(ruleset.level_by_id[level].title)
    assert title in run.out
    data = json.loads(report.read_text())
    assert data["level"] == level
    assert data == expected_json(ruleset, answers)
    assert "It is a screening aid, not a diagnosis." in run.out  # welcome
    assert "Safety check" in run.out  # safety section introduced, its title not repeated
    assert "(safety questions)" not in run.out
    assert list((tmp_path / "stm-home").glob("resume-*.json")) == []  # finished: no resume file left


def test_emergency_shown_at_once_then_stop(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    answers = {**CALM, "self_harm_thoughts": True, "self_harm_danger": False}
    keys = keys_for(ruleset, answers, until="self_harm_thoughts") + "1" + ENTER  # 1) stop here
    # the acuity question comes first (it can make this more urgent), then the result
    keys += keys_for(ruleset, answers, after="self_harm_thoughts", until="self_harm_danger")
    report = tmp_path / "r.json"
    run = drive(keys, report=report, country="US")
    assert run.code == 0, run.err
    assert "988" in run.out  # the crisis line, from the red flag's message
    # words, not colour alone; the sign on a line of its own (not "URGENT: Please read this now: <sign>")
    assert "URGENT: Please read this now.\nThoughts of being better off dead" in _lines(run.out)
    assert "Please read this now:" not in run.out
    assert "act on this now" not in run.out  # beside thoughts of self-harm it would read as 'act on them'
    told = run.out.index("One more question before your result:")
    assert told < run.out.index("Are you having these thoughts right now")
    assert "Pain in daily life" not in run.out  # stopped: the last section was never reached
    data = json.loads(report.read_text())
    assert data["level"] == "emergency" and data["red_flags_not_ruled_out"] == []
    assert [f["id"] for f in data["red_flags"]] == ["self_harm"]
    assert str(ruleset.level_by_id["emergency"].title) in run.out


def test_an_emergency_from_the_question_asked_before_the_result_does_not_offer_to_stop_again(
    drive: Any, ruleset: Any, tmp_path: Path
) -> None:
    """'Stop here' chosen after the self-harm advice: the acuity question comes first; answered yes, its own
    emergency is said and then the result, without asking a second time whether to stop."""
    answers = {**CALM, "self_harm_thoughts": True, "self_harm_danger": True}
    keys = keys_for(ruleset, answers, until="self_harm_thoughts") + "1" + ENTER  # 1) stop here
    keys += keys_for(ruleset, answers, after="self_harm_thoughts", until="self_harm_danger")  # yes
    report = tmp_path / "r.json"
    run = drive(keys, report=report, country="US")
    assert run.code == 0, run.err
    assert run.out.count("Please read this now.") == 2
    assert "You may not be safe from thoughts of self-harm" in run.out
    assert run.out.count("Stop here and show my result") == 1  # offered once, not again
    assert "Finish the remaining questions" not in run.out.split("You may not be safe from thoughts")[1]
    data = json.loads(report.read_text())
    assert data["level"] == "emergency" and data["urgency"] == "now"
    assert [f["id"] for f in data["red_flags"]] == ["self_harm_danger_now"]
    assert str(ruleset.level_by_id["emergency"].title) in run.out.split("You may not be safe from thoughts")[1]


def test_emergency_then_finish_the_questions(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    answers = {**CALM, "bladder_bowel_change": True}
    keys = keys_for(ruleset, answers, until="bladder_bowel_change") + "2" + ENTER  # 2) finish the questions
    keys += keys_for(ruleset, answers, after="bladder_bowel_change")
    report = tmp_path / "r.json"
    run = drive(keys, report=report)
    assert run.code == 0, run.err
    out = _lines(run.out)
    urgent = out.index("Please read this now.\nNew bladder or bowel problems")
    assert "Go to an emergency department now" in out[urgent:]
    assert urgent < out.index("Pain in daily life")  # said before any later question
    assert json.loads(report.read_text()) == expected_json(ruleset, answers)


def test_going_back_keeps_earlier_answers_as_defaults(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    back_in_checkbox = "<"  # Back is a key in the checkbox list, not a box to tick
    answers = {**CALM, **GATED_NO, "pain_duration_months": 30}
    keys = keys_for(ruleset, answers, until="pregnant")
    keys += "24" + ENTER + back_in_checkbox  # months, then back from the areas question
    keys += BACKSPACE * 2 + "30" + ENTER  # months again: the default 24 is replaced by 30
    keys += keys_for(ruleset, answers, after="pain_duration_months", until="pain_areas")
    keys += "<"  # back from the trend question (the "<" key chooses "Back" at once)
    keys += ENTER  # areas again: Enter keeps the ticked default
    keys += "2" + ENTER  # trend: the same
    keys += "<" + ENTER  # back from the intensity question (a typed "<")
    keys += ENTER  # trend again: Enter keeps the earlier answer
    keys += keys_for(ruleset, answers, after="pain_trend")
    report = tmp_path / "r.json"
    run = drive(keys, report=report)
    assert run.code == 0, run.err
    data = json.loads(report.read_text())
    assert data["answers"]["pain_duration_months"] == 30
    assert data["answers"]["pain_areas"] == ["low_back"]
    assert data == expected_json(ruleset, answers)


def test_review_and_change_an_answer(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    keys = keys_for(ruleset, CALM, review=False)
    keys += DOWN * 3 + ENTER  # review: the third answer (age, pregnant, months)
    keys += BACKSPACE * 3 + "9" + ENTER  # change 1 -> 9
    keys += "2" + ENTER  # 9 months of back pain begun at 34: the morning stiffness question now applies
    keys += ENTER  # review again: show my result
    report = tmp_path / "r.json"
    run = drive(keys, report=report)
    assert run.code == 0, run.err
    assert run.out.count("Please check your answers") == 2
    changed = {**CALM, "pain_duration_months": 9, "morning_stiffness": False}
    data = json.loads(report.read_text())
    assert data["level"] == "pt_consider"
    assert data == expected_json(ruleset, changed)


def test_invalid_entry_is_asked_again(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    keys = "abc" + ENTER + BACKSPACE * 3 + "999" + ENTER + BACKSPACE * 3 + "4.5" + ENTER  # age: whole years
    keys += BACKSPACE * 3 + ENTER  # required: Enter alone is refused
    keys += "35" + ENTER
    keys += "2" + ENTER  # not pregnant
    keys += "abc" + ENTER + BACKSPACE * 3 + "999" + ENTER + BACKSPACE * 3 + "2" + ENTER  # months
    keys += keys_for(ruleset, {**CALM, "pain_duration_months": 2}, after="pain_duration_months")
    report = tmp_path / "r.json"
    run = drive(keys, report=report)
    assert run.code == 0, run.err
    answers = json.loads(report.read_text())["answers"]
    assert answers["age_years"] == 35 and answers["pain_duration_months"] == 2


def test_help_is_available_for_typed_and_chosen_answers(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    answers = {**CALM, **GATED_NO, "pain_areas": ["neck_shoulder"], "pain_intensity": 5}
    keys = "?" + ENTER  # help on the age question
    keys += keys_for(ruleset, answers, until="pain_duration_months")
    keys += "?"  # help on the checkbox question: a key, not a box to tick
    keys += keys_for(ruleset, answers, after="pain_duration_months", until="pain_areas")
    keys += "?"  # help on a choice question (the ? key)
    keys += keys_for(ruleset, answers, after="pain_areas", until="pain_intensity")
    keys += "4" + ENTER  # 4) help on the first safety question: Yes, No, Not sure, Help
    keys += "2" + ENTER  # no
    keys += ENTER  # the next safety question: the pointer starts on Help, so Enter shows its help
    keys += keys_for(ruleset, answers, after="bladder_bowel_change")
    report = tmp_path / "r.json"
    run = drive(keys, report=report)
    assert run.code == 0, run.err
    for qid in ("age_years", "pain_areas", "bladder_bowel_change", "saddle_numbness"):
        assert " ".join(str(ruleset.by_id[qid].help).split()[:6]) in run.out, qid
    assert "Answer as best you can" in run.out  # the trend question has no help text of its own
    assert json.loads(report.read_text()) == expected_json(ruleset, answers)


def test_skip_logic_with_a_small_ruleset(drive: Any, tmp_path: Path) -> None:
    from stm_screen.screening import load_rules

    rules = str(DATA / "skip-rules.yaml")
    rs = load_rules(rules)
    # has_pain no -> pain_months and sport are never asked: the next keys answer 'urgent'
    report = tmp_path / "a.json"
    run = drive("2" + ENTER + "2" + ENTER + ENTER, rules=rules, report=report)
    assert run.code == 0, run.err
    data = json.loads(report.read_text())
    assert data["answers"] == {"has_pain": False, "urgent": False}
    assert data["skipped"] == ["pain_months", "sport"]
    # has_pain yes, 1 month -> sport skipped; 5 months -> sport asked
    report = tmp_path / "b.json"
    run = drive("1" + ENTER + "1" + ENTER + "2" + ENTER + ENTER, rules=rules, report=report)
    assert json.loads(report.read_text())["answers"] == {"has_pain": True, "pain_months": 1, "urgent": False}
    report = tmp_path / "c.json"
    run = drive("1" + ENTER + "5" + ENTER + "2" + ENTER + "2" + ENTER + ENTER, rules=rules, report=report)
    data = json.loads(report.read_text())
    assert data["answers"] == {"has_pain": True, "pain_months": 5, "sport": "running", "urgent": False}
    assert data == expected_json(rs, data["answers"])


def test_ctrl_c_saves_then_resume_finishes_with_the_same_result(
    drive: Any, ruleset: Any, tmp_path: Path
) -> None:
    answers = {
        **CALM,
        **GATED_NO,
        "pain_duration_months": 8,
        "fear_of_movement": True,
        "activity_limitation": 6,
    }
    run = drive(keys_for(ruleset, answers, until="pain_intensity") + CTRL_C)
    assert run.code == 130
    assert "stm-screen screen --resume" in run.err
    assert "6 answers are saved" in run.err
    saved = list((tmp_path / "stm-home").glob("resume-*.json"))
    assert len(saved) == 1
    assert stat.S_IMODE(saved[0].stat().st_mode) == 0o600
    assert json.loads(saved[0].read_text())["answers"] == {
        "age_years": 35,
        "pregnant": False,
        "pain_duration_months": 8,
        "pain_areas": ["low_back"],
        "pain_trend": "same",
        "pain_intensity": 3,
    }
    report = tmp_path / "r.json"
    run = drive(keys_for(ruleset, answers, after="pain_intensity"), resume=True, report=report)
    assert run.code == 0, run.err
    assert "Welcome back: 6 answers restored." in run.out
    assert json.loads(report.read_text()) == expected_json(ruleset, answers)
    assert not saved[0].exists()  # finished: its resume file is gone


def test_end_of_input_saves_answers(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    run = drive("35" + ENTER + "2" + ENTER + "12" + ENTER)  # then the keyboard input ends
    assert run.code == 130
    saved = list((tmp_path / "stm-home").glob("resume-*.json"))
    assert [json.loads(p.read_text())["answers"] for p in saved] == [
        {"age_years": 35, "pregnant": False, "pain_duration_months": 12}
    ]


def test_ctrl_c_before_any_answer_saves_nothing(drive: Any, tmp_path: Path) -> None:
    run = drive(CTRL_C)
    assert run.code == 130
    assert "nothing was saved" in run.err
    assert list((tmp_path / "stm-home").glob("resume-*.json")) == []


def test_next_patient_clears_screen_and_scrollback(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    keys = (
        keys_for(ruleset, CALM) + "B22" + ENTER + keys_for(ruleset, LEVEL_CASES["see_doctor"]) + "q" + ENTER
    )
    report = tmp_path / "p.json"
    run = drive(keys, next_patient=True, patient="A11", report=report)
    assert run.code == 0, run.err
    assert run.out.count(screen_cmd.CLEAR) == 2
    first, second, _ = run.out.split(screen_cmd.CLEAR)
    assert "Patient reference: A11" in first and str(ruleset.level_by_id["self_care"].title) in first
    assert "Patient reference: B22" in second and "A11" not in second
    assert json.loads(report.read_text())["level"] == "self_care"
    assert json.loads((tmp_path / "p-2.json").read_text())["level"] == "see_doctor"


def test_a_short_next_reference_is_confirmed_by_typing_it_again(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    """A stray key at the next patient's prompt does not start a record under that key: a reference of one
    or two characters is used only once typed twice; another reference typed instead is used as usual."""
    keys = (
        keys_for(ruleset, CALM) + "3" + ENTER + "3" + ENTER + keys_for(ruleset, CALM)
        + "7" + ENTER + "B22" + ENTER + keys_for(ruleset, CALM) + "q" + ENTER
    )
    run = drive(keys, next_patient=True, patient="A11")
    assert run.code == 0, run.err
    first, second, third, _ = run.out.split(screen_cmd.CLEAR)
    assert first.count("That reference is very short") == 1
    assert "Patient reference: 3" in second and "Patient reference: 3" not in first
    assert "very short" in second and "Patient reference: B22" in third and "Patient reference: 7" not in third


def _flat(text: str) -> str:
    """Screen text without colours and with its lines joined (a message wraps at the terminal's width)."""
    import re

    return " ".join(re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text).split())


def test_enter_alone_after_a_labelled_patient_is_confirmed(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    """Enter alone (the habit of the unlabelled prompt) after a patient with a reference asks first; Enter
    again goes on without one."""
    keys = keys_for(ruleset, CALM) + ENTER + ENTER + keys_for(ruleset, CALM) + "q" + ENTER
    run = drive(keys, next_patient=True, patient="A11")
    assert run.code == 0, run.err
    first, second, _ = map(_flat, run.out.split(screen_cmd.CLEAR))
    assert "No reference was typed, though the patient before had one." in first
    assert "Patient reference:" not in second


def test_a_stray_key_without_references_does_not_start_the_next_patient(drive: Any, ruleset: Any) -> None:
    keys = keys_for(ruleset, CALM) + "w" + ENTER + BACKSPACE + ENTER + keys_for(ruleset, CALM) + "q" + ENTER
    run = drive(keys, next_patient=True)
    assert run.code == 0, run.err
    first, second, _ = map(_flat, run.out.split(screen_cmd.CLEAR))
    assert "press Enter with nothing typed for the next patient, or type q to finish." in first
    assert "Finished: 2 screenings done in this session" in run.out


def test_the_last_patients_reference_again_is_confirmed(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    keys = keys_for(ruleset, CALM) + "a11" + ENTER + "A11" + ENTER + "B22" + ENTER + keys_for(ruleset, CALM) + "q" + ENTER
    run = drive(keys, next_patient=True, patient="A11")
    assert run.code == 0, run.err
    first, second, _ = run.out.split(screen_cmd.CLEAR)
    assert "That is the reference of the patient just screened." in first
    assert "Patient reference: B22" in second  # a different reference typed instead of the same again


def test_a_stray_enter_on_a_number_question_is_asked_about_not_taken_as_a_skip(
    drive: Any, ruleset: Any, tmp_path: Path
) -> None:
    """Enter with nothing typed at an optional 0-10 question asks whether to skip it ("No, answer it" is
    the default): a stray Enter does not leave a reason for physical therapy unanswered without a word.
    Choosing to skip leaves it unanswered, said as skipped."""
    answers = {**CALM, "pain_intensity": 5}
    before = keys_for(ruleset, answers, until="pain_trend")
    after = keys_for(ruleset, answers, after="pain_intensity")
    report = tmp_path / "r.json"
    run = drive(before + ENTER + ENTER + "5" + ENTER + after, report=report)  # Enter, then 'No, answer it'
    assert run.code == 0, run.err
    # the question is named (its text without the scale in brackets)
    said = " ".join(_lines(run.out).split())
    assert 'Nothing was typed for "Over the past week, how bad has the pain been on average?". Skip this' in said
    assert json.loads(report.read_text())["answers"]["pain_intensity"] == 5
    report.unlink()
    run = drive(before + ENTER + DOWN + ENTER + after, report=report)  # Enter, then 'Yes, skip it'
    assert run.code == 0, run.err
    assert "pain_intensity" not in json.loads(report.read_text())["answers"]
    report.unlink()
    run = drive(before + ENTER + "<" + "4" + ENTER + after, report=report)  # Enter, then '<': the question
    assert run.code == 0, run.err
    assert json.loads(report.read_text())["answers"]["pain_intensity"] == 4
    report.unlink()
    run = drive(before + ENTER + ENTER + "5" + ENTER + after, report=report, lang="es")
    assert run.code == 0, run.err
    said = " ".join(_lines(run.out).split())
    assert 'No escribió nada para la pregunta "En la última semana, en general, ¿cuánto le ha dolido?".' in said


def test_a_question_named_in_the_skip_question_is_cut_at_a_word() -> None:
    from stm_screen.prompt.questionnaire import _skip_name

    class Q:
        text = "How much does the pain stop you from doing the things you would normally do at home or at work"

    name = _skip_name(Q())  # type: ignore[arg-type]
    assert name == "How much does the pain stop you from doing the things you would…"
    Q.text = "Pain today? (0 = none, 10 = worst)"
    assert _skip_name(Q()) == "Pain today?"  # type: ignore[arg-type]


def test_a_dumb_terminal_is_not_sent_clear_codes_and_staff_are_told(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """TERM=dumb (an editor's shell) prints escape codes as text and clears nothing: none are sent, and a
    --next session says at the start that each result stays on the screen (real terminal, plain mode)."""
    monkeypatch.setenv("TERM", "dumb")
    screen_cmd._clear()
    assert screen_cmd.CLEAR not in capsys.readouterr().out
    import pexpect

    from tests.test_e2e_pty import spawn

    child = spawn(["screen", "--next", "--plain"], tmp_path / "home", TERM="dumb")
    child.expect("this terminal cannot be")
    child.expect("cleared")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()


def test_a_new_screening_offers_the_stopped_one(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    assert drive("35" + ENTER + CTRL_C).code == 130
    report = tmp_path / "r.json"
    run = drive(ENTER + keys_for(ruleset, {**CALM, "age_years": 35}, after="age_years"), report=report)
    assert run.code == 0, run.err
    assert "You have an unfinished screening from" in run.out and "(1 answer). Continue it?" in run.out
    assert "Welcome back: 1 answer restored." in run.out
    assert json.loads(report.read_text())["answers"]["age_years"] == 35
    assert list((tmp_path / "stm-home").glob("resume-*.json")) == []  # finished


def test_starting_again_instead_deletes_the_stopped_answers(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    assert drive("35" + ENTER + CTRL_C).code == 130
    run = drive(DOWN + ENTER + "44" + ENTER + CTRL_C)  # "No, start again", then a new first answer
    assert run.code == 130
    (saved,) = (tmp_path / "stm-home").glob("resume-*.json")
    assert json.loads(saved.read_text())["answers"] == {"age_years": 44}


def test_enter_with_nothing_ticked_asks_before_taking_none(drive: Any, tmp_path: Path) -> None:
    rules = str(DATA / "minimal.yaml")
    report = tmp_path / "r.json"
    keys = "5" + ENTER + "2" + ENTER  # months, not stiff
    keys += ENTER  # nothing ticked: asked whether none applies
    keys += "2" + ENTER  # 2) Go back to the list
    keys += " " + ENTER  # back at the list: tick Back, Enter
    keys += "2" + ENTER + ENTER  # no fever, then the result
    run = drive(keys, rules=rules, report=report)
    assert run.code == 0, run.err
    assert "Nothing is ticked. Does none of these apply to you?" in run.out
    assert json.loads(report.read_text())["answers"]["areas"] == ["back"]
    report = tmp_path / "s.json"
    keys = "5" + ENTER + "2" + ENTER + ENTER + "1" + ENTER + "2" + ENTER + ENTER  # none of these applies
    run = drive(keys, rules=rules, report=report)
    assert run.code == 0, run.err
    assert json.loads(report.read_text())["answers"]["areas"] == []
    assert "none of these" in run.out  # said back, as any answer is


def test_ticks_made_before_asking_for_help_are_kept(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    areas = ruleset.by_id["pain_areas"]
    answers = {**CALM, **GATED_NO, "pain_duration_months": 8, "pain_areas": ["low_back", "mid_back"]}
    keys = keys_for(ruleset, answers, until="pain_duration_months")
    keys += " " + DOWN + " "  # tick low_back and mid_back
    keys += "?"  # help at once (a key: Help is not a box)
    keys += ENTER  # the question again, with both ticks still there: accept them
    keys += keys_for(ruleset, answers, after="pain_areas")
    report = tmp_path / "a.json"
    run = drive(keys, report=report)
    assert run.code == 0, run.err
    assert " ".join(str(areas.help).split()[:6]) in run.out
    assert json.loads(report.read_text())["answers"]["pain_areas"] == ["low_back", "mid_back"]


def test_not_sure_is_recorded_and_means_see_a_doctor(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    answers = {**CALM, "night_pain": UNSURE}
    report = tmp_path / "r.json"
    run = drive(keys_for(ruleset, answers), report=report)  # 3) Not sure
    assert run.code == 0, run.err
    data = json.loads(report.read_text())
    assert data["answers"]["night_pain"] == "unsure"
    assert data["level"] == "see_doctor" and data["red_flags"] == []
    assert data["title"] == "Some warning signs could not be checked"
    assert [f["id"] for f in data["red_flags_not_ruled_out"]] == ["constant_night_pain"]
    assert "Some warning signs could not be checked" in run.out
    assert data == expected_json(ruleset, answers)


def test_an_emergency_answer_given_by_mistake_goes_back_to_the_question(
    drive: Any, ruleset: Any, tmp_path: Path
) -> None:
    keys = keys_for(ruleset, CALM, until="bladder_bowel_change").removesuffix("2" + ENTER) + "1" + ENTER
    keys += "3" + ENTER  # 3) I gave that answer by mistake
    keys += "1" + ENTER  # asked again: yes again
    keys += "1" + ENTER  # announced again: stop here
    report = tmp_path / "r.json"
    run = drive(keys, report=report)
    assert run.code == 0, run.err
    assert _lines(run.out).count("Please read this now.\nNew bladder or bowel problems") == 2
    assert json.loads(report.read_text())["level"] == "emergency"

    keys = keys_for(ruleset, CALM, until="bladder_bowel_change").removesuffix("2" + ENTER) + "1" + ENTER
    keys += "3" + ENTER  # by mistake
    keys += "2" + ENTER  # asked again: no, and on to the next question
    keys += keys_for(ruleset, CALM, after="bladder_bowel_change")
    report = tmp_path / "r2.json"
    run = drive(keys, report=report)
    assert run.code == 0, run.err
    assert run.out.count("Please read this now") == 1
    data = json.loads(report.read_text())
    assert data["answers"]["bladder_bowel_change"] is False
    assert data == expected_json(ruleset, CALM)


def test_a_not_sure_parent_hides_its_follow_up(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    answers = {**CALM, "progressive_weakness": UNSURE, "weakness_fast": False}
    keys = keys_for(ruleset, answers)  # weakness_fast is not asked: the next keys answer the next question
    assert keys.count(ENTER) == keys_for(ruleset, CALM).count(ENTER)
    report = tmp_path / "r.json"
    run = drive(keys, report=report)
    assert run.code == 0, run.err
    data = json.loads(report.read_text())
    assert "weakness_fast" not in data["answers"] and data["answers"]["progressive_weakness"] == "unsure"
    assert "weakness_fast" in data["skipped"]
    assert data["level"] == "see_doctor" and data["red_flags"] == []
    assert "weakness_getting_worse" in [f["id"] for f in data["red_flags_not_ruled_out"]]
    assert "Please read this now" not in run.out  # not sure is not an emergency answer here
    assert data == expected_json(ruleset, answers)


def test_not_sure_about_self_harm_is_acted_on_at_once_and_asks_about_danger(
    drive: Any, ruleset: Any, tmp_path: Path
) -> None:
    """The ASQ counts an unclear answer as a positive screen (unsure_means_yes): 'Not sure' shows the crisis
    advice at once, then the danger question is asked; the answer stays 'not sure' in the report (the review
    screen: tests/test_prompt_flow.py)."""
    answers = {**CALM, "self_harm_thoughts": UNSURE, "self_harm_danger": False}
    keys = keys_for(ruleset, answers, until="self_harm_thoughts") + "2" + ENTER  # 2) finish the questions
    keys += keys_for(ruleset, answers, after="self_harm_thoughts")  # the danger question first
    assert keys.count(ENTER) == keys_for(ruleset, CALM).count(ENTER) + 2
    report = tmp_path / "r.json"
    run = drive(keys, report=report, country="US")
    assert run.code == 0, run.err
    out = _lines(run.out)
    urgent = out.index("Please read this now.\nThoughts of being better off dead")
    assert "988" in out[urgent:] and "even if you are not sure" in out[urgent:]
    assert urgent < out.index("Are you having these thoughts right now")
    data = json.loads(report.read_text())
    assert data["answers"]["self_harm_thoughts"] == "unsure" and data["answers"]["self_harm_danger"] is False
    assert data["unsure"] == ["self_harm_thoughts"] and "self_harm_danger" not in data["skipped"]
    assert data["level"] == "emergency" and [f["id"] for f in data["red_flags"]] == ["self_harm"]
    assert data["red_flags_not_ruled_out"] == []
    assert data == expected_json(ruleset, answers, country="US")


def test_not_sure_about_self_harm_then_danger_is_an_emergency_now(drive: Any, ruleset: Any, tmp_path: Path) -> None:
    answers = {**CALM, "self_harm_thoughts": UNSURE, "self_harm_danger": True}
    keys = keys_for(ruleset, answers, until="self_harm_thoughts") + "2" + ENTER  # finish the questions
    keys += keys_for(ruleset, answers, after="self_harm_thoughts", until="self_harm_danger")
    keys += "1" + ENTER  # the second emergency: stop here
    report = tmp_path / "r.json"
    run = drive(keys, report=report, country="US")
    assert run.code == 0, run.err
    assert run.out.count("Please read this now") == 2
    assert "Please read this now.\nYou may not be safe from thoughts of self-harm" in _lines(run.out)
    data = json.loads(report.read_text())
    assert data["level"] == "emergency" and data["urgency"] == "now"
    assert [f["id"] for f in data["red_flags"]] == ["self_harm_danger_now"]
    assert data["answers"]["self_harm_thoughts"] == "unsure"


@pytest.mark.parametrize(
    ("lang", "title", "safety", "shown"),
    [
        ("en", "Safety check", True, "Safety check"),
        ("en", "SAFETY FIRST", True, "SAFETY FIRST"),
        ("en", "Warning signs", True, "Warning signs (safety questions)"),
        ("en", "About your pain", False, "About your pain"),
        ("es", "Revisión de seguridad", True, "Revisión de seguridad"),
        ("es", "Señales de alarma", True, "Señales de alarma (preguntas de seguridad)"),
    ],
)
def test_a_safety_title_is_not_said_twice(lang: str, title: str, safety: bool, shown: str) -> None:
    from stm_screen.i18n import speaking
    from stm_screen.prompt.questionnaire import _section_title

    with speaking(lang):
        assert _section_title(title, safety) == shown


@pytest.mark.parametrize(
    ("typed", "default", "read"),
    [("4<", "4", "<"), ("4 <<", "4", "<"), ("12?", "12", "?"), ("4<12", "4", "4<12"), ("<", "", "<"), ("45", "4", "45")],
)
def test_a_command_typed_after_the_earlier_answer_is_the_command(typed: str, default: str, read: str) -> None:
    """Going back to a number question shows the earlier answer in the box; '<' or '?' typed after it is
    the command (not "'4<' is not a number"); anything else is checked as typed."""
    from stm_screen.prompt.ask import _command_after

    assert _command_after(typed, default) == read
