"""Two stray quotes that pair into one well-formed quoted cell across records (issue 10, the last class).

A stray '"' at the start of a cell in record A and another at the end of the same column's cell in a later
record B make one quoted cell of everything between them, and the joined lines then hold exactly the
header's number of cells: the header's width does not contradict the merge. Byte for byte, that is how a
comment typed on several lines looks; the signal is the column: an id or a closed answer (yes/no, choice,
number) never holds a line break. Such a cell is read as the records its lines are, if they read so:
record A and record B are error rows naming the stray quote and their own FILE:LINE, the records between
are scored, and there is one output row per record. The same bytes in a free-text column (a comment, a
column no question reads) stay one record.

Families: ``_paired`` (seeded files like ``test_stray_quotes_multiline._searched``'s, with multi-line
comments elsewhere, a pair of strays one to three records apart in the id or a yes/no column), hypothesis
over random quote placement in files of an id and yes/no columns (one output row per physical line, and
each stray-quote error names its own line), genuine multi-line comments in Qualtrics and REDCap exports
(unchanged, even when each of a comment's lines has the header's width), and both readers and --jobs 1/2
agreeing on files holding pairs.
"""

from __future__ import annotations

import csv
import functools
import io
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.batch_helpers import records as gen_records
from tests.test_stray_quotes_multiline import SEARCHED, _quote

HEADER = list(gen_records.HEADER)
BATCH = Path(__file__).resolve().parent / "data" / "batch"


@functools.lru_cache(maxsize=1)
def _ruleset() -> Any:
    from stm_screen.rules.loader import load_ruleset

    return load_ruleset()


def _yes_no() -> list[str]:
    """The bundled questions answered yes or no, as HEADER names them."""
    kinds = {q.id: q.type for q in _ruleset().questions}
    return [h for h in HEADER if kinds.get(h) == "boolean"]


def _score(path: Path) -> list[dict[str, str]]:
    from stm_screen.batch.output import CsvWriter
    from stm_screen.batch.runner import Batch, BatchSettings

    buf = io.StringIO()
    Batch(_ruleset(), None, BatchSettings(allow_missing=True)).run(str(path), CsvWriter(buf, with_file=False))
    return list(csv.DictReader(io.StringIO(buf.getvalue())))


def _breaks(text: str) -> int:
    return len(re.findall(r"\r\n|\r|\n", text))


def _paired(seed: int) -> tuple[str, list[str], tuple[int, int], str]:
    """(file text, each record's text, the two records holding the pair, delimiter). Up to 10 records, a
    comment column (or none) with multi-line comments as in ``_searched``; a stray '"' opens the cell of
    the id or a yes/no column in record A, another closes the same column's cell in record B (1 to 3
    records later). Cells between the two quotes are left unquoted (else a real quote would end the pair's
    cell, a class of its own)."""
    rng = random.Random(seed)
    d = rng.choice([",", ";", "\t"])
    head = list(HEADER)
    comment = rng.random() < 0.7
    col = rng.randint(1, len(head))
    if comment:
        head.insert(col, "comment")
    rows = []
    n = rng.randint(2, 10)
    for i in range(1, n + 1):
        cells = gen_records.record(i, rng)
        cells[0] = f"P{i:04d}"
        if d == ",":
            cells[2] = cells[2].split(",")[0]
        if comment:
            cells.insert(col, rng.choice(SEARCHED) if rng.random() < 0.5 else "")
        rows.append(cells)
    closed = [0, *(head.index(h) for h in _yes_no())]
    a = rng.randrange(n - 1)
    b = a + rng.randint(1, min(3, n - 1 - a))
    c = rng.choice([k for k in closed if rows[b][k]])
    for k in range(a, b + 1):  # the cells the pair's quoted cell runs over: nothing to quote in them
        for j, cell in enumerate(rows[k]):
            if (k, j) > (a, c) and (k, j) < (b, c) and _quote(cell, d) != cell:
                rows[k][j] = re.sub(r"[\r\n\"]", " ", cell).replace(d, " ")
    written = [[_quote(cell, d) for cell in r] for r in rows]
    written[a][c] = '"' + written[a][c]
    written[b][c] = written[b][c] + '"'
    texts = [d.join(w) for w in written]
    end = rng.choice(["\n", "\r\n"])
    return d.join(head) + end + end.join(texts) + end, texts, (a, b), d


def _first_lines(records: list[str]) -> list[int]:
    """Each record's first physical line (the header is line 1)."""
    out, line = [], 2
    for text in records:
        out.append(line)
        line += 1 + _breaks(text)
    return out


