"""``stm-screen form export``: the questionnaire for REDCap, FHIR, XLSForm (ODK, KoboToolbox) or a CSV batch
template."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from stm_screen.cli.errors import say_info
from stm_screen.errors import UsageError

FORMATS = ("redcap", "fhir", "xlsform", "csv")


def export(
    fmt: str,
    *,
    rules: str | None,
    output: Path | None,
    canonical_base: str | None = None,
    with_modules: str | None = None,
    texts: str | None = None,
) -> None:
    if canonical_base is not None and fmt != "fhir":
        raise UsageError("--canonical-base is for --format fhir")
    if fmt not in FORMATS:
        raise UsageError(f"unknown --format '{fmt}'; choose one of: {', '.join(FORMATS)}")
    from stm_screen.io.output import open_output
    from stm_screen.screening import load_rules

    ruleset = load_rules(rules, with_modules, texts)
    missing = ruleset.missing_wording
    if missing and fmt != "csv":
        # The form gets a stand-in label ('PEG item 1'), never invented wording: the clinic types its own.
        say_info(
            f"warning: no wording was given for {len(missing)} item(s) whose licensed text is not shipped "
            f"({', '.join(q.id for q in missing[:6])}{' ...' if len(missing) > 6 else ''}); the form labels "
            "them 'INSTRUMENT item N'. Give the clinic's wording with --texts FILE"
        )
    if fmt == "xlsform":
        _xlsform(ruleset, output)
        return
    if fmt == "fhir":
        from stm_screen.interop.fhir import check_canonical_base, questionnaire

        if canonical_base is not None:
            canonical_base = check_canonical_base(canonical_base)
        resource, warnings = questionnaire(ruleset, canonical_base=canonical_base)
        for warning in warnings:
            say_info(f"warning: {warning}")
        with open_output(output) as handle:
            handle.write(json.dumps(resource, indent=2, ensure_ascii=False) + "\n")
    else:
        if fmt == "redcap":
            from stm_screen.interop.redcap import data_dictionary, dictionary_warnings

            rows = data_dictionary(ruleset)
            for warning in dictionary_warnings(ruleset):
                say_info(f"warning: {warning}")
        else:
            from stm_screen.interop.template import batch_template

            rows = batch_template(ruleset)
        with open_output(output, newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
    if output is not None:
        say_info(f"wrote {output}")


def _xlsform(ruleset: object, output: Path | None) -> None:
    from stm_screen.core.ruleset import Ruleset
    from stm_screen.interop.conditions import NotExpressible
    from stm_screen.interop.xlsform import sheets
    from stm_screen.io.xlsx import workbook_bytes

    assert isinstance(ruleset, Ruleset)
    if output is None or str(output) == "-":
        if sys.stdout.isatty():
            raise UsageError("an XLSForm is a workbook (.xlsx): write it to a file with --output FILE.xlsx")
    try:
        data = workbook_bytes(sheets(ruleset))
    except NotExpressible as exc:
        raise UsageError(f"cannot write an XLSForm: {exc}") from None
    if output is None or str(output) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from stm_screen.io.atomic import atomic_writer

    try:
        with atomic_writer(output) as handle:
            assert isinstance(handle, io.TextIOWrapper)
            handle.flush()
            handle.buffer.write(data)  # the workbook's bytes, under the same temp file + rename
    except OSError as exc:
        raise UsageError(f"{output}: cannot write ({exc.strerror or type(exc).__name__})") from None
    say_info(f"wrote {output}")
