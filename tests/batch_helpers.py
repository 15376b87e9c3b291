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
    """What the core says of each fixture person, computed through the interactive path (check + explain)."""
    from stm_screen.core.answers import check_answers
    from stm_screen.core.engine import Scorer
    from stm_screen.errors import AnswersError

    scorer = Scorer(ruleset)
    out: dict[str, dict[str, str]] = {}
    for pid, person in fixtures.PEOPLE.items():
        answers = {k: v for k, v in person.items() if v is not None}
        try:
            values = check_answers(ruleset, answers)
        except AnswersError:
            out[pid] = {"status": "error", "level": "", "score": ""}
            continue
        ev = scorer.evaluate(values)
        score = ev.scores["total"]
        if ev.complete:
            out[pid] = {"status": "ok", "level": ev.level or "", "score": f"{score:g}"}
        else:
            level = ev.level or "" if ev.red_flags else ""
            out[pid] = {"status": "incomplete", "level": level, "score": f"{score:g}"}
    return out
