"""The library API: what ``stm-screen score`` and ``stm-screen batch`` do, from Python and data pipelines.

    import stm_screen

    rules = stm_screen.load_ruleset("pt-screen")        # a bundled ruleset's name, or a rules file or folder
    result = stm_screen.score_answers(rules, {"age_years": 40, "pain_duration_months": 8, ...})
    result.level, result.to_dict()                       # to_dict(): what `score --format json` prints

    scored = stm_screen.score_table(rules, frame)        # pandas or polars DataFrame, pyarrow Table/RecordBatch
    for row in stm_screen.score_rows(rules, records):    # dicts, read as `batch` reads a JSONL file
        ...

Tables and records are scored by the batch machinery itself (:mod:`stm_screen.batch.runner`, the memoised
scorer of :mod:`stm_screen.batch.scoring`), so a scored table has exactly the columns and values of
``stm-screen batch`` CSV output for the same data: ``row``, ``id``, ``status``, ``level``, ``urgency``,
``score``, ``red_flags``, ``criteria_met``, ``unanswered_red_flags``, ``unanswered_urgency``, ``error`` (and the
instruments' fields after them), every value the text of the CSV cell (``row`` a whole number). A record that cannot be scored
is a row with status ``error`` and the same message, never an exception; what stops ``batch`` for a whole
file (no column for a safety question, a mapping naming a column the table lacks) raises the same error here
(:class:`stm_screen.errors.UsageError` and its kin, each with ``lines()`` to show).

pandas, polars and pyarrow are never imported here unless a table of theirs is given (``pip install
'stm-screen[dataframes]'`` installs pandas and pyarrow). docs/pipelines.md shows Dask and PySpark using this.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Mapping as AbcMapping
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, TypeVar

from stm_screen.batch.output import FIELDS, CsvWriter
from stm_screen.batch.scoring import Outcome
from stm_screen.io.csvcells import neutral

if TYPE_CHECKING:
    from stm_screen.batch.mapping import Mapping
    from stm_screen.core.explain import Result
    from stm_screen.core.ruleset import Ruleset

__all__ = [
    "FIELDS",
    "load_ruleset",
    "result_columns",
    "score_answers",
    "score_rows",
    "score_table",
    "table_kind",
]

T = TypeVar("T")
Notify = Callable[[str], None]


def load_ruleset(
    path_or_name: str | os.PathLike[str] | None = None,
    *,
    with_modules: str | Iterable[str] | None = None,
    texts: str | os.PathLike[str] | None = None,
) -> Ruleset:
    """A checked, compiled ruleset: a bundled ruleset's name (default: the PT screening), or the path of a
    rules file or folder, with the instrument modules named in ``with_modules`` (``"phq4,peg"`` or a list)
    and the wording of a texts file, as ``--rules``, ``--with`` and ``--texts`` give them. Raises
    :class:`stm_screen.errors.RulesError` listing every problem of the rules."""
    from stm_screen.screening import load_rules

    modules = with_modules if with_modules is None or isinstance(with_modules, str) else tuple(with_modules)
    spec = None if path_or_name is None else os.fspath(path_or_name)
    return load_rules(spec, modules, None if texts is None else os.fspath(texts))


_LOADED: dict[tuple[Any, ...], Ruleset] = {}


def _rules(spec: Any) -> Ruleset:
    """A Ruleset as given, or loaded from a name or path once per process (again when the file changes):
    a pipeline's workers are handed the name, as a compiled ruleset does not travel between processes."""
    from stm_screen.core.ruleset import Ruleset

    if isinstance(spec, Ruleset):
        return spec
    if spec is not None and not isinstance(spec, str | os.PathLike):
        raise TypeError(f"ruleset: a Ruleset, a bundled ruleset's name or a path, not {type(spec).__name__}")
    key: tuple[Any, ...] = (None if spec is None else os.fspath(spec),)
    try:
        from stm_screen.rules.loader import resolve

        st = resolve(key[0]).stat()
        key += (st.st_mtime_ns, st.st_size, st.st_ino)
    except Exception:  # noqa: BLE001 - loading it says what is wrong
        return load_ruleset(spec)
    found = _LOADED.get(key)
    if found is None:
        if len(_LOADED) > 16:
            _LOADED.clear()
        found = _LOADED[key] = load_ruleset(spec)
    return found


