import datetime as dt

import pytest

from explainer.dates import DateError, PartialDate, Precision, parse_date, parse_time, parse_when


@pytest.mark.parametrize(
    "text, expected, precision",
    [
        ("2021", PartialDate(2021), Precision.YEAR),
        ("2021-10", PartialDate(2021, 10), Precision.MONTH),
        ("2021-11-04", PartialDate(2021, 11, 4), Precision.DAY),
        ("2024-02-29", PartialDate(2024, 2, 29), Precision.DAY),
    ],
)
def test_parse_date_keeps_the_precision_written(text, expected, precision):
    date = parse_date(text)
    assert date == expected
    assert date.precision == precision
    assert date.iso() == text


@pytest.mark.parametrize(
    "text, message",
    [
        ("2021-13-04", 'date "2021-13-04": month must be 1..12'),
        ("2021-02-29", 'date "2021-02-29": day must be 1..28 in February 2021'),
        ("2021-11-31", 'date "2021-11-31": day must be 1..30 in November 2021'),
        ("4 Nov 2021", 'date "4 Nov 2021": write it as YYYY, YYYY-MM or YYYY-MM-DD'),
        ("21-11-04", 'date "21-11-04": write it as YYYY, YYYY-MM or YYYY-MM-DD'),
        ("0000-01-01", 'date "0000-01-01": the first year is 0001 (there is no year 0)'),
        ("0000", 'date "0000": the first year is 0001 (there is no year 0)'),
    ],
)
def test_impossible_dates_say_why(text, message):
    with pytest.raises(DateError) as error:
        parse_date(text)
    assert str(error.value) == message


WRITE_IT = "write it as YYYY, YYYY-MM or YYYY-MM-DD"


@pytest.mark.parametrize("text, message", [
    ("31/10/2021", f'date "31/10/2021": {WRITE_IT}: here 2021-10-31'),
    ("31.10.2021", f'date "31.10.2021": {WRITE_IT}: here 2021-10-31'),
    ("10/31/2021", f'date "10/31/2021": {WRITE_IT}: here 2021-10-31'),
    ("05/10/2021", f'date "05/10/2021": {WRITE_IT}: 2021-10-05 if the day comes first, 2021-05-10 if the month does'),
    ("2021/10/21", f'date "2021/10/21": {WRITE_IT}: here 2021-10-21'),
    ("2021-10-21/", 'date "2021-10-21/": a range has a first and a last date, as "2021-10-21/2021-10-31"; a single date has no "/"'),
    ("/2021-10-31", 'date "/2021-10-31": a range has a first and a last date, as "2021-10-21/2021-10-31"; a single date has no "/"'),
])
def test_a_date_written_another_way_is_quoted_whole_with_the_way_to_write_it(text, message):
    """A "/" also makes a range: a date written with it is still said to be one date, in the order to write it."""
    with pytest.raises(DateError) as error:
        parse_when(text)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "date, end, flags, label, machine",
    [
        ("2021-11-04", None, {}, "4 November 2021", "2021-11-04"),
        ("2021-11", None, {}, "November 2021", "2021-11"),
        ("2021", None, {}, "2021", "2021"),
        ("2021-11-23", "2021-11-25", {}, "23–25 November 2021", "2021-11-23"),
        ("2021-09-30", "2021-10-02", {}, "30 September – 2 October 2021", "2021-09-30"),
        ("2020-12-30", "2021-01-02", {}, "30 December 2020 – 2 January 2021", "2020-12-30"),
        ("2021-10-21/2021-10-31", None, {}, "late October 2021", "2021-10"),
        ("2021-10-01/2021-10-10", None, {}, "early October 2021", "2021-10"),
        ("2021-10-11/2021-10-20", None, {}, "mid October 2021", "2021-10"),
        ("2021-10-15/2021-11-05", None, {}, "between 15 October 2021 and 5 November 2021", "2021"),
        ("2021-12-20/2022-01-10", None, {}, "between 20 December 2021 and 10 January 2022", "2021"),  # bounds apart
        ("2019/2020", None, {"circa": True}, "c. between 2019 and 2020", "2019"),
        ("1994", None, {"circa": True}, "c. 1994", "1994"),
        ("2021-03", None, {"before": True}, "by March 2021", "2021-03"),
        ("2021-03", None, {"after": True}, "after March 2021", "2021-03"),
    ],
)
def test_labels_claim_no_more_than_we_know(date, end, flags, label, machine):
    when = parse_when(date, end, **flags)
    assert when.label() == label
    assert when.machine() == machine


