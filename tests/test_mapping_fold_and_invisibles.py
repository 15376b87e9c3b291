"""Two ways a mapping or rules file could say something other than what its reader sees.

Value keys that read the same cells (bug D): a mapping file's value map is looked up with the cell folded
(case and runs of spaces do not count), so two keys such as ``"no"`` and ``"No"`` read the same cells, and
the one written last won, even over a key that matched the cell exactly: the answer depended on the keys'
order. Such keys are refused where the file is loaded (exit 2, at the second key's FILE:LINE:COL, naming
both), unless they give the same answer. Keys that YAML itself reads as one key (``yes`` and ``Yes`` are
both true, ``1`` and ``01`` both the number 1) are refused as duplicate keys in every YAML file.

Invisible characters beside a digit (bug G): a crisis number copied from the screen could not be dialled
when it held a character no one sees. The direction marks, the grapheme joiner, the variation selectors,
the Hangul fillers and the Khmer inherent vowels were let through. Now every format character (Unicode
category Cf, but the visible prepended concatenation marks that are written before digits) and every
default-ignorable code point is refused next to a digit, in rules and mapping files alike, and left out of
the keys --suggest-map writes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stm_screen.batch.mapping import load_mapping
from stm_screen.batch.presets import fold
from stm_screen.batch.values import ValueOptions, converter
from stm_screen.cli.app import app
from stm_screen.errors import MappingError
from stm_screen.io.yamlfile import YamlProblems, parse, refused_in_text
from stm_screen.rules.loader import load_ruleset
from tests.batch_helpers import invoke, rows

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
RULESET = load_ruleset()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _answer(mapping_path: Path, cell: str) -> object:
    """The answer a night_pain cell gets through the mapping's value map."""
    spec = load_mapping(str(mapping_path), RULESET).columns[0]
    q = RULESET.by_id["night_pain"]
    return converter(q, ValueOptions(value_map=spec.values))(cell)


# -- bug D: value keys that read the same cells ------------------------------------------------------------


@pytest.mark.parametrize("keys", [('"no": no', '"No": yes'), ('"No": yes', '"no": no')], ids=["exact-first", "exact-last"])
def test_value_keys_differing_in_case_are_refused_at_the_second_key(tmp_path: Path, keys: tuple[str, str]) -> None:
    csv = _write(tmp_path, "m.csv", "id,night_pain\nP1,no\n")
    line = f"    values: {{{keys[0]}, {keys[1]}}}"
    mapping = _write(tmp_path, "m.yaml", f"columns:\n  night_pain:\n    question: night_pain\n{line}\n")
    result = invoke(str(csv), "--map", str(mapping), "--allow-missing")
    assert result.exit_code == 2, result.output
    first, second = (k.split(":")[0].strip('"') for k in keys)
    col = line.index(keys[1]) + 1
    said = [x for x in result.stderr.splitlines() if f"{mapping}:4:{col}: " in x]
    assert said and f"'{first}'" in said[0] and f"'{second}'" in said[0], result.stderr
    assert not result.stdout  # nothing scored


def test_value_keys_differing_in_surrounding_and_inner_spaces_are_refused(tmp_path: Path) -> None:
    mapping = _write(
        tmp_path,
        "m.yaml",
        'columns:\n  night_pain:\n    question: night_pain\n    values:\n      "Not at all": no\n'
        '      "  not   at all ": yes\n',
    )
    with pytest.raises(MappingError) as caught:
        load_mapping(str(mapping), RULESET)
    [problem] = caught.value.problems
    assert (problem.line, problem.col) == (6, 7), problem
    assert "'Not at all'" in str(problem) and "'  not   at all '" in str(problem)


def test_value_keys_that_read_the_same_cells_and_give_the_same_answer_are_accepted(tmp_path: Path) -> None:
    mapping = _write(
        tmp_path,
        "m.yaml",
        'columns:\n  night_pain:\n    question: night_pain\n    values: {"No": no, "no": false, " NO ": "No"}\n',
    )
    assert _answer(mapping, "no") is False and _answer(mapping, "NO") is False


