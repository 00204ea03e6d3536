"""Markdown to safe HTML, with `[[event-id]]` links and `[@source-id]` citations left as markers.

Markdown is rendered once per text, independent of any other file: links and citations come
out as `<explainer-ref>` markers that the page being rendered resolves (numbering its own
notes), so a rendered fragment can be cached by the hash of its text alone.

Every fragment passes one sanitiser (nh3, the binding of Rust's ammonia) on its way out of
Markdown, before any page, card or feed uses it: an allow-list of tags, attributes and URL
schemes, so what an editor writes can never run as a script in a reader's browser.
"""
from __future__ import annotations

import bisect
import html
import re
import xml.etree.ElementTree as etree
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from .problems import visible

EVENT_REF = r"\[\[([a-z0-9][a-z0-9-]*)\]\]"
CITATION = r"\[@([A-Za-z0-9][A-Za-z0-9._-]*)(?:\s*,\s*([^\]\n]+?))?\s*\]"
_ANY_REF = re.compile(f"{EVENT_REF}|{CITATION}")
_MARKER = re.compile(r"<explainer-ref ([^>]*)></explainer-ref>")
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
URL_SCHEMES = frozenset({"http", "https", "mailto"})  # besides relative and fragment links
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "dd", "del", "dl", "dt", "em", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
    "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
    "explainer-ref",
})
_ATTRIBUTES = {
    "*": {"lang", "dir"},
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "explainer-ref": {"kind", "ref", "locator"},
}


@dataclass(frozen=True)
class Reference:
    """An `[[event-id]]` or `[@source-id, locator]` written in Markdown."""

    kind: str  # "event" or "cite"
    id: str
    token: str
    locator: str = ""


def find_references(text: str) -> list[Reference]:
    """Every event link and citation in a Markdown text, in reading order; not those in code or escaped (`\\[@`),
    which Markdown shows as written."""
    scanned = outside_code(text)
    found = []
    for match in _ANY_REF.finditer(scanned):
        if _escaped(scanned, match.start()):
            continue
        if match[1]:
            found.append(Reference("event", match[1], match[0]))
        else:
            found.append(Reference("cite", match[2], match[0], (match[3] or "").strip()))
    return found


_BACKTICKS = re.compile(r"`+")
_BLOCK_BREAK = re.compile(r"(\n[ \t]*\n)")


def outside_code(text: str) -> str:
    """The text with its code spans blanked out, of the same length (offsets hold): what Markdown reads as links,
    citations and HTML. A code span, as in Markdown, never reaches across a blank line."""
    if "`" not in text:
        return text
    parts = _BLOCK_BREAK.split(text)  # blocks, and the blank lines between them at odd places
    return "".join(part if index % 2 else _blanked(part, _code_spans(part)) for index, part in enumerate(parts))


