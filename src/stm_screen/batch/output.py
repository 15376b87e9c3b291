"""Result writers: one line per record, written as it comes, in CSV or JSONL with the same field names.

Every CSV cell goes through the one cell writer (:mod:`stm_screen.io.csvcells`): what a spreadsheet would
run as a formula is neutralised, and what it could split is quoted; JSONL keeps values exact. Everything after
the id is the same for every record with the same outcome, so it is rendered once per outcome (``tail``).
"""

from __future__ import annotations

import json
from typing import IO

from stm_screen.batch.scoring import Outcome
from stm_screen.io.csvcells import cell, line

FIELDS = (
    "row",
    "id",
    "status",
    "level",
    "urgency",
    "score",
    "red_flags",
    "criteria_met",
    "unanswered_red_flags",
    "unanswered_urgency",
    "error",
)
MAX_BAD = 5
MAX_CELL_MEMO = 4096  # rendered cells of outcomes remembered by a CSV writer


csv_cell = cell


class Writer:
    """Writes records; counts outcomes not made by a scorer; keeps the first few bad records."""

    csv = True
    fast = False  # may the runner write plain-id lines itself (prefix + row + id + tail)?
    # Set by the caller when the handle writes "\n" untranslated (opened with newline=""; so are all the
    # CLI's outputs): output written elsewhere in UTF-8 may then be copied in as bytes (batch.parallel).
    untranslated = False

    def __init__(self, handle: IO[str], with_file: bool, extra: tuple[str, ...] = ()) -> None:
        self.handle = handle
        self.extra = extra  # the instruments' fields after the screening's (batch.scoring.module_fields)
        self.put = handle.write
        self.with_file = with_file
        self.file = ""
        self.prefix = ""
        self.counts: dict[tuple[str, str], int] = {}
        self.bad: list[tuple[str, int, str]] = []
        self._bad_errors: list[str] = []
        self._bad_seen: set[tuple[str, str]] = set()
        self._cells: dict[tuple[type, object], str] = {}  # see CsvWriter.render
        self.started = False

    def begin(self) -> None:
        """Called before the first record of each file (CSV writes its header once, here)."""
        self.started = True

    def start_file(self, name: str) -> None:
        self.file = name

    def render(self, out: Outcome) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def line(self, row: int, rid: str, out: Outcome) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def write(self, row: int, rid: str, out: Outcome) -> None:
        """Any record (the runner's fast path writes plain ids itself)."""
        if not out.tail:
            self.render(out)
        self.put(self.line(row, rid, out))
        out.n += 1

    def write_other(self, row: int, rid: str, out: Outcome) -> None:
        """A record whose outcome no scorer made (a ragged row, a withdrawn FHIR response)."""
        self.write(row, rid, out)
        key = (out.status, out.level)
        self.counts[key] = self.counts.get(key, 0) + 1
        self.note_bad(row, out)

    def note_bad(self, row: int, out: Outcome) -> None:
        if out.status == "error":
            self.add_bad(self.file, row, out.brief, out.error)

    def add_bad(self, file: str, row: int, brief: str, error: str) -> None:
        """The first record with each distinct error, up to ``MAX_BAD``. ``error`` (which may quote an
        answer) tells errors apart; ``brief`` is what stderr shows: never the answers. Two records with
        the same error would show the same line, and one process or several (batch.parallel) pick the same
        records this way."""
        if len(self.bad) < MAX_BAD and (file, error) not in self._bad_seen:
            self._bad_seen.add((file, error))
            self.bad.append((file, row, brief))
            self._bad_errors.append(error)

    def bad_entries(self) -> list[tuple[str, int, str, str]]:
        """The first bad records with their full errors (to be merged into another writer's)."""
        return [(f, r, b, e) for (f, r, b), e in zip(self.bad, self._bad_errors, strict=True)]

    def reset_bad(self) -> None:
        self.bad = []
        self._bad_errors = []
        self._bad_seen = set()

    def finish(self) -> None:
        """Called once after the last input (a format with a closing part writes it here)."""

    def merge(self, counts: dict[tuple[str, str], int]) -> None:
        for key, n in counts.items():
            self.counts[key] = self.counts.get(key, 0) + n


class CsvWriter(Writer):
    csv = True
    fast = True

    def begin(self) -> None:
        if not self.started:
            self.started = True
            fields = (*FIELDS, *self.extra)
            self.put(line(("file", *fields) if self.with_file else fields))

    def start_file(self, name: str) -> None:
        super().start_file(name)
        self.prefix = csv_cell(name) + "," if self.with_file else ""

    def render(self, out: Outcome) -> None:
        cells = out.csv
        short = len(FIELDS) - 2 + len(self.extra) - len(cells)
        if short > 0:  # an error record: no instrument scores
            cells = (*cells, *("",) * short)
        # Outcomes share most of their cells (a level, a list of criteria met): each is written once. The
        # type is part of the key: a number the tool wrote keeps its sign, the same text from a file not.
        memo = self._cells
        if len(memo) > MAX_CELL_MEMO:
            memo.clear()
        parts = [""]
        for value in cells:
            key = (value.__class__, value)
            text = memo.get(key)
            if text is None:
                text = memo[key] = cell(value)
            parts.append(text)
        out.tail = ",".join(parts) + "\n"

    def line(self, row: int, rid: str, out: Outcome) -> str:
        # a plain id is its own cell, as the runner's fast path writes it (a file of many error rows)
        return f"{self.prefix}{row},{rid if rid.isalnum() or not rid else csv_cell(rid)}{out.tail}"


class JsonlWriter(Writer):
    csv = False
    fast = True

    def start_file(self, name: str) -> None:
        super().start_file(name)
        self.prefix = '{"file": ' + json.dumps(name, ensure_ascii=False) + ", " if self.with_file else "{"

    def render(self, out: Outcome) -> None:
        missing = "".join(f', "{name}": null' for name in self.extra[len(out.extra) :])
        out.tail = f", {out.json}{missing}}}\n"

    def line(self, row: int, rid: str, out: Outcome) -> str:
        return f'{self.prefix}"row": {row}, "id": {json.dumps(rid, ensure_ascii=False)}{out.tail}'


WRITERS: dict[str, type[Writer]] = {"csv": CsvWriter, "jsonl": JsonlWriter}
