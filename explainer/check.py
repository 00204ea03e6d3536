"""Editorial warnings: things that build, but that an editor should look at before publishing."""
from __future__ import annotations

import datetime as dt

from .model import Site
from .problems import Problem


def editorial_warnings(site: Site, today: dt.date) -> list[Problem]:
    """Every warning about a valid site, as of `today`."""
    return _expected_in_the_past(site, today) + _sources_to_complete(site)


def _expected_in_the_past(site: Site, today: dt.date) -> list[Problem]:
    """An `expected` event whose date has passed needs an update, unless one was logged after that date."""
    warnings = []
    for event in site.events:
        if event.status != "expected" or event.when.latest >= today:
            continue
        if any(update.date.first_day > event.when.latest for update in event.updates):
            continue
        message = (f'event "{event.id}": expected for {event.date_text}, which has passed: say what happened '
                   "(change its status) or log an update saying it is still unconfirmed")
        warnings.append(Problem(event.position, message, "warning"))
    return warnings


def _sources_to_complete(site: Site) -> list[Problem]:
    warnings = []
    for source in site.sources.values():
        if source.archive_url is None:
            warnings.append(Problem(source.position, f'source "{source.id}" has no archive_url: add a web-archive copy so readers can check it if the page moves', "warning"))
        if source.date is None:
            warnings.append(Problem(source.position, f'source "{source.id}" has no date', "warning"))
    return warnings
