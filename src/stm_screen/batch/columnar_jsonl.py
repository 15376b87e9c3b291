"""JSON Lines in columns (the optional extra ``stm-screen[fast]``): the rest of a large JSON Lines file
after its first records, parsed by Arrow's JSON reader in blocks of whole lines and scored by the
columnar reader's own block code (:class:`stm_screen.batch.columnar.Columnar`).

The runner reads and scores the first records (the calibration sample) exactly as always; this module
takes over after them only when every one of them is a flat object with the same keys (no ``__status__``,
no ``resourceType``), every answer a text, the output plain CSV and no REDCap event filter. Each block is
checked before anything of it is counted or written; a block that fails a check is handed, with everything
after it, to the exact reader (the runner's own record loop, from that block's first line: the same rows,
row numbers and line numbers as a run that read the whole file exactly). A block passes when:

- it holds no carriage return, no byte-order mark, no NUL byte nor JSON's escape of one (a record
  holding a NUL is an error row: see readers.nul_in_cell) and is valid UTF-8;
- every line opens with ``{`` at its first byte and closes with ``}`` at its last (no blank line, no
  space around a record);
- Arrow reads it with the sample's keys as its schema, every value a text: it refuses a key held twice,
  a key the sample did not have, a number, true/false, a list or an object where a text was, broken
  JSON and a lone surrogate; and
- it reads to exactly one record per line (two objects on one line are two records to Arrow, one broken
  line to the exact reader), none of which lacks a key or holds null.

Such a block is read to the same texts by the exact reader (which reads each line with orjson or the
standard library's reader), so the records, and their outcomes, are the same.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from typing import Any

from stm_screen.batch import columnar
from stm_screen.batch.columnar import _NL, Columnar, _Exact, arrow_pool
from stm_screen.batch.columns import Plan
from stm_screen.batch.output import Writer
from stm_screen.batch.readers import RecordSource
from stm_screen.batch.scoring import RecordScorer

_OPEN, _CLOSE = ord("{"), ord("}")
_NOT_TEXT = re.compile(rb'":\s*[^"\s]')  # a value that is not a text (or a text holding '\":')
MAX_HEAD = 32 << 20  # bytes of the first records checked before a file is read in columns, at most
PARSE_BLOCK = 512 << 10  # bytes Arrow parses per task (a block of lines is parsed by its threads in these)


class JsonLines(Columnar):
    """Scores the rest of one JSON Lines file in blocks of columns (see the module doc)."""

    def __init__(
        self,
        src: RecordSource,
        keys: tuple[str, ...],
        plan: Plan,
        rs: RecordScorer,
        writer: Writer,
        score: Callable[[Iterator[Any], int], int],
        where: list[Callable[[], int]],
        jobs: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        super().__init__(src, plan, rs, writer, _never, {}, jobs, progress)  # type: ignore[arg-type]
        self.records = src
        self.keys = keys
        self.score = score  # the runner's record loop: (records, numbered on from n) -> records so far
        self.where = where  # the position the runner's progress reads (see Batch._records)
        # a JSON line holds several times the bytes of the same record in CSV (7x in the benchmark's): blocks
        # of twice the bytes (half the blocks, each scored for about what a block costs anyway: 1.2-1.4 s ->
        # 0.95 s for 100k records; peak 145 -> 183 MB; four times: 227 MB and no faster)
        self.most = columnar.BLOCK_BYTES * 2

    def run_from(self, start: int, lines: int, n: int) -> int:
        """Score the records from byte ``start`` (just after line ``lines``) to the end of the file, ``n``
        records before them; returns the number of records."""
        assert self.records.window is not None
        self.size = columnar.first_block()
        with arrow_pool():
            return self._run(self.records.window.fd, start, lines, n)

    def _prepare(self, chunk: bytes) -> Any:
        """A block checked and parsed (see the module doc); raises _Exact."""
        import pyarrow.compute as pc

        table = parse_block(chunk, self.keys, self.threads).rename_columns(self.names).select(self.include)
        # the answers as dictionaries here (in the thread that reads ahead), as the CSV reader gives them
        for name in self.include:
            if name not in self.ids:
                at = table.schema.get_field_index(name)
                table = table.set_column(at, name, pc.dictionary_encode(table.column(name).combine_chunks()))
        return table

    def _exact(self, pos: int, lines: int, n: int) -> int:
        """The rest of the file from byte ``pos`` (line ``lines`` + 1), read by the exact reader into the
        runner's own record loop."""
        from stm_screen.batch.parallel import read_on

        return read_on(self.records, self.where, self.score, pos, lines, n)


def parse_block(chunk: bytes, keys: tuple[str, ...], threads: bool) -> Any:
    """A block of whole lines checked and parsed (see the module doc): a table of one text column a key,
    in the order of ``keys``; raises _Exact."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.json as pj

    if not chunk or b"\r" in chunk or chunk.startswith(codecs.BOM_UTF8):
        raise _Exact
    if b"\x00" in chunk or b"\\u0000" in chunk:  # a NUL (or its escape): its record is the exact reader's
        raise _Exact
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        raise _Exact from None
    arr = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(arr == _NL)
    if arr[-1] != _NL:  # the file's last line, without a line end
        ends = np.append(ends, len(arr))
    starts = np.concatenate(([0], ends[:-1] + 1))
    if not (bool(np.all(arr[starts] == _OPEN)) and bool(np.all(arr[ends - 1] == _CLOSE))):
        raise _Exact
    schema = pa.schema([(k, pa.string()) for k in keys])
    try:
        table = pj.read_json(
            pa.py_buffer(chunk),
            read_options=pj.ReadOptions(use_threads=threads, block_size=PARSE_BLOCK),
            parse_options=pj.ParseOptions(
                explicit_schema=schema, unexpected_field_behavior="error", newlines_in_values=False
            ),
        )
    except (pa.ArrowException, ValueError) as exc:  # broken JSON, a key twice, a number, not UTF-8
        raise _Exact from exc
    if table.num_rows != len(ends) or any(column.null_count for column in table.columns):
        raise _Exact
    return table


def promising(fd: int, start: int, keys: tuple[str, ...]) -> bool:
    """Whether the first records (the bytes before ``start``, a BOM at the file's start aside) and the first
    block after them pass the checks (see the module doc): else the file is scored by the exact reader,
    in parts. Answers given as numbers, CR LF line ends or blank lines fail here, before any record is
    scored, not at the first block."""
    import os

    if start > MAX_HEAD:
        return False  # first records this large: read as they are (never held whole to be checked)
    size = columnar.first_block()
    try:
        head = os.pread(fd, start, 0)
        ahead = os.pread(fd, size, start)
    except OSError:
        return False
    if ahead:
        cut = ahead.rfind(b"\n") + 1
        if cut:
            ahead = ahead[:cut]
        elif len(ahead) == size:
            ahead = b""  # a line longer than the block: its own block will tell
    if b"\r" in head or b"\n\n" in head or _NOT_TEXT.search(head) or _NOT_TEXT.search(ahead):
        return False  # (told without importing Arrow: answers as numbers, CR LF, blank lines)
    if not columnar.wanted():  # (installed?)
        return False
    try:
        with arrow_pool():
            parse_block(head.removeprefix(codecs.BOM_UTF8), keys, False)
            if ahead:
                parse_block(ahead, keys, False)
    except _Exact:
        return False
    return True


def _never(*_: Any) -> int:  # pragma: no cover - the CSV loop; JSON Lines falls back through _exact
    raise AssertionError("JSON Lines falls back to the record loop")
