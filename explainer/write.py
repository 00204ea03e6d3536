"""Publish a build into its output folder in one step: readers see the old site or the new one, never a mix.

An output folder has a spare beside it (`._site.spare` for `_site`) holding the site as it
was one build ago. A build brings the spare up to date with what it publishes, writing only
the files whose bytes differ and taking unchanged ones from the live folder as hard links
(no file is ever written into: a changed one is a new file), then swaps the two folders in
one rename (Linux's `renameat2` exchange). A build killed at any instant before the swap
leaves the live folder as it was; after, it is wholly new.

What each folder holds is recorded by the folder's identity (device and inode, which a
rename keeps) in `.cache/`: each file's digest, size, time and the key it was made from.
A file is trusted only while it still has the size and time recorded; anything else is
made again. The spare's record lists, before the build touches the spare, every path it
may write, so whatever a killed build left there is known and cleaned up next time.
"""
from __future__ import annotations

import ctypes
import errno
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .cache import content_digest, read_record, write_record
from .problems import Problem

# The records outlive an upgrade of the generator: they describe files, whatever code wrote them. Change this only
# with what a record holds.
RECORD_FORMAT = "trees: (device, inode) -> {files: path -> (digest, size, mtime_ns, key), pending, said}"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class BuildError(Exception):
    """The build could not write what it made (a full disk, a folder it may not write, one removed under it); the
    output is as it was."""


class DamagedCacheFile(Exception):
    """A cached file to publish no longer holds the bytes it was made with."""

    def __init__(self, source: Path) -> None:
        super().__init__(str(source))
        self.source = source


@dataclass
class WriteReport:
    """What a build changed in the output folder."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


@dataclass
class Tree:
    """What one folder of an output holds, as recorded: path -> (digest, size, mtime_ns, key)."""

    files: dict[str, tuple[str, int, int, str]] = field(default_factory=dict)
    pending: frozenset[str] = frozenset()  # paths a build may have written since `files` was recorded (see `plan_more`)
    said: dict = field(default_factory=dict)  # what the build that made it recorded besides (see `freshness`)


def spare_of(out_dir: Path) -> Path:
    """The folder beside an output that holds its site of one build ago."""
    return out_dir.with_name(f".{out_dir.name}.spare")


def read_trees(records: Path, notes: list[Problem] | None = None) -> dict[tuple[int, int], Tree]:
    """The recorded trees of an output, by (device, inode); {} if none can be read."""
    trees = read_record(records, RECORD_FORMAT, notes)
    if not isinstance(trees, dict) or not all(isinstance(tree, Tree) for tree in trees.values()):
        return {}
    return trees


def folder_identity(folder: Path) -> tuple[int, int] | None:
    """A folder's device and inode, which renames keep; None if it is not there."""
    try:
        stat = os.stat(folder)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def live_tree(out_dir: Path, records: Path) -> Tree | None:
    """The record of what the output folder holds, if it is one a build made."""
    identity = folder_identity(out_dir)
    return read_trees(records).get(identity) if identity is not None else None


def is_as_recorded(file: str, entry: tuple) -> bool:
    """Whether a file still has the size and time recorded for it (a hot path: a string, no Path)."""
    try:
        stat = os.stat(file)
    except OSError:
        return False
    return stat.st_size == entry[1] and stat.st_mtime_ns == entry[2]


