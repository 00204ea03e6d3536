"""Two builds of the same content are byte-identical, so a deploy diff shows only real changes."""
import hashlib
import shutil
from pathlib import Path

import pytest

from explainer.pipeline import Project, build

pytestmark = pytest.mark.slow  # whole builds of fixture sites

REPO = Path(__file__).resolve().parent.parent
def digests(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*")) if p.is_file()}


def copy_sample(root: Path) -> Path:
    for folder in ("content", "data", "templates", "assets"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def test_two_clean_builds_of_the_sample_are_byte_identical(tmp_path):
    first = build(Project.at(copy_sample(tmp_path / "a"))).out_dir
    second = build(Project.at(copy_sample(tmp_path / "b"))).out_dir
    a, b = digests(first), digests(second)
    assert any(path.startswith("be/pagefind/filter/") for path in a)  # the search index too, in each language
    assert a == b


def test_a_rebuild_in_place_changes_no_byte(tmp_path):
    root = copy_sample(tmp_path / "a")
    before = digests(build(Project.at(root)).out_dir)
    result = build(Project.at(root))
    assert result.report.written == [] and result.report.removed == []
    assert digests(result.out_dir) == before


def test_a_cached_parallel_build_equals_a_clean_single_process_build(tmp_path):
    import sys

    sys.path.insert(0, str(REPO / "bench"))
    from corpus import write_corpus

    write_corpus(260, tmp_path / "a")  # above the number of pages that makes a build use worker processes
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    serial = build(Project.at(tmp_path / "a"), search=False, workers=1).out_dir
    parallel_root = tmp_path / "b"
    build(Project.at(parallel_root), search=False, workers=2)
    entry = parallel_root / "content" / "events" / "event-00001.md"
    original = entry.read_text()
    entry.write_text(original.replace('title: "', 'title: "Changed ', 1))
    build(Project.at(parallel_root), search=False, workers=2)  # a cached, incremental build in between
    entry.write_text(original)
    result = build(Project.at(parallel_root), search=False, workers=2)
    assert result.pages_rendered > 0
    assert digests(serial) == digests(result.out_dir)


def test_what_worker_processes_make_is_kept_for_the_next_build(tmp_path):
    import sys

    from explainer.pipeline import Caches

    sys.path.insert(0, str(REPO / "bench"))
    from corpus import write_corpus

    write_corpus(260, tmp_path / "site")
    project = Project.at(tmp_path / "site")
    caches = Caches.load(project)
    build(project, search=False, workers=2, caches=caches)
    assert caches.calendar  # the calendar was made in whichever process: its memo came back
    caches.save()
    again = Caches.load(project)
    assert again.calendar == caches.calendar
    assert len(again.fragments) >= 2 * 260  # every summary and body, rendered by either process, is saved
