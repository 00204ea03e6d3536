"""`check`: what builds but should be looked at before publishing, and the links of a built site."""
from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import yaml
from selectolax.lexbor import LexborHTMLParser

from .cache import read_record, write_record
from .images import IMAGE_SUFFIXES
from .load import Document, read_document
from .markup import CITATION, MARKDOWN_LINK, outside_code
from .parallel import map_forked
from .model import Event, Page, Site
from .problems import Position, Problem, quoted

ORPHAN_SUFFIXES = IMAGE_SUFFIXES | {".svg"}  # images an editor may leave behind


def editorial_warnings(site: Site, today: dt.date, referenced_assets: str = "", root: Path | None = None) -> list[Problem]:
    """Every warning and note about a valid site, as of `today`.

    `referenced_assets` is the text of the templates and stylesheets, where images other
    than event photos are used. `root`, the site folder, places each unsourced sentence on
    its own line; without it, a note points at its event or page.
    """
    return (_expected_in_the_past(site, today) + _sources_to_complete(site)
            + _orphan_images(site, referenced_assets) + unsourced_sentences(site, root))


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
    """Images in assets/ that no event, translation, template or stylesheet uses."""
    photos = {photo.src for event in site.events for photo in event.photos}
    photos |= {src for translation in site.translations.values() for _, _, src in translation.photos if src}
    orphans = []
    for asset in site.assets:
        if PurePosixPath(asset).suffix.lower() not in ORPHAN_SUFFIXES or asset in photos:
            continue
        if asset in referenced or PurePosixPath(asset).name in referenced:
            continue
        orphans.append(Problem(Position(f"assets/{asset}"), "image used by no event, template or stylesheet: remove it or use it", "warning"))
    return orphans


# Unsourced sentences: a guess, so a note. A sentence "holds a date, number or name" when it has a
# digit (a year, a day, a number) or a capitalised word after its first; its paragraph "has a
# citation" when it has an [@source-id]. Headings, block quotes, code, link definitions and list
# intros (ending in ":") are left out, and so is what is written in quotation marks, in link
# addresses or as links to events.

_FENCE = re.compile(r"[ \t]{0,3}(?:`{3,}|~{3,})")
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}(?:[ \t]|$)")
_BLOCKQUOTE = re.compile(r"[ \t]{0,3}>")
_LINK_DEFINITION = re.compile(r"[ \t]{0,3}\[[^\]\n]+\]:[ \t]")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+")
_CITATION = re.compile(CITATION)
_REFERENCE = re.compile(r"\[\[[^\]\n]*\]\]|\[@[^\]\n]*\]")
_SENTENCE_END = re.compile(r"[.!?][\"'”’»)\]*_]*\s+")
_OPENING_MARKS = re.compile(r"[\"“‘'(\[*_]*")  # between a sentence's stop and its first letter
_ABBREVIATIONS = frozenset({"e.g", "i.e", "c", "ca", "cf", "p", "pp", "no", "nos", "vol", "art", "mr", "mrs", "ms", "dr", "st", "vs", "n"})
_NOT_READ = re.compile(r"\]\([^)\n]*\)|\]\[[^\]\n]*\]|<https?://[^>\s]*>|https?://\S+|\"[^\"]*\"|“[^”]*”|«[^»]*»|„[^“”]*[“”]")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_DIGIT = re.compile(r"\d")
_BLANK_LINES = re.compile(r"(\n[ \t]*\n)")
_SPECIAL_LINE = re.compile(r"\n(?:[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]|[ \t]{0,3}(?:#|>|`{3}|~{3}|\[[^\]\n]+\]:)|    |\t)")
QUOTED_UP_TO = 60  # characters of a sentence a note quotes


def unsourced_sentences(site: Site, root: Path | None = None) -> list[Problem]:
    """A note for each sentence of an event or page that holds a date, number or name, with no citation in its paragraph."""
    places = _TextPlaces(root)
    notes = []
    for owner, name, texts in _owners(site):
        for field, text in texts:
            found = unsourced_in(text)
            if not found:
                continue
            positions = places.of_sentences(owner.position, field, text, [offset for offset, _ in found])
            for (_, sentence), position in zip(found, positions):
                notes.append(Problem(position, f'{name}: this sentence states a date, number or name with no citation in '
                                               f'its paragraph: "{_quoted(sentence)}" (cite its source, or ignore this note '
                                               "if it needs none)", "note",
                                     summary="sentences state a date, number or name with no citation in their paragraph"))
    return notes


