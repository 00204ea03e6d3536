"""The preview server: rebuilds on save, shows errors in the page, serves only the output folder."""
import asyncio
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from explainer.pipeline import Project, build
from explainer.problems import Position, Problem
from explainer import serve
from explainer.serve import Preview, error_page, resolve_request_path

pytestmark = pytest.mark.slow  # whole builds of fixture sites and the preview server

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("url_path", ["/../secret.txt", "/a/../../secret.txt", "/..", "/a\\..\\secret.txt", "/missing/"])
def test_paths_outside_the_output_or_missing_resolve_to_nothing(tmp_path, url_path):
    (tmp_path / "secret.txt").write_text("secret")
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    assert resolve_request_path(out, url_path) is None


def test_folders_serve_their_index_and_absolute_paths_stay_inside(tmp_path):
    (tmp_path / "events" / "x").mkdir(parents=True)
    (tmp_path / "events" / "x" / "index.html").write_text("page")
    assert resolve_request_path(tmp_path, "/events/x/") == (tmp_path / "events/x/index.html").resolve()
    assert resolve_request_path(tmp_path, "//etc/passwd") is None


def test_error_page_lists_each_problem_escaped():
    page = error_page([Problem(Position("data/events/a.yaml", 3, 9), 'date "<2021>": month must be 1..12')], None)
    assert "<code>data/events/a.yaml:3:9: error: date &quot;&lt;2021&gt;&quot;: month must be 1..12</code>" in page
    assert "1 error" in page


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    def __init__(self, port: int) -> None:
        self.port = port

    def get(self, path: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()

    def wait_for(self, path: str, predicate, timeout: float = 10) -> tuple[int, str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                status, body = self.get(path)
                if predicate(status, body):
                    return status, body
            except OSError:
                status, body = None, ""
            if time.monotonic() > deadline:
                raise AssertionError(f"{path}: still {status} after {timeout} s:\n{body[:2000]}")
            time.sleep(0.1)


@pytest.fixture
def preview(fixture_site):
    root = fixture_site("basic")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--root", str(root), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    client = Client(port)
    try:
        client.wait_for("/", lambda status, _: status == 200)
        yield root, client, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_preview_follows_edits_and_survives_broken_content(preview):
    root, client, process = preview
    status, body = client.get("/events/released/")
    assert status == 200 and "The activist is released" in body

    entry = root / "content" / "events" / "released.md"
    entry.write_text(entry.read_text().replace("title: The activist is released", "title: The activist walks free"))
    client.wait_for("/events/released/", lambda s, b: "The activist walks free" in b)

    good = entry.read_text()
    entry.write_text(good.replace("date: 2021-09-13", "date: 2021-09-31"))
    status, body = client.wait_for("/events/released/", lambda s, b: s == 500)
    assert "content/events/released.md:2:7: error: date &quot;2021-09-31&quot;: day must be 1..30 in September 2021" in body
    assert client.get("/")[0] == 500  # every page shows the errors, and the server still answers

    entry.write_text(good)
    client.wait_for("/events/released/", lambda s, b: s == 200 and "The activist walks free" in b)
    assert process.poll() is None


def test_preview_injects_reload_script_and_shows_drafts_that_a_build_leaves_out(preview):
    root, client, _ = preview
    status, body = client.get("/events/rumour/")
    assert status == 200
    assert "livereload.js" in body
    assert 'class="badge badge-draft"' in body
    assert "livereload" not in (root / ".cache" / "preview" / "events" / "rumour" / "index.html").read_text()

    subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root)], check=True, capture_output=True)
    assert not (root / "_site" / "events" / "rumour").exists()
    assert "rumour" not in (root / "_site" / "index.html").read_text()
    assert "livereload" not in (root / "_site" / "index.html").read_text()


@pytest.mark.parametrize("path", ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/%2e%2e%2fbuild.py", "/events/../../build.py",
                                  "/%00", "/be%00/x", "/events/%00/"])
