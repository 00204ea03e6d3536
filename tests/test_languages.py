"""A site in two languages: translation files checked against their originals, every page in each language, the
untranslated shown as such, dates, feeds and search in the reader's language."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from explainer.dates import DateWords, parse_when

from conftest import problem_lines, site_of

REPO = Path(__file__).resolve().parent.parent

SETTINGS = """\
    title: Test timeline
    description: A small site for the tests.
    base_url: https://example.org
    language: en
    languages:
      be:
        title: Тэставая храналогія
        description: Маленькі сайт для тэстаў.
    """
ENTRY = """\
    ---
    date: 2021-11-04
    title: A picket in Warsaw
    summary: People picket.[@paper-one]
    place: Warsaw, Poland
    sources: [paper-one]
    photos:
      - src: images/a.png
        alt: A picket
        caption: The picket
        credit: Jane
    updates:
      - date: 2021-11-05
        text: Added the place.[@paper-one]
    ---
    The picket lasted an hour.[@paper-one]
    """
LIST = """\
    - id: letter
      date: 2021-10-21/2021-10-31
      title: A letter
      summary: A letter is sent.[@paper-one]
      sources: [paper-one]
    - id: untold
      date: 2021-09
      title: Untold
      summary: Not translated.[@paper-one]
      sources: [paper-one]
    """


def a_png(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "PNG")
    return buffer.getvalue()


def digest_of(root: Path, key: str) -> str:
    """What `translated_from` must say for the original of `key` (an event id or a page slug)."""
    from explainer.model import words_digest

    site, _ = site_of(root)
    return words_digest(next(item for item in (*site.events, *site.pages) if getattr(item, "id", getattr(item, "slug", "")) == key))


@pytest.fixture
def bilingual(make_site):
    """A site in English and Belarusian: one Markdown event, one YAML event and the About page translated."""
    return make_bilingual(make_site)


def make_bilingual(make_site) -> Path:
    root = make_site({
        "data/site.yaml": SETTINGS,
        "content/events/picket.md": ENTRY,
        "data/events/2021.yaml": LIST,
        "content/about.md": "---\ntitle: About\nmenu_title: About\n---\nHow this was made.[@paper-one]\n",
        "assets/images/a.png": a_png(),
        "data/sources.yaml": "paper-one:\n  title: The first report\n  publisher: Daily Paper\n  url: https://example.com/one\n  language: pl\n",
    })
    translations = {
        "content/events/picket.be.md": """\
            ---
            translated_from: {picket}
            title: Пікет у Варшаве
            summary: Людзі пікетуюць.[@paper-one]
            place: Варшава, Польшча
            photos:
              - alt: Пікет
                caption: Пікет каля будынка
            updates:
              - text: Дададзена месца.[@paper-one]
            ---
            Пікет доўжыўся гадзіну.[@paper-one]
            """,
        "data/events/2021.be.yaml": """\
            letter:
              translated_from: {letter}
              title: Ліст
              summary: Ліст адпраўлены.[@paper-one]
            """,
        "content/about.be.md": "---\ntranslated_from: {about}\ntitle: Пра праект\n---\nЯк гэта зроблена.[@paper-one]\n",
    }
    digests = {key: digest_of(root, key) for key in ("picket", "letter", "about")}
    for path, text in translations.items():
        import textwrap

        (root / path).write_text(textwrap.dedent(text).format(**digests), encoding="utf-8")
    return root


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), *args], capture_output=True, text=True)


# Checking translations ------------------------------------------------------------------------------------------------


def test_a_bilingual_site_has_no_problems(bilingual):
    assert problem_lines(bilingual) == []
    site, _ = site_of(bilingual)
    assert set(site.translations) == {("be", "picket"), ("be", "letter"), ("be", "about")}


def test_a_translation_out_of_date_names_both_files_and_what_to_write(bilingual):
    entry = bilingual / "content" / "events" / "picket.md"
    entry.write_text(entry.read_text().replace("The picket lasted an hour.", "The picket lasted two hours."))
    new = digest_of(bilingual, "picket")
    assert problem_lines(bilingual) == [
        f"content/events/picket.be.md:2:1: warning: translated_from is out of date: content/events/picket.md changed since "
        f"it was translated: once the translation says what the original says now, set translated_from: {new}"]


@pytest.mark.parametrize("change, line", [
    (("title: Пікет у Варшаве", "title: Пікет у Варшаве\ndate: 2021-11-05"),
     'content/events/picket.be.md:4:1: error: translation "be": unknown field "date": a translation gives only the words '
     "(title, summary, body, place, date_label, photos' alt, caption and src, updates' text); dates, sources, topics and the "
     "rest are the original's"),
    (("Людзі пікетуюць.[@paper-one]", "Людзі пікетуюць.[@paper-two]"),
     'content/events/picket.be.md:4:26: error: cites "paper-two", which the original does not: a translation cites only '
     "its original's sources"),
    (("Людзі пікетуюць.", "Людзі пікетуюць [[no-such-event]]."),
     'content/events/picket.be.md:4:26: error: translation "be": unknown event "no-such-event"'),
    (("translated_from: ", "translated_from: zz"),
     'content/events/picket.be.md:2:1: warning: translated_from "zz{picket}" is not a digest of the original (12 of 0-9 and '
     "a-f): once the translation says what the original says now, set translated_from: {picket}"),
    (("  - alt: Пікет\n", "  - alt: Фота\n"),
     'content/events/picket.be.md:7:10: warning: translation "be": photo 1: alt text "Фота" says only that there is a '
     "picture: describe what it shows"),
    (("  - alt: Пікет\n", "  - alt: Пікет каля будынка\n"),
     'content/events/picket.be.md:7:10: warning: translation "be": photo 1: alt text repeats the caption, which screen '
     "readers read after it: describe what the photo shows, and let the caption say what it means"),
    (("updates:\n", "updates:\n  - text: Яшчэ адно.\n"),
     "content/events/picket.be.md:2:1: error: the original has 1 photo and 1 update: a translation gives the words of "
     "those, in the same order, and no more"),
])
def test_mistakes_in_a_translation_are_reported_at_its_own_line(bilingual, change, line):
    digest = digest_of(bilingual, "picket")
    translation = bilingual / "content" / "events" / "picket.be.md"
    translation.write_text(translation.read_text().replace(*change))
    if "paper-two" in change[1]:
        (bilingual / "data" / "sources.yaml").write_text((bilingual / "data" / "sources.yaml").read_text()
                                                         + "paper-two:\n  title: T\n  publisher: P\n  url: https://example.com/2\n")
    assert line.format(picket=digest) in problem_lines(bilingual)


def test_a_translation_of_nothing_or_into_a_language_the_site_lacks_is_an_error(bilingual):
    (bilingual / "content" / "events" / "nowhere.be.md").write_text("---\ntranslated_from: x\ntitle: Нідзе\n---\n")
    (bilingual / "content" / "events" / "picket.pl.md").write_text("---\ntranslated_from: x\ntitle: Pikieta\n---\n")
    (bilingual / "data" / "events" / "2021.be.yaml").write_text(
        (bilingual / "data" / "events" / "2021.be.yaml").read_text() + "ghost:\n  translated_from: x\n  title: Прывід\n")
    lines = problem_lines(bilingual)
    assert ("content/events/nowhere.be.md:2:1: error: translates content/events/nowhere.md, which holds no event or page: "
            "a translation sits beside its original, with the same name and the language before the suffix") in lines
    assert ('content/events/picket.pl.md:2:1: error: this is a translation into "pl", as its file name says, which is not '
            "one of the site's languages: add it under languages in data/site.yaml, or rename the file") in lines
    assert any(line.startswith('data/events/2021.be.yaml:5:1: error: event "ghost" is not in data/events/2021.yaml') for line in lines)


def test_a_page_at_the_address_of_another_language_s_edition_is_an_error(bilingual):
    (bilingual / "content" / "be.md").write_text("---\ntitle: Belarus\n---\nA page.\n")
    (bilingual / "content" / "extra.md").write_text("---\ntitle: Extra\nslug: be\n---\nA page.\n")
    said = 'page slug "be" is the address of the site in "be" (/be/), one of its languages: choose another'
    assert [line for line in problem_lines(bilingual) if "slug" in line] == [
        f"content/be.md:1:1: error: {said}", 'content/extra.md:1:1: error: page slug "be" is already the address of '
        "content/be.md: choose another", f"content/extra.md:1:1: error: {said}"]


@pytest.mark.parametrize("original, change, line", [
    ("content/events/picket.md", ("date: 2021-11-04", "date: 2021-11-31"),
     'content/events/picket.md:2:7: error: date "2021-11-31": day must be 1..30 in November 2021'),
    ("data/events/2021.yaml", ("date: 2021-10-21/2021-10-31", "date: 2021-10-21/2021-10-32"),
     'data/events/2021.yaml:2:9: error: date "2021-10-32": day must be 1..31 in October 2021'),
    ("content/events/picket.md", ("---\ndate", "date"), None),
])
def test_a_translation_of_an_original_with_errors_adds_no_error_of_its_own(bilingual, original, change, line):
    """Its translation's original is not missing, only not read yet: said to be, it would send the editor to a file
    with nothing wrong."""
    path = bilingual / original
    path.write_text(path.read_text().replace(*change, 1))
    lines = problem_lines(bilingual)
    assert lines and all(entry.startswith(original) for entry in lines)
    if line is not None:
        assert lines == [line]


# A translation's own file of a photo ----------------------------------------------------------------------------------


def with_own_file(root: Path, src: str = "images/a.be.png") -> Path:
    """The picket's translation giving its photo a file of its own (a picture with words in it, say): `src`."""
    (root / "assets" / "images" / "a.be.png").write_bytes(a_png((30, 30, 200)))
    translation = root / "content" / "events" / "picket.be.md"
    translation.write_text(translation.read_text().replace("caption: Пікет каля будынка", f"caption: Пікет каля будынка\n    src: {src}"))
    return root


