"""The PDF report: the same content as the HTML report, laid out with fpdf2 (pure Python, no browser).

Page one holds what a clinician needs: the kind of result in words and in the frame's style (emergency: a
thick double frame; see a doctor: a dashed frame; physical therapy and self-care: a thin frame), the
headline, what to do and how soon, the warning signs (or that none were reported), the safety answers,
the patient reference and the date and time with its time zone. The reasons, the other answers, the
disclaimer and a sign-off area follow on the next pages.

Text is real text (selectable, searchable, read back by the tests) in the PDF's standard Helvetica, whose
Latin-1 character set covers English and Spanish (á é í ó ú ü ñ ¿ ¡); a character outside it becomes its
nearest ASCII form. fpdf2 is imported only when a PDF is written.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from stm_screen.core.explain import Result
from stm_screen.i18n import _, current
from stm_screen.render.report import (
    AnswerLine,
    ReportInfo,
    _header,
    _page_one,
    detail_blocks,
    kind_of,
    kind_words,
    shown_answer,
    sign_off,
)
from stm_screen.render.view import Item, score_words, view

if TYPE_CHECKING:
    from fpdf import FPDF

# What Helvetica (Latin-1) cannot show, and what is shown instead.
_REPLACE = {
    "‼": "!!",
    "▲": "!",
    "●": "*",
    "◐": "*",
    "○": "o",
    "•": "-",
    "…": "...",
    "–": "-",
    "—": "-",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "←": "<-",
    "→": "->",
    "≥": ">=",
    "≤": "<=",
    "\u00a0": " ",
}


# Frame and banner of each kind of result: never colour alone (words, frame style and width differ).
class _Look(NamedTuple):
    rgb: tuple[int, int, int]
    width: float  # of the frame, in mm
    dash: float | None  # dashed frame: the dash length
    double: bool  # a second frame inside the first


_KIND = {
    "emergency": _Look((176, 0, 32), 1.6, None, True),
    "see_doctor": _Look((138, 109, 0), 1.0, 2.0, False),
    "pt": _Look((31, 79, 163), 0.4, None, False),
    "self_care": _Look((46, 125, 50), 0.4, None, False),
}
INK = (27, 27, 27)
MUTED = (85, 85, 85)


def latin1(text: str) -> str:
    """Text Helvetica can draw: known symbols replaced, accents kept, anything else as near as ASCII."""
    out = []
    for ch in text:
        ch = _REPLACE.get(ch, ch)
        try:
            ch.encode("latin-1")
        except UnicodeEncodeError:
            ch = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii") or "?"
        out.append(ch)
    return "".join(out)


class _Doc:
    """A thin layer over FPDF: paragraphs, headings, bullets and tables in one style."""

    def __init__(self, title: str, footer: str) -> None:
        from fpdf import FPDF

        footer_text = latin1(footer)
        page_of = _("page {page} of {pages}")

        class Paper(FPDF):
            def footer(self) -> None:
                self.set_y(-12)
                self.set_font("Helvetica", "", 8)
                self.set_text_color(*MUTED)
                page = latin1(page_of.format(page=self.page_no(), pages="{nb}"))
                self.cell(0, 5, f"{footer_text}  -  {page}", align="C")

        pdf = Paper(format="A4", unit="mm")
        pdf.set_margins(16, 14, 16)
        pdf.set_auto_page_break(True, margin=16)
        pdf.set_title(latin1(title))
        pdf.set_creator("stm-screen")
        pdf.set_lang(current())  # the language of the text: screen readers and text extraction use it
        pdf.alias_nb_pages()
        pdf.add_page()
        self.pdf: FPDF = pdf
        self.width = pdf.w - pdf.l_margin - pdf.r_margin
        # lines said in bold under a warning sign: how soon (in the language shown)
        self.urgent = _("How soon: {when}").partition("{when}")[0]

    def text(
        self, text: str, size: float = 10, style: str = "", colour: tuple[int, int, int] = INK, h: float = 5
    ) -> None:
        pdf = self.pdf
        pdf.set_font("Helvetica", style, size)
        pdf.set_text_color(*colour)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(self.width, h, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 40:  # a heading never sits alone at the foot of a page
            pdf.add_page()
        pdf.ln(3)
        self.text(text, 12.5, "B", h=6.5)
        y = pdf.get_y()
        pdf.set_draw_color(200, 200, 200)
        pdf.set_line_width(0.2)
        pdf.line(pdf.l_margin, y, pdf.l_margin + self.width, y)
        pdf.ln(1.5)

    def items(self, items: Sequence[Item], size: float = 10) -> None:
        pdf = self.pdf
        for item in items:
            flag = item.style == "flag"
            tag = f"{item.tag}: " if item.tag else ""
            pdf.set_x(pdf.l_margin)
            pdf.set_font("Helvetica", "B" if (item.detail or item.lines or item.tag) else "", size)
            pdf.set_text_color(*INK)
            bullet = "!" if flag else "-"
            pdf.cell(5, 5.2, bullet)
            pdf.multi_cell(self.width - 5, 5.2, latin1(f"{tag}{item.text}"), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", size)
            for line in [item.detail, *item.lines]:
                if line:
                    pdf.set_x(pdf.l_margin + 5)
                    bold = line.startswith(self.urgent)
                    pdf.set_font("Helvetica", "B" if bold else "", size - (0 if bold else 0.5))
                    pdf.multi_cell(self.width - 5, 4.8, latin1(line), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)

    def answers(self, answers: Sequence[AnswerLine], size: float = 8.5) -> None:
        pdf = self.pdf
        pdf.set_font("Helvetica", "", size)
        pdf.set_text_color(*INK)
        pdf.set_fill_color(255, 255, 255)
        pdf.set_draw_color(200, 200, 200)
        pdf.set_line_width(0.2)
        with pdf.table(
            col_widths=(0.8, 0.2),
            text_align=("LEFT", "LEFT"),
            line_height=size * 0.4,
            padding=(0.35, 0.8),
            headings_style=_bold(),
            cell_fill_mode="NONE",
            borders_layout="HORIZONTAL_LINES",
            first_row_as_headings=True,
            width=self.width,
        ) as table:
            row = table.row()
            row.cell(latin1(_("Question")))
            row.cell(latin1(_("Answer")))
            for a in answers:
                row = table.row()
                row.cell(latin1(a.text))
                # a safety 'yes' stands out in capitals, not only in weight
                row.cell(latin1(shown_answer(a)), style=_bold())


def _bold() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD")


def _result_box(doc: _Doc, result: Result) -> None:
    """The headline in a frame whose style says the kind of result, with the kind in words above it."""
    pdf = doc.pdf
    v = view(result)
    kind = kind_of(result)
    look = _KIND[kind]
    x, y0 = pdf.l_margin, pdf.get_y() + 2
    pad = 4.0
    pdf.set_y(y0 + pad)
    # banner: the kind in words, white on the kind's colour
    pdf.set_x(x + pad)
    pdf.set_font("Helvetica", "B", 11)
    pdf.set_fill_color(*look.rgb)
    pdf.set_text_color(255, 255, 255)
    banner = latin1(kind_words(result))
    pdf.cell(pdf.get_string_width(banner) + 6, 7, banner, fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)
    pdf.set_x(x + pad)
    pdf.set_text_color(*INK)
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(
        doc.width - 2 * pad, 7.5, latin1(f"{v.symbol} {v.title}".strip()), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(1)
    pdf.set_x(x + pad)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(doc.width - 2 * pad, 5, latin1(v.advice), new_x="LMARGIN", new_y="NEXT")
    y1 = pdf.get_y() + pad
    # the frame, drawn after the text so that its height is known
    pdf.set_draw_color(*look.rgb)
    pdf.set_line_width(look.width)
    if look.dash:
        pdf.set_dash_pattern(dash=look.dash, gap=1.2)
    pdf.rect(x, y0, doc.width, y1 - y0)
    if look.double:
        pdf.rect(x + 1.6, y0 + 1.6, doc.width - 3.2, y1 - y0 - 3.2)
    pdf.set_dash_pattern()
    pdf.set_y(y1 + 2)


def to_pdf(result: Result, info: ReportInfo) -> bytes:
    v = view(result)
    todo, warn_text, signs, safety = _page_one(result, info)
    title = _("Pain screening report")
    footer = (
        _("Pain screening report, patient {patient}, {when}").format(patient=info.patient, when=info.date)
        if info.patient
        else _("Pain screening report, {when}").format(when=info.date)
    )
    doc = _Doc(f"{title} - {info.date}", footer)
    pdf = doc.pdf
    doc.text(title, 18, "B", h=9)
    header = _header(result, info)
    pdf.set_font("Helvetica", "B", 9.5)
    # the labels' column fits the longest label in the language shown ('Referencia del paciente')
    label_width = max(38.0, *(pdf.get_string_width(latin1(key)) + 4 for key, _value in header))
    for key, value in header:
        pdf.set_font("Helvetica", "B", 9.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(label_width, 5, latin1(key))
        pdf.set_font("Helvetica", "", 9.5)
        pdf.multi_cell(doc.width - label_width, 5, latin1(value), new_x="LMARGIN", new_y="NEXT")
    _result_box(doc, result)
    doc.heading(_("What to do now") if result.warning else _("What to do next"))
    doc.items(todo)
    doc.heading(_("Warning signs"))
    doc.text(warn_text, 10)
    pdf.ln(1)
    doc.items(signs)
    if safety:
        doc.heading(_("Safety answers"))
        doc.answers(safety, 7)
    # the details start on a page of their own
    pdf.add_page()
    doc.text(_("Details"), 14, "B", h=8)
    for block in detail_blocks(result):
        if block.heading:
            doc.heading(block.heading)
        if block.text:
            doc.text(block.text)
        if block.id == "score" and result.score is not None:
            doc.text(score_words(result), 10, "B")
        doc.items(block.items, 9.5)
    others = [a for a in info.answers if not a.safety]
    if others:
        doc.heading(_("Other answers") if safety else _("Answers"))
        doc.answers(others)
    pdf.ln(4)
    doc.text(v.disclaimer, 9.5, "I", MUTED)
    doc.heading(_("Sign-off"))
    pdf.set_font("Helvetica", "", 10)
    for label in sign_off():
        if pdf.get_y() > pdf.h - 30:
            pdf.add_page()
        pdf.cell(35, 11, latin1(label), new_x="RIGHT", new_y="TOP")
        y = pdf.get_y() + 8
        pdf.set_draw_color(*MUTED)
        pdf.set_line_width(0.3)
        pdf.line(pdf.get_x(), y, pdf.l_margin + doc.width, y)
        pdf.ln(11)
    return bytes(pdf.output())
