"""Render the reports as pictures, to look at them: HTML in headless Chromium, PDF pages with pypdfium2.

    python docs/render_reports.py [OUT_DIR]      # default: ./report-pictures

For each sample (a physical-therapy result, a see-a-doctor result with a sign not checked, an emergency
with Spain's crisis line, signs not checked), in English and in Spanish (``es-*`` files, Mexico's numbers),
it writes the report as .html and .pdf, a screenshot of the
HTML page, the HTML page printed by Chromium, and one PNG per page of both PDFs. Needs the test extras (pypdfium2) and Chromium for the HTML
screenshots (``apt-get install chromium``); without Chromium only the PDF pages are drawn.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def samples() -> dict[str, tuple[dict[str, Any], str | None]]:
    import yaml

    def read(name: str) -> dict[str, Any]:
        data = yaml.safe_load((ROOT / "docs" / "examples" / f"{name}.yaml").read_text(encoding="utf-8"))
        assert isinstance(data, dict)
        return data

    calm = read("answers")
    return {
        "pt": (calm, "MRN-0042"),
        "see-doctor": (read("warning"), "MRN-0107"),
        "emergency": (
            {**calm, "bladder_bowel_change": True, "self_harm_thoughts": True, "self_harm_danger": False},
            "A-17",
        ),  # fmt: skip
        "not-checked": (read("unsure"), None),
    }


def chromium() -> str | None:
    return next((p for p in ("chromium", "chromium-browser") if shutil.which(p)), None)


def screenshot(html: Path, png: Path, browser: str) -> None:
    profile = png.parent / ".chromium-profile"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}", "--hide-scrollbars"]
    subprocess.run(
        [browser, *flags, "--window-size=900,1400", f"--screenshot={png}", html.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )


def print_to_pdf(html: Path, pdf: Path, browser: str) -> Path:
    """The HTML page as the browser prints it (A4/Letter, print styles)."""
    profile = pdf.parent / ".chromium-profile"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}"]
    subprocess.run(
        [browser, *flags, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return pdf


def pdf_pages(pdf: Path, stem: Path, scale: float = 1.4) -> list[Path]:
    import pypdfium2 as pdfium

    out = []
    doc = pdfium.PdfDocument(str(pdf))
    for i in range(len(doc)):
        image = doc[i].render(scale=scale).to_pil()
        path = stem.with_name(f"{stem.name}-page{i + 1}.png")
        image.save(path)
        out.append(path)
    doc.close()
    return out


def main() -> int:
    from stm_screen import i18n
    from stm_screen.core.localised import localise
    from stm_screen.io.contacts import contacts_for
    from stm_screen.render.report import ReportInfo, answer_lines, render_report_bytes
    from stm_screen.rules.loader import load_ruleset
    from stm_screen.screening import score_data

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "report-pictures")
    out.mkdir(parents=True, exist_ok=True)
    browser = chromium()
    for lang, country, prefix in (("en", "ES", ""), ("es", "MX", "es-")):
        i18n.activate(lang)
        ruleset = localise(load_ruleset(), lang)
        contacts = contacts_for(country, lang=lang)[0]
        when = datetime(2026, 12, 6, 14, 5, tzinfo=timezone(timedelta(hours=1), "CET"))
        for sample, (answers, patient) in samples().items():
            name = f"{prefix}{sample}"
            result = score_data(ruleset, answers, contacts=contacts)
            info = ReportInfo(when, patient, answer_lines(ruleset, result))
            for fmt in ("html", "pdf"):
                (out / f"{name}.{fmt}").write_bytes(render_report_bytes(result, fmt, info))
            pages = pdf_pages(out / f"{name}.pdf", out / name)
            print(f"{name}: {len(pages)} PDF page(s) -> {', '.join(p.name for p in pages)}")
            if browser:
                screenshot(out / f"{name}.html", out / f"{name}-html.png", browser)
                printed = print_to_pdf(out / f"{name}.html", out / f"{name}-html-printed.pdf", browser)
                shown = pdf_pages(printed, out / f"{name}-html-printed") if printed.exists() else []
                print(f"{name}: HTML screenshot -> {name}-html.png; printed: {len(shown)} page(s)")
    if not browser:
        print("Chromium not found: HTML screenshots skipped (apt-get install chromium)")
    shutil.rmtree(out / ".chromium-profile", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
