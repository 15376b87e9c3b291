"""Emergency numbers and crisis lines in patient text: the placeholders and how a country is chosen.

Rules text may say ``{emergency}`` (the number to call in an emergency) and ``{crisis}`` (a crisis line to
talk to today). They are filled from a small per-country table (read by ``stm_screen.io.contacts``) for the
country given with ``--country``, else the one the locale names, else a default that names 112 and 911.
Pure: nothing here reads files or the environment itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

PLACEHOLDERS = ("emergency", "crisis")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
# Locale territories that name the same table entry under another code.
_ALIASES = {"UK": "GB"}


class ContactSource(NamedTuple):
    url: str
    says: str


class Contacts(NamedTuple):
    """What one country's people are told to call."""

    country: str  # ISO 3166 alpha-2, or '' for the default
    name: str
    emergency: str
    crisis: str
    crisis_spanish: str = ""
    sources: tuple[ContactSource, ...] = ()
    by_lang: Mapping[str, tuple[str, str]] = {}  # language -> (emergency, crisis) in that language
    lang: str = "en"  # the language of emergency and crisis

    def for_lang(self, lang: str | None) -> Contacts:
        """The same entry with its words in ``lang`` ('es-MX' is served by 'es'); English when the table
        has no text in that language."""
        if not lang:
            return self
        for code in (lang, lang.split("-", 1)[0]):
            if code == self.lang:
                return self
            if code in self.by_lang:
                emergency, crisis = self.by_lang[code]
                return self._replace(emergency=emergency, crisis=crisis, lang=code)
        return self

    def as_dict(self) -> dict[str, object]:
        return {
            "country": self.country or None,
            "emergency": self.emergency,
            "crisis": self.crisis,
            "sources": [s.url for s in self.sources],
        }


DEFAULT = Contacts(
    country="",
    name="",
    emergency="your local emergency number (112 or 911 work on most mobile phones)",
    crisis="a crisis line in your area",
    by_lang={
        "es": (
            "su número local de emergencias (el 112 o el 911 funcionan en casi todos los celulares y móviles)",
            "una línea de crisis de su zona",
        )
    },
)


class ContactTable(NamedTuple):
    default: Contacts
    countries: Mapping[str, Contacts]
    checked: str = ""

    def lookup(self, country: str | None) -> Contacts:
        """The entry for a country code (any case), or the default."""
        if not country:
            return self.default
        code = normalise_country(country)
        return self.countries.get(code or "", self.default)


def normalise_country(text: str) -> str | None:
    """'gb', 'GB', 'uk' -> 'GB'; None when it is not a two-letter code."""
    code = text.strip()
    if not _COUNTRY.fullmatch(code):
        return None
    code = code.upper()
    return _ALIASES.get(code, code)


def country_from_locale(env: Mapping[str, str]) -> str | None:
    """The territory of the first locale set in LC_ALL, LC_MESSAGES or LANG ('en_GB.UTF-8' -> 'GB')."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if not value:
            continue
        base = value.split(".", 1)[0].split("@", 1)[0]
        if "_" not in base:
            return None  # 'C', 'POSIX', 'en': no territory
        return normalise_country(base.split("_", 1)[1])
    return None


def placeholders(text: str) -> list[str]:
    """The ``{name}`` placeholders in a text, in order."""
    return _PLACEHOLDER.findall(text)


# Spanish joins 'a'/'de' with a following 'el': 'llame a {emergency}' with 'el 112' reads 'llame al 112'.
_CONTRACTIONS = {"es": (re.compile(r"\b([Aa]|[Dd]e) el\b"), lambda m: "al" if m.group(1) in "aA" else "del")}


def fill(text: str, contacts: Contacts | None, lang: str | None = None) -> str:
    """A text with its placeholders replaced by the country's numbers (the default's when None), in
    ``lang`` when the table has that language (else in the entry's own)."""
    if "{" not in text:
        return text
    entry = (contacts or DEFAULT).for_lang(lang)
    values = {"emergency": entry.emergency, "crisis": entry.crisis}
    out = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
    rule = _CONTRACTIONS.get(entry.lang)
    if rule is not None:
        out = rule[0].sub(rule[1], out)
    return out
