"""Batch under pt-screen 2.0: how soon (urgency), 'not sure' and blank safety answers (incomplete, see_doctor),
and exports made for pt-screen 1.x that lack whole safety columns (exit 2 unless --allow-missing)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from stm_screen.batch.columns import Options, build_plan
from stm_screen.batch.presets import PRESETS, Column
from stm_screen.batch.runner import NEW_IN_PT_SCREEN_2, Batch, BatchSettings
from stm_screen.batch.scoring import RecordScorer
from stm_screen.core.ruleset import UNSURE
from stm_screen.errors import UsageError
from tests.batch_helpers import fixtures, invoke, rows

SAFETY = fixtures.SAFETY
OTHERS = ["age_years", "pregnant", "pain_duration_months", "pain_areas", "pain_trend", "pain_intensity",
          "activity_limitation", "tightness_trigger_points", "recurrent_flare_ups", "fear_of_movement"]  # fmt: skip
HEADER = ["id", *OTHERS, *SAFETY]
# a 45-year-old with 24 months of knee pain, about the same, activity 3, tight muscles: pt_consider (2 of 5)
BASE = {"age_years": "45", "pregnant": "no", "pain_duration_months": "24", "pain_areas": "tendon",
        "pain_trend": "same", "pain_intensity": "5", "activity_limitation": "3", "tightness_trigger_points": "yes",
        "recurrent_flare_ups": "no", "fear_of_movement": "no", **dict.fromkeys(SAFETY, "no")}  # fmt: skip

# pt-screen 1.x's questions: what an export made for its form has
V1_SAFETY = ["bladder_bowel_change", "saddle_numbness", "progressive_weakness", "stroke_signs", "self_harm_thoughts",
             "fever_or_unwell", "cancer_history", "unexplained_weight_loss", "major_trauma", "night_pain"]  # fmt: skip
V1 = ["pain_duration_months", "pain_areas", "pain_intensity", *V1_SAFETY, "activity_limitation",
      "tightness_trigger_points", "recurrent_flare_ups", "fear_of_movement"]  # fmt: skip
V1_MISSING = [q for q in SAFETY if q not in V1_SAFETY]


def record(rid: str, **given: str) -> dict[str, str]:
    return {"id": rid, **BASE, **given}


def table(path: Path, *records: dict[str, str], header: list[str] = HEADER) -> Path:
    lines = [",".join(header)] + [",".join(r.get(h, "") for h in header) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scored(tmp_path: Path, *records: dict[str, str], fmt: str = "csv") -> list[dict[str, Any]]:
    result = invoke(str(table(tmp_path / "in.csv", *records)), "-f", fmt)
    assert result.exit_code == 0, result.output
    if fmt == "jsonl":
        return [json.loads(line) for line in result.stdout.splitlines()]
    return rows(result.stdout)


# --- 2. how soon, and warning signs that could not be ruled out -------------------------------------------


def test_urgency_is_a_field_of_its_own_in_csv_and_jsonl(tmp_path: Path) -> None:
    records = [
        record("none"),
        record("saddle", saddle_numbness="yes"),  # emergency, now
        record("fever", fever_or_unwell="yes"),  # see_doctor, today
        record("night", night_pain="yes"),  # see_doctor, days
        record("dizzy", pain_areas="neck_shoulder", dizziness_ongoing="yes"),  # see_doctor, weeks
        record("thoughts", self_harm_thoughts="yes", self_harm_danger="no"),  # emergency, today
        record(
            "both", night_pain="yes", fever_or_unwell="yes", calf_swelling="yes"
        ),  # the most urgent: today
    ]
    got = scored(tmp_path, *records)
    assert [(r["level"], r["urgency"]) for r in got] == [
        ("pt_consider", ""),
        ("emergency", "now"),
        ("see_doctor", "today"),
        ("see_doctor", "days"),
        ("see_doctor", "weeks"),
        ("emergency", "today"),
        ("see_doctor", "today"),
    ]
    assert list(got[0])[:6] == ["row", "id", "status", "level", "urgency", "score"]
    lines = scored(tmp_path, *records, fmt="jsonl")
    assert [line["urgency"] for line in lines] == [None, "now", "today", "days", "weeks", "today", "today"]
    assert lines[1]["red_flags"] == ["cauda_equina_saddle"]


@pytest.mark.parametrize("cell", ["not sure", "Not sure", "unsure", "Don't know", "I don't know", ""])
def test_a_safety_answer_not_sure_or_blank_is_incomplete_and_see_doctor(tmp_path: Path, cell: str) -> None:
    (row,) = scored(tmp_path, record("p", fever_or_unwell=cell))
    assert row["status"] == "incomplete" and row["level"] == "see_doctor", row
    assert row["unanswered_red_flags"] == "possible_infection"
    assert row["urgency"] == "" and row["score"] == "2"  # nothing fired; the score is still shown
    assert row["error"] == ""


def test_a_fired_warning_sign_keeps_its_level_when_others_are_open(tmp_path: Path) -> None:
    got = scored(
        tmp_path,
        record("a", saddle_numbness="yes", fever_or_unwell="not sure"),
        record("b", night_pain="yes", stroke_signs=""),
    )
    assert [(r["status"], r["level"], r["urgency"]) for r in got] == [
        ("incomplete", "emergency", "now"),  # higher than 'could not be checked'
        ("incomplete", "see_doctor", "days"),
    ]
    assert (
        got[0]["red_flags"] == "cauda_equina_saddle"
        and got[0]["unanswered_red_flags"] == "possible_infection"
    )


def test_not_sure_that_cannot_change_anything_leaves_nothing_open(tmp_path: Path) -> None:
    """Not sure about blood thinners with no fall, or about cancer with pain in a knee only: those signs
    cannot fire, so nothing is open. A follow-up whose parent is 'not sure' is not asked, and the parent's
    sign stays open."""
    got = scored(
        tmp_path,
        record("thinners", blood_thinners="not sure", cancer_history="not sure"),
        record("fall", pain_duration_months="2", minor_trauma="yes", blood_thinners="not sure"),
        record("weak", progressive_weakness="not sure", weakness_fast=""),
    )
    assert (got[0]["status"], got[0]["level"]) == ("ok", "pt_consider")
    assert (got[1]["status"], got[1]["level"]) == ("incomplete", "see_doctor")
    assert got[1]["unanswered_red_flags"] == "injury_on_blood_thinners"
    assert got[2]["status"] == "incomplete"
    assert set(got[2]["unanswered_red_flags"].split(";")) == {
        "weakness_getting_worse_fast",
        "weakness_getting_worse",
    }


def test_record_scorer_directly_unsure_is_its_own_token(ruleset: Any) -> None:
    """The memo treats 'not sure' like a blank for the rules, but as an answer of its own (the output
    differs where a record is read back, FHIR say); every spelling of it is one token."""
    columns = [Column(i, h) for i, h in enumerate(HEADER)]
    plan = build_plan(columns, ruleset, PRESETS["plain"], None, Options(), "x")
    rs = RecordScorer(ruleset, plan)
    i = next(k for k, t in enumerate(rs.targets) if t.question.id == "fever_or_unwell")
    toks = {cell: rs._tok(i, cell) for cell in ("no", "No", "yes", "", "unsure", "Not sure", "Don't know")}
    assert toks["no"] == toks["No"] != toks["yes"]
    assert toks["unsure"] == toks["Not sure"] == toks["Don't know"]
    assert len({toks["no"], toks["yes"], toks[""], toks["unsure"]}) == 4
    assert rs._values[i][toks["unsure"]] == UNSURE and rs._values[i][toks[""]] is None
    base = [BASE.get(h, "") for h in HEADER]
    for cell, status in (("unsure", "incomplete"), ("", "incomplete"), ("no", "ok")):
        row = list(base)
        row[HEADER.index("fever_or_unwell")] = cell
        out = rs.score_row(row)
        assert (out.status, out.level) == (status, "see_doctor" if status == "incomplete" else "pt_consider")


# --- 'not sure' taken as yes: the self-harm question (unsure_means_yes, after the ASQ) ------------------

SELF_HARM = ["yes", "no", "not sure", "Unsure", "Don't know", ""]
DANGER = ["yes", "no", "not sure", ""]


def _self_harm_records() -> list[dict[str, str]]:
    out = []
    for i, (thoughts, danger, fever, limit) in enumerate(
        itertools.product(SELF_HARM, DANGER, ["no", "not sure"], ["2", "3", "8"])
    ):
        out.append(
            record(f"p{i}", self_harm_thoughts=thoughts, self_harm_danger=danger, fever_or_unwell=fever,
                   activity_limitation=limit)  # fmt: skip
        )
    return out


def _expected(ruleset: Any, rec: dict[str, str]) -> tuple[str, str, str, str]:
    """(status, level, red_flags, unanswered_red_flags) as the scorer makes them of the record's answers."""
    from stm_screen.core.answers import check_answers
    from stm_screen.core.engine import Scorer

    ev = Scorer(ruleset).evaluate(check_answers(ruleset, {k: v for k, v in rec.items() if k != "id"}))
    status = "ok" if ev.complete else "incomplete"
    return status, ev.level or "", ";".join(ev.red_flags), ";".join(ev.red_flags_unknown)


