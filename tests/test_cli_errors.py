"""Editors' mistakes the command line must answer with one line saying what is wrong, never a traceback."""
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from explainer.pipeline import Project, build
from explainer.problems import ContentErrors

REPO = Path(__file__).resolve().parent.parent


def run(root: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), *args],
                          capture_output=True, text=True, cwd=cwd)


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder` (hidden ones too), each file with the digest of its bytes."""
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
            for path in sorted(folder.rglob("*"))}


def break_template(root: Path, name: str, shown: str, broken: str) -> int:
    """Put `broken` where the template shows `shown`; the line it is on."""
    template = root / "templates" / name
    text = template.read_text()
    assert text.count(shown) == 1
    template.write_text(text.replace(shown, broken))
    return text[:text.index(shown)].count("\n") + 1


# A template that fails while it renders -------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("command", ["build", "check"])
def test_a_method_called_wrongly_in_a_template_is_reported_at_its_line(fixture_site, command):
    root = fixture_site("basic")
    assert run(root, "build").returncode == 0
    before = tree_digest(root / "_site")
    line = break_template(root, "event.html", "{{ date_text(event) }}", "{{ date_text(event).upper(1, 2, 3) }}")
    result = run(root, command)
    assert result.returncode == 1
    [said, count] = result.stderr.splitlines()
    assert re.fullmatch(rf"templates/event\.html:{line}:1: error: template: str\.upper\(\) takes no arguments \(3 given\) "
                        r"\(making /events/[a-z0-9-]+/\)", said), said
    assert count == "1 error"
    assert tree_digest(root / "_site") == before
    assert not (root / "._site.staging").exists()


@pytest.mark.slow
def test_a_template_error_in_a_forked_worker_reaches_the_build_as_a_problem(make_site):
    """Workers take pages from the front of the list, in chunks: the first event's page is in the first one."""
    events = "".join(f"- id: e{n:03}\n  date: 2021-01-01\n  title: Event {n}\n  summary: S[@paper-one]\n  sources: [paper-one]\n"
                     for n in range(100))
    root = make_site({"data/events/a.yaml": events})
    line = break_template(root, "event.html", "{{ date_text(event) }}",
                          '{{ date_text(event).upper(1, 2, 3) if event.id == "e000" else date_text(event) }}')
    with pytest.raises(ContentErrors) as errors:
        build(Project.at(root), search=False, workers=2)
    assert [str(problem) for problem in errors.value.problems] == [
        f"templates/event.html:{line}:1: error: template: str.upper() takes no arguments (3 given) (making /events/e000/)"]
    assert not (root / "_site").exists()


@pytest.mark.parametrize("broken, said", [
    ("{{ card.event.title.upper(1, 2, 3) }}", "template: str.upper() takes no arguments (3 given)"),
    ("{{ card.event.titel }}", "has no attribute 'titel'"),
])
def test_a_mistake_in_the_card_macro_is_reported_at_the_macro_line(fixture_site, broken, said):
    """The build calls the macro itself, outside any page's template: the line is the template's, not Jinja's code's."""
    root = fixture_site("basic")
    line = break_template(root, "_event_card.html", "{{ card.event.title }}", broken)
    with pytest.raises(ContentErrors) as errors:
        build(Project.at(root), search=False, workers=1)
    [problem] = errors.value.problems
    assert str(problem).startswith(f"templates/_event_card.html:{line}:1: error: template: ")
    assert said in str(problem)


def test_an_error_of_the_generator_itself_is_not_taken_for_a_template_mistake(fixture_site, monkeypatch):
    root = fixture_site("basic")

    def broken(data):
        raise ValueError("a bug in the generator")

    monkeypatch.setattr("explainer.feeds.jsonld_script", broken)  # called before a page's template runs
    with pytest.raises(ValueError, match="a bug in the generator"):
        build(Project.at(root), search=False, workers=1)
    assert not (root / "_site").exists()


# A file or folder the build may not read ------------------------------------------------------------------------

UNREADABLE_FILE = ("cannot read this file: permission denied; the build must read every file of the site folder it uses "
                   "(check the file's permissions)")
UNREADABLE_FOLDER = "cannot read this folder: nothing in it can be built (check that the user who builds may read and enter it)"


def without_the_power_to_read_everything() -> list[str]:
    """What to run a command under so that a file's permissions bind it: nothing, but for root, whose power to
    read any file it gives up (setpriv, of util-linux)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None or subprocess.run([setpriv, "--bounding-set=-dac_override,-dac_read_search", "true"]).returncode:
        pytest.skip("root, and setpriv cannot make it give up its power to read any file")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all"]


@pytest.mark.slow
@pytest.mark.parametrize("unreadable, said", [
    ("content/events/visit.md", f"content/events/visit.md:1:1: error: {UNREADABLE_FILE}"),
    ("data/events/2021.yaml", f"data/events/2021.yaml:1:1: error: {UNREADABLE_FILE}"),
    ("data/sources.yaml", f"data/sources.yaml:1:1: error: {UNREADABLE_FILE}"),
    ("templates/base.html", f"templates/base.html:1:1: error: {UNREADABLE_FILE}"),
    ("assets/css/site.css", "assets/css/site.css:1:1: error: this file cannot be read: permission denied (check the file's "
                            "permissions); every file in assets/ is published: fix it or remove it"),
    ("content/events", f"content/events/:1:1: error: {UNREADABLE_FOLDER}"),
    ("templates", f"templates/:1:1: error: {UNREADABLE_FOLDER}"),
])
@pytest.mark.parametrize("command", ["build", "check"])
def test_a_file_or_folder_the_build_may_not_read_is_one_error_at_it_and_the_site_stays(fixture_site, unreadable, said, command):
    root = fixture_site("basic")
    assert run(root, "build").returncode == 0
    before = tree_digest(root / "_site")
    (root / unreadable).chmod(0)
    try:
        result = subprocess.run([*without_the_power_to_read_everything(), sys.executable, str(REPO / "build.py"), "--root",
                                 str(root), command], capture_output=True, text=True)
    finally:
        (root / unreadable).chmod(0o755)
    lines = result.stderr.splitlines()
    assert (result.returncode, [line for line in lines if ": error: " in line]) == (1, [said])
    assert lines[-1].startswith("1 error")  # and the fixture's warnings, which check prints: nothing else went wrong
    assert tree_digest(root / "_site") == before


# An output folder that is a file -------------------------------------------------------------------------------

@pytest.mark.parametrize("out, said", [
    ("notes.txt", "--out notes.txt is a file, not a folder"),
    ("notes.txt/site", "--out notes.txt/site: notes.txt is a file, not a folder"),
])
def test_building_into_a_file_is_wrong_usage_and_writes_nothing(fixture_site, out, said):
    root = fixture_site("basic")
    (root / "notes.txt").write_text("Not a folder.\n")
    before = tree_digest(root)
    result = run(root, "build", "--out", out, cwd=root)
    assert result.returncode == 2
    assert result.stderr == f"build.py: error: {said}\n"
    assert tree_digest(root) == before


@pytest.mark.parametrize("out, said", [
    (".", "--out . would replace the site's own files: choose a folder of its own, such as basic/_preview"),
    ("..", "--out .. would replace the site's own files: choose a folder of its own, such as basic/_preview"),
    ("content/build", "--out content/build would replace the site's own files: choose a folder of its own, such as basic/_preview"),
    ("_site/sub", "--out _site/sub would replace the site's own files: choose a folder of its own, such as basic/_preview"),
    ("papers", "--out papers holds files that no build of this site wrote, which a build would delete: choose a new or empty folder"),
])
def test_building_over_the_site_or_a_folder_of_other_files_is_wrong_usage_and_deletes_nothing(fixture_site, out, said):
    root = fixture_site("basic")
    (root / "papers").mkdir()
    (root / "papers" / "draft.txt").write_text("Mine.\n")
    before = tree_digest(root.parent)
    result = run(root, "build", "--out", out, cwd=root)
    assert (result.returncode, result.stderr) == (2, f"build.py: error: {said}\n")
    assert tree_digest(root.parent) == before


@pytest.mark.slow
def test_a_new_an_empty_or_an_already_built_folder_takes_the_build(fixture_site, tmp_path):
    root = fixture_site("basic")
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "new", tmp_path / "empty", tmp_path / "new", root / "_site"):
        result = run(root, "build", "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert (out / "index.html").is_file()


# A title it cannot take ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("title, said", [
    ("", 'the title is empty: say what happened, e.g. "Belarusians picket the Interpol office in Warsaw"'),
    ("   ", 'the title is empty: say what happened, e.g. "Belarusians picket the Interpol office in Warsaw"'),
    ("!!!", 'the title "!!!" has no letters or digits to name the file after'),
    ("title: x\n---\nfoo: [", "the title has a line break: give it on one line"),  # it broke the front matter
    ("A picket\x07", "the title has an invisible character (U+0007), which pages and feeds cannot hold: remove it"),
])
def test_new_event_with_a_title_it_cannot_take_is_wrong_usage(make_site, title, said):
    root = make_site({})
    before = tree_digest(root)
    result = run(root, "new", "event", title, "--date", "2021-11-04")
    assert result.returncode == 2
    assert result.stderr == f"build.py new: error: {said}\n"
    assert tree_digest(root) == before


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


@pytest.mark.slow
@pytest.mark.parametrize("title, date, name", [
    ("Пикет у офиса Интерпола в Варшаве", "2021-11-04", "2021-11-04-piket-u-ofisa-interpola-v-varshave"),  # transliterated
    ("Pickets across Europe", "2021-10-01/2021-10-05", "2021-10-01-2021-10-05-pickets-across-europe"),  # over a range of days
])
def test_new_event_is_named_after_its_date_and_title_and_passes_once_filled_in(make_site, title, date, name):
    root = make_site({})
    result = run(root, "new", "event", title, "--date", date)
    assert result.returncode == 0, result.stderr
    path = root / "content" / "events" / f"{name}.md"
    assert (front_matter(path)["title"], str(front_matter(path)["date"])) == (title, date)
    path.write_text(path.read_text(encoding="utf-8").replace("source-id", "paper-one"), encoding="utf-8")
    assert run(root, "check").returncode == 0


@pytest.mark.slow
def test_new_event_keeps_backslashes_and_quotes_of_its_title(make_site):
    root = make_site({})
    title = r'Files found under C:\new and C:\q, "leaked"'
    assert run(root, "new", "event", title, "--date", "2021-11-04").returncode == 0
    [path] = (root / "content" / "events").glob("*.md")
    assert front_matter(path)["title"] == title
    path.write_text(path.read_text(encoding="utf-8").replace("source-id", "paper-one"), encoding="utf-8")
    assert run(root, "check").returncode == 0


# What check prints ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_check_prints_warnings_before_the_notes_however_many(make_site):
    root = make_site({"data/events/a.yaml": "- id: visit\n  date: 2021-11\n  status: expected\n  title: Visit\n"
                                            "  summary: A visit.[@paper-one]\n  sources: [paper-one]\n",
                      "assets/images/unused.png": (REPO / "assets" / "images" / "placeholder-belgrade.png").read_bytes()})
    lines = run(root, "check").stderr.splitlines()
    severities = [line.split(": ")[1] for line in lines[:-1]]
    assert "note" in severities, lines
    assert severities == sorted(severities, key=["error", "warning", "note"].index), lines
    assert lines[:2] == [
        "assets/images/unused.png:1:1: warning: image used by no event, template or stylesheet: remove it or use it",
        'data/events/a.yaml:1:3: warning: event "visit": expected for November 2021, which has passed: say what happened '
        "(change its status) or log an update saying it is still unconfirmed",
    ]


@pytest.mark.slow
def test_notes_of_one_kind_are_counted_in_one_line_and_check_notes_lists_them(make_site):
    sources = "".join(f"paper-{n}:\n  title: Report {n}\n  publisher: Paper\n  url: https://example.com/{n}\n  date: 2021-11-0{n}\n"
                      for n in (1, 2, 3))
    event = ("- id: visit\n  date: 2021-11\n  title: Visit\n  summary: A visit.[@paper-1][@paper-2][@paper-3]\n"
             "  sources: [paper-1, paper-2, paper-3]\n")
    root = make_site({"data/sources.yaml": sources, "data/events/a.yaml": event})
    result = run(root, "check")
    assert (result.returncode, result.stderr.splitlines()) == (0, [
        "data/sources.yaml: note: 3 sources have no archive_url: a web-archive copy lets readers check a page that moves "
        "(check --notes lists them)",
        "3 notes",
    ])
    assert run(root, "build", "--strict").stderr.splitlines() == result.stderr.splitlines()[:1]
    assert run(root, "build", "--strict").stderr.splitlines() == result.stderr.splitlines()[:1]  # up to date: as shown
    listed = run(root, "check", "--notes")
    assert (listed.returncode, listed.stderr.splitlines()) == (0, [
        f'data/sources.yaml:{line}:3: note: source "paper-{n}" has no archive_url: a web-archive copy lets readers '
        "check it if the page moves" for n, line in ((1, 2), (2, 7), (3, 12))
    ] + ["3 notes"])


def test_new_event_with_a_very_long_title_gets_a_file_name_the_system_takes(make_site):
    root = make_site({})
    title = " ".join(["Belarusians picket the Interpol office in Warsaw"] * 8)
    result = run(root, "new", "event", title, "--date", "2021-11-04")
    assert result.returncode == 0, result.stderr
    [path] = (root / "content" / "events").glob("*.md")
    assert len(path.stem) <= 200 and front_matter(path)["title"] == title


# A Python without the libraries ----------------------------------------------------------------------------------

WITHOUT_RCSSMIN = """
import runpy, sys
sys.modules["rcssmin"] = None  # as if it were not installed: importing it raises ModuleNotFoundError
sys.base_prefix = sys.prefix if sys.argv[1] == "system" else "/the-python-this-venv-was-made-from"
sys.argv = ["build.py", *sys.argv[2:]]
runpy.run_path("build.py", run_name="__main__")
"""


def run_without_rcssmin(folder: Path, python: str, *args: str) -> subprocess.CompletedProcess:
    """build.py, as copied into `folder`, run there by a `python` ("system" or "venv") that lacks rcssmin."""
    shutil.copy(REPO / "build.py", folder / "build.py")
    shutil.copytree(REPO / "explainer", folder / "explainer", ignore=shutil.ignore_patterns("__pycache__"))
    return subprocess.run([sys.executable, "-c", WITHOUT_RCSSMIN, python, *args], capture_output=True, text=True, cwd=folder)


def test_a_python_without_the_projects_libraries_is_told_to_use_the_projects_own(tmp_path):
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()
    result = run_without_rcssmin(tmp_path, "system", "check", "--strict")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", (
        'build.py: error: the library "rcssmin" is missing: this Python is not the project\'s: '
        "run .venv/bin/python build.py check --strict (or activate it: source .venv/bin/activate)\n"))


def test_a_python_on_a_machine_not_set_up_is_told_how_to_set_it_up(tmp_path):
    result = run_without_rcssmin(tmp_path, "system", "check")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", (
        'build.py: error: the library "rcssmin" is missing: set up the project\'s Python: python3 -m venv .venv && '
        ".venv/bin/pip install -r requirements.txt, then run .venv/bin/python build.py check\n"))


def test_a_virtual_environment_that_lacks_a_library_is_told_to_install_into_it(tmp_path):
    result = run_without_rcssmin(tmp_path, "venv", "build")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", (
        f'build.py: error: the library "rcssmin" is missing: run {sys.executable} -m pip install -r requirements.txt\n'))


# What new event cannot write, or write as given ----------------------------------------------------------------

@pytest.mark.slow  # build.py in a subprocess
def test_new_event_where_a_link_to_nowhere_is_says_it_exists_as_for_a_file_and_writes_nothing_through_it(make_site, tmp_path):
    root = make_site({})
    outside = tmp_path / "elsewhere" / "pwned.md"
    outside.parent.mkdir()
    (root / "content" / "events").mkdir(parents=True)
    (root / "content" / "events" / "2021-10-03-same.md").symlink_to(outside)
    result = run(root, "new", "event", "Same", "--date", "2021-10-03")
    assert (result.returncode, result.stderr) == (1, "build.py new: error: content/events/2021-10-03-same.md already exists\n")
    assert not outside.exists()


@pytest.mark.slow  # build.py in a subprocess
def test_new_event_where_content_events_is_a_file_says_so_in_one_line(make_site):
    root = make_site({"content/events": "not a folder\n"})
    result = run(root, "new", "event", "Same", "--date", "2021-10-03")
    assert (result.returncode, result.stderr) == (1, "build.py new: error: content/events is a file, not a folder: move it "
                                                     "aside; new events are written in that folder\n")
