"""Every entry of a FHIR Bundle is one output row, and no key held twice on the way to an answer is read as
its last value.

A Bundle entry that could not be scored (an Observation, a text, a number, no resource, a lower-case
'questionnaireresponse', a Bundle inside the Bundle) used to be dropped without a row (exit 0, fewer records
counted), where the same resource in a JSON array or JSONL file is an error row; and an entry holding its
'resource' twice was scored by the last one, without a word. Now an entry that cannot be scored is an error
row with the message the array gives, in its place among the others (row number = entry position), and a
key held twice by the Bundle, an entry, a response, an item or an answer is an error row.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
ONLY_QR = "only QuestionnaireResponse (alone, in an array or in a Bundle) can be scored"
ENTRY_TWICE = "the Bundle entry holds 'resource' twice; keep one"
TYPE_TWICE = "the record holds 'resourceType' twice; keep one"
NO_RESOURCE = f"the Bundle entry holds no resource; {ONLY_QR}"
NO_TYPE = f"the Bundle entry's resource has no resourceType; {ONLY_QR}"


def _responses() -> list[dict[str, object]]:
    """Six QuestionnaireResponses (three scored ok, two incomplete, one with an answer out of range)."""
    doc = json.loads((ROOT / "tests" / "data" / "batch" / "fhir_bundle.json").read_text(encoding="utf-8"))
    return [e["resource"] for e in doc["entry"]]


def _night_pain(value: bool, rid: str = "r1") -> str:
    return json.dumps(
        {"resourceType": "QuestionnaireResponse", "id": rid, "item": [{"linkId": "night_pain", "answer": [{"valueBoolean": value}]}]}
    )


def _obj(*pairs: tuple[str, str]) -> str:
    """A JSON object's text from (key, value as JSON text) pairs, written as they are: a key may be twice."""
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in pairs) + "}"


def _list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _bundle(entries: list[str], kind: str = "collection") -> str:
    """A Bundle text whose entries are these JSON texts."""
    return _obj(("resourceType", '"Bundle"'), ("type", json.dumps(kind)), ("entry", _list(entries)))


def _entry(resource: str) -> str:
    return _obj(("resource", resource))


def _batch(tmp: Path, text: str, *args: str) -> tuple[int, list[dict[str, str]], str]:
    path = tmp / "in.json"
    path.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(app, ["batch", str(path), *args])
    return r.exit_code, list(csv.DictReader(io.StringIO(r.stdout))), r.stderr


# --- Bug B: a key held twice on the way to an answer -------------------------------------------------


@pytest.mark.parametrize("first", [True, False])
def test_an_entry_holding_its_resource_twice_is_an_error_row(tmp_path: Path, first: bool) -> None:
    """The tester's reproducer: two responses in one entry's 'resource' were scored by the last, exit 0."""
    good = json.dumps(_responses()[0])
    twice = _obj(("resource", _night_pain(first)), ("resource", _night_pain(not first)))
    code, rows, err = _batch(tmp_path, _bundle([_entry(good), twice, _entry(good)]), "--allow-missing")
    assert code == 1, err
    assert [r["row"] for r in rows] == ["1", "2", "3"]
    assert [r["status"] for r in rows] == ["ok", "error", "ok"]
    assert rows[1]["error"] == ENTRY_TWICE
    assert ENTRY_TWICE in err


def test_the_reproducer_of_the_brief(tmp_path: Path) -> None:
    twice = '{"resource":' + _night_pain(True) + ',"resource":' + _night_pain(False) + "}"
    text = '{"resourceType":"Bundle","entry":[' + twice + "]}"
    code, rows, _ = _batch(tmp_path, text, "--allow-missing")
    assert code == 1
    assert [(r["row"], r["status"], r["error"]) for r in rows] == [("1", "error", ENTRY_TWICE)]


def _with_key_twice(where: str) -> str:
    """A response whose answer to night_pain (or what decides it is scored) is written twice at ``where``."""
    yes, no = '[{"valueBoolean": true}]', '[{"valueBoolean": false}]'
    link = ("linkId", '"night_pain"')
    head = (("resourceType", '"QuestionnaireResponse"'), ("id", '"r1"'))
    nested = _obj(("valueString", '"x"'), ("item", _list([_obj(link, ("answer", yes), ("answer", no))])))
    items = {
        "resourceType": [_obj(link, ("answer", yes))],
        "item": [_obj(link, ("answer", yes))],
        "answer": [_obj(link, ("answer", yes), ("answer", no))],
        "linkId": [_obj(link, ("linkId", '"other"'), ("answer", yes))],
        "value": [_obj(link, ("answer", '[{"valueBoolean": true, "valueBoolean": false}]'))],
        "nested": [_obj(("linkId", '"g"'), ("answer", _list([nested])))],  # in the item nested in an answer
    }[where]
    if where == "resourceType":
        return _obj(("resourceType", '"Patient"'), *head, ("item", _list(items)))
    if where == "item":
        return _obj(*head, ("item", _list(items)), ("item", _list([_obj(link, ("answer", no))])))
    return _obj(*head, ("item", _list(items)))


