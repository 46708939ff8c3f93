"""Uploaded images (logos, product images, shipping proofs): checked by decoding, never trusted by name.

An upload is accepted only if Pillow decodes it as PNG, JPEG or WebP within the size and pixel
limits; it is then re-encoded (which drops metadata such as GPS positions and anything smuggled
after the image data) and scaled down to a sensible size before it is stored.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import InvalidInput

ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
#: More pixels than this is refused before decoding: a decompression bomb (a small file that
#: inflates to gigabytes) must not take the server down.
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int
    max_side: int  # longest side after scaling down


LOGO = ImageLimits(max_bytes=2 * 1024 * 1024, max_side=512)
PRODUCT_IMAGE = ImageLimits(max_bytes=5 * 1024 * 1024, max_side=1200)
SHIPPING_PROOF = ImageLimits(max_bytes=8 * 1024 * 1024, max_side=1600)


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    mime: str
    width: int
    height: int


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def check_image(data: bytes, filename: str, limits: ImageLimits, *, what: str = "image") -> CheckedImage:
    """Decode, check and re-encode an upload; raise InvalidInput saying exactly what is wrong."""
    if not data:
        raise InvalidInput(f"The {what} file {filename!r} is empty.", field=what)
    if len(data) > limits.max_bytes:
        raise InvalidInput(
            f"The {what} {filename!r} is {_megabytes(len(data))}; the limit is {_megabytes(limits.max_bytes)}.",
            field=what,
        )
    image = _decode(data, filename, what)
    if image.format not in ALLOWED_FORMATS:
        raise InvalidInput(
            f"The {what} {filename!r} is a {image.format} image; only PNG, JPEG or WebP are accepted.", field=what
        )
    image = ImageOps.exif_transpose(image)  # phone photos: honour the camera's rotation before EXIF is dropped
    image.thumbnail((limits.max_side, limits.max_side))
    return _reencode(image)


def _decode(data: bytes, filename: str, what: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(
                    f"The {what} {filename!r} is {image.width}×{image.height} pixels; the limit is "
                    f"{MAX_PIXELS // 1_000_000} million pixels.",
                    field=what,
                )
            image.load()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(f"The {what} {filename!r} is too large to open safely.", field=what) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise InvalidInput(
            f"The {what} {filename!r} is not a readable PNG, JPEG or WebP image (whatever its name says).", field=what
        ) from None
    return image


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