def test_an_unquoted_yes_or_no_key_reads_its_other_spellings_too(tmp_path: Path) -> None:
    """YAML reads an unquoted no as false, and the key then reads the cells false, no, off and n: a quoted
    key for one of those cells with another answer is the same kind of clash."""
    mapping = _write(
        tmp_path, "m.yaml", 'columns:\n  night_pain:\n    question: night_pain\n    values: {no: no, "N": yes}\n'
    )
    with pytest.raises(MappingError) as caught:
        load_mapping(str(mapping), RULESET)
    [problem] = caught.value.problems
    assert (problem.line, problem.col) == (4, len('    values: {no: no, ') + 1), problem
    assert "'no'" in str(problem) and "'N'" in str(problem)


@pytest.mark.parametrize(
    "pair",
    [("yes", "Yes"), ("no", "NO"), ("on", "true"), ("1", "01"), ("1", "1.0"), ("1", "yes"), ("~", "null")],
)
def test_keys_that_yaml_reads_as_one_key_are_refused(tmp_path: Path, pair: tuple[str, str]) -> None:
    """Both are the same key once read (true, the number 1, nothing): the first would be lost silently."""
    text = f"columns:\n  night_pain:\n    question: night_pain\n    values:\n      {pair[0]}: no\n      {pair[1]}: yes\n"
    mapping = _write(tmp_path, "m.yaml", text)
    with pytest.raises(MappingError) as caught:
        load_mapping(str(mapping), RULESET)
    said = "\n".join(map(str, caught.value.problems))
    assert f"{mapping}:6:7: duplicate key '{pair[1]}'" in said and f"'{pair[0]}'" in said, said


def test_column_keys_that_yaml_reads_as_one_key_are_refused(tmp_path: Path) -> None:
    mapping = _write(tmp_path, "m.yaml", "columns:\n  Yes: night_pain\n  yes: pain_trend\n")
    with pytest.raises(MappingError) as caught:
        load_mapping(str(mapping), RULESET)
    said = "\n".join(map(str, caught.value.problems))
    assert f"{mapping}:3:3: duplicate key 'yes'" in said and "'Yes'" in said, said


def test_two_column_keys_naming_the_same_column_are_refused(tmp_path: Path) -> None:
    """``01`` (the number 1) and ``"1"`` (the text) are two YAML keys, but the same column '1'."""
    mapping = _write(tmp_path, "m.yaml", 'columns:\n  01: night_pain\n  "1": pain_trend\n')
    with pytest.raises(MappingError) as caught:
        load_mapping(str(mapping), RULESET)
    said = "\n".join(map(str, caught.value.problems))
    assert re.search(rf"{re.escape(str(mapping))}:3:3: .*'1'.*'01'", said), said


def test_column_keys_differing_in_case_each_take_their_own_header(tmp_path: Path) -> None:
    """Column titles that fold the same are not a clash: a header is matched exactly first, and an entry no
    header matches stops the run (exit 2), so neither is ever silently the other's."""
    both = _write(tmp_path, "both.csv", "id,Night pain,night pain\nP1,no,yes\n")
    mapping = _write(tmp_path, "m.yaml", "columns:\n  Night pain: night_pain\n  night pain: {question: weakness_fast}\n")
    got = rows(invoke(str(both), "--map", str(mapping), "--allow-missing").stdout)
    assert "constant_night_pain" not in got[0]["red_flags"]
    one = _write(tmp_path, "one.csv", "id,NIGHT PAIN\nP1,no\n")
    result = invoke(str(one), "--map", str(mapping), "--allow-missing")
    assert result.exit_code == 2 and "night pain" in result.stderr, result.output


_TEXT = st.text(
    st.characters(whitelist_categories=("Lu", "Ll", "Lt", "Nd", "Po", "Zs"), blacklist_characters="\\\"'#:{}[],&*!|>%@`"),
    min_size=1,
    max_size=12,
)


