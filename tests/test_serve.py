"""The preview server: rebuilds on save, shows errors in the page, serves only the output folder."""
import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from explainer.pipeline import Caches, Project, build, render_edited_events
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


@pytest.mark.parametrize("path", ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/%2e%2e%2fbuild.py", "/events/../../build.py"])
def test_preview_refuses_traversal_with_the_site_404_page(preview, path):
    _, client, _ = preview
    status, body = client.get(path)
    assert status == 404
    assert "Page not found" in body
    assert "root:" not in body and "import" not in body


def test_preview_reports_a_taken_port(preview):
    root, client, _ = preview
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--root", str(root), "serve", "--port", str(client.port)],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 1
    assert f"port {client.port} on 127.0.0.1 is already in use" in result.stderr


def tree_digest(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


# The edited page first ------------------------------------------------------------------------


@pytest.fixture
def previewed(fixture_site):
    """A fixture site built as the preview builds it, with the caches the preview keeps."""
    root = fixture_site("basic")
    project = Project.at(root, root / ".cache" / "preview")
    caches = Caches.load(project)
    build(project, drafts=True, search=False, caches=caches)
    caches.in_memory = True
    return root, project, caches


def test_an_edited_entry_page_is_written_first_and_the_whole_build_then_matches_a_clean_one(previewed, tmp_path):
    root, project, caches = previewed
    entry = root / "content" / "events" / "visit.md"
    entry.write_text(entry.read_text().replace("An official is expected to visit.", "An official may visit, says the radio."))
    written = render_edited_events(project, caches, ["content/events/visit.md"])
    assert written == ["events/visit/index.html"]
    assert "An official may visit, says the radio." in (project.out_dir / "events/visit/index.html").read_text()
    assert "An official may visit" not in (project.out_dir / "index.html").read_text()  # lists wait for the whole build

    whole = build(project, drafts=True, search=False, caches=caches)
    assert "events/visit/index.html" not in whole.report.written  # already as the whole build makes it
    assert "index.html" in whole.report.written
    clean = build(Project.at(root, tmp_path / "clean"), drafts=True, search=False)
    assert tree_digest(clean.out_dir) == tree_digest(project.out_dir)


@pytest.mark.parametrize("edit", [
    ("date: 2021-11", "date: 2021-12"),  # moves in the timeline: neighbours change
    ("title: A visit is expected", "title: A visit is planned"),  # shown on other pages and on its card
    ("sources: [radio-two]", "sources: [radio-nine]"),  # an error the whole build reports
    ("summary: An official", "summary: [[no-such-event]] An official"),
])
def test_changes_that_reach_beyond_the_page_wait_for_the_whole_build(previewed, edit):
    root, project, caches = previewed
    entry = root / "content" / "events" / "visit.md"
    before = (project.out_dir / "events/visit/index.html").read_bytes()
    assert edit[0] in entry.read_text()
    entry.write_text(entry.read_text().replace(*edit))
    assert render_edited_events(project, caches, ["content/events/visit.md"]) is None
    assert (project.out_dir / "events/visit/index.html").read_bytes() == before


def test_only_event_files_take_the_quick_path(previewed):
    root, project, caches = previewed
    (root / "content" / "about.md").write_text((root / "content" / "about.md").read_text() + "\nMore.\n")
    assert render_edited_events(project, caches, ["content/about.md"]) is None
    assert render_edited_events(project, caches, ["content/events/new-one.md"]) is None


def test_the_preview_says_the_edited_page_went_first(preview):
    root, client, process = preview
    entry = root / "content" / "events" / "released.md"
    entry.write_text(entry.read_text() + "\nA new paragraph.\n")
    client.wait_for("/events/released/", lambda s, b: "A new paragraph." in b)
    line = ""
    while "released.md" not in line:  # the first line about the save: the quick path's, or the whole build's
        line = process.stdout.readline()
    assert "content/events/released.md: events/released/index.html rewritten first in" in line
    assert "the rest of the site follows" in line


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
