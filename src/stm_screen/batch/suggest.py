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
    fold_accents,
    header_rows,
    is_metadata,
    norm,
)
from stm_screen.batch.readers import MAX_COLUMNS, BadRecord, TableSource, open_source, too_many_columns
from stm_screen.core.ruleset import Question, Ruleset
from stm_screen.i18n import _

CUTOFF = 0.6
# Headers that name the record rather than answer a question (compared folded): offered as id_column
ID_HEADERS = frozenset(
    norm(h)
    for h in (
        "id", "record", "record id", "record_id", "patient", "patient id", "patient number", "patient no",
        "mrn", "medical record number", "participant", "participant id", "subject", "subject id",
        "study id", "case id", "respondent id", "response id", "reference", "patient reference",
        "patient ref", "hospital number", "nhs number", "chart number", "case number", "record number",
        "participant number", "subject number", "mrn number", "medical record", "patient no.",
        # Spanish exports (accents folded by norm)
        "id paciente", "id del paciente", "paciente", "número de paciente", "expediente", "número de expediente",
        "historia clínica", "número de historia clínica", "folio", "registro", "id de registro", "participante",
        "id del participante", "código del paciente", "referencia",
    )
)  # fmt: skip


def read_columns(path: str, preset: str | None, delimiter: str | None) -> tuple[str, list[Column]]:
    src = open_source(path, delimiter=delimiter)
    try:
        if isinstance(src, TableSource):
            head = list(islice((r for r in src.rows if r), 3))
            if any(len(r) > MAX_COLUMNS for r in head):
                raise too_many_columns(path, max(len(r) for r in head), header=False)
            name = preset or (detect_table(head) if head else "plain")
            n = header_rows(PRESETS[name], head)
            return name, PRESETS[name].columns(head[:n])
        first = next((r for r in src.records if not isinstance(r, BadRecord)), None)
        keys = tuple(first) if first else ()
        return preset or detect_record(keys, src.kind), [Column(i, k) for i, k in enumerate(keys)]
    finally:
        src.close()


# Words that say nothing about which question a header is.
_STOP = frozenset(
    "a an the of in on at to for and or with without any do does did you your yours have has had is are "
    "was were be been being there this that it its patient pts pt q question yn y n ever currently "
    "current please answer tick check select all apply "
    # Spanish (accents folded): articles, prepositions, pronouns and form words
    "el la los las un una unos unas de del al y o u e con sin en por para que se le lo su sus usted ha "
    "tiene tuvo es son esta esto actualmente alguna vez pregunta responda marque seleccione todas".split()
)
# Short forms in clinic exports.
_SHORT = {
    "hx": "history", "dx": "diagnosis", "sx": "symptom", "wt": "weight", "yr": "year", "yrs": "year",
    "mo": "month", "mos": "month", "mths": "month", "wk": "week", "wks": "week", "bl": "bilateral",
    "ca": "cancer", "si": "suicidal", "suicide": "suicidal", "selfharm": "self harm", "flareups": "flare up",
    "flareup": "flare up", "legs": "leg", "arms": "arm", "duration": "long", "length": "long",
    "anticoagulant": "blood thinner", "anticoagulants": "blood thinner", "anticoagulation": "blood thinner",
    "unintentional": "unexplained", "unintended": "unexplained", "anesthesia": "anaesthesia",
    "ideation": "thought", "ups": "up", "iv": "inject", "injecting": "inject",
}  # fmt: skip
_SUFFIXES = ("ation", "ion", "ing", "ies", "ed", "es", "s", "al")
# A safety question is suggested only when clearly ahead of the next-best question: at least SAFE_MARGIN
# ahead when alike at SAFETY_CUTOFF or more, else at least WIDE_MARGIN ahead.
SAFE_MARGIN = 0.08
SAFETY_CUTOFF = 0.7
WIDE_MARGIN = 0.15
SAFE_COVERAGE = 0.6  # and the header must hold most of the words of the title it matched ('Leg pain' is not
# 'Pain or numbness in both legs')


