"""A ruleset as an XLSForm (the spreadsheet form format of ODK, KoboToolbox, Enketo, Ona, SurveyCTO, ...).
Pure: sheets as lists of rows; ``io.xlsx`` writes them with openpyxl.

* ``survey``: one row per question (``name`` = question id), each section a ``begin_group``/``end_group``
  (its intro a ``note``), ``ask_if`` as ``relevant``, min/max as ``constraint`` with a
  ``constraint_message``, help as ``hint``, ``required`` for required and safety questions.
* ``choices``: one list per question with choices (``name`` = choice id), plus ``yes_no`` and, for
  questions that offer 'not sure', ``yes_no_unsure`` (yes, no, unsure), so an export of the form's data
  holds the values stm-screen reads back.
* ``settings``: ``form_id`` (the ruleset id), ``version``, ``form_title``, ``default_language``.
* Every language of the rules is a ``label::Language (code)`` column (and ``hint::``, ``constraint_message::``,
  ``required_message::``), the form the XLSForm spec and pyxform use for translations.

Skip logic follows the one skip rule (see ``interop.conditions``): a question is relevant only when its
``ask_if`` is true, so every comparison other than ``=`` first checks that its question has an answer
(``${x} != ''``; in XPath a blank compares as NaN or as the empty string, which would make ``!=`` true),
'not sure' never counts as an answer, a multiple choice left blank is not "nothing ticked" (ODK stores
both as an empty value), and each comparison comes with when its own question is shown, so an answer a
form kept for a question it no longer shows switches nothing on.
"""

from __future__ import annotations

import ast
from typing import Any

from stm_screen.core.answers import allowed
from stm_screen.core.ruleset import UNSURE, Question, Ruleset, Words
from stm_screen.i18n import N_, _, gettext_in, speaking
from stm_screen.interop.conditions import (
    UNSURE_LABEL,
    Compare,
    Expr,
    Group,
    Member,
    Node,
    NotExpressible,
    offers_unsure,
    plain_number,
    required_in_forms,
    shown_when,
)

# Language names as XLSForm columns write them ("English (en)"); a code not listed is written "xx (xx)".
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt": "Português",
    "it": "Italiano",
    "nl": "Nederlands",
    "sw": "Kiswahili",
    "ar": "العربية",
    "zh": "中文",
    "hi": "हिन्दी",
    "ru": "Русский",
    "pl": "Polski",
    "tr": "Türkçe",
    "vi": "Tiếng Việt",
}
YES_NO = "yes_no"
YES_NO_UNSURE = "yes_no_unsure"
_YES_NO_LABELS = {"yes": N_("Yes"), "no": N_("No"), UNSURE: UNSURE_LABEL}  # said in each column's language


def language_column(code: str) -> str:
    """``English (en)``: how a language is named after ``label::``."""
    return f"{LANGUAGE_NAMES.get(code, code)} ({code})"


def choice_list(q: Question) -> str:
    """The choices list of a select question: its own id, or the shared yes/no lists."""
    if q.type == "boolean":
        return YES_NO_UNSURE if offers_unsure(q) else YES_NO
    return q.id


def question_type(q: Question) -> str:
    if q.type == "integer":
        return "integer"
    if q.type == "number":
        return "decimal"
    if q.type == "multi_choice":
        return f"select_multiple {choice_list(q)}"
    return f"select_one {choice_list(q)}"


def value_name(q: Question, value: object) -> str:
    """The XLSForm choice name an answer is stored as: yes/no for a yes/no question, else the choice id."""
    if q.type == "boolean" and isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# --- relevant: XPath ------------------------------------------------------------------------------------

_OP = {"==": "=", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "div"}


def _ref(qid: str) -> str:
    return "${" + qid + "}"


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "'yes'" if value else "'no'"
    if isinstance(value, int | float):
        return plain_number(value)
    return "'" + str(value).replace("'", "") + "'"


