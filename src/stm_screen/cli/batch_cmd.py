"""Bodies of ``stm-screen batch`` and ``stm-screen rules diff``: options checked, pipeline called,
summary on stderr. The machinery lives in :mod:`stm_screen.batch`."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from stm_screen.cli.errors import say_error
from stm_screen.errors import ExitCode, InputFileError, UsageError, os_reason
from stm_screen.i18n import _, ngettext

if TYPE_CHECKING:
    from stm_screen.batch.output import Writer
    from stm_screen.batch.runner import BatchSettings
    from stm_screen.core.ruleset import Ruleset

FORMATS = ("csv", "jsonl")
BATCH_FORMATS = (*FORMATS, "fhir")  # a FHIR R4 Bundle (stm_screen.interop.fhir_writer); not for rules diff
PROGRESS_MIN_BYTES = 20 * 1024 * 1024
_DELIMITER_WORDS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


@dataclass(frozen=True)
class CommandOptions:
    rules: str | None
    preset: str | None
    mapping: str | None
    id_column: str | None
    delimiter: str | None
    decimal_comma: bool
    multi_separator: str | None
    output: str
    fmt: str
    jobs: int = 0
    allow_missing: bool = False
    allow_missing_for: str | None = None  # Q[,Q...]: only these questions may have no column
    force: bool = False  # --suggest-map: replace an existing mapping file
    patient_system: str | None = None
    response_system: str | None = None
    fhir_bundle: str = "collection"
    event: str | None = None
    with_modules: str | None = None
    texts: str | None = None


def _exit(code: ExitCode) -> None:
    """Stop with the command's own exit code (1: some records had errors), as Typer's Exit, which both
    the Typer app and the fast path in cli.main pass on. Typer is imported only then."""
    import typer

    raise typer.Exit(int(code))


# The language of the person who ran the command: the option checks before any data and the summary on
# standard error are said in it; the output (data for scripts) stays English.
_PERSON = {"lang": "en"}


def _data_in_english() -> None:
    """Batch output is data for scripts: its fields and messages never change with the language."""
    from stm_screen.i18n import activate, current

    _PERSON["lang"] = current()
    activate(None, person=False)


@contextlib.contextmanager
def _to_the_person() -> Iterator[None]:
    """For the summary on standard error: the language of the person who ran the command."""
    from stm_screen.i18n import speaking

    with speaking(_PERSON["lang"]):
        yield


def note(line: str) -> None:
    """A warning or an error on standard error: the run is not a success when it cannot be written."""
    say_error(line)


def inform(line: str) -> None:
    """A count, or how a file was read (the preset detected): lost with a closed standard error, it leaves
    the run's success as it was (its output says the same)."""
    say_error(line, needed=False)


def _check(o: CommandOptions, inputs: list[str], formats: tuple[str, ...] = FORMATS) -> str | None:
    from stm_screen.batch.presets import PRESET_NAMES

    if o.fmt not in formats:
        raise UsageError(
            _("unknown --format '{format}'; choose one of: {choices}").format(
                format=o.fmt, choices=", ".join(formats)
            )
        )
    if o.preset is not None and o.preset not in PRESET_NAMES:
        from stm_screen.core.conditions import suggest

        raise UsageError(
            _("unknown --preset '{preset}'{suggestion}; choose one of: {choices}").format(
                preset=o.preset, suggestion=suggest(o.preset, PRESET_NAMES), choices=", ".join(PRESET_NAMES)
            )
        )
    if o.multi_separator is not None and not o.multi_separator:
        raise UsageError(_("--multi-separator must not be empty"))
    if o.event is not None and not o.event.replace(",", "").strip():  # a script's unset $EVENT: not 'every event'
        raise UsageError(_("--event must name at least one event (as in the export's redcap_event_name)"))
    delimiter = o.delimiter
    if delimiter is not None:
        delimiter = _DELIMITER_WORDS.get(delimiter.lower(), delimiter)
        if len(delimiter) != 1 or delimiter in '"\r\n':
            raise UsageError(_("--delimiter must be one character such as , ; | or the word tab"))
    if "-" in inputs:
        raise UsageError(_("reading standard input is not supported; give the export's file name"))
    for path in inputs:
        _readable(path)
    return delimiter


