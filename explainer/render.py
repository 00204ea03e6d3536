"""Turn what a page shows into its bytes: the Jinja environment, Markdown fragments, notes and cards.

Nothing here knows the site. Each function is handed what it shows, and `pages` hands each
page exactly what it is made of: so a page's inputs, digested, are its cache key.
"""
from __future__ import annotations

import datetime as dt
import gettext
import html
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import jinja2
import jinja2.ext
import markdown
from markupsafe import Markup

from . import feeds, markup
from .cache import Digested, FragmentStore, content_digest, fingerprint, generator_version
from .dates import ENGLISH, DateWords, PartialDate, Precision
from .images import ProcessedImage
from .languages import direction, language_attributes
from .load import _decode
from .model import Event, Photo, Settings, Source, Update
from .problems import ContentErrors, Position, Problem
from .validate import tag_slug

def _n(message: str) -> str:
    """A message of the catalogue, marked for extraction (`pybabel extract` finds `_n`)."""
    return message


# "(in Polish)": what a source's language reads as; a whole phrase each, for languages need their own forms ("па-польску").
LANGUAGE_LABELS = {
    "be": _n("(in Belarusian)"), "cs": _n("(in Czech)"), "de": _n("(in German)"), "en": _n("(in English)"),
    "es": _n("(in Spanish)"), "et": _n("(in Estonian)"), "fr": _n("(in French)"), "it": _n("(in Italian)"),
    "lt": _n("(in Lithuanian)"), "lv": _n("(in Latvian)"), "pl": _n("(in Polish)"), "pt": _n("(in Portuguese)"),
    "ru": _n("(in Russian)"), "sr": _n("(in Serbian)"), "tr": _n("(in Turkish)"), "uk": _n("(in Ukrainian)"),
}

STATUS_LABELS = {
    "happened": "",
    "expected": _n("Expected"),
    "postponed": _n("Postponed"),
    "cancelled": _n("Cancelled"),
    "rescheduled": _n("Rescheduled"),
}


@dataclass(frozen=True)
class MenuItem:
    url: str
    menu_label: str


@dataclass(frozen=True)
class LanguageLink:
    """One language of the site, as its switcher names it (in itself: "Беларуская"), and where its pages are."""

    code: str
    name: str
    root: str


@dataclass(frozen=True)
class Chrome(Digested):
    """What every page shows around its content: the site's settings (in the page's language) and menu, the
    addresses of the files the templates ask for by name (stylesheet, icon, script), whether the site has search,
    and the site's languages (none where it has one)."""

    settings: Settings
    menu: tuple[MenuItem, ...]
    assets: tuple[tuple[str, str], ...]  # (path under assets/, its address)
    search: bool
    languages: tuple[LanguageLink, ...] = ()


@dataclass(frozen=True)
class Link(Digested):
    """A link to another page, as pagers and neighbours show it."""

    url: str
    title: str
    language: str = ""  # the title's, where it is not the language of the page showing the link (not yet translated)


@dataclass(frozen=True)
class Thumbnail:
    """A photo as a card shows it, small: what it shows (its alt text) and the sizes it was made in."""

    photo: Photo
    image: ProcessedImage


@dataclass(frozen=True)
class Card(Digested):
    """An event as lists show it, with the events its text links, the sources it cites (for its markers) and its
    first photo that is no placeholder."""

    event: Event
    linked: tuple[Event, ...]
    sources: tuple[Source, ...]
    thumbnail: Thumbnail | None = None


class Refs:
    """The events a text may link and the sources it may cite, by id."""

    def __init__(self, events: Iterable[Event] = (), sources: Iterable[Source] = ()) -> None:
        self.events = {event.id: event for event in events}
        self.sources = {source.id: source for source in sources}


class Fragments:
    """Markdown rendered once per distinct text (the markers inside are resolved per page)."""

    def __init__(self, raw_html: bool, store: FragmentStore | dict[str, str] | None = None) -> None:
        self._raw_html = raw_html
        self._converter: markdown.Markdown | None = None  # made when a text is not in the store (after an edit, most are)
        self._store = store if store is not None else {}
        self._flavour = "r" if raw_html else "s"

    def block(self, text: str) -> str:
        return self._cached("b", text, markup.render_markdown)

    def inline(self, text: str) -> str:
        return self._cached("i", text, markup.render_inline)

    def _cached(self, kind: str, text: str, render: Callable) -> str:
        key = kind + self._flavour + content_digest(text.encode("utf-8", "surrogatepass"))
        fragment = self._store.get(key)
        if fragment is None:
            if self._converter is None:
                self._converter = markup.make_converter(self._raw_html)
            fragment = self._store[key] = render(self._converter, text)
        return fragment


