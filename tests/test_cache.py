"""What builds keep in .cache/: found again only by keys made of what the value is made of, never trusted when
unreadable, the content cache saved as a log that one edit only appends to."""
import dataclasses
import datetime as dt
import os
import pickle
from pathlib import Path

import pytest
from markupsafe import Markup

from explainer import cache
from explainer.cache import FileCache, FileDigests, FragmentStore, fingerprint, read_log
from explainer.dates import PartialDate, When
from explainer.model import Event, Photo, Source
from explainer.render import Card, Link
from explainer.parallel import map_forked
from explainer.problems import Position


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "content"
    folder.mkdir()
    paths = []
    for number in range(12):
        path = folder / f"entry-{number}.md"
        path.write_text(f"entry {number}")
        paths.append(path)
    return paths


class Counting:
    """Reads files through a FileCache, counting what it had to compute."""

    def __init__(self, store: Path) -> None:
        self.notes = []
        self.cache = FileCache(store, FileDigests(store.with_name("digests.pickle"), self.notes), self.notes)
        self.computed: list[str] = []

    def read(self, paths: list[Path]) -> list[str]:
        def compute(indices):
            for index in indices:
                self.computed.append(paths[index].name)
                yield paths[index].read_text().upper()
        return self.cache.get_many([(path.name, path) for path in paths], compute)


def saved_then_reopened(store: Path, paths: list[Path]) -> Counting:
    reader = Counting(store)
    reader.read(paths)
    reader.cache.save()
    return Counting(store)


def test_unchanged_files_are_not_computed_again(tmp_path, files):
    reopened = saved_then_reopened(tmp_path / "content.pickle", files)
    assert reopened.read(files) == [f"ENTRY {number}" for number in range(12)]
    assert reopened.computed == []


def test_one_edit_appends_a_record_and_the_next_reader_sees_it(tmp_path, files):
    store = tmp_path / "content.pickle"
    reader = saved_then_reopened(store, files)
    size = store.stat().st_size
    files[3].write_text("edited entry, longer")
    assert reader.read(files)[3] == "EDITED ENTRY, LONGER"
    assert reader.computed == ["entry-3.md"]
    reader.cache.save()
    assert read_log(store)[1] == 2  # the whole first record, then the edit
    assert store.stat().st_size - size < size / 4
    reopened = Counting(store)
    assert reopened.read(files)[3] == "EDITED ENTRY, LONGER"
    assert reopened.computed == []


def test_a_deleted_file_is_forgotten(tmp_path, files):
    store = tmp_path / "content.pickle"
    reader = saved_then_reopened(store, files)
    stat = files[0].stat()
    reader.read(files[1:])
    reader.cache.save()
    assert "entry-0.md" not in read_log(store)[0]
    files[0].write_text("entry 0")  # back, as it was: computed again all the same
    os.utime(files[0], ns=(stat.st_atime_ns, stat.st_mtime_ns))
    reopened = Counting(store)
    reopened.read(files)
    assert reopened.computed == ["entry-0.md"]


def test_saving_twice_adds_nothing(tmp_path, files):
    store = tmp_path / "content.pickle"
    reader = Counting(store)
    reader.read(files)
    reader.cache.save()
    size = store.stat().st_size
    reader.cache.save()
    assert store.stat().st_size == size
    assert len(read_log(store)[0]) == 12


def test_a_long_log_is_written_out_whole_again(tmp_path, files):
    store = tmp_path / "content.pickle"
    reader = saved_then_reopened(store, files)
    for edit in range(FileCache.COMPACT_AFTER + 1):
        files[edit % 12].write_text(f"edit {edit}")
        reader.cache.next_build()
        reader.read(files)
        reader.cache.save()
    values, records = read_log(store)
    assert records < FileCache.COMPACT_AFTER
    assert values["entry-0.md"][1] == f"EDIT {FileCache.COMPACT_AFTER - FileCache.COMPACT_AFTER % 12}"


def test_a_record_cut_short_keeps_what_came_before(tmp_path, files):
    store = tmp_path / "content.pickle"
    reader = saved_then_reopened(store, files)
    files[5].write_text("edited")
    reader.read(files)
    reader.cache.save()
    store.write_bytes(store.read_bytes()[:-5])  # a build stopped while appending
    reopened = Counting(store)
    assert reopened.read(files)[5] == "EDITED"
    assert reopened.computed == ["entry-5.md"]


def test_a_cache_made_by_other_code_is_not_trusted(tmp_path, files):
    store = tmp_path / "content.pickle"
    store.write_bytes(pickle.dumps(("other code", {"entry-0.md": ((1, 1), "STALE")})))
    reader = Counting(store)
    reader.read(files)
    assert len(reader.computed) == 12


