"""Rendering in a language: Markdown's links and citations filled in, sources written as the templates write them."""
from pathlib import Path

import pytest

from explainer.dates import parse_date, parse_when
from explainer.model import Event, Source
from explainer.problems import Position
from explainer.render import Card, Fragments, Refs, Renderer, load_catalogue

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
HERE = Position("data/events/2021.yaml")


def renderer(language: str) -> Renderer:
    return Renderer(TEMPLATES, Fragments(False), language=language, catalogue=load_catalogue(TEMPLATES, language))


def event(event_id: str, date: str, title: str) -> Event:
    return Event(event_id, parse_when(date), title, "It happened.", ("paper",), HERE, language="", root="")


def source(**fields) -> Source:
    given = {"title": "The first report", "publisher": "Daily Paper", "url": "https://example.com/one", **fields}
    return Source("paper", position=Position("data/sources.yaml"), **given)


def resolved(r: Renderer, text: str, *events: Event) -> str:
    refs = Refs(events, [source()])
    return str(r.resolve(r.inline(text), refs, r.notes(refs, r.language)))


@pytest.mark.parametrize("language, date, shown", [
    ("en", "2021-09-12", '<time datetime="2021-09-12">12 September 2021</time>.'),
    ("be", "2021-09-12", '<time datetime="2021-09-12">12 верасня 2021 г.</time>'),
    ("be", "2021-11", '<time datetime="2021-11">лістапад 2021 г.</time>'),
])
def test_a_sentence_that_ends_with_a_link_to_an_event_ends_with_one_full_stop(language, date, shown):
    """A Belarusian date ends in "г.", which also ends the sentence: its own full stop after it would double it."""
    detained = event("detained", date, "Detained")
    assert resolved(renderer(language), "See [[detained]].", detained) == (
        f'See <a class="event-ref" href="/events/detained/">Detained</a>, {shown}')


def test_in_text_not_yet_translated_a_link_s_date_and_a_marker_s_name_say_they_are_in_the_page_s_language():
    """English text on a Belarusian page: screen readers read it in an English voice, but for what the page adds in
    Belarusian, which says so."""
    detained = event("detained", "2021-09-12", "Detained")
    r = renderer("be")
    refs = Refs([detained], [source()])
    english = str(r.resolve(r.inline("See [[detained]].[@paper]"), refs, r.notes(refs, "be"), language="en"))
    assert english.startswith('See <a class="event-ref" href="/events/detained/">Detained</a>, '
                              '<time datetime="2021-09-12" lang="be">12 верасня 2021 г.</time><sup class="cite"')
    assert 'aria-label="Крыніца 1" lang="be">1</a>' in english
    translated = str(r.resolve(r.inline("See [[detained]].[@paper]"), refs, r.notes(refs, "be"), language="be"))
    assert ' lang="' not in translated and translated == str(resolved(r, "See [[detained]].[@paper]", detained))


def test_in_english_on_a_page_read_from_right_to_left_what_the_page_adds_also_says_which_way_it_reads():
    """In Arabic, a date or a marker's name set apart within English text reads from right to left, and the title of
    an English event linked from Arabic text from left to right: each also keeps its place in the line around it."""
    import dataclasses

    detained = event("detained", "2021-09-12", "Detained")
    r = renderer("ar")
    refs = Refs([detained], [source()])
    english = str(r.resolve(r.inline("See [[detained]].[@paper]"), refs, r.notes(refs, "ar"), language="en"))
    assert '<time datetime="2021-09-12" lang="ar" dir="rtl">' in english and ' lang="ar" dir="rtl">1</a>' in english
    untranslated = dataclasses.replace(detained, language="en")
    arabic = str(r.resolve(r.inline("انظر [[detained]].[@paper]"), Refs([untranslated], [source()]), r.notes(refs, "ar")))
    assert arabic.startswith('انظر <a class="event-ref" href="/events/detained/" lang="en" dir="ltr">Detained</a>, <time ')


