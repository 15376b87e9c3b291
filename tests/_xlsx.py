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
