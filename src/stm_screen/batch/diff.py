"""``rules diff``: the same records under two rulesets, and the records whose level changes.

Two streaming passes over each input: the first keeps only a four-byte code per record (standing for its
status, level, score and warning signs under the old rules), the second scores under the new rules and
writes each record that changed, with the warning signs that fired and those left open under each: why.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from stm_screen.batch.mapping import Mapping
from stm_screen.batch.output import Writer
from stm_screen.batch.runner import Batch, BatchSettings, Notify
from stm_screen.batch.scoring import Outcome
from stm_screen.core.ruleset import Ruleset
from stm_screen.io.csvcells import CsvOut, line

DIFF_FIELDS = (
    "row",
    "id",
    "old_status",
    "old_level",
    "new_status",
    "new_level",
    "old_score",
    "new_score",
    "old_red_flags",  # why: the warning signs that fired, and those left open, under each
    "new_red_flags",
    "old_unanswered_red_flags",
    "new_unanswered_red_flags",
)


class CallbackWriter(Writer):
    """A writer that hands each record to a function instead of writing it."""

    def __init__(self, handle: IO[str], callback: Callable[[int, str, Outcome], None]) -> None:
        super().__init__(handle, with_file=False)
        self.callback = callback

    def render(self, out: Outcome) -> None:
        out.tail = "-"

    def write(self, row: int, rid: str, out: Outcome) -> None:
        out.n += 1
        self.callback(row, rid, out)


@dataclass
class DiffResult:
    records: int = 0
    changes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (old, new) level or status
    errors_old: int = 0  # records that could not be scored under the old rules (status error)
    errors_new: int = 0
    # (file, safety questions with no column) under each ruleset: scored all the same (see run_diff)
    gaps_old: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    gaps_new: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(self.changes.values())


def _show(status: str, level: str) -> str:
    if status == "ok":
        return level
    return status + (f" ({level})" if level else "")


@dataclass
class _Differ:
    old: Ruleset
    new: Ruleset
    old_map: Mapping | None
    new_map: Mapping | None
    settings: BatchSettings
    handle: IO[str]
    fmt: str
    notify: Notify
    with_file: bool
    result: DiffResult

    def file(self, path: str) -> None:
        codes: array[int] = array("I")
        table: dict[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], int] = {}
        keys: list[tuple[str, str, float | None, tuple[str, ...], tuple[str, ...]]] = []
        writer = CsvOut(self.handle)

        def first(row: int, rid: str, out: Outcome) -> None:
            if out.status == "error":
                self.result.errors_old += 1
            key = (out.status, out.level, out.score_text, out.red_flags, out.unanswered)
            code = table.get(key)
            if code is None:
                code = table[key] = len(keys)
                keys.append((out.status, out.level, out.score, out.red_flags, out.unanswered))
            codes.append(code)

        def second(row: int, rid: str, out: Outcome) -> None:
            if out.status == "error":
                self.result.errors_new += 1
            status, level, score, flags, unanswered = keys[codes[row - 1]]
            if status == out.status and level == out.level:
                return
            self.result.changes[(_show(status, level), _show(out.status, out.level))] += 1
            if self.fmt == "csv":
                cells = [
                    row,
                    rid,
                    status,
                    level,
                    out.status,
                    out.level,
                    _num(score),
                    _num(out.score),
                    ";".join(flags),
                    ";".join(out.red_flags),
                    ";".join(unanswered),
                    ";".join(out.unanswered),
                ]
                writer.writerow([path, *cells] if self.with_file else cells)
                return
            values = (row, rid, status, level or None, out.status, out.level or None, score, out.score,
                      list(flags), list(out.red_flags), list(unanswered), list(out.unanswered))  # fmt: skip
            data: dict[str, object] = {"file": path} if self.with_file else {}
            data.update(zip(DIFF_FIELDS, values, strict=True))
            self.handle.write(json.dumps(data, ensure_ascii=False) + "\n")

        before = Batch(self.old, self.old_map, self.settings, self.notify)
        before.run(path, CallbackWriter(self.handle, first))
        before.check_events_found()
        after = Batch(self.new, self.new_map, self.settings)
        self.result.records += after.run(path, CallbackWriter(self.handle, second))
        self.result.gaps_old += before.gaps
        self.result.gaps_new += after.gaps


def run_diff(
    inputs: list[str],
    old: Ruleset,
    new: Ruleset,
    old_map: Mapping | None,
    new_map: Mapping | None,
    settings: BatchSettings,
    handle: IO[str],
    fmt: str,
    notify: Notify,
) -> DiffResult:
    """Records whose status or level changes. A file lacking some safety question's column is scored all
    the same (its records are then 'incomplete' under the rules that ask it): that is a change to show, and
    the result lists those questions (``gaps_old``, ``gaps_new``)."""
    from dataclasses import replace

    settings = replace(settings, allow_missing=True)
    result = DiffResult()
    with_file = len(inputs) > 1
    if fmt == "csv":
        fields = ("file", *DIFF_FIELDS) if with_file else DIFF_FIELDS
        handle.write(line(fields))
    differ = _Differ(old, new, old_map, new_map, settings, handle, fmt, notify, with_file, result)
    for path in inputs:
        differ.file(path)
    return result


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)
