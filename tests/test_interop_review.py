"""Real exports that broke batch scoring in review (issue 11 follow-up), each adapted from a platform's own
layout (sources named in tests/data/batch/make_fixtures.py and next to each test)."""

from __future__ import annotations

import json
from typing import Any

from tests.batch_helpers import BATCH, expected, fixtures, invoke, rows


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_redcap_label_export_follow_up_rows_of_unchecked_boxes_are_skipped(ruleset: Any) -> None:
    """PyCap's API labels export (raw headers, label values): a follow-up event whose screening form was not
    filled has 'Unchecked' in every box; it answers nothing and is counted, not scored as 'incomplete'."""
    result = invoke(str(BATCH / "redcap_api_labels_longitudinal.csv"))
    got = rows(result.stdout)
    want = expected(ruleset)
    assert [r["id"] for r in got] == [f"{i}/Screening" for i in range(1, len(fixtures.PEOPLE) + 1)]
    for pid, row in zip(fixtures.PEOPLE, got, strict=True):
        assert (row["status"], row["level"]) == (want[pid]["status"], want[pid]["level"]), (pid, row)
    assert "6 row(s) of other events skipped, not scored: Follow-up 6" in result.stderr
    # --event names the event as the file has it: its rows are scored, empty or not
    result = invoke(str(BATCH / "redcap_api_labels_longitudinal.csv"), "--event", "Follow-up")
    got = rows(result.stdout)
    assert [r["id"] for r in got] == [f"{i}/Follow-up" for i in range(1, len(fixtures.PEOPLE) + 1)]
    assert {r["status"] for r in got} == {"incomplete"}


def _matches_core(got: list[dict[str, str]], ruleset: Any) -> None:
    want = expected(ruleset)
    assert len(got) == len(fixtures.PEOPLE)
    for pid, row in zip(fixtures.PEOPLE, got, strict=True):
        assert (row["status"], row["level"], row["urgency"]) == (
            want[pid]["status"],
            want[pid]["level"],
            want[pid]["urgency"],
        ), (pid, row)
        if row["status"] != "error":
            assert row["score"] == want[pid]["score"], (pid, row)


def test_an_export_through_pandas_reads_0_0_as_unticked_and_1_0_as_yes(ruleset: Any) -> None:
    """A REDCap raw export read into pandas and written back: '0.0' in a checkbox column was read as ticked
    (every pain area chosen), '1.0'/'0.0' in a yes/no field was refused."""
    result = invoke(str(BATCH / "redcap_through_pandas.csv"))
    got = rows(result.stdout)
    _matches_core(got, ruleset)
    assert [r["status"] for r in got] == ["ok", "ok", "ok", "incomplete", "error", "incomplete"]
