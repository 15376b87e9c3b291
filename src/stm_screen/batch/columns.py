"""Headers -> questions, resolved once per file into a :class:`Plan` the runner follows for every row.

A column answers a question when (first match wins): the mapping file names it; it is the id column or a
platform metadata column (left out); its header is the question id; it is a REDCap checkbox column
``<question>___<choice>``; its header (or the question text above it) is the question's text, after folding
case, spaces and punctuation; or it is one option of a split multi-select (``Question - Option``, REDCap
``Question (choice=Option)``, SurveyMonkey's option row).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from stm_screen.batch.mapping import ColumnSpec, Mapping
from stm_screen.batch.presets import PATH_PRESETS, Column, Preset, fold, is_metadata, norm, path_candidates
from stm_screen.batch.values import Converter, ValueOptions, choice_table, converter, split_converter
from stm_screen.core.answers import Answer
from stm_screen.core.conditions import suggest
from stm_screen.core.ruleset import Question, Ruleset
from stm_screen.errors import InputFileError, MappingError, Problem, UsageError, printable
from stm_screen.i18n import L_
from stm_screen.interop.conditions import checkbox_choice

# platforms whose numeric exports number each question's choices (a yes/no answer as 1 or 2): which number
# means yes is not in the export (Qualtrics' numeric values, SurveyMonkey's "numerical value" mode)
RECODING_PRESETS = frozenset({"qualtrics", "surveymonkey"})
_QUALTRICS_SUFFIXES = (" - Selected Choice", " - Response", " - Text")
_REDCAP_CHOICE = re.compile(r"^(.*)\s*\(choice=(.*)\)$")
_PANDAS_DUP = re.compile(r"^(.*)\.\d+$")
CLOSED_TYPES = frozenset({"boolean", "integer", "number", "choice"})  # answers that are never free text


@dataclass(frozen=True)
class Options:
    """Command-line options that shape how columns are read."""

    id_column: str | None = None
    decimal_comma: bool = False
    multi_separator: str | None = None


@dataclass(frozen=True)
class Target:
    """One question and where its answer is: one column, or one column per option."""

    question: Question
    indices: tuple[int, ...]
    headers: tuple[str, ...]
    split: bool
    convert: Converter | None = None  # one column
    convert_split: object = None  # (tuple of cells) -> answer, for split columns
    one_line: bool = False  # its answers never hold a line break (yes/no, number, choice: not free text)

    @property
    def label(self) -> str:
        if self.split:
            return f"{self.question.id} (columns {', '.join(repr(h) for h in self.headers)})"
        head = self.headers[0]
        return self.question.id if head == self.question.id else f"{self.question.id} (column '{head}')"

    def read(self, cell: object) -> Answer | None:
        if self.split:
            assert callable(self.convert_split)
            result: Answer | None = self.convert_split(cell)
            return result
        assert self.convert is not None
        return self.convert(cell)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Plan:
    targets: tuple[Target, ...]
    id_indices: tuple[int, ...]
    width: int
    unmatched: tuple[str, ...]  # headers that answer no question (metadata excluded)
    unasked: tuple[str, ...]  # question ids with no column
    preset: Preset
    headers: tuple[str, ...] = field(default=())
    unused_specs: tuple[ColumnSpec, ...] = ()  # mapped columns not in these headers (per-record plans)
    id_given: bool = False  # the id column was named (--id-column, a mapping's id_column)


def one_line_columns(plan: Plan) -> frozenset[int]:
    """The columns whose cells never hold a line break: the id column(s), and those answering one
    question with a closed set of answers (see ``Target.one_line``). A quoted cell there that spans lines
    was opened by a stray quote (see ``readers.QuoteCheck``)."""
    return frozenset(plan.id_indices).union(*(t.indices for t in plan.targets if t.one_line))


@dataclass
class _Match:
    question: Question
    choice: str | None  # split column for this choice
    spec: ColumnSpec | None
    column: Column
    key: str = ""  # the column's name in a mapping file (see mapping_names)


def mapping_names(columns: Sequence[Column]) -> list[str]:
    """How a mapping file names each column: its header, or for the n-th repeat of a header that occurs
    more than once (Google and Microsoft Forms keep duplicated question titles) the header with pandas'
    suffix, 'Title.1', 'Title.2', ..."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for col in columns:
        k = seen.get(col.name, 0)
        seen[col.name] = k + 1
        out.append(f"{col.name}.{k}" if k and col.name else col.name)
    return out


