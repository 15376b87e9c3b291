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
ROOT = Path(__file__).resolve().parent.parent

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


# Synthetic pt-screen 2.0 records, exactly as the benchmark writes them: records.HEADER, .record(), .write().
_gen_spec = importlib.util.spec_from_file_location("gen_records", ROOT / "benchmarks" / "gen_records.py")
assert _gen_spec is not None and _gen_spec.loader is not None
records = importlib.util.module_from_spec(_gen_spec)
_gen_spec.loader.exec_module(records)


def writing_in(pid: int, folder: Path) -> bool:
    """Has process ``pid`` a file open in ``folder`` (its output being written, named or not)? Linux."""
    import os

    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    return any(link.startswith(str(folder) + "/") for link in links)
