"""File readers for converters: find the release's files, then stream (where, row) pairs out of them.

Every reader yields ``("file:row", row)`` with a mapping per row; a row that cannot be decoded becomes
``{"__malformed__": why}`` so the converter rejects that row only. Big files are streamed: CSV, JSON
lines and parquet row by row, and a top-level JSON object ({id: row}) one value at a time.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from rlvr.data.sources.rows import Row, SourceError

PARQUET_BATCH_ROWS = 256
_NON_SPACE = re.compile(r"\S")
JSON_CHUNK_CHARS = 1 << 20


def find_files(root: Path, patterns: Iterable[str], what: str) -> list[Path]:
    """Files under ``root`` matching any glob pattern, sorted (``root`` itself when it is a file).

    SourceError naming ``what`` and the patterns when nothing matches.
    """
    patterns = list(patterns)
    if root.is_file():
        return [root]
    found = sorted({path for pattern in patterns for path in root.glob(pattern) if path.is_file()})
    if not found:
        raise SourceError(f"no {what} found under {root} (looked for {', '.join(patterns)})")
    return found


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path}: not a readable JSON file ({exc})") from exc


def json_list_rows(path: Path) -> Iterator[tuple[str, Row]]:
    """A JSON file holding a list of objects (rows numbered from 0, as the list index)."""
    data = load_json(path)
    if not isinstance(data, list):
        raise SourceError(f"{path}: expected a JSON list of question objects, got {type(data).__name__}")
    for i, row in enumerate(data):
        yield f"{path}:{i}", _as_row(row)


def jsonl_rows(path: Path) -> Iterator[tuple[str, Row]]:
    """A JSON-lines file; a line that is not a JSON object becomes a malformed row (line numbers from 1)."""
    with _open_text(path) as handle, _decoding(path):
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                row = {"__malformed__": f"not valid JSON ({exc.msg})"}
            yield f"{path}:{lineno}", _as_row(row)


def csv_rows(path: Path, columns: Sequence[str] | None = None) -> Iterator[tuple[str, Row]]:
    """A CSV file. With a header (``columns`` None) rows are numbered like a spreadsheet (header = row 1);
    a headerless file (MMLU) gets ``columns`` as its names and rows numbered from 1.
    """
    with _open_text(path, newline="") as handle, _decoding(path):
        if columns is None:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield f"{path}:{number}", row
            return
        for number, values in enumerate(csv.reader(handle), start=1):
            if len(values) != len(columns):
                row = {"__malformed__": f"expected {len(columns)} columns, got {len(values)}"}
            else:
                row = dict(zip(columns, values, strict=True))
            yield f"{path}:{number}", row


def parquet_rows(path: Path) -> Iterator[tuple[str, Row]]:
    """A parquet file read in batches (rows numbered from 0)."""
    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH_ROWS)
    except OSError as exc:
        raise SourceError(f"{path}: not a readable parquet file ({exc})") from exc
    index = 0
    for batch in batches:
        for row in batch.to_pylist():
            yield f"{path}:{index}", row
            index += 1


def parquet_columns(path: Path) -> list[str]:
    try:
        return list(pq.ParquetFile(path).schema_arrow.names)
    except OSError as exc:
        raise SourceError(f"{path}: not a readable parquet file ({exc})") from exc


def json_object_items(path: Path, chunk_chars: int = JSON_CHUNK_CHARS) -> Iterator[tuple[str, Any]]:
    """The (key, value) pairs of a file holding one JSON object, decoded one value at a time.

    Memory stays bounded by the largest value, not the file (PubMedQA's ori_pqaa.json is ~0.5 GB).
    """
    with _open_text(path) as handle, _decoding(path):
        yield from _ObjectStream(path, handle, chunk_chars).items()


class _ObjectStream:
    """Incremental decoder of ``{"key": value, ...}``: reads more text whenever a value is incomplete."""

    def __init__(self, path: Path, handle, chunk_chars: int):
        self.path, self.handle, self.chunk_chars = path, handle, chunk_chars
        self.buffer, self.pos, self.eof = "", 0, False
        self.decoder = json.JSONDecoder()

    def items(self) -> Iterator[tuple[str, Any]]:
        self._expect("{")
        if self._peek() == "}":
            return
        while True:
            key = self._value(followed_by=":")
            if not isinstance(key, str):
                self._fail("an object key must be a string")
            self._expect(":")
            yield key, self._value(followed_by=",}")
            separator = self._peek()
            self.pos += 1
            if separator == "}":
                return
            if separator != ",":
                self._fail(f"expected ',' or '}}', found {separator!r}")
            self._drop_consumed()

    def _read_more(self) -> bool:
        if self.eof:
            return False
        chunk = self.handle.read(self.chunk_chars)
        self.eof = not chunk
        self.buffer += chunk
        return bool(chunk)

    def _peek(self) -> str:
        while True:
            found = _NON_SPACE.search(self.buffer, self.pos)
            if found:
                self.pos = found.start()
                return found.group()
            self.pos = len(self.buffer)
            if not self._read_more():
                self._fail("the file ends inside the object")

    def _expect(self, char: str) -> None:
        found = self._peek()
        if found != char:
            self._fail(f"expected {char!r}, found {found!r}")
        self.pos += 1

    def _value(self, followed_by: str) -> Any:
        self._peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                if self._read_more():
                    continue
                self._fail(f"invalid JSON ({exc.msg})")
            # a number cut by the chunk boundary ("0." of "0.5") decodes early: only trust a value once
            # the character that must follow it (':' after a key, ',' or '}' after a value) is read
            following = _NON_SPACE.search(self.buffer, end)
            if (following and following.group() in followed_by) or not self._read_more():
                self.pos = end
                return value

    def _drop_consumed(self) -> None:
        if self.pos > self.chunk_chars:
            self.buffer, self.pos = self.buffer[self.pos :], 0

    def _fail(self, why: str) -> None:
        raise SourceError(f"{self.path}: not a readable JSON file of {{id: row}} ({why})")


def _open_text(path: Path, newline: str | None = None):
    try:
        return path.open(encoding="utf-8", newline=newline)
    except OSError as exc:
        raise SourceError(f"{path}: cannot be opened ({exc})") from exc


@contextmanager
def _decoding(path: Path) -> Iterator[None]:
    """Text that is not UTF-8, or a CSV field past the csv module's limit, stops the run naming the file."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except csv.Error as exc:
        raise SourceError(f"{path}: not a readable CSV file ({exc})") from exc


def _as_row(value: Any) -> Row:
    if isinstance(value, Mapping):
        return value
    return {"__malformed__": f"expected a JSON object, got {type(value).__name__}"}
