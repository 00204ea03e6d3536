"""Validation: every mistake an editor can make, with its message, file, line and column."""
import textwrap

import pytest

from explainer.validate import slugify

from conftest import BASE_FILES, problem_lines, site_of, write_files

EVENT = textwrap.dedent("""\
    - id: warsaw-picket
      date: 2021-11-04
      title: Picket in Warsaw
      summary: People picket.[@paper-one]
      sources: [paper-one]
    """)


def a_png(size: tuple[int, int] = (8, 8)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size).save(buffer, "PNG")
    return buffer.getvalue()


def a_gif(frames: int) -> bytes:
    import io

    from PIL import Image

    buffer, pictures = io.BytesIO(), [Image.new("RGB", (40, 30), (40 * number, 0, 0)) for number in range(frames)]
    pictures[0].save(buffer, "GIF", save_all=True, append_images=pictures[1:], duration=200, loop=0)
    return buffer.getvalue()


def events_yaml(text: str) -> dict:
    return {"data/events/2021.yaml": text}


def test_a_valid_site_has_no_problems(make_site):
    assert problem_lines(make_site(events_yaml(EVENT))) == []


def test_yaml_implicit_types_do_not_leak(make_site):
    root = make_site(events_yaml(EVENT + "  place: no\n  tags: [yes, 1.0, null, 2021-11-04]\n"))
    site, problems = site_of(root)
    event = site.events[0]
    assert event.place == "no"
    assert event.tags == ("yes", "1.0", "null", "2021-11-04")
    assert problems == []


def test_missing_and_wrongly_typed_fields(make_site):
    root = make_site(events_yaml("""\
        - id: warsaw-picket
          date: 2021-11-04
          title: [Picket, in Warsaw]
          sources: paper-one
          draft: maybe
        """))
    assert problem_lines(root) == [
        'data/events/2021.yaml:1:3: error: event "warsaw-picket": missing required field "summary"',
        'data/events/2021.yaml:3:10: error: event "warsaw-picket": title must be text, not a list',
        'data/events/2021.yaml:5:10: error: event "warsaw-picket": draft must be true or false, not "maybe"',
    ]


def test_unknown_fields_suggest_the_right_name(make_site):
    root = make_site(events_yaml(EVENT + "  palce: Warsaw\n  colour: red\n"))
    assert problem_lines(root) == [
        'data/events/2021.yaml:6:3: error: event "warsaw-picket": unknown field "palce" (did you mean "place"?)',
        'data/events/2021.yaml:7:3: error: event "warsaw-picket": unknown field "colour"',
    ]


def test_impossible_dates_point_at_the_value(make_site):
    root = make_site(events_yaml(EVENT.replace("2021-11-04", "2021-13-04")))
    assert problem_lines(root) == ['data/events/2021.yaml:2:9: error: date "2021-13-04": month must be 1..12']


def test_markdown_entry_positions_count_the_front_matter_fence(make_site):
    root = make_site({"content/events/paris.md": "---\ndate: 2021-02-30\ntitle: Paris\nsummary: x[@paper-one]\nsources: [paper-one]\n---\nBody\n"})
    assert problem_lines(root) == ['content/events/paris.md:2:7: error: date "2021-02-30": day must be 1..28 in February 2021']


def test_yaml_syntax_errors_have_a_position_and_a_hint(make_site):
    root = make_site(events_yaml("- id: x\n  title: Lyon: the picket\n"))
    assert problem_lines(root) == [
        "data/events/2021.yaml:2:14: error: YAML syntax: mapping values are not allowed in this context: "
        "a value containing ': ' needs quotes, or this line is indented further than the fields beside it"
    ]


@pytest.mark.parametrize("files, line", [
    (events_yaml("- id: x\n  date: 2021\n  tags: [Interpol, Protests\n  title: X\n"),
     'data/events/2021.yaml:3:9: error: YAML syntax: this "[" is never closed: end the list with "]" (or put the value in '
     'quotes if the "[" is part of its text)'),
    ({"content/events/x.md": "---\ndate: 2021\ntitle: {X\nsummary: Y\n---\n"},
     'content/events/x.md:3:8: error: YAML syntax: this "{" is never closed: end the mapping with "}" (or put the value in '
     'quotes if the "{" is part of its text)'),
])
def test_a_bracket_never_closed_is_reported_where_it_opens(make_site, files, line):
    """PyYAML finds it out on the next line, which has nothing wrong."""
    assert problem_lines(make_site(files)) == [line]


def test_a_second_document_in_a_data_file_says_to_take_the_fence_out(make_site):
    root = make_site(events_yaml(EVENT + "---\n" + EVENT.replace("warsaw-picket", "other")))
    assert problem_lines(root) == [
        "data/events/2021.yaml:6:1: error: YAML syntax: but found another document (expected a single document in the "
        'stream): a line "---" starts a second document: a data file holds one (take the "---" out)']


def test_a_field_indented_too_little_is_explained_as_indentation(make_site):
    root = make_site(events_yaml("- id: x\n  date: 2021\n title: y\n  summary: z\n"))
    assert problem_lines(root) == [
        "data/events/2021.yaml:3:2: error: YAML syntax: did not find expected '-' indicator (while parsing a block collection): "
        "check the indentation of this line: each field of a list entry lines up with the first, after '- '"
    ]



def test_a_source_field_indented_too_little_is_explained_as_indentation(make_site):
    root = make_site({"data/sources.yaml": 'paper-one:\n title: "Paper"\n  publisher: P\n  url: https://example.org/\n'})
    assert problem_lines(root) == [
        "data/sources.yaml:3:3: error: YAML syntax: did not find expected key (while parsing a block mapping): "
        "check the indentation of this line and the lines above it: the fields of one entry start in the same column"
    ]


UNDER_INDENTED = ('this line of the folded text under "summary" is indented less than the lines above it: '
                  "indent it like them (or end the text before it)")


def test_a_line_of_folded_text_indented_like_its_field_is_reported_on_that_line(make_site):
    summary = "  summary: >-\n    People picket the office\n  of Interpol.[@paper-one]\n"
    root = make_site(events_yaml(EVENT.replace("  summary: People picket.[@paper-one]\n", summary)))
    assert problem_lines(root) == [f"data/events/2021.yaml:6:3: error: {UNDER_INDENTED}"]


@pytest.mark.parametrize("indent", [" ", "   "])
def test_a_line_of_folded_text_indented_less_than_its_first_is_reported_on_that_line(make_site, indent):
    summary = f"  summary: >-\n    People picket the office\n{indent}of Interpol.[@paper-one]\n"
    root = make_site(events_yaml(EVENT.replace("  summary: People picket.[@paper-one]\n", summary)))
    assert problem_lines(root) == [f"data/events/2021.yaml:6:{len(indent) + 1}: error: {UNDER_INDENTED}"]


