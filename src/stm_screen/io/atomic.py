"""Writing files so that nothing half-written is ever left: a temp file beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from stm_screen.errors import InputFileError, UsageError
from stm_screen.i18n import _

_SQLITE_MAGIC = b"SQLite format 3\x00"


def _is_database(target: Path) -> bool:
    """True for an existing SQLite database file, or the write-ahead files beside one."""
    suffixes = ("-wal", "-shm", "-journal")
    candidates = [
        target,
        *(target.with_name(target.name[: -len(x)]) for x in suffixes if target.name.endswith(x)),
    ]
    for path in candidates:
        try:
            with open(path, "rb") as handle:
                if handle.read(16) == _SQLITE_MAGIC:
                    return True
        except OSError:
            continue
    return False


@contextlib.contextmanager
def atomic_writer(
    target: Path,
    *,
    force: bool = True,
    mode: int | None = None,
    newline: str | None = None,
    encoding: str = "utf-8",
) -> Iterator[IO[str]]:
    """Open a temp file next to ``target``; rename it over the target only if the block succeeds."""
    target = Path(target)
    if target.exists() and target.is_dir():
        raise UsageError(_("{path}: is a folder").format(path=target))
    if not force and target.exists():
        raise UsageError(_("{path}: already exists; use --force to overwrite it").format(path=target))
    if _is_database(target):
        # An output path mistyped as the history store (or any SQLite file) would replace it whole.
        raise UsageError(
            _("{path}: is a database file (such as the screening history); choose another output").format(
                path=target
            )
        )
    folder = target.parent if str(target.parent) else Path(".")
    made: list[str] = []
    try:
        try:
            with signals_held():  # Ctrl-C between creating the temp file and knowing its name leaked it
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
                made.append(tmp)
        except FileNotFoundError:
            raise InputFileError(_("{path}: the folder {folder} does not exist").format(path=target, folder=folder)) from None
        except PermissionError:
            raise InputFileError(_("{path}: permission denied").format(path=target)) from None
        except OSError as exc:
            raise InputFileError(_("{path}: cannot write ({reason})").format(path=target, reason=exc.strerror or type(exc).__name__)) from None
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        for name in made:
            with contextlib.suppress(OSError):
                os.unlink(name)
        raise


@contextlib.contextmanager
def signals_held() -> Iterator[Any]:
    """Hold SIGINT, SIGTERM and SIGHUP for a few instructions (POSIX); they are delivered right after.
    Yields the signal mask from before (for a forked child to restore), or None where there is none."""
    import signal

    held = {signal.SIGINT, *(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))}
    if not hasattr(signal, "pthread_sigmask"):
        yield None
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield old
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def write_text_atomic(target: Path, text: str, *, force: bool = True, mode: int | None = None) -> None:
    try:
        with atomic_writer(target, force=force, mode=mode) as handle:
            handle.write(text)
    except OSError as exc:
        raise InputFileError(_("{path}: cannot write ({reason})").format(path=target, reason=exc.strerror or type(exc).__name__)) from None


def write_bytes_atomic(target: Path, data: bytes, *, force: bool = True, mode: int | None = None) -> None:
    """Bytes (a PDF) written as :func:`write_text_atomic` writes text: a temp file renamed over the target."""
    try:
        with atomic_writer(target, force=force, mode=mode, encoding="latin-1") as handle:
            handle.buffer.write(data)  # type: ignore[attr-defined]
    except OSError as exc:
        raise InputFileError(_("{path}: cannot write ({reason})").format(path=target, reason=exc.strerror or type(exc).__name__)) from None
