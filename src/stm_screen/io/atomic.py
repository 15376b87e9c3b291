"""Writing files so that nothing half-written is ever left: a temp file beside the target, then rename."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from stm_screen.errors import InputFileError, UsageError, os_reason
from stm_screen.i18n import L_, _

_SQLITE_MAGIC = b"SQLite format 3\x00"


def is_special(path: Path) -> bool:
    """An existing output that is not a regular file or a folder (a device, FIFO or socket), or a path that
    names a standard stream (see :func:`named_stream`, whatever it is open on): it is written in place;
    renaming a file over it would replace the device or the link itself (as root, /dev/null)."""
    import stat

    if named_stream(path) is not None:
        return True
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


# The standard descriptors that were closed when the command started (set by cli.streams, which holds them
# open on the null device): a path naming one of them (/dev/stdout, /dev/fd/1, /proc/self/fd/1, or a link to
# one) would write into the null device, and the output would go nowhere with success.
CLOSED_STREAMS: set[int] = set()
_STD_NAMES = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_FD_PATH = re.compile(r"/(?:dev/fd|proc/(?:self|thread-self|(\d+))(?:/task/\d+)?/fd)/(\d+)")


def named_stream(path: Path) -> int | None:
    """The descriptor that ``path`` names (/dev/stdout, /dev/fd/N, /proc/self/fd/N, or a link to one), or
    None. Such a path is written through the descriptor itself: renaming a temp file over it would replace
    the link (as root, /dev/stdout for every process), and the output would go to the file, not the stream."""
    here = os.path.abspath(str(path))
    for _hop in range(40):  # as many links as the system follows
        n = _STD_NAMES.get(here)
        if n is None:
            found = _FD_PATH.fullmatch(here)
            if found is not None and (found.group(1) is None or int(found.group(1)) == os.getpid()):
                n = int(found.group(2))
        if n is not None:
            return n
        try:
            link = os.readlink(here)
        except (OSError, ValueError):
            return None
        here = os.path.normpath(os.path.join(os.path.dirname(here), link))
    return None


def open_special(target: Path, *, encoding: str = "utf-8", newline: str | None = None) -> IO[str]:
    """Open a device, FIFO or socket to write in place (see :func:`is_special`), or a standard stream named
    by path through its own descriptor (whatever it is open on: a terminal, a pipe, a file opened for
    appending); a closed standard stream named by path is refused as output that would go nowhere."""
    n = named_stream(target)
    if n is not None and n in CLOSED_STREAMS:
        reason = _("standard output is closed") if n != 2 else _("standard error is closed")
        raise InputFileError(L_("{path}: cannot write ({reason}); nothing was written", path=target, reason=reason))
    if n is not None:
        import sys

        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None and stream.fileno() == n:
                    stream.flush()  # what was already written to it comes first
            except (OSError, ValueError, AttributeError):
                pass
    try:
        if n is not None:
            return os.fdopen(os.dup(n), "w", encoding=encoding, newline=newline)
        return open(target, "w", encoding=encoding, newline=newline)  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        raise InputFileError(
            L_("{path}: cannot write ({reason})", path=target, reason=os_reason(exc))
        ) from None


def _is_database(target: Path) -> bool:
    """True for an existing SQLite database file, or the write-ahead files beside one."""
    suffixes = ("-wal", "-shm", "-journal")
    candidates = [
        target,
        *(target.with_name(target.name[: -len(x)]) for x in suffixes if target.name.endswith(x)),
    ]
    for path in candidates:
        if is_special(path):
            continue  # never opened to be read: a FIFO would block
        try:
            with open(path, "rb") as handle:
                if handle.read(16) == _SQLITE_MAGIC:
                    return True
        except OSError:
            continue
    return False


PARTIAL_SUFFIX = ".stm-screen-partial"  # a temp file that has a name: locked while it is written
_PARTIAL = re.compile(r"\..+\.[0-9a-f]{8}" + re.escape(PARTIAL_SUFFIX), re.S)  # as _partial_name makes them


@contextlib.contextmanager
def atomic_writer(
    target: Path,
    *,
    force: bool = True,
    mode: int | None = None,
    newline: str | None = None,
    encoding: str = "utf-8",
) -> Iterator[IO[str]]:
    """Open a temp file in ``target``'s folder; it takes the target's name only if the block succeeds.

    The temp file has no name while it is written (Linux ``O_TMPFILE``): a process killed even with
    ``kill -9`` leaves nothing behind. It is linked in under a locked ``.NAME.XXXX.stm-screen-partial`` name
    and renamed over the target at once. Where a file cannot be made without a name, it has that locked
    name from the start; any such file whose lock is free (its writer is gone) is removed, with a note, by
    the next write to the same folder.
    """
    target = Path(target)
    if is_special(target):  # /dev/null, /dev/stdout, a FIFO: written in place, never renamed over
        with open_special(target, encoding=encoding, newline=newline) as handle:
            yield handle
        return
    if target.exists() and target.is_dir():
        raise UsageError(L_("{path}: is a folder", path=target))
    if not force and target.exists():
        raise UsageError(L_("{path}: already exists; use --force to overwrite it", path=target))
    if _is_database(target):
        # An output path mistyped as the history store (or any SQLite file) would replace it whole.
        raise UsageError(
            L_("{path}: is a database file (such as the screening history); choose another output", path=target)
        )
    folder = target.parent if str(target.parent) else Path(".")
    clean_partials(folder)
    made: list[str] = []
    try:
        try:
            with signals_held():  # Ctrl-C between creating the temp file and knowing its name leaked it
                fd, name = _temp_file(folder, target.name)
                if name is not None:
                    made.append(name)
        except FileNotFoundError as exc:
            if folder.is_dir():  # (e.g. /proc: a folder that takes no new files)
                raise InputFileError(L_("{path}: cannot write ({reason})", path=target, reason=os_reason(exc))) from None
            raise InputFileError(L_("{path}: the folder {folder} does not exist", path=target, folder=folder)) from None
        except PermissionError:
            raise InputFileError(L_("{path}: permission denied", path=target)) from None
        except OSError as exc:
            raise InputFileError(L_("{path}: cannot write ({reason})", path=target, reason=os_reason(exc))) from None
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            with signals_held():
                if name is None:
                    name = _link(handle.fileno(), folder, target.name)
                    made.append(name)
                os.replace(name, target)
                made.clear()
    except BaseException:
        for leftover in made:
            with contextlib.suppress(OSError):
                os.unlink(leftover)
        raise


def _partial_name(folder: Path, name: str) -> str:
    import secrets

    return str(folder / f".{name[:80]}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}")


def _lock(fd: int) -> None:
    with contextlib.suppress(ImportError, OSError):
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _temp_file(folder: Path, name: str) -> tuple[int, str | None]:
    """A new file in ``folder``, mode 0600, locked: unnamed where the system allows, else with a name."""
    flag = getattr(os, "O_TMPFILE", 0)
    if flag:
        try:
            fd = os.open(folder, flag | os.O_RDWR, 0o600)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOTSUP):
                raise
        else:
            _lock(fd)
            return fd, None
    return _temp_file_named(folder, name)


def _link(fd: int, folder: Path, name: str) -> str:
    """Give the unnamed temp file a (locked) name beside the target, to rename it over the target.

    The link is made relative to a descriptor of the folder: only then does Python call linkat() with
    AT_SYMLINK_FOLLOW; without one (CPython before 3.13 on Linux) it calls link(), which links /proc's
    link itself and fails (EXDEV), and every output was copied whole a second time (and synced again)."""
    try:
        where = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return _copy_to_named(fd, folder, name)
    try:
        for _attempt in range(100):
            path = _partial_name(folder, name)
            try:
                os.link(f"/proc/self/fd/{fd}", os.path.basename(path), dst_dir_fd=where, follow_symlinks=True)
            except FileExistsError:
                continue
            except (OSError, NotImplementedError):  # no /proc: copy the data into a named file instead
                return _copy_to_named(fd, folder, name)
            return path
    finally:
        os.close(where)
    raise FileExistsError(errno.EEXIST, "no free temp file name")


def _copy_to_named(fd: int, folder: Path, name: str) -> str:
    out, path = _temp_file_named(folder, name)
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        while chunk := os.read(fd, 1 << 20):
            view = memoryview(chunk)
            while view:
                view = view[os.write(out, view) :]
        os.fchmod(out, os.fstat(fd).st_mode & 0o777)
        os.fsync(out)
    except BaseException:
        os.close(out)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(out)
    return path


def _temp_file_named(folder: Path, name: str) -> tuple[int, str]:
    for _attempt in range(100):
        path = _partial_name(folder, name)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            continue
        _lock(fd)
        return fd, path
    raise FileExistsError(errno.EEXIST, "no free temp file name")


def clean_partials(folder: Path) -> list[str]:
    """Remove the partial results that interrupted runs left in ``folder`` (files named
    ``.*.stm-screen-partial`` whose lock is free: their writer is gone), saying so on stderr."""
    removed: list[str] = []
    try:
        entries = [e.name for e in os.scandir(folder) if _PARTIAL.fullmatch(e.name)]
    except OSError:
        return removed
    if not entries:
        return removed
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no locks to tell a live writer from a dead one
        return removed
    for entry in entries:
        path = os.path.join(folder, entry)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            info = os.fstat(fd)
            # only what a run of this user made: a regular file of one name, mode 0600 or less (a file
            # of someone's own named so, say an export, is left alone)
            ours = (
                stat.S_ISREG(info.st_mode)
                and info.st_nlink == 1
                and info.st_mode & 0o177 == 0
                and (not hasattr(os, "getuid") or info.st_uid == os.getuid())
            )
            if not ours:
                raise OSError
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # another stm-screen is writing it (or not ours)
        try:
            os.unlink(path)
            removed.append(entry)
        except OSError:
            pass
        finally:
            os.close(fd)
    for entry in removed:
        with contextlib.suppress(OSError, ValueError):
            note = _("stm-screen: removed {path}, a partial output left by an interrupted run")
            sys.stderr.write(note.format(path=os.path.join(folder, entry)) + "\n")
    return removed


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


def can_write_in(folder: Path, name: str) -> None:
    """Raise OSError if a file cannot be made in ``folder`` (checked before a long task, such as a
    questionnaire, whose result would be written there at the end). Leaves nothing behind."""
    fd, path = _temp_file(folder, name)
    os.close(fd)
    if path is not None:
        os.unlink(path)


def write_text_atomic(target: Path, text: str, *, force: bool = True, mode: int | None = None) -> None:
    try:
        with atomic_writer(target, force=force, mode=mode) as handle:
            handle.write(text)
    except OSError as exc:
        raise InputFileError(L_("{path}: cannot write ({reason})", path=target, reason=os_reason(exc))) from None


def write_bytes_atomic(target: Path, data: bytes, *, force: bool = True, mode: int | None = None) -> None:
    """Bytes (a PDF) written as :func:`write_text_atomic` writes text: a temp file renamed over the target."""
    try:
        with atomic_writer(target, force=force, mode=mode, encoding="latin-1") as handle:
            handle.buffer.write(data)  # type: ignore[attr-defined]
    except OSError as exc:
        raise InputFileError(L_("{path}: cannot write ({reason})", path=target, reason=os_reason(exc))) from None
