"""Mapping files: which column answers which question, and how its cells read. Validated with FILE:LINE.

```yaml
preset: qualtrics            # optional: the export's platform
id_column: ResponseId        # optional
decimal_comma: true          # optional: "3,5" means 3.5 in every number column
multi_separator: ";"         # optional: how joined multi-select answers are separated
missing: ["-99", "UNK"]      # optional: cell values meaning "not answered", in every column
ignore: [Q99]                # optional: columns to leave out without a warning
allow_missing: [weakness_fast]  # optional: safety questions this export has no column for (or: true)
event: screening_arm_1       # optional: REDCap longitudinal export: score only this event's rows (or a list)
columns:
  Q1: pain_duration_months   # short form: column -> question id
  Q2:
    question: activity_limitation
    values: {"Most days": 7, "Never": 0}   # cell text -> answer
    missing: ["Prefer not to say"]
  Neck: {question: pain_areas, choice: neck_shoulder}   # one column per option: filled = chosen
```
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stm_screen.batch.presets import PRESET_NAMES, fold, norm
from stm_screen.batch.values import ValueOptions, converter
from stm_screen.core.answers import Answer, AnswerValueError
from stm_screen.core.conditions import suggest
from stm_screen.core.ruleset import Ruleset
from stm_screen.errors import MappingError, Problem, value_words
from stm_screen.i18n import L_, _

TOP_KEYS = (
    "preset",
    "id_column",
    "decimal_comma",
    "multi_separator",
    "missing",
    "ignore",
    "allow_missing",
    "event",
    "columns",
)
COLUMN_KEYS = ("question", "choice", "values", "missing", "separator", "decimal_comma")


@dataclass(frozen=True)
class ColumnSpec:
    column: str
    question: str | None  # None: leave the column out
    choice: str | None = None
    values: AbcMapping[str, object] = field(default_factory=dict)
    missing: frozenset[str] = frozenset()
    separator: str | None = None
    decimal_comma: bool | None = None
    where: Problem = field(default_factory=lambda: Problem(""))


@dataclass(frozen=True)
class Mapping:
    path: str
    preset: str | None = None
    id_column: str | None = None
    decimal_comma: bool = False
    multi_separator: str | None = None
    missing: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()  # folded column names
    columns: tuple[ColumnSpec, ...] = ()
    # safety questions the export may lack a column for (as --allow-missing does for all of them)
    allow_missing: frozenset[str] = frozenset()
    allow_all_missing: bool = False
    events: tuple[str, ...] = ()  # REDCap longitudinal exports: the events whose rows are scored

    def spec_for(self, *names: str) -> ColumnSpec | None:
        """The column entry for a header (exact first, then folded)."""
        for name in names:
            for spec in self.columns:
                if spec.column == name:
                    return spec
        folded = [norm(n) for n in names if n]
        for spec in self.columns:
            if norm(spec.column) in folded:
                return spec
        return None

    def spec_for_exact(self, name: str) -> ColumnSpec | None:
        """The entry for a repeated header's 'Title.1' name: exact, or folded before the suffix only
        (folding the whole would make 'Q1.1' the entry of a column 'Q11')."""
        for spec in self.columns:
            if spec.column == name:
                return spec
        base, _, n = name.rpartition(".")
        for spec in self.columns:
            other, dot, k = spec.column.rpartition(".")
            if dot and k == n and norm(other) == norm(base):
                return spec
        return None


def load_mapping(path: str, ruleset: Ruleset) -> Mapping:
    """Read and check a mapping file against the ruleset; raise MappingError listing every problem."""
    from stm_screen.io.yamlfile import YamlProblems, load

    try:
        data, positions, _raw = load(Path(path))
    except YamlProblems as exc:
        raise MappingError(exc.problems) from None
    return mapping_from_data(data, ruleset, path_text(path), positions.locate, positions.key)


Where = tuple[str | int, ...]


@dataclass
class _Keys:
    """Where the keys of a mapping's data stand and how they are written, for problems about a key."""

    key_of: Callable[[Where, int], tuple[str, int, int, str] | None] | None
    seen: dict[Where, int] = field(default_factory=dict)  # how many keys of each path were counted

    def count(self, where: Where) -> int:
        """Count a key of this path (two keys may have one: ``01`` and ``"1"``); which one it is, from 0."""
        nth = self.seen.get(where, 0)
        self.seen[where] = nth + 1
        return nth

    def written(self, where: Where, nth: int, key: object) -> str:
        """How the ``nth`` key ending ``where`` is written (``yes`` for the key true), as best known."""
        found = self.key_of(where, nth) if self.key_of else None
        if found is not None:
            return found[3]
        if key is None:
            return "null"
        return str(key).lower() if isinstance(key, bool) else str(key)

    def problem(
        self, where: Where, nth: int, message: str, fallback: Callable[[Where, str], Problem]
    ) -> Problem:
        """A problem said at the ``nth`` key ending ``where`` (else where its value stands)."""
        found = self.key_of(where, nth) if self.key_of else None
        if found is None:
            return fallback(where, message)
        return Problem(message, found[0], found[1], found[2])


