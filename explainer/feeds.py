"""Machine-readable outputs: Atom and JSON feeds, the calendar, the sitemap, robots.txt and JSON-LD.

Every function here is pure: it takes the site's settings and the values it shows (and the
renderer's callables for HTML it cannot make itself) and returns bytes or a dict, the same
bytes for the same input.
Dates that the formats need as full timestamps use the earliest possible day at midnight UTC;
the honest label ("late October 2021") always travels with them, and no day is ever shown
to a reader that the content does not give.
"""
from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit


from .cache import fingerprint
from .dates import ENGLISH, DateWords, PartialDate, Precision, _n
from .model import Event, Page, Settings, Source, Update

FEED_SIZE = 50
EPOCH = dt.date(1970, 1, 1)

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
SCHEMA = "https://schema.org"

EVENT_STATUS = {
    "happened": "https://schema.org/EventScheduled",
    "expected": "https://schema.org/EventScheduled",
    "postponed": "https://schema.org/EventPostponed",
    "cancelled": "https://schema.org/EventCancelled",
    "rescheduled": "https://schema.org/EventRescheduled",
}
CALENDAR_STATUS = {"expected": "TENTATIVE", "cancelled": "CANCELLED"}
# Words of the feeds and the calendar, in the catalogue of each language (see `render.load_catalogue`).
STATUS_PREFIX = {"expected": _n("Expected"), "postponed": _n("Postponed"), "cancelled": _n("Cancelled"), "rescheduled": _n("Rescheduled")}
STATUS_AFTER_DATE = {"expected": _n("{date} (expected)"), "postponed": _n("{date} (postponed)"), "cancelled": _n("{date} (cancelled)"),
                     "rescheduled": _n("{date} (rescheduled)")}
UPDATE_PREFIX = {"correction": _n("Correction: {title}"), "update": _n("Update: {title}")}

EventText = Callable[[Event], str]
EventImage = Callable[[Event], "str | None"]


@dataclass(frozen=True)
class UpdateEntry:
    """One dated update or correction of an event or a page, ready for the updates feed and page."""

    date: PartialDate
    kind: str
    text_html: str
    title: str
    path: str
    language: str = ""  # of its title, where it is not the page's (not yet translated)
    text_language: str = ""  # of its text: its title's, or the original's where a translation left the update out


# Dates -----------------------------------------------------------------------------------------


def update_day(update: Update) -> dt.date:
    """The day of an update (validation requires updates to be dated to the day)."""
    return update.date.first_day


def content_updated(events: tuple[Event, ...], pages: tuple[Page, ...]) -> dt.date | None:
    """The latest day the content speaks of: events' latest days and every event and page update."""
    days = [event.when.latest for event in events]
    days += [update_day(update) for event in events for update in event.updates]
    days += [update_day(update) for page in pages for update in page.updates]
    return max(days, default=None)


def event_updated(event: Event) -> dt.date:
    """The day an event last changed: its newest update, never before its earliest possible day."""
    if not event.updates:  # most events (a hot path: the sitemap asks for every event's)
        return event.when.earliest
    return max([event.when.earliest, *(update_day(update) for update in event.updates)])


def timestamp(day: dt.date | None) -> str:
    """An RFC 3339 timestamp at midnight UTC of a day (the Unix epoch when there is none)."""
    return f"{(day or EPOCH).isoformat()}T00:00:00Z"


def honest_date(event: Event, words: DateWords = ENGLISH) -> str:
    """The event's date as a reader should read it at the start of a line (in `words`' language), with its time and
    status: "November 2021 (expected)"."""
    text = event.date_in(words, starts_line=True)
    if event.time is not None:
        text += f", {event.time:%H:%M}"
    if event.status in STATUS_AFTER_DATE:
        text = words.phrase(STATUS_AFTER_DATE[event.status], date=text)
    return text


def dated_summary(event: Event, summary: str, words: DateWords = ENGLISH) -> str:
    """A plain-text summary that starts with the honest date, so no reader takes a feed timestamp for a day."""
    return words.phrase(_n("{date}: {summary}"), date=honest_date(event, words), summary=summary)


# Selection -------------------------------------------------------------------------------------


def feed_events(events: tuple[Event, ...], limit: int = FEED_SIZE) -> list[Event]:
    """The `limit` newest events, newest first; those equal on date and time as written (a stable sort).
    `events`: in timeline order, the newest at the end, with those equal to the oldest of them."""
    start = max(len(events) - limit, 0)
    while start > 0 and events[start - 1].sort_key() == events[start].sort_key():
        start -= 1
    return sorted(events[start:], key=lambda event: event.sort_key(), reverse=True)[:limit]


