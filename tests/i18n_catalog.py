"""The gettext catalogue of the tool's own text (test helper, and the maintainers' command to update it).

    python tests/i18n_catalog.py   # extract the marked strings and merge them into every .po catalogue

New strings arrive in each ``.po`` as untranslated (or fuzzy, when Babel guesses from a similar string):
translate them, remove the ``fuzzy`` flag, then ``pip install -e .`` compiles the catalogues again.
``tests/test_i18n.py`` fails while any is missing or fuzzy.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "stm_screen"
LOCALE = PACKAGE / "locale"
DOMAIN = "stm_screen"
KEYWORDS = {"_": None, "N_": None, "L_": (1,), "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def extract() -> Catalog:
    """Every marked string in the package, with where it is used."""
    template = Catalog(project="stm-screen", domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE,
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        template.add(
            message, None, [(f"stm_screen/{filename}", lineno)], auto_comments=comments, context=context
        )
    return template


def catalogue_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(lang: str) -> Catalog:
    with catalogue_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def update() -> None:
    template = extract()
    for po in sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po.parent.parent.name
        catalog = read(lang)
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()
        with po.open("wb") as handle:
            write_po(handle, catalog, width=110, sort_output=False, include_previous=True)
        missing = sum(1 for m in catalog if m.id and (not m.string or m.fuzzy))
        sys.stdout.write(f"{po.relative_to(ROOT)}: {len(catalog)} messages, {missing} to translate\n")


if __name__ == "__main__":
    update()
