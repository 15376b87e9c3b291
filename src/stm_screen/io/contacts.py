"""Reading the bundled table of emergency numbers and crisis lines, and choosing the person's entry.

The table is ``stm_screen/contacts/contacts.yaml`` (each entry with its sources; see docs/contacts.md). The
country comes from ``--country CC``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``en_GB.UTF-8``
is GB), else the default entry, which names 112 and 911.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from stm_screen.core.contacts import (
    DEFAULT,
    Contacts,
    ContactSource,
    ContactTable,
    country_from_locale,
    normalise_country,
)
from stm_screen.errors import UsageError

TABLE = Path(__file__).resolve().parent.parent / "contacts" / "contacts.yaml"


class ContactsFileError(Exception):
    """The bundled contacts table is damaged (a packaging fault, never a user's mistake)."""


def _entry(code: str, data: Any) -> Contacts:
    if not isinstance(data, Mapping):
        raise ContactsFileError(f"contacts table: entry '{code}' is not a mapping")
    for key in ("emergency", "crisis"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ContactsFileError(f"contacts table: entry '{code}' has no '{key}'")
    sources = tuple(
        ContactSource(str(s.get("url", "")), str(s.get("says", "")))
        for s in data.get("sources") or ()
        if isinstance(s, Mapping)
    )
    by_lang: dict[str, tuple[str, str]] = {}
    for lang, words in (data.get("languages") or {}).items():
        if not isinstance(words, Mapping) or not all(
            isinstance(words.get(k), str) and words[k].strip() for k in ("emergency", "crisis")
        ):
            raise ContactsFileError(f"contacts table: entry '{code}' has no '{lang}' emergency and crisis")
        by_lang[str(lang)] = (" ".join(words["emergency"].split()), " ".join(words["crisis"].split()))
    return Contacts(
        country=code,
        name=str(data.get("name", "")),
        emergency=" ".join(data["emergency"].split()),
        crisis=" ".join(data["crisis"].split()),
        crisis_spanish=" ".join(str(data.get("crisis_spanish", "")).split()),
        sources=sources,
        by_lang=by_lang,
    )


@lru_cache(maxsize=1)
def load_table(path: Path = TABLE) -> ContactTable:
    """The bundled table, checked: every entry has an emergency number, a crisis line and sources."""
    from stm_screen.rules.cache import load_data

    data = load_data(path)  # parsed once per version of the table (see stm_screen.rules.cache)
    if not isinstance(data, Mapping) or not isinstance(data.get("countries"), Mapping):
        raise ContactsFileError("contacts table: no 'countries'")
    default = _entry("", data.get("default") or {}) if data.get("default") else DEFAULT
    countries = {}
    for code, entry in data["countries"].items():
        norm = normalise_country(str(code))
        if norm is None or norm != str(code):
            raise ContactsFileError(f"contacts table: '{code}' is not an upper-case two-letter country code")
        countries[norm] = _entry(norm, entry)
    return ContactTable(default, countries, str(data.get("checked", "")))


def contacts_for(
    country: str | None, env: Mapping[str, str] | None = None, lang: str | None = None
) -> tuple[Contacts, str]:
    """The entry for ``--country`` (else the locale's country, else the default) in ``lang``, and a note to
    show when a country was asked for that the table does not hold ('' otherwise)."""
    entry, note = _contacts_for(country, env)
    return entry.for_lang(lang), note


def chosen_country(country: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """The country whose words and numbers are used: ``--country``, else the locale's (None if neither)."""
    if country is not None:
        return normalise_country(country)
    return country_from_locale(os.environ if env is None else env)


def _contacts_for(country: str | None, env: Mapping[str, str] | None) -> tuple[Contacts, str]:
    table = load_table()
    if country is not None:
        code = normalise_country(country)
        if code is None:
            raise UsageError(
                f"--country takes a two-letter country code such as US, GB or ES (got '{country[:20]}')"
            )
        if code not in table.countries:
            known = ", ".join(sorted(table.countries))
            return table.default, (
                f"no emergency numbers are bundled for {code} (bundled: {known}); "
                "the result names 112 and 911, which work on most mobile phones"
            )
        return table.countries[code], ""
    code = country_from_locale(os.environ if env is None else env)
    return table.lookup(code), ""
