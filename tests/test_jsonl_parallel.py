"""A JSON Lines file scored in several processes (batch.parallel.run_records) gives exactly what one
process gives: the same output bytes, summary counts, first bad records, errors and exit codes, whatever
its lines hold near the cuts (broken JSON, a key twice, blank lines, a record that is not an object, a
FHIR Bundle of several records on one line, CR LF or bare CR line ends, a BOM, a huge record)."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from stm_screen.batch import parallel, readers, runner
from stm_screen.batch.runner import Batch, BatchSettings
from stm_screen.errors import StmScreenError
from tests.batch_helpers import records as gen_records
from tests.test_batch_parallel import Outcome, line_feeds, rules, score, session_pids

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parallel scoring is Linux only")

HEADER = list(gen_records.HEADER)
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parallel mode on files of a few ten kilobytes (the main process has read 8 KB when it cuts)."""
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 1000)
    monkeypatch.setattr(runner, "CALIBRATION_ROWS", 5)


@pytest.fixture
def reports(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """What happened to each range of each parallel run, also when the run ended with an error."""
    seen: list[list[str]] = []
    real = parallel.run_records

    def run(ctx: parallel.RecordParts, split: parallel.Split) -> int:
        seen.append(ctx.report)
        return real(ctx, split)

    monkeypatch.setattr(parallel, "run_records", run)
    return seen


def cut_at(monkeypatch: pytest.MonkeyPatch, choose: Callable[[int], list[int]]) -> None:
    """Cut where ``choose(start)`` says (start: the offset the main process had read to)."""

    def find(fd: int, start: int, size: int, parts: int, reach: int = 1 << 20) -> list[int]:
        chosen = [c for c in choose(start) if start < c < size]
        assert chosen == sorted(set(chosen)), chosen
        return chosen

    monkeypatch.setattr(parallel, "find_cuts", find)


def record(i: int, rng: random.Random) -> dict[str, str]:
    return dict(zip(HEADER, gen_records.record(i, rng), strict=True))


def good_lines(n: int, seed: int = 3, eol: str = "\n") -> list[str]:
    rng = random.Random(seed)
    return [json.dumps(record(i, rng)) + eol for i in range(1, n + 1)]


def write(path: Path, lines: list[str], bom: bool = False) -> Path:
    path.write_bytes((BOM if bom else b"") + "".join(lines).encode("utf-8"))
    return path


def agree(paths: list[Path], jobs: tuple[int, ...] = (2, 3, 4), fmt: str = "csv") -> tuple[Outcome, list[Outcome]]:
    """One process, then each of ``jobs``: all the same (output, counts, first bad records, error)."""
    ruleset = rules()
    one = score(ruleset, paths, 1, fmt, allow_missing=True)  # (records written for an earlier ruleset too)
    assert one.parts == [[]] * len(one.parts)
    many = [score(ruleset, paths, j, fmt, allow_missing=True) for j in jobs]
    for other in many:
        other.same_as(one)
    return one, many


def bundle(ids: list[str]) -> str:
    """A FHIR Bundle of QuestionnaireResponses on one line: several records."""
    entries = [
        {
            "resource": {
                "resourceType": "QuestionnaireResponse",
                "id": rid,
                "status": "completed",
                "item": [{"linkId": "pain_intensity", "answer": [{"valueInteger": 4}]}],
            }
        }
        for rid in ids
    ]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}) + "\n"


# --- clean files, and how far each range goes --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_clean_file_hands_every_range_over(tmp_path: Path, small_parts: None, fmt: str, eol: str) -> None:
    path = write(tmp_path / "clean.jsonl", good_lines(600, eol=eol))
    one, many = agree([path], fmt=fmt)
    assert one.records == [600]
    assert [m.parts for m in many] == [
        [["first:handed", f"part{jobs - 1}:alone"]] if jobs == 2 else
        [["first:handed", *(f"part{j}:handed" for j in range(1, jobs - 1)), f"part{jobs - 1}:alone"]]
        for jobs in (2, 3, 4)
    ]  # fmt: skip
    assert one.output.count(b"\n") == (601 if fmt == "csv" else 600)


