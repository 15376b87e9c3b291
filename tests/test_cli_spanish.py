"""The command line's own words in Spanish (issue 13): every command's --help and Typer's usage errors, with
LANG=es_MX.UTF-8 (or --lang es), and English left as it was."""

from __future__ import annotations

import re
from typing import Annotated, Any

import pytest
import typer
from typer.testing import CliRunner

from stm_screen import i18n
from stm_screen.cli.app import app
from tests.i18n_catalog import read

SPANISH_ENV = {"LANG": "es_MX.UTF-8", "LC_MESSAGES": "", "LC_ALL": ""}

# Words of Typer's and the tool's English help and usage errors; none may reach a Spanish reader.
ENGLISH_HELP = re.compile(
    r"\b(Usage|Options|Arguments|Commands|Examples|Show this message|required|default|Error: No such option|"
    r"Try|OPTIONS|COMMAND|ARGS|FILE|RULES|ANSWERS|INPUT|the|and|file|with|for|of)\b"
)
ENGLISH_ERROR = re.compile(
    r"\b(Usage|Try|for help|No such|Possible options|Did you mean|Missing|Invalid value|is not one of|"
    r"Input should|Got unexpected|requires|Choose from|OPTIONS|COMMAND)\b"
)


def _command_paths() -> list[list[str]]:
    """Every command and group of the tool, as the words typed before --help (the root is [])."""
    import typer.main

    paths: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            if not sub.hidden:
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


PATHS = _command_paths()


def _in_spanish(args: list[str]) -> Any:
    i18n.start(args, SPANISH_ENV)  # as `stm-screen` does before building its commands
    return CliRunner().invoke(app, args, env=SPANISH_ENV)


def test_the_tree_has_every_command() -> None:
    names = {" ".join(p) for p in PATHS}
    assert {
        "",
        "score",
        "screen",
        "batch",
        "rules check",
        "rules diff",
        "history purge",
        "form export",
    } <= names


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "stm-screen")
def test_help_in_spanish_has_no_english_word(path: list[str]) -> None:
    out = _in_spanish([*path, "--help"])
    assert out.exit_code == 0, out.output
    text = out.stdout
    assert text.startswith("Uso: stm-screen"), text[:200]
    assert "Opciones:" in text and "Mostrar este mensaje y salir." in text
    assert "Project-Id-Version" not in text  # gettext's answer for an empty string
    words = re.sub(r"--?[a-z][a-z-]*", "", text)  # option names are what people type, in any language
    found = [words[max(0, m.start() - 60) : m.end() + 20] for m in ENGLISH_HELP.finditer(words)]
    assert not found, found


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "stm-screen")
def test_help_in_english_stays_english(path: list[str]) -> None:
    out = CliRunner().invoke(app, [*path, "--help"])
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("Usage: stm-screen")
    assert "Options:" in out.stdout and "Show this message and exit." in out.stdout
    assert "Uso:" not in out.stdout and "Opciones" not in out.stdout


def test_every_help_text_of_every_command_is_in_the_spanish_catalogue() -> None:
    """Help written without N_() (a new option, a docstring used as help) would stay English in Spanish."""
    import typer.main

    catalog = read("es")
    missing: list[str] = []

    def check(where: str, text: str | None) -> None:
        if not text:
            return
        found = catalog.get(text)
        if found is None or not found.string or found.fuzzy:
            missing.append(f"{where}: {text[:70]!r}")

    def walk(command: Any, path: str) -> None:
        check(f"{path} help", command.help)
        check(f"{path} short_help", command.short_help)
        for line in (command.epilog or "").split("\n"):
            if line.strip() not in ("", "\b"):
                check(f"{path} epilog", line.strip())
        for param in command.params:
            check(f"{path} {param.name}", param.help)
            check(f"{path} {param.name} metavar", param.metavar)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "stm-screen")
    assert not missing, "mark these N_() and translate them:\n" + "\n".join(missing)


USAGE_ERRORS = [
    (["batch", "export.csv", "--bogus"], "No existe la opción: --bogus"),
    (["score"], "Falta el argumento 'RESPUESTAS'."),
    (["score", "a.json", "--format", "xml"], "Valor no válido para '--format' / '-f': 'xml' no es ninguno"),
    (["batch", "export.csv", "--jobs", "99"], "Valor no válido para '--jobs' / '-j': Debe ser 32 o menos."),
    (
        ["batch", "export.csv", "--jobs", "many"],
        "Valor no válido para '--jobs' / '-j': Debe ser un número entero.",
    ),
    (["scor"], "No existe el comando 'scor'. ¿Quiso decir 'score' o 'screen'?"),
    # b.json is not a file: it may be a patient reference typed without --patient, so it is not repeated
    (["score", "a.json", "b.json"], "Hay más argumentos de los que acepta el comando (no se repiten aquí"),
    (["rules", "bogus"], "No existe el comando 'bogus'."),
    (["form", "export", "--format", "pdf"], "Valor no válido para '--format' / '-f': 'pdf' no es ninguno"),
]


