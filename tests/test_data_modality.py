"""The modality vocabulary: every set's raw labels map onto Lingshu's 12 + other/text, and --ratio uses it."""

from __future__ import annotations

import pytest
from data_pipeline_fixtures import install_records_source, write_image, write_records
from hypothesis import given
from hypothesis import strategies as st

from rlvr.data.io import read_metadata, read_rows
from rlvr.data.modality import MODALITIES, canonical_modality, named_modalities, to_modality
from rlvr.data.prepare import PrepareOptions, prepare

RAW_LABELS = [
    # OmniMedVQA modality_type values, as released (typos and the unclosed parenthesis included)
    ("CT(Computed Tomography)", "CT"),
    ("MR (Mag-netic Resonance Imaging)", "MRI"),
    ("X-Ray", "X-ray"),
    ("ultrasound", "ultrasound"),
    ("Dermoscopy", "dermoscopy"),
    ("Microscopy Images", "microscopy"),
    ("Fundus Photography", "fundus"),
    ("OCT (Optical Coherence Tomography", "OCT"),
    ("Digital Photography", "digital photography"),
    ("Endoscopy", "endoscopy"),
    ("Infrared Reflectance Imaging", "other"),  # retinal SLO and eye-region IR photos: no single modality
    ("Colposcopy", "other"),
    # MMMU img_type values
    ("['Body Scans: MRI, CT scans, and X-rays']", "other"),  # several named: ambiguous
    ("Body Scans: MRI, CT.", "other"),
    ("['Pathological Images']", "histopathology"),
    ("['Microscopic Images']", "microscopy"),
    ("['Pathological Images', 'Microscopic Images']", "histopathology"),  # specific beats broad
    ("['Medical Images']", "other"),
    ("['Photographs']", "digital photography"),
    ("['Diagrams', 'Tables']", "other"),
    # SLAKE, PathVQA, generic spellings
    ("CT", "CT"),
    ("MRI", "MRI"),
    ("pathology", "histopathology"),
    ("Xray", "X-ray"),
    ("x ray", "X-ray"),
    ("chest x-ray", "X-ray"),
    ("Chest X‐Ray", "X-ray"),  # Unicode hyphen
    ("ＣＴ", "CT"),  # full-width letters (NFKC)
    ("radiograph", "X-ray"),
    ("Mammography", "X-ray"),
    ("CT angiography", "CT"),
    ("PET/CT", "PET"),
    ("PET-CT", "PET"),
    ("FDG PET", "PET"),
    ("T2-weighted MRI", "MRI"),
    ("Echocardiography", "ultrasound"),
    ("US", "ultrasound"),
    ("H&E stained whole slide image", "histopathology"),
    ("Blood smear", "microscopy"),
    ("Dermatoscopy", "dermoscopy"),
    ("Retinal OCT", "OCT"),
    ("Colonoscopy", "endoscopy"),
    ("Clinical photograph", "digital photography"),
    ("SD-OCT", "OCT"),  # hyphen read as a space
    ("CT-guided biopsy", "CT"),
    ("MR-angiography", "MRI"),
    ("H&E", "histopathology"),
    ("plain film", "X-ray"),
    ("", "other"),
    ("   ", "other"),
    ("doctor's note", "other"),  # "oct" inside a word is not OCT
    ("Octopus", "other"),
    ("ECG", "other"),
]


@pytest.mark.parametrize(("raw", "expected"), RAW_LABELS)
def test_raw_labels_map_onto_the_vocabulary(raw, expected):
    assert to_modality(raw) == expected


@pytest.mark.parametrize("raw", ["CT", "", "X-Ray", "Medical Images"])
def test_rows_without_images_are_text(raw):
    assert to_modality(raw, has_images=False) == "text"


def test_vocabulary_is_lingshus_twelve_plus_other_and_text():
    assert len(MODALITIES) == 14 and MODALITIES[-2:] == ("other", "text")


@given(st.text(max_size=300))
def test_any_label_maps_into_the_vocabulary(raw):
    assert to_modality(raw) in MODALITIES
    assert to_modality(raw * 50) in MODALITIES  # long labels are cut, never slow


@given(st.sampled_from([label for label, _ in RAW_LABELS]), st.sampled_from(["upper", "lower", "title"]))
def test_mapping_ignores_case(raw, case):
    assert to_modality(getattr(raw, case)()) == to_modality(raw)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("ct", "CT"), ("x-ray", "X-ray"), ("XRAY", "X-ray"), ("Digital_Photography", "digital photography"),
     ("histopathology", "histopathology"), ("Other", "other")],
)  # fmt: skip
def test_canonical_modality_for_ratio_names(name, expected):
    assert canonical_modality(name) == expected


def test_several_named_modalities_are_reported():
    assert named_modalities("Body Scans: MRI, CT scans, and X-rays") == {"MRI", "CT", "X-ray"}


def _mixed_set(root):
    rows = []
    labels = ["CT(Computed Tomography)", "ct", "MR (Mag-netic Resonance Imaging)", "X-Ray"]
    for i in range(40):
        write_image(root / f"img{i}.png", seed=i)
        image = {"images": [f"img{i}.png"], "modality": labels[i % 4], "body_part": "CHEST"}
        rows.append({"question": f"Q{i}?", "answer": "yes", **image})
    rows.append({"question": "A text question?", "answer": "no", "modality": "CT"})
    return write_records(root, rows)


def test_ratio_by_vocabulary_name_case_insensitive_and_raw_label_kept(tmp_path, monkeypatch):
    records_source = install_records_source(monkeypatch)
    root = _mixed_set(tmp_path / "in")
    paths, report = prepare(
        PrepareOptions(
            sources=[(records_source, root)], out_dir=tmp_path / "out", ratios={"modality:ct": 0.5}
        )
    )
    assert report.by_modality["MRI"] == 10 and report.by_modality["X-ray"] == 10
    assert report.by_modality["text"] == 1
    assert 4 <= report.by_modality["CT"] <= 16 and report.dropped_by_ratio == 20 - report.by_modality["CT"]
    rows = [row for path in paths.values() for row in read_rows(path)]
    ct = [row["extra_info"] for row in rows if row["extra_info"]["modality"] == "CT"]
    assert {extra["modality_raw"] for extra in ct} <= {"CT(Computed Tomography)", "ct"}
    assert all(extra["body_part"] == "CHEST" for extra in ct)
    assert read_metadata(paths["train"])["ratios"] == {"modality:CT": 0.5}


def test_unknown_modality_in_ratio_lists_the_vocabulary(tmp_path, monkeypatch):
    records_source = install_records_source(monkeypatch)
    root = _mixed_set(tmp_path / "in")
    options = PrepareOptions(
        sources=[(records_source, root)], out_dir=tmp_path / "out", ratios={"modality:CTX": 0.5}
    )
    with pytest.raises(
        ValueError, match=r"unknown modality 'CTX'; the vocabulary is: X-ray, CT, MRI, ultrasound"
    ):
        prepare(options)
    assert not (tmp_path / "out").exists()
