"""The tool's own words in Spanish (issue 13): every string marked, every one translated, catalogues compiled
by the build (never at run time) and used by the installed tool."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from stm_screen import i18n
from tests.i18n_catalog import PACKAGE, catalogue_path, extract, read

# Modules whose every prose string is marked for translation (the rest of the user-facing code follows).
MARKED_MODULES = [
    "render/view.py",
    "render/text.py",
    "core/answers.py",
    "core/explain.py",
    "cli/errors.py",
    "cli/rules_cmd.py",
    "cli/form_cmd.py",
    "core/language.py",
    "io/answers_file.py",
    "prompt/ask.py",
    "prompt/questionnaire.py",
    "cli/screen_cmd.py",
    "render/report.py",
    "core/patient.py",
    "cli/score_cmd.py",
    "render/pdf.py",
    "cli/history_cmd.py",
    "cli/streams.py",
    "core/trend.py",
    "render/trend.py",
    "cli/batch_cmd.py",
    "core/ruleset.py",
    "core/conditions.py",
    "rules/loader.py",
    "io/sameness.py",
    "core/texts.py",
    "io/datadir.py",
    "screening.py",
    "core/examples.py",
]
MARKERS = {"_", "N_", "L_", "ngettext", "pgettext"}
PROSE = re.compile(r"[A-Za-z]{2,}[,.:;!?']? [A-Za-z]{2,}")
STYLE = re.compile(
    r"^(bold|dim|underline|italic|reverse|white|black|red|green|yellow|blue|cyan|magenta|on| )+$"
)
# Prose-looking strings that are not shown to people as they are.
NOT_SHOWN = {
    "render/view.py": {"CRITERIA_GAP"},  # English copy kept for tests; shown through _()
    "io/answers_file.py": {"KIND"},  # a key of io.yamlfile's sentences
    "cli/rules_cmd.py": set(),
    "render/trend.py": {"_CSS"},
    "core/conditions.py": {"symbols", "_A_LIST"},  # operators as written in conditions; English grammar  # the HTML page's style sheet  # comments of the YAML wording template (a file for clinics' editors)
}


def _braces(text: str) -> list[str]:
    return sorted(re.findall(r"\{[a-z_]*\}", text))


@pytest.fixture(scope="module")
def template():  # type: ignore[no-untyped-def]
    return extract()


def test_every_marked_string_has_a_spanish_translation(template) -> None:  # type: ignore[no-untyped-def]
    catalog = read("es")
    problems = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        where = f"{message.locations[0][0]}:{message.locations[0][1]}"
        if found is None:
            problems.append(f"{where}: not in {catalogue_path('es').name}: {message.id!r}")
        elif found.fuzzy:
            problems.append(f"{where}: fuzzy: {message.id!r}")
        elif not all(found.string) if isinstance(found.string, tuple) else not found.string:
            problems.append(f"{where}: not translated: {message.id!r}")
    assert not problems, (
        "run `python tests/i18n_catalog.py`, translate, then `pip install -e .`:\n" + "\n".join(problems)
    )


def test_translations_keep_every_placeholder() -> None:
    for message in read("es"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert _braces(text) in [_braces(i) for i in ids], (message.id, text)


def test_the_compiled_catalogue_is_the_current_one() -> None:
    """The editable install's build hook compiled the .po; a .po edited since needs `pip install -e .`."""
    assert "es" in i18n.tool_languages(), "no compiled Spanish catalogue: run `pip install -e .`"
    i18n.activate("es")
    for message in read("es"):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            got = i18n.ngettext(message.id[0], message.id[1], 1)
            want = message.string[0]
        elif message.context:
            got, want = i18n.pgettext(message.context, message.id), message.string
        else:
            got, want = i18n._(message.id), message.string
        assert got == want, f"{message.id!r}: stale compiled catalogue, run `pip install -e .`"


