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
    assert "? (1/36) How old are you? 40" in screen
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


def test_polite_and_everyday_replies_are_read_by_the_one_core_parser(ruleset: Any) -> None:
    """'yes please', 'No, thank you.', 'dunno': the same answers in the questionnaire, score and batch (they
    all read through core.answers); a reply that says more than yes or no is not taken as one."""
    from stm_screen.core.answers import AnswerValueError, parse_answer
    from stm_screen.core.ruleset import UNSURE

    safety = ruleset.by_id["bladder_bowel_change"]
    pregnant = ruleset.by_id["pregnant"]
    for typed, lang, value in [
        ("Yes please", "en", True),
        ("No, thank you.", "en", False),
        ("no thanks", None, False),
        ("Yeah!", "en", True),
        ("dunno", "en", UNSURE),
        ("I don't know, sorry", None, None),
        ("Sí, por favor", "es", True),
        ("no, gracias", "es", False),
        ("ni idea", "es", UNSURE),
        ("yes but not often", "en", None),
        ("please", "en", None),
    ]:
        if value is None:
            with pytest.raises(AnswerValueError):
                parse_answer(safety, typed, lang)
        else:
            assert parse_answer(safety, typed, lang) == value, typed
    with pytest.raises(AnswerValueError, match="does not take 'not sure'"):
        parse_answer(pregnant, "no idea", "en")


def test_plain_mode_takes_the_words_score_takes(ruleset: Any) -> None:
    """A screen-reader user types words as well as numbers: 'no thanks', 'yep', 'not sure please';
    '0' is not a choice number and is never read as 'no'."""
    import io

    from stm_screen.prompt.ask import PlainPrompter
    from stm_screen.prompt.questionnaire import NOT_SURE, YES_NO, shown

    options = [shown(o, "en") for o in (*YES_NO, NOT_SURE)]
    for typed, key in [("no thanks", "no"), ("Yep", "yes"), ("not sure please", "unsure"), ("Y", "yes")]:
        out = io.StringIO()
        prompter = PlainPrompter(out=out, read_line=lambda _prompt, said=typed: said)
        assert prompter.select("Any new trouble peeing?", options) == key, typed
    replies = iter(["0", "2"])
    out = io.StringIO()
    assert PlainPrompter(out=out, read_line=lambda _p: next(replies)).select("?", options) == "no"
    assert "Sorry: please type a number from 1 to 3." in out.getvalue()
    es = [shown(o, "es") for o in (*YES_NO, NOT_SURE)]
    replies = iter(["sí, por favor"])
    assert PlainPrompter(out=io.StringIO(), read_line=lambda _p: next(replies)).select("?", es) == "yes"


def test_intake_staff_stopping_with_ctrl_c_still_hear_how_many_were_done_and_kept(
    tmp_path: Path, ruleset: Any
) -> None:
    """'--next' without --save: Ctrl-C at the next patient's first question, or between patients, says the
    session's count like q does (and the earlier result is cleared, scrollback too)."""
    from tests._keys import CALM, GATED_NO, keys_for

    keys = keys_for(ruleset, {**CALM, **GATED_NO})
    term = Term(["--next", "--lang", "en"], tmp_path / "home", 80, 24)
    term.expect("How old are you")
    term.send(keys)
    term.expect("clear the screen for the next patient")
    term.send(ENTER)
    term.expect("How old are you")
    term.send(CTRL_C)
    assert term.finish() == 130
    assert "\x1b[3J" in term.seen  # the scrollback went with the screen
    assert "Finished: 1 screening done in this session, 0 kept." in term.flat()
    assert "stopped before any answer; nothing was saved" in term.flat()

    term = Term(["--next", "--lang", "en"], tmp_path / "home2", 80, 24)
    term.expect("How old are you")
    term.send(keys)
    term.expect("clear the screen for the next patient")
    term.send(CTRL_C)
    assert term.finish() == 130
    screen = term.flat()
    assert "Finished: 1 screening done in this session, 0 kept." in screen
    assert "You can look after this yourself" not in screen  # the result did not stay for the next person


