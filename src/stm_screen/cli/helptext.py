"""Help that reads as words: argument names without braces or Python types in ``--help``.

Typer shows a required argument as ``{answers}`` in the usage line and adds its Python type
(``<str>``, ``<list[str]>``) after its name; people read ``ANSWERS`` and ``INPUT...``. The two display
methods of Typer's argument class are replaced once, at import, when they exist (a Typer without them
already prints plain names). Typer's few gettext calls ("default: ...", "required", "Aborted!") are pointed at
the tool's catalogue (the rest of Typer's words: ``cli.typer_words``).
"""

from __future__ import annotations

from typing import Any


def _usage_name(self: Any) -> str:
    name = str(self.display_name_raw)
    if not self.required:
        name = f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


def _no_type(self: Any, ctx: Any) -> None:
    return None


def tidy() -> None:
    from typer import core

    from stm_screen.i18n import _

    if hasattr(core, "_"):  # Typer's own gettext calls ("default: ...", "required"): the tool's catalogue
        core._ = _

    argument = getattr(core, "TyperArgument", None)
    if argument is None:  # pragma: no cover - another Typer
        return
    if hasattr(argument, "_usage_display_name"):
        argument._usage_display_name = _usage_name
    if hasattr(argument, "display_type_rich"):
        argument.display_type_rich = _no_type
