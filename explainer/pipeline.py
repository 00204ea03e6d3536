"""The build, as a plan: load, validate, process images, render, write."""
from __future__ import annotations

import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
import traceback
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import jinja2
import rcssmin
import rjsmin

from . import freshness, snapshot
from .images import IMAGE_SUFFIXES, ImageCache, ImageProblem, ProcessedImage, check_asset
from .cache import FileCache, FragmentStore, PageKeys, dump_pickle, load_pickle
from .load import content_files, list_assets, read_document
from .model import Event, Site
from .parallel import map_forked
from .problems import ContentErrors, Position, Problem, report_lines
from .project import Project, input_files
from .render import Fragments, PageJob, Renderer, plan_site, reach_of
from .validate import FileResult, merge_results, validate_document
from .write import Staging, WriteReport, replace_now

MINIFIERS = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}


@dataclass
class BuildResult:
    """A finished build: the site, its warnings, what was written and where the time went."""

    site: Site
    warnings: list[Problem]
    report: WriteReport
    out_dir: Path
    pages_rendered: int
    timings: dict[str, float] = field(default_factory=dict)
    edited_events: frozenset[str] | None = None  # after an edit in place (see `snapshot`): the events it changed


def theme_text(project: Project) -> str:
    """The templates, stylesheets and scripts, where images other than event photos are used."""
    files = sorted((project.root / "templates").rglob("*.html"))
    files += [path for path in sorted((project.root / "assets").rglob("*")) if path.suffix in (".css", ".js")]
    return "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in files)


@dataclass(frozen=True)
class RenderInputs:
    """What a build's pages were rendered from, besides the templates."""

    site: Site
    photos: dict[str, ProcessedImage]
    asset_urls: dict[str, str]
    social_cards: dict[str, str]
    search: bool

    def renderer(self, project: Project, fragments: FragmentStore, site: Site | None = None, calendar_memo: dict | None = None) -> Renderer:
        site = site or self.site
        return Renderer(site, project.root / "templates", fragments=Fragments(site.settings.raw_html, fragments), images=self.photos,
                        asset_urls=self.asset_urls, social_cards=self.social_cards, search=self.search,
                        bytecode_cache=jinja2.FileSystemBytecodeCache(str(_folder(project.cache_dir / "templates"))),
                        calendar_memo=calendar_memo)


@dataclass
class Caches:
    """What a build hands to the next: kept in memory by the preview, else read from and saved to `.cache/`."""

    content: FileCache
    fragments: FragmentStore
    pages: PageKeys
    manifest: dict | None = None
    in_memory: bool = False  # kept by a long-running preview, which alone writes its output folder
    calendar: dict = field(default_factory=dict)
    cards: dict = field(default_factory=dict)
    photos: dict = field(default_factory=dict)
    memo_store: Path | None = None  # where the three memos above are saved
    rendered_from: RenderInputs | None = None  # what the last build rendered, for the preview's edited-page-first path
    snapshot_store: Path | None = None  # where the last build's site is saved (see `snapshot`); None: kept in memory
    last_site: snapshot.Snapshot | None = None

    @classmethod
    def load(cls, project: Project) -> Caches:
        caches = cls(FileCache(project.cache_dir / "content.pickle"), FragmentStore(project.cache_dir / "fragments.sqlite"),
                     PageKeys(project.cache_dir / f"pages-{project.out_dir.name}.pickle"))
        caches.memo_store = project.cache_dir / "memos.pickle"
        caches.snapshot_store = project.cache_dir / f"site-{project.out_dir.name}.pickle"
        caches.calendar, caches.cards, caches.photos = load_pickle(caches.memo_store) or ({}, {}, {})
        return caches

    def save(self) -> None:
        self.content.save()
        self.fragments.save()
        self.pages.save()
        if self.memo_store is not None:
            dump_pickle(self.memo_store, (self.calendar, self.cards, self.photos))

    def last_build(self) -> snapshot.Snapshot | None:
        """The site of the last good build into the output folder, if known."""
        if self.last_site is None and self.snapshot_store is not None:
            self.last_site = snapshot.load(self.snapshot_store)
        return self.last_site

    def remember_build(self, built: snapshot.Snapshot, edit: snapshot.Edit | None) -> None:
        if self.snapshot_store is not None:
            built.records = self.last_site.records if self.last_site is not None and edit is not None else 0
            snapshot.save(self.snapshot_store, built, edit)
        self.last_site = built


