"""The streaming loop: each input is opened, its headers resolved once, then every record is scored and
written before the next is read. One output row per input record, in input order."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from stm_screen.batch.columns import (
    Options,
    Plan,
    RecordTwice,
    build_plan,
    missing_columns_error,
    no_match_error,
    one_line_columns,
)
from stm_screen.batch.mapping import Mapping
from stm_screen.batch.output import CsvWriter, Writer
from stm_screen.batch.presets import PRESETS, Column, Preset, detect_record, detect_table, header_rows
from stm_screen.batch.readers import (
    MAX_COLUMNS,
    BadRecord,
    LineError,
    RecordSource,
    Source,
    TableSource,
    _flat_text,
    bad_text_line,
    nul_column,
    nul_in_cell,
    open_source,
    too_many_columns,
)
from stm_screen.batch.scoring import Outcome, RecordScorer, error_outcome
from stm_screen.batch.segments import NO_EDGE, Edge
from stm_screen.core.quantity import count as count_of
from stm_screen.core.ruleset import Question, Ruleset
from stm_screen.errors import InputFileError, UsageError
from stm_screen.i18n import L_, _, ngettext, speaking

Notify = Callable[[str], None]
Progress = Callable[[int], None]

PROGRESS_EVERY = 0x3FFF  # report the read position every 16,384 records
_MISS = object()
CALIBRATION_ROWS = 2048
MAX_RAGGED = 256  # outcomes of ragged rows remembered (one per number of cells seen)
COMPILE_AFTER = 32  # JSON records: the loop of a key set is compiled once this many records had it


@dataclass(frozen=True)
class BatchSettings:
    preset: str | None = None
    delimiter: str | None = None
    options: Options = Options()
    jobs: int = 0  # processes for one large CSV or JSON Lines file: 0 = one per CPU (up to 4), 1 = this process only
    temp_dir: str | None = None  # where helper processes write their part of the output
    allow_missing: bool = False  # score files that lack a safety question's column (else exit 2)
    allow_missing_for: frozenset[str] = frozenset()  # ... but only these questions' columns
    events: tuple[str, ...] = ()  # REDCap longitudinal exports: score only the rows of these events
    memo_mb: int = 0  # what the memos of distinct answers may hold, roughly, in MB: 0 = scoring.MAX_MEMO_BYTES


SKIPPED = "skipped"  # writer.counts key ("skipped", event): rows of other events, not scored
EVENT_COLUMNS = ("redcap_event_name", "Event Name")
REPEAT_COLUMNS = ("redcap_repeat_instrument", "Repeat Instrument")
# a checkbox cell that is not ticked: raw '0', the labels export's 'Unchecked' (REDCap's web and API label
# exports: PyCap's export_records docstring), blank, or '0.0' after a round trip through pandas or R
_NOT_TICKED = frozenset({"", "0", "unchecked", "0.0"})


def _unticked(cell: Any) -> bool:
    if isinstance(cell, str):
        return cell.strip().casefold() in _NOT_TICKED
    return not cell  # a JSON list where one cell belongs: ticked unless empty


def _template_row(row: list[str], plan: Plan) -> bool:
    """The second row of the blank template (``form export csv``): under each question-id column, what that
    question accepts."""
    from stm_screen.interop.template import is_description_row

    cells = [
        (t.question, row[t.indices[0]])
        for t in plan.targets
        if not t.split and t.headers[0] == t.question.id and t.indices[0] < len(row)
    ]
    return is_description_row(cells)


def _quiet(_: str) -> None:
    return None


def _no_progress(_: int) -> None:
    return None


def shown_columns(headers: tuple[str, ...] | list[str], limit: int = 8) -> str:
    shown = ", ".join(f"'{h}'" for h in headers[:limit])
    if len(headers) > limit:
        return L_("{columns} and {n} more", columns=shown, n=len(headers) - limit)
    return shown


def _to(lang: str | None) -> AbstractContextManager[Any]:
    """Messages for the person on stderr in their language (the output stays in the data's, English)."""
    return speaking(lang) if lang else nullcontext()


def describe_plan(name: str, plan: Plan, ruleset: Ruleset, notify: Notify, lang: str | None = None) -> None:
    """Say on stderr which columns were left out and which questions have no column (names only). Safety
    questions without a column are not listed here: they stop the run, or (allowed) the summary names them
    once (see :func:`safety_gaps`). ``lang``: the language of the person reading stderr."""
    with _to(lang):
        if plan.unmatched:
            notify(
                ngettext(
                    "{file}: {n} column matches no question and is left out: {columns} (map it with --map if it "
                    "holds answers)",
                    "{file}: {n} columns match no question and are left out: {columns} (map them with --map if "
                    "they hold answers)",
                    len(plan.unmatched),
                ).format(file=name, n=f"{len(plan.unmatched):,}", columns=shown_columns(plan.unmatched))
            )
        others = [q for q in plan.unasked if not _needed(ruleset.by_id[q])]
        if others:
            notify(
                ngettext(
                    "{file}: no column for question: {ids}",
                    "{file}: no column for questions: {ids}",
                    len(others),
                ).format(file=name, ids=", ".join(others))
            )


def _needed(q: Question) -> bool:
    """A question whose column a file must have: a safety question, or a required one."""
    return q.safety or q.required


# Questions that pt-screen 2.0 added to the safety group of 1.x (and the age, which its rules use): an
# export made for a 1.x form lacks exactly these columns.
NEW_IN_PT_SCREEN_2 = frozenset(
    {
        "age_years",
        "both_legs_symptoms",
        "weakness_fast",
        "clumsy_hands_or_gait",
        "sudden_severe_headache",
        "jaw_scalp_headache",
        "dizziness_ongoing",
        "chest_arm_pain_exertion",
        "calf_swelling",
        "infection_risk",
        "minor_trauma",
        "fracture_risk",
        "blood_thinners",
        "morning_stiffness",
        "bone_pain_impact",
        "self_harm_danger",
    }
)


def safety_gaps(
    unasked: tuple[str, ...] | list[str], ruleset: Ruleset, records: bool = False
) -> tuple[str, ...]:
    """The safety (or required) questions among those with no column. ``records``: JSON records, whose
    keys a form tool leaves out for questions its skip logic hides, so a question asked only under an
    ``ask_if`` is not expected there."""
    return tuple(
        qid
        for qid in unasked
        if _needed(ruleset.by_id[qid]) and not (records and ruleset.by_id[qid].ask_if is not None)
    )


class MissingColumnsError(UsageError):
    """A file has no column for some safety question: its records could never be cleared (exit 2)."""

    def __init__(
        self, name: str, gaps: tuple[str, ...], ruleset: Ruleset, unmatched: tuple[str, ...]
    ) -> None:
        self.parts = [
            ngettext(
                "{file}: no column for {n} safety question: {ids}{old_export}; without it no record can be "
                "cleared of these warning signs",
                "{file}: no column for {n} safety questions: {ids}{old_export}; without them no record can be "
                "cleared of these warning signs",
                len(gaps),
            ).format(file=name, n=len(gaps), ids=", ".join(gaps), old_export=_old_export(gaps, ruleset)),
            L_("add the columns to the export, or map them with --map (start one with: stm-screen batch "
                "{file} --suggest-map), or score anyway with --allow-missing (each record is then 'incomplete', "
                "level see_doctor, unless a warning sign fired)", file=name),
        ]
        if unmatched:
            self.parts.append(
                L_("{file}: columns that match no question: {columns}", file=name, columns=shown_columns(unmatched))
            )
        super().__init__("\n".join(self.parts))

    def lines(self) -> list[str]:
        return list(self.parts)


# Safety questions each release of pt-screen added, newest last: an export made for an earlier release's form
# lacks those of every later release.
PT_SCREEN_RELEASES: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("1.x", "2.0.0", NEW_IN_PT_SCREEN_2),
    ("2.0", "2.1.0", frozenset({"hot_swollen_joint"})),
)


