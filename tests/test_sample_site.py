"""The sample explainer, built once and checked as a reader and an editor would."""
import re
from pathlib import Path

import pytest
import yaml

from explainer.check import unsourced_sentences
from explainer.pipeline import Project, build

from test_build import parse

pytestmark = pytest.mark.slow  # the sample site, built whole

REPO = Path(__file__).resolve().parent.parent
SEED_SOURCES = REPO / "seed" / "sources.md"


def test_the_sample_has_enough_sourced_events_in_both_forms(sample):
    root, _, site = sample
    assert len(site.events) >= 12
    assert list((root / "data" / "events").glob("*.yaml")) and list((root / "content" / "events").glob("*.md"))
    assert len([page for page in site.pages if not page.is_home]) >= 3


@pytest.mark.parametrize(
    "event_id, label, status",
    [
        ("malakhouski-detained", "12 September 2021", "happened"),
        ("malakhouski-released", "13 September 2021", "happened"),
        ("lyon-picket", "3 October 2021", "happened"),
        ("tsikhanouskaya-bypol-letter", "late October 2021", "happened"),
        ("interpol-refuses-tsikhanouskaya-search", "2 November 2021", "happened"),
        ("warsaw-picket", "4 November 2021", "happened"),
        ("stock-visit-poland-expected", "November 2021", "expected"),
    ],
)
def test_key_events_carry_the_dates_and_status_the_sources_support(sample, event_id, label, status):
    _, _, site = sample
    event = next(event for event in site.events if event.id == event_id)
    assert event.date_text == label
    assert event.status == status


def test_the_unconfirmed_visit_says_so_and_has_an_update(sample):
    _, out, site = sample
    visit = next(event for event in site.events if event.id == "stock-visit-poland-expected")
    assert visit.updates
    page = (out / "events" / visit.id / "index.html").read_text()
    assert "badge-expected" in page


def test_every_event_page_cites_and_links_a_source(sample):
    _, out, site = sample
    for event in site.events:
        page = (out / "events" / event.id / "index.html").read_text()
        assert re.search(r'<sup class="cite" id="cite-1-1" data-pagefind-ignore>&#8288;<a href="#note-1"', page), event.id
        notes = page[page.index('<section class="notes"'):]
        assert re.search(r'<li id="note-1">\s*<cite(?: lang="[a-z-]+")?><a href="https?://', notes), event.id


def test_every_figure_has_a_caption_and_a_credit_or_a_placeholder_label(sample):
    _, out, _ = sample
    figures = []
    for page in (out / "events").rglob("index.html"):
        figures += re.findall(r'<figure class="photo[^"]*"[^>]*>.*?</figure>', page.read_text(), re.S)
    placeholders = [figure for figure in figures if "placeholder" in figure]
    assert len(placeholders) >= 4
    for figure in figures:
        assert '<span class="caption">' in figure
        assert ('<span class="credit"' in figure) != ('badge-placeholder">Placeholder</strong>' in figure)
        assert 'alt=""' not in figure


def test_every_internal_link_and_anchor_of_the_sample_resolves(sample):
    _, out, _ = sample
    ids = {}
    for page in out.rglob("*.html"):
        for href in parse(page).hrefs:
            path, _, anchor = href.partition("#")
            target = out / path.lstrip("/")
            if path.endswith("/") or target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{page.relative_to(out)}: {href}"
            if anchor:
                ids.setdefault(target, parse(target).ids)
                assert anchor in ids[target], f"{page.relative_to(out)}: {href}"


def test_every_source_url_is_one_listed_in_the_seed_and_none_is_unverified():
    seed = SEED_SOURCES.read_text()
    sources = yaml.safe_load((REPO / "data" / "sources.yaml").read_text())
    for source_id, source in sources.items():
        assert not source_id.startswith("UNVERIFIED")
        assert source["url"] in seed, source_id
        if "archive_url" in source:
            assert source["archive_url"] in seed, source_id


def test_the_sample_states_no_date_number_or_name_without_a_citation_in_its_paragraph(sample):
    root, _, site = sample
    assert [str(note) for note in unsourced_sentences(site, root)] == []


