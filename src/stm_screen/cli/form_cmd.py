"""``stm-screen form export``: the questionnaire for REDCap, FHIR or a CSV batch template."""

from __future__ import annotations

import json
from pathlib import Path

from stm_screen.cli.errors import say_info
from stm_screen.errors import UsageError

FORMATS = ("redcap", "fhir", "csv")


def export(
    fmt: str,
    *,
    rules: str | None,
    output: Path | None,
    with_modules: str | None = None,
    texts: str | None = None,
) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"unknown --format '{fmt}'; choose one of: {', '.join(FORMATS)}")
    from stm_screen.io.output import open_output
    from stm_screen.io.sameness import (
        loaded_paths,
        module_paths,
        paths_of,
        refuse_output_over_inputs,
        rules_paths,
    )
    from stm_screen.screening import load_rules

    read = paths_of("--rules", rules_paths(rules)) + paths_of("--texts", [texts])
    refuse_output_over_inputs(output, read + paths_of("--with", module_paths(with_modules)))

    ruleset = load_rules(rules, with_modules, texts)
    refuse_output_over_inputs(output, loaded_paths(ruleset))
    missing = ruleset.missing_wording
    if missing and fmt != "csv":
        # The form gets a stand-in label ('PEG item 1'), never invented wording: the clinic types its own.
        say_info(
            f"warning: no wording was given for {len(missing)} item(s) whose licensed text is not shipped "
            f"({', '.join(q.id for q in missing[:6])}{' ...' if len(missing) > 6 else ''}); the form labels "
            "them 'INSTRUMENT item N'. Give the clinic's wording with --texts FILE"
        )
    if fmt == "fhir":
        from stm_screen.interop.fhir import questionnaire

        resource, warnings = questionnaire(ruleset)
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
            from stm_screen.io.csvcells import CsvOut

            CsvOut(handle).writerows(rows)
    if output is not None:
        say_info(f"wrote {output}")
