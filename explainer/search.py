"""Full-text search: a Pagefind index of the event and narrative pages, in shards made again only when their pages change.

Pagefind cannot update an index: it makes one from all its pages at once. So the pages are
dealt into shards by a hash of their URL (a page stays in its shard for as long as the count
of shards stays the same), each shard is a Pagefind index of its own, and an edit makes again
only the shards holding a page that changed, came or went. The browser merges the shards as it
searches (Pagefind's `mergeIndex`). Dealt by hash, every shard is a fair sample of the site, so
the word statistics each one ranks by (how rare a word is, how long pages are) are close to the
site's: the more shards, the less close (see SHARD_PAGES).

Pagefind is given each page's searchable part (`searchable_part`): the page without what it
would read and leave out (the head but the title, what precedes and follows the body, what the
templates mark `data-pagefind-ignore`, such as the sources), wherever that can be told for sure
(comments, read as HTML reads them, hide nothing); Pagefind makes the same bundle of it from half
the bytes. A shard's bundle is kept in the cache under its number, with the key it was made from:
a digest of every (URL, digest of that part) it holds, of this module's code, of the Pagefind
program and package, the language and the settings Pagefind runs with. It is used again
only when that key is the key of the shard now and its files are all there as made; any other
entry is made again. A page is read only when its HTML is not the HTML recorded with its shard.
Each bundle is made the same bytes for the same pages (`stable_bundle`), so a shard kept in the
cache is the shard a clean build makes.

In shards, a word would match another: where a shard has no word starting with a searched word,
Pagefind matches the longest word it has that the searched word starts with ("red" for
"redemption"), which one index of all pages never does while another shard holds the word. So
with more than one shard comes a words index (`shard_words`, `_words_index`): for each first
letter a Pagefind index of one page to each shard, the shard's words starting with that letter.
A search asks it which shards hold each searched word (or a word starting with it) and searches
those alone. A shard's words are kept with it in the cache; an edit makes again the partitions
of the letters whose words it changed in a shard.

Published, under pagefind/: shard 0 at the root, with Pagefind's scripts, as one whole Pagefind
bundle (search works, on that shard's pages, with Pagefind's own scripts alone); the other
shards in pagefind/shards/<number>/; the words index in pagefind/shards/words/<letter>/ (each
partition with `holders.json`, the shard each of its pages stands for); and
pagefind/shards/pagefind.js, Pagefind's search API over all of them, which the search page's
PagefindUI loads (`bundlePath: "/pagefind/shards/"`).
"""
from __future__ import annotations

import base64
import contextlib
import functools
import gzip
import hashlib
import importlib.metadata
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import cbor2
import rjsmin
from pagefind.service import get_executable

from .cache import content_digest, write_atomic
from .write import DamagedCacheFile

# Pages to a shard, at most, on average (see shard_count). An edit makes again each shard holding a page whose
# searchable part it changed (the event's, those linking it), at about 2.5 ms of Pagefind per page the shard holds;
# each shard costs a first search about six requests, and ranks by its own pages' word statistics, so fewer and
# larger shards read and rank closer to one index. 320: an edit's index in about a second on two cores up to 10,000
# events (32 shards). bench/bench_search.py measures both sides.
SHARD_PAGES = 320
SHARDS_FOLDER = "shards"  # under pagefind/: the other shards, and the API that merges them all
WORDS_FOLDER = "words"  # in the cache and under pagefind/shards/: the words index, one partition to each first letter
WORDS_FILE = "words.json"  # in a shard's cache folder: the words of its pages, by the partitions they are in
HOLDERS_FILE = "holders.json"  # in each partition of the words index: page id -> the shard whose words that page holds
ENTRY_RECORD = "shard.json"  # in a shard's cache folder: its key and files, written once they are all written
MERGED_API_FILE = "pagefind.js"  # in the cache: the API over all shards, published as pagefind/shards/pagefind.js
# Pagefind's default size of an index chunk (the part of the word index a search loads for a word), in word
# places; each shard's chunks get a share of it, so a search loads about as much index over all shards as it would from one.
WHOLE_INDEX_CHUNK = 20000
IN_FLIGHT = 32  # pages sent to Pagefind ahead of its answers: enough to keep it busy, few enough to hold little memory
# Pagefind's files that belong to one index; the others (scripts, styles, WebAssembly) are the same for every shard.
INDEX_FOLDERS = ("fragment/", "index/", "filter/")
# Tags read back, at most, to tell whether an ignored inline element is within an anchor (else it is kept): a paragraph
# of a thousand citations costs no more than a few hundred.
ANCHOR_LOOKBACK = 400
PAGEFIND_SIGNATURE = b"pagefind_dcd"  # what each of Pagefind's index files starts with, once unzipped

Page = tuple[str, "bytes | Path"]  # digest of the page's HTML, and the HTML or the file holding it


class SearchIndexError(Exception):
    """Pagefind could not index the pages."""


@dataclass(frozen=True)
class _Shard:
    number: int
    urls: list[str]
    key: str | None  # None when no cache entry of it was recorded


def update_search_index(pages: Mapping[str, Page], cache: Path, language: str, root: str = "") -> dict[str, tuple[Path | str, str]]:
    """The files of the pagefind/ folder to publish for these pages: output path -> (file, blake2b-128 hex digest).
    On a site in several languages each has its own index, under its root (`root`: "/be" puts it in be/pagefind/).

    `pages`: every page to index, URL path ("/events/x/") -> (digest of its HTML, the HTML or
    the file holding it), each with a `data-pagefind-body`. The digest may be any digest of the
    exact bytes (the build's `content_hash`): it decides which shards are made again, and their
    pages are read only then. `cache`: a folder kept from one call to the next, holding only
    what this function writes there. The files returned live in `cache` and are never written
    to once returned (a new bundle replaces them), so they may be hard-linked; each digest is
    `hashlib.blake2b(bytes, digest_size=16).hexdigest()`, the build's own `content_hash`.
    Raises SearchIndexError if Pagefind fails, leaving the entries it did not make as they were.
    """
    config = {"force_language": language.split("-")[0]}
    count = shard_count(len(pages))
    chunk, with_words = WHOLE_INDEX_CHUNK // count, count > 1  # one shard is the whole index: no words index
    cache.mkdir(parents=True, exist_ok=True)
    records = _records(cache)
    setup = json.dumps([_made_by(), _program(), config, chunk, with_words])
    # Shard 0 is published even with no page: its scripts are what the search page loads.
    shards = [shard for shard in _shards(pages, records, setup) if shard.urls or shard.number == 0]
    made = {shard.number: _cached_files(cache / str(shard.number), records.get(shard.number), shard.key) for shard in shards}
    made.update(_make_shards([shard for shard in shards if made[shard.number] is None], pages, cache, config, setup, chunk,
                             with_words))
    words = _words_index(cache, sorted(made), config, setup) if with_words else {}
    _forget_all_but(cache, {*map(str, made), MERGED_API_FILE, *([WORDS_FOLDER] if with_words else [])})
    files = {}
    base = f"{root.strip('/')}/pagefind/" if root else "pagefind/"
    for number, bundle in made.items():
        prefix = base if number == 0 else f"{base}{SHARDS_FOLDER}/{number}/"
        folder = os.path.join(cache, str(number), "")
        files.update((prefix + path, (folder + path, digest)) for path, digest in bundle.items())
    for letter, bundle in words.items():
        folder = os.path.join(cache, WORDS_FOLDER, letter, "")
        prefix = f"{base}{SHARDS_FOLDER}/{WORDS_FOLDER}/{letter}/"
        files.update((prefix + path, (folder + path, digest)) for path, digest in bundle.items())
    # Each merged index's entry (and a partition's holders) is asked for with its digest, so a browser never keeps the
    # entry of one made again.
    api = _merged_api({f"/{base}{SHARDS_FOLDER}/{number}/": [bundle["pagefind-entry.json"], number]
                       for number, bundle in made.items() if number},
                      {letter: [f"/{base}{SHARDS_FOLDER}/{WORDS_FOLDER}/{letter}/", bundle["pagefind-entry.json"],
                                bundle[HOLDERS_FILE]]
                       for letter, bundle in words.items()}, cache / MERGED_API_FILE)
    files[f"{base}{SHARDS_FOLDER}/pagefind.js"] = (api, content_digest(api.read_bytes()))
    return files


