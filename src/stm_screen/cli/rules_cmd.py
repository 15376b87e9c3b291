"""``stm-screen rules check|show|schema``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from stm_screen.core.ruleset import Question, Ruleset
from stm_screen.errors import UsageError
from stm_screen.i18n import _, ngettext

SHOW_FORMATS = ("table", "json")


def check(
    path: str | None, with_modules: str | None = None, texts: str | None = None, lang: str | None = None
) -> None:
    from stm_screen.i18n import use_language
    from stm_screen.screening import check_rules

    use_language(lang)
    ruleset, report = check_rules(path, with_modules, texts)
    if ruleset.warnings:
        from stm_screen.cli.errors import say_warning

        for warning in ruleset.warnings:
            say_warning(_("stm-screen: warning: {problem}").format(problem=warning))
    own = [q for q in ruleset.questions if q.module is None]
    if not ruleset.levels and not ruleset.red_flags:  # an instrument module on its own
        own = list(ruleset.questions)
        sys.stdout.write(
            _(
                "ok: module {id} {version} ({origin}): {questions}, {scores}, item text {item_text}, licence "
                "{license}; {passed}"
            ).format(
                id=ruleset.id,
                version=ruleset.version,
                origin=ruleset.origin,
                questions=ngettext("{n} question", "{n} questions", len(own)).format(n=len(own)),
                scores=ngettext("{n} score", "{n} scores", len(ruleset.scores)).format(n=len(ruleset.scores)),
                item_text=ruleset.item_text,
                license=ruleset.license,
                passed=ngettext(
                    "{passed} of {n} example pass", "{passed} of {n} examples pass", report.total
                ).format(passed=report.passed, n=report.total),
            )
            + "\n"
        )
    else:
        counts = ", ".join(
            (
                ngettext("{n} question", "{n} questions", len(own)).format(n=len(own)),
                ngettext("{n} warning sign", "{n} warning signs", len(ruleset.red_flags)).format(
                    n=len(ruleset.red_flags)
                ),
                ngettext("{n} criterion", "{n} criteria", len(ruleset.criteria)).format(
                    n=len(ruleset.criteria)
                ),
                ngettext(
                    "{passed} of {n} example pass", "{passed} of {n} examples pass", report.total
                ).format(passed=report.passed, n=report.total),
            )
        )
        sys.stdout.write(
            _("ok: {id} {version} ({origin}): {counts}").format(
                id=ruleset.id, version=ruleset.version, origin=ruleset.origin, counts=counts
            )
            + "\n"
        )
    for mod in ruleset.modules:
        n_scores = sum(1 for s in ruleset.scores if s.module == mod.id)
        sys.stdout.write(
            "  "
            + _(
                "with module {id} {version} ({short}): {questions}, {scores}, item text {item_text}, licence {license}"
            ).format(
                id=mod.id,
                version=mod.version,
                short=mod.short,
                questions=ngettext("{n} question", "{n} questions", len(mod.questions)).format(
                    n=len(mod.questions)
                ),
                scores=ngettext("{n} score", "{n} scores", n_scores).format(n=n_scores),
                item_text=mod.item_text,
                license=mod.license,
            )
            + "\n"
        )
    if texts is not None:
        supplied = sum(1 for q in ruleset.questions if q.supplied)
        sys.stdout.write(
            "  "
            + _("texts {file}: wording for {items}").format(
                file=texts, items=ngettext("{n} item", "{n} items", supplied).format(n=supplied)
            )
            + "\n"
        )
    from stm_screen.cli.opts import tell_notices

    tell_notices(ruleset)




def _question(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": q.id,
        "text": str(q.text),
        "help": str(q.help) or None,
        "type": q.type,
        "min": q.min,
        "max": q.max,
        "unit": str(q.unit) or None,
        "choices": [{"id": c.id, "label": str(c.label), "value": c.value} for c in q.choices],
        "section": q.section,
        "safety": q.safety,
        "required": q.required,
        "ask_if": q.ask_if.source if q.ask_if else None,
        "unsure": q.unsure,
        "unsure_means_yes": {"source": q.unsure_source} if q.unsure_yes else None,
    }
    return out


def describe(ruleset: Ruleset) -> dict[str, Any]:
    """The ruleset as plain data (what ``rules show --format json`` prints)."""
    return {
        "id": ruleset.id,
        "version": ruleset.version,
        "title": str(ruleset.title),
        "description": str(ruleset.description),
        "sha256": ruleset.sha256,
        "languages": list(ruleset.languages),
        "lang": ruleset.lang,
        "questions": [_question(q) for q in ruleset.questions],
        "red_flags": [
            {
                "id": r.id,
                "when": r.when.source,
                "level": r.level,
                "title": str(r.title),
                "source": r.source.id,
                **({"if_not_ruled_out": list(r.if_not_ruled_out)} if r.if_not_ruled_out else {}),
            }
            for r in ruleset.red_flags
        ],
        "criteria": [
            {
                "id": c.id,
                "when": c.when.source,
                "points": c.points,
                "title": str(c.title),
                "source": c.source.id,
            }
            for c in ruleset.criteria
        ],
        "scores": [
            {
                "id": s.id,
                "method": s.method,
                "criteria": list(s.criteria),
                "items": list(s.items),
                "min": s.low,
                "max": s.high,
                "module": s.module,
                "missing": s.missing if s.items else None,
                "min_answered": s.min_answered if s.items else None,
                "round": s.round,
                "bands": [
                    {
                        "id": b.id,
                        "label": str(b.label),
                        "min": b.min,
                        "max": b.max,
                        "flag": b.flag,
                        "source": b.source.id,
                    }
                    for b in s.bands
                ],
            }
            for s in ruleset.scores
        ],
        "modules": [
            {
                "id": m.id,
                "version": m.version,
                "title": str(m.title),
                "license": m.license,
                "copyright": " ".join(m.copyright.split()),
                "source": " ".join(m.source.split()),
                "item_text": m.item_text,
                "questions": [q.id for q in m.questions],
            }
            for m in ruleset.modules
        ],
        "levels": [{"id": lv.id, "title": str(lv.title)} for lv in ruleset.levels],
        "outcomes": [
            {
                "level": o.level,
                "when": o.when.source if o.when else None,
                "score": o.score,
                "min": o.min,
                "max": o.max,
            }
            for o in ruleset.outcomes
        ],
        "sources": [{"id": s.id, "citation": s.citation} for s in ruleset.sources.values()],
    }


def texts_template(
    rules: str | None, with_modules: str | None, output: Path | None, *, force: bool = False
) -> None:
    """A wording file to fill in: every item whose text the clinic supplies, with what it takes."""
    import yaml

    from stm_screen.core.answers import allowed
    from stm_screen.io.sameness import (
        loaded_paths,
        module_paths,
        paths_of,
        refuse_output_over_inputs,
        rules_paths,
    )
    from stm_screen.screening import load_rules

    read = paths_of("--rules", rules_paths(rules)) + paths_of("--with", module_paths(with_modules))
    refuse_output_over_inputs(output, read)
    from stm_screen.io.atomic import is_special

    # a wording file filled in by the clinic is not replaced unasked (a device is written in place)
    if output is not None and not force and output.exists() and not is_special(output):
        raise UsageError(
            _("--output {path}: already exists; use --force to overwrite it (nothing was written)").format(
                path=output
            )
        )
    ruleset = load_rules(rules, with_modules)
    refuse_output_over_inputs(output, loaded_paths(ruleset))
    supplied = [q for q in ruleset.questions if q.supplied]
    if not supplied:
        names = ", ".join(m.id for m in ruleset.modules) or ruleset.id
        raise UsageError(
            _(
                "no item of {names} needs the clinic's wording (their text is shipped); add an instrument "
                "whose text is supplied, e.g. --with peg"
            ).format(names=names)
        )
    # Comments for the clinic's editor, in the language of whoever asked (the keys stay as they are).
    header = _(
        "The clinic's wording of licensed instruments, for stm-screen --texts FILE.\n"
        "Fill in each text from your licensed copy of the form; a text may be one string, or\n"
        "{en: ..., es: ...} for several languages. Check it with: stm-screen rules check --with ... --texts FILE"
    )
    lines = ["# " + line for line in header.split("\n")]
    owner: str | None = "\0"  # no owner yet: the first item starts a heading
    for q in supplied:
        mod = ruleset.module(q.module) if q.module else None
        if q.module != owner:
            owner = q.module
            lines += ["", f"# {mod.title if mod else ruleset.title}"]
            notice = mod.copyright if mod else ruleset.copyright
            if notice:
                import textwrap

                lines += ["# " + line for line in textwrap.wrap(" ".join(notice.split()), 100)]
        lines.append(f"{q.id}:  # {q.text}: {allowed(q)}")
        lines.append("  text: ''")
        if q.type in ("choice", "multi_choice"):
            lines.append("  choices:")
            lines += [f"    {c.id}: ''" for c in q.choices]
    text = "\n".join(lines) + "\n"
    yaml.safe_load(text)  # the template itself must read back
    if output is None:
        sys.stdout.write(text)
        return
    from stm_screen.io.atomic import write_text_atomic

    write_text_atomic(output, text, force=True)


def show(path: str | None, fmt: str, with_modules: str | None = None, lang: str | None = None) -> None:
    from stm_screen.screening import for_audience, load_rules

    if fmt not in SHOW_FORMATS:
        raise UsageError(
            _("unknown --format '{fmt}'; choose one of: {formats}").format(
                fmt=fmt, formats=", ".join(SHOW_FORMATS)
            )
        )
    ruleset = for_audience(load_rules(path, with_modules), lang=lang).ruleset
    if fmt == "json":
        from stm_screen.render.formats import printable_json

        text = json.dumps(describe(ruleset), indent=2, ensure_ascii=False) + "\n"
        sys.stdout.write(printable_json(text, getattr(sys.stdout, "encoding", None)))
        return
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from stm_screen.core.answers import allowed
    from stm_screen.render.console import make_console

    # Rules text is printed as it is: '[' in a title or question is text, never Rich markup.
    console = make_console()
    console.print(
        f"[bold]{escape(str(ruleset.title))}[/bold]  ({escape(f'{ruleset.id} {ruleset.version}')})",
        highlight=False,
    )
    questions = Table("id", _("question"), _("answer"), title=_("Questions"), show_lines=False)
    for q in ruleset.questions:
        extra = " " + _("[safety]") if q.safety else ""
        cond = "\n" + _("(asked if {condition})").format(condition=q.ask_if.source) if q.ask_if else ""
        takes = allowed(q)
        if q.unsure_yes:
            takes = _("{allowed} ('not sure' counts as yes)").format(allowed=takes)
        questions.add_row(Text(q.id), Text(f"{q.text}{extra}{cond}"), Text(takes))
    console.print(questions)
    flags = Table(
        "id", _("when"), _("level"), _("source"), title=_("Warning signs (override everything else)")
    )
    for r in ruleset.red_flags:
        when = r.when.source
        if r.if_not_ruled_out:
            when = _("{when}, and one of {ids} not ruled out").format(when=when, ids=", ".join(r.if_not_ruled_out))
        flags.add_row(*map(Text, (r.id, when, r.level, r.source.id)))
    console.print(flags)
    crit = Table("id", _("when"), _("points"), _("source"), title=_("Criteria"))
    for c in ruleset.criteria:
        crit.add_row(*map(Text, (c.id, c.when.source, f"{c.points:g}", c.source.id)))
    console.print(crit)
    outs = Table(_("level"), _("rule"), _("title"), title=_("Outcomes"))
    for o in ruleset.outcomes:
        if o.when is not None:
            rule = o.when.source
        else:
            lo = "" if o.min is None else f"{o.min:g} <= "
            hi = "" if o.max is None else f" <= {o.max:g}"
            rule = f"{lo}{o.score}{hi}"
        outs.add_row(*map(Text, (o.level, rule, str(ruleset.level_by_id[o.level].title))))
    console.print(outs)


def schema(output: Path | None) -> None:
    from stm_screen.core.model import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        from stm_screen.render.formats import printable_json

        sys.stdout.write(printable_json(text, getattr(sys.stdout, "encoding", None)))
        return
    from stm_screen.io.atomic import write_text_atomic
    from stm_screen.io.sameness import refuse_output_over_inputs

    refuse_output_over_inputs(output, [])
    write_text_atomic(output, text, force=True)
