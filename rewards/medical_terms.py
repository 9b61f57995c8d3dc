"""Medical vocabulary for free-text matching: abbreviations, British spellings, plurals.

``canonical_terms`` maps a word sequence to canonical terms so that "CT" and "computed tomography",
"LLL" and "left lower lobe", "oedema" and "edema", "nodules" and "nodule" compare equal.
"""

from __future__ import annotations

import re
from functools import lru_cache

# canonical term -> spellings (lower case, as words; punctuation is dropped before matching)
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "ct": ("ct", "computed tomography", "computerized tomography", "computerised tomography", "ct scan",
           "cat scan"),
    "cta": ("cta", "ct angiography", "ct angiogram", "computed tomography angiography"),
    "mri": ("mri", "magnetic resonance imaging", "magnetic resonance", "mr imaging", "mri scan"),
    "mra": ("mra", "mr angiography", "magnetic resonance angiography"),
    "mrcp": ("mrcp", "magnetic resonance cholangiopancreatography"),
    "pet": ("pet", "positron emission tomography", "pet scan"),
    "cxr": ("cxr", "chest x ray", "chest xray", "chest radiograph", "chest radiography", "chest film"),
    "xray": ("xray", "x ray", "radiograph", "radiography", "plain film"),
    # "US" (upper case) is rewritten to "ultrasound" before matching: lower-case "us" is a pronoun
    "ultrasound": ("ultrasound", "ultrasonography", "sonography", "sonogram", "usg", "ultrasound scan",
                   "us scan", "us imaging", "us image", "us examination", "us exam"),
    "echo": ("echo", "echocardiogram", "echocardiography"),
    "ecg": ("ecg", "ekg", "electrocardiogram", "electrocardiography"),
    "dwi": ("dwi", "diffusion weighted imaging"),
    "flair": ("flair", "fluid attenuated inversion recovery"),
    "adc": ("adc", "apparent diffusion coefficient"),
    "mi": ("mi", "myocardial infarction", "heart attack"),
    "copd": ("copd", "chronic obstructive pulmonary disease", "chronic obstructive lung disease"),
    "ards": ("ards", "acute respiratory distress syndrome"),
    "dvt": ("dvt", "deep vein thrombosis", "deep venous thrombosis"),
    # "PE" (upper case) is rewritten to "pulmonary embolism": "pe" also abbreviates pleural effusion
    "pe": ("pulmonary embolism", "pulmonary embolus", "pulmonary emboli"),
    "chf": ("chf", "congestive heart failure"),
    "cad": ("cad", "coronary artery disease"),
    "lvh": ("lvh", "left ventricular hypertrophy"),
    "lv": ("lv", "left ventricle", "left ventricular"),
    "rv": ("rv", "right ventricle", "right ventricular"),
    "lll": ("lll", "left lower lobe"),
    "lul": ("lul", "left upper lobe"),
    "rll": ("rll", "right lower lobe"),
    "rml": ("rml", "right middle lobe"),
    "rul": ("rul", "right upper lobe"),
    "ruq": ("ruq", "right upper quadrant"),
    "rlq": ("rlq", "right lower quadrant"),
    "luq": ("luq", "left upper quadrant"),
    "llq": ("llq", "left lower quadrant"),
    "he_stain": ("h and e", "hematoxylin and eosin", "hematoxylin eosin"),
    "tb": ("tb", "tuberculosis"),
    "cns": ("cns", "central nervous system"),
    "csf": ("csf", "cerebrospinal fluid"),
    "sah": ("sah", "subarachnoid hemorrhage"),
    "sdh": ("sdh", "subdural hematoma"),
    "edh": ("edh", "epidural hematoma", "extradural hematoma"),
    "ich": ("ich", "intracranial hemorrhage"),
    "cva": ("cva", "cerebrovascular accident", "stroke"),
    "tia": ("tia", "transient ischemic attack"),
    "avm": ("avm", "arteriovenous malformation"),
    "aaa": ("aaa", "abdominal aortic aneurysm"),
    "ivc": ("ivc", "inferior vena cava"),
    "svc": ("svc", "superior vena cava"),
    "cbd": ("cbd", "common bile duct"),
    "hcc": ("hcc", "hepatocellular carcinoma"),
    "rcc": ("rcc", "renal cell carcinoma"),
    "gi": ("gi", "gastrointestinal"),
}

# Upper-case abbreviations that are ordinary words in lower case, rewritten before lower-casing.
_CASE_SENSITIVE = re.compile(r"(?<![A-Za-z])(US|PE|MI)(?![A-Za-z])")
_CASE_SENSITIVE_EXPANSIONS = {"US": "ultrasound", "PE": "pulmonary embolism", "MI": "myocardial infarction"}
_AMPERSAND = re.compile(r"\s{0,3}&\s{0,3}")

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
}
_KEEP_FINAL_S = ("ss", "us", "is", "os", "ys")
_SINGULAR_IN_S = frozenset({"pancreas", "atlas", "bias", "whereas", "has", "was", "gas", "alias", "series"})


def rewrite_abbreviations(text: str) -> str:
    """Expand case-sensitive abbreviations ("US", "PE", "MI") and spell out "&" (H&E)."""
    text = _CASE_SENSITIVE.sub(lambda m: " " + _CASE_SENSITIVE_EXPANSIONS[m.group(1)] + " ", text)
    return _AMPERSAND.sub(" and ", text)


@lru_cache(maxsize=8192)
def normalize_word(word: str) -> str:
    """American spelling and singular of one lower-case word: "oedemas" -> "edema"."""
    for british, american in _SPELLING:
        if british in word:
            word = word.replace(british, american)
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_KEEP_FINAL_S) or word in _SINGULAR_IN_S:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    return word[:-1]


@lru_cache(maxsize=1)
def _phrase_table() -> tuple[dict[tuple[str, ...], str], int]:
    table = {}
    for canonical, spellings in ABBREVIATIONS.items():
        for spelling in spellings:
            table[tuple(normalize_word(w) for w in spelling.split())] = canonical
    return table, max(len(key) for key in table)


def canonical_terms(words: list[str]) -> list[tuple[str, int]]:
    """Canonical terms of normalised ``words``, each with the index of its first word.

    The longest known phrase wins: "left lower lobe" -> "lll", "ct angiography" -> "cta".
    """
    table, longest = _phrase_table()
    normalized = [normalize_word(w) for w in words]
    terms: list[tuple[str, int]] = []
    i = 0
    while i < len(normalized):
        for size in range(min(longest, len(normalized) - i), 0, -1):
            canonical = table.get(tuple(normalized[i: i + size]))
            if canonical is not None:
                terms.append((canonical, i))
                i += size
                break
        else:
            terms.append((normalized[i], i))
            i += 1
    return terms
