"""Messages that stop a run part way through, said in the person's language (issue 13's leftovers).

Batch reads its input in English (the output's error cells are data for scripts); an error that then stops
the run is kept as its English message and values (``i18n.Text``) and said again to the person in theirs.
Files of the wrong kind, YAML syntax errors (PyYAML's and libyaml's own words), the history store's
problems and the rules folder's checks are said in Spanish too; English stays unchanged in meaning.
"""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen import i18n
from stm_screen.cli.app import app
from stm_screen.errors import InputFileError, Problem, ProblemsError
from stm_screen.i18n import L_, Text, speaking

SPANISH_ENV = {"LANG": "es_MX.UTF-8", "LC_MESSAGES": "", "LC_ALL": "", "STM_SCREEN_LANG": ""}
# Words of PyYAML/libyaml and of the tool's English messages that a Spanish message must not hold.
ENGLISH = re.compile(
    r"\b(while|parsing|scanning|did not find|found|expected|allowed|the file|binary|header|columns; at most|"
    r"history store|cannot|is a folder|not valid)\b"
)


def _cli(args: list[str], env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    i18n.start(args, env or {})  # as `stm-screen` does before building its commands
    try:
        return CliRunner().invoke(app, args, env=env)
    finally:
        i18n.activate(None)


# --- the re-sayable message itself -------------------------------------------------------------------------


def test_a_text_is_said_again_in_the_language_of_whoever_reads_it() -> None:
    with speaking("es"):
        text = L_("{path}: the file is empty", path="a.csv")
        assert text == "a.csv: el archivo está vacío"
    assert text.said() == "a.csv: the file is empty"  # English now
    error = InputFileError(text)
    assert str(error) == "a.csv: the file is empty"
    with speaking("es"):
        assert str(error) == "a.csv: el archivo está vacío"
        assert str(ProblemsError([Problem(L_("not valid UTF-16 text"), "r.yaml")])) == (
            "r.yaml: no es texto UTF-16 válido"
        )


def test_a_text_crosses_processes_as_its_message_and_values() -> None:
    text = L_("{where}: {message}", where="x.csv:2", message=L_("not valid UTF-16 text"))
    again = pickle.loads(pickle.dumps(InputFileError(text)))
    assert isinstance(again.args[0], Text)
    with speaking("es"):
        assert str(again) == "x.csv:2: no es texto UTF-16 válido"


def test_values_keep_their_format_and_any_name_is_a_value() -> None:
    # a number formatted by the message ('{n:,}'), and placeholders named like L_'s own parameter
    assert L_("{message} {n:,}", message="m", n=12345) == "m 12,345"
    assert Text("{message}", message="{not a placeholder}") == "{not a placeholder}"


def test_the_person_language_is_not_changed_by_a_block_in_another() -> None:
    i18n.activate("es")
    try:
        with speaking("en"):
            assert i18n.person() == "es"
        i18n.activate(None, person=False)  # batch: data in English
        assert i18n.person() == "es" and i18n.current() == "en"
    finally:
        i18n.activate(None)


# --- batch stops said in Spanish, cells in English ----------------------------------------------------------


def _export(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "spanish"),
    [
        ("arr.json", b'[{"night_pain": "no"},\n{bad]\n', ":2: JSON no válido"),
        ("bin.csv", bytes(range(1, 9)) * 64 + b"\x00" * 64, "es un archivo binario, no una exportación de encuestas"),
        ("nul.csv", b"id,night\x00_pain\nA1,no\n", "un carácter NUL (byte 0) en la línea 1, columna 9"),  # (the header)
        ("u16.csv", "id,night_pain\nA1,no\n".encode("utf-16-le"), "parece texto UTF-16 sin marca de orden de bytes"),
        ("u32.csv", "id,night_pain\n".encode("utf-32"), "el archivo es texto UTF-32"),
        ("wide.csv", (",".join(f"c{i}" for i in range(10_050)) + "\n").encode(), "el encabezado tiene más de 10,000 columnas"),
    ],
)
def test_batch_stops_are_said_in_spanish(tmp_path: Path, name: str, data: bytes, spanish: str) -> None:
    export = _export(tmp_path, name, data)
    out = tmp_path / "out.csv"
    spanish_run = _cli(["batch", str(export), "--allow-missing", "-o", str(out)], SPANISH_ENV)
    assert spanish_run.exit_code in (1, 2), spanish_run.output
    assert spanish in spanish_run.stderr, spanish_run.stderr
    message = spanish_run.stderr.split(":", 1)[1]
    assert not ENGLISH.search(message.replace(str(export), "")), spanish_run.stderr
    english_run = _cli(["batch", str(export), "--allow-missing", "-o", str(out)])
    assert english_run.exit_code == spanish_run.exit_code
    assert english_run.stderr != spanish_run.stderr and spanish not in english_run.stderr


