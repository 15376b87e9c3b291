"""Write the batch fixtures: one per platform layout (see docs/batch.md and survey-exports notes).

Run from the repository root: ``.venv/bin/python tests/data/batch/make_fixtures.py``. The files are committed;
this script documents how each was built (exact bytes: BOMs, CRLF, UTF-16) and rebuilds them. Question texts
and choice labels come from the bundled ruleset (rules/pt-screen.yaml), so run it again when their wording
changes.

Every layout carries the same people, so tests can check each platform gives the same results (pt-screen 2.0;
questions that the form's skip logic does not ask are left blank, as the platforms leave them):
  A  40, 24 months, lower back + arm/leg, 6/10, no warning signs, activity 7, tight, flare-ups -> pt_recommended 4
  B  35, 2 months, neck, 3/10, saddle numbness YES, activity 2                               -> emergency (now)
  C  62, 1.5 months, elsewhere, 2/10, no warning signs, activity 1, fear of movement         -> pt_consider 1
  D  55, 12 months, arm/leg, 5/10, night pain NOT ANSWERED (missing code), activity 5, tight           -> incomplete, see_doctor
  E  30, 6 months, lower back, pain 11/10                                                     -> error
  F  45, 4 months, neck, cancer history NOT SURE (each platform's own label), activity 3      -> incomplete, see_doctor
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
UNSURE = "unsure"  # a 'not sure' answer (stm_screen.core.ruleset.UNSURE)

# pt-screen 2.1's safety questions, in form order
SAFETY = [
    "bladder_bowel_change",
    "saddle_numbness",
    "both_legs_symptoms",
    "progressive_weakness",
    "weakness_fast",
    "clumsy_hands_or_gait",
    "stroke_signs",
    "sudden_severe_headache",
    "jaw_scalp_headache",
    "dizziness_ongoing",
    "chest_arm_pain_exertion",
    "calf_swelling",
    "fever_or_unwell",
    "hot_swollen_joint",
    "infection_risk",
    "cancer_history",
    "unexplained_weight_loss",
    "night_pain",
    "major_trauma",
    "minor_trauma",
    "fracture_risk",
    "blood_thinners",
    "morning_stiffness",
    "bone_pain_impact",
    "self_harm_thoughts",
    "self_harm_danger",
]
DAILY = ["activity_limitation", "tightness_trigger_points", "recurrent_flare_ups", "fear_of_movement"]
# pain_duration_months and pain_areas first: tests build rows as those two, then ORDER[2:]
ORDER = ["pain_duration_months", "pain_areas", "age_years", "pregnant", "pain_trend", "pain_intensity",
         *SAFETY, *DAILY]  # fmt: skip


def _ruleset_words() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    from stm_screen.screening import load_rules

    rules = load_rules(str(HERE.parent.parent.parent / "rules" / "pt-screen.yaml"))
    text = {q: rules.by_id[q].text.default for q in ORDER}
    areas = {c.id: c.label.default for c in rules.by_id["pain_areas"].choices}
    trend = {c.id: c.label.default for c in rules.by_id["pain_trend"].choices}
    return text, areas, trend


TEXT, LABEL, TREND = _ruleset_words()


def asked(d: dict[str, object]) -> dict[str, bool]:
    """The form's skip logic (ask_if in rules/pt-screen.yaml), for the questions it hides."""
    age, dur, areas = d["age_years"], d["pain_duration_months"], set(d["pain_areas"])  # type: ignore[call-overload]
    trauma = d["minor_trauma"] or d["major_trauma"]
    return {
        "pregnant": 12 <= age <= 60,
        "weakness_fast": d["progressive_weakness"] is True,
        "jaw_scalp_headache": age >= 50,
        "dizziness_ongoing": bool(areas & {"neck_shoulder", "head_jaw", "widespread"}),
        "infection_risk": bool(areas & {"low_back", "mid_back", "neck_shoulder", "widespread"}),
        "fracture_risk": d["minor_trauma"] is True and dur <= 3,
        "blood_thinners": trauma is True and dur <= 3,
        "morning_stiffness": bool(areas & {"low_back", "mid_back"}) and dur >= 3 and age - dur / 12 < 45,
        "self_harm_danger": d["self_harm_thoughts"] is True,
    }


