"""Quality gates on the built sample site, as readers meet it: valid HTML, no accessibility
violations in light and dark mode, phones and desktops, no JavaScript, the keyboard, what search
engines and link previews read, and the weight of a page.

The sample is built once per session; the validator runs once over the whole site and one
Chromium serves every browser test. The sample is built a second time as a large site (a
lower `timeline_threshold`), whose home, year and month pages pass the same gates.
Screenshots of the home and an event page at 360 and 1280 px, and of a year and a month page
at 360 px, are left in the session's temporary folder (screenshots0/) for a person to look at.
"""
import functools
import json
import re
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import AXE_JS, CHROMIUM, VNU_JAR

pytestmark = pytest.mark.slow  # the sample site in Chromium, the Nu checker and axe

REPO = Path(__file__).resolve().parent.parent

# One page of every kind the site has: each template, and the variants that look different.
PAGE_TYPES = {
    "home": "/",
    "event with photos": "/events/lyon-picket/",
    "expected event": "/events/stock-visit-poland-expected/",
    "narrative page": "/red-notices/",
    "about": "/about/",
    "sources": "/sources/",
    "topics": "/tags/",
    "topic": "/tags/interpol/",
    "updates": "/updates/",
    "not found": "/404.html",
}
# Page types a build may leave out (search in some builds; years and sources split into pages on big
# sites): checked where the sample has one, at the first such file.
OPTIONAL_PAGE_TYPES = {"search": "search/index.html", "year": "years/*/index.html", "source": "sources/*/index.html"}
SCREENSHOTS = ("home", "event with photos")  # saved at 360 and 1280 px for a person to look at
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
MAX_PHONE_HEADER = 110  # px: the site's title and menu leave the rest of a 740 px screen to the page
MAX_PHONE_PX_PER_SOURCE = 220  # /sources/ at 360 px, divided by its sources (282 px each before they were grouped and folded)
MAX_HOME_WEIGHT = 100_000  # bytes of HTML and CSS before the first paint
RESOURCE_RELS = {"stylesheet", "icon", "apple-touch-icon", "preload", "modulepreload", "prefetch", "manifest", "mask-icon"}


# --- The site, a server and a browser, once per session -----------------------------------------

@pytest.fixture(scope="session")
def sample(sample):
    """The sample built once for the whole run (conftest.py): (output folder, site)."""
    _, out, site = sample
    return out, site


@pytest.fixture(scope="session")
def out(sample):
    return sample[0]


@pytest.fixture(scope="session")
def page_types(out):
    """Name -> URL of one page of every type this build has."""
    missing = [url for url in PAGE_TYPES.values() if not file_of(out, url).is_file()]
    assert not missing, f"the sample no longer has {missing}"
    optional = {name: sorted(out.glob(pattern)) for name, pattern in OPTIONAL_PAGE_TYPES.items()}
    return PAGE_TYPES | {name: url_of(out, files[0]) for name, files in optional.items() if files}


@pytest.fixture(scope="session")
def html_pages(out):
    """Every HTML page readers can land on; redirect stubs for old addresses are not pages."""
    pages = {url_of(out, path): parse(path) for path in sorted(out.rglob("*.html"))}
    return {url: page for url, page in pages.items() if not page.is_redirect}


@pytest.fixture(scope="session")
def base_url(out):
    yield from served(out)


@pytest.fixture(scope="session")
def browser(out):
    """Chromium, started after the build: Playwright's event loop would stop the build's Pagefind indexing from running its own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser):
    """A fresh page at phone width, with motion reduced so scrolling is instant."""
    context = browser.new_context(viewport=PHONE, reduced_motion="reduce")
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")


# --- Valid HTML -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def nu_checker(out):
    """One run of the Nu Html Checker over the whole site (it takes seconds to start): the files it read, and its messages."""
    return run_nu_checker(out)


def run_nu_checker(*paths: Path) -> tuple[set[Path], list[dict], int]:
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--verbose", "--format", "json", "--skip-non-html", *map(str, paths)],
        capture_output=True, text=True, timeout=120,
    )
    checked = {Path(line).resolve() for line in result.stdout.splitlines() if line.strip()}
    return checked, json.loads(result.stderr)["messages"], result.returncode


@pytest.mark.vnu
def test_every_page_is_valid_html(nu_checker, out):
    _, messages, returncode = nu_checker
    errors = [f"{page_name(out, m.get('url', '?'))}: {m.get('lastLine', '?')}: {m['message']}" for m in messages]
    assert not errors, "The Nu Html Checker found errors:\n" + "\n".join(errors)
    assert returncode == 0


@pytest.mark.vnu
def test_the_html_checker_reads_every_page_and_no_feed(nu_checker, out):
    checked, _, _ = nu_checker
    assert checked == {path.resolve() for path in out.rglob("*.html")}
    feeds = [out / "feed.xml", out / "feed.json", out / "calendar.ics", out / "updates" / "feed.xml"]
    assert all(feed.is_file() for feed in feeds) and not checked & {feed.resolve() for feed in feeds}


# --- Accessibility ----------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.axe
def test_every_page_type_has_no_axe_violations_in_light_and_dark_mode(browser, base_url, page_types):
    failures = axe_failures(browser, base_url, page_types)
    assert not failures, "axe-core found violations:\n" + "\n".join(failures)


@pytest.mark.axe
def test_every_page_type_in_belarusian_has_no_axe_violations_in_light_and_dark_mode(browser, base_url, page_types):
    """The site's second language, translated pages and pages shown in English alike (the Nu checker reads them all)."""
    belarusian = {f"{name} (be)": "/be" + url for name, url in page_types.items()}
    belarusian["event not yet translated (be)"] = "/be/events/ryanair-fr4978-diverted/"
    failures = axe_failures(browser, base_url, belarusian)
    assert not failures, "axe-core found violations:\n" + "\n".join(failures)


