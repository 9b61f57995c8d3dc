"""Warm-up rows with shuffled answers: same answers per answer type, same prompts and images, no link left."""

import copy
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from rlvr.data.io import read_rows
from rlvr.data.shuffled_answers import shuffle_answers, write_shuffled_answers
from rlvr.data.synth import write_synth

ANSWERS = {"closed": ["yes", "no"], "choice": ["A", "B", "C", "D"], "numeric": ["0", "1", "2", "3"]}


def row_of(answer_type: str, answer: str, index: int) -> dict:
    return {
        "prompt": [{"role": "user", "content": f"question {index}"}],
        "reward_model": {"style": "rule", "ground_truth": answer},
        "extra_info": {"answer_type": answer_type, "index": index},
    }


rows_strategy = st.lists(
    st.sampled_from(sorted(ANSWERS)).flatmap(
        lambda kind: st.tuples(st.just(kind), st.sampled_from(ANSWERS[kind]))
    ),
    max_size=60,
).map(lambda pairs: [row_of(kind, answer, i) for i, (kind, answer) in enumerate(pairs)])


def answers_by_type(rows: list[dict]) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for row in rows:
        out.setdefault(row["extra_info"]["answer_type"], Counter())[row["reward_model"]["ground_truth"]] += 1
    return out


@settings(max_examples=200, deadline=None)
@given(rows=rows_strategy, seed=st.integers(0, 2**31))
def test_answers_are_permuted_within_each_answer_type_and_nothing_else_changes(rows, seed):
    original = copy.deepcopy(rows)
    shuffled = shuffle_answers(rows, seed)
    assert rows == original  # the input rows are left as they were
    assert answers_by_type(shuffled) == answers_by_type(rows)
    for before, after in zip(rows, shuffled, strict=True):
        assert after["prompt"] == before["prompt"] and after["extra_info"] == before["extra_info"]
        assert after["reward_model"]["style"] == before["reward_model"]["style"]
    assert shuffle_answers(rows, seed) == shuffled


def test_written_file_keeps_images_and_prompts_and_breaks_the_answer_link(tmp_path):
    paths = write_synth(tmp_path / "synth", n=400, seed=3, tasks=["presence"])
    out = write_shuffled_answers([paths["train"]], tmp_path / "warmup" / "train.parquet", seed=0)
    before, after = read_rows(paths["train"]), read_rows(out)
    assert [(r["prompt"], r["images"]) for r in after] == [(r["prompt"], r["images"]) for r in before]
    assert answers_by_type(after) == answers_by_type(before)
    truth = [row["reward_model"]["ground_truth"] for row in before]
    same = sum(row["reward_model"]["ground_truth"] == t for row, t in zip(after, truth, strict=True))
    assert 0.35 < same / len(before) < 0.65  # yes/no answers now agree with the image by chance only
