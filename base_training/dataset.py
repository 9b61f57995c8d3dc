"""Load the configured data sources (reporting bad rows), mix them by ratio, serve encoded examples."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch

from base_training.encode import ChatTokens, encode_example, example_length
from base_training.readers import FILE_TYPES, FORMATS, BadRow, ChatExample, ReadOptions, iter_rows, to_example


class DataError(ValueError):
    """A data configuration or file problem the user must fix (message says where and what)."""


@dataclass
class SourceReport:
    name: str
    path: str
    ratio: float
    rows: int = 0
    valid: int = 0
    bad: int = 0
    used: int = 0
    errors: list[str] = field(default_factory=list)  # the first few "file:row: reason"


def load_source(
    source, options: ReadOptions, processor, max_length: int, on_error: str, max_reported: int
) -> tuple[list[ChatExample], list[int], SourceReport]:
    """Valid examples of one source and their token lengths; bad rows are counted (on_error=fail: raise)."""
    path = Path(source.path).expanduser()
    if not path.is_file():
        raise DataError(f"data source {source.path!r} does not exist (data.sources[].path)")
    if path.suffix not in FILE_TYPES:
        raise DataError(f"data source {path}: unsupported file type {path.suffix!r}; use one of {FILE_TYPES}")
    if source.format not in FORMATS:
        raise DataError(f"data source {source.path}: format {source.format!r} is not one of {FORMATS}")
    report = SourceReport(name=source.name or path.name, path=str(path), ratio=float(source.ratio))
    examples, lengths = [], []
    try:
        rows = list(iter_rows(path)) if path.suffix == ".parquet" else iter_rows(path)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise DataError(f"data source {path} cannot be read as parquet: {err}") from err
    for row_number, row in rows:
        report.rows += 1
        origin = f"{path}:{row_number}"
        try:
            example = to_example(row, source.format, path.parent, options, origin)
            length = example_length(example, processor)
            if length > max_length:
                raise BadRow(f"{length} tokens exceed data.max_length={max_length}")
        except BadRow as err:
            if on_error == "fail":
                raise DataError(f"{origin}: {err} (set data.on_error=skip to skip bad rows)") from err
            report.bad += 1
            if len(report.errors) < max_reported:
                report.errors.append(f"{origin}: {err}")
            continue
        examples.append(example)
        lengths.append(length)
    report.valid = len(examples)
    if report.bad:
        shown = "\n  ".join(report.errors)
        print(f"[sft data] {path}: skipped {report.bad} of {report.rows} rows:\n  {shown}", file=sys.stderr)
    if not examples:
        raise DataError(f"data source {path} has no usable rows ({report.rows} rows, {report.bad} bad)")
    return examples, lengths, report


def mixture_counts(ratios: list[float], total: int) -> list[int]:
    """Examples drawn from each source so that shares follow ``ratios`` and they add up to ``total``."""
    weight = sum(ratios)
    exact = [total * r / weight for r in ratios]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def draw(n_available: int, count: int, rng: random.Random) -> list[int]:
    """``count`` indices: whole shuffled passes over the source, then a random remainder without repeats."""
    indices = []
    while count - len(indices) >= n_available:
        indices.extend(rng.sample(range(n_available), n_available))
    indices.extend(rng.sample(range(n_available), count - len(indices)))
    return indices


class MixedSFTDataset(torch.utils.data.Dataset):
    """The mixture as a map-style dataset; examples are encoded (images decoded) when fetched."""

    def __init__(self, examples: list[ChatExample], lengths: list[int], processor):
        self.examples, self.lengths, self.processor = examples, lengths, processor
        self.tokens = ChatTokens.from_processor(processor)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return encode_example(self.examples[index], self.processor, self.tokens)


def build_dataset(data_cfg, processor) -> tuple[MixedSFTDataset, list[SourceReport]]:
    if not data_cfg.sources:
        raise DataError(
            "no training data: set data.sources, e.g. 'data.sources=[{path: train.parquet, ratio: 1}]'"
        )
    if data_cfg.on_error not in ("skip", "fail"):
        raise DataError(f"data.on_error must be skip or fail, got {data_cfg.on_error!r}")
    if any(s.ratio <= 0 for s in data_cfg.sources):
        raise DataError("every data.sources[].ratio must be > 0")
    options = ReadOptions(
        caption_prompt=data_cfg.caption_prompt, rl_think_template=data_cfg.rl_think_template
    )
    loaded = [
        load_source(
            s, options, processor, data_cfg.max_length, data_cfg.on_error, data_cfg.max_reported_errors
        )
        for s in data_cfg.sources
    ]
    reports = [report for _, _, report in loaded]
    total = data_cfg.num_samples or sum(r.valid for r in reports)
    counts = mixture_counts([r.ratio for r in reports], total)
    rng = random.Random(data_cfg.seed)
    examples, lengths = [], []
    for (source_examples, source_lengths, report), count in zip(loaded, counts, strict=True):
        report.used = count
        for index in draw(len(source_examples), count, rng):
            examples.append(source_examples[index])
            lengths.append(source_lengths[index])
    return MixedSFTDataset(examples, lengths, processor), reports
