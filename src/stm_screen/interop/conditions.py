"""``ask_if`` conditions in the shapes other tools understand. Pure: no I/O.

A condition (already checked when the rules were loaded) is turned into a small tree with every ``not``
pushed down to the comparisons (negation normal form), because neither REDCap branching logic nor FHIR
``enableWhen`` has a ``not``. The tree is then written as REDCap branching logic, or as a list of FHIR
``enableWhen`` entries when it is one comparison or a flat ``and``/``or`` of them.

Unanswered questions: stm-screen treats a comparison with an unanswered question as unknown and asks a
question only when its ``ask_if`` is true. ``not x > 3`` becomes ``x <= 3``, so the negation still hides the
question while ``x`` is blank. The other tools differ for a blank: in REDCap a blank field is "not equal" to
anything and may count as 0, so comparisons other than ``=`` are guarded with ``[x] <> ''``; in FHIR
``enableWhen`` a ``!=`` holds with no answer, so it is paired with an ``exists`` entry. One case is left:
REDCap stores an unticked checkbox as 0 whether or not the question was answered, so ``'a' not in m``
(``[m(a)] = '0'``) shows the question for a blank record (``batch`` reads such a record as answered with
nothing ticked, so it asks the question too).

'Not sure': a yes/no or single-choice question that offers it (:func:`offers_unsure`) is exported with one
more answer, coded ``unsure``, and a yes/no question then becomes a three-way choice (yes, no, not sure).
'Not sure' counts as not known, like a blank, so it must hide whatever depends on it. A yes/no comparison
is always written as ``= yes`` or ``= no`` (``x != True`` is ``x == False``: the only known answers are yes
and no), which 'not sure' never matches; any other comparison that 'not sure' could satisfy (``c != 'a'``,
arithmetic) is guarded with ``[c] <> 'unsure'`` in REDCap, an ``!= unsure`` entry in ``enableWhen``, and by
leaving the ``unsure`` answer out (``.where(code != 'unsure')``) in FHIRPath.

A yes/no question whose 'not sure' counts as yes (``unsure_means_yes``) is the one exception: there 'not
sure' is known, and is yes. ``x == True`` is written as ``x = yes or x = unsure`` (REDCap ``[x] = '1' or
[x] = 'unsure'``, two ``enableWhen`` entries under ``any``, ``code = 'yes' or code = 'unsure'`` in
FHIRPath), ``x == False`` stays ``= no``, and a comparison of two yes/no questions is spelt out the same
way (``a == b`` as ``a and b or not a and not b``).

An atom that is false where stm-screen says unknown never changes whether a question is shown: ``and`` and
``or`` only move towards true when an atom does, so the guards only have to keep atoms from being true.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stm_screen.core.ruleset import UNSURE, Question
from stm_screen.i18n import N_, _

# Question types whose exported form offers 'not sure' as one more answer, when the question takes it.
UNSURE_TYPES = ("boolean", "choice")
# The codes of the three answers of a yes/no question that offers 'not sure' (REDCap radio, FHIR Coding), in
# the order the questionnaire offers them, with their labels.
YES_NO_UNSURE_REDCAP = (("1", N_("Yes")), ("0", N_("No")), (UNSURE, N_("Not sure")))
# English, as survey tools export them (matched on import); forms in another language translate them
# where they are written (i18n.gettext_in).
YES_NO_UNSURE_FHIR = (("yes", N_("Yes")), ("no", N_("No")), (UNSURE, N_("Not sure")))
UNSURE_LABEL = N_("Not sure")


def offers_unsure(q: Question) -> bool:
    """Whether the exported forms offer 'not sure' for this question: a yes/no or single-choice question
    that takes it. (A number or multiple-choice question that takes it is exported without: left blank, its
    answer is not known either, which is what 'not sure' means.)"""
    return q.unsure and q.type in UNSURE_TYPES


def required_in_forms(q: Question) -> bool:
    """Required in the exported forms: required questions and every safety question (left blank, it is a
    warning sign that could not be ruled out). A required question that skip logic hides is not asked, so
    it never stops the form: REDCap checks a required field only while its branching logic shows it, and
    FHIR form fillers check only enabled items."""
    return q.required or q.safety


# An operator and its negation; the mirror is used when the constant stands on the left.
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_MIRROR = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}


class NotExpressible(Exception):
    """The condition has no equivalent in the target format; ``str()`` says why."""


@dataclass(frozen=True)
class Compare:
    """``question op value`` with a literal value (number, choice id or yes/no)."""

    question: str
    op: str
    value: bool | int | float | str


@dataclass(frozen=True)
class Member:
    """A choice is (``present``) or is not ticked in a multiple-choice question."""

    question: str
    choice: str
    present: bool


@dataclass(frozen=True)
class Expr:
    """Any other comparison (arithmetic, two questions): kept as a syntax tree."""

    left: ast.expr
    op: str
    right: ast.expr


@dataclass(frozen=True)
class Group:
    kind: str  # "and" | "or"
    parts: tuple[Node, ...]


Node = Compare | Member | Expr | Group


def normalize(source: str, questions: Mapping[str, Question]) -> Node:
    """The condition's tree, with ``not`` pushed down to the comparisons."""
    tree = ast.parse(source, mode="eval").body
    return _nnf(tree, False, questions)


