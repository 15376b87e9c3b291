"""Regenerate (or check) the README's transcripts from the installed tool: never edited by hand.

A transcript is a fenced block right after a ``<!-- transcript -->`` line. Its ``$ `` lines are commands,
run here in the repository's root with the ``stm-screen`` of this Python's environment first on PATH, 80
columns, no colour and no locale country (so the default emergency text); everything after a command up
to the next one is replaced by what it printed (standard output and error, as a terminal shows them;
the checkout's own path is left out, so the text is the same in any clone).

    python docs/readme_transcripts.py          # rewrite README.md
    python docs/readme_transcripts.py --check  # exit 1 when a transcript is out of date
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARK = "<!-- transcript -->"
BLOCK = re.compile(re.escape(MARK) + r"\n```\n(.*?)```\n", re.S)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "STM_SCREEN"))}
    # English from the locale (LC_MESSAGES=en, no country): the questionnaire does not offer its language menu.
    env.update({"COLUMNS": "80", "NO_COLOR": "1", "LANG": "C.UTF-8", "LC_MESSAGES": "en", "TERM": "dumb"})
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["STM_SCREEN_HOME"] = str(ROOT / ".transcript-home")
    return env


def run(command: str) -> str:
    done = subprocess.run(
        ["bash", "-c", f"{{ {command}\n}} 2>&1"],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout.replace(f"{ROOT}{os.sep}", "")


def render(block: str) -> str:
    commands = [line[2:] for line in block.splitlines() if line.startswith("$ ")]
    out = []
    for command in commands:
        out.append(f"$ {command}\n")
        text = run(command)
        out.append(text if text.endswith("\n") or not text else text + "\n")
    return "".join(out)


QUESTIONNAIRE = re.compile(r"<!-- questionnaire: (.*?) -->\n```\n(.*?)```\n", re.S)


def questionnaire(spec: str) -> str:
    """A real run of ``stm-screen screen`` in a pseudo-terminal: ``OPTIONS | answer | answer ...``; each
    answer is typed when the tool waits for one (the run ends at the first answer left)."""
    import pexpect

    options, *answers = [part.strip() for part in spec.split("|")]
    home = ROOT / ".transcript-home"
    import shutil

    shutil.rmtree(home, ignore_errors=True)
    env = _env()
    child = pexpect.spawn(
        "stm-screen", ["screen", *options.split()], env=env, cwd=str(ROOT), encoding="utf-8",
        dimensions=(24, 80), timeout=20,
    )  # fmt: skip
    log: list[str] = []
    for answer in answers:
        child.expect(r": $")
        log.append(child.before + child.after + answer + "\n")
        child.sendline(answer)
    child.expect(r": $")
    log.append(child.before + child.after + "\n")
    child.terminate(force=True)
    shutil.rmtree(home, ignore_errors=True)
    text = "".join(log).replace("\r\n", "\n").replace("\r", "")
    lines = [line for line in text.split("\n")]
    # What was typed is echoed by the terminal: keep one copy, on the prompt's own line.
    out = []
    for line in lines:
        if out and line and out[-1].endswith(": " + line):
            continue
        out.append(line)
    return "$ stm-screen screen " + options + "\n" + "\n".join(out).rstrip("\n") + "\n"


def regenerate(text: str) -> str:
    text = QUESTIONNAIRE.sub(
        lambda m: f"<!-- questionnaire: {m.group(1)} -->\n```\n{questionnaire(m.group(1))}```\n", text
    )
    return BLOCK.sub(lambda m: f"{MARK}\n```\n{render(m.group(1))}```\n", text)


def main() -> int:
    text = README.read_text(encoding="utf-8")
    new = regenerate(text)
    if "--check" in sys.argv[1:]:
        if new != text:
            print("README.md: transcripts are out of date; run python docs/readme_transcripts.py")
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
