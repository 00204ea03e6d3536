"""`check`: what builds but should be looked at before publishing, and the links of a built site."""
from __future__ import annotations

import datetime as dt
import os
import posixpath
import sys
from collections.abc import Callable, Mapping
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

from .cache import dump_pickle, load_pickle
from .images import IMAGE_SUFFIXES
from .parallel import map_forked
from .model import Site
from .problems import Position, Problem

ORPHAN_SUFFIXES = IMAGE_SUFFIXES | {".svg"}  # images an editor may leave behind


def editorial_warnings(site: Site, today: dt.date, referenced_assets: str = "") -> list[Problem]:
    """Every warning and note about a valid site, as of `today`.

    `referenced_assets` is the text of the templates and stylesheets, where images other
    than event photos are used.
    """
    return (_expected_in_the_past(site, today) + _sources_to_complete(site)
            + _orphan_images(site, referenced_assets))


def _expected_in_the_past(site: Site, today: dt.date) -> list[Problem]:
    """An `expected` event whose date has passed needs an update, unless one was logged after that date."""
    warnings = []
    for event in site.events:
        if event.status != "expected" or event.when.latest >= today:
            continue
        if any(update.date.first_day > event.when.latest for update in event.updates):
            continue
        message = (f'event "{event.id}": expected for {event.date_text}, which has passed: say what happened '
                   "(change its status) or log an update saying it is still unconfirmed")
        warnings.append(Problem(event.position, message, "warning"))
    return warnings


def _sources_to_complete(site: Site) -> list[Problem]:
    problems = []
    for source in site.sources.values():
        if source.date is None and not source.undated:
            problems.append(Problem(source.position, f'source "{source.id}" has no date: add it, or write `date: n.d.` if the page shows none', "warning"))
        if source.archive_url is None:
            problems.append(Problem(source.position, f'source "{source.id}" has no archive_url: a web-archive copy lets readers check it if the page moves', "note",
                                    summary="sources have no archive_url: a web-archive copy lets readers check a page that moves"))
    return problems


def _orphan_images(site: Site, referenced: str) -> list[Problem]:
    """Images in assets/ that no event and no template or stylesheet uses."""
    photos = {photo.src for event in site.events for photo in event.photos}
    orphans = []
    for asset in site.assets:
        if PurePosixPath(asset).suffix.lower() not in ORPHAN_SUFFIXES or asset in photos:
            continue
        if asset in referenced or PurePosixPath(asset).name in referenced:
            continue
        orphans.append(Problem(Position(f"assets/{asset}"), "image used by no event, template or stylesheet: remove it or use it", "warning"))
    return orphans


def strictly(problems: list[Problem]) -> list[Problem]:
    """The problems as `--strict` reads them: warnings are errors, notes stay notes."""
    return [Problem(p.position, p.message) if p.severity == "warning" else p for p in problems]


def publishing_gate(today: dt.date, theme: str, store: Path, *, search: bool, strict: bool):
    """What `check` says of a staged build, before anything is written (see `pipeline.build`).

    Validation warnings, `editorial_warnings` and the links of the staged site; with `strict`,
    warnings are errors, and stop the build. Links into the search index, made after, lead
    somewhere. What each page links to is kept in `store`.
    """
    def gate(site: Site, warnings: list[Problem], staging) -> list[Problem]:
        links = broken_links(staging.out_dir, staging.current, store, locate=staging.location,
                             made_later=("pagefind/",) if search else ())
        found = warnings + editorial_warnings(site, today, theme) + links
        return strictly(found) if strict else found

    return gate


class _PageLinks(HTMLParser):
    """The internal links of one page, with their positions, and its element ids."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, int, int]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, col = self.getpos()
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.ids.add(attributes["id"])
        for name in ("href", "src"):
            if attributes.get(name, "").startswith(("/", "#")) and not attributes[name].startswith("//"):
                self.links.append((sys.intern(attributes[name]), line, col + 1))  # pages share most links: kept once
        for candidate in attributes.get("srcset", "").split(","):
            if candidate.strip().startswith("/"):
                self.links.append((sys.intern(candidate.split()[0]), line, col + 1))


PageLinks = tuple[list[tuple[str, int, int]], set[str]]  # a page's internal links (href, line, column), and its ids


def broken_links(out_dir: Path, digests: Mapping[str, str | None] | None = None, store: Path | None = None, *,
                 locate: Callable[[str], Path] | None = None, made_later: tuple[str, ...] = ()) -> list[Problem]:
    """Every internal link or anchor of a built site that leads nowhere, at its place in the page.

    `digests`, each output file's content digest as the build recorded it, spares walking the
    folder; with `store` too, only pages whose bytes are new are read: what each page links
    to is kept there by the page's digest, for the next check. `locate(path)` says where a
    file is, when not in `out_dir`; links to paths starting with `made_later` (files made
    after this check, such as the search index) count as leading somewhere.
    """
    files = digests if digests is not None else _files_in(out_dir)
    locate = locate or (lambda path: out_dir / path)
    known: dict[str, PageLinks] = (load_pickle(store) or {}) if store and digests is not None else {}
    html_pages = sorted((path for path in files if path.endswith(".html")), key=PurePosixPath)
    pages = {page: known[files[page]] for page in html_pages if files[page] in known}
    pages.update(_read_links([page for page in html_pages if page not in pages], locate))

    problems = []
    for page in html_pages:
        for href, line, col in pages[page][0]:
            target, anchor = _target(files, page, href)
            if target is None and not (made_later and href.lstrip("/").startswith(made_later)):
                problems.append(Problem(Position(page, line, col), f'link to "{href}" leads to no page of the site', "warning"))
            elif target and anchor and target.endswith(".html") and anchor not in pages[target][1]:
                problems.append(Problem(Position(page, line, col), f'link to "{href}": the page has no element with id "{anchor}"', "warning"))
    if store and digests is not None:
        dump_pickle(store, {files[page]: links for page, links in pages.items()})
    return problems


READ_APART_FROM = 200  # pages to read: from so many, on every core
READ_CHUNK = 100  # pages a worker reads at once


def _read_links(pages: list[str], locate: Callable[[str], Path]) -> dict[str, PageLinks]:
    """What each page links to and its ids, read from its file (on every core when there are many)."""
    def read(chunk: list[str]) -> list[PageLinks]:
        found = []
        for page in chunk:
            parser = _PageLinks()
            parser.feed(locate(page).read_text(encoding="utf-8"))
            found.append((parser.links, parser.ids))
        return found

    workers = (os.cpu_count() or 1) if len(pages) >= READ_APART_FROM else 1
    chunks = [pages[start:start + READ_CHUNK] for start in range(0, len(pages), READ_CHUNK)]
    read_links = [links for found in map_forked(read, chunks, workers) for links in found]
    return dict(zip(pages, read_links))


def _files_in(out_dir: Path) -> dict[str, str | None]:
    return {path.relative_to(out_dir).as_posix(): None for path in out_dir.rglob("*") if path.is_file()}


def _target(files: dict[str, object], page: str, href: str) -> tuple[str | None, str]:
    """The output file a link leads to (a folder's index.html), or None; and its anchor."""
    path, _, anchor = href.partition("#")
    path = path.partition("?")[0]
    if not path:
        return page, anchor
    relative = posixpath.normpath(path.lstrip("/"))
    for candidate in (relative, "index.html" if relative == "." else f"{relative}/index.html"):
        if candidate in files:
            return candidate, anchor
    return None, anchor
