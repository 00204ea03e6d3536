"""Turn read documents into the content model, finding every problem with its position."""
from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import yaml
from anyascii import anyascii

from . import dates
from .images import IMAGE_SUFFIXES
from .load import UNPUBLISHABLE, Document, original_of, translated_language, unpublishable
from .markup import (find_references, html_tags, lists_nested_too_deep, malformed_references, relative_links,
                     removed_html, runaway_brackets, undefined_link_references, unsafe_links)
from .model import (EVENT_WORDS, PAGE_WORDS, STATUSES, UPDATE_KINDS, Event, Language, Page, Photo, Settings, Site, Source,
                    Translation, Update, words_digest)
from .problems import Position, Problem, visible

UNDATED = "n.d."  # a source's `date` when the page shows none
ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SOURCE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
RESERVED_SLUGS = frozenset(
    {"events", "tags", "sources", "years", "updates", "search", "images", "cards", "css", "js",
     "assets", "pagefind", "404", "feed", "calendar", "sitemap", "robots"}
)

SETTINGS_FIELDS = ("title", "description", "base_url", "language", "languages", "author", "license",
                   "timeline_threshold", "page_size", "raw_html")
SOURCE_FIELDS = ("title", "publisher", "url", "date", "archive_url", "language", "accessed", "note")
INLINE_SOURCE_FIELDS = ("title", "publisher", "url", "date", "archive_url", "language", "accessed")
EVENT_FIELDS = ("id", "date", "end", "time", "date_label", "status", "previous_date", "circa", "before",
                "after", "title", "summary", "body", "place", "tags", "photos", "sources", "related",
                "updates", "aliases", "draft")
PAGE_FIELDS = ("title", "menu_title", "summary", "order", "slug", "draft", "updates")
PHOTO_FIELDS = ("src", "alt", "caption", "credit")
UPDATE_FIELDS = ("date", "text", "kind")


ID_MAX = 200  # characters: an id names a folder (a file name has at most 255 bytes) and is part of a URL


def slugify(text: str, limit: int | None = None) -> str:
    """A URL slug of plain ASCII letters, digits and hyphens; other scripts transliterated ("Łódź" -> "lodz",
    "Ціханоўская" -> "tsikhanouskaya"), so that no letter is dropped and two topics in Cyrillic do not share one.
    With a `limit`, a longer slug is cut at its last hyphen within it, or within a word where that would leave less
    than half of it ("2021-" and a word longer than the limit keeps the word's start)."""
    slug = re.sub(r"[^a-z0-9]+", "-", anyascii(text).lower()).strip("-")
    if limit is not None and len(slug) > limit:
        at_a_word = slug[:limit + 1].rsplit("-", 1)[0] if "-" in slug[:limit + 1] else ""
        slug = at_a_word if len(at_a_word) > limit // 2 else slug[:limit].rstrip("-")
    return slug


@functools.cache
def tag_slug(tag: str) -> str:
    """The address of a topic's page, `/tags/<slug>/`: at most `ID_MAX` characters, cut at a word."""
    return slugify(tag, ID_MAX) or "tag"


def did_you_mean(word: str, choices) -> str:
    """` (did you mean "x"?)` when a close match exists (first, one that differs in capitals alone: a file name that a
    Mac or Windows finds, and the site's server does not), else nothing."""
    choices = list(choices)
    close = [choice for choice in choices if choice.casefold() == word.casefold()]
    close = close or difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return f' (did you mean "{close[0]}"?)' if close else ""


# A reference to check once every event and source is known: (kind: "source", "event" or "cite",
# id, (path, line, col), owner, owner_is_draft). A plain tuple: a large site's cache holds one per
# citation, and plain tuples save and load many times faster than named ones.
_Link = tuple[str, str, tuple[str, int, int], str, bool]


def _link(kind: str, ref_id: str, position: Position, owner: str, owner_is_draft: bool = False) -> _Link:
    return (kind, ref_id, tuple(position), owner, owner_is_draft)


@dataclass
class _Reader:
    """Reads one document's nodes, recording problems where they are."""

    document: Document
    problems: list[Problem]

    def error(self, node: yaml.Node | None, message: str) -> None:
        position = self.document.position(node) if node is not None else Position(self.document.path)
        self.problems.append(Problem(position, message))

    def fields(self, node: yaml.Node | None, allowed: tuple[str, ...], required: tuple[str, ...], what: str,
               unknown: str = "") -> dict | None:
        """The keys of a mapping as name -> (key node, value node); unknown (with `unknown` said of them), doubled and
        missing keys reported."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping of `field: value` lines")
            return None
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name is None:
                self.error(key, f"{what}: a field name must be plain text")
            elif name in found:
                first = self.document.position(found[name][0])
                self.error(key, f'{what}: field "{name}" is written twice (first at line {first.line})')
            elif name not in allowed:
                self.error(key, f'{what}: unknown field "{name}"{did_you_mean(name, allowed)}{unknown}')
            else:
                found[name] = (key, value)
        for name in required:
            if name not in found:
                self.error(node, f'{what}: missing required field "{name}"')
        return found

    def text(self, node: yaml.Node, label: str, *, single_line: bool = False, allow_empty: bool = False) -> str | None:
        """A scalar read as text, whatever YAML would have guessed (`no` stays "no")."""
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{label} must be text, not a {'list' if isinstance(node, yaml.SequenceNode) else 'mapping'}")
            return None
        value = node.value.strip() if node.style in (None, "") else node.value
        if node.tag == "tag:yaml.org,2002:null" and node.style is None and value in ("", "~", "null", "Null", "NULL"):
            value = ""
        if not value.strip() and not allow_empty:
            self.error(node, f"{label} is empty")
            return None
        if single_line and "\n" in value.strip():
            self.error(node, f"{label} must be one line")
            return None
        found = UNPUBLISHABLE.search(value)  # written as an escape ("\0") in quotes: the file itself holds none
        if found:
            self.error(node, f"{label} holds {unpublishable(found.group())}: remove it")
            return None
        return value

    def boolean(self, node: yaml.Node, label: str) -> bool:
        value = self.text(node, label)
        if value is None:
            return False
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.error(node, f'{label} must be true or false, not "{value}"')
        return False

    def integer(self, node: yaml.Node, label: str, minimum: int = 0) -> int | None:
        value = self.text(node, label)
        if value is None:
            return None
        if re.fullmatch(r"-?\d+", value) and int(value) >= minimum:
            return int(value)
        self.error(node, f'{label} must be a whole number of at least {minimum}, not "{value}"')
        return None

    def items(self, node: yaml.Node, label: str) -> list[yaml.Node]:
        """The items of a list; a single value is taken as a list of one."""
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if isinstance(node, yaml.ScalarNode) and node.value.strip():
            return [node]
        if isinstance(node, yaml.ScalarNode):
            return []
        self.error(node, f"{label} must be a list")
        return []

    def text_list(self, node: yaml.Node, label: str) -> list[tuple[str, yaml.Node]]:
        values = ((self.text(item, f"{label} item", single_line=True), item) for item in self.items(node, label))
        return [(value, item) for value, item in values if value is not None]

    def date(self, node: yaml.Node, label: str) -> dates.PartialDate | None:
        value = self.text(node, label)
        if value is None:
            return None
        try:
            return dates.parse_date(value)
        except dates.DateError as error:
            # The error names the date itself ('date "2021-13": ...'), by its own field's name where that is another.
            what, _, field = label.rpartition(": ")
            said = str(error) if field == "date" else field + str(error).removeprefix("date")
            self.error(node, f"{what}: {said}" if what else said)
            return None

    def url(self, node: yaml.Node, label: str) -> str | None:
        value = self.text(node, label, single_line=True)
        if value is None:
            return None
        try:
            parts = urlsplit(value)
        except ValueError:  # a bracket not closed where an IPv6 address goes: "http://[::1"
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            self.error(node, f'{label} "{value}" must be a full http:// or https:// address')
            return None
        return value


@dataclass(frozen=True)
class _PhotoRef:
    """A photo's file, checked once every file is read (it depends on assets/, not on the entry)."""

    src: str
    written: str
    position: Position
    label: str


