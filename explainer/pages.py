"""The site as pages: each family says in one place what it renders and from what.

A page is a path, a maker (a function of this module) and the inputs it is made from. The
maker is handed the renderer (the templates and Markdown, the same for every page of a
build) and those inputs, nothing else: it cannot reach the rest of the site. So a page's
key, the fingerprint of its inputs with the generator's version and the templates, changes
whenever anything the page shows could change, and a page whose key is unchanged need not
be rendered again. `plan_site` lays out every page of a site with its inputs.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import groupby
from typing import Any

from markupsafe import Markup

from . import feeds, markup
from .cache import fingerprint
from .dates import ENGLISH, DateWords
from .images import ProcessedImage
from .model import Event, Page, Settings, Site, Source
from .problems import Position
from .render import Card, Chrome, Link, Notes, Refs, Renderer, Thumbnail, TimelineYear, group_timeline, page_path, pager, plain_text, tag_links
from .validate import tag_slug

LATEST_ON_HOME = 20  # on a large site the home page shows the newest events and a year index
SOURCES_PAGE_CITERS = 10  # beyond that, a source gets its own page of what cites it
SOURCES_PER_PAGE = 100  # sources on one page of the list: at most ten citers each, the page stays well under 500 KB
LISTING_PAGES = ("tags/", "years/", "sources/", "updates/", "search/")  # in the sitemap, with no date of their own


@dataclass(frozen=True)
class PlannedPage:
    """One file of the site to make: `make(renderer, inputs)` gives its bytes."""

    path: str
    make: Callable[[Renderer, Any], bytes]
    inputs: Any
    searchable: bool = False  # indexed for search: event and narrative pages
    language: str = ""  # the language of its words, whose renderer makes it

    def key(self, version: str) -> str:
        """Same key, same bytes: the fingerprint of what the page is made of (`version`: the generator and templates)."""
        return fingerprint(version, self.path, self.make.__qualname__, self.inputs)

    def render(self, renderer: Renderer) -> bytes:
        return self.make(renderer, self.inputs)


@dataclass(frozen=True)
class NavLink:
    """A link to a neighbouring year or month, or up to a year."""

    label: str
    href: str


# Events ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventPageInputs:
    chrome: Chrome
    event: Event
    previous: Link | None
    next: Link | None
    related: tuple[Card, ...]  # in timeline order
    linked: tuple[Event, ...]  # the events its texts link
    sources: tuple[Source, ...]  # those it lists and those it cites
    photos: tuple[ProcessedImage, ...]  # one for each of its photos
    image: str | None  # the absolute address of its sharing card


def event_page(r: Renderer, p: EventPageInputs) -> bytes:
    """An event: its photos, text, updates, topics and numbered source notes, related events, neighbours."""
    event, settings = p.event, p.chrome.settings
    refs = Refs(p.linked, p.sources)
    notes = r.notes(refs, settings.language)
    summary = r.resolve(r.inline(event.summary), refs, notes, language=event.language)
    body = r.resolve(r.block(event.body), refs, notes, language=event.language) if event.body else Markup("")
    updates = r.updates(event.updates, refs, notes, event.language)
    notes.add_uncited(event.sources)
    description = plain_text(r.inline(event.summary))
    return r.page(
        p.chrome, "event.html", f"events/{event.id}/index.html",
        jsonld=feeds.event_jsonld(settings, event, description, p.image, refs.sources), image=p.image,
        modified=feeds.event_updated(event), og_type="article",
        event=event, summary=summary, body=body, notes=notes.list, updates=updates,
        status=r.status_label(event.status), tags=tag_links(event),
        photos=[{"photo": photo, "image": image, "eager": index == 0} for index, (photo, image) in enumerate(zip(event.photos, p.photos))],
        related=r.cards(p.related, 3), previous=p.previous, next=p.next, title=event.title, description=description)


@dataclass(frozen=True)
class AliasInputs:
    chrome: Chrome
    alias: str  # the old id
    event: Link  # where the event lives now


def alias_page(r: Renderer, p: AliasInputs) -> bytes:
    """A page at an old address of an event, sending readers on."""
    return r.page(p.chrome, "redirect.html", f"events/{p.alias}/index.html", event=p.event, title=p.event.title,
                  description=p.event.title)


@dataclass(frozen=True)
class RedirectsInputs:
    rules: tuple[str, ...]


def redirects_file(r: Renderer, p: RedirectsInputs) -> bytes:
    """Netlify's redirect rules, one per line."""
    return "".join(f"{rule}\n" for rule in p.rules).encode()


