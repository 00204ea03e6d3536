"""`check` and `check --strict`: what builds but must be looked at before publishing."""
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from explainer.check import broken_links, editorial_warnings, page_links, unsourced_in
from explainer.cache import content_digest as content_hash
from explainer.pipeline import Project, theme_text

from conftest import site_of

pytestmark = pytest.mark.slow  # whole builds and checks of fixture sites

REPO = Path(__file__).resolve().parent.parent

EVENT = "- id: visit\n  date: 2021-11\n  status: expected\n  title: A visit\n  summary: S[@paper-one]\n  sources: [paper-one]\n"


def run_check(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "check", *args], capture_output=True, text=True)


def warnings_of(root: Path, today: dt.date) -> list[str]:
    site, _ = site_of(root)
    return [str(p) for p in editorial_warnings(site, today, theme_text(Project.at(root)), root)]


def test_an_expected_event_whose_date_passed_needs_an_update(make_site):
    root = make_site({"data/events/a.yaml": EVENT})
    assert warnings_of(root, dt.date(2021, 11, 30)) == [
        'data/sources.yaml:2:3: warning: source "paper-one" has no date: add it, or write `date: n.d.` if the page shows none',
        'data/sources.yaml:2:3: note: source "paper-one" has no archive_url: a web-archive copy lets readers check it if the page moves',
    ]
    assert 'data/events/a.yaml:1:3: warning: event "visit": expected for November 2021, which has passed' in warnings_of(root, dt.date(2021, 12, 1))[0]


def test_an_update_after_the_date_answers_the_expected_warning(make_site):
    root = make_site({"data/events/a.yaml": EVENT + "  updates:\n    - date: 2021-12-05\n      text: Still unconfirmed.\n"})
    assert not any("expected for" in line for line in warnings_of(root, dt.date(2026, 1, 1)))


