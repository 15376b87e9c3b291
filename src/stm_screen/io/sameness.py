"""The one guard that keeps an output from replacing a file the same command reads.

Every command that writes an output (``batch -o``, ``batch --suggest-map -o``, ``rules diff -o``,
``history export --output``, ``form export --output``, ``rules schema --output``, ``screen --report``) calls
:func:`refuse_output_over_inputs` before it reads or writes anything. Files are compared by device and inode
(``os.stat`` follows symlinks; a hard link has the same inode), so a symlink, a hard link, ``./x`` against
``x``, another spelling on a case-insensitive disk, or ``/dev/stdout`` redirected to an input are all the
same file. ``-`` (standard output) is compared by the file standard output is open on, so ``>> rules.yaml``
is refused too. The history store and its ``-wal``, ``-shm`` and ``-journal`` files are always protected.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from stm_screen.errors import UsageError

Identity = tuple[int, int]
STORE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def identity(path: str | os.PathLike[str]) -> Identity | None:
    """(device, inode) of the file a path names after following symlinks, or None when there is none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino)


def _stdout_identity() -> Identity | None:
    """The regular file standard output writes to, if it is one (``> file``, ``>> file``)."""
    import stat

    try:
        st = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


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
    out = [("the rules", p) for p in rules_paths(str(getattr(ruleset, "origin", "")) or None)]
    for module in getattr(ruleset, "modules", ()):
        origin = getattr(module, "origin", "")
        if origin:
            out.append(("an instrument module", str(origin)))
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
    target = _stdout_identity() if str(output) == "-" else identity(output)
    if target is None:
        return
    named = "standard output" if str(output) == "-" else f"{option} {output}"
    for label, path in [*read, *(("the history store", p) for p in store_paths())]:
        if str(path) == "-":
            continue
        if identity(path) == target:
            what = label if label == "the history store" else f"{label} {path}"
            raise UsageError(
                f"{named} is the same file as {what}; writing there would replace it. Choose another "
                "output file (nothing was written)"
            )


def paths_of(label: str, paths: Iterable[str | os.PathLike[str] | None]) -> list[tuple[str, str]]:
    return [(label, str(p)) for p in paths if p is not None and str(p) not in ("", "-")]

