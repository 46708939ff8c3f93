"""Uploaded images (logos, product images, shipping proofs): checked by decoding, never trusted by name,
and never allowed to amplify memory.

An upload is accepted only if Pillow decodes it as PNG, JPEG or WebP within its kind's limits; it is
then scaled down to the size that is stored and re-encoded (which drops metadata such as GPS positions
and anything smuggled after the image data).

A small file can announce a huge picture (a flat-colour 6320 x 6320 PNG is 130 to 170 KB and decodes to
160 MB, 300 MB with the copies made while checking it), so:

- The size is read from the header first (Pillow opens lazily) and a picture with more pixels than its
  kind needs is refused before anything is decoded, with a sentence giving its size and the limit. A
  logo may have 4 MP (a 2000 x 2000 export from a design tool; it is stored at 512 pixels); a product
  photo and a shipping proof 25 MP (a phone's default photo: 12 MP on most, 16 MP on Samsung's
  64 MP-sensor models, 24 MP on an iPhone 15 or later; stored at 1,200 and 1,600 pixels). Phones
  send JPEGs, which the decoder itself reads at 1/2, 1/4 or 1/8 scale (`draft`) when that still covers
  the stored size, so a 24 MP photo is decoded as 6 MP. A PNG or a WebP is decoded at full size (a
  WebP through libwebp's canvases, at 17 bytes a pixel), so they may have fewer: 16 MP and 8 MP.
- What Pillow calls a decompression bomb (over `Image.MAX_IMAGE_PIXELS`, 89 MP) is refused in words,
  whether Pillow warns, raises or lets it open; so is a PNG inflating more than 1 MB of text; an
  animation is refused (no kind wants one); a camera's multi-picture JPEG (MPO) is its first picture.
- All decodes in the process share one budget of decoded bytes (`decoding`): ten sessions uploading at
  once take turns instead of holding ten full-size pictures, and glibc is told to hand picture-sized
  blocks back when they are freed (see _hand_big_blocks_back_to_the_system). With both, the UI process
  stays under CEILING_MB above its baseline with ten uploads at once, whatever they are
  (bench/uploads.py measures it).
- Each upload is checked once: the outcome (the stored image, or the refusal) is remembered by kind and
  SHA-256 of the bytes (`checked_uploads`), so a Streamlit rerun with the file still in the uploader
  costs a hash, not a decode.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from core.errors import InvalidInput
from core.formats import format_size_against
from core.i18n import N_, Message, _, language

ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg", "WEBP": "image/webp"}
#: The formats whose header Pillow may read: the accepted ones (an MPO opens as a JPEG), and a few common
#: ones so a refusal can name them. Anything else is "not a readable image" without running a rarer
#: parser on it.
OPENED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
#: A PNG's text chunks are inflated when it is opened, before its size is checked, and Pillow allows
#: 64 MB of them (from a file of 70 KB): 1 MB is more than any picture's metadata needs; more is "not a
#: readable image". Set for the whole process.
PngImagePlugin.MAX_TEXT_MEMORY = 1024 * 1024


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int
    max_side: int  # longest side after scaling down
    max_pixels: int  # width x height as the header says; more is refused before decoding


LOGO = ImageLimits(max_bytes=2 * 1024 * 1024, max_side=512, max_pixels=4_000_000)
PRODUCT_IMAGE = ImageLimits(max_bytes=5 * 1024 * 1024, max_side=1200, max_pixels=25_000_000)
SHIPPING_PROOF = ImageLimits(max_bytes=8 * 1024 * 1024, max_side=1600, max_pixels=25_000_000)

#: The file names an image uploader offers (the browser's filter; the check reads the content).
FILE_TYPES = ("png", "jpg", "jpeg", "webp")

#: Formats decoded at full size may have fewer pixels than a kind allows a JPEG: a PNG is an export or
#: a screenshot (a phone's is under 4 MP), a WebP a picture from a web page.
FORMAT_MAX_PIXELS = {"PNG": 16_000_000, "WEBP": 8_000_000}
#: Decoded bytes the whole process holds at once (see DecodingBudget): one PNG with transparency at
#: the most allowed, or a few smaller pictures.
DECODING_BUDGET_BYTES = 160 * 1024 * 1024
#: Peak memory above the process's baseline with ten uploads checked at once, whatever they are:
#: what bench/uploads.py shows the budget keeps to.
CEILING_MB = 250


def upload_megabytes(limits: ImageLimits) -> int:
    """The kind's size limit in whole megabytes (rounded up), for the uploader's own limit: the
    browser then refuses a larger file at once, and check_image checks the exact limit again."""
    return -(-limits.max_bytes // (1024 * 1024))


def upload_limits(limits: ImageLimits) -> str:
    """The short form for an uploader's label: `"PNG, JPEG or WebP, up to 5 MB"` (in the reader's language)."""
    return _("PNG, JPEG or WebP, up to {size} MB", size=upload_megabytes(limits)).render()


def upload_hint(limits: ImageLimits) -> str:
    """Every limit check_image applies to this kind, for an uploader's help: the file's size, the
    picture's megapixels (fewer for a PNG or a WebP where the kind allows more), and the size it is
    stored at, e.g. for a product image: PNG, JPEG or WebP, up to 5 MB and 25 MP (a PNG up to 16 MP,
    a WebP up to 8 MP). Larger pictures are scaled down to 1.200 pixels on their longer side. In the
    reader's language."""
    most = _megapixels(limits.max_pixels)
    png, webp = (FORMAT_MAX_PIXELS[name] < limits.max_pixels for name in ("PNG", "WEBP"))
    png_most, webp_most = _megapixels(FORMAT_MAX_PIXELS["PNG"]), _megapixels(FORMAT_MAX_PIXELS["WEBP"])
    pixels: str | Message = most
    if png and webp:
        pixels = _("{most} (a PNG up to {png}, a WebP up to {webp})", most=most, png=png_most, webp=webp_most)
    elif png:
        pixels = _("{most} (a PNG up to {png})", most=most, png=png_most)
    elif webp:
        pixels = _("{most} (a WebP up to {webp})", most=most, webp=webp_most)
    return _(
        "PNG, JPEG or WebP, up to {size} MB and {pixels}. Larger pictures are scaled down to {side} pixels on "
        "their longer side.",
        size=upload_megabytes(limits),
        pixels=pixels,
        side=f"{limits.max_side:,}".replace(",", "."),
    ).render()


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    mime: str
    width: int
    height: int


