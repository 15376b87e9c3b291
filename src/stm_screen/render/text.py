"""The result for people, rendered with Rich: a panel in colour, or plain text for screen readers.

Meaning is never carried by colour alone: every level has words and a symbol, and warning signs are
labelled in words. When the terminal cannot print a character (a Windows cp1252 console, say), ASCII
symbols and box characters are used instead.
"""

from __future__ import annotations

import codecs
from typing import TYPE_CHECKING

from stm_screen.core.explain import Finding, Result

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

LEVEL_STYLE = {
    "emergency": "bold white on red",
    "see_doctor": "bold black on yellow",
    "pt_recommended": "bold white on blue",
    "pt_consider": "bold black on cyan",
    "self_care": "bold black on green",
}
ASCII_SYMBOL = {
    "emergency": "!!",
    "see_doctor": "!",
    "pt_recommended": "**",
    "pt_consider": "*",
    "self_care": "o",
}
BAR_WIDTH = 20


def can_encode(console: Console, text: str) -> bool:
    encoding = (console.encoding or "utf-8").lower()
    try:
        codecs.lookup(encoding)
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def symbol_for(result: Result, unicode_ok: bool) -> str:
    if result.symbol and unicode_ok:
        return result.symbol
    if result.symbol and result.symbol.isascii():
        return result.symbol
    return ASCII_SYMBOL.get(result.level or "", "?")


def score_bar(value: float, maximum: float, unicode_ok: bool) -> str:
    if maximum <= 0:
        return ""
    filled = round(BAR_WIDTH * max(0.0, min(value, maximum)) / maximum)
    full, empty = ("█", "░") if unicode_ok else ("#", "-")
    return "[" + full * filled + empty * (BAR_WIDTH - filled) + "]"


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}"


def _answers(f: Finding) -> str:
    if not f.answers:
        return ""
    return "; ".join(
        f"you answered {a.shown}" if len(f.answers) == 1 else f"{a.question}: {a.shown}" for a in f.answers
    )


SAFETY_GAP = (
    "Some safety questions were not answered, so warning signs could not be ruled out. Please answer "
    "them, or check with a doctor, before starting physical therapy."
)


def safety_gap(result: Result) -> str:
    """What to say next to the headline when warning-sign questions were left unanswered (else '')."""
    return SAFETY_GAP if result.red_flags_not_ruled_out else ""


CRITERIA_GAP = (
    "Some questions about your pain were not answered. They count as 'no' here, so this result may be "
    "lower than it should be: answering them could change it."
)


def criteria_gap(result: Result) -> str:
    """What to say next to the headline when questions behind the physical-therapy signs were left
    unanswered and answering one could change the result (else ''); never under a warning sign, which
    decides the result whatever they are."""
    if not result.criteria_undetermined or result.red_flags:
        return ""
    could_change = any(c.current is None for c in result.what_would_change)
    return CRITERIA_GAP if could_change else ""


def why_heading(result: Result) -> str:
    """The heading of the criteria met: under a warning sign they are not the reason for the result."""
    return "Why physical therapy may help later" if result.red_flags else "Why"


def sources(result: Result) -> list[tuple[str, list[str]]]:
    """Each source behind a warning sign or criterion shown, with the titles it backs (first-seen order)."""
    out: dict[str, tuple[str, list[str]]] = {}
    for f in [*result.red_flags, *result.findings]:
        citation = " ".join(str(f.source.get("citation", "")).split())
        url = f.source.get("url")
        if url:
            citation = f"{citation} {url}"
        key = str(f.source.get("id", citation))
        out.setdefault(key, (citation, []))[1].append(f.title)
    return list(out.values())