def _unmarked(path: Path, allowed: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside: set[int] = set()
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS:
            for arg in node.args:
                inside.update(id(n) for n in ast.walk(arg))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # docstrings
            skip.add(id(node.value))
        if isinstance(node, ast.Set):  # vocabularies of words people type, never shown
            skip.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in allowed for t in node.targets
        ):
            skip.update(id(n) for n in ast.walk(node.value))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            skip.update(id(n) for n in ast.walk(node))  # mapping keys
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside:
            regex = "\\b" in node.value or "(?" in node.value
            regex = regex or bool(re.search(r"<|='|\{ --|:root", node.value))  # HTML markup and CSS
            if (
                id(node) not in skip
                and PROSE.search(node.value)
                and not STYLE.match(node.value)
                and not regex
            ):
                found.append(f"{path.name}:{node.lineno}: {node.value[:60]!r}")
    return found


@pytest.mark.parametrize("module", MARKED_MODULES)
def test_every_prose_string_is_marked(module: str) -> None:
    problems = _unmarked(PACKAGE / module, NOT_SHOWN.get(module, set()))
    assert not problems, "wrap these in _():\n" + "\n".join(problems)


def test_no_marked_string_is_inside_an_f_string() -> None:
    """Babel's extractor does not see ``_()`` inside an f-string: such a string would never reach the
    catalogue, and would stay English (hoist it into a variable first)."""
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                problems += [
                    f"{path.relative_to(PACKAGE)}:{call.lineno}: {ast.unparse(call)[:60]}"
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in MARKERS
                ]
    assert not problems, "\n".join(problems)


def test_the_unmarked_string_check_finds_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        'def f():\n    """Doc string."""\n    print("Please see a doctor")\n    print(_("Marked text"))\n'
    )
    assert _unmarked(bad, set()) == ["bad.py:3: 'Please see a doctor'"]


