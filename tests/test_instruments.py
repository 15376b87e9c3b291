"""The rules format is general: STarT Back (total + psychosocial subscale) and a PEG-style mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from stm_screen.core.answers import check_answers
from stm_screen.core.engine import Scorer
from stm_screen.rules.loader import load_ruleset

DATA = Path(__file__).parent / "data"

NONE = {f"item{i}": False for i in range(1, 9)}


def agree(*items: int) -> dict[str, bool]:
    return {**NONE, **{f"item{i}": True for i in items}}


# The worked cases of the clinical reference: (answers, total, psychosocial, level)
WORKED = [
    ({**NONE, "item9": "option_1"}, 0, 0, "low"),
    ({**agree(1, 2, 3, 4), "item9": "option_1"}, 4, 0, "medium"),
    ({**agree(1, 3, 6), "item9": "option_5"}, 4, 2, "medium"),
    ({**agree(5, 6, 7, 8), "item9": "option_3"}, 4, 4, "high"),
    ({**agree(*range(1, 9)), "item9": "option_5"}, 9, 5, "high"),
    ({**agree(1, 2, 3), "item9": "option_3"}, 3, 0, "low"),
]


@pytest.mark.parametrize(("answers", "total", "psychosocial", "level"), WORKED)
def test_startback_worked_cases(
    answers: dict[str, object], total: int, psychosocial: int, level: str
) -> None:
    rs = load_ruleset(DATA / "startback.yaml")
    ev = Scorer(rs).evaluate(check_answers(rs, answers))
    assert (ev.scores["total"], ev.scores["psychosocial"], ev.level) == (total, psychosocial, level)


def test_startback_item_text_is_not_shipped() -> None:
    rs = load_ruleset(DATA / "startback.yaml")
    assert rs.item_text == "supplied"
    assert [str(q.text) for q in rs.questions] == [f"startback-scoring item {i}" for i in range(1, 10)]
    assert all(q.supplied and not q.wording for q in rs.questions)


def test_startback_unanswered_item_leaves_no_level() -> None:
    rs = load_ruleset(DATA / "startback.yaml")
    ev = Scorer(rs).evaluate(check_answers(rs, {f"item{i}": False for i in range(1, 9)}))
    assert ev.scores["total"] is None and ev.level is None


PEG = """
id: peg-like
version: "1"
title: Three-item mean
disclaimer: Scoring only.
sources: [{id: s, citation: Krebs 2009}]
questions:
  - {id: p, type: integer, min: 0, max: 10, text: Item P}
  - {id: e, type: integer, min: 0, max: 10, text: Item E}
  - {id: g, type: integer, min: 0, max: 10, text: Item G}
scores:
  - {id: mean, title: Mean, method: mean, items: [p, e, g]}
levels:
  - {id: mild, title: Mild, advice: a}
  - {id: severe, title: Severe, advice: b}
outcomes:
  - {score: mean, max: 5, level: mild}
  - {score: mean, min: 5, level: severe}
"""


def test_mean_score_and_real_valued_bands(tmp_path: Path) -> None:
    path = tmp_path / "peg.yaml"
    path.write_text(PEG, encoding="utf-8")
    rs = load_ruleset(path)
    scorer = Scorer(rs)
    ev = scorer.evaluate({"p": 4, "e": 5, "g": 6})
    assert ev.scores["mean"] == pytest.approx(5.0)
    assert ev.level == "severe"  # a boundary value goes to the higher band
    assert scorer.evaluate({"p": 4, "e": 4, "g": 6}).level == "mild"
    assert scorer.evaluate({}).level is None  # no items answered: no mean, no result
    assert (rs.scores[0].low, rs.scores[0].high) == (0, 10)
