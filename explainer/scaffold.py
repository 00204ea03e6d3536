"""`new event`: a Markdown entry with every field an editor fills in."""
from __future__ import annotations

from pathlib import Path

from .dates import parse_date
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
    """Write `content/events/<id>.md`, whose id is `<date>-<slug of title>`, and return its path.

    Raise DateError or TitleError, writing nothing, for a date or a title that cannot be used;
    FileExistsError if the file exists.
    """
    parse_date(date)
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
