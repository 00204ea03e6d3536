"""A site in each of its languages: each event's and page's words from its translation where there is one, and else
the original's, marked as such (their `language`), so that no page of a language is missing and none silently mixes."""
from __future__ import annotations

import functools
import html
from dataclasses import replace
from itertools import zip_longest

from babel import Locale, UnknownLocaleError

from .markup import find_references
from .model import Event, Page, Site, Translation


def in_language(site: Site, code: str) -> Site:
    """The site as the pages in `code` show it: the settings in that language, every event and page with its
    translation's words if it has one (and the language its words are in, and where the pages of `code` are)."""
    first = site.settings.language
    if code == first:
        return site
    settings = site.settings.in_language(code)
    events = tuple(_event_in(event, site.translations.get((code, event.id)), code, first, settings.root) for event in site.events)
    pages = tuple(_page_in(page, site.translations.get((code, page.slug)), code, first, settings.root) for page in site.pages)
    return replace(site, settings=settings, events=events, pages=pages)


def _event_in(event: Event, translation: Translation | None, code: str, original: str, root: str) -> Event:
    if translation is None:
        return replace(event, language=original, root=root)
    # A file of a photo's own in the translation was made for the original's photo as it was when translated: once the
    # original changed, it may show another photo, credited to someone else, which that file must never be shown with.
    photos = tuple(replace(photo, alt=alt or photo.alt, caption=caption or photo.caption,
                           src=src if src and translation.up_to_date else photo.src)
                   for photo, (alt, caption, src) in zip_longest(event.photos, translation.photos[:len(event.photos)],
                                                                fillvalue=("", "", "")))
    words = dict(translation.words)
    updates = _updates(event.updates, translation.updates, original)
    texts = [words.get("summary", event.summary), words.get("body", event.body), *(update.text for update in updates)]
    references = [reference for text in texts for reference in find_references(text)]
    return replace(event, **words, photos=photos, updates=updates, language=code, root=root, translated=True,
                   cites=tuple(dict.fromkeys(r.id for r in references if r.kind == "cite")),
                   mentions=tuple(dict.fromkeys(r.id for r in references if r.kind == "event")))


def _page_in(page: Page, translation: Translation | None, code: str, original: str, root: str) -> Page:
    if translation is None:
        return replace(page, language=original, root=root)
    words = dict(translation.words)
    updates = _updates(page.updates, translation.updates, original)
    texts = [words.get("body", page.body), *(update.text for update in updates)]
    cites = tuple(dict.fromkeys(r.id for text in texts for r in find_references(text) if r.kind == "cite"))
    return replace(page, **words, updates=updates, cites=cites, language=code, root=root, translated=True)


def _updates(updates: tuple, texts: tuple[str, ...], original: str) -> tuple:
    """The updates with their translated texts; an update the translation does not give keeps the original's text,
    marked as in the `original` language (its event or page is in the translation's)."""
    return tuple(replace(update, text=text) if text else replace(update, language=original)
                 for update, text in zip_longest(updates, texts[:len(updates)], fillvalue=""))


@functools.cache
def direction(code: str) -> str:
    """"rtl" for a language written from right to left (Arabic, Hebrew, Persian, Urdu...), else "ltr", as Unicode's
    CLDR (through Babel) has it; "ltr" for a code it does not know."""
    try:
        return "rtl" if Locale.parse(code, sep="-").character_order == "right-to-left" else "ltr"
    except (ValueError, UnknownLocaleError):
        return "ltr"


def language_attributes(code: str, around: str) -> str:
    """The attributes of an element whose text is in language `code`, within text in language `around`: its `lang`,
    and its `dir` where it reads the other way (which also keeps it apart in the reading order of what surrounds it:
    an English title's full stop stays at its end within Arabic)."""
    written = direction(code)
    # Codes are validated as language codes; escaped all the same, as the templates escaped them before.
    return f' lang="{html.escape(code)}"' + (f' dir="{written}"' if written != direction(around) else "")
