"""One word as the vocabulary compares it: American spelling, singular, adjective for an adverb, and Arabic
numerals for the Roman ones that number a type, grade or stage ("type II" is "type 2")."""

from __future__ import annotations

from functools import lru_cache

# British -> American spelling, applied inside a word.
_SPELLING = (
    ("haem", "hem"), ("aemia", "emia"), ("oedem", "edem"), ("oesophag", "esophag"), ("ischaem", "ischem"),
    ("paed", "ped"), ("tumour", "tumor"), ("colour", "color"), ("foet", "fet"), ("oestr", "estr"),
    ("leukaem", "leukem"), ("caec", "cec"), ("coeliac", "celiac"), ("dyspnoea", "dyspnea"),
    ("apnoea", "apnea"), ("diarrhoea", "diarrhea"), ("anaesth", "anesth"), ("centre", "center"),
    ("fibre", "fiber"), ("litre", "liter"), ("metre", "meter"), ("visualis", "visualiz"),
)
_IRREGULAR_PLURALS = {
    "diagnoses": "diagnosis", "metastases": "metastasis", "stenoses": "stenosis", "prognoses": "prognosis",
    "anastomoses": "anastomosis", "thromboses": "thrombosis", "bronchi": "bronchus", "emboli": "embolus",
    "thrombi": "thrombus", "calculi": "calculus", "nuclei": "nucleus", "foci": "focus", "gyri": "gyrus",
    "sulci": "sulcus", "vertebrae": "vertebra", "bullae": "bulla", "ectases": "ectasis",
    "appendices": "appendix", "apices": "apex", "cortices": "cortex", "indices": "index",
    "cocci": "coccus", "bacilli": "bacillus",
}
_KEEP_FINAL_S = ("ss", "us", "is", "os", "ys")
_SINGULAR_IN_S = frozenset(
    "pancreas atlas bias whereas has was gas alias series hodgkins diabetes herpes ascites feces mumps "
    "measles rickets scabies rabies".split()
)
# "anteriorly" -> "anterior", "bilaterally" -> "bilateral": an adverb made from an -al/-ar/-or adjective
# whose stem is long enough not to be another word ("early" is not "ear", "nearly" not "near").
_ADVERB_STEM_ENDINGS = ("al", "ar", "or")
MIN_ADVERB_STEM = 5
# Roman numerals after these words number something ("grade IV", "type II", "stage III", "class I").
ROMAN_NUMERALS = {
    "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10, "xi": 11,
    "xii": 12,
}
NUMBERED_BY_ROMAN = frozenset({"type", "grade", "stage", "class", "group", "phase", "cn", "nerve", "level"})


@lru_cache(maxsize=8192)
def normalize_word(word: str) -> str:
    """American spelling and singular of one lower-case word: "oedemas" -> "edema"; an -ly adverb of an
    -al/-ar/-or adjective becomes the adjective: "posteriorly" -> "posterior"."""
    for british, american in _SPELLING:
        if british in word:
            word = word.replace(british, american)
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if word.endswith("ly") and len(word) - 2 >= MIN_ADVERB_STEM and word[:-2].endswith(_ADVERB_STEM_ENDINGS):
        return word[:-2]
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_KEEP_FINAL_S) or word in _SINGULAR_IN_S:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    return word[:-1]


def with_arabic_numerals(tokens: list[str]) -> list[str]:
    """``tokens`` (lower case) with each Roman numeral that follows a numbered word written in digits:
    ["type", "ii", "diabetes"] -> ["type", "2", "diabetes"]; a Roman numeral elsewhere stays a word."""
    out = list(tokens)
    for i in range(1, len(out)):
        if out[i] in ROMAN_NUMERALS and normalize_word(out[i - 1]) in NUMBERED_BY_ROMAN:
            out[i] = str(ROMAN_NUMERALS[out[i]])
    return out
