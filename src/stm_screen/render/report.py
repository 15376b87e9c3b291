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
from stm_screen.i18n import N_, _, current, pgettext
from stm_screen.render.text import score_bar, wrap_lines
from stm_screen.render.view import (
    Block,
    Item,
    Stamp,
    how_soon_line,
    level_kind,
    open_item,
    open_signs,
    score_words,
    unasked_line,
    urgency_tag,
    view,
    when_text,
)

SUFFIXES = {
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".json": "json",
}
BINARY = frozenset({"pdf"})  # formats written as bytes (see render_report_bytes)


@dataclass(frozen=True)
class AnswerLine:
    question: str  # id
    text: str  # the question as asked
    shown: str  # the answer in words
    safety: bool = False  # a safety question (shown on the first page of a report)


@dataclass(frozen=True)
class ReportInfo:
    """What a report adds to the result: when, for whom (a reference, never a name), the answers in words."""

    created: datetime
    patient: str | None = None
    answers: Sequence[AnswerLine] = field(default_factory=tuple)

    @property
    def date(self) -> str:
        """The date and time with its time zone, for the reader: '2026-12-06 14:05 CET (UTC+01:00)' in
        English; in another language its own long date ('6 de diciembre de 2026, 14:05 CET (UTC+01:00)')."""
        return when_text(self.created)

    @property
    def stamp(self) -> Stamp:
        return Stamp(self.created, self.patient)


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
        section = ruleset.sections.get(q.section) if q.section and ruleset is not None else None
        safety = bool(section is not None and section.safety)  # asked among the safety questions
        out.append(AnswerLine(qid, str(q.text), describe(q, parse_answer(q, raw)), safety))
    return out


def _header(result: Result, info: ReportInfo) -> list[tuple[str, str]]:
    """Who, when, with which rules: a short hash (the full one is in the JSON result)."""
    rs = result.ruleset
    rows = []
    if info.patient:
        rows.append((_("Patient reference"), info.patient))
    rows.append((_("Date and time"), info.date))
    rows.append((_("Rules"), f"{rs['id']} {rs['version']} (sha256 {rs['sha256'][:12]})"))
    rows.extend(
        (_("Questionnaire"), f"{m.get('id')} {m.get('version')}")
        for m in rs.get("modules") or []
        if isinstance(m, dict)
    )
    rows.append((_("Tool"), f"stm-screen {result.tool_version}"))
    return rows


def kind_of(result: Result) -> str:
    """'emergency', 'see_doctor', 'pt' or 'self_care': how the result looks on paper (never colour alone)."""
    kind = level_kind(result)
    if kind:
        return kind
    if result.level and result.level.startswith("pt"):
        return "pt"
    return "self_care"


def kind_words(result: Result) -> str:
    """The kind of result in words, printed above the headline."""
    return {
        "emergency": _("EMERGENCY: act now"),
        "see_doctor": _("SEE A DOCTOR first"),
        "pt": _("PHYSICAL THERAPY"),
        "self_care": _("SELF-CARE"),
    }[kind_of(result)]


def warning_lines(result: Result) -> tuple[str, list[Item]]:
    """Page one's warning-sign section: a sentence and the signs (fired, then not checked)."""
    items = [
        Item(f.title, f.explanation, urgency_tag(f), "flag", tuple(filter(None, [how_soon_line(f)])))
        for f in result.red_flags
    ]
    said, rest = open_signs(result)
    items += [open_item(f) for f in said]
    if rest:
        items.append(Item(unasked_line(len(rest)), tag=_("SEE A DOCTOR"), style="flag"))
    if result.red_flags and result.red_flags_not_ruled_out:
        text = _("Warning signs reported, and some that could not be checked ('not sure' or not answered).")
    elif result.red_flags:
        text = _("Warning signs reported:")
    elif result.red_flags_not_ruled_out:
        text = _("No warning sign reported, but these could not be checked ('not sure' or not answered):")
    else:
        text = _("No warning signs reported. The safety questions asked, and the answers, are below.")
    return text, items


