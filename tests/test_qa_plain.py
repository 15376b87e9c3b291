"""QA: plain mode read like a person types."""

from __future__ import annotations

import io
from typing import Any

import pytest

from stm_screen.prompt.ask import Option, PlainPrompter
from stm_screen.prompt.questionnaire import BACK, HELP

AREAS = [
    Option("low_back", "Lower back"),
    Option("neck_shoulder", "Neck or shoulder"),
    Option("head_jaw", "Headaches or jaw (TMJ)"),
    HELP,
    BACK,
]


def multi(line: str) -> frozenset[str]:
    lines = iter([line])
    prompter = PlainPrompter(io.StringIO(), lambda prompt: next(lines))
    return prompter.multi("Where is the pain?", AREAS, frozenset())


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Lower back", {"low_back"}),
        ("lower back, neck or shoulder", {"low_back", "neck_shoulder"}),
        ("1 3", {"low_back", "head_jaw"}),
        ("1,3", {"low_back", "head_jaw"}),
        ("Lower", {"low_back"}),
    ],
)
def test_choices_can_be_typed_by_their_label(line: str, expected: set[str]) -> None:
    assert multi(line) == frozenset(expected)


TREND = [Option("better", "Está mejorando"), Option("same", "Sigue más o menos igual"), Option("worse", "Está empeorando")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [("igual", "same"), ("Igual", "same"), ("más o menos igual", "same"), ("empeorando", "worse"), ("o", None)],
)
def test_a_choice_can_be_typed_as_a_word_of_its_label(line: str, expected: str | None) -> None:
    """A tired patient types the word they read ('igual'), not its number: one label holds it, so it is chosen;
    a short word ('o') or one in several labels is not."""
    assert (PlainPrompter(io.StringIO())._match(line, TREND, []) or Option("", "")).key == (expected or "")


def test_a_word_of_not_sure_never_answers_a_yes_no_question() -> None:
    """'sure' means yes to many people: on a yes/no question it is not taken as 'Not sure' (nor as anything)."""
    from stm_screen.prompt.questionnaire import NOT_SURE, YES_NO, shown

    options = [shown(o, "en") for o in [*YES_NO, NOT_SURE]]
    assert PlainPrompter(io.StringIO())._match("sure", options, []) is None


def _broken_save(*args: object, **kwargs: object) -> None:
    from stm_screen.errors import InputFileError

    raise InputFileError("/gone/resume.json: the folder /gone does not exist")


def test_a_failed_autosave_does_not_end_the_screening(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from stm_screen.cli import screen_cmd
    from stm_screen.cli.app import app
    from stm_screen.prompt import resume
    from stm_screen.rules.loader import load_ruleset
    from tests._keys import CALM, plain_lines

    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(resume, "save", _broken_save)
    ruleset = load_ruleset()
    lines = plain_lines(ruleset, CALM)
    result = CliRunner().invoke(app, ["screen", "--plain"], input="\n".join([*lines, "", ""]))
    assert result.exit_code == 0, result.stderr
    assert str(ruleset.level_by_id["self_care"].title) in result.stdout
    assert result.stdout.count("could not be saved") == 1  # said once, not after every answer


def test_a_failed_save_on_stopping_still_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from stm_screen.cli import screen_cmd
    from stm_screen.cli.app import app
    from stm_screen.prompt import resume

    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(resume, "save", _broken_save)
    result = CliRunner().invoke(app, ["screen", "--plain"], input="5\n")
    assert result.exit_code == 130, result.stderr
    assert "could not be saved" in result.stderr
    assert "--resume" not in result.stderr


def test_a_decimal_comma_gets_a_helpful_message(ruleset: object) -> None:
    from stm_screen.prompt.questionnaire import Questionnaire

    q = ruleset.by_id["pain_duration_months"]  # type: ignore[attr-defined]
    problem = Questionnaire._check_text(q, "3,5")
    assert problem is not None and "3.5" in problem


def test_pasted_lines_in_one_answer_get_a_clear_message(ruleset: object) -> None:
    from stm_screen.prompt.questionnaire import Questionnaire

    q = ruleset.by_id["pain_duration_months"]  # type: ignore[attr-defined]
    problem = Questionnaire._check_text(q, "7\n1\n5")
    assert problem is not None and "\n" not in problem and "one line" in problem


def test_plain_choices_wrap_to_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    out = io.StringIO()
    long = Option("q", "Since the pain started, have you had new trouble passing urine? - no")
    PlainPrompter(out, lambda prompt: "1").select("Check", [long, Option("r2", "Short")])
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 40 for line in lines), lines
    assert "  1) Since the pain started, have you" in lines
    assert any(line.startswith("     had new trouble") for line in lines)  # hanging indent under the text


