"""`rlvr data prepare`: VQA sets on disk -> checked samples -> ratios, dedup, split -> parquet + report.

Nothing is written until every row has been read and checked; with ``on_error="fail"`` the first bad
row stops the run with its file and row named, and the output folder is left as it was.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from rewards.answer_types import infer_answer_type
from rlvr.data.images import ImageError, PixelBounds, normalize_image
from rlvr.data.io import write_parquet_files
from rlvr.data.records import RawRecord, Record, Rejected
from rlvr.data.report import PrepareReport
from rlvr.data.schema import Sample, build_row
from rlvr.data.sources import get_source
from rlvr.data.sources.rows import RowProblem, letter_of
from rlvr.data.splitting import assign_splits, drop_duplicates, kept_by_ratio
from rlvr.data.templates import DEFAULT_TEMPLATE, get_template

DEFAULT_OFFICIAL_SPLITS = ("train", "val", "")  # official test sets stay out of training unless asked


class PrepareError(RuntimeError):
    """The run stopped (a bad row with --on-error fail, or nothing left to write); nothing was written."""

    def __init__(self, message: str, report: PrepareReport):
        super().__init__(message)
        self.report = report


@dataclass
class PrepareOptions:
    sources: list[tuple[str, Path]]  # (source name, input folder)
    out_dir: Path
    val_fraction: float = 0.1
    seed: int = 0
    ratios: dict[str, float] = field(default_factory=dict)
    bounds: PixelBounds = field(default_factory=PixelBounds)
    on_error: str = "skip"  # or "fail"
    template: str = DEFAULT_TEMPLATE
    official_splits: tuple[str, ...] = DEFAULT_OFFICIAL_SPLITS

    def check(self) -> None:
        if self.on_error not in ("skip", "fail"):
            raise ValueError(f"on_error must be 'skip' or 'fail', got {self.on_error!r}")
        names = {name for name, _ in self.sources}
        for key in self.ratios:
            if not key.startswith("modality:") and key not in names:
                raise ValueError(
                    f"--ratio {key}=...: {key!r} is not one of the sources given ({', '.join(names)})"
                )
        for name, folder in self.sources:
            get_source(name)
            if not Path(folder).exists():
                raise ValueError(f"--input {folder} for source {name!r} does not exist")


class ImageLoader:
    """Reads, bounds and re-encodes images once per file (many questions share an image)."""

    def __init__(self, bounds: PixelBounds):
        self.bounds = bounds
        self._cache: dict[Path, bytes] = {}

    def load(self, ref: Path | bytes) -> bytes:
        if isinstance(ref, bytes | bytearray):
            return normalize_image(bytes(ref), self.bounds)
        if ref not in self._cache:
            if not ref.is_file():
                raise FileNotFoundError(ref)
            self._cache[ref] = normalize_image(ref.read_bytes(), self.bounds)
        return self._cache[ref]


def _answer_type(record: RawRecord) -> str:
    """The declared type (aliases such as "CLOSED" allowed) or one inferred like the verifiers do."""
    return infer_answer_type(record.answer, {"answer_type": record.answer_type, "options": record.options})


def _choice_letter(record: RawRecord) -> str:
    """The ground-truth letter of a choice row; an answer given as an option's text maps to its letter."""
    if record.answer in record.options:
        return record.answer
    return letter_of(record.options, record.answer)


def to_sample(record: RawRecord, source: str, images: ImageLoader) -> Sample | Rejected:
    """The checked sample for ``record``, or why it cannot be one."""
    if not record.question:
        return Rejected("empty_question", record.where, "the question is empty")
    if not record.answer:
        return Rejected("empty_answer", record.where, "the answer is empty")
    try:
        answer_type = _answer_type(record)
    except ValueError as exc:
        return Rejected("unknown_answer_type", record.where, str(exc))
    answer = record.answer
    if answer_type == "choice":
        try:
            answer = _choice_letter(record)
        except RowProblem as problem:
            return Rejected(problem.reason, record.where, problem.detail)
    loaded = []
    for ref in record.images:
        try:
            loaded.append(images.load(ref))
        except FileNotFoundError:
            return Rejected("missing_image", record.where, f"image file {ref} does not exist")
        except (ImageError, OSError) as exc:
            return Rejected(
                "unreadable_image", record.where, f"{ref if isinstance(ref, Path) else 'image'}: {exc}"
            )
    return Sample(
        data_source=source,
        question=record.question,
        answer=answer,
        answer_type=answer_type,
        images=loaded,
        options=record.options,
        modality=record.modality,
        question_type=record.question_type,
        source_id=record.where,
    )


