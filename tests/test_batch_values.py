"""Cell converters: the export's ways of writing answers, and what is refused."""

from __future__ import annotations

import pytest

from stm_screen.batch.values import ValueOptions, converter, split_converter
from stm_screen.core.answers import AnswerValueError


def conv(ruleset, qid: str, **kw):  # type: ignore[no-untyped-def]
    return converter(ruleset.by_id[qid], ValueOptions(**kw))


@pytest.mark.parametrize(
    ("cell", "want"),
    [("yes", True), ("No", False), ("Y", True), ("n", False), ("TRUE", True), ("false", False), ("1", True),
     ("0", False), ("Checked", True), ("unchecked", False), ("", None), ("  ", None)],
)  # fmt: skip
def test_booleans(ruleset, cell: str, want: object) -> None:  # type: ignore[no-untyped-def]
    assert conv(ruleset, "night_pain")(cell) is want


def test_numbers_and_decimal_comma(ruleset) -> None:  # type: ignore[no-untyped-def]
    c = conv(ruleset, "pain_duration_months")
    assert c("3.5") == 3.5
    assert c("12") == 12
    with pytest.raises(AnswerValueError, match="--decimal-comma"):
        c("3,5")
    assert conv(ruleset, "pain_duration_months", decimal_comma=True)("3,5") == 3.5
    with pytest.raises(AnswerValueError, match="out of range; allowed: a number from 0 to 600 months"):
        c("601")
    with pytest.raises(AnswerValueError, match="not a whole number"):
        conv(ruleset, "pain_intensity")("2.5")


def test_missing_codes_and_value_maps(ruleset) -> None:  # type: ignore[no-untyped-def]
    c = conv(ruleset, "activity_limitation", missing=frozenset({"-99", "unk"}),
             value_map={"most days": 7, "never": 0, "prefer not to say": None})  # fmt: skip
    assert c("-99") is None
    assert c("UNK") is None
    assert c("Most  Days") == 7
    assert c("never") == 0
    assert c("Prefer not to say") is None
    with pytest.raises(AnswerValueError, match="'-98' is out of range"):
        c("-98")


def test_multi_select_joins(ruleset) -> None:  # type: ignore[no-untyped-def]
    c = conv(ruleset, "pain_areas", separators=",;")
    tendon = next(ch.label.default for ch in ruleset.by_id["pain_areas"].choices if ch.id == "tendon")
    assert "," in tendon  # a label that holds the separator
    assert c(f"Lower back,{tendon}") == {"low_back", "tendon"}
    assert c(f"{tendon}, Neck or shoulder") == {"tendon", "neck_shoulder"}
    assert c("Lower back;Somewhere else;") == {"low_back", "other"}  # Microsoft Forms' trailing ';'
    assert c("low_back,neck_shoulder") == {"low_back", "neck_shoulder"}
    assert c(tendon) == {"tendon"}
    assert c(("low_back", "other")) == {"low_back", "other"}  # FHIR: several answers
    with pytest.raises(AnswerValueError, match="'knees' is not a choice.*any of: low_back"):
        c("Lower back,knees")


def test_choice_labels_any_case(ruleset) -> None:  # type: ignore[no-untyped-def]
    c = conv(ruleset, "pain_areas")
    assert c("LOWER BACK") == {"low_back"}


def test_split_columns(ruleset) -> None:  # type: ignore[no-untyped-def]
    q = ruleset.by_id["pain_areas"]
    c = split_converter(q, ("low_back", "neck_shoulder", "other"), ValueOptions(missing=frozenset({"unk"})))
    assert c(("1", "0", "1")) == {"low_back", "other"}
    assert c(("Checked", "Unchecked", "Unchecked")) == {"low_back"}
    assert c(("Lower back", "", "")) == {"low_back"}  # SurveyMonkey: the option text
    assert c(("0", "0", "0")) == frozenset()  # answered: none of these
    assert c(("", "", "")) is None  # not answered
    assert c(("UNK", "", "")) is None


def test_several_answers_for_one_question_are_refused(ruleset) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AnswerValueError, match="2 answers given where one is expected"):
        conv(ruleset, "pain_intensity")(("3", "4"))


UNSURE_LABELS = ["unsure", "Unsure", "Not sure", "NOT SURE", "not sure.", "Don't know", "Don\u2019t know",
                 "I don't know", "I do not know", "I'm not sure", "Not sure / Don't know", "Don't know/Unsure",
                 "dk", "Unknown"]  # fmt: skip


@pytest.mark.parametrize("cell", UNSURE_LABELS)
def test_safety_questions_read_survey_labels_for_not_sure(ruleset, cell: str) -> None:  # type: ignore[no-untyped-def]
    from stm_screen.core.ruleset import UNSURE

    assert conv(ruleset, "cancer_history")(cell) == UNSURE
    assert conv(ruleset, "self_harm_danger")(cell) == UNSURE


def test_not_sure_only_where_the_question_offers_it(ruleset) -> None:  # type: ignore[no-untyped-def]
    from stm_screen.core.ruleset import UNSURE

    assert not ruleset.by_id["pregnant"].unsure and not ruleset.by_id["fear_of_movement"].unsure
    with pytest.raises(AnswerValueError, match="does not take 'not sure'"):
        conv(ruleset, "fear_of_movement")("not sure")
    with pytest.raises(AnswerValueError):
        conv(ruleset, "pregnant")("I don't know")
    # a value map may say which of the export's own codes means 'not sure'
    c = conv(ruleset, "night_pain", value_map={"3": "unsure", "9": None})
    assert c("3") == UNSURE and c("9") is None and c("1") is True
    # 'not sure' is an answer, a blank is not: they stay apart
    assert conv(ruleset, "night_pain")("") is None
    with pytest.raises(AnswerValueError, match="not yes, no or not sure"):
        conv(ruleset, "night_pain")("maybe")
