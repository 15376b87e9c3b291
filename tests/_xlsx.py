"""Workbooks built by rewriting the parts of one openpyxl saved (test helper)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

SHEET = "xl/worksheets/sheet1.xml"


def rewrite(src: Path, out: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """``src`` written again as ``out``, each part through ``change(name, data)``."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        for item in z.infolist():
            w.writestr(item.filename, change(item.filename, z.read(item.filename)))
    return out


def with_rows(sheet: bytes, rows: bytes) -> bytes:
    """A sheet's XML holding exactly these ``<row>`` elements (and no dimension, which would not fit)."""
    sheet = re.sub(rb"<sheetData>.*</sheetData>|<sheetData\s*/>", b"<sheetData>" + rows + b"</sheetData>", sheet, flags=re.S)
    return re.sub(rb"<dimension[^>]*/>", b"", sheet)


def edit_parts(path: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """The workbook at ``path`` written again in place, after ``change`` edits its parts (name -> bytes)."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    change(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def edit_sheet(path: Path, pattern: bytes, replacement: bytes) -> Path:
    """The workbook at ``path`` with the first match of ``pattern`` in its sheet's XML replaced (it must
    match)."""

    def change(parts: dict[str, bytes]) -> None:
        changed = re.sub(pattern, replacement, parts[SHEET], count=1)
        assert changed != parts[SHEET]
        parts[SHEET] = changed

    return edit_parts(path, change)
