"""Languages: which one a person gets, how a rules text is found in it, and words that change by country.

A rules text is written ``text: Plain words`` (the ruleset's first language) or ``text: {en: ..., es: ...}``.
:func:`resolve` finds a text in a language with these fallbacks, in order: the language with its region
(``es-MX``), the language alone (``es``), the ruleset's first language, then the ruleset's other languages in
the order they are declared. ``rules check`` makes sure that safety text never needs a fallback (see
``core.ruleset``).

:func:`choose_language` picks the language: ``--lang``, else ``STM_SCREEN_LANG``, else the locale (the first of
``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set: ``es_MX.UTF-8`` is ``es``), else the ruleset's first
language. A language the ruleset is not written in is skipped (with a note for ``STM_SCREEN_LANG``); asking
for one with ``--lang`` is a usage error.

:func:`region_terms` gives the words a country uses: "physiotherapy" in the United Kingdom, Ireland,
Australia, New Zealand, Canada and India, "physical therapy" elsewhere.

Pure: nothing here reads files or the environment itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from stm_screen.errors import UsageError

# A language code as rules files write it: 'en', 'es', 'pt-BR' (ISO 639-1 or -2, optional ISO 3166 region).
LANG_CODE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
ENV_LANG = "STM_SCREEN_LANG"
LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG")

# Names of languages in themselves, for menus and form exports ("Español (es)").
NATIVE_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt": "Português",
    "it": "Italiano",
    "ca": "Català",
    "zh": "中文",
    "ar": "العربية",
}


def native_name(code: str) -> str:
    return NATIVE_NAMES.get(code, NATIVE_NAMES.get(code.split("-", 1)[0], code))


def normalise_lang(text: str) -> str | None:
    """'es', 'ES', 'es_MX', 'es-mx', 'es_MX.UTF-8', 'es_ES@euro' -> 'es' or 'es-MX'; None for 'C', 'POSIX',
    '' or anything that is not a language code."""
    base = text.strip().split(".", 1)[0].split("@", 1)[0].replace("_", "-")
    if not base or base.upper() in ("C", "POSIX"):
        return None
    lang, _, region = base.partition("-")
    code = lang.lower() + (f"-{region.upper()}" if region else "")
    return code if LANG_CODE.fullmatch(code) else None


def candidates(code: str) -> list[str]:
    """The codes to try for a language, most specific first: 'es-MX' -> ['es-MX', 'es']."""
    base = code.split("-", 1)[0]
    return [code, base] if base != code else [code]


def best_match(code: str, available: Sequence[str]) -> str | None:
    """The available language that serves ``code`` ('es-MX' is served by 'es-MX', else 'es'), or None."""
    for c in candidates(code):
        if c in available:
            return c
    base = code.split("-", 1)[0]
    for a in available:  # 'es' asked, only 'es-MX' written: it still serves
        if a.split("-", 1)[0] == base:
            return a
    return None


def resolve(texts: Mapping[str, str], lang: str | None, languages: Sequence[str]) -> str:
    """A text in ``lang``, with the module's fallbacks; '' when there is no text at all."""
    for code in [*(candidates(lang) if lang else ()), *languages, *texts]:
        if code in texts:
            return texts[code]
    return ""


class LanguageChoice(NamedTuple):
    """The language chosen, where it came from, and a note to show the person ('' for none)."""

    lang: str
    source: str  # 'option', 'STM_SCREEN_LANG', 'LC_ALL', 'LC_MESSAGES', 'LANG' or 'ruleset'
    note: str = ""

    @property
    def chosen(self) -> bool:
        """The person (or their set-up) chose it, rather than the ruleset's first language being used."""
        return self.source != "ruleset"


def locale_language(env: Mapping[str, str]) -> tuple[str, str] | None:
    """(variable, language) of the locale: the first of LC_ALL, LC_MESSAGES, LANG that is set decides."""
    for var in LOCALE_VARS:
        value = env.get(var, "")
        if value:
            code = normalise_lang(value)
            return (var, code) if code else None
    return None


def choose_language(
    option: str | None,
    env: Mapping[str, str],
    available: Sequence[str],
    offered: str = "ruleset",
) -> LanguageChoice:
    """The language for a run; raises :class:`UsageError` for a ``--lang`` the ruleset is not written in.
    ``offered`` says whose languages ``available`` are: the ruleset's (default) or the "tool"'s."""
    from stm_screen.i18n import _  # here: the catalogue module chooses its own language with this function

    first = available[0] if available else "en"
    said = _("this tool speaks") if offered == "tool" else _("this ruleset is written in")
    langs = f"{said} {', '.join(available) or first}"
    if option is not None:
        code = normalise_lang(option)
        if code is None:
            raise UsageError(
                _("--lang takes a language code such as en or es (got '{value}')").format(value=option[:20])
            )
        match = best_match(code, available)
        if match is None:
            raise UsageError(
                _("--lang {code}: {languages}; choose one of them").format(code=code, languages=langs)
            )
        return LanguageChoice(match, "option")
    note = ""
    value = env.get(ENV_LANG, "").strip()
    if value:
        code = normalise_lang(value)
        match = best_match(code, available) if code else None
        if match is not None:
            return LanguageChoice(match, ENV_LANG)
        note = _("{setting}: {languages}; that setting is not used").format(
            setting=f"{ENV_LANG}={value[:20]}", languages=langs
        )
    found = locale_language(env)
    if found is not None:
        match = best_match(found[1], available)
        if match is not None:
            return LanguageChoice(match, found[0], note)
    return LanguageChoice(first, "ruleset", note)


# --- words that differ by country -----------------------------------------------------------------------

PHYSIOTHERAPY_COUNTRIES = frozenset({"GB", "IE", "AU", "NZ", "CA", "IN"})


class Term(NamedTuple):
    """In ``lang`` and for ``countries``: replace ``pattern`` (a whole-word regular expression) by ``words``."""

    lang: str
    countries: frozenset[str]
    pattern: re.Pattern[str]
    words: str


def _term(lang: str, countries: Iterable[str], pattern: str, words: str) -> Term:
    return Term(lang, frozenset(countries), re.compile(pattern, re.IGNORECASE), words)


REGION_TERMS: tuple[Term, ...] = (
    # "physical therapy (physiotherapy)" names both; where physiotherapy is the word, it alone is enough.
    _term("en", PHYSIOTHERAPY_COUNTRIES, r"\bphysical therapy \(physiotherapy\)", "physiotherapy"),
    _term("en", PHYSIOTHERAPY_COUNTRIES, r"\bphysical therapist", "physiotherapist"),
    _term("en", PHYSIOTHERAPY_COUNTRIES, r"\bphysical therapy\b", "physiotherapy"),
    _term("en", PHYSIOTHERAPY_COUNTRIES, r"\bphysical-therapy\b", "physiotherapy"),
)


def _same_case(found: str, words: str) -> str:
    return words[:1].upper() + words[1:] if found[:1].isupper() else words


def region_terms(text: str, lang: str | None, country: str | None) -> str:
    """``text`` with the words its country uses ('physical therapist' -> 'physiotherapist' in GB)."""
    if not country or not text:
        return text
    base = (lang or "").split("-", 1)[0]
    for term in REGION_TERMS:
        if term.lang == base and country in term.countries:
            words = term.words
            text = term.pattern.sub(lambda m: _same_case(m.group(0), words), text)  # noqa: B023 - used at once
    return text
