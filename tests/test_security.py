"""Hostile content and files: nothing an editor writes runs in a reader's browser, nothing outside the site folder
is read, and no input or request ends in a traceback."""
import html
import json
import os
import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from explainer import markup
from explainer.pipeline import Project, build
from explainer import serve
from explainer.serve import Preview, preview_app

pytestmark = pytest.mark.slow  # whole builds of fixture sites

REPO = Path(__file__).resolve().parent.parent

# Spellings of script addresses that filters have been known to miss (after the OWASP XSS Filter Evasion Cheat Sheet):
# character references with and without semicolons, leading zeros, hex in either case, named references, tabs,
# newlines and control characters inside or before the scheme, other script schemes and data: pages.
SCRIPT_ADDRESSES = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "&#106;avascript:alert(1)",
    "&#106avascript:alert(1)",
    "&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1)",
    "&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)",
    "&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)",
    "&#X6A;avascript:alert(1)",
    "&#x000006A;avascript:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "jav&#x0A;ascript:alert(1)",
    "jav&#x0D;ascript:alert(1)",
    "jav&#9;ascript:alert(1)",
    "jav&Tab;ascript:alert(1)",
    "jav&NewLine;ascript:alert(1)",
    "javascript&colon;alert(1)",
    "&#14;javascript:alert(1)",
    "&#x20;javascript:alert(1)",
    "&#x01;&#x02;javascript:alert(1)",
    "javascript://%0Aalert(1)",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "livescript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,%3Cscript%3Ealert(1)%3C/script%3E",
    "d&#97;ta:text/html,%3Cscript%3Ealert(1)%3C/script%3E",
]
# The same addresses as a Markdown text writes them: inline links and images, in angle brackets, with a title, and
# reference-style definitions.
MARKDOWN_LINKS = ([f"[link {n}]({address})" for n, address in enumerate(SCRIPT_ADDRESSES)]
                  + [f"![image {n}]({address})" for n, address in enumerate(SCRIPT_ADDRESSES[:4])]
                  + ["[angle](<javascript:alert(1)>)", '[titled](javascript:alert(1) "a title")',
                     "[spaced](   javascript:alert(1))", "[reference][r1]", "[entity reference][r2]"])
REFERENCE_DEFINITIONS = "[r1]: javascript:alert(1)\n[r2]: &#x6A;avascript:alert(1)\n"
RAW_HTML = [
    '<a href="javascript:alert(1)">a</a>',
    '<a href="&#14;javascript:alert(1)">b</a>',
    '<a href="jav\tascript:alert(1)">c</a>',
    '<a href=" &#x6A;avascript:alert(1)">d</a>',
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<form action=javascript:alert(1)><button>e</button></form>",
    '<object data="javascript:alert(1)"></object>',
    '<math><a xlink:href="javascript:alert(1)">f</a></math>',
    "<details open ontoggle=alert(1)>g</details>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">h</a>',
    "<p style=\"background:url('javascript:alert(1)')\">i</p>",
]

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "cite", "background", "xlink:href",
                  "ping", "manifest", "codebase", "longdesc", "lowsrc", "dynsrc"}
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:")


def read_as_a_browser(url: str) -> str:
    """A URL attribute's value as a browser reads it once its references are decoded: control characters and spaces
    around it dropped, tabs and newlines inside it dropped, lower case (the scheme is what matters)."""
    return re.sub(r"[\t\n\r]", "", url.strip("".join(map(chr, range(0x21))))).lower()


