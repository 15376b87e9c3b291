"""Bodies of ``stm-screen batch`` and ``stm-screen rules diff``: options checked, pipeline called,
summary on stderr. The machinery lives in :mod:`stm_screen.batch`."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from stm_screen.cli.errors import say_error
from stm_screen.core.quantity import count
from stm_screen.errors import ExitCode, InputFileError, UsageError

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


def _data_in_english() -> None:
    """Batch output is data for scripts: its fields and messages never change with the language."""
    from stm_screen.i18n import activate

    activate(None)


def note(line: str) -> None:
    say_error(line)


def _check(o: CommandOptions, inputs: list[str], formats: tuple[str, ...] = FORMATS) -> str | None:
    from stm_screen.batch.presets import PRESET_NAMES

    if o.fmt not in formats:
        raise UsageError(f"unknown --format '{o.fmt}'; choose one of: {', '.join(formats)}")
    if o.preset is not None and o.preset not in PRESET_NAMES:
        from stm_screen.core.conditions import suggest

        raise UsageError(
            f"unknown --preset '{o.preset}'{suggest(o.preset, PRESET_NAMES)}; choose one of: "
            f"{', '.join(PRESET_NAMES)}"
        )
    if o.multi_separator is not None and not o.multi_separator:
        raise UsageError("--multi-separator must not be empty")
    delimiter = o.delimiter
    if delimiter is not None:
        delimiter = _DELIMITER_WORDS.get(delimiter.lower(), delimiter)
        if len(delimiter) != 1 or delimiter in '"\r\n':
            raise UsageError("--delimiter must be one character such as , ; | or the word tab")
    if "-" in inputs:
        raise UsageError("reading standard input is not supported; give the export's file name")
    for path in inputs:
        _readable(path)
    return delimiter


def _readable(path: str) -> None:
    """An input that cannot be opened stops the run before anything is scored (exit 2)."""
    p = Path(path)
    try:
        if p.is_dir():
            raise UsageError(f"{path}: is a folder, not a survey export (nothing was scored)")
        with open(p, "rb"):
            pass
    except FileNotFoundError:
        what = "a broken symbolic link" if p.is_symlink() else "no such file"
        raise UsageError(f"{path}: {what} (nothing was scored)") from None
    except PermissionError:
        raise UsageError(f"{path}: permission denied: cannot read it (nothing was scored)") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror or type(exc).__name__}; nothing was scored)") from None


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
        where = "standard output" if target == "-" else target
        raise InputFileError(f"cannot write the output to {where} ({exc.strerror})") from None


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
    if _is_special(path):  # /dev/null, /dev/stdout, a FIFO: write in place, never rename over it
        try:
            special = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputFileError(f"{target}: cannot write ({exc.strerror or type(exc).__name__})") from None
        with special:
            yield special
        return
    from stm_screen.io.atomic import atomic_writer

    with atomic_writer(path, newline="") as handle:
        yield handle


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
    if not sys.stderr.isatty() or total < PROGRESS_MIN_BYTES or os.environ.get("TERM") == "dumb":
        return None, (lambda _name: None), contextlib.nullcontext()
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from stm_screen.render.console import make_console

    progress = Progress(
        TextColumn("scoring"),
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
    )


def _check_allowed(ids: str | None, ruleset: Ruleset) -> None:
    """--allow-missing Q[,Q...]: each a question id of the ruleset."""
    if not ids:
        return
    from stm_screen.core.conditions import suggest

    known = [q.id for q in ruleset.questions]
    for qid in (q.strip() for q in ids.split(",")):
        if qid and qid not in known:
            raise UsageError(f"--allow-missing: unknown question '{qid}'{suggest(qid, known)}")


def _absolute_uri(text: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    return bool(parts.scheme) and " " not in text and (parts.scheme not in ("http", "https") or bool(parts.netloc))


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
    _data_in_english()
    delimiter = _check(o, inputs, BATCH_FORMATS)
    _guard_output(o, inputs, [("--rules", o.rules)])
    if o.fhir_bundle not in ("collection", "transaction"):
        raise UsageError(f"unknown --fhir-bundle '{o.fhir_bundle}'; choose one of: collection, transaction")
    if o.fmt != "fhir" and (
        o.patient_system is not None or o.response_system is not None or o.fhir_bundle != "collection"
    ):
        raise UsageError("--patient-system, --response-system and --fhir-bundle are for --format fhir")
    for option, uri, example in (
        ("--patient-system", o.patient_system, "https://hospital.example.org/mrn"),
        ("--response-system", o.response_system, "https://redcap.example.org/project/42"),
    ):
        if uri is not None and not _absolute_uri(uri):
            raise UsageError(f"{option}: '{uri}' is not an absolute URI such as {example} or urn:oid:1.2.3.4")
    from stm_screen.batch.mapping import load_mapping
    from stm_screen.batch.output import WRITERS
    from stm_screen.batch.runner import Batch
    from stm_screen.screening import load_rules

    ruleset = load_rules(o.rules, o.with_modules, o.texts)
    _guard_loaded(o, ruleset)
    from stm_screen.cli.errors import tell_notices

    tell_notices(ruleset)
    _check_allowed(o.allow_missing_for, ruleset)
    mapping = load_mapping(o.mapping, ruleset) if o.mapping else None
    settings = _settings(o, delimiter)
    update, start, bar = _progress(inputs)
    batch = Batch(ruleset, mapping, settings, notify=note, progress=update)
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
    _summary(writer.counts, writer.bad, ruleset, inputs, batch.gaps)
    shared = getattr(writer, "shared_ids", None)
    if shared:
        note(
            f"the transaction matches each response on its {shared} record id in the system "
            "urn:stm-screen:response, which every project shares: record 1 of another project (or form) sent "
            "to the same server would be taken for this one's and not stored; name this project's system with "
            "--response-system URI (such as your project's address)"
        )
    left_out = getattr(writer, "left_out", 0)
    if left_out:
        note(
            f"{count(left_out, 'record')} with errors {'is' if left_out == 1 else 'are'} not in the transaction "
            "Bundle (a server would refuse "
            "the whole transaction for them); fix them and send them again"
        )
    if any(status == "error" for status, _ in writer.counts):
        _exit(ExitCode.INVALID_DATA)


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
    source = inputs[0] if len(inputs) == 1 else f"{len(inputs)} files"
    parts = ", ".join(f"{by_status.get(s, 0):,} {s}" for s in ("ok", "incomplete", "error"))
    note(f"{count(total, 'record')} from {source}: {parts}")
    levels = sorted(ruleset.levels, key=lambda lv: -lv.rank)
    shown = ", ".join(f"{lv.id} {by_level[lv.id]:,}" for lv in levels if by_level.get(lv.id))
    if shown:
        note(f"levels: {shown}")
    if skipped:
        total_skipped = sum(skipped.values())
        each = ", ".join(f"{event or '(no event)'} {n:,}" for event, n in sorted(skipped.items()))
        note(f"{count(total_skipped, 'row')} of other events skipped, not scored: {each}")
    for file, qids in gaps:
        note(
            f"{file}: no column for warning-sign {'question' if len(qids) == 1 else 'questions'} "
            f"{', '.join(qids)} (allowed): the warning "
            "signs that ask them could not be checked, in any record"
        )
    if ignored:
        order = {q.id: q.order for q in ruleset.questions}
        shown_ignored = ", ".join(f"{q} {ignored[q]:,}" for q in sorted(ignored, key=lambda q: order.get(q, 0)))
        note(
            f"answers ignored because skip logic does not ask the question (an answer it depends on makes "
            f"it not apply; left from a form that kept hidden answers?): {shown_ignored} (records per column)"
        )
    if by_status.get("incomplete"):
        unchecked = getattr(ruleset, "unchecked", None)
        open_level = f"the level is {unchecked.level}" if unchecked is not None else "no level is given"
        note(
            "incomplete: some warning signs could not be ruled out ('not sure', unanswered, or no column), "
            f"so no physical-therapy level is given: {open_level}, or that of a warning sign that fired"
        )
    if bad:
        note("first records with errors:")
        for file, row, message in bad:
            where = f"{file} row {row}" if len(inputs) > 1 else f"row {row}"
            note(f"  {where}: {message}")


def suggest(inputs: list[str], o: CommandOptions) -> None:
    _data_in_english()
    delimiter = _check(o, inputs)
    if len(inputs) != 1:
        raise UsageError("--suggest-map reads one export at a time")
    _guard_output(o, inputs, [("--rules", o.rules)])
    if o.output != "-" and not o.force and Path(o.output).exists() and not _is_special(Path(o.output)):
        raise UsageError(f"--output {o.output}: already exists; use --force to overwrite it (nothing was written)")
    from stm_screen.batch.suggest import suggest_mapping
    from stm_screen.screening import load_rules

    ruleset = load_rules(o.rules, o.with_modules)
    _guard_loaded(o, ruleset)
    text = suggest_mapping(inputs[0], ruleset, o.preset, delimiter)
    with _output(o.output) as handle:
        handle.write(text)
    if o.output != "-":
        note(f"wrote a starter mapping to {o.output}; check it, then pass it with --map")


def diff(old: str, new: str, inputs: list[str], o: CommandOptions) -> None:
    _data_in_english()
    delimiter = _check(o, inputs)
    _guard_output(o, inputs, [("OLD", old), ("NEW", new)])
    from stm_screen.batch.diff import run_diff
    from stm_screen.batch.mapping import load_mapping
    from stm_screen.screening import load_rules

    old_rules = load_rules(old)
    new_rules = load_rules(new)
    _guard_loaded(o, old_rules)
    _guard_loaded(o, new_rules)
    old_map = load_mapping(o.mapping, old_rules) if o.mapping else None
    new_map = load_mapping(o.mapping, new_rules) if o.mapping else None
    settings = _settings(o, delimiter)
    with _stop_signals(), _output(o.output) as handle:
        result = run_diff(inputs, old_rules, new_rules, old_map, new_map, settings, handle, o.fmt, note)
    label_old = f"{old_rules.id} {old_rules.version}"
    label_new = f"{new_rules.id} {new_rules.version}"
    note(
        f"{count(result.records, 'record')}; {result.changed:,} change level from {label_old} to {label_new}"
    )
    for (before, after), n in result.changes.most_common():
        note(f"  {before or '-'} -> {after or '-'}: {n:,}")
    for label, gaps in ((label_old, result.gaps_old), (label_new, result.gaps_new)):
        for file, qids in gaps:
            note(
                f"{file}: no column for {count(len(qids), 'warning-sign question')} of {label} "
                f"({', '.join(qids)}): "
                f"under {label} they could not be checked for any record"
            )
    if result.errors_old or result.errors_new:
        note(
            f"records with errors (not scored): {result.errors_old:,} under {label_old}, "
            f"{result.errors_new:,} under {label_new}; `stm-screen batch` shows which and why"
        )
        _exit(ExitCode.INVALID_DATA)