def mapping_from_data(
    data: Any,
    ruleset: Ruleset,
    name: str = "<mapping>",
    locate: Callable[[Where], tuple[str, int, int]] | None = None,
    key_of: Callable[[Where, int], tuple[str, int, int, str] | None] | None = None,
) -> Mapping:
    """Check a mapping's data (a mapping file's content, or the same shape given as a dict by the library
    API) against the ruleset; raise MappingError listing every problem. ``locate``: where a value stands
    (a file's lines); ``key_of``: where the nth key of a path stands and how it is written; without them,
    problems name ``name``."""
    where_of = locate or (lambda where: (name, 0, 0))
    keys = _Keys(key_of)
    problems: list[Problem] = []

    def at(where: tuple[str | int, ...], message: str) -> Problem:
        file, line, col = where_of(where)
        return Problem(message, file, line, col)

    def bad(where: tuple[str | int, ...], message: str) -> None:
        problems.append(at(where, message))

    def bad_key(where: tuple[str | int, ...], nth: int, message: str) -> None:
        problems.append(keys.problem(where, nth, message, at))

    if not isinstance(data, dict):
        raise MappingError([at((), _("a mapping file must be a mapping with a 'columns:' key at the top"))])
    for key in data:
        if key not in TOP_KEYS:
            shown = keys.written((str(key),), 0, key)
            bad(
                (str(key),),
                L_("unknown key '{key}'{hint}; allowed: {join}", key=shown, hint=suggest(shown, TOP_KEYS), join=', '.join(TOP_KEYS)),
            )

    preset = data.get("preset")
    if preset is not None and preset not in PRESET_NAMES:
        bad(
            ("preset",),
            L_("unknown preset '{preset}'{hint}; allowed: {join}", preset=preset, hint=suggest(str(preset), PRESET_NAMES), join=', '.join(PRESET_NAMES)),
        )
    id_column = data.get("id_column")
    if id_column is not None and not isinstance(id_column, str | int):
        bad(("id_column",), _("id_column must be a column name"))
    decimal_comma = data.get("decimal_comma", False)
    if not isinstance(decimal_comma, bool):
        bad(("decimal_comma",), _("decimal_comma must be true or false"))
    separator = data.get("multi_separator")
    if separator is not None and (not isinstance(separator, str) or not separator):
        bad(("multi_separator",), _("multi_separator must be a non-empty text such as ',' or ';'"))
    missing = _codes(data.get("missing"), ("missing",), bad)
    ignore = frozenset(norm(c) for c in _codes(data.get("ignore"), ("ignore",), bad, folded=False))
    allow_all, allow = _allow_missing(data.get("allow_missing"), ruleset, bad)
    event = data.get("event")
    events: tuple[str, ...] = ()
    if isinstance(event, str) and event.strip():
        events = (event.strip(),)
    elif isinstance(event, list) and event and all(isinstance(e, str) and e.strip() for e in event):
        events = tuple(e.strip() for e in event)
    elif event is not None:
        bad(("event",), _("event must be a REDCap event name such as screening_arm_1, or a list of them"))

    columns_data = data.get("columns")
    specs: list[ColumnSpec] = []
    if columns_data is None:
        bad((), _("the mapping file has no 'columns:' key (column name -> question id)"))
    elif not isinstance(columns_data, dict):
        bad(("columns",), _("columns must be a mapping of column name -> question id"))
    else:
        qids = [q.id for q in ruleset.questions]
        for col, entry in columns_data.items():
            where: tuple[str | int, ...] = ("columns", str(col))
            nth = keys.count(where)
            if nth:  # 01 (the number 1) and "1": two YAML keys, one column '1'
                first, again = keys.written(where, 0, col), keys.written(where, nth, col)
                bad_key(where, nth, L_("column '{col}' is given twice, as '{key}' and as '{first}'; keep one", col=col, key=again, first=first))
                continue
            written = keys.written(where, nth, col)
            if (col is None or isinstance(col, bool)) and written != str(col):
                # ~ (null) or yes (true): no export's header is named so; the title was meant as text
                bad_key(where, nth, L_("the column key {key} is read by YAML as {what}, not as a column's title; put the title in quotes (\"{key}\")", key=written, what=value_words(col)))
                continue
            spec = _column(str(col), entry, where, ruleset, qids, bad, at, keys, bad_key)
            if spec is not None:
                specs.append(spec)
    if problems:
        raise MappingError(problems)
    return Mapping(
        path=name,
        preset=str(preset) if preset else None,
        id_column=str(id_column) if id_column is not None else None,
        decimal_comma=bool(decimal_comma),
        multi_separator=separator if isinstance(separator, str) else None,
        missing=missing,
        ignore=ignore,
        columns=tuple(specs),
        allow_missing=frozenset(allow),
        allow_all_missing=allow_all,
        events=events,
    )


