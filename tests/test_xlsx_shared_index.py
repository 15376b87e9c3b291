"""A cell of shared text (``t="s"``) whose value is not a plain number of a text in the workbook's list.

No spreadsheet writes one. calamine read any such value ('+1', ' 1 ', '-1', '1.0', 'abc', '0x1', '1e0') as
the first text of the list, and openpyxl reads '-1' as the last: a 'yes' to a warning-sign question became
'no' without a word (issue 10, found by an adversarial review). The workbook is refused in the pass over the
sheet made before any record is scored, with the cell and what it holds named: exit 1, nothing written with
``-o``, in one process, in slices read by helpers, and in a sheet scored in parts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stm_screen.batch import readers
from stm_screen.cli.app import app
from tests._xlsx import SHEET, edit_parts
from tests.test_xlsx_parts import workbook

cli = CliRunner()
ODD = ["+1", " 1 ", "-1", "1.0", "abc", "0x1", "1e0", "", "1 2", "12345678901"]


def _shared(path: Path) -> Path:
    """The workbook with its texts in a shared list (``t="s"`` cells), as Excel and most exports save them
    (openpyxl's write-only mode writes them inline)."""

    def change(parts: dict[str, bytes]) -> None:
        texts: dict[bytes, int] = {}

        def to_shared(m: re.Match[bytes]) -> bytes:
            index = texts.setdefault(m.group(2), len(texts))
            return m.group(1) + b' t="s"><v>' + str(index).encode() + b"</v></c>"

        parts[SHEET] = re.sub(rb'(<c r="[A-Z]+\d+") t="inlineStr"><is><t>([^<]*)</t></is></c>', to_shared, parts[SHEET])
        ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        parts["xl/sharedStrings.xml"] = (
            b"<sst " + ns + b">" + b"".join(b"<si><t>" + t + b"</t></si>" for t in texts) + b"</sst>"
        )
        kind = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + kind + b'"/></Types>'
        )
        rel = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", b'<Relationship Id="rIdS" Type="' + rel + b'" Target="sharedStrings.xml"/></Relationships>'
        )

    return edit_parts(path, change)


def _edited(tmp_path: Path, value: str, row: int = 350, n: int = 400) -> Path:
    """A workbook of ``n`` random records, texts shared, whose first shared-text cell in ``row`` holds
    ``value``."""
    path = _shared(workbook(tmp_path / "odd.xlsx", n))

    def change(parts: dict[str, bytes]) -> None:
        edit = rf'(<row r="{row}">.*?t="s"><v>)\d+(</v>)'.encode()
        replacement = rb"\g<1>" + value.encode().replace(b"\\", b"\\\\") + rb"\g<2>"
        changed = re.sub(edit, replacement, parts[SHEET], count=1)
        assert changed != parts[SHEET] or value.isdigit()
        parts[SHEET] = changed

    return edit_parts(path, change)


def _cell(path: Path, row: int) -> str:
    import zipfile

    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    found = re.search(rf'<row r="{row}">.*?<c r="([A-Z]+{row})" t="s">'.encode(), sheet)
    assert found is not None
    return found.group(1).decode()


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_odd_shared_text_number_refuses_the_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, jobs: str
) -> None:
    monkeypatch.setattr(readers, "SLICE_BYTES", 8192)  # many slices: the cell is in a late one
    path = _edited(tmp_path, value)
    out = tmp_path / "out.csv"
    result = cli.invoke(app, ["batch", str(path), "--jobs", jobs, "-o", str(out), "--allow-missing"])
    assert result.exit_code == 1, result.output
    assert f"the cell {_cell(path, 350)} should give the number of a text" in result.output
    assert f"but holds '{value}'" in result.output
    assert not out.exists()
    assert "Traceback" not in result.output


def test_on_standard_output_nothing_is_scored_before_the_refusal(tmp_path: Path) -> None:
    """The check is made before any record is scored: no row is printed, even for a cell in the last row."""
    path = _edited(tmp_path, "-1", row=400)
    result = cli.invoke(app, ["batch", str(path), "--allow-missing"])
    assert result.exit_code == 1
    assert result.stdout == ""


def test_plain_numbers_are_read_as_before(tmp_path: Path) -> None:
    path = _edited(tmp_path, "0")
    result = cli.invoke(app, ["batch", str(path), "--allow-missing"])
    assert result.exit_code in (0, 1), result.output
    assert "should give the number of a text" not in result.output
    assert len(result.stdout.splitlines()) == 1 + 400  # the header, and one row per record


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(alphabet="0123456789+-. eEx", min_size=0, max_size=6))
def test_any_value_but_a_plain_number_is_refused(tmp_path_factory: pytest.TempPathFactory, value: str) -> None:
    tmp = tmp_path_factory.mktemp("odd")
    path = _edited(tmp, value, row=20, n=30)
    result = cli.invoke(app, ["batch", str(path), "--allow-missing"])
    plain = re.fullmatch(r"[0-9]{1,10}", value) is not None
    assert ("should give the number of a text" in result.output) is not plain, (value, result.output)


@pytest.mark.parametrize(
    ("written", "refused"),
    [
        ('<c r="H4" t="s"><v xml:space="preserve">+1</v></c>', True),  # an attribute on <v>
        ('<c r="H4" t="s"><f>"yes"</f><v>+1</v></c>', True),  # a formula before the value
        ('<c r="H4" t="s"><f t="shared" si="0"/><v>-1</v></c>', True),
        ("<c r='H4' t='s'><v>+1</v></c>", True),  # single quotes
        ('<c r="H4" t = "s"><v>+1</v></c>', True),  # spaces around '='
        ('<c t="s" r="H4"><v>1.0</v></c>', True),  # t before r
        ('<c r="H4" t="s"><v>1</v ></c>', False),  # a space in the closing tag: still the number 1
        ('<c r="H4" t="s"><v>1</v></c>', False),
        ('<c r="H4" t="s" s="2"><v>1</v></c>', False),
    ],
)
def test_every_spelling_of_a_cell_of_shared_text_is_checked(written: str, refused: bool) -> None:
    """The check finds an odd value however the cell is written (a reviewer's cases: an attribute on <v>, a
    formula before it), and takes a plain number for one whatever surrounds it."""
    body = ('<row r="4"><c r="A4" t="s"><v>0</v></c>' + written + "</row>").encode()
    found = readers._odd_shared(body)
    assert (found is not None) is refused, written
