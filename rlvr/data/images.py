"""Image normalisation for rows: decode, bound the pixel count (aspect kept), re-encode as RGB PNG."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

DEFAULT_MIN_PIXELS = 56 * 56  # Qwen2.5-VL's smallest input: 2x2 merged patches of 28 px
DEFAULT_MAX_PIXELS = 1024 * 1024


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


def decode_image(data: bytes) -> Image.Image:
    """``data`` decoded and fully loaded; ImageError if it is not a readable image."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"not a readable image ({exc})") from exc
    return image


def normalize_image(data: bytes, bounds: PixelBounds) -> bytes:
    """Raw image file bytes -> RGB PNG bytes within ``bounds``."""
    image = decode_image(data)
    if image.mode != "RGB":
        image = image.convert("RGB")
    size = bounds.target_size(*image.size)
    if size != image.size:
        image = image.resize(size, Image.Resampling.BICUBIC)
    return encode_png(image)
