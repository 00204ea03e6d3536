"""Search benchmark: `python bench/bench_search.py SITE [SITE ...]`, each SITE a built `_site/` folder.

For each site (build one with `bench/corpus.py N FOLDER` then `build.py --root FOLDER build`) it
indexes the searchable pages, event pages and narrative pages (those with a
`data-pagefind-body`), and prints:

- Pagefind's own command line on a folder of those pages alone, and `update_search_index` on the
  same pages: cold (no cache), with nothing changed, after one page's text changed, and after an
  event's title changed (every page showing the title changes: the event's, those linking it,
  its neighbours'); wall time, the CPU time of the Pagefind processes, their peak memory (the sum
  of the resident sizes of all Pagefind processes running at once, sampled every 10 ms);
- with `--browser`, in Chromium over a local server, what a search costs readers with one index
  (Pagefind's command line) and with the shards: requests and bytes of a first search from the
  search page with the query in its address (until its filters are shown too), and seconds to the first results with the CPU
  slowed 4x, then also over a slow phone network (`PHONE_NETWORK`: 150 ms round trips, 1.6 Mbit/s
  down, Lighthouse's mobile profile), over HTTP/1.1 and over HTTP/2 as Netlify serves it, its text compressed
  with Brotli (bench/h2_server.mjs, on Node), each the median of three (the requests and bytes are counted over
  HTTP/1.1, before compression, and the bytes again over HTTP/2 as sent, "KB, br"); and the ranking: for 20 queries of words from the corpus, the
  overlap of the top 10 URLs, and how far down the one index ranks the shards' top 10.

`--zipf PAGES` measures the index again, and compares the rankings, on generated pages of Zipf-distributed words
(a vocabulary of 20,000 words, as real text has, where the corpus has a few dozen), whose
scores spread as real text's do (the corpus's few words are in nearly every page, so its top
tens are near ties that any difference in statistics reorders), and for six words found on one
page only, which the shards must find alone too (without the words index, each shard lacking the word matched
another: 2 to 23 results).

The machine's other work shows in wall times: CPU times are steadier. `--folder` is where
scratch files go (default: /dev/shm where it exists); `--shard-pages` tries another size of shard.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import gzip
import hashlib
import json
import math
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from explainer import search  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
QUERIES = ["interpol", "extradition", "lyon", "asylum visa", "minister", "warsaw", "kyiv protest", "court hearing",
           "human rights", "political persecution", "embassy picket", "journalist detained", "border police",
           "release", "commission review", "database cooperation", "topic 123", "evidence witness", "vilnius",
           "topic 142 airport"]
COST_QUERIES = ["lyon", "interpol", "asylum visa", "topic 123"]
# Chrome's "Slow 4G", as Lighthouse's mobile audit throttles: latency in ms, throughput in bytes per second. Over
# HTTP/1.1 a browser sends six requests to a host at a time, each waiting a round trip; over HTTP/2, as Netlify
# serves, all at once: many small requests cost more over the first. Searches are timed over both.
PHONE_NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
TIMED = 3  # timed searches of each kind: the median is printed
EDITS = 3  # pages edited, and titles changed, one after another: the median is printed


def searchable_pages(site: Path) -> dict[str, bytes]:
    """URL -> HTML of every page of the built site that Pagefind indexes."""
    pages = {}
    for file in sorted(site.glob("*/index.html")) + sorted(site.glob("events/*/index.html")):
        html = file.read_bytes()
        if b"data-pagefind-body" in html:
            pages["/" + file.parent.relative_to(site).as_posix() + "/"] = html
    return pages


def digest(html: bytes) -> str:
    return hashlib.blake2b(html, digest_size=16).hexdigest()


class PagefindMemory:
    """Peak of the summed resident memory of the Pagefind processes among this one's children, while it lives (sampled
    every 10 ms)."""

    def __enter__(self) -> PagefindMemory:
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        tasks = Path(f"/proc/{os.getpid()}/task")
        while not self._stop.is_set():
            total = 0
            for task in tasks.iterdir():
                with contextlib.suppress(OSError):
                    for child in (task / "children").read_text().split():
                        text = Path(f"/proc/{child}/status").read_text()
                        resident = re.search(r"^VmRSS:\s+(\d+)", text, re.M)  # none once it ended
                        if resident and re.search(r"^Name:\s+pagefind", text, re.M):
                            total += int(resident[1]) * 1024
            self.peak = max(self.peak, total)
            time.sleep(0.01)


@contextlib.contextmanager
def measured(row: dict, name: str):
    """Time a step into `row`: wall seconds, CPU seconds of the processes it ran and of this one (reading pages, writing
    bundles; and the memory sampler's polling, about 0.05 s a second), and the peak memory of the Pagefind processes
    (MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, python = time.perf_counter(), time.process_time()
    with PagefindMemory() as memory:
        yield
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    row[name] = (time.perf_counter() - started, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
                 time.process_time() - python, memory.peak / 2**20)


def command_line(pages: dict[str, bytes], scratch: Path, row: dict) -> Path:
    """Pagefind's command line on a folder holding only the searchable pages: the folder of its bundle."""
    folder, out = scratch / "pages", scratch / "one-index"
    for url, html in pages.items():
        file = folder / url.strip("/") / "index.html"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(html)
    with measured(row, "Pagefind command line, same pages"):
        subprocess.run([sys.executable, "-m", "pagefind", "--site", str(folder), "--output-path", str(out),
                        "--force-language", "en"], check=True, capture_output=True)
    return out


def edited_text(html: bytes, number: int) -> bytes:
    """The page with a sentence added to its body."""
    return html.replace(b"</article>", f"<p>Edited {number}: quartz sentence.</p></article>".encode(), 1)


def retitled(pages: dict[str, bytes], url: str, number: int) -> dict[str, bytes]:
    """The pages as they are once the event at `url` is renamed: each page showing its title shows the new one."""
    title = re.search(rb"<h1>(.*?)</h1>", pages[url], re.S)[1]
    return {page: html.replace(title, f"Renamed {number}: ".encode() + title) for page, html in pages.items() if title in html}


def index_figures(pages: dict[str, bytes], scratch: Path, row: dict) -> dict[str, tuple[Path, str]]:
    """Time the shards' index cold, unchanged, after text edits and after title changes: the files of the last."""
    cache = scratch / "cache"
    current = {url: (digest(html), html) for url, html in pages.items()}
    with measured(row, "shards: cold"):
        search.update_search_index(current, cache, "en")
    with measured(row, "shards: nothing changed"):
        search.update_search_index(current, cache, "en")
    events = sorted(url for url in pages if url.startswith("/events/"))
    times: dict[str, list] = {"text": [], "title": []}
    for number in range(EDITS):
        url = events[(number * 7919) % len(events)]
        html = edited_text(current[url][1], number)
        current[url] = (digest(html), html)
        step: dict = {}
        with measured(step, "text"):
            search.update_search_index(current, cache, "en")
        times["text"].append(step["text"])
        changed = retitled({page: html for page, (_, html) in current.items()}, events[(number * 104729 + 11) % len(events)], number)
        searched = [page for page, html in changed.items()
                    if search.searchable_part(html) != search.searchable_part(current[page][1])]
        current.update((page, (digest(html), html)) for page, html in changed.items())
        count = search.shard_count(len(current))
        with measured(step, "title"):
            files = search.update_search_index(current, cache, "en")
        times["title"].append((*step["title"], f"{len(changed)} pages changed, {len(searched)} in their searchable part,"
                               f" in {len({search.shard_of(page, count) for page in searched})} shards"))
    for kind, name in (("text", "shards: one page's text changed"), ("title", "shards: one event's title changed")):
        runs = sorted(times[kind])
        row[name] = runs[len(runs) // 2]
    return files


# --- Readers ---------------------------------------------------------------------------------------

class Overlay(SimpleHTTPRequestHandler):
    """The built site, with its pagefind/ folder and search page as the variant under test has them; it logs
    (path, bytes) of every response."""

    site: Path
    files: dict[str, Path]
    log: list

    def translate_path(self, path: str) -> str:
        relative = path.split("?", 1)[0].lstrip("/")
        relative = relative + "index.html" if relative.endswith("/") or not relative else relative
        if relative in self.files:
            return str(self.files[relative])
        return "/nonexistent" if relative.startswith("pagefind/") else str(self.site / relative)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def copyfile(self, source, outputfile) -> None:
        data = source.read()
        self.log.append((self.path, len(data)))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a page closed with requests under way
            outputfile.write(data)

    def log_message(self, format, *args) -> None:
        pass


@contextlib.contextmanager
def served(site: Path, files: dict[str, Path]):
    log: list = []
    handler = type("Handler", (Overlay,), {"site": site, "files": files, "log": log})
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{server.server_address[1]}", log
        server.shutdown()


@contextlib.contextmanager
def served_over_http2(site: Path, files: dict[str, Path], scratch: Path):
    """The site as `served` serves it, over HTTP/2 and TLS (a certificate of its own), as Netlify serves it: by
    bench/h2_server.mjs, on Node."""
    key, cert, overlay = scratch / "h2-key.pem", scratch / "h2-cert.pem", scratch / "h2-overlay.json"
    if not cert.exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
    overlay.write_text(json.dumps({path: str(file) for path, file in files.items()}))
    server = subprocess.Popen(["node", str(REPO / "bench" / "h2_server.mjs"), str(site), str(overlay), str(key), str(cert)],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = json.loads(server.stdout.readline())["port"]
        log: list = []
        threading.Thread(target=lambda: [log.append(tuple(json.loads(line))) for line in server.stdout], daemon=True).start()
        yield f"https://127.0.0.1:{port}", log
    finally:
        server.terminate()
        server.wait(timeout=10)


def variants(site: Path, one_index: Path, shards: dict[str, tuple[Path, str]], scratch: Path) -> dict[str, dict[str, Path]]:
    """Path -> file of what differs between the site with one index (as before shards: the search page's box reads
    Pagefind's bundle at /pagefind/) and with shards (the box reads the API over all shards, as built)."""
    page = (site / "search" / "index.html").read_text(encoding="utf-8")
    before = scratch / "search-one-index.html"
    # One index: the box reads Pagefind's own API, which the page fetches early as it fetches the shards' one.
    one_index_page = page.replace('data-bundle="/pagefind/shards/"', 'data-bundle="/pagefind/"')
    before.write_text(one_index_page.replace('<link rel="modulepreload" href="/pagefind/shards/pagefind.js">\n', ""),
                      encoding="utf-8")
    assert before.read_text(encoding="utf-8") != page, "the search page no longer names the shards' bundle as this benchmark expects"
    one = {f"pagefind/{path.relative_to(one_index).as_posix()}": path for path in one_index.rglob("*") if path.is_file()}
    return {"one index": {**one, "search/index.html": before},
            "shards": {path: file for path, (file, _) in shards.items()}}


def reader_figures(site: Path, files: dict[str, dict[str, Path]], row: dict, scratch: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, overlay in files.items():
            with served(site, overlay) as (base, log), served_over_http2(site, overlay, scratch) as (secure, wire):
                for query in COST_QUERIES:
                    log.clear()
                    first_results(browser, f"{base}/search/?q={query}", cpu=1, settled=True)
                    index = [size for path, size in log if path.startswith("/pagefind/")]
                    row[f"{name}: '{query}'"] = [len(log), sum(size for _, size in log) / 1000, len(index), sum(index) / 1000,
                                                 on_the_wire(browser, secure, query, wire)]
                    for origin, network in ((base, None), (base, PHONE_NETWORK), (secure, PHONE_NETWORK)):
                        seconds = []
                        for _ in range(TIMED):
                            time.sleep(0.2)
                            seconds.append(first_results(browser, f"{origin}/search/?q={query}", cpu=4, network=network))
                        row[f"{name}: '{query}'"].append(statistics.median(seconds))
        row["ranking"] = ranking(browser, site, files)
        browser.close()


def on_the_wire(browser, origin: str, query: str, log: list) -> float:
    """KB of response bodies a first search (until its filters are shown) takes over HTTP/2, text compressed with
    Brotli as Netlify sends it: what a reader's phone downloads."""
    log.clear()
    first_results(browser, f"{origin}/search/?q={query}", cpu=1, settled=True)
    time.sleep(0.3)  # the server's log of its last responses comes through a pipe
    return sum(size for _, size in log) / 1000


def first_results(browser, url: str, cpu: int, network: dict | None = None, settled: bool = False) -> float:
    """Seconds from opening the search page with a query in its address to its results shown, in a new browser
    context (nothing cached), its CPU `cpu` times slower, over `network` (Chrome's throttling) if given; `settled`:
    the page is closed only once its filters are shown too (they may load after the results), so that every
    request of a first search is made."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, ignore_https_errors=True)  # HTTP/2: our own certificate
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    if cpu > 1:
        devtools.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
    if network:
        devtools.send("Network.enable")
        devtools.send("Network.emulateNetworkConditions", network)
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(".pagefind-ui__result-link", timeout=120_000)
    seconds = time.perf_counter() - started
    if settled:
        page.wait_for_selector(".pagefind-ui__filter-name", timeout=120_000)
        page.wait_for_timeout(500)
    context.close()
    return seconds


RANKED = """async ([module, query]) => {
  const pagefind = await import(module);
  await pagefind.options({excerptLength: 12});
  const found = await pagefind.search(query);
  return {ids: found.results.map(result => result.id), scores: found.results.map(result => result.score)};
}"""


def ranking(browser, site: Path, files: dict[str, dict[str, Path]]) -> list[tuple]:
    """For each query: (query, results with one index, with shards, shared top-10 URLs, worst one-index rank of the
    shards' top 10, lowest one-index score among the shards' top 10 as a share of one index's tenth score, NDCG@10 of
    the shards' top 10 with one index's scores as the gains)."""
    found = {}
    for name, module in (("one index", "/pagefind/pagefind.js"), ("shards", "/pagefind/shards/pagefind.js")):
        urls = fragment_urls(files[name])
        with served(site, files[name]) as (base, _):
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{base}/search/")
            for query in QUERIES:
                result = page.evaluate(RANKED, [module, query])
                found[name, query] = ([urls[page] for page in result["ids"]], result["scores"])
            context.close()
    rows = []
    for query in QUERIES:
        (one, scores), (shards, _) = found["one index", query], found["shards", query]
        rank = {page: number for number, page in enumerate(one, start=1)}
        score = dict(zip(one, scores))
        top = shards[:10]
        tenth = scores[min(9, len(scores) - 1)] if scores else 0
        rows.append((query, len(one), len(shards), len(set(one[:10]) & set(top)),
                     max((rank.get(page, len(one)) for page in top), default=0),
                     min((score.get(page, 0) for page in top), default=0) / tenth if tenth else 1.0,
                     discounted([score.get(page, 0) for page in top]) / (discounted(scores[:10]) or 1)))
    return rows


def fragment_urls(files: dict[str, Path]) -> dict[str, str]:
    """Result id (the name of a page's fragment) -> URL of the page, for every page of a bundle."""
    urls = {}
    for path, file in files.items():
        if "/fragment/" in path:
            fragment = json.loads(gzip.decompress(Path(file).read_bytes()).removeprefix(b"pagefind_dcd"))
            urls[path.rpartition("/")[2].removesuffix(".pf_fragment")] = fragment["url"]
    return urls


def discounted(gains: list[float]) -> float:
    return sum(gain / math.log2(position + 2) for position, gain in enumerate(gains))


def zipf_pages(count: int, seed: int = 7) -> dict[str, bytes]:
    """Pages shaped like event pages, of words drawn as in real text (Zipf's law over 20,000 made-up words): where
    the corpus's few words are in nearly every page, these rank as real text does, some pages far above others."""
    rng = random.Random(seed)
    syllables = "ka lo mi ne su ra ti vo pe du an or el is um ba ge fo hi zu".split()
    words = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(40000)})[:20000]
    rng.shuffle(words)
    weights = [1 / (rank + 1) ** 1.05 for rank in range(len(words))]
    pages, found_in = {}, collections.Counter()
    for number in range(count):
        title = " ".join(rng.choices(words, weights, k=rng.randint(4, 9)))
        paragraphs = [rng.choices(words, weights, k=rng.randint(30, 90)) for _ in range(rng.randint(2, 7))]
        found_in.update(set(title.split()).union(*paragraphs))
        body = "".join(f"<p>{' '.join(paragraph)}.</p>" for paragraph in paragraphs)
        pages[f"/events/p{number:05d}/"] = (f'<!DOCTYPE html><html lang="en"><head><title>{title}</title></head><body>'
                                            f'<article data-pagefind-body><h1>{title}</h1>{body}</article></body></html>').encode()
    # Words on one page only, as a town named once: where a shard has no word starting with one, Pagefind matches the
    # longest word it has that the searched word starts with, which one index, having the word, never does.
    rare = sorted(word for word, pages_with in found_in.items() if pages_with == 1 and len(word) >= 8)
    QUERIES[:] = [words[rank] for rank in (150, 300, 500, 800, 1200, 2000, 3000, 4000)] + \
        [f"{words[a]} {words[b]}" for a, b in ((100, 400), (250, 900), (60, 1500), (700, 2500))] + rng.sample(rare, min(6, len(rare)))
    return pages


def zipf_ranking(count: int, scratch: Path) -> list[tuple]:
    """The ranking figures on `count` Zipf pages: one index (Pagefind's command line) against the shards."""
    from playwright.sync_api import sync_playwright

    pages = zipf_pages(count)
    one_index = command_line(pages, scratch, {})
    shards = search.update_search_index({url: (digest(html), html) for url, html in pages.items()}, scratch / "cache", "en")
    site = scratch / "site"
    site.mkdir()
    (site / "search").mkdir()
    (site / "search" / "index.html").write_text('<!DOCTYPE html><html lang="en"><body></body></html>')
    one = {f"pagefind/{path.relative_to(one_index).as_posix()}": path for path in one_index.rglob("*") if path.is_file()}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        rows = ranking(browser, site, {"one index": one, "shards": {path: file for path, (file, _) in shards.items()}})
        browser.close()
    return rows


# --- Report ----------------------------------------------------------------------------------------

def measure(site: Path, scratch: Path, browser: bool) -> dict:
    pages = searchable_pages(site)
    row: dict = {"pages": len(pages), "shards": search.shard_count(len(pages))}
    one_index = command_line(pages, scratch, row)
    shards = index_figures(pages, scratch, row)
    if browser:
        reader_figures(site, variants(site, one_index, shards, scratch), row, scratch)
    return row


def report_ranking(rows: list[tuple]) -> None:
    print(f"\n  {'ranking: query':<26}{'results (one/shards)':>22}{'top-10 shared':>15}{'worst rank':>12}{'score/10th':>12}"
          f"{'NDCG@10':>9}")
    for query, one, shards, shared, worst, share, gain in rows:
        print(f"  {query:<26}{f'{one}/{shards}':>22}{shared:>15}{worst:>12}{share:>12.3f}{gain:>9.3f}")
    print(f"  {'mean':<26}{'':>22}{statistics.mean(r[3] for r in rows):>15.1f}{'':>24}{statistics.mean(r[6] for r in rows):>9.3f}")


def report(site: Path, row: dict) -> None:
    print(f"\n{site}: {row['pages']:,} searchable pages, {row['shards']} shards of {search.SHARD_PAGES} pages or fewer"
          f" ({os.cpu_count()} cores)")
    print(f"  {'index':<44}{'wall s':>8}{'Pagefind CPU s':>16}{'Python CPU s':>14}{'peak MiB':>10}")
    for name, value in row.items():
        if isinstance(value, tuple):
            extra = f"   ({value[4]})" if len(value) == 5 else ""
            print(f"  {name:<44}{value[0]:>8.2f}{value[1]:>16.2f}{value[2]:>14.2f}{value[3]:>10.0f}{extra}")
    costs = [(name, value) for name, value in row.items() if isinstance(value, list) and name != "ranking"]
    if costs:
        print(f"\n  {'a first search, from the page with ?q=':<44}{'requests':>9}{'KB':>8}{'index req':>10}{'index KB':>9}"
              f"{'KB, br':>8}{'s, CPU/4':>9}{'+ slow 4G':>10}{'+ HTTP/2':>9}")
        for name, (requests, size, index_requests, index_size, wire, seconds, on_phone, over_http2) in costs:
            print(f"  {name:<44}{requests:>9}{size:>8.0f}{index_requests:>10}{index_size:>9.0f}{wire:>8.0f}{seconds:>9.2f}"
                  f"{on_phone:>10.2f}{over_http2:>9.2f}")
    if "ranking" in row:
        report_ranking(row["ranking"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", type=Path, nargs="*", help="built _site/ folders")
    parser.add_argument("--browser", action="store_true", help="also measure searches in Chromium, and the ranking")
    parser.add_argument("--zipf", type=int, metavar="PAGES", help="also compare rankings on so many pages of Zipf text")
    parser.add_argument("--shard-pages", type=int, help=f"pages to a shard (default {search.SHARD_PAGES})")
    parser.add_argument("--folder", type=Path, default=Path("/dev/shm") if Path("/dev/shm").is_dir() else None)
    args = parser.parse_args()
    if args.shard_pages:
        search.SHARD_PAGES = args.shard_pages
    if args.folder:
        args.folder.mkdir(parents=True, exist_ok=True)
    for site in args.sites:
        scratch = Path(tempfile.mkdtemp(prefix="bench-search-", dir=args.folder))
        try:
            report(site, measure(site, scratch, args.browser))
        finally:
            shutil.rmtree(scratch)
    if args.zipf:
        scratch = Path(tempfile.mkdtemp(prefix="bench-search-", dir=args.folder))
        try:
            pages = zipf_pages(args.zipf)
            row: dict = {"pages": len(pages), "shards": search.shard_count(len(pages))}
            command_line(pages, scratch / "index", row)
            index_figures(pages, scratch / "index", row)
            report(Path(f"{args.zipf:,} pages of Zipf text"), row)
            report_ranking(zipf_ranking(args.zipf, scratch))
        finally:
            shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
