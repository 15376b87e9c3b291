"""The tool's own words in the person's language: gettext catalogues shipped in the package.

Every string the tool shows a person is written in English in the code and marked ``_("...")`` (or
``ngettext`` for counts, ``N_`` for text defined before a language is chosen, translated where it is shown).
The catalogues live in ``stm_screen/locale/<lang>/LC_MESSAGES/stm_screen.po``; the compiled ``.mo`` files are
built from them by the package build (``hatch_build.py``, with Babel) and shipped in the wheel. Nothing is
compiled at run time: a language without a compiled catalogue is shown in English.

Rulesets carry their own texts in each language (``core.language``); this module is only for the tool's.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from stm_screen.core.language import choose_language

DOMAIN = "stm_screen"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE_LANGUAGE = "en"

_state: dict[str, gettext.NullTranslations | str] = {
    "translation": gettext.NullTranslations(),
    "lang": SOURCE_LANGUAGE,
    "person": SOURCE_LANGUAGE,  # the language of the person who ran the command (not a block's, see speaking)
}


def _(message: str) -> str:
    """``message`` in the current language (English when it has no translation)."""
    translation = _state["translation"]
    assert isinstance(translation, gettext.NullTranslations)
    return translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n``, in the current language."""
    translation = _state["translation"]
    assert isinstance(translation, gettext.NullTranslations)
    return translation.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A message whose translation depends on where it is used ('yes' as an answer, 'yes' as a key)."""
    translation = _state["translation"]
    assert isinstance(translation, gettext.NullTranslations)
    return translation.pgettext(context, message)


class Text(str):
    """A message said in the current language that can be said again in another: its English ``msgid`` and
    values are kept. Batch reading runs in English (its error cells are data); an error that then stops the
    run is said to the person in theirs (``cli.errors.guard``). Values that are themselves ``Text`` are said
    again too."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, /, **params: object) -> Text:
        made = super().__new__(cls, _say(msgid, params))
        made.msgid = msgid
        made.params = params
        return made

    def __reduce__(self) -> tuple[Any, ...]:  # across processes (batch.parallel): the message, not its text
        return (_rebuild, (self.msgid, self.params))

    def said(self) -> str:
        """The message in the current language."""
        return _say(self.msgid, self.params)


def _rebuild(msgid: str, params: dict[str, object]) -> Text:
    return Text(msgid, **params)


def _say(msgid: str, params: dict[str, object]) -> str:
    text = _(msgid)
    if not params:
        return text
    return text.format(**{k: v.said() if isinstance(v, Text) else v for k, v in params.items()})  # '{n:,}' too


def L_(message: str, /, **params: object) -> Text:
    """``_(message).format(**params)`` that can be said again in another language (see :class:`Text`)."""
    return Text(message, **params)


def N_(message: str) -> str:
    """Marks text for translation without translating it yet (module constants); use ``_()`` on it later."""
    return message


@lru_cache(maxsize=1)
def tool_languages() -> tuple[str, ...]:
    """English, then every language with a compiled catalogue in the package."""
    found = []
    if LOCALE_DIR.is_dir():
        found = sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file())
    return (SOURCE_LANGUAGE, *[lang for lang in found if lang != SOURCE_LANGUAGE])


@lru_cache(maxsize=8)
def _catalogue(lang: str) -> gettext.NullTranslations:
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as handle:
        return gettext.GNUTranslations(handle)


def gettext_in(lang: str | None, message: str) -> str:
    """``message`` in ``lang`` whatever the current language (forms that carry several languages)."""
    code = (lang or SOURCE_LANGUAGE).split("-", 1)[0]
    if code == SOURCE_LANGUAGE or code not in tool_languages():
        return message
    return _catalogue(code).gettext(message)


def activate(lang: str | None, person: bool = True) -> str:
    """Speak ``lang`` ('es', 'es-MX': the closest catalogue); English when there is none. Returns the
    language used. ``person``: this is the language of the person who ran the command (False for a block
    of text in another language, and for batch data, which is English)."""
    code = lang or SOURCE_LANGUAGE
    for candidate in (code, code.split("-", 1)[0]):
        if candidate in tool_languages() and candidate != SOURCE_LANGUAGE:
            _state["translation"] = _catalogue(candidate)
            _state["lang"] = candidate
            if person:
                _state["person"] = candidate
            return candidate
    _state["translation"] = gettext.NullTranslations()
    _state["lang"] = SOURCE_LANGUAGE
    if person:
        _state["person"] = SOURCE_LANGUAGE
    return SOURCE_LANGUAGE


@contextmanager
def speaking(lang: str | None) -> Iterator[str]:
    """For a block of code, speak ``lang`` (a form that carries several languages), then go back."""
    before = current()
    try:
        yield activate(lang, person=False)
    finally:
        activate(before, person=False)


def person() -> str:
    """The language of the person who ran the command (what ``--lang`` or the locale chose)."""
    lang = _state["person"]
    assert isinstance(lang, str)
    return lang


def current() -> str:
    """The language the tool speaks now."""
    lang = _state["lang"]
    assert isinstance(lang, str)
    return lang


def option_in(argv: list[str]) -> str | None:
    """The value of ``--lang`` on a command line (``--lang es`` or ``--lang=es``), before it is parsed, so
    that even a usage error is said in that language; None when it is not there."""
    for i, token in enumerate(argv):
        if token == "--":
            break
        if token == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if token.startswith("--lang="):
            return token.partition("=")[2]
    return None


def start(argv: list[str], env: Mapping[str, str] | None = None) -> str:
    """At start-up: speak ``--lang`` if it names a language the tool has, else STM_SCREEN_LANG or the
    locale's; never fails (a wrong ``--lang`` is reported by the command that reads it)."""
    environ = os.environ if env is None else env
    option = option_in(argv)
    try:
        return use_language(option, environ)
    except Exception:  # noqa: BLE001 - an unknown --lang: the command says so, in the environment's language
        return use_language(None, environ)


def use_language(option: str | None, env: Mapping[str, str] | None = None) -> str:
    """For commands with no ruleset to follow: ``--lang``, STM_SCREEN_LANG, the locale, else English."""
    choice = choose_language(option, os.environ if env is None else env, tool_languages(), "tool")
    return activate(choice.lang)
