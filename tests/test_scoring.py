"""Scoring that published instruments need: reversed items, items that count only for some answers,
missing items (none, zero, prorate) with a minimum answered, rounding, lookup tables, bands with sources;
and the three-valued logic: an unknown score never fires and never counts as zero."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from stm_screen.core.engine import Scorer, round_half, score_items
from stm_screen.core.ruleset import Ruleset, compile_ruleset
from stm_screen.errors import RulesError


def rules(scores: list[dict[str, Any]], **extra: Any) -> Ruleset:
    """A small ruleset of five 0-4 items (q5 reversed), a choice and a yes/no item, with these scores."""
    data: dict[str, Any] = {
        "id": "t",
        "version": "1",
        "title": "T",
        "disclaimer": "A screening aid.",
        "sources": [{"id": "s", "citation": "Source S"}],
        "questions": [
            *({"id": f"q{i}", "type": "integer", "min": 0, "max": 4, "text": f"Q{i}"} for i in range(1, 5)),
            {"id": "q5", "type": "integer", "min": 0, "max": 4, "text": "Q5", "reverse": True},
            {
                "id": "c",
                "type": "choice",
                "text": "C",
                "choices": [{"id": x, "label": x} for x in ("none", "some", "lots", "most")],
                "counts": ["lots", "most"],
            },
            {"id": "b", "type": "boolean", "text": "B"},
        ],
        "scores": scores,
        "levels": [
            {"id": "low", "title": "Low", "advice": "a"},
            {"id": "high", "title": "High", "advice": "b"},
            {"id": "see_doctor", "title": "Doctor", "advice": "c"},
        ],
        "outcomes": extra.pop("outcomes", [{"level": "low", "when": True}]),
        **extra,
    }
    return compile_ruleset(data)


def problems(scores: list[dict[str, Any]], **extra: Any) -> str:
    with pytest.raises(RulesError) as info:
        rules(scores, **extra)
    return str(info.value)


ITEMS = ["q1", "q2", "q3", "q4", "q5"]


def test_reverse_scores_max_plus_min_minus_the_answer() -> None:
    rs = rules([{"id": "t5", "title": "T", "items": ["q5"]}])
    assert [Scorer(rs).evaluate({"q5": v}).scores["t5"] for v in range(5)] == [4, 3, 2, 1, 0]


def test_counts_scores_one_only_for_the_choices_named() -> None:
    rs = rules([{"id": "tc", "title": "T", "items": ["c"]}])
    got = {c: Scorer(rs).evaluate({"c": c}).scores["tc"] for c in ("none", "some", "lots", "most")}
    assert got == {"none": 0, "some": 0, "lots": 1, "most": 1}


def test_missing_none_needs_every_item() -> None:
    rs = rules([{"id": "t", "title": "T", "items": ITEMS}])
    scorer = Scorer(rs)
    assert scorer.evaluate({"q1": 1, "q2": 1, "q3": 1, "q4": 1, "q5": 4}).scores["t"] == 4
    ev = scorer.evaluate({"q1": 1, "q2": 1, "q3": 1, "q4": 1})
    assert ev.scores["t"] is None  # never 4, never 0
    assert (ev.details["t"].answered, ev.details["t"].needed, ev.details["t"].items) == (4, 5, 5)


def test_missing_zero_counts_them_as_zero_with_a_minimum() -> None:
    rs = rules([{"id": "t", "title": "T", "items": ITEMS[:4], "missing": "zero", "min_answered": 2}])
    scorer = Scorer(rs)
    assert scorer.evaluate({"q1": 3, "q2": 2}).scores["t"] == 5
    assert scorer.evaluate({"q1": 3}).scores["t"] is None
    assert scorer.evaluate({}).scores["t"] is None


def test_prorate_is_the_mean_of_the_answered_times_the_count_rounded_half_up() -> None:
    rs = rules([{"id": "t", "title": "T", "items": ITEMS[:4], "missing": "prorate", "min_answered": 3, "round": 0}])
    scorer = Scorer(rs)
    assert scorer.evaluate({"q1": 1, "q2": 1, "q3": 1, "q4": 1}).scores["t"] == 4
    assert scorer.evaluate({"q1": 2, "q2": 2, "q3": 2}).scores["t"] == 8  # 6 * 4/3
    assert scorer.evaluate({"q1": 1, "q2": 1, "q3": 0}).scores["t"] == 3  # 2.67 -> 3
    assert scorer.evaluate({"q1": 1, "q2": 0, "q3": 0}).scores["t"] == 1  # 1.33 -> 1
    assert scorer.evaluate({"q1": 4, "q2": 4}).scores["t"] is None


def test_round_half_up_is_decimal_and_not_bankers() -> None:
    assert round_half(2.5, 0) == 3.0 and round_half(3.5, 0) == 4.0
    assert round_half(2.675, 2) == 2.68  # binary floats would give 2.67
    assert round_half(2.9, 0, "down") == 2.0 and round_half(2.1, 0, "up") == 3.0


def test_mean_score_rounds_to_decimals() -> None:
    rs = rules([{"id": "m", "title": "M", "items": ITEMS[:3], "method": "mean", "round": 1}])
    assert Scorer(rs).evaluate({"q1": 1, "q2": 1, "q3": 2}).scores["m"] == 1.3


def test_lookup_maps_raw_scores_to_reported_ones() -> None:
    table = {i: 30 + 2.5 * i for i in range(0, 9)}
    rs = rules([{"id": "t", "title": "T", "items": ["q1", "q2"], "lookup": table}])
    ev = Scorer(rs).evaluate({"q1": 3, "q2": 2})
    assert ev.scores["t"] == 42.5 and ev.details["t"].raw == 5
    assert (rs.scores[0].low, rs.scores[0].high) == (30, 50)


def test_bands_by_range_and_by_condition() -> None:
    bands = [
        {"id": "lo", "label": "low", "min": 0, "max": 3, "source": "s"},
        {"id": "hi", "label": "high", "min": 4, "max": 8, "source": "s", "flag": True, "message": "Talk."},
    ]
    rs = rules([{"id": "t", "title": "T", "items": ["q1", "q2"], "bands": bands}])
    scorer = Scorer(rs)
    assert scorer.evaluate({"q1": 1, "q2": 2}).bands["t"] == "lo"
    assert scorer.evaluate({"q1": 2, "q2": 2}).bands["t"] == "hi"
    assert scorer.evaluate({"q1": 2}).bands["t"] is None  # an unknown score is in no band
    by_cond = [
        {"id": "a", "label": "a", "when": "t2 >= 3", "source": "s"},
        {"id": "b", "label": "b", "when": "t1 <= 2", "source": "s"},
        {"id": "c", "label": "c", "when": "t1 > 2", "source": "s"},
    ]
    rs = rules([{"id": "t1", "title": "T", "items": ["q1"], "bands": by_cond}, {"id": "t2", "title": "T", "items": ["q2"]}])
    scorer = Scorer(rs)
    assert scorer.evaluate({"q1": 4, "q2": 3}).bands["t1"] == "a"
    assert scorer.evaluate({"q1": 1, "q2": 1}).bands["t1"] == "b"
    assert scorer.evaluate({"q1": 4, "q2": 1}).bands["t1"] == "c"
    assert scorer.evaluate({"q1": 4}).bands["t1"] is None  # band 'a' could not be decided: no band


def test_unknown_score_never_fires_an_outcome_or_a_warning_sign() -> None:
    outcomes = [{"level": "high", "when": "t >= 0"}, {"level": "low", "when": True}]
    flags = [{"id": "f", "when": "t >= 0", "level": "see_doctor", "title": "F", "message": "M", "source": "s"}]
    rs = rules([{"id": "t", "title": "T", "items": ["q1", "q2"]}], outcomes=outcomes, red_flags=flags)
    ev = Scorer(rs).evaluate({"q1": 0})
    assert ev.scores["t"] is None
    assert ev.pt_level == "low"  # 't >= 0' did not hold for an unknown t (never counted as 0)
    assert ev.red_flags == () and ev.red_flags_unknown == ("f",)


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ([{"id": "t", "title": "T", "items": ITEMS, "missing": "prorate"}], "missing: prorate needs min_answered"),
        ([{"id": "t", "title": "T", "items": ITEMS, "min_answered": 3}], "with missing: none every item must be answered"),
        ([{"id": "t", "title": "T", "items": ITEMS, "missing": "zero", "min_answered": 9}], "min_answered must be a whole number from 1 to 5"),
        ([{"id": "t", "title": "T", "items": ["q1"], "round": 9}], "round must be a whole number from 0 to 6"),
        ([{"id": "t", "title": "T", "items": ["q1"], "lookup": {0: 1, 1: 2}}], "no reported score for raw score(s) 2, 3, 4"),
        ([{"id": "t", "title": "T", "items": ["q1"], "lookup": {0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 7: 8}}], "raw score 7 is outside"),
        ([{"id": "t", "title": "T", "items": ["q1"], "method": "mean", "lookup": {0: 1}}], "a lookup table needs whole raw scores"),
        ([{"id": "t", "title": "T", "items": ["q1"], "bands": [{"id": "a", "label": "a", "min": 0, "max": 1, "source": "s"}]}], "bands leave a gap: scores above 1 (up to 4)"),
        ([{"id": "t", "title": "T", "items": ["q1"], "bands": [{"id": "a", "label": "a", "min": 0, "max": 2, "source": "s"}, {"id": "b", "label": "b", "min": 2, "max": 4, "source": "s"}]}], "bands overlap"),
        ([{"id": "t", "title": "T", "items": ["q1"], "bands": [{"id": "a", "label": "a", "min": 0, "source": "nope"}]}], "unknown source 'nope'"),
        ([{"id": "t", "title": "T", "items": ["q1"], "important_change": [{"points": 1, "source": "s"}]}], "say which way is better"),
        ([{"id": "t", "title": "T", "items": ["q1"], "better": "lower", "important_change": [{"source": "s"}]}], "give either points or percent"),
        ([{"id": "t", "title": "T", "items": ["q1"], "criteria": "all"}], "give either 'criteria' or 'items'"),
    ],
)
def test_scoring_mistakes_are_load_errors(scores: list[dict[str, Any]], message: str) -> None:
    assert message in problems(scores)


def test_counts_must_name_choices_of_a_choice_question(tmp_path: Path) -> None:
    data = yaml.safe_load(
        """