@pytest.mark.browser
def test_tab_first_reaches_a_visible_skip_link_that_moves_focus_to_main(tab, base_url):
    tab.goto(base_url + "/events/lyon-picket/")
    tab.keyboard.press("Tab")
    skip = focused(tab)
    assert skip["text"] == "Skip to content" and skip["href"].endswith("#main")
    assert skip["top"] >= 0 and skip["bottom"] <= PHONE["height"] and skip["width"] > 0, "the focused skip link is off screen"
    assert skip["outline"] != "none", "the focused skip link shows no focus ring"
    tab.keyboard.press("Enter")
    assert focused(tab)["tag"] == "MAIN"
    tab.keyboard.press("Tab")
    first = focused(tab)
    assert first["inMain"] and first["outline"] != "none", f"after the skip link, Tab went to {first}"


@pytest.mark.browser
def test_every_stop_on_the_tab_path_shows_a_focus_ring(tab, base_url):
    tab.goto(base_url + "/events/lyon-picket/")
    stops = tab.evaluate("document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex=\"-1\"])').length")
    unringed = []
    for _ in range(stops):
        tab.keyboard.press("Tab")
        stop = focused(tab)
        if stop["outline"] == "none" or stop["outlineWidth"] < 2 or not stop["width"] or not stop["height"]:
            unringed.append(stop)
    assert stops > 20 and not unringed, f"focused but not visibly: {unringed}"


@pytest.mark.browser
def test_month_headings_are_in_capitals_in_english_alone_where_no_abbreviation_is_spoilt(tab, base_url):
    """Belarusian month headings end in "г." (the year's abbreviation): in capitals it would read "Г."."""
    shown = "[...document.querySelectorAll('.month-heading')].map(h => h.innerText)"
    tab.goto(base_url + "/")
    english = tab.evaluate(shown)
    tab.goto(base_url + "/be/")
    belarusian = tab.evaluate(shown)

    assert english and all(heading == heading.upper() for heading in english)
    assert belarusian and all(heading.endswith(" г.") and heading[0].isupper() and heading[1:].islower()
                              for heading in belarusian), belarusian


