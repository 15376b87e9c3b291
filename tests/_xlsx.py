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


def write_workbook(path: Path, rows: list[list[str]], shared: bool) -> Path:
    """A workbook of text cells written by hand (a spreadsheet would refuse a cell over 32,767 characters,
    and openpyxl cuts one): every text shared (``shared``) or written inline; an empty text is no cell."""
    from xml.sax.saxutils import escape

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"

    def column(n: int) -> str:
        letters = ""
        n += 1
        while n:
            n, r = divmod(n - 1, 26)
            letters = chr(65 + r) + letters
        return letters

    texts: dict[str, int] = {}
    xml = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row):
            if not value:
                continue
            if shared:
                cells.append(f'<c r="{column(c)}{r}" t="s"><v>{texts.setdefault(value, len(texts))}</v></c>')
            else:
                cells.append(f'<c r="{column(c)}{r}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        xml.append(f'<row r="{r}">{"".join(cells)}</row>')
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    parts = {
        "[Content_Types].xml": head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kind}.worksheet+xml"/>'
        + (f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}.sharedStrings+xml"/>' if shared else "")
        + "</Types>",
        "_rels/.rels": head + f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
        f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": head + f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": head + f'<Relationships xmlns="{pkg}">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        + (f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>' if shared else "")
        + "</Relationships>",
        SHEET: head + f'<worksheet xmlns="{main}"><sheetData>{"".join(xml)}</sheetData></worksheet>',
    }
    if shared:
        items = "".join(f'<si><t xml:space="preserve">{escape(t)}</t></si>' for t in texts)
        parts["xl/sharedStrings.xml"] = head + f'<sst xmlns="{main}" count="{len(texts)}" uniqueCount="{len(texts)}">{items}</sst>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path