TWICE_MESSAGES = {
    "resourceType": TYPE_TWICE,
    "item": "the record holds 'item' twice; keep one",
    "answer": "'night_pain' is answered twice; keep one answer",
    "linkId": "the record holds 'linkId' twice; keep one",
    "value": "'night_pain' is answered twice; keep one answer",
    "nested": "'night_pain' is answered twice; keep one answer",
}


@pytest.mark.parametrize("shape", ["bundle", "array", "object"])
@pytest.mark.parametrize("where", list(TWICE_MESSAGES))
def test_a_key_twice_in_a_response_is_an_error_row(tmp_path: Path, where: str, shape: str) -> None:
    """Whatever holds it (a Bundle entry, an array, the file alone), a response holding a key twice on the
    way to an answer is an error row naming the question or the key, with the response's id."""
    bad = _with_key_twice(where)
    good = json.dumps(_responses()[0])
    if shape == "bundle":
        text, expect = _bundle([_entry(good), _entry(bad)]), ["ok", "error"]
    elif shape == "array":
        text, expect = _list([good, bad]), ["ok", "error"]
    else:
        text, expect = bad, ["error"]
    code, rows, err = _batch(tmp_path, text, "--allow-missing")
    assert code == 1, err
    assert [r["status"] for r in rows] == expect
    assert rows[-1]["error"] == TWICE_MESSAGES[where]
    assert rows[-1]["id"] == "r1"


def test_a_bundle_holding_entry_twice_is_still_one_error_row(tmp_path: Path) -> None:
    good = json.dumps(_responses()[0])
    text = _obj(("resourceType", '"Bundle"'), ("entry", _list([_entry(good)])), ("entry", _list([_entry(_night_pain(True))])))
    code, rows, _ = _batch(tmp_path, text, "--allow-missing")
    assert code == 1
    assert [(r["status"], r["error"]) for r in rows] == [("error", "the Bundle holds 'entry' twice; keep one")]


def test_an_entry_holding_another_key_twice_is_an_error_row(tmp_path: Path) -> None:
    good = json.dumps(_responses()[0])
    twice = _obj(("fullUrl", '"urn:a"'), ("fullUrl", '"urn:b"'), ("resource", good))
    code, rows, _ = _batch(tmp_path, _bundle([twice, _entry(good)]))
    assert code == 1
    assert [(r["status"], r["error"]) for r in rows] == [
        ("error", "the Bundle entry holds 'fullUrl' twice; keep one"),
        ("ok", ""),
    ]


# --- Bug C: every entry is a row ----------------------------------------------------------------------


def _odd_resources() -> list[str]:
    """Resources that cannot be scored, as JSON texts (each also an item of a JSON array)."""
    return [
        '{"resourceType": "Observation", "id": "o1"}',
        '"x"',
        "7",
        '{"resourceType": "questionnaireresponse", "id": "r9"}',
        '{"resourceType": "QuestionnaireResponse", "id": "r1", "resourceType": "Patient"}',
        '{"resourceType": "Patient", "id": "r1", "resourceType": "QuestionnaireResponse"}',
    ]


def test_entries_that_are_not_responses_are_rows_as_in_an_array(tmp_path: Path) -> None:
    """The tester's c.json and c2.json: the same content as a Bundle and as an array gives the same rows."""
    good = [json.dumps(r) for r in _responses()[:3]]
    odd = _odd_resources()
    order = [good[0], odd[0], odd[1], good[1], odd[2], odd[3], odd[4], odd[5], good[2]]
    entries = [_entry(r) if r != "7" else r for r in order]  # a bare number as the entry itself
    code, bundle_rows, _ = _batch(tmp_path, _bundle(entries))
    assert code == 1
    code_array, array_rows, _ = _batch(tmp_path, _list(order))
    assert code_array == 1
    assert bundle_rows == array_rows
    assert [r["row"] for r in bundle_rows] == [str(i) for i in range(1, 10)]
    assert [r["status"] for r in bundle_rows] == ["ok", "error", "error", "ok", "error", "error", "error", "error", "ok"]
    assert [r["error"] for r in bundle_rows if r["status"] == "error"] == [
        f"the record is a FHIR Observation; {ONLY_QR}",
        "the record is a text, not an object of field -> answer",
        "the record is a number, not an object of field -> answer",
        f"the record is a FHIR questionnaireresponse; {ONLY_QR}",
        TYPE_TWICE,
        TYPE_TWICE,
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('{"fullUrl": "urn:uuid:1"}', NO_RESOURCE),
        ('{"resource": null}', NO_RESOURCE),
        ('{"resource": {"id": "q", "item": []}}', NO_TYPE),
        ("null", "the record is null, not an object of field -> answer"),
        ("[1, 2]", "the record is a list, not an object of field -> answer"),
        (_entry(_bundle([_entry(_night_pain(True))])), f"the record is a FHIR Bundle; {ONLY_QR}"),
    ],
)
def test_an_entry_without_a_response_is_an_error_row(tmp_path: Path, entry: str, message: str) -> None:
    good = json.dumps(_responses()[0])
    code, rows, err = _batch(tmp_path, _bundle([_entry(good), entry, _entry(good)]))
    assert code == 1, err
    assert [(r["row"], r["status"], r["error"]) for r in rows] == [("1", "ok", ""), ("2", "error", message), ("3", "ok", "")]
    assert "3 records" in err and "1 error" in err


