"""The sample explainer, built once and checked as a reader and an editor would."""
import re
from pathlib import Path

import pytest
import yaml

from explainer.pipeline import Project, build

from test_build import parse

REPO = Path(__file__).resolve().parent.parent
SEED_SOURCES = REPO.parent / "shared" / "seed" / "sources.md"


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
        assert re.search(r'<sup class="cite" id="cite-1-1"><a href="#note-1"', page), event.id
        notes = page[page.index('<section class="notes"'):]
        assert re.search(r'<li id="note-1">\s*<cite><a href="https?://', notes), event.id


def test_every_figure_has_a_caption_and_a_credit_or_a_placeholder_label(sample):
    _, out, _ = sample
    figures = []
    for page in (out / "events").rglob("index.html"):
        figures += re.findall(r'<figure class="photo[^"]*">.*?</figure>', page.read_text(), re.S)
    placeholders = [figure for figure in figures if "placeholder" in figure]
    assert len(placeholders) >= 4
    for figure in figures:
        assert '<span class="caption">' in figure
        assert ('<span class="credit">' in figure) != ('badge-placeholder">Placeholder</strong>' in figure)
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


@pytest.mark.skipif(not SEED_SOURCES.is_file(), reason="the seed sources list is not beside the repository")
def test_every_source_url_is_one_listed_in_the_seed_and_none_is_unverified():
    seed = SEED_SOURCES.read_text()
    sources = yaml.safe_load((REPO / "data" / "sources.yaml").read_text())
    for source_id, source in sources.items():
        assert not source_id.startswith("UNVERIFIED")
        assert source["url"] in seed, source_id
        if "archive_url" in source:
            assert source["archive_url"] in seed, source_id


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