def newest_first(entries: list[UpdateEntry]) -> list[UpdateEntry]:
    """Updates newest first; those of one day in the order given (events, then pages, each as written)."""
    return sorted(entries, key=lambda entry: entry.date.first_day, reverse=True)


# XML -------------------------------------------------------------------------------------------


def sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    """A new child element with escaped text and attributes, in the order given."""
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def xml_bytes(root: ET.Element) -> bytes:
    """An element tree as an indented UTF-8 document with an XML declaration."""
    ET.indent(root, space=" ")
    return XML_DECLARATION + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def author_name(settings: Settings) -> str:
    """Who the feeds and JSON-LD name as author: the site's author, else its title."""
    return settings.author or settings.title


def atom_head(settings: Settings, *, feed_id: str, title: str, self_url: str, alternate: str, updated: dt.date | None) -> ET.Element:
    """An Atom `<feed>` with the elements every feed of the site shares, entries still to add."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS, XML_LANG: settings.language})
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    sub(feed, "subtitle", settings.description)
    sub(feed, "updated", timestamp(updated))
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=alternate)
    sub(sub(feed, "author"), "name", author_name(settings))
    if settings.license:
        sub(feed, "rights", settings.license)
    return feed


def atom_feed(settings: Settings, events: list[Event], html_of: EventText, summary_of: EventText, updated: dt.date | None,
              words: DateWords = ENGLISH) -> bytes:
    """An Atom (RFC 4287) feed (`/feed.xml`, `/be/feed.xml`) of the given events in the language of `settings` and
    `words`, dated `updated`; entry ids are the events' absolute URLs. An entry not yet translated says its own language."""
    root = settings.root
    feed = atom_head(settings, feed_id=settings.absolute(f"{root}/"), title=settings.title, self_url=settings.absolute(f"{root}/feed.xml"),
                     alternate=settings.absolute(f"{root}/"), updated=updated)
    for event in events:
        url = settings.absolute(event.url)
        entry = sub(feed, "entry", **_own_language(event.language, settings))
        sub(entry, "id", url)
        sub(entry, "title", event.title)
        sub(entry, "link", rel="alternate", type="text/html", href=url)
        sub(entry, "published", timestamp(event.when.earliest))
        sub(entry, "updated", timestamp(event_updated(event)))
        sub(entry, "summary", dated_summary(event, summary_of(event), words))
        sub(entry, "content", html_of(event), type="html")
        for tag in event.tags:
            sub(entry, "category", term=tag)
    return xml_bytes(feed)


def update_entry_ids(settings: Settings, entries: list[UpdateEntry]) -> list[str]:
    """A stable id for each update: its page's URL, `#update-` and its day, then `-2`, `-3` for more that day, as written."""
    seen: dict[tuple[str, str], int] = {}
    ids = []
    for entry in entries:  # update_entries keeps the written order within a day
        key = (entry.path, entry.date.iso())
        seen[key] = seen.get(key, 0) + 1
        suffix = f"-{seen[key]}" if seen[key] > 1 else ""
        ids.append(f"{settings.absolute(entry.path)}#update-{entry.date.iso()}{suffix}")
    return ids


def updates_atom_feed(settings: Settings, entries: list[UpdateEntry], words: DateWords = ENGLISH) -> bytes:
    """The Atom feed of updates and corrections (`/updates/feed.xml`), dated by its newest entry."""
    newest = max((entry.date.first_day for entry in entries), default=None)
    updates = f"{settings.root}/updates/"
    feed = atom_head(settings, feed_id=settings.absolute(updates), title=words.phrase(_n("{site}: updates and corrections"), site=settings.title),
                     self_url=settings.absolute(updates + "feed.xml"), alternate=settings.absolute(updates), updated=newest)
    for entry, entry_id in zip(entries, update_entry_ids(settings, entries)):
        item = sub(feed, "entry", **_own_language(entry.language, settings))
        sub(item, "id", entry_id)
        sub(item, "title", words.phrase(UPDATE_PREFIX.get(entry.kind, "{title}"), title=entry.title))
        sub(item, "link", rel="alternate", type="text/html", href=settings.absolute(entry.path) + "#updates-title")
        sub(item, "published", timestamp(entry.date.first_day))
        sub(item, "updated", timestamp(entry.date.first_day))
        sub(item, "content", entry.text_html, type="html", **_own_language(entry.text_language, settings, entry.language))
        sub(item, "category", term=entry.kind)
    return xml_bytes(feed)


