"""The result for people, rendered with Rich: a panel in colour, or plain text for screen readers.

Meaning is never carried by colour alone: every level has words and a symbol, and warning signs are
labelled in words. When the terminal cannot print a character (a Windows cp1252 console, say), ASCII
symbols and box characters are used instead.
"""

from __future__ import annotations

import codecs
from typing import TYPE_CHECKING

from stm_screen.core.explain import Result
from stm_screen.i18n import _, ngettext
from stm_screen.render.view import CRITERIA_GAP, Item, Stamp, criteria_gap, score_words, sources, view

__all__ = [
    "CRITERIA_GAP",
    "criteria_gap",
    "print_recap",
    "print_result",
    "recap_lines",
    "render_plain",
    "result_lines",
    "sources",
    "summary_lines",
]

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
    return out


def summary_lines(
    result: Result,
    unicode_ok: bool = True,
    stamp: Stamp | None = None,
    brief: int = 0,
) -> list[tuple[str, str]]:
    """The short version, as (style, line) pairs: headline, what to do and how soon, who and when, and
    the disclaimer in one line. Printed last on a screen, under the full result, so that it is what the
    person sees at the end.

    ``brief`` shortens it for a small screen, the details staying above: 1 keeps what to do in full for
    emergencies only; 2 also folds the other warning signs that could not be checked into one line; 3
    keeps only each other item's title and how soon; 4 says how soon on the title's own line (many
    warning signs at once on a small screen); 5 leaves out 'How soon: now' under emergencies (their advice
    says now, and so does their tag). What to do in an emergency is always said in full."""
    s = view(result).summary
    sym = symbol_for(result, unicode_ok)
    bullet = "•" if unicode_ok else "-"
    out: list[tuple[str, str]] = []
    add = out.append
    cut = False
    emergency = _("EMERGENCY")
    tag = f"[{s.tag}] " if s.tag and s.tag.upper() not in s.title.upper() else ""
    add(("level", f"{sym} {tag}{s.title}".strip()))
    todo = list(s.todo)
    if brief >= 2:
        prefix = _("Could not be checked: {sign}").partition("{sign}")[0]
        folded = [i for i in todo if i.text.startswith(prefix) and i.tag != emergency]
        if len(folded) > 1:
            first = todo.index(folded[0])
            todo = [i for i in todo if i not in folded]
            soonest = next((line for i in folded for line in i.lines), "")  # the items are soonest first
            when = _when_in(soonest)
            todo.insert(
                first,
                Item(
                    ngettext(
                        "{n} other warning sign could not be checked: see the list above.",
                        "{n} other warning signs could not be checked: see the list above.",
                        len(folded),
                    ).format(n=len(folded)),
                    tag=_("SEE A DOCTOR"),
                    style="flag",
                    lines=(
                        (_("If one of them fits you, see a doctor {when} at the latest.").format(when=when),)
                        if when
                        else ()
                    ),
                ),
            )
    if todo:
        add(("heading", _("What to do now") if result.warning else _("What to do next")))
        for item in todo:
            label = f"[{item.tag}] " if item.tag else ""
            full = brief == 0 or item.tag == emergency  # what to do in an emergency is never left out
            if brief >= 4 and item.tag != emergency and item.lines:
                add((item.style, f"{bullet} {label}{item.text}. {' '.join(item.lines)}"))
                cut = cut or bool(item.detail)
                continue
            add((item.style, f"{bullet} {label}{item.text}"))
            if item.detail and full:
                add(("", f"  {item.detail}"))
            elif item.detail:
                cut = True
            if brief >= 5 and item.tag == emergency:
                continue
            for line in item.lines:
                add(("flag" if item.style == "flag" else "dim", f"  {line}"))
        if cut:
            add(("", _("What to do for each one is in the details above.")))
    if stamp is not None:
        add(("dim", stamp.line))
    add(("dim", _("A screening aid, not a diagnosis. The details of this result are above.")))
    return out


def _when_in(line: str) -> str:
    """'within a few days' out of 'How soon: within a few days' (in the language shown): the how soon of a
    warning sign that could not be checked."""
    before, _sep, after = _("How soon: {when}").partition("{when}")
    if line.startswith(before) and line.endswith(after) and len(line) > len(before) + len(after):
        return line[len(before) : len(line) - len(after)]
    return ""


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


def render_plain(
    result: Result,
    unicode_ok: bool = True,
    width: int = 80,
    bar: bool = True,
    stamp: Stamp | None = None,
    room: int | None = None,
) -> str:
    """Plain text: no colour, no boxes; what a screen reader or a printer gets. The details, the
    disclaimer, then the summary (headline, what to do, how soon) last.

    ``bar=False`` leaves out the score bar: a screen reader would read its characters one by one, and the
    score is said in words anyway.
    """
    v = view(result)
    width = max(width, 40)
    lines = [line for _, line in result_lines(result, unicode_ok, bar=bar)]
    lines += ["", v.disclaimer, ""]
    for brief in BRIEF:
        short = wrap_lines([line for _, line in summary_lines(result, unicode_ok, stamp, brief=brief)], width)
        if room is None or len(short) + 2 <= room:
            break
    # no line of rule characters: a screen reader would read each one out
    return "\n".join([*wrap_lines(lines, width), _("SUMMARY"), *short]) + "\n"


