import os
import shutil
import textwrap
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parent.parent
SITES = Path(__file__).resolve().parent / "sites"

BASE_FILES = {
    "data/site.yaml": """\
        title: Test timeline
        description: A small site for the tests.
        base_url: https://example.org
        """,
    "data/sources.yaml": """\
        paper-one:
          title: The first report
          publisher: Daily Paper
          url: https://example.com/one
        """,
}


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")


def add_theme(root: Path) -> None:
    """The repository's templates and stylesheet, as every fixture site uses them."""
    shutil.copytree(REPO / "templates", root / "templates", dirs_exist_ok=True)
    for folder in ("css", "js"):
        shutil.copytree(REPO / "assets" / folder, root / "assets" / folder, dirs_exist_ok=True)
    shutil.copy(REPO / "assets" / "favicon.svg", root / "assets" / "favicon.svg")


@pytest.fixture
def make_site(tmp_path):
    """A site folder made of the base files, the given files, and the repository's theme."""

    def make(files: dict[str, str | bytes], *, base: bool = True) -> Path:
        root = tmp_path / "site"
        root.mkdir(exist_ok=True)
        write_files(root, {**(BASE_FILES if base else {}), **files})
        add_theme(root)
        return root

    return make


@pytest.fixture
def fixture_site(tmp_path):
    """A copy of one of tests/sites/, with the repository's theme, in a temporary folder."""

    def copy(name: str) -> Path:
        root = tmp_path / name
        shutil.copytree(SITES / name, root)
        add_theme(root)
        return root

    return copy


def site_of(root: Path, *, drafts: bool = False):
    """The site a build of this folder validates (None if any error), and every problem found."""
    from explainer.pipeline import Project, load_and_validate

    return load_and_validate(Project.at(root), drafts=drafts)


def problem_lines(root: Path, *, drafts: bool = False) -> list[str]:
    _, found = site_of(root, drafts=drafts)
    return [str(problem) for problem in sorted(found, key=lambda p: (p.position, p.message))]


# What the quality-gate tests (test_quality.py) need beyond Python. Where a tool is missing they are
# skipped, unless REQUIRE_BROWSER=1 (CI sets it): then they fail, so a gate is never lost silently.
CHROMIUM = Path("/usr/bin/chromium")
NODE_MODULES = REPO / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
TOOLS_BY_MARKER = {
    "browser": lambda: [] if CHROMIUM.is_file() else [f"Chromium at {CHROMIUM}"],
    "vnu": lambda: ([] if shutil.which("java") else ["java"]) + ([] if VNU_JAR.is_file() else ["node_modules/vnu-jar (run npm ci)"]),
    "axe": lambda: [] if AXE_JS.is_file() else ["node_modules/axe-core (run npm ci)"],
}


def pytest_configure(config):
    config.addinivalue_line("markers", "vnu: needs java and node_modules/vnu-jar (skipped when absent)")
    config.addinivalue_line("markers", "axe: needs node_modules/axe-core (skipped when absent)")


def pytest_runtest_setup(item):
    """Before any fixture starts a browser or a validator: skip, or with REQUIRE_BROWSER=1 fail, where a tool is missing."""
    lacking = [tool for marker, find in TOOLS_BY_MARKER.items() if item.get_closest_marker(marker) for tool in find()]
    if lacking and os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but this quality gate cannot run: missing {', '.join(lacking)}", pytrace=False)
    if lacking:
        pytest.skip(f"missing {', '.join(lacking)}")


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The sample explainer of this repository, built once per test run: (root, output folder, site)."""
    from explainer.pipeline import Project, build

    root = tmp_path_factory.mktemp("sample")
    for folder in ("content", "data", "templates", "assets"):
        shutil.copytree(REPO / folder, root / folder)
    result = build(Project.at(root))
    return root, root / "_site", result.site
