"""A patient's screenings over time: a table per instrument score with the change between visits and
whether it reaches the minimal important change, and (``--plot``) a small chart in the terminal or an
inline SVG chart in HTML. Values are always written out: a chart is never the only way to read them."""

from __future__ import annotations

import html
from collections.abc import Sequence

from stm_screen.core.trend import Series, Step, Visit, threshold_words
from stm_screen.i18n import N_, _, current, ngettext

BAR = 20


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _signed(value: float) -> str:
    text = _num(abs(value))
    return f"+{text}" if value > 0 else (f"-{text}" if value < 0 else "0")


def change_words(s: Step, series: Series) -> str:
    """'-1.3 (-21%), better; reaches 1 point (reed2024), not 30% (cdc2016)'."""
    pct = f" ({_signed(round(s.percent))}%)" if s.percent is not None else ""
    head = f"{_signed(s.change)}{pct}"
    if s.direction == "same":
        return _("{change}, no change").format(change=head)
    if s.direction == "better":
        head = _("{change}, better").format(change=head)
    elif s.direction == "worse":
        head = _("{change}, worse").format(change=head)
    if not series.thresholds:
        return head
    if s.important:
        return _("{change}: larger than the minimal important change").format(change=head)
    if s.reached:
        return _("{change}; reaches {reached}, not {missed}").format(
            change=head, reached=", ".join(s.reached), missed=", ".join(s.missed)
        )
    return _("{change}; smaller than the minimal important change").format(change=head)


def heading(series: Series) -> str:
    parts = []
    if series.better == "lower":
        parts.append(_("lower is better"))
    elif series.better == "higher":
        parts.append(_("higher is better"))
    elif series.better:
        parts.append(_("{direction} is better").format(direction=series.better))
    if series.thresholds:
        words = [threshold_words(t) for t in series.thresholds]
        joined = words[0]
        for word in words[1:]:
            joined = _("{first} and {second}").format(first=joined, second=word)
        parts.append(_("minimal important change: {thresholds}").format(thresholds=joined))
    name = f"{series.name} [{series.module} {series.version}]" if series.split else series.name
    return name + (f" ({'; '.join(parts)})" if parts else "")


SPLIT_NOTE = N_(
    "An instrument's rules changed between screenings (another version or scale): its scores under each "
    "version are shown apart and never compared with each other."
)
IMPORTANT_NOTE = N_(
    "A change is shown as important only when it reaches every threshold of the instrument's minimal "
    "important change (each from its source)."
)


