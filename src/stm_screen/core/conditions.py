"""The restricted condition language, compiled once at load time.

A condition is a small expression over question ids (and, in outcomes, score ids)::

    pain_duration_months > 3 and (fear_of_movement or recurrent_flare_ups)
    'low_back' in pain_areas
    activity_limitation >= 4

Text is parsed with :func:`ast.parse` and every node is checked against a whitelist: boolean operators,
``not``, comparisons (including ``in``), ``+``/``-``, ``*`` with a number written out on one side, ``/`` by a
number written out (never zero), names and literals. Calls, attributes, subscripts,
names starting with ``_``, lambdas, comprehensions and everything else are refused, as are over-long or
over-deep expressions. Names must be known ids and every operation is type checked, so a mistake in a rules
file is a load error, not a wrong result. The checked tree is then compiled to a code object (the raw text is
never evaluated) and run with no builtins.

Unanswered questions use three-valued logic: a comparison with an unanswered question is *unknown*;
``and``/``or``/``not`` follow Kleene's rules, so ``a or b`` is true when ``a`` is, whatever ``b``. A condition
whose value is unknown has not fired; callers report it as "could not be ruled out".
"""

import ast
import difflib
from collections.abc import Callable, Mapping
from types import CodeType
from typing import Literal, NamedTuple

from stm_screen.i18n import N_, _

MAX_LENGTH = 2000
MAX_NODES = 200
MAX_STRING = 200
MAX_NUMBER = 1e12

Kind = Literal["bool", "num", "choice", "multi"]


class NameInfo(NamedTuple):
    """What a name in a condition stands for: its kind and, for choices, the allowed choice ids."""

    kind: Kind
    choices: tuple[str, ...] = ()
    description: str = "question"


