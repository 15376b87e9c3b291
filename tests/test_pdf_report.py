"""PDF reports (fpdf2): text that can be selected and read back, page one holding what a clinician needs,
kinds of result told apart in words and frame (not colour alone), Spanish characters, pages drawn."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from io import BytesIO
from typing import Any

import pytest

from stm_screen.io.contacts import contacts_for
from stm_screen.render.pdf import latin1
from stm_screen.render.report import ReportInfo, answer_lines, render_report, render_report_bytes
from stm_screen.screening import score_data
from tests._keys import GATED_NO

CET = timezone(timedelta(hours=1), "CET")
WHEN = datetime(2026, 12, 6, 14, 5, tzinfo=CET)


def pages_text(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(BytesIO(data)).pages]


def answers(ruleset: Any, **changes: Any) -> dict[str, Any]:
    return {
        **ruleset.examples[0].answers,
        **GATED_NO,
        "pain_duration_months": 8,
        "fear_of_movement": True,
        "activity_limitation": 6,
        **changes,
    }


def pdf_for(ruleset: Any, data: dict[str, Any], patient: str | None = "MRN-0042") -> tuple[Any, list[str]]:
    result = score_data(ruleset, data, contacts=contacts_for("US")[0])
    pdf = render_report_bytes(result, "pdf", ReportInfo(WHEN, patient, answer_lines(ruleset, result)))
    assert pdf.startswith(b"%PDF")
    return result, pages_text(pdf)


def test_page_one_holds_what_a_clinician_needs(ruleset: Any) -> None:
    result, pages = pdf_for(ruleset, answers(ruleset, calf_swelling=True, night_pain="unsure"))
    first = pages[0]
    for needed in (
        "SEE A DOCTOR first",
        result.title,
        "What to do now",
        "A painful or swollen calf",
        "How soon: today",
        "Constant night pain that rest does not ease",  # not checked
        "Safety answers",
        "Is one of your calves newly painful, swollen, red or warm? YES",
        "not sure",
        "MRN-0042",
        "2026-12-06 14:05 CET (UTC+01:00)",
    ):
        assert needed in first, needed
    assert result.ruleset["sha256"][:12] in first and result.ruleset["sha256"] not in first  # short hash
    rest = " ".join(pages[1:])
    assert "Other answers" in rest and "6/10" in rest  # a 0-10 answer as 6/10
    assert "Sign-off" in rest and "Reviewed by" in rest
    assert result.disclaimer in rest


def test_no_warning_sign_says_so_and_lists_the_safety_answers(ruleset: Any) -> None:
    result, pages = pdf_for(ruleset, answers(ruleset), patient=None)
    first = pages[0]
    assert "PHYSICAL THERAPY" in first and result.title in first
    assert "No warning signs reported" in first
    assert "Safety answers" in first and "What to do next" in first
    assert "Patient reference" not in first


def test_kinds_of_result_differ_in_words_not_colour_alone(ruleset: Any) -> None:
    _, emergency = pdf_for(ruleset, answers(ruleset, bladder_bowel_change=True))
    _, doctor = pdf_for(ruleset, answers(ruleset, calf_swelling=True))
    _, pt = pdf_for(ruleset, answers(ruleset))
    assert "EMERGENCY: act now" in emergency[0]
    assert "SEE A DOCTOR first" in doctor[0] and "EMERGENCY" not in doctor[0]
    assert "PHYSICAL THERAPY" in pt[0] and "SEE A DOCTOR" not in pt[0]


def test_same_content_as_the_html(ruleset: Any) -> None:
    import re

    result = score_data(ruleset, answers(ruleset, self_harm_thoughts=True, self_harm_danger=False))
    info = ReportInfo(WHEN, "A-1", answer_lines(ruleset, result))
    html_text = " ".join(re.sub(r"<[^>]+>", " ", render_report(result, "html", info)).split())
    pdf_text = " ".join(pages_text(render_report_bytes(result, "pdf", info)))
    for piece in (result.title, "What to do now", "How soon: today", "Safety answers", "Sign-off", "A-1"):
        assert piece in html_text and piece in pdf_text, piece
    for f in result.red_flags:
        assert latin1(f.title) in pdf_text and f.title in html_text


def test_spanish_characters_render_and_read_back() -> None:
    from stm_screen.render.pdf import _Doc

    doc = _Doc("Informe", "pie")
    doc.text("¿Tiene dolor? Sí: hace 2 años, niño, según el médico. ¡Llame al 112! “Ok” – • ‼")
    text = pages_text(bytes(doc.pdf.output()))[0]
    assert "¿Tiene dolor? Sí: hace 2 años, niño, según el médico. ¡Llame al 112!" in text
    assert '"Ok" - - !!' in text  # what Helvetica cannot draw becomes its nearest ASCII


def test_a_spanish_report_is_spanish_throughout(ruleset: Any) -> None:
    """A Spanish speaker's PDF: the tool's words and the ruleset's in Spanish, accents, ñ, ¿ and ¡ read back
    as they are, the date in Spanish with its time zone, and the document's language is Spanish."""
    from pypdf import PdfReader

    from stm_screen import i18n
    from stm_screen.core.localised import localise

    spanish = localise(ruleset, "es")
    i18n.activate("es")
    data = answers(spanish, calf_swelling=True, night_pain="unsure")
    result = score_data(spanish, data, contacts=contacts_for("MX", lang="es")[0])
    pdf = render_report_bytes(result, "pdf", ReportInfo(WHEN, "MRN-0042", answer_lines(spanish, result)))
    pages = pages_text(pdf)
    first, text = pages[0], " ".join(pages)
    for needed in (
        "Informe de la evaluación del dolor",
        "VEA A UN MÉDICO primero",
        "Qué hacer ahora",
        "Cuándo: hoy",
        "Señales de alarma",
        "Respuestas de seguridad",
        "¿Tiene",
        "SÍ",
        "no lo sé",
        "Referencia del paciente MRN-0042",
        "6 de diciembre de 2026, 14:05 CET (UTC+01:00)",
        "página 1 de",
    ):
        assert needed in first, needed
    assert "Firma de revisión" in text and "Revisado por" in text and "Otras respuestas" in text
    assert "ñ" in text or "Ñ" in text
    english = re.compile(r"\b(What to do|Warning signs|Safety answers|Question|Answer|page \d|Sign-off|YES|not sure)\b")
    assert not english.findall(text)
    assert PdfReader(BytesIO(pdf)).trailer["/Root"]["/Lang"] == "es"


def test_pdf_pages_draw(ruleset: Any) -> None:
    """Each page renders to a picture (pypdfium2), with ink on it; docs/render_reports.py saves them."""
    pdfium = pytest.importorskip("pypdfium2")
    result = score_data(ruleset, answers(ruleset, bladder_bowel_change=True))
    data = render_report_bytes(result, "pdf", ReportInfo(WHEN, "A-1", answer_lines(ruleset, result)))
    doc = pdfium.PdfDocument(data)
    try:
        assert len(doc) >= 2
        image = doc[0].render(scale=0.5).to_pil().convert("L")
        dark = sum(image.histogram()[:128])
        assert dark > 1000  # text and the frame are drawn
    finally:
        doc.close()
