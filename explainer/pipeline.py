"""The build, as a plan: load, validate, process images, plan the pages, render what changed, publish at once."""
from __future__ import annotations

import functools
import gc
import os
import re
import shutil
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import jinja2
import rcssmin
import rjsmin

from . import cache
from .cache import FileCache, FileDigests, FragmentStore, content_digest, fingerprint, read_record, write_record
from .images import IMAGE_SUFFIXES, ImageCache, ImageProblem, ProcessedImage, check_asset, photo_remarks
from .languages import in_language
from .load import content_files, list_assets, read_document, unreadable_folders
from .markup import UnreadableMarkdown
from .model import Event, Page, Settings, Site
from .pages import Edition, PlannedPage, plan_site
from .parallel import map_forked
from .problems import ContentErrors, Position, Problem, cannot_read, reason, report_lines
from .project import INPUT_FOLDERS, Project, input_files
from .render import Chrome, Fragments, LanguageLink, MenuItem, Renderer, catalogue_path, load_catalogue, unreadable_templates
from .validate import FileResult, merge_results, validate_document
from .write import BuildError, DamagedCacheFile, Publication, WriteReport

MINIFIERS = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}
PARALLEL_FILES_FROM = 200  # fewer files are read and checked faster in this process than workers start
PARALLEL_PAGES_FROM = 16  # pages: even the few an edit changes are worth a worker (forking one takes milliseconds)
CHUNK = 50  # pages at most that a worker claims at once
# The longest a page may take to make: longer, and a template loops over far too much, or forever (and the preview
# would wait for it forever). The largest page of a 10,000-event site takes a fraction of a second.
PAGE_SECONDS = 60
PARALLEL_KEYS_FROM = 2000  # pages: below, fingerprinting them all takes less than forking a worker saves
KEYS_CHUNK = 100  # pages whose keys go back from a worker in one piece


@dataclass
class BuildResult:
    """A finished build: the site, its warnings, what was written and where the time went."""

    site: Site
    warnings: list[Problem]
    report: WriteReport
    out_dir: Path
    pages_rendered: int
    timings: dict[str, float] = field(default_factory=dict)
    # Each language -> (its root, address -> (digest, file) of each of its pages to index)
    searchable: dict[str, tuple[str, dict[str, tuple[str, str]]]] = field(default_factory=dict)


@dataclass
class Caches:
    """What a build hands to the next: kept in memory by the preview, else read from and saved to `.cache/`.

    `notes` collects what could not be read (each then made again): the build reports them.
    """

    content: FileCache
    fragments: FragmentStore
    digests: FileDigests
    memos: Path
    notes: list[Problem] = field(default_factory=list)
    in_memory: bool = False  # kept by a long-running preview, which alone writes its output folder
    calendar: dict = field(default_factory=dict)  # language -> its memo (see `feeds.calendar`)
    cards: dict = field(default_factory=dict)  # (language, event id) -> (fingerprint of what its card is made of, (path, file))
    photos: dict = field(default_factory=dict)  # photo -> (digest of its file, processed image)

    @classmethod
    def load(cls, project: Project) -> Caches:
        notes: list[Problem] = []
        digests = FileDigests(project.cache_dir / "file-digests.pickle", notes)
        caches = cls(FileCache(project.cache_dir / "content.pickle", digests, notes),
                     FragmentStore(project.cache_dir / "fragments.sqlite", notes), digests, project.cache_dir / "memos.pickle", notes)
        memos = read_record(caches.memos, notes=notes)
        if isinstance(memos, tuple) and len(memos) == 3 and all(isinstance(memo, dict) for memo in memos):
            caches.calendar, caches.cards, caches.photos = memos
        return caches

    def save(self) -> None:
        self.content.save()
        self.fragments.save()
        write_record(self.memos, (self.calendar, self.cards, self.photos))

    def take_notes(self) -> list[Problem]:
        """What could not be read since the last call."""
        notes, self.notes[:] = list(self.notes), []
        return notes


