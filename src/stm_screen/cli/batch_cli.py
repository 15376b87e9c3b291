"""Typer commands of batch scoring (``stm-screen batch``, ``rules diff``). Light: no heavy imports here."""

from __future__ import annotations

import typer


def register(app: typer.Typer, rules_app: typer.Typer) -> None:
    """Add the batch commands to the app."""
