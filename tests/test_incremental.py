"""Builds after edits that only change what events say: only the pages showing them are looked at,
and the output is byte for byte what a whole build of the edited content makes."""
import dataclasses
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from explainer import snapshot
from explainer.pipeline import Caches, Project, build
from explainer.problems import ContentErrors
from explainer.render import plan_site, reach_of

pytestmark = pytest.mark.slow  # whole builds of fixture sites


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a new time even on a coarse clock


def clean_build(root: Path, tmp_path: Path) -> dict[str, str]:
    """The tree a whole build of the same content makes, with no cache and no earlier output."""
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".cache", "_site", ".*staging"))
    build(Project.at(fresh), search=False)
    return tree(fresh / "_site")


@pytest.fixture
def site(fixture_site):
    root = fixture_site("basic")
    first = build(Project.at(root), search=False)
    assert first.edited_events is None
    return root


def test_an_edited_entry_rewrites_only_pages_that_show_it_and_matches_a_whole_build(site, tmp_path):
    edit(site, "content/events/visit.md", "title: A visit is expected", "title: A visit is still expected")
    edit(site, "content/events/visit.md", "An official is expected to visit.", "An official is expected to visit Warsaw.")
    result = build(Project.at(site), search=False)
    assert result.edited_events == {"visit"}
    assert "events/visit/index.html" in result.report.written
    assert "events/detained/index.html" not in result.report.written  # far from it in the timeline
    assert result.pages_rendered < 15
    assert tree(site / "_site") == clean_build(site, tmp_path)


@pytest.mark.parametrize("check_apart_from", [10**9, 0])  # output files checked in this process, or on another core
def test_output_files_changed_or_removed_by_hand_are_made_again(site, tmp_path, monkeypatch, check_apart_from):
    monkeypatch.setattr("explainer.write.CHECK_APART_FROM", check_apart_from)
    out = site / "_site"
    (out / "events/detained/index.html").write_text("changed by hand")
    (out / "feed.xml").unlink()
    edit(site, "content/events/visit.md", "title: A visit is expected", "title: A visit is still expected")
    result = build(Project.at(site), search=False)
    assert result.edited_events == {"visit"}
    assert {"events/detained/index.html", "feed.xml", "events/visit/index.html"} <= set(result.report.written)
    assert tree(out) == clean_build(site, tmp_path)


def test_an_edited_event_in_a_file_of_many_matches_a_whole_build(site, tmp_path):
    edit(site, "data/events/2021.yaml", "summary: People picket.", "summary: People picket outside the consulate.")
    edit(site, "data/events/2021.yaml", "He was detained late in the evening.", "He was detained late in the evening, at home.")
    result = build(Project.at(site), search=False)
    assert result.edited_events == {"picket-in-lyon", "detained"}
    assert tree(site / "_site") == clean_build(site, tmp_path)


def test_an_added_update_reaches_the_updates_page_and_the_sitemap(site, tmp_path):
    edit(site, "content/events/visit.md", "status: expected\n",
         "status: expected\nupdates:\n  - date: 2021-11-20\n    text: The date of the visit is still not known.\n")
    result = build(Project.at(site), search=False)
    assert result.edited_events == {"visit"}
    assert "updates/index.html" in result.report.written and "sitemap.xml" in result.report.written
    assert tree(site / "_site") == clean_build(site, tmp_path)


@pytest.mark.parametrize("change", [
    ("content/events/visit.md", "date: 2021-11", "date: 2021-12"),  # moves it in the timeline
    ("content/events/visit.md", "sources: [radio-two]", "sources: [radio-two]\ntags: [Visits]"),  # a new topic page
    ("content/events/visit.md", "visit.[@radio-two]", "visit.[@radio-two][@paper-one]"),  # a source gains a citer
    ("data/events/2021.yaml", "aliases: [lyon-picket-2021, lyon]", "aliases: [lyon-picket-2021]"),  # an address goes
    ("data/sources.yaml", "title: The first report", "title: The first report, corrected"),
    ("data/site.yaml", "title: Test timeline", "title: Test timeline, revised"),
    ("templates/event.html", "</article>", "</article>\n<!-- edited -->"),
    ("content/about.md", "Every claim is sourced.", "Every claim is sourced and checked."),
])
def test_edits_that_change_more_than_what_events_say_take_the_whole_build(site, tmp_path, change):
    edit(site, *change)
    result = build(Project.at(site), search=False)
    assert result.edited_events is None
    assert tree(site / "_site") == clean_build(site, tmp_path)


