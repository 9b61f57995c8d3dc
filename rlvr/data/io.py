"""Reading and atomically writing `rlvr data` parquet files (rows + JSON metadata under b"medrlvr")."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from rlvr.data.schema import METADATA_KEY, ROW_SCHEMA, decode_options


def _table(rows: list[dict], metadata: Mapping[str, Any]) -> pa.Table:
    schema = ROW_SCHEMA.with_metadata({METADATA_KEY: json.dumps(metadata, sort_keys=True).encode()})
    return pa.Table.from_pylist(rows, schema=schema)


def write_parquet_files(files: Mapping[Path, tuple[list[dict], Mapping[str, Any]]]) -> None:
    """Write every ``path -> (rows, metadata)`` or none of them.

    Each file goes to a hidden temporary name next to its target first; only when all are written are
    they renamed into place, so a failure leaves no partial or half-updated output behind.
    """
    pending: list[tuple[Path, Path]] = []
    try:
        for path, (rows, metadata) in files.items():
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
            pending.append((tmp, path))
            pq.write_table(_table(rows, metadata), tmp)
        for tmp, path in pending:
            os.replace(tmp, path)
    finally:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The JSON metadata `rlvr data` recorded in ``path`` ({} for a parquet written elsewhere)."""
    raw = (pq.read_schema(path).metadata or {}).get(METADATA_KEY)
    return json.loads(raw) if raw else {}


def read_rows(path: str | Path) -> list[dict]:
    """Rows of ``path`` as python dicts: ``images`` a list of PNG ``bytes``, ``extra_info.options`` a dict."""
    rows = pq.read_table(path).to_pylist()
    for row in rows:
        row["images"] = [image["bytes"] for image in row.get("images") or []]
        extra = row.get("extra_info") or {}
        extra["options"] = decode_options(extra.get("options"))
        row["extra_info"] = extra
    return rows