def test_preview_refuses_traversal_with_the_site_404_page(preview, path):
    _, client, _ = preview
    status, body = client.get(path)
    assert status == 404
    assert "Page not found" in body
    assert "root:" not in body and "import" not in body


def test_preview_answers_head_and_refuses_other_methods_other_sites_and_garbled_messages_without_a_traceback(preview):
    _, client, process = preview
    connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=5)
    connection.request("HEAD", "/")
    response = connection.getresponse()
    assert (response.status, response.getheader("Content-Type"), response.read()) == (200, "text/html; charset=utf-8", b"")
    for method in ("POST", "PUT", "DELETE"):
        connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=5)
        connection.request(method, "/index.html", body=b"x")
        response = connection.getresponse()
        assert (response.status, response.getheader("Allow")) == (405, "GET, HEAD")
    connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=5)
    connection.request("GET", "/", headers={"Host": f"rebinding.example:{client.port}"})
    response = connection.getresponse()
    assert response.status == 403 and b"not to 'rebinding.example:" in response.read()
    assert client.get("/forcereload")[0] == 404  # livereload's, which any page could call to reload every preview
    with ThreadPoolExecutor(1) as thread:  # a loop of its own: a browser test's may be running in this thread
        said = thread.submit(asyncio.run, _reload_socket(client.port)).result(timeout=60)
    assert said == {
        "from the preview's pages": "hello", "from another site's page": "refused: HTTP 403: Forbidden",
        **{f"after {message!r}": "open" for message in GARBLED_MESSAGES}}
    status, body = client.get("/")
    assert status == 200 and "<html" in body
    process.terminate()
    assert "Traceback" not in process.communicate(timeout=10)[0]


GARBLED_MESSAGES = ["not json", "{}", "[1, 2]", '{"command": null}', '{"command": 5}', "\x00" * 1000]


async def _reload_socket(port: int) -> dict[str, str]:
    """What the reload socket says to a page of the preview saying hello, to another site's page, and to messages
    livereload's own handler raised on (the socket stays open: its answer to a hello after each)."""
    async def connect(origin: str):
        return await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{port}/livereload", headers={"Origin": origin}))

    said = {}
    socket = await connect(f"http://localhost:{port}")
    await socket.write_message('{"command": "hello", "protocols": []}')
    said["from the preview's pages"] = json.loads(await socket.read_message())["command"]
    for message in GARBLED_MESSAGES:
        await socket.write_message(message)
        await socket.write_message('{"command": "hello"}')
        said[f"after {message!r}"] = "open" if json.loads(await socket.read_message())["command"] == "hello" else "?"
    socket.close()
    try:
        await connect("https://another-site.example")
        said["from another site's page"] = "connected"
    except HTTPClientError as error:
        said["from another site's page"] = f"refused: {error}"
    return said


def test_preview_reports_a_taken_port(preview):
    root, client, _ = preview
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--root", str(root), "serve", "--port", str(client.port)],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 1
    assert f"port {client.port} on 127.0.0.1 is already in use" in result.stderr


# Every open page follows an edit -------------------------------------------------------------------------------


def test_the_reload_signal_goes_out_once_the_whole_build_is_in_place(fixture_site, monkeypatch):
    """Open pages reload once per save, after the build: each then shows all of it (the lists too), never a part."""
    root = fixture_site("basic")
    preview = Preview(Project.at(root, root / ".cache" / "preview"), log=lambda line: None)
    assert preview.rebuild()
    seen = []
    monkeypatch.setattr(serve.LiveReloadHandler, "reload_waiters",
                        lambda path: seen.append((preview.project.out_dir / "index.html").read_text()))
    entry = root / "content" / "events" / "released.md"
    entry.write_text(entry.read_text().replace("title: The activist is released", "title: The activist walks free"))
    serve.SiteWatcher(preview)._rebuild(["content/events/released.md"])
    assert len(seen) == 1 and "The activist walks free" in seen[0]  # the home page's list, not only the event's page


