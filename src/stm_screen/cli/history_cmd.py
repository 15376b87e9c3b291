"""``stm-screen history``: list, show, export, delete and purge saved screenings.

Messages name record ids and counts only: never a patient reference or an answer.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stm_screen.cli.errors import say_info
from stm_screen.errors import Interrupted, UsageError
from stm_screen.i18n import _, ngettext

if TYPE_CHECKING:
    from stm_screen.core.ruleset import Ruleset
    from stm_screen.store.history import Record

LIST_FORMATS = ("table", "json", "csv")
SHOW_FORMATS = ("text", "json", "fhir")
EXPORT_FORMATS = ("csv", "jsonl", "fhir")
SUMMARY_COLUMNS = (
    "id",
    "created_at",
    "patient",
    "ruleset_id",
    "ruleset_version",
    "ruleset_sha256",
    "tool_version",
    "level",
    "level_title",
    "score",
)


def _choose(fmt: str, allowed: tuple[str, ...]) -> str:
    if fmt not in allowed:
        raise UsageError(
            _("unknown --format '{format}'; choose one of: {choices}").format(
                format=fmt, choices=", ".join(allowed)
            )
        )
    return fmt


def parse_when(text: str, option: str) -> datetime:
    """A date (``YYYY-MM-DD``, taken as UTC midnight) or an ISO date-time, as an aware UTC datetime."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            _("{option}: '{value}' is not a date; use YYYY-MM-DD (for example 2024-03-05)").format(
                option=option, value=value
            )
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before the first representable UTC moment
        raise UsageError(
            _("{option}: '{value}' is outside the dates this tool can handle").format(
                option=option, value=value
            )
        ) from None


def _iso(moment: datetime) -> str:
    # Not strftime("%Y"): glibc does not zero-pad years before 1000, and the store compares these as text.
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"


def _filters(patient: str | None, since: str | None) -> tuple[str | None, str | None]:
    from stm_screen.store.records import check_patient_ref

    ref = check_patient_ref(patient) if patient is not None else None
    when = _iso(parse_when(since, "--since")) if since is not None else None
    return ref, when


def _report_damaged(damaged: list[int], path: Path) -> None:
    """After a listing or an export: the screenings left out because their stored data is damaged (exit 3:
    the others were listed)."""
    if not damaged:
        return
    from stm_screen.errors import StoreError

    ids = ", ".join(str(i) for i in damaged[:20])
    if len(damaged) > 20:
        ids = _("{ids} and {n} more").format(ids=ids, n=len(damaged) - 20)
    raise StoreError(
        ngettext(
            "{path}: saved screening {ids} cannot be read (the stored data is damaged) and was left out; the "
            "other screenings are listed",
            "{path}: saved screenings {ids} cannot be read (the stored data is damaged) and were left out; the "
            "other screenings are listed",
            len(damaged),
        ).format(path=path, ids=ids)
    )


def _storable(record_id: int) -> bool:
    """SQLite integers are 64-bit: a larger id cannot be in the store (and would overflow the query)."""
    return -(2**63) <= record_id < 2**63


def _not_found(record_id: int) -> UsageError:
    return UsageError(
        _("there is no saved screening with id {id} (see 'stm-screen history list')").format(id=record_id)
    )


# --- list ---------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """A value as text (the table); CSV cells are then written by the one cell writer (io.csvcells)."""
    if value is None:
        return ""
    if isinstance(value, float):
        from stm_screen.interop.conditions import plain_number

        return plain_number(value)
    return str(value)


def list_(*, patient: str | None, since: str | None, fmt: str) -> None:
    _choose(fmt, LIST_FORMATS)
    from stm_screen.store import open_store

    ref, when = _filters(patient, since)
    with open_store(create=False) as store:
        damaged: list[int] = []
        rows = [r.summary() for r in store.records(patient_ref=ref, since=when, damaged=damaged)]
    _write_list(rows, fmt, ref, when)
    _report_damaged(damaged, store.path)