def test_the_result_follows_a_narrow_terminal_even_with_term_dumb(monkeypatch: pytest.MonkeyPatch) -> None:
    from stm_screen.cli import screen_cmd

    monkeypatch.setattr(screen_cmd, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("TERM", "dumb")  # rich assumes 80 columns for a dumb terminal
    monkeypatch.setenv("COLUMNS", "40")
    assert screen_cmd._result_width() == 40


def test_the_rich_panel_keeps_the_hanging_indent_of_explanations() -> None:
    import json

    from rich.console import Console

    from stm_screen.render.text import print_result
    from stm_screen.rules.loader import load_ruleset
    from stm_screen.screening import score_data
    from tests._keys import CALM

    result = score_data(load_ruleset(), json.loads(json.dumps({**CALM, "tightness_trigger_points": True})))
    out = io.StringIO()
    print_result(result, Console(file=out, width=80, color_system=None, force_terminal=True))
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "Tight muscles or sore knots" in line)
    explanation = [line.strip("│").rstrip() for line in lines[start + 1 : start + 3]]
    assert all(line.startswith("    ") and line[4] != " " for line in explanation), explanation


def test_typing_a_character_an_ascii_console_cannot_read_is_asked_again(tmp_path: object) -> None:
    import pexpect

    from tests.test_e2e_pty import spawn

    child = spawn(["screen", "--plain"], tmp_path / "home", PYTHONIOENCODING="ascii")  # type: ignore[operator]
    child.expect("Your answer: ")
    child.sendline("35")  # age
    child.expect("Type 1 or 2: ")
    child.sendline("no")  # not pregnant
    child.expect("Your answer: ")
    child.sendline("7")
    child.expect(r"like 1,3: ")  # (pain areas: required, so no "0 for none")
    child.sendline("Lower back é")
    child.expect(r"please type numbers")  # asked again, no crash
    child.expect(r"like 1,3: ")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


# --- safety questions in plain mode: Not sure, no default, answers given by mistake -----------------------


def _plain(lines: list[str], *args: str) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from stm_screen.cli.app import app

    result = CliRunner().invoke(app, ["screen", "--plain", *args], input="\n".join([*lines, ""]) + "\n")
    return result.exit_code, result.stdout, result.stderr


def _start(ruleset: object, qid: str) -> str:
    """The first words of a question, as printed (plain mode wraps long questions)."""
    return " ".join(str(ruleset.by_id[qid].text).split()[:5])  # type: ignore[attr-defined]


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> None:
    from stm_screen.cli import screen_cmd

    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)


def test_safety_questions_offer_yes_no_not_sure_and_record_unsure(
    tty: None, ruleset: object, tmp_path: object
) -> None:
    import json

    from tests._keys import CALM, UNSURE, plain_lines

    report = tmp_path / "r.json"  # type: ignore[operator]
    answers = {**CALM, "cancer_history": UNSURE}
    code, out, err = _plain([*plain_lines(ruleset, answers), ""], "--report", str(report))
    assert code == 0, err
    assert "  1) Yes\n  2) No\n  3) Not sure\n  ?) Help for this question" in out
    assert "  1) Yes\n  2) No\n  ?) Help" in out  # questions outside the safety group: yes or no
    data = json.loads(report.read_text())
    assert data["answers"]["cancer_history"] == "unsure"
    assert data["level"] == "see_doctor" and data["red_flags"] == []
    assert "cancer_with_spine_pain" in [f["id"] for f in data["red_flags_not_ruled_out"]]
    assert "Some warning signs could not be checked" in out
    assert str(ruleset.level_by_id["self_care"].title) not in out  # type: ignore[attr-defined]