def load_and_validate(project: Project, *, drafts: bool = False, caches: Caches | None = None,
                      inputs: dict[str, str] | None = None) -> tuple[Site | None, list[Problem]]:
    """The validated site (None if any error) and every problem found; unchanged files are not read again.
    `inputs`: the site's files, as `project.input_files` listed them."""
    owned = caches is None
    caches = caches or Caches.load(project)
    cache = caches.content
    cache.next_build()
    inputs = input_files(project.root) if inputs is None else inputs
    paths, problems = content_files(project.root, inputs)
    def validate_files(indices: list[int]) -> Iterable[FileResult]:
        changed = [paths[index] for index in indices]
        workers = (os.cpu_count() or 1) if len(changed) >= PARALLEL_FILES_FROM else 1
        return map_forked(lambda entry: _validate_file(project.root, *entry), changed, workers)

    results = cache.get_many([(f"{kind}:{path}", path) for kind, path in paths], validate_files)
    assets = list_assets(inputs)
    site, found = merge_results(results, assets, drafts=drafts, check_asset=_asset_checker(project.root / "assets", cache))
    if owned:
        cache.save()
    return site, problems + found


def _validate_file(root: Path, kind: str, path: Path) -> FileResult:
    document, problems = read_document(root, path, markdown=path.suffix == ".md")
    return validate_document(document, kind, problems)


Gate = Callable[[Site, list[Problem], Staging], list[Problem]]