# Narrative pages and the home page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NarrativeInputs:
    chrome: Chrome
    page: Page
    linked: tuple[Event, ...]
    sources: tuple[Source, ...]


def narrative_page(r: Renderer, p: NarrativeInputs) -> bytes:
    """A narrative page: its text, updates and numbered source notes."""
    return r.page(p.chrome, "page.html", f"{p.page.slug}/index.html", **_narrative(r, p))


def _narrative(r: Renderer, p: NarrativeInputs) -> dict:
    """What the templates of a narrative page and of the home page show of it."""
    page = p.page
    refs = Refs(p.linked, p.sources)
    notes = r.notes(refs, p.chrome.settings.language)
    body = r.resolve(r.block(page.body), refs, notes, language=page.language)
    updates = r.updates(page.updates, refs, notes, page.language)
    return {"modified": max((update.date.first_day for update in page.updates), default=None), "page": page,
            "body": body, "notes": notes.list, "updates": updates, "title": page.title,
            "description": page.summary or p.chrome.settings.description}


@dataclass(frozen=True)
class HomeInputs:
    intro: NarrativeInputs  # content/index.md
    cards: tuple[Card, ...]  # the whole timeline; on a large site, the newest events, newest first
    years: tuple[tuple[int, str, int], ...]  # on a large site: each year, its page, how many events


def home_page(r: Renderer, p: HomeInputs) -> bytes:
    """The introduction and the timeline by year and month; on a large site, a year index and the latest events."""
    chrome, large = p.intro.chrome, bool(p.years)
    events = [card.event for card in p.cards]
    jsonld = {"@context": "https://schema.org",
              "@graph": [feeds.website_jsonld(chrome.settings), feeds.timeline_jsonld(chrome.settings, events, newest_first=large)]}
    # The introduction is long: a link above it leads past it to what most readers came for.
    jump = (r._("Go to the latest events") if large else
            r.ngettext("Go to the timeline (%(num)d event)", "Go to the timeline (%(num)d events)", len(p.cards)) % {"num": len(p.cards)})
    return r.page(chrome, "index.html", "index.html", jsonld=jsonld, **_narrative(r, p.intro),
                  timeline=[] if large else r.timeline(p.cards), years=list(p.years),
                  latest=r.cards(p.cards, 3) if large else [], jump=jump)


# Lists of events ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearInputs:
    chrome: Chrome
    year: int
    cards: tuple[Card, ...]  # none when the year is split into months
    months: tuple[tuple[str, str, int], ...]  # when split: each month, its page, how many events
    previous: NavLink | None
    next: NavLink | None


def year_page(r: Renderer, p: YearInputs) -> bytes:
    """A year's events by month (headings h2, cards h3); when there are too many, links to a page per month."""
    return r.page(p.chrome, "year.html", f"years/{p.year}/index.html", year=p.year, months=list(p.months),
                  timeline=r.timeline(p.cards, heading_level=3) if p.cards else [], parent=None, pager=None,
                  previous=p.previous, next=p.next, title=str(p.year),
                  description=r._("Events of %(period)s in %(site)s") % {"period": p.year, "site": p.chrome.settings.title})


@dataclass(frozen=True)
class MonthInputs:
    chrome: Chrome
    year: int
    parent: NavLink  # the year's page
    label: str  # "January 2021"
    path: str
    cards: tuple[Card, ...]
    pager: tuple[str, int, int]  # the month's first address, this page's number, how many pages
    previous: NavLink | None  # the year's other months either side
    next: NavLink | None


def month_page(r: Renderer, p: MonthInputs) -> bytes:
    """A month's events (cards h2), or one numbered page of them, under its year's page."""
    base, number, total = p.pager
    return r.page(p.chrome, "year.html", p.path, year=p.year, months=[],
                  timeline=r.timeline(p.cards, heading_level=2), parent=p.parent,
                  pager=pager(base, number, total, p.chrome.settings.root), previous=None, next=None,
                  previous_month=p.previous, next_month=p.next, title=_numbered(r, p.label, number, total),
                  description=r._("Events of %(period)s in %(site)s") % {"period": p.label, "site": p.chrome.settings.title})