def built_pages(root: Path) -> tuple[str, str]:
    """The picket's page in English and in Belarusian, built."""
    from explainer.pipeline import build
    from explainer.project import Project

    build(Project.at(root), search=False)
    return read(root / "_site", "events/picket/index.html"), read(root / "_site", "be/events/picket/index.html")


def sharing_image(page: str) -> str:
    return re.search(r'<meta property="og:image" content="([^"]+)"', page).group(1)


def test_a_translation_may_give_a_photo_a_file_of_its_own_shown_on_its_pages_alone(bilingual):
    with_own_file(bilingual)
    assert problem_lines(bilingual) == []
    english, belarusian = built_pages(bilingual)

    assert "/images/a-be." in belarusian and "/images/a." not in belarusian
    assert "/images/a." in english and "a-be" not in english
    assert "a-be" in sharing_image(belarusian) and "a-be" not in sharing_image(english)  # its link previews show it too
    assert 'alt="Пікет"' in belarusian and "Фота: Jane" in belarusian  # the rest of the photo is the original's
    checked = run(bilingual, "check")
    assert checked.returncode == 0 and "used by no event" not in checked.stdout + checked.stderr


def test_a_photo_s_own_file_is_not_shown_once_the_original_s_photo_changed_since_the_translation(bilingual):
    """It was made for the photo the original showed then: shown with another photo's credit, it would be credited
    to someone who did not make it."""
    with_own_file(bilingual)
    original = bilingual / "content" / "events" / "picket.md"
    original.write_text(original.read_text().replace("credit: Jane", "credit: Anna"))
    new = digest_of(bilingual, "picket")

    assert problem_lines(bilingual) == [
        f"content/events/picket.be.md:2:1: warning: translated_from is out of date: content/events/picket.md changed since "
        f"it was translated: once the translation says what the original says now, set translated_from: {new}; until then "
        "its photos show the original's files"]
    _, belarusian = built_pages(bilingual)
    assert "/images/a." in belarusian and "a-be" not in belarusian and "Фота: Anna" in belarusian


