"""What each survey platform's export looks like (see docs/batch.md and the shared survey-exports notes).

A preset says how many header rows come first and how to read them into :class:`Column` descriptions
(name, question text, option label), which columns are the platform's own metadata, where the record id
is, which cell values mean "not answered", and how multi-select answers are joined.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

PRESET_NAMES = (
    "plain",
    "redcap",
    "qualtrics",
    "google-forms",
    "surveymonkey",
    "ms-forms",
    "odk-central",
    "kobo",
    "fhir",
)

_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def norm(text: str) -> str:
    """A header or label folded for matching: case, accents, spaces and punctuation do not count."""
    return _NON_ALNUM.sub("", fold_accents(text.casefold()))


def fold_accents(text: str) -> str:
    """'Duración' -> 'Duracion', 'año' -> 'ano': exports drop or keep accents at random."""
    if text.isascii():
        return text
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@dataclass(frozen=True)
class Column:
    """One input column: its header (``name``), the question text above it and the option it stands for."""

    index: int
    name: str
    text: str = ""  # question text when the platform gives it apart from the name (Qualtrics row 2)
    option: str = ""  # option label of a split multi-select column (SurveyMonkey row 2)


@dataclass(frozen=True)
class Preset:
    name: str
    header_rows: int
    id_columns: tuple[str, ...]  # candidate id column names, first found wins (compared folded)
    metadata: frozenset[str]  # folded names of platform columns that never hold answers
    missing: frozenset[str]  # cell values that mean "not answered" (compared folded, exact text)
    separators: str  # how joined multi-select answers are separated
    id_suffix_columns: tuple[str, ...] = ()  # appended to the id (REDCap event, repeat instance)
    # a joined multi-select holds the respondent's own words for "Other" as one more item (Google Forms,
    # Microsoft Forms): an item matching no choice then means the question's "other" choice, if it has one
    other_as_typed: bool = False

    def columns(self, headers: Sequence[Sequence[str]]) -> list[Column]:
        """Column descriptions from this preset's header rows."""
        first = list(headers[0]) if headers else []
        while first and not first[-1].strip():  # a trailing delimiter adds an empty last column
            first.pop()
        if self.name == "qualtrics" and len(headers) >= 2:
            second = list(headers[1])
            out_q: list[Column] = []
            for i, name in enumerate(first):
                text = _clean(second[i]) if i < len(second) else ""
                # the legacy layout heads its own columns V1..V10 with their names in row 2
                if _LEGACY_V.fullmatch(name.strip()) and text:
                    out_q.append(Column(i, text))
                else:
                    out_q.append(Column(i, _clean(name), text))
            return out_q
        if self.name == "surveymonkey" and len(headers) >= 2:
            second = list(headers[1])
            out: list[Column] = []
            current = ""
            for i in range(max(len(first), len(second))):
                top = _clean(first[i]) if i < len(first) else ""
                sub = _clean(second[i]) if i < len(second) else ""
                if top:
                    current = top
                if not current:
                    continue
                option = "" if norm(sub) in _MONKEY_SINGLE else sub
                name = current if not option else f"{current} - {option}"
                out.append(Column(i, name, current, option))
            return out
        return [Column(i, _clean(name)) for i, name in enumerate(first)]


def _clean(header: str) -> str:
    """Strip what platforms add around a header: BOM remnants, line breaks in titles, outer spaces."""
    return " ".join(header.replace("\ufeff", "").split())


_LEGACY_V = re.compile(r"^V\d+$")
_MONKEY_SINGLE = frozenset({"", "response", "openendedresponse", "openended"})


def fold(text: str) -> str:
    """Case and spacing folded (for values and missing codes, where punctuation matters: '-99')."""
    return " ".join(text.casefold().split())


def _folded(*names: str) -> frozenset[str]:
    return frozenset(norm(n) for n in names)


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(fold(c) for c in codes)


_REDCAP_MISSING = _codes(
    "NI", "INV", "UNK", "NASK", "ASKU", "NAV", "MSK", "NA", "NAVU", "NP", "QS", "QI", "TRC", "UNC", "DER",
    "PINF", "NINF", "OTH", "[not completed]",
)  # fmt: skip

# REDCap's "CSV (labels)" web export heads its own columns with labels ('Complete?' for each instrument's
# status, 'Survey Timestamp' for its survey time) and checkbox columns 'Field label (choice=Option label)'.
_XLSFORM_META = (
    "start", "end", "today", "deviceid", "phonenumber", "username", "email", "simserial", "subscriberid",
    "audit", "start-geopoint", "instanceName",
)  # fmt: skip

_REDCAP_LABEL_HEADERS = (
    "Event Name",
    "Repeat Instrument",
    "Repeat Instance",
    "Data Access Group",
    "Survey Identifier",
    "Survey Timestamp",
    "Complete?",
)
_REDCAP_CHOICE_HEADER = re.compile(r"\(choice=.*\)$")