def load_and_validate(project: Project, *, drafts: bool = False, caches: Caches | None = None,
                      inputs: dict[str, str] | None = None) -> tuple[Site | None, list[Problem]]:
    """The validated site (None if any error) and every problem found; files whose bytes are unchanged are not
    validated again. `inputs`: the site's files, as `project.input_files` listed them."""
    owned = caches is None
    caches = caches or Caches.load(project)
    cache = caches.content
    cache.next_build()
    inputs = input_files(project.root) if inputs is None else inputs
    paths, problems = content_files(project.root, inputs)
    if any(problem.is_error for problem in unreadable_folders(inputs)):
        return None, problems  # what such a folder holds is unknown: nothing else can be told of the site

    def validate_files(indices: list[int]) -> Iterable[FileResult]:
        changed = [paths[index] for index in indices]
        workers = (os.cpu_count() or 1) if len(changed) >= PARALLEL_FILES_FROM else 1
        return map_forked(lambda entry: _validate_file(project.root, *entry), changed, workers)

    results = cache.get_many([(f"{kind}:{path}", path) for kind, path in paths], validate_files)
    assets = project.root / "assets"
    site, found = merge_results(results, list_assets(inputs), drafts=drafts, check_asset=_asset_checker(assets, cache),
                                remark_photo=_photo_remarker(assets, cache))
    if owned:
        cache.save()
    return site, problems + found + _missing_catalogues(project, site) + caches.take_notes()


def load_original(project: Project, original: str) -> tuple[Settings, list[Event | Page]]:
    """The site's settings and what one of its content files holds (its events, or its page), the two files validated
    on their own: what a new translation needs, whatever may be wrong elsewhere in the site. Raise ContentErrors for
    their errors. A path that is no content file of the site holds nothing (and is never read)."""
    paths, problems = content_files(project.root, input_files(project.root))
    kinds = {path.relative_to(project.root).as_posix(): kind for kind, path in paths}
    wanted = ["data/site.yaml"] + ([original] if kinds.get(original) in ("events", "entry", "page") else [])
    results = [_validate_file(project.root, kinds[path], project.root / path) for path in wanted if path in kinds]
    errors = [problem for problem in problems if problem.is_error and problem.position.path == "data/site.yaml"]
    errors += [problem for result in results for problem in result.problems if problem.is_error]
    if errors:
        raise ContentErrors(errors)
    return results[0].settings, [item for result in results[1:] for item in (*result.events, *result.pages)]


def _missing_catalogues(project: Project, site: Site | None) -> list[Problem]:
    """A warning for each language of the site whose templates' words have no catalogue: its pages would speak English."""
    if site is None:
        return []
    missing = [code for code in site.settings.codes if code.split("-")[0] != "en"
               and not catalogue_path(project.root / "templates", code).is_file()]
    return [Problem(Position(catalogue_path(Path("templates"), code).as_posix()),
                    f'no catalogue of the templates\' words in "{code}": its pages\' menus, headings and dates are in English; '
                    f"make one with pybabel (see the README, Languages)", "warning") for code in missing]


def _validate_file(root: Path, kind: str, path: Path) -> FileResult:
    document, problems = read_document(root, path, markdown=path.suffix == ".md")
    return validate_document(document, kind, problems)


def _asset_checker(assets: Path, cache: FileCache) -> Callable[[str], str | None]:
    """What makes each file of assets/ unfit to publish (see `images.check_asset`), or None; checked again only when
    the file's bytes change."""
    def check(relative: str) -> str | None:
        try:
            with (assets / relative).open("rb"):  # published, so read, whatever it is
                pass
            check_asset(assets / relative)
        except OSError as error:
            return f"cannot be read: {reason(error)} (check the file's permissions)"
        except ImageProblem as problem:
            return str(problem)
        return None
    return lambda relative: cache.get(f"asset:{relative}", assets / relative, lambda: check(relative))


def _photo_remarker(assets: Path, cache: FileCache) -> Callable[[str], str | None]:
    """What an editor should know of each event photo in assets/ (see `images.photo_remarks`), or None; looked at
    again only when the file's bytes change."""
    def remark(relative: str) -> str | None:
        try:
            return photo_remarks(assets / relative)
        except (OSError, ImageProblem):  # `_asset_checker` says what
            return None
    return lambda relative: cache.get(f"photo:{relative}", assets / relative, lambda: remark(relative))


Gate = Callable[[Site, list[Problem], Publication], list[Problem]]


