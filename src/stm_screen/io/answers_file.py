"""Reading a file of answers (JSON or YAML mapping of question id -> answer), or standard input."""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stm_screen.errors import InputFileError, Problem, UsageError, answered_twice, os_reason
from stm_screen.i18n import L_, _
from stm_screen.io.jsonnum import json_float
from stm_screen.io.jsonwords import json_words
from stm_screen.io.yamlfile import MAX_BYTES, YamlProblems, decode, read_bytes

if TYPE_CHECKING:
    import yaml

KIND = "answers file"  # the kind of file, for yamlfile's messages (which say it in the tool's language)


def read_answers(spec: str) -> tuple[Any, str]:
    """Return (parsed data, display name). ``-`` reads standard input."""
    if spec == "-":
        name = "<stdin>"
        from stm_screen.io.sameness import note_read

        note_read("-", _("standard input"))
        try:
            raw = sys.stdin.buffer.read(MAX_BYTES + 1)  # bounded: decode() refuses anything larger
        except OSError as exc:
            raise InputFileError(L_("{name}: cannot read standard input ({reason})", name=name, reason=os_reason(exc))) from None
        except ValueError:  # standard input closed by the program that started this one
            raise InputFileError(L_("{name}: cannot read standard input (it is closed)", name=name)) from None
    else:
        name = spec
        try:
            raw = read_bytes(Path(spec), KIND)
        except YamlProblems as exc:
            # missing, a folder or unreadable: the run cannot be done (exit 2), as for batch's inputs
            raise (UsageError if exc.unreadable else InputFileError)(str(exc.problems[0])) from None
    try:
        text = decode(raw, name, KIND)
    except YamlProblems as exc:
        raise InputFileError(str(exc.problems[0])) from None
    if not text.strip():
        raise InputFileError(L_("{name}: the answers file is empty", name=name))
    return parse_answers_text(text, name), name


_TOO_LONG = 4000  # digits: int() refuses more (and Python would take long to print it)
_TOO_LARGE = 10**16  # stands for a number too long to read: any check then says "too large"


def _int(text: str) -> int:
    """A whole number as written; one too long to read becomes a stand-in that every range refuses."""
    digits = text.lstrip("+-")
    if len(digits) <= _TOO_LONG:
        return int(text)
    return -_TOO_LARGE if text.startswith("-") else _TOO_LARGE


class _Twice(Exception):
    """A key appears twice in one mapping: the file says two things about one question."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Twice(key)
        out[key] = value
    return out


def _construct_mapping(self: Any, node: yaml.MappingNode, deep: bool = False) -> Any:
    """Mappings of the answers loader: a key that appears twice is refused."""
    import yaml

    seen: set[str] = set()
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:merge":
            # '<<: *defaults' brings its keys in too: one given again beside it is answered twice (YAML
            # would keep one of the two silently).
            merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            keys = [
                k for sub in merged if isinstance(sub, yaml.MappingNode) for k, _v in sub.value
                if isinstance(k, yaml.ScalarNode)
            ]
        else:
            keys = [key_node] if isinstance(key_node, yaml.ScalarNode) else []
        for key in keys:
            if key.value in seen:
                raise yaml.constructor.ConstructorError(None, None, _twice(key.value), key.start_mark)
            seen.add(key.value)
    return yaml.SafeLoader.construct_mapping(self, node, deep=deep)


def _construct_yaml_int(self: Any, node: yaml.ScalarNode) -> Any:
    """Whole numbers as PyYAML reads them, without its limit (see _int)."""
    import yaml

    from stm_screen.io.yamlfile import misread_number

    misread = misread_number(node)
    if misread is not None:
        raise yaml.constructor.ConstructorError(None, None, misread, node.start_mark)
    value = str(self.construct_scalar(node)).replace("_", "")
    if len(value.lstrip("+-")) > _TOO_LONG and value.lstrip("+-").isdigit():
        return _int(value)
    return yaml.SafeLoader.construct_yaml_int(self, node)


def _construct_yaml_float(self: Any, node: yaml.ScalarNode) -> Any:
    """Numbers with a fraction as PyYAML reads them, but not a base-60 one (``1:30.5``)."""
    import yaml

    from stm_screen.io.yamlfile import misread_number

    misread = misread_number(node)
    if misread is not None:
        raise yaml.constructor.ConstructorError(None, None, misread, node.start_mark)
    return yaml.SafeLoader.construct_yaml_float(self, node)


@lru_cache(maxsize=1)
def _answers_loader() -> type[yaml.SafeLoader]:
    """The safe loader, refusing a key that appears twice (PyYAML would keep the last one silently). Made
    on first use: JSON answers (the usual) are read without importing PyYAML."""
    from stm_screen.io.yamlfile import safe_loader

    loader: type[yaml.SafeLoader] = type(
        "_AnswersLoader", (safe_loader(),), {"construct_mapping": _construct_mapping}
    )
    loader.add_constructor("tag:yaml.org,2002:int", _construct_yaml_int)
    loader.add_constructor("tag:yaml.org,2002:float", _construct_yaml_float)
    return loader


def _at(problem: Problem) -> str:
    """A problem's FILE:LINE:COL (or FILE alone, when its place is not known)."""
    return f"{problem.file}:{problem.line}:{problem.col or 1}" if problem.line else problem.file


def _twice(key: object) -> str:
    return answered_twice(key)


def parse_answers_text(text: str, name: str) -> Any:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_int, parse_float=json_float)
        except _Twice as exc:
            raise InputFileError(f"{name}: {_twice(exc.args[0])}") from None
        except json.JSONDecodeError as exc:
            if name.endswith(".json"):
                at = f"{name}:{exc.lineno}:{exc.colno}"
                raise InputFileError(L_("{where}: not valid JSON: {problem}", where=at, problem=json_words(exc.msg))) from None
            # YAML flow style is a superset of JSON: fall through
        except RecursionError:
            raise InputFileError(L_("{name}: cannot read the answers: they are nested too deeply", name=name)) from None
        except ValueError:  # a number too long to read
            raise InputFileError(L_("{name}: cannot read the answers: a number in them is too long to read", name=name)) from None
    import yaml

    try:
        data = yaml.load(text, Loader=_answers_loader())  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else name
        from stm_screen.io.yamlfile import pyyaml_words

        problem = pyyaml_words(exc.problem) or L_("not JSON or YAML")
        raise InputFileError(L_("{where}: cannot read the answers: {problem}", where=at, problem=problem)) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        from stm_screen.io.yamlfile import unmade_value

        unmade = unmade_value(exc, text, name, _answers_loader())
        raise InputFileError(L_("{where}: cannot read the answers: {problem}", where=_at(unmade), problem=unmade.message)) from None
    if data is None:
        raise InputFileError(L_("{name}: the answers file is empty", name=name))
    return data