class UnsafeMarkup(HTMLParser):
    """Every attribute of an HTML text that could run a script: a URL read as a script address, an event handler,
    a style, and every element that runs or embeds one."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        is_ours = tag == "script" and (attributes.get("type") == "application/ld+json" or (attributes.get("src") or "").startswith("/js/"))
        if tag in ("script", "iframe", "object", "embed", "form", "svg", "math", "style", "base") and not is_ours:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            urls = [part.split()[0] for part in value.split(",") if part.split()] if name == "srcset" else [value]
            if (name in URL_ATTRIBUTES or name == "srcset") and any(read_as_a_browser(u).startswith(SCRIPT_SCHEMES) for u in urls):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=...>")


def unsafe_in_html(text: str) -> list[str]:
    parser = UnsafeMarkup()
    parser.feed(text)
    parser.close()
    return parser.found


def unsafe_in_output(out: Path) -> dict[str, list[str]]:
    """What could run a script in every page and feed of a built site, as browsers and feed readers read them."""
    found: dict[str, list[str]] = {}
    for path in sorted(out.rglob("*")):
        relative = path.relative_to(out).as_posix()
        if path.suffix == ".html":
            found[relative] = unsafe_in_html(path.read_text(encoding="utf-8"))
        elif path.suffix == ".xml" and "feed" in path.name:
            feed = ElementTree.parse(path).getroot()
            texts = [element.text or "" for element in feed.iter() if element.get("type") == "html"]
            links = [element.get("href", "") for element in feed.iter() if element.tag.endswith("link")]
            found[relative] = [issue for text in texts for issue in unsafe_in_html(text)]
            found[relative] += [link for link in links if read_as_a_browser(link).startswith(SCRIPT_SCHEMES)]
        elif path.name == "feed.json":
            items = json.loads(path.read_text())["items"]
            found[relative] = [issue for item in items for issue in unsafe_in_html(item.get("content_html", ""))]
            found[relative] += [item["url"] for item in items if read_as_a_browser(item["url"]).startswith(SCRIPT_SCHEMES)]
    return {page: issues for page, issues in found.items() if issues}


def hostile_site(make_site, *, raw_html: bool) -> Path:
    """A site whose every Markdown text (summaries, bodies, update texts, narrative pages, the introduction) holds
    every hostile spelling, in a YAML event and in a Markdown entry."""
    links = "\n".join(f"- {link}" for link in MARKDOWN_LINKS) + "\n\n" + REFERENCE_DEFINITIONS
    if raw_html:
        links += "\n" + "\n\n".join(RAW_HTML) + "\n"
    summary = " ".join(link for link in MARKDOWN_LINKS if "reference]" not in link)
    settings = "title: Test timeline\ndescription: A small site.\nbase_url: https://example.org\n"
    block = "\n".join("    " + line for line in links.splitlines())
    return make_site({
        "data/site.yaml": settings + ("raw_html: true\n" if raw_html else ""),
        "data/events/2021.yaml": f"""\
- id: yaml-event
  date: 2021-11-04
  title: A YAML event
  summary: {json.dumps(summary + " [@paper-one]")}
  sources: [paper-one]
  body: |
{block}
  updates:
    - date: 2021-11-05
      kind: correction
      text: {json.dumps(summary)}