def score_answers(
    ruleset: Ruleset | str | os.PathLike[str] | None,
    answers: AbcMapping[str, Any],
    *,
    lang: str | None = None,
    country: str | None = None,
) -> Result:
    """Score one person's answers (question id -> answer, as in an answers file given to ``stm-screen
    score``): the explained result, whose ``to_dict()`` is what ``score --format json`` prints. ``lang``:
    the language of the result's texts (default: the ruleset's first); ``country``: whose emergency numbers
    it names. Raises :class:`stm_screen.errors.AnswersError` listing every answer that cannot be used."""
    from stm_screen.i18n import speaking
    from stm_screen.screening import for_audience, score_data

    rules = _rules(ruleset)
    with speaking(None):  # the tool's own language is process-wide: put back as it was
        audience = for_audience(rules, lang=lang, country=country, env={})
        return score_data(audience.ruleset, answers, contacts=audience.contacts)


def result_columns(ruleset: Ruleset | str | os.PathLike[str] | None = None, *, file: bool = False) -> list[str]:
    """The columns of a scored table (``file`` first when asked), as ``batch`` CSV output names them."""
    from stm_screen.batch.scoring import module_fields

    fields = [*FIELDS, *module_fields(_rules(ruleset))]
    return ["file", *fields] if file else fields


def table_kind(table: object) -> str | None:
    """'pandas', 'polars' or 'arrow' (a pyarrow Table or RecordBatch) by the object's type, without
    importing any of them; None for anything else."""
    for klass in type(table).__mro__:
        top = klass.__module__.partition(".")[0]
        if top == "pandas" and klass.__name__ == "DataFrame":
            return "pandas"
        if top == "polars" and klass.__name__ == "DataFrame":
            return "polars"
        if top == "pyarrow" and klass.__name__ in ("Table", "RecordBatch"):
            return "arrow"
    return None


def cell_text(value: Any) -> str:
    """A table cell as the text a CSV export of it holds: blank for None, NaN and pandas' NA; numbers as
    written (``8.0`` is ``8``); true/false; a list (a multi-select) joined with commas."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:  # NaN: pandas' blank
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list | tuple):
        return ",".join(t for t in map(cell_text, value) if t)
    if type(value).__name__ in ("NAType", "NaTType"):
        return ""
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _record_cell(value: Any) -> str | tuple[str, ...]:
    """A record's value as ``batch`` reads a JSON record's: a list stays a list (a multi-select)."""
    if isinstance(value, list | tuple):
        return tuple(t for t in map(cell_text, value) if t)
    return cell_text(value)


def _columns(table: Any, kind: str) -> tuple[list[str], list[list[Any]]]:
    if kind == "pandas":
        names = [str(c) for c in table.columns]
        return names, [table.iloc[:, i].tolist() for i in range(table.shape[1])]
    if kind == "arrow":
        names = [str(c) for c in table.schema.names]
        return names, [table.column(i).to_pylist() for i in range(table.num_columns)]
    names = [str(c) for c in table.columns]
    return names, [table.to_series(i).to_list() for i in range(table.width)]


def _texts(column: list[Any]) -> list[str]:
    for value in column:
        if type(value) is not str:
            return [cell_text(v) for v in column]
    return column


def _mapping(mapping: Any, rules: Ruleset) -> Mapping | None:
    """A mapping file's path, its content as a dict, or a loaded Mapping."""
    from stm_screen.batch.mapping import Mapping, load_mapping, mapping_from_data

    if mapping is None or isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, str | os.PathLike):
        return load_mapping(os.fspath(mapping), rules)
    if isinstance(mapping, AbcMapping):
        return mapping_from_data(dict(mapping), rules, "mapping")
    raise TypeError(f"mapping: a mapping file's path or a dict, not {type(mapping).__name__}")


