"""`new event`: a Markdown entry with every field an editor fills in."""
from __future__ import annotations

from pathlib import Path

from .dates import parse_date
from .validate import slugify

EVENT_TEMPLATE = """---
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


def new_event(root: Path, title: str, date: str) -> Path:
    """Write `content/events/<date>-<slug>.md` and return its path; raise FileExistsError if it exists."""
    parse_date(date)
    slug = slugify(f"{date} {title}")
    path = root / "content" / "events" / f"{slug}.md"
    if path.exists():
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EVENT_TEMPLATE.format(date=date, title=title.replace('"', '\\"')), encoding="utf-8")
    return path
