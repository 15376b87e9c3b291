"""``stm-screen form export``: the questionnaire for REDCap, FHIR or a CSV batch template."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from stm_screen.cli.errors import say_info
from stm_screen.errors import UsageError
from stm_screen.i18n import _

FORMATS = ("redcap", "fhir", "csv")


def export(fmt: str, *, rules: str | None, output: Path | None, lang: str | None = None) -> None:
    if fmt not in FORMATS:
        raise UsageError(
            _("unknown --format '{fmt}'; choose one of: {formats}").format(
                fmt=fmt, formats=", ".join(FORMATS)
            )
        )
    from stm_screen.io.output import open_output
    from stm_screen.screening import for_audience, load_rules

    ruleset = for_audience(load_rules(rules), lang=lang).ruleset
    if fmt == "fhir":
        from stm_screen.interop.fhir import questionnaire

        resource, warnings = questionnaire(ruleset)
        for warning in warnings:
            say_info(_("warning: {problem}").format(problem=warning))
        with open_output(output) as handle:
            handle.write(json.dumps(resource, indent=2, ensure_ascii=False) + "\n")
    else:
        if fmt == "redcap":
            from stm_screen.interop.redcap import data_dictionary, dictionary_warnings

            rows = data_dictionary(ruleset)
            for warning in dictionary_warnings(ruleset):
                say_info(_("warning: {problem}").format(problem=warning))
        else:
            from stm_screen.interop.template import batch_template

            rows = batch_template(ruleset)
        with open_output(output, newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
    if output is not None:
        say_info(_("wrote {path}").format(path=output))