def test_enter_alone_does_not_answer_a_safety_question(tty: None, ruleset: object, tmp_path: object) -> None:
    import json

    from tests._keys import CALM, plain_lines

    before = plain_lines(ruleset, CALM, until="pain_intensity")
    after = plain_lines(ruleset, CALM, after="bladder_bowel_change")
    report = tmp_path / "r.json"  # type: ignore[operator]
    code, out, err = _plain([*before, "", "", "no", *after, ""], "--report", str(report))
    assert code == 0, err
    asked = out.split(_start(ruleset, "bladder_bowel_change"))[1]
    assert asked.count("Sorry: please type a number from 1 to 3.") == 2  # Enter twice: asked again twice
    assert "Enter keeps" not in asked.split("Sorry:")[0]  # nothing is offered as the default
    data = json.loads(report.read_text())
    assert data["answers"]["bladder_bowel_change"] is False
    assert data["level"] == "self_care"


def test_an_answer_given_by_mistake_goes_back_and_a_yes_again_is_announced_again(
    tty: None, ruleset: object, tmp_path: object
) -> None:
    import json

    from tests._keys import CALM, plain_lines

    before = plain_lines(ruleset, CALM, until="pain_intensity")
    report = tmp_path / "r.json"  # type: ignore[operator]
    lines = [*before, "yes", "", "3", "yes", "1"]  # yes; Enter alone; by mistake; yes again; stop here
    code, out, err = _plain(lines, "--report", str(report))
    assert code == 0, err
    assert out.count("URGENT: Please read this now.\nNew bladder or bowel problems\n") == 2  # a line each
    menu = out.index("  3) I gave that answer by mistake: go back to the question")
    assert "  1) Stop here and show my result\n  2) Finish the remaining questions\n" in out[:menu]
    assert "Enter keeps" not in out[out.index("Stop here and show my result") : menu + 200]  # no default
    assert "Sorry: please type a number from 1 to 3." in out[menu:]  # Enter alone did not stop
    assert out[menu:].count(_start(ruleset, "bladder_bowel_change")) == 1  # asked again after "by mistake"
    data = json.loads(report.read_text())
    assert data["level"] == "emergency"
    assert [f["id"] for f in data["red_flags"]] == ["cauda_equina_bladder"]
    assert "Pain in daily life" not in out  # stopped


def test_by_mistake_then_no_carries_on_without_the_emergency(
    tty: None, ruleset: object, tmp_path: object
) -> None:
    import json

    from tests._keys import CALM, plain_lines

    before = plain_lines(ruleset, CALM, until="pain_intensity")
    after = plain_lines(ruleset, CALM, after="bladder_bowel_change")
    report = tmp_path / "r.json"  # type: ignore[operator]
    code, out, err = _plain([*before, "yes", "3", "no", *after, ""], "--report", str(report))
    assert code == 0, err
    assert out.count("Please read this now") == 1
    data = json.loads(report.read_text())
    assert data["answers"]["bladder_bowel_change"] is False
    assert data["level"] == "self_care" and data["red_flags"] == []


def test_a_not_sure_parent_hides_its_follow_up_in_plain_mode(
    tty: None, ruleset: object, tmp_path: object
) -> None:
    import json

    from tests._keys import CALM, UNSURE, plain_lines

    answers = {**CALM, "progressive_weakness": UNSURE}
    lines = plain_lines(ruleset, answers)
    assert len(lines) == len(plain_lines(ruleset, CALM))  # no line for weakness_fast
    report = tmp_path / "r.json"  # type: ignore[operator]
    code, out, err = _plain([*lines, ""], "--report", str(report))
    assert code == 0, err
    follow_up = _start(ruleset, "weakness_fast")
    assert follow_up not in out
    data = json.loads(report.read_text())
    assert "weakness_fast" not in data["answers"] and "weakness_fast" in data["skipped"]
    assert data["level"] == "see_doctor"
    open_flags = {f["id"] for f in data["red_flags_not_ruled_out"]}
    assert {"weakness_getting_worse", "weakness_getting_worse_fast"} <= open_flags

    # yes to the parent: the follow-up is asked, and yes to it is an emergency
    answers = {**CALM, "progressive_weakness": True, "weakness_fast": True}
    lines = plain_lines(ruleset, answers, until="weakness_fast")
    code, out, err = _plain([*lines, "1"], "--report", str(tmp_path / "r2.json"))  # type: ignore[operator]
    assert code == 0, err
    assert follow_up in out
    assert json.loads((tmp_path / "r2.json").read_text())["level"] == "emergency"  # type: ignore[operator]


