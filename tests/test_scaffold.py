"""`new event`: the entry it writes, filled in, is a valid event that keeps its address."""
import pytest

from explainer.scaffold import new_event
from explainer.write import BuildError

from conftest import site_of


def test_a_new_event_names_its_id_in_the_front_matter_and_once_filled_in_validates(make_site):
    root = make_site({})
    path = new_event(root, "Belarusians picket the Interpol office in Warsaw", "2021-11-04")
    assert path == root / "content/events/2021-11-04-belarusians-picket-the-interpol-office-in-warsaw.md"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[:3] == [
        "---",
        "id: 2021-11-04-belarusians-picket-the-interpol-office-in-warsaw  # the address of its page, /events/<id>/: "
        "keep it when the title changes",
        "date: 2021-11-04",
    ]
    filled_in = text.replace("source-id", "paper-one").replace("Interpol office in Warsaw", "Interpol bureau in Warsaw")
    path.write_text(filled_in, encoding="utf-8")
    site, problems = site_of(root)
    assert problems == []
    assert [event.id for event in site.events] == [path.stem]
    assert site.events[0].title == "Belarusians picket the Interpol bureau in Warsaw"


@pytest.mark.slow  # build.py in a subprocess
def test_new_event_exits_1_where_the_file_exists_and_2_for_a_date_it_cannot_take(make_site):
    import subprocess
    import sys
    from pathlib import Path

    root = make_site({})
    build_py = Path(__file__).resolve().parent.parent / "build.py"

    def new(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(build_py), "--root", str(root), "new", "event", *args],
                              capture_output=True, text=True)

    assert new("A picket", "--date", "2021-11-04").returncode == 0
    again = new("A picket", "--date", "2021-11-04")
    assert (again.returncode, again.stderr) == (1, "build.py new: error: content/events/2021-11-04-a-picket.md already exists\n")
    wrong = new("A picket", "--date", "2021-13")
    assert (wrong.returncode, wrong.stderr) == (2, 'build.py new: error: date "2021-13": month must be 1..12\n')


# What is already at the new file's path, or where its folder should be ----------------------------------------

def test_a_new_event_never_writes_through_a_link_at_its_path(make_site, tmp_path):
    """A link to nowhere is there as much as a file is: writing through it would make a file outside the site."""
    root = make_site({})
    outside = tmp_path / "outside" / "written.md"
    outside.parent.mkdir()
    (root / "content" / "events").mkdir(parents=True)
    (root / "content" / "events" / "2021-10-03-same.md").symlink_to(outside)
    with pytest.raises(FileExistsError) as raised:
        new_event(root, "Same", "2021-10-03")
    assert str(raised.value) == "content/events/2021-10-03-same.md"  # as build.py names a file that exists
    assert not outside.exists()


