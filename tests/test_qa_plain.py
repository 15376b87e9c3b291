"""QA: plain mode read like a person types."""

from __future__ import annotations

import io

import pytest

from stm_screen.prompt.ask import Option, PlainPrompter
from stm_screen.prompt.questionnaire import BACK, HELP

AREAS = [
    Option("low_back", "Lower back"),
    Option("neck_shoulder", "Neck or shoulder"),
    Option("head_jaw", "Headaches or jaw (TMJ)"),
    HELP,
    BACK,
]


def multi(line: str) -> frozenset[str]:
    lines = iter([line])
    prompter = PlainPrompter(io.StringIO(), lambda prompt: next(lines))
    return prompter.multi("Where is the pain?", AREAS, frozenset())


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Lower back", {"low_back"}),
        ("lower back, neck or shoulder", {"low_back", "neck_shoulder"}),
        ("1 3", {"low_back", "head_jaw"}),
        ("1,3", {"low_back", "head_jaw"}),
        ("Lower", {"low_back"}),
    ],
)
def test_choices_can_be_typed_by_their_label(line: str, expected: set[str]) -> None:
    assert multi(line) == frozenset(expected)