@dataclass
class FileResult:
    """What one content file says, validated on its own: it can be reused until the file changes."""

    problems: list[Problem] = field(default_factory=list)
    links: list[_Link] = field(default_factory=list)
    photo_refs: list[_PhotoRef] = field(default_factory=list)
    source_ids: set[str] = field(default_factory=set)  # defined, valid or not: no second error for their users
    event_ids: set[str] = field(default_factory=set)
    settings: Settings | None = None
    sources: dict[str, Source] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    unreadable: bool = False  # the file could not be read: the ids it defines are unknown, so no link is called broken
    is_sources_file: bool = False  # data/sources.yaml's, read
    alias_positions: dict[tuple[str, str], Position] = field(default_factory=dict)  # (event id, alias) -> where written
    warnings: list[Problem] = field(default_factory=list)  # apart from `problems`, whose growth tells a field had errors
    html_in_text: list[Problem] = field(default_factory=list)  # warnings, unless the site allows raw HTML (its settings say)
    html_removed: list[Problem] = field(default_factory=list)  # warnings, where the site allows raw HTML
    translations: list[Translation] = field(default_factory=list)

    def reader(self, document: Document) -> _Reader:
        return _Reader(document, self.problems)

    def note_references(self, document: Document, node: yaml.Node | None, text: str, owner: str, draft: bool) -> list[_Link]:
        """Remember the `[[id]]` and `[@id]` of a Markdown text, with where each is written; report the malformed
        ones and the links the sanitiser removes, and keep a warning for each HTML tag, or each it cuts where raw HTML
        is allowed (see `html_in_text`, `html_removed`)."""
        start = document.position(node).line if node is not None else document.body_line
        references = find_references(text)
        found = [_link(reference.kind, reference.id, position, owner, draft)
                 for reference, position in zip(references, _places(document, start, [r.token for r in references]))]
        self.links.extend(found)
        self.problems += _said_at(document, start, owner, malformed_references(text, references), "error")
        for token, message, offset in runaway_brackets(text) + lists_nested_too_deep(text):
            self.problems.append(Problem(_offset_place(document, node, start, text, offset, token), f"{owner}: {message}"))
        self.warnings += _said_at(document, start, owner, unsafe_links(text), "warning")
        self.warnings += _said_at(document, start, owner, relative_links(text), "warning")
        self.warnings += _said_at(document, start, owner, undefined_link_references(text), "warning")
        self.html_in_text += _said_at(document, start, owner, html_tags(text), "warning")
        self.html_removed += _said_at(document, start, owner, removed_html(text), "warning")
        return found


def _said_at(document: Document, start: int, owner: str, found: list[tuple[str, str]], severity: str) -> list[Problem]:
    """A problem for each (token, message) found in a text, where the token is written."""
    return [Problem(position, f"{owner}: {message}", severity)
            for (_, message), position in zip(found, _places(document, start, [token for token, _ in found]))]


def _offset_place(document: Document, node: yaml.Node | None, start: int, text: str, offset: int, token: str) -> Position:
    """Where the character at `offset` of a text is written: counted in a Markdown body (`node` None), which is the
    text as it is from line `start`; looked for by its token's first word in a YAML value, which may be written
    otherwise (indented, folded, escaped)."""
    if node is not None:
        return _places(document, start, [token])[0]
    return Position(document.path, start + text.count("\n", 0, offset), offset - text.rfind("\n", 0, offset))


def _places(document: Document, start: int, tokens: list[str]) -> list[Position]:
    """Where each token of a text is written, in reading order, each looked for after the one before, by its first
    word (a token may run onto the next line); the text's first line where it is not written as is (YAML escapes)."""
    places, line, col = [], start, 1
    for token in tokens:
        position = document.find((token.split() or [token])[0], line, col)
        if position is None:
            position = Position(document.path, start, 1)
        else:
            line, col = position.line, position.col + 1
        places.append(position)
    return places


def validate_document(document: Document | None, kind: str, problems: list[Problem] = ()) -> FileResult:
    """Validate one file on its own: `kind` is settings, sources, events (a YAML list), entry (a Markdown event) or page."""
    result = FileResult(problems=list(problems))
    if document is None:
        result.unreadable = any(problem.is_error for problem in problems)
        return result
    if kind == "settings":
        result.settings = _settings(result, document)
    elif kind == "sources":
        _sources(result, document)
    elif kind == "events":
        _event_list(result, document)
    elif kind == "entry":
        _event_entry(result, document)
    elif kind == "page":
        _page(result, document)
    else:
        _translations(result, document, kind.removesuffix(" translation"))
    return result