def test_a_save_rebuilds_for_the_files_it_changed_not_the_temporary_files_the_editor_made_and_removed(fixture_site):
    """Vim checks it may write a folder with a file "4913" it removes at once; sed -i writes "sedXXXXXX" and renames it
    over the file: the preview hears the saved file alone, and a burst of nothing but such files rebuilds nothing."""
    root = fixture_site("basic")
    watcher = serve.SiteWatcher(Preview(Project.at(root, root / ".cache" / "preview"), log=lambda line: None))
    heard = []

    class Loop:
        def add_callback(self, callback, paths):
            heard.append(paths)

    listening = threading.Thread(target=watcher._listen, args=(Loop(),))
    listening.start()
    try:
        time.sleep(0.5)  # watching
        content = root / "content"
        (content / "4913").write_text("")
        (content / "4913").unlink()
        time.sleep(serve.DEBOUNCE_MS / 1000 + 0.5)
        (content / "sedAbC123").write_text((content / "about.md").read_text().replace("About", "About us"))
        (content / "sedAbC123").replace(content / "about.md")
        deadline = time.monotonic() + 10
        while not heard and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watcher.stopping.set()
        listening.join()
    assert heard == [["content/about.md"]]


def test_saved_paths_keep_a_file_removed_for_good_or_made_again_and_drop_one_that_came_and_went(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "remade.md").write_text("x")
    added, deleted, modified = serve.watchfiles.Change.added, serve.watchfiles.Change.deleted, serve.watchfiles.Change.modified
    changes = {(deleted, str(tmp_path / "content" / "gone.md")), (modified, str(tmp_path / "content" / "edited.md")),
               (deleted, str(tmp_path / "content" / "remade.md")), (added, str(tmp_path / "content" / "remade.md")),
               (added, str(tmp_path / "content" / "4913")), (deleted, str(tmp_path / "content" / "4913"))}
    assert serve.saved_paths(changes, tmp_path) == ["content/edited.md", "content/gone.md", "content/remade.md"]


@pytest.mark.browser
def test_every_open_page_shows_an_edit_without_a_manual_reload(preview):
    root, client, _ = preview
    entry = root / "content" / "events" / "released.md"

    def edit(old: str, new: str) -> None:
        entry.write_text(entry.read_text().replace(old, new, 1))

    in_browser(client.port, ["/", "/events/released/", "/tags/detentions/"], [
        (lambda: edit("title: The activist is released", "title: The activist walks free"), "The activist walks free", 3),
        (lambda: edit("summary: ", "summary: Freed at last. "), "Freed at last.", 2),
    ])


def in_browser(port: int, paths: list[str], steps: list) -> None:
    """Open the pages in Chromium, then for each step make a change and wait until the first pages show its text,
    none reloaded by hand. (In a thread of its own: a session's browser may hold this thread's event loop.)"""
    from playwright.sync_api import sync_playwright

    failures = []

    def run() -> None:
        try:
            with sync_playwright() as playwright:
                chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                      args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
                try:
                    pages = [chromium.new_page() for _ in paths]
                    for page, path in zip(pages, paths):
                        page.goto(f"http://127.0.0.1:{port}{path}")
                    time.sleep(1)  # the pages' live-reload connections are open
                    for change, text, count in steps:
                        change()
                        for page in pages[:count]:
                            page.wait_for_function(f"document.body.innerText.includes({text!r})", timeout=20_000)
                finally:
                    chromium.close()
        except Exception as error:  # noqa: BLE001 (raised in the test's thread)
            failures.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failures:
        raise failures[0]


