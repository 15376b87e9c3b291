"""Typer commands of the clinic workflow (``history``, ``form``). Light: no heavy imports here."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the clinic commands to the app."""
