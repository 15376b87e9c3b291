"""The screening pipeline in one place: rules in, answers checked, result out.

Commands call these functions; they hold no terminal or Typer code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from stm_screen.core.answers import check_answers
from stm_screen.core.contacts import Contacts
from stm_screen.core.engine import Scorer
from stm_screen.core.examples import ExampleReport, run_examples
from stm_screen.core.explain import Result, explain
from stm_screen.core.language import LanguageChoice, choose_language
from stm_screen.core.ruleset import Ruleset
from stm_screen.errors import RulesError


def load_rules(spec: str | Path | None = None) -> Ruleset:
    """A ruleset by path or bundled name (default: the bundled PT screening)."""
    from stm_screen.rules.loader import load_ruleset

    return load_ruleset(spec)


def score_data(
    ruleset: Ruleset,
    data: Any,
    source: str = "",
    lang: str | None = None,
    contacts: Contacts | None = None,
) -> Result:
    """Check raw answers (a mapping from a file) and explain the result; raises AnswersError."""
    values = check_answers(ruleset, data, source)
    return explain(ruleset, values, scorer=Scorer(ruleset), lang=lang, contacts=contacts)


def check_rules(spec: str | Path | None = None) -> tuple[Ruleset, ExampleReport]:
    """Load a ruleset and run its examples; raise RulesError if either fails."""
    ruleset = load_rules(spec)
    report = run_examples(ruleset)
    if report.problems:
        raise RulesError(report.problems)
    return ruleset, report


class Audience(NamedTuple):
    """Who the text is for: the ruleset in their language with their country's words, their emergency
    numbers in that language, and notes to show them (a setting that could not be used)."""

    ruleset: Ruleset
    contacts: Contacts
    choice: LanguageChoice
    notes: tuple[str, ...] = ()

    @property
    def lang(self) -> str:
        return self.choice.lang


def for_audience(
    ruleset: Ruleset,
    *,
    lang: str | None = None,
    country: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Audience:
    """Choose the language (``--lang``, STM_SCREEN_LANG, the locale, the ruleset's first language) and the
    country (``--country``, the locale's), and make the tool speak it: the ruleset's texts, the emergency
    numbers and the tool's own messages. Raises UsageError for a ``--lang`` or ``--country`` it cannot use."""
    from stm_screen.core.localised import localise
    from stm_screen.i18n import activate
    from stm_screen.io.contacts import chosen_country, contacts_for

    environ = os.environ if env is None else env
    choice = choose_language(lang, environ, ruleset.languages)
    contacts, contacts_note = contacts_for(country, environ, choice.lang)
    shown = localise(ruleset, choice.lang, chosen_country(country, environ))
    activate(choice.lang)
    notes = tuple(n for n in (choice.note, contacts_note) if n)
    return Audience(shown, contacts, choice, notes)
