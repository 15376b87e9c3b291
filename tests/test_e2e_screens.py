"""What a patient and intake staff see: the installed ``stm-screen`` in real pseudo-terminals of 80x24,
100x20 and 60x30, its screen drawn by a terminal emulator (``tests/_term.py``) and read as a person would.

Few and fast: each test runs the questionnaire once or twice, answering as a person does with the keys of
``tests/_keys.py`` (arrow-key prompts, as most people get them)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests._keys import CALM, DOWN, ENTER, GATED_NO, asked, key_for
from tests._term import SCRIPT, Term

pytestmark = [
    pytest.mark.skipif(not SCRIPT.exists(), reason="the stm-screen console script is not installed"),
    pytest.mark.skipif(sys.platform == "win32", reason="pexpect needs a POSIX pseudo-terminal"),
]

PT = {  # four reasons: "Seeing a physical therapist is recommended"
    **CALM,
    **GATED_NO,
    "pain_duration_months": 8,
    "activity_limitation": 5,
    "tightness_trigger_points": True,
    "recurrent_flare_ups": True,
}


def first_words(text: str, n: int = 5) -> str:
    return " ".join(str(text).split()[:n])


def answer(term: Term, ruleset: Any, answers: dict[str, Any], until: str | None = None) -> None:
    """Answer each question as it appears (its first words are waited for), up to ``until``."""
    for q in asked(ruleset, answers):
        term.expect(first_words(q.text, 4).replace("?", r"\?").replace("(", r"\(").replace(")", r"\)"))
        term.send(key_for(q, answers[q.id]))
        if q.id == until:
            return


def test_pt_result_at_80x24_ends_with_the_summary_and_the_offer_of_a_copy(
    tmp_path: Path, ruleset: Any
) -> None:
    term = Term(["--patient", "MRN-0042"], tmp_path / "home", 80, 24, TZ="Europe/Madrid")
    answer(term, ruleset, PT)
    term.expect("Please check your answers")
    term.expect("Show my result")
    term.send(ENTER)
    term.expect("No, thank you")
    term.settle()
    screen = term.flat()
    # the last screen: the headline, what to do (and how soon), who and when, then the offer of a copy
    assert "Seeing a physical therapist is recommended" in screen
    assert "What to do next" in screen and "in the next two weeks" in screen
    assert "Patient reference MRN-0042" in screen
    assert "CET (UTC+01:00)" in screen or "CEST (UTC+02:00)" in screen
    assert "Rules: pt-screen" not in screen and "sha256" not in screen  # for reports and JSON only
    assert "Would you like a copy of this result" in screen
    term.send(ENTER)  # the PDF, first choice
    assert term.finish() == 0
    screen = term.flat()
    assert "Seeing a physical therapist is recommended" in screen  # still on screen at the end
    assert "bring it with you" in screen
    (pdf,) = (tmp_path / "home").glob("pain-screening-MRN-0042-*.pdf")
    from pypdf import PdfReader

    text = " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())
    assert "Seeing a physical therapist is recommended" in text and "MRN-0042" in text


def test_emergency_at_100x20_leaves_what_to_do_and_how_soon_on_screen(tmp_path: Path, ruleset: Any) -> None:
    answers = {**PT, "bladder_bowel_change": True}
    term = Term(["screen"], tmp_path / "home", 100, 20)
    answer(term, ruleset, answers, until="bladder_bowel_change")
    term.expect("Stop here and show my result")
    term.send(ENTER)  # stop (the default in the arrow-key prompt)
    term.expect("No, thank you")
    term.send(DOWN * 2 + ENTER)
    assert term.finish() == 0
    screen = term.flat()
    assert "EMERGENCY" in screen and "New bladder or bowel problems" in screen
    assert "How soon: now" in screen
    assert "Go to an emergency department now" in screen
    assert "not a diagnosis" in screen


def test_questionnaire_at_60x30_words_back_and_multi_select(tmp_path: Path, ruleset: Any) -> None:
    term = Term(["screen"], tmp_path / "home", 60, 30)
    term.expect("How old are you")
    term.send("forty" + ENTER)
    term.expect("Are you pregnant")
    term.send("2" + ENTER)
    term.expect("How long have you had this pain")
    term.send("more than a few" + ENTER)
    term.expect("is not a number")
    term.settle()
    # the message wraps to the width instead of being cut: its end is on screen
    assert "(? for help, < to go back)" in term.flat()
    term.send("\x15" + "1.5 years" + ENTER)  # Ctrl-U, then a number with a unit
    term.expect("counted as 18 months")
    term.expect("Where is the pain")
    term.send(ENTER)  # nothing ticked: pain areas are required
    term.expect("please choose at least one answer")
    term.expect("Where is the pain")
    term.send(" " + ENTER)  # lower back
    term.expect("how has the pain changed")
    term.send("<")  # back: the question left behind does not stay on screen
    term.expect("Where is the pain")
    term.settle()
    assert "how has the pain changed" not in term.display()
    term.send(ENTER)  # keeps the ticks
    term.expect("how has the pain changed")
    term.settle()
    assert "Lower back" in term.display()  # the echo of the answer
    term.child.sendintr()
    assert term.finish() == 130


def test_next_and_save_stopped_at_patient_2_then_resumed(tmp_path: Path, ruleset: Any) -> None:
    """Intake staff: '--next --save'; patient 2 is stopped; following the tool's own hint keeps both."""
    home = tmp_path / "home"
    reports = tmp_path / "reports"
    reports.mkdir()
    term = Term(
        ["screen", "--next", "--save", "--patient", "MRN-1", "--report-dir", str(reports)], home, 80, 24
    )
    answer(term, ruleset, PT)
    term.expect("Show my result")
    term.send(ENTER)
    term.expect("Saved to the history as screening 1")
    term.expect("Next patient's reference")
    term.send("MRN-2" + ENTER)
    answer(term, ruleset, PT, until="pain_areas")
    term.expect("how has the pain changed")
    term.child.sendintr()
    term.expect(r"run:\s+(stm-screen[^\r\n]*)")
    hint = term.child.match.group(1).strip()
    assert term.finish() == 130
    assert hint == "stm-screen screen --resume"
    term = Term(hint.split()[1:], home, 80, 24)
    term.expect("Welcome back")
    rest = dict(PT)
    for q in asked(ruleset, rest):
        if q.order <= ruleset.by_id["pain_areas"].order:
            continue
        term.expect(first_words(q.text, 4).replace("?", r"\?").replace("(", r"\(").replace(")", r"\)"))
        term.send(key_for(q, rest[q.id]))
    term.expect("Show my result")
    term.send(ENTER)
    term.expect("Saved to the history as screening 2")  # --save came back with --resume
    term.expect("Next patient's reference")  # and so did --next
    term.send("q" + ENTER)
    term.expect("2 screenings done in this session|1 screening done in this session")
    assert term.finish() == 0
    listed = subprocess.run(
        [str(SCRIPT), "history", "list", "--format", "json"],
        capture_output=True,
        text=True,
        env={"STM_SCREEN_HOME": str(home / "data"), "PATH": "/usr/bin:/bin"},
        timeout=30,
        check=True,
    )
    rows = json.loads(listed.stdout)
    assert [r["patient"] for r in rows] == ["MRN-1", "MRN-2"]
    assert rows[1]["level_title"] == "Seeing a physical therapist is recommended"
    # --report-dir came back too: one PDF per patient, named by reference and time
    names = sorted(re.sub(r"-\d{4}-\d\d-\d\d-\d{4}\.pdf$", "", p.name) for p in reports.glob("*.pdf"))
    assert names == [
        "pain-screening-MRN-1",
        "pain-screening-MRN-2",
    ]


