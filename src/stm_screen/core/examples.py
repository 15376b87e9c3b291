"""Running a ruleset's own examples: each answer set must give its expected level (and scores)."""

from typing import NamedTuple

from stm_screen.core.answers import check_answers
from stm_screen.core.engine import Scorer
from stm_screen.core.ruleset import Ruleset
from stm_screen.errors import AnswersError, Problem


class ExampleReport(NamedTuple):
    passed: int
    problems: list[Problem]


def run_examples(ruleset: Ruleset) -> ExampleReport:
    scorer = Scorer(ruleset)
    problems: list[Problem] = []
    passed = 0

    def at(path: tuple[str | int, ...], message: str) -> None:
        file, line, col = ruleset.locate(path, 0) if ruleset.locate else (ruleset.origin, 0, 0)
        problems.append(Problem(message, file, line, col))

    for ex in ruleset.examples:
        label = f"example '{ex.name}'"
        try:
            values = check_answers(ruleset, ex.answers)
        except AnswersError as exc:
            for p in exc.problems:
                at((*ex.path, "answers", p.question), f"{label}: {p}")
            continue
        ev = scorer.evaluate(values)
        ok = True
        if ev.level != ex.level:
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
                at((*ex.path, "scores", sid), f"{label}: expected score {sid} = {want:g} but got {got}")
                ok = False
        passed += ok
    return ExampleReport(passed, problems)
