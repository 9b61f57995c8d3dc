"""``run_eval(cfg)``: load each benchmark, check contamination, generate what is not yet in
``predictions.jsonl``, score, write ``metrics.json`` per benchmark, then the table, charts and ``run.json``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rewards.score import RewardConfig
from rlvr.data.images import ImageError
from rlvr.errors import RecipeError
from rlvr.eval.benchmarks import SYNTH, Benchmark, resolve_suite
from rlvr.eval.config import EvalConfig
from rlvr.eval.contamination import check_contamination
from rlvr.eval.generation import Generator, RolloutGenerator
from rlvr.eval.judge import Judge
from rlvr.eval.loading import (
    EvalItem,
    LoadedBenchmark,
    annotation_files,
    count_by,
    decode_images,
    load_benchmark,
    synth_items,
)
from rlvr.eval.manifests import MANIFESTS, count_warnings
from rlvr.eval.model_source import ModelSource, resolve_model
from rlvr.eval.predictions import PREDICTIONS_FILE, PredictionStore
from rlvr.eval.prompts import messages_for
from rlvr.eval.record import run_record, write_json
from rlvr.eval.scoring import benchmark_metrics, score_item
from rlvr.eval.table import write_table

DEFAULT_MAX_NEW_TOKENS = 1024
SYNTH_DEFAULTS = {"seed": 0, "tasks": None, "image_size": 56}
GeneratorFactory = Callable[[str, str, int], Generator]


def prompt_mode(cfg: EvalConfig, source: ModelSource) -> str:
    if cfg.prompt == "auto":
        return "train" if source.template is not None else "medevalkit"
    if cfg.prompt == "train" and source.template is None:
        raise RecipeError(
            "prompt=train needs the template recorded in the training parquet: evaluate an rlvr run or "
            "checkpoint folder, or give train_files=[...] written by `rlvr data`; or use prompt=medevalkit"
        )
    return cfg.prompt


def model_label(spec: str, source: ModelSource) -> str:
    """ "tiny", the HF folder's name, or "<run> <checkpoint step>" for an rlvr checkpoint."""
    if source.kind == "checkpoint" and source.run_dir is not None:
        return f"{source.run_dir.name} {source.path.parent.name}"
    return Path(spec).name or spec


def synth_settings(cfg: EvalConfig, source: ModelSource) -> dict[str, Any]:
    """synth.* keys, else the model's run's synthetic task, else the generator's defaults (all tasks)."""
    from rlvr.data.synth import TASKS

    chosen = {key: getattr(cfg.synth, key) for key in SYNTH_DEFAULTS}
    merged = {k: v if v is not None else source.synth.get(k, SYNTH_DEFAULTS[k]) for k, v in chosen.items()}
    merged["tasks"] = list(merged["tasks"] or TASKS)
    return {"rows": cfg.synth.rows, **merged}


def load_all(benchmarks: list[Benchmark], cfg: EvalConfig, source: ModelSource) -> dict[str, LoadedBenchmark]:
    loaded = {}
    for benchmark in benchmarks:
        if benchmark.name == SYNTH:
            synth = synth_settings(cfg, source)
            items = synth_items(synth["rows"], synth["seed"], synth["tasks"], synth["image_size"])
            loaded[SYNTH] = LoadedBenchmark(benchmark, items[: cfg.limit or None], None, "rlvr.data.synth")
        else:
            loaded[benchmark.name] = load_benchmark(benchmark, Path(cfg.data_root).expanduser(), cfg.limit)
    return loaded


def manifest_notes(loaded: LoadedBenchmark, limit: int) -> list[str]:
    if loaded.problem:
        return [f"{loaded.benchmark.name}: not evaluated: {loaded.problem}"]
    notes = [
        f"{loaded.benchmark.name}: {n} row(s) of the split left out: {reason}"
        for reason, n in sorted(loaded.rejected.items())
    ]
    if limit:
        return notes + [
            f"{loaded.benchmark.name}: limit={limit}: a partial run, not comparable to the manifest"
        ]
    return notes + count_warnings(
        loaded.benchmark.name,
        len(loaded.items),
        count_by(loaded.items, "answer_type"),
        count_by(loaded.items, "language"),
    )


def print_inventory(loaded: dict[str, LoadedBenchmark], cfg: EvalConfig) -> None:
    """dry_run=true: benchmarks found under data_root, row counts against the manifest, what is missing."""
    print(f"# rlvr eval dry run: suite={cfg.suite} data_root={cfg.data_root} (nothing generated)")
    for name, item in loaded.items():
        expected = MANIFESTS[name].rows if name in MANIFESTS else None
        if item.problem:
            print(f"  MISSING  {name:<16} {item.problem}")
            continue
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(count_by(item.items, "answer_type").items()))
        print(
            f"  found    {name:<16} {len(item.items):>7} rows (manifest: {expected or 'n/a'}) [{kinds}] "
            f"from {item.folder or item.converter}"
        )
        for note in manifest_notes(item, cfg.limit):
            print(f"    warning: {note}")
        if item.other_labels:
            print(f"    other benchmark_split labels seen: {dict(item.other_labels)}")


def row_images(item: EvalItem, benchmark: Benchmark) -> list[bytes]:
    try:
        return decode_images(item.images)
    except (ImageError, OSError) as exc:
        raise RecipeError(
            f"{benchmark.name}: row {item.id}: an image cannot be read ({exc}); fix or remove it and run "
            "again (rows already answered are kept)"
        ) from None