def test_intake_staff_working_in_spanish_get_the_history_in_spanish(tmp_path: Path, ruleset: Any) -> None:
    """No English left in 'history' for a clinic working in Spanish: headings, counts, refusals."""
    import json
    import os
    import subprocess

    env = {
        **{k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LANGUAGE", "STM_SCREEN_LANG")},
        "LANG": "es_MX.UTF-8",
        "LC_MESSAGES": "es_MX.UTF-8",
        "STM_SCREEN_HOME": str(tmp_path / "data"),
    }

    def tool(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)

    empty = tool("history", "list")
    assert empty.returncode == 0 and empty.stderr.strip() == "no hay evaluaciones guardadas"
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(dict(ruleset.examples[0].answers)), encoding="utf-8")
    assert tool("score", str(answers), "--save", "--patient", "MRN-9").returncode == 0
    listed = tool("history", "list")
    assert listed.stdout.split()[:5] == ["ID", "GUARDADA", "(UTC)", "PACIENTE", "REGLAS"]
    out = tmp_path / "h.csv"
    first = tool("history", "export", "-o", str(out))
    assert first.returncode == 0 and first.stderr.strip() == f"se exportó 1 evaluación a {out}"
    again = tool("history", "export", "-o", str(out))
    assert again.returncode == 2 and "ya existe; use --force" in again.stderr
    purge = tool("history", "purge", "--before", "2020-01-01")
    assert "no hay evaluaciones guardadas antes de 2020-01-01T00:00:00Z" in purge.stderr
    for english in ("saved", "screening", "exported", "nothing"):
        assert english not in (empty.stderr + first.stderr + again.stderr + purge.stderr).replace(
            "stm-screen", ""
        ), english


def test_keys_typed_ahead_leave_nothing_on_screen_and_the_terminal_echoes_again_after(
    tmp_path: Path, ruleset: Any
) -> None:
    """Intake staff type the answers faster than the screen draws: the keys typed between two prompts are
    still read, but the terminal does not echo them as stray characters; its echo is back at exit."""
    import pexpect

    term = Term(["--lang", "en"], tmp_path / "home", 100, 40, NO_COLOR="1")  # the echo in plain bytes
    term.expect("How old are you")
    # Each next key is sent as soon as the answer before it is on screen: while the tool saves that answer
    # and before the next prompt is drawn (when the terminal itself would echo it).
    term.send("35" + ENTER)
    term.expect(r"How old are you\? 35")
    term.send("2" + ENTER)
    term.expect(r"last 6 months\? No")
    term.send("1" + ENTER)
    term.expect(r"in months\? 1")
    term.send(" " + ENTER)
    term.expect(r"apply\. Lower back")
    term.send("2" + ENTER)
    term.expect(r"pain changed\? About the same")
    term.settle()
    stray = [row for row in rows(term) if row.strip().isdigit() or not row.strip(" \x1b[B")]
    assert not stray, stray
    assert "? (3/35) How long have you had this pain, in months? 1" in term.display()
    term.send(CTRL_C)
    assert term.finish() == 130

    env = {**term.child.env, "STM_SCREEN_HOME": str(tmp_path / "data2")} if term.child.env else None
    shell = pexpect.spawn(
        "/bin/sh", ["-c", f"'{SCRIPT}' --lang en; stty -a"], env=env, encoding="utf-8", timeout=20
    )
    shell.expect("How old are you")
    shell.sendintr()
    shell.expect(pexpect.EOF)
    settings = shell.before.split()
    assert "echo" in settings and "-echo" not in settings


def test_quiet_typeahead_turns_the_echo_off_on_a_terminal_only() -> None:
    import atexit
    import io
    import os
    import termios

    from stm_screen.prompt.ask import quiet_typeahead

    master, slave = os.openpty()
    try:
        with open(slave, closefd=False) as stream:
            assert termios.tcgetattr(slave)[3] & termios.ECHO
            restore = quiet_typeahead(stream)
            assert restore is not None
            atexit.unregister(restore)
            assert not termios.tcgetattr(slave)[3] & termios.ECHO
            assert termios.tcgetattr(slave)[3] & termios.ISIG  # Ctrl-C still stops the questionnaire
            restore()
            assert termios.tcgetattr(slave)[3] & termios.ECHO
    finally:
        os.close(master)
        os.close(slave)
    assert quiet_typeahead(io.StringIO()) is None  # not a terminal: nothing to do, nothing raised


