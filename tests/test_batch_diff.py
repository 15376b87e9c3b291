"""rules diff: the records whose level changes between two rulesets, with counts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from stm_screen.cli.app import app
from tests.batch_helpers import fixtures, rows

ROOT = Path(__file__).resolve().parent.parent


def stricter_rules(tmp_path: Path) -> str:
    """pt_recommended from 4 signs instead of 3 (examples dropped: they pin the old bands)."""
    text = (ROOT / "rules" / "pt-screen.yaml").read_text(encoding="utf-8")
    text, n = re.subn(r'(?m)^version: "[^"]*"', 'version: "9.9.9"', text, count=1)
    assert n == 1
    text, n = re.subn(r"(- score: total\n\s+min: 1\n\s+max: )2\b", r"\g<1>3", text)
    assert n == 1
    text, n = re.subn(r"(- score: total\n\s+min: )3(\n\s+level: pt_recommended)", r"\g<1>4\2", text)
    assert n == 1
    text = text[: text.index("\nexamples:")] + "\n"
    p = tmp_path / "stricter.yaml"
    p.write_text(text, encoding="utf-8")
    return str(p)


def bundled() -> str:
    from stm_screen.screening import load_rules

    return f"pt-screen {load_rules().version}"


QUESTIONS = ["pain_duration_months", "tightness_trigger_points", "activity_limitation", "recurrent_flare_ups",
             "night_pain", "age_years", "pregnant", "pain_areas", "pain_trend", "pain_intensity",
             "fear_of_movement"]  # fmt: skip
SAFETY = [q for q in fixtures.SAFETY if q != "night_pain"]


def table(*records: str) -> str:
    """A whole export: each record gives its first five answers (months, tight, activity, flare-ups, night
    pain); the rest are a 40-year-old's with pain in a knee, about the same, no other warning signs."""
    rest = "40,no,tendon,same,5,no" + ",no" * len(SAFETY)
    return ",".join(["id", *QUESTIONS, *SAFETY]) + "\n" + "".join(f"{r},{rest}\n" for r in records)


def test_diff_lists_changed_records_with_counts(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text(
        table(
            "three,12,yes,5,no,no",  # 3 signs: recommended -> consider
            "four,12,yes,5,yes,no",  # 4 signs: recommended under both
            "flag,12,yes,5,no,yes",  # a warning sign: see_doctor under both
            "two,1,yes,5,no,no",  # 2 signs: consider under both
            "also3,24,no,6,yes,no",  # 3 signs again
        ),
        encoding="utf-8",
    )
    new = stricter_rules(tmp_path)
    result = CliRunner().invoke(app, ["rules", "diff", "pt-screen", new, str(data)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    got = rows(result.stdout)
    assert [(r["row"], r["id"], r["old_level"], r["new_level"]) for r in got] == [
        ("1", "three", "pt_recommended", "pt_consider"),
        ("5", "also3", "pt_recommended", "pt_consider"),
    ]
    assert got[0]["old_score"] == "3" and got[0]["new_score"] == "3"
    assert f"5 records; 2 change level from {bundled()} to pt-screen 9.9.9" in result.stderr
    assert "pt_recommended -> pt_consider: 2" in result.stderr


def test_diff_jsonl(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text(table("three,12,yes,5,no,no"), encoding="utf-8")
    new = stricter_rules(tmp_path)
    result = CliRunner().invoke(app, ["rules", "diff", "pt-screen", new, str(data), "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["old_level"] == "pt_recommended" and line["new_level"] == "pt_consider"
    assert line["old_status"] == line["new_status"] == "ok"
    assert "pt_recommended -> pt_consider: 1" in result.stderr


def test_diff_reports_records_with_errors_and_exits_1(tmp_path: Path) -> None:
    """A record that cannot be scored under either ruleset is not a level change, but it is not silent:
    counted on stderr (never its answers) and exit 1, as batch does."""
    data = tmp_path / "d.csv"
    data.write_text(table("three,12,yes,5,no,no", "bad,12,yes,eleven,no,no"), encoding="utf-8")
    result = CliRunner().invoke(app, ["rules", "diff", "pt-screen", stricter_rules(tmp_path), str(data)])
    assert result.exit_code == 1, result.output
    assert [r["id"] for r in rows(result.stdout)] == ["three"]
    assert f"records with errors (not scored): 1 under {bundled()}, 1 under pt-screen 9.9.9" in result.stderr
    assert "eleven" not in result.stderr
