"""A ruleset shown in one language, with one country's words.

:func:`localise` returns the same ruleset (same ids, conditions, hash and examples) whose texts read, through
``str()`` and ``Words.get()``, in the chosen language (with the fallbacks of ``core.language.resolve``) and
with the country's words ("physiotherapy" in the United Kingdom). Everything that shows a ruleset's text, the
questionnaire, results, reports and form exports, then speaks that language without knowing about languages.
The texts in every language stay in ``Words.by_lang``, so survey answers written in any of them still match.
"""

from __future__ import annotations

from stm_screen.core.language import region_terms, resolve
from stm_screen.core.ruleset import Ruleset, Words


def localise(ruleset: Ruleset, lang: str | None, country: str | None = None) -> Ruleset:
    """``ruleset`` shown in ``lang`` (None: its first language) with ``country``'s words."""
    first = ruleset.languages[0] if ruleset.languages else "en"
    code = lang or first
    if code == ruleset.lang and country == ruleset.country:
        return ruleset
    langs = list(ruleset.languages)

    def w(words: Words) -> Words:
        texts = dict(words.by_lang) if words.by_lang else ({first: words.default} if words.default else {})
        text = resolve(texts, code, langs)
        shown = region_terms(text, code, country)
        if shown != text and code in texts:
            texts[code] = shown
        return Words(texts, shown)

    sections = {k: s._replace(title=w(s.title), intro=w(s.intro)) for k, s in ruleset.sections.items()}
    questions = tuple(
        q._replace(
            text=w(q.text),
            help=w(q.help),
            unit=w(q.unit),
            choices=tuple(c._replace(label=w(c.label)) for c in q.choices),
        )
        for q in ruleset.questions
    )
    levels = tuple(
        lv._replace(title=w(lv.title), advice=w(lv.advice), next_steps=tuple(w(s) for s in lv.next_steps))
        for lv in ruleset.levels
    )
    unchecked = ruleset.unchecked
    if unchecked is not None:
        unchecked = unchecked._replace(
            title=w(unchecked.title),
            advice=w(unchecked.advice),
            next_steps=tuple(w(s) for s in unchecked.next_steps),
        )
    return ruleset._replace(
        title=w(ruleset.title),
        description=w(ruleset.description),
        disclaimer=w(ruleset.disclaimer),
        sections=sections,
        questions=questions,
        red_flags=tuple(rf._replace(title=w(rf.title), message=w(rf.message)) for rf in ruleset.red_flags),
        criteria=tuple(c._replace(title=w(c.title), explanation=w(c.explanation)) for c in ruleset.criteria),
        scores=tuple(
            s._replace(
                title=w(s.title),
                bands=tuple(b._replace(label=w(b.label), message=w(b.message)) for b in s.bands),
            )
            for s in ruleset.scores
        ),
        levels=levels,
        outcomes=tuple(o._replace(explanation=w(o.explanation)) for o in ruleset.outcomes),
        unchecked=unchecked,
        notes=tuple(n._replace(text=w(n.text)) for n in ruleset.notes),
        by_id={q.id: q for q in questions},
        level_by_id={lv.id: lv for lv in levels},
        lang=code,
        country=country,
    )
