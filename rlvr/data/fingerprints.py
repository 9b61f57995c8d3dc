"""Normalised question text and the small digests that dedup, the split and the overlap check compare."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping

MAX_QUESTION_CHARS = 20_000  # longer questions are compared on their first 20k characters
_NOT_WORD = re.compile(r"[\W_]+")  # Unicode-aware: CJK characters are word characters


def normalize_question(question: str) -> str:
    """NFKC, case-folded, every run of punctuation/whitespace one space: "Is it  a CT?" == "IS IT A CT"."""
    text = unicodedata.normalize("NFKC", question[:MAX_QUESTION_CHARS]).casefold()
    return _NOT_WORD.sub(" ", text).strip()


def digest(*parts: bytes, size: int = 16) -> bytes:
    """BLAKE2b of the length-prefixed ``parts`` (so ("ab", "c") and ("a", "bc") differ)."""
    hasher = hashlib.blake2b(digest_size=size)
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.digest()


def question_digest(question: str) -> int:
    """A 64-bit digest of the normalised question (collisions: ~1 in 10^19 per pair)."""
    return int.from_bytes(digest(b"question", normalize_question(question).encode(), size=8), "big")


def row_digest(image_keys: Iterable[bytes], question: str, options: Mapping[str, str]) -> int:
    """A 64-bit digest of (the row's image keys in order, its normalised question, its options): the dedup
    key, so MedQA's 4- and 5-option versions of one question, or MedMCQA stems with other options, are
    different rows."""
    images = b"".join(image_keys)
    choices = "\n".join(f"{letter}:{normalize_question(text)}" for letter, text in sorted(options.items()))
    key = digest(b"row", images, normalize_question(question).encode(), choices.encode(), size=8)
    return int.from_bytes(key, "big")


def text_group_key(question: str) -> bytes:
    """The image-group key of a row without images: its normalised question, so repeats stay together."""
    return digest(b"text", normalize_question(question).encode())
