"""Full-text search: a Pagefind index of the event and narrative pages of a built site."""
from __future__ import annotations

import asyncio
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pagefind.index import IndexConfig, PagefindIndex

def build_search_index(site_dir: Path, folder: Path, language: str) -> dict[str, Path]:
    """Index the built site's pages with Pagefind into `folder`; output path -> file of the search bundle."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    # Pagefind's API is async; its own thread keeps it apart from any loop the caller runs (a server, a test browser).
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, _index(site_dir, folder, language)).result()
    return {f"pagefind/{path.relative_to(folder).as_posix()}": path for path in sorted(folder.rglob("*")) if path.is_file()}


async def _index(site_dir: Path, folder: Path, language: str) -> None:
    config = IndexConfig(output_path=str(folder), force_language=language.split("-")[0])
    async with PagefindIndex(config=config) as index:
        # Pagefind reads the files itself: far faster than handing it each page through its pipe.
        await index.add_directory(path=str(site_dir), glob="**/*.html")