@pytest.mark.parametrize("code, around, attributes", [
    ("en", "ar", ' lang="en" dir="ltr"'), ("ar", "en", ' lang="ar" dir="rtl"'), ("he", "fa", ' lang="he"'),
    ("en", "be", ' lang="en"'), ("az-Arab", "az", ' lang="az-Arab" dir="rtl"'), ("ur", "pa-Arab", ' lang="ur"'),
    ("xx", "en", ' lang="xx"'),  # a code CLDR does not know reads as most do
    ('x"><script>', "en", ' lang="x&quot;&gt;&lt;script&gt;"'),  # never let through validation, escaped anyway
])
def test_text_in_another_language_is_marked_with_its_direction_where_it_reads_the_other_way(code, around, attributes):
    from explainer.languages import language_attributes

    assert language_attributes(code, around) == attributes


def test_a_card_of_an_event_not_yet_translated_marks_the_date_of_a_link_in_its_summary_as_the_page_s_language():
    import dataclasses

    detained = event("detained", "2021-09-12", "Detained")
    untold = dataclasses.replace(event("untold", "2021-09", "Untold"), summary="See [[detained]].", language="en")
    card = str(renderer("be").card(Card(untold, (detained,), (source(),)), 3))
    assert '<p class="event-summary" lang="en">See <a class="event-ref" href="/events/detained/">Detained</a>, ' \
           '<time datetime="2021-09-12" lang="be">12 верасня 2021 г.</time></p>' in card


def test_a_date_that_ends_in_a_full_stop_keeps_what_follows_it_but_a_full_stop():
    detained = event("detained", "2021-09-12", "Detained")
    r = renderer("be")
    date = '<time datetime="2021-09-12">12 верасня 2021 г.</time>'
    assert resolved(r, "See [[detained]]; then.", detained).endswith(f"{date}; then.")
    assert resolved(r, "See ([[detained]]).", detained).endswith(f"{date}).")
    assert resolved(r, "See [[detained]]...", detained).endswith(f"{date}..")  # an ellipsis: the date's stop is its first


@pytest.mark.parametrize("language, fields, ending", [
    ("en", {"date": parse_date("2021-10-28")}, '<time datetime="2021-10-28">28 October 2021</time>.'),
    ("be", {"date": parse_date("2021-10-28")}, '<time datetime="2021-10-28">28 кастрычніка 2021 г.</time>'),
    ("be", {"date": parse_date("2021-10")}, '<time datetime="2021-10">кастрычнік 2021 г.</time>'),
    ("be", {"date": parse_date("2021"), "language": "pl"},
     '<time datetime="2021">2021 г.</time> <span class="lang">(па-польску)</span>.'),
])
def test_a_source_whose_line_ends_with_its_date_ends_with_one_full_stop(language, fields, ending):
    line = str(renderer(language).source_line(source(**fields), language))
    assert line.split("\n")[1] == f'<span class="publisher">Daily Paper</span>, {ending}'


def test_a_date_seen_on_a_source_ends_its_sentence_with_one_full_stop():
    line = str(renderer("be").source_line(source(accessed=parse_date("2021-11-04")), "be"))
    assert line.endswith('<time datetime="2021-11-04">4 лістапада 2021 г.</time></span>')
    english = str(renderer("en").source_line(source(accessed=parse_date("2021-11-04")), "en"))
    assert english.endswith('<span class="accessed">Accessed <time datetime="2021-11-04">4 November 2021</time>.</span>')


# A title from the page's address, and what an editor notes of a source ------------------------------------------------


def from_address(**fields) -> Source:
    return source(**{"language": "pl", "url": "https://example.pl/zatrzymany-w-piasecznie",
                     "title": "Zatrzymany w Piasecznie (title from the address)", **fields})