class _Collect(CsvWriter):
    """A batch writer that keeps each record's row number, id and outcome instead of writing lines."""

    fast = False  # every record through write(): the runner then writes no line of its own

    def __init__(self, extra: tuple[str, ...]) -> None:
        super().__init__(io.StringIO(), with_file=False, extra=extra)
        self.rows: list[int] = []
        self.ids: list[str] = []
        self.outs: list[Outcome] = []

    def begin(self) -> None:
        self.started = True

    def write(self, row: int, rid: str, out: Outcome) -> None:
        if not out.tail:
            self.render(out)
        self.rows.append(row)
        self.ids.append(rid)
        self.outs.append(out)
        out.n += 1

    def columns(self, first_row: int, file: str | None) -> dict[str, list[Any]]:
        """Column -> values, each value what a CSV reader reads from ``batch`` CSV output's cell."""
        fields = (*FIELDS, *self.extra)
        cells: dict[str, list[str]] = {}  # an outcome's rendered CSV tail -> its cells, read back once
        rows = [cells.get(o.tail) or cells.setdefault(o.tail, next(csv.reader(io.StringIO(o.tail)))[1:]) for o in self.outs]
        out: dict[str, list[Any]] = {}
        if file is not None:
            out["file"] = [neutral(file)] * len(self.rows)
        shift = first_row - 1
        out["row"] = [r + shift for r in self.rows] if shift else self.rows
        out["id"] = [neutral(r) for r in self.ids]
        for k, name in enumerate(fields[2:]):
            out[name] = [r[k] for r in rows]
        return out


def _batch(
    rules: Ruleset,
    mapping: Mapping | None,
    *,
    preset: str | None,
    id_column: str | None,
    allow_missing: bool | Iterable[str],
    notify: Notify | None,
) -> Any:
    from stm_screen.batch.columns import Options
    from stm_screen.batch.runner import Batch, BatchSettings

    if preset is not None:
        from stm_screen.batch.presets import PRESET_NAMES
        from stm_screen.errors import UsageError

        if preset not in PRESET_NAMES:
            raise UsageError(f"unknown preset '{preset}'; choose one of: {', '.join(PRESET_NAMES)}")
    some = frozenset(()) if isinstance(allow_missing, bool) else frozenset(allow_missing)
    settings = BatchSettings(
        preset=preset,
        options=Options(id_column),
        jobs=1,
        allow_missing=allow_missing is True,
        allow_missing_for=some,
    )
    return Batch(rules, mapping, settings, notify=notify or _log)


def _log(message: str) -> None:
    """What ``batch`` says on stderr (column names and counts, never answers), as log records."""
    import logging

    logging.getLogger("stm_screen").info("%s", message)


def score_table(
    ruleset: Ruleset | str | os.PathLike[str] | None,
    table: T,
    mapping: str | os.PathLike[str] | AbcMapping[str, Any] | Mapping | None = None,
    *,
    first_row: int = 1,
    file: str | None = None,
    preset: str | None = None,
    id_column: str | None = None,
    allow_missing: bool | Iterable[str] = False,
    notify: Notify | None = None,
) -> T:
    """Score every record of a table: a pandas or polars DataFrame, or a pyarrow Table or RecordBatch, whose
    columns are question ids (or an export's headers, matched as ``batch`` matches them, or named by a
    ``mapping``: a mapping file's path, or its content as a dict).

    Returns a table of the same kind with one row per record and exactly the columns and values of
    ``stm-screen batch`` CSV output for the same data (see the module doc); a pandas result keeps the
    index of the records it scores. ``first_row``: the number of the first record (``row`` counts from it:
    a partition's offset in its file); ``file``: adds the ``file`` column ``batch`` writes for several
    inputs. ``preset``, ``id_column`` and ``allow_missing`` (True, or question ids) are ``batch``'s options;
    ``notify`` receives what ``batch`` says on stderr (default: the ``stm_screen`` logger, level INFO)."""
    kind = table_kind(table)
    if kind is None:
        raise TypeError(
            f"score_table takes a pandas or polars DataFrame or a pyarrow Table, not {type(table).__name__}; "
            "score_rows takes dicts"
        )
    rules = _rules(ruleset)
    maps = _mapping(mapping, rules)
    names, columns = _columns(table, kind)
    from stm_screen.batch.readers import TableSource
    from stm_screen.batch.scoring import module_fields
    from stm_screen.i18n import speaking

    writer = _Collect(module_fields(rules))
    height = len(columns[0]) if columns else 0
    if height:
        texts = [_texts(c) for c in columns]
        rows: Iterator[Any] = chain([names], zip(*texts, strict=True))
        src = TableSource(name=file or "table", kind="table", rows=rows, line=lambda: 0)
        batch = _batch(rules, maps, preset=preset, id_column=id_column, allow_missing=allow_missing, notify=notify)
        with speaking(None):  # batch output is data: the same in every language
            batch.run_source(src, writer)
    elif not names:
        from stm_screen.errors import InputFileError

        raise InputFileError(f"{file or 'table'}: the table has no columns")
    data = writer.columns(first_row, file)
    return _build(kind, table, data, same_rows=len(writer.rows) == height)  # type: ignore[no-any-return]


