"""The columnar reader (the optional extra ``stm-screen[fast]``: pyarrow and numpy): the rest of a large CSV
file after the first records, read in blocks of columns, with each distinct combination of answers scored
once.

The runner reads the header and the first records (the calibration sample) exactly as always; from the
line after them on, this module takes over when it can represent the file exactly:

- the file is a regular UTF-8 file (with or without BOM) and the output is plain CSV (no file of another
  kind, no REDCap event filter, at most one id column);
- each block of whole lines (about 8 MB) is checked before it is read: no NUL byte, no carriage return
  except in CRLF line ends, and every '"' pairs with the next one into a quoted cell that opens at the
  start of a cell, closes at its end, and holds no '"' and no line break. Python's csv reader and
  Arrow's read such a block to the same cells;
- every line of the block has the header's number of cells (a ragged row is the exact reader's to
  report) and the text is valid UTF-8.

The first block that fails any check is handed, with everything after it, to the exact reader (the
runner's own loop over :func:`stm_screen.batch.readers.csv_rows`), starting at that block's first line:
the row numbers and line numbers it reports are those of a run that read the whole file exactly. Nothing
of a block is written or counted before the block has passed. A file whose calibration sample is very
varied (most records an outcome of their own: ``VARIED_SHARE``) is left to the exact reader from the start,
unless the tails are made in columns (below: the bundled rules).

A file large enough (batch.parallel.plan_split: two ranges of 8 MB or more, ``--jobs`` not 1) is read in
parts: this process reads the first range in columns, a forked helper each other range into an unlinked
temp file, numbering its records from the guess that every line before its cut is one record; a helper's
part is used only if the range before it ended with exactly that many records, else this process reads on
alone from that cut (``Columnar._in_parts``). A helper that meets a block for the exact reader fails, and
its range is read here.

Per block, each answer column is dictionary-encoded (Arrow), each distinct cell is turned into its token
once by the record scorer (:class:`stm_screen.batch.scoring.RecordScorer`), the token columns are combined
into one key per record, and the outcome of each distinct key is computed once by the same scorer, in the
order in which the keys first occur (so the first bad records are the same ones). With many distinct keys,
records are grouped by fingerprint (what each condition makes of their answers), and each group's tail is
made in columns (``_Conclusion``: the lists of warning signs and criteria joined by Arrow, the other cells
from the scorer's own outcome for one group per small key). The output lines, row number, id and the
tail, are joined by Arrow and written as bytes.

``STM_SCREEN_FAST=0`` in the environment turns this off (the exact reader for every file).
"""

from __future__ import annotations

import codecs
import io
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

from stm_screen.batch.columns import one_line_columns
from stm_screen.batch.output import CsvWriter, Writer, csv_cell
from stm_screen.batch.readers import MAX_CELL, LineError, TableSource, csv_rows

if TYPE_CHECKING:
    from stm_screen.batch.columns import Plan
    from stm_screen.batch.parallel import Split
    from stm_screen.batch.scoring import RecordScorer

BLOCK_BYTES = 4 << 20  # bytes of whole lines read and checked at a time, at most
FIRST_BLOCK = 1 << 20  # the first block; the next ones double while records share outcomes
MIN_BLOCK = 128 << 10
MAX_TIED_TABLE = 1 << 21  # entries of a table of tied columns' representatives (see Columnar._tied)
MAX_BY_PARTS = 100_000
MAX_DENSE = 1 << 16  # combinations of tokens a condition's table may cover
MANY_OUTCOMES = 4096  # distinct outcomes in a block above which blocks shrink (the outcomes are held in
# memory until the block is written: very varied answers are read in small blocks, so memory stays flat)
MEMO_SCALE = 2  # times the record scorer's byte budget the memos may hold here (Arrow's blocks dwarf it)
# A line longer than this (a run-away cell, or one that may hold a cell over the limit) is the exact reader's,
# which says which cell is over it (Arrow would read such a cell)
MAX_LINE_BYTES = MAX_CELL
SWITCH = "STM_SCREEN_FAST"  # "0": never the columnar reader
VARIED_SHARE = 0.6  # distinct outcomes per record of the calibration sample above which the exact reader,
# scoring in parts, is faster (coin-toss answers: 1.0 and about 1.7x faster exact; plausible data: 0.23)
VARIED_SAMPLE = 512  # records a sample needs for that judgement
_NL, _CR, _QUOTE = 10, 13, 34


def switched_off() -> bool:
    """Whether the environment turns the columnar reader off (``STM_SCREEN_FAST=0``); imports nothing."""
    return os.environ.get(SWITCH, "1").strip() in ("0", "no", "false", "off")


def first_block() -> int:
    """The bytes of the first block a file is read in (the next ones grow)."""
    return min(FIRST_BLOCK, BLOCK_BYTES)


def wanted() -> bool:
    """Whether the columnar reader may be used at all (installed, and not turned off)."""
    if switched_off():
        return False
    pool = os.environ.get("ARROW_DEFAULT_MEMORY_POOL")
    if pool is not None and pool not in ("system", "jemalloc", "mimalloc"):
        # a name Arrow does not know: Arrow would print its own warning, once per process, to stderr; the
        # C library's pool is used, as when none is named (see arrow_pool)
        del os.environ["ARROW_DEFAULT_MEMORY_POOL"]
    try:
        import numpy  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def suits(src: TableSource, writer: Writer, plan: Plan, sample: list[list[str]], skip: Any) -> bool:
    """Whether the rest of this file may be read in columns (see the module doc); cheap, imports nothing."""
    if src.kind != "csv" or src.window is None or type(writer) is not CsvWriter or skip is not None:
        return False
    if codecs.lookup(src.encoding).name not in ("utf-8", "utf-8-sig"):
        return False
    d = src.delimiter
    if len(d) != 1 or ord(d) > 127 or d in '"\r\n\x00':
        return False
    if len(plan.id_indices) > 1 or not plan.targets:
        return False
    # a stray quote's row taken apart at the end of the sample: the reader is part way through its lines
    return not any(type(row) is LineError for row in sample) and wanted()