def _check_paired(tmp_path: Path, case: tuple[str, list[str], tuple[int, int], str]) -> None:
    text, records, (a, b), d = case
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode("utf-8"))
    out = _score(path)
    assert [row["row"] for row in out] == [str(i) for i in range(1, len(records) + 1)], (text, out)
    lines = _first_lines(records)
    for k in (a, b):
        # the error row keeps the record's id when it comes before the stray quote; never another id
        first = records[k].split(d)[0]
        assert out[k]["status"] == "error" and out[k]["id"] in ("", first if '"' not in first else ""), (text, out[k])
        assert out[k]["error"].startswith(f"{path}:{lines[k]}: a stray '\"'"), (text, out[k])
    assert f"opened on line {lines[a] + _breaks(records[a])}," in out[b]["error"], (text, out[b])
    for k, row in enumerate(out):
        if k not in (a, b):  # the records between and around the pair: themselves, scored
            assert row["status"] != "error" and row["id"] == f"P{k + 1:04d}", (text, row)


@pytest.mark.parametrize("block", range(4))
def test_a_pair_of_stray_quotes_in_a_closed_column_is_two_error_rows(tmp_path: Path, block: int) -> None:
    for seed in range(block * 50, block * 50 + 50):
        _check_paired(tmp_path, _paired(seed))


def test_the_found_case_of_the_offline_search(tmp_path: Path) -> None:
    """``_searched(41025, True)`` as pt-screen 2.0's columns made it (kept as a file): a stray opens
    night_pain in record 1 (whose comment is on two lines) and one closes it in record 2; the joined lines
    have the header's width. Before, record 2 vanished."""
    path = tmp_path / "in.tsv"
    path.write_bytes((Path(__file__).resolve().parent / "data" / "stray_pair_41025.tsv").read_bytes())
    out = _score(path)
    assert [row["row"] for row in out] == ["1", "2"], out
    assert out[0]["error"].startswith(f"{path}:2: a stray '\"' on line 3 (in the record on lines 2 to 3)")
    assert "line 4 closes" in out[0]["error"] and out[1]["error"].startswith(f"{path}:4: a stray '\"' on this line closes")


def _contrast(column: str, comment: bool = False) -> str:
    """Two records and the same stray-looking quotes: in ``column``'s cell of record 1 a '"' opens, in
    record 2's a '"' closes; the joined lines have the header's width. With ``comment``, record 1's comment
    is on two lines (its first line is not a whole record: only the column tells the two readings apart).
    Every answer is 'no'."""
    head = ["id", "comment", "night_pain", "note", "cancer_history"]
    at = head.index(column)
    first = '"two\nlines"' if comment else "ok"
    rows = [["P0001", first, "no", "no", "no"], ["P0002", "ok", "no", "no", "no"]]
    rows[0][at] = '"' + rows[0][at]
    rows[1][at] = rows[1][at] + '"'
    return "\n".join(",".join(r) for r in [head, *rows]) + "\n"