def _build(kind: str, like: Any, data: dict[str, list[Any]], same_rows: bool) -> Any:
    from importlib import import_module  # optional libraries, untyped here: imported by name

    if kind == "pandas":
        pd = import_module("pandas")
        # one row per record, in order: the records' own index (else a fresh one: rows were left out,
        # such as header rows of a Qualtrics export or other events' rows of a REDCap one)
        index = like.index if same_rows else pd.RangeIndex(len(data["row"]))
        return pd.DataFrame(
            {k: pd.Series(v, index=index, dtype="int64" if k == "row" else str) for k, v in data.items()},
            index=index,
        )
    if kind == "arrow":
        pa = import_module("pyarrow")
        arrays = {k: pa.array(v, type=pa.int64() if k == "row" else pa.string()) for k, v in data.items()}
        if type(like).__name__ == "RecordBatch":
            return pa.RecordBatch.from_pydict(arrays)
        return pa.table(arrays)
    pl = import_module("polars")
    return pl.DataFrame({k: pl.Series(k, v, dtype=pl.Int64 if k == "row" else pl.Utf8) for k, v in data.items()})


def score_rows(
    ruleset: Ruleset | str | os.PathLike[str] | None,
    rows: Iterable[AbcMapping[str, Any]],
    mapping: str | os.PathLike[str] | AbcMapping[str, Any] | Mapping | None = None,
    *,
    first_row: int = 1,
    chunk_size: int = 2048,
    preset: str | None = None,
    id_column: str | None = None,
    allow_missing: bool | Iterable[str] = False,
    notify: Notify | None = None,
) -> Iterator[dict[str, Any]]:
    """Score records (dicts of field -> answer) as they come, ``chunk_size`` at a time: one dict per record
    with the fields and values of a ``batch`` CSV output row, as ``stm-screen batch`` scores a JSONL file
    of the same records (keys may differ from record to record; a list answers a multi-select). The
    options are :func:`score_table`'s."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    rules = _rules(ruleset)
    maps = _mapping(mapping, rules)
    from stm_screen.batch.readers import RecordSource
    from stm_screen.batch.scoring import module_fields
    from stm_screen.i18n import speaking

    extra = module_fields(rules)
    start = first_row
    items = iter(rows)
    while True:
        chunk = list(islice(items, chunk_size))
        if not chunk:
            return
        records = []
        for item in chunk:
            if not isinstance(item, AbcMapping):
                raise TypeError(f"score_rows takes dicts of field -> answer, not {type(item).__name__}")
            records.append({str(k): _record_cell(v) for k, v in item.items()})
        writer = _Collect(extra)
        src = RecordSource(name="records", kind="json", records=iter(records))
        batch = _batch(rules, maps, preset=preset, id_column=id_column, allow_missing=allow_missing, notify=notify)
        with speaking(None):
            batch.run_source(src, writer)
        data = writer.columns(start, None)
        names = list(data)
        for values in zip(*data.values(), strict=True):
            yield dict(zip(names, values, strict=True))
        start += len(chunk)