def sitemap(settings: Settings, pages: list[tuple[str, dt.date | None]], roots: tuple[tuple[str, str], ...] = ()) -> bytes:
    """A sitemaps.org 0.9 urlset of the given site paths, sorted by path; a path given twice keeps its latest day.

    `roots`, on a site in several languages: each language and where its pages are ("en", ""),
    ("be", "/be"). Every path is then listed in each language, each entry naming all of them
    (and the first language as `x-default`) as alternates, as search engines ask.
    """
    latest: dict[str, dt.date | None] = {}
    for path, day in pages:
        known = [d for d in (latest.get(path), day) if d is not None]
        latest[path] = max(known, default=None)
    urlset = ET.Element("urlset", {"xmlns": SITEMAP_NS, **({"xmlns:xhtml": XHTML_NS} if roots else {})})
    for path in sorted(latest):
        for root in [root for _, root in roots] or [""]:
            url = sub(urlset, "url")
            sub(url, "loc", settings.absolute(root + path))
            if latest[path] is not None:
                sub(url, "lastmod", latest[path].isoformat())
            for code, other in (*roots, ("x-default", roots[0][1])) if roots else ():
                sub(url, "xhtml:link", rel="alternate", hreflang=code, href=settings.absolute(other + path))
    return xml_bytes(urlset)


def _own_language(language: str, settings: Settings, around: str = "") -> dict[str, str]:
    """An element's `xml:lang` where its words (in `language`) are not in the language `around` them (the feed's,
    unless its entry says another): not yet translated."""
    return {XML_LANG: language} if language and language != (around or settings.language) else {}


def robots(settings: Settings) -> bytes:
    """A robots.txt that allows everything and names the sitemap."""
    return f"User-agent: *\nAllow: /\nSitemap: {settings.absolute('/sitemap.xml')}\n".encode("utf-8")


# JSON Feed -------------------------------------------------------------------------------------


def json_bytes(data: dict) -> bytes:
    """A dict as deterministic UTF-8 JSON, keys in the order built."""
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def json_feed_item(settings: Settings, event: Event, html_of: EventText, summary_of: EventText, image_of: EventImage,
                   words: DateWords = ENGLISH) -> dict:
    """One JSON Feed item, with the honest date in the `_explainer` extension."""
    url = settings.absolute(event.url)
    item = {
        "id": url,
        "url": url,
        "title": event.title,
        "content_html": html_of(event),
        "summary": dated_summary(event, summary_of(event), words),
        "date_published": timestamp(event.when.earliest),
        "date_modified": timestamp(event_updated(event)),
    }
    if event.tags:
        item["tags"] = list(event.tags)
    if event.language and event.language != settings.language:  # not yet translated
        item["language"] = event.language
    image = image_of(event)
    if image:
        item["image"] = image
    item["_explainer"] = {"date": event.when.iso(), "date_label": event.date_in(words), "status": event.status}
    return item


def json_feed(settings: Settings, events: list[Event], html_of: EventText, summary_of: EventText, image_of: EventImage,
              words: DateWords = ENGLISH) -> bytes:
    """A JSON Feed 1.1 (`/feed.json`, `/be/feed.json`) of the given events, in the language of `settings` and `words`."""
    feed = {
        "version": JSON_FEED_VERSION,
        "title": settings.title,
        "home_page_url": settings.absolute(f"{settings.root}/"),
        "feed_url": settings.absolute(f"{settings.root}/feed.json"),
        "description": settings.description,
        "language": settings.language,
        "authors": [{"name": author_name(settings)}],
        "items": [json_feed_item(settings, event, html_of, summary_of, image_of, words) for event in events],
    }
    return json_bytes(feed)


# Calendar (RFC 5545) ---------------------------------------------------------------------------


def ical_text(value: str) -> str:
    """A TEXT value escaped for iCalendar: backslash, semicolon, comma and newlines."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line folded into lines of at most 75 octets, never inside a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[bytes] = []
    start, limit = 0, 75
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:  # a continuation byte: step back to the character's start
            end -= 1
        parts.append(data[start:end])
        start, limit = end, 74  # a continuation line starts with one space
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode("utf-8")


def ical_date(day: dt.date) -> str:
    """A DATE value: 20211101."""
    return f"{day:%Y%m%d}"


def is_exact_day(event: Event) -> bool:
    """Whether the event is known to the day: day precision, not a range, not circa, before or after."""
    when = event.when
    return when.precision == Precision.DAY and not (when.is_range or when.circa or when.before or when.after)


def in_calendar(event: Event) -> bool:
    """Whether the event goes in the calendar: known to the day, or expected within a known window."""
    if is_exact_day(event):
        return True
    return event.status == "expected" and not (event.when.before or event.when.after)


def calendar_host(settings: Settings) -> str:
    """The host of the site's base URL, the domain part of every UID."""
    return urlsplit(settings.base_url).hostname or "explainer"


