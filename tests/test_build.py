"""Whole builds of small fixture sites: every page checked, output never left half-built."""
import hashlib
import io
import json
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from explainer.check import broken_links
from explainer.pipeline import Project, build
from explainer.problems import ContentErrors

pytestmark = pytest.mark.slow  # whole builds of fixture sites

REPO = Path(__file__).resolve().parent.parent


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


class Links(HTMLParser):
    """The internal links, ids and elements of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.add(attributes["id"])
        for name in ("href", "src"):
            if attributes.get(name, "").startswith("/"):
                self.hrefs.append(attributes[name])
        for candidate in (attributes.get("srcset") or "").split(","):
            if candidate.strip().startswith("/"):
                self.hrefs.append(candidate.split()[0])


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


@pytest.fixture
def built(fixture_site):
    root = fixture_site("basic")
    result = build(Project.at(root), search=False)
    return root, root / "_site", result


def test_every_page_of_the_fixture_site_is_written(built):
    _, out, result = built
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert pages == [
        "404.html",
        "about/index.html",
        "events/2021-09-a-month-long-campaign/index.html",
        "events/detained/index.html",
        "events/letter/index.html",
        "events/lyon-picket-2021/index.html",
        "events/lyon/index.html",
        "events/picket-in-lyon/index.html",
        "events/released/index.html",
        "events/visit/index.html",
        "index.html",
        "search/index.html",
        "sources/index.html",
        "tags/detentions/index.html",
        "tags/index.html",
        "tags/red-notices/index.html",
        "updates/index.html",
    ]
    assert [event.id for event in result.site.events] == ["2021-09-a-month-long-campaign", "detained", "released", "picket-in-lyon", "letter", "visit"]


def test_every_internal_link_and_anchor_resolves(built):
    _, out, _ = built
    for page in out.rglob("*.html"):
        for href in parse(page).hrefs:
            path, _, anchor = href.partition("#")
            target = out / path.lstrip("/")
            if target.is_dir() or path.endswith("/"):
                target = target / "index.html"
            assert target.is_file(), f"{page.relative_to(out)} links to missing {href}"
            if anchor:
                assert anchor in parse(target).ids, f"{page.relative_to(out)} links to missing anchor {href}"


def test_home_groups_the_timeline_by_year_and_month_in_date_order(built):
    _, out, _ = built
    home = (out / "index.html").read_text()
    headings = re.findall(r'<h[34] id="(y[^"]+)"', home)
    assert headings == ["y2021", "y2021-09", "y2021-10", "y2021-11"]
    order = [home.index(f'id="title-{event_id}"') for event_id in ["2021-09-a-month-long-campaign", "detained", "released", "letter", "visit"]]
    assert order == sorted(order)
    assert "An introduction with a citation." in home


def test_event_page_has_its_date_sources_notes_and_neighbours(built):
    _, out, _ = built
    page = (out / "events" / "detained" / "index.html").read_text()
    assert '<time datetime="2021-09-12T22:30">12 September 2021, 22:30</time>' in page
    assert '<span class="place">no</span>' in page  # `place: no` stays text
    assert '<li id="note-1">' in page and '<li id="note-2">' in page
    assert 'href="https://example.com/one"' in page
    assert 'href="#cite-1-1"' in page and 'href="#cite-1-2"' in page
    assert "(p. 2)" in page
    assert '<a class="event-ref" href="/events/released/">The activist is released</a>' in page
    assert 'rel="prev" href="/events/2021-09-a-month-long-campaign/"' in page
    assert 'rel="next" href="/events/released/"' in page
    assert re.search(r'<section class="related".*href="/events/released/"', page, re.S)


def test_listed_but_uncited_sources_are_shown_once(built):
    _, out, _ = built
    page = (out / "events" / "released" / "index.html").read_text()
    assert page.count('href="https://example.com/one"') == 1
    assert page.count('href="https://example.net/two?x=1&amp;y=2"') == 1


def test_ranges_and_expected_status_read_honestly(built):
    _, out, _ = built
    letter = (out / "events" / "letter" / "index.html").read_text()
    assert '<p class="event-date"><span data-pagefind-ignore><time datetime="2021-10">Late October 2021</time></span></p>' in letter
    assert "https://blog.example/letter" in letter  # the inline source
    visit = (out / "events" / "visit" / "index.html").read_text()
    assert '<span class="badge badge-expected">Expected</span>' in visit


def test_corrections_are_marked(built):
    _, out, _ = built
    page = (out / "events" / "released" / "index.html").read_text()
    assert re.search(r'<time datetime="2021-09-20">20 September 2021</time> <strong>Correction:</strong></span> An earlier version gave the wrong town.', page)


def test_raw_html_in_markdown_is_escaped(built):
    _, out, _ = built
    page = (out / "events" / "released" / "index.html").read_text()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&ldquo;raw html&rdquo;)&lt;/script&gt;" in page or "&lt;script&gt;" in page


def test_text_is_escaped_everywhere(make_site):
    root = make_site({"data/events/a.yaml": (
        '- id: x\n  date: 2021\n  title: "<img src=x onerror=alert(1)> & co"\n'
        '  summary: "Fish & <b>chips</b>[@paper-one]"\n  place: "<script>x</script>"\n'
        '  tags: ["<i>tag</i>"]\n  sources: [paper-one]\n')})
    build(Project.at(root), search=False)
    out = root / "_site"
    for page in [out / "events/x/index.html", out / "index.html", out / "tags/i-tag-i/index.html", out / "sources/index.html"]:
        html = page.read_text()
        assert "<img src=x" not in html and "<script>x" not in html and "<i>tag</i>" not in html and "<b>chips" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; co" in (out / "events/x/index.html").read_text()


def test_the_sources_page_lists_who_cites_each_source(built):
    _, out, _ = built
    page = (out / "sources" / "index.html").read_text()
    entry = page[page.index('id="source-paper-one"'):]
    entry = re.split(r'<li id="source-|</ul>\s*<h2|</ul>\s*</div>', entry)[0]
    for title in ["An activist is detained", "The activist is released", "A letter is sent", "What happened"]:
        assert title in entry


def test_a_failed_build_leaves_the_previous_output_byte_for_byte(built):
    root, out, _ = built
    before = tree_digest(out)
    entry = root / "content" / "events" / "released.md"
    entry.write_text(entry.read_text().replace("date: 2021-09-13", "date: 2021-09-31"))
    with pytest.raises(ContentErrors):
        build(Project.at(root), search=False)
    assert tree_digest(out) == before
    assert not (root / "._site.staging").exists()


def test_a_template_error_is_reported_at_its_line_and_leaves_the_output(built):
    root, out, _ = built
    before = tree_digest(out)
    page = root / "templates" / "page.html"
    page.write_text(page.read_text().replace("{{ page.title }}", "{{ page.titel }}"))
    with pytest.raises(ContentErrors) as errors:
        build(Project.at(root), search=False)
    [problem] = errors.value.problems
    assert str(problem).startswith("templates/page.html:6:1: error: template:")
    assert "titel" in str(problem)
    assert tree_digest(out) == before


def test_a_hundred_lists_nested_in_one_another_build_as_validation_lets_them(built):
    root, out, _ = built
    about = root / "content" / "about.md"
    about.write_text(about.read_text() + "\n\n" + "- " * 100 + "Deep enough.[@paper-one]\n")
    build(Project.at(root), search=False)
    page = (out / "about" / "index.html").read_text()
    assert "Deep enough." in page and page.count("<ul>") >= 100


def test_markdown_nested_deeper_than_python_markdown_can_read_is_a_problem_not_a_traceback(built, monkeypatch):
    """Validation refuses lists nested past 100 (past about 250 Python-Markdown stops with a RecursionError); a text
    nesting deep in any other way it did not foresee stops the build with a problem naming the page, the output left
    as it was."""
    from explainer import markup

    root, out, _ = built
    before = tree_digest(out)
    monkeypatch.setattr(markup, "NESTED_LISTS_MAX", 100_000)  # as if validation did not know this way to nest
    about = root / "content" / "about.md"
    about.write_text(about.read_text() + "\n\n" + "1. " * 3000 + "Deep.[@paper-one]\n")
    with pytest.raises(ContentErrors) as errors:
        build(Project.at(root), search=False)
    assert [str(problem) for problem in errors.value.problems] == [
        'content:1:1: error: Markdown could not read the text starting "## Method Every claim is sourced.[@radio…": it '
        "nests lists or quotations in one another too deep (making /about/)"]
    assert tree_digest(out) == before


def test_a_second_build_writes_nothing_and_a_change_rewrites_only_what_differs(built):
    root, out, _ = built
    again = build(Project.at(root), search=False)
    assert again.report.written == []
    entry = root / "content" / "events" / "visit.md"
    entry.write_text(entry.read_text().replace("An official is expected to visit.", "An official may visit."))
    changed = build(Project.at(root), search=False).report.written
    assert "events/visit/index.html" in changed
    assert "events/detained/index.html" not in changed


def test_after_an_upgrade_of_the_generator_every_page_renders_again_but_only_changed_files_are_written(built, monkeypatch):
    root, out, first = built
    monkeypatch.setattr("explainer.cache.generator_version", lambda: "the next release")  # its caches are not trusted
    again = build(Project.at(root), search=False, workers=2)
    assert again.pages_rendered == first.pages_rendered
    assert (again.report.written, again.report.removed) == ([], [])  # the output's records are: the files are the same


def test_the_menu_names_a_page_by_its_menu_title_and_the_page_keeps_its_title(make_site):
    root = make_site({"content/about.md": "---\ntitle: About this explainer and its methods\nmenu_title: About\n---\nText.\n"})
    build(Project.at(root), search=False)
    for page in ("index.html", "about/index.html", "sources/index.html"):
        menu = (root / "_site" / page).read_text().split('<nav aria-label="Site">')[1].split("</nav>")[0]
        assert '<a href="/about/"' in menu and ">About</a>" in menu and "methods" not in menu
    assert "<h1>About this explainer and its methods</h1>" in (root / "_site" / "about" / "index.html").read_text()


def test_a_date_label_that_opens_a_line_reads_as_a_sentence_would_and_c_by_and_after_as_written(make_site):
    def event(event_id: str, date: str, extra: str = "", summary: str = "S") -> str:
        return (f"- id: {event_id}\n  date: {date}\n{extra}  title: {event_id.title()}\n  summary: {summary}[@paper-one]\n"
                "  sources: [paper-one]\n")
    root = make_site({"data/events/a.yaml": "".join([
        event("founded", "1993", "  circa: true\n"), event("filed", "2021-03", "  before: true\n"),
        event("heard", "2021-04", "  after: true\n"), event("letter", "2021-10-21/2021-10-31"),
        event("reply", "2021-11-04", summary="It answers [[letter]]."),
    ])})
    build(Project.at(root), search=False)
    opening = {"founded": '<time datetime="1993">c. 1993</time>', "filed": '<time datetime="2021-03">by March 2021</time>',
               "heard": '<time datetime="2021-04">after April 2021</time>', "letter": '<time datetime="2021-10">Late October 2021</time>'}
    home = (root / "_site" / "index.html").read_text()
    for event_id, date in opening.items():
        page = (root / "_site" / "events" / event_id / "index.html").read_text()
        assert f'<p class="event-date"><span data-pagefind-ignore>{date}</span></p>' in page  # search shows it apart
        assert f'<p class="event-date">{date}</p>' in home
    reply = (root / "_site" / "events" / "reply" / "index.html").read_text()
    assert '<a class="event-ref" href="/events/letter/">Letter</a>, <time datetime="2021-10">late October 2021</time>' in reply


def test_no_stylesheet_rule_changes_the_case_of_a_date():
    css = (REPO / "assets" / "css" / "site.css").read_text()
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", css, flags=re.S))
    assert [selector.strip() for selector, declarations in rules
            if ("date" in selector or "time" in selector) and ("first-letter" in selector or "text-transform" in declarations)] == []


def test_a_range_across_years_gives_each_bound_its_own_time_element(make_site):
    root = make_site({"data/events/a.yaml": (
        "- id: talks\n  date: 2021-12/2022-01\n  title: Talks\n  summary: S[@paper-one]\n  sources: [paper-one]\n"
        "- id: after\n  date: 2022-02-01\n  time: '10:00'\n  title: After\n  summary: After [[talks]].[@paper-one]\n"
        "  sources: [paper-one]\n")})
    build(Project.at(root), search=False)
    bounds = 'between <time datetime="2021-12">December 2021</time> and <time datetime="2022-01">January 2022</time>'
    page = (root / "_site" / "events" / "talks" / "index.html").read_text()
    assert f'<p class="event-date"><span data-pagefind-ignore>B{bounds[1:]}</span></p>' in page and 'datetime="2021"' not in page
    linking = (root / "_site" / "events" / "after" / "index.html").read_text()
    assert f'<a class="event-ref" href="/events/talks/">Talks</a>, {bounds}' in linking
    assert '<time datetime="2022-02-01T10:00">1 February 2022, 10:00</time>' in linking
    items = {item["id"].rsplit("/", 2)[-2]: item for item in json.loads((root / "_site" / "feed.json").read_text())["items"]}
    assert items["talks"]["_explainer"]["date"] == "2021-12/2022-01"


def test_stale_pages_are_removed(built):
    root, out, _ = built
    (root / "content" / "about.md").unlink()
    report = build(Project.at(root), search=False).report
    assert "about/index.html" in report.removed
    assert not (out / "about").exists()


def test_command_line_prints_errors_and_a_count_and_exits_1(make_site):
    root = make_site({"data/events/a.yaml": "- id: x\n  date: 2021-13\n  title: T\n  summary: S[@paper-one]\n  sources: [nope]\n"})
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root)], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        'data/events/a.yaml:2:9: error: date "2021-13": month must be 1..12',
        'data/events/a.yaml:5:13: error: event "x": unknown source "nope": not in data/sources.yaml',
        "2 errors",
    ]
    assert "Traceback" not in result.stderr
    assert not (root / "_site").exists()


def test_a_file_that_cannot_be_read_is_the_one_error_reported_not_every_link_to_what_it_defines(make_site):
    linking = "- id: y\n  date: 2021\n  title: Y\n  summary: See [[x]].[@paper-one]\n  sources: [paper-one]\n  related: [x]\n"
    root = make_site({"data/events/2020.yaml": "- id: x\n  date: 2020\n\ttitle: X\n", "data/events/2021.yaml": linking})
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root)], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "data/events/2020.yaml:3:1: error: YAML syntax: found a tab character that violates indentation "
        "(while scanning a plain scalar): indent with spaces, not tabs",
        "1 error",
    ]


def test_wrong_usage_exits_2(make_site):
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "publish"], capture_output=True, text=True)
    assert result.returncode == 2


def test_new_event_scaffolds_an_entry_that_passes_once_filled_in(make_site):
    root = make_site({})
    run = lambda *args: subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), *args], capture_output=True, text=True)
    created = run("new", "event", "Picket in Vilnius", "--date", "2021-11-06")
    assert created.returncode == 0, created.stderr
    path = root / "content" / "events" / "2021-11-06-picket-in-vilnius.md"
    assert path.is_file()
    unfilled = run("check")
    assert unfilled.returncode == 1
    assert 'unknown source "source-id"' in unfilled.stderr
    path.write_text(path.read_text().replace("source-id", "paper-one"))
    assert run("check").returncode == 0
    assert run("new", "event", "Picket in Vilnius", "--date", "2021-11-06").returncode == 1
    assert run("new", "event", "X", "--date", "2021-02-30").returncode == 2


def test_old_event_addresses_keep_working(built):
    _, out, _ = built
    for alias in ("lyon-picket-2021", "lyon"):
        page = (out / "events" / alias / "index.html").read_text()
        assert '<meta http-equiv="refresh" content="0; url=/events/picket-in-lyon/">' in page
        assert '<link rel="canonical" href="https://example.org/events/picket-in-lyon/">' in page
    rules = (out / "_redirects").read_text().splitlines()
    assert "/events/lyon/ /events/picket-in-lyon/ 301!" in rules
    assert "/events/lyon /events/picket-in-lyon/ 301!" in rules


def test_an_alias_may_not_take_another_event_id(make_site):
    from conftest import problem_lines

    root = make_site({"data/events/a.yaml": (
        "- id: a\n  date: 2021\n  title: A\n  summary: S[@paper-one]\n  sources: [paper-one]\n"
        "- id: b\n  date: 2021\n  title: B\n  summary: S[@paper-one]\n  sources: [paper-one]\n  aliases: [a]\n")})
    assert problem_lines(root) == ['data/events/a.yaml:11:13: error: event alias "a" is already used as an id at data/events/a.yaml:1:3']


def test_the_updates_page_lists_every_update_and_correction_newest_first(built):
    _, out, _ = built
    page = (out / "updates" / "index.html").read_text()
    assert '<a href="/events/released/#updates-title">The activist is released</a>' in page
    assert "<strong>Correction</strong>" in page and "An earlier version gave the wrong town." in page
    assert (out / "updates" / "feed.xml").is_file()


def test_citations_in_updates_lead_to_the_notes_of_their_page_as_it_numbers_them(make_site):
    sources = ("paper-one:\n  title: One\n  publisher: P\n  url: https://example.com/one\n"
               "paper-two:\n  title: Two\n  publisher: Q\n  url: https://example.com/two\n")
    root = make_site({"data/sources.yaml": sources, "data/events/a.yaml": (
        "- id: x\n  date: 2021\n  title: X\n  summary: S.[@paper-one]\n  sources: [paper-one, paper-two]\n"
        "  updates:\n    - date: 2021-12-01\n      kind: correction\n      text: It was wrong.[@paper-two]\n"),
        "content/about.md": "---\ntitle: About\nupdates:\n  - date: 2021-12-02\n    text: Now right.[@paper-one]\n---\nBody.[@paper-two]\n"})
    build(Project.at(root), search=False)
    out = root / "_site"
    updates = (out / "updates" / "index.html").read_text() + (out / "updates" / "feed.xml").read_text()
    assert 'href="/events/x/#note-2"' in updates and 'href="/about/#note-2"' in updates
    assert 'href="#note-' not in updates
    assert '<li id="note-2">' in (out / "events" / "x" / "index.html").read_text()
    assert 'href="#note-2"' in (out / "about" / "index.html").read_text()


def test_the_home_page_shows_the_updates_of_its_introduction(make_site):
    root = make_site({"data/events/a.yaml": "- id: x\n  date: 2021\n  title: X\n  summary: S.[@paper-one]\n  sources: [paper-one]\n",
                      "content/index.md": ("---\ntitle: Home\nupdates:\n  - date: 2021-12-02\n    kind: correction\n"
                                           "    text: An earlier version was wrong.[@paper-one]\n---\nIntro.\n")})
    build(Project.at(root), search=False)
    home = (root / "_site" / "index.html").read_text()
    assert 'id="updates-title"' in home and "An earlier version was wrong." in home
    assert '<li id="note-1">' in home
    assert 'href="/#updates-title"' in (root / "_site" / "updates" / "index.html").read_text()


def test_the_home_timeline_has_a_year_index_and_a_way_to_the_latest_event(built):
    _, out, _ = built
    home = (out / "index.html").read_text()
    nav = home[home.index('<nav class="year-jump"'):home.index("</nav>", home.index('<nav class="year-jump"'))]
    assert '<a href="#y2021">2021</a>' in nav
    assert '<a href="#visit">Latest event</a>' in nav


def test_topics_in_cyrillic_get_pages_of_their_own(make_site):
    events = "".join(f"- id: e{n}\n  date: 2021\n  title: E{n}\n  summary: S[@paper-one]\n  tags: [{tag}]\n  sources: [paper-one]\n"
                     for n, tag in enumerate(["Дыяспара", "Інтэрпол", "Łódź"]))
    root = make_site({"data/events/a.yaml": events})
    build(Project.at(root), search=False)
    tags = root / "_site" / "tags"
    for slug, event_id in [("dyyaspara", "e0"), ("interpol", "e1"), ("lodz", "e2")]:
        page = (tags / slug / "index.html").read_text()
        assert re.findall(r'<article class="event-card" id="([^"]+)"', page) == [event_id], slug


def test_a_large_timeline_gets_year_pages_and_paginated_tags(make_site):
    events = "".join(
        f"- id: e{n}\n  date: {2019 + n % 3}-0{1 + n % 9}-1{n % 9}\n  title: Event {n}\n  summary: S{n}[@paper-one]\n"
        f"  tags: [Common]\n  sources: [paper-one]\n" for n in range(7))
    root = make_site({"data/events/a.yaml": events,
                      "data/site.yaml": "title: T\ndescription: D\nbase_url: https://example.org\ntimeline_threshold: 2\npage_size: 3\n"})
    build(Project.at(root), search=False)
    out = root / "_site"
    home = (out / "index.html").read_text()
    assert 'id="years"' in home and '<a href="/years/2020/">2020</a>' in home
    assert home.count('class="event-card"') == 7  # the latest events (all seven here)
    year = (out / "years" / "2019" / "index.html").read_text()
    assert 'href="/years/2019/y2019-' in year  # more events than the threshold in a year: a page per month
    assert 'rel="next" class="pager-next" href="/years/2020/"><span class="pager-label">Next year</span> 2020</a>' in year
    assert (out / "tags" / "common" / "page" / "3" / "index.html").is_file()
    assert not (out / "tags" / "common" / "page" / "4").exists()
    first = (out / "tags" / "common" / "index.html").read_text()
    assert 'rel="next" href="/tags/common/page/2/"' in first and "Page 1 of 3" in first
    search = (out / "search" / "index.html").read_text()
    assert '<a href="/years/2019/">2019</a>' in search  # the home page has no timeline to link into
    assert broken_links(out) == []


def test_year_and_month_pages_are_headed_by_what_they_show(make_site):
    """A year's page goes by month (h2), its cards below (h3); a month's page shows its cards (h2) between its
    year's other months. Neither repeats the year or month its title gives."""
    dates = ["2019-01-05", "2019-04-05", "2019-07-05", "2020-02-05", "2020-05-05"]
    events = "".join(f"- id: e{n}\n  date: {date}\n  title: Event {n}\n  summary: S[@paper-one]\n  sources: [paper-one]\n"
                     for n, date in enumerate(dates))
    root = make_site({"data/events/a.yaml": events,
                      "data/site.yaml": "title: T\ndescription: D\nbase_url: https://example.org\ntimeline_threshold: 2\n"})
    build(Project.at(root), search=False)
    years = root / "_site" / "years"

    year = (years / "2020" / "index.html").read_text()
    assert headings(year) == [("h1", "2020"), ("h2", "February 2020"), ("h3", "Event 3"), ("h2", "May 2020"), ("h3", "Event 4")]
    jump = year[year.index('<nav class="year-jump" aria-label="Months of 2020">'):]
    assert '<a href="#y2020-02">February</a></li><li><a href="#y2020-05">May</a>' in jump[:jump.index("</nav>")]
    assert '<a rel="prev" class="pager-previous" href="/years/2019/"><span class="pager-label">Previous year</span> 2019</a>' in year

    month = (years / "2019" / "y2019-04" / "index.html").read_text()
    assert headings(month) == [("h1", "April 2019"), ("h2", "Event 1")]
    assert '<a href="/#years">All years</a> · <a href="/years/2019/">2019</a>' in month
    assert 'aria-label="Previous and next month"' in month and 'aria-label="Pages"' not in month
    assert '<a rel="prev" class="pager-previous" href="/years/2019/y2019-01/"><span class="pager-label">Previous month</span> January 2019</a>' in month
    assert '<a rel="next" class="pager-next" href="/years/2019/y2019-07/"><span class="pager-label">Next month</span> July 2019</a>' in month
    assert "Previous month" not in (years / "2019" / "y2019-01" / "index.html").read_text()
    assert broken_links(root / "_site") == []


