"""No output option can replace a file the same command reads (issue 10, point 1).

One guard (``stm_screen.io.sameness``) compares files by device and inode; these tests try it from every
command that writes an output, with every way of naming the same file: the same name, ``./name``, an
absolute path, a symlink, a hard link, a symlink to a symlink, ``..`` detours, ``/dev/stdout`` and ``>>``
redirections of standard output. Each must stop with exit 2, say which file, and leave it byte for byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
BATCH = ROOT / "tests" / "data" / "batch"
EXE = str(Path(sys.executable).with_name("stm-screen"))


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(BATCH / "redcap_raw.csv", tmp_path / "in.csv")
    shutil.copy(ROOT / "rules" / "pt-screen.yaml", tmp_path / "rules.yaml")
    (tmp_path / "map.yaml").write_text("preset: redcap\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _names(work: Path, target: str) -> list[str]:
    """Ways of naming ``target`` (a file in ``work``)."""
    os.symlink(target, work / f"sym-{target}")
    os.symlink(f"sym-{target}", work / f"symsym-{target}")
    os.link(work / target, work / f"hard-{target}")
    return [
        target,
        f"./{target}",
        str(work / target),
        f"sub/../{target}",
        f"sym-{target}",
        f"symsym-{target}",
        f"hard-{target}",
        str(work / "sub" / ".." / f"hard-{target}"),
    ]


# (command line with {out}, the file the output must not replace)
COMMANDS = [
    (["batch", "in.csv", "--rules", "rules.yaml", "-o", "{out}"], "rules.yaml"),
    (["batch", "in.csv", "--rules", "rules.yaml", "-o", "{out}"], "in.csv"),
    (["batch", "in.csv", "--map", "map.yaml", "-o", "{out}"], "map.yaml"),
    (["batch", "in.csv", "--suggest-map", "--force", "-o", "{out}"], "in.csv"),
    (["batch", "in.csv", "--rules", "rules.yaml", "--suggest-map", "--force", "-o", "{out}"], "rules.yaml"),
    (["rules", "diff", "pt-screen", "rules.yaml", "in.csv", "-o", "{out}"], "rules.yaml"),
    (["rules", "diff", "rules.yaml", "pt-screen", "in.csv", "-o", "{out}"], "rules.yaml"),
    (["rules", "diff", "pt-screen", "pt-screen", "in.csv", "-o", "{out}"], "in.csv"),
    (["rules", "diff", "pt-screen", "pt-screen", "in.csv", "--map", "map.yaml", "-o", "{out}"], "map.yaml"),
    (["form", "export", "--format", "csv", "--rules", "rules.yaml", "-o", "{out}"], "rules.yaml"),
    (["form", "export", "--format", "redcap", "--rules", "rules.yaml", "-o", "{out}"], "rules.yaml"),
]


@pytest.mark.parametrize(("argv", "victim"), COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_an_output_never_replaces_an_input(work: Path, argv: list[str], victim: str) -> None:
    before = (work / victim).read_bytes()
    for name in _names(work, victim):
        args = [a.replace("{out}", name) for a in argv]
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert "same file as" in r.stderr and "nothing was written" in r.stderr, r.stderr
        assert (work / victim).read_bytes() == before, args
        assert os.path.islink(work / f"sym-{victim}")  # the link itself was not replaced either


def test_a_rules_folder_is_protected_file_by_file(work: Path) -> None:
    folder = work / "rules"
    folder.mkdir()
    shutil.move(work / "rules.yaml", folder / "pt.yaml")
    before = (folder / "pt.yaml").read_bytes()
    r = CliRunner().invoke(app, ["batch", "in.csv", "--rules", "rules", "-o", "rules/pt.yaml"])
    assert r.exit_code == 2 and "same file as --rules" in r.stderr
    assert (folder / "pt.yaml").read_bytes() == before


def test_the_history_store_is_protected_from_every_output(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = work / "home"
    monkeypatch.setenv("STM_SCREEN_HOME", str(home))
    r = CliRunner().invoke(app, ["score", str(ROOT / "docs" / "examples" / "answers.yaml"), "--save"])
    assert r.exit_code == 0, r.output
    store = home / "history.sqlite3"
    os.symlink(store, work / "innocent.csv")
    before = store.read_bytes()
    for argv in (
        ["batch", "in.csv", "-o", "innocent.csv"],
        ["history", "export", "--output", "innocent.csv"],
        ["history", "export", "--output", str(store)],
        ["form", "export", "--format", "csv", "-o", "innocent.csv"],
        ["rules", "schema", "-o", "innocent.csv"],
    ):
        r = CliRunner().invoke(app, argv)
        assert r.exit_code == 2, (argv, r.output)
        assert "history store" in r.stderr
    assert store.read_bytes() == before


def test_suggest_map_keeps_an_existing_file_without_force(work: Path) -> None:
    (work / "mine.yaml").write_text("# my mapping\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["batch", "in.csv", "--suggest-map", "-o", "mine.yaml"])
    assert r.exit_code == 2 and "--force" in r.stderr
    assert (work / "mine.yaml").read_text(encoding="utf-8") == "# my mapping\n"
    r = CliRunner().invoke(app, ["batch", "in.csv", "--suggest-map", "--force", "-o", "mine.yaml"])
    assert r.exit_code == 0 and "columns:" in (work / "mine.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("how", ["append", "dev-stdout", "score", "form"])
def test_standard_output_redirected_to_an_input_is_refused(work: Path, how: str) -> None:
    """Through the installed tool (the fast path of ``batch``): ``>> rules.yaml`` and ``-o /dev/stdout``
    with standard output on an input; ``score`` and ``form export`` printing onto their rules file."""
    before = (work / "rules.yaml").read_bytes()
    args = [EXE, "batch", "in.csv", "--rules", "rules.yaml"]
    if how == "dev-stdout":
        args += ["-o", "/dev/stdout"]
    elif how == "score":
        args = [EXE, "score", str(ROOT / "docs" / "examples" / "answers.yaml"), "--rules", "rules.yaml"]
    elif how == "form":
        args = [EXE, "form", "export", "--format", "csv", "--rules", "rules.yaml"]
    with open(work / "rules.yaml", "ab") as out:
        p = subprocess.run(args, stdout=out, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    assert p.returncode == 2, p.stderr
    assert "same file as" in p.stderr and "rules.yaml" in p.stderr
    assert (work / "rules.yaml").read_bytes() == before


@pytest.mark.parametrize("kind", ["missing", "folder", "dangling"])
@pytest.mark.parametrize("command", ["batch", "batch-second", "diff", "suggest"])
def test_an_input_that_cannot_be_read_stops_before_scoring(work: Path, kind: str, command: str) -> None:
    """Exit 2 (the run cannot be done), nothing written: as the exit-code table says."""
    bad = work / "bad.csv"
    if kind == "folder":
        bad.mkdir()
    elif kind == "dangling":
        bad.symlink_to(work / "gone.csv")
    args = {
        "batch": ["batch", "bad.csv", "-o", "out.csv"],
        "batch-second": ["batch", "in.csv", "bad.csv", "-o", "out.csv"],
        "diff": ["rules", "diff", "pt-screen", "pt-screen", "bad.csv", "-o", "out.csv"],
        "suggest": ["batch", "bad.csv", "--suggest-map", "-o", "out.csv"],
    }[command]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    assert "bad.csv: " in r.stderr and "nothing was scored" in r.stderr
    assert not (work / "out.csv").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["form", "export", "--format", "csv", "--with", "mod.yaml", "-o", "{out}"],
        ["batch", "in.csv", "--with", "mod.yaml", "-o", "{out}"],
        ["batch", "in.csv", "--rules", "including.yaml", "-o", "{out}"],
        ["form", "export", "--format", "redcap", "--rules", "including.yaml", "-o", "{out}"],
    ],
    ids=["form-with", "batch-with", "batch-include", "form-include"],
)
def test_instrument_modules_are_inputs_too(work: Path, argv: list[str]) -> None:
    """A module named with --with, or included by the rules file, is read: never an output."""
    shutil.copy(ROOT / "rules" / "modules" / "phq4.yaml", work / "mod.yaml")
    text = (ROOT / "rules" / "pt-screen.yaml").read_text(encoding="utf-8")
    (work / "including.yaml").write_text(text.replace("\nquestions:", "\ninclude: [mod.yaml]\nquestions:", 1), encoding="utf-8")
    before = (work / "mod.yaml").read_bytes()
    os.symlink("mod.yaml", work / "alias.yaml")
    for name in ("mod.yaml", "alias.yaml", str(work / "mod.yaml")):
        r = CliRunner().invoke(app, [a.replace("{out}", name) for a in argv])
        assert r.exit_code == 2, (argv, r.output)
        assert "same file as" in r.stderr
        assert (work / "mod.yaml").read_bytes() == before


def test_rules_texts_keeps_a_filled_in_wording_file(work: Path) -> None:
    (work / "texts.yaml").write_text("peg_1:\n  text: the clinic's own wording\n", encoding="utf-8")
    before = (work / "texts.yaml").read_bytes()
    r = CliRunner().invoke(app, ["rules", "texts", "--with", "peg", "-o", "texts.yaml"])
    assert r.exit_code == 2 and "--force" in r.stderr
    assert (work / "texts.yaml").read_bytes() == before
    shutil.copy(ROOT / "rules" / "modules" / "peg.yaml", work / "peg.yaml")
    r = CliRunner().invoke(app, ["rules", "texts", "--with", "peg.yaml", "-o", "peg.yaml", "--force"])
    assert r.exit_code == 2 and "same file as --with" in r.stderr
    r = CliRunner().invoke(app, ["rules", "texts", "--with", "peg", "-o", "texts.yaml", "--force"])
    assert r.exit_code == 0 and (work / "texts.yaml").read_bytes() != before


@pytest.mark.parametrize(
    "argv",
    [
        ["form", "export", "--format", "csv", "-o", "{out}"],
        ["rules", "schema", "-o", "{out}"],
        ["history", "export", "-o", "{out}"],
        ["batch", "in.csv", "-o", "{out}"],
        ["rules", "diff", "pt-screen", "pt-screen", "in.csv", "-o", "{out}"],
        ["rules", "texts", "--with", "peg", "-o", "{out}", "--force"],
        ["batch", "in.csv", "--suggest-map", "-o", "{out}", "--force"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_special_file_is_written_in_place_never_replaced(work: Path, argv: list[str]) -> None:
    """A FIFO (as /dev/null or /dev/stdout would be) gets the output and stays what it is: an output is
    never renamed over a device (as root, that would replace /dev/null itself)."""
    import stat
    import threading

    fifo = work / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = subprocess.run(
        [EXE, *[a.replace("{out}", str(fifo)) for a in argv]],
        capture_output=True, text=True, timeout=60, check=False, cwd=work,
        env={**os.environ, "STM_SCREEN_HOME": str(work / "home")},
    )  # fmt: skip
    reader.join(timeout=30)
    assert r.returncode in (0, 1), r.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and got[0], r.stderr


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
@pytest.mark.parametrize("stream", [1, 2])
@pytest.mark.parametrize(
    "argv", [["history", "list", "--format", "csv"], ["history", "list"], ["score", "a.json", "--save"]]
)
def test_a_standard_stream_on_the_store_is_refused_before_the_store_opens(
    work: Path, suffix: str, stream: int, argv: list[str]
) -> None:
    """``history list >> history.sqlite3-wal``: SQLite removes an empty ``-wal`` or ``-journal`` when it
    closes, so the listing went nowhere (exit 0); ``2>> history.sqlite3`` appended messages to the
    database. Standard output or error on any of the store's files stops with exit 2, the store as it was."""
    home = work / "home"
    env = {**os.environ, "STM_SCREEN_HOME": str(home)}
    shutil.copy(ROOT / "docs" / "examples" / "answers.yaml", work / "a.json")
    subprocess.run([EXE, "score", "a.json", "--save"], env=env, capture_output=True, check=True, timeout=60)
    store = home / "history.sqlite3"
    before = store.read_bytes()
    target = home / f"history.sqlite3{suffix}"
    with open(target, "ab") as f:
        streams = {"stdout": f, "stderr": subprocess.PIPE} if stream == 1 else {"stdout": subprocess.PIPE, "stderr": f}
        p = subprocess.run([EXE, *argv], env=env, timeout=60, check=False, **streams)  # type: ignore[call-overload]
    assert p.returncode == 2, p
    if stream == 1:
        assert b"same file as the history store" in p.stderr
    assert store.read_bytes() == before
    if suffix:
        assert not target.exists() or target.stat().st_size == 0