def test_a_bad_record_is_an_english_cell_and_a_spanish_summary(tmp_path: Path) -> None:
    export = _export(tmp_path, "in.jsonl", b'{"id": "A1", "night_pain": "no"}\n{"id": "A2", "night_pain": ]\n')
    out = tmp_path / "out.csv"
    run = _cli(["batch", str(export), "--allow-missing", "-o", str(out)], SPANISH_ENV)
    assert run.exit_code == 1, run.output
    rows = out.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 3 and "not valid JSON" in rows[2], rows  # the data stays English
    assert "no válido" not in out.read_text(encoding="utf-8")
    # the summary is said in Spanish; the first bad records are quoted as the output's error column has them
    assert "primeros registros con errores:" in run.stderr and f"fila 2: {export}:2:28: not valid JSON" in run.stderr


# --- YAML syntax errors: PyYAML's and libyaml's own words -------------------------------------------------

YAML_ERRORS = [
    ("rules: [\n", "aquí se esperaba un valor"),
    ("a: 1\n\tb: 2\n", "un tabulador en la sangría"),
    ("a: b: c\n", "aquí no se permite ':'"),
    ('a: "x\\qy"\n', "carácter de escape desconocido"),
    ("a: [1, 2\n", "aquí se esperaba ',' o ']'"),
    ("a: *nope\n", "el alias no está definido"),
    ("a: @x\n", "un carácter que no puede empezar un valor"),
    ("a: 1\n- b\n", "aquí se esperaba una clave"),
    ("- a\nb: 1\n", "aquí se esperaba '-' (un elemento de lista)"),
    ("a: - b\n", "revise la sangría"),
    ('a: "open\n', "el archivo termina antes de tiempo"),
    ("a: 1\n---\nb: 2\n", "más de un documento"),
]


@pytest.mark.parametrize(("text", "spanish"), YAML_ERRORS)
def test_yaml_syntax_errors_are_said_in_spanish(tmp_path: Path, text: str, spanish: str) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    run = _cli(["rules", "check", str(path)], SPANISH_ENV)
    assert run.exit_code == 2, run.output
    assert spanish in run.stderr, run.stderr
    assert not ENGLISH.search(run.stderr.replace(str(path), "")), run.stderr
    english = _cli(["rules", "check", str(path)])
    assert english.exit_code == 2 and "YAML" in english.stderr
    assert "while parsing" not in english.stderr and "did not find" not in english.stderr, english.stderr


def test_the_python_yaml_parser_words_are_said_too() -> None:
    import yaml

    from stm_screen.io.yamlfile import pyyaml_words

    for text, _spanish in YAML_ERRORS:
        try:
            yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - the pure-Python safe loader's words
        except yaml.MarkedYAMLError as exc:
            with speaking("es"):
                said = " ".join(pyyaml_words(part) for part in (exc.context, exc.problem) if part)
            assert not ENGLISH.search(said), (text, exc.context, exc.problem, said)