def test_a_month_with_more_events_than_the_threshold_goes_on_over_numbered_pages(make_site):
    events = "".join(f"- id: e{n}\n  date: 2019-04-{1 + n:02d}\n  title: Event {n}\n  summary: S[@paper-one]\n  sources: [paper-one]\n"
                     for n in range(5))
    events += "- id: may\n  date: 2019-05-01\n  title: In May\n  summary: S[@paper-one]\n  sources: [paper-one]\n"
    root = make_site({"data/events/a.yaml": events,
                      "data/site.yaml": "title: T\ndescription: D\nbase_url: https://example.org\ntimeline_threshold: 2\n"})
    build(Project.at(root), search=False)
    april = root / "_site" / "years" / "2019" / "y2019-04"

    first, last = (april / "index.html").read_text(), (april / "page" / "3" / "index.html").read_text()
    assert headings(first) == [("h1", "April 2019"), ("h2", "Event 0"), ("h2", "Event 1")]
    assert headings(last) == [("h1", "April 2019 (page 3 of 3)"), ("h2", "Event 4")]
    assert "<title>April 2019 (page 3 of 3)" in last
    assert 'rel="next" href="/years/2019/y2019-04/page/2/"' in first and "Page 1 of 3" in first
    # The pages of the month are what rel="next" leads to; the next month is linked without it.
    assert '<a class="pager-next" href="/years/2019/y2019-05/"><span class="pager-label">Next month</span> May 2019</a>' in first
    assert first.count('rel="next"') == 1 and 'rel="next"' not in last
    assert not (april / "page" / "4").exists()
    assert '<a href="/years/2019/y2019-04/">April 2019</a> <span class="count">(5 events)</span>' in (
        root / "_site" / "years" / "2019" / "index.html").read_text()
    assert broken_links(root / "_site") == []