def test_a_translation_is_out_of_date_once_its_original_s_photo_has_another_file_or_credit(bilingual):
    site, _ = site_of(bilingual)
    picket = next(event for event in site.events if event.id == "picket")
    from dataclasses import replace

    from explainer.model import words_digest

    other_file = replace(picket, photos=(replace(picket.photos[0], src="images/b.png"),))
    other_credit = replace(picket, photos=(replace(picket.photos[0], credit="Anna"),))
    assert len({words_digest(picket), words_digest(other_file), words_digest(other_credit)}) == 3


@pytest.mark.parametrize("src, message", [
    ("images/missing.png", 'src "images/missing.png": no such file in assets/'),
    ("../data/site.yaml", 'src "../data/site.yaml" must be a path inside assets/, such as images/warsaw.jpg'),
    ("images/notes.txt", 'src "images/notes.txt" is not a photo: use a JPEG, PNG, WebP or GIF file'),
])
def test_a_translation_s_own_file_of_a_photo_is_checked_as_the_original_s_are(bilingual, src, message):
    (bilingual / "assets" / "images" / "notes.txt").write_text("not a picture")
    with_own_file(bilingual, src)
    lines = problem_lines(bilingual)
    assert any(line.startswith(f'content/events/picket.be.md:9:10: error: translation "be": photo 1: {message}')
               for line in lines), lines