def _release(version: str) -> tuple[int, ...]:
    parts = version.split(".")
    return tuple(int(p) if p.isdigit() else 0 for p in parts)


def _old_export(gaps: tuple[str, ...], ruleset: Ruleset) -> str:
    """A note when the missing columns are exactly questions that later releases of the bundled ruleset
    added: the export was made for the form of an earlier release (the newest one that fits)."""
    if ruleset.id != "pt-screen" or not gaps:
        return ""
    added: set[str] = set()
    for old, introduced, questions in reversed(PT_SCREEN_RELEASES):
        if _release(introduced) > _release(ruleset.version):
            continue
        added |= questions
        if set(gaps) <= added:
            return " " + L_(
                "(this looks like an export made for pt-screen {old}: these questions are new since then, in "
                "pt-screen {version})",
                old=old,
                version=ruleset.version,
            )
    return ""


class Batch:
    """Scores inputs one after another into one writer."""

    def __init__(
        self,
        ruleset: Ruleset,
        mapping: Mapping | None,
        settings: BatchSettings,
        notify: Notify = _quiet,
        progress: Progress | None = None,
        person: str | None = None,
        inform: Notify | None = None,
    ) -> None:
        self.person = person  # the language of messages on stderr (None: the current one)
        self.inform = inform or notify  # how a file is read (the preset detected), not a warning
        self.ruleset = ruleset
        self.mapping = mapping
        self.settings = settings
        self.notify = notify
        self.progress = progress or _no_progress  # None: nobody watches, and the loop does not report
        self.parts: list[str] = []  # how the last file scored in parts went, range by range
        self.events_seen: set[str] = set()  # events of the rows seen (REDCap longitudinal exports)
        self.file_events: set[str] = set()  # the same, in the file being read
        self.event_misses: list[tuple[str, str]] = []  # (file, its events) of files without a wanted event
        # (file, safety questions with no column): files scored although they lack them (allowed)
        self.gaps: list[tuple[str, tuple[str, ...]]] = []

    def _budget(self) -> int | None:
        """The record scorer's memo budget in bytes (None: its default)."""
        return self.settings.memo_mb << 20 if self.settings.memo_mb > 0 else None

    def check_modules(self, name: str, unasked: tuple[str, ...] | list[str]) -> None:
        """Stop (exit 2) when an instrument asked for has no column at all: every record would come out
        without its scores, which is never what was meant (unless --allow-missing)."""
        if self.settings.allow_missing or (self.mapping is not None and self.mapping.allow_all_missing):
            return
        missing = set(unasked)
        for mod in self.ruleset.modules:
            ids = [q.id for q in mod.questions]
            if ids and all(qid in missing for qid in ids):
                with _to(self.person):
                    shown = ", ".join(ids[:4])
                    if len(ids) > 4:
                        shown = L_("{columns} and {n} more", columns=shown, n=len(ids) - 4)
                    raise UsageError(
                        L_("{file}: no column for any question of {instrument} ({ids}), so no record could be "
                            "given its scores; add the columns to the export, map them with --map, leave "
                            "{module} out of --with, or score anyway with --allow-missing", file=name, instrument=mod.short, ids=shown, module=mod.id)
                    )

    def check_gaps(self, name: str, gaps: tuple[str, ...], unmatched: tuple[str, ...]) -> None:
        """Stop (exit 2) for safety questions with no column, unless allowed; remember allowed ones."""
        if not gaps:
            return
        allowed = self.settings.allow_missing or bool(
            self.settings.allow_missing_for and set(gaps) <= self.settings.allow_missing_for
        )
        if not allowed and self.mapping is not None:
            allowed = self.mapping.allow_all_missing or set(gaps) <= self.mapping.allow_missing
        if not allowed:
            with _to(self.person):
                raise MissingColumnsError(name, gaps, self.ruleset, unmatched)
        self.gaps.append((name, gaps))

    def preset_for(self, detected: str, name: str, kind: str, quiet: bool = False) -> Preset:
        """The preset a file is read with: the one asked for, else the one detected (said, unless
        ``quiet``: only the id of a record that cannot be scored is looked for)."""
        chosen = self.settings.preset or (self.mapping.preset if self.mapping else None)
        with _to(self.person):
            if chosen is None:
                if detected != "plain" and not quiet:
                    if detected[0] in "aeio":
                        reading = _(
                            "{file}: reading as an {preset} export (detected; --preset chooses another)"
                        )
                    else:
                        reading = _(
                            "{file}: reading as a {preset} export (detected; --preset chooses another)"
                        )
                    self.inform(reading.format(file=name, preset=detected))
                chosen = detected
            if (chosen == "fhir") != (kind == "fhir"):
                what = _("a FHIR QuestionnaireResponse file") if kind == "fhir" else _("not FHIR JSON")
                raise UsageError(
                    L_("{file}: --preset {preset} does not fit this file ({what})", file=name, preset=chosen, what=what)
                )
        return PRESETS[chosen]

    def run(self, path: str, writer: Writer) -> int:
        """Score one input into the writer; return the number of records."""
        with _to(self.person):  # a file that cannot be opened stops the run: said to the person
            src = open_source(path, delimiter=self.settings.delimiter, jobs=self.settings.jobs)
        try:
            return self.run_source(src, writer)
        except UnicodeDecodeError:
            found = bad_text_line(path)
            line = found or (src.line() + 1 if isinstance(src, TableSource) else 0)
            enc = "UTF-16" if isinstance(src, TableSource) and src.encoding == "utf-16" else "UTF-8"
            where = f"{src.name}:{line}" if line else src.name
            with _to(self.person):
                raise InputFileError(
                    L_("{where}: the file is not {encoding} text from here on (it may be Windows-1252 or "
                        "Latin-1); export it again as UTF-8 (or UTF-16) and try again", where=where, encoding=enc)
                ) from None
        except csv.Error as exc:
            line = src.line() if isinstance(src, TableSource) else 0
            with _to(self.person):
                hint = ""
                if "field limit" in str(exc):
                    hint = _(" (a cell over 16 MB, or a cell opened with '\"' and never closed, so that it runs on)")
                raise InputFileError(
                    L_("{file}:{line}: cannot read the CSV: {reason}{hint}", file=src.name, line=line, reason=exc, hint=hint)
                ) from None
        finally:
            src.close()

    def run_source(self, src: Source, writer: Writer) -> int:
        """Score an opened source (a file's, or the library API's table or records) into the writer."""
        if isinstance(src, TableSource):
            return self._table(src, writer)
        return self._records(src, writer)

    # --- tables (CSV, TSV, XLSX) ------------------------------------------------------------------------

    def _table(self, src: TableSource, writer: Writer) -> int:
        rows = src.rows
        head: list[list[str]] = []
        for row in rows:  # the first rows that are not blank lines
            if len(row) > MAX_COLUMNS and not head:  # (a record this wide is its own error row, later)
                raise too_many_columns(src.name, len(row), header=False)
            if type(row) is LineError and not head:  # the header itself cannot be read (see readers.LineError)
                raise InputFileError(row.message)
            if row or type(row) is LineError:  # (a record that cannot be read is one: its error row)
                head.append(row)
                if len(head) == 3:
                    break
        if not head:
            with _to(self.person):
                raise InputFileError(L_("{file}: the file is empty", file=src.name))
        if src.checker is not None:
            for row in head[:1]:
                problem = src.checker.header_problem(row)
                if problem is not None:
                    raise InputFileError(problem)
        if head[0] and head[0][0].startswith("ï»¿"):  # a BOM read as Windows-1252 and saved again
            head[0] = [head[0][0][3:], *head[0][1:]]
        for warning in src.warning.splitlines():
            self.notify(warning)
        preset = self.preset_for(detect_table(head), src.name, "table")
        n_head = header_rows(preset, head)
        if len(head) < n_head:
            with _to(self.person):
                raise InputFileError(
                    ngettext(
                        "{file}: a {preset} export has {n} header rows, but the file has only {rows} row",
                        "{file}: a {preset} export has {n} header rows, but the file has only {rows} rows",
                        len(head),
                    ).format(file=src.name, preset=preset.name, n=n_head, rows=len(head))
                )
        for row in head[1:n_head]:  # a header row that cannot be read
            if type(row) is LineError:
                raise InputFileError(row.message)
        columns = preset.columns(head[:n_head])
        with _to(self.person):
            _check_headers(src.name, columns)
        with _to(self.person):  # its errors stop the run: said to the person (a record's plan is data)
            plan = build_plan(columns, self.ruleset, preset, self.mapping, self.settings.options, src.name)
        describe_plan(src.name, plan, self.ruleset, self.notify, self.person)

        def gaps() -> None:  # once the first records are read: a file without any is that error first
            self.check_gaps(src.name, safety_gaps(plan.unasked, self.ruleset), plan.unmatched)
            self.check_modules(src.name, plan.unasked)

        if len(head) > n_head and _template_row(head[n_head], plan):
            with _to(self.person):
                self.notify(
                    L_("{file}: row {row} says what each column accepts (the template of 'stm-screen form "
                        "export csv'); it is not a record", file=src.name, row=n_head + 1)
                )
            del head[n_head]
        first = head[n_head:]
        if src.checker is not None:  # the records read with the headers, checked now the width is known
            src.checker.width = plan.width
            src.checker.closed = one_line_columns(plan)
            first = src.checker.recheck(first)
            rows = src.rows = src.checker.rows  # read anew after a stray quote among the first records
        count = self._loop(chain(first, rows), plan, writer, src, pad=src.kind == "xlsx", gaps=gaps)
        self._check_events(src.name)
        if count == 0:
            with _to(self.person):
                raise InputFileError(
                    L_("{file}: the file has column headers but no records", file=src.name)
                )
        return count

    def _loop(
        self,
        rows: Iterator[list[str]],
        plan: Plan,
        writer: Writer,
        src: Source,
        pad: bool,
        gaps: Callable[[], None] | None = None,
    ) -> int:
        """The hot loop. Per record: one key of memoised cell tokens, one lookup, one formatted write.
        ``gaps``: called once the first rows are read, when some hold a record (before any is written)."""
        self.parts = []
        if isinstance(src, TableSource) and src.checker is not None:
            src.checker.width = plan.width  # from here on, a row the header width contradicts is split
        rs = RecordScorer(self.ruleset, plan, self._budget())
        rs.render = writer.render
        sample = list(islice(rows, CALIBRATION_ROWS))
        if gaps is not None and (any(sample) or len(sample) == CALIBRATION_ROWS):
            gaps()
        rs.calibrate(sample)
        width = plan.width
        rid_of = _id_getter(plan.id_indices)

        compiled: list[Callable[..., int]] = []
        edge = [NO_EDGE]  # set when the file is scored in parts (see batch.parallel)
        # A ragged row's outcome, made (and rendered by the writer) once per number of cells, as a
        # scorer's are once per distinct answers: a file of many ragged rows costs one line written each.
        ragged: dict[tuple[int, bool], Outcome] = {}

        def odd(row: list[str], n: int) -> tuple[list[str] | None, int]:
            """A row whose length differs from the header's: fixed, or written as an error."""
            if edge[0].fetched:  # the edge line after this process's range: the row holding it
                raise Edge(row, n)
            if type(row) is LineError:  # a line a stray '"' would have merged with the next (QuoteCheck)
                known = row.cells  # the cells before its stray quote (see readers.LineError)
                rid = rid_of([*known, *[""] * (width - len(known))]) if len(known) <= width else ""
                message = row.message if row.nul is None else _nul_message(row.nul, plan.headers)
                writer.write_other(n + 1, "" if "\x00" in rid else rid, error_outcome(message))
                return None, n + 1
            if not row:
                return None, n  # a blank line is not a record
            fixed = _fit(row, width, pad)
            if fixed is None:
                kind = (len(row), len(row) == 1 and not row[0].strip())
                out = ragged.get(kind)
                if out is None:
                    if len(ragged) >= MAX_RAGGED:
                        ragged.clear()
                    out = ragged[kind] = _ragged(kind[0], width, blank=kind[1])
                writer.write_other(n + 1, rid_of(row), out)
                return None, n + 1
            return fixed, n

        env = self._loop_env(rs, writer, src, plan, rid_of=rid_of, odd=odd)
        env.update(gget=rs.group_cells(), iget=rs.indiv_cells(), skip=self._skipper(plan, writer, sample))
        loop = _compile_loop(plan, rs, writer, env, watched=self.progress is not _no_progress)
        compiled.append(loop)
        writer.begin()
        n = loop(sample, 0)
        split = None
        # Scored in parts only past a full sample: by then the (at most 3) header rows kept in ``head``
        # have all been read, so the CSV reader alone holds the rest of the file.
        if isinstance(src, TableSource) and len(sample) == CALIBRATION_ROWS >= 3:
            from stm_screen.batch import columnar, parallel

            # very varied answers (most records of the sample an outcome of their own) gain nothing from
            # columns: the exact reader, in parts, is faster there
            varied = len(sample) >= columnar.VARIED_SAMPLE and rs.distinct_outcomes() > columnar.VARIED_SHARE * len(sample)
            # (unless the columnar reader makes the tails of such records in columns: columnar.concludes)
            if (not varied or columnar.concludes(rs)) and columnar.suits(src, writer, plan, sample, env["skip"]):
                watch = None if self.progress is _no_progress else self.progress
                ctx_c = columnar.Columnar(src, plan, rs, writer, loop, env, self.settings.jobs, watch)
                # its helpers count the lines before their cuts themselves (see Columnar._part)
                lazy = parallel.plan_split(src, writer, self.settings.jobs, n, self.settings.temp_dir, count=False)
                done = ctx_c.run(n, lazy)
                if done is not None:
                    writer.merge(rs.tally())
                    self.parts = ctx_c.report
                    return done
            split = parallel.plan_split(src, writer, self.settings.jobs, n, self.settings.temp_dir)
            if split is not None:
                ctx = parallel.Scoring(loop, env, rs, writer, edge, src, width, rows)
                n = parallel.run(ctx, split, n)
                self.parts = ctx.report
            elif (bounds := parallel.plan_xlsx(src, writer, self.settings.jobs, env["skip"])) is not None:
                ctx = parallel.Scoring(loop, env, rs, writer, edge, src, width, rows)
                n = parallel.run_xlsx(ctx, bounds, n, self.settings.temp_dir)
                self.parts = ctx.report
                rows = iter(())
        if split is None:
            n = loop(rows, n)
        writer.merge(rs.tally())
        return n

    def _bad_record_id(self, rec: BadRecord, preset: Any, src: RecordSource) -> str:
        """The id of a record that cannot be scored (a key held twice), read from its id column as any
        record's is, so that its error row can be joined back; "" when there is none to read."""
        if rec.record is None:
            return ""
        try:
            detected = detect_record(tuple(rec.record), src.kind)
            plan = self._record_plan(
                tuple(rec.record), preset or self.preset_for(detected, src.name, src.kind, quiet=True), src
            )
            keys = list(rec.record)
            twice = getattr(rec.record, "twice", None)
            if any(keys[i] == twice for i in plan.id_indices if i < len(keys)):
                return ""  # the id itself given twice: which one is meant cannot be told
            return _id_getter(plan.id_indices)([str(_flat_text(v)) for v in rec.record.values()])
        except (InputFileError, UsageError, ValueError, TypeError, IndexError):
            return ""

    def check_events_found(self) -> None:
        """After every input: an event asked for (``--event``, ``event:``) that no input has is a usage
        error (a typo, or the event's label where the file has its unique name): exit 2, nothing written,
        rather than an empty result that a script takes for success."""
        wanted = set(self.settings.events or (self.mapping.events if self.mapping else ()))
        if wanted and self.events_seen and not wanted & self.events_seen:
            shown = ", ".join(sorted(e for e in self.events_seen if e)[:8])
            where = (
                "--event" if self.settings.events else f"{self.mapping.path if self.mapping else ''}: event"
            )
            with _to(self.person):
                raise UsageError(
                    L_("{where}: no row of {wanted} in the input, so nothing was scored; the events in the "
                        "input: {shown}", where=where, wanted=", ".join(sorted(wanted)), shown=shown)
                )
        with _to(self.person):
            for name, shown in self.event_misses:
                self.notify(
                    L_("{file}: no row of event {wanted}; the events in the file: {shown}", file=name, wanted=", ".join(sorted(wanted)), shown=shown)
                )

    def _check_events(self, name: str) -> None:
        """Remember a file none of whose rows is of a wanted event (see :meth:`check_events_found`)."""
        wanted = set(self.settings.events or (self.mapping.events if self.mapping else ()))
        if wanted and self.file_events and not wanted & self.file_events:
            self.event_misses.append((name, ", ".join(sorted(e for e in self.file_events if e)[:8])))
        self.file_events = set()

    def _skipper(
        self, plan: Plan, writer: Writer, sample: Iterable[list[Any]] = ()
    ) -> Callable[[list[Any]], bool] | None:
        """REDCap longitudinal or repeating exports: a function telling the rows not to score (counted per
        event in the writer's counts): with ``--event``, rows of other events; without, rows of another
        event (or another repeating instrument) that answer no question. The events scored without
        ``--event`` are told from the first records (``sample``, rows under ``plan``): the event (and
        repeating instrument) of each record's first row that answers a question. REDCap lists a record's
        events in the project's order, the screening's first; a row of such an event is a record even when
        it answers nothing (someone who did not answer: incomplete, as with ``--event``), while a row of a
        follow-up event has the screening's columns blank because the form is not used there. None when
        there is nothing to skip."""
        wanted = frozenset(self.settings.events or (self.mapping.events if self.mapping else ()))
        if plan.preset.name != "redcap":
            if wanted:
                with _to(self.person):
                    raise UsageError(
                        L_("--event is for REDCap longitudinal exports; this is read as {preset}", preset=plan.preset.name)
                    )
            return None
        names = {h: i for i, h in enumerate(plan.headers)}
        event = next((names[c] for c in EVENT_COLUMNS if c in names), None)
        repeat = next((names[c] for c in REPEAT_COLUMNS if c in names), None)
        if event is None and repeat is None:
            if wanted:
                with _to(self.person):
                    raise UsageError(
                        L_("--event: the export has no event column ({columns}): it is not from a longitudinal "
                            "REDCap project", columns=_(" or ").join(EVENT_COLUMNS))
                    )
            return None
        singles = tuple(t.indices[0] for t in plan.targets if not t.split)
        splits = tuple(i for t in plan.targets if t.split for i in t.indices)
        seen = self.events_seen
        file_seen = self.file_events

        def which(row: list[Any]) -> str:
            name = str(row[event]) if event is not None else ""
            if repeat is not None and row[repeat]:
                name = f"{name} {row[repeat]}".strip()
            return name

        def answers(row: list[Any]) -> bool:
            return any(row[i] for i in singles) or not all(_unticked(row[i]) for i in splits)

        scored: set[str] = set()  # the events scored even where a row answers nothing (see above)
        if not wanted:
            suffix = {names[c] for c in plan.preset.id_suffix_columns if c in names}
            record = tuple(i for i in plan.id_indices if i not in suffix)  # the record id, event left out
            answered: set[tuple[Any, ...]] = set()
            for row in sample:
                if type(row) is list and len(row) == plan.width and answers(row):
                    rid = tuple(row[i] for i in record)
                    if rid not in answered:  # the record's first row that answers
                        answered.add(rid)
                        scored.add(which(row))

        def skip(row: list[Any]) -> bool:
            if event is not None:
                seen.add(str(row[event]))
                file_seen.add(str(row[event]))
            if wanted:
                if event is not None and row[event] in wanted:
                    return False
            elif answers(row) or which(row) in scored:
                return False
            key = (SKIPPED, which(row))
            writer.counts[key] = writer.counts.get(key, 0) + 1
            return True

        return skip

    # --- records (JSON, JSONL, FHIR) ----------------------------------------------------------------------

    def _loop_env(
        self, rs: RecordScorer, writer: Writer, src: Any, plan: Plan, *, rid_of: Any, odd: Any
    ) -> dict[str, Any]:
        """The names a compiled loop (:func:`_compile_loop`) reads, common to tables and JSON records."""
        env: dict[str, Any] = {
            "GM": rs.gmemo,
            "KEYED": rs.keyed,
            "key_slow": rs.key_slow,
            "for_key": rs.outcome_for_key,
            "put": writer.put,
            "write": writer.write,
            "note_bad": writer.note_bad,
            "progress": self.progress,
            "position": src.position,
            "rid_of": rid_of,
            "odd": odd,
            "PLAN": plan,
        }
        for k, memo in enumerate(rs.imemos):
            env[f"M{k}"] = memo
        for k, jmemo in enumerate(rs.jmemos):
            env[f"J{k}"] = jmemo
        return env

    def _record_loop(
        self,
        entry: _KeySet,
        keys: tuple[str, ...],
        head: list[Any],
        writer: Writer,
        src: RecordSource,
        skip: Any,
    ) -> Callable[..., int]:
        """The compiled loop of the tables (see :func:`_compile_loop`) for the records with these keys: a
        record's values in key order are a row of cells under the plan made of its keys. Calibrated on the
        first records with these keys."""
        rs, plan = entry.rs, entry.plan
        sample = [list(r.values()) for r in head if type(r) is dict and tuple(r) == keys]
        rs.calibrate(sample)

        def odd(row: list[Any], n: int) -> tuple[list[Any] | None, int]:  # pragma: no cover - never called
            raise AssertionError("a record's cells are as many as its keys")

        env = self._loop_env(rs, writer, src, plan, rid_of=entry.rid, odd=odd)
        env.update(score_row=rs.score_row, skip=skip)
        return _compile_loop(plan, rs, writer, env, watched=self.progress is not _no_progress, loose=True)

    def _record_plan(self, keys: tuple[str, ...], preset: Preset, src: RecordSource) -> Plan:
        """The plan of one JSON record's keys (raises InputFileError, e.g. two keys answer one question)."""
        columns = [Column(i, k) for i, k in enumerate(keys)]
        return build_plan(
            columns, self.ruleset, preset, self.mapping, self.settings.options, src.name, per_record=True
        )

    def _record_gaps(self, head: list[Any], src: RecordSource) -> Preset | None:
        """Safety questions that no record among the first ones answers (keys are a record's columns):
        stop, or remember them, as for a table. Returns the preset (None when no record can be read)."""
        first = next((r for r in head if not isinstance(r, BadRecord) and r), None)  # not an empty {}
        if first is None:
            return None
        preset = self.preset_for(detect_record(tuple(first), src.kind), src.name, src.kind)
        answered: set[str] = set()
        unmatched: dict[str, None] = {}
        for keys in dict.fromkeys(tuple(r) for r in head if not isinstance(r, BadRecord)):
            try:
                plan = self._record_plan(keys, preset, src)
            except InputFileError:  # e.g. two keys answer one question: that record's own error, later
                continue
            if not plan.targets and not answered and plan.unmatched:
                return preset  # keys that are not question ids: the loop says so (a mapping error)
            answered.update(t.question.id for t in plan.targets)
            unmatched.update(dict.fromkeys(plan.unmatched))
        if answered:  # else: no record answers anything (the loop says why)
            unasked = [q.id for q in self.ruleset.questions if q.id not in answered]
            self.check_gaps(src.name, safety_gaps(unasked, self.ruleset, records=True), tuple(unmatched))
            self.check_modules(src.name, unasked)
        return preset

    def _records(self, src: RecordSource, writer: Writer) -> int:
        """JSON records, whose keys may differ from record to record: one plan per key set. A record that
        cannot be read or planned (a broken JSONL line, two keys answering one question) is an error row;
        a record answering no question is an unanswered record, unless no record before it matched any
        column (then the keys are not question ids: a mapping error, exit 2). Once ``COMPILE_AFTER``
        records had one key set, the records that follow with it are read as rows by the tables' compiled
        loop (see :meth:`_record_loop`): the same outcomes, rows and errors, far less work per record.
        A large JSON Lines file is scored in parts by several processes (see batch.parallel)."""
        self.parts = []
        plans: dict[tuple[str, ...], _KeySet | Outcome] = {}
        refused: dict[tuple[str, ...], Callable[[list[Any]], str]] = {}  # key sets answering a question twice
        skippers: dict[tuple[str, ...], Any] = {}
        wants_row = getattr(writer, "wants_row", False)  # e.g. FHIR output: the record's own answers
        matched = False  # some record so far had a column answering a question
        described = False
        unused: set[int] | None = None  # mapped columns in no record so far (ids of their specs)
        specs = {id(s): s for s in self.mapping.columns} if self.mapping else {}
        last_headers: tuple[str, ...] = ()
        records = iter(src.records)
        head = list(islice(records, CALIBRATION_ROWS))
        preset = self._record_gaps(head, src)
        stream: Iterator[Any] = iter(())
        held: list[Any] = []  # the record that ended a run of records read by a compiled loop

        def run_of(keys: tuple[str, ...]) -> Iterator[list[Any]]:
            """The cells of the records that follow with the same keys, in the same order."""
            for rec in stream:
                if tuple(rec) == keys:
                    yield list(rec.values())
                else:
                    held.append(rec)
                    return

        def score(these: Iterator[Any], n: int) -> int:
            """Score the records of ``these`` (numbered on from ``n``); returns the number of records."""
            nonlocal stream, preset, matched, described, unused, last_headers
            stream = these
            while True:
                got = held.pop() if held else next(stream, _MISS)
                if got is _MISS:
                    break
                rec: Any = got
                n += 1
                if isinstance(rec, BadRecord):
                    writer.begin()
                    bad_id = rec.rid or self._bad_record_id(rec, preset, src)
                    writer.write_other(n, "" if "\x00" in bad_id else bad_id, error_outcome(rec.message))
                    continue
                keys = tuple(rec)
                entry = plans.get(keys)
                if entry is None:
                    if preset is None:
                        preset = self.preset_for(detect_record(keys, src.kind), src.name, src.kind)
                    try:
                        plan = self._record_plan(keys, preset, src)
                    except InputFileError as exc:  # e.g. two keys answer one question
                        entry = error_outcome(str(exc).removeprefix(f"{src.name}: "))
                        if isinstance(exc, RecordTwice) and exc.id_indices:  # the row keeps its id
                            refused[keys] = _id_getter(exc.id_indices)
                    else:
                        if not plan.targets and not matched and plan.unmatched:  # not an empty {}
                            raise no_match_error(self.ruleset, src.name, keys)
                        matched = matched or bool(plan.targets)
                        unused_here = {id(s) for s in plan.unused_specs}
                        unused = unused_here if unused is None else unused & unused_here
                        last_headers = plan.headers
                        if plan.targets and not described:  # the first record that answers something
                            described = True
                            describe_plan(src.name, plan, self.ruleset, self.notify, self.person)
                        if len(plans) > 256:
                            for old in plans.values():
                                if not isinstance(old, Outcome):
                                    writer.merge(old.rs.tally())
                            plans.clear()
                            refused.clear()
                        rs_new = RecordScorer(self.ruleset, plan, self._budget())
                        rs_new.render = writer.render
                        entry = _KeySet(rs_new, _id_getter(plan.id_indices), plan)
                    plans[keys] = entry
                writer.begin()
                if isinstance(entry, Outcome):
                    rid_of = refused.get(keys)
                    rid_here = rid_of([str(_flat_text(v)) for v in rec.values()]) if rid_of is not None else ""
                    writer.write_other(n, rid_here, entry)
                    continue
                rs, rid, rec_plan = entry.rs, entry.rid, entry.plan
                row = list(rec.values())
                skip = skippers.get(keys, _MISS)
                if skip is _MISS:
                    # the events to score are told from the first records with these keys
                    first = (list(r.values()) for r in head if type(r) is dict and tuple(r) == keys)
                    skip = skippers[keys] = self._skipper(rec_plan, writer, first)
                if skip is not None and skip(row):
                    continue
                if rec.get("__status__") == "entered-in-error":
                    writer.write_other(n, rid(row), error_outcome("the response is marked entered-in-error"))
                    continue
                out = rs.score_row(row)
                if not out.n:
                    writer.note_bad(n, out)
                if wants_row:
                    writer.write(n, rid(row), out, row, rec_plan)  # type: ignore[call-arg]
                else:
                    writer.write(n, rid(row), out)
                if not n & PROGRESS_EVERY:
                    self.progress(src.position())
                if entry.loop is None:
                    entry.seen += 1
                    if entry.seen == COMPILE_AFTER and rec_plan.targets and "__status__" not in keys:
                        entry.loop = self._record_loop(entry, keys, head, writer, src, skip)
                if entry.loop is not None:  # the records that follow with the same keys, as table rows
                    n = entry.loop(run_of(keys), n)
            return n

        def tallies() -> None:
            for done in plans.values():
                if not isinstance(done, Outcome):
                    writer.merge(done.rs.tally())
            plans.clear()

        split = None
        in_columns = None
        # In parts (or in columns) only when the first records already answer a question (so this process
        # names the columns, and every part's records find the keys matched).
        if len(head) == CALIBRATION_ROWS and preset is not None and self._answers(head, preset, src):
            from stm_screen.batch import parallel

            in_columns = self._column_keys(head, src, writer, preset)
            if in_columns is None:
                split = parallel.plan_records(src, writer, self.settings.jobs, self.settings.temp_dir)
        if in_columns is not None:  # JSON Lines: the rest in columns (see batch.columnar_jsonl)
            keys, start = in_columns
            where = [src.position]
            src.position = lambda: where[0]()  # read by the loops compiled from here on
            n = score(iter(head), 0)
            entry = plans.get(keys)
            if isinstance(entry, _KeySet) and entry.loop is not None and skippers.get(keys, _MISS) is None:
                n = self._in_columns(src, keys, start, entry, writer, score, where, n)
            else:  # pragma: no cover - _column_keys made sure of these
                n = score(records, n)
        elif split is None:
            n = score(chain(head, records), 0)
        else:
            from stm_screen.batch import parallel

            def in_helper() -> None:  # pragma: no cover - runs in a helper process
                nonlocal matched, described, unused
                matched = described = True  # as in one process, which scored the first records before
                unused = None  # the mapped columns in none of this part's records
                self._in_helper()

            def finish() -> dict[str, Any]:  # pragma: no cover - runs in a helper process
                tallies()
                seen = {"events": sorted(self.events_seen), "file_events": sorted(self.file_events)}
                return {**seen, "unused": None if unused is None else sorted(unused)}

            def merge(result: dict[str, Any]) -> None:
                nonlocal unused
                self.events_seen.update(str(e) for e in result["events"])
                self.file_events.update(str(e) for e in result["file_events"])
                if result["unused"] is not None:
                    theirs = {int(i) for i in result["unused"]}  # ids of the specs: the same in a forked copy
                    unused = theirs if unused is None else unused & theirs

            where = [src.position]
            src.position = lambda: where[0]()  # read by the loops compiled from here on
            ctx = parallel.RecordParts(score, chain(head, records), src, writer, where, in_helper, finish, merge)
            n = parallel.run_records(ctx, split)
            self.parts = ctx.report
            if unused and preset is not None:  # the message names the headers of the last plan made
                last_headers = self._last_planned(src, preset)
        self._check_events(src.name)
        tallies()
        if n == 0:
            with _to(self.person):
                raise InputFileError(L_("{file}: the file holds no records", file=src.name))
        if unused:
            raise missing_columns_error([specs[i] for i in unused], src.name, last_headers)
        return n

    def _column_keys(
        self, head: list[Any], src: RecordSource, writer: Writer, preset: Preset
    ) -> tuple[tuple[str, ...], int] | None:
        """The keys of the first records of a JSON Lines file whose rest may be read in columns (see
        batch.columnar_jsonl), and the byte offset after them: every one a flat record of texts with the
        same keys, answering a question, at most one id column, no rows to skip (REDCap events), no bare
        CR, the output plain CSV, the optional extra installed; else None."""
        if src.kind != "jsonl" or src.part is None or src.window is None or src.lines is None:
            return None
        if type(writer) is not CsvWriter or type(head[0]) is not dict or len(head) < COMPILE_AFTER:
            return None
        keys = tuple(head[0])
        if "__status__" in keys or "resourceType" in keys:
            return None
        if any(type(rec) is not dict or tuple(rec) != keys for rec in head):
            return None  # (whether every answer is a text is told from the bytes: columnar_jsonl.promising)
        try:
            plan = self._record_plan(keys, preset, src)
            if not plan.targets or len(plan.id_indices) > 1 or self._skipper(plan, writer) is not None:
                return None
        except (InputFileError, UsageError):  # said by the record loop, at the first record
            return None
        from stm_screen.batch import columnar

        if columnar.switched_off():
            return None
        try:  # where the first records end (None: a bare CR on the way)
            start = columnar._start_offset(src.window.fd, src.lines())
        except OSError:
            return None
        if start is None:
            return None
        from stm_screen.batch.columnar_jsonl import promising

        return (keys, start) if promising(src.window.fd, start, keys) else None

    def _in_columns(
        self,
        src: RecordSource,
        keys: tuple[str, ...],
        start: int,
        entry: _KeySet,
        writer: Writer,
        score: Callable[[Iterator[Any], int], int],
        where: list[Callable[[], int]],
        n: int,
    ) -> int:
        """The rest of a JSON Lines file after its first ``n`` records (see :meth:`_column_keys`), read in
        columns; the number of records."""
        from stm_screen.batch.columnar_jsonl import JsonLines

        assert src.lines is not None
        lines = src.lines()
        watch = None if self.progress is _no_progress else self.progress
        reader = JsonLines(src, keys, entry.plan, entry.rs, writer, score, where, self.settings.jobs, watch)
        n = reader.run_from(start, lines, n)
        self.parts = ["columns", *reader.report]
        return n

    def _answers(self, head: list[Any], preset: Preset, src: RecordSource) -> bool:
        """Does some record among the first ones answer a question (see :meth:`_record_gaps`)?"""
        for keys in dict.fromkeys(tuple(r) for r in head if not isinstance(r, BadRecord)):
            try:
                if self._record_plan(keys, preset, src).targets:
                    return True
            except InputFileError:
                continue
        return False

    def _in_helper(self) -> None:  # pragma: no cover - runs in a helper process
        """A helper of batch.parallel says nothing and reports no progress; the events it sees are its own."""
        self.notify = self.inform = _quiet
        self.progress = _no_progress
        self.events_seen = set()
        self.file_events = set()

    def _last_planned(self, src: RecordSource, preset: Preset) -> tuple[str, ...]:
        """The headers of the plan that one process makes last (see :meth:`_records`), once a file scored
        in parts turns out to lack a mapped column: the file read again, keys only (an error, exit 2)."""
        from stm_screen.batch import parallel

        plans: dict[tuple[str, ...], bool] = {}
        last: tuple[str, ...] = ()
        records, close = parallel.from_start(src)
        try:
            for rec in records:
                if isinstance(rec, BadRecord):
                    continue
                keys = tuple(rec)
                if keys in plans:
                    continue
                try:
                    plan = self._record_plan(keys, preset, src)
                except InputFileError:
                    plans[keys] = False
                    continue
                last = plan.headers
                if len(plans) > 256:
                    plans.clear()
                plans[keys] = True
        finally:
            close()
        return last


