"""``stm-screen screen`` from the command line: refusals before any question, plain mode, ASCII consoles."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli import screen_cmd
from stm_screen.cli.app import app
from stm_screen.prompt.ask import PlainPrompter, fit
from stm_screen.render.formats import RENDERERS
from stm_screen.screening import score_data
from tests._keys import CALM, GATED_NO, applied, plain_lines

runner = CliRunner()


def plain_input(ruleset: Any, answers: dict[str, Any]) -> str:
    return (
        "\n".join([*plain_lines(ruleset, answers), ""]) + "\n"
    )  # the empty line at the review shows the result


@pytest.fixture
def tty_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screen_cmd, "stdin_is_terminal", lambda: True)


def test_no_terminal_asks_nothing_and_points_to_score() -> None:
    for args in (["screen"], []):
        result = runner.invoke(app, args, input="1\n")
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        assert "stm-screen score FILE" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_existing_report_is_refused_before_any_question(tty_stdin: None, tmp_path: Path) -> None:
    report = tmp_path / "r.html"
    report.write_text("keep me")
    result = runner.invoke(app, ["screen", "--report", str(report)], input="")
    assert result.exit_code == 2
    assert "already exists; use --force" in result.stderr
    assert "How many months" not in result.stdout
    assert report.read_text() == "keep me"


def test_unknown_report_suffix_is_refused(tty_stdin: None, tmp_path: Path) -> None:
    result = runner.invoke(app, ["screen", "--report", str(tmp_path / "r.docx")], input="")
    assert result.exit_code == 2
    assert "unknown report type" in result.stderr


def test_patient_reference_must_not_look_like_a_name(tty_stdin: None) -> None:
    result = runner.invoke(app, ["screen", "--patient", "Jane Doe"], input="")
    assert result.exit_code == 2
    assert "never a name" in result.stderr
    assert "Jane" not in result.stderr + result.stdout


def test_resume_with_nothing_saved(tty_stdin: None) -> None:
    result = runner.invoke(app, ["screen", "--resume"], input="")
    assert result.exit_code == 2
    assert "no stopped screening" in result.stderr


def test_plain_mode_numbers_choices_and_reaches_the_result(
    tty_stdin: None, ruleset: Any, tmp_path: Path
) -> None:
    answers = {**CALM, **GATED_NO, "pain_areas": ["low_back", "tendon"], "pain_duration_months": 7}
    report = tmp_path / "r.md"
    # a wrong entry first: asked again with what is allowed
    text = plain_input(ruleset, answers)
    age, rest = text.split("\n", 2)[:2], text.split("\n", 2)[2]
    result = runner.invoke(
        app,
        ["screen", "--plain", "--report", str(report), "--patient", "MRN-0042"],
        input="\n".join(age) + "\nlots\n" + rest,
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out  # no colour, no cursor movement
    assert not set("╭╮╰╯│─") & set(out)  # no box drawing
    assert "  1) Yes\n  2) No\n  ?) Help for this question" in out  # pregnant: yes or no
    assert "  1) Yes\n  2) No\n  3) Not sure\n  ?) Help for this question" in out  # a safety question
    assert "Sorry: 'lots' is not a number; allowed: a number from 0 to 600 months" in out
    assert "Please check your answers" in out
    assert str(ruleset.level_by_id["pt_consider"].title) in out
    md = report.read_text()
    assert "**Patient reference:** MRN-0042" in md
    areas = ruleset.by_id["pain_areas"]
    labels = ", ".join(str(c.label) for c in areas.choices if c.id in ("low_back", "tendon"))
    assert f"| {areas.text} | {labels} |" in md


def test_plain_mode_fits_80_columns(
    ruleset: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    screen = io.StringIO()
    # change answer 5 (the pain areas) to the neck: the dizziness question then applies, then the result
    typed = iter(plain_lines(ruleset, CALM) + ["4", "3", "no", ""])

    def terminal_line(prompt: str) -> str:  # what a terminal shows: the prompt, then the typed answer
        answer = next(typed)
        screen.write(f"{prompt}{answer}\n")
        return answer

    prompter = PlainPrompter(screen, read_line=terminal_line)
    screen_cmd.screen_one(ruleset, prompter, rules=None, patient=None, saved=None, report=None)
    shown = screen.getvalue() + capsys.readouterr().out
    assert "Please check your answers" in shown
    assert str(ruleset.level_by_id["self_care"].title) in shown
    assert " ".join(str(ruleset.by_id["dizziness_ongoing"].text).split()[:5]) in shown
    too_wide = [line for line in shown.splitlines() if len(line) > 80]
    assert too_wide == []


def test_no_color_removes_colour_only_and_accessible_gives_plain_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    from stm_screen.prompt.ask import PlainPrompter, RichPrompter

    monkeypatch.setattr(screen_cmd, "stdout_is_terminal", lambda: True)
    monkeypatch.delenv("ACCESSIBLE", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("NO_COLOR", "1")
    prompter = screen_cmd.make_prompter(screen_cmd.Options())
    assert isinstance(prompter, RichPrompter) and not prompter.colour
    monkeypatch.setenv("ACCESSIBLE", "1")
    assert isinstance(screen_cmd.make_prompter(screen_cmd.Options()), PlainPrompter)


def test_plain_mode_via_accessible(
    tty_stdin: None, ruleset: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(screen_cmd, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("ACCESSIBLE", "1")
    report = tmp_path / "r.json"
    result = runner.invoke(app, ["screen", "--report", str(report)], input=plain_input(ruleset, CALM))
    assert result.exit_code == 0, result.stderr
    assert "  1) Yes" in result.stdout
    assert result.stdout.count("Plain mode (ACCESSIBLE)") == 1  # said once
    from stm_screen.io.contacts import contacts_for

    expected = score_data(ruleset, applied(ruleset, CALM), contacts=contacts_for(None)[0])
    assert json.loads(report.read_text()) == json.loads(RENDERERS["json"](expected))


def test_plain_mode_back_and_help(tty_stdin: None, ruleset: Any, tmp_path: Path) -> None:
    answers = {**CALM, "pain_duration_months": 4, "pain_areas": ["neck_shoulder"], **GATED_NO}
    lines = ["<", "?", "35", "<", "", "no"]  # back at the first question, help, 35, back, keep 35 (Enter)
    lines += ["4", "<", "", "3"]  # 4 months, back, keep 4 (Enter), areas = 3 (neck or shoulder)
    lines += plain_lines(ruleset, answers, after="pain_areas")
    text = "\n".join([*lines, ""]) + "\n"
    report = tmp_path / "r.json"
    result = runner.invoke(app, ["screen", "--plain", "--report", str(report)], input=text)
    assert result.exit_code == 0, result.stderr
    assert "This is the first question." in result.stdout
    assert "Help: " + " ".join(str(ruleset.by_id["age_years"].help).split()[:5]) in result.stdout
    assert "Enter keeps 35" in result.stdout and "Enter keeps 4" in result.stdout
    saved = json.loads(report.read_text())["answers"]
    assert saved["age_years"] == 35 and saved["pain_duration_months"] == 4
    assert saved["pain_areas"] == ["neck_shoulder"]
    assert saved == applied(ruleset, answers)


def test_end_of_input_in_plain_mode_saves(tty_stdin: None, tmp_path: Path) -> None:
    result = runner.invoke(app, ["screen", "--plain"], input="70\n5\n")
    assert result.exit_code == 130
    assert "stm-screen screen --resume" in result.stderr
    saved = list((tmp_path / "stm-home").glob("resume-*.json"))
    assert [json.loads(p.read_text())["answers"] for p in saved] == [
        {"age_years": 70, "pain_duration_months": 5}
    ]


def test_cp1252_console_gets_ascii_never_a_crash(
    tty_stdin: None, ruleset: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252", newline="")
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setattr(screen_cmd, "stdout_is_terminal", lambda: True)
    answers = {**CALM, "stroke_signs": True}
    lines = plain_lines(ruleset, answers, until="stroke_signs") + ["1"]  # stop
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(line + "\n" for line in lines)))
    screen_cmd.screen_one(
        ruleset,
        screen_cmd.make_prompter(screen_cmd.Options()),
        rules=None,
        patient=None,
        saved=None,
        report=None,
    )
    stream.flush()
    text = raw.getvalue().decode("cp1252")
    assert "!! " + str(ruleset.level_by_id["emergency"].title) in text  # the level symbol in ASCII
    assert "‼" not in text
    assert "  1) Yes" in text  # the console cannot draw questionary's widgets: numbered plain prompts


def test_fit_replaces_what_the_console_cannot_print() -> None:
    assert fit("‼ Urgent – now…", "cp1252") == "!! Urgent - now..."
    assert fit("Urgent – now…", "cp1252") == "Urgent – now…"  # printable as it is: unchanged
    assert fit("‼ ● 漢", "ascii") == "!! * ?"
    out = io.StringIO()
    PlainPrompter(out).show("a " * 100)
    assert max(len(line) for line in out.getvalue().splitlines()) <= 80


def test_app_module_stays_light() -> None:
    code = (
        "import sys, stm_screen.cli.app, stm_screen.cli.screen_cli; "
        "heavy = [m for m in ('questionary', 'prompt_toolkit', 'rich', 'stm_screen.prompt') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
