"""FHIR R4 resources built from rulesets and results: plain dicts, ready for ``json.dumps``. Pure: no I/O.

* :func:`questionnaire`: the ruleset as a Questionnaire (linkId = question id; one group per section).
* :func:`questionnaire_response`: answers as a QuestionnaireResponse.
* :func:`risk_assessment`: a result as a RiskAssessment (level, how soon to act, each warning sign that
  fired, reasons, ruleset id and version).
* A yes/no question that offers 'not sure' (the safety questions) is a choice item of three codings, yes,
  no and unsure, in the Questionnaire and in responses.
* :func:`bundle_for_record` + :func:`iter_bundle_json`: a collection Bundle, written entry by entry so that
  a long history or a big batch never has to be held in memory.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from stm_screen.core.explain import URGENCY_ORDER
from stm_screen.core.ruleset import UNSURE, URGENCY_WORDS, Question, Ruleset, Words
from stm_screen.errors import UsageError
from stm_screen.i18n import _, gettext_in
from stm_screen.interop.conditions import (
    UNSURE_LABEL,
    YES_NO_UNSURE_FHIR,
    Node,
    NotExpressible,
    coding_code,
    normalize,
    offers_unsure,
    required_in_forms,
    shown_when,
    to_enable_when,
    to_fhirpath,
)

URN = "urn:stm-screen"
EXT_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
EXT_ENABLE_WHEN_EXPRESSION = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
)
EXT_ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
LEVEL_SYSTEM = f"{URN}:level"
RULESET_SYSTEM = f"{URN}:ruleset"
PATIENT_REF_SYSTEM = f"{URN}:patient-ref"
RED_FLAG_SYSTEM = f"{URN}:red-flag"  # a warning sign, by its id in the rules
URGENCY_SYSTEM = f"{URN}:urgency"  # how soon to act: now, today, days, weeks
RESPONSE_SYSTEM = f"{URN}:response"  # a record's id in its export, when a response has no identifier
RISK_ASSESSMENT_SYSTEM = f"{URN}:risk-assessment"  # response identifier + ruleset version
OBSERVATION_SYSTEM = f"{URN}:observation"  # response identifier + instrument score + ruleset version
SCORE_SYSTEM = (
    f"{URN}:score"  # an instrument's score, as module/score id (beside a LOINC code when one exists)
)
BAND_SYSTEM = f"{URN}:band"  # a score's band, as module/score/band id
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
UCUM = "http://unitsofmeasure.org"

FHIR_TYPE = {
    "boolean": "boolean",
    "integer": "integer",
    "number": "decimal",
    "choice": "choice",
    "multi_choice": "choice",
}


def fhir_id(text: str) -> str:
    """A legal FHIR id (``[A-Za-z0-9-.]{1,64}``) for any ruleset id: ``_`` and anything else become ``-``."""
    out = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-.") else "-" for ch in text)[:64]
    return out or "stm-screen"


def canonical(ruleset_id: str, base: str | None = None) -> str:
    """The Questionnaire's canonical URL: ``BASE/Questionnaire/ID`` with a clinic's base (``--canonical-base``),
    else a URN (these forms are not published anywhere)."""
    if base:
        return f"{base.rstrip('/')}/Questionnaire/{fhir_id(ruleset_id)}"
    return f"{URN}:questionnaire:{ruleset_id}"


def check_canonical_base(base: str) -> str:
    """A canonical base must be an absolute http(s) URL without a query or fragment."""
    from urllib.parse import urlsplit

    parts = urlsplit(base.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or " " in base
    ):
        raise UsageError(
            f"--canonical-base: '{base}' is not an absolute http(s) URL such as https://forms.example.org/fhir"
        )
    return base.strip().rstrip("/")


def choice_system(ruleset_id: str) -> str:
    """Prefix of the code systems of choice answers; the question id is appended after a colon."""
    return f"{URN}:choices:{ruleset_id}"


def section_link_id(section_id: str) -> str:
    return f"section-{section_id}"


# --- Questionnaire ------------------------------------------------------------------------------------


def _number(q: Question, value: float) -> dict[str, Any]:
    if q.type == "integer":
        return {"valueInteger": int(value)}
    return {"valueDecimal": value}


def item_type(q: Question) -> str:
    """The item type of a question in the exported Questionnaire: a yes/no question that offers 'not sure'
    is a choice of three codings (yes, no, unsure)."""
    if q.type == "boolean" and offers_unsure(q):
        return "choice"
    return FHIR_TYPE[q.type]


def _tool_words(label: str, lang: str | None, languages: Sequence[str]) -> Words:
    """One of the tool's own labels (Yes, No, Not sure) in the form's language and its other languages."""
    return Words({code: gettext_in(code, label) for code in languages}, gettext_in(lang, label))


def answer_options(
    q: Question, system: str, lang: str | None = None, languages: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The ``answerOption`` list: the choices (or yes and no), then 'not sure' where it is an answer; labels
    carry their other languages as ``translation`` extensions."""
    options: list[tuple[str, Words]]
    if q.type == "boolean":
        options = [
            (code, _tool_words(label, lang, languages))
            for code, label in YES_NO_UNSURE_FHIR
            if code != UNSURE
        ]
    else:
        options = [(c.id, c.label) for c in q.choices]
    if offers_unsure(q):
        options.append((UNSURE, _tool_words(UNSURE_LABEL, lang, languages)))
    return [
        {"valueCoding": {"system": system, "code": code, **translated("display", label, lang or "")}}
        for code, label in options
    ]


