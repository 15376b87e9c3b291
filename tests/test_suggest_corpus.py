"""--suggest-map against the ways people title survey questions: a corpus of realistic headers (most of
them not a question id, a question's exact text or an exact alias), each with the question it titles.

The share matched right is measured and must stay at or above the floor written here; a header must
never be matched to the wrong safety question, nor a safety question's header to another question (a
wrong safety match would hide a warning sign: no match at all is the safe failure)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from stm_screen.batch.columns import _question_texts
from stm_screen.batch.presets import norm
from stm_screen.batch.suggest import match_header
from stm_screen.cli.app import app

# header -> the question it titles
CORPUS: dict[str, str] = {
    "Patient age (yrs)": "age_years",
    "Age at screening": "age_years",
    "Currently pregnant?": "pregnant",
    "Pregnant / given birth in last 6 months": "pregnant",
    "How long has the pain lasted (months)?": "pain_duration_months",
    "Pain duration in months": "pain_duration_months",
    "Where is your pain?": "pain_areas",
    "Pain location(s)": "pain_areas",
    "Is the pain getting better or worse?": "pain_trend",
    "Pain score (0-10)": "pain_intensity",
    "Average pain intensity, past week": "pain_intensity",
    "Pain rating 0-10": "pain_intensity",
    "New bladder/bowel problems?": "bladder_bowel_change",
    "Loss of bladder control (new)": "bladder_bowel_change",
    "Saddle anaesthesia?": "saddle_numbness",
    "Numbness in saddle area": "saddle_numbness",
    "Pain/numbness down both legs": "both_legs_symptoms",
    "Weakness in arm or leg?": "progressive_weakness",
    "Arm/leg weakness": "progressive_weakness",
    "Weakness getting worse over hours/days?": "weakness_fast",
    "Clumsy hands / unsteady walking": "clumsy_hands_or_gait",
    "Stroke symptoms (sudden)": "stroke_signs",
    "Worst headache of your life?": "sudden_severe_headache",
    "Sudden severe headache (last 4 weeks)": "sudden_severe_headache",
    "Jaw pain on chewing / scalp tenderness": "jaw_scalp_headache",
    "Dizzy when moving neck?": "dizziness_ongoing",
    "Chest pain with exertion?": "chest_arm_pain_exertion",
    "Swollen or painful calf?": "calf_swelling",
    "Fever / chills?": "fever_or_unwell",
    "Immunosuppressed or IV drug use": "infection_risk",
    "History of cancer?": "cancer_history",
    "Cancer hx": "cancer_history",
    "Any previous cancer diagnosis": "cancer_history",
    "Unexplained wt loss": "unexplained_weight_loss",
    "Lost weight without trying?": "unexplained_weight_loss",
    "Constant pain at night?": "night_pain",
    "Serious fall or accident?": "major_trauma",
    "Recent major trauma": "major_trauma",
    "Minor fall / trip": "minor_trauma",
    "Osteoporosis or long-term steroid use?": "fracture_risk",
    "On blood thinners?": "blood_thinners",
    "Anticoagulant use": "blood_thinners",
    "Morning back stiffness > 30 min": "morning_stiffness",
    "Pain on a spot of bone when running": "bone_pain_impact",
    "Thoughts of self-harm?": "self_harm_thoughts",
    "Suicidal ideation": "self_harm_thoughts",
    "Has a plan to act on suicidal thoughts": "self_harm_danger",
    "Pain limits daily activities (0-10)": "activity_limitation",
    "Interference with activities": "activity_limitation",
    "Tight muscles / trigger points?": "tightness_trigger_points",
    "Recurring flare-ups?": "recurrent_flare_ups",
    "Flare ups despite rest": "recurrent_flare_ups",
    "Avoids movement due to fear of pain": "fear_of_movement",
    "Fear of movement (kinesiophobia)": "fear_of_movement",
}
FLOOR = 0.90  # share of the corpus matched to the right question (measured: 53 of 54, 98%)


def test_the_corpus_is_realistic_and_not_exact(ruleset: Any) -> None:
    assert len(CORPUS) >= 40
    assert set(CORPUS.values()) <= {q.id for q in ruleset.questions}
    exact = _question_texts(ruleset)
    ids = {norm(q.id) for q in ruleset.questions}
    # most headers need the fuzzy matcher: they are not an id, a question's text or an alias as it is
    fuzzy = [h for h in CORPUS if norm(h) not in exact and norm(h) not in ids]
    assert len(fuzzy) >= 40


def test_share_matched_right_and_no_wrong_safety_match(ruleset: Any) -> None:
    right, wrong_safety, missed = 0, [], []
    for header, expected in CORPUS.items():
        found = match_header(header, ruleset)
        got = found[0].id if found else None
        if got == expected:
            right += 1
            continue
        missed.append((header, expected, got))
        if got is not None and (ruleset.by_id[got].safety or ruleset.by_id[expected].safety):
            wrong_safety.append((header, expected, got))
    share = right / len(CORPUS)
    assert wrong_safety == [], wrong_safety
    assert share >= FLOOR, f"{share:.0%} matched right; missed: {missed}"


def test_headers_that_title_no_question_are_left_for_a_person(ruleset: Any) -> None:
    for header in (
        "Timestamp", "Email address", "Clinic name", "Comments", "Referring doctor", "Weight (kg)",
        "Body weight", "Height", "Date of birth", "Notes", "Leg pain", "Neck pain?",
    ):  # fmt: skip
        assert match_header(header, ruleset) is None, header


def test_suggest_map_through_the_command(tmp_path: Path) -> None:
    export = tmp_path / "clinic.csv"
    headers = ["MRN", "Patient age (yrs)", "Cancer hx", "Thoughts of self-harm?", "Pain score (0-10)",
               "Serious fall or accident?", "Weakness in arm or leg?", "Comments"]  # fmt: skip
    with export.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([headers, ["A-1", "40", "no", "no", "5", "no", "no", ""]])
    result = CliRunner().invoke(app, ["batch", str(export), "--suggest-map"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert 'id_column: "MRN"' in text
    for header, qid in [
        ("Patient age (yrs)", "age_years"),
        ("Cancer hx", "cancer_history"),
        ("Thoughts of self-harm?", "self_harm_thoughts"),
        ("Pain score (0-10)", "pain_intensity"),
        ("Serious fall or accident?", "major_trauma"),
        ("Weakness in arm or leg?", "progressive_weakness"),
    ]:
        assert f'"{header}": {qid}' in text, header
    assert '# "Comments": ' in text  # left for a person
