"""The local history of screenings (SQLite). See :mod:`stm_screen.store.history`."""

from __future__ import annotations

from pathlib import Path

from stm_screen.core.explain import Result
from stm_screen.core.ruleset import Ruleset
from stm_screen.store.history import HistoryStore, Record, open_store
from stm_screen.store.records import check_patient_ref, result_from_dict

__all__ = [
    "HistoryStore",
    "Record",
    "check_patient_ref",
    "open_store",
    "result_from_dict",
    "save_screening",
]


def save_screening(
    result: Result,
    *,
    ruleset: Ruleset | None = None,
    patient: str | None = None,
    path: Path | None = None,
) -> int:
    """Save a scored screening to the history; return its id.

    This is what ``score --save`` and ``screen --save`` call. ``patient`` is checked with
    :func:`check_patient_ref` (a reference, never a name). ``ruleset`` (the one that scored the result)
    records each answer's question type, which FHIR exports use.
    """
    ref = check_patient_ref(patient) if patient is not None else None
    types = {}
    if ruleset is not None:
        types = {q.id: q.type for q in ruleset.questions if q.id in result.answers}
    with HistoryStore(path) as store:
        return store.add(result=result.to_dict(), answers=result.answers, answer_types=types, patient_ref=ref)