def headings(page: str) -> list[tuple[str, str]]:
    """Each heading of a page, in order: (tag, text)."""
    return [(tag, re.sub("<[^>]+>", "", text).strip()) for tag, text in re.findall(r"<(h[1-6])[^>]*>(.*?)</h[1-6]>", page)]


def test_a_large_home_page_describes_in_json_ld_only_the_events_it_lists(make_site):
    events = "".join(f"- id: e{n:02d}\n  date: 2021-{1 + n // 28:02d}-{1 + n % 28:02d}\n  title: Event {n}\n  summary: S[@paper-one]\n"
                     f"  sources: [paper-one]\n" for n in range(25))
    root = make_site({"data/events/a.yaml": events,
                      "data/site.yaml": "title: T\ndescription: D\nbase_url: https://example.org\ntimeline_threshold: 10\n"})
    build(Project.at(root), search=False)
    home = (root / "_site" / "index.html").read_text()
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', home, re.S)[1]
    timeline = json.loads(script)["@graph"][1]
    assert timeline["numberOfItems"] == 20 == home.count('class="event-card"')
    assert timeline["itemListOrder"] == "https://schema.org/ItemListOrderDescending"
    assert timeline["itemListElement"][0]["url"] == "https://example.org/events/e24/"  # the newest, listed first


