"""``stm-screen score``: score a file of answers."""

from __future__ import annotations

import sys

from stm_screen.errors import UsageError


def run(answers: str, *, rules: str | None, fmt: str) -> None:
    from stm_screen.render.formats import RENDERERS

    if fmt not in RENDERERS:
        raise UsageError(f"unknown --format '{fmt}'; choose one of: {', '.join(RENDERERS)}")
    from stm_screen.io.answers_file import read_answers
    from stm_screen.screening import load_rules, score_data

    ruleset = load_rules(rules)
    data, name = read_answers(answers)
    result = score_data(ruleset, data, source=name)
    if fmt == "text":
        from stm_screen.render.console import make_console, plain_wanted
        from stm_screen.render.text import print_result

        console = make_console()
        print_result(result, console, plain=plain_wanted(console.is_terminal))
        return
    text = RENDERERS[fmt](result)
    if fmt == "json":
        from stm_screen.render.formats import printable_json

        text = printable_json(text, getattr(sys.stdout, "encoding", None))
    sys.stdout.write(text)
