"""How the questionnaire talks to a person: a small interface and its two terminal implementations.

:class:`Prompter` is the seam: the questionnaire (``stm_screen.prompt.questionnaire``) only calls ``show``,
``select``, ``multi`` and ``text``. :class:`RichPrompter` uses questionary (arrow keys, colour);
:class:`PlainPrompter` prints numbered lists and reads whole lines, for screen readers, ``NO_COLOR``,
``TERM=dumb`` and consoles that cannot draw. Both raise ``KeyboardInterrupt`` on Ctrl-C and ``EOFError`` at
the end of input; the caller saves the answers.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from stm_screen.i18n import _

# Characters the questionnaire may print, and what a console that cannot show them gets instead.
ASCII_FALLBACK = {
    "‼": "!!",
    "▲": "!",
    "●": "*",
    "◐": "*",
    "○": "o",
    "•": "-",
    "…": "...",
    "–": "-",
    "—": "-",
    "←": "<-",
    "→": "->",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "✓": "v",
    "»": ">",
    "█": "#",
    "░": "-",
}
FANCY_GLYPHS = "●○»…←"  # what questionary's widgets and our labels draw


def encoding_of(stream: TextIO) -> str:
    return (getattr(stream, "encoding", None) or "utf-8").lower()


def can_encode(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def fit(text: str, encoding: str) -> str:
    """Text the console can print: known symbols become ASCII, anything else a '?'."""
    if can_encode(text, encoding):
        return text
    for char, ascii_text in ASCII_FALLBACK.items():
        text = text.replace(char, ascii_text)
    try:
        return text.encode(encoding, "replace").decode(encoding)
    except LookupError:
        return text.encode("ascii", "replace").decode("ascii")


@dataclass(frozen=True)
class Option:
    """One choice offered to the person. Commands (help, back) carry a shortcut typed in plain mode."""

    key: str
    label: str
    shortcut: str = ""
    aliases: tuple[str, ...] = ()  # other words that choose it when typed ('s' and 'sí' for yes in Spanish)

    @property
    def command(self) -> bool:
        return bool(self.shortcut)


class Prompter(Protocol):
    """What the questionnaire needs from a terminal."""

    plain: bool

    def line_width(self) -> int | None:
        """How long one choice's label may be before it is cut (None: labels wrap, nothing is cut)."""
        ...

    def show(self, text: str, kind: str = "") -> None:
        """Print a paragraph; kind is '', 'title', 'intro', 'help', 'error', 'urgent' or 'note'."""

    def select(self, message: str, options: Sequence[Option], default: str | None = None) -> str:
        """One option's key."""
        ...

    def multi(
        self, message: str, options: Sequence[Option], checked: frozenset[str], none_allowed: bool = True
    ) -> frozenset[str]:
        """The keys of every option ticked (a command's key when a command was chosen). ``none_allowed``:
        whether 'none of these' is an answer (the plain prompt offers 0 only then)."""
        ...

    def text(
        self, message: str, check: Callable[[str], str | None], default: str = "", echo: str | None = None
    ) -> str:
        """A line of text that ``check`` accepts (it returns None, or what is wrong). ``echo``: the question
        as it stays on screen with its answer (default: the message)."""
        ...

    def echo(self, message: str, answer: str) -> None:
        """Say a question's answer when it was given another way."""

    def take_back_answer(self) -> None:
        """The person went back to the question answered last: its answer, about to be asked again, no
        longer stands on screen as given (where the terminal allows)."""

    def mark(self, key: str) -> None:
        """A question (``key``) is about to be asked: what is printed from here on belongs to it and after."""

    def rewind(self, key: str) -> bool:
        """Going back to question ``key``: wipe everything printed since it was asked (its answer, the
        questions after it, headings, help), where the terminal still shows it all. False when it cannot
        (then :meth:`take_back_answer` does what it can)."""
        return False


