"""`rlvr data prepare`: VQA sets on disk -> checked samples -> ratios, dedup, split -> parquet + report.

Two streaming passes in bounded memory. Pass 1 reads every row, leaves out what is not wanted
(evaluation splits, unasked official splits, other languages, ``--ratio``), checks the rest, stores
each distinct image once on disk and parks the samples on disk by image group. Pass 2 knows every
image group, so it assigns splits by seeded hash and writes ``train.parquet``/``val.parquet`` in row
groups, an image's questions next to each other, while checking train against val for overlap.
Files appear only when both are complete: with ``on_error="fail"`` the first bad row stops the run
with its file and row named, and the output folder is left as it was.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from rlvr.data.check import OverlapIndex
from rlvr.data.fingerprints import digest, row_digest, text_group_key
from rlvr.data.image_store import ImageStore
from rlvr.data.modality import to_modality
from rlvr.data.options import DEFAULT_OFFICIAL_SPLITS, PrepareOptions
from rlvr.data.records import Record, Rejected
from rlvr.data.report import PrepareReport
from rlvr.data.samples import CheckedSample, check_record
from rlvr.data.schema import build_row
from rlvr.data.selection import left_out
from rlvr.data.sources import get_source
from rlvr.data.splitting import Deduplicator, ImageGroups, SplitAssignment, kept_by_ratio
from rlvr.data.spool import SampleSpool
from rlvr.data.templates import get_template
from rlvr.data.writer import OutputFiles

__all__ = ["DEFAULT_OFFICIAL_SPLITS", "PrepareError", "PrepareOptions", "prepare"]

SPLITS = ("train", "val")
BENCHMARK_WARNING = (
    "--allow-benchmark-training: rows of evaluation splits will be written to the training files; "
    "scores on those benchmarks will be contaminated"
)


class BenchmarkTrainingWarning(UserWarning):
    """Evaluation rows may be trained on (``allow_benchmark_training``)."""


class PrepareError(RuntimeError):
    """The run stopped (a bad row with --on-error fail, or nothing left to write); nothing was written."""

    def __init__(self, message: str, report: PrepareReport):
        super().__init__(message)
        self.report = report


class _Collector:
    """Pass 1: rows in, what to keep checked, deduplicated and parked in the spool by image group."""

    def __init__(self, options: PrepareOptions, report: PrepareReport, store: ImageStore, spool: SampleSpool):
        self.options, self.report, self.store, self.spool = options, report, store, spool
        self.ratios = options.resolved_ratios()
        self.languages = options.language_set()
        self.groups = ImageGroups()
        self.dedup = Deduplicator()
        self.kept = 0

    def outcome(self, record: Record, source: str) -> CheckedSample | Rejected | None:
        """The checked sample, why the row is left out, or None when ``--ratio`` samples it away."""
        reason = left_out(record, self.options, self.languages)
        if reason is not None or isinstance(record, Rejected):
            return reason or record
        modality = to_modality(record.modality, has_images=bool(record.images))
        if not kept_by_ratio(self.ratios, self.options.seed, source, modality, record.where):
            return None
        return check_record(record, source, self.store)

    def read(self, source: str, folder: Path) -> None:
        for record in tqdm(get_source(source).read(Path(folder)), desc=f"reading {source}", unit=" rows"):
            self.report.rows_read += 1
            outcome = self.outcome(record, source)
            if outcome is None:
                self.report.dropped_by_ratio += 1
            elif isinstance(outcome, Rejected):
                self.report.reject(outcome, source)
                if outcome.is_error and self.options.on_error == "fail":
                    raise PrepareError(
                        f"{outcome.message()} (run with --on-error skip to leave such rows out)", self.report
                    )
            else:
                self.report.count_repairs(source, record.notes)
                self.keep(outcome)

    def keep(self, checked: CheckedSample) -> None:
        sample, keys = checked.sample, checked.image_keys
        answer_key = int.from_bytes(digest(b"answer", sample.answer.encode(), size=8), "big")
        if self.dedup.is_duplicate(row_digest(keys, sample.question, sample.options), answer_key):
            return
        anchor = self.groups.add_row(keys or [text_group_key(sample.question)])
        self.spool.add(sample, keys, anchor)
        self.kept += 1

    def finish(self) -> None:
        self.report.duplicates = self.dedup.dropped
        self.report.duplicates_with_other_answer = self.dedup.dropped_with_other_answer
        self.report.images = self.store.counts


def _too_few_rows(kept: int, report: PrepareReport) -> PrepareError:
    hints = []
    if report.rejected["excluded_split"]:
        hints.append(
            f"{report.rejected['excluded_split']} rows are in official splits left out "
            "(MedXpertQA ships only test.jsonl): pass --official-splits train,val,test,none to use them"
        )
    if report.rejected["benchmark_split"]:
        hints.append(
            f"{report.rejected['benchmark_split']} rows are in evaluation splits, never trained on unless "
            "--allow-benchmark-training is given (rows of official test splits also need --official-splits "
            "train,val,test,none)"
        )
    return PrepareError(
        f"only {kept} usable rows: need at least 2 (one train, one val)" + "; ".join(["", *hints]), report
    )


def _write(
    options: PrepareOptions,
    spool: SampleSpool,
    store: ImageStore,
    assignment: SplitAssignment,
    report: PrepareReport,
) -> dict[str, Path]:
    """Pass 2: every image group to its split, rows rendered and streamed out, train/val overlap checked."""
    template = get_template(options.template)
    targets = {split: Path(options.out_dir) / f"{split}.parquet" for split in SPLITS}
    overlap = OverlapIndex()
    add = {"train": overlap.add_train, "val": overlap.add_eval}
    progress = tqdm(total=sum(assignment.rows.values()), desc="writing", unit=" rows")
    with OutputFiles(targets) as outputs, progress:
        for anchor, items in spool.groups():
            split = assignment.split_of(anchor)
            images: dict[bytes, bytes] = {}
            for item in items:
                new_keys = [key for key in dict.fromkeys(item.image_keys) if key not in images]
                images.update((key, store.get(key)) for key in new_keys)
                sample = replace(item.sample, images=[images[key] for key in item.image_keys])
                index = report.written[split]
                outputs[split].append(
                    build_row(sample, template, split, index), sum(len(images[key]) for key in new_keys)
                )
                add[split](str(targets[split]), index, item.image_keys, sample.question)
                report.count_written(split, sample)
            outputs[split].end_group()
            progress.update(len(items))
        report.train_val_overlap = overlap.report()
        return outputs.commit({split: _metadata(options, split, report) for split in SPLITS})


def prepare(options: PrepareOptions) -> tuple[dict[str, Path], PrepareReport]:
    """Convert, check, sample, dedup, split, write ``train/val.parquet``; return their paths + the report."""
    options.check()
    report = PrepareReport(allow_benchmark_training=options.allow_benchmark_training)
    if options.allow_benchmark_training:
        warnings.warn(BENCHMARK_WARNING, BenchmarkTrainingWarning, stacklevel=2)
    with tempfile.TemporaryDirectory(prefix="rlvr-prepare-", dir=options.work_dir) as work:
        store = ImageStore(Path(work) / "images.bin", options.bounds)
        spool = SampleSpool(Path(work))
        try:
            collector = _Collector(options, report, store, spool)
            for source, folder in options.sources:
                collector.read(source, folder)
            collector.finish()
            if collector.kept < 2:
                raise _too_few_rows(collector.kept, report)
            try:
                assignment = SplitAssignment(collector.groups, options.val_fraction, options.seed)
            except ValueError as exc:
                raise PrepareError(str(exc), report) from exc
            return _write(options, spool, store, assignment, report), report
        finally:
            spool.close()
            store.close()


def _metadata(options: PrepareOptions, split: str, report: PrepareReport) -> Mapping:
    return {
        "generator": "rlvr.data.prepare",
        "split": split,
        "sources": [{"name": name, "input": str(folder)} for name, folder in options.sources],
        "seed": options.seed,
        "val_fraction": options.val_fraction,
        "ratios": options.resolved_ratios(),
        "official_splits": list(options.official_splits),
        "languages": sorted(options.language_set()),
        "allow_benchmark_training": options.allow_benchmark_training,
        "pixel_bounds": {"min_pixels": options.bounds.min_pixels, "max_pixels": options.bounds.max_pixels},
        "on_error": options.on_error,
        "template": get_template(options.template).to_metadata(),
        "report": report.to_dict(),
    }
