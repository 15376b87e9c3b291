"""REDCap as clinics use it: the record id is the first column whatever its name; longitudinal exports
(--event, other events' empty rows skipped and counted); repeating instances keep their instance in the id;
checkbox columns within 26 characters (numbers for long choice ids, mapped back); safety fields required."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from stm_screen.cli.app import app

runner = CliRunner()
RAW = Path(__file__).parent / "data" / "batch" / "redcap_raw.csv"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _batch(*args: str) -> tuple[list[dict[str, Any]], str, int]:
    result = runner.invoke(app, ["batch", *args, "-f", "jsonl"])
    return [json.loads(line) for line in result.stdout.splitlines()], result.stderr, result.exit_code


def _base() -> tuple[list[str], list[dict[str, str]]]:
    text = RAW.read_text(encoding="utf-8-sig")
    header = text.splitlines()[0].split(",")
    return header, _rows(text)


def test_the_first_column_is_the_record_id_whatever_its_name(tmp_path: Path) -> None:
    header, rows = _base()
    header = ["study_id", *header[1:]]
    for i, row in enumerate(rows):
        row["study_id"] = f"S-{i + 1:03d}"
        del row["record_id"]
    got, err, _ = _batch(str(_write(tmp_path / "s.csv", header, rows)))
    assert [r["id"] for r in got] == [f"S-{i + 1:03d}/baseline_arm_1" for i in range(len(rows))]
    assert "match no question" not in err


def test_longitudinal_export_other_events_are_counted_not_scored(tmp_path: Path) -> None:
    header, rows = _base()
    follow = []
    for row in rows[:3]:  # a follow-up event of the same records, where the screening form was not used
        empty = {k: ("0" if "___" in k or k.endswith("_complete") else "") for k in header}
        follow.append(empty | {"record_id": row["record_id"], "redcap_event_name": "followup_arm_1"})
    path = _write(tmp_path / "long.csv", header, rows + follow)
    got, err, code = _batch(str(path))
    assert len(got) == len(rows) and all("followup" not in r["id"] for r in got)
    assert "3 rows of other events skipped, not scored: followup_arm_1 3" in err
    assert [r["row"] for r in got] == list(range(1, len(rows) + 1))
    # --event scores only that event's rows; a follow-up row that does answer is skipped too
    follow[0]["pain_intensity"] = "5"
    path = _write(tmp_path / "long2.csv", header, rows + follow)
    got, err, _ = _batch(str(path), "--event", "baseline_arm_1")
    assert len(got) == len(rows) and "3 rows of other events skipped" in err
    got, err, _ = _batch(str(path))
    assert len(got) == len(rows) + 1  # without --event the follow-up row that answers is scored
    got, err, code = _batch(str(path), "--event", "screening_arm_9")
    assert got == [] and code == 2  # nothing scored: a usage error, not an empty success
    assert "no row of screening_arm_9 in the input, so nothing was scored; the events in the input: " in err
    assert "baseline_arm_1, followup_arm_1" in err
    mapping = tmp_path / "map.yaml"
    mapping.write_text("event: followup_arm_1\ncolumns: {}\n", encoding="utf-8")
    got, err, _ = _batch(str(path), "--map", str(mapping))
    assert [r["id"] for r in got] == [f"{follow[i]['record_id']}/followup_arm_1" for i in range(3)]


def test_event_needs_a_longitudinal_export() -> None:
    result = runner.invoke(
        app, ["batch", str(Path(__file__).parent / "data" / "batch" / "plain_ids.csv"), "--event", "x"]
    )
    assert result.exit_code == 2


def test_repeating_instances_keep_their_instance_in_the_id(tmp_path: Path) -> None:
    header, rows = _base()
    first = dict(rows[0])
    again = dict(rows[0]) | {"redcap_repeat_instrument": "pt_screen", "redcap_repeat_instance": "2"}
    got, _, _ = _batch(str(_write(tmp_path / "rep.csv", header, [first, again])))
    assert [r["id"] for r in got] == ["1/baseline_arm_1", "1/baseline_arm_1/pt_screen/2"]


def test_checkbox_columns_fit_26_characters_and_read_back(tmp_path: Path) -> None:
    dictionary = runner.invoke(app, ["form", "export", "redcap"]).stdout
    fields = _rows(dictionary)
    areas = next(f for f in fields if f["Variable / Field Name"] == "pain_areas")
    codes = [c.split(",", 1)[0].strip() for c in areas["Choices, Calculations, OR Slider Labels"].split("|")]
    assert all(len(f"pain_areas___{c}") <= 26 for c in codes) and "7" in codes
    safety = [f for f in fields if f["Section Header"] == "Safety check"]
    assert safety and all(
        f["Required Field?"] == "y"
        for f in fields
        if f["Field Type"] == "radio" and "unsure" in f["Choices, Calculations, OR Slider Labels"]
    )
    header, rows = _base()
    header = [("pain_areas___7" if h == "pain_areas___sports_overuse" else h) for h in header]
    for row in rows:
        row["pain_areas___7"] = row.pop("pain_areas___sports_overuse")
    rows[0]["pain_areas___7"] = "1"
    path = _write(tmp_path / "short.csv", header, rows)
    got, err, _ = _batch(str(path))
    assert "match no question" not in err and len(got) == len(rows)
    result = runner.invoke(app, ["batch", str(path), "-f", "fhir"])
    bundle = json.loads(result.stdout)
    first_qr = json.dumps(bundle["entry"][0]["resource"])
    assert '"code": "sports_overuse"' in first_qr


def _blank(header: list[str], record_id: str, event: str) -> dict[str, str]:
    """A row of a REDCap export whose screening was not answered: every question blank (checkboxes 0)."""
    row = {k: ("0" if "___" in k or k.endswith("_complete") else "") for k in header}
    return row | {"record_id": record_id, "redcap_event_name": event}


def test_a_blank_row_of_the_scored_event_is_a_record(tmp_path: Path) -> None:
    """Someone who did not answer the screening is a record of the screening's event (incomplete), as with
    --event or in a project without events; only rows of other events are counted, not scored, and the
    count never names the scored event. Also when that blank row is the first of the file."""
    header, rows = _base()
    follow = [_blank(header, row["record_id"], "followup_arm_1") for row in rows[:2]]
    for first in (False, True):
        blank = _blank(header, "7", "baseline_arm_1")
        records = [blank, *rows] if first else [rows[0], blank, *rows[1:]]
        path = _write(tmp_path / "blank.csv", header, records + follow)
        got, err, _ = _batch(str(path))
        assert [r["id"] for r in got] == [f"{r['record_id']}/baseline_arm_1" for r in records]
        assert [r["row"] for r in got] == list(range(1, len(records) + 1))
        blank_out = got[0] if first else got[1]
        assert (blank_out["status"], blank_out["level"]) == ("incomplete", "see_doctor")
        assert "2 rows of other events skipped, not scored: followup_arm_1 2" in err
        assert "baseline_arm_1 1" not in err
        with_event, _, _ = _batch(str(path), "--event", "baseline_arm_1")
        assert with_event == got
    # REDCap's API JSON: the same records
    api = tmp_path / "blank.json"
    api.write_text(json.dumps([rows[0], _blank(header, "7", "baseline_arm_1"), *rows[1:], *follow]), encoding="utf-8")
    got, err, _ = _batch(str(api))
    assert [r["id"] for r in got] == [f"{r['record_id']}/baseline_arm_1" for r in [rows[0], {"record_id": "7"}, *rows[1:]]]
    assert "2 rows of other events skipped, not scored: followup_arm_1 2" in err


def test_the_scored_event_of_the_bug_report(tmp_path: Path) -> None:
    path = tmp_path / "rc.csv"
    path.write_text(
        "record_id,redcap_event_name,night_pain,pt_screen_complete\n101,screening_arm_1,0,2\n"
        "102,screening_arm_1,,0\n103,screening_arm_1,1,2\n",
        encoding="utf-8",
    )
    got, err, _ = _batch(str(path), "--allow-missing")
    assert [(r["row"], r["id"], r["status"], r["level"]) for r in got] == [
        (1, "101/screening_arm_1", "incomplete", "see_doctor"),
        (2, "102/screening_arm_1", "incomplete", "see_doctor"),
        (3, "103/screening_arm_1", "incomplete", "see_doctor"),
    ]
    assert "skipped" not in err
