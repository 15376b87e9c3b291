"""Named errors raised by the core and the I/O modules.

Every error carries what a person needs to fix the problem (file, line, question id, what is allowed)
and never the answers themselves beyond the offending value of a data file the user handed us.
The command line turns them into messages and exit codes in one place (``stm_screen.cli.errors``).
"""

from enum import IntEnum
from typing import NamedTuple

_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
_CONTROL.update({c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def printable(text: str) -> str:
    """Text with control characters shown as escapes (``\\n``, ``\\x1b``): a message quoting a file's
    content stays on one line and cannot send escape sequences to the terminal."""
    return text.translate(_CONTROL)


def said(value: object) -> str:
    """``value`` as text in the current language: a message made with ``i18n.L_`` (an ``i18n.Text``) is said
    again in it; anything else as it is. (Duck-typed: ``i18n`` imports this module.)"""
    again = getattr(value, "said", None)
    return again() if callable(again) and isinstance(value, str) else str(value)


def os_reason(exc: OSError) -> str:
    """Why the system refused a file operation: its own words ("No space left on device"), or, for the
    rare error that gives none, a plain sentence (never the name of a Python exception)."""
    if exc.strerror:
        return str(exc.strerror)
    from stm_screen.i18n import L_

    return L_("the system gave no reason")


def value_words(value: object) -> str:
    """A value read from a YAML or JSON file, for a message: a text in quotes (shortened), a number or
    true/false as written, anything else said in words ("a date and time (2001-12-14 21:05)", "a null"),
    never as Python shows it (``None``, ``datetime.date(2001, 12, 14)``)."""
    import datetime
    import math
    from collections.abc import Mapping

    from stm_screen.i18n import L_

    if isinstance(value, str):
        shown = printable(value)
        return f"'{shown}'" if len(shown) <= 60 else f"'{shown[:57]}...'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return L_("a null (~, null or nothing written)")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return L_("a value that is not a number (.nan)")
        if math.isinf(value):
            return L_("an infinite number ({value})", value=".inf" if value > 0 else "-.inf")
        return str(value)
    if isinstance(value, datetime.datetime):
        spec = "minutes" if not value.second and not value.microsecond else "auto"
        return L_("a date and time ({value})", value=value.isoformat(sep=" ", timespec=spec))
    if isinstance(value, datetime.date):
        return L_("a date ({value})", value=value.isoformat())
    if isinstance(value, bytes | bytearray):
        return L_("binary data")
    if isinstance(value, Mapping):
        return L_("a mapping")
    if isinstance(value, list | tuple):
        return L_("a list")
    if isinstance(value, set | frozenset):
        return L_("a set")
    return L_("a value of another kind")


def answered_twice(key: object) -> str:
    """The one message for a question answered twice in one record, in every input format."""
    from stm_screen.i18n import _

    shown = printable(str(key))
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return _("'{key}' is answered twice; keep one answer").format(key=shown)


class ExitCode(IntEnum):
    """The exit codes documented in the README."""

    OK = 0
    INVALID_DATA = 1  # invalid answers or data; a batch with some bad records
    USAGE = 2  # bad command line, invalid rules or mapping file
    STORE = 3  # the local history store cannot be used
    INTERNAL = 70  # a bug: an unexpected error (run with --debug for the traceback)
    INTERRUPTED = 130  # Ctrl-C, closed terminal


class Problem(NamedTuple):
    """One problem in a file: where it is and what is wrong."""

    message: str
    file: str = ""
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        # in the current language when it is a re-sayable message (i18n.Text); one line, whatever a file's
        # id or text quoted in it holds (a line break inside a quoted id is shown as \n)
        message = printable(said(self.message))
        if not self.file:
            return message
        if not self.line:
            return f"{self.file}: {message}"
        return f"{self.file}:{self.line}:{self.col or 1}: {message}"


class StmScreenError(Exception):
    """Base of every error the tool reports to a person."""

    exit_code: ExitCode = ExitCode.INVALID_DATA

    def __str__(self) -> str:
        if len(self.args) == 1:
            return said(self.args[0])  # a message made with i18n.L_ is said in the current language
        return super().__str__()

    def lines(self) -> list[str]:
        return [str(self)]


class ProblemsError(StmScreenError):
    """An error made of one or more located problems, all reported at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class RulesError(ProblemsError):
    """A rules file (or folder) cannot be loaded: syntax, shape, conditions, examples."""

    exit_code = ExitCode.USAGE


class MappingError(ProblemsError):
    """A batch mapping file cannot be loaded."""

    exit_code = ExitCode.USAGE


class AnswerProblem(NamedTuple):
    """One invalid answer: the question it belongs to and what is allowed."""

    question: str
    message: str

    def __str__(self) -> str:
        message = said(self.message)
        return f"{self.question}: {message}" if self.question else message


class AnswersError(StmScreenError):
    """The answers handed to the scorer are not valid for the ruleset."""

    exit_code = ExitCode.INVALID_DATA

    def __init__(self, problems: list[AnswerProblem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        super().__init__("\n".join(self.lines()))

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        prefix = f"{self.source}: " if self.source else ""
        return [f"{prefix}{p}" for p in self.problems]


class InputFileError(StmScreenError):
    """A data file (answers, survey export) cannot be read at all."""

    exit_code = ExitCode.INVALID_DATA


class UsageError(StmScreenError):
    """The command line asks for something that cannot be done."""

    exit_code = ExitCode.USAGE


class StoreError(StmScreenError):
    """The local history store cannot be opened, read or written."""

    exit_code = ExitCode.STORE


class Interrupted(StmScreenError):
    """The person stopped the program (Ctrl-C, end of input)."""

    exit_code = ExitCode.INTERRUPTED
