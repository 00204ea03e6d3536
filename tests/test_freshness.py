"""`build.py` answers "up to date" without building only when no input, option or output file changed, and
never while an input was written too recently for its times to be trusted."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from explainer import freshness
from explainer.project import input_files

pytestmark = pytest.mark.slow  # whole builds of fixture sites

REPO = Path(__file__).resolve().parent.parent


def run_build(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "build", *args],
                          capture_output=True, text=True)


def is_up_to_date(result: subprocess.CompletedProcess) -> bool:
    assert result.returncode == 0, result.stderr
    return "is up to date" in result.stdout


def settle(root: Path) -> None:
    """Date every input file ten seconds back, as files an editor saved a while ago (see `cache.RACY_NS`)."""
    for path in root.rglob("*"):
        if path.is_file() and path.parts[len(root.parts)] in ("content", "data", "templates", "assets"):
            stat = path.stat()
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10_000_000_000))


@pytest.fixture
def site(fixture_site):
    root = fixture_site("basic")
    settle(root)
    assert not is_up_to_date(run_build(root))
    return root


def touch_later(path: Path) -> None:
    """Give a file a new modification time, still long ago, as an editor saving it unchanged would."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_a_build_with_nothing_changed_does_nothing_and_says_so(site):
    before = {path: path.stat().st_mtime_ns for path in (site / "_site").rglob("*")}
    result = run_build(site)
    assert is_up_to_date(result)
    assert result.stdout.startswith("_site/ is up to date: no input changed since it was built (")
    assert {path: path.stat().st_mtime_ns for path in (site / "_site").rglob("*")} == before


@pytest.mark.parametrize("changed", ["content/events/visit.md", "data/events/2021.yaml", "data/site.yaml", "templates/event.html"])
def test_saving_any_input_builds_again(site, changed):
    touch_later(site / changed)
    assert not is_up_to_date(run_build(site))
    assert is_up_to_date(run_build(site))


def test_a_new_file_in_an_input_folder_builds_again(site):
    (site / "assets" / "images").mkdir(parents=True, exist_ok=True)
    (site / "assets" / "notes.txt").write_text("kept with the site\n")
    assert not is_up_to_date(run_build(site))
    assert (site / "_site" / "notes.txt").is_file()


def test_a_removed_or_edited_output_file_is_built_again(site):
    page = site / "_site" / "events" / "visit" / "index.html"
    page.unlink()
    assert not is_up_to_date(run_build(site))
    assert page.is_file()
    page.write_text("changed by hand")
    assert not is_up_to_date(run_build(site))
    assert "changed by hand" not in page.read_text()


def test_other_options_build_again(site):
    assert not is_up_to_date(run_build(site, "--drafts"))
    assert not is_up_to_date(run_build(site))


def test_a_failed_build_is_not_remembered_as_current(site):
    entry = site / "content" / "events" / "visit.md"
    good = entry.read_text()
    entry.write_text(good.replace("date:", "date: 2021-02-30\nwhen:", 1))
    assert run_build(site).returncode == 1
    entry.write_text(good)
    assert not is_up_to_date(run_build(site))


def test_the_warnings_of_the_last_build_are_shown_again(make_site):
    root = make_site({
        "data/events/a.yaml": """\
            - id: shown
              date: 2021-03-01
              title: Shown
              summary: Links to [[hidden]].
              sources: [paper-one]
            - id: hidden
              date: 2021-03-02
              title: Hidden
              summary: Not yet.
              sources: [paper-one]
              draft: true
            """,
    })
    settle(root)
    first = run_build(root)
    assert not is_up_to_date(first)
    assert 'links to event "hidden", a draft left out of the build' in first.stderr
    again = run_build(root)
    assert is_up_to_date(again)
    assert again.stderr == first.stderr


def test_the_stamp_covers_size_time_and_name_of_every_input(tmp_path):
    (tmp_path / "content").mkdir()
    entry = tmp_path / "content" / "a.md"
    entry.write_text("one")
    settle(tmp_path)
    stamp = lambda: freshness.input_stamp(tmp_path, tmp_path / "_site", {"drafts": False})  # noqa: E731
    first = stamp()
    assert first is not None and stamp() == first
    entry.write_text("two")
    settle(tmp_path)
    second = stamp()
    assert second != first
    entry.rename(tmp_path / "content" / "b.md")
    assert stamp() not in (first, second)
    assert freshness.input_stamp(tmp_path, tmp_path / "_site", {"drafts": True}) != stamp()


def test_a_link_loop_in_an_input_folder_ends(tmp_path):
    (tmp_path / "assets" / "images").mkdir(parents=True)
    (tmp_path / "assets" / "images" / "loop").symlink_to(tmp_path / "assets")
    (tmp_path / "assets" / "images" / "a.png").write_bytes(b"png")
    assert freshness.input_stamp(tmp_path, tmp_path / "_site", {}) == freshness.input_stamp(tmp_path, tmp_path / "_site", {})


def test_a_file_rewritten_with_its_old_size_and_time_still_builds_again(site):
    """`cp -p` or a tool that restores times: the change time, which no one can set, tells."""
    entry = site / "content" / "events" / "visit.md"
    stat = entry.stat()
    entry.write_text(entry.read_text().replace("An official is expected", "An official is EXPECTED"))
    os.utime(entry, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert entry.stat().st_size == stat.st_size and entry.stat().st_mtime_ns == stat.st_mtime_ns
    assert not is_up_to_date(run_build(site))
    assert "EXPECTED" in (site / "_site" / "events" / "visit" / "index.html").read_text()


def test_no_stamp_is_kept_while_an_input_was_written_too_recently_to_trust_its_time(site):
    entry = site / "content" / "events" / "visit.md"
    entry.write_text(entry.read_text().replace("An official is expected", "An official is foreseen"))  # just now
    assert freshness.input_stamp(site, site / "_site", {}) is None
    assert not is_up_to_date(run_build(site))
    assert not is_up_to_date(run_build(site))  # still too recent: built again, whatever its time says
    settle(site)
    assert not is_up_to_date(run_build(site))
    assert is_up_to_date(run_build(site))


def test_the_listing_of_inputs_names_every_file_and_a_link_out_of_the_site(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("a")
    (tmp_path / "content" / "out.md").symlink_to("/etc/hostname")
    listing = input_files(tmp_path)
    assert set(listing) == {"content/a.md", "content/out.md", "data", "templates", "assets"}
    assert listing["content/out.md"] == "outside" and listing["data"] == "missing"