DETAIL_BLOCKS_SKIPPED = frozenset({"red-flags", "not-ruled-out"})  # already on page one


def detail_blocks(result: Result) -> list[Block]:
    """The reasons and the rest, after page one."""
    return [b for b in view(result).blocks if b.id not in DETAIL_BLOCKS_SKIPPED]


SIGN_OFF = (N_("Reviewed by"), N_("Role"), N_("Date"), N_("Signature"))  # translated where shown


def sign_off() -> list[str]:
    """The labels of the sign-off area, in the language shown."""
    return [_(label) for label in SIGN_OFF]


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


def _page_one(result: Result, info: ReportInfo) -> tuple[list[Item], str, list[Item], list[AnswerLine]]:
    """What page one holds after the headline: what to do, the warning-sign sentence and signs (titles of
    those that fired, which 'what to do' already explains; signs not checked in full), the safety answers."""
    todo = list(view(result).summary.todo)
    text, signs = warning_lines(result)
    fired = {f.title for f in result.red_flags}
    signs = [Item(i.text, tag=i.tag, style=i.style) if i.text in fired else i for i in signs]
    if result.unchecked:  # the summary already lists the signs not checked: page one names them once
        signs = [i for i in signs if i.text in fired]
        text = (
            _("Warning signs that could not be checked are listed under 'What to do now'. Reported:")
            if signs
            else _("Warning signs that could not be checked are listed under 'What to do now'.")
        )
    safety = [a for a in info.answers if a.safety]
    return todo, text, signs, safety


def to_txt(result: Result, info: ReportInfo) -> str:
    v = view(result)
    todo, warn_text, signs, safety = _page_one(result, info)
    title = _("Pain screening report")
    lines = [title, "=" * len(title), ""]
    lines += [f"{k}: {v}" for k, v in _header(result, info)]
    lines += ["", _("RESULT ({kind})").format(kind=kind_words(result)), f"{v.symbol} {v.title}", v.advice, ""]
    lines += [_("WHAT TO DO NOW") if result.warning else _("WHAT TO DO NEXT")]
    lines += _txt_items(todo)
    lines += ["", _("WARNING SIGNS"), warn_text, *_txt_items(signs)]
    if safety:
        lines += ["", _("SAFETY ANSWERS")]
        for a in safety:
            lines += [f"- {a.text}", f"    {a.shown}"]
    details = _("DETAILS")
    lines += ["", details, "-" * len(details)]
    for block in detail_blocks(result):
        lines += ["", *_txt_block(block, result)]
    others = [a for a in info.answers if not a.safety]
    if others:
        lines += ["", _("OTHER ANSWERS") if safety else _("ANSWERS")]
        for a in others:
            lines += [f"- {a.text}", f"    {a.shown}"]
    lines += ["", v.disclaimer, "", _("SIGN-OFF (for clinics that file this report)")]
    lines += [f"{label}: ______________________________" for label in sign_off()]
    return "\n".join(wrap_lines(lines, 78)) + "\n"


def _txt_items(items: Sequence[Item]) -> list[str]:
    out = []
    for item in items:
        tag = f"[{item.tag}] " if item.tag else ""
        out.append(f"• {tag}{item.text}")
        if item.detail:
            out.append(f"  {item.detail}")
        out.extend(f"  {line}" for line in item.lines)
    return out


def _txt_block(block: Block, result: Result) -> list[str]:
    out = []
    if block.heading:
        out.append(block.heading.upper())
    if block.text:
        out.append(block.text)
    if block.id == "score" and result.score is not None and result.max_score is not None:
        out.append(f"{score_bar(result.score, result.max_score, unicode_ok=True)} {score_words(result)}")
    return out + _txt_items(block.items)


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
    lines.extend(_md_items(block.items))
    return lines


