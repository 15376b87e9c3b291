"""Typer commands of batch scoring (``stm-screen batch``, ``rules diff``). Light: no heavy imports here."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from stm_screen.cli.errors import guard
from stm_screen.cli.opts import TextsOpt, WithOpt, examples
from stm_screen.i18n import N_

Preset = Literal["plain", "redcap", "qualtrics", "google-forms", "surveymonkey", "ms-forms", "fhir"]
PresetOpt = Annotated[
    Preset | None,
    typer.Option(
        "--preset",
        "-p",
        metavar=N_("PRESET"),
        help=N_(
            "Survey platform of the export: plain, redcap, qualtrics, google-forms, surveymonkey, "
            "ms-forms, odk-central, kobo, fhir (default: detected from the file)."
        ),
    ),
]
MapOpt = Annotated[
    str | None,
    typer.Option(
        "--map",
        "-m",
        metavar=N_("MAPPING"),
        help=N_("Mapping file (YAML): column -> question id, value maps."),
    ),
]
IdOpt = Annotated[
    str | None, typer.Option("--id-column", metavar=N_("COLUMN"), help=N_("Column holding the record id."))
]
DelimOpt = Annotated[
    str | None,
    typer.Option(
        "--delimiter", "-d", metavar=N_("CHAR"), help=N_("CSV delimiter: , ; tab | (default: detected).")
    ),
]
CommaOpt = Annotated[bool, typer.Option("--decimal-comma", help=N_("Numbers use a decimal comma (3,5)."))]
SepOpt = Annotated[
    str | None,
    typer.Option(
        "--multi-separator", metavar=N_("SEP"), help=N_("How joined multi-select answers are separated.")
    ),
]
OutputOpt = Annotated[
    str,
    typer.Option(
        "--output", "-o", metavar=N_("FILE"), help=N_("Output file, or - for standard output (the default).")
    ),
]
FormatOpt = Annotated[
    Literal["csv", "jsonl"],
    typer.Option("--format", "-f", metavar=N_("FORMAT"), help=N_("Output format: csv, jsonl.")),
]
BatchFormatOpt = Annotated[
    Literal["csv", "jsonl", "fhir"],
    typer.Option(
        "--format", "-f", metavar=N_("FORMAT"), help=N_("Output format: csv, jsonl, fhir (a FHIR R4 Bundle).")
    ),
]
RulesOpt = Annotated[
    str | None,
    typer.Option(
        "--rules",
        "-r",
        metavar=N_("RULES"),
        help=N_("Rules file or folder, or a bundled ruleset's name (default: pt-screen)."),
    ),
]
BATCH_EXAMPLES = examples(
    N_("stm-screen batch export.csv -o results.csv"),
    N_("stm-screen batch export.csv --suggest-map > mapping.yaml"),
    N_("stm-screen batch export.csv --map mapping.yaml --format jsonl"),
)
DIFF_EXAMPLES = examples(N_("stm-screen rules diff pt-screen my-rules.yaml export.csv"))


def register(app: typer.Typer, rules_app: typer.Typer) -> None:
    """Add the batch commands to the app."""

    @app.command(
        "batch",
        epilog=BATCH_EXAMPLES,
        short_help=N_("Score every record of survey exports."),
        help=N_(
            "Score every record of survey exports; one output row per record, in input order.\n\nExit 0 when every record was scored, 1 when some records have errors (the output is still complete), 2 for usage, mapping or rules errors or a file with no column for a safety question (unless --allow-missing), 130 when interrupted (no partial output file)."
        ),
    )
    @guard
    def batch(
        inputs: Annotated[
            list[str],
            typer.Argument(
                metavar=N_("INPUT"),
                help=N_("Survey exports: CSV, TSV, JSON, JSONL, FHIR QuestionnaireResponse, XLSX."),
            ),
        ],
        rules: RulesOpt = None,
        preset: PresetOpt = None,
        mapping: MapOpt = None,
        id_column: IdOpt = None,
        delimiter: DelimOpt = None,
        decimal_comma: CommaOpt = False,
        multi_separator: SepOpt = None,
        output: OutputOpt = "-",
        fmt: BatchFormatOpt = "csv",
        suggest_map: Annotated[
            bool,
            typer.Option(
                "--suggest-map",
                help=N_("Write a starter mapping file (from fuzzy matches of headers) instead of scoring."),
            ),
        ] = False,
        allow_missing: Annotated[
            bool,
            typer.Option(
                "--allow-missing",
                help=N_(
                    "Score a file that has no column for some safety questions (an export made for "
                    "pt-screen 1.x, say) instead of stopping with exit 2. Their warning signs cannot be "
                    "checked, so records are 'incomplete' with level see_doctor; the summary names them once. "
                    "Followed by question ids (--allow-missing Q[,Q...]), only those may be missing."
                ),
            ),
        ] = False,
        allow_missing_for: Annotated[
            str | None,
            typer.Option(
                "--allow-missing-for",
                metavar=N_("Q[,Q...]"),
                help=N_("Only these questions may have no column (what --allow-missing Q[,Q...] means)."),
            ),
        ] = None,
        force: Annotated[
            bool,
            typer.Option("--force", help=N_("With --suggest-map: replace an existing mapping file.")),
        ] = False,
        jobs: Annotated[
            int,
            typer.Option(
                "--jobs",
                "-j",
                min=0,
                max=32,
                metavar=N_("N"),
                help=N_(
                    "Processes for a CSV, TSV or JSON Lines file of more than 16 MB (Linux): 0 = one per CPU, "
                    "at most 4 (the default); 1 = a single process; at most 32. Smaller files and other formats "
                    "use one process. The output is the same either way."
                ),
            ),
        ] = 0,
        patient_system: Annotated[
            str | None,
            typer.Option(
                "--patient-system",
                metavar=N_("URI"),
                help=N_(
                    "FHIR output: the identifier system (URI) of the record id column, such as the "
                    "clinic's MRN system (default: the tool's urn:stm-screen:patient-ref)."
                ),
            ),
        ] = None,
        response_system: Annotated[
            str | None,
            typer.Option(
                "--response-system",
                metavar=N_("URI"),
                help=N_(
                    "FHIR output: the identifier system (URI) of the export's record or response ids, "
                    "such as your REDCap project's address (default: the tool's urn:stm-screen:response, which "
                    "every project shares, and where record 1 of two projects is the same id)."
                ),
            ),
        ] = None,
        fhir_bundle: Annotated[
            Literal["collection", "transaction"],
            typer.Option(
                "--fhir-bundle",
                metavar=N_("KIND"),
                help=N_(
                    "FHIR output: collection (the default), or transaction: conditional creates a FHIR "
                    "server accepts as they are."
                ),
            ),
        ] = "collection",
        event: Annotated[
            str | None,
            typer.Option(
                "--event",
                metavar=N_("EVENT[,EVENT...]"),
                help=N_(
                    "REDCap longitudinal export: score only the rows of this event (its unique name, "
                    "such as screening_arm_1; several with commas). Without it, rows of events that answer "
                    "no question are skipped and counted."
                ),
            ),
        ] = None,
        with_modules: WithOpt = None,
        texts: TextsOpt = None,
    ) -> None:
        from stm_screen.cli import batch_cmd

        opts = batch_cmd.CommandOptions(
            rules=rules,
            preset=preset,
            mapping=mapping,
            id_column=id_column,
            delimiter=delimiter,
            decimal_comma=decimal_comma,
            multi_separator=multi_separator,
            output=output,
            fmt=fmt,
            jobs=jobs,
            allow_missing=allow_missing,
            allow_missing_for=allow_missing_for,
            force=force,
            patient_system=patient_system,
            response_system=response_system,
            fhir_bundle=fhir_bundle,
            event=event,
            with_modules=with_modules,
            texts=texts,
        )
        if suggest_map:
            batch_cmd.suggest(inputs, opts)
        else:
            batch_cmd.run(inputs, opts)

    @rules_app.command(
        "diff",
        epilog=DIFF_EXAMPLES,
        short_help=N_("Which records change level under new rules."),
        help=N_("Score the same records under two rulesets and list the records whose level changes."),
    )
    @guard
    def rules_diff(
        old: Annotated[
            str,
            typer.Argument(metavar=N_("OLD"), help=N_("The rules in use (file, folder or bundled name).")),
        ],
        new: Annotated[
            str,
            typer.Argument(
                metavar=N_("NEW"), help=N_("The rules to compare (file, folder or bundled name).")
            ),
        ],
        inputs: Annotated[
            list[str], typer.Argument(metavar=N_("INPUT"), help=N_("Survey exports to score under both."))
        ],
        preset: PresetOpt = None,
        mapping: MapOpt = None,
        id_column: IdOpt = None,
        delimiter: DelimOpt = None,
        decimal_comma: CommaOpt = False,
        multi_separator: SepOpt = None,
        output: OutputOpt = "-",
        fmt: FormatOpt = "csv",
    ) -> None:
        from stm_screen.cli import batch_cmd

        opts = batch_cmd.CommandOptions(
            rules=None,
            preset=preset,
            mapping=mapping,
            id_column=id_column,
            delimiter=delimiter,
            decimal_comma=decimal_comma,
            multi_separator=multi_separator,
            output=output,
            fmt=fmt,
        )
        batch_cmd.diff(old, new, inputs, opts)
