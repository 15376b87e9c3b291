"""STM_SCREEN_HOME that names no usable folder is exit 3 with one line, never an internal error (issue 10,
point 3): a '~user' for a user this system does not know made Path.expanduser() raise RuntimeError."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = str(ROOT / "docs" / "examples" / "answers.yaml")


@pytest.mark.parametrize("home", ["~no-such-user-stm/x", "~no-such-user-stm"])
@pytest.mark.parametrize(
    "argv", [["history", "list"], ["score", ANSWERS, "--save"], ["history", "export", "-o", "x.csv"]]
)
def test_a_tilde_for_an_unknown_user_is_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: str, argv: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STM_SCREEN_HOME", home)
    r = CliRunner().invoke(app, argv)
    assert r.exit_code == 3, r.output
    assert "internal error" not in r.output
    assert f"cannot use the data folder {home}" in r.stderr
