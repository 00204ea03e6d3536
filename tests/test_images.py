import dataclasses
import io
import random
import re
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageSequence, JpegImagePlugin, PngImagePlugin

from explainer import images
from explainer.images import (_TITLE_CARD_DESIGN, _TITLE_CARD_PNG, ImageCache, ImageProblem, _card_digest, _card_font,
                              _card_font_choice, _card_libraries, _title_card_png, _title_layout, _TitleCard, _wrapped,
                              check_image)

RED = (220, 20, 20)
BLUE = (20, 40, 220)
MAKE = "CanonTestMakeXYZ"
SERIAL = "SN0123456789QQ"
COMMENT = b"taken at the picket line by J. Doe"
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="PhoneCam"/>'
    b"</rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>"
)
IDENTIFYING = (b"Exif", b"http://ns.adobe.com/xap", MAKE.encode(), SERIAL.encode(), COMMENT)


def two_tone(size: tuple[int, int], first=RED, second=BLUE, *, vertical: bool = True, mode: str = "RGB") -> Image.Image:
    """An image whose top (or left) half is first and bottom (or right) half is second."""
    image = Image.new(mode, size, first)
    width, height = size
    box = (0, height // 2, width, height) if vertical else (width // 2, 0, width, height)
    ImageDraw.Draw(image).rectangle(box, fill=second)
    return image


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = MAKE
    exif[ExifTags.Base.Model] = "EOS Test"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.DateTime] = "2024:05:01 10:00:00"
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.BodySerialNumber] = SERIAL
    details[ExifTags.Base.DateTimeOriginal] = "2024:05:01 09:58:12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (45.0, 45.0, 36.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 50.0, 24.0)
    return exif


def save(image: Image.Image, path: Path, format: str = "JPEG", **options) -> Path:
    image.save(path, format, **options)
    return path


def portrait_phone_photo(path: Path, size: tuple[int, int] = (1200, 800)) -> Path:
    """A landscape JPEG whose EXIF turns it portrait, red on top once upright, full of identifying metadata."""
    upright = two_tone((size[1], size[0]))
    # Orientation 6 means "rotate 90° clockwise to display", so store the picture turned the other way.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    return save(stored, path, exif=camera_exif(orientation=6), comment=COMMENT, xmp=XMP, quality=90)


def decoded(file: Path) -> Image.Image:
    image = Image.open(file)
    image.load()
    return image


def close_to(pixel, expected, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected))


def assert_no_metadata(file: Path) -> None:
    image = Image.open(file)
    assert len(image.getexif()) == 0, file
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"} & set(image.info), (file, image.info)
    data = file.read_bytes()
    for leak in (*IDENTIFYING, b"GPS"):
        assert leak not in data, (file, leak)


