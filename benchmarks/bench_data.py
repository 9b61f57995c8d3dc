"""`rlvr data prepare` at scale on generated PMC-VQA-shaped data: rows/s, peak RSS and bytes out/in.

    .venv/bin/python benchmarks/bench_data.py [--sizes 10000,100000] [--target] [--data-dir DIR]

Writes PMC-VQA's version-1 layout (``train.csv``: Figure_path, Question, Answer, Choice A-D written
"A:text", Answer_label; ``images/``) into a temporary folder (or ``--data-dir``, kept for reuse):
greyscale and colour JPEGs of 160-520 px a side, a few KB to tens of KB each, about 1.5 questions
per image, rows in shuffled order (an image's questions are not adjacent in the input). Each size
runs `rlvr data prepare` in a fresh child process, so the peak RSS printed is that run's own.
``--target`` adds the issue's target run: 150k rows over 100k images, to be under 2 GB peak RSS with
output no larger than 1.2x the input image bytes. The load average is printed with each run: the
machine may be shared, and wall time grows with the load.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

QUESTIONS_PER_IMAGE = 1.5
TARGET_ROWS = 150_000
FINDINGS = (
    "pleural effusion, pneumothorax, cardiomegaly, consolidation, renal cyst, fracture, subdural hematoma, "
    "liver metastasis, normal study, lymphadenopathy, atelectasis"
).split(", ")
ORGANS = ["chest", "abdomen", "brain", "pelvis", "knee", "liver", "kidney", "spine"]
NOISE_SIDE = 520
REPO = Path(__file__).resolve().parents[1]  # the child imports this checkout's rlvr, not an installed one
_noise: list[np.ndarray] = []


def _image(index: int, seed: int) -> Image.Image:
    """A smooth random field with film-grain noise: JPEG sizes like real scans, distinct for each index."""
    if not _noise:
        pool_rng = np.random.default_rng(seed)
        _noise.extend(pool_rng.normal(0, 1, (NOISE_SIDE, NOISE_SIDE)).astype(np.float32) for _ in range(8))
    rng = np.random.default_rng([seed, index])
    width, height = (int(side) for side in rng.integers(160, NOISE_SIDE, size=2))
    field = Image.fromarray((rng.random((6, 6)) * 255).astype(np.uint8)).resize(
        (width, height), Image.BILINEAR
    )
    y, x = (int(offset) for offset in rng.integers(0, NOISE_SIDE - max(width, height) + 1, size=2))
    grain = _noise[index % len(_noise)][y : y + height, x : x + width] * float(rng.uniform(2, 14))
    image = Image.fromarray(np.clip(np.asarray(field, dtype=np.float32) + grain, 0, 255).astype(np.uint8))
    return image.convert("RGB") if rng.random() < 0.3 else image


def _write_images(task: tuple[Path, int, int, int]) -> list[int]:
    folder, start, stop, seed = task
    sizes = []
    for index in range(start, stop):
        path = folder / f"{index:06d}.jpg"
        if not path.exists():
            quality = int(np.random.default_rng([seed, index, 1]).integers(60, 92))
            _image(index, seed).save(path, format="JPEG", quality=quality)
        sizes.append(path.stat().st_size)
    return sizes


def generate_images(folder: Path, count: int, seed: int, workers: int) -> list[int]:
    """``count`` JPEGs in ``folder`` (existing ones reused); their sizes in bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    chunk = 2000
    tasks = [(folder, start, min(count, start + chunk), seed) for start in range(0, count, chunk)]
    with Pool(workers) as pool:
        return [size for sizes in pool.map(_write_images, tasks) for size in sizes]


