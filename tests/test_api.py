"""The library API (``stm_screen.load_ruleset``, ``score_answers``, ``score_table``, ``score_rows``) gives
what the installed command gives for the same data: every table row is checked against ``stm-screen batch``
CSV output, run as a user runs it."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import stm_screen
from stm_screen.errors import AnswersError, MappingError, UsageError
from tests.batch_helpers import records as gen_records

CMD = [sys.executable, "-m", "stm_screen"]
pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")


def cli(*args: str, ok: tuple[int, ...] = (0, 1)) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*CMD, *args], capture_output=True, text=True, env=os.environ.copy(), check=False)
    assert done.returncode in ok, done.stderr
    return done


def batch_rows(*args: str) -> list[list[str]]:
    """The CSV rows (header first) that ``stm-screen batch ARGS`` writes."""
    return list(csv.reader(cli("batch", *args).stdout.splitlines()))


def write_export(path: Path, n: int = 60, seed: int = 3) -> None:
    """Synthetic records with the kinds of cells that make error rows and neutralised cells."""
    rng = random.Random(seed)
    rows = [gen_records.record(i, rng) for i in range(1, n + 1)]
    header = list(gen_records.HEADER)
    col = {h: i for i, h in enumerate(header)}
    rows[2][col["pain_intensity"]] = "eleven"  # an answer that cannot be read: an error row
    rows[4][col["age_years"]] = "-3"
    rows[5][col["pain_areas"]] = "low_back,elbows"  # an unknown choice
    rows[7][col["id"]] = "=HYPERLINK(1)"  # an id a spreadsheet would run: neutralised in the CSV
    rows[8][col["night_pain"]] = "unsure"
    rows[9][col["bladder_bowel_change"]] = ""  # a safety question left blank: incomplete
    rows[11][col["pain_duration_months"]] = "2 yrs"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def as_text(values: list[dict[str, Any]]) -> list[list[str]]:
    return [[str(v) for v in row.values()] for row in values]


@pytest.fixture(scope="module")
def rules() -> stm_screen.Ruleset:
    return stm_screen.load_ruleset()


def test_import_is_cheap() -> None:
    code = (
        "import sys, stm_screen; "
        "print(sorted(m for m in sys.modules if m.startswith(('stm_screen.', 'yaml', 'typer', 'rich', 'pandas'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert stm_screen.score_table.__module__ == "stm_screen.api"
    with pytest.raises(AttributeError):
        stm_screen.no_such_name  # noqa: B018


def test_score_answers_is_score_format_json(tmp_path: Path, rules: stm_screen.Ruleset) -> None:
    answers = {
        "age_years": 52,
        "pregnant": "no",
        "pain_duration_months": "8 months",
        "pain_areas": ["low_back", "neck_shoulder"],
        "pain_trend": "same",
        "pain_intensity": 6,
        "night_pain": "yes",
    }
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    printed = json.loads(cli("score", str(path), "--format", "json").stdout)
    result = stm_screen.score_answers(rules, answers)
    assert isinstance(result, stm_screen.Result)
    assert result.to_dict() == printed
    assert result.level == printed["level"] and not result.complete
    # by name, and in another language (the tool's own language is left as it was)
    spanish = stm_screen.score_answers("pt-screen", answers, lang="es")
    assert spanish.level == result.level and spanish.title != result.title
    from stm_screen.i18n import current

    assert current() == "en"


def test_score_answers_refuses_answers_it_cannot_use(rules: stm_screen.Ruleset) -> None:
    with pytest.raises(AnswersError) as caught:
        stm_screen.score_answers(rules, {"pain_intensity": 15, "age_years": "old"})
    text = "\n".join(caught.value.lines())
    assert "pain_intensity" in text and "age_years" in text


def test_pandas_table_gives_the_batch_rows(tmp_path: Path, rules: stm_screen.Ruleset) -> None:
    export = tmp_path / "export.csv"
    write_export(export)
    expected = batch_rows(str(export))
    assert any(r[2] == "error" for r in expected[1:]) and any(r[2] == "incomplete" for r in expected[1:])
    assert any(r[1].startswith("'=") for r in expected[1:])  # the id as the CSV writes it

    # every cell as text, as the file holds it
    frame = pd.read_csv(export, dtype=str, keep_default_na=False)
    scored = stm_screen.score_table(rules, frame)
    assert list(scored.columns) == expected[0] == stm_screen.result_columns(rules)
    assert as_text(scored.to_dict("records")) == expected[1:]
    assert str(scored["row"].dtype) == "int64"
    assert list(scored.index) == list(frame.index)

    # pandas' own types (numbers, NaN for blanks) read as the file's cells
    typed = pd.read_csv(export)
    typed.index = [f"r{i}" for i in range(len(typed))]
    scored = stm_screen.score_table(rules, typed)
    assert as_text(scored.to_dict("records")) == expected[1:]
    assert list(scored.index) == list(typed.index)  # joins back onto the records


def test_arrow_table_and_record_batch(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    write_export(export, n=40, seed=5)
    expected = batch_rows(str(export))
    from pyarrow import csv as pacsv

    table = pacsv.read_csv(export)  # arrow's own types: int64, double, null
    scored = stm_screen.score_table("pt-screen", table)
    assert isinstance(scored, pa.Table)
    assert scored.column_names == expected[0]
    assert scored.schema.field("row").type == pa.int64()
    assert as_text(scored.to_pylist()) == expected[1:]
    batch = table.to_batches()[0]
    scored_batch = stm_screen.score_table("pt-screen", batch)
    assert isinstance(scored_batch, pa.RecordBatch)
    assert as_text(scored_batch.to_pylist()) == expected[1:]


def test_a_mapping_as_a_dict_or_a_file(tmp_path: Path, rules: stm_screen.Ruleset) -> None:
    export = tmp_path / "export.csv"
    write_export(export, n=30)
    frame = pd.read_csv(export, dtype=str, keep_default_na=False).rename(
        columns={"age_years": "Age", "pain_intensity": "Pain now", "id": "Respondent"}
    )
    renamed = tmp_path / "renamed.csv"
    frame.to_csv(renamed, index=False)
    mapping = {
        "id_column": "Respondent",
        "columns": {"Age": "age_years", "Pain now": {"question": "pain_intensity", "values": {"eleven": 10}}},
    }
    map_file = tmp_path / "map.yaml"
    map_file.write_text(json.dumps(mapping), encoding="utf-8")  # JSON is YAML
    expected = batch_rows(str(renamed), "--map", str(map_file))
    assert expected[3][2] != "error"  # the value map read 'eleven'
    assert as_text(stm_screen.score_table(rules, frame, mapping).to_dict("records")) == expected[1:]
    assert as_text(stm_screen.score_table(rules, frame, str(map_file)).to_dict("records")) == expected[1:]


def test_what_stops_batch_raises_the_same_error(tmp_path: Path, rules: stm_screen.Ruleset) -> None:
    export = tmp_path / "export.csv"
    write_export(export, n=12)
    short = pd.read_csv(export, dtype=str, keep_default_na=False).drop(columns=["saddle_numbness"])
    short_file = tmp_path / "short.csv"
    short.to_csv(short_file, index=False)
    said = cli("batch", str(short_file), ok=(2,)).stderr
    with pytest.raises(UsageError) as caught:
        stm_screen.score_table(rules, short)
    assert "saddle_numbness" in str(caught.value) and "saddle_numbness" in said
    # allowed, as --allow-missing allows it
    expected = batch_rows(str(short_file), "--allow-missing")
    assert as_text(stm_screen.score_table(rules, short, allow_missing=True).to_dict("records")) == expected[1:]
    with pytest.raises(MappingError, match="unknown question"):
        stm_screen.score_table(rules, short, {"columns": {"Age": "age_of_patient"}})
    with pytest.raises(TypeError, match="score_rows"):
        stm_screen.score_table(rules, [{"age_years": 3}])


def test_rows_as_a_jsonl_file_is_read(tmp_path: Path, rules: stm_screen.Ruleset) -> None:
    export = tmp_path / "export.csv"
    write_export(export, n=25)
    records: list[dict[str, Any]] = []
    for rec in pd.read_csv(export, dtype=str, keep_default_na=False).to_dict("records"):
        rec = {k: v for k, v in rec.items() if v != ""}  # a form leaves unanswered keys out
        if "pain_areas" in rec:
            rec["pain_areas"] = rec["pain_areas"].split(",")
        if rec.get("age_years", "").isdigit():
            rec["age_years"] = int(rec["age_years"])
        records.append(rec)
    jsonl = tmp_path / "records.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    expected = batch_rows(str(jsonl))
    got = list(stm_screen.score_rows(rules, iter(records), chunk_size=7))  # several chunks, one numbering
    assert list(got[0]) == expected[0]
    assert as_text(got) == expected[1:]


def test_first_row_and_file_columns(tmp_path: Path, rules: stm_screen.Ruleset) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_export(a, n=12, seed=1)
    write_export(b, n=14, seed=2)
    expected = batch_rows(str(a), str(b))
    got: list[list[str]] = []
    for path in (a, b):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        # each file in two parts: the second numbered on from the first
        first = stm_screen.score_table(rules, frame.iloc[:5], file=str(path))
        rest = stm_screen.score_table(rules, frame.iloc[5:], file=str(path), first_row=6)
        got += as_text(first.to_dict("records")) + as_text(rest.to_dict("records"))
    assert list(first.columns) == expected[0]
    assert got == expected[1:]
    empty = stm_screen.score_table(rules, frame.iloc[:0])
    assert list(empty.columns) == stm_screen.result_columns(rules) and len(empty) == 0


def test_not_sure_about_self_harm_is_yes_in_the_library_too(rules: stm_screen.Ruleset) -> None:
    """score_answers and score_table take the self-harm question's 'not sure' as yes (unsure_means_yes),
    as score and batch do; 'not sure' to another safety question stays not known."""
    calm = dict(rules.examples[0].answers)
    result = stm_screen.score_answers(rules, {**calm, "self_harm_thoughts": "not sure"}).to_dict()
    # its follow-up not answered counts as positive too (ASQ): help now
    assert result["level"] == "emergency"
    assert [f["id"] for f in result["red_flags"]] == ["self_harm_danger_not_answered"]
    assert result["red_flags_not_ruled_out"] == []
    assert result["answers"]["self_harm_thoughts"] == "unsure" and result["unsure"] == ["self_harm_thoughts"]
    other = stm_screen.score_answers(rules, {**calm, "night_pain": "not sure"}).to_dict()
    assert other["level"] == "see_doctor" and other["red_flags"] == [] and other["unchecked"]

    cells = {k: ("yes" if v is True else "no" if v is False else ";".join(v) if isinstance(v, list) else str(v))
             for k, v in calm.items()}  # fmt: skip
    frame = pd.DataFrame(
        [
            {**cells, "self_harm_thoughts": "Not sure", "self_harm_danger": ""},
            {**cells, "self_harm_thoughts": "unsure", "self_harm_danger": "no"},
            {**cells, "self_harm_thoughts": "yes", "self_harm_danger": "no"},
            {**cells, "night_pain": "unsure", "self_harm_danger": ""},
        ]
    )
    scored = stm_screen.score_table(rules, frame, allow_missing=True)
    got = [(r["status"], r["level"], r["red_flags"], r["unanswered_red_flags"]) for r in scored.to_dict("records")]
    assert got[0] == ("ok", "emergency", "self_harm_danger_not_answered", "")  # no sign left open
    assert got[1] == got[2] == ("ok", "emergency", "self_harm", "")
    assert got[3][1:] == ("see_doctor", "", "constant_night_pain")
