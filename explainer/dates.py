"""Dates of uncertain precision: parsing, honest labels, machine values and sort keys.

A label is composed in the reader's language by `DateWords`: month names come from Babel's
CLDR data for the locale, and every pattern and phrase ("d MMMM y", "late {month}", "c.
{date}") from the language's catalogue of the templates' words, so that a language can put
a date in the case its phrase needs ("канец {month_genitive}"). English is the catalogue's
own words.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

_DATE_RE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")


class Precision(IntEnum):
    """How much of a date was written; coarser sorts first."""

    YEAR = 0
    MONTH = 1
    DAY = 2


class DateError(ValueError):
    """A date an editor wrote that cannot be read; the message says why."""


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        if self.month is not None:
            return Precision.MONTH
        return Precision.YEAR

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def last_day(self) -> dt.date:
        if self.day is not None:
            return self.first_day
        month = self.month or 12
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def iso(self) -> str:
        """The date as written, for `<time datetime>`: 2021, 2021-10 or 2021-10-04."""
        parts = [f"{self.year:04d}"]
        if self.month is not None:
            parts.append(f"{self.month:02d}")
        if self.day is not None:
            parts.append(f"{self.day:02d}")
        return "-".join(parts)

    def label(self, words: DateWords | None = None, *, genitive: bool = False) -> str:
        """The date as a reader reads it: 2021, October 2021 or 4 October 2021 (in `words`' language; `genitive`:
        in the form a phrase such as "after {date}" needs, where the language has one)."""
        return (words or ENGLISH).date(self, genitive=genitive)


def parse_date(text: str) -> PartialDate:
    """Read `2021`, `2021-10` or `2021-10-04`, keeping the precision written."""
    match = _DATE_RE.fullmatch(text.strip())
    if not match:
        raise DateError(f'date "{text}": write it as YYYY, YYYY-MM or YYYY-MM-DD{_written_in_order(text)}')
    year, month, day = (int(part) if part else None for part in match.groups())
    if year == 0:
        raise DateError(f'date "{text}": the first year is 0001 (there is no year 0)')
    if month is not None and not 1 <= month <= 12:
        raise DateError(f'date "{text}": month must be 1..12')
    if day is not None:
        days_in_month = calendar.monthrange(year, month)[1]
        if not 1 <= day <= days_in_month:
            raise DateError(
                f'date "{text}": day must be 1..{days_in_month} in {calendar.month_name[month]} {year}'
            )
    return PartialDate(year, month, day)


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})[./](\d{1,2})[./](\d{1,2})")


def _written_in_order(text: str) -> str:
    """For a date written day, month, year (31/10/2021, 31.10.2021): the same in the order to write it, as the end of
    a message; else nothing. Where either number could be the month, both readings."""
    year_first = _YEAR_MONTH_DAY.fullmatch(text.strip())
    if year_first:
        return f": here {year_first[1]}-{int(year_first[2]):02d}-{int(year_first[3]):02d}"
    match = _DAY_MONTH_YEAR.fullmatch(text.strip())
    if not match:
        return ""
    first, second, year = int(match[1]), int(match[2]), match[3]
    if first <= 12 and second <= 12 and first != second:
        return (f": {year}-{second:02d}-{first:02d} if the day comes first, {year}-{first:02d}-{second:02d} if the "
                "month does")
    day, month = (first, second) if second <= 12 else (second, first)
    return f": here {year}-{month:02d}-{day:02d}"


def parse_time(text: str) -> dt.time:
    """Read a local time of day written as HH:MM."""
    match = _TIME_RE.fullmatch(text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise DateError(f'time "{text}": write it as HH:MM, 00:00 to 23:59')
    return dt.time(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class When:
    """When an event happened, as precisely as we know and no more.

    `end` is the last day of a span (it lasted from start to end); `is_range` means the
    event happened once, somewhere between start and end ("late October").
    """

    start: PartialDate
    end: PartialDate | None = None
    is_range: bool = False
    circa: bool = False
    before: bool = False
    after: bool = False

    @property
    def precision(self) -> Precision:
        return self.start.precision

    @property
    def earliest(self) -> dt.date:
        return self.start.first_day

    @property
    def latest(self) -> dt.date:
        return (self.end or self.start).last_day

    def sort_key(self) -> tuple[dt.date, int]:
        """Earliest possible day first, then coarser precision first (a month before its days)."""
        rank = self.precision
        if self.is_range:
            rank = Precision.MONTH  # a range is vaguer than a day, finer than its month
        return (self.earliest, int(rank) * 2 + (1 if self.is_range else 0))

    def machine(self) -> str:
        """A valid HTML `datetime` value that claims no more precision than we have, unless `bounds_apart`: then
        no single value is true, and this is the first year (its bounds each get a value of their own, see `label`)."""
        if self.is_range:
            return _common_prefix(self.start, self.end or self.start)
        return self.start.iso()

    @property
    def bounds_apart(self) -> bool:
        """A range of uncertainty across years: no one `datetime` value holds what we know."""
        return self.is_range and self.end is not None and self.start.year != self.end.year

    def iso(self) -> str:
        """ISO 8601 for data feeds: `machine`, or an interval ("2021-12/2022-01") when `bounds_apart`."""
        return f"{self.start.iso()}/{self.end.iso()}" if self.bounds_apart else self.machine()

    def label(self, mark: Callable[[PartialDate, str], str] | None = None, *, starts_line: bool = False,
              words: DateWords | None = None) -> str:
        """The date as it reads on the page, in `words`' language: honest about what we do not know.

        `mark(date, text)`, if given, returns what stands for the text of each date of a range
        that `machine` cannot express as one value (an HTML element, say). With `starts_line`,
        the label opens a line: "Late October 2021"; "c.", "by" and "after" read as they are.
        """
        words = words or ENGLISH
        if not (self.circa or self.before or self.after):
            text = self._plain_label(mark, words, genitive=False)
            return text[:1].upper() + text[1:] if starts_line else text
        values = {"date": self._plain_label(mark, words, genitive=False),
                  "date_genitive": self._plain_label(mark, words, genitive=True)}
        if self.circa:
            return words.phrase(_n("c. {date}"), **values)
        if self.before:
            return words.phrase(_n("by {date}"), **values)
        return words.phrase(_n("after {date}"), **values)

    def _plain_label(self, mark: Callable[[PartialDate, str], str] | None, words: DateWords, genitive: bool) -> str:
        end = self.end
        if end is None or end == self.start:
            return words.date(self.start, genitive=genitive)
        if self.is_range:
            return _range_label(self.start, end, mark if self.bounds_apart else None, words)
        return _span_label(self.start, end, words)


def _n(message: str) -> str:
    """A message of the catalogue, marked for extraction (`pybabel extract` finds `_n`)."""
    return message


# The patterns of dates (Unicode LDML, as Babel formats them): "MMMM" is the month as a date writes it (in Belarusian,
# in the genitive: "4 лістапада"), "LLLL" as it stands alone (the nominative: "лістапад 2021").
DAY = _n("d MMMM y")
DAY_NO_YEAR = _n("d MMMM")
DAY_NUMBER = _n("d")
MONTH = _n("LLLL y")
MONTH_GENITIVE = _n("MMMM y")
MONTH_NO_YEAR = _n("LLLL")
YEAR = _n("y")


class DateWords:
    """How dates read in one language: Babel's month names for `locale`, and the patterns and phrases of the
    language's catalogue through `gettext` (which returns a message as it is where the catalogue has none)."""

    def __init__(self, locale: str = "en", gettext: Callable[[str], str] | None = None) -> None:
        self.locale = locale
        self.gettext = gettext or (lambda message: message)
        self._formatted: dict[tuple[dt.date, str], str] = {}  # a site shows the same months and days again and again

    def format(self, day: dt.date, pattern: str) -> str:
        formatted = self._formatted.get((day, pattern))
        if formatted is None:
            from babel.dates import format_date  # only once a date is shown: validation needs none

            formatted = self._formatted[day, pattern] = format_date(day, self.gettext(pattern), locale=self.locale)
        return formatted

    def date(self, date: PartialDate, *, genitive: bool = False) -> str:
        """A date known to the day, the month or the year."""
        if date.day is not None:
            return self.format(date.first_day, DAY)
        if date.month is not None:
            return self.format(date.first_day, MONTH_GENITIVE if genitive else MONTH)
        return self.format(date.first_day, YEAR)

    def month_name(self, month: int) -> str:
        """A month's name as it stands alone: "January"."""
        return self.format(dt.date(2000, month, 1), MONTH_NO_YEAR)

    def phrase(self, message: str, **values: str) -> str:
        """A phrase of the catalogue with its places filled: "late {month}" -> "late October 2021"."""
        return self.gettext(message).format(**values)


