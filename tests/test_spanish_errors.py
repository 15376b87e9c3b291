"""Problems the tool reports to a person, in Spanish (issue 13): rules-file checks keep their FILE:LINE:COL,
batch runs stop with Spanish messages, and the batch output's error cells (data for scripts) stay English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app

MINIMAL = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")
ENGLISH = re.compile(
    r"\b(unknown|duplicate|is larger than|did you mean|must be|no '\w+' text|safety text|is not)\b"
)


def _mutated(tmp_path: Path, name: str, *changes: tuple[str, str]) -> Path:
    text = MINIMAL
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BROKEN = [
    (
        "refs.yaml",
        [
            ("    source: test\ncriteria:", "    source: tset\ncriteria:"),
            ("{score: total, min: 1, level: high}", "{score: total, min: 1, level: hihg}"),
            ("    min: 0\n    max: 600", "    min: 700\n    max: 600"),
        ],
        [
            (12, "questions[1] 'months': min (700) es mayor que max (600)"),
            (41, "red_flags[1] 'fever_flag'.source: fuente desconocida 'tset' (¿quiso decir 'test'?)"),
            (61, "outcomes[2]: nivel desconocido 'hihg' (¿quiso decir 'high'?)"),
        ],
    ),
    (
        "ids.yaml",
        [
            (
                "  - {id: test, citation: Test source}\n",
                "  - {id: test, citation: Test source}\n  - {id: test, citation: B}\n",
            )
        ],
        [(7, "sources: id 'test' repetido (ya se usó en el elemento 1)")],
    ),
    (
        "conditions.yaml",
        [("when: months > 3", "when: stiff > 3"), ("when: fever\n", "when: fevr\n")],
        [
            (37, "red_flags[1] 'fever_flag'.when: pregunta desconocida 'fevr' (¿quiso decir 'fever'?)"),
            (44, "criteria[1] 'long'.when: <, <=, > y >= comparan números, pero esto es un valor de sí/no"),
        ],
    ),
    (
        "yaml.yaml",
        [("    text: Stiff?", "    text: Stiff?\n    text: Again?")],
        [(19, "clave 'text' repetida")],
    ),
    (
        "languages.yaml",
        [("title: Minimal test ruleset\n", "title: Minimal test ruleset\nlanguages: [en, es, es]\n")],
        [
            (4, "languages: 'es' aparece dos veces"),
            (5, "disclaimer: falta el texto en 'es'"),
            (41, "red_flags[1] 'fever_flag'.message: falta el texto en 'es'"),
        ],
    ),
]


@pytest.mark.parametrize(("name", "changes", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_rules_check_speaks_spanish_with_file_and_line(
    tmp_path: Path, name: str, changes: list[tuple[str, str]], expected: list[tuple[int, str]]
) -> None:
    path = _mutated(tmp_path, name, *changes)
    result = CliRunner().invoke(app, ["rules", "check", str(path), "--lang", "es"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    for line, message in expected:
        pattern = re.compile(rf"^stm-screen: {re.escape(str(path))}:{line}:\d+: {re.escape(message)}")
        assert any(pattern.search(x) for x in lines), "\n".join(lines)
    for x in lines:
        assert not ENGLISH.search(x), x
    english = CliRunner().invoke(app, ["rules", "check", str(path)])
    assert english.exit_code == 2 and ENGLISH.search(english.stderr), english.stderr


SPANISH_ENV = {"LANG": "es_MX.UTF-8", "LC_MESSAGES": "", "LC_ALL": ""}
ENGLISH_ENV = {"LANG": "C.UTF-8", "LC_MESSAGES": "", "LC_ALL": ""}
BATCH = Path(__file__).parent / "data" / "batch"
BATCH_ENGLISH = re.compile(
    r"answered twice|the file is|not UTF-8 text|allowed:|column '|no row of|--event is"
)


def _batch(args: list[str], env: dict[str, str]):  # type: ignore[no-untyped-def]
    from stm_screen import i18n

    i18n.start(["batch", *args], env)  # as `stm-screen` does before building its commands
    return CliRunner().invoke(app, ["batch", *args, "--allow-missing"], env=env)


def test_batch_stop_messages_are_said_in_spanish(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  pain: pian_intensity\n  other: {question: night_pain, sep: ','}\n")
    rules = _mutated(tmp_path, "rules.yaml", ("    source: test\ncriteria:", "    source: tset\ncriteria:"))
    folder = tmp_path / "folder"
    folder.mkdir()
    cases = [
        (
            ["--map", str(mapping), str(BATCH / "ragged.csv")],
            ["pregunta desconocida 'pian_intensity'", "clave desconocida 'sep'"],
        ),
        (["--rules", str(rules), str(BATCH / "ragged.csv")], ["rules.yaml:41:", "fuente desconocida 'tset'"]),
        (
            [str(BATCH / "duplicate_columns.csv")],
            ["se responde dos veces: las columnas 2 ('pain_intensity') y 3"],
        ),
        ([str(BATCH / "latin1.csv")], ["latin1.csv:2: el archivo no es texto UTF-8"]),
        ([str(BATCH / "empty.csv")], ["empty.csv: el archivo está vacío"]),
        (
            [str(BATCH / "redcap_api_labels_longitudinal.csv"), "--event", "nope"],
            ["--event: ninguna fila de la entrada es de nope, así que no se evaluó nada"],
        ),
        (
            [str(BATCH / "ragged.csv"), "--event", "nope"],
            ["--event es para exportaciones longitudinales de REDCap"],
        ),
    ]
    for args, fragments in cases:
        spanish = _batch(args, SPANISH_ENV)
        english = _batch(args, ENGLISH_ENV)
        assert spanish.exit_code == english.exit_code != 0, spanish.output
        for fragment in fragments:
            assert fragment in spanish.stderr, spanish.stderr
        assert not ENGLISH.search(spanish.stderr), spanish.stderr
        assert not BATCH_ENGLISH.search(spanish.stderr), spanish.stderr
        assert BATCH_ENGLISH.search(english.stderr) or ENGLISH.search(english.stderr), english.stderr
        assert spanish.stdout == english.stdout


def test_batch_error_cells_stay_english_byte_for_byte(tmp_path: Path) -> None:
    records = tmp_path / "records.json"
    records.write_text('[{"id": "1", "pain_intensity": 3}, [1, 2], {"id": "3", "pain_intensity": 3}]\n')
    for path in (BATCH / "ragged.csv", records):
        for fmt in ("csv", "jsonl"):
            args = [str(path), "--format", fmt]
            spanish = _batch(args, SPANISH_ENV)
            english = _batch(args, ENGLISH_ENV)
            assert spanish.exit_code == english.exit_code == 1, spanish.output
            assert spanish.stdout_bytes == english.stdout_bytes
            assert "the header has" in english.stdout or "the record is a list" in english.stdout, (
                english.stdout
            )
            assert spanish.stderr != english.stderr  # the summary is the person's


def test_install_completion_says_what_it_did_in_spanish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stm_screen import i18n

    monkeypatch.setenv("HOME", str(tmp_path))  # the install writes under the home folder: a temporary one
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")  # the shell is named, not guessed
    args = ["--install-completion", "bash"]
    i18n.start(args, SPANISH_ENV)
    spanish = CliRunner().invoke(app, args, env=SPANISH_ENV)
    assert spanish.exit_code == 0, spanish.output
    script = tmp_path / ".bash_completions" / "stm-screen.sh"
    assert f"El autocompletado de bash quedó instalado en {script}" in spanish.stdout
    assert "El autocompletado funcionará cuando vuelva a abrir la terminal" in spanish.stdout
    assert "completion installed" not in spanish.stdout and script.is_file()
    i18n.start(args, ENGLISH_ENV)
    english = CliRunner().invoke(app, args, env=ENGLISH_ENV)
    assert english.exit_code == 0, english.output
    assert f"bash completion installed in {script}" in english.stdout
    assert "Completion will take effect once you restart the terminal" in english.stdout
