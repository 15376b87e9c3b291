"""Answers typed in Spanish (issue 13): sí/no, 'no sé', number words, units and the decimal comma."""

from __future__ import annotations

import pytest

from stm_screen.core.answers import AnswerValueError, parse_answer, parse_typed
from stm_screen.core.localised import localise
from stm_screen.core.ruleset import UNSURE, Ruleset


@pytest.fixture(scope="module")
def es(ruleset: Ruleset) -> Ruleset:
    return localise(ruleset, "es")


@pytest.mark.parametrize(("typed", "value"), [("sí", True), ("Sí", True), ("si", True), ("s", True), ("S", True),
                                             ("no", False), ("N", False)])  # fmt: skip
def test_yes_and_no(es: Ruleset, typed: str, value: bool) -> None:
    assert parse_answer(es.by_id["night_pain"], typed, "es") is value


@pytest.mark.parametrize("typed", ["no sé", "No se", "no lo sé", "no estoy seguro", "No estoy segura", "NS"])
def test_not_sure(es: Ruleset, typed: str) -> None:
    assert parse_answer(es.by_id["night_pain"], typed, "es") == UNSURE


def test_s_is_yes_only_in_spanish(ruleset: Ruleset) -> None:
    with pytest.raises(AnswerValueError):
        parse_answer(ruleset.by_id["night_pain"], "s", "en")


def test_not_sure_is_still_refused_where_it_is_not_offered(es: Ruleset) -> None:
    with pytest.raises(AnswerValueError, match="not sure"):
        parse_answer(es.by_id["fear_of_movement"], "no sé", "es")


@pytest.mark.parametrize(
    ("typed", "months"),
    [
        ("6", 6),
        ("seis meses", 6),
        ("Seis", 6),
        ("6 meses", 6),
        ("1 mes", 1),
        ("2 años", 24),
        ("2 anos", 24),
        ("dos años", 24),
        ("un año y medio", 18),
        ("1,5 años", 18),
        ("2,5", 2.5),
        ("6 semanas", 1.38),
        ("doce meses", 12),
        ("medio año", 6),
    ],
)
def test_durations(es: Ruleset, typed: str, months: float) -> None:
    value, _ = parse_typed(es.by_id["pain_duration_months"], typed, "es")
    assert value == pytest.approx(months, abs=0.01)


def test_a_converted_unit_is_said_in_words(es: Ruleset) -> None:
    value, counted = parse_typed(es.by_id["pain_duration_months"], "2 años", "es")
    assert value == 24 and counted.startswith("2 años") and "24 meses" in counted


def test_age_in_words(es: Ruleset) -> None:
    assert parse_typed(es.by_id["age_years"], "cuarenta años", "es")[0] == 40
    assert parse_typed(es.by_id["age_years"], "40 años", "es")[0] == 40


@pytest.mark.parametrize("typed", ["seis gatos", "muchos años", "1,5,5 años", "años"])
def test_nonsense_is_refused(es: Ruleset, typed: str) -> None:
    with pytest.raises(AnswerValueError):
        parse_typed(es.by_id["pain_duration_months"], typed, "es")