def merge_results(results: list[FileResult], assets: list[str], *, drafts: bool = False,
                  check_asset: Callable | None = None, remark_photo: Callable | None = None) -> tuple[Site | None, list[Problem]]:
    """The site made of every file's result, once what crosses files is checked: ids, links, photos, assets.

    `check_asset(path under assets/)` says what makes a file unfit to publish, or None; `remark_photo(path)` what an
    editor should know of a file fit to publish as an event's photo, or None."""
    problems = [problem for result in results for problem in result.problems + result.warnings]
    settings = next((result.settings for result in results if result.settings is not None), None)
    sources = {source_id: source for result in results for source_id, source in result.sources.items()}
    events = [event for result in results for event in result.events]
    pages = [page for result in results for page in result.pages]
    alias_positions = {key: position for result in results for key, position in result.alias_positions.items()}
    problems += _unique_ids(events, alias_positions) + _unique_slugs(pages) + _topics_sharing_a_page(events)
    photo_refs = [ref for result in results for ref in result.photo_refs]
    problems += check_photos(photo_refs, frozenset(assets), check_asset, remark_photo)
    problems += check_assets(assets, {ref.src for ref in photo_refs}, check_asset)
    if settings is not None:
        problems += [problem for result in results
                     for problem in (result.html_removed if settings.raw_html else result.html_in_text)]
    problems += _check_links(results, events, sources, drafts)
    translations: dict[tuple[str, str], Translation] = {}
    if settings is not None:
        problems += _pages_at_editions(pages, settings)
        failed = {problem.position.path for problem in problems if problem.is_error}
        translations, found = check_translations([t for result in results for t in result.translations], settings, events, pages,
                                                 drafts, failed)
        problems += found
    if not drafts:
        events = [event for event in events if not event.draft]
        pages = [page for page in pages if not page.draft]
    if any(problem.is_error for problem in problems) or settings is None:
        return None, problems
    ordered = tuple(sorted(events, key=Event.sort_key))
    pages = sorted(pages, key=lambda page: (page.order, page.title))
    return Site(settings, sources, ordered, tuple(pages), tuple(assets), translations), problems


def _settings(run: FileResult, document: Document) -> Settings | None:
    reader = run.reader(document)
    found = reader.fields(document.root, SETTINGS_FIELDS, ("title", "description", "base_url"), "data/site.yaml")
    if found is None:
        return None
    values: dict = {}
    for name in ("title", "description", "author", "license"):
        if name in found:
            values[name] = reader.text(found[name][1], name, single_line=name != "description")
    if "base_url" in found:
        values["base_url"] = reader.url(found["base_url"][1], "base_url")
    if "language" in found:
        values["language"] = _site_language(reader, found["language"][1])
    for name in ("timeline_threshold", "page_size"):
        if name in found:
            values[name] = reader.integer(found[name][1], name, minimum=1)
    if "raw_html" in found:
        values["raw_html"] = reader.boolean(found["raw_html"][1], "raw_html")
    if "languages" in found:
        values["languages"] = _languages(reader, found["languages"][1], values.get("language", "en"))
    if any(value is None for value in values.values()) or not all(k in values for k in ("title", "description", "base_url")):
        return None
    return Settings(**values)


def _languages(reader: _Reader, node: yaml.Node, first: str | None) -> tuple[Language, ...] | None:
    """The site's other languages: `languages: {be: {title: ..., description: ...}}`."""
    if not isinstance(node, yaml.MappingNode):
        reader.error(node, "languages maps each other language's code to the site's title and description in it, "
                           "e.g. be: {title: ..., description: ...}")
        return None
    count, languages = len(reader.problems), []
    for key, value in node.value:
        code = _site_language(reader, key)
        if code is not None and code == first:
            reader.error(key, f'"{code}" is the site\'s first language (language: {first}): languages lists the others')
            continue
        found = reader.fields(value, ("title", "description", "author", "license"), ("title", "description"), f'languages: "{code}"')
        if code is None or found is None:
            continue
        words = {name: reader.text(found[name][1], f'languages: "{code}": {name}', single_line=name != "description")
                 for name in found}
        if None not in words.values():
            languages.append(Language(code, **words))
    return tuple(languages) if len(reader.problems) == count else None


def _site_language(reader: _Reader, node: yaml.Node) -> str | None:
    """A language the site's pages are written in: its dates are written with Babel's data for it."""
    from babel import localedata

    value = _language(reader, node)
    if value is not None and not localedata.exists(value.replace("-", "_")):
        reader.error(node, f'language "{value}": no dates or plural rules are known for it; use a code such as en, pl or be')
        return None
    return value


def _language(reader: _Reader, node: yaml.Node) -> str | None:
    value = reader.text(node, "language", single_line=True)
    if value is not None and not LANGUAGE_RE.fullmatch(value):
        reader.error(node, f'language "{value}" must be a language code such as en, pl or be')
        return None
    return value


def _sources(run: FileResult, document: Document) -> None:
    reader = run.reader(document)
    run.is_sources_file = True
    root = document.root
    if root is None:
        return
    if not isinstance(root, yaml.MappingNode):
        reader.error(root, "data/sources.yaml must map each source id to its fields")
        return
    sources = run.sources
    first_seen: dict[str, yaml.Node] = {}
    for key, value in root.value:
        source_id = key.value if isinstance(key, yaml.ScalarNode) else ""
        if not SOURCE_ID_RE.fullmatch(source_id):
            reader.error(key, f'source id "{visible(source_id)}" may use only letters, digits, ".", "_" and "-"')
            continue
        if len(source_id) > ID_MAX:
            reader.error(key, f"source id is {len(source_id)} characters long: an address takes at most {ID_MAX}")
            continue
        if source_id in first_seen:
            first = document.position(first_seen[source_id])
            reader.error(key, f'source "{source_id}" is defined twice (first at {first})')
            continue
        first_seen[source_id] = key
        run.source_ids.add(source_id)
        source = _source(reader, value, source_id, f'source "{source_id}"', SOURCE_FIELDS)
        if source is not None:
            sources[source_id] = source


def _source(reader: _Reader, node: yaml.Node, source_id: str, what: str, allowed: tuple[str, ...]) -> Source | None:
    found = reader.fields(node, allowed, ("title", "publisher", "url"), what)
    if found is None:
        return None
    count = len(reader.problems)
    values: dict = {}
    for name in ("title", "publisher", "note"):
        if name in found:
            values[name] = reader.text(found[name][1], f"{what}: {name}", single_line=True)
    for name in ("url", "archive_url"):
        if name in found:
            values[name] = reader.url(found[name][1], f"{what}: {name}")
    if "date" in found and found["date"][1].value == UNDATED:
        values["undated"] = True
    elif "date" in found:
        values["date"] = reader.date(found["date"][1], f"{what}: date")
    if "accessed" in found:
        values["accessed"] = reader.date(found["accessed"][1], f"{what}: accessed")
    if "language" in found:
        values["language"] = _language(reader, found["language"][1])
    if len(reader.problems) > count or not all(values.get(k) for k in ("title", "publisher", "url")):
        return None
    return Source(id=source_id, position=reader.document.position(node), **values)


