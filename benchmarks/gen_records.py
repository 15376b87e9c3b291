"""Write N synthetic survey records of the bundled questions as CSV (headers are question ids).

    python benchmarks/gen_records.py 1000000 > /tmp/records.csv
    python benchmarks/gen_records.py 1000 --seed 3 --output records.csv

Records of pt-screen 2.0's questions (every safety question has its column; questions the form's skip logic
hides are blank). Answers are random but plausible: most people answer no to the safety questions, durations
are mostly whole months with some halves, about 1 record in 200 leaves a safety question blank and 1 in 300
answers one 'not sure'.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from typing import TextIO

AREAS = (
    "low_back",
    "mid_back",
    "neck_shoulder",
    "head_jaw",
    "tendon",
    "post_surgical",
    "sports_overuse",
    "widespread",
    "other",
)
DATA = "2.1"  # the ruleset the records are made for: part of cached file names, so a new one remakes them
# pt-screen 2.1's safety questions, in form order
SAFETY = (
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
)
DAILY = ("tightness_trigger_points", "recurrent_flare_ups", "fear_of_movement")
HEADER = (
    "id",
    "pain_duration_months",
    "pain_areas",
    "pain_intensity",
    "age_years",
    "pregnant",
    "pain_trend",
    *SAFETY,
    "activity_limitation",
    *DAILY,
)


def _asked(age: int, duration: float, areas: list[str], said: dict[str, str]) -> dict[str, bool]:
    """The form's skip logic (ask_if in rules/pt-screen.yaml) for the questions it hides."""
    trauma = said["minor_trauma"] == "yes" or said["major_trauma"] == "yes"
    back = bool({"low_back", "mid_back"} & set(areas))
    return {
        "pregnant": 12 <= age <= 60,
        "weakness_fast": said["progressive_weakness"] == "yes",
        "jaw_scalp_headache": age >= 50,
        "dizziness_ongoing": bool({"neck_shoulder", "head_jaw", "widespread"} & set(areas)),
        "infection_risk": bool({"low_back", "mid_back", "neck_shoulder", "widespread"} & set(areas)),
        "fracture_risk": said["minor_trauma"] == "yes" and duration <= 3,
        "blood_thinners": trauma and duration <= 3,
        "morning_stiffness": back and duration >= 3 and age - duration / 12 < 45,
        "self_harm_danger": said["self_harm_thoughts"] in ("yes", "unsure"),  # not sure counts as yes (ASQ)
    }


def record(i: int, rng: random.Random, yes: float = 0.02) -> list[str]:
    duration = rng.choice((str(rng.randint(0, 120)), str(rng.randint(0, 120)), f"{rng.randint(0, 24)}.5"))
    areas = rng.sample(AREAS, rng.randint(1, 3))
    age = rng.randint(16, 90)
    said = {s: "yes" if rng.random() < yes else "no" for s in SAFETY}
    shown = _asked(age, float(duration), areas, said)
    for q, asked in shown.items():
        if not asked and q in said:
            said[q] = ""  # not asked: blank, as survey platforms leave it
    odd = rng.random()
    if odd < 0.0083:  # about 1 record in 200 leaves a safety question blank, 1 in 300 answers one 'not sure'
        open_q = rng.choice([q for q in SAFETY if said[q]])
        said[open_q] = "" if odd < 0.005 else "unsure"
    pregnant = ("yes" if rng.random() < max(0.03, yes) else "no") if shown["pregnant"] else ""
    return [
        f"P{i:07d}",
        duration,
        ",".join(areas),
        str(rng.randint(0, 10)),
        str(age),
        pregnant,
        rng.choice(("better", "same", "worse")),
        *(said[s] for s in SAFETY),
        str(rng.randint(0, 10)),
        *(rng.choice(("yes", "no")) for _ in DAILY),
    ]


def write(n: int, out: TextIO, seed: int = 1, varied: bool = False) -> None:
    """``varied``: every yes/no answer 50/50 (most records then have a combination of answers of their own)."""
    rng = random.Random(seed)
    yes = 0.5 if varied else 0.02
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    for i in range(1, n + 1):
        w.writerow(record(i, rng, yes))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--output", "-o")
    ap.add_argument("--varied", action="store_true", help="every yes/no answer 50/50")
    args = ap.parse_args()
    if args.output:
        with open(args.output, "w", newline="", encoding="utf-8") as f:
            write(args.n, f, args.seed, args.varied)
    else:
        write(args.n, sys.stdout, args.seed, args.varied)


if __name__ == "__main__":
    main()