@pytest.mark.parametrize("kind", ["long-name", "long-path", "link-loop", "through-loop"])
@pytest.mark.parametrize(
    "argv",
    [
        ["batch", "in.csv", "-o", "{o}"],
        ["batch", "in.csv", "--suggest-map", "-o", "{o}"],
        ["rules", "diff", "pt-screen", "pt-screen", "in.csv", "-o", "{o}"],
        ["rules", "texts", "--with", "peg", "-o", "{o}", "--force"],
        ["form", "export", "csv", "-o", "{o}"],
        ["history", "export", "-o", "{o}"],
    ],
)
def test_an_output_path_the_system_cannot_use_is_one_line_not_a_bug(
    work: Path, monkeypatch: pytest.MonkeyPatch, kind: str, argv: list[str]
) -> None:
    """A file name longer than the system allows, or a loop of symbolic links: ``Path.exists()`` raised
    (exit 70, "internal error"); now one line saying the output cannot be written, exit 1."""
    monkeypatch.setenv("STM_SCREEN_HOME", str(work / "home"))
    (work / "loop").symlink_to("loop")
    out = {
        "long-name": "x" * 300,
        "long-path": "/".join(["d" * 200] * 30) + "/x.csv",
        "link-loop": "loop",
        "through-loop": "loop/x.csv",
    }[kind]
    r = CliRunner().invoke(app, [a.replace("{o}", out) for a in argv])
    assert r.exit_code == 1, r.output
    assert "internal error" not in r.output and "cannot write" in r.stderr


@pytest.mark.parametrize(
    ("argv", "victim"),
    [
        (["batch", "in.csv", "-o", "out.csv"], "in.csv"),
        (["batch", "in.csv", "--rules", "rules.yaml", "-o", "out.csv"], "rules.yaml"),
        (["batch", "in.csv", "--map", "map.yaml", "-o", "out.csv"], "map.yaml"),
        (["rules", "diff", "rules.yaml", "pt-screen", "in.csv", "-o", "out.csv"], "rules.yaml"),
        (["form", "export", "csv", "--rules", "rules.yaml", "-o", "out.csv"], "rules.yaml"),
    ],
)
def test_standard_error_appended_to_an_input_is_refused(work: Path, argv: list[str], victim: str) -> None:
    """``batch in.csv 2>> in.csv``: the summary and notes were appended to the export the command read.
    Standard error on an input stops the command (exit 2) before anything is said there or scored."""
    before = (work / victim).read_bytes()
    with open(work / victim, "ab") as err:
        p = subprocess.run([EXE, *argv], stdout=subprocess.PIPE, stderr=err, timeout=120, check=False)
    assert p.returncode == 2
    assert (work / victim).read_bytes() == before
    assert not (work / "out.csv").exists()
