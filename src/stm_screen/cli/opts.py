"""Options shared by several commands: instrument modules (``--with``) and clinic-supplied wording
(``--texts``). Light: imported while the command line is parsed."""

from __future__ import annotations

from typing import Annotated

import typer

from stm_screen.cli.errors import tell_notices as tell_notices  # here before; commands import it from errors

WithOpt = Annotated[
    str | None,
    typer.Option(
        "--with",
        metavar="MODULES",
        help="Instrument modules to ask and score beside the screening, by name or path, comma-separated: "
        "phq4, phq9, peg, startback, orebro-sf, tsk11.",
    ),
]
TextsOpt = Annotated[
    str | None,
    typer.Option(
        "--texts",
        metavar="FILE",
        help="YAML file of the clinic's item wording for instruments whose text is not shipped (PEG, "
        "STarT Back, ÖMPSQ-SF, TSK-11): question id -> text, per language.",
    ),
]
