"""Staging a build's files beside the output, and committing them."""
import multiprocessing

from explainer.write import Staging, load_manifest


def _committed(out, manifest, files: dict[str, bytes], **options):
    staging = Staging(out, manifest, **options)
    for path, content in files.items():
        staging.add(path, content)
    return staging, staging.commit()


def test_files_with_the_same_bytes_are_not_written_again_and_the_rest_replace_the_output(tmp_path, monkeypatch):
    monkeypatch.setattr("explainer.write.CHECK_APART_FROM", 1)  # checked on another process, as on a large site
    out, manifest = tmp_path / "_site", tmp_path / "manifest.pickle"
    _committed(out, manifest, {"a/index.html": b"A", "b/index.html": b"B", "old.html": b"O"})
    _, report = _committed(out, manifest, {"a/index.html": b"A", "b/index.html": b"B2"})
    assert (report.written, report.removed, report.unchanged) == (["b/index.html"], ["old.html"], 1)
    assert (out / "b/index.html").read_bytes() == b"B2" and not (out / "old.html").exists()
    assert sorted(load_manifest(manifest)) == ["a/index.html", "b/index.html"]


def test_a_file_changed_by_hand_in_the_output_is_written_again(tmp_path, monkeypatch):
    monkeypatch.setattr("explainer.write.CHECK_APART_FROM", 1)
    out, manifest = tmp_path / "_site", tmp_path / "manifest.pickle"
    _committed(out, manifest, {"a/index.html": b"A", "b/index.html": b"B"})
    (out / "a/index.html").write_bytes(b"edited by hand")
    _, report = _committed(out, manifest, {"a/index.html": b"A", "b/index.html": b"B"})
    assert report.written == ["a/index.html"] and (out / "a/index.html").read_bytes() == b"A"


def test_a_check_of_the_output_no_one_asked_for_is_stopped_at_commit(tmp_path, monkeypatch):
    monkeypatch.setattr("explainer.write.CHECK_APART_FROM", 1)
    out, manifest = tmp_path / "_site", tmp_path / "manifest.pickle"
    _committed(out, manifest, {"a/index.html": b"A"})
    staging, report = _committed(out, manifest, {"a/index.html": b"A2"})  # no file as before: the check is not needed
    assert report.written == ["a/index.html"]
    assert not staging._check._process.is_alive() and multiprocessing.active_children() == []
