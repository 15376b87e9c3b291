"""Typer commands of the interactive questionnaire (``stm-screen screen``). Light: no heavy imports here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stm_screen.cli.errors import guard
from stm_screen.cli.opts import TextsOpt, WithOpt


def register(app: typer.Typer) -> None:
    """Add the questionnaire's commands to the app."""

    @app.command()
    @guard
    def screen(
        rules: Annotated[
            str | None,
            typer.Option(
                "--rules",
                "-r",
                help="Rules file or folder, or a bundled ruleset's name (default: pt-screen).",
            ),
        ] = None,
        plain: Annotated[
            bool,
            typer.Option(
                "--plain",
                help="No colour, boxes or redraws; numbered choices answered by typing (for screen readers). "
                "Also on with NO_COLOR, TERM=dumb, or when output is not a terminal.",
            ),
        ] = False,
        report: Annotated[
            Path | None,
            typer.Option(
                "--report", help="Also write a printable report: FILE.html, .md, .txt or .json (by suffix)."
            ),
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Overwrite an existing report file.")] = False,
        resume: Annotated[
            bool,
            typer.Option("--resume", help="Continue the last screening that was stopped before the end."),
        ] = False,
        patient: Annotated[
            str | None,
            typer.Option(
                "--patient",
                help="Label the screening with a patient reference such as a record number (never a name).",
            ),
        ] = None,
        next_patient: Annotated[
            bool,
            typer.Option(
                "--next",
                help="For intake staff: after each result, clear the screen and scrollback and start the next patient.",
            ),
        ] = False,
        save: Annotated[
            bool,
            typer.Option("--save", help="Also save each result in the local history (stm-screen history)."),
        ] = False,
        country: Annotated[
            str | None,
            typer.Option(
                "--country",
                help="Two-letter country code (US, GB, ES, ...) for the emergency number and crisis line "
                "shown; default: the locale's country (LANG), else text that names 112 and 911.",
            ),
        ] = None,
        with_modules: WithOpt = None,
        texts: TextsOpt = None,
        lang: Annotated[
            str | None,
            typer.Option(
                "--lang",
                help="Language of the questions and the result (en, es, ...); default: STM_SCREEN_LANG, "
                "else the locale (LC_ALL, LC_MESSAGES, LANG), else the ruleset's first language.",
            ),
        ] = None,
    ) -> None:
        """Answer the screening questions in the terminal and see the result."""
        from stm_screen.cli import screen_cmd

        screen_cmd.run(
            screen_cmd.Options(
                rules=rules,
                plain=plain,
                report=report,
                force=force,
                resume=resume,
                patient=patient,
                next_patient=next_patient,
                save=save,
                country=country,
                with_modules=with_modules,
                texts=texts,
                lang=lang,
            )
        )


@guard
def _default() -> None:
    from stm_screen.cli import screen_cmd

    screen_cmd.run(screen_cmd.Options())


def start_default() -> None:
    """``stm-screen`` with no command: start the screening."""
    _default()
