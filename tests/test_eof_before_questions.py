"""End of input (Ctrl-D) at the language menu, before the first question, in a real terminal: it was an
internal error (EOFError, exit 70); now the questionnaire's own words, "stopped before any answer; nothing
was saved", exit 130, and no resume file (issue 10, point 3)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

SCRIPT = Path(sys.executable).parent / "stm-screen"
pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="the stm-screen console script is not installed")
LOCALE = ("LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "STM_SCREEN_LANG", "NO_COLOR", "COLUMNS", "LINES")


def spawn(args: list[str], home: Path) -> pexpect.spawn[Any]:
    environ = {k: v for k, v in os.environ.items() if k not in LOCALE}
    environ.update({"STM_SCREEN_HOME": str(home), "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"})
    return pexpect.spawn(str(SCRIPT), args, env=environ, encoding="utf-8", timeout=30, dimensions=(40, 80))


@pytest.mark.parametrize("args", [["screen", "--plain"], ["screen", "--plain", "--next"]])
def test_end_of_input_at_the_language_menu(tmp_path: Path, args: list[str]) -> None:
    home = tmp_path / "home"
    child = spawn(args, home)
    child.expect("Idioma")
    child.expect("Enter keeps 1")
    child.sendeof()
    child.expect("stopped before any answer; nothing was saved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "internal error" not in (child.before or "")
    assert not list(home.glob("resume-*.json"))