def _event_list(run: FileResult, document: Document) -> None:
    reader = run.reader(document)
    if document.root is None:
        return
    if not isinstance(document.root, yaml.SequenceNode):
        reader.error(document.root, "an events file is a list: start each event with '- '")
        return
    for item in document.root.value:
        event = _event(run, reader, item, default_id=None, body=None)
        if event is not None:
            run.events.append(event)


def _event_entry(run: FileResult, document: Document) -> None:
    reader = run.reader(document)
    event = _event(run, reader, document.root, default_id=PurePosixPath(document.path).stem, body=document.body)
    if event is not None:
        run.events.append(event)


def _event(run: FileResult, reader: _Reader, node: yaml.Node | None, *, default_id: str | None, body: str | None) -> Event | None:
    allowed = EVENT_FIELDS if body is None else tuple(name for name in EVENT_FIELDS if name != "body")
    written_id = _written_id(node) or default_id
    found = reader.fields(node, allowed, ("date", "title", "summary", "sources"), f'event "{written_id}"' if written_id else "event")
    if found is None:
        return None
    count = len(reader.problems)
    title = (reader.text(found["title"][1], f'event "{written_id}": title' if written_id else "title", single_line=True)
             if "title" in found else None)
    event_id = _event_id(reader, found, default_id, title)
    if event_id:
        run.event_ids.add(event_id)
    what = f'event "{event_id}"' if event_id else "event"
    values: dict = {"id": event_id, "title": title, "position": reader.document.position(node)}
    values["when"] = _when(reader, found)
    values.update(_event_details(reader, found, what))
    values["sources"] = _event_sources(run, reader, found, event_id or "", what)
    values["photos"] = _photos(run, reader, found, what)
    values["updates"], update_texts = _updates(reader, found, what)
    values["related"] = _ids(reader, found, "related", what)
    values["aliases"] = _ids(reader, found, "aliases", what)
    for alias, alias_node in zip(values["aliases"], reader.items(found["aliases"][1], "aliases") if "aliases" in found else []):
        run.alias_positions[(event_id or "", alias)] = reader.document.position(alias_node)
    if "summary" in found:
        values["summary"] = reader.text(found["summary"][1], f"{what}: summary")
    if body is not None:
        values["body"] = body
    elif "body" in found:
        values["body"] = reader.text(found["body"][1], f"{what}: body", allow_empty=True)
    draft = values.get("draft", False)
    references: list[_Link] = []
    for name in ("summary", "body"):
        if values.get(name):
            text_node = found[name][1] if name in found else None
            references += run.note_references(reader.document, text_node, values[name], what, draft)
    for label, text_node, text in update_texts:
        references += run.note_references(reader.document, text_node, text, label, draft)
    values["cites"] = tuple(dict.fromkeys(ref_id for kind, ref_id, *_ in references if kind == "cite"))
    values["mentions"] = tuple(dict.fromkeys(ref_id for kind, ref_id, *_ in references if kind == "event"))
    for related_id, related_node in zip(values["related"], reader.items(found["related"][1], "related") if "related" in found else []):
        if related_id == event_id:
            reader.error(related_node, f"{what}: related lists the event itself: name other events")
        run.links.append(_link("event", related_id, reader.document.position(related_node), what, draft))
    if values.get("time") is not None and values["when"] is not None and (
            values["when"].precision != dates.Precision.DAY or values["when"].is_range):
        reader.error(found["time"][1], f"{what}: a time needs a date known to the day, such as 2021-11-04: "
                                       "remove the time, or give the day")
    if len(reader.problems) > count or any(values.get(k) is None for k in ("id", "title", "when", "summary")):
        return None
    return Event(**values)