def test_new_translation_says_a_photo_may_have_a_file_of_its_own(bilingual):
    (bilingual / "content" / "events" / "picket.be.md").unlink()
    assert run(bilingual, "new", "translation", "content/events/picket.md", "be").returncode == 0
    text = (bilingual / "content" / "events" / "picket.be.md").read_text()
    assert ('  - alt: ""\n    caption: ""\n    # src: images/a.png  # the original\'s file: give one of your own if its '
            "picture has words in it\n") in text


def test_new_translation_scaffolds_the_original_to_translate_from(bilingual):
    untold = digest_of(bilingual, "untold")
    wrong = run(bilingual, "new", "translation", "content/about.md", "fr")
    assert wrong.returncode == 2 and "is not one of the site's other languages (be)" in wrong.stderr
    assert run(bilingual, "new", "translation", "content/about.md", "be").returncode == 1  # there already
    result = run(bilingual, "new", "translation", "data/events/2021.yaml", "be")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("added 1 events to data/events/2021.be.yaml:")
    text = (bilingual / "data" / "events" / "2021.be.yaml").read_text()
    assert f"untold:\n  translated_from: {untold}" in text
    assert "  # title: Untold\n  title: \"\"\n" in text and "  # summary: Not translated.[@paper-one]\n" in text
    lines = problem_lines(bilingual)
    assert lines == ['data/events/2021.be.yaml:9:10: error: translation "be" of event "untold": title is empty',
                     'data/events/2021.be.yaml:11:12: error: translation "be" of event "untold": summary is empty']


def test_new_translation_is_not_held_up_by_errors_elsewhere_in_the_site(bilingual):
    """A scaffolded translation is an error until it is filled in: starting another must still work."""
    (bilingual / "content" / "about.be.md").unlink()
    (bilingual / "content" / "events" / "picket.be.md").unlink()
    first = run(bilingual, "new", "translation", "content/about.md", "be")
    assert first.returncode == 0, first.stderr
    assert any(": error: " in line for line in problem_lines(bilingual))  # its title, still empty
    second = run(bilingual, "new", "translation", str(bilingual / "content" / "events" / "picket.md"), "be")
    assert (second.returncode, second.stderr) == (0, "")
    assert (bilingual / "content" / "events" / "picket.be.md").is_file()


@pytest.mark.parametrize("original, said", [
    ("content/events/picket.be.md", "content/events/picket.be.md is a translation: name the file it translates, "
                                    "content/events/picket.md"),
    ("data/sources.yaml", "data/sources.yaml holds no event or page of the site to translate (those are content/*.md, "
                          "content/events/*.md and data/events/*.yaml)"),
    ("/etc/hostname", "/etc/hostname holds no event or page of the site to translate (those are content/*.md, "
                      "content/events/*.md and data/events/*.yaml)"),
])
def test_new_translation_of_what_is_no_original_says_what_is(bilingual, original, said):
    result = run(bilingual, "new", "translation", original, "be")
    assert (result.returncode, result.stderr) == (2, f"build.py new: error: {said}\n")


