"""Result renderers by name: the one registry behind every ``--format`` and report suffix."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from stm_screen.core.explain import Result

if TYPE_CHECKING:
    from stm_screen.core.ruleset import Ruleset


def to_json(result: Result) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def printable_json(text: str, encoding: str | None) -> str:
    """JSON the console can print: escaped (``\\u25b2``) when a character does not fit its encoding."""
    try:
        text.encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return json.dumps(json.loads(text), indent=2, ensure_ascii=True) + "\n"
    return text


def to_text(result: Result) -> str:
    from stm_screen.render.text import render_plain

    return render_plain(result)


def to_fhir(result: Result, ruleset: Ruleset | None = None, patient: str | None = None) -> str:
    """A FHIR R4 collection Bundle: the QuestionnaireResponse and a RiskAssessment of this result."""
    from datetime import UTC, datetime

    from stm_screen.interop.fhir import bundle, bundle_for_record

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = bundle_for_record(result.to_dict(), ruleset=ruleset, patient=patient, authored=now)
    return json.dumps(bundle(entries, timestamp=now), indent=2, ensure_ascii=False) + "\n"


def _report(fmt: str) -> Callable[[Result], str]:
    def render(result: Result) -> str:
        from stm_screen.io.clock import now
        from stm_screen.render.report import ReportInfo, answer_lines, render_report

        return render_report(result, fmt, ReportInfo(now(), None, answer_lines(None, result)))

    return render


# name -> function producing the whole document as text. The "text" entry is the plain form; on a terminal
# the score command prints the Rich rendering instead.
RENDERERS: dict[str, Callable[[Result], str]] = {
    "text": to_text,
    "json": to_json,
    "html": _report("html"),
    "md": _report("md"),
    "fhir": to_fhir,
}