EXT_TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"


def translated(key: str, words: Words, lang: str) -> dict[str, Any]:
    """``{key: text}`` in ``lang``, with a FHIR ``translation`` extension (in ``_key``) for each other
    language the text is written in."""
    out: dict[str, Any] = {key: str(words)}
    others = [
        {
            "url": EXT_TRANSLATION,
            "extension": [{"url": "lang", "valueCode": code}, {"url": "content", "valueString": text}],
        }
        for code, text in words.by_lang.items()
        if code != lang and text and text != str(words)
    ]
    if others:
        out[f"_{key}"] = {"extension": others}
    return out


def _radio(extensions: list[dict[str, Any]]) -> None:
    extensions.append(
        {
            "url": EXT_ITEM_CONTROL,
            "valueCodeableConcept": {
                "coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "radio-button", "display": "Radio Button"}]
            },
        }
    )


def _enable_when_of(ruleset: Ruleset, q: Question, shown: Node) -> tuple[list[dict[str, Any]], str]:
    """enableWhen entries: when the question is shown (its ask_if joined with when the questions it looks
    at are shown), else its ask_if alone (FHIR treats the answer of a disabled item as no answer, so
    ``enableWhen`` follows the chain by itself); raises :class:`NotExpressible`."""
    system = choice_system(ruleset.id)
    try:
        return to_enable_when(shown, ruleset.by_id, system)
    except NotExpressible:
        assert q.ask_if is not None
        return to_enable_when(normalize(q.ask_if.source, ruleset.by_id), ruleset.by_id, system)


# units of time as the rules write them -> UCUM codes (https://ucum.org: mo, a, wk, d, h, min)
UCUM_TIME = {
    "month": "mo", "months": "mo", "mo": "mo",
    "year": "a", "years": "a", "yr": "a", "yrs": "a",
    "week": "wk", "weeks": "wk", "wk": "wk",
    "day": "d", "days": "d",
    "hour": "h", "hours": "h",
    "minute": "min", "minutes": "min", "min": "min",
}  # fmt: skip


def unit_coding(unit: str) -> dict[str, Any]:
    """The unit of a number question as a Coding: UCUM where it is a unit of time (months: ``mo``), else its
    words only."""
    code = UCUM_TIME.get(unit.strip().lower())
    if code is None:
        return {"display": unit}
    return {"system": UCUM, "code": code, "display": unit}


