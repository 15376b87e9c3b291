"""Finding and loading rulesets (one YAML file, a folder of them, or a bundled ruleset by name) and the
instrument modules asked beside them (``include:`` in the rules, ``--with`` on the command line)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from stm_screen.core.model import LIST_KEYS, is_module
from stm_screen.core.ruleset import Module, Ruleset, attach, compile_module, compile_ruleset
from stm_screen.errors import Problem, RulesError, os_reason
from stm_screen.i18n import _
from stm_screen.io.yamlfile import MAX_BYTES, Positions, YamlProblems

DEFAULT_RULESET = "pt-screen"
MODULES = "modules"  # the folder of bundled instrument modules, inside the bundled rules
MAX_FILES = 200
MAX_MODULES = 20
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
    return sorted(
        p.stem for p in folder.iterdir() if (p.suffix in _SUFFIXES or p.is_dir()) and p.name != MODULES
    )


def module_names() -> list[str]:
    """The bundled instrument modules (phq4, peg, ...)."""
    folder = bundled_dir() / MODULES
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in _SUFFIXES)


def resolve_module(spec: str, base: Path | None = None) -> Path:
    """A module's file: a bundled module's name, or a path (relative to ``base``, the including file's
    folder, when given)."""
    name = spec.strip()
    pathlike = not name or "/" in name or "\\" in name or name.endswith(_SUFFIXES)
    if not pathlike:
        for suffix in _SUFFIXES:
            for candidate_name in dict.fromkeys((name, name.lower())):  # PHQ4 is phq4
                candidate = bundled_dir() / MODULES / f"{candidate_name}{suffix}"
                if candidate.is_file():
                    return candidate
    path = Path(name)
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        if path.is_file():
            return path
    except OSError:
        pass
    from stm_screen.core.conditions import suggest

    if pathlike and name:
        try:
            there = path.exists()
        except OSError:
            there = False
        what = _("is not a regular file (a folder or a device)") if there else _("no such file")
        raise RulesError([Problem(what, spec)])
    names = module_names()
    hint = suggest(name.lower(), names) if name else ""
    listed = ", ".join(names) or _("none")
    raise RulesError(
        [
            Problem(
                _("no such instrument module{suggestion} (bundled modules: {names})").format(
                    suggestion=hint, names=listed
                ),
                spec,
            )
        ]
    )


def load_module(spec: str | Path, base: Path | None = None) -> Module:
    """Load and check one instrument module; raise :class:`RulesError` with every problem found."""
    path = resolve_module(str(spec), base)
    data, positions, raw = _read(path)
    if not is_module(data):
        ruleset = isinstance(data, dict) and "questions" in data and "id" in data
        raise RulesError(
            [
                Problem(
                    _("this is a ruleset, not an instrument module (a module starts with 'module:')")
                    if ruleset
                    else _("this is not an instrument module (a module is a YAML file that starts with 'module:')"),
                    str(path),
                )
            ]
        )
    return compile_module(
        data, sha256=hashlib.sha256(raw).hexdigest(), origin=str(path), locate=positions.locate
    )


def parse_with(text: str | None) -> list[str]:
    """``--with phq4,peg`` (repeatable; commas or spaces) as a list of module names, in order, once each."""
    out: list[str] = []
    for part in (text or "").replace(";", ",").replace(" ", ",").split(","):
        name = part.strip()
        if name and name not in out:
            out.append(name)
    if len(out) > MAX_MODULES:
        raise RulesError([Problem(_("at most {n} modules can be added").format(n=MAX_MODULES), "--with")])
    return out


def _includes(data: Any, positions: Positions, base: Path) -> list[Module]:
    """The modules a ruleset's ``include:`` names (bundled names, or paths relative to its folder)."""
    if not isinstance(data, dict) or not isinstance(data.get("include"), list):
        return []
    modules: list[Module] = []
    problems: list[Problem] = []
    for i, spec in enumerate(data["include"][: MAX_MODULES + 1]):
        if not isinstance(spec, str):
            continue  # the spec check reports it
        try:
            modules.append(load_module(spec, base))
        except RulesError as exc:
            file, line, col = positions.locate(("include", i))
            problems.append(Problem(_("include: '{spec}' cannot be used").format(spec=spec), file, line, col))
            problems.extend(exc.problems)
    if len(data["include"]) > MAX_MODULES:
        file, line, col = positions.locate(("include",))
        problems.append(Problem(_("include: at most {limit} modules").format(limit=MAX_MODULES), file, line, col))
    if problems:
        raise RulesError(problems)
    return modules


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
            [
                Problem(
                    _("cannot use this path: {reason}").format(reason=os_reason(exc)),
                    str(spec),
                )
            ]
        ) from None
    folder = bundled_dir()
    for candidate in (folder / f"{spec}.yaml", folder / f"{spec}.yml", folder / str(spec)):
        if "/" not in str(spec) and "\\" not in str(spec) and candidate.exists():
            return candidate
    names = ", ".join(bundled_names()) or _("none")
    raise RulesError(
        [Problem(_("no such file or folder (bundled rulesets: {names})").format(names=names), str(spec))]
    )