def test_several_files_each_in_parts_with_a_file_column(tmp_path: Path, small_parts: None) -> None:
    a = write(tmp_path / "a.jsonl", good_lines(500, seed=1))
    b = write(tmp_path / "b b.jsonl", good_lines(450, seed=2, eol="\r\n"), bom=True)
    one, many = agree([a, b], jobs=(3,))
    assert many[0].parts == [["first:handed", "part1:handed", "part2:alone"]] * 2
    assert one.records == [500, 450]


def test_small_file_and_jobs_1_stay_in_one_process(tmp_path: Path, reports: list[list[str]]) -> None:
    path = write(tmp_path / "small.jsonl", good_lines(300))  # far below two ranges of 8 MB
    agree([path], jobs=(0, 2))
    assert reports == []


# --- what a line near a cut holds --------------------------------------------------------------------------

ODD_LINES = {
    "broken": '{"id": "broken", "pain_intensity": \n',
    "twice": '{"id": "twice", "pain_intensity": "3", "pain_intensity": "4"}\n',
    "list": "[1, 2, 3]\n",
    "number": "42\n",
    "null": "null\n",
    "text": '"just a text"\n',
    "blank": "\n",
    "blank_crlf": "\r\n",
    "spaces": "   \t \n",
    "nbsp": "\u00a0\u2003\n",  # white space as str.strip sees it (no record)
    "bom_mid": "\ufeff\n",  # a BOM inside the file is no white space: a broken record
    "bare_cr": '{"id": "cr", "pain_intensity": "2"}\r',
    "huge": json.dumps({"id": "h" * 300_000, "pain_intensity": "5"}) + "\n",
    "bundle": bundle(["b1", "b2", "b3"]),
    "empty_bundle": '{"resourceType": "Bundle", "type": "collection"}\n',
    "other_keys": '{"record": "x", "note": "no question here"}\n',
    "deep": "[" * 300 + "]" * 300 + "\n",
}


@pytest.mark.parametrize("kind", sorted(ODD_LINES))
@pytest.mark.parametrize("where", ["before", "after", "late"])
def test_odd_line_near_a_cut(
    tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch, kind: str, where: str
) -> None:
    lines = good_lines(700)
    at = {"before": 299, "after": 300, "late": 650}[where]  # the line just before a cut, just after, far after
    lines[at:at] = [ODD_LINES[kind]]
    path = write(tmp_path / "odd.jsonl", lines)
    feeds = line_feeds(path.read_bytes())
    cut_at(monkeypatch, lambda start: [feeds[299], feeds[500]])
    one, many = agree([path], jobs=(3,))
    assert many[0].parts[0][0].startswith("first:")
    if kind in ("bundle", "empty_bundle") and where != "late":  # not one record: that range's count is off
        expected = [["first:alone"]] if where == "before" else [["first:handed", "part1:alone"]]
        assert many[0].parts == expected
    elif kind not in ("bundle", "empty_bundle"):  # one record a line, or none: every count is right
        assert many[0].parts == [["first:handed", "part1:handed", "part2:alone"]]