class ConditionError(Exception):
    """A condition cannot be compiled; ``offset`` is the 0-based column inside the expression."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


Value = object
Interp = Callable[[Mapping[str, object]], object]
_NO_BUILTINS: dict[str, object] = {"__builtins__": {}}


class Condition(NamedTuple):
    """A compiled condition. ``evaluate`` returns True, False, or None when it cannot be decided."""

    source: str
    names: frozenset[str]
    code: CodeType
    interp: Interp

    def evaluate(self, values: Mapping[str, object]) -> bool | None:
        """Evaluate against answered values (unanswered questions are simply absent)."""
        if values.keys() >= self.names:
            return bool(eval(self.code, _NO_BUILTINS, values))  # noqa: S307 - whitelisted, compiled tree
        result = self.interp(values)
        return None if result is None else bool(result)


MAX_COMPLETIONS = 256  # answers tried for the unanswered questions of an Implies, at most


class Implies:
    """Whether one condition implies another for this person (``when`` true means ``then`` true), whatever
    the questions not answered yet (or answered 'not sure') turn out to be: True when no answer to them could
    make ``when`` true and ``then`` false, False when the known answers already do, None otherwise.

    The three-valued interpreter cannot see that two unknown conditions move together (``legs and weak``
    and ``weak`` are both unknown with ``legs`` yes and ``weak`` unanswered, yet the second implies the
    first): the unanswered yes/no and choice questions are tried with each of their answers instead (at most
    MAX_COMPLETIONS combinations). Where they cannot be (a number, a multiple choice, a score, too many), the
    three-valued answer stands, which is True only when it holds anyway.
    """

    __slots__ = ("_domains", "_order", "names", "source", "then", "when")

    def __init__(self, when: Condition, then: Condition, names: Mapping[str, NameInfo]) -> None:
        self.when = when
        self.then = then
        self.names = when.names | then.names
        self.source = f"({when.source}) implies ({then.source})"
        self._order = tuple(sorted(self.names))
        domains: dict[str, tuple[object, ...]] = {}
        for name in self._order:
            info = names.get(name)
            if info is not None and info.kind == "bool":
                domains[name] = (True, False)
            elif info is not None and info.kind == "choice" and info.choices:
                domains[name] = info.choices
        self._domains = domains

    def evaluate(self, values: Mapping[str, object]) -> bool | None:
        missing = [name for name in self._order if name not in values]
        if missing:
            size = 1
            for name in missing:
                size *= len(self._domains.get(name, ())) or MAX_COMPLETIONS + 1
            if size > MAX_COMPLETIONS:
                return self._three_valued(values)
            from itertools import product

            env = dict(values)
            seen: set[bool] = set()
            for combo in product(*(self._domains[name] for name in missing)):
                env.update(zip(missing, combo, strict=True))
                seen.add(self._holds(env))
                if len(seen) > 1:
                    return None
            return seen.pop()
        return self._holds(values)

    def _holds(self, values: Mapping[str, object]) -> bool:
        return self.when.evaluate(values) is False or self.then.evaluate(values) is True

    def _three_valued(self, values: Mapping[str, object]) -> bool | None:
        first, second = self.when.evaluate(values), self.then.evaluate(values)
        if first is False or second is True:
            return True
        if first is True and second is False:
            return False
        return None


# --- type checking -------------------------------------------------------------------------------------

# Static types of sub-expressions.
_BOOL = "bool"
_NUM = "num"
_STR = "str"  # a text literal
# ("choice", qid) for a single-choice answer, ("multi", qid) for a multi-choice answer,
# ("seq", elem) for a literal list/tuple.
StaticType = str | tuple[str, str]

_TYPE_WORDS = {
    _BOOL: N_("a yes/no value"),
    _NUM: N_("a number"),
    _STR: N_("a text value"),
}
_A_LIST = ("a list of a ", "a list of ")  # English grammar of the fallback below (other languages: none)
_LIST_WORDS = {
    _BOOL: N_("a list of yes/no values"),
    _NUM: N_("a list of numbers"),
    _STR: N_("a list of text values"),
}


def _describe(t: StaticType) -> str:
    if isinstance(t, tuple):
        tag, detail = t
        if tag == "choice":
            return _("a choice question ('{detail}')").format(detail=detail)
        if tag == "multi":
            return _("a multiple-choice question ('{detail}')").format(detail=detail)
        if isinstance(detail, str) and detail in _LIST_WORDS:
            return _(_LIST_WORDS[detail])
        return _("a list of {what}s").format(what=_describe(detail)).replace(*_A_LIST)
    return _(_TYPE_WORDS[t])


def _suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    # difflib's first test (real_quick_ratio) passes no option whose length is too far from the word's: a
    # word far longer than every option (a 16 MB cell) has no suggestion, known before difflib indexes
    # each of its characters (hundreds of MB for a 16 MB cell). The same test, so the same answer.
    n = len(word)
    if not any(n + len(o) == 0 or 2.0 * min(n, len(o)) / (n + len(o)) >= 0.6 for o in options):
        return ""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    if not close:
        return ""
    from stm_screen.i18n import _

    return " " + _("(did you mean '{word}'?)").format(word=close[0])


class _Checker:
    def __init__(self, names: Mapping[str, NameInfo]) -> None:
        self.names = names
        self.used: set[str] = set()

    def fail(self, node: ast.AST, message: str) -> ConditionError:
        return ConditionError(message, getattr(node, "col_offset", 0))

    def check(self, node: ast.expr) -> StaticType:  # noqa: C901 - one branch per allowed node type
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self.want_bool(value, "and/or")
            return _BOOL
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                self.want_bool(node.operand, "not")
                return _BOOL
            if isinstance(node.op, ast.USub | ast.UAdd):
                if self.check(node.operand) != _NUM:
                    raise self.fail(node, _("a minus sign can only stand before a number"))
                return _NUM
            raise self.fail(node, _("the operator '{name}' is not allowed").format(name="~"))  # (the one unary operator left)
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
                raise self.fail(node, _("only +, -, * and / are allowed for arithmetic"))
            if isinstance(node.op, ast.Mult) and _literal(node.left) is None and _literal(node.right) is None:
                raise self.fail(node, _("* needs a number written out on one side, like 'age_years * 12'"))
            if isinstance(node.op, ast.Div):
                divisor = _literal(node.right)
                if divisor is None:
                    raise self.fail(node.right, _("/ must divide by a number written out, like 'x / 12'"))
                if divisor == 0:
                    raise self.fail(node.right, _("/ by zero is not allowed"))
            for side in (node.left, node.right):
                t = self.check(side)
                if t != _NUM:
                    raise self.fail(side, _("+, -, * and / work on numbers, but this is {describe}").format(describe=_describe(t)))
            return _NUM
        if isinstance(node, ast.Compare):
            left_node: ast.expr = node.left
            left = self.check(left_node)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                if isinstance(right_node, ast.Tuple | ast.List) and isinstance(op, ast.In | ast.NotIn):
                    right: StaticType = self.sequence(right_node)
                else:
                    right = self.check(right_node)
                self.check_compare(op, left_node, left, right_node, right)
                left_node, left = right_node, right
            return _BOOL
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Tuple | ast.List):
            raise self.fail(node, _("a list of values can only stand on the right of 'in'"))
        raise self.fail(node, _("{node_word} is not allowed in a condition").format(node_word=_node_word(node)))

    def want_bool(self, node: ast.expr, where: str) -> None:
        t = self.check(node)
        if t != _BOOL:
            hint = ""
            if isinstance(node, ast.Name):
                hint = _("; compare it, for example '{node_id} >= 1'").format(node_id=node.id) if t == _NUM else ""
            raise self.fail(node, _("'{where}' needs a yes/no value, but this is {describe}{hint}").format(where=where, describe=_describe(t), hint=hint))

    def name(self, node: ast.Name) -> StaticType:
        ident = node.id
        if ident.startswith("_"):
            raise self.fail(node, _("names starting with '_' are not allowed ('{ident}')").format(ident=ident))
        info = self.names.get(ident)
        if info is None:
            raise self.fail(node, _("unknown question '{ident}'{suggest}").format(ident=ident, suggest=_suggest(ident, sorted(self.names))))
        self.used.add(ident)
        if info.kind == "bool":
            return _BOOL
        if info.kind == "num":
            return _NUM
        return (info.kind, ident)

    def constant(self, node: ast.Constant) -> StaticType:
        value = node.value
        if isinstance(value, bool):
            return _BOOL
        if isinstance(value, int | float):
            if not abs(value) <= MAX_NUMBER:  # also refuses nan
                raise self.fail(node, _("the number is too large (at most {max_number:g})").format(max_number=MAX_NUMBER))
            return _NUM
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise self.fail(node, _("text values may be at most {max_string} characters").format(max_string=MAX_STRING))
            return _STR
        if value is None:
            what = "None"
        elif value is Ellipsis:
            what = "'...'"
        elif isinstance(value, bytes):
            what = _("a byte string (b'...')")
        elif isinstance(value, complex):
            what = _("an imaginary number ({value})").format(value=ast.unparse(node))
        else:  # no other constant Python parses  # pragma: no cover
            what = _("this value")
        raise self.fail(node, _("{what} is not a value conditions know; they compare answers with numbers and with texts in quotes").format(what=what))

    def sequence(self, node: ast.Tuple | ast.List) -> StaticType:
        if not node.elts:
            raise self.fail(node, _("the list after 'in' is empty"))
        kinds = set()
        for elt in node.elts:
            if not isinstance(elt, ast.Constant) and not (
                isinstance(elt, ast.UnaryOp)
                and isinstance(elt.op, ast.USub)
                and isinstance(elt.operand, ast.Constant)
            ):
                raise self.fail(elt, _("the list after 'in' may hold only fixed values"))
            kinds.add(self.check(elt))
        if len(kinds) != 1:
            raise self.fail(node, _("the list after 'in' mixes values of different types"))
        return ("seq", str(kinds.pop()))

    def choice_literal(self, node: ast.expr, qid: str) -> None:
        assert isinstance(node, ast.Constant)
        choices = self.names[qid].choices
        if node.value not in choices:
            raise self.fail(
                node,
                _("'{node_value!s}' is not a choice of '{qid}'{suggest}; choices: {join}").format(node_value=node.value, qid=qid, suggest=_suggest(str(node.value), choices), join=', '.join(choices)),
            )

    def check_compare(
        self, op: ast.cmpop, ln: ast.expr, lt: StaticType, rn: ast.expr, rt: StaticType
    ) -> None:
        if isinstance(op, ast.In | ast.NotIn):
            if isinstance(rn, ast.Tuple | ast.List):
                rt = self.sequence(rn)
                elem = rt[1]
                if isinstance(lt, tuple) and lt[0] == "choice" and elem == _STR:
                    for elt in rn.elts:
                        self.choice_literal(elt, lt[1])
                    return
                if lt == elem and lt in (_NUM, _STR):
                    return
                raise self.fail(rn, _("cannot look for {describe} in {describe_b}").format(describe=_describe(lt), describe_b=_describe(rt)))
            if isinstance(rt, tuple) and rt[0] == "multi":
                if lt == _STR:
                    self.choice_literal(ln, rt[1])
                    return
                raise self.fail(ln, _("only a choice id in quotes can be looked for in '{rt}'").format(rt=rt[1]))
            raise self.fail(
                rn, _("'in' needs a multiple-choice question or a list, but this is {describe}").format(describe=_describe(rt))
            )
        if isinstance(op, ast.Is | ast.IsNot):
            raise self.fail(ln, _("'is' is not allowed; use == or !="))
        ordering = isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE)
        if ordering:
            if lt == _NUM and rt == _NUM:
                return
            bad, bad_t = (ln, lt) if lt != _NUM else (rn, rt)
            raise self.fail(bad, _("<, <=, > and >= compare numbers, but this is {describe}").format(describe=_describe(bad_t)))
        # == and !=
        if lt == rt and lt in (_NUM, _BOOL):
            return
        for at, b, bt in ((lt, rn, rt), (rt, ln, lt)):
            if isinstance(at, tuple) and at[0] == "choice" and bt == _STR:
                self.choice_literal(b, at[1])
                return
        if isinstance(lt, tuple) and isinstance(rt, tuple) and lt[0] == rt[0] == "choice":
            return
        raise self.fail(rn, _("cannot compare {describe} with {describe_b}").format(describe=_describe(lt), describe_b=_describe(rt)))


def _literal(node: ast.expr) -> float | None:
    """The value of a number written out (``12``, ``-1.5``), else None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if not isinstance(node.value, bool):
            return sign * float(node.value)
    return None