def test_rendered_bodies_are_saved_and_only_summaries_stay_in_memory(tmp_path):
    store = tmp_path / "fragments.sqlite"
    fragments = FragmentStore(store)
    fragments["bs-body"] = "<p>a long body</p>"
    fragments["is-summary"] = "a summary"
    handed = fragments.take_new()  # as a worker process hands them to the build
    assert handed == {"bs-body": "<p>a long body</p>", "is-summary": "a summary"}
    fragments.merge(handed)
    fragments["is-other"] = "made by the build itself"
    fragments.save()
    assert set(fragments._memory) == {"is-summary", "is-other"}
    again = FragmentStore(store)
    assert [again.get(key) for key in ("bs-body", "is-summary", "is-other", "is-never")] == [
        "<p>a long body</p>", "a summary", "made by the build itself", None]


def test_the_preview_keeps_every_fragment_in_memory(tmp_path):
    fragments = FragmentStore(tmp_path / "fragments.sqlite")
    fragments.keep_blocks = True
    fragments["bs-body"] = "<p>a body</p>"
    fragments.merge(fragments.take_new())
    assert fragments._memory["bs-body"] == "<p>a body</p>"


def test_a_worker_process_reads_what_the_build_saved_and_hands_back_what_it_rendered(tmp_path):
    fragments = FragmentStore(tmp_path / "fragments.sqlite")
    fragments["bs-known"] = "<p>known</p>"
    fragments.save()

    def work(key: str) -> tuple[str | None, dict[str, str]]:
        seen = fragments.get("bs-known")  # through the worker's own connection
        fragments[key] = f"<p>{key}</p>"
        return seen, fragments.take_new()

    for seen, new in map_forked(work, ["bs-one", "bs-two", "bs-three"], workers=2):
        assert seen == "<p>known</p>"
        fragments.merge(new)
    assert FragmentStore(tmp_path / "fragments.sqlite").get("bs-three") == "<p>bs-three</p>"


def test_fragments_made_by_other_code_are_not_trusted(tmp_path, monkeypatch):
    store = tmp_path / "fragments.sqlite"
    fragments = FragmentStore(store)
    fragments["is-old"] = "stale"
    fragments.save()
    monkeypatch.setattr(cache, "generator_version", lambda: "other code")
    assert FragmentStore(store).get("is-old") is None


def test_a_damaged_fragment_database_is_made_again(tmp_path):
    store = tmp_path / "fragments.sqlite"
    store.write_bytes(b"not a database at all" * 100)
    fragments = FragmentStore(store)
    fragments["is-new"] = "made again"
    fragments.save()
    assert FragmentStore(store).get("is-new") == "made again"


def _open_at_once(store: Path, barrier, results) -> None:
    barrier.wait()
    notes = []
    try:
        fragments = FragmentStore(store, notes)
        results.put("made again" if len(fragments) or notes else "opened")
    except Exception as error:  # noqa: BLE001 (any failure is the answer)
        results.put(f"{type(error).__name__}: {error}")