def _readable(path: str) -> None:
    """An input that cannot be opened stops the run before anything is scored (exit 2)."""
    p = Path(path)
    try:
        if p.is_dir():
            raise UsageError(
                _("{file}: is a folder, not a survey export (nothing was scored)").format(file=path)
            )
        if stat.S_ISREG(p.stat().st_mode):
            with open(p, "rb"):
                pass
        elif not os.access(p, os.R_OK):
            # A named pipe (mkfifo) is never opened here: opening and closing it would end the writer's
            # only read, and the reading open later would wait for a writer for ever.
            raise PermissionError
    except FileNotFoundError:
        if p.is_symlink():
            raise UsageError(
                _("{file}: a broken symbolic link (nothing was scored)").format(file=path)
            ) from None
        raise UsageError(_("{file}: no such file (nothing was scored)").format(file=path)) from None
    except PermissionError:
        raise UsageError(
            _("{file}: permission denied: cannot read it (nothing was scored)").format(file=path)
        ) from None
    except OSError as exc:
        raise UsageError(
            _("{file}: cannot read it ({reason}; nothing was scored)").format(
                file=path, reason=os_reason(exc)
            )
        ) from None


_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


@contextlib.contextmanager
def _output(target: str) -> Iterator[IO[str]]:
    """The output handle; a write that fails (disk full) becomes one clear message, exit 1."""
    try:
        with _open_output(target) as handle:
            yield handle
    except BrokenPipeError:
        raise
    except OSError as exc:
        if exc.errno not in _FULL:
            raise
        where = _("standard output") if target == "-" else target
        raise InputFileError(
            _("cannot write the output to {where} ({reason})").format(where=where, reason=exc.strerror)
        ) from None


@contextlib.contextmanager
def _open_output(target: str) -> Iterator[IO[str]]:
    if target == "-":
        out = sys.stdout
        if (out.encoding or "").lower().replace("-", "") not in ("utf8", "utf8sig") and hasattr(
            out, "reconfigure"
        ):
            out.flush()
            out.reconfigure(encoding="utf-8")  # the same bytes as --output FILE, whatever the locale
        yield out
        out.flush()
        return
    path = Path(target)
    from stm_screen.io.atomic import atomic_writer, open_special

    if _is_special(path):  # /dev/null, /dev/stdout, a FIFO: write in place, never rename over it
        try:
            with open_special(path, newline="") as special:
                yield special
        except OSError as exc:
            # the program reading a FIFO left, a device is full: said of this output, never of standard output
            if isinstance(exc, BrokenPipeError) or exc.errno in _WRITE_ERRORS:
                from stm_screen.cli.streams import write_reason
                from stm_screen.i18n import L_

                raise InputFileError(
                    L_("{path}: cannot write ({reason}); the output is incomplete", path=str(path), reason=write_reason(exc.errno))
                ) from None
            raise
        return

    with atomic_writer(path, newline="") as handle:
        yield handle


_WRITE_ERRORS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def _is_special(path: Path) -> bool:
    from stm_screen.io.atomic import is_special

    return is_special(path)


@contextlib.contextmanager
def _stop_signals() -> Iterator[None]:
    """SIGTERM (``timeout``, a job scheduler) and SIGHUP (a closed terminal) stop the run like Ctrl-C:
    the temp output file is removed and the exit code is 130. A signal ignored on entry (``nohup``) stays
    ignored."""
    import signal

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    saved: list[tuple[int, Any]] = []
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None or signal.getsignal(sig) is signal.SIG_IGN:
            continue
        try:
            saved.append((sig, signal.signal(sig, stop)))
        except (ValueError, OSError):  # not the main thread
            pass
    try:
        yield
    finally:
        for sig, handler in saved:
            signal.signal(sig, handler)


