"""Where a command's document goes: standard output, or a file written atomically."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from stm_screen.errors import InputFileError, os_reason
from stm_screen.i18n import L_


@contextlib.contextmanager
def open_output(
    output: Path | None, *, mode: int | None = None, newline: str | None = None, force: bool = True
) -> Iterator[IO[str]]:
    """Standard output, or a temp file renamed over ``output`` only if everything was written."""
    if output is None or str(output) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    from stm_screen.io.atomic import atomic_writer

    try:
        with atomic_writer(output, mode=mode, newline=newline, force=force) as handle:
            yield handle
    except OSError as exc:
        raise InputFileError(L_("{path}: cannot write ({reason})", path=output, reason=os_reason(exc))) from None
