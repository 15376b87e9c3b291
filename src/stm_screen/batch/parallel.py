"""One large CSV or JSON Lines file scored in several processes at once, with output identical to a single
process.

After the first rows (header, calibration sample) are scored, the rest of the file is cut into ranges just
after line feeds (:mod:`stm_screen.batch.segments`). This process keeps the first range; a forked helper
process takes each other one, writing its output lines to an unlinked temp file. A helper starts its record
numbers from a guess (every line from here to its cut is one record) and is used only if the range before
it ends exactly between records *and* with exactly that many records; otherwise the process that owns the
range before simply reads on, alone, to the end of the file, and the later helpers' work is dropped. So
quoted line breaks, blank lines or a stray quote near a cut cost time, never correctness.

The outputs are then appended in file order, and the helpers' counts and first bad records merged.
Used on Linux for regular UTF-8 files of at least two ranges of ``MIN_PART_BYTES``; ``--jobs 1`` turns it
off. A helper that fails for any reason (even a read error) is simply redone here, so errors are reported
exactly as in one process.

A large JSON Lines file is split the same way (:func:`plan_records`, :func:`run_records`), more simply: a
cut just after a line feed is always between two lines, so between records, and a helper's first record
number is the count of non-blank lines before its cut (:func:`segments.count_records`). That count is
wrong only when a line held other than one record (a FHIR Bundle of several QuestionnaireResponses) or
ran over 16 MB, which the check above catches (the range before does not end with that many records): the
process that scored that range reads on alone. The cuts are made once the first records are read, before
any is scored; a helper's error rows name their line as one process does (the lines before its cut are
counted exactly), and what else it saw (REDCap events, mapped columns its records lack) is merged with its
counts (batch.runner). A JSON array (a ``.json`` file holding a list), a single FHIR resource or Bundle, a
UTF-16 file or a pipe is read by one process.

A large workbook's sheet, read by calamine in slices of rows (batch.readers), is scored in parts the same
way (:func:`run_xlsx`): a helper starts inflating the sheet at its part's first slice, where the pass over
the sheet before it was read left off (readers.SheetIndex, which also counted the rows before: its first
record number), or without that index skips the slices before its part unread (counting their rows), and
reads and scores its own; its output is used only if the part before ended
at that record, and a part that calamine alone cannot read (openpyxl must) is redone here.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from typing import IO, Any, NoReturn, Protocol

from stm_screen.batch.output import Writer
from stm_screen.batch.readers import PAUSE, RecordSource, SheetParts, TableSource, _calamine_rows, csv_rows
from stm_screen.batch.scoring import RecordScorer
from stm_screen.batch.segments import (
    MARK,
    NO_EDGE,
    Edge,
    EdgeLine,
    at_boundary,
    count_lines,
    count_records,
    find_cuts,
    open_window,
    resume_line,
)
from stm_screen.io.atomic import signals_held

MIN_PART_BYTES = 8 * 1024 * 1024  # smaller ranges are not worth a process
MAX_JOBS = 4  # the default: one process per CPU, up to this
MAX_PARTS = 32  # whatever --jobs asks for
XLSX_MIN_SLICES = 2  # a sheet is scored in parts of at least this many slices (readers.SLICE_BYTES)
XLSX_HEAD_START = 3  # percent of a part's slices the main process leaves to the helpers (see plan_xlsx)


@dataclass
class Split:
    """Where the rest of a file is cut, and what each range after the first expects."""

    cuts: list[int]  # byte offsets where the helpers' ranges start
    records_before: list[int]  # records before each cut, if every line from here to it is one record
    lines: list[int]  # lines before each cut, counted as the CSV reader counts them
    read_so_far: int  # bytes already read by this process when the file was cut
    size: int
    temp_dir: str | None  # where helpers write their output (the output file's folder, if any)
    base: int = 0  # lines read so far when the file was cut (counted from the file's start)
    first_n: int = 0  # records so far: ``records_before[j]`` is ``first_n + lines[j] - base``


@dataclass
class Scoring:
    """The running record loop of one file, and what it writes with (see runner.Batch._loop)."""

    loop: Callable[..., int]
    env: dict[str, Any]  # the loop's globals: put, progress and position are swapped per range
    rs: RecordScorer
    writer: Writer
    edge: list[EdgeLine]  # the edge line the loop's slow path watches for
    src: TableSource
    width: int
    rows: Iterator[list[str]]
    report: list[str] = field(default_factory=list)  # what happened to each range (for tests)

    def to_helper(self, put: Callable[[str], Any]) -> None:
        """In a helper: the loop writes with ``put`` and reports no progress."""
        self.env["put"] = put
        self.env["progress"] = _ignore

    def tally(self) -> dict[tuple[str, str], int]:
        return self.rs.tally()


@dataclass
class RecordParts:
    """The record loop of a JSON Lines file (see runner.Batch._records), and how to read it from a cut."""

    score: Callable[[Iterator[Any], int], int]  # scores records from an iterator after ``n`` records
    records: Iterator[Any]  # this process's records (those read already included)
    src: RecordSource
    writer: Writer
    where: list[Callable[[], int]]  # the read position that progress shows
    helper: Callable[[], None]  # called first in a helper: no messages, no progress
    finish: Callable[[], dict[str, Any]]  # called last in a helper: its tallies merged, what else it saw
    merge: Callable[[dict[str, Any]], None]  # here: that, of a helper whose output is used
    report: list[str] = field(default_factory=list)

    def to_helper(self, put: Callable[[str], Any]) -> None:
        self.helper()

    def tally(self) -> dict[tuple[str, str], int]:
        return {}  # the counts of a helper's record loop go into its writer's (``finish``)


def default_jobs() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_JOBS))


def _can_fork() -> bool:
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1  # fork copies no other thread


def plan_split(
    src: TableSource, writer: Writer, settings_jobs: int, n: int, temp_dir: str | None, count: bool = True
) -> Split | None:
    """The cuts for the rest of this file, or None when it is scored in this process alone. Without
    ``count``, the lines before each cut are not counted (``lines`` and ``records_before`` are empty:
    batch.columnar's helpers count their own, from ``base`` and ``first_n``)."""
    if settings_jobs == 1 or src.kind != "csv" or src.window is None or src.tail is None:
        return None
    if src.delimiter in (MARK, '"', "\r", "\n"):  # the edge line must read the same way in every file
        return None
    if codecs.lookup(src.encoding).name not in ("utf-8", "utf-8-sig"):
        return None
    if not writer.fast or getattr(writer, "wants_row", False) or not _can_fork():
        return None
    window = src.window
    where = _cut(window.fd, window.pos, settings_jobs)
    if where is None:
        return None
    size, start, cuts = where
    base = src.lines_before + src.line()  # lines read so far, counted as the CSV reader counts them
    if not count:
        return Split(cuts, [], [], start, size, temp_dir, base, n)
    try:
        lines = count_lines(window.fd, cuts)
    except OSError:
        return None
    return Split(cuts, [n + (c - base) for c in lines], lines, start, size, temp_dir, base, n)


def run(ctx: Scoring, split: Split, n: int) -> int:
    """Score the rest of the file in parts; returns the number of records, as one process would."""
    handle = ctx.writer.handle
    handle.flush()  # nothing buffered is copied into a helper
    helpers: list[_Helper] = []

    drop = partial(_stop_from, helpers)  # helpers whose work will not be used

    try:
        try:
            for j in range(len(split.cuts)):
                _fork(ctx, split, j, helpers)
        except OSError:  # no process to be had: this one reads on alone
            drop(0)
            ctx.report.append("alone")
            return ctx.loop(ctx.rows, n)
        src = ctx.src
        assert src.window is not None and src.tail is not None
        window, first = src.window, split.cuts[0]
        window.limit = first
        src.tail.arm(src.delimiter, ctx.width)
        ctx.edge[0] = src.tail
        begin, share = split.read_so_far, split.size - split.read_so_far
        ctx.env["position"] = lambda: begin + (window.pos - begin) * share // max(1, first - begin)
        n, handed = _range(
            ctx, ctx.rows, src.tail, n, first, split.records_before[0], src.line, lambda: drop(0)
        )
        ctx.report.append("first:" + ("handed" if handed else "alone"))
        j = 0
        while handed and j < len(helpers):
            result = helpers[j].collect()
            if result is None:  # the helper failed: its range, and the rest, are read here
                drop(j)
                ctx.report.append(f"part{j + 1}:redone")
                n = _rest(
                    ctx, split.cuts[j], split.records_before[j], split.lines[j] - src.lines_before, None
                )
                break
            _use(ctx.writer, helpers[j], result)
            n, handed = int(result["n"]), bool(result["handed"])
            ctx.report.append(f"part{j + 1}:" + ("handed" if handed else "alone"))
            j += 1
        return n
    finally:
        drop(0)


def _range(
    ctx: Scoring,
    rows: Iterator[list[str]],
    tail: EdgeLine,
    n: int,
    cut: int,
    expected: int,
    line: Callable[[], int],
    going_alone: Callable[[], None],
) -> tuple[int, bool]:
    """Score one range up to its edge line. True: it ended between records with ``expected`` records,
    so the next range's output follows on. False: this process read on to the end of the file."""
    try:
        ctx.loop(rows, n)
    except Edge as edge:
        row, n = edge.row, edge.n
    else:  # pragma: no cover - the edge row is always the wrong width, so it always reaches the slow path
        raise RuntimeError("a file range ended without its edge line")
    at_gap = at_boundary(row, ctx.width)
    if at_gap and n == expected:
        return n, True
    going_alone()
    resume: str | list[str] | None = None
    if not at_gap:  # the record's own lines when they were kept (QuoteCheck), else its text so far
        checker = ctx.src.checker
        resume = checker.edge_lines if checker is not None else resume_line(row, ctx.width, ctx.src.delimiter)
    return _rest(ctx, cut, n, line() - 1, resume), False


def _reader(
    ctx: Scoring, lines: Iterator[str], tail: Iterator[str] | None, base: int
) -> tuple[Iterator[list[str]], Callable[[], int]]:
    """Rows from a cut on, checked for stray quotes as the first process checks them (``base``: the
    physical lines before the cut, for messages)."""
    src = ctx.src
    rows, line_num, checker = csv_rows(
        lines, src.delimiter, src.name, tail=tail, check=src.checker is not None, base=base, nul=src.nul
    )
    if checker is not None:
        checker.width = ctx.width
        if src.checker is not None:
            checker.closed = src.checker.closed  # the columns that never hold a line break (see runner)
        checker.lookahead = False  # a part never reads past its range to mend a row (nor does one process)
        src.checker = checker  # the one whose kept lines a cut inside a record resumes from
    return rows, line_num


def _rest(ctx: Scoring, cut: int, n: int, lines: int, resume: str | list[str] | None) -> int:
    """From a cut to the end of the file in this process (``resume``: a record the cut fell inside)."""
    src = ctx.src
    assert src.window is not None
    text, window = open_window(src.window.fd, cut, "utf-8")
    try:
        if isinstance(resume, str):
            resume = [resume]  # the resumed record's text counts as one line
        base = lines - len(resume or ())
        reader, line_num = _reader(ctx, chain(resume or (), text), None, base + src.lines_before)
        src.line = lambda: base + line_num()
        ctx.edge[0] = NO_EDGE
        ctx.env["position"] = lambda: window.pos
        return ctx.loop(reader, n)
    finally:
        text.close()


# --- helper processes ------------------------------------------------------------------------------------

HELD = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class _Helper:
    def __init__(self, pid: int, pipe: int, file: IO[bytes]) -> None:
        self.pid = pid
        self.pipe = pipe
        self.file = file
        self.done = False

    def collect(self) -> dict[str, Any] | None:
        """Wait for the helper; its result, or None if it did not finish cleanly."""
        chunks = []
        while chunk := os.read(self.pipe, 65536):  # interruptible; ends when the helper exits
            chunks.append(chunk)
        with signals_held():  # a pid reaped but not marked done could be killed after its reuse
            _, status = os.waitpid(self.pid, 0)
            self.done = True
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        try:
            result: dict[str, Any] = json.loads(b"".join(chunks))
        except ValueError:
            return None
        return result

    def stop(self) -> None:
        """Kill (if still running) and reap the helper; close its pipe and temp file. Idempotent."""
        with signals_held():
            if not self.done:
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)
                with contextlib.suppress(OSError):
                    os.waitpid(self.pid, 0)
                self.done = True
        if self.pipe >= 0:
            with contextlib.suppress(OSError):
                os.close(self.pipe)
            self.pipe = -1
        self.file.close()