def event_timing(event: Event) -> list[str]:
    """DTSTART (and DTEND) lines: floating local time for a single day with a time, else all-day dates, DTEND exclusive."""
    single_day = event.when.earliest == event.when.latest
    if event.time is not None and single_day and is_exact_day(event):
        return [f"DTSTART:{ical_date(event.when.earliest)}T{event.time:%H%M%S}"]
    start = f"DTSTART;VALUE=DATE:{ical_date(event.when.earliest)}"
    if event.when.latest == dt.date.max:  # the day after it has no date to write: its length instead
        return [start, f"DURATION:P{(event.when.latest - event.when.earliest).days + 1}D"]
    return [start, f"DTEND;VALUE=DATE:{ical_date(event.when.latest + dt.timedelta(days=1))}"]


def calendar_summary(event: Event, words: DateWords = ENGLISH) -> str:
    """The VEVENT SUMMARY: title, with its status and, if the day is not known, the honest date first."""
    text = event.title
    if event.status in STATUS_PREFIX:
        text = words.phrase(_n("{status}: {title}"), status=words.gettext(STATUS_PREFIX[event.status]), title=text)
    if not is_exact_day(event):
        text = words.phrase(_n("(date uncertain: {date}) {title}"), date=event.date_in(words), title=text)
    return text


def vevent(settings: Settings, event: Event, summary: str, stamp: str, words: DateWords = ENGLISH) -> list[str]:
    """The unfolded content lines of one event's VEVENT."""
    url = settings.absolute(event.url)
    description = f"{summary}\n\n{url}"
    lines = ["BEGIN:VEVENT", f"UID:{event.id}@{calendar_host(settings)}", f"DTSTAMP:{stamp}", *event_timing(event),
             f"SUMMARY:{ical_text(calendar_summary(event, words))}",
             f"STATUS:{CALENDAR_STATUS.get(event.status, 'CONFIRMED')}",
             f"URL:{url}",
             f"DESCRIPTION:{ical_text(description)}"]
    if event.place:
        lines.append(f"LOCATION:{ical_text(event.place)}")
    if event.tags:
        lines.append("CATEGORIES:" + ",".join(ical_text(tag) for tag in event.tags))
    lines.append("END:VEVENT")
    return lines


def calendar(settings: Settings, events: Iterable[Event], summary_of: EventText, updated: dt.date | None,
             memo: dict | None = None, words: DateWords = ENGLISH) -> bytes:
    """An iCalendar file (`/calendar.ics`) of the events known to the day, and of expected events within their window.

    `summary_of(event)`: its summary as plain text. Events known only to the month or year
    that are not expected are left out: a calendar cannot show them without inventing a
    day. `updated`: the day the content last changed, each event's DTSTAMP. `memo`, kept by
    the caller between builds, holds each event's folded text by the fingerprint of what it
    is made of, so a site of thousands of events is not written out again for one changed
    entry. The summary stands in that fingerprint by the event's own text: the caller keeps
    the memo only as long as it turns that text into the same summary (one generator version,
    the site's settings being in the key), and a summary is worked out only for an event the
    memo does not hold.
    """
    stamp = f"{ical_date(updated or EPOCH)}T000000Z"
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:-//explainer//{ical_text(settings.title)}//EN",
            "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
            f"X-WR-CALNAME:{ical_text(settings.title)}", f"X-WR-CALDESC:{ical_text(settings.description)}"]
    known = dict(memo or {})
    used: dict = {}
    blocks = ["".join(fold(line) + "\r\n" for line in head)]
    for event in events:
        if in_calendar(event):
            key = fingerprint(settings, event, stamp, words.locale, calendar_summary(event, words))  # what `vevent` shows
            block = known.get(key)
            if block is None:
                block = "".join(fold(line) + "\r\n" for line in vevent(settings, event, summary_of(event), stamp, words))
            blocks.append(block)
            used[key] = block
    blocks.append("END:VCALENDAR\r\n")
    if memo is not None:
        memo.clear()
        memo.update(used)
    return "".join(blocks).encode("utf-8")


