"""Reports by suffix: HTML (structure always; rendered in headless Chromium when installed), md, txt, json."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app
from stm_screen.errors import UsageError
from stm_screen.io.contacts import contacts_for
from stm_screen.render.formats import RENDERERS
from stm_screen.render.report import ReportInfo, answer_lines, render_report, report_format
from stm_screen.rules.loader import load_ruleset
from stm_screen.screening import score_data

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), None)
# the 'nothing met gives self-care' example: a complete 2.0 answer set, every safety question "no"
CALM: dict[str, Any] = dict(load_ruleset().examples[0].answers)
PT_ANSWERS = {
    **CALM,
    "pain_duration_months": 24,
    "morning_stiffness": False,  # asked: back pain for 3 months or more that began before 45
    "fear_of_movement": True,
}
ANSWERS = {**PT_ANSWERS, "self_harm_thoughts": True, "self_harm_danger": False}  # a warning sign
US = contacts_for("US")[0]
WHEN = datetime(2026, 11, 26, 20, 15)


class Outline(HTMLParser):
    """Tags, ids, text and every attribute that could load something from outside."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.text: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in ("src", "href") and value:
                self.external.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture
def report(ruleset: Any) -> tuple[Any, str]:
    result = score_data(ruleset, ANSWERS, contacts=US)
    info = ReportInfo(WHEN, "A1<b>", answer_lines(ruleset, result))
    return result, render_report(result, "html", info)


def test_html_report_structure(report: tuple[Any, str], ruleset: Any) -> None:
    result, page = report
    outline = Outline()
    outline.feed(page)
    text = " ".join(" ".join(outline.text).split())
    assert page.startswith("<!DOCTYPE html>")
    assert "script" not in outline.tags and outline.external == []  # self-contained
    assert "@media print" in page
    for section in ("result", "what-to-do", "warning-signs", "safety-answers", "next-steps", "answers", "sign-off"):
        assert section in outline.ids
    # under a warning sign the score, the PT reasons and "what would change" are left out
    for section in ("score", "why", "change"):
        assert section not in outline.ids
    # page one first (what to do, the signs, the safety answers), then the details, the sign-off last
    assert outline.ids.index("what-to-do") < outline.ids.index("safety-answers") < outline.ids.index("next-steps")
    assert outline.ids[-1] == "sign-off"
    assert "2026-11-26 20:15" in text
    assert f"{ruleset.id} {ruleset.version}" in text and ruleset.sha256[:12] in text
    assert ruleset.sha256 not in text  # a short hash only
    assert "A1&lt;b&gt;" in page and "A1<b>" not in page  # everything escaped
    assert "Urgent: please act on the advice below" in text
    assert text.count("Thoughts of being better off dead, or of hurting yourself") >= 2  # what to do, and the sign
    assert "988" in text and "How soon: today" in text
    assert "How long have you had this pain, in months? 24 months" in text
    assert "reasons on the article's list" not in text
    assert "You avoid movement because you fear pain or harm" not in text  # a PT reason
    assert result.disclaimer in text


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Chromium not installed on this developer machine (CI installs it and always runs this test)",
)
def test_html_report_renders_and_prints_in_headless_chromium(report: tuple[Any, str], tmp_path: Path) -> None:
    assert CHROMIUM is not None, "CI must install Chromium (see .ci/run)"
    _, page = report
    html_file = tmp_path / "report.html"
    html_file.write_text(page, encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", html_file.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    outline = Outline()
    outline.feed(dom)
    assert "result" in outline.ids and "answers" in outline.ids  # the browser parsed the whole page
    assert "Urgent: please act on the advice below" in " ".join(outline.text)
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [CHROMIUM, *flags, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html_file.as_uri()],
        capture_output=True,
        timeout=120,
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 1


def test_html_report_without_a_warning_sign_shows_the_pt_result(ruleset: Any) -> None:
    result = score_data(ruleset, PT_ANSWERS)
    page = render_report(result, "html", ReportInfo(WHEN, None, answer_lines(ruleset, result)))
    outline = Outline()
    outline.feed(page)
    text = " ".join(" ".join(outline.text).split())
    for section in ("result", "what-to-do", "warning-signs", "score", "why", "change", "answers"):
        assert section in outline.ids
    assert "red-flags" not in outline.ids
    assert "No warning signs reported" in text
    assert "2 of the 5 reasons on the article's list" in text
    assert "It may be worth seeing a physical therapist" in text


def test_markdown_and_text_reports(ruleset: Any) -> None:
    result = score_data(ruleset, ANSWERS)
    info = ReportInfo(WHEN, "MRN-7", answer_lines(ruleset, result))
    md = render_report(result, "md", info)
    assert md.startswith("# Pain screening report\n")
    assert "- **Date and time:** 2026-11-26 20:15" in md
    assert f"- **Rules:** {ruleset.id} {ruleset.version} (sha256 {ruleset.sha256[:12]})" in md
    assert "## Result (EMERGENCY: act now): ‼ Urgent: please act on the advice below" in md
    flag = "- **EMERGENCY:** **Thoughts of being better off dead, or of hurting yourself**"
    assert md.count(flag) == 2  # what to do first, then the warning signs
    assert md.index("## What to do now") < md.index("## Warning signs") < md.index("## Next steps")
    assert "## Score" not in md and "What would change" not in md
    assert "| How long have you had this pain, in months? | 24 months |" in md
    assert md.rstrip().endswith("- **Signature:** ______________________")
    txt = render_report(result, "txt", info)
    assert "Patient reference: MRN-7" in txt
    assert "Date and time: 2026-11-26 20:15" in txt
    assert "- Do you avoid some movements because you fear they will cause pain or harm?\n    yes" in txt
    assert txt.count("[EMERGENCY] Thoughts of being better off dead") == 2
    assert "WHAT TO DO NOW" in txt and "reasons on the article's list" not in txt
    assert "SIGN-OFF" in txt


def test_json_report_is_the_score_json(ruleset: Any, tmp_path: Path) -> None:
    result = score_data(ruleset, ANSWERS, contacts=US)
    answers_file = tmp_path / "a.json"
    answers_file.write_text(json.dumps(ANSWERS))
    scored = CliRunner().invoke(app, ["score", str(answers_file), "--format", "json", "--country", "US"])
    assert scored.exit_code == 0, scored.output
    assert render_report(result, "json", ReportInfo(WHEN)) == scored.stdout


def test_report_format_by_suffix() -> None:
    assert [report_format(Path(f"r{s}")) for s in (".html", ".HTM", ".md", ".txt", ".json")] == [
        "html",
        "html",
        "md",
        "txt",
        "json",
    ]
    assert report_format(Path("r.PDF")) == "pdf"
    with pytest.raises(UsageError, match="unknown report type"):
        report_format(Path("r.docx"))


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_registered_format_works_with_score(fmt: str, tmp_path: Path) -> None:
    answers_file = tmp_path / "a.json"
    answers_file.write_text(json.dumps(CALM))
    result = CliRunner().invoke(app, ["score", str(answers_file), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "You can look after this yourself for now" in result.stdout


def test_text_report_is_wrapped_for_paper(ruleset: Any) -> None:
    result = score_data(ruleset, ANSWERS)
    txt = render_report(result, "txt", ReportInfo(WHEN, None, answer_lines(ruleset, result)))
    too_wide = [line for line in txt.splitlines() if len(line) > 78 and " " in line.strip()]
    assert too_wide == []
    lines = txt.splitlines()
    flag = next(i for i, line in enumerate(lines) if line.startswith("• [EMERGENCY]"))
    assert lines[flag + 1].startswith("  Please talk to someone today")  # indent kept