def test_broken_line_is_named_by_its_line_in_a_helpers_range(
    tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = good_lines(700, eol="\r\n")
    lines[600:600] = ["\r\n", '{"id": "x", "pain_intensity": 3,}\r\n']  # lines 601 (blank) and 602
    path = write(tmp_path / "late.jsonl", lines, bom=True)
    feeds = line_feeds(path.read_bytes())
    cut_at(monkeypatch, lambda start: [feeds[250], feeds[450]])
    one, many = agree([path], jobs=(3,))
    assert many[0].parts == [["first:handed", "part1:handed", "part2:alone"]]  # the third range had it
    assert one.records == [701]
    assert f"{path}:602:33: not valid JSON: a key in double quotes is expected" in one.output.decode()
    assert one.bad[0][1] == 601  # the record number: blank lines are no records


def test_errors_only_in_the_second_half(tmp_path: Path, small_parts: None) -> None:
    lines = good_lines(800)
    for at in (790, 700, 600, 500):
        lines.insert(at, ODD_LINES["twice"] if at % 200 else ODD_LINES["broken"])
    path = write(tmp_path / "second.jsonl", lines)
    one, many = agree([path])
    assert len(one.bad) == 2  # two distinct errors, each first met in a helper's range
    assert all(m.parts[0][0] == "first:handed" for m in many)
    assert "answered twice" in one.output.decode()


# --- helpers that fail, and what they saw ---------------------------------------------------------------------


@pytest.mark.parametrize("how", ["raises", "killed"])
def test_failed_helper_is_redone(
    tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    path = write(tmp_path / "f.jsonl", good_lines(700))
    feeds = line_feeds(path.read_bytes())
    cuts = [feeds[250], feeds[450], feeds[600]]
    cut_at(monkeypatch, lambda start: cuts)
    main = os.getpid()
    real_open = readers.open_window

    def open_window(fd: int, start: int, encoding: str, **kw: Any) -> Any:
        if os.getpid() != main and start == cuts[1]:  # in the helper of the second range only
            if how == "raises":
                raise OSError(5, "input/output error")
            os.kill(os.getpid(), signal.SIGKILL)
        return real_open(fd, start, encoding, **kw)

    monkeypatch.setattr(readers, "open_window", open_window)
    one, many = agree([path], jobs=(4,))
    assert many[0].parts == [["first:handed", "part1:handed", "part2:redone"]]
    assert one.records == [700]


def test_bytes_not_utf8_in_a_helpers_range_are_reported_as_one_process_would(
    tmp_path: Path, small_parts: None, reports: list[list[str]]
) -> None:
    data = "".join(good_lines(700)).encode().replace(b'"P0000650"', b'"P0000650\xff"')
    path = tmp_path / "latin.jsonl"
    path.write_bytes(data)
    one, _ = agree([path], jobs=(3,))
    assert one.error == (
        f"{path}:650: the file is not UTF-8 text from here on (it may be Windows-1252 or Latin-1); "
        "export it again as UTF-8 (or UTF-16) and try again"
    )
    assert reports == [["first:handed", "part1:handed", "part2:redone"]]  # the helper failed; redone here


def test_redcap_events_seen_by_helpers_are_merged(tmp_path: Path, small_parts: None) -> None:
    """A REDCap export's records of other events are skipped and counted in whichever process reads them;
    an event asked for that only a helper's range holds is found."""
    rng = random.Random(5)
    lines = []
    for i in range(1, 701):
        rec = {"record_id": str(i), "redcap_event_name": "late_arm_1" if i > 600 else "screening_arm_1"}
        rec.update({k: v for k, v in record(i, rng).items() if k != "id"})
        if i % 3 == 0 and i <= 600:
            rec = {"record_id": str(i), "redcap_event_name": "followup_arm_1"}
        lines.append(json.dumps(rec) + "\n")
    path = write(tmp_path / "redcap.jsonl", lines)
    for events in ((), ("late_arm_1",)):
        outs = []
        for jobs in (1, 3):
            batch = Batch(rules(), None, BatchSettings(jobs=jobs, events=events, preset="redcap", allow_missing=True))
            target = tmp_path / f"out-{jobs}.csv"
            with target.open("w", encoding="utf-8", newline="") as handle:
                from stm_screen.batch.output import CsvWriter

                writer = CsvWriter(handle, with_file=False)
                writer.start_file(str(path))
                n = batch.run(str(path), writer)
                batch.check_events_found()
            outs.append((target.read_bytes(), n, writer.counts, batch.events_seen, batch.parts))
        assert outs[1][:4] == outs[0][:4]
        assert outs[1][4][0] == "first:handed"
        assert "late_arm_1" in outs[1][3]


# --- hypothesis: random mixes of lines, cut anywhere ----------------------------------------------------------

KINDS = ("good",) * 12 + ("broken", "twice", "list", "blank", "blank_crlf", "spaces", "bare_cr", "crlf", "null",
                          "nbsp")  # fmt: skip


@st.composite
def mixes(draw: st.DrawFn) -> tuple[bytes, list[int], int, bool]:
    """A file of good records and odd lines (the kinds above), cut after line feeds the test draws."""
    seed = draw(st.integers(0, 10_000))
    rng = random.Random(seed)
    kinds = ["good"] * draw(st.sampled_from([0, 20])) + draw(st.lists(st.sampled_from(KINDS), min_size=20, max_size=240))
    if draw(st.integers(0, 4)) == 0:  # now and then a Bundle: several records on one line
        kinds.insert(draw(st.integers(0, len(kinds))), "bundle")
    bom = draw(st.booleans())
    parts = []
    for i, kind in enumerate(kinds, 1):
        if kind == "good":
            parts.append(json.dumps(record(i, rng)) + "\n")
        elif kind == "crlf":
            parts.append(json.dumps(record(i, rng)) + "\r\n")
        elif kind == "bundle":
            parts.append(bundle([f"b{i}", f"c{i}"]))
        else:
            parts.append(ODD_LINES[kind])
    if draw(st.booleans()):  # the last line without its line end
        parts[-1] = parts[-1].rstrip("\r\n")
    data = (BOM if bom else b"") + "".join(parts).encode("utf-8")
    feeds = [f for f in line_feeds(data) if f > 1 << 14]  # the main process has read 8 KB when it cuts
    picks = draw(st.lists(st.integers(0, len(feeds)), min_size=1, max_size=4))
    cuts = sorted({feeds[k % len(feeds)] for k in picks} - {len(data)}) if feeds else []
    return data, cuts, draw(st.sampled_from([2, 3, 4])), bom


@settings(max_examples=48, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mix=mixes())
def test_random_mixes_of_lines_score_as_one_process(tmp_path_factory: pytest.TempPathFactory, mix: Any) -> None:
    data, cuts, jobs, _bom = mix
    folder = tmp_path_factory.mktemp("mix")
    path = folder / "mix.jsonl"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parallel, "MIN_PART_BYTES", 1)
        mp.setattr(runner, "CALIBRATION_ROWS", 1)
        mp.setattr(readers, "WINDOW_BUFFER", 1024)  # read in small blocks: the first record leaves 8 KB read

        def find(fd: int, start: int, size: int, parts: int, reach: int = 1 << 20) -> list[int]:
            return [c for c in cuts if start < c < size]

        mp.setattr(parallel, "find_cuts", find)
        ruleset = rules()

        def run(jobs: int) -> Outcome | str:  # an odd first line may lack safety questions, or any question
            try:
                return score(ruleset, [path], jobs, allow_missing=True)
            except StmScreenError as exc:
                return f"{type(exc).__name__}: {exc}"

        one, many = run(1), run(jobs)
    if isinstance(one, str):
        assert many == one
        event("stopped")
        return
    assert isinstance(many, Outcome)
    many.same_as(one)
    event("error" if one.error else " ".join(sorted({p.split(":")[1] for ps in many.parts for p in ps})) or "one")


# --- the command: exit codes, summary, signals -------------------------------------------------------------

LAUNCH = """
import sys
from stm_screen.batch import parallel, runner
parallel.MIN_PART_BYTES = 1000
runner.CALIBRATION_ROWS = 5
from stm_screen.cli.main import main
sys.argv[0] = "stm-screen"
main()
"""


def cli(args: list[str]) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCH, "batch", "--allow-missing", *args], capture_output=True, text=True, timeout=120, check=False
    )
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("odd", [None, "broken", "twice", "list"])
def test_cli_exit_code_summary_and_output_agree(tmp_path: Path, odd: str | None) -> None:
    lines = good_lines(900)
    if odd is not None:
        lines[700:700] = [ODD_LINES[odd], ODD_LINES["blank"]]
    path = write(tmp_path / "in.jsonl", lines)
    got = []
    for jobs in (1, 2, 3):
        out = tmp_path / f"out-{jobs}.csv"
        code, err = cli([str(path), "-o", str(out), "--jobs", str(jobs)])
        got.append((code, err, out.read_bytes()))
    assert got[1] == got[0] and got[2] == got[0]
    assert got[0][0] == (0 if odd is None else 1), got[0][1]
    assert "900 records" in got[0][1] or "901 records" in got[0][1]