def _tokens(text: str) -> frozenset[str]:
    import re

    words = re.sub(r"[^0-9a-z]+", " ", fold_accents(text.casefold())).split()
    out: list[str] = []
    for word in words:
        word = _SHORT.get(word, word)
        for part in word.split():
            if part in _STOP or part.isdigit():
                continue
            out.append(_stem(part))
    return frozenset(out)


def _stem(word: str) -> str:
    """A crude stem, enough to meet 'immunosuppressed' and 'immunosuppression', 'legs' and 'leg'."""
    if len(word) > 4 and not word.endswith("ss"):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


class _Target:
    """A question's id, text or alias as headers are compared with it: its words, and a matcher holding its
    folded spelling (difflib indexes the second text once, for every header compared with it)."""

    __slots__ = ("words", "matcher")

    def __init__(self, text: str) -> None:
        self.words = _tokens(text)
        self.matcher = difflib.SequenceMatcher(None, "", norm(text))


_TARGETS: dict[int, tuple[Ruleset, list[tuple[Question, list[_Target]]]]] = {}


def _targets(ruleset: Ruleset) -> list[tuple[Question, list[_Target]]]:
    """Each question of a ruleset with its targets (its id, texts and aliases), made once per ruleset (a
    header of thousands of columns compares each of hundreds of them with every question)."""
    held = _TARGETS.get(id(ruleset))
    if held is not None and held[0] is ruleset:
        return held[1]
    out = []
    for q in ruleset.questions:
        texts = [q.id.replace("_", " "), *(str(t) for t in (q.text.default, *q.text.by_lang.values())), *q.aliases]
        out.append((q, [_Target(t) for t in texts if t]))
    if len(_TARGETS) >= 4:
        _TARGETS.clear()
    _TARGETS[id(ruleset)] = (ruleset, out)
    return out


def _alike(header: frozenset[str], folded: str, target: _Target) -> tuple[float, float]:
    """How alike a header is to a question's id, text or alias: the words they share (all of a short
    header's words in the target, or all of a short target's words in the header), or their spelling;
    and how much of the target the header covers (a safety question needs most of it)."""
    words = target.words
    shared = len(header & words)
    dice = 2 * shared / (len(header) + len(words)) if header and words else 0.0
    inside = shared / len(header) if header and len(header) <= 3 and len(words) <= 4 else 0.0  # 'Cancer hx'
    covers = shared / len(words) if len(words) >= 2 and len(words) <= 3 else 0.0  # 'Average pain ... week'
    matcher = target.matcher
    matcher.set_seq1(folded)
    # a typo: 'Pian score'. Only a spelling at least 0.8 alike counts, and difflib's two upper bounds of
    # the ratio (the lengths; the letters in common) rule most targets out without the ratio's search.
    spelling = matcher.ratio() if matcher.real_quick_ratio() >= 0.8 and matcher.quick_ratio() >= 0.8 else 0.0
    typo = 0.9 * spelling if spelling >= 0.8 else 0.0
    score = max(dice, 0.9 * inside, 0.8 * covers, typo)
    coverage = 1.0 if typo and typo >= score else (shared / len(words) if words else 0.0)
    return score, coverage


def match_header(header: str, ruleset: Ruleset) -> tuple[Question, float] | None:
    """The question a header most likely titles, and how alike (0-1); None when nothing is close enough.

    A header is compared with each question's id, text and ``aliases`` by the words they share (short
    forms such as 'hx' read as 'history') and by spelling. A safety question is only suggested when it is
    clearly ahead of every other question (a wrong safety match would hide a warning sign)."""
    header = header[:MAX_PROBE]
    words = _tokens(header)
    folded = norm(header)
    if not folded:
        return None
    scores: list[tuple[float, float, Question]] = []
    for q, targets in _targets(ruleset):
        score, coverage = max(_alike(words, folded, t) for t in targets)
        scores.append((score, coverage, q))
    scores.sort(key=lambda t: -t[0])
    best, coverage, q = scores[0]
    second = scores[1][0] if len(scores) > 1 else 0.0
    if best < CUTOFF:
        return None
    if q.safety or (len(scores) > 1 and scores[1][2].safety):
        margin = SAFE_MARGIN if best >= SAFETY_CUTOFF else WIDE_MARGIN
        if best - second < margin or (q.safety and coverage < SAFE_COVERAGE):
            return None
    return q, best


