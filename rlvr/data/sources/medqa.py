"""MedQA (text): one source per region and option count, so a user picks exactly one variant.

The released ``data_clean/questions`` folder (jind11/MedQA; paths as in bigbio's med_qa loader) holds:
``US/{train,dev,test}.jsonl`` (USMLE, 5 options A-E), ``US/4_options/phrases_no_exclude_{train,dev,
test}.jsonl`` (the same questions with 4 options: the version MedQA-USMLE is reported on; the hub copy
GBaker/MedQA-USMLE-4-options that MedEvalKit reads ships these files alone), ``Mainland/{train,dev,test}
.jsonl`` (simplified Chinese, 5 options), ``Mainland/4_options/{train,dev,test}.jsonl``, and
``Taiwan/{train,dev,test}.jsonl`` (traditional Chinese). Never read: ``*_qbank.jsonl`` (every split
again), ``metamap`` folders and ``Taiwan/tw_translated_jsonl`` (translations of the Taiwan rows).

Each line has ``question``, ``options`` {letter: text}, ``answer`` (the text), ``answer_idx`` (the
letter; when it disagrees with the text, the text's choice wins with a ``label_fixed`` note) and
``meta_info`` (e.g. "step1"). The source ``medqa`` reads whichever single variant a folder holds and
stops, naming the variants, when it holds several. The USMLE test split (4 or 5 options: the same
questions) is the "MedQA-USMLE test" benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.readers import find_files, jsonl_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    RowProblem,
    SourceError,
    Splits,
    convert_rows,
    language_of,
    split_token,
    text,
    text_choice_record,
)

USMLE_BENCHMARK = "MedQA-USMLE test"
REGIONS = ("US", "Mainland", "Taiwan")
FOUR_OPTIONS = "4_options"
EXCLUDED_PARTS = ("metamap", "tw_translated", "textbooks")


@dataclass(frozen=True)
class Variant:
    name: str  # the source name
    region: str  # its folder under data_clean/questions
    four_options: bool  # the 4_options sub-folder
    language: str
    layout: str  # for `rlvr data sources`

    @property
    def benchmark(self) -> str:
        return USMLE_BENCHMARK if self.region == "US" else ""


VARIANTS = (
    Variant("medqa_usmle_4op", "US", True, "en", "US/4_options/phrases_no_exclude_{train,dev,test}.jsonl"),
    Variant("medqa_usmle_5op", "US", False, "en", "US/{train,dev,test}.jsonl (5 options)"),
    Variant("medqa_mainland", "Mainland", False, "zh", "Mainland/{train,dev,test}.jsonl (5 options, zh)"),
    Variant("medqa_mainland_4op", "Mainland", True, "zh", "Mainland/4_options/{train,dev,test}.jsonl (zh)"),
    Variant("medqa_taiwan", "Taiwan", False, "zh", "Taiwan/{train,dev,test}.jsonl (traditional zh)"),
)


def is_excluded(path: Path, root: Path) -> bool:
    """Files that repeat or translate rows of the split files: qbanks, metamap phrases, translations."""
    lowered = [part.lower() for part in (path.relative_to(root).parts or path.parts[-1:])]
    return "qbank" in lowered[-1] or any(part in name for name in lowered[:-1] for part in EXCLUDED_PARTS)


def variant_of(path: Path, root: Path) -> Variant | None:
    """The variant of a jsonl file from its region folder (the root's own name counts), None if no
    region is named (plain split files copied elsewhere)."""
    names = [*root.parts[-2:], *path.relative_to(root).parts] if path != root else list(path.parts[-3:])
    file_name = names[-1].lower()
    region = next((name for name in reversed(names[:-1]) if name in REGIONS), "")
    if not region and file_name.startswith("phrases_no_exclude"):
        region = "US"  # GBaker's hub copy: the US 4-option files on their own
    four = FOUR_OPTIONS in names[:-1] or file_name.startswith("phrases_no_exclude")
    return next((v for v in VARIANTS if v.region == region and v.four_options == four), None)


def _convert(where: str, row: Row, language: str) -> RawRecord:
    options = row.get("options")
    if not isinstance(options, Mapping) or not options:
        raise RowProblem("malformed_row", "'options' must be an object {letter: text}")
    options = {str(k).strip().upper(): str(v).strip() for k, v in options.items()}
    label = str(row.get("answer_idx") or "")
    meta_info = str(row.get("meta_info") or "").strip()
    language = language or language_of(text(row, "question"))
    return text_choice_record(where, row, options, label, meta_info, language)


def _read(root: Path, files: list[Path], variant: Variant | None) -> Iterator[Record]:
    """A variant's files; with no variant (no region folder) the language comes from each question,
    and an English test row can only be the USMLE benchmark."""
    for path in files:
        token = split_token(path, root)
        splits = Splits.of(token, {"test": variant.benchmark}) if variant else _detected_splits(token)
        language = variant.language if variant else ""
        yield from convert_rows(
            jsonl_rows(path), lambda where, row, language=language: _convert(where, row, language), splits
        )


def _detected_splits(token: str) -> Callable[[Row], Splits]:
    def splits(row: Row) -> Splits:
        english = language_of(str(row.get("question") or "")) == "en"
        return Splits.of(token, {"test": USMLE_BENCHMARK if english else ""})

    return splits


def _files(root: Path) -> dict[Variant | None, list[Path]]:
    by_variant: dict[Variant | None, list[Path]] = {}
    for path in find_files(root, ["**/*.jsonl"], "MedQA jsonl files"):
        if not is_excluded(path, root):
            by_variant.setdefault(variant_of(path, root), []).append(path)
    return by_variant


def _register(variant: Variant) -> None:
    @register_source(
        variant.name, f"MedQA {variant.layout}", {"test": variant.benchmark} if variant.benchmark else {}
    )
    def read(root: Path) -> Iterator[Record]:
        files = _files(root).get(variant)
        if not files:
            raise SourceError(f"no MedQA {variant.layout} files under {root}")
        yield from _read(root, files, variant)


for _variant in VARIANTS:
    _register(_variant)


@register_source(
    "medqa",
    "MedQA: the one variant a folder holds (several: pick medqa_usmle_4op, medqa_usmle_5op, "
    "medqa_mainland, medqa_mainland_4op or medqa_taiwan)",
    {"USMLE test": USMLE_BENCHMARK},
)
def read_medqa(root: Path) -> Iterator[Record]:
    by_variant = _files(root)
    known = {variant: files for variant, files in by_variant.items() if variant is not None}
    if len(known) > 1:
        found = ", ".join(f"{v.name} ({len(files)} files)" for v, files in known.items())
        raise SourceError(f"{root} holds several MedQA variants: {found}; choose one as --source")
    if known:
        ((variant, files),) = known.items()
        yield from _read(root, files, variant)
    else:
        yield from _read(root, by_variant.get(None, []), None)
