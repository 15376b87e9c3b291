from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

# Property tests draw the same examples on every run (the suite is the landing gate: a run must not fail on
# an example no run before it drew); STM_HYPOTHESIS_RANDOM=1 draws new ones, to look for new failures, and
# each one found is kept as an @example. The database of failing examples is not written into the checkout.
settings.register_profile("gate", derandomize=True, database=None, print_blob=True)
settings.register_profile("search", derandomize=False, database=None, print_blob=True)
settings.load_profile("search" if os.environ.get("STM_HYPOTHESIS_RANDOM", "") not in ("", "0") else "gate")

# A suite started in the background of a shell without job control (`pytest ... &`) inherits Ctrl-C ignored,
# and so would every command a test starts: the tool keeps a signal ignored on entry (as under nohup), so
# the tests of what Ctrl-C does would fail. The tests' own commands start with Ctrl-C as a terminal gives it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def _rules_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rules-cache")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _rules_cache: Path) -> Path:
    """Every test gets its own data folder; nothing is written to the real user folder (the rules cache,
    stm_screen.rules.cache, is one for the session, outside the tests' own folders)."""
    home = tmp_path / "stm-home"
    monkeypatch.setenv("STM_SCREEN_HOME", str(home))
    monkeypatch.setenv("STM_SCREEN_CACHE", str(_rules_cache))
    monkeypatch.delenv("STM_SCREEN_NO_CACHE", raising=False)
    monkeypatch.delenv("STM_SCREEN_DEBUG", raising=False)
    return home


@pytest.fixture(autouse=True)
def _english_unless_asked(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Tests run in English whatever the machine's locale; a test that chooses a language gets it for
    itself only (the tool's language is process-wide, as it is for one run of the command)."""
    from stm_screen import i18n

    for var in ("STM_SCREEN_LANG", "LC_ALL", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    # English chosen by the locale (so the questionnaire does not offer its language menu), with no
    # country (so results name the default emergency numbers). A test that sets LANG sets LC_MESSAGES too.
    monkeypatch.setenv("LC_MESSAGES", "en")
    i18n.activate(None)
    yield
    i18n.activate(None)


@pytest.fixture(scope="session")
def ruleset():  # type: ignore[no-untyped-def]
    from stm_screen.rules.loader import load_ruleset

    return load_ruleset()