def test_the_list_of_sources_is_paginated(make_site, monkeypatch):
    from explainer import pages

    monkeypatch.setattr(pages, "SOURCES_PER_PAGE", 2)
    sources = "".join(f"s{n}:\n  title: Report {n}\n  publisher: Paper\n  url: https://example.com/{n}\n" for n in range(5))
    root = make_site({"data/sources.yaml": sources,
                      "data/events/a.yaml": "- id: e\n  date: 2021-01-01\n  title: E\n  summary: S[@s0]\n  sources: [s1]\n"})
    build(Project.at(root), search=False)
    out = root / "_site" / "sources"
    first, last = (out / "index.html").read_text(), (out / "page" / "3" / "index.html").read_text()
    assert first.count('<li id="source-') == 2 and last.count('<li id="source-') == 1
    assert 'rel="next" href="/sources/page/2/"' in first and "Page 1 of 3" in first
    assert "<title>Sources (page 3 of 3)" in last
    assert not (out / "page" / "4").exists()
    # Every source of the sample has one publisher: the later pages go on with its list.
    assert '<h2 class="publisher">Paper</h2>' in first
    assert '<h2 class="publisher">Paper <span class="count">(continued)</span></h2>' in last


def test_the_sources_page_lists_sources_under_their_publishers_and_folds_what_cites_a_source_cited_often(make_site):
    def source(source_id: str, publisher: str) -> str:
        return f"{source_id}:\n  title: Report {source_id}\n  publisher: {publisher}\n  url: https://example.com/{source_id}\n"

    def event(event_id: str, sources: str) -> str:
        return f"- id: {event_id}\n  date: 2021-01-01\n  title: Event {event_id}\n  summary: S[@{sources.split(',')[0]}]\n  sources: [{sources}]\n"

    root = make_site({
        "data/sources.yaml": source("z", "Zeta News") + source("b2", "Beta Radio") + source("a", "Alpha Daily") + source("b1", "Beta Radio"),
        "data/events/a.yaml": event("one", "z, b1") + event("two", "b1") + event("three", "b1"),
        "content/about.md": "---\ntitle: About\n---\nWe read it.[@b1]\n",
    })
    build(Project.at(root), search=False)
    page = (root / "_site" / "sources" / "index.html").read_text()
    headings = re.findall(r'<h2 class="publisher">([^<]*)</h2>', page)
    assert headings == ["Alpha Daily", "Beta Radio", "Zeta News"]
    under = {heading: re.findall(r'<li id="source-([^"]*)"', part) for heading, part in
             zip(headings, re.split(r'<h2 class="publisher">[^<]*</h2>', page)[1:])}
    assert under == {"Alpha Daily": ["a"], "Beta Radio": ["b1", "b2"], "Zeta News": ["z"]}
    assert '<span class="publisher">' not in page  # the heading names it, not each source's line
    entry = lambda source_id: re.split(r'<li id="source-|<h2|</main>', page[page.index(f'id="source-{source_id}"'):])[0]  # noqa: E731
    assert '<span class="label">Cited in:</span> <a href="/events/one/">Event one</a>' in entry("z") and "<details" not in entry("z")
    folded = entry("b1")
    assert "Cited in:" not in folded and '<details class="cited-by">' in folded
    assert "<summary>Cited in 3 events and 1 page</summary>" in folded
    assert [href for href in re.findall(r'href="([^"]*)"', folded.split("<summary>")[1])] == \
           ["/events/one/", "/events/two/", "/events/three/", "/about/"]
    assert "Not cited yet." in entry("a")


