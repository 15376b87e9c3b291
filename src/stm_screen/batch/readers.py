"""Streaming readers for survey exports: nothing here holds more than one record (or one chunk) at a time.

Two shapes come out:

- :class:`TableSource` (CSV, TSV, XLSX): an iterator of rows (lists of text cells), header rows included;
  the preset decides how many leading rows are headers.
- :class:`RecordSource` (JSON array, JSONL, FHIR QuestionnaireResponse): an iterator of flat mappings of
  field name -> text (or a tuple of texts for a FHIR item with several answers).

Every way a file can be unreadable becomes an :class:`~stm_screen.errors.InputFileError` naming the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO, Any

from stm_screen.batch.segments import WINDOW_BUFFER, EdgeLine, Window, can_window
from stm_screen.errors import InputFileError

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
Cell = str | tuple[str, ...]
Record = dict[str, Cell]
MAX_INT_DIGITS = 4000  # longer integers in JSON are read as floats (inf), not refused by int()


class BadRecord(dict[str, Cell]):
    """A record that cannot be read (a broken JSONL line, a list where an object belongs): it is written
    as one error row and the run goes on."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


def _parse_int(text: str) -> int | float:
    return int(text) if len(text) <= MAX_INT_DIGITS else float(text)


def _loads(text: str) -> Any:
    return json.loads(text, parse_int=_parse_int)


csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class TableSource:
    """Rows of text cells, header rows first."""

    name: str
    kind: str  # csv | xlsx
    rows: Iterator[list[str]]
    line: Callable[[], int]  # physical line (CSV) or sheet row (XLSX) of the last row read
    delimiter: str = ","
    encoding: str = "utf-8"
    size: int = 0
    position: Callable[[], int] = field(default=lambda: 0)
    close: Callable[[], None] = field(default=lambda: None)
    warning: str = ""  # said on stderr before the records (e.g. formulas without values)
    window: Window | None = None  # a regular CSV file: its byte stream (see batch.segments)
    tail: EdgeLine | None = None  # read after the window's text; armed when scored in parts
    lines_before: int = 0  # lines read before the CSV reader started (Excel's "sep=" line)


@dataclass
class RecordSource:
    """Flat records (field -> text), e.g. REDCap API JSON or FHIR QuestionnaireResponses."""

    name: str
    kind: str  # json | jsonl | fhir
    records: Iterator[Record]
    ids: Callable[[], str] = field(default=lambda: "")  # FHIR: the id of the last record read
    size: int = 0
    position: Callable[[], int] = field(default=lambda: 0)
    close: Callable[[], None] = field(default=lambda: None)


Source = TableSource | RecordSource


def open_source(path: str, *, delimiter: str | None = None) -> Source:
    """Open one input by its content (and, for ties, its name)."""
    p = Path(path)
    try:
        if p.is_dir():
            raise InputFileError(f"{path}: is a folder, not a survey export")
        size = p.stat().st_size
        handle = _open_bytes(p)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except PermissionError:
        raise InputFileError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    try:
        head = handle.read(SAMPLE_BYTES)
        if handle.seekable():
            handle.seek(0)
        elif head.startswith(b"PK\x03\x04"):
            handle.close()
            raise InputFileError(f"{path}: a workbook cannot be read from a pipe; save it to a file first")
        else:  # a pipe (/dev/stdin, <(...)): the sample is read again before the rest
            handle = io.BufferedReader(_Replay(head, handle))
    except OSError as exc:
        handle.close()
        raise InputFileError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    try:
        if not head.strip():
            raise InputFileError(f"{path}: the file is empty")
        if head.startswith(b"PK\x03\x04"):
            handle.close()
            return open_xlsx(path, size)
        encoding = sniff_encoding(head, path)
        text_head = head.decode(encoding, errors="ignore").lstrip("\ufeff").lstrip()
        suffix = p.suffix.lower()
        if text_head.startswith(("[", "{")) and suffix not in (".csv", ".tsv", ".txt"):
            return open_json(handle, path, encoding, size, text_head, suffix)
        return open_csv(handle, path, encoding, size, delimiter, text_head, suffix)
    except BaseException:
        handle.close()
        raise


def _open_bytes(path: Path) -> IO[bytes]:
    """A regular file is read through a :class:`Window` (positioned reads that a range limit can stop,
    for scoring it in parts); anything else (a pipe, a device) as an ordinary stream."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        regular = False
    if regular and can_window():
        return io.BufferedReader(Window(fd), WINDOW_BUFFER)
    return open(fd, "rb")  # noqa: SIM115 - closed by the source's close()


class _Replay(io.RawIOBase):
    """A pipe whose first bytes were already read: those bytes, then the rest of the pipe."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._rest.readinto(buffer)  # type: ignore[attr-defined, no-any-return]

    def close(self) -> None:
        self._rest.close()
        super().close()


