"""Rich consoles, created only when a command needs one (never at import time)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console


def dumb_terminal() -> bool:
    """TERM=dumb (an editor's shell, say): a terminal that takes no escape sequences, only lines."""
    return os.environ.get("TERM", "") == "dumb"


def plain_reason(stream_is_tty: bool, forced: bool = False) -> str | None:
    """Why output is plain (numbered choices, no boxes or redraws), or None when it is not: asked for
    (--plain), the ACCESSIBLE environment variable (the convention of gh and charm's huh), TERM=dumb, or not
    a terminal. NO_COLOR only removes colour."""
    if forced:
        return "--plain"
    if os.environ.get("ACCESSIBLE", "").strip() not in ("", "0", "false"):
        return "ACCESSIBLE"
    if dumb_terminal():
        return "TERM=dumb"
    if not stream_is_tty:
        return "not a terminal"
    return None


def plain_wanted(stream_is_tty: bool, forced: bool = False) -> bool:
    """Plain output: asked for, ACCESSIBLE set, TERM=dumb, or not a terminal (not NO_COLOR: colour only)."""
    return plain_reason(stream_is_tty, forced) is not None


def colour_wanted() -> bool:
    """Colour unless NO_COLOR is set (https://no-color.org: any value)."""
    return "NO_COLOR" not in os.environ


def make_console(file: TextIO | None = None, stderr: bool = False, width: int | None = None) -> Console:
    """A Rich console whose text is cleaned of control characters (render.safe), writing its own colours
    to the real stream."""
    import sys

    from stm_screen.render.safe import raw_stream, safe_console_class

    if file is not None:
        file = raw_stream(file)
    elif raw_stream(sys.stderr if stderr else sys.stdout) is not (sys.stderr if stderr else sys.stdout):
        file = raw_stream(sys.stderr if stderr else sys.stdout)
    console_class = safe_console_class()
    height = None
    if width is not None or dumb_terminal():
        # Rich sizes a dumb terminal as 80x25 whatever its real width, unless it is given both a width and
        # a height: give both, from the terminal (or COLUMNS/LINES), so a narrow window is followed.
        import shutil

        size = shutil.get_terminal_size((80, 25))
        width = width if width is not None else size.columns
        height = size.lines
    return console_class(file=file, stderr=stderr, width=width, height=height, highlight=False, soft_wrap=False)