@dataclass
class _KeySet:
    """The scoring of the JSON records with one set of keys (in one order)."""

    rs: RecordScorer
    rid: Callable[[list[Any]], str]
    plan: Plan
    seen: int = 0  # records scored the plain way
    loop: Callable[..., int] | None = None  # compiled once COMPILE_AFTER records had these keys


def _nul_message(nul: tuple[str, int, str], headers: tuple[str, ...]) -> str:
    """The error row of a record holding a NUL (see readers.LineError.nul): its cell's column named by its
    title (a cell past the header's: by its number)."""
    where, k, cell = nul
    column = headers[k] if k < len(headers) and headers[k].strip() else str(k + 1)
    return nul_in_cell(nul_column(where, column, cell))


def _check_headers(name: str, columns: list[Column]) -> None:
    if not any(c.name for c in columns):
        raise InputFileError(L_("{file}: the first row holds no column names", file=name))


def _fit(row: list[str], width: int, pad: bool) -> list[str] | None:
    """A row with a trailing empty cell (trailing delimiter) or, in a workbook, trimmed empty cells."""
    if len(row) > width and not any(cell.strip() for cell in row[width:]):
        return row[:width]
    if len(row) < width and pad:
        return row + [""] * (width - len(row))
    return None


def _ragged(got: int, width: int, blank: bool = False) -> Outcome:
    """A record whose number of cells is not the header's (``blank``: its cells hold only spaces or tabs)."""
    if blank:
        return error_outcome(
            f"the line holds only spaces or tabs, not a record of the header's {count_of(width, 'column')}: "
            "delete the line, or the spaces on it"
        )
    return error_outcome(
        f"the record has {count_of(got, 'cell')} but the header has {count_of(width, 'column')} (a missing or extra "
        "delimiter, or an unquoted line break?)"
    )