FEW_KEYS = 64  # distinct answer combinations in a block below which each is simply scored
_MISS = object()
_RESULT = (False, True, None)  # a condition's result from its code (see _code)


def _code(value: Any) -> int:
    """A condition's result as a small integer: False, True, None (cannot be decided)."""
    return 2 if value is None else int(bool(value))


class _NoPandas:
    """An import finder that refuses pandas (see _spare_pandas)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas":
            raise ImportError("not imported by stm-screen's columnar reader")


def _spare_pandas(pa: Any) -> None:
    """pyarrow imports pandas, when installed, at its first conversion of Python objects, only to ask
    whether they are pandas objects (about 0.25 s, a twentieth of a million records): none of ours are. Its
    first conversion is made here with pandas refused, unless pandas is imported already. pyarrow then
    takes pandas for missing for the rest of the process (a pandas Series given to ``pa.array`` later is
    read as a plain sequence: no categories, no nullable integers), so this is done only in a process that
    is the ``stm-screen`` command (``stm_screen.batch.OWN_PROCESS``), never for a program that calls the
    library."""
    if "pandas" in sys.modules:
        return
    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([0])
    except ImportError:  # pragma: no cover - a pyarrow that insists: it imports pandas on its next call
        pass
    finally:
        sys.meta_path.remove(finder)


class _Exact(Exception):
    """This block (and the rest of the file) is for the exact reader."""


def _start_offset(fd: int, lines: int) -> int | None:
    """The byte offset after the first ``lines`` lines (LF or CRLF ends; None: a bare CR on the way, or
    fewer lines than that, which the reader cannot have read)."""
    pos = 0
    seen = 0
    while seen < lines:
        block = os.pread(fd, 1 << 20, pos)
        if not block:
            return pos if seen == lines - 1 and pos > 0 else None  # a last line without a line end
        need = lines - seen
        count = block.count(b"\n")
        if count < need:
            part = block
            seen += count
        else:
            cut = -1
            for _ in range(need):
                cut = block.index(b"\n", cut + 1)
            part = block[: cut + 1]
            seen = lines
        if part.count(b"\r") != part.count(b"\r\n"):
            return None
        pos += len(part)
    return pos


def _simple(chunk: bytes, delimiter: int) -> bool:
    """Whether Python's csv reader and Arrow's (quotes, no line breaks in values) read this block of
    whole lines to the same cells: no NUL, no bare CR, and every '"' opens a quoted cell at the start of
    a cell or closes one at its end, on the same line, the cell holding no '"' (see the module doc)."""
    import numpy as np

    if b"\x00" in chunk:
        return False
    cr = chunk.count(b"\r")
    if cr and cr != chunk.count(b"\r\n"):
        return False
    quotes = chunk.count(b'"')
    if not quotes:
        return True
    if quotes % 2:
        return False
    arr = np.frombuffer(chunk, dtype=np.uint8)
    at = np.flatnonzero(arr == _QUOTE)
    opens, closes = at[0::2], at[1::2]
    before = arr[np.maximum(opens - 1, 0)]
    before = np.where(opens > 0, before, _NL)  # a block starts at the start of a line
    if not bool(np.all((before == delimiter) | (before == _NL))):
        return False
    last = len(arr) - 1
    after = np.where(closes < last, arr[np.minimum(closes + 1, last)], _NL)
    if not bool(np.all((after == delimiter) | (after == _NL) | (after == _CR))):
        return False
    ends = np.flatnonzero(arr == _NL)
    return bool(np.array_equal(np.searchsorted(ends, opens), np.searchsorted(ends, closes)))


class _Codes:
    """Combines columns of small integer codes into one code per record (first occurrence order)."""

    @staticmethod
    def combine(columns: list[Any], rows: int) -> tuple[Any, Any]:
        """(code per record, first record of each code), codes numbered in order of first occurrence."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        key = np.zeros(rows, dtype=np.int64)
        span = 1
        for col in columns:
            low = int(col.min())
            size = int(col.max()) - low + 1
            if span * size >= 1 << 62:
                key = _Codes.combine([key], rows)[0].astype(np.int64)
                span = int(key.max()) + 1
            key = key * size + (col - low)
            span *= size
        encoded = pc.dictionary_encode(pa.array(key))
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        most = np.maximum.accumulate(codes)
        first = np.flatnonzero(np.concatenate(([True], most[1:] > most[:-1])))
        return codes, first