# JSON-LD ---------------------------------------------------------------------------------------


def organization(settings: Settings) -> dict:
    """The schema.org Organization that publishes the site."""
    return {"@type": "Organization", "name": author_name(settings)}


def website_jsonld(settings: Settings) -> dict:
    """schema.org WebSite for the home page."""
    return {
        "@context": SCHEMA,
        "@type": "WebSite",
        "name": settings.title,
        "url": settings.absolute(f"{settings.root}/"),
        "description": settings.description,
        "inLanguage": settings.language,
        "publisher": organization(settings),
    }


def timeline_jsonld(settings: Settings, events: list[Event], newest_first: bool = False) -> dict:
    """schema.org ItemList of events in timeline order (or newest first), positions from 1."""
    return {
        "@context": SCHEMA,
        "@type": "ItemList",
        "name": settings.title,
        "itemListOrder": f"https://schema.org/ItemListOrder{'Descending' if newest_first else 'Ascending'}",
        "numberOfItems": len(events),
        "itemListElement": [
            {"@type": "ListItem", "position": number, "url": settings.absolute(event.url), "name": event.title}
            for number, event in enumerate(events, start=1)
        ],
    }


def citation_jsonld(source: Source) -> dict:
    """schema.org CreativeWork for one source."""
    work = {"@type": "CreativeWork", "name": source.title, "url": source.url,
            "publisher": {"@type": "Organization", "name": source.publisher}}
    if source.date is not None:
        work["datePublished"] = source.date.iso()
    if source.language:
        work["inLanguage"] = source.language
    if source.archive_url:
        work["archivedAt"] = source.archive_url
    return work


def start_date(event: Event) -> str | None:
    """ISO 8601 start as precise as known: "2021", "2021-10", "2021-09-12" or "2021-09-12T22:30" (local time).

    None when no one value is true: an event dated only "by", "after" or "c." a date, or
    somewhere in a range across years ("December 2021 or January 2022").
    """
    when = event.when
    if when.before or when.after or when.circa or when.bounds_apart:
        return None
    if event.time is not None and is_exact_day(event):
        return f"{when.start.iso()}T{event.time:%H:%M}"
    return when.machine()


def end_date(event: Event) -> str | None:
    """ISO 8601 end of a span (an event that lasted), None for a single date or a range of uncertainty."""
    when = event.when
    if when.is_range or when.end is None or when.end == when.start:
        return None
    return when.end.iso()


def event_jsonld(settings: Settings, event: Event, summary: str, image: str | None, sources: dict[str, Source]) -> dict:
    """schema.org Event with its sources as citations; no date, day or place is invented where the content gives none."""
    data = {"@context": SCHEMA, "@type": "Event", "name": event.title, "description": summary,
            "inLanguage": event.language or settings.language}
    start = start_date(event)
    if start is not None:
        data["startDate"] = start
        end = end_date(event)
        if end is not None:
            data["endDate"] = end
    data["eventStatus"] = EVENT_STATUS[event.status]
    if event.status == "rescheduled" and event.previous_date is not None:
        data["previousStartDate"] = event.previous_date.iso()
    data["eventAttendanceMode"] = "https://schema.org/OfflineEventAttendanceMode"
    if event.place:
        data["location"] = {"@type": "Place", "name": event.place}
    data["url"] = settings.absolute(event.url)
    if image:
        data["image"] = image
    if event.updates:
        data["dateModified"] = event_updated(event).isoformat()
    data["citation"] = [citation_jsonld(sources[source_id]) for source_id in dict.fromkeys(event.sources + event.cites)
                        if source_id in sources]
    return data


def page_jsonld(settings: Settings, title: str, path: str, description: str, modified: dt.date | None) -> dict:
    """schema.org Article for a narrative page (WebPage for the home page `/`)."""
    data = {
        "@context": SCHEMA,
        "@type": "WebPage" if path == "/" else "Article",
        "headline": title,
        "url": settings.absolute(path),
        "description": description,
        "inLanguage": settings.language,
    }
    if modified is not None:
        data["dateModified"] = modified.isoformat()
    data["author"] = organization(settings)
    data["publisher"] = organization(settings)
    data["isPartOf"] = {"@type": "WebSite", "name": settings.title, "url": settings.absolute(f"{settings.root}/")}
    return data


def jsonld_script(data: dict) -> str:
    """JSON-LD text safe to place inside `<script type="application/ld+json">` (no `<`, `>` or `&` left raw)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