def test_an_emergency_result_puts_the_warning_sign_first_and_last_with_no_pt_content(
    tty: None, ruleset: object
) -> None:
    from tests._keys import CALM, plain_lines

    answers = {**CALM, "bladder_bowel_change": True}
    lines = [*plain_lines(ruleset, answers, until="bladder_bowel_change"), "2"]  # finish the questions
    lines += [*plain_lines(ruleset, answers, after="bladder_bowel_change"), ""]
    code, out, err = _plain(lines)
    assert code == 0, err
    result = out[out.index(str(ruleset.level_by_id["emergency"].title)) :]  # type: ignore[attr-defined]
    sign = "[EMERGENCY] New bladder or bowel problems"
    first, last = result.index(sign), result.rindex(sign)
    assert first < result.index("What to do now") < last  # first, and again last in the summary
    assert "How soon: now" in result[last:]
    for pt in ("Score", "█", "[#", "Reasons found", "Why this result", "physical therapy assessment"):
        assert pt not in result, pt


def test_zero_for_none_is_offered_only_where_none_is_an_answer() -> None:
    """A new user's run: the pain-areas question (at least one answer needed) offered '0 for none', then
    refused 0. Now 0 is offered, and taken, only where none of the choices is an answer."""
    from stm_screen.prompt.ask import Option, PlainPrompter

    options = [Option("a", "Lower back"), Option("b", "Knee")]
    for none_allowed, typed, shown_hint in ((True, ["0"], True), (False, ["0", "1"], False)):
        out = io.StringIO()
        lines = iter(typed)
        prompts: list[str] = []

        def read(prompt: str, lines: Any = lines, prompts: list[str] = prompts) -> str:
            prompts.append(prompt)
            return str(next(lines))

        got = PlainPrompter(out=out, read_line=read).multi("Where?", options, frozenset(), none_allowed=none_allowed)
        assert ("0 for none" in prompts[0]) is shown_hint
        assert got == (frozenset() if none_allowed else frozenset({"a"}))


class _InterruptedOnFlush(io.StringIO):
    """Standard output on which a Ctrl-C lands as the question is flushed (as with a Python-level stream
    wrapper, where the interpreter runs the signal handler inside ``flush``)."""

    def flush(self) -> None:
        super().flush()
        raise KeyboardInterrupt


def test_a_ctrl_c_that_lands_as_the_prompt_is_flushed_stops_the_screening(monkeypatch: pytest.MonkeyPatch) -> None:
    """``input()`` throws away an error raised while it flushes the streams, so this Ctrl-C was lost and
    the prompt waited for a line (seen in a real terminal under load: the screening could not be stopped)."""
    monkeypatch.setattr("sys.stdout", _InterruptedOnFlush())
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n"))
    options = [Option("yes", "Yes"), Option("no", "No")]
    with pytest.raises(KeyboardInterrupt):
        PlainPrompter(out=io.StringIO()).select("Are you pregnant?", options)


def test_a_typed_line_is_read_without_its_line_break_and_the_end_of_input_is_eof(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stm_screen.prompt.ask import read_typed_line

    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stdin", io.StringIO("2 \nlast"))
    assert read_typed_line("Type 1 or 2: ") == "2 "
    assert read_typed_line("> ") == "last"  # the last line, with no line break after it
    with pytest.raises(EOFError):
        read_typed_line("> ")
    assert out.getvalue() == "Type 1 or 2: > > "


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_characters_ended_by_ctrl_d_at_a_terminal_leave_the_next_question_on_a_line_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """'35' then Ctrl-D twice at a terminal: the line ends without a line break, and the terminal's cursor
    stays after '35'; the next question was printed on that same line ('35(2/35) Are you pregnant')."""
    from stm_screen.prompt.ask import read_typed_line

    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stdin", _Terminal("35"))
    assert read_typed_line("Your answer: ") == "35"
    assert out.getvalue() == "Your answer: \n"
