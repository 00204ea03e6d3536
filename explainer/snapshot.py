"""The site as the last good build into an output folder left it, and edits that change it in place.

A build after a few edited event files need not read the thousands of others again, nor
work out every page anew. When each edited file still holds the same events in the same
places (same ids, dates, tags, sources, photos, addresses and draft flags), has no error,
and everything it cites and links exists, the new site is the last one with those events
swapped in: the site's structure is unchanged, so only the pages that show those events
can change (`PageJob.shows`). Anything else (a file added or deleted, a template, a source,
a setting, an asset) takes the whole build.

The snapshot is kept in `.cache/` as a log, like the caches: a whole site, then the events
each edit swapped in, written out whole again now and then.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from .cache import append_log, dump_pickle, load_log
from .images import ImageProblem, check_image
from .load import read_document
from .model import Event, Site, Source
from .problems import Problem
from .validate import FileResult, check_photos, validate_document

EVENT_FOLDERS = {"data/events": ("events", (".yaml", ".yml")), "content/events": ("entry", (".md",))}  # as `load.content_files` reads them
MOST_EDITED_FILES = 50  # more edited files than this: the whole build is as quick
COMPACT_AFTER = 20  # edits appended to the log before it is written out whole again


@dataclass
class Snapshot:
    """A built site, the input files it was built from (see `freshness.input_files`), the build's options and what it said."""

    site: Site
    files: dict[str, str]
    problems: list[Problem]
    options: dict[str, bool]  # drafts, search
    records: int = 0  # in the log it was read from


@dataclass
class Edit:
    """The site after edits that keep its structure: the events whose content changed, and each edited file's result."""

    site: Site
    problems: list[Problem]
    changed_events: frozenset[str]
    results: dict[str, tuple[str, FileResult]]  # path relative to the site folder -> its kind (as `load.content_files` names it), result


def load(store: Path) -> Snapshot | None:
    """The snapshot a build saved, with the edits appended since; None if there is none made by this code."""
    data, records = load_log(store)
    base = data.get("base")
    if records <= 0 or not isinstance(base, Snapshot):
        return None
    if records > 1:  # edits appended: ("event", id) -> Event, ("digest", id) -> str, ("source", id) -> Source, ("file", path) -> stat
        edits: dict[str, dict] = {"event": {}, "digest": {}, "source": {}, "file": {}}
        for key, value in data.items():
            if isinstance(key, tuple):
                edits[key[0]][key[1]] = value
        site = replace(base.site, events=tuple(edits["event"].get(event.id, event) for event in base.site.events),
                       digests={**base.site.digests, **edits["digest"]}, sources={**base.site.sources, **edits["source"]})
        base = Snapshot(site, {**base.files, **edits["file"]}, data.get("problems", base.problems), base.options)
    base.records = records
    return base


def save(store: Path, snapshot: Snapshot, edit: Edit | None) -> None:
    """Save the site a build made: appended as an edit when it was one, else (or when the log is long) whole."""
    if edit is None or not 0 < snapshot.records < COMPACT_AFTER:
        dump_pickle(store, {"base": replace(snapshot, records=0)})
        snapshot.records = 1
        return
    changes: dict = {("event", event.id): event for _, result in edit.results.values() for event in result.events}
    changes.update((("digest", event_id), digest) for _, result in edit.results.values() for event_id, digest in result.digests.items())
    changes.update((("source", source_id), source) for _, result in edit.results.values() for source_id, source in result.sources.items())
    changes.update((("file", path), snapshot.files[path]) for path in edit.results)
    changes["problems"] = snapshot.problems
    append_log(store, changes)
    snapshot.records += 1