def test_an_unfinished_screening_is_offered_when_the_questionnaire_starts_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    term = Term(["--plain"], home, 80, 24)  # bare stm-screen takes the options of screen
    term.expect("Plain mode")
    term.expect("Your answer")
    term.sendline("40")
    term.expect("Type 1 or 2")  # are you pregnant: yes or no
    term.child.sendintr()
    assert term.finish() == 130
    term = Term(["--plain"], home, 80, 24)
    term.expect(r"You have an unfinished screening from \d\d:\d\d \(1 answer\)\. Continue it\?")
    term.expect("Type 1 or 2")
    term.sendline("1")
    term.expect("Welcome back: 1 answer restored")
    term.expect("Are you pregnant")
    term.child.sendintr()
    assert term.finish() == 130


def test_a_summary_of_many_warning_signs_fits_a_small_screen_and_keeps_an_emergency_whole(ruleset: Any) -> None:
    """The shortest summary says how soon on each sign's own line; an emergency's what-to-do is never cut."""
    from stm_screen.render.text import render_plain
    from stm_screen.screening import score_data

    many = {
        **ruleset.examples[0].answers,
        "age_years": 40,
        "pain_duration_months": 18,
        **dict.fromkeys(
            ("calf_swelling", "fever_or_unwell", "cancer_history", "unexplained_weight_loss",
             "night_pain", "major_trauma", "minor_trauma", "morning_stiffness"),
            True,
        ),
    }  # fmt: skip
    text = render_plain(score_data(ruleset, many), width=80, room=16)
    summary = text.split("\nSUMMARY\n")[1].splitlines()
    assert summary[0].startswith("▲ Please see a doctor before physical therapy")
    assert len(summary) <= 16
    assert any(line.startswith("• [SEE A DOCTOR] A painful or swollen calf. How soon: today") for line in summary)
    emergency = render_plain(score_data(ruleset, {**many, "bladder_bowel_change": True}), width=80, room=8)
    assert "Go to an emergency department now" in emergency.split("\nSUMMARY\n")[1]


