"""QA of the clinic features (history, form export, FHIR) with hostile and odd inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from tests.test_history_cli import ANSWERS

runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin)


@pytest.fixture
def answers_file(tmp_path: Path) -> str:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(ANSWERS), encoding="utf-8")
    return str(path)


def save(answers_file: str, *extra: str) -> int:
    result = run("score", answers_file, "--save", *extra)
    assert result.exit_code == 0, result.output
    return int(result.stderr.strip().splitlines()[-1].rsplit(" ", 1)[1].rstrip("."))


def listed() -> list[int]:
    result = run("history", "list", "-f", "json")
    assert result.exit_code == 0, result.output
    return [r["id"] for r in json.loads(result.stdout)]


def test_purge_before_a_year_under_1000_deletes_nothing_saved_since(answers_file: str) -> None:
    # strftime("%Y") does not zero-pad years < 1000 on glibc: "999-01-01..." sorted after "2026-..."
    ids = [save(answers_file), save(answers_file)]
    result = run("history", "purge", "--before", "0999-01-01", "--yes")
    assert result.exit_code == 0, result.output
    assert listed() == ids


def test_since_a_year_under_1000_lists_everything(answers_file: str) -> None:
    ids = [save(answers_file)]
    assert [
        r["id"] for r in json.loads(run("history", "list", "-f", "json", "--since", "0999-01-01").stdout)
    ] == ids


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_dates_at_the_edge_of_the_calendar_are_usage_errors_not_crashes(answers_file: str, when: str) -> None:
    save(answers_file)
    for args in (("history", "list", "--since", when), ("history", "purge", "--before", when, "--yes")):
        result = run(*args)
        assert result.exit_code in (0, 2), (args, result.output)
        assert "internal error" not in result.stderr


@pytest.mark.parametrize("command", ["show", "delete"])
@pytest.mark.parametrize("record_id", ["99999999999999999999999", "-99999999999999999999999"])
def test_ids_beyond_sqlite_integers_are_unknown_ids(answers_file: str, command: str, record_id: str) -> None:
    rid = save(answers_file)
    result = run("history", command, "--", record_id)
    assert result.exit_code == 2, result.output
    assert "no saved screening with id" in result.stderr
    assert listed() == [rid]


def test_an_existing_stm_screen_home_keeps_its_permissions(
    answers_file: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # STM_SCREEN_HOME=/tmp (or a shared folder) must not be turned into a 0700 folder: the store file is 0600.
    import os
    import stat

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    monkeypatch.setenv("STM_SCREEN_HOME", str(shared))
    save(answers_file)
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777
    assert stat.S_IMODE(os.stat(shared / "history.sqlite3").st_mode) == 0o600


def test_a_new_stm_screen_home_is_created_0700(answers_file: str, _isolated_home: Path) -> None:
    import os
    import stat

    save(answers_file)
    assert stat.S_IMODE(os.stat(_isolated_home).st_mode) == 0o700


@pytest.mark.parametrize("args", [("history", "list"), ("history", "show", "1"), ("history", "delete", "1")])
def test_stm_screen_home_pointing_at_a_file_is_a_store_error_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    # e.g. STM_SCREEN_HOME set to the history file itself: "no saved screenings" would look like data loss
    home = tmp_path / "history.sqlite3"
    home.write_bytes(b"SQLite format 3\x00")
    monkeypatch.setenv("STM_SCREEN_HOME", str(home))
    result = run(*args)
    assert result.exit_code == 3, result.output
    assert "not a folder" in result.stderr
    assert home.read_bytes() == b"SQLite format 3\x00"


def test_saving_with_stm_screen_home_pointing_at_a_file_says_so(
    answers_file: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "notes.txt"
    home.write_text("keep", encoding="utf-8")
    monkeypatch.setenv("STM_SCREEN_HOME", str(home))
    result = run("score", answers_file, "--save", "--patient", "MRN-0042")
    assert result.exit_code == 3 and "not a folder" in result.stderr
    assert "MRN-0042" not in result.stderr
    assert home.read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize(
    ("column", "value"),
    [("result_json", "[]"), ("answers_json", "null"), ("answer_types_json", "5"), ("result_json", '"x"')],
)
def test_a_record_whose_json_is_not_an_object_is_a_damaged_record(
    answers_file: str, _isolated_home: Path, column: str, value: str
) -> None:
    import sqlite3

    good = save(answers_file)
    bad = save(answers_file)
    conn = sqlite3.connect(_isolated_home / "history.sqlite3")
    conn.execute(f"UPDATE screenings SET {column} = ? WHERE id = ?", (value, bad))  # noqa: S608
    conn.commit()
    conn.close()
    for args in (
        ("history", "list"),
        ("history", "show", str(bad)),
        ("history", "export", "-o", "-", "-f", "csv"),
        ("history", "export", "-o", "-", "-f", "fhir"),
    ):
        result = run(*args)
        assert result.exit_code == 3, (args, result.output)
        assert f"saved screening {bad} cannot be read" in result.stderr
    assert run("history", "show", str(good)).exit_code == 0


def _rules_with(tmp_path: Path, question_id: str) -> Path:
    import yaml

    from tests.conftest import DATA

    data = yaml.safe_load((DATA / "skip-rules.yaml").read_text(encoding="utf-8"))
    old = data["questions"][0]["id"]
    data["questions"][0]["id"] = question_id
    for q in data["questions"]:
        if q.get("ask_if"):
            q["ask_if"] = q["ask_if"].replace(old, question_id)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("question_id", ["rehab_complete", "surgery_timestamp"])
def test_redcap_round_trip_keeps_a_question_whose_id_ends_like_redcap_metadata(
    tmp_path: Path, question_id: str
) -> None:
    rules = _rules_with(tmp_path, question_id)
    dictionary = run("form", "export", "-f", "redcap", "-r", str(rules))
    assert dictionary.exit_code == 0, dictionary.output
    answers = {question_id: False, "pain_months": 5, "sport": "running", "urgent": False}
    export = tmp_path / "Project_DATA.csv"
    fields = [line.split(",", 1)[0] for line in dictionary.stdout.splitlines()[1:]]
    assert fields == ["record_id", question_id, "pain_months", "sport", "urgent"]
    export.write_text(
        f"{','.join(fields)},skip_test_complete\n1,0,5,running,0,2\n", encoding="utf-8"
    )  # REDCap raw export
    result = run("batch", str(export), "--preset", "redcap", "-r", str(rules), "-f", "jsonl", "-o", "-")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.splitlines()[0])
    one = tmp_path / "one.json"
    one.write_text(json.dumps(answers), encoding="utf-8")
    expected = json.loads(run("score", str(one), "-r", str(rules), "-f", "json").stdout)
    assert (row["status"], row["level"]) == ("ok", expected["level"])
    assert "no column for question" not in result.stderr


def test_redcap_refuses_a_question_named_like_the_forms_completion_field(tmp_path: Path) -> None:
    # REDCap adds '<form>_complete' to every instrument; a field of that name cannot be imported
    rules = _rules_with(tmp_path, "skip_test_complete")
    result = run("form", "export", "-f", "redcap", "-r", str(rules))
    assert result.exit_code == 2, result.output
    assert "skip_test_complete" in result.stderr and "REDCap" in result.stderr


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
@pytest.mark.parametrize("via", ["direct", "symlink", "dotted"])
def test_export_over_the_history_store_itself_is_refused(
    answers_file: str, _isolated_home: Path, tmp_path: Path, suffix: str, via: str
) -> None:
    ids = [save(answers_file), save(answers_file)]
    target = _isolated_home / f"history.sqlite3{suffix}"
    if via == "symlink":
        link = tmp_path / "export.csv"
        link.symlink_to(target)
        target = link
    elif via == "dotted":
        target = _isolated_home / ".." / _isolated_home.name / target.name
    for fmt in ("csv", "jsonl", "fhir"):
        result = run("history", "export", "-o", str(target), "-f", fmt)
        assert result.exit_code == 2, result.output
        assert "history store" in result.stderr
    assert listed() == ids


def test_redcap_field_name_problems_are_one_line_each(tmp_path: Path) -> None:
    import yaml

    rules = _rules_with(tmp_path, "q" * 27)
    data = yaml.safe_load(rules.read_text(encoding="utf-8"))
    data["questions"][-1]["id"] = "record_id"
    data["red_flags"][0]["when"] = "record_id"
    rules.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = run("form", "export", "-f", "redcap", "-r", str(rules))
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert "\\n" not in result.stderr
    assert len(lines) == 3 and all(line.startswith("stm-screen: ") for line in lines)
    assert "27 characters" in lines[1] and "record_id" in lines[2]


def test_history_csv_cells_are_never_spreadsheet_formulas(tmp_path: Path, _isolated_home: Path) -> None:
    from tests.conftest import DATA

    rules = tmp_path / "rules.yaml"
    text = (DATA / "skip-rules.yaml").read_text(encoding="utf-8")
    rules.write_text(text.replace('version: "0.1"', 'version: "=HYPERLINK(1)"'), encoding="utf-8")
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({"has_pain": True, "pain_months": 3, "urgent": False}), encoding="utf-8")
    assert run("score", str(answers), "-r", str(rules), "--save").exit_code == 0
    for args in (("history", "list", "-f", "csv"), ("history", "export", "-o", "-", "-f", "csv")):
        out = run(*args).stdout
        assert ",=HYPERLINK" not in out and ',"=HYPERLINK' not in out
        assert "'=HYPERLINK(1)" in out


def test_a_read_only_history_can_still_be_listed_shown_and_exported(
    answers_file: str, _isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # e.g. an archived history on a read-only share: the file cannot be opened for writing (EROFS/EACCES)
    import errno
    import os

    from stm_screen.store import history as h

    ids = [save(answers_file, "--patient", "MRN-0042"), save(answers_file)]
    store = _isolated_home / "history.sqlite3"
    real_open = os.open

    def refuse(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path) == store and flags & (os.O_RDWR | os.O_WRONLY):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(h.os, "open", refuse)
    assert listed() == ids
    assert run("history", "show", str(ids[0])).exit_code == 0
    out = tmp_path / "out.jsonl"
    assert run("history", "export", "-o", str(out), "-f", "jsonl").exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    for args in (
        ("history", "delete", str(ids[0])),
        ("score", answers_file, "--save", "--patient", "MRN-0042"),
    ):
        result = run(*args)
        assert result.exit_code == 3, (args, result.output)
        assert "read-only" in result.stderr and "MRN-0042" not in result.stderr
    monkeypatch.setattr(h.os, "open", real_open)
    assert listed() == ids


def test_history_csv_export_keeps_every_digit_of_an_answer(tmp_path: Path) -> None:
    answers = {**ANSWERS, "pain_duration_months": 7.123456789}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    save(str(path))
    out = run("history", "export", "-o", "-", "-f", "csv").stdout
    assert "7.123456789" in out


def test_redcap_numbers_are_exact_and_never_in_exponent_form(tmp_path: Path) -> None:
    import csv
    import io

    import yaml

    from tests.conftest import DATA

    data = yaml.safe_load((DATA / "skip-rules.yaml").read_text(encoding="utf-8"))
    data["questions"].append(
        {
            "id": "weight",
            "type": "number",
            "min": 0.00001,
            "max": 1234567.5,
            "text": "Weight?",
            "ask_if": "pain_months > 0.00001 and pain_months < 1234567.5",
        }
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = run("form", "export", "-f", "redcap", "-r", str(rules))
    assert result.exit_code == 0, result.output
    row = next(
        r for r in csv.DictReader(io.StringIO(result.stdout)) if r["Variable / Field Name"] == "weight"
    )
    assert (row["Text Validation Min"], row["Text Validation Max"]) == ("0.00001", "1234567.5")
    assert (
        row["Branching Logic (Show field only if...)"]
        == "[pain_months] <> '' and [pain_months] > 0.00001 and [pain_months] < 1234567.5 and [has_pain] = '1'"
    )  # pain_months is asked only when has_pain: its stale answer must not show the question


def _rules_with_ask_if(tmp_path: Path, condition: str) -> Path:
    import yaml

    from tests.conftest import DATA

    data = yaml.safe_load((DATA / "skip-rules.yaml").read_text(encoding="utf-8"))
    data["questions"][2]["ask_if"] = condition  # 'sport'
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("condition", ["-pain_months < -2", "+pain_months > 2", "-(pain_months - 10) > 2"])
def test_unary_minus_on_a_question_is_exported_not_a_crash(tmp_path: Path, condition: str) -> None:
    rules = _rules_with_ask_if(tmp_path, condition)
    assert run("rules", "check", str(rules)).exit_code == 0
    for fmt in ("redcap", "fhir"):
        result = run("form", "export", "-f", fmt, "-r", str(rules))
        assert result.exit_code == 0, (fmt, result.output)
    redcap = run("form", "export", "-f", "redcap", "-r", str(rules)).stdout
    if condition.startswith("-pain"):
        assert "(0 - [pain_months]) < -2" in redcap


def test_no_output_option_can_replace_the_history_store(tmp_path: Path, _isolated_home: Path) -> None:
    """form export, batch and score reports refuse to write over a database file (the history store)."""
    from typer.testing import CliRunner

    from stm_screen.cli.app import app

    runner = CliRunner()
    answers = tmp_path / "a.json"
    answers.write_text('{"pain_duration_months": 5}', encoding="utf-8")
    assert runner.invoke(app, ["score", str(answers), "--save", "--patient", "MRN-1"]).exit_code == 0
    store = _isolated_home / "history.sqlite3"
    before = store.read_bytes()
    csv_in = tmp_path / "in.csv"
    csv_in.write_text("pain_duration_months\n5\n", encoding="utf-8")
    for args in (
        ["form", "export", "--format", "csv", "--output", str(store)],
        ["batch", str(csv_in), "--output", str(store)],
        ["form", "export", "--format", "csv", "--output", str(store) + "-wal"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "history store" in result.stderr or "is a database file" in result.stderr
    assert store.read_bytes() == before