def _question_item(ruleset: Ruleset, q: Question, warnings: list[str]) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": q.id}
    if q.codes:
        item["code"] = [
            {"system": c.system, "code": c.code, **({"display": c.display} if c.display else {})}
            for c in q.codes
        ]
    item |= {**translated("text", q.text, ruleset.lang), "type": item_type(q)}
    extensions: list[dict[str, Any]] = []
    if q.unsure and not offers_unsure(q):
        warnings.append(
            _(
                "question '{id}': a {kind} item cannot offer 'not sure'; leave it blank when the answer is not "
                "known (it then counts as not sure)"
            ).format(id=q.id, kind=q.type.replace("_", " "))
        )
    if q.type in ("integer", "number"):
        if q.min is not None:
            extensions.append({"url": EXT_MIN, **_number(q, q.min)})
        if q.max is not None:
            extensions.append({"url": EXT_MAX, **_number(q, q.max)})
        if str(q.unit):
            extensions.append({"url": EXT_UNIT, "valueCoding": unit_coding(str(q.unit))})
    if q.ask_if is not None:
        shown = shown_when(q, ruleset.by_id)
        assert shown is not None
        try:
            entries, behavior = _enable_when_of(ruleset, q, shown)
        except NotExpressible as exc:
            try:
                expression = to_fhirpath(shown, ruleset.by_id)
            except NotExpressible as why:
                raise UsageError(
                    _("question '{id}': its ask_if cannot be written in a FHIR Questionnaire ({why})").format(
                        id=q.id, why=why
                    )
                ) from None
            # The SDC extension says it in FHIRPath; form tools without SDC support show the question.
            extensions.append(
                {
                    "url": EXT_ENABLE_WHEN_EXPRESSION,
                    "valueExpression": {
                        "description": f"ask_if: {q.ask_if.source}",
                        "language": "text/fhirpath",
                        "expression": expression,
                    },
                }
            )
            warnings.append(
                _(
                    "question '{id}': its ask_if has no FHIR enableWhen form ({why}); it is written as an SDC "
                    "enableWhenExpression (FHIRPath), and form tools without SDC support always show the question"
                ).format(id=q.id, why=exc)
            )
        else:
            item["enableWhen"] = entries
            if len(entries) > 1:
                item["enableBehavior"] = behavior
    if q.type == "boolean" and offers_unsure(q):
        _radio(extensions)  # yes, no and not sure side by side, in that order
    if extensions:
        item["extension"] = extensions
    if required_in_forms(q):
        item["required"] = True
    if q.type == "multi_choice":
        item["repeats"] = True
    if q.choices or item["type"] == "choice":
        item["answerOption"] = answer_options(
            q, f"{choice_system(ruleset.id)}:{q.id}", ruleset.lang, ruleset.languages
        )
    if str(q.help):
        item["item"] = [
            {
                "linkId": f"{q.id}-help",
                "type": "display",
                **translated("text", q.help, ruleset.lang),
                "extension": [
                    {
                        "url": EXT_ITEM_CONTROL,
                        "valueCodeableConcept": {
                            "coding": [
                                {"system": ITEM_CONTROL_SYSTEM, "code": "help", "display": "Help-Button"}
                            ]
                        },
                    }
                ],
            }
        ]
    return item