def _rules_files(folder: Path) -> list[Path]:
    files = sorted(
        p
        for p in folder.iterdir()
        if p.suffix in _SUFFIXES and (p.is_file() or (p.is_symlink() and not p.exists()))  # broken links too
    )
    if not files:
        raise RulesError([Problem(_("the folder holds no .yaml or .yml rules files"), str(folder))])
    if len(files) > MAX_FILES:
        raise RulesError(
            [Problem(_("the folder holds more than {n} rules files").format(n=MAX_FILES), str(folder))]
        )
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
                    _(
                        "the folder's rules files hold {total} bytes together; a ruleset holds at most {limit} "
                        "(as one file)"
                    ).format(total=f"{total:,}", limit=f"{MAX_BYTES:,}"),
                    str(folder),
                )
            ]
        )
    return files


def _read(path: Path) -> tuple[Any, Positions, bytes]:
    from stm_screen.rules import cache

    try:
        data, positions, raw = cache.load(path)  # parsed once per version of the file (see rules.cache)
    except YamlProblems as exc:
        raise RulesError(exc.problems) from None
    cut = [
        Problem(
            _(
                "a '#' after this condition starts a YAML comment, so what follows it is not part of the "
                "condition; put the comment on a line of its own, or quote the whole condition if the '#' "
                "belongs to it (conditions have no comments)"
            ),
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
    meta = [(p, d) for p, d, _pos in parts if isinstance(d, dict) and "id" in d]
    if not meta:
        problems.append(
            Problem(
                _("no file in the folder carries the ruleset's metadata (id, version, title)"),
                str(parts[0][0].parent),
            )
        )
    elif len(meta) > 1:
        for p, _data in meta[1:]:
            second = _("a second file with metadata ('id'); the first is {file}").format(file=meta[0][0].name)
            problems.append(Problem(second, str(p), 1, 1))
    merged: dict[str, Any] = {}
    positions = Positions(default_file=str(parts[0][0]))
    for path, data, pos in parts:
        if not isinstance(data, dict):
            problems.append(Problem(_("a rules file must be a mapping of keys at the top"), str(path), 1, 1))
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
                        _("'{key}' belongs in the metadata file ({file})").format(
                            key=key, file=meta[0][0].name if meta else "?"
                        ),
                        file,
                        line,
                        col,
                    )
                )
        positions.merge(pos, shift)
    if problems:
        raise RulesError(problems)
    return merged, positions


def load_ruleset(spec: str | Path | None = None, with_modules: list[str] | tuple[str, ...] = ()) -> Ruleset:
    """Load, check and compile a ruleset, with the modules it includes and those named in
    ``with_modules``; raise :class:`RulesError` with every problem found."""
    ruleset = _load_ruleset(spec)
    if not with_modules:
        return ruleset
    problems: list[Problem] = []
    modules: list[Module] = []
    for name in with_modules:
        try:
            modules.append(load_module(name))
        except RulesError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RulesError(problems)
    return attach(ruleset, modules)


def load_any(spec: str | Path | None = None) -> Ruleset | Module:
    """A ruleset, or (for a file that starts with ``module:``) an instrument module on its own."""
    if spec is not None:
        path = Path(spec)
        try:
            single = path.is_file()
        except OSError:
            single = False
        if single:
            data, positions, raw = _read(path)
            if is_module(data):
                return compile_module(
                    data, sha256=hashlib.sha256(raw).hexdigest(), origin=str(path), locate=positions.locate
                )
        elif "/" not in str(spec) and str(spec) in module_names() and str(spec) not in bundled_names():
            return load_module(str(spec))
    return _load_ruleset(spec)


def _load_ruleset(spec: str | Path | None = None) -> Ruleset:
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
        modules = _includes(merged, positions, path)
        return compile_ruleset(
            merged, sha256=digest.hexdigest(), origin=str(path), locate=positions.locate, modules=modules
        )
    data, positions, raw = _read(path)
    if is_module(data):
        raise RulesError(
            [
                Problem(
                    _(
                        "this is an instrument module, not a ruleset: add it to a screening with --with or "
                        "'include:', or check it with 'stm-screen rules check FILE'"
                    ),
                    str(path),
                )
            ]
        )
    modules = _includes(data, positions, path.parent)
    return compile_ruleset(
        data,
        sha256=hashlib.sha256(raw).hexdigest(),
        origin=str(path),
        locate=positions.locate,
        modules=modules,
    )


@lru_cache(maxsize=8)
def load_cached(spec: str | None = None, with_modules: tuple[str, ...] = ()) -> Ruleset:
    return load_ruleset(spec, with_modules)
