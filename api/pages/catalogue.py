"""Keeping the English catalogue in step with the texts (docs/pages.md, "Languages").

    .venv/bin/python -m api.pages.catalogue          # extract, update the .po, report
    .venv/bin/python -m api.pages.catalogue --check  # fail if a text has no English

Extraction reads the templates (Jinja's `_()`, `{% trans %}`) and the pages' Python
(`N_("...")`, `gettext(lang, "...")`, `ngettext(lang, "...", "...", n)`), writes
`locale/messages.pot`, and merges it into `locale/en/LC_MESSAGES/messages.po`: new texts
arrive untranslated (Babel may guess a fuzzy translation from a similar one, which is
not used until someone removes the fuzzy flag), texts no longer used are kept as
obsolete entries at the end. Nothing is compiled: the .po is compiled in memory when the
pages start (api/pages/i18n.py).

Not imported by the service; the tests call `missing()` (tests/unit/test_pages_i18n.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from api.pages.i18n import LOCALE_DIR

PAGES_DIR = Path(__file__).resolve().parent
POT = LOCALE_DIR / "messages.pot"
ENGLISH = LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po"
# How texts are marked: `gettext` and `ngettext` take the language first.
KEYWORDS = {
    "_": None,
    "N_": None,
    "gettext": (2,),
    "ngettext": (2, 3),
}
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**.py", "python"),
]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}


def extract() -> Catalog:
    catalogue = Catalog(project="oversight", charset="utf-8", fuzzy=False)
    for _filename, _lineno, message, comments, context in extract_from_dir(
        str(PAGES_DIR),
        method_map=METHODS,
        options_map=OPTIONS,
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        catalogue.add(message, None, [], auto_comments=comments, context=context)
    return catalogue


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def missing() -> list[str]:
    """Texts of the pages that have no (non-fuzzy) English translation."""
    english = _read(ENGLISH, "en")
    gaps = []
    for message in extract():
        if not message.id:
            continue
        found = english.get(message.id, message.context)
        strings = found.string if found is not None else None
        translated = bool(strings) and all(strings if isinstance(strings, tuple) else [strings])
        if found is None or found.fuzzy or not translated:
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
    return gaps


def update() -> tuple[int, int]:
    """Extract into the .pot and merge into the English .po; (texts, untranslated)."""
    template = extract()
    with POT.open("wb") as f:
        write_po(f, template, width=100, no_location=True, sort_output=True)
    english = _read(ENGLISH, "en") if ENGLISH.exists() else Catalog(locale="en", fuzzy=False)
    english.update(template, no_fuzzy_matching=True)
    ENGLISH.parent.mkdir(parents=True, exist_ok=True)
    with ENGLISH.open("wb") as f:
        write_po(f, english, width=100, no_location=True, sort_output=True, include_previous=False)
    return len(template), len(missing())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.pages.catalogue", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report missing English")
    args = parser.parse_args(argv)
    if args.check:
        gaps = missing()
        for text in gaps:
            print(f"no English for: {text}")
        return 1 if gaps else 0
    texts, untranslated = update()
    print(f"{texts} texts; {untranslated} without English in {ENGLISH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