def _owners(site: Site) -> Iterator[tuple[Event | Page, str, list[tuple[str, str]]]]:
    """Each event and page, named as messages name it, with its Markdown texts: (field, text)."""
    for event in site.events:
        texts = [("summary", event.summary), ("body", event.body)] + [("update", update.text) for update in event.updates]
        yield event, f'event "{event.id}"', texts
    for page in site.pages:
        texts = [("body", page.body)] + [("update", update.text) for update in page.updates]
        yield page, f'page "{PurePosixPath(page.position.path).stem}"', texts


def unsourced_in(text: str) -> list[tuple[int, str]]:
    """The sentences of a Markdown text that hold a date, number or name in a paragraph with no citation,
    each with its offset in the text and as written."""
    found, offset = [], 0
    for index, block in enumerate(_BLANK_LINES.split(outside_code(text))):  # blocks, and the blank lines between them
        if index % 2 == 0 and not _plainly_cited(block):
            for start, paragraph in _paragraphs(block):
                if not _has_citation(paragraph):
                    found += [(at, written) for at, written, read in _sentences_of(text, offset + start, paragraph)
                              if _holds_a_date_number_or_name(read)]
        offset += len(block)
    return found


def _text_sentences(text: str) -> list[tuple[int, str]]:
    """Every sentence of a Markdown text, in reading order, with its offset and as written."""
    return [(offset, written) for start, paragraph in _paragraphs(outside_code(text))
            for offset, written, _ in _sentences_of(text, start, paragraph)]


def _sentences_of(text: str, start: int, paragraph: str) -> list[tuple[int, str, str]]:
    """The sentences of a text's paragraph at `start`: each one's offset in the text, and the sentence as written
    and as read (code, citations and event links blanked)."""
    blanked = _REFERENCE.sub(lambda match: match[0] if _escaped(paragraph, match.start()) else " " * len(match[0]), paragraph)
    return [(start + offset, text[start + offset:start + offset + len(read)], read) for offset, read in _sentences(blanked)]


def _plainly_cited(block: str) -> bool:
    """Whether a block of lines is one plain paragraph (no list, heading, quote or code) with a citation: most are."""
    return "[@" in block and "\\[@" not in block and not _SPECIAL_LINE.search("\n" + block)


def _has_citation(paragraph: str) -> bool:
    """Whether a paragraph, its code blanked, has a citation that is not escaped (`\\[@`)."""
    return "[@" in paragraph and any(not _escaped(paragraph, match.start()) for match in _CITATION.finditer(paragraph))


def _escaped(text: str, index: int) -> bool:
    """Whether the character at `index` follows an odd number of backslashes (Markdown shows it as written)."""
    before = index
    while before and text[before - 1] == "\\":
        before -= 1
    return (index - before) % 2 == 1


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """The paragraphs and list items of a Markdown text, each with its offset; not headings, quotes nor code blocks."""
    paragraphs: list[tuple[int, str]] = []
    start = end = None
    fenced = listed = False
    blank_before = True
    offset = 0
    for line in text.split("\n"):
        if not fenced and (not line or line[0].isalpha()):  # most lines: text, or a blank line between paragraphs
            if line:
                start, end = offset if start is None else start, offset + len(line)
            elif start is not None:
                paragraphs.append((start, text[start:end]))
                start = None
            blank_before = not line
            offset += len(line) + 1
            continue
        stripped = line.strip()
        code = fenced or _FENCE.match(line) or (blank_before and not listed and line.startswith(("    ", "\t")) and stripped)
        skipped = code or _HEADING.match(line) or _BLOCKQUOTE.match(line) or _LINK_DEFINITION.match(line)
        if (not stripped or skipped or _LIST_ITEM.match(line)) and start is not None:
            paragraphs.append((start, text[start:end]))
            start = None
        if _FENCE.match(line):
            fenced = not fenced
        elif stripped and not skipped:
            item = _LIST_ITEM.match(line)
            listed = bool(item) or (listed and (line[:1].isspace() or not blank_before))
            if start is None:
                start = offset + (item.end() if item else len(line) - len(line.lstrip()))
            end = offset + len(line)
        blank_before = not stripped
        offset += len(line) + 1
    if start is not None:
        paragraphs.append((start, text[start:end]))
    return paragraphs


