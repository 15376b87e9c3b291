"""``stm-screen screen``: the interactive questionnaire, from the command line to the result and report.

Order matters: everything that can be refused (no terminal, a report file that exists, a bad patient
reference, unreadable rules) is refused before the first question, so nobody answers for nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NamedTuple

from stm_screen.cli.errors import fail, say_error
from stm_screen.errors import ExitCode, Problem, RulesError, StmScreenError, UsageError, os_reason
from stm_screen.i18n import N_, _, ngettext
from stm_screen.prompt.ask import Option
from stm_screen.render.console import dumb_terminal

if TYPE_CHECKING:
    from stm_screen.core.contacts import Contacts
    from stm_screen.core.explain import Result
    from stm_screen.core.ruleset import Ruleset
    from stm_screen.prompt.ask import Prompter
    from stm_screen.prompt.flow import Flow
    from stm_screen.prompt.resume import Saved
    from stm_screen.render.view import Stamp

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
    report_dir: Path | None = None
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


def check_report(
    path: Path | None, force: bool, rules: str | None = None, ruleset: Ruleset | None = None, opts: Any = None
) -> None:
    if path is None:
        return
    from stm_screen.io.sameness import (
        loaded_paths,
        module_paths,
        paths_of,
        refuse_output_over_inputs,
        rules_paths,
    )
    from stm_screen.render.report import report_format

    report_format(path)
    read = paths_of("--rules", rules_paths(rules))
    if opts is not None:
        read += paths_of("--texts", [opts.texts]) + paths_of("--with", module_paths(opts.with_modules))
    if ruleset is not None:
        read += loaded_paths(ruleset)
    read += paths_of("--resume", _stopped_screenings())  # (deleted when its screening ends)
    refuse_output_over_inputs(path, read, option="--report")
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
                path=path, reason=os_reason(exc)
            )
        ) from None
    from stm_screen.io.atomic import can_write_in

    try:  # the report is written at the very end: find out now whether it can be
        can_write_in(folder, path.name)
    except OSError as exc:
        raise UsageError(
            _("{path}: cannot write in {folder} ({reason})").format(
                path=path, folder=folder, reason=os_reason(exc)
            )
        ) from None


def _stopped_screenings() -> list[Path]:
    """The resume files of the data folder (none when it cannot be read: the run says why later)."""
    from stm_screen.errors import StmScreenError
    from stm_screen.io.datadir import data_dir
    from stm_screen.prompt import resume as resume_files

    try:
        return resume_files.saved_files(data_dir())
    except (StmScreenError, OSError):
        return []


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


PLAIN_NOTE = N_(
    "Plain mode ({why}): every choice has a number. Type the number, or the words, and press Enter. "
    "Type ? for help and < to go back."
)  # said in the tool's language where it is shown


def make_prompter(opts: Options) -> Prompter:
    """Numbered plain prompts (with --plain, ACCESSIBLE, TERM=dumb, no terminal, or a console that cannot
    draw the widgets), else arrow-key prompts, in colour unless NO_COLOR is set."""
    from stm_screen.prompt.ask import (
        FANCY_GLYPHS,
        PlainPrompter,
        RichPrompter,
        can_encode,
        encoding_of,
        quiet_typeahead,
    )
    from stm_screen.render.console import colour_wanted, plain_reason

    why = plain_reason(stdout_is_terminal(), opts.plain)
    if why == "not a terminal":
        why = _("not a terminal")
    if why is None and not can_encode(FANCY_GLYPHS, encoding_of(sys.stdout)):
        why = _("this console cannot draw arrow-key menus")  # numbered lists in ASCII instead
    if why is not None:
        prompter = PlainPrompter(sys.stdout)
        prompter.show(_(PLAIN_NOTE).format(why=why), "note")  # said once, at the start
        return prompter
    from stm_screen.render.safe import raw_stream

    quiet_typeahead(sys.stdin)
    return RichPrompter(raw_stream(sys.stdout), colour=colour_wanted())  # its colours; its messages are cleaned


def resumed_options(opts: Options, run: dict[str, Any]) -> Options:
    """The options a stopped run was started with (kept in its resume file), under those given now: a
    resumed run keeps saving, labelling, reporting and going on to the next patient as it did."""
    import dataclasses

    def value(name: str, kind: type) -> Any:
        stored = run.get(name)
        return stored if isinstance(stored, kind) else None

    changes: dict[str, Any] = {}
    for name in ("save", "next_patient", "force", "plain"):
        changes[name] = getattr(opts, name) or bool(value(name, bool))
    for name in ("country", "rules", "lang"):
        changes[name] = getattr(opts, name) if getattr(opts, name) is not None else value(name, str)
    for name in ("report", "report_dir"):
        stored = value(name, str)
        changes[name] = (
            getattr(opts, name) if getattr(opts, name) is not None else (Path(stored) if stored else None)
        )
    return dataclasses.replace(opts, **changes)


def run_state(opts: Options, rules: str | None, n: int, ask_reference: bool) -> dict[str, Any]:
    """What a resume file keeps of the run, so that '--resume' restores all of it."""
    return {
        "ask_reference": ask_reference,  # --next asks each patient's reference (started with --patient)
        "save": opts.save,
        "next_patient": opts.next_patient,
        "force": opts.force,
        "plain": opts.plain,
        "country": opts.country,
        "lang": opts.lang,  # chosen with --lang or on the welcome screen (else the locale's, as before)
        "rules": rules,
        "report": None if opts.report is None else str(opts.report.resolve()),
        "report_dir": None if opts.report_dir is None else str(opts.report_dir.resolve()),
        "n": n,
    }


def check_report_dir(folder: Path | None) -> None:
    if folder is None:
        return
    from stm_screen.io.sameness import usable_path

    usable_path(folder)
    if not folder.is_dir():
        raise UsageError(_("--report-dir {folder}: not a folder (create it first)").format(folder=folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(_("--report-dir {folder}: cannot write in this folder").format(folder=folder))


@dataclass
class Session:
    """Counts for intake staff: screenings finished in this run, and how many were kept."""

    done: int = 0
    kept: int = 0
    last: str | None = None  # the reference of the patient just screened (a stray key is checked against it)


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
    from stm_screen.io.datadir import data_dir
    from stm_screen.prompt import resume as resume_files

    patient = check_patient(opts.patient)
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
        opts = resumed_options(opts, {**saved.run, "rules": saved.rules})
        opts = dataclasses.replace(
            opts,
            with_modules=opts.with_modules if opts.with_modules is not None else saved.with_modules,
            texts=opts.texts if opts.texts is not None else saved.texts,
        )
    check_report(opts.report, opts.force, opts.rules, opts=opts)
    check_report_dir(opts.report_dir)
    if opts.save:  # a store that cannot be used is refused before the first question
        from stm_screen.store import open_store

        open_store().close()
    _safe_output()
    from stm_screen.screening import for_audience, load_rules

    rules = opts.rules
    with_modules = opts.with_modules
    texts = _texts_spec(opts.texts) if opts.texts is not None else None
    try:
        ruleset = load_rules(rules, with_modules, texts)
    except RulesError as exc:
        if saved is None:
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
    from stm_screen.cli.errors import tell_notices

    tell_notices(ruleset)
    loaded = ruleset
    audience = for_audience(ruleset, lang=opts.lang, country=opts.country)
    prompter = make_prompter(opts)
    unfinished = find_unfinished(folder, patient) if saved is None else None
    if not audience.choice.chosen and len(ruleset.languages) > 1:
        # Nothing chose a language (no --lang, STM_SCREEN_LANG or locale language): ask, in every language.
        # The choice is kept in the run, so that a resumed run does not ask again, and neither does the
        # offer to continue an unfinished screening (it speaks the language that screening was started in).
        started_in = unfinished.run.get("lang") if unfinished is not None else None
        if isinstance(started_in, str) and started_in in ruleset.languages:
            opts = dataclasses.replace(opts, lang=started_in)
        else:
            opts = dataclasses.replace(opts, lang=choose_language_here(prompter, ruleset))
        audience = for_audience(ruleset, lang=opts.lang, country=opts.country)
    ruleset, contacts = audience.ruleset, audience.contacts
    for note in audience.notes:
        prompter.show(_("Note: {note}.").format(note=note), "note")
    if saved is None:
        saved = offer_unfinished(prompter, unfinished)
        if saved is not None:
            before = (opts.lang, opts.country)
            opts = resumed_options(opts, {**saved.run, "rules": None})
            if (opts.lang, opts.country) != before:  # the stopped run's language and country
                audience = for_audience(loaded, lang=opts.lang, country=opts.country)
                ruleset, contacts = audience.ruleset, audience.contacts
    kept = opts.save or opts.report_dir is not None or opts.report is not None
    if opts.next_patient and not kept:
        prompter.show(
            _(
                "Note: results will not be kept. To keep them, start again with --save (the local history) or "
                "--report-dir FOLDER."
            )
            if dumb_terminal()  # (nothing is cleared there: said just below)
            else _(
                "Note: results will not be kept. Each one is shown, then cleared for the next patient. To keep "
                "them, start again with --save (the local history) or --report-dir FOLDER."
            ),
            "note",
        )

    if opts.next_patient and dumb_terminal() and stdout_is_terminal():
        prompter.show(
            _(
                "Note: this terminal cannot be cleared (TERM=dumb), so each patient's result stays on it for "
                "the next patient to see. Use another terminal, or close this one between patients."
            ),
            "note",
        )

    session = Session()
    ask_reference = opts.patient is not None or bool(saved is not None and saved.run.get("ask_reference"))
    n = int(saved.run.get("n", 1)) if saved is not None and isinstance(saved.run.get("n"), int) else 1
    while True:
        target = report_path(opts.report, n)
        check_report(target, opts.force, opts.rules, ruleset, opts)
        try:
            done = screen_one(
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
                offer_copy=not opts.next_patient,
                report_dir=opts.report_dir,
                run=run_state(opts, _rules_spec(rules), n, ask_reference),
            )
        except SystemExit:  # stopped mid-way (Ctrl-C, a closed terminal): the patients before still count
            session_summary(prompter, session)
            raise
        session.done += 1
        session.kept += int(done.kept)
        session.last = patient
        saved = None
        if not opts.next_patient:
            return
        patient = next_patient(prompter, ask_reference=ask_reference, session=session)
        n += 1


def choose_language_here(prompter: Prompter, ruleset: Ruleset) -> str:
    """The welcome screen's language menu: each of the ruleset's languages named in itself."""
    from stm_screen.core.language import native_name
    from stm_screen.prompt.ask import Option

    names = [native_name(code) for code in ruleset.languages]
    heading = " / ".join(dict.fromkeys(_language_word(code) for code in ruleset.languages))
    options = [Option(code, f"{name} ({code})") for code, name in zip(ruleset.languages, names, strict=True)]
    try:
        return prompter.select(heading, options, default=ruleset.languages[0])
    except EOFError:  # end of input (Ctrl-D) before the first question: said as the questionnaire says it
        with contextlib.suppress(OSError):
            sys.stdout.write("\n")
            sys.stdout.flush()
        say_error(_("stopped before any answer; nothing was saved"))
        raise SystemExit(int(ExitCode.INTERRUPTED)) from None


def _language_word(code: str) -> str:
    """'Language' in that language (for the menu's heading)."""
    from stm_screen.i18n import speaking

    with speaking(code):
        return _("Language")


def find_unfinished(folder: Path, patient: str | None) -> Saved | None:
    """The stopped screening to offer when the questionnaire starts again: that patient's with --patient,
    else the newest one stopped without a patient reference (never another patient's answers)."""
    from stm_screen.prompt import resume as resume_files

    found: Saved | None = None
    for path in resume_files.saved_files(folder):
        try:
            candidate = resume_files.load(path)
        except UsageError:
            continue
        if candidate.patient != patient:
            continue
        try:  # one being answered in another window is not offered here
            resume_files.release(path, resume_files.hold(path))
        except resume_files.AlreadyOpen:
            continue
        found = candidate
        break
    return found


def offer_unfinished(prompter: Prompter, found: Saved | None) -> Saved | None:
    """Offer the stopped screening found (:func:`find_unfinished`): continue it, or start again."""
    from stm_screen.prompt import resume as resume_files

    if found is None:
        return None
    when = _local_time(found.saved_at)
    n = len(found.answers)
    try:
        choice = prompter.select(
            ngettext(
                "You have an unfinished screening from {when} ({n} answer). Continue it?",
                "You have an unfinished screening from {when} ({n} answers). Continue it?",
                n,
            ).format(when=when, n=n),
            [
                Option("continue", _("Yes, continue where I stopped")),
                Option("new", _("No, start again (the unfinished answers are deleted)")),
            ],
            default=None if prompter.plain else "continue",
        )
    except EOFError:
        return None
    if choice == "continue":
        return found
    resume_files.delete(found.path)
    return None


def _local_time(saved_at: str) -> str:
    """'10:32' today, else '2026-12-05 10:32', in local time."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(saved_at).astimezone()
    except ValueError:
        return _("earlier")
    today = datetime.now().astimezone().date()
    return f"{moment:%H:%M}" if moment.date() == today else f"{moment:%Y-%m-%d %H:%M}"


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


def next_patient(prompter: Prompter, ask_reference: bool, session: Session | None = None) -> str | None:
    """Between patients: wait for staff, then clear the screen and scrollback. Returns the next reference;
    on q, says how many screenings were done and kept, and exits 0."""
    prompter.show("")

    def check(text: str) -> str | None:
        if text.lower() in ("q", "quit") or not text:
            return None
        if not ask_reference:  # a stray key is not taken as 'go on'
            return _("press Enter with nothing typed for the next patient, or type q to finish.")
        from stm_screen.core.patient import PATIENT_RULE, is_patient_ref

        # said after "Sorry: ", as every message about a typed answer is
        return None if is_patient_ref(text) else _(PATIENT_RULE) + "."

    message = (
        _("Next patient's reference (Enter for none, q to finish):")
        if ask_reference
        else _("Press Enter for the next patient, or type q to finish:")
        if dumb_terminal()
        else _("Press Enter to clear the screen for the next patient, or type q to finish:")
    )
    doubted: str | None = None  # a reference that may be a slip, typed once: the same again confirms it
    while True:
        try:
            word = prompter.text(message, check)
        except EOFError:
            word = "q"
        except KeyboardInterrupt:
            _clear()
            session_summary(prompter, session)
            raise
        if word.lower() in ("q", "quit"):
            _clear()
            session_summary(prompter, session)
            raise SystemExit(int(ExitCode.OK))
        if not ask_reference or word == doubted:
            break
        doubt = reference_doubt(word, session.last if session is not None else None)
        if doubt is None:
            break
        doubted = word
        prompter.show(doubt, "note")  # the reference is not repeated (it stays on the line typed above)
        message = (
            _("To use it, type it again; or type the right one (Enter for none, q to finish):")
            if word
            else _("Press Enter again to go on without one, or type the reference (q to finish):")
        )
    _clear()
    return check_patient(word) if ask_reference and word else None


def reference_doubt(ref: str, last: str | None) -> str | None:
    """Why a typed patient reference may be a slip of the keys (a stray key, or the last patient's
    reference again), or None: staff confirm such a reference by typing it again."""
    if not ref:
        return _("No reference was typed, though the patient before had one.") if last else None
    if last is not None and ref.casefold() == last.casefold():
        return _("That is the reference of the patient just screened.")
    if len(ref) < 3:
        return _("That reference is very short (a key pressed by mistake?).")
    return None


def session_summary(prompter: Prompter, session: Session | None) -> None:
    """How many screenings this --next session finished and kept: said however it ends (q, Ctrl-C)."""
    if session is None or not session.done:
        return
    prompter.show(
        ngettext(
            "Finished: {n} screening done in this session, {kept} kept.",
            "Finished: {n} screenings done in this session, {kept} kept.",
            session.done,
        ).format(n=session.done, kept=session.kept),
        "note",
    )


def _clear() -> None:
    if stdout_is_terminal() and not dumb_terminal():
        from stm_screen.render.safe import raw_stream

        raw_stream(sys.stdout).write(CLEAR)
        sys.stdout.flush()


def screen_one(*args: Any, **kwargs: Any) -> Done:
    """One person's screening (see :func:`_screen_one`); the screening's lock goes when it ends."""
    from stm_screen.prompt import resume as resume_files

    try:
        return _screen_one(*args, **kwargs)
    finally:
        resume_files.release_all()


def _screen_one(
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
    offer_copy: bool = False,
    report_dir: Path | None = None,
    run: dict[str, Any] | None = None,
    with_modules: str | None = None,
    texts: str | None = None,
) -> Done:
    """One person's screening: ask, show the result, write the report, forget the resume file."""
    from stm_screen.core.answers import Answer
    from stm_screen.io.datadir import data_dir
    from stm_screen.prompt import resume as resume_files
    from stm_screen.prompt.flow import Flow
    from stm_screen.prompt.questionnaire import Questionnaire, welcome

    answers: dict[str, Answer] = {}
    if saved is not None:
        path = saved.path
        lock = resume_files.hold(path)  # a second --resume of this screening is refused
        if not resume_files.same_rules(ruleset, saved) and not _carry_on_with_other_rules(
            ruleset, saved, prompter
        ):
            resume_files.delete(path)
            resume_files.release(path, lock)
            saved = None
    if saved is not None:
        answers, dropped = resume_files.restore(ruleset, saved)
    else:
        dropped = []
        path = resume_files.new_path(data_dir())
        lock = resume_files.hold(path)
    flow = Flow(ruleset, answers)

    for kind, text in welcome(ruleset, len(flow.expected()), patient):
        prompter.show(text, kind)
    if saved is not None:
        restored = len(flow.answers)
        prompter.show(
            ngettext("Welcome back: {n} answer restored.", "Welcome back: {n} answers restored.", restored).format(
                n=restored
            ),
            "note",
        )
        if dropped and resume_files.same_rules(ruleset, saved):
            prompter.show(
                ngettext(
                    "{n} saved answer could not be read back (the saved file was changed outside stm-screen?) "
                    "and will be asked again.",
                    "{n} saved answers could not be read back (the saved file was changed outside stm-screen?) "
                    "and will be asked again.",
                    len(dropped),
                ).format(n=len(dropped)),
                "note",
            )
        elif dropped:
            prompter.show(
                ngettext(
                    "{n} saved answer does not fit the rules in use and will be asked again.",
                    "{n} saved answers do not fit the rules in use and will be asked again.",
                    len(dropped),
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
                run=run,
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
        stopped(
            flow, path, ruleset, rules=rules, patient=patient, run=run, with_modules=with_modules, texts=texts
        )

    from stm_screen.core.engine import Scorer
    from stm_screen.core.explain import explain
    from stm_screen.io.clock import now
    from stm_screen.render.view import Stamp

    result = explain(ruleset, flow.values(), scorer=Scorer(ruleset), contacts=contacts)
    stamp = Stamp(now(), patient)
    show_result(result, prompter, stamp)
    kept = False
    if report is None and report_dir is not None:
        report = offered_path(report_dir, stamp, ".pdf")
    if report is not None:
        write_report(result, ruleset, report, stamp, force=force)
        prompter.show(kept_line(report, ruleset.country), "note")
        kept = True
    if save:
        # If saving fails the resume file stays, so the answers are not lost.
        from stm_screen.store import save_screening

        record_id = save_screening(result, ruleset=ruleset, patient=patient)
        prompter.show(_("Saved to the history as screening {id}.").format(id=record_id), "note")
        kept = True
    resume_files.delete(path)
    resume_files.release(path, lock)
    if report is None and offer_copy:
        kept = offer_report(result, ruleset, prompter, stamp) is not None
        show_recap(result, prompter)
    return Done(result, kept)


class Done(NamedTuple):
    result: Result
    kept: bool  # written to a report or the history


def kept_line(path: Path, country: str | None = None) -> str:
    """Said once the person has a copy (only then is 'bring it with you' said)."""
    from stm_screen.core.language import region_terms
    from stm_screen.i18n import current

    text = _(
        "Your result is saved in {path}. Print it, or bring it with you when you see a doctor or a "
        "physical therapist."
    )
    return region_terms(text, current(), country).format(path=path)


def default_report_folder() -> Path:
    """Where an offered copy goes: the Documents folder when there is one, else the home folder."""
    home = Path.home()
    try:
        from platformdirs import user_documents_path

        documents = user_documents_path()
    except Exception:  # noqa: BLE001 - any failure: the home folder
        documents = home
    return documents if documents.is_dir() else home


def offered_path(folder: Path, stamp: Stamp, suffix: str) -> Path:
    """pain-screening-2026-12-06-1405.pdf (with the patient reference, made safe for a file name), never
    an existing file's name."""
    import re

    ref = f"-{re.sub(r'[^A-Za-z0-9._-]+', '_', stamp.patient)}" if stamp.patient else ""
    # TRANSLATORS: the start of a report's file name: lower case, ASCII letters and hyphens only
    name = re.sub(r"[^a-z0-9-]+", "-", _("pain-screening").lower()).strip("-") or "pain-screening"
    base = f"{name}{ref}-{stamp.created:%Y-%m-%d-%H%M}"
    path = folder / f"{base}{suffix}"
    n = 2
    while path.exists():
        path = folder / f"{base}-{n}{suffix}"
        n += 1
    return path


def offer_report(result: Result, ruleset: Ruleset, prompter: Prompter, stamp: Stamp) -> Path | None:
    """At the end: offer a copy (PDF or web page) at a path the offer names. Stopping here keeps the
    result on screen and writes nothing."""
    from stm_screen.prompt.ask import Option

    folder = default_report_folder()
    pdf, page = offered_path(folder, stamp, ".pdf"), offered_path(folder, stamp, ".html")
    # The folder is named in the question (which wraps) and each file in its choice, so that a long path is
    # never cut at the edge of an arrow-key menu.
    options = [
        Option("pdf", _("Save it as a PDF: {path}").format(path=pdf.name)),
        Option("html", _("Save it as a web page: {path}").format(path=page.name)),
        Option("no", _("No, thank you")),
    ]
    if prompter.plain:
        prompter.show("")
    prompter.show(_("A copy would be saved in {folder}").format(folder=folder))
    try:
        choice = prompter.select(
            _("Would you like a copy of this result, to keep or to show a doctor?"),
            options,
            default=None if prompter.plain else "pdf",
        )
    except (KeyboardInterrupt, EOFError):
        return None
    if choice == "no":
        return None
    target = pdf if choice == "pdf" else page
    try:
        write_report(result, ruleset, target, stamp, force=False)
    except (StmScreenError, OSError) as exc:
        reason = getattr(exc, "strerror", None) or _("it could not be written")
        prompter.show(_("the copy was not saved ({reason}).").format(reason=reason), "error")
        return None
    prompter.show(kept_line(target, ruleset.country), "note")
    return target


def _carry_on_with_other_rules(ruleset: Ruleset, saved: Saved, prompter: Prompter) -> bool:
    """A stopped screening started with other rules (another id, version or file): say so plainly and
    let the person choose. True: go on with the rules in use; False: start again (the saved answers
    are removed)."""
    from stm_screen.prompt.ask import Option

    before = saved.ruleset
    was = f"{before.get('id', '?')} {before.get('version', '?')} (sha256 {str(before.get('sha256', '?'))[:12]})"
    now = f"{ruleset.id} {ruleset.version} (sha256 {ruleset.sha256[:12]})"
    prompter.show(
        _(
            "This stopped screening was started with the rules {was}; the rules in use now are {now}. "
            "Answers given under other rules may be read differently."
        ).format(was=was, now=now),
        "note",
    )
    try:
        choice = prompter.select(
            _("What would you like to do?"),
            [
                Option("again", _("Start again with the rules in use (the saved answers are removed)")),
                Option("continue", _("Continue: keep the saved answers that fit the rules in use")),
            ],
            default=None,
        )
    except EOFError:  # input ended (Ctrl-D) before a choice: nothing is changed, as at every other prompt
        with contextlib.suppress(OSError):
            sys.stdout.write("\n")
            sys.stdout.flush()
        with contextlib.suppress(OSError):
            say_error(
                _(
                    "stopped; the stopped screening was left as it was. To come back to it, run:\n"
                    "  stm-screen screen --resume"
                )
            )
        raise SystemExit(int(ExitCode.INTERRUPTED)) from None
    return choice == "continue"


def stopped(
    flow: Flow,
    path: Path,
    ruleset: Ruleset,
    *,
    rules: str | None,
    patient: str | None,
    run: dict[str, Any] | None = None,
    with_modules: str | None = None,
    texts: str | None = None,
) -> None:
    """Ctrl-C, end of input, closed terminal: save what there is and say how to continue. Exits 130."""
    from stm_screen.prompt import resume as resume_files

    values = flow.values()
    if values:
        try:
            resume_files.save(
                path,
                ruleset,
                values,
                rules=rules,
                patient=patient,
                run=run,
                with_modules=with_modules,
                texts=texts,
            )
            # The command on a line of its own: it is never split where the message wraps.
            message = ngettext(
                "stopped; your {n} answer is saved. To continue where you left off, run:\n"
                "  stm-screen screen --resume",
                "stopped; your {n} answers are saved. To continue where you left off, run:\n"
                "  stm-screen screen --resume",
                len(values),
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


def show_result(result: Result, prompter: Prompter, stamp: Stamp | None = None) -> None:
    """The details, then the summary last: what stays on the screen at the end."""
    from stm_screen.render.console import make_console
    from stm_screen.render.text import print_result

    prompter.show("")
    console = make_console(file=sys.stdout, width=_result_width())
    # Plain questionnaire output is what a screen reader gets: the score in words, without the bar.
    print_result(result, console, plain=prompter.plain, bar=not prompter.plain, stamp=stamp, height=_height())


def show_recap(result: Result, prompter: Prompter) -> None:
    """After the offer of a copy: the headline and what to do first again, the last thing on screen (on a
    small terminal the summary has scrolled off by then)."""
    from stm_screen.render.console import make_console
    from stm_screen.render.text import print_recap

    console = make_console(file=sys.stdout, width=_result_width())
    print_recap(result, console, plain=prompter.plain)


def _height() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).lines


def _result_width() -> int | None:
    """The terminal's width (Rich would assume 80 for TERM=dumb); without one, COLUMNS or 80 columns."""
    if stdout_is_terminal():
        import shutil

        return shutil.get_terminal_size((80, 24)).columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else 80


def write_report(result: Result, ruleset: Ruleset, path: Path, stamp: Stamp, *, force: bool) -> None:
    from stm_screen.io.atomic import write_bytes_atomic
    from stm_screen.render.report import ReportInfo, answer_lines, render_report_bytes, report_format

    info = ReportInfo(stamp.created, stamp.patient, answer_lines(ruleset, result))
    write_bytes_atomic(path, render_report_bytes(result, report_format(path), info), force=force)