def _fork(ctx: Scoring, split: Split, j: int, helpers: list[_Helper]) -> None:
    """Start the helper of range ``j`` and add it to ``helpers`` (signals held: none is ever lost)."""
    _fork_with(ctx, split.temp_dir, helpers, lambda: _score_range(ctx, split, j))


class Work(Protocol):
    """What a helper process runs for (Scoring, RecordParts, batch.columnar.Columnar)."""

    writer: Writer

    def to_helper(self, put: Callable[[str], Any]) -> None: ...

    def tally(self) -> dict[tuple[str, str], int]: ...


def _fork_with(
    ctx: Work, temp_dir: str | None, helpers: list[_Helper], score: Callable[[], dict[str, Any]]
) -> None:
    """Start a helper that runs ``score`` (its records written to its temp file, see :func:`_helper_main`)
    and add it to ``helpers``."""
    # unlinked at once (nothing left behind, even after a crash); next to the output file when there is one
    file = tempfile.TemporaryFile(prefix=".stm-screen-part-", dir=temp_dir)  # noqa: SIM115
    try:
        read_end, write_end = os.pipe()
    except OSError:
        file.close()
        raise
    parent = os.getpid()
    with signals_held() as unblocked:
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            file.close()
            raise
        if pid == 0:  # pragma: no cover - runs in the helper (checked by the equivalence tests' outputs)
            _helper_main(ctx, score, read_end, write_end, file, parent, unblocked)
        os.close(write_end)
        helpers.append(_Helper(pid, read_end, file))