def build(project: Project, *, drafts: bool = False, search: bool = True, index: bool = True, workers: int | None = None,
          caches: Caches | None = None, progress: Callable[[int, int], None] | None = None,
          stamp: str | None = None, inputs: dict[str, str] | None = None, gate: Gate | None = None) -> BuildResult:
    """Build the whole site into the output folder, one build of the site at a time; raise ContentErrors, leaving
    the output as it was, on any error in the content, and BuildError if what it made cannot be written.

    With `search`, the site has a search page, and with `index` too, the build makes its index
    (the preview makes it apart, see `serve`). Only pages whose key changed (see `pages`) are rendered again, on `workers` processes
    (default: one per core) when there are many, and everything is published at once (see
    `write`). `caches` kept by the caller (the preview) spare reading `.cache/`; without them
    they are read and saved here. `progress(done, total)` hears of each page rendered.
    `stamp` and `inputs`: the inputs as they were before the build (see `freshness` and
    `project.input_files`), the stamp recorded with the output. `gate(site, warnings,
    publication)`, once every file is in place but before the switch, returns what else to
    say of the site: its errors stop the build before the output is touched (see
    `check.publishing_gate`), the rest joins the warnings.
    """
    with project.lock():
        owned = caches is None
        run = _Build(project, caches or Caches.load(project), drafts=drafts, search=search, index=search and index,
                     workers=workers or os.cpu_count() or 1,
                     progress=progress, stamp=stamp, gate=gate)
        gc.freeze()  # what the caches hold lives as long as the build: the collector need not scan it (see `_settled`)
        try:
            try:
                result = run.run(inputs)
            except DamagedCacheFile as damage:  # a cached file garbled since it was made: all of its kind are made again
                run.forget_cached(damage.source)
                result = run.run(inputs)
            if owned:
                run.caches.save()
            return result
        finally:
            gc.unfreeze()  # what a preview keeps from this build, and drops at the next, can be collected again


