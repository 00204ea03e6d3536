"""Benchmark ImageCache.process on generated camera-like photos, cold (empty cache) and warm (second cache, same dir),
and social cards as another revision (`--before`, default main) makes them and as this checkout does, in one run.

Usage: python bench/bench_images.py [--count 100] [--cards 300] [--before main]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import io
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFilter

# The package is imported from this checkout, not from an installed copy.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from explainer.images import ImageCache, ProcessedImage, check_image  # noqa: E402

PHOTO_SIZE = (3000, 2000)
SEED = 20240501
# Shapes are drawn at a quarter of the size, blurred and scaled up: smooth scenery, like an out-of-focus background.
SKETCH_SCALE = 4
GRAIN_STRENGTH = 0.06

SITE_TITLE = "Belarus and Interpol: red notices against opponents abroad"
ENGLISH = (
    "police detained activist border court request notice Interpol minister statement protest picket embassy "
    "diaspora lawyer extradition warrant appeal hearing release opposition election authorities report journalist "
    "airport flight asylum visa prosecutor investigation letter database cooperation suspension review commission"
).split()
BELARUSIAN = (
    "Ціханоўская звяртаецца да Інтэрпола пасля затрымання ў Польшчы актывіст апазіцыя пратэст пікет амбасада "
    "дыяспара адвакат экстрадыцыя ордэр апеляцыя суд вызваленне выбары ўлады журналіст аэрапорт рэйс прытулак "
    "пракурор расследаванне ліст база супрацоўніцтва Беларусь Менск Вільня Варшава Кіеў"
).split()
PLACES = "Łódź Gdańsk Kraków Šiauliai Klaipėda Bielsko-Biała Île-de-France Zürich Kyiv".split()


def camera_exif(rng: random.Random) -> Image.Exif:
    """EXIF like a phone writes: make, model, serial, date, GPS position and (for some) a portrait orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "BenchPhone"
    exif[ExifTags.Base.Model] = f"Model {rng.randint(1, 9)}"
    exif[ExifTags.Base.Orientation] = rng.choice((1, 1, 1, 6))
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.BodySerialNumber] = f"SN{rng.randrange(10**9):09d}"
    details[ExifTags.Base.DateTimeOriginal] = f"2024:05:{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:12:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (45.0, float(rng.randint(0, 59)), float(rng.randint(0, 59)))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, float(rng.randint(0, 59)), float(rng.randint(0, 59)))
    return exif


def scenery(rng: random.Random) -> Image.Image:
    """A smooth, colourful picture at full photo size: a sky-to-ground gradient with blurred shapes."""
    width, height = PHOTO_SIZE[0] // SKETCH_SCALE, PHOTO_SIZE[1] // SKETCH_SCALE
    sky, ground = (tuple(rng.randrange(256) for _ in range(3)) for _ in range(2))
    sketch = Image.composite(Image.new("RGB", (width, height), ground), Image.new("RGB", (width, height), sky),
                             Image.linear_gradient("L").resize((width, height)))
    draw = ImageDraw.Draw(sketch)
    for _ in range(rng.randint(8, 20)):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randint(10, width // 4)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=tuple(rng.randrange(256) for _ in range(3)))
    return sketch.filter(ImageFilter.GaussianBlur(3)).resize(PHOTO_SIZE, Image.Resampling.BICUBIC)


def with_grain(image: Image.Image, rng: random.Random) -> Image.Image:
    """image with faint sensor-like noise, so encoders see realistic fine detail."""
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height)).convert("RGB")
    return Image.blend(image, noise, GRAIN_STRENGTH)


def make_photos(directory: Path, count: int) -> list[Path]:
    """count deterministic camera-like JPEGs in directory, half of them with an embedded sRGB profile."""
    rng = random.Random(SEED)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    paths = []
    for index in range(count):
        path = directory / f"photo-{index:03d}.jpg"
        options = {"icc_profile": srgb} if index % 2 else {}
        with_grain(scenery(rng), rng).save(path, "JPEG", quality=90, exif=camera_exif(rng), **options)
        paths.append(path)
    return paths


def timed(action: Callable[[], object]) -> tuple[float, object]:
    """Seconds action took, and what it returned."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def process_all(cache: ImageCache, photos: list[Path]) -> list[ProcessedImage]:
    """Every photo processed through cache."""
    return [cache.process(photo, f"images/{photo.name}") for photo in photos]


def output_bytes(images: list[ProcessedImage]) -> int:
    """Total size of every published file of images."""
    return sum(file.stat().st_size for image in images for file in image.files.values())


def card_titles(count: int) -> list[str]:
    """count deterministic event titles, a third in Belarusian, some naming Polish or Lithuanian places: most of
    one or two lines, a fifth long enough to shrink, a tenth so long they are cut short, a few with a web address."""
    rng = random.Random(SEED)
    titles = []
    for index in range(count):
        words = BELARUSIAN if index % 3 == 1 else ENGLISH
        length = rng.choice((2, 4, 5, 6, 6, 7, 7, 8, 8, 9, 10, 11, 12, 14, 16, 18, 20, 24, 40, 70))
        title = " ".join(rng.choice(words) for _ in range(length))
        if index % 5 == 2:
            title += f" in {rng.choice(PLACES)}"
        if index % 50 == 7:
            title += " https://www.interpol.int/en/How-we-work/Notices/Red-Notices/View-Red-Notices"
        titles.append(title[0].upper() + title[1:])
    return titles


def revision_images(revision: str, directory: Path) -> ModuleType:
    """explainer.images as it is at revision of this repository, imported as explainer_before.images."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, "explainer"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    package = directory / "explainer"
    spec = importlib.util.spec_from_file_location("explainer_before", package / "__init__.py",
                                                  submodule_search_locations=[str(package)])
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["explainer_before"] = module
    spec.loader.exec_module(module)
    return importlib.import_module("explainer_before.images")