@st.composite
def _same_cells(draw: st.DrawFn) -> tuple[str, str]:
    """Two different key texts that a reader folding case and spaces takes for the same cell."""
    text = draw(_TEXT).strip()
    assume(text)
    out = []
    for ch in text:
        choice = draw(st.sampled_from(["keep", "upper", "lower", "casefold"]))
        out.append(ch if choice == "keep" else getattr(ch, choice)())
    other = "".join(out)
    if draw(st.booleans()):
        other = draw(st.sampled_from([" ", "  ", "\t", "\u00a0", "\u3000"])) + other
    if draw(st.booleans()):
        other = other.replace(" ", draw(st.sampled_from(["  ", " \t ", "\u2003"])))
    if draw(st.booleans()):
        other += draw(st.sampled_from([" ", "   ", "\u00a0"]))
    return text, other


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=_same_cells(), order=st.booleans())
def test_any_two_keys_a_cell_cannot_tell_apart_never_load_with_different_answers(
    tmp_path: Path, pair: tuple[str, str], order: bool
) -> None:
    """Whatever the keys, a mapping that loads gives each key's own cell its own answer; two keys whose
    cells the reader cannot tell apart (the same text once case and spaces are set aside) cannot both have
    their own answer, so the file is refused, at the second key, naming both."""
    a, b = pair
    assume(a != b)
    keys = [(a, "no"), (b, "yes")] if order else [(b, "yes"), (a, "no")]
    assume(fold(a) == fold(b))  # (a reader's fold is the oracle of "cannot tell apart")
    body = ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {v}" for k, v in keys)
    mapping = _write(tmp_path, "m.yaml", f"columns:\n  night_pain:\n    question: night_pain\n    values: {{{body}}}\n")
    try:
        spec = load_mapping(str(mapping), RULESET).columns[0]
    except MappingError as exc:
        [problem] = exc.problems
        assert problem.line == 4 and problem.col == len("    values: {") + body.index(", ") + 3, problem
        return
    q = RULESET.by_id["night_pain"]
    read = converter(q, ValueOptions(value_map=spec.values))
    assert [read(k) for k, _ in keys] == [v == "yes" for _, v in keys], "a key is read as another key's answer"


# -- bug G: invisible characters beside a digit ------------------------------------------------------------

LISTED = [
    "\u200e", "\u200f", "\u061c",  # direction marks
    "\u034f",  # combining grapheme joiner
    *map(chr, range(0xFE00, 0xFE10)),  # variation selectors
    "\U000e0100", "\U000e01ef",  # the supplementary variation selectors, first and last
    "\u115f", "\u1160", "\uffa0",  # Hangul fillers
    "\u17b4", "\u17b5",  # Khmer inherent vowels
]  # fmt: skip
# Format characters that are seen: written before (or around) the digits of a number they mark, as the
# Arabic number sign and the end of ayah (Unicode's Prepended_Concatenation_Mark).
SEEN = {0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD}


def _invisible() -> list[str]:
    """Every character a reader does not see, from Unicode's properties as this Python knows them: format
    characters (Cf) but those that are seen, variation selectors, the Hangul fillers, the grapheme joiner,
    the Khmer inherent vowels, and the other default-ignorable code points."""
    found = []
    for code in range(0x110000):
        ch = chr(code)
        name = unicodedata.name(ch, "")
        if (unicodedata.category(ch) == "Cf" and code not in SEEN) or "VARIATION SELECTOR" in name or "FILLER" in name and "HANGUL" in name:
            found.append(ch)
    return [*found, "\u034f", "\u17b4", "\u17b5", "\u2065", *map(chr, range(0xFFF0, 0xFFF9)), "\U000e0000", "\U000e0fff"]


INVISIBLE = _invisible()


def _q(text: str) -> str:
    """``text`` as a double-quoted YAML text, every character past ASCII written as its escape."""
    return '"' + "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else f"\\U{ord(ch):08x}" for ch in text) + '"'


def _problems(text: str) -> list[str]:
    try:
        parse(text, "r.yaml")
    except YamlProblems as exc:
        return [str(p) for p in exc.problems]
    return []


def test_every_listed_character_is_among_those_derived_from_unicode() -> None:
    assert set(LISTED) <= set(INVISIBLE)


