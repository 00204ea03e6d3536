"""What a second language costs: `python bench/bench_languages.py [--sizes 2000] [--translated 10]`.

For each size it writes the synthetic corpus (bench/corpus.py) twice: as it is, in one
language, and with a second language (`be`) in `data/site.yaml` and a translation of every
tenth Markdown entry (`--translated` per cent), so that most of the second language's pages
show their event untranslated, as a site being translated would. In fresh processes, as
`bench_build.py` times them (each after `sync`, peak memory of the build and its workers):
a cold build, then a build after one original entry changed (its page in both languages and
the lists that show it), then, in the two-language site, after one translation changed (its
language's pages alone). The rows "pages written" count the HTML files each build wrote.
A second language doubles the pages: a cold build should cost at most that share more.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))
from bench_build import timed_build  # noqa: E402
from corpus import write_corpus  # noqa: E402

BELARUSIAN = "languages:\n  be:\n    title: Храналогія для вымярэнняў\n    description: Сінтэтычны сайт для вымярэнняў.\n"


def add_second_language(root: Path, per_cent: int) -> list[Path]:
    """`be` in the site's settings and a translation beside every `100 / per_cent`-th Markdown entry; the translations."""
    from explainer.model import words_digest
    from explainer.pipeline import Project, load_and_validate

    settings = root / "data" / "site.yaml"
    settings.write_text(settings.read_text() + BELARUSIAN)
    site, problems = load_and_validate(Project.at(root))
    assert site is not None, [str(problem) for problem in problems if problem.is_error]
    entries = [event for event in site.events if event.position.path.startswith("content/events/")]
    written = []
    for event in entries[::max(1, 100 // per_cent)]:
        original = root / event.position.path
        translation = original.with_name(f"{original.stem}.be.md")
        words = {"translated_from": words_digest(event), "title": f"Пераклад: {event.title}", "summary": event.summary}
        translation.write_text(f"---\n{yaml.safe_dump(words, allow_unicode=True, width=1000)}---\n{event.body}\n", encoding="utf-8")
        written.append(translation)
    return written


def pages_written(root: Path, since: float) -> int:
    return sum(1 for page in (root / "_site").rglob("*.html") if page.stat().st_mtime >= since)


def build_row(root: Path) -> dict:
    import time

    row = {}
    started = time.time()
    row["cold build (s)"], (peak, _), stages = timed_build(root)
    row["cold: search index (s)"] = stages.get("search index", 0.0)
    row["cold: images and assets (s)"] = stages.get("images and assets", 0.0)
    row["cold, without images and search (s)"] = row["cold build (s)"] - row["cold: search index (s)"] - row["cold: images and assets (s)"]
    row["cold: pages written"] = pages_written(root, started)
    row["peak memory, PSS (MiB)"] = peak / 2**20
    entry = sorted((root / "content" / "events").glob("*[0-9].md"))[1]  # not translated (every tenth is, from the first)
    entry.write_text(entry.read_text().replace('title: "', 'title: "Edited: ', 1))
    started = time.time()
    row["one original entry changed (s)"], _, _ = timed_build(root)
    row["  pages written"] = pages_written(root, started)
    return row


def measure(size: int, per_cent: int, folder: Path) -> dict:
    one, two = folder / f"one-{size}", folder / f"two-{size}"
    write_corpus(size, one)
    shutil.copytree(one, two)
    translations = add_second_language(two, per_cent)
    rows = {"one language": build_row(one), "two languages": build_row(two)}
    translation = translations[-1]
    translation.write_text(translation.read_text().replace("title: 'Пераклад: ", "title: 'Пераклад (папраўлены): ", 1))
    import time

    started = time.time()
    rows["two languages"]["one translation changed (s)"], _, _ = timed_build(two)
    rows["two languages"]["  pages written "] = pages_written(two, started)
    rows["two languages"]["translations"] = len(translations)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000])
    parser.add_argument("--translated", type=int, default=10, help="per cent of the Markdown entries translated")
    parser.add_argument("--folder", type=Path, help="where to write the corpora (a tmpfs such as /dev/shm measures the work without the disk)")
    args = parser.parse_args()
    if args.folder:
        args.folder.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="explainer-languages-", dir=args.folder))
    try:
        for size in args.sizes:
            rows = measure(size, args.translated, folder)
            names = list(dict.fromkeys(name for row in rows.values() for name in row))
            print(f"\n{size:,} events          " + "".join(f"{column:>16}" for column in rows))
            for name in names:
                cells = "".join(f"{rows[column][name]:>16.2f}" if name in rows[column] else f"{'':>16}" for column in rows)
                print(f"{name:<38}{cells}")
            one, two = rows["one language"], rows["two languages"]
            print(f"{'cold, without images and search: two ÷ one':<38}{two['cold, without images and search (s)'] / one['cold, without images and search (s)']:>32.2f}")
            print(f"{'pages: two ÷ one':<38}{two['cold: pages written'] / one['cold: pages written']:>32.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