MAX_GUESSES = 300  # columns given a fuzzy guess; the others are listed unguessed (bounded time)
MAX_PROBE = 300  # characters of a header compared (question texts are shorter)


def _fuzzy(col: Column, ruleset: Ruleset) -> tuple[Question, float] | None:
    found = [m for m in (match_header(t, ruleset) for t in (col.text, col.name) if t) if m is not None]
    return max(found, key=lambda m: m[1]) if found else None


def suggest_mapping(path: str, ruleset: Ruleset, preset: str | None, delimiter: str | None) -> str:
    name, columns = read_columns(path, preset, delimiter)
    p = PRESETS[name]
    by_id = {norm(q.id): q for q in ruleset.questions}
    texts = _question_texts(ruleset)
    # The comments are for the person who will edit the file: in their language (the keys stay as they are).
    lines = [
        "# " + _("Starter mapping for {file}, written by 'stm-screen batch --suggest-map'.").format(file=_shown(path)),
        "# " + _("Check every line (guesses are marked), fill in or delete the commented columns, then run:"),
        "#   " + _("stm-screen batch {file} --map THIS_FILE.yaml").format(file=_shown(path)),
        f"preset: {name}",
    ]
    # each header folded once (a header of thousands of columns: not once per id column the preset knows)
    folded = [norm(c.name) for c in columns]
    first: dict[str, Column] = {}
    for col, name_folded in zip(columns, folded, strict=True):
        first.setdefault(name_folded, col)
    id_col = next((first[n] for n in map(norm, p.id_columns) if n in first), None)
    if id_col is None:  # 'Patient ID', 'MRN', 'Record': a person's way of naming the id column
        id_col = next((c for c, n in zip(columns, folded, strict=True) if n in ID_HEADERS and n not in by_id), None)
    if id_col is not None:
        lines.append(f"id_column: {_key(id_col.name)}")
    lines.append("columns:")
    keys = dict(zip((c.index for c in columns), mapping_names(columns), strict=True))
    # Exact matches first, over every column, so that no guess (nor a repeated column) is offered for a
    # question whose columns are already found: the starter file must not make two columns answer one.
    matched: dict[int, tuple[Question, str | None] | None] = {}

    def match_of(col: Column) -> tuple[Question, str | None] | None:  # _match, once per column
        if col.index not in matched:
            matched[col.index] = _match(col, ruleset, by_id, texts, p)
        return matched[col.index]

    meta = {c.index for c in columns if is_metadata(p, c.name)}  # (each column looked at once)
    platform_cols = {c.index for c, n in zip(columns, folded, strict=True) if c.index in meta and n not in by_id}
    found: dict[int, tuple[Question, str | None]] = {}
    taken: dict[str, set[str | None]] = {}  # question id -> its choices with a column (None: one column)
    for col in columns:
        if not col.name or col is id_col or col.index in platform_cols:
            continue
        match = match_of(col)
        if match is not None and _free(taken, *match):
            found[col.index] = match
            taken.setdefault(match[0].id, set()).add(match[1])
    answered: set[str] = set(taken)
    guesses: dict[int, tuple[Question, float]] = {}
    pending = []
    tried = 0
    for col in columns:
        if not col.name or col is id_col or col.index in found or col.index in meta:
            continue
        if match_of(col) is None and tried < MAX_GUESSES:
            tried += 1
            guess = _fuzzy(col, ruleset)
            if guess is not None:
                pending.append((guess[1], col.index, guess[0]))
    for ratio, index, q in sorted(pending, key=lambda t: (-t[0], t[1])):  # the closest guess wins a question
        if q.id not in answered:
            answered.add(q.id)
            guesses[index] = (q, ratio)
    unmatched: list[Column] = []
    platform: list[str] = []
    for col in columns:
        if not col.name or col is id_col:
            continue
        if col.index in platform_cols:
            platform.append(col.name)
            continue
        key = _key(keys[col.index])
        if col.index in found:
            q, choice = found[col.index]
            entry = q.id if choice is None else f"{{question: {q.id}, choice: {choice}}}"
            lines.append(f"  {key}: {entry}")
            continue
        match = match_of(col)
        if match is not None:  # a second column for a question already answered
            also = _("also matches {id}, answered by a column above: keep one").format(id=match[0].id)
            lines.append(f"  {key}: null  # {also}")
            continue
        if col.index in guesses:
            q, ratio = guesses[col.index]
            said = _("guess ({ratio} alike): check, add values: if needed").format(ratio=f"{ratio:.0%}")
            lines.append(f"  {key}: {q.id}  # {said}")
            continue
        unmatched.append(col)
    if unmatched:
        lines.append("  # " + _("Columns that match no question: map them (column: question_id) or leave them out."))
        lines.extend(f"  # {_quoted(keys[c.index])}: " for c in unmatched)
    if platform:
        lines.append("# " + _("Platform columns left out: {columns}").format(columns=_shown(", ".join(platform))))
    missing = [q.id for q in ruleset.questions if q.id not in answered]
    if missing:
        lines.append("# " + _("Questions with no column yet: {ids}").format(ids=", ".join(missing)))
        needed = [q for q in missing if ruleset.by_id[q].safety or ruleset.by_id[q].required]
        if needed:
            lines.append(
                "# "
                + _(
                    "Safety questions among them: batch stops (exit 2) until each has a column. If the export "
                    "has none for some, allow them (their warning signs then count as not checked: 'incomplete', "
                    "see_doctor) by uncommenting:"
                )
            )
            lines.append(f"# allow_missing: [{', '.join(needed)}]")
    lines.append(_value_help(ruleset.questions))
    return "\n".join(lines) + "\n"