@dataclass
class Note:
    """A numbered source note at the foot of a page, with a back-link to each place citing it."""

    number: int
    source: Source
    line: str = ""  # the source as the template's `source_line` writes it
    backlinks: list[tuple[str, str]] = field(default_factory=list)  # (anchor id, locator)


class Notes:
    """The notes of one page, numbered in the order their sources are first cited."""

    def __init__(self, sources: dict[str, Source], target: str = "", anchors: bool = True,
                 line_of: Callable[[Source], str] = lambda source: "", marks: bool = True,
                 label: str = "Source %(number)s") -> None:
        self._sources = sources
        self._label = label  # a marker's name for screen readers, in the page's language
        self._target = target
        self._anchors = anchors
        self._line_of = line_of
        self._marks = marks  # False: citations are counted, not marked in the text (a card names its sources after it)
        self.entries: dict[str, Note] = {}

    def _note(self, source_id: str) -> Note:
        source = self._sources[source_id]
        return Note(len(self.entries) + 1, source, self._line_of(source))

    def cite(self, source_id: str, locator: str, label_language: str = "", text_language: str = "") -> str:
        """A citation's marker (counting it); `label_language`: the language of its name for screen readers, where the
        text it is in is in another (`text_language`)."""
        note = self.entries.get(source_id)
        if note is None:
            note = self.entries[source_id] = self._note(source_id)
        anchor = f"cite-{note.number}-{len(note.backlinks) + 1}"
        note.backlinks.append((anchor, locator))
        if not self._marks:
            return ""
        id_attribute = f' id="{anchor}"' if self._anchors else ""
        title = html.escape(f"{note.source.publisher}: {note.source.title}" + (f", {locator}" if locator else ""))
        # A word joiner (U+2060) first: no line may break between a marker and the word it follows. Search leaves
        # markers out: their numbers would read as part of the text in its excerpts.
        lang = language_attributes(label_language, text_language) if label_language else ""
        return (f'<sup class="cite"{id_attribute} data-pagefind-ignore>&#8288;<a href="{self._target}#note-{note.number}" '
                f'title="{title}" aria-label="{html.escape(self._label % {"number": note.number})}"{lang}>{note.number}</a></sup>')

    def add_uncited(self, source_ids: tuple[str, ...]) -> None:
        for source_id in source_ids:
            if source_id not in self.entries and source_id in self._sources:
                self.entries[source_id] = self._note(source_id)

    @property
    def list(self) -> list[Note]:
        return list(self.entries.values())


@dataclass(frozen=True)
class TimelineMonth:
    label: str  # "January 2021"
    anchor: str
    events: list[Event]
    name: str = ""  # "January": the month within its year


@dataclass(frozen=True)
class TimelineYear:
    year: int
    anchor: str
    months: list[TimelineMonth]

    @property
    def count(self) -> int:
        return sum(len(month.events) for month in self.months)


def group_timeline(events: Iterable[Event], words: DateWords = ENGLISH) -> list[TimelineYear]:
    """Events by year, then by month (named in `words`' language); events known only to the year come first."""
    years = []
    for year, in_year in groupby(events, key=lambda event: event.when.start.year):
        months = []
        for month, in_month in groupby(in_year, key=_month_of):
            if month:
                name = _capitalized(words.month_name(month))
                label = _capitalized(words.date(PartialDate(year, month)))
            else:  # known to the year alone ("Spring 2021" too)
                name = words.phrase(_n("Sometime in the year"))
                label = words.phrase(_n("Sometime in {year}"), year=str(year))
            anchor = f"y{year}-{month:02d}" if month else f"y{year}-undated"
            months.append(TimelineMonth(label, anchor, list(in_month), name))
        years.append(TimelineYear(year, f"y{year}", months))
    return years


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _month_of(event: Event) -> int:
    start = event.when.start
    return start.month if start.precision >= Precision.MONTH else 0


def plain_text(fragment: str) -> str:
    """An HTML fragment as one line of plain text, citations left out (meta descriptions, feeds)."""
    return " ".join(Markup(markup.strip_markers(fragment)).striptags().split())


