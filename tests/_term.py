"""A real terminal for end-to-end tests: the installed ``stm-screen`` in a pseudo-terminal of a given
size (pexpect), its output drawn by a terminal emulator (pyte), so that a test can read the screen a
person sees, not only the stream of bytes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pexpect
import pyte

SCRIPT = Path(sys.executable).parent / "stm-screen"


class Term:
    def __init__(
        self, args: list[str], home: Path, cols: int = 80, rows: int = 24, cwd: Path | None = None, **env: str
    ) -> None:
        environ = {
            k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES", "ACCESSIBLE")
        }
        environ.update(
            {
                "STM_SCREEN_HOME": str(home / "data"),
                "HOME": str(home),
                "TERM": "xterm-256color",
                "PROMPT_TOOLKIT_NO_CPR": "1",  # pexpect does not answer cursor-position requests
                **env,
            }
        )
        home.mkdir(parents=True, exist_ok=True)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.Stream(self.screen)
        self.child: pexpect.spawn[Any] = pexpect.spawn(
            str(SCRIPT), args, env=environ, encoding="utf-8", timeout=20, dimensions=(rows, cols),
            cwd=str(cwd or home),
        )  # fmt: skip
        self.seen = ""

    def expect(self, pattern: str | list[Any], timeout: float = 20) -> int:
        index = int(self.child.expect(pattern, timeout=timeout))
        self._feed(self.child.before + (self.child.after if isinstance(self.child.after, str) else ""))
        return index

    def _feed(self, text: str) -> None:
        self.seen += text
        self.stream.feed(text)

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def sendline(self, line: str) -> None:
        self.child.sendline(line)

    def finish(self, timeout: float = 20) -> int:
        """Read to the end; the exit status."""
        self.child.expect(pexpect.EOF, timeout=timeout)
        self._feed(self.child.before or "")
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)

    def settle(self, timeout: float = 0.3) -> None:
        """Read what is already written (nothing is expected)."""
        pending, self.child.buffer = self.child.buffer, ""  # read by pexpect, past the last match
        # pexpect also keeps that text as the start of the next 'before': drop it, or it is drawn twice.
        self.child._before = self.child.buffer_type()
        self._feed(pending)
        try:
            while True:
                self._feed(self.child.read_nonblocking(65536, timeout=timeout))
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass

    def display(self) -> str:
        """The screen as the person sees it, one line per row."""
        return "\n".join(line.rstrip() for line in self.screen.display)

    def flat(self) -> str:
        """The screen's words on one line (wrapped lines joined), for containment checks."""
        return " ".join(self.display().split())
