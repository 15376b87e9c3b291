"""Rich consoles, created only when a command needs one (never at import time)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console


def plain_wanted(stream_is_tty: bool, forced: bool = False) -> bool:
    """Plain output: asked for, NO_COLOR set, TERM=dumb, or not a terminal."""
    return forced or not stream_is_tty or "NO_COLOR" in os.environ or os.environ.get("TERM", "") == "dumb"


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
    if width is not None or os.environ.get("TERM", "") == "dumb":
        # Rich sizes a dumb terminal as 80x25 whatever its real width, unless it is given both a width and
        # a height: give both, from the terminal (or COLUMNS/LINES), so a narrow window is followed.
        import shutil

        size = shutil.get_terminal_size((80, 25))
        width = width if width is not None else size.columns
        height = size.lines
    return console_class(file=file, stderr=stderr, width=width, height=height, highlight=False, soft_wrap=False)
