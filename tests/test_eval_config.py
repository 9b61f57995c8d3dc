"""``rlvr eval`` settings and ``model=``: every mistake is a message naming the key or path, exit 2."""

from __future__ import annotations

import pytest

from rlvr.errors import RecipeError
from rlvr.eval import cli
from rlvr.eval.benchmarks import SUITES, resolve_suite
from rlvr.eval.config import parse_overrides
from rlvr.eval.model_source import resolve_model


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sute=synth"], "has no key 'sute'. Did you mean: suite?"),
        (["judge.modle=x"], "has no key 'judge.modle'. Did you mean: judge.model"),
        (["batch_size=many"], "bad value for 'batch_size'"),
        (["batch_size=0"], "batch_size must be >= 1"),
        (["prompt=lingshu"], "prompt='lingshu' is not one of: auto, medevalkit, train"),
        (["open_metric=bleu"], "open_metric='bleu' is not one of"),
        (["judge.base_url=http://127.0.0.1:9/v1"], "judge.model is empty"),
        (["suite"], "is not key=value"),
    ],
)
def test_bad_settings_are_named(args, message):
    with pytest.raises(RecipeError) as error:
        parse_overrides(args)
    assert message in str(error.value)


def test_suites_expand_in_table_order_without_repeats():
    names = [b.name for b in resolve_suite("lingshu_mm,vqa_rad,lingshu_text")]
    assert names == [*SUITES["lingshu_mm"], *SUITES["lingshu_text"]]
    assert len(resolve_suite("lingshu")) == 14


@pytest.mark.parametrize("make", ["missing", "empty_folder"])
def test_a_model_path_that_is_no_model_is_refused(tmp_path, make):
    path = tmp_path / "model"
    if make == "empty_folder":
        path.mkdir()
    with pytest.raises(RecipeError, match="model="):
        resolve_model(str(path), tmp_path)


def test_a_run_folder_without_a_checkpoint_is_refused(tmp_path):
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    with pytest.raises(RecipeError, match="without a complete checkpoint"):
        resolve_model(str(tmp_path / "run"), tmp_path)


def test_prompt_train_without_a_training_template_exits_2(tmp_path, capsys):
    code = cli.main(["model=tiny", "suite=synth", "prompt=train", f"output_dir={tmp_path}", "synth.rows=2"])
    assert code == 2
    assert "prompt=train needs the template recorded in the training parquet" in capsys.readouterr().err