def test_cli_stopped_while_helpers_run_leaves_no_process(tmp_path: Path) -> None:
    """SIGTERM to the command while its helpers score: exit 130, no output, no helper left (not even a zombie)."""
    path = write(tmp_path / "big.jsonl", good_lines(6000))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH.replace("1000", "100000"), "batch", str(path), "--allow-missing", "-o", str(out_dir / "r.csv"),
         "--jobs", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    while len(session_pids(proc.pid)) < 3 and proc.poll() is None:  # both helpers forked
        pass
    assert proc.poll() is None, proc.communicate()  # 6,000 records take far longer than forking two helpers
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert session_pids(proc.pid) == []
    assert proc.returncode == 130, err
    assert err == b"stm-screen: interrupted\n"
    assert list(out_dir.iterdir()) == []


# --- a mapping file: its columns are looked for in every part -------------------------------------------------


def mapped_lines(n: int) -> list[str]:
    """Records whose pain intensity is under the key 'q-pain' (mapped); some with other keys as well: 'note'
    at lines 101 and 681, 'q-fears' (like the mapped 'q-fear', which no record has) from line 521 on."""
    rng = random.Random(9)
    lines = []
    for i in range(1, n + 1):
        rec = record(i, rng)
        rec["q-pain"] = rec.pop("pain_intensity")
        del rec["fear_of_movement"]
        if i in (101, 681):
            rec["note"] = "seen before"
        elif i >= 521:
            rec["q-fears"] = "no"
        lines.append(json.dumps(rec) + "\n")
    return lines


