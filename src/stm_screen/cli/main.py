"""The console-script entry point: fast paths for the questionnaire and batch scoring, then the Typer app.

Starting the questionnaire is the most common run and people wait for the first question; scripts run
``stm-screen batch`` once per export, often on small files, and ``stm-screen score`` once per person. So
``stm-screen``, ``stm-screen screen [options]``, ``stm-screen batch INPUT... [options]`` and ``stm-screen score
ANSWERS [options]`` are parsed here with small tables instead of going through
Typer, whose parameter machinery costs about 100 ms per run. Anything a table does not know (``--help``,
a typo, ``--opt=value`` forms it cannot read, a value Typer would refuse) goes to Typer, which gives the
usual help and usage errors. ``tests/test_cli_main.py`` checks the tables against the Typer commands.
"""

from __future__ import annotations

import sys
from typing import Any

# option -> (parameter name, takes a value)
SCREEN_OPTIONS: dict[str, tuple[str, bool]] = {
    "--rules": ("rules", True),
    "-r": ("rules", True),
    "--plain": ("plain", False),
    "--report": ("report", True),
    "--force": ("force", False),
    "--resume": ("resume", False),
    "--patient": ("patient", True),
    "--next": ("next_patient", False),
    "--save": ("save", False),
    "--country": ("country", True),
    "--lang": ("lang", True),
    "--report-dir": ("report_dir", True),
    "--with": ("with_modules", True),
    "--texts": ("texts", True),
}


def _parse(
    tokens: list[str], table: dict[str, tuple[str, bool]], positionals: list[str] | None = None
) -> dict[str, Any] | None:
    """Options (and, given a list to fill, positional arguments) read by ``table``, as click reads them:
    ``--opt value``, ``--opt=value``, ``-o value``, flags, ``--`` before positionals. None when a token is
    anything else, so that Typer reports it."""
    out: dict[str, Any] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if positionals is not None:
            if token == "--":
                positionals.extend(tokens[i + 1 :])
                break
            if not token.startswith("-") or token == "-":
                positionals.append(token)
                i += 1
                continue
        name, eq, inline = token.partition("=")
        spec = table.get(name)
        if spec is None or (eq and (not spec[1] or not name.startswith("--"))):
            return None
        param, takes_value = spec
        if not takes_value:
            out[param] = True
        elif eq:
            out[param] = inline
        elif i + 1 < len(tokens):
            i += 1
            out[param] = tokens[i]
        else:
            return None
        i += 1
    return out


def parse_screen(args: list[str]) -> dict[str, Any] | None:
    """Options of ``stm-screen [screen] ...`` as keyword arguments, or None to let Typer handle the line.
    Bare ``stm-screen`` takes every option of ``screen`` (``stm-screen --plain``, ``stm-screen --with phq4``)."""
    if args and args[0] == "screen":
        return _parse(args[1:], SCREEN_OPTIONS)
    if args and not args[0].startswith("-"):
        return None  # another command
    return _parse(args, SCREEN_OPTIONS)


# batch option -> (parameter name, takes a value)
BATCH_OPTIONS: dict[str, tuple[str, bool]] = {
    "--rules": ("rules", True),
    "-r": ("rules", True),
    "--preset": ("preset", True),
    "-p": ("preset", True),
    "--map": ("mapping", True),
    "-m": ("mapping", True),
    "--id-column": ("id_column", True),
    "--delimiter": ("delimiter", True),
    "-d": ("delimiter", True),
    "--decimal-comma": ("decimal_comma", False),
    "--multi-separator": ("multi_separator", True),
    "--output": ("output", True),
    "-o": ("output", True),
    "--format": ("fmt", True),
    "-f": ("fmt", True),
    "--suggest-map": ("suggest_map", False),
    "--allow-missing": ("allow_missing", False),
    "--allow-missing-for": ("allow_missing_for", True),
    "--force": ("force", False),
    "--jobs": ("jobs", True),
    "-j": ("jobs", True),
    "--patient-system": ("patient_system", True),
    "--response-system": ("response_system", True),
    "--fhir-bundle": ("fhir_bundle", True),
    "--event": ("event", True),
    "--with": ("with_modules", True),
    "--texts": ("texts", True),
}
JOBS_RANGE = range(0, 33)  # as the Typer option's min and max


