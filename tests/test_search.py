"""The search index in shards: every page found after any edit, shards made again only when their pages change."""
import collections
import concurrent.futures
import contextlib
import functools
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import threading
import time
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from explainer import search
from explainer.write import DamagedCacheFile
from explainer.search import SearchIndexError, searchable_part, shard_count, shard_key, shard_of, update_search_index

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa".split()


def html(title: str, text: str, year: int = 2021, next_title: str = "") -> bytes:
    """A page shaped like an event page: its body marked for Pagefind, a filter, and a link outside the body."""
    return (f'<!DOCTYPE html><html lang="en"><head><title>{title}</title></head><body><main>'
            f'<article data-pagefind-body data-pagefind-filter="year:{year}"><h1>{title}</h1><p>{text}</p></article>'
            f'<nav><a href="/">Next: {next_title}</a></nav></main></body></html>').encode()


def site(count: int) -> dict[str, bytes]:
    return {f"/events/e{number:03d}/": html(f"Event {number}", f"{WORDS[number % len(WORDS)]} word{number} common")
            for number in range(count)}


def as_pages(htmls: dict[str, bytes]) -> dict[str, tuple[str, bytes]]:
    return {url: (hashlib.blake2b(page, digest_size=16).hexdigest(), page) for url, page in htmls.items()}


def fragments(files: dict[str, tuple[Path, str]]) -> dict[str, str]:
    """URL -> text of every page the published index holds (read from Pagefind's fragments)."""
    found = {}
    for path, (file, _) in files.items():
        if "/fragment/" in path and f"/{search.WORDS_FOLDER}/" not in path:
            data = fragment(Path(file))
            assert data["url"] not in found, f"{data['url']} is in two shards"
            found[data["url"]] = data["content"]
    return found


def page_fragments(folder: Path) -> list[Path]:
    """The fragment files of the pages indexed under `folder` (not those of the words index)."""
    return [file for file in folder.rglob("*.pf_fragment") if search.WORDS_FOLDER not in file.relative_to(folder).parts]


def fragment(file: Path) -> dict:
    """What Pagefind holds of one page: the fragment file's data."""
    return json.loads(gzip.decompress(file.read_bytes()).removeprefix(b"pagefind_dcd"))


@pytest.fixture
def small_shards(monkeypatch):
    """Four pages to a shard: a few dozen pages make several shards."""
    monkeypatch.setattr(search, "SHARD_PAGES", 4)


@pytest.fixture
def indexed(monkeypatch):
    """The shards Pagefind is asked to index, by their first page, in the order asked (not the words index)."""
    asked = []
    index = search._Pagefind.index

    def counting(self, pages, config, **options):
        pages = list(pages)
        if not (pages and re.fullmatch(r"/\d+/[0-9a-f]+/", pages[0][0])):  # not a partition of the words index
            asked.append(pages[0][0] if pages else None)
        return index(self, iter(pages), config, **options)

    monkeypatch.setattr(search._Pagefind, "index", counting)
    return asked


def test_every_page_is_in_exactly_one_shard_and_an_edit_is_found(tmp_path, small_shards):
    pages = site(24)
    files = update_search_index(as_pages(pages), tmp_path, "en")
    assert shard_count(24) == 8
    assert set(fragments(files)) == set(pages)
    pages["/events/e005/"] = html("Event 5", "zulu edited text")
    found = fragments(update_search_index(as_pages(pages), tmp_path, "en"))
    assert set(found) == set(pages)
    assert "zulu edited text" in found["/events/e005/"]


def test_added_and_removed_pages_come_and_go(tmp_path, small_shards):
    pages = site(24)
    update_search_index(as_pages(pages), tmp_path, "en")
    del pages["/events/e007/"]
    pages["/events/new/"] = html("New event", "yankee")
    found = fragments(update_search_index(as_pages(pages), tmp_path, "en"))
    assert set(found) == set(pages)
    assert not any(path for path in tmp_path.rglob("*.pf_fragment") if b"e007" in gzip.decompress(path.read_bytes()))