@pytest.mark.parametrize(
    "date, flags, label",
    [
        ("2021-10-21/2021-10-31", {}, "Late October 2021"),
        ("2021-10-01/2021-10-10", {}, "Early October 2021"),
        ("2021-10-11/2021-10-20", {}, "Mid October 2021"),
        ("2021-10-15/2021-11-05", {}, "Between 15 October 2021 and 5 November 2021"),
        ("2021-11-04", {}, "4 November 2021"),
        ("2021-11", {}, "November 2021"),
        ("1993", {"circa": True}, "c. 1993"),
        ("2021-10-21/2021-10-31", {"circa": True}, "c. late October 2021"),
        ("2021-03", {"before": True}, "by March 2021"),
        ("2021-03", {"after": True}, "after March 2021"),
    ],
)
def test_a_label_that_opens_a_line_starts_as_a_sentence_does_but_c_by_and_after_read_as_written(date, flags, label):
    assert parse_when(date, **flags).label(starts_line=True) == label


def test_a_span_cannot_end_less_precisely_than_it_starts():
    with pytest.raises(DateError, match='end "2021-11" is less precise than the date "2021-11-04"'):
        parse_when("2021-11-04", "2021-11")
    assert parse_when("2021-10", "2021-11-15").end == PartialDate(2021, 11, 15)  # "October 2021 – 15 November 2021"


def test_a_span_cannot_end_before_it_starts():
    with pytest.raises(DateError, match='end "2021-11-01" is before the date "2021-11-04"'):
        parse_when("2021-11-04", "2021-11-01")
    with pytest.raises(DateError, match="the range ends before it starts"):
        parse_when("2021-10-31/2021-10-01")


def test_sorting_puts_years_before_months_before_days_and_ranges_by_their_start():
    written = ["2021-10-05", "2021-10", "2021", "2021-10-21/2021-10-31", "2021-10-21", "2020-12-31"]
    ordered = sorted(written, key=lambda text: parse_when(text).sort_key())
    assert ordered == ["2020-12-31", "2021", "2021-10", "2021-10-05", "2021-10-21/2021-10-31", "2021-10-21"]


def test_latest_possible_day_of_a_month_and_a_range():
    assert parse_when("2021-02").latest == dt.date(2021, 2, 28)
    assert parse_when("2021-10-21/2021-10-31").latest == dt.date(2021, 10, 31)
    assert parse_when("2021").latest == dt.date(2021, 12, 31)


@pytest.mark.parametrize("text", ["24:00", "9.30", "11:60", "noon"])
def test_bad_times_are_refused(text):
    with pytest.raises(DateError, match="write it as HH:MM"):
        parse_time(text)


def test_times_read_as_local_time():
    assert parse_time("22:30") == dt.time(22, 30)


def test_a_range_across_years_marks_each_bound_and_reads_as_an_interval_in_data():
    def mark(date, text):
        return f"[{date.iso()}|{text}]"

    across = parse_when("2021-12/2022-01", circa=True)
    assert across.label(mark) == "c. between [2021-12|December 2021] and [2022-01|January 2022]"
    assert across.label() == "c. between December 2021 and January 2022"
    assert (across.bounds_apart, across.iso()) == (True, "2021-12/2022-01")
    within = parse_when("2021-10-15/2021-11-05")  # "2021" is true of it: one value, nothing to mark
    assert (within.bounds_apart, within.label(mark), within.iso()) == (False, "between 15 October 2021 and 5 November 2021", "2021")
