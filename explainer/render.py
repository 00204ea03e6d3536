"""Lay the validated site out as pages: every computed field ready, templates only place them."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import html
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from collections import defaultdict
from itertools import groupby
from pathlib import Path

import jinja2
import markdown
from markupsafe import Markup

from . import feeds, markup
from .cache import FragmentStore
from .dates import MONTHS, Precision
from .model import Event, Page, Photo, Site, Source, Update
from .problems import Position
from .validate import tag_slug

LANGUAGE_NAMES = {
    "be": "Belarusian", "cs": "Czech", "de": "German", "en": "English", "es": "Spanish", "et": "Estonian",
    "fr": "French", "it": "Italian", "lt": "Lithuanian", "lv": "Latvian", "pl": "Polish", "pt": "Portuguese",
    "ru": "Russian", "sr": "Serbian", "tr": "Turkish", "uk": "Ukrainian",
}

LATEST_ON_HOME = 20  # on a large site the home page shows the newest events and a year index
SOURCES_PAGE_CITERS = 10  # beyond that, a source gets its own page of what cites it
SOURCES_PER_PAGE = 100  # sources on one page of the list: at most ten citers each, the page stays well under 500 KB
LISTING_PAGES = ("tags/", "years/", "sources/", "updates/", "search/")  # in the sitemap, with no date of their own

STATUS_LABELS = {
    "happened": "",
    "expected": "Expected",
    "postponed": "Postponed",
    "cancelled": "Cancelled",
    "rescheduled": "Rescheduled",
}


@dataclass(frozen=True)
class Output:
    """One file of the built site: its path under the output folder and its bytes."""

    path: str
    content: bytes


class Fragments:
    """Markdown rendered once per distinct text (the markers inside are resolved per page)."""

    def __init__(self, raw_html: bool, store: FragmentStore | dict[str, str] | None = None) -> None:
        self._raw_html = raw_html
        self._converter: markdown.Markdown | None = None  # made when a text is not in the store (after an edit, most are)
        self._store = store if store is not None else {}
        self._flavour = "r" if raw_html else "s"

    def block(self, text: str) -> str:
        return self._cached("b", text, markup.render_markdown)

    def inline(self, text: str) -> str:
        return self._cached("i", text, markup.render_inline)

    def _cached(self, kind: str, text: str, render: Callable) -> str:
        key = kind + self._flavour + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        fragment = self._store.get(key)
        if fragment is None:
            if self._converter is None:
                self._converter = markup.make_converter(self._raw_html)
            fragment = self._store[key] = render(self._converter, text)
        return fragment


@dataclass
class Note:
    """A numbered source note at the foot of a page, with a back-link to each place citing it."""

    number: int
    source: Source
    line: str = ""  # the source as the template's `source_line` writes it
    backlinks: list[tuple[str, str]] = field(default_factory=list)  # (anchor id, locator)


class Notes:
    """The notes of one page, numbered in the order their sources are first cited."""

    def __init__(self, sources: dict[str, Source], target: str = "", anchors: bool = True,
                 line_of: Callable[[str], str] = lambda source_id: "", marks: bool = True) -> None:
        self._sources = sources
        self._target = target
        self._anchors = anchors
        self._line_of = line_of
        self._marks = marks  # False: citations are counted, not marked in the text (a card names its sources after it)
        self.entries: dict[str, Note] = {}

    def _note(self, source_id: str) -> Note:
        return Note(len(self.entries) + 1, self._sources[source_id], self._line_of(source_id))

    def cite(self, source_id: str, locator: str) -> str:
        note = self.entries.get(source_id)
        if note is None:
            note = self.entries[source_id] = self._note(source_id)
        anchor = f"cite-{note.number}-{len(note.backlinks) + 1}"
        note.backlinks.append((anchor, locator))
        if not self._marks:
            return ""
        id_attribute = f' id="{anchor}"' if self._anchors else ""
        title = html.escape(f"{note.source.publisher}: {note.source.title}" + (f", {locator}" if locator else ""))
        return (f'<sup class="cite"{id_attribute}><a href="{self._target}#note-{note.number}" '
                f'title="{title}" aria-label="Source {note.number}">{note.number}</a></sup>')

    def add_uncited(self, source_ids: tuple[str, ...]) -> None:
        for source_id in source_ids:
            if source_id not in self.entries:
                self.entries[source_id] = self._note(source_id)

    @property
    def list(self) -> list[Note]:
        return list(self.entries.values())


@dataclass(frozen=True)
class TimelineMonth:
    label: str  # "January 2021"
    anchor: str
    events: list[Event]
    name: str = ""  # "January": the month within its year


@dataclass(frozen=True)
class TimelineYear:
    year: int
    anchor: str
    months: list[TimelineMonth]

    @property
    def count(self) -> int:
        return sum(len(month.events) for month in self.months)


def group_timeline(events: tuple[Event, ...] | list[Event]) -> list[TimelineYear]:
    """Events by year, then by month; events known only to the year come first in their year."""
    years = []
    for year, in_year in groupby(events, key=lambda event: event.when.start.year):
        months = []
        for month, in_month in groupby(in_year, key=lambda event: _month_of(event)):
            name = MONTHS[month - 1] if month else "Sometime in the year"  # known to the year alone ("Spring 2021" too)
            label = f"{name} {year}" if month else f"Sometime in {year}"
            anchor = f"y{year}-{month:02d}" if month else f"y{year}-undated"
            months.append(TimelineMonth(label, anchor, list(in_month), name))
        years.append(TimelineYear(year, f"y{year}", months))
    return years


def _year_link(year: TimelineYear) -> dict:
    return {"label": str(year.year), "href": f"/years/{year.year}/", "year": year.year}  # "year": as templates had it


def _month_link(year: TimelineYear, month: TimelineMonth) -> dict:
    return {"label": month.label, "href": f"/years/{year.year}/{month.anchor}/"}


def _month_of(event: Event) -> int:
    start = event.when.start
    return start.month if start.precision >= Precision.MONTH else 0


def _asset_lookup(asset_urls: dict[str, str]) -> Callable[[str], str]:
    def asset(name: str) -> str:
        if name not in asset_urls:
            raise jinja2.TemplateRuntimeError(f'asset "{name}": no such file in assets/')
        return asset_urls[name]
    return asset


def language_name(code: str) -> str:
    """"Russian" for "ru" (and "ru-RU"); the code itself for languages we have no name for."""
    return LANGUAGE_NAMES.get(code.split("-")[0].lower(), code)


def plain_text(fragment: str) -> str:
    """An HTML fragment as one line of plain text, citations left out (meta descriptions, feeds)."""
    return " ".join(Markup(markup.strip_markers(fragment)).striptags().split())


def card_sources(notes: list[Note], page: str) -> list[dict]:
    """The sources a card's summary cites, once per publisher: its name, and the first of its notes on the event's page."""
    named: dict[str, dict] = {}
    for note in notes:
        source = note.source
        named.setdefault(source.publisher, {"publisher": source.publisher, "href": f"{page}#note-{note.number}",
                                            "title": source.title})
    return list(named.values())


def date_html(event: Event, with_time: bool = True, starts_line: bool = False) -> Markup:
    """An event's date as it reads (and its time of day, unless not `with_time`), in `<time>` elements whose
    `datetime` claims no more than is known; with `starts_line`, as it reads at the start of a line."""
    when = event.when
    clock = f", {event.time:%H:%M}" if event.time and with_time else ""
    if when.bounds_apart:  # a range of uncertainty across years: no one value is true, each bound is a date
        if event.date_label:  # the editor's own words cannot be split at the bounds
            return Markup(f"{html.escape(event.date_label)}{clock}")
        return Markup(when.label(lambda date, text: f'<time datetime="{date.iso()}">{html.escape(text)}</time>',
                                 starts_line=starts_line) + clock)
    machine = when.machine()
    if clock and when.precision == Precision.DAY and not when.end:
        machine += f"T{event.time:%H:%M}"
    text = event.date_text_opening_line if starts_line else event.date_text
    return Markup(f'<time datetime="{machine}">{html.escape(text)}{clock}</time>')


def events_by_tag(events: tuple[Event, ...]) -> dict[str, tuple[str, list[Event]]]:
    """Tag slug -> (name as first written, events in timeline order), sorted by name."""
    tags: dict[str, tuple[str, list[Event]]] = {}
    for event in events:
        for tag in event.tags:
            tags.setdefault(tag_slug(tag), (tag, []))[1].append(event)
    return dict(sorted(tags.items(), key=lambda item: item[1][0].lower()))


def citing_pages(site: Site) -> dict[str, list[Event | Page]]:
    """Source id -> every event and page that cites or lists it, events first in timeline order."""
    cited: defaultdict[str, list[Event | Page]] = defaultdict(list)
    for event in site.events:
        for source_id in {*event.sources, *event.cites}:
            cited[source_id].append(event)
    for page in site.pages:
        for source_id in set(page.cites):
            cited[source_id].append(page)
    return dict(cited)


def links_to(citers: list[Event | Page]) -> list[tuple[str, str]]:
    """(title, url) of each, as the templates list them."""
    return [(item.title, item.url) for item in citers]


def event_ids(items: list[Event] | list[Event | Page]) -> list[str]:
    """The ids of the events among events and pages (pages have no `id`)."""
    return [item.id for item in items if item.__class__ is Event]


def no_events() -> tuple[str, ...]:
    """What pages that show no event list (their keys depend on the site's structure alone)."""
    return ()


def ids_of(events: list[Event]) -> list[str]:
    return [event.id for event in events]


def reach_of(events: tuple[Event, ...], edited: frozenset[str]) -> frozenset[str]:
    """The events whose content, as pages show it, an edit of these changes: themselves, and every event whose text
    links one of them (a link shows the linked event's title and date)."""
    return edited.union([event.id for event in events if event.mentions and not edited.isdisjoint(event.mentions)])


def paginate(items: list, size: int) -> list[list]:
    """Items in pages of `size` (at least one page, maybe empty)."""
    return [items[start:start + size] for start in range(0, len(items), size)] or [[]]


def page_path(base: str, number: int) -> str:
    """`tags/x/index.html` for the first page, `tags/x/page/2/index.html` after."""
    return f"{base}index.html" if number == 1 else f"{base}page/{number}/index.html"


def digest(*parts: object) -> str:
    """A short digest of values whose repr is stable (strings, numbers, tuples, frozen dataclasses)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def text_digest(*parts: str) -> str:
    """`digest` of strings alone, many times faster on the hot paths of the plan (no control characters in them)."""
    return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=16).hexdigest()


def citers_text(citers: list[Event | Page]) -> str:
    return "\x1f".join(f"{item.title}\x1d{item.url}" for item in citers)


@dataclass(frozen=True)
class PageJob:
    """One output file to make: same key, same bytes, so an unchanged key means nothing to render.

    The key is computed when first asked for. `lists` names the events the page shows anything
    of (their own page, a card, a title): besides what they say (with the titles and dates of
    the events their text links), its key depends only on the templates, settings, sources and
    the site's structure (which events exist, in what order, with which tags, sources and
    addresses). None: it may show any event, its key must be computed again. Only a build
    after an edit in place asks for it (see `snapshot`): a whole build never needs it.
    """

    path: str
    make_key: Callable[[], str]
    make: Callable[[], Output]
    searchable: bool = False  # indexed for search: event and narrative pages
    lists: Callable[[], Iterable[str]] | None = None

    @functools.cached_property
    def key(self) -> str:
        return self.make_key()

    def may_show(self, reach: frozenset[str]) -> bool:
        """Whether the page may show what an edit changed (its key may change): `reach`, as `reach_of` finds it."""
        return self.lists is None or not reach.isdisjoint(self.lists())


class Renderer:
    """Plans and renders each page of a site with the Jinja templates of a folder."""

    def __init__(self, site: Site, templates: Path, *, fragments: Fragments, images: dict, asset_urls: dict[str, str],
                 social_cards: dict[str, str] | None = None, search: bool = True,
                 bytecode_cache: jinja2.BytecodeCache | None = None, calendar_memo: dict | None = None) -> None:
        self.site = site
        self.fragments = fragments
        self.images = images
        self.social_cards = social_cards or {}
        self.by_id = {event.id: event for event in site.events}
        self._place = {event.id: index for index, event in enumerate(site.events)}
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates),
            bytecode_cache=bytecode_cache,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # a renderer lives for one build: its templates do not change under it
        )
        self.env.filters["language_name"] = language_name
        menu = [p for p in site.pages if not p.is_home]
        self.env.globals.update(search_enabled=search, site=site.settings, menu=menu, asset=_asset_lookup(asset_urls),
                                date_html=date_html)
        templates_text = [(path.name, path.read_bytes()) for path in sorted(templates.glob("*.html"))]
        self.common_key = digest(templates_text, site.settings, [(p.slug, p.menu_label, p.order) for p in menu],
                                 sorted(asset_urls.items()), search, len(site.events))
        self._digests: dict[str, str] = {}
        self._source_digests: dict[str, str] = {}
        self._source_lines: dict[str, str] = {}
        self._cards: dict[tuple[str, int], str] = {}
        self.calendar_memo = calendar_memo

    # Keys: what each page shows, as digests ------------------------------------------------

    def event_digest(self, event: Event) -> str:
        """What an event says and shows wherever it is shown, as a digest: its text (whose digest is made once per
        change of its file), its card, its photos, the sources it cites (their titles are on its citations) and the
        events it links (their titles and dates are on the links)."""
        known = self._digests.get(event.id)
        if known is None:
            said = self.site.digests.get(event.id) or digest(event)
            cited = [self.source_digest(source_id) for source_id in event.cites]
            cited += [f"{linked.id}\x1f{linked.title}\x1f{linked.date_text}" for linked in map(self.by_id.get, event.mentions) if linked]
            if event.photos:
                known = digest(said, self.social_cards.get(event.id), [self.images[photo.src] for photo in event.photos], cited)
            else:  # most events: plain strings digest many times faster
                known = text_digest(said, self.social_cards.get(event.id) or "", *cited)
            self._digests[event.id] = known
        return known

    def texts_key(self, events) -> str:
        """What events say, without their cards, photos or the titles of what they cite: for files that show their
        text alone (made of the digests validation made, so many times faster than `events_key`)."""
        digests = self.site.digests
        return text_digest(self.common_key, *[digests.get(event.id) or digest(event) for event in events])

    def events_key(self, events) -> str:
        return text_digest(self.common_key, *[self.event_digest(event) for event in events])

    # Rendering helpers --------------------------------------------------------------------

    def render(self, template: str, path: str, *, jsonld: dict | None = None, image: str | None = None,
               modified: dt.date | None = None, indexed: bool = True, **context) -> Output:
        """A page from its template; not `indexed` (the page Netlify serves at any unknown address): no canonical
        URL, and search engines asked not to index it."""
        url = "/" + path.removesuffix("index.html")
        if jsonld is None:
            jsonld = feeds.page_jsonld(self.site, context["title"], url, context["description"], modified)
        page = self.env.get_template(template).render(
            url=url, canonical=self.site.settings.absolute(url) if indexed else None,
            jsonld=Markup(feeds.jsonld_script(jsonld)), og_image=image, **context)
        return Output(path, page.encode())

    def resolve(self, fragment: str, notes: Notes, base: str = "") -> Markup:
        """An HTML fragment with its event links and citations filled in for this page (`base` makes links absolute)."""
        def replace(kind: str, ref: str, locator: str) -> str:
            if kind == "cite":  # an unknown source only in a marker written as raw HTML, which validation never saw
                return notes.cite(ref, locator) if ref in self.site.sources else ""
            target = self.by_id.get(ref)
            if target is None:
                return ""
            return f'<a class="event-ref" href="{base}{target.url}">{html.escape(target.title)}</a>, {date_html(target, with_time=False)}'
        return Markup(markup.resolve_markers(fragment, replace))

    def feed_html(self, event: Event) -> str:
        """An event's summary and body for feeds: absolute links, citations pointing at the event page's notes."""
        page_url = self.site.settings.absolute(event.url)
        notes = Notes(self.site.sources, target=page_url, anchors=False)
        base = self.site.settings.base_url.rstrip("/")
        parts = [f"<p>{self.resolve(self.fragments.inline(event.summary), notes, base)}</p>"]
        if event.body:
            parts.append(self.resolve(self.fragments.block(event.body), notes, base))
        return "\n".join(parts)

    def summary_text(self, event: Event) -> str:
        return plain_text(self.fragments.inline(event.summary))

    def card_image(self, event: Event) -> str | None:
        """The absolute URL of an event's social card image, if it has one."""
        path = self.social_cards.get(event.id)
        return self.site.settings.absolute(path) if path else None

    def summary(self, event: Event, notes: Notes | None = None) -> Markup:
        """An event's summary; on a card, its citations point to the notes of the event's page."""
        notes = notes or Notes(self.site.sources, target=event.url, anchors=False)
        return self.resolve(self.fragments.inline(event.summary), notes)

    def updates(self, updates: tuple[Update, ...], notes: Notes) -> list[dict]:
        return [{"entry": update, "html": self.resolve(self.fragments.inline(update.text), notes)} for update in updates]

    def photos(self, photos: tuple[Photo, ...]) -> list[dict]:
        return [{"photo": photo, "image": self.images[photo.src], "eager": index == 0} for index, photo in enumerate(photos)]

    def card(self, event: Event, heading_level: int) -> dict:
        """An event as a card in a list: the event and the HTML of the `event_card` macro, made once per build.

        Its summary carries no numbered citations, which the page's own notes would seem to
        share: the card names the publishers it cites after it, each a link to its note on the
        event's page.
        """
        key = (event.id, heading_level)
        if key not in self._cards:
            macro = self.env.get_template("_event_card.html").module.event_card
            notes = Notes(self.site.sources, target=event.url, anchors=False, marks=False)
            card = {"event": event, "summary": self.summary(event, notes), "status": STATUS_LABELS[event.status],
                    "sources": card_sources(notes.list, event.url)}
            self._cards[key] = Markup(macro(card, heading_level))
        return {"event": event, "html": self._cards[key]}

    def tag_links(self, event: Event) -> list[tuple[str, str]]:
        return [(tag, f"/tags/{tag_slug(tag)}/") for tag in event.tags]

    def timeline(self, events, heading_level: int = 5) -> list[dict]:
        """Events by year and month, as cards whose titles are headings of `heading_level`."""
        return [{"year": year, "months": [{"month": m, "cards": [self.card(e, heading_level) for e in m.events]} for m in year.months]}
                for year in group_timeline(events)]

    @functools.cached_property
    def content_updated(self) -> dt.date | None:
        return feeds.content_updated(self.site)

    @functools.cached_property
    def tags(self) -> dict[str, tuple[str, list[Event]]]:
        return events_by_tag(self.site.events)

    @functools.cached_property
    def years(self) -> list[TimelineYear]:
        return group_timeline(self.site.events)

    def is_large(self) -> bool:
        return len(self.site.events) > self.site.settings.timeline_threshold

    # Pages ---------------------------------------------------------------------------------

    def event_page(self, index: int) -> Output:
        event = self.site.events[index]
        notes = self.page_notes()
        summary = self.summary(event, notes)
        body = self.resolve(self.fragments.block(event.body), notes) if event.body else Markup("")
        updates = self.updates(event.updates, notes)
        notes.add_uncited(event.sources)
        description = plain_text(self.fragments.inline(event.summary))
        image = self.card_image(event)
        return self.render(
            "event.html", f"events/{event.id}/index.html",
            jsonld=feeds.event_jsonld(self.site, event, description, image), image=image,
            modified=feeds.event_updated(event), og_type="article",
            event=event, summary=summary, body=body, notes=notes.list, updates=updates,
            status=STATUS_LABELS[event.status], photos=self.photos(event.photos), tags=self.tag_links(event),
            related=[self.card(self.by_id[r], 3) for r in self.in_timeline_order(event.related)],
            previous=self.site.events[index - 1] if index > 0 else None,
            next=self.site.events[index + 1] if index + 1 < len(self.site.events) else None,
            title=event.title, description=description,
        )

    def event_page_key(self, index: int) -> str:
        """The event, its neighbours' titles, the events it links and the sources it cites (a hot path: plain strings)."""
        event = self.site.events[index]
        events, by_id, source_digest = self.site.events, self.by_id, self.source_digest
        parts = [self.common_key, self.event_digest(event)]
        parts += [f"{e.id}\x1f{e.title}" for e in events[max(index - 1, 0):index + 2]]
        parts += [self.event_digest(by_id[i]) for i in self.in_timeline_order(event.related)]  # as cards (the titles it links are in its own digest)
        parts += [source_digest(i) for i in (*event.sources, *event.cites)]
        return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=16).hexdigest()

    def in_timeline_order(self, ids: tuple[str, ...]) -> list[str]:
        """The ids of events that exist (not drafts left out), as the timeline orders them."""
        return sorted((i for i in ids if i in self._place), key=self._place.__getitem__)

    def event_page_lists(self, index: int) -> list[str]:
        """The events an event's page shows anything of: itself, its neighbours' titles, its related cards."""
        events = self.site.events
        return [e.id for e in events[max(index - 1, 0):index + 2]] + list(events[index].related)

    def source_line(self, source_id: str) -> str:
        """A source as the template's `source_line` macro writes it, made once per build (notes repeat sources a lot)."""
        if source_id not in self._source_lines:
            macro = self.env.get_template("_source.html").module.source_line
            self._source_lines[source_id] = Markup(macro(self.site.sources[source_id]))
        return self._source_lines[source_id]

    def page_notes(self) -> Notes:
        return Notes(self.site.sources, line_of=self.source_line)

    def source_digest(self, source_id: str) -> str:
        """What a source shows, as a digest (not where it is written: no page says)."""
        known = self._source_digests.get(source_id)
        if known is None:
            source = self.site.sources.get(source_id)
            known = self._source_digests[source_id] = digest(source and dataclasses.replace(source, position=None))
        return known

    def narrative_page(self, page: Page, template: str = "page.html", path: str | None = None, **extra) -> Output:
        notes = self.page_notes()
        body = self.resolve(self.fragments.block(page.body), notes)
        updates = self.updates(page.updates, notes)
        description = page.summary or self.site.settings.description
        modified = max((update.date.first_day for update in page.updates), default=None)
        return self.render(
            template, path or f"{page.slug}/index.html", modified=modified,
            page=page, body=body, notes=notes.list, updates=updates,
            title=page.title, description=description, **extra,
        )

    def narrative_page_key(self, page: Page) -> str:
        mentioned = [self.by_id.get(ref.id) for ref in markup.find_references(page.body) if ref.kind == "event"]
        return digest(self.common_key, page, [(e.id, e.title, e.date_text) for e in mentioned if e],
                      [self.site.sources.get(i) for i in page.cites])

    def home_page(self) -> Page:
        home = next((page for page in self.site.pages if page.is_home), None)
        return home or Page("index", self.site.settings.title, "", Position("content/index.md"))

    def home_events(self) -> list[Event]:
        """The events the home page lists: on a large site, the newest ones, newest first; else all."""
        events = self.site.events
        return list(reversed(events[-LATEST_ON_HOME:])) if self.is_large() else list(events)

    def home_job(self) -> PageJob:
        home, listed, large = self.home_page(), self.home_events(), self.is_large()
        mentioned = [ref.id for ref in markup.find_references(home.body) if ref.kind == "event"]
        return PageJob("index.html", lambda: digest(self.events_key(listed), self.narrative_page_key(home), large,
                                                    self.year_index() if large else None),
                       self.home, lists=(lambda: ids_of(listed) + mentioned) if large else None)

    def home(self) -> Output:
        events = list(self.site.events)
        large = self.is_large()
        listed = self.home_events()  # what the page shows, as its JSON-LD lists
        jsonld = {"@context": "https://schema.org",
                  "@graph": [feeds.website_jsonld(self.site), feeds.timeline_jsonld(self.site, listed, newest_first=large)]}
        if large:
            return self.narrative_page(self.home_page(), "index.html", "index.html", timeline=[], jsonld=jsonld,
                                       years=self.year_index(), latest=[self.card(event, 3) for event in listed])
        return self.narrative_page(self.home_page(), "index.html", "index.html", timeline=self.timeline(events),
                                   jsonld=jsonld, years=[], latest=[])

    def year_index(self) -> list[tuple[int, str, int]]:
        return [(year.year, f"/years/{year.year}/", year.count) for year in self.years]

    def year_links(self) -> list[tuple[int, str]]:
        """Where each year's events are read: its page on a large site, else its place in the home page's timeline."""
        if self.is_large():
            return [(year, href) for year, href, _ in self.year_index()]
        return [(year.year, f"/#{year.anchor}") for year in self.years]

    def year_pages(self) -> Iterator[PageJob]:
        """On a large site, a page per year, and per month when a year alone is too long."""
        if not self.is_large():
            return
        years = self.years
        for number, year in enumerate(years):
            around = (_year_link(years[number - 1]) if number else None, _year_link(years[number + 1]) if number + 1 < len(years) else None)
            events = [event for month in year.months for event in month.events]
            split = year.count > self.site.settings.timeline_threshold
            yield PageJob(f"years/{year.year}/index.html",
                          lambda events=events, split=split, around=around: digest(self.events_key(events), split, around),
                          lambda year=year, split=split, around=around: self.year_page(year, split, *around),
                          lists=lambda events=events: ids_of(events))
            if split:
                yield from self._month_pages(year)

    def _month_pages(self, year: TimelineYear) -> Iterator[PageJob]:
        """A page per month of a year too long for one; a month itself too long goes on over numbered pages."""
        months, most = year.months, self.site.settings.timeline_threshold
        for index, month in enumerate(months):
            around = (_month_link(year, months[index - 1]) if index else None,
                      _month_link(year, months[index + 1]) if index + 1 < len(months) else None)
            base = f"years/{year.year}/{month.anchor}/"
            pages = paginate(month.events, most)
            for number, chunk in enumerate(pages, start=1):
                pager = _pager(base, number, len(pages))
                yield PageJob(page_path(base, number),
                              lambda chunk=chunk, around=around, pager=pager: digest(self.events_key(chunk), around, pager),
                              lambda year=year, month=month, chunk=chunk, around=around, pager=pager:
                              self.month_page(year, month, chunk, pager, *around),
                              lists=lambda chunk=chunk: ids_of(chunk))

    def year_page(self, year: TimelineYear, split: bool, previous: dict | None, next: dict | None) -> Output:
        """A year's events by month (headings h2, cards h3); when there are too many, links to a page per month."""
        months = [(month.label, _month_link(year, month)["href"], len(month.events)) for month in year.months] if split else []
        return self.render("year.html", f"years/{year.year}/index.html", year=year.year, months=months,
                           timeline=[] if split else self.timeline([e for m in year.months for e in m.events], heading_level=3),
                           parent=None, pager=None, previous=previous, next=next, title=str(year.year),
                           description=f"Events of {year.year} in {self.site.settings.title}")

    def month_page(self, year: TimelineYear, month: TimelineMonth, events: list[Event], pager: dict,
                   previous: dict | None, next: dict | None) -> Output:
        """A month's events (cards h2), or one numbered page of them, under its year's page, with the year's other
        months either side (`previous_month` and `next_month`: `previous` and `next` are years, and a month page has none)."""
        number, total = pager["number"], pager["total"]
        title = month.label if number == 1 else f"{month.label} (page {number} of {total})"
        return self.render("year.html", page_path(f"years/{year.year}/{month.anchor}/", number), year=year.year, months=[],
                           timeline=self.timeline(events, heading_level=2), parent=_year_link(year), pager=pager,
                           previous=None, next=None, previous_month=previous, next_month=next, title=title,
                           description=f"Events of {month.label} in {self.site.settings.title}")

    def tag_jobs(self) -> Iterator[PageJob]:
        tags = self.tags
        listing = [(name, f"/tags/{slug}/", len(events)) for slug, (name, events) in tags.items()]
        yield PageJob("tags/index.html", lambda: digest(self.common_key, listing),
                      lambda: self.render("tags.html", "tags/index.html", tags=listing, title="Topics",
                                          description=f"Every topic of {self.site.settings.title}"), lists=no_events)
        for slug, (name, events) in tags.items():
            pages = paginate(events, self.site.settings.page_size)
            for number, chunk in enumerate(pages, start=1):
                path = page_path(f"tags/{slug}/", number)
                yield PageJob(path, lambda name=name, chunk=chunk, number=number, total=len(pages):
                              digest(self.events_key(chunk), name, number, total),
                              lambda name=name, slug=slug, chunk=chunk, number=number, total=len(pages), path=path:
                              self.tag_page(name, slug, chunk, number, total, path), lists=lambda chunk=chunk: ids_of(chunk))

    def tag_page(self, name: str, slug: str, events: list[Event], number: int, total: int, path: str) -> Output:
        pager = {"number": number, "total": total,
                 "previous": f"/{page_path(f'tags/{slug}/', number - 1).removesuffix('index.html')}" if number > 1 else None,
                 "next": f"/{page_path(f'tags/{slug}/', number + 1).removesuffix('index.html')}" if number < total else None}
        title = name if number == 1 else f"{name} (page {number} of {total})"
        return self.render("tag.html", path, tag=name, cards=[self.card(e, 2) for e in events], pager=pager,
                           title=title, description=f"Events tagged “{name}” in {self.site.settings.title}")

    def sources_jobs(self) -> Iterator[PageJob]:
        """The list of sources; each with the first events citing it, the rest on its own page when many do."""
        cited = citing_pages(self.site)
        sources = sorted(self.site.sources.values(), key=lambda s: (s.publisher.lower(), s.title.lower()))
        shown = SOURCES_PAGE_CITERS
        shown_citers = {s.id: cited.get(s.id, [])[:shown] for s in sources}
        listing = paginate(sources, SOURCES_PER_PAGE)
        for number, chunk in enumerate(listing, start=1):
            path = page_path("sources/", number)
            yield PageJob(path, lambda chunk=chunk, number=number, total=len(listing): text_digest(
                              self.common_key, str(number), str(total),
                              *[f"{self.source_digest(s.id)}\x1d{len(cited.get(s.id, []))}\x1d{citers_text(shown_citers[s.id])}" for s in chunk]),
                          lambda chunk=chunk, number=number, total=len(listing), path=path: self.render(
                              "sources.html", path, sources=[self._source_entry(s, cited.get(s.id, [])) for s in chunk],
                              pager=_pager("sources/", number, total),
                              title="Sources" if number == 1 else f"Sources (page {number} of {total})",
                              description=f"Every source cited in {self.site.settings.title}"),
                          lists=lambda chunk=chunk: event_ids([item for s in chunk for item in shown_citers[s.id]]))
        for source in sources:
            if len(cited.get(source.id, [])) <= shown:
                continue
            pages = paginate(cited[source.id], self.site.settings.page_size)
            for number, chunk in enumerate(pages, start=1):
                path = page_path(f"sources/{source.id}/", number)
                yield PageJob(path, lambda source=source, chunk=chunk, number=number, total=len(pages): text_digest(
                                  self.common_key, self.source_digest(source.id), citers_text(chunk), str(number), str(total)),
                              lambda source=source, chunk=chunk, number=number, total=len(pages), path=path:
                              self.render("source.html", path, source=source, cited_by=links_to(chunk),
                                          pager=_pager(f"sources/{source.id}/", number, total),
                                          title=source.title, description=f"What cites {source.title} ({source.publisher})"),
                              lists=lambda chunk=chunk: event_ids(chunk))

    @staticmethod
    def _source_entry(source: Source, citers: list[Event | Page]) -> dict:
        """A source in the list: the first events citing it, and a link to all of them when there are more."""
        shown = SOURCES_PAGE_CITERS
        return {"source": source, "cited_by": links_to(citers[:shown]), "count": len(citers),
                "more": f"/sources/{source.id}/" if len(citers) > shown else None}

    def alias_jobs(self) -> Iterator[PageJob]:
        """A page at each old address of an event sending readers on, and Netlify's redirect rules."""
        rules = []
        for event in self.site.events:
            for alias in event.aliases:
                path = f"events/{alias}/index.html"
                yield PageJob(path, lambda event=event: digest(self.common_key, event.id, event.title),
                              lambda event=event, path=path: self.render("redirect.html", path, event=event,
                                                                         title=event.title, description=event.title),
                              lists=lambda event=event: (event.id,))
                # "301!" because the redirect page above would otherwise shadow the rule on Netlify
                rules += [f"/events/{alias}/ {event.url} 301!", f"/events/{alias} {event.url} 301!"]
        content = "".join(f"{rule}\n" for rule in rules).encode()
        yield PageJob("_redirects", lambda: digest(content), lambda: Output("_redirects", content), lists=no_events)

    def updates_jobs(self) -> Iterator[PageJob]:
        """Every update and correction of the site, newest first, as a page and as an Atom feed."""
        entries = functools.cache(lambda: feeds.update_entries(
            self.site, lambda update: str(self.resolve(self.fragments.inline(update.text), Notes(self.site.sources), ""))))
        key = functools.cache(lambda: digest(self.common_key, entries()))
        yield PageJob("updates/index.html", key, lambda: self.render(
            "updates.html", "updates/index.html", entries=entries(), modified=entries()[0].date.first_day if entries() else None,
            title="Updates and corrections", description=f"Every update and correction of {self.site.settings.title}, newest first"))
        yield PageJob("updates/feed.xml", key, lambda: Output("updates/feed.xml", feeds.updates_atom_feed(self.site, entries())))

    def machine_jobs(self, sitemap: Callable[[], list[tuple[str, dt.date | None]]]) -> Iterator[PageJob]:
        """Feeds, calendar, robots.txt and the sitemap of the pages planned."""
        events = feeds.feed_events(self.site)
        shown = functools.partial(ids_of, events)
        feed_key = functools.cache(lambda: self.events_key(events))
        yield PageJob("feed.xml", feed_key, lambda: Output("feed.xml", feeds.atom_feed(self.site, events, self.feed_html, self.summary_text)),
                      lists=shown)
        yield PageJob("feed.json", feed_key, lambda: Output("feed.json", feeds.json_feed(
            self.site, events, self.feed_html, self.summary_text, self.card_image)), lists=shown)
        yield PageJob("calendar.ics", lambda: self.texts_key(self.site.events),
                      lambda: Output("calendar.ics", feeds.calendar(self.site, list(self.site.events), self.summary_text, self.calendar_memo,
                                                                    self.content_updated)))
        yield PageJob("robots.txt", lambda: digest(self.site.settings), lambda: Output("robots.txt", feeds.robots(self.site)),
                      lists=no_events)
        entries = functools.cache(lambda: sorted(sitemap(), key=lambda entry: entry[0]))
        yield PageJob("sitemap.xml", lambda: text_digest(repr(self.site.settings), *[f"{url} {day}" for url, day in entries()]),
                      lambda: Output("sitemap.xml", feeds.sitemap(self.site, entries())))