def test_a_card_shows_a_small_responsive_lazy_thumbnail_of_its_first_real_photo_and_none_of_a_placeholder(make_site):
    def image(colour: tuple[int, int, int], size: tuple[int, int] = (1200, 800), kind: str = "JPEG") -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", size, colour).save(buffer, kind)
        return buffer.getvalue()

    def event(event_id: str, src: str, alt: str, credit: str) -> str:
        return (f"- id: {event_id}\n  date: 2021-01-01\n  title: Event {event_id}\n  summary: S[@paper-one]\n"
                f"  tags: [Pickets]\n  sources: [paper-one]\n  photos:\n    - src: images/{src}\n      alt: {alt}\n"
                f"      credit: {credit}\n")

    root = make_site({"assets/images/street.jpg": image((180, 40, 40)), "assets/images/none.png": image((90, 90, 90), kind="PNG"),
                      "data/events/a.yaml": event("shot", "street.jpg", "Protesters with flags in a street", "Jane Doe / Agency")
                      + event("blank", "none.png", "A card saying there is no photo", "Placeholder")})
    build(Project.at(root), search=False)
    out = root / "_site"
    for page in ("index.html", "tags/pickets/index.html"):
        html = (out / page).read_text()
        card = html[html.index('id="shot"'):].split("</article>")[0]
        tags = dict(parse_tags(card))
        img, source = tags["img"], tags["source"]
        assert img["alt"] == "Protesters with flags in a street" and img["loading"] == "lazy"
        assert (int(img["width"]), int(img["height"])) == (1200, 800) and img["sizes"] == source["sizes"]
        assert source["type"] == "image/webp" and "480w" in source["srcset"] and "480w" in img["srcset"]
        files = [img["src"]] + [candidate.split()[0] for srcset in (img["srcset"], source["srcset"]) for candidate in srcset.split(",")]
        assert all((out / url.lstrip("/")).is_file() for url in files), files
        placeholder = html[html.index('id="blank"'):].split("</article>")[0]
        assert "<img" not in placeholder and "<picture" not in placeholder
    # Another photo in the same file: the cards show its new sizes (their keys are made of the processed photo).
    old = img["src"]
    (root / "assets" / "images" / "street.jpg").write_bytes(image((40, 40, 180), (900, 900)))
    build(Project.at(root), search=False)
    card = (out / "index.html").read_text().split('id="shot"')[1].split("</article>")[0]
    img = dict(parse_tags(card))["img"]
    assert img["src"] != old and (int(img["width"]), int(img["height"])) == (900, 900)


