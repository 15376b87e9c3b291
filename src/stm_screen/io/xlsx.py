"""Workbooks out: sheets of rows written with openpyxl (imported only when a workbook is written)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any


def workbook_bytes(sheets: Mapping[str, Sequence[Sequence[Any]]]) -> bytes:
    """An .xlsx file holding these sheets, in order; every cell is written as text or a number, never as a
    formula (a cell starting with '=' is stored as a string). A text a workbook cannot hold (a control
    character; rules files are refused such text when they are read) stops with a message naming the
    cell, never an internal error."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING  # type: ignore[import-untyped]

    from stm_screen.errors import UsageError
    from stm_screen.i18n import L_

    book = Workbook()
    first = True
    for name, rows in sheets.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = name
        first = False
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value == "" or value is None:
                    continue
                bad = ILLEGAL_CHARACTERS_RE.search(value) if isinstance(value, str) else None
                if bad is not None:
                    raise UsageError(
                        L_("sheet {sheet}, row {row}, column {col}: the text holds a control character "
                            "(U+{code:04X}) that a workbook cannot hold; remove it from the rules", sheet=name, row=r, col=c, code=ord(bad.group()))
                    )
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = TYPE_STRING  # never a formula
        if rows:
            sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
