import shutil
import textwrap
from pathlib import Path

import pytest

from explainer.load import load_site
from explainer.validate import validate_site

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


def problem_lines(root: Path, *, drafts: bool = False) -> list[str]:
    files, problems = load_site(root)
    _, found = validate_site(files, drafts=drafts)
    return [str(problem) for problem in sorted(problems + found, key=lambda p: (p.position, p.message))]
