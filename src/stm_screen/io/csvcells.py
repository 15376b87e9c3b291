"""The one CSV cell writer: every CSV stm-screen writes (batch, rules diff, history list and export, form
export's template and REDCap dictionary) goes through :func:`cell`.

A spreadsheet that opens the file may run a cell as a formula, and one that guesses another delimiter, or
splits on line breaks, may cut a cell into several. So:

- a formula character (``= + - @``, tab or CR) that starts the cell, or starts any part of it after a
  character a spreadsheet could split on (``,`` ``;`` ``|`` tab, CR, LF, spaces between allowed), gets a
  ``'`` before it, which makes the part plain text. Text from files (ids, answers, messages, rules text)
  is always treated so, even ``-2``; only numbers stm-screen writes itself (an ``int``, a ``float`` or a
  :class:`Number`, such as a score or the REDCap dictionary's minimum ``-5``) are written as they are;
- a cell holding a quote, a delimiter any spreadsheet may guess (``,`` ``;`` ``|`` tab), a CR or LF, or
  spaces at either end is quoted, with quotes doubled.

JSON outputs keep values exact: only CSV is read by spreadsheets this way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import IO, Any

FORMULA = frozenset("=+-@\t\r")
SPLITS = ",;|\t\r\n"
_RISKY = re.compile(r"[,;|\t\r\n] *[=+\-@\t\r]")
_SPLIT = re.compile(r"[,;|\t\r\n]")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


class Number(str):
    """A number stm-screen wrote itself (never text from a file): written as it is, sign and all."""

    __slots__ = ()
_QUOTE = re.compile(r'["\r\n,;|\t]|^ | $')


def neutral(text: str) -> str:
    """``text`` with every part a spreadsheet could run as a formula made plain text (see the module)."""
    if not text:
        return text
    if text[0] not in FORMULA and text.lstrip(" ")[:1] not in FORMULA and not _RISKY.search(text):
        return text
    starts = [0, *(m.end() for m in _SPLIT.finditer(text))]
    marks: list[int] = []
    for start in starts:
        q = start
        while q < len(text) and text[q] == " ":
            q += 1
        if q >= len(text) or text[q] not in FORMULA:
            continue
        if not marks or marks[-1] != q:
            marks.append(q)
    if not marks:
        return text
    out = []
    last = 0
    for q in marks:
        out.append(text[last:q])
        out.append("'")
        last = q
    out.append(text[last:])
    return "".join(out)


def cell(value: Any) -> str:
    """One CSV cell, neutralised and quoted as needed (None is empty; numbers as written)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        from stm_screen.interop.conditions import plain_number

        text = plain_number(value)
    elif isinstance(value, int | Number) and _NUMBER.fullmatch(str(value)):
        text = str(value)
    else:
        text = neutral(str(value))
    if _QUOTE.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def line(values: Iterable[Any]) -> str:
    """One CSV record with its line feed."""
    return ",".join(cell(v) for v in values) + "\n"


class CsvOut:
    """Writes records to a text handle (opened with ``newline=""``), every cell through :func:`cell`."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle

    def writerow(self, values: Iterable[Any]) -> None:
        self.handle.write(line(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.handle.write(line(values))