def test_only_the_shard_holding_an_edited_page_is_indexed_again(tmp_path, small_shards, indexed):
    pages = site(24)
    update_search_index(as_pages(pages), tmp_path, "en")
    assert len(indexed) == 8
    before = {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*") if path.is_file()}
    indexed.clear()
    update_search_index(as_pages(pages), tmp_path, "en")
    assert indexed == []
    pages["/events/e005/"] = html("Event 5", "zulu edited text")
    update_search_index(as_pages(pages), tmp_path, "en")
    assert len(indexed) == 1
    edited, words = tmp_path / str(shard_of("/events/e005/", 8)), tmp_path / search.WORDS_FOLDER
    touched = {path for path, time in before.items() if not path.is_file() or path.stat().st_mtime_ns != time}
    assert any(edited in path.parents for path in touched)
    # and the words index, where the page's new words are
    assert all(edited in path.parents or words in path.parents for path in touched - {tmp_path / "pagefind.js"})


def test_a_page_whose_links_to_its_neighbours_changed_keeps_its_shard(tmp_path, small_shards, indexed):
    pages = site(24)
    update_search_index(as_pages(pages), tmp_path, "en")
    indexed.clear()
    pages["/events/e005/"] = html("Event 5", f"{WORDS[5]} word5 common", next_title="A neighbour renamed")
    update_search_index(as_pages(pages), tmp_path, "en")
    assert indexed == []
    pages["/events/e005/"] = html("Event 5", f"{WORDS[5]} word5 common renamed", next_title="A neighbour renamed")
    update_search_index(as_pages(pages), tmp_path, "en")
    assert len(indexed) == 1


def test_a_page_whose_menu_or_sources_changed_keeps_its_shard(tmp_path, small_shards, indexed):
    def page(number: int, menu: str = "About", source: str = "Report") -> bytes:
        notes = f'<section data-pagefind-ignore><h2 id="notes">Sources</h2><ol><li id="n1">{source}</li></ol></section>'
        return (html(f"Event {number}", f'{WORDS[number]} word{number}<sup data-pagefind-ignore><a title="{source}">1</a></sup>')
                .replace(b"<main>", f'<header><nav><a href="/about/">{menu}</a></nav></header><main>'.encode())
                .replace(b"</p></article>", f"</p>{notes}</article>".encode()))

    pages = {f"/events/e{number:03d}/": page(number) for number in range(12)}
    update_search_index(as_pages(pages), tmp_path, "en")
    indexed.clear()
    pages = {url: page(number, menu="About us", source="Report, corrected") for number, url in enumerate(pages)}
    update_search_index(as_pages(pages), tmp_path, "en")
    assert indexed == []
    pages["/events/e005/"] = page(5).replace(b"word5", b"word5 edited")
    update_search_index(as_pages(pages), tmp_path, "en")
    assert len(indexed) == 1


def test_the_searchable_part_is_the_page_but_its_head_and_what_follows_its_body_with_the_end_tags_still_due():
    page = html("Title", "text", next_title="Neighbour").replace(b"</title>", b'</title><meta name="x" content="y">')
    part = searchable_part(page)
    assert part == (b'<!DOCTYPE html><html lang="en"><head><title>Title</title></head><body><main>'
                    b'<article data-pagefind-body data-pagefind-filter="year:2021"><h1>Title</h1><p>text</p></article>'
                    b"</main></body></html>")


def test_before_its_body_a_page_keeps_only_the_start_tags_of_the_elements_holding_it():
    menu = b'<a class="skip" href="#main">Skip</a><header><p class="site"><a href="/">Site</a></p><nav><ul><li>About</li></ul></nav></header>'
    page = html("Title", "text").replace(b"<body><main>", b'<body class="b">' + menu + b'<main id="main"><div class="wrap">x ')
    page = page.replace(b"</main>", b"</div></main>")
    assert searchable_part(page) == (b'<!DOCTYPE html><html lang="en"><head><title>Title</title></head><body class="b">'
                                     b'<main id="main"><div class="wrap"><article data-pagefind-body data-pagefind-filter="year:2021">'
                                     b"<h1>Title</h1><p>text</p></article></div></main></body></html>")


@pytest.mark.parametrize("menu", [
    b"<h1>Site</h1>", b'<img src="/logo.png" alt="Site">', b'<p data-pagefind-meta="site">Site</p>',
    b"<nav><p>badly</nav></p>", b"<noscript><p>read as text by Pagefind's parser</p></noscript>", b"<span/>x",
])
def test_before_its_body_a_page_with_anything_pagefind_reads_or_not_plainly_nested_is_kept(menu):
    page = html("Title", "text").replace(b"<body><main>", b"<body>" + menu + b"<main>")
    part = searchable_part(page)
    assert menu in part and part.startswith(b'<!DOCTYPE html><html lang="en"><head><title>Title</title></head>')


def test_within_its_body_a_page_leaves_out_the_elements_pagefind_ignores():
    notes = (b'<section class="notes" data-pagefind-ignore><h2 id="notes">Sources</h2><ol><li id="n1"><cite>Report</cite>'
             b"</li></ol></section>")
    text = (b'Lyon<sup class="cite" id="c1" data-pagefind-ignore="index"><a href="#n1" title="Report">1</a></sup> picket'
            b"<span DATA-PAGEFIND-IGNORE=all>hidden</span>")
    page = html("Title", text.decode()).replace(b"</p></article>", b"</p>" + notes + b"</article>")
    assert b"<h1>Title</h1><p>Lyon picket</p></article>" in searchable_part(page)


def test_an_ignored_element_ends_at_its_end_tag_as_pagefind_reads_it_not_where_an_html_tree_builder_would():
    ignored = b"<p data-pagefind-ignore>a paragraph <div>holding a division</div><table><tr><td>and a table</td></tr></table></p>"
    page = html("Title", "text").replace(b"</p></article>", b"</p>" + ignored + b"</article>")
    assert b"<h1>Title</h1><p>text</p></article>" in searchable_part(page)
    with search._Pagefind() as pagefind:
        assert pagefind.index(iter([("/a/", page.decode())]), {}) == pagefind.index(iter([("/a/", searchable_part(page).decode())]), {})


def test_an_ignored_inline_element_far_into_a_paragraph_is_kept_rather_than_read_back_to_its_start(monkeypatch):
    monkeypatch.setattr(search, "ANCHOR_LOOKBACK", 40)
    cites = "".join(f'<em>claim {number}</em><sup data-pagefind-ignore>{number}</sup>' for number in range(60))
    page = html("Title", cites)
    part = searchable_part(page)
    assert b"<em>claim 0</em><em>claim 1</em>" in part  # the first, read back to the paragraph's start, left out
    assert b"<sup data-pagefind-ignore>59</sup>" in part  # the last, more than 40 tags from it, kept
    with search._Pagefind() as pagefind:
        assert pagefind.index(iter([("/a/", page.decode())]), {}) == pagefind.index(iter([("/a/", part.decode())]), {})


@pytest.mark.parametrize("ignored", [
    b'<span data-pagefind-ignore data-pagefind-filter="tag">Lyon</span>',  # a filter on it
    b'<span data-pagefind-ignore><a data-pagefind-meta="x" href="/">y</a></span>',  # metadata within
    b"<div data-pagefind-ignore><h1>The first title</h1></div>",  # Pagefind's title, if the first
    b'<div data-pagefind-ignore><img src="/a.jpg" alt="a"></div>',  # Pagefind's image, if the first
    b'<span data-pagefind-ignore="none">not a value Pagefind knows</span>',
    b'<span title="data-pagefind-ignore">the mark only in an attribute\'s value</span>',
    b"<span data-pagefind-ignore>badly <b>nested</span></b>",
    b"<span data-pagefind-ignore/>not ended where it seems to be",
    b"<span data-pagefind-ignore>a <noscript>read as text by Pagefind's parser</noscript></span>",
    b'<p id="a">An anchor, whose text Pagefind takes <span data-pagefind-ignore><b>from this</b></span></p>',
])
def test_within_its_body_an_ignored_element_holding_anything_pagefind_reads_or_not_plain_is_kept(ignored):
    page = html("Title", "text").replace(b"</p></article>", b"</p>" + ignored + b"</article>")
    assert ignored in searchable_part(page)


@pytest.mark.parametrize("head", [b'<meta data-pagefind-meta="image[content]" content="/a.jpg">'])
def test_a_head_with_anything_pagefind_reads_is_given_whole(head):
    page = html("Title", "text").replace(b"</head>", head + b"</head>")
    part = searchable_part(page)
    assert part.startswith(page[:page.index(b"</head>")]) and part != page


@pytest.mark.parametrize("after", [
    b'<p data-pagefind-filter="tag">Lyon</p>', b'<img src="/a.jpg" alt="">', b"<h1>Another title</h1>",
    b"<script>x = '</main>'</script>", b"<svg><title>t</title></svg>",
])
def test_a_page_with_anything_pagefind_reads_after_its_body_is_given_whole(after):
    page = html("Title", "text").replace(b"</main>", after + b"</main>")
    assert searchable_part(page) == page


COMMENTS = [b"<!-- a note -->", b"<!-- </article></main> <h1>not a title</h1> -->", b'<!-- <img src="/a.jpg" alt="a"> -->',
            b"<!---->", b"<!-->", b"<!--->", b"<!-- ended so --!>", b"<!-- <title>x</title> <body> -->"]


@pytest.mark.parametrize("comment", COMMENTS)
def test_a_comment_is_read_as_a_comment_not_as_the_tags_it_holds(comment):
    """A template's comment around the body (`<!-- end main -->`) leaves the cuts as they are: a page with one keeps
    its key as its neighbours' titles change, and a comment added to a template makes no shard again."""
    plain = searchable_part(html("Title", "text"))
    for place in (b"</head>", b"<main>", b"</main>", b"</body>"):
        page = html("Title", "text").replace(place, comment + place if place.startswith(b"</") else place + comment)
        assert searchable_part(page) == plain, place
    within = html("Title", "text").replace(b"<p>text</p>", b"<p>text</p>" + comment)
    assert comment in searchable_part(within) and searchable_part(within) != within  # in the body, kept as written


@pytest.mark.parametrize("page", [
    b'<html><body><!-- never ended <div data-pagefind-body>a</div><nav>x</nav></body></html>',
    b'<html><body>a < b<!-- c --><div data-pagefind-body>a</div><!-- d --><nav>x</nav></body></html>',  # no tag
    b"<html><body><div data-pagefind-body>a</div><nav class=it's>x</nav><!-- --></body></html>",  # a tag HTML reads its own way
])
def test_a_page_whose_comments_cannot_be_told_for_sure_is_read_with_them(page):
    assert search._comments_blanked(page.lower()) == page.lower()
    with search._Pagefind() as pagefind:
        assert pagefind.index(iter([("/a/", page.decode())]), {}) == pagefind.index(iter([("/a/", searchable_part(page).decode())]), {})


def test_what_looks_like_a_comment_in_a_value_or_a_script_is_not_one():
    page = (b'<html><head><title>T</title><script>x = "<!--";</script></head><body><p title="<!--">a</p>'
            b'<div data-pagefind-body>b</div><nav>--></nav></body></html>')
    assert searchable_part(page).endswith(b'<div data-pagefind-body>b</div></body></html>')
    assert search._comments_blanked(page.lower()) == page.lower()  # nothing there is a comment


@pytest.mark.parametrize("page", [
    b'<html><body><p>The data-pagefind-body attribute</p><nav>x</nav></body></html>',  # only in the text
    b'<html><body><article data-pagefind-body><p>no end</p></body></html>',  # the body never ends
    b'<html><body><div data-pagefind-body>a<script>"<div>"</script></div><nav>x</nav></body></html>',
    b'<html><body><div data-pagefind-body>a</div><nav><p>x</div></p></nav></body></html>',  # badly nested
    b'<html><body><p>no body at all</p></body></html>',
])
def test_a_page_whose_body_end_is_not_plain_is_given_whole(page):
    assert searchable_part(page) == page


def test_nested_elements_of_the_body_s_kind_are_counted():
    page = b'<html><body><div data-pagefind-body><div><div>a</div></div>b</div><nav><br><img/>x</nav></body></html>'
    assert searchable_part(page) == page
    page = b'<html><body><div data-pagefind-body><div><div>a</div></div>b</div><nav><br><p>x</p></nav></body></html>'
    assert searchable_part(page) == b'<html><body><div data-pagefind-body><div><div>a</div></div>b</div></body></html>'


def test_pagefind_indexes_the_searchable_part_of_each_sample_page_as_the_whole_page(sample):
    _, out, _ = sample
    pages = {}
    for file in sorted(out.rglob("*.html")):
        page = file.read_bytes()
        if b"data-pagefind-body" in page and "pagefind" not in file.parts:
            pages["/" + file.relative_to(out).as_posix().removesuffix("index.html")] = page
    assert sum(searchable_part(page) != page for page in pages.values()) == len(pages) > 20
    with search._Pagefind() as pagefind:
        whole = pagefind.index(((url, page.decode()) for url, page in pages.items()), {"force_language": "en"})
        parts = pagefind.index(((url, searchable_part(page).decode()) for url, page in pages.items()), {"force_language": "en"})
    assert whole == parts


class RandomPage:
    """Pages of random shapes, most of them plain (as the templates and the sanitiser write them), some with what
    Pagefind reads where the searchable part cuts, or with tags not plainly nested."""

    WORDS = "lyon picket interpol notice warsaw asylum court &amp; appeal release".split()
    IGNORE = ['data-pagefind-ignore', 'data-pagefind-ignore=""', 'data-pagefind-ignore="index"', "data-pagefind-ignore=all",
              'data-pagefind-ignore="true"', 'DATA-PAGEFIND-IGNORE="Index"', 'data-pagefind-ignore="none"',
              'title="data-pagefind-ignore"']
    COMMENTS = [comment.decode() for comment in COMMENTS] + ['<p title="<!-- no comment">x</p>']
    ODD = ["<h1>A title</h1>", '<img src="/a.jpg" alt="a photo">', '<b data-pagefind-filter="tag">Lyon</b>',
           '<i data-pagefind-meta="kind">report</i>', "<p>ended <div>early</div></p>", "<b>badly <i>nested</b></i>",
           "<table><tr><td>cell</td></tr></table>", "<br>", '<span id="x1">an anchor</span>']

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def text(self) -> str:
        return " ".join(self.random.choices(self.WORDS, k=self.random.randint(1, 6)))

    def attributes(self) -> str:
        chosen = []
        if self.random.random() < 0.35:
            chosen.append(self.random.choice(self.IGNORE))
        if self.random.random() < 0.3:
            chosen.append(f'id="i{self.random.randint(0, 99)}"')
        if self.random.random() < 0.05:
            chosen.append('data-pagefind-filter="tag:Topic"')
        return "".join(" " + attribute for attribute in chosen)

    def inline(self, depth: int) -> str:
        roll = self.random.random()
        if depth > 3 or roll < 0.4:
            return self.text()
        if roll < 0.5:
            return self.random.choice(self.ODD) if self.random.random() < 0.15 else "<br>"
        name = self.random.choice(["em", "span", "sup", "a", "time", "cite", "SPAN"])
        href = ' href="/events/x/"' if name == "a" else ""
        return f"<{name}{href}{self.attributes()}>{self.inlines(depth + 1)}</{name}>"

    def inlines(self, depth: int) -> str:
        return "".join(self.inline(depth) for _ in range(self.random.randint(1, 3)))

    def block(self, depth: int) -> str:
        roll = self.random.random()
        if roll < 0.05:
            return self.random.choice(self.ODD)
        if roll < 0.08:
            return self.random.choice(self.COMMENTS)
        if depth > 2 or roll < 0.45:
            return f"<p{self.attributes()}>{self.inlines(depth)}</p>"
        if roll < 0.6:
            items = "".join(f"<li{self.attributes()}>{self.inlines(depth)}</li>" for _ in range(self.random.randint(1, 3)))
            return f"<ul{self.attributes()}>{items}</ul>"
        if roll < 0.7:
            return f"<h2{self.attributes()}>{self.text()}</h2>"
        name = self.random.choice(["div", "section", "figure", "header"])
        return f"<{name}{self.attributes()}>{self.blocks(depth + 1)}</{name}>"

    def blocks(self, depth: int) -> str:
        return "\n".join(self.block(depth) for _ in range(self.random.randint(1, 4)))

    def page(self) -> tuple[bytes, bytes]:
        """A page, and what precedes its body."""
        menu = self.blocks(2) if self.random.random() < 0.5 else '<nav><a href="/">Home</a></nav>'
        after = self.blocks(2) if self.random.random() < 0.3 else "<footer>Site</footer>"
        head = self.random.choice(["", *self.COMMENTS[:3], '<script>x = "<!--";</script>'])
        page = (f'<!DOCTYPE html><html lang="en"><head><title>{self.text()}</title>{head}<meta name="a" content="b"></head>'
                f'<body>{menu}<main id="main"><article data-pagefind-body><h1>{self.text()}</h1>{self.blocks(0)}</article>'
                f"{after}</main></body></html>")
        return page.encode(), menu.encode()


@pytest.mark.parametrize("seed", range(3))
def test_pagefind_makes_the_same_bundle_of_the_searchable_part_of_random_pages_as_of_the_whole_pages(seed):
    shapes = RandomPage(seed)
    made = {f"/events/e{number}/": shapes.page() for number in range(300)}
    pages = {url: page for url, (page, _) in made.items()}
    parts = {url: searchable_part(page) for url, page in pages.items()}
    left_out = [url for url, page in pages.items() if page.count(b"data-pagefind-ignore") > parts[url].count(b"data-pagefind-ignore")]
    menus_cut = [url for url, (_, menu) in made.items() if menu not in parts[url]]
    assert len(left_out) > 60 and len(menus_cut) > 100  # the cuts are made, where they may be
    with search._Pagefind() as pagefind:
        whole = pagefind.index(((url, page.decode()) for url, page in pages.items()), {"force_language": "en"})
        cut = pagefind.index(((url, part.decode()) for url, part in parts.items()), {"force_language": "en"})
        if whole != cut:  # name the first page Pagefind reads otherwise
            for url, page in pages.items():
                alone = pagefind.index(iter([(url, page.decode())]), {"force_language": "en"})
                assert alone == pagefind.index(iter([(url, parts[url].decode())]), {"force_language": "en"}), page.decode()
    assert whole == cut


@pytest.mark.slow
def test_the_sample_index_holds_its_pages_text_without_note_numbers_dates_or_placeholder_captions(sample):
    _, out, site = sample
    published = [fragment(file) for file in (out / "pagefind").rglob("*.pf_fragment")]
    assert len(published) > 20
    events = {event.url: event for event in site.events}
    for data in published:
        url, text = data["url"], data["content"]
        page = (out / url.strip("/") / "index.html").read_text(encoding="utf-8")
        # The word before each marker, and the marker's number: Pagefind would have read them as "Warsaw. 1".
        markers = re.findall(r'([^\s<>]+)<sup class="cite"[^>]*>&#8288;<a [^>]*>(\d+)</a>', page)
        assert markers, url
        assert not [f"{word} {number}" for word, number in markers if re.search(rf"{re.escape(word)} \u2060?{number}\b", text)], url
        assert not [anchor for anchor in data["anchors"] if anchor["id"].startswith("cite-")], url
        event = events.get(url)
        if event:  # its text opens with its place or title; its date is shown apart
            assert not text.startswith(event.date_in(starts_line=True)) and "Topics:" not in text, url
            assert data["meta"]["date"] == event.date_text
            assert not [photo for photo in event.photos if photo.is_placeholder and photo.caption[:40] in text], url
    # Belarusian pages have an index of their own, their dates in Belarusian
    belarusian = {data["url"]: data for data in map(fragment, (out / "be" / "pagefind").rglob("*.pf_fragment"))}
    assert len(belarusian) == len(published) and all(url.startswith("/be/") for url in belarusian)
    picket = belarusian["/be/events/lyon-picket/"]
    assert picket["meta"]["date"] == "3 кастрычніка 2021 г." and "Ліёне" in picket["content"]


@pytest.mark.slow
def test_no_page_is_found_by_its_photos_file_names_or_alt_text(sample):
    """Pagefind searches the pages' metadata too, where it would keep each page's first photo, its file's address and
    alt text (results show no images): "jpg" or a word of a file's name would find pages with nothing to show of it."""
    _, out, site = sample
    published = [fragment(file) for file in out.rglob("*.pf_fragment")]
    assert len(published) > 40 and sum(bool(event.photos) for event in site.events) > 5
    assert {key for data in published for key in data["meta"]} == {"title", "date", "image"}
    assert {data["meta"]["image"] for data in published} == {""}


def test_a_shard_key_is_made_of_every_page_digest_and_how_pagefind_runs():
    entries = [("/a/", "1"), ("/b/", "2")]
    assert shard_key(entries, "pagefind 1.5.2 en") == shard_key(list(reversed(entries)), "pagefind 1.5.2 en")
    assert shard_key(entries, "pagefind 1.5.2 en") != shard_key([("/a/", "1"), ("/b/", "3")], "pagefind 1.5.2 en")
    assert shard_key(entries, "pagefind 1.5.2 en") != shard_key(entries[:1], "pagefind 1.5.2 en")
    assert shard_key(entries, "pagefind 1.5.2 en") != shard_key(entries, "pagefind 1.5.3 en")


def test_another_language_pagefind_or_code_of_this_module_makes_every_shard_again(tmp_path, small_shards, indexed, monkeypatch):
    pages, cache = as_pages(site(24)), tmp_path / "cache"
    update_search_index(pages, cache, "en")
    indexed.clear()
    update_search_index(pages, cache, "fr")
    assert len(indexed) == 8
    real_version = search.importlib.metadata.version
    program = tmp_path / "pagefind"
    shutil.copy2(search.get_executable(), program)
    (tmp_path / "search.py").write_text(Path(search.__file__).read_text() + "# changed\n")
    monkeypatch.setattr(search, "_made_by", functools.cache(search._made_by.__wrapped__))  # this test's own memo
    for change in (
        lambda: monkeypatch.setattr(search.importlib.metadata, "version",
                                    lambda name: "9.9.9" if name == "pagefind" else real_version(name)),
        lambda: monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(program)),  # another Pagefind program
        lambda: os.utime(program, ns=(0, 0)),  # that program changed
        lambda: monkeypatch.setattr(search, "__file__", str(tmp_path / "search.py")),  # this module's code changed
    ):
        change()
        search._made_by.cache_clear()
        indexed.clear()
        update_search_index(pages, cache, "fr")
        assert len(indexed) == 8
        indexed.clear()
        update_search_index(pages, cache, "fr")
        assert indexed == []


