"""What a build keeps in `.cache/` for the next one: safe to delete, dropped when the generator's code changes."""
from __future__ import annotations

import hashlib
import os
import pickle
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
    """Values computed from files, reused while each file keeps its size and modification time."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self._old: dict[str, tuple[tuple[int, int], Any]] = _load(store)
        self._new: dict[str, tuple[tuple[int, int], Any]] = {}
        self.hits = 0

    def get(self, name: str, path: Path, compute) -> Any:
        """The cached value for `path`, or `compute()` when the file changed since."""
        key = _stat_key(path)
        known = self._old.get(name)
        if key is not None and known is not None and known[0] == key:
            self.hits += 1
            value = known[1]
        else:
            value = compute()
        if key is not None:
            self._new[name] = (key, value)
        return value

    def save(self) -> None:
        """Keep what this build used, and only that (entries of deleted files go)."""
        if self._new.keys() == self._old.keys() and self.hits == len(self._new):
            return
        _dump(self.store, self._new)

    def next_build(self) -> None:
        """Start over for another build in the same process, with the last build's values as the known ones."""
        if self._new:
            self._old, self._new, self.hits = self._new, {}, 0


class FragmentStore(dict):
    """Rendered Markdown by digest of its text; saved with only the entries a build used."""

    def __init__(self, store: Path) -> None:
        super().__init__(_load(store))
        self.store = store
        self.used: set[str] = set()
        self.added = False
        self.new: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        self.used.add(key)
        return super().__getitem__(key)

    def __setitem__(self, key: str, value: str) -> None:
        self.used.add(key)
        self.added = True
        self.new[key] = value
        super().__setitem__(key, value)

    def take_new(self) -> tuple[dict[str, str], set[str]]:
        """The entries added and the keys used since the last call (a worker process sends them to the parent)."""
        new, used, self.new, self.used = self.new, self.used, {}, set()
        return new, used

    def merge(self, new: dict[str, str], used: set[str]) -> None:
        """Take in what a worker process added and used."""
        for key, value in new.items():
            self[key] = value
        self.used |= used

    def save(self) -> None:
        if self.added or len(self.used) != len(self):
            _dump(self.store, {key: dict.__getitem__(self, key) for key in self.used})

    def next_build(self) -> None:
        self.used, self.added, self.new = set(), False, {}


def _load(store: Path) -> dict:
    try:
        with store.open("rb") as file:
            version, data = pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError, TypeError):
        return {}
    return data if version == code_version() else {}


def _dump(store: Path, data: dict) -> None:
    store.parent.mkdir(parents=True, exist_ok=True)
    temporary = store.with_name(store.name + f".{os.getpid()}.tmp")
    with temporary.open("wb") as file:
        pickle.dump((code_version(), data), file, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, store)


class PageKeys:
    """The key each output page was rendered from, as of the last build into an output folder."""

    def __init__(self, store: Path) -> None:
        self.store = store
        loaded = _load(store)
        self.keys: dict[str, str] = loaded if isinstance(loaded, dict) else {}
        self.changed = False

    def get(self, path: str) -> str | None:
        return self.keys.get(path)

    def update(self, keys: dict[str, str]) -> None:
        self.changed = keys != self.keys
        self.keys = keys

    def save(self) -> None:
        if self.changed:
            _dump(self.store, self.keys)
