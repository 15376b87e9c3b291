"""Every command, with standard output on /dev/full, standard output closed, and standard input closed
(issue 10, point 3): never an internal error or a traceback, and output that went nowhere is never a
success: one line saying so, exit 1 (2 for a usage error).

The table of command lines is checked against the Typer app, so a new command without a line here fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stm_screen.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).with_name("stm-screen"))
ANSWERS = str(ROOT / "docs" / "examples" / "answers.yaml")
EXPORT = str(ROOT / "tests" / "data" / "batch" / "redcap_raw.csv")

# command path -> a command line that writes to standard output (or, for commands that never do, that runs)
COMMANDS: dict[str, list[str]] = {
    "": [],
    "screen": ["screen", "--plain"],
    "score": ["score", ANSWERS],
    "batch": ["batch", EXPORT],
    "rules check": ["rules", "check"],
    "rules test": ["rules", "test"],
    "rules show": ["rules", "show"],
    "rules schema": ["rules", "schema"],
    "rules texts": ["rules", "texts", "--with", "peg"],
    "rules diff": ["rules", "diff", "pt-screen", "pt-screen", EXPORT],
    "history list": ["history", "list", "--format", "json"],
    "history show": ["history", "show", "1"],
    "history export": ["history", "export", "--output", "-"],
    "history delete": ["history", "delete", "999"],
    "history purge": ["history", "purge", "--before", "2000-01-01", "--yes"],
    "form export": ["form", "export", "--format", "redcap"],
}
EXTRA = [["--version"], ["--help"], ["score", ANSWERS, "--format", "json"], ["score", "-"]]
WRITES_NOTHING = {"history delete", "history purge"}  # their messages go to stderr


def _paths(group: object, prefix: str = "") -> list[str]:
    import typer.main

    click_group = typer.main.get_command(group) if not hasattr(group, "commands") else group
    out = []
    for name, cmd in click_group.commands.items():  # type: ignore[attr-defined]
        path = f"{prefix} {name}".strip()
        out.extend(_paths(cmd, path) if hasattr(cmd, "commands") else [path])
    return out


def test_the_table_names_every_command() -> None:
    assert sorted(_paths(app)) == sorted(k for k in COMMANDS if k)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("home")
    env = {**os.environ, "STM_SCREEN_HOME": str(folder)}
    subprocess.run([EXE, "score", ANSWERS, "--save"], env=env, capture_output=True, check=True)
    return folder


def _run(args: list[str], home: Path, how: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STM_SCREEN_HOME": str(home)}
    kwargs: dict[str, object] = {"env": env, "stderr": subprocess.PIPE, "text": True, "timeout": 60}
    if how == "full":
        with open("/dev/full", "w") as full:  # noqa: PTH123
            return subprocess.run([EXE, *args], stdout=full, stdin=subprocess.DEVNULL, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]
    if how == "stdout-closed":
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            ["/bin/sh", "-c", 'exec "$0" "$@" >&- </dev/null', EXE, *args], check=False, **kwargs
        )
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        ["/bin/sh", "-c", 'exec "$0" "$@" <&- >/dev/null', EXE, *args], check=False, **kwargs
    )


def _check(args: list[str], p: subprocess.CompletedProcess[str], how: str, writes: bool) -> None:
    err = p.stderr
    assert "Traceback" not in err and "internal error" not in err and "Exception ignored" not in err, (args, err)
    assert p.returncode != 70, (args, err)
    if how == "stdin-closed":
        return
    if p.returncode == 2:  # a usage error (the questionnaire without a terminal, say), said in one line
        assert err.strip(), (args, err)
        return
    if writes:
        assert p.returncode == 1, (args, p.returncode, err)
        last = err.strip().splitlines()[-1]
        assert last.startswith("stm-screen: cannot write to standard output ("), (args, err)
        assert err.count("cannot write to standard output") == 1
    else:
        assert p.returncode in (0, 1, 2), (args, err)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("how", ["full", "stdout-closed", "stdin-closed"])
def test_every_command(home: Path, how: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    cases = [(args, name not in WRITES_NOTHING) for name, args in COMMANDS.items()]
    cases += [(args, args != ["score", "-"]) for args in EXTRA]
    with ThreadPoolExecutor(4) as pool:  # separate processes: mostly start-up time
        done = list(pool.map(lambda case: _run(case[0], home, how), cases))
    for (args, writes), p in zip(cases, done, strict=True):
        _check(args, p, how, writes)


def test_a_pipe_closed_early_is_not_a_success(home: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    lines = Path(EXPORT).read_text(encoding="utf-8").splitlines()
    big.write_text("\n".join([lines[0], *(lines[1:5] * 20000)]) + "\n", encoding="utf-8")
    p = subprocess.run(
        ["/bin/sh", "-c", '"$0" batch "$1" | head -c 10 >/dev/null; echo "exit ${PIPESTATUS:-}"', EXE, str(big)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "STM_SCREEN_HOME": str(home)},
    )  # fmt: skip
    assert "cannot write to standard output (the program reading it stopped reading)" in p.stderr
    assert "Traceback" not in p.stderr
    code = subprocess.run(
        ["bash", "-c", '"$0" batch "$1" | head -c 10 >/dev/null; exit "${PIPESTATUS[0]}"', EXE, str(big)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "STM_SCREEN_HOME": str(home)},
    ).returncode  # fmt: skip
    assert code == 1


# Commands whose output is a file named by -o/--output: the same closed stream named by path
OUTPUT_NAMED = [
    ["batch", EXPORT, "-o", "{out}"],
    ["rules", "diff", "pt-screen", "pt-screen", EXPORT, "-o", "{out}"],
    ["rules", "texts", "--with", "peg", "-o", "{out}"],
    ["history", "export", "--format", "csv", "--force", "-o", "{out}"],
    ["form", "export", "--format", "csv", "-o", "{out}"],
    ["form", "export", "--format", "xlsform", "-o", "{out}"],
    ["batch", EXPORT, "--suggest-map", "-o", "{out}"],
]


@pytest.mark.parametrize("out", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "link"])
def test_a_closed_stdout_named_as_the_output_file_is_not_a_success(home: Path, tmp_path: Path, out: str) -> None:
    """`-o /dev/stdout` (or /dev/fd/1, /proc/self/fd/1, a link to one) while standard output is closed
    would write into the null device that holds its number: refused in one line, exit 1, as `-o -`."""
    from concurrent.futures import ThreadPoolExecutor

    if out == "link":
        out = str(tmp_path / "out.csv")
        os.symlink("/dev/stdout", out)
    cases = [[a.replace("{out}", out) for a in args] for args in OUTPUT_NAMED]
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda args: _run(args, home, "stdout-closed"), cases))
    for args, p in zip(cases, done, strict=True):
        assert p.returncode == 1, (args, p.returncode, p.stderr)
        assert "cannot write (standard output is closed)" in p.stderr, (args, p.stderr)
        assert "Traceback" not in p.stderr


def test_the_null_device_named_as_the_output_is_still_a_success(home: Path) -> None:
    p = _run(["form", "export", "--format", "csv", "-o", "/dev/null"], home, "stdout-closed")
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("how", ["/dev/stdout", "/proc/self/fd/1", "link"])
def test_a_path_naming_stdout_is_written_through_it_never_replaced(home: Path, tmp_path: Path, how: str) -> None:
    """`-o /dev/stdout > file` (or a link to /proc/self/fd/1) wrote a temp file beside the link and renamed
    it over the link: the output was lost and the link replaced (as root, /dev/stdout for every process).
    Such a path is written through the descriptor it names, and appending (>>) keeps what was there."""
    target = "/dev/stdout" if how != "link" else str(tmp_path / "out.csv")
    if how == "link":
        os.symlink("/proc/self/fd/1", target)
    else:
        target = how
    result = tmp_path / "result.csv"
    result.write_text("before\n", encoding="utf-8")
    env = {**os.environ, "STM_SCREEN_HOME": str(home)}
    with open(result, "a", encoding="utf-8") as out:  # noqa: PTH123
        p = subprocess.run([EXE, "form", "export", "--format", "csv", "-o", target], stdout=out, env=env,
                           stderr=subprocess.PIPE, text=True, timeout=60, check=False)  # fmt: skip
    assert p.returncode == 0, p.stderr
    text = result.read_text(encoding="utf-8")
    assert text.startswith("before\n") and "pain_duration_months" in text
    assert os.path.islink("/dev/stdout") or not os.path.exists("/dev/stdout") or how == "link"
    if how == "link":
        assert os.path.islink(target)


# --- standard error closed or full (issue 10): the output is complete; a warning or error lost is no success

# Tracebacks a process writes go to its standard error, which is closed or full here: a hook put in by
# sitecustomize copies any (and any "Exception ignored" report) to a file the test reads.
HOOK = '''
import os, sys, traceback
_where = os.environ["STM_TEST_TRACEBACKS"]
def _hook(kind, value, tb):
    with open(_where, "a") as f:
        f.write("Traceback: " + "".join(traceback.format_exception(kind, value, tb)))
def _unraisable(info):
    with open(_where, "a") as f:
        f.write("Exception ignored: %r\\n" % (info.exc_value,))
sys.excepthook = _hook
sys.unraisablehook = _unraisable
'''


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hook")
    (folder / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    return folder


def _run_err(args: list[str], home: Path, hooked: Path, how: str, tmp: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """``args`` run with standard error closed (``closed``) or on /dev/full (``full``); standard output
    captured. Returns the process and what the traceback hook caught."""
    caught = tmp / f"caught-{os.getpid()}-{abs(hash((tuple(args), how)))}.txt"
    env = {
        **os.environ,
        "STM_SCREEN_HOME": str(home),
        "STM_TEST_TRACEBACKS": str(caught),
        "PYTHONPATH": os.pathsep.join(p for p in (str(hooked), os.environ.get("PYTHONPATH", "")) if p),
    }
    redirect = "2>&-" if how == "closed" else "2>/dev/full"
    p = subprocess.run(
        ["/bin/sh", "-c", f'exec "$0" "$@" </dev/null {redirect}', EXE, *args],
        env=env, stdout=subprocess.PIPE, text=True, timeout=120, check=False,
    )  # fmt: skip
    return p, caught.read_text(encoding="utf-8") if caught.exists() else ""


HOWS = ["closed", "full"] if os.path.exists("/dev/full") else ["closed"]


@pytest.mark.parametrize("how", HOWS)
def test_every_command_with_stderr_closed_or_full(home: Path, hooked: Path, tmp_path: Path, how: str) -> None:
    """No command crashes when standard error cannot be written: never an internal error, never a
    traceback (caught by the hook, since standard error cannot show one)."""
    from concurrent.futures import ThreadPoolExecutor

    cases = [*COMMANDS.values(), *EXTRA]
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda args: _run_err(args, home, hooked, how, tmp_path), cases))
    for args, (p, caught) in zip(cases, done, strict=True):
        assert caught == "", (args, caught)
        assert p.returncode in (0, 1, 2, 3), (args, p.returncode)
        assert "Traceback" not in p.stdout, args


def _export(tmp_path: Path, extra: bool = False, bad: bool = False) -> Path:
    """Records that all score (ok or incomplete); ``extra``: a column no question reads (a warning that it
    is left out); ``bad``: one record with an answer out of range (an error row)."""
    from tests.batch_helpers import records

    rng = __import__("random").Random(3)
    rows = [records.HEADER] + [records.record(i, rng) for i in range(40)]
    if bad:
        rows[5][rows[0].index("pain_intensity")] = "11"
    if extra:
        rows = [[*row, "notes" if k == 0 else "x"] for k, row in enumerate(rows)]
    path = tmp_path / f"in-{int(extra)}{int(bad)}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        __import__("csv").writer(f).writerows(rows)
    return path


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize(
    ("extra", "bad", "code"),
    [(False, False, 0), (True, False, 1), (False, True, 1)],
    ids=["all-scored", "a-warning", "an-error-row"],
)
def test_batch_with_stderr_closed_or_full_writes_every_row(
    home: Path, hooked: Path, tmp_path: Path, how: str, extra: bool, bad: bool, code: int
) -> None:
    """The output is complete either way. A run whose summary is only counts still succeeds (the output
    says the same); one whose warning (a column left out) or error summary went nowhere exits 1."""
    src = _export(tmp_path, extra, bad)
    # the rows of a run whose standard error is open
    same = subprocess.run([EXE, "batch", str(src), "--jobs", "1"], capture_output=True, text=True, check=False)
    assert same.returncode == int(bad) and len(same.stdout.splitlines()) == 41
    assert ("1 column matches no question" in same.stderr) == extra and ("first records with errors" in same.stderr) == bad
    for output in ("file", "stdout"):
        out = tmp_path / f"out-{how}-{output}.csv"
        args = ["batch", str(src), "--jobs", "1"] + (["-o", str(out)] if output == "file" else [])
        p, caught = _run_err(args, home, hooked, how, tmp_path)
        assert caught == ""
        assert p.returncode == code, (output, p.returncode)
        assert (out.read_text(encoding="utf-8") if output == "file" else p.stdout) == same.stdout


@pytest.mark.parametrize("how", HOWS)
def test_score_and_rules_check_with_a_warning_lost_are_not_a_success(
    home: Path, hooked: Path, tmp_path: Path, how: str
) -> None:
    import json

    from stm_screen.screening import load_rules
    from tests.test_language import MINIMAL, two_languages

    answers = {**load_rules(None).examples[0].answers, "self_harm_thoughts": False, "self_harm_danger": True}
    contradicting = tmp_path / "a.json"
    contradicting.write_text(json.dumps(answers), encoding="utf-8")
    plain = tmp_path / "b.json"
    plain.write_text(json.dumps(load_rules(None).examples[0].answers), encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(two_languages(MINIMAL), encoding="utf-8")
    cases = [
        (["score", str(contradicting), "--format", "json"], 1),  # a yes the skip rules do not use: a warning
        (["score", str(plain), "--format", "json"], 0),
        (["rules", "check", str(rules)], 1),  # a text missing in one language: a warning
        (["rules", "check"], 0),
    ]
    for args, code in cases:
        p, caught = _run_err(args, home, hooked, how, tmp_path)
        assert caught == "", args
        assert p.returncode == code, (args, p.returncode)
        # the result itself is complete
        same = subprocess.run([EXE, *args], capture_output=True, text=True, check=False, env={**os.environ, "STM_SCREEN_HOME": str(home)})
        assert same.returncode == 0 and p.stdout == same.stdout, args
        assert ("warning" in same.stderr) == bool(code), args
