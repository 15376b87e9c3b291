"""The README keeps its promises: two set-up commands, the CI runs the same test command, commands documented."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def setup_commands() -> list[str]:
    head = README.split("## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", head)


def test_readme_opens_with_exactly_two_setup_commands() -> None:
    commands = setup_commands()
    assert len(commands) == 2
    assert "stm-screen" in commands[0] and "pip install ." in commands[0]
    assert "pytest" in commands[1] and "[test]" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = setup_commands()[1]
    run_tests = test_command.split("&&")[-1].strip()
    assert run_tests in ci
    assert "ruff check" in ci and "mypy" in ci


def test_every_exit_code_is_documented() -> None:
    from stm_screen.errors import ExitCode

    for code in ExitCode:
        assert re.search(rf"^\| {int(code)} \|", README, re.M), code


def test_every_command_has_help_and_a_readme_entry() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    listing = result.stdout.split("Commands:", 1)[1]
    commands = re.findall(r"^  (\w[\w-]*)\s", listing, re.M)
    assert "score" in commands and "rules" in commands
    for command in commands:
        assert f"stm-screen {command}" in README, command


def test_readme_transcripts_are_what_the_tool_prints() -> None:
    """Transcripts are regenerated from the tool (docs/readme_transcripts.py), never edited by hand."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_transcripts", ROOT / "docs" / "readme_transcripts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert "<!-- transcript -->" in README
    assert module.regenerate(README) == README, "run: python docs/readme_transcripts.py"
