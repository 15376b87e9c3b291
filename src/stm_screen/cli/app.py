"""The ``stm-screen`` command line: options in, one call to the pipeline, output out.

This module stays light so that ``--help``, ``--version`` and shell completion start fast: each command
imports what it needs (rules loader, Rich, questionary) inside its own body, in ``stm_screen.cli.<command>``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from typer.core import TyperGroup

from stm_screen import __version__
from stm_screen.cli import screen_cli
from stm_screen.cli.errors import guard, set_debug
from stm_screen.cli.helptext import tidy
from stm_screen.cli.opts import TextsOpt, WithOpt, examples
from stm_screen.i18n import N_, SOURCE_LANGUAGE, current

tidy()

_ARGV = "stm_screen.argv"


def hide_command_line_words(exc: BaseException, argv: list[str]) -> None:
    """A usage error on a command line that holds --patient never repeats the line's words.

    Staff who type a name without quotes (``--patient John Smith``) would otherwise read "unexpected extra
    argument (Smith)": the command line's own words become "...", and the message says what a reference is.
    """
    message = getattr(exc, "message", None)
    if not isinstance(message, str) or not any(a == "--patient" or a.startswith("--patient=") for a in argv):
        return
    words = set()
    for token in argv:
        if token.startswith("-"):
            value = token.partition("=")[2]
            if value:
                words.add(value)
        elif token:
            words.add(token)
    hidden = message
    for word in sorted(words, key=len, reverse=True):
        hidden = re.sub(rf"(?<![\w]){re.escape(word)}(?![\w])", "...", hidden)
    if hidden != message:
        from stm_screen.core.patient import PATIENT_RULE
        from stm_screen.i18n import _

        exc.message = _(  # type: ignore[attr-defined]
            "{message}. The command line holds a patient reference, so its words are not repeated; {rule}"
        ).format(message=hidden.rstrip("."), rule=_(PATIENT_RULE))


def said(exc: BaseException, argv: list[str]) -> BaseException:
    """A usage error as the person reads it: in the tool's language, without the words of a command line
    that holds a patient reference; ``exc`` itself when nothing changes."""
    message = getattr(exc, "message", None)
    if (
        isinstance(message, str) and "Value error, " in message
    ):  # how Typer words a value not among the choices
        exc.message = message.replace("Value error, ", "")  # type: ignore[attr-defined]
    extra = re.fullmatch(r"Got unexpected extra argument\(s\) \((?P<args>.*)\)", message or "", re.S)
    labelled = any(a == "--patient" or a.startswith("--patient=") for a in argv)  # see hide_command_line_words
    if extra is not None and not labelled and not all(os.path.exists(word) for word in extra["args"].split()):
        # A word that is not a file may be a patient reference typed without --patient: not repeated
        from stm_screen.i18n import _

        exc.message = _(  # type: ignore[attr-defined]
            "More arguments than the command takes (not repeated here: they may hold a patient reference). "
            "To label a screening with a reference, use --patient REF"
        )
    from stm_screen.cli.typer_words import spoken_error

    spoken = spoken_error(exc)
    hide_command_line_words(spoken, argv)
    return spoken


class _Root(TyperGroup):
    """The top-level command group: usage errors go through :func:`hide_command_line_words`."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        argv = list(args)
        if parent is None and current() != SOURCE_LANGUAGE:
            from stm_screen.cli.typer_words import speak

            speak(self)  # the help of every command, in the language chosen at start
        try:
            ctx = super().make_context(info_name, args, parent=parent, **extra)
        except Exception as exc:
            spoken = said(exc, argv)
            if spoken is exc:
                raise
            raise spoken from None
        ctx.meta[_ARGV] = argv
        return ctx

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:  # a subcommand's usage error (extra argument, bad value, ...)
            spoken = said(exc, ctx.meta.get(_ARGV, []))
            if spoken is exc:
                raise
            raise spoken from None


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

app = typer.Typer(
    cls=_Root,
    name="stm-screen",
    help=N_(
        "Check whether a physical therapy evaluation is worth considering for long-lasting pain, "
        "after checking for warning signs that need a doctor first. A screening aid, not a diagnosis."
    ),
    epilog=examples(
        N_("stm-screen                       start the questionnaire"),
        N_("stm-screen score answers.yaml    score a file of answers"),
        N_("stm-screen batch export.csv -o results.csv"),
    ),
    no_args_is_help=False,
    add_completion=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)