def test_an_unfinished_screening_is_offered_in_its_own_language_without_asking_the_language_again(
    tmp_path: Path,
) -> None:
    """A patient who chose Spanish and stopped is offered to continue in Spanish at once: the language menu
    is not shown again (the stopped screening's language is kept in its resume file)."""
    home = tmp_path / "home"
    env = {"LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": "", "STM_SCREEN_LANG": ""}  # none chosen
    term = Term(["--patient", "MRN-5"], home, 80, 24, **env)
    term.expect("Language / Idioma")
    term.send("2" + ENTER)
    term.expect("Qué edad tiene")
    term.send("50" + ENTER)
    term.expect("Está embarazada")
    term.send(CTRL_C)
    assert term.finish() == 130
    term = Term(["--patient", "MRN-5"], home, 80, 24, **env)
    index = term.expect(["Tiene una evaluación sin terminar", "Language / Idioma"])
    assert index == 0
    term.send(ENTER)
    term.expect("Está embarazada")
    assert "Idioma" not in term.seen
    term.send(CTRL_C)
    assert term.finish() == 130


def test_plain_mode_wraps_the_line_typed_on_between_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """TERM=dumb or --plain at 60 columns: the hint before the typed answer ('Type the numbers of all that
    apply, like 1,3 (Enter keeps 1,2; 0 for none): ') wraps between words; the answer is typed on its
    last line."""
    import io

    from stm_screen.prompt.ask import Option, PlainPrompter

    monkeypatch.setenv("COLUMNS", "60")
    out = io.StringIO()
    prompts: list[str] = []

    def read_line(prompt: str) -> str:
        prompts.append(prompt)
        out.write(prompt + "\n")  # as the terminal shows it
        return ""

    options = [Option("a", "Lower back"), Option("b", "Neck or shoulder"), Option("c", "Somewhere else")]
    picked = PlainPrompter(out=out, read_line=read_line).multi("Where is the pain?", options, frozenset("ab"))
    assert picked == frozenset("ab")
    shown = out.getvalue().splitlines()
    assert all(len(line) < 60 for line in shown), shown
    assert "Type the numbers of all that apply, like 1,3 (Enter keeps 1,2; 0 for none):" in " ".join(shown)
    assert prompts[0].endswith(": ") and len(prompts[0]) < 60


