"""Prompt modes: MedEvalKit's wording per question form and language, and the training template."""

from __future__ import annotations

import pytest

from rlvr.data.io import read_metadata, read_rows
from rlvr.data.synth import write_synth
from rlvr.eval.benchmarks import BENCHMARKS
from rlvr.eval.loading import EvalItem, synth_items
from rlvr.eval.prompts import messages_for, split_pubmedqa, template_from_metadata

OPTIONS = {"A": "Aspirin", "B": "Heparin", "C": "Surgery", "D": "Observation"}


def user_text(item: EvalItem, benchmark: str) -> str:
    messages = messages_for(item, BENCHMARKS[benchmark], "medevalkit", None)
    assert [m["role"] for m in messages] == ["user"]
    return messages[0]["content"]


def test_multiple_choice_wording_and_option_styles():
    item = EvalItem("q", "Best next step?", "B", "choice", OPTIONS)
    assert user_text(item, "medqa_usmle") == (
        "\nQuestion: Best next step?\nOptions: \nA. Aspirin\nB. Heparin\nC. Surgery\nD. Observation\n"
        "Answer with the option's letter from the given choices directly."
    )
    assert "\nA.Aspirin\nB.Heparin\n" in user_text(item, "medbullets")
    assert "\nA:Aspirin\nB:Heparin\n" in user_text(item, "pmc_vqa")


def test_chinese_rows_get_chinese_instructions():
    closed = EvalItem("q", "肺部健康吗?", "是", "closed", language="zh", images=[b"png"])
    assert user_text(closed, "slake") == "<image>肺部健康吗?\n请用一个单词或者短语回答该问题。"
    opened = EvalItem("q", "病变在哪里?", "左肺", "open", language="zh")
    assert user_text(opened, "slake") == "病变在哪里?\n请简要回答该问题。"
    choice = EvalItem("q", "哪个?", "A", "choice", OPTIONS, language="zh")
    assert user_text(choice, "medqa_usmle").startswith("\n问题： 哪个?\n选项： \nA. Aspirin")
    assert user_text(choice, "medqa_usmle").endswith("请直接使用给定选项中的选项字母来回答该问题。")


@pytest.mark.parametrize(
    ("benchmark", "answer_type", "instruction"),
    [
        ("vqa_rad", "closed", "Please output 'yes' or 'no'(no extra output)."),
        ("pathvqa", "closed", "Please output 'yes' or 'no'(no extra output)."),
        ("slake", "closed", "Answer the question using a single word or phrase."),
        ("vqa_rad", "open", "Please answer the question concisely."),
        ("slake", "open", "Please answer the question concisely."),
    ],
)
def test_yes_no_and_open_wording_image_first(benchmark, answer_type, instruction):
    item = EvalItem("q", "Is there a nodule?", "yes", answer_type, images=[b"png"])
    assert user_text(item, benchmark) == f"<image>Is there a nodule?\n{instruction}"


def test_mmmu_lists_parenthesised_options_and_passes_every_image_in_order():
    item = EvalItem("q", "<image 1> <image 2> Which lobe?", "B", "choice",
                    {"A": "Upper", "B": "Lower"}, images=[b"one", b"two"])  # fmt: skip
    text = user_text(item, "mmmu_med")
    assert text.startswith("<image_1>: <image><image_2>: <image>\n<image 1> <image 2> Which lobe?\n\n")
    assert "(A) Upper\n(B) Lower\n" in text
    assert text.endswith("Answer with the option's letter from the given choices directly.")
    opened = EvalItem("q", "What is it?", "cyst", "open", images=[b"one"])
    assert user_text(opened, "mmmu_med").endswith("Answer the question using a single word or phrase.")


def test_pubmedqa_puts_the_context_first():
    question = "Context:\nFirst abstract part.\nSecond part.\n\nQuestion: Does X cause Y?"
    assert split_pubmedqa(question) == ("First abstract part.\nSecond part.", "Does X cause Y?")
    item = EvalItem("q", question, "A", "choice", {"A": "yes", "B": "no", "C": "maybe"})
    text = user_text(item, "pubmedqa")
    assert text.startswith("Context: First abstract part.\nSecond part.\n\nQuestion: Does X cause Y?\n")
    assert "\nA.yes\nB.no\nC.maybe\n" in text


def test_train_mode_reproduces_the_training_rows_exactly(tmp_path):
    paths = write_synth(tmp_path, n=40, seed=3, tasks=["presence", "modality"])
    template = template_from_metadata(read_metadata(paths["train"]))
    assert template is not None and template.name == "think_answer"
    val_rows = read_rows(paths["val"])
    items = synth_items(len(val_rows), 3, ["presence", "modality"], 56)
    for item, row in zip(items, val_rows, strict=True):
        assert messages_for(item, BENCHMARKS["synth"], "train", template) == row["prompt"]
        assert item.images == row["images"] and item.answer == row["reward_model"]["ground_truth"]


def test_train_mode_without_a_template_is_an_error():
    with pytest.raises(ValueError, match="training template"):
        messages_for(EvalItem("q", "x", "yes", "closed"), BENCHMARKS["vqa_rad"], "train", None)
