"""Read the site folder: YAML files and Markdown files into position-keeping documents."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from .problems import Position, Problem, cannot_read
from .project import BROKEN_LINK, HIDDEN, NOT_A_FILE, OUTSIDE, UNREADABLE

YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_YAML_HINTS = {
    "mapping values are not allowed": "a value containing ': ' needs quotes, or this line is indented further than the fields beside it",
    "did not find expected key": "check the indentation of this line and the lines above it: the fields of one entry start in the same column",
    "did not find expected '-' indicator": "check the indentation of this line: each field of a list entry lines up with the first, after '- '",
    "expected <block end>": "check the indentation of this line and the lines above it: the fields of one entry start in the same column",
    "found character '\\t' that cannot start any token": "indent with spaces, not tabs",
    "found a tab character": "indent with spaces, not tabs",
    "found undefined alias": "a value starting with '*' needs quotes",
    "found unexpected end of stream": "a quote is never closed",
    "could not find expected ':'": "a field's name is followed by ':'",
    "but found another document": 'a line "---" starts a second document: a data file holds one (take the "---" out)',
}


@dataclass
class Document:
    """One content file: its YAML node tree (whole file or front matter) and any Markdown body."""

    path: str
    lines: list[str]
    root: yaml.Node | None
    line_offset: int = 0
    body: str = ""
    body_line: int = 1

    def position(self, node: yaml.Node) -> Position:
        """Where a node starts, as an editor counts lines and columns."""
        mark = node.start_mark
        return Position(self.path, mark.line + 1 + self.line_offset, mark.column + 1)

    def find(self, token: str, from_line: int, from_col: int = 1) -> Position | None:
        """The first place where `token` is written at or after a 1-based line and column, if it is written as is."""
        col = from_col - 1
        for number in range(max(from_line, 1), len(self.lines) + 1):
            found = self.lines[number - 1].find(token, col)
            if found >= 0:
                return Position(self.path, number, found + 1)
            col = 0
        return None


def content_files(root: Path, inputs: dict[str, str]) -> tuple[list[tuple[str, Path]], list[Problem]]:
    """Every content file with its kind (settings, sources, events, entry, page), in the order they count, from the
    site's `project.input_files`; and the problems of what is not read: links out of the site folder, misplaced files."""
    problems = (links_outside(inputs) + links_to_hidden(inputs) + not_files(inputs) + broken_links(inputs)
                + unreadable_folders(inputs))
    files: list[tuple[str, Path]] = []
    if _is_readable(inputs.get("data/site.yaml")):
        files.append(("settings", root / "data/site.yaml"))
    elif "data/site.yaml" not in inputs:
        problems.append(Problem(Position("data/site.yaml"), "missing: every site needs data/site.yaml with its title and base_url"))
    if _is_readable(inputs.get("data/sources.yaml")):
        files.append(("sources", root / "data/sources.yaml"))
    for kind, folder, suffixes in (("events", "data/events", (".yaml", ".yml")), ("entry", "content/events", (".md",)),
                                   ("page", "content", (".md",))):
        found = [(path, translated_language(path) is not None) for path in _files(inputs, folder, suffixes)]
        files += [(kind, root / path) for path, translated in found if not translated]
        files += [(f"{kind} translation", root / path) for path, translated in found if translated]
    problems += _not_read(inputs, "data", lambda name, is_folder: name in ("site.yaml", "sources.yaml", "events"),
                          "data/ holds site.yaml, sources.yaml and events/")
    problems += _not_read(inputs, "data/events", lambda name, is_folder: not is_folder and name.endswith((".yaml", ".yml")),
                          "events files are data/events/*.yaml")
    problems += _not_read(inputs, "content/events", lambda name, is_folder: not is_folder and name.endswith(".md"),
                          "event entries are content/events/*.md")
    problems += _not_read(inputs, "content", lambda name, is_folder: name == "events" or not is_folder and name.endswith(".md"),
                          "pages are content/*.md")
    return files, problems


_TRANSLATION_NAME = re.compile(r"[^.]+\.([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.(?:md|yaml|yml)")