def sniff_encoding(head: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is refused with a clear message."""
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    else:
        encoding = "utf-8"
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if (even + odd) * 4 > len(head) and min(even, odd) * 20 < max(even, odd):  # ASCII as UTF-16
            raise InputFileError(
                f"{name}: looks like UTF-16 text without a byte-order mark; save it as UTF-8 "
                "(or UTF-16 with a BOM) and try again"
            )
        raise InputFileError(f"{name}: this is a binary file, not a survey export (CSV, TSV, JSON, XLSX)")
    try:
        head.decode(encoding)
    except UnicodeDecodeError as exc:
        if len(head) < SAMPLE_BYTES or exc.start < len(head) - 4:  # not a character cut by the sample
            line = head[: exc.start].count(b"\n") + 1
            raise InputFileError(
                f"{name}:{line}: the file is not UTF-8 text (it may be Windows-1252 or Latin-1); "
                "export it as UTF-8 (or UTF-16) and try again"
            ) from None
    return encoding


def bad_text_line(path: str) -> int | None:
    """The line holding the first byte that is not UTF-8 (or UTF-16, by the BOM), for an error message
    after reading failed part way (the reader decodes ahead, so its own line count is not exact)."""
    try:
        if not Path(path).is_file():  # a pipe cannot be read again from the start
            return None
        with open(path, "rb") as f:
            encoding = "utf-16" if f.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
            f.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            line = 1
            while chunk := f.read(1 << 20):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    return line + chunk[: max(exc.start, 0)].count(b"\n")
                line += chunk.count(b"\n")
    except OSError:
        return None
    return None


def detect_delimiter(text: str, suffix: str = "") -> str:
    """The delimiter: of the candidates in the header line (counted outside quotes), the most frequent
    one that every following line of the sample has as often; failing that, the header's most frequent.

    Looking past the header matters when question texts hold commas and the file uses ';' (a European
    spreadsheet's save): 'Over the past week, how strong ...;Along with the pain, have you had ...'.
    """
    lines = _delimiter_counts(text)
    header = lines[0] if lines else dict.fromkeys(DELIMITERS, 0)
    best = max(DELIMITERS, key=lambda d: header[d])
    if header[best] == 0:
        return "\t" if suffix == ".tsv" else ","
    if suffix == ".tsv" and header["\t"]:
        return "\t"
    rest = lines[1:]
    steady = [d for d in DELIMITERS if header[d] and rest and all(c[d] == header[d] for c in rest)]
    if steady:
        return max(steady, key=lambda d: header[d])
    return best


def _delimiter_counts(text: str, max_lines: int = 20) -> list[dict[str, int]]:
    """Counts of each candidate delimiter per line (outside quotes; blank lines and a last line cut off by
    the sample left out)."""
    out: list[dict[str, int]] = []
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    seen = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            seen = True
        elif not quoted and ch in "\r\n":
            if seen:
                out.append(counts)
                if len(out) >= max_lines:
                    return out
            counts = dict.fromkeys(DELIMITERS, 0)
            seen = False
        else:
            seen = seen or not ch.isspace()
            if not quoted and ch in counts:
                counts[ch] += 1
    if seen and (not out or not quoted):  # the last line: kept unless it is the sample's cut-off end
        if not out or len(text) < SAMPLE_BYTES // 2:
            out.append(counts)
    return out


def open_csv(
    handle: IO[bytes],
    name: str,
    encoding: str,
    size: int,
    delimiter: str | None,
    text_head: str,
    suffix: str,
) -> TableSource:
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    lines_before = 0
    if text_head.startswith("sep=") and len(text_head) > 4:  # Excel's hint line
        delimiter = delimiter or text_head[4]
        text.readline()
        lines_before = 1
    elif delimiter is None:
        delimiter = detect_delimiter(text_head, suffix)
    raw = getattr(handle, "raw", None)
    window = raw if isinstance(raw, Window) else None
    tail = EdgeLine() if window is not None else None
    # the edge line (see batch.segments) follows the text only when the file is scored in parts
    reader = csv.reader(text if tail is None else chain(text, tail), delimiter=delimiter, strict=False)

    def position() -> int:
        try:
            return handle.tell()
        except (OSError, ValueError):
            return 0

    return TableSource(
        name=name,
        kind="csv",
        rows=reader,
        line=lambda: reader.line_num,
        delimiter=delimiter,
        encoding=encoding,
        size=size,
        position=position,
        close=text.close,
        window=window,
        tail=tail,
        lines_before=lines_before,
    )


def _enc_name(encoding: str) -> str:
    return "UTF-16" if encoding == "utf-16" else "UTF-8"


# --- XLSX ----------------------------------------------------------------------------------------------


def open_xlsx(name: str, size: int) -> TableSource:
    """The first sheet of a workbook, row by row (openpyxl's read-only streaming mode)."""
    import zipfile

    from openpyxl import load_workbook  # type: ignore[import-untyped]

    _check_zip_bomb(name)
    try:
        wb = load_workbook(name, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputFileError(
            f"{name}: cannot read the workbook ({type(exc).__name__}); is it an .xlsx file?"
        ) from None
    ws = wb.worksheets[0] if wb.worksheets else None
    if ws is None:
        wb.close()
        raise InputFileError(f"{name}: the workbook has no sheets")
    state = {"row": 0}
    warning = ""
    if _uncached_formulas(name, str(getattr(ws, "_worksheet_path", ""))):
        warning = (
            f"{name}: the sheet has formulas whose results were never computed (a workbook written by a "
            "program, not saved by a spreadsheet): those cells read as blank (unanswered). Open and save "
            "it in a spreadsheet first"
        )

    def rows() -> Iterator[list[str]]:
        for values in ws.iter_rows(values_only=True):
            state["row"] += 1
            row = [_xlsx_text(v) for v in values]
            while row and row[-1] == "":
                row.pop()
            yield row

    return TableSource(
        name=name,
        kind="xlsx",
        rows=rows(),
        line=lambda: state["row"],
        size=size,
        close=wb.close,
        warning=warning,
    )


_NO_VALUE = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")


def _uncached_formulas(name: str, member: str) -> bool:
    """Does the sheet hold a formula cell with no cached value (read as blank with data_only)?"""
    import zipfile

    try:
        with zipfile.ZipFile(name) as z, z.open(member) as f:
            tail = b""
            while chunk := f.read(1 << 20):
                data = tail + chunk
                if b"<f" in data and _NO_VALUE.search(data):
                    return True
                tail = data[-512:]
    except (KeyError, OSError, ValueError, zipfile.BadZipFile):
        return False
    return False


XLSX_BIG_PART = 64 * 1024 * 1024  # an uncompressed part this large must not also expand suspiciously
XLSX_MAX_RATIO = 200  # real sheets expand 5-20 times; a zip bomb, hundreds or thousands of times


def _check_zip_bomb(name: str) -> None:
    """Refuse a workbook with a part that expands like a zip bomb (openpyxl would hold a huge cell in
    memory) before reading it."""
    import zipfile

    try:
        with zipfile.ZipFile(name) as z:
            parts = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # load_workbook reports it
    for part in parts:
        if part.file_size > XLSX_BIG_PART and part.file_size > XLSX_MAX_RATIO * max(part.compress_size, 1):
            raise InputFileError(
                f"{name}: the workbook part {part.filename[:80]} expands "
                f"{part.file_size // max(part.compress_size, 1):,} times ({part.file_size // 2**20:,} MB); "
                "it looks like a zip bomb and is not read"
            )


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- JSON, JSONL, FHIR ---------------------------------------------------------------------------------


def open_json(
    handle: IO[bytes], name: str, encoding: str, size: int, text_head: str, suffix: str = ""
) -> RecordSource:
    text = io.TextIOWrapper(handle, encoding=encoding)
    state = {"id": ""}
    if text_head.startswith("["):
        items = iter_json_array(text, name)
        kind = "json"
    elif _is_jsonl(text_head) or (  # by name too, as line 1 may be broken (unless it is a pretty-printed '{')
        suffix in (".jsonl", ".ndjson") and text_head.partition("\n")[0].strip() != "{"
    ):
        items = iter_jsonl(text, name)
        kind = "jsonl"
    else:  # one object: a FHIR resource (QuestionnaireResponse or Bundle), or a single flat record
        try:
            whole = _loads(text.read())
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{name}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
        except RecursionError:
            raise InputFileError(f"{name}: not valid JSON: nested too deeply") from None
        except UnicodeDecodeError:
            raise InputFileError(f"{name}: the file is not UTF-8 text") from None
        items = iter([whole])
        kind = "json"

    def records() -> Iterator[Record]:
        nonlocal kind
        count = 0
        for item in items:
            count += 1
            if isinstance(item, BadRecord):
                state["id"] = ""
                yield item
                continue
            if not isinstance(item, dict):
                state["id"] = ""
                yield BadRecord(f"the record is {_kind(item)}, not an object of field -> answer")
                continue
            rtype = item.get("resourceType")
            if rtype is None:
                state["id"] = ""
                yield {str(k): _flat_text(v) for k, v in item.items()}
            elif rtype == "Bundle":
                kind = "fhir"
                for entry in item.get("entry") or []:
                    res = entry.get("resource") if isinstance(entry, dict) else None
                    if isinstance(res, dict) and res.get("resourceType") == "QuestionnaireResponse":
                        state["id"] = _fhir_id(res)
                        yield fhir_record(res)
            elif rtype == "QuestionnaireResponse":
                kind = "fhir"
                state["id"] = _fhir_id(item)
                yield fhir_record(item)
            else:
                state["id"] = ""
                yield BadRecord(
                    f"the record is a FHIR {_kind(rtype) if not isinstance(rtype, str) else rtype[:40]}; "
                    "only QuestionnaireResponse (alone, in an array or in a Bundle) can be scored"
                )

    def position() -> int:
        try:
            return handle.tell()
        except (OSError, ValueError):
            return 0

    src = RecordSource(
        name=name,
        kind=kind,
        records=records(),
        ids=lambda: state["id"],
        size=size,
        position=position,
        close=text.close,
    )
    if '"resourceType"' in text_head:
        src.kind = "fhir"
    return src


def _is_jsonl(head: str) -> bool:
    first, _, rest = head.partition("\n")
    try:
        _loads(first)
    except (ValueError, RecursionError):
        return False
    return bool(rest.strip())


def _kind(item: object) -> str:
    if item is None:
        return "null"
    return {list: "a list", str: "a text", int: "a number", float: "a number", bool: "true/false"}.get(
        type(item), type(item).__name__
    )


def _flat_text(value: Any) -> Cell:
    """A JSON value as the text a CSV export would hold (lists become tuples for multi-selects)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
    if isinstance(value, list):
        return tuple(str(_flat_text(v)) for v in value if not isinstance(v, list | dict))
    return json.dumps(value)  # a nested object: kept as text; it maps to no question by itself


def iter_jsonl(text: IO[str], name: str) -> Iterator[Any]:
    for lineno, line in enumerate(text, 1):
        if not line.strip():
            continue
        try:
            item = _loads(line)
        except json.JSONDecodeError as exc:
            item = BadRecord(f"line {lineno}: not valid JSON: {exc.msg} (column {exc.colno})")
        except RecursionError:
            item = BadRecord(f"line {lineno}: not valid JSON: nested too deeply")
        yield item


def iter_json_array(text: IO[str], name: str, chunk: int = 256 * 1024) -> Iterator[Any]:
    """The items of a top-level JSON array, decoded one at a time from a sliding buffer."""
    decoder = json.JSONDecoder(parse_int=_parse_int)
    buf = ""
    pos = 0
    eof = False
    consumed_lines = 1

    def more() -> bool:
        nonlocal buf, pos, eof, consumed_lines
        if eof:
            return False
        data = text.read(chunk)  # a UnicodeDecodeError is reported by the runner, with its line
        if not data:
            eof = True
            return False
        consumed_lines += buf.count("\n", 0, pos)
        buf = buf[pos:] + data
        pos = 0
        return True

    def skip_ws() -> bool:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n\ufeff":
                pos += 1
            if pos < len(buf):
                return True
            if not more():
                return False

    def bad(what: str) -> InputFileError:
        line = consumed_lines + buf.count("\n", 0, pos)
        return InputFileError(f"{name}:{line}: not valid JSON: {what}")

    if not skip_ws() or buf[pos] != "[":
        raise bad("expected a list of records starting with '['")
    pos += 1
    first = True
    while True:
        if not skip_ws():
            raise bad("the list of records is not closed with ']'")
        if buf[pos] == "]":
            pos += 1
            if skip_ws():
                raise bad("extra data after the list of records")
            return
        if not first:
            if buf[pos] != ",":
                raise bad("expected ',' or ']' between records")
            pos += 1
            if not skip_ws():
                raise bad("the list of records is not closed with ']'")
        first = False
        while True:
            try:
                item, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if more():
                    continue
                raise bad(exc.msg) from None
            except RecursionError:
                raise bad("nested too deeply") from None
            if end == len(buf) and not eof and not isinstance(item, dict | list | str):
                if more():  # a number may continue in the next chunk
                    continue
            break
        pos = end
        yield item


# --- FHIR QuestionnaireResponse ------------------------------------------------------------------------

_FHIR_VALUE_KEYS = (
    "valueBoolean",
    "valueInteger",
    "valueDecimal",
    "valueString",
    "valueCoding",
    "valueQuantity",
    "valueDate",
    "valueDateTime",
)


def _identifier(value: Any) -> dict[str, str] | None:
    """An Identifier as FHIR allows it (a text value, a text system), else None: what is carried over to
    the output must be valid, or a server refuses the whole transaction."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict) or not isinstance(value.get("value"), str) or not value["value"].strip():
        return None
    system = value.get("system")
    return {"system": system, "value": value["value"]} if isinstance(system, str) and system else {"value": value["value"]}


def _reference(value: Any) -> dict[str, Any] | None:
    """A Reference kept as the response has it (its reference, identifier and display), when well formed."""
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for key in ("reference", "type", "display"):
        if isinstance(value.get(key), str) and value[key].strip():
            out[key] = value[key]
    ident = _identifier(value.get("identifier"))
    if ident is not None:
        out["identifier"] = ident
    return out if ("reference" in out or "identifier" in out) else None


def _fhir_id(res: dict[str, Any]) -> str:
    ident = _identifier(res.get("identifier"))
    if ident is not None:
        return ident["value"]
    rid = res.get("id")
    return rid if isinstance(rid, str) else ""


def fhir_record(res: dict[str, Any]) -> Record:
    """linkId -> answer text (a tuple when an item has several answers), nested groups flattened.

    Extra fields: ``__id__`` (the response's identifier or id), ``__status__``, and (as JSON text) the
    response's ``__subject__`` and first ``__identifier__`` when it has them.
    """
    out: Record = {"__id__": _fhir_id(res), "__status__": str(res.get("status") or "")}
    # who the response belongs to, kept as the response has it (batch --format fhir carries it over)
    for key, kept in (("subject", _reference(res.get("subject"))), ("identifier", _identifier(res.get("identifier")))):
        if kept:
            out[f"__{key}__"] = json.dumps(kept, ensure_ascii=False, sort_keys=True)
    stack = list(reversed(res.get("item") or []))
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        link = item.get("linkId")
        answers = item.get("answer") or []
        texts: list[str] = []
        for ans in answers if isinstance(answers, list) else []:
            if not isinstance(ans, dict):
                continue
            for key in _FHIR_VALUE_KEYS:
                if key in ans:
                    texts.append(_fhir_value(ans[key], key))
                    break
            stack.extend(reversed(ans.get("item") or []))
        if link is not None and answers:
            out[str(link)] = texts[0] if len(texts) == 1 else tuple(texts)
        stack.extend(reversed(item.get("item") or []))
    return out


class Coded(str):
    """A FHIR Coding's code that carries its display: read by the code, or by the display when the code is
    not an answer the question knows (LOINC answer lists code 'Yes' as LA33-6). Equal to the code."""

    display: str


# UCUM codes of units of time, as a Quantity carries them ({"value": 2, "code": "a"} is two years)
_UCUM_TIME = {"a": "years", "mo": "months", "wk": "weeks", "d": "days"}


def _quantity(value: dict[str, Any]) -> str:
    """A Quantity's value, with its unit when it is a unit of time ('2 years'), which the number reader
    converts to the question's unit (two years is 24 months, never 2)."""
    from stm_screen.core.answers import is_time_unit

    number = value.get("value")
    if number is None:
        return ""
    text = str(_flat_text(number))
    code, unit = value.get("code"), value.get("unit")
    word = _UCUM_TIME.get(code) if isinstance(code, str) else None
    if word is None and isinstance(unit, str) and is_time_unit(unit.strip().rstrip(".")):
        word = unit.strip().rstrip(".")
    return f"{text} {word}" if word else text


def _fhir_value(value: Any, kind: str = "") -> str:
    if isinstance(value, dict) and kind == "valueQuantity":
        return _quantity(value)
    if isinstance(value, dict):  # a Coding: its code, its display to fall back on
        for key in ("code", "display"):
            if value.get(key) is not None:
                text = str(_flat_text(value[key]))
                display = value.get("display") if key == "code" else None
                if isinstance(display, str) and display.strip() and display != text:
                    coded = Coded(text)
                    coded.display = display
                    return coded
                return text
        return ""
    return str(_flat_text(value))