def _questions_of(node: Node, qs: Mapping[str, Question]) -> list[str]:
    """The questions a tree compares, in order of appearance."""
    if isinstance(node, Compare | Member):
        return [node.question]
    if isinstance(node, Expr):
        return _names(node, qs)
    return list(dict.fromkeys(q for p in node.parts for q in _questions_of(p, qs)))


def shown_when(q: Question, qs: Mapping[str, Question]) -> Node | None:
    """When ``q`` is shown under the skip rule, in the answers alone: its ``ask_if`` with every comparison
    over a question that has an ``ask_if`` of its own joined (``and``) with when *that* question is shown.

    stm-screen ignores the answer of a question it does not ask (a stale answer, left from before an
    earlier answer changed); a form tool may keep it (REDCap keeps values of hidden fields unless they are
    erased, LHC-Forms keeps answers of items hidden by an expression, and a REDCap checkbox field reads 0 for
    every box whether shown or not). Joining each comparison with its question's own condition makes the
    form ignore such answers too. It is enough per comparison: in negation normal form, with the guards
    the writers add, a comparison with an answer that does not count is false in the tools, exactly where
    stm-screen finds it unknown, and ``and``/``or`` without ``not`` are true in the same cases either way."""
    if q.ask_if is None:
        return None
    memo: dict[str, Node | None] = {}

    def shown(qid: str) -> Node | None:
        if qid not in memo:
            other = qs[qid]
            memo[qid] = None if other.ask_if is None else chain(normalize(other.ask_if.source, qs))
        return memo[qid]

    def chain(node: Node) -> Node:
        if isinstance(node, Group):
            over = _questions_of(node, qs)
            if len(over) > 1:
                return _group(node.kind, [chain(p) for p in node.parts])
            # every comparison looks at one question: join the whole group once (x in ['a', 'b'])
        conds = [c for c in (shown(n) for n in _questions_of(node, qs)) if c is not None]
        return _group("and", [node, *conds]) if conds else node

    return chain(normalize(q.ask_if.source, qs))


def _group(kind: str, parts: list[Node]) -> Node:
    flat: list[Node] = []
    for p in parts:
        for part in p.parts if isinstance(p, Group) and p.kind == kind else (p,):
            if part not in flat:  # the same comparison twice says nothing more
                flat.append(part)
    return flat[0] if len(flat) == 1 else Group(kind, tuple(flat))


def _nnf(node: ast.expr, negate: bool, qs: Mapping[str, Question]) -> Node:  # noqa: C901
    if isinstance(node, ast.BoolOp):
        kind = "and" if isinstance(node.op, ast.And) else "or"
        if negate:
            kind = "or" if kind == "and" else "and"
        return _group(kind, [_nnf(v, negate, qs) for v in node.values])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _nnf(node.operand, not negate, qs)
    if isinstance(node, ast.Name):
        named = Compare(node.id, "==", not negate)
        return _atom(named, qs) if node.id in qs else named
    if isinstance(node, ast.Compare):
        pairs: list[Node] = []
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            pairs.append(_compare(left, op, right, negate, qs))
            left = right
        return _group("or" if negate else "and", pairs)
    raise NotExpressible(f"'{ast.unparse(node)}' cannot be translated")


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
    ):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    raise ValueError


