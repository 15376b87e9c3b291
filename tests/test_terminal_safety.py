"""Control characters and escape sequences from data never reach a terminal raw (issue 10, point 2).

A rules file, an answers file, a survey export and a history store edited by another program carry
payloads that would conceal text (``ESC [8m``), write the clipboard (``ESC ]52``), ring or move the cursor,
overwrite a line (CR, backspace), or reverse it (a right-to-left override). Every command that prints them
runs in a real terminal (a pseudo-terminal), and its output must hold none of them, while the words around
them still show. A rules file that holds them is refused where it is read (FILE:LINE and the character's
code point, ``stm_screen.io.yamlfile``), so its text never reaches a view; the terminal gets none of it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from stm_screen.render.safe import clean

ROOT = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).with_name("stm-screen"))
PAYLOADS = {
    "conceal": "\x1b[8m",
    "clipboard": "\x1b]52;c;SGVsbG8=\x07",
    "csi8": "\x9b2J",
    "overwrite": "\r",
    "backspace": "\x08\x08",
    "rtl": "\u202e",
    "isolate": "\u2066",
    "bell": "\x07",
}
BAD = ["\x1b", "\x9b", "\x07", "\x08", "\u202e", "\u2066"]  # never in the output (pty adds its own CRs)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")


def _evil(word: str) -> str:
    return "".join(PAYLOADS.values()) + word


def _rules(tmp_path: Path) -> Path:
    text = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
    for plain, marker in (
        ("title: Minimal test ruleset", "WORDTITLE"),
        ("title: Fever", "WORDFLAG"),
        ("message: See a doctor today.", "WORDMESSAGE"),
        ("{id: high, title: High, advice: See a PT.}", "WORDLEVEL"),
    ):
        key, _, _ = plain.partition(": ")
        if plain.startswith("{"):
            text = text.replace(plain, "{id: high, title: " + json.dumps(_evil(marker)) + ", advice: See a PT.}")
        else:
            text = text.replace(plain, f"{key}: {json.dumps(_evil(marker))}")
    path = tmp_path / "evil.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(args: list[str], home: Path, cwd: Path) -> str:
    env = {**os.environ, "STM_SCREEN_HOME": str(home), "TERM": "xterm-256color", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(EXE, args, env=env, encoding="utf-8", timeout=30, dimensions=(50, 100), cwd=str(cwd))
    out: str = child.read()
    child.close()
    return out


def _assert_clean(out: str, *words: str) -> None:
    for bad in BAD:
        assert bad not in out.replace("\x1b[", "").replace("\x1b]8;", ""), (repr(bad), out)  # Rich's colours
    assert "\x1b]" not in out  # no operating-system command (clipboard, title, hyperlink)
    assert "\x1b[8m" not in out
    flat = " ".join(out.split())  # messages on a terminal wrap between words
    for word in words:
        assert word in flat, (word, out)


def test_rules_text_is_refused_before_any_view(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({"months": 9, "stiff": True, "fever": True}), encoding="utf-8")
    home = tmp_path / "home"
    for args in (
        ["score", str(answers), "--rules", str(rules)],
        ["score", str(answers), "--rules", str(rules), "--format", "md"],
        ["rules", "show", str(rules)],
        ["rules", "show", str(rules), "--format", "json"],
        ["form", "export", "--format", "redcap", "--rules", str(rules)],
        ["form", "export", "--format", "fhir", "--rules", str(rules)],
    ):
        out = _run(args, home, tmp_path)
        _assert_clean(out, "evil.yaml:", "the text holds the invisible character U+")
        assert "WORD" not in out  # no view of the rules was printed


def test_export_cells_and_history_are_cleaned(tmp_path: Path) -> None:
    home = tmp_path / "home"
    export = tmp_path / "in.csv"
    rid = _evil("WORDID")
    export.write_text(
        "id,months,stiff,areas,neck_level,fever\n"
        + f'"{rid}",4,yes,back,,no\n'
        + f'"{rid}","{_evil("WORDVALUE")}",yes,back,,no\n',
        encoding="utf-8",
    )
    minimal = str(ROOT / "tests" / "data" / "minimal.yaml")
    for args in (["batch", str(export), "--rules", minimal], ["batch", str(export), "--rules", minimal, "-f", "jsonl"]):
        _assert_clean(_run(args, home, tmp_path), "WORDID", "WORDVALUE")
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({_evil("WORDKEY"): 1, "months": _evil("WORDANSWER")}), encoding="utf-8")
    _assert_clean(_run(["score", str(answers), "--rules", minimal], home, tmp_path), "WORDKEY", "WORDANSWER")
    good = ROOT / "docs" / "examples" / "answers.yaml"
    _run(["score", str(good), "--save", "--patient", "MRN-1"], home, tmp_path)
    _run(["score", str(good), "--save", "--patient", "MRN-2"], home, tmp_path)
    with sqlite3.connect(home / "history.sqlite3") as db:
        result: dict[str, Any] = json.loads(db.execute("SELECT result_json FROM screenings").fetchone()[0])
        result["title"] = _evil("WORDRESULT")
        # a column the tool writes itself holding an escape: a damaged row, named and left out
        db.execute(
            "UPDATE screenings SET patient_ref = ?, ruleset_id = ? WHERE id = 1",
            (_evil("WORDPATIENT"), _evil("WORDRULES")),
        )
        # a stored result's text holding one: shown, cleaned
        db.execute("UPDATE screenings SET result_json = ? WHERE id = 2", (json.dumps(result),))
    for args, words in (
        (["history", "list"], ["MRN-2", "screening 1 cannot be read"]),
        (["history", "list", "-f", "csv"], ["MRN-2", "screening 1 cannot be read"]),
        (["history", "list", "-f", "json"], ["MRN-2", "screening 1 cannot be read"]),
        (["history", "show", "2"], ["WORDRESULT"]),
        (["history", "show", "1"], ["screening 1 cannot be read"]),
    ):
        out = _run(args, home, tmp_path)
        _assert_clean(out, *words)
        assert "WORDPATIENT" not in out


def test_clean_keeps_words_line_feeds_and_tabs() -> None:
    assert clean("a\tb\nc" + "".join(PAYLOADS.values()) + "d") == "a\tb\nc[8m]52;c;SGVsbG8=2Jd"
    assert clean("Ümlaut ☺ 日本") == "Ümlaut ☺ 日本"


@pytest.mark.parametrize("plain", [True, False])
def test_the_questionnaire_refuses_rules_text_before_the_first_question(tmp_path: Path, plain: bool) -> None:
    text = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("text: How many months?", f"text: {json.dumps(_evil('WORDQUESTION'))}")
    text = text.replace("{id: back, label: Back}", "{id: back, label: " + json.dumps(_evil("WORDCHOICE")) + "}")
    text = text.replace("title: Minimal test ruleset", f"title: {json.dumps(_evil('WORDTITLE'))}")
    rules = tmp_path / "evil.yaml"
    rules.write_text(text, encoding="utf-8")
    env = {**os.environ, "STM_SCREEN_HOME": str(tmp_path / "home"), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    args = ["screen", "--rules", str(rules), *(["--plain"] if plain else [])]
    child = pexpect.spawn(EXE, args, env=env, encoding="utf-8", timeout=30, dimensions=(50, 100), cwd=str(tmp_path))
    seen = child.read()
    child.close()
    assert child.exitstatus == 2, seen
    for payload in ("\x1b]52", "\x1b[8m", "\u202e", "\u2066", "\x9b", "\x07"):
        assert payload not in seen, (repr(payload), seen)
    assert "the text holds the invisible character U+" in " ".join(seen.split()) and "WORD" not in seen


def test_notes_on_stderr_show_escapes_in_a_pipe_too(tmp_path: Path) -> None:
    """'wrote FILE' and 'exported N screenings to FILE' quote a file name that may hold escape sequences:
    shown as escapes also when stderr is a pipe (``2>&1 | tee log`` puts it on a terminal), as errors are."""
    import subprocess

    name = "a\x1b]52;c;SGVsbG8=\x07\x1b[31m\u202e\x9b2J"
    env = {**os.environ, "STM_SCREEN_HOME": str(tmp_path / "home"), "NO_COLOR": "1"}
    answers = str(Path(__file__).resolve().parent.parent / "docs" / "examples" / "answers.yaml")
    exe = [sys.executable, "-m", "stm_screen"]
    subprocess.run([*exe, "score", answers, "--save"], env=env, capture_output=True, check=True)
    runs = [
        ["form", "export", "csv", "-o", str(tmp_path / f"{name}.f")],
        ["history", "export", "-o", str(tmp_path / f"{name}.h")],
        ["history", "show", "1", "-o", str(tmp_path / f"{name}.s")],
    ]
    for args in runs:
        done = subprocess.run([*exe, *args], env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert "\\x1b]52" in done.stderr and "\\u202e" in done.stderr, args
        assert clean(done.stderr) == done.stderr, args  # nothing a terminal would act on