def _numbered(r: Renderer, title: str, number: int, total: int) -> str:
    """The title of a numbered page of a list: its own on the first, "Sources (page 2 of 3)" after."""
    if number == 1:
        return title
    return r._("%(title)s (page %(number)d of %(total)d)") % {"title": title, "number": number, "total": total}


@dataclass(frozen=True)
class TagsInputs:
    chrome: Chrome
    tags: tuple[tuple[str, str, int], ...]  # name, page, how many events


def tags_page(r: Renderer, p: TagsInputs) -> bytes:
    """Every topic, with how many events it has."""
    return r.page(p.chrome, "tags.html", "tags/index.html", tags=list(p.tags), title=r._("Topics"),
                  description=r._("Every topic of %(site)s") % {"site": p.chrome.settings.title})


@dataclass(frozen=True)
class TagInputs:
    chrome: Chrome
    name: str
    slug: str
    cards: tuple[Card, ...]
    number: int
    total: int


def tag_page(r: Renderer, p: TagInputs) -> bytes:
    """A topic's events, or one numbered page of them."""
    base = f"tags/{p.slug}/"
    return r.page(p.chrome, "tag.html", page_path(base, p.number), tag=p.name, cards=r.cards(p.cards, 2),
                  pager=pager(base, p.number, p.total, p.chrome.settings.root), title=_numbered(r, p.name, p.number, p.total),
                  description=r._("Events on “%(topic)s” in %(site)s") % {"topic": p.name, "site": p.chrome.settings.title})


# Sources -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceEntry:
    """A source in the list: the first events and pages citing it, and a link to all of them when there are more."""

    source: Source
    cited_by: tuple[Link, ...]
    count: int
    more: str | None
    events: int  # how many of those citing it are events (the others are pages)


@dataclass(frozen=True)
class PublisherGroup:
    """A publisher's sources on a page of the list; `continued` when the page before lists its first ones."""

    publisher: str
    entries: tuple[SourceEntry, ...]
    continued: bool


@dataclass(frozen=True)
class SourcesInputs:
    chrome: Chrome
    groups: tuple[PublisherGroup, ...]
    number: int
    total: int


def sources_page(r: Renderer, p: SourcesInputs) -> bytes:
    """Every source (or one numbered page of them) under its publisher, with what cites it (folded when more than one does)."""
    language = p.chrome.settings.language
    groups = [{"publisher": group.publisher, "continued": group.continued,
               "sources": [_source_item(r, entry, language) for entry in group.entries]} for group in p.groups]
    return r.page(p.chrome, "sources.html", page_path("sources/", p.number), groups=groups,
                  pager=pager("sources/", p.number, p.total, p.chrome.settings.root),
                  title=_numbered(r, r._("Sources"), p.number, p.total),
                  description=r._("Every source cited in %(site)s") % {"site": p.chrome.settings.title})


def _source_item(r: Renderer, entry: SourceEntry, language: str) -> dict:
    """A source as the list shows it under its publisher's name: its line without that name, and what cites it, folded
    under a count when more than one event or page does (on a phone each title takes two or three lines)."""
    return {"source": entry.source, "line": r.source_line(entry.source, language, publisher=False), "count": entry.count,
            "more": entry.more, "cited_by": entry.cited_by if entry.count == 1 else [],
            "folded": entry.cited_by if entry.count > 1 else [],
            "folded_label": r._("Cited in %(citers)s") % {"citers": citing_count(r, entry.events, entry.count - entry.events)}}


def citing_count(r: Renderer, events: int, pages: int) -> str:
    """"5 events and 2 pages", "1 event", "2 pages" (in the renderer's language)."""
    counted = r.ngettext("%(num)d event", "%(num)d events", events) % {"num": events}
    paged = r.ngettext("%(num)d page", "%(num)d pages", pages) % {"num": pages}
    if events and pages:
        return r._("%(events)s and %(pages)s") % {"events": counted, "pages": paged}
    return counted if events else paged


def group_by_publisher(entries: list[SourceEntry], before: str | None = None) -> tuple[PublisherGroup, ...]:
    """Entries sorted by publisher, in a group per publisher (names that differ only in case are one); `before`: the
    publisher of the last entry of the page before, whose group this page continues."""
    groups = []
    for _, same in groupby(entries, key=lambda entry: entry.source.publisher.casefold()):
        members = tuple(same)
        publisher = members[0].source.publisher
        continued = not groups and before is not None and before.casefold() == publisher.casefold()
        groups.append(PublisherGroup(publisher, members, continued))
    return tuple(groups)


