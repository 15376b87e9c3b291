"""``--suggest-map`` on a header of thousands of columns (issue 10: 9,999 columns took 4.2 s): each question
is compared with the headers through targets made once per ruleset, each column is matched exactly once,
and the id column is looked up once per name. The suggestions must be those the same headers get alone."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from stm_screen.batch import suggest
from stm_screen.batch.suggest import match_header
from stm_screen.screening import load_rules
from tests.batch_helpers import invoke
from tests.test_suggest_corpus import CORPUS

MINIMAL = Path(__file__).resolve().parent / "data" / "minimal.yaml"
STARTBACK = Path(__file__).resolve().parent / "data" / "startback.yaml"


def _mapping(folder: Path, headers: list[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    folder.mkdir()
    with (folder / "clinic.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([headers, ["1"] * len(headers)])
    monkeypatch.chdir(folder)  # the file is named alike in both mappings
    r = invoke("clinic.csv", "--suggest-map")
    assert r.exit_code == 0, r.output
    return r.stdout.splitlines()


def test_a_wide_header_gets_the_suggestions_its_headers_get_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The corpus's headers (guesses, safety headers left for a person), an id column named as a person
    names it and one the preset knows, a question's id given twice: alone, then spread over the first 250
    columns of a 9,999-column header whose other columns title nothing. Every line but those listing the
    extra columns is the same."""
    headers = ["MRN", *CORPUS, "Comments", "pain_intensity", "pain_intensity", "Timestamp"]
    alone = _mapping(tmp_path / "alone", [*headers, "id"], monkeypatch)
    rng = random.Random(4)
    wide = [f"column {i}" for i in range(9_999 - len(headers) - 1)]
    for header, at in zip(headers, sorted(rng.sample(range(250), len(headers))), strict=True):
        wide.insert(at, header)
    wide.insert(9_000, "id")
    assert len(wide) == 9_999
    spread = _mapping(tmp_path / "wide", wide, monkeypatch)
    assert any("guess" in line for line in alone) and "id_column: \"id\"" in alone
    assert [line for line in spread if not line.startswith('  # "column ')] == alone


def test_the_targets_of_one_ruleset_never_serve_another() -> None:
    """Matches asked of three rulesets in turn are those each gives with nothing made before."""
    rulesets = [load_rules(), load_rules(str(MINIMAL)), load_rules(str(STARTBACK))]
    headers = [*CORPUS, "Pian score", "months of pain", "stiff?", "Bothersomeness", "fever"]

    def ids(found: tuple[object, float] | None) -> tuple[str, float] | None:
        return None if found is None else (getattr(found[0], "id", ""), found[1])

    mixed = {(k, h): ids(match_header(h, rs)) for h in headers for k, rs in enumerate(rulesets)}
    for k, rs in enumerate(rulesets):
        suggest._TARGETS.clear()
        assert {h: ids(match_header(h, rs)) for h in headers} == {h: mixed[k, h] for h in headers}
    assert len({tuple(mixed[k, h] for h in headers) for k in range(3)}) == 3  # three different answers
