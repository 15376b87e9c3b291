"""The result for people, rendered with Rich: a panel in colour, or plain text for screen readers.

Meaning is never carried by colour alone: every level has words and a symbol, and warning signs are
labelled in words. When the terminal cannot print a character (a Windows cp1252 console, say), ASCII
symbols and box characters are used instead.
"""

from __future__ import annotations

import codecs
from typing import TYPE_CHECKING

from stm_screen.core.explain import Result
from stm_screen.i18n import _
from stm_screen.render.view import CRITERIA_GAP, criteria_gap, score_words, sources, view

__all__ = ["CRITERIA_GAP", "criteria_gap", "print_result", "render_plain", "result_lines", "sources"]

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


def result_lines(result: Result, unicode_ok: bool = True, bar: bool = True) -> list[tuple[str, str]]:
    """The result as (style, line) pairs: the single source of the text layout (plain and rich), laid out
    from :func:`stm_screen.render.view.view`."""
    v = view(result)
    sym = symbol_for(result, unicode_ok)
    bullet = "•" if unicode_ok else "-"
    out: list[tuple[str, str]] = []
    add = out.append
    add(("level", f"{sym} {v.title}".strip()))
    add(("", ""))
    add(("", v.advice))
    for block in v.blocks:
        add(("", ""))
        if block.heading:
            add(("heading", block.heading.upper() if block.id in WARNING_BLOCKS else block.heading))
        if block.text:
            add(("", block.text))
        if block.id == "score" and result.score is not None and result.max_score is not None:
            drawn = f"{score_bar(result.score, result.max_score, unicode_ok)} " if bar else ""
            add(("", f"{drawn}{score_words(result)}"))
        for item in block.items:
            tag = f"[{item.tag}] " if item.tag else ""
            add((item.style, f"{bullet} {tag}{item.text}"))
            if item.detail:
                add(("" if item.style == "flag" else item.style or "dim", f"  {item.detail}"))
            for line in item.lines:
                add(("dim", f"  {line}"))
    add(("", ""))
    add(("dim", v.disclaimer))
    ruleset = result.ruleset
    add(
        (
            "dim",
            _("Rules: {id} {version}{modules} (sha256 {sha}), stm-screen {tool}").format(
                id=ruleset["id"],
                version=ruleset["version"],
                modules=modules_words(result),
                sha=ruleset["sha256"][:12],
                tool=result.tool_version,
            ),
        )
    )
    return out


def modules_words(result: Result) -> str:
    """' with phq4 1.0.0, peg 1.0.0' (or '' when no instrument was added)."""
    mods = result.ruleset.get("modules") or []
    names = [f"{m.get('id')} {m.get('version')}" for m in mods if isinstance(m, dict)]
    return " " + _("with {modules}").format(modules=", ".join(names)) if names else ""


WARNING_BLOCKS = frozenset({"red-flags", "not-ruled-out", "what-to-do"})


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
        title=_("Screening result"),
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
