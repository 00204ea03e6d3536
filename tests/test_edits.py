"""After any sequence of edits, a build that reuses what earlier builds kept writes exactly what a clean build writes.

Random sequences of edits (what events say, dates, topics, photos, templates, settings, sources, pages, events
added and deleted) are made to a small site, each followed by a build that keeps its caches and output; after
each sequence the output must be byte for byte a clean build's. Half the sequences build as the preview does,
caches kept in memory; one in ten makes the search index too, in shards of a few pages. `EDIT_SEQUENCES` sets how many (default 300), `EDIT_SEED` the first seed.
"""
import hashlib
import io
import os
import random
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from explainer.pipeline import Caches, Project, build

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
SEQUENCES = int(os.environ.get("EDIT_SEQUENCES", "300"))
FIRST_SEED = int(os.environ.get("EDIT_SEED", "0"))
EDITS_PER_SEQUENCE = 4
DATES = ["2021", "2021-10", "2021-10-05", "2021-10-21/2021-10-31", "2021-11-04", "2022-01", "2020-03-15"]
TAGS = ["Interpol", "Diaspora", "Courts", "Łódź", "Лодзь"]
WORDS = "police detained activist court notice picket embassy lawyer appeal release letter".split()


@dataclass
class Event:
    date: str
    title: str
    summary: str
    body: str = ""
    tags: list[str] = field(default_factory=list)
    photo: str | None = None
    related: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)
    in_yaml: bool = False


@dataclass
class State:
    """The whole content of the site, written out as files; an edit changes it, and only changed files are written."""

    title: str = "Test timeline"
    description: str = "A small site."
    sources: dict[str, str] = field(default_factory=lambda: {"s1": "First report", "s2": "Second report"})
    events: dict[str, Event] = field(default_factory=dict)
    about: str = "How this was made.[@s1]"
    intro: str = "An introduction."
    partial: str = "Written by the desk."
    colours: dict[str, tuple[int, int, int]] = field(default_factory=lambda: {"a.jpg": (200, 30, 30), "b.jpg": (30, 30, 200)})
    event_template: str = ""

    def files(self) -> dict[str, bytes]:
        files = {
            "data/site.yaml": f"title: {self.title}\ndescription: {self.description}\nbase_url: https://example.org\n",
            "data/sources.yaml": "".join(f"{key}:\n  title: {title}\n  publisher: Paper\n  url: https://example.com/{key}\n"
                                         for key, title in self.sources.items()),
            "content/about.md": f"---\ntitle: About\n---\n{self.about}\n",
            "content/index.md": f"---\ntitle: Home\n---\n{self.intro}\n",
            "templates/partials/signature.html": f"<p>{self.partial}</p>\n",
            "templates/event.html": self.event_template,
        }
        listed = [(event_id, event) for event_id, event in self.events.items() if event.in_yaml]
        files["data/events/list.yaml"] = "".join(_yaml_event(event_id, event) for event_id, event in listed) or "[]\n"
        for event_id, event in self.events.items():
            if not event.in_yaml:
                files[f"content/events/{event_id}.md"] = _markdown_event(event)
        for name, colour in self.colours.items():
            buffer = io.BytesIO()
            Image.new("RGB", (64, 48), colour).save(buffer, "JPEG", quality=90)
            files[f"assets/images/{name}"] = buffer.getvalue()
        return {path: content.encode() if isinstance(content, str) else content for path, content in files.items()}


def _fields(event: Event) -> list[str]:
    lines = [f"date: {event.date}", f"title: {event.title}", f"summary: {event.summary}", "sources: [s1, s2]"]
    if event.tags:
        lines.append(f"tags: [{', '.join(event.tags)}]")
    if event.photo:
        lines += ["photos:", f"  - src: images/{event.photo}", "    alt: A coloured square", "    credit: Test desk"]
    if event.related:
        lines.append(f"related: [{', '.join(event.related)}]")
    if event.updates:
        lines += ["updates:"] + [f"  - date: 2021-12-0{n + 1}\n    kind: correction\n    text: {text}" for n, text in enumerate(event.updates)]
    return lines


