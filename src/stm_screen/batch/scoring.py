"""Scoring one record after another, fast, with results identical to ``Scorer.evaluate``.

Each cell is converted once per distinct text (a memo per column), and turned into a small integer token
standing for what the rules can tell apart: for a question used only by single-question conditions (every
red flag and criterion of the bundled rules) two answers that make every such condition come out the same
share a token; otherwise (item scores, conditions over several questions, skip logic) the token stands for
the answer itself. A record is then a tuple of tokens, and its outcome is computed once by the real scorer
(on representative answers) and reused for every record with the same tuple.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable
from operator import getitem, itemgetter
from typing import Any

from stm_screen.batch.columns import Plan, Target
from stm_screen.core.answers import Answer, AnswerValueError
from stm_screen.core.conditions import Condition
from stm_screen.core.engine import Scorer
from stm_screen.core.ruleset import Ruleset

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
        "score",
        "score_text",
        "red_flags",
        "criteria_met",
        "unanswered",
        "error",
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
    ) -> None:
        self.status = status
        self.n = 0  # records with this outcome (the runner counts here: cheaper than a dict)
        self.tail = ""  # the output line after the id, rendered once by the writer
        self.level = level
        self.score = score
        self.red_flags = red_flags
        self.criteria_met = criteria_met
        self.unanswered = unanswered
        self.error = error
        score_text = "" if score is None else (f"{score:g}" if isinstance(score, float) else str(score))
        self.score_text = score_text
        self.csv = (
            status,
            level,
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
                "score": score,
                "red_flags": list(red_flags),
                "criteria_met": list(criteria_met),
                "unanswered_red_flags": list(unanswered),
                "error": error or None,
            },
            ensure_ascii=False,
        )[1:-1]


def error_outcome(message: str) -> Outcome:
    return Outcome("error", error=message)


class RecordScorer:
    """Turns rows of cells into outcomes, following one plan under one ruleset."""

    def __init__(self, ruleset: Ruleset, plan: Plan) -> None:
        self.ruleset = ruleset
        self.plan = plan
        self.scorer = Scorer(ruleset)
        headline = ruleset.headline
        self.headline = headline.id if headline is not None else None
        self.targets: tuple[Target, ...] = plan.targets
        gated = any(q.ask_if is not None for q in ruleset.questions)
        conds: list[Condition] = [rf.when for rf in ruleset.red_flags] + [c.when for c in ruleset.criteria]
        conds += [q.ask_if for q in ruleset.questions if q.ask_if is not None]
        shared = {n for c in conds if len(c.names) > 1 for n in c.names}
        shared |= {qid for s in ruleset.scores for qid in s.items}
        self._single: list[tuple[Condition, ...] | None] = []
        for t in self.targets:
            qid = t.question.id
            if gated or qid in shared:
                self._single.append(None)  # the token stands for the answer itself
            else:
                self._single.append(tuple(c for c in conds if c.names == {qid}))

        self._generation = 0
        self.memos: list[dict[Hashable, int]] = [{} for _ in self.targets]
        self._values: list[list[Answer | None]] = [[] for _ in self.targets]
        self._by_sig: list[dict[Hashable, int]] = [{} for _ in self.targets]
        self._errors: list[str] = []
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
        self._errors.clear()
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
            if len(self._errors) >= MAX_TOKENS:
                self._reset()
                memo = self.memos[i]
            self._errors.append(f"{t.label}: {exc}")
            tok = -len(self._errors)
            memo[cell] = tok
            return tok
        single = self._single[i]
        sig: Hashable
        if single is None:
            sig = ("value", value)
        else:
            answers = {} if value is None else {t.question.id: value}
            sig = (value is None, *(c.evaluate(answers) for c in single))
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
            result = error_outcome("; ".join(self._errors[-tok - 1] for tok in toks if tok < 0))
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
        if ev.complete:
            return Outcome("ok", ev.level or "", score, ev.red_flags, ev.criteria_met, ())
        # Safety questions unanswered: a fired warning sign still stands; a physical-therapy level does not.
        level = ev.level or "" if ev.red_flags else ""
        return Outcome("incomplete", level, score, ev.red_flags, ev.criteria_met, ev.red_flags_unknown)

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
