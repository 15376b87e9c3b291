from __future__ import annotations

from typer.testing import CliRunner

from stm_screen import __version__
from stm_screen.cli.app import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"stm-screen {__version__}"


def test_bundled_rules_check() -> None:
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert "examples pass" in result.stdout
    assert "pt-screen 2.4.2" in result.stdout  # the bundled ruleset is version 2.4.2
