"""How a JSON number is read, in every JSON input (answers files, batch JSON, JSON Lines and FHIR)."""

from __future__ import annotations


def json_float(text: str) -> float | str:
    """A JSON number written with a fraction or an exponent. One that is a whole number (``1.0``, ``1e0``,
    ``-0.0``, ``1e-400`` that a float makes 0, ``0.99999999999999999999`` that it makes 1) or beyond a float
    (``1e400``) stays as its text, as written: it is then read as the same text in a CSV cell is, so a yes/no
    answer or a count gets the same verdict in every format and its message quotes what was written. Past
    2**53 every float is whole: a large number is only rounded, and stays a number."""
    value = float(text)
    if value - value != 0:
        return text
    if value.is_integer() and abs(value) < 2**53:  # (0 too: also a float's 0 from a number too small for it)
        return text
    return value