def result_lines(result: Result, unicode_ok: bool = True, bar: bool = True) -> list[tuple[str, str]]:
    """The result as (style, line) pairs: the single source of the text layout (plain and rich)."""
    sym = symbol_for(result, unicode_ok)
    bullet = "•" if unicode_ok else "-"
    out: list[tuple[str, str]] = []
    add = out.append

    def section(title: str) -> None:
        add(("", ""))
        add(("heading", title))

    add(("level", f"{sym} {result.title}".strip()))
    add(("", ""))
    add(("", result.advice))
    if safety_gap(result):
        add(("", ""))
        add(("flag", safety_gap(result)))
    if criteria_gap(result):
        add(("", ""))
        add(("", criteria_gap(result)))
    if result.red_flags:
        section("WARNING SIGNS - act on these first:")
        for f in result.red_flags:
            urgency = "EMERGENCY" if f.level == "emergency" else "SEE A DOCTOR"
            add(("flag", f"{bullet} [{urgency}] {f.title}"))
            add(("", f"  {f.explanation}"))
    if result.score is not None and result.max_score is not None:
        section("Score")
        drawn = f"{score_bar(result.score, result.max_score, unicode_ok)} " if bar else ""
        add(
            (
                "",
                f"{drawn}{_num(result.score)} of {_num(result.max_score)} signs that physical therapy may help",
            )
        )
    if result.findings:
        section(why_heading(result))
        for f in result.findings:
            said = _answers(f)
            add(("", f"{bullet} {f.title}" + (f" ({said})" if said else "")))
            add(("dim", f"  {f.explanation}"))
    if result.criteria_not_met:
        section("Not met")
        for f in result.criteria_not_met:
            add(("dim", f"{bullet} {f.title}"))
    if result.red_flags_not_ruled_out or result.missing:
        section("Not answered")
        for f in result.red_flags_not_ruled_out:
            add(("flag", f"{bullet} Warning sign could not be ruled out: {f.title}"))
        for m in result.missing:
            if not m.safety:
                add(("", f"{bullet} {m.text} (not answered)"))
    if result.notes:
        section("About your pain")
        for note in result.notes:
            add(("", f"{bullet} {note}"))
    if result.what_would_change or result.level is not None:
        section("What would change this result")
        for c in result.what_would_change:
            add(("", f"{bullet} {c.summary}"))
        if not result.what_would_change:
            add(("", f"{bullet} No change to a single answer would change this result."))
    if result.next_steps:
        section("Next steps")
        for step in result.next_steps:
            add(("", f"{bullet} {step}"))
    cited = sources(result)
    if cited:
        section("Sources")
        for citation, titles in cited:
            add(("dim", f"{bullet} {citation}"))
            add(("dim", f"  For: {'; '.join(titles)}"))
    add(("", ""))
    add(("dim", result.disclaimer))
    ruleset = result.ruleset
    add(
        (
            "dim",
            f"Rules: {ruleset['id']} {ruleset['version']} (sha256 {ruleset['sha256'][:12]}), "
            f"stm-screen {result.tool_version}",
        )
    )
    return out


def wrap_lines(lines: list[str], width: int) -> list[str]:
    """Wrap each line to ``width``; bullets and indented lines get a hanging indent."""
    import textwrap

    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        stripped = line.lstrip(" ")
        indent = " " * (len(line) - len(stripped))
        hang = indent + ("  " if stripped[:2] in ("• ", "- ") else "")
        out.extend(textwrap.wrap(line, width, subsequent_indent=hang, break_on_hyphens=False) or [""])
    return out


def render_plain(result: Result, unicode_ok: bool = True, width: int = 80, bar: bool = True) -> str:
    """Plain text: no colour, no boxes; what a screen reader or a printer gets.

    ``bar=False`` leaves out the score bar: a screen reader would read its characters one by one, and the
    score is said in words anyway.
    """
    lines = [line for _, line in result_lines(result, unicode_ok, bar=bar)]
    return "\n".join(wrap_lines(lines, max(width, 40))) + "\n"


def renderable(result: Result, console: Console) -> RenderableType:
    from rich import box
    from rich.console import Group
    from rich.padding import Padding
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    unicode_ok = can_encode(console, "█░•‼◐●○▲╭─")
    styles = {
        "level": LEVEL_STYLE.get(result.level or "", "bold"),
        "heading": "bold underline",
        "flag": "bold red",
        "dim": "dim",
        "": "",
    }
    body: list[RenderableType] = []
    for style, line in result_lines(result, unicode_ok):
        text = line.lstrip(" ")
        indent = len(line) - len(text)
        if text[:2] in ("• ", "- "):  # a bullet: its wrapped lines go under the text, not the bullet
            row = Table.grid(padding=0)
            row.add_column(width=indent + 2, no_wrap=True)
            row.add_column()
            row.add_row(
                Text(" " * indent + text[:2], style=styles[style]), Text(text[2:], style=styles[style])
            )
            body.append(row)
        elif indent:  # an explanation under a bullet: wrapped lines keep the indent
            body.append(Padding(Text(text, style=styles[style]), (0, 0, 0, indent)))
        else:
            body.append(Text(line, style=styles[style]))
    return Panel(
        Group(*body),
        title="Screening result",
        box=box.ROUNDED if unicode_ok else box.ASCII,
        expand=False,
        padding=(1, 2),
    )


def print_result(result: Result, console: Console, plain: bool = False, bar: bool = True) -> None:
    if plain:
        text = render_plain(result, can_encode(console, "█░•‼◐●○▲"), width=min(console.width, 100), bar=bar)
        console.print(text, markup=False, highlight=False, end="", soft_wrap=True)
    else:
        console.print(renderable(result, console))