def _helper_main(
    ctx: Work,
    score: Callable[[], dict[str, Any]],
    read_end: int,
    write_end: int,
    file: IO[bytes],
    parent: int,
    unblocked: Any,
) -> NoReturn:  # pragma: no cover - runs in the helper
    code = 1
    try:
        for sig in HELD:  # a signal stops a helper at once (the main process cleans up); ignored stays so
            if signal.getsignal(sig) is not signal.SIG_IGN:
                signal.signal(sig, signal.SIG_DFL)
        if unblocked is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
        _die_with(parent)
        os.close(read_end)
        raw = io.FileIO(file.fileno(), "w", closefd=False)
        out = io.TextIOWrapper(io.BufferedWriter(raw, 1 << 20), encoding="utf-8", newline="")
        writer = ctx.writer
        writer.handle = out
        writer.put = out.write
        writer.started = True  # the output's header, if any, is written by the main process
        writer.counts = {}
        writer.reset_bad()
        ctx.to_helper(out.write)
        before = ctx.tally()
        result = score()
        out.flush()
        after = ctx.tally()
        result.update(
            tally=[[s, lv, c - before.get((s, lv), 0)] for (s, lv), c in after.items()],
            counts=[[s, lv, c] for (s, lv), c in writer.counts.items()],
            bad=writer.bad_entries(),
        )
        data = memoryview(json.dumps(result).encode())
        while data:
            data = data[os.write(write_end, data) :]
        code = 0
    finally:
        os._exit(code)


