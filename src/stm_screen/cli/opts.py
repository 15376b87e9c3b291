"""Options shared by several commands: instrument modules (``--with``) and clinic-supplied wording
(``--texts``). Light: imported while the command line is parsed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from stm_screen.core.ruleset import Ruleset

WithOpt = Annotated[
    str | None,
    typer.Option(
        "--with",
        help="Instrument modules to ask and score beside the screening, by name or path, comma-separated: "
        "phq4, phq9, peg, startback, orebro-sf, tsk11.",
    ),
]
TextsOpt = Annotated[
    str | None,
    typer.Option(
        "--texts",
        help="YAML file of the clinic's item wording for instruments whose text is not shipped (PEG, "
        "STarT Back, ÖMPSQ-SF, TSK-11): question id -> text, per language.",
    ),
]


def tell_notices(ruleset: Ruleset) -> None:
    """What a person adding modules should know (on stderr, once)."""
    from stm_screen.cli.errors import say_info

    for notice in ruleset.notices:
        say_info(f"note: {notice}")