@dataclass(frozen=True)
class SourceInputs:
    chrome: Chrome
    source: Source
    cited_by: tuple[Link, ...]
    number: int
    total: int


def source_page(r: Renderer, p: SourceInputs) -> bytes:
    """What cites a source cited often (or one numbered page of it)."""
    source, base = p.source, f"sources/{p.source.id}/"
    return r.page(p.chrome, "source.html", page_path(base, p.number), source=source,
                  line=r.source_line(source, p.chrome.settings.language),
                  cited_by=p.cited_by, pager=pager(base, p.number, p.total, p.chrome.settings.root),
                  title=_numbered(r, source.title, p.number, p.total),
                  description=r._("What cites %(title)s (%(publisher)s)") % {"title": source.title, "publisher": source.publisher})


# Updates -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateOwner:
    """An event or page with updates, with what its texts link and cite: an update's citations point at the notes of
    its page, numbered there in the order the page's texts first cite them."""

    owner: Event | Page
    linked: tuple[Event, ...]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class UpdatesInputs:
    chrome: Chrome
    owners: tuple[UpdateOwner, ...]  # events first, in timeline order, then pages


def _update_entries(r: Renderer, p: UpdatesInputs, base: str = "") -> list[feeds.UpdateEntry]:
    """Every update and correction, newest first, its text with citations numbered as on its page."""
    entries = []
    for item in p.owners:
        owner, refs = item.owner, Refs(item.linked, item.sources)
        notes = Notes(refs.sources, target=f"{base}{owner.url}", anchors=False, label=r._("Source %(number)s"))
        if isinstance(owner, Event):  # the page numbers its notes through its summary, its body, then its updates
            r.resolve(r.inline(owner.summary), refs, notes)
        if owner.body:
            r.resolve(r.block(owner.body), refs, notes)
        for update in owner.updates:
            text = r.resolve(r.inline(update.text), refs, notes, base, language=update.language or owner.language)
            entries.append(feeds.UpdateEntry(update.date, update.kind, str(text), owner.title, owner.url, owner.language,
                                             update.language or owner.language))
    return feeds.newest_first(entries)


def updates_page(r: Renderer, p: UpdatesInputs) -> bytes:
    """Every update and correction of the site, newest first."""
    entries = _update_entries(r, p)
    return r.page(p.chrome, "updates.html", "updates/index.html", entries=entries,
                  modified=entries[0].date.first_day if entries else None, title=r._("Updates and corrections"),
                  description=r._("Every update and correction of %(site)s, newest first") % {"site": p.chrome.settings.title})


def updates_feed(r: Renderer, p: UpdatesInputs) -> bytes:
    """The same as an Atom feed, its links absolute."""
    settings = p.chrome.settings
    return feeds.updates_atom_feed(settings, _update_entries(r, p, settings.base_url.rstrip("/")), r.words)


# The rest of the site ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchInputs:
    chrome: Chrome
    year_links: tuple[tuple[int, str], ...]
    tags: tuple[tuple[str, str], ...]  # slug, name


def search_page(r: Renderer, p: SearchInputs) -> bytes:
    """The search box, and without JavaScript, the years and topics to browse."""
    return r.page(p.chrome, "search.html", "search/index.html", title=r._("Search"),
                  description=r._("Search %(site)s") % {"site": p.chrome.settings.title},
                  year_links=list(p.year_links), tags=list(p.tags))


@dataclass(frozen=True)
class NotFoundInputs:
    chrome: Chrome


def not_found_page(r: Renderer, p: NotFoundInputs) -> bytes:
    """The page Netlify serves at any unknown address."""
    return r.page(p.chrome, "404.html", "404.html", title=r._("Page not found"), description=p.chrome.settings.description, indexed=False)


@dataclass(frozen=True)
class FeedItem:
    card: Card
    image: str | None  # the absolute address of its sharing card


@dataclass(frozen=True)
class FeedInputs:
    settings: Settings
    items: tuple[FeedItem, ...]  # the newest events, newest first
    updated: dt.date | None  # the day the content last changed


