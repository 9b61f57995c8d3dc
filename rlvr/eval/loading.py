"""Rows of a benchmark's evaluation split, read by the ``rlvr data`` converters (or generated for ``synth``).

Images stay references (a file or embedded bytes) until their batch is generated, so a set of 80k images is
never held in memory; each is then decoded and bounded to the pixel range training images get.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from rewards.answer_types import infer_answer_type
from rlvr.data.images import PixelBounds, decode_image, encode_png
from rlvr.data.records import ImageRef, RawRecord, Rejected
from rlvr.data.schema import Sample
from rlvr.data.sources import SOURCES, get_source
from rlvr.data.sources.rows import RowProblem, SourceError, letter_of
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


def bounded_image(data: bytes, bounds: PixelBounds = DEFAULT_BOUNDS) -> bytes:
    """The image as given when its pixel count is within ``bounds``, else an RGB PNG resized into them
    (aspect kept), as `rlvr data prepare` stores training images; ImageError if it cannot be decoded."""
    image = decode_image(data)
    size = bounds.target_size(*image.size)
    if size == image.size:
        return data
    return encode_png(image.convert("RGB").resize(size, Image.Resampling.BICUBIC))


def decode_images(refs: list[ImageRef], bounds: PixelBounds = DEFAULT_BOUNDS) -> list[bytes]:
    """The item's images as bounded image bytes, in order."""
    return [bounded_image(ref if isinstance(ref, bytes) else Path(ref).read_bytes(), bounds) for ref in refs]


def checked_item(record: RawRecord, folder: Path | None) -> EvalItem | Rejected:
    """The evaluation item of ``record``, or why it cannot be one: the same checks and answer handling as
    `rlvr data prepare` (answer type as the verifiers infer it, a choice answer given as text -> its letter),
    images only checked to exist."""
    if not record.question:
        return Rejected("empty_question", record.where, "the question is empty")
    if not record.answer:
        return Rejected("empty_answer", record.where, "the answer is empty")
    try:
        answer_type = infer_answer_type(
            record.answer, {"answer_type": record.answer_type, "options": record.options}
        )
        answer = record.answer
        if answer_type == "choice" and answer not in record.options:
            answer = letter_of(record.options, answer)
    except ValueError as exc:
        return Rejected("unknown_answer_type", record.where, str(exc))
    except RowProblem as problem:
        return Rejected(problem.reason, record.where, problem.detail)
    missing = next((ref for ref in record.images if isinstance(ref, Path) and not ref.is_file()), None)
    if missing is not None:
        return Rejected("missing_image", record.where, f"image file {missing} does not exist")
    return EvalItem(
        id=relative_id(record.where, folder),
        question=record.question,
        answer=answer,
        answer_type=answer_type,
        options=dict(record.options),
        images=list(record.images),
        modality=record.modality,
        question_type=record.question_type,
        language=record.language,
        body_part=record.body_part,
    )


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
            _take(loaded, record)
    except SourceError as exc:
        loaded.problem = str(exc)
    return loaded


def _take(loaded: LoadedBenchmark, record: RawRecord | Rejected) -> None:
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
    item = checked_item(record, loaded.folder)
    if isinstance(item, Rejected):
        loaded.rejected[item.reason] += 1
        if len(loaded.rejected_examples) < 5:
            loaded.rejected_examples.append(item.message())
        return
    loaded.items.append(item)


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