def damage_entry(entry: Path, file: Path, damage: str) -> None:
    """Damage a cache entry (a shard's, or a part of the words index) as `damage` says, `file` one of its files."""
    record = entry / "shard.json"
    if damage == "garbled record":
        record.write_bytes(record.read_bytes()[:40])
    elif damage == "record of another key":
        record.write_text(json.dumps({**json.loads(record.read_text()), "key": "0" * 64}))
    elif damage == "file left out of its record":
        kept = json.loads(record.read_text())
        del kept["files"][file.relative_to(entry).as_posix()]
        record.write_text(json.dumps(kept))
    elif damage == "file missing":
        file.unlink()
    else:
        file.write_bytes(file.read_bytes()[:10])


@pytest.mark.parametrize("damage", ["garbled record", "record of another key", "file missing", "file cut short"])
def test_a_cache_entry_that_cannot_be_read_is_made_again(tmp_path, small_shards, indexed, damage):
    pages = as_pages(site(24))
    first = update_search_index(pages, tmp_path, "en")
    damage_entry(tmp_path / "3", next((tmp_path / "3").glob("fragment/*")), damage)
    indexed.clear()
    again = update_search_index(pages, tmp_path, "en")
    assert len(indexed) == 1
    assert fragments(again) == fragments(first)
    assert {path: digest for path, (_, digest) in again.items() if "/fragment/" in path} == \
           {path: digest for path, (_, digest) in first.items() if "/fragment/" in path}


