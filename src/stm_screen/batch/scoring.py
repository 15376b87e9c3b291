"""Scoring one record after another, fast, with results identical to ``Scorer.evaluate``.

Each cell is converted once per distinct text (a memo per column), and turned into a small integer token
standing for what the rules can tell apart. Every condition of the rules (red flags, criteria, skip logic,
outcome guards) is taken apart at its ``and``/``or``/``not`` into *atoms*; an atom over one question
(``age_years >= 50``, ``'low_back' in pain_areas``) is a test of that question's answer alone. Two answers
that every such atom finds the same, and that are alike in being blank or 'not sure', share a token. A
question in an atom over several questions (``age_years - pain_duration_months / 12 < 45``) has a token per
answer, and the answers of the questions tied by such atoms are then put in classes together: the same
tokens of the others and the same results of all their atoms give the same outcome. A question whose exact
answer counts (an item of a score) has a token per answer. A record is then a tuple of tokens, and its
outcome is computed once by the real scorer (on representative answers) and reused for every record of
the same class.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Hashable, Iterable
from operator import getitem, itemgetter
from typing import Any

from stm_screen.batch.columns import Plan, Target
from stm_screen.core.answers import Answer, AnswerValueError
from stm_screen.core.conditions import Condition, Implies, compile_part
from stm_screen.core.engine import Scorer, known_answer
from stm_screen.core.explain import URGENCY_ORDER
from stm_screen.core.ruleset import UNSURE, Ruleset
from stm_screen.errors import printable
from stm_screen.io.csvcells import Names, Number

MAX_MEMO = 50_000  # distinct cell texts remembered per column
MAX_TOKENS = 100_000  # distinct answers remembered per column (before everything is forgotten)
MAX_OUTCOMES = 100_000
# What everything remembered may take, roughly (cell texts, keys, condition results, outcomes): past this,
# all is forgotten at the end of a record, whatever the counts, so memory stays flat however varied the
# answers (each entry is counted as its own bytes plus ENTRY for the dict slot and object headers). The
# count runs high: 64 MB counted was about 25-40 MB more resident memory (2026-12-07: coin-toss answers
# peaked at 94 MB with 96 MB counted, 51 MB with 24; plausible answers never reach 64 MB counted in a
# million records, where 24 MB forgot everything 9 times and took 1.5x as long). BatchSettings.memo_mb
# (``STM_SCREEN_MEMO_MB``) sets another.
MAX_MEMO_BYTES = 64 * 1024 * 1024
ENTRY = 100
# A cell longer than this (a free-text answer, or a hostile cell up to the 16 MB limit) is read each time it
# comes, never remembered, nor joined into a key to remember: a memo of a few such cells would hold tens of
# MB until the next reset (issue 10: a cell at the size limit costs a few copies of it, not a memo's worth).
MAX_MEMO_CELL = 64 * 1024
IGNORED = "ignored"  # tally key ("ignored", question id): answers ignored by the skip rule
# Outcomes concluded from their fingerprints (RecordScorer._derived); False: every outcome by the scorer
# (the tests compare the two)
DERIVE = True
FINGERPRINT_AFTER = 64  # outcomes computed by the scorer before a plan's fingerprint is compiled

_MISS = object()  # not in a memo (None is a result: a condition that cannot be decided)


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
        "open_urgency",
        "error",
        "brief",
        "csv",
        "_json",
        "key",
        "n",
        "tail",
        "ignored",
        "extra",
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
        ignored: tuple[str, ...] = (),
        extra: tuple[tuple[str, Any], ...] = (),
        open_urgency: str = "",
    ) -> None:
        self.status = status
        # questions answered although the skip rule does not ask them: their answers were ignored (counted
        # in the summary, never written: the output row is that of the same record without them)
        self.ignored = ignored
        self.n = 0  # records with this outcome (the runner counts here: cheaper than a dict)
        self.tail = ""  # the output line after the id, rendered once by the writer
        self.level = level
        self.urgency = urgency  # how soon to act: the most urgent warning sign that fired ('' when none)
        self.score = score
        self.red_flags = red_flags
        self.criteria_met = criteria_met
        self.unanswered = unanswered
        # how soon to act if the most urgent warning sign that could not be ruled out fits ('' when none)
        self.open_urgency = open_urgency
        self.error = error
        self.brief = error if brief is None else brief  # the error without the answers, for stderr
        self.extra = extra  # (field, value) of the instruments' scores (see module_fields)
        score_text = "" if score is None else (f"{score:g}" if isinstance(score, float) else str(score))
        self.score_text = score_text
        self.csv = (
            status,
            level,
            urgency,
            Number(score_text),
            Names(";".join(red_flags)),
            Names(";".join(criteria_met)),
            Names(";".join(unanswered)),
            open_urgency,
            error,
            *(_csv_value(v) for _, v in extra),
        )
        self._json: str | None = None
        # What tells two outcomes apart (the record scorer keeps one of each): every field written, each
        # value with its type (a score of 3 is written '3' in JSON, one of 3.0 '3.0'), and the answers ignored.
        self.key = (
            status,
            level,
            urgency,
            score.__class__,
            score,
            red_flags,
            criteria_met,
            unanswered,
            open_urgency,
            error,
            tuple((k, v.__class__, v) for k, v in extra),
            ignored,
        )

    @property
    def json(self) -> str:
        """The outcome's JSON fields (without the braces), made when a JSON writer first asks."""
        if self._json is None:
            self._json = json.dumps(
                {
                    "status": self.status,
                    "level": self.level or None,
                    "urgency": self.urgency or None,
                    "score": self.score,
                    "red_flags": list(self.red_flags),
                    "criteria_met": list(self.criteria_met),
                    "unanswered_red_flags": list(self.unanswered),
                    "unanswered_urgency": self.open_urgency or None,
                    "error": self.error or None,
                    **dict(self.extra),
                },
                ensure_ascii=False,
            )[1:-1]
        return self._json


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _csv_value(value: Any) -> str:
    """An instrument's value for the CSV: a number the tool computed keeps its sign (io.csvcells)."""
    text = _cell(value)
    return Number(text) if isinstance(value, int | float) and not isinstance(value, bool) else text


