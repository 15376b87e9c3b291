"""One CSV file scored in several processes (batch.parallel) gives exactly what one process gives: the same
output bytes, summary counts, first bad records and errors, whatever the file holds near the cuts."""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from stm_screen.batch import parallel, runner, scoring
from stm_screen.batch.output import CsvWriter, JsonlWriter, Writer
from stm_screen.batch.runner import Batch, BatchSettings
from stm_screen.errors import InputFileError
from tests.batch_helpers import records as gen_records
from tests.test_batch_equivalence import random_rows

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parallel scoring is Linux only")

HEADER = list(gen_records.HEADER)
CLI = str(Path(sys.executable).with_name("stm-screen"))
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module", autouse=True)
def _exact_reader() -> Iterator[None]:
    """The splitter is the exact reader's: the columnar reader (stm-screen[fast], installed for the tests)
    is turned off here and has tests of its own (test_batch_columnar.py)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STM_SCREEN_FAST", "0")
        yield


# --- scoring in this process -----------------------------------------------------------------------------


@dataclass
class Outcome:
    output: bytes
    counts: dict[tuple[str, str], int]
    bad: list[tuple[str, int, str]]
    records: list[int]
    error: str | None
    parts: list[list[str]]  # Batch.parts after each input file

    def same_as(self, other: Outcome) -> None:
        assert self.error == other.error
        if self.error is not None:
            return  # the CLI keeps no output of a run that failed
        assert self.records == other.records
        assert self.counts == other.counts
        assert self.bad == other.bad
        assert self.output == other.output


def score(
    ruleset: Any,
    paths: list[Path],
    jobs: int,
    fmt: str = "csv",
    *,
    delimiter: str | None = None,
    in_memory: bool = False,
    allow_missing: bool = False,
) -> Outcome:
    """Score the inputs into one writer as the CLI does (a file column when there are several), into a
    real file (the helpers' output is copied by the kernel) or a StringIO (decoded and written)."""
    kind: type[Writer] = CsvWriter if fmt == "csv" else JsonlWriter
    batch = Batch(ruleset, None, BatchSettings(delimiter=delimiter, jobs=jobs, allow_missing=allow_missing))
    records: list[int] = []
    parts: list[list[str]] = []
    error = None
    target = paths[0].parent / f"out-{jobs}.{fmt}"
    handle: Any = io.StringIO() if in_memory else target.open("w", encoding="utf-8", newline="")
    with handle:
        writer = kind(handle, with_file=len(paths) > 1)
        try:
            for path in paths:
                writer.start_file(str(path))
                records.append(batch.run(str(path), writer))
                parts.append(list(batch.parts))
            writer.begin()
            writer.finish()
        except InputFileError as exc:
            error = str(exc)
        handle.flush()
        output = handle.getvalue().encode("utf-8") if in_memory else target.read_bytes()
    return Outcome(output, dict(writer.counts), list(writer.bad), records, error, parts)


def both(ruleset: Any, paths: list[Path], jobs: int, fmt: str = "csv", **kw: Any) -> tuple[Outcome, Outcome]:
    """One process, then ``jobs``; asserts they agree and returns both."""
    one = score(ruleset, paths, 1, fmt, **kw)
    many = score(ruleset, paths, jobs, fmt, **kw)
    assert one.parts == [[]] * len(one.parts)  # jobs=1: never in parts
    many.same_as(one)
    return one, many


@functools.cache
def rules() -> Any:
    """The bundled rules (not the fixture in hypothesis tests: its repr is long, shown on every failure)."""
    from stm_screen.screening import load_rules

    return load_rules(None)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parallel mode on files of a few ten kilobytes (the main process has read 8 KB when it cuts)."""
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 1000)
    monkeypatch.setattr(runner, "CALIBRATION_ROWS", 5)


@pytest.fixture
def reports(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """What happened to each range of each parallel run, also when the run ended with an error (then
    Batch.parts stays empty)."""
    seen: list[list[str]] = []
    real = parallel.run

    def run(ctx: parallel.Scoring, split: parallel.Split, n: int) -> int:
        seen.append(ctx.report)
        return real(ctx, split, n)

    monkeypatch.setattr(parallel, "run", run)
    return seen


def cut_at(monkeypatch: pytest.MonkeyPatch, choose: Callable[[int], list[int]]) -> list[int]:
    """Cut where ``choose(start)`` says (start: the offset the main process had read to); the list
    returned is filled with the cuts made."""
    made: list[int] = []

    def find(fd: int, start: int, size: int, parts: int, reach: int = 1 << 20) -> list[int]:
        chosen = choose(start)
        assert chosen == sorted(set(chosen)) and all(start < c < size for c in chosen), (start, chosen)
        made[:] = chosen
        return chosen

    monkeypatch.setattr(parallel, "find_cuts", find)
    return made


def line_feeds(data: bytes) -> list[int]:
    """Offsets just after each line feed."""
    return [i + 1 for i, b in enumerate(data) if b == 0x0A]


def record_lines(n: int, seed: int = 3, *, quotes: bool = True) -> list[str]:
    """The header line and ``n`` valid record lines (LF), as gen_records (pt-screen 2.0 records) writes them; ``quotes=False``:
    one pain area per record, so that no cell is quoted."""
    if quotes:
        buf = io.StringIO()
        gen_records.write(n, buf, seed)
        return buf.getvalue().splitlines(keepends=True)
    rng = random.Random(seed)
    records = [gen_records.record(i, rng) for i in range(1, n + 1)]
    return [
        ",".join(cells) + "\n"
        for cells in [HEADER, *[[r[0], r[1], r[2].split(",")[0], *r[3:]] for r in records]]
    ]


def write(path: Path, lines: list[str] | bytes) -> Path:
    path.write_bytes(lines if isinstance(lines, bytes) else "".join(lines).encode("utf-8"))
    return path


# --- hostile files, generated ------------------------------------------------------------------------------

KINDS = (
    "id_lf",  # a quoted id cell holding a line feed
    "id_crlf",
    "comment_lines",  # a quoted comment cell (or id) of several lines, one blank
    "blank",  # a blank line before the record
    "blank_crlf",
    "short",  # fewer cells than the header
    "long",  # more cells, not empty
    "trailing",  # a trailing delimiter (an empty extra cell: still a record)
    "invalid",  # an answer that is not allowed
    "unclosed",  # a cell opened with '"' and never closed
    "nonascii",
    "formula",  # an id a spreadsheet would run
    "quote_id",  # an id holding quotes
    "bare_cr",  # the record ends with a bare CR
    "all_empty",  # only delimiters: a record with no answers
    "edge_like",  # a line that looks like the edge line of batch.segments
    "spaces",
    "stray_quote",  # ab"c, unquoted
    "quoted_tail",  # "ab"cd
)
JUNK = ("maybe", "x", "-3", "11", "1e9", "2,5", "yes please", "ü", "")
COMMENTS = ("", "ok", "fine, thanks", "Schmerz; links", "tab\there", "naïve ☕", "«quoted»")
FIELD_LIMIT = 2000  # csv's field size limit in these tests (16 MB in the CLI): a "huge" cell is one more
IDS = ("=1+2", "+1", "-x", "@sum", "\tP", '=HYPERLINK("x")', "\rP")


@dataclass(frozen=True)
class Shape:
    delimiter: str
    eol: str
    bom: bool
    sep_line: bool
    comment: int | None  # where an extra unmapped column goes
    rows: int
    seed: int
    events: tuple[tuple[int, str], ...]  # (record index, kind)
    broken: tuple[str, int] | None = None  # ("bad_byte" | "truncated_end" | "huge", record index)
    final_eol: bool = True


@dataclass
class Built:
    data: bytes
    hot: list[tuple[int, int]] = field(default_factory=list)  # byte ranges of records with events


def _quote(cell: str, delimiter: str) -> str:
    if any(ch in cell for ch in (delimiter, '"', "\r", "\n")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def build(shape: Shape) -> Built:
    rng = random.Random(shape.seed)
    d = shape.delimiter
    header = list(HEADER)
    if shape.comment is not None:
        header.insert(shape.comment, "comment")
    width = len(header)
    idx = header.index("id")
    note = shape.comment if shape.comment is not None else idx
    questions = [k for k, h in enumerate(header) if h not in ("id", "comment")]
    events: dict[int, list[str]] = {}
    for at, kind in shape.events:
        events.setdefault(at % shape.rows, []).append(kind)
    if shape.broken is not None:
        events.setdefault(shape.broken[1] % shape.rows, []).append(shape.broken[0])
    chunks: list[bytes] = [BOM] if shape.bom else []
    if shape.sep_line:
        chunks.append(f"sep={d}{shape.eol}".encode())
    chunks.append((d.join(_quote(h, d) for h in header) + shape.eol).encode())
    hot = []
    size = sum(map(len, chunks))
    for i in range(shape.rows):
        cells = gen_records.record(i + 1, rng)
        if shape.comment is not None:
            cells.insert(shape.comment, rng.choice(COMMENTS))
        kinds = events.get(i, [])
        before, end = "", shape.eol
        for kind in kinds:
            if kind == "id_lf":
                cells[idx] += "\nsecond line"
            elif kind == "id_crlf":
                cells[idx] += "\r\nsecond line\r\n"
            elif kind == "comment_lines":
                cells[note] = 'first\n\nthird, with a comma\r\nfourth "quoted"\n'
            elif kind == "nonascii":
                cells[idx] = f"Zoë-患者-😀-{i}"
            elif kind == "formula":
                cells[idx] = rng.choice(IDS)
            elif kind == "quote_id":
                cells[idx] = f'P"{i}"x'
            elif kind == "invalid":
                cells[rng.choice(questions)] = rng.choice(JUNK)
            elif kind == "bad_byte":
                cells[idx] += "\udcff"  # written as the byte 0xFF
            elif kind == "huge":
                cells[idx] = "x" * (FIELD_LIMIT + 1)
            elif kind in ("blank", "blank_crlf"):
                before = "\n" if kind == "blank" else "\r\n"
            elif kind == "bare_cr":
                end = "\r"
        coded = [_quote(c, d) for c in cells]
        for kind in kinds:
            if kind == "unclosed":
                coded[note] = '"never closed'
            elif kind == "stray_quote":
                coded[idx] = 'ab"c'
            elif kind == "quoted_tail":
                coded[idx] = '"ab"cd'
        for kind in kinds:
            if kind == "short":
                coded = coded[: rng.randint(1, width - 1)]
            elif kind == "long":
                coded += ["extra"] * rng.randint(1, 3)
            elif kind == "trailing":
                coded.append("")
        line = d.join(coded)
        for kind in kinds:
            if kind == "all_empty":
                line = d * (width - 1)
            elif kind == "edge_like":
                line = '\x1e"' + d * (width + 1)
            elif kind == "spaces":
                line = "   "
        text = before + line
        if i + 1 < shape.rows or shape.final_eol:
            text += end
        chunk = text.encode("utf-8", "surrogateescape")
        if "truncated_end" in kinds and i + 1 == shape.rows:
            chunk = chunk.rstrip(b"\r\n") + "€".encode()[:2]  # the file ends inside a character
        elif "truncated_end" in kinds:
            chunk = chunk[: len(chunk) - len(end.encode())] + "€".encode()[:2] + end.encode()
        if kinds:
            hot.append((size, size + len(chunk)))
        chunks.append(chunk)
        size += len(chunk)
    return Built(b"".join(chunks), hot)


@st.composite
def shapes(draw: st.DrawFn) -> Shape:
    rows = draw(st.integers(170, 320))
    events = draw(
        st.lists(st.tuples(st.integers(0, rows - 1), st.sampled_from(KINDS)), max_size=30).map(
            # a quote never closed in the first rows would take in the rest of the file before it is cut
            lambda evs: tuple((at, kind) for at, kind in evs if kind != "unclosed" or at >= 12)
        )
    )
    broken = draw(
        st.one_of(
            st.none(),
            st.none(),
            st.none(),
            st.tuples(st.sampled_from(["bad_byte", "truncated_end", "huge"]), st.integers(110, rows - 1)),
        )
    )
    return Shape(
        delimiter=draw(st.sampled_from([",", ";", "\t"])),
        eol=draw(st.sampled_from(["\n", "\r\n"])),
        bom=draw(st.booleans()),
        sep_line=draw(st.booleans()),
        comment=draw(st.sampled_from([None, 0, 1, len(HEADER)])),
        rows=rows,
        seed=draw(st.integers(0, 2**31)),
        events=events,
        broken=broken,
        final_eol=draw(st.booleans()),
    )


def test_generated_files_hold_what_they_say() -> None:
    """The generator itself: each kind makes the lines it is meant to (checked with csv.reader)."""
    for kind in KINDS:
        shape = Shape(";", "\r\n", True, True, 1, 20, 5, ((3, kind),))
        built = build(shape)
        text = built.data.decode("utf-8-sig")
        assert text.startswith("sep=;\r\n")
        rows = list(csv.reader(io.StringIO(text.split("\r\n", 1)[1], newline=""), delimiter=";"))
        header, recs = rows[0], rows[1:]
        assert header[1] == "comment" and len(header) == len(HEADER) + 1
        start, end = built.hot[0]
        chunk = built.data[start:end]
        if kind in ("blank", "blank_crlf"):
            assert [] in recs and chunk.startswith(b"\n" if kind == "blank" else b"\r\n")
        elif kind == "bare_cr":
            assert chunk.endswith(b"\r") and not chunk.endswith(b"\r\n")
        elif kind in ("short", "long"):
            assert any(0 < len(r) != len(header) and r != [""] for r in recs)
        elif kind == "unclosed":
            assert b'"never closed' in chunk
        elif kind in ("id_lf", "id_crlf", "comment_lines"):
            assert any("\n" in c for r in recs for c in r)
        elif kind == "edge_like":
            assert chunk.startswith(b'\x1e"')


@settings(
    max_examples=int(os.environ.get("STM_TEST_PARALLEL_EXAMPLES", 45)),  # e.g. 2000 for a longer search
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    shape=shapes(),
    second=st.none() | st.integers(0, 2**31),
    jobs=st.integers(2, 4),
    min_part=st.integers(64, 1500),
    calibration=st.integers(3, 8),
    picks=st.none() | st.lists(st.tuples(st.booleans(), st.integers(0, 10**6)), min_size=1, max_size=3),
    fmt=st.sampled_from(["csv", "jsonl"]),
    told=st.booleans(),
    in_memory=st.booleans(),
)
@example(  # found by this test: a long record before an id with a line feed, in a second file (a stray-quote
    # mend in one process and not in a part gave another error for the same line)
    shape=Shape(";", "\n", False, False, 36, 170, 0, ((141, "long"), (0, "id_lf")), None, False),
    second=132411,
    jobs=2,
    min_part=64,
    calibration=3,
    picks=[(True, 2)],
    fmt="csv",
    told=False,
    in_memory=False,
)
@example(  # found by this test: the same, one file (one record more in parts than in one process)
    shape=Shape(",", "\n", False, False, None, 170, 0, ((141, "long"), (152, "id_lf")), None, False),
    second=None,
    jobs=2,
    min_part=64,
    calibration=3,
    picks=[(True, 3989)],
    fmt="csv",
    told=False,
    in_memory=False,
)
@example(  # found by this test: a bare CR and a blank line in a range (as many records as line feeds)
    shape=Shape(
        ";", "\n", True, False, None, 224, 49462, ((100, "bare_cr"), (100, "blank")), ("huge", 169), False
    ),
    second=None,
    jobs=4,
    min_part=67,
    calibration=8,
    picks=None,
    fmt="jsonl",
    told=False,
    in_memory=True,
)
def test_parallel_equals_one_process(
    tmp_path_factory: pytest.TempPathFactory,
    shape: Shape,
    second: int | None,
    jobs: int,
    min_part: int,
    calibration: int,
    picks: list[tuple[bool, int]] | None,
    fmt: str,
    told: bool,
    in_memory: bool,
) -> None:
    folder = tmp_path_factory.mktemp("hostile")
    built = {folder / "a.csv": build(shape)}
    if second is not None:  # a second input: a file column, and the writer goes on from the first
        built[folder / "b.csv"] = build(Shape(**{**shape.__dict__, "seed": second, "broken": None}))
    for path, b in built.items():
        path.write_bytes(b.data)

    def choose(start: int, data: bytes, hot: list[tuple[int, int]]) -> list[int]:
        """Cuts after line feeds drawn by the test, half of them in or next to records with events."""
        assert picks is not None
        anywhere = [c for c in line_feeds(data) if start < c < len(data)]
        near = [c for c in anywhere if any(lo - 200 <= c <= hi + 200 for lo, hi in hot)]
        if not anywhere:
            return []
        pool = [near if at_event and near else anywhere for at_event, _ in picks]
        return sorted({among[k % len(among)] for among, (_, k) in zip(pool, picks, strict=True)})

    with pytest.MonkeyPatch.context() as mp, small_field_limit():
        mp.setattr(parallel, "MIN_PART_BYTES", min_part)
        mp.setattr(runner, "CALIBRATION_ROWS", calibration)
        if picks is not None:
            by_file = {path.stat().st_ino: b for path, b in built.items()}

            def find(fd: int, start: int, size: int, parts: int, reach: int = 1 << 20) -> list[int]:
                b = by_file[os.fstat(fd).st_ino]
                return choose(start, b.data, b.hot)

            mp.setattr(parallel, "find_cuts", find)
        kw = {"delimiter": shape.delimiter if told else None, "in_memory": in_memory}
        ruleset = rules()
        one = score(ruleset, list(built), 1, fmt, **kw)
        many = score(ruleset, list(built), jobs, fmt, **kw)
    many.same_as(one)
    event("error" if one.error else " ".join(sorted({p.split(":")[1] for ps in many.parts for p in ps})))
    if one.error is None:
        assert all(one.records)
        # the file was scored in parts (the main process had read 8 KB of it; the rest is several parts)
        assert all(many.parts), many.parts


# --- each way a range ends -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("jobs", [2, 3, 4])
def test_clean_file_hands_every_range_over(
    ruleset: Any, tmp_path: Path, small_parts: None, jobs: int, fmt: str
) -> None:
    path = write(tmp_path / "clean.csv", record_lines(600))
    one, many = both(ruleset, [path], jobs, fmt)
    handed = [f"part{j}:handed" for j in range(1, jobs - 1)]
    assert many.parts == [["first:handed", *handed, f"part{jobs - 1}:alone"]]
    assert one.records == [600]
    assert one.output.count(b"\n") == (601 if fmt == "csv" else 600)


def test_several_files_each_in_parts_with_a_file_column(
    ruleset: Any, tmp_path: Path, small_parts: None
) -> None:
    a = write(tmp_path / "a.csv", record_lines(500, seed=1))
    b = write(
        tmp_path / "b b.csv", [line.replace(",", ";").replace("\n", "\r\n") for line in record_lines(450)]
    )
    for fmt in ("csv", "jsonl"):
        one, many = both(ruleset, [a, b], 3, fmt)
        assert many.parts == [["first:handed", "part1:handed", "part2:alone"]] * 2
        assert one.records == [500, 450]
    assert one.output.startswith(b'{"file": ')


def quoted_break_lines(n: int, at: int, cell: str = "P-split\nsecond line") -> list[str]:
    """Valid records, the one at ``at`` with an id cell holding a line break."""
    lines = record_lines(n)
    first, rest = lines[at].split(",", 1)
    lines[at] = f'"{cell}",{rest}'
    return lines


def offset_of(lines: list[str], text: str) -> int:
    return "".join(lines).encode("utf-8").index(text.encode("utf-8"))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_cut_inside_a_quoted_cell_of_the_first_range(
    ruleset: Any, tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    lines = quoted_break_lines(600, 300)
    inside = offset_of(lines, "P-split\n") + len("P-split\n")  # just after the cell's line feed
    path = write(tmp_path / "q.csv", lines)
    made = cut_at(monkeypatch, lambda start: [inside, inside + 9000])
    one, many = both(ruleset, [path], 3, fmt)
    assert made == [inside, inside + 9000]
    assert many.parts == [["first:alone"]]
    assert b"P-split\nsecond line" in one.output or b"P-split\\nsecond line" in one.output


def test_cut_inside_a_quoted_cell_of_a_helpers_range(
    ruleset: Any, tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = quoted_break_lines(600, 400, "P-split\r\n\r\nthird, line\r\n")
    path = write(tmp_path / "q.csv", lines)
    data = path.read_bytes()
    inside = offset_of(lines, "P-split\r\n\r\n") + len("P-split\r\n\r\n")  # after the blank line in the cell
    made = cut_at(monkeypatch, lambda start: [next(c for c in line_feeds(data) if c > start + 5000), inside])
    one, many = both(ruleset, [path], 3)
    assert made[1] == inside
    assert many.parts == [["first:handed", "part1:alone"]]
    assert one.records == [600]


@pytest.mark.parametrize("closed", [False, True])
def test_cut_inside_a_cell_whose_quote_is_never_closed(
    ruleset: Any, tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch, closed: bool
) -> None:
    """A stray '"' takes in the next lines, across the cut: to the end of the file, or up to the next '"'
    (an id cell 60 lines on). Either way the lines it took are read again as records: one row per line."""
    lines = record_lines(600, quotes=False)
    assert '"' not in "".join(lines)
    lines[200] = lines[200].replace(",", ',"oops ', 1)  # the first answer cell opens a quote
    if closed:
        lines[260] = lines[260].replace("P0000260", '"P, 260"')
    path = write(tmp_path / "u.csv", lines)
    feeds = line_feeds(path.read_bytes())
    cut_at(monkeypatch, lambda start: [feeds[230], feeds[400]])  # the first after record 229, in the cell
    one, many = both(ruleset, [path], 3)
    assert many.parts == [["first:alone"]]
    briefs = [brief for _, _, brief in one.bad]
    assert one.records == [600] and "u.csv:201: a '\"' on this line" in briefs[0]


@pytest.mark.parametrize("where", ["first", "helper"])
def test_blank_line_before_a_cut(
    ruleset: Any, tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Every line before the cut a record, but for one blank line: the record count does not match."""
    lines = record_lines(600)
    lines[250 if where == "first" else 450] += "\r\n"  # CRLF blank line, then LF lines again
    path = write(tmp_path / "b.csv", lines)
    data = path.read_bytes()
    feeds = line_feeds(data)
    cut_at(monkeypatch, lambda start: [feeds[300], feeds[500]])
    one, many = both(ruleset, [path], 3)
    assert many.parts == [["first:alone"] if where == "first" else ["first:handed", "part1:alone"]]
    assert one.records == [600]


def test_cut_right_after_a_blank_line(
    ruleset: Any, tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = record_lines(600)
    lines[299] += "\n"
    path = write(tmp_path / "b.csv", lines)
    blank = offset_of(lines, lines[299] + lines[300]) + len(lines[299])  # just after the blank line
    cut_at(monkeypatch, lambda start: [blank])
    one, many = both(ruleset, [path], 2)
    assert many.parts == [["first:alone"]]


def test_edge_like_line_in_the_file_is_a_record(
    ruleset: Any, tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line that looks like the edge line (a record of its own, trailing cells empty) right before a cut."""
    lines = record_lines(600)
    lines[300] = '\x1e"' + "," * (len(HEADER) + 1) + "\n"
    path = write(tmp_path / "e.csv", lines)
    feeds = line_feeds(path.read_bytes())
    cut_at(monkeypatch, lambda start: [feeds[300], feeds[301]])
    one, many = both(ruleset, [path], 3)
    assert many.parts == [["first:handed", "part1:handed", "part2:alone"]]
    assert b'\n300,"\x1e""",' in one.output


EXPORTS = {  # the export fixtures, and how many header rows each has
    "bad_values.csv": 1,
    "google_forms.csv": 1,
    "injection.csv": 1,
    "plain_ids.csv": 1,
    "qualtrics.csv": 3,
    "ragged.csv": 1,
    "redcap_labels.csv": 1,
    "redcap_raw.csv": 1,
    "surveymonkey.csv": 2,
    "text_headers_semicolon.csv": 1,
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_exports_of_each_preset_in_parts(ruleset: Any, tmp_path: Path, small_parts: None, name: str) -> None:
    """The fixture exports (header rows with quoted line breaks, BOM, semicolons, formulas, ragged rows), their
    records repeated 400 times with CRLF line ends."""
    raw = (ROOT / "tests" / "data" / "batch" / name).read_bytes()
    delimiter = ";" if "semicolon" in name else ","
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=delimiter))
    heads = EXPORTS[name]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerows(rows[:heads])
    for _ in range(400):
        w.writerows(rows[heads:])
    path = write(tmp_path / name, raw[:3] * raw.startswith(BOM) + buf.getvalue().encode())
    partial = name in ("bad_values.csv", "injection.csv", "ragged.csv")  # a few columns only
    one, many = both(ruleset, [path], 3, allow_missing=partial)
    assert one.error is None
    assert many.parts == [["first:handed", "part1:handed", "part2:alone"]]


@pytest.mark.parametrize("limits", [(5, 7, 9), (50, 70, 90)])
def test_memo_resets_in_the_helpers(
    ruleset: Any, tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch, limits: tuple[int, ...]
) -> None:
    """Tiny memo limits: every process forgets and recounts its outcomes many times (the counts from before
    a reset are kept), and many distinct errors compete for the five first bad records."""
    for name, limit in zip(("MAX_MEMO", "MAX_TOKENS", "MAX_OUTCOMES"), limits, strict=True):
        monkeypatch.setattr(scoring, name, limit)
    header, data = random_rows(ruleset, 1500, 4)
    path = tmp_path / "r.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *data])
    for fmt in ("csv", "jsonl"):
        one, many = both(ruleset, [path], 4, fmt)
        assert many.parts == [["first:handed", "part1:handed", "part2:handed", "part3:alone"]]
        assert len(one.bad) == 5 and {s for s, _ in one.counts if s != "ignored"} == {"ok", "incomplete", "error"}


def test_writer_handle_that_translates_newlines(ruleset: Any, tmp_path: Path, small_parts: None) -> None:
    """In-process use with a text handle opened with newline='\\r\\n': one process writes CRLF lines."""
    path = write(tmp_path / "in.csv", record_lines(600))
    outputs = []
    for jobs in (1, 3):
        target = tmp_path / f"out{jobs}.csv"
        with target.open("w", encoding="utf-8", newline="\r\n") as handle:
            batch = Batch(ruleset, None, BatchSettings(jobs=jobs))
            batch.run(str(path), CsvWriter(handle, with_file=False))
        outputs.append(target.read_bytes())
    assert batch.parts == ["first:handed", "part1:handed", "part2:alone"]
    assert outputs[0].count(b"\r\n") == 601
    assert outputs[1] == outputs[0]


# --- helpers that fail -------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["raises", "killed", "garbled"])
def test_failed_helper_is_redone(
    ruleset: Any, tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    path = write(tmp_path / "f.csv", record_lines(700))
    feeds = line_feeds(path.read_bytes())
    cuts = [feeds[250], feeds[450], feeds[600]]
    cut_at(monkeypatch, lambda start: cuts)
    main = os.getpid()
    real_open = parallel.open_window
    real_dumps = parallel.json.dumps
    failing = {"here": False}  # set in the failing helper's own memory

    def open_window(fd: int, start: int, encoding: str, **kw: Any) -> Any:
        if os.getpid() != main and start == cuts[1]:  # in the helper of the second range only
            failing["here"] = True
            if how == "raises":
                raise OSError(5, "input/output error")
            if how == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
        return real_open(fd, start, encoding, **kw)

    def dumps(obj: Any, **kw: Any) -> str:  # "garbled": the helper exits 0, but its result is cut short
        return "{" if failing["here"] else real_dumps(obj, **kw)

    monkeypatch.setattr(parallel, "open_window", open_window)
    monkeypatch.setattr(parallel.json, "dumps", dumps)
    one, many = both(ruleset, [path], 4)
    assert many.parts == [["first:handed", "part1:handed", "part2:redone"]]
    assert one.records == [700]


def test_read_error_in_a_helper_is_reported_as_one_process_would(
    ruleset: Any, tmp_path: Path, small_parts: None, reports: list[list[str]]
) -> None:
    lines = record_lines(1200)  # over 64 KB: the first 64 KB are checked when the file is opened
    data = "".join(lines).encode().replace(b"P0001100,", b"P0001100\xff,")
    path = write(tmp_path / "latin.csv", data)
    one, many = both(ruleset, [path], 3)
    assert one.error == (
        f"{path}:1101: the file is not UTF-8 text from here on (it may be Windows-1252 or Latin-1); "
        "export it again as UTF-8 (or UTF-16) and try again"
    )
    assert reports == [["first:handed", "part1:handed", "part2:redone"]]  # the helper failed; redone here


def test_file_ending_inside_a_character(
    ruleset: Any, tmp_path: Path, small_parts: None, reports: list[list[str]]
) -> None:
    data = "".join(record_lines(1200)).encode() + b"P9,\xe2\x82"
    path = write(tmp_path / "cut.csv", data)
    one, many = both(ruleset, [path], 3)
    assert one.error is not None and one.error.startswith(f"{path}:1202: the file is not UTF-8 text")
    assert reports == [["first:handed", "part1:handed", "part2:redone"]]


@contextlib.contextmanager
def small_field_limit() -> Iterator[int]:
    """A small csv field limit (the CLI's is 16 MB), for a cell too large in a file of a few KB."""
    old = csv.field_size_limit(FIELD_LIMIT)
    try:
        yield FIELD_LIMIT
    finally:
        csv.field_size_limit(old)


@pytest.fixture
def field_limit() -> Iterator[int]:
    with small_field_limit() as limit:
        yield limit


@pytest.mark.parametrize("line_ends", ["lf", "bare cr and a blank line"])
def test_csv_error_in_a_helper_names_the_same_line(
    ruleset: Any,
    tmp_path: Path,
    small_parts: None,
    field_limit: int,
    reports: list[list[str]],
    line_ends: str,
) -> None:
    """Line numbers count a bare CR as a line end (as csv.reader does), not only line feeds: a range with
    one bare CR and one blank line has as many records as line feeds, but one line more. (A quoted cell over
    the limit that is never closed: the file is refused.)"""
    lines = record_lines(700)
    if line_ends != "lf":
        lines[100] = lines[100].replace("\n", "\r")  # two records on one line feed
        lines[150] += "\n"  # a blank line
    lines[600] = lines[600].replace("P0000600", '"' + "x" * (field_limit + 10))
    path = write(tmp_path / "big-cell.csv", lines)
    one, many = both(ruleset, [path], 3)
    line = 601 if line_ends == "lf" else 602  # physical lines, as csv.reader counts them
    assert one.error is not None and one.error.startswith(f"{path}:{line}: cannot read the CSV: field larger")
    if line_ends == "lf":
        assert reports == [["first:handed", "part1:handed", "part2:redone"]]
    else:  # the first range has a line more than line feeds: not handed, read on here up to the error
        assert reports == [[]]


@pytest.mark.parametrize("quotes", [True, False], ids=["quoted", "no-quote-in-the-file"])
@pytest.mark.parametrize("line_ends", ["lf", "bare cr and a blank line"])
def test_a_cell_over_the_limit_in_a_helper_is_the_same_error_row(
    ruleset: Any, tmp_path: Path, small_parts: None, field_limit: int, line_ends: str, quotes: bool
) -> None:
    """A cell longer than the limit (here csv's, made small) in a helper's range: the same error row as one
    process makes, naming the same line, and the records after it scored."""
    lines = record_lines(700, quotes=quotes)
    if line_ends != "lf":
        lines[100] = lines[100].replace("\n", "\r")
        lines[150] += "\n"
    big = "x" * (field_limit + 10)
    lines[600] = lines[600].replace("P0000600", f'"{big}"' if quotes else big)
    path = write(tmp_path / "big-cell.csv", lines)
    one, many = both(ruleset, [path], 3)
    assert one.error is None
    line = 601 if line_ends == "lf" else 602
    bad = [row for row in one.output.decode().splitlines() if ",error," in row and "longer than" in row]
    assert len(bad) == 1 and bad[0].startswith("600,,error,") and f"{path}:{line}:" in bad[0]
    assert one.records == [700]


def test_range_with_a_bare_cr_and_a_blank_line_is_not_handed_over(
    ruleset: Any, tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As many records as line feeds, but one line more: the helper of that range reads on alone."""
    lines = record_lines(700)
    lines[350] = lines[350].replace("\n", "\r")
    lines[360] += "\n"
    path = write(tmp_path / "cr.csv", lines)
    feeds = line_feeds(path.read_bytes())
    cut_at(monkeypatch, lambda start: [feeds[300], feeds[500]])
    one, many = both(ruleset, [path], 3)
    assert one.records == [700]
    assert many.parts == [["first:handed", "part1:alone"]]


# --- the installed command -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 20 MB: two ranges of the real 8 MB minimum."""
    path = tmp_path_factory.mktemp("big") / "records.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        gen_records.write(250_000, f, seed=11)
    assert path.stat().st_size >= 2 * parallel.MIN_PART_BYTES
    return path


def session_pids(sid: int) -> list[int]:
    """Processes (zombies included) whose session is ``sid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid:  # state, ppid, pgrp, session
            found.append(int(entry))
    return found


def run_cli(args: list[str], *, watch: bool = False) -> tuple[int, str, bool]:
    """Exit code, stderr, and whether a second process ran in the command's session (a helper)."""
    proc = subprocess.Popen(
        [CLI, "batch", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    helpers = False
    if watch:
        while proc.poll() is None:
            helpers = helpers or len(session_pids(proc.pid)) > 1
            time.sleep(0.01)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode(), helpers


@pytest.mark.skipif(not os.path.exists(CLI), reason="the stm-screen command is not installed")
def test_cli_jobs_2_equals_jobs_1_on_20_mb(big_file: Path, tmp_path: Path) -> None:
    out1, out2 = tmp_path / "one.csv", tmp_path / "two.csv"
    code1, err1, _ = run_cli([str(big_file), "-o", str(out1), "--jobs", "1"])
    code2, err2, helpers = run_cli([str(big_file), "-o", str(out2), "--jobs", "2"], watch=True)
    assert (code1, code2) == (0, 0), (err1, err2)
    assert helpers  # --jobs 2 really forked a helper for the second range
    assert err2 == err1
    assert "250,000 records" in err1
    assert out2.read_bytes() == out1.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.csv", "two.csv"]


@pytest.mark.skipif(not os.path.exists(CLI), reason="the stm-screen command is not installed")
@pytest.mark.parametrize(
    ("sig", "group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False), (signal.SIGTERM, True), (signal.SIGHUP, False)],
    ids=["ctrl-c", "sigterm-main", "sigterm-group", "sighup-main"],
)
def test_stopped_parallel_run_leaves_nothing(big_file: Path, tmp_path: Path, sig: int, group: bool) -> None:
    out_dir, temp = tmp_path / "out", tmp_path / "tmp"
    out_dir.mkdir()
    temp.mkdir()
    proc = subprocess.Popen(
        [CLI, "batch", str(big_file), "-o", str(out_dir / "result.csv"), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={**os.environ, "TMPDIR": str(temp)},  # where the helpers' output files are made
    )
    deadline = time.monotonic() + 20
    while len(session_pids(proc.pid)) < 2:  # wait for the helper: scoring in parts has started
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.002)
    time.sleep(0.05)
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=20)
    stderr = err.decode()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert list(out_dir.iterdir()) == []  # neither the result nor its temp file
    assert list(temp.iterdir()) == []
    assert session_pids(proc.pid) == []  # no helper left, not even a zombie


# A signal can reach a process at any instruction; these runs make it arrive at the worst ones, by wrapping
# os.fork and os.kill in the command's own process (the same code as the stm-screen script, started with -c).
LAUNCH = """
import os, signal, sys
from stm_screen.batch import parallel, runner
parallel.MIN_PART_BYTES = {min_part}
runner.CALIBRATION_ROWS = 5
mode = {mode!r}
real_fork, real_kill = os.fork, os.kill
def fork():
    pid = real_fork()
    if pid and mode in ("fork-parent", "fork-both"):  # a SIGTERM arrives as the helper is forked
        real_kill(os.getpid(), signal.SIGTERM)
    if not pid and mode in ("fork-child", "fork-both"):  # Ctrl-C reaches the new helper at once
        real_kill(os.getpid(), signal.SIGINT)
    return pid
def kill(pid, sig):
    real_kill(pid, sig)
    if sig == signal.SIGKILL and mode == "second":  # a second signal while the helpers are stopped
        real_kill(os.getpid(), signal.SIGTERM)
os.fork, os.kill = fork, kill
from stm_screen.cli.main import main
sys.argv[0] = "stm-screen"
main()
"""


@pytest.mark.parametrize("mode", ["fork-parent", "fork-child", "fork-both", "second"])
def test_signal_at_the_worst_moment(big_file: Path, tmp_path: Path, mode: str) -> None:
    """Stopped while a helper is forked, or a second signal while helpers are stopped: the command exits 130
    (all helpers killed and waited for, no output, no temp file); a helper stopped on its own is redone."""
    small = tmp_path / "in.csv"
    write(small, record_lines(3000))
    source = big_file if mode == "second" else small
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = LAUNCH.format(mode=mode, min_part=1_000_000 if mode == "second" else 20_000)
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "batch", str(source), "-o", str(out_dir / "r.csv"), "--jobs", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    if mode == "second":
        deadline = time.monotonic() + 20
        while len(session_pids(proc.pid)) < 3:  # both helpers forked; the main process scores its range
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.002)
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    stderr = err.decode()
    assert session_pids(proc.pid) == []  # no helper left running, not even a zombie
    assert "Traceback" not in stderr and "internal error" not in stderr
    if mode == "fork-child":  # only the helpers were stopped: their ranges are scored here instead
        assert proc.returncode == 0, stderr
        assert [p.name for p in out_dir.iterdir()] == ["r.csv"]
        assert stderr.startswith("stm-screen: 3,000 records")
        one = tmp_path / "one.csv"
        assert run_cli([str(small), "-o", str(one), "--jobs", "1"])[0] == 0
        assert (out_dir / "r.csv").read_bytes() == one.read_bytes()
    else:
        assert proc.returncode == 130, stderr
        assert stderr == "stm-screen: interrupted\n"
        assert list(out_dir.iterdir()) == []


def test_window_reads_without_positioned_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file system that refuses preadv (EINVAL) is read with seek + read, to the same text."""
    import errno as errno_mod

    from stm_screen.batch import segments

    data = "".join(f"line {i}, é\n" for i in range(5000)).encode()
    path = tmp_path / "w.txt"
    path.write_bytes(data)

    def refuse(*_args: Any) -> int:
        raise OSError(errno_mod.EINVAL, "Invalid argument")

    fd = os.open(path, os.O_RDONLY)
    try:
        text, _window = segments.open_window(fd, 0, "utf-8")
        monkeypatch.setattr(segments.os, "preadv", refuse)
        assert text.read() == data.decode()
        text2, window2 = segments.open_window(fd, len(b"line 0, \xc3\xa9\n"), "utf-8")
        window2.limit = window2.pos + 11
        assert text2.read() == "line 1, é\n"
    finally:
        os.close(fd)