def _written_id(node: yaml.Node | None) -> str | None:
    """The id an event's mapping gives, as written, to name it in what is said of its fields."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "id" and isinstance(value, yaml.ScalarNode) and value.value.strip():
                return value.value.strip()
    return None


def _event_id(reader: _Reader, found: dict, default_id: str | None, title: str | None) -> str | None:
    if "id" in found:
        node = found["id"][1]
        value = reader.text(node, "id", single_line=True)
        if value is not None and not ID_RE.fullmatch(value):
            reader.error(node, f'id "{visible(value)}" may use only a-z, 0-9 and single hyphens, e.g. "{_suggested_id(value, title, "warsaw-picket")}"')
            return None
        if value is not None and len(value) > ID_MAX:
            reader.error(node, f"id is {len(value)} characters long: an address takes at most {ID_MAX}")
            return None
        return value
    if default_id is not None:
        if ID_RE.fullmatch(default_id) and len(default_id) <= ID_MAX:
            return default_id
        if ID_RE.fullmatch(default_id):
            reader.error(None, f"file name is {len(default_id)} characters long: an id takes at most {ID_MAX}; "
                               "rename the file or add an id field")
            return None
        reader.error(None, f'file name "{default_id}.md" is not a valid event id: rename it to "{slugify(default_id)}.md" or add an id field')
        return None
    if title is None or "date" not in found or not isinstance(found["date"][1], yaml.ScalarNode):
        return None
    date_text = found["date"][1].value.split("/")[0].strip()
    return slugify(f"{date_text} {title}", ID_MAX) or None


def _when(reader: _Reader, found: dict) -> dates.When | None:
    if "date" not in found:
        return None
    date_node = found["date"][1]
    date_text = reader.text(date_node, "date", single_line=True)
    end_text = reader.text(found["end"][1], "end", single_line=True) if "end" in found else None
    flags = {name: reader.boolean(found[name][1], name) if name in found else False for name in ("circa", "before", "after")}
    if date_text is None or ("end" in found and end_text is None):
        return None
    try:
        return dates.parse_when(date_text, end_text, **flags)
    except dates.DateError as error:
        message = str(error)
        node = found["end"][1] if message.startswith("end") else date_node
        reader.error(node, message)
        return None


def _event_details(reader: _Reader, found: dict, what: str) -> dict:
    values: dict = {}
    if "time" in found:
        node = found["time"][1]
        text = reader.text(node, f"{what}: time", single_line=True)
        if text is not None:
            try:
                values["time"] = dates.parse_time(text)
            except dates.DateError as error:
                reader.error(node, str(error))
    for name in ("date_label", "place"):
        if name in found:
            values[name] = reader.text(found[name][1], f"{what}: {name}", single_line=True, allow_empty=True) or None
    if "status" in found:
        node = found["status"][1]
        status = reader.text(node, f"{what}: status", single_line=True)
        if status is not None and status not in STATUSES:
            reader.error(node, f'{what}: status "{status}" must be one of {", ".join(STATUSES)}{did_you_mean(status, STATUSES)}')
        elif status is not None:
            values["status"] = status
    if "previous_date" in found:
        values["previous_date"] = reader.date(found["previous_date"][1], f"{what}: previous_date")
    if values.get("status") == "rescheduled" and "previous_date" not in found:
        reader.error(found["status"][1], f"{what}: a rescheduled event needs previous_date, the date it was first set for")
    if "previous_date" in found and values.get("status") != "rescheduled":
        reader.error(found["previous_date"][0], f"{what}: previous_date is only for status: rescheduled")
    if "tags" in found and not _one_text_for_a_list(reader, found["tags"][1], "tags", what):
        values["tags"] = tuple(dict.fromkeys(tag for tag, _ in reader.text_list(found["tags"][1], f"{what}: tags")))
    if "draft" in found:
        values["draft"] = reader.boolean(found["draft"][1], f"{what}: draft")
    return values


def _event_sources(run: FileResult, reader: _Reader, found: dict, event_id: str, what: str) -> tuple[str, ...]:
    if "sources" not in found or _one_text_for_a_list(reader, found["sources"][1], "sources", what):
        return ()
    items = reader.items(found["sources"][1], "sources")
    if not items:
        reader.error(found["sources"][1], f"{what}: needs at least one source")
    ids: list[str] = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, yaml.MappingNode):
            inline_id = f"{event_id}-source-{number}"
            source = _source(reader, item, inline_id, f"{what}: source {number}", INLINE_SOURCE_FIELDS)
            run.source_ids.add(inline_id)
            if source is not None:
                run.sources[inline_id] = source
                ids.append(inline_id)
            continue
        source_id = reader.text(item, f"{what}: source {number}", single_line=True)
        if source_id is not None:
            run.links.append(_link("source", source_id, reader.document.position(item), what))
            ids.append(source_id)
    return tuple(dict.fromkeys(ids))


def _photos(run: FileResult, reader: _Reader, found: dict, what: str) -> tuple[Photo, ...]:
    if "photos" not in found:
        return ()
    photos = []
    for number, item in enumerate(reader.items(found["photos"][1], "photos"), start=1):
        label = f"{what}: photo {number}"
        fields = reader.fields(item, PHOTO_FIELDS, ("src",), label)
        if fields is None:
            continue
        count = len(reader.problems)
        texts = {name: reader.text(fields[name][1], f"{label}: {name}", allow_empty=True) if name in fields else ""
                 for name in ("alt", "caption", "credit")}
        if texts["alt"] is not None and not texts["alt"].strip():
            reader.error(fields["alt"][1] if "alt" in fields else item, f"{label} has no alt text: describe what it shows for readers who cannot see it")
        if texts["credit"] is not None and not texts["credit"].strip():
            reader.error(fields["credit"][1] if "credit" in fields else item, f'{label} has no credit: name the photographer or agency, or write "Placeholder"')
        src = _asset_path(run, reader, fields["src"][1], label) if "src" in fields else None
        if texts["alt"] and src is not None and (advice := alt_text_advice(texts["alt"], src, texts["caption"] or "")):
            run.warnings.append(Problem(reader.document.position(fields["alt"][1]), f"{label}: {advice[0]}", advice[1]))
        if src is not None and len(reader.problems) == count:
            photos.append(Photo(src=src, position=reader.document.position(item), **{k: v.strip() for k, v in texts.items()}))
    return tuple(photos)


# Alt text that says nothing of the picture (WCAG's failure F30): a camera's file name, or a word for any picture.
_CAMERA_NAME = re.compile(r"(?:img|dsc[fn]?|pxl|mvimg|photo|image|screenshot|scan)[\W_]*\d[\w.-]*", re.IGNORECASE)
_NO_DESCRIPTION = frozenset({"image", "photo", "picture", "photograph", "img", "pic", "graphic", "alt", "alt text",
                             "placeholder", "untitled", "a photo", "an image", "a picture", "a photograph",
                             # the same in the languages of the region the first site covers, and a few more
                             "фота", "фотаздымак", "здымак", "выява", "малюнак",  # be
                             "фото", "фотография", "изображение", "картинка", "снимок",  # ru
                             "зображення", "світлина", "знімок",  # uk
                             "zdjęcie", "obraz", "obrazek", "fotografia",  # pl
                             "bild", "foto", "imagen", "fotografía"})  # de, es (French "photo" and "image" are above)
_SAID_ALREADY = re.compile(r"(?:an? )?(?:image|photo|picture|photograph)(?: of| showing)\b", re.IGNORECASE)


def alt_text_advice(alt: str, src: str, caption: str) -> tuple[str, str] | None:
    """What to mend in a photo's alt text, and how much it matters ("warning", "note"); None for none. Screen readers
    say that a picture is one, then read its alt text, then its caption."""
    text = alt.strip().rstrip(".").strip()
    name = PurePosixPath(src).name
    if text.lower() in (name.lower(), PurePosixPath(src).stem.lower()) or _CAMERA_NAME.fullmatch(text):
        return (f'alt text "{alt}" is a file\'s name, which tells a reader who cannot see the photo nothing: describe what '
                "it shows"), "warning"
    if text.lower() in _NO_DESCRIPTION:
        return f'alt text "{alt}" says only that there is a picture: describe what it shows', "warning"
    if caption and " ".join(text.lower().split()) == " ".join(caption.strip().rstrip(".").lower().split()):
        return ("alt text repeats the caption, which screen readers read after it: describe what the photo shows, "
                "and let the caption say what it means"), "warning"
    said = _SAID_ALREADY.match(text)
    if said:
        return f'alt text starts "{said[0]}": screen readers say it is a picture already; start with what it shows', "note"
    return None


def _asset_path(run: FileResult, reader: _Reader, node: yaml.Node, label: str) -> str | None:
    value = reader.text(node, f"{label}: src", single_line=True)
    if value is None:
        return None
    path = PurePosixPath(value.removeprefix("assets/").removeprefix("/assets/"))
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        reader.error(node, f'{label}: src "{value}" must be a path inside assets/, such as images/warsaw.jpg')
        return None
    run.photo_refs.append(_PhotoRef(path.as_posix(), value, reader.document.position(node), label))
    return path.as_posix()


def check_photos(refs: list[_PhotoRef], assets: frozenset[str], check_asset: Callable | None,
                 remark: Callable | None = None) -> list[Problem]:
    """Each photo's file must be in assets/ and be an image that can be published, of a kind made into photos'
    sizes (not a drawing, an SVG, which `check_asset` would pass: it is published as it is); what `remark` says
    of one is a warning."""
    problems = []
    for ref in refs:
        if ref.src not in assets:
            problems.append(Problem(ref.position, f'{ref.label}: src "{ref.written}": no such file in assets/{did_you_mean(ref.src, assets)}'))
        elif PurePosixPath(ref.src).suffix.lower() not in IMAGE_SUFFIXES:
            problems.append(Problem(ref.position, f'{ref.label}: src "{ref.written}" is not a photo: use a JPEG, PNG, WebP or GIF file'))
        elif check_asset is not None and (message := check_asset(ref.src)):
            problems.append(Problem(ref.position, f'{ref.label}: src "{ref.written}" {message}'))
        elif remark is not None and (said := remark(ref.src)):
            problems.append(Problem(ref.position, f'{ref.label}: src "{ref.written}" {said}', "warning"))
    return problems


def check_assets(assets: list[str], photos: set[str], check_asset: Callable | None) -> list[Problem]:
    """Every file of assets/ is published, used or not: each must be fit to (photos are reported where they are used)."""
    if check_asset is None:
        return []
    return [Problem(Position(f"assets/{asset}"), f"this file {message}; every file in assets/ is published: fix it or remove it")
            for asset in assets if asset not in photos and (message := check_asset(asset))]


def _updates(reader: _Reader, found: dict, what: str) -> tuple[tuple[Update, ...], list[tuple[str, yaml.Node, str]]]:
    """The updates, by date, and each one's text with its label and node (their links and citations count as the owner's)."""
    if "updates" not in found:
        return (), []
    updates, texts = [], []
    for number, item in enumerate(reader.items(found["updates"][1], "updates"), start=1):
        label = f"{what}: update {number}"
        fields = reader.fields(item, UPDATE_FIELDS, ("date", "text"), label)
        if fields is None or "date" not in fields or "text" not in fields:
            continue
        date = reader.date(fields["date"][1], f"{label}: date")
        if date is not None and date.precision != dates.Precision.DAY:
            reader.error(fields["date"][1], f"{label}: date must be a full day, YYYY-MM-DD")
            date = None
        text = reader.text(fields["text"][1], f"{label}: text")
        if text is not None:
            texts.append((label, fields["text"][1], text))
        kind = "update"
        if "kind" in fields:
            kind = reader.text(fields["kind"][1], f"{label}: kind", single_line=True) or "update"
            if kind not in UPDATE_KINDS:
                reader.error(fields["kind"][1], f'{label}: kind "{kind}" must be update or correction')
        if date is not None and text is not None and kind in UPDATE_KINDS:
            updates.append(Update(date, text, kind))
    return tuple(sorted(updates, key=lambda update: update.date.first_day)), texts


def _ids(reader: _Reader, found: dict, name: str, what: str) -> tuple[str, ...]:
    if name not in found or _one_text_for_a_list(reader, found[name][1], name, what):
        return ()
    ids = []
    for value, node in reader.text_list(found[name][1], f"{what}: {name}"):
        if not ID_RE.fullmatch(value) or len(value) > ID_MAX:
            reader.error(node, f'{what}: {name} "{visible(value)}" is not an event id (a-z, 0-9 and hyphens, at most {ID_MAX} characters)')
        elif value in ids:
            reader.error(node, f'{what}: {name} lists "{value}" twice')
        else:
            ids.append(value)
    return tuple(ids)


def _one_text_for_a_list(reader: _Reader, node: yaml.Node, name: str, what: str) -> bool:
    """Whether a list was written as one text with commas (`tags: A, B`), reported with the list to write."""
    if not (isinstance(node, yaml.ScalarNode) and "," in node.value):
        return False
    names = ", ".join(part.strip() for part in node.value.split(","))
    reader.error(node, f'{what}: {name} "{node.value.strip()}" is one text, not a list: write [{names}]')
    return True


def _unique_ids(events: list[Event], alias_positions: dict[tuple[str, str], Position]) -> list[Problem]:
    """Each id and alias names one event only; the second use names the first (an alias, where it is written)."""
    problems = []
    first: dict[str, tuple[str, Position]] = {}
    for event in events:
        for name, kind in [(event.id, "id")] + [(alias, "alias") for alias in event.aliases]:
            position = alias_positions.get((event.id, name), event.position) if kind == "alias" else event.position
            if kind == "alias" and name == event.id:
                problems.append(Problem(position, f'event "{name}": an alias is an old address; this is the event\'s own id'))
            elif name not in first:
                first[name] = (kind, position)
            elif first[name][0] == "alias" and kind == "id":  # the alias is what to change, wherever it is read first
                problems.append(Problem(first[name][1], f'event alias "{name}" is already the id of the event at {position}'))
            else:
                other_kind, other = first[name]
                problems.append(Problem(position, f'event {kind} "{name}" is already used as an {other_kind} at {other}'))
    return problems


def _topics_sharing_a_page(events: list[Event]) -> list[Problem]:
    """Topics written differently whose addresses are one ("Лодзь" and "Lodz", "C++" and "C#"): the page shows the
    first, the others would vanish from the list of topics."""
    first: dict[str, str] = {}
    problems, reported = [], set()
    for event in events:
        for tag in event.tags:
            name = first.setdefault(tag_slug(tag), tag)
            if name != tag and tag not in reported:  # once, at the first event that writes it so
                reported.add(tag)
                problems.append(Problem(event.position, f'event "{event.id}": topic "{tag}" has the address of topic "{name}" '
                                                        f"(/tags/{tag_slug(tag)}/), so they share one page: write them alike, or "
                                                        "rename one", "warning"))
    return problems


def _unique_slugs(pages: list[Page]) -> list[Problem]:
    """Each address is one page's: the page named so by its file keeps it, one that chose it with `slug` is told."""
    problems = []
    named_by_file = lambda page: PurePosixPath(page.position.path).stem == page.slug  # noqa: E731
    first: dict[str, Position] = {}
    for page in sorted(pages, key=lambda page: not named_by_file(page)):
        if page.slug in first:
            problems.append(Problem(page.position, f'page slug "{page.slug}" is already the address of {first[page.slug].path}: choose another'))
        else:
            first[page.slug] = page.position
    return problems