@pytest.mark.parametrize("column", ["id", "night_pain", "cancer_history"])
def test_the_same_bytes_in_a_closed_column_are_two_records(tmp_path: Path, column: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(_contrast(column), encoding="utf-8")
    out = _score(path)
    assert [(row["row"], row["status"]) for row in out] == [("1", "error"), ("2", "error")], out
    assert out[0]["error"].startswith(f"{path}:2: a stray '\"' on this line opens a quoted cell that line 3 closes")
    assert out[1]["error"].startswith(f"{path}:3: a stray '\"' on this line closes a quoted cell opened on line 2")


@pytest.mark.parametrize("column", ["night_pain", "cancer_history"])
def test_after_a_comment_on_two_lines_too(tmp_path: Path, column: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(_contrast(column, comment=True), encoding="utf-8")
    out = _score(path)
    assert [(row["row"], row["status"]) for row in out] == [("1", "error"), ("2", "error")], out
    assert out[0]["error"].startswith(f"{path}:2: a stray '\"' on line 3 (in the record on lines 2 to 3) opens")
    assert out[1]["error"].startswith(f"{path}:4: a stray '\"' on this line closes a quoted cell opened on line 3")


def test_the_same_bytes_in_a_free_text_column_are_one_record(tmp_path: Path) -> None:
    """A column no question reads, holding a line break and, by chance, as many delimiters as a record, after
    a comment on two lines: one record, as written (the bytes of the case above)."""
    path = tmp_path / "in.csv"
    path.write_text(_contrast("note", comment=True), encoding="utf-8")
    out = _score(path)
    assert [(row["row"], row["id"], row["status"]) for row in out] == [("1", "P0001", "incomplete")], out


# --- random quotes in files of an id and yes/no answers -------------------------------------------------


@st.composite
def yes_no_files(draw: st.DrawFn) -> tuple[str, list[str], tuple[int, int] | None]:
    """(file text, its record lines, the records of a pair alone in the file): an id and yes/no columns, one
    record a line, and up to five '"' (or '""') at random places: a cell's start or end, or anywhere;
    half the time a pair (a column's cell opened in one record, closed in a later one)."""
    cols = _yes_no()[: draw(st.integers(3, 12))]
    d = draw(st.sampled_from([",", ";", "\t"]))
    n = draw(st.integers(2, 9))
    rng = random.Random(draw(st.integers(0, 10**6)))
    rows = [[f"P{i:04d}", *(rng.choice(["yes", "no", "no", ""]) for _ in cols)] for i in range(1, n + 1)]
    texts = [d.join(r) for r in rows]
    pair = None
    if draw(st.booleans()):  # a pair in one column: opened in one record, closed in a later one
        a = draw(st.integers(0, n - 2))
        b = draw(st.integers(a + 1, n - 1))
        c = draw(st.integers(0, len(cols)))
        rows[a][c] = '"' + rows[a][c]
        rows[b][c] = rows[b][c] + '"'
        texts = [d.join(r) for r in rows]
        pair = (a, b)
    for _ in range(draw(st.integers(0 if pair else 1, 4))):
        pair = None
        i = draw(st.integers(0, n - 1))
        line = texts[i]
        starts = [0] + [m.end() for m in re.finditer(re.escape(d), line)]
        ends = [m.start() for m in re.finditer(re.escape(d), line)] + [len(line)]
        at = draw(st.one_of(st.sampled_from(starts), st.sampled_from(ends), st.integers(0, len(line))))
        texts[i] = line[:at] + draw(st.sampled_from(['"', '"', '""'])) + line[at:]
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return d.join(["id", *cols]) + end + end.join(texts) + end, texts, pair


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=yes_no_files())
@example(case=(_contrast("night_pain"), _contrast("night_pain").splitlines()[1:], (0, 1)))
def test_one_row_per_physical_line_and_errors_name_their_own_line(tmp_path: Path, case: Any) -> None:
    text, lines, pair = case
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode("utf-8"))
    d = text[2]  # the header: "id" then the delimiter
    own = [next(csv.reader([line], delimiter=d, strict=False))[0] for line in lines]
    out = _score(path)
    assert [row["row"] for row in out] == [str(i) for i in range(1, len(lines) + 1)], (text, out)
    for i, row in enumerate(out):
        if row["status"] != "error":
            assert row["id"] == own[i], (text, row)
        assert row["id"] not in set(own) - {own[i]}, (text, row)
        if row["error"].startswith(f"{path}:"):  # a stray quote's error: the row's own line, never a range
            assert row["error"].startswith(f"{path}:{i + 2}: a "), (text, row)
            assert " to " not in row["error"].split(":", 2)[2].split("(")[0], (text, row)
    if pair is not None:  # the pair's two records are error rows naming the stray quote; the others scored
        a, b = pair
        assert out[a]["error"].startswith(f"{path}:{a + 2}: a stray '\"' on this line opens"), (text, out[a])
        assert out[b]["error"].startswith(f"{path}:{b + 2}: a stray '\"' on this line closes"), (text, out[b])
        assert all(row["status"] != "error" for k, row in enumerate(out) if k not in pair), (text, out)


# --- genuine multi-line comments: unchanged -----------------------------------------------------------------


def _with_comments(name: str, comments: dict[int, str]) -> tuple[str, str]:
    """A fixture with a comment column added last (a REDCap notes field, a Qualtrics text entry question):
    (the file as exported with ``comments`` on those records (from 0), the same with one-line comments)."""
    raw = (BATCH / name).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    n_head = 3 if name.startswith("qualtrics") else 1
    heads = [["Q36_TEXT"], ["Anything else you want to tell us?"], ['{"ImportId": "QID36_TEXT"}']][:n_head]
    if name.startswith("qualtrics"):  # its header ends with an empty column: the question takes its place
        rows = [r[:-1] for r in rows]
    width = len(rows[0]) + 1

    def text(multi: bool) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        for k, r in enumerate(rows):
            extra = heads[k] if k < n_head else [comments.get(k - n_head, "") if multi else "one line"]
            w.writerow([*r, *extra])
        return buf.getvalue()

    assert all(len(r) + 1 == width for r in rows)
    return text(True), text(False)


