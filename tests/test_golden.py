"""Golden results: every bundled example's full JSON result, and the plain text rendering of one.

Regenerate after an intended change with ``STM_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.core.answers import check_answers
from stm_screen.core.explain import explain
from stm_screen.core.ruleset import Ruleset
from stm_screen.rules.loader import load_ruleset

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("STM_UPDATE_GOLDEN") == "1"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """The content hash and tool version change with every edit; they are checked on their own."""
    data = json.loads(json.dumps(data))
    data["ruleset"]["sha256"] = "<sha256>"
    data["tool_version"] = "<version>"
    return data


def check_golden(path: Path, actual: str) -> None:
    if UPDATE or not path.exists():
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} differs; see the diff above"


EXAMPLES = load_ruleset().examples


@pytest.mark.parametrize("example", EXAMPLES, ids=[slug(e.name) for e in EXAMPLES])
def test_bundled_example_results(ruleset: Ruleset, example: Any) -> None:
    result = explain(ruleset, check_answers(ruleset, example.answers))
    assert result.level == example.level
    text = json.dumps(normalise(result.to_dict()), indent=2, ensure_ascii=False) + "\n"
    check_golden(GOLDEN / f"{slug(example.name)}.json", text)


def test_every_golden_result_belongs_to_an_example() -> None:
    """A golden file whose example is gone would never be compared again, and would still read as what the
    tool says (four such files stayed behind when the examples of a warning sign not shipped were removed)."""
    examples = {f"{slug(e.name)}.json" for e in EXAMPLES}
    others = {"score-text.txt"} | {p.name for p in GOLDEN.iterdir() if not p.name.endswith(".json")}
    stale = sorted(p.name for p in GOLDEN.iterdir() if p.name not in examples and p.name not in others)
    assert not stale, stale


def test_score_text_rendering(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "age_years: 40\npregnant: no\npain_duration_months: 5\npain_areas: [neck_shoulder, head_jaw]\n"
        "pain_trend: same\npain_intensity: 5\nactivity_limitation: 6\n"
        "fear_of_movement: yes\ntightness_trigger_points: no\nrecurrent_flare_ups: no\n"
        + "".join(
            f"{q}: no\n"
            for q in (
                "bladder_bowel_change saddle_numbness both_legs_symptoms progressive_weakness clumsy_hands_or_gait "
                "stroke_signs sudden_severe_headache dizziness_ongoing chest_arm_pain_exertion calf_swelling "
                "fever_or_unwell infection_risk cancer_history unexplained_weight_loss night_pain major_trauma "
                "minor_trauma bone_pain_impact self_harm_thoughts"
            ).split()
        ),
        encoding="utf-8",
    )
    env = {"COLUMNS": "80", "SOURCE_DATE_EPOCH": "1795724100", "TZ": "UTC"}  # a fixed date for the golden file
    result = CliRunner().invoke(app, ["score", str(answers)], env=env)
    assert result.exit_code == 0, result.output
    text = re.sub(r"sha256 [0-9a-f]{12}", "sha256 <hash>", result.stdout)
    text = re.sub(r"stm-screen \S+$", "stm-screen <version>", text.rstrip("\n"), flags=re.M) + "\n"
    check_golden(GOLDEN / "score-text.txt", text)
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
