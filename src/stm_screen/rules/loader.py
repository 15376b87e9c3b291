"""Finding and loading rulesets: one YAML file, a folder of them, or a bundled ruleset by name."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from stm_screen.core.model import LIST_KEYS
from stm_screen.core.ruleset import Ruleset, compile_ruleset
from stm_screen.errors import Problem, RulesError
from stm_screen.io.yamlfile import MAX_BYTES, Positions, YamlProblems, load

DEFAULT_RULESET = "pt-screen"
MAX_FILES = 200
_SUFFIXES = (".yaml", ".yml")


def bundled_dir() -> Path:
    """The folder of bundled rulesets: inside the installed package, or ``rules/`` in a source checkout."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "bundled_rules"
    if installed.is_dir():
        return installed
    return here.parent.parent / "rules"


def bundled_names() -> list[str]:
    folder = bundled_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in _SUFFIXES or p.is_dir())


def resolve(spec: str | Path | None) -> Path:
    """A path given on the command line, or a bundled ruleset's name (default: the PT screening)."""
    if spec is None or str(spec) == "":
        spec = DEFAULT_RULESET
    path = Path(spec)
    try:
        if path.exists():
            return path
    except OSError as exc:  # a name too long, say
        raise RulesError(
            [Problem(f"cannot use this path: {exc.strerror or type(exc).__name__}", str(spec))]
        ) from None
    folder = bundled_dir()
    for candidate in (folder / f"{spec}.yaml", folder / f"{spec}.yml", folder / str(spec)):
        if "/" not in str(spec) and "\\" not in str(spec) and candidate.exists():
            return candidate
    names = ", ".join(bundled_names()) or "none"
    raise RulesError([Problem(f"no such file or folder (bundled rulesets: {names})", str(spec))])


def _rules_files(folder: Path) -> list[Path]:
    files = sorted(
        p
        for p in folder.iterdir()
        if p.suffix in _SUFFIXES and (p.is_file() or (p.is_symlink() and not p.exists()))  # broken links too
    )
    if not files:
        raise RulesError([Problem("the folder holds no .yaml or .yml rules files", str(folder))])
    if len(files) > MAX_FILES:
        raise RulesError([Problem(f"the folder holds more than {MAX_FILES} rules files", str(folder))])
    total = 0
    for f in files:
        try:
            total += f.stat().st_size
        except OSError:
            continue  # reported when it is read
    if total > MAX_BYTES:  # a folder is one ruleset: the same size limit as one file
        raise RulesError(
            [
                Problem(
                    f"the folder's rules files hold {total:,} bytes together; a ruleset holds at most "
                    f"{MAX_BYTES:,} (as one file)",
                    str(folder),
                )
            ]
        )
    return files


def _read(path: Path) -> tuple[Any, Positions, bytes]:
    try:
        data, positions, raw = load(path)
    except YamlProblems as exc:
        raise RulesError(exc.problems) from None
    cut = [
        Problem(
            "a '#' after this condition starts a YAML comment, so what follows it is not part of the "
            "condition; put the comment on a line of its own, or quote the whole condition if the '#' "
            "belongs to it (conditions have no comments)",
            file,
            line,
            col,
        )
        for where, (file, line, col) in positions.commented.items()
        if where and where[-1] in CONDITION_KEYS
    ]
    if cut:
        raise RulesError(cut)
    return data, positions, raw


CONDITION_KEYS = frozenset({"when", "ask_if"})


def _merge(parts: list[tuple[Path, Any, Positions]]) -> tuple[dict[str, Any], Positions]:
    """Join a folder's files: one carries the metadata (it has ``id``); list sections are concatenated."""
    problems: list[Problem] = []
    meta = [(p, d) for p, d, _ in parts if isinstance(d, dict) and "id" in d]
    if not meta:
        problems.append(
            Problem(
                "no file in the folder carries the ruleset's metadata (id, version, title)",
                str(parts[0][0].parent),
            )
        )
    elif len(meta) > 1:
        for p, _ in meta[1:]:
            problems.append(
                Problem(f"a second file with metadata ('id'); the first is {meta[0][0].name}", str(p), 1, 1)
            )
    merged: dict[str, Any] = {}
    positions = Positions(default_file=str(parts[0][0]))
    for path, data, pos in parts:
        if not isinstance(data, dict):
            problems.append(Problem("a rules file must be a mapping of keys at the top", str(path), 1, 1))
            continue
        shift: dict[str, int] = {}
        for key, value in data.items():
            if key in LIST_KEYS and isinstance(value, list):
                shift[key] = len(merged.get(key, []))
                merged.setdefault(key, []).extend(value)
            elif meta and path == meta[0][0]:
                merged[key] = value
            else:
                file, line, col = pos.locate((key,))
                problems.append(
                    Problem(
                        f"'{key}' belongs in the metadata file ({meta[0][0].name if meta else '?'})",
                        file,
                        line,
                        col,
                    )
                )
        positions.merge(pos, shift)
    if problems:
        raise RulesError(problems)
    return merged, positions


def load_ruleset(spec: str | Path | None = None) -> Ruleset:
    """Load, check and compile a ruleset; raise :class:`RulesError` with every problem found."""
    path = resolve(spec)
    if path.is_dir():
        files = _rules_files(path)
        digest = hashlib.sha256()
        parts = []
        unreadable: list[Problem] = []
        for f in files:
            try:
                data, pos, raw = _read(f)
            except RulesError as exc:  # go on: every broken file is reported at once
                unreadable.extend(exc.problems)
                continue
            digest.update(f.name.encode() + b"\0" + raw + b"\0")
            parts.append((f, data, pos))
        if unreadable:
            raise RulesError(unreadable)
        merged, positions = _merge(parts)
        return compile_ruleset(merged, sha256=digest.hexdigest(), origin=str(path), locate=positions.locate)
    data, positions, raw = _read(path)
    return compile_ruleset(
        data, sha256=hashlib.sha256(raw).hexdigest(), origin=str(path), locate=positions.locate
    )


@lru_cache(maxsize=8)
def load_cached(spec: str | None = None) -> Ruleset:
    return load_ruleset(spec)