def test_a_line_of_text_in_front_matter_indented_too_little_counts_the_opening_fence(make_site):
    entry = ("---\ndate: 2021-11-04\ntitle: Paris\nsummary: >-\n  People picket\nthe office.[@paper-one]\n"
             "sources: [paper-one]\n---\nBody\n")
    root = make_site({"content/events/paris.md": entry})
    assert problem_lines(root) == [f"content/events/paris.md:6:1: error: {UNDER_INDENTED}"]


def test_a_field_without_its_colon_after_folded_text_is_reported_on_its_own_line(make_site):
    summary = "  summary: >-\n    People picket.[@paper-one]\n  place: Warsaw\n  tags Interpol\n"
    root = make_site(events_yaml(EVENT.replace("  summary: People picket.[@paper-one]\n", summary)))
    assert problem_lines(root) == [
        "data/events/2021.yaml:7:3: error: YAML syntax: could not find expected ':' (while scanning a simple key): "
        "a field's name is followed by ':'"
    ]


def test_a_line_of_literal_text_indented_too_little_is_reported_on_that_line(make_site):
    body = "  body: |\n    People picket.\n\n  More people.\n"
    root = make_site(events_yaml(EVENT + body))
    assert problem_lines(root) == [
        'data/events/2021.yaml:9:3: error: this line of the text under "body" is indented less than the lines above it: '
        "indent it like them (or end the text before it)"
    ]


def test_a_file_that_cannot_be_read_does_not_make_every_link_to_it_an_error_too(make_site):
    linking = "- id: y\n  date: 2021\n  title: Y\n  summary: See [[x]].[@paper-one]\n  sources: [paper-one]\n  related: [x]\n"
    broken = {"data/events/2020.yaml": "- id: x\n  date: 2020\n   title: X\n", "data/events/2021.yaml": linking}
    assert problem_lines(make_site(broken)) == [
        "data/events/2020.yaml:3:9: error: YAML syntax: mapping values are not allowed in this context: "
        "a value containing ': ' needs quotes, or this line is indented further than the fields beside it"
    ]


@pytest.mark.parametrize("sources", ["", "# none yet\n", "{}\n", None])
def test_a_missing_or_empty_sources_file_is_one_error_not_one_at_every_citation(make_site, sources):
    cites = "".join(f"- id: e{n}\n  date: 2021\n  title: E{n}\n  summary: Said.[@paper-one]\n  sources: [paper-one]\n"
                    for n in range(3))
    root = make_site({"data/events/2021.yaml": cites, **({} if sources is None else {"data/sources.yaml": sources})}, base=False)
    if sources is None:
        (root / "data" / "sources.yaml").unlink(missing_ok=True)
    write_files(root, {"data/site.yaml": BASE_FILES["data/site.yaml"]})
    said = "missing" if sources is None else "no source is defined here"
    assert problem_lines(root) == [
        f"data/sources.yaml:1:1: error: {said}, yet 6 citations and sources lists name a source (the first at "
        "data/events/2021.yaml:4:17): each source is an entry of this file, its id then its title, publisher, url and date "
        "(see the README)"]


def test_tabs_in_yaml_are_explained(make_site):
    root = make_site(events_yaml("- id: x\n\ttitle: y\n"))
    [line] = problem_lines(root)
    assert line.startswith("data/events/2021.yaml:2:1: error: YAML syntax:")
    assert line.endswith("indent with spaces, not tabs")


def test_a_tab_after_folded_text_is_explained_as_a_tab(make_site):
    """YAML reads the tab's line as more of the text, indented too little: the tab is what to fix."""
    entry = "---\ndate: 2021\ntitle: X\nsummary: >-\n  People picket.[@paper-one]\n\tplace: Lyon\nsources: [paper-one]\n---\n"
    assert problem_lines(make_site({"content/events/x.md": entry})) == [
        "content/events/x.md:6:1: error: this line is indented with a tab, which YAML does not read as indentation: "
        "indent with spaces, not tabs"]


def test_a_relative_link_in_markdown_is_a_warning_where_it_is_written(make_site):
    """A summary shows on the event's page, the home page, lists and feeds: "../x/" leads somewhere else from each."""
    page = ("---\ntitle: About\n---\nSee [the list](../sources/), ![a map](map.png) and [ref][1].\n\n"
            "[1]: other/page.html\n\nFine: [root](/sources/), [here](#notes), [mail](mailto:a@b.org), [[x]] and `[c](y)`.\n")
    entry = "---\ndate: 2021\ntitle: X\nsummary: Said, see [it](nope.html).[@paper-one]\nsources: [paper-one]\n---\n"
    relative = ('is relative: from each page that shows this text it leads somewhere else; link an event with '
                '[[event-id]], and anything else of the site from its root, as "/sources/"')
    assert problem_lines(make_site({"content/about.md": page, "content/events/x.md": entry})) == [
        f'content/about.md:4:16: warning: page "about": link "../sources/" {relative}',
        f'content/about.md:4:39: warning: page "about": link "map.png" {relative}',
        f'content/about.md:6:6: warning: page "about": link "other/page.html" {relative}',
        f'content/events/x.md:4:25: warning: event "x": link "nope.html" {relative}',
    ]


def test_duplicate_ids_name_both_places(make_site):
    root = make_site({
        **events_yaml(EVENT),
        "content/events/warsaw-picket.md": "---\ndate: 2021-11-04\ntitle: Again\nsummary: x[@paper-one]\nsources: [paper-one]\n---\n",
    })
    assert problem_lines(root) == [
        'content/events/warsaw-picket.md:2:1: error: event id "warsaw-picket" is already used as an id at data/events/2021.yaml:1:3'
    ]


def test_unknown_source_and_event_references(make_site):
    root = make_site(events_yaml("""\
        - id: warsaw-picket
          date: 2021-11-04
          title: Picket in Warsaw
          summary: People picket.[@paper-onee]
          body: |
            First line.

            See [[lyon-pikcet]] and [[lyon-picket]].
          sources: [paper-one, paper-two]
          related: [nowhere]
        - id: lyon-picket
          date: 2021-10-03
          title: Picket in Lyon
          summary: People picket in Lyon.[@paper-one]
          sources: [paper-one]
        """))
    assert problem_lines(root) == [
        'data/events/2021.yaml:4:26: error: event "warsaw-picket": unknown source "paper-onee": not in data/sources.yaml (did you mean "paper-one"?)',
        'data/events/2021.yaml:8:9: error: event "warsaw-picket": unknown event "lyon-pikcet" (did you mean "lyon-picket"?)',
        'data/events/2021.yaml:9:24: error: event "warsaw-picket": unknown source "paper-two": not in data/sources.yaml (did you mean "paper-one"?)',
        'data/events/2021.yaml:10:13: error: event "warsaw-picket": unknown event "nowhere"',
    ]