@pytest.mark.parametrize("damage", ["garbled record", "record of another key", "file missing", "file cut short"])
@pytest.mark.parametrize("damaged", ["index/*", search.HOLDERS_FILE])
def test_a_words_index_entry_that_cannot_be_read_is_made_again(tmp_path, small_shards, damage, damaged):
    pages = as_pages(site(24))
    first = update_search_index(pages, tmp_path, "en")
    entry = tmp_path / search.WORDS_FOLDER / f"{ord('w'):x}"
    damage_entry(entry, next(entry.glob(damaged)), damage)
    again = update_search_index(pages, tmp_path, "en")
    assert {path: digest for path, (_, digest) in again.items()} == {path: digest for path, (_, digest) in first.items()}


def test_a_partition_of_the_words_index_whose_record_leaves_out_its_holders_is_made_again(tmp_path, small_shards):
    pages = as_pages(site(24))
    first = update_search_index(pages, tmp_path, "en")
    entry = tmp_path / search.WORDS_FOLDER / f"{ord('w'):x}"
    damage_entry(entry, entry / search.HOLDERS_FILE, "file left out of its record")  # as an older version's entry
    again = update_search_index(pages, tmp_path, "en")
    assert {path: digest for path, (_, digest) in again.items()} == {path: digest for path, (_, digest) in first.items()}


def test_a_shard_record_whose_words_are_garbled_is_a_damaged_cache(tmp_path, small_shards):
    pages = as_pages(site(24))
    update_search_index(pages, tmp_path, "en")
    record = tmp_path / "3" / "shard.json"
    record.write_text(json.dumps({**json.loads(record.read_text()), "words": ["77"]}))
    with pytest.raises(DamagedCacheFile, match="shard.json"):
        update_search_index(pages, tmp_path, "en")


