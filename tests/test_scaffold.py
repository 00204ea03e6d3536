"""`new event`: the entry it writes, filled in, is a valid event that keeps its address."""
import pytest

from explainer.scaffold import new_event

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
