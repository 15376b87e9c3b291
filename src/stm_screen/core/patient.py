"""Patient references: a record number or code, never a name. One rule for every command."""

import re

from stm_screen.errors import UsageError
from stm_screen.i18n import N_, _

# Letters, digits and . _ - : / #, starting with a letter or digit, at least one digit, no spaces.
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$")

PATIENT_RULE = N_(
    "a patient reference is a record number or code (letters, digits and . _ - : / #, at least one digit, "
    "no spaces, at most 64 characters), never a name"
)  # said in the tool's language where shown: _(PATIENT_RULE)


def is_patient_ref(text: str) -> bool:
    text = text.strip()
    return bool(_REF.fullmatch(text)) and any(ch.isdigit() for ch in text)


def check_patient_ref(ref: str) -> str:
    """The reference, stripped; a name-like or malformed value is refused without repeating it."""
    if not is_patient_ref(ref):
        raise UsageError(_("--patient: not accepted; {rule}").format(rule=_(PATIENT_RULE)))
    return ref.strip()
