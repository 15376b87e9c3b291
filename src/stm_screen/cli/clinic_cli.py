"""Typer commands of the clinic workflow (``history``, ``form``). Light: no heavy imports here.

The bodies live in :mod:`stm_screen.cli.history_cmd` and :mod:`stm_screen.cli.form_cmd`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from stm_screen.cli.errors import guard
from stm_screen.cli.opts import TextsOpt, WithOpt, examples
from stm_screen.i18n import N_

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
history_app = typer.Typer(
    help=N_("Saved screenings (--save), on this computer only."),
    no_args_is_help=True,
    context_settings=CONTEXT,
)
form_app = typer.Typer(
    help=N_("The questionnaire for REDCap, FHIR, or a CSV template."),
    no_args_is_help=True,
    context_settings=CONTEXT,
)

LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        metavar=N_("CODE"),
        help=N_(
            "Language of the text shown (en, es, ...); default: STM_SCREEN_LANG, else the locale "
            "(LC_ALL, LC_MESSAGES, LANG), else English."
        ),
    ),
]
PatientOpt = Annotated[
    str | None,
    typer.Option("--patient", metavar=N_("REF"), help=N_("Only this patient reference."), show_default=False),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        metavar=N_("DATE"),
        help=N_("Only screenings saved on or after this date (YYYY-MM-DD: the start of that day, UTC)."),
        show_default=False,
    ),
]


@history_app.command(
    "list",
    epilog=examples(
        N_("stm-screen history list"), N_("stm-screen history list --patient MRN-0042 --format csv")
    ),
    short_help=N_("List saved screenings, oldest first."),
    help=N_("List saved screenings, oldest first."),
)
@guard
def history_list(
    patient: PatientOpt = None,
    since: SinceOpt = None,
    fmt: Annotated[
        Literal["table", "json", "csv"],
        typer.Option(
            "--format",
            "-f",
            metavar=N_("FORMAT"),
            help=N_("table (level titles), json or csv (level ids too)."),
        ),
    ] = "table",
    lang: LangOpt = None,
) -> None:
    from stm_screen.cli import history_cmd
    from stm_screen.i18n import use_language

    use_language(lang)
    history_cmd.list_(patient=patient, since=since, fmt=fmt)


@history_app.command(
    "show",
    epilog=examples(N_("stm-screen history show 12"), N_("stm-screen history show 12 --format fhir")),
    short_help=N_("Show one saved screening with its answers."),
    help=N_(
        "Show a saved screening as it was scored (with the ruleset version it was scored with) and its answers, or (--patient) a patient's screenings over time."
    ),
)
@guard
def history_show(
    record_id: Annotated[
        int | None, typer.Argument(metavar=N_("ID"), help=N_("The screening's id (see 'history list')."))
    ] = None,
    fmt: Annotated[
        Literal["text", "json", "fhir", "html"],
        typer.Option(
            "--format",
            "-f",
            metavar=N_("FORMAT"),
            help=N_("Output: text, json, fhir (one screening); text, json, html (--patient)."),
        ),
    ] = "text",
    patient: Annotated[
        str | None,
        typer.Option(
            "--patient",
            metavar=N_("REF"),
            help=N_(
                "Instead of one screening: this patient's screenings over time, with each instrument "
                "score's change and whether it reaches the minimal important change."
            ),
            show_default=False,
        ),
    ] = None,
    plot: Annotated[
        bool, typer.Option("--plot", help=N_("With --patient: a small chart of each score."))
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar=N_("FILE"),
            help=N_(
                "Write to this file instead of the screen (e.g. screening.json, trend.html); it holds health "
                "data and is readable by its owner only."
            ),
        ),
    ] = None,
    lang: LangOpt = None,
) -> None:
    from stm_screen.cli import history_cmd

    if patient is not None or record_id is None:
        history_cmd.show_patient(record_id, patient, fmt=fmt, plot=plot, output=output)
    else:
        history_cmd.show(record_id, fmt=fmt, lang=lang, output=output)


@history_app.command(
    "export",
    epilog=examples(
        N_("stm-screen history export --output screenings.csv"),
        N_("stm-screen history export -o all.jsonl --format jsonl --since 2026-01-01"),
    ),
    short_help=N_("Export saved screenings to a file."),
    help=N_("Export saved screenings to a file (CSV, JSON lines, or a FHIR R4 Bundle)."),
)
@guard
def history_export(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", metavar=N_("FILE"), help=N_("The file to write."), show_default=False),
    ],
    fmt: Annotated[
        Literal["csv", "jsonl", "fhir"],
        typer.Option("--format", "-f", metavar=N_("FORMAT"), help=N_("Output: csv, jsonl, fhir.")),
    ] = "csv",
    patient: PatientOpt = None,
    since: SinceOpt = None,
    force: Annotated[bool, typer.Option("--force", help=N_("Overwrite FILE if it exists."))] = False,
) -> None:
    from stm_screen.cli import history_cmd

    history_cmd.export(output, fmt=fmt, patient=patient, since=since, force=force)


@history_app.command(
    "delete",
    epilog=examples(N_("stm-screen history delete 12")),
    short_help=N_("Delete one saved screening."),
    help=N_("Delete one saved screening."),
)
@guard
def history_delete(
    record_id: Annotated[
        int, typer.Argument(metavar=N_("ID"), help=N_("The screening's id (see 'history list')."))
    ],
) -> None:
    from stm_screen.cli import history_cmd

    history_cmd.delete(record_id)


@history_app.command(
    "purge",
    epilog=examples(
        N_("stm-screen history purge --before 2026-01-01"),
        N_("stm-screen history purge --before 2026-01-01 --yes"),
    ),
    short_help=N_("Delete every screening saved before a date."),
    help=N_("Delete every screening saved before a date (asks first)."),
)
@guard
def history_purge(
    before: Annotated[
        str,
        typer.Option(
            "--before",
            metavar=N_("DATE"),
            help=N_(
                "Delete screenings saved before this date (YYYY-MM-DD: the start of that day, UTC; today "
                "or a later date deletes up to now, after asking)."
            ),
            show_default=False,
        ),
    ],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help=N_("Do not ask for confirmation (for scripts)."))
    ] = False,
) -> None:
    from stm_screen.cli import history_cmd

    history_cmd.purge(before, yes=yes)


FormFormat = Literal["redcap", "fhir", "xlsform", "csv"]


@form_app.command(
    "export",
    epilog=examples(
        N_("stm-screen form export redcap -o dictionary.csv"),
        N_("stm-screen form export fhir > questionnaire.json"),
        N_("stm-screen form export xlsform -o form.xlsx"),
        N_("stm-screen form export csv -o template.csv"),
    ),
    short_help=N_("Export the questionnaire for REDCap, FHIR or a CSV template."),
    help=N_(
        "Export the questionnaire: a REDCap data dictionary, a FHIR Questionnaire, an XLSForm workbook (ODK, KoboToolbox), or a blank CSV template."
    ),
)
@guard
def form_export(
    what: Annotated[
        FormFormat | None,
        typer.Argument(
            metavar=N_("FORMAT"),
            help=N_("redcap, fhir, xlsform or csv (or give it with --format)."),
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        FormFormat | None,
        typer.Option(
            "--format",
            "-f",
            metavar=N_("FORMAT"),
            help=N_("redcap, fhir, xlsform or csv."),
            show_default=False,
        ),
    ] = None,
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            "-r",
            metavar=N_("RULES"),
            help=N_("Rules file or folder, or a bundled ruleset's name (default: pt-screen)."),
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar=N_("FILE"), help=N_("Write to this file instead of standard output.")
        ),
    ] = None,
    canonical_base: Annotated[
        str | None,
        typer.Option(
            "--canonical-base",
            metavar=N_("URL"),
            help=N_(
                "FHIR: the base of the Questionnaire's canonical url, e.g. https://forms.example.org/fhir "
                "(default: a urn:stm-screen URN)."
            ),
        ),
    ] = None,
    with_modules: WithOpt = None,
    texts: TextsOpt = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar=N_("CODE"),
            help=N_(
                "The form's main language (en, es, ...); FHIR forms also carry every other language the "
                "ruleset is written in. Default: STM_SCREEN_LANG, else the locale, else the ruleset's first."
            ),
        ),
    ] = None,
) -> None:
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
            _(
                "say which form to export: redcap, fhir, xlsform or csv (for example: stm-screen form export redcap)"
            )
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
