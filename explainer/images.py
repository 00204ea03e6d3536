"""Photo processing: responsive, metadata-free, colour-managed copies of the images an explainer publishes."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import os
import re
import struct
import tempfile
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFile, ImageFont, ImageOps, UnidentifiedImageError

from .cache import content_digest
from .markup import is_safe_url, url_scheme

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp"})  # re-encoded, never copied
WIDTHS: tuple[int, ...] = (480, 960, 1600)
MAX_PIXELS: int = 40_000_000

WEBP_QUALITY = 80
WEBP_METHOD = 4
JPEG_QUALITY = 82
CARD_SIZE = (1200, 630)

# Bump whenever a change here alters output bytes, so every cached image is made again.
_PIPELINE_VERSION = 1
# Only plugins for common web and camera formats are tried; Pillow's "JPEG" also opens phones' MPO files.
_READABLE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP")
# EXIF orientations 5-8 store the picture rotated a quarter turn, so width and height swap.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_RESIZE_GAP = 3.0
# Modes that resample correctly as decoded, so colour conversion can run on the smaller, resized image.
_RESAMPLABLE_MODES = frozenset({"L", "RGB", "RGBA", "CMYK"})

# Bold sans fonts at fixed paths on Debian/Ubuntu, Fedora, macOS and Windows; the first present is used.
# Pillow's built-in font is the last resort: it lacks accented letters.
_CARD_FONT_FILES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    Path("/System/Library/Fonts/Supplemental/Arial Bold.ttf"),
    Path("C:/Windows/Fonts/arialbd.ttf"),
)
_CARD_BACKGROUND = (17, 24, 39)
_CARD_ACCENT = (220, 38, 38)
_CARD_TEXT = (255, 255, 255)
_CARD_MUTED = (209, 213, 219)
_CARD_MARGIN = 80
_CARD_TEXT_WIDTH = CARD_SIZE[0] - 2 * _CARD_MARGIN
_ACCENT_HEIGHT = 12
_SITE_TITLE_TOP = 64
_SITE_TITLE_SIZE = 34
_TITLE_TOP = 150
_TITLE_BOX_HEIGHT = CARD_SIZE[1] - _TITLE_TOP - _CARD_MARGIN
_TITLE_SIZES = (76, 64, 54, 46, 40)


class ImageProblem(Exception):
    """An image that cannot be published; str(e) is an editor-friendly message without path or traceback text."""


@dataclass(frozen=True)
class Variant:
    """One published file of an image: its URL, pixel size, MIME type and the cached file holding its bytes."""

    url: str
    width: int
    height: int
    mime: str
    # Set by ImageCache; hand-built values (in templates' tests) may leave them empty.
    file: Path = Path()
    digest: str = ""  # of the cached file's bytes, as made: a file that no longer hashes to it is made again


@dataclass(frozen=True)
class ProcessedImage:
    """A photo ready to publish: WebP and fallback variants in ascending width."""

    source: str
    width: int
    height: int
    webp: tuple[Variant, ...]
    fallback: tuple[Variant, ...]

    @property
    def largest(self) -> Variant:
        """The largest fallback variant, for "open full size" links."""
        return self.fallback[-1]

    def srcset(self, variants: tuple[Variant, ...]) -> str:
        """The srcset attribute value listing variants, e.g. "/a.480.webp 480w, /a.960.webp 960w"."""
        return ", ".join(f"{variant.url} {variant.width}w" for variant in variants)

    @property
    def files(self) -> dict[str, Path]:
        """Output path (URL without the leading "/") mapped to the cached file to publish there."""
        return {variant.url.removeprefix("/"): variant.file for variant in self.webp + self.fallback}

    @property
    def digests(self) -> dict[str, str]:
        """Output path mapped to the digest its cached file's bytes had when made."""
        return {variant.url.removeprefix("/"): variant.digest for variant in self.webp + self.fallback}


@dataclass(frozen=True)
class _Format:
    """An output encoding: Pillow's format name, file extension and MIME type."""

    name: str
    ext: str
    mime: str


_WEBP = _Format("WEBP", "webp", "image/webp")
_JPEG = _Format("JPEG", "jpg", "image/jpeg")
_PNG = _Format("PNG", "png", "image/png")
_GIF = _Format("GIF", "gif", "image/gif")
_FORMATS = (_WEBP, _JPEG, _PNG, _GIF)