def _question_texts(ruleset: Ruleset) -> dict[str, Question]:
    """Folded question text (every language), then aliases -> question. An alias two questions share
    answers neither."""
    table: dict[str, Question] = {}
    for q in ruleset.questions:
        for text in (q.text.default, *q.text.by_lang.values()):
            if text:
                table.setdefault(norm(text), q)
    aliases: dict[str, Question | None] = {}
    for q in ruleset.questions:
        for alias in q.aliases:
            key = norm(alias)
            if key and key not in table:
                aliases[key] = q if aliases.get(key, q) is q else None  # None: two questions share it
    table.update({k: q for k, q in aliases.items() if q is not None})
    return table


def _text_match(text: str, texts: dict[str, Question]) -> Question | None:
    if not text:
        return None
    for suffix in _QUALTRICS_SUFFIXES:
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    return texts.get(norm(text))


def _option_match(q: Question, option: str) -> str | None:
    if q.type != "multi_choice" or not option:
        return None
    return choice_table(q).get(norm(option))


def _match(
    col: Column,
    ruleset: Ruleset,
    by_id: dict[str, Question],
    texts: dict[str, Question],
    preset: Preset | None = None,
) -> tuple[Question, str | None] | None:
    name = col.name
    q = by_id.get(norm(name))
    if q is not None:
        return q, None
    if preset is not None and preset.name in PATH_PRESETS:
        for head, option in path_candidates(preset, name):  # group paths, 'question/option' columns
            q = by_id.get(norm(head)) or _text_match(head, texts)
            if q is None:
                continue
            if not option:
                return q, None
            choice = _option_match(q, option)
            if choice is not None:
                return q, choice
    m = _PANDAS_DUP.fullmatch(name)  # pandas' ".1" suffix on a duplicated header
    if m and by_id.get(norm(m.group(1))):
        return by_id[norm(m.group(1))], None
    if "___" in name:  # REDCap checkbox column
        base, _, code = name.rpartition("___")
        q = by_id.get(norm(base))
        if q is not None and q.type == "multi_choice":
            choice = _option_match(q, code) or checkbox_choice(q, code)
            if choice is not None:
                return q, choice
    if col.option:  # SurveyMonkey option row
        q = _text_match(col.text, texts) or by_id.get(norm(col.text))
        if q is not None:
            choice = _option_match(q, col.option)
            return (q, choice) if choice is not None else None
    for text in (col.text, name):
        q = _text_match(text, texts)
        if q is not None:
            return q, None
    m = _PANDAS_DUP.fullmatch(name)  # a duplicated question title, read and saved again by pandas
    if m:
        q = _text_match(m.group(1), texts)
        if q is not None:
            return q, None
    m = _REDCAP_CHOICE.fullmatch(name)
    if m:
        q = _text_match(m.group(1).strip(), texts) or by_id.get(norm(m.group(1)))
        if q is not None:
            choice = _option_match(q, m.group(2))
            if choice is not None:
                return q, choice
    for text in (col.text, name):  # "Question - Option": a split multi-select (Qualtrics, others)
        if " - " in text:
            head, _, option = text.rpartition(" - ")
            q = _text_match(head, texts) or by_id.get(norm(head))
            if q is not None:
                choice = _option_match(q, option)
                if choice is not None:
                    return q, choice
    return None


MISSING_CHOICE = "\x00missing:"  # a split column standing for a missing-data code, not for a choice


def _missing_code_column(
    col: Column, by_id: dict[str, Question], preset: Preset, mapping: Mapping | None
) -> tuple[Question, str] | None:
    """REDCap with Missing Data Codes adds a column per code to each checkbox field ('pain_areas___unk'):
    it belongs to the question's split columns, and ticked alone means the question was not answered."""
    if preset.name != "redcap" or "___" not in col.name:
        return None
    base, _, code = col.name.rpartition("___")
    q = by_id.get(norm(base))
    if (
        q is None
        or q.type != "multi_choice"
        or fold(code) not in preset.missing | (mapping.missing if mapping else frozenset())
    ):
        return None
    return q, MISSING_CHOICE + fold(code)


