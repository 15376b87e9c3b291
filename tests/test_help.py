"""Help that helps: words for metavars, choices declared as choices, -h, examples, and help that agrees with
what each command accepts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.cli.main import BATCH_OPTIONS, SCREEN_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [
    [],
    ["score"],
    ["screen"],
    ["batch"],
    ["rules"],
    ["rules", "check"],
    ["rules", "show"],
    ["rules", "schema"],
    ["rules", "diff"],
    ["history"],
    ["history", "list"],
    ["history", "show"],
    ["history", "export"],
    ["history", "delete"],
    ["history", "purge"],
    ["form"],
    ["form", "export"],
]
LEAVES = [c for c in COMMANDS if c and c not in (["rules"], ["history"], ["form"])]


def help_of(words: list[str], flag: str = "--help") -> str:
    result = CliRunner().invoke(app, [*words, flag], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.stdout


def click_command(words: list[str]) -> Any:
    command = typer.main.get_command(app)
    for word in words:
        command = command.commands[word]  # type: ignore[attr-defined]
    return command


@pytest.mark.parametrize("words", COMMANDS, ids=[" ".join(c) or "stm-screen" for c in COMMANDS])
def test_help_reads_as_words(words: list[str]) -> None:
    text = help_of(words)
    assert help_of(words, "-h") == text  # -h works everywhere
    assert not re.search(r"<(str|int|path|bool|list|float)[^>]*>", text), text  # no Python types
    assert not re.search(r"\{[a-z_]+\}", text), text  # no braces around arguments
    assert "..." not in text.split("Commands:")[-1] or "Commands:" not in text  # summaries not cut
    if words in LEAVES or words == []:
        assert "Examples:" in text and "stm-screen" in text.split("Examples:")[1]


def test_choices_are_declared_as_choices() -> None:
    """Shell completion offers the formats and presets (they are choices, not free text)."""
    for words, name, expected in [
        (["score"], "fmt", {"text", "json", "html", "md", "fhir"}),
        (["batch"], "preset", {"redcap", "qualtrics", "fhir"}),
        (["batch"], "fmt", {"csv", "jsonl", "fhir"}),
        (["history", "list"], "fmt", {"table", "json", "csv"}),
        (["form", "export"], "what", {"redcap", "fhir", "csv"}),
    ]:
        (param,) = [p for p in click_command(words).params if p.name == name]
        offered = {item.value for item in param.shell_complete(None, "")}
        assert expected <= offered, (words, name, offered)
        flag = {"fmt": ["--format"], "preset": ["--preset"]}.get(name, [])
        bad = CliRunner().invoke(app, [*words, *flag, "nope", "x.csv"])
        assert bad.exit_code == 2 and "is not one of" in bad.output, bad.output


def documented_options(text: str) -> set[str]:
    options = text.split("Options:", 1)[1].split("Examples:", 1)[0]
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", options)) - {"--help"}


@pytest.mark.parametrize("words", LEAVES, ids=[" ".join(c) for c in LEAVES])
def test_every_documented_option_is_accepted(
    words: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An option the help names is one the command takes (and every option it takes is in the help)."""
    monkeypatch.chdir(tmp_path)  # an option given the value "x" may write a file named x
    accepted = {o for p in click_command(words).params for o in getattr(p, "opts", []) if o.startswith("--")}
    accepted.discard("--help")
    documented = documented_options(help_of(words))
    assert documented == accepted, documented ^ accepted
    for option in sorted(documented):
        home = str(tmp_path / "home")
        result = CliRunner().invoke(app, [*words, option, "x"], env={"STM_SCREEN_HOME": home})
        assert "No such option" not in result.output, (words, option)


def test_fast_paths_take_the_same_options_as_the_commands() -> None:
    for words, table in ((["screen"], SCREEN_OPTIONS), (["batch"], BATCH_OPTIONS)):
        params = click_command(words).params
        accepted = {o for p in params for o in getattr(p, "opts", []) if o.startswith("-") and o != "--help"}
        assert set(table) == accepted - {"-h"}, set(table) ^ accepted


def test_bare_stm_screen_takes_every_screen_option() -> None:
    root = {o for p in click_command([]).params for o in getattr(p, "opts", [])}
    assert set(SCREEN_OPTIONS) <= root


def test_readme_screen_synopsis_lists_every_option() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    synopsis = readme.split("## The questionnaire", 1)[1].lstrip("\n").split("\n\n", 1)[0]
    for option in SCREEN_OPTIONS:
        if option.startswith("--"):
            assert option in synopsis, option


def test_jobs_and_patient_help_say_what_the_commands_do() -> None:
    batch = " ".join(help_of(["batch"]).split())
    assert "at most 4 (the default)" in batch and "16 MB" in batch
    score = " ".join(help_of(["score"]).split())
    assert "saved with --save, and in the FHIR output" in score


def test_pydantic_is_not_a_dependency_of_ours() -> None:
    """Nothing in stm-screen imports pydantic (Typer itself depends on it and imports it to convert
    parameters); pyproject does not list it."""
    sources = [p.read_text(encoding="utf-8") for p in (ROOT / "src").rglob("*.py")]
    assert not any(re.search(r"^\s*(from|import) pydantic", s, re.M) for s in sources)
    assert "pydantic" not in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
