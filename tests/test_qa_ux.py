"""The questionnaire as a patient and intake staff meet it in narrow and wide terminals (issue 12 review):
the installed ``stm-screen`` in a pseudo-terminal, its screen drawn by pyte (``tests/_term.py``) and read
as a person would. Text our own code wraps breaks between words, never inside one; nothing stale stays."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests._keys import CTRL_C, ENTER
from tests._term import SCRIPT, Term

pytestmark = [
    pytest.mark.skipif(not SCRIPT.exists(), reason="the stm-screen console script is not installed"),
    pytest.mark.skipif(sys.platform == "win32", reason="pexpect needs a POSIX pseudo-terminal"),
]


def rows(term: Term) -> list[str]:
    return [row for row in term.display().split("\n") if row.strip()]


def test_the_stop_message_wraps_between_words_with_the_command_whole_at_60_columns(tmp_path: Path) -> None:
    term = Term(["--lang", "en"], tmp_path / "home", 60, 20)
    term.expect("How old are you")
    term.send("40" + ENTER)
    term.expect("Are you pregnant")
    term.send(CTRL_C)
    assert term.finish() == 130
    screen = rows(term)
    # Joined with spaces, a word the terminal cut at its edge would read 'w here': every word is whole.
    assert "stm-screen: stopped; your 1 answer is saved. To continue where you left off, run:" in term.flat()
    assert "  stm-screen screen --resume" in screen  # the command on a line of its own, never split
    assert all(len(row) < 60 for row in screen[-4:])  # wrapped before the edge, not by the terminal


def test_a_long_choice_wraps_under_itself_at_60_columns(tmp_path: Path) -> None:
    term = Term(["--lang", "en"], tmp_path / "home", 60, 20)
    term.expect("How old are you")
    term.send("40" + ENTER)
    term.expect("Are you pregnant")
    term.send("2" + ENTER)
    term.expect("How long have you had this pain")
    term.send("6 months" + ENTER)
    term.expect("Somewhere else")
    term.settle()
    screen = rows(term)
    (first,) = [n for n, row in enumerate(screen) if "Arm or leg" in row]
    # The label goes on under its own first word, whole: nothing is cut at the right edge.
    assert screen[first].endswith("ankle or")
    assert screen[first + 1] == " " * screen[first].index("Arm") + "heel"
    term.send(CTRL_C)
    assert term.finish() == 130


def test_what_was_wrong_with_an_answer_goes_once_it_is_answered(tmp_path: Path) -> None:
    """A typo is said (in words, not by colour alone); once the answer is right only the question and its
    answer stay, and a second typo replaces the first message rather than adding to it."""
    term = Term(["--lang", "en"], tmp_path / "home", 60, 20, NO_COLOR="1")
    term.expect("How old are you")
    term.send("4O" + ENTER)
    term.expect("is not a number")
    term.send("\x15abc" + ENTER)  # Ctrl-U clears the line
    term.expect("'abc' is not a number")
    term.settle()
    screen = term.display()
    assert "'4O'" not in screen and screen.count("is not a number") == 1
    assert "Sorry: 'abc' is not a number" in term.flat()
    term.send("\x1540" + ENTER)
    term.expect("Are you pregnant")
    term.settle()
    screen = term.display()
    assert "not a number" not in screen and "Sorry" not in screen
    assert "? (1/26) How old are you? 40" in screen
    term.send(CTRL_C)
    assert term.finish() == 130


def test_nothing_ticked_is_said_once_however_often_enter_is_pressed(tmp_path: Path, ruleset: Any) -> None:
    term = Term(["--lang", "en"], tmp_path / "home", 80, 24)
    term.expect("How old are you")
    term.send("40" + ENTER)
    term.expect("Are you pregnant")
    term.send("2" + ENTER)
    term.expect("How long have you had this pain")
    term.send("2 yrs" + ENTER)
    term.expect("Somewhere else")
    for _ in range(3):
        term.send(ENTER)
        term.expect("choose at least one answer")
    term.settle()
    assert term.display().count("choose at least one answer") == 1
    term.send(" " + ENTER)  # Lower back
    term.expect("how has the pain changed")
    term.settle()
    assert "choose at least one answer" not in term.display()
    assert "Lower back" in term.display()
    term.send(CTRL_C)
    assert term.finish() == 130
