"""`new event` and `new translation`: a file with every field an editor fills in."""
from __future__ import annotations

import re
from pathlib import Path

from .dates import parse_when
from .load import UNPUBLISHABLE, original_of, translated_language, unpublishable
from .model import EVENT_WORDS, PAGE_WORDS, Event, Page, Settings, words_digest
from .problems import reason
from .project import is_inside
from .validate import ID_MAX, slugify
from .write import BuildError

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

    Raise DateError or TitleError, writing nothing, for a date or a title that cannot be used; FileExistsError, naming
    the file from the site folder, if anything is at its path (a file, or a link, which is never followed); BuildError
    if content/events is no folder of the site or cannot be written.
    """
    parse_when(date)
    _check_title(title)
    event_id = slugify(f"{date} {title}", ID_MAX)
    path = _events_folder(root) / f"{event_id}.md"
    _write_new(root, path, EVENT_TEMPLATE.format(id=event_id, date=date, title=_quoted(title)))
    return path


# What YAML and the front matter's reader take for the end of a line: in a title, the rest would become other fields.
LINE_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")
NOT_TEXT = re.compile("[\ud800-\udfff]")  # bytes that are not UTF-8, as Python reads them from a command line


def _check_title(title: str) -> None:
    """Raise TitleError for a title that is empty, is not one line of text a page can hold, or leaves nothing of itself
    in the file name."""
    if not title.strip():
        raise TitleError('the title is empty: say what happened, e.g. "Belarusians picket the Interpol office in Warsaw"')
    if LINE_BREAKS.search(title):
        raise TitleError("the title has a line break: give it on one line")
    not_text = NOT_TEXT.search(title)
    if not_text:
        raise TitleError(f"the title is not UTF-8 text ({_byte(not_text.group())}): set the terminal to UTF-8 and type it again")
    unfit = UNPUBLISHABLE.search(title)
    if unfit:
        raise TitleError(f"the title has {unpublishable(unfit.group())}: remove it")
    if not slugify(title):
        raise TitleError(f'the title "{title}" has no letters or digits to name the file after')


def _byte(character: str) -> str:
    """The byte a command line gave that Python could not read as UTF-8 (it keeps it as a lone surrogate)."""
    code = ord(character) - 0xDC00
    return f"byte 0x{code:02x}" if 0x80 <= code <= 0xFF else f"U+{ord(character):04X}"


def _quoted(title: str) -> str:
    """The title as the inside of a double-quoted YAML string, which reads a backslash as the start of an escape (a
    title holds no line break nor control character: `_check_title`)."""
    return title.replace("\\", "\\\\").replace('"', '\\"')


def _events_folder(root: Path) -> Path:
    """content/events/, made if missing; BuildError if it or content/ is no folder of the site, where a new event
    would be read."""
    folder = root / "content" / "events"
    for part in (folder.parent, folder):
        kind = _unlike_a_folder(part, root)
        if kind:
            where = "that folder" if part == folder else "content/events/"
            raise BuildError(f"{_from_root(part, root)} is {kind}: move it aside; new events are written in {where}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BuildError(f"cannot make content/events/: {reason(error)}") from None
    return folder


def _unlike_a_folder(path: Path, root: Path) -> str | None:
    """What a path of the site is instead of the folder it must be, or None if it is one or is not there yet."""
    if path.is_symlink() and not path.exists():
        return "a link to nothing, not a folder"
    if path.exists() and not path.is_dir():
        return "a file, not a folder"
    if path.exists() and not path.resolve().is_relative_to(root.resolve()):
        return "a link to a folder outside the site folder, which is never read"
    return None


def _write_new(root: Path, path: Path, text: str) -> None:
    """Write a file that must not exist: made by exclusive creation, which fails on any path there (a link to nowhere
    included, never followed out of the site)."""
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise FileExistsError(_from_root(path, root)) from None
    except OSError as error:
        raise BuildError(f"cannot write {_from_root(path, root)}: {reason(error)}") from None


def _from_root(path: Path, root: Path) -> str:
    """A path under the site folder as the editor sees it from there."""
    return path.relative_to(root).as_posix()


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
        _write_new(root, path, _markdown_translation(items[0]))
        return path, 1, True
    if path.is_symlink() and not is_inside(path, root):
        raise BuildError(f"{_from_root(path, root)} is a link to a file outside the site folder, which is never read nor "
                         "written: put the file itself in the site folder")
    new = not path.exists()
    done = {(key.rstrip(":")) for key in path.read_text(encoding="utf-8").split("\n") if key and not key[0].isspace()
            and not key.startswith("#")} if not new else set()
    todo = [event for event in items if event.id not in done]
    text = "" if done else f"# The words of the events of {original} in {language}, by their id (see the README).\n"
    text += "".join("\n" + f"{event.id}:\n" + _indented(_fields(event)) for event in todo)
    if new:
        _write_new(root, path, text)
    else:
        with path.open("a", encoding="utf-8") as file:
            file.write(text)
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
