"""Safe YAML reading with positions: every value's FILE:LINE:COL, for messages about rules and mappings.

Always a safe loader (libyaml's C one when available). Only plain data is accepted: tags that would build
Python objects, alias bombs, oversized, binary and non-UTF-8 files are refused with a located message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

from stm_screen.errors import Problem, os_reason
from stm_screen.i18n import L_, N_, _

Path = tuple[str | int, ...]
Locate = Callable[[Path, int], tuple[str, int, int]]

MAX_BYTES = 192 * 1024  # half as large again as the bundled ruleset: loading stays under a second
MAX_NODES = 20_000  # values, aliases expanded: the bundled ruleset has about 12,000
MAX_DEPTH = 64
MAX_DIGITS = 30  # a whole number longer than this is never a rules value (they are at most 1e12)
if TYPE_CHECKING:
    import yaml

    SafeLoader: type[yaml.SafeLoader]


def __getattr__(name: str) -> Any:
    """``SafeLoader``: libyaml's C safe loader when available. PyYAML is imported on first use only (a
    rules file found in the rules cache is not parsed at all, see stm_screen.rules.cache)."""
    if name == "SafeLoader":
        return safe_loader()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def safe_loader() -> type[yaml.SafeLoader]:
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader

_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary", "merge")
}


class YamlProblems(Exception):
    def __init__(self, problems: list[Problem], *, unreadable: bool = False) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems
        self.unreadable = unreadable  # the file is missing, a folder or cannot be opened (not bad content)


@dataclass
class Positions:
    """Where each value of a parsed document stands: path -> (file, line, col, style)."""

    at: dict[Path, tuple[str, int, int, str | None]] = field(default_factory=dict)
    default_file: str = ""
    # plain (unquoted) values followed on their line by a YAML comment: where a '#' cut the text short
    commented: dict[Path, tuple[str, int, int]] = field(default_factory=dict)
    # each mapping key: where the key itself stands and how it is written (``yes`` for the key true), for
    # messages about a key (mapping files; not kept in the rules cache). A list: two keys of one mapping may
    # have one path (``01`` and ``"1"``: the number 1 and the text, both "1" in a path)
    keys: dict[Path, list[tuple[str, int, int, str]]] = field(default_factory=dict)

    def locate(self, path: Path, offset: int = 0) -> tuple[str, int, int]:
        probe = tuple(path)
        while probe not in self.at and probe:
            probe = probe[:-1]
        if probe not in self.at:
            return (self.default_file, 1, 1)
        file, line, col, style = self.at[probe]
        if offset and probe == tuple(path) and style in ("", "'", '"'):
            col += offset + (1 if style in ("'", '"') else 0)
        return (file, line, col)

    def key(self, path: Path, nth: int = 0) -> tuple[str, int, int, str] | None:
        """Where the mapping key ending ``path`` stands (the ``nth`` key of that path), and how it is
        written; None when it is not known."""
        found = self.keys.get(tuple(path), [])
        return found[nth] if nth < len(found) else None

    def merge(self, other: Positions, shift: dict[str, int]) -> None:
        """Add another file's positions, moving list items of the given top-level keys along."""

        def moved(path: Path) -> Path:
            if (
                path
                and len(path) > 1
                and isinstance(path[0], str)
                and path[0] in shift
                and isinstance(path[1], int)
            ):
                return (path[0], path[1] + shift[path[0]], *path[2:])
            return path

        for path, where in other.at.items():
            self.at.setdefault(moved(path), where)
        for path, spot in other.commented.items():
            self.commented.setdefault(moved(path), spot)
        for path, written in other.keys.items():
            self.keys.setdefault(moved(path), written)


def read_text(path: FsPath, what: str = "file") -> str:
    """Read a small text file as UTF-8 (a BOM is allowed; UTF-16 with a BOM too)."""
    return decode(read_bytes(path, what), str(path), what)