def test_citation_in_a_narrative_page_body_points_at_its_line(make_site):
    root = make_site({"content/about.md": "---\ntitle: About\n---\nIntro.\n\nA claim.[@nope, p. 3]\n"})
    assert problem_lines(root) == ['content/about.md:6:9: error: page "about": unknown source "nope": not in data/sources.yaml']


def test_urls_must_be_http(make_site):
    root = make_site({"data/sources.yaml": """\
        paper-one:
          title: The first report
          publisher: Daily Paper
          url: ftp://example.com/one
        paper-two:
          title: Two
          publisher: P
          url: javascript:alert(1)
        paper-three:
          title: Three
          publisher: P
          url: https://example.com/three
          archive_url: "http://[::1"
        """})
    assert problem_lines(root) == [
        'data/sources.yaml:4:8: error: source "paper-one": url "ftp://example.com/one" must be a full http:// or https:// address',
        'data/sources.yaml:8:8: error: source "paper-two": url "javascript:alert(1)" must be a full http:// or https:// address',
        # a bracket left open where an address of numbers goes: the standard library's reader raises
        'data/sources.yaml:13:16: error: source "paper-three": archive_url "http://[::1" must be a full http:// or https:// address',
    ]


def test_photos_need_alt_and_credit_and_an_image_file_inside_assets(make_site):
    photos = (
        "  photos:\n"
        "    - src: images/missing.jpg\n      alt: A crowd\n      credit: Agency\n"
        "    - src: ../secret.jpg\n      alt: x\n      credit: y\n"
        "    - src: images/real.png\n      caption: No alt, no credit\n"
        '    - src: images/real.png\n      alt: "  "\n      credit: Jane\n'
        "    - src: images/map.svg\n      alt: A map\n      credit: Jane\n"
        "    - src: images/notes.txt\n      alt: Meeting notes\n      credit: Jane\n"
        "    - src: images/Real.PNG\n      alt: A crowd\n      credit: Jane\n"
    )
    root = make_site({**events_yaml(EVENT + photos), "assets/images/real.png": a_png(), "assets/images/notes.txt": "notes",
                      "assets/images/map.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>'})
    assert problem_lines(root) == [
        'data/events/2021.yaml:7:12: error: event "warsaw-picket": photo 1: src "images/missing.jpg": no such file in assets/',
        'data/events/2021.yaml:10:12: error: event "warsaw-picket": photo 2: src "../secret.jpg" must be a path inside assets/, such as images/warsaw.jpg',
        'data/events/2021.yaml:13:7: error: event "warsaw-picket": photo 3 has no alt text: describe what it shows for readers who cannot see it',
        'data/events/2021.yaml:13:7: error: event "warsaw-picket": photo 3 has no credit: name the photographer or agency, or write "Placeholder"',
        'data/events/2021.yaml:16:12: error: event "warsaw-picket": photo 4 has no alt text: describe what it shows for readers who cannot see it',
        'data/events/2021.yaml:18:12: error: event "warsaw-picket": photo 5: src "images/map.svg" is not a photo: use a JPEG, PNG, WebP or GIF file',
        'data/events/2021.yaml:21:12: error: event "warsaw-picket": photo 6: src "images/notes.txt" is not a photo: use a JPEG, PNG, WebP or GIF file',
        'data/events/2021.yaml:24:12: error: event "warsaw-picket": photo 7: src "images/Real.PNG": no such file in assets/ (did you mean "images/real.png"?)',
    ]


def test_alt_text_that_says_nothing_of_the_photo_is_a_warning_at_its_line(make_site):
    """A camera's file name, the file's own name, a word for any picture, or the caption again: screen readers read
    these to a reader who cannot see the photo (WCAG's failure F30). "Photo of" is only a note."""
    photos = (
        "  photos:\n"
        "    - src: images/real.png\n      alt: IMG_2041.JPG\n      credit: Agency\n"
        "    - src: images/real.png\n      alt: real\n      credit: Agency\n"
        "    - src: images/real.png\n      alt: Photo\n      credit: Agency\n"
        "    - src: images/real.png\n      alt: A crowd at the office.\n      caption: A crowd at the office\n      credit: Agency\n"
        "    - src: images/real.png\n      alt: Photo of a crowd at the office\n      credit: Agency\n"
        "    - src: images/real.png\n      alt: A crowd at the office, holding a banner\n      caption: A crowd\n      credit: Agency\n"
    )
    root = make_site({**events_yaml(EVENT + photos), "assets/images/real.png": a_png()})
    describe = "which tells a reader who cannot see the photo nothing: describe what it shows"
    assert problem_lines(root) == [
        f'data/events/2021.yaml:8:12: warning: event "warsaw-picket": photo 1: alt text "IMG_2041.JPG" is a file\'s name, {describe}',
        f'data/events/2021.yaml:11:12: warning: event "warsaw-picket": photo 2: alt text "real" is a file\'s name, {describe}',
        'data/events/2021.yaml:14:12: warning: event "warsaw-picket": photo 3: alt text "Photo" says only that there is a '
        "picture: describe what it shows",
        'data/events/2021.yaml:17:12: warning: event "warsaw-picket": photo 4: alt text repeats the caption, which screen '
        "readers read after it: describe what the photo shows, and let the caption say what it means",
        'data/events/2021.yaml:21:12: note: event "warsaw-picket": photo 5: alt text starts "Photo of": screen readers say '
        "it is a picture already; start with what it shows",
    ]


def test_a_photo_published_otherwise_than_an_editor_would_expect_is_a_warning_where_it_is_used(make_site):
    """An animation is published still, as its first frame; a strip shows as a sliver. A tall infographic, a still
    GIF, or an animation used in the text (published moving) is no surprise."""
    photos = "  photos:\n" + "".join(f"    - src: images/{name}\n      alt: Protesters at the office\n      credit: Agency\n" for name in (
        "moving.gif", "still.gif", "strip.png", "banner.png", "infographic.png"))
    root = make_site({**events_yaml(EVENT + photos + "  body: See ![a loop](/images/loop.gif).\n"),
                      "assets/images/moving.gif": a_gif(3), "assets/images/still.gif": a_gif(1),
                      "assets/images/loop.gif": a_gif(2), "assets/images/strip.png": a_png((3, 60)),
                      "assets/images/banner.png": a_png((2000, 90)), "assets/images/infographic.png": a_png((80, 1580))})
    assert problem_lines(root) == [
        'data/events/2021.yaml:7:12: warning: event "warsaw-picket": photo 1: src "images/moving.gif" is animated: an '
        "event's photo is published still, as its first frame",
        'data/events/2021.yaml:13:12: warning: event "warsaw-picket": photo 3: src "images/strip.png" is 3x60 pixels, 20 '
        "times taller than wide: readers would see a sliver of it; crop it to what it shows",
        'data/events/2021.yaml:16:12: warning: event "warsaw-picket": photo 4: src "images/banner.png" is 2000x90 pixels, '
        "22 times wider than tall: readers would see a sliver of it; crop it to what it shows",
    ]


def test_invisible_characters_that_no_page_or_feed_may_hold_are_errors_where_they_are(make_site):
    """A control character pasted with a title made the site's feed XML that no reader's app would open."""
    root = make_site({
        **events_yaml(EVENT.replace("title: Picket in Warsaw", 'title: "Picket\\x1b in Warsaw"')),
        "content/about.md": "---\ntitle: About\n---\nHow this\x00 was made.\n",
        "data/sources.yaml": "paper-one:\n  title: The report\u0085\n  publisher: Daily Paper\n  url: https://example.com/one\n",
    })
    assert problem_lines(root) == [
        "content/about.md:4:9: error: here is an invisible character (U+0000), which pages and feeds cannot hold: remove it",
        'data/events/2021.yaml:3:10: error: event "warsaw-picket": title holds an invisible character (U+001B), which pages '
        "and feeds cannot hold: remove it",
        "data/sources.yaml:2:20: error: here is an invisible character (U+0085), which pages and feeds cannot hold: remove it",
    ]


def test_files_that_are_not_utf8(make_site):
    root = make_site({"content/about.md": "---\ntitle: About\n---\nCaf".encode() + b"\xe9\n"})
    assert problem_lines(root) == ["content/about.md:4:4: error: this file is not UTF-8 text (byte 0xe9): save it as UTF-8"]


def test_unclosed_and_missing_front_matter(make_site):
    root = make_site({
        "content/about.md": "---\ntitle: About\nBody text\n",
        "content/events/x.md": "date: 2021\n",
    })
    assert problem_lines(root) == [
        "content/about.md:1:1: error: front matter is never closed: add a line '---' after its fields",
        "content/events/x.md:1:1: error: no front matter: start the file with a line '---', then its fields, then a line '---'",
    ]


def test_bom_and_crlf_are_fine(make_site):
    text = "\ufeff---\r\ndate: 2021-11-04\r\ntitle: Windows\r\nsummary: Saved on Windows.[@paper-one]\r\nsources: [paper-one]\r\n---\r\nBody\r\n"
    root = make_site({"content/events/windows.md": text.encode("utf-8")})
    site, problems = site_of(root)
    assert problems == []
    assert site.events[0].title == "Windows"
    assert site.events[0].body == "Body"


def test_event_ids_are_derived_from_date_and_title_or_file_name(make_site):
    root = make_site({
        **events_yaml("- date: 2021-11-04\n  title: Picket at Interpol's office, Warsaw!\n  summary: x[@paper-one]\n  sources: [paper-one]\n"),
        "content/events/lyon-picket.md": "---\ndate: 2021-10-03\ntitle: Lyon\nsummary: x[@paper-one]\nsources: [paper-one]\n---\n",
    })
    site, _ = site_of(root)
    assert [event.id for event in site.events] == ["lyon-picket", "2021-11-04-picket-at-interpol-s-office-warsaw"]


def test_bad_explicit_ids_and_file_names(make_site):
    root = make_site({
        **events_yaml(EVENT.replace("warsaw-picket", "Warsaw Picket") + EVENT.replace("warsaw-picket", "'---'")
                      .replace("Picket in Warsaw", "Second picket")),
        "content/events/Lyon Picket.md": "---\ndate: 2021-10-03\ntitle: Lyon\nsummary: x[@paper-one]\nsources: [paper-one]\n---\n",
    })
    assert problem_lines(root) == [
        'content/events/Lyon Picket.md:1:1: error: file name "Lyon Picket.md" is not a valid event id: rename it to "lyon-picket.md" or add an id field',
        'data/events/2021.yaml:1:7: error: id "Warsaw Picket" may use only a-z, 0-9 and single hyphens, e.g. "warsaw-picket"',
        'data/events/2021.yaml:6:7: error: id "---" may use only a-z, 0-9 and single hyphens, e.g. "second-picket"',
    ]


def test_status_and_rescheduled_need_their_fields(make_site):
    root = make_site(events_yaml(EVENT + "  status: expectd\n" + EVENT.replace("warsaw-picket", "b") + "  status: rescheduled\n"))
    assert problem_lines(root) == [
        'data/events/2021.yaml:6:11: error: event "warsaw-picket": status "expectd" must be one of happened, expected, postponed, cancelled, rescheduled (did you mean "expected"?)',
        'data/events/2021.yaml:12:11: error: event "b": a rescheduled event needs previous_date, the date it was first set for',
    ]


def test_a_previous_date_that_cannot_be_read_is_called_by_its_field_s_name(make_site):
    root = make_site(events_yaml(EVENT + "  status: rescheduled\n  previous_date: 2021-13-40\n"))
    assert problem_lines(root) == ['data/events/2021.yaml:7:18: error: event "warsaw-picket": previous_date "2021-13-40": month must be 1..12']


def test_updates_need_a_day_and_a_known_kind(make_site):
    root = make_site(events_yaml(EVENT + "  updates:\n    - date: 2021-11\n      text: x\n    - date: 2021-11-05\n      text: y\n      kind: erratum\n"))
    assert problem_lines(root) == [
        'data/events/2021.yaml:7:13: error: event "warsaw-picket": update 1: date must be a full day, YYYY-MM-DD',
        'data/events/2021.yaml:11:13: error: event "warsaw-picket": update 2: kind "erratum" must be update or correction',
    ]


def test_links_and_citations_in_update_texts_are_checked_like_the_body(make_site):
    root = make_site({
        **events_yaml(EVENT + "  updates:\n    - date: 2021-11-05\n      text: See [[warsw-picket]], as [@paper-on] said.\n"),
        "content/about.md": "---\ntitle: About\nupdates:\n  - date: 2021-11-06\n    text: Added [@radio].\n---\nBody.\n",
    })
    assert problem_lines(root) == [
        'content/about.md:5:17: error: page "about": update 1: unknown source "radio": not in data/sources.yaml',
        'data/events/2021.yaml:8:17: error: event "warsaw-picket": update 1: unknown event "warsw-picket" (did you mean "warsaw-picket"?)',
        'data/events/2021.yaml:8:38: error: event "warsaw-picket": update 1: unknown source "paper-on": not in data/sources.yaml (did you mean "paper-one"?)',
    ]


def test_what_an_update_cites_and_links_counts_as_the_event_citing_and_linking_it(make_site):
    second = EVENT.replace("warsaw-picket", "second").replace("[@paper-one]", "")
    root = make_site({**events_yaml(EVENT + second + "  updates:\n    - date: 2021-11-05\n      text: See [[warsaw-picket]].[@paper-one]\n")})
    site, problems = site_of(root)
    assert problems == []
    event = next(event for event in site.events if event.id == "second")
    assert (event.cites, event.mentions) == (("paper-one",), ("warsaw-picket",))


def test_site_settings_are_checked(make_site):
    root = make_site({"data/site.yaml": "title: T\nbase_url: example.org\ntheme: dark\n"})
    assert problem_lines(root) == [
        'data/site.yaml:1:1: error: data/site.yaml: missing required field "description"',
        'data/site.yaml:2:11: error: base_url "example.org" must be a full http:// or https:// address',
        'data/site.yaml:3:1: error: data/site.yaml: unknown field "theme"',
    ]


def test_page_slugs_must_not_take_the_site_own_addresses(make_site):
    root = make_site({"content/tags.md": "---\ntitle: Tags\n---\n", "content/x.md": "---\ntitle: X\nslug: Big Slug\n---\n",
                      "content/y.md": '---\ntitle: Who we are\nslug: ".."\n---\n'})
    assert problem_lines(root) == [
        "content/tags.md:1:1: error: slug \"tags\" is taken by the site itself (/tags/): choose another",
        'content/x.md:3:7: error: slug "Big Slug" may use only a-z, 0-9 and single hyphens, e.g. "big-slug"',
        'content/y.md:3:7: error: slug ".." may use only a-z, 0-9 and single hyphens, e.g. "who-we-are"',
    ]


def test_a_menu_title_must_be_one_line_of_text(make_site):
    root = make_site({"content/a.md": "---\ntitle: A long title\nmenu_title:\n---\n",
                      "content/b.md": "---\ntitle: B\nmenu_title: [B]\n---\n",
                      "content/c.md": "---\ntitle: C\nmenu_titel: C\n---\n"})
    assert problem_lines(root) == [
        'content/a.md:3:12: error: page "a": menu_title is empty',
        'content/b.md:3:13: error: page "b": menu_title must be text, not a list',
        'content/c.md:3:1: error: page "c": unknown field "menu_titel" (did you mean "menu_title"?)',
    ]


def test_drafts_are_left_out_unless_asked_for(make_site):
    root = make_site(events_yaml(EVENT + EVENT.replace("warsaw-picket", "draft-one") + "  draft: true\n"))
    assert [e.id for e in site_of(root)[0].events] == ["warsaw-picket"]
    assert [e.id for e in site_of(root, drafts=True)[0].events] == ["warsaw-picket", "draft-one"]


def test_every_problem_is_reported_in_one_run(make_site):
    root = make_site({
        **events_yaml(EVENT.replace("2021-11-04", "2021-11-31")),
        "content/about.md": "---\ntitle: About\n",
        "data/sources.yaml": "paper-one:\n  title: T\n  publisher: P\n  url: https://x.org\n  date: 2021-00\n",
    })
    assert problem_lines(root) == [
        "content/about.md:1:1: error: front matter is never closed: add a line '---' after its fields",
        'data/events/2021.yaml:2:9: error: date "2021-11-31": day must be 1..30 in November 2021',
        'data/sources.yaml:5:9: error: source "paper-one": date "2021-00": month must be 1..12',
    ]


def test_slugify_makes_ascii_slugs_without_dropping_letters():
    assert slugify("Jürgen Stock's visit: Warsaw!") == "jurgen-stock-s-visit-warsaw"
    assert slugify("Białystok rally in Łódź") == "bialystok-rally-in-lodz"
    assert slugify("Ціханоўская") == "tsikhanouskaya"
    assert slugify("Беларусы Францыі") != slugify("Дыяспара") != ""
    assert slugify("!!!") == ""


def test_a_slug_too_long_is_cut_at_a_word_unless_that_would_leave_less_than_half_of_it():
    assert slugify("2021 the picket in Lyon", 16) == "2021-the-picket"
    assert slugify("2021 " + "a" * 300, 200) == "2021-" + "a" * 195  # not "2021", which another such title would take too
    assert slugify("a" * 300, 200) == "a" * 200


def test_the_same_mistake_written_twice_is_reported_at_each_place(make_site):
    root = make_site({"content/events/visit.md": textwrap.dedent("""\
        ---
        date: 2021-11
        title: A visit
        summary: An official may visit.[@paper-one]
        sources: [paper-one]
        ---
        The radio said so.[@radio-two] The ministry did not deny it.[@radio-two]

        A week later the radio said it again.[@radio-two, 12:30]
        """)})
    assert problem_lines(root) == [
        'content/events/visit.md:7:19: error: event "visit": unknown source "radio-two": not in data/sources.yaml',
        'content/events/visit.md:7:61: error: event "visit": unknown source "radio-two": not in data/sources.yaml',
        'content/events/visit.md:9:38: error: event "visit": unknown source "radio-two": not in data/sources.yaml',
    ]


def test_malformed_citations_and_event_links_are_errors_at_their_place(make_site):
    root = make_site(events_yaml(EVENT + textwrap.indent(textwrap.dedent("""\
        body: |
          As reported [@paper-one p. 12], and [@ paper-one] too.
          See [[Warsaw Picket]] and `[@code span]`, \\[@escaped x] and [@a link](https://example.org/).
        """), "  ")))
    assert problem_lines(root) == [
        'data/events/2021.yaml:7:17: error: event "warsaw-picket": "[@paper-one p. 12]" is not a citation: '
        "write [@source-id], or [@source-id, p. 12] with a locator",
        'data/events/2021.yaml:7:41: error: event "warsaw-picket": "[@ paper-one]" is not a citation: '
        "write [@source-id], or [@source-id, p. 12] with a locator",
        'data/events/2021.yaml:8:9: error: event "warsaw-picket": "[[Warsaw Picket]]" is not an event link: '
        "write [[event-id]], the id in a-z, 0-9 and hyphens",
    ]


def test_a_time_needs_a_date_known_to_the_day(make_site):
    root = make_site(events_yaml(
        EVENT.replace("2021-11-04", "2021-11") + '  time: "11:30"\n'
        + EVENT.replace("warsaw-picket", "letter").replace("2021-11-04", "2021-10-21/2021-10-31") + '  time: "09:00"\n'
        + EVENT.replace("warsaw-picket", "vote").replace("2021-11-04", "2021-11-05") + '  time: "10:00"\n'))
    assert problem_lines(root) == [
        'data/events/2021.yaml:6:9: error: event "warsaw-picket": a time needs a date known to the day, such as 2021-11-04: '
        "remove the time, or give the day",
        'data/events/2021.yaml:12:9: error: event "letter": a time needs a date known to the day, such as 2021-11-04: '
        "remove the time, or give the day",
    ]


def test_lists_written_as_one_text_are_not_taken_as_one_item(make_site):
    root = make_site(events_yaml(EVENT + "  tags: Diaspora protests, Interpol\n"))
    assert problem_lines(root) == [
        'data/events/2021.yaml:6:9: error: event "warsaw-picket": tags "Diaspora protests, Interpol" is one text, not a list: '
        "write [Diaspora protests, Interpol]"
    ]
    root = make_site(events_yaml(EVENT.replace("sources: [paper-one]", "sources: paper-one, radio-two") + "  related: a, b\n"))
    assert problem_lines(root) == [
        'data/events/2021.yaml:5:12: error: event "warsaw-picket": sources "paper-one, radio-two" is one text, not a list: '
        "write [paper-one, radio-two]",
        'data/events/2021.yaml:6:12: error: event "warsaw-picket": related "a, b" is one text, not a list: write [a, b]',
    ]
    assert problem_lines(make_site(events_yaml(EVENT + "  tags: Interpol\n"))) == []


def test_an_event_is_not_related_to_itself(make_site):
    root = make_site(events_yaml(EVENT + "  related: [warsaw-picket]\n"))
    assert problem_lines(root) == [
        'data/events/2021.yaml:6:13: error: event "warsaw-picket": related lists the event itself: name other events'
    ]


def test_an_alias_that_is_the_event_own_id_says_so(make_site):
    root = make_site(events_yaml(EVENT + "  aliases: [warsaw-picket]\n"))
    assert problem_lines(root) == [
        "data/events/2021.yaml:6:13: error: event \"warsaw-picket\": an alias is an old address; this is the event's own id"
    ]


def test_an_update_date_error_says_date_once(make_site):
    root = make_site(events_yaml(EVENT + "  updates:\n    - date: 2021-13-01\n      text: Checked.\n"))
    assert problem_lines(root) == [
        'data/events/2021.yaml:7:13: error: event "warsaw-picket": update 1: date "2021-13-01": month must be 1..12'
    ]


def test_files_the_build_never_reads_are_named(make_site):
    entry = "---\ndate: 2021\ntitle: T\nsummary: S[@paper-one]\nsources: [paper-one]\n---\n"
    root = make_site({"content/events/rally.MD": entry, "content/events/march.markdown": entry,
                      "content/events/2021/vote.md": entry, "data/events/2022.txt": "- id: x\n", "content/.notes.md": "x",
                      "data/sources.yml": "x: y\n"})
    assert problem_lines(root) == [
        "content/events/2021/:1:1: warning: not read: event entries are content/events/*.md; rename it, or move it out of content/events/",
        "content/events/march.markdown:1:1: warning: not read: event entries are content/events/*.md; rename it, or move it out of content/events/",
        "content/events/rally.MD:1:1: warning: not read: event entries are content/events/*.md; rename it, or move it out of content/events/",
        "data/events/2022.txt:1:1: warning: not read: events files are data/events/*.yaml; rename it, or move it out of data/events/",
        "data/sources.yml:1:1: warning: not read: data/ holds site.yaml, sources.yaml and events/; rename it, or move it out of data/",
    ]


def test_a_page_that_takes_another_page_address_with_slug_is_the_one_told(make_site):
    root = make_site({"content/about.md": "---\ntitle: About\nslug: red-notices\n---\nText.\n",
                      "content/red-notices.md": "---\ntitle: Red notices\n---\nText.\n"})
    assert problem_lines(root) == [
        'content/about.md:1:1: error: page slug "red-notices" is already the address of content/red-notices.md: choose another'
    ]


def test_html_in_markdown_is_a_warning_unless_the_site_allows_it(make_site):
    body = ("  body: |\n    A <b>bold</b> claim, <!-- a note -->,\n    <https://example.org/> and <desk@example.org> are links,"
            " `<code>` is code, a < b.\n")
    root = make_site(events_yaml(EVENT + body))
    said = 'is HTML, which the site shows as text: write it in Markdown (**bold**, [link](https://...)), or set raw_html: true in data/site.yaml'
    assert problem_lines(root) == [
        f'data/events/2021.yaml:7:7: warning: event "warsaw-picket": "<b>" {said}',
        f'data/events/2021.yaml:7:14: warning: event "warsaw-picket": "</b>" {said}',
        f'data/events/2021.yaml:7:26: warning: event "warsaw-picket": "<!-- a note -->" {said}',
    ]
    settings = root / "data" / "site.yaml"
    settings.write_text(settings.read_text() + "raw_html: true\n")
    assert problem_lines(root) == []


def test_html_the_sanitiser_cuts_is_a_warning_where_the_site_allows_raw_html(make_site):
    page = ('---\ntitle: About\n---\nA <span style="color: red">red</span> word and <a href="https://example.org/"\n'
            'target="_blank">a link</a>, kept.[@paper-one] `<div>` is code.\n\n'
            '<iframe src="https://example.org/map"></iframe>\n\n<div class="note">\nA note.\n</div>\n\n'
            '<img src="https://example.org/x.png" alt="A map" onerror="alert(1)">\n\n<script>alert(2)</script>\n')
    root = make_site({"content/about.md": page,
                      "data/site.yaml": "title: T\ndescription: D.\nbase_url: https://example.org\nraw_html: true\n"})
    assert problem_lines(root) == [
        'content/about.md:4:3: warning: page "about": "<span style="color: red">" loses its attribute style: the '
        "site's look is set by its stylesheet, in assets/",
        'content/about.md:4:48: warning: page "about": "<a href="https://example.org/" target="_…" loses its '
        "attribute target: a link opens where the reader chooses",
        'content/about.md:7:1: warning: page "about": "<iframe src="https://example.org/map">" is left out: the site '
        "embeds no page of another site, which could track its readers or change after publication: link to it instead",
        'content/about.md:9:1: warning: page "about": "<div class="note">" is left out, its text kept: the site '
        "publishes text markup only (links, emphasis, lists, quotations, tables, images...), laid out by its stylesheet",
        'content/about.md:13:1: warning: page "about": "<img src="https://example.org/x.png" alt…" loses its '
        "attribute onerror: a reader's browser would run it",
        'content/about.md:15:1: warning: page "about": "<script>" is left out, with what it holds: a reader\'s browser '
        "would run it",
    ]


def test_citations_and_links_in_code_or_escaped_are_shown_as_written_not_checked(make_site):
    page = ("---\ntitle: About\n---\nWe cite with `[@source-id]` and link with `[[event-id]]`, or write\n"
            "\\[@escaped-id] to show the syntax.\n\n``\n[@another-id, p. 2]\n``\n")
    root = make_site({"content/about.md": page})
    assert problem_lines(root) == []
    site, _ = site_of(root)
    assert site.pages[0].cites == ()


def test_code_spans_are_found_as_python_markdown_s_pattern_finds_them():
    """`outside_code` scans runs of backticks in linear time; Python-Markdown's pattern for code spans, applied to
    the same text, must blank out exactly the same characters."""
    import random
    import re

    from explainer.markup import outside_code

    pattern = re.compile(r"(?<!\\)(`+)(.+?)(?<!`)\1(?!`)", re.S)
    randomly = random.Random(20261204)
    for _ in range(3000):
        text = "".join(randomly.choice("``` a\\[\n") for _ in range(randomly.randint(0, 24)))
        blocks = re.split(r"(\n[ \t]*\n)", text)
        expected = "".join(block if index % 2 else pattern.sub(lambda match: " " * len(match[0]), block)
                           for index, block in enumerate(blocks))
        assert outside_code(text) == expected, repr(text)


def test_a_long_run_of_backticks_is_read_at_once(make_site):
    """Python-Markdown's pattern for code spans takes time cubic in a run of backticks: a line of 4,000 took
    minutes to check, a build never ending for a stray paste."""
    page = "---\ntitle: About\n---\nA claim " + "`" * 20000 + " [@nowhere].\n\nSee `[@code]` and ``[[x]]``.\n"
    assert problem_lines(make_site({"content/about.md": page})) == [
        'content/about.md:4:20010: error: page "about": unknown source "nowhere": not in data/sources.yaml']


def test_a_paragraph_leaving_thousands_of_brackets_open_is_an_error_where_the_first_opens(make_site):
    """Python-Markdown reads a paragraph of 30,000 "![" in minutes (its time grows with their square): a build or
    a preview would seem to hang on one paste. Links closed, brackets escaped or in code, and other paragraphs pass."""
    runaway = "![" * 30_000
    body = ("---\ntitle: About\n---\nSee " + runaway + " here.\n\n" + "[a](https://example.com/a) " * 2000 + "\n\n"
            + "\\[" * 2000 + " and `" + "[" * 2000 + "`\n\n" + "[ " * 1000 + "\n\n" + "[y](https://example.com/ " * 1001 + "\n")
    assert problem_lines(make_site({"content/about.md": body})) == [
        'content/about.md:4:6: error: page "about": this paragraph leaves 30,000 brackets open ("[" with no "]" after it, or '
        '"(" after "](" with no ")"), which Markdown takes minutes to read: close them, or write each as \\[ or \\(',
        'content/about.md:12:1: error: page "about": this paragraph leaves 1,001 brackets open ("[" with no "]" after it, or '
        '"(" after "](" with no ")"), which Markdown takes minutes to read: close them, or write each as \\[ or \\(',
    ]


def test_lists_nested_past_what_markdown_can_read_are_an_error_at_the_first_line_that_does(make_site):
    """Python-Markdown calls itself for each list inside a list: some 250 to 500 nested in a line stopped the build
    with a RecursionError. A hundred pass, in fenced code any number."""
    indented = "\n".join(" " * (4 * level) + "- item" for level in range(120))
    body = ("---\ntitle: About\n---\n" + "1. " * 3000 + "Deep.\n\n" + indented + "\n\n```\n" + "- " * 500 + "\n```\n\n"
            + "- " * 100 + "Deep enough.[@paper-one]\n")
    root = make_site({"content/about.md": body})
    nests = 'start each item with one marker ("- " or "1. "), indented four spaces a level'
    assert problem_lines(root) == [
        f'content/about.md:4:1: error: page "about": this line nests 3,000 lists in one another, more than the 100 '
        f"Markdown can read: {nests}"]
    (root / "content" / "about.md").write_text(body.replace("1. " * 3000, "1. "))
    assert problem_lines(root) == [
        f'content/about.md:106:1: error: page "about": this line nests 101 lists in one another, more than the 100 '
        f"Markdown can read: {nests}"]
    (root / "content" / "about.md").write_text(body.replace("1. " * 3000, "1. ").replace(indented, "- item"))
    assert problem_lines(root) == []  # and it builds (tests/test_build.py)


def test_an_id_or_a_reference_holding_an_invisible_character_names_it_where_it_is(make_site):
    """Pasted from another program, "paper-one" may hold a character that shows nothing: quoted as it is, the error
    would read as nonsense ("[@paper-one]" is not a citation)."""
    root = make_site({
        **events_yaml(EVENT + '  related: ["picket\u00a0"]\n'),
        "content/about.md": "---\ntitle: About\n---\nA claim.[@paper\u200b-one] See [[warsaw\u00adpicket]].\n",
    })
    assert problem_lines(root) == [
        'content/about.md:4:9: error: page "about": "[@paper<U+200B ZERO WIDTH SPACE>-one]" is not a citation: write '
        "[@source-id], or [@source-id, p. 12] with a locator",
        'content/about.md:4:27: error: page "about": "[[warsaw<U+00AD SOFT HYPHEN>picket]]" is not an event link: write '
        "[[event-id]], the id in a-z, 0-9 and hyphens",
        'data/events/2021.yaml:6:13: error: event "warsaw-picket": related "picket<U+00A0 NO-BREAK SPACE>" is not an event '
        "id (a-z, 0-9 and hyphens, at most 200 characters)",
    ]


def test_a_tag_written_over_two_lines_is_quoted_on_the_one_line_of_its_warning(make_site):
    root = make_site({"content/about.md": '---\ntitle: About\n---\nSee <span\nclass="x">this</span>.[@paper-one]\n'})
    said = "is HTML, which the site shows as text: write it in Markdown (**bold**, [link](https://...)), or set raw_html: true in data/site.yaml"
    assert problem_lines(root) == [f'content/about.md:4:5: warning: page "about": "<span class="x">" {said}',
                                   f'content/about.md:5:15: warning: page "about": "</span>" {said}']


def test_visible_names_only_what_shows_nothing():
    from explainer.problems import visible

    assert visible("paper-one") == "paper-one" and visible("Ціханоўская, 2021 г.") == "Ціханоўская, 2021 г."
    assert visible("a\u200bb\u2060c\ufeffd\te") == ("a<U+200B ZERO WIDTH SPACE>b<U+2060 WORD JOINER>c"
                                                   "<U+FEFF ZERO WIDTH NO-BREAK SPACE>d<U+0009 TAB>e")


def test_a_stray_backtick_does_not_hide_what_the_next_paragraphs_say(make_site):
    body = "  body: |\n    The group`s statement.\n\n    A claim.[@paper-one p. 3]\n\n    See `code` here.\n"
    assert problem_lines(make_site(events_yaml(EVENT + body))) == [
        'data/events/2021.yaml:9:13: error: event "warsaw-picket": "[@paper-one p. 3]" is not a citation: '
        "write [@source-id], or [@source-id, p. 12] with a locator"]


def test_malformed_references_in_folded_text_are_found_at_their_line_each_time(make_site):
    event = EVENT.replace("  summary: People picket.[@paper-one]\n",
                          "  summary: >-\n    People picket ([[warsaw-pic) and\n    say so.[@paper-one\n    p. 4] Twice ([[warsaw-pic).\n")
    assert problem_lines(make_site(events_yaml(event))) == [
        'data/events/2021.yaml:5:20: error: event "warsaw-picket": "[[warsaw-pic" is not an event link: '
        "write [[event-id]], the id in a-z, 0-9 and hyphens",
        'data/events/2021.yaml:6:12: error: event "warsaw-picket": "[@paper-one p. 4]" is not a citation: '
        "write [@source-id], or [@source-id, p. 12] with a locator",
        'data/events/2021.yaml:7:18: error: event "warsaw-picket": "[[warsaw-pic" is not an event link: '
        "write [[event-id]], the id in a-z, 0-9 and hyphens",
    ]


def test_an_alias_is_reported_where_it_is_written_whichever_file_is_read_first(make_site):
    entry = "---\ndate: 2021\ntitle: {}\nsummary: S[@paper-one]\nsources: [paper-one]\n{}---\n"
    root = make_site({"content/events/aaa.md": entry.format("A", "aliases: [old-a, zzz]\n"),
                      "content/events/zzz.md": entry.format("Z", "")})
    assert problem_lines(root) == [
        'content/events/aaa.md:6:18: error: event alias "zzz" is already the id of the event at content/events/zzz.md:2:1'
    ]


def test_an_alias_listed_twice_is_reported_at_the_second(make_site):
    root = make_site(events_yaml(EVENT + "  aliases: [old-a, old-a]\n"))
    assert problem_lines(root) == ['data/events/2021.yaml:6:20: error: event "warsaw-picket": aliases lists "old-a" twice']


def test_a_wrong_end_is_reported_at_the_end(make_site):
    root = make_site(events_yaml(EVENT + "  end: 2021-11-31\n"))
    assert problem_lines(root) == ['data/events/2021.yaml:6:8: error: end "2021-11-31": day must be 1..30 in November 2021']
    root = make_site(events_yaml(EVENT + "  end: 2022\n"))
    assert problem_lines(root) == ['data/events/2021.yaml:6:8: error: end "2022" is less precise than the date "2021-11-04": '
                                   'write the end to the day too, or the date as "2021"']


def test_characters_that_cannot_start_a_value_are_explained(make_site):
    root = make_site({"data/events/2021.yaml": "- id: x\n  title: @Belsat reports\n"})
    assert problem_lines(root) == [
        "data/events/2021.yaml:2:10: error: YAML syntax: found character that cannot start any token "
        "(while scanning for the next token): a value starting with '@' needs quotes"]
    root = make_site({"data/events/2021.yaml": EVENT, "data/sources.yaml": "paper-one:\n\ttitle: x\n"})
    assert problem_lines(root) == [
        "data/sources.yaml:2:1: error: YAML syntax: found character that cannot start any token "
        "(while scanning for the next token): indent with spaces, not tabs"]


def test_ids_stay_short_enough_to_name_a_folder(make_site):
    words = " ".join(["word"] * 80)
    root = make_site(events_yaml(f"- date: 2021-11-04\n  title: {words}\n  summary: S.[@paper-one]\n  sources: [paper-one]\n"))
    site, problems = site_of(root)
    assert problems == [] and len(site.events[0].id) <= 200 and site.events[0].id.endswith("-word")
    assert slugify("a-" * 150, 200) == "-".join(["a"] * 100)
    root = make_site(events_yaml(EVENT.replace("id: warsaw-picket", "id: " + "-".join(["x"] * 101))))
    assert problem_lines(root) == ["data/events/2021.yaml:1:7: error: id is 201 characters long: an address takes at most 200"]


def test_topics_written_differently_that_share_a_page_are_a_warning(make_site):
    events = "".join(f"- id: e{n}\n  date: 2021\n  title: E{n}\n  summary: S[@paper-one]\n  sources: [paper-one]\n  tags: [{tags}]\n"
                     for n, tags in enumerate(["Łódź, Interpol", "Lodz, Лодзь", "Lodz", "C++, C#"]))
    said = "so they share one page: write them alike, or rename one"
    assert problem_lines(make_site(events_yaml(events))) == [
        f'data/events/2021.yaml:7:3: warning: event "e1": topic "Lodz" has the address of topic "Łódź" (/tags/lodz/), {said}',
        f'data/events/2021.yaml:7:3: warning: event "e1": topic "Лодзь" has the address of topic "Łódź" (/tags/lodz/), {said}',
        f'data/events/2021.yaml:19:3: warning: event "e3": topic "C#" has the address of topic "C++" (/tags/c/), {said}',
    ]


def test_a_reference_link_whose_reference_is_defined_nowhere_is_a_warning_where_it_is_written(make_site):
    root = make_site({"content/about.md": "---\ntitle: About\n---\nSee [the ruling][court] and [the letter][].\n\n"
                                          "[Court]: https://example.org/ruling\n\nAlso [the appeal][appeal], `[code][x]`, "
                                          "\\[escaped][y] and [[an-event]][@paper-one].\n"})
    said = 'that the text defines nowhere, so it shows as written: add a line "[{0}]: https://..." below it, or write the link as [text](https://...)'
    assert [line for line in problem_lines(root) if "names a reference" in line] == [
        'content/about.md:4:34: warning: page "about": link "[the letter][]" names a reference, "the letter", ' + said.format("the letter"),
        'content/about.md:8:11: warning: page "about": link "[the appeal][appeal]" names a reference, "appeal", ' + said.format("appeal"),
    ]
