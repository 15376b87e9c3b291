"""Write the batch fixtures: one per platform layout (see docs/batch.md and survey-exports notes).

Run from the repository root: ``python tests/data/batch/make_fixtures.py``. The files are committed; this
script documents how each was built (exact bytes: BOMs, CRLF, UTF-16) and rebuilds them.

Every layout carries the same people, so tests can check each platform gives the same results:
  A  24 months, lower back + tendon, 6/10, no warning signs, activity 7, tight, flare-ups   -> pt_recommended 4
  B  2 months, neck, 3/10, saddle numbness YES, activity 2                                  -> emergency
  C  1.5 months, elsewhere, 2/10, no warning signs, activity 1, fear of movement            -> pt_consider 1
  D  12 months, 5/10, night pain NOT ANSWERED (missing code), activity 5, tight             -> incomplete
  E  pain 11/10                                                                             -> error
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

SAFETY = [
    "bladder_bowel_change",
    "saddle_numbness",
    "progressive_weakness",
    "stroke_signs",
    "self_harm_thoughts",
    "fever_or_unwell",
    "cancer_history",
    "unexplained_weight_loss",
    "major_trauma",
    "night_pain",
]
TEXT = {
    "pain_duration_months": "How many months have you had this pain?",
    "pain_areas": "Where is the pain? Choose all that apply.",
    "pain_intensity": "Over the past week, how strong has the pain been on average?",
    "bladder_bowel_change": "Since the pain started, have you had new trouble passing urine, or lost control of your bladder or bowels?",
    "saddle_numbness": "Do you have numbness or tingling around your genitals, bottom or inner thighs?",
    "progressive_weakness": "Is an arm or a leg getting weaker, or do you have new trouble walking?",
    "stroke_signs": "Along with the pain, have you had dizziness, double vision, slurred speech, trouble swallowing or sudden falls?",
    "self_harm_thoughts": "In the past few weeks, have you had thoughts that you would be better off dead, or of hurting yourself?",
    "fever_or_unwell": "Do you have a fever, chills, or feel very unwell along with the pain?",
    "cancer_history": "Have you ever been treated for cancer?",
    "unexplained_weight_loss": "Have you lost weight recently without trying?",
    "major_trauma": "Did the pain start after a serious fall, accident or injury?",
    "night_pain": "Do you have constant pain at night that does not ease when you rest or change position?",
    "activity_limitation": "How much does the pain stop you from moving or doing your usual activities?",
    "tightness_trigger_points": "Do you often have tight muscles or tender knots (trigger points) that do not go away?",
    "recurrent_flare_ups": "Does the pain keep flaring up again, even when you rest or stretch?",
    "fear_of_movement": "Do you avoid some movements or activities because you are afraid they will cause pain or harm?",
}
ORDER = list(TEXT)
LABEL = {
    "low_back": "Lower back",
    "neck_shoulder": "Neck or shoulder",
    "head_jaw": "Headaches or jaw (TMJ)",
    "tendon": "A tendon (for example elbow, heel or knee)",
    "post_surgical": "Stiffness or pain after an operation",
    "sports_overuse": "A sports or overuse injury",
    "widespread": "Pain in many places at once",
    "other": "Somewhere else",
}


def person(duration, areas, pain, yes=(), blank=(), activity=0, tight=False, flare=False, fear=False):
    d = {"pain_duration_months": duration, "pain_areas": list(areas), "pain_intensity": pain}
    for s in SAFETY:
        d[s] = None if s in blank else (s in yes)
    d.update(activity_limitation=activity, tightness_trigger_points=tight, recurrent_flare_ups=flare,
             fear_of_movement=fear)  # fmt: skip
    return d


PEOPLE = {
    "A": person(24, ["low_back", "tendon"], 6, activity=7, tight=True, flare=True),
    "B": person(2, ["neck_shoulder"], 3, yes=["saddle_numbness"], activity=2),
    "C": person(1.5, ["other"], 2, activity=1, fear=True),
    "D": person(12, [], 5, blank=["night_pain"], activity=5, tight=True),
    "E": person(6, ["low_back"], 11, activity=3),
}


def write_csv(name, rows, *, delimiter=",", newline="\n", encoding="utf-8", bom=False):
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
    data = buf.getvalue().encode(encoding)
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    (HERE / name).write_bytes(data)


def yn(v, yes="yes", no="no", missing=""):
    return missing if v is None else (yes if v else no)


def num(v, comma=False):
    text = f"{v:g}"
    return text.replace(".", ",") if comma else text


def plain_ids():
    rows = [["id", *ORDER]]
    for pid, p in PEOPLE.items():
        cells = []
        for q in ORDER:
            v = p[q]
            if q == "pain_areas":
                cells.append(",".join(v))
            elif isinstance(v, bool) or v is None:
                cells.append(yn(v))
            else:
                cells.append(num(v))
        rows.append([pid, *cells])
    write_csv("plain_ids.csv", rows)


def text_headers_semicolon():
    """Question texts as headers, ';' delimiter, CRLF, UTF-8 BOM, decimal comma, labels joined by ';'."""
    rows = [["Patient", *(TEXT[q] for q in ORDER)]]
    for pid, p in PEOPLE.items():
        cells = []
        for q in ORDER:
            v = p[q]
            if q == "pain_areas":
                cells.append(";".join(LABEL[a] for a in v))
            elif isinstance(v, bool) or v is None:
                cells.append(yn(v, "Yes", "No"))
            else:
                cells.append(num(v, comma=True))
        rows.append([pid, *cells])
    write_csv("text_headers_semicolon.csv", rows, delimiter=";", newline="\r\n", bom=True)


def redcap_raw():
    """REDCap raw export: BOM, record_id, events, checkbox columns ___code with 0/1, _complete, UNK code."""
    head = ["record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
            "pt_screen_timestamp", "pain_duration_months"]  # fmt: skip
    head += [f"pain_areas___{c}" for c in LABEL]
    head += [q for q in ORDER if q not in ("pain_duration_months", "pain_areas")]
    head += ["pt_screen_complete"]
    rows = [head]
    for i, (_pid, p) in enumerate(PEOPLE.items(), 1):
        r = [str(i), "baseline_arm_1", "", "", "2024-03-05 15:52:43" if i != 4 else "[not completed]",
             num(p["pain_duration_months"])]  # fmt: skip
        r += ["1" if c in p["pain_areas"] else "0" for c in LABEL]
        for q in ORDER[2:]:
            v = p[q]
            r.append(yn(v, "1", "0", "UNK") if isinstance(v, bool) or v is None else num(v))
        r.append("2" if i != 4 else "0")
        rows.append(r)
    write_csv("redcap_raw.csv", rows, bom=True)


def redcap_labels():
    """REDCap labels export: Checked/Unchecked checkboxes, Yes/No, Complete/Incomplete, CRLF."""
    head = ["record_id", "pain_duration_months", *[f"pain_areas___{c}" for c in LABEL]]
    head += [*ORDER[2:], "pt_screen_complete"]
    rows = [head]
    for i, (_pid, p) in enumerate(PEOPLE.items(), 1):
        r = [str(i), num(p["pain_duration_months"])]
        r += ["Checked" if c in p["pain_areas"] else "Unchecked" for c in LABEL]
        for q in ORDER[2:]:
            v = p[q]
            r.append(yn(v, "Yes", "No") if isinstance(v, bool) or v is None else num(v))
        r.append("Complete")
        rows.append(r)
    write_csv("redcap_labels.csv", rows, newline="\r\n")


def redcap_label_headers():
    """REDCap web "CSV (labels)" export: field labels as headers (checkboxes 'Label (choice=Option)'), event
    labels, 'Complete?' per instrument, Checked/Unchecked, BOM, CRLF."""
    head = ["Record ID", "Event Name", "Repeat Instrument", "Repeat Instance", "Survey Timestamp",
            TEXT["pain_duration_months"], *[f"{TEXT['pain_areas']} (choice={LABEL[c]})" for c in LABEL],
            *[TEXT[q] for q in ORDER[2:]], "Complete?"]  # fmt: skip
    rows = [head]
    for i, (_pid, p) in enumerate(PEOPLE.items(), 1):
        r = [str(i), "Baseline (Arm 1: Arm 1)", "", "", "2024-03-05 15:52:43", num(p["pain_duration_months"])]
        r += ["Checked" if c in p["pain_areas"] else "Unchecked" for c in LABEL]
        for q in ORDER[2:]:
            v = p[q]
            r.append(yn(v, "Yes", "No") if isinstance(v, bool) or v is None else num(v))
        r.append("Complete")
        rows.append(r)
    write_csv("redcap_label_headers.csv", rows, newline="\r\n", bom=True)


def redcap_api_json():
    """REDCap API JSON (type=flat): every value a string, empty means ""."""
    out = []
    for i, (_pid, p) in enumerate(PEOPLE.items(), 1):
        rec = {
            "record_id": str(i),
            "redcap_event_name": "event_1_arm_1",
            "pain_duration_months": num(p["pain_duration_months"]),
        }
        for c in LABEL:
            rec[f"pain_areas___{c}"] = "1" if c in p["pain_areas"] else "0"
        for q in ORDER[2:]:
            v = p[q]
            rec[q] = yn(v, "1", "0", "") if isinstance(v, bool) or v is None else num(v)
        rec["pt_screen_complete"] = "2"
        out.append(rec)
    (HERE / "redcap_api.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


QUALTRICS_META = ["StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished",
                  "RecordedDate", "ResponseId", "DistributionChannel", "UserLanguage"]  # fmt: skip
QUALTRICS_META2 = ["Start Date", "End Date", "Response Type", "Progress", "Duration (in seconds)", "Finished",
                   "Recorded Date", "Response ID", "Distribution Channel", "User Language"]  # fmt: skip
QUALTRICS_IMPORT = ['{"ImportId":"startDate","timeZone":"Europe/Berlin"}', '{"ImportId":"endDate","timeZone":"Europe/Berlin"}',
                    '{"ImportId":"status"}', '{"ImportId":"progress"}', '{"ImportId":"duration"}', '{"ImportId":"finished"}',
                    '{"ImportId":"recordedDate","timeZone":"Europe/Berlin"}', '{"ImportId":"_recordId"}',
                    '{"ImportId":"distributionChannel"}', '{"ImportId":"userLanguage"}']  # fmt: skip


def qualtrics_rows():
    """Three header rows; tags Q1..Q17; row 2 question text (multi-select with ' - Selected Choice');
    choice text mode: labels comma-joined (one label holds commas); -99 for seen but unanswered."""
    tags = [f"Q{i}" for i in range(1, len(ORDER) + 1)]
    texts = [TEXT[q] + (" - Selected Choice" if q == "pain_areas" else "") for q in ORDER]
    rows = [QUALTRICS_META + tags + [""], QUALTRICS_META2 + texts + [""],
            QUALTRICS_IMPORT + [json.dumps({"ImportId": f"QID{i}"}) for i in range(1, len(ORDER) + 1)] + [""]]  # fmt: skip
    for i, (_pid, p) in enumerate(PEOPLE.items(), 1):
        r = ["2024-03-05 09:12:03", "2024-03-05 09:15:41", "0", "100", "218", "1", "2024-03-05 09:15:42",
             f"R_1a2B3c4D5e6F7g{i}", "anonymous", "EN"]  # fmt: skip
        for q in ORDER:
            v = p[q]
            if q == "pain_areas":
                r.append(",".join(LABEL[a] for a in v))
            elif isinstance(v, bool) or v is None:
                r.append(yn(v, "Yes", "No", "-99"))
            else:
                r.append(num(v))
        rows.append(r + [""])
    return rows


def qualtrics():
    write_csv("qualtrics.csv", qualtrics_rows())
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\r\n").writerows(qualtrics_rows())
    (HERE / "qualtrics_utf16.tsv").write_bytes(buf.getvalue().encode("utf-16"))  # BOM + UTF-16LE


def google_forms():
    """Timestamp, Email Address, question titles; checkboxes joined with ', '."""
    rows = [["Timestamp", "Email Address", *(TEXT[q] for q in ORDER)]]
    for i, (_pid, p) in enumerate(PEOPLE.items(), 1):
        r = [f"3/{i}/2024 9:12:03", f"p{i}@example.org"]
        for q in ORDER:
            v = p[q]
            if q == "pain_areas":
                r.append(", ".join(LABEL[a] for a in v))
            elif isinstance(v, bool) or v is None:
                r.append(yn(v, "Yes", "No"))
            else:
                r.append(num(v))
        rows.append(r)
    write_csv("google_forms.csv", rows)


def surveymonkey():
    """Two header rows: question text once (multi-line, quoted) then option labels under a multi-select."""
    top = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
           "First Name", "Last Name", "Custom Data 1"]  # fmt: skip
    sub = [""] * len(top)
    for q in ORDER:
        if q == "pain_areas":
            labels = list(LABEL.values())
            top += ["Where is the pain?\nChoose all that apply."] + [""] * (len(labels) - 1)
            sub += labels
        else:
            top.append(TEXT[q])
            sub.append("Response")
    rows = [top, sub]
    for i, (_pid, p) in enumerate(PEOPLE.items(), 1):
        r = [f"1140000000{i}", "431234567", "03/05/2024 09:12:03 AM", "03/05/2024 09:15:41 AM", "203.0.113.7",
             "", "", "", ""]  # fmt: skip
        for q in ORDER:
            v = p[q]
            if q == "pain_areas":
                r += [label if c in v else "" for c, label in LABEL.items()]
            elif isinstance(v, bool) or v is None:
                r.append(yn(v, "Yes", "No"))
            else:
                r.append(num(v))
        rows.append(r)
    write_csv("surveymonkey.csv", rows, newline="\r\n")


def fhir():
    """A Bundle of QuestionnaireResponses: linkId = question id, nested groups, valueCoding multi-select."""
    entries = []
    for pid, p in PEOPLE.items():
        safety = [{"linkId": q, "answer": [{"valueBoolean": p[q]}]} for q in SAFETY if p[q] is not None]
        items = [
            {"linkId": "pain_duration_months", "answer": [{"valueDecimal": p["pain_duration_months"]}]},
            {"linkId": "pain_areas", "answer": [{"valueCoding": {"system": "urn:stm", "code": a, "display": LABEL[a]}} for a in p["pain_areas"]]},
            {"linkId": "pain_intensity", "answer": [{"valueInteger": p["pain_intensity"]}]},
            {"linkId": "safety", "text": "Safety check", "item": safety},
            {"linkId": "daily", "item": [
                {"linkId": "activity_limitation", "answer": [{"valueInteger": p["activity_limitation"]}]},
                {"linkId": "tightness_trigger_points", "answer": [{"valueBoolean": p["tightness_trigger_points"]}]},
                {"linkId": "recurrent_flare_ups", "answer": [{"valueBoolean": p["recurrent_flare_ups"]}]},
                {"linkId": "fear_of_movement", "answer": [{"valueBoolean": p["fear_of_movement"]}]},
            ]},
        ]  # fmt: skip
        if not p["pain_areas"]:
            items.pop(1)
        entries.append({"resource": {"resourceType": "QuestionnaireResponse", "id": f"qr-{pid}",
                                     "questionnaire": "http://example.org/Questionnaire/pt-screen|1.0.0",
                                     "status": "completed", "authored": "2024-03-05T09:15:42+01:00",
                                     "item": items}})  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    (HERE / "fhir_bundle.json").write_text(json.dumps(bundle, indent=1) + "\n", encoding="utf-8")
    with (HERE / "fhir_responses.jsonl").open("w", encoding="utf-8") as f:
        for e in entries:
            f.write(json.dumps(e["resource"]) + "\n")


def bad_files():
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "header_only.csv").write_bytes(b"id,pain_intensity,night_pain\r\n")
    (HERE / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (HERE / "latin1.csv").write_bytes("id,pain_intensity\nJos\xe9,3\n".encode("latin-1"))
    (HERE / "duplicate_columns.csv").write_text("id,pain_intensity,Pain_Intensity\n1,3,4\n", encoding="utf-8")
    (HERE / "no_questions.csv").write_text("id,colour,size\n1,red,9\n", encoding="utf-8")
    (HERE / "ragged.csv").write_text(
        "id,pain_intensity,night_pain\n1,3,no\n2,4\n3,5,no,extra\n4,6,no,\n", encoding="utf-8"
    )
    (HERE / "bad_values.csv").write_text(
        "id,pain_duration_months,pain_areas,pain_intensity,night_pain\n"
        '1,abc,low_back,3,no\n2,12,knees,3,no\n3,12,low_back,11,no\n4,12,low_back,3,maybe\n5,"3,5",low_back,3,no\n',
        encoding="utf-8",
    )
    (HERE / "injection.csv").write_text(
        'id,pain_intensity,night_pain\n=HYPERLINK("http://x"),3,no\n+1,=cmd|calc,no\n@SUM(A1),4,no\n-2,5,no\n'
        '"\tx",5,no\n',
        encoding="utf-8",
    )


if __name__ == "__main__":
    plain_ids()
    text_headers_semicolon()
    redcap_raw()
    redcap_labels()
    redcap_label_headers()
    redcap_api_json()
    qualtrics()
    google_forms()
    surveymonkey()
    fhir()
    bad_files()
