"""Reading `rlvr data` parquet files (rows + JSON metadata under b"medrlvr") and writing small ones whole."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from rlvr.data.schema import METADATA_KEY, decode_options
from rlvr.data.writer import OutputFiles


def write_parquet_files(files: Mapping[Path, tuple[list[dict], Mapping[str, Any]]]) -> None:
    """Write every ``path -> (rows, metadata)`` or none of them (see ``rlvr.data.writer.OutputFiles``)."""
    targets = {str(path): Path(path) for path in files}
    with OutputFiles(targets) as outputs:
        for name, (rows, _) in zip(targets, files.values(), strict=True):
            for row in rows:
                outputs[name].append(row)
        outputs.commit({name: metadata for name, (_, metadata) in zip(targets, files.values(), strict=True)})


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The JSON metadata `rlvr data` recorded in ``path`` ({} for a parquet written elsewhere)."""
    raw = (pq.read_schema(path).metadata or {}).get(METADATA_KEY)
    return json.loads(raw) if raw else {}


def read_rows(path: str | Path) -> list[dict]:
    """Rows of ``path`` as python dicts: ``images`` a list of encoded image ``bytes``, ``extra_info.options``
    a dict."""
    rows = pq.read_table(path).to_pylist()
    for row in rows:
        row["images"] = [image["bytes"] for image in row.get("images") or []]
        extra = row.get("extra_info") or {}
        extra["options"] = decode_options(extra.get("options"))
        row["extra_info"] = extra
    return rows