SKIPPED = ""  # the cell of a question the form did not ask: blank on every platform


def person(age, duration, areas, pain, trend="same", yes=(), blank=(), unsure=(), activity=0, tight=False,
           flare=False, fear=False):  # fmt: skip
    d: dict[str, object] = {"age_years": age, "pregnant": False, "pain_duration_months": duration,
                            "pain_areas": list(areas), "pain_trend": trend, "pain_intensity": pain}  # fmt: skip
    for s in SAFETY:
        d[s] = None if s in blank else UNSURE if s in unsure else (s in yes)
    d.update(activity_limitation=activity, tightness_trigger_points=tight, recurrent_flare_ups=flare,
             fear_of_movement=fear)  # fmt: skip
    for q, shown in asked(d).items():
        if not shown:
            d[q] = SKIPPED
    return d


PEOPLE = {
    "A": person(40, 24, ["low_back", "tendon"], 6, activity=7, tight=True, flare=True),
    "B": person(35, 2, ["neck_shoulder"], 3, trend="worse", yes=["saddle_numbness"], activity=2),
    "C": person(62, 1.5, ["other"], 2, activity=1, fear=True),
    "D": person(55, 12, ["tendon"], 5, blank=["night_pain"], activity=5, tight=True),
    "E": person(30, 6, ["low_back"], 11, activity=3),
    "F": person(45, 4, ["neck_shoulder"], 4, unsure=["cancer_history"], activity=3),
}


def answers_of(p: dict[str, object]) -> dict[str, object]:
    """The person's answers as stm-screen reads them: blank and skipped cells left out."""
    return {k: v for k, v in p.items() if v is not None and v != SKIPPED}


def write_csv(name, rows, *, delimiter=",", newline="\n", encoding="utf-8", bom=False):
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
    data = buf.getvalue().encode(encoding)
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    (HERE / name).write_bytes(data)


def yn(v, yes="yes", no="no", missing="", unsure="unsure"):
    """A yes/no cell: blank when not asked, the platform's missing code when not answered."""
    if v is None:
        return missing
    if v == SKIPPED:
        return ""
    if v == UNSURE:
        return unsure
    return yes if v else no


def num(v, comma=False):
    if v == SKIPPED:
        return ""
    text = f"{v:g}"
    return text.replace(".", ",") if comma else text


def cell(q, v, *, yes="yes", no="no", missing="", unsure="unsure", labels=False, join=",", comma=False):
    """One answer as a platform writes it: ids or labels, its own yes/no/not sure words, joined areas."""
    if q == "pain_areas":
        return join.join(LABEL[a] if labels else a for a in v)
    if q == "pain_trend":
        return TREND[v] if labels else v
    if isinstance(v, bool) or v is None or v in (SKIPPED, UNSURE):
        return yn(v, yes, no, missing, unsure)
    return num(v, comma)


def plain_ids():
    rows = [["id", *ORDER]]
    for pid, p in PEOPLE.items():
        rows.append([pid, *(cell(q, p[q]) for q in ORDER)])
    write_csv("plain_ids.csv", rows)


def text_headers_semicolon():
    """Question texts as headers, ';' delimiter, CRLF, UTF-8 BOM, decimal comma, labels joined by ';'."""
    rows = [["Patient", *(TEXT[q] for q in ORDER)]]
    for pid, p in PEOPLE.items():
        rows.append([pid, *(cell(q, p[q], yes="Yes", no="No", unsure="Not sure", labels=True, join=";",
                                 comma=True) for q in ORDER)])  # fmt: skip
    write_csv("text_headers_semicolon.csv", rows, delimiter=";", newline="\r\n", bom=True)


def redcap_code(q, v):
    """REDCap raw codes of the exported form: yesno 1/0; a safety question is a radio 1, 0, unsure; the
    UNK missing-data code for an answer not given; a radio choice by its id."""
    return cell(q, v, yes="1", no="0", missing="UNK")