@functools.cache
def _made_by() -> list[str]:
    """What makes a shard of its pages, but the Pagefind program and the settings: this module's code (which cuts the
    pages, orders the bundles, makes the words index), and the versions of the Pagefind package and of cbor2."""
    return [content_digest(Path(__file__).read_bytes()), importlib.metadata.version("pagefind"),
            importlib.metadata.version("cbor2")]


def _program() -> list[object] | None:
    """The Pagefind program that would run, told by its file's path, size and times (as git tells a file changed):
    the package's own, or another that PAGEFIND_BINARY_PATH names; None if there is none (indexing then fails)."""
    executable = get_executable()
    try:
        status = os.stat(executable) if executable else None
    except OSError:
        return None
    return [os.fspath(executable), status.st_size, status.st_mtime_ns, status.st_ino] if status else None


def shard_count(pages: int) -> int:
    """How many shards for so many pages: the least power of two that holds them SHARD_PAGES to a shard or fewer.

    A power of two, so that a site growing past a bound doubles the count: every shard is made
    again then, once, as on a first build.
    """
    count = 1
    while count * SHARD_PAGES < pages:
        count *= 2
    return count


def shard_of(url: str, count: int) -> int:
    """Which of `count` shards holds the page at `url`: the same one whatever else the site holds."""
    return int.from_bytes(hashlib.blake2b(url.encode(), digest_size=8).digest(), "big") % count


def shard_key(entries: list[tuple[str, str]], setup: str) -> str:
    """A shard's cache key: a digest of its (URL, digest of HTML) pairs and of how Pagefind indexes them."""
    return hashlib.sha256(json.dumps([setup, sorted(entries)]).encode()).hexdigest()


def searchable_part(html: bytes) -> bytes:
    """The page as far as Pagefind reads it: its head cut to its title; before its body (its last
    `data-pagefind-body` element), only the start tags of the elements holding it; within it, no
    element marked `data-pagefind-ignore`, whose text Pagefind leaves out; after it, only the end
    tags still due. Each cut is made only where what it leaves out holds nothing else Pagefind
    reads (its attributes, the first title and image) and its tags are plainly nested, so that
    Pagefind's parser (lol_html) ends each element where this reading does; else that part stays
    whole. Pagefind makes the same bundle of it as of the whole page, byte for byte.

    What Pagefind is given, and what a shard's key is made of: a page whose menu, sources or
    links to its neighbours changed (a title or a date changed elsewhere) keeps its key; and
    Pagefind reads half as much of each page.
    """
    page = _comments_blanked(html.lower())  # what is read: names in one case, each byte where it is in html
    at = page.rfind(b"data-pagefind-body")
    start = page.rfind(b"<", 0, at)
    opening = _TAG.match(page, start) if at >= 0 and start >= 0 else None
    if not opening or opening[1] or opening.end() <= at:  # not an attribute of a start tag
        return html
    closing = _end_tag(page, opening, count_self_closing=False)
    if closing is None or _HIDES_TAGS.search(page, start, closing.end()):
        return html
    content = _without_ignored(html, page, opening, closing.start())
    return (_before_body(html, page, start) + html[start:opening.end()] + content + html[closing.start():closing.end()]
            + _end_tags_due(html, page, closing.end()))


def _comments_blanked(page: bytes) -> bytes:
    """The page (in lower case) with each of its comments turned to spaces, where they can all be told for sure: a tag
    written in one is no tag, and Pagefind reads nothing there. Told as HTML tells them, reading from the start:
    tags whole (quoted values and all), raw text (a script's, a title's) to its end tag, comments to their end
    (`<!-->` and `<!--->` too). Anything else (a `<` that starts no tag, a comment or raw text that never ends)
    leaves the page as it is, every comment in it (`searchable_part` then keeps what holds one)."""
    if b"<!--" not in page:
        return page
    blanked = bytearray(page)
    for token in _TOKEN.finditer(page):
        if token["unsure"] is not None:
            return page
        if token["comment"] is not None:
            blanked[token.start():token.end()] = b" " * (token.end() - token.start())
    return bytes(blanked)


def _end_tag(page: bytes, opening: re.Match, count_self_closing: bool = True) -> re.Match | None:
    """The end tag of the element `opening` starts: the first that leaves as many elements of its name open as
    before it. (`count_self_closing`: whether `<x/>` opens one, as it does in HTML.)"""
    depth = 0
    for tag in _tags_named(opening[2]).finditer(page, opening.start()):
        depth += -1 if tag[1] else 1 if count_self_closing or not tag[0].endswith(b"/>") else 0
        if depth == 0:
            return tag
    return None


def _before_body(html: bytes, page: bytes, start: int) -> bytes:
    """What precedes a page's body (starting at `start`): its head cut to its title (`_without_head`); after the
    page's `<body>` tag, only the start tags of the elements that hold the body, when nothing else there is for
    Pagefind (it reads no text outside the body)."""
    body_tags = list(_BODY_START.finditer(page, 0, start))
    if len(body_tags) != 1 or _read_outside_body(page, body_tags[0].end(), start):
        return _without_head(html, page, start)
    holders = _open_elements(page, body_tags[0].end(), start)
    if holders is None:
        return _without_head(html, page, start)
    return (_without_head(html, page, body_tags[0].end())
            + b"".join(html[tag.start():tag.end()] for tag in holders))


def _without_head(html: bytes, page: bytes, end: int) -> bytes:
    """The page up to `end`, its head cut to its title: Pagefind reads nothing else there (but its own attributes,
    which, like a comment that might hide them, leave the head whole)."""
    head, head_end = _HEAD_START.search(page, 0, end), _HEAD_END.search(page, 0, end)
    if not head or not head_end or head_end.start() < head.end() or len(_HEAD_END.findall(page, 0, end)) > 1 \
            or any(page.find(read, head.end(), head_end.start()) >= 0 for read in (b"data-pagefind", b"<!--")):
        return html[:end]
    title = _TITLE.search(page, head.end(), head_end.start())
    return html[:head.end()] + (html[title.start():title.end()] if title else b"") + html[head_end.start():end]