def _is_literal(node: ast.expr) -> bool:
    try:
        _literal(node)
    except ValueError:
        return False
    return True


def _compare(
    left: ast.expr, op: ast.cmpop, right: ast.expr, negate: bool, qs: Mapping[str, Question]
) -> Node:
    if isinstance(op, ast.In | ast.NotIn):
        present = isinstance(op, ast.In) != negate
        # 'code' in multi_choice_question
        if isinstance(right, ast.Name) and _is_literal(left):
            return Member(right.id, str(_literal(left)), present)
        # choice_question in ['a', 'b']
        if isinstance(left, ast.Name) and isinstance(right, ast.Tuple | ast.List):
            values = [_literal(e) for e in right.elts]
            eq = "==" if present else "!="
            if not values:
                raise NotExpressible(f"'{ast.unparse(left)}' compared with an empty list")
            return _group("or" if present else "and", [Compare(left.id, eq, v) for v in values])
        raise NotExpressible(f"'{ast.unparse(left)} in {ast.unparse(right)}' cannot be translated")
    sym = _OPS.get(type(op))
    if sym is None:  # pragma: no cover - the rules compiler allows no other operator
        raise NotExpressible("unsupported operator")
    if negate:
        sym = _NEGATE[sym]
    if isinstance(left, ast.Name) and left.id in qs and _is_literal(right):
        return _atom(Compare(left.id, sym, _literal(right)), qs)
    if isinstance(right, ast.Name) and right.id in qs and _is_literal(left):
        return _atom(Compare(right.id, _MIRROR[sym], _literal(left)), qs)
    if (
        sym in ("==", "!=")
        and isinstance(left, ast.Name)
        and isinstance(right, ast.Name)
        and left.id in qs
        and right.id in qs
        and qs[left.id].type == qs[right.id].type == "boolean"
        and (takes_unsure_as_yes(qs[left.id]) or takes_unsure_as_yes(qs[right.id]))
    ):
        # a == b: both yes or both no (a != b: one of each); each side then reads 'not sure' as it means
        a, b = left.id, right.id
        pairs = ((True, True), (False, False)) if sym == "==" else ((True, False), (False, True))
        both = [
            _group("and", [_atom(Compare(a, "==", x), qs), _atom(Compare(b, "==", y), qs)]) for x, y in pairs
        ]
        return _group("or", both)
    return Expr(left, sym, right)


def takes_unsure_as_yes(q: Question) -> bool:
    """A yes/no question whose 'not sure' counts as yes (``unsure_means_yes``), in a form that offers it."""
    return q.unsure_yes and offers_unsure(q)


def _atom(node: Compare, qs: Mapping[str, Question]) -> Node:
    """A yes/no comparison as ``= yes`` or ``= no``: its only known answers are yes and no, so ``!= yes``
    means ``= no``, and neither a blank nor 'not sure' matches it in any of the tools; where 'not sure'
    counts as yes, ``= yes`` is ``= yes or = unsure``."""
    q = qs[node.question]
    if q.type == "boolean" and node.op == "!=" and isinstance(node.value, bool):
        node = Compare(node.question, "==", not node.value)
    if node.value is True and node.op == "==" and takes_unsure_as_yes(q):
        return Group("or", (node, Compare(node.question, "==", UNSURE)))
    return node


# --- REDCap branching logic ---------------------------------------------------------------------------

_REDCAP_OP = {"==": "=", "!=": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">="}