def _progress(inputs: list[str]) -> tuple[Callable[[int], None] | None, Callable[[str], None], Any]:
    """A Rich progress bar on stderr, only for large inputs on a terminal (else no update function)."""
    sizes = {p: _size(p) for p in inputs}
    total = sum(sizes.values())
    from stm_screen.render.console import dumb_terminal

    if not sys.stderr.isatty() or total < PROGRESS_MIN_BYTES or dumb_terminal():
        return None, (lambda _name: None), contextlib.nullcontext()
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from stm_screen.render.console import make_console

    progress = Progress(
        TextColumn(_("scoring")),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=make_console(stderr=True),
        transient=True,
        auto_refresh=False,  # redrawn on each update: no drawing thread, so a large file can be split
    )
    task = progress.add_task("scoring", total=total)
    state = {"base": 0, "size": 0}

    def update(pos: int) -> None:
        progress.update(task, completed=state["base"] + min(pos, state["size"]), refresh=True)

    def start(name: str) -> None:
        state["base"] += state["size"]
        state["size"] = sizes.get(name, 0)
        progress.update(task, completed=state["base"], refresh=True)

    return update, start, progress


def _settings(o: CommandOptions, delimiter: str | None, allow_missing: bool | None = None) -> BatchSettings:
    """How inputs are read and scored, from the command's options (the delimiter already checked)."""
    from stm_screen.batch.columns import Options
    from stm_screen.batch.runner import BatchSettings

    return BatchSettings(
        preset=o.preset,
        delimiter=delimiter,
        options=Options(o.id_column, o.decimal_comma, o.multi_separator),
        jobs=o.jobs,
        temp_dir=_temp_dir(o.output),
        allow_missing=o.allow_missing if allow_missing is None else allow_missing,
        allow_missing_for=frozenset(q.strip() for q in (o.allow_missing_for or "").split(",") if q.strip()),
        events=tuple(e.strip() for e in o.event.split(",") if e.strip()) if o.event else (),
        memo_mb=_memo_mb(),
    )


def _memo_mb() -> int:
    """``STM_SCREEN_MEMO_MB``: what remembering distinct answers may take, roughly (0 or unset: the default,
    64). A value that is not a whole number of at least 1 is a usage error."""
    raw = os.environ.get("STM_SCREEN_MEMO_MB", "").strip()
    if raw.isascii() and raw.isdigit() and int(raw) == 0 or not raw:
        return 0
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 1 << 20:
        from stm_screen.errors import printable

        raise UsageError(
            _("STM_SCREEN_MEMO_MB must be a whole number of megabytes from 1 to 1048576, not '{value}'").format(
                value=printable(raw[:40])
            )
        )
    return int(raw)


def _check_allowed(ids: str | None, ruleset: Ruleset) -> None:
    """--allow-missing Q[,Q...]: each a question id of the ruleset."""
    if not ids:
        return
    from stm_screen.core.conditions import suggest

    known = [q.id for q in ruleset.questions]
    for qid in (q.strip() for q in ids.split(",")):
        if qid and qid not in known:
            raise UsageError(
                _("--allow-missing: unknown question '{id}'{suggestion}").format(
                    id=qid, suggestion=suggest(qid, known)
                )
            )