def redcap_label(q, v):
    return cell(q, v, yes="Yes", no="No", unsure="Not sure", labels=True)


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
        r += [redcap_code(q, p[q]) for q in ORDER[2:]]
        r.append("2" if i != 4 else "0")
        rows.append(r)
    write_csv("redcap_raw.csv", rows, bom=True)


def redcap_labels():
    """REDCap labels export: Checked/Unchecked checkboxes, Yes/No/Not sure, Complete/Incomplete, CRLF."""
    head = ["record_id", "pain_duration_months", *[f"pain_areas___{c}" for c in LABEL]]
    head += [*ORDER[2:], "pt_screen_complete"]
    rows = [head]
    for i, (_pid, p) in enumerate(PEOPLE.items(), 1):
        r = [str(i), num(p["pain_duration_months"])]
        r += ["Checked" if c in p["pain_areas"] else "Unchecked" for c in LABEL]
        r += [redcap_label(q, p[q]) for q in ORDER[2:]]
        r.append("Complete")
        rows.append(r)
    write_csv("redcap_labels.csv", rows, newline="\r\n")


def redcap_through_pandas():
    """The raw export read into pandas (or R) and written back, as analysts do before scoring: a column of
    numbers with blanks becomes float, so checkboxes hold 0.0/1.0, yes/no fields 1.0/0.0 and whole
    numbers 40.0; a column holding text (a safety radio with 'unsure') keeps its codes."""
    head = ["record_id", "redcap_event_name", "pain_duration_months", *[f"pain_areas___{c}" for c in LABEL]]
    head += [*ORDER[2:], "pt_screen_complete"]
    rows = [head]
    for i, (_pid, p) in enumerate(PEOPLE.items(), 1):
        r = [str(i), "baseline_arm_1", f"{float(p['pain_duration_months'])!r}"]
        r += ["1.0" if c in p["pain_areas"] else "0.0" for c in LABEL]
        for q in ORDER[2:]:
            text = redcap_code(q, p[q])
            r.append(f"{float(text)!r}" if q not in SAFETY and text not in ("", "same", "worse", "better") else text)
        rows.append([*r, "2.0"])
    write_csv("redcap_through_pandas.csv", rows)


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
        r += [redcap_label(q, p[q]) for q in ORDER[2:]]
        r.append("Complete")
        rows.append(r)
    write_csv("redcap_label_headers.csv", rows, newline="\r\n", bom=True)


def redcap_api_labels_longitudinal():
    """REDCap API CSV of a longitudinal project with rawOrLabel=label and raw headers, as PyCap's
    ``export_records(format_type="csv", raw_or_label="label")`` docstring shows it (PyCap
    redcap/methods/records.py: ``record_id,redcap_event_name,...`` over ``1,"Event 1",,1,Yes,Unchecked,
    Checked``): event labels, Checked/Unchecked, Yes/No/Not sure. Each person's screening event, then a
    follow-up event where the screening form was not filled (every box Unchecked, the rest blank)."""
    head = ["record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
            "pain_duration_months", *[f"pain_areas___{c}" for c in LABEL], *ORDER[2:], "pt_screen_complete"]  # fmt: skip
    rows = [head]
    for i, (_pid, p) in enumerate(PEOPLE.items(), 1):
        r = [str(i), "Screening", "", "", num(p["pain_duration_months"])]
        r += ["Checked" if c in p["pain_areas"] else "Unchecked" for c in LABEL]
        r += [redcap_label(q, p[q]) for q in ORDER[2:]]
        rows.append([*r, "Complete"])
        rows.append([str(i), "Follow-up", "", "", "", *["Unchecked" for _ in LABEL], *["" for _ in ORDER[2:]],
                     "Incomplete"])  # fmt: skip
    write_csv("redcap_api_labels_longitudinal.csv", rows)


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
            rec[q] = cell(q, p[q], yes="1", no="0")
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
    """Three header rows; tags Q1..Qn; row 2 question text (multi-select with ' - Selected Choice');
    choice text mode: labels comma-joined (one label holds commas); -99 for seen but unanswered; a question
    hidden by display logic is blank; 'Don’t know' (a typographic apostrophe) for not sure."""
    tags = [f"Q{i}" for i in range(1, len(ORDER) + 1)]
    texts = [TEXT[q] + (" - Selected Choice" if q == "pain_areas" else "") for q in ORDER]
    rows = [QUALTRICS_META + tags + [""], QUALTRICS_META2 + texts + [""],
            QUALTRICS_IMPORT + [json.dumps({"ImportId": f"QID{i}"}) for i in range(1, len(ORDER) + 1)] + [""]]  # fmt: skip
    for i, (_pid, p) in enumerate(PEOPLE.items(), 1):
        r = ["2024-03-05 09:12:03", "2024-03-05 09:15:41", "0", "100", "218", "1", "2024-03-05 09:15:42",
             f"R_1a2B3c4D5e6F7g{i}", "anonymous", "EN"]  # fmt: skip
        r += [cell(q, p[q], yes="Yes", no="No", missing="-99", unsure="Don\u2019t know", labels=True)
              for q in ORDER]  # fmt: skip
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
        r += [cell(q, p[q], yes="Yes", no="No", unsure="Not sure", labels=True, join=", ") for q in ORDER]
        rows.append(r)
    write_csv("google_forms.csv", rows)