""",
        "content/events/entry.md": f"---\ndate: 2021-11-05\ntitle: A Markdown entry\nsummary: {json.dumps(summary)}\n"
                                   f"sources: [paper-one]\nrelated: [yaml-event]\n---\n{links}",
        "content/about.md": f"---\ntitle: About\n---\n{links}",
        "content/index.md": f"---\ntitle: Home\n---\n{links}",
    })


@pytest.mark.parametrize("raw_html", [False, True], ids=["markdown", "raw-html"])
def test_no_spelling_of_a_script_address_reaches_a_page_or_a_feed(make_site, raw_html):
    root = hostile_site(make_site, raw_html=raw_html)
    result = build(Project.at(root), search=False)
    out = root / "_site"
    assert unsafe_in_output(out) == {}
    pages = ["index.html", "about/index.html", "events/yaml-event/index.html", "events/entry/index.html", "updates/index.html"]
    for page in pages:  # the texts were published, only their dangerous parts went
        assert "link 3" in (out / page).read_text() or "Updates" in (out / page).read_text()
    assert {"feed.xml", "feed.json", "updates/feed.xml"} <= {p.relative_to(out).as_posix() for p in out.rglob("*")}
    removed = [problem for problem in result.warnings if "address removed" in problem.message]
    assert len(removed) >= 5 * len(SCRIPT_ADDRESSES)  # each text says what it lost


@pytest.mark.parametrize("address", SCRIPT_ADDRESSES)
def test_the_warning_names_exactly_the_links_the_sanitiser_removes(address):
    converter = markup.make_converter(raw_html=False)
    text = f"See [this]({address}) and [that](https://example.org/ok?a=1&b=2)."
    rendered = markup.render_markdown(converter, text)
    assert unsafe_in_html(rendered) == []
    assert 'href="https://example.org/ok?a=1&amp;b=2"' in rendered
    warned = markup.unsafe_links(text)
    if rendered.count("href=") == 1:  # the script link lost its address, the other kept it: the editor is told
        [(written, message)] = warned
        assert written == address
        assert message.startswith(("link to a script address removed", 'link to a "data:" address removed'))
    else:  # Markdown escaped a reference it does not read (`&#106a`): the browser reads a harmless relative link
        assert warned == []


@pytest.mark.parametrize("written, address", [
    ("[the report](http://exa mple.com/report)", "http://exa mple.com/report"),
    ("[the report](<https://news example.org/>)", "https://news example.org/"),
    ("[the report](http://[::1)", "http://[::1"),
])
def test_a_link_the_sanitiser_cannot_read_as_an_address_is_named_where_it_is_lost(written, address):
    converter = markup.make_converter(raw_html=False)
    text = f"See {written} and [the letter](https://example.org/a b) and [the file](/files/my report.pdf)."
    rendered = markup.render_markdown(converter, text)
    assert rendered.count("href=") == 2  # the two others kept theirs: a browser reads a space in a path
    assert markup.unsafe_links(text) == [(address, f'link address removed ("{address}"): a browser cannot read it as an '
                                                   "address (a space, or a character no host name holds?): correct it")]


def test_an_address_taken_as_plainly_readable_is_one_the_sanitiser_keeps():
    # Most links are asked of a pattern, not of the sanitiser: the pattern never says "kept" where it would not be.
    rng = random.Random(7)
    for alphabet in ("abc-.:/?#[]%\\ _é0Z", "a.-0/", "ab-.9/?#", "xyz.-01:/@"):
        for _ in range(20_000):
            address = rng.choice(["https://", "http://"]) + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 16)))
            if markup._PLAIN_ADDRESS.fullmatch(address):
                assert "href=" in markup.sanitize(f'<a href="{html.escape(address)}">x</a>'), address


RAW_TAGS = ("a", "abbr", "b", "blockquote", "img", "span", "ol", "q", "h2", "td", "th", "div", "section", "details",
            "font", "iframe", "script", "style", "video", "form", "button", "svg")
RAW_ATTRIBUTES = ("href", "src", "alt", "title", "lang", "dir", "hreflang", "width", "start", "cite", "colspan", "scope",
                  "class", "id", "style", "onclick", "onerror", "target", "rel", "loading", "data-x")


@pytest.mark.parametrize("tag", RAW_TAGS)
def test_raw_html_is_warned_of_exactly_where_the_sanitiser_cuts_it(tag):
    """Where the site allows raw HTML, an editor is told of each tag the sanitiser leaves out and each attribute it
    cuts, and of nothing it keeps: the warning's allow-list is the sanitiser's."""
    for attribute in RAW_ATTRIBUTES:
        value = "https://example.org/" if attribute in ("href", "src", "cite") else "1"
        written = f'<{tag} {attribute}="{value}">'
        fragment = f"{written}text</{tag}>"
        if tag in ("td", "th"):  # a cell outside a table is no cell to the HTML parser
            fragment = f"<table><tr>{fragment}</tr></table>"
        cleaned = markup.sanitize(fragment)
        kept = f"<{tag}" in cleaned, f" {attribute}=" in cleaned
        warned = markup.removed_html(fragment)
        said = [message for token, message in warned if token == written]
        if not kept[0]:
            assert len(said) == 1 and " is left out" in said[0], (written, cleaned, warned)
        elif not kept[1]:
            assert len(said) == 1 and f"loses its attribute {attribute}:" in said[0], (written, cleaned, warned)
        else:
            assert said == [], (written, cleaned, warned)


def test_safe_links_and_markers_pass_the_sanitiser_untouched():
    converter = markup.make_converter(raw_html=False)
    text = "[a](/events/x/) [b](#note) [c](mailto:desk@example.org) [d](https://example.org) [e](../relative)[@paper, p. 3]"
    assert markup.unsafe_links(text) == []
    rendered = markup.render_markdown(converter, text)
    for href in ("/events/x/", "#note", "mailto:desk@example.org", "https://example.org", "../relative"):
        assert f'href="{href}"' in rendered
    assert '<explainer-ref kind="cite" locator="p. 3" ref="paper"></explainer-ref>' in rendered


def test_a_removed_link_is_a_warning_at_its_line_and_column(make_site, tmp_path):
    root = make_site({
        "content/events/entry.md": "---\ndate: 2021-11-05\ntitle: An entry\nsummary: A summary.[@paper-one]\n"
                                   "sources: [paper-one]\n---\nFirst line.\n\nSee [the letter](&#106;avascript:alert(1)) now.\n",
    })
    result = run(root, "check")
    assert result.returncode == 0
    assert ('content/events/entry.md:9:18: warning: event "entry": link to a script address removed '
            '("&#106;avascript:alert(1)"): a reader\'s browser would run it') in result.stderr.splitlines()
    assert run(root, "check", "--strict").returncode == 1


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), *args], capture_output=True, text=True,
                          timeout=120)


def assert_refused(root: Path, error: str) -> list[subprocess.CompletedProcess]:
    """`check` and `build` each say this one error line alone, and no site is written; what they printed."""
    results = [run(root, command) for command in ("check", "build")]
    for result in results:
        assert (result.returncode, result.stderr.splitlines()) == (1, [error, "1 error"]), result.stderr
    assert not (root / "_site").exists()
    return results


# Nothing outside the site folder ----------------------------------------------------------------------------------------

def jpeg(size=(64, 48), color=(200, 30, 30)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("link, target", [
    ("assets/passwd", "secret.txt"),
    ("assets/images/borrowed.jpg", "picture.jpg"),
    ("content/events/elsewhere.md", "entry.md"),
    ("content/elsewhere.md", "page.md"),
    ("data/events/more.yaml", "events.yaml"),
    ("templates/_extra.html", "template.html"),
    ("assets/shared", "folder"),
])
def test_a_link_out_of_the_site_folder_is_an_error_naming_it_and_nothing_of_it_is_read(make_site, tmp_path, link, target):
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (outside / "picture.jpg").write_bytes(jpeg())
    (outside / "folder" / "inner.css").write_text("body{}")
    (outside / "entry.md").write_text("---\ndate: 2021-11-05\ntitle: Outside\nsummary: From elsewhere.\nsources: [paper-one]\n---\n")
    (outside / "page.md").write_text("---\ntitle: Outside\n---\nFrom elsewhere.\n")
    (outside / "events.yaml").write_text("- id: outside\n  date: 2021\n  title: Outside\n  summary: x\n  sources: [paper-one]\n")
    (outside / "template.html").write_text("secret template")
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nHello.\n"})
    (root / link).parent.mkdir(parents=True, exist_ok=True)
    (root / link).symlink_to(outside / target)
    for result in assert_refused(root, f"{link}:1:1: error: a link to a file or folder outside the site folder, which is "
                                       "never read nor published: put the file itself in the site folder"):
        assert "root:x" not in result.stdout + result.stderr


@pytest.mark.parametrize("path", ["assets/f.png", "assets/css/f.css", "content/events/f.md", "content/f.md",
                                  "data/events/f.yaml", "templates/f.html"])
def test_a_named_pipe_is_an_error_naming_it_and_no_build_waits_on_it(make_site, path):
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nHello.\n"})
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(root / path)  # reading one waits for a writer that never comes
    assert_refused(root, f"{path}:1:1: error: this is a named pipe, not a file, which the build never reads: remove it, "
                         "or put a file in its place")


@pytest.mark.parametrize("link, target", [
    ("assets/env.txt", ".env"), ("assets/git", ".git"), ("assets/cache", ".cache"), ("content/events/x.md", ".drafts/x.md"),
    ("assets", ".hidden-assets"),
])
def test_a_link_to_a_hidden_file_or_folder_of_the_site_is_an_error_and_nothing_of_it_is_published(make_site, link, target):
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nHello.\n", ".env": "SECRET=do-not-publish\n",
                      ".git/config": "SECRET=do-not-publish\n", ".drafts/x.md": "SECRET=do-not-publish\n"})
    if link == "assets":
        (root / "assets").rename(root / target)
    (root / link).parent.mkdir(parents=True, exist_ok=True)
    (root / link).symlink_to(root / target)
    assert_refused(root, f"{link}:1:1: error: a link to a hidden file or folder of the site (its name, or a folder's it is "
                         "in, starts with a dot), which is never read nor published: put the file itself here")


def test_a_link_to_nothing_or_round_a_loop_is_a_warning_and_the_rest_is_built(make_site):
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nHello.\n"})
    (root / "assets" / "loop").symlink_to("loop")
    (root / "assets" / "a").symlink_to("b")
    (root / "assets" / "b").symlink_to("a")
    (root / "content" / "events").mkdir(exist_ok=True)
    (root / "content" / "events" / "gone.md").symlink_to("moved-away.md")
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    said = ("1:1: warning: a link that leads to no file (or round a loop of links), which is never read nor published: "
            "remove it, or put the file itself in its place")
    assert [line for line in result.stderr.splitlines() if "link that leads" in line] == [
        f"assets/a:{said}", f"assets/b:{said}", f"assets/loop:{said}", f"content/events/gone.md:{said}"]
    assert (root / "_site" / "index.html").is_file()


@pytest.mark.parametrize("asset, why", [
    ("robots.txt", "the build writes its own /robots.txt"),
    ("feed.xml", "the build writes its own /feed.xml"),
    ("calendar.ics", "the build writes its own /calendar.ics"),
    ("_redirects", "Netlify reads /_redirects as the site's redirects, which the build writes"),
    ("_headers", "Netlify reads /_headers as the headers of every answer, which netlify.toml sets"),
    ("pagefind/pagefind.js", "the search index is published in /pagefind/"),
])
def test_an_asset_where_the_build_or_netlify_has_a_file_of_its_own_is_an_error_naming_it(make_site, asset, why):
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nHello.\n", f"assets/{asset}": "Content-Security-Policy: *\n"})
    assert_refused(root, f"assets/{asset}:1:1: error: {why}: rename this file, or move it elsewhere in assets/")


def test_links_that_stay_in_the_site_folder_are_followed(make_site):
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nHello.\n", "extra/logo.css": "p{}", "extra/page.md": "---\ntitle: Linked\n---\nHi.\n"})
    (root / "assets" / "more").symlink_to(root / "extra")
    (root / "content" / "linked.md").symlink_to(root / "extra" / "page.md")
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    assert (root / "_site" / "linked" / "index.html").is_file()
    assert any((root / "_site" / "more").glob("logo*.css"))


# SVG -------------------------------------------------------------------------------------------------------------------

CLEAN_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
             '<a href="https://example.org"><rect width="10" height="10" fill="red"/></a>'
             '<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/></svg>')


@pytest.mark.parametrize("svg, reason", [
    ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a <script>"),
    ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "an event handler (onload=)"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="alert(1)"/></svg>', "an event handler (onclick=)"),
    ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="javascript:alert(1)">'
     '<text>x</text></a></svg>', "a link to a javascript: address"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><a href="&#106;avascript:alert(1)"><text>x</text></a></svg>',
     "a link to a javascript: address"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div>'
     '</foreignObject></svg>', "HTML inside it (<foreignObject>)"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a></svg>',
     'a link set by animation (<set attributeName="href">)'),
])
def test_an_svg_that_could_run_a_script_is_an_error_naming_the_file(make_site, svg, reason):
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nHello.\n", "assets/images/logo.svg": svg})
    result = run(root, "build")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"assets/images/logo.svg:1:1: error: this file could run a script from the site's address ({reason}): remove it, or "
        "export the image again without scripts; every file in assets/ is published: fix it or remove it",
        "1 error",
    ]


def test_a_photo_with_garbled_exif_is_published_upright_without_a_word_from_pillow(make_site):
    garbled = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff" + bytes(range(200))  # an entry count far past its end
    photo = jpeg((400, 300))
    photo = photo[:2] + b"\xff\xe1" + (len(garbled) + 2).to_bytes(2, "big") + garbled + photo[2:]
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nHello.\n", "assets/images/garbled.jpg": photo,
                      "content/events/seen.md": "---\ndate: 2021-10-03\ntitle: Seen\nsummary: Seen.[@paper-one]\n"
                                                "sources: [paper-one]\nphotos:\n  - src: images/garbled.jpg\n"
                                                "    alt: A red field for the test\n    credit: Test desk\n---\n"})
    result = run(root, "build")
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "PIL" not in result.stderr, result.stderr
    assert list((root / "_site" / "images").glob("garbled*.webp")) and list((root / "_site" / "cards").glob("garbled*.jpg"))


def test_an_svg_with_entities_or_that_is_not_svg_is_refused_and_a_clean_one_published(make_site):
    root = make_site({
        "content/index.md": "---\ntitle: Home\n---\nHello.\n",
        "assets/images/clean.svg": CLEAN_SVG,
        "assets/images/lol.svg": '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
        "assets/images/broken.svg": "<svg><g></svg>",
        "assets/page.html": "<script>alert(1)</script>",
    })
    lines = run(root, "build").stderr.splitlines()
    assert lines[-1] == "3 errors"
    assert lines[0].startswith("assets/images/broken.svg:1:1: error: this file is not an SVG image that can be read (mismatched tag")
    assert lines[1].startswith("assets/images/lol.svg:1:1: error: this file declares XML entities")
    assert lines[2].startswith("assets/page.html:1:1: error: this file is an HTML page, which assets/ does not publish")
    for name in ("lol.svg", "broken.svg", "page.html"):
        (root / "assets" / ("images/" if name.endswith(".svg") else "") / name).unlink()
    assert run(root, "build").returncode == 0
    assert (root / "_site" / "images" / "clean.svg").read_text() == CLEAN_SVG


def test_netlify_serves_svg_with_a_policy_that_forbids_scripts():
    import tomllib

    rules = [rule for rule in tomllib.loads((REPO / "netlify.toml").read_text())["headers"] if rule["for"] == "/*.svg"]
    [rule] = rules
    policy = {name: value for name, _, value in (part.strip().partition(" ") for part in rule["values"]["Content-Security-Policy"].split(";"))}
    assert policy["default-src"] == "'none'" and "script-src" not in policy  # script falls back to 'none'
    assert "sandbox" in policy


# No traceback ----------------------------------------------------------------------------------------------------------

def truncated_jpeg() -> bytes:
    return jpeg((400, 300))[:600]


def decompression_bomb() -> bytes:
    buffer = BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, "PNG")  # 144 megapixels in a few kilobytes
    return buffer.getvalue()


def text_bomb() -> bytes:
    buffer, text = BytesIO(), PngImagePlugin.PngInfo()
    text.add_text("Comment", "A" * 4_000_000, zip=True)  # 4 MB of metadata in a few kilobytes
    Image.new("RGB", (40, 30)).save(buffer, "PNG", pnginfo=text)
    return buffer.getvalue()


@pytest.mark.parametrize("content, message", [
    (b"This is a text file, not a picture.\n", "is not an image Pillow can read (it holds text, not an image); use JPEG, PNG, WebP or GIF"),
    (b"", "is not an image Pillow can read (the file is empty); use JPEG, PNG, WebP or GIF"),
    (truncated_jpeg(), "is corrupt or truncated"),
    (decompression_bomb(), "is too large to decode safely"),
    (text_bomb(), "holds text (metadata) that unpacks to megabytes, as a decompression bomb does: save the image "
                  "again without its metadata"),
], ids=["text", "empty", "truncated", "bomb", "text-bomb"])
@pytest.mark.parametrize("command", ["build", "check"])
def test_an_unusable_image_no_event_uses_is_one_error_line_naming_it(make_site, content, message, command):
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nHello.\n", "assets/images/unused.jpg": content})
    result = run(root, command)
    assert result.returncode == 1
    [line, count] = result.stderr.splitlines()
    assert line.startswith(f"assets/images/unused.jpg:1:1: error: this file {message}")
    assert line.endswith("; every file in assets/ is published: fix it or remove it")
    assert count == "1 error"


def test_an_unreadable_image_is_described_without_quoting_its_bytes(make_site):
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nHello.\n",
                      "assets/images/notes.png": b"SECRET-TOKEN-1234 in a file named like a picture"})
    result = run(root, "check")
    assert "SECRET" not in result.stderr and "it holds text, not an image" in result.stderr


@pytest.mark.parametrize("command", ["build", "check"])
def test_a_very_long_topic_gets_an_address_cut_at_a_word(make_site, command):
    topic = " ".join(["Interpol"] * 40)  # 359 characters
    root = make_site({"data/events/2021.yaml": f"- id: long\n  date: 2021\n  title: Long\n  summary: x[@paper-one]\n"
                                               f"  sources: [paper-one]\n  tags: [{topic}]\n"})
    result = run(root, command)
    assert result.returncode == 0, result.stderr
    if command == "build":
        [folder] = (root / "_site" / "tags").glob("interpol-*")
        assert len(folder.name) <= 200 and folder.name.endswith("interpol")
        assert topic in (folder / "index.html").read_text()


def test_very_long_source_ids_and_slugs_are_errors_not_tracebacks(make_site):
    long_id = "a" * 260
    root = make_site({
        "data/sources.yaml": f"{long_id}:\n  title: T\n  publisher: P\n  url: https://example.com/\n",
        "content/about.md": f"---\ntitle: About\nslug: {'b' * 260}\n---\nHi.\n",
    })
    result = run(root, "build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "data/sources.yaml:1:1: error: source id is 260 characters long: an address takes at most 200" in result.stderr
    assert "content/about.md:3:7: error: slug is 260 characters long: an address takes at most 200" in result.stderr


def test_the_preview_answers_any_path_it_cannot_map_with_a_404(make_site):
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nHello.\n"})
    preview = Preview(Project.at(root, root / ".cache" / "preview"), log=lambda line: None)
    assert preview.rebuild()
    app = preview_app(preview)
    for path in ["/" + "x" * 300, "/events/" + "y" * 5000 + "/", "/%00", "/\x00", "/be\x00/x", "/../../etc/passwd", "/\udcff", "/a/" * 2000]:
        said = []
        body = b"".join(app({"PATH_INFO": path.encode("utf-8", "surrogateescape").decode("latin-1")},
                            lambda status, headers: said.append(status)))
        assert said == ["404 Not Found"], path
        assert b"Traceback" not in body
    said = []
    app({"PATH_INFO": "/"}, lambda status, headers: said.append(status))
    assert said == ["200 OK"]


def test_the_preview_answers_only_to_names_that_cannot_be_pointed_at_it_by_another_site(make_site):
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nWhat the newsroom has not published yet.\n"})
    preview = Preview(Project.at(root, root / ".cache" / "preview"), log=lambda line: None)
    assert preview.rebuild()
    app = preview_app(preview)
    for host, answered in [
        ("localhost:8000", True), ("127.0.0.1:8000", True), ("127.0.0.1", True), ("[::1]:8000", True),
        ("192.168.1.20:8000", True), ("preview.localhost:8000", True), ("LOCALHOST", True), (None, True),
        ("evil.example", False), ("evil.example:8000", False), ("127.0.0.1.nip.io", False),
        ("localhost.evil.example", False), ("", False), (":8000", False), ("[::1", False), ("a b", False),
    ]:
        said = []
        environ = {"PATH_INFO": "/"} | ({"HTTP_HOST": host} if host is not None else {})
        body = b"".join(app(environ, lambda status, headers: said.append(status)))
        assert said == (["200 OK"] if answered else ["403 Forbidden"]), host
        assert (b"not published yet" in body) == answered, host


def test_the_preview_answers_to_the_name_it_was_started_on():
    assert serve.is_local_name("laptop.lan:8000", "laptop.lan")
    assert not serve.is_local_name("laptop.lan:8000", "127.0.0.1")
    assert not serve.is_local_name("other.lan:8000", "laptop.lan")