@pytest.mark.parametrize("entries", ['{"resource": {}}', "7", '"x"'])
def test_an_entry_list_that_is_no_list_is_one_error_row(tmp_path: Path, entries: str) -> None:
    code, rows, _ = _batch(tmp_path, _obj(("resourceType", '"Bundle"'), ("type", '"collection"'), ("entry", entries)))
    assert code == 1
    assert len(rows) == 1 and rows[0]["status"] == "error"
    assert rows[0]["error"].startswith("the Bundle's 'entry' is ")


@pytest.mark.parametrize("kind", ["collection", "searchset", "transaction", "batch", "document"])
def test_every_bundle_type_reads_its_entries_alike(tmp_path: Path, kind: str) -> None:
    """A searchset's included Patient, a transaction's request, a document's Composition: whatever the
    Bundle's type, each entry is a row: a response is scored, anything else is an error row."""
    good = json.dumps(_responses()[0])
    entries = [
        _obj(
            ("fullUrl", '"urn:uuid:1"'),
            ("resource", good),
            ("search", '{"mode": "match"}'),
            ("request", '{"method": "POST", "url": "QuestionnaireResponse"}'),
        ),
        '{"resource": {"resourceType": "Patient", "id": "p1"}, "search": {"mode": "include"}}',
        '{"request": {"method": "DELETE", "url": "QuestionnaireResponse/9"}}',
    ]
    code, rows, _ = _batch(tmp_path, _bundle(entries, kind))
    assert code == 1
    assert [(r["status"], r["error"]) for r in rows] == [
        ("ok", ""),
        ("error", f"the record is a FHIR Patient; {ONLY_QR}"),
        ("error", NO_RESOURCE),
    ]


def test_an_array_of_bundles_still_reads_each_bundle(tmp_path: Path) -> None:
    """An array (or JSONL) of Bundles reads every Bundle's entries, as before; a Bundle inside a Bundle's
    entry is an error row (its entries would shift every row number)."""
    responses = [json.dumps(r) for r in _responses()[:2]]
    one = _bundle([_entry(responses[0]), '{"resource": "x"}'])
    two = _bundle([_entry(responses[1])])
    code, rows, _ = _batch(tmp_path, _list([one, two]))
    assert code == 1
    assert [r["status"] for r in rows] == ["ok", "error", "ok"]


KINDS = {
    "response": None,
    "observation": '{"resource": {"resourceType": "Observation"}}',
    "text": '{"resource": "x"}',
    "number": "7",
    "lower": '{"resource": {"resourceType": "questionnaireresponse"}}',
    "no_resource": '{"fullUrl": "urn:uuid:2"}',
    "resource_twice": _obj(("resource", _night_pain(True)), ("resource", _night_pain(False))),
    "type_twice": _entry('{"resourceType": "QuestionnaireResponse", "item": [], "resourceType": "Patient"}'),
    "bundle": _entry(_bundle([_entry(_night_pain(True))])),
    "null": "null",
    "no_type": '{"resource": {"item": []}}',
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds=st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=12))
def test_one_row_per_entry_whatever_the_entries(kinds: list[str]) -> None:
    responses = _responses()[:3]  # ok, ok, ok
    entries = [
        _entry(json.dumps(responses[i % 3])) if KINDS[k] is None else str(KINDS[k]) for i, k in enumerate(kinds)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        code, rows, err = _batch(Path(tmp), _bundle(entries))
    assert [r["row"] for r in rows] == [str(i) for i in range(1, len(kinds) + 1)], err
    assert [r["status"] == "error" for r in rows] == [k != "response" for k in kinds]
    assert code == (1 if any(k != "response" for k in kinds) else 0)
    assert f"{len(kinds)} record" in err
