"""Messages that tell the truth (issue 10, point 5): found by a hostile-input review."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = str(ROOT / "docs" / "examples" / "answers.yaml")
runner = CliRunner()


@pytest.mark.parametrize("where", ["/dev/zero", "folder"])
def test_a_module_that_is_not_a_file_is_not_called_missing(tmp_path: Path, where: str) -> None:
    path = "/dev/zero" if where == "/dev/zero" else str(tmp_path)
    if where == "/dev/zero" and not Path(path).exists():
        pytest.skip("no /dev/zero here")
    r = runner.invoke(app, ["score", ANSWERS, "--with", path])
    assert r.exit_code == 2, r.output
    assert f"{path}: is not a regular file (a folder or a device)" in r.output
    assert "no such file" not in r.output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_an_output_in_a_folder_that_takes_no_files_is_not_called_missing(tmp_path: Path) -> None:
    r = runner.invoke(app, ["batch", str(ROOT / "tests" / "data" / "batch" / "plain_ids.csv"), "-o", "/proc/version"])
    assert r.exit_code != 0
    assert "does not exist" not in r.output and "/proc/version: cannot write" in r.output
