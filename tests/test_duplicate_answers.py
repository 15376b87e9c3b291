"""An answer given twice is an error, never "the last one wins" (issue 10, point 1).

``score`` refuses a file that answers a question twice; ``batch`` makes such a record an error row with the
same message, in every record format (JSON array, JSONL, one JSON object, FHIR QuestionnaireResponse alone
or in a Bundle, a linkId answered twice or a key twice inside one answer), and scores the other records.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
MESSAGE = "'night_pain' is answered twice; keep one answer"


def _answers() -> dict[str, object]:
    data = yaml.safe_load((ROOT / "docs" / "examples" / "answers.yaml").read_text(encoding="utf-8"))
    return {k: ("yes" if v is True else "no" if v is False else v) for k, v in data.items()}


def _record(twice: bool, first: str = "yes", second: str = "no") -> str:
    """A JSON object text; with ``twice``, night_pain appears twice (the warning sign first, then no)."""
    data = {k: v for k, v in _answers().items() if k != "night_pain"}
    body = json.dumps(data)[1:-1]
    if twice:
        return f'{{"night_pain": "{first}", {body}, "night_pain": "{second}"}}'
    return f'{{"night_pain": "no", {body}}}'


def _batch(path: Path) -> tuple[int, list[dict[str, str]], str]:
    r = CliRunner().invoke(app, ["batch", str(path)])
    return r.exit_code, list(csv.DictReader(io.StringIO(r.stdout))), r.stderr


def _shaped(tmp_path: Path, shape: str, good: str, bad: str) -> tuple[Path, list[str]]:
    """An input of this shape holding the ``bad`` record (between two ``good`` ones, but for one object),
    and the statuses expected."""
    if shape == "array":
        path = tmp_path / "in.json"
        path.write_text(f"[{good},\n{bad},\n{good}]", encoding="utf-8")
        return path, ["ok", "error", "ok"]
    if shape == "jsonl":
        path = tmp_path / "in.jsonl"
        path.write_text(f"{good}\n{bad}\n{good}\n", encoding="utf-8")
        return path, ["ok", "error", "ok"]
    path = tmp_path / "in.json"
    path.write_text(bad, encoding="utf-8")
    return path, ["error"]


@pytest.mark.parametrize("order", [("yes", "no"), ("no", "yes"), ("yes", "yes")])
@pytest.mark.parametrize("shape", ["array", "jsonl", "object"])
def test_a_duplicate_key_is_an_error_row(tmp_path: Path, shape: str, order: tuple[str, str]) -> None:
    path, expect = _shaped(tmp_path, shape, _record(False), _record(True, *order))
    code, rows, err = _batch(path)
    assert code == 1, err
    assert [r["status"] for r in rows] == expect
    bad = [r for r in rows if r["status"] == "error"]
    assert [r["error"] for r in bad] == [MESSAGE]
    assert MESSAGE in err


def test_score_says_the_same(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(_record(True), encoding="utf-8")
    r = CliRunner().invoke(app, ["score", str(path)])
    assert r.exit_code == 1 and MESSAGE in r.stderr


def _bundle() -> dict[str, object]:
    return json.loads((ROOT / "tests" / "data" / "batch" / "fhir_bundle.json").read_text(encoding="utf-8"))


def test_fhir_a_link_id_answered_twice(tmp_path: Path) -> None:
    doc = _bundle()
    original = tmp_path / "original.json"
    original.write_text(json.dumps(doc), encoding="utf-8")
    _, before, _ = _batch(original)
    entries = doc["entry"]  # type: ignore[index]
    res = entries[1]["resource"]
    res["item"].append({"linkId": "night_pain", "answer": [{"valueBoolean": True}]})
    res["item"].append({"linkId": "night_pain", "answer": [{"valueBoolean": False}]})
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, rows, _ = _batch(path)
    assert len(rows) == len(entries)
    assert rows[1]["status"] == "error" and rows[1]["error"] == MESSAGE
    assert [r for i, r in enumerate(rows) if i != 1] == [r for i, r in enumerate(before) if i != 1]
    assert code == 1


def test_fhir_a_value_key_twice_inside_one_answer(tmp_path: Path) -> None:
    doc = _bundle()
    res = copy.deepcopy(doc["entry"][0]["resource"])  # type: ignore[index]
    text = json.dumps(res)
    res_text = text.replace('"valueBoolean": false', '"valueBoolean": true, "valueBoolean": false', 1)
    assert res_text != text
    path = tmp_path / "qr.json"
    path.write_text(res_text, encoding="utf-8")
    code, rows, _ = _batch(path)
    assert code == 1 and len(rows) == 1 and rows[0]["status"] == "error"
    assert "is answered twice" in rows[0]["error"]


@pytest.mark.parametrize("other", ["NIGHT_PAIN", "Night pain", "night pain"])
def test_two_keys_for_one_question_say_answered_twice_too(tmp_path: Path, other: str) -> None:
    data = _answers()
    twice = dict(data)
    twice[other] = "yes"
    path = tmp_path / "in.json"
    path.write_text(json.dumps([data, twice]), encoding="utf-8")
    code, rows, _ = _batch(path)
    assert code == 1 and rows[0]["status"] == "ok"
    assert rows[1]["status"] == "error" and rows[1]["error"].startswith("'night_pain' is answered twice")


@pytest.mark.parametrize(
    "tail",
    [
        "<<: {night_pain: yes}\n",  # a merge beside an explicit answer
        "<<: [{night_pain: yes}, {other: 1}]\n",
        "defaults: &d {night_pain: yes}\n<<: *d\n",
    ],
)
def test_a_yaml_merge_key_that_answers_again_is_answered_twice(tmp_path: Path, tail: str) -> None:
    """A YAML answers file whose ``<<:`` merge brings in a question it also answers: YAML keeps the
    explicit one silently; the tool says it is answered twice."""
    body = "".join(f"{k}: {json.dumps(v)}\n" for k, v in _answers().items())
    path = tmp_path / "a.yaml"
    path.write_text(body + tail, encoding="utf-8")
    r = CliRunner().invoke(app, ["score", str(path)])
    assert r.exit_code == 1 and MESSAGE in r.stderr, r.stderr


def test_two_merged_mappings_that_answer_one_question(tmp_path: Path) -> None:
    body = "".join(f"{k}: {json.dumps(v)}\n" for k, v in _answers().items() if k != "night_pain")
    path = tmp_path / "a.yaml"
    path.write_text(body + "<<: [{night_pain: yes}, {night_pain: no}]\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["score", str(path)])
    assert r.exit_code == 1 and MESSAGE in r.stderr, r.stderr


@pytest.mark.parametrize("shape", ["array", "jsonl"])
def test_the_error_row_of_a_duplicate_keeps_the_records_id(tmp_path: Path, shape: str) -> None:
    """An error row for a key held twice names the record's id (read from its id column as any record's
    is), so results can be joined back by id; not when the id itself is given twice."""
    base = {"record_id": "A-1", **{k: v for k, v in _answers().items() if k != "night_pain"}}
    body = json.dumps(base)[1:-1]
    twice = f'{{{body}, "night_pain": "yes", "night_pain": "no"}}'
    both_ids = f'{{"record_id": "B-1", {body}, "night_pain": "no"}}'
    fine = json.dumps({**base, "record_id": "C-1", "night_pain": "no"})
    if shape == "array":
        path = tmp_path / "in.json"
        path.write_text(f"[{twice},\n{both_ids},\n{fine}]", encoding="utf-8")
    else:
        path = tmp_path / "in.jsonl"
        path.write_text(f"{twice}\n{both_ids}\n{fine}\n", encoding="utf-8")
    _code, rows, _err = _batch(path)
    assert [(r["id"], r["status"]) for r in rows] == [("A-1", "error"), ("", "error"), ("C-1", "ok")]


# --- a lone surrogate (half of a character pair, escaped): an error row, never an internal error -----------

HALF = "a text holds half of a character pair"


@pytest.mark.parametrize("where", ["answer", "id", "key", "list"])
@pytest.mark.parametrize("shape", ["array", "jsonl", "object"])
def test_a_lone_surrogate_is_an_error_row(tmp_path: Path, shape: str, where: str) -> None:
    """``\\ud800`` is valid JSON but not Unicode text: it could not be written to the output (UTF-8), and
    an id holding it could not be joined back. The record is an error row; the others are scored."""
    data = dict(_answers(), id="P-1")
    body = json.dumps(data)
    half = {
        "answer": body.replace('"night_pain": "no"', '"night_pain": "no\\ud800"'),
        "id": body.replace('"P-1"', '"P-1\\udc00"'),
        "key": body.replace('"night_pain"', '"night\\ud83d_pain"'),
        "list": body.replace('"pain_areas": ["low_back"]', '"pain_areas": ["low_back", "\\ud800"]'),
    }[where]
    assert half != body
    path, expect = _shaped(tmp_path, shape, json.dumps(dict(_answers(), id="P-2")), half)
    code, rows, err = _batch(path)
    assert code == 1, err
    assert [r["status"] for r in rows] == expect
    assert all(r["error"].startswith(HALF) for r in rows if r["status"] == "error")
    assert "internal error" not in err


def test_a_lone_surrogate_in_fhir_is_never_an_internal_error(tmp_path: Path) -> None:
    doc = _bundle()
    text = json.dumps(doc).replace('"status": "completed"', '"status": "completed\\ud800"', 1)
    path = tmp_path / "bundle.json"
    path.write_text(text.replace('"valueString": "', '"valueString": "\\udfff', 1), encoding="utf-8")
    code, rows, err = _batch(path)
    assert code in (0, 1) and "internal error" not in err
    assert len(rows) == len(doc["entry"])  # type: ignore[arg-type]


def test_keys_that_differ_only_by_their_halves_are_not_answered_twice(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    good = json.dumps(dict(_answers(), id="P-2"))
    half = good.replace('"id"', '"a\\ud800": "1", "a\\ud801": "2", "id"', 1)
    path.write_text(f"{good}\n{half}\n", encoding="utf-8")
    code, rows, _ = _batch(path)
    assert code == 1 and [r["status"] for r in rows] == ["ok", "error"]
    assert rows[1]["error"].startswith(HALF)


@pytest.mark.parametrize(
    "answer",
    [
        {"valueCoding": {"system": "http://loinc.org", "code": "LA33-6"}, "valueBoolean": False},
        {"valueBoolean": True, "valueString": "no"},
    ],
)
def test_fhir_one_answer_with_two_values_is_answered_twice(tmp_path: Path, answer: dict[str, object]) -> None:
    """FHIR allows one value[x] an answer: a 'yes' coding beside valueBoolean false dropped an emergency
    (scored ok, pt_recommended). It is the record's 'answered twice' error row."""
    doc = _bundle()
    res = copy.deepcopy(doc["entry"][0]["resource"])  # type: ignore[index]

    def put(items: list[dict[str, object]]) -> bool:
        for item in items:
            if item.get("linkId") == "night_pain":
                item["answer"] = [answer]
                return True
            if put(item.get("item", [])):  # type: ignore[arg-type]
                return True
        return False

    assert put(res["item"])
    path = tmp_path / "qr.json"
    path.write_text(json.dumps(res), encoding="utf-8")
    code, rows, _ = _batch(path)
    assert code == 1 and len(rows) == 1
    assert rows[0]["status"] == "error" and rows[0]["error"] == MESSAGE


def test_a_json_record_with_a_question_and_its_alias_keeps_its_id(tmp_path: Path) -> None:
    """Two keys answering one question (its id and its label): the record's error row names the keys (not
    'columns' and a mapping file, which a JSON record has not) and keeps the record's id."""
    data = dict(_answers(), id="P-7")
    twice = dict(data, **{"Night pain": "yes"})
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(data) + "\n" + json.dumps(twice) + "\n", encoding="utf-8")
    code, rows, _ = _batch(path)
    assert code == 1 and [r["status"] for r in rows] == ["ok", "error"]
    assert rows[1]["id"] == "P-7"
    assert rows[1]["error"] == (
        "'night_pain' is answered twice: the keys 'night_pain' and 'Night pain' both answer 'night_pain'; keep one answer"
    )
