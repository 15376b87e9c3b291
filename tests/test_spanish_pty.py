"""The questionnaire in Spanish, end to end: the installed ``stm-screen`` in a real pseudo-terminal with
LANG=es_MX.UTF-8, answered in Spanish words, from the welcome screen through an error, the result and the
report, without an English word on the way (issue 13)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

SCRIPT = Path(sys.executable).parent / "stm-screen"

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="the stm-screen console script is not installed")

# Words of the tool's English text; none may reach a Spanish speaker (citations of English papers aside).
ENGLISH = re.compile(
    r"\b(Yes|Not sure|Type a|Your answer|Help|Back to|Please|question|answer|WARNING|How soon|Next steps|"
    r"Sources|Rules|Score|Reasons|doctor|physical|therapist|screening|allowed|Sorry|URGENT|result)\b"
)
PROMPT = re.compile(
    r"Escriba un número del 1 al \d+[^:]*: |Escriba 1 o 2[^:]*: |Escriba los números[^:]*: |Su respuesta[^:]*: "
)


def spawn(args: list[str], home: Path) -> pexpect.spawn[Any]:
    environ = {
        k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES") and not k.startswith("XDG_")
    }
    environ.update(
        {"STM_SCREEN_HOME": str(home), "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1",
         "LANG": "es_MX.UTF-8", "LC_MESSAGES": "", "LC_ALL": "", "HOME": str(home)}
    )  # fmt: skip
    return pexpect.spawn(str(SCRIPT), args, env=environ, encoding="utf-8", timeout=20, dimensions=(40, 100))


def reply(asked: str) -> str:
    """What a Spanish speaker types for the question on screen (no warning sign, some reasons for PT)."""
    if "¿Qué edad tiene?" in asked:
        return "cuarenta"
    if "¿Desde hace cuánto tiene este dolor" in asked:
        return "un año y medio"
    if "¿Dónde tiene el dolor?" in asked:
        return "1"
    if "¿cómo ha cambiado el dolor?" in asked:
        return "2"
    if "¿cuánto le ha dolido?" in asked:
        return "5"
    if "¿Cuánto le impide el dolor" in asked:
        return "6"
    if "músculos tensos o nudos" in asked:
        return "s"
    if "¿Está embarazada" in asked:
        return "No"
    return "no"  # every safety question: typed as a word, not a number


def test_a_spanish_speaker_goes_from_the_welcome_to_the_report(tmp_path: Path) -> None:
    """No --report: at the end the questionnaire offers a copy (in Spanish, with a Spanish file name), and the
    web page is chosen."""
    home = tmp_path / "home"
    home.mkdir()
    child = spawn(["screen", "--plain", "--country", "MX"], home)
    seen: list[str] = []
    child.expect("¿Debo ver a un fisioterapeuta por mi dolor?")
    child.expect("no un diagnóstico")
    child.expect(PROMPT)
    current = child.before + child.after
    seen.append(current)
    child.sendline("mucho")  # an error, in Spanish
    child.expect(r"'mucho' no es un número; se acepta: un número entero de 0 a 120 años")
    seen.append(child.before + child.after)
    for _ in range(60):
        index = child.expect([PROMPT, "Elija una respuesta para cambiarla"])
        text = child.before + (child.after if isinstance(child.after, str) else "")
        seen.append(text)
        if re.search(r"\(\d+/\d+\)", text):
            current = text  # a new question; without its number, the same one asked again after an error
        if index == 1:
            child.expect(PROMPT)
            seen.append(child.before + child.after)
            child.sendline("")  # Enter: see the result
            break
        child.sendline(reply(current))
    else:
        pytest.fail("the review never came:\n" + "".join(seen)[-1500:])
    child.expect("RESUMEN")  # the summary comes last, under the details
    seen.append(child.before + child.after)
    child.expect(r"¿Quiere una copia de este resultado, para guardarla o mostrarla a un médico\?")
    seen.append(child.before + child.after)
    child.expect(PROMPT)
    seen.append(child.before + child.after)
    child.sendline("2")  # the web page
    child.expect("Su resultado está guardado en")
    seen.append(child.before + child.after)
    child.expect(pexpect.EOF)
    seen.append(child.before)
    child.close()
    assert child.exitstatus == 0
    screen = "".join(seen)
    assert "Se recomienda ver a un fisioterapeuta" in screen
    assert "Revisión de seguridad" in screen and "(preguntas de seguridad)" not in screen and "No lo sé" in screen
    assert "Motivos encontrados en sus respuestas" in screen
    assert "un año y medio" not in screen or "18 meses" in screen
    screen = screen.replace("\r\n", "\n")
    if os.environ.get("STM_SHOW_SPANISH_RUN"):
        Path(os.environ["STM_SHOW_SPANISH_RUN"]).write_text(screen, encoding="utf-8")
    without_sources = re.sub(r"\nFuentes\n(?:[•\- ].*\n?)*", "\n", screen)  # citations of English papers
    found = [
        without_sources[max(0, m.start() - 200) : m.end() + 40] for m in ENGLISH.finditer(without_sources)
    ]
    assert not found, found
    assert "Es una ayuda para orientarse, no un diagnóstico. Los detalles de este resultado están arriba." in screen
    assert "Guardarla como PDF:" in screen and "Guardarla como página web:" in screen  # la copia
    # after the offer, the headline and the first step again (a small screen has scrolled the summary off)
    recap = screen[screen.index("Su resultado, otra vez:") :]
    assert "Se recomienda ver a un fisioterapeuta" in recap and "próximas dos semanas" in recap
    (report,) = home.glob("evaluacion-dolor-*.html")
    html = report.read_text(encoding="utf-8")
    assert "<html lang='es'>" in html and "Informe de la evaluación del dolor" in html
    assert "Se recomienda ver a un fisioterapeuta" in html and re.search(r"\d+ de [a-z]+ de \d{4}", html)


def test_with_no_language_chosen_the_welcome_screen_offers_the_rulesets_languages(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    environ.update(
        {"STM_SCREEN_HOME": str(tmp_path), "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1",
         "LANG": "C.UTF-8", "LC_MESSAGES": "", "LC_ALL": ""}
    )  # fmt: skip
    child = pexpect.spawn(str(SCRIPT), ["screen", "--plain"], env=environ, encoding="utf-8", timeout=20)
    child.expect("Language / Idioma")
    child.expect("1\\) English \\(en\\)")
    child.expect("2\\) Español \\(es\\)")
    child.expect(PROMPT_ANY)
    child.sendline("2")
    child.expect("¿Qué edad tiene\\?")
    child.expect("Su respuesta: ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 or child.signalstatus is not None


def test_a_language_from_the_locale_is_not_asked_again(tmp_path: Path) -> None:
    child = spawn(["screen", "--plain"], tmp_path)
    child.expect("¿Qué edad tiene\\?")
    assert "Idioma" not in child.before
    child.sendintr()
    child.expect(pexpect.EOF)


PROMPT_ANY = re.compile(r"Type a number from 1 to \d+[^:]*: |Type 1 or 2[^:]*: ")


def test_a_usage_error_is_said_in_spanish(tmp_path: Path) -> None:
    """A typo on the command line, in the installed tool: usage, hint and error all in Spanish."""
    child = spawn(["batch", "exportacion.csv", "--bogus"], tmp_path)
    child.expect(pexpect.EOF)
    child.close()
    text = child.before.replace("\r\n", "\n")
    assert child.exitstatus == 2, text
    assert text.startswith("Uso: stm-screen batch [OPCIONES] ENTRADA...\n"), text
    assert "Escriba 'stm-screen batch -h' para ver la ayuda." in text
    assert "Error: No existe la opción: --bogus" in text
    english = re.findall(r"\b(Usage|OPTIONS|Try|for help|No such option|Possible options)\b", text)
    assert not english, text


def test_help_is_said_in_spanish(tmp_path: Path) -> None:
    child = spawn(["score", "--help"], tmp_path)
    child.expect(pexpect.EOF)
    child.close()
    text = child.before.replace("\r\n", "\n")
    assert child.exitstatus == 0, text
    assert text.startswith("Uso: stm-screen score [OPCIONES] RESPUESTAS\n"), text
    assert "Argumentos:" in text and "[obligatorio]" in text and "[predeterminado: text]" in text
    assert "Mostrar este mensaje y salir." in text and "Ejemplos:" in text
    english = re.findall(r"\b(Usage|Options|Arguments|Show this message|required|default|Examples)\b", text)
    assert not english, text