def plain_number(value: float | int) -> str:
    """Every digit, never an exponent (``1e-05``, ``1.23457e+06`` are neither exact nor REDCap syntax)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value)


def _num(value: float | int) -> str:
    return plain_number(value)


def _redcap_value(value: object) -> str:
    if isinstance(value, bool):
        return "'1'" if value else "'0'"
    if isinstance(value, int | float):
        return _num(value)
    return "'" + str(value).replace("'", "") + "'"


_ARITH: dict[type[ast.operator], str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def _arith(op: ast.operator) -> str:
    """``+``, ``-``, ``*`` and ``/``: the rules compiler allows no other operator (and ``/`` only by a
    number other than 0, ``*`` only with a number on one side), and both targets write them the same."""
    sign = _ARITH.get(type(op))
    if sign is None:  # pragma: no cover - refused when the rules are loaded
        raise NotExpressible(f"the operator '{type(op).__name__}' cannot be translated")
    return sign


def _redcap_expr(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return f"[{node.id}]"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd) and not _is_literal(node):
        inner = _redcap_expr(node.operand)
        return f"(0 - {inner})" if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        return f"({_redcap_expr(node.left)} {_arith(node.op)} {_redcap_expr(node.right)})"
    if _is_literal(node):
        value = _literal(node)
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, int | float):
            return _num(value)
        return "'" + str(value).replace("'", "") + "'"
    raise NotExpressible(f"'{ast.unparse(node)}' cannot be written as REDCap branching logic")


def _blank_guards(node: Node, qs: Mapping[str, Question]) -> list[str]:
    """Questions that must be answered for a comparison to hold in stm-screen, but not in REDCap: a blank
    field is not equal to anything (``<>`` holds) and may count as 0 in ``<``, ``>`` and sums."""
    if isinstance(node, Compare):
        return [node.question] if node.op != "==" else []
    if isinstance(node, Expr):
        return _names(node, qs)
    return []


def _names(node: Expr, qs: Mapping[str, Question]) -> list[str]:
    names = [n.id for side in (node.left, node.right) for n in ast.walk(side) if isinstance(n, ast.Name)]
    return [n for n in dict.fromkeys(names) if n in qs]


def _redcap_guards(questions: list[str], qs: Mapping[str, Question]) -> list[str]:
    """``[x] <> ''`` for each question, and ``[x] <> 'unsure'`` where 'not sure' is one of its answers."""
    out: list[str] = []
    for q in dict.fromkeys(questions):
        out.append(f"[{q}] <> ''")
        if offers_unsure(qs[q]):
            out.append(f"[{q}] <> '{UNSURE}'")
    return out


REDCAP_MAX_FIELD = 26  # REDCap's advice for variable names, and so for checkbox export columns


def checkbox_code(q: Question, choice: str) -> str:
    """A choice's code in the REDCap checkbox field: its id, or, where ``field___id`` would pass REDCap's
    advice of 26 characters for a column name, its number (1, 2, ...). ``batch`` maps the number back (a
    choice id starts with a letter, so a number never means an id)."""
    if len(q.id) + 3 + len(choice) > REDCAP_MAX_FIELD:
        return str(q.choice_ids.index(choice) + 1)
    return choice


def checkbox_choice(q: Question, code: str) -> str | None:
    """The choice of a ``field___code`` column whose code is a choice's number (see :func:`checkbox_code`)."""
    if q.type != "multi_choice" or not code.isdigit():
        return None
    n = int(code)
    if 1 <= n <= len(q.choices) and checkbox_code(q, q.choices[n - 1].id) == code:
        return q.choices[n - 1].id
    return None


def _redcap_atom(node: Node, qs: Mapping[str, Question]) -> str:
    if isinstance(node, Member):
        code = checkbox_code(qs[node.question], node.choice)
        return f"[{node.question}({code})] = '{1 if node.present else 0}'"
    if isinstance(node, Compare):
        return f"[{node.question}] {_REDCAP_OP[node.op]} {_redcap_value(node.value)}"
    assert isinstance(node, Expr)
    return f"{_redcap_expr(node.left)} {_REDCAP_OP[node.op]} {_redcap_expr(node.right)}"