def _code_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each code span of a block, as Python-Markdown reads them (its pattern,
    ``(?<!\\)(`+)(.+?)(?<!`)\1(?!`)`` with re.S, found left to right), in time linear in the text:
    the pattern itself takes time cubic in a run of backticks (a line of 4,000 took minutes).

    A span opens at a run of backticks not after a backslash (or one backtick into it, if it is), as
    many of them as the next run of exactly as many closes: the longest such. The runs a span holds
    open nothing.
    """
    runs = [(match.start(), match.end()) for match in _BACKTICKS.finditer(text)]
    later: dict[int, list[int]] = {}  # run length -> the indexes of the runs of that length, ascending
    for index, (start, end) in enumerate(runs):
        later.setdefault(end - start, []).append(index)
    index = 0
    while index < len(runs):
        start, end = runs[index]
        opening = start + 1 if text[start - 1:start] == "\\" else start
        closing = None
        for length in range(end - opening, 0, -1):
            candidates = later.get(length, [])
            found = bisect.bisect_right(candidates, index)
            if found < len(candidates):
                closing, opened = candidates[found], length
                break
        if closing is None:
            index += 1
            continue
        yield opening, runs[closing][0] + opened
        index = closing + 1


def _blanked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """text with spaces in place of each span, (start, end) in order."""
    pieces, position = [], 0
    for start, end in spans:
        pieces += [text[position:start], " " * (end - start)]
        position = end
    return "".join(pieces) + text[position:]


def _escaped(text: str, index: int) -> bool:
    """Whether the character at `index` follows an odd number of backslashes."""
    before = index
    while before > 0 and text[before - 1] == "\\":
        before -= 1
    return (index - before) % 2 == 1


# An opening that is not a reference: closed on its line (no other bracket inside), or else up to a space or ")".
_REFERENCE_LIKE = re.compile(r"\[\[[^\[\]\n]*\]\]|\[\[[^\[\]\s)]*|\[@[^\[\]\n]*\]|\[@[^\[\]\s)]*")


def malformed_references(text: str, references: list[Reference] | None = None) -> list[tuple[str, str]]:
    """Each `[[...]]` or `[@...]` that is not an event link or a citation (the page would show it as written),
    with what to write instead; not in code, escaped, nor the text of a Markdown link (`[@name](https://...)`,
    `[@name][1]`).

    `references`, what `find_references` found in the text, spares looking again when each opening is one of them.
    """
    known = len(references) if references is not None else len(find_references(text))
    if text.count("[@") + text.count("[[") == known:
        return []
    scanned = outside_code(text)
    valid = {match.start() for match in _ANY_REF.finditer(scanned)}
    found = []
    for match in _REFERENCE_LIKE.finditer(scanned):
        token = match[0]
        if match.start() in valid or _escaped(scanned, match.start()) or scanned.startswith(("(", "["), match.end()):
            continue
        if token.startswith("[["):
            found.append((token, f'"{_shown(token)}" is not an event link: write [[event-id]], the id in a-z, 0-9 and hyphens'))
        else:
            found.append((token, f'"{_shown(token)}" is not a citation: write [@source-id], or [@source-id, p. 12] with a locator'))
    return found


# Python-Markdown looks for the end of a link from each "[" it reads, and for the end of its address from each "](":
# a paragraph that leaves many open takes a time that grows with their square (Python-Markdown/markdown#798): 1,000
# take a quarter of a second, 4,000 four seconds, 40,000 about seven minutes. Real text leaves a few open at most.
OPEN_BRACKETS_MAX = 1000


def runaway_brackets(text: str) -> list[tuple[str, str, int]]:
    """Each paragraph of a Markdown text that leaves more than `OPEN_BRACKETS_MAX` brackets open ("[" with no "]" after
    it, "(" after "](" with no ")"), outside code and not escaped: as written from its first one, with what to do and
    where that one is in the text."""
    if text.count("[") <= OPEN_BRACKETS_MAX:
        return []
    scanned, found, start = outside_code(text), [], 0
    for block_break in [*_BLOCK_BREAK.finditer(scanned), None]:
        end = block_break.start() if block_break else len(scanned)
        opened, first = _open_brackets(scanned, start, end)
        if opened > OPEN_BRACKETS_MAX:
            found.append((text[first:first + 40], f'this paragraph leaves {opened:,} brackets open ("[" with no "]" after it, '
                                                  'or "(" after "](" with no ")"), which Markdown takes minutes to read: close '
                                                  "them, or write each as \\[ or \\(", first))
        start = block_break.end() if block_break else end
    return found


def _open_brackets(text: str, start: int, end: int) -> tuple[int, int]:
    """How many brackets text[start:end] leaves open (see `runaway_brackets`), and where the first of them is."""
    squares: list[int] = []  # where each "[" still open is
    addresses = 0  # "](" still open
    first_address = end  # where the link of the first of them starts (its "[")
    for index in range(start, end):
        char = text[index]
        if char == "[" and not _escaped(text, index):
            squares.append(index)
        elif char == "]" and squares and not _escaped(text, index):
            link = squares.pop()
            if text.startswith("(", index + 1):
                addresses += 1
                first_address = link if addresses == 1 else first_address
        elif char == ")" and addresses and not _escaped(text, index):
            addresses -= 1
    return len(squares) + addresses, min(squares[0] if squares else end, first_address if addresses else end)


# Python-Markdown reads a list inside a list by calling itself again: a line nesting some 250 to 500 lists (markers
# written in a row, "1. 1. 1. ...", or indented four spaces a level) goes past Python's limit on such calls. Real
# text nests a few.
NESTED_LISTS_MAX = 100
_NESTING = re.compile(r"[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)+")
_LIST_MARKER = re.compile(r"(?:[-*+]|\d{1,9}[.)])[ \t]")
_DEEP_START = re.compile(rf"[-*+\d.) \t]{{{NESTED_LISTS_MAX + 1}}}")  # a level takes two of these at least
_DEEP_LINE_START = re.compile(rf"\n[-*+\d.) \t]{{{NESTED_LISTS_MAX + 1}}}")
_CODE_FENCE = re.compile(r"[ \t]{0,3}(?:`{3,}|~{3,})")


def lists_nested_too_deep(text: str) -> list[tuple[str, str, int]]:
    """The first line of a Markdown text (outside fenced code) that nests more than `NESTED_LISTS_MAX` lists, by its
    list markers and its indentation: as written, with what to do and where it starts in the text."""
    # Most texts: no line starts with the characters of that many levels (found after a line break, then at the start).
    if not (_DEEP_LINE_START.search(text) or _DEEP_START.match(text)):
        return []
    fenced, offset = False, 0
    for line in text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        if _CODE_FENCE.match(line):
            fenced = not fenced
            continue
        nesting = _NESTING.match(line)
        if fenced or not nesting or len(nesting[0]) <= NESTED_LISTS_MAX:  # a level takes two characters at least
            continue
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))
        depth = indent // 4 + len(_LIST_MARKER.findall(nesting[0]))
        if depth > NESTED_LISTS_MAX:
            return [(line.strip()[:40], f"this line nests {depth:,} lists in one another, more than the {NESTED_LISTS_MAX} "
                                        'Markdown can read: start each item with one marker ("- " or "1. "), indented four '
                                        "spaces a level", start)]
    return []


class UnreadableMarkdown(Exception):
    """A text Python-Markdown could not read (it nests deeper than Python lets it call itself): str(e) says which."""


def _converted(converter: markdown.Markdown, text: str) -> str:
    try:
        return converter.convert(text)
    except RecursionError:  # validation refuses the nesting known to do this: this is for any other
        converter.reset()
        raise UnreadableMarkdown(f'Markdown could not read the text starting "{_shown(" ".join(text.split()))}": it nests '
                                 "lists or quotations in one another too deep") from None


def _shown(token: str) -> str:
    """A token as a message quotes it: whole, or its first 40 characters, with what they hold that shows nothing
    named (see `visible`)."""
    shown = token if len(token) <= 40 else token[:40] + "…"
    return visible(shown.replace("\r\n", " ").replace("\n", " "))  # a tag may run onto the next line


_HTML_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>", re.S)


def html_tags(text: str) -> list[tuple[str, str]]:
    """Each HTML tag or comment written in a Markdown text, outside code (autolinks such as <https://...> are
    Markdown, not HTML), with what to write instead: unless the site allows raw HTML, each is shown as text."""
    if "<" not in text:
        return []
    return [(tag, f'"{_shown(tag)}" is HTML, which the site shows as text: write it in Markdown (**bold**, '
                  "[link](https://...)), or set raw_html: true in data/site.yaml") for tag in _HTML_TAG.findall(outside_code(text))]


def removed_html(text: str) -> list[tuple[str, str]]:
    """Each HTML start tag written in a Markdown text, outside code, that the sanitiser removes or cuts attributes
    from, with what an editor should know of it: asked where the site allows raw HTML, which then passes it on,
    but for what the sanitiser leaves out. (Comments go too, as notes between editors are meant to.)"""
    if "<" not in text:
        return []
    found = []
    for tag in _START_TAG.finditer(outside_code(text)):
        name = tag[1].lower()
        if name not in _TAGS:
            found.append((tag[0], f'"{_shown(tag[0])}" is left out{_REMOVED_ELEMENTS.get(name, _OTHER_ELEMENT)}'))
            continue
        allowed = _ATTRIBUTES["*"] | _ATTRIBUTES.get(name, set())
        cut = sorted({attribute.lower() for attribute in _ATTRIBUTE_NAME.findall(tag[2] or "")} - allowed)
        if cut:
            why = next((reason for kind, reason in _REMOVED_ATTRIBUTES if any(map(kind, cut))), _OTHER_ATTRIBUTE)
            names = ", ".join(cut)
            found.append((tag[0], f'"{_shown(tag[0])}" loses its attribute{"s" if len(cut) > 1 else ""} {names}: {why}'))
    return found


_START_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)(\s[^<>]*)?/?>")
_ATTRIBUTE_NAME = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_SCRIPT_OR_STYLE = ", with what it holds: a reader's browser would run it"
_REMOVED_ELEMENTS = {
    "script": _SCRIPT_OR_STYLE,
    "style": ", with what it holds: the site's look is set by its stylesheet, in assets/",
    **dict.fromkeys(("iframe", "embed", "object", "frame", "frameset", "portal"),
                    ": the site embeds no page of another site, which could track its readers or change after "
                    "publication: link to it instead"),
    **dict.fromkeys(("video", "audio", "source", "track"), ": the site publishes no video or sound: link to it instead"),
    **dict.fromkeys(("picture", "svg", "canvas"), ": write a picture as a Markdown image, ![what it shows](/images/x.png)"),
    **dict.fromkeys(("form", "input", "button", "select", "option", "textarea", "label", "fieldset"),
                    ": the site publishes no forms"),
}
_OTHER_ELEMENT = (", its text kept: the site publishes text markup only (links, emphasis, lists, quotations, tables, "
                  "images...), laid out by its stylesheet")
_REMOVED_ATTRIBUTES = (
    (lambda name: name.startswith("on"), "a reader's browser would run it"),
    (lambda name: name == "style", "the site's look is set by its stylesheet, in assets/"),
    (lambda name: name == "target", "a link opens where the reader chooses"),
)
_OTHER_ATTRIBUTE = "the site publishes lang and dir on any tag, and a few others (a link's href, an image's alt...)"


# Where a Markdown text names a URL: an inline link or image `](url`, a reference definition `[id]: url`, an
# autolink `<scheme:...>`, or an attribute of HTML written in it.
_URL_WRITTEN = re.compile(
    r"""\]\(\s*<?((?:[^\s()<>]|\([^\s()]*\))*)"""
    r"""|^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?([^\s>]*)"""
    r"""|<([A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*)>"""
    r"""|\b(?:href|src|cite|action|formaction|poster|data)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
    re.M | re.I)


def unsafe_links(text: str) -> list[tuple[str, str]]:
    """Each link of a Markdown text that the sanitiser removes, as written, with what an editor should know of it."""
    if "](" not in text and "]:" not in text and "<" not in text and "=" not in text:
        return []
    found = []
    prose = outside_code(text)
    for match in _URL_WRITTEN.finditer(prose):
        written = next((group for group in match.groups() if group), "")
        # The browser reads character references; of those in a Markdown link, Markdown keeps only whole ones
        # (`&#106;`), escaping the `&` of any other: HTML written as such reaches the browser as it is.
        decoded = html.unescape(written) if match.lastindex > 3 else _WHOLE_REFERENCE.sub(lambda ref: html.unescape(ref[0]), written)
        scheme = url_scheme(decoded)
        if scheme and scheme not in URL_SCHEMES:
            why = _WHY_REMOVED.get(scheme, "only http, https and mailto links are published")
            kind = "a script" if scheme in _SCRIPT_SCHEMES else f'a "{scheme}:"'
            found.append((written, f'link to {kind} address removed ("{_shown(written)}"): {why}'))
        elif scheme and not _kept(decoded):
            found.append((written, _UNREADABLE_ADDRESS.format(_shown(written))))
    for match in _SPACED_ADDRESS.finditer(prose):  # Markdown takes it whole, as one address
        if url_scheme(match[1]) and not _kept(match[1]):
            found.append((match[1], _UNREADABLE_ADDRESS.format(_shown(match[1]))))
    return found


_UNREADABLE_ADDRESS = ('link address removed ("{}"): a browser cannot read it as an address (a space, or a character no '
                       "host name holds?): correct it")
# A Markdown link's address with spaces in it, and no title after it in quotes.
_SPACED_ADDRESS = re.compile(r"""\]\(\s*<?([^\s()<>"']+(?:[ \t]+[^\s()<>"']+)+)>?\s*\)""")


def _kept(address: str) -> bool:
    """Whether the sanitiser keeps a link to the address (it removes one its URL parser cannot read): asked only of
    one that is not plainly readable (most are: a host of letters, digits and hyphens, then a path)."""
    return bool(_PLAIN_ADDRESS.fullmatch(address)) or "href=" in sanitize(f'<a href="{html.escape(address)}">x</a>')


# Its last label starts with a letter: one of digits makes the host an IPv4 address to the sanitiser ("a.0" is none).
_PLAIN_ADDRESS = re.compile(r"https?://(?:[A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*\.?(?:[/?#][^\s\[\]\\]*)?")


# A Markdown link or image `](url` (group 1) or a reference definition `[id]: url` (group 2): the address as written.
MARKDOWN_LINK = re.compile(r"""\]\(\s*<?((?:[^\s()<>]|\([^\s()]*\))*)|^[ \t]*\[[^\]\n]+\]:[ \t]*<?([^\s>]*)""", re.M)


def relative_links(text: str) -> list[tuple[str, str]]:
    """Each relative link or image of a Markdown text (`../x/`, `photo.jpg`), as written, with why to write it
    otherwise: a text is shown on pages at many addresses (a summary on lists, cards and feeds), and a relative link
    leads somewhere else from each."""
    if "](" not in text and "]:" not in text:
        return []
    found = []
    for match in MARKDOWN_LINK.finditer(outside_code(text)):
        written = match[1] or match[2]
        if written and not url_scheme(written) and not written.startswith(("/", "#", "?")):
            found.append((written, f'link "{_shown(written)}" is relative: from each page that shows this text it leads '
                                   "somewhere else; link an event with [[event-id]], and anything else of the site from its "
                                   'root, as "/sources/"'))
    return found


def undefined_link_references(text: str) -> list[tuple[str, str]]:
    """Each reference-style link of a Markdown text (`[the report][rep]`, `[the report][]`) whose reference it
    defines nowhere (`[rep]: https://...`): Markdown then prints it as written, brackets and all."""
    if "][" not in text:
        return []
    prose = outside_code(text)
    defined = {name.strip().lower() for name in _REFERENCE_DEFINITION.findall(prose)}
    found = []
    for match in _REFERENCE_LINK.finditer(prose):
        name = (match[2] or match[1]).strip()
        if not name.startswith(("@", "[")) and name.lower() not in defined:
            # Placed by its last word, "letter][]": where it starts, "[the", is written all over.
            found.append((match[0].split()[-1], f'link "{_shown(match[0])}" names a reference, "{_shown(name)}", that the text defines '
                                    f'nowhere, so it shows as written: add a line "[{_shown(name)}]: https://..." below it, '
                                    "or write the link as [text](https://...)"))
    return found


_REFERENCE_LINK = re.compile(r"(?<![\]\\])\[([^\[\]\n]+)\]\[([^\[\]\n]*)\]")
_REFERENCE_DEFINITION = re.compile(r"^[ ]{0,3}\[([^\]\n]+)\]:", re.M)
_WHOLE_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_SCRIPT_SCHEMES = ("javascript", "vbscript", "livescript")
_WHY_REMOVED = {**{scheme: "a reader's browser would run it" for scheme in _SCRIPT_SCHEMES},
                "data": "it can carry a page or a script"}




class _RefProcessor(InlineProcessor):
    def __init__(self, pattern: str, kind: str, md: markdown.Markdown) -> None:
        super().__init__(pattern, md)
        self.kind = kind

    def handleMatch(self, m: re.Match, data: str):  # noqa: N802 (Python-Markdown's name)
        element = etree.Element("explainer-ref", {"kind": self.kind, "ref": m.group(1)})
        if self.kind == "cite" and m.group(2):
            element.set("locator", m.group(2).strip())
        return element, m.start(0), m.end(0)


class ExplainerMarkdown(Extension):
    """Event links, citations and, unless allowed, no raw HTML."""

    def __init__(self, raw_html: bool = False) -> None:
        super().__init__()
        self.raw_html = raw_html

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802
        if not self.raw_html:
            md.preprocessors.deregister("html_block")
            md.inlinePatterns.deregister("html")
        md.inlinePatterns.register(_RefProcessor(EVENT_REF, "event", md), "event_ref", 176)
        md.inlinePatterns.register(_RefProcessor(CITATION, "cite", md), "citation", 175)


def make_converter(raw_html: bool = False) -> markdown.Markdown:
    """A reusable Markdown converter with the explainer's extensions."""
    # No "smarty": typographic quotes would double the time Markdown takes; editors can type them.
    return markdown.Markdown(extensions=[ExplainerMarkdown(raw_html), "sane_lists"], output_format="html")


def render_markdown(converter: markdown.Markdown, text: str) -> str:
    """Markdown to a sanitised HTML fragment with reference markers."""
    converter.reset()
    return sanitize(_converted(converter, text))


def sanitize(fragment: str) -> str:
    """An HTML fragment with only the allowed tags and attributes, and no link a browser would read as a script."""
    return _CLEANER.clean(fragment)


def url_scheme(value: str) -> str:
    """The scheme a browser reads in a URL attribute (its value with character references decoded), lower case;
    "" for a relative or fragment link. As the URL standard has it: control characters and spaces around the
    URL, and tabs and newlines inside it, do not count."""
    value = _URL_NEWLINES.sub("", value.strip(_URL_SPACE))
    match = _SCHEME.match(value)
    return match[1].lower() if match else ""


def is_safe_url(value: str) -> bool:
    """Whether a reader may be sent to this URL: http, https, mailto, or a link within the site."""
    scheme = url_scheme(value)
    return not scheme or scheme in URL_SCHEMES


_URL_SPACE = "".join(map(chr, range(0x21)))  # C0 controls and the space
_URL_NEWLINES = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def _kept_attribute(tag: str, attribute: str, value: str) -> str | None:
    """The sanitiser's last word on an attribute: a URL a browser would read as a script address goes."""
    return None if attribute in _URL_ATTRIBUTES and not is_safe_url(value) else value


_CLEANER = nh3.Cleaner(tags=set(_TAGS), clean_content_tags={"script", "style"}, attributes=_ATTRIBUTES,
                       attribute_filter=_kept_attribute, url_schemes=set(URL_SCHEMES), link_rel=None,
                       strip_comments=True)

def render_inline(converter: markdown.Markdown, text: str) -> str:
    """One paragraph of inline Markdown (a summary, a caption) without its `<p>`."""
    rendered = render_markdown(converter, text)
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        return rendered[3:-4]
    return rendered


def resolve_markers(fragment: str, resolve) -> str:
    """Replace each marker by `resolve(kind, id, locator)`, which returns HTML."""
    def replace(match: re.Match) -> str:
        attributes = {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(match[1])}
        return resolve(attributes.get("kind", ""), attributes.get("ref", ""), attributes.get("locator", ""))

    return _MARKER.sub(replace, fragment)


def strip_markers(fragment: str) -> str:
    """The fragment without its citation markers, event links turned to nothing (feeds, meta descriptions)."""
    return _MARKER.sub("", fragment)
