"""The entry point's fast path for the questionnaire matches the Typer ``screen`` command exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.cli.main import (
    BATCH_OPTIONS,
    JOBS_RANGE,
    SCORE_FORMATS,
    SCORE_OPTIONS,
    SCREEN_OPTIONS,
    parse_batch,
    parse_score,
    parse_screen,
)


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


def test_score_table_matches_the_typer_score_options() -> None:
    assert SCORE_OPTIONS == options_table("score")
    for fmt in SCORE_FORMATS:  # the formats Typer takes, and no other
        assert command("score").make_context("score", ["a.json", "--format", fmt]).params["fmt"] == fmt
    for fmt in ("pdf", "JSON", "txt"):
        with pytest.raises(Exception, match="is not one of"):
            command("score").make_context("score", ["a.json", "--format", fmt])


@pytest.mark.parametrize(
    "argv",
    [
        ["score", "a.json"],
        ["score", "a.json", "--format", "json"],
        ["score", "-", "-f", "fhir", "--patient", "MRN-1", "--save"],
        ["score", "--rules=x.yaml", "a.yaml", "--with", "phq4,peg", "--texts", "t.yaml", "--lang", "es"],
        ["score", "a.json", "-r", "pt-screen", "--country", "GB", "--format=md"],
        ["score", "--", "-odd.json"],
    ],
)
def test_score_fast_path_parses_what_typer_parses(argv: list[str]) -> None:
    parsed = parse_score(argv)
    assert parsed is not None
    answers, options = parsed
    ctx = command("score").make_context("score", list(argv[1:]))
    defaults = {p.name: p.default for p in command("score").params}
    assert ctx.params["answers"] == answers
    given = {k: v for k, v in ctx.params.items() if k != "answers" and v != defaults[k]}
    assert given == {k: v for k, v in options.items() if v != defaults[k]}


@pytest.mark.parametrize(
    "argv",
    [
        ["score"],
        ["score", "--help"],
        ["score", "a.json", "b.json"],
        ["score", "a.json", "--format", "pdf"],
        ["score", "a.json", "--format", "JSON"],
        ["score", "a.json", "--bogus"],
        ["score", "a.json", "-f"],
        ["--debug", "score", "a.json"],
        ["batch", "a.json"],
    ],
)
def test_everything_else_about_score_goes_to_typer(argv: list[str]) -> None:
    assert parse_score(argv) is None


def test_score_fast_path_gives_what_typer_gives(tmp_path: Path) -> None:
    """Same output, messages and exit code as through Typer (``-fFORMAT``, which only Typer reads, takes the
    Typer path)."""
    good = tmp_path / "answers.json"
    good.write_text('{"age_years": 40, "pain_duration_months": "8 months", "night_pain": "yes"}', encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text('{"age_years": "old", "pain_intensity": 15}', encoding="utf-8")
    for fmt, args in (
        ("json", [str(good)]),
        ("md", [str(good), "--patient", "MRN-1"]),
        ("text", [str(bad)]),
        ("json", [str(tmp_path / "none.json")]),
        ("text", [str(good), "--lang", "xx"]),
    ):
        assert parse_score(["score", *args, "--format", fmt]) is not None
        assert parse_score(["score", *args, f"-f{fmt}"]) is None
        runs = []
        for form in (["--format", fmt], [f"-f{fmt}"]):
            done = subprocess.run(
                [sys.executable, "-m", "stm_screen", "score", *args, *form],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                env={**os.environ, "SOURCE_DATE_EPOCH": "1765000000"},  # the report's time, the same in both
            )
            runs.append((done.returncode, done.stderr, done.stdout))
        assert runs[0] == runs[1], args
        assert "Traceback" not in runs[0][1]
