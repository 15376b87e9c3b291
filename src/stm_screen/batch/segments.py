"""Byte ranges of one CSV file read as separate streams, for scoring a large file in several processes.

A file is cut just after a line feed. Whether a cut falls between two records, or inside a quoted cell
that spans lines, is only known to the parser that reads up to it; so each range but the last ends with
one extra line, the *edge line*, made so that the row it ends is always wider than any record:

- at a record boundary it is a row of its own: ``['\\x1e"', '', '', ...]`` (width + 2 cells);
- inside a quoted cell it closes that cell (which then ends with ``\\x1e``) and adds width + 1 empty cells.

The record loop hands every row of the wrong width to its slow path, which sees the edge line was read and
raises :class:`Edge`. From the edge row the reader's exact state at the cut is known, and, when the cut
was inside a record, that record's text so far (:func:`resume_line`) to carry on with from the cut.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
from collections.abc import Iterator
from typing import Any

MARK = "\x1e"  # ASCII record separator: the edge line's first character
WINDOW_BUFFER = 64 * 1024


class Window(io.RawIOBase):
    """A file descriptor read from ``start`` up to an optional ``limit``, with positioned reads only, so
    that processes sharing the descriptor never move each other's file offset."""

    def __init__(self, fd: int, start: int = 0, *, closefd: bool = True) -> None:
        super().__init__()
        self.fd = fd
        self.pos = start
        self.limit: int | None = None
        self._closefd = closefd

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        if self.limit is not None:
            size = min(size, self.limit - self.pos)
            if size <= 0:
                return 0
        view = memoryview(buffer).cast("B")[:size]
        try:
            n = os.preadv(self.fd, [view], self.pos)
        except OSError as exc:  # a file system without positioned reads: seek, then read
            if exc.errno not in (errno.ESPIPE, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            os.lseek(self.fd, self.pos, os.SEEK_SET)
            data = os.read(self.fd, size)
            n = len(data)
            view[:n] = data
        self.pos += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self.pos = offset
        elif whence == io.SEEK_CUR:
            self.pos += offset
        else:
            self.pos = os.fstat(self.fd).st_size + offset
        return self.pos

    def tell(self) -> int:
        return self.pos

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        if not self.closed and self._closefd:
            os.close(self.fd)
        super().close()


def can_window() -> bool:
    return hasattr(os, "preadv")


def open_window(
    fd: int, start: int, encoding: str, *, closefd: bool = False, newline: str | None = ""
) -> tuple[io.TextIOWrapper, Window]:
    """Text from ``start`` (a character boundary: just after a line feed) to the end or a later limit
    (``newline``: as :class:`io.TextIOWrapper` takes it; the CSV reader's is "", JSON Lines' None)."""
    window = Window(fd, start, closefd=closefd)
    text = io.TextIOWrapper(io.BufferedReader(window, WINDOW_BUFFER), encoding=encoding, newline=newline)
    return text, window


class EdgeLine:
    """Follows a range's text in the reader's input: nothing until armed, then the edge line once."""

    __slots__ = ("fetched", "line")

    def __init__(self) -> None:
        self.line: str | None = None
        self.fetched = False

    def arm(self, delimiter: str, width: int) -> None:
        if self is NO_EDGE:
            raise RuntimeError("the shared no-edge marker is never armed")
        self.line = MARK + '"' + delimiter * (width + 1) + "\n"

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.line is None or self.fetched:
            raise StopIteration
        self.fetched = True
        return self.line


NO_EDGE = EdgeLine()  # never armed: a reader that ends with its file


class Edge(Exception):  # noqa: N818 - a signal, not an error
    """Raised by the record loop on the row that holds the edge line; ``n``: records before it."""

    def __init__(self, row: list[str], n: int) -> None:
        super().__init__("edge of a file range")
        self.row = row
        self.n = n


def at_boundary(row: list[str], width: int) -> bool:
    """Was the reader between records at the cut (the edge line made a row of its own)?"""
    return len(row) == width + 2 and row[0] == MARK + '"' and not any(row[1:])


def resume_line(row: list[str], width: int, delimiter: str) -> str:
    """The edge row of a cut inside a quoted cell, as text that leaves a fresh reader in the state the
    first reader was in at the cut: the record's earlier cells, then the open cell, quote still open."""
    cells = row[: len(row) - (width + 1)]
    if not cells or not cells[-1].endswith(MARK):
        raise ValueError("not an edge row")
    before, open_cell = cells[:-1], cells[-1][: -len(MARK)]
    buf = io.StringIO()
    if before:
        csv.writer(buf, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="").writerow(before)
        buf.write(delimiter)
    buf.write('"' + open_cell.replace('"', '""'))
    return buf.getvalue()


def find_cuts(fd: int, start: int, size: int, parts: int, reach: int = 1 << 20) -> list[int]:
    """Offsets just after a line feed, near ``start + i * (size - start) / parts`` for i = 1..parts-1;
    a target with no line feed within ``reach`` bytes after it gives no cut."""
    cuts: list[int] = []
    for i in range(1, parts):
        target = start + (size - start) * i // parts
        if cuts and target <= cuts[-1]:
            continue
        found = -1
        offset = target
        while offset < min(size, target + reach):
            block = os.pread(fd, 64 * 1024, offset)
            if not block:
                break
            at = block.find(b"\n")
            if at >= 0:
                found = offset + at + 1
                break
            offset += len(block)
        if 0 <= found < size:
            cuts.append(found)
    return cuts


def count_lines(fd: int, ends: list[int], chunk: int = 1 << 20) -> list[int]:
    """Lines before each offset in ``ends`` (ascending), counted as the CSV reader counts them: a line
    ends at a line feed, a carriage return, or both together."""
    counts: list[int] = []
    total = 0
    pos = 0
    cr_before = False  # the last block ended with a carriage return
    for end in ends:
        while pos < end:
            block = os.pread(fd, min(chunk, end - pos), pos)
            if not block:
                break
            total += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
            if cr_before and block.startswith(b"\n"):
                total -= 1  # a CR LF pair split between two blocks
            cr_before = block.endswith(b"\r")
            pos += len(block)
        counts.append(total)
    return counts


def count_records(fd: int, ends: list[int], start: int = 0, chunk: int = 1 << 20) -> list[tuple[int, int]]:
    """Lines and non-blank lines before each offset in ``ends`` (ascending, each just after a line feed),
    from ``start`` (after a BOM), in a JSON Lines file. The lines are counted exactly as
    :class:`io.TextIOWrapper` splits them (at a line feed, a carriage return, or both together): they
    number the lines in messages. The non-blank lines (blank: only white space, as ``str.strip`` sees it)
    are its records if each line holds one: a guess, which whoever relies on it checks (batch.parallel)."""
    counts: list[tuple[int, int]] = []
    lines = records = 0
    pos = start
    cr_before = False  # the last block ended with a carriage return
    carry = b""  # the start of a line that goes on in the next block
    for end in ends:
        while pos < end:
            block = os.pread(fd, min(chunk, end - pos), pos)
            if not block:
                break
            pos += len(block)
            lines += block.count(b"\n")
            if b"\r" in block:
                lines += block.count(b"\r") - block.count(b"\r\n")
            if cr_before and block.startswith(b"\n"):
                lines -= 1  # a CR LF pair split between two blocks
            cr_before = block.endswith(b"\r")
            data = carry + block if carry else block
            last = data.rfind(b"\n") + 1
            if len(data) - last > 16 * chunk:  # a line of more than 16 MB: left out of the guess
                last = len(data)
            whole, carry = data[:last], data[last:]
            if whole:
                records += _records(whole)
        if carry:  # the end fell inside a line (never, for a cut): a record if not blank
            records += _records(carry + b"\n")
            carry = b""
        counts.append((lines, records))
    return counts


_NOT_OPENED = re.compile(rb"\n[^{]")  # a line feed not followed by a line that starts a record


def _records(data: bytes) -> int:
    """Non-blank lines in ``data``, which starts a line and ends with a line feed."""
    if b"\r" not in data and data[:1] == b"{" and _NOT_OPENED.search(data) is None:
        return data.count(b"\n")  # every line starts a record: the common case, counted in C
    return sum(1 for line in data.splitlines() if line[:1] == b"{" or line.decode("utf-8", "replace").strip())
