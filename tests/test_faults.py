"""Builds that fail, are killed or run at once, and caches that lie: the output is always a whole site, old or new,
and the next build makes it right. Each fault is injected from outside the generator: a build in a subprocess whose
functions a wrapper replaces."""
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from explainer.pipeline import Project, build

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def tree(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def clean_tree(root: Path, tmp_path: Path, name: str) -> dict[str, str]:
    """What a build of the same content makes with no cache and no earlier output."""
    fresh = tmp_path / name
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".cache", "_site", "._site.*"))
    build(Project.at(fresh))
    return tree(fresh / "_site")


def run(root: Path, *args: str, patch: str = "") -> subprocess.CompletedProcess:
    """`build.py --root root args`, in a process where `patch` (Python) ran first."""
    code = textwrap.dedent(patch) + textwrap.dedent(f"""
        import runpy, sys
        sys.argv = ["build.py", "--root", {str(root)!r}, *{list(args)!r}]
        runpy.run_path({str(REPO / "build.py")!r}, run_name="__main__")
        """)
    return subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, %r)\n" % str(REPO) + code],
                          capture_output=True, text=True, timeout=300)


def killed_at(module: str, name: str, call: int = 1) -> str:
    """A patch that kills the process (SIGKILL: no cleanup of any kind) at the `call`-th call of a function."""
    return f"""
        import os, signal, importlib
        target = importlib.import_module({module!r})
        original, calls = getattr(target, {name!r}), [0]
        def patched(*args, **kwargs):
            calls[0] += 1
            if calls[0] == {call}:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)
        setattr(target, {name!r}, patched)
        """


def edit_site(root: Path) -> None:
    """A change that adds, changes and removes pages and files."""
    visit = root / "content" / "events" / "visit.md"
    visit.write_text(visit.read_text().replace("title: A visit is expected", "title: A visit is still expected"))
    (root / "content" / "about.md").unlink()
    (root / "content" / "events" / "new-one.md").write_text(
        "---\ndate: 2021-12-01\ntitle: A new event\nsummary: It happened.[@paper-one]\nsources: [paper-one]\n---\nBody.\n")


@pytest.fixture
def site(fixture_site, tmp_path):
    """A built site, and the trees of a clean build before and after `edit_site`."""
    root = fixture_site("basic")
    assert run(root, "build").returncode == 0
    old = clean_tree(root, tmp_path, "old")
    assert tree(root / "_site") == old
    edit_site(root)
    new = clean_tree(root, tmp_path, "new")
    return root, old, new


@pytest.mark.parametrize("module, name, call", [
    ("explainer.write", "_write_new", 5),  # while pages are written
    ("explainer.search", "update_search_index", 1),  # while the search index is made
    ("explainer.write", "_remove_empty_folders", 1),  # while the spare is cleaned
    ("explainer.write", "_exchange", 1),  # right before the switch
])
def test_a_build_killed_at_any_step_leaves_the_old_site_whole_and_the_next_build_repairs_it(site, module, name, call):
    root, old, new = site
    result = run(root, "build", patch=killed_at(module, name, call))
    assert result.returncode == -9, result.stderr
    assert tree(root / "_site") == old
    again = run(root, "build")
    assert again.returncode == 0, again.stderr
    assert tree(root / "_site") == new


def test_a_build_killed_right_after_the_switch_leaves_the_new_site_whole(site):
    root, _, new = site
    result = run(root, "build", patch=killed_at("explainer.write", "WriteReport"))  # made once the folders are swapped
    assert result.returncode == -9
    assert tree(root / "_site") == new
    assert run(root, "build").returncode == 0 and tree(root / "_site") == new


def test_a_swap_in_three_renames_killed_halfway_is_completed_by_the_next_build(site):
    """Where the system cannot swap two folders in one step, the build renames three times."""
    root, _, new = site
    patch = """
        import os, signal, explainer.write as write
        write.ctypes = None  # no renameat2 here
        renames = [0]
        real = os.rename
        def rename(source, target):
            renames[0] += 1
            real(source, target)
            if renames[0] == 1:  # the output moved aside, the new site not yet in its place
                os.kill(os.getpid(), signal.SIGKILL)
        write.os.rename = rename
        """
    assert run(root, "build", patch=patch).returncode == -9
    assert not (root / "_site").exists()  # the one instant readers could notice, and the next build's first repair
    again = run(root, "build")
    assert again.returncode == 0, again.stderr
    assert tree(root / "_site") == new