def _without_ignored(html: bytes, page: bytes, body: re.Match, end: int) -> bytes:
    """The content of a page's body (from its start tag `body` to `end`) without each element marked
    `data-pagefind-ignore` that holds nothing else Pagefind reads (only its filters, metadata, first title and image
    escape the mark) and whose tags are plainly nested; nor, for an inline element, an anchor's text (see
    `_within_anchor`)."""
    marks = [mark.start() for mark in _IGNORE_MARK.finditer(page, body.end(), end)]
    if not marks or _NOT_PLAIN_TAG.search(page, body.end(), end):
        return html[body.end():end]
    pieces, kept_from = [], body.end()
    for at in marks:
        start = page.rfind(b"<", kept_from, at)  # the start tag holding the mark, if one does: not in what is left out
        tag = _TAG.match(page, start) if start >= 0 else None
        if not tag or tag[1] or tag.end() <= at or tag[2] in _VOID_ELEMENTS or tag[3].endswith(b"/") \
                or not _ignored(_attributes(tag)):
            continue
        closing = _end_tag(page, tag)
        if closing and closing.end() <= end and _plain(page, tag.end(), closing.start()) \
                and not (tag[2] in _INLINE and _within_anchor(page, start, body)):
            pieces.append(html[kept_from:start])
            kept_from = closing.end()
    return b"".join(pieces) + html[kept_from:end]


def _plain(page: bytes, start: int, end: int) -> bool:
    """Whether an ignored element's content (from `start` to `end`) is plainly nested and holds nothing Pagefind reads
    even there (a title, an image, metadata, a filter)."""
    if page.find(b"data-pagefind", start, end) >= 0:  # an attribute of Pagefind's (conservatively: or a mark)
        return False
    names = []
    for closing, name, rest in _TAG.findall(page, start, end):
        if closing:
            if not names or names.pop() != name:
                return False
        elif name in _READ_TAGS:
            return False
        elif name not in _VOID_ELEMENTS:
            if rest.endswith(b"/"):
                return False
            names.append(name)
    return not names


def _within_anchor(page: bytes, start: int, body: re.Match) -> bool:
    """Whether Pagefind counts the text of an inline element starting at `start` (of elements within it not marked
    ignored) towards an anchor's text: whether an element holding it, through inline elements only, has an id and
    no mark. Read back from `start` to the first element holding it that is not inline; where the tags on the way
    are not plainly nested, or more than `ANCHOR_LOOKBACK`, yes."""
    pending: list[bytes] = []  # elements ended before `start`, whose start tags are still to be passed
    position = start
    for _ in range(ANCHOR_LOOKBACK):
        at = page.rfind(b"<", body.end(), position)
        if at < 0:
            break
        tag = _TAG.match(page, at)
        if not tag or tag.end() > position:
            return True
        position, name = at, tag[2]
        if tag[1]:
            pending.append(name)
            continue
        if name in _VOID_ELEMENTS:
            continue
        if tag[3].endswith(b"/"):
            return True
        if pending:
            if pending.pop() != name:
                return True
            continue
        attributes = _attributes(tag) if _MAY_MATTER.search(tag[3]) else _NONE  # an element holding it
        if attributes is None or b"id" in attributes and b"data-pagefind-ignore" not in attributes:
            return True
        if name not in _INLINE:
            return False
    else:
        return True
    return bool(pending) or _anchoring(body[2], _attributes(body), within_anchor=True)


def _read_outside_body(page: bytes, start: int, end: int) -> bool:
    """Whether Pagefind reads anything between `start` and `end`, outside the page's body: its attributes, the first
    title and image; or a tag there may not be a tag, or be another document's."""
    return page.find(b"data-pagefind", start, end) >= 0 or _READ_OUTSIDE_BODY.search(page, start, end) is not None


def _attributes(tag: re.Match) -> dict[bytes, bytes] | None:
    """A start tag's attributes, by name, each value without its quotes (the first of a name, as HTML reads it);
    None if they cannot be read plainly."""
    found = _ATTRIBUTE.findall(tag[3])
    if sum(len(whole) for whole, _, _ in found) != len(tag[3].rstrip(b" \t\n\r\f/")):  # something else between them
        return None
    attributes: dict[bytes, bytes] = {}
    for _, name, value in found:
        attributes.setdefault(name, value[1:-1] if value[:1] in (b'"', b"'") else value)
    return attributes


def _ignored(attributes: dict[bytes, bytes] | None) -> bool:
    """Whether a start tag marks its element for Pagefind to leave its text out, and carries no other attribute of
    Pagefind's."""
    if not attributes or attributes.get(b"data-pagefind-ignore") not in _IGNORE_VALUES:
        return False
    return not any(name.startswith(b"data-pagefind") for name in attributes if name != b"data-pagefind-ignore")


def _anchoring(name: bytes, attributes: dict[bytes, bytes] | None, within_anchor: bool) -> bool:
    """Whether Pagefind counts text within this element (unless marked ignored itself) towards an anchor's text: the
    element is an anchor (it has an id and is not marked), or an inline element within such text. (Where its
    attributes cannot be read: yes.)"""
    if attributes is None:
        return True
    return (b"id" in attributes and b"data-pagefind-ignore" not in attributes) or (name in _INLINE and within_anchor)


def _open_elements(page: bytes, start: int, end: int) -> list[re.Match] | None:
    """The start tags of the elements still open at `end` of those that start from `start`; None if the tags are
    not plainly nested."""
    open_elements: list[re.Match] = []
    for tag in _TAG.finditer(page, start, end):
        if tag[1]:
            if not open_elements or open_elements.pop()[2] != tag[2]:
                return None
        elif tag[2] not in _VOID_ELEMENTS:
            if tag[3].endswith(b"/") or tag[2] in _NOT_PLAIN:
                return None
            open_elements.append(tag)
    return open_elements


def _end_tags_due(html: bytes, page: bytes, start: int) -> bytes:
    """What follows a page's body (from `start`), cut to the end tags of the elements still open, if nothing there is
    for Pagefind."""
    if _read_outside_body(page, start, len(page)):
        return html[start:]
    still_open, closing = [], []
    for tag in _TAG.finditer(page, start):
        if not tag[1]:
            if tag[2] not in _VOID_ELEMENTS and not tag[3].endswith(b"/"):
                still_open.append(tag[2])
        elif still_open and still_open[-1] == tag[2]:
            still_open.pop()
        elif still_open:  # not nested as it should be: leave it as it is
            return html[start:]
        else:
            closing.append(html[tag.start():tag.end()])
    return b"".join(closing)


# Read in a page in lower case (see `searchable_part`).
_TAG = re.compile(rb"<(/?)([a-z][a-z0-9-]*)([^>]*)>")
# What a page is read as, from each `<`, to tell its comments (see `_comments_blanked`): a comment; an element of raw
# text, whole; a run of text and other tags; a doctype; else a `<` that is read otherwise (unsure).
_RAW_TEXT = rb"(?:script|style|textarea|title|xmp|iframe|noembed|noframes|noscript|plaintext)(?=[\s/>])"
_TAG_REST = rb"""(?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*/?>"""
_TOKEN = re.compile(rb"(?P<comment><!--(?:-?>|.*?--!?>))"
                    rb"|<(?P<raw>" + _RAW_TEXT + rb")" + _TAG_REST + rb".*?</(?P=raw)(?=[\s/>])"
                    rb"|(?:[^<]+|(?:</|<(?!" + _RAW_TEXT + rb"))[a-z][^\s/>]*" + _TAG_REST + rb")+"
                    rb"|<!doctype[^<>]*>"
                    rb"|(?P<unsure><)", re.S)