def test_enter_alone_on_a_yes_no_or_choice_question_records_nothing(tmp_path: Path) -> None:
    """A tired patient presses Enter without choosing: the help is shown and the question asked again; no
    'Yes' (or first choice) is recorded for them."""
    term = Term(["--lang", "en"], tmp_path / "home", 80, 24)
    term.expect("How old are you")
    term.send("40" + ENTER)
    term.expect("Are you pregnant")
    term.expect("Back to the previous question")
    term.send(ENTER)
    term.expect("It is not a warning sign in itself")  # its help
    term.expect("Are you pregnant")
    term.expect("Back to the previous question")
    term.settle()
    assert "Are you pregnant, or have you had a baby in the last 6 months? Yes" not in term.flat()
    term.send("2" + ENTER)
    term.expect("How long have you had this pain")
    term.send("8" + ENTER)
    term.expect("Where is the pain")
    term.send(" " + ENTER)
    term.expect("how has the pain changed")
    term.expect("Back to the previous question")
    term.send(ENTER)
    term.expect("Help: ")
    term.expect("how has the pain changed")
    term.expect("Back to the previous question")
    term.settle()
    assert "Getting better" in term.display()  # offered, not taken
    assert "how has the pain changed? Getting better" not in term.flat()
    term.child.sendintr()
    assert term.finish() == 130
    saved = json.loads(next((tmp_path / "home" / "data").glob("resume-*.json")).read_text(encoding="utf-8"))
    assert "pain_trend" not in json.dumps(saved) and saved["answers"]["pregnant"] is False


@pytest.mark.parametrize("accessible", [False, True])
def test_at_60x20_the_headline_and_what_to_do_are_on_screen_after_the_offer_of_a_copy(
    tmp_path: Path, ruleset: Any, accessible: bool
) -> None:
    """The summary scrolls off a small screen while the copy is offered: the headline and the first step
    (how soon) are said again after it, under the line that says where the copy is."""
    from tests._keys import plain_lines

    env = {"ACCESSIBLE": "1"} if accessible else {}
    term = Term(["--lang", "en"], tmp_path / "home", 60, 20, **env)
    if accessible:
        for line in plain_lines(ruleset, PT):
            term.sendline(line)
        term.sendline("")  # the review: show my result
        term.expect("Type a number from 1 to 3")
        term.sendline("1")
    else:
        answer(term, ruleset, PT)
        term.expect("Show my result")
        term.send(ENTER)
        term.expect("No, thank you")
        term.send(ENTER)  # the PDF
    assert term.finish() == 0
    screen = term.flat()
    assert "bring it with you" in screen
    assert "Your result, once more: " in screen
    assert "Seeing a physical therapist is recommended" in screen
    assert "Try to book a physical therapy assessment in the next two weeks." in screen
    assert screen.endswith("It is a screening aid, not a diagnosis.")


