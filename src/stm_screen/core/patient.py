"""Patient references: a record number or code, never a name. One rule for every command."""

import re

from stm_screen.errors import UsageError

# Letters, digits and . _ - : / #, starting with a letter or digit, at least one digit, no spaces.
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$")

PATIENT_RULE = (
    "a patient reference is a record number or code (letters, digits and . _ - : / #, at least one digit, "
    "no spaces, at most 64 characters), never a name"
)


def is_patient_ref(text: str) -> bool:
    text = text.strip()
    return bool(_REF.match(text)) and any(ch.isdigit() for ch in text)


def check_patient_ref(ref: str) -> str:
    """The reference, stripped; a name-like or malformed value is refused without repeating it."""
    if not is_patient_ref(ref):
        raise UsageError(f"--patient: not accepted; {PATIENT_RULE}")
    return ref.strip()