def _outcome(
    record: Record, name: str, options: PrepareOptions, images: ImageLoader
) -> Sample | Rejected | None:
    """The sample a record becomes, why it is left out, or None when ``--ratio`` samples it away."""
    if isinstance(record, Rejected):
        return record
    if record.official_split not in options.official_splits:
        return Rejected("excluded_split", record.where, f"official split {record.official_split!r}")
    if not kept_by_ratio(options.ratios, options.seed, name, record.modality, record.where):
        return None
    return to_sample(record, name, images)


def _read_source(name: str, folder: Path, options: PrepareOptions, report: PrepareReport) -> Iterator[Sample]:
    images = ImageLoader(options.bounds)
    records = get_source(name).read(Path(folder))
    for record in tqdm(records, desc=f"reading {name}", unit=" rows", leave=False):
        report.rows_read += 1
        outcome = _outcome(record, name, options, images)
        if outcome is None:
            report.dropped_by_ratio += 1
        elif isinstance(outcome, Rejected):
            report.reject(outcome)
            if outcome.is_error and options.on_error == "fail":
                raise PrepareError(
                    f"{outcome.message()} (run with --on-error skip to leave such rows out)", report
                )
        else:
            yield outcome


def prepare(options: PrepareOptions) -> tuple[dict[str, Path], PrepareReport]:
    """Convert, check, sample, dedup, split, write ``train/val.parquet``; return their paths + the report."""
    options.check()
    template = get_template(options.template)
    report = PrepareReport()
    samples = [s for name, folder in options.sources for s in _read_source(name, folder, options, report)]
    unique, dropped = drop_duplicates(samples)
    report.duplicates = len(dropped)
    report.duplicates_with_other_answer = sum(a.answer != b.answer for a, b in dropped)
    if len(unique) < 2:
        hint = ""
        if report.rejected["excluded_split"]:
            hint = (
                f"; {report.rejected['excluded_split']} rows are in official splits left out "
                "(MedXpertQA ships only test.jsonl): pass --official-splits train,val,test,none to use them"
            )
        raise PrepareError(
            f"only {len(unique)} usable rows: need at least 2 (one train, one val){hint}", report
        )
    try:
        splits = assign_splits(unique, options.val_fraction, options.seed)
    except ValueError as exc:
        raise PrepareError(str(exc), report) from exc

    for split, split_samples in splits.items():
        for sample in split_samples:
            report.count_written(split, sample.data_source, sample.modality, sample.answer_type)
    paths = {split: Path(options.out_dir) / f"{split}.parquet" for split in splits}
    files: dict[Path, tuple[list[dict], Mapping]] = {}
    for split, split_samples in splits.items():
        rows = [build_row(sample, template, split, i) for i, sample in enumerate(split_samples)]
        files[paths[split]] = (rows, _metadata(options, split, report))
    write_parquet_files(files)
    return paths, report


def _metadata(options: PrepareOptions, split: str, report: PrepareReport) -> dict:
    return {
        "generator": "rlvr.data.prepare",
        "split": split,
        "sources": [{"name": name, "input": str(folder)} for name, folder in options.sources],
        "seed": options.seed,
        "val_fraction": options.val_fraction,
        "ratios": options.ratios,
        "official_splits": list(options.official_splits),
        "pixel_bounds": {"min_pixels": options.bounds.min_pixels, "max_pixels": options.bounds.max_pixels},
        "on_error": options.on_error,
        "template": get_template(options.template).to_metadata(),
        "report": report.to_dict(),
    }