@pytest.mark.browser
def test_the_sticky_year_heading_never_covers_a_link_target_or_the_focused_element(tab, base_url, sample):
    _, site = sample
    tab.goto(base_url + "/")
    months = tab.evaluate("[...document.querySelectorAll('.month-heading')].map(h => h.id)")
    for anchor in (site.events[len(site.events) // 2].id, months[len(months) // 2]):
        tab.goto(f"{base_url}/#{anchor}")
        assert tab.evaluate("window.scrollY") > 0, f"/#{anchor} did not scroll"
        assert not covered_by_sticky_heading(tab, f"#{anchor}"), f"the sticky year heading covers #{anchor}"

    # Shift+Tab back to a link that sits under the stuck heading: the browser must scroll it out.
    tab.evaluate("""() => {
        const cards = [...document.querySelectorAll('#timeline .event-card')];
        const [above, below] = cards.slice(Math.floor(cards.length / 2));
        const links = above.querySelectorAll('a');
        window.scrollTo(0, window.scrollY + links[links.length - 1].getBoundingClientRect().top - 10);
        below.querySelector('a').focus({preventScroll: true});
    }""")
    tab.keyboard.press("Shift+Tab")
    assert tab.evaluate("!!document.activeElement.closest('#timeline')")
    assert not covered_by_sticky_heading(tab, ":focus"), "the sticky year heading covers the focused link"


# --- Phones, desktops, and no JavaScript ---------------------------------------------------------

@pytest.mark.browser
def test_no_page_type_scrolls_sideways_on_a_360px_phone(tab, base_url, page_types, screenshots):
    too_wide = wider_than_the_window(tab, base_url, page_types, screenshots, SCREENSHOTS)
    assert not too_wide, f"pages wider than a phone: {too_wide}"


@pytest.mark.browser
def test_desktop_keeps_text_to_a_readable_measure(browser, base_url, screenshots):
    page = browser.new_page(viewport=DESKTOP)
    for name in SCREENSHOTS:
        page.goto(base_url + PAGE_TYPES[name])
        page.screenshot(path=screenshots / f"{slug(name)}-1280.png", full_page=True)
        widest = page.evaluate("Math.max(...[...document.querySelectorAll('main p')].map(p => p.getBoundingClientRect().width))")
        font_size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)")
        assert widest / font_size < 48, f"{name}: paragraphs {widest:.0f}px wide, too long a line to read"
        assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    page.close()
    assert len(list(screenshots.glob("*.png"))) >= 2


@pytest.mark.browser
@pytest.mark.parametrize("root", ["", "/be"])
def test_on_a_desktop_every_menu_link_is_whole_in_sight_in_each_language(browser, base_url, root, screenshots):
    """Longer words (Belarusian's) wrap the menu onto a second row rather than hide its last link past the edge."""
    page = browser.new_page(viewport=DESKTOP)
    page.goto(base_url + root + "/")
    page.screenshot(path=screenshots / f"home{root.replace('/', '-')}-menu-1280.png")
    nav = page.locator(".site-header nav")
    menu = nav.bounding_box()
    assert nav.evaluate("nav => nav.scrollWidth <= nav.clientWidth"), f"{root}/: the menu scrolls"
    for link in nav.locator("a").all():
        box = link.bounding_box()
        assert menu["x"] <= box["x"] and box["x"] + box["width"] <= menu["x"] + menu["width"], (root, link.inner_text(), box)
    page.close()


@pytest.mark.browser
def test_the_timeline_and_events_read_without_javascript(browser, base_url, sample):
    _, site = sample
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(base_url + "/")
    assert page.locator("#timeline").is_visible()
    titles = page.locator("#timeline .event-title a")
    assert titles.count() == len(site.events)
    assert all(titles.nth(i).is_visible() for i in range(titles.count()))
    assert titles.first.inner_text() == site.events[0].title

    page.goto(base_url + "/events/lyon-picket/")
    assert page.locator("main h1").is_visible()
    assert page.locator("main .prose").is_visible() and page.locator("main .prose").inner_text().strip()
    notes = page.locator(".notes li")
    assert notes.count() >= 1 and notes.first.is_visible()
    assert page.locator("main figure img").first.is_visible()
    context.close()


@pytest.mark.browser
def test_on_a_360px_phone_the_header_is_short_and_its_menu_one_row_of_44px_targets_each_reached_by_tab(tab, base_url, page_types):
    for name in ("home", "event with photos", "sources", "search"):
        tab.goto(base_url + page_types[name])
        header = tab.locator(".site-header").bounding_box()
        assert header["height"] < MAX_PHONE_HEADER, f"{name}: the header is {header['height']:.0f} px tall"
        links = [link.bounding_box() for link in tab.locator(".site-header nav a").all()]
        assert len({round(link["y"]) for link in links}) == 1, f"{name}: the menu takes more than one row"
        assert all(link["height"] >= 44 and link["width"] >= 44 for link in links), f"{name}: {links}"
    # The menu scrolls sideways within its row, never the page; a link out of sight comes into it when tabbed to
    # (Chromium leaves one in sight but for a few pixels of its padding, 8 px, where it is).
    tab.keyboard.press("Tab")  # the skip link
    tab.keyboard.press("Tab")  # the site's title
    tab.keyboard.press("Tab")  # beside it, the page in the site's other language
    switcher = focused(tab)
    assert switcher["text"] == "Беларуская" and switcher["height"] >= 44 and switcher["right"] <= PHONE["width"], switcher
    for _ in links:
        tab.keyboard.press("Tab")
        stop = focused(tab)
        assert stop["outline"] != "none" and 0 <= stop["left"] and stop["right"] - 8 <= PHONE["width"], stop
    assert stop["text"] == "Search" and tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_home_page_leads_to_its_timeline_from_the_first_screen(browser, base_url, viewport):
    context = browser.new_context(viewport=viewport, reduced_motion="reduce")
    page = context.new_page()
    page.goto(base_url + "/")
    jump = page.locator('main a[href="#timeline"]').first
    box = jump.bounding_box()
    assert jump.is_visible() and box["y"] + box["height"] <= viewport["height"], f"the link to the timeline is at {box}"
    assert box["height"] >= 44 and jump.inner_text().startswith("Go to the timeline")
    jump.click()
    heading = page.locator("#timeline-title").bounding_box()
    assert 0 <= heading["y"] < viewport["height"] / 2
    context.close()


@pytest.mark.browser
def test_on_a_360px_phone_the_sources_fold_what_cites_them_and_the_list_is_far_shorter(tab, base_url, sample):
    _, site = sample
    tab.goto(base_url + "/sources/")
    folded = tab.evaluate("document.documentElement.scrollHeight")
    summaries = tab.locator("details.cited-by summary")
    assert summaries.count() > 20 and summaries.first.is_visible()
    assert not tab.locator("details.cited-by a").first.is_visible()
    summaries.first.focus()  # a summary opens from the keyboard, and shows where focus is
    assert focused(tab)["outline"] != "none"
    tab.keyboard.press("Enter")
    assert tab.locator("details.cited-by a").first.is_visible()
    tab.evaluate("document.querySelectorAll('details').forEach(details => details.open = true)")
    unfolded = tab.evaluate("document.documentElement.scrollHeight")
    assert folded < 0.8 * unfolded and folded / len(site.sources) < MAX_PHONE_PX_PER_SOURCE, (folded, unfolded)


@pytest.mark.browser
def test_a_note_marker_never_starts_a_line_on_a_360px_phone(tab, base_url, html_pages):
    pages = [url for url, page in html_pages.items() if page.note_markers]
    assert len(pages) > 20
    markers, alone = 0, []
    for url in pages:
        tab.goto(base_url + url)
        found = tab.evaluate(MARKERS_OFF_THEIR_WORD)
        markers += found["markers"]
        alone += [f"{url}: {text}" for text in found["alone"]]
    assert markers > 300 and not alone, f"note markers that start a line, away from the word before them: {alone[:10]}"


@pytest.mark.browser
def test_printing_leaves_out_navigation_and_spells_out_source_addresses(tab, base_url):
    tab.emulate_media(media="print")
    tab.goto(base_url + "/events/lyon-picket/")
    assert not tab.locator(".site-header nav").is_visible() and not tab.locator(".pager").is_visible()
    assert tab.locator("main h1").is_visible() and tab.locator(".notes").is_visible()
    printed_after = tab.evaluate("getComputedStyle(document.querySelector('.notes cite a'), '::after').content")
    assert "attr(href)" in printed_after or "http" in printed_after, printed_after
    tab.goto(base_url + "/")
    assert tab.evaluate("getComputedStyle(document.querySelector('.year-heading')).position") == "static"


# --- What search engines and link previews read -------------------------------------------------

def test_every_page_describes_itself_for_search_engines_and_link_previews(html_pages):
    for url, page in html_pages.items():
        assert page.html_lang, url
        assert page.title.strip(), url
        assert page.meta.get("description", "").strip(), url
        assert page.meta.get("og:title", "").strip(), url
        if url.endswith("/404.html"):  # served at every unknown address (of its language): not one to index
            assert "canonical" not in page.links and "og:url" not in page.meta and page.meta["robots"] == "noindex"
            continue
        assert page.meta.get("robots") is None, url
        canonical = page.links.get("canonical", "")
        assert is_absolute(canonical), f"{url}: canonical {canonical!r}"
        assert page.meta["og:url"] == canonical, url


def test_every_page_has_one_json_ld_block_of_schema_org(html_pages):
    for url, page in html_pages.items():
        assert len(page.json_ld) == 1, f"{url}: {len(page.json_ld)} JSON-LD blocks"
        data = json.loads(page.json_ld[0])
        assert data["@context"] == "https://schema.org", url


def test_event_pages_are_schema_org_events_citing_their_notes(html_pages, sample):
    _, site = sample
    for event in site.events:
        page = html_pages[f"/events/{event.id}/"]
        data = json.loads(page.json_ld[0])
        assert data["@type"] == "Event", event.id
        assert data["name"] == event.title and data["url"] == page.links["canonical"], event.id
        when = event.when
        qualified = when.before or when.after or when.circa or when.bounds_apart  # "by 15 September 2021": no one day is true
        assert ("startDate" in data) == (not qualified), event.id
        cited = [work["url"] for work in data["citation"]]
        assert cited and set(cited) <= page.note_links, f"{event.id}: cited but not in the notes: {set(cited) - page.note_links}"
        assert is_absolute(page.meta.get("og:image", "")), f"{event.id}: og:image"
        assert page.meta.get("twitter:card") == "summary_large_image", event.id


def test_the_home_page_lists_every_event_for_search_engines(html_pages, out):
    data = json.loads(html_pages["/"].json_ld[0])
    nodes = {node["@type"]: node for node in data.get("@graph", [data])}
    assert {"WebSite", "ItemList"} <= set(nodes)
    event_pages = list((out / "events").glob("*/index.html"))
    assert nodes["ItemList"]["numberOfItems"] == len(event_pages) == len(nodes["ItemList"]["itemListElement"])


# --- Weight, and nothing from other hosts ----------------------------------------------------------

def test_the_home_page_and_its_stylesheet_weigh_under_100_kb(out, html_pages):
    home = html_pages["/"]
    stylesheets = [file_of(out, href) for href in home.resources if href.startswith("/") and href.endswith(".css")]
    assert stylesheets
    weight = (out / "index.html").stat().st_size + sum(path.stat().st_size for path in stylesheets)
    assert weight < MAX_HOME_WEIGHT, f"{weight} bytes"


def test_no_page_loads_anything_from_another_host(out, html_pages):
    for url, page in html_pages.items():
        foreign = [href for href in page.resources if not (href.startswith("/") and not href.startswith("//"))]
        assert not foreign, f"{url} loads {foreign}"
        missing = [href for href in page.resources if not file_of(out, href).is_file()]
        assert not missing, f"{url} loads missing {missing}"
    for stylesheet in out.rglob("*.css"):
        foreign = re.findall(r"""@import|url\(\s*['"]?(?:[a-z]+:)?//[^)]*""", stylesheet.read_text(encoding="utf-8"))
        assert not foreign, f"{stylesheet.relative_to(out)} loads {foreign}"


def test_no_page_has_inline_scripts_or_styles_a_strict_content_security_policy_would_block(html_pages):
    for url, page in html_pages.items():
        assert not page.inline_scripts, f"{url}: inline <script> of type {page.inline_scripts}"
        assert not page.inline_styles, f"{url}: style attribute or <style> on {page.inline_styles}"


# --- The sample as a large site --------------------------------------------------------------------
# Above `timeline_threshold` events the home page lists the latest events and links a page per
# year, a year with more events than that a page per month, and a month with more events than
# that numbered pages. The sample, built with a threshold of 3, has each of these pages:
# readers of large sites meet them, not the sample's.

LARGE_PAGE_TYPES = {
    "large home": "/",
    "year": "/years/2020/",
    "year of month pages": "/years/2021/",
    "month": "/years/2021/y2021-10/",
    "month, page 2": "/years/2021/y2021-10/page/2/",
    "month unknown": "/years/2021/y2021-undated/",
}


@pytest.fixture(scope="session")
def large_out(tmp_path_factory):
    from explainer.pipeline import Project, build

    root = tmp_path_factory.mktemp("large-sample")
    for folder in ("content", "data", "templates", "assets"):
        shutil.copytree(REPO / folder, root / folder)
    settings = root / "data" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\ntimeline_threshold: 3\n", encoding="utf-8")
    build(Project.at(root), search=False)
    out = root / "_site"
    missing = [url for url in LARGE_PAGE_TYPES.values() if not file_of(out, url).is_file()]
    assert not missing, f"the sample, as a large site, no longer has {missing}"
    return out


@pytest.fixture(scope="session")
def large_base_url(large_out):
    yield from served(large_out)


def assert_valid_html(out: Path, pages: list[Path]) -> None:
    """The Nu Html Checker read exactly these pages of `out` and found no error in them."""
    checked, messages, returncode = run_nu_checker(*pages)
    errors = [f"{page_name(out, m.get('url', '?'))}: {m.get('lastLine', '?')}: {m['message']}" for m in messages]
    assert not errors, "The Nu Html Checker found errors:\n" + "\n".join(errors)
    assert returncode == 0 and checked == {page.resolve() for page in pages}


@pytest.mark.vnu
def test_the_pages_of_a_large_site_are_valid_html(large_out):
    pages = [file_of(large_out, url) for url in LARGE_PAGE_TYPES.values()]
    assert_valid_html(large_out, pages)


@pytest.mark.browser
@pytest.mark.axe
def test_the_pages_of_a_large_site_have_no_axe_violations_in_light_and_dark_mode(browser, large_base_url):
    failures = axe_failures(browser, large_base_url, LARGE_PAGE_TYPES)
    assert not failures, "axe-core found violations:\n" + "\n".join(failures)


@pytest.mark.browser
def test_the_pages_of_a_large_site_do_not_scroll_sideways_on_a_360px_phone(tab, large_base_url, screenshots):
    too_wide = wider_than_the_window(tab, large_base_url, LARGE_PAGE_TYPES, screenshots, ("year", "month"))
    assert not too_wide, f"pages wider than a phone: {too_wide}"


@pytest.mark.browser
def test_a_year_page_reads_without_javascript_and_its_month_links_land_on_their_months(browser, large_base_url):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, reduced_motion="reduce")
    page = context.new_page()
    page.goto(large_base_url + "/years/2020/")
    months = page.locator('nav[aria-label="Months of 2020"] a')
    assert months.count() >= 2
    last = months.nth(months.count() - 1)
    target = last.get_attribute("href")
    last.click()
    assert page.evaluate("location.hash") == target
    heading = page.locator(f"h2{target}")
    assert heading.is_visible() and 0 <= heading.bounding_box()["y"] < PHONE["height"] / 2
    assert page.locator(".event-card h3").first.is_visible()
    context.close()