def _feed_html(r: Renderer, settings: Settings, card: Card) -> str:
    """An event's summary and body for feeds: absolute links, citations pointing at the event page's notes."""
    event, base = card.event, settings.base_url.rstrip("/")
    refs = Refs(card.linked, card.sources)
    notes = Notes(refs.sources, target=settings.absolute(event.url), anchors=False, label=r._("Source %(number)s"))
    parts = [f"<p>{r.resolve(r.inline(event.summary), refs, notes, base, language=event.language)}</p>"]
    if event.body:
        parts.append(r.resolve(r.block(event.body), refs, notes, base, language=event.language))
    return "\n".join(parts)


def atom_feed(r: Renderer, p: FeedInputs) -> bytes:
    """The newest events as an Atom feed."""
    html_of = {item.card.event.id: _feed_html(r, p.settings, item.card) for item in p.items}
    return feeds.atom_feed(p.settings, [item.card.event for item in p.items], lambda event: html_of[event.id], r.summary_text,
                           p.updated, r.words)


def json_feed(r: Renderer, p: FeedInputs) -> bytes:
    """The newest events as a JSON Feed."""
    html_of = {item.card.event.id: _feed_html(r, p.settings, item.card) for item in p.items}
    images = {item.card.event.id: item.image for item in p.items}
    return feeds.json_feed(p.settings, [item.card.event for item in p.items], lambda event: html_of[event.id], r.summary_text,
                           lambda event: images[event.id], r.words)


@dataclass(frozen=True)
class CalendarInputs:
    settings: Settings
    events: tuple[Event, ...]
    updated: dt.date | None


def calendar_file(r: Renderer, p: CalendarInputs) -> bytes:
    """Events known to the day, and expected ones over their window, as iCalendar."""
    return feeds.calendar(p.settings, p.events, r.summary_text, p.updated, r.calendar_memo, r.words)


@dataclass(frozen=True)
class RobotsInputs:
    settings: Settings


def robots_file(r: Renderer, p: RobotsInputs) -> bytes:
    return feeds.robots(p.settings)


@dataclass(frozen=True)
class SitemapInputs:
    settings: Settings
    entries: tuple[tuple[str, dt.date | None], ...]  # the address of each page below its language's root
    roots: tuple[tuple[str, str], ...]  # on a site in several languages, each language and where its pages are


def sitemap_file(r: Renderer, p: SitemapInputs) -> bytes:
    return feeds.sitemap(p.settings, list(p.entries), p.roots)


# The plan ----------------------------------------------------------------------------------------------------------


class _Lookups:
    """What planning asks of the whole site again and again, worked out once."""

    def __init__(self, site: Site, photos: dict[str, ProcessedImage], words: DateWords = ENGLISH) -> None:
        self.site = site
        self.photos = photos
        self.words = words
        self.by_id = {event.id: event for event in site.events}
        self.place = {event.id: index for index, event in enumerate(site.events)}

    def events(self, ids: tuple[str, ...] | list[str]) -> tuple[Event, ...]:
        """The events of these ids that are in the site (not drafts left out), once each."""
        return tuple(self.by_id[event_id] for event_id in dict.fromkeys(ids) if event_id in self.by_id)

    def sources(self, ids: tuple[str, ...] | list[str]) -> tuple[Source, ...]:
        return tuple(self.site.sources[source_id] for source_id in dict.fromkeys(ids) if source_id in self.site.sources)

    @functools.cached_property
    def cards(self) -> dict[str, Card]:
        return {event.id: Card(event, self.events(event.mentions), self.sources(event.sources + event.cites), self.thumbnail(event))
                for event in self.site.events}

    def thumbnail(self, event: Event) -> Thumbnail | None:
        """An event's first photo that is no placeholder, as its card shows it: a placeholder says only that there is
        no photo, which a list need not repeat."""
        photo = next((photo for photo in event.photos if not photo.is_placeholder), None)
        return Thumbnail(photo, self.photos[photo.src]) if photo else None

    def in_timeline_order(self, ids: tuple[str, ...]) -> list[str]:
        if not ids:  # most events
            return []
        return sorted((i for i in ids if i in self.place), key=self.place.__getitem__)

    @functools.cached_property
    def tags(self) -> dict[str, tuple[str, list[Event]]]:
        """Tag slug -> (name as first written, events in timeline order), sorted by name."""
        tags: dict[str, tuple[str, list[Event]]] = {}
        for event in self.site.events:
            for tag in event.tags:
                tags.setdefault(tag_slug(tag), (tag, []))[1].append(event)
        return dict(sorted(tags.items(), key=lambda item: item[1][0].lower()))

    @functools.cached_property
    def timeline(self) -> list[TimelineYear]:
        """The events by year and month (see `render.group_timeline`)."""
        return group_timeline(self.site.events, self.words)

    def is_large(self) -> bool:
        return len(self.site.events) > self.site.settings.timeline_threshold