def parse_tags(html: str) -> list[tuple[str, dict]]:
    links = Links()
    links.feed(html)
    return [(tag, {name: value or "" for name, value in attributes.items()}) for tag, attributes in links.tags]


@pytest.mark.parametrize("name", ["event.html", "base.html", "_notes.html", "_date.html"])
def test_a_template_that_is_not_utf8_is_an_error_at_its_first_bad_byte_whichever_page_loads_it(built, name):
    root, out, _ = built
    before = tree_digest(out)
    template = root / "templates" / name
    lines = template.read_bytes().count(b"\n")
    with template.open("ab") as file:
        file.write(b"ok \xff\xfe\n")
    with pytest.raises(ContentErrors) as errors:
        build(Project.at(root), search=False)
    assert [str(problem) for problem in errors.value.problems] == [
        f"templates/{name}:{lines + 1}:4: error: this file is not UTF-8 text (byte 0xff): save it as UTF-8"]
    assert tree_digest(out) == before


def test_a_missing_template_is_named_and_one_included_is_named_at_the_line_including_it(built):
    root, out, _ = built
    before = tree_digest(out)
    event_page = root / "templates" / "event.html"
    kept = event_page.read_text()
    event_page.unlink()
    with pytest.raises(ContentErrors) as errors:
        build(Project.at(root), search=False)
    assert [str(problem) for problem in errors.value.problems] == [
        "templates/event.html:1:1: error: missing: the build makes pages with this template: restore it "
        "(the repository's templates/ has every one)"]
    event_page.write_text(kept)
    page = root / "templates" / "page.html"
    lines = page.read_text().split("\n")
    page.write_text("\n".join(lines[:2] + ['{% include "_missing.html" %}'] + lines[2:]))
    with pytest.raises(ContentErrors) as errors:
        build(Project.at(root), search=False)
    assert [str(problem) for problem in errors.value.problems] == [
        'templates/page.html:3:1: error: includes "_missing.html", which is not in templates/: add it there, or correct the name']
    assert tree_digest(out) == before