def build_plan(
    columns: Sequence[Column],
    ruleset: Ruleset,
    preset: Preset,
    mapping: Mapping | None,
    options: Options,
    source: str,
    *,
    per_record: bool = False,
) -> Plan:
    """Resolve every column once; raise for duplicate answers, unknown mapped columns, no columns.

    ``per_record``: the columns are one JSON record's keys, which may differ from record to record (FHIR
    leaves unanswered items out). Mapped columns it lacks are listed in ``unused_specs`` and a plan with no
    targets is returned; the caller decides over the whole file.
    """
    by_id = {norm(q.id): q for q in ruleset.questions}
    texts = _question_texts(ruleset)
    headers = [c.name for c in columns]
    keys = mapping_names(columns)

    # the id column: command line, mapping file, then the platform's usual names
    id_indices: list[int] = []
    wanted = options.id_column or (mapping.id_column if mapping else None)
    if wanted is not None:
        found = _find(columns, wanted)
        if found is None:
            where = "--id-column" if options.id_column else f"{mapping.path if mapping else ''}: id_column"
            raise UsageError(
                L_("{where}: {file} has no column '{column}'{suggestion}", where=where, file=source, column=wanted, suggestion=suggest(wanted, headers))
            )
        id_indices.append(found)
    elif preset.name == "redcap" and columns and columns[0].name and norm(columns[0].name) not in by_id:
        # REDCap always exports the project's record id first, whatever its name (record_id, study_id,
        # participant_id, ...): two patients must never share an id
        id_indices.append(columns[0].index)
    else:
        for candidate in preset.id_columns:
            found = _find(columns, candidate)
            if found is not None:
                id_indices.append(found)
                break
    for extra in preset.id_suffix_columns:
        found = _find(columns, extra)
        if found is not None:
            id_indices.append(found)

    matches: list[_Match] = []
    unmatched: list[str] = []
    used_specs: set[int] = set()
    for col, key in zip(columns, keys, strict=True):
        if mapping is None:
            spec = None
        elif key != col.name:  # a repeated header: only its own 'Title.1' entry applies
            spec = mapping.spec_for_exact(key)
        else:
            spec = mapping.spec_for(col.name, col.text)
        if spec is not None:
            used_specs.add(id(spec))
            if spec.question is None:
                continue
            matches.append(_Match(ruleset.by_id[spec.question], spec.choice, spec, col, key))
            continue
        if col.index in id_indices or not col.name:
            continue
        if mapping is not None and norm(col.name) in mapping.ignore:
            continue
        if is_metadata(preset, col.name) and norm(col.name) not in by_id:  # e.g. a question 'rehab_complete'
            continue
        found_q = _match(col, ruleset, by_id, texts, preset) or _missing_code_column(
            col, by_id, preset, mapping
        )
        if found_q is None:
            unmatched.append(col.name)
            continue
        matches.append(_Match(found_q[0], found_q[1], None, col, key))

    missing_cols: list[ColumnSpec] = []
    if mapping is not None:
        missing_cols = [s for s in mapping.columns if id(s) not in used_specs]
        if missing_cols and not per_record:
            raise missing_columns_error(missing_cols, source, headers)

    try:
        targets = _targets(matches, mapping, options, preset, source, per_record)
    except RecordTwice as exc:
        exc.id_indices = tuple(id_indices)  # (the record's error row keeps its id)
        raise
    if not targets and not per_record:
        raise no_match_error(ruleset, source, [c.name for c in columns])
    answered = {t.question.id for t in targets}
    unasked = tuple(q.id for q in ruleset.questions if q.id not in answered)
    width = max((c.index for c in columns), default=-1) + 1
    return Plan(
        tuple(targets),
        tuple(id_indices),
        width,
        tuple(unmatched),
        unasked,
        preset,
        tuple(headers),
        tuple(missing_cols),
        wanted is not None,
    )


def missing_columns_error(specs: Sequence[ColumnSpec], source: str, headers: Sequence[str]) -> MappingError:
    return MappingError(
        [
            Problem(
                L_("column '{column}' is not in {file}{suggestion}", column=s.column, file=source, suggestion=suggest(s.column, list(headers))),
                s.where.file,
                s.where.line,
                s.where.col,
            )
            for s in specs
        ]
    )


def no_match_error(ruleset: Ruleset, source: str, headers: Sequence[str] = ()) -> MappingError:
    folded = {norm(h) for h in headers}
    if {"record", "fieldname", "value"} <= folded:  # REDCap's "eav" export: one row per answer
        message = L_("no column matches a question of the ruleset '{rules}': this is a REDCap export in the EAV layout "
            "(record, field_name, value: one row per answer). Export the records in the flat layout (API "
            "type=flat, or the CSV data export), one row per record, and try again", rules=ruleset.id)
    else:
        message = L_("no column matches a question of the ruleset '{rules}': headers must be question ids or question "
            "text. Write a mapping file (start with: stm-screen batch {file} --suggest-map) and pass it with --map", rules=ruleset.id, file=source)
    return MappingError([Problem(message, source)])


def _find(columns: Sequence[Column], name: str) -> int | None:
    for col in columns:
        if col.name == name:
            return col.index
    folded = norm(name)
    for col in columns:
        if norm(col.name) == folded:
            return col.index
    return None


