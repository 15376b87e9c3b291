"""Write N synthetic survey records of the bundled questions as CSV (headers are question ids).

    python benchmarks/gen_records.py 1000000 > /tmp/records.csv
    python benchmarks/gen_records.py 1000 --seed 3 --output records.csv

Answers are random but plausible: most people answer no to the safety questions, durations are mostly
whole months with some halves, about 1 record in 200 leaves a safety question blank.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from typing import TextIO

AREAS = (
    "low_back",
    "neck_shoulder",
    "head_jaw",
    "tendon",
    "post_surgical",
    "sports_overuse",
    "widespread",
    "other",
)
SAFETY = (
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
)
DAILY = ("tightness_trigger_points", "recurrent_flare_ups", "fear_of_movement")
HEADER = (
    "id",
    "pain_duration_months",
    "pain_areas",
    "pain_intensity",
    *SAFETY,
    "activity_limitation",
    *DAILY,
)


def record(i: int, rng: random.Random) -> list[str]:
    duration = rng.choice((str(rng.randint(0, 120)), str(rng.randint(0, 120)), f"{rng.randint(0, 24)}.5"))
    areas = ",".join(rng.sample(AREAS, rng.randint(1, 3)))
    safety = ["yes" if rng.random() < 0.02 else "no" for _ in SAFETY]
    if rng.random() < 0.005:
        safety[rng.randrange(len(SAFETY))] = ""
    daily = [rng.choice(("yes", "no")) for _ in DAILY]
    return [
        f"P{i:07d}",
        duration,
        areas,
        str(rng.randint(0, 10)),
        *safety,
        str(rng.randint(0, 10)),
        *daily,
    ]


def write(n: int, out: TextIO, seed: int = 1) -> None:
    rng = random.Random(seed)
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    for i in range(1, n + 1):
        w.writerow(record(i, rng))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--output", "-o")
    args = ap.parse_args()
    if args.output:
        with open(args.output, "w", newline="", encoding="utf-8") as f:
            write(args.n, f, args.seed)
    else:
        write(args.n, sys.stdout, args.seed)


if __name__ == "__main__":
    main()