@pytest.mark.parametrize("typo", [False, True])
def test_mapping_columns_in_parts(
    tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch, typo: bool
) -> None:
    """A mapped column that no record has is the same error (naming the headers of the last new key set,
    here those with 'q-fears', which a helper's part also meets before a key set this process saw first)."""
    from stm_screen.batch.mapping import load_mapping
    from stm_screen.batch.output import CsvWriter

    mapping = tmp_path / "map.yaml"
    second = "  q-fear: fear_of_movement\n" if typo else "  q-fears: fear_of_movement\n"
    mapping.write_text("columns:\n  q-pain: pain_intensity\n" + second, encoding="utf-8")
    path = write(tmp_path / "mapped.jsonl", mapped_lines(700))
    feeds = line_feeds(path.read_bytes())
    cut_at(monkeypatch, lambda start: [feeds[250], feeds[450]])
    got = []
    for jobs in (1, 3):
        batch = Batch(rules(), load_mapping(str(mapping), rules()), BatchSettings(jobs=jobs, allow_missing=True))
        target = tmp_path / f"out-{jobs}.csv"
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = CsvWriter(handle, with_file=False)
            writer.start_file(str(path))
            try:
                result: Any = batch.run(str(path), writer)
            except StmScreenError as exc:
                result = str(exc)
        got.append((result, target.read_bytes(), writer.counts, writer.bad, batch.parts))
    assert got[1][:4] == got[0][:4]
    assert got[1][4] == ["first:handed", "part1:handed", "part2:alone"]
    if typo:
        assert "column 'q-fear' is not in" in got[0][0] and "q-fears" in got[0][0]
    else:
        assert got[0][0] == 700


