"""Streaming readers for survey exports: nothing here holds more than one record (or one chunk) at a time.

Two shapes come out:

- :class:`TableSource` (CSV, TSV, XLSX): an iterator of rows (lists of text cells), header rows included;
  the preset decides how many leading rows are headers.
- :class:`RecordSource` (JSON array, JSONL, FHIR QuestionnaireResponse): an iterator of flat mappings of
  field name -> text (or a tuple of texts for a FHIR item with several answers).

Every way a file can be unreadable becomes an :class:`~stm_screen.errors.InputFileError` naming the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import stat
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from copy import copy
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import partial
from itertools import chain, islice, tee
from pathlib import Path
from typing import IO, Any

from stm_screen.batch.segments import MARK, WINDOW_BUFFER, EdgeLine, Window, can_window, open_window
from stm_screen.errors import InputFileError, Problem, answered_twice, os_reason, printable
from stm_screen.i18n import L_, N_
from stm_screen.io.jsonnum import json_float
from stm_screen.io.jsonwords import json_words

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
Cell = str | tuple[str, ...]
Record = dict[str, Cell]
MAX_INT_DIGITS = 4000
MAX_COLUMNS = 10_000  # columns of a table, keys of a record: more is not a survey export (bounded work)  # longer integers in JSON are read as floats (inf), not refused by int()


class BadRecord(dict[str, Cell]):
    """A record that cannot be read (a broken JSONL line, a list where an object belongs): it is written
    as one error row and the run goes on."""

    def __init__(self, message: str, rid: str = "", record: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.message = message
        self.rid = rid  # the record's id where it could be read (a FHIR response's identifier)
        self.record = record  # what was read of it (a JSON object holding a key twice): its id column's value


def _parse_int(text: str) -> int | str:
    """A JSON whole number; one too long for int() stays as its text (then "too large" for its question)."""
    return int(text) if len(text) <= MAX_INT_DIGITS else text


class TwiceDict(dict[str, Any]):
    """A JSON object that held a key twice (JSON's own rule would silently keep the last value)."""

    twice: str = ""


class HalvesDict(dict[str, Any]):
    """A JSON object whose keys or texts held half of a character pair (a lone surrogate, escaped as
    ``\\ud800``), each replaced by U+FFFD: such a text cannot be written out (nor is it Unicode text)."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def _whole(value: Any) -> Any:
    """A text (or the texts of a list) with each lone surrogate replaced by U+FFFD; ``None`` when none."""
    if type(value) is str:
        return _SURROGATE.sub("\ufffd", value) if not value.isascii() and _SURROGATE.search(value) else None
    if type(value) is list and any(_whole(v) is not None for v in value):
        return [w if (w := _whole(v)) is not None else v for v in value]
    return None


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if any(_whole(k) is not None or _whole(v) is not None for k, v in pairs):  # (the exact reader only)
        # an error row whatever else it holds (two keys may differ only by the halves replaced)
        return HalvesDict((_whole(k) or k, w if (w := _whole(v)) is not None else v) for k, v in pairs)
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    marked = TwiceDict(out)
    for key, _value in pairs:
        if key in seen:
            marked.twice = key
            break
        seen.add(key)
    return marked


def find_twice(value: Any, depth: int = 0) -> str | None:
    """The first key held twice by an object anywhere in ``value`` (a parsed FHIR resource, say)."""
    if isinstance(value, TwiceDict):
        return value.twice
    if depth > 64:
        return None
    if isinstance(value, dict):
        children: Any = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        if isinstance(child, dict | list):
            found = find_twice(child, depth + 1)
            if found is not None:
                return found
    return None


def _loads(text: str) -> Any:
    """The exact reader (the standard library's): every key held twice marked, NaN and Infinity read,
    numbers beyond a float kept as their text, and its own error messages with line and column."""
    return json.loads(text, parse_int=_parse_int, parse_float=json_float, object_pairs_hook=_pairs)


_KEY_END = re.compile(r'"\s*:')
HUGE = 2.0**63  # orjson reads a whole number beyond 64 bits as a float (the exact reader: an int)
DEEP = 200  # nesting past this is left to the exact reader (which refuses it as the old reader did)


def loads(text: str) -> Any:
    """A JSON text read with orjson (Rust), giving what :func:`_loads` gives.

    The exact reader reads it instead when orjson refuses it (then the error message is the exact
    reader's), when it holds a long whole number, when it nests deeply, and when it may hold a key twice
    (orjson silently keeps the last): every key is a string followed by ':', so a text with no more
    '":' (spaces allowed before the colon) than the keys orjson kept holds no key twice.
    """
    import orjson

    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _loads(text)
    return _checked(text, value)


def _checked(text: str, value: Any) -> Any:
    """orjson's reading of ``text`` when it is what the exact reader gives, else the exact reader's."""
    if type(value) is dict and text.count("{") == 1 and "[" not in text:  # a flat record (most often)
        keys = len(value)
        if float in set(map(type, value.values())) and any(_huge(v) for v in value.values()):
            return _loads(text)
    else:
        keys, depth, huge = _census(value)
        if huge or depth > DEEP:
            return _loads(text)
    if text.count(":") == keys:
        return value
    # some ':' is not after a key (in a text: a time, an address): count the '"' followed by ':'
    return value if len(_KEY_END.findall(text)) == keys else _loads(text)


def _huge(value: Any) -> bool:
    """A float orjson may have made of a whole number beyond 64 bits, or of a number it rounded to a whole
    one (the exact reader keeps their digits: see ``json_float``)."""
    return type(value) is float and (not -HUGE < value < HUGE or value.is_integer())


def _census(value: Any) -> tuple[int, int, bool]:
    """The keys of every object in a parsed JSON value, how deep it nests, and whether it holds a float
    beyond 64 bits (see :func:`_huge`)."""
    keys = 0
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if type(item) is dict:
            keys += len(item)
            children: Any = item.values()
        elif type(item) is list:
            children = item
        else:
            if _huge(item):
                return keys, deepest, True
            continue
        if depth > deepest:
            deepest = depth
            if depth > DEEP:
                break
        stack.extend((child, depth + 1) for child in children if type(child) is not str)
    return keys, deepest, False


# A cell of a survey export, in every format (README: Limits): a CSV cell longer than this stops Python's CSV
# reader; one in a JSON record or a workbook is read, then its record is an error row (see cell_too_long).
MAX_CELL = 16 * 1024 * 1024
csv.field_size_limit(MAX_CELL)


def cell_too_long(where: str) -> str:
    """The error row of a record with a cell longer than MAX_CELL characters, ``where`` naming it (the
    file and line, the field or the cell): said so for every format."""
    return L_("{where}: a cell is longer than 16 MB (at most {limit:,} characters)", where=where, limit=MAX_CELL)


def nul_in_cell(where: str) -> str:
    """The error row of a record with a NUL character (byte 0) in a cell, ``where`` naming the cell (the
    file and line, its column: see :func:`nul_column`): said so for every format (README: Limits). A NUL is
    no character of any answer or id: the export was damaged (or is not all text) there."""
    return L_("{where}: a NUL character (byte 0) in a cell: the export may be damaged; the record is not scored", where=where)


def nul_column(where: str, column: str, cell: str = "") -> str:
    """``where`` (the file and line, or sheet row) with the column holding a NUL named (and its cell, in a
    workbook): the column's title, or a JSON record's key (never a cell's content)."""
    name = printable(column[:60])
    if cell:
        return L_("{where} ({cell}, column '{column}')", where=where, cell=cell, column=name)
    return L_("{where} (column '{column}')", where=where, column=name)


class NulFlag:
    """Whether a NUL byte may be in the bytes read (``seen``): only then is each row (record) looked at for
    one. Set once for a regular file (a memchr over it: see :func:`_scan_bytes`), or as a pipe's blocks
    are read (:class:`NulWatch`), before the rows made of them."""

    __slots__ = ("seen",)

    def __init__(self, seen: bool = False) -> None:
        self.seen = seen


_NUL_BYTE = re.compile(b"\x00")


class NulWatch(io.RawIOBase):
    """A byte stream (a pipe) read as it is, each block looked at for a NUL byte (in C), which sets the
    flag: the text reader reads ahead of the rows, so the flag is set before any row holding one."""

    def __init__(self, inner: IO[bytes], flag: NulFlag) -> None:
        super().__init__()
        self._inner = inner
        self.flag = flag

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n: int = self._inner.readinto(buffer)  # type: ignore[attr-defined]
        if n and not self.flag.seen and _NUL_BYTE.search(memoryview(buffer).cast("B")[:n]) is not None:
            self.flag.seen = True
        return n

    def close(self) -> None:
        self._inner.close()
        super().close()


def _nul_rows(
    rows: Iterator[list[str]], flag: NulFlag, name: str, line: Callable[[], int], base: int, tail: Iterator[str] | None
) -> Iterator[list[str]]:
    """``rows``, each one holding a NUL character (looked for once ``flag`` is set) as a :class:`LineError`
    naming its line and the index of its first such cell (``line``: the reader's physical line of the row
    just read, after ``base`` lines). The edge line of a file range (batch.segments) is handed on as it
    is: the runner takes it apart."""
    for row in rows:
        if flag.seen and row:
            text = "".join(row)
            if "\x00" in text and not (isinstance(tail, EdgeLine) and tail.fetched and MARK in text):
                yield _nul_row(row, name, base + line())
                continue
        yield row


def _nul_row(row: list[str], name: str, last: int) -> LineError:
    """The error row of a row holding a NUL character, read up to physical line ``last``: its message says
    where the NUL is as a header's is said (a header row cannot be read); the runner says a record's
    (LineError.nul). Its id is kept when it holds none."""
    k = next(k for k, cell in enumerate(row) if "\x00" in cell)
    first = last - sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in row)
    col = sum(len(cell) + 1 for cell in row[:k]) + row[k].index("\x00") + 1  # (as written, unquoted)
    from stm_screen.io.textcheck import located_nul

    found = located_nul(first, col, "survey export")
    where = f"{name}:{first}"
    return LineError(
        L_("{where}: {message}", where=where, message=found.message),
        cells=[cell if "\x00" not in cell else "" for cell in row],
        nul=(where, k, ""),
    )


_FIELD_LIMIT = "field larger than field limit"  # what Python's CSV reader says of a cell over MAX_CELL
_QUOTED_TEXT = re.compile(r'[^"]*+(?:""[^"]*+)*+')  # a quoted cell's text, up to its closing quote


def _cells_before_long(line: str, delimiter: str) -> tuple[list[str], bool]:
    """A CSV line holding a cell longer than MAX_CELL (which Python's reader refuses to read: its field
    size limit): the cells before the first such one, as the reader reads them (for the record's id), and
    whether a quoted cell is still open at the line's end (the record then runs on into the next lines).
    No cell is copied but the short ones before."""
    text = line.rstrip("\r\n")
    end = len(text)
    most = csv.field_size_limit()
    cells: list[str] = []
    long = False
    pos = 0
    while True:
        if pos < end and text[pos] == '"':
            close = _QUOTED_TEXT.match(text, pos + 1).end()  # type: ignore[union-attr]
            if close >= end:
                return cells, True  # never closed on this line
            after = text.find(delimiter, close + 1)
            after = end if after < 0 else after
            if not long and after - pos <= most + 2:
                cells.append(text[pos + 1 : close].replace('""', '"') + text[close + 1 : after])
            else:
                long = True
        else:
            after = text.find(delimiter, pos)
            after = end if after < 0 else after
            if not long and after - pos <= most:
                cells.append(text[pos:after])
            else:
                long = True
        if after >= end:
            return cells, False
        pos = after + 1


# A NUL in a sheet's cell: its byte in the XML (not XML, but calamine reads it; a reference to it, '&#0;',
# is refused as damaged XML, and an escape '_x0000_' is read as its own text, as openpyxl reads it)
_NUL_TEXTS: set[str] = set()  # the sheets (parts) of workbooks whose shared texts may hold a NUL


def _nul_cell(cells: list[str]) -> int | None:
    """The index of the first cell holding a NUL character, else None."""
    if "\x00" not in "".join(cells):
        return None
    return next(k for k, cell in enumerate(cells) if "\x00" in cell)


def _long_cell(cells: list[str]) -> int | None:
    """The index of the first cell longer than MAX_CELL, else None."""
    if not cells or max(map(len, cells)) <= MAX_CELL:
        return None
    return next(k for k, cell in enumerate(cells) if len(cell) > MAX_CELL)


# --- one output row per physical line that the header says is a record -------------------------------


class LineError(list[str]):
    """Stands for a line that cannot be a record (a stray '"' opened a quoted cell on it that ran on into
    the next lines): written as one error row. Empty, so the record loop hands it to its slow path."""

    def __init__(
        self,
        message: str,
        line: str = "",
        delimiter: str = ",",
        cells: list[str] | None = None,
        nul: tuple[str, int, str] | None = None,
    ) -> None:
        super().__init__()
        self.message = message
        # a record holding a NUL: where (the file and line or sheet row), its cell's index and a sheet's
        # name for the cell; the runner names the column (see nul_in_cell). ``message``: said of a header.
        self.nul = nul
        # for its id: see _cells_before_quote (a sheet's row: its cells, a cell not read left blank)
        self.cells = _cells_before_quote(line, delimiter) if cells is None else cells


def _cells_before_quote(line: str, delimiter: str) -> list[str]:
    """The cells of a line before the first that holds a '"' (a quoted cell may hold the delimiter, so the
    cells from there on cannot be told apart; all of them when none does): an error row for a line with a
    stray quote keeps its id when the id comes before the quote, so that it can be joined back (the runner
    takes the cells after these for blank)."""
    if not line:
        return []
    cells = line.rstrip("\r\n").split(delimiter)
    for i, cell in enumerate(cells):
        if '"' in cell:
            return cells[:i]
    return cells


def _bare_cr(line: str) -> bool:
    """Does this line end with a carriage return that is not part of a CR LF?"""
    return line.endswith("\r")


def _plain_cells(line: str, delimiter: str) -> list[str]:
    """A line's cells with its quotes taken as text."""
    return line.rstrip("\r\n").split(delimiter)


def _line_at(own: list[str], ahead: list[str], more: Iterator[str]) -> Callable[[int], str | None]:
    """Line ``i`` of a record's own lines, then of the lines after it (read from ``more`` into ``ahead`` as
    needed, at most LOOKAHEAD of them); None past the end or the limit."""

    def line(i: int) -> str | None:
        if i < len(own):
            return own[i]
        k = i - len(own)
        if k >= LOOKAHEAD:
            return None
        while k >= len(ahead):
            nxt = next(more, None)
            if nxt is None:
                return None
            ahead.append(nxt)
        return ahead[k]

    return line


def _lines_from(line: Callable[[int], str | None], i: int) -> Iterator[str]:
    """Lines ``i``, ``i + 1``, ... of a :func:`_line_at`, up to the first it does not give."""
    while (text := line(i)) is not None:
        yield text
        i += 1


class QuoteCheck:
    """CSV rows, with a check that no quoted cell swallowed whole records.

    A cell that starts with '"' runs on, across line breaks, to the next '"'. Survey exports do hold
    quoted line breaks (a comment typed on two lines), but a stray '"' at the start of a cell makes the
    parser take in the following lines, and a later quote closes it: those records vanish and every later
    row number shifts. So a row read from several physical lines is kept whole only when it reads as one
    record: its first line alone is not a whole record, or it has the header's number of cells, is quoted
    properly (each closing quote followed by a delimiter or the line's end), and its lines are not each a
    whole record on their own. Otherwise the first line (the one with the stray quote) becomes an error
    row naming FILE:LINE, and the CSV reader starts again at the next line, so that the records after it
    are read as they are written, a legitimately quoted line break among them included: there is still one
    output row per record and row numbers stay put. Two stray quotes can pair into a well-formed quoted
    cell across records that the header's width does not contradict; ``closed`` (column indices, from the
    runner's plan) tells that apart from a comment on several lines: a cell there never spans lines.

    ``width`` is 0 (no check) until the header is known. The physical lines of the current row are kept
    by a trailing copy of the text the CSV reader reads; the edge line of a file scored in parts (``tail``,
    see ``batch.segments``) is read after the text and never taken apart.
    """

    def __init__(
        self, lines: Iterator[str], delimiter: str, name: str, tail: Iterator[str] | None = None
    ) -> None:
        self.delimiter = delimiter
        self.name = name
        self.width = 0
        self.early: dict[int, tuple[list[str], list[str], int]] = {}
        self.base = 0  # physical lines before the text this reader reads (a "sep=" line, an earlier range)
        self.edge_lines: list[str] = []  # the lines of the record the edge line cut (see batch.parallel)
        self._offset = 0  # lines of this text before the current CSV reader's first (it starts again)
        self._seen: list[tuple[list[str], list[str], int]] = []  # rows read before the width was known
        self._held = 0  # 1 while a row read is not yet handed on (see _rows)
        self._malformed: set[int] = set()  # rows read before the width was known, read leniently
        self._inside: dict[int, int] = {}  # see _scan
        self._misses = 0  # rows that contradicted the header where trying quotes as stray found no record
        self.lf_ends: bool | None = None  # the header's line ends with a line feed (see _cr_merge)
        self._cr_tried = 0  # the last physical line read looking for a record cut by several CRs (see _cr_next)
        self._tail = tail
        self.lookahead = True  # read lines past a row to mend it (off for a file that may be scored in parts)
        # Columns whose cells never hold a line break (the id, closed answers: set by the runner from its
        # plan): a quoted cell there that spans lines was opened by a stray quote (see _paired).
        self.closed: frozenset[int] = frozenset()
        self._source: Iterator[str] = lines if tail is None else chain(lines, tail)
        self._pending: Iterator[str] = iter(())  # lines given back to read again, before the source's next
        self._start(self._source)
        # a file that may hold a NUL: each row handed on is looked at for one (see _nul_rows)
        self.nul: Callable[[Iterator[list[str]]], Iterator[list[str]]] | None = None
        self.rows = self._rows()

    @property
    def rows(self) -> Iterator[list[str]]:
        """The rows (read anew from here after a record was mended among the first ones: see recheck)."""
        return self._rows_now if self.nul is None else self.nul(self._rows_now)

    @rows.setter
    def rows(self, rows: Iterator[list[str]]) -> None:
        self._rows_now = rows

    def _start(self, lines: Iterator[str], strict: bool = True) -> None:
        # The reader reads one copy of the lines; the other trails behind (itertools.tee, in C) and is read
        # only for a row that took several lines, or skipped in bulk: no Python step per line. It is strict:
        # a quote closed where no cell ends (a stray one, or a real one a stray took as closing) stops it, and
        # that record is read again by a lenient reader (``strict`` False) and checked (see ``_rows``).
        self._ahead, self._behind = tee(lines)
        self._taken = 0  # lines read (or skipped) from the trailing copy
        self._loose = not strict
        self.reader = csv.reader(self._ahead, delimiter=self.delimiter, strict=strict)

    @property
    def line_num(self) -> int:
        return self._offset + self.reader.line_num - self._held

    def _lines(self, start: int, end: int) -> list[str]:
        """Physical lines ``start`` to ``end`` (counted from 0, end excluded) from the trailing copy."""
        if start > self._taken:
            deque(islice(self._behind, start - self._taken), maxlen=0)
        lines = list(islice(self._behind, end - start))
        self._taken = end
        return lines

    def _rows(self, held: list[str] | None = None, held_text: str | None = None) -> Iterator[list[str]]:
        # With read-ahead, a one-line row is handed on only once the next row is read (``held``): a stray
        # quote at a cell's start closed by the opening quote of a real quoted cell can leave that line a
        # whole record as the strict reader reads it, and the rest of the quoted cell on the next lines; the
        # next row then starts no record, and the two are one record with a stray quote (see _look_back).
        # ``held_text``: its line, once read from the trailing copy.
        while True:
            reader = self.reader
            done = 0  # lines read when the last row was handed on
            loose = self._loose  # this reader reads one record that the strict reader could not
            width = -1 if loose else self.width
            hold = self._reads_ahead()
            try:
                for row in reader:
                    now = reader.line_num
                    if now - done == 1 and len(row) == width and width:  # one line, one record: most rows
                        done = now
                        if now - self._taken > TRAIL:  # let the trailing copy catch up, in one C call
                            deque(islice(self._behind, now - 1 - self._taken), maxlen=0)
                            self._taken = now - 1
                        if hold:
                            if held is None:
                                self._held = 1
                            else:
                                yield held
                            held, held_text = row, None
                            continue
                        yield row
                        continue
                    if held is not None and held_text is None:
                        got = self._lines(done - 1, now)
                        held_text, lines = got[0], got[1:]
                    else:
                        lines = self._lines(done, now)
                    done = now
                    first = self.base + self._offset + now - len(lines) + 1
                    if held is not None:
                        assert held_text is not None
                        if self._cr_again(held_text, lines, row, loose):  # (a record cut by several CRs)
                            rec, used, taken = self._cr_read(held_text, held, chain(lines, self._more()))
                            h, held = held, None
                            self._held = 0
                            if rec is not None:  # the held row and the lines after it: one record
                                yield rec
                                self._again(taken[used:], first - 1 + used)
                            else:  # the held row stands: the lines read are read again after it
                                self._again(taken, first - 1)
                                yield h
                            break
                        merged = self._cr_merge(held_text, held, lines, row) if not loose else None
                        if merged is not None:  # the held row and this one: one record a CR cut in two
                            held = None
                            self._held = 0
                            yield merged
                            continue
                        back = self._look_back(held_text, row, lines, loose)
                        h, held = held, None
                        if back is not None:
                            n, rest = back
                            self._held = 0
                            if n:  # the held line and the next ones: one record with a stray quote
                                self._again(rest[n:], first - 2 + n)
                                yield self._error(rest[:n], first - 1)
                            else:  # lines read to look back: the row is read again after the held one
                                self._again(rest[1:], first - 1)
                                yield h
                            break
                        self._held = len(lines)  # handed on: the held row; read: this row's lines too
                        yield h
                        self._held = 0
                    out, restart = self._after(row, lines, first, loose)
                    yield from out
                    if restart is None:
                        width = self.width
                        continue
                    self._again(restart[0], restart[1])
                    break
                else:
                    if held is not None:
                        self._held = 0
                        yield held
                    return
            except csv.Error as exc:
                if loose:
                    raise
                now = reader.line_num
                if held is not None and held_text is None:
                    got = self._lines(done - 1, now)
                    held_text, got = got[0], got[1:]
                else:
                    got = self._lines(done, now)
                if len(got) == 1 and _FIELD_LIMIT in str(exc):
                    # A cell longer than MAX_CELL on the record's one line: its error row, and the reader
                    # reads on after it (a quoted cell still open at the line's end runs on: see below).
                    before, still_open = _cells_before_long(got[0], self.delimiter)
                    if not still_open:
                        if held is not None:
                            h, held = held, None
                            self._held = 0
                            yield h
                        line = self.base + self._offset + now
                        del got
                        self._again((), line)
                        yield LineError(cell_too_long(f"{self.name}:{line}"), cells=before)
                        continue
                # A quote closed where no cell ends: this record, read again leniently, is checked. (A cell
                # over MAX_CELL that spans lines, or a quote never closed, stops the lenient reader too.)
                self._again(got, self.base + self._offset + done, strict=False)

    def _look_back(
        self, held: str, row: list[str], lines: list[str], loose: bool, more: Iterator[str] | None = None
    ) -> tuple[int, list[str]] | None:
        """After a one-line row not yet handed on (its line ``held``), a row read from ``lines``: None when
        the held row stands and this row is read on as usual. Else ``(n, rest)``: ``rest`` is the held line,
        ``lines`` and the lines read after them; its first ``n`` are one record with a stray quote (an
        error row, in place of the held row), or with ``n`` 0 the held row stands and this row is read
        again (lines were read to look). Looked at only where this row contradicts the header (or has a
        quote closed where no cell ends) and starts no record in any reading with at most two stray quotes,
        and is not the first part of a record that a CR alone cut in two (see :meth:`_cr_merge`: the held
        row stands, and this one is read again and joined with the next)."""
        if not self.width or (not loose and self._row_fits(row)) or self._misses >= MAX_MEND_MISSES:
            return None
        if any(MARK in cell for cell in row):
            return None
        ahead: list[str] = []
        more = self._more() if more is None else more

        line = _line_at(lines, ahead, more)

        if len(lines) == 1 and not loose and _bare_cr(lines[0]) and self._reads_ahead():
            if self._cr_read(lines[0], row, _lines_from(line, 1))[0] is not None:
                return (0, [held, *lines, *ahead])
        if self._opens_record(line, 0):
            return (0, [held, *lines, *ahead]) if ahead else None
        found = self._search([held, *lines], ahead, more, opening=True)
        if found is not None and found[0] and found[1] > 1:
            return found[1], [held, *lines, *ahead]
        return (0, [held, *lines, *ahead]) if ahead else None

    def _after(
        self, row: list[str], lines: list[str], first: int, loose: bool
    ) -> tuple[Iterable[list[str]], tuple[list[str], int] | None]:
        """The slow path of ``_rows`` for a row read from ``lines`` (the first is physical line ``first``):
        the rows to hand on, and None when the reader reads on, else where a new reader starts: the lines
        read past the rows, and the physical line before those. A row of the lenient reader (``loose``)
        always ends with a new (strict) reader."""
        out: list[list[str]] = []
        if not self.width:  # a header row, or a record read before the header was understood
            if self.lf_ends is None and row:
                self.lf_ends = lines[-1].endswith("\n")
            self._seen.append((row, lines, first))
            if len(lines) > 1:
                self.early[id(row)] = (row, lines, first)
            if loose:
                self._malformed.add(id(row))
        elif any(MARK in cell for cell in row):  # the edge line of a part: the record's own lines kept
            if len(lines) > 1:
                self.edge_lines = [line for line in lines if not line.startswith(MARK)]
        elif (
            len(lines) == 1
            and not loose
            and _bare_cr(lines[0])
            and self._reads_ahead()
            and not self._row_fits(row)
            and (joined := self._cr_next(row, lines, first)) is not None
        ):
            return joined
        elif not row or (len(lines) == 1 and ('"' not in lines[0] or not self._reads_ahead())):
            pass  # a blank line, a ragged one that no quote made so (or no reading ahead)
        elif (paired := self._paired(row, lines, first)) is not None:
            return paired, (([], first + len(lines) - 1) if loose else None)
        else:
            mended = self._mend(row, lines, self._more(), loose)
            if mended is not None:
                n, rest = mended
                if n:
                    out.append(self._error(rest[:n], first))
                else:
                    out.append(row)
                    n = len(lines)
                # Read again after the record, with a new reader: what the old one took as a closing quote
                # may open a legitimately quoted cell that runs on further.
                return out, (rest[n:], first + n - 1)
        out.append(row)
        return out, (([], first + len(lines) - 1) if loose else None)

    def _cr_merge(self, line: str, row: list[str], lines: list[str], after: list[str]) -> list[str] | None:
        """One record that a carriage return inside a cell cut in two, or None. In a file whose lines end
        with a line feed (LF or CR LF), a CR alone inside an unquoted cell ends a line to the reader (old
        Mac text pasted into a cell): its record came out as two rows, and every later row number shifted.
        ``line`` is the first row's line, ``lines`` those of the row after it (``after``). The two are one
        record when the first line ends with the CR, the second row is not a record of its own (read with
        its quotes, it does not have the header's width), and the two read together, with their quotes
        and the CR kept in its cell, as one record of the header's width. Either may hold quoted cells (a
        multi-select holding the delimiter, a comment holding a line break): they are read as the reader
        reads them. A quote that does not close where a cell ends, or is never closed, a quoted line break
        in a column that never holds one, or one that takes in a whole record (the second row's next line
        that is not blank has the header's width, as in :meth:`_stray`) makes no such record: the lines
        are then checked for a stray quote as any others are."""
        if not self.lf_ends or not self.width or not lines or not row:
            return None
        if not after and not (len(lines) > 1 and _bare_cr(lines[0])):  # (a CR alone on a line: a second CR)
            return None
        if not _bare_cr(line) or self._row_fits(after):
            return None
        # (the lines a quoted line break starts: those after the first once CRs alone join the rest)
        nxt = next((text for text in _cr_joined("", lines, _CR_MARKS[0])[1:] if text.strip()), None)
        if nxt is not None and self._fits(nxt):
            return None
        return self._cr_record(line[:-1], lines)

    def _cr_again(self, line: str, lines: list[str], row: list[str], loose: bool) -> bool:
        """After a held row whose line ``line`` ends with a CR alone, is the row read from ``lines`` (which
        is no record of its own) cut by a CR alone too, so that the record may go on past it (see
        :meth:`_cr_read`)?"""
        return (
            not loose
            and bool(self.lf_ends and self.width and lines)
            and _bare_cr(line)
            and _bare_cr(lines[-1])
            and self._reads_ahead()
            and not self._row_fits(row)
        )

    def _cr_record(self, first: str, lines: list[str]) -> list[str] | None:
        """The one record of the header's width that line ``first`` (its CR taken off) and ``lines`` read as,
        joined by a CR inside a cell (and each of ``lines`` but the last that ends with a CR alone, by that
        CR: a record cut by several), quotes honoured (strictly), with no line break in a column that never
        holds one; None when they read otherwise. (Python's reader takes a CR in an unquoted cell for a
        line end, so they are read joined by a character none of them holds, put back as the CR.)"""
        if self._too_few(first, lines):
            return None
        mark = next((ch for ch in _CR_MARKS if ch not in first and not any(ch in text for text in lines)), None)
        if mark is None:
            return None
        try:
            rows = list(csv.reader(_cr_joined(first + mark, lines, mark), delimiter=self.delimiter, strict=True))
        except csv.Error:
            return None
        if len(rows) != 1 or not self._row_fits(rows[0]) or self._closed_break(rows[0]) is not None:
            return None
        return [cell.replace(mark, "\r") for cell in rows[0]]

    def _cr_join(self, line: str, row: list[str], following: list[str]) -> list[str] | None:
        """:meth:`_cr_merge` of a one-line row and the lines that follow it (read here)."""
        if self._too_few(line, following):
            return None
        after = next(csv.reader(following, delimiter=self.delimiter, strict=False), [])
        return self._cr_merge(line, row, following, after)

    def _too_few(self, first: str, lines: list[str]) -> bool:
        """Do these lines hold too few delimiters to read, joined, as one record of the header's width? A
        cell ends at a delimiter, so then :meth:`_cr_record` finds none, without parsing them (checked
        first: in a file of many CRs, each on a short line, no parse per line)."""
        d = self.delimiter
        return first.count(d) + sum(text.count(d) for text in lines) < self.width - 1

    def _cr_read(
        self, line: str, row: list[str], more: Iterator[str], several: bool = True
    ) -> tuple[list[str] | None, int, list[str]]:
        """:meth:`_cr_join` of a one-line row that ends with a CR alone (its line ``line``) and the row after
        it, whose lines are read from ``more``: one, and more while a quoted cell on them runs on (a comment
        holding a line break), at most LOOKAHEAD. A record may hold several CRs alone ('a\\r\\rb', a CR in two
        cells): while the last line read ends with one, the next is read too, unless it is a record of its
        own (it has the header's width), at most MAX_CR_CUTS of them (``several``: else only the row after
        the first), and the lines up to there are tried as one record first, then the row after the first
        CR alone. The record or None, how many of the lines read it takes, and the lines read."""
        taken: list[str] = []
        first = 0  # the lines of the row right after the first CR (read while a quoted cell runs on)
        used = 0  # the lines of the record, as far as CRs alone cut it
        cuts = 1
        for following in more:
            taken.append(following)
            if first and following.strip() and not self._cr_runs_on(line, taken[:-1]) and self._cells_fit(following):
                break  # a record of its own after a CR alone (read with its quotes): the one before ends there
            used = len(taken)
            if len(taken) >= LOOKAHEAD:
                break
            if self._cr_runs_on(line, taken):
                continue
            first = first or len(taken)
            if not (several and self.lf_ends and _bare_cr(following) and cuts < MAX_CR_CUTS):
                break
            cuts += 1
        first = first or used
        if not taken:
            return None, 0, taken
        merged = self._cr_join(line, row, taken[:used])
        if merged is None and first < used:
            merged, used = self._cr_join(line, row, taken[:first]), first
        return merged, used, taken

    def _cr_runs_on(self, line: str, taken: list[str]) -> bool:
        """Does a quoted cell run on past ``taken``, the lines after ``line`` (which ends with a CR alone),
        read as :meth:`_cr_record` reads them?"""
        if '"' not in line and not any('"' in text for text in taken):
            return False  # (no quote: nothing runs on)
        return bool(taken) and _runs_on(_cr_joined(line[:-1] + _CR_MARKS[0], taken, _CR_MARKS[0]), self.delimiter)

    def _cr_next(
        self, row: list[str], lines: list[str], first: int
    ) -> tuple[list[list[str]], tuple[list[str], int] | None] | None:
        """:meth:`_after` for a one-line row short of the header that ends with a CR alone: the row after it
        is read (and the rows after it while CRs alone cut the record: see :meth:`_cr_read`), and they are one
        record when :meth:`_cr_merge` says so. The lines after it are read from a copy of the reader's input
        (the tee's own copy, in C), so that when they are not, the reader reads on as it was: no new reader
        per line in a file of many CRs, each a record of its own."""
        line = lines[0]
        # A run of CRs alone that no record joins (a cell of a million 'a\r', each line an error row of its
        # own) is looked through once for several CRs, not again from each of its lines: work stays linear.
        tried = self._cr_tried
        several = first > tried
        if first == tried:  # (a line of the run: the next one is in it too)
            self._cr_tried = first + 1
        ahead = copy(self._ahead) if self._reads_ahead() else iter(())
        nxt = next(ahead, None)
        if nxt is None:
            return None
        if '"' not in line and '"' not in nxt and not (several and _bare_cr(nxt)) and self._too_few(line, [nxt]):
            # what _cr_read finds, in short: no quote runs on past nxt, no further CR alone is looked past
            # (nxt does not end with one, or the run was looked through), too few cells
            if several:
                self._cr_tried = first + 1
            return [row], None
        merged, used, taken = self._cr_read(line, row, chain([nxt], ahead), several)
        if not taken:
            return None
        if merged is None:
            if several:
                self._cr_tried = first + len(taken)
            return [row], None
        # the lines taken are past the source (read through the copy): a new reader starts at those the
        # record does not take
        return [merged], (taken[used:], first + used)

    def _more(self) -> Iterator[str]:
        """The lines after the current row, to look ahead: none in a file large enough to be scored in parts
        (``lookahead``), or once the edge line of a part is armed (see batch.parallel)."""
        return self._ahead if self._reads_ahead() else iter(())

    def _reads_ahead(self) -> bool:
        armed = isinstance(self._tail, EdgeLine) and self._tail.line is not None
        return self.lookahead and not armed

    def _again(self, lines: Iterable[str], before: int, strict: bool = True) -> None:
        """Start a new CSV reader at ``lines`` (those after physical line ``before``), then the lines not
        yet read. Those are read from the source itself (after any lines given back before and not yet
        read again), not through the old reader's copies: a reader started again per record (a file of
        multi-line comments) adds no layer of iterators, and reading stays linear."""
        self._offset = before - self.base
        # Every line the old copies took from their input was handed on by the leading copy (the trailing
        # one never leads), and those to read again are in ``lines``: the rest is what the input still holds.
        self._pending = iter([*lines, *self._pending])
        self._start(chain(self._pending, self._source), strict)

    def _error(self, lines: list[str], first: int) -> LineError:
        d = self.delimiter
        if len(lines) == 1:
            return LineError(
                L_('{name}:{first}: a \'"\' on this line opens a quoted cell that would take in the records after it: this line is not scored, and the lines after it are read as records of their own (remove the stray \'"\' or close it on the same line)', name=self.name, first=first),
                lines[0],
                d,
            )
        return LineError(
            L_('{name}:{first}: a stray \'"\' in the record on lines {first} to {value} (its quoted cells do not add up to the header\'s columns): the record is not scored; remove the stray \'"\'', name=self.name, first=first, value=first + len(lines) - 1),
            lines[0],
            d,
        )

    def _mend(
        self, row: list[str], lines: list[str], more: Iterator[str], loose: bool = False
    ) -> tuple[int, list[str]] | None:
        """Where a row read from ``lines`` contradicts the header, or has a quote closed where no cell ends
        (``loose``: the strict reader stopped on it): None when it is a record as written.
        Else ``(n, rest)``: ``rest`` is ``lines`` and the lines taken from ``more`` to look ahead, the
        first ``n`` of which are one record with a stray quote (an error row), and the reader starts again
        after them; ``n`` is 0 when the row stands but lines were taken (the reader starts again after it)."""
        ahead: list[str] = []
        if len(lines) > 1:
            if self._stray(row, lines):
                return 1, lines  # the first line is a whole record: its stray quote took in the lines after it
            if self._short_stray(row, lines) and not self._one_stray_record(lines, ahead, more):
                return 1, [*lines, *ahead]  # the first line, short of the header, opened a quote that took in the rest
            if self._fits(lines[0]) and self._starts_record(lines[1:], ahead, more):
                return 1, [*lines, *ahead]  # and a record starts on the next line (a stray quote of its own)
            if self._misses < MAX_MEND_MISSES:
                # The record that starts here, read with the fewest quotes taken as stray.
                record = self._search(lines, ahead, more, opening=True) or self._search(lines, ahead, more)
                if record is not None and record[0]:
                    return record[1], [*lines, *ahead]
                if record is not None and record[1] == len(lines) and self._row_fits(row):
                    return (0, [*lines, *ahead]) if ahead else None  # a quoted line break the header allows
            if ahead:
                return 0, [*lines, *ahead]
            if self._row_fits(row) and self._well_quoted(lines):
                return None  # a quoted line break the header allows
        elif self._row_fits(row):
            if not loose or not self._reads_ahead() or self._misses >= MAX_MEND_MISSES:
                return None
            # One line with the header's width, but a quote on it closed where no cell ends: a stray quote
            # at a cell's start may have been closed by the opening quote of a real quoted cell whose line
            # break it then left outside (the line read whole, the rest of that cell a ragged row).
            record = self._search(lines, ahead, more, opening=True) or self._search(lines, ahead, more)
            if record is not None and record[1] > 1:
                return record[1], [*lines, *ahead]
            return (0, [*lines, *ahead]) if ahead else None
        if self._misses >= MAX_MEND_MISSES:
            return None  # a file of rows that contradict the header anyway (a ragged file): said as such
        # The quotes on the row's lines or the next (those opening a cell first), tried as stray ones (one
        # or two of them): the first row read that way has the header's width, ending within a few lines.
        ahead = list(islice(more, 1)) if len(lines) == 1 else []
        if len(lines) == 1 and self._fits(lines[0]) and (not ahead or (ahead[0].strip() and self._fits(ahead[0]))):
            return 1, [*lines, *ahead]  # a whole record with a stray quote, and the next line one too
        record = self._search(lines, ahead, more, opening=True) or self._search(lines, ahead, more)
        if record is not None and record[0]:
            return record[1], [*lines, *ahead]
        near = [*lines, *ahead]
        d = self.delimiter
        quotes = [(i, j) for i, line in enumerate(near) for j, ch in enumerate(line) if ch == '"']
        opening = [(i, j) for i, j in quotes if j == 0 or near[i][j - 1] == d]  # first: those opening a cell
        opening = [*opening, *(q for q in quotes if q not in opening)][: MAX_STRAY_TRIES * 2]
        from itertools import combinations

        best: int | None = None
        for k in (1, 2):
            for dropped in combinations(opening, k):
                edited = [
                    "".join(ch for j, ch in enumerate(line) if (i, j) not in dropped) for i, line in enumerate(near)
                ]
                found = self._first_record(edited, len(lines), ahead, more)
                if found is not None and (best is None or found < best):
                    best = found
            if best is not None:  # the fewest quotes taken as stray, then the shortest record
                return best, [*lines, *ahead]
        self._misses += 1
        return (0, [*lines, *ahead]) if ahead else None

    def _search(
        self, own: list[str], ahead: list[str], more: Iterator[str], opening: bool = False
    ) -> tuple[int, int] | None:
        """The record that starts at ``own[0]``, read strictly with the fewest quotes taken as stray:
        ``(stray quotes, lines)``, the fewest quotes first, then the fewest lines; None when no reading
        with at most MAX_STRAYS of them gives the header's width within LOOKAHEAD lines. ``own`` are the
        row's lines, ``ahead`` those read after them (taken from ``more`` as needed).

        Which quotes to try is told by each failed reading: a quote closed where no cell ends blames
        that quote and the one that opened its cell; a quote never closed blames the one that opened it;
        either also blames the quotes that opened the record's cells holding a line break;
        a record of the wrong width blames the quotes that opened its cells (those holding a delimiter or
        a line break first, when it is short). So a stray quote, wherever it is, is found in a few
        readings, and the record ends where the header's width says, its quoted line breaks included.
        With ``opening``, only readings after which a record starts count (more quotes are tried)."""

        line = _line_at(own, ahead, more)

        found = self._least(line, 0, MAX_STRAYS, (lambda n: self._opens_record(line, n)) if opening else None)
        if found is None:
            return None
        strays, ends = found
        # Where readings with as few stray quotes end differently, the one after which a record starts.
        return strays, next((n for n in ends if self._opens_record(line, n)), ends[0])

    def _opens_record(self, line: Callable[[int], str | None], start: int) -> bool:
        """Does a record start at line ``start`` (or the file end there): a blank line, a line that is a
        whole record alone, a record with the header's width read from it with at most two stray quotes,
        or one that CRs alone cut into lines (see :meth:`_cr_read`)."""
        text = line(start)
        if text is None or not text.strip() or self._fits(text):
            return True
        if self._least(line, start, MAX_STRAYS - 1) is not None:
            return True
        if not (self.lf_ends and _bare_cr(text) and self._reads_ahead()):
            return False
        row = next(csv.reader([text], delimiter=self.delimiter, strict=False), [])
        return self._cr_read(text, row, _lines_from(line, start + 1))[0] is not None

    def _least(
        self,
        line: Callable[[int], str | None],
        start: int,
        most: int,
        accept: Callable[[int], bool] | None = None,
    ) -> tuple[int, list[int]] | None:
        """The fewest quotes (at most ``most``) that, taken as stray, let a record with the header's width
        be read from line ``start`` on, and the numbers of lines such readings take (the fewest first);
        with ``accept``, only readings whose number of lines it accepts."""

        def shifted(i: int) -> str | None:
            return line(start + i)

        tried: set[frozenset[tuple[int, int]]] = set()
        level: list[frozenset[tuple[int, int]]] = [frozenset()]
        budget = MAX_SEARCH_READS
        for strays in range(most + 1):
            ends: set[int] = set()
            blamed: list[frozenset[tuple[int, int]]] = []
            for dropped in level:
                if budget <= 0:
                    break
                budget -= 1
                used, blame = self._scan(shifted, dropped)
                if used is not None:
                    # Quotes taken as stray may not make a quoted cell take in most of a line that, as
                    # written, has the header's number of cells: that line is a record of its own.
                    inside = self._inside
                    whole = bool(dropped) and any(
                        self._whole(shifted(k)) and 2 * inside.get(k, 0) > (shifted(k) or "").count(self.delimiter)
                        for k in range(1, used)
                    )
                    if not whole and (accept is None or accept(used)):
                        ends.add(used)
                        continue
                    # a record, but none starts after it: the quotes that opened its cells are blamed
                for q in blame:
                    more_dropped = dropped | {q}
                    if more_dropped not in tried:
                        tried.add(more_dropped)
                        blamed.append(more_dropped)
            if ends:
                return strays, sorted(ends)
            level = blamed
        return None

    def _whole(self, text: str | None) -> bool:
        """Has this line, all its quotes taken as text, the header's number of cells?"""
        if text is None:
            return False
        text = text.rstrip("\r\n")
        literal = text.count(self.delimiter) + 1
        return literal == self.width or (literal == self.width + 1 and text.endswith(self.delimiter))

    def _scan(
        self, line: Callable[[int], str | None], dropped: frozenset[tuple[int, int]]
    ) -> tuple[int | None, list[tuple[int, int]]]:
        """Read one record strictly from lines ``line(0)``, ``line(1)``... with the quotes at ``dropped``
        (line, column) left out: ``(lines used, the quotes that opened its cells)`` when it has the
        header's width, else ``(None, the quotes to blame)`` (see ``_search``)."""
        d = self.delimiter
        self._inside = {}  # per line: the delimiters it holds inside quoted cells
        cells: list[str] = []
        buf: list[str] = []
        openers: list[tuple[tuple[int, int], bool]] = []  # the quote opening each quoted cell; spans?
        broken: list[tuple[int, int]] = []  # those of quoted cells that hold a line break (first blamed too)
        state = 0  # 0 a cell's start, 1 in an unquoted cell, 2 in a quoted cell, 3 a quote in a quoted cell
        opener = (0, 0)
        closer = (0, 0)
        spans = False
        quoted: dict[int, tuple[int, int]] = {}  # cell index -> the quote that opened it
        i = 0
        while True:
            text = line(i)
            if text is None:  # the end of the file (or of the look-ahead)
                if state == 2 or not (cells or buf or state):
                    return None, [opener, *broken] if state == 2 else []
                break
            end = False
            for j, ch in enumerate(text):
                if (i, j) in dropped:
                    continue
                if state == 2:
                    if ch == '"':
                        state, closer = 3, (i, j)
                    else:
                        buf.append(ch)
                        spans = spans or ch in (d, "\r", "\n")
                        if ch == d:
                            self._inside[i] = self._inside.get(i, 0) + 1
                        if ch in "\r\n" and (not broken or broken[-1] != opener):
                            broken.append(opener)
                elif ch == d:
                    if state == 3:
                        openers.append((opener, spans))
                    cells.append("".join(buf))
                    buf, state = [], 0
                elif ch in "\r\n":
                    end = True
                    break
                elif state == 0 and ch == '"':
                    state, opener, spans = 2, (i, j), False
                    quoted[len(cells)] = opener
                elif state == 3:
                    if ch != '"':
                        return None, [closer, opener, *broken]  # a quote closed where no cell ends
                    buf.append(ch)
                    state = 2
                else:
                    buf.append(ch)
                    state = 1
            i += 1
            if end:
                if not cells and not buf and state == 0:
                    return None, []  # a blank line
                break
        if state == 3:
            openers.append((opener, spans))
        cells.append("".join(buf))
        if self._row_fits(cells):
            broke = self._closed_break(cells)
            if broke is not None and broke in quoted:  # a stray quote (or two) made that cell span lines
                return None, [quoted[broke], *(q for q, _wide in openers if q != quoted[broke])]
            return i, [q for q, _wide in openers]
        if len(cells) < self.width:
            return None, [q for q, wide in openers if wide]
        return None, [q for q, _wide in openers]

    def _starts_record(self, lines: list[str], ahead: list[str], more: Iterator[str]) -> bool:
        """Does a record with the header's width start at ``lines[0]`` (read with the lines after it), as
        written or with one of that line's quotes taken as stray?"""
        first = lines[0]
        for j in [-1, *(j for j, ch in enumerate(first) if ch == '"')][: MAX_STRAY_TRIES + 1]:
            edited = [first if j < 0 else first[:j] + first[j + 1 :], *lines[1:]]
            if self._first_record(edited, len(lines), ahead, more, plain_start=True) is not None:
                return True
        return False

    def _first_record(
        self, edited: list[str], own: int, ahead: list[str], more: Iterator[str], plain_start: bool = False
    ) -> int | None:
        """The number of lines of the first row read from ``edited`` (the row's ``own`` lines and the first
        of ``ahead``, edited) and the lines after them (taken from ``more`` into ``ahead`` as needed, at
        most LOOKAHEAD in all), when that row has the header's width (and, with ``plain_start``, a first
        cell on one line: a record's start, not the rest of a quoted line break)."""

        def source() -> Iterator[str]:
            yield from edited
            i = len(edited) - own
            while i < LOOKAHEAD:
                if i == len(ahead):
                    line = next(more, None)
                    if line is None:
                        return
                    ahead.append(line)
                yield ahead[i]
                i += 1

        reader = csv.reader(source(), delimiter=self.delimiter, strict=False)
        try:
            cells = next(reader, None)
        except csv.Error:
            return None
        used = reader.line_num
        if cells is None or used >= own + LOOKAHEAD or not self._row_fits(cells):
            return None
        if self._closed_break(cells) is not None:
            return None  # a cell that never holds a line break spans lines: not how the record is written
        if plain_start and cells and ("\n" in cells[0] or "\r" in cells[0]):
            return None
        return used

    def _stray(self, row: list[str], lines: list[str]) -> bool:
        """Did a stray quote on the first of ``lines`` merge records? The first line and the next one that
        is not blank each hold a whole record (a quoted line break leaves neither whole); with only blank
        lines after it, the merged row contradicts the header's width, or a quote in it is closed where no
        cell ends."""
        if not self._fits(lines[0]):
            return False  # the first line is not a whole record: the quoted cell continues it
        after = next((line for line in lines[1:] if line.strip()), None)
        if after is not None:  # the next line a whole record too: two records; else the cell may run on
            return self._fits(after)
        return all(self._fits(line) for line in lines[1:]) or not self._row_fits(row) or not self._well_quoted(lines)

    def _short_stray(self, row: list[str], lines: list[str]) -> bool:
        """Did a quote on a line that is not a whole record (a lone '"', the end of a comment, '"x') take in
        the records after it? The row contradicts the header, the first line is short of it however its
        quotes are read, and the next line that is not blank is a whole record: the first line is a record
        of its own (an error row), and the records after it are read as written. Else every record up to
        the end of the file (or the next quote) would vanish into one cell."""
        if self._row_fits(row) or '"' not in lines[0] or self._fits(lines[0]):
            return False
        after = next((line for line in lines[1:] if line.strip()), None)
        return after is not None and self._fits(after) and not self._row_fits(_plain_cells(lines[0], self.delimiter))

    def _one_stray_record(self, lines: list[str], ahead: list[str], more: Iterator[str]) -> bool:
        """Are ``lines`` one record (a quoted line break in it) with a single stray quote, after which a
        record starts? Then that reading wins over :meth:`_short_stray`'s, which needs more quotes taken as
        text: a comment typed on two lines whose second line happens to have the header's width when its
        quotes are read as text (a delimiter in the comment's first line making up for the cells a stray
        quote later in the record took in)."""
        if self._misses >= MAX_MEND_MISSES:
            return False
        record = self._search(lines, ahead, more, opening=True)
        return record is not None and record[0] == 1 and 1 < record[1] <= len(lines)

    def _well_quoted(self, lines: list[str]) -> bool:
        """Is every quoted cell on these lines closed, and closed where a cell ends?"""
        try:
            for _ in csv.reader(lines, delimiter=self.delimiter, strict=True):
                pass
        except csv.Error:  # a closing quote followed by more text, or a quote never closed
            return False
        return True

    def _closed_break(self, cells: list[str]) -> int | None:
        """The first column that never holds a line break (``closed``) whose cell here holds one."""
        for k in sorted(self.closed):
            if k < len(cells) and ("\n" in cells[k] or "\r" in cells[k]):
                return k
        return None

    def _paired(self, row: list[str], lines: list[str], first: int) -> Iterator[list[str]] | None:
        """Two stray quotes that pair into a well-formed quoted cell across records: a row read from
        ``lines`` (the first is physical line ``first``) with the header's width, whose cell in a column
        that never holds a line break (``closed``) spans lines. Byte for byte, that is also how a comment
        typed on several lines looks, so the column is the signal, and the lines must read as records
        without the cell's two quotes: the lines up to the opening quote's one record, those between its
        lines one record each, the closing quote's line and the rest of the row one record. Then the rows
        to hand on: the records holding the two quotes as error rows, the records between as read; else
        None (the row is read as before)."""
        if not self.closed or len(lines) < 2 or not self._row_fits(row):
            return None
        c = self._closed_break(row)
        where = None if c is None else self._cell_quotes(lines, c)
        if where is None:
            return None
        (i0, j0), (i1, j1) = where
        if i0 >= i1:
            return None
        head = [*lines[:i0], lines[i0][:j0] + lines[i0][j0 + 1 :]]
        tail = [lines[i1][:j1] + lines[i1][j1 + 1 :], *lines[i1 + 1 :]]
        if self._one_record(head) is None or self._one_record(tail) is None:
            return None
        # The lines between: checked first, then read again as they are handed on, so that a cell of
        # millions of lines is never millions of rows held at once (issue 10: a cell at the size limit).
        for line in islice(lines, i0 + 1, i1):
            if line.strip() and self._one_record([line]) is None:
                return None
        opened, closed = first + i0, first + i1
        d = self.delimiter
        if i0 == 0:
            opening = LineError(
                L_('{name}:{first}: a stray \'"\' on this line opens a quoted cell that line {value} closes, in a column that cannot hold a line break (an id, or a yes/no, choice or number answer): this line is not scored, and the lines after it are read as records of their own (remove the stray \'"\')', name=self.name, first=first, value=closed),
                lines[0],
                d,
            )
        else:
            opening = LineError(
                L_('{name}:{first}: a stray \'"\' on line {line} (in the record on lines {first} to {line}) opens a quoted cell that line {value} closes, in a column that cannot hold a line break (an id, or a yes/no, choice or number answer): the record is not scored, and the lines after it are read as records of their own (remove the stray \'"\')', name=self.name, first=first, line=opened, value=closed),
                lines[0],
                d,
            )
        closing = LineError(
            L_('{name}:{first}: a stray \'"\' on this line closes a quoted cell opened on line {value}, in a column that cannot hold a line break (an id, or a yes/no, choice or number answer): the record is not scored (remove the stray \'"\')', name=self.name, first=closed, value=opened),
            lines[i1],
            d,
        )
        return chain((opening,), self._records_between(lines, i0 + 1, i1), (closing,))

    def _records_between(self, lines: list[str], start: int, end: int) -> Iterator[list[str]]:
        """The records of ``lines[start:end]``, each line one (checked by _paired), a blank line an empty row."""
        for line in islice(lines, start, end):
            record = self._one_record([line]) if line.strip() else None
            yield [] if record is None else record

    def _cell_quotes(self, lines: list[str], c: int) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """Where cell ``c`` of the row read from ``lines`` opens and closes: its two quotes (line, column);
        None when it is not a quoted cell, or the quoting is not well-formed up to its end."""
        d = self.delimiter
        k = 0  # the cell's index
        state = 0  # 0 a cell's start, 1 in an unquoted cell, 2 in a quoted cell, 3 a quote in a quoted cell
        opened = closer = (0, 0)
        for i, text in enumerate(lines):
            for j, ch in enumerate(text):
                if state == 2:
                    if ch == '"':
                        state, closer = 3, (i, j)
                elif state == 3:
                    if ch == '"':
                        state = 2  # a doubled quote
                    elif k == c and (ch == d or ch in "\r\n"):
                        return opened, closer
                    elif ch == d:
                        k, state = k + 1, 0
                    else:
                        return None  # a quote closed where no cell ends
                elif ch == d:
                    k, state = k + 1, 0
                elif ch in "\r\n" or k > c:
                    return None  # the record ended before the cell, or it is not quoted
                elif state == 0:
                    if k == c and ch != '"':
                        return None
                    state = 2 if ch == '"' else 1
                    opened = (i, j) if ch == '"' else opened
        return (opened, closer) if state == 3 and k == c else None

    def _one_record(self, lines: list[str]) -> list[str] | None:
        """The one record these lines read as, strictly, with the header's width (and no line break in a
        column that never holds one); None otherwise."""
        try:
            rows = list(csv.reader(lines, delimiter=self.delimiter, strict=True))
        except csv.Error:
            return None
        if len(rows) != 1 or not self._row_fits(rows[0]) or self._closed_break(rows[0]) is not None:
            return None
        return rows[0]

    def header_problem(self, row: list[str]) -> str | None:
        """A header row that took in the lines after it: a '"' in it opened a quoted cell that a later
        line closed, and those lines have the header's own width (counted on its first line). Nothing can
        be scored from such a file without shifting every record."""
        early = self.early.get(id(row))
        if early is None or early[0] is not row:
            return None
        _row, lines, first = early
        saved, self.width = self.width, lines[0].rstrip("\r\n").count(self.delimiter) + 1
        try:
            if self.width < 2 or not all(self._fits(line) for line in lines[1:]):
                return None
        finally:
            self.width = saved
        return (
            L_('{name}:{first}: a \'"\' in the header opens a quoted cell that runs on into line {value}, taking in the records after it; remove the stray \'"\' (nothing was scored)', name=self.name, first=first, value=first + len(lines) - 1)
        )

    def recheck(self, rows: list[list[str]]) -> list[list[str]]:
        """Rows read before ``width`` was set (the first records, read with the headers), checked now as
        ``_rows`` checks the others. Where one is mended, the rows after it are dropped and read again by
        a new reader, and ``self.rows`` is then a new iterator (the caller reads on from it)."""
        seen, self._seen = self._seen, []
        where = {id(r): k for k, (r, _lines, _first) in enumerate(seen)}
        self.early.clear()
        out: list[list[str]] = []
        prev: str | None = None  # the line of the last row handed on, when a one-line record (see _look_back)
        for row in rows:
            k = where.get(id(row))
            if k is None or seen[k][0] is not row or any(MARK in cell for cell in row):
                out.append(row)
                prev = None
                continue
            _row, lines, first = seen[k]
            later = iter([line for _r, after, _f in seen[k + 1 :] for line in after])
            loose = id(row) in self._malformed
            if prev is not None:
                back = self._look_back(prev, row, lines, loose, chain(later, self._more()))
                if back is not None:
                    n, rest = back
                    if n:  # the last row and this one: one record with a stray quote
                        out[-1] = self._error(rest[:n], first - 1)
                    else:
                        n = 1
                    self._again(chain(rest[n:], later), first - 2 + n)
                    self.rows = self._rows()
                    return out
            if len(lines) == 1 and not loose and self._reads_ahead() and _bare_cr(lines[0]):
                known = list(later)  # the lines of the rows read with the headers, after this one
                merged, used, taken = self._cr_read(lines[0], row, chain(known, self._more()))
                live = len(taken) > len(known)  # lines read from the reader: read again after this row
                if taken and (merged is not None or live):
                    out.append(merged if merged is not None else row)
                    if merged is not None:
                        self._again([*taken[used:], *known[len(taken) :]], first + used)
                    else:
                        self._again([*taken, *known[len(taken) :]], first)
                    self.rows = self._rows()
                    return out
                later = iter(known)
            if not row or (len(lines) == 1 and ('"' not in lines[0] or not self._reads_ahead())):
                # a blank line, or a ragged one that no quote on it made so: as the reader reads on (_after),
                # a record as written (a line of only spaces is a record of one cell, not a stray quote)
                out.append(row)
                prev = lines[0] if len(lines) == 1 and self._row_fits(row) else None
                continue
            paired = self._paired(row, lines, first)
            if paired is not None:
                out.extend(paired)
                prev = None
                continue
            more = chain(later, self._more())
            mended = self._mend(row, lines, more, loose)
            if mended is None:
                out.append(row)
                prev = lines[0] if len(lines) == 1 and self._row_fits(row) else None
                continue
            n, rest = mended
            if n:
                out.append(self._error(rest[:n], first))
            else:
                out.append(row)
                n = len(lines)
            self._again(chain(rest[n:], later), first + n - 1)
            self.rows = self._rows()
            return out
        if prev is not None and self._reads_ahead():
            # The last one is handed on by the reader once the next row is read, as _rows holds rows.
            held = out.pop()
            self._again((), self.base + self.line_num)
            self._held = 1
            self.rows = self._rows(held, prev)
        return out

    def _row_fits(self, cells: list[str]) -> bool:
        width = self.width
        return len(cells) == width or (len(cells) > width and not any(c.strip() for c in cells[width:]))

    def _fits(self, line: str) -> bool:
        """Does this line, alone, have the header's number of cells: quotes honoured, or all taken as
        text, or some of the quotes that open a cell taken as text (a stray one beside a real quoted cell)?"""
        text = line.rstrip("\r\n")
        if not text.strip():
            return True  # a blank line is not a record either way
        d = self.delimiter
        literal = text.count(d) + 1
        if literal == self.width or (literal == self.width + 1 and text.endswith(d)):
            return True
        if self._cells_fit(text):
            return True
        opening = [i for i, ch in enumerate(text) if ch == '"' and (i == 0 or text[i - 1] == d)]
        if not opening or len(opening) > MAX_STRAY_TRIES:
            return False
        from itertools import combinations

        for k in range(1, len(opening) + 1):
            for dropped in combinations(opening, k):
                kept = "".join(ch for i, ch in enumerate(text) if i not in dropped)
                if self._cells_fit(kept):
                    return True
        return False

    def _cells_fit(self, text: str) -> bool:
        return self._row_fits(next(csv.reader([text], delimiter=self.delimiter, strict=False), []))


TRAIL = 4096  # lines the trailing copy may lag behind the reader (kept in memory by tee)
LOOKAHEAD = 64  # lines read past a row that contradicts the header, to find where its record ends
MAX_MEND_MISSES = 200  # rows that contradict the header with no stray quote found: then a ragged file
MAX_STRAYS = 3  # quotes taken as stray in one record, at most (see QuoteCheck._search)
MAX_SEARCH_READS = 64  # readings of one record with different quotes taken as stray, at most
MAX_STRAY_TRIES = 6  # quotes opening a cell on one line, tried as stray ones in every combination
MAX_CR_CUTS = 8  # CRs alone that may cut one record into lines (see QuoteCheck._cr_read)


def _scan_bytes(handle: IO[bytes], nul: bytes = b"") -> tuple[bool, bool]:
    """Whether a regular file may hold quotes, and a NUL byte (``nul``, when given: what stands for one,
    b"\\x00" or also JSON's escape of it), each told by a memchr over the file, far cheaper than looking
    at its rows. Quotes: False only when the file holds no '"' byte at all: then no quoted cell can
    swallow a line, and its rows need no :class:`QuoteCheck`; nor, in a file read ahead (see open_csv), a
    CR alone before the last line: it may cut a record in two (see QuoteCheck._cr_merge). Anything but a
    regular file may hold either."""
    import mmap

    raw = getattr(handle, "raw", None)
    fd = raw.fd if isinstance(raw, Window) else None
    if fd is None:
        return True, True
    try:
        holds = bool(nul) and _file_holds(fd, tuple(dict.fromkeys((b"\x00", nul))))
        size = os.fstat(fd).st_size
        if size == 0:
            return False, holds
        with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as view:
            if view.find(b'"') >= 0:
                return True, holds
            from stm_screen.batch import parallel

            cr = size < 2 * parallel.MIN_PART_BYTES and view.find(b"\r") >= 0 and _LONE_CR.search(view) is not None
            return cr, holds
    except (OSError, ValueError):
        return True, True


def _file_holds(fd: int, needles: tuple[bytes, ...], block: int = 1 << 20) -> bool:
    """Does a regular file hold any of these byte strings (a NUL byte; JSON's escape of one, which starts
    with a backslash)? Read a block at a time (each overlapping the next by a needle's length, less one),
    so that no more of the file is in memory at once (a whole mapping of it would be, once searched to its
    end); a needle that starts with a backslash is looked for only in a block holding one (a memchr)."""
    keep = max(map(len, needles)) - 1
    pos = 0
    while data := os.pread(fd, block + keep, pos):
        for needle in needles:
            if (needle[:1] != b"\\" or b"\\" in data) and needle in data:
                return True
        if len(data) <= keep:
            return False
        pos += len(data) - keep
    return False


_LONE_CR = re.compile(rb"\r(?!\n)")
_CR_MARKS = "\ue000\ue001\ue002\ue003"  # private-use characters: one stands for a CR (see QuoteCheck._cr_record)


def _cr_joined(start: str, lines: list[str], mark: str) -> list[str]:
    """``start`` and ``lines`` as the lines one record's reader reads: a line that ends with a CR alone
    (but the last) joined to the next by ``mark`` in its place (see QuoteCheck._cr_record)."""
    out: list[str] = []
    current = start
    for k, text in enumerate(lines):
        if k < len(lines) - 1 and _bare_cr(text):
            current += text[:-1] + mark
        else:
            out.append(current + text)
            current = ""
    return out


def _runs_on(lines: list[str], delimiter: str) -> bool:
    """Does a quoted cell on these lines run on past the last of them (its closing quote not yet read)?"""
    if not any('"' in text for text in lines):
        return False  # no quote, no quoted cell: the reader's parse is skipped (a file of many CRs)
    end = _CR_MARKS[-1]
    rows = list(csv.reader([*lines, end], delimiter=delimiter, strict=False))
    return not rows or rows[-1] != [end]


def csv_rows(
    lines: Iterator[str],
    delimiter: str,
    name: str,
    *,
    tail: Iterator[str] | None = None,
    check: bool = True,
    base: int = 0,
    nul: NulFlag | None = None,
) -> tuple[Iterator[list[str]], Callable[[], int], QuoteCheck | None]:
    """The rows of CSV text (``tail``: the edge line, read after it), the count of physical lines read,
    and the quote check (None when ``check`` is off: a file with no '"'). ``base``: the physical lines
    before the text (a "sep=" line, an earlier range), for messages. ``nul``: the text may hold a NUL (when
    its flag is set), and a row holding one is an error row (see :func:`_nul_rows`)."""
    if check:
        checker = QuoteCheck(lines, delimiter, name, tail)
        checker.base = base
        if nul is not None:
            checker.nul = partial(_nul_rows, flag=nul, name=name, line=lambda: checker.line_num, base=base, tail=tail)
        return checker.rows, lambda: checker.line_num, checker
    last = [""]
    reader = csv.reader(_kept(lines if tail is None else chain(lines, tail), last), delimiter=delimiter, strict=False)
    rows = _rows_read_on(reader, name, last, delimiter, base)
    if nul is not None:
        rows = _nul_rows(rows, nul, name, lambda: reader.line_num, base, tail)
    return rows, lambda: reader.line_num, None


def _kept(lines: Iterable[str], last: list[str]) -> Iterator[str]:
    """``lines``, the one read last kept in ``last[0]``."""
    for line in lines:
        last[0] = line
        yield line


def _rows_read_on(reader: Any, name: str, last: list[str], delimiter: str, base: int) -> Iterator[list[str]]:
    """The rows of a reader of text without a '"': a line holding a cell longer than MAX_CELL (the one read
    last, ``last[0]``; ``base`` lines before the text) is an error row, and the reader reads on at the next
    line (it took that line whole)."""
    while True:
        try:
            yield from reader
            return
        except csv.Error as exc:
            if _FIELD_LIMIT not in str(exc):
                raise
            before, _open = _cells_before_long(last[0], delimiter)
            last[0] = ""
            yield LineError(cell_too_long(f"{name}:{base + reader.line_num}"), cells=before)


@dataclass
class TableSource:
    """Rows of text cells, header rows first."""

    name: str
    kind: str  # csv | xlsx
    rows: Iterator[list[str]]
    line: Callable[[], int]  # physical line (CSV) or sheet row (XLSX) of the last row read
    delimiter: str = ","
    encoding: str = "utf-8"
    size: int = 0
    position: Callable[[], int] = field(default=lambda: 0)
    close: Callable[[], None] = field(default=lambda: None)
    warning: str = ""  # said on stderr before the records (e.g. formulas without values)
    window: Window | None = None  # a regular CSV file: its byte stream (see batch.segments)
    tail: EdgeLine | None = None  # read after the window's text; armed when scored in parts
    lines_before: int = 0  # lines read before the CSV reader started (Excel's "sep=" line)
    checker: QuoteCheck | None = None  # CSV: keeps stray quotes from merging records (None: no '"' in file)
    sheet: Any = None  # XLSX read by calamine: a SheetParts, for scoring in parts (see batch.parallel)
    nul: NulFlag | None = None  # CSV: the file may hold a NUL (its rows are looked at for one: see csv_rows)


@dataclass
class RecordSource:
    """Flat records (field -> text), e.g. REDCap API JSON or FHIR QuestionnaireResponses."""

    name: str
    kind: str  # json | jsonl | fhir
    records: Iterator[Record]
    ids: Callable[[], str] = field(default=lambda: "")  # FHIR: the id of the last record read
    size: int = 0
    position: Callable[[], int] = field(default=lambda: 0)
    close: Callable[[], None] = field(default=lambda: None)
    window: Window | None = None  # a regular UTF-8 JSON Lines file: its byte stream (see batch.parallel)
    # ... and its records from a byte offset just after a line feed (lines before it, a limit if any)
    part: Callable[[int, int, int | None], tuple[Iterator[Record], Window, Callable[[], None]]] | None = None
    lines: Callable[[], int] | None = None  # ... and the lines read up to the last record handed on


Source = TableSource | RecordSource


def open_source(path: str, *, delimiter: str | None = None, jobs: int = 0) -> Source:
    """Open one input by its content (and, for ties, its name)."""
    p = Path(path)
    try:
        if p.is_dir():
            raise InputFileError(L_("{path}: is a folder, not a survey export", path=path))
        size = p.stat().st_size
        handle = _open_bytes(p)
    except FileNotFoundError:
        raise InputFileError(L_("{path}: no such file", path=path)) from None
    except PermissionError:
        raise InputFileError(L_("{path}: permission denied", path=path)) from None
    except OSError as exc:
        raise InputFileError(L_("{path}: cannot read ({value})", path=path, value=os_reason(exc))) from None
    try:
        head = handle.read(SAMPLE_BYTES)
        if handle.seekable():
            handle.seek(0)
        elif head.startswith(b"PK\x03\x04"):
            handle.close()
            raise InputFileError(L_("{path}: a workbook cannot be read from a pipe; save it to a file first", path=path))
        else:  # a pipe (/dev/stdin, <(...)): the sample is read again before the rest
            handle = io.BufferedReader(_Replay(head, handle))
    except OSError as exc:
        handle.close()
        raise InputFileError(L_("{path}: cannot read ({value})", path=path, value=os_reason(exc))) from None
    try:
        if not head.strip():
            raise InputFileError(L_("{path}: the file is empty", path=path))
        if head.startswith(b"PK\x03\x04"):
            handle.close()
            return open_xlsx(path, size, jobs)
        encoding = sniff_encoding(head, path)
        text_head = head.decode(encoding, errors="ignore").lstrip("\ufeff").lstrip()
        suffix = p.suffix.lower()
        if (text_head.startswith(("[", "{")) and suffix not in (".csv", ".tsv", ".txt")) or suffix in JSONL_SUFFIXES:
            return open_json(handle, path, encoding, size, text_head, suffix)
        return open_csv(handle, path, encoding, size, delimiter, text_head, suffix)
    except BaseException:
        handle.close()
        raise


def _open_bytes(path: Path) -> IO[bytes]:
    """A regular file is read through a :class:`Window` (positioned reads that a range limit can stop,
    for scoring it in parts); anything else (a pipe, a device) as an ordinary stream."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        regular = False
    if regular and can_window():
        return io.BufferedReader(Window(fd), WINDOW_BUFFER)
    return open(fd, "rb")  # noqa: SIM115 - closed by the source's close()


class _Replay(io.RawIOBase):
    """A pipe whose first bytes were already read: those bytes, then the rest of the pipe."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._rest.readinto(buffer)  # type: ignore[attr-defined, no-any-return]

    def close(self) -> None:
        self._rest.close()
        super().close()


def sniff_encoding(head: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is refused with a clear message. A few
    NUL bytes in text (a damaged export) are not refused here: the record holding one is an error row, and
    a header holding one is refused by the reader, located (see _nul_rows)."""
    from stm_screen.io.textcheck import inspect

    found = inspect(head, "survey export")
    if found is not None and not found.line:
        raise InputFileError(L_("{where}: {message}", where=name, message=found.message))
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    else:
        encoding = "utf-8"
    try:
        head.decode(encoding)
    except UnicodeDecodeError as exc:
        if len(head) < SAMPLE_BYTES or exc.start < len(head) - 4:  # not a character cut by the sample
            line = head[: exc.start].count(b"\n") + 1
            raise InputFileError(
                L_("{name}:{line}: the file is not UTF-8 text (it may be Windows-1252 or Latin-1); export it as UTF-8 (or UTF-16) and try again", name=name, line=line)
            ) from None
    return encoding


def bad_text_line(path: str) -> int | None:
    """The line holding the first byte that is not UTF-8 (or UTF-16, by the BOM), for an error message
    after reading failed part way (the reader decodes ahead, so its own line count is not exact)."""
    try:
        if not Path(path).is_file():  # a pipe cannot be read again from the start
            return None
        with open(path, "rb") as f:
            encoding = "utf-16" if f.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
            f.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            line = 1
            while chunk := f.read(1 << 20):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    return line + chunk[: max(exc.start, 0)].count(b"\n")
                line += chunk.count(b"\n")
    except OSError:
        return None
    return None


def detect_delimiter(text: str, suffix: str = "") -> str:
    """The delimiter: of the candidates in the header line (counted outside quotes), the most frequent
    one that every following line of the sample has as often; failing that, the header's most frequent.

    Looking past the header matters when question texts hold commas and the file uses ';' (a European
    spreadsheet's save): 'Over the past week, how strong ...;Along with the pain, have you had ...'.
    """
    lines = _delimiter_counts(text)
    header = lines[0] if lines else dict.fromkeys(DELIMITERS, 0)
    best = max(DELIMITERS, key=lambda d: header[d])
    if header[best] == 0:
        return "\t" if suffix == ".tsv" else ","
    if suffix == ".tsv" and header["\t"]:
        return "\t"
    rest = lines[1:]
    steady = [d for d in DELIMITERS if header[d] and rest and all(c[d] == header[d] for c in rest)]
    if steady:
        return max(steady, key=lambda d: header[d])
    return best


def _delimiter_counts(text: str, max_lines: int = 20) -> list[dict[str, int]]:
    """Counts of each candidate delimiter per line (outside quotes; blank lines and a last line cut off by
    the sample left out)."""
    out: list[dict[str, int]] = []
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    seen = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            seen = True
        elif not quoted and ch in "\r\n":
            if seen:
                out.append(counts)
                if len(out) >= max_lines:
                    return out
            counts = dict.fromkeys(DELIMITERS, 0)
            seen = False
        else:
            seen = seen or not ch.isspace()
            if not quoted and ch in counts:
                counts[ch] += 1
    if seen and (not out or not quoted):  # the last line: kept unless it is the sample's cut-off end
        if not out or len(text) < SAMPLE_BYTES // 2:
            out.append(counts)
    return out


def open_csv(
    handle: IO[bytes],
    name: str,
    encoding: str,
    size: int,
    delimiter: str | None,
    text_head: str,
    suffix: str,
) -> TableSource:
    raw = getattr(handle, "raw", None)
    window = raw if isinstance(raw, Window) else None
    # A NUL in a record makes it an error row (see _nul_rows): a regular file's rows are looked at only
    # when it holds one (in UTF-16, every character but ASCII's has a zero byte: each row is), a pipe's
    # once one of its blocks held one.
    nul = NulFlag()
    watched = handle if window is not None else io.BufferedReader(NulWatch(handle, nul))
    text = io.TextIOWrapper(watched, encoding=encoding, newline="")
    lines_before = 0
    if text_head.startswith("sep=") and len(text_head) > 4:  # Excel's hint line
        delimiter = delimiter or text_head[4]
        text.readline()
        lines_before = 1
    elif delimiter is None:
        delimiter = detect_delimiter(text_head, suffix)
    first = text_head.partition("\n")[0]
    # Both counts below stop early (the sample, the first blocks): a header refused there has "more than"
    # MAX_COLUMNS columns, never the number counted so far.
    if first.count(delimiter) >= MAX_COLUMNS:  # refused from the sample, before the line is parsed
        raise too_many_columns(name, MAX_COLUMNS)
    if "\n" not in text_head and len(delimiter.encode()) == 1:  # a first line longer than the sample
        count = _first_line_delimiters(handle, delimiter.encode())
        if count >= MAX_COLUMNS:
            raise too_many_columns(name, MAX_COLUMNS)
    tail = EdgeLine() if window is not None else None
    quotes, holds = _scan_bytes(handle, b"\x00")
    if window is not None:
        nul.seen = holds or encoding == "utf-16"
    # the edge line (see batch.segments) follows the text only when the file is scored in parts
    rows, line_num, checker = csv_rows(text, delimiter, name, tail=tail, check=quotes, base=lines_before, nul=nul)
    if checker is not None:
        if window is not None:
            from stm_screen.batch import parallel

            # A file large enough to be scored in parts is mended without reading ahead, whatever --jobs
            # says: its parts cannot read past their ranges, and the output is the same either way.
            checker.lookahead = size < 2 * parallel.MIN_PART_BYTES

    def position() -> int:
        try:
            return handle.tell()
        except (OSError, ValueError):
            return 0

    return TableSource(
        name=name,
        kind="csv",
        rows=rows,
        line=line_num,
        delimiter=delimiter,
        encoding=encoding,
        size=size,
        position=position,
        close=text.close,
        window=window,
        tail=tail,
        lines_before=lines_before,
        checker=checker,
        nul=nul,
    )


def _first_line_delimiters(handle: IO[bytes], delimiter: bytes, limit: int = 64 * 1024 * 1024) -> int:
    """The delimiters on a file's first line, counted from its bytes (a regular file; quotes not
    considered), stopping at MAX_COLUMNS: a header of a million columns is refused before it is parsed."""
    raw = getattr(handle, "raw", None)
    if not isinstance(raw, Window):
        return 0
    count = 0
    pos = 0
    while pos < limit:
        block = os.pread(raw.fd, 1 << 20, pos)
        if not block:
            break
        end = block.find(b"\n")
        part = block if end < 0 else block[:end]
        count += part.count(delimiter)
        if end >= 0 or count >= MAX_COLUMNS:
            break
        pos += len(block)
    return count


def too_many_columns(name: str, count: int, header: bool = True) -> InputFileError:
    """The header (or, in a JSON file, a record: ``header=False``) has too many columns to be an export."""
    counted = f"{count:,}"
    if count == MAX_COLUMNS:
        counted = L_("more than {count}", count=counted)
    if header:
        message = N_("the header has {count} columns; at most {limit} are read (is this a survey export?)")
    else:
        message = N_("a header row has {count} columns; at most {limit} are read (is this a survey export?)")
    limit = f"{MAX_COLUMNS:,}"
    return InputFileError(Problem(L_(message, count=counted, limit=limit), name))


def _enc_name(encoding: str) -> str:
    return "UTF-16" if encoding == "utf-16" else "UTF-8"


# --- XLSX ----------------------------------------------------------------------------------------------


def open_xlsx(name: str, size: int, jobs: int = 0) -> TableSource:
    """The first sheet of a workbook, row by row.

    Read with calamine (Rust) in slices of rows: the sheet's XML is inflated as it is read, cut at row ends,
    and each slice is handed to calamine as a small workbook of its own (the same styles and shared
    strings), so memory holds one slice, not the sheet. One pass over the sheet before it is read looks for
    formulas without values and notes where each slice starts (see :func:`_index_sheet`). openpyxl
    (read-only streaming) reads the rare workbook whose cells calamine would render differently (see
    :func:`_not_for_calamine`), and takes over at the row of a whole number too long for a float, which
    calamine can only read as a float. A large sheet is scored in parts (``sheet``: see :class:`SheetParts`
    and batch.parallel.run_xlsx), else its later slices are read by helper processes while this one scores.
    """
    _check_zip_bomb(name)
    try:
        book = _Book(name)
    except InputFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of a broken workbook is one message
        raise _workbook_unread(name, exc) from exc
    # no worksheet found by its relationships: openpyxl says why (or reads what it finds)
    uncached, exact = False, True
    if book.sheet:
        exact = _not_for_calamine(book.shared, shared=True)
        # one pass over the sheet: formulas without values, and (for scoring in parts) its slices
        found = _index_sheet(name, book.sheet[1], keep=not exact and jobs != 1)
        if found is None:
            uncached, exact = _scan_sheet(name, book.sheet[1], book.shared)
        else:
            uncached, book.index = found
    # (a formula whose value was never computed makes its record an error row, whichever reader reads it:
    # see _uncomputed and _rows_written)
    warnings = []
    if book.sheet is not None and (book.others or book.hidden):  # records elsewhere are never left unsaid
        first = printable(book.sheet[0][:60])
        if book.hidden:
            warnings.append(L_("{name}: the first sheet, '{sheet}', is hidden in the spreadsheet; it is the sheet read", name=name, sheet=first))
        if book.others:
            shown = ", ".join(f"'{printable(other[:60])}'" for other in book.others[:8]) + (", ..." if len(book.others) > 8 else "")
            warnings.append(L_("{name}: only the first sheet, '{sheet}', is read; records on the other sheets ({names}) are not scored: save each sheet as a file of its own to score it", name=name, sheet=first, names=shown))
    warning = "\n".join(warnings)
    state = {"row": 0}
    parts = None
    if not exact and book.sheet is not None and jobs != 1:
        slices = len(book.index.marks) if book.index is not None else book.sizes.get(book.sheet[1], 0) // SLICE_BYTES
        parts = SheetParts(book, max(1, slices))
    if exact:
        reader = _exact_rows(name, book.sheet[1] if book.sheet else None, state)
    else:
        reader = _calamine_rows(book, state, jobs, parts)

    return TableSource(
        name=name,
        kind="xlsx",
        rows=reader,
        line=lambda: state["row"],
        size=size,
        close=reader.close,
        warning=warning,
        sheet=parts,
    )


class _Book:
    """What a workbook's parts say: its first worksheet (name, part) and its shared strings."""

    def __init__(self, name: str) -> None:
        import posixpath
        import zipfile
        from xml.etree import ElementTree as ET  # the parts were checked for entity declarations

        rel_ns = "{http://schemas.openxmlformats.org/package/2006/relationships}"
        doc_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
        with zipfile.ZipFile(name) as z:
            names = set(z.namelist())
            self.sizes = {i.filename: i.file_size for i in z.infolist()}
            root = "xl/workbook.xml"
            if "_rels/.rels" in names:
                for rel in ET.fromstring(z.read("_rels/.rels")).iter(f"{rel_ns}Relationship"):
                    if rel.get("Type", "").endswith("/officeDocument"):
                        root = _part_path("", rel.get("Target", ""))
            folder = posixpath.dirname(root)
            rels_name = f"{folder}/_rels/{posixpath.basename(root)}.rels"
            targets: dict[str, tuple[str, str]] = {}
            if rels_name in names:
                for rel in ET.fromstring(z.read(rels_name)).iter(f"{rel_ns}Relationship"):
                    targets[rel.get("Id", "")] = (rel.get("Type", ""), _part_path(folder, rel.get("Target", "")))
            self.sheet: tuple[str, str] | None = None
            self.others: list[str] = []  # the names of the worksheets after the first (not read)
            self.hidden = False  # the first worksheet is hidden in the spreadsheet
            for sheet in ET.fromstring(z.read(root)).iter():
                if sheet.tag.rpartition("}")[2] != "sheet":
                    continue
                kind, part = targets.get(sheet.get(f"{doc_ns}id", ""), ("", ""))
                if kind.endswith("/worksheet") and part in names:
                    if self.sheet is None:
                        self.sheet = (sheet.get("name", ""), part)
                        self.hidden = sheet.get("state", "") in ("hidden", "veryHidden")
                    else:
                        self.others.append(sheet.get("name", ""))
            shared = next((p for k, p in targets.values() if k.endswith("/sharedStrings") and p in names), "")
            self.shared = z.read(shared) if shared else b""
            self.shared_part = shared
            # what calamine reads besides the sheet: the package's and the workbook's parts, its styles and texts
            needed = ("/styles", "/sharedStrings", "/theme")
            self.parts = {"[Content_Types].xml", "_rels/.rels", root, rels_name} | {
                p for k, p in targets.values() if k.endswith(needed)
            }
        self.name = name
        self.root = root
        self.index: SheetIndex | None = None  # see :func:`_index_sheet`


def _part_path(folder: str, target: str) -> str:
    import posixpath

    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target)) if folder else posixpath.normpath(target)


SLICE_BYTES = 4 * 1024 * 1024  # a slice of the sheet's XML handed to calamine at a time (memory: about 10x)
# A slice and the parts calamine reads with it (shared texts) larger than this go to calamine as a temporary
# file, not a package in memory that calamine copies again (issue 10: a 16 MB cell, shared or in a row)
SLICE_IN_MEMORY = 8 * 1024 * 1024
XLSX_MAX_HELPERS = 2  # processes reading slices while this one scores (at most one per CPU)


class _TakeOver(Exception):  # noqa: N818 - a signal, not an error
    """A cell that calamine cannot give exactly (a whole number beyond a float's precision)."""


@dataclass
class _Slice:
    """What calamine made of one slice: its rows (from sheet row ``first``, counted from 0), ``exact``
    when openpyxl must read on from ``first + len(rows)``, or what stopped it: ``error``, a key of
    :data:`_SHEET_FAULTS` (what is wrong, for the message), ``bad_row`` the number of the sheet row it
    could not read (0: not known) and ``detail`` calamine's own words (shown with --debug)."""

    first: int = 0
    rows: list[list[str]] = field(default_factory=list)
    exact: bool = False
    error: str = ""
    bad_row: int = 0
    detail: str = ""
    text: str | None = None  # the rows as one text, from a helper (see :func:`_pack`)
    fault: tuple[str, int] | None = None  # a cell written twice or in another row (see :func:`_cell_fault`)
    # sheet row -> why it is not a record that can be scored: a cell holding a formula whose value was never
    # computed, or a cell longer than MAX_CELL (see :func:`_flagged`), and which cell
    flagged: dict[int, tuple[str, str]] = field(default_factory=dict)


_SLICE_PARTS: tuple[str, str, list[tuple[str, bytes]]] = ("", "", [])  # sheet name, part, fixed parts
_LONG_TEXTS: set[str] = set()  # the sheet of _SLICE_PARTS, when its other parts hold more than MAX_CELL bytes


def _calamine_values(data: bytes) -> tuple[Any, list[list[Any]]]:
    """One slice of sheet XML (a whole ``<worksheet>``) read by calamine: where its cells start (None: no
    cell) and its rows of values; calamine's error when it cannot read it."""
    import tempfile
    import zipfile

    from python_calamine import CalamineWorkbook

    sheet_name, part, fixed = _SLICE_PARTS
    wb = None
    if len(data) + sum(len(content) for _, content in fixed) > SLICE_IN_MEMORY:
        # (from a file, calamine takes each part as it reads it: no copy of the package in memory, twice)
        try:
            tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed below
        except OSError:  # no temporary folder to write to: in memory, as a small slice
            tmp = None
        if tmp is not None:
            with tmp:
                with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as out:
                    for member, content in fixed:
                        out.writestr(member, content)
                    out.writestr(part, data)
                tmp.flush()
                wb = CalamineWorkbook.from_path(tmp.name)
    if wb is None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
            for member, content in fixed:
                out.writestr(member, content)
            out.writestr(part, data)
        buf.seek(0)
        wb = CalamineWorkbook.from_filelike(buf)
        del buf
    try:
        sheet = wb.get_sheet_by_name(sheet_name)
        start = sheet.start
        values = sheet.to_python(skip_empty_area=True) if start is not None else []
    finally:
        wb.close()
    return start, values


_ROW_END = re.compile(rb"</row\s*>")


def _unread_row(data: bytes) -> tuple[int, BaseException | None]:
    """The number of the first row of a slice that calamine cannot read, and its error there: found by
    reading ever shorter beginnings of the slice's rows (halving, so a slice of 30,000 rows is read some
    fifteen times, only when it cannot be read). (0, None) when its rows are read and the XML around them
    is what fails, or the row does not say its number."""
    begin = data.find(b"<sheetData")
    begin = data.find(b">", begin) + 1 if begin >= 0 else 0
    end = data.rfind(b"</sheetData>")
    if not begin or end < begin:
        return 0, None
    head, body, tail = data[:begin], data[begin:end], data[end:]
    cuts = [0, *(m.end() for m in _ROW_END.finditer(body))]
    if cuts[-1] != len(body):
        cuts.append(len(body))

    def error(k: int) -> BaseException | None:
        try:
            _calamine_values(head + body[: cuts[k]] + tail)
        except Exception as exc:  # noqa: BLE001 - what stops calamine, whatever it is
            return exc
        return None

    if len(cuts) < 2 or error(0) is not None:
        return 0, None
    good, bad = 0, len(cuts) - 1  # the first ``good`` pieces are read; the first ``bad`` are not
    last = error(bad)
    if last is None:
        return 0, None
    while bad - good > 1:
        middle = (good + bad) // 2
        found = error(middle)
        if found is None:
            good = middle
        else:
            bad, last = middle, found
    piece = body[cuts[bad - 1] : cuts[bad]]
    tags = list(_ROW_ATTRS.finditer(piece))
    number = _R_ATTR.search(tags[-1].group(1)) if tags else None
    digits = number.group(1).strip() if number else b""
    return (int(digits) if digits.isdigit() and len(digits) <= 9 else 0), last


# What stops a sheet from being read, in words: the keys of _Slice.error, and what each says.
_SHEET_FAULTS = {
    "number": N_("a cell marked as a number holds something else"),
    "boolean": N_("a cell marked as TRUE or FALSE holds something else"),
    "shared": N_("a cell refers to a text that is not in the workbook's list of texts"),
    "type": N_("a cell is marked with a kind of value that spreadsheets do not write"),
    "date": N_("a cell marked as a date holds something else"),
    "xml": N_("the sheet's XML is damaged"),
    "other": N_("a cell or row is not written as spreadsheets write them"),
}


def _sheet_fault(exc: BaseException) -> str:
    """Which of :data:`_SHEET_FAULTS` an error of calamine's or openpyxl's reading a sheet's rows is (told
    by its kind and its words, which hold no cell's value)."""
    kind = type(exc).__name__
    words = str(exc).lower()
    if kind in ("XmlError", "ParseError", "ExpatError") or words.startswith("xml"):
        return "xml"
    if kind in ("IndexError", "KeyError") or "shared string" in words:
        return "shared"
    if "boolean" in words:
        return "boolean"
    if "float" in words or "int" in words or "invalid literal" in words or "could not convert" in words:
        return "number"
    if "date" in words or "month" in words or "day is out of range" in words or "year" in words:
        return "date"
    if "unknown cell" in words or "attribute" in words:
        return "type"
    return "other"


def _sheet_unread(name: str, fault: str, row: int = 0, after: int = 0) -> InputFileError:
    """The message for a sheet that cannot be read: at sheet row ``row`` when it is known, else after the
    last row read (``after``), else the sheet."""
    reason = L_(_SHEET_FAULTS.get(fault, _SHEET_FAULTS["other"]))
    if row:
        return InputFileError(L_("{name}:{row}: row {row} of the workbook's sheet cannot be read ({reason}); open and save it again in a spreadsheet", name=name, row=row, reason=reason))
    if after:
        return InputFileError(L_("{name}: the workbook's sheet cannot be read after row {row} ({reason}); open and save it again in a spreadsheet", name=name, row=after, reason=reason))
    return InputFileError(L_("{name}: the workbook's sheet cannot be read ({reason}); open and save it again in a spreadsheet", name=name, reason=reason))


class SheetReadError(Exception):
    """What the reader of a sheet said when it stopped (the cause of the message, shown with --debug: the
    error itself may have been raised in a helper process)."""


def _workbook_unread(name: str, exc: BaseException) -> InputFileError:
    """The message for a workbook that cannot be opened at all, saying what is wrong with the file."""
    import zipfile
    import zlib

    kind = type(exc).__name__
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError) or kind == "ZipError":
        reason = L_("the file is damaged or incomplete: it does not open as the zip archive an .xlsx file is")
    elif isinstance(exc, KeyError) or "not found" in str(exc).lower():
        reason = L_("a part that every workbook holds is missing from it")
    elif kind in ("ParseError", "ExpatError", "XmlError") or isinstance(exc, UnicodeDecodeError):
        reason = L_("a part of it is not well-formed XML")
    else:
        reason = L_("it is not laid out as a spreadsheet saves a workbook")
    return InputFileError(L_("{name}: cannot read the workbook ({reason}); is it an .xlsx file saved by a spreadsheet?", name=name, reason=reason))


def _read_slice(data: bytes) -> _Slice:
    """One slice of sheet XML (a whole ``<worksheet>`` of some rows) read by calamine, as text rows.
    Runs in a helper process, or here (``_SLICE_PARTS`` says which workbook)."""
    if _not_for_calamine(data):
        return _Slice(exact=True)
    signed = b"-" in data and b"<v>-" in data  # (a rare byte is found fast: memchr)
    try:
        start, values = _calamine_values(data)
    except Exception as exc:  # noqa: BLE001 - broken XML in the sheet: one message, with the row
        if _ERROR_CELL.search(data):  # an error cell without '#' (not looked for above): openpyxl reads it
            return _Slice(exact=True)
        bad_row, at_row = _unread_row(data)
        said: BaseException = at_row or exc
        return _Slice(error=_sheet_fault(said), bad_row=bad_row, detail=f"{type(said).__name__}: {said}"[:300])
    flagged = _uncomputed(data) if _formula_in(data) and _NO_VALUE.search(data) else {}
    if start is None:
        return _Slice(exact=True) if flagged else _Slice(first=-1)  # (openpyxl reads a row of such cells)
    first, offset = start
    if any(not first < row <= first + len(values) for row in flagged):
        return _Slice(exact=True)  # a row holding nothing else calamine read: openpyxl reads the slice
    lead = [""] * offset
    rows: list[list[str]] = []
    # most cells are answers repeated row after row: each distinct value is converted once, and a row is
    # mapped by the memo's lookup (in C) rather than cell by cell in Python
    cell = _CellTexts(_cell_text_signed if signed else _cell_text).__getitem__
    try:
        for values_row in values:
            row = list(map(cell, values_row))
            while row and row[-1] == "":
                row.pop()
            rows.append(lead + row if offset and row else row)
    except _TakeOver:
        return _Slice(first=first, rows=rows, exact=True)
    if len(data) > MAX_CELL or _SLICE_PARTS[1] in _LONG_TEXTS:  # a cell may be longer than MAX_CELL
        for k, row in enumerate(rows):
            at = _long_cell(row)
            if at is not None and first + k + 1 not in flagged:
                flagged[first + k + 1] = ("long", f"{_column_letters(at + 1)}{first + k + 1}")
    if b"\x00" in data or _SLICE_PARTS[1] in _NUL_TEXTS:  # a cell may hold a NUL (a memchr first)
        for k, row in enumerate(rows):
            at = _nul_cell(row)
            if at is not None and first + k + 1 not in flagged:
                flagged[first + k + 1] = ("nul", f"{_column_letters(at + 1)}{first + k + 1}")
    # calamine keeps the last of a cell written twice: fewer cells with a value than the XML writes cells
    # with content (counted fast: a cell written empty is '<c r="B2"/>'), or a cell outside the slice's
    # rows, is checked tag by tag (a value that reads as blank, or a formula without one, is also fewer).
    # (A row or cell named with a namespace prefix was refused before: see _RowOrder.)
    begin = data.find(b">", max(0, data.find(b"<sheetData"))) + 1
    end = data.rfind(b"</sheetData>")
    written = data.count(b"</c", begin, end if end > begin else len(data))  # ('</c >' too: no other tag there)
    if written > sum(len(row) for row in rows) - sum(row.count("") for row in rows) or _outside(
        data, first, len(values)
    ):
        fault = _cell_fault(data)
        if fault is not None:
            return _Slice(fault=fault)
    return _Slice(first=first, rows=rows, flagged=flagged)


class _CellTexts(dict[Any, str]):
    """A calamine cell's text (:func:`_cell_text`), each distinct value converted once: a text is itself.
    True == 1 == 1.0 and False == 0 == 0.0 (one key in a dict): booleans, and numbers equal to 0 or 1,
    are converted every time, never kept."""

    def __init__(self, text: Callable[[Any], str]) -> None:
        super().__init__()
        self.text = text

    def __missing__(self, value: Any) -> str:
        kind = type(value)
        if kind is str:
            self[value] = value
            return value  # type: ignore[no-any-return]
        text = self.text(value)  # _TakeOver for a long whole number: nothing kept
        if kind is bool or ((kind is float or kind is int) and (value == 0 or value == 1)):
            return text
        self[value] = text
        return text


# A helper sends a slice's rows as one text (cells joined by US, rows by RS): one string to pickle and
# unpickle instead of one per cell. Neither character can be in a cell's text (XML 1.0 forbids them; a
# slice whose cells hold one anyway is sent as lists, see :func:`_pack`).
_US, _RS = "\x1f", "\x1e"


def _pack(piece: _Slice) -> _Slice:
    """The slice with its rows joined into ``text`` (run by a helper)."""
    rows = piece.rows
    if not rows:
        return piece
    text = _RS.join([_US.join(row) for row in rows])
    if text.count(_US) != sum(len(row) for row in rows) - len(rows) + rows.count([]) or text.count(_RS) != len(rows) - 1:
        return piece  # a cell holds a separator
    return _Slice(first=piece.first, exact=piece.exact, text=text, flagged=piece.flagged)


def _unpack(piece: _Slice) -> _Slice:
    """The slice's rows from its ``text`` (see :func:`_pack`)."""
    if piece.text is not None:
        piece.rows = [row.split(_US) if row else [] for row in piece.text.split(_RS)]
        piece.text = None
    return piece


def _read_packed(data: bytes) -> _Slice:  # pragma: no cover - runs in a helper
    return _pack(_read_slice(data))


PAUSE: list[str] = []  # yielded (by identity) where a scored part ends: see :class:`SheetParts`


@dataclass
class SheetParts:
    """How a large sheet's rows are read when it is scored in parts (see batch.parallel.run_xlsx): this
    process yields :data:`PAUSE` before slice ``stop``, then reads on from slice ``resume``; a helper
    reads slices ``first`` to ``end``, skipping those before unparsed but counting their rows."""

    book: Any
    slices: int  # about how many slices the sheet has (its size over SLICE_BYTES)
    stop: int | None = None
    resume: int = 0
    first: int = 0
    end: int | None = None
    split: bool = False  # scored in parts: no helpers reading slices for this process
    index: int = 0  # the slice being read
    pooled: bool = False  # helpers read slices (the sheet can no longer be scored in parts)
    alone: bool = False  # openpyxl took over: this process reads to the end
    nonempty: int = 0  # rows holding a value, handed on
    rows_before: int = 0  # a helper: the rows (row elements) of the slices skipped before ``first``


class PartFailed(Exception):  # noqa: N818 - a signal, not an error
    """A helper's part cannot be read by calamine alone (openpyxl, or an error): this process reads it."""


def _calamine_rows(
    book: _Book, state: dict[str, int], jobs: int = 0, parts: SheetParts | None = None
) -> Generator[list[str], None, None]:
    """The sheet's rows through calamine, slice by slice (see :func:`open_xlsx`): read by helper
    processes while this one scores, when the sheet is large and ``jobs`` allows it, unless it is scored
    in parts (``parts``, see :class:`SheetParts`)."""
    import zipfile

    global _SLICE_PARTS
    assert book.sheet is not None
    sheet_name, part = book.sheet
    with zipfile.ZipFile(book.name) as z:  # the workbook's parts that calamine reads besides the sheet
        fixed = [
            (info.filename, book.shared if info.filename == book.shared_part else z.read(info))
            for info in z.infolist()
            if info.filename in book.parts
        ]  # (the shared texts as read before: not a second copy)
    _SLICE_PARTS = (sheet_name, part, fixed)  # inherited by the helpers (forked)
    if any(len(content) > MAX_CELL for _member, content in fixed):  # (shared texts that may be that long)
        _LONG_TEXTS.add(part)
    else:
        _LONG_TEXTS.discard(part)
    if any(b"\x00" in content for _member, content in fixed):  # (shared texts that may hold a NUL)
        _NUL_TEXTS.add(part)
    else:
        _NUL_TEXTS.discard(part)
    if parts is None:
        parts = SheetParts(book, 0)
    helper = parts.first > 0 or parts.end is not None
    if parts.first > 0 and book.index is not None and parts.first < len(book.index.marks):
        # a helper starts at its part's first slice (its rows before counted by the index)
        slices = _slices_from(book, parts.first)
        parts.rows_before = book.index.rows[parts.first]
        parts.index = parts.first
    else:
        slices = _sheet_slices(book.name, part)
    pool = None
    parsed: Iterator[_Slice] = iter(())
    done = 0  # sheet rows handed on
    try:
        while True:
            if parts.stop is not None and parts.index == parts.stop:
                yield PAUSE
            if parts.end is not None and parts.index >= parts.end:
                return
            if pool is None and parts.index >= 1 and not parts.split and not helper:
                pool = _slice_helpers(book, jobs)  # (not for the first slice: the sheet may yet be split)
                if pool is not None:
                    parts.pooled = True
                    parsed = _in_order(pool, (h + b + t for h, b, t in slices))
            if pool is None:
                got = next(slices, None)
                if got is None:
                    return
                if parts.index < parts.first:  # a helper: slices before its part are skipped unread
                    parts.rows_before += got[1].count(b"</row>")
                    parts.index += 1
                    continue
                data = got[0] + got[1] + got[2]
                del got  # (a row of up to 16 MB: one copy of it while calamine reads, not two)
                piece = _read_slice(data)
                del data
            else:
                ready = next(parsed, None)
                if ready is None:
                    return
                piece = ready
            parts.index += 1
            if piece.fault is not None:
                if helper:
                    raise PartFailed
                raise _cells_wrong(book.name, piece.fault)
            if piece.error:
                if helper:
                    raise PartFailed
                raise _sheet_unread(book.name, piece.error, piece.bad_row, done) from SheetReadError(piece.detail)
            if piece.first < 0:
                continue
            if helper and (piece.exact or (piece.rows and piece.first < max(done, parts.rows_before))):
                raise PartFailed  # openpyxl needed, or rows without their numbers
            if piece.first < done and (piece.rows or piece.exact):  # rows without their numbers
                piece = _Slice(exact=True)
            if parts.index <= parts.resume:  # read by a helper whose output is used: only counted
                done = max(done, piece.first + len(piece.rows))
                state["row"] = done
                continue
            if helper and done == 0:
                done = piece.first
            if done < piece.first:  # rows with no value: not records, skipped at once (none is handed on:
                done = piece.first  # a row numbered 50,000,000 would take minutes one by one)
                state["row"] = done
            flagged = piece.flagged
            for row in piece.rows:
                done += 1
                if flagged and done in flagged:  # a record that cannot be scored: its error row
                    state["row"] = done
                    parts.nonempty += 1
                    yield _flagged(book.name, done, flagged[done], row)
                elif row:  # (a row with no value is not a record: not handed on, as openpyxl's are not)
                    state["row"] = done
                    parts.nonempty += 1
                    yield row
            if piece.exact:
                break
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        parts.alone = True
        yield from _exact_rows(book.name, part, state, min_row=done + 1)
    finally:
        if pool is not None:  # slices being read are finished (a second at most), the rest dropped
            pool.shutdown(wait=True, cancel_futures=True)


def _slice_helpers(book: _Book, jobs: int) -> Any:
    """Helper processes for a sheet of several slices (a ProcessPoolExecutor), or None (one process:
    ``--jobs 1``, one CPU, a small sheet, a platform without fork, or threads that a fork would not copy)."""
    import sys

    assert book.sheet is not None
    if jobs == 1 or book.sizes.get(book.sheet[1], 0) < 3 * SLICE_BYTES:
        return None
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return None
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return None
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    helpers = min(jobs or cpus, cpus, XLSX_MAX_HELPERS)
    if helpers < 2:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(helpers, multiprocessing.get_context("fork"), initializer=_helper_start)


def _helper_start() -> None:  # pragma: no cover - runs in a helper
    """A helper leaves Ctrl-C to the main process (which ends the helpers)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _in_order(pool: Any, slices: Iterator[bytes], ahead: int = 3) -> Iterator[_Slice]:
    """The slices read by the pool, in file order, with at most ``ahead`` read ahead of the one used. A
    slice whose helper failed (it died, or could not start) is read here."""
    waiting: deque[tuple[Any, bytes]] = deque()

    def result(future: Any, data: bytes) -> _Slice:
        try:
            piece: _Slice = future.result()
        except Exception:  # noqa: BLE001 - BrokenProcessPool, or anything a helper could not send back
            return _read_slice(data)
        return _unpack(piece)

    for data in slices:
        if len(data) > SLICE_IN_MEMORY:
            # a slice of a long row (up to 16 MB) is read here, after those before it: sent to a helper, it
            # would be pickled, sent and unpickled, and wait with others (issue 10)
            while waiting:
                future, before = waiting.popleft()
                yield _read_slice(before) if future is None else result(future, before)
                del before
            yield _read_slice(data)
            del data
            continue
        try:
            future = pool.submit(_read_packed, data)
        except Exception:  # noqa: BLE001 - the pool broke: read here from now on
            future = None
        waiting.append((future, data))
        del data
        if len(waiting) >= ahead:
            future, data = waiting.popleft()
            yield _read_slice(data) if future is None else result(future, data)
    while waiting:
        future, data = waiting.popleft()
        yield _read_slice(data) if future is None else result(future, data)


def _sheet_slices(name: str, part: str) -> Iterator[tuple[bytes, bytes, bytes]]:
    """The sheet's XML as (head, rows, tail) slices: the text before ``<sheetData>``, whole ``<row>``
    elements of about SLICE_BYTES, and the end of the sheet data with what follows."""
    import zipfile

    with zipfile.ZipFile(name) as z, z.open(part) as f:
        yield from _cut_slices(f, name=name)


def _cut_slices(
    f: Any,
    marks: list[tuple[int, int]] | None = None,
    head: bytes = b"",
    buf: bytes = b"",
    at: int = 0,
    name: str = "",
) -> Iterator[tuple[bytes, bytes, bytes]]:
    """:func:`_sheet_slices` from a reader ``f`` (``read(n)`` gives n bytes until the end). Where each
    slice starts is put in ``marks``: the offset of its first byte and the read position then (the
    reader's bytes read so far). A read started at a slice gives the sheet's ``head``, the slice's bytes
    read so far (``buf``) and the read position (``at``): the slices from there on are cut exactly as a
    read from the start cuts them (the same reads of ``step`` bytes). A row whose XML runs past
    XLSX_MAX_ROW_BYTES stops the read (the workbook ``name`` is not read: see :func:`_row_too_long`)."""
    step = min(1 << 20, SLICE_BYTES)
    while not head:
        chunk = f.read(step)
        at += len(chunk)
        buf += chunk
        found = buf.find(b"<sheetData")
        if found < 0 and _PREFIXED_DATA.search(buf):
            raise _prefixed(name)
        if found >= 0:
            close = buf.find(b">", found)
            if close >= 0:
                if buf[close - 1 : close] == b"/":  # <sheetData/>: no rows at all
                    return
                head, buf = buf[: close + 1], buf[close + 1 :]
                break
        if not chunk:
            return
    eof = False
    while not eof:
        if marks is not None:
            marks.append((at - len(buf), at))
        want = SLICE_BYTES
        searched = 0  # where the search for a row's end starts: before it, there is none
        # A row longer than a slice is read on a step at a time: the steps are kept apart, only the new
        # bytes are searched (with the edge before them), and they are joined once the row ends (joined at
        # each step, a 16 MB row was copied 16 times, two copies at once; issue 10).
        pieces = [buf]
        have = len(buf)
        seen = 0  # bytes searched for a row's end and a row's start: neither is there
        starts = False  # a '<row' past byte 8 of the bytes read (see below)
        while True:
            while have < want:
                chunk = f.read(step)
                if not chunk:
                    eof = True
                    break
                at += len(chunk)
                pieces.append(chunk)
                have += len(chunk)
            if eof:
                break
            lo = max(0, seen - 8)  # a tag that ends past ``seen`` starts here or later
            new = _last_bytes(pieces, have - lo)
            cut = new.rfind(b"</row>", max(0, searched - lo))
            if cut >= 0:
                cut += lo
                break
            if not starts:
                starts = _ROW_START.search(new, max(0, 8 - lo)) is not None
            del new
            seen = have
            searched = max(0, have - len(b"</row>") + 1)
            # one row longer than a slice: read on, but not for ever (rows written as '<row .../>', with no
            # '</row>', are many rows: read on as before)
            if have > XLSX_MAX_ROW_BYTES and not starts:
                raise _row_too_long(name, b"".join(pieces))
            want = have + step
        buf = b"".join(pieces)
        del pieces
        if eof:
            end = buf.rfind(b"</sheetData>")
            if end < 0:
                end = len(buf)  # broken XML: calamine says so
            yield head, buf[:end], buf[end:] if end < len(buf) else b"</sheetData></worksheet>"
            return
        cut += len(b"</row>")
        ready = [(head, buf[:cut], b"</sheetData></worksheet>")]
        buf = buf[cut:]
        yield ready.pop()  # (not kept here while it is read: a row may be 16 MB)


def _last_bytes(pieces: list[bytes], n: int) -> bytes:
    """The last ``n`` bytes of ``pieces`` joined (the last piece itself when it is all of them)."""
    out = []
    for piece in reversed(pieces):
        if n <= 0:
            break
        out.append(piece if len(piece) <= n else piece[len(piece) - n :])
        n -= len(piece)
    return b"".join(reversed(out))


XLSX_MAX_ROW_BYTES = 16 * 1024 * 1024  # a row's XML; past this, a cell that runs on (as CSV's 16 MB cell)
_ROW_NUMBER = re.compile(rb"<row\b[^>]*?\br=[\"'](\d+)")
_ROW_START = re.compile(rb"<row[\s>/]")


_PREFIXED_DATA = re.compile(rb"<[A-Za-z_][\w.-]*:sheetData\b")


def _prefixed(name: str) -> InputFileError:
    return InputFileError(
        L_("{name}: the sheet's XML names its rows with a namespace prefix (such as <x:row>), which spreadsheets do not write and this tool does not read; open and save the workbook in a spreadsheet, then try again", name=name)
    )


def _row_too_long(name: str, buf: bytes) -> InputFileError:
    """The workbook is not read: one row's XML (at the start of ``buf``) is longer than any real row (or
    its rows are named with a prefix, so that no '</row>' ends one)."""
    if _ANY_ROW_ATTRS.search(buf, 0, 1 << 16) and not _ROW_ATTRS.search(buf, 0, 1 << 16):
        return _prefixed(name)
    found = _ROW_NUMBER.search(buf, 0, 4096)
    where = f"{name}:{int(found.group(1))}" if found else name
    return InputFileError(
        L_("{where}: a row of the sheet is longer than {limit} MB (a cell that runs on?); the workbook is not read. Check that row in a spreadsheet, or export the answers again", where=where, limit=XLSX_MAX_ROW_BYTES >> 20)
    )


# --- one pass over the sheet before it is read -----------------------------------------------------------
# The sheet's XML is inflated once before it is read (formulas without values are looked for), and that
# pass also cuts it into the slices the readers cut it into, noting for each slice where inflating can
# start again (a copy of the inflater's state), its rows before and where its bytes start: a helper that
# scores a later part (batch.parallel.run_xlsx) starts at its first slice instead of inflating, cutting and
# counting the slices before it.

_DEFLATED_CHUNK = 64 * 1024  # compressed bytes read at a time (a kept state holds what is left of them)


@dataclass
class _Resume:
    """Where inflating a zip member can start again: at a file offset, with the inflater's state then."""

    offset: int  # of the next compressed bytes in the file
    left: int  # compressed bytes from there to the member's end
    inflater: Any  # a copy of the zlib decompressor's state then (None: a stored member)
    at: int  # the uncompressed offset of the next byte inflated


@dataclass
class SheetIndex:
    """The sheet's slices as :func:`_sheet_slices` cuts them: the text before its rows, and for each
    slice the row elements before it, its first byte and the read position then, and where to inflate
    from (a :class:`_Resume` at or before its first byte)."""

    head: bytes
    rows: list[int]
    marks: list[tuple[int, int]]
    resume: list[_Resume]


class _RawMember:
    """A zip member's bytes inflated from the file itself, from its start or a :class:`_Resume`; each
    state before a piece is inflated is kept (when ``keep``) until :meth:`resume_at` takes one. The CRC of
    what was read is in ``crc`` when ``check`` (a read from a later state was checked by the pass that
    kept it)."""

    def __init__(self, handle: IO[bytes], start: _Resume, keep: bool = False, check: bool = False) -> None:
        self.handle = handle
        self.offset = start.offset
        self.left = start.left
        self.inflater = start.inflater.copy() if start.inflater is not None else None
        self.at = start.at
        self.pending = b""
        self.keep = keep
        self.check = check
        self.states: deque[_Resume] = deque()
        self.crc = 0
        self.ended = False
        handle.seek(self.offset)

    def _piece(self) -> bytes:
        """The next ``step`` bytes of the member (fewer at its end; b"" past it)."""
        import zlib

        step = min(1 << 20, SLICE_BYTES)
        if self.keep:
            state = self.inflater.copy() if self.inflater is not None else None
            self.states.append(_Resume(self.offset, self.left, state, self.at))
        if self.inflater is None:  # stored
            out = self.handle.read(min(step, self.left))
            self.offset += len(out)
            self.left -= len(out)
            if self.left > 0 and len(out) < step:
                raise EOFError  # the file ends before the member does
        else:
            pieces: list[bytes] = []
            have = 0
            while have < step and not self.inflater.eof:
                data = self.inflater.unconsumed_tail
                if not data:
                    data = self.handle.read(min(_DEFLATED_CHUNK, self.left))
                    self.offset += len(data)
                    self.left -= len(data)
                    if not data:
                        raise EOFError  # the deflated stream ends before its end
                got = self.inflater.decompress(data, step - have)
                pieces.append(got)
                have += len(got)
            out = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        self.at += len(out)
        if self.check:
            self.crc = zlib.crc32(out, self.crc)
        if not out:
            self.ended = True
        return out

    def read(self, n: int) -> bytes:
        if not self.pending and not self.ended:
            piece = self._piece()
            if len(piece) == n:  # as most are: a step inflated at a time
                return piece
            self.pending = piece
        pieces = [self.pending]
        have = len(self.pending)
        while have < n and not self.ended:
            piece = self._piece()
            pieces.append(piece)
            have += len(piece)
        data = b"".join(pieces)
        self.pending = data[n:]
        return data[:n]

    def resume_at(self, offset: int) -> _Resume:
        """The last state kept at or before this uncompressed offset (those before it are dropped)."""
        while len(self.states) > 1 and self.states[1].at <= offset:
            self.states.popleft()
        return self.states[0]


def _member_start(handle: IO[bytes], info: Any) -> _Resume | None:
    """Where a zip member's compressed bytes start (stored or deflated, not encrypted), or None."""
    import struct
    import zipfile
    import zlib

    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        return None
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    return _Resume(info.header_offset + 30 + name_len + extra_len, info.compress_size, inflater, 0)


def _index_sheet(name: str, member: str, keep: bool) -> tuple[bool, SheetIndex | None] | None:
    """One pass over the sheet: does it hold a formula cell with no cached value (read as blank), and
    (when ``keep``) its :class:`SheetIndex`. None when the sheet is not one this pass reads (not stored or
    deflated, no sheet data, a broken or truncated stream, a wrong CRC): :func:`_scan_sheet` reads it as
    before."""
    import zipfile
    import zlib

    try:
        with zipfile.ZipFile(name) as z:
            info = z.getinfo(member)
        with open(name, "rb") as handle:
            start = _member_start(handle, info)
            if start is None:
                return None
            reader = _RawMember(handle, start, keep, check=True)
            marks: list[tuple[int, int]] = []
            rows = [0]
            resume: list[_Resume] = []
            uncached = False
            order = _RowOrder()
            last = (b"", b"", b"")
            for last in _cut_slices(reader, marks, name=name):
                body = last[1]
                order.feed(body)
                if keep:  # (the rows before a slice: for a helper that starts there)
                    resume.append(reader.resume_at(marks[len(rows) - 1][0]))
                    rows.append(rows[-1] + body.count(b"</row>"))
                if not uncached and _formula_in(body) and _NO_VALUE.search(body):
                    uncached = True
            head, _, tail = last
            if not head or reader.crc != info.CRC or reader.at != info.file_size:
                return None
            if not uncached and b"<f" in head + tail and _NO_VALUE.search(head + tail):
                uncached = True
    except (KeyError, OSError, ValueError, EOFError, zlib.error, zipfile.BadZipFile):
        return None
    order.check(name)
    return uncached, SheetIndex(head, rows[:-1], marks, resume) if keep else None


def _slices_from(book: _Book, first: int) -> Iterator[tuple[bytes, bytes, bytes]]:
    """The sheet's slices from slice ``first`` on, inflated from where the index says (see
    :class:`SheetIndex`): exactly those :func:`_sheet_slices` gives from there."""
    index = book.index
    assert index is not None
    begin, at = index.marks[first]
    start = index.resume[first]
    with open(book.name, "rb") as handle:
        reader = _RawMember(handle, start)
        buf = reader.read(at - start.at)[begin - start.at :]
        yield from _cut_slices(reader, head=index.head, buf=buf, at=at, name=book.name)


def _cell_text(value: Any) -> str:
    """A calamine cell as the text openpyxl's value gave (see :func:`_xlsx_text`)."""
    if type(value) is float:
        if value.is_integer():
            if abs(value) >= 2**53:  # a long whole number, read as a float: openpyxl reads its digits
                raise _TakeOver
            return str(int(value))
        return repr(value)
    if type(value) is date:  # a date at midnight: openpyxl gives a datetime
        return f"{value.isoformat()} 00:00:00"
    if type(value) is timedelta or getattr(value, "microsecond", False):
        raise _TakeOver  # a duration, a fraction of a second: the two round a serial number otherwise
    return _xlsx_text(value)


def _cell_text_signed(value: Any) -> str:
    """:func:`_cell_text` for a slice holding a negative number: a negative number formatted as a date is
    a time of day to calamine, a day before 1900 to openpyxl."""
    if type(value) is time:
        raise _TakeOver
    return _cell_text(value)


def _openpyxl_rows(name: str, state: dict[str, int], min_row: int = 1) -> Generator[list[str], None, None]:
    """The sheet's rows through openpyxl's read-only streaming mode, from ``min_row`` on."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        # a file object, not the name: openpyxl refuses names that do not end in .xlsx, and a workbook is
        # a workbook whatever it is called (an export saved as .csv, or with no extension)
        handle = open(name, "rb")  # noqa: SIM115 - closed below
        try:
            wb = load_workbook(handle, read_only=True, data_only=True)
        except BaseException:
            handle.close()
            raise
    except Exception as exc:  # noqa: BLE001 - any failure of a broken workbook is one message
        raise _workbook_unread(name, exc) from exc
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise InputFileError(L_("{name}: the workbook has no sheets", name=name))
        ws.reset_dimensions()  # every row the sheet holds, whatever its <dimension> says
        values_of = _rows_written(ws, min_row)
        state["row"] = min_row - 1
        last = min_row - 1  # the last row read, with a value or not
        while True:
            try:
                number, values, flag = next(values_of)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - broken XML in the sheet: one message, with the row
                raise _sheet_unread(name, _sheet_fault(exc), after=last) from exc
            last = number
            row = [_xlsx_text(v) for v in values]
            while row and row[-1] == "":
                row.pop()
            at = _long_cell(row)
            if at is not None and flag is None:
                flag = ("long", f"{_column_letters(at + 1)}{number}")
            at = _nul_cell(row) if flag is None else None
            if at is not None:
                flag = ("nul", f"{_column_letters(at + 1)}{number}")
            if flag is not None:  # a record that cannot be scored: its error row
                state["row"] = number
                yield _flagged(name, number, flag, row)
            elif row:  # a row written with no value is not a record (nor is one the sheet skips)
                state["row"] = number
                yield row
    finally:
        wb.close()
        handle.close()


def _rows_written(ws: Any, min_row: int) -> Iterator[tuple[int, tuple[Any, ...], tuple[str, str] | None]]:
    """(number, values, flag) of each row the sheet's XML writes, from ``min_row`` on; ``flag`` names the
    first cell holding a formula whose value was never computed (see :func:`_no_value`), else None.
    openpyxl's ``iter_rows`` makes an empty row for every number the sheet skips: a single empty row
    numbered 50,000,000 kept it busy for minutes (rows with no value are not records anyway). Its own
    parser is read here as ``iter_rows`` reads it, without that filling (with another openpyxl, where
    these names differ: ``iter_rows``, and a sheet holding such a formula is not read)."""
    try:
        from openpyxl.worksheet._reader import WorkSheetParser  # type: ignore[import-untyped]

        class Parser(WorkSheetParser):  # type: ignore[misc]
            """openpyxl's parser, noting a formula cell without a computed value (read as empty)."""

            uncomputed: str | None = None

            def parse_cell(self, element: Any) -> Any:
                if not _no_value(element):
                    return super().parse_cell(element)
                for child in list(element):  # (a value of spaces: not read as a number, refused)
                    if child.tag.rpartition("}")[2] == "v":
                        element.remove(child)
                cell = super().parse_cell(element)
                if self.uncomputed is None:
                    self.uncomputed = f"{_column_letters(cell['column'])}{cell['row']}"
                return cell

        parent = ws.parent
        options = {
            "data_only": parent.data_only,
            "epoch": parent.epoch,
            "date_formats": parent._date_formats,
            "timedelta_formats": parent._timedelta_formats,
        }
        source, get_row, shared = ws._get_source, ws._get_row, ws._shared_strings
    except (ImportError, AttributeError):
        for number, values in enumerate(ws.iter_rows(min_row=min_row, values_only=True), min_row):
            yield number, values, None
        return
    last = min_row - 1
    with source() as src:
        parser = Parser(src, shared, **options)
        for number, cells in parser.parse():
            flag, parser.uncomputed = parser.uncomputed, None
            if number <= last:  # (as iter_rows: a row numbered before the last is dropped; see _RowOrder)
                continue
            last = number
            yield number, get_row(cells, 1, None, True), ("formula", flag) if flag else None


def _no_value(element: Any) -> bool:
    """Is this cell (an XML element, as openpyxl parses it) a formula whose value was never computed: no
    ``<v>``, or an empty one in a cell that is not text (an empty text is a value a formula can give)?"""
    children = {child.tag.rpartition("}")[2]: child for child in element}
    if "f" not in children:
        return False
    value = children.get("v")
    if value is None:
        return True
    return not (value.text or "").strip() and element.get("t", "n") != "str"


_NO_VALUE = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")
_T_ATTR = re.compile(rb"""(?:^|\s)t\s*=\s*["']([^"']*)["']""")


def _uncomputed(data: bytes) -> dict[int, tuple[str, str]]:
    """The rows of this XML (whole rows) holding a cell whose formula's value was never computed (a workbook
    written by a program, not saved by a spreadsheet: both readers read it as blank, which could hide a
    warning sign as 'not answered'), each with the first such cell: no value, or an empty one in a cell
    that is not text (a formula giving an empty text is written with an empty value and t="str")."""
    found = list(_NO_VALUE.finditer(data))
    out: dict[int, tuple[str, str]] = {}
    row = column = 0
    cell: tuple[int, int, bytes] | None = None  # the cell being read: its row, column and attributes
    k = 0

    def owned_up_to(end: int) -> None:  # the formulas found before ``end`` are the cell's being read
        nonlocal k
        while k < len(found) and found[k].start() < end:
            if cell is not None and cell[0] not in out:
                kind = _T_ATTR.search(cell[2])
                if not (kind and kind.group(1) == b"str" and b"<v" in found[k].group(0)):
                    out[cell[0]] = ("formula", f"{_column_letters(cell[1])}{cell[0]}")
            k += 1

    for tag in _TAG.finditer(data):
        owned_up_to(tag.start())
        name, attrs = tag.group(1), tag.group(2)
        if name == b"row":
            row, column = _row_number(attrs, row), 0
            continue
        r = _R_ATTR.search(attrs)
        ref = _REF.fullmatch(r.group(1).strip()) if r else None
        if ref is not None:
            column, number = _column_number(ref.group(1)), int(ref.group(2))
        else:
            column, number = column + 1, row
        cell = (number, column, attrs)
    owned_up_to(len(data))
    return out


def _flagged(name: str, number: int, flag: tuple[str, str], row: list[str]) -> LineError:
    """The error row of sheet row ``number`` (its cells ``row``, for its id), which cannot be scored."""
    kind, cell = flag
    if kind == "nul":  # (its message is a header's: the runner says a record's, naming its column)
        from stm_screen.io.textcheck import located_nul

        at = _nul_cell(row) or 0
        found = located_nul(number, at + 1, "survey export")
        where = f"{name}:{number} ({cell})"
        return LineError(
            L_("{where}: {message}", where=where, message=found.message),
            cells=[c if len(c) <= MAX_CELL and "\x00" not in c else "" for c in row],
            nul=(f"{name}:{number}", at, cell),
        )
    if kind == "long":
        message = cell_too_long(f"{name}:{number} ({cell})")
    else:
        message = L_("{name}:{row}: the cell {cell} holds a formula whose value was never computed (the workbook was written by a program, not saved by a spreadsheet); open and save it in a spreadsheet, then try again", name=name, row=number, cell=cell)
    return LineError(message, cells=[c if len(c) <= MAX_CELL else "" for c in row])
# What calamine renders otherwise than openpyxl, found by cheap byte searches first: an error cell
# (calamine: blank; openpyxl: '#N/A'), an _xHHHH_ escape (calamine decodes it), a text with edge spaces not
# marked xml:space="preserve" (calamine trims it), a phonetic run, an entity other than XML's own (openpyxl
# refuses it). (A row without its number shows itself: calamine counts the rows of a slice from 0.)
_ERROR_CELL = re.compile(rb"""\bt\s*=\s*["']e["']""")
_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")
_EDGE_SPACE = re.compile(rb"<t>(?:\s|[^<]*\s</t>)")
# b"<t> " in data, b" </t>" in data: a regular expression's literal is searched faster (on XML)
_LEAD_SPACE = re.compile(rb"<t> ")
_TRAIL_SPACE = re.compile(rb" </t>")
_XML_ENTITIES = (b"&amp;", b"&lt;", b"&gt;", b"&quot;", b"&apos;", b"&#")


_WIDE_CELL = re.compile(rb' r="[A-Z]{3}')  # a cell past column ZZ (702)
_ROW_AT = re.compile(rb'<row r="(\d{1,9})"')


def _sparse(data: bytes) -> bool:
    """Would calamine hold far more cells than this sheet XML writes? It keeps every cell of the range from
    the first to the last one, written or not: a cell past column ZZ, or rows far apart (one cell at row
    1,048,576 after a few rows), took gigabytes (or aborted the process). openpyxl streams such a sheet."""
    if _WIDE_CELL.search(data):
        return True
    first, last = _ROW_AT.search(data), _ROW_AT.search(data, max(0, data.rfind(b"<row r=")))
    if first is None or last is None:
        return False
    span = int(last.group(1)) - int(first.group(1)) + 1
    return span * 16 > len(data) + (1 << 16)  # (a written row takes more than 16 bytes of XML)


# Rows and cells that a sheet's XML writes twice, a cell written inside another row, or rows written after
# a later row: no spreadsheet writes them, and both readers resolve them silently (calamine keeps the last
# of two cells or rows, openpyxl drops a row whose number is not past the one before): an answer or a whole
# record would be lost, moved, or two records merged. Rows are checked in the one pass over the sheet before
# any row is scored (their numbers, written or implied); cells as each slice is read (see _read_slice and
# _exact_rows): a slice whose cells might hide one (fewer cells read than written, a cell outside the slice's
# rows, a cell or row written otherwise than spreadsheets write them) is read tag by tag.
_ROW_ATTRS = re.compile(rb"<row\b([^>]*)>")
_ANY_ROW_ATTRS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b([^>]*)>")  # also with a namespace prefix
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*["']([^"']*)["']""")
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)\b([^>]*)>")
_REF = re.compile(rb"([A-Za-z]{1,7})(\d{1,12})")


def _row_number(attrs: bytes, before: int) -> int:
    """A row's number: its r attribute, else the one after the row before (as both readers count)."""
    if attrs.startswith(b' r="'):
        digits = attrs[4 : attrs.find(b'"', 4)]
    else:
        found = _R_ATTR.search(attrs)
        digits = found.group(1).strip() if found else b""
    return int(digits) if digits.isdigit() and len(digits) <= 12 else before + 1


_COLON_TAG = re.compile(rb":(?:row|c)[\s>/]")  # found fast (a ':' is rare in sheet XML), then checked:
_PREFIXED_TAG = re.compile(rb"</?[A-Za-z_][\w.-]{0,40}:(?:row|c)[\s>/]")


def _prefixed_tag(data: bytes) -> bool:
    """Does this XML name a row or cell with a namespace prefix (<x:row>, <x:c>)? (A text never holds a
    '<': a match is a tag.)"""
    for found in _COLON_TAG.finditer(data):
        if _PREFIXED_TAG.search(data, max(0, found.start() - 42), found.end()):
            return True
    return False


class _RowOrder:
    """Row numbers fed slice by slice (see above): ``wrong`` is (the row written twice or out of order,
    the row before it) once one is found; ``prefixed`` once a row or cell is named with a namespace
    prefix (such a sheet is refused: see _prefixed); ``index`` once a cell of shared text holds something
    else than the text's number (see _bad_index)."""

    def __init__(self) -> None:
        self.last = 0
        self.wrong: tuple[int, int] | None = None
        self.prefixed = False
        self.index: tuple[str, str] | None = None

    def feed(self, body: bytes) -> None:
        if self.wrong is not None or self.prefixed or self.index is not None:
            return
        if _prefixed_tag(body):
            self.prefixed = True
            return
        odd = _odd_shared(body)
        if odd is not None:
            start = body.rfind(b"<c", 0, odd.start())
            r = _R_ATTR.search(body, start + 2, odd.start()) if start >= 0 else None
            cell = r.group(1).decode("ascii", "replace")[:20] if r else "?"
            self.index = (cell, odd.group(1).decode("utf-8", "replace")[:20])
            return
        last = self.last
        for attrs in _ROW_ATTRS.findall(body):
            row = _row_number(attrs, last)
            if row <= last:
                self.wrong = (row, last)
                return
            last = row
        self.last = last

    def check(self, name: str) -> None:
        """Refuse the workbook ``name`` for what was found (nothing when all is well)."""
        if self.prefixed:
            raise _prefixed(name)
        if self.index is not None:
            raise _bad_index(name, *self.index)
        if self.wrong is not None:
            raise _rows_wrong(name, self.wrong)


# A cell of shared text (t="s") holds the text's number in the workbook's list, a whole number and nothing
# else. calamine reads anything else ('+1', ' 1 ', '-1', '1.0', 'abc') as the first text, and openpyxl
# reads '-1' as the last one: an answer changed silently (a 'yes' read as 'no'), so it is refused.
_ODD_SHARED = re.compile(
    rb"""\bt\s*=\s*(?:"s"|'s')[^>]*>\s*(?:<f\b[^>]*/>\s*|<f\b[^>]*>[^<]*</f>\s*)?"""
    rb"""<v\b[^>]*>(?![0-9]{1,10}</v\s*>)([^<]{0,40})"""
)
# the way spreadsheets write it, searched first (a third of the time): the general pattern above only where
# a cell of shared text is written another way (attributes after t, a formula, quotes, spaces)
_ODD_SHARED_USUAL = re.compile(rb't="s"><v>(?![0-9]{1,10}</v\s*>)([^<]{0,40})')
_SHARED_OTHERWISE = re.compile(rb't="s"(?!><v>)')
_SHARED_SPACED = re.compile(rb"""t(?:\s+=\s*|=\s+)["']s""")


def _odd_shared(body: bytes) -> re.Match[bytes] | None:
    """The first cell of shared text in ``body`` whose value is not a text's number, else None."""
    found = _ODD_SHARED_USUAL.search(body)
    if found is None and (
        b"'s'" in body or _SHARED_OTHERWISE.search(body) is not None or _SHARED_SPACED.search(body) is not None
    ):
        found = _ODD_SHARED.search(body)
    return found


def _bad_index(name: str, cell: str, value: str) -> InputFileError:
    return InputFileError(
        L_("{name}: the cell {cell} should give the number of a text in the workbook's list of texts, but holds '{value}'. No spreadsheet writes this, and the answer could be read as another one, so the workbook is not read. Open and save it in a spreadsheet, then try again", name=name, cell=printable(cell), value=printable(value))
    )


def _rows_wrong(name: str, wrong: tuple[int, int]) -> InputFileError:
    row, before = wrong
    return InputFileError(
        L_("{name}: the sheet's XML writes row {row} again after row {before} (written twice, or out of order). No spreadsheet writes this, and a record could be lost or merged with another, so the workbook is not read. Open and save it in a spreadsheet, then try again", name=name, row=row, before=before)
    )


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def _cell_fault(data: bytes) -> tuple[str, int] | None:
    """The first cell of this XML (whole rows) that is written twice, or inside a row that is not its own,
    as (its reference, such as 'H2'; the row it is written in, or 0 when twice), else None. Read tag by
    tag: a reference in any case or with leading zeros, a cell or row without one (the next column or
    row), a namespace prefix."""
    row = 0
    column = 0
    seen: set[tuple[int, int]] = set()
    for found in _TAG.finditer(data):
        kind, attrs = found.group(1), found.group(2)
        if kind == b"row":
            row = _row_number(attrs, row)
            column = 0
            continue
        r = _R_ATTR.search(attrs)
        ref = _REF.fullmatch(r.group(1).strip()) if r else None
        if ref is not None:
            column, at = _column_number(ref.group(1)), int(ref.group(2))
        else:
            column, at = column + 1, row
        shown = f"{_column_letters(column)}{at}"
        if at != row:
            return shown, row
        if (column, at) in seen:
            return shown, 0
        seen.add((column, at))
    return None


def _cells_wrong(name: str, fault: tuple[str, int]) -> InputFileError:
    cell, row = fault
    if row:
        return InputFileError(
            L_("{name}: the sheet's XML writes the cell {cell} inside row {row}. No spreadsheet writes this, and an answer could be lost or moved to another record, so the workbook is not read. Open and save it in a spreadsheet, then try again", name=name, cell=cell, row=row)
        )
    return InputFileError(
        L_("{name}: the sheet's XML writes the cell {cell} twice. No spreadsheet writes this, and an answer could be lost, so the workbook is not read. Open and save it in a spreadsheet, then try again", name=name, cell=cell)
    )


def _outside(data: bytes, first: int, rows: int) -> bool:
    """Do calamine's rows (from 0-based sheet row ``first``, ``rows`` of them) reach past the rows this
    XML writes (a cell naming another row), or are the slice's row numbers not all written?"""
    head, tail = _ROW_ATTRS.search(data), data.rfind(b"<row")
    last = _ROW_ATTRS.match(data, tail) if tail >= 0 else None
    if head is None or last is None or not head.group(1).startswith(b' r="') or not last.group(1).startswith(b' r="'):
        return True
    return first + 1 < _row_number(head.group(1), 0) or first + rows > _row_number(last.group(1), 0)


def _exact_rows(
    name: str, part: str | None, state: dict[str, int], min_row: int = 1
) -> Generator[list[str], None, None]:
    """:func:`_openpyxl_rows`, after the sheet's XML from ``min_row`` on is checked for a cell written
    twice (openpyxl keeps one of them without a word). openpyxl is some fifteen times slower than this
    check."""
    if part is not None:
        try:
            for _head, body, _tail in _sheet_slices(name, part):
                if min_row > 1:
                    last = _ROW_ATTRS.match(body, body.rfind(b"<row")) if b"<row" in body else None
                    if last is not None and _row_number(last.group(1), min_row) < min_row:
                        continue
                fault = _cell_fault(body)
                if fault is not None:
                    raise _cells_wrong(name, fault)
        except InputFileError:
            raise
        except Exception:  # noqa: BLE001, S110 - a sheet this pass cannot read: openpyxl says why
            pass
    yield from _openpyxl_rows(name, state, min_row)


def _not_for_calamine(data: bytes, shared: bool = False) -> bool:
    """Does this XML hold anything that calamine renders otherwise than openpyxl (see above), or would it
    make calamine hold far more cells than it writes (``_sparse``)? Byte searches first (each a pass over
    the data), the patterns only where one hits."""
    if not shared and _sparse(data):
        return True
    # an error cell's value starts with '#' ('#N/A', '#DIV/0!'...): a rare byte, found fast, before the
    # quotes of t="e", which are everywhere
    if b"#" in data and (b'"e"' in data or b"'e'" in data) and _ERROR_CELL.search(data):
        return True
    if _ESCAPE.search(data):  # (the pattern's literal start is searched faster than `b"_x" in data`)
        return True
    if b"&" in data and data.count(b"&") != sum(data.count(e) for e in _XML_ENTITIES):
        return True
    if shared and b"<rPh" in data:
        return True
    return (
        _LEAD_SPACE.search(data) is not None
        or _TRAIL_SPACE.search(data) is not None
        or (shared and b"<t>" in data)
    ) and bool(_EDGE_SPACE.search(data))


def _formula_in(data: bytes) -> bool:
    """``b"<f" in data``, faster where 'f' is rare (its bytes are found by memchr; '<' is everywhere)."""
    at = data.find(b"f", 1)
    for _tries in range(64):
        if at < 0:
            return False
        if data[at - 1] == 0x3C:  # '<'
            return True
        at = data.find(b"f", at + 1)
    return at >= 0 and b"<f" in data[at - 1 :]


def _scan_sheet(name: str, member: str, shared: bytes) -> tuple[bool, bool]:
    """Does the sheet hold a formula cell with no cached value (read as blank), and must openpyxl read the
    workbook (its shared strings hold a text calamine would render otherwise; the sheet's own XML is
    checked slice by slice as calamine reads it)?"""
    import zipfile

    exact = _not_for_calamine(shared, shared=True)
    uncached = False
    order = _RowOrder()
    try:
        for head, body, tail in _sheet_slices(name, member):
            order.feed(body)
            if not uncached and b"<f" in head + body + tail and _NO_VALUE.search(head + body + tail):
                uncached = True
    except (KeyError, OSError, ValueError, EOFError, zipfile.BadZipFile):
        return uncached, exact
    order.check(name)
    return uncached, exact


XLSX_BIG_PART = 64 * 1024 * 1024  # an uncompressed part this large must not also expand suspiciously
XLSX_MAX_RATIO = 200  # real sheets expand 5-20 times; a zip bomb, hundreds or thousands of times


def _check_zip_bomb(name: str) -> None:
    """Refuse a workbook with a part that expands like a zip bomb (openpyxl would hold a huge cell in
    memory) before reading it."""
    import zipfile

    try:
        with zipfile.ZipFile(name) as z:
            parts = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # load_workbook reports it
    for part in parts:
        found = _odd_xml(name, part) if part.filename.endswith((".xml", ".rels", ".vml")) else None
        if found == "entities":
            raise InputFileError(
                L_("{name}: the workbook part {part_filename} declares XML entities (a DOCTYPE), which spreadsheets never write; it may be an entity bomb and is not read", name=name, part_filename=part.filename[:80])
            )
        if found == "encoding":
            raise InputFileError(
                L_("{name}: the workbook part {part_filename} is XML in UTF-16 or UTF-32, which spreadsheets never write; the workbook is not read. Open it in a spreadsheet and save it again", name=name, part_filename=part.filename[:80])
            )
        if part.file_size > XLSX_BIG_PART and part.file_size > XLSX_MAX_RATIO * max(part.compress_size, 1):
            raise InputFileError(
                L_("{name}: the workbook part {part_filename} expands {value:,} times ({value_b:,} MB); it looks like a zip bomb and is not read", name=name, part_filename=part.filename[:80], value=part.file_size // max(part.compress_size, 1), value_b=part.file_size // 2**20)
            )


def _odd_xml(name: str, part: Any) -> str | None:
    """What a spreadsheet never writes in an XML part of a workbook: "entities" for a DOCTYPE (where
    entities are declared; it must come before the root element, so the first 64 KB tell), "encoding" for
    XML in UTF-16 or UTF-32 (a byte-order mark, or NUL bytes in its first characters: read as UTF-8 it looks
    empty, and a DOCTYPE in it would be missed above); else None."""
    import zipfile

    try:
        with zipfile.ZipFile(name) as z, z.open(part) as f:
            head = f.read(64 * 1024)
    except (OSError, ValueError, RuntimeError, zipfile.BadZipFile, NotImplementedError):
        return None  # load_workbook reports an unreadable part
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:64]:
        return "encoding"
    return "entities" if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper() else None


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- JSON, JSONL, FHIR ---------------------------------------------------------------------------------


JSONL_SUFFIXES = (".jsonl", ".ndjson")  # file names that say JSON Lines


def open_json(
    handle: IO[bytes], name: str, encoding: str, size: int, text_head: str, suffix: str = ""
) -> RecordSource:
    text = io.TextIOWrapper(handle, encoding=encoding)
    state = {"id": ""}
    nul: NulFlag | None = None
    seen = [0]  # JSON Lines: the lines read up to the last item handed on
    lines = False  # JSON Lines
    first_line = text_head.partition("\n")[0].strip()
    # by name: JSON Lines whatever line 1 holds (a list, a number, a broken line: that line's own error row),
    # unless line 1 opens a pretty-printed array or object
    by_name = suffix in JSONL_SUFFIXES and first_line not in ("[", "{")
    if text_head.startswith("[") and not by_name:
        items = iter_json_array(text, name)
        kind = "json"
    elif by_name or _is_jsonl(text_head):
        if isinstance(getattr(handle, "raw", None), Window):
            # each line is looked at for a NUL only when the file holds one (or its escape)
            nul = NulFlag(_scan_bytes(handle, b"\\u0000")[1] or encoding == "utf-16")
        items = iter_jsonl(text, name, 0, seen, nul)
        kind = "jsonl"
        lines = True
    else:  # one object: a FHIR resource (QuestionnaireResponse or Bundle), or a single flat record
        try:
            read = _escaped_nul(text.read())
            whole = loads(read)
            if len(read) > MAX_CELL or _holds_nul(read):  # its records' cells are checked (see _Long)
                whole = _Long(whole, name, long=len(read) > MAX_CELL, nul=_holds_nul(read))
            del read
        except json.JSONDecodeError as exc:
            raise InputFileError(L_("{name}:{line}:{col}: not valid JSON: {problem}", name=name, line=exc.lineno, col=exc.colno, problem=json_words(exc.msg))) from None
        except RecursionError:
            raise InputFileError(L_("{name}: not valid JSON: nested too deeply", name=name)) from None
        except UnicodeDecodeError:
            raise InputFileError(L_("{name}: the file is not UTF-8 text", name=name)) from None
        items = iter([whole])
        kind = "json"

    def records(items: Iterator[Any]) -> Iterator[Record]:
        nonlocal kind
        for item in items:
            where = None
            long = nul = False
            if type(item) is _Long:  # a text long enough to hold a cell over MAX_CELL, or holding a NUL
                item, where, long, nul = item.item, item.where, item.long, item.nul
            rtype = item.get("resourceType") if isinstance(item, dict) else None
            if rtype in ("Bundle", "QuestionnaireResponse"):
                kind = "fhir"
            # a Bundle read from an array or a JSON Lines file too: one record per entry
            found = _bundle_records(item) if rtype == "Bundle" else iter([_one_record(item)])
            for record, rid in found:
                if long and where is not None:
                    record, rid = _within_limit(record, rid, where)
                if nul and where is not None:
                    record, rid = _nul_free(record, rid, where)
                state["id"] = rid
                yield record

    def position() -> int:
        try:
            return handle.tell()
        except (OSError, ValueError):
            return 0

    src = RecordSource(
        name=name,
        kind=kind,
        records=records(items),
        ids=lambda: state["id"],
        size=size,
        position=position,
        close=text.close,
    )
    # FHIR when the file starts with a resource: in JSON Lines, its first line (a FHIR Patient among plain
    # records, further on, is that record's own error row; it must not make the whole file FHIR, nor
    # make the file read differently with more or fewer of its bytes in the sample)
    if '"resourceType"' in (first_line if lines else text_head):
        src.kind = "fhir"
    raw = getattr(handle, "raw", None)
    if lines and isinstance(raw, Window) and codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        fd = raw.fd

        def part(start: int, before: int, limit: int | None) -> tuple[Iterator[Record], Window, Callable[[], None]]:
            """The records from ``start`` (just after a line feed, ``before`` lines into the file) up to
            ``limit``, read as the whole file is (a BOM only at its start)."""
            part_text, window = open_window(fd, start, "utf-8", newline=None)
            window.limit = limit
            return records(iter_jsonl(part_text, name, before, nul=nul)), window, part_text.close

        src.window, src.part = raw, part
        src.lines = lambda: seen[0]
    return src


_ALL_TEXT = {str}

# What holds a key twice on the way from a file to an answer, and what its error row says (JSON's own rule
# keeps the last value without a word: another record, another answer). Deeper in a response, an answer (or
# an item's answers) given twice is its question's "answered twice" (see :func:`_response_twice`).
_HOLDS_TWICE = {
    "bundle": N_("the Bundle holds '{printable}' twice; keep one"),
    "entry": N_("the Bundle entry holds '{printable}' twice; keep one"),
    "record": N_("the record holds '{printable}' twice; keep one"),
}
_ONLY_RESPONSES = N_("the record is a FHIR {value}; only QuestionnaireResponse (alone, in an array or in a Bundle) can be scored")


def held_twice(value: Any, holder: str) -> str | None:
    """The error message when ``value`` (a Bundle, one of its entries, a FHIR resource or a part of one:
    ``holder`` says which) holds a key twice, else None."""
    if not isinstance(value, TwiceDict):
        return None
    return L_(_HOLDS_TWICE[holder], printable=printable(value.twice[:60]))


def _bundle_records(bundle: dict[str, Any]) -> Iterator[tuple[Record, str]]:
    """One record (with its id) for each entry of a FHIR Bundle, in their order, whatever the Bundle's
    type (collection, searchset, transaction, ...): a response, or the error row of an entry that cannot
    be scored, so that row numbers are entry positions and no entry is lost unseen. A Bundle holding a key
    twice (two 'entry' lists), or whose entry is not a list, is one error row."""
    twice = held_twice(bundle, "bundle")
    if twice is not None:
        yield BadRecord(twice), ""
        return
    entries = bundle.get("entry")
    if entries is None:
        return
    if not isinstance(entries, list):
        yield BadRecord(L_("the Bundle's 'entry' is {kind}, not a list of entries", kind=_kind(entries))), ""
        return
    for entry in entries:
        if not isinstance(entry, dict):  # what an array says of an item that is not an object
            yield _one_record(entry)
            continue
        twice = held_twice(entry, "entry")
        if twice is not None:
            yield BadRecord(twice), ""
        elif entry.get("resource") is None:  # a DELETE in a transaction, say
            yield BadRecord(L_("the Bundle entry holds no resource; only QuestionnaireResponse (alone, in an array or in a Bundle) can be scored")), ""
        else:
            yield _one_record(entry["resource"], in_bundle=True)


def _one_record(item: Any, in_bundle: bool = False) -> tuple[Record, str]:
    """One item of a JSON array or JSON Lines file, the one object of a JSON file, or the resource of a
    Bundle entry (``in_bundle``), as the record to score or the error row in its place, with its id (a
    response's identifier or id). A FHIR resource holding a key twice is an error row whatever its type
    says (the type itself may be the key written twice); in a Bundle, a resource is a FHIR resource, never
    a flat record."""
    if isinstance(item, BadRecord):
        return item, ""
    if not isinstance(item, dict):
        return BadRecord(L_("the record is {kind}, not an object of field -> answer", kind=_kind(item))), ""
    if len(item) > MAX_COLUMNS:
        return BadRecord(L_("the record has {count:,} fields; at most {max_columns:,} are read", count=len(item), max_columns=MAX_COLUMNS)), ""
    rtype = item.get("resourceType")
    if rtype is not None or in_bundle:
        twice = held_twice(item, "record")
        if twice is not None:
            rid = _fhir_id(item)
            return BadRecord(twice, rid=rid), rid
    if rtype is None:
        if in_bundle:
            return BadRecord(L_("the Bundle entry's resource has no resourceType; only QuestionnaireResponse (alone, in an array or in a Bundle) can be scored")), ""
        return _flat_record(item), ""
    if rtype == "QuestionnaireResponse":
        return fhir_record(item), _fhir_id(item)
    return BadRecord(L_(_ONLY_RESPONSES, value=_kind(rtype) if not isinstance(rtype, str) else rtype[:40])), ""


def _flat_record(item: dict[str, Any]) -> Record:
    """A record of field -> answer (a JSON object that is no FHIR resource), every answer as text."""
    if isinstance(item, TwiceDict):
        return BadRecord(answered_twice(item.twice), record=item)
    if isinstance(item, HalvesDict):
        return BadRecord(
            L_("a text holds half of a character pair (a '\\u' escape of a lone surrogate), which is not Unicode text: the record is not scored"),
            record=item,
        )
    if _ALL_TEXT == set(map(type, item.values())):
        return item  # every answer a text already (most exports): the record as read
    return {str(k): v if type(v) is str else _flat_text(v) for k, v in item.items()}


class _Long:
    """A JSON item whose text is longer than MAX_CELL, so that a cell in it may be (``where``: the file and
    line it starts on, or the file): each of its records is checked (see :func:`_within_limit`). Or
    (``nul``) whose text holds a NUL, or JSON's escape of one: each of its records is checked for one (see
    :func:`_nul_free`), ``long`` telling whether it is also that long."""

    __slots__ = ("item", "long", "nul", "where")

    def __init__(self, item: Any, where: str, *, long: bool = True, nul: bool = False) -> None:
        self.item = item
        self.where = where
        self.long = long
        self.nul = nul


def _holds_nul(text: str) -> bool:
    """Does a JSON text hold a NUL, or JSON's escape of one (a text's NUL: see :func:`_nul_free`)? Raw NULs
    are read as escaped (see :func:`_escaped_nul`)."""
    return "\\u0000" in text or "\x00" in text


def _escaped_nul(text: str) -> str:
    """A JSON text with each raw NUL byte written as JSON's escape of it: inside a text (a damaged cell), it
    is read as the character, whose record is then an error row; outside one, the text is not JSON."""
    return text.replace("\x00", "\\u0000") if "\x00" in text else text


def _nul_free(record: Record, rid: str, where: str) -> tuple[Record, str]:
    """``record`` (with its id ``rid``), or its error row when a key, an answer or the id holds a NUL
    character (said as in a table: see :func:`nul_in_cell`)."""
    if isinstance(record, BadRecord):
        if "\x00" in record.rid:
            record.rid = ""
        return record, record.rid
    texts = [(key, value) for key, value in record.items() for value in (value if isinstance(value, tuple) else (value,))]
    at = next((key for key, value in texts if "\x00" in key or "\x00" in str(value)), None)
    if at is None and "\x00" not in rid:
        return record, rid
    if at is not None and at.startswith("__") and at.endswith("__"):  # a FHIR response's own (__id__: its id)
        at = at[2:-2]
    shown = nul_column(where, at) if at is not None else where
    short = {k: v for k, v in record.items() if "\x00" not in k and all("\x00" not in str(x) for x in (v if isinstance(v, tuple) else (v,)))}
    rid = "" if "\x00" in rid else rid
    return BadRecord(nul_in_cell(shown), rid=rid, record=short), rid


def _within_limit(record: Record, rid: str, where: str) -> tuple[Record, str]:
    """``record`` (with its id ``rid``), or its error row when a field name, an answer or the id is longer
    than MAX_CELL (said as a CSV cell over the limit is: see :func:`cell_too_long`)."""
    if isinstance(record, BadRecord):
        return record, rid
    texts = [(key, value) for key, value in record.items() for value in (value if isinstance(value, tuple) else (value,))]
    long = next((key for key, value in texts if len(key) > MAX_CELL or len(str(value)) > MAX_CELL), None)
    if long is None and len(rid) <= MAX_CELL:
        return record, rid
    shown = f"{where} ('{printable(long[:60])}')" if long is not None else where
    short = {k: v for k, v in record.items() if len(k) <= MAX_CELL and all(len(str(x)) <= MAX_CELL for x in (v if isinstance(v, tuple) else (v,)))}
    rid = rid if len(rid) <= MAX_CELL else ""
    return BadRecord(cell_too_long(shown), rid=rid, record=short), rid


def _is_jsonl(head: str) -> bool:
    first, _, rest = head.partition("\n")
    try:
        loads(first)
    except (ValueError, RecursionError):
        return False
    return bool(rest.strip())


def _kind(item: object) -> str:
    if item is None:
        return "null"
    if isinstance(item, dict):
        return "an object"
    return {list: "a list", str: "a text", int: "a number", float: "a number", bool: "true/false"}.get(
        type(item), "a value of another kind"  # (JSON holds no other: never a Python type's name)
    )


def _flat_text(value: Any) -> Cell:
    """A JSON value as the text a CSV export would hold (lists become tuples for multi-selects)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
    if isinstance(value, list):
        return tuple(str(_flat_text(v)) for v in value if not isinstance(v, list | dict))
    return json.dumps(value)  # a nested object: kept as text; it maps to no question by itself


def iter_jsonl(
    text: IO[str], name: str, before: int = 0, seen: list[int] | None = None, nul: NulFlag | None = None
) -> Iterator[Any]:
    """One item a non-blank line (``before``: the lines before the text's first, for messages; ``seen[0]``:
    the lines read up to the item last handed on, when given). Each line is looked at for a NUL (or its
    escape) unless ``nul`` says the file holds none."""
    look = nul is None or nul.seen
    for lineno, line in enumerate(text, before + 1):
        if not line.strip():
            continue
        if seen is not None:
            seen[0] = lineno
        try:
            holds = look and _holds_nul(line)
            if holds and "\x00" in line:  # (a raw NUL: not JSON, unless read as a text's character)
                try:
                    loads(_escaped_nul(line))
                except json.JSONDecodeError:
                    yield BadRecord(nul_in_cell(f"{name}:{lineno}"))
                    continue
                line = _escaped_nul(line)
            item = loads(line)
            if len(line) > MAX_CELL or holds:  # its cells are checked (see _Long)
                item = _Long(item, f"{name}:{lineno}", long=len(line) > MAX_CELL, nul=holds)
        except json.JSONDecodeError as exc:
            where = lineno + exc.lineno - 1
            item = BadRecord(L_("{name}:{line}:{col}: not valid JSON: {problem}", name=name, line=where, col=exc.colno, problem=json_words(exc.msg)))
        except RecursionError:
            item = BadRecord(L_("{name}:{line}: not valid JSON: nested too deeply", name=name, line=lineno))
        yield item


def iter_json_array(text: IO[str], name: str, chunk: int = 256 * 1024) -> Iterator[Any]:
    """The items of a top-level JSON array, decoded one at a time from a sliding buffer."""
    decoder = json.JSONDecoder(parse_int=_parse_int, parse_float=json_float, object_pairs_hook=_pairs)
    buf = ""
    pos = 0
    eof = False
    consumed_lines = 1
    consumed_col = 0  # the characters of its line before the buffer's first
    nul = False  # a NUL (or its escape) was read: each item's text is looked at for one

    def more(size: int = chunk) -> bool:
        nonlocal buf, pos, eof, consumed_lines, consumed_col, nul
        if eof:
            return False
        data = text.read(size)  # a UnicodeDecodeError is reported by the runner, with its line
        if not data:
            eof = True
            return False
        data = _escaped_nul(data)
        consumed_lines += buf.count("\n", 0, pos)
        last = buf.rfind("\n", 0, pos)
        consumed_col = pos - last - 1 if last >= 0 else consumed_col + pos
        buf = buf[pos:] + data
        pos = 0
        nul = nul or _holds_nul(buf)  # (the buffer: an escape may be cut by a chunk's end)
        return True

    def skip_ws() -> bool:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n\ufeff":
                pos += 1
            if pos < len(buf):
                return True
            if not more():
                return False

    def bad(what: str, at: int | None = None) -> InputFileError:
        """The file is not a JSON list of records: ``what`` is wrong at ``at`` in the buffer (else ``pos``),
        said at its line and column in the file."""
        at = pos if at is None else min(at, len(buf))
        line = consumed_lines + buf.count("\n", 0, at)
        last = buf.rfind("\n", 0, at)
        col = at - last if last >= 0 else consumed_col + at + 1
        return InputFileError(L_("{name}:{line}:{col}: not valid JSON: {problem}", name=name, line=line, col=col, problem=what))

    if not skip_ws() or buf[pos] != "[":
        raise bad(L_("expected a list of records starting with '['"))
    pos += 1
    first = True
    while True:
        if not skip_ws():
            raise bad(L_("the list of records is not closed with ']'"))
        if buf[pos] == "]":
            pos += 1
            if skip_ws():
                raise bad(L_("extra data after the list of records"))
            return
        if not first:
            if buf[pos] != ",":
                raise bad(L_("expected ',' or ']' between records"))
            pos += 1
            if not skip_ws():
                raise bad(L_("the list of records is not closed with ']'"))
        first = False
        start = pos
        if buf[pos] == "{":  # most often: the object ends at one of its first '}' (read with orjson)
            item, end = _object_at(buf, pos)
            if end > 0:
                pos = end
                long, holds = end - start > MAX_CELL, nul and _holds_nul(buf[start:end])
                if long or holds:
                    item = _Long(item, f"{name}:{consumed_lines + buf.count(chr(10), 0, start)}", long=long, nul=holds)
                yield item
                continue
        while True:
            try:
                item, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                # A record longer than the buffer: read as much again as it holds, so that a huge record
                # is decoded a few times, not once per chunk (which took minutes for a million keys).
                if more(max(chunk, len(buf) - pos)):
                    continue
                raise bad(json_words(exc.msg), exc.pos) from None
            except RecursionError:
                raise bad(L_("nested too deeply")) from None
            if end == len(buf) and not eof and not isinstance(item, dict | list | str):
                if more():  # a number may continue in the next chunk
                    continue
            break
        long = end - pos > MAX_CELL  # (``pos``: where the item starts, the buffer read on or not)
        holds = nul and _holds_nul(buf[pos:end])
        where = f"{name}:{consumed_lines + buf.count(chr(10), 0, pos)}" if long or holds else ""
        pos = end
        yield _Long(item, where, long=long, nul=holds) if long or holds else item


def _object_at(buf: str, pos: int, tries: int = 4) -> tuple[Any, int]:
    """The object starting at ``pos`` and where it ends, when it ends at one of the next ``tries`` '}' in
    ``buf`` (a text that is one whole object there is that object); else (None, -1) and the exact
    reader reads it (a nested record, one cut by the buffer's end, or a broken one)."""
    import orjson

    close = pos
    for _try in range(tries):
        close = buf.find("}", close + 1)
        if close < 0:
            break
        text = buf[pos : close + 1]
        try:
            return _checked(text, orjson.loads(text)), close + 1
        except (ValueError, RecursionError):
            continue
    return None, -1


# --- FHIR QuestionnaireResponse ------------------------------------------------------------------------

_FHIR_VALUE_KEYS = (
    "valueBoolean",
    "valueInteger",
    "valueDecimal",
    "valueString",
    "valueCoding",
    "valueQuantity",
    "valueDate",
    "valueDateTime",
)


def _identifier(value: Any) -> dict[str, str] | None:
    """An Identifier as FHIR allows it (a text value, a text system), else None: what is carried over to
    the output must be valid, or a server refuses the whole transaction."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict) or not isinstance(value.get("value"), str) or not value["value"].strip():
        return None
    system = value.get("system")
    return {"system": system, "value": value["value"]} if isinstance(system, str) and system else {"value": value["value"]}


def _reference(value: Any) -> dict[str, Any] | None:
    """A Reference kept as the response has it (its reference, identifier and display), when well formed."""
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for key in ("reference", "type", "display"):
        if isinstance(value.get(key), str) and value[key].strip():
            out[key] = value[key]
    ident = _identifier(value.get("identifier"))
    if ident is not None:
        out["identifier"] = ident
    return out if ("reference" in out or "identifier" in out) else None


def _fhir_id(res: dict[str, Any]) -> str:
    ident = _identifier(res.get("identifier"))
    if ident is not None:
        return ident["value"]
    rid = res.get("id")
    return rid if isinstance(rid, str) else ""


def _response_twice(res: dict[str, Any]) -> str | None:
    """The error message when a QuestionnaireResponse holds a key twice anywhere, else None (the first in
    the order of the text). An answer given twice (an item's 'answer' list, a value in one answer, a key
    of its Coding) is its question's "answered twice"; any other key (the response's own, an item's
    'linkId' or 'item') is named as the record's (see :func:`held_twice`). Read without recursion, so that
    no depth hides one."""
    stack: list[tuple[Any, Any, bool]] = [(res, None, False)]  # (value, its item's linkId, in an answer)
    while stack:
        value, link, answering = stack.pop()
        if isinstance(value, list):
            stack.extend((child, link, answering) for child in reversed(value) if isinstance(child, dict | list))
            continue
        if "linkId" in value:  # an item (nested in an answer or not): its own question
            link, answering = value["linkId"], False
        if isinstance(value, TwiceDict):
            if link is not None and (answering or value.twice == "answer"):
                return answered_twice(link)
            return held_twice(value, "record")
        stack.extend(
            (child, link, answering or key == "answer")
            for key, child in reversed(value.items())
            if isinstance(child, dict | list)
        )
    return None


def fhir_record(res: dict[str, Any]) -> Record:
    """linkId -> answer text (a tuple when an item has several answers), nested groups flattened.

    Extra fields: ``__id__`` (the response's identifier or id), ``__status__``, and (as JSON text) the
    response's ``__subject__`` and first ``__identifier__`` when it has them.
    """
    out: Record = {"__id__": _fhir_id(res), "__status__": str(res.get("status") or "")}
    twice = _response_twice(res)
    if twice is not None:  # e.g. two valueBoolean in one answer, or an item's linkId written twice
        return BadRecord(twice, rid=_fhir_id(res))
    # who the response belongs to, kept as the response has it (batch --format fhir carries it over)
    for key, kept in (("subject", _reference(res.get("subject"))), ("identifier", _identifier(res.get("identifier")))):
        if kept:
            out[f"__{key}__"] = json.dumps(kept, ensure_ascii=False, sort_keys=True)
    stack = list(reversed(res.get("item") or []))
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        link = item.get("linkId")
        answers = item.get("answer") or []
        texts: list[str] = []
        for ans in answers if isinstance(answers, list) else []:
            if not isinstance(ans, dict):
                continue
            present = [key for key in _FHIR_VALUE_KEYS if key in ans]
            if len(present) > 1 and link is not None:  # one value[x] an answer (FHIR): two can disagree
                return BadRecord(answered_twice(link), rid=_fhir_id(res))
            if present:
                texts.append(_fhir_value(ans[present[0]], present[0]))
            stack.extend(reversed(ans.get("item") or []))
        if link is not None and answers:
            if str(link) in out:
                return BadRecord(answered_twice(link), rid=_fhir_id(res))
            out[str(link)] = texts[0] if len(texts) == 1 else tuple(texts)
        stack.extend(reversed(item.get("item") or []))
    return out


class Coded(str):
    """A FHIR Coding's code that carries its display: read by the code, or by the display when the code is
    not an answer the question knows (LOINC answer lists code 'Yes' as LA33-6). Equal to the code."""

    display: str


# UCUM codes of units of time, as a Quantity carries them ({"value": 2, "code": "a"} is two years)
_UCUM_TIME = {"a": "years", "mo": "months", "wk": "weeks", "d": "days"}


def _quantity(value: dict[str, Any]) -> str:
    """A Quantity's value, with its unit when it is a unit of time ('2 years'), which the number reader
    converts to the question's unit (two years is 24 months, never 2)."""
    from stm_screen.core.answers import is_time_unit

    number = value.get("value")
    if number is None:
        return ""
    text = str(_flat_text(number))
    code, unit = value.get("code"), value.get("unit")
    word = _UCUM_TIME.get(code) if isinstance(code, str) else None
    if word is None and isinstance(unit, str) and is_time_unit(unit.strip().rstrip(".")):
        word = unit.strip().rstrip(".")
    return f"{text} {word}" if word else text


def _fhir_value(value: Any, kind: str = "") -> str:
    if isinstance(value, dict) and kind == "valueQuantity":
        return _quantity(value)
    if isinstance(value, dict):  # a Coding: its code, its display to fall back on
        for key in ("code", "display"):
            if value.get(key) is not None:
                text = str(_flat_text(value[key]))
                display = value.get("display") if key == "code" else None
                if isinstance(display, str) and display.strip() and display != text:
                    coded = Coded(text)
                    coded.display = display
                    return coded
                return text
        return ""
    return str(_flat_text(value))