def _targets(
    matches: list[_Match],
    mapping: Mapping | None,
    options: Options,
    preset: Preset,
    source: str,
    per_record: bool = False,
) -> list[Target]:
    singles: dict[str, _Match] = {}
    splits: dict[str, list[_Match]] = {}
    order: list[str] = []
    if preset.name in PATH_PRESETS:
        # ODK Central and KoboToolbox write a summary column of a select_multiple next to its 1/0
        # columns: the summary is read (a blank one is an unanswered question, not "nothing ticked")
        summary = {m.question.id for m in matches if m.choice is None and m.spec is None}
        matches = [
            m for m in matches if m.choice is None or m.spec is not None or m.question.id not in summary
        ]
    for m in matches:
        qid = m.question.id
        if qid not in order:
            order.append(qid)
        if m.choice is None:
            other = singles.get(qid) or (splits[qid][0] if qid in splits else None)
            if other is not None:
                raise _duplicate_error(source, qid, other, m, per_record)
            singles[qid] = m
        else:
            if qid in singles:
                raise _duplicate_error(source, qid, singles[qid], m, per_record)
            for prev in splits.get(qid, []):
                if prev.choice == m.choice:
                    raise _duplicate_error(source, qid, prev, m, per_record)
            splits.setdefault(qid, []).append(m)

    base_missing = preset.missing | (mapping.missing if mapping else frozenset())
    targets: list[Target] = []
    for qid in order:
        if qid in singles:
            m = singles[qid]
            spec = m.spec
            seps = (
                (spec.separator if spec and spec.separator else None)
                or options.multi_separator
                or (mapping.multi_separator if mapping else None)
                or preset.separators
            )
            dc = options.decimal_comma or (mapping.decimal_comma if mapping else False)
            if spec is not None and spec.decimal_comma is not None:
                dc = spec.decimal_comma
            opts = ValueOptions(
                value_map=dict(spec.values) if spec else {},
                missing=base_missing | (spec.missing if spec else frozenset()),
                decimal_comma=dc,
                separators=seps,
                other_as_typed=preset.other_as_typed,
                numbers_are_recodes=preset.name in RECODING_PRESETS and not (spec and spec.values),
            )
            q = m.question
            # a joined multi-select is one line unless its items may be the respondent's own words or
            # be separated by line breaks
            one_line = q.type in CLOSED_TYPES or (
                q.type == "multi_choice" and not preset.other_as_typed and not any(c in seps for c in "\r\n")
            )
            targets.append(
                Target(q, (m.column.index,), (m.column.name,), False, converter(q, opts), one_line=one_line)
            )
        else:
            group = splits[qid]
            missing = base_missing.union(*(g.spec.missing for g in group if g.spec))
            choices = tuple(g.choice or "" for g in group)
            targets.append(
                Target(
                    group[0].question,
                    tuple(g.column.index for g in group),
                    tuple(g.column.name for g in group),
                    True,
                    None,
                    split_converter(group[0].question, choices, ValueOptions(missing=missing)),
                )
            )
    return targets


class RecordTwice(InputFileError):
    """Two keys of one JSON record answer one question: that record's error row (with its id)."""

    id_indices: tuple[int, ...] = ()


def _duplicate_error(
    source: str, qid: str, a: _Match, b: _Match, per_record: bool = False
) -> InputFileError | MappingError:
    """Two columns answer one question: the file's problem, or the mapping file's when it maps one of
    them (then at its line, exit 2); two keys of a JSON record: that record's (``per_record``)."""
    spec = b.spec or a.spec
    if per_record and spec is None:
        # Begins as every "answered twice" message does, then says by which keys.
        return RecordTwice(
            L_("{source}: '{qid}' is answered twice: the keys '{key}' and '{key_b}' both answer '{qid}'; keep one answer", source=source, qid=qid, key=printable(a.column.name[:80]), key_b=printable(b.column.name[:80]))
        )
    message = _duplicate(source, qid, a, b)
    if spec is None:
        return InputFileError(message)
    where = spec.where
    return MappingError([Problem(message.removeprefix(f"{source}: "), where.file, where.line, where.col)])


def _duplicate(source: str, qid: str, a: _Match, b: _Match) -> str:
    def show(m: _Match) -> str:
        named = L_(", '{m_key}' in a mapping file", m_key=m.key) if m.key and m.key != m.column.name else ""
        return f"{m.column.index + 1} ('{m.column.name}'{named})"

    # Begins as every "answered twice" message does (io.answers_file, batch.readers), then says by what.
    return (
        L_("{source}: '{qid}' is answered twice: columns {show} and {show_b} both answer '{qid}'; keep one answer, or say which column to use in a mapping file (--map) and set the other to null", source=source, qid=qid, show=show(a), show_b=show(b))
    )
