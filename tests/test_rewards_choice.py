"""Multiple-choice verifier: which answers name the right option, and which hacks score 0."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.choice import parse_options, pick_option, verify_choice
from rewards.registry import get_verifier

OPTIONS = {"A": "Atelectasis", "B": "Pneumonia", "C": "Pleural effusion", "D": "Pneumothorax"}
INFO = {"options": OPTIONS}


@pytest.mark.parametrize(
    "answer",
    [
        "B",
        "b",
        "(B)",
        "(b)",
        "[B]",
        "B.",
        "B)",
        "B:",
        "Option B",
        "option (B)",
        "Choice: B",
        "B) Pneumonia",
        "B. Pneumonia",
        "(B) Pneumonia",
        "B - Pneumonia",
        "B Pneumonia",
        "**B**",
        "The answer is B",
        "Answer: (B) Pneumonia",
        "B is correct",
        "I think B",
        "It is B",
        "Pneumonia",
        "pneumonia",
        "PNEUMONIA.",
        "pneumonai",  # typo
        "Pnemonia",  # typo
        "the pneumonia",
        "Pneumonia (B)",
        "right lower lobe pneumonia",  # contains exactly one option's text
        "  B  ",
        "Ｂ",  # full-width letter
    ],
)
def test_right_option_scores_one(answer):
    assert verify_choice(answer, "B", INFO) == 1.0


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("A", "another letter"),
        ("(C)", "another letter"),
        ("Atelectasis", "another option's text"),
        ("pneumothorax", "another option's text, one edit away in spirit"),
        ("A or B", "two letters"),
        ("A and C", "two letters"),
        ("A, B", "two letters"),
        ("B or C", "two letters"),
        ("option B or C", "two letters"),
        ("A B C D", "every letter"),
        ("A) Atelectasis B) Pneumonia C) Pleural effusion D) Pneumothorax", "every option listed"),
        ("Pneumonia or atelectasis", "two option texts"),
        ("Pneumonia, atelectasis, pleural effusion, pneumothorax", "every option text"),
        ("B) Atelectasis", "letter contradicts its own text"),
        ("B. Pleural effusion", "letter contradicts its own text"),
        ("Pneumonia (C)", "text contradicts the letter"),
        ("B Atelectasis", "bare letter plus another option's text"),
        ("E", "a letter that is no option"),
        ("(E) Pneumonia", "a letter that is no option"),
        ("", "empty"),
        ("   ", "blank"),
        ("CT scan", "capitals inside words are not letters"),
        ("Bone", "a word starting with B is not B"),
        ("A 45-year-old", "the article A is not a letter"),
        ("not pneumonia", "a negated option text"),
        ("pleural", "part of an option text is no option"),
        ("I don't know", "no option"),
    ],
)
def test_wrong_or_ambiguous_answers_score_zero(answer, why):
    assert verify_choice(answer, "B", INFO) == 0.0, why


@pytest.mark.parametrize("truth", ["B", "b", "(B)", "B.", "Option B", "Pneumonia", "pneumonia", " B "])
def test_ground_truth_as_letter_or_option_text(truth):
    assert verify_choice("B) Pneumonia", truth, INFO) == 1.0
    assert verify_choice("A", truth, INFO) == 0.0


def test_capital_a_before_an_option_text_is_the_letter_a_judged_with_its_text():
    assert verify_choice("A", "A", INFO) == 1.0
    assert verify_choice("a", "A", INFO) == 1.0
    assert verify_choice("A.", "A", INFO) == 1.0
    # issue 10 changed this: "A pneumonia" is the letter A with option B's text, a contradiction
    assert verify_choice("A pneumonia", "B", INFO) == 0.0
    assert verify_choice("A pneumonia", "A", INFO) == 0.0
    assert verify_choice("A Atelectasis", "A", INFO) == 1.0
    assert verify_choice("an atelectasis", "A", INFO) == 1.0  # "an" stays an article
    assert verify_choice("A 45-year-old", "A", INFO) == 0.0


@pytest.mark.parametrize(
    ("options", "answer", "truth", "expected"),
    [
        # near-ties between options name nothing; a typo still lands on one option
        ({"A": "Hepatitis A", "B": "Hepatitis B", "C": "Hepatitis C"}, "Hepatitis B", "B", 1.0),
        ({"A": "Hepatitis A", "B": "Hepatitis B", "C": "Hepatitis C"}, "Hepatits C", "C", 1.0),
        ({"A": "Hepatitis A", "B": "Hepatitis B", "C": "Hepatitis C"}, "Hepatitis", "A", 0.0),
        ({"A": "Hepatitis A", "B": "Hepatitis B", "C": "Hepatitis C"}, "hepatitis b virus", "B", 1.0),
        # a capital letter that is part of an option's term is not a letter answer
        (
            {"A": "Vitamin D deficiency", "B": "Iron deficiency", "D": "Folate"},
            "Vitamin D deficiency",
            "A",
            1.0,
        ),
        (
            {"A": "Vitamin D deficiency", "B": "Iron deficiency", "D": "Folate"},
            "vitamin D defficiency",
            "A",
            1.0,
        ),
        ({"A": "Vitamin D deficiency", "B": "Iron deficiency", "D": "Folate"}, "Vitamin D", "D", 0.0),
        # an option text that looks like a letter form
        ({"A": "Staphylococcus", "E": "E. coli"}, "E. coli", "E", 1.0),
        # the longest option named wins over one it contains
        ({"A": "Pneumonia", "B": "Aspiration pneumonia"}, "aspiration pneumonia", "B", 1.0),
        ({"A": "Pneumonia", "B": "Aspiration pneumonia"}, "Pneumonia", "A", 1.0),
    ],
)
def test_option_sets_with_similar_texts(options, answer, truth, expected):
    assert verify_choice(answer, truth, {"options": options}) == expected


@pytest.mark.parametrize(
    "options",
    [
        OPTIONS,
        ["Atelectasis", "Pneumonia", "Pleural effusion", "Pneumothorax"],
        ("Atelectasis", "Pneumonia", "Pleural effusion", "Pneumothorax"),
        json.dumps(OPTIONS),
        json.dumps(["Atelectasis", "Pneumonia", "Pleural effusion", "Pneumothorax"]),
        {"a": "Atelectasis", "b": "Pneumonia", "c": "Pleural effusion", "d": "Pneumothorax"},
        {"(A)": "Atelectasis", "(B)": "Pneumonia", "(C)": "Pleural effusion", "(D)": "Pneumothorax"},
        ["A. Atelectasis", "B. Pneumonia", "C. Pleural effusion", "D. Pneumothorax"],
        {"A": "Atelectasis", "B": "Pneumonia", "C": "Pleural effusion", "D": "Pneumothorax", "E": None},
    ],
)
def test_option_formats_are_read_alike(options):
    assert parse_options(options) == OPTIONS
    assert verify_choice("pneumonia", "B", {"options": options}) == 1.0


@pytest.mark.parametrize("raw", [None, {}, [], "", "  ", "not json", "[1, 2", 42, {"?": "x"}, {"A": ""}])
def test_missing_or_unreadable_options_are_empty(raw):
    assert parse_options(raw) == {}


def test_numpy_arrays_from_parquet_are_read_as_lists():
    np = pytest.importorskip("numpy")
    assert parse_options(np.array(["x", "y"], dtype=object)) == {"A": "x", "B": "y"}


def test_own_letter_label_is_kept_unless_every_option_has_one():
    assert parse_options({"A": "Staphylococcus", "E": "E. coli"}) == {"A": "Staphylococcus", "E": "E. coli"}


@pytest.mark.parametrize(
    ("answer", "truth", "expected"),
    [
        ("B", "B", 1.0),  # letters compare without options
        ("(b)", "B", 1.0),
        ("C", "B", 0.0),
        ("Pneumonia", "B", 0.0),  # a text cannot be mapped to a letter without options
        ("Pneumonia", "pneumonia", 1.0),  # texts compare directly
        ("pneumonai", "Pneumonia", 1.0),
        ("B) Pneumonia", "Pneumonia", 1.0),
        ("Atelectasis", "Pneumonia", 0.0),
        ("", "Pneumonia", 0.0),
    ],
)
def test_without_options(answer, truth, expected):
    for info in ({}, {"options": None}, {"options": {}}, None):
        assert verify_choice(answer, truth, info) == expected


def test_ground_truth_not_among_options_compares_texts():
    info = {"options": {"A": "Atelectasis", "B": "Pneumonia"}}
    assert verify_choice("Lymphoma", "lymphoma", info) == 1.0
    assert verify_choice("B", "lymphoma", info) == 0.0


def test_ground_truth_letter_that_is_no_option_never_scores():
    assert verify_choice("E", "E", INFO) == 0.0
    assert verify_choice("(E)", "(E)", INFO) == 0.0


def test_pick_option_reports_the_letter_or_none():
    assert pick_option("B) Pneumonia", OPTIONS) == "B"
    assert pick_option("A or B", OPTIONS) is None
    assert pick_option("(C)", {}) == "C"


def test_registered_as_choice():
    assert get_verifier("choice") is verify_choice


@pytest.mark.parametrize(
    "answer",
    ["A " * 50000, "(A)" * 30000, "option " * 20000, "B" * 100000, "Pneumonia " * 10000, "(" * 100000],
)
def test_huge_answers_are_bounded(answer):
    start = time.perf_counter()
    score = verify_choice(answer, "B", INFO)
    assert time.perf_counter() - start < 1.0  # catastrophic-backtracking guard, not a benchmark
    assert score == 0.0


option_texts = st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=30).filter(str.strip)


@given(
    answer=st.text(max_size=500),
    truth=st.one_of(st.sampled_from("ABCDE"), st.text(max_size=40)),
    options=st.one_of(
        st.none(), st.lists(option_texts, max_size=6), st.dictionaries(st.text(max_size=3), option_texts)
    ),
)
def test_never_raises_and_scores_zero_or_one(answer, truth, options):
    assert verify_choice(answer, truth, {"options": options}) in (0.0, 1.0)


@given(st.permutations(["A", "B", "C", "D"]), st.sampled_from([" ", ", ", " or ", " and ", "/"]))
def test_naming_every_letter_never_scores(letters, separator):
    assert verify_choice(separator.join(letters), "B", INFO) == 0.0


MANY_TEXTS = ["CT", "MRI", "Ultrasound", "X-ray", "PET", "Pneumonia", "Atelectasis", "Lymphoma", "Cirrhosis",
              "Fracture", "Hydrocephalus", "Scoliosis"]
LETTER_SPELLINGS = ["{l}", "({l})", "{l}.", "{l})", "Option {l}", "option ({l})", "[{l}]", "**{l}**",
                    "The answer is {l}", "{l}. {t}", "({l}) {t}", "{l}) {t}", "{l}: {t}", "{l} - {t}",
                    "Option {l}: {t}", "{l} {t}"]


@given(st.lists(st.sampled_from(MANY_TEXTS), min_size=2, max_size=10, unique=True), st.data())
def test_up_to_ten_options_as_list_dict_or_json(texts, data):
    letters = "ABCDEFGHIJ"[: len(texts)]
    as_dict = dict(zip(letters, texts, strict=True))
    options = data.draw(st.sampled_from([as_dict, texts, json.dumps(texts), json.dumps(as_dict),
                                         {k.lower(): v for k, v in as_dict.items()}]))
    right = data.draw(st.sampled_from(letters))
    spelling = data.draw(st.sampled_from(LETTER_SPELLINGS))
    answer = spelling.format(l=right, t=as_dict[right])
    assert verify_choice(answer, right, {"options": options}) == 1.0, (answer, options)
    assert verify_choice(as_dict[right], right, {"options": options}) == 1.0
    wrong = data.draw(st.sampled_from([x for x in letters if x != right]))
    assert verify_choice(answer, wrong, {"options": options}) == 0.0


@given(st.lists(st.sampled_from(MANY_TEXTS), min_size=2, max_size=10, unique=True), st.data())
def test_a_letter_contradicting_its_own_text_scores_zero_in_every_spelling(texts, data):
    letters = "ABCDEFGHIJ"[: len(texts)]
    options = dict(zip(letters, texts, strict=True))
    letter, other = data.draw(st.permutations(letters).map(lambda p: p[:2]))
    spelling = data.draw(st.sampled_from([s for s in LETTER_SPELLINGS if "{t}" in s]))
    answer = spelling.format(l=letter, t=options[other])
    for truth in (letter, other):
        assert verify_choice(answer, truth, {"options": options}) == 0.0, (answer, truth)


@given(st.lists(st.sampled_from(MANY_TEXTS), min_size=3, max_size=10, unique=True), st.data())
def test_naming_two_options_texts_is_a_hedge(texts, data):
    options = dict(zip("ABCDEFGHIJ", texts, strict=False))
    first, second = data.draw(st.permutations(sorted(options)).map(lambda p: p[:2]))
    joiner = data.draw(st.sampled_from([" or ", "/", " and ", ", ", " vs ", " or maybe "]))
    answer = f"{options[first]}{joiner}{options[second]}"
    assert verify_choice(answer, first, {"options": options}) == 0.0, answer


@pytest.mark.parametrize(
    ("answer", "truth"),
    [("A. MRI", "A"), ("A. MRI", "B"), ("(A) MRI", "B"), ("A) MRI", "B"), ("A: MRI", "B"), ("A MRI", "B"),
     ("A - MRI", "B"), ("Option A: MRI", "B"), ("Option A: MRI", "A")],
)
def test_issue_example_letter_a_with_text_mri(answer, truth):
    assert verify_choice(answer, truth, {"options": {"A": "CT", "B": "MRI", "C": "PET"}}) == 0.0


def test_options_sharing_a_head_word_need_the_qualifier():
    options = {"A": "Left kidney", "B": "Right kidney", "C": "Bilateral kidneys"}
    assert verify_choice("the right kidney", "B", {"options": options}) == 1.0
    assert verify_choice("left and right kidney", "B", {"options": options}) == 0.0
    assert verify_choice("kidney", "B", {"options": options}) == 0.0
