"""The one place where errors become messages and exit codes.

Every command body runs inside :func:`guard`, which stops with ``SystemExit(code)`` (so it works the same with
or without Typer around it, see ``cli.main``). Named errors print their lines on stderr (never answers or
patient references beyond what the user's own file said) and exit with their documented code; Ctrl-C exits
130; anything unexpected prints one line pointing to ``--debug`` and exits 70. Tracebacks appear only with
``--debug`` (or ``STM_SCREEN_DEBUG=1``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from stm_screen.errors import ExitCode, StmScreenError
from stm_screen.i18n import _

if TYPE_CHECKING:
    from stm_screen.core.ruleset import Ruleset

P = ParamSpec("P")
R = TypeVar("R")

_state = {"debug": False}
# A message the person had to see (an error or a warning) that standard error could not take (closed, or a
# full disk or /dev/full): the command then does not end as a success (see :func:`guard`).
_lost = {"said": False}


def set_debug(on: bool) -> None:
    _state["debug"] = on or os.environ.get("STM_SCREEN_DEBUG", "") not in ("", "0")


def debug_enabled() -> bool:
    return _state["debug"] or os.environ.get("STM_SCREEN_DEBUG", "") not in ("", "0")


def say_error(line: str, *, needed: bool = True) -> None:
    """A message on stderr, prefixed so it stands out; plain text so it works on every terminal. A line
    break in the message starts a line of its own (a command to run, say). ``needed``: the person must
    see it (an error, a warning); False for a count or a confirmation that the result itself shows."""
    _to_stderr(_fit_terminal("stm-screen: " + _shown(line)) + "\n", needed)


def _shown(line: str) -> str:
    """Values quoted from files (answers, survey exports, file names) may hold escape sequences: show them,
    never run them (also in a log or pipe, which a terminal may show: ``2>&1 | tee log``)."""
    return "\n".join(
        "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in part)
        for part in line.split("\n")
    )


def _fit_terminal(text: str) -> str:
    """On a terminal, lines longer than it is wide wrap between words (the terminal itself would cut
    words in two at its edge); an indented line keeps its indent. Elsewhere (a log, a pipe) unchanged."""
    try:
        stream = sys.stderr
        if not stream.isatty():
            return text
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return text
    if columns < 20:  # a terminal that does not say its size (0), or one too narrow to wrap for
        return text
    import textwrap

    width = columns - 1
    lines: list[str] = []
    for part in text.split("\n"):
        indent = part[: len(part) - len(part.lstrip(" "))]
        lines.extend(
            textwrap.wrap(
                part, width, subsequent_indent=indent, break_on_hyphens=False, break_long_words=False
            )
            or [""]
        )
    return "\n".join(lines)


def _to_stderr(text: str, needed: bool = True) -> None:
    """Write to stderr; a console that cannot print a character gets '?', and a closed or full stderr
    loses the message (there is nowhere else to say it) rather than crash. A ``needed`` message lost so is
    remembered: the command then exits 1, never 0 (see :func:`guard`)."""
    stream = sys.stderr
    if getattr(stream, "nowhere", False):  # closed when the command started (cli.streams)
        _lost["said"] = _lost["said"] or needed
        return
    try:
        try:
            stream.write(text)
        except UnicodeEncodeError:
            stream.write(text.encode("ascii", "replace").decode("ascii"))
        stream.flush()
    except (OSError, ValueError, AttributeError):
        _lost["said"] = _lost["said"] or needed


def message_lost() -> bool:
    """Has a needed message (an error, a warning) gone nowhere since the command started?"""
    return _lost["said"]


def say_info(line: str) -> None:
    """A note for the person on stderr, so that stdout stays data only (escape sequences shown, not run):
    a confirmation or a count, which the command's success does not hang on."""
    _to_stderr(_fit_terminal(_shown(line)) + "\n", needed=False)


def say_warning(line: str) -> None:
    """:func:`say_info` for a warning the person must see (rules that may be wrong, answers that contradict
    each other): when standard error cannot take it, the command exits 1, never 0."""
    _to_stderr(_fit_terminal(_shown(line)) + "\n", needed=True)


def tell_notices(ruleset: Ruleset) -> None:
    """What a person adding modules should know (on stderr, once)."""
    for notice in ruleset.notices:
        say_info(f"note: {notice}")


def quiet_signals() -> None:
    """Once interrupted, a second Ctrl-C, SIGTERM or SIGHUP (one held while helper processes were started
    or reaped, say) is ignored while the run cleans up: it must not escape as a second KeyboardInterrupt,
    which ends the interpreter by SIGINT instead of the documented exit code 130."""
    import signal
    import threading

    import stm_screen.batch

    if not stm_screen.batch.OWN_PROCESS or threading.current_thread() is not threading.main_thread():
        return  # (a program that runs a command in its own process keeps its handlers)
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, signal.SIG_IGN)


def guard(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a command body, translating errors into messages and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _lost["said"] = False
        try:
            try:
                done = fn(*args, **kwargs)
            finally:
                _flush_stdout()  # a result that cannot be written is an error, reported here
            if _lost["said"]:  # a warning went nowhere: not a success (its output, if any, is complete)
                raise SystemExit(int(ExitCode.INVALID_DATA))
            return done
        except StmScreenError as exc:
            if debug_enabled():
                _debug_traceback(exc)
            from stm_screen.i18n import person, speaking

            with speaking(person()):  # batch reads in English (its cells are data); the person reads theirs
                for line in exc.lines():
                    say_error(line)
            raise SystemExit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            quiet_signals()
            say_error(_("interrupted"))
            raise SystemExit(int(ExitCode.INTERRUPTED)) from None
        except BrokenPipeError:  # standard output not through cli.streams (an embedding program's)
            _quiet_broken_pipe()
            say_error(_("cannot write to standard output (the program reading it stopped reading)"))
            raise SystemExit(int(ExitCode.INVALID_DATA)) from None
        except Exception as exc:
            if _is_cli_exit(exc):  # the command line library's own "exit with this code"
                if _lost["said"] and not getattr(exc, "exit_code", 1):
                    raise SystemExit(int(ExitCode.INVALID_DATA)) from None
                raise
            if debug_enabled():
                import traceback

                traceback.print_exc()
            # The type only: an exception's text may hold answers or patient references.
            say_error(
                _(
                    "internal error ({kind}); this is a bug. Run again with --debug to see the details."
                ).format(kind=type(exc).__name__)
            )
            raise SystemExit(int(ExitCode.INTERNAL)) from None

    return wrapper


def _debug_traceback(exc: BaseException) -> None:
    """With --debug: the traceback of a named error, and that of the error it stood for, also where the
    message was made to replace it (``raise ... from None``): the details its plain words leave out
    (a library's error, its exception class)."""
    import traceback

    traceback.print_exc()
    hidden = exc.__context__ if exc.__suppress_context__ and exc.__cause__ is None else None
    if hidden is not None:
        _to_stderr(_("The error behind this message:") + "\n")
        traceback.print_exception(hidden)


def _flush_stdout() -> None:
    stdout = sys.stdout
    if stdout is not None:
        stdout.flush()


def _is_cli_exit(exc: BaseException) -> bool:
    kind = type(exc)
    return kind.__name__ in ("Exit", "Abort") and kind.__module__.split(".")[0] in ("typer", "click")


def _quiet_broken_pipe() -> None:
    """stdout was closed early (``| head``): stop quietly, like other Unix tools."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> Any:
    """Stop with one message and an exit code (for checks made in the CLI layer)."""
    say_error(message)
    raise SystemExit(int(code))