def test_strict_turns_warnings_into_errors_but_not_notes(make_site):
    root = make_site({"data/events/a.yaml": EVENT.replace("2021-11", "2099-11"),
                      "data/sources.yaml": "paper-one:\n  title: T\n  publisher: P\n  url: https://x.org\n  date: n.d.\n"})
    relaxed = run_check(root)
    assert relaxed.returncode == 0, relaxed.stderr
    assert relaxed.stderr.splitlines()[-1] == "1 note"
    assert run_check(root, "--strict").returncode == 0
    (root / "assets" / "images").mkdir(parents=True)
    (root / "assets" / "images" / "unused.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert run_check(root).returncode == 0
    strict = run_check(root, "--strict")
    assert strict.returncode == 1
    assert "assets/images/unused.svg:1:1: error: image used by no event, template or stylesheet: remove it or use it" in strict.stderr.splitlines()


def test_a_draft_linked_from_a_published_event_is_reported(make_site):
    root = make_site({"data/events/a.yaml": EVENT.replace("2021-11", "2099-11") + (
        "- id: idea\n  date: 2099\n  draft: true\n  title: Idea\n  summary: S[@paper-one]\n  sources: [paper-one]\n"),
        "content/about.md": "---\ntitle: About\n---\nSee [[idea]].\n"})
    strict = run_check(root, "--strict")
    assert 'content/about.md:4:5: error: page "about": links to event "idea", a draft left out of the build' in strict.stderr


# Unsourced sentences: a note, a guess at what an editor should look at

def unsourced(text: str) -> list[str]:
    return [sentence for _, sentence in unsourced_in(text)]


def test_a_sentence_with_a_date_and_no_citation_in_its_paragraph_is_noted():
    assert unsourced_in("We looked again. In March 2022 it acted.") == [(17, "In March 2022 it acted.")]
    assert unsourced("It was later reported by Belsat.") == ["It was later reported by Belsat."]  # a name after the first word
    assert unsourced("The 27-year-old was released.") == ["The 27-year-old was released."]  # a number


def test_a_paragraph_with_a_citation_is_not_noted_whatever_its_sentences_hold():
    assert unsourced("In March 2022 Interpol acted. Poland said so.[@paper-one]") == []
    assert unsourced("In 2022 it acted.[@paper-one, p. 3]\n\nIn 2023 it acted again.") == ["In 2023 it acted again."]
    assert unsourced("In 2022 it acted.\\[@paper-one]") == ["In 2022 it acted.\\[@paper-one]"]  # escaped: shown as written


def test_a_sentence_without_a_date_number_or_name_is_not_noted():
    assert unsourced("We found no statement confirming it. The entry stays marked as expected.") == []
    assert unsourced("Belsat reported it.") == []  # the first word is capitalised anyway


def test_headings_quotes_code_list_intros_links_and_quoted_words_are_not_read():
    text = ("## In March 2022\n\n> Interpol said so in 2022.\n\nThe list, as Interpol gives it:\n\n"
            '- a card marked "Placeholder" and a `2022` code span;\n- a link to [the list](/years/2021/) and [[event-2021]].\n\n'
            "```\nInterpol 2022\n```\n\n    Indented code, 2022.\n")
    assert unsourced(text) == []


def _sentences_as_first_written(paragraph: str) -> list[tuple[int, str]]:
    """`check._sentences` as it was first written, its reading the reference: each stop copied the rest of the
    paragraph, and the sentence up to it, so a paragraph of 40,000 sentences took `check` 33 s."""
    from explainer.check import _ABBREVIATIONS, _SENTENCE_END

    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(paragraph):
        following = paragraph[match.end():].lstrip("\"“‘'([*_")
        before = paragraph[start:match.start()].split()
        word = before[-1].lstrip("(\"“*_").lower() if before else ""
        if not following or not (following[0].isupper() or following[0].isdigit()):
            continue
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        sentences.append((start, paragraph[start:match.end()].rstrip()))
        start = match.end()
    if paragraph[start:].strip():
        sentences.append((start, paragraph[start:].rstrip()))
    return sentences


def test_sentences_are_found_as_the_first_reading_found_them_in_time_linear_in_the_paragraph():
    import random

    from explainer.check import _sentences

    rng = random.Random(5)
    pieces = ["A", "b", "e.g", "No", "1", ".", ". ", "! ", "? ", " ", "  ", "\n", '"', "“", "‘", "(", "[", "*", "_", "'",
              "»", ")", "]", "Mr", "x", "Z", "9", "\t"]
    for _ in range(5000):
        paragraph = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        assert _sentences(paragraph) == _sentences_as_first_written(paragraph), repr(paragraph)
    assert len(_sentences("In 2021 Word one went. Two " * 40_000)) == 40_001  # the last "Two" too; 33 s before, 0.05 s now
    assert len(_sentences("A. " * 40_000)) == 1  # initials: no stop ends a sentence


def test_each_list_item_is_a_paragraph_of_its_own():
    assert unsourced("- Cited, 2021.[@paper-one]\n- Not cited, 2022.\n  Still that item.\n") == ["Not cited, 2022."]


def test_the_note_points_at_the_sentence_where_it_is_written(make_site):
    root = make_site({
        "data/events/a.yaml": ("- id: x\n  date: 2021\n  title: X\n  summary: >-\n    A summary that cites.[@paper-one]\n"
                               "  body: |\n    A cited paragraph.[@paper-one]\n\n    Nothing here. Then in 2022 it\n    happened again.\n"
                               "  sources: [paper-one]\n  updates:\n    - date: 2021-12-01\n      text: Moved to Lyon.\n"),
        "content/about.md": "---\ntitle: About\n---\n## Method\n\nWe work in Warsaw and\nLyon.\n"})
    notes = [line for line in warnings_of(root, dt.date(2021, 1, 1)) if "no citation in its paragraph" in line]
    assert notes == [
        'data/events/a.yaml:9:19: note: event "x": this sentence states a date, number or name with no citation in its '
        'paragraph: "Then in 2022 it happened again." (cite its source, or ignore this note if it needs none)',
        'data/events/a.yaml:14:13: note: event "x": this sentence states a date, number or name with no citation in its '
        'paragraph: "Moved to Lyon." (cite its source, or ignore this note if it needs none)',
        'content/about.md:6:1: note: page "about": this sentence states a date, number or name with no citation in its '
        'paragraph: "We work in Warsaw and Lyon." (cite its source, or ignore this note if it needs none)',
    ]


def test_a_note_quotes_the_start_of_a_long_sentence(make_site):
    long = "In 2020 the assembly met, and it met again, and again, and again, until it stopped."
    root = make_site({"content/about.md": f"---\ntitle: About\n---\n{long}\n"})
    assert '"In 2020 the assembly met, and it met again, and again, and …"' in warnings_of(root, dt.date(2021, 1, 1))[-1]


def test_unsourced_sentences_are_notes_that_never_block(make_site):
    root = make_site({"data/events/a.yaml": EVENT.replace("2021-11", "2099-11") + "  body: In 2020 it began.\n",
                      "data/sources.yaml": "paper-one:\n  title: T\n  publisher: P\n  url: https://x.org\n  date: n.d.\n"})
    strict = run_check(root, "--strict")
    assert strict.returncode == 0, strict.stderr
    assert ('data/events/a.yaml:7:9: note: event "visit": this sentence states a date, number or name with no citation '
            'in its paragraph: "In 2020 it began."') in strict.stderr


@pytest.mark.parametrize("read_apart_from", [200, 1])  # pages read here, or on every core
def test_broken_internal_links_and_anchors_are_found_with_their_place(tmp_path, monkeypatch, read_apart_from):
    monkeypatch.setattr("explainer.check.READ_APART_FROM", read_apart_from)
    monkeypatch.setattr("explainer.check.READ_CHUNK", 1)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text('<p id="here">x</p>\n<a href="/b/">b</a> <a href="/a/#here">ok</a>\n<a href="#nowhere">n</a> <img src="/img.png" alt="">\n')
    (tmp_path / "c.html").write_text('<a href="/a/#here">ok</a> <a href="/a#gone">gone</a> <a href="/">home</a>\n')
    assert [str(p) for p in broken_links(tmp_path)] == [
        'a/index.html:2:1: warning: link to "/b/" leads to no page of the site',
        'a/index.html:3:1: warning: link to "#nowhere": the page has no element with id "nowhere"',
        'a/index.html:3:26: warning: link to "/img.png" leads to no page of the site',
        'c.html:1:27: warning: link to "/a#gone": the page has no element with id "gone"',
        'c.html:1:54: warning: link to "/" leads to no page of the site',
    ]


def test_a_broken_link_with_a_very_long_address_is_quoted_by_its_start(tmp_path):
    anchor = "x" * 10_000
    (tmp_path / "index.html").write_text(f'<a href="#{anchor}">a</a> <a href="/{anchor}/">b</a>\n')
    start = "x" * 99
    assert [str(p) for p in broken_links(tmp_path)] == [
        f'index.html:1:1: warning: link to "#{start}…": the page has no element with id "{start}x…"',
        f'index.html:1:10019: warning: link to "/{start}…" leads to no page of the site']


def test_a_link_escaped_as_an_address_must_be_leads_where_the_browser_goes(tmp_path):
    """A file named with spaces or a "#" is linked with them escaped (%20, %23), an id in another script too."""
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "Annual report #2.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "index.html").write_text('<h2 id="café">x</h2><a href="/files/Annual%20report%20%232.pdf">pdf</a>\n'
                                         '<a href="#caf%C3%A9">here</a> <a href="/files/Annual report #2.pdf">raw</a>\n')
    assert [str(p) for p in broken_links(tmp_path)] == [
        'index.html:2:31: warning: link to "/files/Annual report #2.pdf" leads to no page of the site']  # "#2.pdf": an anchor


