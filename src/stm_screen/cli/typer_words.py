"""Typer's own words in the tool's language: usage lines, headings, the help of every command and option,
and usage errors ("Usage:", "Options:", "Try 'stm-screen batch -h' for help.", "Error: No such option ...").

Typer (0.29 and later) carries its own copy of click, whose words are English f-strings rather than gettext
calls, so no catalogue can reach them; and Typer reads the commands' help when the app is defined. So the words
are translated where they are shown, in one place, once a language is chosen:

- :func:`speak` walks the command tree Typer builds for a run (``_Root.make_context`` calls it) and puts each
  command's help, short help, epilog and metavars, and each parameter's help and metavar, through ``_()``; the
  help texts are marked ``N_()`` where they are written (``cli/app.py`` and the ``*_cli.py`` modules). It also
  gives each command a context whose help formatter says "Usage:" and the section headings in the language.
- :func:`spoken_error` turns a usage error (its message, the "Try ... for help." line and "Error:") into one
  said in the language; messages the tool itself raised are already translated and are kept.
- Typer's few gettext calls ("default: ...", "required", "Aborted!") are pointed at the tool's catalogue by
  ``cli.helptext.tidy``.

In English nothing is changed (Typer's text is the English source). ``tests/test_cli_spanish.py`` checks that
every help of every command has a Spanish translation, and that usage errors are said in Spanish.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import IO, Any

from typer._click.core import Context
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer._click.formatting import HelpFormatter

from stm_screen.i18n import N_, SOURCE_LANGUAGE, _, current

# Typer's words as it writes them, translated where they are shown (see the module docstring).
TYPER_WORDS = (
    N_("Usage:"),
    N_("Options"),
    N_("Arguments"),
    N_("Commands"),
    N_("Examples:"),
    N_("[OPTIONS]"),
    N_("COMMAND [ARGS]..."),
    N_("Show this message and exit."),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
    N_("default: {default}"),
    N_("required"),
    N_("env var: {var}"),
    N_("(dynamic)"),
    N_("Missing command."),
    N_("No such command {name!r}."),
    N_("Aborted!"),
)


class SpokenFormatter(HelpFormatter):
    """Click's help formatter with its headings, usage prefix and help column in the tool's language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix if prefix is not None else _("Usage:") + " ")

    def write_heading(self, heading: str) -> None:
        super().write_heading(_(heading))

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        # The help option is made by click when help is shown, after speak() ran: its text is translated here.
        # (Never _(""): gettext gives the catalogue's header for the empty string.)
        super().write_dl(
            [(first, _(second) if second else second) for first, second in rows], col_max, col_spacing
        )


_CONTEXTS: dict[type, type] = {}


def _spoken_context(base: type[Context]) -> type[Context]:
    """``base`` with the spoken formatter (one class per base, made once)."""
    if base.formatter_class is SpokenFormatter:
        return base
    if base not in _CONTEXTS:
        _CONTEXTS[base] = type(f"Spoken{base.__name__}", (base,), {"formatter_class": SpokenFormatter})
    return _CONTEXTS[base]


def _epilog(text: str) -> str:
    """Each line of an epilog ("Examples:", then one example per line) translated on its own."""
    out = []
    for line in text.split("\n"):
        words = line.strip()
        out.append(line[: len(line) - len(line.lstrip())] + _(words) if words else line)
    return "\n".join(out)


def _said(text: Any) -> Any:
    """A help text in the tool's language; anything else (None, "") as it is (gettext gives the catalogue's
    header for the empty string)."""
    return _(text) if isinstance(text, str) and text else text


def speak(command: Any) -> None:
    """Put the help of ``command`` and of every command under it in the tool's language (in place)."""
    if current() == SOURCE_LANGUAGE:
        return
    command.context_class = _spoken_context(command.context_class)
    for name in ("help", "short_help", "options_metavar", "subcommand_metavar"):
        if hasattr(command, name):
            setattr(command, name, _said(getattr(command, name)))
    if isinstance(getattr(command, "epilog", None), str):
        command.epilog = _epilog(command.epilog)
    for param in command.params:
        for name in ("help", "metavar"):
            if hasattr(param, name):
                setattr(param, name, _said(getattr(param, name)))
        if param.name == "install_completion":
            param.callback = _install_completion
    for sub in getattr(command, "commands", {}).values():
        speak(sub)


