"""Checked samples parked on disk until the split is known: JSON lines in buckets by image group.

Rows are bucketed by their anchor key (a digest, so buckets fill evenly); reading one bucket back at a
time bounds memory by a 1/``buckets`` share of the rows' text, and yields each image's questions
together so that the writer can store the image once per row group.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from rlvr.data.schema import Sample

N_BUCKETS = 64


@dataclass
class SpooledSample:
    sample: Sample  # with ``images`` empty: the images are in the ImageStore under ``image_keys``
    image_keys: list[bytes]


class SampleSpool:
    def __init__(self, folder: Path, buckets: int = N_BUCKETS):
        self.folder = folder
        self.buckets = buckets
        self._files: dict[int, IO[str]] = {}

    def add(self, sample: Sample, image_keys: list[bytes], anchor: bytes) -> None:
        fields = asdict(sample)
        fields.pop("images")
        line = {"anchor": anchor.hex(), "images": [key.hex() for key in image_keys], "sample": fields}
        bucket = anchor[0] % self.buckets
        if bucket not in self._files:
            self._files[bucket] = open(self._path(bucket), "a", encoding="utf-8")  # noqa: SIM115
        self._files[bucket].write(json.dumps(line, ensure_ascii=False) + "\n")

    def _path(self, bucket: int) -> Path:
        return self.folder / f"bucket-{bucket:03d}.jsonl"

    def groups(self) -> Iterator[tuple[bytes, list[SpooledSample]]]:
        """(anchor, its samples in arrival order), bucket by bucket."""
        self.close()
        for bucket in range(self.buckets):
            path = self._path(bucket)
            if not path.exists():
                continue
            by_anchor: dict[bytes, list[SpooledSample]] = {}
            with path.open(encoding="utf-8") as handle:
                for line in handle:
                    item = json.loads(line)
                    spooled = SpooledSample(
                        Sample(**item["sample"]), [bytes.fromhex(key) for key in item["images"]]
                    )
                    by_anchor.setdefault(bytes.fromhex(item["anchor"]), []).append(spooled)
            yield from by_anchor.items()

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()