def _pages_at_editions(pages: list[Page], settings: Settings) -> list[Problem]:
    """A page's address may not be another language's edition of the site (`be` would be /be/, its home page)."""
    codes = {language.code.lower() for language in settings.languages}
    return [Problem(page.position, f'page slug "{page.slug}" is the address of the site in "{page.slug}" (/{page.slug}/), '
                                   "one of its languages: choose another") for page in pages if page.slug in codes]


def _page(run: FileResult, document: Document) -> None:
    reader = run.reader(document)
    stem = PurePosixPath(document.path).stem
    what = f'page "{stem}"'
    found = reader.fields(document.root, PAGE_FIELDS, ("title",), what)
    if found is None:
        return
    count = len(reader.problems)
    values: dict = {"body": document.body, "position": Position(document.path)}
    values["title"] = reader.text(found["title"][1], f"{what}: title", single_line=True) if "title" in found else None
    if "menu_title" in found:
        values["menu_title"] = reader.text(found["menu_title"][1], f"{what}: menu_title", single_line=True)
    if "summary" in found:
        values["summary"] = reader.text(found["summary"][1], f"{what}: summary")
    if "order" in found:
        values["order"] = reader.integer(found["order"][1], f"{what}: order", minimum=-1000)
    if "draft" in found:
        values["draft"] = reader.boolean(found["draft"][1], f"{what}: draft")
    values["updates"], update_texts = _updates(reader, found, f'page "{stem}"')
    values["slug"] = _page_slug(reader, found, stem, values["title"])
    draft = values.get("draft", False)
    references = run.note_references(document, None, document.body, f'page "{stem}"', draft)
    if values.get("summary"):
        references += run.note_references(document, found["summary"][1], values["summary"], f'page "{stem}"', draft)
    for label, text_node, text in update_texts:
        references += run.note_references(document, text_node, text, label, draft)
    values["cites"] = tuple(dict.fromkeys(ref_id for kind, ref_id, *_ in references if kind == "cite"))
    if len(reader.problems) > count or None in (values["title"], values["slug"], values.get("order", 0)):
        return
    run.pages.append(Page(**values))


