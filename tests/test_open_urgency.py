"""How soon to act on a warning sign that could not be ruled out, beside how soon to act on one that fired.

A clinic's worklist sorted by ``urgency`` alone put a record whose saddle-numbness answer was blank (an
emergency if it fits) with the calm ones: ``urgency`` counts the signs that fired only. ``score --format
json`` now says ``urgency_not_ruled_out`` and ``batch`` an ``unanswered_urgency`` column: the most urgent of
the signs that could not be ruled out, from the rules' own urgencies.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.core.explain import URGENCY_ORDER
from tests.test_open_replaced import RULESET, batch_and_score_every_mix

URGENCY = {rf.id: rf.urgency for rf in RULESET.red_flags}


def most_urgent(ids: list[str]) -> str:
    found = [URGENCY[i] for i in ids if URGENCY[i] in URGENCY_ORDER]
    return max(found, key=URGENCY_ORDER.index) if found else ""


def test_every_mix_of_open_signs_gives_the_most_urgent_one(tmp_path: Path) -> None:
    """Yes, no, 'not sure' and blank over questions of signs of every urgency: the column is the most urgent
    urgency among the row's own unanswered signs, empty when none is open; ``urgency`` stays that of the
    signs that fired."""
    asked = ["saddle_numbness", "calf_swelling", "night_pain", "both_legs_symptoms"]
    seen = set()
    for row, record, _ev in batch_and_score_every_mix(tmp_path, asked):
        unanswered = [i for i in row["unanswered_red_flags"].split(";") if i]
        fired = [i for i in row["red_flags"].split(";") if i]
        assert row["unanswered_urgency"] == most_urgent(unanswered), (record, row)
        assert row["urgency"] == most_urgent(fired), (record, row)
        seen.add(row["unanswered_urgency"])
    assert {"now", "today", "days", ""} <= seen  # the mix reaches each


def test_score_json_and_batch_agree(tmp_path: Path) -> None:
    """'Not sure' about a fever (a 'today' sign) with nothing fired: the JSON result and the batch row of the
    same answers both say 'today' for what could not be ruled out, and nothing for what fired."""
    answers = Path(__file__).parent.parent / "docs" / "examples" / "unsure.yaml"
    result = CliRunner().invoke(app, ["score", str(answers), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["urgency"] is None and data["urgency_not_ruled_out"] == "today"
    assert data["urgency_not_ruled_out"] == most_urgent([f["id"] for f in data["red_flags_not_ruled_out"]])

    import yaml

    record = {k: (";".join(v) if isinstance(v, list) else v) for k, v in yaml.safe_load(answers.read_text()).items()}
    record = {k: ("yes" if v is True else "no" if v is False else v) for k, v in record.items()}
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"id": "A", **record}) + "\n", encoding="utf-8")
    for fmt in ("csv", "jsonl"):
        out = CliRunner().invoke(app, ["batch", str(path), "--format", fmt])
        assert out.exit_code == 0, out.output
        if fmt == "csv":
            (row,) = list(csv.DictReader(io.StringIO(out.stdout)))
            assert (row["status"], row["urgency"], row["unanswered_urgency"]) == ("incomplete", "", "today")
        else:
            (line,) = out.stdout.splitlines()
            got = json.loads(line)
            assert (got["urgency"], got["unanswered_urgency"]) == (None, "today")


def test_a_complete_record_and_an_error_row_leave_it_empty(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    calm = Path(__file__).parent.parent / "docs" / "examples" / "redcap_export.csv"
    out = CliRunner().invoke(app, ["batch", str(calm)])
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows and all(r["unanswered_urgency"] == "" for r in rows if r["status"] in ("ok", "error"))
    assert list(rows[0])[8:11] == ["unanswered_red_flags", "unanswered_urgency", "error"]
    path.write_text("id,age_years\nX,-4\n", encoding="utf-8")
    bad = CliRunner().invoke(app, ["batch", str(path), "--allow-missing"])
    (row,) = list(csv.DictReader(io.StringIO(bad.stdout)))
    assert row["status"] == "error" and row["unanswered_urgency"] == ""