@dataclass(frozen=True)
class _Rendition:
    """What processing one photo produced: the variant sizes (ascending), the fallback format, and the digest of
    each variant file's bytes by its suffix ("480.webp")."""

    sizes: tuple[tuple[int, int], ...]
    fallback: _Format
    digests: tuple[tuple[str, str], ...] = ()


def check_image(path: Path) -> None:
    """Raise ImageProblem if the file at path cannot be published (not an image, corrupt, too large to decode)."""
    data = path.read_bytes()
    with _reading(data):
        _opened(data).verify()
        image = _opened(data)
        # JPEGs then decode at 1/8 scale, cheap yet enough to find a truncated body; other formats ignore it.
        image.draft(None, (1, 1))
        image.load()


PAGE_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".xht", ".shtml"})  # never published from assets/


def check_asset(path: Path) -> None:
    """Raise ImageProblem if a file of assets/ cannot be published: an image that cannot be read, an SVG that could
    run a script, an HTML page (it would run whatever script it holds from the site's address)."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        check_image(path)
    elif suffix == ".svg":
        check_svg(path)
    elif suffix in PAGE_SUFFIXES:
        raise ImageProblem("is an HTML page, which assets/ does not publish (it would run whatever script it holds "
                           "from the site's address): pages are content/*.md")


def check_svg(path: Path) -> None:
    """Raise ImageProblem if an SVG could run a script from the site's address: a script, an event handler, a
    script link, HTML inside it (foreignObject), a link set by animation, entity declarations; or is not SVG."""
    data = path.read_bytes()
    if b"<!ENTITY" in data:
        raise ImageProblem("declares XML entities, which can hide what it holds: export it again as plain SVG")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise ImageProblem(f"is not an SVG image that can be read ({error})") from None
    if _local_name(root.tag) != "svg":
        raise ImageProblem("is not an SVG image: it does not start with <svg>")
    found = dict.fromkeys(reason for element in root.iter() for reason in _svg_risks(element))
    if found:
        raise ImageProblem(f"could run a script from the site's address ({'; '.join(found)}): remove "
                           f"{'it' if len(found) == 1 else 'them'}, or export the image again without scripts")


_SVG_SCRIPT_ELEMENTS = {"script": "a <script>", "foreignobject": "HTML inside it (<foreignObject>)",
                        "handler": "a <handler>", "listener": "a <listener>"}
_SVG_ANIMATIONS = frozenset({"set", "animate", "animatemotion", "animatetransform", "animatecolor"})
_EMBEDDED_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);", re.I)


def _svg_risks(element: ElementTree.Element) -> Iterator[str]:
    """What in one SVG element could run a script."""
    name = _local_name(element.tag).lower()
    if name in _SVG_SCRIPT_ELEMENTS:
        yield _SVG_SCRIPT_ELEMENTS[name]
    for attribute, value in element.attrib.items():
        local = _local_name(attribute).lower()
        if local.startswith("on"):
            yield f"an event handler ({local}=)"
        elif local == "href" and not is_safe_url(value) and not (name == "image" and _EMBEDDED_IMAGE.match(value.strip())):
            yield f"a link to a {url_scheme(value)}: address"
        elif name in _SVG_ANIMATIONS and local == "attributename" and _local_name(value).lower() == "href":
            yield f'a link set by animation (<{name} attributeName="{value}">)'


def _local_name(tag: str) -> str:
    """An XML name without its namespace: `{http://www.w3.org/2000/svg}script` -> `script`."""
    return tag.rpartition("}")[2].rpartition(":")[2]


class ImageCache:
    """Processed images stored by content hash and settings under cache_dir (outside the output, safe to delete)."""

    def __init__(self, cache_dir: Path, widths: tuple[int, ...] = WIDTHS) -> None:
        """Use cache_dir for processed files and make photo variants at widths (never upscaled)."""
        if not widths or min(widths) < 1:
            raise ValueError(f"widths must be positive pixel counts, got {widths!r}")
        self.cache_dir = cache_dir
        self.widths = tuple(sorted(set(widths)))
        self.work_done = 0
        self._cards: dict[str, tuple[Path, str]] | None = None

    def process(self, path: Path, source: str) -> ProcessedImage:
        """The photo at path (source: its path under assets/) as responsive variants, decoded only on a cache miss."""
        data = path.read_bytes()
        digest = _digest(_photo_settings(self.widths), data)
        rendition = self._cached_rendition(digest) or self._render_photo(data, digest)
        return self._processed_image(source, digest, rendition)

    def sanitize(self, path: Path, source: str) -> tuple[str, Path, str]:
        """The non-photo image at path re-encoded at its own size without metadata: (output path, cached file, digest
        of its bytes)."""
        data = path.read_bytes()
        digest = _digest(_sanitize_settings(), data)
        output_format, made = self._cached_sanitized_format(digest) or self._render_sanitized(data, digest)
        name = f"{_slug(PurePosixPath(source).stem)}.{digest[:10]}.{output_format.ext}"
        return (_output_dir(source) / name).as_posix(), self._sanitized_file(digest, output_format), made

    def social_card(self, title: str, site_title: str, photo: Path | None, key: str, *,
                    cached_only: bool = False) -> tuple[str, Path, str] | None:
        """A 1200x630 JPEG for Open Graph, the photo cropped to cover or a title card: (output path, cached file,
        digest of its bytes).

        With `cached_only`, None instead of making a card that is not in the cache yet. A cached
        card's name carries the digest of its bytes, so one garbled since is known when published.
        """
        photo_data = photo.read_bytes() if photo else b""
        digest = _digest(_card_settings(title, site_title, photo is not None), photo_data)
        made = self._cached_cards().get(digest)
        if made is None:
            if cached_only:
                return None
            data = _encoded(_photo_card(photo_data), _JPEG) if photo else _title_card_bytes(_title_card(title, site_title))
            made = self._cached_cards()[digest] = (self.cache_dir / "cards" / f"{digest}.{content_digest(data)}.jpg", content_digest(data))
            _write_atomic(made[0], data)
            self.work_done += 1
        return f"cards/{_slug(key)}.{digest[:10]}.jpg", made[0], made[1]

    def _cached_cards(self) -> dict[str, tuple[Path, str]]:
        """The cards in the cache by the digest of what each is made of: its file and the digest of its bytes (both
        in its name), listed once."""
        if self._cards is None:
            folder = self.cache_dir / "cards"
            names = os.listdir(folder) if folder.is_dir() else []
            self._cards = {name.split(".")[0]: (folder / name, name.split(".")[1]) for name in names
                           if name.count(".") == 2 and not name.startswith(".")}
        return self._cards

    def _cached_rendition(self, digest: str) -> _Rendition | None:
        """The rendition recorded for digest if its index and every variant file are in the cache."""
        rendition = _read_rendition(self._photo_file(digest, "json"))
        if rendition is None or not all(file.is_file() for file in self._variant_files(digest, rendition)):
            return None
        return rendition

    def _render_photo(self, data: bytes, digest: str) -> _Rendition:
        """Decode data once, write every variant and the index into the cache, and return the rendition."""
        with _reading(data):
            image = _opened(data)
            sizes = _variant_sizes(_display_size(image), self.widths)
            pixels = _publishable(image, size=sizes[-1])
        variants = _variant_images(pixels, sizes)
        fallback = _PNG if pixels.mode == "RGBA" else _JPEG
        digests = []
        for variant in variants:
            for output_format in (_WEBP, fallback):
                suffix = f"{variant.width}.{output_format.ext}"
                encoded = _encoded(variant, output_format)
                _write_atomic(self._photo_file(digest, suffix), encoded)
                digests.append((suffix, content_digest(encoded)))
        rendition = _Rendition(sizes, fallback, tuple(digests))
        # The index goes last: its presence promises that every variant file is complete.
        _write_atomic(self._photo_file(digest, "json"), _rendition_json(rendition))
        self.work_done += 1
        return rendition

    def _processed_image(self, source: str, digest: str, rendition: _Rendition) -> ProcessedImage:
        """The ProcessedImage describing the cached variants of digest, named after source."""
        stem = f"/images/{_slug(PurePosixPath(source).stem)}.{digest[:10]}"
        width, height = rendition.sizes[-1]
        return ProcessedImage(
            source=source,
            width=width,
            height=height,
            webp=self._variants(stem, digest, rendition, _WEBP),
            fallback=self._variants(stem, digest, rendition, rendition.fallback),
        )

    def _variants(self, stem: str, digest: str, rendition: _Rendition, output_format: _Format) -> tuple[Variant, ...]:
        """One Variant per size in output_format, with URLs starting with stem."""
        digests = dict(rendition.digests)
        return tuple(
            Variant(
                url=f"{stem}.{width}.{output_format.ext}",
                width=width,
                height=height,
                mime=output_format.mime,
                file=self._photo_file(digest, f"{width}.{output_format.ext}"),
                digest=digests[f"{width}.{output_format.ext}"],
            )
            for width, height in rendition.sizes
        )

    def _variant_files(self, digest: str, rendition: _Rendition) -> list[Path]:
        """Every cached file the rendition of digest consists of."""
        return [
            self._photo_file(digest, f"{width}.{output_format.ext}")
            for width, _ in rendition.sizes
            for output_format in (_WEBP, rendition.fallback)
        ]

    def _photo_file(self, digest: str, suffix: str) -> Path:
        """The cached file of photo digest ending in suffix."""
        return self.cache_dir / "photos" / f"{digest}.{suffix}"

    def _cached_sanitized_format(self, digest: str) -> tuple[_Format, str] | None:
        """The output format and file digest recorded for a sanitized image if its index and file are in the cache."""
        recorded = _read_format(self.cache_dir / "assets" / f"{digest}.json")
        if recorded is None or not self._sanitized_file(digest, recorded[0]).is_file():
            return None
        return recorded

    def _render_sanitized(self, data: bytes, digest: str) -> tuple[_Format, str]:
        """Decode data, write its metadata-free re-encoding and index into the cache: its format and file digest."""
        with _reading(data):
            image = _opened(data)
            output_format = _sanitized_format(image.format)
            pixels = _pixels_only(_publishable(image, size=None))
        encoded = _encoded(pixels, output_format)
        _write_atomic(self._sanitized_file(digest, output_format), encoded)
        index = {"format": output_format.name, "digest": content_digest(encoded)}
        _write_atomic(self.cache_dir / "assets" / f"{digest}.json", json.dumps(index).encode())
        self.work_done += 1
        return output_format, index["digest"]

    def _sanitized_file(self, digest: str, output_format: _Format) -> Path:
        """The cached file of sanitized image digest."""
        return self.cache_dir / "assets" / f"{digest}.{output_format.ext}"


@contextmanager
def _reading(data: bytes) -> Iterator[None]:
    """Turn Pillow's failures while reading data into ImageProblem, with decompression-bomb warnings as failures."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except UnidentifiedImageError as error:
            raise ImageProblem(
                f"is not an image Pillow can read ({_kind_of(data)}); use JPEG, PNG, WebP or GIF"
            ) from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageProblem(
                f"is too large to decode safely (over the {MAX_PIXELS // 1_000_000} megapixel limit)"
            ) from error
        except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
            raise ImageProblem(f"is corrupt or truncated: {_reason(error)}") from error