def card_sources(notes: list[Note], page: str) -> list[dict]:
    """The sources a card's summary cites, once per publisher: its name, and the first of its notes on the event's page."""
    named: dict[str, dict] = {}
    for note in notes:
        source = note.source
        named.setdefault(source.publisher, {"publisher": source.publisher, "href": f"{page}#note-{note.number}",
                                            "title": source.title})
    return list(named.values())


def date_html(event: Event, with_time: bool = True, starts_line: bool = False, words: DateWords = ENGLISH,
              lang: str = "", around: str = "") -> Markup:
    """An event's date as it reads in `words`' language (and its time of day, unless not `with_time`), in `<time>`
    elements whose `datetime` claims no more than is known; with `starts_line`, as it reads at the start of a line;
    with `lang`, each `<time>` says its language (the date stands in text of another: `around`'s)."""
    when = event.when
    clock = f", {event.time:%H:%M}" if event.time and with_time else ""
    lang = language_attributes(lang, around) if lang else ""
    if when.bounds_apart:  # a range of uncertainty across years: no one value is true, each bound is a date
        if event.date_label:  # the editor's own words cannot be split at the bounds
            return Markup(f"{html.escape(event.date_label)}{clock}")
        return Markup(when.label(lambda date, text: f'<time datetime="{date.iso()}"{lang}>{html.escape(text)}</time>',
                                 starts_line=starts_line, words=words) + clock)
    machine = when.machine()
    if clock and when.precision == Precision.DAY and not when.end:
        machine += f"T{event.time:%H:%M}"
    return Markup(f'<time datetime="{machine}"{lang}>{html.escape(event.date_in(words, starts_line))}{clock}</time>')


# A date whose last word is cut short ends in a full stop (Belarusian "12 верасня 2021 г."): where it closes a sentence,
# that stop is the sentence's too, and the one written after the date would double it ("2021 г..").
_STOP_AFTER_DATE = re.compile(r"(\.</time>)\.")


def one_full_stop(fragment: str) -> str:
    """`fragment` without the full stop that follows a date (a `<time>`) already ending in one; untouched where no
    date does (English dates never do). Read as a plain string: `re` would join the pieces of `Markup` escaped."""
    fragment = str(fragment)
    return _STOP_AFTER_DATE.sub(r"\1", fragment) if ".</time>." in fragment else fragment


def tag_links(event: Event) -> list[tuple[str, str]]:
    """Each topic of an event with the address of its page (in the language the event is shown in)."""
    return [(tag, f"{event.root}/tags/{tag_slug(tag)}/") for tag in event.tags]


def page_path(base: str, number: int) -> str:
    """`tags/x/index.html` for the first page, `tags/x/page/2/index.html` after."""
    return f"{base}index.html" if number == 1 else f"{base}page/{number}/index.html"


def pager(base: str, number: int, total: int, root: str = "") -> dict:
    """Where a numbered page of a list sits among the others, as `_pager.html` shows it (`root`: where the pages of
    its language are)."""
    link = lambda n: f"{root}/" + page_path(base, n).removesuffix("index.html")  # noqa: E731
    return {"number": number, "total": total, "previous": link(number - 1) if number > 1 else None,
            "next": link(number + 1) if number < total else None}


def catalogue_path(templates: Path, language: str) -> Path:
    """Where the words of the templates in `language` are: `templates/locales/<language>/LC_MESSAGES/messages.po`,
    with the templates (a page's key covers every file under templates/)."""
    return templates / "locales" / language.replace("-", "_") / "LC_MESSAGES" / "messages.po"


def _fast_gettext(translations: gettext.NullTranslations) -> dict[str, Callable]:
    """Jinja's newstyle `_`, `gettext` and `ngettext` over a catalogue, as the i18n extension makes them for templates
    that always escape (ours: no `autoescape` block), without its three calls through the context per message.
    Each message is looked up once; one whose values are all whole numbers, which need no escaping, is formatted
    as a string (a page's notes label each link back to a citation with two numbers). Messages without values
    are mostly compiled into the templates (see `_FixedWords`)."""
    known: dict[str, Markup] = {}

    def gettext_(message: str, **variables: object) -> Markup:
        found = known.get(message)
        if found is None:
            found = known[message] = Markup(translations.gettext(message))
        if all(type(value) is int for value in variables.values()):
            return Markup(str.__mod__(found, variables))
        return found % variables

    def ngettext_(singular: str, plural: str, number: int, **variables: object) -> Markup:
        variables.setdefault("num", number)
        return Markup(translations.ngettext(singular, plural, number)) % variables

    return {"_": gettext_, "gettext": gettext_, "ngettext": ngettext_}


