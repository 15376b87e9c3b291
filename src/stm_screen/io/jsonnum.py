"""How a JSON number is read, in every JSON input (answers files, batch JSON, JSON Lines and FHIR)."""

from __future__ import annotations


def json_float(text: str) -> float | str:
    """A JSON number; one beyond a float (``1e400``), or one that a float would round to a whole number it
    is not (``1e-400`` to 0, ``0.99999999999999999999`` to 1: a yes or no), stays as its text, as written:
    it is then read as the same text in a CSV cell is (the batch readers use this too)."""
    value = float(text)
    if value - value != 0:
        return text
    if value.is_integer() and abs(value) < 2**53:  # (past 2**53 every float is whole: only rounded)
        from decimal import Decimal

        if Decimal(text) != Decimal(value):
            return text
    return value
