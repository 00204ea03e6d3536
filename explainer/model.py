"""The content model: what validation hands to rendering, and nothing else.

Positions (where in its file a value is written) are for messages, never shown to readers:
they take no part in comparing values, nor in the fingerprints pages are keyed by. An event
and a source carry their own `digest`, made from every other field as they are made, so the
many pages that show one fingerprint it at once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .cache import digest_of_fields
from .dates import PartialDate, When
from .problems import Position

STATUSES = ("happened", "expected", "postponed", "cancelled", "rescheduled")
UPDATE_KINDS = ("update", "correction")


@dataclass(frozen=True)
class Settings:
    """`data/site.yaml`."""

    title: str
    description: str
    base_url: str
    language: str = "en"
    author: str = ""
    license: str = ""
    timeline_threshold: int = 300
    page_size: int = 50
    raw_html: bool = False

    def absolute(self, path: str) -> str:
        """The public URL of a site path such as `/events/x/`."""
        return self.base_url.rstrip("/") + path


@dataclass(frozen=True)
class Source:
    """A publication that backs claims, from `data/sources.yaml` or written inline in an event."""

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
    digest: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", digest_of_fields(self))


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

    @property
    def is_correction(self) -> bool:
        return self.kind == "correction"


@dataclass(frozen=True)
class Event:
    """One dated event of the timeline."""

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
    digest: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", digest_of_fields(self))

    @property
    def url(self) -> str:
        return f"/events/{self.id}/"

    @property
    def date_text(self) -> str:
        return self.date_label or self.when.label()

    @property
    def date_text_opening_line(self) -> str:
        """`date_text` as it reads at the start of a line: "Late October 2021", but "c. 1994", "by March 2021"."""
        return self.date_label or self.when.label(starts_line=True)

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

    @property
    def is_home(self) -> bool:
        return self.slug == "index"

    @property
    def url(self) -> str:
        return "/" if self.is_home else f"/{self.slug}/"

    @property
    def menu_label(self) -> str:
        return self.menu_title or self.title


@dataclass(frozen=True)
class Site:
    """Everything the content says, validated, events in timeline order."""

    settings: Settings
    sources: dict[str, Source]
    events: tuple[Event, ...]
    pages: tuple[Page, ...]
    assets: tuple[str, ...] = field(default=())
