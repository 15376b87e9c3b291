"""QA: the questionary (rich) prompter: ? and < work everywhere, long questions are never cut off, the
review's numbers match the keys that choose them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from stm_screen.prompt.ask import RichPrompter
from stm_screen.prompt.flow import Flow
from stm_screen.prompt.questionnaire import BACK, HELP, RESULT, Option, Questionnaire
from tests._keys import CALM


@pytest.fixture
def keys() -> Iterator[Any]:
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):

        def send(text: str) -> None:
            inp.send_text(text)
            inp.close()  # running out of keys is end of input, never a hang

        yield send


YES_NO = [Option("yes", "Yes"), Option("no", "No"), HELP, BACK]


@pytest.mark.parametrize(("key", "expected"), [("?", HELP.key), ("<", BACK.key)])
def test_question_mark_and_less_than_work_in_a_select(keys: Any, key: str, expected: str) -> None:
    keys(key)
    assert RichPrompter(io.StringIO()).select("Question?", YES_NO) == expected


@pytest.mark.parametrize(("key", "expected"), [("?", HELP.key), ("<", BACK.key)])
def test_question_mark_and_less_than_work_in_a_checkbox(keys: Any, key: str, expected: str) -> None:
    keys(key)
    options = [Option("a", "A"), Option("b", "B"), HELP, BACK]
    assert RichPrompter(io.StringIO()).multi("Question?", options, frozenset()) == frozenset({expected})


def test_numbers_still_choose_in_a_select(keys: Any) -> None:
    keys("2\r")
    assert RichPrompter(io.StringIO()).select("Question?", YES_NO) == "no"


def test_long_questions_are_wrapped_not_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    import questionary

    seen: list[str] = []

    class Stub:
        application = None

        def unsafe_ask(self) -> str:
            return "5"

    def fake(message: str, **kwargs: Any) -> Stub:
        seen.append(message)
        return Stub()

    monkeypatch.setattr(questionary, "text", fake)
    monkeypatch.setenv("COLUMNS", "80")
    text = "(14/17) How much does the pain stop you from moving or doing your usual activities?"
    RichPrompter(io.StringIO()).text(f"{text}\n  (a whole number from 0 to 10)", lambda t: None)
    lines = seen[0].split("\n")
    assert all(len(line) + 2 <= 80 for line in lines), lines  # "? " comes before the first line
    assert " ".join(" ".join(lines).split()) == " ".join(f"{text} (a whole number from 0 to 10)".split())


class Recorder:
    """A prompter that records the review screen's options and chooses the result."""

    plain = False

    def __init__(self) -> None:
        self.options: list[Option] = []

    def show(self, text: str, kind: str = "") -> None:
        pass

    def line_width(self) -> int | None:
        return 79 - 8  # an 80-column terminal

    def echo(self, message: str, answer: str) -> None:
        pass

    def mark(self, key: str) -> None:
        pass

    def rewind(self, key: str) -> bool:
        return False

    def select(self, message: str, options: Any, default: str | None = None) -> str:
        self.options = list(options)
        return RESULT.key


def test_review_labels_carry_no_second_numbering(ruleset: Any) -> None:
    answers = {q: v for q, v in CALM.items() if q != "pain_areas"} | {"pain_areas": frozenset({"low_back"})}
    flow = Flow(ruleset, answers)
    prompter = Recorder()
    assert Questionnaire(flow, prompter).review()  # type: ignore[arg-type]
    labels = [o.label for o in prompter.options if not o.command]
    assert labels[0].startswith("How old are you?")  # no "1." of our own: the prompter numbers choices
    assert len(labels) == len(CALM)
    assert prompter.options[-1] == RESULT  # the result comes last, as in plain mode
    # as much of each question as an 80-column terminal holds (not cut at 45), cut at a word, answer whole
    longest = max(labels, key=len)
    assert 60 < len(longest) <= 71 and longest.rsplit(" - ", 1)[1] in ("no", "yes", "3/10", "2/10")
    assert "…" in longest and longest.split("…")[0][-1] != " "