#: The kinds of picture a refusal names (check_image's `what`), as its sentences put them: the kind,
#: and the kind with its article. Each is marked for the catalogue and read in the reader's language;
#: a kind not listed here reads as given.
KINDS = {
    "image": (N_("image"), N_("an image")),
    "product image": (N_("product image"), N_("a product image")),
    "logo": (N_("logo"), N_("a logo")),
    "shipping proof photo": (N_("shipping proof photo"), N_("a shipping proof photo")),
}


def _kind(what: str) -> tuple[Message, Message]:
    """The kind, and the kind with its article, as values of a refusal's sentence."""
    named, a_named = KINDS.get(what, (what, f"{'an' if what[:1].lower() in 'aeiou' else 'a'} {what}"))
    return Message(named), Message(a_named)


@dataclass(frozen=True)
class _Refusal:
    """Why an upload is refused, for any `what` and file name: a sentence (a msgid) of `{what}`,
    `{a_what}`, `{name}` and its own values, so a remembered refusal still names the file as it was
    uploaded, and reads in the language of whoever uploads it. A picture's size is kept as numbers,
    written in the reader's language when the refusal is made."""

    template: str
    values: tuple[tuple[str, str], ...] = ()
    pixels: tuple[int, int] | None = None  # {size}: width and height, when the sentence gives them

    def sentence(self, what: str, filename: str) -> Message:
        named, a_named = _kind(what)
        values: dict[str, object] = {"what": named, "a_what": a_named, "name": repr(filename), **dict(self.values)}
        if self.pixels is not None:
            values["size"] = _pixel_size(*self.pixels)
        return Message(self.template, values)


def _pixel_size(width: int, height: int) -> Message:
    """'6320×6320 pixels (39.9 MP)' ('39,9 MP' in Indonesian)."""
    megapixels = f"{width * height / 1_000_000:.1f}"
    if language() == "id":
        megapixels = megapixels.replace(".", ",")
    return _("{width}×{height} pixels ({megapixels} MP)", width=width, height=height, megapixels=megapixels)


#: The most an accepted WebP holds from the moment it is opened (see _decoded_bytes).
_WEBP_MOST_BYTES = FORMAT_MAX_PIXELS["WEBP"] * 17
_FORMAT_NAMES = {"PNG": "PNG", "WEBP": "WebP"}
UNREADABLE = _Refusal(N_("The {what} {name} is not a readable PNG, JPEG or WebP image (whatever its name says)."))
TOO_MANY_PIXELS = N_("The {what} {name} is {size}; {a_what} may have at most {most}. Please send a smaller picture.")
TOO_MANY_PIXELS_IN_FORMAT = N_(
    "The {what} {name} is {size}; {a_what} in {format} may have at most {most}. "
    "Please send a smaller picture or a JPEG."
)
BOMB = N_(
    "The {what} {name} is too large to open safely: {size}; {a_what} may have at most {most}. "
    "Please send a smaller picture."
)
BOMB_UNSIZED = N_(
    "The {what} {name} is too large to open safely: more than {more_than}; {a_what} may have at most {most}. "
    "Please send a smaller picture."
)


