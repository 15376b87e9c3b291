"""Typer commands of the interactive questionnaire (``stm-screen screen``). Light: no heavy imports here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from stm_screen.cli.errors import guard
from stm_screen.cli.opts import TextsOpt, WithOpt, examples
from stm_screen.i18n import N_

RulesOpt = Annotated[
    str | None,
    typer.Option(
        "--rules",
        "-r",
        metavar=N_("RULES"),
        help=N_("Rules file or folder, or a bundled ruleset's name (default: pt-screen)."),
    ),
]
PlainOpt = Annotated[
    bool,
    typer.Option(
        "--plain",
        help=N_(
            "Numbered choices answered by typing, no boxes or redraws (for screen readers). Also on with "
            "ACCESSIBLE=1, TERM=dumb, or when output is not a terminal. NO_COLOR only removes colour."
        ),
    ),
]
ReportOpt = Annotated[
    Path | None,
    typer.Option(
        "--report",
        metavar=N_("FILE"),
        help=N_(
            "Also write the result to FILE: .pdf, .html, .md, .txt or .json (by suffix). Without it, "
            "the questionnaire offers to save a copy at the end."
        ),
    ),
]
ReportDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--report-dir",
        metavar=N_("DIR"),
        help=N_(
            "For intake staff: write a PDF report of each patient's result in DIR, named by patient "
            "reference and time."
        ),
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help=N_("Overwrite an existing report file."))]
ResumeOpt = Annotated[
    bool,
    typer.Option(
        "--resume",
        help=N_(
            "Continue the last screening that was stopped before the end, with the options it was "
            "started with (for scripts: the questionnaire also offers it when it starts)."
        ),
    ),
]
PatientOpt = Annotated[
    str | None,
    typer.Option(
        "--patient",
        metavar=N_("REF"),
        help=N_("Label the screening with a patient reference such as a record number (never a name)."),
    ),
]
NextOpt = Annotated[
    bool,
    typer.Option(
        "--next",
        help=N_(
            "For intake staff: after each result, clear the screen and scrollback and start the next patient."
        ),
    ),
]
SaveOpt = Annotated[
    bool, typer.Option("--save", help=N_("Also save each result in the local history (stm-screen history)."))
]
CountryOpt = Annotated[
    str | None,
    typer.Option(
        "--country",
        metavar=N_("CC"),
        help=N_(
            "Two-letter country code (US, GB, ES, ...) for the emergency number and crisis line "
            "shown; default: the locale's country (LANG), else text that names 112 and 911."
        ),
    ),
]

LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        metavar=N_("CODE"),
        help=N_(
            "Language of the questions and the result (en, es, ...); default: STM_SCREEN_LANG, "
            "else the locale (LC_ALL, LC_MESSAGES, LANG), else the ruleset's first language."
        ),
    ),
]

SCREEN_EXAMPLES = examples(
    N_("stm-screen                                  start the questionnaire"),
    N_("stm-screen --plain --report result.pdf      numbered prompts; keep a PDF"),
    N_("stm-screen screen --next --save --patient MRN-0042 --report-dir reports"),
)


def register(app: typer.Typer) -> None:
    """Add the questionnaire's commands to the app."""

    @app.command(
        epilog=SCREEN_EXAMPLES,
        short_help=N_("Answer the questions in the terminal (the default)."),
        help=N_("Answer the screening questions in the terminal and see the result."),
    )
    @guard
    def screen(
        rules: RulesOpt = None,
        plain: PlainOpt = False,
        report: ReportOpt = None,
        force: ForceOpt = False,
        resume: ResumeOpt = False,
        patient: PatientOpt = None,
        next_patient: NextOpt = False,
        save: SaveOpt = False,
        country: CountryOpt = None,
        report_dir: ReportDirOpt = None,
        with_modules: WithOpt = None,
        texts: TextsOpt = None,
        lang: LangOpt = None,
    ) -> None:
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
                report_dir=report_dir,
                with_modules=with_modules,
                texts=texts,
                lang=lang,
            )
        )


def start_default(options: Mapping[str, object] | None = None) -> None:
    """``stm-screen`` with no command: start the screening (with any of ``screen``'s options)."""
    from stm_screen.cli import screen_cmd

    guard(screen_cmd.run)(screen_cmd.Options(**(options or {})))  # type: ignore[arg-type]