@pytest.mark.parametrize("language, lang, mark, said", [
    ("en", ' lang="pl"', "(title from the address)", "(in Polish)"),
    ("be", ' lang="pl"', "(назва ўзята з адраса)", "(па-польску)"),
    ("pl", "", "(title from the address)", ""),
])
def test_the_mark_of_a_title_from_the_address_is_in_the_page_s_language_outside_the_source_s_title(language, lang, mark, said):
    """The words before the mark are the source's (in its language); the mark is the site's, which no `lang` of the
    source's may claim."""
    line = str(renderer(language).source_line(from_address(), language)).split("\n")
    assert line[0] == (f'<cite{lang}><a href="https://example.pl/zatrzymany-w-piasecznie" hreflang="pl">Zatrzymany w Piasecznie'
                       f'</a></cite> {mark},')
    assert line[1] == '<span class="publisher">Daily Paper</span>' + (f' <span class="lang">{said}</span>.' if said else ".")


def test_a_title_that_is_not_from_the_address_is_the_source_s_own_whole():
    line = str(renderer("be").source_line(source(language="pl", title="Wszystko (o adresie)"), "be"))
    assert line.startswith('<cite lang="pl"><a href="https://example.com/one" hreflang="pl">Wszystko (o adresie)</a></cite>,\n')
    assert not source(title="The address (title from the address) read again").title_from_address


def main_of(page: bytes) -> str:
    return page.decode().split("<main")[1].split("</main>")[0]


def chrome(language: str):
    """What surrounds the pages of a small site in English and Belarusian, in `language`."""
    from explainer.model import Language, Settings
    from explainer.render import Chrome

    settings = Settings("Test timeline", "A small site.", "https://example.org", languages=(Language("be", "Тэст", "Тэст"),))
    return Chrome(settings.in_language(language), (), (("css/site.css", "/site.css"), ("favicon.svg", "/favicon.svg")), False)


@pytest.mark.parametrize("language, mark", [("en", "(title from the address)"), ("be", "(назва ўзята з адраса)")])
def test_a_source_s_own_page_heads_it_with_its_title_in_its_language_and_the_mark_in_the_page_s(language, mark):
    from explainer.pages import SourceInputs, source_page

    def heading(cited: Source) -> str:
        return main_of(source_page(renderer(language), SourceInputs(chrome(language), cited, (), 1, 1)))

    assert f'<h1><span lang="pl">Zatrzymany w Piasecznie</span> {mark}</h1>' in heading(from_address())
    assert '<h1 lang="pl">Wszystko</h1>' in heading(source(language="pl", title="Wszystko"))


def test_an_editor_s_note_on_a_source_is_marked_as_in_the_site_s_first_language_on_the_pages_of_the_others():
    """Notes are written in data/sources.yaml, in the site's first language, and no translation gives them."""
    from explainer.pages import SourceEntry, SourcesInputs, group_by_publisher, sources_page

    groups = group_by_publisher([SourceEntry(from_address(note="Headline not seen"), (), 0, None, 0)])
    page = {language: main_of(sources_page(renderer(language), SourcesInputs(chrome(language), groups, 1, 1)))
            for language in ("en", "be")}
    assert '<p class="source-note" lang="en">Headline not seen</p>' in page["be"]
    assert '<p class="source-note">Headline not seen</p>' in page["en"]


# Templates and catalogues that cannot be read ---------------------------------------------------------------------------


def test_a_template_that_is_not_utf8_is_an_error_at_its_first_bad_byte(tmp_path):
    from explainer.render import unreadable_templates

    (tmp_path / "templates" / "sub").mkdir(parents=True)
    (tmp_path / "templates" / "good.html").write_text("<p>fine</p>\n")
    (tmp_path / "templates" / "sub" / "bad.html").write_bytes(b"<p>one</p>\n<p>\xff\xfe</p>\n")
    (tmp_path / "templates" / ".bad.html.swp").write_bytes(b"\xff")  # an editor's, not a template
    assert [str(problem) for problem in unreadable_templates(tmp_path / "templates")] == [
        "templates/sub/bad.html:2:4: error: this file is not UTF-8 text (byte 0xff): save it as UTF-8"]