# What is typed for help and back rather than an answer (in every language the tool speaks).
COMMAND_WORDS = frozenset({"?", "<", "help", "back", "ayuda", "atras"})


def _plain_word(text: str) -> str:
    """How typed words are compared: case, spacing and accents do not matter ('si' is 'Sí')."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", " ".join(text.strip().casefold().split()))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _label_words(label: str) -> str:
    """A label as words compared with what is typed (accents, case and punctuation do not matter)."""
    import re

    return " ".join(re.sub(r"[^\w]+", " ", _plain_word(label)).split())


def _width(stream: TextIO) -> int:
    columns = shutil.get_terminal_size((80, 24)).columns
    return max(40, min(columns, 100)) - 1


def _height(stream: TextIO) -> int | None:
    """The terminal's rows; None when it is narrower than the lines are wrapped to (they wrap again there,
    so rows cannot be counted)."""
    size = shutil.get_terminal_size((80, 24))
    return size.lines if size.columns > _width(stream) else None


# --- plain: numbered lists and whole lines ---------------------------------------------------------------


def read_typed_line(prompt: str) -> str:
    """A line typed after ``prompt`` (without its line break); EOFError at the end of input.

    Not ``input()``: it flushes standard error and standard output first and throws away any error the
    flush raises, and the streams here are Python objects (``render.safe.TerminalStream``), so a Ctrl-C that
    arrived as the question was being printed surfaced inside that flush and was lost: the prompt then
    waited for a line while the person had asked to stop. Reading from ``sys.stdin`` here lets the
    interrupt through wherever it lands. (Windows keeps ``input()``, whose console read handles Ctrl-C
    itself.)"""
    if sys.platform == "win32":  # pragma: no cover - the Windows console
        return input(prompt)
    stdout = sys.stdout
    if stdout is not None:
        stdout.write(prompt)
        stdout.flush()
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise EOFError
    if line.endswith("\n"):
        return line[:-1]
    if stdout is not None and _is_terminal(sys.stdin):
        # Characters typed then Ctrl-D twice: the terminal stays on their line; what comes next starts below
        stdout.write("\n")
        stdout.flush()
    return line


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


class PlainPrompter:
    """Line by line, no colour, no boxes, no redraws: every choice is numbered and answered by typing."""

    plain = True

    def __init__(
        self,
        out: TextIO | None = None,
        read_line: Callable[[str], str] | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self._read_line = read_line or read_typed_line
        self.encoding = encoding_of(self.out)

    def line_width(self) -> int | None:
        return None  # labels are wrapped

    def write(self, text: str) -> None:
        self.out.write(fit(text, self.encoding))
        self.out.flush()

    def show(self, text: str, kind: str = "") -> None:
        width = _width(self.out)
        prefix = {"urgent": _("URGENT: "), "error": _("Sorry: "), "help": _("Help: ")}.get(kind, "")
        lines: list[str] = []
        for para in (prefix + text).split("\n"):
            lines.extend(textwrap.wrap(para, width, break_on_hyphens=False, break_long_words=False) or [""])
        if kind == "title":
            lines.append("=" * min(width, max(len(line) for line in lines)))
        self.write("\n".join(lines) + "\n")

    def read(self, prompt: str) -> str:
        """A line typed after ``prompt``; a prompt wider than the terminal wraps between words (its last
        line is the one typed on)."""
        lines = textwrap.wrap(
            prompt.rstrip(), _width(self.out), break_on_hyphens=False, break_long_words=False
        ) or [""]
        if len(lines) > 1:
            self.write("\n".join(lines[:-1]) + "\n")
        tail = prompt[len(prompt.rstrip()) :]
        line = self._read_line(fit(lines[-1] + tail, self.encoding))
        return line.strip()

    def _list(self, message: str, options: Sequence[Option]) -> tuple[list[Option], list[Option]]:
        choices = [o for o in options if not o.command]
        commands = [o for o in options if o.command]
        self.show(message)
        width = _width(self.out)
        numbered = [(f"  {n}) ", o) for n, o in enumerate(choices, start=1)]
        for prefix, o in [*numbered, *[(f"  {o.shortcut}) ", o) for o in commands]]:
            lines = textwrap.wrap(
                o.label,
                width,
                initial_indent=prefix,
                subsequent_indent=" " * len(prefix),
                break_on_hyphens=False,
                break_long_words=False,
            )
            self.write("\n".join(lines or [prefix.rstrip()]) + "\n")
        return choices, commands

    def _match(self, word: str, choices: list[Option], commands: list[Option]) -> Option | None:
        folded = _plain_word(word)
        for o in commands:
            if folded == o.shortcut or folded == o.key.strip("_"):
                return o
        if folded.isdigit() and 1 <= int(folded) <= len(choices):
            return choices[int(folded) - 1]
        spelled = _spelled(folded, choices)
        if spelled is not None:
            return spelled
        # A word (or words) of one label only, as a person says it: 'igual' for 'Sigue más o menos igual',
        # 'worse' for 'Getting worse'. Short words ('o', 'the', 'de') never choose; nor does a word that is
        # in several labels. Never on a yes/no question: 'sure' (a yes) is a word of 'Not sure'; those are
        # answered by their own words (the aliases).
        yes_no = any(o.key in ("yes", "no") for o in choices)
        if not yes_no and len(folded.replace(" ", "")) >= 4:
            inside = [o for o in choices if f" {folded} " in f" {_label_words(o.label)} "]
            if len(inside) == 1:
                return inside[0]
        from stm_screen.core.quantity import without_courtesy

        polite = _plain_word(without_courtesy(word))  # 'yes please', 'No, thank you.'
        if polite and polite != folded:
            return self._match(polite, choices, commands)
        return None

    def select(self, message: str, options: Sequence[Option], default: str | None = None) -> str:
        choices, commands = self._list(message, options)
        shown_default = next((n for n, o in enumerate(choices, 1) if o.key == default), None)
        command_default = next((o for o in commands if o.key == default), None)
        # two choices (yes/no): 'Type 1 or 2', not 'a number from 1 to 2'
        hint = _("Type 1 or 2") if len(choices) == 2 else _("Type a number from 1 to {n}").format(n=len(choices))
        if shown_default is not None:
            hint += " " + _("(Enter keeps {n})").format(n=shown_default)
        elif command_default is not None:
            hint += " " + _("({key} or Enter: {label})").format(
                key=command_default.shortcut, label=command_default.label
            )
        while True:
            word = self.read(f"{hint}: ")
            if not word and default is not None:
                return default
            found = self._match(word, choices, commands)
            if found is not None:
                return found.key
            self.show(
                _("please type 1 or 2.")
                if len(choices) == 2
                else _("please type a number from 1 to {n}.").format(n=len(choices)),
                "error",
            )

    def multi(
        self, message: str, options: Sequence[Option], checked: frozenset[str], none_allowed: bool = True
    ) -> frozenset[str]:
        choices, commands = self._list(message, options)
        now = [str(n) for n, o in enumerate(choices, 1) if o.key in checked]
        hint = _("Type the numbers of all that apply, like 1,3")
        if now and none_allowed:
            hint += " " + _("(Enter keeps {numbers}; 0 for none)").format(numbers=",".join(now))
        elif now:
            hint += " " + _("(Enter keeps {numbers})").format(numbers=",".join(now))
        elif none_allowed:
            hint += " " + _("(0 for none)")
        while True:
            words = self.read(f"{hint}: ")
            if not words and now:
                return frozenset(checked)
            if words == "0" and none_allowed:
                return frozenset()
            single = self._match(words, [], commands)
            if single is not None:
                return frozenset({single.key})
            picked: set[str] = set()
            bad = False
            for item in words.replace(";", ",").split(","):
                # A whole label ("Lower back"), else words or numbers separated by spaces ("1 3").
                whole = self._match(item, choices, []) if item.strip() else None
                for part in [item] if whole is not None else item.split():
                    found = self._match(part, choices, [])
                    if found is None:
                        bad = True
                        break
                    picked.add(found.key)
            if picked and not bad:
                return frozenset(picked)
            self.show(
                _("please type numbers from 1 to {n}, separated by commas.").format(n=len(choices)), "error"
            )

    def echo(self, message: str, answer: str) -> None:
        """Plain mode keeps every line typed on screen: nothing to add."""

    def take_back_answer(self) -> None:
        """Plain mode never redraws (a screen reader has read the lines already): the question is asked again
        below."""

    def mark(self, key: str) -> None:
        """Plain mode never redraws: nothing to remember."""

    def rewind(self, key: str) -> bool:
        return False

    def text(
        self, message: str, check: Callable[[str], str | None], default: str = "", echo: str | None = None
    ) -> str:
        self.show(message)
        hint = _("Your answer (Enter keeps {value})").format(value=default) if default else _("Your answer")
        while True:
            word = self.read(f"{hint}: ")
            if not word and default:
                word = default
            problem = check(word)
            if problem is None:
                return word
            self.show(problem, "error")


# --- rich: questionary widgets -----------------------------------------------------------------------------


def quiet_typeahead(stream: TextIO | None = None) -> Callable[[], None] | None:
    """Keys typed ahead between two arrow-key prompts are not echoed by the terminal: a fast typist (intake
    staff) would otherwise leave stray characters ('2') on screen, while the next prompt still reads them.
    The prompts switch the terminal to raw mode themselves; the terminal's settings come back at exit (the
    function returned restores them sooner). None when ``stream`` is not a terminal."""
    stream = stream or sys.stdin
    try:
        import atexit
        import termios
    except ImportError:  # no termios (Windows)
        return None
    try:
        if not stream.isatty():
            return None
        fd = stream.fileno()
        before = termios.tcgetattr(fd)
        quiet = termios.tcgetattr(fd)
        quiet[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSANOW, quiet)  # TCSANOW: the keys typed ahead are kept
    except (termios.error, AttributeError, OSError, ValueError):
        return None

    def restore() -> None:
        try:
            termios.tcsetattr(fd, termios.TCSANOW, before)
        except (termios.error, OSError, ValueError):
            pass

    atexit.register(restore)
    return restore


def _command_after(answer: str, default: str) -> str:
    """'<' or '?' typed after the earlier answer shown in the box ('4<': going back to a question, then
    back again) is that command, not an answer to check."""
    given = default.strip()
    if given and answer != given and answer.startswith(given):
        typed = answer[len(given) :].strip()
        for command in ("<", "?"):
            if typed and set(typed) == {command}:  # once, or pressed again while nothing happened
                return command
    return answer


def end_of_input_waiting(stream: TextIO | None = None) -> bool:
    """True when the terminal holds an end of input (Ctrl-D) that no prompt has read yet.

    Between two arrow-key prompts the terminal is in line mode, where Ctrl-D is not a character but an
    end-of-input mark; the next prompt's switch to raw mode drops that mark, and the prompt would then wait
    for ever. This happens when input ends while nothing is reading: ``script`` with its input at an end, a
    pipe closed into a terminal program. The mark shows as input ready with no bytes in it."""
    stream = stream or sys.stdin
    try:
        import fcntl
        import select
        import struct
        import termios
    except ImportError:  # no termios (Windows): the console has no such mark
        return False
    try:
        if not stream.isatty():
            return False
        fd = stream.fileno()
        if not termios.tcgetattr(fd)[3] & termios.ICANON:
            return False
        ready, _w, _x = select.select([fd], [], [], 0)
        if not ready:
            return False
        waiting = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except (termios.error, AttributeError, OSError, ValueError):
        return False
    return bool(waiting == 0)


_ANSI = {
    "title": "\x1b[1m",
    "urgent": "\x1b[1;97;41m",
    "error": "\x1b[31m",
    "help": "\x1b[36m",
    "note": "\x1b[2m",
    "intro": "",
    "": "",
}
_RESET = "\x1b[0m"


class RichPrompter:
    """questionary prompts (arrow keys, ticks, colour); messages written to ``out`` with ANSI styles."""

    plain = False

    def __init__(self, out: TextIO | None = None, colour: bool = True) -> None:
        self.out = out or sys.stdout
        self.colour = colour
        self._error_rows = 0  # rows of error messages printed just above the question being asked
        self._echo_rows = 0  # rows of the last question's echo, when nothing was printed after it
        self._rows = 0  # rows printed by show and the echoes (the prompts wipe themselves)
        # a question -> [the rows printed before it was last asked, the furthest row reached since]
        self._marks: dict[str, list[int]] = {}
        self._urgent_at = -1  # the rows printed when an urgent message was last said
        self.encoding = encoding_of(self.out)
        self.pointer = "»" if can_encode("»", self.encoding) else ">"

    def show(self, text: str, kind: str = "") -> None:
        width = _width(self.out)
        # Said in words as in plain mode, not by colour alone (NO_COLOR, colour blindness, a screen reader):
        # an urgent line says URGENT, its band or not.
        prefix = {"urgent": _("URGENT: "), "error": _("Sorry: "), "help": _("Help: ")}.get(kind, "")
        room = width - 2 if kind == "urgent" else width  # an urgent line has a space of its band each side
        lines: list[str] = []
        for para in (prefix + text).split("\n"):
            lines.extend(textwrap.wrap(para, room, break_on_hyphens=False, break_long_words=False) or [""])
        # What was wrong with an answer is wiped once the question is answered (see _wipe_errors); any other
        # text printed after it keeps it on screen.
        self._error_rows = self._error_rows + len(lines) if kind == "error" else 0
        self._echo_rows = 0
        if kind == "urgent":
            lines = [f" {line.ljust(width - 2)} " for line in lines]
        style = _ANSI.get(kind, "") if self.colour else ""
        from stm_screen.render.safe import clean

        lines = [clean(line) for line in lines]  # text from the rules: never a control character
        body = "\n".join(f"{style}{line}{_RESET}" if style else line for line in lines)
        self.out.write(fit(body, self.encoding) + "\n")
        self.out.flush()
        self._rows += len(lines)
        if kind == "urgent":
            self._urgent_at = self._rows  # what to do in an emergency is never wiped by going back

    def line_width(self) -> int | None:
        return _width(self.out) - 8  # the pointer and the number before each label

    def _choices(
        self,
        options: Sequence[Option],
        checked: frozenset[str] = frozenset(),
        numbered: bool = False,
        indent: int = 6,
    ) -> list[Any]:
        """questionary's choices; a label too long for the terminal wraps at a word onto lines under its
        first word (``indent``: the columns questionary draws before a label), never cut at the edge."""
        import questionary

        from stm_screen.render.safe import clean

        out: list[Any] = []
        separated = False
        n = 0
        for o in options:
            if o.command and not separated and out:  # a gap between the answers and help/back
                out.append(questionary.Separator(" "))
                separated = True
            label = " ".join(clean(o.label).split())
            hang = indent
            if numbered and not o.command:
                n += 1
                label = f"{n:>2}. {label}"
                hang += 4
            lines = textwrap.wrap(
                label,
                max(20, _width(self.out) - indent),
                subsequent_indent=" " * (hang - indent),
                break_on_hyphens=False,
                break_long_words=False,
            )
            title = ("\n" + " " * indent).join(lines or [label])
            out.append(questionary.Choice(fit(title, self.encoding), value=o.key, checked=o.key in checked))
        return out

    @staticmethod
    def _check_input() -> None:
        """An end of input that arrived between prompts ends the questionnaire as Ctrl-D does."""
        if end_of_input_waiting():
            raise EOFError

    def _wipe_errors(self) -> None:
        """Once a question is answered (its prompt already wiped), the messages that said what was wrong with
        earlier tries go too: the screen keeps the question and its answer only."""
        if self._error_rows:
            self.out.write(f"\x1b[{self._error_rows}A\x1b[J")
            self.out.flush()
            self._rows -= self._error_rows
            self._error_rows = 0

    def _message(self, message: str) -> str:
        """Wrapped to the terminal: prompt_toolkit cuts off, rather than wraps, long lines of a message."""
        width = _width(self.out) - 2  # questionary puts "? " before the first line
        lines: list[str] = []
        for para in message.split("\n"):
            indent = para[: len(para) - len(para.lstrip())]
            lines.extend(
                textwrap.wrap(
                    para, width, subsequent_indent=indent, break_on_hyphens=False, break_long_words=False
                )
                or [""]
            )
        from stm_screen.render.safe import clean

        return fit(clean("\n".join(lines)), self.encoding)

    def _instruction(self, message: str, instruction: str) -> str:
        """The key hint after the message, on lines of its own when it would not fit after it, wrapped between
        words (prompt_toolkit would cut a word in two at the terminal's edge: "? hel" / "p < back"). A key and
        its word joined by a no-break space ("?\xa0help") stay on one line; a plain space is printed."""
        last = message.split("\n")[-1]
        width = _width(self.out)
        if len(last) + 3 + len(instruction) <= width:
            return instruction.replace("\xa0", " ")
        lines = textwrap.wrap(
            instruction, width - 2, break_on_hyphens=False, break_long_words=False
        ) or [instruction]
        return "".join("\n  " + line for line in lines).replace("\xa0", " ")

    @staticmethod
    def _command_keys(question: Any, options: Sequence[Option], result: Callable[[str], Any]) -> Any:
        """Typing a command's shortcut (? for help, < for back) chooses it at once, as in plain mode."""
        from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings

        bindings = KeyBindings()
        for o in options:
            if o.command:

                def choose(event: Any, key: str = o.key) -> None:
                    event.app.exit(result=result(key))

                bindings.add(o.shortcut, eager=True)(choose)
        app = question.application
        app.key_bindings = merge_key_bindings([app.key_bindings, bindings])
        return question

    def _echo(self, message: str, answer: str) -> None:
        """What stays on screen once a question is answered: the question and the answer, wrapped to the
        terminal (on the question's last line when it fits, else on a line of its own)."""
        width = _width(self.out)
        lines = ("? " + message).split("\n")
        answer = " ".join(answer.split())
        style = "\x1b[1;36m" if self.colour else ""
        reset = _RESET if self.colour else ""
        if len(lines[-1]) + 1 + len(answer) <= width:
            lines[-1] = f"{lines[-1]} {style}{answer}{reset}"
        else:
            wrapped = textwrap.wrap(answer, width - 4, break_on_hyphens=False, break_long_words=False)
            lines += [f"  {style}{part}{reset}" for part in wrapped or [""]]
        self.out.write(fit("\n".join(lines), self.encoding) + "\n")
        self.out.flush()
        self._echo_rows = len(lines)
        self._rows += len(lines)

    def take_back_answer(self) -> None:
        """Wipe the echo of the question answered last when it is the last thing on screen (the question
        left with '<' is already wiped): going back shows that question once, to be answered again."""
        if self._echo_rows:
            self.out.write(f"\x1b[{self._echo_rows}A\x1b[J")
            self.out.flush()
            self._rows -= self._echo_rows
            self._echo_rows = 0

    def mark(self, key: str) -> None:
        self._marks[key] = [self._rows, self._rows]

    def _prompting(self, message: str, options: Sequence[Option] = ()) -> None:
        """A prompt is about to be drawn below what was printed: how far down the screen it reaches counts
        for every question asked since (a tall list can scroll earlier lines off the screen, and a rewind
        past them would wipe what is left of the screen instead: see :meth:`rewind`). Rows are counted
        generously (a label may wrap)."""
        columns = max(20, shutil.get_terminal_size((80, 24)).columns)
        rows = sum(-(-max(1, len(line) + 4) // columns) for line in message.split("\n")) + 3
        rows += sum(-(-(len(o.label) + 10) // columns) for o in options)
        reach = self._rows + rows
        for mark in self._marks.values():
            mark[1] = max(mark[1], reach)

    def rewind(self, key: str) -> bool:
        """See :meth:`Prompter.rewind`: only while all of it is still on the screen (not scrolled off)."""
        if key not in self._marks:
            return False
        start, furthest = self._marks[key]
        rows = self._rows - start
        height = _height(self.out)
        reach = furthest - start  # the furthest down anything since then went
        if rows <= 0 or height is None or max(rows, reach) >= height - 1 or self._urgent_at > start:
            return False
        self.out.write(f"\x1b[{rows}A\x1b[J")
        self.out.flush()
        self._rows = start
        self._echo_rows = self._error_rows = 0
        self._marks = {k: v for k, v in self._marks.items() if v[0] <= start}
        return True

    @staticmethod
    def _erase_when_done(question: Any) -> Any:
        """The prompt is wiped when answered: this module writes the echo itself (see ``_echo``), and a
        question left with '<' (back) or '?' (help) leaves nothing that looks unanswered."""
        app = getattr(question, "application", None)
        if app is not None:
            app.erase_when_done = True
        return question

    def select(self, message: str, options: Sequence[Option], default: str | None = None) -> str:
        import questionary

        self._prompting(message, options)
        # Number keys choose only while the numbers are 1 to 9: after that questionary goes on with 0 and
        # letters, which would not match the numbers people read. Longer lists are numbered in the labels.
        shortcuts = len(options) <= 9
        message = self._message(message)
        hint = _("(arrow keys or number, then Enter)") if shortcuts else _("(arrow keys, then Enter)")
        question = questionary.select(
            message,
            choices=self._choices(options, numbered=not shortcuts, indent=6 if shortcuts else 3),
            default=default,
            pointer=self.pointer,
            use_shortcuts=shortcuts,
            use_jk_keys=False,
            use_emacs_keys=True,
            instruction=self._instruction(message, hint),
            style=_style(self.colour),
        )
        self._erase_when_done(question)
        self._check_input()
        answer = str(_typed_words(self._command_keys(question, options, lambda key: key), options).unsafe_ask())
        self._wipe_errors()
        chosen = next((o for o in options if o.key == answer), None)
        if chosen is not None and not chosen.command:
            self._echo(message, chosen.label)
        return answer

    def multi(
        self, message: str, options: Sequence[Option], checked: frozenset[str], none_allowed: bool = True
    ) -> frozenset[str]:
        import questionary

        self._prompting(message, options)

        message = self._message(message)
        boxes = [o for o in options if not o.command]  # help and back are keys, never boxes to tick
        keys = " ".join(f"{o.shortcut}\xa0{o.label.split(' ')[0].lower()}" for o in options if o.command)
        hint = (
            _("(Space to tick, Enter when done; {keys})").format(keys=keys)
            if keys
            else _("(Space to tick, Enter when done)")
        )
        question = questionary.checkbox(
            message,
            choices=self._choices(boxes, checked, indent=5),
            pointer=self.pointer,
            use_jk_keys=False,
            instruction=self._instruction(message, hint),
            style=_style(self.colour),
        )

        def ticked() -> list[str]:
            """The boxes ticked so far, so that typing ? or < keeps them with the command."""
            for control in question.application.layout.find_all_controls():
                selected = getattr(control, "selected_options", None)
                if isinstance(selected, list):
                    return [str(v) for v in selected]
            return []

        self._erase_when_done(question)
        self._check_input()
        answer = self._command_keys(question, options, lambda key: [key, *ticked()]).unsafe_ask()
        self._wipe_errors()
        keys_chosen = frozenset(str(a) for a in answer)
        if not any(o.command and o.key in keys_chosen for o in options) and keys_chosen:
            self._echo(message, ", ".join(o.label for o in boxes if o.key in keys_chosen))
        return keys_chosen

    def text(
        self, message: str, check: Callable[[str], str | None], default: str = "", echo: str | None = None
    ) -> str:
        """A line of text; what is wrong is said in full (wrapped) and the line asked again with what was
        typed, rather than cut to one line at the foot of the prompt."""
        import questionary

        self._prompting(message)

        wrapped = self._message(message)
        asked = wrapped
        if len(wrapped.split("\n")[-1]) + 2 > _width(self.out) - 16:
            asked += "\n "  # too little room left to type on that line: the answer goes on the next one
        while True:
            question = questionary.text(asked, default=default, style=_style(self.colour))
            self._check_input()
            answer = _command_after(str(self._erase_when_done(question).unsafe_ask()).strip(), default)
            self._wipe_errors()
            problem = check(answer)
            if problem is None:
                if answer and _plain_word(answer) not in COMMAND_WORDS:
                    self._echo(self._message(echo) if echo is not None else wrapped, answer)
                return answer
            self.show(problem, "error")
            default = answer

    def echo(self, message: str, answer: str) -> None:
        """Say a question's answer when it was given another way (the person confirmed none, say)."""
        self._echo(self._message(message), answer)


def _spelled(folded: str, choices: Sequence[Option]) -> Option | None:
    """The choice a typed word (see :func:`_plain_word`) spells: one whose key, label or other word it is
    ('no' is No, not 'Not sure'), else the only one whose label it begins ('not' is Not sure)."""
    exact = [o for o in choices if folded in (o.key.lower(), _plain_word(o.label), *(_plain_word(a) for a in o.aliases))]
    if exact:
        return exact[0]
    starts = [o for o in choices if folded and _plain_word(o.label).startswith(folded)]
    return starts[0] if len(starts) == 1 else None


def _typed_words(question: Any, options: Sequence[Option]) -> Any:
    """Letters typed at an arrow-key list move the pointer to the choice they spell ("yes", "no", "not
    sure", "si"): the person who types a word instead of using the arrows lands on it, and Enter takes it.
    A word that fits several choices moves to the one it spells whole ("no", not "not sure"), else stays.
    After a pause of 2 s the letters start a new word."""
    import time

    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings

    choices = [o for o in options if not o.command]
    typed, last = "", 0.0
    bindings = KeyBindings()

    def move(event: Any) -> None:
        nonlocal typed, last
        now = time.monotonic()
        typed = (typed if now - last <= 2.0 else "") + event.data
        last = now
        spelled = _spelled(_plain_word(typed), choices)  # as a word typed in plain mode is
        if spelled is None:
            return
        chosen = spelled.key
        try:
            from questionary.prompts.common import InquirerControl

            for control in event.app.layout.find_all_controls():
                if isinstance(control, InquirerControl):
                    for i, choice in enumerate(control.choices):
                        if getattr(choice, "value", None) == chosen:
                            control.pointed_at = i
                            return
        except Exception:  # noqa: BLE001 - a word that cannot move the pointer changes nothing
            return

    for letter in "abcdefghijklmnopqrstuvwxyz ":
        bindings.add(letter)(move)
    app = question.application
    app.key_bindings = merge_key_bindings([app.key_bindings, bindings])
    return question


def _style(colour: bool) -> Any:
    if colour:
        return None
    from prompt_toolkit.styles import Style

    return Style([("", "noinherit")])
