"""Images placed where the text refers to them: ``<image N>`` markers become the template's placeholder.

MMMU (and MedFrameQA when its text has markers) number images ``image_1``..``image_N`` and refer to
them as ``<image N>`` in the question or in an option. Each marker becomes one ``<image>`` placeholder
and its image is listed at that position, so the prompt template keeps every image where its marker
was (see ``rlvr.data.templates``). Images no marker refers to are placed before the question.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from rlvr.data.records import ImageRef
from rlvr.data.sources.rows import RowProblem
from rlvr.data.templates import IMAGE_PLACEHOLDER, NEUTRALISED_PLACEHOLDER

MARKER = re.compile(r"<image\s{0,3}(\d{1,3})>", re.IGNORECASE)
MAX_PLACEHOLDERS = 16  # the most image positions one question may have


@dataclass
class PlacedImages:
    question: str
    options: dict[str, str]
    images: list[ImageRef] = field(default_factory=list)  # one per placeholder, in reading order


def place_images(question: str, options: Mapping[str, str], images: Mapping[int, ImageRef]) -> PlacedImages:
    """Replace each ``<image N>`` marker (question first, then options A, B, ...) by a placeholder.

    ``images`` maps N to the row's image N (absent: the row has none). A marker whose image is absent
    is a ``missing_image`` problem: the question would be unanswerable without it.
    """
    ordered: list[ImageRef] = []
    referenced: set[int] = set()

    def placeholder(match: re.Match) -> str:
        number = int(match.group(1))
        if number not in images:
            raise RowProblem(
                "missing_image", f"the text refers to <image {number}> but image_{number} is empty"
            )
        ordered.append(images[number])
        referenced.add(number)
        if len(ordered) > MAX_PLACEHOLDERS:
            raise RowProblem("malformed_row", f"more than {MAX_PLACEHOLDERS} image markers")
        return IMAGE_PLACEHOLDER

    question = MARKER.sub(placeholder, _neutralised(question))
    options = {letter: MARKER.sub(placeholder, _neutralised(value)) for letter, value in options.items()}
    unreferenced = [images[number] for number in sorted(images) if number not in referenced]
    if unreferenced:
        question = IMAGE_PLACEHOLDER * len(unreferenced) + "\n" + question
    return PlacedImages(question, options, unreferenced + ordered)


def _neutralised(value: str) -> str:
    """A literal placeholder already in the dataset's text is not an image position."""
    return value.replace(IMAGE_PLACEHOLDER, NEUTRALISED_PLACEHOLDER)
