"""Languages (issue 13): choosing one, finding a text in it, country words, and `rules check` of languages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.core.contacts import DEFAULT, fill
from stm_screen.core.language import (
    best_match,
    choose_language,
    normalise_lang,
    region_terms,
    resolve,
)
from stm_screen.core.localised import localise
from stm_screen.errors import RulesError, UsageError
from stm_screen.rules.loader import load_ruleset

MINIMAL = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")
runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("es", "es"),
        ("ES", "es"),
        ("es_MX.UTF-8", "es-MX"),
        ("es-mx", "es-MX"),
        ("es_ES@euro", "es-ES"),
        ("en_GB.ISO-8859-1", "en-GB"),
        ("C", None),
        ("POSIX", None),
        ("C.UTF-8", None),
        ("", None),
        ("1234", None),
        ("español", None),
    ],
)
def test_language_codes(text: str, code: str | None) -> None:
    assert normalise_lang(text) == code


def test_a_regional_language_is_served_by_its_language() -> None:
    assert best_match("es-MX", ["en", "es"]) == "es"
    assert best_match("es-MX", ["en", "es-MX", "es"]) == "es-MX"
    assert best_match("es", ["en", "es-419"]) == "es-419"
    assert best_match("fr", ["en", "es"]) is None


def test_a_text_falls_back_to_the_region_then_the_language_then_the_first_language() -> None:
    texts = {"en": "Hello", "es": "Hola", "es-AR": "Che"}
    assert resolve(texts, "es-AR", ["en", "es", "es-AR"]) == "Che"
    assert resolve(texts, "es-MX", ["en", "es", "es-AR"]) == "Hola"
    assert resolve(texts, "fr", ["en", "es"]) == "Hello"
    assert resolve({"es": "Hola"}, "en", ["en", "es"]) == "Hola"  # never nothing when a text exists
    assert resolve({}, "en", ["en"]) == ""


ES_EN = ("en", "es")


@pytest.mark.parametrize(
    ("option", "env", "lang", "source"),
    [
        ("es", {"STM_SCREEN_LANG": "en", "LANG": "en_US.UTF-8"}, "es", "option"),
        (None, {"STM_SCREEN_LANG": "es", "LANG": "en_US.UTF-8"}, "es", "STM_SCREEN_LANG"),
        (None, {"LC_ALL": "es_MX.UTF-8", "LANG": "en_US.UTF-8"}, "es", "LC_ALL"),
        (None, {"LC_MESSAGES": "es_ES.UTF-8", "LANG": "en_US.UTF-8"}, "es", "LC_MESSAGES"),
        (None, {"LANG": "es_MX.UTF-8"}, "es", "LANG"),
        (None, {"LC_ALL": "C", "LANG": "es_MX.UTF-8"}, "en", "ruleset"),  # LC_ALL decides, even as C
        (None, {"LANG": "fr_FR.UTF-8"}, "en", "ruleset"),
        (None, {}, "en", "ruleset"),
    ],
)
def test_the_language_is_chosen_in_order(
    option: str | None, env: dict[str, str], lang: str, source: str
) -> None:
    choice = choose_language(option, env, ES_EN)
    assert (choice.lang, choice.source) == (lang, source)
    assert choice.chosen == (source != "ruleset")


def test_a_setting_for_a_language_the_ruleset_lacks_is_said_and_passed_over() -> None:
    choice = choose_language(None, {"STM_SCREEN_LANG": "fr", "LANG": "es_MX.UTF-8"}, ES_EN)
    assert choice.lang == "es" and "STM_SCREEN_LANG=fr" in choice.note and "en, es" in choice.note
    with pytest.raises(UsageError, match=r"--lang fr: this ruleset is written in en, es"):
        choose_language("fr", {}, ES_EN)
    with pytest.raises(UsageError, match="language code"):
        choose_language("???", {}, ES_EN)


@pytest.mark.parametrize(
    ("country", "text", "shown"),
    [
        ("GB", "Seeing a physical therapist is recommended", "Seeing a physiotherapist is recommended"),
        ("AU", "Physical therapy may help.", "Physiotherapy may help."),
        (
            "IE",
            "reasons to think about physical therapy (physiotherapy).",
            "reasons to think about physiotherapy.",
        ),
        ("IN", "a physical-therapy result", "a physiotherapy result"),
        ("CA", "book a physical therapy assessment", "book a physiotherapy assessment"),
        ("NZ", "Physical therapists", "Physiotherapists"),
        ("US", "Seeing a physical therapist is recommended", "Seeing a physical therapist is recommended"),
        (None, "physical therapy (physiotherapy)", "physical therapy (physiotherapy)"),
    ],
)
def test_english_says_physiotherapy_where_the_country_does(
    country: str | None, text: str, shown: str
) -> None:
    assert region_terms(text, "en", country) == shown


def test_region_terms_leave_other_languages_alone() -> None:
    assert region_terms("fisioterapia (physical therapy)", "es", "GB") == "fisioterapia (physical therapy)"


def test_a_localised_ruleset_speaks_the_country_words(ruleset) -> None:  # type: ignore[no-untyped-def]
    gb = localise(ruleset, "en", "GB")
    assert str(gb.level_by_id["pt_recommended"].title) == "Seeing a physiotherapist is recommended"
    assert "physical therap" not in str(gb.description).lower()
    assert gb.sha256 == ruleset.sha256 and gb.examples == ruleset.examples
    us = localise(ruleset, "en", "US")
    assert str(us.level_by_id["pt_recommended"].title) == "Seeing a physical therapist is recommended"


def test_fill_joins_spanish_articles() -> None:
    assert fill("Llame a {emergency} ahora.", DEFAULT, "es").startswith(
        "Llame a su número local de emergencias"
    )
    from stm_screen.io.contacts import contacts_for

    es, _ = contacts_for("ES", lang="es")
    assert fill("Llame a {emergency} ahora.", es) == "Llame al 112 ahora."
    mx, _ = contacts_for("MX", lang="es-MX")
    assert (
        fill("Hable con {crisis}.", mx)
        == "Hable con la Línea de la Vida: llame al 800 911 2000, gratis, a cualquier hora."
    )


# --- rules check ------------------------------------------------------------------------------------------


def two_languages(text: str) -> str:
    """The minimal ruleset declaring English and Spanish, with every safety text in both."""
    out = text.replace("title: Minimal test ruleset\n", "title: Minimal test ruleset\nlanguages: [en, es]\n")
    out = out.replace(
        "disclaimer: A screening aid, not a diagnosis.",
        "disclaimer: {en: 'A screening aid, not a diagnosis.', es: 'Una ayuda de cribado, no un diagnóstico.'}",
    )
    out = out.replace("    text: Fever?\n", "    text: {en: Fever?, es: ¿Fiebre?}\n")
    out = out.replace(
        "    title: Fever\n    message: See a doctor today.\n",
        "    title: {en: Fever, es: Fiebre}\n    message: {en: See a doctor today., es: Vea a un médico hoy.}\n",
    )
    out = out.replace(
        "  - {id: see_doctor, title: Doctor, advice: See a doctor.}",
        "  - {id: see_doctor, title: {en: Doctor, es: Médico}, advice: {en: See a doctor., es: Vea a un médico.}}",
    )
    out = out.replace(
        "  - {id: safety, title: Safety, safety: true}",
        "  - {id: safety, title: {en: Safety, es: Seguridad}, safety: true}",
    )
    return out


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_other_missing_texts_are_warned_about_with_file_and_line(tmp_path: Path) -> None:
    text = two_languages(MINIMAL)
    path = write(tmp_path, text)
    out = runner.invoke(app, ["rules", "check", str(path)])
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("ok: minimal")
    warnings = [x.removeprefix("stm-screen: ") for x in out.stderr.splitlines() if "warning: " in x]
    line = line_of(text, "text: How many months?")
    assert (
        f"warning: {path}:{line}:11: questions[1] 'months'.text: no 'es' text; the 'en' text is shown instead"
        in warnings
    )
    lines = [int(w.split(":")[2]) for w in warnings]
    assert lines == sorted(lines)
    assert not any("fever" in w or "see_doctor" in w or "disclaimer" in w for w in warnings)
    assert any(f":{line_of(text, 'title: Long')}:" in w and "criteria[1] 'long'.title" in w for w in warnings)


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        (
            "message: {en: See a doctor today., es: Vea a un médico hoy.}",
            "message: See a doctor today.",
            "red_flags[1] 'fever_flag'.message: no 'es' text; safety text",
        ),
        (
            "disclaimer: {en: 'A screening aid, not a diagnosis.', es: 'Una ayuda de cribado, no un diagnóstico.'}",
            "disclaimer: A screening aid, not a diagnosis.",
            "disclaimer: no 'es' text",
        ),
        (
            "advice: {en: See a doctor., es: Vea a un médico.}",
            "advice: {en: See a doctor.}",
            "levels[3] 'see_doctor'.advice: no 'es' text",
        ),
        (
            "text: {en: Fever?, es: ¿Fiebre?}",
            "text: {es: ¿Fiebre?}",
            "questions[5] 'fever'.text: no 'en' text",
        ),
    ],
)
def test_safety_text_missing_a_declared_language_is_an_error(
    tmp_path: Path, old: str, new: str, fragment: str
) -> None:
    text = two_languages(MINIMAL)
    assert old in text
    text = text.replace(old, new)
    path = write(tmp_path, text)
    out = runner.invoke(app, ["rules", "check", str(path)])
    assert out.exit_code == 2
    line = line_of(text, new)
    assert re.search(rf"{re.escape(str(path))}:{line}:\d+: .*{re.escape(fragment)}", out.stderr), out.stderr


def test_a_text_in_an_undeclared_language_is_an_error(tmp_path: Path) -> None:
    text = two_languages(MINIMAL).replace("text: Stiff?", "text: {en: Stiff?, es: ¿Rigidez?, fr: Raide ?}")
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as info:
        load_ruleset(path)
    line = line_of(text, "fr: Raide")
    assert any(
        f":{line}:" in x and "'fr' is not one of the ruleset's languages (en, es)" in x
        for x in info.value.lines()
    ), info.value.lines()


def test_a_spanish_only_emergency_message_in_an_english_ruleset_is_refused(tmp_path: Path) -> None:
    """The bug behind the issue: such a message was shown to English users as it was."""
    text = MINIMAL.replace("message: See a doctor today.", "message: {es: Vea a un médico hoy.}")
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as info:
        load_ruleset(path)
    lines = info.value.lines()
    assert any("'es' is not one of the ruleset's languages (en)" in x for x in lines), lines
    assert any("no 'en' text; safety text" in x for x in lines), lines


def test_languages_must_be_codes(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "title: Minimal test ruleset\n", "title: Minimal test ruleset\nlanguages: [en, Spanish, en]\n"
    )
    with pytest.raises(RulesError) as info:
        load_ruleset(write(tmp_path, text))
    lines = "\n".join(info.value.lines())
    assert "'Spanish' is not a language code" in lines and "'en' is listed twice" in lines


def test_rules_show_lang_refuses_a_language_the_ruleset_lacks() -> None:
    out = runner.invoke(app, ["rules", "show", "--lang", "xx", "--format", "json"])
    assert out.exit_code == 2
    assert "--lang xx: this ruleset is written in" in out.stderr


def test_rules_show_json_names_its_language() -> None:
    out = runner.invoke(app, ["rules", "show", "--format", "json"])
    assert out.exit_code == 0
    assert json.loads(out.stdout)["lang"] == "en"
