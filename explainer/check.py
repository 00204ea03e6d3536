"""`check`: what builds but should be looked at before publishing, and the links of a built site."""
from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

from .images import IMAGE_SUFFIXES
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
            problems.append(Problem(source.position, f'source "{source.id}" has no archive_url: a web-archive copy lets readers check it if the page moves', "note"))
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
                self.links.append((attributes[name], line, col + 1))
        for candidate in attributes.get("srcset", "").split(","):
            if candidate.strip().startswith("/"):
                self.links.append((candidate.split()[0], line, col + 1))


def broken_links(out_dir: Path) -> list[Problem]:
    """Every internal link or anchor of a built site that leads nowhere, at its place in the page."""
    pages: dict[Path, _PageLinks] = {}

    def parsed(path: Path) -> _PageLinks:
        if path not in pages:
            parser = pages[path] = _PageLinks()
            parser.feed(path.read_text(encoding="utf-8"))
        return pages[path]

    problems = []
    for page in sorted(out_dir.rglob("*.html")):
        relative = page.relative_to(out_dir).as_posix()
        for href, line, col in parsed(page).links:
            target, anchor = _target(out_dir, page, href)
            if target is None:
                problems.append(Problem(Position(relative, line, col), f'link to "{href}" leads to no page of the site', "warning"))
            elif anchor and target.suffix == ".html" and anchor not in parsed(target).ids:
                problems.append(Problem(Position(relative, line, col), f'link to "{href}": the page has no element with id "{anchor}"', "warning"))
    return problems


def _target(out_dir: Path, page: Path, href: str) -> tuple[Path | None, str]:
    path, _, anchor = href.partition("#")
    path = re.sub(r"[?].*$", "", path)
    if not path:
        return page, anchor
    target = out_dir / path.lstrip("/")
    if target.is_dir():
        target = target / "index.html"
    return (target if target.is_file() else None), anchor
