"""The one guard that keeps an output from replacing a file the same command reads.

Every command that writes an output (``batch -o``, ``batch --suggest-map -o``, ``rules diff -o``,
``history export --output``, ``form export --output``, ``rules schema --output``, ``screen --report``) calls
:func:`refuse_output_over_inputs` before it reads or writes anything. Files are compared by device and inode
(``os.stat`` follows symlinks; a hard link has the same inode), so a symlink, a hard link, ``./x`` against
``x``, another spelling on a case-insensitive disk, or ``/dev/stdout`` redirected to an input are all the
same file. ``-`` is compared by the file the standard stream is open on: as an output, standard output
(``>> rules.yaml``, ``1<> rules.yaml``); as an input, standard input (``score - < a.json 1<> a.json``), when
they are regular files. The history store and its ``-wal``, ``-shm`` and ``-journal`` files are always
protected, by name too: an output may not take one of their names before the store exists.

Commands that print a document on standard output without an ``--output`` option (``rules show``, ``rules
check``, ...) are covered by the same comparison at their first write: :func:`note_read` records each file
read (the YAML reader, the history store), and :func:`check_stdout` (called by ``cli.streams`` before the
first byte reaches a regular file on standard output) refuses when that file is one of them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from stm_screen.errors import UsageError, os_reason
from stm_screen.i18n import L_, _

Identity = tuple[int, int]
STORE_SUFFIXES = ("", "-wal", "-shm", "-journal")
_read: dict[Identity, str] = {}  # files this process has read: identity -> how the user named it


def identity(path: str | os.PathLike[str]) -> Identity | None:
    """(device, inode) of the file a path names after following symlinks, or None when there is none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino)


def _fd_identity(fd: int) -> Identity | None:
    """The regular file a descriptor is open on, if it is one (``> file``, ``>> file``, ``< file``)."""
    import stat

    try:
        st = os.fstat(fd)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def _stdout_identity() -> Identity | None:
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return None
    return _fd_identity(fd)


def _stdin_identity() -> Identity | None:
    try:
        fd = sys.stdin.fileno()
    except (OSError, ValueError, AttributeError):
        return None
    return _fd_identity(fd)


def _place(path: str | os.PathLike[str]) -> tuple[Identity, str] | None:
    """(identity of the folder, name) of a path: the same place even when no file is there yet."""
    folder, name = os.path.split(os.path.abspath(path))
    where = identity(folder or ".")
    return None if where is None else (where, os.path.normcase(name))


def note_read(path: str | os.PathLike[str], label: str | None = None) -> None:
    """Remember that this process read ``path`` (for :func:`check_stdout`)."""
    found = _stdin_identity() if str(path) == "-" else identity(path)
    if found is not None:
        _read.setdefault(found, label or str(path))


def check_stdout() -> None:
    """Refuse (exit 2) to write on standard output when it is a regular file this process has read, or the
    history store (called before the first byte is written there)."""
    target = _stdout_identity()
    if target is None:
        return
    if target in _read:
        raise _refusal(_("standard output"), _read[target])
    for path in store_paths():
        if identity(path) == target:
            raise _refusal(_("standard output"), _("the history store"))


def refuse_streams_on_store(path: str | os.PathLike[str]) -> None:
    """Before the history store at ``path`` is opened: refuse (exit 2) when standard output or standard error
    is open on one of its files (``history list >> history.sqlite3-wal``). Checked now, not at the first
    write: SQLite removes an empty ``-wal`` or ``-journal`` file when it closes, and what was written there
    would then go nowhere. Standard error on the store says nothing (the message would land in it)."""
    files = {identity(str(path) + suffix) for suffix in STORE_SUFFIXES} - {None}
    if not files:
        return
    _refuse_stderr_on(files, _("the history store"))
    if _stdout_identity() in files:
        raise _refusal(_("standard output"), _("the history store"))


