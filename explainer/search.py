"""Full-text search: a Pagefind index of the event and narrative pages, built after they render."""
from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterable
from pathlib import Path

from pagefind.index import IndexConfig, PagefindIndex

INDEXED_MARK = b"data-pagefind-body"  # only pages carrying it are searchable (events, narrative pages)


def is_searchable(content: bytes) -> bool:
    return INDEXED_MARK in content


def build_search_index(pages: Iterable[tuple[str, Path]], folder: Path, language: str) -> dict[str, Path]:
    """Index each (URL, HTML file) with Pagefind into `folder`; output path -> file of the search bundle."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    asyncio.run(_index(pages, folder, language))
    return {f"pagefind/{path.relative_to(folder).as_posix()}": path for path in sorted(folder.rglob("*")) if path.is_file()}


async def _index(pages: Iterable[tuple[str, Path]], folder: Path, language: str) -> None:
    config = IndexConfig(output_path=str(folder), force_language=language.split("-")[0])
    async with PagefindIndex(config=config) as index:
        for url, file in pages:
            await index.add_html_file(content=file.read_text(encoding="utf-8"), url=url)