def test_spanish_headings_through_the_tool(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from stm_screen.cli.app import app
    from stm_screen.rules.loader import load_ruleset

    answers = {**load_ruleset().examples[0].answers, "calf_swelling": "unsure"}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    out = CliRunner().invoke(app, ["score", str(path), "--lang", "es", "--country", "ES"])
    assert out.exit_code == 0, out.output
    text = out.stdout
    assert "SEÑALES DE ALARMA QUE NO SE PUDIERON REVISAR" in text
    assert "no lo sé" in text and "[VEA A UN MÉDICO]" in text
    for english in ("WARNING SIGNS", "How soon", "not sure", "Next steps", "Sources", "Rules:"):
        assert english not in text, english


def test_html_reports_name_their_language(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from stm_screen.cli.app import app
    from stm_screen.rules.loader import load_ruleset

    path = tmp_path / "a.json"
    path.write_text(json.dumps(dict(load_ruleset().examples[0].answers)), encoding="utf-8")
    spanish = CliRunner().invoke(app, ["score", str(path), "--format", "html", "--lang", "es"])
    assert "<html lang='es'>" in spanish.stdout and "Por ahora puede cuidarse en casa" in spanish.stdout
    english = CliRunner().invoke(app, ["score", str(path), "--format", "html"])
    assert "<html lang='en'>" in english.stdout


def test_fhir_questionnaire_carries_every_language() -> None:
    import json

    from fhir.resources.questionnaire import Questionnaire
    from typer.testing import CliRunner

    from stm_screen.cli.app import app

    out = CliRunner().invoke(app, ["form", "export", "--format", "fhir", "--lang", "es"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    Questionnaire.model_validate(data)  # the translation extensions are valid FHIR R4
    assert data["language"] == "es" and data["title"].startswith("¿Debo ver")

    def walk(items: list[dict]) -> list[dict]:  # type: ignore[type-arg]
        return [x for i in items for x in [i, *walk(i.get("item", []))]]

    items = walk(data["item"])
    assert items
    for item in items:
        langs = [e["extension"][0]["valueCode"] for e in item["_text"]["extension"]]
        assert langs == ["en"], item["linkId"]
    pain = next(i for i in items if i["linkId"] == "pain_areas")
    option = pain["answerOption"][0]["valueCoding"]
    assert option["display"] == "Parte baja de la espalda"
    assert option["_display"]["extension"][0]["extension"][1]["valueString"] == "Lower back"
    night = next(i for i in items if i["linkId"] == "night_pain")
    displays = [o["valueCoding"]["display"] for o in night["answerOption"]]
    assert displays == ["Sí", "No", "No lo sé"]
    english = [
        o["valueCoding"]["_display"]["extension"][0]["extension"][1]["valueString"]
        for o in night["answerOption"]
        if "_display" in o["valueCoding"]
    ]
    assert english == ["Yes", "Not sure"]  # 'No' is the same word in both
    redcap = CliRunner().invoke(app, ["form", "export", "--format", "redcap", "--lang", "es"])
    assert "unsure, No lo sé" in redcap.stdout and "¿Tiene un dolor constante por la noche" in redcap.stdout


def test_the_build_hook_compiles_a_catalogue_gettext_reads(tmp_path: Path) -> None:
    """What the wheel and the editable install get (hatch_build.py), checked without building a wheel."""
    import gettext
    import shutil

    from tests.conftest import ROOT

    sys_path = str(ROOT)
    import sys

    sys.path.insert(0, sys_path)
    try:
        import hatch_build
    finally:
        sys.path.remove(sys_path)
    po = tmp_path / "es" / "LC_MESSAGES" / "stm_screen.po"
    po.parent.mkdir(parents=True)
    shutil.copy(catalogue_path("es"), po)
    (mo,) = hatch_build.compile_catalogues(tmp_path)
    with mo.open("rb") as handle:
        translation = gettext.GNUTranslations(handle)
    assert translation.gettext("What to do now") == "Qué hacer ahora"
    assert translation.ngettext(
        "If your answers added {n} more point, the result would be '{result}'.", "x", 2
    ).startswith("Si sus respuestas sumaran {n} puntos")


def test_batch_output_does_not_change_with_the_language(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from stm_screen.cli.app import app

    data = tmp_path / "in.csv"
    data.write_text("id,night_pain,pain_trend\n1,quizás,same\n2,sí,better\n", encoding="utf-8")
    runs = []
    for lang in ("en", "es"):
        i18n.activate(lang)  # as `stm-screen` does at start from LANG=es_MX.UTF-8
        out = CliRunner().invoke(
            app, ["batch", str(data), "--allow-missing"], env={"LANG": f"{lang}_MX.UTF-8"}
        )
        runs.append(out.stdout)
    assert runs[0] == runs[1]
    assert "is not yes, no or not sure" in runs[0]  # the error column stays English
    assert runs[0].splitlines()[0].startswith("row,id,status,level")


def test_history_show_in_spanish_explains_a_saved_screening_again(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from stm_screen.cli.app import app
    from stm_screen.rules.loader import load_ruleset

    runner = CliRunner()
    path = tmp_path / "a.json"
    path.write_text(
        json.dumps({**load_ruleset().examples[0].answers, "calf_swelling": True}), encoding="utf-8"
    )
    saved = runner.invoke(app, ["score", str(path), "--save", "--country", "ES"])
    assert saved.exit_code == 0, saved.output
    record_id = saved.stderr.strip().split()[-1].rstrip(".")
    english = runner.invoke(app, ["history", "show", record_id])
    assert "Please see a doctor before physical therapy" in english.stdout
    i18n.activate(None)
    spanish = runner.invoke(app, ["history", "show", record_id, "--lang", "es"])
    assert spanish.exit_code == 0, spanish.output
    assert spanish.stdout.startswith(f"Evaluación {record_id}, guardada el ")
    assert "Por favor, vea a un médico antes de la fisioterapia" in spanish.stdout
    assert "llame ahora al 112" in spanish.stdout  # the country it was scored for
    assert "Please" not in spanish.stdout