def bar(value: float, low: float, high: float, unicode_ok: bool) -> str:
    span = high - low
    share = 0.0 if span <= 0 else max(0.0, min(1.0, (value - low) / span))
    eighths = round(share * BAR * 8)
    if not unicode_ok:
        full = round(share * BAR)
        return "#" * full + "." * (BAR - full)
    blocks = " ▏▎▍▌▋▊▉"
    out = "█" * (eighths // 8) + (blocks[eighths % 8] if eighths % 8 else "")
    return out + " " * (BAR - len(out))


def _when(date: str) -> str:
    """'2026-12-06 14:02' from an ISO date-time (UTC)."""
    return date[:16].replace("T", " ")


def trend_text(
    patient: str,
    visits: Sequence[Visit],
    series: Sequence[Series],
    *,
    plot: bool = False,
    unicode_ok: bool = True,
    width: int = 80,
) -> str:
    from stm_screen.render.text import wrap_lines

    lines: list[str] = []
    if not visits:
        return _("Patient {ref}: no saved screenings").format(ref=patient) + "\n"
    first, last = visits[0].date[:10], visits[-1].date[:10]
    count = ngettext("{n} saved screening", "{n} saved screenings", len(visits)).format(n=len(visits))
    span = _("{first} to {last}").format(first=first, last=last) if first != last else first
    lines.append(
        _("Patient {ref}: {count}, {span} (times in UTC)").format(ref=patient, count=count, span=span)
    )
    lines += ["", _("Screenings")]
    for v in visits:
        score = " " + _("(score {score})").format(score=_num(v.score)) if v.score is not None else ""
        level = v.level or _("(incomplete)")
        lines.append(f"  #{v.record:<4} {_when(v.date)}  {level}{score}, {v.ruleset}")
    shown = [s for s in series if s.points]
    for s in shown:
        lines += ["", heading(s)]
        if plot:
            lines.append(f"  {'':<5} {'':<16}  {_num(s.low):<{BAR // 2}}{_num(s.high):>{BAR - BAR // 2}}")
        previous = {st.to_record: st for st in s.steps}
        for p in s.points:
            chart = f"  {bar(p.value, s.low, s.high, unicode_ok)}" if plot else ""
            band = f"  {p.band}" if p.band else ""
            lines.append(f"  #{p.record:<4} {_when(p.date)}{chart}  {_num(p.value):>5}{band}")
            if p.record in previous:
                lines.append(f"        {change_words(previous[p.record], s)}")
        if s.overall is not None and len(s.points) > 2:
            lines.append("  " + _("First to last: {change}").format(change=change_words(s.overall, s)))
    unscored = [s.name for s in series if not s.points]
    if unscored:
        lines += ["", _("Not scored in any screening: {names}").format(names=", ".join(unscored))]
    if any(s.split for s in shown):
        lines += ["", _(SPLIT_NOTE)]
    if any(s.thresholds for s in shown):
        lines += ["", _(IMPORTANT_NOTE)]
    return "\n".join(wrap_lines(lines, max(width, 40))) + "\n"


def _svg(series: Series, width: int = 520, height: int = 160) -> str:
    """A line chart of one score over the visits, with the values written at each point."""
    pad_l, pad_r, pad_t, pad_b = 40, 20, 16, 28
    pts = series.points
    span = (series.high - series.low) or 1.0
    n = len(pts)

    def x(i: int) -> float:
        return pad_l + (0 if n == 1 else i * (width - pad_l - pad_r) / (n - 1))

    def y(v: float) -> float:
        return pad_t + (1 - (v - series.low) / span) * (height - pad_t - pad_b)

    label = html.escape(
        _("{name} over time: {values}").format(
            name=series.name, values=", ".join(f"{p.date[:10]} {_num(p.value)}" for p in pts)
        )
    )
    parts = [
        f"<svg class='chart' viewBox='0 0 {width} {height}' width='{width}' height='{height}' role='img' "
        f"aria-label='{label}'>",
        f"<line x1='{pad_l}' y1='{y(series.low):.1f}' x2='{width - pad_r}' y2='{y(series.low):.1f}' class='axis'/>",
        f"<text x='{pad_l - 6}' y='{y(series.high) + 4:.1f}' text-anchor='end'>{_num(series.high)}</text>",
        f"<text x='{pad_l - 6}' y='{y(series.low) + 4:.1f}' text-anchor='end'>{_num(series.low)}</text>",
    ]
    if n > 1:
        path = " ".join(f"{x(i):.1f},{y(p.value):.1f}" for i, p in enumerate(pts))
        parts.append(f"<polyline points='{path}' class='line'/>")
    for i, p in enumerate(pts):
        parts.append(f"<circle cx='{x(i):.1f}' cy='{y(p.value):.1f}' r='4'/>")
        parts.append(
            f"<text x='{x(i):.1f}' y='{y(p.value) - 8:.1f}' text-anchor='middle'>{_num(p.value)}</text>"
        )
        parts.append(
            f"<text x='{x(i):.1f}' y='{height - 8}' text-anchor='middle'>{html.escape(p.date[:10])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1b1b1b;
  max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 1.5rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; border-bottom: 1px solid #ccc; padding: .25rem .4rem; vertical-align: top; }
.chart text { font-size: 11px; fill: #333; } .chart .axis { stroke: #999; }
.chart .line { fill: none; stroke: #1f4fa3; stroke-width: 2; } .chart circle { fill: #1f4fa3; }
.important { font-weight: 700; } .small { color: #555; font-size: .9rem; }
@media print { body { margin: 0; max-width: none; } h2, tr { break-inside: avoid; } }
"""


def trend_html(patient: str, visits: Sequence[Visit], series: Sequence[Series], *, plot: bool = False) -> str:
    e = html.escape
    title = e(_("Screenings of patient {ref}").format(ref=patient))
    cells = "".join(f"<th>{e(h)}</th>" for h in ("#", _("Saved (UTC)"), _("Result"), _("Score"), _("Rules")))
    out = [
        f"<!DOCTYPE html>\n<html lang='{current()}'>\n<head>\n<meta charset='utf-8'>\n",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n",
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n",
        f"<h1>{title}</h1>\n",
        "<h2>" + e(_("Screenings")) + f"</h2><table><thead><tr>{cells}</tr></thead><tbody>",
    ]
    for v in visits:
        score = _num(v.score) if v.score is not None else "-"
        level = v.level or _("(incomplete)")
        out.append(
            f"<tr><td>{v.record}</td><td>{e(v.date)}</td><td>{e(level)}</td>"
            f"<td>{score}</td><td>{e(v.ruleset)}</td></tr>"
        )
    out.append("</tbody></table>\n")
    for s in series:
        if not s.points:
            continue
        out.append(f"<section><h2>{e(heading(s))}</h2>")
        if plot:
            out.append(_svg(s))
        previous = {st.to_record: st for st in s.steps}
        heads = "".join(f"<th>{e(h)}</th>" for h in ("#", _("Date"), _("Score"), _("Band"), _("Change")))
        out.append(f"<table><thead><tr>{heads}</tr></thead><tbody>")
        for p in s.points:
            st = previous.get(p.record)
            change = e(change_words(st, s)) if st else ""
            cls = " class='important'" if st is not None and st.important else ""
            out.append(
                f"<tr><td>{p.record}</td><td>{e(p.date[:10])}</td><td>{_num(p.value)}</td><td>{e(p.band)}</td>"
                f"<td{cls}>{change}</td></tr>"
            )
        out.append("</tbody></table>")
        if s.overall is not None and len(s.points) > 2:
            overall = _("First to last: {change}").format(change=change_words(s.overall, s))
            out.append(f"<p>{e(overall)}</p>")
        out.append("</section>\n")
    if any(s.split and s.points for s in series):
        split = _(SPLIT_NOTE)
        out.append(f"<p>{e(split)}</p>\n")
    note = e(_(IMPORTANT_NOTE) + " " + _("A screening aid, not a diagnosis."))
    out.append(f"<p class='small'>{note}</p>\n</body>\n</html>\n")
    return "".join(out)