def test_an_added_or_deleted_entry_takes_the_whole_build(site, tmp_path):
    (site / "content/events/rumour.md").unlink()
    result = build(Project.at(site), search=False)
    assert result.edited_events is None
    assert tree(site / "_site") == clean_build(site, tmp_path)
    shutil.copy(site / "content/events/visit.md", site / "content/events/second-visit.md")
    edit(site, "content/events/second-visit.md", "title: A visit is expected", "title: A second visit")
    assert build(Project.at(site), search=False).edited_events is None
    assert tree(site / "_site") == clean_build(site, tmp_path)


def test_an_error_in_an_edited_entry_is_reported_at_its_line_and_the_output_kept(site):
    before = tree(site / "_site")
    edit(site, "content/events/visit.md", "visit.[@radio-two]", "visit.[@radio-too]")
    with pytest.raises(ContentErrors) as raised:
        build(Project.at(site), search=False)
    assert [str(problem) for problem in raised.value.problems] == [
        'content/events/visit.md:4:43: error: event "visit": unknown source "radio-too": not in data/sources.yaml (did you mean "radio-two"?)']
    assert tree(site / "_site") == before
    edit(site, "content/events/visit.md", "visit.[@radio-too]", "visit, again.[@radio-two]")
    assert build(Project.at(site), search=False).edited_events == {"visit"}


RAW_HTML_WARNINGS = [  # the fixture writes HTML in Markdown on purpose: the site must show it as text
    'content/events/released.md:15:1: warning: event "released": "<script>" is HTML, which the site shows as text: write it in Markdown (**bold**, [link](https://...)), or set raw_html: true in data/site.yaml',
    'content/events/released.md:15:26: warning: event "released": "</script>" is HTML, which the site shows as text: write it in Markdown (**bold**, [link](https://...)), or set raw_html: true in data/site.yaml',
]


def test_warnings_of_files_not_edited_are_kept(fixture_site, tmp_path):
    root = fixture_site("basic")
    assert "draft: true" in (root / "content/events/rumour.md").read_text()
    edit(root, "content/events/visit.md", "An official is expected to visit.", "An official is expected to visit, see [[rumour]].")
    first = build(Project.at(root), search=False)
    assert [str(p) for p in first.warnings] == [*RAW_HTML_WARNINGS,
        'content/events/visit.md:4:48: warning: event "visit": links to event "rumour", a draft left out of the build']
    edit(root, "content/events/released.md", "He walked free in the evening.", "He walked free late in the evening.")
    result = build(Project.at(root), search=False)
    assert result.edited_events == {"released"}
    assert result.warnings == first.warnings
    assert tree(root / "_site") == clean_build(root, tmp_path)


def test_many_edits_in_a_row_are_saved_as_a_log_written_out_whole_now_and_then(site, tmp_path):
    project = Project.at(site)
    for number in range(snapshot.COMPACT_AFTER + 2):
        edit(site, "content/events/visit.md", "title: A visit", f"title: A visit ({number})")
        edit(site, "content/events/visit.md", f"title: A visit ({number})", "title: A visit")  # same size, each time new
        edit(site, "data/events/2021.yaml", "summary: People picket", f"summary: People picket ({number})")
        assert build(project, search=False).edited_events is not None
    saved = snapshot.load(project.cache_dir / "site-_site.pickle")
    assert 1 <= saved.records < snapshot.COMPACT_AFTER
    assert next(e for e in saved.site.events if e.id == "picket-in-lyon").summary.startswith(f"People picket ({snapshot.COMPACT_AFTER + 1})")
    assert tree(site / "_site") == clean_build(site, tmp_path)


@pytest.mark.parametrize("settings", ["", "timeline_threshold: 2\npage_size: 2\n"])
def test_a_page_whose_key_changes_with_an_event_says_it_may_show_that_event(fixture_site, settings):
    """The rule edits in place rely on: a page's key depends on no event's content but what those it `lists` show."""
    root = fixture_site("basic")
    (root / "data/site.yaml").write_text((root / "data/site.yaml").read_text() + settings)
    # a chain of links: the letter links `detained`, whose text links `released` (the letter's page shows only the first)
    edit(root, "data/events/2021.yaml", "goes out in late October.", "goes out in late October, after [[detained]].")
    project = Project.at(root)
    caches = Caches.load(project)
    build(project, search=False, caches=caches)
    inputs = caches.rendered_from
    base = {job.path: job.key for job in plan_site(inputs.renderer(project, caches.fragments))}
    for event in inputs.site.events:
        changed = dataclasses.replace(event, title=event.title + " (new)", summary=event.summary + " More.",
                                      body=event.body + "\n\nAnother paragraph.")
        site = dataclasses.replace(inputs.site, events=tuple(changed if e.id == event.id else e for e in inputs.site.events),
                                   digests={**inputs.site.digests, event.id: "changed"})
        jobs = plan_site(inputs.renderer(project, caches.fragments, site=site))
        moved = [job for job in jobs if job.key != base[job.path]]
        assert any(job.path == f"events/{event.id}/index.html" for job in moved)
        assert [job.path for job in moved if not job.may_show(reach_of(site.events, frozenset([event.id])))] == []


