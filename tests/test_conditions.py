"""The restricted condition language: semantics, refusals, and property tests."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stm_screen.core.conditions import Condition, ConditionError, NameInfo, compile_condition

NAMES = {
    "months": NameInfo("num"),
    "level": NameInfo("num"),
    "stiff": NameInfo("bool"),
    "fear": NameInfo("bool"),
    "side": NameInfo("choice", ("left", "right")),
    "areas": NameInfo("multi", ("back", "neck", "jaw")),
}


def c(text: str) -> Condition:
    return compile_condition(text, NAMES)


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("months > 3", {"months": 3}, False),
        ("months > 3", {"months": 3.5}, True),
        ("level >= 4", {"level": 4}, True),
        ("months > 3 and (fear or stiff)", {"months": 4, "fear": False, "stiff": True}, True),
        ("'back' in areas", {"areas": frozenset({"back"})}, True),
        ("'neck' not in areas", {"areas": frozenset({"back"})}, True),
        ("side == 'left'", {"side": "left"}, True),
        ("side in ('left', 'right')", {"side": "right"}, True),
        ("months - level > 2", {"months": 10, "level": 7}, True),
        ("level - months / 12 < 45", {"level": 46, "months": 24}, True),  # began at 44
        ("level - months / 12 < 45", {"level": 46, "months": 12}, False),  # began at 45
        ("level * 12 - months < 540", {"level": 46, "months": 24}, True),
        ("2 * level > months", {"level": 3, "months": 5}, True),
        ("-level * 2 < 0", {"level": 3}, True),
        ("0 < level <= 4", {"level": 4}, True),
        ("not stiff", {"stiff": False}, True),
        ("True", {}, True),
    ],
)
def test_semantics(text: str, values: dict[str, object], expected: bool) -> None:
    assert c(text).evaluate(values) is expected


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("months > 3", {}, None),  # unanswered: unknown, not false
        ("not stiff", {}, None),  # 'not unknown' is unknown, never true
        ("stiff or fear", {"fear": True}, True),  # one true side is enough
        ("stiff and fear", {"fear": False}, False),  # one false side is enough
        ("stiff and fear", {"fear": True}, None),
        ("months > 3 or level >= 4", {"level": 2}, None),
        ("0 < level < months", {"level": 5}, None),
        ("0 < level < months", {"level": 0}, False),
        ("level - months / 12 < 45", {"level": 50}, None),
    ],
)
def test_unanswered_questions_use_three_valued_logic(
    text: str, values: dict[str, object], expected: bool
) -> None:
    assert c(text).evaluate(values) is expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os').system('id')", "calling a function"),
        ("().__class__.__bases__", "not allowed"),
        ("months.real > 1", "an attribute"),
        ("areas[0] == 'back'", "indexing"),
        ("_secret", "names starting with '_'"),
        ("9 ** 9 ** 9 > 1", "the operator '**'"),
        ("'a' * 10 ** 9", "the operator '**'"),
        ("'a' * 3 == 'aaa'", "work on numbers"),
        ("months * months > 1", "a number written out on one side"),
        ("months / months > 1", "divide by a number written out"),
        ("months / 0 > 1", "by zero"),
        ("months // 2 > 1", "the operator '//'"),
        ("(lambda: 1)()", "not allowed"),
        ("[x for x in areas]", "a comprehension"),
        ("(y := 1)", "':='"),
        ("months if stiff else level", "'x if y else z'"),
        ("f'{months}' == 'x'", "an f-string"),
        ("not " * 600 + "stiff", "too long"),
        ("(" * 250 + "stiff" + ")" * 250, "not a valid condition"),
        ("stiff or " * 150 + "stiff", "too complex"),
        ("'" + "x" * 300 + "' in areas", "at most 200 characters"),
        ("months > 1e300", "too large"),
        ("months", "must be true or false"),
        ("stiff == 1", "cannot compare"),
        ("side > 'left'", "compare numbers"),
        ("'hip' in areas", "'hip' is not a choice of 'areas'"),
        ("side == 'lft'", "did you mean 'left'"),
        ("'back' in side", "'in' needs a multiple-choice question or a list"),
        ("areas == 'back'", "cannot compare"),
        ("stiff is True", "the operator 'is'"),
        ("monhts > 3", "unknown question 'monhts' (did you mean 'months'?)"),
        ("", "empty"),
        ("months >", "not a valid condition"),
        ("months > 3\x00", "NUL"),
    ],
)
def test_refused(text: str, fragment: str) -> None:
    with pytest.raises(ConditionError) as info:
        c(text)
    assert fragment in info.value.message


def test_huge_answers_in_arithmetic_never_raise() -> None:
    cond = c("level * 1000000000000 / 3 - months * 1000000000000 > 1")
    huge = 10**15
    assert cond.evaluate({"level": huge, "months": 0}) is True
    chained = c(" * ".join(["level"] + ["1000000000000"] * 40) + " / 7 > 1")
    assert chained.evaluate({"level": huge}) is True  # infinity, not OverflowError


def test_error_offset_points_at_the_offending_name() -> None:
    with pytest.raises(ConditionError) as info:
        c("months > 3 and stif")
    assert info.value.offset == len("months > 3 and ")


def test_deep_but_legal_nesting_is_accepted() -> None:
    assert c("(" * 150 + "stiff" + ")" * 150).evaluate({"stiff": True}) is True


def test_names_are_collected() -> None:
    assert c("months > 3 and ('back' in areas or stiff)").names == {"months", "areas", "stiff"}


# --- property tests ----------------------------------------------------------------------------------------

TOKENS = [
    "months",
    "level",
    "stiff",
    "fear",
    "side",
    "areas",
    "unknown_q",
    "_x",
    "__class__",
    "__import__",
    "True",
    "False",
    "None",
    "0",
    "3",
    "-1",
    "2.5",
    "1e9",
    "'left'",
    "'back'",
    "'x'",
    "and",
    "or",
    "not",
    "in",
    "not in",
    "is",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "**",
    "/",
    "%",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    ":",
    "lambda",
    "if",
    "else",
    "for",
    "x",
    "{",
    "}",
    "'",
    '"',
    "\\",
    ":=",
    "@",
    "`",
]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14))
def test_token_soup_compiles_or_raises_our_error(tokens: list[str]) -> None:
    text = " ".join(tokens)
    try:
        cond = c(text)
    except ConditionError:
        return
    # the compiled code can only ever load the question names it was given: no builtins, no other names
    assert set(cond.code.co_names) <= set(NAMES)
    # whatever compiled is safe to evaluate on any answers and gives a truth value or unknown
    full = {
        "months": 4,
        "level": 5,
        "stiff": True,
        "fear": False,
        "side": "left",
        "areas": frozenset({"back"}),
    }
    assert cond.evaluate(full) in (True, False)
    assert cond.evaluate({}) in (True, False, None)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_compiles_or_raises_our_error(text: str) -> None:
    try:
        c(text)
    except ConditionError:
        pass


answers_strategy = st.fixed_dictionaries(
    {},
    optional={
        "months": st.integers(0, 20),
        "level": st.integers(0, 10),
        "stiff": st.booleans(),
        "fear": st.booleans(),
        "side": st.sampled_from(["left", "right"]),
        "areas": st.frozensets(st.sampled_from(["back", "neck", "jaw"])),
    },
)


def _expr() -> st.SearchStrategy[str]:
    leaf = st.sampled_from(
        [
            "months > 3",
            "level >= 4",
            "stiff",
            "fear",
            "side == 'left'",
            "'back' in areas",
            "months - level < 2",
        ]
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map(lambda t: f"({t[0]} and {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]} or {t[1]})"),
            inner.map(lambda t: f"not ({t})"),
        ),
        max_leaves=8,
    )


@settings(max_examples=300, deadline=None)
@given(_expr(), answers_strategy)
def test_unknown_only_when_an_answer_is_missing_and_consistent_with_any_completion(
    text: str, values: dict[str, object]
) -> None:
    cond = c(text)
    result = cond.evaluate(values)
    if cond.names <= values.keys():
        assert result in (True, False)
    # Kleene logic: a decided value stays the same whatever the missing answers turn out to be
    if result is not None:
        filled = {
            "months": 0,
            "level": 10,
            "stiff": False,
            "fear": True,
            "side": "right",
            "areas": frozenset(),
        }
        assert cond.evaluate({**filled, **values}) is result