def _expr(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return _ref(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        if isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int | float):
            value = node.operand.value
            return plain_number(-value if isinstance(node.op, ast.USub) else value)
        inner = _expr(node.operand)
        return f"(0 - {inner})" if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        return f"({_expr(node.left)} {_ARITH[type(node.op)]} {_expr(node.right)})"
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return plain_number(node.value)
    raise NotExpressible(f"'{ast.unparse(node)}' cannot be written as an XLSForm expression")


def _names(node: Expr, qs: dict[str, Question]) -> list[str]:
    found = [n.id for side in (node.left, node.right) for n in ast.walk(side) if isinstance(n, ast.Name)]
    return [n for n in dict.fromkeys(found) if n in qs]


def _guards(node: Node, qs: dict[str, Question]) -> list[str]:
    """Questions that must have a (known) answer for the comparison to hold in stm-screen but not in
    XPath: every comparison but ``=`` with a value, and every 'not ticked'."""
    if isinstance(node, Compare):
        return [node.question] if node.op != "==" else []
    if isinstance(node, Member):
        return [] if node.present else [node.question]
    if isinstance(node, Expr):
        return _names(node, qs)
    return []


def _guard_text(questions: list[str], qs: dict[str, Question]) -> list[str]:
    out: list[str] = []
    for q in dict.fromkeys(questions):
        out.append(f"{_ref(q)} != ''")
        if offers_unsure(qs[q]) and qs[q].type != "boolean":
            out.append(f"{_ref(q)} != '{UNSURE}'")
    return out


def _atom(node: Node, qs: dict[str, Question]) -> str:
    if isinstance(node, Member):
        text = f"selected({_ref(node.question)}, '{node.choice}')"
        return text if node.present else f"not({text})"
    if isinstance(node, Compare):
        q = qs[node.question]
        value: object = node.value
        op = node.op
        if q.type == "boolean" and isinstance(value, bool):
            if op == "!=":  # only yes and no are known answers ('not sure' matches neither)
                op, value = "==", not value
            if op != "==":
                raise NotExpressible(_("a yes/no question can only be compared for equality"))
        return f"{_ref(node.question)} {_OP[op]} {_literal(value)}"
    assert isinstance(node, Expr)
    return f"{_expr(node.left)} {_OP[node.op]} {_expr(node.right)}"


def to_xpath(node: Node, qs: dict[str, Question], top: bool = True) -> str:
    """An XLSForm ``relevant`` expression (XPath with ``${question}`` references)."""
    if isinstance(node, Group):
        if node.kind == "and":
            guards = [g for p in node.parts if not isinstance(p, Group) for g in _guards(p, qs)]
            parts = _guard_text(guards, qs)
            parts += [
                to_xpath(p, qs, top=False) if isinstance(p, Group) else _atom(p, qs) for p in node.parts
            ]
        else:
            parts = [to_xpath(p, qs, top=False) for p in node.parts]
        text = f" {node.kind} ".join(parts)
        return text if top else f"({text})"
    guards = _guards(node, qs)
    text = " and ".join([*_guard_text(guards, qs), _atom(node, qs)])
    return text if top or not guards else f"({text})"


def relevant(ruleset: Ruleset, q: Question) -> str:
    node = shown_when(q, dict(ruleset.by_id))
    if node is None:
        return ""
    return to_xpath(node, dict(ruleset.by_id))


# --- sheets ---------------------------------------------------------------------------------------------


def _constraint(q: Question) -> str:
    parts = []
    if q.min is not None:
        parts.append(f". >= {plain_number(q.min)}")
    if q.max is not None:
        parts.append(f". <= {plain_number(q.max)}")
    return " and ".join(parts)


def _allowed_in(lang: str, q: Question) -> str:
    """'Allowed: a number from 0 to 600 months', said in ``lang`` (the unit in the form's main language)."""
    with speaking(lang):
        return _("Allowed: {allowed}").format(allowed=allowed(q))


def _per_language(words: Words | str, languages: tuple[str, ...]) -> list[str]:
    if isinstance(words, str):
        return [words for _ in languages]
    return [words.get(lang) for lang in languages]


def sheets(ruleset: Ruleset) -> dict[str, list[list[Any]]]:
    """The ``survey``, ``choices`` and ``settings`` sheets, header row first."""
    langs = tuple(ruleset.languages) or ("en",)
    cols = [language_column(code) for code in langs]
    survey_head = [
        "type",
        "name",
        *(f"label::{c}" for c in cols),
        *(f"hint::{c}" for c in cols),
        "required",
        *(f"required_message::{c}" for c in cols),
        "relevant",
        "constraint",
        *(f"constraint_message::{c}" for c in cols),
    ]
    survey: list[list[Any]] = [survey_head]
    blank = [""] * len(langs)

    def row(
        kind: str,
        name: str,
        label: list[str],
        hint: list[str] | None = None,
        required: str = "",
        required_message: list[str] | None = None,
        rel: str = "",
        constraint: str = "",
        constraint_message: list[str] | None = None,
    ) -> list[Any]:
        return [
            kind,
            name,
            *label,
            *(hint or blank),
            required,
            *(required_message or blank),
            rel,
            constraint,
            *(constraint_message or blank),
        ]

    open_section: str | None = None
    for q in ruleset.questions:
        if q.section != open_section:
            if open_section is not None:
                survey.append(row("end_group", "", blank))
            open_section = q.section
            if q.section is not None:
                section = ruleset.sections[q.section]
                survey.append(row("begin_group", section.id, _per_language(section.title, langs)))
                if str(section.intro):
                    survey.append(row("note", f"{section.id}_intro", _per_language(section.intro, langs)))
        try:
            rel = relevant(ruleset, q)
        except NotExpressible as exc:
            raise NotExpressible(
                _("question '{id}': its ask_if cannot be written as XLSForm relevant ({why})").format(
                    id=q.id, why=exc
                )
            ) from None
        required = required_in_forms(q)
        message = (
            N_("Please answer this safety question (choose Not sure if you do not know)")
            if offers_unsure(q)
            else N_("Please answer this question")
        )
        survey.append(
            row(
                question_type(q),
                q.id,
                _per_language(q.text, langs),
                _per_language(q.help, langs),
                "yes" if required else "",
                [gettext_in(lang, message) for lang in langs] if required else None,
                rel,
                _constraint(q),
                [_allowed_in(lang, q) for lang in langs] if _constraint(q) else None,
            )
        )
    if open_section is not None:
        survey.append(row("end_group", "", blank))

    choices: list[list[Any]] = [["list_name", "name", *(f"label::{c}" for c in cols)]]
    used = {choice_list(q) for q in ruleset.questions if q.type != "integer" and q.type != "number"}
    for name in (YES_NO, YES_NO_UNSURE):
        if name in used:
            codes = ["yes", "no"] + ([UNSURE] if name == YES_NO_UNSURE else [])
            choices += [
                [name, code, *(gettext_in(lang, _YES_NO_LABELS[code]) for lang in langs)] for code in codes
            ]
    for q in ruleset.questions:
        if q.type in ("choice", "multi_choice"):
            choices += [[q.id, c.id, *_per_language(c.label, langs)] for c in q.choices]
            if offers_unsure(q):
                choices.append([q.id, UNSURE, *(gettext_in(lang, UNSURE_LABEL) for lang in langs)])

    settings = [
        ["form_id", "version", "form_title", "default_language"],
        [ruleset.id, ruleset.version, str(ruleset.title), language_column(ruleset.lang or langs[0])],
    ]
    return {"survey": survey, "choices": choices, "settings": settings}