def _yaml_event(event_id: str, event: Event) -> str:
    lines = [f"id: {event_id}", *_fields(event)] + ([f"body: {event.body!r}"] if event.body else [])
    return "- " + "\n  ".join("\n  ".join(line.split("\n")) for line in lines) + "\n"


def _markdown_event(event: Event) -> str:
    return "---\n" + "\n".join(_fields(event)) + f"\n---\n{event.body}\n"


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))).capitalize() + "."


# Edits: each changes the state and keeps the site valid.


def edit_text(state: State, rng: random.Random) -> None:
    event = rng.choice(list(state.events.values()))
    field_name = rng.choice(["title", "summary", "body"])
    if field_name == "title":
        event.title = sentence(rng).rstrip(".")
    elif field_name == "summary":
        event.summary = sentence(rng) + rng.choice(["[@s1]", "[@s2]", ""])
    else:
        others = [event_id for event_id in state.events if state.events[event_id] is not event]
        event.body = sentence(rng) + (f" See [[{rng.choice(others)}]]." if others and rng.random() < 0.5 else "") + "[@s2]"


def edit_date(state: State, rng: random.Random) -> None:
    rng.choice(list(state.events.values())).date = rng.choice(DATES)


def edit_tags(state: State, rng: random.Random) -> None:
    event = rng.choice(list(state.events.values()))
    event.tags = sorted(rng.sample(TAGS[:3], rng.randint(0, 3)))


def edit_photo(state: State, rng: random.Random) -> None:
    if rng.random() < 0.5:
        state.colours[rng.choice(list(state.colours))] = tuple(rng.randrange(256) for _ in range(3))
    else:
        rng.choice(list(state.events.values())).photo = rng.choice([None, *state.colours])


def rename_photo(state: State, rng: random.Random) -> None:
    """A photo's file renamed, its bytes the same (an editor taking a name out of it): every output names it anew."""
    old = rng.choice(list(state.colours))
    new = f"renamed-{rng.randrange(1000)}.jpg"
    state.colours[new] = state.colours.pop(old)
    for event in state.events.values():
        if event.photo == old:
            event.photo = new


def edit_template(state: State, rng: random.Random) -> None:
    if rng.random() < 0.5:
        state.partial = sentence(rng)
    else:
        marker = rng.choice(["", "<!-- a -->", "<!-- b -->"])
        state.event_template = (REPO / "templates" / "event.html").read_text().replace("{% endblock %}", f"{marker}\n{{% endblock %}}")


def edit_settings(state: State, rng: random.Random) -> None:
    if rng.random() < 0.5:
        state.title = rng.choice(["Test timeline", "Another timeline", "A third"])
    else:
        state.description = sentence(rng)


def edit_source(state: State, rng: random.Random) -> None:
    state.sources[rng.choice(list(state.sources))] = sentence(rng).rstrip(".")


def edit_pages(state: State, rng: random.Random) -> None:
    if rng.random() < 0.5:
        state.about = sentence(rng) + "[@s1]"
    else:
        state.intro = sentence(rng) + (f" [[{rng.choice(list(state.events))}]]" if state.events else "")


def add_event(state: State, rng: random.Random) -> None:
    event_id = f"e{len(state.events) + rng.randrange(1000)}"
    if event_id not in state.events:
        state.events[event_id] = Event(rng.choice(DATES), sentence(rng).rstrip("."), sentence(rng) + "[@s1]",
                                       in_yaml=rng.random() < 0.5, tags=[rng.choice(TAGS[:3])])


def delete_event(state: State, rng: random.Random) -> None:
    """Delete an event nothing links to."""
    linked = {event_id for event in state.events.values() for event_id in event.related}
    linked |= {event_id for text in [state.intro, *(event.body for event in state.events.values())]
               for event_id in re.findall(r"\[\[([^\]]+)\]\]", text)}  # "See [[e1]].[@s2]"
    free = [event_id for event_id in state.events if event_id not in linked]
    if len(state.events) > 2 and free:
        del state.events[rng.choice(free)]


