"""pt-screen in Spanish (issue 13): every text, its reading level, its emergency numbers, and what it says
under a warning sign, checked on the bundled rules and through the tool."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.core.answers import check_answers
from stm_screen.core.contacts import placeholders
from stm_screen.core.explain import explain
from stm_screen.core.localised import localise
from stm_screen.core.ruleset import Ruleset, Words
from stm_screen.io.contacts import contacts_for
from stm_screen.render.text import render_plain
from tests.readability import (
    FAIRLY_EASY_FERNANDEZ_HUERTA,
    FAIRLY_EASY_SZIGRISZT_PAZOS,
    patient_texts,
    spanish_scores,
)

runner = CliRunner()


def every_words(rs: Ruleset) -> list[tuple[str, Words]]:
    out: list[tuple[str, Words]] = [
        ("title", rs.title),
        ("description", rs.description),
        ("disclaimer", rs.disclaimer),
    ]
    out += [(f"section {s.id}", w) for s in rs.sections.values() for w in (s.title, s.intro)]
    for q in rs.questions:
        out += [(f"question {q.id}", w) for w in (q.text, q.help, q.unit)]
        out += [(f"choice {q.id}.{c.id}", c.label) for c in q.choices]
    out += [(f"red flag {r.id}", w) for r in rs.red_flags for w in (r.title, r.message)]
    out += [(f"criterion {c.id}", w) for c in rs.criteria for w in (c.title, c.explanation)]
    out += [(f"score {s.id}", s.title) for s in rs.scores]
    out += [(f"level {lv.id}", w) for lv in rs.levels for w in (lv.title, lv.advice, *lv.next_steps)]
    assert rs.unchecked is not None
    out += [("unchecked", w) for w in (rs.unchecked.title, rs.unchecked.advice, *rs.unchecked.next_steps)]
    out += [(f"outcome {i}", o.explanation) for i, o in enumerate(rs.outcomes)]
    out += [(f"note {n.id}", n.text) for n in rs.notes]
    return [(where, w) for where, w in out if str(w)]


def test_every_text_is_in_english_and_spanish(ruleset: Ruleset) -> None:
    assert ruleset.languages == ("en", "es")
    assert ruleset.warnings == ()  # `rules check` has nothing to warn about
    for where, w in every_words(ruleset):
        assert set(w.by_lang) == {"en", "es"}, where
        assert w.by_lang["es"].strip() and w.by_lang["es"] != w.by_lang["en"] or where.startswith("choice"), (
            where
        )


def test_spanish_keeps_every_placeholder(ruleset: Ruleset) -> None:
    """A message that names the emergency number in English names it in Spanish, and nothing more."""
    for where, w in every_words(ruleset):
        assert sorted(placeholders(w.by_lang["es"])) == sorted(placeholders(w.by_lang["en"])), where


def test_spanish_reading_level_is_fairly_easy_or_easier(ruleset: Ruleset) -> None:
    hard = []
    checked = 0
    for where, text in patient_texts(ruleset, "es"):
        if len(text.split()) < 8:
            continue
        checked += 1
        fh, sp = spanish_scores(text)
        if fh < FAIRLY_EASY_FERNANDEZ_HUERTA and sp < FAIRLY_EASY_SZIGRISZT_PAZOS:
            hard.append(f"{where}: Fernández-Huerta {fh:.0f}, Szigriszt-Pazos {sp:.0f}: {text}")
    assert checked > 150
    assert not hard, "\n".join(hard)


def test_the_spanish_scales_tell_hard_text_from_easy() -> None:
    """The check can fail: a dense clinical sentence scores below 'fairly easy' on both scales."""
    dense = (
        "La sintomatología neurológica progresiva, acompañada de alteraciones esfinterianas, requiere "
        "valoración hospitalaria inmediata para descartar compresión medular o radicular significativa."
    )
    fh, sp = spanish_scores(dense)
    assert fh < FAIRLY_EASY_FERNANDEZ_HUERTA and sp < FAIRLY_EASY_SZIGRISZT_PAZOS
    fh, sp = spanish_scores("Vaya hoy a ver a un médico. No espere a ver si se le pasa.")
    assert fh >= FAIRLY_EASY_FERNANDEZ_HUERTA


TU_WORDS = re.compile(
    r"\b(tú|tu|tus|ti|contigo|tienes|puedes|eres|estás|quieres|sientes|haz|ve a)\b", re.IGNORECASE
)


def test_spanish_speaks_to_the_person_as_usted(ruleset: Ruleset) -> None:
    for where, w in every_words(ruleset):
        assert not TU_WORDS.search(w.by_lang["es"]), where


def test_fisioterapia_is_the_word_and_terapia_fisica_is_said_once(ruleset: Ruleset) -> None:
    spanish = " ".join(w.by_lang["es"] for _, w in every_words(ruleset))
    assert spanish.lower().count("terapia física") == 1
    assert "(también llamada terapia física)" in ruleset.description.by_lang["es"]
    assert spanish.lower().count("fisioterap") >= 10
    assert "physical" not in spanish.lower() and "physio" not in spanish.lower()


# --- emergency numbers and crisis lines in Spanish ---------------------------------------------------------


def spanish_result(ruleset: Ruleset, country: str | None, **changes: Any) -> Any:
    es = localise(ruleset, "es", country)
    contacts, _ = contacts_for(country, {}, "es")
    answers = {**ruleset.examples[0].answers, **changes}
    return explain(es, check_answers(es, answers), contacts=contacts)


@pytest.mark.parametrize(
    ("country", "must"),
    [
        ("ES", ["llame ahora al 112", "024"]),
        ("MX", ["llame ahora al 911", "Línea de la Vida", "800 911 2000"]),
        ("US", ["llame ahora al 911", "988", "marque 2", "AYUDA"]),
        (None, ["su número local de emergencias", "112", "911", "una línea de crisis de su zona"]),
    ],
)
def test_self_harm_advice_names_the_countrys_lines_in_spanish(
    ruleset: Ruleset, country: str | None, must: list[str]
) -> None:
    result = spanish_result(ruleset, country, self_harm_thoughts=True, self_harm_danger=False)
    message = result.red_flags[0].explanation
    for fragment in must:
        assert fragment in message, (fragment, message)
    assert "{" not in message and " a el " not in message and " de el " not in message


@pytest.mark.parametrize(
    ("country", "number"), [("ES", "112"), ("MX", "911"), ("US", "911"), ("AR", "112 o el 911")]
)
def test_every_emergency_in_spanish_names_the_number(ruleset: Ruleset, country: str, number: str) -> None:
    for ex in ruleset.examples:
        if ex.level != "emergency":
            continue
        result = spanish_result(ruleset, country, **{k: v for k, v in ex.answers.items() if v is not None})
        for finding in result.red_flags:
            if (
                "{emergency}"
                in next(rf for rf in ruleset.red_flags if rf.id == finding.id).message.by_lang["es"]
            ):
                assert number in finding.explanation, (ex.name, finding.explanation)
                assert re.search(r"\bllam(e|ar)\b", finding.explanation, re.IGNORECASE), finding.explanation


def test_every_country_has_spanish_numbers_that_match_its_english_ones() -> None:
    from stm_screen.io.contacts import load_table

    table = load_table()
    for entry in [table.default, *table.countries.values()]:
        assert "es" in entry.by_lang, entry.country
        emergency, crisis = entry.by_lang["es"]
        digits = re.compile(r"\d[\d -]*\d|\d")
        assert {d.replace(" ", "") for d in digits.findall(emergency)} == {
            d.replace(" ", "") for d in digits.findall(entry.emergency)
        }, entry.country
        assert {d.replace(" ", "") for d in digits.findall(crisis)} >= {
            d.replace(" ", "") for d in digits.findall(entry.crisis)
        }, entry.country
    us_es = table.countries["US"].by_lang["es"][1]
    assert "988" in us_es and "marque 2" in us_es and "AYUDA" in us_es


# --- under a warning sign, in Spanish --------------------------------------------------------------------

PT_WORDS_ES = re.compile(
    r"se recomienda ver a un fisioterapeuta|quizás le convenga ver|cita de fisioterapia|con las manos|"
    r"tejidos blandos|puntuación|█",
    re.IGNORECASE,
)


def test_no_physical_therapy_advice_under_a_warning_sign_in_spanish(ruleset: Ruleset) -> None:
    for ex in ruleset.examples:
        result = spanish_result(ruleset, "MX", **{k: v for k, v in ex.answers.items() if v is not None})
        if result.level not in ("see_doctor", "emergency"):
            continue
        text = render_plain(result)
        assert not PT_WORDS_ES.search(text), ex.name


# --- through the tool --------------------------------------------------------------------------------------


def test_score_in_spanish_from_the_locale(tmp_path: Path, ruleset: Ruleset) -> None:
    answers = {**ruleset.examples[0].answers, "calf_swelling": True}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    out = runner.invoke(app, ["score", str(path), "--format", "json"], env={"LANG": "es_MX.UTF-8", "LC_MESSAGES": None})
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["level"] == "see_doctor"  # ids and levels do not change with the language
    assert data["title"] == "Por favor, vea a un médico antes de la fisioterapia"
    assert "llame ahora al 911" in data["red_flags"][0]["explanation"]
    english = runner.invoke(app, ["score", str(path), "--format", "json", "--lang", "en", "--country", "MX"])
    assert json.loads(english.stdout)["level"] == data["level"]
    assert json.loads(english.stdout)["title"] == "Please see a doctor before physical therapy"


def test_rules_show_in_spanish() -> None:
    out = runner.invoke(app, ["rules", "show", "--lang", "es", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["lang"] == "es" and data["title"] == "¿Debo ver a un fisioterapeuta por mi dolor?"
    assert data["questions"][0]["text"] == "¿Qué edad tiene?" and data["questions"][0]["unit"] == "años"


def test_stm_screen_lang_chooses_spanish(tmp_path: Path, ruleset: Ruleset) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(dict(ruleset.examples[0].answers)), encoding="utf-8")
    out = runner.invoke(app, ["score", str(path), "--format", "json"], env={"STM_SCREEN_LANG": "es"})
    assert json.loads(out.stdout)["title"] == "Por ahora puede cuidarse en casa"


def test_the_built_in_default_matches_the_tables_default() -> None:
    from stm_screen.core.contacts import DEFAULT
    from stm_screen.io.contacts import load_table

    table = load_table().default
    assert (DEFAULT.emergency, DEFAULT.crisis) == (table.emergency, table.crisis)
    assert DEFAULT.by_lang == table.by_lang
