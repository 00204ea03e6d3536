"""Publishing a build: made whole in the spare beside the output, swapped in at once, only changed files written."""
import os

import pytest

from explainer.cache import content_digest
from explainer.write import BuildError, DamagedCacheFile, Publication, read_trees, spare_of


def publish(out, records, files: dict[str, bytes], **options):
    """A build that publishes these files (keyed by their bytes), keeping what the output holds unchanged."""
    publication = Publication(out, records, files, **options)
    for path, content in files.items():
        key = content_digest(content)
        if publication.live_key(path) == key:
            publication.keep(path)
        else:
            publication.put(path, content, key)
    return publication, publication.commit({"stamp": None})


def tree(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture
def output(tmp_path):
    return tmp_path / "_site", tmp_path / ".cache" / "trees.pickle"


def test_the_first_build_becomes_the_output_and_the_next_keeps_the_last_as_its_spare(output):
    out, records = output
    publish(out, records, {"a/index.html": b"A", "b/index.html": b"B", "old.html": b"O"})
    assert tree(out) == {"a/index.html": b"A", "b/index.html": b"B", "old.html": b"O"}
    _, report = publish(out, records, {"a/index.html": b"A", "b/index.html": b"B2"})
    assert (report.written, report.removed, report.unchanged) == (["b/index.html"], ["old.html"], 1)
    assert tree(out) == {"a/index.html": b"A", "b/index.html": b"B2"}
    assert tree(spare_of(out)) == {"a/index.html": b"A", "b/index.html": b"B", "old.html": b"O"}
    assert not (out / "old").exists() and len(read_trees(records)) == 2


def test_an_unchanged_file_is_the_same_file_not_a_copy_and_a_changed_one_is_a_new_file(output):
    out, records = output
    publish(out, records, {"a.html": b"A", "b.html": b"B"})
    before = {name: os.stat(out / name).st_ino for name in ("a.html", "b.html")}
    publish(out, records, {"a.html": b"A", "b.html": b"B2"})
    assert os.stat(out / "a.html").st_ino == before["a.html"]  # a hard link from the last output
    assert os.stat(out / "b.html").st_ino != before["b.html"]
    assert (spare_of(out) / "b.html").read_bytes() == b"B"  # no file is written into: the old one is untouched


def test_a_file_changed_by_hand_in_the_output_is_written_again(output):
    out, records = output
    publish(out, records, {"a/index.html": b"A", "b/index.html": b"B"})
    (out / "a/index.html").write_bytes(b"edited by hand")
    _, report = publish(out, records, {"a/index.html": b"A", "b/index.html": b"B"})
    assert report.written == ["a/index.html"] and (out / "a/index.html").read_bytes() == b"A"


def test_the_output_is_untouched_until_the_switch(output):
    out, records = output
    publish(out, records, {"a.html": b"A", "b.html": b"B"})
    publication = Publication(out, records, ["a.html", "c.html"])
    publication.put("a.html", b"A2", "k")
    publication.put("c.html", b"C", "k")
    assert tree(out) == {"a.html": b"A", "b.html": b"B"}
    publication.commit({})
    assert tree(out) == {"a.html": b"A2", "c.html": b"C"}


def test_what_a_killed_build_left_in_the_spare_is_never_published(output):
    out, records = output
    publish(out, records, {"a.html": b"A"})
    publish(out, records, {"a.html": b"A", "b.html": b"B"})
    killed = Publication(out, records, ["a.html", "b.html", "new/page.html"])
    killed.put("new/page.html", b"half", "k")  # then the build died: no finish, no commit
    (spare_of(out) / "b.html").write_bytes(b"garbled")
    publish(out, records, {"a.html": b"A", "b.html": b"B"})
    assert tree(out) == {"a.html": b"A", "b.html": b"B"}


def test_an_unknown_spare_is_made_again_from_the_output(output):
    out, records = output
    publish(out, records, {"a.html": b"A"})
    publish(out, records, {"a.html": b"A2"})
    records.unlink()  # the records lost: neither folder can be trusted
    (spare_of(out) / "stray.html").write_bytes(b"left over")
    publish(out, records, {"a.html": b"A3"})
    assert tree(out) == {"a.html": b"A3"}


def test_a_cached_file_is_copied_never_linked_and_a_garbled_one_is_refused(output, tmp_path):
    out, records = output
    cached = tmp_path / "card.png"
    cached.write_bytes(b"PNG bytes")
    publication = Publication(out, records, ["cards/a.png"])
    publication.put_file("cards/a.png", cached, "", content_digest(b"PNG bytes"))
    publication.commit({})
    assert os.stat(out / "cards/a.png").st_ino != os.stat(cached).st_ino
    cached.write_bytes(b"garbage!!")  # changed in place, as a damaged cache would be
    assert (out / "cards/a.png").read_bytes() == b"PNG bytes"
    publication = Publication(tmp_path / "other", tmp_path / "other-trees.pickle", ["cards/a.png"])
    with pytest.raises(DamagedCacheFile):
        publication.put_file("cards/a.png", cached, "", content_digest(b"PNG bytes"))


def test_a_failed_first_build_leaves_no_folder_behind(output):
    out, records = output
    publication = Publication(out, records, ["a.html"])
    publication.put("a.html", b"A", "k")
    publication.abort()
    assert not out.exists() and not spare_of(out).exists()


def test_two_paths_for_one_file_is_a_bug_not_a_silent_overwrite(output):
    out, records = output
    publication = Publication(out, records, ["a.html"])
    publication.put("a.html", b"A", "k")
    with pytest.raises(BuildError, match="two files of this build would be published as /a.html: nothing was written"):
        publication.put("a.html", b"B", "k")
