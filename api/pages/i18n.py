"""The pages' languages: Simplified Chinese by default, English by a switch.

The texts are written in Chinese in the templates and in Python (`N_` marks a text that
is translated where it is shown), so Chinese needs no catalogue: its messages are their
own msgids. English comes from `locale/en/LC_MESSAGES/messages.po`, compiled in memory
with Babel when this module is imported (a few milliseconds): nothing to run by hand
after editing the .po, no compiled file in the repository or in the package that could
go stale (docs/pages.md, "Languages").

Which language a request gets: the `oversight_lang` cookie set by the switch
(`/language/{code}`), else the best of `Accept-Language`, else Chinese.
"""

from __future__ import annotations

import gettext as gettext_module
import io
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import pass_context

LOCALE_DIR: Final[Path] = Path(__file__).resolve().parent / "locale"
DOMAIN: Final[str] = "messages"
DEFAULT: Final[str] = "zh-CN"
# The languages offered, by their BCP 47 tag (html lang, the cookie), with their own name.
LANGUAGES: Final[dict[str, str]] = {"zh-CN": "中文", "en": "English"}
# The catalogue directory of each language that has one (Chinese: the msgids themselves).
_CATALOGUE_OF: Final[dict[str, str]] = {"en": "en"}
LANG_COOKIE: Final[str] = "oversight_lang"
LANG_COOKIE_MAX_AGE: Final[int] = 365 * 24 * 3600


def N_(message: str) -> str:
    """Marks a text for the catalogue without translating it here (tables of labels)."""
    return message


def compile_catalogue(po_path: Path) -> gettext_module.GNUTranslations:
    """The .po file compiled in memory (fuzzy entries left out, as msgfmt does)."""
    with po_path.open("rb") as f:
        catalogue = read_po(f, locale=po_path.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def _load() -> dict[str, gettext_module.NullTranslations]:
    found: dict[str, gettext_module.NullTranslations] = {DEFAULT: gettext_module.NullTranslations()}
    for lang, directory in _CATALOGUE_OF.items():
        found[lang] = compile_catalogue(LOCALE_DIR / directory / "LC_MESSAGES" / f"{DOMAIN}.po")
    return found


TRANSLATIONS: Final[dict[str, gettext_module.NullTranslations]] = _load()


def translations(lang: str) -> gettext_module.NullTranslations:
    return TRANSLATIONS.get(lang) or TRANSLATIONS[DEFAULT]


def gettext(lang: str, message: str, **values: Any) -> str:
    """`message` in `lang`, with `%(name)s` placeholders filled from `values`."""
    text = translations(lang).gettext(message)
    return text % values if values else text


def ngettext(lang: str, singular: str, plural: str, n: int, **values: Any) -> str:
    text = translations(lang).ngettext(singular, plural, n)
    return text % ({"num": n} | values)


# --- which language a request gets ----------------------------------------------------


@cache
def _from_accept_language(header: str) -> str:
    """The best supported language of an `Accept-Language` header (q-values honoured;
    any zh-* is Chinese, any en-* English); Chinese when none is supported."""
    best, best_q = DEFAULT, 0.0
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        lang = {"zh": "zh-CN", "en": "en"}.get(primary)
        # Equal q: the earlier one wins (a tiny penalty by position).
        score = q - position * 1e-6
        if lang is not None and q > 0 and score > best_q:
            best, best_q = lang, score
    return best


def negotiate(cookies: Mapping[str, str], accept_language: str | None) -> str:
    chosen = cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    if accept_language:
        return _from_accept_language(accept_language[:500])
    return DEFAULT


# --- the templates' gettext: the language is the rendering context's `lang` ------------


@pass_context
def _template_gettext(context: Any, message: str) -> str:
    return translations(context.get("lang", DEFAULT)).gettext(message)


@pass_context
def _template_ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    return translations(context.get("lang", DEFAULT)).ngettext(singular, plural, n)


def install(environment: Any) -> None:
    """Jinja's i18n extension on `environment`, translating into each page's `lang`
    (the newstyle callables escape the values they fill in)."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(_template_gettext, _template_ngettext, newstyle=True)
