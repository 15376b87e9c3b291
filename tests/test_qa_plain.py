"""QA: plain mode read like a person types."""

from __future__ import annotations

import io

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


def _broken_save(*args: object, **kwargs: object) -> None:
    from stm_screen.errors import InputFileError

    raise InputFileError("/gone/resume.json: the folder /gone does not exist")


def test_a_failed_autosave_does_not_end_the_screening(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from stm_screen.cli import screen_cmd
    from stm_screen.cli.app import app
    from stm_screen.prompt import resume
    from stm_screen.rules.loader import load_ruleset
    from tests._keys import CALM, plain_line

    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(resume, "save", _broken_save)
    ruleset = load_ruleset()
    lines = [plain_line(q, CALM[q.id]) for q in ruleset.questions]
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
    start = next(i for i, line in enumerate(lines) if "Muscle tightness" in line)
    explanation = [line.strip("│").rstrip() for line in lines[start + 1 : start + 3]]
    assert all(line.startswith("    ") and line[4] != " " for line in explanation), explanation


def test_typing_a_character_an_ascii_console_cannot_read_is_asked_again(tmp_path: object) -> None:
    import pexpect

    from tests.test_e2e_pty import spawn

    child = spawn(["screen", "--plain"], tmp_path / "home", PYTHONIOENCODING="ascii")  # type: ignore[operator]
    child.expect("Your answer: ")
    child.sendline("7")
    child.expect(r"0 for none\): ")
    child.sendline("Lower back é")
    child.expect(r"please type numbers")  # asked again, no crash
    child.expect(r"0 for none\): ")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
