"""The one terminal sanitiser: text from rules files, answers, exports and the history store never reaches a
terminal raw.

Control characters and escape sequences can hide a warning sign (``ESC [8m`` conceals text, a CR or
backspaces overwrite it, a right-to-left override reverses it) or act on the terminal (``ESC ]52``
writes the clipboard). :func:`clean` removes them: C0 controls but line feed and tab, DEL, the C1 controls
(8-bit CSI among them), and the Unicode direction and line-separator controls. It is applied on every path
to a terminal, before anything is printed:

- :class:`TerminalStream` wraps standard output and standard error when they are terminals (installed by the
  entry point, ``cli.main``), so plain writes, CSV and JSON printed to a terminal, and notes are cleaned;
- :class:`SafeConsole` (every Rich console, from ``render.console.make_console``) cleans the text of what
  it renders and writes its own colours to the real stream;
- the questionnaire's prompters clean each message before they style it.

Files and pipes get the data as it is (a CSV written to a file keeps its exact bytes); messages on stderr
show control characters as escapes instead (``cli.errors.say_error``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.segment import Segment

_UNSAFE_CHARS = [
    *range(0x00, 0x09),
    *range(0x0B, 0x20),
    *range(0x7F, 0xA0),
    0x061C,  # Arabic letter mark
    0x200E,
    0x200F,  # left-to-right and right-to-left marks
    *range(0x202A, 0x202F),  # embeddings and overrides
    *range(0x2066, 0x206A),  # isolates
    0x2028,
    0x2029,  # line and paragraph separators
    0xFEFF,
]
_TABLE: dict[int, None] = dict.fromkeys(_UNSAFE_CHARS)
_UNSAFE = re.compile("[" + "".join(f"\\U{c:08x}" for c in _UNSAFE_CHARS) + "]")


def clean(text: str) -> str:
    """``text`` without the characters a terminal would act on (line feeds and tabs are kept)."""
    if _UNSAFE.search(text) is None:
        return text
    return text.translate(_TABLE)


def is_clean(text: str) -> bool:
    return _UNSAFE.search(text) is None


class TerminalStream:
    """A text stream to a terminal whose writes are cleaned; everything else is the real stream's."""

    def __init__(self, raw: IO[str]) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(clean(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for text in lines:
            self.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    def __iter__(self) -> Iterator[str]:  # pragma: no cover - an output stream
        return iter(self.raw)


def raw_stream(stream: Any) -> Any:
    """The real stream under a :class:`TerminalStream` (for the tool's own escape sequences)."""
    return stream.raw if isinstance(stream, TerminalStream) else stream


def guard_terminals() -> None:
    """Wrap standard output and standard error in a :class:`TerminalStream` when they are terminals."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, TerminalStream):
            continue
        try:
            tty = stream.isatty()
        except (ValueError, OSError, AttributeError):
            continue
        if tty:
            setattr(sys, name, TerminalStream(stream))


def safe_console_class() -> type[Console]:
    """A Rich Console whose rendered text is cleaned (its own colours and cursor moves are kept)."""
    from rich.console import Console

    global _SAFE_CONSOLE
    if _SAFE_CONSOLE is not None:
        return _SAFE_CONSOLE
    from rich.segment import Segment

    class SafeConsole(Console):
        def render(self, renderable: RenderableType, options: Any = None) -> Iterable[Segment]:
            for segment in super().render(renderable, options):
                if segment.control is None and not is_clean(segment.text):
                    yield Segment(clean(segment.text), segment.style)
                else:
                    yield segment

    _SAFE_CONSOLE = SafeConsole
    return SafeConsole


_SAFE_CONSOLE: type[Console] | None = None
