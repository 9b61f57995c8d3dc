"""``run.json``: what is needed to reproduce or audit a run: model folder hash, package versions, dataset file
hashes, prompt mode, sampling, seed and the git revision of the code.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PACKAGES = ("medrlvr", "torch", "transformers", "vllm", "verl", "numpy", "pyarrow")
CHUNK = 1 << 20
CODE_DIR = Path(__file__).resolve().parent


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def folder_sha256(folder: Path) -> str:
    """One hash over every file's relative path and content, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_revision(where: Path = CODE_DIR) -> str | None:
    """The commit of the checkout this code runs from (with "+dirty" for local changes), or None."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def write_json(path: Path, data: Any) -> None:
    """Atomically: a temporary file renamed into place."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    os.replace(tmp, path)


def run_record(settings: dict[str, Any], model_path: Path, datasets: dict[str, list[Path]]) -> dict[str, Any]:
    return {
        "settings": settings,
        "model": {"path": str(model_path), "sha256": folder_sha256(model_path)},
        "datasets": {name: {str(p): file_sha256(p) for p in files} for name, files in datasets.items()},
        "packages": package_versions(),
        "python": platform.python_version(),
        "git_revision": git_revision(),
    }