def surveymonkey():
    """Two header rows: question text once (multi-line, quoted) then option labels under a multi-select;
    'I don't know' for not sure."""
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
            else:
                r.append(cell(q, v, yes="Yes", no="No", unsure="I don't know", labels=True))
        rows.append(r)
    write_csv("surveymonkey.csv", rows, newline="\r\n")


def fhir_answer(q, v):
    """FHIR answers as the exported Questionnaire codes them: a safety question is a choice of yes, no and
    unsure (valueCoding); other yes/no questions valueBoolean; pain_trend a Coding."""
    if q in SAFETY:
        code = UNSURE if v == UNSURE else ("yes" if v else "no")
        display = {"yes": "Yes", "no": "No", UNSURE: "Not sure"}[code]
        return {"valueCoding": {"system": "urn:stm-screen:answer", "code": code, "display": display}}
    if isinstance(v, bool):
        return {"valueBoolean": v}
    if q == "pain_trend":
        return {"valueCoding": {"code": v, "display": TREND[v]}}
    if q == "pain_duration_months":
        return {"valueDecimal": v}
    return {"valueInteger": v}


def fhir():
    """A Bundle of QuestionnaireResponses: linkId = question id, nested groups, valueCoding multi-select;
    unanswered and hidden items left out."""
    entries = []
    for pid, p in PEOPLE.items():
        given = answers_of(p)

        def item(q, given=given):
            return {"linkId": q, "answer": [fhir_answer(q, given[q])]}

        about = [item(q) for q in ("age_years", "pregnant") if q in given]
        safety = [item(q) for q in SAFETY if q in given]
        items = [
            {"linkId": "about", "item": about},
            item("pain_duration_months"),
            {"linkId": "pain_areas", "answer": [{"valueCoding": {"system": "urn:stm", "code": a, "display": LABEL[a]}} for a in p["pain_areas"]]},
            item("pain_trend"),
            item("pain_intensity"),
            {"linkId": "safety", "text": "Safety check", "item": safety},
            {"linkId": "daily", "item": [item(q) for q in DAILY]},
        ]  # fmt: skip
        if not p["pain_areas"]:
            items.pop(2)
        entries.append({"resource": {"resourceType": "QuestionnaireResponse", "id": f"qr-{pid}",
                                     "questionnaire": "http://example.org/Questionnaire/pt-screen|2.1.0",
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
    redcap_through_pandas()
    redcap_api_json()
    redcap_api_labels_longitudinal()
    qualtrics()
    google_forms()
    surveymonkey()
    fhir()
    bad_files()