def _absolute_uri(text: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    return (
        bool(parts.scheme)
        and " " not in text
        and (parts.scheme not in ("http", "https") or bool(parts.netloc))
    )


def _temp_dir(target: str) -> str | None:
    """Where parallel helpers keep their part of the output: beside the output file (the same disk and
    the same protection as the result), or the system's temp folder for standard output or a device."""
    if target == "-" or _is_special(Path(target)):
        return None
    folder = Path(target).parent
    return str(folder) if folder.is_dir() else None


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _guard_output(o: CommandOptions, inputs: list[str], rules: list[tuple[str, str | None]]) -> None:
    """The output is none of the files this command reads (inputs, rules, mapping, the history store)."""
    from stm_screen.io.sameness import module_paths, paths_of, refuse_output_over_inputs, rules_paths

    read = paths_of("input", inputs) + paths_of("--map", [o.mapping]) + paths_of("--texts", [o.texts])
    read += paths_of("--with", module_paths(o.with_modules))
    for label, spec in rules:
        read += paths_of(label, rules_paths(spec))
    refuse_output_over_inputs(o.output, read)


def _guard_loaded(o: CommandOptions, ruleset: Any) -> None:
    """Once loaded, the files the rules came from (modules a rules file includes among them)."""
    from stm_screen.io.sameness import loaded_paths, refuse_output_over_inputs

    refuse_output_over_inputs(o.output, loaded_paths(ruleset))


def run(inputs: list[str], o: CommandOptions) -> None:
    _guard_output(o, inputs, [("--rules", o.rules)])  # before any input is opened (a FIFO would wait)
    delimiter = _check(o, inputs, BATCH_FORMATS)
    if o.fhir_bundle not in ("collection", "transaction"):
        raise UsageError(
            _("unknown --fhir-bundle '{kind}'; choose one of: collection, transaction").format(
                kind=o.fhir_bundle
            )
        )
    if o.fmt != "fhir" and (
        o.patient_system is not None or o.response_system is not None or o.fhir_bundle != "collection"
    ):
        raise UsageError(_("--patient-system, --response-system and --fhir-bundle are for --format fhir"))
    for option, uri, example in (
        ("--patient-system", o.patient_system, "https://hospital.example.org/mrn"),
        ("--response-system", o.response_system, "https://redcap.example.org/project/42"),
    ):
        if uri is not None and not _absolute_uri(uri):
            raise UsageError(
                _("{option}: '{uri}' is not an absolute URI such as {example} or urn:oid:1.2.3.4").format(
                    option=option, uri=uri, example=example
                )
            )
    _data_in_english()
    from stm_screen.batch.mapping import load_mapping
    from stm_screen.batch.output import WRITERS
    from stm_screen.batch.runner import Batch
    from stm_screen.cli.errors import tell_notices
    from stm_screen.screening import load_rules

    with _to_the_person():  # the rules' and mapping's problems stop the run before any data: said to the person
        ruleset = load_rules(o.rules, o.with_modules, o.texts)
        _guard_loaded(o, ruleset)
        tell_notices(ruleset)
        _check_allowed(o.allow_missing_for, ruleset)
        mapping = load_mapping(o.mapping, ruleset) if o.mapping else None
    settings = _settings(o, delimiter)
    update, start, bar = _progress(inputs)
    batch = Batch(ruleset, mapping, settings, notify=note, progress=update, person=_PERSON["lang"], inform=inform)
    with _stop_signals(), _output(o.output) as handle, bar:
        if o.fmt == "fhir":
            from stm_screen.interop.fhir_writer import FhirWriter

            writer: Writer = FhirWriter(
                handle,
                with_file=len(inputs) > 1,
                ruleset=ruleset,
                patient_system=o.patient_system,
                response_system=o.response_system,
                bundle_type=o.fhir_bundle,
            )
        else:
            from stm_screen.batch.scoring import module_fields

            writer = WRITERS[o.fmt](handle, with_file=len(inputs) > 1, extra=module_fields(ruleset))
        writer.untranslated = o.output != "-" or os.linesep == "\n"  # files: newline=""; stdout: os.linesep
        for path in inputs:
            writer.start_file(path)
            start(path)
            batch.run(path, writer)
        batch.check_events_found()
        writer.begin()
        writer.finish()
    with _to_the_person():
        _summary(writer.counts, writer.bad, ruleset, inputs, batch.gaps)
        _fhir_notes(writer)
    if any(status == "error" for status, _ in writer.counts):
        _exit(ExitCode.INVALID_DATA)


def _fhir_notes(writer: Any) -> None:
    """What a FHIR transaction Bundle's sender should know (on stderr)."""
    shared = getattr(writer, "shared_ids", None)
    if shared:
        note(
            _(
                "the transaction matches each response on its {kind} record id in the system "
                "urn:stm-screen:response, which every project shares: record 1 of another project (or form) sent "
                "to the same server would be taken for this one's and not stored; name this project's system "
                "with --response-system URI (such as your project's address)"
            ).format(kind=shared)
        )
    left_out = getattr(writer, "left_out", 0)
    if left_out:
        note(
            ngettext(
                "{n} record with errors is not in the transaction Bundle (a server would refuse the whole "
                "transaction for it); fix it and send it again",
                "{n} records with errors are not in the transaction Bundle (a server would refuse the whole "
                "transaction for them); fix them and send them again",
                left_out,
            ).format(n=f"{left_out:,}")
        )


def _summary(
    counts: dict[tuple[str, str], int],
    bad: list[tuple[str, int, str]],
    ruleset: Any,
    inputs: list[str],
    gaps: Sequence[tuple[str, tuple[str, ...]]] = (),
) -> None:
    """Counts per status and level, the safety questions that had no column (once per file), and the first
    bad records (file and row only, never the id)."""
    from stm_screen.batch.runner import SKIPPED
    from stm_screen.batch.scoring import IGNORED

    by_status: dict[str, int] = {}
    by_level: dict[str, int] = {}
    ignored: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for (status, level), n in counts.items():
        if status == IGNORED:
            ignored[level] = ignored.get(level, 0) + n
            continue
        if status == SKIPPED:
            skipped[level] = skipped.get(level, 0) + n
            continue
        by_status[status] = by_status.get(status, 0) + n
        if level:
            by_level[level] = by_level.get(level, 0) + n
    total = sum(by_status.values())
    if len(inputs) == 1:
        source = inputs[0]
    else:
        source = ngettext("{n} file", "{n} files", len(inputs)).format(n=len(inputs))
    # The statuses are the output's own words (ok, incomplete, error): data, not translated.
    parts = ", ".join(f"{by_status.get(s, 0):,} {s}" for s in ("ok", "incomplete", "error"))
    inform(
        ngettext(
            "{n} record from {source}: {statuses}", "{n} records from {source}: {statuses}", total
        ).format(n=f"{total:,}", source=source, statuses=parts)
    )
    levels = sorted(ruleset.levels, key=lambda lv: -lv.rank)
    shown = ", ".join(f"{lv.id} {by_level[lv.id]:,}" for lv in levels if by_level.get(lv.id))
    if shown:
        inform(_("levels: {levels}").format(levels=shown))
    if skipped:
        total_skipped = sum(skipped.values())
        no_event = _("(no event)")
        each = ", ".join(f"{event or no_event} {n:,}" for event, n in sorted(skipped.items()))
        note(
            ngettext(
                "{n} row of other events skipped, not scored: {events}",
                "{n} rows of other events skipped, not scored: {events}",
                total_skipped,
            ).format(n=f"{total_skipped:,}", events=each)
        )
    for file, qids in gaps:
        note(
            ngettext(
                "{file}: no column for warning-sign question {ids} (allowed): the warning signs that ask it "
                "could not be checked, in any record",
                "{file}: no column for warning-sign questions {ids} (allowed): the warning signs that ask them "
                "could not be checked, in any record",
                len(qids),
            ).format(file=file, ids=", ".join(qids))
        )
    if ignored:
        order = {q.id: q.order for q in ruleset.questions}
        shown_ignored = ", ".join(
            f"{q} {ignored[q]:,}" for q in sorted(ignored, key=lambda q: order.get(q, 0))
        )
        note(
            _(
                "answers ignored because skip logic does not ask the question (an answer it depends on makes "
                "it not apply; left from a form that kept hidden answers?): {columns} (records per column)"
            ).format(columns=shown_ignored)
        )
    if by_status.get("incomplete"):
        unchecked = getattr(ruleset, "unchecked", None)
        if unchecked is not None:
            open_level = _("the level is {level}").format(level=unchecked.level)
        else:
            open_level = _("no level is given")
        inform(
            _(
                "incomplete: some warning signs could not be ruled out ('not sure', unanswered, or no column), "
                "so no physical-therapy level is given: {level}, or that of a warning sign that fired"
            ).format(level=open_level)
        )
    if bad:
        # The messages are the output's error column, as written there (English).
        note(_("first records with errors:"))
        for file, row, message in bad:
            if len(inputs) > 1:
                where = _("{file} row {row}").format(file=file, row=row)
            else:
                where = _("row {row}").format(row=row)
            note(f"  {where}: {message}")


def suggest(inputs: list[str], o: CommandOptions) -> None:
    _guard_output(o, inputs, [("--rules", o.rules)])
    delimiter = _check(o, inputs)
    if len(inputs) != 1:
        raise UsageError(_("--suggest-map reads one export at a time"))
    if o.output != "-" and not o.force and Path(o.output).exists() and not _is_special(Path(o.output)):
        raise UsageError(
            _("--output {file}: already exists; use --force to overwrite it (nothing was written)").format(
                file=o.output
            )
        )
    _data_in_english()
    from stm_screen.batch.suggest import suggest_mapping
    from stm_screen.screening import load_rules

    with _to_the_person():
        ruleset = load_rules(o.rules, o.with_modules)
        _guard_loaded(o, ruleset)
        text = suggest_mapping(inputs[0], ruleset, o.preset, delimiter)  # a file for the person to edit
    with _output(o.output) as handle:
        handle.write(text)
    if o.output != "-":
        with _to_the_person():
            inform(
                _("wrote a starter mapping to {file}; check it, then pass it with --map").format(
                    file=o.output
                )
            )


def diff(old: str, new: str, inputs: list[str], o: CommandOptions) -> None:
    _guard_output(o, inputs, [("OLD", old), ("NEW", new)])
    delimiter = _check(o, inputs)
    for path in inputs:  # read twice, once under each ruleset: a pipe gives its records once only
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise UsageError(
                _(
                    "{file}: rules diff reads each export twice (once under each ruleset), and a pipe can be "
                    "read only once; save it to a file first (nothing was scored)"
                ).format(file=path)
            )
    _data_in_english()
    from stm_screen.batch.diff import run_diff
    from stm_screen.batch.mapping import load_mapping
    from stm_screen.screening import load_rules

    with _to_the_person():
        old_rules = load_rules(old)
        new_rules = load_rules(new)
        _guard_loaded(o, old_rules)
        _guard_loaded(o, new_rules)
        old_map = load_mapping(o.mapping, old_rules) if o.mapping else None
        new_map = load_mapping(o.mapping, new_rules) if o.mapping else None
    settings = _settings(o, delimiter)
    with _stop_signals(), _output(o.output) as handle:
        result = run_diff(inputs, old_rules, new_rules, old_map, new_map, settings, handle, o.fmt, note)
    with _to_the_person():
        _diff_summary(result, f"{old_rules.id} {old_rules.version}", f"{new_rules.id} {new_rules.version}")
    if result.errors_old or result.errors_new:
        _exit(ExitCode.INVALID_DATA)


def _diff_summary(result: Any, label_old: str, label_new: str) -> None:
    inform(
        ngettext(
            "{n} record; {changed} change level from {old} to {new}",
            "{n} records; {changed} change level from {old} to {new}",
            result.records,
        ).format(n=f"{result.records:,}", changed=f"{result.changed:,}", old=label_old, new=label_new)
    )
    for (before, after), n in result.changes.most_common():
        inform(f"  {before or '-'} -> {after or '-'}: {n:,}")
    for label, gaps in ((label_old, result.gaps_old), (label_new, result.gaps_new)):
        for file, qids in gaps:
            note(
                ngettext(
                    "{file}: no column for {n} warning-sign question of {rules} ({ids}): under {rules} it could "
                    "not be checked for any record",
                    "{file}: no column for {n} warning-sign questions of {rules} ({ids}): under {rules} they could "
                    "not be checked for any record",
                    len(qids),
                ).format(file=file, n=len(qids), rules=label, ids=", ".join(qids))
            )
    if result.errors_old or result.errors_new:
        note(
            _(
                "records with errors (not scored): {old_errors} under {old}, {new_errors} under {new}; "
                "`stm-screen batch` shows which and why"
            ).format(
                old_errors=f"{result.errors_old:,}",
                old=label_old,
                new_errors=f"{result.errors_new:,}",
                new=label_new,
            )
        )
