"""`build.py serve`: rebuild on every save, reload the browser, show content errors in place of the page."""
from __future__ import annotations

import errno
import html
import ipaddress
import json
import mimetypes
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import watchfiles
from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from livereload.server import LiveScriptContainer
from livereload.watcher import Watcher
from tornado import ioloop, web
from tornado.netutil import bind_sockets

from .pipeline import Caches, Project, build
from .problems import ContentErrors, Position, Problem, summary_line
from .write import BuildError

WATCHED_FOLDERS = ("content", "data", "templates", "assets")
QUIET_MS = 30  # a save is over when nothing more changed for this long
DEBOUNCE_MS = 1000  # however busy the folder, rebuild at least this often


class BackgroundSearch:
    """The preview's search index, made on a thread of its own after each good build, so that no reload waits for
    it; when builds come faster than indexes, the newest build's pages are indexed. Its files are served from the
    search cache (see `search.update_search_index`), apart from the preview's site; one index per language."""

    def __init__(self, cache: Path, log: Callable[[str], None]) -> None:
        self.cache, self.log = cache, log
        self.files: dict[str, Path] = {}  # output path -> file, as of the last index made
        self._wanted: dict | None = None
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None

    def is_index(self, url_path: str) -> bool:
        """Whether the address is in a search index's folder (/pagefind/, /be/pagefind/)."""
        return url_path.startswith("/pagefind/") or url_path.lstrip("/").partition("/")[2].startswith("pagefind/")

    def update(self, searchable: dict[str, tuple[str, dict[str, tuple[str, str]]]]) -> None:
        """Index these pages (language -> (its root, address -> (digest, file))) once the thread is free."""
        with self._ready:
            self._wanted = searchable
            self._ready.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._index_forever, daemon=True)
            self._thread.start()

    def _index_forever(self) -> None:
        from .search import update_search_index  # only now: a preview that no one searches never loads Pagefind

        while True:
            with self._ready:
                while self._wanted is None:
                    self._ready.wait()
                searchable, self._wanted = self._wanted, None
            started = time.perf_counter()
            try:
                files = {}
                for language, (root, pages) in searchable.items():
                    files.update(update_search_index(pages, self.cache / language, language, root))
            except Exception as error:  # noqa: BLE001 (the preview goes on without search)
                self.log(f"{_clock()} search index not made: {error}")
                continue
            self.files = {path: Path(file) for path, (file, _) in files.items()}
            count = sum(len(pages) for _, pages in searchable.values())
            self.log(f"{_clock()} search index of {count} pages ready in {time.perf_counter() - started:.2f} s")


@dataclass
class Preview:
    """The state of the preview: the last build's errors, if it failed."""

    project: Project
    log: Callable[[str], None] = print
    problems: list[Problem] = field(default_factory=list)
    crash: str | None = None
    caches: Caches | None = None  # kept between rebuilds: nothing is read twice
    written: list[str] = field(default_factory=list)  # by the last build
    search: BackgroundSearch | None = None

    def rebuild(self, changed: Iterable[str] = ()) -> bool:
        """Build with drafts; on failure keep serving the last good site and remember why."""
        started = time.perf_counter()
        what = _describe(sorted(changed))
        try:
            if self.caches is None:
                self.caches = Caches.load(self.project)
                self.caches.fragments.keep_blocks = True  # rendered again and again: keep them all in memory
            result = build(self.project, drafts=True, search=True, index=False, caches=self.caches)
            if not self.caches.in_memory:
                # Once, after the first good build: the next preview starts from what this one rendered. Later
                # saves stay in memory (the records on disk, older, only make a later start check more files).
                self.caches.save()
            self.caches.in_memory = True  # from now on this process alone writes the preview folder
        except (ContentErrors, BuildError) as failure:
            errors = failure if isinstance(failure, ContentErrors) else ContentErrors([Problem(Position(str(self.project.out_dir)), str(failure))])
            self.problems, self.crash = errors.problems, None
            for problem in errors.problems:
                self.log(str(problem))
            self.log(f"{_clock()} {what}: {summary_line(errors.problems)}; the browser shows them until the next good save")
            return False
        except Exception:  # a bug in the generator must not stop the preview
            self.problems, self.crash = [], traceback.format_exc()
            self.log(self.crash)
            self.log(f"{_clock()} {what}: the build crashed; the browser shows the traceback")
            return False
        self.problems, self.crash = [], None
        if self.search is None:
            self.search = BackgroundSearch(self.project.cache_dir / "search-preview", self.log)
        self.search.update(result.searchable)
        report = result.report
        self.written = report.written
        pages = [path for path in report.written if path.endswith(".html")]
        self.log(f"{_clock()} {what}: {len(report.written)} files written ({len(pages)} pages), "
                 f"{len(report.removed)} removed in {time.perf_counter() - started:.2f} s")
        return True

    @property
    def is_failing(self) -> bool:
        return bool(self.problems) or self.crash is not None


