"""Prepared images parked in one append-only file on disk, each stored once under its pixel digest.

Memory holds only small things: an offset per distinct image and the digest of each file or embedded
image already seen, so an image that many questions share is read and decoded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rlvr.data.fingerprints import digest
from rlvr.data.images import ImageError, PixelBounds, prepare_image
from rlvr.data.records import ImageRef


class ImageLoadError(Exception):
    """An image a row needs that cannot be used: ``reason`` is a Rejected reason, ``detail`` names it."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass
class ImageCounts:
    distinct: int = 0  # distinct images stored (by pixel digest)
    kept_as_given: int = 0  # of those, stored with their original bytes
    bytes_in: int = 0  # encoded bytes read, once per distinct file or embedded image
    bytes_stored: int = 0


class ImageStore:
    def __init__(self, path: Path, bounds: PixelBounds):
        self.bounds = bounds
        self.counts = ImageCounts()
        self._file = open(path, "w+b")  # noqa: SIM115 (open for the store's lifetime, closed by close())
        self._where: dict[bytes, tuple[int, int]] = {}  # pixel digest -> (offset, length)
        self._seen: dict[str | bytes, bytes | ImageLoadError] = {}  # path or raw digest -> key or failure

    def add(self, ref: ImageRef, label: str) -> bytes:
        """The pixel digest of ``ref`` (a file, or encoded bytes), stored if new; ImageLoadError if unusable.

        ``label`` names the image in messages ("image 2 of the row") when ``ref`` is not a file.
        """
        memo_key = str(ref) if isinstance(ref, Path) else digest(b"raw", bytes(ref))
        known = self._seen.get(memo_key)
        if known is None:
            known = self._load(ref, label)
            self._seen[memo_key] = known
        if isinstance(known, ImageLoadError):
            raise known
        return known

    def _load(self, ref: ImageRef, label: str) -> bytes | ImageLoadError:
        name = str(ref) if isinstance(ref, Path) else label
        if isinstance(ref, Path):
            if not ref.is_file():
                return ImageLoadError("missing_image", f"image file {ref} does not exist")
            try:
                data = ref.read_bytes()
            except OSError as exc:
                return ImageLoadError("unreadable_image", f"{ref}: {exc.strerror or exc}")
        else:
            data = bytes(ref)
        try:
            prepared = prepare_image(data, self.bounds)
        except ImageError as exc:
            return ImageLoadError("unreadable_image", f"{name}: {exc}")
        self.counts.bytes_in += len(data)
        if prepared.key not in self._where:
            offset = self._file.seek(0, 2)
            self._file.write(prepared.data)
            self._where[prepared.key] = (offset, len(prepared.data))
            self.counts.distinct += 1
            self.counts.kept_as_given += not prepared.reencoded
            self.counts.bytes_stored += len(prepared.data)
        return prepared.key

    def get(self, key: bytes) -> bytes:
        offset, length = self._where[key]
        self._file.seek(offset)
        return self._file.read(length)

    def close(self) -> None:
        self._file.close()