class Publication:
    """The next state of an output folder, made in its spare and swapped in by `commit`."""

    def __init__(self, out_dir: Path, records: Path, planned: Iterable[str], *, trust_output: bool = False,
                 notes: list[Problem] | None = None) -> None:
        """Prepare the spare to take `planned`, every path this build may write. `trust_output`: no one but this
        process writes the output (the preview), so its files need not be checked against their records."""
        self.out_dir, self.records, self.spare = out_dir, records, spare_of(out_dir)
        self.trust_output = trust_output
        _recover(out_dir, self.spare)
        self.trees = read_trees(records, notes)
        self.live = (self.trees.get(folder_identity(out_dir)) or Tree()) if out_dir.is_dir() else Tree()
        self._pending = records.with_name("pending.pickle")  # what a build may write in the spare beyond its record
        self.spare_tree = self._prepare_spare()
        self.published: dict[str, tuple[str, str]] = {}  # path -> (digest, key) of this build
        self.written: set[str] = set()  # paths whose bytes differ from the live folder's
        self._stats: dict[str, tuple[int, int]] = {}  # size and time of files of the spare known without looking
        self._live_prefix = os.path.join(out_dir, "")
        self._spare_prefix = os.path.join(self.spare, "")
        self._folders: set[str] = set()
        pending = read_record(self._pending, RECORD_FORMAT)
        if isinstance(pending, tuple) and pending[0] == folder_identity(self.spare):
            self.spare_tree.pending |= pending[1]
        self.plan_more(planned)

    def plan_more(self, paths: Iterable[str]) -> None:
        """Note, before writing them, the paths this build may write beyond the spare's record (a search index is
        known once made): whatever a killed build left in the spare is known."""
        new = set(paths) - self.spare_tree.files.keys() - self.spare_tree.pending
        if new:
            self.spare_tree.pending = frozenset(self.spare_tree.pending | new)
            write_record(self._pending, (folder_identity(self.spare), self.spare_tree.pending), RECORD_FORMAT)

    # What the live folder holds ------------------------------------------------------------------------------------

    def live_key(self, path: str) -> str | None:
        """The key the live folder's file was made from, while it is as that build left it."""
        entry = self.live.files.get(path)
        if entry is None or not (self.trust_output or is_as_recorded(self._live_prefix + path, entry)):
            return None
        return entry[3]

    # Publishing ----------------------------------------------------------------------------------------------------

    def keep(self, path: str) -> None:
        """Publish the live folder's file as it is (its key is this build's)."""
        entry = self.live.files[path]
        self._take(path, entry[0], entry[3])

    def put(self, path: str, content: bytes, key: str) -> None:
        """Publish these bytes."""
        self.record(*self.write_aside(path, content, key))

    def write_aside(self, path: str, content: bytes, key: str) -> tuple[str, str, str]:
        """Write one file into the spare unless it holds these bytes already: (path, digest, key) for `record`.
        It changes no record, so worker processes can do it."""
        digest = content_digest(content)
        if not self._spare_holds(path, digest):
            self._write(path, lambda target: _write_new(target, content))
        return path, digest, key

    def put_file(self, path: str, source: Path | str, key: str, digest: str | None = None) -> None:
        """Publish a copy of a file (an image from the cache: never a link to it, which it could change under the
        site); `digest`, what its bytes must hash to, if known, else the copy is trusted as it is."""
        if digest is not None and self._spare_holds(path, digest):
            self.record(path, digest, key)
            return
        live = self.live.files.get(path)
        if digest is not None and live is not None and live[0] == digest and is_as_recorded(self._live_prefix + path, live):
            self._take(path, digest, key)
            return
        with open(source, "rb") as file:
            data = file.read()
        found = content_digest(data)
        if digest is not None and found != digest:
            raise DamagedCacheFile(Path(source))
        self.put(path, data, key)

    def record(self, path: str, digest: str, key: str, as_live: bool = False) -> None:
        """Count a file of this build, whose bytes the spare holds (`as_live`: the live folder's very file)."""
        if path in self.published:  # what validation lets through makes each address once: this is the generator's fault
            raise BuildError(f"two files of this build would be published as /{path}: nothing was written; rename the page, "
                             "event or asset that makes one of them, and report this to the generator's developers")
        self.published[path] = (digest, key)
        if as_live:
            return
        live = self.live.files.get(path)
        if live is None or live[0] != digest or not (self.trust_output or is_as_recorded(self._live_prefix + path, live)):
            self.written.add(path)

    def _take(self, path: str, digest: str, key: str) -> None:
        """Publish what the live folder holds at `path`: the spare gets it as a hard link unless it holds it."""
        if not self._spare_holds(path, digest):
            self._write(path, lambda target: _link_new(self._live_prefix + path, target))
            self._stats[path] = self.live.files[path][1:3]  # a link: the live file's size and time
        self.record(path, digest, key, as_live=True)

    def _spare_holds(self, path: str, digest: str) -> bool:
        entry = self.spare_tree.files.get(path)
        if entry is None or entry[0] != digest or not is_as_recorded(self._spare_prefix + path, entry):
            return False
        self._stats[path] = entry[1:3]
        return True

    def _write(self, path: str, write) -> None:
        target = self._spare_prefix + path
        folder = os.path.dirname(target)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        write(target)

    # The switch ----------------------------------------------------------------------------------------------------

    def location(self, path: str) -> Path:
        """Where a file of this build is before the switch: in the spare."""
        return self.spare / path

    @property
    def digests(self) -> dict[str, str]:
        """Each file of this build, by path, with the digest of its bytes."""
        return {path: digest for path, (digest, _) in self.published.items()}

    def abort(self) -> None:
        """After a failed build: a spare that never held a site (the output's first build) goes."""
        if not self.out_dir.exists():
            shutil.rmtree(self.spare, ignore_errors=True)

    def remove_stale(self) -> None:
        """Remove from the spare what this build does not publish."""
        stale = (set(self.spare_tree.files) | self.spare_tree.pending) - self.published.keys()
        for path in stale:
            try:
                os.unlink(self._spare_prefix + path)
            except FileNotFoundError:
                pass
            except IsADirectoryError:
                shutil.rmtree(self._spare_prefix + path)
        _remove_empty_folders(self.spare, stale)
        self.spare_tree.files = {path: entry for path, entry in self.spare_tree.files.items() if path not in stale}

    def commit(self, said: dict) -> WriteReport:
        """Swap the spare, now the new site whole, in as the output folder, the last build's site becoming the spare;
        `said`: what to record of this build beside its files (see `freshness`)."""
        self.remove_stale()
        files = {}
        for path, (digest, key) in self.published.items():
            known = self._stats.get(path)
            if known is None:
                stat = os.stat(self._spare_prefix + path)
                known = (stat.st_size, stat.st_mtime_ns)
            files[path] = (digest, *known, key)
        self.spare_tree = Tree(files, frozenset(), said)
        self._save_records()
        self._pending.unlink(missing_ok=True)
        removed = sorted(self.live.files.keys() - self.published.keys())
        if self.out_dir.exists():
            _exchange(self.spare, self.out_dir)
        else:
            os.rename(self.spare, self.out_dir)
        return WriteReport(sorted(self.written), removed, len(self.published) - len(self.written))

    def _save_records(self) -> None:
        trees = {}
        live, spare = folder_identity(self.out_dir), folder_identity(self.spare)
        if live is not None and live != spare and self.live.files:
            trees[live] = self.live
        if spare is not None:
            trees[spare] = self.spare_tree
        write_record(self.records, trees, RECORD_FORMAT)

    def _prepare_spare(self) -> Tree:
        """The spare's record; a spare with none (left by other code, or another build's) is made again from the live
        folder, as hard links (a build replaces files, it never writes into one)."""
        identity = folder_identity(self.spare)
        if identity is not None and identity in self.trees and identity != folder_identity(self.out_dir):
            return self.trees[identity]
        if identity is not None:
            shutil.rmtree(self.spare)
        self.spare_tree = Tree(dict(self.live.files), frozenset(), {})
        if self.live.files:
            _link_tree(self.out_dir, self.spare, self.live)
            self._save_records()  # a spare made now is known, should this build be killed
        else:
            self.spare.mkdir(parents=True)
        return self.spare_tree


