"""``stm-screen score`` and ``stm-screen rules`` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.rules.loader import load_ruleset

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
# a complete 2.0 answer set: every safety question answered "no" (the 'nothing met gives self-care' example)
CALM: dict[str, Any] = dict(load_ruleset().examples[0].answers)


def run(*args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin)


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def test_json_output_has_the_documented_keys(tmp_path: Path) -> None:
    answers = {
        **CALM,
        "pain_duration_months": 7,
        "morning_stiffness": False,  # asked now: back pain for 3 months or more that began before 45
        "activity_limitation": 5,
        "fear_of_movement": True,
    }
    result = run("score", write(tmp_path, "a.json", json.dumps(answers)), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in (
        "level",
        "title",
        "score",
        "max_score",
        "red_flags",
        "findings",
        "missing",
        "urgency",
        "unchecked",
        "red_flags_not_ruled_out",
        "ruleset",
        "tool_version",
    ):
        assert key in data
    assert (data["level"], data["score"], data["max_score"]) == ("pt_recommended", 3, 5)
    assert (data["unchecked"], data["red_flags_not_ruled_out"], data["urgency"]) == (False, [], None)
    assert data["ruleset"]["id"] == "pt-screen"
    assert [f["id"] for f in data["findings"]] == ["long_lasting_pain", "limits_activity", "fear_of_movement"]


def test_yaml_answers_from_stdin() -> None:
    result = run("score", "-", "--format", "json", stdin="pain_duration_months: 2\nstroke_signs: yes\n")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # a fired emergency keeps its level, even with the other safety questions left out
    assert data["level"] == "emergency" and data["urgency"] == "now" and data["unchecked"] is False
    assert [f["id"] for f in data["red_flags"]] == ["stroke_like_signs"]
    assert data["red_flags"][0]["urgency"] == "now"
    assert data["red_flags_not_ruled_out"]  # the open signs are still listed


def test_answers_missing_safety_questions_give_see_doctor_not_a_pt_level(tmp_path: Path) -> None:
    answers = {k: v for k, v in CALM.items() if k != "calf_swelling"}
    result = run("score", write(tmp_path, "a.json", json.dumps(answers)), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["level"], data["unchecked"]) == ("see_doctor", True)
    assert data["title"] == "Some warning signs could not be checked"
    assert [f["id"] for f in data["red_flags_not_ruled_out"]] == ["possible_blood_clot"]
    unsure = run(
        "score",
        write(tmp_path, "u.json", json.dumps({**CALM, "calf_swelling": "unsure"})),
        "--format",
        "json",
    )
    data = json.loads(unsure.stdout)
    assert (data["level"], data["unchecked"], data["unsure"]) == ("see_doctor", True, ["calf_swelling"])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{"pain_intensity": 11}',
            "pain_intensity: 11 is out of range; allowed: a whole number from 0 to 10",
        ),
        (
            '{"pain_intensity": 2.5}',
            "pain_intensity: 2.5 is not a whole number; allowed: a whole number from 0 to 10",
        ),
        (
            '{"pain_duration_months": -1}',
            "pain_duration_months: -1 is out of range; allowed: a number from 0 to 600 months",
        ),
        (
            '{"pain_areas": ["knee"]}',
            "pain_areas: 'knee' is not a choice; allowed: any of: low_back, mid_back, neck_shoulder",
        ),
        ('{"night_pain": "sometimes"}', "night_pain: 'sometimes' is not yes, no or not sure"),
        ('{"night_pain": 2}', "night_pain: 2 is not yes, no or not sure"),
        ('{"pain_trend": "up"}', "pain_trend: 'up' is not a choice; allowed: one of: better, same, worse"),
        ('{"age_years": 121}', "age_years: 121 is out of range"),
        ('{"nigth_pain": true}', "nigth_pain: unknown question (did you mean 'night_pain'?)"),
        ('{"pain_intensity": true}', "pain_intensity: true is not a number"),
        ("[1, 2]", "answers must be a mapping of question id to answer, not a list"),
        ('"just text"', "answers must be a mapping of question id to answer, not a text"),
    ],
)
def test_invalid_answers_exit_1_with_one_line_per_problem(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = write(tmp_path, "a.json", content)
    result = run("score", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert expected in result.stderr
    assert "Traceback" not in result.output


def test_every_problem_is_listed(tmp_path: Path) -> None:
    path = write(tmp_path, "a.json", '{"pain_intensity": 11, "night_pain": "hmm", "bogus": 1}')
    result = run("score", path)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 3


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.json", "", "the answers file is empty"),
        ("blank.yaml", "\n# only a comment\n", "the answers file is empty"),
        ("bad.json", '{"pain_intensity": ', "not valid JSON"),
        ("bad.yaml", "pain_intensity: [1,\n", "cannot read the answers"),
        ("bin.json", b"\x00\x01\x02", "binary file"),
        ("latin.yaml", "pain_areas: caf\xe9\n".encode("latin-1"), "not UTF-8"),
        ("tag.yaml", "night_pain: !!python/object/apply:os.system ['true']\n", "cannot read the answers"),
    ],
)
def test_unreadable_answers_files(tmp_path: Path, name: str, content: str | bytes, expected: str) -> None:
    result = run("score", write(tmp_path, name, content))
    assert result.exit_code == 1
    assert expected in result.stderr
    assert "Traceback" not in result.output


def test_missing_answers_file(tmp_path: Path) -> None:
    """The run cannot be done: exit 2, as the exit-code table says (and as batch does)."""
    result = run("score", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "no such answers file" in result.stderr


@pytest.mark.parametrize("kind", ["folder", "dangling", "under-a-file"])
def test_an_answers_file_that_cannot_be_opened_is_exit_2(tmp_path: Path, kind: str) -> None:
    """A folder, a dangling link, a path through a file: missing or unreadable, exit 2; a file that is
    there but empty or not JSON/YAML stays exit 1 (invalid data)."""
    path = tmp_path / "a.json"
    if kind == "folder":
        path.mkdir()
    elif kind == "dangling":
        path.symlink_to(tmp_path / "gone.json")
    else:
        (tmp_path / "file").write_text("{}", encoding="utf-8")
        path = tmp_path / "file" / "a.json"
    result = run("score", str(path))
    assert result.exit_code == 2, result.output
    assert str(path) in result.stderr and "internal error" not in result.output
    empty = tmp_path / "empty.json"
    empty.write_text("", encoding="utf-8")
    assert run("score", str(empty)).exit_code == 1


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = run("score", write(tmp_path, "a.json", "{}"), "--format", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of 'text', 'json', 'html', 'md', 'fhir'" in result.stderr


def test_invalid_rules_exit_2(tmp_path: Path) -> None:
    rules = write(tmp_path, "r.yaml", "id: x\n")
    result = run("score", write(tmp_path, "a.json", "{}"), "--rules", rules)
    assert result.exit_code == 2
    assert "missing key 'version'" in result.stderr


def test_rules_by_bundled_name_and_unknown_name() -> None:
    assert run("rules", "check", "pt-screen").exit_code == 0
    result = run("rules", "check", "no-such-ruleset")
    assert result.exit_code == 2
    assert "bundled rulesets: pt-screen" in result.stderr


def test_rules_show_json_lists_questions() -> None:
    result = run("rules", "show", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == "pt-screen"
    q = {x["id"]: x for x in data["questions"]}
    assert (
        q["pain_duration_months"].items()
        >= {"type": "number", "min": 0, "max": 600, "unit": "months"}.items()
    )
    assert [c["id"] for c in q["pain_areas"]["choices"]][:3] == ["low_back", "mid_back", "neck_shoulder"]
    assert q["age_years"].items() >= {"type": "integer", "min": 0, "max": 120, "required": True}.items()
    assert {"id", "label"} <= set(q["pain_areas"]["choices"][0])
    assert q["self_harm_thoughts"]["unsure_means_yes"] == {"source": "asq"} and q["self_harm_thoughts"]["unsure"]
    assert q["night_pain"]["unsure"] and q["night_pain"]["unsure_means_yes"] is None


def test_rules_show_table_mentions_every_question() -> None:
    result = runner.invoke(app, ["rules", "show"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for qid in ("age_years", "pain_duration_months", "pain_trend", "self_harm_thoughts", "fear_of_movement"):
        assert qid in result.stdout
    assert result.stdout.count("'not sure' counts as yes") == 2  # the two self-harm questions only


def test_rules_schema_matches_the_committed_file() -> None:
    result = run("rules", "schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "questions" in schema["$defs"]["RulesetFile"]["properties"]
    assert "item_text" in schema["$defs"]["ModuleFile"]["properties"]
    assert result.stdout == (ROOT / "schema" / "ruleset.schema.json").read_text(encoding="utf-8")


def test_bundled_rules_validate_against_the_schema() -> None:
    import jsonschema
    import yaml

    schema = json.loads((ROOT / "schema" / "ruleset.schema.json").read_text(encoding="utf-8"))
    for path in [ROOT / "rules" / "pt-screen.yaml", *sorted((ROOT / "rules" / "modules").glob("*.yaml"))]:
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


def test_rules_test_is_an_alias_of_check() -> None:
    assert run("rules", "test").stdout == run("rules", "check").stdout


def test_unexpected_errors_show_no_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stm_screen.screening as screening

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret patient detail")

    monkeypatch.setattr(screening, "score_data", boom)
    result = run("score", write(tmp_path, "a.json", "{}"))
    assert result.exit_code == 70
    assert "internal error (RuntimeError)" in result.stderr
    assert "secret patient detail" not in result.output and "Traceback" not in result.output


def test_alias_bomb_in_answers_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    lines.append("pain_areas: *a8")
    result = run("score", write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n"))
    assert result.exit_code == 1
    assert "pain_areas:" in result.stderr and "unknown question" in result.stderr
    assert len(result.stderr) < 2000


def test_choice_labels_match_whatever_the_unicode_form(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text(
        (ROOT / "tests" / "data" / "minimal.yaml")
        .read_text(encoding="utf-8")
        .replace("{id: neck, label: Neck}", "{id: neck, label: Épaule}"),
        encoding="utf-8",
    )
    decomposed = "E\u0301PAULE"  # E + combining acute, upper case
    result = run(
        "score",
        write(tmp_path, "a.json", json.dumps({"areas": [decomposed]})),
        "--rules",
        str(rules),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answers"]["areas"] == ["neck"]


def test_not_sure_about_self_harm_is_scored_as_yes_and_shown_as_not_sure(tmp_path: Path) -> None:
    """score: the self-harm question's 'not sure' (in any language) fires its crisis advice, at once and
    kindly worded, and the follow-up about danger counts; the answer itself is still 'not sure'."""
    calm = CALM
    for said, lang in (("not sure", "en"), ("no sé", "es")):
        path = write(tmp_path, f"a-{lang}.json", json.dumps({**calm, "self_harm_thoughts": said}))
        result = run("score", path, "--format", "json", "--lang", lang)
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        # the follow-up not answered counts as yes too (ASQ): help now
        assert data["level"] == "emergency" and data["urgency"] == "now"
        assert [f["id"] for f in data["red_flags"]] == ["self_harm_danger_not_answered"]
        assert data["red_flags_not_ruled_out"] == []
        assert [m["question"] for m in data["missing"]] == ["self_harm_danger"]
        assert "self_harm_danger" not in data["skipped"]
        assert data["answers"]["self_harm_thoughts"] == "unsure" and data["unsure"] == ["self_harm_thoughts"]
        (used,) = data["red_flags"][0]["answers"]
        assert used["value"] == "unsure"
    text = run("score", write(tmp_path, "b.json", json.dumps({**calm, "self_harm_thoughts": "unsure",
                                                                "self_harm_danger": "no"})))  # fmt: skip
    assert text.exit_code == 0, text.output
    assert "even if you are not sure" in " ".join(text.stdout.split())
    assert "could not be checked" not in text.stdout.lower()  # complete: the danger question was answered


def test_a_date_where_a_number_is_asked_is_shown_as_typed(tmp_path: Path) -> None:
    """YAML reads 2024-01-01 as a date: the message shows it as typed, not as datetime.date(2024, 1, 1)."""
    path = tmp_path / "a.yaml"
    path.write_text("age_years: 2024-01-01\npain_duration_months: 6\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["score", str(path)])
    assert r.exit_code == 1, r.output
    assert "age_years: '2024-01-01' is not a number" in r.output and "datetime" not in r.output


def test_answers_the_skip_rules_do_not_ask_are_said_and_a_safety_yes_among_them_is_a_warning(
    tmp_path: Path,
) -> None:
    """A file that says no to thoughts of self-harm and yes to acting on them soon (a paper form typed in,
    say): the yes is not used (its question is asked only after a yes to the first), and `score` says so on
    stderr after the result, as a contradiction to check with the person; a 'no' not used is a plain note."""
    from stm_screen.screening import load_rules

    answers = {**load_rules(None).examples[0].answers, "self_harm_thoughts": False, "self_harm_danger": True}
    answers.update(progressive_weakness=False, weakness_fast=False)
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    result = CliRunner().invoke(app, ["score", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "'self_harm_danger' is answered yes, but it is asked only when self_harm_thoughts" in result.stderr
    assert "check them with the person" in result.stderr
    assert "answers not used, as the skip rules do not ask these questions with the other answers: weakness_fast" in (
        result.stderr
    )
    json.loads(result.stdout)  # stdout stays the result alone


def test_a_file_that_answers_only_what_is_asked_gets_no_note(tmp_path: Path) -> None:
    from stm_screen.screening import load_rules

    path = tmp_path / "a.json"
    path.write_text(json.dumps(load_rules(None).examples[0].answers), encoding="utf-8")
    result = CliRunner().invoke(app, ["score", str(path), "--format", "json"])
    assert result.exit_code == 0
    assert "not used" not in result.stderr