def _score_range(ctx: Scoring, split: Split, j: int) -> dict[str, Any]:  # pragma: no cover - in a helper
    """A helper's range of a CSV file, scored (``n``: the records up to its end; ``handed``: see _range)."""
    src = ctx.src
    assert src.window is not None
    cut = split.cuts[j]
    last = j + 1 == len(split.cuts)
    text, window = open_window(src.window.fd, cut, "utf-8")
    tail = EdgeLine()
    if not last:
        window.limit = split.cuts[j + 1]
        tail.arm(src.delimiter, ctx.width)
    ctx.edge[0] = tail
    ctx.env["position"] = lambda: window.pos
    base = split.lines[j] - src.lines_before
    reader, line_num = _reader(ctx, text, tail, base + src.lines_before)
    src.line = lambda: base + line_num()
    n = split.records_before[j]
    if last:
        n, handed = ctx.loop(reader, n), False
    else:
        n, handed = _range(
            ctx, reader, tail, n, split.cuts[j + 1], split.records_before[j + 1], src.line, _nothing
        )
    return {"n": n, "handed": handed}


# --- JSON Lines in parts ---------------------------------------------------------------------------------


def plan_records(src: RecordSource, writer: Writer, settings_jobs: int, temp_dir: str | None) -> Split | None:
    """The cuts of a JSON Lines file whose first records have been read (none scored yet), or None when
    it is scored in this process alone. A cut just after a line feed is always between two lines, so
    between records: the count of non-blank lines before it is the records before it, unless a line
    held a FHIR Bundle (checked as for CSV: see :func:`run_records`). Nothing is counted here: each
    helper counts the lines and records before its cut itself (:func:`_counted`), while this process
    scores its own range."""
    window = src.window
    if settings_jobs == 1 or window is None or src.part is None:
        return None
    if not writer.fast or getattr(writer, "wants_row", False) or not _can_fork():
        return None
    where = _cut(window.fd, window.pos, settings_jobs)
    if where is None:
        return None
    size, start, cuts = where
    return Split(cuts, [], [], start, size, temp_dir)