def test_the_words_of_a_shard_garbled_in_the_cache_are_never_indexed(tmp_path, small_shards):
    """A shard's words are read from the cache only to make a partition of the words index again, and checked then."""
    pages = as_pages(site(24))
    update_search_index(pages, tmp_path, "en")
    words = tmp_path / "3" / search.WORDS_FILE
    words.write_bytes(words.read_bytes().replace(b"word", b"wore"))
    update_search_index(pages, tmp_path, "en")  # no partition to make again: not read
    pages.update(as_pages({"/events/e002/": html("Event 2", "new words here")}))  # in shard 5
    with pytest.raises(DamagedCacheFile, match="words.json"):
        update_search_index(pages, tmp_path, "en")


def test_a_shard_s_words_are_its_pages_words_and_metadata_dealt_by_the_first_letter_of_each_part():
    pages = {"/a/": html("Cross-border Élan", "the «redemption» of covid19 in 2021, l'Europe, McDonald and _under")}
    with search._Pagefind() as pagefind:
        bundle = pagefind.index(iter((url, page.decode()) for url, page in pages.items()), {"force_language": "en"})
    words = search.shard_words(bundle)
    # Pagefind's text of the page ends its heading with a full stop; its title is in its metadata as written
    assert {word for part in words.values() for word in part} == {
        "Cross-border", "Élan.", "Élan", "the", "«redemption»", "of", "covid19", "in", "2021,", "l'Europe,", "McDonald", "and",
        "_under."}
    assert {chr(int(letter, 16)): part for letter, part in words.items()} == {
        "c": ["Cross-border", "covid19"], "b": ["Cross-border"], "e": ["l'Europe,", "Élan", "Élan."], "t": ["the"],
        "r": ["«redemption»"], "o": ["of"], "1": ["covid19"], "i": ["in"], "2": ["2021,"], "l": ["l'Europe,"],
        "m": ["McDonald"], "d": ["McDonald"], "a": ["and"], "u": ["_under."]}
    assert search._letter("É") == search._letter("e") == search._letter("E") == "65"
    assert search._letter("Ў") == search._letter("у") == f"{ord('у'):x}"  # as Pagefind reads Belarusian


def test_every_file_returned_has_the_digest_returned_and_sits_where_pagefind_expects_it(tmp_path, small_shards):
    files = update_search_index(as_pages(site(24)), tmp_path, "en")
    for path, (file, digest) in files.items():
        assert hashlib.blake2b(Path(file).read_bytes(), digest_size=16).hexdigest() == digest, path
    assert {"pagefind/pagefind.js", "pagefind/pagefind-ui.js", "pagefind/pagefind-entry.json", "pagefind/shards/pagefind.js",
            "pagefind/shards/1/pagefind-entry.json", "pagefind/shards/7/pagefind-entry.json"} <= files.keys()
    assert not any(path.startswith("pagefind/shards/1/") and path.endswith(".js") for path in files)  # the root has them
    api = files["pagefind/shards/pagefind.js"][0].read_text()
    listed = json.loads(api[api.index("const shards=") + len("const shards="):api.index(";", api.index("const shards"))])
    assert sorted(listed) == [f"/pagefind/shards/{number}/" for number in range(1, 8)]
    assert listed["/pagefind/shards/1/"] == [files["pagefind/shards/1/pagefind-entry.json"][1], 1]


def test_each_partition_of_the_words_index_names_in_a_file_of_its_own_the_shard_each_of_its_pages_stands_for(
        tmp_path, small_shards):
    files = update_search_index(as_pages(site(24)), tmp_path, "en")
    api = files["pagefind/shards/pagefind.js"][0].read_text()
    for letter in (f"{ord('w'):x}", f"{ord('7'):x}"):  # every page has "word…"; few have a number starting with 7
        folder = f"pagefind/shards/{search.WORDS_FOLDER}/{letter}/"
        file, digest = files[folder + search.HOLDERS_FILE]
        holders = json.loads(Path(file).read_bytes())
        shards_with_words = {int(entry.name) for entry in tmp_path.iterdir() if entry.name.isdigit()
                             and letter in json.loads((entry / search.WORDS_FILE).read_bytes())}
        assert sorted(holders.values()) == sorted(shards_with_words)  # a page to each shard holding words under the letter
        assert f'"/{folder}","{files[folder + "pagefind-entry.json"][1]}","{digest}"' in api  # asked for by digest
        assert not any(page in api for page in holders)  # the API holds none of them: a reader loads only those searched
    assert 0 < len(shards_with_words) < 8


def test_fewer_shards_leave_no_folder_behind(tmp_path, small_shards):
    pages = site(24)
    update_search_index(as_pages(pages), tmp_path, "en")
    files = update_search_index(as_pages(dict(list(pages.items())[:6])), tmp_path, "en")
    assert shard_count(6) == 2
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["0", "1", "pagefind.js", search.WORDS_FOLDER]
    # a partition to each first letter of the words of the pages left ("Event 1. bravo word1 common."), numbers too
    assert sorted(entry.name for entry in (tmp_path / search.WORDS_FOLDER).iterdir()) == \
        sorted(f"{ord(letter):x}" for letter in "eabcdfw012345")
    assert set(fragments(files)) == set(list(pages)[:6])


def test_pages_may_be_files(tmp_path, small_shards):
    folder = tmp_path / "site"
    pages = {}
    for url, page in site(10).items():
        file = folder / url.strip("/") / "index.html"
        file.parent.mkdir(parents=True)
        file.write_bytes(page)
        pages[url] = (hashlib.blake2b(page, digest_size=16).hexdigest(), file)
    assert set(fragments(update_search_index(pages, tmp_path / "cache", "en"))) == set(pages)


def test_shards_double_as_the_site_grows_and_pages_keep_their_shard_meanwhile(monkeypatch):
    monkeypatch.setattr(search, "SHARD_PAGES", 100)
    assert [shard_count(pages) for pages in (0, 1, 100, 101, 200, 201, 800, 801)] == [1, 1, 1, 2, 2, 4, 8, 16]
    assert all(shard_of(f"/events/e{number}/", 8) == shard_of(f"/events/e{number}/", 8) for number in range(50))
    assert len({shard_of(f"/events/e{number}/", 8) for number in range(200)}) == 8


def test_a_pagefind_failure_is_reported_and_the_shards_made_before_are_kept(tmp_path, small_shards, indexed, monkeypatch):
    pages = site(24)
    update_search_index(as_pages(pages), tmp_path, "en")
    pages["/events/e005/"] = html("Event 5", "zulu edited text")
    with monkeypatch.context() as patch, pytest.raises(SearchIndexError, match="Pagefind stopped"):
        patch.setattr(search, "get_executable", lambda: Path("/bin/false"))
        update_search_index(as_pages(pages), tmp_path, "en")
    indexed.clear()
    update_search_index(as_pages(pages), tmp_path, "en")
    assert len(indexed) == 1


def pagefind_bundle(pages: dict[str, bytes]) -> dict[str, bytes]:
    """The bundle Pagefind itself makes of these pages, as it makes it."""
    with search._Pagefind() as pagefind, pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "stable_bundle", lambda bundle: bundle)
        return pagefind.index(((url, page.decode()) for url, page in pages.items()), {"force_language": "en"})


def index_data(content: bytes):
    return search.cbor2.loads(gzip.decompress(content).removeprefix(search.PAGEFIND_SIGNATURE))