def _rows(lines: list[tuple[str, str]], styles: dict[str, str]) -> list[RenderableType]:
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    body: list[RenderableType] = []
    for style, line in lines:
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
    return body


def _styles(result: Result) -> dict[str, str]:
    return {
        "level": LEVEL_STYLE.get(result.level or "", "bold"),
        "heading": "bold underline",
        "flag": "bold red",
        "dim": "dim",
        "": "",
    }


def renderable(result: Result, console: Console) -> RenderableType:
    """The details in a panel (the summary is printed after it: see :func:`print_result`)."""
    from rich import box
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    unicode_ok = can_encode(console, "█░•‼◐●○▲╭─")
    body = _rows(result_lines(result, unicode_ok), _styles(result))
    body += [Text(""), Text(view(result).disclaimer, style="dim")]
    return Panel(
        Group(*body),
        title=_("Screening result: the details"),
        box=box.ROUNDED if unicode_ok else box.ASCII,
        expand=False,
        padding=(1, 2),
    )


def summary_renderable(
    result: Result, console: Console, stamp: Stamp | None = None, room: int | None = None
) -> RenderableType:
    """The summary in a heavy frame, a different box from the details: it is what stays on screen."""
    from rich import box
    from rich.console import Group
    from rich.panel import Panel

    unicode_ok = can_encode(console, "█░•‼◐●○▲╭─┏━")
    for brief in BRIEF:
        lines = summary_lines(result, unicode_ok, stamp, brief=brief)
        # the panel's frame takes 2 lines and 4 columns
        if room is None or len(wrap_lines([t for _, t in lines], console.width - 4)) + 2 <= room:
            break
    body = _rows(lines, _styles(result))
    return Panel(
        Group(*body),
        title=_("Your result"),
        box=box.HEAVY if unicode_ok else box.ASCII_DOUBLE_HEAD,
        expand=False,
        padding=(0, 1),
    )


def print_result(
    result: Result,
    console: Console,
    plain: bool = False,
    bar: bool = True,
    stamp: Stamp | None = None,
    height: int | None = None,
) -> None:
    """The details, then the summary last: at the end of a long result the headline, what to do and how
    soon are what is left on the screen. ``height``: the terminal's lines (by default the console's, when
    it is a terminal); a summary that would not fit in it (with room for a question after it) says less,
    the details staying above."""
    if height is None and console.is_terminal:
        height = console.height
    room = None if height is None else max(8, height - SUMMARY_RESERVE)
    if plain:
        unicode_ok = can_encode(console, "█░•‼◐●○▲─")
        text = render_plain(
            result, unicode_ok, width=min(console.width, 100), bar=bar, stamp=stamp, room=room
        )
        console.print(text, markup=False, highlight=False, end="", soft_wrap=True)
    else:
        console.print(renderable(result, console))
        console.print(summary_renderable(result, console, stamp, room=room))


SUMMARY_RESERVE = 8  # lines kept free under the summary: the offer of a copy (its folder), its answer, the prompt
BRIEF = (0, 1, 2, 3, 4, 5)  # ever shorter summaries, tried in turn until one fits the screen (summary_lines)


def recap_lines(result: Result, unicode_ok: bool = True) -> list[tuple[str, str]]:
    """The headline and what to do first, as (style, line) pairs: said again after the offer of a copy, so
    that on a small screen they are still what the person reads at the end (the summary above may have
    scrolled off). Every emergency's step is said in full; otherwise the first (the soonest) step, in full
    with how soon."""
    s = view(result).summary
    sym = symbol_for(result, unicode_ok)
    bullet = "•" if unicode_ok else "-"
    emergency = _("EMERGENCY")
    tag = f"[{s.tag}] " if s.tag and s.tag.upper() not in s.title.upper() else ""
    out: list[tuple[str, str]] = [("level", f"{sym} {tag}{s.title}".strip())]
    todo = [i for i in s.todo if i.tag == emergency] or list(s.todo[:1])
    if todo:
        out.append(("heading", _("What to do now") if result.warning else _("What to do next")))
    for item in todo:
        label = f"[{item.tag}] " if item.tag else ""
        out.append((item.style, f"{bullet} {label}{item.text}"))
        if item.detail:  # what to do, in the warning sign's own words
            out.append(("", f"  {item.detail}"))
        out.extend(("flag" if item.style == "flag" else "dim", f"  {line}") for line in item.lines)
    if len(todo) < len(s.todo):
        out.append(("", _("The other steps are in your result above.")))
    out.append(("dim", _("It is a screening aid, not a diagnosis.")))
    return out


def print_recap(result: Result, console: Console, plain: bool = False) -> None:
    """:func:`recap_lines` under a heading (plain text for a screen reader; no frame, few lines)."""
    unicode_ok = can_encode(console, "•‼●○▲")
    lines = recap_lines(result, unicode_ok)
    if plain:
        text = "\n".join(["", _("Your result, once more:"), *wrap_lines([t for _s, t in lines], console.width)])
        console.print(text, markup=False, highlight=False, soft_wrap=True)
        return
    from rich.text import Text

    console.print()
    console.print(Text(_("Your result, once more:"), style="bold"))
    for row in _rows(lines, _styles(result)):
        console.print(row)