@pytest.mark.parametrize("path", ["scorer", "fingerprint", "derived", "columnar"])
def test_not_sure_about_self_harm_is_yes_on_every_batch_path(
    ruleset: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Every spelling of 'not sure' to the self-harm question fires its crisis advice and makes the danger
    question count, on each way batch scores a record: the scorer itself, the fingerprint of condition
    results, outcomes derived from it, and the columnar reader; 'not sure' to fever stays unknown."""
    from stm_screen.batch import columnar, runner, scoring

    if path == "columnar":
        pytest.importorskip("pyarrow")
        monkeypatch.setenv(columnar.SWITCH, "1")
        monkeypatch.setattr(runner, "CALIBRATION_ROWS", 3)
        monkeypatch.setattr(columnar, "BLOCK_BYTES", 400)
    else:
        monkeypatch.setenv(columnar.SWITCH, "0")
    monkeypatch.setattr(scoring, "FINGERPRINT_AFTER", 0)
    if path == "scorer":  # no fingerprint at all: every class of records goes to Scorer.evaluate
        init = scoring.RecordScorer.__init__

        def no_fingerprint(rs: Any, *args: Any) -> None:
            init(rs, *args)
            rs._fp_ok = rs._derive = False

        monkeypatch.setattr(scoring.RecordScorer, "__init__", no_fingerprint)
    monkeypatch.setattr(scoring, "DERIVE", path in ("derived", "columnar"))
    records = _self_harm_records()
    got = scored(tmp_path, *records)
    assert [(r["status"], r["level"], r["red_flags"], r["unanswered_red_flags"]) for r in got] == [
        _expected(ruleset, rec) for rec in records
    ]
    for rec, row in zip(records, got, strict=True):
        thoughts, danger = rec["self_harm_thoughts"], rec["self_harm_danger"]
        if thoughts in ("yes", "not sure", "Unsure", "Don't know"):  # 'not sure' is yes here
            assert row["level"] == "emergency", (rec, row)
            fired = (  # ASQ acuity: 'not sure' and no answer count as yes
                "self_harm_danger_now"
                if danger in ("yes", "not sure")
                else "self_harm_danger_not_answered"
                if danger == ""
                else "self_harm"
            )
            assert row["red_flags"] == fired
            open_: set[str] = set()
            if rec["fever_or_unwell"] == "not sure":
                open_.add("possible_infection")
            assert set(filter(None, row["unanswered_red_flags"].split(";"))) == open_, (rec, row)
        elif thoughts == "no":
            assert "self_harm" not in row["red_flags"]
            assert "self_harm" not in row["unanswered_red_flags"]  # danger is not asked: ignored
    # the same cell read as 'not sure' and as 'yes' gives the same outcome
    by_cells = {(r["self_harm_thoughts"], r["self_harm_danger"], r["fever_or_unwell"], r["activity_limitation"]): g
                for r, g in zip(records, got, strict=True)}  # fmt: skip
    for (thoughts, danger, fever, limit), row in by_cells.items():
        if thoughts in ("not sure", "Unsure", "Don't know"):
            same = by_cells[("yes", danger, fever, limit)]
            assert {k: v for k, v in row.items() if k not in ("row", "id")} == {
                k: v for k, v in same.items() if k not in ("row", "id")
            }


# --- 3. an export made for pt-screen 1.x ----------------------------------------------------------------------


def v1_export(tmp_path: Path) -> Path:
    return table(
        tmp_path / "old.csv",
        record("r1"),
        record("r2", saddle_numbness="yes"),
        record("r3", night_pain=""),
        header=["id", *V1],
    )


def test_v1_export_stops_with_one_clear_message(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = invoke(str(v1_export(tmp_path)), "-o", str(out))
    assert result.exit_code == 2, result.output
    assert not out.exists() and result.stdout == ""
    err = result.stderr
    assert f"no column for {len(['age_years', *V1_MISSING])} safety questions: " in err
    assert "age_years, both_legs_symptoms" in err and all(q in err for q in V1_MISSING)
    assert "export made for pt-screen 1.x" in err
    assert "--allow-missing" in err and "--suggest-map" in err
    assert err.count("safety questions") == 1  # one message, not one per record
    assert set(V1_MISSING) | {"age_years"} == NEW_IN_PT_SCREEN_2 | {"hot_swollen_joint"}


def test_v1_export_with_allow_missing_is_scored_and_the_summary_names_the_gaps_once(tmp_path: Path) -> None:
    result = invoke(str(v1_export(tmp_path)), "--allow-missing")
    assert result.exit_code == 0, result.output
    got = rows(result.stdout)
    assert [(r["status"], r["level"]) for r in got] == [
        ("incomplete", "see_doctor"),  # the new warning signs could not be checked
        ("incomplete", "emergency"),  # a fired sign stands
        ("incomplete", "see_doctor"),
    ]
    assert "both_legs" in got[0]["unanswered_red_flags"].split(";")
    err = result.stderr
    assert err.count("no column for warning-sign questions age_years, both_legs_symptoms") == 1
    assert "3 records" in err and "0 ok, 3 incomplete" in err
    # the same through a mapping file: allow_missing: true, or the list of those questions
    m = tmp_path / "map.yaml"
    m.write_text("allow_missing: true\ncolumns: {}\n", encoding="utf-8")
    assert invoke(str(v1_export(tmp_path)), "--map", str(m)).stdout == result.stdout
    m.write_text(f"allow_missing: [age_years, {', '.join(V1_MISSING)}]\ncolumns: {{}}\n", encoding="utf-8")
    assert invoke(str(v1_export(tmp_path)), "--map", str(m)).stdout == result.stdout
    m.write_text("allow_missing: [age_years]\ncolumns: {}\n", encoding="utf-8")  # not all of them
    assert invoke(str(v1_export(tmp_path)), "--map", str(m)).exit_code == 2
    m.write_text("allow_missing: [age_yers]\ncolumns: {}\n", encoding="utf-8")
    bad = invoke(str(v1_export(tmp_path)), "--map", str(m))
    assert bad.exit_code == 2 and "unknown question 'age_yers' (did you mean 'age_years'?)" in bad.stderr


def test_direct_batch_run_stops_or_remembers_the_gaps(ruleset: Any, tmp_path: Path) -> None:
    from stm_screen.batch.output import CsvWriter

    path = str(v1_export(tmp_path))
    with pytest.raises(UsageError) as stop, (tmp_path / "o1.csv").open("w", newline="") as handle:
        Batch(ruleset, None, BatchSettings()).run(path, CsvWriter(handle, False))
    assert "pt-screen 1.x" in str(stop.value)
    batch = Batch(ruleset, None, BatchSettings(allow_missing=True))
    with (tmp_path / "o2.csv").open("w", newline="") as handle:
        assert batch.run(path, CsvWriter(handle, False)) == 3
    assert batch.gaps == [(path, ("age_years", *V1_MISSING))]


def test_a_missing_non_safety_column_is_only_a_note(tmp_path: Path) -> None:
    header = [h for h in HEADER if h not in ("pain_trend", "fear_of_movement")]
    result = invoke(str(table(tmp_path / "in.csv", record("p"), header=header)))
    assert result.exit_code == 0, result.output
    assert "no column for questions: pain_trend, fear_of_movement" in result.stderr
    assert rows(result.stdout)[0]["status"] == "ok"


def test_json_and_fhir_exports_for_1x_stop_too(tmp_path: Path, ruleset: Any) -> None:
    redcap = tmp_path / "api.json"
    areas = {f"pain_areas___{c}": "1" if c == "tendon" else "0" for c in fixtures.LABEL if c != "mid_back"}
    redcap.write_text(json.dumps([{"record_id": "1", "pain_duration_months": "3", **areas,
                                   **dict.fromkeys(V1_SAFETY, "0")}]))  # fmt: skip
    result = invoke(str(redcap))
    assert result.exit_code == 2 and "export made for pt-screen 1.x" in result.stderr
    assert invoke(str(redcap), "--allow-missing").exit_code == 0

    def qr(rid: str, answers: dict[str, Any]) -> dict[str, Any]:
        items = [{"linkId": k, "answer": [{"valueBoolean" if isinstance(v, bool) else "valueInteger": v}]}
                 for k, v in answers.items()]  # fmt: skip
        return {"resourceType": "QuestionnaireResponse", "id": rid, "status": "completed", "item": items}

    old = {"pain_duration_months": 24, "pain_intensity": 5, **dict.fromkeys(V1_SAFETY, False)}
    fhir = tmp_path / "old.json"
    fhir.write_text(json.dumps([qr("a", old)]))
    assert invoke(str(fhir)).exit_code == 2
    # a 2.0 response leaves out what its form did not ask (weakness_fast, self_harm_danger, ...): no stop
    new = {"age_years": 45, "pain_duration_months": 24, "pain_intensity": 5, "activity_limitation": 5,
           **{q: False for q in SAFETY if ruleset.by_id[q].ask_if is None}}  # fmt: skip
    new_items = qr("b", new)
    new_items["item"].append({"linkId": "pain_areas", "answer": [{"valueCoding": {"code": "tendon"}}]})
    fhir.write_text(json.dumps([new_items]))
    result = invoke(str(fhir))
    assert result.exit_code == 0, result.output
    assert rows(result.stdout)[0]["status"] == "ok"


def test_rules_diff_scores_a_1x_export_and_names_the_gaps(tmp_path: Path) -> None:
    """`rules diff` compares; it does not stop: a 1.x export under 2.0 is the change to show."""
    from typer.testing import CliRunner

    from stm_screen.cli.app import app

    result = CliRunner().invoke(app, ["rules", "diff", "pt-screen", "pt-screen", str(v1_export(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "0 change level" in result.stderr
    assert result.stderr.count("no column for 17 warning-sign questions of pt-screen") == 2  # old and new


def test_a_2_0_export_is_named_as_such(tmp_path: Path) -> None:
    """An export made for pt-screen 2.0.0's form lacks only the question 2.1.0 added: the message says
    which release the export fits, in the person's language too."""
    header = [h for h in HEADER if h != "hot_swollen_joint"]
    path = table(tmp_path / "v20.csv", record("r1"), header=header)
    result = invoke(str(path), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 2, result.output
    assert "no column for 1 safety question: hot_swollen_joint" in result.stderr
    assert "export made for pt-screen 2.0: these questions are new since then, in pt-screen 2.4.2" in result.stderr
    import os
    import subprocess
    import sys

    spanish = subprocess.run(
        [sys.executable, "-m", "stm_screen", "batch", str(path)],
        capture_output=True, text=True, env={**os.environ, "STM_SCREEN_LANG": "es"}, check=False,
    )  # fmt: skip
    assert spanish.returncode == 2 and "exportación hecha para pt-screen 2.0" in spanish.stderr
    allowed = invoke(str(path), "--allow-missing")
    assert allowed.exit_code == 0, allowed.output
    assert rows(allowed.stdout)[0]["status"] == "incomplete"


# --- the option everywhere it is listed --------------------------------------------------------------------


def test_allow_missing_in_help_fast_path_and_docs() -> None:
    from stm_screen.cli.main import BATCH_OPTIONS, parse_batch

    help_text = invoke("--help").stdout
    assert "--allow-missing" in help_text
    assert BATCH_OPTIONS["--allow-missing"] == ("allow_missing", False)
    parsed = parse_batch(["batch", "old.csv", "--allow-missing", "-o", "x.csv"])
    assert parsed == (["old.csv"], {"allow_missing": True, "output": "x.csv"})
    docs = (Path(__file__).resolve().parent.parent / "docs" / "batch.md").read_text(encoding="utf-8")
    assert "--allow-missing" in docs and "allow_missing:" in docs and "urgency" in docs


def test_allow_missing_names_the_questions_it_allows(tmp_path: Path) -> None:
    """--allow-missing Q[,Q...] (the installed tool): only those questions may have no column."""
    import subprocess
    import sys

    script = Path(sys.executable).parent / "stm-screen"
    export = v1_export(tmp_path)
    gaps = ["age_years", *V1_MISSING]
    env = {"STM_SCREEN_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}

    def batch(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), "batch", *args], capture_output=True, text=True, env=env, timeout=60, check=False
        )

    every = batch(str(export), "--allow-missing", ",".join(gaps))
    assert every.returncode == 0, every.stderr
    assert "(allowed)" in every.stderr and "incomplete" in every.stderr  # the summary says why
    some = batch("--allow-missing", ",".join(gaps[:-1]), str(export))
    assert some.returncode == 2 and gaps[-1] in some.stderr
    typo = batch(str(export), "--allow-missing", "age_yeras")
    assert typo.returncode == 2 and "did you mean 'age_years'" in typo.stderr
    flag = batch(str(export), "--allow-missing")  # the flag alone allows every missing column
    assert flag.returncode == 0, flag.stderr