# An attribute of a start tag, whole, its name and its value; attributes that may matter to Pagefind's reading of
# content (an id, or one of its own), and more: whatever may be one.
_ATTRIBUTE = re.compile(rb"""(\s+([^\s"'<>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?)""")
_MAY_MATTER = re.compile(rb"(?<=\s)id(?=[\s=/]|$)|data-pagefind")
_IGNORE_MARK = re.compile(rb"data-pagefind-ignore")
_IGNORE_VALUES = {b"", b"index", b"true", b"all"}  # what Pagefind 1.5 reads as "leave the text out" (or all of it)
# Pagefind 1.5's inline elements: within one, the text of elements not marked ignored counts towards the anchor holding it.
_INLINE = {b"a", b"abbr", b"acronym", b"b", b"bdo", b"big", b"br", b"button", b"cite", b"code", b"dfn", b"em", b"i", b"img",
           b"input", b"kbd", b"label", b"map", b"object", b"output", b"q", b"samp", b"script", b"select", b"small", b"span",
           b"strong", b"sub", b"sup", b"textarea", b"time", b"tt", b"var"}
# Elements without content, as Pagefind's parser (lol_html) takes them. It ends an element at its end tag, and any
# element still open within it there; not, as HTML's tree builder may, at a start tag (a paragraph at a list).
_VOID_ELEMENTS = {b"area", b"base", b"basefont", b"bgsound", b"br", b"col", b"embed", b"hr", b"img", b"input", b"keygen",
                  b"link", b"meta", b"param", b"source", b"track", b"wbr"}
# Where a tag may not be a tag (comments, scripts, raw text): the body's end cannot be found by counting tags.
_HIDES_TAGS = re.compile(rb"<(?:!--|script|style|textarea|template|title|xmp|plaintext)")
# Elements whose content Pagefind's parser reads otherwise (as text, or as another namespace's elements): no element
# of content holding one is left out. (`<!--` and some of these make `_HIDES_TAGS` leave the body whole anyway.)
_NOT_PLAIN = {b"iframe", b"math", b"noembed", b"noframes", b"noscript", b"plaintext", b"script", b"style", b"svg",
              b"template", b"textarea", b"title", b"xmp"}
_NOT_PLAIN_TAG = re.compile(rb"<(?:iframe|math|noembed|noframes|noscript|svg)(?=[\s/>])")
# What Pagefind reads even within an element it leaves the text of out (but its own attributes, metadata and filters):
# the first title and image; and other documents' tags.
_READ_TAGS = {b"h1", b"img", b"meta", b"title", b"svg", b"math", b"html", b"head", b"body"}
_NONE: dict[bytes, bytes] = {}  # no attribute that matters
_BODY_START = re.compile(rb"<body(?=[\s/>])[^>]*>")
_HEAD_START = re.compile(rb"<head(?=[\s/>])[^>]*>")
_HEAD_END = re.compile(rb"</head\s*>")
_TITLE = re.compile(rb"<title(?=[\s/>])[^>]*>.*?</title\s*>", re.S)
# Tags Pagefind reads outside a body (the first title and image), tags that hide others, and another document's (see
# `_read_outside_body`). (A tag whose name only starts so, "<imgx", counts too: the page is then given whole, which
# is never wrong; but a <header> is not a <head>.)
_READ_OUTSIDE_BODY = re.compile(rb"<(?:!--|script|style|textarea|template|title|xmp|plaintext|h1|img|meta|svg|math"
                                rb"|iframe|object|noscript|(?:html|head|body)(?=[\s/>]))")


def shard_words(bundle: dict[str, bytes]) -> dict[str, list[str]]:
    """The words of a shard's pages, from its bundle, dealt into the partitions of the words index: in each, sorted, the
    words (as written, between spaces) of Pagefind's text of the pages and of their metadata, which is what it indexes.

    A partition holds the words that Pagefind files under its letter: a word starting with it, or with a part starting
    with it (Pagefind indexes "cross-border" as "crossborder", "cross" and "border", "McDonald" as "mcdonald", "mc" and
    "donald", "covid19" as "covid19", "covid" and "19"). So every word that a searched word starts with, or that starts
    with it, is in the partition of the searched word's first letter. Partitions are named by that letter (`_letter`).
    """
    words: set[str] = set()
    for path, content in bundle.items():
        if path.startswith("fragment/"):
            page = _fragment(content, path)
            words.update(page["content"].split())
            for value in page["meta"].values():
                words.update(str(value).split())
    dealt: dict[str, list[str]] = {}
    for word in sorted(words):
        for letter in _letters_of(word):
            dealt.setdefault(letter, []).append(word)
    return dict(sorted(dealt.items()))


# Where a part of a word starts: a letter or digit after anything else (or at the start), a digit after a letter, a
# letter after a digit (and an upper case letter after a lower case one, see `_letters_of`).
PART_START = re.compile(r"(?<![^\W_])[^\W_]|(?<=[^\W\d_])\d|(?<=\d)[^\W\d_]")


def _letters_of(word: str) -> set[str]:
    starts = set(PART_START.findall(word))
    if word[1:] != word[1:].lower():
        starts.update(char for char in word[1:] if char.isupper())
    return {_letter(char) for char in starts}


@functools.cache
def _letter(char: str) -> str:
    """The name of a letter's partition: its code point in hex, once in lower case and without accents, as Pagefind
    reads words (the search page works it out alike from a searched word, see `MERGED_API`)."""
    plain = "".join(c for c in unicodedata.normalize("NFD", char.lower()) if not unicodedata.combining(c)) or char
    return f"{ord(plain[0]):x}"


def _fragment(content: bytes, path: str) -> dict:
    """What one of Pagefind's fragment files holds of its page: gzipped, its signature, then JSON."""
    try:
        page = json.loads(gzip.decompress(content).removeprefix(PAGEFIND_SIGNATURE))
        if isinstance(page.get("content"), str) and isinstance(page.get("meta"), dict):
            return page
        raise ValueError("no content or metadata")
    except (OSError, EOFError, ValueError, AttributeError) as error:
        raise SearchIndexError(f"Pagefind's {path} cannot be read: {error}") from None


def _words_bytes(words: dict[str, list[str]]) -> bytes:
    return json.dumps(words, ensure_ascii=False).encode()


def _index_json(data: dict) -> bytes:
    """A JSON file of the index for the browser: the same bytes for the same data."""
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def _digests(words: dict[str, list[str]]) -> dict[str, str]:
    """A digest of the words of each partition."""
    return {letter: content_digest("\n".join(part).encode()) for letter, part in words.items()}