def test_a_template_that_makes_an_empty_page_is_an_error_and_nothing_is_published(built):
    root, out, _ = built
    before = tree_digest(out)
    (root / "templates" / "page.html").write_text("{# emptied while being edited #}\n  \n")
    with pytest.raises(ContentErrors) as errors:
        build(Project.at(root), search=False)
    [problem] = errors.value.problems
    assert str(problem).startswith("templates/page.html:1:1: error: made an empty page (/")
    assert str(problem).endswith("): a page needs its HTML: restore the template (the repository's templates/ has "
                                 "every one)")
    assert tree_digest(out) == before


@pytest.mark.parametrize("prepended, place, loop", [
    ({"a1.html": '{% extends "b1.html" %}\n', "b1.html": '\n{% extends "a1.html" %}\n', "page.html": '{% include "a1.html" %}\n'},
     "templates/a1.html:1:1", "a1.html → b1.html → a1.html"),
    ({"_notes.html": '{% include "_notes.html" %}\n'}, "templates/_notes.html:1:1", "_notes.html → _notes.html"),
], ids=["through-others", "itself"])
def test_templates_that_include_or_extend_each_other_in_a_loop_are_an_error_at_the_loop(built, prepended, place, loop):
    root, _, _ = built
    for name, text in prepended.items():
        template = root / "templates" / name
        template.write_text(text + (template.read_text() if template.exists() else ""))
    with pytest.raises(ContentErrors) as errors:
        build(Project.at(root), search=False)
    assert [str(problem) for problem in errors.value.problems] == [
        f"{place}: error: this template includes or extends itself, directly or through others: "
        f"{loop}: remove the include or extends that closes the loop"]