def to_redcap(node: Node, qs: Mapping[str, Question], top: bool = True) -> str:
    """REDCap branching logic: ``[x] > 3``, ``[m(code)] = '1'``, ``and``/``or``, ``<>`` for not equal.
    Comparisons other than ``=`` first check that their questions are answered (``[x] <> ''``, and
    ``[x] <> 'unsure'`` where 'not sure' is an answer), once per ``and``, so that a blank or 'not sure'
    answer hides the question as it does in stm-screen. A yes/no field that offers 'not sure' is a radio
    field coded 1, 0 and unsure: ``[x] = '1'`` reads it as it reads a yesno field."""
    if isinstance(node, Group):
        if node.kind == "and":
            guards = [g for p in node.parts if not isinstance(p, Group) for g in _blank_guards(p, qs)]
            parts = _redcap_guards(guards, qs)
            parts += [
                to_redcap(p, qs, top=False) if isinstance(p, Group) else _redcap_atom(p, qs)
                for p in node.parts
            ]
        else:
            parts = [to_redcap(p, qs, top=False) for p in node.parts]
        text = f" {node.kind} ".join(parts)
        return text if top else f"({text})"
    guards = _blank_guards(node, qs)
    if not guards:
        return _redcap_atom(node, qs)
    text = " and ".join([*_redcap_guards(guards, qs), _redcap_atom(node, qs)])
    return text if top else f"({text})"


# --- FHIR enableWhen ----------------------------------------------------------------------------------

_FHIR_OP = {"==": "=", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}


def coding_code(q: Question, value: object) -> str:
    """The code of an answer in the exported FHIR form: a choice id, or yes/no/unsure for a yes/no question
    that offers 'not sure' (it is a choice there)."""
    if q.type == "boolean" and offers_unsure(q) and isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _enable_when(atom: Node, qs: Mapping[str, Question], system: str) -> dict[str, Any]:
    if isinstance(atom, Member):
        if not atom.present:
            raise NotExpressible(_("'not in' a multiple-choice question has no enableWhen form"))
        return {
            "question": atom.question,
            "operator": "=",
            "answerCoding": {"system": f"{system}:{atom.question}", "code": atom.choice},
        }
    if isinstance(atom, Compare):
        q = qs[atom.question]
        entry: dict[str, Any] = {"question": atom.question, "operator": _FHIR_OP[atom.op]}
        value = atom.value
        if q.type == "boolean":
            if atom.op not in ("==", "!="):
                raise NotExpressible(_("a yes/no question can only be compared for equality"))
            if offers_unsure(q):  # a choice of yes, no and not sure: compared as a Coding
                entry["answerCoding"] = {"system": f"{system}:{atom.question}", "code": coding_code(q, value)}
            else:
                entry["answerBoolean"] = bool(value)
        elif q.type == "integer":
            if not isinstance(value, int | float) or float(value) != int(value):
                raise NotExpressible(_("a whole-number question compared with a fraction"))
            entry["answerInteger"] = int(value)
        elif q.type == "number":
            entry["answerDecimal"] = value
        else:
            if atom.op not in ("==", "!="):
                raise NotExpressible(_("a choice question can only be compared for equality"))
            entry["answerCoding"] = {"system": f"{system}:{atom.question}", "code": str(value)}
        return entry
    raise NotExpressible(_("only comparisons of a question with a value have an enableWhen form"))


def to_enable_when(node: Node, qs: Mapping[str, Question], system: str) -> tuple[list[dict[str, Any]], str]:
    """(enableWhen entries, enableBehavior); raises :class:`NotExpressible`.

    FHIR's ``!=`` holds when a question has no answer at all; stm-screen asks nothing on an unanswered
    question's account, so each ``!=`` comes with an ``exists`` entry under ``all`` (and, where 'not sure'
    is an answer, a ``!= unsure`` entry: 'not sure' is not known either). Under ``any`` that cannot be
    said, and the condition goes to the FHIRPath expression instead. A yes/no question that offers 'not
    sure' is a choice in the form, so it is compared with ``answerCoding`` (yes or no), not
    ``answerBoolean``."""
    parts = list(node.parts) if isinstance(node, Group) else [node]
    if any(isinstance(p, Group) for p in parts):
        raise NotExpressible(_("a mix of 'and' and 'or' has no enableWhen form"))
    behavior = "any" if isinstance(node, Group) and node.kind == "or" else "all"
    unequal = [p.question for p in parts if isinstance(p, Compare) and p.op == "!="]
    if unequal and behavior == "any":
        raise NotExpressible(_("'!=' under 'or' would ask the question while the other is unanswered"))
    entries = [_enable_when(p, qs, system) for p in parts]
    for qid in dict.fromkeys(unequal):
        entries.append({"question": qid, "operator": "exists", "answerBoolean": True})
        if offers_unsure(qs[qid]):
            entries.append(
                {
                    "question": qid,
                    "operator": "!=",
                    "answerCoding": {"system": f"{system}:{qid}", "code": UNSURE},
                }
            )
    return entries, behavior