def _allow_missing(value: Any, ruleset: Ruleset, bad: Any) -> tuple[bool, frozenset[str]]:
    """``allow_missing: true`` (every question), or a list of question ids."""
    if value is None or value is False:
        return False, frozenset()
    if value is True:
        return True, frozenset()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        bad(("allow_missing",), _("allow_missing must be true, or a list of question ids"))
        return False, frozenset()
    qids = [q.id for q in ruleset.questions]
    out: set[str] = set()
    for i, qid in enumerate(items):
        if not isinstance(qid, str):
            bad(("allow_missing", i), L_("allow_missing: each entry must be a question id (got {got})", got=value_words(qid)))
            continue
        if qid not in ruleset.by_id:
            shown = qid
            bad(("allow_missing", i), L_("allow_missing: unknown question '{shown}'{hint}", shown=shown, hint=suggest(shown, qids)))
            continue
        out.add(qid)
    return False, frozenset(out)


def path_text(path: str) -> str:
    return str(path)


def _codes(value: Any, where: tuple[str | int, ...], bad: Any, folded: bool = True) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        bad(where, L_("{where} must be a list of values", where=where[-1]))
        return frozenset()
    out = set()
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            bad((*where, i), L_("{where}: each entry must be a text or a number", where=where[-1]))
            continue
        out.add(fold(str(item)) if folded else str(item))
    return frozenset(out)