def _install_completion(ctx: Context, param: Any, value: Any) -> Any:
    """Typer's ``--install-completion``, saying what it did in the tool's language (its own words are English
    f-strings): the same install, the same exit."""
    if not value or ctx.resilient_parsing:
        return value
    import sys

    from typer._click import echo, termui
    from typer._completion_shared import install

    shell, path = install(shell=value) if isinstance(value, str) else install()
    termui.secho(_("{shell} completion installed in {path}").format(shell=shell, path=path), fg="green")
    echo(_("Completion will take effect once you restart the terminal"))
    sys.exit(0)


# Click's usage errors, as Typer's copy of click words them, and how they are said in the tool's language.
_Pattern = tuple["re.Pattern[str]", Callable[["re.Match[str]"], str]]


def _reason(text: str) -> str:
    """Why a value was refused (the part after "Invalid value for '--x': ")."""
    for pattern, say in _reasons():
        found = pattern.fullmatch(text)
        if found:
            return say(found)
    return text


@lru_cache(maxsize=1)
def _reasons() -> list[_Pattern]:
    """Compiled when a usage error is said, not at start-up (``--version`` stays fast)."""
    return [
        (
            re.compile(r"(?P<value>.*) is not one of (?P<choices>.*)\."),
            lambda m: _("{value} is not one of {choices}.").format(value=m["value"], choices=m["choices"]),
        ),
        (
            re.compile(r"Input should be less than or equal to (?P<limit>\S+)"),
            lambda m: _("It must be {limit} or less.").format(limit=m["limit"]),
        ),
        (
            re.compile(r"Input should be greater than or equal to (?P<limit>\S+)"),
            lambda m: _("It must be {limit} or more.").format(limit=m["limit"]),
        ),
        (
            re.compile(r"Input should be a valid integer.*"),
            lambda m: _("It must be a whole number."),
        ),
        (
            re.compile(r"Input should be a valid number.*"),
            lambda m: _("It must be a number."),
        ),
        (
            re.compile(r"Value (?P<value>.*) is not a valid (?P<label>.*)\."),
            lambda m: _("{value} is not valid here.").format(value=m["value"]),
        ),
    ]