class _Build:
    """One build, stage by stage (`run` is the plan); what it found out along the way, for the stages after."""

    def __init__(self, project: Project, caches: Caches, *, drafts: bool, search: bool, index: bool, workers: int,
                 progress: Callable[[int, int], None] | None, stamp: str | None, gate: Gate | None) -> None:
        self.project, self.caches = project, caches
        self.drafts, self.search, self.index, self.workers = drafts, search, index, workers
        self.progress, self.stamp, self.gate = progress, stamp, gate
        self.timings: dict[str, float] = {}
        self._clock = time.perf_counter()

    def run(self, inputs: dict[str, str] | None) -> BuildResult:
        site, problems = self.load_and_validate(inputs)
        editions = {code: in_language(site, code) for code in site.settings.codes}  # the site in each of its languages
        _settled()
        with _file_errors(self.project):
            images = self.images(site, editions)
            pages = self.plan(editions, images)
            clashes = _assets_in_the_way(images.assets, {page.path for page in pages}, editions)
            if clashes:
                raise ContentErrors(clashes)
            _settled()
            publication = Publication(self.project.out_dir, self.project.trees, [page.path for page in pages] + list(images.files),
                                      trust_output=self.caches.in_memory, notes=self.caches.notes)
            try:
                rendered = self.render(pages, publication)
                self.publish_images(images, publication)
                search_key = self.search_index(editions, pages, publication) if self.index else None
                problems = self.checked(site, problems, publication) + self.caches.take_notes()
                report = self.switch(publication, {"stamp": self.stamp, "events": len(site.events), "search": search_key,
                                                   "warnings": report_lines(problems)})
            except BaseException:
                publication.abort()
                raise
        out = os.path.join(self.project.out_dir, "")
        searchable = {code: (edition.settings.root, {_url(page.path): (publication.published[page.path][0], out + page.path)
                                                     for page in pages if page.searchable and page.language == code})
                      for code, edition in editions.items()}
        return BuildResult(site, problems, report, self.project.out_dir, rendered, self.timings, searchable)

    def _stage(self, name: str) -> None:
        """Note the time the stage that ends now took."""
        now = time.perf_counter()
        self.timings[name] = now - self._clock
        self._clock = now

    def load_and_validate(self, inputs: dict[str, str] | None) -> tuple[Site, list[Problem]]:
        site, problems = load_and_validate(self.project, drafts=self.drafts, caches=self.caches, inputs=inputs)
        if site is None or any(problem.is_error for problem in problems):
            raise ContentErrors([problem for problem in problems if problem.is_error])
        if not self.caches.in_memory:  # what each file said is in `site` now: the rest need not stay, nor be copied into workers
            self.caches.content.save()
            self.caches.content.release()
        self._stage("load and validate")
        return site, problems

    def images(self, site: Site, editions: dict[str, Site]) -> _Images:
        cache = ImageCache(self.project.cache_dir / "images")
        photos = _process_photos(self.project, editions, cache, self.workers, self.caches)
        cards = _social_cards(self.project, editions, cache, self.workers, self.caches)
        assets = _assets(self.project, site, cache, set(photos), self.caches.digests)
        self._stage("images and assets")
        return _Images(photos, cards, assets)

    def plan(self, editions: dict[str, Site], images: _Images) -> list[PlannedPage]:
        """Every page of the site in each of its languages, and a renderer for each language."""
        templates = self.project.root / "templates"
        assets = tuple(sorted((name, url) for name, (url, _, _) in images.assets.items()))
        links = tuple(LanguageLink(code, _endonym(code), edition.settings.root) for code, edition in editions.items())
        fragments = Fragments(next(iter(editions.values())).settings.raw_html, self.caches.fragments)
        bytecode = jinja2.FileSystemBytecodeCache(str(_folder(self.project.cache_dir / "templates")))
        self.renderers, planned = {}, []
        for stale in set(self.caches.calendar) - set(editions):  # a language the site no longer has (or a memo of old)
            del self.caches.calendar[stale]
        _check_templates(templates)
        for code, site in editions.items():
            menu = tuple(MenuItem(page.url, page.menu_label) for page in site.pages if not page.is_home)
            chrome = Chrome(site.settings, menu, assets, self.search, links if len(links) > 1 else ())
            renderer = Renderer(templates, fragments, bytecode, self.caches.calendar.setdefault(code, {}), code,
                                load_catalogue(templates, code))
            self.renderers[code] = renderer
            cards = {event_id: "/" + path for event_id, (path, _, _) in images.cards[code].items()}
            planned.append(Edition(site, chrome, cards, renderer.words))
        with _template_problems(self.project.root):
            pages = plan_site(planned, images.photos)
        self.version = fingerprint(cache.generator_version(), _templates(self.project.root))
        return pages

    def render(self, pages: list[PlannedPage], publication: Publication) -> int:
        """Render the pages whose key changed (keeping the others as the output holds them); how many."""
        todo = []
        for page, key in zip(pages, _page_keys(pages, self.version, self.workers)):
            if publication.live_key(page.path) == key:
                publication.keep(page.path)
            else:
                todo.append((page, key))
        self._stage("plan")
        rendered = _rendered(todo, self.renderers, self.caches.fragments, publication, self.project.root, self.workers)
        for done, (path, digest, key) in enumerate(rendered, start=1):
            publication.record(path, digest, key)
            if self.progress:
                self.progress(done, len(todo))
        self._stage("render")
        return len(todo)

    def publish_images(self, images: _Images, publication: Publication) -> None:
        for path, (file, digest) in images.files.items():
            if isinstance(file, bytes):
                publication.put(path, file, "")
            else:
                publication.put_file(path, Path(file), "", digest)
        self._stage("publish images and assets")

    def search_index(self, editions: dict[str, Site], pages: list[PlannedPage], publication: Publication) -> dict[str, str]:
        """The search index of each language (Pagefind indexes one language at a time); the key of each."""
        keys = {code: _search_index(self.project, site, [page for page in pages if page.language == code], publication,
                                    first=code == next(iter(editions))) for code, site in editions.items()}
        self._stage("search index")
        return keys

    def checked(self, site: Site, problems: list[Problem], publication: Publication) -> list[Problem]:
        """The problems, with what the gate says of the site about to be published; its errors stop the build."""
        if self.gate is None:
            return problems
        found = self.gate(site, problems, publication)
        self._stage("publishing checks")
        if any(problem.is_error for problem in found):
            raise ContentErrors([problem for problem in found if problem.is_error])
        return list(dict.fromkeys(problems + found))

    def switch(self, publication: Publication, said: dict) -> WriteReport:
        report = publication.commit(said)
        self._stage("write")
        return report

    def forget_cached(self, damaged: Path) -> None:
        """After a cached file was found garbled: no file of its kind (images, or the search index) is trusted, and
        every one is made again."""
        kind = self.project.cache_dir / damaged.relative_to(self.project.cache_dir).parts[0]
        shutil.rmtree(kind, ignore_errors=True)
        self.caches.photos.clear()
        self.caches.cards.clear()
        self.caches.notes.append(Problem(Position(_shown(damaged, self.project.root)),
                                         f"this cached file no longer held what it was made with: everything in "
                                         f"{_shown(kind, self.project.root)}/ is made again", "note"))


@dataclass
class _Images:
    """The images and assets of a build (see `_process_photos`, `_social_cards`, `_assets`)."""

    photos: dict[str, ProcessedImage]
    cards: dict[str, dict[str, tuple[str, str, str]]]  # per language
    assets: dict[str, tuple[str, str | bytes, str | None]]

    @property
    def files(self) -> dict[str, tuple[str | bytes, str | None]]:
        """Every output file that is not a page: path -> (file or bytes, digest of its bytes if known)."""
        files: dict[str, tuple[str | bytes, str | None]] = {}
        for image in self.photos.values():
            digests = image.digests
            for path, file in image.files.items():
                files[path] = (str(file), digests[path])
        for cards in self.cards.values():
            for path, file, digest in cards.values():
                files[path] = (file, digest or None)
        for url, file, digest in self.assets.values():
            files[url.removeprefix("/")] = (file, digest)
        return files