def _pager(base: str, number: int, total: int) -> dict:
    link = lambda n: "/" + page_path(base, n).removesuffix("index.html")  # noqa: E731
    return {"number": number, "total": total, "previous": link(number - 1) if number > 1 else None,
            "next": link(number + 1) if number < total else None}


def plan_site(renderer: Renderer) -> list[PageJob]:
    """Every file of the site to render, each with its key; the sitemap lists the HTML pages."""
    site = renderer.site
    jobs = [renderer.home_job()]
    events = site.events
    for index, event in enumerate(events):
        jobs.append(PageJob(f"events/{event.id}/index.html", lambda index=index: renderer.event_page_key(index),
                            lambda index=index: renderer.event_page(index), searchable=True,
                            lists=lambda index=index: renderer.event_page_lists(index)))
    for page in site.pages:
        if not page.is_home:
            jobs.append(PageJob(f"{page.slug}/index.html", lambda page=page: renderer.narrative_page_key(page),
                                lambda page=page: renderer.narrative_page(page), searchable=True))
    jobs += renderer.year_pages()
    jobs += renderer.tag_jobs()
    jobs += renderer.sources_jobs()
    jobs += renderer.updates_jobs()
    jobs.append(PageJob("search/index.html", lambda: digest(renderer.common_key, renderer.year_links(), list(renderer.tags)),
                        lambda: renderer.render("search.html", "search/index.html", title="Search", description=f"Search {site.settings.title}",
                                                years=renderer.years, year_links=renderer.year_links(), tags=list(renderer.tags.items())),
                        lists=no_events))
    jobs += renderer.alias_jobs()
    jobs.append(PageJob("404.html", lambda: renderer.common_key, lambda: renderer.render(
        "404.html", "404.html", title="Page not found", description=site.settings.description, indexed=False), lists=no_events))
    listings = ["/" + job.path.removesuffix("index.html") for job in jobs
                if job.path.endswith("index.html") and job.path.startswith(LISTING_PAGES)]

    def sitemap() -> list[tuple[str, dt.date | None]]:
        entries: list[tuple[str, dt.date | None]] = [("/", renderer.content_updated)]
        entries += [(event.url, feeds.event_updated(event)) for event in events]
        entries += [(page.url, max((u.date.first_day for u in page.updates), default=None)) for page in site.pages if not page.is_home]
        return entries + [(url, None) for url in listings]

    jobs += renderer.machine_jobs(sitemap)
    return jobs
