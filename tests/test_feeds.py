"""Feeds, calendar, sitemap and JSON-LD: valid to independent parsers, honest about dates, deterministic."""
import dataclasses
import datetime as dt
import json
import xml.etree.ElementTree as ET

import feedparser
import icalendar
import pytest

from explainer import feeds
from explainer.dates import PartialDate, When, parse_when
from explainer.model import Update
from explainer.render import Fragments, plain_text

from conftest import site_of

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def site(fixture_site):
    site, found = site_of(fixture_site("basic"))
    assert [problem for problem in found if '"<' not in problem.message] == []  # but its HTML on purpose
    return site


@pytest.fixture
def fragments(site):
    return Fragments(site.settings.raw_html)


@pytest.fixture
def html_of(fragments):
    """Like the renderer's: summary and body HTML (here with the markers left in, which feeds never look at)."""
    return lambda event: f"<p>{fragments.inline(event.summary)}</p>" + fragments.block(event.body)


@pytest.fixture
def summary_of(fragments):
    return lambda event: plain_text(fragments.inline(event.summary))


def event(site, event_id):
    return next(e for e in site.events if e.id == event_id)


def replace_event(site, event_id, **changes):
    return dataclasses.replace(site, events=tuple(dataclasses.replace(e, **changes) if e.id == event_id else e for e in site.events))


def updated(site):
    return feeds.content_updated(site.events, site.pages)


def atom(site, events, html_of, summary_of):
    return feeds.atom_feed(site.settings, events, html_of, summary_of, updated(site))


def newest_first(site):
    return [e.id for e in sorted(site.events, key=lambda e: e.sort_key(), reverse=True)]


# Selection and dates


def test_feed_events_are_newest_first_and_limited(site):
    assert [e.id for e in feeds.feed_events(site.events)] == newest_first(site)
    assert [e.id for e in feeds.feed_events(site.events)][0] == "visit"
    assert [e.id for e in feeds.feed_events(site.events)][-1] == "2021-09-a-month-long-campaign"
    assert [e.id for e in feeds.feed_events(site.events, limit=2)] == newest_first(site)[:2]


def test_events_on_the_same_day_keep_their_written_order_across_the_feeds_limit(site):
    day = When(PartialDate(2021, 10, 3))
    same_day = dataclasses.replace(site, events=tuple(dataclasses.replace(e, when=day, time=None) for e in site.events))
    assert len(same_day.events) >= 4
    for limit in range(1, len(same_day.events) + 1):
        assert [e.id for e in feeds.feed_events(same_day.events, limit=limit)] == newest_first(same_day)[:limit]
        assert [e.id for e in feeds.feed_events(same_day.events, limit=limit)] == [e.id for e in same_day.events][:limit]


def test_content_and_event_updated_come_from_the_content(site):
    assert updated(site) == max(e.when.latest for e in site.events)
    assert feeds.event_updated(event(site, "released")) == dt.date(2021, 9, 20)  # its correction
    assert feeds.event_updated(event(site, "letter")) == dt.date(2021, 10, 21)  # earliest day of late October
    assert updated(dataclasses.replace(site, events=(), pages=())) is None
    later = dataclasses.replace(site.pages[0], updates=(Update(PartialDate(2030, 1, 2), "New intro."),))
    assert updated(dataclasses.replace(site, pages=(later, *site.pages[1:]))) == dt.date(2030, 1, 2)


def test_an_update_dated_before_an_expected_event_does_not_make_it_updated_before_published(site):
    visit = dataclasses.replace(event(site, "visit"), updates=(Update(PartialDate(2021, 10, 5), "Now expected."),))
    assert feeds.event_updated(visit) == visit.when.earliest


# Atom


def test_atom_feed_is_valid_newest_first_and_honest_about_dates(site, html_of, summary_of):
    data = atom(site, feeds.feed_events(site.events), html_of, summary_of)
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.id == "https://example.org/"
    assert parsed.feed.author == "Test desk"
    assert parsed.feed.updated == f"{updated(site)}T00:00:00Z"
    assert {(link.rel, link.href) for link in parsed.feed.links} == {
        ("self", "https://example.org/feed.xml"), ("alternate", "https://example.org/")}
    assert [entry.id for entry in parsed.entries] == [f"https://example.org/events/{i}/" for i in newest_first(site)]
    by_id = {entry.id.split("/")[-2]: entry for entry in parsed.entries}
    campaign = by_id["2021-09-a-month-long-campaign"]
    assert campaign.published == "2021-09-01T00:00:00Z"
    assert campaign.summary == "September 2021: Activists campaign all month."
    assert by_id["letter"].summary.startswith("Late October 2021: ")  # the label opens the text
    assert by_id["visit"].summary.startswith("November 2021 (expected): ")
    assert by_id["detained"].summary.startswith("12 September 2021, 22:30: ")
    assert by_id["released"].updated == "2021-09-20T00:00:00Z"
    assert [tag.term for tag in by_id["detained"].tags] == ["Detentions", "Red notices"]
    assert "tags" not in by_id["letter"]