def test_every_variant_of_a_phone_photo_is_upright_and_carries_no_metadata(tmp_path):
    photo = portrait_phone_photo(tmp_path / "lyon.jpg")
    # The input really carries what must not leak.
    assert all(leak in photo.read_bytes() for leak in IDENTIFYING)
    assert Image.open(photo).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    image = ImageCache(tmp_path / "cache").process(photo, "images/lyon.jpg")

    assert (image.width, image.height) == (800, 1200)
    assert len(image.files) == 4
    for file in image.files.values():
        assert_no_metadata(file)
        output = decoded(file).convert("RGB")
        assert output.height > output.width, file
        assert close_to(output.getpixel((output.width // 2, 5)), RED), file
        assert close_to(output.getpixel((output.width // 2, output.height - 5)), BLUE), file


def test_a_large_rotated_jpeg_is_decoded_at_reduced_scale_yet_keeps_exact_sizes_and_orientation(tmp_path, monkeypatch):
    photo = portrait_phone_photo(tmp_path / "big.jpg", size=(4800, 3200))
    decoded_sizes = []
    load = JpegImagePlugin.JpegImageFile.load

    def recording_load(image):
        decoded_sizes.append(image.size)
        return load(image)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", recording_load)
    image = ImageCache(tmp_path / "cache").process(photo, "images/big.jpg")
    monkeypatch.undo()

    # Half scale still leaves 1600 px across once upright (2400x1600 stored), so it is all that is decoded.
    assert decoded_sizes[0] == (2400, 1600)
    assert [(v.width, v.height) for v in image.fallback] == [(480, 720), (960, 1440), (1600, 2400)]
    for variant in image.webp + image.fallback:
        output = decoded(variant.file).convert("RGB")
        assert output.size == (variant.width, variant.height)
        assert close_to(output.getpixel((output.width // 2, 5)), RED)


def test_transparent_png_keeps_alpha_in_png_fallback_and_webp(tmp_path):
    logo = Image.new("RGBA", (1000, 500), (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((250, 0, 750, 500), fill=(*RED, 255))
    source = save(logo, tmp_path / "cutout.png", "PNG")

    image = ImageCache(tmp_path / "cache").process(source, "images/cutout.png")

    assert {v.mime for v in image.fallback} == {"image/png"}
    assert all(v.url.endswith(".png") for v in image.fallback)
    assert {v.mime for v in image.webp} == {"image/webp"}
    for variant in image.webp + image.fallback:
        output = decoded(variant.file).convert("RGBA")
        assert output.getpixel((2, 2))[3] == 0, variant.url
        assert output.getpixel((output.width // 2, output.height // 2))[3] == 255, variant.url


def test_an_alpha_channel_that_is_fully_opaque_still_gets_a_jpeg_fallback(tmp_path):
    source = save(two_tone((800, 600), mode="RGBA"), tmp_path / "screenshot.png", "PNG")

    image = ImageCache(tmp_path / "cache").process(source, "images/screenshot.png")

    assert {v.mime for v in image.fallback} == {"image/jpeg"}


def test_palette_png_with_a_transparent_entry_counts_as_transparent(tmp_path):
    palette = two_tone((600, 400)).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    transparent_index = palette.getpixel((0, 0))
    source = save(palette, tmp_path / "map.png", "PNG", transparency=transparent_index)

    image = ImageCache(tmp_path / "cache").process(source, "images/map.png")

    assert image.largest.mime == "image/png"
    output = decoded(image.largest.file).convert("RGBA")
    assert output.getpixel((5, 5))[3] == 0
    assert close_to(output.getpixel((5, output.height - 5)), (*BLUE, 255))


def test_cmyk_jpeg_comes_out_rgb_with_the_right_colours(tmp_path):
    cmyk = Image.new("CMYK", (900, 600), (0, 255, 255, 0))  # pure red ink
    source = save(cmyk, tmp_path / "print.jpg")

    image = ImageCache(tmp_path / "cache").process(source, "images/print.jpg")

    for file in image.files.values():
        output = decoded(file)
        assert output.mode == "RGB"
        assert close_to(output.getpixel((10, 10)), (255, 0, 0), tolerance=50)


def swapped_primaries_profile() -> bytes:
    """An RGB ICC profile like sRGB but with the red and green primaries swapped, so converting visibly matters."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack_from(">I", profile, 128)
    entries = {bytes(profile[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, green = entries[b"rXYZ"] + 4, entries[b"gXYZ"] + 4  # each entry: signature, then offset and size
    profile[red : red + 8], profile[green : green + 8] = profile[green : green + 8], profile[red : red + 8]
    return bytes(profile)


def test_embedded_colour_profile_is_converted_to_srgb_and_dropped(tmp_path):
    stored_red = Image.new("RGB", (700, 500), (255, 0, 0))
    source = save(stored_red, tmp_path / "p3.jpg", icc_profile=swapped_primaries_profile())

    image = ImageCache(tmp_path / "cache").process(source, "images/p3.jpg")

    for file in image.files.values():
        output = decoded(file)
        assert "icc_profile" not in output.info
        red, green, blue = output.convert("RGB").getpixel((10, 10))
        assert green > 200 and red < 80 and blue < 80, (file, (red, green, blue))


def test_srgb_profile_is_dropped_without_changing_colours(tmp_path):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = save(Image.new("RGB", (700, 500), RED), tmp_path / "srgb.jpg", icc_profile=srgb)

    image = ImageCache(tmp_path / "cache").process(source, "images/srgb.jpg")

    for file in image.files.values():
        output = decoded(file)
        assert "icc_profile" not in output.info
        assert close_to(output.convert("RGB").getpixel((10, 10)), RED, tolerance=12)


def test_a_damaged_colour_profile_is_ignored_rather_than_blocking_the_photo(tmp_path):
    source = save(Image.new("RGB", (700, 500), RED), tmp_path / "odd.jpg", icc_profile=b"not a profile" * 20)

    image = ImageCache(tmp_path / "cache").process(source, "images/odd.jpg")

    assert close_to(decoded(image.largest.file).getpixel((10, 10)), RED, tolerance=12)


def test_sixteen_bit_grey_keeps_its_tones(tmp_path):
    source = save(Image.new("I;16", (600, 400), 40000), tmp_path / "scan.png", "PNG")

    image = ImageCache(tmp_path / "cache").process(source, "images/scan.png")

    assert close_to(decoded(image.largest.file).getpixel((5, 5)), (156, 156, 156), tolerance=3)


def noisy_jpeg(path: Path, size: tuple[int, int] = (800, 600)) -> Path:
    return save(Image.effect_noise(size, 60).convert("RGB"), path, quality=90)


def test_truncated_jpeg_is_reported_corrupt(tmp_path):
    whole = noisy_jpeg(tmp_path / "whole.jpg").read_bytes()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(ImageProblem, match="corrupt or truncated"):
        check_image(broken)
    with pytest.raises(ImageProblem, match="corrupt or truncated"):
        ImageCache(tmp_path / "cache").process(broken, "images/broken.jpg")


def test_png_with_a_bad_checksum_is_reported_corrupt(tmp_path):
    data = bytearray(save(two_tone((64, 64)), tmp_path / "ok.png", "PNG").read_bytes())
    data[-13] ^= 0xFF  # the checksum of the last IDAT chunk (IEND takes the final 12 bytes); the pixels still decode
    broken = tmp_path / "broken.png"
    broken.write_bytes(bytes(data))

    with pytest.raises(ImageProblem, match="corrupt or truncated"):
        check_image(broken)


def test_a_web_page_saved_as_jpg_is_not_an_image_and_the_message_says_so_without_quoting_it(tmp_path):
    page = tmp_path / "photo.jpg"
    page.write_text("<!DOCTYPE html><html>Access denied</html>")

    with pytest.raises(ImageProblem) as problem:
        check_image(page)

    assert str(problem.value) == "is not an image Pillow can read (it holds text, not an image); use JPEG, PNG, WebP or GIF"
    assert str(tmp_path) not in str(problem.value)


def test_an_empty_file_says_so(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")

    with pytest.raises(ImageProblem, match="the file is empty"):
        check_image(empty)


def png_claiming(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header claims width x height pixels (its data is far too short to fill them)."""
    data = bytearray(save(Image.new("RGB", (8, 8)), path, "PNG").read_bytes())
    struct.pack_into(">II", data, 16, width, height)
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def test_pixel_count_over_our_limit_is_refused_from_the_header_with_its_size(tmp_path):
    # 48 megapixels: above MAX_PIXELS but below Pillow's own bomb warning, so only our check can catch it.
    source = png_claiming(tmp_path / "huge.png", 8000, 6000)
    pixel_limit = Image.MAX_IMAGE_PIXELS

    for attempt in (check_image, lambda path: ImageCache(tmp_path / "cache").process(path, "images/huge.png")):
        with pytest.raises(ImageProblem) as problem:
            attempt(source)
        assert str(problem.value) == "is too large to decode safely: 8000x6000 pixels (limit 40 megapixels)"
    assert Image.MAX_IMAGE_PIXELS == pixel_limit


def test_decompression_bomb_is_refused_as_an_image_problem(tmp_path):
    source = png_claiming(tmp_path / "bomb.png", 20000, 20000)

    with pytest.raises(ImageProblem, match="too large to decode safely"):
        check_image(source)
    with pytest.raises(ImageProblem, match="too large to decode safely"):
        ImageCache(tmp_path / "cache").sanitize(source, "images/bomb.png")


def test_a_valid_image_passes_the_check(tmp_path):
    check_image(portrait_phone_photo(tmp_path / "fine.jpg"))


@pytest.mark.parametrize(
    "size, expected",
    [
        ((2000, 1333), [(480, 320), (960, 640), (1600, 1066)]),
        ((1600, 900), [(480, 270), (960, 540), (1600, 900)]),
        ((700, 350), [(480, 240), (700, 350)]),
        ((300, 200), [(300, 200)]),
        # Tall infographics: no side longer than WebP's 16,383 pixels, the proportions kept but where that cannot be.
        ((1000, 20000), [(480, 9600), (819, 16380)]),
        ((1, 40000), [(1, 16383)]),
    ],
)
def test_variants_never_upscale_and_keep_proportions(tmp_path, size, expected):
    source = save(two_tone(size), tmp_path / "Lyon Picket.jpg")

    image = ImageCache(tmp_path / "cache").process(source, "images/Lyon Picket.jpg")

    for variants, ext in ((image.webp, "webp"), (image.fallback, "jpg")):
        assert [(v.width, v.height) for v in variants] == expected
        for variant in variants:
            assert re.fullmatch(rf"/images/lyon-picket\.[0-9a-f]{{10}}\.{variant.width}\.{ext}", variant.url)
            assert decoded(variant.file).size == (variant.width, variant.height)
    assert (image.width, image.height) == expected[-1]
    assert image.largest == image.fallback[-1]


def test_srcset_lists_each_url_with_its_width(tmp_path):
    image = ImageCache(tmp_path / "cache").process(save(two_tone((700, 350)), tmp_path / "a.jpg"), "images/a.jpg")

    assert image.srcset(image.webp) == f"{image.webp[0].url} 480w, {image.webp[1].url} 700w"
    assert set(image.files) == {v.url.removeprefix("/") for v in image.webp + image.fallback}


@pytest.fixture
def forbid_opening_images(monkeypatch):
    """Call it to make any later attempt to open an image fail the test."""

    def forbid() -> None:
        def opened(*args, **kwargs):
            raise AssertionError("a cached image was opened again")

        monkeypatch.setattr(Image, "open", opened)

    return forbid


def test_a_second_cache_on_the_same_directory_returns_the_image_without_decoding(tmp_path, forbid_opening_images):
    source = portrait_phone_photo(tmp_path / "lyon.jpg")
    first = ImageCache(tmp_path / "cache").process(source, "images/lyon.jpg")

    forbid_opening_images()
    again = ImageCache(tmp_path / "cache")
    assert again.process(source, "images/lyon.jpg") == first
    assert again.work_done == 0


def test_changed_bytes_get_a_new_hash_and_are_processed(tmp_path):
    source = save(two_tone((700, 350)), tmp_path / "a.jpg")
    cache = ImageCache(tmp_path / "cache")
    before = cache.process(source, "images/a.jpg")
    save(two_tone((700, 350), BLUE, RED), source)

    after = cache.process(source, "images/a.jpg")

    assert cache.work_done == 2
    assert set(before.files).isdisjoint(after.files)
    assert all(file.exists() for file in after.files.values())


def test_changed_widths_reprocess_the_image(tmp_path):
    source = save(two_tone((2000, 1000)), tmp_path / "a.jpg")
    ImageCache(tmp_path / "cache").process(source, "images/a.jpg")

    narrower = ImageCache(tmp_path / "cache", widths=(320, 640))
    image = narrower.process(source, "images/a.jpg")

    assert narrower.work_done == 1
    assert [v.width for v in image.webp] == [320, 640]


def test_a_missing_cached_file_is_made_again(tmp_path):
    source = save(two_tone((700, 350)), tmp_path / "a.jpg")
    image = ImageCache(tmp_path / "cache").process(source, "images/a.jpg")
    image.largest.file.unlink()

    again = ImageCache(tmp_path / "cache")
    assert again.process(source, "images/a.jpg") == image
    assert again.work_done == 1
    assert image.largest.file.exists()


def test_the_same_photo_under_two_names_shares_cached_files(tmp_path):
    source = save(two_tone((700, 350)), tmp_path / "a.jpg")
    cache = ImageCache(tmp_path / "cache")

    first = cache.process(source, "images/a.jpg")
    second = cache.process(source, "images/copy of a.jpg")

    assert cache.work_done == 1
    assert second.largest.url.startswith("/images/copy-of-a.")
    assert list(first.files.values()) == list(second.files.values())


def test_nothing_but_finished_files_is_left_in_the_cache(tmp_path):
    cache = ImageCache(tmp_path / "cache")
    cache.process(portrait_phone_photo(tmp_path / "lyon.jpg"), "images/lyon.jpg")

    names = [path.name for path in (tmp_path / "cache").rglob("*") if path.is_file()]
    assert names and not [name for name in names if name.startswith(".") or name.endswith(".tmp")]


def test_processing_is_deterministic_across_caches(tmp_path):
    photo = portrait_phone_photo(tmp_path / "lyon.jpg")
    logo = save(Image.new("RGBA", (200, 100), (*RED, 128)), tmp_path / "logo.png", "PNG")

    def outputs(cache_dir: Path) -> list[bytes]:
        cache = ImageCache(cache_dir)
        files = list(cache.process(photo, "images/lyon.jpg").files.values())
        files.append(cache.sanitize(logo, "images/logo.png")[1])  # (output path, cached file, digest)
        files.append(cache.social_card("Dockers strike", "Strike timeline", None, "strike")[1])
        files.append(cache.social_card("Dockers strike", "Strike timeline", photo, "strike-photo")[1])
        return [file.read_bytes() for file in files]

    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")


def test_sanitized_png_logo_keeps_format_size_and_transparency_but_not_its_text(tmp_path):
    logo = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    ImageDraw.Draw(logo).rectangle((20, 20, 280, 100), fill=(*BLUE, 255))
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Jane Photographer")
    source = save(logo, tmp_path / "Logo.png", "PNG", pnginfo=text, exif=camera_exif())

    output, file, _ = ImageCache(tmp_path / "cache").sanitize(source, "images/Logo.png")

    assert re.fullmatch(r"images/logo\.[0-9a-f]{10}\.png", output)
    result = decoded(file)
    assert (result.format, result.size) == ("PNG", (300, 120))
    assert "Author" not in result.info and b"Jane Photographer" not in file.read_bytes()
    assert_no_metadata(file)
    assert result.convert("RGBA").getpixel((2, 2))[3] == 0


def moving_square(transparent: bool) -> list[Image.Image]:
    """Four frames of a red square crossing a clear or white picture."""
    frames = []
    for step in range(4):
        frame = Image.new("RGBA", (60, 40), (0, 0, 0, 0) if transparent else (255, 255, 255, 255))
        ImageDraw.Draw(frame).rectangle((step * 12, 5, step * 12 + 10, 30), fill=(200, 20, 20, 255))
        frames.append(frame)
    return frames


@pytest.mark.parametrize("format", ["GIF", "WEBP"])
@pytest.mark.parametrize("transparent", [True, False])
def test_a_sanitized_animation_keeps_every_frame_its_timing_and_loop_but_no_metadata(tmp_path, format, transparent):
    frames = moving_square(transparent)
    source = save(frames[0], tmp_path / f"map.{format.lower()}", format, save_all=True, append_images=frames[1:],
                  duration=[100, 200, 300, 400], loop=0, comment=b"Jane Photographer", **({"disposal": 2} if format == "GIF" else {}))

    _, file, _ = ImageCache(tmp_path / "cache").sanitize(source, f"images/map.{format.lower()}")

    result = Image.open(file)
    assert (result.format, result.n_frames, result.info.get("loop")) == (format, 4, 0)
    for index, frame in enumerate(ImageSequence.Iterator(result)):
        frame.load()
        assert frame.info["duration"] == 100 * (index + 1)
        shown = frame.convert("RGBA")
        assert close_to(shown.getpixel((index * 12 + 5, 20)), (200, 20, 20, 255)), index  # the square, where it is then
        where_it_was = (5 if index else 45, 20)  # cleared: no frame shows through the next
        assert shown.getpixel(where_it_was)[3 if transparent else 1] == (0 if transparent else 255), index
    assert b"Jane Photographer" not in file.read_bytes()


def test_a_gif_that_plays_once_still_plays_once(tmp_path):
    frames = moving_square(False)
    source = save(frames[0], tmp_path / "once.gif", "GIF", save_all=True, append_images=frames[1:], duration=100)
    _, file, _ = ImageCache(tmp_path / "cache").sanitize(source, "images/once.gif")
    result = Image.open(file)
    assert result.n_frames == 4 and "loop" not in result.info


def test_an_animation_whose_frames_together_pass_the_pixel_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 60 * 40 * 3)
    frames = moving_square(False)
    source = save(frames[0], tmp_path / "long.gif", "GIF", save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(ImageProblem) as problem:
        ImageCache(tmp_path / "cache").sanitize(source, "images/long.gif")
    assert str(problem.value) == "is too large to decode safely: 4 frames of 60x40 pixels (limit 0 megapixels, all frames together)"


def test_sanitized_jpeg_keeps_format_and_size_and_loses_gps(tmp_path):
    source = save(two_tone((640, 480)), tmp_path / "texture.jpg", exif=camera_exif(), comment=COMMENT, xmp=XMP)

    output, file, _ = ImageCache(tmp_path / "cache").sanitize(source, "css/img/texture.jpg")

    assert re.fullmatch(r"css/img/texture\.[0-9a-f]{10}\.jpg", output)
    result = decoded(file)
    assert (result.format, result.size) == ("JPEG", (640, 480))
    assert_no_metadata(file)


@pytest.mark.parametrize(
    "format, suffix, expected, expected_suffix",
    [
        ("JPEG", "jpg", "JPEG", "jpg"),
        ("PNG", "png", "PNG", "png"),
        ("WEBP", "webp", "WEBP", "webp"),
        ("GIF", "gif", "GIF", "gif"),
        ("TIFF", "tif", "PNG", "png"),
        ("BMP", "bmp", "PNG", "png"),
    ],
)
def test_sanitize_keeps_web_formats_and_turns_the_others_into_png(tmp_path, format, suffix, expected, expected_suffix):
    source = save(two_tone((120, 80)), tmp_path / f"icon.{suffix}", format)

    output, file, _ = ImageCache(tmp_path / "cache").sanitize(source, f"images/icon.{suffix}")

    result = decoded(file)
    assert (result.format, result.size) == (expected, (120, 80))
    assert output.endswith(f".{expected_suffix}") and file.suffix == f".{expected_suffix}"
    assert close_to(result.convert("RGB").getpixel((60, 70)), BLUE)


def test_sanitize_is_cached(tmp_path, forbid_opening_images):
    source = save(two_tone((64, 64)), tmp_path / "icon.png", "PNG")
    first = ImageCache(tmp_path / "cache").sanitize(source, "images/icon.png")
    forbid_opening_images()

    again = ImageCache(tmp_path / "cache")
    assert again.sanitize(source, "images/icon.png") == first
    assert again.work_done == 0


def test_sanitize_refuses_a_source_outside_assets(tmp_path):
    source = save(two_tone((64, 64)), tmp_path / "icon.png", "PNG")

    with pytest.raises(ValueError):
        ImageCache(tmp_path / "cache").sanitize(source, "../secret/icon.png")


LONG_TITLE = "Dockworkers strike across the port of Marseille for the third day as talks stall " * 8
BELARUSIAN_TITLE = "Ціханоўская звяртаецца да Інтэрпола пасля затрымання ў Польшчы"
# Random letters and symbols: the most bytes a card of text takes that we found.
SYMBOL_SOUP = " ".join("".join(random.Random(seed).choices("ЖШЩЮWM@%&©®™ąęłżабвгдёжзійклмнопрстуўфхцчшыьэюя",
                                                           k=seed % 9 + 2)) for seed in range(300))


def png_header(file: Path) -> dict[str, int]:
    """The width, height, bit depth and colour type a PNG file declares."""
    data = file.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    return {"width": width, "height": height, "depth": depth, "colour_type": colour_type}


def inked(card: Image.Image, box: tuple[int, int, int, int]) -> int:
    """How many pixels of box are light (text on the card's dark background)."""
    return card.convert("L").crop(box).point(lambda value: 255 if value > 160 else 0).histogram()[255]


def contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """The WCAG 2 contrast ratio of two sRGB colours."""
    def luminance(colour: tuple[int, int, int]) -> float:
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in colour)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_title_card_is_a_small_palette_png_of_1200x630_without_metadata(tmp_path):
    cache = ImageCache(tmp_path / "cache")

    output, file, _ = cache.social_card(LONG_TITLE, "Strike timeline", None, "2024-05-01-marseille")

    assert re.fullmatch(r"cards/2024-05-01-marseille\.[0-9a-f]{10}\.png", output)
    assert file.stat().st_size < 20_000
    card = decoded(file)
    assert (card.format, card.mode, card.size) == ("PNG", "P", (1200, 630))
    # Indexed colour (type 3) at 2 bits a pixel: 4 colours at most.
    assert png_header(file) == {"width": 1200, "height": 630, "depth": 2, "colour_type": 3}
    assert len(card.getpalette()) == 3 * 4  # the background, a step of anti-aliasing, the text colour, the accent
    assert_no_metadata(file)
    assert inked(card, (0, 150, 1200, 550)) > 5000  # the title is drawn, light on dark
    assert inked(card, (0, 570, 1200, 630)) == 0  # a title too long is cut short, not spilled


@pytest.mark.parametrize("title", [
    LONG_TITLE,
    BELARUSIAN_TITLE * 8,
    "https://www.interpol.int/en/How-we-work/Notices/Red-Notices/View-Red-Notices#2021-11-04 " * 6,
    "ЖЖЫШ WMWM ©®™ ±×÷ %&@# " * 40,
    SYMBOL_SOUP,
])
def test_a_title_card_full_of_text_stays_under_20_kb(tmp_path, title):
    output, file, _ = ImageCache(tmp_path / "cache").social_card(title, "Belarus and Interpol", None, "long")

    assert file.stat().st_size < 20_000
    assert decoded(file).size == (1200, 630)


def test_a_title_card_over_its_budget_is_compressed_harder_then_drawn_without_anti_aliasing():
    card = _TitleCard(LONG_TITLE, "Strike timeline", _card_font_choice(), _TITLE_CARD_DESIGN, _TITLE_CARD_PNG,
                      _card_libraries())

    def png(**encoding) -> bytes:
        return _title_card_png(dataclasses.replace(card, encoding=dataclasses.replace(card.encoding, **encoding)))

    fast, harder = png(strategies=(zlib.Z_RLE,)), png(strategies=(zlib.Z_DEFAULT_STRATEGY,))
    assert len(harder) < len(fast) < 20_000 and png() == fast
    assert png(budget=len(fast)) == harder
    plain = png(budget=len(harder))
    assert len(plain) < len(harder)
    assert len(Image.open(io.BytesIO(plain)).getpalette()) == 3 * 3  # the background, the text colour, the accent


def test_the_titles_meet_wcag_aa_contrast(tmp_path):
    _, file, _ = ImageCache(tmp_path / "cache").social_card("Dockers strike", "Strike timeline", None, "strike")

    card = decoded(file).convert("RGB")
    for band in ((0, 30, 1200, 150), (0, 150, 1200, 630)):  # the site title's, the title's
        colours = sorted(card.crop(band).getcolors(), reverse=True)  # (count, colour), commonest first
        # Then the colour of the letters, commoner than that of their edges.
        assert [colour for _, colour in colours[:2]] == [_TITLE_CARD_DESIGN.background, _TITLE_CARD_DESIGN.text]
    assert contrast(_TITLE_CARD_DESIGN.text, _TITLE_CARD_DESIGN.background) >= 4.5


def test_a_belarusian_title_is_drawn_with_its_own_glyphs(tmp_path):
    font = _card_font_choice()
    if font.path is None:
        pytest.skip("no system font: Pillow's built-in one has no Cyrillic letters")
    title_font = _card_font(font, _TITLE_CARD_DESIGN.title_sizes[0])
    missing = bytes(title_font.getmask("\uffff"))  # what a character the font lacks looks like
    for character in set(BELARUSIAN_TITLE) - {" "}:
        assert bytes(title_font.getmask(character)) not in (missing, b""), character

    cache = ImageCache(tmp_path / "cache")
    written = decoded(cache.social_card(BELARUSIAN_TITLE, "Беларусь і Інтэрпол", None, "belarusian")[1])
    blank = decoded(cache.social_card("", "Беларусь і Інтэрпол", None, "blank")[1])
    assert inked(written, (0, 150, 1200, 550)) > 5000 and inked(blank, (0, 150, 1200, 550)) == 0
    assert inked(written, (0, 30, 1200, 150)) == inked(blank, (0, 30, 1200, 150)) > 1000  # the site title, on both


@pytest.mark.parametrize("title, site_title, from_the_right", [
    ("اعتقال ناشط في وارسو", "الجدول الزمني", True),
    ("מעצר בוורשה", "ציר זמן", True),
    ("2021: NATO و الإنتربول", "Strike timeline", False),  # the first letter with a direction is Latin, as dir="auto" reads
])
def test_a_title_read_from_right_to_left_is_set_from_the_card_s_right_margin(tmp_path, title, site_title, from_the_right):
    if _card_font_choice().path is None:
        pytest.skip("no system font: Pillow's built-in one has no Arabic or Hebrew letters")
    card = decoded(ImageCache(tmp_path / "cache").social_card(title, site_title, None, "rtl")[1]).convert("L")
    margin, width = _TITLE_CARD_DESIGN.margin, _TITLE_CARD_DESIGN.size[0]
    for band in ((0, 30, width, 150), (0, 150, width, 550)):  # the site title's, the title's
        left, _, right, _ = card.crop(band).point(lambda value: 255 if value > 160 else 0).getbbox()
        if from_the_right:  # within a letter's side bearing of the margin
            assert width - margin - 12 <= right <= width - margin and left > margin + 100, (band, left, right)
        else:
            assert margin <= left <= margin + 12 and right < width - margin - 100, (band, left, right)


def test_a_title_too_long_for_the_card_is_cut_short_with_an_ellipsis_within_the_margins():
    font, lines = _title_layout(LONG_TITLE, _card_font_choice(), _TITLE_CARD_DESIGN)

    assert font.size == _TITLE_CARD_DESIGN.title_sizes[-1]
    assert len(lines) == _TITLE_CARD_DESIGN.max_title_lines and lines[-1].endswith("…")
    # Words are measured once, at one size: a pixel is the most that can be off.
    assert all(font.getlength(line) <= _TITLE_CARD_DESIGN.text_width + 1 for line in lines)
    assert " ".join(lines).removesuffix("…") in LONG_TITLE


def test_a_short_title_keeps_the_largest_size_on_one_line():
    font, lines = _title_layout("Dockers strike", _card_font_choice(), _TITLE_CARD_DESIGN)

    assert (font.size, lines) == (_TITLE_CARD_DESIGN.title_sizes[0], ["Dockers strike"])


def test_wrapping_splits_words_longer_than_a_line_and_stops_one_line_past_the_limit():
    width_of = lambda text: 10.0 * len(text)  # noqa: E731

    assert _wrapped("aa bb cc".split(), width_of, 50, limit=5) == ["aa bb", "cc"]
    assert _wrapped(["abcdefghijkl"], width_of, 50, limit=5) == ["abcde", "fghij", "kl"]
    assert _wrapped(["aaaa"] * 10, width_of, 40, limit=2) == ["aaaa"] * 3


def test_title_cards_are_the_same_bytes_for_the_same_inputs(tmp_path):
    def card_bytes(cache_dir: Path) -> bytes:
        return ImageCache(cache_dir).social_card(BELARUSIAN_TITLE, "Belarus and Interpol", None, "x")[1].read_bytes()

    assert card_bytes(tmp_path / "one") == card_bytes(tmp_path / "two")


def test_photo_card_covers_the_card_from_the_centre_as_a_progressive_jpeg_without_metadata(tmp_path):
    photo = save(two_tone((3000, 1000), vertical=False), tmp_path / "wide.jpg", exif=camera_exif(), xmp=XMP)
    cache = ImageCache(tmp_path / "cache")

    output, file, _ = cache.social_card("Dockers strike", "Strike timeline", photo, "strike")

    assert re.fullmatch(r"cards/strike\.[0-9a-f]{10}\.jpg", output)
    card = decoded(file)
    assert (card.format, card.size, card.mode) == ("JPEG", (1200, 630), "RGB")
    assert card.info.get("progressive")
    assert_no_metadata(file)
    assert close_to(card.getpixel((5, 315)), RED) and close_to(card.getpixel((1194, 315)), BLUE)


@pytest.mark.parametrize("size", [(2, 4000), (4000, 2), (800, 500)])
def test_a_photo_smaller_than_the_card_in_a_side_is_cut_before_it_is_scaled_up(tmp_path, monkeypatch, size):
    """Scaled up whole to cover the card, a 2 by 4,000 strip would be 1,200 by 2,400,000 pixels (gigabytes)."""
    photo = save(two_tone(size, vertical=False), tmp_path / "strip.png")
    largest = []
    resize = Image.Image.resize

    def measured(image, target, *args, **kwargs):
        largest.append(target[0] * target[1])
        return resize(image, target, *args, **kwargs)
    monkeypatch.setattr(Image.Image, "resize", measured)

    card = decoded(ImageCache(tmp_path / "cache").social_card("Strip", "Site", photo, "strip")[1])

    assert (card.format, card.size) == ("JPEG", (1200, 630))
    assert max(largest) <= 1200 * 630
    if size == (800, 500):  # the centre of the photo, as a larger photo's
        assert close_to(card.getpixel((5, 315)), RED) and close_to(card.getpixel((1194, 315)), BLUE)


def test_two_events_with_the_same_photo_share_one_card_file(tmp_path):
    photo = save(two_tone((1600, 1000)), tmp_path / "picket.jpg")
    cache = ImageCache(tmp_path / "cache")

    first = cache.social_card("Belarusians picket the Interpol office", "Strike timeline", photo, "warsaw-picket")
    second = cache.social_card("The picket goes on", "Another site title", photo, "picket-day-two")

    assert first[1] == second[1] and cache.work_done == 1
    assert [file.name for file in (tmp_path / "cache" / "cards").iterdir()] == [first[1].name]
    # Named after the photo, it is one published file for both.
    shared = cache.photo_card(photo)
    assert re.fullmatch(r"cards/picket\.[0-9a-f]{10}\.jpg", shared[0]) and shared[1] == first[1]
    assert shared[0].rpartition(".")[0].rpartition(".")[2] == first[0].rpartition(".")[0].rpartition(".")[2]
    assert cache.work_done == 1


def test_social_cards_are_cached_by_their_inputs(tmp_path):
    cache = ImageCache(tmp_path / "cache")
    first = cache.social_card("Dockers strike", "Strike timeline", None, "strike")

    assert cache.social_card("Dockers strike", "Strike timeline", None, "strike") == first
    assert cache.work_done == 1
    assert cache.social_card("Dockers strike again", "Strike timeline", None, "strike")[0] != first[0]
    assert cache.work_done == 2


def test_the_name_of_a_card_changes_with_its_title_site_title_and_photo(tmp_path):
    photo = save(two_tone((1600, 1000)), tmp_path / "picket.jpg")
    cache = ImageCache(tmp_path / "cache")
    name = lambda *arguments: cache.social_card(*arguments, "event")[0]  # noqa: E731

    title_cards = {name("Dockers strike", "Strike timeline", None), name("Dockers strike!", "Strike timeline", None),
                   name("Dockers strike", "Strike timeline 2024", None)}
    assert len(title_cards) == 3
    before = name("Dockers strike", "Strike timeline", photo)
    save(two_tone((1600, 1000), first=BLUE, second=RED), photo)
    assert name("Dockers strike", "Strike timeline", photo) != before


def test_the_key_of_a_card_is_the_digest_of_what_it_is_drawn_from(tmp_path, monkeypatch):
    drawn = []
    monkeypatch.setattr(images, "_title_card_png", lambda card: drawn.append(card) or b"png")
    output, _, _ = ImageCache(tmp_path / "cache").social_card("Dockers strike", "Strike timeline", None, "strike")

    digest = _card_digest(drawn[0])
    assert output == f"cards/strike.{digest[:10]}.png"
    changed = {
        "title": dataclasses.replace(drawn[0], title="Dockers strike again"),
        "site title": dataclasses.replace(drawn[0], site_title="Strikes"),
        "font": dataclasses.replace(drawn[0], font=dataclasses.replace(drawn[0].font, digest="0" * 64)),
        "colour": dataclasses.replace(drawn[0], design=dataclasses.replace(drawn[0].design, accent=(0, 90, 200))),
        "size": dataclasses.replace(drawn[0], design=dataclasses.replace(drawn[0].design, title_sizes=(80, 40))),
        "encoder": dataclasses.replace(drawn[0], encoding=dataclasses.replace(drawn[0].encoding, level=9)),
        "drawing code": dataclasses.replace(drawn[0], version=drawn[0].version + 1),
    }
    digests = {what: _card_digest(card) for what, card in changed.items()}
    assert digest not in digests.values() and len(set(digests.values())) == len(changed)


def test_the_key_of_a_card_follows_pillows_version(tmp_path, monkeypatch):
    photo = save(two_tone((1600, 1000)), tmp_path / "picket.jpg")
    names = lambda: [ImageCache(tmp_path / "cache").social_card("Strike", "Site", picture, "event")[0]  # noqa: E731
                     for picture in (None, photo)]
    today = names()
    real_version = images.importlib.metadata.version
    monkeypatch.setattr(images.importlib.metadata, "version",
                        lambda name: "99.0.0" if name == "Pillow" else real_version(name))

    assert set(names()).isdisjoint(today)