def _node_word(node: ast.AST) -> str:
    words = {
        ast.Call: _("calling a function"),
        ast.Attribute: _("an attribute (a.b)"),
        ast.Subscript: _("indexing (a[b])"),
        ast.Lambda: _("a lambda"),
        ast.IfExp: "'x if y else z'",
        ast.NamedExpr: "':='",
        ast.ListComp: _("a comprehension"),
        ast.SetComp: _("a comprehension"),
        ast.DictComp: _("a comprehension"),
        ast.GeneratorExp: _("a comprehension"),
        ast.Dict: _("a mapping"),
        ast.Set: _("a set"),
        ast.JoinedStr: _("an f-string"),
        ast.Starred: "'*'",
        ast.Await: "'await'",
        ast.Yield: "'yield'",
        ast.YieldFrom: "'yield'",
        ast.Slice: _("a slice"),
    }
    symbols = {
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.Pow: "**",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.MatMult: "@",
        ast.Invert: "~",
        ast.Is: "is",
        ast.IsNot: "is not",
    }
    if type(node) in symbols:
        return _("the operator '{symbols}'").format(symbols=symbols[type(node)])
    return words.get(type(node)) or _("this kind of expression")


# --- three-valued interpreter (used only when a referenced question is unanswered) ------------------------

_OPS: dict[type[ast.cmpop], Callable[[object, object], bool]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,  # type: ignore[operator]
    ast.LtE: lambda a, b: a <= b,  # type: ignore[operator]
    ast.Gt: lambda a, b: a > b,  # type: ignore[operator]
    ast.GtE: lambda a, b: a >= b,  # type: ignore[operator]
    ast.In: lambda a, b: a in b,  # type: ignore[operator]
    ast.NotIn: lambda a, b: a not in b,  # type: ignore[operator]
}