def _kind_of(data: bytes) -> str:
    """What an unreadable file holds, said without quoting any of it (it may be anything, from anywhere)."""
    if not data:
        return "the file is empty"
    try:
        data[:512].decode("utf-8")
    except UnicodeDecodeError:
        return "its format is none of those"
    return "it holds text, not an image"


def _reason(error: BaseException) -> str:
    """The first line of error's message, shortened, or its type name when it has none."""
    lines = str(error).strip().splitlines()
    return lines[0][:120] if lines else type(error).__name__


def _opened(data: bytes) -> ImageFile.ImageFile:
    """The image in data with only its header read, refused before decoding if it has too many pixels."""
    image = Image.open(io.BytesIO(data), formats=_READABLE_FORMATS)
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageProblem(
            f"is too large to decode safely: {width}x{height} pixels (limit {MAX_PIXELS // 1_000_000} megapixels)"
        )
    return image


def _swaps_axes(image: Image.Image) -> bool:
    """Whether image's EXIF orientation displays it rotated a quarter turn from how it is stored."""
    return image.getexif().get(ExifTags.Base.Orientation, 1) in _QUARTER_TURNS


def _display_size(image: Image.Image) -> tuple[int, int]:
    """The (width, height) image has once its EXIF orientation is applied."""
    width, height = image.size
    return (height, width) if _swaps_axes(image) else (width, height)


