"""Scoring one record after another, fast, with results identical to ``Scorer.evaluate``.

Each cell is converted once per distinct text (a memo per column), and turned into a small integer token
standing for what the rules can tell apart: for a question used only by single-question conditions (red
flags, criteria, skip logic, outcome guards) two answers that make every such condition come out the same,
and that are alike in being blank or 'not sure', share a token; otherwise (item scores, conditions over
several questions) the token stands for the answer itself. A record is then a tuple of tokens, and its outcome is computed once by the real scorer
(on representative answers) and reused for every record with the same tuple.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Iterable
from operator import getitem, itemgetter
from typing import Any

from stm_screen.batch.columns import Plan, Target
from stm_screen.core.answers import Answer, AnswerValueError
from stm_screen.core.conditions import Condition
from stm_screen.core.engine import Scorer
from stm_screen.core.explain import URGENCY_ORDER
from stm_screen.core.ruleset import UNSURE, Ruleset
from stm_screen.errors import printable

MAX_MEMO = 50_000  # distinct cell texts remembered per column
MAX_TOKENS = 100_000  # distinct answers remembered per column (before everything is forgotten)
MAX_OUTCOMES = 100_000

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral(text: str) -> str:
    """A cell that spreadsheet software would run as a formula, made plain text with a leading quote."""
    return "'" + text if text.startswith(FORMULA_START) else text


class Outcome:
    """What one record comes to; shared by every record with the same answers (as far as rules can tell)."""

    __slots__ = (
        "status",
        "level",
        "urgency",
        "score",
        "score_text",
        "red_flags",
        "criteria_met",
        "unanswered",
        "error",
        "brief",
        "csv",
        "json",
        "n",
        "tail",
    )

    def __init__(
        self,
        status: str,
        level: str = "",
        score: float | None = None,
        red_flags: tuple[str, ...] = (),
        criteria_met: tuple[str, ...] = (),
        unanswered: tuple[str, ...] = (),
        error: str = "",
        brief: str | None = None,
        urgency: str = "",
    ) -> None:
        self.status = status
        self.n = 0  # records with this outcome (the runner counts here: cheaper than a dict)
        self.tail = ""  # the output line after the id, rendered once by the writer
        self.level = level
        self.urgency = urgency  # how soon to act: the most urgent warning sign that fired ('' when none)
        self.score = score
        self.red_flags = red_flags
        self.criteria_met = criteria_met
        self.unanswered = unanswered
        self.error = error
        self.brief = error if brief is None else brief  # the error without the answers, for stderr
        score_text = "" if score is None else (f"{score:g}" if isinstance(score, float) else str(score))
        self.score_text = score_text
        self.csv = (
            status,
            level,
            urgency,
            score_text,
            ";".join(red_flags),
            ";".join(criteria_met),
            ";".join(unanswered),
            neutral(error),
        )
        self.json = json.dumps(
            {
                "status": status,
                "level": level or None,
                "urgency": urgency or None,
                "score": score,
                "red_flags": list(red_flags),
                "criteria_met": list(criteria_met),
                "unanswered_red_flags": list(unanswered),
                "error": error or None,
            },
            ensure_ascii=False,
        )[1:-1]


def error_outcome(message: str, brief: str | None = None) -> Outcome:
    """An error record; control characters quoted from the file are shown as escapes (one line).
    ``brief``: the message without the answer it quotes (for stderr), when it quotes one."""
    return Outcome("error", error=printable(message), brief=None if brief is None else printable(brief))


_QUOTED_VALUE = re.compile(r"^'.*' (?=is not |is out of range)", re.DOTALL)


def without_value(message: str) -> str:
    """An answer problem without the answer: "'11' is out of range; ..." -> "the value is out of range; ..."."""
    return _QUOTED_VALUE.sub("the value ", message, count=1)


class RecordScorer:
    """Turns rows of cells into outcomes, following one plan under one ruleset."""

    def __init__(self, ruleset: Ruleset, plan: Plan) -> None:
        self.ruleset = ruleset
        self.plan = plan
        self.scorer = Scorer(ruleset)
        headline = ruleset.headline
        self.headline = headline.id if headline is not None else None
        self.targets: tuple[Target, ...] = plan.targets
        # Every condition that looks at answers: a question read only by conditions of its own (each of
        # them over that question alone) has tokens by what those conditions make of its answers. Skip
        # logic needs nothing more: a question's ask_if is a condition of the questions it names, and a
        # skipped question's answer is dropped whatever it is.
        conds: list[Condition] = [rf.when for rf in ruleset.red_flags] + [c.when for c in ruleset.criteria]
        conds += [q.ask_if for q in ruleset.questions if q.ask_if is not None]
        conds += [o.when for o in ruleset.outcomes if o.when is not None]
        qids = {q.id for q in ruleset.questions}
        shared = {n for c in conds if len(c.names & qids) > 1 or c.names - qids for n in c.names}
        shared |= {qid for s in ruleset.scores for qid in s.items}
        self._single: list[tuple[Condition, ...] | None] = []
        for t in self.targets:
            qid = t.question.id
            if qid in shared:
                self._single.append(None)  # the token stands for the answer itself
            else:
                self._single.append(tuple(c for c in conds if c.names == {qid}))
        self._unsure = frozenset(q.id for q in ruleset.questions if q.unsure)
        self._urgency = {rf.id: rf.urgency for rf in ruleset.red_flags if rf.urgency in URGENCY_ORDER}

        self._generation = 0
        self.memos: list[dict[Hashable, int]] = [{} for _ in self.targets]
        self._values: list[list[Answer | None]] = [[] for _ in self.targets]
        self._by_sig: list[dict[Hashable, int]] = [{} for _ in self.targets]
        # (message, message without the answer) per column, like the values
        self._errors: list[list[tuple[str, str]]] = [[] for _ in self.targets]
        self.outcomes: dict[tuple[int, ...], Outcome] = {}
        self.seen: list[Outcome] = []  # every outcome made, for the counts
        self._folded: dict[tuple[str, str], int] = {}
        self.render: Callable[[Outcome], None] | None = None
        # the fast path (see calibrate): low-variety columns read together as one key
        self.group: tuple[int, ...] = ()
        self.indiv: tuple[int, ...] = tuple(range(len(self.targets)))
        # group cells joined with NUL -> group id. Only keys whose cells hold no NUL are stored, so two
        # different cell tuples can never share a key (the fast path joins the same way).
        self.gmemo: dict[str, int] = {}
        self._gtoks: list[tuple[int, ...]] = []
        self._gids: dict[tuple[int, ...], int] = {}
        self.keyed: dict[tuple[int, ...], Outcome] = {}
        self.imemos: list[dict[Hashable, int]] = list(self.memos)

    def _reset(self) -> None:
        """Forget everything remembered (in place: the runner holds references to these containers);
        the counts of the outcomes forgotten are kept."""
        self._generation += 1
        self._folded = self.tally()
        self.seen.clear()
        for memo, values, by_sig in zip(self.memos, self._values, self._by_sig, strict=True):
            memo.clear()
            values.clear()
            by_sig.clear()
        for errors in self._errors:
            errors.clear()
        self.outcomes.clear()
        self.gmemo.clear()
        self._gtoks.clear()
        self._gids.clear()
        self.keyed.clear()

    # --- cells -> tokens ------------------------------------------------------------------------------

    def cells(self, row: list[Any]) -> tuple[Any, ...]:
        """The cell (or, for split multi-selects, the tuple of cells) of each target."""
        return tuple(
            row[t.indices[0]] if not t.split else tuple(row[i] for i in t.indices) for t in self.targets
        )

    def tokens(self, cells: tuple[Any, ...]) -> tuple[int, ...]:
        """Tokens of a record, filling the memos (the slow path, taken once per new cell text)."""
        try:
            return tuple(map(getitem, self.memos, cells))
        except KeyError:
            pass
        while True:
            generation = self._generation
            out = []
            for i, cell in enumerate(cells):
                tok = self.memos[i].get(cell)
                if tok is None:
                    tok = self._token(i, cell)
                out.append(tok)
            if generation == self._generation:  # no memo was reset on the way
                return tuple(out)

    def _token(self, i: int, cell: Any) -> int:
        memo = self.memos[i]
        if len(memo) >= MAX_MEMO:
            memo.clear()
        t = self.targets[i]
        try:
            value = t.read(cell)
        except AnswerValueError as exc:
            errors = self._errors[i]  # per column: a row adds at most one, so a reset always makes room
            if len(errors) >= MAX_TOKENS:
                self._reset()
                memo = self.memos[i]
            errors.append((f"{t.label}: {exc}", f"{t.label}: {without_value(str(exc))}"))
            tok = -len(errors)
            memo[cell] = tok
            return tok
        single = self._single[i]
        sig: Hashable
        if single is None:
            sig = ("value", value)
        else:
            # 'not sure' is not known to conditions (as a blank), but it is an answer: its own token
            unsure = value == UNSURE and t.question.id in self._unsure
            answers = {} if value is None or unsure else {t.question.id: value}
            sig = (value is None, unsure, *(c.evaluate(answers) for c in single))
        by_sig = self._by_sig[i]
        tok_opt = by_sig.get(sig)
        if tok_opt is None:
            if len(self._values[i]) >= MAX_TOKENS:
                self._reset()
                memo, by_sig = self.memos[i], self._by_sig[i]
            tok_opt = len(self._values[i])
            self._values[i].append(value)
            by_sig[sig] = tok_opt
        memo[cell] = tok_opt
        return tok_opt

    # --- tokens -> outcome ----------------------------------------------------------------------------

    def outcome(self, toks: tuple[int, ...]) -> Outcome:
        """The outcome of a token tuple (computed once, then remembered)."""
        found = self.outcomes.get(toks)
        if found is not None:
            return found
        if toks and min(toks) < 0:
            bad = [errs[-tok - 1] for errs, tok in zip(self._errors, toks, strict=True) if tok < 0]
            result = error_outcome("; ".join(b[0] for b in bad), "; ".join(b[1] for b in bad))
        else:
            values: dict[str, Answer] = {}
            for t, vals, tok in zip(self.targets, self._values, toks, strict=True):
                value = vals[tok]
                if value is not None:
                    values[t.question.id] = value
            result = self.evaluate(values)
        if len(self.outcomes) >= MAX_OUTCOMES:
            self._reset()  # the tokens of this record are void from here: count it, do not remember it
        else:
            self.outcomes[toks] = result
        self.seen.append(result)
        if self.render is not None:
            self.render(result)
        return result

    def tally(self) -> dict[tuple[str, str], int]:
        """Records per (status, level), from the outcomes' own counters."""
        counts = dict(self._folded)
        for out in self.seen:
            if out.n:
                key = (out.status, out.level)
                counts[key] = counts.get(key, 0) + out.n
        return counts

    # --- the fast path --------------------------------------------------------------------------------

    def calibrate(self, sample: Iterable[list[Any]], limit: int = 400) -> None:
        """Choose the columns read together as one key: the ones with few distinct cells in a sample
        (yes/no answers, mostly), added while the sample shows at most ``limit`` distinct combinations.
        Only speed depends on this choice, never results."""
        rows = [r for r in sample if len(r) >= self.plan.width]
        singles = [i for i, t in enumerate(self.targets) if not t.split]
        variety = {i: len({r[self.targets[i].indices[0]] for r in rows}) for i in singles}
        group: list[int] = []
        keys: list[tuple[Any, ...]] = [() for _ in rows]
        for i in sorted(singles, key=lambda i: variety[i]):
            if variety[i] > 16:
                break
            col = self.targets[i].indices[0]
            trial = [k + (r[col],) for k, r in zip(keys, rows, strict=True)]
            if len(set(trial)) <= limit:
                group.append(i)
                keys = trial
        self.group = tuple(group)
        self.indiv = tuple(i for i in range(len(self.targets)) if i not in group)
        self.imemos = [self.memos[i] for i in self.indiv]

    def group_cells(self) -> Callable[[list[Any]], tuple[Any, ...]]:
        return _getter([self.targets[i].indices[0] for i in self.group])

    def indiv_cells(self) -> Callable[[list[Any]], tuple[Any, ...]]:
        if all(not self.targets[i].split for i in self.indiv):
            return _getter([self.targets[i].indices[0] for i in self.indiv])
        parts = [self.targets[i] for i in self.indiv]

        def cells(row: list[Any]) -> tuple[Any, ...]:
            return tuple(
                row[t.indices[0]] if not t.split else tuple(row[j] for j in t.indices) for t in parts
            )

        return cells

    def key_slow(self, gcells: tuple[Any, ...], icells: tuple[Any, ...]) -> tuple[int, ...]:
        """The key of a record when some cell is new: fills memos; safe across a memo reset."""
        while True:
            generation = self._generation
            joined = "\x00".join(gcells)
            gid = self.gmemo.get(joined)
            if gid is None:
                gtoks = tuple(self._tok(i, c) for i, c in zip(self.group, gcells, strict=True))
                if generation != self._generation:
                    continue  # a memo was reset on the way: these tokens are void
                gid = self._gids.get(gtoks)
                if gid is None:
                    gid = self._gids[gtoks] = len(self._gtoks)
                    self._gtoks.append(gtoks)
                if len(self.gmemo) >= MAX_MEMO:
                    self.gmemo.clear()
                if joined.count("\x00") == max(len(gcells) - 1, 0):  # no NUL inside a cell
                    self.gmemo[joined] = gid
            itoks = tuple(self._tok(i, c) for i, c in zip(self.indiv, icells, strict=True))
            if generation == self._generation:
                return (gid, *itoks)

    def _tok(self, i: int, cell: Any) -> int:
        tok = self.memos[i].get(cell)
        return self._token(i, cell) if tok is None else tok

    def outcome_for_key(self, key: tuple[int, ...]) -> Outcome:
        toks = [0] * len(self.targets)
        for i, tok in zip(self.group, self._gtoks[key[0]], strict=True):
            toks[i] = tok
        for i, tok in zip(self.indiv, key[1:], strict=True):
            toks[i] = tok
        generation = self._generation
        out = self.outcome(tuple(toks))
        if generation != self._generation:
            return out
        if len(self.keyed) >= MAX_OUTCOMES:
            self.keyed.clear()  # the outcomes themselves stay remembered (and counted) in self.outcomes
        self.keyed[key] = out
        return out

    def evaluate(self, values: dict[str, Answer]) -> Outcome:
        ev = self.scorer.evaluate(values)
        score = ev.scores.get(self.headline) if self.headline else None
        soon = [self._urgency[r] for r in ev.red_flags if r in self._urgency]
        urgency = max(soon, key=URGENCY_ORDER.index) if soon else ""
        if ev.complete:
            return Outcome("ok", ev.level or "", score, ev.red_flags, ev.criteria_met, (), urgency=urgency)
        # A warning sign could not be ruled out ('not sure', or no answer): the level is the ruleset's
        # 'unchecked' one (see_doctor) unless a warning sign that fired sets a higher one; a physical-therapy
        # level never stands. Without an 'unchecked' level, only a fired warning sign gives one.
        level = ev.level or "" if ev.unchecked or ev.red_flags else ""
        return Outcome(
            "incomplete", level, score, ev.red_flags, ev.criteria_met, ev.red_flags_unknown, urgency=urgency
        )

    def score_row(self, row: list[Any]) -> Outcome:
        """One row, the plain way (used by ``rules diff`` and tests; the runner inlines this)."""
        return self.outcome(self.tokens(self.cells(row)))


def _getter(indices: list[int]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """A C-speed function returning the cells at these indices as a tuple (always a tuple)."""
    if not indices:
        return lambda row: ()
    if len(indices) == 1:
        only = indices[0]
        return lambda row: (row[only],)
    return itemgetter(*indices)
