"""The entry point's fast path for the questionnaire matches the Typer ``screen`` command exactly."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer.main

from stm_screen.cli.app import app
from stm_screen.cli.main import SCREEN_OPTIONS, parse_screen


def screen_command() -> typer.main.TyperCommand:  # type: ignore[name-defined]
    group = typer.main.get_command(app)
    return group.commands["screen"]  # type: ignore[attr-defined,no-any-return]


def test_table_matches_the_typer_screen_options() -> None:
    expected: dict[str, tuple[str, bool]] = {}
    for param in screen_command().params:
        for opt in [*param.opts, *param.secondary_opts]:
            if opt == "--help":
                continue
            expected[opt] = (param.name, not param.is_flag)
    assert SCREEN_OPTIONS == expected


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {}),
        (["screen"], {}),
        (["screen", "--plain", "--rules", "x.yaml"], {"plain": True, "rules": "x.yaml"}),
        (
            ["screen", "-r", "x", "--report=r.html", "--force"],
            {"rules": "x", "report": "r.html", "force": True},
        ),
        (
            ["screen", "--patient", "A123", "--next", "--resume"],
            {"patient": "A123", "next_patient": True, "resume": True},
        ),
    ],
)
def test_fast_path_parses_what_typer_parses(argv: list[str], expected: dict[str, object]) -> None:
    assert parse_screen(argv) == expected
    if argv:
        ctx = screen_command().make_context("screen", list(argv[1:]))
        typer_params = {k: v for k, v in ctx.params.items() if v not in (None, False)}
        assert {k: str(v) for k, v in typer_params.items()} == {k: str(v) for k, v in expected.items()}


@pytest.mark.parametrize(
    "argv",
    [
        ["score", "a.json"],
        ["screen", "--help"],
        ["screen", "--plian"],
        ["screen", "--rules"],
        ["screen", "extra"],
        ["screen", "--plain=yes"],
        ["--debug"],
        ["--version"],
    ],
)
def test_everything_else_goes_to_typer(argv: list[str]) -> None:
    assert parse_screen(argv) is None


def test_fast_path_refuses_a_non_terminal_like_typer() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stm_screen", "screen", "--plain"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "stm-screen score FILE" in done.stderr
    assert "Traceback" not in done.stderr
    slow = subprocess.run(
        [sys.executable, "-m", "stm_screen", "--debug", "screen", "--plain"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    assert (slow.returncode, slow.stderr) == (done.returncode, done.stderr)


def test_typo_in_an_option_gets_typer_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stm_screen", "screen", "--plian"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "--plian" in done.stderr