def module_fields(ruleset: Ruleset) -> tuple[str, ...]:
    """The output fields of the instruments asked beside the screening, after the screening's own: each
    score, its band (for scores with bands), and whether the person fits whom the instrument is meant for
    (for instruments that say so): ``phq4, phq4_band, startback_total, ..., startback_fits``."""
    out: list[str] = []
    for mod in ruleset.modules:
        for s in ruleset.scores:
            if s.module == mod.id:
                out.append(s.id)
                if s.bands:
                    out.append(f"{s.id}_band")
        if mod.id in ruleset.audience:
            out.append(f"{mod.id.replace('-', '_').replace('.', '_')}_fits")
    return tuple(out)


def module_values(ruleset: Ruleset, ev: Any) -> tuple[tuple[str, Any], ...]:
    """(field, value) for :func:`module_fields`, from an evaluation: an unknown score is empty (null)."""
    if not ruleset.modules:
        return ()
    out: list[tuple[str, Any]] = []
    for mod in ruleset.modules:
        for s in ruleset.scores:
            if s.module == mod.id:
                out.append((s.id, ev.scores.get(s.id)))
                if s.bands:
                    out.append((f"{s.id}_band", ev.bands.get(s.id)))
        cond = ruleset.audience.get(mod.id)
        if cond is not None:
            out.append((f"{mod.id.replace('-', '_').replace('.', '_')}_fits", cond.evaluate(ev.values)))
    return tuple(out)


def error_outcome(message: str, brief: str | None = None) -> Outcome:
    """An error record; control characters quoted from the file are shown as escapes (one line).
    ``brief``: the message without the answer it quotes (for stderr), when it quotes one."""
    return Outcome("error", error=printable(message), brief=None if brief is None else printable(brief))


_QUOTED_VALUE = re.compile(r"^'.*' (?=is not |is out of range|is too large)", re.DOTALL)


def without_value(message: str) -> str:
    """An answer problem without the answer: "'11' is out of range; ..." -> "the value is out of range; ..."."""
    return _QUOTED_VALUE.sub("the value ", message, count=1)


class Atoms:
    """What the rules' conditions test, taken apart at ``and``, ``or`` and ``not`` (see the module doc)."""

    def __init__(self, ruleset: Ruleset) -> None:
        qids = {q.id for q in ruleset.questions}
        conds: list[Condition] = [rf.when for rf in ruleset.red_flags] + [c.when for c in ruleset.criteria]
        conds += [q.ask_if for q in ruleset.questions if q.ask_if is not None]
        conds += [o.when for o in ruleset.outcomes if o.when is not None]
        conds += [f.when for f in ruleset.feeds] + list(ruleset.audience.values())
        single: dict[str, dict[str, Condition]] = {}
        joint: dict[str, tuple[frozenset[str], Condition]] = {}
        compiled: dict[str, Condition] = {}  # each part's text, compiled
        # questions whose exact answer counts: items of a score, or named where a part cannot be told apart
        self.by_value: set[str] = {qid for s in ruleset.scores for qid in s.items}
        for cond in conds:
            if cond.names - qids:  # a score in an outcome's condition: everything it names, by answer
                self.by_value |= cond.names & qids
                continue
            for leaf in _leaves(cond.source):
                names = frozenset(n.id for n in ast.walk(leaf) if isinstance(n, ast.Name)) & qids
                if not names:
                    continue
                text = ast.unparse(leaf)
                atom = compiled.get(text)  # the same part in another condition: compiled once
                if atom is None:
                    atom = compiled[text] = compile_part(leaf, text, names)
                if len(names) == 1:
                    single.setdefault(next(iter(names)), {}).setdefault(text, atom)
                else:
                    joint.setdefault(text, (names, atom))
        self.single = {qid: tuple(found.values()) for qid, found in single.items()}
        # questions tied by atoms over several of them, in groups (connected through shared questions)
        groups: list[tuple[set[str], list[Condition]]] = []
        for names, atom in joint.values():
            hit = [g for g in groups if g[0] & names]
            merged: tuple[set[str], list[Condition]] = (set(names), [atom])
            for g in hit:
                groups.remove(g)
                merged[0].update(g[0])
                merged[1].extend(g[1])
            groups.append(merged)
        self.joint = [(frozenset(g[0]), tuple(g[1])) for g in groups]


def _leaves(source: str) -> list[ast.expr]:
    """The parts of a condition below its ``and``, ``or`` and ``not``."""
    out: list[ast.expr] = []

    def walk(node: ast.expr) -> None:
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                walk(v)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            walk(node.operand)
        else:
            out.append(node)

    walk(ast.parse(source, mode="eval").body)
    return out


