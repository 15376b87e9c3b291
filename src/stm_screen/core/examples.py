"""Running a ruleset's own examples, and those of its instrument modules: each answer set must give its
expected level (rulesets), scores, bands and unknown scores."""

import math
from collections.abc import Iterator
from typing import Any, NamedTuple

from stm_screen.core.answers import check_answers
from stm_screen.core.engine import Scorer
from stm_screen.core.ruleset import Example, Locate, Ruleset, standalone
from stm_screen.errors import AnswersError, Problem
from stm_screen.i18n import _


class ExampleReport(NamedTuple):
    passed: int
    problems: list[Problem]
    total: int = 0  # examples run (the ruleset's and its modules')


COVERAGE_SAMPLES = 3000


def _answer_sets(ruleset: Ruleset, n: int) -> Iterator[dict[str, object]]:
    """Complete answer sets, each question answered (whether or not it would be asked): the corners first
    (every answer at its lowest, then at its highest), then random ones from a fixed seed."""
    import random

    rng = random.Random(0)

    def pick(q: Any, mode: str) -> object:
        if q.type == "boolean":
            return mode == "high" if mode != "random" else rng.random() < 0.5
        if q.type in ("integer", "number"):
            lo = q.min if q.min is not None else 0
            hi = q.max if q.max is not None else lo + 100
            if mode == "low":
                return lo
            if mode == "high":
                return hi
            if q.type == "integer" or rng.random() < 0.5:
                return rng.randint(int(math.ceil(lo)), int(math.floor(hi))) if hi - lo >= 1 else lo
            return round(rng.uniform(lo, hi), 2)
        ids = [c.id for c in q.choices]
        if not ids:
            return None
        if q.type == "choice":
            return ids[0] if mode == "low" else ids[-1] if mode == "high" else rng.choice(ids)
        if mode == "low":
            return []
        if mode == "high":
            return ids
        return [c for c in ids if rng.random() < 0.5]

    for mode in ("low", "high"):
        yield {q.id: pick(q, mode) for q in ruleset.questions}
    for _i in range(n):
        yield {q.id: pick(q, "random") for q in ruleset.questions}


def coverage_problems(ruleset: Ruleset, samples: int = COVERAGE_SAMPLES) -> list[Problem]:
    """Outcomes that leave reachable answers with no level: complete answer sets (every question answered,
    within its range) that no outcome's condition or band takes. Score bands are checked exactly when the
    rules are loaded; this finds what 'when' conditions leave out."""
    if not ruleset.outcomes or any(o.score is not None for o in ruleset.outcomes):
        return []  # score bands, checked to cover their score's whole range at load, take every set
    scorer = Scorer(ruleset)
    for raw in _answer_sets(ruleset, samples):
        try:
            values = check_answers(ruleset, raw)
        except AnswersError:
            continue
        ev = scorer.evaluate(values)
        if ev.outcome is None and not ev.missing and not ev.criteria_unknown:
            scores = ", ".join(f"{k} = {v:g}" for k, v in ev.scores.items() if v is not None)
            file, line, col = (
                ruleset.locate(("outcomes",), 0) if ruleset.locate else (ruleset.origin, 0, 0)
            )
            return [
                Problem(
                    (
                        _(
                            "outcomes: some complete answer sets get no level from any outcome (for example with "
                            "{scores}); end the outcomes with score bands that cover every score (score, min, "
                            "max), or with 'when: true'"
                        ).format(scores=scores)
                        if scores
                        else _(
                            "outcomes: some complete answer sets get no level from any outcome; end the outcomes "
                            "with score bands that cover every score (score, min, max), or with 'when: true'"
                        )
                    ),
                    file,
                    line,
                    col,
                )
            ]
    return []


def run_examples(ruleset: Ruleset) -> ExampleReport:
    problems: list[Problem] = []
    passed = _run(ruleset, Scorer(ruleset), ruleset.examples, ruleset.locate, ruleset.origin, problems)
    problems.extend(coverage_problems(ruleset))
    total = len(ruleset.examples)
    for module in ruleset.modules:
        alone = standalone(module)
        passed += _run(alone, Scorer(alone), module.examples, module.locate, module.origin, problems)
        total += len(module.examples)
    return ExampleReport(passed, problems, total)


def _run(
    ruleset: Ruleset,
    scorer: Scorer,
    examples: tuple[Example, ...],
    locate: Locate | None,
    origin: str,
    problems: list[Problem],
) -> int:
    passed = 0

    def at(path: tuple[str | int, ...], message: str) -> None:
        file, line, col = locate(path, 0) if locate else (origin, 0, 0)
        problems.append(Problem(message, file, line, col))

    for ex in examples:
        label = _("example '{name}'").format(name=ex.name)
        try:
            values = check_answers(ruleset, ex.answers)
        except AnswersError as exc:
            for p in exc.problems:
                at((*ex.path, "answers", p.question), f"{label}: {p}")
            continue
        ev = scorer.evaluate(values)
        ok = True
        if ex.level is not None and ev.level != ex.level:
            at(
                ex.path,
                _("{example}: expected level '{want}' but the rules give '{got}'").format(
                    example=label, want=ex.level, got=ev.level
                ),
            )
            ok = False
        for key, want_flags, got_flags in (
            ("red_flags", ex.red_flags, ev.red_flags),
            ("open", ex.open, ev.red_flags_unknown),
        ):
            if want_flags is not None and set(want_flags) != set(got_flags):
                if key == "red_flags":
                    message = _("{example}: expected red flags fired: {want}; the rules give: {got}")
                else:
                    message = _("{example}: expected red flags left open: {want}; the rules give: {got}")
                none = _("none")
                at(
                    (*ex.path, key),
                    message.format(
                        example=label, want=", ".join(want_flags) or none, got=", ".join(got_flags) or none
                    ),
                )
                ok = False
        for sid, want in ex.scores.items():
            got = ev.scores.get(sid)
            if got is None or abs(got - want) > 1e-9:
                shown = _("unknown") if got is None else f"{got:g}"
                at(
                    (*ex.path, "scores", sid),
                    _("{example}: expected score {id} = {want} but got {got}").format(
                        example=label, id=sid, want=f"{want:g}", got=shown
                    ),
                )
                ok = False
        for sid, band in ex.bands.items():
            got_band = ev.bands.get(sid)
            if got_band != band:
                at(
                    (*ex.path, "bands", sid),
                    _("{example}: expected {id} in band '{band}' but got {got}").format(
                        example=label, id=sid, band=band, got=got_band or _("no band")
                    ),
                )
                ok = False
        for sid in ex.unknown:
            if ev.scores.get(sid) is not None:
                at(
                    (*ex.path, "unknown"),
                    _("{example}: expected score {id} to be unknown but got {got}").format(
                        example=label, id=sid, got=f"{ev.scores[sid]:g}"
                    ),
                )
                ok = False
        passed += ok
    return passed