def _md_items(items: Sequence[Item]) -> list[str]:
    lines = []
    for item in items:
        tag = f"**{_md(item.tag)}:** " if item.tag else ""
        title = f"**{_md(item.text)}**" if item.detail or item.tag else _md(item.text)
        lines.append(f"- {tag}{title}" + (f": {_md(item.detail)}" if item.detail else ""))
        lines.extend(f"  - {_md(line)}" for line in item.lines)
    return lines


def to_md(result: Result, info: ReportInfo) -> str:
    v = view(result)
    todo, warn_text, signs, safety = _page_one(result, info)
    question, answer = _md(_("Question")), _md(_("Answer"))
    # (the tool's text is never translated inside an f-string: the catalogue's extractor cannot see it there)
    title, warning_heading, sign_heading = _("Pain screening report"), _("Warning signs"), _("Sign-off")
    lines = [f"# {_md(title)}", ""]
    lines += [f"- **{k}:** {_md(v)}" for k, v in _header(result, info)]
    heading = _("Result ({kind}): {title}").format(
        kind=_md(kind_words(result)), title=f"{_md(v.symbol)} {_md(v.title)}"
    )
    lines += ["", f"## {heading}", "", _md(v.advice)]
    todo_heading = _("What to do now") if result.warning else _("What to do next")
    lines += ["", f"## {_md(todo_heading)}", "", *_md_items(todo)]
    lines += ["", f"## {_md(warning_heading)}", "", _md(warn_text), *([""] if signs else []), *_md_items(signs)]
    if safety:
        safety_heading = _("Safety answers")
        lines += ["", f"## {_md(safety_heading)}", "", f"| {question} | {answer} |", "|---|---|"]
        lines += [f"| {_md(a.text)} | {_md(a.shown)} |" for a in safety]
    for block in detail_blocks(result):
        lines += _md_block(block, result)
    others = [a for a in info.answers if not a.safety]
    if others:
        others_heading = _("Other answers") if safety else _("Answers")
        lines += [
            "",
            f"## {_md(others_heading)}",
            "",
            f"| {question} | {answer} |",
            "|---|---|",
        ]
        lines += [f"| {_md(a.text)} | {_md(a.shown)} |" for a in others]
    lines += ["", f"*{_md(v.disclaimer)}*", "", f"## {_md(sign_heading)}", ""]
    lines += [f"- **{_md(label)}:** ______________________" for label in sign_off()]
    return "\n".join(lines) + "\n"


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
.kind { display: inline-block; font-weight: 800; letter-spacing: .05em; padding: .1rem .5rem;
  border: 2px solid var(--ink); margin-bottom: .4rem; }