def _counted(fd: int, split: Split, j: int) -> tuple[int, int]:
    """(lines, records) before cut ``j`` of a JSON Lines file, counted from its start (see plan_records;
    always from the start, so that every process that counts up to a cut gets the same figures)."""
    if split.lines:
        return split.lines[j], split.records_before[j]
    lines, records = count_records(fd, [split.cuts[j]], _bom(fd))[0]
    return lines, records


def _cut(fd: int, start: int, settings_jobs: int) -> tuple[int, int, list[int]] | None:
    """(the file's size, where the rest starts, the cuts after line feeds that part it), or None when the
    rest is too small for two parts or cannot be read."""
    try:
        size = os.fstat(fd).st_size
    except OSError:
        return None
    jobs = min(settings_jobs or default_jobs(), MAX_PARTS)
    parts = min(jobs, (size - start) // MIN_PART_BYTES)
    if parts < 2:
        return None
    try:
        cuts = find_cuts(fd, start, size, parts)
    except OSError:
        return None
    return (size, start, cuts) if cuts else None


def _bom(fd: int) -> int:
    """The length of the file's UTF-8 BOM (0 if none)."""
    return len(codecs.BOM_UTF8) if os.pread(fd, len(codecs.BOM_UTF8), 0) == codecs.BOM_UTF8 else 0


def from_start(src: RecordSource) -> tuple[Iterator[Any], Callable[[], None]]:
    """A JSON Lines file's records read again from its start, as when it was opened; and their closer."""
    assert src.window is not None and src.part is not None
    records, _window, close = src.part(_bom(src.window.fd), 0, None)
    return records, close


def run_records(ctx: RecordParts, split: Split) -> int:
    """Score a JSON Lines file in parts: this process up to the first cut, a helper each range after;
    returns the number of records, as one process would. A helper's output is used only if the range
    before ended with exactly the records it started from; otherwise the process that scored that range
    reads on alone to the end of the file."""
    handle = ctx.writer.handle
    handle.flush()  # nothing buffered is copied into a helper
    helpers: list[_Helper] = []

    drop = partial(_stop_from, helpers)

    window = ctx.src.window
    assert window is not None
    try:
        try:
            for j in range(len(split.cuts)):
                _fork_with(ctx, split.temp_dir, helpers, partial(_score_lines, ctx, split, j))
        except OSError:
            drop(0)
            ctx.report.append("alone")
            return ctx.score(ctx.records, 0)
        first = split.cuts[0]
        window.limit = first
        begin, share = split.read_so_far, split.size - split.read_so_far
        ctx.where[0] = lambda: begin + (window.pos - begin) * share // max(1, first - begin)
        n = ctx.score(ctx.records, 0)
        lines, records = _counted(window.fd, split, 0)
        if n != records:
            drop(0)
            ctx.report.append("first:alone")
            return _read_on(ctx, first, lines, n)
        ctx.report.append("first:handed")
        for j, helper in enumerate(helpers):
            result = helper.collect()
            if result is None:  # the helper failed: its range, and the rest, are read here
                drop(j)
                ctx.report.append(f"part{j + 1}:redone")
                return _read_on(ctx, split.cuts[j], _counted(window.fd, split, j)[0], n)
            _use(ctx.writer, helper, result)
            ctx.merge(result)
            n = int(result["n"])
            ctx.report.append(f"part{j + 1}:" + ("handed" if result["handed"] else "alone"))
            if not result["handed"]:  # it read on to the end of the file
                break
        return n
    finally:
        drop(0)


def _read_on(ctx: RecordParts, cut: int, lines: int, n: int, limit: int | None = None) -> int:
    """The records from a cut (``lines`` before it) to ``limit`` or the end, scored after ``n``."""
    return read_on(ctx.src, ctx.where, ctx.score, cut, lines, n, limit)


def read_on(
    src: RecordSource,
    where: list[Callable[[], int]],
    score: Callable[[Iterator[Any], int], int],
    cut: int,
    lines: int,
    n: int,
    limit: int | None = None,
) -> int:
    """A JSON Lines file's records from a cut (``lines`` before it) to ``limit`` or the end, scored by the
    runner's record loop after ``n`` (also for batch.columnar_jsonl); its progress (``where[0]``) follows."""
    assert src.part is not None
    records, window, close = src.part(cut, lines, limit)
    where[0] = lambda: window.pos
    try:
        return score(records, n)
    finally:
        close()


def _score_lines(ctx: RecordParts, split: Split, j: int) -> dict[str, Any]:  # pragma: no cover - in a helper
    """A helper's range of a JSON Lines file, scored from the records that the lines before it say
    (``n``: the records up to its end; ``handed``: it ended with the records the next range starts from,
    else it read on to the end of the file)."""
    last = j + 1 == len(split.cuts)
    window = ctx.src.window
    assert window is not None
    lines, records = _counted(window.fd, split, j)
    n = _read_on(ctx, split.cuts[j], lines, records, None if last else split.cuts[j + 1])
    if last:
        handed = False
    else:
        next_lines, next_records = _counted(window.fd, split, j + 1)
        handed = n == next_records
        if not handed:
            n = _read_on(ctx, split.cuts[j + 1], next_lines, n)
    result: dict[str, Any] = {"n": n, "handed": handed}
    result.update(ctx.finish())
    return result


# --- a workbook in parts ---------------------------------------------------------------------------------


def plan_xlsx(src: TableSource, writer: Writer, settings_jobs: int, skip: Any) -> list[int] | None:
    """Where a large sheet read by calamine is cut (slice numbers, one a helper), or None when it is scored
    in this process (with helpers reading its slices, see readers._calamine_rows)."""
    parts = src.sheet
    if settings_jobs == 1 or src.kind != "xlsx" or not isinstance(parts, SheetParts) or skip is not None:
        return None
    if parts.pooled or parts.alone or parts.split:
        return None
    if not writer.fast or getattr(writer, "wants_row", False) or not _can_fork():
        return None
    jobs = min(settings_jobs or default_jobs(), MAX_PARTS)
    procs = min(jobs, parts.slices // XLSX_MIN_SLICES)
    if procs < 2:
        return None
    if parts.book.index is not None:
        # helpers start at their parts (readers.SheetIndex): the slices not yet read, in equal parts
        left = parts.slices - parts.index
        bounds = [parts.index + left * j // procs for j in range(1, procs)]
    else:
        # this process has started up and scanned the sheet before its part: its part is a little shorter
        bounds = [parts.slices * (100 * j - XLSX_HEAD_START) // (100 * procs) for j in range(1, procs)]
    if bounds[0] <= parts.index:
        return None
    return bounds


def run_xlsx(ctx: Scoring, bounds: list[int], n: int, temp_dir: str | None) -> int:
    """Score the rest of the sheet in parts: this process up to slice ``bounds[0]``, a helper each part
    after; returns the number of records, as one process would. A helper whose part needs openpyxl, or
    does not start at the record this process (or the helper before) ended at, is redone here."""
    parts = ctx.src.sheet
    assert isinstance(parts, SheetParts)
    parts.split = True
    ctx.writer.handle.flush()  # nothing buffered is copied into a helper
    helpers: list[_Helper] = []
    extra = parts.nonempty - n  # rows read so far that are not records (the header)

    drop = partial(_stop_from, helpers)

    try:
        try:
            for j, first in enumerate(bounds):
                end = bounds[j + 1] if j + 1 < len(bounds) else None
                _fork_with(ctx, temp_dir, helpers, partial(_score_part, ctx, first, end, extra))
        except OSError:
            drop(0)
            ctx.report.append("alone")
            return ctx.loop(ctx.rows, n)
        parts.stop = bounds[0]
        n = ctx.loop(_until_pause(ctx.rows), n)
        parts.stop = None
        if parts.alone:  # openpyxl took over in this part and read to the end
            drop(0)
            ctx.report.append("first:alone")
            return n
        ctx.report.append("first:handed")
        for j, helper in enumerate(helpers):
            result = helper.collect()
            if result is None or int(result["start"]) != n:
                drop(j)
                ctx.report.append(f"part{j + 1}:redone")
                parts.resume = bounds[j]  # the slices before: read by helpers, only counted here
                return ctx.loop(ctx.rows, n)
            _use(ctx.writer, helper, result)
            ctx.report.append(f"part{j + 1}:" + ("handed" if int(result["n"]) > n else "empty"))
            n = int(result["n"])
        return n
    finally:
        drop(0)


def _until_pause(rows: Iterator[list[str]]) -> Iterator[list[str]]:
    for row in rows:
        if row is PAUSE:
            return
        yield row


def _score_part(
    ctx: Scoring, first: int, end: int | None, extra: int
) -> dict[str, Any]:  # pragma: no cover - runs in a helper
    """A helper's slices of the sheet, scored from the record that their rows before say (``start``)."""
    src = ctx.src
    mine = SheetParts(src.sheet.book, src.sheet.slices, first=first, end=end, split=True)
    state = {"row": 0}
    rows = _calamine_rows(mine.book, state, 1, mine)
    src.line = lambda: state["row"]
    ctx.env["position"] = lambda: 0
    head = next(rows, None)  # the slices before are skipped (their rows counted) and the first one read
    start = mine.rows_before - extra
    n = ctx.loop(rows if head is None else chain([head], rows), start)
    return {"start": start, "n": n}


def _die_with(parent: int) -> None:  # pragma: no cover - runs in the helper
    """A helper is killed when the main process dies, even by SIGKILL (Linux's parent-death signal)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the signal was set
        os._exit(1)


def _nothing() -> None:
    return None


def _ignore(_: int) -> None:
    return None


def _append(handle: IO[str], file: IO[bytes], untranslated: bool) -> None:
    """A helper's output after this process's own: as bytes (in the kernel when it can) into a UTF-8
    handle known not to translate line ends, else as text through the handle."""
    handle.flush()
    file.seek(0)
    buffer = getattr(handle, "buffer", None)
    encoding = getattr(handle, "encoding", None) or ""
    if untranslated and buffer is not None and encoding and codecs.lookup(encoding).name == "utf-8":
        buffer.flush()
        if _send(file, buffer):
            return
        file.seek(0)
        shutil.copyfileobj(file, buffer, 1 << 20)
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    while chunk := file.read(1 << 20):
        handle.write(decoder.decode(chunk))
    handle.write(decoder.decode(b"", final=True))


def _send(file: IO[bytes], buffer: Any) -> bool:
    """Copy in the kernel (a file or pipe written through an OS file descriptor); False if it cannot. Not
    past a guarded stream (standard output's, cli.streams): its own writes say what failed, and how, in
    the same words as when no helper ran."""
    raw = getattr(buffer, "raw", None)
    if type(raw) is not io.FileIO or not hasattr(os, "sendfile"):
        return False
    size = os.fstat(file.fileno()).st_size
    offset = 0
    try:
        while offset < size:
            sent = os.sendfile(raw.fileno(), file.fileno(), offset, size - offset)
            if sent == 0:
                break
            offset += sent
    except OSError:
        if offset:
            raise  # part of it went out: copying again would repeat it
        return False
    if offset != size and offset:
        raise OSError(errno.EIO, "the output of a helper process was cut short")
    return offset == size


def _stop_from(helpers: list[_Helper], first: int) -> None:
    """Stop the helpers from ``first`` on (their work will not be used); a second Ctrl-C or SIGTERM waits
    until every one is stopped and reaped."""
    with signals_held():
        for helper in helpers[first:]:
            helper.stop()


def _use(writer: Writer, helper: _Helper, result: dict[str, Any]) -> None:
    """A helper's part goes into the output after the parts before it; its temp file goes at once."""
    _append(writer.handle, helper.file, writer.untranslated)
    helper.stop()
    _merge(writer, result)


def _merge(writer: Writer, result: dict[str, Any]) -> None:
    writer.merge({(s, lv): int(c) for s, lv, c in result["tally"] if c})
    writer.merge({(s, lv): int(c) for s, lv, c in result["counts"] if c})
    for file, row, brief, error in result["bad"]:
        writer.add_bad(str(file), int(row), str(brief), str(error))