# --- The sample with photos cards show ----------------------------------------------------------------
# Every photo of the sample is a placeholder, which cards leave out. Built with two of them credited as a real
# photo would be, its cards show thumbnails: the pages listing them pass the same gates.

PHOTO_PAGE_TYPES = {
    "home with photos": "/",
    "topic with photos": "/tags/diaspora-protests/",
    "event with related photos": "/events/lyon-picket/",
}
CREDITED = ("lyon-picket", "warsaw-picket")


@pytest.fixture(scope="session")
def photo_out(tmp_path_factory):
    from explainer.pipeline import Project, build

    root = tmp_path_factory.mktemp("photo-sample")
    for folder in ("content", "data", "templates", "assets"):
        shutil.copytree(REPO / folder, root / folder)
    for event_id in CREDITED:
        entry = root / "content" / "events" / f"{event_id}.md"
        entry.write_text(entry.read_text(encoding="utf-8").replace("credit: Placeholder", "credit: Test Agency", 1), encoding="utf-8")
    build(Project.at(root), search=False)
    return root / "_site"


@pytest.fixture(scope="session")
def photo_base_url(photo_out):
    yield from served(photo_out)


@pytest.mark.vnu
def test_pages_whose_cards_show_photos_are_valid_html(photo_out):
    pages = [file_of(photo_out, url) for url in PHOTO_PAGE_TYPES.values()]
    assert all(page.read_text(encoding="utf-8").count('class="card-photo"') >= 1 for page in pages)
    assert_valid_html(photo_out, pages)


