"""A multi-choice cell is read in time in proportion to its length (issue 10: every limit bounds the work).

Labels may hold the separator ('Arm or leg, such as the elbow, wrist, knee, ankle or heel'), so a run of
tokens is tried as one label; the run was tried from the cell's end each time, which made a cell of 800
selections take 16 s and one of 10,000 never finish. A run is now never longer than the longest label
splits into: the answers read are those of the unbounded search (checked against it), and a cell naming
far more selections than the question has choices is refused, unless the question takes the respondent's
own words for 'Other'."""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stm_screen.batch.presets import norm
from stm_screen.batch.values import _multi_reader, choice_table, other_choice
from stm_screen.core.answers import AnswerValueError, parse_choice


@functools.cache
def _question() -> Any:
    from stm_screen.screening import load_rules

    return load_rules(None).by_id["pain_areas"]


def _unbounded(q: Any, separators: str, other_as_typed: bool) -> Any:
    """The search as it was (every run up to the cell's end): the oracle."""
    table = choice_table(q)
    split = re.compile("|".join(re.escape(s) for s in separators))
    other = other_choice(q) if other_as_typed else None

    def read(text: str) -> frozenset[str]:
        whole = table.get(norm(text.strip()))
        if whole is not None:
            return frozenset({whole})
        tokens = list(split.split(text.strip()))
        while tokens and not tokens[-1].strip():
            tokens.pop()
        out: set[str] = set()
        i, n = 0, len(tokens)
        while i < n:
            if not tokens[i].strip():
                i += 1
                continue
            for j in range(n, i, -1):
                found = table.get(norm("".join(tokens[i:j]))) if j > i + 1 else None
                if found is not None:
                    out.add(found)
                    i = j
                    break
            else:
                token = tokens[i].strip()
                found = table.get(norm(token))
                if found is None:
                    try:
                        found = parse_choice(q, token)
                    except AnswerValueError:
                        if other is None:
                            raise
                        found = other
                out.add(found)
                i += 1
        return frozenset(out)

    return read


def _outcome(read: Any, text: str) -> object:
    try:
        return read(text)
    except AnswerValueError:
        return "refused"


def _pieces() -> st.SearchStrategy[str]:
    q = _question()
    words = [t for c in q.choices for t in (c.id, c.label.default, *c.label.by_lang.values())]
    return st.one_of(st.sampled_from(words), st.sampled_from(["elbow", "knee", "my hip", "", " "]))


@settings(max_examples=150, deadline=None)
@given(st.lists(_pieces(), min_size=1, max_size=14), st.sampled_from([", ", ";", ","]), st.booleans())
def test_the_answers_read_are_those_of_the_unbounded_search(pieces: list[str], separator: str, other: bool) -> None:
    q = _question()
    text = separator.join(pieces)
    fast = _multi_reader(q, separator.strip() or separator, {}, other)
    slow = _unbounded(q, separator.strip() or separator, other)
    assert _outcome(fast, text) == _outcome(slow, text), text


def test_a_cell_of_thousands_of_selections_is_refused_plainly() -> None:
    read = _multi_reader(_question(), ";", {}, False)
    with pytest.raises(AnswerValueError, match="10,000 selections in one answer, but the question has 9 choices"):
        read(";".join(["low_back"] * 10_000))


def test_many_selections_within_the_limit_and_a_long_other_answer_are_read() -> None:
    """Each choice named four times, the longest label included, is read (repeats are one selection); an
    'Other' answer in the respondent's own words with thousands of separators is read too (no limit then)."""
    q = _question()
    labels = [c.label.default for c in q.choices] * 4
    assert _multi_reader(q, ",", {}, False)(",".join(labels)) == frozenset(c.id for c in q.choices)
    words = ", ".join(["my left hip"] * 5_000)
    assert _multi_reader(q, ",", {}, True)(f"Lower back, {words}") == frozenset({"low_back", "other"})