def timed_card(cache: ImageCache, title: str, photo: Path | None, key: str) -> tuple[float, float, Path, bool]:
    """An event's card made (or found) through cache, either version's: wall and CPU seconds, the cached file, and
    whether it was made."""
    done = cache.work_done
    wall, cpu = time.perf_counter(), time.process_time()
    file = cache.social_card(title, SITE_TITLE, photo, key)[1]  # (output path, cached file[, digest of its bytes])
    return time.perf_counter() - wall, time.process_time() - cpu, file, cache.work_done > done


def bench_cards(root: Path, before_revision: str, titles: list[str], photos: list[Path]) -> list[tuple]:
    """Rows (kind, version, events, files made, ms per file made: median wall, median and 90th percentile CPU; kB
    per file: mean and max; MB in all) for title cards and for photo cards (every photo shown first by two events),
    made by the revision and by this checkout."""
    before = revision_images(before_revision, root / "before")
    title_calls = [(title, None, f"event-{index:05d}") for index, title in enumerate(titles)]
    photo_calls = [(f"Event {index}", photo, f"photo-event-{index:05d}") for index, photo in enumerate(photos * 2)]
    rows = []
    for kind, calls in (("title card", title_calls), ("photo card", photo_calls)):
        caches = {"before": before.ImageCache(root / f"{kind}-before"), "after": ImageCache(root / f"{kind}-after")}
        timings: dict[str, list[tuple[float, float, Path, bool]]] = {"before": [], "after": []}
        for index, call in enumerate(calls):
            # Alternating which goes first spreads the machine's other work evenly over both.
            for version in ("before", "after") if index % 2 else ("after", "before"):
                timings[version].append(timed_card(caches[version], *call))
        for version, results in timings.items():
            made = [result for result in results if result[3]]
            cpu = [1000 * result[1] for result in made]
            sizes = [file.stat().st_size for _, _, file, _ in made]
            rows.append((kind, version, len(calls), len(made), 1000 * statistics.median(r[0] for r in made),
                         statistics.median(cpu), statistics.quantiles(cpu, n=10)[-1], statistics.mean(sizes) / 1e3,
                         max(sizes) / 1e3, sum(sizes) / 1e6))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Generate photos, time cold and warm processing and the making of cards, and print the figures as tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="number of photos to generate (default 100)")
    parser.add_argument("--cards", type=int, default=300, help="number of title cards to time (default 300)")
    parser.add_argument("--before", default="main", help="revision whose cards to compare with (default main)")
    arguments = parser.parse_args(argv)
    count = arguments.count
    with tempfile.TemporaryDirectory(prefix="bench-images-") as temporary:
        root = Path(temporary)
        (root / "photos").mkdir()
        photos = make_photos(root / "photos", count)
        input_bytes = sum(photo.stat().st_size for photo in photos)
        check_seconds, _ = timed(lambda: [check_image(photo) for photo in photos])
        cold = ImageCache(root / "cache")
        cold_seconds, images = timed(lambda: process_all(cold, photos))
        warm = ImageCache(root / "cache")
        warm_seconds, _ = timed(lambda: process_all(warm, photos))
        total = output_bytes(images)
        files = sum(len(image.files) for image in images)
        card_rows = bench_cards(root, arguments.before, card_titles(arguments.cards), photos[:20])
    print(f"{count} photos, {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG, {input_bytes / 1e6:.1f} MB in")
    print(f"{'run':<20}{'seconds':>9}{'ms/image':>10}{'work_done':>11}")
    for name, seconds, work in (
        ("check_image", check_seconds, "-"),
        ("process, cold", cold_seconds, cold.work_done),
        ("process, warm", warm_seconds, warm.work_done),
    ):
        print(f"{name:<20}{seconds:>9.2f}{1000 * seconds / count:>10.1f}{work:>11}")
    print(f"output: {files} files, {total / 1e6:.1f} MB ({total / count / 1e3:.0f} kB per photo)")
    print()
    print(f"social cards, before = {arguments.before}, after = this checkout; ms per card made")
    print(f"{'card':<12}{'version':<9}{'events':>7}{'files':>7}{'wall med':>10}{'CPU med':>9}{'CPU p90':>9}"
          f"{'kB/card':>9}{'kB max':>8}{'MB all':>8}")
    for kind, version, events, made, wall, cpu, cpu_90, mean, largest, total in card_rows:
        print(f"{kind:<12}{version:<9}{events:>7}{made:>7}{wall:>10.2f}{cpu:>9.2f}{cpu_90:>9.2f}{mean:>9.1f}"
              f"{largest:>8.1f}{total:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