rules_app = typer.Typer(
    help=N_("Check, show and describe rulesets."), no_args_is_help=True, context_settings=CONTEXT
)
app.add_typer(rules_app, name="rules")

RulesOpt = Annotated[
    str | None,
    typer.Option(
        "--rules",
        "-r",
        metavar=N_("RULES"),
        help=N_("Rules file or folder, or a bundled ruleset's name (default: pt-screen)."),
    ),
]


CountryOpt = Annotated[
    str | None,
    typer.Option(
        "--country",
        metavar=N_("CC"),
        help=N_(
            "Two-letter country code (US, GB, ES, ...) for the emergency number and crisis line shown; "
            "default: the locale's country (LANG), else text that names 112 and 911."
        ),
    ),
]
ScoreFormat = Literal["text", "json", "html", "md", "fhir"]


LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        metavar=N_("CODE"),
        help=N_(
            "Language of the text shown (en, es, ...); default: STM_SCREEN_LANG, else the locale "
            "(LC_ALL, LC_MESSAGES, LANG), else the ruleset's first language."
        ),
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"stm-screen {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help=N_("Show the version and exit.")),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help=N_("Show tracebacks of unexpected errors."))] = False,
    rules: screen_cli.RulesOpt = None,
    plain: screen_cli.PlainOpt = False,
    report: screen_cli.ReportOpt = None,
    force: screen_cli.ForceOpt = False,
    resume: screen_cli.ResumeOpt = False,
    patient: screen_cli.PatientOpt = None,
    next_patient: screen_cli.NextOpt = False,
    save: screen_cli.SaveOpt = False,
    country: screen_cli.CountryOpt = None,
    report_dir: screen_cli.ReportDirOpt = None,
    with_modules: WithOpt = None,
    texts: TextsOpt = None,
    lang: screen_cli.LangOpt = None,
) -> None:
    """With no command, start the screening questionnaire (it takes every option of 'screen')."""
    set_debug(debug)
    given = {
        k: v
        for k, v in {
            "rules": rules, "plain": plain, "report": report, "force": force, "resume": resume,
            "patient": patient, "next_patient": next_patient, "save": save, "country": country,
            "report_dir": report_dir, "with_modules": with_modules, "texts": texts, "lang": lang,
        }.items()
        if v not in (None, False)
    }  # fmt: skip
    if ctx.invoked_subcommand is None:
        screen_cli.start_default(given)
    elif given:
        from stm_screen.cli.errors import fail
        from stm_screen.i18n import _

        fail(
            _(
                "options of the questionnaire go after 'screen' or with no command, not before '{command}'"
            ).format(command=ctx.invoked_subcommand)
        )


SCORE_EXAMPLES = examples(
    N_("stm-screen score answers.yaml"),
    N_("stm-screen score answers.json --format json"),
    N_("stm-screen score answers.yaml --save --patient MRN-0042"),
    N_("cat answers.json | stm-screen score - --format html > result.html"),
)


@app.command(
    epilog=SCORE_EXAMPLES,
    short_help=N_("Score a file of answers and explain the result."),
    help=N_("Score a file of answers and print the recommendation with its explanation."),
)
@guard
def score(
    answers: Annotated[
        str,
        typer.Argument(
            metavar=N_("ANSWERS"),
            help=N_("JSON or YAML file of question id -> answer, or - for standard input."),
        ),
    ],
    rules: RulesOpt = None,
    fmt: Annotated[
        ScoreFormat,
        typer.Option("--format", "-f", metavar=N_("FORMAT"), help=N_("Output: text, json, html, md, fhir.")),
    ] = "text",
    save: Annotated[
        bool, typer.Option("--save", help=N_("Also save the result in the local history."))
    ] = False,
    patient: Annotated[
        str | None,
        typer.Option(
            "--patient",
            metavar=N_("REF"),
            help=N_(
                "A patient reference such as a record number (never a name): shown with the result, "
                "saved with --save, and in the FHIR output."
            ),
        ),
    ] = None,
    country: CountryOpt = None,
    with_modules: WithOpt = None,
    texts: TextsOpt = None,
    lang: LangOpt = None,
) -> None:
    from stm_screen.cli import score_cmd

    score_cmd.run(
        answers,
        rules=rules,
        fmt=fmt,
        save=save,
        patient=patient,
        country=country,
        with_modules=with_modules,
        texts=texts,
        lang=lang,
    )


