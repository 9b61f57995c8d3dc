"""Properties of the shared converter pieces: streaming JSON, split tokens, label/text reconciliation,
image placement and the template's placeholder count."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlvr.data.sources.image_markers import place_images
from rlvr.data.sources.readers import csv_rows, json_object_items, jsonl_rows
from rlvr.data.sources.rows import (
    SPLIT_NAMES,
    RowProblem,
    SourceError,
    Splits,
    language_of,
    reconciled_letter,
    split_token,
)
from rlvr.data.templates import IMAGE_PLACEHOLDER, get_template

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(data=st.dictionaries(st.text(max_size=10), json_values, max_size=6), chunk=st.integers(1, 40),
       indent=st.sampled_from([None, 0, 2]))  # fmt: skip
def test_json_object_items_matches_json_loads_for_any_chunking(tmp_path_factory, data, chunk, indent):
    path = tmp_path_factory.mktemp("json") / "rows.json"
    path.write_text(json.dumps(data, indent=indent), encoding="utf-8")
    assert list(json_object_items(path, chunk_chars=chunk)) == list(data.items())


@pytest.mark.parametrize("text", ['{"a": 1', '{"a" 1}', '{"a": 1,}', "{1: 2}", "[]", '{"a": 1]'])
def test_json_object_items_rejects_broken_files_naming_them(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(SourceError, match="bad.json: not a readable JSON file"):
        list(json_object_items(path, chunk_chars=3))


def test_text_that_is_not_utf8_names_the_file(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"question": "\xff\xfe"}\n')
    with pytest.raises(SourceError, match="rows.jsonl: not UTF-8"):
        list(jsonl_rows(path))


def test_headerless_csv_rows_are_numbered_from_one_and_checked_for_width(tmp_path):
    path = tmp_path / "anatomy_test.csv"
    path.write_text('"multi\nline",a,b\nx,y\n')
    assert list(csv_rows(path, ["q", "a", "b"])) == [
        (f"{path}:1", {"q": "multi\nline", "a": "a", "b": "b"}),
        (f"{path}:2", {"__malformed__": "expected 3 columns, got 2"}),
    ]


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12).filter(
    lambda name: not any(word in SPLIT_NAMES for word in re.findall("[a-z]+", name))
)


@given(above=st.lists(names, max_size=3), between=st.lists(names, max_size=3),
       token=st.sampled_from(sorted(SPLIT_NAMES)), below=st.lists(names, max_size=2), leaf=names,
       token_in_leaf=st.booleans())  # fmt: skip
def test_split_token_is_the_innermost_split_name_below_the_root(
    above, between, token, below, leaf, token_in_leaf
):
    root = Path("/", *above, "test", "release")  # split-like names above the root never count
    if token_in_leaf:
        path = root.joinpath(*between, *below, f"{leaf}-{token}.parquet")
    else:
        path = root.joinpath(*between, token, *below, f"{leaf}.parquet")
    assert split_token(path, root) == token
    assert split_token(root.joinpath(*between, f"{leaf}.parquet"), root) == ""


@pytest.mark.parametrize(
    "token, table, expected",
    [
        ("validation", {"validation": "MMMU-Med validation"}, Splits("val", "MMMU-Med validation")),
        ("dev", {"validation": "MMMU-Med validation"}, Splits("val", "")),  # MMMU's few-shot dev set
        ("dev", {"val": "MedMCQA validation"}, Splits("val", "MedMCQA validation")),
        ("testset", {"test": "VQA-RAD test"}, Splits("test", "VQA-RAD test")),
        ("", {"test": "X"}, Splits("", "")),
    ],
)
def test_splits_of_a_token(token, table, expected):
    assert Splits.of(token, table) == expected


option_texts = st.lists(st.text(alphabet="abcdefgh ", min_size=1, max_size=6).map(str.strip).filter(bool),
                        min_size=2, max_size=6, unique_by=lambda s: " ".join(s.split()))  # fmt: skip


@given(texts=option_texts, data=st.data())
def test_reconciled_letter_rules(texts, data):
    options = dict(zip("ABCDEF", texts, strict=False))
    label = data.draw(st.sampled_from(sorted(options)))
    other = data.draw(st.sampled_from(sorted(set(options) - {label})))
    notes: list = []
    assert reconciled_letter(options, label, options[label].upper() + ".", notes, strict=True) == label
    assert notes == []
    assert reconciled_letter(options, label, options[other], notes, strict=True) == other
    assert [kind for kind, _ in notes] == ["label_fixed"]
    with pytest.raises(RowProblem) as problem:
        reconciled_letter(options, label, "zzz unmatched", [], strict=True)
    assert problem.value.reason == "label_mismatch"
    assert reconciled_letter(options, label, "zzz unmatched", [], strict=False) == label


image_refs = st.binary(min_size=1, max_size=4)


@given(
    images=st.dictionaries(st.integers(1, 7), image_refs, max_size=7),
    question_markers=st.lists(st.integers(1, 7), max_size=5),
    option_markers=st.lists(st.integers(1, 7), max_size=3),
    literal=st.booleans(),
)
def test_place_images_gives_one_image_per_placeholder_in_reading_order(
    images, question_markers, option_markers, literal
):
    question = " and ".join(f"<image {n}>" for n in question_markers) + (
        " <image> literal" if literal else ""
    )
    options = {"A": " ".join(f"<image {n}>" for n in option_markers) or "none", "B": "other"}
    if not set(question_markers + option_markers) <= set(images):
        with pytest.raises(RowProblem, match="missing_image|image_"):
            place_images(question, options, images)
        return
    placed = place_images(question, options, images)
    text = placed.question + "".join(placed.options.values())
    assert text.count(IMAGE_PLACEHOLDER) == len(placed.images)
    unreferenced = [images[n] for n in sorted(images) if n not in question_markers + option_markers]
    assert placed.images == unreferenced + [images[n] for n in question_markers + option_markers]
    content = get_template("think_answer").user_content(placed.question, placed.options, len(placed.images))
    assert content.count(IMAGE_PLACEHOLDER) == len(placed.images)


@given(question=st.text(max_size=60), option=st.text(max_size=20), n_images=st.integers(0, 4))
def test_the_template_always_renders_exactly_one_placeholder_per_image(question, option, n_images):
    noisy = question + IMAGE_PLACEHOLDER * (len(question) % 3)
    content = get_template("think_answer").user_content(noisy, {"A": option}, n_images)
    assert content.count(IMAGE_PLACEHOLDER) == n_images


def test_placeholders_stay_in_place_only_when_they_match_the_images():
    template = get_template("think_answer")
    assert template.user_content("see <image> then <image>", {}, 2).startswith("see <image> then <image>")
    assert template.user_content("see <image>", {}, 2).startswith("<image><image>\nsee [image]")
    assert template.user_content("see <image>", {}, 0).startswith("see [image]")


@pytest.mark.parametrize(
    "text, language",
    [("Is the liver enlarged?", "en"), ("肝脏是否增大？", "zh"), ("CT图像显示肝脏增大吗？", "zh"), ("", "en"),
     ("患者CT检查显示什么？", "zh"), ("Lung (肺)", "en")],
)  # fmt: skip
def test_language_of(text, language):
    assert language_of(text) == language