def questionnaire(ruleset: Ruleset, canonical_base: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The ruleset as a FHIR R4 Questionnaire, and warnings about what could not be carried over."""
    warnings: list[str] = []
    items: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}  # one group per section, where its first question is
    for q in ruleset.questions:
        item = _question_item(ruleset, q, warnings)
        if q.section is None:
            items.append(item)
            continue
        group = groups.get(q.section)
        if group is None:
            section = ruleset.sections[q.section]
            link = section_link_id(section.id)
            children: list[dict[str, Any]] = []
            if str(section.intro):
                children.append(
                    {
                        "linkId": f"{link}-intro",
                        "type": "display",
                        **translated("text", section.intro, ruleset.lang),
                    }
                )
            group = {
                "linkId": link,
                **translated("text", section.title, ruleset.lang),
                "type": "group",
                "item": children,
            }
            groups[q.section] = group
            items.append(group)
        group["item"].append(item)
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": fhir_id(ruleset.id),
        "url": canonical(ruleset.id, canonical_base),
        "version": ruleset.version,
        "language": ruleset.lang or "en",
        **translated("title", ruleset.title, ruleset.lang),
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }
    if str(ruleset.description):
        resource.update(translated("description", ruleset.description, ruleset.lang))
    notices = [ruleset.copyright or "", *(m.copyright for m in ruleset.modules)]
    notices = [" ".join(n.split()) for n in notices if n and n.strip()]
    if notices:
        resource["copyright"] = " ".join(notices)  # the instruments' attributions travel with the form
    return resource, warnings


# --- QuestionnaireResponse ----------------------------------------------------------------------------


def _infer_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list | tuple):
        return "multi_choice"
    return "choice"


def answer_entries(
    qtype: str | None,
    value: Any,
    system: str,
    labels: Mapping[str, str] | None = None,
    *,
    question: Question | None = None,
) -> list[dict[str, Any]]:
    """The ``answer`` list of one item (several entries for a multiple choice).

    'Not sure' (``unsure``) is a Coding with that code, whatever the question's type; with the
    ``question``, a yes/no question that offers it is answered with the yes/no/unsure Coding its
    Questionnaire item offers."""
    kind = qtype or _infer_type(value)
    labels = {UNSURE: UNSURE_LABEL, **(labels or {})}

    def coding(code: Any) -> dict[str, Any]:
        c: dict[str, Any] = {"system": system, "code": str(code)}
        if str(code) in labels:
            c["display"] = labels[str(code)]
        return {"valueCoding": c}

    if value == UNSURE:
        return [coding(UNSURE)]
    if kind == "boolean" and question is not None and offers_unsure(question):
        code = coding_code(question, bool(value))
        return [{"valueCoding": {"system": system, "code": code, "display": dict(YES_NO_UNSURE_FHIR)[code]}}]
    if kind == "boolean":
        return [{"valueBoolean": bool(value)}]
    if kind == "integer":
        return [{"valueInteger": int(value)}]
    if kind == "number":
        return [{"valueDecimal": value}]
    if kind == "multi_choice":
        values = value if isinstance(value, list | tuple) else [value]
        return [coding(v) for v in values]
    return [coding(value)]


def subject_reference(patient: str | None, system: str | None = None) -> dict[str, Any]:
    """A reference to the person: their clinic reference as an identifier (never a name), in the clinic's
    identifier ``system`` (an MRN's, say) or the tool's URN."""
    if patient:
        return {"identifier": {"system": system or PATIENT_REF_SYSTEM, "value": patient}}
    return {"display": "unidentified"}


def questionnaire_response(
    *,
    ruleset_id: str,
    ruleset_version: str,
    answers: Mapping[str, Any],
    types: Mapping[str, str] | None = None,
    ruleset: Ruleset | None = None,
    patient: str | None = None,
    authored: str | None = None,
    status: str = "completed",
    subject: Mapping[str, Any] | None = None,
    identifier: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Answers as a QuestionnaireResponse (``subject``: a Reference to use instead of ``patient``;
    ``identifier``: the response's own).

    With the ``ruleset`` the answers follow the Questionnaire's groups, carry choice labels and the
    question text; without it (a history record scored by another ruleset version) items are flat and
    typed from ``types`` (or from the values themselves).
    """
    system = choice_system(ruleset_id)
    known = ruleset is not None and ruleset.id == ruleset_id and ruleset.version == ruleset_version
    items: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    order = (
        [q.id for q in ruleset.questions if q.id in answers]
        if known and ruleset is not None
        else list(answers)
    )
    for qid in order:
        value = answers[qid]
        if value is None or (isinstance(value, list) and not value):
            continue
        q = ruleset.by_id.get(qid) if known and ruleset is not None else None
        qtype = q.type if q is not None else (types or {}).get(qid)
        labels = {c.id: str(c.label) for c in q.choices} if q is not None else None
        item: dict[str, Any] = {"linkId": qid}
        if q is not None:
            item["text"] = str(q.text)
        item["answer"] = answer_entries(qtype, value, f"{system}:{qid}", labels, question=q)
        if q is not None and q.section is not None and ruleset is not None:
            group = groups.get(q.section)
            if group is None:
                section = ruleset.sections[q.section]
                group = {"linkId": section_link_id(section.id), "text": str(section.title), "item": []}
                groups[q.section] = group
                items.append(group)
            group["item"].append(item)
        else:
            items.append(item)
    resource: dict[str, Any] = {"resourceType": "QuestionnaireResponse"}
    if identifier:
        resource["identifier"] = dict(identifier)
    resource["questionnaire"] = f"{canonical(ruleset_id)}|{ruleset_version}"
    resource["status"] = status
    if subject:
        resource["subject"] = dict(subject)
    elif patient:
        resource["subject"] = subject_reference(patient)
    if authored:
        resource["authored"] = authored
    if items:
        resource["item"] = items
    return resource


# --- RiskAssessment -----------------------------------------------------------------------------------


def how_soon(urgency: object) -> str:
    """'now', 'today', 'within a few days', 'within a few weeks' (or '' for none)."""
    return URGENCY_WORDS.get(str(urgency or ""), "")


def overall_urgency(flags: Iterable[Mapping[str, Any]]) -> str | None:
    """The most urgent of the warning signs' urgencies, or None."""
    found = [str(f.get("urgency")) for f in flags if f.get("urgency") in URGENCY_ORDER]
    return max(found, key=URGENCY_ORDER.index) if found else None


def urgency_concept(urgency: str) -> dict[str, Any]:
    """How soon to act, as a CodeableConcept (``RiskAssessment.prediction.qualitativeRisk``)."""
    words = how_soon(urgency)
    return {
        "coding": [{"system": URGENCY_SYSTEM, "code": urgency, "display": words}],
        "text": f"Act {words}",
    }


def reasons(result: Mapping[str, Any]) -> list[str]:
    """Why the level was reached, in words: warning signs first (with how soon to act), then the criteria
    met."""
    out = []
    for f in result.get("red_flags") or []:
        soon = how_soon(f.get("urgency"))
        out.append(f"Warning sign: {f['title']}" + (f" (act {soon})" if soon else ""))
    for f in result.get("red_flags_not_ruled_out") or []:
        soon = how_soon(f.get("urgency"))
        out.append(f"Not ruled out: {f['title']}" + (f" (if it fits, act {soon})" if soon else ""))
    out += [f"{f['title']}" for f in result.get("findings") or []]
    return out


def _flag_prediction(flag: Mapping[str, Any]) -> dict[str, Any]:
    """One warning sign that fired: its id and title, how soon to act, and what to do."""
    title = str(flag.get("title") or "")
    outcome: dict[str, Any] = {"text": title}
    if flag.get("id"):
        outcome["coding"] = [{"system": RED_FLAG_SYSTEM, "code": str(flag["id"]), "display": title}]
    prediction: dict[str, Any] = {"outcome": outcome}
    if flag.get("urgency") in URGENCY_ORDER:
        prediction["qualitativeRisk"] = urgency_concept(str(flag["urgency"]))
    if flag.get("explanation"):
        prediction["rationale"] = str(flag["explanation"])
    return prediction


def risk_assessment(
    result: Mapping[str, Any],
    *,
    patient: str | None = None,
    occurrence: str | None = None,
    basis: str | None = None,
    subject: Mapping[str, Any] | None = None,
    identifier: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A result (``Result.to_dict()``) as a RiskAssessment: level, reasons and the ruleset version.

    ``prediction[0]`` is the level (``urn:stm-screen:level``); under a warning sign its ``qualitativeRisk``
    says how soon to act (``urn:stm-screen:urgency``: now, today, days, weeks), the most urgent of the signs
    that fired. Each warning sign that fired follows as a prediction of its own (``urn:stm-screen:red-flag``
    and the sign's id), with its own ``qualitativeRisk`` and what to do as the ``rationale``. Signs that
    could not be ruled out and answers of 'not sure' are listed in the notes."""
    ruleset = result.get("ruleset") or {}
    level = result.get("level")
    title = str(result.get("title") or "")
    why = reasons(result)
    flags = list(result.get("red_flags") or [])
    outcome: dict[str, Any] = {"text": title}
    if level:
        outcome["coding"] = [{"system": LEVEL_SYSTEM, "code": level, "display": title}]
    prediction: dict[str, Any] = {"outcome": outcome}
    urgency = result.get("urgency") if result.get("urgency") in URGENCY_ORDER else overall_urgency(flags)
    if urgency:
        prediction["qualitativeRisk"] = urgency_concept(str(urgency))
    if why:
        prediction["rationale"] = "; ".join(why)
    resource: dict[str, Any] = {"resourceType": "RiskAssessment"}
    if identifier:
        resource["identifier"] = [dict(identifier)]
    resource |= {
        "status": "final" if level and result.get("complete", True) else "preliminary",
        "subject": dict(subject) if subject else subject_reference(patient),
        "method": {
            "coding": [
                {
                    "system": RULESET_SYSTEM,
                    "code": str(ruleset.get("id", "")),
                    "version": str(ruleset.get("version", "")),
                }
            ],
            "text": f"stm-screen {result.get('tool_version', '')}, ruleset {ruleset.get('id', '')} "
            f"{ruleset.get('version', '')} (sha256 {ruleset.get('sha256', '')})",
        },
        "prediction": [prediction, *(_flag_prediction(f) for f in flags)],
    }
    if occurrence:
        resource["occurrenceDateTime"] = occurrence
    if basis:
        resource["basis"] = [{"reference": basis}]
    if result.get("advice"):
        resource["mitigation"] = str(result["advice"])
    notes = [{"text": reason} for reason in why]
    unsure = [str(q) for q in result.get("unsure") or []]
    if unsure:
        notes.append({"text": f"Answered 'not sure': {', '.join(unsure)}"})
    if result.get("disclaimer"):
        notes.append({"text": str(result["disclaimer"])})
    if notes:
        resource["note"] = notes
    return resource


# --- Observations of instrument scores -----------------------------------------------------------------


def score_observation(
    module: Mapping[str, Any],
    score: Mapping[str, Any],
    *,
    patient: str | None = None,
    effective: str | None = None,
    basis: str | None = None,
) -> dict[str, Any]:
    """One instrument score as an Observation: LOINC-coded where the rules give a code (and always with
    stm-screen's own code), the value in ``{score}`` units, the band as its interpretation; a score that
    could not be computed has a ``dataAbsentReason`` and says why in a note."""
    mid, sid = str(module.get("id", "")), str(score.get("id", ""))
    name = str(score.get("name") or sid)
    codings = []
    code = score.get("code")
    if isinstance(code, Mapping) and code.get("system") and code.get("code"):
        codings.append({k: str(code[k]) for k in ("system", "code", "display") if code.get(k)})
    codings.append(
        {"system": SCORE_SYSTEM, "code": f"{mid}/{sid}", "display": str(score.get("title") or name)}
    )
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": {"coding": codings, "text": name},
        "subject": subject_reference(patient),
    }
    if effective:
        resource["effectiveDateTime"] = effective
    value = score.get("value")
    if isinstance(value, int | float) and not isinstance(value, bool):
        resource["valueQuantity"] = {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}
    else:
        resource["dataAbsentReason"] = {
            "coding": [{"system": DATA_ABSENT, "code": "unknown", "display": "Unknown"}],
            "text": str(score.get("text") or "not scored"),
        }
    band = score.get("band")
    if band and value is not None:
        label = str(score.get("band_label") or band)
        resource["interpretation"] = [
            {
                "coding": [{"system": BAND_SYSTEM, "code": f"{mid}/{sid}/{band}", "display": label}],
                "text": label,
            }
        ]
    if basis:
        resource["derivedFrom"] = [{"reference": basis}]
    notes = [str(module[k]) for k in ("copyright",) if module.get(k)]
    if notes:
        resource["note"] = [{"text": n} for n in notes]
    resource["method"] = {"text": f"{module.get('title') or mid} {module.get('version', '')}".strip()}
    return resource


# --- Bundle -------------------------------------------------------------------------------------------


def bundle_for_record(
    result: Mapping[str, Any],
    *,
    answers: Mapping[str, Any] | None = None,
    types: Mapping[str, str] | None = None,
    ruleset: Ruleset | None = None,
    patient: str | None = None,
    authored: str | None = None,
    key: str | None = None,
    subject: Mapping[str, Any] | None = None,
    identifier: Mapping[str, Any] | None = None,
    transaction: bool = False,
) -> list[dict[str, Any]]:
    """The two Bundle entries of one scored screening: its QuestionnaireResponse and RiskAssessment.

    ``key`` makes the entries' ``fullUrl`` stable (the same record always gets the same ids); without it
    they are random. Feed the entries of many records to :func:`iter_bundle_json`. ``subject``: who the
    screening is about (a Reference, kept as given); ``identifier``: the response's identifier, from which
    the RiskAssessment's is made (the same response scored by the same ruleset version gets the same one).
    ``transaction``: entries of a transaction Bundle, each a conditional create on its identifier
    (``ifNoneExist``), so that sending the same Bundle twice stores nothing twice.
    """
    info = result.get("ruleset") or {}
    seed = f"{key}|{info.get('sha256', '')}" if key is not None else None
    qr_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{URN}:qr:{seed}") if seed else uuid.uuid4()
    ra_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{URN}:ra:{seed}") if seed else uuid.uuid4()
    qr = questionnaire_response(
        ruleset_id=str(info.get("id", "")),
        ruleset_version=str(info.get("version", "")),
        answers=answers if answers is not None else (result.get("answers") or {}),
        types=types,
        ruleset=ruleset,
        patient=patient,
        authored=authored,
        subject=subject,
        identifier=identifier,
    )
    ra_identifier = None
    version = f"{info.get('id', '')}/{info.get('version', '')}/{str(info.get('sha256', ''))[:12]}"
    if identifier and identifier.get("value"):
        ra_identifier = {"system": RISK_ASSESSMENT_SYSTEM, "value": f"{identifier['value']}/{version}"}
    ra = risk_assessment(
        result,
        patient=patient,
        occurrence=authored,
        basis=f"urn:uuid:{qr_id}",
        subject=subject,
        identifier=ra_identifier,
    )
    entries: list[dict[str, Any]] = [
        {"fullUrl": f"urn:uuid:{qr_id}", "resource": qr},
        {"fullUrl": f"urn:uuid:{ra_id}", "resource": ra},
    ]
    idents: list[Mapping[str, Any] | None] = [identifier, ra_identifier]
    # One Observation per score of each instrument that was answered at all.
    for module in result.get("modules") or []:
        if not isinstance(module, Mapping) or not module.get("answered"):
            continue
        for score in module.get("scores") or []:
            mark = f"{URN}:obs:{seed}:{module.get('id')}:{score.get('id')}"
            obs_id = uuid.uuid5(uuid.NAMESPACE_URL, mark) if seed else uuid.uuid4()
            obs = score_observation(
                module, score, patient=patient, effective=authored, basis=f"urn:uuid:{qr_id}"
            )
            if subject:
                obs["subject"] = dict(subject)
            obs_identifier = None
            if identifier and identifier.get("value"):
                obs_identifier = {
                    "system": OBSERVATION_SYSTEM,
                    "value": f"{identifier['value']}/{module.get('id')}/{score.get('id')}/{version}",
                }
                obs = {"resourceType": obs["resourceType"], "identifier": [obs_identifier], **obs}
            entries.append({"fullUrl": f"urn:uuid:{obs_id}", "resource": obs})
            idents.append(obs_identifier)
    if transaction:
        for entry, ident in zip(entries, idents, strict=True):
            request: dict[str, Any] = {"method": "POST", "url": entry["resource"]["resourceType"]}
            if ident and ident.get("value"):
                request["ifNoneExist"] = "identifier=" + search_token(
                    ident.get("system"), str(ident["value"])
                )
            entry["request"] = request
    return entries


def search_token(system: object, value: str) -> str:
    """``system|value`` for a token search parameter (FHIR's escapes, then URL encoding)."""
    from urllib.parse import quote

    def esc(text: str) -> str:
        for ch in ("\\", "|", ",", "$"):
            text = text.replace(ch, "\\" + ch)
        return quote(text, safe=":/.-_~")

    return (esc(str(system)) + "|" if system else "") + esc(value)


def iter_bundle_json(
    entries: Iterable[Mapping[str, Any]], *, timestamp: str | None = None, kind: str = "collection"
) -> Iterator[str]:
    """A collection (or transaction) Bundle as JSON text, one chunk per entry (constant memory)."""
    head: dict[str, Any] = {"resourceType": "Bundle", "type": kind}
    if timestamp:
        head["timestamp"] = timestamp
    opening = json.dumps(head, ensure_ascii=False)[:-1]
    yield opening + ', "entry": ['
    first = True
    for entry in entries:
        yield ("\n  " if first else ",\n  ") + json.dumps(entry, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def bundle(entries: Iterable[Mapping[str, Any]], *, timestamp: str | None = None) -> dict[str, Any]:
    """The whole Bundle as a dict (for small outputs such as one result)."""
    out: dict[str, Any] = {"resourceType": "Bundle", "type": "collection"}
    if timestamp:
        out["timestamp"] = timestamp
    out["entry"] = [dict(e) for e in entries]
    return out
