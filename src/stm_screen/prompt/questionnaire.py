"""The questionnaire: a :class:`~stm_screen.prompt.flow.Flow` asked through a :class:`Prompter`.

This module decides what is said and asked; the prompter decides how it looks. ``run`` returns when the
person asks for the result (or stops after an emergency); Ctrl-C and end of input propagate as
``KeyboardInterrupt``/``EOFError`` with the answers still in the flow, for the caller to save.
"""

from __future__ import annotations

from collections.abc import Callable

from stm_screen.core.answers import (
    Answer,
    AnswerValueError,
    allowed,
    describe,
    parse_answer,
    parse_number,
    parse_typed,
)
from stm_screen.core.contacts import Contacts, fill
from stm_screen.core.engine import known_answer
from stm_screen.core.language import region_terms
from stm_screen.core.quantity import spoken, vocabulary
from stm_screen.core.ruleset import UNSURE, Question, RedFlag, Ruleset
from stm_screen.i18n import N_, _, current, ngettext
from stm_screen.prompt.ask import Option, Prompter
from stm_screen.prompt.flow import Flow

# Labels are English here and said in the tool's language where they are shown (shown()).
HELP = Option("__help__", N_("Help for this question"), "?")
BACK = Option("__back__", N_("Back to the previous question"), "<")
RESULT = Option("__result__", N_("Show my result"), "r")
STOP = "stop"
CARRY_ON = "carry_on"
MISTAKE = "mistake"
# Yes / no / not sure, in this order everywhere a yes/no question is asked.
YES_NO = (Option("yes", N_("Yes")), Option("no", N_("No")))
NOT_SURE = Option(UNSURE, N_("Not sure"))
HELP_WORDS = {"?", "help", "ayuda"}
BACK_WORDS = {"<", "back", "atrás", "atras"}


def shown(option: Option, lang: str | None = None) -> Option:
    """An option with its label in the tool's language, and the words that also choose it when typed: those
    of ``lang`` and English's ('yeah', 'nope', 'sí'), the same words ``score`` reads, without file-only ones."""
    vocab = vocabulary(lang)
    words = spoken({"yes": vocab.yes, "no": vocab.no, UNSURE: vocab.unsure}.get(option.key, frozenset()))
    return Option(option.key, _(option.label), option.shortcut, (*option.aliases, *sorted(words)))


SaveHook = Callable[[Flow], None]


def _section_title(title: str, safety: bool) -> str:
    """A section's title, with "(safety questions)" after it in a safety section unless the title already
    says so ("Safety check" is not followed by "(safety questions)")."""
    if not safety or _("safety").casefold() in title.casefold():
        return title
    return title + " " + _("(safety questions)")


def welcome(ruleset: Ruleset, count: int, patient: str | None = None) -> list[tuple[str, str]]:
    """The opening paragraphs, as (kind, text)."""
    minutes = max(2, round(count * 10 / 60))
    out = [("title", str(ruleset.title) or _("Pain screening"))]
    if patient:
        out.append(("note", _("Patient reference: {ref}").format(ref=patient)))
    out.append(
        (
            "intro",
            ngettext(
                "This screening asks up to {count} short question and takes about {minutes} minutes.",
                "This screening asks up to {count} short questions and takes about {minutes} minutes.",
                count,
            ).format(count=count, minutes=minutes)
            + " "
            + region_terms(
                _(
                    "It first checks for warning signs that need a doctor, then whether seeing a physical "
                    "therapist may help with your pain."
                ),
                current(),
                ruleset.country,
            ),
        )
    )
    out.append(("intro", _("It is a screening aid, not a diagnosis.")))
    out.append(
        (
            "note",
            _(
                "Type ? for help with any question. You can go back to change an answer, and you will see all "
                "your answers before the result. Press Ctrl-C to stop at any time: your answers are saved."
            ),
        )
    )
    return out


def _label(q: Question) -> str:
    text = str(q.text)
    if q.type in ("integer", "number"):
        return f"{text}\n  ({allowed(q)})"
    return text