id: t
version: "1"
title: T
disclaimer: d
questions:
  - {id: a, type: choice, text: A, choices: [{id: x, label: X}], counts: [y]}
  - {id: b, type: integer, min: 0, max: 3, text: B, counts: [x]}
  - {id: z, type: boolean, text: Z}
levels: [{id: l, title: L, advice: a}]
outcomes: [{level: l, when: true}]
"""
    )
    with pytest.raises(RulesError) as info:
        compile_ruleset(data)
    text = str(info.value)
    assert "counts: unknown choice 'y'" in text and "'counts' is only for choice questions" in text


# --- properties -----------------------------------------------------------------------------------------

answer = st.one_of(st.none(), st.integers(min_value=0, max_value=4))


@settings(max_examples=200, deadline=None)
@given(st.lists(answer, min_size=5, max_size=5), st.sampled_from(["none", "zero", "prorate"]), st.integers(1, 5))
def test_an_unknown_score_is_never_a_number_and_a_known_one_stays_in_range(
    values: list[int | None], missing: str, need: int
) -> None:
    spec: dict[str, Any] = {"id": "t", "title": "T", "items": ITEMS, "missing": missing}
    if missing != "none":
        spec["min_answered"] = need
    rs = rules([spec])
    answers = {q: v for q, v in zip(ITEMS, values, strict=True) if v is not None}
    ev = Scorer(rs).evaluate(answers)
    answered = len(answers)
    needed = 5 if missing == "none" else need
    if answered < needed or answered == 0:
        assert ev.scores["t"] is None
    else:
        value = ev.scores["t"]
        assert value is not None and rs.scores[0].low <= value <= rs.scores[0].high


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=5, max_size=5))
def test_with_every_item_answered_all_missing_rules_agree(values: list[int]) -> None:
    totals = set()
    for missing, extra in (("none", {}), ("zero", {"min_answered": 1}), ("prorate", {"min_answered": 3})):
        rs = rules([{"id": "t", "title": "T", "items": ITEMS, "missing": missing, **extra}])
        totals.add(Scorer(rs).evaluate(dict(zip(ITEMS, values, strict=True))).scores["t"])
    assert totals == {sum(values[:4]) + (4 - values[4])}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=5, max_size=5), st.integers(0, 3), st.integers(0, 4))
def test_raising_an_item_never_lowers_a_sum_and_raising_a_reversed_one_never_raises_it(
    values: list[int], index: int, bump: int
) -> None:
    rs = rules([{"id": "t", "title": "T", "items": ITEMS}])
    scorer = Scorer(rs)
    base = dict(zip(ITEMS, values, strict=True))
    up = {**base, ITEMS[index]: min(4, base[ITEMS[index]] + bump)}
    assert scorer.evaluate(up).scores["t"] >= scorer.evaluate(base).scores["t"]
    rev = {**base, "q5": min(4, base["q5"] + bump)}
    assert scorer.evaluate(rev).scores["t"] <= scorer.evaluate(base).scores["t"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(0, 10, allow_nan=False)), min_size=1, max_size=9), st.integers(1, 9))
def test_prorate_equals_the_mean_of_the_answered_times_the_count(values: list[float | None], need: int) -> None:
    from stm_screen.core.ruleset import Score, Words

    n = len(values)
    s = Score("t", Words({}, "T"), "sum", (), tuple(f"i{i}" for i in range(n)), 0, 10 * n, False,
              missing="prorate", min_answered=min(need, n), round=2)
    got = score_items(s, values).value
    answered = [v for v in values if v is not None]
    if len(answered) < min(need, n) or not answered:
        assert got is None
    else:
        exact = Decimal(repr(math.fsum(answered) * n / len(answered))).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert got == float(exact)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["q1", "q2", "q3", "q4", "q5"]), st.integers(0, 4)))
def test_a_score_that_cannot_be_known_never_makes_an_outcome_hold(answers: dict[str, int]) -> None:
    outcomes = [{"level": "high", "when": "t >= 10 or t < 10"}, {"level": "low", "when": True}]
    rs = rules([{"id": "t", "title": "T", "items": ITEMS}], outcomes=outcomes)
    ev = Scorer(rs).evaluate(answers)
    assert (ev.pt_level == "high") == (ev.scores["t"] is not None)
