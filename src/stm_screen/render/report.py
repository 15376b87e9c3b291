"""Printable reports of one screening, chosen by file suffix: ``.html``, ``.md``, ``.txt``, ``.json``.

Every report (except JSON, which is exactly ``score --format json``) carries the date, the ruleset's id,
version and hash, the answers in words and the full result. HTML is one self-contained file (inline CSS,
no scripts, no external resources) that prints well on paper.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from stm_screen.core.answers import describe, parse_answer
from stm_screen.core.explain import Finding, Result
from stm_screen.core.ruleset import Ruleset
from stm_screen.errors import UsageError
from stm_screen.render.text import (
    criteria_gap,
    render_plain,
    safety_gap,
    score_bar,
    sources,
    why_heading,
)

SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".txt": "txt", ".json": "json"}


@dataclass(frozen=True)
class AnswerLine:
    question: str  # id
    text: str  # the question as asked
    shown: str  # the answer in words


@dataclass(frozen=True)
class ReportInfo:
    """What a report adds to the result: when, for whom (a reference, never a name), the answers in words."""

    created: datetime
    patient: str | None = None
    answers: Sequence[AnswerLine] = field(default_factory=tuple)

    @property
    def date(self) -> str:
        return self.created.strftime("%Y-%m-%d %H:%M")


def report_format(path: Path) -> str:
    """The report format for a file name; raises UsageError for an unknown suffix."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(
            f"{path}: unknown report type; use a name ending in {', '.join(sorted(set(SUFFIXES)))}"
        )
    return fmt


def answer_lines(ruleset: Ruleset | None, result: Result) -> list[AnswerLine]:
    """The answers of the result in words (question order); ids and raw values without a ruleset."""
    out = []
    for qid, raw in result.answers.items():
        q = ruleset.by_id.get(qid) if ruleset is not None else None
        if q is None:
            shown = ", ".join(map(str, raw)) if isinstance(raw, list) else str(raw)
            out.append(AnswerLine(qid, qid, shown))
            continue
        out.append(AnswerLine(qid, str(q.text), describe(q, parse_answer(q, raw))))
    return out


def _header(result: Result, info: ReportInfo) -> list[tuple[str, str]]:
    rs = result.ruleset
    rows = [("Date", info.date)]
    if info.patient:
        rows.append(("Patient reference", info.patient))
    rows.append(("Rules", f"{rs['id']} {rs['version']}"))
    rows.append(("Rules sha256", rs["sha256"]))
    rows.append(("Tool", f"stm-screen {result.tool_version}"))
    return rows


# --- text and markdown ----------------------------------------------------------------------------------


