from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder; nothing is written to the real user folder."""
    home = tmp_path / "stm-home"
    monkeypatch.setenv("STM_SCREEN_HOME", str(home))
    monkeypatch.delenv("STM_SCREEN_DEBUG", raising=False)
    return home


@pytest.fixture(scope="session")
def ruleset():  # type: ignore[no-untyped-def]
    from stm_screen.rules.loader import load_ruleset

    return load_ruleset()


# Tests written for pt-screen 1.0.1 that are still being ported to 2.0 (issue 9), one node id a line in
# tests/porting-to-2.0.txt. They run and report, marked as expected to fail (not strict), so that they are
# visible in every run; the list is meant to shrink to nothing, never to grow.
_PORTING = Path(__file__).resolve().parent / "porting-to-2.0.txt"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _PORTING.exists():
        return
    listed = {line.strip() for line in _PORTING.read_text(encoding="utf-8").splitlines() if line.strip()}
    listed = {line for line in listed if not line.startswith("#")}
    for item in items:
        if item.nodeid in listed:
            item.add_marker(pytest.mark.xfail(reason="written for pt-screen 1.0.1; being ported", strict=False))