@pytest.mark.parametrize("blocked, kind, said", [
    ("content/events", "file", "content/events is a file, not a folder: move it aside; new events are written in that folder"),
    ("content/events", "link", "content/events is a link to nothing, not a folder: move it aside; new events are written "
                               "in that folder"),
    ("content", "file", "content is a file, not a folder: move it aside; new events are written in content/events/"),
    ("content/events", "outside", "content/events is a link to a folder outside the site folder, which is never read: "
                                  "move it aside; new events are written in that folder"),
])
def test_a_new_event_whose_folder_is_no_folder_of_the_site_says_what_is_there_and_writes_nothing(make_site, tmp_path,
                                                                                                blocked, kind, said):
    from explainer.write import BuildError

    root = make_site({})
    path = root / blocked
    path.parent.mkdir(parents=True, exist_ok=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    if kind == "file":
        path.write_text("not a folder", encoding="utf-8")
    else:
        path.symlink_to(outside if kind == "outside" else tmp_path / "nothing")
    with pytest.raises(BuildError) as raised:
        new_event(root, "Same", "2021-10-03")
    assert str(raised.value) == said
    assert list(outside.iterdir()) == [] and not (tmp_path / "nothing").exists()


def test_a_new_translation_never_writes_through_a_link_at_its_path(make_site, tmp_path):
    from explainer.pipeline import Project, load_original
    from explainer.scaffold import new_translation

    root = make_site({
        "data/site.yaml": "title: T\ndescription: D\nbase_url: https://example.org\nlanguage: en\n"
                          "languages:\n  be:\n    title: Т\n    description: Д\n",
        "content/about.md": "---\ntitle: About\n---\nHow this was made.[@paper-one]\n",
        "data/events/2021.yaml": "- id: letter\n  date: 2021-10\n  title: A letter\n  summary: A letter.[@paper-one]\n"
                                 "  sources: [paper-one]\n",
    })
    outside = tmp_path / "outside-about.be.md"
    (root / "content/about.be.md").symlink_to(outside)
    settings, items = load_original(Project.at(root), "content/about.md")
    with pytest.raises(FileExistsError) as raised:
        new_translation(root, settings, items, "content/about.md", "be")
    assert str(raised.value) == "content/about.be.md"
    assert not outside.exists()
    # A YAML translation is added to when it exists: never through a link out of the site, there or not.
    outside = tmp_path / "outside-2021.be.yaml"
    (root / "data/events/2021.be.yaml").symlink_to(outside)
    settings, items = load_original(Project.at(root), "data/events/2021.yaml")
    for there in (False, True):
        if there:
            outside.write_text("# someone else's file\n")
        with pytest.raises(BuildError) as raised:
            new_translation(root, settings, items, "data/events/2021.yaml", "be")
        assert str(raised.value) == ("data/events/2021.be.yaml is a link to a file outside the site folder, which is never "
                                     "read nor written: put the file itself in the site folder")
        assert outside.exists() == there and (not there or outside.read_text() == "# someone else's file\n")


# The title, as the front matter holds it ---------------------------------------------------------------------------

@pytest.mark.parametrize("title, said", [
    ("title: x\n---\nfoo: [", "the title has a line break: give it on one line"),
    ("A picket\r", "the title has a line break: give it on one line"),
    ("A picket\u2028in Warsaw", "the title has a line break: give it on one line"),
    ("A picket\x85in Warsaw", "the title has a line break: give it on one line"),
    ("A picket\x07", "the title has an invisible character (U+0007), which pages and feeds cannot hold: remove it"),
    ("A picket\x1b[31m", "the title has an invisible character (U+001B), which pages and feeds cannot hold: remove it"),
    ("A picket\ufffe", "the title has a character (U+FFFE), which pages and feeds cannot hold: remove it"),
    ("Caf\udce9 picket", "the title is not UTF-8 text (byte 0xe9): set the terminal to UTF-8 and type it again"),
])
def test_a_title_on_more_than_one_line_or_with_a_character_no_page_holds_is_refused_and_nothing_written(make_site, title, said):
    from explainer.scaffold import TitleError

    root = make_site({})
    with pytest.raises(TitleError) as raised:
        new_event(root, title, "2021-11-04")
    assert str(raised.value) == said
    assert not (root / "content" / "events").exists()


TITLES = [
    '"Quoted" from the start', "It's 'single'", "Interpol: a tool of repression", "#hashtag protest", "- a dash first",
    "[a list?", "{a mapping?", "& anchor", "*alias", "!tag", "%directive", "@handle", "`code`", "a | b > c",
    "ends with a backslash \\", r"C:\new and \u0041 \x41 \"", "key: value # comment", "--- three dashes", "... and dots",
    "Протест у Варшаве 🇵🇱✊", "מחאה בוורשה", "احتجاج في وارسو", "  spaces around  ", "\ttab\tinside", "null", "yes",
    "2021-11-04", "1e3", "~ 1", "a\u00a0non-breaking space", "zero\u200bwidth", "\ufeffwith a byte order mark",
]


@pytest.mark.parametrize("title", TITLES)
def test_any_other_title_reads_back_from_the_front_matter_exactly_as_given_and_validates(make_site, title):
    from explainer.load import read_document

    root = make_site({})
    path = new_event(root, title, "2021-11-04")
    document, problems = read_document(root, path, markdown=True)
    assert problems == []
    [written] = [value.value for key, value in document.root.value if key.value == "title"]
    assert written == title
    path.write_text(path.read_text(encoding="utf-8").replace("source-id", "paper-one"), encoding="utf-8")
    site, problems = site_of(root)
    assert problems == [] and site.events[0].title == title