def _sentences(paragraph: str) -> list[tuple[int, str]]:
    """The sentences of a paragraph, each with its offset: a stop, then a capital letter or a digit (not after
    an abbreviation or an initial)."""
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(paragraph):
        letter_at = _OPENING_MARKS.match(paragraph, match.end()).end()
        following = paragraph[letter_at:letter_at + 1]
        if not following or not (following.isupper() or following.isdigit()):
            continue
        word = _word_before(paragraph, start, match.start()).lstrip("(\"“*_").lower()
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        sentences.append((start, paragraph[start:match.end()].rstrip()))
        start = match.end()
    if paragraph[start:].strip():
        sentences.append((start, paragraph[start:].rstrip()))
    return sentences


def _word_before(text: str, start: int, end: int) -> str:
    """The last word (as `split` splits) of text[start:end], read back from `end`: each stop looks at its own word
    alone, however many stops in a row end no sentence ("A. B. C. ...")."""
    while end > start and text[end - 1].isspace():
        end -= 1
    begin = end
    while begin > start and not text[begin - 1].isspace():
        begin -= 1
    return text[begin:end]


def _holds_a_date_number_or_name(sentence: str) -> bool:
    """Whether a sentence, outside quotation marks and link addresses, has a digit or a capitalised word after its
    first; not a list's introduction (ending in ":")."""
    after_first = sentence.lstrip()[1:]
    if sentence.rstrip(" *_").endswith(":") or (after_first == after_first.lower() and not _DIGIT.search(sentence)):
        return False  # the second: no capital after the first letter, no digit, nothing to look at closer
    read = _NOT_READ.sub(" ", sentence)
    if _DIGIT.search(read):
        return True
    first = _WORD.search(read)
    rest = read[first.end():] if first else ""
    return rest != rest.lower() and any(word[0].isupper() and word != "I" for word in _WORD.findall(rest))


def _quoted(sentence: str) -> str:
    """A sentence as a note quotes it: on one line, its first words up to QUOTED_UP_TO characters."""
    shown = " ".join(sentence.split())
    return shown if len(shown) <= QUOTED_UP_TO else shown[:QUOTED_UP_TO + 1].rsplit(" ", 1)[0].rstrip(",;:") + " …"


class _TextPlaces:
    """Where the texts of events and pages are written, from their files, read only when a note needs a place."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.documents: dict[str, Document | None] = {}

    def document(self, path: str) -> Document | None:
        if path not in self.documents:
            found = None
            if self.root is not None and (self.root / path).is_file():
                found, _ = read_document(self.root, self.root / path, markdown=path.endswith(".md"))
            self.documents[path] = found
        return self.documents[path]

    def of_sentences(self, owner: Position, field: str, text: str, offsets: list[int]) -> list[Position]:
        """Where the sentences at `offsets` of a text are written: each found by its first words, after the text's
        sentences before it; the owner's place when the file does not show it as written."""
        document = self.document(owner.path)
        line = self._first_line(document, owner, field, text) if document is not None else None
        if document is None or line is None:
            return [owner] * len(offsets)
        places, col, wanted = [], 1, set(offsets)
        for offset, sentence in _text_sentences(text):
            position = _find_words(document, sentence.split()[:6], line, col)
            if position is not None:
                line, col = position.line, position.col + 1
            if offset in wanted:
                places.append(position or Position(owner.path, line, 1))
        return places

    def _first_line(self, document: Document, owner: Position, field: str, text: str) -> int | None:
        """The line where a field's text starts: a Markdown body's first line, or the line of its YAML value."""
        if field == "body" and document.path.endswith(".md"):
            return document.body_line
        mapping = document.root
        if isinstance(mapping, yaml.SequenceNode):
            mapping = next((item for item in mapping.value if document.position(item)[1:] == owner[1:]), None)
        if not isinstance(mapping, yaml.MappingNode):
            return None
        values = {key.value: value for key, value in mapping.value if isinstance(key, yaml.ScalarNode)}
        if field != "update":
            return document.position(values[field]).line if field in values else None
        updates = values.get("updates")
        for item in updates.value if isinstance(updates, yaml.SequenceNode) else []:
            written = dict((key.value, value) for key, value in item.value) if isinstance(item, yaml.MappingNode) else {}
            if isinstance(written.get("text"), yaml.ScalarNode) and written["text"].value.strip() == text.strip():
                return document.position(written["text"]).line
        return None