def _variant_sizes(display: tuple[int, int], widths: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """The (width, height) of each variant, ascending: every target width, capped at the original width."""
    width, height = display
    return tuple((target, max(1, round(height * target / width))) for target in sorted({min(w, width) for w in widths}))


def _publishable(image: ImageFile.ImageFile, size: tuple[int, int] | None) -> Image.Image:
    """image decoded, upright, resized to size (upright width, height) if given, in sRGB, as RGB or RGBA."""
    if size:
        width, height = size
        # A JPEG then decodes at the smallest power-of-two scale that still covers size.
        image.draft(None, (height, width) if _swaps_axes(image) else (width, height))
    image.load()
    ImageOps.exif_transpose(image, in_place=True)
    if size and image.mode in _RESAMPLABLE_MODES:
        image = _resized(image, size)
    pixels = _without_opaque_alpha(_normalised(_in_srgb(image)))
    return _resized(pixels, size) if size else pixels


def _in_srgb(image: Image.Image) -> Image.Image:
    """image converted from its embedded ICC profile to sRGB, or image itself when it has no usable profile."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return image
    try:
        return ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(icc)),
            ImageCms.createProfile("sRGB"),
            outputMode="RGBA" if image.mode == "RGBA" else "RGB",
        )
    except (ImageCms.PyCMSError, OSError):
        # A damaged or mismatched profile must not block publication; browsers ignore it too.
        return image


def _normalised(image: Image.Image) -> Image.Image:
    """image as RGBA if it has alpha or a transparent colour, else as RGB."""
    if image.mode.startswith("I;16"):
        # Converting 16-bit grey straight to RGB clips nearly everything to white.
        image = image.convert("I").point(lambda value: value * (1 / 256))
    target = "RGBA" if image.has_transparency_data else "RGB"
    return image if image.mode == target else image.convert(target)


def _without_opaque_alpha(image: Image.Image) -> Image.Image:
    """image as RGB if its alpha channel is fully opaque, so it can be published as JPEG."""
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        return image.convert("RGB")
    return image


def _pixels_only(image: Image.Image) -> Image.Image:
    """A fresh image holding image's pixels and nothing else (no info, EXIF, ICC, comments or text chunks)."""
    fresh = Image.new(image.mode, image.size)
    fresh.paste(image)
    return fresh


def _resized(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """image resampled to size with Lanczos, or image itself when it already has that size."""
    if image.size == size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=_RESIZE_GAP)


def _variant_images(image: Image.Image, sizes: tuple[tuple[int, int], ...]) -> list[Image.Image]:
    """Metadata-free images at each of sizes (ascending); the smaller ones are resized from the largest."""
    largest = _pixels_only(_resized(image, sizes[-1]))
    return [_resized(largest, size) for size in sizes[:-1]] + [largest]


def _encoded(image: Image.Image, output_format: _Format) -> bytes:
    """image encoded in output_format, passing no metadata to the encoder."""
    buffer = io.BytesIO()
    match output_format.name:
        case "WEBP":
            image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
        case "JPEG":
            image.save(buffer, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
        case _:
            image.save(buffer, output_format.name, optimize=True)
    return buffer.getvalue()


def _sanitized_format(source_format: str | None) -> _Format:
    """The format a sanitized image is written in: its own, or PNG for formats not every browser shows."""
    match source_format:
        case "JPEG" | "MPO":
            return _JPEG
        case "WEBP":
            return _WEBP
        case "GIF":
            return _GIF
        case _:
            return _PNG


def _photo_card(data: bytes) -> Image.Image:
    """The photo in data centre-cropped to cover the card, on the card background where it is transparent."""
    with _reading(data):
        image = _opened(data)
        width, height = _display_size(image)
        scale = max(CARD_SIZE[0] / width, CARD_SIZE[1] / height)
        pixels = _publishable(image, size=(math.ceil(width * scale), math.ceil(height * scale)))
    left, top = (pixels.width - CARD_SIZE[0]) // 2, (pixels.height - CARD_SIZE[1]) // 2
    cover = pixels.crop((left, top, left + CARD_SIZE[0], top + CARD_SIZE[1]))
    card = Image.new("RGB", CARD_SIZE, _CARD_BACKGROUND)
    card.paste(cover, mask=cover.getchannel("A") if cover.mode == "RGBA" else None)
    return card


def _title_card(title: str, site_title: str) -> Image.Image:
    """A card with the site title small on top and the title large below, light on dark."""
    card = Image.new("RGB", CARD_SIZE, _CARD_BACKGROUND)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, CARD_SIZE[0], _ACCENT_HEIGHT), fill=_CARD_ACCENT)
    site_font = _card_font(_SITE_TITLE_SIZE)
    site_line = "".join(_shortened(_wrapped(site_title, site_font), 1, site_font))
    draw.text((_CARD_MARGIN, _SITE_TITLE_TOP), site_line, font=site_font, fill=_CARD_MUTED)
    size, lines = _title_layout(title)
    font = _card_font(size)
    top = _TITLE_TOP + (_TITLE_BOX_HEIGHT - _line_height(size) * len(lines)) // 2
    for index, line in enumerate(lines):
        draw.text((_CARD_MARGIN, top + index * _line_height(size)), line, font=font, fill=_CARD_TEXT)
    return card


