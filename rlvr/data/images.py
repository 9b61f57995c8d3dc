"""Images for rows: decode and check, keep the original bytes when they fit, else bound the pixel count
(aspect kept) and re-encode as RGB PNG; the decoded-pixel digest that keys dedup, split and overlap."""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from rlvr.data.fingerprints import digest

DEFAULT_MIN_PIXELS = 56 * 56  # Qwen2.5-VL's smallest input: 2x2 merged patches of 28 px
DEFAULT_MAX_PIXELS = 1024 * 1024
KEPT_FORMATS = ("JPEG", "PNG")  # stored as given: every image reader downstream decodes both
KEPT_MODES = ("RGB", "L")  # readers convert to RGB on load; other modes are converted here once
_FILE_REPR = re.compile(r"<_?io\.\w+[^<>]{0,300}>")  # "<_io.BytesIO object at 0x7f...>" in PIL messages


class ImageError(ValueError):
    """An image that cannot be decoded."""


@dataclass(frozen=True)
class PixelBounds:
    min_pixels: int = DEFAULT_MIN_PIXELS
    max_pixels: int = DEFAULT_MAX_PIXELS

    def __post_init__(self) -> None:
        if not 0 < self.min_pixels <= self.max_pixels:
            raise ValueError(
                f"pixel bounds need 0 < min_pixels <= max_pixels, got {self.min_pixels}, {self.max_pixels}"
            )

    def target_size(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) scaled, aspect kept, so that width*height lies within the bounds."""
        pixels = width * height
        if self.min_pixels <= pixels <= self.max_pixels:
            return width, height
        target = self.max_pixels if pixels > self.max_pixels else self.min_pixels
        scale = math.sqrt(target / pixels)
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        if pixels > self.max_pixels:  # rounding must not push us back over the bound
            while new_w * new_h > self.max_pixels:
                new_w, new_h = max(1, new_w - (new_w >= new_h)), max(1, new_h - (new_h > new_w))
        else:
            while new_w * new_h < self.min_pixels:
                new_w, new_h = new_w + (new_w <= new_h), new_h + (new_h < new_w)
        return new_w, new_h


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _describe(exc: BaseException) -> str:
    """PIL's message without the in-memory file's repr ("<_io.BytesIO object at 0x...>")."""
    if isinstance(exc, UnidentifiedImageError):
        return "not a recognised image format"
    return _FILE_REPR.sub("the image", str(exc)) or type(exc).__name__


def decode_image(data: bytes) -> Image.Image:
    """``data`` decoded and fully loaded; ImageError (naming no in-memory object) if it is not readable."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"not a readable image ({_describe(exc)})") from None
    return image


def pixel_digest(image: Image.Image) -> bytes:
    """16-byte digest of the decoded RGB pixels and size: equal for lossless re-encodings of one picture
    (PNG <-> PNG at another compression, JPEG saved again as PNG, greyscale saved as RGB), different for
    lossy re-encodings (a JPEG saved again as JPEG changes its pixels)."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return digest(b"pixels", f"{rgb.width}x{rgb.height}".encode(), rgb.tobytes())


@dataclass(frozen=True)
class PreparedImage:
    data: bytes  # what the row stores: the original file bytes, or an RGB PNG re-encoding
    key: bytes  # pixel_digest of ``data``
    reencoded: bool


def prepare_image(data: bytes, bounds: PixelBounds) -> PreparedImage:
    """Raw image file bytes -> the bytes a row stores: the original when it is a JPEG or PNG in RGB or
    greyscale within ``bounds``; otherwise an RGB PNG, resized (aspect kept) into ``bounds``."""
    image = decode_image(data)
    size = bounds.target_size(*image.size)
    if size == image.size and image.format in KEPT_FORMATS and image.mode in KEPT_MODES:
        return PreparedImage(data, pixel_digest(image), reencoded=False)
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if size != rgb.size:
        rgb = rgb.resize(size, Image.Resampling.BICUBIC)
    return PreparedImage(encode_png(rgb), pixel_digest(rgb), reencoded=True)