def load_catalogue(templates: Path, language: str) -> gettext.NullTranslations | None:
    """The words of the templates in `language` (see `catalogue_path`); None if there is none. A catalogue that is
    not UTF-8 text, or has a line gettext cannot read, raises ContentErrors at that line."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import PoFileError, read_po

    path = catalogue_path(templates, language)
    if not path.is_file():
        return None
    relative = path.relative_to(templates.parent).as_posix()
    text, problem = _decode(relative, path.read_bytes())
    problem = problem or _catalogue_line_problem(relative, text)
    if problem:
        raise ContentErrors([problem])
    try:
        catalogue = read_po(io.StringIO(text), locale=language, abort_invalid=True)
    except PoFileError as error:
        raise ContentErrors([Problem(Position(relative, error.lineno + 1), f"gettext cannot read this line: {CATALOGUE_HELP}")]) from None
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    try:
        return gettext.GNUTranslations(compiled)
    except ValueError as error:  # the header's Plural-Forms, which gettext reads only now
        raise ContentErrors([Problem(_header_position(relative, text), f"the catalogue's header cannot be read: {error}: "
                                     "correct it (`pybabel init` writes one for each language)")]) from None


CATALOGUE_HELP = ('a line is a comment (`# ...`), `msgid "..."`, `msgstr "..."`, `msgctxt "..."`, or more of the text '
                  'above it in quotes (`"..."`): correct it (see the README, Languages)')
_CATALOGUE_LINE = re.compile(r'(?:(?:msgid|msgid_plural|msgctxt|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"')
_OPENED_TEXT = re.compile(r'(?:(?:msgid|msgid_plural|msgctxt|msgstr(?:\[\d+\])?)\s+)?"')


def _catalogue_line_problem(relative: str, text: str) -> Problem | None:
    """The first line of a catalogue that is not a comment, a keyword and its text in quotes, or more text in quotes
    (Babel would read it as something else, or drop it with a word on the console only)."""
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or _CATALOGUE_LINE.fullmatch(stripped):
            continue
        col = len(line) - len(line.lstrip()) + 1
        opened = _OPENED_TEXT.match(stripped)
        if opened:
            return Problem(Position(relative, number, col + opened.end() - 1),
                           'this text has no closing quote ("): end it with one (a quote inside it is written \\")')
        return Problem(Position(relative, number, col), f"gettext cannot read this line: {CATALOGUE_HELP}")
    return None


def _header_position(relative: str, text: str) -> Position:
    """The line of a catalogue's Plural-Forms (else its first line)."""
    for number, line in enumerate(text.split("\n"), start=1):
        if "Plural-Forms:" in line:
            return Position(relative, number, line.index("Plural-Forms:") + 1)
    return Position(relative)


def unreadable_templates(templates: Path) -> list[Problem]:
    """A problem for each template (each `.html` file under `templates/`, hidden ones left out) that is not UTF-8
    text, at its first bad byte: found before any page is made, so whichever page would load it first, and in
    whatever order, the error is the same. Without a `templates/` folder, a problem at the folder."""
    if not templates.is_dir():
        return [Problem(Position(templates.name), "the site has no templates/ folder: copy the repository's templates/ "
                                                  "into the site folder")]
    problems = []
    for path in sorted(templates.rglob("*.html")):
        relative = path.relative_to(templates.parent)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            problem = _not_text(relative.as_posix(), path.read_bytes())
            if problem:
                problems.append(problem)
    return problems


def _not_text(relative: str, raw: bytes) -> Problem | None:
    """The problem with a template's bytes, if they are not UTF-8 text (as content files are told)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return _decode(relative, raw)[1]
    return None


class _Loader(jinja2.FileSystemLoader):
    """Jinja's loader of the templates of a folder, but a template that is not UTF-8 text (one `unreadable_templates`
    did not see: not `.html`) raises ContentErrors at its first bad byte, not a decoding error."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError:
            folder = Path(self.searchpath[0])
            path = folder.joinpath(*jinja2.loaders.split_template_path(template))
            problem = _not_text(path.relative_to(folder.parent).as_posix(), path.read_bytes())
            if problem is None:
                raise
            raise ContentErrors([problem]) from None