@lru_cache(maxsize=1)
def _messages() -> list[_Pattern]:
    """Compiled when a usage error is said, not at start-up."""
    return [
        (
            re.compile(r"No such option: (?P<name>\S+) \(Possible options: (?P<options>.*)\)"),
            lambda m: _("No such option: {name} (options with a similar name: {options})").format(
                name=m["name"], options=m["options"]
            ),
        ),
        (
            re.compile(r"No such option: (?P<name>.*)"),
            lambda m: _("No such option: {name}").format(name=m["name"]),
        ),
        (
            re.compile(r"(?P<message>.*\.) Did you mean (?P<options>.*)\?", re.S),
            lambda m: (
                say_message(m["message"])
                + " "
                + _("Did you mean {options}?").format(options=_either(m["options"]))
            ),
        ),
        (
            re.compile(r"No such command '(?P<name>.*)'\."),
            lambda m: _("No such command '{name}'.").format(name=m["name"]),
        ),
        (re.compile(r"Missing command\."), lambda m: _("Missing command.")),
        (
            re.compile(r"Missing argument (?P<name>.+?)\.(?: (?P<more>.*))?", re.S),
            lambda m: _("Missing argument {name}.").format(name=m["name"]) + _more(m["more"]),
        ),
        (
            re.compile(r"Missing option (?P<name>.+?)\.(?: (?P<more>.*))?", re.S),
            lambda m: _("Missing option {name}.").format(name=m["name"]) + _more(m["more"]),
        ),
        (
            re.compile(r"Missing parameter(?::)? (?P<name>.+?)\.?(?: (?P<more>.*))?", re.S),
            lambda m: _("Missing value {name}.").format(name=m["name"]) + _more(m["more"]),
        ),
        (
            re.compile(r"Invalid value for (?P<name>.+?): (?P<reason>.*)", re.S),
            lambda m: _("Invalid value for {name}: {reason}").format(
                name=m["name"], reason=_reason(m["reason"])
            ),
        ),
        (
            re.compile(r"Invalid value: (?P<reason>.*)", re.S),
            lambda m: _("Invalid value: {reason}").format(reason=_reason(m["reason"])),
        ),
        (
            re.compile(r"Got unexpected extra argument\(s\) \((?P<args>.*)\)", re.S),
            lambda m: _("More arguments than the command takes ({args})").format(args=m["args"]),
        ),
        (
            re.compile(r"Option (?P<name>'.*') requires an argument\."),
            lambda m: _("Option {name} needs a value after it.").format(name=m["name"]),
        ),
        (
            re.compile(r"Option (?P<name>'.*') requires (?P<n>\d+) arguments\."),
            lambda m: _("Option {name} needs {n} values after it.").format(name=m["name"], n=m["n"]),
        ),
        (
            re.compile(r"Option (?P<name>'.*') does not take a value\."),
            lambda m: _("Option {name} does not take a value.").format(name=m["name"]),
        ),
        (
            re.compile(r"Argument (?P<name>'.*') takes (?P<n>\d+) values\."),
            lambda m: _("Argument {name} takes {n} values.").format(name=m["name"], n=m["n"]),
        ),
    ]


def _either(options: str) -> str:
    """Typer's "'score', 'screen'" as "'score' or 'screen'" (more than two stay a list)."""
    first, sep, second = options.partition(", ")
    if sep and ", " not in second:
        return _("{first} or {second}").format(first=first, second=second)
    return options


def _more(text: str | None) -> str:
    """What follows "Missing argument 'X'.": Typer's list of choices ("Choose from: ..."), if any."""
    if not text:
        return ""
    found = re.fullmatch(r"Choose from:\s*(?P<choices>.*)", text, re.S)
    if found:
        return " " + _("Choose from: {choices}").format(choices=found["choices"].strip())
    return " " + text


def say_message(message: str) -> str:
    """A usage error's message (as click formats it) in the tool's language; unknown ones as they are."""
    for pattern, say in _messages():
        found = pattern.fullmatch(message)
        if found:
            return say(found)
    return message


class SpokenUsageError(UsageError):
    """A usage error said in the tool's language, shown as click shows one (usage, hint, error)."""

    def __init__(self, original: UsageError) -> None:
        super().__init__(say_message(original.format_message()), original.ctx)
        self.exit_code = original.exit_code

    def show(self, file: IO[Any] | None = None) -> None:
        from typer._click._compat import get_text_stderr
        from typer._click.utils import echo

        if file is None:
            file = get_text_stderr()
        color = None
        hint = ""
        if self.ctx is not None and self.ctx.command.get_help_option(self.ctx) is not None:
            hint = _("Try '{command} {option}' for help.").format(
                command=self.ctx.command_path, option=self.ctx.help_option_names[0]
            )
            hint += "\n"
        if self.ctx is not None:
            color = self.ctx.color
            echo(f"{self.ctx.get_usage()}\n{hint}", file=file, color=color)
        echo(_("Error: {message}").format(message=self.format_message()), file=file, color=color)


def spoken_error(exc: BaseException) -> BaseException:
    """A click usage error in the tool's language (a new exception), or ``exc`` itself: in English, for
    "no arguments, so here is the help", and for errors that are not click's."""
    if current() == SOURCE_LANGUAGE or isinstance(exc, (SpokenUsageError, NoArgsIsHelpError)):
        return exc
    if isinstance(exc, UsageError):
        return SpokenUsageError(exc)
    return exc