def _settled() -> None:
    """What the build made so far (the site, then its plan) lives as long as the build: the collector, which would
    scan it again and again as the next stages make their many small objects, leaves it alone until the build ends."""
    gc.freeze()


@contextmanager
def _file_errors(project: Project) -> Iterator[None]:
    """A failure to write becomes one BuildError naming the folder, a failure to read one of the site's files (a
    template, a stylesheet) an error at that file; the output is left as it was."""
    try:
        yield
    except DamagedCacheFile:
        raise
    except OSError as error:
        where = Path(os.fsdecode(error.filename)) if error.filename else project.out_dir
        read = _input_path(project, where)
        if read is not None:
            raise ContentErrors([cannot_read(read, error)]) from None
        folder = where if where.is_dir() else where.parent
        shown = _shown(folder, project.root) + "/"
        why = "it was removed while the build was writing" if isinstance(error, FileNotFoundError) else reason(error)
        raise BuildError(f"cannot write in {shown}: {why}; {_shown(project.out_dir, project.root)}/ is as it was") from None


def _input_path(project: Project, path: Path) -> str | None:
    """The path of one of the site's own files (which a build reads, never writes) from the site folder, else None."""
    try:
        relative = path.absolute().relative_to(project.root)
    except ValueError:
        return None
    return relative.as_posix() if relative.parts and relative.parts[0] in INPUT_FOLDERS else None


def _url(path: str) -> str:
    """The address of an output file: `/events/x/` for `events/x/index.html`."""
    return "/" + path.removesuffix("index.html")


@functools.cache
def _endonym(code: str) -> str:
    """A language's name in itself, as a language switcher shows it: "English", "Беларуская"."""
    from babel import Locale

    name = Locale.parse(code.replace("-", "_")).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return str(path)


def _templates(root: Path) -> list[tuple[str, str]]:
    """Every file under templates/, subfolders included, with the digest of its bytes: what any page may be made of."""
    folder = root / "templates"
    return [(path.relative_to(folder).as_posix(), content_digest(path.read_bytes()))
            for path in sorted(folder.rglob("*")) if path.is_file()]


def theme_text(project: Project) -> str:
    """The templates, stylesheets and scripts, where images other than event photos are used."""
    files = sorted(path for path in (project.root / "templates").rglob("*") if path.is_file())
    files += [path for path in sorted((project.root / "assets").rglob("*")) if path.suffix in (".css", ".js") and path.is_file()]
    with _file_errors(project):  # a file that cannot be read is an error at it
        return "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in files)


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


# Images and assets ---------------------------------------------------------------------------------------------------


def _process_photos(project: Project, editions: dict[str, Site], cache: ImageCache, workers: int,
                    caches: Caches) -> dict[str, ProcessedImage]:
    """Each event photo's responsive variants (a translation's own files too), remembered by the digest of the photo's
    bytes between builds."""
    known = caches.photos
    sources = sorted({photo.src for site in editions.values() for event in site.events for photo in event.photos})
    digests = {src: caches.digests.digest(project.root / "assets" / src) for src in sources}
    photos = {src: known[src][1] for src in sources if src in known and known[src][0] == digests[src]}
    missing = [src for src in sources if src not in photos]
    made = map_forked(lambda src: cache.process(project.root / "assets" / src, src), missing, workers)
    photos.update(zip(missing, made, strict=True))  # strict: to the work's end, where its processes end as they should
    known.clear()
    known.update({src: (digests[src], photos[src]) for src in sources})
    return {src: photos[src] for src in sources}