@pytest.mark.browser
@pytest.mark.axe
def test_pages_whose_cards_show_photos_have_no_axe_violations_in_light_and_dark_mode(browser, photo_base_url):
    failures = axe_failures(browser, photo_base_url, PHOTO_PAGE_TYPES)
    assert not failures, "axe-core found violations:\n" + "\n".join(failures)


@pytest.mark.browser
def test_cards_photos_load_lazily_at_their_small_size_and_do_not_scroll_a_360px_phone_sideways(tab, photo_base_url, screenshots):
    tab.goto(photo_base_url + "/")  # first: a photo the browser holds already is shown at once, lazy or not
    photos = tab.locator(".card-photo img")
    assert photos.count() == len(CREDITED)
    assert tab.evaluate("[...document.querySelectorAll('.card-photo img')].every(img => !img.complete)"), "loaded before scrolled to"
    photos.first.scroll_into_view_if_needed()
    photos.first.evaluate("img => img.decode()")
    box = photos.first.bounding_box()
    assert 80 <= box["width"] <= 112 and box["height"] == pytest.approx(box["width"] * 3 / 4, abs=1)
    assert ".480." in photos.first.evaluate("img => img.currentSrc")  # the smallest size made of the photo
    too_wide = wider_than_the_window(tab, photo_base_url, PHOTO_PAGE_TYPES, screenshots, ("topic with photos",))
    assert not too_wide, f"pages wider than a phone: {too_wide}"