def _short(text: str, width: int) -> str:
    """Cut at a word, with an ellipsis, when longer than ``width``."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: max(1, width - 1)]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:") + "…"


def _skip_name(q: Question) -> str:
    """A question named in a sentence: its text without the scale in brackets at its end, cut at a word
    when long ("Over the past week, how bad has the pain been on average?")."""
    text = " ".join(str(q.text).split())
    if text.endswith(")") and " (" in text:
        text = text[: text.rfind(" (")].rstrip()
    return _short(text, 70)


def review_label(question: str, answer: str, width: int | None) -> str:
    """'Question - answer' in the review list: the answer always whole; the question whole when the
    labels wrap (plain mode), else as much of it as fits the terminal."""
    if width is None:
        return f"{' '.join(question.split())} - {answer}"
    room = max(20, width - len(answer) - 3)
    return f"{_short(question, room)} - {answer}"


def _raw_default(q: Question, value: Answer | None) -> str:
    if value is None or isinstance(value, bool | frozenset | str):
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _bool_key(value: Answer) -> str:
    if value == UNSURE:
        return UNSURE
    return "yes" if value else "no"


class Questionnaire:
    """Asks every question that applies, handles help/back/review, and acts on emergencies at once."""

    def __init__(
        self,
        flow: Flow,
        prompter: Prompter,
        on_change: SaveHook | None = None,
        contacts: Contacts | None = None,
    ) -> None:
        self.flow = flow
        self.prompter = prompter
        self.on_change = on_change
        self.contacts = contacts
        self._sections_shown: set[str] = set()
        self._marked_sections: dict[str, set[str]] = {}  # the sections shown when each question was asked
        self._ticked: frozenset[str] | None = None  # ticks made before asking for help: kept for the re-ask

    def run(self) -> Flow:
        flow = self.flow
        while True:
            q = flow.current
            if q is None:
                if flow.stopped_early or self.review():
                    return flow
                continue
            self.intro(q)
            self.ask(q)

    # --- one question -----------------------------------------------------------------------------------

    def intro(self, q: Question) -> None:
        """A section's title and intro, once: not again when going back or changing an answer."""
        if q.section is None or q.section in self._sections_shown:
            return
        self._sections_shown.add(q.section)
        section = self.flow.ruleset.sections[q.section]
        say = self.prompter.show
        say("")
        say(_section_title(str(section.title), section.safety), "title")
        if section.module is not None:
            self.module_intro(section.module)
        if str(section.intro):
            say(str(section.intro), "intro")
        elif section.safety:  # the ruleset's own intro says this in its words (said once, not twice)
            say(
                _("If an answer means you need urgent help, you will be told straight away what to do."),
                "note",
            )

    def module_intro(self, module_id: str) -> None:
        """Before an instrument's first question: its attribution, and whether the person fits whom it is
        meant for (STarT Back is for low back pain)."""
        ruleset = self.flow.ruleset
        mod = ruleset.module(module_id)
        say = self.prompter.show
        cond = ruleset.audience.get(module_id)
        if cond is not None:
            fits = cond.evaluate(self.flow.values())
            if fits is not True:
                said = _("your answers do not show that") if fits is False else _("your answers do not say")
                say(
                    _(
                        "{name} is meant for {who}, and {said}. You can answer it anyway; its result may not "
                        "apply to you."
                    ).format(name=mod.short, who=mod.intended_for, said=said),
                    "note",
                )
        say(" ".join(mod.copyright.split()), "note")

    def ask(self, q: Question) -> None:
        flow = self.flow
        number, total = flow.position()
        message = f"({number}/{total}) {_label(q)}"
        self.prompter.mark(q.id)
        self._marked_sections[q.id] = set(self._sections_shown)
        while True:
            outcome = self._ask_once(q, message)
            if outcome == "help":
                help_text = str(q.help) or _("Answer as best you can; there is no wrong answer.")
                self.prompter.show(help_text, "help")
                continue
            if outcome == "back":
                if not flow.back():
                    self.prompter.show(_("This is the first question."), "note")
                    continue
                earlier = flow.current
                if earlier is not None and self.prompter.rewind(earlier.id):
                    # everything since that question was asked is wiped: the headings of sections begun
                    # after it are said again when their questions come again
                    self._sections_shown = {
                        s for s in self._sections_shown if s in self._marked_sections.get(earlier.id, set())
                    }
                else:
                    self.prompter.take_back_answer()
                return
            if outcome == "blank":
                fired = flow.leave_blank()
            else:
                assert isinstance(outcome, tuple)
                fired = flow.answer(outcome[0])
            if self.on_change is not None:
                self.on_change(flow)
            if fired:
                self.emergency(fired, asked=q)
            return

    def _ask_once(self, q: Question, message: str) -> str | tuple[Answer]:
        default = self.flow.default(q)
        p = self.prompter
        lang = self.flow.ruleset.lang
        if q.type in ("boolean", "choice"):
            if q.type == "boolean":
                options = [shown(o, lang) for o in ([*YES_NO, NOT_SURE] if q.unsure else YES_NO)]
                key_default = None if default is None else _bool_key(default)
            else:
                options = [Option(c.id, str(c.label)) for c in q.choices]
                if q.unsure:
                    options.append(shown(NOT_SURE, lang))
                key_default = default if isinstance(default, str) else None
            if q.safety or key_default is None:
                # No answer is ever recorded that the person did not choose: nothing is pre-selected (in the
                # arrow-key prompt the pointer starts on Help, so Enter alone shows the help, and typing
                # Enter in plain mode asks for a number). A safety question is not even pre-set to the
                # answer given before: it is chosen again when asked again.
                key_default = None if self.prompter.plain else HELP.key
            key = p.select(message, [*options, shown(HELP), shown(BACK)], default=key_default)
            if key == HELP.key:
                return "help"
            if key == BACK.key:
                return "back"
            return (parse_answer(q, key, lang),)
        if q.type == "multi_choice":
            checked = default if isinstance(default, frozenset) else frozenset()
            if self._ticked is not None:
                checked, self._ticked = self._ticked, None
            options = [Option(c.id, str(c.label)) for c in q.choices]
            keys = p.multi(message, [*options, shown(HELP), shown(BACK)], checked, none_allowed=not q.required)
            if BACK.key in keys:
                return "back"
            if HELP.key in keys:
                self._ticked = frozenset(keys) - {HELP.key}
                return "help"
            if not keys and q.required:
                p.show(_("please choose at least one answer (? for help)."), "error")
                return self._ask_once(q, message)
            if not keys and not p.plain:  # Enter with nothing ticked: asked, never taken as 'none'
                sure = p.select(
                    _("Nothing is ticked. Does none of these apply to you?"),
                    [Option("none", _("None of these applies")), Option("again", _("Go back to the list"))],
                    default="again",
                )
                if sure == "again":
                    return self._ask_once(q, message)
                p.echo(message, _("none of these"))
            return (frozenset(keys),)
        # numbers: typed, checked as typed
        raw = p.text(
            message,
            lambda text: self._check_text(q, text, lang),
            default=_raw_default(q, default),
            echo=message.split("\n")[0],
        )
        word = raw.strip().lower()
        if word in HELP_WORDS:
            return "help"
        if word in BACK_WORDS:
            return "back"
        if not word:
            # Enter with nothing typed: asked, never taken as a skip at once (a stray Enter would leave a
            # reason for physical therapy, or a level's guard, unanswered without a word)
            sure = p.select(
                _('Nothing was typed for "{question}". Skip this question?').format(question=_skip_name(q)),
                [
                    Option("again", _("No, answer it")),
                    Option("skip", _("Yes, skip it (it counts as not answered)")),
                    Option(BACK.key, _("Back to the question"), "<"),  # '<' here: the question itself
                ],
                default="again",
            )
            if sure != BACK.key:  # (a command chosen leaves no answer on screen to take back)
                p.take_back_answer()  # the choice is not left on screen: the question says what became of it
            if sure != "skip":
                return self._ask_once(q, message)
            p.echo(message.split("\n")[0], _("skipped"))
            return "blank"
        value, counted = parse_typed(q, raw, lang)
        if counted:
            p.show(counted + ".", "note")
        return (value,)

    @staticmethod
    def _check_text(q: Question, text: str, lang: str | None = None) -> str | None:
        word = text.strip().lower()
        if word in HELP_WORDS or word in BACK_WORDS:
            return None
        if not word:
            return (
                None
                if not q.required
                else _("please type {allowed} (? for help)").format(allowed=allowed(q))
            )
        if "\n" in word:  # several lines pasted at once
            return _("please type one answer on one line: {allowed}").format(allowed=allowed(q))
        try:
            parse_typed(q, text, lang)
        except AnswerValueError as exc:
            if "," in word:
                try:
                    parse_number(q, word, decimal_comma=True)
                except AnswerValueError:
                    pass
                else:
                    return _("please use a point for decimals, like {number}").format(
                        number=word.replace(",", ".")
                    )
            return _("{problem} (? for help, < to go back)").format(problem=exc)
        return None

    # --- emergencies --------------------------------------------------------------------------------------

    def answered_yes(self, fired: list[RedFlag]) -> Question | None:
        """The last question answered yes among those behind these warning signs (for a resumed screening:
        the answer that may have been a mistake)."""
        names = {n for rf in fired for n in rf.when.names}
        # An instrument's answer that answered one of these questions yes (PHQ-9 item 9) counts too.
        fed = {
            n
            for f in self.flow.ruleset.feeds
            if f.question in names and f.when.evaluate(self.flow.answers)
            for n in f.when.names
        }
        found = None
        for q in self.flow.questions:
            if q.id in names and q.type == "boolean" and known_answer(q, self.flow.answers.get(q.id)) is True:
                found = q
            elif q.id in fed and q.id in self.flow.answers:
                found = q
        return found

    def emergency(self, fired: list[RedFlag], asked: Question | None = None) -> None:
        """Say at once what to do, then let the person stop, carry on, or take back a mistaken answer (not
        when the person has already chosen to stop: then the result follows)."""
        say = self.prompter.show
        for rf in fired:
            say("")
            # 'read', not 'act on this': beside 'Thoughts of hurting yourself', 'act on' reads as acting on them.
            # The sign on a line of its own: "URGENT: Please read this now: <sign>" had two colons in a line.
            say(_("Please read this now.") + "\n" + fill(str(rf.title), self.contacts), "urgent")
            say(fill(str(rf.message), self.contacts), "")
        say("")
        if self.flow.stopped_early:
            # the person already chose to stop (this came from the question asked before the result): the
            # result follows, with no second offer to stop
            return
        if self.flow.current is None:  # that was the last question: only the review is left
            message = _("You can stop here and see your result, or check your answers first.")
            carry_on = _("Check my answers first")
        else:
            message = _("You can stop here and see your result, or finish the remaining questions first.")
            carry_on = _("Finish the remaining questions")
        options = [Option(STOP, _("Stop here and show my result")), Option(CARRY_ON, carry_on)]
        if asked is not None:
            options.append(Option(MISTAKE, _("I gave that answer by mistake: go back to the question")))
        # No default in plain mode: the result comes only after the person chooses to stop.
        choice = self.prompter.select(message, options, default=None if self.prompter.plain else STOP)
        if choice == STOP:
            follow_up = self.flow.escalating_follow_up(fired)
            if follow_up is None:
                self.flow.stop()
            else:  # one question can make this more urgent: it comes first (the ASQ's acuity question)
                self.flow.stop_after_answer(follow_up)
                say(_("One more question before your result:"), "note")
        elif choice == MISTAKE and asked is not None:
            # Asked again with no answer chosen; a yes given again is announced again.
            self.flow.announced -= {rf.id for rf in fired}
            self.flow.answers.pop(asked.id, None)
            self.flow.change(asked.id)

    # --- review -------------------------------------------------------------------------------------------

    def review(self) -> bool:
        """Show every answer; True when the person wants the result, False after a change was chosen."""
        rows = self.flow.review()
        options = []
        width = self.prompter.line_width()
        for row in rows:  # the prompter numbers the choices, so that the numbers shown are the keys to type
            answer = _("not answered") if row.value is None else describe(row.question, row.value)
            options.append(Option(row.question.id, review_label(str(row.question.text), answer, width)))
        self.prompter.show("")
        self.prompter.show(_("Please check your answers"), "title")
        key = self.prompter.select(
            _("Choose an answer to change it, or confirm to see your result."),
            [*options, shown(RESULT)],
            default=RESULT.key,
        )
        if key == RESULT.key:
            return True
        self.flow.change(key)
        return False
