"""Build benchmark: `python bench/bench_build.py [--sizes 1000 10000]`.

For each size it writes the synthetic corpus (bench/corpus.py) and measures, each build in a
fresh process: a cold full build (no cache, no output), a rebuild with nothing changed, a
rebuild after one entry changed, a rebuild after one template changed, `check` (first, and
after the entry changed), the preview server's time from saving one entry to its rebuilt
page on disk and to the end of the whole rebuild, and peak memory (the build process and its
workers together, the search indexer apart) of a cold build and of the one-entry edit, each
measured again in a build of its own, since sampling slows a build down. Image processing and the search index are timed apart, as stages of the
cold build. The "bare loop" rows run the floor of our stack over the same corpus: PyYAML's C
loader, Python-Markdown, one Jinja template, write; on 1 and 2 processes. The "floor" row
converts, with the site's own Markdown converter, what every build of the corpus must: each
event's body and summary, and nothing else; the build "with Markdown already rendered" (a
cold build but for the stored Markdown) does all the rest, so the two rows split the cold
build in two. A deploy on Netlify keeps `.cache/` and starts with no `_site/`.

Nothing is deleted until every size is measured, and each timed step starts after `sync`:
on some disks (seen on ext4 mounted with `discard`) creating files soon after thousands
were deleted runs several times slower, and one step would pay for the cleanup of the one
before. `--folder` chooses where the corpora are written: a tmpfs such as /dev/shm
measures the work without the disk. `--generator` measures another checkout (an older
revision, say) with this same script, for a before-and-after table in one run.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import jinja2
import markdown
import yaml

REPO = Path(__file__).resolve().parent.parent
GENERATOR = [REPO]  # the checkout whose build.py, templates and assets are measured (--generator)
sys.path.insert(0, str(REPO / "bench"))
from corpus import write_corpus  # noqa: E402

sys.path.insert(0, str(REPO))
from explainer.markup import make_converter  # noqa: E402

BARE_TEMPLATE = jinja2.Template("<!DOCTYPE html><html><head><title>{{ title }}</title></head><body><h1>{{ title }}</h1>{{ body }}</body></html>")
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Builds run as on an editor's machine, where Python keeps the modules it compiles (some sandboxes turn that off).
BUILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


_CONVERTER: list[markdown.Markdown] = []  # one per process, reset for each text: the cheapest way to convert many


def _bare_file(args: tuple[Path, Path]) -> int:
    path, out = args
    text = path.read_text(encoding="utf-8")
    if not _CONVERTER:
        _CONVERTER.append(markdown.Markdown())
    converter = _CONVERTER[0]
    if path.suffix == ".md":
        _, front, body = text.split("---\n", 2)
        items = [dict(yaml.load(front, Loader=Loader), body=body)]
    else:
        items = yaml.load(text, Loader=Loader)
    for item in items:
        converter.reset()
        html = BARE_TEMPLATE.render(title=item["title"], body=converter.convert(item.get("body", "")))
        target = out / str(item["id"]) / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    return len(items)


_TEXTS: list[str] = []  # what `markdown_floor` converts, inherited by its forked workers


def _convert_share(bounds: tuple[int, int]) -> int:
    if not _CONVERTER:
        _CONVERTER.append(make_converter())
    converter = _CONVERTER[0]
    for text in _TEXTS[bounds[0]:bounds[1]]:
        converter.reset()
        converter.convert(text)
    return bounds[1] - bounds[0]


def markdown_floor(root: Path, processes: int) -> float:
    """Seconds to convert every event's body and summary with the site's own Markdown converter, nothing else:
    a floor under any build of the corpus (the texts are read before the clock starts)."""
    _TEXTS.clear()
    for path in sorted((root / "data" / "events").glob("*.yaml")):
        _TEXTS.extend(text for item in yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)
                      for text in (item.get("body", ""), item["summary"]))
    for path in sorted((root / "content" / "events").glob("*.md")):
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        _TEXTS.extend((body, yaml.load(front, Loader=Loader)["summary"]))
    chunks = [(start, min(start + 50, len(_TEXTS))) for start in range(0, len(_TEXTS), 50)]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_convert_share, chunks, chunksize=1)
    return time.perf_counter() - started


def settled() -> None:
    """Let the file system finish what earlier steps left it (see the module's docstring)."""
    os.sync()
    time.sleep(1)


def bare_loop(root: Path, processes: int, out: Path) -> float:
    """Seconds for the bare loop over the corpus at `root`, writing into `out` (left for the caller to delete)."""
    files = sorted((root / "data" / "events").glob("*.yaml")) + sorted((root / "content" / "events").glob("*.md"))
    settled()
    started = time.perf_counter()
    if processes == 1:
        for path in files:
            _bare_file((path, out))
    else:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            pool.map(_bare_file, [(path, out) for path in files], chunksize=8)
    return time.perf_counter() - started


class PeakMemory:
    """Samples the memory of a process and all its descendants, every 20 ms.

    Memory is the proportional set size (PSS): pages that forked workers share with the
    build process count once in all, where summing resident sizes would count them twice.
    The search indexer (Pagefind, a program of its own that the build runs) is measured
    apart, as its time is.
    """

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.search_peak, self._stop = pid, 0, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            build, search = 0, 0
            for pid in _tree(self.pid):
                if _command(pid).startswith("pagefind"):
                    search += _pss(pid)
                else:
                    build += _pss(pid)
            self.peak, self.search_peak = max(self.peak, build), max(self.search_peak, search)
            time.sleep(0.02)

    def stop(self) -> tuple[int, int]:
        self._stop.set()
        self.thread.join()
        return self.peak, self.search_peak


def _tree(pid: int) -> list[int]:
    """A process and all its descendants, whichever of its threads started them."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            tasks = list(Path(f"/proc/{current}/task").glob("*"))
        except OSError:  # it ended meanwhile
            continue
        for task in tasks:
            try:
                queue += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def timed_build(root: Path, *extra: str, memory: bool = False) -> tuple[float, tuple[int, int], dict[str, float]]:
    """Seconds, peak memory of the build's processes and of the search indexer (with `memory`, else zeros), and stage
    timings of `build.py build --profile`. Memory is sampled in builds of its own: sampling takes the build a few
    per cent of its time on two cores."""
    settled()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(GENERATOR[0] / "build.py"), "--root", str(root), "build", "--profile", *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=BUILD_ENV)
    sampler = PeakMemory(process.pid) if memory else None
    out, err = process.communicate()
    elapsed = time.perf_counter() - started
    peak = sampler.stop() if sampler else (0, 0)
    if process.returncode:
        raise SystemExit(f"build failed:\n{err}")
    stages = {m[1].strip(): float(m[2]) for m in re.finditer(r"^  (.+?)\s+([\d.]+) s$", out, re.M)}
    return elapsed, peak, stages


def without_apart(seconds: float, stages: dict[str, float], images: bool = True) -> float:
    """A build's seconds without its search index and, unless not `images`, its images: the stages timed apart."""
    return seconds - stages.get("search index", 0.0) - (stages.get("images and assets", 0.0) if images else 0.0)


def forget_all_but(root: Path, kept: set[str]) -> Path:
    """The site at `root` without its output, and of its `.cache/` only the entries named in `kept`.

    What goes is moved into a folder beside the site, deleted with the rest at the end (see the module's docstring).
    """
    aside = Path(tempfile.mkdtemp(prefix="set-aside-", dir=root.parent))
    for path in [*(root / ".cache").iterdir(), root / "_site"]:
        if path.name not in kept:
            path.rename(aside / path.name)
    return root


def timed_check(root: Path) -> float:
    """Seconds of `build.py check`, which Netlify runs before each build (as `check --strict`)."""
    settled()
    started = time.perf_counter()
    process = subprocess.run([sys.executable, str(GENERATOR[0] / "build.py"), "--root", str(root), "check"],
                             capture_output=True, text=True, env=BUILD_ENV)
    if process.returncode:
        raise SystemExit(f"check failed:\n{process.stderr[-2000:]}")
    return time.perf_counter() - started


def serve_edit_latency(root: Path, entry: Path, page: Path, tries: int = 5) -> list[tuple[float, float]]:
    """For each save of an entry in `build.py serve`, from a quiet preview: seconds until its page is rebuilt on
    disk, and until the whole rebuild is done (the server's log line)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, str(GENERATOR[0] / "build.py"), "--root", str(root), "serve", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=BUILD_ENV)
    lines: list[tuple[float, str]] = []
    threading.Thread(target=lambda: [lines.append((time.perf_counter(), line)) for line in process.stdout], daemon=True).start()
    try:
        while not any("Previewing" in line for _, line in lines):
            if process.poll() is not None:
                raise SystemExit("serve did not start")
            time.sleep(0.05)
        results = []
        for attempt in range(tries):
            settled()
            seen = len(lines)
            before = page.read_bytes()
            marker = f"Edited in the preview, try {attempt} at {time.time_ns()}."
            started = time.perf_counter()
            entry.write_text(entry.read_text().rstrip("\n") + f"\n\n{marker}\n")
            while marker.encode() not in page.read_bytes() if page.exists() else True:
                if time.perf_counter() - started > 30:
                    raise SystemExit("the preview never rebuilt the page")
                time.sleep(0.002)
            on_disk = time.perf_counter() - started
            assert page.read_bytes() != before
            while not (done := [at for at, line in lines[seen:] if "files written" in line]):
                if time.perf_counter() - started > 60:
                    raise SystemExit("the preview never finished the rebuild")
                time.sleep(0.01)
            results.append((on_disk, done[0] - started))
        return results
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure(size: int, folder: Path) -> dict:
    root = folder / f"site-{size}"
    write_corpus(size, root, theme=GENERATOR[0])
    row: dict = {"events": size}
    row["bare loop, 1 process"] = bare_loop(root, 1, folder / f"bare-{size}-1")
    row["bare loop, 2 processes"] = bare_loop(root, 2, folder / f"bare-{size}-2")
    row["floor: Markdown of bodies and summaries alone, 2 processes"] = markdown_floor(root, 2)
    row["cold build"], _, stages = timed_build(root)
    row["cold: images"] = stages.get("images and assets", 0.0)
    row["cold: search index"] = stages.get("search index", 0.0)
    row["cold build, without images and search"] = without_apart(row["cold build"], stages)
    row["  ÷ bare loop, 2 processes (target: 1.6)"] = (
        row["cold build, without images and search"] / row["bare loop, 2 processes"])
    row["largest HTML page (KB)"] = max(page.stat().st_size for page in (root / "_site").rglob("*.html")) / 1000
    row["no change"], _, _ = timed_build(root)
    seconds, _, stages = timed_build(forget_all_but(root, {"fragments.sqlite", "images"}))
    row["cold build, Markdown already rendered, without images and search"] = without_apart(seconds, stages)
    row["  ÷ bare loop, 2 processes"] = row["cold build, Markdown already rendered, without images and search"] / row["bare loop, 2 processes"]
    seconds, _, stages = timed_build(forget_all_but(root, {path.name for path in (root / ".cache").iterdir()}))
    row["deploy on Netlify (.cache/ kept, _site/ empty), without search"] = without_apart(seconds, stages, images=False)
    row["check, first"] = timed_check(root)
    entry = root / "content" / "events" / "event-00001.md"
    entry.write_text(entry.read_text().replace("title: \"", "title: \"Edited: ", 1))
    row["one entry changed"], _, stages = timed_build(root)
    row["one entry changed, without search"] = row["one entry changed"] - stages.get("search index", 0.0)
    row["check, after one entry changed"] = timed_check(root)
    template = root / "templates" / "event.html"
    template.write_text(template.read_text().replace("</article>", "</article>\n<!-- edited -->", 1))
    row["one template changed"], _, stages = timed_build(root)
    row["one template changed, without search"] = without_apart(row["one template changed"], stages, images=False)
    page = root / ".cache" / "preview" / "events" / "event-00001" / "index.html"
    latencies = serve_edit_latency(root, entry, page)
    row["serve: save to page on disk (median)"] = sorted(page for page, _ in latencies)[len(latencies) // 2]
    row["serve: save to whole rebuild (median)"] = sorted(whole for _, whole in latencies)[len(latencies) // 2]
    _, (peak, search_peak), _ = timed_build(forget_all_but(root, set()), memory=True)
    row["cold build: peak memory, PSS (MiB)"] = peak / 2**20
    row["cold build: peak memory of the search indexer (MiB)"] = search_peak / 2**20
    entry.write_text(entry.read_text().replace("title: \"Edited: ", "title: \"Edited again: ", 1))
    _, (peak, search_peak), _ = timed_build(root, memory=True)
    row["one entry changed: peak memory, PSS (MiB)"] = peak / 2**20
    row["one entry changed: peak memory of the search indexer (MiB)"] = search_peak / 2**20
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--folder", type=Path, help="where to write the corpora and outputs (default: the system's temporary folder)")
    parser.add_argument("--generator", type=Path, default=REPO,
                        help="a checkout of another revision to measure with this script (its build.py, templates and assets)")
    args = parser.parse_args()
    GENERATOR[0] = args.generator.resolve()
    if args.folder:
        args.folder.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="explainer-bench-", dir=args.folder))
    rows = [measure(size, folder) for size in args.sizes]
    names = [name for name in rows[0] if name != "events"]
    width = max(map(len, names)) + 2
    print(f"{'measure':<{width}}" + "".join(f"{row['events']:>12,}" for row in rows))
    for name in names:
        unit = "" if "MiB" in name or "KB" in name else " x" if "÷" in name else " s"
        print(f"{name:<{width}}" + "".join(f"{row[name]:>10.2f}{unit:>2}" for row in rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