# --- An edition in a language written from right to left ----------------------------------------------------
# The sample with an Arabic edition, one event translated (its photo credited, so that cards show it): its pages read
# from right to left, the English not yet translated in them from left to right, and they pass the same gates.

RTL_PAGE_TYPES = {
    "Arabic home": "/ar/",
    "Arabic event": "/ar/events/lyon-picket/",
    "Arabic event not yet translated": "/ar/events/warsaw-picket/",
    "Arabic topic": "/ar/tags/diaspora-protests/",
}
ARABIC_LYON = """\
---
translated_from: {digest}
title: بيلاروسيون في فرنسا يحتجون أمام مقر الإنتربول في ليون
summary: >-
  بيلاروسيون مقيمون في فرنسا يحتجون قرب مقر الإنتربول في ليون ويدعون المنظمة إلى وقف تعاونها مع السلطات
  البيلاروسية.[@voiceofbelarus-france-interpol-picket][@svaboda-france-interpol-bypol]
---
جاء المشاركون من ليون وباريس وآنسي وغرونوبل، بحسب راديو سفابودا.[@svaboda-france-interpol-bypol]
"""


@pytest.fixture(scope="session")
def rtl_out(tmp_path_factory):
    from conftest import site_of
    from explainer.model import words_digest
    from explainer.pipeline import Project, build

    root = tmp_path_factory.mktemp("arabic-edition")
    for folder in ("content", "data", "templates", "assets"):
        shutil.copytree(REPO / folder, root / folder)
    entry = root / "content" / "events" / "lyon-picket.md"
    entry.write_text(entry.read_text(encoding="utf-8").replace("credit: Placeholder", "credit: Test Agency", 1), encoding="utf-8")
    settings = root / "data" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + '  ar:\n    title: "النشرات الحمراء"\n    description: "جدول زمني"\n',
                        encoding="utf-8")
    site, problems = site_of(root)
    assert site is not None, problems
    lyon = next(event for event in site.events if event.id == "lyon-picket")
    (root / "content" / "events" / "lyon-picket.ar.md").write_text(ARABIC_LYON.format(digest=words_digest(lyon)), encoding="utf-8")
    build(Project.at(root), search=False)
    return root / "_site"


@pytest.fixture(scope="session")
def rtl_base_url(rtl_out):
    yield from served(rtl_out)


def test_an_edition_written_from_right_to_left_says_so_and_marks_the_english_in_it_to_read_from_left_to_right(rtl_out):
    arabic, english, belarusian = (parse(file_of(rtl_out, url)) for url in ("/ar/events/lyon-picket/", "/events/lyon-picket/",
                                                                               "/be/events/lyon-picket/"))
    assert (arabic.html_lang, arabic.html_dir) == ("ar", "rtl")
    assert (english.html_dir, belarusian.html_dir) == ("", "")  # left to right, as HTML reads a page unless told
    text = file_of(rtl_out, "/ar/events/warsaw-picket/").read_text(encoding="utf-8")
    assert '<h1 lang="en" dir="ltr">' in text  # not yet translated: shown in English, read from left to right
    # each edition's name in the switcher reads its own way; the Belarusian page's needs no mark but for Arabic
    english_page = file_of(rtl_out, "/events/lyon-picket/").read_text(encoding="utf-8")
    assert 'hreflang="ar" lang="ar" dir="rtl">العربية</a>' in english_page and 'hreflang="be" lang="be">' in english_page
    assert ' dir="ltr"' not in english_page and ' dir="ltr"' not in file_of(rtl_out, "/be/").read_text(encoding="utf-8")


def test_a_feed_reader_keeps_the_language_and_direction_of_each_entry_and_of_the_marks_within_it(rtl_out):
    """feedparser (the library many readers are built on) reads each entry's language, and keeps the marks inside
    an untranslated entry's content: its note marker's name is Arabic, read from right to left."""
    import feedparser

    feed = feedparser.parse((rtl_out / "ar" / "feed.xml").read_bytes())
    entries = {entry.link.rstrip("/").rsplit("/", 1)[1]: entry for entry in feed.entries}
    assert feed.feed.language == "ar"
    assert (entries["lyon-picket"].content[0].language, entries["warsaw-picket"].content[0].language) == ("ar", "en")
    assert 'lang="ar"' in entries["warsaw-picket"].content[0].value and 'dir="rtl"' in entries["warsaw-picket"].content[0].value
    assert "dir=" not in entries["lyon-picket"].content[0].value  # all of it Arabic: nothing reads the other way


@pytest.mark.vnu
def test_the_pages_of_an_edition_written_from_right_to_left_are_valid_html(rtl_out):
    assert_valid_html(rtl_out, [file_of(rtl_out, url) for url in RTL_PAGE_TYPES.values()])


