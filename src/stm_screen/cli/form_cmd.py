"""``stm-screen form export``: the questionnaire for REDCap, FHIR, XLSForm (ODK, KoboToolbox) or a CSV batch
template."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from stm_screen.cli.errors import say_info, say_warning
from stm_screen.errors import InputFileError, UsageError, os_reason
from stm_screen.i18n import L_, _, ngettext

FORMATS = ("redcap", "fhir", "xlsform", "csv")


def export(
    fmt: str,
    *,
    rules: str | None,
    output: Path | None,
    canonical_base: str | None = None,
    with_modules: str | None = None,
    texts: str | None = None,
    lang: str | None = None,
) -> None:
    if canonical_base is not None and fmt != "fhir":
        raise UsageError(_("--canonical-base is for --format fhir"))
    if fmt not in FORMATS:
        raise UsageError(
            _("unknown --format '{fmt}'; choose one of: {formats}").format(
                fmt=fmt, formats=", ".join(FORMATS)
            )
        )
    from stm_screen.io.output import open_output
    from stm_screen.io.sameness import (
        loaded_paths,
        module_paths,
        paths_of,
        refuse_output_over_inputs,
        rules_paths,
    )
    from stm_screen.screening import for_audience, load_rules

    read = paths_of("--rules", rules_paths(rules)) + paths_of("--texts", [texts])
    refuse_output_over_inputs(output or "-", read + paths_of("--with", module_paths(with_modules)))
    loaded = load_rules(rules, with_modules, texts)
    refuse_output_over_inputs(output or "-", loaded_paths(loaded))
    ruleset = for_audience(loaded, lang=lang).ruleset
    missing = ruleset.missing_wording
    if missing and fmt != "csv":
        # The form gets a stand-in label ('PEG item 1'), never invented wording: the clinic types its own.
        ids = ", ".join(q.id for q in missing[:6]) + (" ..." if len(missing) > 6 else "")
        say_warning(
            ngettext(
                "warning: no wording was given for {n} item whose licensed text is not shipped ({ids}); the "
                "form labels it 'INSTRUMENT item N'. Give the clinic's wording with --texts FILE",
                "warning: no wording was given for {n} items whose licensed text is not shipped ({ids}); the "
                "form labels them 'INSTRUMENT item N'. Give the clinic's wording with --texts FILE",
                len(missing),
            ).format(n=len(missing), ids=ids)
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
            say_warning(_("warning: {problem}").format(problem=warning))
        with open_output(output) as handle:
            handle.write(json.dumps(resource, indent=2, ensure_ascii=False) + "\n")
    else:
        if fmt == "redcap":
            from stm_screen.interop.redcap import data_dictionary, dictionary_warnings

            rows = data_dictionary(ruleset)
            for warning in dictionary_warnings(ruleset):
                say_warning(_("warning: {problem}").format(problem=warning))
        else:
            from stm_screen.interop.template import batch_template

            rows = batch_template(ruleset)
        with open_output(output, newline="") as handle:
            from stm_screen.io.csvcells import CsvOut

            CsvOut(handle).writerows(rows)
    if output is not None:
        say_info(_("wrote {path}").format(path=output))


def _xlsform(ruleset: object, output: Path | None) -> None:
    from stm_screen.core.ruleset import Ruleset
    from stm_screen.interop.conditions import NotExpressible
    from stm_screen.interop.xlsform import sheets
    from stm_screen.io.xlsx import workbook_bytes

    assert isinstance(ruleset, Ruleset)
    if output is None or str(output) == "-":
        if sys.stdout.isatty():
            raise UsageError(
                _("an XLSForm is a workbook (.xlsx): write it to a file with --output FILE.xlsx")
            )
    try:
        data = workbook_bytes(sheets(ruleset))
    except NotExpressible as exc:
        raise UsageError(_("cannot write an XLSForm: {problem}").format(problem=exc)) from None
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
    except OSError as exc:  # the output could not be written (a full disk or device): exit 1, as for CSV
        raise InputFileError(
            L_("{path}: cannot write ({reason})", path=output, reason=os_reason(exc))
        ) from None
    say_info(_("wrote {path}").format(path=output))