def _write_list(rows: list[dict[str, Any]], fmt: str, ref: str | None, when: str | None) -> None:
    out = sys.stdout
    if fmt == "json":
        out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        from stm_screen.io.csvcells import CsvOut

        writer = CsvOut(out)
        writer.writerow(SUMMARY_COLUMNS)
        writer.writerows([r[c] for c in SUMMARY_COLUMNS] for r in rows)
        return
    if not rows:
        say_info(_("no saved screenings match") if ref or when else _("no saved screenings"))
        return
    headers = (_("ID"), _("SAVED (UTC)"), _("PATIENT"), _("RULESET"), _("RESULT"), _("SCORE"))
    table = [
        (
            str(r["id"]),
            r["created_at"],
            r["patient"] or "-",
            f"{r['ruleset_id']} {r['ruleset_version']}",
            r["level_title"] or r["level"] or _("(incomplete)"),
            _cell(r["score"]) or "-",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    for line in (headers, *table):
        out.write("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() + "\n")


# --- show ---------------------------------------------------------------------------------------------


_RULESETS: dict[tuple[str, str], Ruleset | None] = {}


def _record_modules(record: Record) -> list[str]:
    info = record.result.get("ruleset") if isinstance(record.result, dict) else None
    mods = info.get("modules") if isinstance(info, dict) else None
    if not isinstance(mods, list):
        return []
    return [str(m["id"]) for m in mods if isinstance(m, dict) and isinstance(m.get("id"), str)]


def ruleset_for(record: Record) -> Ruleset | None:
    """The bundled ruleset a record was scored with (and its instrument modules), if it is still here
    unchanged (same hash)."""
    key = (record.ruleset_id, record.ruleset_sha256)
    if key not in _RULESETS:
        found: Ruleset | None = None
        try:
            from stm_screen.screening import load_rules

            candidate = load_rules(record.ruleset_id, _record_modules(record))
            if candidate.sha256 == record.ruleset_sha256:
                found = candidate
        except Exception:  # noqa: BLE001 - any failure means "not available"; types are then inferred
            found = None
        _RULESETS[key] = found
    return _RULESETS[key]


def fhir_entries(record: Record) -> list[dict[str, Any]]:
    from stm_screen.interop.fhir import bundle_for_record

    return bundle_for_record(
        record.result,
        answers=record.answers,
        types=record.answer_types,
        ruleset=ruleset_for(record),
        patient=record.patient_ref,
        authored=record.created_at,
        key=f"history:{record.id}:{record.created_at}",
    )


def _in_language(record: Record, lang: str | None) -> Any:
    """The saved screening explained again in ``lang`` when the rules it was scored with are still to hand
    (the bundled ruleset of the same id and hash: the same rules give the same result); else None, and the
    result is shown as it was saved."""
    if lang is None:
        return None
    from stm_screen.errors import StmScreenError
    from stm_screen.screening import for_audience, load_rules, score_data

    try:
        ruleset = load_rules(record.ruleset_id)
    except StmScreenError:
        return None
    if ruleset.sha256 != record.ruleset_sha256 or len(ruleset.languages) < 2:
        return None
    saved_country = (record.result.get("contacts") or {}).get("country")
    audience = for_audience(ruleset, lang=lang, country=saved_country)
    try:
        return score_data(audience.ruleset, record.answers, contacts=audience.contacts)
    except StmScreenError:
        return None


def show(record_id: int, *, fmt: str, lang: str | None = None, output: Path | None = None) -> None:
    _choose(fmt, SHOW_FORMATS)
    from stm_screen.i18n import use_language

    use_language(lang)
    from stm_screen.store import open_store

    if not _storable(record_id):
        raise _not_found(record_id)
    with open_store(create=False) as store:
        if output is not None:
            from stm_screen.io.sameness import refuse_output_over_inputs

            refuse_output_over_inputs(output, [(_("the history store"), store.path)])
        record = store.get(record_id)
    if record is None:
        raise _not_found(record_id)
    if fmt == "json":
        _put(json.dumps(record.to_dict(), indent=2, ensure_ascii=False) + "\n", output)
        return
    if fmt == "fhir":
        from stm_screen.interop.fhir import bundle

        doc = bundle(fhir_entries(record), timestamp=record.created_at)
        _put(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", output)
        return
    if output is not None:  # the text as a file: plain, 100 columns, no colours
        import io

        buffer = io.StringIO()
        _show_text(record, lang, buffer)
        _put(buffer.getvalue(), output)
        return
    _show_text(record, lang, None)


def _put(text: str, output: Path | None) -> None:
    """``text`` on standard output, or written to ``output`` (health data: readable by its owner only)."""
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        return
    from stm_screen.io.atomic import write_text_atomic

    write_text_atomic(output, text, force=True, mode=0o600)
    say_info(_("wrote {file}").format(file=output))


def _show_text(record: Record, lang: str | None, file: Any) -> None:
    from stm_screen.render.console import make_console, plain_wanted
    from stm_screen.render.text import print_result
    from stm_screen.store.records import result_from_dict

    try:
        result = _in_language(record, lang) or result_from_dict(record.result)
    except (TypeError, ValueError, AttributeError):
        raise UsageError(
            _(
                "screening {id} was saved by stm-screen {version} in a form this version cannot render as text; "
                "use --format json"
            ).format(id=record.id, version=record.tool_version)
        ) from None
    from stm_screen.render.view import Stamp

    console = make_console() if file is None else make_console(file=file, width=100)
    stamp = Stamp(parse_when(record.created_at, "saved"), record.patient_ref)
    rules = f"{result.ruleset.get('id', record.ruleset_id)} {result.ruleset.get('version', record.ruleset_version)}"
    tool = f"stm-screen {record.tool_version}"
    if record.patient_ref:
        heading = _(
            "Screening {id}, saved {date}, patient reference {ref}; scored with {rules}, {tool}"
        ).format(id=record.id, date=stamp.when, ref=record.patient_ref, rules=rules, tool=tool)
    else:
        heading = _("Screening {id}, saved {date}; scored with {rules}, {tool}").format(
            id=record.id, date=stamp.when, rules=rules, tool=tool
        )
    console.print(
        heading,
        markup=False,
        highlight=False,
    )
    print_result(result, console, plain=plain_wanted(console.is_terminal), stamp=stamp)
    _print_answers(record, console)


def _print_answers(record: Record, console: Any) -> None:
    """The answers as they were given, in question order (question text when the ruleset is here, in the
    language shown when the ruleset has it)."""
    ruleset = ruleset_for(record)
    if ruleset is not None:
        from stm_screen.core.localised import localise
        from stm_screen.i18n import current

        if current() in ruleset.languages:
            ruleset = localise(ruleset, current())
    console.print("")
    console.print(_("Answers"), style="bold", markup=False, highlight=False)
    if not record.answers:
        console.print(_("(none)"), markup=False, highlight=False)
        return
    from stm_screen.core.answers import AnswerValueError, describe, parse_answer

    order = {q.id: q.order for q in ruleset.questions} if ruleset is not None else {}
    for qid in sorted(record.answers, key=lambda k: order.get(k, len(order))):
        raw = record.answers[qid]
        q = ruleset.by_id.get(qid) if ruleset is not None else None
        shown = str(_answer_cell(raw))
        text = qid
        if q is not None:
            text = str(q.text)
            try:
                shown = describe(q, parse_answer(q, raw))
            except AnswerValueError:
                pass
        console.print(f"- {text}", markup=False, highlight=False)
        console.print(f"    {shown}", markup=False, highlight=False)


TREND_FORMATS = ("text", "json", "html")


def show_patient(
    record_id: int | None, patient: str | None, *, fmt: str, plot: bool = False, output: Path | None = None
) -> None:
    """A patient's screenings over time: each instrument score, its change between screenings, and whether
    a change reaches the instrument's minimal important change (``history show --patient REF``)."""
    if patient is None:
        raise UsageError(_("give a screening's ID (see 'stm-screen history list'), or --patient REF"))
    if record_id is not None:
        raise UsageError(_("give either a screening's ID or --patient, not both"))
    _choose(fmt, TREND_FORMATS)
    from stm_screen.core.trend import trends, visits
    from stm_screen.store import open_store

    ref, _since = _filters(patient, None)
    assert ref is not None
    with open_store(create=False) as store:
        if output is not None:
            from stm_screen.io.sameness import refuse_output_over_inputs

            refuse_output_over_inputs(output, [(_("the history store"), store.path)])
        rows = [(r.id, r.created_at, r.result) for r in store.records(patient_ref=ref)]
    if not rows:
        # The reference is not repeated: messages never hold patient references.
        raise UsageError(
            _("there are no saved screenings for that patient reference (see 'stm-screen history list')")
        )
    seen = visits(rows)
    series = trends(rows)
    if fmt == "json":
        text = (
            json.dumps(
                {
                    "patient": ref,
                    "screenings": [v._asdict() for v in seen],
                    "scores": [s.as_dict() for s in series],
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    elif fmt == "html":
        from stm_screen.render.trend import trend_html

        text = trend_html(ref, seen, series, plot=plot)
    else:
        from stm_screen.render.console import make_console
        from stm_screen.render.text import can_encode
        from stm_screen.render.trend import trend_text

        console = make_console()
        unicode_ok = output is not None or can_encode(console, "█▏▎▍▌▋▊▉")
        width = 100 if output is not None else min(console.width, 100)
        text = trend_text(ref, seen, series, plot=plot, unicode_ok=unicode_ok, width=width)
    if output is None and fmt == "html":
        raise UsageError(_("--format html writes a file: add --output FILE.html"))
    _put(text, output)


# --- export -------------------------------------------------------------------------------------------


def _answer_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def _csv_rows(records: Iterator[Record], questions: list[str]) -> Iterator[list[Any]]:
    yield [*SUMMARY_COLUMNS, *questions]
    for r in records:
        summary = r.summary()
        yield [summary[c] for c in SUMMARY_COLUMNS] + [_answer_cell(r.answers.get(q)) for q in questions]


def export(output: Path, *, fmt: str, patient: str | None, since: str | None, force: bool = False) -> None:
    _choose(fmt, EXPORT_FORMATS)
    from stm_screen.io.output import open_output
    from stm_screen.store import open_store

    ref, when = _filters(patient, since)
    count = 0
    damaged: list[int] = []
    from stm_screen.io.sameness import refuse_output_over_inputs

    refuse_output_over_inputs(output, [])
    with open_store(create=False) as store:
        refuse_output_over_inputs(output, [(_("the history store"), store.path)])
        # The file holds health data: readable by its owner only.
        from stm_screen.io.atomic import is_special

        exists = str(output) != "-" and output.exists() and not output.is_dir() and not is_special(output)
        if exists and not force:
            raise UsageError(
                _("{file}: already exists; use --force to overwrite it (nothing was written)").format(
                    file=output
                )
            )
        with open_output(output, mode=0o600, newline="" if fmt == "csv" else None, force=True) as handle:
            if fmt == "csv":
                questions: list[str] = []
                seen: set[str] = set()
                for r in store.records(patient_ref=ref, since=when, damaged=[]):  # first: the columns
                    for q in r.answers:
                        if q not in seen:
                            seen.add(q)
                            questions.append(q)
                from stm_screen.io.csvcells import CsvOut

                writer = CsvOut(handle)
                for row in _csv_rows(store.records(patient_ref=ref, since=when, damaged=damaged), questions):
                    writer.writerow(row)
                    count += 1
                count -= 1  # the header
            elif fmt == "jsonl":
                for r in store.records(patient_ref=ref, since=when, damaged=damaged):
                    handle.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
                    count += 1
            else:
                from stm_screen.interop.fhir import iter_bundle_json

                def entries() -> Iterator[dict[str, Any]]:
                    nonlocal count
                    for r in store.records(patient_ref=ref, since=when, damaged=damaged):
                        count += 1
                        yield from fhir_entries(r)

                for chunk in iter_bundle_json(entries(), timestamp=_iso(datetime.now(UTC))):
                    handle.write(chunk)
    say_info(
        ngettext("exported {n} screening to {file}", "exported {n} screenings to {file}", count).format(
            n=count, file=output
        )
    )
    _report_damaged(damaged, store.path)


# --- delete and purge ---------------------------------------------------------------------------------


def delete(record_id: int) -> None:
    from stm_screen.store import open_store

    if not _storable(record_id):
        raise _not_found(record_id)
    with open_store(create=False) as store:
        if not store.delete(record_id):
            raise _not_found(record_id)
    say_info(_("deleted screening {id}").format(id=record_id))


def _interactive() -> bool:
    return sys.stdin.isatty()


def purge(before: str, *, yes: bool) -> None:
    moment = parse_when(before, "--before")
    future = moment > datetime.now(UTC)  # today's date (its start has passed) or later: deletes up to now
    cutoff = _iso(moment)
    from stm_screen.store import open_store

    with open_store(create=False) as store:
        count = store.count_before(cutoff)
        if count == 0:
            say_info(_("no screenings were saved before {date}; nothing to delete").format(date=cutoff))
            return
        if not yes:
            import typer

            if not _interactive():
                raise UsageError(
                    ngettext(
                        "purge would delete {n} screening; add --yes to confirm when not run at a terminal",
                        "purge would delete {n} screenings; add --yes to confirm when not run at a terminal",
                        count,
                    ).format(n=count)
                )
            if future:
                question = ngettext(
                    "Delete {n} screening saved up to now ({date} has not come yet)? This cannot be undone",
                    "Delete {n} screenings saved up to now ({date} has not come yet)? This cannot be undone",
                    count,
                )
            else:
                question = ngettext(
                    "Delete {n} screening saved before {date}? This cannot be undone",
                    "Delete {n} screenings saved before {date}? This cannot be undone",
                    count,
                )
            try:
                sure = _confirm(question.format(n=count, date=cutoff))
            except typer.Abort:
                raise Interrupted(_("cancelled; nothing was deleted")) from None
            if not sure:
                say_info(_("nothing was deleted"))
                return
        deleted = store.purge_before(cutoff)
    say_info(
        ngettext(
            "deleted {n} screening saved before {date}", "deleted {n} screenings saved before {date}", deleted
        ).format(n=deleted, date=cutoff)
    )


# Words that answer yes to a question on the terminal, in every language the tool speaks ('n', Enter or
# anything else is no: nothing is deleted).
YES_WORDS = {"y", "yes", "s", "si", "sí"}


def _confirm(question: str) -> bool:
    """A yes/no question on standard error, in the tool's language; no unless the person types yes."""
    import typer

    # TRANSLATORS: the choices after a yes/no question: the first letter of 'yes', then 'N' (the default).
    choices = _("[y/N]")
    answer = typer.prompt(f"{question} {choices}", default="", show_default=False, err=True)
    return answer.strip().lower() in YES_WORDS
