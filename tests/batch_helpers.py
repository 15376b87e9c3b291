"""Shared helpers of the batch tests: run the CLI, read its CSV output, the fixture people's expectations."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from stm_screen.cli.app import app

BATCH = Path(__file__).resolve().parent / "data" / "batch"

_spec = importlib.util.spec_from_file_location("make_fixtures", BATCH / "make_fixtures.py")
assert _spec is not None and _spec.loader is not None
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["batch", *args], catch_exceptions=False)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def expected(ruleset: Any) -> dict[str, dict[str, str]]:
    """What the core says of each fixture person, computed through the interactive path (check + explain):
    status, level, urgency and score as batch should write them."""
    from stm_screen.core.answers import check_answers
    from stm_screen.core.explain import explain
    from stm_screen.errors import AnswersError

    out: dict[str, dict[str, str]] = {}
    for pid, person in fixtures.PEOPLE.items():
        try:
            values = check_answers(ruleset, fixtures.answers_of(person))
        except AnswersError:
            out[pid] = {"status": "error", "level": "", "urgency": "", "score": ""}
            continue
        result = explain(ruleset, values)
        score = "" if result.score is None else f"{result.score:g}"
        status = "ok" if result.complete else "incomplete"
        # incomplete: the 'could not be checked' level, or a fired warning sign's; never a PT level alone
        level = result.level or "" if result.complete or result.warning else ""
        out[pid] = {"status": status, "level": level, "urgency": result.urgency or "", "score": score}
    return out


class records:  # noqa: N801 - used like a module: records.HEADER, records.record(), records.write()
    """Synthetic records of pt-screen 2.0's questions as CSV cells, as ``benchmarks/gen_records.py`` writes
    those of 1.x (same layout first: id, pain_duration_months, pain_areas, then the rest): most people
    answer no to the safety questions, the form's skip logic leaves hidden questions blank, about 1 record
    in 200 leaves a safety question blank and 1 in 300 answers one 'not sure'."""

    AREAS = ("low_back", "mid_back", "neck_shoulder", "head_jaw", "tendon", "post_surgical", "sports_overuse",
             "widespread", "other")  # fmt: skip
    SAFETY = tuple(fixtures.SAFETY)
    DAILY = ("tightness_trigger_points", "recurrent_flare_ups", "fear_of_movement")
    HEADER = ("id", "pain_duration_months", "pain_areas", "pain_intensity", "age_years", "pregnant", "pain_trend",
              *SAFETY, "activity_limitation", *DAILY)  # fmt: skip

    @classmethod
    def record(cls, i: int, rng: Any) -> list[str]:
        duration = rng.choice((str(rng.randint(0, 120)), str(rng.randint(0, 120)), f"{rng.randint(0, 24)}.5"))
        areas = rng.sample(cls.AREAS, rng.randint(1, 3))
        age = rng.randint(16, 90)
        said = {s: "yes" if rng.random() < 0.02 else "no" for s in cls.SAFETY}
        shown = fixtures.asked(
            {
                "age_years": age,
                "pain_duration_months": float(duration),
                "pain_areas": areas,
                **{s: v == "yes" for s, v in said.items()},
            }  # fmt: skip
        )
        for q, asked in shown.items():
            if not asked and q in said:
                said[q] = ""
        odd = rng.random()
        if odd < 0.005 + 0.0033:
            open_q = rng.choice([q for q in cls.SAFETY if said[q]])
            said[open_q] = "" if odd < 0.005 else "unsure"
        pregnant = ("yes" if rng.random() < 0.03 else "no") if shown["pregnant"] else ""
        return [
            f"P{i:07d}",
            duration,
            ",".join(areas),
            str(rng.randint(0, 10)),
            str(age),
            pregnant,
            rng.choice(("better", "same", "worse")),
            *(said[s] for s in cls.SAFETY),
            str(rng.randint(0, 10)),
            *(rng.choice(("yes", "no")) for _ in cls.DAILY),
        ]

    @classmethod
    def write(cls, n: int, out: Any, seed: int = 1) -> None:
        import random

        rng = random.Random(seed)
        w = csv.writer(out, lineterminator="\n")
        w.writerow(cls.HEADER)
        for i in range(1, n + 1):
            w.writerow(cls.record(i, rng))