class CheckedUploads:
    """The outcome of recently checked uploads by (limits, SHA-256 of the bytes): least recently used
    first out, at most `entries` of them and `data_bytes` of stored images. Safe for many sessions."""

    def __init__(self, entries: int = 64, data_bytes: int = 32 * 1024 * 1024) -> None:
        self._entries, self._data_bytes = entries, data_bytes
        self._outcomes: OrderedDict[tuple[ImageLimits, bytes], CheckedImage | _Refusal] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[ImageLimits, bytes]) -> CheckedImage | _Refusal | None:
        with self._lock:
            outcome = self._outcomes.get(key)
            if outcome is not None:
                self._outcomes.move_to_end(key)
            return outcome

    def put(self, key: tuple[ImageLimits, bytes], outcome: CheckedImage | _Refusal) -> None:
        size = _size(outcome)
        if size > self._data_bytes:
            return
        with self._lock:
            if key in self._outcomes:
                self._held -= _size(self._outcomes.pop(key))
            self._outcomes[key] = outcome
            self._held += size
            while len(self._outcomes) > self._entries or self._held > self._data_bytes:
                _key, dropped = self._outcomes.popitem(last=False)
                self._held -= _size(dropped)

    def clear(self) -> None:
        with self._lock:
            self._outcomes.clear()
            self._held = 0

    def __len__(self) -> int:
        return len(self._outcomes)


def _size(outcome: CheckedImage | _Refusal) -> int:
    return len(outcome.data) if isinstance(outcome, CheckedImage) else 0


class DecodingBudget:
    """How many bytes of decoded pictures the process holds at once. A check takes its share once it
    knows the picture's size, waiting until there is room, and gives it back once the picture is freed.
    A share bigger than the whole budget is taken when nothing else is decoding, so nothing waits
    forever."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._held = 0
        self._room = threading.Condition()

    @contextmanager
    def share(self) -> Iterator[Callable[[int], None]]:
        """`take(size)` within the block takes the share (once); it is given back when the block ends."""
        taken = 0

        def take(size: int) -> None:
            nonlocal taken
            if taken or size <= 0:
                return
            with self._room:
                self._room.wait_for(lambda: self._held == 0 or self._held + size <= self._max_bytes)
                self._held += size
            taken = size

        try:
            yield take
        finally:
            if taken:
                with self._room:
                    self._held -= taken
                    self._room.notify_all()


def _hand_big_blocks_back_to_the_system() -> None:
    """glibc serves a block below a threshold that rises with use (up to 32 MB) from the arena of the
    thread asking, and an arena keeps what is freed: ten sessions decoding in turn would each keep a
    picture's worth, and the budget would bound nothing. With the threshold fixed at 4 MB every block
    a picture needs is mapped on its own and handed back when freed. Process-wide, glibc only, and
    left alone if MALLOC_MMAP_THRESHOLD_ says otherwise."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    mallopt(_M_MMAP_THRESHOLD, 4 * 1024 * 1024)


_M_MMAP_THRESHOLD = -3  # malloc.h
_hand_big_blocks_back_to_the_system()
checked_uploads = CheckedUploads()
decoding = DecodingBudget(DECODING_BUDGET_BYTES)


def check_image(data: bytes, filename: str, limits: ImageLimits, *, what: str = "image") -> CheckedImage:
    """Check an upload, scale it down and re-encode it; raise InvalidInput saying exactly what is wrong.
    The same bytes checked again for the same kind cost a hash: the outcome is remembered."""
    named, _a_named = _kind(what)
    if not data:
        raise InvalidInput(_("The {what} file {name} is empty.", what=named, name=repr(filename)), field=what)
    if len(data) > limits.max_bytes:
        size, limit = format_size_against(len(data), limits.max_bytes)
        raise InvalidInput(
            _(
                "The {what} {name} is {size}; the limit is {limit}.",
                what=named,
                name=repr(filename),
                size=size,
                limit=limit,
            ),
            field=what,
        )
    key = (limits, hashlib.sha256(data).digest())
    outcome = checked_uploads.get(key)
    if outcome is None:
        outcome = _check(data, limits)
        checked_uploads.put(key, outcome)
    if isinstance(outcome, _Refusal):
        raise InvalidInput(outcome.sentence(what, filename), field=what)
    return outcome


def _check(data: bytes, limits: ImageLimits) -> CheckedImage | _Refusal:
    with decoding.share() as take:
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            take(_WEBP_MOST_BYTES)  # libwebp sets up its canvases when a WebP is opened
        return _open_and_shrink(data, limits, take)  # the picture is freed when this returns


