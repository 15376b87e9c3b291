"""Build hook: compile the gettext catalogues (``src/stm_screen/locale/*/LC_MESSAGES/*.po``) with Babel.

Catalogues are compiled when the package is built, never at run time:

- a wheel gets each ``.mo`` file added to it (``force_include``), next to its ``.po``;
- an editable install (``pip install -e .``, which the tests use) imports the package from ``src/``, so the
  hook writes each ``.mo`` next to its ``.po`` in the source tree (they are ignored by git). After editing a
  ``.po`` file, run ``pip install -e .`` again (or ``python hatch_build.py``) to rebuild them.

A catalogue with a fuzzy or untranslated entry still compiles (those entries fall back to English); the test
``tests/test_i18n.py`` is what refuses them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
LOCALE = ROOT / "src" / "stm_screen" / "locale"


def compile_catalogues(locale_dir: Path = LOCALE) -> list[Path]:
    """Compile every ``.po`` under ``locale_dir`` to a ``.mo`` beside it; returns the ``.mo`` files."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        tmp.replace(mo)
        written.append(mo)
    return written


try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run as a script without hatchling: only compile_catalogues is needed
    BuildHookInterface = object  # type: ignore[assignment,misc]


class CatalogueHook(BuildHookInterface):  # type: ignore[misc,valid-type]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        written = compile_catalogues(Path(self.root) / "src" / "stm_screen" / "locale")
        if self.target_name == "wheel" and version != "editable":
            for mo in written:
                relative = mo.relative_to(Path(self.root) / "src")
                build_data["force_include"][str(mo)] = str(relative)


if __name__ == "__main__":
    for path in compile_catalogues():
        sys.stdout.write(f"compiled {path.relative_to(ROOT)}\n")
