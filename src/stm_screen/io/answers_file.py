"""Reading a file of answers (JSON or YAML mapping of question id -> answer), or standard input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from stm_screen.errors import InputFileError, answered_twice
from stm_screen.i18n import _
from stm_screen.io.yamlfile import MAX_BYTES, SafeLoader, YamlProblems, decode, read_bytes

KIND = "answers file"  # the kind of file, for yamlfile's messages (which say it in the tool's language)


def read_answers(spec: str) -> tuple[Any, str]:
    """Return (parsed data, display name). ``-`` reads standard input."""
    if spec == "-":
        name = "<stdin>"
        from stm_screen.io.sameness import note_read

        note_read("-", _("standard input"))
        try:
            raw = sys.stdin.buffer.read(MAX_BYTES + 1)  # bounded: decode() refuses anything larger
        except (OSError, ValueError) as exc:
            raise InputFileError(
                _("{name}: cannot read standard input ({kind})").format(name=name, kind=type(exc).__name__)
            ) from None
    else:
        name = spec
        try:
            raw = read_bytes(Path(spec), KIND)
        except YamlProblems as exc:
            raise InputFileError(str(exc.problems[0])) from None
    try:
        text = decode(raw, name, KIND)
    except YamlProblems as exc:
        raise InputFileError(str(exc.problems[0])) from None
    if not text.strip():
        raise InputFileError(_("{name}: the answers file is empty").format(name=name))
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


class _AnswersLoader(SafeLoader):  # type: ignore[valid-type,misc]
    """The safe loader, refusing a key that appears twice (PyYAML would keep the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: set[str] = set()
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, _twice(key_node.value), key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:  # noqa: D102 - as PyYAML's, without its limit
        value = str(self.construct_scalar(node)).replace("_", "")
        if len(value.lstrip("+-")) > _TOO_LONG and value.lstrip("+-").isdigit():
            return _int(value)
        return super().construct_yaml_int(node)


_AnswersLoader.add_constructor("tag:yaml.org,2002:int", _AnswersLoader.construct_yaml_int)


def _twice(key: object) -> str:
    return answered_twice(key)


def parse_answers_text(text: str, name: str) -> Any:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_int)
        except _Twice as exc:
            raise InputFileError(f"{name}: {_twice(exc.args[0])}") from None
        except json.JSONDecodeError as exc:
            if name.endswith(".json"):
                raise InputFileError(
                    _("{where}: not valid JSON: {problem}").format(
                        where=f"{name}:{exc.lineno}:{exc.colno}", problem=exc.msg
                    )
                ) from None
            # YAML flow style is a superset of JSON: fall through
        except (RecursionError, ValueError) as exc:  # nested too deeply; a number too long to read
            raise InputFileError(
                _("{name}: cannot read the answers ({kind})").format(name=name, kind=type(exc).__name__)
            ) from None
    try:
        data = yaml.load(text, Loader=_AnswersLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise InputFileError(
            _("{where}: cannot read the answers: {problem}").format(
                where=f"{name}{where}", problem=exc.problem or _("not JSON or YAML")
            )
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise InputFileError(
            _("{name}: cannot read the answers ({kind})").format(name=name, kind=type(exc).__name__)
        ) from None
    if data is None:
        raise InputFileError(_("{name}: the answers file is empty").format(name=name))
    return data
