"""``stm-screen score``: score a file of answers."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from stm_screen.errors import UsageError
from stm_screen.i18n import _

if TYPE_CHECKING:
    from stm_screen.core.ruleset import Ruleset


def run(
    answers: str,
    *,
    rules: str | None,
    fmt: str,
    save: bool = False,
    patient: str | None = None,
    country: str | None = None,
    with_modules: str | None = None,
    texts: str | None = None,
    lang: str | None = None,
) -> None:
    from stm_screen.render.formats import RENDERERS

    if fmt not in RENDERERS:
        raise UsageError(
            _("unknown --format '{fmt}'; choose one of: {formats}").format(fmt=fmt, formats=", ".join(RENDERERS))
        )
    if patient is not None:  # shown with the result, saved with --save, in the FHIR output
        from stm_screen.store.records import check_patient_ref

        patient = check_patient_ref(patient)
    from stm_screen.cli.errors import tell_notices
    from stm_screen.io.answers_file import read_answers
    from stm_screen.screening import for_audience, load_rules, score_data

    loaded = load_rules(rules, with_modules, texts)
    tell_notices(loaded)
    audience = for_audience(loaded, lang=lang, country=country)
    if audience.notes:  # a setting that could not be used
        from stm_screen.cli.errors import say_warning

        for note in audience.notes:
            say_warning(note)
    ruleset = audience.ruleset
    from stm_screen.io.sameness import loaded_paths, paths_of, refuse_output_over_inputs

    # standard output appended to the answers or rules file (>> FILE) would change the file read
    read = paths_of(_("the answers file"), [answers]) + paths_of("--texts", [texts]) + loaded_paths(loaded)
    refuse_output_over_inputs("-", read)
    data, name = read_answers(answers)
    result = score_data(ruleset, data, source=name, contacts=audience.contacts)
    # The result is shown first: if saving fails, the person still has it, and the error says why.
    if fmt == "fhir":
        from stm_screen.render.formats import printable_json, to_fhir

        text = to_fhir(result, ruleset=ruleset, patient=patient)
        sys.stdout.write(printable_json(text, getattr(sys.stdout, "encoding", None)))
    elif fmt == "text":
        from stm_screen.io.clock import now
        from stm_screen.render.console import make_console, plain_wanted
        from stm_screen.render.text import print_result
        from stm_screen.render.view import Stamp

        console = make_console()
        print_result(result, console, plain=plain_wanted(console.is_terminal), stamp=Stamp(now(), patient))
    elif fmt in ("html", "md"):
        from stm_screen.io.clock import now
        from stm_screen.render.report import ReportInfo, answer_lines, render_report

        info = ReportInfo(now(), patient, answer_lines(ruleset, result))  # the safety answers on page one
        sys.stdout.write(render_report(result, fmt, info))
    else:
        text = RENDERERS[fmt](result)
        if fmt == "json":
            from stm_screen.render.formats import printable_json

            text = printable_json(text, getattr(sys.stdout, "encoding", None))
        sys.stdout.write(text)
    sys.stdout.flush()
    _tell_unused(ruleset, data, name)  # after the result: what is left on a screen is the warning
    if save:
        sys.stdout.flush()
        from stm_screen.cli.errors import say_info
        from stm_screen.errors import StoreError
        from stm_screen.store import save_screening


        try:
            record_id = save_screening(result, ruleset=ruleset, patient=patient)
        except StoreError as exc:  # the result above stands; say plainly that it is not in the history
            raise StoreError(_("{error}; the result above was NOT saved to the history").format(error=exc)) from None
        say_info(_("Saved to the history as screening {id}.").format(id=record_id))


def _tell_unused(ruleset: Ruleset, data: object, name: str) -> None:
    """Answers the skip rules do not ask, said on stderr (as ``batch`` counts them); a yes to a safety
    question among them is a contradiction to check with the person, since a warning sign may hang on it."""
    from stm_screen.cli.errors import say_info, say_warning
    from stm_screen.screening import unused_answers

    unused = unused_answers(ruleset, data, name)
    for qid, yes in unused:
        if yes:
            q = ruleset.by_id[qid]
            asked = q.ask_if.source if q.ask_if is not None else ""
            say_warning(
                _(
                    "warning: {file}: '{question}' is answered yes, but it is asked only when {condition}, "
                    "which the other answers do not meet, so it is not used. The answers contradict each "
                    "other where a warning sign may depend on them: check them with the person"
                ).format(file=name, question=qid, condition=asked)
            )
    plain = [qid for qid, yes in unused if not yes]
    if plain:
        say_info(
            _("{file}: answers not used, as the skip rules do not ask these questions with the other answers: {ids}").format(
                file=name, ids=", ".join(plain)
            )
        )