def _social_cards(project: Project, editions: dict[str, Site], cache: ImageCache, workers: int,
                  caches: Caches) -> dict[str, dict[str, tuple[str, str, str]]]:
    """Per language, event id -> (output path, cached file, digest of its bytes) of its 1200x630 sharing image: the card
    of its first photo (one for each photo, whichever events and languages show it), else a card of its title in the
    language; remembered between builds by the fingerprint of what each is made of."""
    known = caches.cards

    def photo_of(event: Event) -> Path | None:
        return project.root / "assets" / event.photos[0].src if event.photos else None

    def made_of(event: Event, site: Site) -> str:
        """What an event's card is, bytes and name: its photo's file and bytes, or its title, the site's and its id."""
        photo = photo_of(event)
        if photo:
            return fingerprint(event.photos[0].src, caches.digests.digest(photo))
        return fingerprint(event.title, site.settings.title, event.id)

    def card(item: tuple[Event, Site], cached_only: bool = False) -> tuple[str, str, str] | None:
        event, site = item
        photo = photo_of(event)
        made = (cache.photo_card(photo, cached_only=cached_only) if photo
                else cache.title_card(event.title, site.settings.title, event.id, cached_only=cached_only))
        return made and (made[0], str(made[1]), made[2])

    first = next(iter(editions.values()))

    def shown_in(event: Event, site: Site) -> Site:
        """The site whose title an event's card shows with its own: an event not yet translated keeps the first
        language's card, its words and the site's title in one language."""
        return first if event.language and event.language != site.settings.language else site

    keys = {(code, event.id): made_of(event, shown_in(event, site)) for code, site in editions.items() for event in site.events}
    cards: dict[tuple[str, str], tuple[str, str, str] | None] = {}
    for code, site in editions.items():
        for event in site.events:
            remembered = known.get((code, event.id))
            cards[code, event.id] = (remembered[1] if remembered and remembered[0] == keys[code, event.id]
                                     else card((event, shown_in(event, site)), cached_only=True))
    missing = {keys[code, event.id]: (event, shown_in(event, site)) for code, site in editions.items() for event in site.events
               if cards[code, event.id] is None}  # one per photo, or per title in a language
    made = dict(zip(missing, map_forked(card, list(missing.values()), workers), strict=True))
    for name in cards:
        if cards[name] is None:
            cards[name] = made[keys[name]]
    known.clear()
    known.update({name: (keys[name], cards[name]) for name in cards})
    return {code: {event.id: cards[code, event.id] for event in site.events} for code, site in editions.items()}


def _assets(project: Project, site: Site, cache: ImageCache, photos: set[str],
            digests: FileDigests) -> dict[str, tuple[str, str | bytes, str | None]]:
    """Each file of assets/ (but event photos): its address, and what to publish there (a file, or bytes), with the
    digest of its bytes when known.

    Images are never published as they are: any image but event photos is re-encoded without
    its metadata. Stylesheets and scripts are minified and named by their content, so they
    can be cached forever.
    """
    assets: dict[str, tuple[str, str | bytes, str | None]] = {}
    for relative in site.assets:
        source = project.root / "assets" / relative
        path = PurePosixPath(relative)
        suffix = path.suffix.lower()
        if suffix in IMAGE_SUFFIXES:
            if relative not in photos:
                output, file, digest = cache.sanitize(source, relative)
                assets[relative] = ("/" + output, str(file), digest)
        elif suffix in MINIFIERS:
            content = MINIFIERS[suffix](source.read_text(encoding="utf-8")).encode()
            output = f"{path.parent}/{path.stem}.{content_digest(content)[:10]}{path.suffix}"
            assets[relative] = ("/" + output.removeprefix("./"), content, None)
        else:
            assets[relative] = ("/" + relative, str(source), digests.digest(source))
    return assets


# What Netlify reads in the published folder as the site's settings, which netlify.toml and the build make.
NETLIFY_FILES = {"_headers": "the headers of every answer, which netlify.toml sets",
                 "_redirects": "the site's redirects, which the build writes"}


def _assets_in_the_way(assets: dict[str, tuple[str, str | bytes, str | None]], pages: set[str],
                       editions: dict[str, Site]) -> list[Problem]:
    """An error for each file of assets/ that would be published where the build writes a file of its own (a page,
    robots.txt, a feed), where a search index goes, or as a file Netlify reads as the site's settings."""
    indexes = tuple(f"{edition.settings.root.strip('/')}/pagefind/".lstrip("/") for edition in editions.values())
    problems = []
    for name, (url, _, _) in sorted(assets.items()):
        path = url.removeprefix("/")
        if path in NETLIFY_FILES:
            why = f"Netlify reads /{path} as {NETLIFY_FILES[path]}"
        elif path in pages:
            why = f"the build writes its own /{path}"
        elif path.startswith(indexes):
            why = f"the search index is published in /{path.split('pagefind/')[0]}pagefind/"
        else:
            continue
        problems.append(Problem(Position(f"assets/{name}"), f"{why}: rename this file, or move it elsewhere in assets/"))
    return problems


# Pages ------------------------------------------------------------------------------------------------------------------


def _page_keys(pages: list[PlannedPage], version: str, workers: int) -> list[str]:
    """Each page's key (see `PlannedPage.key`), on every core for a large site: fingerprinting what ten thousand
    pages are made of is most of planning them."""
    if len(pages) < PARALLEL_KEYS_FROM:
        workers = 1
    chunks = [pages[start:start + KEYS_CHUNK] for start in range(0, len(pages), KEYS_CHUNK)]
    return [key for keys in map_forked(lambda chunk: [page.key(version) for page in chunk], chunks, workers) for key in keys]