def _open_and_shrink(data: bytes, limits: ImageLimits, take: Callable[[int], None]) -> CheckedImage | _Refusal:
    try:
        image = Image.open(io.BytesIO(data), formats=OPENED_FORMATS)
    except Image.DecompressionBombError:
        return _bomb(limits, more_than=2 * (Image.MAX_IMAGE_PIXELS or 0))
    except Image.DecompressionBombWarning:  # raised only where warnings are errors
        return _bomb(limits, more_than=Image.MAX_IMAGE_PIXELS or 0)
    except (OSError, ValueError, SyntaxError, EOFError):  # UnidentifiedImageError is an OSError
        return UNREADABLE
    with image:
        try:
            return _refusal_from_header(image, limits) or _shrink(image, limits, take)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            return UNREADABLE


def _refusal_from_header(image: Image.Image, limits: ImageLimits) -> _Refusal | None:
    """What the header alone says is wrong: the format, the size, frames. Nothing is decoded yet."""
    if image.format not in ALLOWED_FORMATS:
        return _Refusal(
            N_("The {what} {name} is a {format} image; only PNG, JPEG or WebP are accepted."),
            (("format", str(image.format)),),
        )
    width, height = image.size
    if Image.MAX_IMAGE_PIXELS and width * height > Image.MAX_IMAGE_PIXELS:
        return _bomb(limits, pixels=(width, height))
    if width * height > limits.max_pixels:
        return _Refusal(TOO_MANY_PIXELS, (("most", _megapixels(limits.max_pixels)),), (width, height))
    format_most = FORMAT_MAX_PIXELS.get(str(image.format), width * height)
    if width * height > format_most:
        return _Refusal(
            TOO_MANY_PIXELS_IN_FORMAT,
            (("format", _FORMAT_NAMES[str(image.format)]), ("most", _megapixels(format_most))),
            (width, height),
        )
    frames = getattr(image, "n_frames", 1)
    if frames > 1 and image.format != "MPO":  # an MPO's other pictures are a camera's extras, never shown
        return _Refusal(
            N_("The {what} {name} is an animation of {frames} frames; {a_what} must be a still picture."),
            (("frames", str(frames)),),
        )
    return None


def _shrink(image: Image.Image, limits: ImageLimits, take: Callable[[int], None]) -> CheckedImage:
    """Decode within the process's budget, scale down to the stored size, turn upright, re-encode."""
    box = (limits.max_side, limits.max_side)
    image.draft(None, box)  # JPEG: decode at the smallest of 1/8, 1/4, 1/2 that still covers the box
    take(_decoded_bytes(image))
    image.load()
    image.thumbnail(box)  # first, so the full-size picture is freed before anything else is made
    ImageOps.exif_transpose(image, in_place=True)  # the camera's rotation, before EXIF is dropped
    return _reencode(image)


def _decoded_bytes(image: Image.Image) -> int:
    """The most memory checking this picture holds at once, from its size (after `draft`), rounded up
    from peaks measured one at a time: Pillow keeps 4 bytes a pixel for a colour picture and scaling
    it down adds a quarter-size copy (a PNG: 5.4 bytes a pixel; a drafted JPEG, with its decoder's
    buffers: 6.7 to 8.5); scaling a picture with transparency first copies it whole (9.4); a WebP
    passes through libwebp's two canvases (16.8)."""
    if image.format == "WEBP":
        per_pixel = 17
    elif image.mode in ("RGBA", "LA", "PA"):
        per_pixel = 10
    elif image.format in ("JPEG", "MPO"):
        per_pixel = 9
    else:
        per_pixel = 6
    return image.width * image.height * per_pixel


def _bomb(limits: ImageLimits, *, pixels: tuple[int, int] | None = None, more_than: int = 0) -> _Refusal:
    """Too large to open safely: its size (`pixels`), or, where Pillow would not even say, 'more than' so many."""
    most = ("most", _megapixels(limits.max_pixels))
    if pixels is not None:
        return _Refusal(BOMB, (most,), pixels)
    return _Refusal(BOMB_UNSIZED, (("more_than", _megapixels(more_than)), most))


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.0f} MP"


def _reencode(image: Image.Image) -> CheckedImage:
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P") and _has_transparency(image):
        image.convert("RGBA").save(out, format="PNG", optimize=True)
        mime = "image/png"
    else:
        image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
        mime = "image/jpeg"
    return CheckedImage(data=out.getvalue(), mime=mime, width=image.width, height=image.height)


def _has_transparency(image: Image.Image) -> bool:
    if image.mode == "P":
        return "transparency" in image.info
    alpha = image.getextrema()[-1]  # RGBA and LA: one (min, max) per band, alpha last
    assert isinstance(alpha, tuple)  # a single-band image gives one (min, max) of numbers instead
    return alpha[0] < 255
