"""SLAKE Chinese rows: yes/no forms, hedges, character-level F1 for open answers, synonyms and lists."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.closed import parse_yes_no, verify_closed
from rewards.open_ended import verify_open
from rewards.score import compute_score

YES = ["是", "是的", "有", "对", "存在", "可见", "肝脏有病变", "是，有肿块", "对的", "Yes, 有"]
NO = ["否", "不是", "没有", "无", "不对", "不存在", "未见", "肝脏没有病变", "未见明显肿块", "否。"]
HEDGED = ["可能", "也许有", "不确定", "可能是", "或许没有", "是否有", "有没有", "是，没有", "No, 有", "对称"]
PUNCTUATION = ["{}", "{}。", "{}！", "答案是{}", "<b>{}</b>"]


@given(st.sampled_from(YES), st.sampled_from(PUNCTUATION), st.sampled_from(["是", "yes", "有"]))
def test_chinese_yes(answer: str, shape: str, gold: str) -> None:
    assert verify_closed(shape.format(answer), gold, {}) == 1.0
    assert verify_closed(shape.format(answer), "否", {}) == 0.0


@given(st.sampled_from(NO), st.sampled_from(PUNCTUATION), st.sampled_from(["否", "no", "没有", "不是"]))
def test_chinese_no(answer: str, shape: str, gold: str) -> None:
    assert verify_closed(shape.format(answer), gold, {}) == 1.0
    assert verify_closed(shape.format(answer), "是", {}) == 0.0


@pytest.mark.parametrize("answer", HEDGED)
def test_chinese_hedges_and_contradictions_score_zero(answer: str) -> None:
    assert parse_yes_no(answer) is None
    assert verify_closed(answer, "是", {}) == 0.0
    assert verify_closed(answer, "否", {}) == 0.0


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        ("图像是否正常？", "正常", True),
        ("图像是否正常？", "异常", False),
        ("这张图片看起来异常吗？", "异常", True),
        ("肝脏有肿块吗？", "正常", False),
        ("肝脏有肿块吗？", "异常", True),
        (None, "正常", None),
    ],
)
def test_normal_and_abnormal_follow_the_question(question, answer, expected) -> None:
    assert parse_yes_no(answer, question) is expected


@pytest.mark.parametrize(
    ("answer", "gold", "expected"),
    [
        ("肝脏", "肝脏", 1.0),
        ("肝脏。", "肝脏", 1.0),
        ("肝", "肝脏", 1.0),
        ("磁共振", "MRI", 1.0),
        ("计算机断层扫描", "CT", 1.0),
        ("心脏和肺", "肺、心脏", 1.0),
        ("肺，心脏", "心脏和肺", 1.0),
        ("左肺", "右肺", 0.0),
        ("左肺或右肺", "左肺", 0.0),
        ("肺", "左肺", 2 / 3),  # F1 of one shared unit out of one and two
        ("脑", "肝脏", 0.0),
        ("无异常", "无", 1.0),
        ("正常", "没有", 1.0),
        ("肺炎", "无", 0.0),
    ],
)
def test_chinese_open_answers(answer: str, gold: str, expected: float) -> None:
    assert verify_open(answer, gold, {}) == pytest.approx(expected, abs=0.01)


CHARACTERS = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80), min_size=1, max_size=8)


@given(CHARACTERS, CHARACTERS)
def test_character_f1_is_bounded_and_exact_for_equal_text(answer: str, gold: str) -> None:
    assert verify_open(gold, gold, {}) == 1.0
    assert 0.0 <= verify_open(answer, gold, {}) <= 1.0


def test_chinese_rows_through_compute_score() -> None:
    info = {"answer_type": "closed", "question": "图像中有肿块吗？"}
    assert compute_score("<answer>有</answer>", "是", info)["acc"] == 1.0
    assert compute_score("<answer>可能有</answer>", "是", info)["acc"] == 0.0
    open_info = {"answer_type": "open", "question": "图中哪个器官异常？"}
    assert compute_score("<answer>肝</answer>", "肝脏", open_info)["acc"] == 1.0
