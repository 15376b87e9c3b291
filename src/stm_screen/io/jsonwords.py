"""Python's JSON error messages said in plain words, in every JSON input (answers files, batch JSON, JSON
Lines and FHIR).

Python's messages are written to be followed by a position ("Unterminated string starting at", "Invalid
control character at") and name its own terms ("Expecting property name enclosed in double quotes"): a
person reads what is wrong instead, with the line and column said by the message around it.
"""

from __future__ import annotations

from stm_screen.i18n import L_, N_, Text

# (the start of Python's message, ours); the first that matches is said. Longer starts before shorter ones
# that they begin with ("Invalid \\uXXXX escape" before "Invalid \\escape" would not matter, but it reads so).
_JSON_WORDS = (
    ("Invalid control character", N_("a control character (such as a tab or line break) inside a text; write it as \\t or \\n")),
    ("Unterminated string", N_("a text that is never closed (a '\"' is missing)")),
    ("Invalid \\uXXXX escape", N_("a \\u escape that is not followed by four hexadecimal digits")),
    ("Invalid \\escape", N_("a backslash that starts no escape JSON knows (write \\\\ for a backslash itself)")),
    ("Expecting ',' delimiter", N_("a comma or bracket is missing")),
    ("Expecting ':' delimiter", N_("a ':' is missing after a key")),
    ("Expecting property name", N_("a key in double quotes is expected (a comma before '}', or a key in single quotes?)")),
    ("Illegal trailing comma", N_("a comma before a closing bracket")),
    ("Expecting value", N_("a value is missing, or is not written as JSON (texts go in double quotes; true, false and null in lower case)")),
    ("Extra data", N_("more data after the end of the JSON value")),
    ("Unexpected UTF-8 BOM", N_("a byte-order mark (BOM) where none may be")),
)


def json_words(message: str) -> Text:
    """Python's message (a ``JSONDecodeError``'s ``msg``) as a phrase a person reads; one Python may
    write in the future and this does not know is said as "not well-formed", never half a sentence."""
    for start, words in _JSON_WORDS:
        if message.startswith(start):
            return L_(words)
    return L_("the text is not well-formed JSON here")
