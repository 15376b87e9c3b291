"""Standard streams made safe before any command runs (called first by both entry points).

- A closed standard input reads as empty (as ``< /dev/null``): a command that needs input says so plainly.
- Standard output is written through :class:`GuardedOutput`: a write that fails (a full disk or
  ``/dev/full``, a pipe whose reader left, a closed descriptor) raises :class:`OutputError`, which the CLI
  reports in one line with exit code 1: output that went nowhere is never a success. Later writes are
  dropped, so nothing is printed again at exit. Before its first byte, standard output is checked not to be
  a file the command read (``rules show r.yaml 1<> r.yaml``; :func:`stm_screen.io.sameness.check_stdout`).
- A closed standard error swallows messages (there is nowhere to say them); an error or warning that a
  closed or full standard error could not take makes the command exit 1, never 0 (``cli.errors.guard``).
- Descriptors 0, 1 and 2, when closed, are held open on the null device, so that no file the command
  opens later takes their number (and receives what was meant for the terminal).
- A console that cannot print a character gets a '?' for it; a terminal never gets a control character
  from data (:mod:`stm_screen.render.safe`).
"""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import Any

from stm_screen.errors import ExitCode, StmScreenError
from stm_screen.i18n import N_

_REASONS = {
    errno.ENOSPC: N_("the disk or device is full"),
    errno.EPIPE: N_("the program reading it stopped reading"),
    errno.EBADF: N_("it is closed"),
    errno.EDQUOT: N_("the disk quota is used up"),
    errno.EFBIG: N_("the file is too large"),
    errno.EIO: N_("an input/output error"),
}


def write_reason(code: int | None) -> str:
    """Why a write failed, in plain words (in the tool's language)."""
    from stm_screen.i18n import _

    known = _REASONS.get(code or 0)
    return _(known) if known else (os.strerror(code) if code else _("unknown error"))


class OutputError(StmScreenError):
    """Standard output could not take what was written: the result went nowhere (exit 1)."""

    exit_code = ExitCode.INVALID_DATA

    def __init__(self, code: int | None) -> None:
        from stm_screen.i18n import _

        reason = write_reason(code)
        super().__init__(
            _("cannot write to standard output ({reason}); the output is incomplete").format(reason=reason)
        )


class GuardedOutput(io.FileIO):
    """The file descriptor under standard output: a failed write raises :class:`OutputError` once, then
    every later write is dropped (so the interpreter's last flush prints nothing)."""

    failed = False
    closed_at_start = False
    checked = False

    def write(self, data: Any) -> int:
        if self.failed:
            return len(data)
        if self.closed_at_start:
            self.failed = True
            raise OutputError(errno.EBADF)
        if not self.checked:  # before the first byte: never onto a file this command read
            self.checked = True
            from stm_screen.io.sameness import check_stdout

            try:
                check_stdout()
            except StmScreenError:
                self.failed = True
                raise
        try:
            return super().write(data) or 0
        except OSError as exc:
            self.failed = True
            raise OutputError(exc.errno) from None


class _Sink(io.TextIOBase):
    """Standard error when it is closed: messages have nowhere to go (a warning or an error lost so makes
    the command exit 1: see ``cli.errors``)."""

    nowhere = True

    def write(self, text: str) -> int:
        return len(text)

    def writable(self) -> bool:
        return True


def _fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _hold(fd: int) -> None:
    """Keep a closed descriptor's number taken, on the null device."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
    except OSError:  # pragma: no cover - no null device
        return
    if null != fd:
        os.dup2(null, fd)
        os.close(null)


def prepare() -> None:
    """Make the standard streams safe (see the module)."""
    closed = [fd for fd in (0, 1, 2) if not _fd_open(fd)]
    for fd in closed:
        _hold(fd)
    if closed:  # a path naming one of them (-o /dev/stdout) is refused, not written to the null device
        from stm_screen.io.atomic import CLOSED_STREAMS

        CLOSED_STREAMS.update(closed)
    if sys.stdin is None or 0 in closed:
        sys.stdin = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")
    if sys.stderr is None or 2 in closed:
        sys.stderr = _Sink()
    _guard_stdout(1 in closed or sys.stdout is None)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):  # pragma: no cover - a stream that cannot be reconfigured
                pass
    from stm_screen.render.safe import guard_terminals

    guard_terminals()


def _guard_stdout(closed: bool) -> None:
    old = sys.stdout
    if not closed:
        try:
            fd = old.fileno()
        except (AttributeError, OSError, ValueError):  # already replaced (tests capture it): leave it
            return
        if fd != 1 or isinstance(getattr(getattr(old, "buffer", None), "raw", None), GuardedOutput):
            return
    raw = GuardedOutput(1, "w", closefd=False)
    raw.closed_at_start = closed
    encoding = getattr(old, "encoding", None) or "utf-8"
    errors = getattr(old, "errors", None) or "strict"
    line_buffering = bool(getattr(old, "line_buffering", False))
    if old is not None and not closed:
        try:
            old.flush()
        except (OSError, ValueError):
            pass
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw), encoding=encoding, errors=errors, line_buffering=line_buffering
    )


def finish() -> None:
    """Flush standard output inside the command, so a failure is reported, not left to the interpreter."""
    stdout = sys.stdout
    if stdout is not None:
        stdout.flush()