RulesPathArg = Annotated[
    str | None,
    typer.Argument(
        metavar=N_("RULES"), help=N_("Rules file or folder, or a bundled name (default: pt-screen).")
    ),
]


@rules_app.command(
    "check",
    epilog=examples(N_("stm-screen rules check"), N_("stm-screen rules check my-rules.yaml")),
    short_help=N_("Validate a ruleset and run its examples."),
    help=N_(
        "Validate a ruleset (or an instrument module) and run its examples; with --texts, check the clinic's wording covers every item whose text is supplied."
    ),
)
@guard
def rules_check(
    path: Annotated[
        str | None,
        typer.Argument(
            metavar=N_("RULES"),
            help=N_("Rules file or folder, or an instrument module (default: the bundled ruleset)."),
        ),
    ] = None,
    with_modules: WithOpt = None,
    texts: TextsOpt = None,
    lang: LangOpt = None,
) -> None:
    from stm_screen.cli import rules_cmd

    rules_cmd.check(path, with_modules=with_modules, texts=texts, lang=lang)


@rules_app.command("test", hidden=True, help=N_("Alias of 'rules check'."))
@guard
def rules_test(
    path: RulesPathArg = None,
    with_modules: WithOpt = None,
    texts: TextsOpt = None,
) -> None:
    from stm_screen.cli import rules_cmd

    rules_cmd.check(path, with_modules=with_modules, texts=texts)


@rules_app.command(
    "show",
    epilog=examples(N_("stm-screen rules show"), N_("stm-screen rules show --format json")),
    short_help=N_("Overview of a ruleset's questions, signs and criteria."),
    help=N_("Show a readable overview of a ruleset's questions, warning signs, criteria and outcomes."),
)
@guard
def rules_show(
    path: RulesPathArg = None,
    fmt: Annotated[
        Literal["table", "json"],
        typer.Option("--format", "-f", metavar=N_("FORMAT"), help=N_("Output: table, json.")),
    ] = "table",
    with_modules: WithOpt = None,
    lang: LangOpt = None,
) -> None:
    from stm_screen.cli import rules_cmd

    rules_cmd.show(path, fmt, with_modules=with_modules, lang=lang)


@rules_app.command(
    "texts",
    epilog=examples(N_("stm-screen rules texts --with peg,startback -o texts.yaml")),
    short_help=N_("A template of the wording file (--texts)."),
    help=N_("Print a template of the wording file (--texts) for instruments whose item text is not shipped."),
)
@guard
def rules_texts(
    with_modules: WithOpt = None,
    rules: RulesOpt = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar=N_("FILE"), help=N_("Write to this file instead.")),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help=N_("Replace an existing file (a wording file already filled in)."))
    ] = False,
) -> None:
    from stm_screen.cli import rules_cmd

    rules_cmd.texts_template(rules, with_modules, output, force=force)


@rules_app.command(
    "schema",
    epilog=examples(N_("stm-screen rules schema --output ruleset.schema.json")),
    short_help=N_("Print the JSON Schema of rules files."),
    help=N_("Print the JSON Schema of rules files, for editors."),
)
@guard
def rules_schema(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar=N_("FILE"), help=N_("Write to this file instead.")),
    ] = None,
) -> None:
    from stm_screen.cli import rules_cmd

    rules_cmd.schema(output)


# Commands of the questionnaire, batch and clinic features live in their own light modules.
from stm_screen.cli import batch_cli, clinic_cli  # noqa: E402

screen_cli.register(app)
batch_cli.register(app, rules_app)
clinic_cli.register(app)


def main() -> None:
    """Console-script entry point."""
    from stm_screen.cli.main import main as entry

    entry()


if __name__ == "__main__":  # pragma: no cover
    main()
