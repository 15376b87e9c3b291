"""``batch --format fhir``: one FHIR R4 collection Bundle, written record by record (constant memory).

Each record becomes a QuestionnaireResponse (its own answers, read again from its cells) and a
RiskAssessment built from the batch outcome, so levels and statuses are exactly those of the CSV/JSONL
output. A record that could not be scored becomes an OperationOutcome naming the row and the problem: every
input record is accounted for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

from stm_screen import __version__
from stm_screen.batch.columns import Plan
from stm_screen.batch.output import Writer
from stm_screen.batch.scoring import Outcome
from stm_screen.core.answers import AnswerValueError, plain
from stm_screen.core.ruleset import Ruleset
from stm_screen.interop.fhir import bundle_for_record


def result_from_outcome(out: Outcome, ruleset: Ruleset) -> dict[str, Any]:
    """The parts of a result a RiskAssessment needs, from a batch outcome."""
    level = ruleset.level_by_id.get(out.level) if out.level else None
    flags = {rf.id: rf for rf in ruleset.red_flags}
    criteria = {c.id: c for c in ruleset.criteria}
    if level is not None:
        title = str(level.title)
    elif out.status == "incomplete":
        title = "No result: safety questions were not answered"
    else:
        title = "No result"
    return {
        "level": out.level or None,
        "title": title,
        "advice": str(level.advice) if level is not None else "",
        "complete": out.status == "ok",
        "score": out.score,
        "red_flags": [{"title": str(flags[i].title)} for i in out.red_flags if i in flags],
        "red_flags_not_ruled_out": [{"title": str(flags[i].title)} for i in out.unanswered if i in flags],
        "findings": [{"title": str(criteria[i].title)} for i in out.criteria_met if i in criteria],
        "disclaimer": str(ruleset.disclaimer),
        "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256},
        "tool_version": __version__,
    }


def record_answers(row: list[Any], plan: Plan) -> dict[str, Any]:
    """The record's own answers (canonical, JSON-friendly), read from its cells as the scorer did."""
    values: dict[str, Any] = {}
    for t in plan.targets:
        try:
            cell = tuple(row[i] for i in t.indices) if t.split else row[t.indices[0]]
            value = t.read(cell)
        except (AnswerValueError, IndexError):
            continue
        if value is not None:
            values[t.question.id] = plain(value)
    return values


class FhirWriter(Writer):
    """Writes a Bundle: its head at the first record, entries as records come, its end at ``finish``."""

    csv = False
    fast = False
    wants_row = True  # the runner passes each record's cells and plan to ``write``

    def __init__(self, handle: IO[str], with_file: bool, *, ruleset: Ruleset) -> None:
        super().__init__(handle, with_file)
        self.ruleset = ruleset
        self.entries = 0
        self.opened = False

    def begin(self) -> None:
        super().begin()
        if not self.opened:
            self.opened = True
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.put(f'{{"resourceType": "Bundle", "type": "collection", "timestamp": "{stamp}", "entry": [')

    def render(self, out: Outcome) -> None:
        out.tail = "fhir"  # nothing is shared between records here; the mark only skips re-rendering

    def _entry(self, entry: Mapping[str, Any]) -> None:
        self.put(("\n  " if not self.entries else ",\n  ") + json.dumps(entry, ensure_ascii=False))
        self.entries += 1

    def write(
        self, row: int, rid: str, out: Outcome, cells: list[Any] | None = None, plan: Plan | None = None
    ) -> None:
        self.begin()
        where = f"{self.file} row {row}" if self.with_file else f"row {row}"
        if out.status == "error":
            self._entry(
                {
                    "resource": {
                        "resourceType": "OperationOutcome",
                        "issue": [
                            {"severity": "error", "code": "invalid", "diagnostics": f"{where}: {out.error}"}
                        ],
                    }
                }
            )
        else:
            answers = record_answers(cells, plan) if cells is not None and plan is not None else {}
            for entry in bundle_for_record(
                result_from_outcome(out, self.ruleset),
                answers=answers,
                ruleset=self.ruleset,
                key=f"batch:{self.file}:{row}:{rid}",
            ):
                self._entry(entry)
        out.n += 1

    def finish(self) -> None:
        self.begin()
        self.put("\n]}\n")
