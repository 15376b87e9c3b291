"""What a person is shown of a result, in which order: one decision for every format (screen, txt, md, html).

Under a warning sign (one that fired, or one that could not be ruled out) the person sees the warning
signs, what to do and how soon, first and again at the end; the physical-therapy reasons, the score, the
notes about pain areas and "what would change this result" are left out (they stay in the JSON result for
clinicians). A physical-therapy result shows why it was reached, the reasons found, the notes and what
would change it. Pure: renderers only lay these blocks out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from stm_screen.core.explain import URGENCY_ORDER, Finding, ModuleResult, Result, how_soon
from stm_screen.core.ruleset import UNSURE
from stm_screen.i18n import N_, _, current, ngettext

EMERGENCY = "emergency"
DISCUSS = N_("TALK TO YOUR DOCTOR")  # the tag of an instrument score pointed out for a doctor (never urgent)


class Item(NamedTuple):
    text: str
    detail: str = ""  # a paragraph under the item
    tag: str = ""  # a label in words before the text ('EMERGENCY'), never colour alone
    style: str = ""  # 'flag' (a warning), 'dim' (secondary), '' (plain)
    lines: tuple[str, ...] = ()  # short lines under the detail (answers, how soon)


class Block(NamedTuple):
    id: str  # a stable name (HTML section ids)
    heading: str
    items: tuple[Item, ...] = ()
    text: str = ""  # a paragraph before the items


class Summary(NamedTuple):
    """The short version: the headline, what to do and how soon. Shown last on a screen (so it is what the
    person sees when the result ends) and first on paper."""

    symbol: str
    title: str
    tag: str  # the kind of result in words ('EMERGENCY', 'SEE A DOCTOR', ''), never colour alone
    todo: tuple[Item, ...]


class View(NamedTuple):
    symbol: str
    title: str
    advice: str
    blocks: tuple[Block, ...]
    disclaimer: str
    summary: Summary


class Stamp(NamedTuple):
    """When a result was made and for whom (a reference, never a name): shown with every result."""

    created: datetime
    patient: str | None = None

    @property
    def when(self) -> str:
        return when_text(self.created)

    @property
    def line(self) -> str:
        if self.patient:
            return _("Patient reference {patient}, {when}").format(patient=self.patient, when=self.when)
        return self.when


def when_text(moment: datetime) -> str:
    """The date and time with its time zone, in the language shown: '2026-12-06 14:05 CET (UTC+01:00)',
    '2026-12-06 02:45 UTC' in English; in another language its own long date (Babel's CLDR data, imported
    only then): '6 de diciembre de 2026, 14:05 CET (UTC+01:00)'."""
    lang = current()
    if lang == "en":
        base = f"{moment:%Y-%m-%d %H:%M}"
    else:
        from babel.dates import format_skeleton

        day = format_skeleton("yMMMMd", moment, locale=lang.replace("-", "_"), fuzzy=True)
        base = f"{day}, {moment:%H:%M}"
    offset = moment.utcoffset()
    if offset is None:
        return base
    if offset == timedelta(0):
        return f"{base} UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    utc = f"UTC{sign}{hours:02d}:{mins:02d}"
    name = moment.tzname() or ""
    if not name or name.startswith(("UTC", "GMT")) or name[0] in "+-":
        return f"{base} {utc}"
    return f"{base} {name} ({utc})"


def urgency_tag(f: Finding) -> str:
    return _("EMERGENCY") if f.level == EMERGENCY else _("SEE A DOCTOR")


def how_soon_line(f: Finding) -> str:
    soon = how_soon(f.urgency)
    return _("How soon: {when}").format(when=soon) if soon else ""


def _answers(f: Finding) -> tuple[str, ...]:
    return tuple(f"{a.text} - {a.shown}" for a in f.answers)


def open_item(f: Finding) -> Item:
    """A warning sign left open: what to do if it fits, in full (its own advice: how soon, and what to do
    at once if it gets worse or must not be done meanwhile), the answers that left it open, and how soon."""
    return Item(
        f.title,
        _("If this fits you: {advice}").format(advice=f.explanation),
        urgency_tag(f),
        "flag",
        (*_answers(f), *_soon_lines(f)),
    )


def _soon_lines(f: Finding) -> tuple[str, ...]:
    """How soon, under a warning sign that is not an emergency (an emergency's advice says 'now'). Under an
    emergency that could not be ruled out because the person was not sure: what to do when they cannot
    tell (its advice says what to do if it fits; a clinician's read found nothing said in between)."""
    if f.level == EMERGENCY:
        if any(a.value == UNSURE for a in f.answers):
            return (_("If you cannot tell whether this fits you, contact a doctor today."),)
        return ()
    line = how_soon_line(f)
    return (line,) if line else ()


CRITERIA_GAP = (
    "Some questions about your pain were not answered. They count as 'no' here, so this result may be "
    "lower than it should be: answering them could change it."
)  # English, for tests; shown through _() below


def criteria_gap(result: Result) -> str:
    """What to say next to a physical-therapy headline when questions behind its reasons were left
    unanswered and answering one could change the result (else ''); never under a warning sign."""
    if not result.criteria_undetermined or result.warning:
        return ""
    could_change = any(c.current is None for c in result.what_would_change)
    return (
        _(
            "Some questions about your pain were not answered. They count as 'no' here, so this result may be "
            "lower than it should be: answering them could change it."
        )
        if could_change
        else ""
    )


def sources(result: Result) -> list[tuple[str, list[str]]]:
    """Each source behind what is shown, with the titles it backs (first-seen order)."""
    shown = (
        [*result.red_flags, *open_signs(result)[0]]  # the signs said in full (see open_signs)
        if result.warning
        else [*result.findings, *([result.reason] if result.reason else [])]
    )
    out: dict[str, tuple[str, list[str]]] = {}
    for f in shown:
        if not f.source:
            continue
        citation = " ".join(str(f.source.get("citation", "")).split())
        url = f.source.get("url")
        if url:
            citation = f"{citation} {url}"
        key = str(f.source.get("id", citation))
        out.setdefault(key, (citation, []))[1].append(f.title or _("Why this result"))
    return list(out.values())


def _sources_block(result: Result) -> Block | None:
    cited = sources(result)
    if not cited:
        return None
    items = tuple(
        Item(c, lines=(_("For: {titles}").format(titles="; ".join(t)),), style="dim") for c, t in cited
    )
    return Block("sources", _("Sources"), items)


def view(result: Result) -> View:
    blocks: list[Block] = []
    if result.warning:
        blocks.extend(_warning_blocks(result))
    else:
        blocks.extend(_pt_blocks(result))
    return View(result.symbol, result.title, result.advice, tuple(blocks), result.disclaimer, summary(result))


def level_kind(result: Result) -> str:
    """'emergency', 'see_doctor', or '' for a physical-therapy or self-care result (whatever the language)."""
    if result.level == EMERGENCY or any(f.level == EMERGENCY for f in result.red_flags):
        return "emergency"
    if result.warning:
        return "see_doctor"
    return ""


def level_tag(result: Result) -> str:
    """The kind of result in words: EMERGENCY, SEE A DOCTOR, or '' for a physical-therapy or self-care one."""
    kind = level_kind(result)
    if kind == "emergency":
        return _("EMERGENCY")
    return _("SEE A DOCTOR") if kind else ""


def soonest_first(f: Finding) -> tuple[bool, int]:
    """A sort key: emergencies first, then by how soon to act (a stable sort keeps the rules' order); an
    urgency the rules do not name comes last."""
    rank = URGENCY_ORDER.index(f.urgency) if f.urgency in URGENCY_ORDER else -1  # (least urgent first)
    return (f.level != EMERGENCY, -rank)


def summary(result: Result) -> Summary:
    """Headline, what to do and how soon: under warning signs, each sign that fired (what to do, how
    soon) and each that could not be checked (what to do if it fits), emergencies first; else the next
    steps."""
    if not result.warning:
        # a questionnaire score pointed out for a talk with a doctor is said here too, after the next steps
        # (the summary is what stays on screen): what it means, never as a warning sign
        discuss = [
            Item(line.text, line.message, _(DISCUSS))
            for m in result.modules
            if m.answered
            for line in m.scores
            if line.flag
        ]
        return Summary(
            result.symbol, result.title, level_tag(result), (*(Item(s) for s in result.next_steps), *discuss)
        )
    fired = [
        (f, Item(f.title, f.explanation, urgency_tag(f), "flag", tuple(filter(None, [how_soon_line(f)]))))
        for f in result.red_flags
    ]
    said, rest = open_signs(result, summary=True)
    # An emergency comes first: after one, the signs not checked are counted (after a stop, every question
    # left is among them). Without one, the summary counts them too when there are many (a mostly blank
    # record), so that a sign that fired is not buried under them; the details list each. One the person
    # answered 'Not sure' is still said in full (what to do, how soon), never counted under 'see a doctor'.
    opened = [(f, summary_open_item(f)) for f in said]
    # soonest first, whether it fired or could not be checked (a sign that fired first at the same urgency)
    todo = [item for _f, item in sorted([*fired, *opened], key=lambda pair: soonest_first(pair[0]))]
    if rest:
        todo.append(Item(unasked_line(len(rest), result, rest), tag=_("SEE A DOCTOR"), style="flag"))
    if result.unchecked:
        todo.extend(Item(s) for s in result.next_steps)
    return Summary(result.symbol, result.title, level_tag(result), tuple(todo))


FEW_UNASKED = 3  # unanswered warning signs beside an emergency that are each named (more are counted)


def open_signs(result: Result, summary: bool = False) -> tuple[list[Finding], list[Finding]]:
    """After an emergency, the warning signs that could not be checked: those the person answered 'Not
    sure' (said in full) and the others, only counted when there are more than a few (after a stop, every
    question left is among them: a list of what was never asked would bury the emergency). Without an
    emergency: all, and none counted; in the ``summary``, the unanswered ones are counted the same way (a
    mostly blank record would bury the signs that fired and those answered 'Not sure')."""
    open_ = list(result.red_flags_not_ruled_out)
    if not open_ or not (summary or any(f.level == EMERGENCY for f in result.red_flags)):
        return open_, []
    said = [f for f in open_ if any(a.value == UNSURE for a in f.answers)]
    rest = [f for f in open_ if f not in said]
    if len(rest) <= FEW_UNASKED:  # a few left unanswered (a file, say): each still named
        return open_, []
    return said, rest


def unasked_line(n: int, result: Result | None = None, rest: list[Finding] | None = None) -> str:
    """The one line for the warning signs counted by :func:`open_signs` (no 'above' or 'below': the summary
    is last on a screen and first on paper). After an emergency: get help for it first. Else (a summary's
    count, see :func:`open_signs`): how many of them would be an emergency if they fit, and where each is."""
    if result is None or any(f.level == EMERGENCY for f in result.red_flags):
        return ngettext(
            "The questions about {n} other warning sign were not answered, so it was not checked. Get help "
            "for the emergency first, then tell the doctor or nurse that this check was not finished.",
            "The questions about {n} other warning signs were not answered, so they were not checked. Get "
            "help for the emergency first, then tell the doctor or nurse that this check was not finished.",
            n,
        ).format(n=n)
    urgent = sum(1 for f in rest or () if f.level == EMERGENCY)
    counted = ngettext(
        "The questions about {n} warning sign were not answered, so it was not checked.",
        "The questions about {n} warning signs were not answered, so they were not checked.",
        n,
    ).format(n=n)
    if urgent:
        counted += " " + ngettext(
            "{k} of them needs emergency help at once if it fits you.",
            "{k} of them need emergency help at once if they fit you.",
            urgent,
        ).format(k=urgent)
    return counted + " " + _(
        "Each one is listed in the details of this result, with what to do if it fits you. Answer those "
        "questions, or show this result to a doctor or nurse."
    )


def summary_open_item(f: Finding) -> Item:
    """A warning sign that could not be checked, in the summary: what to do if it fits, and how soon."""
    title = _("Could not be checked: {sign}").format(sign=f.title)
    return Item(title, _("If this fits you: {advice}").format(advice=f.explanation), urgency_tag(f), "flag", _soon_lines(f))


def _warning_blocks(result: Result) -> list[Block]:
    out: list[Block] = []
    if result.red_flags:
        out.append(
            Block(
                "red-flags",
                _("Warning signs: act on these first"),
                tuple(
                    Item(
                        f.title,
                        f.explanation,
                        urgency_tag(f),
                        "flag",
                        tuple(filter(None, [how_soon_line(f)])),
                    )
                    for f in sorted(result.red_flags, key=soonest_first)
                ),
            )
        )
    if result.red_flags_not_ruled_out:
        said, rest = open_signs(result)
        if rest:  # after an emergency: those answered 'Not sure' in full, the others counted in one line
            out.append(
                Block(
                    "not-ruled-out",
                    _("Warning signs that could not be checked"),
                    tuple(open_item(f) for f in sorted(said, key=soonest_first)),
                    unasked_line(len(rest)),
                )
            )
        else:
            out.append(
                Block(
                    "not-ruled-out",
                    _("Warning signs that could not be checked"),
                    tuple(open_item(f) for f in sorted(result.red_flags_not_ruled_out, key=soonest_first)),
                    _("You answered 'Not sure' to these questions, or they were not answered."),
                )
            )
    if result.warning_notes:  # the few notes that matter beside a warning sign (a recent injury, say)
        out.append(Block("notes", _("About your pain"), tuple(Item(n) for n in result.warning_notes)))
    instruments = instruments_block(result)
    if instruments is not None:
        out.append(instruments)
    if result.next_steps:
        out.append(Block("next-steps", _("Next steps"), tuple(Item(s) for s in result.next_steps)))
    cited = _sources_block(result)
    if cited is not None:
        out.append(cited)
    # What to do and how soon come again in the summary (see ``summary``): last on a screen.
    return out


def _pt_blocks(result: Result) -> list[Block]:
    out: list[Block] = []
    gap = criteria_gap(result)
    if gap:
        out.append(Block("not-answered-criteria", "", text=gap))
    if result.reason is not None:
        out.append(Block("why-result", _("Why this result"), text=result.reason.explanation))
    if result.score is not None and result.max_score is not None:
        out.append(Block("score", _("Score")))
    if result.findings:
        out.append(
            Block(
                "why",
                _("Reasons found in your answers"),
                tuple(Item(f.title, f.explanation, lines=_answers(f), style="") for f in result.findings),
            )
        )
    if result.criteria_not_met:
        out.append(
            Block(
                "not-met", _("Not found"), tuple(Item(f.title, style="dim") for f in result.criteria_not_met)
            )
        )
    unanswered = [m for m in result.missing if not m.safety]
    if unanswered:
        out.append(Block("not-answered", _("Not answered"), tuple(Item(m.text) for m in unanswered)))
    if result.notes:
        out.append(Block("notes", _("About your pain"), tuple(Item(n) for n in result.notes)))
    if result.level is not None:
        changes = tuple(Item(c.summary) for c in result.what_would_change) or (
            Item(_("Changing one answer about your pain would not change this result.")),
        )
        out.append(Block("change", _("What would change this result"), changes))
    instruments = instruments_block(result)
    if instruments is not None:
        out.append(instruments)
    # The next steps are what to do: they come in the summary (see ``summary``).
    cited = _sources_block(result)
    if cited is not None:
        out.append(cited)
    return out


def module_items(module: ModuleResult, warning: bool = False) -> list[Item]:
    """One instrument's lines: each score ("PHQ-4: 7 of 12, moderate"), what a pointed-out band means
    (not under a warning sign: only the warning signs' advice is given there), its warnings and copyright."""
    items: list[Item] = []
    for line in module.scores:
        if line.flag and not warning:
            items.append(Item(line.text, line.message, _(DISCUSS)))
        else:
            items.append(Item(line.text))
    items.extend(Item(text, style="dim") for text in module.warnings)
    if module.copyright:
        items.append(Item(module.copyright, style="dim"))
    return items


def instruments_block(result: Result) -> Block | None:
    """The instruments asked beside the screening, in their own part of the result. They never change the
    screening's level; a score pointed out for a doctor is labelled so, never as a warning sign."""
    shown = [m for m in result.modules if m.answered]
    if not shown:
        return None
    items = tuple(item for m in shown for item in module_items(m, result.warning))
    return Block(
        "instruments",
        _("Questionnaires"),
        items,
        _("These questionnaires are scored on their own; they do not change the result above."),
    )


def score_words(result: Result) -> str:
    if result.score is None or result.max_score is None:
        return ""
    return ngettext(
        "{score} of the {total} reason on the article's list",
        "{score} of the {total} reasons on the article's list",
        int(result.max_score) if float(result.max_score).is_integer() else 2,
    ).format(score=f"{result.score:g}", total=f"{result.max_score:g}")