def test_photos_are_responsive_sized_and_lazy_after_the_first(sample):
    _, out, _ = sample
    page = (out / "events" / "lyon-picket" / "index.html").read_text()
    img = re.search(r"<img [^>]+>", page, re.S)[0]
    assert re.search(r'srcset="/images/placeholder-lyon\.[0-9a-f]{10}\.480\.jpg 480w, [^"]+ 960w, [^"]+ 1600w"', img)
    assert 'width="1600"' in img and 'height="1000"' in img and 'decoding="async"' in img
    assert 'loading="lazy"' not in img  # the first image of the page
    assert re.search(r'<source type="image/webp" srcset="/images/placeholder-lyon\.[0-9a-f]{10}\.480\.webp 480w', page)
    assert not list(out.rglob("placeholder-lyon.png"))  # the original is never published as it is


def test_a_second_build_does_no_image_work(sample):
    root, _, _ = sample
    images = root / ".cache" / "images"
    before = {path: path.stat().st_mtime_ns for path in images.rglob("*") if path.is_file()}
    build(Project.at(root))
    after = {path: path.stat().st_mtime_ns for path in images.rglob("*") if path.is_file()}
    assert after == before


def cards_of(page: str) -> dict[str, str]:
    """Each event card of a page, by event id."""
    return {m[1]: m[0] for m in re.finditer(r'<article class="event-card" id="([^"]+)".*?</article>', page, re.S)}


def test_cards_name_the_publishers_they_cite_instead_of_numbers_the_page_notes_seem_to_share(sample):
    _, out, site = sample
    by_id = {event.id: event for event in site.events}
    home = (out / "index.html").read_text()
    assert '<section class="notes"' in home  # the home page has numbered notes of its own
    cards = cards_of(home)
    assert set(cards) == set(by_id)
    for event_id, card in cards.items():
        assert '<sup class="cite"' not in card, event_id
        links = re.findall(r'<a href="(/events/[^"#]+/)#(note-\d+)" title="[^"]*">([^<]+)</a>', card)
        assert links, f"{event_id}: no sources named"
        page = (out / "events" / event_id / "index.html").read_text()
        for href, note, publisher in links:
            assert href == by_id[event_id].url
            entry = re.search(rf'<li id="{note}">(.*?)</li>', page, re.S)[1]
            assert publisher.replace("&#39;", "'") in entry.replace("&#39;", "'"), (event_id, note, publisher)
        assert len({publisher for _, _, publisher in links}) == len(links), f"{event_id}: a publisher twice"
    assert re.search(r'<p class="card-sources">Sources: <a [^>]+>[^<]+</a>, <a ', cards["malakhouski-detained"])
    assert re.search(r'<p class="card-sources">Source: <a [^>]+>Motolko Help</a></p>', cards["bypol-leaked-calls"])


def test_related_events_are_listed_in_timeline_order(sample):
    _, out, site = sample
    order = [event.id for event in site.events]
    shuffled = [event for event in site.events if event.related and list(event.related) != sorted(event.related, key=order.index)]
    assert shuffled, "the sample should have an event whose related ids are not written in date order"
    for event in site.events:
        page = (out / "events" / event.id / "index.html").read_text()
        related = page[page.index('<section class="related"'):] if event.related else ""
        shown = list(cards_of(related))
        assert shown == sorted(event.related, key=order.index), event.id


def test_events_known_to_the_year_alone_come_under_sometime_in_that_year(sample):
    _, out, _ = sample
    home = (out / "index.html").read_text()
    heading = home.index(">Sometime in 2021</h")
    card = home.index('<article class="event-card" id="vialichka-stopped-kyiv"')
    assert heading < card and "month-heading" not in home[heading:card]  # the card's own group
    assert "Spring 2021" in cards_of(home)["vialichka-stopped-kyiv"]
    assert "month unknown" not in home.lower()


def test_a_source_s_own_page_says_its_title_s_language_where_the_page_speaks_another(sample):
    _, out, _ = sample
    english = (out / "sources" / "belsat-warsaw-interpol-picket" / "index.html").read_text()
    belarusian = (out / "be" / "sources" / "belsat-warsaw-interpol-picket" / "index.html").read_text()
    assert "<h1>Belarusians picket Interpol office in Warsaw</h1>" in english
    assert '<h1 lang="en">Belarusians picket Interpol office in Warsaw</h1>' in belarusian