def test_a_preview_that_is_killed_leaves_the_next_one_nothing_to_render(fixture_site, monkeypatch):
    """The first good build's records are saved at once, not only on Ctrl+C: a preview whose terminal was
    closed still spares the next one rendering every page again."""
    root = fixture_site("basic")
    project = Project.at(root, root / ".cache" / "preview")
    Preview(project, log=lambda line: None).rebuild()  # then dropped, as a killed process would leave it

    results = []

    def recording_build(*args, **kwargs):
        results.append(build(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(serve, "build", recording_build)
    assert Preview(project, log=lambda line: None).rebuild()
    assert results[0].pages_rendered == 0 and results[0].report.written == []


def test_the_preview_makes_its_search_index_apart_and_serves_it(fixture_site):
    """Search works in the preview too, its index made on a thread of its own after the page is up."""
    root = fixture_site("basic")
    lines = []
    preview = Preview(Project.at(root, root / ".cache" / "preview"), log=lines.append)
    assert preview.rebuild()
    assert not (preview.project.out_dir / "pagefind").exists()  # not in the build: no reload waits for it
    deadline = time.monotonic() + 60
    while not preview.search.files and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "pagefind/pagefind.js" in preview.search.files and any("search index of" in line for line in lines)
    said = []
    body = b"".join(serve.preview_app(preview)({"PATH_INFO": "/pagefind/pagefind.js"}, lambda status, headers: said.append(status)))
    assert said == ["200 OK"] and body
    assert "Searching needs JavaScript" in (preview.project.out_dir / "search" / "index.html").read_text()


def test_an_unknown_address_in_a_language_gets_that_languages_404_page(tmp_path):
    from explainer.serve import _not_found_page

    (tmp_path / "be").mkdir()
    (tmp_path / "404.html").write_text("Page not found")
    (tmp_path / "be" / "404.html").write_text("Старонка не знойдзена")
    assert _not_found_page(tmp_path, "/be/events/nowhere/") == "Старонка не знойдзена".encode()
    for elsewhere in ("/events/nowhere/", "/../be/x", "/" + "x" * 300 + "/y", "/"):
        assert _not_found_page(tmp_path, elsewhere) == b"Page not found", elsewhere


# What serve cannot listen on ----------------------------------------------------------------------------------

def _serve_without_building(fixture_site, monkeypatch, capsys, **where) -> tuple[int, str]:
    """serve's exit status and what it printed to stderr, failing the test if it started a build."""
    def build_anyway(self, changed=()):
        raise AssertionError("serve built the site before finding it could not listen")

    monkeypatch.setattr(Preview, "rebuild", build_anyway)
    status = serve.serve(Project.at(fixture_site("basic")), **where)
    return status, capsys.readouterr().err


@pytest.mark.parametrize("port", [-1, 0, 65536, 99999])
def test_a_port_no_system_has_is_wrong_usage_before_the_build(fixture_site, monkeypatch, capsys, port):
    assert _serve_without_building(fixture_site, monkeypatch, capsys, port=port) == (
        2, f"build.py serve: error: --port {port}: a port is a number from 1 to 65535\n")


@pytest.mark.parametrize("host", ["nosuch.invalid", "192.0.2.1", "a..b"])  # unknown, another machine's, malformed
def test_a_host_that_is_no_address_of_this_machine_is_one_line_before_the_build(fixture_site, monkeypatch, capsys, host):
    assert _serve_without_building(fixture_site, monkeypatch, capsys, host=host, port=_free_port()) == (
        1, f"build.py serve: error: --host {host}: no such address on this machine: use 127.0.0.1 (this machine only) or "
           "0.0.0.0 (every network it is on)\n")


def test_a_taken_port_is_found_before_the_build(fixture_site, monkeypatch, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert _serve_without_building(fixture_site, monkeypatch, capsys, port=port) == (
            1, f"build.py serve: error: port {port} on 127.0.0.1 is already in use: stop the other server or pass "
               f"--port {port + 1}\n")


def test_serve_given_a_port_out_of_range_says_so_in_one_line(fixture_site):
    root = fixture_site("basic")
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "serve", "--port", "99999"],
                            capture_output=True, text=True, timeout=30)
    assert (result.returncode, result.stderr) == (2, "build.py serve: error: --port 99999: a port is a number from 1 to 65535\n")
