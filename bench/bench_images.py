"""Benchmark ImageCache.process on generated camera-like photos, cold (empty cache) and warm (second cache, same dir).

Usage: python bench/bench_images.py [--count 100]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFilter

# The package is imported from this checkout, not from an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from explainer.images import ImageCache, ProcessedImage, check_image  # noqa: E402

PHOTO_SIZE = (3000, 2000)
SEED = 20240501
# Shapes are drawn at a quarter of the size, blurred and scaled up: smooth scenery, like an out-of-focus background.
SKETCH_SCALE = 4
GRAIN_STRENGTH = 0.06


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


def main(argv: list[str] | None = None) -> int:
    """Generate photos, time cold and warm processing, and print the figures as a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="number of photos to generate (default 100)")
    count = parser.parse_args(argv).count
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
    print(f"{count} photos, {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG, {input_bytes / 1e6:.1f} MB in")
    print(f"{'run':<20}{'seconds':>9}{'ms/image':>10}{'work_done':>11}")
    for name, seconds, work in (
        ("check_image", check_seconds, "-"),
        ("process, cold", cold_seconds, cold.work_done),
        ("process, warm", warm_seconds, warm.work_done),
    ):
        print(f"{name:<20}{seconds:>9.2f}{1000 * seconds / count:>10.1f}{work:>11}")
    print(f"output: {files} files, {total / 1e6:.1f} MB ({total / count / 1e3:.0f} kB per photo)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
