"""Problems found in content, each with the place an editor must look."""
from __future__ import annotations

import errno
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple


def visible(text: str) -> str:
    """text as a message quotes an id, a reference or an address written in it: each character that shows nothing or
    only a space (pasted unseen from another program: a zero-width space, a soft hyphen, a no-break space) named in
    its place, `<U+200B ZERO WIDTH SPACE>`, so that "paper-one" that is not "paper-one" says why."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(f"<U+{ord(char):04X} {unicodedata.name(char, _CONTROLS.get(char, 'CONTROL CHARACTER'))}>"
                   if unicodedata.category(char) in ("Cf", "Cc", "Zl", "Zp") or (unicodedata.category(char) == "Zs" and char != " ")
                   else char for char in text)


_CONTROLS = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN"}  # Unicode gives control characters no name


def quoted(text: str, longest: int = 100) -> str:
    """text as a message quotes an address or an id it did not write itself: its first `longest` characters, an
    ellipsis for the rest (a 10,000-character anchor made a warning of 20,000), each that shows nothing named."""
    return visible(text if len(text) <= longest else text[:longest] + "…")


class Position(NamedTuple):
    """A 1-based line and column in a file, relative to the site folder (a tuple: cheap to keep by the thousand)."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, printed as `path:line:col: error: message`.

    Severities: `error` stops the build; `warning` should be fixed before publishing (`check
    --strict` makes it an error); `note` suggests an improvement and never blocks. A note of a
    kind there may be many of has a `summary`: what they say together, after their count
    ("sources have no archive_url: ...").
    """

    position: Position
    message: str
    severity: str = "error"
    summary: str = ""

    def __str__(self) -> str:
        return f"{self.position}: {self.severity}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class ContentErrors(Exception):
    """Raised once, after every problem in the content has been found."""

    def __init__(self, problems: list[Problem]) -> None:
        problems = list(dict.fromkeys(problems))  # the same mistake found twice at one place (a YAML alias used again) is one
        super().__init__(f"{len(problems)} problems")
        self.problems = sorted(problems, key=lambda p: (p.position, p.message))

    def __reduce__(self):
        return (ContentErrors, (self.problems,))  # crosses process boundaries whole


def reason(error: OSError) -> str:
    """Why the system refused to read or write a file, as an editor would say it: "permission denied"."""
    if error.errno == errno.ENOSPC:
        return "the disk is full"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileNotFoundError):
        return "it was removed while the build was reading it"
    return (error.strerror or str(error) or type(error).__name__).lower()


def cannot_read(path: str, error: OSError) -> Problem:
    """An input file the system would not let the build read."""
    return Problem(Position(path), f"cannot read this file: {reason(error)}; the build must read every file of the site "
                                   "folder it uses (check the file's permissions)")


SEVERITIES = ("error", "warning", "note")  # the most pressing first
EVERY_NOTE = "check --notes"  # the command that lists the notes a summary stands for


def report_lines(problems: list[Problem], every_note: bool = False) -> list[str]:
    """The problems as printed: errors, then warnings, then notes, each in the order of their files and lines;
    the notes of one summary, when there are several, in one line with their count (unless `every_note`)."""
    ordered = sorted(dict.fromkeys(problems), key=lambda p: (SEVERITIES.index(p.severity), p.position, p.message))
    kinds = {} if every_note else _notes_by_summary(ordered)
    lines = []
    for problem in ordered:
        notes = kinds.get(problem.summary, []) if problem.severity == "note" else []
        if len(notes) < 2:
            lines.append(str(problem))
        elif problem is notes[0]:
            lines.append(_line_for_kind(notes))
    return lines


def _notes_by_summary(problems: list[Problem]) -> dict[str, list[Problem]]:
    kinds: dict[str, list[Problem]] = {}
    for problem in problems:
        if problem.severity == "note" and problem.summary:
            kinds.setdefault(problem.summary, []).append(problem)
    return kinds


def _line_for_kind(notes: list[Problem]) -> str:
    """One line for notes of one kind: `data/sources.yaml: note: 67 sources have no archive_url: ...`, the file
    named when they are all in one."""
    paths = {note.position.path for note in notes}
    where = f"{paths.pop()}: " if len(paths) == 1 else ""
    return f"{where}note: {len(notes)} {notes[0].summary} ({EVERY_NOTE} lists them)"


def summary_line(problems: list[Problem]) -> str:
    """The count printed after the problems: `2 errors`, `1 error, 3 warnings, 2 notes`."""
    counts = {severity: sum(p.severity == severity for p in dict.fromkeys(problems)) for severity in SEVERITIES}
    parts = [f"{count} {severity}{'s' * (count != 1)}" for severity, count in counts.items() if count]
    return ", ".join(parts) or "0 errors"
