"""Uploaded images (core.images): a picture's size is read from its header and refused before decoding
when its kind does not need that many pixels; decompression bombs, PNGs inflating megabytes of text
and animations are clear refusals;
each upload is checked once (a rerun with the same bytes costs a hash); big JPEGs decode reduced; and
decodes in the whole process stay within one memory budget. Pure checks, except the last test, which
goes through a service to the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import struct
import threading
import time
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageFile

from core import images
from core.catalogue import product_images
from core.errors import InvalidInput
from core.images import LOGO, PRODUCT_IMAGE, SHIPPING_PROOF, check_image
from tests.builders import MONDAY_10, catalogue_snapshot


@pytest.fixture(autouse=True)
def nothing_checked_yet():
    """Each test starts with an empty cache of checked uploads (it is process-wide)."""
    images.checked_uploads.clear()
    yield
    images.checked_uploads.clear()


def picture(size=(80, 60), fmt="PNG", mode="RGB", color=(10, 120, 200), **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color if mode in ("RGB", "RGBA") else 0).save(out, format=fmt, **save)
    return out.getvalue()


def header_only_png(width: int, height: int) -> bytes:
    """A valid PNG header announcing width x height 1-bit pixels, with a few bytes of image data:
    what an attacker sends to make a server allocate gigabytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any picture is decoded."""

    def load(self):
        raise AssertionError(f"a {self.size[0]}x{self.size[1]} picture was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


@pytest.fixture
def decodes(monkeypatch) -> list[tuple[str, tuple[int, int]]]:
    """(format, size) of each picture decoded: a load that still has image data to read."""
    seen: list[tuple[str, tuple[int, int]]] = []
    load = ImageFile.ImageFile.load

    def counting(self):
        if self.tile:
            seen.append((self.format, self.size))
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting)
    return seen


# --- Pixels: refused from the header, before decoding ---------------------------------------------


def test_a_small_file_with_more_pixels_than_a_product_photo_needs_is_refused_before_decoding(no_decoding):
    data = picture((6320, 6320), mode="1", optimize=True)  # the defect's picture: 39.9 MP in a few KB
    assert len(data) < 10_000
    with pytest.raises(InvalidInput) as refused:
        check_image(data, "huge.png", PRODUCT_IMAGE, what="product image")
    assert refused.value.field == "product image"
    assert refused.value.message == (
        "The product image 'huge.png' is 6320×6320 pixels (39.9 MP); a product image may have at most 25 MP. "
        "Please send a smaller picture."
    )


@pytest.mark.parametrize(
    "limits, what, size, most",
    [
        (LOGO, "logo", (2001, 2000), "4 MP"),
        (PRODUCT_IMAGE, "product image", (5800, 4320), "25 MP"),
        (SHIPPING_PROOF, "shipping proof photo", (5800, 4320), "25 MP"),
    ],
    ids=["logo", "product", "proof"],
)
def test_each_kind_refuses_just_above_its_limit_without_decoding(no_decoding, limits, what, size, most):
    with pytest.raises(InvalidInput, match=f"may have at most {most}. Please send a smaller picture."):
        check_image(header_only_png(*size), "big.png", limits, what=what)


@pytest.mark.parametrize(
    "data, name, words",
    [
        (
            header_only_png(4000, 4001),
            "shot.png",
            "is 4000×4001 pixels (16.0 MP); a product image in PNG may have at most 16 MP",
        ),
        (
            picture((3000, 3000), fmt="WEBP", mode="L"),
            "web.webp",
            "is 3000×3000 pixels (9.0 MP); a product image in WebP may have at most 8 MP",
        ),
    ],
    ids=["png", "webp"],
)
def test_a_png_or_a_webp_decoded_at_full_size_may_have_fewer_pixels_than_a_jpeg(no_decoding, data, name, words):
    with pytest.raises(InvalidInput) as refused:
        check_image(data, name, PRODUCT_IMAGE, what="product image")
    assert refused.value.message == f"The product image '{name}' {words}. Please send a smaller picture or a JPEG."


def test_a_phone_photo_is_accepted_as_a_product_image_and_a_shipping_proof():
    """An iPhone 15's default photo is 24 MP (5712 x 4284); most phones give 12 to 16 MP."""
    data = picture((5712, 4284), fmt="JPEG", mode="L")
    for limits in (PRODUCT_IMAGE, SHIPPING_PROOF):
        checked = check_image(data, "photo.jpg", limits)
        assert (checked.mime, max(checked.width, checked.height)) == ("image/jpeg", limits.max_side)


def test_a_logo_exported_at_2000_pixels_is_accepted():
    checked = check_image(picture((2000, 2000)), "logo.png", LOGO, what="logo")
    assert (checked.width, checked.height) == (512, 512)


# --- Decompression bombs and animations -----------------------------------------------------------