@pytest.mark.parametrize("ch", LISTED, ids=lambda c: f"U+{ord(c):04X}")
def test_a_listed_character_beside_a_digit_in_a_rules_file_is_refused(tmp_path: Path, ch: str) -> None:
    text = (ROOT / "rules" / "pt-screen.yaml").read_text(encoding="utf-8")
    assert "Pain 2019" in text
    rules = _write(tmp_path, "r.yaml", text.replace("Pain 2019", f"Pain 2{ch}019"))
    r = CliRunner().invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 2, r.output
    line = text[: text.index("Pain 2019")].count("\n") + 1
    assert f"the text holds the invisible character U+{ord(ch):04X}" in r.stderr and f"{rules}:{line}:" in r.stderr


@pytest.mark.parametrize("where", ["9{c}11", "911{c}", "{c}911", "call 9{c}{c}11"])
def test_every_invisible_character_beside_a_digit_is_refused(where: str) -> None:
    missed = []
    for ch in INVISIBLE:
        said = _problems(f"message: {_q(where.format(c=ch))}\n")
        if not any(f"U+{ord(ch):04X}" in s for s in said):
            missed.append(f"U+{ord(ch):04X}")
    assert not missed, missed


def test_a_run_of_invisible_characters_beside_a_digit_is_refused_and_left_out_whole() -> None:
    text = "1\u200b\u200e\u200bx"
    assert _problems(f"message: {_q(text)}\n")
    assert refused_in_text(text) == "1x"
    for ch in INVISIBLE:
        kept = refused_in_text(f"Pain 2{ch}{ch}019 ({ch}9{ch})")
        assert not _problems(f"k: {_q(kept)}\n"), f"U+{ord(ch):04X}"


def test_a_long_run_of_invisible_characters_is_read_in_time() -> None:
    """A run is tried from its first character only: 100,000 zero-width spaces between letters took time
    in proportion to the square of their number when tried from each."""
    import time

    start = time.perf_counter()
    for text in ("a" + "\u200b" * 100_000 + "b", "a" + "\u200b" * 100_000 + "1"):
        refused_in_text(text)
        _problems(f"k: {_q(text)}\n")
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize(
    "text",
    [
        "\u05e9\u05b8\u034f\u05c1",  # Hebrew: the grapheme joiner between points
        "\u05e2\u05d1\u05e8\u05d9\u05ea\u200f (12)",  # Hebrew, a right-to-left mark after a word
        "\u0639\u0631\u0628\u064a\u061c \u0661\u0662",  # Arabic: the letter mark after a word
        "\u2764\ufe0f 12",  # an emoji in its colour form
        "\u845b\U000e0100",  # an ideographic variant
        "\u0e20\u0e32\u0e29\u0e32\u200b\u0e44\u0e17\u0e22 12",  # Thai: a zero-width space between words
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: the non-joiner
    ],
)
def test_invisible_characters_between_letters_are_still_text(text: str) -> None:
    assert not _problems(f"message: {_q(text)}\n")


def test_mapping_files_refuse_them_and_suggest_map_leaves_them_out(tmp_path: Path) -> None:
    csv = _write(tmp_path, "s.csv", "Patient ID,Pain score (0\u200e-10),Pain 2\ufe0f019\nP1,4,x\n")
    out = tmp_path / "map.yaml"
    result = invoke(str(csv), "--suggest-map", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "\u200e" not in text and "\u200f" not in text and "\ufe0f" not in text
    assert '"Pain score (0-10)": pain_intensity' in text
    assert '# "Pain 2\\ufe0f019": ' in text  # a column left for a person: shown whole, the selector seen
    assert not _problems(text)  # what it writes loads
    bad = _write(tmp_path, "bad.yaml", 'columns:\n  "Pain score (0\u200e-10)": pain_intensity\n')
    with pytest.raises(MappingError) as caught:
        load_mapping(str(bad), RULESET)
    assert f"{bad}:2:17: the text holds the invisible character U+200E" in str(caught.value)


def test_the_bundled_rules_and_contacts_still_load() -> None:
    r = CliRunner().invoke(app, ["rules", "check", "pt-screen"])
    assert r.exit_code == 0, r.output
    from stm_screen.io.contacts import TABLE

    assert not _problems(TABLE.read_text(encoding="utf-8"))