def allow_missing_list(args: list[str]) -> list[str]:
    """``batch ... --allow-missing Q[,Q...]``: a list of question ids after the flag (not a file that
    exists) allows only those questions to have no column; it is read as ``--allow-missing-for``."""
    if not args or args[0] != "batch" or "--allow-missing" not in args:
        return args
    import os
    import re

    ids = re.compile(r"[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*")
    out = list(args)
    for i, token in enumerate(out[:-1]):
        following = out[i + 1]
        if token == "--allow-missing" and ids.fullmatch(following) and not os.path.exists(following):
            out[i] = "--allow-missing-for"
    return out


def parse_batch(args: list[str]) -> tuple[list[str], dict[str, Any]] | None:
    """Inputs and options of ``stm-screen batch ...``, or None to let Typer handle the line."""
    if not args or args[0] != "batch":
        return None
    inputs: list[str] = []
    out = _parse(args[1:], BATCH_OPTIONS, inputs)
    if out is None or not inputs:
        return None
    if "jobs" in out:
        try:
            out["jobs"] = int(out["jobs"])
        except ValueError:
            return None
        if out["jobs"] not in JOBS_RANGE:
            return None
    return inputs, out


# score option -> (parameter name, takes a value)
SCORE_OPTIONS: dict[str, tuple[str, bool]] = {
    "--rules": ("rules", True),
    "-r": ("rules", True),
    "--format": ("fmt", True),
    "-f": ("fmt", True),
    "--save": ("save", False),
    "--patient": ("patient", True),
    "--country": ("country", True),
    "--with": ("with_modules", True),
    "--texts": ("texts", True),
    "--lang": ("lang", True),
}
SCORE_FORMATS = ("text", "json", "html", "md", "fhir")  # as the Typer option's choices


def parse_score(args: list[str]) -> tuple[str, dict[str, Any]] | None:
    """The answers file and options of ``stm-screen score ANSWERS ...``, or None to let Typer handle the
    line (``--help``, a typo, a format Typer would refuse, no file or two)."""
    if not args or args[0] != "score":
        return None
    positionals: list[str] = []
    out = _parse(args[1:], SCORE_OPTIONS, positionals)
    if out is None or len(positionals) != 1 or out.get("fmt", "text") not in SCORE_FORMATS:
        return None
    return positionals[0], out


def _run_batch(inputs: list[str], options: dict[str, Any]) -> None:
    from stm_screen.cli import batch_cmd
    from stm_screen.cli.errors import guard

    suggest = options.pop("suggest_map", False)
    options.setdefault("output", "-")
    options.setdefault("fmt", "csv")
    options.setdefault("decimal_comma", False)
    options.setdefault("allow_missing", False)
    options.setdefault("allow_missing_for", None)
    for name in ("rules", "preset", "mapping", "id_column", "delimiter", "multi_separator", "with_modules", "texts"):
        options.setdefault(name, None)
    opts = batch_cmd.CommandOptions(**options)
    try:
        guard(batch_cmd.suggest if suggest else batch_cmd.run)(inputs, opts)
    except Exception as exc:  # typer.Exit: the command's own exit code (1: some records had errors)
        code = getattr(exc, "exit_code", None)
        if type(exc).__name__ != "Exit" or not isinstance(code, int):
            raise
        raise SystemExit(code) from None


def _safe_streams() -> None:
    """Standard streams made safe before anything runs (see ``cli.streams``)."""
    from stm_screen.cli.streams import prepare

    prepare()


def main(argv: list[str] | None = None) -> None:
    own = argv is None  # the command's own process (console script, python -m), not a caller's
    try:
        if own:
            _keep_interrupts()
            import stm_screen.batch

            stm_screen.batch.OWN_PROCESS = True
        args = allow_missing_list(sys.argv[1:] if argv is None else argv)
        _safe_streams()
        from stm_screen.i18n import start

        start(args)
        _run(args)
    except KeyboardInterrupt:  # Ctrl-C while starting up (importing), before a command's own handling
        from stm_screen.cli.errors import quiet_signals, say_error
        from stm_screen.i18n import _

        quiet_signals()
        say_error(_("interrupted"))
        raise SystemExit(130) from None
    finally:
        if own:
            _end_quietly()