def test_a_page_links_where_a_browser_would_follow():
    html = ('<img src="/a.png" srcset="/a.480.png 480w, /a.960.png 960w, https://x.org/b.png 2x" id="pic">'
            '<script>var s = "<a href=/in-a-script>";</script><a href="//cdn.example/x">c</a><a href="#pic">p</a>'
            '<a href>none</a><p id="end">&#8203;</p>')
    assert page_links(html) == (["/a.png", "/a.480.png", "/a.960.png", "#pic"], {"pic", "end"})


def _output(folder: Path, pages: dict[str, str]) -> dict[str, str]:
    """Write pages into an output folder; their digests, as a build records them."""
    for path, html in pages.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(html)
    return {path: content_hash(html.encode()) for path, html in pages.items()}


def test_a_check_reads_only_pages_whose_bytes_changed_yet_sees_an_anchor_gone_from_another(tmp_path, monkeypatch):
    out, store = tmp_path / "out", tmp_path / "links.pickle"
    linking = '<a href="/b/#x">b</a> <a href="/c/">c</a>\n'
    digests = _output(out, {"a/index.html": linking, "b/index.html": '<p id="x">x</p>', "c/index.html": "<p>c</p>"})
    assert broken_links(out, digests, store) == [] == broken_links(out, None)
    read = []
    monkeypatch.setattr("explainer.check.page_links", lambda html, read_links=page_links: read.append(html) or read_links(html))
    digests.update(_output(out, {"b/index.html": "<p>no anchor now</p>"}))
    assert [str(p) for p in broken_links(out, digests, store)] == [
        'a/index.html:1:1: warning: link to "/b/#x": the page has no element with id "x"']
    assert read == [b"<p>no anchor now</p>"]  # the links of a/ and c/ are known by their digests
    del digests["c/index.html"]
    assert [str(p) for p in broken_links(out, digests, store)][-1] == 'a/index.html:1:23: warning: link to "/c/" leads to no page of the site'


