"""The questionnaire as a pure state machine: which question comes next, going back, review, red flags.

Nothing here touches a terminal. :class:`Flow` holds the answers given so far and a cursor: the index of the
question being asked, or ``None`` when every question that applies has an answer (the review screen).
Skip logic follows each question's ``ask_if`` as the scorer and survey forms do: a question is asked only
when its condition holds, so one whose condition cannot be decided (an earlier answer was left blank or
answered 'not sure') is not asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stm_screen.core.answers import Answer
from stm_screen.core.engine import Scorer
from stm_screen.core.ruleset import Question, RedFlag, Ruleset


@dataclass(frozen=True)
class Reviewed:
    """One line of the review screen."""

    question: Question
    value: Answer | None


class Flow:
    """Answers so far and where the person is in the questionnaire."""

    def __init__(self, ruleset: Ruleset, answers: Mapping[str, Answer] | None = None) -> None:
        self.ruleset = ruleset
        self.questions = ruleset.questions
        self.answers: dict[str, Answer] = {}
        for q in self.questions:  # keep question order; ignore ids the ruleset does not know
            if answers and q.id in answers:
                self.answers[q.id] = answers[q.id]
        self.left_blank: set[str] = set()  # optional questions the person chose not to answer
        self.reviewing = False
        self.stopped_early = False
        self.stop_after: str | None = None  # stop once this question is answered (see escalating_follow_up)
        self._detour = False  # asking an earlier safety question that an instrument's answer made apply
        self._scorer = Scorer(ruleset)
        self._skip_key: tuple[tuple[str, Answer], ...] | None = None
        self._skip_set: frozenset[str] = frozenset()
        self._flag_by_id = {rf.id: rf for rf in ruleset.red_flags}
        # a sign that holds on another's doubt (if_not_ruled_out) -> the questions of the signs it names
        self._doubting = {
            rf.id: frozenset(n for o in rf.if_not_ruled_out for n in self._flag_by_id[o].when.names)
            for rf in ruleset.red_flags
            if rf.if_not_ruled_out
        }
        # Emergencies already fired by restored answers were shown before; announce only new ones.
        self.announced: set[str] = set(self._fired_emergencies())
        self.pos: int | None = self._first_pending()
        if self.pos is None:
            self.reviewing = True

    # --- what applies -------------------------------------------------------------------------------------

    def applies(self, q: Question) -> bool:
        """True when the question's ask_if holds for the answers so far (the skip rule: see
        ``Scorer.visible``)."""
        return q.ask_if is None or q.id not in self._skipped()

    def _skipped(self) -> frozenset[str]:
        """The questions the skip rule does not ask with the answers so far (computed once per change)."""
        key = tuple(self.answers.items())
        if key != self._skip_key:
            self._skip_key = key
            self._skip_set = self._scorer.visible(self.answers)[1]
        return self._skip_set

    def applicable(self) -> list[Question]:
        return [q for q in self.questions if self.applies(q)]

    def expected(self) -> list[Question]:
        """The questions that apply, and those that may still apply: a follow-up whose ``ask_if`` cannot
        be decided yet only because a question it looks at is still to come. Counting these, the
        questionnaire's "(3/30)" never grows as follow-ups come into play; it shrinks as answers rule them
        out (an answer already given, left blank or 'not sure' decides: that follow-up is not asked)."""
        live = self._scorer.visible(self.answers)[0]
        coming: set[str] = set()  # not answered yet, and asked or maybe asked
        out: list[Question] = []
        for q in self.questions:
            if not self.applies(q):
                assert q.ask_if is not None
                waits = any(n in coming for n in q.ask_if.names)
                if not waits or q.ask_if.evaluate(live) is not None:
                    continue
            out.append(q)
            if q.id not in self.answers and q.id not in self.left_blank:
                coming.add(q.id)
        return out

    def _first_pending(self) -> int | None:
        for q in self.questions:
            if q.id not in self.answers and q.id not in self.left_blank and self.applies(q):
                return q.order
        return None

    def _next_after(self, index: int) -> int | None:
        for q in self.questions[index + 1 :]:
            if self.applies(q):
                return q.order
        return None

    # --- the cursor ---------------------------------------------------------------------------------------

    @property
    def current(self) -> Question | None:
        """The question to ask now, or None: time for the review screen."""
        return None if self.pos is None else self.questions[self.pos]

    @property
    def done(self) -> bool:
        return self.pos is None

    def position(self) -> tuple[int, int]:
        """(number of the current question among those that apply, how many apply or may still apply)."""
        live = self.expected()
        if self.pos is None:
            return (len(live), len(live))
        before = sum(1 for q in live if q.order < self.pos)
        current = self.current
        if current is not None and self.stop_after == current.id:  # the last one before the result
            return (before + 1, before + 1)
        return (before + 1, len(live))

    def default(self, q: Question) -> Answer | None:
        """The earlier answer to show as the default when a question is asked again."""
        return self.answers.get(q.id)

    def answer(self, value: Answer) -> list[RedFlag]:
        """Record the answer to the current question and move on; return emergencies this answer fired."""
        q = self.current
        if q is None:
            raise RuntimeError("no question is being asked")
        self.answers[q.id] = value
        self.left_blank.discard(q.id)
        return self._advance_from(q.order)

    def leave_blank(self) -> list[RedFlag]:
        """Move on without an answer (only for questions that are not required)."""
        q = self.current
        if q is None:
            raise RuntimeError("no question is being asked")
        self.answers.pop(q.id, None)
        self.left_blank.add(q.id)
        return self._advance_from(q.order)

    def _pending_safety_before(self, index: int) -> int | None:
        """An earlier safety question that applies now and has no answer: an instrument answered a screening
        question yes (PHQ-9 item 9 and the self-harm question), so its follow-up is asked at once."""
        for q in self.questions[:index]:
            if q.safety and q.id not in self.answers and q.id not in self.left_blank and self.applies(q):
                return q.order
        return None

    def _advance_from(self, index: int) -> list[RedFlag]:
        self._drop_skipped()
        if self.reviewing:
            self.pos = self._first_pending()
        else:
            detour = self._pending_safety_before(index)
            if detour is not None:
                self.pos, self._detour = detour, True
            elif self._detour:  # back to where the person was
                self._detour = False
                self.pos = self._first_pending()
            else:
                self.pos = self._next_after(index)
            if self.pos is None:
                # Reached the end; anything left blank on the way that applies is asked in order first.
                self.pos = self._first_pending()
        if self.pos is None:
            self.reviewing = True
        fired = self._new_emergencies()
        if self.stop_after is not None and self.stop_after == self.questions[index].id:
            # the follow-up asked before stopping is answered: stop, as chosen (an emergency it fired is said
            # and then the result; the person is not asked again whether to stop)
            self.stop()
        return fired

    def back(self) -> bool:
        """Go to the previous question that applies; False when already at the first one."""
        live = self.applicable()
        if not live:
            return False
        if self.pos is None:
            self.pos = live[-1].order
            return True
        earlier = [q for q in live if q.order < self.pos]
        if not earlier:
            return False
        self.pos = earlier[-1].order
        return True

    def change(self, qid: str) -> None:
        """From the review screen: ask this question again (its answer is the default)."""
        q = self.ruleset.by_id[qid]
        if not self.applies(q):
            raise ValueError(f"question '{qid}' does not apply to these answers")
        self.pos = q.order

    def review(self) -> list[Reviewed]:
        """Every question that applies, with its answer (None when left blank)."""
        return [Reviewed(q, self.answers.get(q.id)) for q in self.applicable()]

    def stop(self) -> None:
        """Stop asking (after an emergency): the result is made from the answers so far."""
        self.stopped_early = True
        self.pos = None
        self.stop_after = None

    def escalating_follow_up(self, fired: list[RedFlag]) -> Question | None:
        """The question about to be asked when it can make one of these emergencies more urgent (a warning
        sign that replaces one of them looks at it: 'might you act on these thoughts?' after thoughts of
        self-harm). Asked before stopping, as the ASQ asks its acuity question after a positive screen."""
        q = self.current
        if q is None:
            return None
        ids = {rf.id for rf in fired}
        for rf in self.ruleset.red_flags:
            if ids & set(rf.replaces) and q.id in rf.when.names and rf.level == "emergency":
                return q
        return None

    def stop_after_answer(self, q: Question) -> None:
        """Stop once ``q`` is answered (or left blank)."""
        self.stop_after = q.id

    # --- answers ------------------------------------------------------------------------------------------

    def _drop_skipped(self) -> None:
        """Answers to questions that no longer apply (an earlier answer changed) do not count."""
        # the skip rule already follows a chain (an answer that no longer counts switches off what
        # depends on it), so one pass drops everything that is not asked
        for qid in self._skipped() & self.answers.keys():
            del self.answers[qid]

    def values(self) -> dict[str, Answer]:
        """The answers that count, in question order."""
        return {q.id: self.answers[q.id] for q in self.questions if q.id in self.answers}

    # --- red flags ----------------------------------------------------------------------------------------

    def _fired_emergencies(self) -> list[str]:
        ev = self._scorer.evaluate(self.answers)
        fired = [rid for rid in ev.red_flags if self._flag_by_id[rid].level == "emergency"]
        if self._doubting and any(rid in self._doubting for rid in fired):
            # A question still to be asked is not yet a doubt: such a sign is said once it is answered ('not
            # sure') or left blank. Until then the result is the one a 'no' to it would give (thoughts of
            # self-harm are said at once, their follow-up still to come).
            doubted = frozenset().union(*self._doubting.values())
            ahead = {
                q.id
                for q in self.applicable()
                if q.id in doubted and q.id not in self.answers and q.id not in self.left_blank
            }
            if ahead:
                by_id = self.ruleset.by_id
                as_no = {q: False for q in ahead if by_id[q].type == "boolean"}
                ev = self._scorer.evaluate({**self.answers, **as_no})
                fired = [rid for rid in ev.red_flags if self._flag_by_id[rid].level == "emergency"]
                still = ahead - as_no.keys()
                fired = [rid for rid in fired if not self._doubting.get(rid, frozenset()) & still]
        return fired

    def _new_emergencies(self) -> list[RedFlag]:
        fired = self._fired_emergencies()
        new = [self._flag_by_id[rid] for rid in fired if rid not in self.announced]
        self.announced = set(fired)  # an answer changed back to no and then yes again is announced again
        return new