def _suggested_id(written: str, title: str | None, example: str) -> str:
    """An id or slug to suggest in place of one written wrong: it made right, else the title made one, else example."""
    return slugify(written, ID_MAX) or slugify(title or "", ID_MAX) or example


def _page_slug(reader: _Reader, found: dict, stem: str, title: str | None) -> str | None:
    node = found["slug"][1] if "slug" in found else None
    slug = reader.text(node, "slug", single_line=True) if node is not None else stem
    if slug is None:
        return None
    if not ID_RE.fullmatch(slug):
        reader.error(node, f'slug "{visible(slug)}" may use only a-z, 0-9 and single hyphens, e.g. "{_suggested_id(slug, title, "about")}"')
        return None
    if len(slug) > ID_MAX:
        reader.error(node, f"slug is {len(slug)} characters long: an address takes at most {ID_MAX}")
        return None
    if slug in RESERVED_SLUGS:
        reader.error(node, f'slug "{slug}" is taken by the site itself (/{slug}/): choose another')
        return None
    return slug


def _check_links(results: list[FileResult], events: list[Event], sources: dict[str, Source], drafts: bool) -> list[Problem]:
    """Every source id, related event, `[[event-id]]` and `[@source-id]` must name something that exists."""
    if any(result.unreadable for result in results):  # what it names may be there: its own error says what to fix first
        return []
    by_id = {event.id: event for event in events}
    source_ids = set().union(*(result.source_ids for result in results))
    event_ids = set().union(*(result.event_ids for result in results))
    problems, unknown_sources = [], []
    for kind, ref_id, position, owner, owner_is_draft in (link for result in results for link in result.links):
        if kind in ("source", "cite"):
            if ref_id not in source_ids:
                unknown_sources.append(Problem(Position(*position), f'{owner}: unknown source "{visible(ref_id)}": not in data/sources.yaml'
                                                                    f'{did_you_mean(ref_id, sources)}'))
            continue
        target = by_id.get(ref_id)
        if ref_id not in event_ids:
            problems.append(Problem(Position(*position), f'{owner}: unknown event "{visible(ref_id)}"{did_you_mean(ref_id, by_id)}'))
        elif target is not None and target.draft and not owner_is_draft and not drafts:
            problems.append(Problem(Position(*position), f'{owner}: links to event "{ref_id}", a draft left out of the build', "warning"))
    if unknown_sources and not any(result.is_sources_file and result.source_ids for result in results):
        # Missing or empty, the sources file is the one mistake: not each of the hundreds of places naming a source.
        said = "no source is defined here" if any(result.is_sources_file for result in results) else "missing"
        first = min(problem.position for problem in unknown_sources)
        return problems + [Problem(Position("data/sources.yaml"), f"{said}, yet {len(unknown_sources)} citations and "
                                   f"sources lists name a source (the first at {first}): each source is an entry of this "
                                   "file, its id then its title, publisher, url and date (see the README)")]
    return problems + unknown_sources


# Translations --------------------------------------------------------------------------------------------------------

_NOT_WORDS = (": a translation gives only the words (title, summary, body, place, date_label, photos' alt, caption "
              "and src, updates' text); dates, sources, topics and the rest are the original's")


def _translations(run: FileResult, document: Document, kind: str) -> None:
    """A translation file: a Markdown event or page (its words in the front matter, its body after), or a YAML
    mapping of event ids to their words."""
    reader = run.reader(document)
    language, original = translated_language(document.path), original_of(document.path)
    if kind != "events":
        translation = _translation(run, reader, document.root, language, original, "", kind == "page", document.body,
                                   f'translation "{language}"')
        if translation is not None:
            run.translations.append(translation)
        return
    if document.root is None:
        return
    if not isinstance(document.root, yaml.MappingNode):
        reader.error(document.root, f"a translation of {original} maps each event's id to its words: start each with `id:`")
        return
    for key, value in document.root.value:
        event_id = key.value if isinstance(key, yaml.ScalarNode) else ""
        if not ID_RE.fullmatch(event_id):
            reader.error(key, f'"{visible(event_id)}" is not an event id: each entry starts with the id of an event of {original}')
            continue
        translation = _translation(run, reader, value, language, original, event_id, False, None,
                                   f'translation "{language}" of event "{event_id}"')
        if translation is not None:
            run.translations.append(replace(translation, position=reader.document.position(key)))