class Renderer:
    """The means every page of one language is made with, the same for all its pages in a build: the templates of
    a folder and their words in the language (its catalogue, see `load_catalogue`), dates in the language, and
    Markdown rendered once per text. Cards and source lines are made once per build for each distinct input."""

    def __init__(self, templates: Path, fragments: Fragments, bytecode_cache: jinja2.BytecodeCache | None = None,
                 calendar_memo: dict | None = None, language: str = "en",
                 catalogue: gettext.NullTranslations | None = None) -> None:
        self.fragments = fragments
        self.calendar_memo = calendar_memo  # kept between builds (see `feeds.calendar`)
        self.language = language
        translations = catalogue or gettext.NullTranslations()
        self._ = translations.gettext
        self.ngettext = translations.ngettext
        self.words = DateWords(language, self._)
        self.env = _Environment(
            loader=_Loader(templates),
            bytecode_cache=_InLanguage(bytecode_cache, language, translations) if bytecode_cache else None,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # a renderer lives for one build: its templates do not change under it
            extensions=["jinja2.ext.i18n", _FixedWords],
        )
        self.env.install_gettext_translations(translations, newstyle=True)
        self.env.globals.update(_fast_gettext(translations))
        self.env.filters["language_label"] = self.language_label
        self.env.filters["date_label"] = lambda date: date.label(self.words)
        self.env.globals.update(date_html=self.date_html, date_text=self.date_text, page_language=language,
                                page_direction=direction(language), lang_marks=self.lang_marks,
                                untranslated_note=self.untranslated_note, translated_note=self.translated_note)
        self._cards: dict[str, Markup] = {}
        self._source_lines: dict[tuple[str, str, bool], Markup] = {}

    def page(self, chrome: Chrome, template: str, path: str, *, jsonld: dict | None = None, image: str | None = None,
             modified: dt.date | None = None, indexed: bool = True, **context) -> bytes:
        """A page from its template, in the site's chrome; not `indexed` (the page Netlify serves at any unknown
        address): no canonical URL, and search engines asked not to index it."""
        settings = chrome.settings
        address = "/" + path.removesuffix("index.html")  # the same in every language, under its root
        url = settings.root + address
        if jsonld is None:
            jsonld = feeds.page_jsonld(settings, context["title"], url, context["description"], modified)
        assets = dict(chrome.assets)
        languages = [{"code": other.code, "name": other.name, "href": other.root + address, "current": other.code == self.language}
                     for other in chrome.languages]
        page = self.env.get_template(template).render(
            site=settings, root=settings.root, menu=chrome.menu, search_enabled=chrome.search, asset=_asset_lookup(assets),
            url=url, canonical=settings.absolute(url) if indexed else None, languages=languages,
            jsonld=Markup(feeds.jsonld_script(jsonld)), og_image=image, **context)
        if not page.strip():  # a template emptied while it is edited: readers would get blank pages
            raise ContentErrors([Problem(Position(f"templates/{template}"), f"made an empty page ({address}): a page "
                                         "needs its HTML: restore the template (the repository's templates/ has every one)")])
        return page.encode()

    def date_html(self, event: Event, with_time: bool = True, starts_line: bool = False, lang: str = "",
                  around: str = "") -> Markup:
        return date_html(event, with_time, starts_line, self.words, lang, around)

    def lang_marks(self, code: str, around: str = "") -> Markup:
        """The `lang` (and `dir`) of an element whose text is in `code`, within text in `around` (the page's)."""
        return Markup(language_attributes(code, around or self.language))

    def date_text(self, event: Event, starts_line: bool = False) -> str:
        return event.date_in(self.words, starts_line)

    def language_label(self, code: str) -> str:
        """What a source's language reads as in this language: "(in Polish)", "(па-польску)"."""
        label = LANGUAGE_LABELS.get(code.split("-")[0].lower())
        if label is not None:
            return self._(label)
        return self._("(in %(language)s)") % {"language": self.language_name(code)}

    def language_name(self, code: str) -> str:
        """A language's name in this language ("English", "англійская"), from Babel; the code if Babel knows none."""
        from babel import Locale, UnknownLocaleError

        try:
            return Locale.parse(code.replace("-", "_")).get_display_name(self.language) or code
        except (ValueError, UnknownLocaleError):
            return code

    def untranslated_note(self, code: str) -> str:
        """What an event or page not yet translated says on a page of this language: "Not yet translated: shown in
        English" (a whole phrase for English, the usual original; else with the language's name)."""
        if code.split("-")[0] == "en":
            return self._("Not yet translated: shown in English")
        return self._("Not yet translated: shown in the original (%(language)s)") % {"language": self.language_name(code)}

    def translated_note(self, code: str) -> str:
        """What a translated event or page says: "Translated from English"."""
        if code.split("-")[0] == "en":
            return self._("Translated from English")
        return self._("Translated from the original (%(language)s)") % {"language": self.language_name(code)}

    def status_label(self, status: str) -> str:
        label = STATUS_LABELS[status]
        return self._(label) if label else ""

    def inline(self, text: str) -> str:
        return self.fragments.inline(text)

    def block(self, text: str) -> str:
        return self.fragments.block(text)

    def resolve(self, fragment: str, refs: Refs, notes: Notes, base: str = "", language: str = "") -> Markup:
        """An HTML fragment with its event links and citations filled in (`base` makes links absolute). A link ends
        with the event's date, which may end a sentence: the sentence then has one full stop (see `one_full_stop`).
        `language`: that of the fragment's words (not yet translated), where it is not the page's: the names of its
        citations' markers and the dates of its links, in the page's language, say so to screen readers."""
        page_language = self.language if language and language != self.language else ""

        def replace(kind: str, ref: str, locator: str) -> str:
            if kind == "cite":  # an unknown source only in a marker written as raw HTML, which validation never saw
                return notes.cite(ref, locator, page_language, language) if ref in refs.sources else ""
            target = refs.events.get(ref)
            if target is None:
                return ""
            untranslated = target.language and target.language != self.language
            lang = language_attributes(target.language, language or self.language) if untranslated else ""
            return (f'<a class="event-ref" href="{base}{target.url}"{lang}>{html.escape(target.title)}</a>, '
                    f'{self.date_html(target, with_time=False, lang=page_language, around=language)}')
        return Markup(one_full_stop(markup.resolve_markers(fragment, replace)))

    def notes(self, refs: Refs, language: str) -> Notes:
        """The numbered notes of a page, each source written as `source_line` writes it."""
        return Notes(refs.sources, line_of=lambda source: self.source_line(source, language), label=self._("Source %(number)s"))

    def source_line(self, source: Source, language: str, publisher: bool = True) -> Markup:
        """A source as the template's `source_line` macro writes it (without its publisher, where a heading names it),
        made once per build (notes repeat sources a lot). Its sentences may end with a date: one full stop each (see
        `one_full_stop`)."""
        key = (source.digest, language, publisher)
        if key not in self._source_lines:
            macro = self.env.get_template("_source.html").module.source_line
            self._source_lines[key] = Markup(one_full_stop(macro(source, language, publisher)))
        return self._source_lines[key]

    def updates(self, updates: tuple[Update, ...], refs: Refs, notes: Notes, language: str = "") -> list[dict]:
        """The updates of an event or page whose words are in `language`, each with its text and the language of it
        (`_updates.html` marks a text not in the page's language, as `/updates/` does)."""
        return [{"entry": update, "html": self.resolve(self.inline(update.text), refs, notes, language=update.language or language),
                 "language": update.language or language} for update in updates]

    def summary_text(self, event: Event) -> str:
        """An event's summary as one line of plain text (meta descriptions, feeds, the calendar)."""
        return plain_text(self.inline(event.summary))

    def card(self, card: Card, heading_level: int) -> Markup:
        """An event as a card in a list (the `event_card` macro), made once per build for each distinct card.

        Its summary carries no numbered citations, which the page's own notes would seem to
        share: the card names the publishers it cites after it, each a link to its note on the
        event's page.
        """
        key = fingerprint(card, heading_level)
        if key not in self._cards:
            event = card.event
            refs = Refs(card.linked, card.sources)
            notes = Notes(refs.sources, target=event.url, anchors=False, marks=False)
            shown = {"event": event, "summary": self.resolve(self.inline(event.summary), refs, notes, language=event.language),
                     "status": self.status_label(event.status), "sources": card_sources(notes.list, event.url),
                     "thumbnail": card.thumbnail}
            macro = self.env.get_template("_event_card.html").module.event_card
            self._cards[key] = Markup(macro(shown, heading_level))
        return self._cards[key]

    def cards(self, cards: Iterable[Card], heading_level: int) -> list[dict]:
        return [{"event": card.event, "html": self.card(card, heading_level)} for card in cards]

    def timeline(self, cards: Iterable[Card], heading_level: int = 5) -> list[dict]:
        """Events by year and month, as cards whose titles are headings of `heading_level`."""
        by_id = {card.event.id: card for card in cards}
        return [{"year": year, "months": [{"month": month, "cards": self.cards([by_id[e.id] for e in month.events], heading_level)}
                                           for month in year.months]}
                for year in group_timeline((card.event for card in by_id.values()), self.words)]