def test_a_bundle_is_the_same_whatever_order_pagefind_wrote_its_filter_values_in():
    pages = {f"/events/e{number}/": html(f"Event {number}", "text", year=2000 + number) for number in range(12)}
    made = pagefind_bundle(pages)
    [filter_path] = [path for path in made if path.startswith("filter/")]
    name, values = index_data(made[filter_path])
    assert name == "year" and len(values) == 12
    reordered = dict(made)
    reordered[filter_path] = search._index_bytes([name, list(reversed(values))])
    assert search.stable_bundle(reordered) == search.stable_bundle(made)
    stable = search.stable_bundle(made)
    assert index_data(next(content for path, content in stable.items() if path.startswith("filter/"))) == \
        ["year", sorted(values)]
    # The metadata names the rewritten filter file, and the entry names the metadata, as Pagefind's script looks them up.
    [meta] = [path for path in stable if path.endswith(".pf_meta")]
    assert [f"filter/{file}.pf_filter" for _, file in index_data(stable[meta])[3]] == \
        [path for path in stable if path.startswith("filter/")]
    entry = json.loads(stable["pagefind-entry.json"])
    assert meta == f"pagefind.{entry['languages']['en']['hash']}.pf_meta"
    assert {path: content for path, content in stable.items() if path.startswith(("fragment/", "index/"))} == \
        {path: content for path, content in made.items() if path.startswith(("fragment/", "index/"))}


def test_a_bundle_pagefind_wrote_otherwise_stops_the_index_with_what_could_not_be_read():
    made = pagefind_bundle({"/a/": html("A", "text")})
    [filter_path] = [path for path in made if path.startswith("filter/")]
    with pytest.raises(SearchIndexError, match=f"Pagefind's {filter_path} cannot be read"):
        search.stable_bundle({**made, filter_path: b"not gzip"})
    entry = made["pagefind-entry.json"]
    with pytest.raises(SearchIndexError, match="pagefind-entry.json does not name its pagefind.en_"):
        search.stable_bundle({**made, "pagefind-entry.json": entry.replace(b'"en_', b'"xx_')})


# --- In a browser ------------------------------------------------------------------------------------

SAMPLE_SHARD_PAGES = 4


@pytest.fixture(scope="module")
def sample_in_shards(tmp_path_factory) -> Path:
    """The sample site built in shards of about `SAMPLE_SHARD_PAGES` pages: its output folder."""
    from explainer.pipeline import Project, build

    root = tmp_path_factory.mktemp("shards") / "sample"
    repo = Path(__file__).resolve().parent.parent
    for folder in ("content", "data", "templates", "assets"):
        shutil.copytree(repo / folder, root / folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "SHARD_PAGES", SAMPLE_SHARD_PAGES)
        return build(Project.at(root)).out_dir


@pytest.mark.slow
def test_a_build_finding_a_shard_s_words_garbled_makes_the_index_again_as_a_clean_build_does(tmp_path, monkeypatch):
    from explainer.pipeline import Project, build

    repo = Path(__file__).resolve().parent.parent
    for name in ("site", "clean"):
        for folder in ("content", "data", "templates", "assets"):
            shutil.copytree(repo / folder, tmp_path / name / folder)
    monkeypatch.setattr(search, "SHARD_PAGES", SAMPLE_SHARD_PAGES)
    project = Project.at(tmp_path / "site")
    build(project)
    for garbled in (project.cache_dir / "search").glob(f"*/{search.WORDS_FILE}"):
        garbled.write_bytes(garbled.read_bytes().replace(b"Interpol", b"Intervol"))
    for name in ("site", "clean"):  # new words: partitions of the words index are made again
        about = tmp_path / name / "content" / "about.md"
        about.write_text(about.read_text() + "\nA quokka sentence.\n")
    result = build(project)
    assert any("no longer held what it was made with" in problem.message for problem in result.warnings)
    tree = {path.relative_to(result.out_dir).as_posix(): path.read_bytes() for path in result.out_dir.rglob("*") if path.is_file()}
    clean = build(Project.at(tmp_path / "clean")).out_dir
    assert tree == {path.relative_to(clean).as_posix(): path.read_bytes() for path in clean.rglob("*") if path.is_file()}
    assert any(path.startswith("pagefind/shards/words/") for path in tree)


@pytest.mark.slow
@pytest.mark.browser
def test_a_search_on_a_built_site_finds_pages_of_several_shards(sample_in_shards, monkeypatch):
    out = sample_in_shards
    published = {path.relative_to(out).as_posix(): (path, "") for path in (out / "pagefind").rglob("*") if path.is_file()}
    mentioning = {url for url, text in fragments(published).items() if "interpol" in text.lower()}
    monkeypatch.setattr(search, "SHARD_PAGES", SAMPLE_SHARD_PAGES)
    shards = shard_count(len(fragments(published)))
    assert shards >= 8 and (out / "pagefind" / "shards" / str(shards - 1) / "pagefind-entry.json").is_file()
    with served(out) as base_url:
        # In a thread of its own: a session's browser (test_quality.py) may hold this thread's event loop.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
            message, found = thread.submit(search_in_chromium, f"{base_url}/search/?q=Interpol").result()
    results = int(message.split()[0])
    assert message == f"{results} results for Interpol" and len(set(found)) == results
    assert set(found) >= mentioning
    assert len({shard_of(url, shards) for url in found}) >= 3


@pytest.mark.slow
@pytest.mark.browser
def test_filters_read_from_every_shard_count_and_find_each_tagged_page(sample_in_shards):
    """The filter files, as `stable_bundle` rewrites them, are what Pagefind's own script reads in a browser."""
    out = sample_in_shards
    tagged: dict[str, set[str]] = {}  # tag -> URLs of the pages Pagefind was given it on
    for data in map(fragment, page_fragments(out / "pagefind")):
        for tag in data["filters"].get("tag", []):
            tagged.setdefault(tag, set()).add(data["url"])
    assert len(tagged) > 10
    script = """async tags => {
        const pagefind = await import('/pagefind/shards/pagefind.js');
        await pagefind.options({});
        const counts = (await pagefind.filters()).tag;
        const found = {};
        for (const tag of tags) {
            const search = await pagefind.search(null, {filters: {tag}});
            found[tag] = await Promise.all(search.results.map(async result => (await result.data()).url));
        }
        return [counts, found];
    }"""
    with served(out) as base_url:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
            counts, found = thread.submit(evaluate_in_chromium, f"{base_url}/search/", script, sorted(tagged)).result()
    assert counts == {tag: len(urls) for tag, urls in tagged.items()}
    assert {tag: set(urls) for tag, urls in found.items()} == tagged


@pytest.mark.slow
@pytest.mark.browser
def test_the_filters_load_once_the_first_results_have_and_count_those_results(sample_in_shards):
    """On a slow network the filter files of every shard would share it with the first results: they wait. Shown
    after the results, they count the results, as they would had they come first."""
    with served(sample_in_shards) as base_url:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
            log, shown = thread.submit(search_requests, f"{base_url}/search/?q=Lyon").result()
    fragments_done = [done for path, _, done in log if "/fragment/" in path]
    filters_asked = [asked for path, asked, _ in log if "/filter/" in path]
    shards = {path.split("/filter/")[0] for path, _, _ in log if "/filter/" in path}  # /pagefind, /pagefind/shards/1...
    assert 0 < len(fragments_done) <= 5  # the first page of results
    assert len(shards) >= 8 and len(filters_asked) == 2 * len(shards)  # each shard's tags and years
    assert min(filters_asked) > max(fragments_done)
    pages = [fragment(file) for file in page_fragments(sample_in_shards / "pagefind")]
    tags_of_results = collections.Counter(tag for data in pages if data["url"] in shown["results"] for tag in data["filters"].get("tag", []))
    assert sorted(shown["filters"]) == ["Tag", "Year"]
    assert {tag: count for tag, count in shown["counts"].items() if count} == tags_of_results
    everywhere = collections.Counter(tag for data in pages for tag in data["filters"].get("tag", []))
    assert everywhere != tags_of_results and set(shown["counts"]) == set(everywhere)  # every tag, its count in the results