def test_processes_opening_a_new_fragment_database_at_once_wait_for_each_other_and_none_finds_it_damaged(tmp_path):
    """A build's workers open the database as the build does: one that is making it use WAL holds it whole, and SQLite
    tells the others at once, without waiting. Taken for damage, it was deleted under the others' feet (3 clean builds
    of a small site in 150 noted a cache file they could not read; 13 of 400 openings here)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    outcomes = []
    for trial in range(50):
        store = tmp_path / str(trial) / "fragments.sqlite"
        barrier, results = context.Barrier(4), context.Queue()
        processes = [context.Process(target=_open_at_once, args=(store, barrier, results)) for _ in range(4)]
        for process in processes:
            process.start()
        outcomes += [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join()
    assert set(outcomes) == {"opened"}


def test_a_file_rewritten_with_its_old_size_and_time_is_computed_again(tmp_path, files):
    """The content decides: a copy that keeps the old file's times (`cp -p`) cannot pass for it."""
    store = tmp_path / "content.pickle"
    reader = saved_then_reopened(store, files)
    stat = files[2].stat()
    files[2].write_text("entry X")
    os.utime(files[2], ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert reader.read(files)[2] == "ENTRY X"
    assert reader.computed == ["entry-2.md"]


def test_the_same_bytes_at_the_same_name_are_found_again_after_a_fresh_checkout(tmp_path, files):
    """New times and inodes, as a clone on a build server makes them: nothing is computed again."""
    store = tmp_path / "content.pickle"
    reader = saved_then_reopened(store, files)
    for path in files:
        text = path.read_text()
        path.unlink()
        path.write_text(text)
    assert reader.read(files) == [f"ENTRY {number}" for number in range(12)]
    assert reader.computed == []


@pytest.mark.parametrize("garbage", [b"", b"\x80\x05garbage", os.urandom(4096), pickle.dumps(("x", [1, 2]))])
def test_a_garbled_store_is_noted_and_made_again(tmp_path, files, garbage):
    store = tmp_path / "content.pickle"
    saved_then_reopened(store, files)
    store.write_bytes(garbage)
    reader = Counting(store)
    assert reader.read(files) == [f"ENTRY {number}" for number in range(12)]
    assert len(reader.computed) == 12
    assert {str(note) for note in reader.notes} <= {"content.pickle:1:1: note: this cache file could not be read: it is made again"}
    reader.cache.save()
    assert Counting(store).read(files) == [f"ENTRY {number}" for number in range(12)]


def test_a_file_just_written_is_read_again_however_its_time_looks(tmp_path):
    """As git's racy entries: within a time stamp's resolution, a second write may keep the first's time."""
    path = tmp_path / "entry.md"
    path.write_text("one")
    digests = FileDigests(tmp_path / "digests.pickle")
    first = digests.digest(path)
    stat = path.stat()
    path.write_text("two")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert digests.digest(path) != first


# Fingerprints


def test_a_fingerprint_tells_apart_what_a_page_would_show_differently():
    values = ["a", Markup("a"), 1, 1.0, True, None, ("a",), {"a": 1}, {"a": 2}, dt.date(2021, 1, 1),
              PartialDate(2021), PartialDate(2021, 1), Path("a"), b"a", ("a", "b"), ("ab",), ("a", ("b",))]
    prints = [fingerprint(value) for value in values]
    assert len(set(prints)) == len(prints)
    assert fingerprint({"b": 1, "a": 2}) != fingerprint({"a": 2, "b": 1})  # the order a template would list them in
    assert fingerprint(["a"]) == fingerprint(("a",))  # a template shows them alike


def test_anything_but_plain_values_cannot_be_fingerprinted():
    with pytest.raises(TypeError, match="cannot fingerprint a function"):
        fingerprint(lambda: None)
    with pytest.raises(TypeError, match="cannot fingerprint a set"):
        fingerprint({"a"})  # an order no page could rely on


def test_an_event_carries_the_digest_of_all_it_says_but_not_where_it_is_written():
    photo = Photo("a.jpg", "alt", "credit", Position("data/events/a.yaml", 9, 7))
    event = Event("e", When(PartialDate(2021, 10)), "Title", "Summary.", ("s",), Position("data/events/a.yaml", 3, 3),
                  photos=(photo,))
    moved = dataclasses.replace(event, position=Position("data/events/a.yaml", 40, 3),
                                photos=(dataclasses.replace(photo, position=Position("data/events/a.yaml", 46, 7)),))
    assert moved.digest == event.digest and fingerprint(moved) == fingerprint(event)
    for change in ({"title": "Other"}, {"summary": "Other."}, {"sources": ("t",)}, {"when": When(PartialDate(2021, 11))},
                   {"photos": (dataclasses.replace(photo, alt="other"),)}):
        assert dataclasses.replace(event, **change).digest != event.digest, change
    assert pickle.loads(pickle.dumps(event)).digest == event.digest
    assert "_digest" in vars(pickle.loads(pickle.dumps(event)))  # kept with it in .cache/, not worked out again


def test_a_card_is_digested_when_first_fingerprinted_and_stands_for_all_it_shows():
    event = Event("e", When(PartialDate(2021, 10)), "Title", "Summary.", ("s",), Position("data/events/a.yaml", 3, 3))
    source = Source("s", "A report", "Publisher", "https://example.org/a", Position("data/sources.yaml", 1, 3))
    card = Card(event, (), (source,))
    assert "_digest" not in vars(card)  # most cards of a large site are never fingerprinted in a build
    assert fingerprint(card) == fingerprint(Card(event, (), (source,)))
    assert "_digest" in vars(card)
    assert fingerprint(Card(event, (), (dataclasses.replace(source, title="Another report"),))) != fingerprint(card)
    assert fingerprint(Card(dataclasses.replace(event, title="Other"), (), (source,))) != fingerprint(card)
    assert fingerprint(Link("/a/", "A")) != fingerprint(Link("/a/", "B")) and fingerprint(Link("/a/", "A")) != fingerprint(card)


def test_the_generator_version_follows_each_library_that_shapes_output(monkeypatch):
    before = cache.generator_version()
    for library in cache.LIBRARIES:
        cache.generator_version.cache_clear()
        real = cache.metadata.version
        monkeypatch.setattr(cache.metadata, "version", lambda name, real=real, library=library: "9.9" if name == library else real(name))
        assert cache.generator_version() != before, library
        monkeypatch.undo()
    cache.generator_version.cache_clear()
    assert cache.generator_version() == before


def test_only_a_digest_made_of_the_other_fields_stands_for_them():
    """An image variant's `file_digest` is its file's, not its own: a new address must change the key."""
    from explainer.images import Variant

    variant = Variant("/images/a.0123456789.480.webp", 480, 320, "image/webp", Path("a"), "same bytes")
    assert fingerprint(dataclasses.replace(variant, url="/images/b.0123456789.480.webp")) != fingerprint(variant)