def test_atom_content_round_trips_html_exactly(site, html_of, summary_of):
    released = event(site, "released")
    root = ET.fromstring(atom(site, [released], html_of, summary_of))
    content = root.find(f"{ATOM}entry/{ATOM}content")
    assert content.get("type") == "html"
    assert content.text == html_of(released)  # raw <script> and & survive as text, not markup
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


def test_atom_feed_is_deterministic(site, html_of, summary_of):
    events = feeds.feed_events(site.events)
    first = atom(site, events, html_of, summary_of)
    assert first == atom(site, events, html_of, summary_of)
    assert first.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n')


def test_an_empty_atom_feed_is_still_valid(site, html_of, summary_of):
    empty = dataclasses.replace(site, events=(), pages=())
    parsed = feedparser.parse(atom(empty, [], html_of, summary_of))
    assert parsed.bozo == 0
    assert parsed.feed.updated == "1970-01-01T00:00:00Z"


# JSON Feed


def test_json_feed_has_the_required_fields_and_the_honest_date(site, html_of, summary_of):
    image_of = lambda e: "https://example.org/img/x.jpg" if e.id == "detained" else None  # noqa: E731
    data = feeds.json_feed(site.settings, feeds.feed_events(site.events), html_of, summary_of, image_of)
    assert data == feeds.json_feed(site.settings, feeds.feed_events(site.events), html_of, summary_of, image_of)
    feed = json.loads(data)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert (feed["title"], feed["home_page_url"], feed["feed_url"]) == (
        "Test timeline", "https://example.org/", "https://example.org/feed.json")
    assert feed["authors"] == [{"name": "Test desk"}] and feed["language"] == "en"
    assert [item["id"] for item in feed["items"]] == [f"https://example.org/events/{i}/" for i in newest_first(site)]
    items = {item["id"].split("/")[-2]: item for item in feed["items"]}
    assert items["letter"]["_explainer"] == {"date": "2021-10", "date_label": "late October 2021", "status": "happened"}
    assert items["letter"]["date_published"] == "2021-10-21T00:00:00Z"
    assert items["visit"]["_explainer"]["status"] == "expected"
    assert items["detained"]["image"] == "https://example.org/img/x.jpg" and "image" not in items["letter"]
    assert items["detained"]["tags"] == ["Detentions", "Red notices"]
    assert items["released"]["content_html"] == html_of(event(site, "released"))
    assert all(item["summary"] and item["title"] and item["url"] == item["id"] for item in feed["items"])


def test_json_feed_keeps_non_ascii_as_utf8(site, html_of, summary_of):
    site = replace_event(site, "letter", title="Письмо отправлено")
    data = feeds.json_feed(site.settings, list(site.events), html_of, summary_of, lambda e: None)
    assert "Письмо отправлено".encode() in data


# Calendar


def calendar_of(site, events=None, memo=None, summarised=None):
    """The calendar of the site's events (or of these), each described by its summary's first words (the ids of
    those whose summary was asked for added to `summarised`)."""
    events = site.events if events is None else events

    def summary_of(event):
        if summarised is not None:
            summarised.append(event.id)
        return event.summary.split("[@")[0]
    return feeds.calendar(site.settings, events, summary_of, updated(site), memo)


def ics(site, events=None):
    data = calendar_of(site, events)
    return data, icalendar.Calendar.from_ical(data)


def vevents(calendar):
    return {str(component["UID"]).split("@")[0]: component for component in calendar.walk("VEVENT")}


def test_calendar_parses_and_has_its_header(site):
    data, calendar = ics(site)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//explainer//Test timeline//EN"
    assert str(calendar["X-WR-CALNAME"]) == "Test timeline"
    assert data == calendar_of(site)
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert data.endswith(b"END:VCALENDAR\r\n")