@pytest.mark.slow
@pytest.mark.browser
def test_the_results_of_another_languages_index_link_to_its_pages(sample_in_shards):
    """Its index holds the pages' paths from the site's root (/be/events/x/), in every shard."""
    out = sample_in_shards
    with served(out) as base_url:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
            links = thread.submit(result_links, f"{base_url}/be/search/?q=Інтэрпол").result()
    pages = {urllib.parse.urlsplit(link).path for link in links}
    assert len(pages) > 10 and any("#" in link for link in links)  # pages and headings within them
    assert [page for page in pages if not page.startswith("/be/") or not (out / page.strip("/") / "index.html").is_file()] == []


def published(files: dict[str, tuple[Path | str, str]], folder: Path) -> Path:
    """A site of a search page and these pagefind/ files (as `update_search_index` returns them), in `folder`."""
    for path, (file, _) in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, folder / path)
    (folder / "search").mkdir()
    (folder / "search" / "index.html").write_text('<!DOCTYPE html><html lang="en"><body></body></html>')
    return folder


FOUND_BY_API = """async ([module, queries]) => {
    const pagefind = await import(module);
    await pagefind.options({});
    const found = {};
    for (const query of queries) {
        const search = await pagefind.search(query);
        found[query] = (await Promise.all(search.results.map(async result => (await result.data()).url))).sort();
    }
    return found;
}"""


def found_by_api(site_folder: Path, module: str, queries: list[str]) -> dict[str, list[str]]:
    """Query -> the sorted URLs of what Pagefind's search API in `module` finds for it, on the site in `site_folder`."""
    with served(site_folder) as base_url:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
            return thread.submit(evaluate_in_chromium, f"{base_url}/search/", FOUND_BY_API, [module, queries]).result()


@pytest.mark.browser
def test_shards_find_what_one_index_finds_where_a_word_is_on_few_pages(tmp_path, monkeypatch):
    """Where a shard has no word that a searched word starts with, Pagefind matches the longest word it has that the
    searched word starts with ("red" for "redemption"): the words index keeps such shards out of the search."""
    pages = {f"/events/e{number:03d}/": html(f"Event {number}", f"red {WORDS[number % 16]} police report")
             for number in range(40)}
    pages["/events/e007/"] = html("Event 7", "the redemption of a policeman, a cross-border case on quartzite")
    # in another shard, the only other word starting with "quartz": a part of a word filed under "n" too
    pages["/events/e030/"] = html("Event 30", "a non-quartz stone")
    pages["/events/e023/"] = html("Event 23", "an Élan of police officers, covid19 and McDonald")
    monkeypatch.setattr(search, "SHARD_PAGES", 1000)
    one_index = published(update_search_index(as_pages(pages), tmp_path / "one", "en"), tmp_path / "one-site")
    monkeypatch.setattr(search, "SHARD_PAGES", 4)
    files = update_search_index(as_pages(pages), tmp_path / "shards", "en")
    assert shard_count(len(pages)) == 16
    assert not [path for path in files if "/words/" in path and "/fragment/" in path]  # never read: not published
    shards = published(files, tmp_path / "shards-site")
    queries = ["redemption", "redemp", "red", "redemptions", "policeman", "police", "redemption police", "redemption alpha",
               "border", "cross", "élan", "elan", "xyzzy", "redemption xyzzy", '"police"', "policemen", "19", "donald", "mcd",
               "Redemption!", "«redemption»", "redemption, police", "non", "quartz", "quartzite"]  # "n" merged first
    # and every word of the pages, with its beginnings ("2" for the events numbered 2 and 20 to 29)
    written = {word.lower() for page in pages.values() for word in re.findall(r"\w+", page.decode().split("<body>")[1])}
    queries += sorted(written | {word[:length] for word in written for length in range(2, 7) if len(word) > length} | {"2", "3"})
    found = {name: found_by_api(folder, module, queries) for name, folder, module in
             (("one", one_index, "/pagefind/pagefind.js"), ("shards", shards, "/pagefind/shards/pagefind.js"))}
    assert found["shards"] == found["one"]
    assert found["one"]["redemption"] == found["one"]["redemption police"] == found["one"]["border"] == ["/events/e007/"]
    assert found["one"]["quartzite"] == ["/events/e007/"] and found["one"]["quartz"] == ["/events/e007/", "/events/e030/"]
    assert len(found["one"]["red"]) == 37 + 1 and found["one"]["redemption alpha"] == [] and found["one"]["xyzzy"] == []
    assert found["one"]["elan"] == found["one"]["donald"] == ["/events/e023/"]


@pytest.mark.browser
def test_a_part_of_the_words_index_that_fails_to_load_hides_no_page(tmp_path, monkeypatch):
    """Without its partition of the words index, a word is searched in every shard: a page too many (where a shard
    matches a shorter word), never one too few."""
    pages = {f"/events/e{number:03d}/": html(f"Event {number}", f"red {WORDS[number % 16]} police report")
             for number in range(40)}
    pages["/events/e007/"] = html("Event 7", "the redemption of a policeman")
    monkeypatch.setattr(search, "SHARD_PAGES", 4)
    site_folder = published(update_search_index(as_pages(pages), tmp_path / "shards", "en"), tmp_path / "site")
    queries = ["redemption", "redemption police", "police", "xyzzy"]
    whole = found_by_api(site_folder, "/pagefind/shards/pagefind.js", queries)
    (site_folder / "pagefind" / "shards" / search.WORDS_FOLDER / f"{ord('r'):x}" / search.HOLDERS_FILE).unlink()
    without = found_by_api(site_folder, "/pagefind/shards/pagefind.js", queries)
    assert whole["redemption"] == whole["redemption police"] == ["/events/e007/"]
    assert "/events/e007/" in without["redemption"] and len(without["redemption"]) > 1  # shards matching "red" too
    assert "/events/e007/" in without["redemption police"]
    assert without["police"] == whole["police"] and len(whole["police"]) == 40 and without["xyzzy"] == []


