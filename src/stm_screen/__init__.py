"""stm-screen: a screening aid for whether a physical-therapy evaluation is worth considering.

The library API (see :mod:`stm_screen.api` and docs/pipelines.md)::

    import stm_screen

    rules = stm_screen.load_ruleset()                     # the bundled PT screening, or a name or path
    result = stm_screen.score_answers(rules, answers)     # result.to_dict(): `score --format json`
    scored = stm_screen.score_table(rules, frame)         # pandas/polars DataFrame, pyarrow Table
    for row in stm_screen.score_rows(rules, records): ...

Importing ``stm_screen`` loads nothing else: each name is imported the first time it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

# name -> module it comes from (imported on first use: ``import stm_screen`` stays cheap)
_LAZY = {
    "load_ruleset": "stm_screen.api",
    "score_answers": "stm_screen.api",
    "score_table": "stm_screen.api",
    "score_rows": "stm_screen.api",
    "result_columns": "stm_screen.api",
    "FIELDS": "stm_screen.api",
    "Result": "stm_screen.core.explain",
    "Ruleset": "stm_screen.core.ruleset",
}

__all__ = [
    "FIELDS",
    "Result",
    "Ruleset",
    "__version__",
    "load_ruleset",
    "result_columns",
    "score_answers",
    "score_rows",
    "score_table",
]

if TYPE_CHECKING:
    from stm_screen.api import FIELDS, load_ruleset, result_columns, score_answers, score_rows, score_table
    from stm_screen.core.explain import Result
    from stm_screen.core.ruleset import Ruleset


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'stm_screen' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