def test_the_manifest_of_the_output_gets_only_the_changes_appended(site):
    from explainer.cache import load_log
    from explainer.write import MANIFEST_FORMAT, content_hash

    project = Project.at(site)
    edit(site, "content/events/visit.md", "title: A visit is expected", "title: A visit is still expected")
    build(project, search=False)
    edit(site, "data/events/2021.yaml", "aliases: [lyon-picket-2021, lyon]", "aliases: [lyon-picket-2021]")  # a page goes
    build(project, search=False)
    manifest, records = load_log(project.manifest, MANIFEST_FORMAT)
    assert records >= 2  # at least one build appended (one changing a quarter of the files writes it whole)
    on_disk = {p.relative_to(site / "_site").as_posix(): p for p in (site / "_site").rglob("*") if p.is_file()}
    assert manifest.keys() == on_disk.keys()
    assert "events/lyon/index.html" not in manifest
    for path, (digest, size, mtime) in manifest.items():
        stat = on_disk[path].stat()
        named_by_content = digest == path.rpartition("/")[2]  # images and cards: their name is their digest
        assert named_by_content or digest == content_hash(on_disk[path].read_bytes())
        assert (size, mtime) == (stat.st_size, stat.st_mtime_ns)


@pytest.mark.parametrize("options", [{"drafts": True}, {"search": True}])
def test_a_build_with_other_options_than_the_last_takes_the_whole_build(site, tmp_path, monkeypatch, options):
    monkeypatch.setattr("explainer.pipeline._publish_search_index", lambda *args: ([], {}))  # what search adds is not at stake
    build(Project.at(site), **{"search": False, **options})
    edit(site, "content/events/visit.md", "title: A visit is expected", "title: A visit is still expected")
    result = build(Project.at(site), search=False)
    assert result.edited_events is None  # the last site had the drafts in it, or its pages the search box
    assert tree(site / "_site") == clean_build(site, tmp_path)


def test_the_profile_says_where_the_time_went_and_that_an_edit_was_made_in_place(site, monkeypatch):
    import subprocess
    import sys

    command = [sys.executable, str(Path(__file__).resolve().parent.parent / "build.py"), "--root", str(site), "build", "--profile"]
    first = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "events edited" not in first  # the fixture's build had no search index: this one is a whole build
    edit(site, "content/events/visit.md", "title: A visit is expected", "title: A visit is still expected")
    second = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "  events edited              1   (in place: only pages showing them were looked at)" in second
    stages = [line.split()[0] for line in second.splitlines()[1:]]
    assert stages == ["events", "pages", "load", "images", "plan", "render", "write", "search"]


@pytest.mark.parametrize("link, retitle, retitled, page", [
    # a summary linking [[released]] shows its title on every card of the event, here on the "Red notices" topic page
    (("data/events/2021.yaml", "summary: Activists campaign all month.", "summary: Activists campaign all month, see [[released]]."),
     ("content/events/released.md", "title: The activist is released", "title: The activist is set free"), "released",
     "tags/red-notices/index.html"),
    # `detained` shows `released` as a related card, whose summary now links [[picket-in-lyon]]
    (("content/events/released.md", "He is released the next day.", "He is released the next day, see [[picket-in-lyon]]."),
     ("data/events/2021.yaml", "title: A picket in Lyon", "title: A picket in Lyon, France"), "picket-in-lyon",
     "events/detained/index.html"),
])
def test_a_new_title_reaches_every_card_that_links_the_event(site, tmp_path, link, retitle, retitled, page):
    edit(site, *link)
    build(Project.at(site), search=False)
    old_title, new_title = (line.removeprefix("title: ") for line in retitle[1:])
    assert old_title in (site / "_site" / page).read_text()
    edit(site, *retitle)
    result = build(Project.at(site), search=False)
    assert result.edited_events == {retitled}
    assert new_title in (site / "_site" / page).read_text()
    assert tree(site / "_site") == clean_build(site, tmp_path)


def test_events_below_an_edit_in_their_file_are_not_changed_by_moving_down(site, tmp_path):
    edit(site, "data/events/2021.yaml", "    He was detained late in the evening.", "    He was detained late in the evening.\n\n    At home.")
    result = build(Project.at(site), search=False)
    assert result.edited_events == {"detained"}  # the events written below it are two lines lower, nothing more
    assert tree(site / "_site") == clean_build(site, tmp_path)