def test_two_builds_at_once_take_turns(site):
    root, _, new = site
    slow = """
        import time, explainer.pipeline as pipeline
        render = pipeline._Build.render
        def slowly(self, *args):
            time.sleep(3)
            return render(self, *args)
        pipeline._Build.render = slowly
        """
    code = f"import sys; sys.path.insert(0, {str(REPO)!r})\n" + textwrap.dedent(slow) + textwrap.dedent(f"""
        import runpy
        sys.argv = ["build.py", "--root", {str(root)!r}, "build"]
        runpy.run_path({str(REPO / "build.py")!r}, run_name="__main__")
        """)
    first = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    second = run(root, "build")
    first_out, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second.stderr
    assert "another build of this site is running: waiting for it to finish" in second.stderr
    assert "Traceback" not in first_err + second.stderr
    assert tree(root / "_site") == new


def test_a_lock_left_by_a_killed_build_is_taken_over(site):
    root, _, new = site
    assert run(root, "build", patch=killed_at("explainer.write", "_write_new", 2)).returncode == -9
    assert (root / ".cache" / "build.lock").exists()
    again = run(root, "build")
    assert again.returncode == 0 and "waiting" not in again.stderr
    assert tree(root / "_site") == new


@pytest.mark.parametrize("kind", ["random", "empty", "cut short"])
@pytest.mark.parametrize("output", ["kept", "deleted"])
def test_garbage_in_every_cache_file_is_made_again_never_published(site, kind, output):
    root, _, new = site
    for path in (root / ".cache").rglob("*"):
        if path.is_file() and path.name != "build.lock":
            data = path.read_bytes()
            path.write_bytes({"random": os.urandom(len(data) or 64), "empty": b"", "cut short": data[: len(data) // 2]}[kind])
    if output == "deleted":  # every file must then come from the cache
        shutil.rmtree(root / "_site")
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert tree(root / "_site") == new


def test_a_template_in_a_subfolder_is_part_of_every_page_it_reaches(site, tmp_path):
    root, _, _ = site
    (root / "templates" / "partials").mkdir()
    (root / "templates" / "partials" / "signature.html").write_text("<p class=\"signature\">First words</p>\n")
    base = root / "templates" / "base.html"
    base.write_text(base.read_text().replace("<footer class=\"site-footer\">", "{% include \"partials/signature.html\" %}\n<footer class=\"site-footer\">"))
    assert run(root, "build").returncode == 0
    (root / "templates" / "partials" / "signature.html").write_text("<p class=\"signature\">Second words</p>\n")
    result = run(root, "build")
    assert result.returncode == 0
    assert "Second words" in (root / "_site" / "events" / "visit" / "index.html").read_text()
    assert tree(root / "_site") == clean_tree(root, tmp_path, "clean")


def test_an_upgraded_library_remakes_what_it_shapes(site, tmp_path):
    root, _, new = site
    assert run(root, "build").returncode == 0
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".cache", "_site", "._site.*"))
    every_page = build(Project.at(fresh)).pages_rendered
    upgraded = """
        from importlib import metadata
        real = metadata.version
        metadata.version = lambda name: "99.0" if name == "Markdown" else real(name)
        """
    result = run(root, "build", "--profile", patch=upgraded)
    assert result.returncode == 0, result.stderr
    rendered = int(next(line for line in result.stdout.splitlines() if "pages rendered" in line).split()[-1])
    assert rendered == every_page  # nothing the old version made is trusted
    assert tree(root / "_site") == new  # and it made the same bytes


@pytest.mark.parametrize("errno_name, why", [("ENOSPC", "the disk is full"), ("EACCES", "permission denied")])
def test_a_disk_that_refuses_writes_is_one_error_line_and_the_old_site_stays(site, errno_name, why):
    root, old, _ = site
    patch = f"""
        import errno, explainer.write as write
        real, calls = write._write_new, [0]
        def refuse(target, content):
            calls[0] += 1
            if calls[0] == 3:
                raise (PermissionError if errno.{errno_name} == errno.EACCES else OSError)(errno.{errno_name}, "refused", target)
            real(target, content)
        write._write_new = refuse
        """
    result = run(root, "build", patch=patch)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    [line] = lines
    assert line.startswith("build.py: error: cannot write in ._site.spare/") and line.endswith(f": {why}; _site/ is as it was")
    assert tree(root / "_site") == old


def test_the_cache_folder_removed_during_a_build_is_no_traceback(site):
    root, old, new = site
    patch = f"""
        import shutil, explainer.pipeline as pipeline
        render = pipeline._Build.render
        def remove_cache_first(self, *args):
            shutil.rmtree({str(root / ".cache")!r})
            return render(self, *args)
        pipeline._Build.render = remove_cache_first
        """
    result = run(root, "build", patch=patch)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1)
    if result.returncode == 1:
        assert len(result.stderr.splitlines()) == 1 and tree(root / "_site") == old
    else:
        assert tree(root / "_site") == new
    assert run(root, "build").returncode == 0 and tree(root / "_site") == new