def _decode(table: Any, name: str) -> tuple[Any, list[str]]:
    """A column's codes (numpy) and the distinct texts they stand for (read as a dictionary column, its
    dictionaries unified; or a string column, encoded here)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = table.column(name).combine_chunks()
    encoded = column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


_PLAIN_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_SMALL_KEYS = 100_000  # small keys remembered by _Conclusion (forgotten all at once past this)


def concludes(rs: RecordScorer) -> bool:
    """Whether records of these rules with outcomes of their own have their tails made in columns (very
    varied answers are then read in columns too: see the runner)."""
    return _Conclusion.of(rs) is not None


class _Conclusion:
    """Tails made in columns: the output line after the id of every group of records with a fingerprint
    of its own (very varied answers: nearly every record), without one outcome object per group.

    A tail is ``status,level,urgency,score,red_flags,criteria_met,unanswered,unanswered_urgency,error``
    (then the instruments' cells). The three lists of names come straight from the fingerprint's condition
    results (a warning sign fired and not replaced by another that fired; one that cannot be ruled out; a
    criterion met), joined by Arrow. The rest depends only on a small key: the level of the highest warning
    sign that fired, the most urgent one's urgency, whether any fired, whether any could not be ruled out,
    the most urgent of those one's urgency, and the results of the criteria and of the outcomes' conditions
    (``Scorer.conclude`` decides from nothing else). Per distinct small key, the record scorer concludes one
    group's outcome as always (``from_fingerprint``), and its rendered tail gives the cells before and after
    the lists; its lists must be the ones made in columns, else nothing is made so (the scorer makes every
    tail). Only for rules whose outcomes are concluded
    from fingerprints (no instrument items: ``RecordScorer.derives``) and whose names are plain ids."""

    def __init__(self, rs: RecordScorer) -> None:
        import numpy as np

        from stm_screen.core.explain import URGENCY_ORDER

        ruleset = rs.ruleset
        flags, crits = ruleset.red_flags, ruleset.criteria
        self.gates = len(rs._gate_ids)
        self.gate_ids = rs._gate_ids
        self.nf, self.nc, self.nw = len(flags), len(crits), len(rs._fp_whens)
        assert rs._fp_flags == slice(self.gates, self.gates + self.nf)
        assert rs._fp_crits == slice(self.gates + self.nf, self.gates + self.nf + self.nc)
        self.flag_names = [f.id for f in flags]
        self.crit_names = [c.id for c in crits]
        at = {f.id: j for j, f in enumerate(flags)}
        self.replaces = [(at[f.id], [at[o] for o in f.replaces if o in at]) for f in flags if f.replaces]
        self.doubts = [(j, list(named)) for j, named in rs.scorer.doubts]  # see Scorer._doubted
        # the tests of Scorer.conclude's ``covered`` (a sign not checked, covered by its replacing sign not
        # checked either): their results follow the outcomes' conditions and the audience's in the parts
        self.covers = [(at[new], at[old]) for new, old, _test in rs.scorer.covers]
        self.cover_at = rs._fp_covers.start
        assert rs._fp_covers.stop - rs._fp_covers.start == len(self.covers)
        rank = rs.scorer._rank
        levels = sorted({f.level for f in flags})
        self.level_of = np.array([levels.index(f.level) for f in flags], dtype=np.int64)
        # the first flag of the highest rank wins (as Scorer.conclude: strictly higher replaces)
        self.order = np.array([rank[f.level] * (self.nf + 1) + (self.nf - j) for j, f in enumerate(flags)])
        urgency = rs._urgency
        self.urgency = np.array(
            [URGENCY_ORDER.index(urgency[f.id]) if f.id in urgency else -1 for f in flags], dtype=np.int64
        )
        # a small key's values -> the cells before and after the lists, and (status, level): what the
        # scorer's outcome for the first group of that key said (checked then), for every block after
        self.known: dict[tuple[int, ...], tuple[str, str, tuple[str, str]]] = {}

    @staticmethod
    def of(rs: RecordScorer) -> _Conclusion | None:
        """The conclusion in columns for these rules, or None when they do not allow it."""
        from stm_screen.io.csvcells import cell

        if not rs.derives or not rs._fp_ok:
            return None
        names = [f.id for f in rs.ruleset.red_flags] + [c.id for c in rs.ruleset.criteria]
        if not all(_PLAIN_ID.fullmatch(x) and cell(x) == x for x in names) or cell("a;b") != '"a;b"':
            return None
        return _Conclusion(rs)

    def tails(
        self, mat: Any, counts: Any, rs: RecordScorer, fingerprint: Callable[[list[int]], Any], writer: Writer
    ) -> tuple[Any, int] | None:
        import numpy as np
        import pyarrow as pa

        from stm_screen.batch.scoring import IGNORED

        g0, nf, nc, nw = self.gates, self.nf, self.nc, self.nw
        groups = len(mat)
        flags = mat[:, g0 : g0 + nf]
        crits = mat[:, g0 + nf : g0 + nf + nc]
        whens = mat[:, g0 + nf + nc : g0 + nf + nc + nw]
        fired, unknown = flags == 1, flags == 2
        if self.doubts:  # as Scorer._doubted
            fired0, unknown0 = fired, unknown
            fired, unknown = fired.copy(), unknown.copy()
            for j, named in self.doubts:
                holds = fired0[:, j] & unknown0[:, named].any(axis=1) & ~fired0[:, named].any(axis=1)
                unknown[:, named] &= ~holds[:, None]
                fired[:, j] = holds
                unknown[:, j] = False
        if self.replaces:
            replaced = np.zeros_like(fired)
            for g, olds in self.replaces:
                for o in olds:
                    replaced[:, o] |= fired[:, g]
            fired, unknown = fired & ~replaced, unknown & ~replaced
        if self.covers:
            gone = np.zeros_like(unknown)
            for k, (new, old) in enumerate(self.covers):
                gone[:, old] |= (mat[:, self.cover_at + k] == 1) & unknown[:, new]
            unknown = unknown & ~gone
        any_fired = fired.any(axis=1) if nf else np.zeros(groups, dtype=bool)
        any_unknown = unknown.any(axis=1) if nf else np.zeros(groups, dtype=bool)
        if nf:
            best = np.where(fired, self.order, -1).argmax(axis=1)
            top = np.where(any_fired, self.level_of[best], -1)
            soon = np.where(fired, self.urgency, -1).max(axis=1)
            doubt = np.where(unknown, self.urgency, -1).max(axis=1)
        else:
            top = soon = doubt = np.full(groups, -1, dtype=np.int64)
        columns = [top + 1, soon + 1, any_fired.astype(np.int64), any_unknown.astype(np.int64), doubt + 1]
        columns += [crits[:, i] for i in range(nc)] + [whens[:, i] for i in range(nw)]
        small, reps = _Codes.combine(columns, groups)
        red = _names(fired, self.flag_names)
        met = _names(crits == 1, self.crit_names)
        open_ = _names(unknown, self.flag_names)
        before: list[str] = []
        after: list[str] = []
        tally: dict[tuple[str, str], int] = {}
        per_key = np.bincount(small, weights=counts, minlength=len(reps)).astype(np.int64).tolist()
        at_reps = np.stack(columns, axis=1)[reps].tolist()  # each small key's values
        known = self.known
        if len(known) > MAX_SMALL_KEYS:
            known.clear()
        for k, r in enumerate(reps.tolist()):
            small_key = tuple(at_reps[k])
            found = known.get(small_key)
            if found is None:
                out = rs.from_fingerprint(fingerprint(mat[r].tolist()))
                if not out.tail:
                    writer.render(out)
                tail = out.tail
                cells = tail[1:-1].split(",")
                if (
                    not tail.startswith(",")
                    or not tail.endswith("\n")
                    or len(cells) < 7
                    or cells[4:7] != [red[r].as_py(), met[r].as_py(), open_[r].as_py()]
                ):
                    return None
                found = known[small_key] = (
                    "," + ",".join(cells[:4]),
                    ",".join(cells[7:]) + "\n",
                    (out.status, out.level),
                )
            before.append(found[0])
            after.append(found[1])
            tally[found[2]] = tally.get(found[2], 0) + per_key[k]
        import pyarrow.compute as pc

        taken = pa.array(small)
        tails = pc.binary_join_element_wise(
            pa.array(before, pa.string()).take(taken), red, met, open_, pa.array(after, pa.string()).take(taken), ","
        )
        for i, qid in enumerate(self.gate_ids):
            ignored = int(counts[mat[:, i] == 1].sum())
            if ignored:
                tally[(IGNORED, qid)] = tally.get((IGNORED, qid), 0) + ignored
        rs.count(tally)
        return tails, len(reps)


def _names(mask: Any, names: list[str]) -> Any:
    """Per row, the names whose column is true, joined by ';' as one CSV cell (quoted when two or more).
    (Each name is taken with a ';' after it, and the last one cut: Arrow's join that skips nulls gave a
    shorter array than its input in pyarrow 26 when a row was all nulls.)"""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = len(mask)
    if not names:
        return pa.array([""] * rows, pa.string())
    empty = pa.scalar("", pa.string())
    parts = [pc.if_else(pa.array(mask[:, j]), pa.scalar(name + ";"), empty) for j, name in enumerate(names)]
    joined = pc.utf8_rtrim(pc.binary_join_element_wise(*parts, ""), characters=";")
    quoted = pc.binary_join_element_wise('"', joined, '"', "")
    out = pc.if_else(pc.match_substring(joined, ";"), quoted, joined)
    if len(out) != rows:  # pragma: no cover - never seen; the caller's check would catch it too
        raise _Exact
    return out


@contextmanager
def arrow_pool() -> Iterator[None]:
    """Arrow set up for reading one file: pyarrow kept from importing pandas (in the command's own
    process), and the blocks allocated from the C library's pool. Arrow's default pool (jemalloc or
    mimalloc) keeps freed blocks for reuse: about 20 MB more at the peak than the C library's, and no
    faster here. Unless ARROW_DEFAULT_MEMORY_POOL names one; the caller's pool is set back after."""
    import pyarrow as pa

    from stm_screen import batch

    if batch.OWN_PROCESS:
        _spare_pandas(pa)
    before = pa.default_memory_pool()
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(before)


class Columnar:
    """Scores the rest of one CSV file in blocks of columns (see the module doc)."""

    def __init__(
        self,
        src: TableSource,
        plan: Plan,
        rs: RecordScorer,
        writer: Writer,
        loop: Callable[..., int],
        env: dict[str, Any],
        jobs: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.src = src
        self.plan = plan
        self.rs = rs
        self.writer = writer
        self.loop = loop
        self.env = env
        self.threads = jobs != 1
        self.progress = progress
        self.names = [f"c{i}" for i in range(plan.width)]
        needed = {i for t in plan.targets for i in t.indices} | set(plan.id_indices)
        self.include = [self.names[i] for i in sorted(needed)]
        self.groups = 0  # distinct outcomes of the last block
        self.tied: dict[int, tuple[int, int, Any]] = {}  # see _tied: (generation, radix, table)
        self.by_parts: dict[bytes, Any] = {}  # a fingerprint's parts (as bytes) -> its outcome
        self.parts_generation = -1
        self.out_pool: Any = None
        self.pending: Any = None  # the block being written (a future)
        self.ids = {self.names[i] for i in plan.id_indices}  # read as text; the answers as dictionaries
        self.strict = False  # a block for the exact reader raises _Exact (in a helper: see _part)
        self.alone = False  # the exact reader read on to the end of the file
        self.line_after = 0  # the lines before the end of the range last read in columns
        self.report: list[str] = []  # what happened to each range, when read in parts (for tests)
        self.conclusion = _Conclusion.of(rs)  # outcomes concluded in columns, when the rules allow
        self.conclusion_groups = 0  # distinct outcomes but for their lists of names, in the last block
        self.most = BLOCK_BYTES  # bytes of a block, at most

    def run(self, n: int, split: Split | None = None) -> int | None:
        """Score the rest of the file; the number of records so far. None: not read here at all (the
        caller reads on exactly, from where it is). The next block is read and parsed (Arrow, numpy: no
        interpreter lock held) while this one is scored, unless ``--jobs 1``. With ``split`` (the cuts of
        batch.parallel.plan_split), the ranges after the first are read the same way by helper processes
        (see :meth:`_in_parts`)."""
        assert self.src.window is not None
        fd = self.src.window.fd
        lines = self.src.lines_before + self.src.line()
        try:
            start = _start_offset(fd, lines)
        except OSError:
            return None
        if start is None:
            return None
        self.size = first_block()
        with arrow_pool():
            if split is not None and split.cuts and split.cuts[0] > start:
                return self._in_parts(fd, start, lines, n, split)
            return self._run(fd, start, lines, n)

    # --- in parts ---------------------------------------------------------------------------------------

    def _in_parts(self, fd: int, start: int, lines: int, n: int, split: Split) -> int:
        """The rest of the file in ranges (the cuts of batch.parallel.plan_split, just after line feeds):
        this process reads the first, a forked helper each other one, into an unlinked temp file, with its
        record numbers starting from the guess that every line before its cut is one record. A helper's
        output is used only if the range before it ended with exactly that many records (every block of it
        read in columns: no quoted line break, no blank line); otherwise, or when a helper fails or meets a
        block for the exact reader, this process reads on alone from that cut, and the later helpers' work
        is dropped. The same bytes, counts and first bad records as one process."""
        from stm_screen.batch import parallel

        self.writer.handle.flush()  # nothing buffered is copied into a helper
        self.threads = False  # the processes keep the cores busy: no block is read ahead in a thread
        helpers: list[Any] = []
        drop = partial(parallel._stop_from, helpers)
        try:
            try:
                for j in range(len(split.cuts)):
                    parallel._fork_with(self, split.temp_dir, helpers, partial(self._part, fd, split, j))
            except OSError:  # no process to be had: this one reads on alone
                drop(0)
                self.report.append("alone")
                return self._run(fd, start, lines, n)
            first = split.cuts[0]
            progress = self.progress
            if progress is not None:  # the first range's bytes stand for the whole rest of the file
                share = split.size - start

                def scaled(pos: int, progress: Callable[[int], None] = progress) -> None:
                    progress(start + (pos - start) * share // max(1, first - start))

                self.progress = scaled
            n = self._run(fd, start, lines, n, end=first, going_alone=lambda: drop(0))
            self.progress = progress
            if self.alone:  # read to the end by the exact reader already
                drop(0)
                self.report.append("first:alone")
                return n
            # Each helper counted the lines before its cut itself (while this process read its range) and
            # numbered its records from them: its part follows on only if it started at the count of records
            # the range before it ended with.
            at_lines = self.line_after  # lines before the next cut, as read here
            if n != split.first_n + (at_lines - split.base):  # not one record per line: the helpers' guess
                drop(0)  # is wrong (no need to wait for them to say so)
                self.report.append("first:alone")
                return self._run(fd, first, at_lines, n)
            label = "first"
            for j, helper in enumerate(helpers):
                result = helper.collect()
                if result is None:  # it failed, or met a block for the exact reader: its range and the rest here
                    drop(j)
                    self.report += [f"{label}:handed", f"part{j + 1}:redone"]
                    return self._run(fd, split.cuts[j], at_lines, n)
                if int(result["start"]) != n:  # a quoted line break or a blank line before the cut
                    drop(j)
                    self.report.append(f"{label}:alone")
                    return self._run(fd, split.cuts[j], at_lines, n)
                self.report.append(f"{label}:handed")
                parallel._use(self.writer, helper, result)
                n, at_lines, label = int(result["n"]), int(result["lines"]), f"part{j + 1}"
            self.report.append(f"{label}:alone")
            return n
        finally:
            drop(0)

    def _part(self, fd: int, split: Split, j: int) -> dict[str, Any]:  # pragma: no cover - in a helper
        """A helper's range, read in columns to the next cut (a block for the exact reader: the helper
        fails, and its range is read by the main process). Its first record number is the guess that every
        line before its cut is one record: the lines are counted here, by the helper."""
        from stm_screen.batch.segments import count_lines

        end = split.cuts[j + 1] if j + 1 < len(split.cuts) else None
        self.strict = True
        lines = count_lines(fd, [split.cuts[j]])[0]
        first = split.first_n + (lines - split.base)
        n = self._run(fd, split.cuts[j], lines, first, end=end)
        return {"n": n, "start": first, "lines": self.line_after}

    def to_helper(self, put: Callable[[str], Any]) -> None:
        """In a helper (batch.parallel._helper_main): no progress is reported; the output goes to the
        writer's handle, which the helper has swapped for its temp file."""
        self.progress = None

    def tally(self) -> dict[tuple[str, str], int]:
        return self.rs.tally()

    # --- one range --------------------------------------------------------------------------------------

    def _run(
        self,
        fd: int,
        start: int,
        lines: int,
        n: int,
        end: int | None = None,
        going_alone: Callable[[], None] | None = None,
    ) -> int:
        """Blocks from byte ``start`` (line ``lines`` + 1) to ``end`` (or the end of the file). A block
        for the exact reader: in a helper (``strict``) raises _Exact; else ``going_alone`` is called and
        the exact reader reads from there to the end of the file (``alone`` is then True)."""
        from concurrent.futures import ThreadPoolExecutor

        chunks = self._chunks(fd, start, end)
        # Blocks are parsed in a thread of their own, never in the main one: there pyarrow's CSV reader
        # takes SIGINT for itself while it reads, and a Ctrl-C that came as a read finished was lost (the
        # run went on to exit 0). Here the main thread gets it, at once.
        pool = ThreadPoolExecutor(1)
        if self.threads:
            self.out_pool = ThreadPoolExecutor(1)  # writes block k while block k + 1 is scored

        def prepare(item: tuple[int, bytes | None] | None) -> Any:
            if item is None or item[1] is None:
                return None
            # read ahead (the next block parsed while this one is scored) unless --jobs 1 or in parts
            return pool.submit(self._prepare, item[1]) if self.threads else None

        def exact(pos: int) -> int:
            self._drain()
            if self.strict:
                raise _Exact
            if going_alone is not None:
                going_alone()
            self.alone = True
            return self._exact(pos, done, n)  # the lines before ``pos``: those of the blocks read

        done = lines  # lines before the block being read
        try:
            item = next(chunks, None)
            ahead = prepare(item)
            while item is not None:
                pos, chunk = item
                if chunk is None:  # a line longer than MAX_LINE_BYTES
                    return exact(pos)
                nxt = next(chunks, None)
                now, ahead = ahead, prepare(nxt)
                try:
                    table = (now if now is not None else pool.submit(self._prepare, chunk)).result()
                    n = self._block(table, n)
                    done += chunk.count(b"\n")  # a block that passed holds no bare CR
                except _Exact:
                    if ahead is not None:
                        ahead.cancel()
                    return exact(pos)
                if self.groups > MANY_OUTCOMES:
                    self.size = min(self.most, max(MIN_BLOCK, self.size * MANY_OUTCOMES // self.groups))
                else:
                    self.size = min(self.most, self.size * 2)
                if self.progress is not None:
                    self.progress(pos + len(chunk))
                item = nxt
            self._drain()
            self.line_after = done
            return n
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            if self.out_pool is not None:
                self.out_pool.shutdown(wait=True)
                self.out_pool = None

    def _drain(self) -> None:
        """Wait for the block being written (raising what writing it raised)."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def _chunks(self, fd: int, pos: int, end: int | None = None) -> Iterator[tuple[int, bytes | None]]:
        """(offset, block of whole lines) to ``end`` (just after a line feed) or the end of the file;
        (offset, None) for a line too long."""
        carry = b""
        while True:
            want = self.size if end is None else min(self.size, end - pos - len(carry))
            block = os.pread(fd, want, pos + len(carry)) if want > 0 else b""
            data = carry + block if carry else block
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # one line longer than a block
                    if len(data) > MAX_LINE_BYTES:
                        yield pos, None
                        return
                    carry = data
                    continue
                chunk, carry = data[:cut], data[cut:]
            else:
                chunk, carry = data, b""
                if not chunk:
                    return
            yield pos, chunk
            pos += len(chunk)
            if not block:
                return

    def _prepare(self, chunk: bytes) -> Any:
        """A block checked and parsed (see the module doc); raises _Exact. A block that starts with a
        byte-order mark (U+FEFF typed or pasted at the start of a line) is the exact reader's: Arrow takes
        one at the start of what it reads for the file's own and drops it, where the exact reader keeps it
        in the cell (an id, or an answer it then cannot read)."""
        if chunk.startswith(codecs.BOM_UTF8) or not _simple(chunk, ord(self.src.delimiter)):
            raise _Exact
        return self._table(chunk)

    # --- one block --------------------------------------------------------------------------------------

    def _table(self, chunk: bytes) -> Any:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        ragged: list[int] = []

        def invalid(_row: Any) -> str:
            ragged.append(1)
            return "skip"

        try:
            table = pacsv.read_csv(
                pa.py_buffer(chunk),
                read_options=pacsv.ReadOptions(column_names=self.names, use_threads=self.threads),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.src.delimiter,
                    quote_char='"',
                    double_quote=True,
                    escape_char=False,
                    newlines_in_values=False,
                    ignore_empty_lines=True,
                    invalid_row_handler=invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={
                        name: pa.string() if name in self.ids else pa.dictionary(pa.int32(), pa.string())
                        for name in self.include
                    },
                    include_columns=self.include,
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                    check_utf8=True,
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowException) as exc:  # e.g. text that is not UTF-8
            raise _Exact from exc
        if ragged:
            raise _Exact
        return table.unify_dictionaries()

    def _tokens(self, table: Any) -> list[Any]:
        """Per answer column, the token of each record (numpy), as the record scorer makes them."""
        import numpy as np

        rs = self.rs
        out = []
        for i, t in enumerate(rs.targets):
            if not t.split:
                codes, texts = _decode(table, self.names[t.indices[0]])
                cells: list[Any] = texts
            else:
                parts = [_decode(table, self.names[j]) for j in t.indices]
                codes, first = _Codes.combine([c for c, _ in parts], table.num_rows)
                cells = [tuple(texts[c[r]] for c, texts in parts) for r in first.tolist()]
            lut = np.array([rs._tok(i, cell) for cell in cells], dtype=np.int64)
            out.append(lut[codes])
        # tied columns (an atom over several questions): the representative tokens of their class
        for c, (members, _) in enumerate(rs.comps):
            if self._tied(c, members, out):
                continue
            codes, first = _Codes.combine([out[i] for i in members], table.num_rows)
            reps = []
            for r in first.tolist():
                mtoks = tuple(int(out[i][r]) for i in members)
                reps.append(mtoks if min(mtoks) < 0 else rs._rep(c, mtoks))
            for m, i in enumerate(members):
                out[i] = np.array([rep[m] for rep in reps], dtype=np.int64)[codes]
        return out

    def _tied(self, c: int, members: tuple[int, ...], out: list[Any]) -> bool:
        """The representative tokens of a group of tied columns through a table kept across blocks (per
        combination of the members' tokens, filled by the record scorer the first time it occurs); False
        when the tokens are too many for a table."""
        import numpy as np

        rs = self.rs
        cols = [out[i] for i in members]
        radix = 1 << max(int(col.max()) for col in cols).bit_length()
        if radix ** len(cols) > MAX_TIED_TABLE:
            return False
        state = self.tied.get(c)
        if state is None or state[0] != rs._generation or state[1] < radix:
            state = (rs._generation, radix, np.full((len(cols), radix ** len(cols)), -1, dtype=np.int32))
            self.tied[c] = state
        _, radix, table = state
        ok = np.logical_and.reduce([col >= 0 for col in cols])  # a cell that cannot be read keeps its token
        idx = np.zeros(len(cols[0]), dtype=np.int64)
        for col in cols:
            idx = idx * radix + np.where(ok, col, 0)
        missing = np.flatnonzero(ok & (table[0][idx] < 0))
        if len(missing):
            _, first = np.unique(idx[missing], return_index=True)
            for r in missing[first].tolist():
                rep = rs._rep(c, tuple(int(col[r]) for col in cols))
                for m in range(len(cols)):
                    table[m][idx[r]] = rep[m]
        for m, i in enumerate(members):
            out[i] = np.where(ok, table[m][idx], cols[m])
        return True

    def _block(self, table: Any, n: int) -> int:
        rows: int = table.num_rows
        if not rows:
            return n
        rs = self.rs
        for _ in range(3):
            generation = rs._generation
            toks = self._tokens(table)
            if generation == rs._generation:  # no memo was reset on the way
                break
        else:
            raise _Exact
        import numpy as np

        codes, first = _Codes.combine(toks, rows)
        fp_keys: list[Any] = []
        good = bad = None
        concluded: Any = None  # the groups whose tails are made in columns (see _Conclusion)
        if rs._fp_ok and len(first) > FEW_KEYS:
            # many distinct answers: records grouped by what their outcome depends on (the fingerprint)
            at_first = [t[first] for t in toks]
            bad = np.minimum.reduce(at_first) < 0
            good = np.flatnonzero(~bad)
        if good is not None and bad is not None and len(good):  # no grouping of records that all hold an error
            fps, parts, gates = self._fingerprints([c[good] for c in at_first])
            grouped = np.empty(len(first), dtype=np.int64)
            grouped[good] = fps
            grouped[bad] = np.arange(int(bad.sum()), dtype=np.int64) + (int(fps.max()) + 1 if len(fps) else 0)
            codes2, first2 = _Codes.combine([grouped], len(first))
            codes = codes2[codes]
            at = np.full(len(first), -1, dtype=np.int64)
            at[good] = np.arange(len(good), dtype=np.int64)
            pos = at[first2]
            taken = np.maximum(pos, 0)
            mat = np.stack([p[taken] for p in parts], axis=1) if parts else np.zeros((len(pos), 1))
            self.fp_rows = mat
            self.gates = gates
            first = first[first2]
            if self.conclusion is not None and gates == self.conclusion.gates:
                concluded = np.flatnonzero(pos >= 0)
            else:
                raw = mat.view(np.dtype((np.void, mat.dtype.itemsize * mat.shape[1]))).ravel().tolist()
                fp_keys = [None if p < 0 else b for p, b in zip(pos.tolist(), raw, strict=True)]
        counts_np = np.bincount(codes, minlength=len(first))
        tails: list[str] = [""] * len(first)
        in_columns = None
        todo: Any = range(len(first))
        if concluded is not None:
            in_columns = self._concluded(concluded, counts_np[concluded])
            if in_columns is None:  # a group the columns and the scorer disagree on: the scorer for all
                mat = self.fp_rows
                packed = mat.view(np.dtype((np.void, mat.dtype.itemsize * mat.shape[1]))).ravel().tolist()
                fp_keys = [None if p < 0 else b for p, b in zip(pos.tolist(), packed, strict=True)]
            else:
                todo = np.flatnonzero(pos < 0).tolist()
        counts = counts_np.tolist()
        chosen = first if isinstance(todo, range) else first[np.array(todo, dtype=np.int64)]
        keys = np.stack([t[chosen] for t in toks], axis=1).tolist()  # of the groups in todo, in order
        note_bad = self.writer.note_bad
        by_fp = rs._by_fp
        derives = rs.derives
        self.groups = len(first) if in_columns is None else len(todo) + self.conclusion_groups
        starts = first.tolist()
        out: Any
        for i, j in enumerate(todo):
            r = starts[j]
            if rs._generation != generation:
                # the memos were reset (very varied answers): the tokens of the records left, anew
                while True:
                    generation = rs._generation
                    fresh = self._tokens(table)
                    if generation == rs._generation:
                        break
                keys = np.stack([t[chosen] for t in fresh], axis=1).tolist()
                fp_keys = []  # their parts name tokens of before
            key_fp = fp_keys[j] if fp_keys else None
            if key_fp is None:
                out = rs.outcome(tuple(keys[i]))
            else:
                if self.parts_generation != rs._generation or len(self.by_parts) >= MAX_BY_PARTS:
                    self.by_parts.clear()  # outcomes of before a reset are counted no more
                    self.parts_generation = rs._generation
                out = self.by_parts.get(key_fp)
                if out is None:
                    fp = self._fingerprint(self.fp_rows[j].tolist())
                    out = by_fp.get(fp)
                    if out is None:
                        out = rs.from_fingerprint(fp) if derives else rs.outcome(tuple(keys[i]))
                    if rs._generation == self.parts_generation:
                        self.by_parts[key_fp] = out
            if not out.n:
                note_bad(n + r + 1, out)
            out.n += counts[j]
            tails[j] = out.tail
        # Memory flat at any variety (scoring.MAX_MEMO_BYTES): past the budget everything is forgotten, once
        # per block (the block's outcomes are counted and their tails made), never within one: a block
        # whose groups alone overrun a small budget (STM_SCREEN_MEMO_MB=1) would take its tokens anew
        # after each group.
        rs.forget_if_full(MEMO_SCALE)
        block_tails: Any = tails
        if in_columns is not None:
            import pyarrow as pa

            assert concluded is not None
            others = np.flatnonzero(pos < 0)
            order = np.empty(len(first), dtype=np.int64)
            order[concluded] = np.arange(len(concluded), dtype=np.int64)
            order[others] = np.arange(len(others), dtype=np.int64) + len(concluded)
            block_tails = pa.concat_arrays(
                [in_columns, pa.array([tails[j] for j in others.tolist()], pa.string())]
            ).take(pa.array(order))
        if self.out_pool is not None:
            self._drain()  # at most one block waits to be written; an error writing it is raised here
            self.pending = self.out_pool.submit(self._write, table, codes, block_tails, n)
        else:
            self._write(table, codes, block_tails, n)
        return n + rows

    def _concluded(self, groups: Any, counts: Any) -> Any:
        """The tails of these groups of records (a pyarrow string array), made in columns from their
        fingerprints (see _Conclusion), and their records counted; None (nothing counted) when a group's
        tail made so differs from the scorer's own, which then makes every tail, from here on."""
        c = self.conclusion
        assert c is not None
        made = c.tails(self.fp_rows[groups], counts, self.rs, self._fingerprint, self.writer)
        if made is None:
            self.conclusion = None
            return None
        tails, small = made
        self.conclusion_groups = small
        return tails

    def _fingerprint(self, vals: list[int]) -> tuple[Any, ...]:
        """The record scorer's own fingerprint (a key of its memo) from the parts of :meth:`_fingerprints`."""
        gates, items = self.gates, len(self.rs._items)
        fp: tuple[Any, ...] = (
            *(bool(v) for v in vals[:gates]),
            *(_RESULT[v] for v in vals[gates : len(vals) - items]),
        )
        if items:
            fp = (*fp, tuple(None if v < 0 else v for v in vals[len(vals) - items :]))
        return fp

    def _fingerprints(self, cols: list[Any]) -> tuple[Any, list[Any], int]:
        """The fingerprint (see ``RecordScorer._compile_fingerprint``) of each row of canonical tokens
        holding no error, as one integer code per row: equal codes, equal fingerprints, equal outcomes; with
        the parts of the fingerprint (per row) and how many of them are the skip rules' (the first ones).
        Each condition is evaluated once per distinct combination of the tokens it names, through the
        record scorer's own memos."""
        import numpy as np

        rs = self.rs
        rows = len(cols[0])
        cols = list(cols)  # a column skipped by a skip rule is set to -1 (no answer) below
        parts: list[Any] = []
        gates = 0

        def results(idx: tuple[int, ...], decide: Callable[[Any, list[Any]], Any]) -> Any:
            present = [i for i in idx if i >= 0]
            if not present:
                value = decide(None if len(idx) == 1 else (None,) * len(idx), [None] * (len(rs.targets) + 1))
                return np.full(rows, _code(value), dtype=np.int8)
            radices = [int(cols[i].max()) + 2 for i in present]  # tokens from -1 (no answer) up
            size = 1
            for radix in radices:
                size *= radix
            if size <= MAX_DENSE:  # a table over every combination of the tokens: no hashing
                flat = np.zeros(rows, dtype=np.int64)
                for i, radix in zip(present, radices, strict=True):
                    flat = flat * radix + (cols[i] + 1)
                table = np.zeros(size, dtype=np.int8)
                for k in np.flatnonzero(np.bincount(flat, minlength=size)).tolist():
                    at_k: list[Any] = [None] * (len(rs.targets) + 1)
                    rest = k
                    for i, radix in zip(reversed(present), reversed(radices), strict=True):
                        rest, digit = divmod(rest, radix)
                        at_k[i] = None if digit == 0 else digit - 1
                    key_k = at_k[idx[0]] if len(idx) == 1 else tuple(at_k[i] if i >= 0 else None for i in idx)
                    table[k] = _code(decide(key_k, at_k))
                return table[flat]
            codes, first = _Codes.combine([cols[i] for i in present], rows)
            lut = []
            for r in first.tolist():
                live: list[Any] = [None] * (len(rs.targets) + 1)
                for i in present:
                    v = int(cols[i][r])
                    live[i] = None if v < 0 else v
                key = live[idx[0]] if len(idx) == 1 else tuple(live[i] if i >= 0 else None for i in idx)
                lut.append(_code(decide(key, live)))
            return np.array(lut, dtype=np.int8)[codes]

        for j, (qi, _cond, _names, idx, _get) in enumerate(rs._gated_fp):
            if qi < 0:
                continue
            memo = rs._cmemo[j]

            def gate(key: Any, live: list[Any], j: int = j, memo: dict[Any, Any] = memo) -> Any:
                found = memo.get(key)
                return rs._gate(j, key, live) if found is None else found

            asked = results(idx, gate) == 1
            blank = rs._blank[qi]
            parts.append(~asked & (cols[qi] != blank))
            gates += 1
            cols[qi] = np.where(asked, cols[qi], -1)
        for j, (_test, _names, idx, _get) in rs._conds_fp:
            memo = rs._cmemo[j]

            def cond(key: Any, live: list[Any], j: int = j, memo: dict[Any, Any] = memo) -> Any:
                found = memo.get(key, _MISS)
                return rs._cond(j, key, live) if found is _MISS else found

            parts.append(results(idx, cond))
        parts += [cols[i] for i in rs._items]
        parts = [p.astype(np.int64) for p in parts]
        if not parts:
            return np.zeros(rows, dtype=np.int64), parts, gates
        return _Codes.combine(parts, rows)[0], parts, gates

    def _write(self, table: Any, codes: Any, tails: Any, n: int) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        rows = table.num_rows
        tails_array = tails if isinstance(tails, pa.Array) else pa.array(tails, pa.string())
        row_tails = tails_array.take(pa.array(codes))
        numbers = pa.array(np.arange(n + 1, n + rows + 1, dtype=np.int64)).cast(pa.string())
        if self.plan.id_indices:
            ids = table.column(self.names[self.plan.id_indices[0]]).combine_chunks()
            plain = pc.match_substring_regex(ids, r"^[A-Za-z0-9]*$")
            if not pc.all(plain).as_py():
                odd = pc.invert(plain)
                fixed = pa.array([csv_cell(v) for v in pc.filter(ids, odd).to_pylist()], pa.string())
                ids = pc.replace_with_mask(ids, odd, fixed)
        else:
            ids = pa.scalar("")
        joined = pc.binary_join_element_wise(self.writer.prefix, numbers, ",", ids, row_tails, "")
        if isinstance(joined, pa.ChunkedArray):
            joined = joined.combine_chunks()
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32)
        begin, end = int(offsets[joined.offset]), int(offsets[joined.offset + rows])
        data = memoryview(joined.buffers()[2])[begin:end]
        self._put(data)

    def _put(self, data: memoryview) -> None:
        handle = self.writer.handle
        buffer = getattr(handle, "buffer", None)
        encoding = getattr(handle, "encoding", None) or ""
        if self.writer.untranslated and buffer is not None and codecs.lookup(encoding).name == "utf-8":
            handle.flush()
            buffer.write(data)
        else:
            handle.write(bytes(data).decode("utf-8"))

    # --- the exact reader, from a block on --------------------------------------------------------------

    def _exact(self, pos: int, lines: int, n: int) -> int:
        """The rest of the file from byte ``pos`` (line ``lines`` + 1), read by the exact reader into the
        runner's own loop: the same rows, row numbers and line numbers as a run that read it all so."""
        assert self.src.window is not None
        fd = os.dup(self.src.window.fd)
        os.lseek(fd, pos, os.SEEK_SET)
        raw = open(fd, "rb")  # noqa: SIM115 - closed below
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            rows, line_num, checker = csv_rows(
                text, self.src.delimiter, self.src.name, check=True, base=lines, nul=self.src.nul
            )
            assert checker is not None
            checker.width = self.plan.width
            checker.closed = one_line_columns(self.plan)
            if self.src.checker is not None:  # a file scored in parts is mended without reading ahead
                checker.lookahead = self.src.checker.lookahead
                checker.lf_ends = self.src.checker.lf_ends  # (a CR alone inside a cell: see QuoteCheck)
            skipped = lines - self.src.lines_before
            self.src.line = lambda: skipped + line_num()  # for the runner's messages (csv.Error)

            def position() -> int:
                try:
                    return raw.tell()
                except (OSError, ValueError):
                    return 0

            self.env["position"] = position
            return self.loop(rows, n)
        finally:
            text.close()
