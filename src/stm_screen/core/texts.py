"""Item wording supplied by the clinic for instruments whose licence does not let stm-screen ship it.

A texts file maps question ids to their wording, in one language or several::

    peg_1: (the clinic's wording of PEG item 1)      # one language
    peg_2: {en: ..., es: ...}                        # a text per language
    sb_9:                                            # text, help and choice labels
      text: ...
      help: ...
      choices: {option_1: ..., option_5: ...}

:func:`apply_texts` checks such data against a ruleset (every id must be an item whose text is supplied,
every choice must be one of the item's) and returns the ruleset with the wording in place. Pure: the file
is read by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stm_screen.core.conditions import suggest
from stm_screen.core.contacts import PLACEHOLDERS, placeholders
from stm_screen.core.language import LANG_CODE
from stm_screen.core.ruleset import Choice, Locate, Question, Ruleset, Words
from stm_screen.errors import Problem, RulesError
from stm_screen.i18n import _

FIELDS = ("text", "help", "choices")
MAX_TEXT = 2000


def _no_locate(path: tuple[str | int, ...], offset: int) -> tuple[str, int, int]:
    return ("", 0, 0)


def owner_name(ruleset: Ruleset, q: Question) -> str:
    if q.module is None:
        return ruleset.id
    return ruleset.module(q.module).short


def apply_texts(
    ruleset: Ruleset,
    data: Any,
    *,
    origin: str = "",
    locate: Locate | None = None,
    complete: bool = False,
) -> Ruleset:
    """The ruleset with the clinic's wording for its supplied items. ``complete``: every supplied item must
    have its wording (what ``rules check --texts`` asks). Raises :class:`RulesError` listing every problem."""
    where = locate or _no_locate
    problems: list[Problem] = []

    def bad(path: tuple[str | int, ...], message: str) -> None:
        file, line, col = where(path, 0)
        problems.append(Problem(message, file or origin, line, col))

    if not isinstance(data, Mapping):
        bad((), _("a texts file must be a mapping of question id to wording"))
        raise RulesError(problems)
    supplied = [q.id for q in ruleset.questions if q.supplied]
    langs = list(ruleset.languages)
    found: dict[str, Question] = {}
    for key, value in data.items():
        qid = str(key)
        q = ruleset.by_id.get(qid)
        if q is None:
            shown = qid if len(qid) <= 60 else qid[:57] + "..."
            bad(
                (qid,),
                _("{id}: no such item{suggestion} (items that take wording: {items})").format(
                    id=shown, suggestion=suggest(qid[:200], supplied), items=", ".join(supplied) or _("none")
                ),
            )
            continue
        if not q.supplied:
            bad(
                (qid,),
                _(
                    "{id}: {owner} ships its own wording; a texts file is only for items whose text is supplied "
                    "by the clinic"
                ).format(id=qid, owner=owner_name(ruleset, q)),
            )
            continue
        parts = _parts(value)
        if parts is None:
            bad(
                (qid,),
                _("{id}: give the wording as text, a mapping of language to text, or text/help/choices").format(
                    id=qid
                ),
            )
            continue
        if isinstance(value, Mapping) and parts.get("text") is value:
            keys = [str(k) for k in parts["text"]]
            odd = [k for k in keys if k not in FIELDS]
            if odd and len(odd) < len(keys):
                bad(
                    (qid, odd[0]),
                    _("{id}: '{key}' is not one of text, help, choices{suggestion}").format(
                        id=qid, key=odd[0], suggestion=suggest(odd[0], FIELDS)
                    ),
                )
                continue
        text_at = (qid, "text") if isinstance(value, Mapping) and "text" in value else (qid,)
        text = _words(parts["text"], langs, text_at, bad, qid) if "text" in parts else None
        help_ = _words(parts.get("help"), langs, (qid, "help"), bad, qid) if "help" in parts else None
        choices = q.choices
        labels = parts.get("choices")
        if labels is not None:
            if q.type not in ("choice", "multi_choice") or not isinstance(labels, Mapping):
                bad((qid, "choices"), _("{id}: choices: give a mapping of choice id to label").format(id=qid))
            else:
                named: dict[str, Words] = {}
                for cid, label in labels.items():
                    if str(cid) not in q.choice_ids:
                        bad(
                            (qid, "choices", str(cid)),
                            _("{id}: choices: no choice '{choice}'{suggestion}; the choices are: {choices}").format(
                                id=qid,
                                choice=cid,
                                suggestion=suggest(str(cid), q.choice_ids),
                                choices=", ".join(q.choice_ids),
                            ),
                        )
                        continue
                    words = _words(label, langs, (qid, "choices", str(cid)), bad, qid)
                    if words is not None:
                        named[str(cid)] = words
                choices = tuple(Choice(c.id, named.get(c.id, c.label), c.value) for c in q.choices)
                labels = named
        if text is None:
            if "text" not in parts:
                bad((qid,), _("{id}: the wording (text) is missing").format(id=qid))
            continue
        labelled = q.type not in ("choice", "multi_choice") or (
            isinstance(labels, Mapping) and set(labels) >= set(q.choice_ids)
        )
        found[qid] = q._replace(
            text=text,
            help=help_ if help_ is not None else q.help,
            choices=choices,
            wording=labelled,
        )
    if complete:
        for q in ruleset.questions:
            if not q.supplied:
                continue
            got = found.get(q.id)
            if got is None:
                bad((), _("{id} ({text}): no wording; the questionnaire cannot ask it without").format(id=q.id, text=q.text))
            elif not got.wording:
                missing = [
                    c.id for c in q.choices if str(c.label) == c.id and c.id not in _labelled(data, q.id)
                ]
                bad(
                    (q.id,),
                    _("{id}: no label for choice(s) {choices}; the questionnaire needs them").format(
                        id=q.id, choices=", ".join(missing)
                    ),
                )
    if problems:
        raise RulesError(problems)
    questions = tuple(found.get(q.id, q) for q in ruleset.questions)
    return ruleset._replace(questions=questions, by_id={q.id: q for q in questions})


def _labelled(data: Mapping[Any, Any], qid: str) -> set[str]:
    value = data.get(qid)
    if isinstance(value, Mapping) and isinstance(value.get("choices"), Mapping):
        return {str(k) for k in value["choices"]}
    return set()


def _parts(value: Any) -> dict[str, Any] | None:
    """{'text': ..., 'help': ..., 'choices': ...} from any of the accepted forms."""
    if isinstance(value, str):
        return {"text": value}
    if isinstance(value, Mapping) and value:
        keys = {str(k) for k in value}
        if keys <= set(FIELDS):
            return {str(k): v for k, v in value.items()}
        return {"text": value}  # a mapping of language code to text
    return None


def _words(
    value: Any,
    langs: list[str],
    path: tuple[str | int, ...],
    bad: Any,
    qid: str,
) -> Words | None:
    """Text (one string, or language -> string) as Words; a problem and None when it cannot be used."""
    if isinstance(value, str):
        by_lang = {}
        default = value
    elif isinstance(value, Mapping) and value and all(isinstance(v, str) for v in value.values()):
        by_lang = {str(k): v for k, v in value.items()}
        odd = [k for k in by_lang if not LANG_CODE.fullmatch(k)]
        if odd:
            bad(path, _("{id}: '{code}' is not a language code (en, es, pt-BR, ...)").format(id=qid, code=odd[0]))
            return None
        if langs and langs[0] not in by_lang:
            # The questionnaire is asked in the rules' first language: another language's text would be shown
            # in its place, in the middle of questions in that language.
            bad(
                path,
                _("{id}: no text in '{lang}', the language of these rules (given: {given})").format(
                    id=qid, lang=langs[0], given=", ".join(by_lang)
                ),
            )
            return None
        default = by_lang[langs[0]] if langs else next(iter(by_lang.values()))
    else:
        bad(path, _("{id}: must be text, or a mapping of language code to text").format(id=qid))
        return None
    for text in [default, *by_lang.values()]:
        if not text.strip():
            bad(path, _("{id}: the text is empty").format(id=qid))
            return None
        if len(text) > MAX_TEXT:
            bad(path, _("{id}: the text is too long (at most {limit} characters)").format(id=qid, limit=MAX_TEXT))
            return None
        for name in placeholders(text):
            if name not in PLACEHOLDERS:
                bad(
                    path,
                    _("{id}: unknown placeholder '{placeholder}'; allowed: {allowed}").format(
                        id=qid, placeholder="{" + name + "}", allowed=", ".join("{" + p + "}" for p in PLACEHOLDERS)
                    ),
                )
                return None
    return Words(by_lang, default)
