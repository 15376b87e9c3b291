"""rules diff: the records whose level changes between two rulesets, with counts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from stm_screen.cli.app import app
from tests.batch_helpers import rows

ROOT = Path(__file__).resolve().parent.parent


def stricter_rules(tmp_path: Path) -> str:
    """pt_recommended from 4 signs instead of 3 (examples dropped: they pin the old bands)."""
    text = (ROOT / "rules" / "pt-screen.yaml").read_text(encoding="utf-8")
    text = text.replace('version: "1.0.1"', 'version: "1.1.0"')
    text = text.replace(
        "{score: total, min: 1, max: 2, level: pt_consider}",
        "{score: total, min: 1, max: 3, level: pt_consider}",
    )
    text = text.replace(
        "{score: total, min: 3, level: pt_recommended}", "{score: total, min: 4, level: pt_recommended}"
    )
    text = text[: text.index("\nexamples:")] + "\n"
    p = tmp_path / "stricter.yaml"
    p.write_text(text, encoding="utf-8")
    return str(p)


SAFETY = ["bladder_bowel_change", "saddle_numbness", "progressive_weakness", "stroke_signs", "self_harm_thoughts",
          "fever_or_unwell", "cancer_history", "unexplained_weight_loss", "major_trauma"]  # fmt: skip


def test_diff_lists_changed_records_with_counts(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    safe = ",no" * len(SAFETY)
    data.write_text(
        "id,pain_duration_months,tightness_trigger_points,activity_limitation,recurrent_flare_ups,night_pain,"
        + ",".join(SAFETY)
        + f"\nthree,12,yes,5,no,no{safe}\n"  # 3 signs: recommended -> consider
        + f"four,12,yes,5,yes,no{safe}\n"  # 4 signs: recommended under both
        + f"flag,12,yes,5,no,yes{safe}\n"  # a warning sign: see_doctor under both
        + f"two,1,yes,5,no,no{safe}\n"  # 2 signs: consider under both
        + f"also3,24,no,9,yes,no{safe}\n",  # 3 signs again
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
    assert "5 record(s); 2 change level from pt-screen 1.0.1 to pt-screen 1.1.0" in result.stderr
    assert "pt_recommended -> pt_consider: 2" in result.stderr


def test_diff_jsonl(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text(
        "id,pain_duration_months,tightness_trigger_points,activity_limitation,"
        + ",".join(
            [
                "bladder_bowel_change",
                "saddle_numbness",
                "progressive_weakness",
                "stroke_signs",
                "self_harm_thoughts",
                "fever_or_unwell",
                "cancer_history",
                "unexplained_weight_loss",
                "major_trauma",
                "night_pain",
            ]  # fmt: skip
        )
        + "\nthree,12,yes,5"
        + ",no" * 10
        + "\n",
        encoding="utf-8",
    )
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
    safe = ",no" * len(SAFETY)
    data.write_text(
        "id,pain_duration_months,tightness_trigger_points,activity_limitation,recurrent_flare_ups,night_pain,"
        + ",".join(SAFETY)
        + f"\nthree,12,yes,5,no,no{safe}\n"
        + f"bad,12,yes,eleven,no,no{safe}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["rules", "diff", "pt-screen", stricter_rules(tmp_path), str(data)])
    assert result.exit_code == 1, result.output
    assert [r["id"] for r in rows(result.stdout)] == ["three"]
    assert (
        "records with errors (not scored): 1 under pt-screen 1.0.1, 1 under pt-screen 1.1.0" in result.stderr
    )
    assert "eleven" not in result.stderr
