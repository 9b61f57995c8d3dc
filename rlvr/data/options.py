"""What `rlvr data prepare` is asked to do, checked whole before any row is read."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from rlvr.data.images import PixelBounds
from rlvr.data.modality import canonical_modality
from rlvr.data.sources import get_source
from rlvr.data.templates import DEFAULT_TEMPLATE, get_template

DEFAULT_OFFICIAL_SPLITS = ("train", "val", "")  # official test sets stay out of training unless asked
DEFAULT_LANGUAGES = ("en",)
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def language_code(tag: str) -> str:
    """The primary ISO 639 code of a language tag: "zh-CN" -> "zh", "EN" -> "en", "" -> "en" (unlabelled)."""
    return tag.strip().lower().replace("_", "-").split("-")[0] or "en"


@dataclass
class PrepareOptions:
    sources: list[tuple[str, Path]]  # (source name, input folder)
    out_dir: Path
    val_fraction: float = 0.1
    seed: int = 0
    ratios: dict[str, float] = field(default_factory=dict)  # source or "modality:NAME" -> keep fraction
    bounds: PixelBounds = field(default_factory=PixelBounds)
    on_error: str = "skip"  # or "fail"
    template: str = DEFAULT_TEMPLATE
    official_splits: tuple[str, ...] = DEFAULT_OFFICIAL_SPLITS
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    # Rows of evaluation splits (RawRecord.benchmark_split) are never written unless this is set.
    allow_benchmark_training: bool = False
    work_dir: Path | None = None  # where images and rows wait between the passes (default: system temp)

    def check(self) -> None:
        """ValueError naming the flag for anything that would fail or mislead later; reads no rows."""
        if self.on_error not in ("skip", "fail"):
            raise ValueError(f"on_error must be 'skip' or 'fail', got {self.on_error!r}")
        if not (math.isfinite(self.val_fraction) and 0 < self.val_fraction < 1):
            raise ValueError(
                f"--val-fraction must be strictly between 0 and 1 (both splits need rows), "
                f"got {self.val_fraction}"
            )
        out = Path(self.out_dir)
        blocker = next((p for p in (out, *out.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise ValueError(
                f"--out {out}: {blocker} is a file, not a folder; give a folder for the parquet files"
            )
        if blocker is not None and not os.access(blocker, os.W_OK | os.X_OK):
            raise ValueError(f"--out {out}: cannot write in {blocker}; give a folder you can write to")
        if self.work_dir is not None and not Path(self.work_dir).is_dir():
            raise ValueError(f"--work-dir {self.work_dir} is not an existing folder")
        if not self.sources:
            raise ValueError("no --source given")
        for name, folder in self.sources:
            get_source(name)
            if not Path(folder).exists():
                raise ValueError(f"--input {folder} for source {name!r} does not exist")
        self.resolved_ratios()
        self.language_set()
        get_template(self.template)

    def resolved_ratios(self) -> dict[str, float]:
        """``ratios`` with modality names spelled as in the vocabulary ("modality:ct" -> "modality:CT")."""
        names = [name for name, _ in self.sources]
        resolved = {}
        for key, fraction in self.ratios.items():
            if key.startswith("modality:"):
                try:
                    key = "modality:" + canonical_modality(key.removeprefix("modality:").strip())
                except ValueError as exc:
                    raise ValueError(f"--ratio {key}=...: {exc}") from None
            elif key not in names:
                raise ValueError(
                    f"--ratio {key}=...: {key!r} is not one of the sources given ({', '.join(names)}); "
                    "for a modality write modality:NAME"
                )
            resolved[key] = fraction
        return resolved

    def language_set(self) -> frozenset[str]:
        codes = frozenset(language_code(tag) for tag in self.languages if tag.strip())
        bad = sorted(code for code in codes if not _LANGUAGE_CODE.fullmatch(code))
        if not codes or bad:
            raise ValueError(f"--lang wants ISO 639-1 codes such as en,zh; got {','.join(self.languages)!r}")
        return codes