# Whole sentences for the files people hand the tool, in the tool's language (nouns and articles differ
# between languages). Kinds: "file" (rules, mapping, wording, module files) and "answers file".
_NO_SUCH = {"answers file": N_("no such answers file"), "file": N_("no such file")}
_FOLDER = {"answers file": N_("is a folder, not an answers file"), "file": N_("is a folder, not a file")}
_TOO_LARGE = {
    "answers file": N_("the answers file is too large ({size} bytes; at most {limit})"),
    "file": N_("the file is too large ({size} bytes; at most {limit})"),
}
_DENIED = {
    "answers file": N_("permission denied: cannot read the answers file"),
    "file": N_("permission denied: cannot read the file"),
}
_UNREADABLE = {
    "answers file": N_("cannot read the answers file: {reason}"),
    "file": N_("cannot read the file: {reason}"),
}
_NUL_IN = {
    "answers file": N_("a NUL character: an answers file never holds one"),
    "file": N_("a NUL character: a file of text never holds one"),
}


def read_bytes(path: FsPath, what: str = "file") -> bytes:
    """Read a small file whole, with one clear problem for each way that can fail."""
    name = str(path)
    what = what if what in _NO_SUCH else "file"
    try:
        if path.is_dir():
            raise YamlProblems([Problem(L_(_FOLDER[what]), name)], unreadable=True)
        size = path.stat().st_size
        if size > MAX_BYTES:
            shown, limit = f"{size:,}", f"{MAX_BYTES:,}"
            too_large = L_(_TOO_LARGE[what], size=shown, limit=limit)
            raise YamlProblems([Problem(too_large, name)])
        with path.open("rb") as handle:  # bounded: a device such as /dev/zero has no size but no end
            data = handle.read(MAX_BYTES + 1)
        from stm_screen.io.sameness import note_read

        note_read(path)
    except FileNotFoundError:
        raise YamlProblems([Problem(L_(_NO_SUCH[what]), name)], unreadable=True) from None
    except PermissionError:
        raise YamlProblems([Problem(L_(_DENIED[what]), name)], unreadable=True) from None
    except OSError as exc:
        reason = os_reason(exc)
        raise YamlProblems([Problem(L_(_UNREADABLE[what], reason=reason), name)], unreadable=True) from None
    return data


def decode(data: bytes, name: str, what: str = "file") -> str:
    what = what if what in _NO_SUCH else "file"
    if len(data) > MAX_BYTES:
        size, limit = f"{len(data):,}", f"{MAX_BYTES:,}"
        too_large = L_(_TOO_LARGE[what], size=size, limit=limit)
        raise YamlProblems([Problem(too_large, name)])
    from stm_screen.io.textcheck import inspect

    found = inspect(data, "text file" if what == "file" else what)
    if found is not None:
        raise YamlProblems([Problem(found.message, name, found.line, found.col)])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise YamlProblems([Problem(L_("not valid UTF-16 text"), name)]) from None
        if "\x00" in text:
            raise YamlProblems([Problem(L_(_NUL_IN[what]), name)])
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlProblems(
            [Problem(L_("the file is not UTF-8 text (save it as UTF-8 and try again)"), name, line, col)]
        ) from None