def _title_card_bytes(card: Image.Image) -> bytes:
    """A title card as a baseline JPEG: a quarter of the time of an optimized progressive one, for a fifth more
    bytes, on a file only link previews fetch (a site of ten thousand events has ten thousand of them)."""
    buffer = io.BytesIO()
    card.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def _card_font(size: int) -> ImageFont.FreeTypeFont:
    """The card font at size: the first system TrueType font present, else Pillow's built-in one."""
    font_file = _card_font_file()
    if font_file:
        return ImageFont.truetype(font_file, size)
    return ImageFont.load_default(size=size)  # type: ignore[return-value]  # a FreeTypeFont whenever size is given


def _card_font_file() -> Path | None:
    """The first of the fixed system font paths that holds a file, if any."""
    return next((path for path in _CARD_FONT_FILES if path.is_file()), None)


def _card_font_name() -> str:
    """An identifier of the font _card_font uses, so a different font makes new cards."""
    font_file = _card_font_file()
    return font_file.as_posix() if font_file else "pillow-default"


def _title_layout(title: str) -> tuple[int, list[str]]:
    """The largest title font size whose wrapped lines fit the card, with those lines (cut short at the smallest)."""
    for size in _TITLE_SIZES[:-1]:
        lines = _wrapped(title, _card_font(size))
        if len(lines) <= _max_lines(size):
            return size, lines
    smallest = _TITLE_SIZES[-1]
    font = _card_font(smallest)
    return smallest, _shortened(_wrapped(title, font), _max_lines(smallest), font)


