"""QA: hostile answers files, devices and report paths never crash, hang or waste a patient's time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli import screen_cmd
from stm_screen.cli.app import app
from stm_screen.errors import InputFileError, UsageError
from stm_screen.rules.loader import load_ruleset

runner = CliRunner()
# the 'nothing met gives self-care' example: a complete 2.0 answer set, every safety question "no"
CALM: dict[str, Any] = dict(load_ruleset().examples[0].answers)


def score(tmp_path: Path, content: str, name: str = "a.json") -> Any:
    path = tmp_path / name
    path.write_text(content)
    return runner.invoke(app, ["score", str(path), "--format", "json"])


@pytest.mark.parametrize(
    "content",
    [
        "[" * 50_000 + "]" * 50_000,
        '{"pain_areas": ' + '{"a": ' * 15_000 + "1" + "}" * 15_000 + "}",
    ],
)
def test_deeply_nested_json_is_an_input_error_not_a_crash(tmp_path: Path, content: str) -> None:
    result = score(tmp_path, content)
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.stderr
    assert "cannot read the answers" in result.stderr


@pytest.mark.parametrize("digits", [400, 3_000, 5_000])
def test_huge_integer_answers_are_out_of_range_not_a_crash(tmp_path: Path, digits: int) -> None:
    result = score(tmp_path, '{"pain_duration_months": 1' + "0" * digits + "}")
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.stderr
    assert "pain_duration_months" in result.stderr or "cannot read the answers" in result.stderr
    assert len(result.stderr) < 400  # the number is not repeated in full


def test_huge_integer_text_in_yaml(tmp_path: Path) -> None:
    result = score(tmp_path, "pain_intensity: '1" + "0" * 5_000 + "'\n", "a.yaml")
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("command", [["score"], ["rules", "check"]])
def test_endless_device_is_refused_not_read_forever(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "/dev/zero"])
    assert result.exit_code in (1, 2), result.output
    assert "too large" in result.stderr


def test_endless_standard_input_is_refused() -> None:
    class Endless:
        def read(self, n: int = -1) -> bytes:
            assert n > 0, "standard input must be read with a bound"
            return b"a" * n

    import io
    import sys

    class Stdin(io.StringIO):
        buffer = Endless()

    from stm_screen.errors import InputFileError
    from stm_screen.io.answers_file import read_answers

    old = sys.stdin
    sys.stdin = Stdin()
    try:
        with pytest.raises(InputFileError, match="too large"):
            read_answers("-")
    finally:
        sys.stdin = old


def test_folder_message_reads_well(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", str(tmp_path)])
    assert result.exit_code == 2  # an input that cannot be read: the run cannot be done (README exit codes)
    assert "not an answers file" in result.stderr


def test_report_in_a_folder_that_cannot_be_written_is_refused_before_any_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("stm_screen.io.atomic._temp_file", refuse)
    with pytest.raises(UsageError, match="cannot write"):
        screen_cmd.check_report(folder / "r.html", force=False)


def test_clearing_between_patients_clears_scrollback_last() -> None:
    # Erasing the screen pushes it into the scrollback on tmux and VTE terminals, so the scrollback must be
    # cleared after the screen (the order `clear` uses), or the last patient's result stays readable.
    assert screen_cmd.CLEAR.endswith("\x1b[3J")
    assert screen_cmd.CLEAR.index("\x1b[2J") < screen_cmd.CLEAR.index("\x1b[3J")


@pytest.mark.parametrize(
    "args",
    [
        ["score", "{answers}", "--format", "json"],
        ["score", "{answers}"],
        ["rules", "show"],
        ["rules", "show", "--format", "json"],
        ["rules", "schema"],
    ],
)
@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_consoles_that_cannot_print_every_character_never_crash(
    tmp_path: Path, args: list[str], encoding: str
) -> None:
    import json
    import os
    import subprocess
    import sys

    answers = tmp_path / "a.yaml"
    answers.write_text("pain_duration_months: 8\nnight_pain: yes\n")
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    line = [a.replace("{answers}", str(answers)) for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "stm_screen", *line], capture_output=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    out = done.stdout.decode(encoding)
    if "json" in args or "schema" in args:
        data = json.loads(out)  # still valid JSON, nothing lost: characters are escaped
        if args[0] == "score":
            assert data["symbol"] == "▲"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "a.json",
            '{"pain_duration_months": 5, "bladder_bowel_change": true, "bladder_bowel_change": false}',
        ),
        ("a.yaml", "pain_duration_months: 5\nbladder_bowel_change: yes\nbladder_bowel_change: no\n"),
        ("a.yaml", '{"bladder_bowel_change": true, "bladder_bowel_change": false}'),
    ],
)
def test_a_question_answered_twice_is_refused_not_silently_the_last(
    tmp_path: Path, name: str, content: str
) -> None:
    # A warning sign answered yes and then no must not quietly become no.
    result = score(tmp_path, content, name)
    assert result.exit_code == 1, result.output
    assert "bladder_bowel_change" in result.stderr
    assert "twice" in result.stderr


def test_a_huge_unknown_key_is_not_repeated_in_full(tmp_path: Path) -> None:
    result = score(tmp_path, '{"pain_duration_month' + "s" * 100_000 + '": 1}')
    assert result.exit_code == 1
    assert "unknown question" in result.stderr
    assert len(result.stderr) < 300


@pytest.mark.parametrize("fmt", ["text", "md", "html"])  # the .txt report is the text form
def test_unanswered_safety_questions_replace_the_pt_headline(tmp_path: Path, fmt: str) -> None:
    # No safety question answered: unknown is not safe. 2.0 gives no PT headline at all: the result is
    # "see a doctor", titled so, with the open warning signs listed first; no score, no PT next step.
    answers = '{"pain_duration_months": 8, "tightness_trigger_points": true, "fear_of_movement": true}'
    path = tmp_path / "a.json"
    path.write_text(answers)
    result = runner.invoke(app, ["score", str(path), "--format", fmt])
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    title = "Some warning signs could not be checked"
    assert title in out
    assert out.index(title) < out.index("New bladder or bowel problems")  # the open signs are listed
    for pt in (
        "Seeing a physical therapist is recommended",
        "It may be worth seeing a physical therapist",
        "reasons on the article's list",
        "physical therapy assessment",
        "Without them",
    ):
        assert pt not in out, pt
    data = runner.invoke(app, ["score", str(path), "--format", "json"])
    parsed = json.loads(data.stdout)
    assert (parsed["level"], parsed["unchecked"]) == ("see_doctor", True)
    assert parsed["what_would_change"] == []


def test_not_sure_on_one_safety_question_is_not_safe(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({**CALM, "night_pain": "unsure"}))
    result = runner.invoke(app, ["score", str(path)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert out.startswith("▲ Some warning signs could not be checked")
    assert "Constant night pain that rest does not ease" in out and "not sure" in out
    assert "You can look after this yourself" not in out


def test_no_safety_note_when_every_safety_question_is_answered(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(CALM))
    result = runner.invoke(app, ["score", str(path)])
    assert result.exit_code == 0, result.output
    assert "could not be checked" not in result.stdout
    assert "You can look after this yourself for now" in result.stdout


def test_every_broken_file_of_a_rules_folder_is_reported_at_once(tmp_path: Path) -> None:
    from tests.conftest import ROOT

    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.yaml").write_text((ROOT / "rules" / "pt-screen.yaml").read_text())
    (folder / "b.yaml").write_text("questions: [\n")
    (folder / "c.yaml").write_bytes(b"\x00\x01")
    result = runner.invoke(app, ["rules", "check", str(folder)])
    assert result.exit_code == 2
    assert "b.yaml" in result.stderr and "c.yaml" in result.stderr


def test_a_broken_link_in_a_rules_folder_is_named(tmp_path: Path) -> None:
    from tests.conftest import ROOT

    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.yaml").write_text((ROOT / "rules" / "pt-screen.yaml").read_text())
    (folder / "b.yaml").symlink_to(tmp_path / "gone.yaml")
    result = runner.invoke(app, ["rules", "check", str(folder)])
    assert result.exit_code == 2
    assert "b.yaml" in result.stderr


LONG_NAME = "x" * 300


@pytest.mark.parametrize(
    "args",
    [
        ["rules", "check", LONG_NAME + ".yaml"],
        ["rules", "show", LONG_NAME + ".yaml"],
        ["score", "-", "--rules", LONG_NAME + ".yaml"],
    ],
)
def test_a_file_name_too_long_is_a_usage_error_not_a_crash(args: list[str]) -> None:
    result = runner.invoke(app, args, input="{}")
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.stderr


def test_a_report_name_too_long_is_refused_before_any_question(tmp_path: Path) -> None:
    # an output that cannot be written: exit 1, one line, before any question (the one output guard)
    with pytest.raises(InputFileError, match="cannot write"):
        screen_cmd.check_report(tmp_path / (LONG_NAME + ".md"), force=False)


def test_control_characters_from_a_file_never_reach_the_terminal(tmp_path: Path) -> None:
    content = '{"fear_of_movement": "\\u001b[2J\\u001b[31mRED", "\\u001b]0;x\\u0007": 1}'
    result = score(tmp_path, content)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b[2J" in result.stderr  # shown escaped, so the person still sees what is wrong


def test_rules_show_prints_square_brackets_literally(tmp_path: Path) -> None:
    from tests.conftest import ROOT

    text = (ROOT / "rules" / "pt-screen.yaml").read_text()
    text = text.replace(
        "en: Should I see a physical therapist about my pain?", 'en: "Pain [/] check"', 1
    )
    text = text.replace(
        "en: How long have you had this pain, in months?", 'en: "How many [bold]months[/bold] [/]?"', 1
    )
    rules = tmp_path / "r.yaml"
    rules.write_text(text)
    result = runner.invoke(app, ["rules", "show", str(rules)])
    assert result.exit_code == 0, result.output
    assert "Pain [/] check" in result.stdout
    assert "[bold]months[/bold]" in " ".join(result.stdout.split())
