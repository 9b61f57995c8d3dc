"""Published evaluation row counts per benchmark, with where each number comes from; a mismatch is a warning.

``verified`` is False where no primary source was found: the count is then checked but the warning says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Manifest:
    rows: int | None  # None: no published count to check against
    source: str
    verified: bool = True
    by_answer_type: dict[str, int] = field(default_factory=dict)  # "closed"/"open"/"choice"... when published
    by_language: dict[str, int] = field(default_factory=dict)


MANIFESTS: dict[str, Manifest] = {
    # MMMU validation, 5 Health & Medicine subjects x 30 questions (MMMU paper, Table 11; HF MMMU/MMMU card).
    "mmmu_med": Manifest(150, "MMMU validation: 30 questions per subject x 5 Health & Medicine subjects"),
    # VQA-RAD test (phrase_type test_freeform/test_para): 451 = 251 closed + 200 open
    # (flaviagiammarino/vqa-rad card: test 451; Lau et al. 2018).
    "vqa_rad": Manifest(
        451,
        "VQA-RAD test split (HF flaviagiammarino/vqa-rad: 451 rows)",
        by_answer_type={"closed": 251, "open": 200},
    ),
    # SLAKE test.json: 2094 questions, 1061 English (416 closed + 645 open as commonly reported) and the rest
    # Chinese. MedEvalKit evaluates both languages. The Chinese count (2094 - 1061) is derived, not published.
    "slake": Manifest(
        2094,
        "SLAKE test.json (Liu et al. 2021): 2094 rows, English 1061; Chinese derived",
        verified=False,
        by_language={"en": 1061, "zh": 1033},
    ),
    # PathVQA test: 6719 (HF flaviagiammarino/path-vqa card: train 19654 / validation 6259 / test 6719).
    # The closed (yes/no) share of the test split was not found in a primary source.
    "pathvqa": Manifest(6719, "HF flaviagiammarino/path-vqa dataset card: test num_examples 6719"),
    # PMC-VQA test_2.csv (version 2, non-compound images): no published row count was found. test_clean.csv
    # (version 1) has 2000 rows; third-party mirrors of the v2 test split report 33,430 rows.
    "pmc_vqa": Manifest(
        None, "PMC-VQA test_2.csv: row count not published (test_clean.csv has 2000)", verified=False
    ),
    # OmniMedVQA: 127,995 QA items in all (HF foreverbeliever/OmniMedVQA card); the open-access subset that
    # MedEvalKit reads (QA_information/Open-access) is reported as 82,059 by users, not by the authors.
    "omnimedvqa": Manifest(
        82059, "OmniMedVQA open-access subset (127,995 in all incl. restricted)", verified=False
    ),
    # MedXpertQA (Zuo et al. 2025): 4460 questions = Text 2450 + MM 2000 test, plus 5 dev questions each.
    "medxpertqa_mm": Manifest(2000, "MedXpertQA paper: MM test 2000 (Text 2450, 4460 with dev)"),
    "medxpertqa_text": Manifest(2450, "MedXpertQA paper: Text test 2450"),
    # MMLU test sizes of MedEvalKit's 9 medical subjects (utils/MMLU/MMLU.py medical_subject): anatomy 135,
    # clinical_knowledge 265, college_biology 144, college_medicine 173, medical_genetics 100,
    # professional_medicine 272, nutrition 306, virology 166, high_school_biology 310 (cais/mmlu card).
    "mmlu_med": Manifest(1871, "cais/mmlu test sizes of MedEvalKit's 9 medical subjects", verified=False),
    "pubmedqa": Manifest(500, "PubMedQA PQA-L: 1000 labelled questions, the official test split is 500"),
    "medmcqa": Manifest(4183, "MedMCQA validation split (HF/TFDS medmcqa: validation 4183)"),
    "medqa_usmle": Manifest(
        1273, "MedQA-USMLE 4-option test (Jin et al. 2021; HF GBaker/MedQA-USMLE-4-options)"
    ),
    "medbullets": Manifest(308, "Medbullets op5 (Chen et al. 2024; HF LangAGI-Lab/medbullets_op5: 308 rows)"),
    # SuperGPQA rows with discipline == "Medicine" (what MedEvalKit evaluates): count not found in a source.
    "supergpqa_med": Manifest(None, "SuperGPQA discipline=Medicine: count not published", verified=False),
    "synth": Manifest(None, "generated locally (synth.rows)"),
}


def count_warnings(name: str, found: int, answer_types: Counter, languages: Counter) -> list[str]:
    """What differs between the rows found and the manifest, one sentence each ([] when it all matches)."""
    manifest = MANIFESTS.get(name)
    if manifest is None or manifest.rows is None:
        return []
    caveat = "" if manifest.verified else " (the expected count is not confirmed by a primary source)"
    warnings = []
    if found != manifest.rows:
        direction = "missing" if found < manifest.rows else "extra"
        warnings.append(
            f"{name}: found {found} rows, the manifest expects {manifest.rows} "
            f"({abs(manifest.rows - found)} {direction}; {manifest.source}){caveat}"
        )
    for label, expected, seen in (
        ("answer type", manifest.by_answer_type, answer_types),
        ("language", manifest.by_language, languages),
    ):
        for key, count in expected.items():
            if seen.get(key, 0) != count:
                warnings.append(
                    f"{name}: {label} {key!r}: found {seen.get(key, 0)}, expected {count}{caveat}"
                )
    return warnings