def _words_index(cache: Path, numbers: list[int], config: dict, setup: str) -> dict[str, dict[str, str]]:
    """The words index: a partition to each first letter, kept in the cache (one made again when the words of a shard
    in it changed), each a Pagefind index of one page to each shard holding words in it, that page's text those words,
    with `HOLDERS_FILE`: the shard each of its pages stands for (page id -> shard number). Letter -> path -> digest
    of each file of its partition. Pages' fragments are left out: a search reads no page of the words index, only
    which pages it found.

    Searched for a word, it tells which shards hold words starting with it as one index of all pages would match
    them (see `MERGED_API`): where a shard has no word that a searched word starts with, Pagefind matches its longest
    word that the searched word starts with, which one index holding the searched word never does.
    """
    shard_records = _records(cache)
    digests = {number: shard_records.get(number, {}).get("words") for number in numbers}
    for number, held in digests.items():
        if not (isinstance(held, dict) and all(isinstance(digest, str) for digest in held.values())):
            raise DamagedCacheFile(cache / str(number) / ENTRY_RECORD)  # its key is right: nothing it says is trusted
    folder = cache / WORDS_FOLDER
    folder.mkdir(exist_ok=True)
    records = _records(folder, _hex)
    keys = {}
    for letter in sorted({letter for held in digests.values() for letter in held}):
        held = [[number, digests[number][letter]] for number in numbers if letter in digests[number]]
        keys[letter] = hashlib.sha256(json.dumps([setup, letter, held]).encode()).hexdigest()
    made = {letter: _cached_files(folder / letter, records.get(letter), key) for letter, key in keys.items()}
    for letter, files in made.items():
        if files is not None and HOLDERS_FILE not in files:  # a record altered since: an entry that cannot be read
            made[letter] = None
    words = functools.cache(lambda number: _kept_words(cache / str(number), shard_records[number]))
    lock = threading.Lock()

    def make(pagefind: _Pagefind, letter: str) -> None:
        with lock:  # each shard's words read once
            pages = [(f"/{number}/{letter}/", " ".join(words(number)[letter])) for number in numbers if letter in digests[number]]
        bundle = pagefind.index_texts(iter(pages), config)
        # Page id -> shard: from the page's URL ("/3/6c/"), which makes the ids of two partitions' pages differ even
        # where a shard has the same words in both: a search finds pages of every partition merged, and only this
        # partition's holders may count for a word starting with its letter (see `MERGED_API`).
        holders = {path[len("fragment/"):-len(".pf_fragment")]: int(_fragment(content, path)["url"].split("/")[1])
                   for path, content in bundle.items() if path.startswith("fragment/")}
        index = {path: content for path, content in _index_files(bundle).items() if not path.startswith("fragment/")}
        made[letter] = _keep(folder / letter, keys[letter], {**index, HOLDERS_FILE: _index_json(holders)}, {})

    _on_pagefind([letter for letter, files in made.items() if files is None], WHOLE_INDEX_CHUNK, make)
    _forget_all_but(folder, set(made))
    return made


def _hex(name: str) -> str:
    int(name, 16)  # else ValueError: not a partition's folder
    return name


def _kept_words(folder: Path, record: dict) -> dict[str, list[str]]:
    """The words of a shard kept in its cache folder, as recorded."""
    file = folder / WORDS_FILE
    try:
        words = json.loads(file.read_bytes())
        if isinstance(words, dict) and _digests(words) == record["words"]:
            return words
    except (OSError, ValueError, TypeError, AttributeError, KeyError):
        pass
    raise DamagedCacheFile(file)


@functools.cache
def _tags_named(name: bytes) -> re.Pattern:
    """Start and end tags of elements named `name` (lower case), in a page read in lower case."""
    return re.compile(rb"<(/?)" + re.escape(name) + rb"(?=[\s/>])[^>]*>")


def _records(cache: Path, name: Callable[[str], object] = int) -> dict:
    """Name of each entry (from its folder's name: `name` raises ValueError for no entry's folder) -> the record of it,
    for each entry whose record can be read."""
    records = {}
    for file in cache.glob(f"*/{ENTRY_RECORD}"):
        with contextlib.suppress(OSError, ValueError):
            record = json.loads(file.read_bytes())
            if isinstance(record, dict):
                records[name(file.parent.name)] = record
    return records


def _shards(pages: Mapping[str, Page], records: dict[int, dict], setup: str) -> list[_Shard]:
    """The shards of these pages, each with its key where a cache entry of it was recorded (else it is made: its key
    then comes from what Pagefind is given)."""
    count = shard_count(len(pages))
    members: list[list[str]] = [[] for _ in range(count)]
    for url in sorted(pages):
        members[shard_of(url, count)].append(url)
    shards = []
    for number, urls in enumerate(members):
        recorded = records.get(number, {}).get("pages")
        if not isinstance(recorded, dict):
            shards.append(_Shard(number, urls, None))
            continue
        # The searchable part of a page whose HTML is as recorded is as recorded (`searchable_part` is a function of it).
        entries = [(url, recorded[url][1] if _is_recorded(recorded.get(url), pages[url][0])
                    else content_digest(searchable_part(_read(pages[url][1])))) for url in urls]
        shards.append(_Shard(number, urls, shard_key(entries, _shard_setup(setup, number))))
    return shards


def _is_recorded(digests: object, html_digest: str) -> bool:
    return isinstance(digests, list) and len(digests) == 2 and digests[0] == html_digest


def _shard_setup(setup: str, number: int) -> str:
    return f"{setup} {number == 0}"  # the root shard holds Pagefind's scripts too: its key says so