ENGLISH = DateWords()


def parse_when(
    date: str, end: str | None = None, *, circa: bool = False, before: bool = False, after: bool = False
) -> When:
    """Read an event's `date` (or `A/B` range) and optional `end` into a When."""
    if "/" in date and (_DAY_MONTH_YEAR.fullmatch(date.strip()) or _YEAR_MONTH_DAY.fullmatch(date.strip())):
        parse_date(date)  # one date written with "/": said as such, not read as a range
    if "/" in date:
        if end is not None:
            raise DateError(f'date "{date}" is a range: it cannot also have an end')
        first_text, _, last_text = date.partition("/")
        if not first_text.strip() or not last_text.strip():
            raise DateError(f'date "{date}": a range has a first and a last date, as "2021-10-21/2021-10-31"; '
                            "a single date has no \"/\"")
        start, last = parse_date(first_text), parse_date(last_text)
        if last.last_day < start.first_day:
            raise DateError(f'date "{date}": the range ends before it starts')
        return When(start, last, is_range=True, circa=circa, before=before, after=after)
    start = parse_date(date)
    last = _parse_end(end) if end is not None else None
    if last is not None and last.last_day < start.first_day:
        raise DateError(f'end "{end}" is before the date "{date}"')
    if last is not None and last.precision < start.precision:
        raise DateError(f'end "{end}" is less precise than the date "{date}": write the end to the '
                        f'{start.precision.name.lower()} too, or the date as "{start.iso()[:len(last.iso())]}"')
    if before and after:
        raise DateError("an event cannot be both before and after its date: keep one")
    return When(start, last, circa=circa, before=before, after=after)


