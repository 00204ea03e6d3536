"""Lay the validated site out as pages: every computed field ready, templates only place them."""
from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import feeds, markup
from .dates import MONTHS, Precision
from .model import Event, Page, Photo, Site, Source, Update
from .problems import Position
from .validate import slugify

LANGUAGE_NAMES = {
    "be": "Belarusian", "cs": "Czech", "de": "German", "en": "English", "es": "Spanish", "et": "Estonian",
    "fr": "French", "it": "Italian", "lt": "Lithuanian", "lv": "Latvian", "pl": "Polish", "pt": "Portuguese",
    "ru": "Russian", "sr": "Serbian", "tr": "Turkish", "uk": "Ukrainian",
}

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

    def __init__(self, raw_html: bool, store: dict[str, str] | None = None) -> None:
        self._converter = markup.make_converter(raw_html)
        self._store = store if store is not None else {}

    def block(self, text: str) -> str:
        return self._cached("b", text, markup.render_markdown)

    def inline(self, text: str) -> str:
        return self._cached("i", text, markup.render_inline)

    def _cached(self, kind: str, text: str, render: Callable) -> str:
        key = kind + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        if key not in self._store:
            self._store[key] = render(self._converter, text)
        return self._store[key]


@dataclass
class Note:
    """A numbered source note at the foot of a page, with a back-link to each place citing it."""

    number: int
    source: Source
    backlinks: list[tuple[str, str]] = field(default_factory=list)  # (anchor id, locator)


class Notes:
    """The notes of one page, numbered in the order their sources are first cited."""

    def __init__(self, sources: dict[str, Source], target: str = "", anchors: bool = True) -> None:
        self._sources = sources
        self._target = target
        self._anchors = anchors
        self.entries: dict[str, Note] = {}

    def cite(self, source_id: str, locator: str) -> str:
        note = self.entries.get(source_id)
        if note is None:
            note = self.entries[source_id] = Note(len(self.entries) + 1, self._sources[source_id])
        anchor = f"cite-{note.number}-{len(note.backlinks) + 1}"
        note.backlinks.append((anchor, locator))
        id_attribute = f' id="{anchor}"' if self._anchors else ""
        title = html.escape(f"{note.source.publisher}: {note.source.title}" + (f", {locator}" if locator else ""))
        return (f'<sup class="cite"{id_attribute}><a href="{self._target}#note-{note.number}" '
                f'title="{title}" aria-label="Source {note.number}">{note.number}</a></sup>')

    def add_uncited(self, source_ids: tuple[str, ...]) -> None:
        for source_id in source_ids:
            if source_id not in self.entries:
                self.entries[source_id] = Note(len(self.entries) + 1, self._sources[source_id])

    @property
    def list(self) -> list[Note]:
        return list(self.entries.values())


@dataclass(frozen=True)
class TimelineMonth:
    label: str
    anchor: str
    events: list[Event]


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
            label = MONTHS[month - 1] + f" {year}" if month else f"{year}, month unknown"
            anchor = f"y{year}-{month:02d}" if month else f"y{year}-undated"
            months.append(TimelineMonth(label, anchor, list(in_month)))
        years.append(TimelineYear(year, f"y{year}", months))
    return years


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


def tag_slug(tag: str) -> str:
    return slugify(tag) or "tag"


def events_by_tag(events: tuple[Event, ...]) -> dict[str, tuple[str, list[Event]]]:
    """Tag slug -> (name as first written, events in timeline order), sorted by name."""
    tags: dict[str, tuple[str, list[Event]]] = {}
    for event in events:
        for tag in event.tags:
            tags.setdefault(tag_slug(tag), (tag, []))[1].append(event)
    return dict(sorted(tags.items(), key=lambda item: item[1][0].lower()))


