"""Typer commands of the interactive questionnaire (``stm-screen screen``). Light: no heavy imports here."""

from __future__ import annotations

import typer

from stm_screen.cli.errors import fail


def register(app: typer.Typer) -> None:
    """Add the questionnaire's commands to the app."""


def start_default() -> None:
    """``stm-screen`` with no command: start the screening."""
    fail("the interactive questionnaire is not available yet; use 'stm-screen score FILE'")