def _find_words(document: Document, words: list[str], line: int, col: int) -> Position | None:
    """Where the first words of a sentence are written on one line, at or after a line and column: as many of
    them as a line holds, the first alone at least."""
    for count in range(len(words), 0, -1):
        position = document.find(" ".join(words[:count]), line, col)
        if position is not None:
            return position
    return None


def strictly(problems: list[Problem]) -> list[Problem]:
    """The problems as `--strict` reads them: warnings are errors, notes stay notes."""
    return [Problem(p.position, p.message) if p.severity == "warning" else p for p in problems]


def publishing_gate(today: dt.date, theme: str, store: Path, *, search: bool, strict: bool, root: Path | None = None):
    """What `check` says of a staged build, before anything is written (see `pipeline.build`).

    Validation warnings, `editorial_warnings` and the links of the staged site; with `strict`,
    warnings are errors, and stop the build. Links into the search index, made after, lead
    somewhere. What each page links to is kept in `store`. `root`, the site folder, is where
    notes find the line of a sentence.
    """
    def gate(site: Site, warnings: list[Problem], publication) -> list[Problem]:
        links = broken_links(publication.spare, publication.digests, store, locate=publication.location,
                             made_later=("pagefind/",) if search else (),
                             written=(lambda hrefs: links_written(root, site, hrefs)) if root is not None else None)
        found = warnings + editorial_warnings(site, today, theme, root) + links
        return strictly(found) if strict else found

    return gate


PageLinks = tuple[list[str], set[str]]  # a page's internal links, in order, and its element ids


def broken_links(out_dir: Path, digests: Mapping[str, str | None] | None = None, store: Path | None = None, *,
                 locate: Callable[[str], Path] | None = None, made_later: tuple[str, ...] = (),
                 written: Callable[[set[str]], dict[str, list[Position]]] | None = None) -> list[Problem]:
    """Every internal link or anchor of a built site that leads nowhere, where an editor wrote it (`written(links)`
    says where each is written in the site's Markdown), else at its place in the page.

    `digests`, each output file's content digest as the build recorded it, spares walking the
    folder; with `store` too, only pages whose bytes are new are read: what each page links
    to is kept there by the page's digest, for the next check. `locate(path)` says where a
    file is, when not in `out_dir`; links to paths starting with `made_later` (files made
    after this check, such as the search index) count as leading somewhere.

    Pages are read with an HTML5 parser (Lexbor's), which knows no line numbers; a page with
    a link that leads nowhere is read again, slowly, to place each such link on its line.
    """
    files = digests if digests is not None else _files_in(out_dir)
    locate = locate or (lambda path: out_dir / path)
    known: dict[str, PageLinks] = (read_record(store) or {}) if store and digests is not None else {}
    html_pages = sorted((path for path in files if path.endswith(".html")), key=PurePosixPath)
    pages = {page: known[files[page]] for page in html_pages if files[page] in known}
    pages.update(_read_links([page for page in html_pages if page not in pages], locate))

    def fault(page: str, href: str) -> str | None:
        target, anchor = _target(files, page, href)
        if target is None and not (made_later and href.lstrip("/").startswith(made_later)):
            return f'link to "{quoted(href)}" leads to no page of the site'
        if target and anchor and target.endswith(".html") and anchor not in pages[target][1]:
            return f'link to "{quoted(href)}": the page has no element with id "{quoted(anchor)}"'
        return None

    faults = []
    for page in html_pages:
        if any(fault(page, href) for href in pages[page][0]):
            faults += [(Position(page, line, col), href, message)
                       for href, line, col in _placed_links(locate(page)) if (message := fault(page, href))]
    places = written({href for _, href, _ in faults}) if written and faults else {}
    # One shown on many pages (a summary's) is one mistake, where it is written.
    problems = list(dict.fromkeys(Problem(place, message, "warning")
                                  for position, href, message in faults for place in places.get(href) or [position]))
    if store and digests is not None:
        write_record(store, {files[page]: links for page, links in pages.items()})
    return problems


