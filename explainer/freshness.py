"""Whether the last build's output is still current, answered before any content is read.

A build records a stamp of everything it was made from: the size and modification time of
every file under the site's input folders, the build options and the generator's code. When
the next build finds the same stamp, and the output folder still holds every file as that
build left it (the output manifest's sizes and times), there is nothing to do: the build is
deterministic, so it would write the same bytes again. Like `make`, but by file content
times and sizes rather than by comparing times across files.

This module imports nothing heavy, so the command line can answer "up to date" at once.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .cache import code_version
from .project import input_files, stat_line
from .write import is_as_recorded, load_manifest


@dataclass(frozen=True)
class LastBuild:
    """What an up-to-date output was built from, and what that build said."""

    events: int
    warnings: list[str]


def input_stamp(root: Path, out_dir: Path, options: dict, files: dict[str, str] | None = None) -> str:
    """A digest of every input file's path, size and time (`input_files`), the options and the code."""
    files = input_files(root) if files is None else files
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps([code_version(), sys.version, str(out_dir), options], sort_keys=True).encode())
    for path, stat in files.items():
        digest.update(f"{path}\0{stat}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def updated_files(root: Path, files: dict[str, str], changed: list[str]) -> dict[str, str]:
    """`input_files` as it is now, from an earlier answer and the paths known to have changed since (the preview's)."""
    files = dict(files)
    for relative in changed:
        try:
            files[relative] = stat_line(os.stat(root / relative))
        except OSError:
            files.pop(relative, None)
    return files


def last_build_if_current(record: Path, manifest: Path, out_dir: Path, stamp: str) -> LastBuild | None:
    """The last build, if it was made from these exact inputs and the output holds every file as it left them."""
    try:
        saved = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("stamp") != stamp:
        return None
    files = load_manifest(manifest)
    prefix = os.path.join(out_dir, "")
    if not files or not all(is_as_recorded(prefix + path, entry) for path, entry in files.items()):
        return None
    return LastBuild(saved["events"], saved["warnings"])


def remember(record: Path, stamp: str, events: int, warnings: list[str]) -> None:
    """Note that the output now matches the inputs of `stamp`, with what the build said."""
    record.parent.mkdir(parents=True, exist_ok=True)
    temporary = record.with_name(record.name + f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"stamp": stamp, "events": events, "warnings": warnings}))
    os.replace(temporary, record)


def forget(record: Path) -> None:
    """The output no longer matches a recorded stamp (a build into it started)."""
    record.unlink(missing_ok=True)
