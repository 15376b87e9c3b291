"""The rules spec: its checks and the published JSON Schema agree on what a valid rules file is."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from stm_screen.core.model import RECORDS, json_schema, validate

MINIMAL = yaml.safe_load((Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8"))
SCHEMA = json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def schema_ok(data: Any) -> bool:
    return VALIDATOR.is_valid(data)


def spec_ok(data: Any) -> bool:
    return not validate(data)[1]


def test_minimal_is_valid_for_both() -> None:
    assert spec_ok(MINIMAL) and schema_ok(MINIMAL)


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _places(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _places(v, (*path, i))
    return out


PLACES = [p for p in _places(MINIMAL) if p and not (len(p) > 2 and p[0] == "examples" and p[2] == "answers")]
JUNK = [None, 3, -1.5, True, "text", "Bad Id", [], ["x"], {}, {"en": "x"}, {"x": 1}]


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    data = copy.deepcopy(data)
    target = data
    for part in path[:-1]:
        target = target[part]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


_DELETE = object()


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(PLACES), st.sampled_from([*JUNK, _DELETE]))
def test_spec_and_schema_agree_on_mutations(path: tuple[Any, ...], value: Any) -> None:
    if value is _DELETE and isinstance(path[-1], int):
        return  # removing a list item changes no shape
    mutated = _set(MINIMAL, path, value)
    # the spec treats null as 'absent'; JSON Schema has no such notion
    if value is None:
        return
    assert spec_ok(mutated) == schema_ok(mutated), (path, value)


@pytest.mark.parametrize("record", sorted(RECORDS))
def test_every_record_is_in_the_schema(record: str) -> None:
    assert set(SCHEMA["$defs"][record]["properties"]) == set(RECORDS[record])


def test_the_schema_takes_a_ruleset_or_a_module() -> None:
    module = yaml.safe_load((Path(__file__).parents[1] / "rules" / "modules" / "peg.yaml").read_text("utf-8"))
    assert schema_ok(module) and not validate(module, "ModuleFile")[1]
    assert not schema_ok({**module, "id": "x"})


def test_unknown_key_gets_a_suggestion() -> None:
    _, problems = validate({**MINIMAL, "questoins": []})
    assert (
        ("questoins",),
        "unknown key 'questoins' (did you mean 'questions'?); allowed: " + ", ".join(RECORDS["RulesetFile"]),
    ) in problems
