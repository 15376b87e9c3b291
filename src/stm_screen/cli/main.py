"""The console-script entry point: a fast path for the questionnaire, then the Typer app for the rest.

Starting the questionnaire is the most common run and people wait for the first question, so
``stm-screen`` and ``stm-screen screen [options]`` are parsed here with a small table instead of going through
Typer, whose parameter machinery costs about 100 ms per run. Anything the table does not know (``--help``,
a typo, ``--opt=value`` forms it cannot read) goes to Typer, which gives the usual help and usage errors.
``tests/test_cli_main.py`` checks that the table matches the ``screen`` command's options.
"""

from __future__ import annotations

import sys
from typing import Any

# option -> (parameter name, takes a value)
SCREEN_OPTIONS: dict[str, tuple[str, bool]] = {
    "--rules": ("rules", True),
    "-r": ("rules", True),
    "--plain": ("plain", False),
    "--report": ("report", True),
    "--force": ("force", False),
    "--resume": ("resume", False),
    "--patient": ("patient", True),
    "--next": ("next_patient", False),
    "--save": ("save", False),
}


def parse_screen(args: list[str]) -> dict[str, Any] | None:
    """Options of ``stm-screen [screen] ...`` as keyword arguments, or None to let Typer handle the line."""
    if args and args[0] != "screen":
        return None
    rest = args[1:]
    out: dict[str, Any] = {}
    i = 0
    while i < len(rest):
        token = rest[i]
        name, _, inline = token.partition("=")
        spec = SCREEN_OPTIONS.get(name)
        if spec is None or (inline and not spec[1]) or (not name.startswith("--") and _):
            return None
        param, takes_value = spec
        if not takes_value:
            out[param] = True
        elif _:
            out[param] = inline
        elif i + 1 < len(rest):
            i += 1
            out[param] = rest[i]
        else:
            return None
        i += 1
    return out


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    options = parse_screen(args)
    if options is not None:
        from stm_screen.cli import screen_cmd
        from stm_screen.cli.errors import guard, set_debug

        set_debug(False)
        if "report" in options:
            from pathlib import Path

            options["report"] = Path(options["report"])
        guard(screen_cmd.run)(screen_cmd.Options(**options))
        return
    from stm_screen.cli.app import main as app_main

    app_main()