@dataclass(frozen=True)
class Edition:
    """The site in one of its languages, as its pages show it: its content in the language (see
    `languages.in_language`), the chrome of its pages, and each event's sharing card's address."""

    site: Site
    chrome: Chrome
    social_cards: dict[str, str]
    words: DateWords = ENGLISH  # how dates read in the language (month headings, titles of month pages)


def plan_site(editions: list[Edition], photos: dict[str, ProcessedImage]) -> list[PlannedPage]:
    """Every file of the site to make, each with what it is made of: the pages of each language (the first at `/`, each
    other under its own root, `/be/`, with the same paths below), then the files of the whole site."""
    pages = []
    for edition in editions:
        prefix = edition.site.settings.root.lstrip("/")
        language = edition.site.settings.language
        pages += [replace(page, path=f"{prefix}/{page.path}" if prefix else page.path, language=language)
                  for page in _language_pages(edition, photos)]
    first = editions[0]
    settings, updated = first.site.settings, feeds.content_updated(first.site.events, first.site.pages)
    roots = tuple((edition.site.settings.language, edition.site.settings.root) for edition in editions) if len(editions) > 1 else ()
    entries = _sitemap_entries(first.site, [page for page in pages if page.language == settings.language], updated)
    pages += [PlannedPage("_redirects", redirects_file, RedirectsInputs(_redirect_rules(editions)), language=settings.language),
              PlannedPage("robots.txt", robots_file, RobotsInputs(settings), language=settings.language),
              PlannedPage("sitemap.xml", sitemap_file, SitemapInputs(settings, entries, roots), language=settings.language)]
    return pages


def _language_pages(edition: Edition, photos: dict[str, ProcessedImage]) -> list[PlannedPage]:
    """The pages of one language, their paths below its root."""
    site, chrome = edition.site, edition.chrome
    look = _Lookups(site, photos, edition.words)
    settings = site.settings
    updated = feeds.content_updated(site.events, site.pages)
    images = {event.id: settings.absolute(edition.social_cards[event.id]) if event.id in edition.social_cards else None
              for event in site.events}
    pages = [_home(look, chrome)]
    pages += _event_pages(look, chrome, photos, images)
    pages += [PlannedPage(f"{page.slug}/index.html", narrative_page, _narrative_inputs(look, chrome, page), searchable=True)
              for page in site.pages if not page.is_home]
    pages += _year_pages(look, chrome)
    pages += _tag_pages(look, chrome)
    pages += _source_pages(look, chrome)
    updates = UpdatesInputs(chrome, tuple(UpdateOwner(owner, *_refs_of(look, owner)) for owner in (*site.events, *site.pages)
                                          if owner.updates))
    pages += [PlannedPage("updates/index.html", updates_page, updates), PlannedPage("updates/feed.xml", updates_feed, updates)]
    tags = tuple((slug, name) for slug, (name, _) in look.tags.items())
    pages.append(PlannedPage("search/index.html", search_page, SearchInputs(chrome, _year_links(look), tags)))
    pages += _alias_pages(look, chrome)
    pages.append(PlannedPage("404.html", not_found_page, NotFoundInputs(chrome)))
    newest = FeedInputs(settings, tuple(FeedItem(look.cards[event.id], images[event.id]) for event in feeds.feed_events(site.events)), updated)
    pages += [PlannedPage("feed.xml", atom_feed, newest), PlannedPage("feed.json", json_feed, newest),
              PlannedPage("calendar.ics", calendar_file, CalendarInputs(settings, site.events, updated))]
    return pages


def _refs_of(look: _Lookups, owner: Event | Page) -> tuple[tuple[Event, ...], tuple[Source, ...]]:
    """The events an event's or page's texts link, and the sources it lists or cites."""
    if isinstance(owner, Event):
        card = look.cards[owner.id]  # the same, worked out once for every event
        return card.linked, card.sources
    texts = [owner.body, owner.summary, *(update.text for update in owner.updates)]
    mentioned = [ref.id for text in texts for ref in markup.find_references(text) if ref.kind == "event"]
    return look.events(mentioned), look.sources(owner.cites)


