"""QA as intake staff on a clinic laptop: one patient after another, keyboard only, with the installed tool."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stm_screen.core.answers import check_answers
from stm_screen.core.engine import Scorer
from stm_screen.rules.loader import load_ruleset
from tests._keys import plain_line

RULESET = load_ruleset()
SAFETY = frozenset(q.id for q in RULESET.questions if q.unsure)
# the 'nothing met gives self-care' example: a complete 2.0 answer set, every safety question "no"
CALM: dict[str, Any] = dict(RULESET.examples[0].answers)


def complete(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers, with every safety question they make asked (and that has no answer) answered no."""
    out, scorer = dict(answers), Scorer(RULESET)
    while gaps := [q for q in scorer.evaluate(check_answers(RULESET, out)).missing if q in SAFETY]:
        out.update(dict.fromkeys(gaps, False))
    return out


SCRIPT = Path(sys.executable).parent / "stm-screen"

pytestmark = [
    pytest.mark.skipif(not SCRIPT.exists(), reason="the stm-screen console script is not installed"),
    pytest.mark.skipif(sys.platform == "win32", reason="pexpect needs a POSIX pseudo-terminal"),
]

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def spawn(args: list[str], home: Path, columns: int = 80, **env: str) -> Any:
    import pexpect

    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    environ.update({"STM_SCREEN_HOME": str(home), "PROMPT_TOOLKIT_NO_CPR": "1", **env})
    return pexpect.spawn(
        str(SCRIPT), args, env=environ, encoding="utf-8", timeout=20, dimensions=(40, columns)
    )


# The end of the line an answer is typed on; at 40 columns the hint before it wraps onto a second line.
TYPED_ON = r"(?:Your answer|Type [^\n]*|[0-9]\)|none\)|1,3|result\)): "


def answer_plain(child: Any, ruleset: Any, answers: dict[str, Any]) -> None:
    """Answer every question that is asked in plain mode by typing, then show the result from the review."""
    scorer, values = Scorer(ruleset), check_answers(ruleset, answers)
    for q in ruleset.questions:
        if q.id in answers and scorer.asked(q, values):
            child.expect(TYPED_ON)
            child.sendline(plain_line(q, answers[q.id]))
    child.expect("Show my result")
    child.expect(TYPED_ON)
    child.sendline("")


def test_a_dumb_narrow_terminal_gets_the_result_in_its_width(tmp_path: Path, ruleset: Any) -> None:
    """TERM=dumb at 40 columns: the questions wrap to 40, and so must the result (Rich assumes 80x25
    for a dumb terminal unless it is given both a width and a height)."""
    import io

    import pexpect

    child = spawn(["screen"], tmp_path / "home", columns=40, TERM="dumb")
    child.logfile_read = seen = io.StringIO()
    answer_plain(child, ruleset, complete({**CALM, "pain_duration_months": 7}))
    child.expect("No, thank you")  # the offer of a copy (its file paths may be longer than 40 columns)
    child.expect("Type a number")
    child.sendline("3")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    result = ANSI.sub("", seen.getvalue().split("Show my result")[-1]).replace("\r\n", "\n")
    result = result.split("Would you like a copy")[0]
    assert "SUMMARY" in result and "not a diagnosis" in result
    too_wide = [line for line in result.split("\n") if len(line) > 40]
    assert too_wide == []


def test_history_show_in_a_dumb_narrow_terminal_fits(tmp_path: Path) -> None:
    import pexpect

    home = tmp_path / "home"
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(complete({**CALM, "pain_duration_months": 7})), encoding="utf-8")
    env = {**os.environ, "STM_SCREEN_HOME": str(home)}
    subprocess.run([str(SCRIPT), "score", str(answers), "--save"], env=env, capture_output=True, check=True)
    child = spawn(["history", "show", "1"], home, columns=40, TERM="dumb")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    lines = ANSI.sub("", child.before).replace("\r\n", "\n").split("\n")
    assert any("diagnosis" in line for line in lines)
    assert [line for line in lines if len(line) > 40] == []


@pytest.mark.parametrize(
    "command",
    [
        ["screen", "--patient", "John", "Smith"],
        ["screen", "--save", "--patient=John", "Smith", "--next"],
        ["score", "{answers}", "--save", "--patient", "John", "Smith"],
        ["history", "list", "--patient", "John", "Smith"],
        ["history", "export", "--output", "{out}", "--patient", "John", "Smith"],
    ],
)
def test_an_unquoted_name_after_patient_is_never_repeated(tmp_path: Path, command: list[str]) -> None:
    """Staff typing a name without quotes (--patient John Smith): the stray word is a usage error, and the
    message must not repeat it (messages never hold patient references or names)."""
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(CALM), encoding="utf-8")
    args = [a.format(answers=answers, out=tmp_path / "out.csv") for a in command]
    env = {**os.environ, "STM_SCREEN_HOME": str(tmp_path / "home")}
    done = subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    said = done.stdout + done.stderr
    assert "John" not in said and "Smith" not in said, said
    assert "never a name" in said  # and it says what a reference is
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "home" / "history.sqlite3").exists()
