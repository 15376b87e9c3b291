"""``stm-screen screen``: the interactive questionnaire, from the command line to the result and report.

Order matters: everything that can be refused (no terminal, a report file that exists, a bad patient
reference, unreadable rules) is refused before the first question, so nobody answers for nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from stm_screen.cli.errors import fail, say_error
from stm_screen.errors import ExitCode, Problem, RulesError, StmScreenError, UsageError
from stm_screen.i18n import _

if TYPE_CHECKING:
    from stm_screen.core.contacts import Contacts
    from stm_screen.core.explain import Result
    from stm_screen.core.ruleset import Ruleset
    from stm_screen.prompt.ask import Prompter
    from stm_screen.prompt.flow import Flow
    from stm_screen.prompt.resume import Saved

CLEAR = "\x1b[H\x1b[2J\x1b[3J"  # home, screen, then scrollback (erasing the screen may push it there)


@dataclass(frozen=True)
class Options:
    rules: str | None = None
    plain: bool = False
    report: Path | None = None
    force: bool = False
    resume: bool = False
    patient: str | None = None
    next_patient: bool = False
    save: bool = False
    country: str | None = None
    with_modules: str | None = None  # instrument modules asked after the screening (--with phq4,peg)
    texts: str | None = None  # the clinic's wording of instruments whose text is not shipped
    lang: str | None = None


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def check_patient(ref: str | None) -> str | None:
    """A reference such as a record number (never a name); the value is not repeated in the message."""
    from stm_screen.core.patient import check_patient_ref

    return None if ref is None else check_patient_ref(ref)


def report_path(base: Path | None, n: int) -> Path | None:
    """The report file for the n-th patient of a session: report.html, report-2.html, ..."""
    if base is None or n == 1:
        return base
    return base.with_name(f"{base.stem}-{n}{base.suffix}")


def check_report(path: Path | None, force: bool) -> None:
    if path is None:
        return
    from stm_screen.render.report import report_format

    report_format(path)
    try:
        if path.is_dir():
            raise UsageError(_("{path}: is a folder").format(path=path))
        if path.exists() and not force:
            raise UsageError(_("{path}: already exists; use --force to overwrite it").format(path=path))
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise UsageError(_("{path}: the folder {folder} does not exist").format(path=path, folder=folder))
    except OSError as exc:  # a name too long, say
        raise UsageError(
            _("{path}: cannot be used ({reason})").format(
                path=path, reason=exc.strerror or type(exc).__name__
            )
        ) from None
    import tempfile

    try:  # the report is written at the very end: find out now whether it can be
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(
            _("{path}: cannot write in {folder} ({reason})").format(
                path=path, folder=folder, reason=exc.strerror or type(exc).__name__
            )
        ) from None


def _rules_spec(rules: str | None) -> str | None:
    """What to remember about --rules so that --resume finds the same rules from any folder."""
    if rules is None:
        return None
    candidate = Path(rules).expanduser()
    return str(candidate.resolve()) if candidate.exists() else rules


def _safe_output() -> None:
    """Never crash on a character the console cannot print or read (a cp1252 or ASCII console)."""
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")


@contextlib.contextmanager
def _hangup_as_interrupt() -> Iterator[None]:
    """A closed terminal (SIGHUP) or a polite kill (SIGTERM) saves the answers like Ctrl-C."""

    def handler(signum: int, frame: FrameType | None) -> None:
        # While a prompt is on screen, end it the way Ctrl-C does: raising here, in the middle of the
        # prompt's event loop, could be caught by the loop and leave the program waiting for ever.
        current = sys.modules.get("prompt_toolkit.application.current")
        app = current.get_app_or_none() if current is not None else None
        if app is not None and app.is_running:
            try:
                app.exit(exception=KeyboardInterrupt())
                return
            except Exception:  # noqa: BLE001 - already exiting: fall back to raising
                pass
        raise KeyboardInterrupt

    previous = {}
    for name in ("SIGHUP", "SIGTERM"):
        sig = getattr(signal, name, None)
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):
                previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, old)


def make_prompter(opts: Options) -> Prompter:
    from stm_screen.prompt.ask import FANCY_GLYPHS, PlainPrompter, RichPrompter, can_encode, encoding_of
    from stm_screen.render.console import plain_wanted

    plain = plain_wanted(stdout_is_terminal(), opts.plain)
    if not plain and not can_encode(FANCY_GLYPHS, encoding_of(sys.stdout)):
        plain = True  # the console cannot draw questionary's widgets: numbered lists in ASCII instead
    if plain:
        return PlainPrompter(sys.stdout)
    return RichPrompter(sys.stdout, colour=True)


def run(opts: Options) -> None:
    if not stdin_is_terminal():
        from stm_screen.i18n import start

        start(sys.argv[1:])  # the environment's language: no ruleset has been read yet
        fail(
            _(
                "the questionnaire needs a terminal to type in; to score answers from a file use "
                "'stm-screen score FILE'"
            ),
            ExitCode.USAGE,
        )
    patient = check_patient(opts.patient)
    check_report(opts.report, opts.force)
    if opts.save:  # a store that cannot be used is refused before the first question
        from stm_screen.store import open_store

        open_store().close()
    _safe_output()

    from stm_screen.io.datadir import data_dir
    from stm_screen.prompt import resume as resume_files
    from stm_screen.screening import for_audience, load_rules

    folder = data_dir()
    saved: Saved | None = None
    if opts.resume:
        files = resume_files.saved_files(folder)
        if not files:
            raise UsageError(
                _("there is no stopped screening to continue; start one with 'stm-screen screen'")
            )
        if patient is None:
            saved = resume_files.load(files[0])
            try:  # a file edited by hand may hold anything: only a valid reference is shown
                patient = check_patient(saved.patient)
            except UsageError:
                patient = None
        else:  # that patient's own screening, never the last one stopped (another patient's answers)
            saved = _saved_for(files, patient)
    rules = opts.rules if opts.rules is not None else (saved.rules if saved else None)
    with_modules = (
        opts.with_modules if opts.with_modules is not None else (saved.with_modules if saved else None)
    )
    texts = _texts_spec(opts.texts) if opts.texts is not None else (saved.texts if saved else None)
    try:
        ruleset = load_rules(rules, with_modules, texts)
    except RulesError as exc:
        if saved is None or opts.rules is not None:
            raise
        # The rules the stopped screening used are gone or changed: say how to go on.
        hint = Problem(
            _(
                "the stopped screening was started with these rules; to continue with others, run "
                "'stm-screen screen --resume --rules PATH'"
            )
        )
        raise RulesError([*exc.problems, hint]) from None
    refuse_missing_wording(ruleset)
    from stm_screen.cli.opts import tell_notices

    tell_notices(ruleset)
    audience = for_audience(ruleset, lang=opts.lang, country=opts.country)
    prompter = make_prompter(opts)
    if not audience.choice.chosen and len(ruleset.languages) > 1:
        # Nothing chose a language (no --lang, STM_SCREEN_LANG or locale language): ask, in every language.
        audience = for_audience(ruleset, lang=choose_language_here(prompter, ruleset), country=opts.country)
    ruleset, contacts = audience.ruleset, audience.contacts
    for note in audience.notes:
        prompter.show(_("Note: {note}.").format(note=note), "note")
    if saved is None:
        waiting = resume_files.saved_files(folder)
        if waiting:
            prompter.show(
                _(
                    "Note: {n} stopped screening(s) are saved. To continue the last one, stop this one (Ctrl-C) "
                    "and run: stm-screen screen --resume"
                ).format(n=len(waiting)),
                "note",
            )

    n = 1
    while True:
        target = report_path(opts.report, n)
        check_report(target, opts.force)
        screen_one(
            ruleset,
            prompter,
            rules=_rules_spec(rules),
            with_modules=with_modules,
            texts=texts,
            patient=patient,
            saved=saved,
            report=target,
            force=opts.force,
            save=opts.save,
            contacts=contacts,
        )
        saved = None
        if not opts.next_patient:
            return
        patient = next_patient(prompter, ask_reference=opts.patient is not None)
        n += 1


def choose_language_here(prompter: Prompter, ruleset: Ruleset) -> str:
    """The welcome screen's language menu: each of the ruleset's languages named in itself."""
    from stm_screen.core.language import native_name
    from stm_screen.prompt.ask import Option

    names = [native_name(code) for code in ruleset.languages]
    heading = " / ".join(dict.fromkeys(_language_word(code) for code in ruleset.languages))
    options = [Option(code, f"{name} ({code})") for code, name in zip(ruleset.languages, names, strict=True)]
    return prompter.select(heading, options, default=ruleset.languages[0])


def _language_word(code: str) -> str:
    """'Language' in that language (for the menu's heading)."""
    from stm_screen.i18n import activate, current

    before = current()
    try:
        activate(code)
        return _("Language")
    finally:
        activate(before)


def _texts_spec(texts: str) -> str:
    """The --texts file, as a path that --resume finds again from any folder."""
    candidate = Path(texts).expanduser()
    return str(candidate.resolve()) if candidate.exists() else texts


def refuse_missing_wording(ruleset: Ruleset) -> None:
    """The questionnaire never asks an item whose licensed wording was not given: it says why, and how to
    give it, before the first question."""
    missing = ruleset.missing_wording
    if not missing:
        return
    by_owner: dict[str, list[str]] = {}
    for q in missing:
        owner = ruleset.module(q.module).short if q.module else ruleset.id
        by_owner.setdefault(owner, []).append(q.id)
    names = "; ".join(f"{owner} ({', '.join(ids)})" for owner, ids in by_owner.items())
    raise UsageError(
        _(
            "the questionnaire cannot ask {names}: the licence of their wording does not let stm-screen ship "
            "it, and no wording for them was given. Give your clinic's licensed wording with --texts FILE.yaml "
            "(stm-screen rules texts --with MODULES writes a template to fill in). 'stm-screen score' and "
            "'stm-screen batch' score their answers without it"
        ).format(names=names)
    )


def _saved_for(files: list[Path], patient: str) -> Saved:
    """The newest stopped screening labelled with this patient reference."""
    from stm_screen.prompt import resume as resume_files

    for path in files:
        try:
            saved = resume_files.load(path)
        except UsageError:
            continue
        if saved.patient == patient:
            return saved
    # The reference itself is not repeated (messages never hold patient references).
    raise UsageError(
        _(
            "there is no stopped screening for that patient reference; start one with 'stm-screen screen "
            "--patient REF', or leave out --patient to continue the last one stopped"
        )
    )


def next_patient(prompter: Prompter, ask_reference: bool) -> str | None:
    """Between patients: wait for staff, then clear the screen and scrollback. Returns the next reference."""
    prompter.show("")

    def check(text: str) -> str | None:
        if text.lower() in ("q", "quit") or not text or not ask_reference:
            return None
        from stm_screen.core.patient import PATIENT_RULE, is_patient_ref

        return None if is_patient_ref(text) else _("Not accepted: {rule}.").format(rule=_(PATIENT_RULE))

    message = (
        _("Next patient's reference (Enter for none, q to finish):")
        if ask_reference
        else _("Press Enter to clear the screen for the next patient, or type q to finish:")
    )
    try:
        word = prompter.text(message, check)
    except EOFError:
        word = "q"
    except KeyboardInterrupt:
        _clear()
        raise
    _clear()
    if word.lower() in ("q", "quit"):
        raise SystemExit(int(ExitCode.OK))
    return check_patient(word) if ask_reference and word else None


def _clear() -> None:
    if stdout_is_terminal():
        sys.stdout.write(CLEAR)
        sys.stdout.flush()


def screen_one(
    ruleset: Ruleset,
    prompter: Prompter,
    *,
    rules: str | None,
    patient: str | None,
    saved: Saved | None,
    report: Path | None,
    force: bool = False,
    save: bool = False,
    contacts: Contacts | None = None,
    with_modules: str | None = None,
    texts: str | None = None,
) -> Result:
    """One person's screening: ask, show the result, write the report, forget the resume file."""
    from stm_screen.core.answers import Answer
    from stm_screen.io.datadir import data_dir
    from stm_screen.prompt import resume as resume_files
    from stm_screen.prompt.flow import Flow
    from stm_screen.prompt.questionnaire import Questionnaire, welcome

    answers: dict[str, Answer] = {}
    if saved is not None:
        answers, dropped = resume_files.restore(ruleset, saved)
        path = saved.path
    else:
        dropped = []
        path = resume_files.new_path(data_dir())
    flow = Flow(ruleset, answers)

    for kind, text in welcome(ruleset, len(flow.applicable()), patient):
        prompter.show(text, kind)
    if saved is not None:
        n = len(flow.answers)
        prompter.show(
            _("Welcome back: {n} answer(s) restored.").format(n=n),
            "note",
        )
        if dropped:
            prompter.show(
                _(
                    "The rules have changed since; {n} saved answer(s) no longer fit and will be asked again."
                ).format(n=len(dropped)),
                "note",
            )
        if flow.announced:
            prompter.show(_("Your earlier answers included an urgent warning sign."), "urgent")

    save_failed: list[str] = []

    def autosave(current: Flow) -> None:
        try:
            resume_files.save(
                path,
                ruleset,
                current.values(),
                rules=rules,
                patient=patient,
                with_modules=with_modules,
                texts=texts,
            )
        except (StmScreenError, OSError):
            # Saving is a safety net: losing it must not end the screening. Say so once.
            if not save_failed:
                save_failed.append(str(path))
                prompter.show(
                    _(
                        "Note: your answers could not be saved as you go (the data folder cannot be written). "
                        "You can carry on; if you stop before the end, you will have to start again."
                    ),
                    "note",
                )

    questionnaire = Questionnaire(flow, prompter, on_change=autosave, contacts=contacts)
    try:
        with _hangup_as_interrupt():
            if flow.announced:
                # What to do is said again at once, never only in the result after the remaining questions.
                fired = [rf for rf in ruleset.red_flags if rf.id in flow.announced]
                questionnaire.emergency(fired, asked=questionnaire.answered_yes(fired))
            questionnaire.run()
    except (KeyboardInterrupt, EOFError):
        stopped(flow, path, ruleset, rules=rules, patient=patient, with_modules=with_modules, texts=texts)

    from stm_screen.core.engine import Scorer
    from stm_screen.core.explain import explain

    result = explain(ruleset, flow.values(), scorer=Scorer(ruleset), contacts=contacts)
    show_result(result, prompter)
    if report is not None:
        write_report(result, ruleset, report, patient, force=force)
        prompter.show(_("Report written to {path}").format(path=report), "note")
    if save:
        # If saving fails the resume file stays, so the answers are not lost.
        from stm_screen.store import save_screening

        record_id = save_screening(result, ruleset=ruleset, patient=patient)
        prompter.show(_("Saved to the history as screening {id}").format(id=record_id), "note")
    resume_files.delete(path)
    return result


def stopped(
    flow: Flow,
    path: Path,
    ruleset: Ruleset,
    *,
    rules: str | None,
    patient: str | None,
    with_modules: str | None = None,
    texts: str | None = None,
) -> None:
    """Ctrl-C, end of input, closed terminal: save what there is and say how to continue. Exits 130."""
    from stm_screen.prompt import resume as resume_files

    values = flow.values()
    if values:
        try:
            resume_files.save(
                path, ruleset, values, rules=rules, patient=patient, with_modules=with_modules, texts=texts
            )
            message = _(
                "stopped; your {n} answer(s) are saved. To continue where you left off, run: "
                "stm-screen screen --resume"
            ).format(n=len(values))
        except (StmScreenError, OSError):
            message = _("stopped; your answers could not be saved (the data folder cannot be written)")
    else:
        resume_files.delete(path)
        message = _("stopped before any answer; nothing was saved")
    with contextlib.suppress(OSError):
        sys.stdout.write("\n")
        sys.stdout.flush()
    with contextlib.suppress(OSError):
        say_error(message)
    raise SystemExit(int(ExitCode.INTERRUPTED))


def show_result(result: Result, prompter: Prompter) -> None:
    from stm_screen.render.console import make_console
    from stm_screen.render.text import print_result

    prompter.show("")
    console = make_console(file=sys.stdout, width=_result_width())
    # Plain questionnaire output is what a screen reader gets: the score in words, without the bar.
    print_result(result, console, plain=prompter.plain, bar=not prompter.plain)


def _result_width() -> int | None:
    """The terminal's width (Rich would assume 80 for TERM=dumb); without one, COLUMNS or 80 columns."""
    if stdout_is_terminal():
        import shutil

        return shutil.get_terminal_size((80, 24)).columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else 80


def write_report(result: Result, ruleset: Ruleset, path: Path, patient: str | None, *, force: bool) -> None:
    from datetime import datetime

    from stm_screen.io.atomic import write_text_atomic
    from stm_screen.render.report import ReportInfo, answer_lines, render_report, report_format

    info = ReportInfo(datetime.now().astimezone(), patient, answer_lines(ruleset, result))
    write_text_atomic(path, render_report(result, report_format(path), info), force=force)