def _free(taken: dict[str, set[str | None]], q: Question, choice: str | None) -> bool:
    """May one more column answer this question (one column, or one column per choice)?"""
    have = taken.get(q.id)
    return not have or (choice is not None and None not in have and choice not in have)


def _value_help(questions: Sequence[Question]) -> str:
    example = _('"How often does pain limit you?"')
    values = _('{"Never": 0, "Some days": 4, "Most days": 7, "Every day": 10}')  # shown as it is (no format)
    ids = _("Question ids: {ids}").format(ids=", ".join(q.id for q in questions))
    return (
        "# " + _("Value maps, for answers written in other words, go under a column, e.g.:") + "\n"
        f"#   {example}:\n"
        "#     question: activity_limitation\n"
        f"#     values: {values}\n"
        f"# {ids}"
    )


def _escaped(ch: str) -> str:
    """A character as it is, or as its escape when it is not printable or a reader does not see it (a
    variation selector or a Hangul filler is printable, and invisible all the same: see yamlfile)."""
    from stm_screen.io.yamlfile import unseen

    if ch.isprintable() and not unseen(ch):
        return ch
    return f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}"


def _quoted(text: str) -> str:
    """A header as a double-quoted YAML scalar: every character a reader does not see, or YAML refuses in a
    file (the C1 controls, direction overrides), written as its escape, which YAML reads back to it."""
    from stm_screen.io.yamlfile import any_unseen

    scalar = json.dumps(text, ensure_ascii=False)
    if scalar.isprintable() and not any_unseen(scalar):
        return scalar  # nothing to escape (most headers): not looked at character by character
    return "".join(map(_escaped, scalar))


def _key(text: str) -> str:
    """A header as a mapping file's key: without the invisible characters a mapping file may not hold (a
    soft hyphen, a zero-width space, a direction override: see yamlfile), which matching a key to a header
    ignores anyway (folded: only letters and digits count); else :func:`_quoted`."""
    from stm_screen.io.yamlfile import refused_in_text

    kept = refused_in_text(text)
    return _quoted(kept if kept.strip() else text)


def _shown(text: str) -> str:
    """Text in a comment, with those characters shown as escapes (a comment is never read back)."""
    return "".join(map(_escaped, text))