# --- FHIRPath (SDC enableWhenExpression), for conditions enableWhen cannot say -----------------------


def _fp_answers(qid: str) -> str:
    return f"%resource.repeat(item).where(linkId='{qid}').answer.value"


def _fp_known(q: Question | None, qid: str) -> str:
    """The answer values a condition compares: choice codes (without 'not sure', which is not known), a
    yes/no answer given as a Coding turned into true or false, or the value itself."""
    base = _fp_answers(qid)
    if q is None:
        return base
    unsure = offers_unsure(q)
    if q.type in ("choice", "multi_choice"):
        return f"{base}.where(code != '{UNSURE}').code" if unsure else f"{base}.code"
    if q.type == "boolean" and unsure:
        return f"({base}.where(code != '{UNSURE}').code = 'yes')"
    return base


def _fp_literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _num(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fp_expr(node: ast.expr, qs: Mapping[str, Question]) -> str:
    if isinstance(node, ast.Name):
        return _fp_known(qs.get(node.id), node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd) and not _is_literal(node):
        inner = _fp_expr(node.operand, qs)
        return f"(0 - {inner})" if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        return f"({_fp_expr(node.left, qs)} {_arith(node.op)} {_fp_expr(node.right, qs)})"
    if _is_literal(node):
        return _fp_literal(_literal(node))
    raise NotExpressible(f"'{ast.unparse(node)}' cannot be written in FHIRPath")


_FP_OP = {"==": "=", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}


def to_fhirpath(node: Node, qs: Mapping[str, Question]) -> str:
    """A FHIRPath expression over the QuestionnaireResponse (``%resource``) that is true when to ask.

    It always gives true or false (``iif(..., true, false)``): a comparison with a blank answer is empty in
    FHIRPath, which form fillers log as an expression that "did not resolve to a Boolean"."""
    return f"iif({_fhirpath(node, qs)}, true, false)"


def _fhirpath(node: Node, qs: Mapping[str, Question], top: bool = True) -> str:
    if isinstance(node, Group):
        text = f" {node.kind} ".join(_fhirpath(p, qs, top=False) for p in node.parts)
        return text if top else f"({text})"
    if isinstance(node, Member):
        codes = _fp_answers(node.question) + ".code"
        if node.present:
            return f"({codes} contains {_fp_literal(node.choice)})"
        # unanswered stays "not asked", as in stm-screen
        return f"({codes}.exists() and ({codes} contains {_fp_literal(node.choice)}).not())"
    if isinstance(node, Compare):
        q = qs.get(node.question)
        if q is not None and q.type == "boolean" and offers_unsure(q) and isinstance(node.value, bool):
            # yes or no as a Coding; 'not sure' (and a blank) matches neither
            code = coding_code(q, node.value if node.op == "==" else not node.value)
            return f"({_fp_answers(node.question)}.code = {_fp_literal(code)})"
        if q is not None and q.type == "boolean" and offers_unsure(q) and node.value == UNSURE:
            # 'not sure' itself, where it counts as yes (see _atom)
            assert node.op == "=="
            return f"({_fp_answers(node.question)}.code = {_fp_literal(UNSURE)})"
        return f"({_fp_known(q, node.question)} {_FP_OP[node.op]} {_fp_literal(node.value)})"
    return f"({_fp_expr(node.left, qs)} {_FP_OP[node.op]} {_fp_expr(node.right, qs)})"