def test_messages_wrap_between_words_only_on_a_terminal_that_says_its_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A log or a pipe gets each message on one line; a terminal of 40 columns gets it wrapped between
    words; a terminal that does not say its size (0 columns, as under 'script') is not wrapped to nothing."""
    import fcntl
    import io
    import os
    import struct
    import termios

    from stm_screen.cli import errors

    message = "the questionnaire needs a terminal to type in; to score answers from a file use 'stm-screen score'"

    def said(columns: int | None) -> str:
        master, slave = os.openpty()
        try:
            if columns is not None:
                fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
            stream = io.TextIOWrapper(io.FileIO(slave, "w", closefd=False), write_through=True)
            monkeypatch.setattr(sys, "stderr", stream)
            errors.say_error(message)
            return os.read(master, 4096).decode().replace("\r\n", "\n")
        finally:
            os.close(master)
            os.close(slave)

    assert said(None) == f"stm-screen: {message}\n"  # size 0: unknown
    wrapped = said(40).splitlines()
    assert len(wrapped) > 2 and all(len(line) < 40 for line in wrapped)
    assert " ".join(wrapped) == f"stm-screen: {message}"
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    errors.say_error(message)
    assert piped.getvalue() == f"stm-screen: {message}\n"


def test_going_back_shows_the_question_once_not_beside_its_old_answer(tmp_path: Path) -> None:
    """'<' goes back to the last question: it is asked again in place of its old answer's echo, so the
    screen never shows the same question twice with two different answers."""
    from tests._keys import DOWN

    term = Term(["--lang", "en"], tmp_path / "home", 60, 24)
    term.expect("How old are you")
    term.send("40" + ENTER)
    term.expect("Are you pregnant")
    term.send("2" + ENTER)
    term.expect("How long have you had this pain")
    term.send("6" + ENTER)
    term.expect("Somewhere else")
    term.send(" " + ENTER)  # lower back
    term.expect("how has the pain changed")
    term.send("<")
    term.expect("Somewhere else")
    term.settle()
    assert term.display().count("Where is the pain") == 1
    term.send(DOWN + " " + ENTER)  # and the upper back
    term.expect("how has the pain changed")
    term.settle()
    screen = term.display()
    assert screen.count("Where is the pain") == 1
    assert "Lower back, Upper or middle back" in screen
    assert "? (3/35) How long have you had this pain, in months? 6" in screen  # the answer before stays
    term.send(CTRL_C)
    assert term.finish() == 130


def test_the_next_patients_reference_is_typed_on_a_line_with_room_at_60_columns(
    tmp_path: Path, ruleset: Any
) -> None:
    from tests._keys import CALM, GATED_NO, keys_for

    term = Term(["--lang", "en", "--next", "--patient", "MRN-1"], tmp_path / "home", 60, 20, NO_COLOR="1")
    term.expect("How old are you")
    term.send(keys_for(ruleset, {**CALM, **GATED_NO}))
    term.expect("Next patient's reference")
    term.send("John Smith" + ENTER)
    term.expect("never a name")
    term.expect("Next patient's reference")
    term.settle()
    screen = rows(term)
    assert "  John Smith" in screen  # on a line of its own, never cut at the edge
    assert "Sorry: a patient reference is a record number" in term.flat()
    assert "Not accepted" not in term.flat()
    term.send("\x15MRN-2" + ENTER)
    term.expect("Patient reference: MRN-2")
    term.send(CTRL_C)
    assert term.finish() == 130


def test_an_urgent_warning_in_spanish_keeps_its_band_within_60_columns(tmp_path: Path) -> None:
    """The urgent line is drawn as a band (a space each side): it wraps two columns sooner, so no line of
    the band spills over the edge and leaves a gap in the warning."""
    term = Term(["--lang", "es"], tmp_path / "home", 60, 24)
    term.expect("Qué edad tiene")
    for keys, next_words in [
        ("40", "Está embarazada"),
        ("2", "Desde hace cuánto"),
        ("6 meses", "Dónde tiene el dolor"),
        (" ", "cómo ha cambiado"),
        ("2", "de 0 a 10"),
        ("5", "costarle orinar"),
    ]:
        term.send(keys + ENTER)
        term.expect(next_words)
    term.send("1" + ENTER)
    term.expect("Detenerme aquí")
    term.settle()
    screen = rows(term)
    (first,) = [n for n, row in enumerate(screen) if "Por favor, lea esto ahora" in row]
    assert "las heces" in screen[first + 1]  # the band's second line follows at once
    assert all(len(row) <= 59 for row in screen)
    term.send(CTRL_C)
    assert term.finish() == 130


def test_a_safety_section_says_urgent_help_comes_at_once_once(ruleset: Any) -> None:
    """pt-screen's safety intro already says some answers will tell the person to get help straight away:
    the tool's own sentence is said only for a safety section without an intro of its own."""
    import io

    from stm_screen.prompt.ask import PlainPrompter
    from stm_screen.prompt.flow import Flow
    from stm_screen.prompt.questionnaire import Questionnaire
    from stm_screen.rules.loader import load_ruleset

    def intro(rules: Any) -> str:
        out = io.StringIO()
        q = next(q for q in rules.questions if q.section and rules.sections[q.section].safety)
        Questionnaire(Flow(rules), PlainPrompter(out=out)).intro(q)
        return " ".join(out.getvalue().split())

    bundled = intro(ruleset)
    assert "Some answers will tell you to get help straight away." in bundled
    assert "you will be told straight away" not in bundled
    bare = intro(load_ruleset(Path(__file__).parent / "data" / "minimal.yaml"))
    assert "If an answer means you need urgent help, you will be told straight away what to do." in bare


def test_going_back_over_a_section_wipes_what_came_after_the_question(tmp_path: Path) -> None:
    """A new user's run: '<' twice from the first safety question left the 'Safety check' heading, its
    note and an answered question on screen above the question asked again. Going back now wipes
    everything printed since that question was asked (where it is all still on the screen); the heading is
    said again when its section comes again."""
    term = Term(["--lang", "en"], tmp_path / "home", 80, 40)
    term.expect("How old are you")
    for keys, next_words in [
        ("70", "Are you pregnant|How long"),
        ("8", "Where is the pain"),
        (" ", "how has the pain changed"),
        ("2", "how bad has the pain been"),
        ("7", "trouble passing urine|bladder"),
    ]:
        term.send(keys + ENTER)
        term.expect(next_words)
    term.settle()
    assert "Safety check" in term.display()
    term.send("<")  # back to the pain question from the first safety question
    term.expect("how bad has the pain been")
    term.settle()
    shown = term.display()
    assert "Safety check" not in shown and shown.count("how bad has the pain been") == 1
    term.send("\x15" + "5" + ENTER)  # answered again (the old answer is in the box: cleared first)
    term.expect("Safety check")
    term.settle()
    assert term.display().count("Safety check") == 1
    term.send(CTRL_C)
    assert term.finish() == 130