def _refuse_stderr_on(files: set[Identity | None], what: str) -> None:
    """Refuse (exit 2) when standard error is open on one of ``files`` (``2>> rules.yaml``): messages
    would be appended to a file the command reads. Nothing more is said there, not even why."""
    try:
        err = _fd_identity(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return
    if err is None or err not in files:
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stderr.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass
    raise _refusal(_("standard error"), what)


def _refusal(named: str, what: str) -> UsageError:
    return UsageError(
        L_("{output} is the same file as {input}; writing there would replace it. Choose another output file "
            "(nothing was written)", output=named, input=what)
    )


def rules_paths(spec: str | None) -> list[str]:
    """The files a ``--rules`` value reads: a file, or a folder and the rules files in it (a bundled name
    resolves to the installed file)."""
    from stm_screen.rules.loader import resolve

    try:
        path = resolve(spec)
    except Exception:  # noqa: BLE001 - an unknown name or bad path: the loader reports it later
        return [] if spec is None else [spec]
    out = [str(path)]
    if path.is_dir():
        try:
            out += [str(p) for p in path.iterdir() if p.suffix in (".yaml", ".yml")]
        except OSError:
            pass
    return out


def module_paths(with_modules: str | None) -> list[str]:
    """The files ``--with`` names (bundled module names resolve to their installed files)."""
    if not with_modules:
        return []
    from stm_screen.rules.loader import parse_with, resolve_module

    out: list[str] = []
    try:
        names = parse_with(with_modules)
    except Exception:  # noqa: BLE001 - reported when the rules are loaded
        return []
    for name in names:
        try:
            out.append(str(resolve_module(name)))
        except Exception:  # noqa: BLE001 - reported when the rules are loaded
            out.append(name)
    return out


def loaded_paths(ruleset: object) -> list[tuple[str, str]]:
    """Every file a loaded ruleset was read from: its file or folder's files, and its modules' files
    (those named with --with and those its 'include:' names)."""
    out = [(_("the rules"), p) for p in rules_paths(str(getattr(ruleset, "origin", "")) or None)]
    for module in getattr(ruleset, "modules", ()):
        origin = getattr(module, "origin", "")
        if origin:
            out.append((_("an instrument module"), str(origin)))
    return out


def store_paths() -> list[str]:
    """The history store's files (whether or not they exist yet)."""
    try:
        from stm_screen.io.datadir import data_dir
        from stm_screen.store.history import FILE_NAME

        base = data_dir(create=False) / FILE_NAME
    except Exception:  # noqa: BLE001 - an unusable data folder: nothing there to protect
        return []
    return [str(base) + suffix for suffix in STORE_SUFFIXES]


def refuse_output_over_inputs(
    output: str | os.PathLike[str] | None,
    read: Iterable[tuple[str, str | os.PathLike[str]]],
    *,
    option: str = "--output",
) -> None:
    """Stop (exit 2, nothing written) when ``output`` is the same file as anything in ``read`` (pairs of
    a label, such as ``--rules``, and a path) or the history store."""
    if output is None:
        return
    read = list(read)
    _refuse_stderr_on({identity(p) for _label, p in read if str(p) != "-"}, _("an input"))
    if str(output) != "-":
        usable_path(output)
    named = _("standard output") if str(output) == "-" else f"{option} {output}"
    target = _stdout_identity() if str(output) == "-" else identity(output)
    store = _("the history store")
    if str(output) != "-":
        # The store's files by name too: an output there before the store exists would later be taken
        # for (or block) the store.
        place = _place(output)
        if place is not None and any(_place(p) == place for p in store_paths()):
            raise _refusal(named, store)
    if target is None:
        return
    for label, path in [*read, *((store, p) for p in store_paths())]:
        if str(path) == "-":  # standard input, when it is a regular file (``< answers.json``)
            if _stdin_identity() == target:
                raise _refusal(named, _("standard input"))
            continue
        if identity(path) == target:
            raise _refusal(named, label if label == store else f"{label} {path}")


def usable_path(path: str | os.PathLike[str]) -> None:
    """Stop (exit 1, one line) at an output path the system cannot use at all: a name longer than it
    allows, a loop of symbolic links. (Path.exists() and friends raise for these, where a missing file
    or folder is a plain "no".)"""
    import errno

    from stm_screen.errors import InputFileError

    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno in (errno.ENAMETOOLONG, errno.ELOOP):
            raise InputFileError(
                _("{path}: cannot write ({reason})").format(path=path, reason=os_reason(exc))
            ) from None
    except ValueError:  # a NUL byte: the command line cannot hold one, an embedding program's value can
        raise InputFileError(_("{path}: cannot write ({reason})").format(path=path, reason="NUL")) from None


def paths_of(label: str, paths: Iterable[str | os.PathLike[str] | None]) -> list[tuple[str, str]]:
    """(label, path) pairs for :func:`refuse_output_over_inputs`; ``-`` stands for standard input."""
    return [(label, str(p)) for p in paths if p is not None and str(p) != ""]