def test_a_tired_patient_in_spanish_on_a_screen_reader_types_words_goes_back_stops_and_resumes(
    tmp_path: Path,
) -> None:
    """es_MX, ACCESSIBLE=1, TERM=dumb, NO_COLOR, 60x20: a choice is answered with a word of its label
    ('igual'), '<' goes back and Enter keeps the answer, Ctrl-C saves, --resume goes on where it stopped."""
    env = {"LANG": "es_MX.UTF-8", "LC_MESSAGES": "es_MX.UTF-8", "ACCESSIBLE": "1", "TERM": "dumb"}
    env["NO_COLOR"] = "1"
    home = tmp_path / "home"
    term = Term(["screen"], home, 60, 20, **env)
    term.expect("¿Qué edad tiene?")
    term.expect("Su respuesta: ")
    term.sendline("35")
    term.expect("¿Está embarazada")
    term.expect("Escriba 1 o 2: ")
    term.sendline("no")
    term.expect("¿Desde hace cuánto tiene este dolor")
    term.expect("Su respuesta: ")
    term.sendline("hace un año")
    term.expect("se cuenta como 12 meses")
    term.expect("ejemplo 1,3: ")  # pain areas need an answer: no "0 para ninguna"
    term.sendline("1")
    term.expect("¿cómo ha cambiado el")
    term.expect("Escriba un número del 1 al 3: ")
    term.sendline("igual")  # a word of 'Sigue más o menos igual'
    term.expect("un número entero de 0 a 10")
    term.expect("Su respuesta: ")
    term.sendline("<")
    term.expect("¿cómo ha cambiado el")
    term.expect(r"Escriba un número del 1 al 3 \(Enter deja el 2\): ")  # the answer given is kept
    term.sendline("")
    term.expect("un número entero de 0 a 10")
    term.expect("Su respuesta: ")
    term.child.sendintr()
    assert term.finish() == 130
    assert "sus 5 respuestas están guardadas" in term.flat()
    term = Term(["screen", "--resume"], home, 60, 20, **env)
    term.expect("se recuperaron 5")
    term.expect("un número entero de 0 a 10")
    term.expect("Su respuesta: ")
    term.settle()
    assert "\x1b" not in term.seen  # TERM=dumb, NO_COLOR: no escape sequences
    term.child.sendintr()
    assert term.finish() == 130


def test_score_on_a_small_terminal_keeps_the_headline_on_the_last_screen(tmp_path: Path) -> None:
    """`score` in a terminal of 80x24 with several warning signs, two of them emergencies left open: the
    summary says less (the other signs by title and how soon) so that its headline and the emergencies'
    advice are on the screen the person is left with (they had scrolled off: `score` did not measure the
    terminal, as `screen` does)."""
    from stm_screen.screening import load_rules

    answers = {**load_rules(None).examples[0].answers, "both_legs_symptoms": True, "progressive_weakness": "unsure"}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    term = Term(["score", str(path)], tmp_path / "home", 80, 24)
    assert term.finish() == 0
    screen = term.flat()
    assert "Please see a doctor before physical therapy" in screen
    assert "If this fits you: Go to an emergency department now" in screen
    assert "What to do for each one is in the details above" in screen


def test_three_emergencies_at_80x24_keep_the_headline_and_each_ones_advice_on_screen(tmp_path: Path) -> None:
    """Three emergencies at once (bladder, stroke signs, acting on thoughts of self-harm) in `score` at
    80x24: each one's advice is said in full, and the summary drops the 'How soon: now' under them (their
    advice and tag say now), so that the headline is still on the last screen (it had scrolled off)."""
    from stm_screen.screening import load_rules

    answers = {
        **load_rules(None).examples[0].answers,
        "bladder_bowel_change": True,
        "stroke_signs": True,
        "self_harm_thoughts": True,
        "self_harm_danger": True,
    }
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    term = Term(["score", str(path)], tmp_path / "home", 80, 24)
    assert term.finish() == 0
    screen = term.flat()
    assert "Urgent: please act on the advice below" in screen
    for advice in ("base of the spine", "blood supply to the brain", "keep away from anything you could use"):
        assert advice in screen, advice
    assert "How soon: now" not in screen  # said above, in the details