def _steps(term: Term, steps: list[tuple[str, str]]) -> None:
    """For each step: wait for its words on the screen, let the screen settle, then send its keys."""
    for wait, keys in steps:
        term.expect(wait)
        term.settle()
        term.send(keys)


def test_going_back_on_a_small_screen_never_blanks_what_is_left(tmp_path: Path) -> None:
    """At 40x24, a tall list (the safety question with its help) had scrolled the earlier answers off the
    screen: going back wiped what was left of it (found in review). Now going back wipes only when
    everything since that question is still on the screen; otherwise the earlier answers stay."""
    term = Term(["--lang", "en"], tmp_path / "home", 40, 24)
    _steps(term, [
        ("How old are you", "40" + ENTER),
        ("pregnant", "2" + ENTER),
        ("months", "12" + ENTER),
        ("Choose", " " + ENTER),
        ("changed", "2" + ENTER),
        ("average", "5" + ENTER),
        ("bladder", "4" + ENTER),  # help
        ("Help:", "<"),
    ])  # (single words: a question wraps at 40 columns)
    term.expect("average")
    term.settle()
    shown = [row for row in term.display().split("\n") if row.strip()]
    assert len(shown) > 8  # the screen is not left with the question alone
    term.send(CTRL_C)
    assert term.finish() == 130


def test_a_word_typed_at_an_arrow_key_list_chooses_it(tmp_path: Path) -> None:
    """A new user's run: typing "yes" or "no" at an arrow-key list did nothing, and Enter then showed the
    help (the pointer starts there). The letters now move the pointer to the choice they spell; Enter
    takes it ("no" is No, not "Not sure"; "not" is Not sure)."""
    term = Term(["--lang", "en"], tmp_path / "home", 80, 30)
    _steps(term, [
        ("How old are you", "40" + ENTER),
        ("pregnant", "no" + ENTER),
        ("months", "12" + ENTER),
        ("Choose", " " + ENTER),
        ("changed", "about" + ENTER),
        ("average", "5" + ENTER),
        ("bladder", "not" + ENTER),
    ])
    term.expect("7/")  # the next question
    term.settle()
    flat = term.flat()
    assert "in the last 6 months? No" in flat
    assert "About the same" in flat  # the trend list is gone: this is its answer
    assert flat.count("Not sure") >= 2  # the bladder question's answer, and the list now asked
    assert "Help:" not in flat
    term.send(CTRL_C)
    assert term.finish() == 130


@pytest.mark.parametrize(
    ("lang", "where", "hint", "keys"),
    [
        ("en", "Where is the pain", ["(Space to tick, Enter when done;", "? help < back)"], "6"),
        ("es", "Dónde tiene el dolor", ["(Espacio para marcar, Enter al", "terminar; ? ayuda < volver)"], "6 meses"),
    ],
)
def test_the_key_hint_of_a_tick_list_wraps_between_words_at_40_columns(
    tmp_path: Path, lang: str, where: str, hint: list[str], keys: str
) -> None:
    """At 40 columns the hint under a tick list is too long for a line: it wraps between words (before, the
    terminal cut it at its edge: '? hel' / 'p < back'), and a key stays beside its word ('? help')."""
    term = Term(["--lang", lang], tmp_path / "home", 40, 24)
    term.expect("How old are you" if lang == "en" else "Qué edad tiene")
    for typed in ("40", "2", keys):
        term.send(typed + ENTER)
    term.expect(where)
    term.expect("<")
    term.settle()
    screen = [row.strip() for row in rows(term)]
    for part in hint:
        assert part in screen, (part, screen)
    assert all(len(row) < 40 for row in rows(term))  # wrapped before the edge, not by the terminal
    term.send(CTRL_C)
    assert term.finish() == 130