def edited_in_place(root: Path, last: Snapshot, files: dict[str, str], options: dict[str, bool]) -> Edit | None:
    """The site after the edits since `last`, if they only changed what event files say; else None.

    `files` lists the input files now; `options`, the build's. None also when nothing
    changed, when the build's options are not the last one's, when the edits need a whole
    build (see the module's text), or when they may hold an error: the whole build then
    reports it as usual.
    """
    if last.options != options or files.keys() != last.files.keys():
        return None
    edited = [path for path, stat in files.items() if last.files[path] != stat]
    if not edited or len(edited) > MOST_EDITED_FILES:
        return None
    site = last.site
    results: dict[str, tuple[str, FileResult]] = {}
    for relative in edited:
        path = PurePosixPath(relative)
        kind, suffixes = EVENT_FOLDERS.get(path.parent.as_posix(), (None, ()))
        if kind is None or not path.name.endswith(suffixes) or path.name.startswith("."):
            return None
        document, problems = read_document(root, root / relative, markdown=relative.endswith(".md"))
        results[relative] = (kind, validate_document(document, kind, problems))
    before = _events_by_file(site, set(edited))
    event_ids = {event.id for event in site.events}
    problems = [problem for problem in last.problems if problem.position.path not in results]
    for relative, (_, result) in results.items():
        if not (_same_structure(before.get(relative, []), result.events) and _resolves(result, site, event_ids, relative)):
            return None
        problems += result.problems + result.warnings + check_photos(result.photo_refs, frozenset(site.assets), _image_checker(root))
        problems += [] if site.settings.raw_html else result.html_in_text
    if any(problem.is_error for problem in problems):
        return None
    swapped = {event.id: event for _, result in results.values() for event in result.events}
    digests = {event_id: digest for _, result in results.values() for event_id, digest in result.digests.items()}
    changed = frozenset(event_id for event_id, digest in digests.items() if site.digests.get(event_id) != digest)
    sources = {source_id: source for _, result in results.values() for source_id, source in result.sources.items()}
    site = replace(site, events=tuple(swapped.get(event.id, event) for event in site.events), digests={**site.digests, **digests},
                   sources={**site.sources, **sources} if sources else site.sources)
    return Edit(site, sorted(problems, key=lambda p: (p.position, p.message)), changed, results)


def _structure(event: Event) -> tuple:
    """What places an event in the site: its order, the lists and pages it is on, its addresses, its sharing card's photo."""
    return (event.id, event.when, event.time, event.draft, event.aliases, event.tags,
            frozenset(event.sources).union(event.cites), tuple(photo.src for photo in event.photos))


def _same_structure(before: list[Event], after: list[Event]) -> bool:
    return bool(after) and [_structure(event) for event in before] == [_structure(event) for event in after]


def _events_by_file(site: Site, paths: set[str]) -> dict[str, list[Event]]:
    """The site's events of each file, in the order the file has them."""
    found: dict[str, list[Event]] = {}
    for event in site.events:
        if event.position.path in paths:
            found.setdefault(event.position.path, []).append(event)
    return {path: sorted(events, key=lambda event: event.position) for path, events in found.items()}


def _resolves(result: FileResult, site: Site, event_ids: set[str], relative: str) -> bool:
    """Whether a file checked alone has no error, defines the same sources as before, and all it cites and links exists.

    (Links to events left out of the site, as drafts are without `--drafts`, need the whole build to be judged.)
    """
    if any(problem.is_error for problem in result.problems):
        return False
    def unplaced(sources: dict[str, Source]) -> dict[str, Source]:
        return {source_id: replace(source, position=None) for source_id, source in sources.items()}

    defined_before = {source_id: source for source_id, source in site.sources.items() if source.position.path == relative}
    if unplaced(result.sources) != unplaced(defined_before):
        return False
    return all((ref_id in site.sources) if kind in ("source", "cite") else (ref_id in event_ids) for kind, ref_id, *_ in result.links)


def _image_checker(root: Path):
    def check(relative: str) -> str | None:
        try:
            check_image(root / "assets" / relative)
        except ImageProblem as problem:
            return str(problem)
        return None
    return check
