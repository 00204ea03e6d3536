"""The content model: what validation hands to rendering, and nothing else.

Positions (where in its file a value is written) are for messages, never shown to readers:
they take no part in comparing values, nor in the fingerprints pages are keyed by. An event
and a source carry their own `digest` (see `cache.Digested`), made from every other field once,
so the many pages that show one fingerprint it at once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from .cache import Digested, fingerprint
from .dates import DateWords, PartialDate, When
from .problems import Position

STATUSES = ("happened", "expected", "postponed", "cancelled", "rescheduled")
UPDATE_KINDS = ("update", "correction")


@dataclass(frozen=True)
class Language:
    """One more language of the site (`languages` in `data/site.yaml`), with the site's title and description in it,
    and its author and licence if it gives them (else its pages show the first language's)."""

    code: str
    title: str
    description: str
    author: str = ""
    license: str = ""


@dataclass(frozen=True)
class Settings:
    """`data/site.yaml`, as the pages of one language of the site read it (see `in_language`)."""

    title: str
    description: str
    base_url: str
    language: str = "en"
    author: str = ""
    license: str = ""
    timeline_threshold: int = 300
    page_size: int = 50
    raw_html: bool = False
    languages: tuple[Language, ...] = ()  # the site's other languages
    default_language: str = ""  # set in the settings of another language: the site's first language
    untranslated: tuple[str, ...] = ()  # of `author` and `license`, those its language does not give: in the first's

    def absolute(self, path: str) -> str:
        """The public URL of a site path such as `/events/x/`."""
        return self.base_url.rstrip("/") + path

    @property
    def codes(self) -> tuple[str, ...]:
        """Every language of the site, the first (its pages at /) first."""
        return (self.default_language or self.language, *(language.code for language in self.languages))

    @property
    def root(self) -> str:
        """Where this language's pages are: "" for the site's first language, "/be" for another."""
        return f"/{self.language}" if self.default_language else ""

    def in_language(self, code: str) -> Settings:
        """The site's settings (as `data/site.yaml` gives them) as the pages in `code` read them: its title,
        description and root."""
        if code == self.language:
            return self
        language = next(language for language in self.languages if language.code == code)
        kept = tuple(name for name in ("author", "license") if getattr(self, name) and not getattr(language, name))
        return replace(self, language=code, default_language=self.language, title=language.title,
                       description=language.description, author=language.author or self.author,
                       license=language.license or self.license, untranslated=kept)


# How an editor marks a title whose headline they did not see, written as the page's address reads (README, "Cite a
# source"): the words before it are the source's, the mark is ours.
TITLE_FROM_ADDRESS = " (title from the address)"


@dataclass(frozen=True)
class Source(Digested):
    """A publication that backs claims, from `data/sources.yaml` or written inline in an event."""

    eager = True

    id: str
    title: str
    publisher: str
    url: str
    position: Position = field(compare=False)
    date: PartialDate | None = None
    undated: bool = False  # `date: n.d.`: the editor checked, the page shows no date
    archive_url: str | None = None
    language: str | None = None
    accessed: PartialDate | None = None
    note: str | None = None

    @property
    def title_from_address(self) -> bool:
        """The title is the words of the page's address, marked so: the mark is shown apart, in the page's language."""
        return self.title.endswith(TITLE_FROM_ADDRESS)

    @property
    def own_title(self) -> str:
        """The title as the source gives it (in its `language`), without the mark of a title from the address."""
        return self.title.removesuffix(TITLE_FROM_ADDRESS)


@dataclass(frozen=True)
class Photo:
    """A photo of an event; `src` is relative to `assets/`."""

    src: str
    alt: str
    credit: str
    position: Position = field(compare=False)
    caption: str = ""

    @property
    def is_placeholder(self) -> bool:
        return self.credit.strip().lower() == "placeholder"


@dataclass(frozen=True)
class Update:
    """A dated entry in an event's or page's log of changes."""

    date: PartialDate
    text: str
    kind: str = "update"
    language: str = ""  # of its text, where it is not its event's or page's: a translation left it in the original's

    @property
    def is_correction(self) -> bool:
        return self.kind == "correction"


@dataclass(frozen=True)
class Event(Digested):
    """One dated event of the timeline."""

    eager = True

    id: str
    when: When
    title: str
    summary: str
    sources: tuple[str, ...]
    position: Position = field(compare=False)
    body: str = ""
    time: dt.time | None = None
    date_label: str | None = None
    status: str = "happened"
    previous_date: PartialDate | None = None
    place: str | None = None
    tags: tuple[str, ...] = ()
    photos: tuple[Photo, ...] = ()
    related: tuple[str, ...] = ()
    updates: tuple[Update, ...] = ()
    aliases: tuple[str, ...] = ()
    draft: bool = False
    cites: tuple[str, ...] = ()  # sources cited inline, in reading order
    mentions: tuple[str, ...] = ()  # events linked with [[id]]
    language: str = ""  # where the site has several languages (see `languages`): the one its words are in
    root: str = ""  # where the pages of the language it is shown in are: "", "/be"
    translated: bool = False  # its words are a translation's

    @property
    def url(self) -> str:
        return f"{self.root}/events/{self.id}/"

    @property
    def date_text(self) -> str:
        return self.date_in()

    def date_in(self, words: DateWords | None = None, starts_line: bool = False) -> str:
        """The event's date as text: the editor's `date_label`, else its label in `words`' language (English by
        default); with `starts_line`, as it reads at the start of a line: "Late October 2021", but "c. 1994"."""
        return self.date_label or self.when.label(words=words, starts_line=starts_line)

    def sort_key(self) -> tuple:
        """Date, then time; events equal on both keep the order they are written in (a stable sort)."""
        return (*self.when.sort_key(), self.time or dt.time(0, 0), self.time is not None)


@dataclass(frozen=True)
class Page:
    """A narrative page from `content/*.md`; `content/index.md` is the home page's introduction."""

    slug: str
    title: str
    body: str
    position: Position = field(compare=False)
    summary: str = ""
    order: int = 0
    draft: bool = False
    updates: tuple[Update, ...] = ()
    cites: tuple[str, ...] = ()
    menu_title: str | None = None  # a shorter name for the site's menu
    language: str = ""  # as an event's
    root: str = ""
    translated: bool = False

    @property
    def is_home(self) -> bool:
        return self.slug == "index"

    @property
    def url(self) -> str:
        return f"{self.root}/" if self.is_home else f"{self.root}/{self.slug}/"

    @property
    def menu_label(self) -> str:
        return self.menu_title or self.title


@dataclass(frozen=True)
class Translation:
    """What a translation file says of one event or page: its words in one language.

    `words`: the fields that are words (title, summary, body, place, date_label, menu_title), as
    given; `photos`: each photo's (alt, caption, src), src "" where the photo keeps the
    original's file; `updates`: each update's text, in the original's order.
    `translated_from`: the digest of the original's words it translates.
    """

    language: str
    original: str  # the original's file, relative to the site folder
    target: str  # the event's id, or "" for the page of `original`
    words: tuple[tuple[str, str], ...]
    photos: tuple[tuple[str, str, str], ...] = ()
    updates: tuple[str, ...] = ()
    translated_from: str = ""
    position: Position = field(default=Position(""), compare=False)  # where the translation of this event starts
    cites: tuple[tuple[str, Position], ...] = field(default=(), compare=False)  # each citation and where it is
    up_to_date: bool = False  # translated_from is the original's digest now (known once `check_translations` matched it)

    @property
    def path(self) -> str:
        return self.position.path


@dataclass(frozen=True)
class Site:
    """Everything the content says, validated, events in timeline order; `translations` by (language, event id or
    page slug), for the site's other languages."""

    settings: Settings
    sources: dict[str, Source]
    events: tuple[Event, ...]
    pages: tuple[Page, ...]
    assets: tuple[str, ...] = field(default=())
    translations: dict[tuple[str, str], Translation] = field(default_factory=dict)


EVENT_WORDS = ("title", "summary", "body", "place", "date_label")  # the fields of an event a translation gives
PAGE_WORDS = ("title", "menu_title", "summary", "body")


def words_digest(original: Event | Page) -> str:
    """A digest of what a translation of an event or page translates: its words, its photos (their alt texts and
    captions, and their files and credits, which a translation's own file of a photo stands in for), its updates'
    texts. A translation records it (`translated_from`) to know when the original changed since."""
    names = EVENT_WORDS if isinstance(original, Event) else PAGE_WORDS
    photos = [(photo.alt, photo.caption, photo.src, photo.credit) for photo in getattr(original, "photos", ())]
    return fingerprint([getattr(original, name) or "" for name in names], photos, [update.text for update in original.updates])[:12]
