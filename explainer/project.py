"""Where a site's content lives, where its build goes, and where the build keeps its records."""
from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .write import BuildError

INPUT_FOLDERS = ("data", "content", "templates", "assets")
OUTSIDE = "outside"  # what `input_files` says of a link that leads out of the site folder
UNREADABLE = "unreadable"  # what it says of a folder the build may not list (its permissions)
HIDDEN = "hidden"  # what it says of a link to a hidden file or folder of the site (.git, .env), which is never read
BROKEN_LINK = "broken link"  # what it says of a link that leads to nothing, or round a loop of links
NOT_A_FILE = "not a file: "  # what it says of a named pipe, a socket or a device, then which: reading one may never end


@dataclass(frozen=True)
class Project:
    """Where a site's content lives and where its build goes."""

    root: Path
    out_dir: Path
    cache_dir: Path

    @classmethod
    def at(cls, root: Path, out_dir: Path | None = None) -> Project:
        root = root.resolve()
        return cls(root, (out_dir or root / "_site").resolve(), root / ".cache")

    @property
    def records(self) -> Path:
        """Where the records of this output folder are kept: by its resolved path, so that another folder of the
        same name is never taken for it."""
        return self.cache_dir / "outputs" / hashlib.blake2b(str(self.out_dir).encode(), digest_size=8).hexdigest()

    @property
    def trees(self) -> Path:
        """What the output folder and its spare hold, file by file (see `write`)."""
        return self.records / "trees.pickle"

    @property
    def links(self) -> Path:
        """What each page of the output links to, by the page's digest (see `check.broken_links`)."""
        return self.records / "links.pickle"

    @contextmanager
    def lock(self) -> Iterator[None]:
        """One build of the site at a time: a second one waits, saying so, and a lock left by a build that died is
        taken over (the system releases it with the process)."""
        from filelock import FileLock, Timeout

        self.cache_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.cache_dir / "build.lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            print("another build of this site is running: waiting for it to finish", file=sys.stderr, flush=True)
            lock.acquire()
        except IsADirectoryError:
            folder = Path(lock.lock_file).relative_to(self.root).as_posix()
            raise BuildError(f"{folder} is a folder: builds take turns by a file of that name: remove the folder") from None
        try:
            yield
        finally:
            lock.release()


def input_files(root: Path) -> dict[str, str]:
    """Every file under the site's input folders, by path relative to the site folder: its size and time as one
    string; or for what is never read: `OUTSIDE`, a link (to a file or a folder) that leads out of the site folder;
    `HIDDEN`, one that leads to a hidden file or folder of the site; `BROKEN_LINK`, one that leads to no file;
    `NOT_A_FILE` and its kind, a named pipe, a socket or a device; `UNREADABLE`, a folder that cannot be listed."""
    files: dict[str, str] = {}
    root = root.resolve()
    for folder in INPUT_FOLDERS:
        path = root / folder
        if path.is_symlink() and not is_inside(path, root):
            files[folder] = OUTSIDE
        elif path.is_symlink() and leads_to_hidden(path, root):
            files[folder] = HIDDEN
        else:
            _list_files(path, folder, root, files, set())
    return files


def is_inside(path: Path | str, root: Path) -> bool:
    """Whether a path, its links followed, lies in the (resolved) site folder."""
    return Path(os.path.realpath(path)).is_relative_to(root)


def leads_to_hidden(path: Path | str, root: Path) -> bool:
    """Whether a link in the (resolved) site folder leads to a hidden file or folder of it, or into one: .git, .env,
    .cache, which no build reads or publishes."""
    return any(part.startswith(".") for part in Path(os.path.realpath(path)).relative_to(root).parts)


def _list_files(folder: Path, relative: str, root: Path, files: dict[str, str], seen: set[tuple[int, int]]) -> None:
    """Add each file under a folder, hidden ones included (a stamp errs on the side of building again), in a fixed order.

    Links that stay in the site folder are followed, each folder once (`seen`), so a link loop ends.
    """
    try:
        identity = os.stat(folder)
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):
        files[relative] = "missing"
        return
    except OSError:
        files[relative] = UNREADABLE
        return
    if (identity.st_dev, identity.st_ino) in seen:
        files[relative] = "seen"
        return
    seen.add((identity.st_dev, identity.st_ino))
    for entry in entries:
        path = f"{relative}/{entry.name}"
        if entry.is_symlink() and not is_inside(entry.path, root):
            files[path] = OUTSIDE
            continue
        if entry.is_symlink() and leads_to_hidden(entry.path, root):
            files[path] = HIDDEN
            continue
        try:
            status = entry.stat()  # of what a link leads to
        except OSError:  # a link to nothing, or to links that lead back to it; else a file just deleted
            if entry.is_symlink():
                files[path] = BROKEN_LINK
            continue
        if stat.S_ISDIR(status.st_mode):
            _list_files(Path(entry.path), path, root, files, seen)
        else:
            files[path] = stat_line(status) if stat.S_ISREG(status.st_mode) else NOT_A_FILE + _kind_of_file(status.st_mode)


def _kind_of_file(mode: int) -> str:
    """What a file system entry that is neither a folder nor a file is, in words."""
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file"


def stat_line(status: os.stat_result) -> str:
    """A file's size and times, as `input_files` records them."""
    return f"{status.st_size}\0{status.st_mtime_ns}\0{status.st_ctime_ns}"