def _narrative_inputs(look: _Lookups, chrome: Chrome, page: Page) -> NarrativeInputs:
    return NarrativeInputs(chrome, page, *_refs_of(look, page))


def _event_pages(look: _Lookups, chrome: Chrome, photos: dict[str, ProcessedImage], images: dict[str, str | None]) -> Iterator[PlannedPage]:
    events, language = look.site.events, look.site.settings.language
    for index, event in enumerate(events):
        before = events[index - 1] if index > 0 else None
        after = events[index + 1] if index + 1 < len(events) else None
        inputs = EventPageInputs(
            chrome, event, before and _link(before, language), after and _link(after, language),
            tuple(look.cards[i] for i in look.in_timeline_order(event.related)), *_refs_of(look, event),
            tuple(photos[photo.src] for photo in event.photos), images[event.id])
        yield PlannedPage(f"events/{event.id}/index.html", event_page, inputs, searchable=True)


def _link(item: Event | Page, language: str) -> Link:
    """A link to an event or page, in the pages of `language`: its title's language said where it is another (the
    item is not yet translated)."""
    return Link(item.url, item.title, item.language if item.language != language else "")


def _alias_pages(look: _Lookups, chrome: Chrome) -> Iterator[PlannedPage]:
    """A page at each old address of an event, sending readers on."""
    for event in look.site.events:
        for alias in event.aliases:
            yield PlannedPage(f"events/{alias}/index.html", alias_page, AliasInputs(chrome, alias, _link(event, look.site.settings.language)))


def _redirect_rules(editions: list[Edition]) -> tuple[str, ...]:
    """Netlify's rules: each old address of an event to its new one, in every language; and the pages of a language
    that are not found to that language's own 404 page (Netlify serves /404.html for the rest)."""
    rules = []
    for edition in editions:
        root = edition.site.settings.root
        for event in edition.site.events:
            for alias in event.aliases:
                # "301!" because the redirect page above would otherwise shadow the rule on Netlify
                rules += [f"{root}/events/{alias}/ {event.url} 301!", f"{root}/events/{alias} {event.url} 301!"]
    rules += [f"{edition.site.settings.root}/* {edition.site.settings.root}/404.html 404" for edition in editions[1:]]
    return tuple(rules)


def _home(look: _Lookups, chrome: Chrome) -> PlannedPage:
    site = look.site
    home = next((page for page in site.pages if page.is_home), None) or Page("index", site.settings.title, "", Position("content/index.md"))
    if look.is_large():
        latest = tuple(look.cards[event.id] for event in reversed(site.events[-LATEST_ON_HOME:]))
        years = tuple((year.year, f"{site.settings.root}/years/{year.year}/", year.count) for year in look.timeline)
        return PlannedPage("index.html", home_page, HomeInputs(_narrative_inputs(look, chrome, home), latest, years))
    cards = tuple(look.cards[event.id] for event in site.events)
    return PlannedPage("index.html", home_page, HomeInputs(_narrative_inputs(look, chrome, home), cards, ()))


def _year_links(look: _Lookups) -> tuple[tuple[int, str], ...]:
    """Where each year's events are read: its page on a large site, else its place in the home page's timeline."""
    years, root = look.timeline, look.site.settings.root
    if look.is_large():
        return tuple((year.year, f"{root}/years/{year.year}/") for year in years)
    return tuple((year.year, f"{root}/#{year.anchor}") for year in years)


