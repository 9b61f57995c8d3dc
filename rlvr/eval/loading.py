"""Rows of a benchmark's evaluation split, read by the ``rlvr data`` converters (or generated for ``synth``).

Images stay references (a file or embedded bytes) until their batch is generated, so a set of 80k images is
never held in memory; each is decoded and bounded like training images (``rlvr.data.images``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rlvr.data.images import PixelBounds, normalize_image
from rlvr.data.prepare import to_sample
from rlvr.data.records import ImageRef, RawRecord, Rejected
from rlvr.data.schema import Sample
from rlvr.data.sources import SOURCES, get_source
from rlvr.data.sources.rows import SourceError
from rlvr.eval.benchmarks import Benchmark, converter_for

ANNOTATION_SUFFIXES = (".json", ".jsonl", ".csv", ".parquet", ".tsv")
DEFAULT_BOUNDS = PixelBounds()  # the bounds `rlvr data prepare` uses by default


@dataclass
class EvalItem:
    """One evaluation question: what the prompt needs, the ground truth, the fields metrics break down by."""

    id: str
    question: str
    answer: str  # the ground truth as the verifiers read it (a letter for choice rows)
    answer_type: str
    options: dict[str, str] = field(default_factory=dict)
    images: list[ImageRef] = field(default_factory=list)
    modality: str = ""
    question_type: str = ""
    language: str = "en"
    body_part: str = ""
    sample: Sample | None = None  # the synthetic sample (prompt=train renders it exactly as training did)


@dataclass
class LoadedBenchmark:
    benchmark: Benchmark
    items: list[EvalItem]
    folder: Path | None
    converter: str | None
    rejected: Counter = field(default_factory=Counter)  # reason -> rows of the split left out
    rejected_examples: list[str] = field(default_factory=list)
    other_labels: Counter = field(default_factory=Counter)  # benchmark_split values this benchmark ignored
    problem: str = ""  # why nothing could be read (missing folder, no converter)


class ImageRefCheck:
    """Stands in for ``prepare.ImageLoader`` in ``to_sample``: checks a file exists, keeps the reference."""

    def load(self, ref: ImageRef) -> ImageRef:
        if isinstance(ref, Path) and not ref.is_file():
            raise FileNotFoundError(ref)
        return ref


def decode_images(refs: list[ImageRef], bounds: PixelBounds = DEFAULT_BOUNDS) -> list[bytes]:
    """The item's images as bounded RGB PNG bytes, in order."""
    return [
        normalize_image(ref if isinstance(ref, bytes) else Path(ref).read_bytes(), bounds) for ref in refs
    ]


def benchmark_folder(data_root: Path, benchmark: Benchmark) -> Path | None:
    """``data_root/<folder>``, matched case-insensitively; None when absent."""
    exact = data_root / benchmark.folder
    if exact.is_dir():
        return exact
    if data_root.is_dir():
        wanted = benchmark.folder.lower().replace("-", "").replace("_", "")
        for child in sorted(data_root.iterdir()):
            if child.is_dir() and child.name.lower().replace("-", "").replace("_", "") == wanted:
                return child
    return None


def load_benchmark(benchmark: Benchmark, data_root: Path, limit: int = 0) -> LoadedBenchmark:
    """Every row of the benchmark's evaluation split found under ``data_root`` (first ``limit`` when > 0)."""
    converter = converter_for(benchmark, lambda name: name in SOURCES)
    folder = benchmark_folder(data_root, benchmark)
    loaded = LoadedBenchmark(benchmark, [], folder, converter)
    if converter is None:
        loaded.problem = f"no converter registered for it (looked for {', '.join(benchmark.sources)})"
        return loaded
    if folder is None:
        loaded.problem = f"folder {data_root / benchmark.folder} not found"
        return loaded
    try:
        for record in get_source(converter).read(folder):
            if limit and len(loaded.items) >= limit:
                break
            _take(loaded, record, converter)
    except SourceError as exc:
        loaded.problem = str(exc)
    return loaded


def _take(loaded: LoadedBenchmark, record: RawRecord | Rejected, converter: str) -> None:
    benchmark = loaded.benchmark
    if isinstance(record, Rejected):
        if benchmark.selects(_as_record(record), images_known=False):
            loaded.rejected[record.reason] += 1
            if len(loaded.rejected_examples) < 5:
                loaded.rejected_examples.append(record.message())
        return
    if not benchmark.selects(record):
        if record.benchmark_split:
            loaded.other_labels[record.benchmark_split] += 1
        return
    if record.language not in benchmark.languages:
        loaded.rejected["other_language"] += 1
        return
    sample = to_sample(record, converter, ImageRefCheck())  # type: ignore[arg-type]  # duck-typed loader
    if isinstance(sample, Rejected):
        loaded.rejected[sample.reason] += 1
        if len(loaded.rejected_examples) < 5:
            loaded.rejected_examples.append(sample.message())
        return
    loaded.items.append(
        EvalItem(
            id=relative_id(record.where, loaded.folder),
            question=sample.question,
            answer=sample.answer,
            answer_type=sample.answer_type,
            options=dict(sample.options),
            images=list(sample.images),  # references, see ImageRefCheck
            modality=record.modality,
            question_type=record.question_type,
            language=record.language,
            body_part=record.body_part,
        )
    )


def relative_id(where: str, folder: Path | None) -> str:
    """ "<folder>/sub/file.json:12" -> "sub/file.json:12": ids that pair rows across data_root locations."""
    prefix = f"{folder}/" if folder is not None else ""
    return where[len(prefix) :] if prefix and where.startswith(prefix) else where


def _as_record(rejected: Rejected) -> RawRecord:
    return RawRecord(
        where=rejected.where,
        question="",
        answer="",
        official_split=rejected.official_split,
        benchmark_split=rejected.benchmark_split,
    )


def synth_items(rows: int, seed: int, tasks: list[str], image_size: int) -> list[EvalItem]:
    """The synthetic task's validation rows 0..rows-1: the rows training validates on (same seed, tasks)."""
    from rlvr.data.synth import check_tasks, make_sample

    tasks = list(check_tasks(tasks))
    items = []
    for index in range(rows):
        sample = make_sample(seed, "val", index, image_size, tasks)
        items.append(
            EvalItem(
                id=sample.source_id,
                question=sample.question,
                answer=sample.answer,
                answer_type=sample.answer_type,
                options=dict(sample.options),
                images=list(sample.images),
                modality=sample.modality,
                question_type=sample.question_type,
                sample=sample,
            )
        )
    return items


def annotation_files(folder: Path | None) -> list[Path]:
    """The benchmark's question files (not its images), for run.json's dataset hashes."""
    if folder is None:
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in ANNOTATION_SUFFIXES)


def count_by(items: list[EvalItem], key: str) -> Counter:
    return Counter(getattr(item, key) or "unknown" for item in items)