def test_rich_select_numbers_long_lists_itself_without_shortcuts(keys: Any, monkeypatch: Any) -> None:
    import questionary

    seen: dict[str, Any] = {}
    real = questionary.select

    def spy(message: str, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return real(message, **kwargs)

    monkeypatch.setattr(questionary, "select", spy)
    options = [Option(f"q{n}", f"Question {n}") for n in range(1, 18)] + [RESULT]
    keys("r")
    assert RichPrompter(io.StringIO()).select("Check", options, default=RESULT.key) == RESULT.key
    assert seen["use_shortcuts"] is False  # letters after 9 and 0 would not match the question numbers
    titles = [c.title for c in seen["choices"] if hasattr(c, "value") and c.value]
    assert titles[0].strip().startswith("1.") and titles[16].strip().startswith("17.")


class Scripted(Recorder):
    """A prompter that answers selects from a script and records every message."""

    def __init__(self, script: list[str]) -> None:
        super().__init__()
        self.script = script
        self.messages: list[tuple[str, list[str]]] = []

    def select(self, message: str, options: Any, default: str | None = None) -> str:
        self.messages.append((message, [o.label for o in options]))
        return self.script.pop(0)


def test_emergency_at_the_last_question_does_not_offer_remaining_questions() -> None:
    from stm_screen.rules.loader import load_ruleset
    from tests.conftest import DATA

    rules = load_ruleset(DATA / "skip-rules.yaml")
    flow = Flow(rules, {"has_pain": False})
    prompter = Scripted(["yes", "carry_on", RESULT.key])
    Questionnaire(flow, prompter).run()  # type: ignore[arg-type]
    message, labels = prompter.messages[1]
    assert "remaining questions" not in message + " ".join(labels)
    assert any("check my answers" in label.lower() for label in labels)


class Defaults(Recorder):
    """Records what each select offers and which option it starts on, and answers from a script."""

    def __init__(self, script: list[str], plain: bool) -> None:
        super().__init__()
        self.plain = plain
        self.script = script
        self.asked: list[tuple[list[str], str | None]] = []

    def select(self, message: str, options: Any, default: str | None = None) -> str:
        self.asked.append(([o.key for o in options], default))
        return self.script.pop(0)


@pytest.mark.parametrize("plain", [False, True])
def test_a_safety_question_has_no_answer_chosen_in_advance(ruleset: Any, plain: bool) -> None:
    from tests._keys import UNSURE

    before = {
        q.id: CALM[q.id] for q in ruleset.questions if q.order < ruleset.by_id["bladder_bowel_change"].order
    }
    before["pain_areas"] = frozenset(before["pain_areas"])
    flow = Flow(ruleset, before)
    flow.answers["bladder_bowel_change"] = False  # answered before: still no default for a safety question
    flow.change("bladder_bowel_change")
    prompter = Defaults(["no"], plain)
    q = Questionnaire(flow, prompter)  # type: ignore[arg-type]
    q.ask(ruleset.by_id["bladder_bowel_change"])
    keys, default = prompter.asked[0]
    assert keys == ["yes", "no", UNSURE, HELP.key, BACK.key]  # yes, no, not sure, in this order
    assert default == (None if plain else HELP.key)  # arrow keys: the pointer starts on Help

    flow.change("pregnant")  # outside the safety group an earlier answer is kept as the default
    prompter = Defaults(["no"], plain)
    Questionnaire(flow, prompter).ask(ruleset.by_id["pregnant"])  # type: ignore[arg-type]
    assert prompter.asked[0] == (["yes", "no", HELP.key, BACK.key], "no")


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("qid", ["pregnant", "pain_trend"])
def test_a_question_asked_for_the_first_time_has_no_answer_chosen_in_advance(
    ruleset: Any, plain: bool, qid: str
) -> None:
    """Outside the safety group too: Enter alone never records an answer the person did not choose (the
    pointer starts on Help in the arrow-key prompt; plain mode has no default)."""
    before = {q.id: CALM[q.id] for q in ruleset.questions if q.order < ruleset.by_id[qid].order}
    before["pain_areas"] = frozenset(before.get("pain_areas", ()))
    flow = Flow(ruleset, {k: v for k, v in before.items() if k != "pain_areas" or v})
    prompter = Defaults([CALM[qid] if isinstance(CALM[qid], str) else "no"], plain)
    Questionnaire(flow, prompter).ask(ruleset.by_id[qid])  # type: ignore[arg-type]
    _keys, default = prompter.asked[0]
    assert default == (None if plain else HELP.key)


def test_the_emergency_choice_offers_going_back_and_has_no_default_in_plain_mode(ruleset: Any) -> None:
    before = {
        q.id: CALM[q.id] for q in ruleset.questions if q.order < ruleset.by_id["bladder_bowel_change"].order
    }
    before["pain_areas"] = frozenset(before["pain_areas"])
    for plain, default in ((True, None), (False, "stop")):
        flow = Flow(ruleset, before)
        prompter = Defaults(["yes", "mistake"], plain)
        Questionnaire(flow, prompter).ask(ruleset.by_id["bladder_bowel_change"])  # type: ignore[arg-type]
        assert prompter.asked[1] == (["stop", "carry_on", "mistake"], default)
        assert "bladder_bowel_change" not in flow.answers  # the mistaken answer is removed
        assert flow.current is not None and flow.current.id == "bladder_bowel_change"  # and asked again