def build(project: Project, *, drafts: bool = False, search: bool = True, workers: int | None = None,
          caches: Caches | None = None, progress: Callable[[int, int], None] | None = None,
          stamp: str | None = None, inputs: dict[str, str] | None = None, gate: Gate | None = None) -> BuildResult:
    """Build the whole site into the output folder; raise ContentErrors, leaving the output as it was, on any error.

    Only pages whose inputs changed since the last build are rendered again, on `workers`
    processes (default: one per core) when there are many; when only what events say was
    edited, only the pages that show them are looked at (see `snapshot`). `caches` kept by
    the caller (the preview) spare reading `.cache/` each time; without them they are read
    and saved here. `progress(done, total)` hears of each page rendered. `stamp` and
    `inputs`, the input files as they were before the build (see `project.input_files`): the stamp is
    recorded once the output matches it. `gate(site, warnings, staging)`, once every file is
    staged, returns what else to say of the site: its errors stop the build before the output
    is touched (see `check.publishing_gate`), the rest joins the warnings.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    owned = caches is None
    caches = caches or Caches.load(project)
    if owned:
        # What the caches hold lives as long as this one build: the collector need not scan it again and again.
        # (Not in the long-running preview, where frozen objects would never be collected.)
        gc.freeze()
    files = input_files(project.root) if inputs is None else inputs
    last = caches.last_build()
    options = {"drafts": drafts, "search": search}
    edit = last and snapshot.edited_in_place(project.root, last, files, options)
    if edit:
        site, problems = edit.site, edit.problems
        if owned:
            caches.content.add_to_store({f"{kind}:{project.root / path}": (project.root / path, result)
                                         for path, (kind, result) in edit.results.items()})
    else:
        site, problems = load_and_validate(project, drafts=drafts, caches=caches, inputs=files)
        if site is None or any(problem.is_error for problem in problems):
            raise ContentErrors([p for p in problems if p.is_error])
        problems = sorted(problems, key=lambda p: (p.position, p.message))
    freshness.forget(project.freshness_record)
    if owned:  # what each file said is in `site` now: the rest need not stay, nor be copied into worker processes
        caches.content.save()
        caches.content.release()
        gc.freeze()  # the site too lives as long as the build
    timings["load and validate"] = time.perf_counter() - clock  # with saving what was validated: --profile misses nothing

    clock = time.perf_counter()
    # From here the output's files are checked against the manifest on another core, while images and the plan are made.
    staging = Staging(project.out_dir, project.manifest, caches.manifest, trust_output=caches.in_memory)
    fragments, page_keys = caches.fragments, caches.pages
    try:
        workers = workers or os.cpu_count() or 1
        image_cache = ImageCache(project.cache_dir / "images")
        photos = _process_photos(project, site, image_cache, workers, caches.photos)
        cards = _social_cards(project, site, image_cache, workers, caches.cards)
        asset_files, asset_urls = _assets(project, site, image_cache, set(photos))
        timings["images and assets"] = time.perf_counter() - clock

        clock = time.perf_counter()
        inputs = RenderInputs(site, photos, asset_urls, {event_id: "/" + path for event_id, (path, _) in cards.items()}, search)
        renderer = inputs.renderer(project, fragments, calendar_memo=caches.calendar)
        jobs = _planned(renderer, project.root)
        keys, todo = _keys_and_todo(jobs, page_keys, staging, reach_of(site.events, edit.changed_events) if edit else None)
        timings["plan"] = time.perf_counter() - clock
        clock = time.perf_counter()
        for done, written in enumerate(_rendered(todo, fragments, staging, project.root, workers, caches.calendar), start=1):
            staging.record(*written)
            if progress:
                progress(done, len(todo))
        page_keys.update(keys)
        searchable = [job.path for job in jobs if job.searchable] if search else []
        for image in photos.values():
            for path, file in image.files.items():
                staging.add_file(path, file, digest=path.rpartition("/")[2])  # named by their content
        for path, file in asset_files.items():
            if isinstance(file, bytes):
                staging.add(path, file)
            else:
                staging.add_file(path, file)
        for path, file in cards.values():
            staging.add_file(path, file, digest=path.rpartition("/")[2])  # named by their content
        timings["render"] = time.perf_counter() - clock
        if gate is not None:
            clock = time.perf_counter()
            said = gate(site, problems, staging)
            timings["publishing checks"] = time.perf_counter() - clock
            if any(problem.is_error for problem in said):
                raise ContentErrors([problem for problem in said if problem.is_error])
            problems = list(dict.fromkeys(problems + said))
    except BaseException:
        staging.abort()
        raise
    clock = time.perf_counter()
    reindex = search and _search_index_is_stale(project, staging, searchable)
    if search:  # the index stays until a new one replaces it
        staging.keep(lambda path: path.startswith("pagefind/"))
    report = staging.commit()
    caches.manifest = staging.manifest
    caches.remember_build(snapshot.Snapshot(site, files, problems, options), edit)
    if owned:
        caches.save()
    timings["write"] = time.perf_counter() - clock
    if reindex:
        clock = time.perf_counter()
        written, caches.manifest = _publish_search_index(project, site, searchable)
        report.written += written
        timings["search index"] = time.perf_counter() - clock
    caches.rendered_from = inputs
    if stamp is not None:
        freshness.remember(project.freshness_record, stamp, len(site.events), report_lines(problems))
    return BuildResult(site, problems, report, project.out_dir, len(todo), timings, edit.changed_events if edit else None)


def render_edited_events(project: Project, caches: Caches, changed: list[str]) -> list[str] | None:
    """The preview's first answer to a save that edited only what events say: their own pages, written at once.

    `changed`: the paths saved since the last build. When the edit is one the whole build
    makes in place (see `snapshot`) and keeps the edited events' titles (their sharing cards
    show them), their pages are rendered from the last build's site with those events
    swapped in, and replace the old ones in the output: the paths written. None when the
    change needs more, which the whole build, following in any case, does; it also brings
    lists, feeds and neighbours up to date.
    """
    inputs, last = caches.rendered_from, caches.last_site
    if inputs is None or last is None or not changed or caches.manifest is None:
        return None
    edit = snapshot.edited_in_place(project.root, last, freshness.updated_files(project.root, last.files, changed), last.options)
    if not edit or not edit.changed_events:
        return None
    titles = {event.id: event.title for event in last.site.events}
    if any(event.title != titles[event.id] for event in edit.site.events if event.id in edit.changed_events):
        return None
    renderer = inputs.renderer(project, caches.fragments, site=edit.site)
    written = []
    with _template_problems(project.root):
        for index, event in enumerate(edit.site.events):
            if event.id in edit.changed_events:
                output = renderer.event_page(index)
                if replace_now(project.out_dir, output.path, output.content, caches.manifest):
                    written.append(output.path)
    return written


def _keys_and_todo(jobs: list[PageJob], last: PageKeys, staging: Staging,
                   reach: frozenset[str] | None) -> tuple[dict[str, str], list[PageJob]]:
    """Each page's key, and the pages to render: those whose key changed or whose output is not as the last build left it.

    After an edit in place, a page that cannot show what it changed (`reach`, see `render.reach_of`)
    keeps its last key without computing it (see `PageJob.lists`).
    """
    keys, todo = {}, []
    for job in jobs:
        last_key = last.get(job.path)
        if reach is not None and last_key is not None and not job.may_show(reach):
            key = last_key
        else:
            key = job.key
        keys[job.path] = key
        if not (key == last_key and staging.keep_unchanged(job.path)):
            todo.append(job)
    return keys, todo


def _search_index_is_stale(project: Project, staging: Staging, searchable: list[str]) -> bool:
    """Whether a searchable page changed, appeared or went since the output's index was made."""
    record = project.search_record
    same_pages = record.is_file() and json.loads(record.read_text()) == searchable
    has_index = any(path.startswith("pagefind/") for path in staging.previous)
    return not (same_pages and has_index) or any(path in staging.changed for path in searchable)