def test_an_answers_file_yaml_error_is_said_in_spanish(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("night_pain: [\n", encoding="utf-8")
    run = _cli(["score", str(path)], SPANISH_ENV)
    assert run.exit_code == 1 and "no se pueden leer las respuestas: aquí se esperaba un valor" in run.stderr


@pytest.mark.parametrize(
    ("data", "spanish"),
    [
        (bytes(range(1, 9)) * 64 + b"\x00" * 64, "es un archivo binario, no un archivo de respuestas"),
        (b"\xff\xfe" + "night_pain: no\x00\n".encode("utf-16-le"), "un carácter NUL: un archivo de respuestas"),
    ],
)
def test_an_answers_file_of_the_wrong_kind_is_said_in_spanish(tmp_path: Path, data: bytes, spanish: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(data)
    run = _cli(["score", str(path)], SPANISH_ENV)
    assert run.exit_code == 1 and spanish in run.stderr, run.stderr
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    run = _cli(["score", str(folder)], SPANISH_ENV)
    assert "es una carpeta, no un archivo de respuestas" in run.stderr, run.stderr


def test_a_rules_folder_problem_is_said_in_spanish(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.yaml").write_text("questions: []\n", encoding="utf-8")
    (folder / "b.yaml").write_text("- x\n", encoding="utf-8")
    run = _cli(["rules", "check", str(folder)], SPANISH_ENV)
    assert run.exit_code == 2
    assert "ningún archivo de la carpeta tiene los metadatos" in run.stderr, run.stderr
    assert "un archivo de reglas debe ser, en el nivel superior, una tabla de claves" in run.stderr, run.stderr


# --- the history store -------------------------------------------------------------------------------------


def test_a_history_store_problem_is_said_in_spanish(tmp_path: Path, _isolated_home: Path) -> None:
    store = _isolated_home / "history.sqlite3"
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000)  # damaged
    run = subprocess.run(
        [sys.executable, "-m", "stm_screen", "history", "list"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **SPANISH_ENV},
        check=False,
    )
    assert run.returncode == 3, run.stderr
    assert "historial guardado" in run.stderr and "history store" not in run.stderr, run.stderr


# --- files written for the person to edit, and the data folder ---------------------------------------------


def test_a_spanish_export_is_matched_and_its_starter_mapping_is_in_spanish(tmp_path: Path) -> None:
    export = tmp_path / "es.csv"
    export.write_text(
        "Expediente,Edad,Dolor nocturno,Fiebre,Duracion del dolor (meses),Antecedentes de cáncer,"
        "Pérdida de peso sin explicación,Miedo a moverse,Columna rara\n1,40,no,no,6,no,no,no,x\n",
        encoding="utf-8",
    )
    run = _cli(["batch", str(export), "--suggest-map"], SPANISH_ENV)
    assert run.exit_code == 0, run.output
    text = run.stdout
    for line in [
        'id_column: "Expediente"',
        '"Edad": age_years',
        '"Dolor nocturno": night_pain',
        '"Fiebre": fever_or_unwell',
        '"Duracion del dolor (meses)": pain_duration_months',  # accents dropped by the export
        '"Antecedentes de cáncer": cancer_history',
        '"Pérdida de peso sin explicación": unexplained_weight_loss',
        '"Miedo a moverse": fear_of_movement',
        '# "Columna rara": ',
    ]:
        assert line in text, (line, text)
    assert text.startswith("# Mapeo inicial para") and "Preguntas que aún no tienen columna" in text
    __import__("yaml").safe_load(text)  # still a mapping file
    english = _cli(["batch", str(export), "--suggest-map"])
    assert english.stdout.startswith("# Starter mapping for") and '"Edad": age_years' in english.stdout


def test_a_texts_file_problem_and_its_template_are_in_spanish(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    run = _cli(["rules", "texts", "--with", "peg", "-o", str(template)], SPANISH_ENV)
    assert run.exit_code == 0, run.output
    assert template.read_text(encoding="utf-8").startswith("# El texto de la clínica para los instrumentos")
    check = _cli(["rules", "check", "--with", "peg", "--texts", str(template)], SPANISH_ENV)
    assert check.exit_code == 2 and "peg_1: el texto está vacío" in check.stderr, check.stderr
    template.write_text("peg_9: hola\n", encoding="utf-8")
    check = _cli(["rules", "check", "--with", "peg", "--texts", str(template)], SPANISH_ENV)
    assert "peg_9: no existe ese ítem" in check.stderr and "no tiene texto" in check.stderr, check.stderr


def test_a_data_folder_that_is_a_file_is_said_in_spanish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("STM_SCREEN_HOME", str(blocker))
    run = _cli(["history", "list"], SPANISH_ENV)
    assert run.exit_code == 3
    assert "no se puede usar la carpeta de datos" in run.stderr and "es un archivo" in run.stderr, run.stderr


def test_a_failing_rules_example_is_said_in_spanish(tmp_path: Path) -> None:
    minimal = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")
    rules = tmp_path / "r.yaml"
    rules.write_text(minimal.replace("{name: none, level: low,", "{name: none, level: high,"), encoding="utf-8")
    run = _cli(["rules", "check", str(rules)], SPANISH_ENV)
    assert run.exit_code == 2
    assert "ejemplo 'none': se esperaba el nivel 'high' pero las reglas dan 'low'" in run.stderr, run.stderr


# --- values a script or YAML gets wrong without saying so ---------------------------------------------------


@pytest.mark.parametrize("event", ["", " ", ",", " , "])
def test_an_empty_event_is_refused_not_read_as_every_event(tmp_path: Path, event: str) -> None:
    run = _cli(["batch", str(Path(__file__).parents[1] / "docs" / "examples" / "kobo_export.csv"), "--event", event])
    assert run.exit_code == 2 and "--event must name at least one event" in run.stderr, run.output


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "true", "False"])
def test_an_unquoted_yes_or_no_id_is_explained(tmp_path: Path, word: str) -> None:
    minimal = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")
    first = minimal.split("\n", 1)[0]
    assert first.startswith("id: "), first
    rules = tmp_path / "r.yaml"
    rules.write_text(minimal.replace(first, f"id: {word}", 1), encoding="utf-8")
    run = _cli(["rules", "check", str(rules)])
    assert run.exit_code == 2
    read_as = "true" if word.lower() in ("yes", "on", "true") else "false"
    assert f"(got {read_as}: YAML reads yes, no, on, off, true and false" in run.stderr, run.stderr
    spanish = _cli(["rules", "check", str(rules)], SPANISH_ENV)
    assert "YAML lee yes, no, on, off, true y false" in spanish.stderr, spanish.stderr
