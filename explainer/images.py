"""Photo processing: responsive, metadata-free, colour-managed copies of the images an explainer publishes."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import io
import json
import math
import os
import re
import struct
import unicodedata
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFile, ImageFont, ImageOps, ImageSequence, UnidentifiedImageError, features

from .cache import content_digest, fingerprint, write_atomic
from .markup import is_safe_url, url_scheme

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp"})  # re-encoded, never copied
WIDTHS: tuple[int, ...] = (480, 960, 1600)
MAX_PIXELS: int = 40_000_000
MAX_VARIANT_SIDE = 16_383  # WebP's largest width or height (JPEG's is 65,535)
# A photo's EXIF is read for its orientation alone (else upright), then left out: Pillow's warning that it is corrupt,
# printed with Pillow's own path and no file name, would only puzzle an editor.
warnings.filterwarnings("ignore", message="Corrupt EXIF data", category=UserWarning, module="PIL")

WEBP_QUALITY = 80
WEBP_METHOD = 4
JPEG_QUALITY = 82
# Social cards: 1200x630 (1.91:1), PNG (title cards) or JPEG (photos), far under every size limit. What shows them:
# - Facebook: at least 1200x630 for the best display, 600x315 for a large one, 200x200 at all; at most 8 MB; keep
#   near 1.91:1 (developers.facebook.com/docs/sharing/webmasters/images).
# - X, summary_large_image: 2:1, from 300x157 to 4096x4096, under 5 MB, JPG, PNG, WEBP or GIF
#   (developer.x.com/en/docs/x-for-websites/cards/overview/summary-card-with-large-image).
# - LinkedIn: 1200x627 (1.91:1), at most 5 MB, JPEG, PNG or GIF: not WebP (linkedin.com/help/linkedin/answer/46687).
# - Mastodon: JPEG, PNG, GIF or WebP under 2 MB, kept at 640x360 (mastodon/mastodon, app/models/preview_card.rb).
# - Bluesky: the app fits it into 2000x2000 and 1,000,000 bytes, the lexicon's limit for a link card's thumbnail
#   (bluesky-social/social-app, src/lib/api/resolve.ts; atproto, lexicons/app/bsky/embed/external.json).
CARD_SIZE = (1200, 630)

# Bump whenever a change here alters output bytes, so every cached image is made again.
_PIPELINE_VERSION = 1
# Bump whenever a change to the drawing of cards alters their bytes (their inputs are in their digest already).
_CARD_VERSION = 3
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
    file_digest: str = ""  # of the cached file's bytes, as made: a file that no longer hashes to it is made again


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
        return {variant.url.removeprefix("/"): variant.file_digest for variant in self.webp + self.fallback}


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
_ANIMATED_FORMATS = (_GIF, _WEBP)  # an animation in one of these is published as one, frame by frame


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


# A photo at least this many times taller than wide, or wider than tall, shows as a sliver (a tall infographic is 1:10).
SLIVER_RATIO = 20


def photo_remarks(path: Path) -> str | None:
    """What an editor should know of an image that can be published before it is an event's photo, or None: that it
    is animated (an event's photo is published still), or of proportions a reader would see as a sliver. Raise
    ImageProblem where `check_image` would."""
    data = path.read_bytes()
    with _reading(data):
        image = _opened(data)
        width, height = _display_size(image)
        animated = getattr(image, "is_animated", False)
    if animated:
        return "is animated: an event's photo is published still, as its first frame"
    long, short = max(width, height), min(width, height)
    if long >= SLIVER_RATIO * short:
        shape = "taller than wide" if height > width else "wider than tall"
        return (f"is {width}x{height} pixels, {long // short:,} times {shape}: readers would see a sliver of it; "
                "crop it to what it shows")
    return None


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
        """An event's 1200x630 image for link previews, its photo's card or else a title card: (output path named
        after key, cached file, digest of its bytes). Events showing one photo first share its cached file, made
        once; `photo_card` names it after the photo, so that they can share the published file too.

        With `cached_only`, None instead of making a card that is not in the cache yet.
        """
        if photo:
            return self._card(self._photo_card(photo), _slug(key), _JPEG, cached_only)
        return self.title_card(title, site_title, key, cached_only=cached_only)

    def photo_card(self, photo: Path, *, cached_only: bool = False) -> tuple[str, Path, str] | None:
        """The photo cropped to cover a 1200x630 JPEG: (output path named after the photo, cached file, digest of its
        bytes), or None if `cached_only` and not made yet."""
        return self._card(self._photo_card(photo), _slug(photo.stem), _JPEG, cached_only)

    def title_card(self, title: str, site_title: str, key: str, *,
                   cached_only: bool = False) -> tuple[str, Path, str] | None:
        """A 1200x630 palette PNG of the title under the site title: (output path named after key, cached file,
        digest of its bytes), or None if `cached_only` and not made yet."""
        card = _TitleCard(title, site_title, self._title_font, _TITLE_CARD_DESIGN, _TITLE_CARD_PNG, self._libraries)
        return self._card(card, _slug(key), _PNG, cached_only)

    def _photo_card(self, photo: Path) -> _PhotoCard:
        """Everything the card of the photo at path is made of."""
        return _PhotoCard(photo.read_bytes(), CARD_SIZE, _TITLE_CARD_DESIGN.background, _PHOTO_CARD_JPEG,
                          self._libraries)

    def _card(self, card: _TitleCard | _PhotoCard, name: str, output_format: _Format,
              cached_only: bool) -> tuple[str, Path, str] | None:
        """The card made from exactly `card` (its digest names it), from the cache or made now. A cached card's
        name carries the digest of its bytes too, so that one garbled since is known when published."""
        digest = _card_digest(card)
        made = self._cached_cards().get(digest)
        if made is None:
            if cached_only:
                return None
            data = _title_card_png(card) if isinstance(card, _TitleCard) else _photo_card_jpeg(card)
            made = (self.cache_dir / "cards" / f"{digest}.{content_digest(data)}.{output_format.ext}", content_digest(data))
            write_atomic(made[0], data)
            self._cached_cards()[digest] = made
            self.work_done += 1
        return f"cards/{name}.{digest[:10]}.{output_format.ext}", made[0], made[1]

    def _cached_cards(self) -> dict[str, tuple[Path, str]]:
        """The cards in the cache by the digest of what each is made of: its file and the digest of its bytes (both
        in its name), listed once."""
        if self._cards is None:
            folder = self.cache_dir / "cards"
            names = os.listdir(folder) if folder.is_dir() else []
            self._cards = {name.split(".")[0]: (folder / name, name.split(".")[1]) for name in names
                           if name.count(".") == 2 and not name.startswith(".")}
        return self._cards

    @functools.cached_property
    def _title_font(self) -> _CardFont:
        """The font of title cards, found once per cache (hashing it takes longer than drawing a card)."""
        return _card_font_choice()

    @functools.cached_property
    def _libraries(self) -> tuple[tuple[str, str | None], ...]:
        """The versions of what draws and encodes cards, looked up once per cache."""
        return _card_libraries()

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
                write_atomic(self._photo_file(digest, suffix), encoded)
                digests.append((suffix, content_digest(encoded)))
        rendition = _Rendition(sizes, fallback, tuple(digests))
        # The index goes last: its presence promises that every variant file is complete.
        write_atomic(self._photo_file(digest, "json"), _rendition_json(rendition))
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
                file_digest=digests[f"{width}.{output_format.ext}"],
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
            if output_format in _ANIMATED_FORMATS and getattr(image, "n_frames", 1) > 1:
                encoded = _encoded_animation(image, output_format)
            else:
                encoded = _encoded(_pixels_only(_publishable(image, size=None)), output_format)
        write_atomic(self._sanitized_file(digest, output_format), encoded)
        index = {"format": output_format.name, "digest": content_digest(encoded)}
        write_atomic(self.cache_dir / "assets" / f"{digest}.json", json.dumps(index).encode())
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
            if any(said in str(error) for said in _TEXT_BOMB):
                raise ImageProblem("holds text (metadata) that unpacks to megabytes, as a decompression bomb does: "
                                   "save the image again without its metadata") from error
            raise ImageProblem(f"is corrupt or truncated: {_reason(error)}") from error


# What Pillow says of a PNG whose text chunks unpack past its limits (`MAX_TEXT_CHUNK`, `MAX_TEXT_MEMORY`).
_TEXT_BOMB = ("MAX_TEXT_CHUNK", "MAX_TEXT_MEMORY")


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
    """The (width, height) of each variant, ascending: every target width, capped at the original width and at the
    width whose height is WebP's largest (a tall infographic: a photo more than 16,383 times taller than wide is
    squeezed to that height)."""
    width, height = display
    largest = max(1, min(width, width * MAX_VARIANT_SIDE // height))
    return tuple((target, min(MAX_VARIANT_SIDE, max(1, round(height * target / width))))
                 for target in sorted({min(w, largest) for w in widths}))


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


def _encoded_animation(image: ImageFile.ImageFile, output_format: _Format) -> bytes:
    """An animated GIF or WebP re-encoded frame by frame, with each frame's duration and the animation's loop count,
    and no metadata. Each frame is the whole picture it shows (Pillow composes a GIF's partial frames), so each
    replaces the one before; all of them are held at once, so their pixels together may not pass MAX_PIXELS."""
    width, height = image.size
    if image.n_frames * width * height > MAX_PIXELS:
        raise ImageProblem(f"is too large to decode safely: {image.n_frames} frames of {width}x{height} pixels "
                           f"(limit {MAX_PIXELS // 1_000_000} megapixels, all frames together)")
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        frame.load()  # a WebP frame's duration is known once it is read
        durations.append(frame.info.get("duration", 0))
        frames.append(_pixels_only(_normalised(frame.copy())))
    options: dict[str, object] = {"save_all": True, "append_images": frames[1:], "duration": durations}
    if "loop" in image.info:  # without it, a GIF plays once
        options["loop"] = image.info["loop"]
    if output_format is _GIF:
        options["disposal"] = 2  # each frame is drawn on a cleared canvas: the whole picture, transparency and all
    else:
        options.update(quality=WEBP_QUALITY, method=WEBP_METHOD)
    buffer = io.BytesIO()
    frames[0].save(buffer, output_format.name, **options)
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


@dataclass(frozen=True)
class _CardFont:
    """The font of title cards: its file (None for Pillow's built-in font) and the digest of its bytes."""

    path: str | None
    digest: str


@dataclass(frozen=True)
class _CardDesign:
    """How a title card looks: its size, colours, and the sizes and places of its text, in pixels."""

    size: tuple[int, int] = CARD_SIZE
    background: tuple[int, int, int] = (17, 24, 39)
    accent: tuple[int, int, int] = (220, 38, 38)
    text: tuple[int, int, int] = (255, 255, 255)
    # Steps from the background to the text colour for anti-aliased edges. Two look as smooth as Pillow's 255 once a
    # preview scales the card down (one leaves edges jagged), and make a 2-bit PNG of 4 colours: a third fewer bytes
    # and a sixth less time than 8 colours, where the site title could keep a colour of its own.
    shades: int = 2
    margin: int = 80
    # X shows large images at 2:1, cutting 15 pixels off the top and bottom of a 1200x630 card: the bar keeps 12.
    accent_height: int = 27
    site_title_top: int = 64
    site_title_size: int = 34
    title_top: int = 150
    title_sizes: tuple[int, ...] = (76, 64, 54, 46, 40)
    line_spacing: float = 1.2
    # A longer title is cut short with an ellipsis: a preview is a teaser, and more lines cost time and bytes.
    max_title_lines: int = 6

    @property
    def text_width(self) -> int:
        """The width of a line of text."""
        return self.size[0] - 2 * self.margin

    @property
    def title_box_height(self) -> int:
        """The height the title's lines share."""
        return self.size[1] - self.title_top - self.margin

    def line_height(self, size: int) -> int:
        """The distance between title lines set at size."""
        return round(size * self.line_spacing)

    def max_lines(self, size: int) -> int:
        """How many title lines set at size the card holds."""
        return min(self.title_box_height // self.line_height(size), self.max_title_lines)


@dataclass(frozen=True)
class _PngEncoding:
    """How a title card is compressed, within `budget` bytes: zlib's run-length strategy, half the time of the
    default one and as small for most titles; then the default; then the card drawn again with
    `shades_over_budget` steps of anti-aliasing. The densest titles we found (random letters and symbols over six
    lines) take 16 KB with the first."""

    level: int = 6
    strategies: tuple[int, ...] = (zlib.Z_RLE, zlib.Z_DEFAULT_STRATEGY)
    budget: int = 20_000
    shades_over_budget: int = 1


@dataclass(frozen=True)
class _JpegEncoding:
    """How a photo's card is compressed."""

    # A detailed 1200x630 photo takes 80-130 KB at 75, and still 50-80 KB at 40, whose blocks show: 20 KB is for
    # flat pictures. Each photo has one card, and the previews that fetch it scale it down and encode it again.
    quality: int = 75
    progressive: bool = True
    optimize: bool = True
    subsampling: str = "4:2:0"


@dataclass(frozen=True)
class _TitleCard:
    """Everything a title card is made of, its digest its name: all that `_title_card_png` draws it from, and the
    versions of the code and libraries that draw it."""

    title: str
    site_title: str
    font: _CardFont
    design: _CardDesign
    encoding: _PngEncoding
    libraries: tuple[tuple[str, str | None], ...]
    version: int = _CARD_VERSION


@dataclass(frozen=True)
class _PhotoCard:
    """Everything a photo's card is made of, its digest its name: all that `_photo_card_jpeg` makes it from, and
    the versions of the code and libraries that make it."""

    photo: bytes = field(repr=False)
    size: tuple[int, int]
    background: tuple[int, int, int]  # where the photo is transparent
    encoding: _JpegEncoding
    libraries: tuple[tuple[str, str | None], ...]
    version: int = _CARD_VERSION


_TITLE_CARD_DESIGN = _CardDesign()
_TITLE_CARD_PNG = _PngEncoding()
_PHOTO_CARD_JPEG = _JpegEncoding()


def _card_digest(card: _TitleCard | _PhotoCard) -> str:
    """The fingerprint of every field of card, the photo's bytes included, and of the code that makes images."""
    return fingerprint(card, _made_by())


def _card_libraries() -> tuple[tuple[str, str | None], ...]:
    """The versions of Pillow and of the libraries it draws, lays out and encodes cards with (None: not there)."""
    libraries = ("freetype2", "raqm", "harfbuzz", "fribidi", "zlib", "jpg", "libjpeg_turbo")
    return (("Pillow", importlib.metadata.version("Pillow")), *((name, features.version(name)) for name in libraries))


def _card_font_choice() -> _CardFont:
    """The first of the fixed system font paths that holds a file, with its digest; else Pillow's built-in font."""
    for path in _CARD_FONT_FILES:
        if path.is_file():
            return _CardFont(path.as_posix(), hashlib.sha256(path.read_bytes()).hexdigest())
    return _CardFont(None, "pillow-default")


@functools.lru_cache(maxsize=16)  # loading a font takes a tenth of a millisecond, and every card loads two
def _card_font(font: _CardFont, size: int) -> ImageFont.FreeTypeFont:
    """font at size."""
    if font.path:
        return ImageFont.truetype(font.path, size)
    return ImageFont.load_default(size=size)  # type: ignore[return-value]  # a FreeTypeFont whenever size is given


def _photo_card_jpeg(card: _PhotoCard) -> bytes:
    """The photo centre-cropped to cover the card, on the background where it is transparent, as a JPEG."""
    with _reading(card.photo):
        image = _opened(card.photo)
        width, height = _display_size(image)
        scale = max(card.size[0] / width, card.size[1] / height)
        # Larger than the card, it is scaled down whole (a JPEG decodes at a fraction of its size) and cut to the card.
        # Smaller in a side, the part the card shows is cut first and scaled up alone: a photo far narrower than the
        # card (a 2-pixel-wide strip) scaled up whole would take gigabytes.
        pixels = _publishable(image, size=(math.ceil(width * scale), math.ceil(height * scale)) if scale <= 1 else None)
    if scale > 1:
        pixels = ImageOps.fit(pixels, card.size, Image.Resampling.LANCZOS)
    left, top = (pixels.width - card.size[0]) // 2, (pixels.height - card.size[1]) // 2
    cover = pixels.crop((left, top, left + card.size[0], top + card.size[1]))
    canvas = Image.new("RGB", card.size, card.background)
    canvas.paste(cover, mask=cover.getchannel("A") if cover.mode == "RGBA" else None)
    buffer = io.BytesIO()
    encoding = card.encoding
    canvas.save(buffer, "JPEG", quality=encoding.quality, progressive=encoding.progressive,
                optimize=encoding.optimize, subsampling=encoding.subsampling)
    return buffer.getvalue()


def _title_card_png(card: _TitleCard) -> bytes:
    """The title card as a PNG of a few colours: the first of its encodings under budget, else the smallest."""
    encoding = card.encoding
    smallest = b""
    for shades in (card.design.shades, encoding.shades_over_budget):
        image = _title_card_image(card, shades)
        for strategy in encoding.strategies:
            buffer = io.BytesIO()
            image.save(buffer, "PNG", compress_level=encoding.level, compress_type=strategy)
            data = buffer.getvalue()
            if len(data) < encoding.budget:
                return data
            smallest = min(smallest, data, key=len) if smallest else data
    return smallest


def _title_card_image(card: _TitleCard, shades: int) -> Image.Image:
    """A palette image with the site title small on top, the title large below and the accent bar, light on dark,
    its text anti-aliased in `shades` steps."""
    design = card.design
    width, height = design.size
    # The title is drawn as coverage (0-255, anti-aliased), then mapped to the palette's few steps to its colour.
    image = Image.new("L", design.size, 0)
    draw = ImageDraw.Draw(image)
    font, lines = _title_layout(card.title, card.font, design)
    line_height = design.line_height(int(font.size))
    top = design.title_top + (design.title_box_height - line_height * len(lines)) // 2
    start, anchor = _line_start(card.title, design)
    for index, line in enumerate(lines):
        draw.text((start, top + index * line_height), line, font=font, fill=255, anchor=anchor)
    # Only where text was drawn: looking up every pixel would take as long as drawing.
    inked = image.getbbox()
    if inked:
        image.paste(image.crop(inked).point(_coverage_lookup(shades)), inked[:2])
    head = (width, design.title_top)
    image.paste(Image.frombytes("L", head, _card_head(card.site_title, card.font, design, shades)), (0, 0))
    image.putpalette(_palette(design, shades))
    return image


# Every card of a site has the same head: drawn once per process (it takes a third of a card's time).
@functools.lru_cache(maxsize=8)
def _card_head(site_title: str, font: _CardFont, design: _CardDesign, shades: int) -> bytes:
    """The palette indices of the band above the title: the accent bar and the site title, on one line, cut short
    with an ellipsis if it is too long."""
    head = Image.new("L", (design.size[0], design.title_top), 0)
    site_font = _card_font(font, design.site_title_size)
    line = " ".join(site_title.split())
    if site_font.getlength(line) > design.text_width:
        line = _with_ellipsis(line, site_font, design.text_width)
    start, anchor = _line_start(line, design)
    ImageDraw.Draw(head).text((start, design.site_title_top), line, font=site_font, fill=255, anchor=anchor)
    head = head.point(_coverage_lookup(shades))
    head.paste(shades + 1, (0, 0, design.size[0], design.accent_height))
    return head.tobytes()


def _line_start(text: str, design: _CardDesign) -> tuple[int, str]:
    """Where text's lines start on a card, and the anchor they are drawn from there: the left margin, or the right one
    for text read from right to left (its first letter of a script with a direction, as `dir="auto"` decides)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return design.size[0] - design.margin, "ra"
        if kind == "L":
            break
    return design.margin, "la"


def _palette(design: _CardDesign, shades: int) -> list[int]:
    """A title card's colours as Pillow's flat palette: the background (index 0), the steps to the text colour
    (1 to shades), the accent (shades + 1)."""
    colours = [design.background, *_shades(design.background, design.text, shades), design.accent]
    return [channel for colour in colours for channel in colour]


def _coverage_lookup(shades: int) -> list[int]:
    """Text coverage (0-255) to palette index: the nearest of the steps from the background to the text colour."""
    return [(coverage * shades + 127) // 255 for coverage in range(256)]


def _shades(background: tuple[int, int, int], colour: tuple[int, int, int], count: int) -> list[tuple[int, ...]]:
    """count colours evenly from just past background to colour, as anti-aliased text blends them."""
    return [tuple(round(b + (c - b) * step / count) for b, c in zip(background, colour))
            for step in range(1, count + 1)]


def _title_layout(title: str, font: _CardFont, design: _CardDesign) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The title font at the largest size whose wrapped lines fit the card, with those lines (cut short at the
    smallest size)."""
    reference = design.title_sizes[0]
    for size in design.title_sizes:
        # Each word is measured at one size: the fonts' widths scale with the size to within a tenth of a pixel.
        scale = size / reference
        lines = _wrapped(title.split(), lambda text: _width_at(font, reference, text) * scale, design.text_width,
                         design.max_lines(size))
        if len(lines) <= design.max_lines(size):
            return _card_font(font, size), lines
    smallest = _card_font(font, size)
    count = design.max_lines(size)
    return smallest, lines[: count - 1] + [_with_ellipsis(lines[count - 1], smallest, design.text_width)]


# A site's titles share most of their words: each is measured once per process (a lookup is a tenth of the time).
@functools.lru_cache(maxsize=16384)  # about 2 MB
def _width_at(font: _CardFont, size: int, text: str) -> float:
    """The advance of text set in font at size, in pixels."""
    return _card_font(font, size).getlength(text)


def _wrapped(words: list[str], width_of: Callable[[str], float], line_width: float, limit: int) -> list[str]:
    """words in lines no wider than line_width (words longer than a line split), stopping at limit + 1 lines."""
    space = width_of(" ")
    lines: list[str] = []
    widths: list[float] = []
    for word in words:
        for piece in _pieces(word, width_of, line_width):
            piece_width = width_of(piece)
            if lines and widths[-1] + space + piece_width <= line_width:
                lines[-1] += " " + piece
                widths[-1] += space + piece_width
            elif len(lines) > limit:
                return lines
            else:
                lines.append(piece)
                widths.append(piece_width)
    return lines


def _pieces(word: str, width_of: Callable[[str], float], line_width: float) -> list[str]:
    """word split into pieces no wider than line_width (usually just word)."""
    if width_of(word) <= line_width:
        return [word]
    pieces = [""]
    for char in word:
        if pieces[-1] and width_of(pieces[-1] + char) > line_width:
            pieces.append(char)
        else:
            pieces[-1] += char
    return pieces


def _with_ellipsis(text: str, font: ImageFont.FreeTypeFont, line_width: float) -> str:
    """The longest start of text that an ellipsis ends within line_width."""
    fits, too_long = 0, len(text) + 1
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if font.getlength(text[:middle].rstrip() + "…") <= line_width:
            fits = middle
        else:
            too_long = middle
    return text[:fits].rstrip() + "…"


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


def _digest(settings: dict[str, object], data: bytes) -> str:
    """Hex sha256 of settings (as canonical JSON), of the code that makes images, then of data."""
    hasher = hashlib.sha256(json.dumps({**settings, "made by": _made_by()}, sort_keys=True, ensure_ascii=False).encode())
    hasher.update(data)
    return hasher.hexdigest()


@functools.cache
def _made_by() -> str:
    """This module's code and Pillow's version: what turns an image's bytes and settings into its files."""
    return f"{content_digest(Path(__file__).read_bytes())} Pillow {importlib.metadata.version('Pillow')}"


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