def _publish_search_index(project: Project, site: Site, searchable: list[str]) -> tuple[list[str], dict]:
    """Index the committed site with Pagefind and swap the new index in; the files written."""
    from .search import build_search_index  # only now: most builds have no page to index again

    files = build_search_index(project.out_dir, project.cache_dir / "search", site.settings.language)
    staging = Staging(project.out_dir, project.manifest)
    staging.keep(lambda path: not path.startswith("pagefind/"))
    for path, file in files.items():
        staging.add_file(path, file)
    written = staging.commit().written
    project.search_record.write_text(json.dumps(searchable))
    return written, staging.manifest


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _asset_checker(assets: Path, cache: FileCache):
    """What makes each file of assets/ unfit to publish (see `images.check_asset`), or None; checked again only when
    the file changes."""
    def check(relative: str) -> str | None:
        try:
            check_asset(assets / relative)
        except ImageProblem as problem:
            return str(problem)
        return None
    return lambda relative: cache.get(f"asset:{relative}", assets / relative, lambda: check(relative))


def _process_photos(project: Project, site: Site, cache: ImageCache, workers: int, known: dict) -> dict[str, ProcessedImage]:
    """Each event photo's responsive variants; `known` remembers them by the file's size and time between builds."""
    def stat_of(src: str) -> tuple[int, int]:
        stat = (project.root / "assets" / src).stat()
        return (stat.st_size, stat.st_mtime_ns)

    sources = sorted({photo.src for event in site.events for photo in event.photos})
    photos = {src: known[src][1] for src in sources if src in known and known[src][0] == stat_of(src)}
    missing = [src for src in sources if src not in photos]
    photos.update(zip(missing, map_forked(lambda src: cache.process(project.root / "assets" / src, src), missing, workers)))
    known.clear()
    known.update({src: (stat_of(src), photos[src]) for src in sources})
    return {src: photos[src] for src in sources}


def _social_cards(project: Project, site: Site, cache: ImageCache, workers: int, known: dict) -> dict[str, tuple[str, str]]:
    """Event id -> (output path, file) of its 1200x630 sharing image: its first photo, else a title card.

    `known` (kept between builds) remembers each event's card by what it is made from, so
    thousands of cards are not looked up again for one changed entry. It holds strings, not
    paths: they load many times faster.
    """
    def inputs(event: Event) -> tuple:
        photo = os.path.join(project.root, "assets", event.photos[0].src) if event.photos else None
        return (event.title, site.settings.title, photo, os.stat(photo).st_mtime_ns if photo else None)

    def card(event: Event, cached_only: bool = False) -> tuple[str, str] | None:
        title, site_title, photo, _ = inputs(event)
        made = cache.social_card(title, site_title, photo and Path(photo), key=event.id, cached_only=cached_only)
        return made and (made[0], str(made[1]))

    cards = {}
    for event in site.events:
        remembered = known.get(event.id)
        cards[event.id] = remembered[1] if remembered and remembered[0] == inputs(event) else card(event, cached_only=True)
    missing = [event for event in site.events if cards[event.id] is None]
    cards.update(zip((event.id for event in missing), map_forked(card, missing, workers)))
    known.clear()
    known.update({event.id: (inputs(event), cards[event.id]) for event in site.events})
    return cards


