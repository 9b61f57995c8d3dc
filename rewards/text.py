"""Bounded text normalisation shared by the verifiers (model output is untrusted)."""

from __future__ import annotations

import re
import unicodedata

# A response longer than this keeps only its last MAX_RESPONSE_CHARS characters before any parsing: the
# final answer comes at the end, and 1M characters covers 64k-token reasoning (about 300k characters)
# three times over. Every scan over a response is linear in its length.
MAX_RESPONSE_CHARS = 1_000_000
MAX_ANSWER_CHARS = 2_000  # an extracted answer is cut to this
MAX_TOKENS = 256  # words considered in an answer

ARTICLES = frozenset({"a", "an", "the"})
_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def clip(text: object, limit: int = MAX_ANSWER_CHARS) -> str:
    """``text`` as a ``str`` of at most ``limit`` characters (``None`` becomes '')."""
    if text is None:
        return ""
    s = text if isinstance(text, str) else str(text)
    return s[:limit]


def clip_tail(text: object, limit: int = MAX_RESPONSE_CHARS) -> str:
    """``text`` as a ``str`` of at most ``limit`` characters, keeping the end (``None`` becomes '')."""
    if text is None:
        return ""
    s = text if isinstance(text, str) else str(text)
    return s[-limit:] if len(s) > limit else s


def normalize_text(text: str, drop_articles: bool = True) -> str:
    """Lower-case, NFKC, punctuation to spaces, collapsed whitespace, articles dropped."""
    s = unicodedata.normalize("NFKC", clip(text)).lower()
    s = _PUNCT.sub(" ", s)
    words = _SPACE.split(s.strip())[:MAX_TOKENS]
    if drop_articles:
        words = [w for w in words if w not in ARTICLES]
    return " ".join(w for w in words if w)


def tokens(text: str) -> list[str]:
    """Normalised words of ``text`` (at most ``MAX_TOKENS``)."""
    norm = normalize_text(text)
    return norm.split() if norm else []


# Unicode's default-ignorable code points (zero-width spaces and joiners, bidi controls, soft hyphen,
# variation selectors, tag characters): invisible, so a model can hide them inside "y\u200bes" or "B\u200b/C".
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Cyrillic and Greek letters drawn like Latin ones ("уеs", "А or B"): read as the Latin letter they mimic.
_LOOKALIKES = dict(zip(
    "АВЕКМНОРСТУХІЈЅаеорсухіјѕԁһӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧο",
    "ABEKMHOPCTYXIJSaeopcyxijsdhlABEZHIKMNOPTYXo",
    strict=True,
))
_VISIBLE = {
    **{code: None for low, high in _IGNORABLE_RANGES for code in range(low, high + 1)},
    **{ord(k): v for k, v in _LOOKALIKES.items()},
}


def visible(text: str) -> str:
    """``text`` as a reader sees it: invisible characters dropped, Latin look-alikes read as Latin."""
    return text if text.isascii() else text.translate(_VISIBLE)