class _Environment(jinja2.Environment):
    """Jinja's environment, but a template's globals are a dict of its own, not a ChainMap over the environment's.

    Each render, and each `{% from ... import ... %}`, reads every global through the map
    (about 5 % of an event page's time with a ChainMap). The renderer sets all its globals
    before the first template loads, as Jinja asks (`Environment.make_globals`), so a copy
    misses nothing.
    """

    def make_globals(self, d: dict | None) -> dict:
        return {**self.globals, **(d or {})}


class _FixedWords(jinja2.ext.Extension):
    """Compiles `_("a fixed message")`, a message without values, into the template as its translation, so that a
    page asks for none of them as it renders (some twenty a page): `_("Sources")` is read as `"Джэрэлы"|safe`,
    which Jinja folds into the template's text. The translation is the renderer's `_` (see `_fast_gettext`), set
    before any template loads; the compiled template then holds one language's words (see `_InLanguage`).

    A template that binds the name `_` itself (`{% set _ = ... %}`, `{% for _, x in ... %}`, an import as `_`)
    has none of its calls compiled: there, `_` may not be the catalogue's."""

    def filter_stream(self, stream: jinja2.lexer.TokenStream) -> Iterable[jinja2.lexer.Token]:
        tokens = list(stream)
        calls = [index for index, token in enumerate(tokens) if token.test("name:_") and not _after_dot(tokens, index)]
        if not all(_fixed_call(tokens, index) or _call(tokens, index) for index in calls):
            return tokens
        translate = self.environment.globals["_"]
        folded: list[jinja2.lexer.Token] = []
        skip = 0
        for index, token in enumerate(tokens):
            if skip:
                skip -= 1
            elif index in calls and _fixed_call(tokens, index):
                message = tokens[index + 2]
                folded += [jinja2.lexer.Token(token.lineno, "string", str(translate(message.value))),
                           jinja2.lexer.Token(token.lineno, "pipe", "|"), jinja2.lexer.Token(token.lineno, "name", "safe")]
                skip = 3
            else:
                folded.append(token)
        return folded


