"""What the first bytes of a file say about its text encoding, for one plain message wherever a text file is
read (rules and mapping files, answers files, survey exports): UTF-32, UTF-16 without a byte-order mark,
a stray NUL byte (located), or a binary file."""

from __future__ import annotations

import codecs
from typing import NamedTuple

from stm_screen.i18n import L_, N_

UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)

# Whole sentences for each kind of file (articles and nouns differ between languages).
_BINARY = {
    "text file": N_("this is a binary file, not a text file"),
    "answers file": N_("this is a binary file, not an answers file"),
    "survey export": N_("this is a binary file, not a survey export (CSV, TSV, JSON, XLSX)"),
}
_NUL = {
    "text file": N_(
        "a NUL character (byte 0) at line {line}, column {col}: a text file never holds one (the file may be "
        "damaged, or not text); remove it and try again"
    ),
    "answers file": N_(
        "a NUL character (byte 0) at line {line}, column {col}: an answers file never holds one (the file may "
        "be damaged, or not text); remove it and try again"
    ),
    "survey export": N_(
        "a NUL character (byte 0) at line {line}, column {col}: a survey export never holds one (the file may "
        "be damaged, or not text); remove it and try again"
    ),
}


class Finding(NamedTuple):
    message: str  # an i18n.Text: said in the language of whoever reads it
    line: int = 0  # 1-based, 0 when the whole file is meant
    col: int = 0


def _share(head: bytes, offsets: tuple[int, ...], width: int) -> float:
    """The share of zero bytes at these offsets of each ``width``-byte unit."""
    units = len(head) // width
    if units == 0:
        return 0.0
    zeros = sum(head[u * width + o] == 0 for u in range(units) for o in offsets)
    return zeros / (units * len(offsets))


def inspect(head: bytes, what: str = "text file") -> Finding | None:
    """A problem with a text file's first bytes, or None when they may be UTF-8 or UTF-16 with a BOM.
    ``what``: "text file", "answers file" or "survey export"."""
    what = what if what in _BINARY else "text file"
    if head.startswith(UTF32_BOMS):
        return Finding(L_("the file is UTF-32 text; save it as UTF-8 (or UTF-16) and try again"))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if b"\x00" not in head:
        return None
    sample = head[: 64 * 1024]
    window = sample[:4096]
    if sum(1 for b in window if 0 < b < 9 or 13 < b < 32) * 20 > len(window):  # control bytes: not text
        return Finding(L_(_BINARY[what]))
    if len(sample) >= 8 and (_share(sample, (1, 2, 3), 4) > 0.9 or _share(sample, (0, 1, 2), 4) > 0.9):
        return Finding(L_("the file is UTF-32 text without a byte-order mark; save it as UTF-8 and try again"))
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if (even + odd) * 4 > len(sample) and min(even, odd) * 20 < max(even, odd):
        return Finding(
            L_(
                "looks like UTF-16 text without a byte-order mark; save it as UTF-8 (or UTF-16 with a BOM) and "
                "try again"
            )
        )
    nuls = sample.count(0)
    controls = sum(1 for b in sample[:4096] if b < 9 or 13 < b < 32)
    if nuls > max(16, len(sample) // 100) or controls * 20 > min(len(sample), 4096):  # not text at all
        return Finding(L_(_BINARY[what]))
    at = sample.index(0)
    line = sample[:at].count(b"\n") + 1
    col = at - (sample.rfind(b"\n", 0, at) + 1) + 1
    return located_nul(line, col, what)


def located_nul(line: int, col: int, what: str = "text file") -> Finding:
    """A stray NUL at ``line``, ``col`` (1-based), said as :func:`inspect` says it (a survey export's
    reader says so of a NUL in its header, found later than the first bytes)."""
    what = what if what in _NUL else "text file"
    return Finding(L_(_NUL[what], line=line, col=col), line, col)
