"""What a build keeps in `.cache/` for the next one: safe to delete, dropped when the generator's code changes."""
from __future__ import annotations

import gc
import hashlib
import os
import pickle
import sqlite3
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent


@cache
def code_version() -> str:
    """A digest of the generator's own code: a cache made by other code is never trusted."""
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _stat_key(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


class FileCache:
    """Values computed from files, reused while each file keeps its size and modification time.

    Saved as a log: a build that changed a few files appends only their entries (and forgets
    deleted files), so one edit does not rewrite the values of ten thousand. The log is
    written out whole again once it holds more appended records than `COMPACT_AFTER`.
    """

    COMPACT_AFTER = 20

    def __init__(self, store: Path) -> None:
        self.store = store
        self._loaded: dict | None = None  # read on first use: a build that validates only edited files never needs it
        self._records = 0
        self._new: dict[str, tuple[tuple[int, int], Any]] = {}
        self._computed: set[str] = set()
        self.hits = 0

    @property
    def _old(self) -> dict:
        if self._loaded is None:
            self._loaded, self._records = load_log(self.store)
        return self._loaded

    @_old.setter
    def _old(self, values: dict) -> None:
        self._loaded = values

    def add_to_store(self, values: dict[str, tuple[Path, Any]]) -> None:
        """Append values computed elsewhere, by name: (file, value), straight to the saved log, without reading it."""
        changes = {name: (key, value) for name, (path, value) in values.items() if (key := _stat_key(path)) is not None}
        if changes:
            append_log(self.store, changes)

    def get(self, name: str, path: Path, compute) -> Any:
        """The cached value for `path`, or `compute()` when the file changed since."""
        key = _stat_key(path)
        known = self._old.get(name)
        if key is not None and known is not None and known[0] == key:
            self.hits += 1
            value = known[1]
        else:
            value = compute()
            self._computed.add(name)
        if key is not None:
            self._new[name] = (key, value)
        return value

    def get_many(self, entries: list[tuple[str, Path]], compute_many: Callable[[list[int]], Iterable[Any]]) -> list[Any]:
        """The values for many files; `compute_many(indices)` makes those of the files that changed, all at once."""
        keys = [_stat_key(path) for _, path in entries]
        values: list[Any] = [None] * len(entries)
        missing = []
        for index, ((name, _), key) in enumerate(zip(entries, keys)):
            known = self._old.get(name)
            if key is not None and known is not None and known[0] == key:
                self.hits += 1
                values[index] = known[1]
            else:
                missing.append(index)
        for index, value in zip(missing, compute_many(missing)):
            values[index] = value
            self._computed.add(entries[index][0])
        for (name, _), key, value in zip(entries, keys, values):
            if key is not None:
                self._new[name] = (key, value)
        return values

    def save(self) -> None:
        """Keep what this build used, and only that (entries of deleted files go)."""
        if self._loaded is None and not self._new:
            return  # never used
        changes: dict[str, Any] = {name: self._new[name] for name in self._computed if name in self._new}
        changes.update((name, None) for name in self._old.keys() - self._new.keys())  # None: forget it
        if not changes:
            return
        if 0 < self._records < self.COMPACT_AFTER and len(changes) < len(self._new) // 4:
            append_log(self.store, changes)
            self._records += 1
        else:
            dump_pickle(self.store, self._new)
            self._records = 1
        self._old, self._computed = self._new, set()  # saved: a second save finds nothing to add

    def release(self) -> None:
        """Forget every value, once saved: a one-shot build keeps only what it made of them."""
        self._old, self._new, self._computed = {}, {}, set()

    def next_build(self) -> None:
        """Start over for another build in the same process, with the last build's values as the known ones."""
        if self._new:
            self._old, self._new, self.hits, self._computed = self._new, {}, 0, set()


class FragmentStore:
    """Rendered Markdown by digest of its text, kept in an SQLite database and looked up one text at a time.

    A build that renders a few pages reads only their fragments, not those of the whole site.
    Keys start with "i" for inline text (summaries, shown on many pages: kept in memory once
    read) and "b" for blocks (bodies, each shown on one page: not kept in memory, unless
    `keep_blocks`, as the preview does). Worker processes read through connections of their
    own and hand what they rendered to the build's process (`take_new`), which alone writes
    (`merge`). Texts no longer used stay: an edit adds a few, and `.cache/` is safe to delete.
    """

    def __init__(self, store: Path) -> None:
        self.store = store
        self.keep_blocks = False
        self.new: dict[str, str] = {}
        self._memory: dict[str, str] = {}
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    def __len__(self) -> int:
        """How many texts are saved."""
        return self._database().execute("SELECT COUNT(*) FROM fragments").fetchone()[0]

    def get(self, key: str) -> str | None:
        value = self._memory.get(key)
        if value is None:
            row = self._database().execute("SELECT value FROM fragments WHERE key = ?", (key,)).fetchone()
            if row is not None:
                value = row[0]
                self._remember(key, value)
        return value

    def __setitem__(self, key: str, value: str) -> None:
        self.new[key] = value
        self._remember(key, value)

    def take_new(self) -> dict[str, str]:
        """The entries added since the last call, for `merge` (a worker process sends them to the build's)."""
        new, self.new = self.new, {}
        return new

    def merge(self, new: dict[str, str]) -> None:
        """Write what `take_new` handed over."""
        for key, value in new.items():
            self._remember(key, value)
        if new:
            with self._database() as database:
                database.executemany("INSERT OR REPLACE INTO fragments VALUES (?, ?)", new.items())

    def save(self) -> None:
        self.merge(self.take_new())

    def _remember(self, key: str, value: str) -> None:
        if self.keep_blocks or key.startswith("i"):
            self._memory[key] = value

    def _database(self) -> sqlite3.Connection:
        if self._pid != os.getpid():  # a forked worker never uses its parent's connection
            self._connection, self._pid = _open_fragments(self.store), os.getpid()
        return self._connection


def _open_fragments(store: Path) -> sqlite3.Connection:
    """The fragment database; one that cannot be read is made again (it is only a cache)."""
    store.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _connect_fragments(store)
    except sqlite3.DatabaseError:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{store}{suffix}").unlink(missing_ok=True)
        return _connect_fragments(store)


def _connect_fragments(store: Path) -> sqlite3.Connection:
    """A connection to the fragment database, emptied first if other code made it."""
    database = sqlite3.connect(store, timeout=30, isolation_level=None)
    database.execute("PRAGMA journal_mode = WAL")  # workers read while the build writes
    database.execute("PRAGMA synchronous = OFF")  # a cache: losing the last writes to a crash costs only time
    database.execute("CREATE TABLE IF NOT EXISTS fragments (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
    database.execute("CREATE TABLE IF NOT EXISTS made_by (version TEXT NOT NULL)")
    version = database.execute("SELECT version FROM made_by").fetchone()
    if version is None or version[0] != code_version():
        with database:
            database.execute("DELETE FROM fragments")
            database.execute("DELETE FROM made_by")
            database.execute("INSERT INTO made_by VALUES (?)", (code_version(),))
    database.isolation_level = ""  # from here on, `with database:` makes a transaction
    return database


def load_pickle(store: Path):
    """What `dump_pickle` saved, or None if it is missing, unreadable or made by other code."""
    gc.disable()  # the collector would scan the whole heap again and again while a large cache unpickles
    try:
        with store.open("rb") as file:
            version, data = pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError, TypeError):
        return None
    finally:
        gc.enable()
    return data if version == code_version() else None


def load_log(store: Path, version: str | None = None) -> tuple[dict, int]:
    """What `dump_pickle` saved with what `append_log` added after (None values deleting entries), and how many
    records that was: 0 if none could be read, -1 if a record made by other code, or cut short, ended it early.
    `version`: what the records must have been saved with, when not the code's version."""
    version_wanted = version or code_version()
    merged: dict = {}
    records = 0
    gc.disable()
    try:
        with store.open("rb") as file:
            while file.peek(1):
                version, data = pickle.load(file)
                if version != version_wanted or not isinstance(data, dict):
                    records = -1 if records else 0
                    break
                merged.update(data)
                records += 1
    except OSError:
        pass
    except (pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError, TypeError):
        records = -1 if records else 0
    finally:
        gc.enable()
    if records == 0:
        return {}, 0
    return {name: value for name, value in merged.items() if value is not None}, records


def append_log(store: Path, changes: dict, version: str | None = None) -> None:
    """Add a record of changed entries to a store `load_log` reads, in one write: processes appending at once
    cannot interleave their records."""
    store.parent.mkdir(parents=True, exist_ok=True)
    data = pickle.dumps((version or code_version(), changes), protocol=pickle.HIGHEST_PROTOCOL)
    descriptor = os.open(store, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)


def dump_pickle(store: Path, data, version: str | None = None) -> None:
    """Save data with the version of the code that made it (or `version`), atomically."""
    store.parent.mkdir(parents=True, exist_ok=True)
    temporary = store.with_name(store.name + f".{os.getpid()}.tmp")
    with temporary.open("wb") as file:
        pickle.dump((version or code_version(), data), file, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, store)


class PageKeys:
    """The key each output page was rendered from, as of the last build into an output folder."""

    def __init__(self, store: Path) -> None:
        self.store = store
        loaded = load_pickle(store)
        self.keys: dict[str, str] = loaded if isinstance(loaded, dict) else {}
        self.changed = False

    def get(self, path: str) -> str | None:
        return self.keys.get(path)

    def update(self, keys: dict[str, str]) -> None:
        self.changed = keys != self.keys
        self.keys = keys

    def save(self) -> None:
        if self.changed:
            dump_pickle(self.store, self.keys)