@pytest.mark.browser
def test_shards_find_the_words_starting_with_a_searched_word_in_the_chunk_after_its_own(tmp_path, monkeypatch):
    """Pagefind loads the chunk of an index holding a searched word, and matches the words starting with it in the
    chunks it loaded: where they begin in the next chunk, the search loads that one too. Shards' chunks are smaller
    than one index's, so this happens more often to them; here (chunks of 10 word places) these searches would
    each miss pages (checked by hand: 2 to 6 of up to 11) without it."""
    rng = random.Random(3)

    def word() -> str:
        stem = rng.choice(["vora", "kelu", "mipo", "dura", "sane"])
        return stem if rng.random() < 0.3 else stem + rng.choice(["", "a", "lo", "mi", "nne", "tu", "ge", "ri"]) + rng.choice(["", "ka", "zu"])

    pages = {f"/events/e{number:03d}/": html(f"Event {number}", " ".join(word() for _ in range(6))) for number in range(40)}
    monkeypatch.setattr(search, "SHARD_PAGES", 1000)
    one_index = published(update_search_index(as_pages(pages), tmp_path / "one", "en"), tmp_path / "one-site")
    monkeypatch.setattr(search, "SHARD_PAGES", 4)
    monkeypatch.setattr(search, "WHOLE_INDEX_CHUNK", 16 * 10)
    shards = published(update_search_index(as_pages(pages), tmp_path / "shards", "en"), tmp_path / "shards-site")
    queries = ["2", "3", "du", "dur", "dura", "durar", "durari", "mi", "mip", "mipo", "sanet", "sanetu"]
    found = {name: found_by_api(folder, module, queries) for name, folder, module in
             (("one", one_index, "/pagefind/pagefind.js"), ("shards", shards, "/pagefind/shards/pagefind.js"))}
    assert found["shards"] == found["one"]
    assert len(found["one"]["2"]) == 11 and len(found["one"]["dura"]) > 10


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("path, queries, words", [
    ("/search/", ["Xyzzy", "Annecy", "Piaseczno"],
     {"messages": ["No results for Xyzzy", "1 result for Annecy", r"(\d+) results for Piaseczno"], "clear": "Clear",
      "placeholder": "Search", "form": "Search this site", "more": "Load more results", "filters": "Filters",
      "filter names": ["Tag", "Year"], "date": "Date", "in 2012": "1 result for Piaseczno"}),
    # Pagefind has no Belarusian words: the site's catalogue gives them, a count other than one standing apart
    ("/be/search/", ["Xyzzy", "Ансі", "Пясэчна"],
     {"messages": ["Па запыце «Xyzzy» нічога не знойдзена", "Па запыце «Ансі» знойдзены 1\u00a0вынік",
                   r"Па запыце «Пясэчна» знойдзена вынікаў:\u00a0(\d+)"], "clear": "Ачысціць", "placeholder": "Пошук",
      "form": "Пошук па сайце", "more": "Паказаць больш вынікаў", "filters": "Фільтры", "filter names": ["Тэма", "Год"],
      "date": "Дата", "in 2012": "Па запыце «Пясэчна» знойдзены 1\u00a0вынік"}),
])
def test_the_search_box_speaks_the_language_of_its_page(sample, path, queries, words):
    """Its words, and the names of the filters and the date, are the page's; the filters, by those names, still filter."""
    _, out, _ = sample
    with served(out) as base_url:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
            shown = thread.submit(search_box_words, base_url + path, queries, "2012").result()
    messages, expected = shown.pop("messages"), words.pop("messages")
    assert shown == words
    assert [bool(re.fullmatch(pattern, message)) for pattern, message in zip(expected, messages)] == [True] * 3, messages
    assert int(re.fullmatch(expected[-1], messages[-1])[1]) > 5  # results enough for a second page


def search_box_words(url: str, queries: list[str], year: str) -> dict:
    """What the search box at `url` says: over the results of each of `queries`, typed in turn; on its controls, its
    filters and its results' dates then; and over the results of the last query in `year` (its second filter)."""
    with chromium_page(url) as page:
        messages = [searched(page, lambda: page.fill("#search input", query), query) for query in queries]
        page.wait_for_selector(".pagefind-ui__filter-name", timeout=15000)
        shown = {"messages": messages, "more": page.inner_text(".pagefind-ui__button"),
                 "clear": page.inner_text(".pagefind-ui__search-clear"),
                 "placeholder": page.get_attribute("#search input", "placeholder"),
                 "form": page.get_attribute(".pagefind-ui__form", "aria-label"),
                 "filters": page.text_content(".pagefind-ui__filter-panel-label"),
                 "filter names": page.locator(".pagefind-ui__filter-name").all_inner_texts(),
                 "date": page.inner_text(".pagefind-ui__result-tag").split(":")[0]}
        years = page.locator(".pagefind-ui__filter-block").nth(1)
        years.locator(".pagefind-ui__filter-name").click()
        shown["in 2012"] = searched(page, lambda: years.locator(f"input[value='{year}']").check(), queries[-1], messages[-1])
        return shown


def searched(page, act, query: str, before: str = "") -> str:
    """What the search box says over its results once `act` made a search for `query`, which it said `before`."""
    act()
    page.wait_for_function("""([query, before]) => {
        const message = document.querySelector('.pagefind-ui__message');
        return message && message.textContent.includes(query) && message.textContent.trim() !== before
            && document.querySelector('.pagefind-ui__results');  // no longer searching
    }""", arg=[query, before], timeout=15000)
    return page.inner_text(".pagefind-ui__message")


def result_links(url: str) -> list[str]:
    """The address of every result of the search at `url`, and of every heading within one shown (sub-results)."""
    with chromium_page(url) as page:
        page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
        show_every_result(page)
        page.wait_for_function("!document.querySelector('.pagefind-ui__result .pagefind-ui__loading')")
        return page.eval_on_selector_all(".pagefind-ui__result-link", "links => links.map(link => link.getAttribute('href'))")


def search_requests(url: str) -> tuple[list[tuple[str, float, float]], dict]:
    """Each request the search at `url` made until its filters were shown: (path, asked, done), times from
    the opening of the page; and what the page shows then: the names of the filters, each tag's count, the address
    of each result."""
    times: dict[object, list] = {}

    def log(page) -> None:
        page.on("request", lambda request: times.setdefault(request, [request.url, time.perf_counter(), None]))
        page.on("requestfinished", lambda request: times[request].__setitem__(2, time.perf_counter()))

    with chromium_page(url, before=log) as page:
        page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
        page.wait_for_selector(".pagefind-ui__filter-name", timeout=15000)
        show_every_result(page)
        page.wait_for_timeout(500)  # the last results' data
        shown = page.evaluate(SHOWN_BY_SEARCH_BOX)
    start = min(asked for _, asked, _ in times.values())
    return [(urllib.parse.urlsplit(url).path, asked - start, (done or float("inf")) - start)
            for url, asked, done in times.values()], shown


SHOWN_BY_SEARCH_BOX = """() => {
    const texts = selector => [...document.querySelectorAll(selector)].map(element => element.textContent.trim());
    const tagBlock = [...document.querySelectorAll('.pagefind-ui__filter-block')]
        .find(block => block.querySelector('.pagefind-ui__filter-name').textContent.trim() === 'Tag');
    const counts = Object.fromEntries([...tagBlock.querySelectorAll('.pagefind-ui__filter-label')]
        .map(label => label.textContent.trim().match(/^(.*) \\((\\d+)\\)$/)).map(([, tag, count]) => [tag, +count]));
    const results = [...document.querySelectorAll('.pagefind-ui__result')].map(result =>
        result.querySelector('.pagefind-ui__result-link').getAttribute('href'));
    return {filters: texts('.pagefind-ui__filter-name'), counts, results};
}"""


def evaluate_in_chromium(url: str, script: str, argument):
    """What `script` (a function of `argument`) returns in the page at `url`."""
    with chromium_page(url) as page:
        return page.evaluate(script, argument)


@contextlib.contextmanager
def chromium_page(url: str, before=lambda page: None):
    """The page at `url`, open in headless Chromium (`before`: called with the page before it opens `url`)."""
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            before(page)
            page.goto(url)
            yield page
        finally:
            browser.close()


def search_in_chromium(url: str) -> tuple[str, list[str]]:
    """The message over the results of the search at `url`, and the address of every result, all shown."""
    with chromium_page(url) as page:
        page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
        message = page.inner_text(".pagefind-ui__message")
        show_every_result(page)
        count = int(message.split()[0])
        page.wait_for_function(f"document.querySelectorAll('.pagefind-ui__result').length == {count}")
        # Each result's first link is its page's; links to headings within it (sub-results) follow.
        found = page.eval_on_selector_all(".pagefind-ui__result", "results => results.map("
                                          "result => result.querySelector('.pagefind-ui__result-link').getAttribute('href'))")
    return message, found


def show_every_result(page) -> None:
    while page.locator(".pagefind-ui__button").count():  # "Load more results"
        page.click(".pagefind-ui__button")


@contextlib.contextmanager
def served(folder: Path):
    """A local HTTP server of the folder: its base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass
