"""Page families: what each page is made of, worked out from the site without rendering it."""
from pathlib import Path

import pytest

from explainer.model import Source
from explainer.pages import SourceEntry, citing_count, group_by_publisher
from explainer.problems import Position
from explainer.render import Fragments, Link, Renderer, load_catalogue

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


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


@pytest.mark.parametrize("language, counts", [
    ("en", ["5 events and 2 pages", "1 event", "2 pages", "1 event and 1 page", "21 events", "12 events and 3 pages"]),
    # Belarusian has three plural forms: 1, 21 (one); 2-4, 22 (few); 5-20, 11-14 (many)
    ("be", ["5 падзей і 2 старонкі", "1 падзея", "2 старонкі", "1 падзея і 1 старонка", "21 падзея", "12 падзей і 3 старонкі"]),
])
def test_what_cites_a_source_is_counted_in_words_of_the_language(language, counts):
    r = Renderer(TEMPLATES, Fragments(False), language=language, catalogue=load_catalogue(TEMPLATES, language))
    assert [citing_count(r, *count) for count in [(5, 2), (1, 0), (0, 2), (1, 1), (21, 0), (12, 3)]] == counts


def test_template_words_are_escaped_and_formatted_as_jinja_does_each_time_they_are_asked(tmp_path):
    """The renderer's own `_` and `ngettext` (no call through the context) give what Jinja's i18n extension gives."""
    (tmp_path / "t.html").write_text("{{ _('100%% sure') }}|{{ _('Hello %(name)s', name=who) }}|{{ _('100%% sure') }}|"
                                     "{{ ngettext('%(num)d source', '%(num)d sources', n) }}|"
                                     "{{ _('Note %(n)s of %(m)d, 100%%', n=n, m=n + 1) }}|{{ _('Note %(n)s', n=who) }}")
    renderer = Renderer(tmp_path, Fragments(False))
    template = renderer.env.get_template("t.html")
    assert template.render(who="<b>", n=1) == "100% sure|Hello &lt;b&gt;|100% sure|1 source|Note 1 of 2, 100%|Note &lt;b&gt;"
    assert template.render(who="A & B", n=3) == "100% sure|Hello A &amp; B|100% sure|3 sources|Note 3 of 4, 100%|Note A &amp; B"


def test_a_fixed_message_is_compiled_in_as_its_translation_and_reads_as_the_catalogue_gives_it(tmp_path):
    (tmp_path / "t.html").write_text("{{ _('Sources') }}|{{ _('A & <b>') }}|{{ _('100%% sure') }}|{% set x = _('Sources') %}"
                                     "{{ x|length }}|{{ site._('Sources') }}")
    site = {"_": lambda message: "attribute, not the catalogue"}
    renderer = Renderer(tmp_path, Fragments(False), language="be", catalogue=load_catalogue(TEMPLATES, "be"))
    code = renderer.env.compile("<h2>{{ _('Sources') }}</h2>", raw=True)
    assert "<h2>Крыніцы</h2>" in code and "context.call" not in code  # the page's text: no call as it renders
    # as Jinja's i18n would give them: a translation is markup (not escaped), `%%` is one `%`
    assert renderer.env.get_template("t.html").render(site=site) == "Крыніцы|A & <b>|100% sure|7|attribute, not the catalogue"


def test_a_template_that_binds_the_name_underscore_has_its_messages_asked_for_as_it_renders(tmp_path):
    (tmp_path / "t.html").write_text("{{ _('Sources') }}{% for _ in [1] %}{% endfor %}")
    (tmp_path / "u.html").write_text("{% set _ = shout %}{{ _('Sources') }}")
    renderer = Renderer(tmp_path, Fragments(False), language="be", catalogue=load_catalogue(TEMPLATES, "be"))
    assert renderer.env.get_template("t.html").render() == "Крыніцы"
    assert renderer.env.get_template("u.html").render(shout=str.upper) == "SOURCES"


def test_templates_compiled_in_one_language_are_never_read_from_the_bytecode_cache_in_another(tmp_path):
    import jinja2

    (tmp_path / "t.html").write_text("{{ _('Sources') }}")
    bytecode = jinja2.FileSystemBytecodeCache(str(tmp_path))
    made = {language: Renderer(tmp_path, Fragments(False), bytecode, language=language,
                               catalogue=load_catalogue(TEMPLATES, language)).env.get_template("t.html").render()
            for language in ("en", "be", "en")}
    assert made == {"en": "Sources", "be": "Крыніцы"}
    assert len(list(tmp_path.glob("__jinja2_*"))) == 2  # one compiled template per language
    again = Renderer(tmp_path, Fragments(False), bytecode, language="be", catalogue=load_catalogue(TEMPLATES, "be"))
    assert again.env.get_template("t.html").render() == "Крыніцы"


def test_page_keys_are_the_same_worked_out_on_several_processes_as_on_one():
    from explainer.pipeline import PARALLEL_KEYS_FROM, _page_keys
    from explainer.pages import PlannedPage, redirects_file, RedirectsInputs

    pages = [PlannedPage(f"p{number}/index.html", redirects_file, RedirectsInputs((f"/a{number} /b 301",)))
             for number in range(PARALLEL_KEYS_FROM + 150)]
    keys = _page_keys(pages, "v1", 2)
    assert keys == [page.key("v1") for page in pages]
    assert len(set(keys)) == len(pages)