def translated_language(path: str) -> str | None:
    """The language a file translates its original into, as its name says (`lyon-picket.be.md`); None for an
    original."""
    match = _TRANSLATION_NAME.fullmatch(path.rpartition("/")[2])
    return match[1] if match else None


def original_of(path: str) -> str:
    """The original a translation file translates: `content/events/lyon-picket.md` for `…/lyon-picket.be.md`."""
    name = PurePosixPath(path)
    return name.with_name(f"{name.name.split('.')[0]}{name.suffix}").as_posix()


def links_outside(inputs: dict[str, str]) -> list[Problem]:
    """An error for each link in the site's folders that leads out of the site folder: never read, never published."""
    return [Problem(Position(path), "a link to a file or folder outside the site folder, which is never read nor "
                                    "published: put the file itself in the site folder") for path, line in inputs.items() if line == OUTSIDE]


def links_to_hidden(inputs: dict[str, str]) -> list[Problem]:
    """An error for each link in the site's folders (but hidden ones) that leads to a hidden file or folder of the
    site (.git, .env, .cache): what is hidden holds what is never to be published."""
    return [Problem(Position(path), "a link to a hidden file or folder of the site (its name, or a folder's it is in, "
                                    "starts with a dot), which is never read nor published: put the file itself here")
            for path, line in inputs.items() if line == HIDDEN and not _is_hidden(path)]


def not_files(inputs: dict[str, str]) -> list[Problem]:
    """An error for each named pipe, socket or device in the site's folders (but hidden ones): never read, since
    reading one may never end."""
    return [Problem(Position(path), f"this is {line.removeprefix(NOT_A_FILE)}, not a file, which the build never reads: "
                                    "remove it, or put a file in its place")
            for path, line in inputs.items() if line.startswith(NOT_A_FILE) and not _is_hidden(path)]


def broken_links(inputs: dict[str, str]) -> list[Problem]:
    """A warning for each link in the site's folders (but hidden ones) that leads to no file: it is not read."""
    return [Problem(Position(path), "a link that leads to no file (or round a loop of links), which is never read nor "
                                    "published: remove it, or put the file itself in its place", "warning")
            for path, line in inputs.items() if line == BROKEN_LINK and not _is_hidden(path)]


def _is_hidden(path: str) -> bool:
    """Whether a path from the site folder is, or is in, a hidden file or folder, which the build never reads."""
    return any(part.startswith(".") for part in path.split("/"))


def unreadable_folders(inputs: dict[str, str]) -> list[Problem]:
    """An error for each folder the build reads that cannot be listed: nothing in it can be built. (Any other, in
    data/ or content/, is not read anyway: `_not_read` says so.)"""
    return [Problem(Position(f"{path}/"), "cannot read this folder: nothing in it can be built (check that the user "
                                          "who builds may read and enter it)")
            for path, line in inputs.items() if line == UNREADABLE and _is_read_folder(path)]


def _is_read_folder(path: str) -> bool:
    return path in ("data", "data/events", "content", "content/events") or path.split("/")[0] in ("templates", "assets")


def _is_readable(line: str | None) -> bool:
    """Whether `project.input_files` lists a file that may be read (it exists, and lies in the site folder)."""
    return line is not None and line not in (UNREADABLE, "missing", "seen") and not _reported_apart(line)


def _children(inputs: dict[str, str], folder: str) -> dict[str, bool]:
    """The names of what a folder holds (hidden ones left out), each with whether it is a folder, in name order."""
    prefix = folder + "/"
    children: dict[str, bool] = {}
    for path in inputs:
        if path.startswith(prefix):
            name, _, rest = path[len(prefix):].partition("/")
            if not name.startswith("."):
                children[name] = children.get(name, False) or bool(rest) or inputs[path] in ("missing", "seen", UNREADABLE)
    return dict(sorted(children.items()))


def _not_read(inputs: dict[str, str], folder: str, read: Callable[[str, bool], bool], rule: str) -> list[Problem]:
    """A warning for each file or folder in a content folder that the build never reads, which an editor may
    think published (`x.markdown`, a subfolder, `data/sources.yml`); hidden ones left out."""
    return [Problem(Position(f"{folder}/{name}" + ("/" if is_folder else "")),
                    f"not read: {rule}; rename it, or move it out of {folder}/", "warning")
            for name, is_folder in _children(inputs, folder).items()
            if not read(name, is_folder) and not _reported_apart(inputs.get(f"{folder}/{name}"))]