@pytest.mark.parametrize("name", ["qualtrics.csv", "redcap_raw.csv"])
def test_multi_line_comments_in_exports_stay_one_record(tmp_path: Path, name: str) -> None:
    """Comments typed on several lines (delimiters, quotes, blank lines, CRLF inside): every record is read
    as written, with the statuses of the same export with one-line comments."""
    comments = {
        0: "first line\nsecond, with a comma",
        1: "a,b,c\nd,e",
        2: 'she said "no"\r\n\r\nthen yes',
        4: "\n",
    }
    multi, plain = _with_comments(name, comments)
    assert sum(1 for _ in csv.reader(io.StringIO(multi, newline=""))) == sum(1 for _ in csv.reader(io.StringIO(plain, newline="")))
    (tmp_path / "multi.csv").write_text(multi, encoding="utf-8", newline="")
    (tmp_path / "plain.csv").write_text(plain, encoding="utf-8", newline="")
    got, want = _score(tmp_path / "multi.csv"), _score(tmp_path / "plain.csv")
    assert len(got) == len(want) > 3
    assert [(r["row"], r["id"], r["status"], r["error"]) for r in got] == [
        (r["row"], r["id"], r["status"], r["error"]) for r in want
    ]
    assert not any("stray" in r["error"] for r in got), got


# --- both readers, one process or two ------------------------------------------------------------------------


def _big(seed: int, records: int) -> str:
    """Many records (an id and every HEADER column), some with multi-line comments, a few pairs of stray
    quotes in yes/no columns."""
    rng = random.Random(seed)
    head = [*HEADER, "comment"]
    closed = [0, *(head.index(h) for h in _yes_no())]
    rows = []
    for i in range(1, records + 1):
        cells = gen_records.record(i, rng)
        cells[0] = f"P{i:05d}"
        cells[2] = cells[2].split(",")[0]
        cells.append(rng.choice(["", "", "", "first line\nsecond, line", "ok"]))
        rows.append([_quote(c, ",") for c in cells])
    placed = 0
    for a in rng.sample(range(records - 3), records - 3):
        b = a + rng.randint(1, 2)
        if any('"' in cell for r in rows[a : b + 1] for cell in r):
            continue  # a quoted cell between would end the pair's cell (another class), or a pair is there
        c = rng.choice([k for k in closed if rows[b][k]])
        rows[a][c] = '"' + rows[a][c]
        rows[b][c] = rows[b][c] + '"'
        placed += 1
        if placed == max(2, records // 40):
            break
    return "\n".join(",".join(r) for r in [head, *rows]) + "\n"


def test_jobs_one_and_two_agree_on_pairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file scored in parts (mended without reading ahead): the pairs are found from a row's own lines,
    so one process and two write the same bytes, also with a cut between a pair's two lines."""
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("parallel scoring is Linux only")
    from stm_screen.batch import parallel, runner
    from tests.test_batch_parallel import both, cut_at

    monkeypatch.setenv("STM_SCREEN_FAST", "0")
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 1000)
    monkeypatch.setattr(runner, "CALIBRATION_ROWS", 5)
    path = tmp_path / "in.csv"
    text = _big(5, 300)
    path.write_bytes(text.encode("utf-8"))
    one, two = both(_ruleset(), [path], 2, allow_missing=True)
    assert two.parts != [[]], two.parts  # scored in parts
    out = list(csv.DictReader(io.StringIO(one.output.decode("utf-8"))))
    assert len(out) == 300 and sum("closes a quoted cell" in r["error"] for r in out) >= 5
    # a cut just after the line that opens a pair's cell
    data = text.encode("utf-8")
    opener = next(m.start() for m in re.finditer(rb',"(yes|no)', data) if data.index(b"\n", m.start()) > len(data) // 2)
    inside = data.index(b"\n", opener) + 1
    made = cut_at(monkeypatch, lambda start: [inside])
    one, two = both(_ruleset(), [path], 2, allow_missing=True)
    assert made == [inside] and two.parts != [[]], two.parts


def test_both_readers_agree_on_pairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyarrow")
    from tests.test_batch_columnar import both

    path = tmp_path / "in.csv"
    for seed in range(8):
        path.write_bytes(_big(seed, 60).encode("utf-8"))
        exact, fast, _spy = both(path, tmp_path, monkeypatch, allow_missing=True)
        assert fast == exact, seed
        out = list(csv.DictReader(io.StringIO(exact["out"].decode("utf-8"))))
        assert len(out) == 60 and any("closes a quoted cell" in r["error"] for r in out)
    for seed in range(20):
        path.write_bytes(_paired(seed)[0].encode("utf-8"))
        exact, fast, _spy = both(path, tmp_path, monkeypatch, allow_missing=True)
        assert fast == exact, seed