@pytest.mark.parametrize(
    ("args", "message"), USAGE_ERRORS, ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_usage_errors_in_spanish(args: list[str], message: str) -> None:
    out = _in_spanish(args)
    assert out.exit_code == 2, out.output
    text = out.stderr
    assert "Error: " + message in text, text
    assert text.startswith("Uso: stm-screen"), text
    assert re.search(r"Escriba 'stm-screen[a-z ]* -h' para ver la ayuda\.", text), text
    found = [text[max(0, m.start() - 60) : m.end() + 20] for m in ENGLISH_ERROR.finditer(text)]
    assert not found, found


def test_a_missing_option_value_in_spanish() -> None:
    out = _in_spanish(["score", "--patient"])
    assert out.exit_code == 2
    assert "Error: La opción '--patient' necesita un valor después." in out.stderr


def test_lang_on_the_command_line_chooses_spanish_help_and_errors() -> None:
    i18n.start(["score", "--lang", "es", "--bogus"], {"LANG": "C.UTF-8"})
    out = CliRunner().invoke(app, ["score", "--lang", "es", "--bogus"])
    assert "Error: No existe la opción: --bogus" in out.stderr


def test_usage_errors_in_english_stay_as_typer_words_them() -> None:
    out = CliRunner().invoke(app, ["batch", "export.csv", "--bogus"])
    assert out.exit_code == 2
    assert "Usage: stm-screen batch [OPTIONS] INPUT..." in out.stderr
    assert "Try 'stm-screen batch -h' for help." in out.stderr
    assert "Error: No such option: --bogus" in out.stderr
    out = CliRunner().invoke(app, ["scor"])
    assert "Error: No such command 'scor'. Did you mean 'score', 'screen'?" in out.stderr


def test_a_patient_reference_is_not_repeated_in_spanish_either() -> None:
    out = _in_spanish(["score", "--patient", "Juan", "Pérez", "x"])
    assert out.exit_code == 2
    assert "Pérez" not in out.stderr and "Juan" not in out.stderr
    assert "Hay más argumentos de los que acepta el comando (...)." in out.stderr
    assert "no se repiten sus palabras; una referencia de paciente es" in out.stderr


def test_an_unknown_message_is_kept_as_it_is() -> None:
    from stm_screen.cli.typer_words import say_message

    i18n.activate("es")
    assert say_message("--patient: no se acepta") == "--patient: no se acepta"
    assert say_message("Missing option '--output' / '-o'.") == "Falta la opción '--output' / '-o'."
    assert say_message("Missing argument 'FORMAT'. Choose from:\n\tredcap,\n\tfhir") == (
        "Falta el argumento 'FORMAT'. Elija entre: redcap,\n\tfhir"
    )


def test_batch_summary_on_stderr_is_spanish_while_the_output_stays_english(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "in.csv"
    data.write_text("id,night_pain,pain_trend\n1,quizás,same\n2,sí,better\n", encoding="utf-8")
    english = CliRunner().invoke(app, ["batch", str(data), "--allow-missing"])
    spanish = _in_spanish(["batch", str(data), "--allow-missing"])
    assert spanish.stdout == english.stdout  # data for scripts: the same bytes in every language
    assert "2 records from" in english.stderr and "first records with errors:" in english.stderr
    assert "2 registros de" in spanish.stderr and "primeros registros con errores:" in spanish.stderr
    assert "niveles: see_doctor 1" in spanish.stderr
    for words in ("records from", "levels:", "first records", "could not be ruled out", "no level"):
        assert words not in spanish.stderr, words


def test_batch_option_errors_in_spanish(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "in.csv"
    data.write_text("id,night_pain\n1,no\n", encoding="utf-8")
    out = _in_spanish(["batch", str(data), "--preset", "kobbo"])
    assert out.exit_code == 2
    assert "Valor no válido para '--preset' / '-p': 'kobbo' no es ninguno de estos valores" in out.stderr
    # The console script reads `batch` lines itself (cli.main), without Typer: its own checks in Spanish too.
    from stm_screen.cli.main import main

    for name, value in SPANISH_ENV.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        main(["batch", str(tmp_path / "nada.csv")])
    assert stopped.value.code == 2
    assert "no existe ese archivo (no se evaluó nada)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["batch", str(data), "--delimiter", "ab"])
    assert "--delimiter debe ser un solo carácter" in capsys.readouterr().err
    # A file without the safety columns: the reason and the way out, in Spanish; nothing is written.
    with pytest.raises(SystemExit) as stopped:
        main(["batch", str(data), "-o", str(tmp_path / "out.csv")])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "no hay columna para" in err and "preguntas de seguridad" in err
    assert "evalúe de todos modos con --allow-missing" in err
    assert "no column" not in err and not (tmp_path / "out.csv").exists()


def test_rules_check_says_a_broken_rules_file_in_spanish(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "reglas.yaml"
    rules.write_text(
        "id: x\nversion: 1\nquestions:\n  - id: a\n    text: Hola\n    type: yesno\n", encoding="utf-8"
    )
    out = _in_spanish(["rules", "check", str(rules)])
    assert out.exit_code == 2, out.output
    assert "reglas.yaml:1:1: nivel superior: falta la clave 'title'" in out.stderr
    assert (
        "debe ser uno de estos: boolean, integer, number, choice, multi_choice (se encontró 'yesno')"
        in out.stderr
    )
    for english in ("missing key", "top level", "must be one of", "got "):
        assert english not in out.stderr, english


def test_an_option_without_help_shows_no_catalogue_header() -> None:
    """gettext("") is the catalogue's header: an option with no help must stay without one in Spanish."""
    from stm_screen.cli.typer_words import speak

    small = typer.Typer(rich_markup_mode=None)

    @small.command()
    def run(name: Annotated[str, typer.Option("--name", help="")] = "x", flag: bool = False) -> None:
        """"""

    command = typer.main.get_command(small)
    i18n.activate("es")
    speak(command)
    with command.context_class(command, info_name="small") as ctx:
        text = command.get_help(ctx)
    assert "Project-Id-Version" not in text
    assert text.startswith("Uso: small [OPCIONES]") and "Mostrar este mensaje y salir." in text


def test_history_list_takes_lang_as_history_show_does() -> None:
    """A new user's run: `history list --lang es` said in Spanish that --lang does not exist."""
    out = CliRunner().invoke(app, ["history", "list", "--lang", "es"])
    assert out.exit_code == 0, out.output
    assert "no hay evaluaciones guardadas" in out.output.lower()
