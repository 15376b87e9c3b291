"""End to end: the installed ``stm-screen`` console script in a real pseudo-terminal, answered like a person."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests._keys import DOWN, ENTER

SCRIPT = Path(sys.executable).parent / "stm-screen"

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="the stm-screen console script is not installed")


def spawn(args: list[str], home: Path, **env: str) -> pexpect.spawn[Any]:
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    # pexpect does not answer cursor-position requests; without this prompt_toolkit waits 1 s per prompt
    environ.update(
        {"STM_SCREEN_HOME": str(home), "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1", **env}
    )
    child = pexpect.spawn(str(SCRIPT), args, env=environ, encoding="utf-8", timeout=20, dimensions=(40, 80))
    return child


UP = "\x1b[A"


def yes_no(child: pexpect.spawn[Any], question: str, yes: bool, safety: bool = True) -> None:
    """Arrow keys like a person. The pointer starts on Help (nothing is chosen in advance): a safety
    question has Yes, No, Not sure above it, others Yes, No."""
    child.expect(question)
    child.expect("Back to the previous question")  # the whole list is on screen
    if safety:
        child.send(UP * (3 if yes else 2) + ENTER)
    else:
        child.send(UP * (2 if yes else 1) + ENTER)


SAFETY_ASKED = (  # 42 years old, neck pain for 18 months: the safety questions asked, in order
    "In the last few days or weeks",
    "new numbness or tingling between",
    "Do you have new pain, tingling or numbness",
    "Is an arm or a leg getting weaker",
    "Over the last weeks or months",
    "Did any of these start suddenly",
    "In the last 4 weeks",
    "For weeks or more, have you felt dizzy",
    "When you walk or climb stairs",
    "Is one of your calves",
    "Do you have a fever or chills",
    "has a joint become hot, swollen",
    "Is your body less able to fight germs",
    "Do you have cancer now",
    "Have you lost weight without trying",
    "Do you have constant pain at night",
    "Did this pain start after a serious fall",
    "Did this pain start after a small fall",
    "Do you have pain on one spot of a bone",
    "In the past few weeks, have you thought",
)


def test_a_person_answers_through_to_the_result(tmp_path: Path) -> None:
    report = tmp_path / "result.html"
    child = spawn(["screen", "--report", str(report)], tmp_path / "home")
    child.expect("not a diagnosis")
    child.expect(r"\(1/36\) How old are you")
    child.send("42" + ENTER)
    yes_no(child, "Are you pregnant", yes=False, safety=False)
    child.expect("How long have you had this pain")
    child.send("a long time" + ENTER)
    child.expect("is not a number; allowed: a number from 0 to 600 months")
    child.send("\x15" + "18" + ENTER)  # Ctrl-U clears the line
    child.expect("Where is the pain")
    child.send(DOWN * 2 + " " + ENTER)  # neck or shoulder
    child.expect("how has the pain changed")
    child.send(UP * 2 + ENTER)  # the same (the pointer starts on Help, under the three answers)
    child.expect("how bad has the pain been")
    child.send("<" + ENTER)  # changed my mind: back
    child.expect("how has the pain changed")
    child.send(ENTER)  # keep the answer given
    child.expect("how bad has the pain been")
    child.send("6" + ENTER)
    child.expect("Safety check")
    child.expect(SAFETY_ASKED[0])
    child.expect("Back to the previous question")
    child.send(ENTER)  # Enter alone on a safety question: its help, not an answer
    child.expect("For example, you cannot pee")
    for question in SAFETY_ASKED:
        yes_no(child, question, yes=False)
    child.expect("stop you moving")
    child.send("5" + ENTER)
    yes_no(child, "tight muscles", yes=True, safety=False)
    yes_no(child, "flaring up", yes=True, safety=False)
    yes_no(child, "avoid some movements", yes=False, safety=False)
    child.expect("Please check your answers")
    child.expect("Show my result")
    child.send(ENTER)
    child.expect("Screening result")
    child.expect("Seeing a physical therapist is recommended")
    child.expect("not a diagnosis")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    page = report.read_text(encoding="utf-8")
    assert "Seeing a physical therapist is recommended" in page
    assert "18 months" in page and "Neck or shoulder" in page
    assert list((tmp_path / "home").glob("resume-*.json")) == []


def test_ctrl_c_in_a_terminal_then_resume(tmp_path: Path) -> None:
    home = tmp_path / "home"
    child = spawn(["screen"], home)
    child.expect("How old are you")
    child.send("30" + ENTER)
    yes_no(child, "Are you pregnant", yes=False, safety=False)
    child.expect("How long have you had this pain")
    child.send("2" + ENTER)
    child.expect("Where is the pain")
    child.sendintr()
    child.expect("stm-screen screen --resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    (saved,) = home.glob("resume-*.json")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text())["answers"] == {
        "age_years": 30,
        "pregnant": False,
        "pain_duration_months": 2,
    }

    child = spawn(["screen", "--resume", "--plain"], home)
    child.expect("Welcome back: 3 answer")
    child.expect(r"\(4/34\) Where is the pain")  # continues at the first unanswered question
    child.sendline("1")  # lower back
    child.expect("how has the pain changed")
    child.sendline("2")  # the same
    child.expect("Your answer")
    child.sendline("2")
    for _ in range(19 + 1 + 3):  # 19 safety questions for low back pain at 30, then daily life
        child.expect(r"Type a number|Type 1 or 2|Your answer")
        child.sendline("no" if child.after.startswith("Type") else "1")
    child.expect("Show my result")
    child.sendline("")
    child.expect("You can look after this yourself for now")
    child.expect("No, thank you")  # the offer of a copy
    child.expect("Type a number")
    child.sendline("3")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert not saved.exists()


def test_not_a_terminal(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run(
        [str(SCRIPT)],
        input="",
        capture_output=True,
        text=True,
        env={**os.environ, "STM_SCREEN_HOME": str(tmp_path)},
        timeout=30,
    )
    assert done.returncode == 2
    assert "stm-screen score FILE" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_command_in_a_terminal_starts_the_screening(tmp_path: Path) -> None:
    child = spawn([], tmp_path / "home")
    child.expect("not a diagnosis")
    child.expect(r"\(1/36\) How old are you")
    child.sendintr()
    child.expect("nothing was saved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


def test_closed_terminal_saves_the_answers(tmp_path: Path) -> None:
    import signal

    home = tmp_path / "home"
    child = spawn(["screen"], home)
    child.expect("How old are you")
    child.send("40" + ENTER)
    child.expect("Are you pregnant")
    child.kill(signal.SIGHUP)  # what a closing terminal window sends
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 and child.signalstatus is None  # handled, not killed
    (saved,) = home.glob("resume-*.json")
    assert json.loads(saved.read_text())["answers"] == {"age_years": 40}


def test_input_ended_before_the_first_prompt_stops_at_once(tmp_path: Path) -> None:
    """Input that ends while no prompt is reading (``script`` with its input at an end) stops the
    questionnaire as Ctrl-D does, rather than leaving it waiting for keys that will never come."""
    child = spawn(["screen", "--lang", "en"], tmp_path / "home")
    child.sendeof()  # the terminal is in line mode until the first prompt: an end-of-input mark
    child.expect("stopped before any answer")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


def test_an_end_of_input_mark_is_told_from_typed_ahead_keys() -> None:
    """The check reads nothing: a Ctrl-D mark (input ready, no bytes) is seen; keys typed ahead are not an
    end; an empty terminal is not either."""
    import termios

    from stm_screen.prompt.ask import end_of_input_waiting

    master, slave = os.openpty()
    try:
        with open(slave, encoding="utf-8", closefd=False) as stream:
            assert end_of_input_waiting(stream) is False
            os.write(master, b"40\n")
            assert end_of_input_waiting(stream) is False  # typed ahead: the prompt will read it
            assert os.read(slave, 100) == b"40\n"
            os.write(master, bytes([termios.tcgetattr(slave)[6][termios.VEOF][0]]))
            assert end_of_input_waiting(stream) is True
            assert end_of_input_waiting(stream) is True  # nothing was read by the check
            assert os.read(slave, 100) == b""  # the mark is still there for a reader
    finally:
        os.close(master)
        os.close(slave)
