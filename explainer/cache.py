"""What a build keeps in `.cache/` for the next one, and the keys that make keeping it safe.

A cached value is found again only by a key derived from what it is made of: `fingerprint`
digests the very values handed to the code that makes it, and `generator_version` stands for
that code, the Python running it and the libraries that shape output. So an input cannot be
forgotten without the key changing too, and an upgrade of any of them makes everything again.
A cache makes a build faster, never different: an entry that cannot be read is discarded,
with a note, and made again. `.cache/` is safe to delete.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import gc
import hashlib
import os
import pickle
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path, PurePath
from typing import Any

from .problems import Position, Problem

PACKAGE = Path(__file__).resolve().parent
# The libraries whose versions shape what a build makes: Markdown and the sanitiser make HTML, Jinja and MarkupSafe
# lay it out, PyYAML reads content, Pillow encodes images, anyascii makes addresses, the minifiers make stylesheets
# and scripts, Pagefind makes the search index (cbor2 writes its filters in one order), Babel writes dates in each
# language, selectolax reads the links `check` follows.
LIBRARIES = ("Jinja2", "MarkupSafe", "Markdown", "nh3", "PyYAML", "Pillow", "anyascii", "rcssmin", "rjsmin", "pagefind", "Babel", "selectolax", "cbor2")
RACY_NS = 2_000_000_000  # a file written this recently may be written again within its time stamp's resolution


@functools.cache
def generator_version() -> str:
    """A digest of the generator's own code, the Python running it and the versions of `LIBRARIES`."""
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(sys.version.encode())
    for library in LIBRARIES:
        try:
            digest.update(f"\0{library} {metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"\0{library} missing".encode())
    return digest.hexdigest()


# Fingerprints ------------------------------------------------------------------------------------------------------


def fingerprint(*values: object) -> str:
    """A digest of values as they compare: strings, numbers, dates, tuples, lists, dicts and dataclasses (their
    compared fields; a `Digested` one stands for itself by its own digest). Anything else is a TypeError, so that
    what a page or a cached value is made of is always made of values."""
    parts: list[str] = []
    _encode(values, parts)
    return hashlib.blake2b("".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _encode(value: object, out: list[str]) -> None:
    (_ENCODERS.get(type(value)) or _encoder(type(value)))(value, out)


def _encode_items(value: tuple | list, out: list[str]) -> None:
    out.append(f"t{len(value)}(")
    encoders = _ENCODERS  # `_encode` written out: a page's inputs hold tens of items, a site's pages hundreds of thousands
    for item in value:
        encoder = encoders.get(type(item)) or _encoder(type(item))
        encoder(item, out)
    out.append(")")


def _encode_dict(value: dict, out: list[str]) -> None:
    out.append(f"d{len(value)}(")
    for key, item in value.items():
        _encode(key, out)
        _encode(item, out)
    out.append(")")


def _encode_fields(value: object, fields: tuple[str, ...], out: list[str]) -> None:
    encoders = _ENCODERS
    for name in fields:
        item = getattr(value, name)
        (encoders.get(type(item)) or _encoder(type(item)))(item, out)


def _encoder(kind: type) -> Callable[[object, list[str]], None]:
    encoder = _ENCODERS[kind] = _encoder_for(kind)
    return encoder


def _encoder_for(kind: type) -> Callable[[object, list[str]], None]:
    """How values of one kind are written out for `fingerprint` (found once per kind: a hot path)."""
    name = kind.__qualname__
    if dataclasses.is_dataclass(kind):
        fields = _compared_fields(kind)

        def encode_dataclass(value: object, out: list[str]) -> None:
            out.append(f"c{name}(")
            _encode_fields(value, fields, out)
            out.append(")")

        def encode_digested(value: Digested, out: list[str]) -> None:
            out.append(f"#{name}:{value.digest};")
        return encode_digested if issubclass(kind, Digested) else encode_dataclass
    if issubclass(kind, enum.Enum):
        return lambda value, out: out.append(f"e{name}.{value.name};")
    if issubclass(kind, str):  # Markup and other kinds of text: the kind tells how a template shows it
        return lambda value, out: out.append(f"{name}{len(value)}:{value}")
    if issubclass(kind, (dt.date, dt.time)):
        return lambda value, out: out.append(f"{kind.__name__}:{value.isoformat()};")
    if issubclass(kind, PurePath):
        return lambda value, out: out.append(f"p{len(value.as_posix())}:{value.as_posix()}")
    if issubclass(kind, bytes):
        return lambda value, out: out.append(f"b{hashlib.blake2b(value, digest_size=16).hexdigest()};")

    def refuse(value: object, out: list[str]) -> None:
        raise TypeError(f"cannot fingerprint a {name}: what a page or a cached value is made of must be plain values "
                        "(text, numbers, dates, tuples, dicts, dataclasses)")
    return refuse


_ENCODERS: dict[type, Callable[[object, list[str]], None]] = {
    str: lambda value, out: out.append(f"s{len(value)}:{value}"),
    tuple: _encode_items,
    list: _encode_items,
    dict: _encode_dict,
    **{kind: (lambda value, out, prefix=f"{kind.__name__}:": out.append(f"{prefix}{value!r};")) for kind in (int, bool, float, type(None))},
}


@functools.cache
def _compared_fields(kind: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(kind) if field.compare)


class Digested:
    """A frozen dataclass that many pages show (an event, a source, a card): in fingerprints it stands for itself by
    its `digest`, the fingerprint of its compared fields, worked out once, when first asked for, and pickled with it.

    One kept in `.cache/` (an event, a source) is made `eager`: its digest is worked out as it is
    made, and so kept with it, rather than in every build that asks.
    """

    eager = False

    def __post_init__(self) -> None:
        if self.eager:
            self.digest  # noqa: B018 (worked out now, kept in the instance's dict)

    @property
    def digest(self) -> str:
        digest = self.__dict__.get("_digest")  # frozen: set once, in the dict itself (no lock, unlike cached_property)
        if digest is None:
            parts: list[str] = []
            _encode_fields(self, _compared_fields(type(self)), parts)
            digest = self.__dict__["_digest"] = hashlib.blake2b("".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        return digest


# Records: pickled files that may be missing, cut short, garbled or made by other code ---------------------------------


def damaged(store: Path, notes: list[Problem] | None) -> None:
    """Note that a cache file could not be read and is made again."""
    if notes is not None:
        notes.append(Problem(Position(_shown(store)), "this cache file could not be read: it is made again", "note"))


def _shown(store: Path) -> str:
    """A cache file's path from `.cache/` on, as messages show it."""
    parts = store.parts
    return "/".join(parts[parts.index(".cache"):]) if ".cache" in parts else store.name


def read_record(store: Path, version: str | None = None, notes: list[Problem] | None = None) -> Any:
    """What `write_record` saved, or None if it is missing, unreadable or made by other code (`version`, default the
    generator's); an unreadable one is noted in `notes`."""
    gc.disable()  # the collector would scan the whole heap again and again while a large record unpickles
    try:
        with store.open("rb") as file:
            saved_version, data = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 (garbage can make unpickling raise anything)
        damaged(store, notes)
        return None
    finally:
        gc.enable()
    return data if saved_version == (version or generator_version()) else None


def write_record(store: Path, data: object, version: str | None = None) -> None:
    """Save data with the version of the code that made it (or `version`), atomically."""
    write_atomic(store, pickle.dumps((version or generator_version(), data), protocol=pickle.HIGHEST_PROTOCOL))


def write_atomic(path: Path | str, data: bytes) -> None:
    """Write a file through a temporary one beside it, renamed over it: a killed build never leaves a partial file,
    and whatever read the old one keeps it whole."""
    folder, name = os.path.split(os.fspath(path))
    os.makedirs(folder, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)  # mkstemp makes owner-only files; published copies must be readable by a web server
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def read_log(store: Path, notes: list[Problem] | None = None) -> tuple[dict, int]:
    """What `write_record` saved with what `append_log` added after (None values deleting entries), and how many
    records that was; ({}, 0) if nothing could be read. A record made by other code ends the log; one that cannot be
    read (cut short by a killed build, garbled) too, noted unless it was the last one, cut short."""
    merged: dict = {}
    records = 0
    gc.disable()
    try:
        with store.open("rb") as file:
            while file.peek(1):
                version, data = pickle.load(file)
                if version != generator_version() or not isinstance(data, dict):
                    break
                merged.update(data)
                records += 1
    except FileNotFoundError:
        pass
    except Exception:  # noqa: BLE001 (garbage can make unpickling raise anything)
        if records == 0:
            damaged(store, notes)
    finally:
        gc.enable()
    if records == 0:
        return {}, 0
    return {name: value for name, value in merged.items() if value is not None}, records


def append_log(store: Path, changes: dict) -> None:
    """Add a record of changed entries to a store `read_log` reads, in one write: processes appending at once
    cannot interleave their records."""
    store.parent.mkdir(parents=True, exist_ok=True)
    data = pickle.dumps((generator_version(), changes), protocol=pickle.HIGHEST_PROTOCOL)
    descriptor = os.open(store, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)


# Files by their content --------------------------------------------------------------------------------------------


def content_digest(data: bytes) -> str:
    """The digest a file's bytes are known by, in caches and in the output's records."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class FileDigests:
    """The digest of each file's bytes, read again only when the file's size, times, inode or device changed.

    As in git's index: a file changed within `RACY_NS` of its reading could change again
    without its times showing it, so its digest is not remembered.
    """

    def __init__(self, store: Path, notes: list[Problem] | None = None) -> None:
        self.store = store
        self._notes = notes
        self._known: dict[str, tuple[tuple[int, ...], str]] | None = None
        self._changed = False

    def digest(self, path: Path | str) -> str | None:
        """The digest of a file's bytes; None if it cannot be read."""
        known = self._load()
        name = os.fspath(path)
        try:
            stat = os.stat(name)
        except OSError:
            return None
        identity = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)
        entry = known.get(name)
        if entry is not None and entry[0] == identity:
            return entry[1]
        try:
            with open(name, "rb") as file:
                digest = content_digest(file.read())
        except OSError:
            return None
        if stat.st_mtime_ns < time.time_ns() - RACY_NS:
            known[name] = (identity, digest)
            self._changed = True
        return digest

    def save(self) -> None:
        if self._changed:
            write_record(self.store, self._known)
            self._changed = False

    def _load(self) -> dict:
        if self._known is None:
            loaded = read_record(self.store, notes=self._notes)
            self._known = loaded if isinstance(loaded, dict) else {}
        return self._known


class FileCache:
    """Values computed from files, found again by the digest of the file's bytes (see `FileDigests`).

    Saved as a log: a build that changed a few files appends only their entries (and forgets
    deleted files), so one edit does not rewrite the values of ten thousand. The log is
    written out whole again once it holds more appended records than `COMPACT_AFTER`.
    """

    COMPACT_AFTER = 20

    def __init__(self, store: Path, digests: FileDigests, notes: list[Problem] | None = None) -> None:
        self.store = store
        self.digests = digests
        self._notes = notes
        self._loaded: dict | None = None  # read on first use
        self._records = 0
        self._new: dict[str, tuple[str, Any]] = {}
        self._computed: set[str] = set()
        self.hits = 0

    @property
    def _old(self) -> dict:
        if self._loaded is None:
            self._loaded, self._records = read_log(self.store, self._notes)
        return self._loaded

    def get(self, name: str, path: Path, compute: Callable[[], Any]) -> Any:
        """The value cached for `name` if `path` still holds the bytes it was computed from, else `compute()`."""
        return self.get_many([(name, path)], lambda indices: [compute() for _ in indices])[0]

    def get_many(self, entries: list[tuple[str, Path]], compute_many: Callable[[list[int]], Iterable[Any]]) -> list[Any]:
        """The values for many files; `compute_many(indices)` makes those of the files that changed, all at once."""
        keys = [self.digests.digest(path) for _, path in entries]
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
        self.digests.save()
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
            write_record(self.store, self._new)
            self._records = 1
        self._loaded, self._computed = self._new, set()  # saved: a second save finds nothing to add

    def release(self) -> None:
        """Forget every value, once saved: a one-shot build keeps only what it made of them."""
        self._loaded, self._new, self._computed = {}, {}, set()

    def next_build(self) -> None:
        """Start over for another build in the same process, with the last build's values as the known ones."""
        if self._new:
            self._loaded, self._new, self.hits, self._computed = self._new, {}, 0, set()


# Rendered Markdown -------------------------------------------------------------------------------------------------


class FragmentStore:
    """Rendered Markdown by digest of its text, kept in an SQLite database and looked up one text at a time.

    A build that renders a few pages reads only their fragments, not those of the whole site.
    Keys start with "i" for inline text (summaries, shown on many pages: kept in memory once
    read) and "b" for blocks (bodies, each shown on one page: not kept in memory, unless
    `keep_blocks`, as the preview does). Each value is stored with its digest: one that does
    not match (a garbled database) is made again. Worker processes read through connections
    of their own and hand what they rendered to the build's process (`take_new`), which alone
    writes (`merge`). Texts no longer used stay: an edit adds a few, and `.cache/` is safe to delete.
    """

    def __init__(self, store: Path, notes: list[Problem] | None = None) -> None:
        self.store = store
        self.keep_blocks = False
        self.new: dict[str, str] = {}
        self._notes = notes
        self._memory: dict[str, str] = {}
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    def __len__(self) -> int:
        """How many texts are saved."""
        return self._database().execute("SELECT COUNT(*) FROM fragments").fetchone()[0]

    def get(self, key: str) -> str | None:
        value = self._memory.get(key)
        if value is None:
            try:
                row = self._database().execute("SELECT value, digest FROM fragments WHERE key = ?", (key,)).fetchone()
            except sqlite3.DatabaseError:
                row = None
            if row is not None and isinstance(row[0], str) and row[1] == _text_digest(row[0]):
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
                database.executemany("INSERT OR REPLACE INTO fragments VALUES (?, ?, ?)",
                                     ((key, value, _text_digest(value)) for key, value in new.items()))

    def save(self) -> None:
        self.merge(self.take_new())

    def _remember(self, key: str, value: str) -> None:
        if self.keep_blocks or key.startswith("i"):
            self._memory[key] = value

    def _database(self) -> sqlite3.Connection:
        if self._pid != os.getpid():  # a forked worker never uses its parent's connection
            self._connection, self._pid = _open_fragments(self.store, self._notes), os.getpid()
        return self._connection


def _text_digest(text: str) -> str:
    return content_digest(text.encode("utf-8", "surrogatepass"))


def _open_fragments(store: Path, notes: list[Problem] | None) -> sqlite3.Connection:
    """The fragment database; one that cannot be read is made again (it is only a cache)."""
    store.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _connect_fragments(store)
    except sqlite3.DatabaseError:
        damaged(store, notes)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{store}{suffix}").unlink(missing_ok=True)
        return _connect_fragments(store)


FRAGMENTS_BUSY_WAIT = 30.0  # seconds: how long opening the fragment database waits for another process setting it up


def _connect_fragments(store: Path) -> sqlite3.Connection:
    """A connection to the fragment database, set up (by whichever process opens it first); a database another
    process is setting up at the same time is waited for: it is busy, not damaged."""
    deadline = time.monotonic() + FRAGMENTS_BUSY_WAIT
    while True:
        database = sqlite3.connect(store, timeout=FRAGMENTS_BUSY_WAIT, isolation_level=None)
        try:
            return _set_up_fragments(database)
        except sqlite3.OperationalError as error:
            database.close()
            # Making a new database use WAL takes it whole, and SQLite says so at once, without waiting for it.
            if error.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
        except BaseException:
            database.close()
            raise


def _set_up_fragments(database: sqlite3.Connection) -> sqlite3.Connection:
    """database ready for use, emptied first if other code made it."""
    database.execute("PRAGMA journal_mode = WAL")  # workers read while the build writes
    database.execute("PRAGMA synchronous = OFF")  # a cache: losing the last writes to a crash costs only time
    database.execute("BEGIN IMMEDIATE")  # one process at a time reads who made it, and empties it (closed unfinished: undone)
    database.execute("CREATE TABLE IF NOT EXISTS made_by (version TEXT NOT NULL)")
    version = database.execute("SELECT version FROM made_by").fetchone()
    if version is None or version[0] != generator_version():
        database.execute("DROP TABLE IF EXISTS fragments")
        database.execute("DELETE FROM made_by")
        database.execute("INSERT INTO made_by VALUES (?)", (generator_version(),))
    database.execute("CREATE TABLE IF NOT EXISTS fragments "
                     "(key TEXT PRIMARY KEY, value TEXT NOT NULL, digest TEXT NOT NULL) WITHOUT ROWID")
    database.execute("COMMIT")
    database.isolation_level = ""  # from here on, `with database:` makes a transaction
    return database