# --- the count of lines and records before a cut --------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(["{", "a", " ", "\t", "\n", "\r", "\r\n", "\u00a0", "\ufeff", "é"]), max_size=300),
    chunk=st.integers(1, 40),
    picks=st.lists(st.integers(0, 10_000), max_size=4),
)
def test_count_records_counts_lines_as_the_text_reader_splits_them(
    tmp_path_factory: pytest.TempPathFactory, pieces: list[str], chunk: int, picks: list[int]
) -> None:
    """Lines before each cut exactly as io.TextIOWrapper reads them (they number the lines in messages);
    non-blank lines exactly too, unless some line is longer than the count keeps (16 blocks)."""
    import io

    from stm_screen.batch.segments import count_records

    data = "".join(pieces).encode("utf-8")
    feeds = line_feeds(data)
    ends = sorted({feeds[k % len(feeds)] for k in picks}) if feeds else []
    path = tmp_path_factory.mktemp("count") / "c.jsonl"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        got = count_records(fd, ends, chunk=chunk)
    finally:
        os.close(fd)
    for end, (lines, records) in zip(ends, got, strict=True):
        read = list(io.TextIOWrapper(io.BytesIO(data[:end]), encoding="utf-8", newline=None))
        assert lines == len(read)
        if max(map(len, data[:end].splitlines()), default=0) < 16 * chunk:
            assert records == sum(1 for line in read if line.strip())


def test_standard_output_that_fills_up_is_said_the_same_with_helpers(tmp_path: Path) -> None:
    """Standard output that stops taking bytes part way (a file size limit here; a pipe closed early is the
    same path) is reported in the same words, with the same exit code, whether or not a helper's part was
    being copied when it failed (helpers' output goes through standard output's guard, not around it)."""
    import resource

    path = write(tmp_path / "in.jsonl", good_lines(900))
    whole = tmp_path / "whole.csv"
    assert cli([str(path), "-o", str(whole), "--jobs", "1"])[0] == 0
    limit = whole.stat().st_size * 7 // 10  # past the first part, inside a helper's

    def capped() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    said = []
    for jobs in (1, 2, 3):
        with (tmp_path / f"out-{jobs}.csv").open("wb") as out:
            proc = subprocess.run(
                [sys.executable, "-c", LAUNCH, "batch", "--allow-missing", str(path), "--jobs", str(jobs)],
                stdout=out, stderr=subprocess.PIPE, text=True, timeout=120, check=False, preexec_fn=capped,
            )  # fmt: skip
        said.append((proc.returncode, proc.stderr))
    assert said[0][0] == 1 and "the file is too large); the output is incomplete" in said[0][1], said[0]
    assert said[1] == said[0] and said[2] == said[0]


@pytest.mark.parametrize("first", ["{}\n", "null\n", "42\n", "[1, 2]\n", '"just a text"\n', '{"id": "broken", \n'])
@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson"])
def test_an_odd_first_line_is_that_lines_own_row(tmp_path: Path, first: str, suffix: str) -> None:
    """Line 1 of a JSON Lines file is read as any other line: a list, a number, null or a broken line is an
    error row, an empty object an unanswered record, and the records after it are scored (never a whole
    file refused, nor read as an array or as CSV)."""
    rest = good_lines(5)
    at_one = write(tmp_path / f"first{suffix}", [first, *rest])
    at_three = write(tmp_path / f"third{suffix}", [*rest[:2], first, *rest[2:]])
    code_one, err_one = cli([str(at_one), "-o", str(tmp_path / "one.csv"), "--jobs", "1"])
    code_three, _ = cli([str(at_three), "-o", str(tmp_path / "three.csv"), "--jobs", "1"])
    assert code_one == code_three, err_one
    one = list(csv.DictReader(io.StringIO((tmp_path / "one.csv").read_text(encoding="utf-8"))))
    three = list(csv.DictReader(io.StringIO((tmp_path / "three.csv").read_text(encoding="utf-8"))))
    assert len(one) == len(three) == 6
    assert one[0]["status"] == three[2]["status"] == ("incomplete" if first == "{}\n" else "error")
    assert [r["status"] for r in one[1:]] == [r["status"] for r in three[:2] + three[3:]]
    assert all(r["status"] != "error" for r in one[1:])