PRESETS: dict[str, Preset] = {
    "plain": Preset(
        "plain",
        1,
        ("id", "record_id", "respondent_id", "response_id", "responseid"),
        frozenset(),
        frozenset(),
        ",;",
    ),
    "redcap": Preset(
        "redcap",
        1,
        ("record_id", "participant_id", "record"),
        _folded(
            "redcap_event_name",
            "redcap_repeat_instrument",
            "redcap_repeat_instance",
            "redcap_data_access_group",
            "redcap_survey_identifier",
            # the web labels export heads these columns with labels instead
            *_REDCAP_LABEL_HEADERS,
        ),
        _REDCAP_MISSING,
        ",;|",
        (
            "redcap_event_name",
            "redcap_repeat_instrument",
            "redcap_repeat_instance",
            "Event Name",
            "Repeat Instrument",
            "Repeat Instance",
        ),  # fmt: skip
    ),
    "qualtrics": Preset(
        "qualtrics",
        3,
        ("ResponseId", "ResponseID", "Response ID", "_recordId"),
        _folded(
            "StartDate",
            "EndDate",
            "Status",
            "IPAddress",
            "Progress",
            "Duration (in seconds)",
            "Finished",
            "RecordedDate",
            "ResponseId",
            "RecipientLastName",
            "RecipientFirstName",
            "RecipientEmail",
            "ExternalReference",
            "ExternalDataReference",
            "LocationLatitude",
            "LocationLongitude",
            "LocationAccuracy",
            "DistributionChannel",
            "UserLanguage",
            "ResponseSet",
            "Name",
            "EmailAddress",
            "IPAddress",
        ),  # fmt: skip
        _codes("-99", "-98"),
        ",",
    ),
    "google-forms": Preset(
        "google-forms",
        1,
        ("Response ID", "ID"),
        _folded("Timestamp", "Email Address", "Email address", "Score", "Total score"),
        frozenset(),
        ",;",
        other_as_typed=True,
    ),
    "surveymonkey": Preset(
        "surveymonkey",
        2,
        ("Respondent ID",),
        _folded(
            "Collector ID",
            "Start Date",
            "End Date",
            "IP Address",
            "Email Address",
            "First Name",
            "Last Name",
            "Custom Data 1",
            "Custom Data",
        ),  # fmt: skip
        frozenset(),
        ",;",
    ),
    "ms-forms": Preset(
        "ms-forms",
        1,
        ("ID",),
        _folded(
            "Start time",
            "Completion time",
            "Email",
            "Name",
            "Last modified time",
            "Total points",
            "Quiz feedback",
            "Grade posted time",
        ),  # fmt: skip
        frozenset(),
        ";",
        other_as_typed=True,
    ),
    # ODK Central's submissions CSV (getodk/central-backend test/unit/data/briefcase.js): XML names as
    # headers, groups joined with '-' ('g1-q2'), select_multiple as space-separated names, and with
    # splitSelectMultiples one 'q/choice' column of 1/0 per choice
    "odk-central": Preset(
        "odk-central",
        1,
        ("KEY", "meta-instanceID", "instanceID"),
        _folded(
            "SubmissionDate", "meta-instanceID", "instanceID", "KEY", "PARENT_KEY", "SubmitterID",
            "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState",
            "DeviceID", "Edits", "FormVersion", *_XLSFORM_META,
        ),
        _codes("N/A"),
        " ",
    ),
    # KoboToolbox's CSV export (kobotoolbox/kpi kpi/tests/test_mock_data_exports.py): ';'-separated, every
    # field quoted, CRLF; labels as headers and values by default (or XML names, groups joined with '/'),
    # select_multiple as a summary cell joined with spaces plus 'Question/Option' columns of 1/0, an
    # optional second row of HXL #tags, '_submitted_by' the literal None when empty
    "kobo": Preset(
        "kobo",
        1,
        ("_uuid", "meta/instanceID", "_id"),
        _folded(
            "_id", "_notes", "_status", "_submission_time", "_submitted_by", "_tags", "_uuid",
            "_validation_status", "_index", "__version__", "_version_", "_xform_id_string", "_attachments",
            "_geolocation", "_bamboo_dataset_id", "formhub/uuid", "meta/instanceID", "meta/deprecatedID",
            "meta/rootUuid", *_XLSFORM_META,
        ),
        frozenset(),
        " ",
    ),
    "fhir": Preset("fhir", 0, ("__id__",), _folded("__status__"), frozenset(), ","),
}
# the FHIR reader's own fields (not answers): never matched to a question (norm() drops the underscores)
FHIR_FIELDS = frozenset({"__id__", "__status__", "__subject__", "__identifier__"})

# Columns an XLSForm's own metadata questions add (start, end, ... are form fields in both exports).
PATH_PRESETS = ("odk-central", "kobo")


def is_metadata(preset: Preset, name: str) -> bool:
    if preset.name == "fhir" and name in FHIR_FIELDS:
        return True
    folded = norm(name)
    if folded in preset.metadata:
        return True
    if preset.name == "odk-central" and name.startswith("meta-"):
        return True
    if preset.name == "kobo" and (name.startswith(("meta/", "formhub/")) or name.startswith("_")):
        return True
    if preset.name == "ms-forms" and (name.startswith(("Points - ", "Feedback - "))):
        return True
    return preset.name == "redcap" and (name.endswith(("_complete", "_timestamp")))