def parse(text: str, name: str) -> tuple[Any, Positions]:
    """Parse one YAML document; return its data and the positions of its values."""
    import yaml

    breaks = _BREAKS.search(text)
    if breaks is not None:  # said here, at the line an editor shows: PyYAML would count a line there
        line, col = _line_col(text, breaks.start())
        message = L_("the character U+{code:04X} (a line or paragraph separator) is not allowed in a YAML file: YAML starts a new line there and an editor does not, so every line after it would be counted wrong; remove it", code=ord(breaks.group()))
        raise YamlProblems([Problem(message, name, line, col)])
    loader = safe_loader()(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            raise YamlProblems([_marked(exc, name)]) from None
        except yaml.reader.ReaderError as exc:  # a character YAML refuses: said at its FILE:LINE:COL
            raise YamlProblems([_refused_character(exc, text, name)]) from None
        except yaml.YAMLError as exc:
            # PyYAML's reason may run on a second line ("  in ..., position 14"): one line here
            reason = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
            raise YamlProblems([Problem(L_("YAML error: {reason}", reason=reason), name)]) from None
        if node is None:
            raise YamlProblems([Problem(_("the file is empty"), name)])
        positions = Positions(default_file=name)
        _walk(node, name, positions, text)
        try:
            data = loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            raise YamlProblems([_marked(exc, name)]) from None
        except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
            raise YamlProblems([unmade_value(exc, text, name, safe_loader())]) from None
        return data, positions
    finally:
        loader.dispose()


def unmade_value(exc: BaseException, text: str, name: str, loader: type[yaml.SafeLoader]) -> Problem:
    """What stopped PyYAML making the data of a document it could read (``exc``), in plain words: nesting
    too deep, or a value it cannot make (a date such as 2001-13-45), found again and named at its
    FILE:LINE:COL (``loader`` reads the text again, value by value, to find it)."""
    import yaml

    if isinstance(exc, RecursionError):
        return Problem(L_("the file is nested too deeply"), name)
    if isinstance(exc, yaml.reader.ReaderError):
        return _refused_character(exc, text, name)
    try:
        found = _unmade_scalar(text, loader)
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        found = None
    if found is None:
        return Problem(L_("a value in the file cannot be read (a date or a number written oddly? put it in quotes)"), name)
    mark = found.start_mark
    if found.tag.endswith(":timestamp"):
        message = L_("YAML reads this value as a date, but it is not a real date; if it is text, put it in quotes")
    else:
        message = L_("this value cannot be read; if it is text, put it in quotes")
    return Problem(message, name, mark.line + 1, mark.column + 1)


def _unmade_scalar(text: str, loader: type[yaml.SafeLoader]) -> yaml.ScalarNode | None:
    """The first plain value of the document that ``loader`` cannot make, or None."""
    import yaml

    reader = loader(text)
    try:
        root = reader.get_single_node()
        seen: set[int] = set()
        stack = [root] if root is not None else []
        order: list[yaml.ScalarNode] = []
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.ScalarNode):
                order.append(node)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(reversed(node.value))
            elif isinstance(node, yaml.MappingNode):
                stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
        order.sort(key=lambda n: (n.start_mark.line, n.start_mark.column))
        for node in order:
            try:
                reader.construct_object(node)
            except (yaml.YAMLError, ValueError, TypeError, OverflowError):
                return node
        return None
    finally:
        reader.dispose()


# PyYAML's own words, said in the tool's language: (its sentence as a pattern, ours). What a pattern does not
# match (rare constructs) is shown as PyYAML wrote it.
_PYYAML_WORDS = (
    (r"while parsing a (?:block|flow) mapping", N_("while reading a mapping of keys")),
    (r"while parsing a (?:block collection|flow sequence)", N_("while reading a list")),
    (r"while parsing a (?:block |flow )?node", N_("while reading a value")),
    (r"while scanning a simple key", N_("while reading a key")),
    (r"while (?:scanning|parsing) a (?:double-|single-)?quoted scalar", N_("while reading a quoted text")),
    (r"while scanning a plain scalar", N_("while reading a value")),
    (r"while scanning a block scalar", N_("while reading a block of text")),
    (r"while scanning an? (alias|anchor)", N_("while reading an alias or anchor")),
    (r"while scanning (?:for the next token|a directive|a tag)|while parsing a tag", N_("while reading the file")),
    (r"while (?:constructing|composing) a mapping", N_("while reading a mapping of keys")),
    (r"did not find expected node content", N_("a value was expected here")),
    (r"did not find expected key", N_("a key was expected here")),
    (r"did not find expected ',' or '([\]}])'", N_("a ',' or '{found}' was expected here")),
    (r"did not find expected '-' indicator", N_("a '-' (a list item) was expected here")),
    (r"found a tab character (?:that violates indentation|where an indentation space is expected)",
     N_("a tab character in the indentation; indent with spaces")),
    (r"(?:block sequence entries|sequence entries|mapping keys) are not allowed (?:here|in this context)", N_("a key or list item is not allowed here (check the indentation)")),
    (r"control characters are not allowed", N_("control characters are not allowed")),
    (r"found character that cannot start any token", N_("a character that cannot start a value (a tab, '@' or '`'? put the text in quotes)")),
    (r"could not find expected ':'", N_("a ':' was expected after the key")),
    (r"mapping values are not allowed (?:here|in this context)", N_("a ':' is not allowed here (is a space missing after ':', or is a text with ':' not in quotes?)")),
    (r"found character (.+) that cannot start any token", N_("the character {found} cannot start a value (a tab? indent with spaces)")),
    (r"found undefined alias(?: (.+))?", N_("the alias {found} is not defined")),
    (r"found unknown escape character(?: (.+))?", N_("unknown escape character {found}")),
    (r"found unexpected end of stream", N_("the file ends too early (a quote or bracket is not closed?)")),
    (r"found unexpected document separator", N_("an unexpected document separator ('---' or '...')")),
    (r"expected a single document in the stream", N_("the file holds more than one document ('---'); keep one")),
    (r"found duplicate anchor (.+); first occurrence", N_("the anchor {found} is defined twice; first here")),
    (r"second occurrence", N_("and again here")),
    (r"expected (.+), but (?:found|got) (.+)", N_("expected {expected}, but found {found}")),
)