def _wrap(lines: list[str], width: int = 78) -> list[str]:
    """Wrap for paper, keeping each line's indent (and hanging the text of bullets)."""
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        hang = indent + ("  " if line.lstrip()[:2] in ("• ", "- ") else "")
        out.extend(
            textwrap.wrap(
                line,
                width,
                subsequent_indent=hang,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return out


def to_txt(result: Result, info: ReportInfo) -> str:
    lines = ["Pain screening report", "=" * 21, ""]
    lines += [f"{k}: {v}" for k, v in _header(result, info)]
    lines += ["", "RESULT", "------", *render_plain(result, unicode_ok=True).rstrip("\n").split("\n"), ""]
    if info.answers:
        lines += ["YOUR ANSWERS", "------------"]
        for a in info.answers:
            lines.append(f"- {a.text}")
            lines.append(f"    {a.shown}")
    return "\n".join(_wrap(lines)) + "\n"


def _md(text: str) -> str:
    """Markdown-safe inline text."""
    out = text.replace("\\", "\\\\")
    for ch in "*_`[]<>#|":
        out = out.replace(ch, "\\" + ch)
    return " ".join(out.split())


def _md_findings(title: str, findings: list[Finding], flag: bool = False) -> list[str]:
    if not findings:
        return []
    lines = ["", f"## {title}", ""]
    for f in findings:
        urgency = ""
        if flag:
            urgency = "**EMERGENCY:** " if f.level == "emergency" else "**See a doctor:** "
        lines.append(f"- {urgency}**{_md(f.title)}**: {_md(f.explanation)}")
        lines.extend(f"  - {_md(a.text)}: {_md(a.shown)}" for a in f.answers)
    return lines


def to_md(result: Result, info: ReportInfo) -> str:
    lines = ["# Pain screening report", ""]
    lines += [f"- **{k}:** {_md(v)}" for k, v in _header(result, info)]
    lines += ["", f"## Result: {_md(result.symbol)} {_md(result.title)}", "", _md(result.advice)]
    if safety_gap(result):
        lines += ["", f"**{_md(safety_gap(result))}**"]
        lines += [f"- Could not be ruled out: {_md(f.title)}" for f in result.red_flags_not_ruled_out]
    if criteria_gap(result):
        lines += ["", _md(criteria_gap(result))]
    lines += _md_findings("Warning signs: act on these first", result.red_flags, flag=True)
    if result.score is not None and result.max_score is not None:
        bar = score_bar(result.score, result.max_score, unicode_ok=False)
        lines += [
            "",
            "## Score",
            "",
            f"`{bar}` {result.score:g} of {result.max_score:g} signs that physical therapy may help",
        ]
    lines += _md_findings(why_heading(result), result.findings)
    if result.what_would_change:
        lines += ["", "## What would change this result", ""]
        lines += [f"- {_md(c.summary)}" for c in result.what_would_change]
    if result.notes:
        lines += ["", "## About your pain", ""] + [f"- {_md(n)}" for n in result.notes]
    if result.next_steps:
        lines += ["", "## Next steps", ""] + [f"- {_md(s)}" for s in result.next_steps]
    if sources(result):
        lines += ["", "## Sources", ""]
        lines += [
            f"- {_md(citation)} (for: {_md('; '.join(titles))})" for citation, titles in sources(result)
        ]
    if info.answers:
        lines += ["", "## Answers", "", "| Question | Answer |", "|---|---|"]
        lines += [f"| {_md(a.text)} | {_md(a.shown)} |" for a in info.answers]
    lines += ["", f"*{_md(result.disclaimer)}*", ""]
    return "\n".join(lines)


# --- HTML ---------------------------------------------------------------------------------------------------

_CSS = """
:root { --ink: #1b1b1b; --muted: #555; --line: #ccc; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink);
  max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; border-bottom: 1px solid var(--line); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; color: var(--muted);
  font-size: .9rem; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.level { border: 3px solid var(--ink); border-radius: .5rem; padding: .75rem 1rem; margin: 1rem 0; }
.level .title { font-size: 1.3rem; font-weight: 700; }
.level .symbol { font-size: 1.5rem; margin-right: .4rem; }
.level-emergency { background: #fde2e2; border-color: #b00020; }
.level-see_doctor { background: #fff4cc; border-color: #8a6d00; }
.level-pt_recommended { background: #e1ecff; border-color: #1f4fa3; }
.level-pt_consider { background: #def7f7; border-color: #137a7a; }
.level-self_care { background: #e3f5e1; border-color: #2e7d32; }
.flag { border-left: 6px solid #b00020; padding: .25rem .75rem; margin: .5rem 0; background: #fff7f7; }
.flag .urgency { font-weight: 700; text-transform: uppercase; }
.bar { display: inline-block; width: 12rem; height: 1rem; border: 1px solid var(--ink); vertical-align: middle;
  margin-right: .5rem; }
.bar span { display: block; height: 100%; background: var(--ink); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); padding: .3rem .4rem; }
.answer { font-weight: 600; white-space: nowrap; }
.small { color: var(--muted); font-size: .9rem; }
.disclaimer { border-top: 1px solid var(--line); margin-top: 2rem; padding-top: .5rem; font-style: italic; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  .level, .flag { print-color-adjust: exact; -webkit-print-color-adjust: exact; break-inside: avoid; }
  h2 { break-after: avoid; }
  tr, li { break-inside: avoid; }
  @page { margin: 15mm; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_findings(findings: list[Finding]) -> str:
    items = []
    for f in findings:
        said = "".join(
            f"<li class='small'>{_e(a.text)}: <span class='answer'>{_e(a.shown)}</span></li>"
            for a in f.answers
        )
        items.append(
            f"<li><strong>{_e(f.title)}</strong><br>{_e(f.explanation)}"
            + (f"<ul>{said}</ul>" if said else "")
            + "</li>"
        )
    return "<ul>" + "".join(items) + "</ul>"


def to_html(result: Result, info: ReportInfo) -> str:
    parts: list[str] = []
    add = parts.append
    add("<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n")
    add("<meta name='viewport' content='width=device-width, initial-scale=1'>\n")
    add(f"<title>Pain screening report - {_e(info.date)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n")
    add("<header><h1>Pain screening report</h1><dl class='meta'>")
    for key, value in _header(result, info):
        add(f"<dt>{_e(key)}</dt><dd>{_e(value)}</dd>")
    add("</dl></header>\n<main>\n")
    add(f"<section class='level level-{_e(result.level or 'none')}' id='result' aria-label='Result'>")
    add(
        f"<div class='title'><span class='symbol' aria-hidden='true'>{_e(result.symbol)}</span>"
        f"{_e(result.title)}</div><p>{_e(result.advice)}</p></section>\n"
    )
    if safety_gap(result):
        add(f"<section id='not-ruled-out'><p><strong>{_e(safety_gap(result))}</strong></p><ul>")
        add(
            "".join(f"<li>Could not be ruled out: {_e(f.title)}</li>" for f in result.red_flags_not_ruled_out)
        )
        add("</ul></section>\n")
    if criteria_gap(result):
        add(f"<section id='not-answered-criteria'><p>{_e(criteria_gap(result))}</p></section>\n")
    if result.red_flags:
        add("<section id='red-flags'><h2>Warning signs: act on these first</h2>")
        for f in result.red_flags:
            urgency = "Emergency" if f.level == "emergency" else "See a doctor"
            add(
                f"<div class='flag'><span class='urgency'>{urgency}:</span> <strong>{_e(f.title)}</strong>"
                f"<p>{_e(f.explanation)}</p></div>"
            )
        add("</section>\n")
    if result.score is not None and result.max_score is not None and result.max_score > 0:
        pct = round(100 * max(0.0, min(result.score, result.max_score)) / result.max_score)
        add(
            "<section id='score'><h2>Score</h2><p><span class='bar' role='img' "
            f"aria-label='{result.score:g} of {result.max_score:g}'><span style='width:{pct}%'></span></span>"
            f"{result.score:g} of {result.max_score:g} signs that physical therapy may help</p></section>\n"
        )
    if result.findings:
        add(
            f"<section id='why'><h2>{_e(why_heading(result))}</h2>{_html_findings(result.findings)}</section>\n"
        )
    if result.what_would_change:
        add("<section id='change'><h2>What would change this result</h2><ul>")
        add("".join(f"<li>{_e(c.summary)}</li>" for c in result.what_would_change))
        add("</ul></section>\n")
    if result.notes:
        add("<section id='notes'><h2>About your pain</h2><ul>")
        add("".join(f"<li>{_e(n)}</li>" for n in result.notes))
        add("</ul></section>\n")
    if result.next_steps:
        add("<section id='next-steps'><h2>Next steps</h2><ul>")
        add("".join(f"<li>{_e(s)}</li>" for s in result.next_steps))
        add("</ul></section>\n")
    if sources(result):
        add("<section id='sources'><h2>Sources</h2><ul>")
        add(
            "".join(
                f"<li>{_e(citation)} <span class='for'>(for: {_e('; '.join(titles))})</span></li>"
                for citation, titles in sources(result)
            )
        )
        add("</ul></section>\n")
    if info.answers:
        add(
            "<section id='answers'><h2>Answers</h2><table><thead><tr><th>Question</th><th>Answer</th></tr></thead><tbody>"
        )
        add(
            "".join(
                f"<tr><td>{_e(a.text)}</td><td class='answer'>{_e(a.shown)}</td></tr>" for a in info.answers
            )
        )
        add("</tbody></table></section>\n")
    add(f"<p class='disclaimer'>{_e(result.disclaimer)}</p>\n</main>\n</body>\n</html>\n")
    return "".join(parts)


def to_json(result: Result, info: ReportInfo) -> str:
    from stm_screen.render.formats import to_json as score_json

    return score_json(result)


REPORTS: dict[str, Callable[[Result, ReportInfo], str]] = {
    "html": to_html,
    "md": to_md,
    "txt": to_txt,
    "json": to_json,
}


def render_report(result: Result, fmt: str, info: ReportInfo) -> str:
    return REPORTS[fmt](result, info)
