"""Typer commands of the clinic workflow (``history``, ``form``). Light: no heavy imports here.

The bodies live in :mod:`stm_screen.cli.history_cmd` and :mod:`stm_screen.cli.form_cmd`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stm_screen.cli.errors import guard
from stm_screen.cli.opts import TextsOpt, WithOpt

history_app = typer.Typer(
    help="The local history of saved screenings (score --save). Stored on this computer only.",
    no_args_is_help=True,
)
form_app = typer.Typer(
    help="Build the questionnaire in other tools: REDCap, FHIR, a CSV template.", no_args_is_help=True
)

LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Language of the text shown (en, es, ...); default: STM_SCREEN_LANG, else the locale "
        "(LC_ALL, LC_MESSAGES, LANG), else English.",
    ),
]
PatientOpt = Annotated[
    str | None, typer.Option("--patient", help="Only this patient reference.", show_default=False)
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since", help="Only screenings saved on or after this date (YYYY-MM-DD, UTC).", show_default=False
    ),
]


@history_app.command("list")
@guard
def history_list(
    patient: PatientOpt = None,
    since: SinceOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output: table, json, csv.")] = "table",
) -> None:
    """List saved screenings, oldest first."""
    from stm_screen.cli import history_cmd

    history_cmd.list_(patient=patient, since=since, fmt=fmt)


@history_app.command("show")
@guard
def history_show(
    record_id: Annotated[
        int | None, typer.Argument(metavar="[ID]", help="The screening's id (see 'history list').")
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="Output: text, json, fhir (one screening); text, json, html (--patient)."
        ),
    ] = "text",
    patient: Annotated[
        str | None,
        typer.Option(
            "--patient",
            help="Instead of one screening: this patient's screenings over time, with each instrument "
            "score's change and whether it reaches the minimal important change.",
            show_default=False,
        ),
    ] = None,
    plot: Annotated[
        bool, typer.Option("--plot", help="With --patient: a small chart of each score.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="With --patient: write to this file (e.g. trend.html)."),
    ] = None,
    lang: LangOpt = None,
) -> None:
    """Show a saved screening as it was scored, or (--patient) a patient's screenings over time."""
    from stm_screen.cli import history_cmd

    if patient is not None or record_id is None:
        history_cmd.show_patient(record_id, patient, fmt=fmt, plot=plot, output=output)
    else:
        history_cmd.show(record_id, fmt=fmt, lang=lang)


@history_app.command("export")
@guard
def history_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output: csv, jsonl, fhir.")] = "csv",
    patient: PatientOpt = None,
    since: SinceOpt = None,
) -> None:
    """Export saved screenings to a file (CSV, JSON lines, or a FHIR R4 Bundle)."""
    from stm_screen.cli import history_cmd

    history_cmd.export(output, fmt=fmt, patient=patient, since=since)


@history_app.command("delete")
@guard
def history_delete(
    record_id: Annotated[int, typer.Argument(metavar="ID", help="The screening's id (see 'history list').")],
) -> None:
    """Delete one saved screening."""
    from stm_screen.cli import history_cmd

    history_cmd.delete(record_id)


@history_app.command("purge")
@guard
def history_purge(
    before: Annotated[
        str,
        typer.Option(
            "--before", help="Delete screenings saved before this date (YYYY-MM-DD, UTC).", show_default=False
        ),
    ],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (for scripts).")
    ] = False,
) -> None:
    """Delete every screening saved before a date (asks first)."""
    from stm_screen.cli import history_cmd

    history_cmd.purge(before, yes=yes)


@form_app.command("export")
@guard
def form_export(
    what: Annotated[
        str | None,
        typer.Argument(help="redcap, fhir, xlsform or csv (or give it with --format).", show_default=False),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="redcap, fhir, xlsform or csv.", show_default=False),
    ] = None,
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules", "-r", help="Rules file or folder, or a bundled ruleset's name (default: pt-screen)."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of standard output.")
    ] = None,
    canonical_base: Annotated[
        str | None,
        typer.Option(
            "--canonical-base",
            help="FHIR: the base of the Questionnaire's canonical url, e.g. https://forms.example.org/fhir "
            "(default: a urn:stm-screen URN).",
        ),
    ] = None,
    with_modules: WithOpt = None,
    texts: TextsOpt = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="The form's main language (en, es, ...); FHIR forms also carry every other language the "
            "ruleset is written in. Default: STM_SCREEN_LANG, else the locale, else the ruleset's first.",
        ),
    ] = None,
) -> None:
    """Export the questionnaire: a REDCap data dictionary, a FHIR Questionnaire, an XLSForm workbook (ODK,
    KoboToolbox), or a blank CSV template."""
    from stm_screen.cli import form_cmd
    from stm_screen.errors import UsageError
    from stm_screen.i18n import _

    if what is not None and fmt is not None and what != fmt:
        raise UsageError(
            _("two formats given ('{what}' and --format {fmt}); give one").format(what=what, fmt=fmt)
        )
    chosen = what or fmt
    if chosen is None:
        raise UsageError(
            _("say which form to export: redcap, fhir, xlsform or csv (for example: form export fhir)")
        )
    form_cmd.export(
        chosen,
        rules=rules,
        output=output,
        canonical_base=canonical_base,
        with_modules=with_modules,
        texts=texts,
        lang=lang,
    )


def register(app: typer.Typer) -> None:
    """Add the clinic commands to the app."""
    app.add_typer(history_app, name="history")
    app.add_typer(form_app, name="form")
