"""Independent clinical vignettes (tests/data/clinical_vignettes.yaml) through `stm-screen score`.

Each case is a person written without looking at the rules' own examples, with the advice a careful
clinician would give: the level, the warning signs that must fire or stay open, how soon the most urgent
one says to act, and what the text result must (or must not) say. English, and some cases in Spanish.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from stm_screen.cli.app import app

TABLE = Path(__file__).parent / "data" / "clinical_vignettes.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(TABLE.read_text(encoding="utf-8"))["cases"]
URGENCY = ("now", "today", "days", "weeks")
RULES = yaml.safe_load(
    (Path(__file__).parent.parent / "rules" / "pt-screen.yaml").read_text(encoding="utf-8")
)
PT_TITLES = [t for lv in RULES["levels"] if lv["id"].startswith("pt_") for t in lv["title"].values()]
LEVELS = {"emergency", "see_doctor", "pt_recommended", "pt_consider", "self_care"}


def _score(case: dict[str, Any], tmp_path: Path, *extra: str) -> str:
    answers = {k: v for k, v in case["answers"].items() if v is not None}  # null: left out
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    args = ["score", str(path), *extra]
    if case.get("lang"):
        args += ["--lang", case["lang"]]
    if case.get("country"):
        args += ["--country", case["country"]]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    return out.stdout


def test_the_table_is_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 40
    for c in CASES:
        assert c["expect"] in LEVELS, c["id"]
        assert c.get("story"), c["id"]
        assert c.get("urgency") in (None, *URGENCY), c["id"]
    assert sum(c.get("lang") == "es" for c in CASES) >= 4


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_vignette(case: dict[str, Any], tmp_path: Path) -> None:
    result = json.loads(_score(case, tmp_path, "--format", "json"))
    fired = [f["id"] for f in result["red_flags"]]
    opened = [f["id"] for f in result["red_flags_not_ruled_out"]]
    assert result["level"] == case["expect"], (case["story"], fired, opened)
    if "flags" in case:
        if case["flags"]:
            assert set(case["flags"]) <= set(fired), (fired, case["flags"])
        else:
            assert fired == [], fired
    if "open" in case:
        if case["open"]:
            assert set(case["open"]) <= set(opened), (opened, case["open"])
        else:
            assert opened == [], opened
    if case.get("urgency"):
        soonest = min(URGENCY.index(f["urgency"]) for f in result["red_flags"])
        assert URGENCY[soonest] == case["urgency"], [f["urgency"] for f in result["red_flags"]]
    text = " ".join(_score(case, tmp_path).split()).lower()
    # a warning sign, fired or not ruled out, never sits under a physical-therapy headline
    if fired or opened:
        for title in PT_TITLES:
            assert title.lower() not in text, title
    for phrase in case.get("mention", []):
        assert " ".join(phrase.split()).lower() in text, phrase
    for phrase in case.get("absent", []):
        assert " ".join(phrase.split()).lower() not in text, phrase