def _line_height(size: int) -> int:
    """The distance between title lines set at size."""
    return round(size * 1.2)


def _max_lines(size: int) -> int:
    """How many title lines set at size fit the title box."""
    return _TITLE_BOX_HEIGHT // _line_height(size)


def _wrapped(text: str, font: ImageFont.FreeTypeFont) -> list[str]:
    """text broken into lines no wider than the card's text width, words longer than a line split."""
    lines: list[str] = []
    for word in text.split():
        for piece in _pieces(word, font):
            joined = f"{lines[-1]} {piece}" if lines else piece
            if lines and font.getlength(joined) <= _CARD_TEXT_WIDTH:
                lines[-1] = joined
            else:
                lines.append(piece)
    return lines


def _pieces(word: str, font: ImageFont.FreeTypeFont) -> list[str]:
    """word split into pieces no wider than the card's text width (usually just word)."""
    if font.getlength(word) <= _CARD_TEXT_WIDTH:
        return [word]
    pieces = [""]
    for char in word:
        if pieces[-1] and font.getlength(pieces[-1] + char) > _CARD_TEXT_WIDTH:
            pieces.append(char)
        else:
            pieces[-1] += char
    return pieces


def _shortened(lines: list[str], count: int, font: ImageFont.FreeTypeFont) -> list[str]:
    """The first count of lines, the last ending in an ellipsis if any were dropped."""
    if len(lines) <= count:
        return lines
    last = lines[count - 1]
    while last and font.getlength(last + "…") > _CARD_TEXT_WIDTH:
        last = last[:-1]
    return lines[: count - 1] + [last.rstrip() + "…"]