_ARITH: dict[type[ast.operator], Callable[[object, object], object]] = {
    ast.Add: lambda a, b: a + b,  # type: ignore[operator]
    ast.Sub: lambda a, b: a - b,  # type: ignore[operator]
    ast.Mult: lambda a, b: a * b,  # type: ignore[operator]
    ast.Div: lambda a, b: a / b,  # type: ignore[operator]
}


def _interp(node: ast.expr) -> Interp:  # noqa: C901 - one branch per allowed node type
    if isinstance(node, ast.BoolOp):
        parts = [_interp(v) for v in node.values]
        if isinstance(node.op, ast.And):

            def and_(env: Mapping[str, object]) -> object:
                unknown = False
                for part in parts:
                    v = part(env)
                    if v is None:
                        unknown = True
                    elif not v:
                        return False
                return None if unknown else True

            return and_

        def or_(env: Mapping[str, object]) -> object:
            unknown = False
            for part in parts:
                v = part(env)
                if v is None:
                    unknown = True
                elif v:
                    return True
            return None if unknown else False

        return or_
    if isinstance(node, ast.UnaryOp):
        inner = _interp(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda env: None if (v := inner(env)) is None else not v
        sign = -1 if isinstance(node.op, ast.USub) else 1
        return lambda env: None if (v := inner(env)) is None else sign * v  # type: ignore[operator]
    if isinstance(node, ast.BinOp):
        left, right = _interp(node.left), _interp(node.right)
        op = _ARITH[type(node.op)]

        def arith(env: Mapping[str, object]) -> object:
            a, b = left(env), right(env)
            if a is None or b is None:
                return None
            return op(a, b)

        return arith
    if isinstance(node, ast.Compare):
        operands = [_interp(node.left), *(_interp(c) for c in node.comparators)]
        ops = [_OPS[type(op)] for op in node.ops]

        def compare(env: Mapping[str, object]) -> object:
            values = [o(env) for o in operands]
            unknown = False
            for i, op in enumerate(ops):
                a, b = values[i], values[i + 1]
                if a is None or b is None:
                    unknown = True
                elif not op(a, b):
                    return False
            return None if unknown else True

        return compare
    if isinstance(node, ast.Name):
        ident = node.id
        return lambda env: env.get(ident)
    if isinstance(node, ast.Constant):
        const = node.value
        return lambda env: const
    if isinstance(node, ast.Tuple | ast.List):
        items = tuple(_interp(e) for e in node.elts)
        fixed = tuple(i({}) for i in items)
        return lambda env: fixed
    raise AssertionError(type(node).__name__)  # a node the checker let through but cannot run  # pragma: no cover


class _Freeze(ast.NodeTransformer):
    """Turn list literals into tuples so the compiled code builds no list at run time; numbers in
    * and / become floats."""

    def visit_List(self, node: ast.List) -> ast.Tuple:
        return ast.copy_location(ast.Tuple(elts=[self.visit(e) for e in node.elts], ctx=ast.Load()), node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.BinOp:
        """Numbers in * and / are floats, so arithmetic on answers can overflow only to infinity,
        never raise (a huge whole number divided would raise OverflowError)."""
        self.generic_visit(node)
        if isinstance(node.op, ast.Mult | ast.Div):
            for side in ("left", "right"):
                value = getattr(node, side)
                if isinstance(value, ast.Constant) and type(value.value) is int:
                    setattr(node, side, ast.copy_location(ast.Constant(float(value.value)), value))
        return node


_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Tuple,
    ast.List,
)


def compile_condition(text: object, names: Mapping[str, NameInfo]) -> Condition:
    """Check and compile one condition; raise :class:`ConditionError` if it is not allowed."""
    if isinstance(text, bool):
        text = "True" if text else "False"
    if not isinstance(text, str):
        from stm_screen.errors import value_words

        raise ConditionError(_("a condition must be text, not {name}").format(name=value_words(text)))
    source = text.strip()
    if not source:
        raise ConditionError(_("the condition is empty"))
    if len(source) > MAX_LENGTH:
        raise ConditionError(_("the condition is too long ({count} characters; at most {max_length})").format(count=len(source), max_length=MAX_LENGTH))
    if "\x00" in source:
        raise ConditionError(_("the condition contains a NUL character"))
    _check_tokens(source)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        offset = max((exc.offset or 1) - 1, 0)
        raise ConditionError(_("not a valid condition: {exc_msg}").format(exc_msg=exc.msg), offset) from None
    except (RecursionError, MemoryError, ValueError):
        raise ConditionError(_("the condition is nested too deeply")) from None
    count = 0
    for node in ast.walk(tree):
        count += 1
        if count > MAX_NODES:
            raise ConditionError(_("the condition is too complex (more than {max_nodes} parts)").format(max_nodes=MAX_NODES))
        if not isinstance(node, _ALLOWED):
            raise ConditionError(
                _("{node_word} is not allowed in a condition").format(node_word=_node_word(node)), getattr(node, "col_offset", 0)
            )
    checker = _Checker(names)
    result_type = checker.check(tree.body)
    if result_type != _BOOL:
        raise ConditionError(_("a condition must be true or false, but this is {describe}").format(describe=_describe(result_type)))
    frozen = _Freeze().visit(tree)
    ast.fix_missing_locations(frozen)
    code = compile(frozen, "<condition>", "eval")
    return Condition(source, frozenset(checker.used), code, _interp(frozen.body))


def compile_part(node: ast.expr, text: str, names: frozenset[str]) -> Condition:
    """A part of a condition already checked and compiled by :func:`compile_condition` (its parse tree
    ``node``, written ``text``, naming ``names``), compiled alone without checking it again."""
    import copy

    frozen = _Freeze().visit(ast.Expression(body=copy.deepcopy(node)))
    ast.fix_missing_locations(frozen)
    return Condition(text, names, compile(frozen, "<condition>", "eval"), _interp(frozen.body))


def _check_tokens(source: str) -> None:
    """What the parser would quietly change: a '#' (everything after it would be dropped as a comment)
    and names written with look-alike characters that Unicode normalisation folds (``ｍonths`` is read
    as ``months``)."""
    import io
    import tokenize
    import unicodedata

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return  # the parser reports it, with its position
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            raise ConditionError(
                _("a '#' in a condition: conditions have no comments, and everything after it would be "
                "dropped; remove it (a comment goes on its own line in the rules file)"),
                tok.start[1],
            )
        if tok.type == tokenize.NAME and not tok.string.isascii():
            folded = unicodedata.normalize("NFKC", tok.string)
            reads = _(" (it would be read as '{folded}')").format(folded=folded) if folded != tok.string else ""
            raise ConditionError(
                _("'{tok_string}' is written with characters other than plain letters, digits and _{reads}; type the id in plain letters").format(tok_string=tok.string, reads=reads),
                tok.start[1],
            )


def suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` for the closest option, or an empty string."""
    return _suggest(word, options)