@pytest.mark.parametrize(
    "size, warnings_are, words",
    [
        ((10_000, 10_000), "ignore", "10000×10000 pixels (100.0 MP)"),  # Pillow warns, and opens it
        ((10_000, 10_000), "error", "more than 89 MP"),  # where warnings are errors, Pillow's warning is
        ((50_000, 50_000), "ignore", "more than 179 MP"),  # Pillow refuses to open it
    ],
    ids=["100MP", "100MP-warnings-are-errors", "2500MP"],
)
def test_a_decompression_bomb_is_a_clear_refusal(no_decoding, size, warnings_are, words):
    with warnings.catch_warnings():
        warnings.simplefilter(warnings_are)
        with pytest.raises(InvalidInput) as refused:
            check_image(header_only_png(*size), "bomb.png", LOGO, what="logo")
    assert refused.value.message == (
        f"The logo 'bomb.png' is too large to open safely: {words}; a logo may have at most 4 MP. "
        "Please send a smaller picture."
    )


def png_with_text(megabytes: int) -> bytes:
    """A small PNG carrying `megabytes` of text, compressed to a few KB: inflated when it is opened."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    text = b"".join(chunk(b"zTXt", b"note%d\0\0" % n + zlib.compress(b"a" * 1_000_000, 9)) for n in range(megabytes))
    plain = picture((64, 48))
    return plain[:33] + text + plain[33:]  # after the header chunk (8 + 25 bytes)


def test_a_png_that_inflates_megabytes_of_text_when_opened_is_refused():
    data = png_with_text(3)
    assert len(data) < 20_000
    with pytest.raises(InvalidInput, match="'notes.png' is not a readable PNG, JPEG or WebP image"):
        check_image(data, "notes.png", LOGO, what="logo")
    assert check_image(png_with_text(0), "plain.png", LOGO).width == 64


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_an_animation_is_refused_before_decoding(no_decoding, fmt):
    out = io.BytesIO()
    frames = [Image.new("RGB", (40, 30), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(out, format=fmt, save_all=True, append_images=frames[1:])
    with pytest.raises(InvalidInput) as refused:
        check_image(out.getvalue(), "spin.img", PRODUCT_IMAGE, what="product image")
    assert refused.value.message == (
        "The product image 'spin.img' is an animation of 3 frames; a product image must be a still picture."
    )


def test_a_multi_picture_jpeg_from_a_camera_is_its_first_picture():
    out = io.BytesIO()
    first, second = Image.new("RGB", (64, 48), (200, 30, 30)), Image.new("RGB", (32, 24), (30, 30, 200))
    first.save(out, format="MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    checked = check_image(out.getvalue(), "camera.jpg", PRODUCT_IMAGE)
    assert (checked.mime, checked.width, checked.height) == ("image/jpeg", 64, 48)
    assert Image.open(io.BytesIO(checked.data)).getpixel((32, 24))[0] > 150  # red: the first picture


# --- Each upload is checked once ------------------------------------------------------------------


def test_the_same_bytes_checked_twice_are_decoded_once(decodes):
    data = picture((900, 700), color=(1, 2, 3))
    first = check_image(data, "a.png", PRODUCT_IMAGE)
    assert len(decodes) == 1
    again = check_image(data, "a.png", PRODUCT_IMAGE)  # a Streamlit rerun with the file still in the uploader
    assert again == first and len(decodes) == 1
    check_image(data, "a.png", LOGO)  # another kind keeps to other limits: checked on its own
    assert len(decodes) == 2


def test_a_refusal_is_remembered_too_and_names_the_file_as_uploaded(monkeypatch):
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: opened.append(1) or real_open(*args, **kwargs))
    data = header_only_png(7000, 6000)
    for name in ("one.png", "two.png"):
        with pytest.raises(InvalidInput, match=f"The logo '{name}' is 7000×6000 pixels"):
            check_image(data, name, LOGO, what="logo")
    assert len(opened) == 1


def test_the_cache_of_checked_uploads_is_bounded():
    cache = images.CheckedUploads(entries=3, data_bytes=10**9)
    for n in range(5):
        cache.put((LOGO, bytes([n])), images.CheckedImage(b"x", "image/png", 1, 1))
    assert len(cache) == 3 and cache.get((LOGO, bytes([0]))) is None and cache.get((LOGO, bytes([4]))) is not None
    by_bytes = images.CheckedUploads(entries=100, data_bytes=250)
    for n in range(5):
        by_bytes.put((LOGO, bytes([n])), images.CheckedImage(b"x" * 100, "image/png", 1, 1))
    assert len(by_bytes) == 2


# --- Memory: reduced JPEG decoding, one budget for the whole process -------------------------------


def test_a_big_allowed_jpeg_is_decoded_at_a_reduced_size(decodes):
    checked = check_image(picture((4000, 3000), fmt="JPEG", mode="L"), "photo.jpg", PRODUCT_IMAGE)
    assert (checked.width, checked.height) == (1200, 900)
    assert decodes == [("JPEG", (2000, 1500))]  # the decoder's 1/2 scale, not 12 MP


def test_decodes_at_once_stay_within_the_process_budget(monkeypatch):
    """With a budget of one picture, ten sessions uploading at once decode one at a time."""
    monkeypatch.setattr(images, "decoding", images.DecodingBudget(1))
    busy, most = [0], [0]
    lock = threading.Lock()
    load = ImageFile.ImageFile.load

    def slow(self):
        if not self.tile:
            return load(self)
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        time.sleep(0.02)
        try:
            return load(self)
        finally:
            with lock:
                busy[0] -= 1

    monkeypatch.setattr(ImageFile.ImageFile, "load", slow)
    uploads = [picture((300, 200), color=(n, 100, 100)) for n in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        checked = list(pool.map(lambda data: check_image(data, "p.png", PRODUCT_IMAGE), uploads))
    assert most[0] == 1 and [c.width for c in checked] == [300] * 10


def test_ten_sessions_at_once_each_get_their_own_result():
    uploads = [picture((100 + n, 50), color=(n * 20, 0, 0)) for n in range(10)] * 3
    with ThreadPoolExecutor(max_workers=10) as pool:
        checked = list(pool.map(lambda data: check_image(data, "p.png", PRODUCT_IMAGE), uploads))
    assert [c.width for c in checked] == [100 + n for n in range(10)] * 3


# --- Allowed pictures are stored as before ---------------------------------------------------------


def test_a_phone_photo_turned_on_its_side_is_stored_upright():
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was held rotated; show it turned 90° clockwise
    Image.new("RGB", (3000, 2000), (90, 90, 90)).save(out, format="JPEG", exif=exif)
    checked = check_image(out.getvalue(), "side.jpg", PRODUCT_IMAGE)
    assert (checked.width, checked.height) == (800, 1200)
    assert not Image.open(io.BytesIO(checked.data)).getexif()


def test_a_transparent_logo_stays_a_png_and_a_plain_one_becomes_a_jpeg():
    assert check_image(picture((600, 300), mode="RGBA", color=(0, 0, 0, 0)), "t.png", LOGO).mime == "image/png"
    plain = check_image(picture((600, 300), fmt="WEBP"), "p.webp", LOGO)
    assert (plain.mime, plain.width, plain.height) == ("image/jpeg", 512, 256)


def test_an_oversized_product_image_is_refused_and_nothing_is_stored(world, no_decoding):
    before = catalogue_snapshot(world.store)
    with pytest.raises(InvalidInput, match="6320×6320 pixels"):
        product_images.save_product_image(
            world.store, world.pm, "RICE-5", header_only_png(6320, 6320), "huge.png", MONDAY_10
        )
    assert catalogue_snapshot(world.store) == before


# --- What the uploaders say: the limits above, in words -------------------------------------------


@pytest.mark.parametrize(
    "limits,short,hint",
    [
        (
            LOGO,
            "PNG, JPEG or WebP, up to 2 MB",
            "PNG, JPEG or WebP, up to 2 MB and 4 MP. Larger pictures are scaled down to 512 pixels on their "
            "longer side.",
        ),
        (
            PRODUCT_IMAGE,
            "PNG, JPEG or WebP, up to 5 MB",
            "PNG, JPEG or WebP, up to 5 MB and 25 MP (a PNG up to 16 MP, a WebP up to 8 MP). Larger pictures are "
            "scaled down to 1.200 pixels on their longer side.",
        ),
        (
            SHIPPING_PROOF,
            "PNG, JPEG or WebP, up to 8 MB",
            "PNG, JPEG or WebP, up to 8 MB and 25 MP (a PNG up to 16 MP, a WebP up to 8 MP). Larger pictures are "
            "scaled down to 1.600 pixels on their longer side.",
        ),
    ],
)
def test_an_uploader_states_the_limits_that_are_checked(limits, short, hint):
    assert images.upload_limits(limits) == short
    assert images.upload_hint(limits) == hint
    assert images.upload_megabytes(limits) * 1024 * 1024 == limits.max_bytes  # the size said is the size checked


def test_a_file_just_over_the_size_limit_is_told_in_bytes_not_as_equal_megabytes():
    limit = images.PRODUCT_IMAGE.max_bytes
    with pytest.raises(InvalidInput) as refused:
        images.check_image(b"x" * (limit + 1), "big.png", images.PRODUCT_IMAGE)
    said = refused.value.message
    assert said == f"The image 'big.png' is {limit + 1:,} bytes; the limit is 5.0 MB ({limit:,} bytes)."
