"""A new headache in pregnancy (pt-screen 2.3.0, clinical review 13), and ``safety: false`` on a question.

The warning sign reads ``pregnant``, which stays out of the safety questions: an export without the column
scores as before (no exit 2), and only a record that needs the answer (a new headache, aged 12 to 60) leaves
the sign could not be ruled out. A question of a safety section cannot be kept out.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.rules.loader import load_ruleset
from tests.test_engine import CALM
from tests.test_rules_errors import assert_problem, problems, write

RULES = Path(__file__).resolve().parent.parent / "rules" / "pt-screen.yaml"


def test_pregnant_reads_a_warning_sign_yet_is_not_a_safety_question() -> None:
    ruleset = load_ruleset()
    assert not ruleset.by_id["pregnant"].safety
    assert any("pregnant" in rf.when.names for rf in ruleset.red_flags)


def _csv(rows: list[dict[str, object]], drop: str) -> str:
    """The records as an export with a column for every question but ``drop`` (blank where not answered)."""
    keys = ["id", *(q.id for q in load_ruleset().questions if q.id != drop)]

    def cell(v: object) -> str:
        if isinstance(v, list):
            return ";".join(v)
        return "yes" if v is True else "no" if v is False else "" if v is None else str(v)

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(keys)
    for r in rows:
        w.writerow([cell(r.get(k)) for k in keys])
    return out.getvalue()


def test_an_export_without_the_pregnancy_column_scores_and_only_a_new_headache_is_left_open(tmp_path: Path) -> None:
    base = dict(CALM)
    rows = [
        {**base, "id": "back", "age_years": 30, "pain_areas": ["low_back"], "pain_duration_months": 0.5},
        {**base, "id": "head", "age_years": 30, "pain_areas": ["head_jaw"], "dizziness_ongoing": False, "pain_duration_months": 0.5},
        {**base, "id": "old_head", "age_years": 30, "pain_areas": ["head_jaw"], "dizziness_ongoing": False, "pain_duration_months": 24},
    ]
    for r in rows:
        r.pop("jaw_scalp_headache", None)
    path = tmp_path / "no-pregnant.csv"
    path.write_text(_csv(rows, drop="pregnant"), encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", str(path)])
    assert result.exit_code in (0, 1), result.output  # not 2: the file is scored
    out = {r["id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert out["head"]["status"] == "incomplete" and "pregnancy_headache" in out["head"]["unanswered_red_flags"]
    assert "pregnancy_headache" not in out["back"]["unanswered_red_flags"]
    assert "pregnancy_headache" not in out["old_head"]["unanswered_red_flags"]


def test_a_pregnant_person_with_a_new_headache_is_told_to_call_the_maternity_unit_today(tmp_path: Path) -> None:
    import json

    answers = {**CALM, "age_years": 31, "pregnant": True, "pain_areas": ["head_jaw"], "dizziness_ongoing": False}
    answers.update(pain_duration_months=0.3, pain_intensity=7)
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    result = CliRunner().invoke(app, ["score", str(path), "--format", "json"])
    data = json.loads(result.stdout)
    assert data["level"] == "see_doctor" and data["urgency"] == "today"
    assert [f["id"] for f in data["red_flags"]] == ["pregnancy_headache"]
    assert "maternity unit" in data["red_flags"][0]["explanation"]


def test_safety_false_is_refused_in_a_safety_section(tmp_path: Path) -> None:
    text = RULES.read_text(encoding="utf-8")
    old = "  - id: night_pain\n"
    assert old in text
    at = text.index(old)
    section = text.index("    section: safety\n", at)
    changed = text[:section] + "    section: safety\n    safety: false\n" + text[section + len("    section: safety\n") :]
    path = write(tmp_path, changed)
    line = changed[: section].count("\n") + 2
    assert_problem(problems(path), path, line, "a question of a safety section is a safety question")