.kind-emergency .kind { background: #b00020; color: #fff; border-color: #b00020; }
.kind-emergency { border: 6px double #b00020; background: #fde2e2; }
.kind-see_doctor { border: 4px dashed #8a6d00; background: #fff4cc; }
.kind-see_doctor .kind { border-style: dashed; }
.kind-pt, .kind-self_care { border-width: 2px; }
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
.details { margin-top: 2rem; }
.signoff td { height: 2.2rem; } .signoff th { width: 10rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 9.5pt; line-height: 1.3; }
  h1 { font-size: 15pt; margin: 0 0 .2rem; } h2 { font-size: 11pt; margin: .6rem 0 .25rem; }
  .level { padding: .35rem .7rem; margin: .5rem 0; } .level .title { font-size: 13pt; }
  .level p, .flag p { margin: .2rem 0; } .flag { padding: .15rem .6rem; margin: .25rem 0; }
  .flag ul { margin: .1rem 0; }
  .level, .flag { print-color-adjust: exact; -webkit-print-color-adjust: exact; break-inside: avoid; }
  h2 { break-after: avoid; }
  tr, li { break-inside: avoid; }
  .details { break-before: page; margin-top: 0; }
  #safety-answers table { font-size: 7pt; line-height: 1.15; } dl.meta { font-size: 8.5pt; }
  #safety-answers td, #safety-answers th { padding: .05rem .3rem; }
  @page { margin: 12mm; }
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


def _html_items(items: Sequence[Item]) -> str:
    out = []
    for item in items:
        lines = "".join(f"<li class='small'>{_e(line)}</li>" for line in item.lines)
        body = (
            (f"<span class='urgency'>{_e(item.tag.capitalize())}:</span> " if item.tag else "")
            + (
                f"<strong>{_e(item.text)}</strong>"
                if item.detail or item.tag or item.lines
                else _e(item.text)
            )
            + (f"<p>{_e(item.detail)}</p>" if item.detail else "")
            + (f"<ul>{lines}</ul>" if lines else "")
        )
        out.append(f"<div class='flag'>{body}</div>" if item.style == "flag" else f"<li>{body}</li>")
    html_items = "".join(out)
    if any(item.style != "flag" for item in items):
        return f"<ul>{html_items}</ul>"
    return html_items


def _answers_table(section: str, heading: str, answers: Sequence[AnswerLine]) -> str:
    rows = "".join(
        f"<tr><td>{_e(a.text)}</td><td class='answer'>{_e(shown_answer(a))}</td></tr>" for a in answers
    )
    question, answer = _("Question"), _("Answer")
    return (
        f"<section id='{section}'><h2>{_e(heading)}</h2><table><thead><tr><th>{_e(question)}</th>"
        f"<th>{_e(answer)}</th></tr></thead><tbody>{rows}</tbody></table></section>\n"
    )


def shown_answer(a: AnswerLine) -> str:
    """An answer as a report shows it: a safety 'yes' stands out in capitals, not only in weight."""
    return a.shown.upper() if a.safety and a.shown == pgettext("answer", "yes") else a.shown


def to_html(result: Result, info: ReportInfo) -> str:
    v = view(result)
    todo, warn_text, signs, safety = _page_one(result, info)
    kind = kind_of(result)
    # (never _() inside an f-string: the catalogue's extractor cannot see it there)
    result_label, warning_heading, sign_heading = _("Result"), _("Warning signs"), _("Sign-off")
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
        f"<section class='level level-{_e(result.level or 'none')} kind-{kind}' id='result' "
        f"aria-label='{_e(result_label)}'><div class='kind'>{_e(kind_words(result))}</div>"
    )
    add(
        f"<div class='title'><span class='symbol' aria-hidden='true'>{_e(v.symbol)}</span>"
        f"{_e(v.title)}</div><p>{_e(v.advice)}</p></section>\n"
    )
    heading = _("What to do now") if result.warning else _("What to do next")
    add(f"<section id='what-to-do'><h2>{_e(heading)}</h2>{_html_items(todo)}</section>\n")
    add(
        f"<section id='warning-signs'><h2>{_e(warning_heading)}</h2><p>{_e(warn_text)}</p>"
        f"{_html_items(signs)}</section>\n"
    )
    if safety:
        add(_answers_table("safety-answers", _("Safety answers"), safety))
    add("<div class='details'>\n")
    for block in detail_blocks(result):
        add(_html_block(block, result))
    others = [a for a in info.answers if not a.safety]
    if others:
        add(_answers_table("answers", _("Other answers") if safety else _("Answers"), others))
    add(f"<p class='disclaimer'>{_e(v.disclaimer)}</p>\n")
    rows = "".join(f"<tr><th>{_e(label)}</th><td></td></tr>" for label in sign_off())
    add(f"<section id='sign-off'><h2>{_e(sign_heading)}</h2><table class='signoff'>{rows}</table></section>\n")
    add("</div>\n</main>\n</body>\n</html>\n")
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
    if fmt in BINARY:
        raise ValueError(f"{fmt}: bytes (render_report_bytes)")  # a programming error, never shown
    return REPORTS[fmt](result, info)


def render_report_bytes(result: Result, fmt: str, info: ReportInfo) -> bytes:
    """Any report as the bytes of its file (text formats in UTF-8)."""
    if fmt == "pdf":
        from stm_screen.render.pdf import to_pdf

        return to_pdf(result, info)
    return render_report(result, fmt, info).encode("utf-8")
