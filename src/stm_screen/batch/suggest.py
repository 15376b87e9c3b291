"""``--suggest-map``: a starter mapping file from the headers of an export, for a person to finish.

Columns that already resolve (question id, question text, checkbox column) are written as they are;
others get the closest question by fuzzy match of the header against question ids and texts, marked as a
guess; every other column is listed, commented out, so nothing is silently dropped.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from itertools import islice

from stm_screen.batch.columns import _match, _question_texts, mapping_names
from stm_screen.batch.presets import (
    PRESETS,
    Column,
    detect_record,
    detect_table,
    header_rows,
    is_metadata,
    norm,
)
from stm_screen.batch.readers import BadRecord, TableSource, open_source
from stm_screen.core.ruleset import Question, Ruleset

CUTOFF = 0.6
# Headers that name the record rather than answer a question (compared folded): offered as id_column
ID_HEADERS = frozenset(
    norm(h)
    for h in (
        "id", "record", "record id", "record_id", "patient", "patient id", "patient number", "patient no",
        "mrn", "medical record number", "participant", "participant id", "subject", "subject id",
        "study id", "case id", "respondent id", "response id", "reference", "patient reference",
    )
)  # fmt: skip


def read_columns(path: str, preset: str | None, delimiter: str | None) -> tuple[str, list[Column]]:
    src = open_source(path, delimiter=delimiter)
    try:
        if isinstance(src, TableSource):
            head = list(islice((r for r in src.rows if r), 3))
            name = preset or (detect_table(head) if head else "plain")
            n = header_rows(PRESETS[name], head)
            return name, PRESETS[name].columns(head[:n])
        first = next((r for r in src.records if not isinstance(r, BadRecord)), None)
        keys = tuple(first) if first else ()
        return preset or detect_record(keys, src.kind), [Column(i, k) for i, k in enumerate(keys)]
    finally:
        src.close()


def _fuzzy(col: Column, ruleset: Ruleset) -> tuple[Question, float] | None:
    best: tuple[Question, float] | None = None
    probes = [norm(t) for t in (col.text, col.name) if t]
    for q in ruleset.questions:
        for target in (norm(q.id), norm(q.text.default)):
            for probe in probes:
                ratio = difflib.SequenceMatcher(None, probe, target).ratio()
                if best is None or ratio > best[1]:
                    best = (q, ratio)
    return best if best is not None and best[1] >= CUTOFF else None


def suggest_mapping(path: str, ruleset: Ruleset, preset: str | None, delimiter: str | None) -> str:
    name, columns = read_columns(path, preset, delimiter)
    p = PRESETS[name]
    by_id = {norm(q.id): q for q in ruleset.questions}
    texts = _question_texts(ruleset)
    lines = [
        f"# Starter mapping for {path}, written by 'stm-screen batch --suggest-map'.",
        "# Check every line (guesses are marked), fill in or delete the commented columns, then run:",
        f"#   stm-screen batch {path} --map THIS_FILE.yaml",
        f"preset: {name}",
    ]
    id_col = next((c for cand in p.id_columns for c in columns if norm(c.name) == norm(cand)), None)
    if id_col is None:  # 'Patient ID', 'MRN', 'Record': a person's way of naming the id column
        id_col = next((c for c in columns if norm(c.name) in ID_HEADERS and norm(c.name) not in by_id), None)
    if id_col is not None:
        lines.append(f"id_column: {json.dumps(id_col.name, ensure_ascii=False)}")
    lines.append("columns:")
    keys = dict(zip((c.index for c in columns), mapping_names(columns), strict=True))
    # Exact matches first, over every column, so that no guess (nor a repeated column) is offered for a
    # question whose columns are already found: the starter file must not make two columns answer one.
    found: dict[int, tuple[Question, str | None]] = {}
    taken: dict[str, set[str | None]] = {}  # question id -> its choices with a column (None: one column)
    for col in columns:
        if not col.name or col is id_col or (is_metadata(p, col.name) and norm(col.name) not in by_id):
            continue
        match = _match(col, ruleset, by_id, texts, p)
        if match is not None and _free(taken, *match):
            found[col.index] = match
            taken.setdefault(match[0].id, set()).add(match[1])
    answered: set[str] = set(taken)
    unmatched: list[Column] = []
    platform: list[str] = []
    for col in columns:
        if not col.name or col is id_col:
            continue
        if is_metadata(p, col.name) and norm(col.name) not in by_id:
            platform.append(col.name)
            continue
        key = json.dumps(keys[col.index], ensure_ascii=False)
        if col.index in found:
            q, choice = found[col.index]
            entry = q.id if choice is None else f"{{question: {q.id}, choice: {choice}}}"
            lines.append(f"  {key}: {entry}")
            continue
        match = _match(col, ruleset, by_id, texts, p)
        if match is not None:  # a second column for a question already answered
            lines.append(f"  {key}: null  # also matches {match[0].id}, answered by a column above: keep one")
            continue
        guess = _fuzzy(col, ruleset)
        if guess is not None and guess[0].id not in answered:
            q, ratio = guess
            answered.add(q.id)
            lines.append(f"  {key}: {q.id}  # guess ({ratio:.0%} alike): check, add values: if needed")
            continue
        unmatched.append(col)
    if unmatched:
        lines.append("  # Columns that match no question: map them (column: question_id) or leave them out.")
        lines.extend(f"  # {json.dumps(keys[c.index], ensure_ascii=False)}: " for c in unmatched)
    if platform:
        lines.append(f"# Platform columns left out: {', '.join(platform)}")
    missing = [q.id for q in ruleset.questions if q.id not in answered]
    if missing:
        lines.append(f"# Questions with no column yet: {', '.join(missing)}")
        needed = [q for q in missing if ruleset.by_id[q].safety or ruleset.by_id[q].required]
        if needed:
            lines.append(
                "# Safety questions among them: batch stops (exit 2) until each has a column. If the export "
                "has none for some, allow them (their warning signs then count as not checked: 'incomplete', "
                "see_doctor) by uncommenting:"
            )
            lines.append(f"# allow_missing: [{', '.join(needed)}]")
    lines.append(_value_help(ruleset.questions))
    return "\n".join(lines) + "\n"


def _free(taken: dict[str, set[str | None]], q: Question, choice: str | None) -> bool:
    """May one more column answer this question (one column, or one column per choice)?"""
    have = taken.get(q.id)
    return not have or (choice is not None and None not in have and choice not in have)


def _value_help(questions: Sequence[Question]) -> str:
    return (
        "# Value maps, for answers written in other words, go under a column, e.g.:\n"
        '#   "How often does pain limit you?":\n'
        "#     question: activity_limitation\n"
        '#     values: {"Never": 0, "Some days": 4, "Most days": 7, "Every day": 10}\n'
        f"# Question ids: {', '.join(q.id for q in questions)}"
    )