def pyyaml_words(text: str | None) -> str:
    """One of PyYAML's messages in the tool's language (as PyYAML wrote it when it is not known)."""
    import re

    if not text or text.strip() == "but found another document":  # libyaml's second half of 'one document'
        return ""
    for pattern, message in _PYYAML_WORDS:
        found = re.fullmatch(pattern, text.strip(), re.DOTALL)
        if found:
            groups = tuple(g or "" for g in found.groups())
            if len(groups) == 2:
                return _(message).format(expected=groups[0], found=groups[1])
            return (_(message).format(found=groups[0]) if groups else _(message)).replace("  ", " ").strip()
    return text


def _refused_character(exc: Any, text: str, name: str) -> Problem:
    """A character YAML does not allow in a file (a control character: ESC, BEL, the C1 controls), at the
    line and column an editor shows (see _line_col)."""
    pos = max(0, int(getattr(exc, "position", 0) or 0))
    code = getattr(exc, "character", None)
    if isinstance(code, int) and not (pos < len(text) and ord(text[pos]) == code):
        # libyaml (the C loader) counts UTF-8 bytes, PyYAML's own reader characters
        pos = len(text.encode("utf-8", "surrogatepass")[:pos].decode("utf-8", "ignore"))
    pos = min(pos, len(text))
    line, col = _line_col(text, pos)
    shown = f"U+{code:04X}" if isinstance(code, int) else "?"
    message = L_("the character {char} (a control character) is not allowed in a YAML file; remove it", char=shown)
    return Problem(message, name, line, col)