# Dates in the reader's language -----------------------------------------------------------------------------------------

BELARUSIAN = {"d MMMM y": "d MMMM y 'г'.", "LLLL y": "LLLL y 'г'.", "MMMM y": "MMMM y 'г'.", "y": "y 'г'.",
              "late {month}": "канец {month_genitive}", "after {date}": "пасля {date_genitive}",
              "between {first} and {last}": "у прамежку ад {first_genitive} да {last_genitive}"}


@pytest.mark.parametrize("date, flags, english, belarusian", [
    ("2021-11-04", {}, "4 November 2021", "4 лістапада 2021 г."),
    ("2021-11", {}, "November 2021", "лістапад 2021 г."),
    ("2021-10-21/2021-10-31", {}, "late October 2021", "канец кастрычніка 2021 г."),
    ("2021-12/2022-01", {}, "between December 2021 and January 2022", "у прамежку ад снежня 2021 г. да студзеня 2022 г."),
    ("2021-03", {"after": True}, "after March 2021", "пасля сакавіка 2021 г."),
])
def test_a_date_reads_in_each_language_with_the_case_its_phrase_needs(date, flags, english, belarusian):
    when = parse_when(date, **flags)
    assert when.label() == english
    assert when.label(words=DateWords("be", lambda message: BELARUSIAN.get(message, message))) == belarusian


def test_every_catalogue_keeps_the_places_the_search_box_fills_in():
    """PagefindUI puts the count and the query in its messages where they say [COUNT] and [SEARCH_TERM]
    (templates/search.html): a translation without one would leave it out, one with another would show it as it is."""
    import re

    from babel.messages.pofile import read_po

    places = re.compile(r"\[[A-Z_]+\]")
    catalogues = sorted((REPO / "templates" / "locales").glob("*/LC_MESSAGES/messages.po"))
    assert catalogues
    for path in catalogues:
        with path.open("rb") as file:
            messages = [message for message in read_po(file) if isinstance(message.id, str) and places.search(message.id)]
        assert len(messages) >= 4, path
        for message in messages:
            assert message.string and sorted(places.findall(message.string)) == sorted(places.findall(message.id)), \
                (path.as_posix(), message.id, message.string)


# The site in each language ----------------------------------------------------------------------------------------------

