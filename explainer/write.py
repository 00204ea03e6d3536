"""Write a build into the output folder without ever leaving it half-built.

A build is gathered first: new or changed files go to a staging folder beside the output,
files whose bytes did not change are not written at all. Only `commit()` touches the output,
by renames, once every page has rendered; a build that fails before leaves it as it was.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .cache import append_log, dump_pickle, load_log
from .parallel import Background

MANIFEST_COMPACT_AFTER = 20  # builds appending their changes to the manifest before it is written out whole again
# The manifest records files, whatever code wrote them: an upgrade of the generator keeps it (not so the caches).
# Change this only with what a manifest holds.
MANIFEST_FORMAT = "manifest: path -> [digest, size, mtime_ns]"
CHECK_APART_FROM = 2000  # output files: from so many, they are checked on another core while the build goes on


@dataclass
class WriteReport:
    """What a commit changed in the output folder."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def content_hash(content: bytes) -> str:
    return hashlib.blake2b(content, digest_size=16).hexdigest()


class Staging:
    """The files of one build, gathered beside `out_dir` until `commit()`."""

    def __init__(self, out_dir: Path, manifest_path: Path, previous: dict[str, list] | None = None,
                 trust_output: bool = False) -> None:
        self.out_dir = out_dir
        self._out_prefix = os.path.join(out_dir, "")  # a hot path joins to it by concatenation
        self.manifest_path = manifest_path
        self.folder = out_dir.parent / f".{out_dir.name}.staging"
        self._records = 0  # in the manifest's log
        if not out_dir.is_dir():
            previous = {}
        elif previous is None:
            previous, self._records = load_log(manifest_path, MANIFEST_FORMAT)
        self.previous = previous
        self.manifest = self.previous  # what the output holds once committed
        self.trust_output = trust_output  # no one else writes there: skip checking each file is as we left it
        self._altered: set[str] | None = set() if trust_output else None
        self._check = Background(self._altered_files) if self._altered is None and len(previous) >= CHECK_APART_FROM else None
        self.current: dict[str, str] = {}
        self.changed: set[str] = set()
        self._folders: set[Path] = set()
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)

    def add(self, path: str, content: bytes) -> None:
        """Stage one output file, unless the output already holds these exact bytes."""
        self.record(*self.write_aside(path, content))

    def add_file(self, path: str, source: Path | str, digest: str | None = None) -> None:
        """Stage a copy of a file (a processed image, an asset); `digest` spares hashing it again."""
        digest = digest or content_hash(Path(source).read_bytes())
        self._stage(path, digest, lambda target: _copy(source, target))

    def keep(self, wanted: Callable[[str], bool]) -> list[str]:
        """Keep the wanted files that the output already holds unchanged, as if staged again; their paths."""
        kept = []
        for path, known in self.previous.items():
            if wanted(path) and path not in self.current and self._is_unchanged(path, known[0]):
                self.current[path] = known[0]
                kept.append(path)
        return kept

    def keep_unchanged(self, path: str) -> bool:
        """Keep one file the output holds unchanged since the last build, without its bytes; False if it changed."""
        known = self.previous.get(path)
        if known is None or path in self.current or not self._is_unchanged(path, known[0]):
            return False
        self.current[path] = known[0]
        return True

    def write_aside(self, path: str, content: bytes) -> tuple[str, str, bool]:
        """Write one output into the staging folder unless the output holds these bytes: (path, digest, written).

        It changes no record of the build, so worker processes can do it; `record` then takes the result.
        """
        digest = content_hash(content)
        if self._is_unchanged(path, digest):
            return path, digest, False
        self._write(path, lambda target: target.write_bytes(content))
        return path, digest, True

    def record(self, path: str, digest: str, written: bool) -> None:
        """Count an output of this build, written aside or found unchanged."""
        if path in self.current:
            raise ValueError(f"two outputs for {path}")
        self.current[path] = digest
        if written:
            self.changed.add(path)

    def _stage(self, path: str, digest: str, write) -> None:
        written = not self._is_unchanged(path, digest) and path not in self.current
        if written:
            self._write(path, write)
        self.record(path, digest, written)

    def _write(self, path: str, write) -> None:
        target = self.folder / path
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        write(target)

    def location(self, path: str) -> Path:
        """Where an output file of this build is before commit: staged, or in the output as the last build left it."""
        return self.folder / path if path in self.changed else self.out_dir / path

    def finish_check(self) -> None:
        """Know which output files were altered since the last build (before forking workers: they inherit the
        answer, and could not wait for a check running in a process of this one's)."""
        if self._altered is None:
            self._altered = self._check.result() if self._check else self._altered_files()

    def _is_unchanged(self, path: str, digest: str) -> bool:
        known = self.previous.get(path)
        if known is None or known[0] != digest:
            return False
        self.finish_check()
        return path not in self._altered

    def _altered_files(self) -> set[str]:
        """The files of the output that are not as the last build left them (edited, replaced or removed by hand)."""
        prefix = self._out_prefix
        return {path for path, known in self.previous.items() if not is_as_recorded(prefix + path, known)}

    def commit(self) -> WriteReport:
        """Move the staged files into the output folder and remove what the build no longer has."""
        if self._check and self._altered is None:  # no file was found as the last build left it: no need to know
            self._check.cancel()
        report = WriteReport(unchanged=len(self.current) - len(self.changed))
        if not self.out_dir.is_dir():
            self.folder.rename(self.out_dir)
        else:
            for path in self.changed:
                target = self.out_dir / path
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.folder / path, target)
            report.removed = self._remove_stale()
            shutil.rmtree(self.folder)
        report.written = sorted(self.changed)
        if report.written or report.removed or self.current.keys() != self.previous.keys():
            self._save_manifest()
        return report

    def abort(self) -> None:
        """Forget the staged files; the output folder was never touched."""
        if self._check:
            self._check.cancel()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _remove_stale(self) -> list[str]:
        """Remove what the last build wrote and this one did not; without a record of it, whatever is not ours."""
        if self.previous:
            stale = [path for path in self.previous if path not in self.current]
        else:
            stale = [path.relative_to(self.out_dir).as_posix() for path in self.out_dir.rglob("*")
                     if path.is_file() and path.relative_to(self.out_dir).as_posix() not in self.current]
        for path in stale:
            (self.out_dir / path).unlink(missing_ok=True)
        for folder in sorted({(self.out_dir / path).parent for path in stale}, key=lambda f: len(f.parts), reverse=True):
            while folder != self.out_dir and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        return sorted(stale)

    def _save_manifest(self) -> None:
        """Record every output file; saved as a log, like the caches: a build that changed a few files appends them."""
        manifest, changes = {}, {}
        for path, digest in self.current.items():
            if path in self.changed or path not in self.previous:
                stat = os.stat(self._out_prefix + path)
                manifest[path] = changes[path] = [digest, stat.st_size, stat.st_mtime_ns]
            else:
                manifest[path] = self.previous[path]
        changes.update((path, None) for path in self.previous if path not in manifest)  # None: gone
        self.manifest = manifest
        if self.trust_output:
            return  # a preview keeps it in memory; the next process checks every file anyway
        if 0 < self._records < MANIFEST_COMPACT_AFTER and len(changes) < len(manifest) // 4:
            append_log(self.manifest_path, changes, MANIFEST_FORMAT)
            self._records += 1
        else:
            dump_pickle(self.manifest_path, manifest, MANIFEST_FORMAT)
            self._records = 1


def load_manifest(path: Path) -> dict[str, list]:
    """Output path -> [digest, size, mtime_ns] of every file a build left in its output folder; {} if unknown."""
    return load_log(path, MANIFEST_FORMAT)[0]


def is_as_recorded(file: str, entry: list) -> bool:
    """Whether an output file still has the size and time its manifest entry records (a hot path: a string, no Path)."""
    try:
        stat = os.stat(file)
    except OSError:
        return False
    return [stat.st_size, stat.st_mtime_ns] == entry[1:]


def replace_now(out_dir: Path, path: str, content: bytes, manifest: dict[str, list]) -> bool:
    """Replace one output file at once, atomically, and note it in the manifest; False if it already held these bytes.

    For the preview alone, which writes an edited page before its whole rebuild: that build
    then finds the page as it would write it, and leaves it.
    """
    digest = content_hash(content)
    known = manifest.get(path)
    if known is not None and known[0] == digest:
        return False
    target = out_dir / path
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, target)
    stat = target.stat()
    manifest[path] = [digest, stat.st_size, stat.st_mtime_ns]
    return True


def _copy(source: Path | str, target: Path) -> None:
    """A hard link where the file system allows (a build never writes into an output file, it replaces it), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
