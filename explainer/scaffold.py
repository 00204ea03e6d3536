"""`new event` and `new translation`: a file with every field an editor fills in."""
from __future__ import annotations

from pathlib import Path

from .dates import parse_when
from .load import original_of, translated_language
from .model import EVENT_WORDS, PAGE_WORDS, Event, Page, Settings, words_digest
from .validate import ID_MAX, slugify

EVENT_TEMPLATE = """---
id: {id}  # the address of its page, /events/<id>/: keep it when the title changes
date: {date}
title: "{title}"
summary: >-
  One or two sentences on what happened, each claim with its source.[@source-id]
place: ""            # optional, e.g. "Warsaw, Poland"
tags: []             # optional, e.g. [Interpol, Diaspora protests]
sources: [source-id] # ids from data/sources.yaml
---
The longer account, if there is one. Cite each claim.[@source-id]
"""


class TitleError(ValueError):
    """A title no entry can be made of: empty, or with nothing to name its file after."""


def new_event(root: Path, title: str, date: str) -> Path:
    """Write `content/events/<id>.md`, whose id is `<date>-<slug of title>`, and return its path (`date` as an event's
    `date` field has it: one date, or a range).

    Raise DateError or TitleError, writing nothing, for a date or a title that cannot be used;
    FileExistsError if the file exists.
    """
    parse_when(date)
    _check_title(title)
    event_id = slugify(f"{date} {title}", ID_MAX)
    path = root / "content" / "events" / f"{event_id}.md"
    if path.exists():
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EVENT_TEMPLATE.format(id=event_id, date=date, title=_quoted(title)), encoding="utf-8")
    return path


def _check_title(title: str) -> None:
    """Raise TitleError for a title that is empty or leaves nothing of itself in the file name."""
    if not title.strip():
        raise TitleError('the title is empty: say what happened, e.g. "Belarusians picket the Interpol office in Warsaw"')
    if not slugify(title):
        raise TitleError(f'the title "{title}" has no letters or digits to name the file after')


def _quoted(title: str) -> str:
    """The title as the inside of a double-quoted YAML string, which reads a backslash as the start of an escape."""
    return title.replace("\\", "\\\\").replace('"', '\\"')


def site_path(root: Path, written: str) -> str:
    """A file named on the command line, as a path from the site folder: as written (less a leading "./"), or, written
    in full, from the site folder on."""
    path = Path(written)
    if path.is_absolute() and path.resolve().is_relative_to(root.resolve()):
        return path.resolve().relative_to(root.resolve()).as_posix()
    return path.as_posix().removeprefix("./")


class TranslationError(ValueError):
    """A translation that cannot be scaffolded: an original that is no event or page, a language the site lacks."""


def new_translation(root: Path, settings: Settings, items: list[Event | Page], original: str, language: str) -> tuple[Path, int, bool]:
    """Write the translation of `original` (a file of the site, relative to it, holding `items`) into `language`
    beside it, its fields empty under the original's text commented out to translate from: the file, how many
    events or pages it gained, and whether it is new. A YAML file of events gains those of its events not yet
    translated; a Markdown file must not exist.

    Raise TranslationError, writing nothing, for an original or a language that cannot be translated.
    """
    languages = [other.code for other in settings.languages]
    if language not in languages:
        raise TranslationError(f'"{language}" is not one of the site\'s other languages ({", ".join(languages) or "none yet"}): '
                               "add it under languages in data/site.yaml first")
    if translated_language(original):
        raise TranslationError(f"{original} is a translation: name the file it translates, {original_of(original)}")
    if not items:
        raise TranslationError(f"{original} holds no event or page of the site to translate (those are content/*.md, "
                               "content/events/*.md and data/events/*.yaml)")
    name = Path(original)
    path = root / name.with_name(f"{name.stem}.{language}{name.suffix}")
    if name.suffix == ".md":
        if path.exists():
            raise FileExistsError(path)
        path.write_text(_markdown_translation(items[0]), encoding="utf-8")
        return path, 1, True
    new = not path.exists()
    done = {(key.rstrip(":")) for key in path.read_text(encoding="utf-8").split("\n") if key and not key[0].isspace()
            and not key.startswith("#")} if path.exists() else set()
    todo = [event for event in items if event.id not in done]
    with path.open("a", encoding="utf-8") as file:
        if not done:
            file.write(f"# The words of the events of {original} in {language}, by their id (see the README).\n")
        for event in todo:
            file.write("\n" + f"{event.id}:\n" + _indented(_fields(event)))
    return path, len(todo), new


def _markdown_translation(item: Event | Page) -> str:
    """A Markdown translation: the fields that are words in its front matter, the body after."""
    body = "\n".join(["<!-- The original, to translate above this comment, then remove:", item.body, "-->"]) if item.body else ""
    return "---\n" + _fields(item, body_apart=True) + "---\n\n" + body + "\n"


def _fields(item: Event | Page, body_apart: bool = False) -> str:
    """`translated_from`, then each word field the original has: its text commented out, an empty field below."""
    lines = [f"translated_from: {words_digest(item)}  # the state of the original this translates"]
    for name in EVENT_WORDS if isinstance(item, Event) else PAGE_WORDS:
        value = getattr(item, name) or ""
        if value and not (name == "body" and body_apart):
            lines += _commented(name, value) + [f'{name}: ""' if name != "body" else "body: |\n  "]
    photos = getattr(item, "photos", ())
    if photos:
        lines.append("photos:")
        for photo in photos:
            lines += ["  " + line for line in _commented("alt", photo.alt) + _commented("caption", photo.caption)]
            lines += ['  - alt: ""', '    caption: ""',
                      f"    # src: {photo.src}  # the original's file: give one of your own if its picture has words in it"]
    if item.updates:
        lines.append("updates:")
        for update in item.updates:
            lines += ["  " + line for line in _commented("text", update.text)] + ['  - text: ""']
    return "\n".join(lines) + "\n"


def _commented(name: str, text: str) -> list[str]:
    return [f"# {name}: {line}" if number == 0 else f"#   {line}".rstrip() for number, line in enumerate(text.split("\n"))]


def _indented(text: str) -> str:
    return "".join(f"  {line}\n" if line else "\n" for line in text.rstrip("\n").split("\n"))