def _translation(run: FileResult, reader: _Reader, node: yaml.Node | None, language: str, original: str, target: str,
                 is_page: bool, body: str | None, what: str) -> Translation | None:
    words_allowed = PAGE_WORDS if is_page else EVENT_WORDS
    allowed = ("translated_from", *(name for name in words_allowed if body is None or name != "body"), "updates")
    allowed += () if is_page else ("photos",)
    found = reader.fields(node, allowed, ("translated_from", "title"), what, _NOT_WORDS)
    if found is None:
        return None
    count = len(reader.problems)
    words = {name: reader.text(found[name][1], f"{what}: {name}", single_line=name in ("title", "menu_title", "place", "date_label"))
             for name in words_allowed if name in found}
    if body is not None and body.strip():
        words["body"] = body
    translated_from = reader.text(found["translated_from"][1], f"{what}: translated_from", single_line=True)

    def read(field: str, node: yaml.Node, label: str) -> str | None:
        if field == "src":  # checked as the original's photos are: a file in assets/ fit to publish
            return _asset_path(run, reader, node, label)
        return reader.text(node, f"{label}: {field}", allow_empty=True)

    photos = tuple(_translated_items(reader, found, "photos", ("alt", "caption", "src"), what, read))
    updates = tuple(text for text, in _translated_items(reader, found, "updates", ("text",), what, read))
    cites: list[tuple[str, Position]] = []
    texts = [(name, found[name][1] if name in found else None, text) for name, text in words.items()
             if name in ("summary", "body") and text]
    texts += [(f"update {number}", node, text) for number, (text, node) in enumerate(_update_nodes(found, updates), start=1)]
    for number, ((alt, caption, src), alt_node) in enumerate(zip(photos, _field_nodes(found, "photos", "alt")), start=1):
        # a translated alt is weighed as the original's, but against the photo's own file only where it gives one
        if alt and alt_node is not None and (advice := alt_text_advice(alt, src, caption)):
            run.warnings.append(Problem(reader.document.position(alt_node), f"{what}: photo {number}: {advice[0]}", advice[1]))
    for _, text_node, text in texts:
        cites += [(ref_id, Position(*position)) for kind, ref_id, position, *_ in
                  run.note_references(reader.document, text_node, text, what, False) if kind == "cite"]
    if len(reader.problems) > count or None in words.values() or translated_from is None:
        return None
    position = reader.document.position(node) if node is not None else Position(reader.document.path)
    return Translation(language, original, target, tuple((name, text) for name, text in words.items() if text),
                       photos, updates, translated_from, position, tuple(cites))


def _translated_items(reader: _Reader, found: dict, name: str, fields: tuple[str, ...], what: str,
                      read: Callable[[str, yaml.Node, str], str | None]) -> list[tuple[str, ...]]:
    """The items of a translation's `photos` or `updates`: each its translated fields ("" where not given), in the
    original's order; `read(field, node, label)` reads one."""
    if name not in found:
        return []
    items = []
    for number, item in enumerate(reader.items(found[name][1], name), start=1):
        label = f"{what}: {name.removesuffix('s')} {number}"
        values = reader.fields(item, fields, (), label, " (the rest of it is the original's)")
        if values is None:
            items.append(("",) * len(fields))
            continue
        items.append(tuple(read(field, values[field][1], label) or "" if field in values else "" for field in fields))
    return items


def _update_nodes(found: dict, updates: tuple[str, ...]) -> list[tuple[str, yaml.Node | None]]:
    """Each update's text with its node, for the positions of its citations."""
    text_nodes = _field_nodes(found, "updates", "text")
    return [(text, text_nodes[index] if index < len(text_nodes) else None) for index, text in enumerate(updates) if text]


def _field_nodes(found: dict, name: str, field: str) -> list[yaml.Node | None]:
    """The node of `field` in each item of the list `name` (None in an item without it)."""
    nodes = found[name][1].value if name in found and isinstance(found[name][1], yaml.SequenceNode) else []
    return [next((value for key, value in item.value if getattr(key, "value", None) == field), None)
            if isinstance(item, yaml.MappingNode) else None for item in nodes]


def check_translations(translations: list[Translation], settings: Settings, events: list[Event], pages: list[Page],
                       drafts: bool, failed: set[str] = frozenset()) -> tuple[dict[tuple[str, str], Translation], list[Problem]]:
    """Each translation matched with its original, by (language, event id or page slug): its language must be the
    site's, its original exist, its photos and updates be the original's, its citations the original's sources;
    and a translation older than its original is a warning naming both. An original missing from a file with errors
    (`failed`, their paths) may be there once they are fixed: they are what the editor is told of."""
    languages = {language.code for language in settings.languages}
    events_of: dict[str, dict[str, Event]] = {}
    for event in events:
        events_of.setdefault(event.position.path, {})[event.id] = event
    pages_of = {page.position.path: page for page in pages}
    matched: dict[tuple[str, str], Translation] = {}
    problems = []
    for translation in translations:
        def error(message: str, position: Position = translation.position, severity: str = "error") -> None:
            problems.append(Problem(position, message, severity))

        if translation.language not in languages:
            error(f'this is a translation into "{translation.language}", as its file name says, which is not one of the '
                  "site's languages: add it under languages in data/site.yaml, or rename the file")
            continue
        originals = events_of.get(translation.original, {})
        original = (originals.get(translation.target) if translation.target else next(iter(originals.values()), None)) \
            or (None if translation.target else pages_of.get(translation.original))
        if original is None and translation.original in failed:
            continue
        if original is None:
            what = f'event "{translation.target}" is not in {translation.original}' if translation.target else \
                f"translates {translation.original}, which holds no event or page"
            error(f"{what}: a translation sits beside its original, with the same name and the language before the suffix")
            continue
        if original.draft and not drafts:
            continue
        photos = getattr(original, "photos", ())
        if len(translation.photos) > len(photos) or len(translation.updates) > len(original.updates):
            error(f"the original has {_counted(len(photos), 'photo')} and {_counted(len(original.updates), 'update')}: "
                  "a translation gives the words of those, in the same order, and no more")
            continue
        for count, what in ((len(photos) - len(translation.photos), "photos' alt texts and captions"),
                            (len(original.updates) - len(translation.updates), "updates")):
            if count > 0:
                error(f"{count} of the original's {what} not translated: shown in the original's language until they are",
                      severity="warning")
        cited = set(getattr(original, "sources", ())) | set(original.cites)
        for source_id, position in translation.cites:
            if source_id not in cited:
                error(f'cites "{source_id}", which the original does not: a translation cites only its original\'s sources', position)
        current = words_digest(original)
        if translation.translated_from != current:
            written = translation.translated_from
            said = ("is not filled in" if not written else f'"{written}" is not a digest of the original (12 of 0-9 and a-f)'
                    if not re.fullmatch(r"[0-9a-f]{12}", written) else
                    f"is out of date: {translation.original} changed since it was translated")
            own_files = any(src for _, _, src in translation.photos)
            error(f"translated_from {said}: once the translation says what the original says now, set translated_from: "
                  f"{current}" + ("; until then its photos show the original's files" if own_files else ""),
                  translation.position, "warning")
        key = original.id if isinstance(original, Event) else original.slug
        matched[(translation.language, key)] = replace(translation, up_to_date=translation.translated_from == current)
    return matched, problems


def _counted(count: int, thing: str) -> str:
    """"1 photo", "2 photos", "no photos"."""
    return f"1 {thing}" if count == 1 else f"{count or 'no'} {thing}s"