def evaluate_pending(
    items: list[EvalItem],
    benchmark: Benchmark,
    store: PredictionStore,
    generator: Generator,
    cfg: EvalConfig,
    context: dict[str, Any],
    judge: Judge | None,
) -> dict[str, float]:
    """Generate, score (and judge) every item not yet in ``store``, longest prompts first, batch by batch."""
    pending = sorted(
        (i for i in items if not store.done(i.id)),
        key=lambda i: (len(i.images), len(i.question) + sum(map(len, i.options.values()))),
        reverse=True,
    )
    timing = {"generate_s": 0.0, "score_s": 0.0, "rows": float(len(pending))}
    progress = tqdm(total=len(items), initial=len(items) - len(pending), desc=benchmark.name, unit="row")
    for start in range(0, len(pending), cfg.batch_size):
        batch = pending[start : start + cfg.batch_size]
        rows = [
            {
                "prompt": messages_for(i, benchmark, context["mode"], context["template"]),
                "images": row_images(i, benchmark),
            }
            for i in batch
        ]
        began = time.perf_counter()
        generations = generator.generate(rows, context["max_new_tokens"], cfg.seed)
        generated = time.perf_counter()
        records = []
        for item, generation in zip(batch, generations, strict=True):
            record = {
                "id": item.id,
                "response": generation.text,
                "finish_reason": generation.finish_reason,
                "tokens": generation.tokens,
                "answer": item.answer,
                "answer_type": item.answer_type,
                "modality": item.modality,
                "question_type": item.question_type,
                "language": item.language,
                "body_part": item.body_part,
            }
            record.update(score_item(item, generation.text, cfg.open_metric, context["reward"]))
            records.append(record)
        timing["score_s"] += time.perf_counter() - generated
        timing["generate_s"] += generated - began
        if judge is not None:
            for item, record in zip(batch, records, strict=True):
                if item.answer_type == "open" and record["answer_found"]:
                    record["judge"] = judge.verdict(item.question, item.answer, record["extracted"])
        store.append(records)
        progress.update(len(batch))
    progress.close()
    return timing


def run_eval(
    cfg: EvalConfig, generator_factory: GeneratorFactory | None = None, find_overlap: Callable | None = None
) -> dict[str, Any]:
    """Evaluate ``cfg.model`` on ``cfg.suite``; returns {benchmark: metrics} (empty for a dry run)."""
    out_dir = Path(cfg.output_dir).expanduser()
    benchmarks = resolve_suite(cfg.suite)
    source = resolve_model(cfg.model, out_dir, cfg.seed)
    mode = prompt_mode(cfg, source)
    loaded = load_all(benchmarks, cfg, source)
    if cfg.dry_run:
        print_inventory(loaded, cfg)
        return {}
    train_files = list(cfg.train_files) or source.train_files
    context = {
        "mode": mode,
        "template": source.template,
        "reward": RewardConfig(),
        "max_new_tokens": cfg.max_new_tokens or source.max_response_length or DEFAULT_MAX_NEW_TOKENS,
    }
    factory = generator_factory or (
        lambda path, backend, length: RolloutGenerator.load(path, backend, length)
    )
    generator: Generator | None = None
    judge = (
        Judge(cfg.judge, Path(cfg.judge.cache or out_dir / "judge_cache.jsonl"))
        if cfg.judge.base_url
        else None
    )
    details: dict[str, Any] = {}
    for name, bench in loaded.items():
        notes = manifest_notes(bench, cfg.limit)
        for note in notes:
            print(f"warning: {note}")
        if not bench.items:
            continue
        work = out_dir / name
        work.mkdir(parents=True, exist_ok=True)
        overlap = (
            None
            if name == SYNTH
            else check_contamination(name, bench.items, train_files, work, cfg.allow_overlap, find_overlap)
        )
        store = PredictionStore(work / PREDICTIONS_FILE)
        timing: dict[str, float] = {}
        if any(not store.done(i.id) for i in bench.items):
            generator = generator or factory(str(source.path), cfg.backend, cfg.max_prompt_length)
            timing = evaluate_pending(bench.items, bench.benchmark, store, generator, cfg, context, judge)
        metrics = benchmark_metrics(
            [store.records[i.id] for i in bench.items], cfg.bootstrap_resamples, cfg.seed
        )
        metrics.update(
            {
                "benchmark": name,
                "notes": notes,
                "timing": timing,
                "prompt_mode": mode,
                "overlap": asdict(overlap) if overlap else None,
            }
        )
        if judge is not None:
            metrics["judge_calls"], metrics["judge_error_messages"] = judge.calls, judge.errors[:5]
        if "judged" in metrics:
            judged = metrics["judged"]
            accuracy = "n/a" if judged["accuracy"] is None else f"{100 * judged['accuracy']:.1f}"
            notes.append(
                f"judged accuracy {accuracy} over {judged['n']} rows, {judged['judge_errors']} judge errors"
            )
        write_json(work / "metrics.json", metrics)
        details[name] = metrics
    label = f"{model_label(cfg.model, source)} ({mode} prompt)"
    if details:
        write_table(out_dir, label, details)
    settings = {
        **asdict(cfg),
        "prompt_mode": mode,
        "max_new_tokens": context["max_new_tokens"],
        "sampling": {"temperature": 0.0, "greedy": True, "seed": cfg.seed},
        "engine": getattr(generator, "engine", None),
        "train_files_checked": train_files,
        "model_kind": source.kind,
        "run_dir": str(source.run_dir or ""),
    }
    if SYNTH in loaded:
        settings["synth"] = synth_settings(cfg, source)  # as resolved from the model's run
    datasets = {name: annotation_files(b.folder) for name, b in loaded.items()}
    write_json(out_dir / "run.json", run_record(settings, source.path, datasets))
    return details
