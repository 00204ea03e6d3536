"""Page families: what each page is made of, worked out from the site without rendering it."""
from explainer.model import Source
from explainer.pages import SourceEntry, citing_count, group_by_publisher
from explainer.problems import Position
from explainer.render import Link


def entry(source_id: str, publisher: str, citers: int = 1) -> SourceEntry:
    source = Source(source_id, f"Report {source_id}", publisher, f"https://example.com/{source_id}", Position("data/sources.yaml"))
    links = tuple(Link(f"/events/e{n}/", f"Event {n}") for n in range(citers))
    return SourceEntry(source, links, citers, None, citers)


def test_sources_are_grouped_under_their_publisher_in_the_order_given_names_that_differ_in_case_as_one():
    groups = group_by_publisher([entry("a", "AeroTime"), entry("b", "Belsat"), entry("c", "belsat"), entry("d", "RMF24")])
    assert [(group.publisher, [e.source.id for e in group.entries], group.continued) for group in groups] == [
        ("AeroTime", ["a"], False), ("Belsat", ["b", "c"], False), ("RMF24", ["d"], False)]


def test_a_page_that_begins_with_the_publisher_the_page_before_ended_with_says_it_continues_its_list():
    entries = [entry("b", "Belsat"), entry("d", "RMF24")]
    assert [group.continued for group in group_by_publisher(entries, before="BELSAT")] == [True, False]
    assert [group.continued for group in group_by_publisher(entries, before="AeroTime")] == [False, False]
    assert group_by_publisher([]) == ()


def test_what_cites_a_source_is_counted_in_words():
    assert citing_count(5, 2) == "5 events and 2 pages"
    assert citing_count(1, 0) == "1 event"
    assert citing_count(0, 2) == "2 pages"
    assert citing_count(1, 1) == "1 event and 1 page"