def _marked(exc: yaml.MarkedYAMLError, name: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    # PyYAML's own words, in the tool's language where they are known (see _PYYAML_WORDS).
    parts = (pyyaml_words(exc.context), pyyaml_words(exc.problem))
    what = ": ".join(part for part in parts if part) or _("YAML error")
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    return Problem(L_("YAML syntax error: {reason}", reason=what), name, line, col)


def _walk(root: yaml.Node, name: str, positions: Positions, text: str = "") -> None:
    """Record positions, refuse non-plain tags and stop runaway alias expansion."""
    import yaml

    lines = text.splitlines() if text else []
    visits = 0
    problems: list[Problem] = []
    # Depth first, with the nodes on the current path in one set (entered, and left again by an exit mark):
    # memory stays proportional to the depth, however the aliases fan out.
    active: set[int] = set()
    stack: list[tuple[yaml.Node, Path] | int] = [(root, ())]
    while stack:
        item = stack.pop()
        if isinstance(item, int):  # the exit mark of a node whose children are all done
            active.discard(item)
            continue
        node, path = item
        visits += 1
        if visits > MAX_NODES:
            mark = node.start_mark
            raise YamlProblems(
                [
                    Problem(
                        _(
                            "the document expands to more than {limit} values (an alias bomb?); rules files must "
                            "stay small"
                        ).format(limit=f"{MAX_NODES:,}"),
                        name,
                        mark.line + 1,
                        mark.column + 1,
                    )
                ]
            )
        if id(node) in active:
            mark = node.start_mark
            raise YamlProblems(
                [Problem(L_("a YAML alias refers to itself (recursive data)"), name, mark.line + 1, 1)]
            )
        if len(path) > MAX_DEPTH:
            mark = node.start_mark
            raise YamlProblems(
                [
                    Problem(
                        f"the document is nested more than {MAX_DEPTH} levels deep; rules and mapping files "
                        "are a few levels deep",
                        name,
                        mark.line + 1,
                        mark.column + 1,
                    )
                ]
            )
        mark = node.start_mark
        style = getattr(node, "style", None)
        positions.at.setdefault(
            path, (name, mark.line + 1, mark.column + 1, style if style is not None else "")
        )
        if node.tag not in _PLAIN_TAGS:
            problems.append(
                Problem(
                    _("the YAML tag '{tag}' is not allowed: rules hold plain data only").format(tag=node.tag),
                    name,
                    mark.line + 1,
                    mark.column + 1,
                )
            )
            continue
        if isinstance(node, yaml.ScalarNode):
            hidden = _hidden(node, name, lines)
            if hidden is not None:
                problems.append(hidden)
        if isinstance(node, yaml.ScalarNode) and not node.style and lines:
            end = node.end_mark
            if end.line < len(lines) and lines[end.line][end.column :].lstrip().startswith("#"):
                rest = lines[end.line][end.column :]
                col = end.column + len(rest) - len(rest.lstrip()) + 1
                positions.commented.setdefault(path, (name, end.line + 1, col))
        misread = misread_number(node)
        if misread is not None:
            problems.append(Problem(misread, name, mark.line + 1, mark.column + 1))
            continue
        if node.tag == "tag:yaml.org,2002:int" and isinstance(node.value, str):
            digits = sum(ch.isdigit() for ch in node.value)
            if digits > MAX_DIGITS:  # int() would refuse it (or take seconds): say where it is
                problems.append(
                    Problem(
                        f"this number has {digits:,} digits; numbers here have at most {MAX_DIGITS}",
                        name,
                        mark.line + 1,
                        mark.column + 1,
                    )
                )
                continue
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            active.add(id(node))
            stack.append(id(node))  # popped after every child below it
        if isinstance(node, yaml.MappingNode):
            seen_keys: set[object] = set()
            read_keys: dict[object, yaml.Node] = {}  # what each key is once read: the data's own key
            for key_node, value_node in node.value:
                km = key_node.start_mark
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    read = _read_key(key_node)
                    first = read_keys.get(read)
                    if key_node.value in seen_keys:
                        problems.append(
                            Problem(
                                L_("duplicate key '{key}'", key=key_node.value), name, km.line + 1, km.column + 1
                            )
                        )
                    elif first is not None:
                        # yes and Yes are both true, 1 and 01 both the number 1 (and true is 1 as a key):
                        # the data would keep one of the two silently
                        problems.append(
                            Problem(
                                L_("duplicate key '{key}': YAML reads it as the same key as '{first}' (line {line}), and would keep only one of them; keep one (or quote both, if they are texts)", key=key_node.value, first=first.value, line=first.start_mark.line + 1),
                                name,
                                km.line + 1,
                                km.column + 1,
                            )
                        )
                    seen_keys.add(key_node.value)
                    read_keys.setdefault(read, key_node)
                    if not isinstance(read, str | tuple):  # named as the data names it: str(True), str(1)
                        key = str(read)
                hidden = _hidden(key_node, name, lines) if isinstance(key_node, yaml.ScalarNode) else None
                if hidden is not None:
                    problems.append(hidden)
                child: Path = (*path, key)
                if isinstance(key_node, yaml.ScalarNode):
                    positions.keys.setdefault(child, []).append((name, km.line + 1, km.column + 1, key_node.value))
                if not isinstance(value_node, yaml.ScalarNode):
                    positions.at.setdefault(child, (name, km.line + 1, km.column + 1, None))
                stack.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            for i, sub in enumerate(node.value):
                stack.append((sub, (*path, i)))
    if problems:
        raise YamlProblems(problems)


def _read_key(node: yaml.ScalarNode) -> object:
    """What a mapping key is once YAML has read it (true for ``yes``, ``Yes`` and ``on``, the number 1 for
    ``1`` and ``01``, None for ``~`` and ``null``), as the data's dictionary compares its keys; a key that
    cannot be read so (a number too long, a malformed date) as ("?", its text), which no other key is."""
    import yaml

    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and (
        sum(ch.isdigit() for ch in node.value) > MAX_DIGITS
    ):
        return ("?", node.value)
    try:
        read: object = yaml.constructor.SafeConstructor().construct_object(node)
        hash(read)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        return ("?", node.value)
    return read


_OCTAL = re.compile(r"[-+]?0[0-7_]+")
_BASED = re.compile(r"[-+]?0(?:[xX][0-9a-fA-F_]+|[bB][01_]+)")


def _rounded(value: str) -> bool:
    """A float written with more than a float holds, read as a whole number it is not (``1.0e-400`` as 0,
    ``0.99999999999999999999`` as 1): a yes/no answer or a threshold would be taken silently so."""
    from decimal import Decimal, InvalidOperation

    text = value.replace("_", "")
    try:
        read = float(text)
        # (past 2**53 every float is whole: a large number written with more digits is only rounded)
        return read.is_integer() and abs(read) < 2**53 and Decimal(text) != Decimal(read)
    except (ValueError, InvalidOperation, OverflowError):
        return False
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?")


def misread_number(node: yaml.Node) -> str | None:
    """What to say of an unquoted number that YAML 1.1 (PyYAML) reads otherwise than most people would:
    ``010`` is the octal number 8, ``1:30`` the base-60 number 90. A threshold written so would be used
    silently with another value; None for every other value."""
    value = getattr(node, "value", None)
    if getattr(node, "style", None) or not isinstance(value, str):
        return None
    if node.tag == "tag:yaml.org,2002:int" and _OCTAL.fullmatch(value):
        digits = value.replace("_", "")
        read, written = int(digits, 8), int(digits, 10)
        if read == written:  # 07 is 7 either way
            return None
        return _(
            "YAML reads {value} as the octal number {read} (a leading 0 makes it octal): write {plain}, "
            "or {read} if that is meant"
        ).format(value=value, read=read, plain=written)
    if node.tag == "tag:yaml.org,2002:int" and _BASED.fullmatch(value):
        digits = value.replace("_", "")
        sign = -1 if digits.startswith("-") else 1
        body = digits.lstrip("+-")
        base = 16 if body[1] in "xX" else 2
        read = sign * int(body[2:], base)
        return _(
            "YAML reads {value} as the {kind} number {read}: write {read} if that is meant, or quote it"
        ).format(value=value, kind=_("hexadecimal") if base == 16 else _("binary"), read=read)
    if node.tag == "tag:yaml.org,2002:float" and _rounded(value):
        return _(
            "YAML reads {value} as the whole number {read} (it has more digits than a number keeps, or is too "
            "small): write the number meant, or quote it"
        ).format(value=value, read=f"{float(value.replace('_', '')):g}")
    if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and _BASE60.fullmatch(value):
        total = 0.0
        for part in value.lstrip("+-").replace("_", "").split(":"):
            total = total * 60 + float(part)
        shown = f"{-total if value.startswith('-') else total:g}"
        return _(
            "YAML reads {value} as the base-60 number {read} (as in hours:minutes): write {read} if that is "
            "meant, or quote it"
        ).format(value=value, read=shown)
    return None


# Characters a text in these files never holds: they act on a terminal (escape sequences, a CR or
# backspace that overwrites), reorder what is shown (direction overrides, embeddings and isolates), cut a
# line where the reader sees none, carry text no one sees (tag characters), or cannot be stored in a
# workbook (XLSForm). Line feeds and tabs are text.
_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2061-\u2064\u2066-\u206f\u3164\ufeff"
    "\ufff9-\ufffb\U000e0000-\U000e007f]"
)
# Every character a reader does not see: Unicode's default-ignorable code points (the soft hyphen, the
# zero-width space, joiners and direction marks, the combining grapheme joiner, the Hangul fillers, the Khmer
# inherent vowels, the Mongolian and other variation selectors, tags, and those not yet assigned in their
# blocks) and the other format characters (category Cf: interlinear annotation, Egyptian hieroglyph format
# controls), but the format characters that are seen (the Arabic number sign and its kind, written before the
# digits they mark). Scripts need some of them between letters (Thai, Khmer, Lao and Burmese mark word breaks
# with a zero-width space; Mongolian has its vowel separator; Persian and the Indic scripts need the joiners;
# Arabic and Hebrew text the direction marks; an emoji or an ideograph its variation selector; a soft hyphen
# marks where a word may break), but each splits a number where nothing shows: a crisis line's number copied
# from the screen could not be dialled, and a screen reader reads the digits apart. So a run of them is
# refused next to a digit (those of _HIDDEN everywhere). tests/test_mapping_fold_and_invisibles.py derives
# the set from the Unicode database Python carries, and fails when a newer one adds a format character.
_INVISIBLE = (
    "\xad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff"
)
# (a run is only tried from its first character: a long run that no digit follows is read once, not again
# from each of its characters)
_IN_NUMBER = re.compile(f"(?<=\\d)[{_INVISIBLE}]+|(?<![{_INVISIBLE}])[{_INVISIBLE}]+(?=\\d)")
_UNSEEN = re.compile(f"[{_INVISIBLE}]")
# Line and paragraph separators (and NEL, U+0085): PyYAML counts a line at each, an editor does not.
_BREAKS = re.compile("[\x85\u2028\u2029]")
_LINE_ENDS = re.compile("\r\n|\r|\n")