@pytest.mark.browser
@pytest.mark.axe
def test_the_pages_of_an_edition_written_from_right_to_left_have_no_axe_violations(browser, rtl_base_url):
    failures = axe_failures(browser, rtl_base_url, RTL_PAGE_TYPES)
    assert not failures, "axe-core found violations:\n" + "\n".join(failures)


@pytest.mark.browser
def test_an_edition_written_from_right_to_left_is_laid_out_as_a_mirror_and_fits_a_360px_phone(tab, rtl_base_url, screenshots):
    tab.goto(rtl_base_url + "/ar/tags/diaspora-protests/")
    laid_out = tab.evaluate("""() => {
        const card = document.querySelector('.events > li:has(.card-photo)'), style = getComputedStyle(card);
        const dot = getComputedStyle(card, '::before'), photo = card.querySelector('.card-photo img').getBoundingClientRect();
        const box = card.getBoundingClientRect();
        return {rail: [style.borderLeftWidth, style.borderRightWidth], dotAtTheRight: dot.right,
                photoAtTheLeft: photo.left - box.left < box.right - photo.right};
    }""")
    assert laid_out == {"rail": ["0px", "2px"], "dotAtTheRight": "-6.4px", "photoAtTheLeft": True}
    tab.goto(rtl_base_url + "/tags/diaspora-protests/")  # and the English edition as it was
    assert tab.evaluate("""[getComputedStyle(document.querySelector('.events > li')).borderLeftWidth,
                            getComputedStyle(document.querySelector('.events > li'), '::before').left]""") == ["2px", "-6.4px"]
    too_wide = wider_than_the_window(tab, rtl_base_url, RTL_PAGE_TYPES, screenshots, ("Arabic event",))
    assert not too_wide, f"pages wider than a phone: {too_wide}"


# --- Helpers ----------------------------------------------------------------------------------------

def served(folder: Path):
    """A local HTTP server of the folder for as long as the generator runs: its base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class Page(HTMLParser):
    """What the tests read of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html_lang = ""
        self.html_dir = ""
        self.title = ""
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.resources: list[str] = []
        self.json_ld: list[str] = []
        self.inline_scripts: list[str] = []
        self.inline_styles: list[str] = []
        self.note_links: set[str] = set()
        self.note_markers = 0
        self.is_redirect = False
        self._text_of: str | None = None
        self._in_notes = 0

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        if self._in_notes and tag == "section":
            self._in_notes += 1
        if tag == "section" and "notes" in a.get("class", "").split():
            self._in_notes = 1
        self.note_markers += tag == "sup" and "cite" in a.get("class", "").split()
        if tag == "html":
            self.html_lang, self.html_dir = a.get("lang", ""), a.get("dir", "")
        elif tag == "meta":
            key = a.get("name") or a.get("property")
            if key:
                self.meta[key] = a.get("content", "")
            self.is_redirect |= a.get("http-equiv", "").lower() == "refresh"
        elif tag == "link":
            rels = set(a.get("rel", "").lower().split())
            for rel in rels:
                self.links[rel] = a.get("href", "")
            if rels & RESOURCE_RELS:
                self.resources.append(a.get("href", ""))
        elif tag == "a" and self._in_notes:
            self.note_links.add(a.get("href", ""))
        elif tag in ("title", "script", "style"):
            self._text_of = tag
            self._text = ""
            self._attrs = a
        if tag == "script" and "src" in a:
            self.resources.append(a["src"])
        for name in ("src", "poster", "data"):
            if tag in ("img", "source", "video", "audio", "iframe", "embed", "object", "track") and a.get(name):
                self.resources.append(a[name])
        for candidate in a.get("srcset", "").split(","):
            if candidate.strip():
                self.resources.append(candidate.split()[0])
        if "style" in a:
            self.inline_styles.append(tag)

    def handle_endtag(self, tag):
        if tag == "section" and self._in_notes:
            self._in_notes -= 1
        if tag != self._text_of:
            return
        self._text_of = None
        if tag == "title":
            self.title = self._text
        elif tag == "style":
            self.inline_styles.append("<style>")
        elif tag == "script" and "src" not in self._attrs:
            if self._attrs.get("type") == "application/ld+json":
                self.json_ld.append(self._text)
            else:
                self.inline_scripts.append(self._attrs.get("type", "text/javascript"))

    def handle_data(self, data):
        if self._text_of:
            self._text += data


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def file_of(out: Path, url: str) -> Path:
    path = out / urlsplit(url).path.lstrip("/")
    return path / "index.html" if url.endswith("/") else path


def url_of(out: Path, file: Path) -> str:
    return "/" + file.relative_to(out).as_posix().removesuffix("index.html")


def page_name(out: Path, file_url: str) -> str:
    """'/events/x/' for 'file:/tmp/.../_site/events/x/index.html'."""
    path = Path(file_url.removeprefix("file:")).resolve()
    return url_of(out.resolve(), path) if path.is_relative_to(out.resolve()) else file_url