def detect_table(rows: Sequence[Sequence[str]]) -> str:
    """The platform a table export most likely comes from, judged from its first rows."""
    first = [_clean(c) for c in rows[0]] if rows else []
    folded = {norm(c) for c in first}
    names = set(first)
    if "KEY" in names and ("SubmissionDate" in names or "meta-instanceID" in names):
        return "odk-central"
    if "_uuid" in names and "_submission_time" in names:
        return "kobo"
    third = rows[2] if len(rows) > 2 else []
    if any(c.lstrip().startswith('{"ImportId"') for c in third):
        return "qualtrics"
    if "responseid" in folded and ("responseset" in folded or "startdate" in folded):
        return "qualtrics"
    second = {norm(c) for c in rows[1]} if len(rows) > 1 else set()
    if {"responseid", "responseset"} <= second and any(_LEGACY_V.fullmatch(c) for c in first):
        return "qualtrics"  # the legacy layout: V1..V10 over ResponseID, ResponseSet, ...
    if "respondentid" in folded and "collectorid" in folded:
        return "surveymonkey"
    if "redcapeventname" in folded or any("___" in c for c in first) or (first and first[0] == "record_id"):
        return "redcap"
    if any(_REDCAP_CHOICE_HEADER.search(c) for c in first) or (
        first
        and norm(first[0]) == "recordid"
        and folded & _folded("Event Name", "Complete?", "Survey Timestamp")
    ):  # the labels export: field labels as headers
        return "redcap"
    if any(c.endswith("_complete") for c in first) and any(c.endswith("_timestamp") for c in first):
        return "redcap"
    if first and norm(first[0]) == "timestamp":
        return "google-forms"
    if len(first) >= 3 and [norm(c) for c in first[:3]] == ["id", "starttime", "completiontime"]:
        return "ms-forms"
    return "plain"


def detect_record(keys: Sequence[str], kind: str) -> str:
    """The platform of a JSON export (FHIR, REDCap API JSON, or plain question-id keys)."""
    if kind == "fhir" or "__status__" in keys:
        return "fhir"
    if "_uuid" in keys and "_submission_time" in keys:
        return "kobo"  # KoboToolbox's API JSON: XML names ('group/q') and values
    if "redcap_event_name" in keys or any("___" in k for k in keys) or "record_id" in keys:
        return "redcap"
    return "plain"


def header_rows(preset: Preset, rows: Sequence[Sequence[str]]) -> int:
    """How many of the first rows are headers (Qualtrics' legacy format has two, the current three). The
    second row of ``form export csv``'s template is skipped as a record, with a note (``batch.runner``)."""
    return _header_rows(preset, rows)


def _header_rows(preset: Preset, rows: Sequence[Sequence[str]]) -> int:
    if preset.name == "kobo" and len(rows) > 1 and is_hxl_row(rows[1]):
        return 2
    if preset.name == "qualtrics":
        third = rows[2] if len(rows) > 2 else []
        if any(c.lstrip().startswith('{"ImportId"') for c in third):
            return 3
        # The legacy format has a second header row; an export whose rows 2 and 3 were deleted (a common
        # clean-up) has a response there instead: its ResponseId cell holds an id such as R_1a2B3c4D5e6F7g8.
        return 1 if len(rows) > 1 and _response_id_cell(rows[0], rows[1]) else 2
    return preset.header_rows


_QUALTRICS_ID = re.compile(r"^R_[0-9A-Za-z]{8,}$")


def _response_id_cell(first: Sequence[str], second: Sequence[str]) -> bool:
    for i, name in enumerate(first):
        if norm(name) in ("responseid", "recordid") and i < len(second):
            return bool(_QUALTRICS_ID.fullmatch(second[i].strip()))
    return False


def is_hxl_row(row: Sequence[str]) -> bool:
    """KoboToolbox's optional second header row of HXL hashtags ('#symmetry', '#adm1+code'): every cell
    blank or a tag, and at least one tag."""
    cells = [c.strip() for c in row]
    return any(cells) and all(not c or re.fullmatch(r"#[A-Za-z][\w+-]*", c) for c in cells)


def path_candidates(preset: Preset, name: str) -> list[tuple[str, str]]:
    """(question name or text, option) pairs a group path header may stand for, most specific first:
    ODK Central 'g1-q2' and 'g1-q2/choice'; KoboToolbox 'group/q', 'Question?/Option', 'Group/Question?'
    (question text may itself hold a '/', so every split is tried)."""
    out: list[tuple[str, str]] = []
    if preset.name == "odk-central":
        base, _, option = name.partition("/")
        last = base.rsplit("-", 1)[-1]
        if last != base or option:
            out.append((last, option))
        return out
    if preset.name == "kobo" and "/" in name:
        parts = name.split("/")
        out.extend(("/".join(parts[k:]), "") for k in range(1, len(parts)))  # a group path: question last
        out.extend(("/".join(parts[k:-1]), parts[-1]) for k in range(len(parts) - 1))  # a split column
    return out