def _column(
    col: str,
    entry: Any,
    path: tuple[str | int, ...],
    ruleset: Ruleset,
    qids: list[str],
    bad: Any,
    at: Any,
    keys: _Keys,
    bad_key: Any,
) -> ColumnSpec | None:
    if entry is None or entry is False:
        return ColumnSpec(col, None, where=at(path, ""))
    if isinstance(entry, str):
        entry = {"question": entry}
    if not isinstance(entry, dict):
        bad(path, L_("column '{col}': give a question id, or a mapping with 'question:' and options", col=col))
        return None
    for key in entry:
        if key not in COLUMN_KEYS:
            shown = keys.written((*path, str(key)), 0, key)
            bad(
                (*path, str(key)),
                L_("column '{col}': unknown key '{key}'{hint}; allowed: {join}", col=col, key=shown, hint=suggest(shown, COLUMN_KEYS), join=', '.join(COLUMN_KEYS)),
            )
    qid = entry.get("question")
    if not isinstance(qid, str):
        bad(path, L_("column '{col}': 'question:' (a question id) is required", col=col))
        return None
    q = ruleset.by_id.get(qid)
    if q is None:
        bad((*path, "question") if len(entry) > 1 or "question" in entry else path,
            L_("column '{col}': unknown question '{qid}'{hint}", col=col, qid=qid, hint=suggest(qid, qids)))  # fmt: skip
        return None
    choice = entry.get("choice")
    if choice is not None:
        if q.type != "multi_choice":
            bad(
                (*path, "choice"),
                L_("column '{col}': 'choice:' is only for multiple-choice questions; '{qid}' is {q_type}", col=col, qid=qid, q_type=q.type),
            )
        elif str(choice) not in q.choice_ids:
            bad(
                (*path, "choice"),
                L_("column '{col}': '{choice}' is not a choice of '{qid}'{hint}; allowed: {join}", col=col, choice=choice, qid=qid, hint=suggest(str(choice), q.choice_ids), join=', '.join(q.choice_ids)),
            )
    separator = entry.get("separator")
    if separator is not None and (not isinstance(separator, str) or not separator):
        bad((*path, "separator"), L_("column '{col}': separator must be a non-empty text", col=col))
        separator = None
    dc = entry.get("decimal_comma")
    if dc is not None and not isinstance(dc, bool):
        bad((*path, "decimal_comma"), L_("column '{col}': decimal_comma must be true or false", col=col))
        dc = None
    missing = _codes(entry.get("missing"), (*path, "missing"), bad)
    values: dict[str, object] = {}
    raw_values = entry.get("values")
    if raw_values is not None:
        if not isinstance(raw_values, dict):
            bad((*path, "values"), L_("column '{col}': values must be a mapping of cell text -> answer", col=col))
        else:
            check = converter(q, ValueOptions(decimal_comma=bool(dc)))
            # A cell is looked up folded (case and runs of spaces do not count: values.converter), so keys
            # that fold the same read the same cells: with different answers, which one a cell got would
            # depend on their order. Refused at the second key; the same answer twice is harmless.
            read_by: dict[str, tuple[object, Where, int, Answer | None]] = {}  # folded cell -> key, answer
            for key, target in raw_values.items():
                vpath = (*path, "values", str(key))
                nth = keys.count(vpath)
                if isinstance(target, list):
                    target = tuple(str(t) for t in target)
                answer: Answer | None = None
                if target is not None:
                    try:
                        answer = check(target if isinstance(target, tuple) else str(target).lower()
                                       if isinstance(target, bool) else str(target))  # fmt: skip
                    except AnswerValueError as exc:
                        bad(vpath, L_("column '{col}': value '{key}' maps to {exc}", col=col, key=keys.written(vpath, nth, key), exc=exc))
                        continue
                clash = _clash(key, answer, read_by)
                if clash is not None:
                    other, where, other_nth, cell = clash
                    first = (other, keys.written(where, other_nth, other))
                    bad_key(vpath, nth, _clash_message(col, first, (key, keys.written(vpath, nth, key)), cell))
                    continue
                for text in _key_texts(key):
                    read_by.setdefault(fold(text), (key, vpath, nth, answer))
                value = str(target).lower() if isinstance(target, bool) else target
                for text in _key_texts(key):
                    values[fold(text)] = value
    return ColumnSpec(
        column=col,
        question=qid,
        choice=str(choice) if choice is not None else None,
        values=values,
        missing=missing,
        separator=separator,
        decimal_comma=dc,
        where=at(path, ""),
    )


def _clash(
    key: object, answer: Answer | None, read_by: dict[str, tuple[object, Where, int, Answer | None]]
) -> tuple[object, Where, int, str] | None:
    """The earlier value key that reads a cell this one reads, with another answer: (that key, its path and
    which key of that path it is, the folded cell text); None when there is none."""
    for text in _key_texts(key):
        cell = fold(text)
        before = read_by.get(cell)
        if before is not None and before[3] != answer:
            return before[0], before[1], before[2], cell
    return None


def _clash_message(col: str, first: tuple[object, str], second: tuple[object, str], cell: str) -> str:
    """What to say of two value keys that read the same cell with different answers: ``first`` the earlier
    key and how it is written, ``second`` the later one."""
    if isinstance(first[0], bool) or isinstance(second[0], bool):
        return L_("column '{col}': values '{first}' and '{key}' both read the cell '{cell}' (YAML reads an unquoted yes, no, on, off, true or false as true or false, and such a key reads the cells true, yes, on and y, or false, no, off and n), but map to different answers; keep one, or quote the key", col=col, first=first[1], key=second[1], cell=cell)
    return L_("column '{col}': values '{first}' and '{key}' read the same cells ('{cell}': case and spaces do not count), but map to different answers, so a cell's answer would depend on their order; keep one, or give both the same answer", col=col, first=first[1], key=second[1], cell=cell)


def _key_texts(key: object) -> tuple[str, ...]:
    """YAML reads unquoted Yes/No/On/Off keys as true/false: accept every spelling it may have been."""
    if key is True:
        return ("true", "yes", "on", "y")
    if key is False:
        return ("false", "no", "off", "n")
    return (str(key),)