def is_absolute(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https") and bool(urlsplit(url).netloc)


def slug(name: str) -> str:
    return name.replace(" ", "-")


def axe_failures(browser, base_url: str, page_types: dict[str, str]) -> list[str]:
    """axe-core's violations on each page, in light and dark mode, one line each (search results too, where there is search)."""
    page = browser.new_page(viewport=DESKTOP)
    failures = []

    def check(name):
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for violation in axe_violations(page):
                targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
                failures.append(f"{urlsplit(page.url).path} ({name}, {scheme}): {violation['id']} [{violation['impact']}] "
                                f"{len(violation['nodes'])}x: {targets}")

    for name, url in page_types.items():
        page.emulate_media(color_scheme="light")
        page.goto(base_url + url)
        page.add_script_tag(path=str(AXE_JS))
        check(name)
        if name.startswith("search") and page.locator("#search input").count():
            page.locator("#search input").fill("Interpol")
            page.locator(".pagefind-ui__result").first.wait_for(timeout=10_000)
            check("search results")
    page.close()
    return failures


def wider_than_the_window(tab, base_url: str, page_types: dict[str, str], screenshots: Path, shown: tuple[str, ...]) -> dict:
    """URL -> what sticks out, for each page wider than the tab's window; the `shown` pages are saved as screenshots."""
    too_wide = {}
    for name, url in page_types.items():
        tab.goto(base_url + url)
        overflow = tab.evaluate("""() => {
            const tooWide = e => e.getBoundingClientRect().right > window.innerWidth + 0.5 || e.getBoundingClientRect().left < -0.5;
            const culprits = [...document.querySelectorAll('body *')].filter(e => tooWide(e) && ![...e.children].some(tooWide));
            return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
                    culprits: culprits.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))};
        }""")
        if overflow["scrollWidth"] > overflow["innerWidth"]:
            too_wide[url] = overflow
        if name in shown:
            for scheme in ("light", "dark"):
                tab.emulate_media(color_scheme=scheme)
                tab.screenshot(path=screenshots / f"{slug(name)}-360-{scheme}.png", full_page=True)
            tab.emulate_media(color_scheme="light")
    return too_wide


def axe_violations(page) -> list[dict]:
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(result =>
            result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => ({target: n.target}))})))""",
        AXE_TAGS,
    )


def covered_by_sticky_heading(page, selector: str) -> bool:
    """Whether a year heading stuck to the top of the window hides part of the element."""
    return page.evaluate("""selector => {
        const box = document.querySelector(selector).getBoundingClientRect();
        return [...document.querySelectorAll('.year-heading')].map(h => h.getBoundingClientRect())
            .some(h => h.top <= 1 && h.bottom > box.top && h.top < box.bottom);
    }""", selector)


# Each note marker against the last letter before it: a marker on a line of its own starts left of
# that letter and below it, where one kept with its word starts to its right, on its line.
MARKERS_OFF_THEIR_WORD = """() => {
    const sups = [...document.querySelectorAll('sup.cite')];
    const alone = sups.filter(sup => {
        const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
        let before = null;
        for (let node = walker.nextNode(); node && !(sup.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING); node = walker.nextNode()) {
            if (node.data.trim() && !sup.contains(node)) before = node;
        }
        const end = before.data.trimEnd().length;
        const range = document.createRange();
        range.setStart(before, end - 1);
        range.setEnd(before, end);
        const letter = [...range.getClientRects()].pop(), mark = sup.getClientRects()[0];
        return !(mark.left >= letter.right - 1 && mark.top < letter.bottom && mark.bottom > letter.top);
    });
    return {markers: sups.length, alone: alone.map(sup => sup.parentElement.textContent.slice(0, 60))};
}"""


def focused(page) -> dict:
    return page.evaluate("""() => {
        const e = document.activeElement, box = e.getBoundingClientRect(), style = getComputedStyle(e);
        return {tag: e.tagName, text: e.textContent.trim(), href: e.getAttribute('href') || '',
                top: box.top, bottom: box.bottom, left: box.left, right: box.right, width: box.width, height: box.height,
                outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
                inMain: !!e.closest('main')};
    }""")


@pytest.mark.browser
def test_a_search_for_malakhouski_finds_his_event(tab, base_url):
    tab.goto(f"{base_url}/search/")
    assert tab.locator("#search-fallback").is_hidden()
    tab.fill("#search input", "Malakhouski")
    tab.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
    links = [link.get_attribute("href") for link in tab.query_selector_all(".pagefind-ui__result-link")]
    assert "/events/malakhouski-detained/" in links
    assert "/events/malakhouski-released/" in links


@pytest.mark.browser
def test_a_search_is_in_the_address_to_link_and_reload(tab, base_url):
    tab.goto(f"{base_url}/search/?q=Lyon")
    tab.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
    assert tab.input_value("#search input") == "Lyon"
    assert "/events/lyon-picket/" in [link.get_attribute("href") for link in tab.query_selector_all(".pagefind-ui__result-link")]
    tab.fill("#search input", "Piaseczno")
    assert tab.evaluate("new URLSearchParams(location.search).get('q')") == "Piaseczno"
    tab.fill("#search input", "")
    assert tab.evaluate("location.search") == ""


def test_the_search_page_reads_without_javascript(out):
    page = (out / "search" / "index.html").read_text()
    fallback = page[page.index('id="search-fallback"'):]
    assert "Searching needs JavaScript" in fallback
    assert 'href="/tags/' in fallback and 'href="/#y2021"' in fallback
