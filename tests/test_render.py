"""Rendering in a language: Markdown's links and citations filled in, sources written as the templates write them."""
from pathlib import Path

import pytest

from explainer.dates import parse_date, parse_when
from explainer.model import Event, Source
from explainer.problems import Position
from explainer.render import Fragments, Refs, Renderer, load_catalogue

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
HERE = Position("data/events/2021.yaml")


def renderer(language: str) -> Renderer:
    return Renderer(TEMPLATES, Fragments(False), language=language, catalogue=load_catalogue(TEMPLATES, language))


def event(event_id: str, date: str, title: str) -> Event:
    return Event(event_id, parse_when(date), title, "It happened.", ("paper",), HERE, language="", root="")


def source(**fields) -> Source:
    return Source("paper", "The first report", "Daily Paper", "https://example.com/one", Position("data/sources.yaml"), **fields)


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