def _reported_apart(line: str | None) -> bool:
    """Whether `project.input_files` says of a path what has a problem of its own: a link out of the site, to a hidden
    file, or to nothing; a named pipe."""
    return line in (OUTSIDE, HIDDEN, BROKEN_LINK) or (line or "").startswith(NOT_A_FILE)


def _files(inputs: dict[str, str], folder: str, suffixes: tuple[str, ...]) -> list[str]:
    """The files of a folder (not its subfolders) with one of the suffixes, by name; hidden ones left out."""
    return [f"{folder}/{name}" for name, is_folder in _children(inputs, folder).items()
            if not is_folder and name.endswith(suffixes) and _is_readable(inputs[f"{folder}/{name}"])]


def list_assets(inputs: dict[str, str]) -> list[str]:
    """Every file under `assets/` that may be published, as sorted paths relative to it; hidden files left out."""
    return sorted(path.removeprefix("assets/") for path, line in inputs.items()
                  if path.startswith("assets/") and _is_readable(line) and not _is_hidden(path))


def read_document(root: Path, path: Path, markdown: bool) -> tuple[Document | None, list[Problem]]:
    """Read one YAML or Markdown file; a file that cannot be read gives problems and no document."""
    relative = path.relative_to(root).as_posix()
    try:
        raw = path.read_bytes()
    except OSError as error:
        return None, [cannot_read(relative, error)]
    text, problem = _decode(relative, raw)
    if problem:
        return None, [problem]
    if markdown:
        return _read_markdown(relative, text)
    return _read_yaml(relative, text, text.split("\n"), 0)


# Characters that no page or feed may hold: HTML reads them as errors, XML refuses them (one breaks a whole feed
# for its readers' apps). Controls but tab and line breaks, and Unicode's noncharacters; often pasted unseen.
UNPUBLISHABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef"
                           + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17)) + "]")


def unpublishable(character: str) -> str:
    """What an editor is told of a character of `UNPUBLISHABLE`."""
    kind = "an invisible character" if ord(character) < 0xFDD0 else "a character"
    return f"{kind} (U+{ord(character):04X}), which pages and feeds cannot hold"


def _decode(relative: str, raw: bytes) -> tuple[str, Problem | None]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        col = error.start - (before.rfind(b"\n") + 1) + 1
        message = f"this file is not UTF-8 text (byte 0x{raw[error.start]:02x}): save it as UTF-8"
        return "", Problem(Position(relative, line, col), message)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = UNPUBLISHABLE.search(text)
    if found:
        before = text[: found.start()]
        line, col = before.count("\n") + 1, found.start() - (before.rfind("\n") + 1) + 1
        return "", Problem(Position(relative, line, col), f"here is {unpublishable(found.group())}: remove it")
    return text, None


def _read_yaml(relative: str, source: str, lines: list[str], line_offset: int) -> tuple[Document | None, list[Problem]]:
    try:
        root = yaml.compose(source, Loader=YamlLoader)
    except yaml.MarkedYAMLError as error:
        return None, [_yaml_problem(relative, error, line_offset, source)]
    except yaml.YAMLError as error:
        return None, [Problem(Position(relative, line_offset + 1), f"cannot read YAML: {error}")]
    return Document(relative, lines, root, line_offset), []


_CHARACTER_HINTS = {  # for "found character that cannot start any token", by the character found
    "\t": "indent with spaces, not tabs",
    "@": "a value starting with '@' needs quotes",
    "`": "a value starting with '`' needs quotes",
}