def resolve_request_path(out_dir: Path, url_path: str) -> Path | None:
    """The file under `out_dir` a URL path names, or None for anything outside it, missing, or no file name at all
    (a segment too long for the system, say)."""
    parts = url_path.split("/")
    if any(part in (".", "..") or "\\" in part or "\x00" in part for part in parts):
        return None
    try:
        root = out_dir.resolve()
        candidate = (root / url_path.lstrip("/")).resolve()
        if not candidate.is_relative_to(root):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None
    except (OSError, ValueError):
        return None


def error_page(problems: list[Problem], crash: str | None) -> str:
    """The page shown instead of the site while the content has errors."""
    if crash is not None:
        heading, lines = "The build crashed", [html.escape(crash)]
    else:
        heading = f"The site cannot be built: {summary_line(problems)}"
        lines = [html.escape(str(problem)) for problem in problems]
    items = "\n".join(f"<li><code>{line}</code></li>" for line in lines)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Build error · preview</title>
<style>
body {{ margin: 0; padding: 1.5rem; font: 1rem/1.5 system-ui, sans-serif; background: #fff8f6; color: #1d1d1f; }}
h1 {{ font-size: 1.3rem; color: #8a1c1c; margin-top: 0; }}
ul {{ padding: 0; list-style: none; }}
li {{ margin: 0 0 0.75rem; padding: 0.6rem 0.8rem; background: #fff; border-left: 4px solid #8a1c1c; }}
code {{ font: 0.95rem/1.45 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-word; }}
</style>
</head>
<body>
<main>
<h1>{heading}</h1>
<ul class="problems">
{items}
</ul>
<p>Fix the file and save: this page reloads by itself.</p>
</main>
</body>
</html>
"""


def _not_found_page(out_dir: Path, url_path: str) -> bytes:
    """The 404 page of the language an address is in (`/be/…`: be/404.html), as Netlify serves it by `_redirects`."""
    first = url_path.lstrip("/").partition("/")[0]
    own = _read(out_dir / first / "404.html") if first and "." not in first and len(first) <= 40 else None
    return own or _read(out_dir / "404.html") or NOT_FOUND


def is_local_name(host: str, listening_on: str) -> bool:
    """Whether the host a request names (its Host header, or an Origin's) is one a browser reaches this preview by:
    an IP address, localhost or a name under .localhost, or the name the preview was started on (`--host`). Not any
    other name: a page of another site can point a name of its own at 127.0.0.1 (DNS rebinding) and read the drafts."""
    try:
        name = urlsplit("//" + host).hostname
    except ValueError:
        return False
    if not name:
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name == "localhost" or name.endswith(".localhost") or name == listening_on.lower()


def preview_app(preview: Preview, listening_on: str = "127.0.0.1"):
    """A WSGI app serving the preview folder, and the errors while the build is failing, to requests naming a host
    the preview answers to (see `is_local_name`)."""
    out_dir = preview.project.out_dir

    def app(environ, start_response):
        host = environ.get("HTTP_HOST")
        if host is not None and not is_local_name(host, listening_on):
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")])
            return [f"This preview answers to localhost and IP addresses, not to {host!r}: another site could use a "
                    f"name pointing here to read the drafts. To preview under that name, start it with --host NAME.\n".encode()]
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):  # a static site: nothing is posted, put or deleted
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/plain; charset=utf-8")])
            return [b"The preview serves files only: GET or HEAD.\n"]
        url_path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        # The search index is made apart (see `BackgroundSearch`).
        path = preview.search.files.get(url_path.lstrip("/")) if preview.search and preview.search.is_index(url_path) else None
        if path is None:
            path = resolve_request_path(out_dir, url_path)
        wants_page = path is None or path.suffix == ".html"
        if preview.is_failing and wants_page:
            return _respond(start_response, "500 Internal Server Error", "text/html; charset=utf-8",
                            error_page(preview.problems, preview.crash).encode())
        body = _read(path) if path is not None else None
        if body is None:
            return _respond(start_response, "404 Not Found", "text/html; charset=utf-8", _not_found_page(out_dir, url_path))
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        return _respond(start_response, "200 OK", content_type, body)

    def app_answering_head(environ, start_response):
        # A HEAD request gets GET's status and type and no body, which the server refuses to send (and then counts 0).
        body = app(environ, start_response)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else body

    return app_answering_head


NOT_FOUND = b"<!DOCTYPE html><title>Not found</title><h1>Not found</h1>"


def _read(path: Path) -> bytes | None:
    """A file's bytes, or None if it is gone (a rebuild may have just replaced the site) or cannot be named (a
    null character in the address)."""
    try:
        return path.read_bytes()
    except (OSError, ValueError):
        return None


def _respond(start_response, status: str, content_type: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Cache-Control", "no-store")])
    return [body]


class SiteWatcher(Watcher):
    """Hears saves through the system's file events, then rebuilds and reloads on the server's own loop.

    Rebuilding on the loop that serves requests means no request ever sees a half-written site.
    """

    def __init__(self, preview: Preview) -> None:
        super().__init__()
        self.preview = preview
        self.root = preview.project.root
        self.stopping = threading.Event()

    def start(self, callback) -> bool:
        loop = ioloop.IOLoop.current()
        threading.Thread(target=self._listen, args=(loop,), daemon=True).start()
        return True  # livereload then polls nothing itself

    def _listen(self, loop: ioloop.IOLoop) -> None:
        folders = [str(self.root / name) for name in WATCHED_FOLDERS if (self.root / name).is_dir()]
        # Editors save in bursts (a temporary file, a rename, a second write): wait for quiet first.
        for changes in watchfiles.watch(*folders, debounce=DEBOUNCE_MS, step=QUIET_MS, stop_event=self.stopping,
                                        ignore_permission_denied=True):
            paths = saved_paths(changes, self.root)
            if paths:
                loop.add_callback(self._rebuild, paths)

    def _rebuild(self, paths: list[str]) -> None:
        """Build, then reload every open page: each shows what the whole build made (or the errors), never a part."""
        self.preview.rebuild(paths)
        LiveReloadHandler.reload_waiters(path="*")


def saved_paths(changes: set[tuple[watchfiles.Change, str]], root: Path) -> list[str]:
    """The files a burst of file events changed, from root; without the temporary files an editor or a tool makes and
    removes as it saves (vim's "4913", sed's "sedAbC123"), which came and went within it: they change nothing a build
    reads, and a preview's log naming them would puzzle its reader."""
    came = {path for change, path in changes if change == watchfiles.Change.added}
    went = {path for change, path in changes if change == watchfiles.Change.deleted}
    passing = {path for path in came & went if not Path(path).exists()}
    return sorted({Path(path).relative_to(root).as_posix() for _, path in changes if path not in passing})


def serve(project: Project, *, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Build, serve on host:port with live reload, and rebuild on every save until interrupted."""
    if not 1 <= port <= 65535:
        print(f"build.py serve: error: --port {port}: a port is a number from 1 to 65535", file=sys.stderr)
        return 2
    refused = _cannot_listen(host, port)  # before the first build, which may take a while
    if refused:
        print(f"build.py serve: error: {refused}", file=sys.stderr)
        return 1
    preview = Preview(project, log=lambda line: print(line, flush=True))
    preview.rebuild()
    watcher = SiteWatcher(preview)
    watcher.watch(str(project.root / "content"))  # livereload polls nothing itself once start() returns True
    try:
        _application(preview_app(preview, host), watcher, host).listen(port, address=host)
    except (OSError, UnicodeError) as error:
        refused = _refusal(error, host, port)
        if refused is None:
            raise
        print(f"build.py serve: error: {refused}", file=sys.stderr)
        return 1
    address = f"[{host}]" if ":" in host else host  # an IPv6 address, as a browser's address bar takes it
    print(f"Previewing {project.root.name} on http://{address}:{port}/ (drafts shown); press Ctrl+C to stop", flush=True)
    LiveReloadHandler.start_tasks()
    try:
        ioloop.IOLoop.current().start()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        watcher.stopping.set()
        if preview.caches is not None:
            preview.caches.save()
    return 0


def _cannot_listen(host: str, port: int) -> str | None:
    """Why the preview could not listen on host:port, found by binding there as the server will, and letting go."""
    try:
        sockets = bind_sockets(port, address=host)
    except (OSError, UnicodeError) as error:
        return _refusal(error, host, port)
    for sock in sockets:
        sock.close()
    return None


def _refusal(error: OSError | UnicodeError, host: str, port: int) -> str | None:
    """What the editor is told when the system will not listen on host:port, or None for a failure we do not know."""
    if isinstance(error, (socket.gaierror, UnicodeError)) or error.errno == errno.EADDRNOTAVAIL:
        return (f"--host {host}: no such address on this machine: use 127.0.0.1 (this machine only) or 0.0.0.0 "
                "(every network it is on)")
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use: stop the other server or pass --port {port + 1}"
    if error.errno == errno.EACCES and port < 1024:
        return f"--port {port}: only the system may use a port below 1024: pass --port 8000, or another from 1024 up"
    return None


# livereload's snippet, which loads its script from the address the page came from (so --host 0.0.0.0 works too).
_RELOAD_SCRIPT = (b'<script>(function(){var s=document.createElement("script");'
                  b'var port=window.location.port||(window.location.protocol=="https:"?443:80);'
                  b's.src="//"+window.location.hostname+":"+port+"/livereload.js?port="+port;'
                  b'document.head.appendChild(s);})();</script>')


class ReloadSocket(LiveReloadHandler):
    """livereload's socket, which each preview page opens to hear when to reload: open to the preview's own pages
    alone, and deaf to any message that is not livereload's handshake (livereload's own handler raises on it)."""

    listening_on = "127.0.0.1"

    def check_origin(self, origin: str) -> bool:
        return is_local_name(self.request.host, self.listening_on) and is_local_name(urlsplit(origin).netloc, self.listening_on)

    def on_message(self, message: str | bytes) -> None:
        try:
            said = json.loads(message)
        except ValueError:
            return
        if isinstance(said, dict) and isinstance(said.get("command"), str):
            super().on_message(message)


def _application(app, watcher: SiteWatcher, host: str) -> web.Application:
    """The preview's server: the reload socket and script, and the app for every other address (the reload script
    put in each HTML page). Not livereload's own server, whose socket raises on garbled messages and which answers
    /forcereload, an address any page could call to reload every preview."""
    LiveReloadHandler.watcher = watcher
    ReloadSocket.listening_on = host
    return web.Application([
        (r"/livereload", ReloadSocket),
        (r"/livereload.js", LiveReloadJSHandler),
        (r".*", web.FallbackHandler, {"fallback": LiveScriptContainer(app, _RELOAD_SCRIPT)}),
    ])


def _describe(changed: list[str]) -> str:
    if not changed:
        return "first build"
    more = len(changed) - 3
    return ", ".join(changed[:3]) + (f" and {more} more" if more > 0 else "")


def _clock() -> str:
    return time.strftime("%H:%M:%S")