def _assets(project: Project, site: Site, cache: ImageCache, photos: set[str]) -> tuple[dict[str, Path | bytes], dict[str, str]]:
    """Output path -> file or bytes for every asset, and the URL of each (fingerprinted for stylesheets and scripts).

    Images are never published as they are: event photos go through `_process_photos`, any
    other image is re-encoded without its metadata. Stylesheets and scripts are minified and
    named by their content, so they can be cached forever.
    """
    files: dict[str, Path | bytes] = {}
    urls: dict[str, str] = {}
    for relative in site.assets:
        source = project.root / "assets" / relative
        path = PurePosixPath(relative)
        if path.suffix.lower() in IMAGE_SUFFIXES:
            if relative not in photos:
                output, file = cache.sanitize(source, relative)
                files[output] = file
                urls[relative] = "/" + output
        elif path.suffix.lower() in MINIFIERS:
            content = MINIFIERS[path.suffix.lower()](source.read_text(encoding="utf-8")).encode()
            digest = hashlib.blake2b(content, digest_size=5).hexdigest()
            output = f"{path.parent}/{path.stem}.{digest}{path.suffix}"
            files[output] = content
            urls[relative] = "/" + output
        else:
            files[relative] = source
            urls[relative] = "/" + relative
    return files, urls


def _planned(renderer: Renderer, root: Path) -> list[PageJob]:
    # Planning makes tens of thousands of objects that live until the pages are rendered, and no garbage:
    # the collector, set off by their number, would scan them again and again for nothing.
    gc.disable()
    try:
        with _template_problems(root):
            return plan_site(renderer)
    finally:
        gc.enable()


def _rendered(jobs: list[PageJob], fragments: FragmentStore, staging: Staging, root: Path, workers: int,
              calendar_memo: dict) -> Iterator[tuple[str, str, bool]]:
    """Render each job and write it aside, on several processes when there are many: (path, digest, written) each.

    Workers write the pages themselves and send back only what the build must record, the
    Markdown they rendered and, with the calendar, its memo; template mistakes become problems.
    """
    builder = os.getpid()

    def render(chunk: list[PageJob]) -> tuple[list[tuple[str, str, bool]], dict[str, str], dict | None]:
        outputs = []
        for job in chunk:
            with _template_problems(root, job.path):
                outputs.append(job.make())
        memo = calendar_memo if any(output.path == "calendar.ics" for output in outputs) else None
        written = [staging.write_aside(output.path, output.content) for output in outputs]
        if os.getpid() == builder:
            # This process renders from the back: its results wait for the workers' before they are yielded,
            # the Markdown it rendered need not wait with them.
            fragments.merge(fragments.take_new())
            return written, {}, memo
        return written, fragments.take_new(), memo

    if len(jobs) < PARALLEL_PAGES_FROM:
        workers = 1
    if workers > 1:
        staging.finish_check()
    size = max(1, min(CHUNK, len(jobs) // (workers * 4)))  # a few chunks each at least, so both finish together
    chunks = [jobs[start:start + size] for start in range(0, len(jobs), size)]
    for written, new, memo in map_forked(render, chunks, workers):
        fragments.merge(new)
        if memo is not None and memo is not calendar_memo:  # made in a worker process: the next build starts from it
            calendar_memo.clear()
            calendar_memo.update(memo)
        yield from written


PARALLEL_FILES_FROM = 200  # fewer files are read and checked faster in this process than workers start
PARALLEL_PAGES_FROM = 16  # pages: even the few an edit changes are worth a worker (forking one takes milliseconds)
CHUNK = 50  # pages at most that a worker claims at once


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
    except (jinja2.UndefinedError, jinja2.TemplateError) as error:
        raise ContentErrors([Problem(_template_frame(root, error), f"template: {error}{where}")]) from None
    except (ContentErrors, MemoryError):
        raise
    except Exception as error:
        lines = _template_lines(root, error)
        if not lines:
            raise
        raise ContentErrors([Problem(lines[-1], f"template: {_said(error)}{where}")]) from None


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
