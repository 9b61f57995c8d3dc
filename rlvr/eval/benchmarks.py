"""The benchmark registry: which converter reads each benchmark, how its evaluation split is selected from the
records, how MedEvalKit words its prompts, and the suites (lingshu_mm, lingshu_text, lingshu, synth).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rlvr.data.records import RawRecord
from rlvr.errors import RecipeError

SYNTH = "synth"
GROUP_TITLES = {"mm": "Multimodal QA", "text": "Text QA", "synth": "Synthetic task"}


@dataclass(frozen=True)
class Benchmark:
    """One column of the table. A record belongs to it when its ``benchmark_split`` is one of ``split_labels``
    (or, from a converter that sets none, when the fallback rule holds: ``official_split``, path fragments,
    image presence), and when its file path and option count fit the version the table evaluates."""

    name: str  # registry key and output sub-folder
    title: str  # the table column, as Lingshu names it
    group: str  # "mm", "text" or "synth"
    sources: tuple[str, ...]  # converter names in rlvr.data.sources; the first registered one reads it
    folder: str  # sub-folder of data_root holding the release
    split_labels: tuple[str, ...] = ()
    official_split: str | None = "test"  # fallback; None: any (sets without splits)
    fallback_where: tuple[str, ...] = ()  # fallback: every fragment in the record's "file:row"
    needs_images: bool | None = None  # fallback: True = only rows with images, False = only without
    where_contains: tuple[str, ...] = ()  # always: the evaluated file/version (PMC-VQA "test_2")
    option_count: int | None = None  # always: the evaluated variant (MedQA 4 options, Medbullets op5)
    languages: tuple[str, ...] = ("en",)
    option_format: str = "{letter}. {text}"  # how MedEvalKit lists this set's options
    closed_prompt: str = "judgement"  # MedEvalKit's yes/no wording, or "short" (SLAKE: one word or phrase)
    layout: str = "standard"  # "standard", "mmmu" (MMMU's own prompt) or "pubmedqa" ("Context:" first)

    def selects(self, record: RawRecord, images_known: bool = True) -> bool:
        """Whether ``record`` belongs to this benchmark's evaluation split (language filtered separately);
        ``images_known`` False skips the image test (a rejected row carries no images)."""
        where = record.where.replace("\\", "/")
        if any(fragment not in where for fragment in self.where_contains):
            return False
        if self.option_count is not None and record.options and len(record.options) != self.option_count:
            return False
        if record.benchmark_split:
            return normalise_label(record.benchmark_split) in {normalise_label(s) for s in self.split_labels}
        if self.official_split is not None and record.official_split != self.official_split:
            return False
        if any(fragment not in where for fragment in self.fallback_where):
            return False
        return not (
            images_known and self.needs_images is not None and bool(record.images) != self.needs_images
        )


def normalise_label(label: str) -> str:
    """ "MMMU-Med validation", "mmmu med  Validation" -> "mmmumedvalidation": labels compared loosely."""
    return re.sub(r"[^a-z0-9]+", "", label.lower())


BENCHMARKS: dict[str, Benchmark] = {}


def register_benchmark(benchmark: Benchmark) -> Benchmark:
    if benchmark.name in BENCHMARKS:
        raise ValueError(f"a benchmark named {benchmark.name!r} is already registered")
    BENCHMARKS[benchmark.name] = benchmark
    return benchmark


for _benchmark in (
    # ---- multimodal: the 7 columns of Lingshu's multimodal table, in its order
    Benchmark("mmmu_med", "MMMU-Med", "mm", ("mmmu",), "MMMU",
              split_labels=("MMMU-Med validation", "MMMU validation"), official_split="val",
              option_format="({letter}) {text}", layout="mmmu"),
    Benchmark("vqa_rad", "VQA-RAD", "mm", ("vqa_rad",), "VQA-RAD", split_labels=("VQA-RAD test",)),
    Benchmark("slake", "SLAKE", "mm", ("slake",), "SLAKE", split_labels=("SLAKE test",),
              languages=("en", "zh"), closed_prompt="short"),
    Benchmark("pathvqa", "PathVQA", "mm", ("pathvqa",), "PathVQA", split_labels=("PathVQA test",)),
    Benchmark("pmc_vqa", "PMC-VQA", "mm", ("pmc_vqa",), "PMC-VQA",
              split_labels=("PMC-VQA test_2", "PMC-VQA test2", "PMC-VQA test"), where_contains=("test_2",),
              option_format="{letter}:{text}"),
    Benchmark("omnimedvqa", "OmniMedVQA", "mm", ("omnimedvqa",), "OmniMedVQA",
              split_labels=("OmniMedVQA", "OmniMedVQA open-access", "OmniMedVQA test"), official_split=None,
              where_contains=("Open-access",)),  # MedEvalKit reads the open-access files only
    Benchmark("medxpertqa_mm", "MedXpertQA", "mm", ("medxpertqa_mm", "medxpertqa"), "MedXpertQA",
              split_labels=("MedXpertQA-MM test", "MedXpertQA MM test"), fallback_where=("/MM/",),
              needs_images=True),
    # ---- text: the columns of Lingshu's text table, in its order
    Benchmark("mmlu_med", "MMLU-Med", "text", ("mmlu_med", "mmlu"), "MMLU",
              split_labels=("MMLU-Med test", "MMLU test"), option_format="{letter}.{text}"),
    Benchmark("pubmedqa", "PubMedQA", "text", ("pubmedqa",), "PubMedQA", split_labels=("PubMedQA test",),
              option_format="{letter}.{text}", layout="pubmedqa"),
    Benchmark("medmcqa", "MedMCQA", "text", ("medmcqa",), "MedMCQA",
              split_labels=("MedMCQA validation", "MedMCQA dev"), official_split="val"),
    Benchmark("medqa_usmle", "MedQA", "text", ("medqa",), "MedQA-USMLE",
              split_labels=("MedQA-USMLE test", "MedQA-USMLE 4-option test", "MedQA test"), option_count=4),
    Benchmark("medbullets", "Medbullets", "text", ("medbullets",), "Medbullets",
              split_labels=("Medbullets", "Medbullets op5", "Medbullets test"), official_split=None,
              option_count=5, option_format="{letter}.{text}"),
    Benchmark("medxpertqa_text", "MedXpertQA", "text", ("medxpertqa_text", "medxpertqa"), "MedXpertQA",
              split_labels=("MedXpertQA-Text test", "MedXpertQA Text test"), fallback_where=("/Text/",),
              needs_images=False),
    Benchmark("supergpqa_med", "SuperGPQA", "text", ("supergpqa",), "SuperGPQA",
              split_labels=("SuperGPQA-Medicine", "SuperGPQA Medicine", "SuperGPQA medicine test"),
              official_split=None, option_format="{letter}.{text}"),
    # ---- the synthetic task (rlvr.data.synth validation rows): CPU, nothing downloaded
    Benchmark(SYNTH, "Synth", "synth", (), "", official_split=None),
):  # fmt: skip
    register_benchmark(_benchmark)

SUITES: dict[str, tuple[str, ...]] = {
    "lingshu_mm": ("mmmu_med", "vqa_rad", "slake", "pathvqa", "pmc_vqa", "omnimedvqa", "medxpertqa_mm"),
    "lingshu_text": ("mmlu_med", "pubmedqa", "medmcqa", "medqa_usmle", "medbullets", "medxpertqa_text",
                     "supergpqa_med"),
    SYNTH: (SYNTH,),
}  # fmt: skip
SUITES["lingshu"] = SUITES["lingshu_mm"] + SUITES["lingshu_text"]


def resolve_suite(suite: str) -> list[Benchmark]:
    """A suite name or a comma-separated list of benchmark/suite names -> benchmarks, each once, in order."""
    names: list[str] = []
    for part in (p.strip() for p in str(suite).split(",")):
        if not part:
            continue
        if part in SUITES:
            names += SUITES[part]
        elif part in BENCHMARKS:
            names.append(part)
        else:
            import difflib

            known = sorted(SUITES) + sorted(BENCHMARKS)
            near = difflib.get_close_matches(part, known, n=2)
            hint = f" Did you mean {' or '.join(near)}?" if near else ""
            raise RecipeError(
                f"suite: unknown suite or benchmark {part!r}.{hint} Suites: {', '.join(sorted(SUITES))}; "
                f"benchmarks: {', '.join(sorted(BENCHMARKS))}"
            )
    if not names:
        raise RecipeError(
            "suite is empty: name a suite (lingshu_mm, lingshu_text, lingshu, synth) or benchmarks"
        )
    return [BENCHMARKS[name] for name in dict.fromkeys(names)]


def converter_for(benchmark: Benchmark, registered: Callable[[str], bool]) -> str | None:
    """The first of the benchmark's converter names that is registered, or None."""
    return next((name for name in benchmark.sources if registered(name)), None)
