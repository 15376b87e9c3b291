"""The rules cache (stm_screen.rules.cache): parsed rules files kept as checked JSON, never trusted blindly."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from stm_screen.errors import RulesError
from stm_screen.io import yamlfile
from stm_screen.rules import cache
from stm_screen.rules.loader import bundled_dir, load_ruleset

RULES = bundled_dir() / "pt-screen.yaml"


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STM_SCREEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("STM_SCREEN_NO_CACHE", raising=False)
    return tmp_path / "cache" / "rules"


@pytest.fixture()
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    shutil.copyfile(RULES, path)
    return path


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, name: str) -> None:
        raise AssertionError(f"{name} was parsed again")

    monkeypatch.setattr(yamlfile, "parse", refuse)


def summary(path: Path) -> tuple[object, ...]:
    rs = load_ruleset(str(path))
    return (rs.sha256, rs.title, [q.id for q in rs.questions], [r.id for r in rs.red_flags])


def test_a_second_load_parses_nothing_and_gives_the_same_ruleset(
    folder: Path, rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = summary(rules_file)
    [entry] = entries(folder)
    assert entry.name == cache.key_of(rules_file, rules_file.read_bytes()) + ".json"
    if os.name == "posix":
        assert folder.stat().st_mode & 0o777 == 0o700
        assert entry.stat().st_mode & 0o777 == 0o600
    no_parsing(monkeypatch)
    assert summary(rules_file) == first
    assert first[0] == hashlib.sha256(rules_file.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[: len(blob) // 2],  # torn
        lambda blob: blob.replace(b'"title"', b'"titel"', 1),  # edited without its checksum
        lambda blob: b"not a cache entry\n{}",
        lambda blob: b"",
        lambda blob: blob.split(b"\n", 1)[1],  # no header line
    ],
)
def test_a_damaged_or_tampered_entry_is_ignored_and_written_again(
    folder: Path, rules_file: Path, damage: object
) -> None:
    first = summary(rules_file)
    [entry] = entries(folder)
    good = entry.read_bytes()
    entry.write_bytes(damage(good))  # type: ignore[operator]
    assert summary(rules_file) == first
    assert entry.read_bytes() == good


def test_an_entry_for_another_file_is_not_used(folder: Path, rules_file: Path) -> None:
    """A well-formed entry (its checksum right) copied under another file's key is refused."""
    summary(rules_file)
    [entry] = entries(folder)
    other = rules_file.with_name("other.yaml")
    text = rules_file.read_text(encoding="utf-8").replace("title:", "title: Other\nx_title:", 1)
    other.write_text(text, encoding="utf-8")
    key = cache.key_of(other, other.read_bytes())
    (folder / f"{key}.json").write_bytes(entry.read_bytes())
    assert cache.lookup(folder, key, str(other)) is None


def test_an_entry_is_checked_as_a_rules_file_is(folder: Path, rules_file: Path) -> None:
    """Whatever an entry holds goes through the checks of a rules file: it can hold nothing a file could not."""
    summary(rules_file)
    [entry] = entries(folder)
    body = json.loads(entry.read_bytes().split(b"\n", 1)[1])
    del body["data"]["questions"]
    forged = json.dumps(body).encode()
    entry.write_bytes(b"stm-screen rules cache 1 %s\n" % hashlib.sha256(forged).hexdigest().encode() + forged)
    with pytest.raises(RulesError, match="questions"):
        load_ruleset(str(rules_file))


def test_a_changed_rules_file_is_read_again(folder: Path, rules_file: Path) -> None:
    first = summary(rules_file)
    text = rules_file.read_text(encoding="utf-8")
    rules_file.write_text(text.replace("\ntitle:", "\ntitle: Changed\nold_title:", 1), encoding="utf-8")
    with pytest.raises(RulesError, match="old_title"):  # the new text is read (and checked), not the entry
        load_ruleset(str(rules_file))
    rules_file.write_text(text.replace("Should I", "Shall I", 1), encoding="utf-8")
    second = summary(rules_file)
    assert second[0] != first[0] and second[2] == first[2]
    assert len(entries(folder)) == 3  # one per version of the file (the refused one parsed too)


def test_no_usable_cache_folder_still_loads(tmp_path: Path, rules_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = summary(rules_file)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("STM_SCREEN_CACHE", str(blocker / "cache"))  # cannot be made
    assert summary(rules_file) == expected
    shared = tmp_path / "shared"
    (shared / "rules").mkdir(parents=True)
    os.chmod(shared / "rules", 0o777)  # others may write here: neither read nor written
    monkeypatch.setenv("STM_SCREEN_CACHE", str(shared))
    assert summary(rules_file) == expected
    assert entries(shared / "rules") == []
    monkeypatch.setenv("STM_SCREEN_CACHE", str(tmp_path / "unused"))
    monkeypatch.setenv("STM_SCREEN_NO_CACHE", "1")
    assert summary(rules_file) == expected
    assert not (tmp_path / "unused").exists()


def test_documents_json_cannot_hold_are_not_kept(folder: Path, tmp_path: Path) -> None:
    data, positions = yamlfile.parse("a: 2026-12-06\n1: one\n", "x.yaml")
    cache.store(folder, "k" * 64, "x.yaml", data, positions)
    assert entries(folder) == []
    data, positions = yamlfile.parse("a: [1, 2.5, true, null, text]\n", "x.yaml")
    cache.store(folder, "k" * 64, "x.yaml", data, positions)
    found = cache.lookup(folder, "k" * 64, "x.yaml")
    assert found is not None and found[0] == data and found[1].at == positions.at


def test_an_entry_made_by_other_loading_code_is_not_used(
    folder: Path, rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks a rules file passes can change without a new version number (a development install, a
    patched release): an entry made before a check was added must not let a file the check refuses load.
    The key holds a stamp of the loading code's source files; a file of it that changes changes the key."""
    summary(rules_file)
    [entry] = entries(folder)
    stamp = cache.code_stamp()
    loader_source = Path(cache.__file__).resolve().parent.parent / "io" / "yamlfile.py"
    st = loader_source.stat()
    try:
        os.utime(loader_source, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        monkeypatch.setattr(cache, "_STAMP", [])
        assert cache.code_stamp() != stamp
        assert cache.key_of(rules_file, rules_file.read_bytes()) + ".json" != entry.name
        summary(rules_file)  # parsed again: a second entry, under the new key
        assert len(entries(folder)) == 2
    finally:
        os.utime(loader_source, ns=(st.st_atime_ns, st.st_mtime_ns))