def write_layout(root: Path, rows: int, images: Path, seed: int) -> int:
    """PMC-VQA v1 ``train.csv`` with ``rows`` questions over the first images; the images used."""
    n_images = math.ceil(rows / QUESTIONS_PER_IMAGE)
    per_image = [2 if i < rows - n_images else 1 for i in range(n_images)]
    rng = random.Random(seed)
    records = []
    for index, count in enumerate(per_image):
        for q in range(count):
            choices = dict(zip("ABCD", rng.sample(FINDINGS, 4), strict=True))
            label = rng.choice("ABCD")
            records.append({
                "Figure_path": f"{index:06d}.jpg",
                "Question": f"What does the {rng.choice(ORGANS)} image of case {index} show ({q})?",
                "Answer": choices[label],
                **{f"Choice {letter}": f" {letter}:{text}" for letter, text in choices.items()},
                "Answer_label": label,
            })  # fmt: skip
    rng.shuffle(records)
    root.mkdir(parents=True, exist_ok=True)
    with (root / "train.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    if not (root / "images").exists():
        (root / "images").symlink_to(images, target_is_directory=True)
    return n_images


def run_prepare_child(args: argparse.Namespace) -> None:
    """In the child: one `rlvr data prepare` run, then its peak RSS, wall and CPU time as a JSON line."""
    from rlvr.data.cli import main

    start = time.perf_counter()
    argv = [
        "prepare",
        "--source",
        "pmc_vqa",
        "--input",
        args.input,
        "--out",
        args.out,
        "--work-dir",
        args.work,
    ]
    code = main(argv)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    seconds, cpu = time.perf_counter() - start, usage.ru_utime + usage.ru_stime
    print(
        json.dumps(
            {"code": code, "seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": usage.ru_maxrss / 1024}
        )
    )


def measure(data_dir: Path, rows: int, sizes: list[int], seed: int) -> dict:
    root = data_dir / f"pmc_vqa_{rows}"
    n_images = write_layout(root, rows, data_dir / "images", seed)
    out, work = data_dir / f"out_{rows}", data_dir / f"work_{rows}"
    work.mkdir(exist_ok=True)
    load_before = os.getloadavg()[0]
    child = subprocess.run(
        [sys.executable, __file__, "--child", "--input", str(root), "--out", str(out), "--work", str(work)],
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        },
    )
    lines = child.stdout.strip().splitlines()
    if child.returncode or not lines or json.loads(lines[-1])["code"]:
        raise SystemExit(f"prepare failed for {rows} rows:\n{child.stdout[-3000:]}\n{child.stderr[-3000:]}")
    result = json.loads(lines[-1])
    bytes_in = sum(sizes[:n_images])
    bytes_out = sum(path.stat().st_size for path in out.glob("*.parquet"))
    shutil.rmtree(out)
    shutil.rmtree(work)
    return {
        "rows": rows,
        "images": n_images,
        "seconds": result["seconds"],
        "cpu_seconds": result["cpu_seconds"],
        "rows_per_cpu_s": rows / result["cpu_seconds"],
        "peak_rss_mb": result["peak_rss_mb"],
        "in_mb": bytes_in / 2**20,
        "out_mb": bytes_out / 2**20,
        "out_over_in": bytes_out / bytes_in,
        "load": (load_before, os.getloadavg()[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="row counts to run (comma-separated)")
    parser.add_argument("--target", action="store_true", help=f"also run the {TARGET_ROWS}-row target")
    parser.add_argument("--data-dir", help="keep the generated data here (reused by later runs)")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_prepare_child(args)
    sizes = [int(size) for size in args.sizes.split(",") if size] + ([TARGET_ROWS] if args.target else [])
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="bench_data_"))
    try:
        start = time.perf_counter()
        n_images = math.ceil(max(sizes) / QUESTIONS_PER_IMAGE)
        image_sizes = generate_images(data_dir / "images", n_images, args.seed, args.workers)
        print(f"generated/reused {len(image_sizes)} JPEGs ({sum(image_sizes) / 2**20:.0f} MB, median "
              f"{np.median(image_sizes) / 1024:.1f} KB) in {time.perf_counter() - start:.0f} s")  # fmt: skip
        print(f"{'rows':>8} {'images':>8} {'wall s':>7} {'CPU s':>7} {'rows/CPUs':>9} {'peak RSS MB':>11} "
              f"{'in MB':>7} {'out MB':>7} {'out/in':>6}  load before -> after")  # fmt: skip
        for rows in sizes:
            r = measure(data_dir, rows, image_sizes, args.seed)
            print(
                f"{r['rows']:>8} {r['images']:>8} {r['seconds']:>7.0f} {r['cpu_seconds']:>7.0f} "
                f"{r['rows_per_cpu_s']:>9.0f} {r['peak_rss_mb']:>11.0f} {r['in_mb']:>7.0f} "
                f"{r['out_mb']:>7.0f} {r['out_over_in']:>6.3f}  {r['load'][0]:.1f} -> {r['load'][1]:.1f}",
                flush=True,
            )
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
