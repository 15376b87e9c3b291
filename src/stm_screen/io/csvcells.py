"""The one CSV cell writer: every CSV stm-screen writes (batch, rules diff, history list and export, form
export's template and REDCap dictionary) goes through :func:`cell`.

A spreadsheet that opens the file may run a cell as a formula, and one that guesses another delimiter, or
splits on line breaks, may cut a cell into several. So:

- a formula character (``= + - @``, tab or CR, or the full-width and small forms of ``= + - @``, or the
  minus sign) that starts the cell, or starts any part of it after a character a spreadsheet could split
  on (``,`` ``;`` ``|`` tab, or any line break: CR, LF, VT, FF, NEL, U+2028...), with anything unseen
  allowed before it (spaces of any width, zero-width and direction marks, control characters), gets a
  ``'`` before it, which makes the part plain text. A ``|`` (or full-width ``｜``) that starts the cell, or a part of it after any of those
  but ``|`` itself, is treated so too: some spreadsheets take a leading pipe as the start of a link to
  another program (DDE). Text from files (ids, answers, messages, rules text)
  is always treated so, even ``-2``; only numbers stm-screen writes itself (an ``int``, a ``float`` or a
  :class:`Number`, such as a score or the REDCap dictionary's minimum ``-5``) are written as they are;
- a cell holding a quote, a delimiter any spreadsheet may guess (``,`` ``;`` ``|`` tab), a line break, or
  spaces at either end is quoted, with quotes doubled.

JSON outputs keep values exact: only CSV is read by spreadsheets this way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import IO, Any

# What a spreadsheet may run as a formula: = + - @ tab CR, and their full-width and small forms (which some
# spreadsheets and input methods fold to the ASCII ones), and the minus sign.
FORMULA = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20\ufe62\ufe63\ufe66\ufe6b\u2212")
# What a spreadsheet may split a cell on: the delimiters it may guess, and every line break (Python's
# str.splitlines() takes VT, FF, FS, GS, RS, NEL and the Unicode line and paragraph separators as ones).
SPLITS = ",;|\t\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# What may stand unseen before a formula character and be skipped by a spreadsheet that trims: spaces of
# every width, zero-width and direction marks, the byte-order mark, the other control characters, and every
# other format character (Unicode category Cf: the soft hyphen, Arabic and Syriac marks, interlinear
# annotation, Egyptian format controls, tags), none of which a reader sees.
_BLANK = (
    '[ "'  # (a quote too: a cell '"=1' is read by some as its formula once the quote is taken off)
    "\u00a0\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u1680\u180e\u2000-\u200f"
    "\u202a-\u202f\u205f-\u206f\u3000\ufeff\ufff9-\ufffb\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    # and the rest of Unicode's default-ignorable characters, which a reader does not see either: the
    # grapheme joiner, the Hangul fillers, Khmer inherent vowels, Mongolian and other variation selectors
    "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\ufff0-\ufff8"
    "\U000e0000-\U000e0fff]"
)
_F = "[" + re.escape("".join(sorted(FORMULA))) + "]"
_S = "[" + re.escape(SPLITS) + "]"
_PIPE_AFTER = ",;\t\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # SPLITS but the pipe itself
PIPES = "|\uff5c"  # the pipe, and its full-width form (folded to it as = is)
_RISKY = re.compile(f"(?:^|{_S}){_BLANK}*{_F}|(?:^|[{_PIPE_AFTER}]){_BLANK}*[{PIPES}]")
_SPLIT = re.compile(_S)
_BLANKS = re.compile(f"{_BLANK}*")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


class Number(str):
    """A number stm-screen wrote itself (never text from a file): written as it is, sign and all."""

    __slots__ = ()
class Names(str):
    """Ids of the rules joined by ';' (a warning sign's, a criterion's), written by the tool itself: ids are
    lower-case ASCII letters, digits and '_' (core.model's ID_PATTERN), so nothing in them is a formula and
    they are not searched for one (the cell is still quoted for its ';')."""

    __slots__ = ()


_QUOTE = re.compile("[\"" + re.escape(SPLITS) + "]|^ | $")


def neutral(text: str) -> str:
    """``text`` with every part a spreadsheet could run as a formula made plain text (see the module)."""
    if not text or not _RISKY.search(text):
        return text
    starts = [0, *(m.end() for m in _SPLIT.finditer(text))]
    marks: list[int] = []
    for start in starts:
        blanks = _BLANKS.match(text, start)  # '*': always a match, perhaps empty
        q = blanks.end() if blanks is not None else start
        if q >= len(text) or (
            text[q] not in FORMULA and not (text[q] in PIPES and (start == 0 or text[start - 1] in _PIPE_AFTER))
        ):
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
    elif type(value) is Names:
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
