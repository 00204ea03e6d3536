"""How problems are printed: one line each, notes of one kind counted in one line."""
from explainer.problems import ContentErrors, Position, Problem, report_lines, summary_line

ARCHIVE = "sources have no archive_url: a web-archive copy lets readers check a page that moves"


def archive_note(source: str, line: int) -> Problem:
    message = f'source "{source}" has no archive_url: a web-archive copy lets readers check it if the page moves'
    return Problem(Position("data/sources.yaml", line), message, "note", summary=ARCHIVE)


def test_notes_of_one_kind_are_one_line_with_their_count_after_every_error_and_warning():
    problems = [archive_note("one", 1), archive_note("two", 7), archive_note("three", 13),
                Problem(Position("data/sources.yaml", 7, 3), 'source "two" has no date: add it', "warning"),
                Problem(Position("data/events/2021.yaml", 4, 9), 'date "2021-13-04": month must be 1..12'),
                Problem(Position("assets/logo.png"), "image used by no event", "warning")]
    assert report_lines(problems) + [summary_line(problems)] == [
        'data/events/2021.yaml:4:9: error: date "2021-13-04": month must be 1..12',
        "assets/logo.png:1:1: warning: image used by no event",
        'data/sources.yaml:7:3: warning: source "two" has no date: add it',
        f"data/sources.yaml: note: 3 {ARCHIVE} (check --notes lists them)",
        "1 error, 2 warnings, 3 notes",
    ]


def test_every_note_is_listed_on_request():
    assert report_lines([archive_note("two", 7), archive_note("one", 1)], every_note=True) == [
        'data/sources.yaml:1:1: note: source "one" has no archive_url: a web-archive copy lets readers check it if the page moves',
        'data/sources.yaml:7:1: note: source "two" has no archive_url: a web-archive copy lets readers check it if the page moves',
    ]


def test_a_note_alone_of_its_kind_is_listed_as_it_is():
    assert report_lines([archive_note("one", 1)]) == [
        'data/sources.yaml:1:1: note: source "one" has no archive_url: a web-archive copy lets readers check it if the page moves',
    ]


def test_each_kind_of_note_has_its_own_line_and_notes_across_files_name_none():
    unsourced = "sentences state a date, number or name with no citation in their paragraph"
    sentences = [Problem(Position(path, line), "this sentence ...", "note", summary=unsourced)
                 for path, line in [("content/events/a.md", 9), ("data/events/2021.yaml", 4)]]
    other = Problem(Position("content/about.md", 2), "a note of no kind", "note")
    assert report_lines([*sentences, archive_note("one", 1), archive_note("two", 7), other]) == [
        "content/about.md:2:1: note: a note of no kind",
        f"note: 2 {unsourced} (check --notes lists them)",
        f"data/sources.yaml: note: 2 {ARCHIVE} (check --notes lists them)",
    ]


def test_warnings_are_listed_one_per_line_even_with_a_summary():
    warnings = [Problem(Position("data/sources.yaml", line), f"warning {line}", "warning", summary="warnings")
                for line in (1, 2)]
    assert report_lines(warnings) == ["data/sources.yaml:1:1: warning: warning 1", "data/sources.yaml:2:1: warning: warning 2"]


def test_the_same_problem_found_twice_at_one_place_is_reported_once():
    tag = Problem(Position("data/events/a.yaml", 12, 6), 'event "a": tags item must be text, not a list')
    field = Problem(Position("data/events/a.yaml", 13, 3), 'event "a": unknown field "i"')
    errors = ContentErrors([tag, field, tag, tag])
    assert errors.problems == [tag, field]
    assert report_lines([tag, field, tag]) == [str(tag), str(field)]
    assert summary_line([tag, field, tag]) == "2 errors"
