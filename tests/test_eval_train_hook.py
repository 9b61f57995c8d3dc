"""``rlvr train ... eval.suite=...``: validated with the recipe, then both policies evaluated and compared."""

from __future__ import annotations

import json
import shutil

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.backends.local.checkpoint import save_checkpoint
from rlvr.cli.train import main as train_main
from rlvr.data.synth import write_synth
from rlvr.eval.after_training import evaluate_run
from rlvr.eval.model_source import resolve_model
from rlvr.recipe.compose import compose_recipe


def test_a_bad_eval_suite_is_refused_before_training(tmp_path, capsys):
    code = train_main(["recipe=quickstart", "eval.suite=lingshu_mn", "dry_run=true",
                       f"trainer.output_dir={tmp_path}"])  # fmt: skip
    assert code == 2
    assert "eval.suite: unknown suite or benchmark 'lingshu_mn'" in capsys.readouterr().err


def test_after_training_both_policies_get_a_table_and_a_compare(tmp_path):
    run_dir = tmp_path / "run"
    initial = build_tiny_qwen2_5_vl(run_dir / "tiny_model", seed=0)
    write_synth(run_dir / "data", n=40, seed=5, tasks=["presence"])
    final = save_checkpoint(run_dir, 2, lambda tmp: shutil.copytree(initial, tmp / "policy"), {"step": 2})
    cfg = compose_recipe("quickstart", [f"trainer.output_dir={run_dir}", "eval.suite=synth", "eval.limit=4",
                                        "eval.batch_size=4", "data.max_response_length=6"])  # fmt: skip
    source = resolve_model(str(final), tmp_path)
    assert source.kind == "checkpoint" and source.run_dir == run_dir
    assert (
        source.synth == {"seed": 5, "tasks": ["presence"], "image_size": 56} and source.template is not None
    )
    compare = evaluate_run(cfg, {"initial_policy": str(initial), "final_checkpoint": str(final)})
    for label in ("initial", "final"):
        assert (run_dir / "eval" / label / "table.md").is_file()
        settings = json.loads((run_dir / "eval" / label / "run.json").read_text())["settings"]
        assert settings["prompt_mode"] == "train" and settings["max_new_tokens"] == 6
        assert settings["synth"]["tasks"] == ["presence"] and settings["synth"]["seed"] == 5
    text = compare.read_text()
    assert "| Synth | 4 |" in text and "+0.0" in text  # the same weights: no difference
