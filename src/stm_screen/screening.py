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


def load_rules(
    spec: str | Path | None = None,
    with_modules: str | list[str] | tuple[str, ...] | None = None,
    texts: str | Path | None = None,
    *,
    complete_texts: bool = False,
) -> Ruleset:
    """A ruleset by path or bundled name (default: the bundled PT screening), with the instrument modules
    named in ``with_modules`` (``"phq4,peg"`` or a list) and the clinic's item wording from ``texts``."""
    from stm_screen.rules.loader import load_ruleset, parse_with

    refuse_empty_name(spec)
    names = parse_with(with_modules) if isinstance(with_modules, str | type(None)) else list(with_modules)
    ruleset = load_ruleset(spec, names)
    if texts is not None:
        ruleset = with_texts(ruleset, texts, complete=complete_texts)
    return ruleset


def with_texts(ruleset: Ruleset, texts: str | Path, *, complete: bool = False) -> Ruleset:
    """The ruleset with the wording of a texts file (see :mod:`stm_screen.core.texts`)."""
    from stm_screen.core.texts import apply_texts
    from stm_screen.io.yamlfile import YamlProblems, load

    try:
        data, positions, _ = load(Path(texts))
    except YamlProblems as exc:
        raise RulesError(exc.problems) from None
    return apply_texts(ruleset, data, origin=str(texts), locate=positions.locate, complete=complete)


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


def unused_answers(ruleset: Ruleset, data: Any, source: str = "") -> tuple[tuple[str, bool], ...]:
    """The questions a file answers although the skip rules do not ask them with its other answers (the
    answers are not used), each with whether it is a safety question answered yes (or 'not sure' taken as
    yes): such a file contradicts itself where a warning sign may hang on it."""
    values = check_answers(ruleset, data, source)
    scorer = Scorer(ruleset)
    known = scorer.known(values)
    return tuple((qid, ruleset.by_id[qid].safety and known.get(qid) is True) for qid in scorer.ignored(values))


def refuse_empty_name(spec: str | Path | None) -> None:
    """An empty rules name (``rules check "$RULES"`` with the variable unset) is refused (exit 2), never
    taken for the bundled ruleset: "ok" would then be said of rules that were not checked."""
    if isinstance(spec, str) and not spec.strip():
        from stm_screen.errors import Problem, RulesError
        from stm_screen.i18n import _

        raise RulesError(
            [
                Problem(
                    _(
                        "the rules name is empty; give a rules file or folder, or a bundled ruleset's name "
                        "(leave the option out for the bundled pt-screen)"
                    )
                )
            ]
        )


def check_rules(
    spec: str | Path | None = None,
    with_modules: str | list[str] | None = None,
    texts: str | Path | None = None,
) -> tuple[Ruleset, ExampleReport]:
    """Load a ruleset (or an instrument module on its own) and run its examples and those of its modules;
    with ``texts``, check that the file gives the wording of every item whose text is supplied. Raise
    RulesError on any failure. The skip logic is checked too (see ``core.ruleset.check_skip_logic``):
    its warnings come back as the ruleset's ``warnings``."""
    from stm_screen.core.ruleset import Module, attach, check_skip_logic, standalone
    from stm_screen.errors import Problem
    from stm_screen.rules.loader import load_any, load_module, parse_with

    refuse_empty_name(spec)
    loaded = load_any(spec)
    names = parse_with(with_modules) if isinstance(with_modules, str | type(None)) else list(with_modules)
    if isinstance(loaded, Module):
        if names:
            from stm_screen.i18n import _

            raise RulesError([Problem(_("--with adds modules to a screening, not to a module"), str(spec))])
        ruleset = standalone(loaded)
    else:
        ruleset = attach(loaded, [load_module(n) for n in names]) if names else loaded
    if texts is not None:
        ruleset = with_texts(ruleset, texts, complete=True)
    errors, warnings = check_skip_logic(ruleset)
    report = run_examples(ruleset)
    if errors or report.problems:
        raise RulesError([*errors, *report.problems])
    return ruleset._replace(warnings=(*ruleset.warnings, *warnings)), report


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
