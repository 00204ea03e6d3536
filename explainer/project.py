"""Where a site's content lives, where its build goes, and where the build keeps its records."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
    def manifest(self) -> Path:
        """Every file the output folder holds, with its digest, size and time, as the last build left it."""
        return self.cache_dir / f"manifest-{self.out_dir.name}.pickle"

    @property
    def search_record(self) -> Path:
        """The pages the output's search index was made from."""
        return self.cache_dir / f"search-pages-{self.out_dir.name}.json"

    @property
    def freshness_record(self) -> Path:
        """The stamp of the inputs the output was last built from (see `freshness`)."""
        return self.cache_dir / f"fresh-{self.out_dir.name}.json"