def links_written(root: Path, site: Site, hrefs: set[str]) -> dict[str, list[Position]]:
    """Where each of these links is written as a Markdown link or image in the files of the site's events, pages and
    translations (read only when a link leads nowhere)."""
    files = sorted({owner.position.path for owner in (*site.events, *site.pages)}
                   | {translation.position.path for translation in site.translations.values()})
    places: dict[str, list[Position]] = {}
    for path in files:
        try:
            text = (root / path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):  # changed since it was read: its place is not told
            continue
        for match in MARKDOWN_LINK.finditer(text):
            href = match[1] or match[2]
            if href in hrefs:
                start = match.start(1) if match[1] else match.start(2)
                line = text.count("\n", 0, start) + 1
                places.setdefault(href, []).append(Position(path, line, start - text.rfind("\n", 0, start)))
    return places


READ_APART_FROM = 200  # pages to read: from so many, on every core
READ_CHUNK = 100  # pages a worker reads at once


def _read_links(pages: list[str], locate: Callable[[str], Path]) -> dict[str, PageLinks]:
    """What each page links to and its ids, read from its file (on every core when there are many)."""
    def read(chunk: list[str]) -> list[PageLinks]:
        return [page_links(locate(page).read_bytes()) for page in chunk]

    workers = (os.cpu_count() or 1) if len(pages) >= READ_APART_FROM else 1
    chunks = [pages[start:start + READ_CHUNK] for start in range(0, len(pages), READ_CHUNK)]
    read_links = [links for found in map_forked(read, chunks, workers) for links in found]
    return dict(zip(pages, read_links))


def page_links(html: bytes | str) -> PageLinks:
    """The internal links of a page (of its `href`, `src` and `srcset` attributes), in order, and its element ids."""
    links, ids = [], set()
    for element in LexborHTMLParser(html).root.traverse():
        attributes = element.attributes
        if attributes:
            links += _internal(attributes)
            if attributes.get("id") is not None:
                ids.add(attributes["id"])
    return links, ids


def _internal(attributes: Mapping[str, str | None]) -> list[str]:
    """The internal links among an element's attributes, each kept once for all pages (they share most links)."""
    found = []
    for name in ("href", "src"):
        value = attributes.get(name) or ""
        if value.startswith(("/", "#")) and not value.startswith("//"):
            found.append(sys.intern(value))
    for candidate in (attributes.get("srcset") or "").split(","):
        if candidate.strip().startswith("/"):
            found.append(sys.intern(candidate.split()[0]))
    return found


def _placed_links(page: Path) -> list[tuple[str, int, int]]:
    """Each internal link of a page with its line and column, read with the standard library's parser, which
    tells where each tag starts (slower than `page_links`: for the few pages with a fault)."""
    class Placed(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            line, col = self.getpos()
            placed.extend((href, line, col + 1) for href in _internal(dict(attrs)))

    placed: list[tuple[str, int, int]] = []
    Placed(convert_charrefs=True).feed(page.read_text(encoding="utf-8"))
    return placed


def _files_in(out_dir: Path) -> dict[str, str | None]:
    return {path.relative_to(out_dir).as_posix(): None for path in out_dir.rglob("*") if path.is_file()}


def _target(files: dict[str, object], page: str, href: str) -> tuple[str | None, str]:
    """The output file a link leads to (a folder's index.html), or None; and its anchor. Both as the browser reads
    them, percent-escapes decoded ("/files/Annual%20report.pdf", "#caf%C3%A9")."""
    path, _, anchor = href.partition("#")
    path, anchor = unquote(path.partition("?")[0]), unquote(anchor)
    if not path:
        return page, anchor
    relative = posixpath.normpath(path.lstrip("/"))
    for candidate in (relative, "index.html" if relative == "." else f"{relative}/index.html"):
        if candidate in files:
            return candidate, anchor
    return None, anchor
