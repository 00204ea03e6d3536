"""Whether the last build's output is still current, answered before any content is read.

A build records with its output a stamp of everything it was made from: the size and times
of every file under the site's input folders, the build options and the generator's version.
When the next build finds the same stamp, and the output folder still holds every file as
that build left it (their recorded sizes and times), there is nothing to do: the build is
deterministic, so it would write the same bytes again. As in git, a stamp is not recorded
while an input changed too recently to trust its times (see `cache.RACY_NS`).

This module imports nothing heavy, so the command line can answer "up to date" at once.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .cache import RACY_NS, generator_version
from .project import Project, input_files
from .write import is_as_recorded, live_tree


@dataclass(frozen=True)
class LastBuild:
    """What an up-to-date output was built from, and what that build said."""

    events: int
    warnings: list[str]


def input_stamp(root: Path, out_dir: Path, options: dict, files: dict[str, str] | None = None) -> str | None:
    """A digest of every input file's path, size and times (`input_files`), the options and the generator; None
    while a file changed too recently for its times to be trusted."""
    files = input_files(root) if files is None else files
    if not _settled(files):
        return None
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps([generator_version(), str(out_dir), options], sort_keys=True).encode())
    for path, stat in files.items():
        digest.update(f"{path}\0{stat}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _settled(files: dict[str, str]) -> bool:
    """Whether every input file was last written long enough ago (see `cache.RACY_NS`)."""
    recent = time.time_ns() - RACY_NS
    return not any(int(parts[1]) >= recent for parts in (line.split("\0") for line in files.values()) if len(parts) > 1)


def last_build_if_current(project: Project, stamp: str | None) -> LastBuild | None:
    """The last build, if it was made from these exact inputs and the output holds every file as it left them."""
    tree = live_tree(project.out_dir, project.trees)
    if stamp is None or tree is None or tree.said.get("stamp") != stamp or not tree.files:
        return None
    prefix = os.path.join(project.out_dir, "")
    if not all(is_as_recorded(prefix + path, entry) for path, entry in tree.files.items()):
        return None
    return LastBuild(tree.said["events"], tree.said["warnings"])