def _id_getter(indices: tuple[int, ...]) -> Callable[[list[Any]], str]:
    if not indices:
        return lambda row: ""
    if len(indices) == 1:
        i = indices[0]

        def one(row: list[Any]) -> str:
            try:
                value = row[i]
            except IndexError:
                return ""
            return value if isinstance(value, str) else str(value)

        return one

    def joined(row: list[Any]) -> str:
        parts = [str(row[i]) for i in indices if i < len(row) and row[i] != ""]
        return "/".join(parts)

    return joined


def _cell_expr(indices: tuple[int, ...], split: bool) -> str:
    if not split:
        return f"row[{indices[0]}]"
    return "(" + "".join(f"row[{i}], " for i in indices) + ")"


def _compile_loop(
    plan: Plan,
    rs: RecordScorer,
    writer: Writer,
    env: dict[str, Any],
    watched: bool = True,
    loose: bool = False,
) -> Callable[..., int]:
    """The record loop, written out for this plan (column indices inlined) and compiled once.

    Generated code, as namedtuple and dataclasses do: only integers (column positions) and fixed names go
    into the source, never text from the input. Per record it reads each cell once, looks its token up in
    the column's memo, then the outcome of the token tuple, and writes one line.

    ``loose``: JSON records, whose cells may be tuples (a list answering a question) where the fast key
    joins texts: such a record is scored the plain way (``score_row``, in ``env``), as it was before.
    """
    targets = plan.targets
    group = "(" + "".join(f"row[{targets[i].indices[0]}], " for i in rs.group) + ")"
    joined = '"\\x00".join(' + group + ")"  # one string: far cheaper to hash than a tuple of cells
    # each group of tied columns: its cells joined, looked up in its own memo (the class of the answers)
    tied = ["(" + "".join(f"row[{targets[i].indices[0]}], " for i in members) + ")" for members in rs.joint]
    jkeys = "".join(f'J{k}["\\x00".join({cells})], ' for k, cells in enumerate(tied))
    indiv = [_cell_expr(targets[i].indices, targets[i].split) for i in rs.indiv]
    key = "(GM[" + joined + "], " + jkeys + "".join(f"M{k}[{e}], " for k, e in enumerate(indiv)) + ")"
    gcells = group
    icells = "(" + "".join(f"{e}, " for e in indiv) + ")" + "".join(f", {cells}" for cells in tied)
    if loose:
        rid = "rid_of(row)"  # a record's id may be a number's text or a list's tuple: as text
    elif len(plan.id_indices) == 1:
        rid = f"row[{plan.id_indices[0]}]"
    elif not plan.id_indices:
        rid = '""'
    else:
        rid = "rid_of(row)"
    env["PREFIX"] = writer.prefix
    if writer.csv:
        line = 'f"{PREFIX}{n},{rid}{out.tail}"'
    else:
        line = """f'{PREFIX}"row": {n}, "id": "{rid}"{out.tail}'"""
    fast = "rid.isalnum() or not rid" if writer.fast else "False"
    # a writer that needs each record's own answers (FHIR output) gets its cells and the plan
    call = "write(n, rid, out, row, PLAN)" if getattr(writer, "wants_row", False) else "write(n, rid, out)"
    # the read position for a progress bar, every 16,384 records; left out when nobody watches
    tick = f"        if not n & {PROGRESS_EVERY}:\n            progress(position())" if watched else ""
    # REDCap longitudinal exports: rows of other events are counted, not scored (see Batch._skipper)
    skip_line = "        if skip(row):\n            continue" if env.get("skip") is not None else ""
    # key_slow runs after the handler: the KeyError holds the joined cells it missed, a copy of a long
    # cell that would live on while key_slow reads the cell (issue 10: a cell at the size limit)
    if loose:
        lookup = f"""        slow = False
        try:
            key = {key}
        except KeyError:
            key, slow = None, True
        except TypeError:
            key = None
        if slow:
            try:
                key = key_slow({gcells}, {icells})
            except TypeError:
                key = None
        if key is None:
            out = score_row(row)
            if not out.n:
                note_bad(n, out)
        else:
            out = KEYED.get(key)
            if out is None:
                out = for_key(key)
                if not out.n:
                    note_bad(n, out)"""
    else:
        lookup = f"""        try:
            key = {key}
        except KeyError:
            key = None
        if key is None:
            key = key_slow({gcells}, {icells})
        out = KEYED.get(key)
        if out is None:
            out = for_key(key)
            if not out.n:
                note_bad(n, out)"""
    source = f"""
def loop(rows, n):
    for row in rows:
        if len(row) != {plan.width}:
            row, n = odd(row, n)
            if row is None:
                continue
        n += 1
{skip_line}
{lookup}
        rid = {rid}
        if {fast}:
            out.n += 1
            put({line})
        else:
            {call}
{tick}
    return n
"""
    code = compile(source, "<stm_screen.batch.runner loop>", "exec")
    exec(code, env)  # noqa: S102 - generated from integers and fixed names only
    loop: Callable[..., int] = env["loop"]
    return loop