PAGES = ["index.html", "events/picket/index.html", "events/letter/index.html", "events/untold/index.html", "about/index.html",
         "sources/index.html", "tags/index.html", "updates/index.html", "search/index.html", "404.html"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The bilingual site, built once with its search indexes (the tests below only read it)."""
    from conftest import BASE_FILES, add_theme, write_files

    def make_site(files: dict) -> Path:  # as the `make_site` fixture, for a site the module's tests share
        root = tmp_path_factory.mktemp("bilingual") / "site"
        write_files(root, {**BASE_FILES, **files})
        add_theme(root)
        return root

    root = make_bilingual(make_site)
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    return root / "_site"


def read(out: Path, path: str) -> str:
    return (out / path).read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_in_both_languages_with_its_language_alternates_and_switcher(built, path):
    address = "/" + path.removesuffix("index.html")
    english, belarusian = read(built, path), read(built, "be/" + path)
    assert '<html lang="en">' in english and '<html lang="be">' in belarusian
    if path != "404.html":  # not indexed: no canonical address, no alternates
        for page in (english, belarusian):
            assert f'<link rel="alternate" hreflang="en" href="https://example.org{address}">' in page
            assert f'<link rel="alternate" hreflang="be" href="https://example.org/be{address}">' in page
            assert f'<link rel="alternate" hreflang="x-default" href="https://example.org{address}">' in page
    # The switcher leads to the same page in the other language, named in that language.
    assert f'<a href="/be{address}" hreflang="be" lang="be">Беларуская</a>' in english
    assert f'<a href="{address}" hreflang="en" lang="en">English</a>' in belarusian


@pytest.mark.slow
def test_an_untranslated_event_is_shown_in_english_marked_as_such_in_a_belarusian_interface(built):
    page = read(built, "be/events/untold/index.html")
    assert '<h1 lang="en">Untold</h1>' in page
    assert '<p class="translation-note" data-pagefind-ignore>Яшчэ не перакладзена: паказана па-англійску</p>' in page
    assert '<p class="lede" lang="en">Not translated.' in page
    # its marker's name for screen readers is in the page's language, and says so within the English text
    marker = re.search(r'<p class="lede" lang="en">Not translated\.<sup class="cite"[^>]*>&#8288;<a [^>]*>', page)[0]
    assert 'aria-label="Крыніца 1" lang="be">' in marker
    assert 'aria-label="Крыніца 1">' in read(built, "be/events/picket/index.html")  # translated: no language of its own
    assert '<h2 id="notes-title">Крыніцы</h2>' in page and '<time datetime="2021-09">Верасень 2021 г.</time>' in page
    home = read(built, "be/index.html")  # its card: the title in English, said to be so
    assert '<a href="/be/events/untold/" lang="en">Untold</a>' in home and '<span class="lang-note">(па-англійску)</span>' in home
    assert '<a href="/be/events/picket/">Пікет у Варшаве</a>' in home
    english = read(built, "events/untold/index.html")
    main = english.split("<main")[1].split("</main>")[0]
    assert "translation-note" not in main and ' lang="en"' not in main


@pytest.mark.slow
def test_links_to_an_untranslated_event_say_its_title_is_in_english(built):
    letter = read(built, "be/events/letter/index.html")  # its neighbours: "Untold" before, the picket after
    assert '<span class="pager-label">Папярэдняя</span> <span lang="en">Untold</span></a>' in letter
    assert '<span class="pager-label">Наступная</span> Пікет у Варшаве</a>' in letter
    sources = read(built, "be/sources/index.html")
    assert '<li><a href="/be/events/untold/" lang="en">Untold</a></li>' in sources
    assert '<li><a href="/be/events/letter/">Ліст</a></li>' in sources
    english = read(built, "events/letter/index.html")
    assert '<span class="pager-label">Previous</span> Untold</a>' in english


@pytest.mark.slow
def test_a_translated_event_speaks_belarusian_throughout_with_dates_in_the_genitive(built):
    page = read(built, "be/events/picket/index.html")
    assert "<h1>Пікет у Варшаве</h1>" in page and "Перакладзена з англійскай" in page
    assert '<time datetime="2021-11-04">4 лістапада 2021 г.</time>' in page
    assert '<img src="/images/' in page and 'alt="Пікет"' in page and "Пікет каля будынка" in page
    assert "Фота: Jane" in page and "Дададзена месца." in page and "Абнаўленні і выпраўленні" in page
    assert '<span class="lang">(па-польску)</span>' in page  # the source's language, in Belarusian
    assert '<span class="lang">(in Polish)</span>' in read(built, "events/picket/index.html")
    assert '"inLanguage":"be"' in page and '"url":"https://example.org/be/events/picket/"' in page
    home = read(built, "be/index.html")
    assert "Канец кастрычніка 2021 г." in home  # a range inside the month's last third, at the start of a line
    assert '<h4 id="y2021-11" class="month-heading">Лістапад 2021 г.</h4>' in home
    assert "Перайсці да храналогіі (3 падзеі)" in home and "Go to the timeline (3 events)" in read(built, "index.html")


@pytest.mark.slow
def test_feeds_and_the_calendar_are_made_in_each_language(built):
    atom = read(built, "be/feed.xml")
    assert '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="be">' in atom
    assert "<title>Тэставая храналогія</title>" in atom and '<link rel="self" type="application/atom+xml" href="https://example.org/be/feed.xml"' in atom
    assert "<summary>4 лістапада 2021 г.: Людзі пікетуюць.</summary>" in atom
    assert '<entry xml:lang="en">\n  <id>https://example.org/be/events/untold/</id>' in atom  # not yet translated
    assert "<summary>4 November 2021: People picket.</summary>" in read(built, "feed.xml")
    import json

    feed = json.loads(read(built, "be/feed.json"))
    assert (feed["language"], feed["feed_url"]) == ("be", "https://example.org/be/feed.json")
    assert {item["id"]: item.get("language") for item in feed["items"]}["https://example.org/be/events/untold/"] == "en"
    calendar = read(built, "be/calendar.ics")
    assert "X-WR-CALNAME:Тэставая храналогія" in calendar and "URL:https://example.org/be/events/picket/" in calendar
    updates = read(built, "be/updates/feed.xml")
    assert "<title>Абнаўленне: Пікет у Варшаве</title>" in updates


@pytest.mark.slow
def test_each_language_has_its_own_search_index(built):
    import json

    assert json.loads(read(built, "pagefind/pagefind-entry.json"))["languages"].keys() == {"en"}
    assert json.loads(read(built, "be/pagefind/pagefind-entry.json"))["languages"].keys() == {"be"}
    assert 'data-bundle="/be/pagefind/shards/"' in read(built, "be/search/index.html")
    assert 'href="/be/pagefind/pagefind-ui.css"' in read(built, "be/search/index.html")
    # fetched as the page loads: the API the box reads (its data-bundle), and Pagefind's, which that imports
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', read(built, "be/search/index.html"))
    assert preloaded == ["/be/pagefind/shards/pagefind.js", "/be/pagefind/pagefind.js"]
    assert 'from"../pagefind.js"' in read(built, "be/pagefind/shards/pagefind.js")
    assert (built / "be/pagefind/pagefind.js").is_file()


@pytest.mark.slow
def test_the_sitemap_lists_each_page_in_each_language_with_alternates(built):
    sitemap = read(built, "sitemap.xml")
    assert 'xmlns:xhtml="http://www.w3.org/1999/xhtml"' in sitemap
    entry = sitemap.split("<loc>https://example.org/be/events/picket/</loc>")[1].split("</url>")[0]
    assert '<xhtml:link rel="alternate" hreflang="en" href="https://example.org/events/picket/" />' in entry
    assert '<xhtml:link rel="alternate" hreflang="be" href="https://example.org/be/events/picket/" />' in entry
    assert '<xhtml:link rel="alternate" hreflang="x-default" href="https://example.org/events/picket/" />' in entry
    assert "<loc>https://example.org/events/picket/</loc>" in sitemap
    assert "/be/* /be/404.html 404" in read(built, "_redirects").splitlines()


@pytest.mark.slow
def test_an_edit_in_one_language_remakes_only_that_languages_pages(bilingual):
    assert run(bilingual, "build").returncode == 0
    translation = bilingual / "content" / "events" / "picket.be.md"
    translation.write_text(translation.read_text().replace("Людзі пікетуюць.", "Людзі выйшлі на пікет."), encoding="utf-8")
    from explainer.pipeline import build
    from explainer.project import Project

    result = build(Project.at(bilingual))
    pages = [path for path in result.report.written if path.endswith((".html", ".xml", ".json", ".ics"))]
    assert pages and all(path.startswith("be/") for path in pages), pages
    assert "be/events/picket/index.html" in pages


# Updates a translation leaves out ------------------------------------------------------------------------------------


def with_updates_not_translated(root: Path) -> Path:
    """The bilingual site with an update its picket's translation leaves out, and one of an event not translated."""
    entry = root / "content" / "events" / "picket.md"
    entry.write_text(entry.read_text().replace("    text: Added the place.[@paper-one]\n",
                                               "    text: Added the place.[@paper-one]\n  - date: 2021-11-06\n    text: Added the hour.\n"))
    events = root / "data" / "events" / "2021.yaml"
    events.write_text(events.read_text() + "  updates:\n    - date: 2021-09-30\n      text: Checked again.\n")
    return root


def test_an_update_a_translation_leaves_out_is_in_the_original_language_and_the_others_in_their_event_s(bilingual):
    from explainer.languages import in_language

    site, _ = site_of(with_updates_not_translated(bilingual))
    events = {event.id: event for event in in_language(site, "be").events}
    assert [(update.text, update.language) for update in events["picket"].updates] == [
        ("Дададзена месца.[@paper-one]", ""), ("Added the hour.", "en")]
    assert [(update.text, update.language) for update in events["untold"].updates] == [("Checked again.", "")]
    assert events["untold"].language == "en"  # the language of its updates too
    assert all(update.language == "" for event in site.events for update in event.updates)


@pytest.mark.slow
def test_update_texts_in_english_are_marked_so_on_belarusian_pages_and_in_their_feed(bilingual):
    out = with_updates_not_translated(bilingual) / "_site"
    result = run(bilingual, "build")
    assert result.returncode == 0, result.stderr
    picket, untold = read(out, "be/events/picket/index.html"), read(out, "be/events/untold/index.html")
    assert '<strong>Выпраўленне:</strong>' not in picket and 'Абнаўленне:</span> Дададзена месца.<sup' in picket
    assert 'Абнаўленне:</span> <span lang="en">Added the hour.</span></li>' in picket
    assert 'Абнаўленне:</span> <span lang="en">Checked again.</span></li>' in untold
    updates = read(out, "be/updates/index.html")
    assert '<h2><a href="/be/events/picket/#updates-title">Пікет у Варшаве</a></h2>\n      <p lang="en">Added the hour.</p>' in updates
    assert '<h2 lang="en"><a href="/be/events/untold/#updates-title">Untold</a></h2>\n      <p lang="en">Checked again.</p>' in updates
    feed = read(out, "be/updates/feed.xml")
    assert '<content type="html" xml:lang="en">Added the hour.</content>' in feed
    assert '<content type="html">Checked again.</content>' in feed  # its entry says it is in English
    assert '<entry xml:lang="en">\n  <id>https://example.org/be/events/untold/#update-2021-09-30</id>' in feed
    for path in ("events/picket/index.html", "events/untold/index.html", "updates/index.html"):  # all in English
        assert ' lang="en"' not in read(out, path).split("<main")[1].split("</main>")[0], path
    assert read(out, "updates/feed.xml").count("xml:lang=") == 1  # the feed's own


@pytest.mark.slow
def test_the_footer_is_in_each_language_or_marked_as_the_first_s(bilingual):
    settings = bilingual / "data" / "site.yaml"
    settings.write_text(settings.read_text() + "author: The team\nlicense: Text CC BY 4.0\n")
    assert run(bilingual, "build").returncode == 0
    english, untranslated = read(bilingual / "_site", "index.html"), read(bilingual / "_site", "be/index.html")
    assert "<p>Test timeline · The team</p>\n<p>Text CC BY 4.0</p>" in english
    assert ('<p>Тэставая храналогія · <span lang="en">The team</span></p>\n<p lang="en">Text CC BY 4.0</p>'
            in untranslated)
    settings.write_text(settings.read_text().replace(
        "    description: Маленькі сайт для тэстаў.\n",
        "    description: Маленькі сайт для тэстаў.\n    author: Каманда\n    license: Тэкст CC BY 4.0\n"))
    assert run(bilingual, "build").returncode == 0
    assert "<p>Тэставая храналогія · Каманда</p>\n<p>Тэкст CC BY 4.0</p>" in read(bilingual / "_site", "be/index.html")
    assert read(bilingual / "_site", "index.html") == english


@pytest.mark.slow
def test_a_catalogue_that_is_not_utf8_is_an_error_at_its_line_and_the_output_is_left_as_it_was(bilingual):
    assert run(bilingual, "build").returncode == 0
    before = read(bilingual / "_site", "be/index.html")
    catalogue = bilingual / "templates" / "locales" / "be" / "LC_MESSAGES" / "messages.po"
    lines = catalogue.read_bytes().count(b"\n")
    with catalogue.open("ab") as file:
        file.write(b"\xff\xfe\n")
    failed = run(bilingual, "build")
    assert failed.returncode != 0 and "Traceback" not in failed.stderr
    assert (f"templates/locales/be/LC_MESSAGES/messages.po:{lines + 1}:1: error: this file is not UTF-8 text (byte 0xff): "
            "save it as UTF-8") in failed.stderr.splitlines()
    assert read(bilingual / "_site", "be/index.html") == before
