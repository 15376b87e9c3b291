"""Write the example exports the README's interop section scores: what REDCap, a FHIR form filler
(LHC-Forms), ODK Central and KoboToolbox give back for a form built from ``stm-screen form export``.

Each file holds the same four screenings (answers of the bundled ruleset's own examples) in the layout of
that tool's export, built from the exported form itself (the data dictionary's fields and codes, the
Questionnaire's items, the XLSForm's groups and choice names), so the files change when the forms do:

    python docs/examples/make_exports.py

writes docs/examples/{redcap_export.csv, fhir_responses.json, odk_central_export.csv, kobo_export.csv}.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXAMPLES = (  # names of examples in rules/pt-screen.yaml
    "activity limitation 7 is recommended on its own",
    "weakness getting worse over hours or days is an emergency",
    "a small fall with thin bones needs a doctor",
    "two criteria is still consider",
)


def _tool(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "stm_screen", *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def _answers() -> list[dict[str, Any]]:
    from stm_screen.core.answers import check_answers, plain
    from stm_screen.core.engine import Scorer
    from stm_screen.rules.loader import load_ruleset

    ruleset = load_ruleset()
    scorer = Scorer(ruleset)
    by_name = {e.name: e for e in ruleset.examples}
    out = []
    for name in EXAMPLES:
        example = by_name[name]
        values = check_answers(ruleset, dict(example.answers), "example")
        skipped = scorer.visible(values)[1]  # a form shows only what the skip rule asks
        out.append({k: plain(v) for k, v in values.items() if k not in skipped})
    return out


def redcap(answers: list[dict[str, Any]]) -> str:
    """A longitudinal raw export: the screening event, and a follow-up event where the form was not used."""
    from stm_screen.interop.conditions import checkbox_code
    from stm_screen.rules.loader import load_ruleset

    ruleset = load_ruleset()
    fields = list(csv.DictReader(io.StringIO(_tool("form", "export", "redcap"))))
    header = ["record_id", "redcap_event_name"]
    for f in fields[1:]:
        name = f["Variable / Field Name"]
        if f["Field Type"] == "checkbox":
            codes = [c.split(",", 1)[0].strip() for c in f["Choices, Calculations, OR Slider Labels"].split("|")]
            header += [f"{name}___{code}" for code in codes]
        else:
            header.append(name)
    header.append("pt_screen_complete")
    rows = []
    for n, a in enumerate(answers, 1):
        row = {"record_id": str(100 + n), "redcap_event_name": "screening_arm_1", "pt_screen_complete": "2"}
        for q in ruleset.questions:
            value = a.get(q.id)
            if q.type == "multi_choice":
                for c in q.choice_ids:
                    row[f"{q.id}___{checkbox_code(q, c)}"] = "1" if value and c in value else "0"
            elif value is None:
                row[q.id] = ""
            elif isinstance(value, bool):
                row[q.id] = "1" if value else "0"
            else:
                row[q.id] = str(value)
        rows.append(row)
    follow = dict.fromkeys(header, "") | {"record_id": "101", "redcap_event_name": "followup_arm_1"}
    follow |= {h: "0" for h in header if "___" in h or h.endswith("_complete")}
    rows.append(follow)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def fhir(answers: list[dict[str, Any]]) -> str:
    from stm_screen.interop.fhir import questionnaire_response
    from stm_screen.rules.loader import load_ruleset

    ruleset = load_ruleset()
    entries = []
    for n, a in enumerate(answers, 1):
        qr = questionnaire_response(
            ruleset_id=ruleset.id, ruleset_version=ruleset.version, answers=a, ruleset=ruleset
        )
        qr = {
            "resourceType": "QuestionnaireResponse",
            "identifier": {"system": "https://forms.example.org/responses", "value": f"r-{n}"},
            **{k: v for k, v in qr.items() if k != "resourceType"},
            "subject": {"reference": f"Patient/{200 + n}"},
            "authored": f"2026-12-0{n}T09:30:00Z",
        }
        entries.append({"resource": qr})
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}, indent=1) + "\n"


def _groups() -> dict[str, str]:
    from stm_screen.interop.xlsform import sheets
    from stm_screen.rules.loader import load_ruleset

    group = ""
    out: dict[str, str] = {}
    for row in sheets(load_ruleset())["survey"][1:]:
        if row[0] == "begin_group":
            group = row[1]
        elif row[0] == "end_group":
            group = ""
        elif row[1]:
            out[row[1]] = group
    return out


def _name(q: Any, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def odk(answers: list[dict[str, Any]]) -> str:
    """ODK Central's submissions CSV (groups joined with '-', space-separated choice names)."""
    from stm_screen.rules.loader import load_ruleset

    ruleset = load_ruleset()
    groups = _groups()
    head = ["SubmissionDate", "meta-instanceID"]
    head += [f"{groups[q.id]}-{q.id}" if groups.get(q.id) else q.id for q in ruleset.questions]
    head += ["KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status"]
    head += ["ReviewState", "DeviceID", "Edits", "FormVersion"]
    rows = []
    for n, a in enumerate(answers, 1):
        key = f"uuid:0b5e{n:04d}-7c1d-4f00-9a1e-00000000000{n}"
        row = [f"2026-12-0{n}T09:30:00.000Z", key, *(_name(q, a.get(q.id)) for q in ruleset.questions)]
        row += [key, "5", "intake", "0", "0", "", "approved", "", "0", ruleset.version]
        rows.append(row)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([head, *rows])
    return buf.getvalue()


def kobo(answers: list[dict[str, Any]]) -> str:
    """KoboToolbox's default CSV: ';', every field quoted, CRLF; labels as headers and values; a summary
    column of a select_multiple and one 1/0 column per choice."""
    from stm_screen.rules.loader import load_ruleset

    ruleset = load_ruleset()
    head = ["start", "end"]
    for q in ruleset.questions:
        head.append(str(q.text))
        if q.type == "multi_choice":
            head += [f"{q.text}/{c.label}" for c in q.choices]
    head += ["_id", "_notes", "_status", "_submission_time", "_submitted_by", "_tags", "_uuid"]
    head += ["_validation_status", "_index"]
    rows = []
    for n, a in enumerate(answers, 1):
        row = ["", ""]
        for q in ruleset.questions:
            value = a.get(q.id)
            if value is None:
                row.append("")
            elif value == "unsure":
                row.append("Not sure")
            elif isinstance(value, bool):
                row.append("Yes" if value else "No")
            elif q.type == "choice":
                row.append(str(q.choice(value).label))
            elif isinstance(value, list):
                row.append(" ".join(str(q.choice(v).label) for v in value))
            else:
                row.append(str(value))
            if q.type == "multi_choice":
                row += [("1" if c in value else "0") if value is not None else "" for c in q.choice_ids]
        uuid = f"7f3c{n:04d}-1a2b-4c3d-8e9f-00000000000{n}"
        row += [str(n), "", "submitted_via_web", f"2026-12-0{n}T09:30:00", "None", "", uuid, "", str(n)]
        rows.append(row)
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows([head, *rows])
    return buf.getvalue()


def main() -> None:
    answers = _answers()
    (HERE / "redcap_export.csv").write_text(redcap(answers), encoding="utf-8")
    (HERE / "fhir_responses.json").write_text(fhir(answers), encoding="utf-8")
    (HERE / "odk_central_export.csv").write_text(odk(answers), encoding="utf-8")
    (HERE / "kobo_export.csv").write_bytes(kobo(answers).encode("utf-8"))


if __name__ == "__main__":
    main()
