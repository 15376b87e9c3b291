"""The entry point's fast path for the questionnaire matches the Typer ``screen`` command exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.cli.main import BATCH_OPTIONS, JOBS_RANGE, SCREEN_OPTIONS, parse_batch, parse_screen


def command(name: str) -> typer.main.TyperCommand:  # type: ignore[name-defined]
    group = typer.main.get_command(app)
    return group.commands[name]  # type: ignore[attr-defined,no-any-return]


def screen_command() -> typer.main.TyperCommand:  # type: ignore[name-defined]
    return command("screen")


def options_table(name: str) -> dict[str, tuple[str, bool]]:
    """option -> (parameter name, takes a value), as the Typer command declares them."""
    table: dict[str, tuple[str, bool]] = {}
    for param in command(name).params:
        if param.param_type_name == "argument":
            continue
        for opt in [*param.opts, *param.secondary_opts]:
            if opt != "--help":
                table[opt] = (param.name, not param.is_flag)
    return table


def test_table_matches_the_typer_screen_options() -> None:
    assert SCREEN_OPTIONS == options_table("screen")


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


def test_the_questionnaires_options_work_without_the_word_screen() -> None:
    assert parse_screen(["--with", "phq4,peg", "--texts", "t.yaml"]) == {"with_modules": "phq4,peg", "texts": "t.yaml"}
    assert parse_screen(["--plain"]) == {"plain": True}
    assert parse_screen(["--with"]) is None  # a missing value: Typer says so


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


# --- batch ----------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def batch_command() -> typer.main.TyperCommand:  # type: ignore[name-defined]
    return command("batch")


def test_batch_table_matches_the_typer_batch_options() -> None:
    assert BATCH_OPTIONS == options_table("batch")


def test_batch_jobs_range_is_the_typer_option_range() -> None:
    runner = CliRunner()
    for jobs in (JOBS_RANGE.start - 1, JOBS_RANGE.stop):
        result = runner.invoke(app, ["batch", "nope.csv", "--jobs", str(jobs)])
        assert result.exit_code == 2 and "--jobs" in result.output
    for jobs in (JOBS_RANGE.start, JOBS_RANGE.stop - 1):
        result = runner.invoke(app, ["batch", "nope.csv", "--jobs", str(jobs)])
        assert result.exit_code == 2 and "no such file" in result.output


@pytest.mark.parametrize(
    "argv",
    [
        ["batch", "a.csv"],
        ["batch", "a.csv", "b.csv", "-o", "out.csv", "--format", "jsonl"],
        ["batch", "-r", "rules.yaml", "a.csv", "--preset=redcap", "--map", "m.yaml", "--decimal-comma"],
        ["batch", "a.csv", "--id-column", "ID", "-d", ";", "--multi-separator", "|", "-j", "2"],
        ["batch", "a.csv", "--suggest-map", "-o", "-", "--jobs=0", "-p", "qualtrics", "-m", "x", "-f", "csv"],
        ["batch", "--", "-odd-name.csv"],
        ["batch", "-", "--output", "-x"],
    ],
)
def test_batch_fast_path_parses_what_typer_parses(argv: list[str]) -> None:
    parsed = parse_batch(argv)
    assert parsed is not None
    inputs, options = parsed
    ctx = batch_command().make_context("batch", list(argv[1:]))
    typer_params = {k: v for k, v in ctx.params.items() if k != "inputs"}
    defaults = {p.name: p.default for p in batch_command().params}
    given = {k: v for k, v in typer_params.items() if v != defaults[k]}
    assert ctx.params["inputs"] == inputs
    assert {k: str(v) for k, v in given.items()} == {
        k: str(v) for k, v in options.items() if v != defaults[k]
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["batch"],
        ["batch", "--help"],
        ["batch", "a.csv", "--jobs", "99"],
        ["batch", "a.csv", "--jobs", "two"],
        ["batch", "a.csv", "--bogus"],
        ["batch", "a.csv", "-o"],
        ["batch", "a.csv", "--suggest-map=yes"],
        ["batch", "a.csv", "-o=out.csv"],
        ["--debug", "batch", "a.csv"],
        ["score", "a.csv"],
    ],
)
def test_everything_else_about_batch_goes_to_typer(argv: list[str]) -> None:
    assert parse_batch(argv) is None


def test_batch_fast_path_gives_what_typer_gives(tmp_path: Path) -> None:
    """Same output, messages and exit code as through Typer (``--debug`` first forces the Typer path)."""
    data = ROOT / "tests" / "data" / "batch" / "bad_values.csv"
    runs = []
    # a 1.x export without the safety columns: allowed, so that the bad values are what is reported
    for head in ([], ["--debug"]):
        out = tmp_path / f"out{len(head)}.csv"
        done = subprocess.run(
            [sys.executable, "-m", "stm_screen", *head, "batch", str(data), "-o", str(out), "-j", "1"]
            + ["--allow-missing"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        runs.append((done.returncode, done.stderr, out.read_text(encoding="utf-8")))
    assert runs[0][0] == 1
    assert runs[0] == runs[1]
    missing = subprocess.run(
        [sys.executable, "-m", "stm_screen", "batch", str(tmp_path / "nope.csv")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
    stopped = subprocess.run(  # without --allow-missing the missing safety columns stop the run
        [sys.executable, "-m", "stm_screen", "batch", str(data), "-o", str(tmp_path / "x.csv")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    assert stopped.returncode == 2 and "--allow-missing" in stopped.stderr
    assert "Traceback" not in stopped.stderr and not (tmp_path / "x.csv").exists()
