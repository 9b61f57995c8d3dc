"""Streaming, atomic parquet output: rows go out in row groups as they come, files appear only at commit.

Each file is written to a hidden temporary name next to its target; ``OutputFiles.commit`` renames
them all into place, and leaving the ``with`` block without a commit deletes them (and the output
folder, when this run created it), so a failure leaves the output folder as it was.

Image bytes: verl reads ``images`` as a list of ``{bytes}`` per row, so the schema has one value per
row. Parquet dictionary-encodes that column within a row group, so rows about the same image that sit
in the same row group store its bytes once; ``rlvr.data.prepare`` writes an image's questions next to
each other and ends row groups only between images. Readers still get one copy per row in memory.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from rlvr.data.schema import METADATA_KEY, ROW_SCHEMA

ROW_GROUP_BYTES = 32 << 20  # end a row group (between image groups) once its images reach this size
ROW_GROUP_ROWS = 20_000  # ... or this many rows (text-only sets)
IMAGE_COLUMN = "images.list.element.bytes"


class ParquetRowWriter:
    """Rows of ``ROW_SCHEMA`` appended to one file in row groups; JSON metadata in the footer at close."""

    def __init__(self, path: Path):
        self.path = path
        self._writer = pq.ParquetWriter(
            path,
            ROW_SCHEMA,
            compression={IMAGE_COLUMN: "NONE"} | {name: "SNAPPY" for name in OTHER_COLUMNS},
            # min/max statistics of the image column would be whole images (up to 4 KiB) per page
            write_statistics=OTHER_COLUMNS,
            # The dictionary of a row group's images must not spill to plain encoding (1 MiB default).
            dictionary_pagesize_limit=4 * ROW_GROUP_BYTES,
            # Metadata is known only at the end; without an embedded Arrow schema the footer's key-value
            # metadata is what readers see as the schema metadata.
            store_schema=False,
        )
        self._pending: list[dict] = []
        self._pending_bytes = 0

    def append(self, row: Mapping[str, Any], new_image_bytes: int = 0) -> None:
        """Buffer ``row``; ``new_image_bytes``: bytes of images not already in the buffered rows."""
        self._pending.append(dict(row))
        self._pending_bytes += new_image_bytes

    def end_group(self) -> None:
        """A point where a row group may end (between image groups): flush if the buffer is full."""
        if self._pending_bytes >= ROW_GROUP_BYTES or len(self._pending) >= ROW_GROUP_ROWS:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._writer.write_table(pa.Table.from_pylist(self._pending, schema=ROW_SCHEMA))
        self._pending, self._pending_bytes = [], 0

    def close(self, metadata: Mapping[str, Any]) -> None:
        self.flush()
        self._writer.add_key_value_metadata({METADATA_KEY: json.dumps(metadata, sort_keys=True).encode()})
        self._writer.close()

    def abort(self) -> None:
        self._writer.close()


def _other_columns() -> list[str]:
    """Dotted leaf paths of every column but the image bytes (already compressed: JPEG or PNG)."""
    paths: list[str] = []

    def walk(prefix: str, dtype: pa.DataType) -> None:
        if pa.types.is_struct(dtype):
            for child in dtype:
                walk(f"{prefix}.{child.name}", child.type)
        elif pa.types.is_list(dtype):
            walk(f"{prefix}.list.element", dtype.value_type)
        else:
            paths.append(prefix)

    for field in ROW_SCHEMA:
        walk(field.name, field.type)
    return [path for path in paths if path != IMAGE_COLUMN]


OTHER_COLUMNS = _other_columns()


class OutputFiles:
    """Parquet files committed together or not at all (a context manager): ``{name: final path}``."""

    def __init__(self, targets: Mapping[str, Path]):
        self.targets = {name: Path(path) for name, path in targets.items()}
        self.writers: dict[str, ParquetRowWriter] = {}
        self._created: list[Path] = []  # folders this run created, deepest first
        self._committed = False

    def __enter__(self) -> OutputFiles:
        for path in self.targets.values():
            self._make_parent(path.parent)
        for name, path in self.targets.items():
            self.writers[name] = ParquetRowWriter(path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp"))
        return self

    def _make_parent(self, folder: Path) -> None:
        missing = [folder, *folder.parents]
        missing = missing[: next(i for i, path in enumerate(missing) if path.exists())]
        folder.mkdir(parents=True, exist_ok=True)
        self._created = missing + self._created

    def __getitem__(self, name: str) -> ParquetRowWriter:
        return self.writers[name]

    def commit(self, metadata: Mapping[str, Mapping[str, Any]]) -> dict[str, Path]:
        """Close every file with its metadata and rename all into place; return name -> final path."""
        for name, writer in self.writers.items():
            writer.close(metadata[name])
        for name, writer in self.writers.items():
            os.replace(writer.path, self.targets[name])
        self._committed = True
        return dict(self.targets)

    def __exit__(self, *exc_info: object) -> None:
        if self._committed:
            return
        for writer in self.writers.values():
            try:
                writer.abort()
            finally:
                writer.path.unlink(missing_ok=True)
        for folder in self._created:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
