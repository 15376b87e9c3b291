"""The time a result is made, in the local time zone. ``SOURCE_DATE_EPOCH`` (the reproducible-builds
convention) fixes it, so that documentation transcripts and tests can show a stable date."""

from __future__ import annotations

import os
from datetime import UTC, datetime


def now() -> datetime:
    """The current time, aware, in the local time zone (or ``SOURCE_DATE_EPOCH`` when it is set)."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if fixed.isdigit():
        import time

        if hasattr(time, "tzset"):  # TZ may have been set with it (tests, transcripts)
            time.tzset()
        return datetime.fromtimestamp(int(fixed), UTC).astimezone()
    return datetime.now().astimezone()