def _parse_end(text: str) -> PartialDate:
    """An event's `end`, its errors naming it as such."""
    if "/" in text:
        raise DateError(f'end "{text}" must be one date: a range goes in date, as "2021-10-21/2021-10-31"')
    try:
        return parse_date(text)
    except DateError as error:
        raise DateError("end" + str(error).removeprefix("date")) from None


def _common_prefix(start: PartialDate, end: PartialDate) -> str:
    if start.year != end.year:
        return f"{start.year:04d}"
    if start.month is None or start.month != end.month:
        return f"{start.year:04d}"
    return f"{start.year:04d}-{start.month:02d}"


def _range_label(start: PartialDate, end: PartialDate, mark: Callable[[PartialDate, str], str] | None, words: DateWords) -> str:
    same_month = start.year == end.year and start.month == end.month and start.month is not None
    if same_month and start.day is not None and end.day is not None:
        part = _part_of_month(start.day, end.day, calendar.monthrange(start.year, start.month)[1])
        if part:
            month = PartialDate(start.year, start.month)
            return words.phrase(part, month=words.date(month), month_genitive=words.date(month, genitive=True))
    shown = mark or (lambda date, text: text)
    return words.phrase(_n("between {first} and {last}"),
                        first=shown(start, words.date(start)), last=shown(end, words.date(end)),
                        first_genitive=shown(start, words.date(start, genitive=True)),
                        last_genitive=shown(end, words.date(end, genitive=True)))


def _part_of_month(first: int, last: int, days: int) -> str | None:
    """Early (1-10), mid (11-20) or late (21-end), as a phrase, when the range sits inside one of them."""
    if first == 1 and last == days:
        return None
    if last <= 10:
        return _n("early {month}")
    if first >= 11 and last <= 20:
        return _n("mid {month}")
    if first >= 21:
        return _n("late {month}")
    return None


def _span_label(start: PartialDate, end: PartialDate, words: DateWords) -> str:
    together = _n("{first}–{last}")  # one date shared: "23–25 November 2021", "September–November 2021"
    apart = _n("{first} – {last}")  # two dates: "30 October – 2 November 2021"
    if start.precision == end.precision == Precision.DAY:
        if start.year == end.year and start.month == end.month:
            return words.phrase(together, first=words.format(start.first_day, DAY_NUMBER), last=words.date(end))
        if start.year == end.year:
            return words.phrase(apart, first=words.format(start.first_day, DAY_NO_YEAR), last=words.date(end))
    if start.precision == end.precision == Precision.MONTH and start.year == end.year:
        return words.phrase(together, first=words.format(start.first_day, MONTH_NO_YEAR), last=words.date(end))
    if start.precision == end.precision == Precision.YEAR:
        return words.phrase(_n("{first_year}–{last_year}"), first_year=str(start.year), last_year=str(end.year))
    return words.phrase(apart, first=words.date(start), last=words.date(end))