_ATOMS: dict[tuple[str, str, str], Atoms] = {}


def atoms_of(ruleset: Ruleset) -> Atoms:
    key = (ruleset.id, ruleset.version, ruleset.sha256)
    found = _ATOMS.get(key)
    if found is None:
        if len(_ATOMS) > 16:
            _ATOMS.clear()
        found = _ATOMS[key] = Atoms(ruleset)
    return found


class RecordScorer:
    """Turns rows of cells into outcomes, following one plan under one ruleset."""

    def __init__(self, ruleset: Ruleset, plan: Plan, budget: int | None = None) -> None:
        self.ruleset = ruleset
        self.plan = plan
        self.budget = MAX_MEMO_BYTES if budget is None else budget  # see MAX_MEMO_BYTES
        self.scorer = Scorer(ruleset)
        self._gated = tuple(q for q in ruleset.questions if q.ask_if is not None)
        headline = ruleset.headline
        self.headline = headline.id if headline is not None else None
        self.targets: tuple[Target, ...] = plan.targets
        atoms = atoms_of(ruleset)
        # per column: the atoms over its question alone, or None when its token is the answer itself
        self._single: list[tuple[Condition, ...] | None] = []
        self._own: list[tuple[Condition, ...] | None] = []  # joint columns: their single atoms (class)
        where = {t.question.id: i for i, t in enumerate(self.targets)}
        tied = set().union(*(names for names, _ in atoms.joint)) if atoms.joint else set()
        for t in self.targets:
            qid = t.question.id
            mine = atoms.single.get(qid, ())
            if qid in atoms.by_value or qid in tied:
                self._single.append(None)
                self._own.append(None if qid in atoms.by_value else mine)
            else:
                self._single.append(mine)
                self._own.append(None)
        # groups of tied columns (present in this file) with the atoms that tie them
        self.comps: list[tuple[tuple[int, ...], tuple[Condition, ...]]] = []
        for names, joined in atoms.joint:
            members = tuple(sorted(where[n] for n in names if n in where))
            if members:
                self.comps.append((members, joined))
        self._unsure = frozenset(q.id for q in ruleset.questions if q.unsure)
        # the fingerprint of a record (see fingerprint): every condition, over the columns it names (-1: no
        # column), in the scorer's order
        qids = {q.id for q in ruleset.questions}

        def over(cond: Condition | Implies) -> tuple[tuple[str, ...], tuple[int, ...], Callable[[list[Any]], Any]]:
            names = tuple(sorted(cond.names))
            idx = tuple(where.get(n, -1) for n in names)
            return names, idx, itemgetter(*idx) if idx else (lambda live: ())

        self._gated_fp = [
            (where.get(q.id, -1), q.ask_if, *over(q.ask_if))
            for q in ruleset.questions
            if q.ask_if is not None
        ]
        whens: list[Condition | Implies] = [rf.when for rf in ruleset.red_flags]
        whens += [c.when for c in ruleset.criteria]
        whens += [o.when for o in ruleset.outcomes if o.when is not None]
        whens += list(ruleset.audience.values())
        whens += [test for _new, _old, test in self.scorer.covers]  # see Scorer.conclude's ``covered``
        self._conds_fp = [(j, (c, *over(c))) for j, c in enumerate(whens, len(self._gated_fp))]
        # A score in a condition, or an instrument answering a screening question (which changes what the
        # skip logic asks): no fingerprint, every class of records goes to the scorer.
        self._fp_ok = not any(c.names - qids for c in whens) and not ruleset.feeds
        self._items = tuple(sorted({where[q] for s in ruleset.scores for q in s.items if q in where}))
        # An outcome straight from its fingerprint (see _derived): the results of the red flags', criteria's
        # and outcomes' conditions are in it, so the scorer's own conclusion (Scorer.conclude) is drawn from
        # them without evaluating anything again. Not with item scores or instruments (their values are
        # not in the fingerprint).
        self._derive = (
            DERIVE and self._fp_ok and not self.scorer._item_scores and not ruleset.modules and not self._items
        )
        self._gate_ids = tuple(q.id for q, g in zip(self._gated, self._gated_fp, strict=True) if g[0] >= 0)
        nflags, ncrits = len(ruleset.red_flags), len(ruleset.criteria)
        self._fp_flags = slice(len(self._gate_ids), len(self._gate_ids) + nflags)
        self._fp_crits = slice(self._fp_flags.stop, self._fp_flags.stop + ncrits)
        when_at: dict[int, int] = {}
        for i, o in enumerate(ruleset.outcomes):
            if o.when is not None:
                when_at[i] = self._fp_crits.stop + len(when_at)
        self._fp_whens = when_at
        start = self._fp_crits.stop + len(when_at) + len(ruleset.audience)
        self._fp_covers = slice(start, start + len(self.scorer.covers))
        self._cmemo: list[dict[Hashable, bool | None]] = [
            {} for _ in range(len(self._gated_fp) + len(self._conds_fp))
        ]
        self._by_fp: dict[Hashable, Outcome] = {}
        self._interned: dict[Hashable, Outcome] = {}  # an outcome's key (Outcome.key) -> its one object
        self._urgency = {rf.id: rf.urgency for rf in ruleset.red_flags if rf.urgency in URGENCY_ORDER}

        self._generation = 0
        self.spent = 0  # bytes remembered, roughly (see MAX_MEMO_BYTES, self.budget)
        self.memos: list[dict[Hashable, int]] = [{} for _ in self.targets]
        self._values: list[list[Answer | None]] = [[] for _ in self.targets]
        self._blank: list[int] = [-2] * len(self.targets)  # per column: the token of a blank cell (-2: none)
        self._by_sig: list[dict[Hashable, int]] = [{} for _ in self.targets]
        self._sigs: list[list[Hashable]] = [[] for _ in self.targets]  # token -> what the atoms made of it
        # per group of tied columns: class -> representative tokens; member tokens -> representative
        self._classes: list[dict[Hashable, tuple[int, ...]]] = [{} for _ in self.comps]
        self._reps: list[dict[tuple[int, ...], tuple[int, ...]]] = [{} for _ in self.comps]
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
        # groups of tied columns read together (see calibrate): joined cells -> class id, as gmemo
        self.joint: tuple[tuple[int, ...], ...] = ()
        self.jmemos: list[dict[str, int]] = []
        self._bad_ids: set[tuple[int, int]] = set()  # (-1, gid) or (k, jid) whose tokens hold an error
        self.fp_for_key: Callable[..., Hashable] | None = None
        self._jreps: list[list[tuple[int, ...]]] = []  # class id -> representative tokens of the members
        self._jids: list[dict[tuple[int, ...], int]] = []
        self._jcomp: list[int] = []  # which of self.comps each read-together group is
        # compiled once some outcomes were computed (a JSON file may need a plan per record: most are
        # used a few times only, and the scorer alone is then quicker than compiling)
        self.fingerprint: Callable[[tuple[int, ...]], Hashable] | None = None
        self._evaluated = 0

    def _reset(self) -> None:
        """Forget everything remembered (in place: the runner holds references to these containers);
        the counts of the outcomes forgotten are kept."""
        self._generation += 1
        self._folded = self.tally()
        for out in self.seen:  # counted in _folded: an outcome still in use counts on from 0 (see _spent)
            out.n = 0
        self.seen.clear()
        self.spent = 0
        self._blank[:] = [-2] * len(self.targets)
        for memo, values, by_sig, sigs in zip(
            self.memos, self._values, self._by_sig, self._sigs, strict=True
        ):
            memo.clear()
            values.clear()
            by_sig.clear()
            sigs.clear()
        remembered: list[dict[Any, Any] | list[Any]] = [
            *self._classes,
            *self._reps,
            *self.jmemos,
            *self._jids,
        ]
        for group in (*remembered, *self._jreps, *self._cmemo):
            group.clear()
        self._by_fp.clear()
        self._interned.clear()
        self._bad_ids.clear()
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
            self.spent += 3 * len(errors[-1][0]) + 3 * ENTRY
            if _size(cell) <= MAX_MEMO_CELL:
                memo[cell] = tok
                self.spent += _size(cell)
            return tok
        single = self._single[i]
        sig: Hashable
        if single is None:
            sig = ("value", value)
        else:
            sig = self._sig(t.question.id, value, single)
        by_sig = self._by_sig[i]
        tok_opt = by_sig.get(sig)
        if tok_opt is None:
            if len(self._values[i]) >= MAX_TOKENS:
                self._reset()
                memo, by_sig = self.memos[i], self._by_sig[i]
            tok_opt = len(self._values[i])
            self._values[i].append(value)
            if value is None:
                self._blank[i] = tok_opt
            own = self._own[i]
            self._sigs[i].append(sig if own is None else self._sig(t.question.id, value, own))
            by_sig[sig] = tok_opt
            self.spent += 4 * ENTRY
        if _size(cell) <= MAX_MEMO_CELL:
            memo[cell] = tok_opt
            self.spent += _size(cell) + ENTRY
        return tok_opt

    def _sig(self, qid: str, value: Answer | None, atoms: tuple[Condition, ...]) -> Hashable:
        """What the atoms over this question alone make of an answer, as conditions see it
        (:func:`known_answer`: 'not sure' is not known, as a blank, or yes where the question takes it so);
        'not sure' is an answer all the same: a class of its own."""
        unsure = value == UNSURE and qid in self._unsure
        known = None if value is None else known_answer(self.ruleset.by_id[qid], value)
        answers = {} if known is None else {qid: known}
        return (value is None, unsure, *(c.evaluate(answers) for c in atoms))

    def _known(self, i: int, tok: int) -> Answer | None:
        """A token's answer as conditions see it (see :func:`known_answer`)."""
        value = self._values[i][tok]
        if value is None:
            return None
        return known_answer(self.targets[i].question, value)

    def _rep(self, c: int, mtoks: tuple[int, ...]) -> tuple[int, ...]:
        """The representative tokens of a group of tied columns: the first seen of their class (the
        classes of each member, and what the atoms tying them make of their answers)."""
        rep = self._reps[c].get(mtoks)
        if rep is not None:
            return rep
        members, joined = self.comps[c]
        known = {}
        for i, tok in zip(members, mtoks, strict=True):
            value = self._known(i, tok)
            if value is not None:
                known[self.targets[i].question.id] = value
        key = (
            tuple(self._sigs[i][tok] for i, tok in zip(members, mtoks, strict=True)),
            tuple(a.evaluate(known) for a in joined),
        )
        rep = self._classes[c].setdefault(key, mtoks)
        if len(self._reps[c]) >= MAX_MEMO:
            self._reps[c].clear()
        self._reps[c][mtoks] = rep
        self.spent += 16 * len(mtoks) + 2 * ENTRY
        return rep

    def canonical(self, toks: tuple[int, ...]) -> tuple[int, ...]:
        """The tokens of a record (no error among them) with tied columns' tokens made representative."""
        if not self.comps:
            return toks
        out = list(toks)
        for c, (members, _) in enumerate(self.comps):
            for i, tok in zip(members, self._rep(c, tuple(toks[i] for i in members)), strict=True):
                out[i] = tok
        return tuple(out)

    # --- tokens -> outcome ----------------------------------------------------------------------------

    def outcome(self, toks: tuple[int, ...]) -> Outcome:
        """The outcome of a token tuple (computed once, then remembered)."""
        found = self.outcomes.get(toks)
        if found is not None:
            return found
        if toks and min(toks) < 0:
            bad = [errs[-tok - 1] for errs, tok in zip(self._errors, toks, strict=True) if tok < 0]
            result = error_outcome("; ".join(b[0] for b in bad), "; ".join(b[1] for b in bad))
            self._remember(toks, result)
            self.spent += 3 * len(result.error) + 10 * ENTRY
            return self._new(result)
        same = self.canonical(toks)
        if same != toks:
            found = self.outcomes.get(same)
            if found is not None:
                return found  # raw tokens of tied columns are not remembered: there may be very many
        generation = self._generation
        result = self._outcome_of(same)
        if generation == self._generation:  # else the memos were reset: these tokens are void
            self._remember(same, result)
        return result

    def _outcome_of(self, toks: tuple[int, ...]) -> Outcome:
        """The outcome of canonical tokens holding no error: by fingerprint, else by the scorer."""
        if self.fingerprint is None and self._fp_ok and self._evaluated >= FINGERPRINT_AFTER:
            self.fingerprint = self._compile_fingerprint()
        fp = self.fingerprint(toks) if self.fingerprint is not None else None
        result = self._by_fp.get(fp) if fp is not None else None
        if result is not None:
            return result
        if fp is not None and self._derive:
            made = self._derived(fp)
        else:
            values: dict[str, Answer] = {}
            for t, vals, tok in zip(self.targets, self._values, toks, strict=True):
                value = vals[tok]
                if value is not None:
                    values[t.question.id] = value
            made = self.evaluate(values)
        return self._keep(made, fp)

    def from_fingerprint(self, fp: Hashable) -> Outcome:
        """The outcome of a fingerprint made by the caller (batch.columnar), concluded from it: only when
        ``derives`` (else ask :meth:`outcome` with the record's tokens)."""
        result = self._by_fp.get(fp)
        return self._keep(self._derived(fp), fp) if result is None else result

    @property
    def derives(self) -> bool:
        """Whether outcomes are concluded from fingerprints (see DERIVE, _derived)."""
        return self._derive

    def _keep(self, made: Outcome, fp: Hashable | None) -> Outcome:
        """An outcome just made: its one object (interned), remembered under its fingerprint."""
        self._evaluated += 1
        intern = made.key
        result = self._interned.get(intern)
        if result is None:
            if len(self._interned) >= MAX_OUTCOMES:
                self._reset()  # the tokens of this record are void from here: count it, do not remember it
                return self._new(made)
            result = self._interned[intern] = self._new(made)
            # the outcome: its key, CSV cells, JSON and rendered line
            self.spent += 8 * sum(map(len, made.csv)) + 16 * len(made.ignored) + 10 * ENTRY
        if fp is not None:
            if len(self._by_fp) >= MAX_OUTCOMES:
                self._by_fp.clear()
            self._by_fp[fp] = result
            self.spent += 16 * len(fp) + ENTRY  # type: ignore[arg-type]
        return result

    def _remember(self, toks: tuple[int, ...], result: Outcome) -> None:
        if len(self.outcomes) >= MAX_OUTCOMES:
            self.outcomes.clear()  # the outcomes themselves stay counted (self.seen)
        self.outcomes[toks] = result
        self.spent += 8 * len(toks) + ENTRY

    def _new(self, result: Outcome) -> Outcome:
        """An outcome made for the first time: counted and rendered once."""
        self.seen.append(result)
        if self.render is not None:
            self.render(result)
        return result

    def _compile_fingerprint(
        self, where: list[str] | None = None, head: tuple[str, ...] = ()
    ) -> Callable[..., Hashable]:
        """The fingerprint of a record (canonical tokens, no error): what its outcome depends on. That is
        what each red flag, criterion and outcome condition makes of its answers, once its skip logic has
        left out the questions it does not ask, and the answers that items of a score count: an outcome
        holds the fired and open red flags, the criteria met, the scores and the level, and all follow
        from these. (A field taken from more of the evaluation, say the blank or 'not sure' questions,
        would have to be added here.) Each condition's result is remembered per tokens of the questions
        it names. Written out for this plan (column indices inlined) and compiled once, as the runner's
        loop is: only integers and fixed names go into the source.

        By default the function takes the tokens of a record; with ``where`` (an expression per column)
        and ``head`` (lines that set the names those expressions use) it takes a fast-path key."""
        n = len(self.targets)
        if where is None:
            lines = ["def fingerprint(toks):", *(f"    c{i} = toks[{i}]" for i in range(n))]
        else:
            lines = ["def fingerprint(key):", *head, *(f"    c{i} = {e}" for i, e in enumerate(where))]
        live = "[" + "".join(f"c{i}, " for i in range(n)) + "None]"  # [-1]: a question without a column

        def key(idx: tuple[int, ...]) -> str:
            cells = ["None" if i < 0 else f"c{i}" for i in idx]
            if len(cells) == 1:
                return cells[0]
            return "(" + "".join(f"{c}, " for c in cells) + ")"

        names = []
        for j, (qi, _cond, _names, idx, _get) in enumerate(self._gated_fp):
            if qi < 0:
                continue  # a question without a column: nothing to leave out
            lines += [
                f"    k = {key(idx)}",
                f"    h = M{j}.get(k)",
                "    if h is None:",
                f"        h = gate({j}, k, {live})",
                f"    s{j} = not h and c{qi} != B[{qi}]",  # an answer the skip rule ignores
                "    if not h:",
                f"        c{qi} = None",
            ]
            names.append(f"s{j}")
        for j, (_test, _names, idx, _get) in self._conds_fp:
            lines += [
                f"    k = {key(idx)}",
                f"    r{j} = M{j}.get(k, MISS)",
                f"    if r{j} is MISS:",
                f"        r{j} = cond({j}, k, {live})",
            ]
            names.append(f"r{j}")
        if self._items:
            names.append("(" + "".join(f"c{i}, " for i in self._items) + ")")
        lines.append("    return (" + "".join(f"{name}, " for name in names) + ")")
        env: dict[str, Any] = {f"M{j}": memo for j, memo in enumerate(self._cmemo)}
        env.update(MISS=_MISS, gate=self._gate, cond=self._cond, GT=self._gtoks, B=self._blank)
        env.update({f"JR{k}": reps for k, reps in enumerate(self._jreps)})
        code = compile("\n".join(lines) + "\n", "<stm_screen.batch.scoring fingerprint>", "exec")
        exec(code, env)  # noqa: S102 - generated from integers and fixed names only
        made: Callable[..., Hashable] = env["fingerprint"]
        return made

    def _gate(self, j: int, key: Hashable, live: list[int | None]) -> bool:
        _qi, cond, names, idx, _get = self._gated_fp[j]
        memo = self._cmemo[j]
        if len(memo) >= MAX_MEMO:
            memo.clear()
        hit = memo[key] = cond.evaluate(self._env(names, idx, live)) is True
        self.spent += 2 * ENTRY
        return hit

    def _cond(self, j: int, key: Hashable, live: list[int | None]) -> bool | None:
        cond, names, idx, _get = self._conds_fp[j - len(self._gated_fp)][1]
        memo = self._cmemo[j]
        if len(memo) >= MAX_MEMO:
            memo.clear()
        result = memo[key] = cond.evaluate(self._env(names, idx, live))
        self.spent += 2 * ENTRY
        return result

    def _env(self, names: tuple[str, ...], idx: tuple[int, ...], live: list[int | None]) -> dict[str, Answer]:
        env: dict[str, Answer] = {}
        for name, i in zip(names, idx, strict=True):
            if i >= 0:
                tok = live[i]
                if tok is not None:
                    value = self._known(i, tok)
                    if value is not None:
                        env[name] = value
        return env

    def distinct_outcomes(self) -> int:
        """Outcomes told apart by fingerprint so far (how varied the records scored are)."""
        return len(self._by_fp)

    def count(self, counts: dict[tuple[str, str], int]) -> None:
        """Records counted by a caller that made their outputs itself (batch.columnar's tails made in
        columns): added to the tally as the outcomes' own counters are."""
        folded = self._folded
        for key, n in counts.items():
            folded[key] = folded.get(key, 0) + n

    def tally(self) -> dict[tuple[str, str], int]:
        """Records per (status, level), from the outcomes' own counters; and per ("ignored", question id)
        the records whose answer to that question was ignored because the skip rule does not ask it."""
        counts = dict(self._folded)
        for out in self.seen:
            if out.n:
                key = (out.status, out.level)
                counts[key] = counts.get(key, 0) + out.n
                for qid in out.ignored:
                    key = (IGNORED, qid)
                    counts[key] = counts.get(key, 0) + out.n
        return counts

    # --- the fast path --------------------------------------------------------------------------------

    def calibrate(self, sample: Iterable[list[Any]], limit: int = 400) -> None:
        """Choose the columns read together as one key: the ones with few distinct cells in a sample
        (yes/no answers, mostly), added while the sample shows at most ``limit`` distinct combinations;
        and each group of tied columns (one cell each) read together into its class. Only speed depends
        on this choice, never results."""
        rows = [r for r in sample if len(r) >= self.plan.width]
        joint = [
            c for c, (members, _) in enumerate(self.comps) if not any(self.targets[i].split for i in members)
        ]
        tied = {i for c in joint for i in self.comps[c][0]}
        singles = [i for i, t in enumerate(self.targets) if not t.split and i not in tied]
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
        self.joint = tuple(self.comps[c][0] for c in joint)
        self._jcomp = joint
        self.jmemos = [{} for _ in joint]
        self._jreps = [[] for _ in joint]
        self._jids = [{} for _ in joint]
        self.indiv = tuple(i for i in range(len(self.targets)) if i not in group and i not in tied)
        self.imemos = [self.memos[i] for i in self.indiv]
        self.fp_for_key = None
        if self._fp_ok and len(self.joint) == len(self.comps):
            if self.fingerprint is None:
                self.fingerprint = self._compile_fingerprint()
            where = [""] * len(self.targets)
            for p, i in enumerate(self.group):
                where[i] = f"g[{p}]"
            for k, members in enumerate(self.joint):
                for m, i in enumerate(members):
                    where[i] = f"j{k}[{m}]"
            for q, i in enumerate(self.indiv):
                where[i] = f"key[{1 + len(self.joint) + q}]"
            head = (
                "    g = GT[key[0]]",
                *(f"    j{k} = JR{k}[key[{1 + k}]]" for k in range(len(self.joint))),
            )
            self.fp_for_key = self._compile_fingerprint(where, head)

    def group_cells(self) -> Callable[[list[Any]], tuple[Any, ...]]:
        return _getter([self.targets[i].indices[0] for i in self.group])

    def joint_cells(self, k: int) -> Callable[[list[Any]], tuple[Any, ...]]:
        return _getter([self.targets[i].indices[0] for i in self.joint[k]])

    def indiv_cells(self) -> Callable[[list[Any]], tuple[Any, ...]]:
        if all(not self.targets[i].split for i in self.indiv):
            return _getter([self.targets[i].indices[0] for i in self.indiv])
        parts = [self.targets[i] for i in self.indiv]

        def cells(row: list[Any]) -> tuple[Any, ...]:
            return tuple(
                row[t.indices[0]] if not t.split else tuple(row[j] for j in t.indices) for t in parts
            )

        return cells

    def key_slow(
        self, gcells: tuple[Any, ...], icells: tuple[Any, ...], *jcells: tuple[Any, ...]
    ) -> tuple[int, ...]:
        """The key of a record when some cell is new: fills memos; safe across a memo reset."""
        while True:
            generation = self._generation
            joined = _joined(gcells)
            gid = None if joined is None else self.gmemo.get(joined)
            if gid is None:
                gtoks = tuple(self._tok(i, c) for i, c in zip(self.group, gcells, strict=True))
                if generation != self._generation:
                    continue  # a memo was reset on the way: these tokens are void
                gid = self._gids.get(gtoks)
                if gid is None:
                    gid = self._gids[gtoks] = len(self._gtoks)
                    self._gtoks.append(gtoks)
                    self.spent += 16 * len(gtoks) + 2 * ENTRY
                    if gtoks and min(gtoks) < 0:
                        self._bad_ids.add((-1, gid))
                if len(self.gmemo) >= MAX_MEMO:
                    self.gmemo.clear()
                if joined is not None and joined.count("\x00") == max(len(gcells) - 1, 0):  # no NUL inside a cell
                    self.gmemo[joined] = gid
                    self.spent += len(joined) + ENTRY
            jids = []
            for k, cells in enumerate(jcells):
                jid = self._jid(k, cells)
                if jid is None:
                    break
                jids.append(jid)
            itoks = tuple(self._tok(i, c) for i, c in zip(self.indiv, icells, strict=True))
            if generation == self._generation:
                return (gid, *jids, *itoks)

    def _jid(self, k: int, cells: tuple[Any, ...]) -> int | None:
        """The class id of a group of tied columns' cells (None: a memo was reset on the way)."""
        joined = _joined(cells)
        memo = self.jmemos[k]
        jid = None if joined is None else memo.get(joined)
        if jid is not None:
            return jid
        generation = self._generation
        mtoks = tuple(self._tok(i, c) for i, c in zip(self.joint[k], cells, strict=True))
        if generation != self._generation:
            return None
        rep = mtoks if min(mtoks) < 0 else self._rep(self._jcomp[k], mtoks)
        jid = self._jids[k].get(rep)
        if jid is None:
            jid = self._jids[k][rep] = len(self._jreps[k])
            self._jreps[k].append(rep)
            self.spent += 16 * len(rep) + 2 * ENTRY
            if min(rep) < 0:
                self._bad_ids.add((k, jid))
        if len(memo) >= MAX_MEMO:
            memo.clear()
        if joined is not None and joined.count("\x00") == len(cells) - 1:
            memo[joined] = jid
            self.spent += len(joined) + ENTRY
        return jid

    def _tok(self, i: int, cell: Any) -> int:
        tok = self.memos[i].get(cell)
        return self._token(i, cell) if tok is None else tok

    def outcome_for_key(self, key: tuple[int, ...]) -> Outcome:
        """The outcome of a fast-path key (the compiled loop's key missed ``keyed``)."""
        return self._spent(self._outcome_for_key(key))

    def _spent(self, out: Outcome) -> Outcome:
        """After a record's outcome is known, the one safe point: past the byte budget, forget everything
        remembered. The outcome goes on being counted (from 0: what it counted so far is folded)."""
        if self.spent > self.budget:
            self._reset()
            self.seen.append(out)
        return out

    def forget_if_full(self, scale: int = 1) -> bool:
        """For a caller at a safe point of its own (batch.columnar, between records: its tokens and keys
        checked against ``_generation`` before use, the counts of outcomes so far already added): past
        ``scale`` times the byte budget, forget everything remembered. True when it did."""
        if self.spent > self.budget * scale:
            self._reset()
            return True
        return False

    def _outcome_for_key(self, key: tuple[int, ...]) -> Outcome:
        fast = self.fp_for_key
        fp = None
        if fast is not None and not self._bad(key):
            fp = fast(key)
            found = self._by_fp.get(fp)
            if found is not None:
                if len(self.keyed) >= MAX_OUTCOMES:
                    self.keyed.clear()  # the outcomes themselves stay counted (self.seen)
                self.keyed[key] = found
                self.spent += 8 * len(key) + ENTRY
                return found
        toks = [0] * len(self.targets)
        for i, tok in zip(self.group, self._gtoks[key[0]], strict=True):
            toks[i] = tok
        for k, members in enumerate(self.joint):
            for i, tok in zip(members, self._jreps[k][key[1 + k]], strict=True):
                toks[i] = tok
        for i, tok in zip(self.indiv, key[1 + len(self.joint) :], strict=True):
            toks[i] = tok
        generation = self._generation
        got = tuple(toks)
        if len(self.joint) < len(self.comps) or min(got, default=0) < 0:
            out = self.outcome(got)  # tied columns read apart, or an error: the general way
        elif fp is not None and self._derive:
            out = self._keep(self._derived(fp), fp)  # the fingerprint of these tokens, made from the key
        else:
            out = self._outcome_of(got)  # the tokens of tied columns read together are representative
        if generation != self._generation:
            return out
        if len(self.keyed) >= MAX_OUTCOMES:
            self.keyed.clear()  # the outcomes themselves stay remembered (and counted) in self.outcomes
        self.keyed[key] = out
        self.spent += 8 * len(key) + ENTRY
        return out

    def _bad(self, key: tuple[int, ...]) -> bool:
        """Whether a fast-path key holds a cell that could not be read."""
        bad = self._bad_ids
        if bad and ((-1, key[0]) in bad or any((k, key[1 + k]) in bad for k in range(len(self.joint)))):
            return True
        return min(key[1 + len(self.joint) :], default=0) < 0

    def evaluate(self, values: dict[str, Answer]) -> Outcome:
        ev = self.scorer.evaluate(values)
        score = ev.scores.get(self.headline) if self.headline else None
        ignored = tuple(q.id for q in self._gated if q.id in ev.skipped and q.id in values) if ev.skipped else ()
        extra = module_values(self.ruleset, ev)
        return self._made(
            ev.level, ev.unchecked, score, ev.red_flags, ev.red_flags_unknown, ev.criteria_met, ignored, extra
        )

    def _derived(self, fp: Any) -> Outcome:
        """The outcome of a fingerprint (see ``_compile_fingerprint``: the skip rules' ignored answers,
        then each condition's result), concluded by the scorer from those results: the same outcome as
        :meth:`evaluate` of any record with this fingerprint (tests/test_batch_derived.py)."""
        ignored = tuple(q for q, hit in zip(self._gate_ids, fp, strict=False) if hit)
        whens = self._fp_whens
        d = self.scorer.conclude(
            fp[self._fp_flags], fp[self._fp_crits], {}, lambda i: fp[whens[i]], None, fp[self._fp_covers]
        )
        score = d.scores.get(self.headline) if self.headline else None
        return self._made(d.level, d.unchecked, score, d.red_flags, d.red_flags_unknown, d.met, ignored, ())

    def _made(
        self,
        level: str | None,
        unchecked: bool,
        score: float | None,
        red_flags: tuple[str, ...],
        unknown: tuple[str, ...],
        met: tuple[str, ...],
        ignored: tuple[str, ...],
        extra: tuple[tuple[str, Any], ...],
    ) -> Outcome:
        soon = [self._urgency[r] for r in red_flags if r in self._urgency]
        urgency = max(soon, key=URGENCY_ORDER.index) if soon else ""
        if level is not None and not unknown:  # complete
            return Outcome(
                "ok", level or "", score, red_flags, met, (), urgency=urgency, ignored=ignored, extra=extra
            )
        # A warning sign could not be ruled out ('not sure', or no answer): the level is the ruleset's
        # 'unchecked' one (see_doctor) unless a warning sign that fired sets a higher one; a physical-therapy
        # level never stands. Without an 'unchecked' level, only a fired warning sign gives one.
        level = level or "" if unchecked or red_flags else ""
        doubt = [self._urgency[r] for r in unknown if r in self._urgency]
        return Outcome(
            "incomplete",
            level,
            score,
            red_flags,
            met,
            unknown,
            urgency=urgency,
            ignored=ignored,
            extra=extra,
            open_urgency=max(doubt, key=URGENCY_ORDER.index) if doubt else "",
        )

    def score_row(self, row: list[Any]) -> Outcome:
        """One row, the plain way (used by ``rules diff`` and tests; the runner inlines this)."""
        return self._spent(self.outcome(self.tokens(self.cells(row))))


def _joined(cells: tuple[Any, ...]) -> str | None:
    """The cells joined by NULs, the key of their memo; None when one is too long to remember (see
    MAX_MEMO_CELL). A cell that is no text raises TypeError, as the join does (JSON records' lists)."""
    if any(type(c) is str and len(c) > MAX_MEMO_CELL for c in cells):
        if not all(type(c) is str for c in cells):
            "".join(cells)  # raises TypeError (a list's tuple), before any text is copied
        return None
    return "\x00".join(cells)


def _size(cell: Any) -> int:
    """A cell's bytes, roughly: its text, or (split multi-selects) its texts."""
    if type(cell) is str:
        return len(cell)
    return sum(len(str(c)) + 8 for c in cell) if isinstance(cell, tuple) else 64


def _getter(indices: list[int]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """A C-speed function returning the cells at these indices as a tuple (always a tuple)."""
    if not indices:
        return lambda row: ()
    if len(indices) == 1:
        only = indices[0]
        return lambda row: (row[only],)
    return itemgetter(*indices)
