"""``batch --format fhir``: one FHIR R4 Bundle (a collection, or with ``--fhir-bundle transaction`` a
transaction of conditional creates), written record by record (constant memory).

Each record becomes a QuestionnaireResponse (its own answers, read again from its cells, without answers to
questions its skip logic does not ask) and a RiskAssessment built from the batch outcome, so statuses and
levels are those of the CSV/JSONL output, worded as ``score --format fhir`` words them: a record whose
warning signs could not all be ruled out has the ruleset's 'unchecked' level and title (see_doctor, "Some
warning signs could not be checked"), and each warning sign says how soon to act. A record that could not
be scored becomes an OperationOutcome naming the row and the problem: every input record is accounted for
(a transaction Bundle leaves such records out, since a server would refuse the whole transaction for them,
and the summary counts them). Who a record is about is kept: see :meth:`FhirWriter.who`.
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
from stm_screen.core.answers import Answer, AnswerValueError, plain
from stm_screen.core.contacts import Contacts, fill
from stm_screen.core.engine import Scorer
from stm_screen.core.ruleset import UNSURE, Ruleset
from stm_screen.interop.fhir import PATIENT_REF_SYSTEM, RESPONSE_SYSTEM, bundle_for_record, overall_urgency


def result_from_outcome(
    out: Outcome,
    ruleset: Ruleset,
    unsure: list[str] | None = None,
    contacts: Contacts | None = None,
    modules: list[Any] | None = None,
) -> dict[str, Any]:
    """The parts of a result a RiskAssessment needs, from a batch outcome, as ``score`` gives them: a
    warning sign that could not be ruled out (and none more urgent that fired) gives the ruleset's
    'unchecked' level and title; each warning sign carries how soon to act, and so does the result; texts
    name the emergency number and crisis line of ``contacts`` (the default's when None)."""
    flags = {rf.id: rf for rf in ruleset.red_flags}
    criteria = {c.id: c for c in ruleset.criteria}
    fired = [flags[i] for i in out.red_flags if i in flags]
    ranks = {lv.id: lv.rank for lv in ruleset.levels}
    top = max((ranks.get(rf.level, -1) for rf in fired), default=-1)
    unchecked = ruleset.unchecked
    open_signs = bool(out.unanswered) and out.status != "error"
    level_id = out.level or None
    title = advice = ""
    if open_signs and unchecked is not None and top < ranks.get(unchecked.level, -1):
        level_id = unchecked.level
        title, advice = str(unchecked.title), str(unchecked.advice)
    level = ruleset.level_by_id.get(level_id) if level_id else None
    if level is not None and not title:
        title, advice = str(level.title), str(level.advice)
    elif level is None:
        title = "No result: safety questions were not answered" if out.status == "incomplete" else "No result"
    red_flags = [
        {
            "id": rf.id,
            "title": fill(str(rf.title), contacts),
            "explanation": fill(str(rf.message), contacts),
            "urgency": rf.urgency,
        }
        for rf in fired
    ]
    not_ruled_out = [
        {"id": i, "title": fill(str(flags[i].title), contacts), "urgency": flags[i].urgency}
        for i in out.unanswered
        if i in flags
    ]
    return {
        "level": level_id,
        "title": fill(title, contacts),
        "advice": fill(advice, contacts),
        "complete": out.status == "ok",
        "score": out.score,
        "urgency": overall_urgency(red_flags),
        "red_flags": red_flags,
        "red_flags_not_ruled_out": not_ruled_out,
        "urgency_not_ruled_out": overall_urgency(not_ruled_out),
        "findings": [{"title": str(criteria[i].title)} for i in out.criteria_met if i in criteria],
        "unsure": list(unsure or []),
        "disclaimer": fill(str(ruleset.disclaimer), contacts),
        "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256},
        "tool_version": __version__,
        "modules": modules or [],
    }


def record_values(row: list[Any], plan: Plan) -> dict[str, Answer]:
    """The record's own answers (canonical), read from its cells as the scorer did."""
    values: dict[str, Answer] = {}
    for t in plan.targets:
        try:
            cell = tuple(row[i] for i in t.indices) if t.split else row[t.indices[0]]
            value = t.read(cell)
        except (AnswerValueError, IndexError):
            continue
        if value is not None:
            values[t.question.id] = value
    return values


def record_answers(row: list[Any], plan: Plan, scorer: Scorer | None = None) -> dict[str, Any]:
    """The record's own answers (JSON-friendly), read from its cells as the scorer did. With the
    ``scorer``, answers to questions that its skip logic does not ask are left out, as a form filler
    leaves out a disabled item (the scorer ignores them too)."""
    values = record_values(row, plan)
    if scorer is not None:
        skipped = scorer.evaluate(values).skipped
        values = {k: v for k, v in values.items() if k not in skipped}
    return {k: plain(v) for k, v in values.items()}


# Platforms whose record ids count 1, 2, 3, ... in each project or form (REDCap record ids, Microsoft Forms'
# ID, a table's own numbers), unlike Qualtrics, SurveyMonkey, ODK and Kobo ids, which are unique everywhere
LOCAL_IDS = frozenset({"redcap", "plain", "ms-forms"})


def _unnamed(file: str, row: int, cells: list[Any] | None) -> str:
    """The identifier of a record its export gives no id (Google Forms, a plain table without one): its file
    and row, and a digest of its cells. A conditional create matches on it, so it must never be the same
    for two different responses: a file name such as 'Form Responses 1.csv' comes back for every form, and
    row numbers change when a sheet is sorted or filtered; the same response sent again keeps it."""
    import hashlib

    text = "\x1f".join(str(c) for c in cells or ())
    return f"{file}:{row}:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


class FhirWriter(Writer):
    """Writes a Bundle: its head at the first record, entries as records come, its end at ``finish``."""

    csv = False
    fast = False
    wants_row = True  # the runner passes each record's cells and plan to ``write``

    def __init__(
        self,
        handle: IO[str],
        with_file: bool,
        *,
        ruleset: Ruleset,
        contacts: Contacts | None = None,
        patient_system: str | None = None,
        bundle_type: str = "collection",
        response_system: str | None = None,
    ) -> None:
        super().__init__(handle, with_file)
        self.patient_system = patient_system
        self.response_system = response_system or RESPONSE_SYSTEM
        # a transaction matched on record ids that repeat from one project (or form) to the next: said once
        self.shared_ids: str | None = None
        self.transaction = bundle_type == "transaction"
        self.bundle_type = bundle_type
        self.left_out = 0  # records with errors, which a transaction Bundle cannot hold
        if contacts is None:  # as score without --country: the locale's country, else the default
            from stm_screen.io.contacts import contacts_for

            contacts = contacts_for(None)[0]
        self.contacts = contacts
        self.ruleset = ruleset
        self.scorer = Scorer(ruleset)
        self.unsure_ids = tuple(q.id for q in ruleset.questions if q.unsure)
        self.entries = 0
        self.opened = False

    def begin(self) -> None:
        super().begin()
        if not self.opened:
            self.opened = True
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.put(
                f'{{"resourceType": "Bundle", "type": "{self.bundle_type}", "timestamp": "{stamp}", "entry": ['
            )

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
        if out.status == "error" and self.transaction:
            self.left_out += 1  # a server would refuse the whole transaction; the summary lists it
        elif out.status == "error":
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
            values = record_values(cells, plan) if cells is not None and plan is not None else {}
            ev = self.scorer.evaluate(values)
            answers = {k: plain(v) for k, v in values.items() if k not in ev.skipped}
            unsure = [q for q in self.unsure_ids if answers.get(q) == UNSURE]
            modules = None
            if self.ruleset.modules:
                from stm_screen.core.explain import module_results, plain_data

                modules = plain_data(module_results(self.ruleset, ev, values, None))
            subject, identifier = self.who(rid, cells, plan)
            for entry in bundle_for_record(
                result_from_outcome(out, self.ruleset, unsure, self.contacts, modules),
                answers=answers,
                ruleset=self.ruleset,
                key=f"batch:{self.file}:{row}:{rid}",
                subject=subject,
                identifier=identifier or {"system": self.response_system, "value": _unnamed(self.file, row, cells)},
                transaction=self.transaction,
            ):
                self._entry(entry)
        out.n += 1

    def who(
        self, rid: str, cells: list[Any] | None, plan: Plan | None
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(subject, response identifier) of a record. A FHIR response keeps its own ``subject`` (a
        ``Patient/123`` reference stays a reference) and ``identifier``; a REDCap or plain table's record id
        (its first id column; any platform's with ``--patient-system`` or a named id column) is the patient's
        identifier in ``--patient-system`` (else the tool's URN), and the whole id (with a REDCap event or
        repeat instance) the response's."""
        subject: dict[str, Any] | None = None
        identifier: dict[str, Any] | None = None
        if cells is not None and plan is not None and plan.preset.name == "fhir":
            fields = {h: i for i, h in enumerate(plan.headers)}
            for key in ("__subject__", "__identifier__"):
                i = fields.get(key)
                text = cells[i] if i is not None and i < len(cells) else ""
                if text:
                    value = json.loads(text)
                    if key == "__subject__":
                        subject = value
                    else:
                        identifier = value
            if identifier is None and rid:
                identifier = {"system": self.response_system, "value": rid}
            return subject, identifier
        # a REDCap or plain table's record id, or a named id column, is the patient's; a survey platform's
        # (a Qualtrics ResponseId, an ODK KEY, a Kobo _uuid) names the response only, unless the clinic says
        # which identifier system it belongs to
        patients = plan is not None and (
            plan.preset.name in ("redcap", "plain") or plan.id_given or self.patient_system is not None
        )
        if cells is not None and plan is not None and plan.id_indices and patients:
            first = plan.id_indices[0]
            patient = str(cells[first]).strip() if first < len(cells) else ""
            if patient:
                subject = {"identifier": {"system": self.patient_system or PATIENT_REF_SYSTEM, "value": patient}}
        if rid:
            identifier = {"system": self.response_system, "value": rid}
            if (
                self.transaction
                and self.response_system == RESPONSE_SYSTEM
                and plan is not None
                and plan.preset.name in LOCAL_IDS
            ):
                self.shared_ids = plan.preset.name
        return subject, identifier

    def finish(self) -> None:
        self.begin()
        self.put("\n]}\n")