def _after_dot(tokens: list[jinja2.lexer.Token], index: int) -> bool:
    return index > 0 and tokens[index - 1].type == "dot"


def _call(tokens: list[jinja2.lexer.Token], index: int) -> bool:
    return index + 1 < len(tokens) and tokens[index + 1].type == "lparen"


def _fixed_call(tokens: list[jinja2.lexer.Token], index: int) -> bool:
    """`_("...")`: a call of `_` with one string and nothing else."""
    return index + 3 < len(tokens) and [token.type for token in tokens[index + 1:index + 4]] == ["lparen", "string", "rparen"]


class _InLanguage(jinja2.BytecodeCache):
    """A bytecode cache of templates compiled in one language: the key of each template holds the language, its
    catalogue's words (compiled in by `_FixedWords`) and the generator's version (which compiles them), besides the
    template's name. Jinja itself checks the template's text."""

    def __init__(self, inner: jinja2.BytecodeCache, language: str, translations: gettext.NullTranslations) -> None:
        catalogue = getattr(translations, "_catalog", {})  # what GNUTranslations read; NullTranslations has none
        self.inner = inner
        self.words = fingerprint(generator_version(), language, sorted((repr(key), value) for key, value in catalogue.items()))

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return fingerprint(self.inner.get_cache_key(name, filename), self.words)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.inner.load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.inner.dump_bytecode(bucket)


def _asset_lookup(asset_urls: dict[str, str]) -> Callable[[str], str]:
    def asset(name: str) -> str:
        if name not in asset_urls:
            raise jinja2.TemplateRuntimeError(f'asset "{name}": no such file in assets/')
        return asset_urls[name]
    return asset