def test_a_broken_link_in_a_template_fails_strict_check(make_site):
    root = make_site({"data/events/a.yaml": EVENT.replace("2021-11", "2099-11")})
    assert "leads to no page" not in run_check(root).stderr  # what it reads of each page is kept: the next check still sees the change
    footer = root / "templates" / "404.html"
    footer.write_text(footer.read_text().replace('root ~ "/sources/"', 'root ~ "/sorces/"'))
    strict = run_check(root, "--strict")
    assert strict.returncode == 1
    assert '404.html:' in strict.stderr and 'error: link to "/sorces/" leads to no page of the site' in strict.stderr


def test_a_broken_link_an_editor_wrote_is_one_warning_where_it_is_written(make_site):
    """A summary shows on its event's page, the home page, its topic's page and the feeds: its link is one mistake."""
    summary = "S, see [the list](/sorces/).[@paper-one]\n  tags: [Visits]"
    body = "\n\nMore in [the notes](/events/visit/#nothing-here).\n"
    root = make_site({"data/events/a.yaml": EVENT.replace("2021-11", "2099-11").replace("S[@paper-one]", summary),
                      "content/about.md": "---\ntitle: About\n---\nHow." + body})
    lines = [line for line in run_check(root).stderr.splitlines() if "link to" in line]
    assert lines == [
        'content/about.md:6:21: warning: link to "/events/visit/#nothing-here": the page has no element with id '
        '"nothing-here"',
        'data/events/a.yaml:5:30: warning: link to "/sorces/" leads to no page of the site',
    ]


def run_build(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "build", *args], capture_output=True, text=True)


def test_a_strict_build_stops_where_a_strict_check_would_and_writes_nothing(make_site):
    root = make_site({"data/events/a.yaml": EVENT.replace("2021-11", "2099-11"),
                      "data/sources.yaml": "paper-one:\n  title: T\n  publisher: P\n  url: https://x.org\n  date: n.d.\n"})
    first = run_build(root, "--strict")
    assert first.returncode == 0, first.stderr
    assert "note: source \"paper-one\" has no archive_url" in first.stderr  # notes are said, and never block
    before = {path: path.read_bytes() for path in (root / "_site").rglob("*") if path.is_file()}
    footer = root / "templates" / "404.html"
    footer.write_text(footer.read_text().replace('root ~ "/sources/"', 'root ~ "/sorces/"'))
    (root / "data" / "events" / "a.yaml").write_text(EVENT)  # an expected visit whose month has passed
    strict = run_build(root, "--strict")
    assert strict.returncode == 1
    assert strict.stderr.splitlines()[-1] == "2 errors"
    assert "error: link to \"/sorces/\" leads to no page of the site" in strict.stderr
    assert 'error: event "visit": expected for November 2021, which has passed' in strict.stderr
    assert {path: path.read_bytes() for path in (root / "_site").rglob("*") if path.is_file()} == before
    assert run_build(root).returncode == 0  # without --strict, warnings do not stop a build


def test_a_second_check_renders_only_what_changed(make_site):
    root = make_site({"data/events/a.yaml": EVENT.replace("2021-11", "2099-11")})
    assert run_check(root).returncode == 0
    built = root / ".cache" / "check"
    home, event = built / "index.html", built / "events" / "visit" / "index.html"
    before = home.stat().st_mtime_ns, event.stat().st_mtime_ns
    assert run_check(root).returncode == 0
    assert (home.stat().st_mtime_ns, event.stat().st_mtime_ns) == before
    (root / "data" / "events" / "a.yaml").write_text(EVENT.replace("2021-11", "2099-11").replace("A visit", "A state visit"))
    assert run_check(root).returncode == 0
    assert "A state visit" in event.read_text()
    assert not (root / "_site").exists()  # check publishes nothing