def refused_in_text(text: str) -> str:
    """``text`` without the characters a text of these files may not hold (see _HIDDEN and _IN_NUMBER): the
    check of rules and mapping files, and the keys --suggest-map writes, use this one definition."""
    return _IN_NUMBER.sub("", _HIDDEN.sub("", text))


def unseen(ch: str) -> bool:
    """Whether a reader does not see this character (one of _INVISIBLE), printable or not."""
    return _UNSEEN.fullmatch(ch) is not None


def any_unseen(text: str) -> bool:
    """Whether a reader does not see some character of ``text`` (:func:`unseen` of any of them)."""
    return _UNSEEN.search(text) is not None


def _line_col(text: str, at: int) -> tuple[int, int]:
    """The 1-based line and column of character ``at``, lines ending at CR LF, CR or LF (as YAML and
    editors count them)."""
    line = len(_LINE_ENDS.findall(text, 0, at)) + 1
    start = max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1
    return line, at - start + 1


def _hidden(node: yaml.ScalarNode, name: str, lines: list[str]) -> Problem | None:
    """A located problem for a text holding a character of ``_HIDDEN``, or one of ``_INVISIBLE`` next to a
    digit (named by its code point, the first of a run), at the character itself where the file holds it as
    it is (else, an escape in a quoted text, where the text starts)."""
    if not isinstance(node.value, str):
        return None
    found = _HIDDEN.search(node.value) or _IN_NUMBER.search(node.value)
    if found is None:
        return None
    char = found.group()[0]
    mark = node.start_mark
    line, col = mark.line, mark.column
    for at in range(mark.line, min(node.end_mark.line, len(lines) - 1) + 1):
        hit = lines[at].find(char, mark.column if at == mark.line else 0)
        if hit >= 0:
            line, col = at, hit
            break
    return Problem(
        L_("the text holds the invisible character U+{code:04X}, which could change how it is shown (move or "
            "hide text, or act on the terminal); remove it", code=ord(char)),
        name,
        line + 1,
        col + 1,
    )


def load(path: FsPath) -> tuple[Any, Positions, bytes]:
    """Read and parse one YAML file: (data, positions, raw bytes for hashing)."""
    raw = read_bytes(path)
    data, positions = parse(decode(raw, str(path)), str(path))
    return data, positions, raw
