"""Chinese yes/no answers (SLAKE zh): 是/否, 有/没有, 对/不对, 存在/不存在, 可见/未见, 正常/异常.

Every cue must agree; a hedge (可能, 也许, 不确定) or a question form (是否, 有没有) is no answer.
"""

from __future__ import annotations

import re

from rewards.text import clip

# Longest spellings first so that 不是 is read before 是 and 没有 before 有.
_NO = ("不是", "不对", "没有", "不存在", "未见", "未发现", "看不到", "不可见", "不正确", "阴性",
       "否", "无", "没", "错")
_YES = ("是的", "是", "对", "有", "存在", "可见", "见到", "看到", "正确", "阳性", "当然", "确实", "没错")
_NORMAL, _ABNORMAL = "正常", "异常"
_NOT_NORMAL = "不正常"  # read as 异常, before 正常 and 不
_HEDGE = re.compile(
    r"可能|也许|或许|大概|不确定|不清楚|不好说|无法确定|无法判断|不能确定|难以|似乎|好像|是否|有没有|是不是|有无|或者|还是"
)
# Characters that make a cue part of another word: 对称 (symmetric), 相对 (relative), 所有 (all).
_NOT_A_CUE = re.compile(r"对称|对比|相对|对应|所有|有关|无回声|无强化|无明显(?=强化)")
_LEAD_IN = re.compile(r"^\s{0,8}(?:最终)?(?:答案|回答|结论)\s{0,3}(?:是|为|：|:)\s{0,3}")
_CUE = re.compile("|".join(sorted((*_NO, *_YES, _NORMAL, _ABNORMAL, _NOT_NORMAL), key=len, reverse=True)))
# 不 alone answers no; inside words (边界不清) it is no cue
_BARE_NO = re.compile(r"^\s{0,3}不\s{0,3}[。.!！]?\s{0,3}$")
_ASKS_NORMAL_EN = re.compile(r"\bnormal\b", re.IGNORECASE)
_ASKS_ABNORMAL_EN = re.compile(r"\babnormal", re.IGNORECASE)


def parse_chinese_yes_no(text: str, question: str | None = None) -> bool | None:
    """``True`` for a Chinese yes, ``False`` for a no, ``None`` for neither, a hedge or a contradiction.

    正常 and 异常 follow the question (是否正常 or "Is it normal?" -> 正常 is yes; 有异常吗 or 有肿块吗 ->
    正常 is no); without a question they say nothing. 不 alone is a no.
    """
    s = _LEAD_IN.sub("", clip(text))
    if _HEDGE.search(s):
        return None
    if _BARE_NO.match(s):
        return False
    s = _NOT_A_CUE.sub(" ", s)
    found: set[bool] = set()
    for match in _CUE.finditer(s):
        cue = match.group(0)
        cue = _ABNORMAL if cue == _NOT_NORMAL else cue
        if cue in (_NORMAL, _ABNORMAL):
            polarity = _normality(cue, question)
            if polarity is not None:
                found.add(polarity)
        else:
            found.add(cue in _YES)
    return found.pop() if len(found) == 1 else None


def chinese_hedged(text: str) -> bool:
    """Whether ``text`` hedges in Chinese (可能, 也许, 不确定) or asks back (是否, 有没有)."""
    return _HEDGE.search(_LEAD_IN.sub("", clip(text))) is not None


def _normality(cue: str, question: str | None) -> bool | None:
    """What 正常/异常 means as an answer to ``question``: 正常 is yes only when it asks about normality."""
    asked = clip(question or "")
    if not asked:
        return None
    asks_normal = _NORMAL in asked and _ABNORMAL not in asked
    asks_normal_en = bool(_ASKS_NORMAL_EN.search(asked)) and not _ASKS_ABNORMAL_EN.search(asked)
    if asks_normal or asks_normal_en:
        return cue == _NORMAL
    return cue == _ABNORMAL
