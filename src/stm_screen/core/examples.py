"""Running a ruleset's own examples, and those of its instrument modules: each answer set must give its
expected level (rulesets), scores, bands and unknown scores."""

from typing import NamedTuple

from stm_screen.core.answers import check_answers
from stm_screen.core.engine import Scorer
from stm_screen.core.ruleset import Example, Locate, Ruleset, standalone
from stm_screen.errors import AnswersError, Problem


class ExampleReport(NamedTuple):
    passed: int
    problems: list[Problem]
    total: int = 0  # examples run (the ruleset's and its modules')


def run_examples(ruleset: Ruleset) -> ExampleReport:
    problems: list[Problem] = []
    passed = _run(ruleset, Scorer(ruleset), ruleset.examples, ruleset.locate, ruleset.origin, problems)
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
        label = f"example '{ex.name}'"
        try:
            values = check_answers(ruleset, ex.answers)
        except AnswersError as exc:
            for p in exc.problems:
                at((*ex.path, "answers", p.question), f"{label}: {p}")
            continue
        ev = scorer.evaluate(values)
        ok = True
        if ex.level is not None and ev.level != ex.level:
            at(ex.path, f"{label}: expected level '{ex.level}' but the rules give '{ev.level}'")
            ok = False
        for key, want_flags, got_flags in (
            ("red_flags", ex.red_flags, ev.red_flags),
            ("open", ex.open, ev.red_flags_unknown),
        ):
            if want_flags is not None and set(want_flags) != set(got_flags):
                what = "red flags fired" if key == "red_flags" else "red flags left open"
                at(
                    (*ex.path, key),
                    f"{label}: expected {what}: {', '.join(want_flags) or 'none'}; "
                    f"the rules give: {', '.join(got_flags) or 'none'}",
                )
                ok = False
        for sid, want in ex.scores.items():
            got = ev.scores.get(sid)
            if got is None or abs(got - want) > 1e-9:
                shown = "unknown" if got is None else f"{got:g}"
                at((*ex.path, "scores", sid), f"{label}: expected score {sid} = {want:g} but got {shown}")
                ok = False
        for sid, band in ex.bands.items():
            got_band = ev.bands.get(sid)
            if got_band != band:
                at(
                    (*ex.path, "bands", sid),
                    f"{label}: expected {sid} in band '{band}' but got {got_band or 'no band'}",
                )
                ok = False
        for sid in ex.unknown:
            if ev.scores.get(sid) is not None:
                at(
                    (*ex.path, "unknown"),
                    f"{label}: expected score {sid} to be unknown but got {ev.scores[sid]:g}",
                )
                ok = False
        passed += ok
    return passed