def _photo_settings(widths: tuple[int, ...]) -> dict[str, object]:
    """Everything besides the file bytes that determines photo variants."""
    return {
        "pipeline": _PIPELINE_VERSION,
        "purpose": "photo",
        "widths": list(widths),
        "webp": [WEBP_QUALITY, WEBP_METHOD],
        "jpeg": JPEG_QUALITY,
    }


def _sanitize_settings() -> dict[str, object]:
    """Everything besides the file bytes that determines a sanitized image."""
    return {
        "pipeline": _PIPELINE_VERSION,
        "purpose": "sanitize",
        "webp": [WEBP_QUALITY, WEBP_METHOD],
        "jpeg": JPEG_QUALITY,
    }


def _card_settings(title: str, site_title: str, has_photo: bool) -> dict[str, object]:
    """Everything besides the photo bytes that determines a social card."""
    return {
        "pipeline": _PIPELINE_VERSION,
        "purpose": "card",
        "jpeg": JPEG_QUALITY,
        "encoding": "progressive" if has_photo else "baseline",
        "size": list(CARD_SIZE),
        "font": _card_font_name(),
        "title": title,
        "site_title": site_title,
        "photo": has_photo,
    }


def _digest(settings: dict[str, object], data: bytes) -> str:
    """Hex sha256 of settings (as canonical JSON), of the code that makes images, then of data."""
    hasher = hashlib.sha256(json.dumps({**settings, "made by": _made_by()}, sort_keys=True, ensure_ascii=False).encode())
    hasher.update(data)
    return hasher.hexdigest()


@functools.cache
def _made_by() -> str:
    """This module's code and Pillow's version: what turns an image's bytes and settings into its files."""
    return f"{content_digest(Path(__file__).read_bytes())} Pillow {metadata.version('Pillow')}"


def _slug(text: str) -> str:
    """text as lowercase ASCII words joined by hyphens, or "image" if nothing is left; at most `SLUG_MAX`
    characters, so that the digest and suffix added to it keep a file name within the system's limit."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:SLUG_MAX].strip("-") or "image"


SLUG_MAX = 200


def _output_dir(source: str) -> PurePosixPath:
    """The directory of source (relative to assets/), which a sanitized image keeps in the output."""
    path = PurePosixPath(source)
    if path.is_absolute() or ".." in path.parts:
        raise ValueError(f"source must be a path inside assets/, got {source!r}")
    return path.parent


def _rendition_json(rendition: _Rendition) -> bytes:
    """rendition serialised for the cache index."""
    return json.dumps({"sizes": rendition.sizes, "fallback": rendition.fallback.name, "digests": dict(rendition.digests)}).encode()


def _read_rendition(index: Path) -> _Rendition | None:
    """The rendition recorded in the cache index file, or None if it is missing or unreadable."""
    try:
        raw = json.loads(index.read_bytes())
        sizes = tuple((int(width), int(height)) for width, height in raw["sizes"])
        fallback = _format_named(raw["fallback"])
        digests = tuple((str(suffix), str(digest)) for suffix, digest in raw["digests"].items())
        wanted = {f"{width}.{output_format.ext}" for width, _ in sizes for output_format in (_WEBP, fallback)}
        return _Rendition(sizes, fallback, digests) if sizes and wanted == dict(digests).keys() else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        # A missing or damaged index only means the photo is processed again.
        return None


def _read_format(index: Path) -> tuple[_Format, str] | None:
    """The output format and file digest recorded in a sanitized image's index file, or None if it is missing or
    unreadable."""
    try:
        raw = json.loads(index.read_bytes())
        return _format_named(raw["format"]), str(raw["digest"])
    except (OSError, ValueError, KeyError, TypeError):
        # A missing or damaged index only means the image is sanitized again.
        return None


def _format_named(name: str) -> _Format:
    """The output format called name; ValueError for any other."""
    for output_format in _FORMATS:
        if output_format.name == name:
            return output_format
    raise ValueError(f"unknown output format {name!r}")


def _write_atomic(path: Path, data: bytes) -> None:
    """Write data to path through a temporary file, so a killed build never leaves a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        # mkstemp makes owner-only files; published copies must be readable by a web server.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
