"""A cache of parsed rules files, so that a short run does not parse the same YAML again and again.

Parsing the bundled ruleset's YAML (with every value's position, for located messages) is most of loading
it. What parsing gives, the plain data and the positions, is kept as JSON in the user cache folder
(``STM_SCREEN_CACHE``, else the platform's user cache folder, such as ``~/.cache/stm-screen``), one file per
rules file, named by the SHA-256 of the tool's version, the file's path and its bytes. So:

- the file's bytes are read on every run and hashed: a changed file has another key, never an old entry;
- the entry is JSON (no pickle: reading it runs no code), starts with the SHA-256 of its body (a torn or
  damaged entry is ignored and written again), and names the key it was written for;
- what comes out goes through every check and the compilation a freshly parsed file goes through (the
  cache saves parsing only), so an entry can hold nothing a rules file could not;
- entries are read only from a folder of our own that nobody else may write to (0700, made so), and only
  when they are regular files of ours; anyone who can write there can also change the installed tool;
- the cache is never needed: no folder, an unwritable one, a full disk or ``STM_SCREEN_NO_CACHE=1`` just
  parse the file. Deleting the folder is always safe.

Documents whose data JSON cannot hold exactly (keys that are not text, dates, binary) are not cached. The
bundled contacts table (emergency numbers, read on every run that shows a result) is kept the same way
(:func:`load_data`).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from stm_screen.io.yamlfile import Positions

FORMAT = 1
MAGIC = b"stm-screen rules cache"
MAX_ENTRY_BYTES = 4 * 1024 * 1024
MAX_ENTRIES = 64  # more than this in the folder: the others are removed when one is written


def cache_dir() -> Path | None:
    """The rules cache folder (not created here), or None when caching is off."""
    if os.environ.get("STM_SCREEN_NO_CACHE", "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get("STM_SCREEN_CACHE", "").strip()
    if explicit:
        return Path(explicit).expanduser() / "rules"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("stm-screen", appauthor=False)) / "rules"


def key_of(path: Path, raw: bytes, kind: str = "rules") -> str:
    from stm_screen import __version__

    head = f"{FORMAT}\0{kind}\0{__version__}\0{code_stamp()}\0{path}\0".encode("utf-8", "surrogateescape")
    return hashlib.sha256(head + raw).hexdigest()


_STAMP: list[str] = []


def code_stamp() -> str:
    """What the code that loads and checks a rules file is, as a short digest of its source files' names,
    sizes and modification times: a check added or changed without a new version number (a development
    install, a patched release) never lets an entry made before it skip the check."""
    if not _STAMP:
        root = Path(__file__).resolve().parent.parent
        parts: list[str] = []
        for folder in ("core", "rules", "io"):
            try:
                with os.scandir(root / folder) as entries:
                    for entry in sorted(entries, key=lambda e: e.name):
                        if entry.name.endswith(".py"):
                            st = entry.stat()
                            parts.append(f"{folder}/{entry.name}:{st.st_size}:{st.st_mtime_ns}")
            except OSError:
                parts.append(f"{folder}:?")
        _STAMP.append(hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:16])
    return _STAMP[0]


def _ours(st: os.stat_result, kind: int) -> bool:
    """A file or folder of this user's that nobody else may write to."""
    if stat.S_IFMT(st.st_mode) != kind:
        return False
    if os.name != "posix":
        return True
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def lookup(folder: Path, key: str, name: str) -> tuple[Any, Positions] | None:
    """The parsed document kept for ``key``, or None (no entry, or one that cannot be trusted)."""
    entry = folder / f"{key}.json"
    try:
        if not _ours(os.stat(folder), stat.S_IFDIR):
            return None
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(entry, flags)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            if not _ours(os.fstat(handle.fileno()), stat.S_IFREG):
                return None
            blob = handle.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    return _decode(blob, key, name)


