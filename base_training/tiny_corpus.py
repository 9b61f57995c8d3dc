"""Built-in text the tiny model's tokenizer is trained on: medical VQA words, task vocabulary, English."""

from __future__ import annotations

_MODALITIES = ["CT", "MRI", "X-ray", "x-ray", "ultrasound", "PET", "mammography", "endoscopy", "histology"]
_ORGANS = [
    "brain",
    "lung",
    "lungs",
    "heart",
    "liver",
    "kidney",
    "spleen",
    "chest",
    "abdomen",
    "pelvis",
    "knee",
    "spine",
    "breast",
    "bone",
    "skull",
    "colon",
    "stomach",
    "bladder",
    "prostate",
    "thyroid",
    "eye",
]
_LOCATIONS = [
    "left",
    "right",
    "upper",
    "lower",
    "center",
    "middle",
    "top",
    "bottom",
    "anterior",
    "posterior",
    "medial",
    "lateral",
    "superior",
    "inferior",
    "bilateral",
    "left upper lobe",
    "right lower lobe",
]
_FINDINGS = [
    "normal",
    "abnormal",
    "lesion",
    "mass",
    "nodule",
    "tumor",
    "fracture",
    "effusion",
    "edema",
    "pneumonia",
    "hemorrhage",
    "infarct",
    "cyst",
    "opacity",
    "consolidation",
    "calcification",
    "enlarged",
    "atelectasis",
    "pneumothorax",
    "cardiomegaly",
    "no finding",
    "benign",
    "malignant",
    "bright",
    "dark",
    "circle",
    "square",
    "triangle",
    "shape",
    "spot",
    "spots",
    "region",
    "size",
]
_ENGLISH = [
    "The quick brown fox jumps over the lazy dog.",
    "You are a helpful assistant.",
    "Please answer the question about the image.",
    "Think step by step, then give the final answer.",
    "Answer with a single word or number.",
    "Answer with the letter of the correct option.",
    "Describe the image in one sentence.",
    "This is a picture of the patient's scan taken in the hospital.",
    "What is shown in this image? How many are there? Where is it located? Is there any abnormality?",
    "Which of the following is correct? Options are listed below.",
    "The answer is yes. The answer is no. I think the answer is correct because it matches the image.",
    "First, I look at the image. Then I count the objects and compare their positions.",
]


def _numbers() -> list[str]:
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return [f"{n} {w}" for n, w in enumerate(words)] + [str(n) for n in range(0, 101)] + ["0.5", "1.5", "2.5"]


def _questions() -> list[str]:
    lines = []
    for modality in _MODALITIES:
        lines.append(f"What imaging modality is this? This is a {modality} image.")
        for organ in _ORGANS:
            lines.append(f"{modality} of the {organ}. Is the {organ} normal? yes no")
    for location in _LOCATIONS:
        lines.append(f"Where is the lesion? The lesion is in the {location} part. Location: {location}")
    for finding in _FINDINGS:
        lines.append(f"Is there a {finding} in the image? Finding: {finding}.")
    for letter in "ABCDE":
        lines.append(f"Option {letter}: {letter}. ({letter}) {letter}) The correct option is {letter}.")
    for count in range(11):
        lines.append(f"How many spots are there? <think>I count {count}.</think><answer>{count}</answer>")
    lines.append("<think>The image shows a lesion.</think><answer>yes</answer> <answer>no</answer>")
    return lines


TRAINING_CORPUS: list[str] = _ENGLISH + _numbers() + _questions() + _MODALITIES + _ORGANS + _FINDINGS
