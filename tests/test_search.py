"""Search in a browser: Pagefind finds an event by a name in it, and filters by topic."""
import functools
import http.server
import threading

import pytest
from playwright.sync_api import sync_playwright

from test_sample_site import sample  # noqa: F401 (the built sample site, with its search index)


@pytest.fixture(scope="module")
def site_url(sample):  # noqa: F811
    _, out, _ = sample
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.browser
def test_a_search_for_malakhouski_finds_his_event(site_url):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        page.goto(f"{site_url}/search/")
        assert page.locator("#search-fallback").is_hidden()
        page.fill("#search input", "Malakhouski")
        page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
        links = [link.get_attribute("href") for link in page.query_selector_all(".pagefind-ui__result-link")]
        browser.close()
    assert "/events/malakhouski-detained/" in links
    assert "/events/malakhouski-released/" in links


def test_the_search_page_reads_without_javascript(sample):  # noqa: F811
    _, out, _ = sample
    page = (out / "search" / "index.html").read_text()
    fallback = page[page.index('id="search-fallback"'):]
    assert "Searching needs JavaScript" in fallback
    assert 'href="/tags/' in fallback and 'href="/#y2021"' in fallback