def test_every_template_that_is_not_utf8_is_named_at_once_before_any_page_is_made(built):
    root, _, _ = built
    for name in ("base.html", "_date.html"):
        with (root / "templates" / name).open("ab") as file:
            file.write(b"\xff\n")
    with pytest.raises(ContentErrors) as errors:
        build(Project.at(root), search=False)
    assert [problem.position.path for problem in errors.value.problems] == ["templates/_date.html", "templates/base.html"]


def test_a_page_whose_template_loops_far_too_long_is_stopped_with_an_error_at_the_loop(built, monkeypatch):
    from explainer import pipeline

    root, out, _ = built
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    monkeypatch.setattr(pipeline, "PAGE_SECONDS", 0.5)
    template = root / "templates" / "event.html"
    lines = template.read_text().split("\n")
    lines[12] = lines[12].replace("{{ event.title }}", "{% for _ in range(10**12) %}{% endfor %}{{ event.title }}")
    template.write_text("\n".join(lines))
    started = time.perf_counter()
    with pytest.raises(ContentErrors) as errors:
        build(Project.at(root), search=False, workers=1)
    assert time.perf_counter() - started < 30  # the loop alone would take hours
    [problem] = errors.value.problems
    assert re.fullmatch(r"templates/event\.html:13:1: error: making this page took over 0\.5 s, and was stopped: does a loop "
                        r"here run over far too many items, or never end\? \(making /events/[a-z0-9-]+/\)", str(problem))
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0) and signal.getsignal(signal.SIGALRM) is signal.SIG_DFL
