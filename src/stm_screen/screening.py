"""The screening pipeline in one place: rules in, answers checked, result out.

Commands call these functions; they hold no terminal or Typer code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stm_screen.core.answers import check_answers
from stm_screen.core.contacts import Contacts
from stm_screen.core.engine import Scorer
from stm_screen.core.examples import ExampleReport, run_examples
from stm_screen.core.explain import Result, explain
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
    """Load a ruleset, check its skip logic and run its examples; raise RulesError if any fails. Warnings
    (questions the skip rule may hide undecided) come back as the ruleset's ``warnings``."""
    from stm_screen.core.ruleset import check_skip_logic

    ruleset = load_rules(spec)
    errors, warnings = check_skip_logic(ruleset)
    report = run_examples(ruleset)
    if errors or report.problems:
        raise RulesError([*errors, *report.problems])
    return ruleset._replace(warnings=tuple(warnings)), report