def _year_pages(look: _Lookups, chrome: Chrome) -> Iterator[PlannedPage]:
    """On a large site, a page per year, and per month when a year alone is too long; a month itself too long goes on
    over numbered pages."""
    if not look.is_large():
        return
    years, most, root = look.timeline, look.site.settings.timeline_threshold, look.site.settings.root
    links = [NavLink(str(year.year), f"{root}/years/{year.year}/") for year in years]
    for number, year in enumerate(years):
        around = (links[number - 1] if number else None, links[number + 1] if number + 1 < len(years) else None)
        split = year.count > most
        month_links = [NavLink(month.label, f"{root}/years/{year.year}/{month.anchor}/") for month in year.months]
        cards = () if split else tuple(look.cards[event.id] for month in year.months for event in month.events)
        months = tuple((month.label, link.href, len(month.events)) for month, link in zip(year.months, month_links)) if split else ()
        yield PlannedPage(f"years/{year.year}/index.html", year_page, YearInputs(chrome, year.year, cards, months, *around))
        if not split:
            continue
        for index, month in enumerate(year.months):
            base = f"years/{year.year}/{month.anchor}/"
            chunks = _paginate(month.events, most)
            for page_number, chunk in enumerate(chunks, start=1):
                path = page_path(base, page_number)
                yield PlannedPage(path, month_page, MonthInputs(
                    chrome, year.year, links[number], month.label, path, tuple(look.cards[event.id] for event in chunk),
                    (base, page_number, len(chunks)), month_links[index - 1] if index else None,
                    month_links[index + 1] if index + 1 < len(month_links) else None))


def _tag_pages(look: _Lookups, chrome: Chrome) -> Iterator[PlannedPage]:
    tags = look.tags
    yield PlannedPage("tags/index.html", tags_page,
                      TagsInputs(chrome, tuple((name, f"{look.site.settings.root}/tags/{slug}/", len(events))
                                               for slug, (name, events) in tags.items())))
    for slug, (name, events) in tags.items():
        chunks = _paginate(events, look.site.settings.page_size)
        for number, chunk in enumerate(chunks, start=1):
            yield PlannedPage(page_path(f"tags/{slug}/", number), tag_page,
                              TagInputs(chrome, name, slug, tuple(look.cards[event.id] for event in chunk), number, len(chunks)))


def _source_pages(look: _Lookups, chrome: Chrome) -> Iterator[PlannedPage]:
    """The list of sources; each with the first events citing it, the rest on its own page when many do."""
    site, language = look.site, look.site.settings.language
    cited: defaultdict[str, list[Link]] = defaultdict(list)  # events first, in timeline order, then pages
    for event in site.events:
        link = _link(event, language)
        for source_id in dict.fromkeys((*event.sources, *event.cites)):
            cited[source_id].append(link)
    by_events = {source_id: len(links) for source_id, links in cited.items()}  # how many of each source's citers are events
    for page in site.pages:
        for source_id in dict.fromkeys(page.cites):
            cited[source_id].append(_link(page, language))
    sources = sorted(site.sources.values(), key=lambda source: (source.publisher.casefold(), source.title.casefold()))
    root = site.settings.root
    entries = [SourceEntry(source, tuple(cited[source.id][:SOURCES_PAGE_CITERS]), len(cited[source.id]),
                           f"{root}/sources/{source.id}/" if len(cited[source.id]) > SOURCES_PAGE_CITERS else None,
                           by_events.get(source.id, 0)) for source in sources]
    chunks = _paginate(entries, SOURCES_PER_PAGE)
    for number, chunk in enumerate(chunks, start=1):
        before = chunks[number - 2][-1].source.publisher if number > 1 else None
        yield PlannedPage(page_path("sources/", number), sources_page,
                          SourcesInputs(chrome, group_by_publisher(chunk, before), number, len(chunks)))
    for source in sources:
        if len(cited[source.id]) <= SOURCES_PAGE_CITERS:
            continue
        citers = _paginate(cited[source.id], site.settings.page_size)
        for number, chunk in enumerate(citers, start=1):
            yield PlannedPage(page_path(f"sources/{source.id}/", number), source_page,
                              SourceInputs(chrome, source, tuple(chunk), number, len(citers)))


def _sitemap_entries(site: Site, pages: list[PlannedPage], updated: dt.date | None) -> tuple[tuple[str, dt.date | None], ...]:
    """Every HTML page a search engine should know, with the day it last changed where that is known."""
    entries: list[tuple[str, dt.date | None]] = [("/", updated)]
    entries += [(event.url, feeds.event_updated(event)) for event in site.events]
    entries += [(page.url, max((u.date.first_day for u in page.updates), default=None)) for page in site.pages if not page.is_home]
    entries += [("/" + page.path.removesuffix("index.html"), None) for page in pages
                if page.path.endswith("index.html") and page.path.startswith(LISTING_PAGES)]
    return tuple(sorted(entries, key=lambda entry: entry[0]))


def _paginate(items: list, size: int) -> list[list]:
    """Items in pages of `size` (at least one page, maybe empty)."""
    return [items[start:start + size] for start in range(0, len(items), size)] or [[]]