def test_an_expected_month_event_spans_its_month_and_says_so(site):
    visit = vevents(ics(site)[1])["visit"]
    assert visit["DTSTART"].dt == dt.date(2021, 11, 1)
    assert visit["DTEND"].dt == dt.date(2021, 12, 1)  # exclusive: the whole of November
    assert not isinstance(visit["DTSTART"].dt, dt.datetime)
    assert str(visit["STATUS"]) == "TENTATIVE"
    assert str(visit["SUMMARY"]) == "(date uncertain: November 2021) Expected: A visit is expected"


def test_day_events_are_all_day_or_at_their_floating_time(site):
    events = vevents(ics(site)[1])
    detained = events["detained"]
    assert detained["DTSTART"].dt == dt.datetime(2021, 9, 12, 22, 30)
    assert detained["DTSTART"].dt.tzinfo is None  # local time where it happened, not UTC
    assert "DTEND" not in detained
    assert str(detained["STATUS"]) == "CONFIRMED"
    assert str(detained["URL"]) == "https://example.org/events/detained/"
    assert str(detained["DESCRIPTION"]) == "Police detain an activist in Piaseczno.\n\nhttps://example.org/events/detained/"
    released = events["released"]
    assert (released["DTSTART"].dt, released["DTEND"].dt) == (dt.date(2021, 9, 13), dt.date(2021, 9, 14))
    assert released["DTSTAMP"].dt == dt.datetime(2021, 11, 30, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("date, end, days", [("9999-12-31", None, 1), ("9999-12-01", "9999-12-31", 31)])
def test_an_event_ending_on_the_calendar_s_last_day_gives_its_length_for_want_of_a_day_after_it(site, date, end, days):
    start = dt.date.fromisoformat(date)
    calendar = ics(replace_event(site, "letter", when=parse_when(date, end)))[1]
    letter = vevents(calendar)["letter"]
    assert (letter["DTSTART"].dt, letter["DURATION"].dt, "DTEND" in letter) == (start, dt.timedelta(days=days), False)


def test_what_the_calendar_remembers_of_each_event_makes_the_same_bytes_and_follows_every_change(site):
    memo, summarised = {}, []
    first = calendar_of(site, memo=memo)
    assert memo and calendar_of(site, memo=memo, summarised=summarised) == first
    assert summarised == []  # what the memo holds needs no summary worked out
    retitled = replace_event(site, "detained", title="Police detain an activist at home")
    assert calendar_of(retitled, memo=memo, summarised=summarised) == calendar_of(retitled) != first
    assert summarised == ["detained"]
    summary = replace_event(retitled, "detained", summary="Police detain a second activist.")
    assert calendar_of(summary, memo=memo) == calendar_of(summary) != calendar_of(retitled)
    assert b"Police detain a second activist." in calendar_of(summary, memo=memo)


def test_events_without_a_known_day_are_left_out_unless_expected(site):
    site = replace_event(site, "released", when=When(PartialDate(2021, 9, 13), before=True))
    events = vevents(ics(site)[1])
    assert "2021-09-a-month-long-campaign" not in events  # known to the month, happened
    assert "letter" not in events  # a range: late October
    assert "released" not in events  # "by 13 September" is not 13 September
    assert "visit" in events


def test_cancelled_events_say_so(site):
    site = replace_event(site, "released", status="cancelled")
    released = vevents(ics(site)[1])["released"]
    assert str(released["STATUS"]) == "CANCELLED"
    assert str(released["SUMMARY"]) == "Cancelled: The activist is released"


def test_uids_are_stable_and_unique(site):
    data, calendar = ics(site)
    uids = [str(c["UID"]) for c in calendar.walk("VEVENT")]
    assert len(uids) == len(set(uids))
    assert "detained@example.org" in uids
    reordered = calendar_of(site, list(reversed(site.events)))
    assert sorted(str(c["UID"]) for c in icalendar.Calendar.from_ical(reordered).walk("VEVENT")) == sorted(uids)


def test_text_is_escaped_and_long_lines_fold_without_splitting_characters(site):
    title = "Встреча, часть 1; заметки \\ итоги — " * 4
    site = replace_event(site, "detained", title=title, place="Piaseczno, near Warsaw; Poland")
    data, calendar = ics(site)
    detained = vevents(calendar)["detained"]
    assert str(detained["SUMMARY"]) == title
    assert str(detained["LOCATION"]) == "Piaseczno, near Warsaw; Poland"
    assert b"LOCATION:Piaseczno\\, near Warsaw\\; Poland\r\n" in data
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    for line in lines:
        assert len(line) <= 75
        line.decode("utf-8")  # every physical line is whole UTF-8: no character split by folding
    assert any(line.startswith(b" ") for line in lines)


def test_fold_limits():
    assert feeds.fold("x" * 75) == "x" * 75
    assert feeds.fold("x" * 76) == "x" * 75 + "\r\n x"
    folded = feeds.fold("é" * 100).split("\r\n")
    assert [len(part.encode()) for part in folded] == [74, 75, 53]


# Sitemap and robots


def test_sitemap_is_sorted_absolute_and_dated_when_known(site):
    data = feeds.sitemap(site.settings, [("/events/released/", dt.date(2021, 9, 20)), ("/", None), ("/about/", dt.date(2021, 1, 2)),
                                ("/about/", dt.date(2021, 3, 4))])
    urls = ET.fromstring(data).findall(f"{SITEMAP}url")
    assert [u.findtext(f"{SITEMAP}loc") for u in urls] == [
        "https://example.org/", "https://example.org/about/", "https://example.org/events/released/"]
    assert [u.findtext(f"{SITEMAP}lastmod") for u in urls] == [None, "2021-03-04", "2021-09-20"]


def test_robots_names_the_sitemap(site):
    assert feeds.robots(site.settings) == b"User-agent: *\nAllow: /\nSitemap: https://example.org/sitemap.xml\n"


# JSON-LD


def test_event_jsonld_invents_no_day_and_cites_its_sources_then_those_its_text_cites(site):
    letter = feeds.event_jsonld(site.settings, event(site, "letter"), "The letter goes out.", None, site.sources)
    assert letter["@context"] == "https://schema.org" and letter["@type"] == "Event"
    assert letter["startDate"] == "2021-10" and "endDate" not in letter
    assert "location" not in letter and "image" not in letter and "dateModified" not in letter
    assert letter["citation"] == [{"@type": "CreativeWork", "name": "An inline source", "url": "https://blog.example/letter",
                                   "publisher": {"@type": "Organization", "name": "Blog"}},
                                  feeds.citation_jsonld(site.sources["paper-one"])]  # its summary cites it
    released = feeds.event_jsonld(site.settings, event(site, "released"), "x", "https://example.org/i.jpg", site.sources)
    assert [c["url"] for c in released["citation"]] == [site.sources[s].url for s in event(site, "released").sources]
    assert released["citation"][0]["datePublished"] == "2021-09-13"
    assert released["citation"][1]["inLanguage"] == "ru"
    assert released["dateModified"] == "2021-09-20" and released["image"] == "https://example.org/i.jpg"
    detained = feeds.event_jsonld(site.settings, event(site, "detained"), "x", None, site.sources)
    assert detained["startDate"] == "2021-09-12T22:30"
    assert detained["location"] == {"@type": "Place", "name": "no"}
    campaign = feeds.event_jsonld(site.settings, event(site, "2021-09-a-month-long-campaign"), "x", None, site.sources)
    assert campaign["startDate"] == "2021-09"
    json.dumps(released)  # serialisable


def test_event_jsonld_spans_and_statuses(site):
    span = replace_event(site, "released", when=When(PartialDate(2021, 9, 13), PartialDate(2021, 9, 15)))
    data = feeds.event_jsonld(span.settings, event(span, "released"), "x", None, span.sources)
    assert (data["startDate"], data["endDate"]) == ("2021-09-13", "2021-09-15")
    statuses = {"happened": "EventScheduled", "expected": "EventScheduled", "cancelled": "EventCancelled",
                "postponed": "EventPostponed", "rescheduled": "EventRescheduled"}
    for status, expected in statuses.items():
        changed = replace_event(site, "released", status=status, previous_date=PartialDate(2021, 9, 1))
        data = feeds.event_jsonld(changed.settings, event(changed, "released"), "x", None, changed.sources)
        assert data["eventStatus"] == f"https://schema.org/{expected}"
        assert ("previousStartDate" in data) == (status == "rescheduled")
    assert data["previousStartDate"] == "2021-09-01"


def test_event_jsonld_gives_no_start_date_where_no_one_date_is_true(site):
    def dates(when: When) -> tuple:
        changed = replace_event(site, "released", when=when)
        data = feeds.event_jsonld(changed.settings, event(changed, "released"), "x", None, changed.sources)
        return data.get("startDate"), data.get("endDate")

    day, later = PartialDate(2021, 9, 13), PartialDate(2021, 9, 15)
    assert dates(When(day, later, circa=True)) == (None, None)  # "c. 13–15 September 2021"
    assert dates(When(day, before=True)) == (None, None)  # "by 13 September 2021": any day until then
    assert dates(When(day, after=True)) == (None, None)
    assert dates(When(PartialDate(2021, 12), PartialDate(2022, 1), is_range=True)) == (None, None)  # December or January
    assert dates(When(PartialDate(2021, 10, 21), PartialDate(2021, 10, 31), is_range=True)) == ("2021-10", None)
    assert dates(When(day, later)) == ("2021-09-13", "2021-09-15")


def test_timeline_website_and_page_jsonld(site):
    timeline = feeds.timeline_jsonld(site.settings, list(site.events))
    assert timeline["@type"] == "ItemList" and timeline["numberOfItems"] == len(site.events)
    assert [item["position"] for item in timeline["itemListElement"]] == list(range(1, len(site.events) + 1))
    assert timeline["itemListElement"][0] == {"@type": "ListItem", "position": 1, "name": site.events[0].title,
                                              "url": f"https://example.org/events/{site.events[0].id}/"}
    website = feeds.website_jsonld(site.settings)
    assert (website["@type"], website["url"], website["inLanguage"]) == ("WebSite", "https://example.org/", "en")
    assert website["publisher"] == {"@type": "Organization", "name": "Test desk"}
    page = feeds.page_jsonld(site.settings, "About", "/about/", "How this was made.", dt.date(2021, 9, 20))
    assert (page["@type"], page["headline"], page["url"], page["dateModified"]) == (
        "Article", "About", "https://example.org/about/", "2021-09-20")
    assert "dateModified" not in feeds.page_jsonld(site.settings, "About", "/about/", "x", None)


def test_jsonld_script_cannot_close_its_script_element():
    text = feeds.jsonld_script({"name": "</script><script>alert(1)</script> & more"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script> & more"}


# Updates


def entries_of(site, text_html):
    """Every update of the site's events, then of its pages, as the updates page lists them."""
    return feeds.newest_first([feeds.UpdateEntry(u.date, u.kind, text_html(u), owner.title, owner.url)
                               for owner in (*site.events, *site.pages) for u in owner.updates])


def test_update_entries_are_newest_first_and_keep_their_kind(site):
    intro = dataclasses.replace(site.pages[0], updates=(Update(PartialDate(2021, 10, 1), "Intro rewritten."),))
    letter = dataclasses.replace(event(site, "letter"), updates=(Update(PartialDate(2021, 9, 1), "Added."),))
    site = dataclasses.replace(site, pages=(intro, *site.pages[1:]),
                               events=tuple(letter if e.id == "letter" else e for e in site.events))
    entries = entries_of(site, lambda update: f"<p>{update.text}</p>")
    assert [(e.date.iso(), e.kind, e.path) for e in entries] == [
        ("2021-10-01", "update", "/"), ("2021-09-20", "correction", "/events/released/"), ("2021-09-01", "update", "/events/letter/")]
    assert entries[1].title == "The activist is released"
    assert entries[1].text_html == "<p>An earlier version gave the wrong town.</p>"


def test_updates_feed_is_valid_with_stable_unique_ids(site):
    released = event(site, "released")
    twice = dataclasses.replace(released, updates=released.updates + (Update(PartialDate(2021, 9, 20), "And again.", "update"),))
    site = dataclasses.replace(site, events=tuple(twice if e.id == "released" else e for e in site.events))
    entries = entries_of(site, lambda update: update.text)
    parsed = feedparser.parse(feeds.updates_atom_feed(site.settings, entries))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.id == "https://example.org/updates/"
    assert parsed.feed.updated == "2021-09-20T00:00:00Z"
    assert [entry.id for entry in parsed.entries] == [
        "https://example.org/events/released/#update-2021-09-20", "https://example.org/events/released/#update-2021-09-20-2"]
    assert parsed.entries[0].title == "Correction: The activist is released"
    assert parsed.entries[0].tags[0].term == "correction"
    assert parsed.entries[0].link == "https://example.org/events/released/#updates-title"
