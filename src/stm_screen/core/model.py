"""The rules file format, as pydantic models: what a ruleset may say, field by field.

This module only describes the shape of a rules file (and produces its JSON Schema). The meaning (ids that
must exist, conditions, score bands) is checked when the ruleset is compiled, in ``core.ruleset``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
Id = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        max_length=64,
        description="lower-case letters, digits and _, starting with a letter",
    ),
]
Text = Annotated[
    str | dict[str, str],
    Field(description="Text shown to people: a string, or a mapping of language code to string"),
]
Condition = Annotated[
    str | bool,
    Field(
        description="A condition over question ids: comparisons, and/or/not, in, + and -, literals. "
        "Example: pain_duration_months > 3 and fear_of_movement",
        max_length=2000,
    ),
]
QuestionType = Literal["boolean", "integer", "number", "choice", "multi_choice"]
RedFlagLevel = Literal["emergency", "see_doctor"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    """A reference the rules are built on; rules name it by id in their ``source`` field."""

    id: Id
    citation: str = Field(description="The reference, in any citation style")
    url: str | None = None


class Section(_Model):
    """A group of questions, introduced to the person before its first question."""

    id: Id
    title: Text
    intro: Text | None = None
    safety: bool = Field(False, description="True for the red-flag (safety) questions")


class Choice(_Model):
    id: Id
    label: Text
    value: float | None = Field(None, description="Numeric value of this choice, for item scores")


class Question(_Model):
    id: Id
    text: Text
    help: Text | None = None
    type: QuestionType
    min: float | None = Field(None, description="Smallest allowed answer (integer and number)")
    max: float | None = Field(None, description="Largest allowed answer (integer and number)")
    unit: Text | None = Field(None, description="Unit shown with the answer, e.g. months")
    choices: list[Choice] | None = Field(None, description="Required for choice and multi_choice")
    ask_if: Condition | None = Field(
        None, description="Ask only when this condition over earlier answers holds"
    )
    section: Id | None = None
    required: bool = Field(False, description="An unanswered required question makes the result incomplete")


class RedFlag(_Model):
    id: Id
    when: Condition
    level: RedFlagLevel
    title: Text
    message: Text = Field(description="What the person should do, and how soon")
    source: Id


class Criterion(_Model):
    id: Id
    when: Condition
    points: float = 1
    title: Text
    explanation: Text = Field(description="Why this matters, in plain words")
    source: Id


class Score(_Model):
    """A named sum or mean, over chosen criteria (their points) or over item answers (their values)."""

    id: Id
    title: Text
    method: Literal["sum", "mean"] = "sum"
    criteria: Literal["all"] | list[Id] | None = Field(
        None, description="'all' or a list of criterion ids: the points of those that are met"
    )
    items: list[Id] | None = Field(
        None, description="Question ids whose answers are added (yes = 1, a choice's value, a number)"
    )


class Level(_Model):
    """A result level, listed from least to most urgent."""

    id: Id
    title: Text
    advice: Text
    symbol: str | None = Field(None, max_length=8, description="A short symbol shown next to the title")
    next_steps: list[Text] = Field(default_factory=list)


class Outcome(_Model):
    """Either a score band (``score`` with ``min``/``max``, both inclusive) or a condition over scores."""

    level: Id
    when: Condition | None = None
    score: Id | None = None
    min: float | None = None
    max: float | None = None


class Note(_Model):
    """Explanation added to the result when its condition holds; it never changes the level."""

    id: Id
    when: Condition | None = None
    text: Text
    source: Id


class Example(_Model):
    """A set of answers and the level it must give: the ruleset's own test."""

    name: str
    answers: dict[str, Any]
    level: Id
    scores: dict[str, float] = Field(default_factory=dict)


class RulesetFile(_Model):
    """A ruleset. In a folder of files, exactly one file carries the metadata; lists are joined."""

    schema_: str | None = Field(None, alias="$schema")
    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$", max_length=64, description="lower-case, digits, _ . -")
    version: str
    title: Text
    description: Text | None = None
    languages: list[str] = Field(default_factory=lambda: ["en"])
    sources: list[Source] = Field(default_factory=list)
    disclaimer: Text = Field(description="Shown with every result: a screening aid, not a diagnosis")
    sections: list[Section] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    red_flags: list[RedFlag] = Field(default_factory=list)
    criteria: list[Criterion] = Field(default_factory=list)
    scores: list[Score] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=list)
    outcomes: list[Outcome] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    examples: list[Example] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value


# The list sections a rules file may carry; in a folder each may be spread over several files.
LIST_KEYS = (
    "sources",
    "sections",
    "questions",
    "red_flags",
    "criteria",
    "scores",
    "levels",
    "outcomes",
    "notes",
    "examples",
)

# Which model a mapping at a given key describes: used for "did you mean" on unknown keys.
MODEL_AT_KEY: dict[str, type[BaseModel]] = {
    "sources": Source,
    "sections": Section,
    "questions": Question,
    "choices": Choice,
    "red_flags": RedFlag,
    "criteria": Criterion,
    "scores": Score,
    "levels": Level,
    "outcomes": Outcome,
    "notes": Note,
    "examples": Example,
}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a rules file, for editors."""
    schema = RulesetFile.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://stm-screen.invalid/schema/ruleset.json",
        **schema,
    }