def _write_new(target: str, content: bytes) -> None:
    """Write a file as a new one: whatever the path held may be a hard link to a published file."""
    try:
        os.unlink(target)
    except FileNotFoundError:
        pass
    with open(target, "xb") as file:
        file.write(content)


def _link_new(source: str, target: str) -> None:
    try:
        os.unlink(target)
    except FileNotFoundError:
        pass
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copyfile(source, target)


def _link_tree(source: Path, target: Path, tree: Tree) -> None:
    """A copy of the recorded files of a folder, as hard links."""
    made: set[str] = set()
    prefix, target_prefix = os.path.join(source, ""), os.path.join(target, "")
    target.mkdir(parents=True)
    for path in tree.files:
        folder = os.path.dirname(target_prefix + path)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        try:
            _link_new(prefix + path, target_prefix + path)
        except FileNotFoundError:  # gone from the live folder: its record no longer matches, and it is made again
            pass


def _remove_empty_folders(root: Path, paths: Iterable[str]) -> None:
    for folder in sorted({(root / path).parent for path in paths}, key=lambda folder: len(folder.parts), reverse=True):
        while folder != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def _exchange(first: Path, second: Path) -> None:
    """Swap two folders in one step; where the system cannot (not Linux, or a file system without the call), in
    three renames that `_recover` completes should the build be killed between them."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:
        renameat2 = None
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
            return
        error = ctypes.get_errno()
        if error not in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
            raise OSError(error, os.strerror(error), str(second))
    swapping = _swapping(second)
    os.rename(second, swapping)
    os.rename(first, second)
    os.rename(swapping, first)


def _swapping(out_dir: Path) -> Path:
    return out_dir.with_name(f".{out_dir.name}.swapping")


def _recover(out_dir: Path, spare: Path) -> None:
    """Complete a swap in three renames that a killed build left half done (see `_exchange`)."""
    swapping = _swapping(out_dir)
    if not swapping.exists():
        return
    if not out_dir.exists():
        os.rename(spare, out_dir)  # the spare was whole and recorded before the swap began
    if spare.exists():
        shutil.rmtree(spare)
    os.rename(swapping, spare)