def _rendered(todo: list[tuple[PlannedPage, str]], renderers: dict[str, Renderer], fragments: FragmentStore,
              publication: Publication, root: Path, workers: int) -> Iterator[tuple[str, str, str]]:
    """Render each page (with the renderer of its language) and write it into the spare, on several processes when
    there are many: (path, digest, key).

    Workers write the pages themselves and send back only what the build must record, and the
    Markdown they rendered; template mistakes become problems.
    """
    builder = os.getpid()

    def render(chunk: list[tuple[PlannedPage, str]]) -> tuple[list[tuple[str, str, str]], dict[str, str], dict[str, dict]]:
        written = []
        for page, key in chunk:
            with _template_problems(root, page.path), _time_limit(PAGE_SECONDS):
                content = page.render(renderers[page.language])
            written.append(publication.write_aside(page.path, content, key))
        calendars = {page.language: renderers[page.language].calendar_memo for page, _ in chunk if page.path.endswith("calendar.ics")}
        if os.getpid() == builder:
            # This process renders from the back: its results wait for the workers' before they are yielded,
            # the Markdown it rendered need not wait with them.
            fragments.merge(fragments.take_new())
            return written, {}, {}
        return written, fragments.take_new(), calendars

    if len(todo) < PARALLEL_PAGES_FROM:
        workers = 1
    size = max(1, min(CHUNK, len(todo) // (workers * 4)))  # a few chunks each at least, so both finish together
    chunks = [todo[start:start + size] for start in range(0, len(todo), size)]
    for written, new, calendars in map_forked(render, chunks, workers):
        fragments.merge(new)
        for language, calendar in calendars.items():  # made in a worker: the next build starts from it
            memo = renderers[language].calendar_memo
            if memo is not None and calendar is not None:
                memo.clear()
                memo.update(calendar)
        yield from written


# Search -----------------------------------------------------------------------------------------------------------------


def _search_index(project: Project, site: Site, pages: list[PlannedPage], publication: Publication, first: bool = True) -> str:
    """Publish the Pagefind index of the searchable pages of one language (see `search`): the live one when it was made
    from exactly these pages' bytes by this generator, else one brought up to date shard by shard; its key (see
    `write.Tree.said`). The first language's index is in pagefind/, another's under its root (be/pagefind/)."""
    root, language = site.settings.root, site.settings.language
    searchable = {_url(page.path): page.path for page in pages if page.searchable}
    key = fingerprint(cache.generator_version(), language, root,
                      [(path, publication.published[path][0]) for path in searchable.values()])
    folder = f"{root.strip('/')}/pagefind/" if root else "pagefind/"
    live = [path for path in publication.live.files if path.startswith(folder)]
    said = publication.live.said.get("search")
    if isinstance(said, dict) and said.get(language) == key and live and all(publication.live_key(path) is not None for path in live):
        for path in live:
            publication.keep(path)
        return key
    from .search import update_search_index  # only now: most builds have no page to index again

    spare = os.path.join(publication.spare, "")
    files = update_search_index({url: (publication.published[path][0], spare + path) for url, path in searchable.items()},
                                project.cache_dir / ("search" if first else f"search-{language}"), language, root)
    publication.plan_more(files)
    for path, (file, digest) in files.items():
        publication.put_file(path, file, "", digest)
    return key


# Template mistakes --------------------------------------------------------------------------------------------------


@contextmanager
def _template_problems(root: Path, output: str = ""):
    """A mistake in a template becomes a problem at its line, not a traceback.

    Jinja's own errors always do. Any other error (a method called with the wrong arguments,
    a division by zero) does when it was raised while a template of the site ran: one raised
    by the generator's code alone is the generator's bug, not the editor's, and goes on as it is.
    `output`, the file being made: a mistake that one event's data sets off names its page.
    """
    where = f" (making {'/' + output.removesuffix('index.html')})" if output else ""
    try:
        yield
    except jinja2.TemplateSyntaxError as error:
        raise ContentErrors([Problem(_template_position(root, error.filename, error.lineno), error.message or "template syntax error")]) from None
    except jinja2.TemplateNotFound as error:
        raise ContentErrors([_missing_template(root, error)]) from None
    except TooSlow as error:
        lines = _template_lines(root, error)
        raise ContentErrors([Problem(lines[-1] if lines else Position("templates"),
                                     f"making this page took over {error} s, and was stopped: does a loop here run over "
                                     f"far too many items, or never end?{where}")]) from None
    except (jinja2.UndefinedError, jinja2.TemplateError) as error:
        raise ContentErrors([Problem(_template_frame(root, error), f"template: {error}{where}")]) from None
    except (ContentErrors, MemoryError):
        raise
    except UnreadableMarkdown as error:  # content the validation let through (it refuses what is known to do this)
        raise ContentErrors([Problem(Position("content"), f"{error}{where}")]) from None
    except Exception as error:
        lines = _template_lines(root, error)
        if not lines:
            raise
        endless = _endless_template(root, lines) if isinstance(error, RecursionError) else None
        raise ContentErrors([endless or Problem(lines[-1], f"template: {_said(error)}{where}")]) from None


class TooSlow(Exception):
    """Work that took longer than it was given (its seconds, the message)."""


@contextmanager
def _time_limit(seconds: float):
    """Raise TooSlow in the work inside once it has taken `seconds`, by a timer signal: in a process's main thread
    alone (a build's, a worker's, the preview's), the only one where Python runs signal handlers; else no limit."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise TooSlow(f"{seconds:g}")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _check_templates(templates: Path) -> None:
    """Raise ContentErrors if any template is not UTF-8 text (see `render.unreadable_templates`): before any page
    loads one, so that the error names that template, whichever page needs it first."""
    problems = unreadable_templates(templates)
    if problems:
        raise ContentErrors(problems)


def _missing_template(root: Path, error: jinja2.TemplateNotFound) -> Problem:
    """A template that is not there: at the line of the template that includes, extends or imports it, or at the
    template itself when the build asks for it by name."""
    lines = _template_lines(root, error)
    verb = _template_verb(root, lines[-1]) if lines else ""
    if verb:
        return Problem(lines[-1], f'{verb} "{error.name}", which is not in templates/: add it there, or correct the name')
    return Problem(Position(f"templates/{error.name}"), "missing: the build makes pages with this template: restore it "
                                                        "(the repository's templates/ has every one)")


_TEMPLATE_TAG = re.compile(r"\{%[-+]?\s*(extends|include|import|from)\b")
_VERBS = {"extends": "extends", "include": "includes", "import": "imports", "from": "imports from"}


def _template_verb(root: Path, position: Position) -> str:
    """What the template line at `position` does with another template ("includes", "extends"), "" if neither."""
    try:
        line = (root / position.path).read_text(encoding="utf-8").split("\n")[position.line - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return ""
    found = _TEMPLATE_TAG.search(line)
    return _VERBS[found.group(1)] if found else ""


def _endless_template(root: Path, lines: list[Position]) -> Problem | None:
    """A template that includes or extends itself, through others or not, at its line that starts the loop (`lines`:
    those on the traceback of a RecursionError); None if the recursion is something else (a macro that calls itself)."""
    for start, position in enumerate(lines):
        if position in lines[start + 1:]:
            loop = lines[start:lines.index(position, start + 1) + 1]
            if not all(_template_verb(root, step) for step in loop[:-1]):
                return None
            chain = " → ".join(step.path.removeprefix("templates/") for step in loop)
            return Problem(position, f"this template includes or extends itself, directly or through others: {chain}: "
                                     "remove the include or extends that closes the loop")
    return None


def _template_position(root: Path, filename: str | None, line: int | None) -> Position:
    if filename is None:
        return Position("templates", line or 1)
    try:
        relative = Path(filename).resolve().relative_to(root).as_posix()
    except ValueError:
        relative = filename
    return Position(relative, line or 1)


def _template_frame(root: Path, error: Exception) -> Position:
    """The innermost template line on the error's traceback."""
    lines = _template_lines(root, error)
    return lines[-1] if lines else Position("templates")


def _template_lines(root: Path, error: Exception) -> list[Position]:
    """The lines of the site's templates on the error's traceback, outermost first.

    Jinja maps template lines into the traceback of a template rendered whole; a macro called
    from Python keeps the lines of the code Jinja made of it, mapped back here.
    """
    templates = (root / "templates").resolve()
    lines = []
    for frame, line in traceback.walk_tb(error.__traceback__):
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            filename, line = template.filename, template.get_corresponding_lineno(line)
        else:
            filename = frame.f_code.co_filename
        if filename and filename.endswith(".html") and Path(filename).resolve().is_relative_to(templates):
            lines.append(_template_position(root, filename, line))
    return lines


def _said(error: Exception) -> str:
    """What an error says, for an editor: its message, or its kind when it has none."""
    if isinstance(error, KeyError) and error.args:
        return f"no key {error.args[0]!r}"
    return str(error) or type(error).__name__
