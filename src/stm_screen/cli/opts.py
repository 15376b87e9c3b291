"""Options shared by several commands: instrument modules (``--with``) and clinic-supplied wording
(``--texts``). Light: imported while the command line is parsed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from stm_screen.i18n import N_

if TYPE_CHECKING:
    from stm_screen.core.ruleset import Ruleset


def examples(*lines: str) -> str:
    """A command's epilog: "Examples:" and one example per line (each marked ``N_()`` where it is written:
    ``cli.typer_words`` translates them line by line)."""
    return "Examples:\n\n\b\n" + "".join(f"  {line}\n" for line in lines)


WithOpt = Annotated[
    str | None,
    typer.Option(
        "--with",
        metavar=N_("MODULES"),
        help=N_(
            "Instrument modules to ask and score beside the screening, by name or path, comma-separated: "
            "phq4, phq9, peg, startback, orebro-sf, tsk11."
        ),
    ),
]
TextsOpt = Annotated[
    str | None,
    typer.Option(
        "--texts",
        metavar=N_("FILE"),
        help=N_(
            "YAML file of the clinic's item wording for instruments whose text is not shipped (PEG, "
            "STarT Back, ÖMPSQ-SF, TSK-11): question id -> text, per language."
        ),
    ),
]


def tell_notices(ruleset: Ruleset) -> None:
    """What a person adding modules should know (on stderr, once)."""
    from stm_screen.cli.errors import say_info

    for notice in ruleset.notices:
        say_info(f"note: {notice}")
