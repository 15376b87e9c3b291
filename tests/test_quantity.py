"""One number-with-units parser (stm_screen.core.quantity), the same in the questionnaire, score and batch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.core.answers import AnswerValueError, describe, parse_answer, parse_typed
from stm_screen.core.quantity import LANGUAGES, count, format_quantity, parse_quantity

MONTHS = [
    ("6", 6, ""),
    ("6 months", 6, ""),
    ("about 6 months", 6, ""),
    ("around six months", 6, ""),
    ("six months", 6, ""),
    ("18mo", 18, ""),
    ("2 yrs", 24, "2 yrs counted as 24 months"),
    ("1.5 years", 18, "1.5 years counted as 18 months"),
    ("a year and a half", 18, "a year and a half counted as 18 months"),
    ("1 year 6 months", 18, "1 year 6 months counted as 18 months"),
    ("two and a half years", 30, "two and a half years counted as 30 months"),
    ("half a year", 6, "half a year counted as 6 months"),
    ("twenty-four months", 24, ""),
    ("6 months ago", 6, ""),
    ("1 month", 1, ""),
]


@pytest.mark.parametrize(("typed", "value", "said"), MONTHS)
def test_durations_as_people_write_them(ruleset: Any, typed: str, value: float, said: str) -> None:
    q = ruleset.by_id["pain_duration_months"]
    assert parse_typed(q, typed) == (value, said)
    assert parse_answer(q, typed) == value  # score and batch read it the same way


@pytest.mark.parametrize(
    "typed", ["2-3 months", "more than 3 months", "almost 3 months", "6 kg", "a few months", "months", ""]
)
def test_what_is_not_one_number_is_refused_not_guessed(ruleset: Any, typed: str) -> None:
    with pytest.raises(AnswerValueError, match="allowed: a number from 0 to 600 months"):
        parse_answer(ruleset.by_id["pain_duration_months"], typed)


def test_scales_and_ages(ruleset: Any) -> None:
    pain = ruleset.by_id["pain_intensity"]
    assert [parse_answer(pain, t) for t in ("6/10", "6 out of 10", "six", "6")] == [6, 6, 6, 6]
    with pytest.raises(AnswerValueError):
        parse_answer(pain, "6/5")  # another scale
    age = ruleset.by_id["age_years"]
    assert [parse_answer(age, t) for t in ("forty", "40 years old", "40 yrs")] == [40, 40, 40]
    assert describe(pain, 6) == "6/10"


def test_singular_and_plural(ruleset: Any) -> None:
    q = ruleset.by_id["pain_duration_months"]
    assert [describe(q, v) for v in (1, 6, 1.5)] == ["1 month", "6 months", "1.5 months"]
    assert describe(ruleset.by_id["age_years"], 1) == "1 year"
    assert format_quantity(2, "points") == "2 points"
    assert [count(1, "answer"), count(3, "answer"), count(2, "criterion", "criteria")] == [
        "1 answer",
        "3 answers",
        "2 criteria",
    ]


def test_every_language_table_is_complete() -> None:
    """A language is one table: issue 13's Spanish adds one, and the parser does not change."""
    for vocab in LANGUAGES.values():
        assert vocab.numbers and vocab.units and vocab.unit_names and vocab.yes and vocab.no and vocab.unsure
        assert set(vocab.units.values()) <= set(vocab.unit_names)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=600),
    st.sampled_from(["months", "month", "mo", "mths"]),
    st.sampled_from(["", "about ", "around ", "~"]),
)
def test_any_whole_number_of_months_reads_back(n: int, unit: str, approx: str) -> None:
    found = parse_quantity(f"{approx}{n} {unit}")
    assert found is not None and found.value == n and found.unit == "months"


def test_score_and_batch_read_units_and_words(tmp_path: Path, ruleset: Any) -> None:
    answers = dict(ruleset.examples[0].answers)
    answers["pain_duration_months"] = "about six months"
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers))
    scored = CliRunner().invoke(app, ["score", str(path), "--format", "json"])
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["answers"]["pain_duration_months"] == 6
    # every column: the follow-up questions that two years of back pain make apply are answered no
    answers = {q.id: answers.get(q.id, False if q.type == "boolean" else "") for q in ruleset.questions}
    header = ["id", *answers]
    cells = ["r1", *("2 yrs" if k == "pain_duration_months" else _cell(v) for k, v in answers.items())]
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(",".join(header) + "\n" + ",".join(cells) + "\n")
    batch = CliRunner().invoke(app, ["batch", str(csv_file), "--format", "jsonl"])
    assert batch.exit_code == 0, batch.output
    row = json.loads(batch.stdout.splitlines()[0])
    assert row["status"] == "ok" and "long_lasting_pain" in row["criteria_met"]


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


SPANISH = [
    ("seis meses", 6),
    ("2 años", 24),
    ("1,5 años", 18),
    ("un año y medio", 18),
    ("dos años y medio", 30),
    ("medio año", 6),
    ("treinta y seis meses", 36),
    ("unos 6 meses", 6),
    ("más o menos seis meses", 6),
    ("hace 8 semanas", 1.84),
    ("1 año y 6 meses", 18),
    ("six months", 6),  # English is understood in every language
]


@pytest.mark.parametrize(("typed", "months"), SPANISH)
def test_spanish_is_one_more_table_for_the_same_parser(ruleset: Any, typed: str, months: float) -> None:
    from stm_screen.core.localised import localise

    q = localise(ruleset, "es").by_id["pain_duration_months"]
    assert parse_typed(q, typed, "es")[0] == pytest.approx(months, abs=0.01)


@pytest.mark.parametrize("typed", ["más de 3 meses", "casi 3 meses", "2-3 meses", "unos meses", "muchos años"])
def test_spanish_qualified_numbers_are_refused_not_guessed(ruleset: Any, typed: str) -> None:
    from stm_screen.core.localised import localise

    with pytest.raises(AnswerValueError):
        parse_typed(localise(ruleset, "es").by_id["pain_duration_months"], typed, "es")


def test_files_and_exports_read_every_languages_words(ruleset: Any) -> None:
    """No language (score, batch): Spanish words too, but a comma is a decimal mark only when asked."""
    q = ruleset.by_id["pain_duration_months"]
    assert [parse_answer(q, t) for t in ("seis meses", "2 años", "un año y medio")] == [6, 24, 18]
    with pytest.raises(AnswerValueError):
        parse_answer(q, "1,5 años")
    assert parse_answer(q, "1,5 años", decimal_comma=True) == 18
    assert parse_answer(ruleset.by_id["night_pain"], "no sé") == "unsure"
    assert "es" in LANGUAGES and LANGUAGES["es"].decimal_comma
