"""Every platform layout, read without a mapping file, gives the same results as the core for the same people."""

from __future__ import annotations

import pytest

from tests.batch_helpers import BATCH, expected, fixtures, invoke, rows

LAYOUTS = [
    ("plain_ids.csv", [], "plain"),
    ("text_headers_semicolon.csv", ["--decimal-comma", "--id-column", "Patient"], "plain"),
    ("redcap_raw.csv", [], "redcap"),
    ("redcap_labels.csv", [], "redcap"),
    ("redcap_label_headers.csv", [], "redcap"),
    ("redcap_api.json", [], "redcap"),
    ("qualtrics.csv", [], "qualtrics"),
    ("qualtrics_utf16.tsv", [], "qualtrics"),
    ("google_forms.csv", [], "google-forms"),
    ("surveymonkey.csv", [], "surveymonkey"),
    ("fhir_bundle.json", [], "fhir"),
    ("fhir_responses.jsonl", [], "fhir"),
]


@pytest.mark.parametrize(("name", "extra", "preset"), LAYOUTS, ids=[n for n, _, _ in LAYOUTS])
def test_layout_matches_core(name: str, extra: list[str], preset: str, ruleset) -> None:  # type: ignore[no-untyped-def]
    result = invoke(str(BATCH / name), *extra)
    assert result.exit_code == 1, result.output  # person E has an out-of-range answer
    got = rows(result.stdout)
    want = expected(ruleset)
    people = list(fixtures.PEOPLE)
    assert [int(r["row"]) for r in got] == list(range(1, len(people) + 1))
    for pid, row in zip(people, got, strict=True):
        assert row["status"] == want[pid]["status"], (pid, row)
        assert row["level"] == want[pid]["level"], (pid, row)
        assert row["urgency"] == want[pid]["urgency"], (pid, row)
        if row["status"] != "error":
            assert row["score"] == want[pid]["score"], (pid, row)
    # the people's key facts, independently of the core
    assert [r["status"] for r in got] == ["ok", "ok", "ok", "incomplete", "error", "incomplete"]
    assert [r["level"] for r in got] == [
        "pt_recommended",
        "emergency",
        "pt_consider",
        "see_doctor",
        "",
        "see_doctor",
    ]
    assert got[1]["red_flags"] == "cauda_equina_saddle" and got[1]["urgency"] == "now"
    assert got[3]["unanswered_red_flags"] == "constant_night_pain"  # no answer (each platform's missing code)
    assert "pain_intensity" in got[4]["error"] and "'11'" in got[4]["error"] and "0 to 10" in got[4]["error"]
    # 'not sure' in each platform's words (unsure, Not sure, Don't know, I don't know, a FHIR Coding)
    assert got[5]["unanswered_red_flags"] == "cancer_with_spine_pain" and not got[5]["error"]
    if preset != "plain":
        assert f"as a {preset} export (detected" in result.stderr


def test_explicit_preset_matches_detection() -> None:
    auto = invoke(str(BATCH / "qualtrics.csv"))
    forced = invoke(str(BATCH / "qualtrics.csv"), "--preset", "qualtrics")
    assert auto.stdout == forced.stdout
    assert "detected" not in forced.stderr


def test_ids_come_from_each_platform() -> None:
    assert rows(invoke(str(BATCH / "qualtrics.csv")).stdout)[0]["id"] == "R_1a2B3c4D5e6F7g1"
    assert rows(invoke(str(BATCH / "surveymonkey.csv")).stdout)[0]["id"] == "11400000001"
    assert rows(invoke(str(BATCH / "redcap_raw.csv")).stdout)[0]["id"] == "1/baseline_arm_1"
    assert rows(invoke(str(BATCH / "fhir_bundle.json")).stdout)[2]["id"] == "qr-C"


def test_multi_select_labels_with_commas_are_matched(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Person A chose "Lower back" and "A tendon (for example elbow, heel or knee)": comma-joined by Qualtrics
    # and Google Forms; an unknown label would be an error, so 'ok' proves the known-label match.
    for name in ("qualtrics.csv", "google_forms.csv"):
        assert rows(invoke(str(BATCH / name)).stdout)[0]["status"] == "ok"


def test_xlsx_ms_forms_layout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    texts = fixtures.TEXT
    ws.append(["ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
               *[texts[q] for q in fixtures.ORDER]])  # fmt: skip
    for i, p in enumerate(fixtures.PEOPLE.values(), 1):
        cells: list[object] = [i, "3/5/24 9:12:03", "3/5/24 9:15:41", "anonymous", None, None]
        for q in fixtures.ORDER:
            v = p[q]
            if q == "pain_areas":
                cells.append("".join(fixtures.LABEL[a] + ";" for a in v) or None)  # trailing ';'
            elif q == "pain_trend":
                cells.append(fixtures.TREND[v])
            elif v is None or v == fixtures.SKIPPED:
                cells.append(None)
            elif v == fixtures.UNSURE:
                cells.append("Unsure")
            elif isinstance(v, bool):
                cells.append("Yes" if v else "No")
            else:
                cells.append(v)  # real numbers in the workbook
        ws.append(cells)
    path = tmp_path / "forms.xlsx"
    wb.save(path)
    result = invoke(str(path))
    assert result.exit_code == 1, result.output
    got = rows(result.stdout)
    assert [r["status"] for r in got] == ["ok", "ok", "ok", "incomplete", "error", "incomplete"]
    assert [r["level"] for r in got] == [
        "pt_recommended",
        "emergency",
        "pt_consider",
        "see_doctor",
        "",
        "see_doctor",
    ]
    assert got[0]["id"] == "1"
    assert "ms-forms" in result.stderr