def test_another_folder_of_the_same_name_is_never_taken_for_the_output(site, tmp_path):
    root, _, _ = site
    elsewhere = tmp_path / "elsewhere" / "_site"
    elsewhere.mkdir(parents=True)
    for number in range(5):
        (elsewhere / f"someone-else-{number}.txt").write_text("keep me")
    result = run(root, "build", "--out", str(elsewhere))
    assert result.returncode == 2
    assert "holds files that no build of this site wrote" in result.stderr
    assert sorted(path.name for path in elsewhere.iterdir()) == [f"someone-else-{number}.txt" for number in range(5)]


@pytest.mark.parametrize("leads_to", ["content", "elsewhere", "nowhere"])
def test_a_site_folder_that_is_a_link_is_refused_and_nothing_it_leads_to_is_touched(fixture_site, tmp_path, leads_to):
    root = fixture_site("basic")
    target = {"content": root / "content", "elsewhere": tmp_path / "elsewhere", "nowhere": tmp_path / "nowhere"}[leads_to]
    if leads_to == "elsewhere":
        target.mkdir()
        (target / "important.txt").write_text("keep me")
    before = tree(root / "content"), tree(tmp_path)
    (root / "_site").symlink_to(target)
    for _ in range(2):
        result = run(root, "build")
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr == (f"build.py: error: _site is a link to {target}: a build replaces its output folder whole, deleting "
                                 "what the folder it leads to holds: remove the link (to build elsewhere, pass --out FOLDER)\n")
    assert (tree(root / "content"), tree(tmp_path)) == before
    assert not (tmp_path / "nowhere").exists() and sorted(path.name for path in root.iterdir() if path.name.startswith(".")) == []
    out = tmp_path / "out"
    out.symlink_to(root / "content")
    result = run(root, "build", "--out", str(out))
    assert result.returncode == 2 and f"--out {out} is a link to {root / 'content'}" in result.stderr
    assert tree(root / "content") == before[0]


def test_a_file_where_the_build_keeps_a_folder_is_one_line_and_nothing_is_moved(fixture_site):
    root = fixture_site("basic")
    (root / "_site").write_text("notes")
    result = run(root, "build")
    assert (result.returncode, result.stderr) == (
        2, "build.py: error: _site is a file, not a folder: a build writes the site in a folder of that name: move the file aside\n")
    assert (root / "_site").read_text() == "notes" and not (root / "._site.spare").exists()
    (root / "_site").unlink()
    shutil.rmtree(root / ".cache", ignore_errors=True)
    (root / ".cache").write_text("notes")
    for command in ("build", "check", "serve"):
        result = run(root, command)
        assert (result.returncode, result.stderr) == (2, "build.py: error: .cache is a file, not a folder: the build keeps "
                                                         "its cache in a folder of that name: move the file aside\n"), command
    (root / ".cache").unlink()
    (root / ".cache" / "build.lock").mkdir(parents=True)
    result = run(root, "build")
    assert (result.returncode, result.stderr) == (
        1, "build.py: error: .cache/build.lock is a folder: builds take turns by a file of that name: remove the folder\n")
    assert not (root / "_site").exists()


@pytest.mark.parametrize("command", [["build"], ["check"], ["serve"], ["new", "event", "A title", "--date", "2021-10-03"]])
def test_a_site_folder_that_is_missing_or_a_file_is_one_line_and_nothing_is_made(tmp_path, command):
    missing = tmp_path / "missing"
    result = run(missing, *command)
    assert (result.returncode, result.stderr) == (2, f"build.py: error: --root {missing}: no such folder\n")
    assert not missing.exists()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("notes")
    result = run(a_file, *command)
    assert (result.returncode, result.stderr) == (2, f"build.py: error: --root {a_file} is a file, not the site's folder\n")