def _cached_files(folder: Path, record: dict | None, key: str | None) -> dict[str, str] | None:
    """Path in the bundle -> digest of each file of the bundle kept in `folder`, if it was made from `key`; else None.

    An entry that cannot be read (a record garbled, a file missing or of another size) counts
    as no entry: it is made again.
    """
    try:
        if key is None or record is None or record["key"] != key:
            return None
        files, prefix = record["files"], os.path.join(folder, "")
        kept = [*files.items(), *record["private"].items()]
        if all(os.stat(prefix + path).st_size == size for path, (size, _) in kept):  # strings: a hot path
            return {path: digest for path, (_, digest) in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def _make_shards(shards: list[_Shard], pages: Mapping[str, Page], cache: Path, config: dict, setup: str,
                 chunk: int, with_words: bool) -> dict[int, dict[str, str]]:
    """Index each shard with Pagefind and keep its bundle in the cache, with its words (see `shard_words`): what
    `_cached_files` now reads of each."""
    made: dict[int, dict[str, str]] = {}

    def make(pagefind: _Pagefind, shard: _Shard) -> None:
        recorded: dict[str, list[str]] = {}
        bundle = pagefind.index(_searchable_parts(shard.urls, pages, recorded), config, scripts=shard.number == 0)
        key = shard_key([(url, part) for url, (_, part) in recorded.items()], _shard_setup(setup, shard.number))
        words = shard_words(bundle) if with_words else {}
        made[shard.number] = _keep(cache / str(shard.number), key, bundle if shard.number == 0 else _index_files(bundle),
                                   {WORDS_FILE: _words_bytes(words)}, pages=recorded, words=_digests(words))
    _on_pagefind(sorted(shards, key=lambda shard: -len(shard.urls)), chunk, make)
    return made


def _on_pagefind(tasks: list, chunk: int, do: Callable[[_Pagefind, object], None]) -> None:
    """`do(pagefind, task)` for each task, on several Pagefind processes at once; the first error raised stops them all
    and is raised again here, once every process stopped."""
    work: queue.SimpleQueue = queue.SimpleQueue()
    for task in tasks:
        work.put(task)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with _Pagefind(chunk) as pagefind:
                while not failures:
                    try:
                        task = work.get_nowait()
                    except queue.Empty:
                        return
                    do(pagefind, task)
        except BaseException as error:  # handed to the calling thread
            failures.append(error)

    # One process more than cores: while this process reads pages and writes bundles, Pagefind has work.
    threads = [threading.Thread(target=run) for _ in range(min(len(tasks), (os.cpu_count() or 1) + 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def _searchable_parts(urls: list[str], pages: Mapping[str, Page], recorded: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    """Each page's searchable part, worked out while Pagefind indexes those sent before it; `recorded` gets the
    digests of each page and of its part."""
    for url in urls:
        part = searchable_part(_read(pages[url][1]))
        recorded[url] = [pages[url][0], content_digest(part)]
        yield url, part.decode()


def _read(page: bytes | Path | str) -> bytes:
    if isinstance(page, bytes):
        return page
    with open(page, "rb") as file:
        return file.read()


def _index_files(bundle: dict[str, bytes]) -> dict[str, bytes]:
    """A bundle's files that belong to its index alone (the others are shard 0's)."""
    return {path: content for path, content in bundle.items() if _is_index_file(path)}


def _keep(folder: Path, key: str, bundle: dict[str, bytes], private: dict[str, bytes],
          **record: object) -> dict[str, str]:
    """Put a new bundle in its cache folder in place of the old one, with `private` files (kept, not published), and
    record it with `record`'s fields: path -> digest of each file of the bundle.

    Files of the new bundle are written under other names and moved into place, never written
    into: a build may have hard-linked the old ones into its output. Files the old bundle shares
    with the new one (Pagefind names most of them by their content) stay as they are.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ENTRY_RECORD).unlink(missing_ok=True)  # until the record is written again, the entry is no entry
    old = {os.path.relpath(os.path.join(parent, name), folder).replace(os.sep, "/")
           for parent, _, names in os.walk(folder) for name in names}
    made_folders = set()
    files, kept = {}, {}
    for path, content in [*bundle.items(), *private.items()]:  # strings, not Paths: a cold index writes 10,000 files
        (files if path in bundle else kept)[path] = [len(content), content_digest(content)]
        target = os.path.join(folder, path)
        if path in old and os.path.getsize(target) == len(content) and _read(Path(target)) == content:
            continue
        parent = os.path.dirname(target)
        if parent not in made_folders:
            os.makedirs(parent, exist_ok=True)
            made_folders.add(parent)
        write_atomic(target, content)
    for path in old - bundle.keys() - private.keys():
        os.unlink(os.path.join(folder, path))
    write_atomic(os.path.join(folder, ENTRY_RECORD),
                 json.dumps({"key": key, "files": files, "private": kept, **record}).encode())
    return {path: digest for path, (_, digest) in files.items()}


def stable_bundle(bundle: dict[str, bytes]) -> dict[str, bytes]:
    """Pagefind's bundle with its filter indexes written in one order, so the same pages always make the same bytes.

    Pagefind 1.5 writes the values of each filter in any order (Pagefind/pagefind#638), and so
    names its filter files, its metadata file (which lists them) and the entry (which names the
    metadata) differently from one run to the next: a build whose shards came from the cache
    would not be the clean build's byte for byte. Here each filter's values are sorted, and
    each rewritten file is named by a digest of its bytes, as long as Pagefind's names, with
    the same language prefix; the files that list them follow. Every other file stays as it is.
    """
    renamed: dict[str, str] = {}  # a rewritten file's old name (as its lister writes it) -> its new one
    stable: dict[str, bytes] = {}
    for path, content in bundle.items():
        if path.startswith("filter/") and path.endswith(".pf_filter"):
            name, values = _index_file(content, path)
            content = _index_bytes([name, sorted([value, sorted(pages)] for value, pages in values)])
            old = path.removeprefix("filter/").removesuffix(".pf_filter")
            renamed[old] = _stable_name(old, content, set(renamed.values()))
            path = f"filter/{renamed[old]}.pf_filter"
        stable[path] = content
    for path in [path for path in stable if path.startswith("pagefind.") and path.endswith(".pf_meta")]:
        meta = _index_file(stable.pop(path), path)
        try:
            meta[3] = sorted([name, renamed[file]] for name, file in meta[3])  # [filter name, its file] of each filter
        except (IndexError, KeyError, TypeError, ValueError):
            raise SearchIndexError(f"Pagefind's {path} does not list its filters as this generator reads them") from None
        content = _index_bytes(meta)
        old = path.removeprefix("pagefind.").removesuffix(".pf_meta")
        renamed[old] = _stable_name(old, content, set())
        stable[f"pagefind.{renamed[old]}.pf_meta"] = content
        entry = stable.get("pagefind-entry.json", b"")
        if f'"{old}"'.encode() not in entry:
            raise SearchIndexError(f"Pagefind's pagefind-entry.json does not name its {path}")
        stable["pagefind-entry.json"] = entry.replace(f'"{old}"'.encode(), f'"{renamed[old]}"'.encode())
    return stable


def _index_file(content: bytes, path: str):
    """What one of Pagefind's index files holds: gzipped, its signature, then CBOR."""
    try:
        data = gzip.decompress(content)
        if not data.startswith(PAGEFIND_SIGNATURE):
            raise ValueError("no signature")
        return cbor2.loads(data[len(PAGEFIND_SIGNATURE):])
    except (OSError, EOFError, ValueError, cbor2.CBORDecodeError) as error:
        raise SearchIndexError(f"Pagefind's {path} cannot be read: {error}") from None


def _index_bytes(data: object) -> bytes:
    """An index file as Pagefind writes one (see `_index_file`), the same bytes for the same data."""
    return gzip.compress(PAGEFIND_SIGNATURE + cbor2.dumps(data), compresslevel=9, mtime=0)


def _stable_name(name: str, content: bytes, taken: set[str]) -> str:
    """A name like Pagefind's ("en_5d6e7f8"): its language prefix, then as many hex digits of a digest of the bytes
    (more, should another file have `taken` that name)."""
    prefix, _, digits = name.rpartition("_")
    digest = hashlib.blake2b(content, digest_size=16).hexdigest()
    length = len(digits)
    while f"{prefix}_{digest[:length]}" in taken and length < len(digest):
        length += 1
    return f"{prefix}_{digest[:length]}"


def _is_index_file(path: str) -> bool:
    return path.startswith(INDEX_FOLDERS) or path == "pagefind-entry.json" or path.endswith(".pf_meta")


def _forget_all_but(cache: Path, names: set[str]) -> None:
    """Remove what else the cache holds: shards no longer published (fewer shards, or one left empty), older files."""
    for entry in cache.iterdir():
        if entry.name not in names:
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def _merged_api(shards: dict[str, list], words: dict[str, list[str]], api: Path) -> Path:
    """Write (unless it holds it already) Pagefind's search API over the root shard and these: folder -> [cache tag,
    shard number]; over the words index: letter -> [folder of its partition, cache tag, digest of its holders]."""
    compact = {"separators": (",", ":")}
    content = (_minified_api().replace("SHARDS", json.dumps(shards, **compact)).replace("HOLDERS_FILE", HOLDERS_FILE)
               .replace("WORDS", json.dumps(words, **compact))).encode()
    if not (api.is_file() and api.read_bytes() == content):
        write_atomic(api, content)
    return api


@functools.cache
def _minified_api() -> str:
    """MERGED_API without its comments and spaces: a reader's phone loads it before a first search."""
    return rjsmin.jsmin(MERGED_API)


# PagefindUI merges the indexes of its `mergeIndex` option one after another, each waiting for the
# last to load; this loads them all at once. It asks for them when PagefindUI first sets its options,
# which it does before any search, and with the same options, so every shard cuts excerpts alike.
# A search first asks the words index which shards hold words starting with each searched word, and
# then searches those alone: where a shard has no word starting with a searched word, Pagefind
# matches the longest word it has that the searched word starts with ("red" for "redemption"),
# which one index of all pages never does while another shard holds the word. The words index's
# partition of a searched word's first letter is merged when a word starting with it is first
# searched or typed (PagefindUI preloads as the reader types): a site has dozens, a search needs one
# or two. Each index is tagged by a filter of its own, "shard" (Pagefind's `mergeFilter`: the
# shard's number, or "words"), which readers never see. Both searches load the same chunks of the
# shards: the second costs no request.
# A reader waits for results, not for the filters' counts: the filter files of every shard weigh
# about as much as their index files, and loaded at once (PagefindUI asks for the filters as soon as
# it starts) they would share a slow network with them. So the filters wait until every shard is
# merged and the first search's first page of results has loaded (PagefindUI asks for them before
# its first search, as it waits for the reader to stop typing, but preloads the words typed: a
# search is due). A search made before they loaded has no counts, and PagefindUI would show the
# counts over every page beside its results: so once a search was made, the filters come with the
# counts over its results, as they do after any later one.
# Every index holds its pages' paths from the site's root ("/be/events/x/"), which Pagefind would
# otherwise read from the folder above the bundle ("/be/"), linking the results of another language's
# index to "/be/be/events/x/".
# The search page may name the filters in its language (the option `filterNames`: key in the index ->
# name): the filters come by those names, and searches name them so, while the index keeps its keys.
MERGED_API = """\
// Pagefind's search API over every shard of the index (explainer/search.py): /pagefind/ and these.
import * as pagefind from "../pagefind.js";
export * from "../pagefind.js";

const shards = SHARDS; // folder -> [cache tag, shard number]
// The words index: first letter (its code point, in hex) -> [folder of its partition, cache tag, digest of its holders]
const words = WORDS;
const SHARD = "shard"; // the filter each index is tagged by: its number, or "words"
const HOLDERS = "HOLDERS_FILE"; // in each partition of the words index: page id -> the shard whose words it holds
const EXACT = /^\\s*".+"\\s*$/; // a search Pagefind makes for these words alone, none that starts with them
// What Pagefind leaves out of a searched word: punctuation but connectors and symbols, and (once decomposed) accents.
const UNREAD = /[\\p{Pd}\\p{Pe}\\p{Pf}\\p{Pi}\\p{Po}\\p{Ps}\\p{M}]/gu;
const SITE = { baseUrl: "/" }; // the pages' URLs in the index are paths from the site's root
const FIRST_PAGE = 5; // results PagefindUI shows at first
let shared = null; // the options every index is merged with
let primary = null; // the root shard's options set
let merged = null; // every shard merged (or failed to)
// Letter -> its partition of the words index merged: its holders (page -> shard); null if it failed to load.
const partitions = {};
let firstResults = null; // the first search's first page of results loaded
let firstAsked = null; // a search asked for since a word was typed (PagefindUI preloads as it waits to search)
let asked = () => {};
const SEARCH_DUE = 3000; // ms: how long the filters wait for a search typed, once preloaded, to be asked for
let lastSearch = null; // [term, settings] of the latest search
let searches = 0; // searches asked for so far
let names = null; // a filter's key in the index -> the name it is shown by; and back
let keys = null;
const tagged = Object.keys(words).length > 0; // else one shard: its index is the whole index

function renamed(filters, to) {
  return filters && to ? Object.fromEntries(Object.entries(filters).map(([name, values]) => [to[name] ?? name, values])) : filters;
}

function untagged(filters) {
  if (!filters || !tagged) {
    return filters;
  }
  const { [SHARD]: _, ...others } = filters;
  return others;
}

function inIndex(settings) {
  return settings?.filters && keys ? { ...settings, filters: renamed(settings.filters, keys) } : settings;
}

function named(response) {
  return response && (names || tagged)
    ? { ...response, filters: renamed(untagged(response.filters), names),
        totalFilters: renamed(untagged(response.totalFilters), names) }
    : response;
}

function merge(settings) {
  if (!merged) {
    const { basePath, ...options } = settings;
    shared = options;
    primary = pagefind.options(tagged ? { ...settings, mergeFilter: { [SHARD]: "0" } } : settings);
    const tag = (number) => (tagged ? { mergeFilter: { [SHARD]: String(number) } } : {});
    merged = primary.then(() => Promise.allSettled(Object.entries(shards).map(([path, [cacheTag, number]]) =>
      pagefind.mergeIndex(path, { ...shared, metaCacheTag: cacheTag, ...tag(number) }).catch(console.error))));
  }
  return primary;
}

// The first letter of a searched word as Pagefind reads it (in hex), and so the partition of the words index with every
// word starting with it, or that it starts with.
function letterOf(word) {
  const plain = word.toLocaleLowerCase().normalize("NFD").replace(UNREAD, "");
  return plain ? plain.codePointAt(0).toString(16) : null;
}

// Each searched word followed by the last character there is: a search for it loads the chunk of the index holding
// the words that follow all those starting with the searched word, where some of those may be. Pagefind loads only
// the chunk holding the searched word itself, and matches the words starting with it in the chunks it loaded.
function beyond(term) {
  return searchedWords(term).map((word) => `${word}\\u{10FFFF}`).join(" ");
}

function searchedWords(term) {
  return term.trim().split(/\\s+/).filter((word) => word);
}

function mergeWords(term) {
  return Promise.all(searchedWords(term).map(letterOf).filter((letter) => letter in words).map((letter) => {
    const [folder, cacheTag, holders] = words[letter];
    partitions[letter] ??= Promise.all([
      primary.then(() => pagefind.mergeIndex(folder, { ...shared, metaCacheTag: cacheTag, mergeFilter: { [SHARD]: "words" } })),
      fetch(`${folder}${HOLDERS}?ts=${holders}`).then((response) => response.json())])
      .then(([, held]) => held).catch((error) => { console.error(error); return null; });
    return partitions[letter];
  }));
}

function firstSearch(found) {
  if (!firstResults) {
    firstResults = found.then((response) => Promise.allSettled(
      (response?.results ?? []).slice(0, FIRST_PAGE).map((result) => result.data()))).catch(() => {});
  }
  return found;
}

// The shards that hold, of each searched word, a word starting with it (or else the longest word it starts with, as
// one index would match), as the partition of its first letter tells: it holds every word starting with that letter
// (another may hold a few, as parts of longer words, and match the searched word to a shorter one: its pages are not
// among this partition's holders). A word matching nothing is left out, as Pagefind leaves it out. A word whose
// partition failed to load tells nothing: every shard may hold it (null: every shard, for every word).
async function holding(term) {
  const held = await Promise.all(searchedWords(term).map(async (word) => {
    const letter = letterOf(word);
    if (!(letter in words)) {
      return new Set();
    }
    const holders = await partitions[letter];
    if (!holders) {
      return null;
    }
    const found = await pagefind.search(word, { filters: { [SHARD]: "words" } });
    return new Set((found?.results ?? []).filter((result) => result.id in holders)
      .map((result) => String(holders[result.id])));
  }));
  const [first, ...others] = held.filter((numbers) => numbers?.size);
  if (!first) {
    return held.includes(null) ? null : [];
  }
  return [...first].filter((number) => others.every((numbers) => numbers.has(number)));
}

async function searched(term, settings) {
  if (!tagged) {
    return pagefind.search(term, settings);
  }
  if (term === null || EXACT.test(term)) {  // a search in quotes matches the words as written: no shard matches another
    await merged;
    return pagefind.search(term, { ...settings, filters: { ...settings?.filters, [SHARD]: { none: ["words"] } } });
  }
  // The shards' chunks load while the partitions of the words index are merged.
  await Promise.all([merged.then(() => pagefind.preload(term, settings)), merged.then(() => pagefind.preload(beyond(term), settings)),
    mergeWords(term).then(() => pagefind.preload(beyond(term)))]);
  const within = await holding(term);
  const searchedShards = within === null ? { none: ["words"] } : { any: within.concat("none") };
  return pagefind.search(term, { ...settings, filters: { ...settings?.filters, [SHARD]: searchedShards } });
}

export async function options({ filterNames, ...settings }) {
  if (filterNames && Object.keys(filterNames).length) {
    names = filterNames;
    keys = Object.fromEntries(Object.entries(names).map(([key, name]) => [name, key]));
  }
  settings = { ...SITE, ...settings };
  await (merged ? pagefind.options(settings) : merge(settings));
}

export async function search(term, settings) {
  merge(SITE);
  settings = inIndex(settings);
  lastSearch = [term, settings];
  searches += 1;
  asked();
  return named(await firstSearch(searched(term, settings)));
}

export async function debouncedSearch(term, settings, timeout = 300) {
  merge(SITE);
  const asked = ++searches;
  preload(term, settings);
  await new Promise((resolve) => setTimeout(resolve, timeout));
  if (asked !== searches) {
    return null;
  }
  const found = await search(term, settings);
  return asked + 1 === searches ? found : null;
}

export async function preload(term, settings) {
  merge(SITE);
  firstAsked ??= new Promise((resolve) => {
    asked = resolve;
    setTimeout(resolve, SEARCH_DUE);
  });
  await Promise.all([pagefind.preload(term, inIndex(settings)), tagged && term ? mergeWords(term) : null]);
}

export async function filters() {
  merge(SITE);
  await merged;
  await firstAsked;
  await firstResults;
  const all = untagged(await pagefind.filters());
  if (!lastSearch) {
    return renamed(all, names);
  }
  const found = untagged((await searched(...lastSearch))?.filters);
  return renamed(found && Object.keys(found).length ? found : all, names);
}
"""


class _Pagefind:
    """One Pagefind process in its service mode, indexing one shard after another.

    Spoken to directly: the `pagefind` package's client waits a tenth of a second between
    reading two answers, one per page sent (Pagefind 1.5.2).
    """

    def __init__(self, chunk: int = WHOLE_INDEX_CHUNK) -> None:
        self.chunk = chunk

    def __enter__(self) -> _Pagefind:
        executable = get_executable()
        if executable is None:
            raise SearchIndexError("the Pagefind program is missing: pip install 'pagefind[extended]'")
        # A setting Pagefind calls unstable (1.5.2): where it is gone, chunks are bigger, searches load more, no less works.
        environment = {**os.environ, "PAGEFIND_UNSTABLE_INDEX_CHUNK_SIZE": str(self.chunk)}
        self.process = subprocess.Popen([str(executable), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        env=environment)
        self.sent = self.answered = 0
        self.buffer = bytearray()
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(BrokenPipeError):  # it stopped already
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()

    def index(self, pages: Iterator[tuple[str, str]], config: dict, *, scripts: bool = True) -> dict[str, bytes]:
        """A Pagefind bundle of these (URL, HTML) pages: path in the bundle -> content; without `scripts`, its index
        files alone (see `_is_index_file`)."""
        return self._bundle(({"type": "AddFile", "url": url, "file_path": None, "file_contents": html} for url, html in pages),
                            config, scripts)

    def index_texts(self, texts: Iterator[tuple[str, str]], config: dict) -> dict[str, bytes]:
        """The index files of a Pagefind bundle of these (URL, plain text) pages, in the language `config` forces."""
        return self._bundle(({"type": "AddRecord", "url": url, "content": text, "language": config["force_language"]}
                             for url, text in texts), config, False)

    def _bundle(self, additions: Iterator[dict], config: dict, scripts: bool) -> dict[str, bytes]:
        index = self._ask({"type": "NewIndex", "config": config})["index_id"]
        for addition in additions:
            self._send({**addition, "index_id": index})
            if self.sent - self.answered >= IN_FLIGHT:
                self._answer()
        files = self._ask({"type": "GetFiles", "index_id": index})["files"]
        self._ask({"type": "DeleteIndex", "index_id": index})
        # Pagefind sends its 630 KB of scripts with every bundle: decoded only where kept (shard 0's), they cost nothing.
        return stable_bundle({file["path"]: base64.b64decode(file["content"]) for file in files
                              if scripts or _is_index_file(file["path"])})

    def _ask(self, payload: dict) -> dict:
        self._send(payload)
        while self.sent - self.answered > 1:
            self._answer()
        return self._answer()

    def _send(self, payload: dict) -> None:
        self.sent += 1
        message = json.dumps({"message_id": self.sent, "payload": payload}, ensure_ascii=False).encode()
        try:
            self.process.stdin.write(base64.b64encode(message) + b",")
        except BrokenPipeError:
            self._stopped()

    def _answer(self) -> dict:
        """Pagefind's next answer (it answers in the order it was asked)."""
        try:
            self.process.stdin.flush()
        except BrokenPipeError:
            self._stopped()
        while (end := self.buffer.find(b",")) < 0:
            data = self.process.stdout.read1(1 << 20)
            if not data:
                self._stopped()
            self.buffer += data
        answer = json.loads(base64.b64decode(self.buffer[:end]))
        del self.buffer[:end + 1]
        self.answered += 1
        payload = answer["payload"]
        if payload["type"] == "Error":
            raise SearchIndexError(f"Pagefind: {payload['message']}")
        return payload

    def _stopped(self) -> NoReturn:
        raise SearchIndexError(f"Pagefind stopped (exit status {self.process.wait()})")