def _yaml_problem(relative: str, error: yaml.MarkedYAMLError, line_offset: int, source: str = "") -> Problem:
    mark = error.problem_mark or error.context_mark
    if error.context == "while scanning a simple key" and error.context_mark:
        mark = error.context_mark  # the line that lacks its ':', not the next one, where PyYAML gave up
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    broken = _under_indented_text(relative, source.split("\n"), line - 1, line_offset) if mark else None
    if broken:
        return broken
    opened = _FLOW_OPENINGS.get(error.context or "")
    if opened and error.context_mark:  # PyYAML gives up where the next line starts: the bracket never closed is the mistake
        mark = error.context_mark
        return Problem(Position(relative, mark.line + 1 + line_offset, mark.column + 1),
                       f'YAML syntax: this "{opened[0]}" is never closed: end the {opened[2]} with "{opened[1]}" (or put the '
                       f'value in quotes if the "{opened[0]}" is part of its text)')
    problem = error.problem or "invalid YAML"
    message = f"YAML syntax: {problem}"
    if error.context:
        message += f" ({error.context})"
    hint = next((hint for start, hint in _YAML_HINTS.items() if problem.startswith(start)), None)
    if hint is None and problem.startswith("found character that cannot start any token") and mark:
        lines = source.split("\n")
        found = lines[mark.line][mark.column:mark.column + 1] if mark.line < len(lines) else ""
        hint = _CHARACTER_HINTS.get(found)
    if hint:
        message += f": {hint}"
    return Problem(Position(relative, line + line_offset, col), message)


_FLOW_OPENINGS = {"while parsing a flow sequence": ("[", "]", "list"), "while parsing a flow mapping": ("{", "}", "mapping")}
_TEXT_START = re.compile(r"[ \t]*(?:- +)*(?P<key>[\w-]+):[ \t]+(?P<style>[>|])[1-9+-]{0,2}[ \t]*(?:#.*)?")
_STRUCTURE = re.compile(r"[ \t]*(?:-(?:[ \t]|$)|#|---|\.\.\.|[^\s:#][^:]*:(?:[ \t]|$))")  # an entry, a field, a comment...
_TEXT_KINDS = {">": "folded text", "|": "text"}


def _under_indented_text(relative: str, lines: list[str], error_line: int, line_offset: int) -> Problem | None:
    """The problem of a line that ends the block of text above the 0-based `error_line` too soon, being indented
    less than it, if that is what YAML stumbled on (PyYAML takes the line for a field without ':', on the next)."""
    start = next((number for number in range(min(error_line, len(lines) - 1), -1, -1)
                  if _TEXT_START.fullmatch(lines[number])), None)
    end = _end_of_text(lines, start) if start is not None else None
    if end is None or end > error_line or any(_STRUCTURE.match(line) for line in lines[end:error_line]):
        return None
    opening = _TEXT_START.fullmatch(lines[start])
    message = (f'this line of the {_TEXT_KINDS[opening["style"]]} under "{opening["key"]}" is indented less than '
               "the lines above it: indent it like them (or end the text before it)")
    if "\t" in lines[end][:_indent(lines[end]) + 1]:  # a tab, which YAML never reads as indentation
        message = "this line is indented with a tab, which YAML does not read as indentation: indent with spaces, not tabs"
    return Problem(Position(relative, end + 1 + line_offset, _indent(lines[end]) + 1), message)


def _end_of_text(lines: list[str], start: int) -> int | None:
    """The first line after the block of text opened on line `start` that is indented less than its first line."""
    written = [number for number in range(start + 1, len(lines)) if lines[number].strip()]
    if not written or _indent(lines[written[0]]) <= _indent(lines[start]):
        return None
    text_indent = _indent(lines[written[0]])
    return next((number for number in written if _indent(lines[number]) < text_indent), None)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _read_markdown(relative: str, text: str) -> tuple[Document | None, list[Problem]]:
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        message = "no front matter: start the file with a line '---', then its fields, then a line '---'"
        return None, [Problem(Position(relative, 1, 1), message)]
    closing = next((number for number in range(1, len(lines)) if lines[number].rstrip() in ("---", "...")), None)
    if closing is None:
        message = "front matter is never closed: add a line '---' after its fields"
        return None, [Problem(Position(relative, 1, 1), message)]
    front = "\n".join(lines[1:closing])
    document, problems = _read_yaml(relative, front, lines, 1)
    if document is not None:
        document.body = "\n".join(lines[closing + 1 :]).strip("\n")
        skipped = len(lines[closing + 1 :]) - len("\n".join(lines[closing + 1 :]).lstrip("\n").split("\n"))
        document.body_line = closing + 2 + skipped
    return document, problems