def relate(state: State, rng: random.Random) -> None:
    event_id, event = rng.choice(list(state.events.items()))
    others = [other for other in state.events if other != event_id]
    event.related = sorted(rng.sample(others, min(len(others), rng.randint(0, 2))))


def add_update(state: State, rng: random.Random) -> None:
    event = rng.choice(list(state.events.values()))
    event.updates = (event.updates + [sentence(rng) + "[@s1]"])[-3:]


EDITS = [edit_text, edit_date, edit_tags, edit_photo, rename_photo, edit_template, edit_settings, edit_source, edit_pages,
         add_event, delete_event, relate, add_update]


def first_state(rng: random.Random) -> State:
    state = State(event_template=(REPO / "templates" / "event.html").read_text())
    for number in range(6):
        state.events[f"e{number}"] = Event(rng.choice(DATES), f"Event {number}", sentence(rng) + "[@s1]",
                                           body=sentence(rng), in_yaml=number % 2 == 0, tags=[TAGS[number % len(TAGS)]],
                                           photo="a.jpg" if number == 1 else None)
    return state


def write(root: Path, state: State) -> None:
    """Write the state's files, only those whose bytes changed; remove the files it no longer has."""
    files = state.files()
    for path in list((root / "content").rglob("*.md")) + list((root / "data").rglob("*.yaml")):
        if path.relative_to(root).as_posix() not in files:
            path.unlink()
    for relative, content in files.items():
        path = root / relative
        if not path.is_file() or path.read_bytes() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)


def tree(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def theme(tmp_path_factory):
    """The repository's templates and assets, with a partial in a subfolder that every page includes."""
    folder = tmp_path_factory.mktemp("theme")
    shutil.copytree(REPO / "templates", folder / "templates")
    base = folder / "templates" / "base.html"
    base.write_text(base.read_text().replace('<footer class="site-footer">', '{% include "partials/signature.html" %}\n<footer class="site-footer">'))
    for name in ("css", "js"):
        shutil.copytree(REPO / "assets" / name, folder / "assets" / name)
    shutil.copy(REPO / "assets" / "favicon.svg", folder / "assets" / "favicon.svg")
    return folder


@pytest.fixture
def workdir(tmp_path):
    """A folder in memory where the system has one (hundreds of builds write thousands of files), else `tmp_path`."""
    if not Path("/dev/shm").is_dir():
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(dir="/dev/shm", prefix="edits-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("seed", range(FIRST_SEED, FIRST_SEED + SEQUENCES))
def test_after_any_edits_an_incremental_build_equals_a_clean_one(theme, workdir, seed, monkeypatch):
    tmp_path = workdir
    search = seed % 10 == 0
    if search:
        from explainer import search as search_index

        monkeypatch.setattr(search_index, "SHARD_PAGES", 2)
    rng = random.Random(seed)
    root = tmp_path / "site"
    shutil.copytree(theme, root)
    state = first_state(rng)
    write(root, state)
    as_preview = seed % 2 == 1
    project = Project.at(root, root / ".cache" / "preview") if as_preview else Project.at(root)
    caches = Caches.load(project) if as_preview else None
    done = []
    for _ in range(EDITS_PER_SEQUENCE + 1):
        build(project, search=search, drafts=as_preview, caches=caches)
        if caches is not None:
            caches.in_memory = True
        edit = rng.choice(EDITS)
        edit(state, rng)
        done.append(edit.__name__)
        write(root, state)
    build(project, search=search, drafts=as_preview, caches=caches)
    clean = tmp_path / "clean"
    shutil.copytree(root, clean, ignore=shutil.ignore_patterns(".cache", "_site", "._site.*"))
    expected = tree(build(Project.at(clean), search=search, drafts=as_preview).out_dir)
    assert not search or any(path.startswith("pagefind/shards/") for path in expected)
    assert tree(project.out_dir) == expected, f"after {done}"
