"""One modality vocabulary (Lingshu's 12 + ``other`` + ``text``) and the table mapping raw labels onto it.

A raw label is normalised (NFKC, case-folded, punctuation to spaces) and matched against ``PATTERNS``
twice: with hyphens inside words read as spaces ("SD-OCT" -> "sd oct") and dropped ("Mag-netic" ->
"magnetic", "X-Ray" -> "xray"); a modality named in either reading counts. When it
names one modality, that one; when it names several, the most specific one if the others are its
broader forms (``REFINES``: "PET/CT" -> PET, "Pathological, Microscopic Images" -> histopathology),
else ``other``: "Body Scans: MRI, CT scans, and X-rays" (MMMU) could be any of three, and a wrong
label is worse than an honest ``other``. Labels naming no modality ("", "Medical Images",
"Diagrams", "Infrared Reflectance Imaging", "Colposcopy") are ``other``; rows without images are
``text`` whatever their label. The raw label is kept next to the result (``extra_info.modality_raw``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

XRAY, CT, MRI, ULTRASOUND = "X-ray", "CT", "MRI", "ultrasound"
MICROSCOPY, HISTOPATHOLOGY, DERMOSCOPY, FUNDUS = "microscopy", "histopathology", "dermoscopy", "fundus"
OCT, PHOTOGRAPHY, ENDOSCOPY, PET = "OCT", "digital photography", "endoscopy", "PET"
OTHER, TEXT = "other", "text"

MODALITIES = (
    XRAY, CT, MRI, ULTRASOUND, MICROSCOPY, HISTOPATHOLOGY, DERMOSCOPY, FUNDUS, OCT, PHOTOGRAPHY, ENDOSCOPY,
    PET, OTHER, TEXT,
)  # fmt: skip

MAX_LABEL_CHARS = 500  # labels are short; a longer one is cut before matching

# Word-prefix patterns over the normalised label (matched at word starts, so "oct" never hits "doctor"
# and "ct" never hits "oct"). Abbreviations are whole words; stems end in \w* where plurals vary.
PATTERNS: dict[str, tuple[str, ...]] = {
    XRAY: (r"x ?rays?", r"radiograph\w*", r"roentgen\w*", r"cxr", r"mammogra\w*", r"fluoroscop\w*",
           r"dxa", r"dexa", r"panoramic", r"plain films?"),
    CT: (r"ct", r"cts", r"computed tomograph\w*", r"computerized tomograph\w*", r"cat scans?", r"cbct",
         r"hrct", r"cta", r"ncct"),
    MRI: (r"mri", r"mr", r"mra", r"fmri", r"magnetic resonance", r"flair", r"t1 ?w\w*", r"t2 ?w\w*",
          r"dwi", r"diffusion weighted"),
    ULTRASOUND: (r"ultrasound\w*", r"ultrasonogra\w*", r"sonogra\w*", r"echocardiogra\w*", r"echo",
                 r"doppler", r"us", r"usg"),
    MICROSCOPY: (r"microscop\w*", r"micrograph\w*", r"cytolog\w*", r"cytopatholog\w*", r"blood smears?",
                 r"smears?"),
    HISTOPATHOLOGY: (r"patholog\w*", r"histopatholog\w*", r"histolog\w*", r"h e", r"he stain\w*",
                     r"whole slide", r"wsi", r"biopsy slides?", r"immunohistochem\w*", r"ihc"),
    DERMOSCOPY: (r"dermoscop\w*", r"dermatoscop\w*", r"epiluminescence"),
    FUNDUS: (r"fundus", r"fundoscop\w*", r"funduscop\w*", r"cfp", r"retinal photograph\w*",
             r"retinal images?", r"ophthalmoscop\w*"),
    OCT: (r"oct", r"octa", r"optical coherence"),
    PHOTOGRAPHY: (r"photograph\w*", r"photos?", r"clinical images?", r"camera", r"macroscopic"),
    ENDOSCOPY: (r"endoscop\w*", r"colonoscop\w*", r"gastroscop\w*", r"laparoscop\w*", r"bronchoscop\w*",
                r"cystoscop\w*", r"arthroscop\w*", r"capsule endoscop\w*", r"egd"),
    PET: (r"pet", r"positron", r"petct", r"petmr\w*", r"fdg"),
}  # fmt: skip

# When a label names a modality and one of its broader forms, the specific one wins.
REFINES: dict[str, frozenset[str]] = {
    HISTOPATHOLOGY: frozenset({MICROSCOPY, PHOTOGRAPHY}),
    MICROSCOPY: frozenset({PHOTOGRAPHY}),
    DERMOSCOPY: frozenset({PHOTOGRAPHY, MICROSCOPY}),
    FUNDUS: frozenset({PHOTOGRAPHY}),
    OCT: frozenset({FUNDUS}),
    ENDOSCOPY: frozenset({PHOTOGRAPHY}),
    PET: frozenset({CT, MRI}),  # PET/CT and PET/MR are PET studies with an anatomical overlay
    CT: frozenset({XRAY}),  # "CT angiography", "X-ray computed tomography"
}

_COMPILED = {
    modality: re.compile(r"(?<![a-z0-9])(?:" + "|".join(patterns) + r")(?![a-z0-9])")
    for modality, patterns in PATTERNS.items()
}
_HYPHEN_IN_WORD = re.compile(r"(?<=[a-z0-9])[-\u2010\u2011](?=[a-z0-9])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def label_readings(raw: str) -> tuple[str, str]:
    """The label with in-word hyphens as spaces and dropped: "MR (Mag-netic ...)" -> "mr mag netic ...",
    "mr magnetic ..."."""
    text = unicodedata.normalize("NFKC", str(raw)[:MAX_LABEL_CHARS]).casefold()
    spaced = _NOT_WORD.sub(" ", text).strip()
    joined = _NOT_WORD.sub(" ", _HYPHEN_IN_WORD.sub("", text)).strip()
    return spaced, joined


def named_modalities(raw: str) -> set[str]:
    """Every vocabulary modality the label names, before the specific-over-broad rule."""
    readings = label_readings(raw)
    return {m for m, pattern in _COMPILED.items() if any(pattern.search(reading) for reading in readings)}


@lru_cache(maxsize=4096)
def _image_modality(raw: str) -> str:
    named = named_modalities(raw)
    specific = {m for m in named if not any(m in REFINES.get(other, ()) for other in named)}
    return specific.pop() if len(specific) == 1 else OTHER


def to_modality(raw: str | None, has_images: bool = True) -> str:
    """The vocabulary name for a set's raw modality label (see the module docstring for the rules)."""
    if not has_images:
        return TEXT
    return _image_modality(str(raw or "").strip())


def _key(name: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", name).casefold())


_BY_KEY = {_key(name): name for name in MODALITIES}


def canonical_modality(name: str) -> str:
    """A vocabulary name given in any case/spacing ("ct", "x-ray", "Digital_Photography") -> its spelling."""
    found = _BY_KEY.get(_key(name))
    if found is None:
        raise ValueError(f"unknown modality {name!r}; the vocabulary is: {', '.join(MODALITIES)}")
    return found