def test_a_template_that_is_not_utf8_is_an_error_when_it_loads_whatever_its_name(tmp_path):
    from explainer.problems import ContentErrors

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.html").write_text('{% include "part.txt" %}')
    (tmp_path / "templates" / "part.txt").write_bytes(b"ok\n\xc3(")
    with pytest.raises(ContentErrors) as errors:
        Renderer(tmp_path / "templates", Fragments(False)).env.get_template("t.html").render()
    assert [str(problem) for problem in errors.value.problems] == [
        "templates/part.txt:2:1: error: this file is not UTF-8 text (byte 0xc3): save it as UTF-8"]


def catalogue_problems(tmp_path: Path, text: bytes) -> list[str]:
    """The problems of the Belarusian catalogue of the repository with `text` at its end, as load_catalogue says them."""
    from explainer.problems import ContentErrors
    from explainer.render import catalogue_path

    path = catalogue_path(tmp_path / "templates", "be")
    path.parent.mkdir(parents=True)
    path.write_bytes(catalogue_path(TEMPLATES, "be").read_bytes() + text)
    with pytest.raises(ContentErrors) as errors:
        load_catalogue(tmp_path / "templates", "be")
    return [str(problem) for problem in errors.value.problems]


def first_added_line() -> int:
    """The line of the text `catalogue_problems` adds at the end of the catalogue."""
    from explainer.render import catalogue_path

    return catalogue_path(TEMPLATES, "be").read_bytes().count(b"\n") + 1


PO = "templates/locales/be/LC_MESSAGES/messages.po"


def test_a_catalogue_that_is_not_utf8_is_an_error_at_its_first_bad_byte(tmp_path):
    assert catalogue_problems(tmp_path, b'msgid "x"\nmsgstr "\xff\xfe"\n') == [
        f"{PO}:{first_added_line() + 1}:9: error: this file is not UTF-8 text (byte 0xff): save it as UTF-8"]


@pytest.mark.parametrize("text, line, col, message", [
    (b'msgid "unterminated\nmsgstr "x"\n', 0, 7, 'this text has no closing quote ("): end it with one (a quote inside it is written \\")'),
    (b'msgid "a\\"\nmsgstr "b"\n', 0, 7, "this text has no closing quote"),
    (b'  garbage here\n', 0, 3, "gettext cannot read this line: a line is a comment"),
    (b'msgid "a"\nmsgstr[x] "y"\n', 1, 1, "gettext cannot read this line"),
])
def test_a_catalogue_line_gettext_cannot_read_is_an_error_at_it(tmp_path, text, line, col, message):
    """Babel would read each of these as something else, or leave it out with a word on the console only."""
    assert catalogue_problems(tmp_path, text)[0].startswith(f"{PO}:{first_added_line() + line}:{col}: error: {message}")


def test_a_catalogue_whose_plural_forms_cannot_be_read_is_an_error_at_its_header(tmp_path):
    from explainer.problems import ContentErrors
    from explainer.render import catalogue_path

    path = catalogue_path(tmp_path / "templates", "be")
    path.parent.mkdir(parents=True)
    text = catalogue_path(TEMPLATES, "be").read_text(encoding="utf-8")
    path.write_text(text.replace("plural=(n%10==1 &&", "plural=(n%10==1 &&&"), encoding="utf-8")
    with pytest.raises(ContentErrors) as errors:
        load_catalogue(tmp_path / "templates", "be")
    [problem] = errors.value.problems
    line = next(number for number, line in enumerate(text.split("\n"), start=1) if "Plural-Forms:" in line)
    assert str(problem).startswith(f"{PO}:{line}:2: error: the catalogue's header cannot be read: invalid token in plural form")