def _decode(blob: bytes, key: str, name: str) -> tuple[Any, Positions] | None:
    head, newline, body = blob.partition(b"\n")
    if not newline or len(blob) > MAX_ENTRY_BYTES:
        return None
    parts = head.split(b" ")
    if len(parts) != 5 or b" ".join(parts[:3]) != MAGIC or parts[3] != str(FORMAT).encode():
        return None
    if hashlib.sha256(body).hexdigest().encode() != parts[4]:
        return None  # torn, damaged or edited
    try:
        doc = json.loads(body)
        if doc["key"] != key or doc["name"] != name:
            return None
        # JSON gives plain data only; a position is only ever looked up and shown
        positions = Positions(default_file=name)
        positions.at = {tuple(path): (name, line, col, style) for path, line, col, style in doc["at"]}
        positions.commented = {tuple(path): (name, line, col) for path, line, col in doc["commented"]}
        data = doc["data"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    return data, positions


def _plain(value: Any, depth: int = 0) -> bool:
    """Data that JSON holds exactly: mappings with text keys, lists, text, numbers, true/false, null."""
    if depth > 100:
        return False
    if value is None or type(value) in (str, int, float, bool):
        return True
    if type(value) is list:
        return all(_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain(v, depth + 1) for k, v in value.items())
    return False


def store(folder: Path, key: str, name: str, data: Any, positions: Positions) -> None:
    """Keep a parsed document; any failure (no room, no permission) only means it is parsed next time."""
    if not _plain(data):
        return
    at = []
    for path, (file, line, col, style) in positions.at.items():
        if file != name:
            return
        at.append([list(path), line, col, style])
    commented = []
    for path, (file, line, col) in positions.commented.items():
        if file != name:
            return
        commented.append([list(path), line, col])
    try:
        body = json.dumps(
            {"key": key, "name": name, "data": data, "at": at, "commented": commented},
            separators=(",", ":"),
        ).encode("ascii")
    except (ValueError, TypeError, RecursionError):
        return
    blob = b"%s %d %s\n" % (MAGIC, FORMAT, hashlib.sha256(body).hexdigest().encode()) + body
    if len(blob) > MAX_ENTRY_BYTES:
        return
    try:
        _write(folder, key, blob)
    except OSError:
        pass


def _write(folder: Path, key: str, blob: bytes) -> None:
    import tempfile

    made = not folder.is_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if made and os.name == "posix":
        os.chmod(folder, 0o700)
    if not _ours(os.stat(folder), stat.S_IFDIR):
        return  # a folder others may write to: neither read (see lookup) nor written
    entries = [p for p in folder.iterdir() if p.suffix == ".json"]
    if len(entries) >= MAX_ENTRIES:
        for old in entries:
            old.unlink(missing_ok=True)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(temp, folder / f"{key}.json")
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def load(path: Path) -> tuple[Any, Positions, bytes]:
    """A rules file's (data, positions, raw bytes), as :func:`stm_screen.io.yamlfile.load` gives them:
    from the cache when it holds this very file, else parsed (and kept for next time)."""
    from stm_screen.io import yamlfile

    raw = yamlfile.read_bytes(path)
    folder = cache_dir()
    name = str(path)
    if folder is None:
        data, positions = yamlfile.parse(yamlfile.decode(raw, name), name)
        return data, positions, raw
    key = key_of(path, raw)
    found = lookup(folder, key, name)
    if found is not None:
        return (*found, raw)
    data, positions = yamlfile.parse(yamlfile.decode(raw, name), name)
    store(folder, key, name, data, positions)
    return data, positions, raw


def load_data(path: Path) -> Any:
    """A bundled data file's plain YAML data (no positions: the contacts table), cached the same way."""
    raw = path.read_bytes()
    name = str(path)
    folder = cache_dir()
    key = key_of(path, raw, "data")
    found = lookup(folder, key, name) if folder is not None else None
    if found is not None:
        return found[0]
    import yaml

    from stm_screen.io.yamlfile import safe_loader

    data = yaml.load(raw.decode("utf-8"), Loader=safe_loader())  # noqa: S506 - a safe loader
    if folder is not None:
        store(folder, key, name, data, Positions(default_file=name))
    return data