def citing_pages(site: Site, fragments: Fragments) -> dict[str, list[tuple[str, str]]]:
    """Source id -> (title, url) of every event and page that cites or lists it."""
    cited: dict[str, dict[str, str]] = {}
    for event in site.events:
        ids = list(event.sources) + [ref.id for ref in markup.find_references(event.summary + "\n" + event.body) if ref.kind == "cite"]
        for source_id in dict.fromkeys(ids):
            cited.setdefault(source_id, {})[event.url] = event.title
    for page in site.pages:
        for ref in markup.find_references(page.body + "\n" + page.summary):
            if ref.kind == "cite":
                cited.setdefault(ref.id, {})[page.url] = page.title
    return {source_id: [(title, url) for url, title in pages.items()] for source_id, pages in cited.items()}


class Renderer:
    """Renders each page of a site with the Jinja templates of a folder."""

    def __init__(self, site: Site, templates: Path, *, fragments: Fragments, images: dict, asset_urls: dict[str, str],
                 social_cards: dict[str, str] | None = None, search: bool = True) -> None:
        self.site = site
        self.fragments = fragments
        self.images = images
        self.social_cards = social_cards or {}
        self.sitemap: list[tuple[str, dt.date | None]] = []
        self.by_id = {event.id: event for event in site.events}
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["language_name"] = language_name
        self.env.globals.update(search_enabled=search, site=site.settings, menu=[p for p in site.pages if not p.is_home],
                                asset=_asset_lookup(asset_urls))

    def render(self, template: str, path: str, *, jsonld: dict | None = None, image: str | None = None,
               modified: dt.date | None = None, in_sitemap: bool = True, **context) -> Output:
        url = "/" + path.removesuffix("index.html")
        if jsonld is None:
            jsonld = feeds.page_jsonld(self.site, context["title"], url, context["description"], modified)
        page = self.env.get_template(template).render(
            url=url, canonical=self.site.settings.absolute(url), jsonld=Markup(feeds.jsonld_script(jsonld)),
            og_image=image, **context)
        if in_sitemap:
            self.sitemap.append((url, modified))
        return Output(path, page.encode())

    def resolve(self, fragment: str, notes: Notes, base: str = "") -> Markup:
        """An HTML fragment with its event links and citations filled in for this page (`base` makes links absolute)."""
        def replace(kind: str, ref: str, locator: str) -> str:
            if kind == "cite":
                return notes.cite(ref, locator)
            target = self.by_id.get(ref)
            if target is None:
                return ""
            return (f'<a class="event-ref" href="{base}{target.url}">{html.escape(target.title)}</a>, '
                    f'<time datetime="{target.when.machine()}">{html.escape(target.date_text)}</time>')
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

    def card(self, event: Event) -> dict:
        return {"event": event, "summary": self.summary(event), "status": STATUS_LABELS[event.status], "tags": self.tag_links(event)}

    def tag_links(self, event: Event) -> list[tuple[str, str]]:
        return [(tag, f"/tags/{tag_slug(tag)}/") for tag in event.tags]

    def event_page(self, index: int) -> Output:
        event = self.site.events[index]
        notes = Notes(self.site.sources)
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
            related=[self.card(self.by_id[r]) for r in event.related if r in self.by_id],
            previous=self.site.events[index - 1] if index > 0 else None,
            next=self.site.events[index + 1] if index + 1 < len(self.site.events) else None,
            title=event.title, description=description,
        )

    def narrative_page(self, page: Page, template: str = "page.html", path: str | None = None, **extra) -> Output:
        notes = Notes(self.site.sources)
        body = self.resolve(self.fragments.block(page.body), notes)
        updates = self.updates(page.updates, notes)
        description = page.summary or self.site.settings.description
        modified = max((update.date.first_day for update in page.updates), default=None)
        return self.render(
            template, path or f"{page.slug}/index.html", modified=modified,
            page=page, body=body, notes=notes.list, updates=updates,
            title=page.title, description=description, **extra,
        )

    def home(self) -> Output:
        home = next((page for page in self.site.pages if page.is_home), None)
        timeline = [{"year": year, "months": [{"month": m, "cards": [self.card(e) for e in m.events]} for m in year.months]}
                    for year in group_timeline(self.site.events)]
        if home is None:
            home = Page("index", self.site.settings.title, "", Position("content/index.md"))
        jsonld = {"@context": "https://schema.org", "@graph": [feeds.website_jsonld(self.site), feeds.timeline_jsonld(self.site, list(self.site.events))]}
        return self.narrative_page(home, "index.html", "index.html", timeline=timeline, jsonld=jsonld)

    def tag_pages(self) -> Iterator[Output]:
        tags = events_by_tag(self.site.events)
        yield self.render("tags.html", "tags/index.html", tags=[(name, f"/tags/{slug}/", len(events)) for slug, (name, events) in tags.items()],
                          title="Topics", description=f"Every topic of {self.site.settings.title}")
        for slug, (name, events) in tags.items():
            yield self.render("tag.html", f"tags/{slug}/index.html", tag=name, cards=[self.card(e) for e in events],
                              title=name, description=f"Events tagged “{name}” in {self.site.settings.title}")

    def sources_page(self) -> Output:
        cited = citing_pages(self.site, self.fragments)
        sources = sorted(self.site.sources.values(), key=lambda s: (s.publisher.lower(), s.title.lower()))
        return self.render("sources.html", "sources/index.html",
                           sources=[{"source": s, "cited_by": cited.get(s.id, [])} for s in sources],
                           title="Sources", description=f"Every source cited in {self.site.settings.title}")

    def alias_pages(self) -> Iterator[Output]:
        """A page at each old address of an event sending readers on, and Netlify's redirect rules."""
        rules = []
        for event in self.site.events:
            for alias in event.aliases:
                yield self.render("redirect.html", f"events/{alias}/index.html", event=event, in_sitemap=False,
                                  title=event.title, description=event.title)
                # "301!" because the redirect page above would otherwise shadow the rule on Netlify
                rules += [f"/events/{alias}/ {event.url} 301!", f"/events/{alias} {event.url} 301!"]
        yield Output("_redirects", "".join(f"{rule}\n" for rule in rules).encode())

    def search_page(self) -> Output:
        return self.render("search.html", "search/index.html", title="Search", description=f"Search {self.site.settings.title}",
                           years=group_timeline(self.site.events), tags=list(events_by_tag(self.site.events).items()))

    def not_found(self) -> Output:
        return self.render("404.html", "404.html", in_sitemap=False, title="Page not found", description=self.site.settings.description)

    def updates_pages(self) -> Iterator[Output]:
        """Every update and correction of the site, newest first, as a page and as an Atom feed."""
        entries = feeds.update_entries(self.site, lambda update: str(self.resolve(self.fragments.inline(update.text), Notes(self.site.sources), "")))
        newest = entries[0].date.first_day if entries else None
        yield self.render("updates.html", "updates/index.html", entries=entries, modified=newest,
                          title="Updates and corrections", description=f"Every update and correction of {self.site.settings.title}, newest first")
        yield Output("updates/feed.xml", feeds.updates_atom_feed(self.site, entries))

    def machine_outputs(self) -> Iterator[Output]:
        """Feeds, calendar, robots.txt and, last, the sitemap of every page rendered before it."""
        events = feeds.feed_events(self.site)
        yield Output("feed.xml", feeds.atom_feed(self.site, events, self.feed_html, self.summary_text))
        yield Output("feed.json", feeds.json_feed(self.site, events, self.feed_html, self.summary_text, self.card_image))
        yield Output("calendar.ics", feeds.calendar(self.site, list(self.site.events), self.summary_text))
        yield Output("robots.txt", feeds.robots(self.site))
        yield Output("sitemap.xml", feeds.sitemap(self.site, sorted(self.sitemap, key=lambda entry: entry[0])))


def render_site(renderer: Renderer) -> Iterator[Output]:
    """Every page of the site, one at a time."""
    yield renderer.home()
    for index in range(len(renderer.site.events)):
        yield renderer.event_page(index)
    for page in renderer.site.pages:
        if not page.is_home:
            yield renderer.narrative_page(page)
    yield from renderer.tag_pages()
    yield renderer.sources_page()
    yield from renderer.updates_pages()
    yield renderer.search_page()
    yield from renderer.alias_pages()
    yield renderer.not_found()
    yield from renderer.machine_outputs()
