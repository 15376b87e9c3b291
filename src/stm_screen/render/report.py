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
from stm_screen.core.explain import Result
from stm_screen.core.ruleset import Ruleset
from stm_screen.errors import UsageError
from stm_screen.i18n import _, current
from stm_screen.render.text import render_plain, score_bar
from stm_screen.render.view import Block, score_words, view

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
        """When, for the reader: 2026-12-06 14:05 in English; in another language its own long date
        (Babel's CLDR data: '6 de diciembre de 2026, 14:05 (CET)')."""
        lang = current()
        if lang == "en":
            return self.created.strftime("%Y-%m-%d %H:%M")
        from babel.dates import format_skeleton, format_time

        locale = lang.replace("-", "_")
        day = format_skeleton("yMMMMd", self.created, locale=locale, fuzzy=True)
        zone = self.created.strftime("%Z")
        return f"{day}, {format_time(self.created, 'HH:mm', locale=locale)}" + (f" ({zone})" if zone else "")


def report_format(path: Path) -> str:
    """The report format for a file name; raises UsageError for an unknown suffix."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(
            _("{path}: unknown report type; use a name ending in {suffixes}").format(
                path=path, suffixes=", ".join(sorted(set(SUFFIXES)))
            )
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
    rows = [(_("Date"), info.date)]
    if info.patient:
        rows.append((_("Patient reference"), info.patient))
    rows.append((_("Rules"), f"{rs['id']} {rs['version']}"))
    rows.extend(
        (_("Questionnaire"), f"{m.get('id')} {m.get('version')}")
        for m in rs.get("modules") or []
        if isinstance(m, dict)
    )
    rows.append((_("Rules sha256"), rs["sha256"]))
    rows.append((_("Tool"), f"stm-screen {result.tool_version}"))
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
    title, result_heading, answers_heading = _("Pain screening report"), _("RESULT"), _("YOUR ANSWERS")
    lines = [title, "=" * len(title), ""]
    lines += [f"{k}: {v}" for k, v in _header(result, info)]
    lines += [
        "",
        result_heading,
        "-" * len(result_heading),
        *render_plain(result, unicode_ok=True, width=78).rstrip("\n").split("\n"),
        "",
    ]
    if info.answers:
        lines += [answers_heading, "-" * len(answers_heading)]
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


def _md_block(block: Block, result: Result) -> list[str]:
    lines = [""]
    if block.heading:
        lines += [f"## {_md(block.heading)}", ""]
    if block.text:
        lines += [_md(block.text), ""]
    if block.id == "score" and result.score is not None and result.max_score is not None:
        bar = score_bar(result.score, result.max_score, unicode_ok=False)
        lines.append(f"`{bar}` {_md(score_words(result))}")
    for item in block.items:
        tag = f"**{_md(item.tag)}:** " if item.tag else ""
        title = f"**{_md(item.text)}**" if item.detail or item.tag else _md(item.text)
        lines.append(f"- {tag}{title}" + (f": {_md(item.detail)}" if item.detail else ""))
        lines.extend(f"  - {_md(line)}" for line in item.lines)
    return lines


def to_md(result: Result, info: ReportInfo) -> str:
    v = view(result)
    lines = [f"# {_md(_('Pain screening report'))}", ""]
    lines += [f"- **{k}:** {_md(v)}" for k, v in _header(result, info)]
    heading = _("Result: {title}").format(title=f"{_md(v.symbol)} {_md(v.title)}")
    lines += ["", f"## {heading}", "", _md(v.advice)]
    for block in v.blocks:
        lines += _md_block(block, result)
    if info.answers:
        lines += [
            "",
            f"## {_md(_('Answers'))}",
            "",
            f"| {_md(_('Question'))} | {_md(_('Answer'))} |",
            "|---|---|",
        ]
        lines += [f"| {_md(a.text)} | {_md(a.shown)} |" for a in info.answers]
    lines += ["", f"*{_md(v.disclaimer)}*", ""]
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


def _html_block(block: Block, result: Result) -> str:
    out = [f"<section id='{_e(block.id)}'>"]
    if block.heading:
        out.append(f"<h2>{_e(block.heading)}</h2>")
    if block.text:
        out.append(f"<p>{_e(block.text)}</p>")
    if block.id == "score" and result.score is not None and result.max_score is not None:
        if result.max_score > 0:
            pct = round(100 * max(0.0, min(result.score, result.max_score)) / result.max_score)
            out.append(
                "<p><span class='bar' role='img' aria-label='"
                + _e(_("{score} of {total}").format(score=f"{result.score:g}", total=f"{result.max_score:g}"))
                + f"'><span style='width:{pct}%'></span></span>{_e(score_words(result))}</p>"
            )
    flags = [i for i in block.items if i.style == "flag"]
    if flags and len(flags) == len(block.items):
        for item in block.items:
            lines = "".join(f"<li class='small'>{_e(line)}</li>" for line in item.lines)
            out.append(
                f"<div class='flag'><span class='urgency'>{_e(item.tag.capitalize())}:</span> "
                f"<strong>{_e(item.text)}</strong>"
                + (f"<p>{_e(item.detail)}</p>" if item.detail else "")
                + (f"<ul>{lines}</ul>" if lines else "")
                + "</div>"
            )
    elif block.items:
        items = []
        for item in block.items:
            lines = "".join(f"<li class='small'>{_e(line)}</li>" for line in item.lines)
            text = f"<strong>{_e(item.text)}</strong><br>{_e(item.detail)}" if item.detail else _e(item.text)
            items.append(f"<li>{text}" + (f"<ul>{lines}</ul>" if lines else "") + "</li>")
        out.append("<ul>" + "".join(items) + "</ul>")
    out.append("</section>\n")
    return "".join(out)


def to_html(result: Result, info: ReportInfo) -> str:
    v = view(result)
    parts: list[str] = []
    add = parts.append
    add(f"<!DOCTYPE html>\n<html lang='{_e(current())}'>\n<head>\n<meta charset='utf-8'>\n")
    add("<meta name='viewport' content='width=device-width, initial-scale=1'>\n")
    title = _("Pain screening report")
    add(f"<title>{_e(title)} - {_e(info.date)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n")
    add(f"<header><h1>{_e(title)}</h1><dl class='meta'>")
    for key, value in _header(result, info):
        add(f"<dt>{_e(key)}</dt><dd>{_e(value)}</dd>")
    add("</dl></header>\n<main>\n")
    add(
        f"<section class='level level-{_e(result.level or 'none')}' id='result' aria-label='{_e(_('Result'))}'>"
    )
    add(
        f"<div class='title'><span class='symbol' aria-hidden='true'>{_e(v.symbol)}</span>"
        f"{_e(v.title)}</div><p>{_e(v.advice)}</p></section>\n"
    )
    for block in v.blocks:
        add(_html_block(block, result))
    if info.answers:
        add(
            f"<section id='answers'><h2>{_e(_('Answers'))}</h2><table><thead><tr><th>{_e(_('Question'))}</th>"
            f"<th>{_e(_('Answer'))}</th></tr></thead><tbody>"
        )
        add(
            "".join(
                f"<tr><td>{_e(a.text)}</td><td class='answer'>{_e(a.shown)}</td></tr>" for a in info.answers
            )
        )
        add("</tbody></table></section>\n")
    add(f"<p class='disclaimer'>{_e(v.disclaimer)}</p>\n</main>\n</body>\n</html>\n")
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