def _run(args: list[str]) -> None:
    from stm_screen.cli.streams import OutputError, finish

    try:
        try:
            _dispatch(args)
        finally:
            finish()  # what is still buffered must reach standard output, or be reported
    except OutputError as exc:  # written outside a command (help, version, a usage message)
        from stm_screen.cli.errors import say_error

        say_error(str(exc))
        raise SystemExit(int(exc.exit_code)) from None


def _end_quietly() -> None:
    """The command is over and its exit code chosen: a Ctrl-C from now on (while the interpreter shuts down,
    or in the line below) is ignored, as it cannot stop anything: it would otherwise end the process by
    SIGINT, or print a traceback, after the output was complete. Then :func:`_forget_interrupt`."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _forget_interrupt()


def _forget_interrupt() -> None:
    """CPython remembers a KeyboardInterrupt that ended code it ran from a string (the ``__init__`` that
    ``dataclasses`` or ``namedtuple`` generate while a module is imported), even once a command caught it
    and chose its exit code. Under ``python -m stm_screen`` it then ends the process by SIGINT at exit,
    instead of with the documented 130. Running a string that completes clears that memory; the string is
    a constant, never input."""
    exec("None", {})


def _keep_interrupts() -> None:
    """A Ctrl-C that lands while Python runs a finaliser (a weak reference's callback, which every import
    runs; an object's ``__del__``) cannot be raised there: CPython prints "Exception ignored in ..." with a
    traceback and goes on, and the Ctrl-C is lost (seen: Ctrl-C at start-up, then the first question
    waited for an answer). Such an interrupt is given again to the main thread, which stops as for any
    Ctrl-C (not once Ctrl-C is ignored, nor at exit: an atexit callback's); the message is not shown.
    Other errors keep Python's report."""
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        kind = unraisable.exc_type
        if isinstance(kind, type) and issubclass(kind, KeyboardInterrupt):
            if "atexit" not in str(unraisable.err_msg or "") and not sys.is_finalizing():
                import threading

                # From another thread, a moment later: given at once, it would be raised in this hook.
                later = threading.Timer(0.05, _interrupt_main)
                later.daemon = True
                later.start()
            return
        previous(unraisable)

    sys.unraisablehook = hook


def _interrupt_main() -> None:
    """Ctrl-C again, as a signal to the main thread, so that a wait for a line or a sleep ends too; only
    while Python handles it (ignored: nothing to do; the system's default would end the process)."""
    import signal
    import threading

    if not callable(signal.getsignal(signal.SIGINT)):
        return
    main_thread = threading.main_thread().ident
    if hasattr(signal, "pthread_kill") and main_thread is not None:
        signal.pthread_kill(main_thread, signal.SIGINT)
    else:  # pragma: no cover - Windows: no signals to threads
        import _thread

        _thread.interrupt_main()


def _dispatch(args: list[str]) -> None:
    batch = parse_batch(args)
    if batch is not None:
        from stm_screen.cli.errors import set_debug

        set_debug(False)
        _run_batch(*batch)
        return
    score = parse_score(args)
    if score is not None:
        from stm_screen.cli import score_cmd
        from stm_screen.cli.errors import guard, set_debug

        set_debug(False)
        answers, given = score
        given.setdefault("fmt", "text")
        guard(score_cmd.run)(answers, rules=given.pop("rules", None), **given)
        return
    options = parse_screen(args)
    if options is not None:
        from stm_screen.cli import screen_cmd
        from stm_screen.cli.errors import guard, set_debug

        set_debug(False)
        for name in ("report", "report_dir"):
            if name in options:
                from pathlib import Path

                options[name] = Path(options[name])
        guard(screen_cmd.run)(screen_cmd.Options(**options))
        return
    from stm_screen.cli.app import app

    sys.argv[1:] = args  # --allow-missing Q[,Q...] as read above
    app()
