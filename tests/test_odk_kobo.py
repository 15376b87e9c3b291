"""ODK Central and KoboToolbox exports: the layouts of each project's own tests (tests/data/batch/odk_kobo,
see its README) and a round trip from stm-screen's XLSForm export, scored with no mapping file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.core.ruleset import UNSURE, Question, Ruleset
from stm_screen.rules.loader import load_ruleset

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "batch" / "odk_kobo"


def batch(*args: str) -> tuple[list[dict[str, Any]], str]:
    result = runner.invoke(app, ["batch", *args, "-f", "jsonl"])
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.stdout.splitlines()], result.stderr


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("odk_briefcase_select_multiple", [("one", ["has_a", "has_z"]), ("two", ["has_m"])]),
        ("odk_split_select_multiples", [("one", ["has_a", "has_z"]), ("two", [])]),
    ],
)
def test_odk_central_exports_from_its_own_tests(name: str, expected: list[tuple[str, list[str]]]) -> None:
    rows, err = batch(str(DATA / f"{name}.csv"), "-r", str(DATA / "odk_demo.yaml"))
    assert "reading as an odk-central export (detected" in err
    assert "match no question" not in err  # SubmissionDate, KEY, FormVersion, ... are ODK's own columns
    assert [(r["id"], r["criteria_met"]) for r in rows] == expected
    assert all(r["status"] == "ok" for r in rows)


@pytest.mark.parametrize("name", ["kobo_default_options", "kobo_hierarchy_in_labels"])
def test_kobo_exports_from_its_own_tests(name: str) -> None:
    rows, err = batch(str(DATA / f"{name}.csv"), "-r", str(DATA / "kobo_demo.yaml"))
    assert "reading as a kobo export (detected" in err
    # the free-text question has no counterpart in the rules: said once, by its header
    assert "1 column(s) match no question" in err and "How do you feel" in err
    assert [r["id"] for r in rows] == [
        "48583952-1892-4931-8d9c-869e7b49bafb",
        "317ba7b7-bea4-4a8c-8620-a483c3079c4b",
        "3f15cdfe-3eab-4678-8352-7806febf158d",
    ]  # the HXL row is not a record; _uuid is the id
    assert [r["criteria_met"] for r in rows] == [["radial_c", "many"], ["radial_c"], ["descends"]]


def test_kobo_xml_names_and_group_paths(tmp_path: Path) -> None:
    """ "XML values and headers": group/question headers, choice names as values."""
    path = tmp_path / "kobo_xml.csv"
    head = [
        "start",
        "end",
        "external_characteristics/What_kind_of_symmetry_do_you_have",
        "external_characteristics/What_kind_of_symmetry_do_you_have/spherical",
        "external_characteristics/What_kind_of_symmetry_do_you_have/radial",
        "external_characteristics/What_kind_of_symmetry_do_you_have/bilateral",
        "external_characteristics/How_many_segments_does_your_body_have",
        "Do_you_have_body_flu_intracellular_space",
        "Do_you_descend_from_unicellular_organism",
        "_id",
        "_uuid",
        "_submission_time",
        "_submitted_by",
        "__version__",
        "_index",
    ]
    rows = [
        [
            "",
            "",
            "radial bilateral",
            "0",
            "1",
            "1",
            "7",
            "no___unsure",
            "yes",
            "1",
            "u-1",
            "t",
            "None",
            "v1",
            "1",
        ],
        ["", "", "", "", "", "", "", "", "", "2", "u-2", "t", "None", "v1", "2"],
    ]
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows([head, *rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    out, err = batch(str(path), "-r", str(DATA / "kobo_demo.yaml"))
    assert "match no question" not in err
    assert out[0]["criteria_met"] == ["radial_c", "many", "descends"]
    assert out[1]["criteria_met"] == [] and out[1]["id"] == "u-2"


# --- the round trip: a form built from `form export xlsform`, its data exported by ODK Central and Kobo ---


def _xlsform_groups(tmp_path: Path) -> dict[str, str]:
    """Question -> its group in the exported XLSForm (read back with pyxform, as ODK and Kobo read it)."""
    pytest.importorskip("pyxform")
    from pyxform import xls2json

    book = tmp_path / "form.xlsx"
    result = runner.invoke(app, ["form", "export", "xlsform", "-o", str(book)])
    assert result.exit_code == 0, result.output
    form = xls2json.parse_file_to_json(str(book))
    groups: dict[str, str] = {}
    for child in form["children"]:
        for item in child.get("children", []) if child.get("type") == "group" else [child]:
            groups[item["name"]] = child["name"] if child.get("type") == "group" else ""
    return groups


def _odk_value(q: Question, value: Any) -> str:
    if value is None:
        return ""
    if q.type == "boolean":
        return UNSURE if value == UNSURE else ("yes" if value else "no")
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def _label_value(q: Question, value: Any) -> str:
    if value is None:
        return ""
    if value == UNSURE:
        return "Not sure"
    if q.type == "boolean":
        return "Yes" if value else "No"
    if q.type == "choice":
        return str(q.choice(value).label)
    if isinstance(value, list):
        return " ".join(str(q.choice(v).label) for v in value)
    return str(value)


def _examples(ruleset: Ruleset) -> list[dict[str, Any]]:
    from stm_screen.core.answers import check_answers, plain

    out = []
    for e in ruleset.examples:
        values = check_answers(ruleset, dict(e.answers), "example")
        out.append({k: plain(v) for k, v in values.items()})
    return out


def _expected(ruleset: Ruleset, answers: list[dict[str, Any]], tmp_path: Path) -> list[tuple[str, str]]:
    path = tmp_path / "plain.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in answers), encoding="utf-8")
    rows, _ = batch(str(path), "--allow-missing")
    return [(r["status"], r["level"]) for r in rows]


def test_round_trip_odk_central_and_kobo_from_our_xlsform(tmp_path: Path) -> None:
    ruleset = load_ruleset()
    groups = _xlsform_groups(tmp_path)
    answers = _examples(ruleset)
    expected = _expected(ruleset, answers, tmp_path)
    assert len({level for _, level in expected}) >= 4

    # ODK Central, splitSelectMultiples=true: group-question headers, names, summary + q/choice columns
    head = ["SubmissionDate", "meta-instanceID"]
    for q in ruleset.questions:
        name = f"{groups[q.id]}-{q.id}" if groups[q.id] else q.id
        head.append(name)
        if q.type == "multi_choice":
            head += [f"{name}/{c}" for c in q.choice_ids]
    head += ["KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status"]
    head += ["ReviewState", "DeviceID", "Edits", "FormVersion"]
    rows = []
    for i, a in enumerate(answers):
        row = ["2026-12-01T10:00:00.000Z", f"uuid:{i}"]
        for q in ruleset.questions:
            row.append(_odk_value(q, a.get(q.id)))
            if q.type == "multi_choice":
                row += [("1" if c in a.get(q.id, []) else "0") if q.id in a else "" for c in q.choice_ids]
        row += [f"uuid:{i}", "5", "Alice", "0", "0", "", "", "", "0", ruleset.version]
        rows.append(row)
    odk = tmp_path / "odk.csv"
    with odk.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([head, *rows])
    got, err = batch(str(odk))
    assert "odk-central" in err and "match no question" not in err, err
    assert [(r["status"], r["level"]) for r in got] == expected
    assert [r["id"] for r in got] == [f"uuid:{i}" for i in range(len(answers))]

    # KoboToolbox, default options: labels as headers and values, ';', every field quoted, CRLF
    head = ["start", "end"]
    for q in ruleset.questions:
        head.append(str(q.text))
        if q.type == "multi_choice":
            head += [f"{q.text}/{c.label}" for c in q.choices]
    head += ["_id", "_notes", "_status", "_submission_time", "_submitted_by", "_tags", "_uuid"]
    head += ["_validation_status", "_index"]
    rows = []
    for i, a in enumerate(answers):
        row = ["", ""]
        for q in ruleset.questions:
            row.append(_label_value(q, a.get(q.id)))
            if q.type == "multi_choice":
                row += [("1" if c in a.get(q.id, []) else "0") if q.id in a else "" for c in q.choice_ids]
        row += [str(i), "", "submitted_via_web", "2026-12-01T10:00:00", "None", "", f"k-{i}", "", str(i + 1)]
        rows.append(row)
    kobo = tmp_path / "kobo.csv"
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows([head, *rows])
    kobo.write_bytes(buf.getvalue().encode("utf-8"))
    got, err = batch(str(kobo))
    assert "kobo" in err and "match no question" not in err, err
    assert [(r["status"], r["level"]) for r in got] == expected


def test_the_readmes_example_exports_are_what_make_exports_writes() -> None:
    """docs/examples/*_export.* are built from the exported forms: regenerate them when the forms change
    (python docs/examples/make_exports.py)."""
    import importlib.util

    root = Path(__file__).parent.parent / "docs" / "examples"
    spec = importlib.util.spec_from_file_location("make_exports", root / "make_exports.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    answers = module._answers()
    assert module.redcap(answers) == (root / "redcap_export.csv").read_text(encoding="utf-8")
    assert module.fhir(answers) == (root / "fhir_responses.json").read_text(encoding="utf-8")
    assert module.odk(answers) == (root / "odk_central_export.csv").read_text(encoding="utf-8")
    assert module.kobo(answers).encode("utf-8") == (root / "kobo_export.csv").read_bytes()
