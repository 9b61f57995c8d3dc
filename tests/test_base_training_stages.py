"""SFT stages on the tiny model: what trains/freezes, loss falls, stages chain, resume, clear errors."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from base_training_fixtures import fast_overrides, write_captions, write_text_chat
from omegaconf import OmegaConf
from torch import nn

from base_training.cli import main
from base_training.config import compose_config
from base_training.modules import StageConfigError, select_trainable
from base_training.run import SUMMARY_FILE, run_stage, sft_warmup
from base_training.stage_trainer import last_complete_checkpoint
from base_training.tiny import build_tiny_qwen2_5_vl


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("sft")
    from rlvr.data.synth import write_synth

    synth = write_synth(root / "synth", n=9, seed=0)["train"]
    return {
        "root": root,
        "tiny": build_tiny_qwen2_5_vl(root / "tiny"),
        "captions": write_captions(root, n=8),
        "text": write_text_chat(root, n=6),
        "synth": synth,
    }


def stage_config(stage: str, init, out, sources, lr: float, **extra):
    cfg = compose_config([f"stage={stage}", *fast_overrides(**{"train.lr": lr, **extra})])
    cfg = OmegaConf.merge(
        cfg,
        {
            "init": str(init),
            "output_dir": str(out),
            "data": {"sources": [{"path": str(p), "ratio": r} for p, r in sources]},
        },
    )
    for group in cfg.stage.trainable:  # one LR everywhere so a few CPU steps visibly move every group
        group.lr = None
    return cfg


def load(path):
    from transformers import AutoModelForImageTextToText

    return dict(AutoModelForImageTextToText.from_pretrained(path).named_parameters())


def changed_parts(before: dict, after: dict) -> dict[str, bool]:
    """For projector / vision tower / LLM: did ANY of its parameters change at all (bit-level)?"""
    parts = {
        "projector": "model.visual.merger.",
        "vision_tower": "model.visual.",
        "language_model": "model.language_model.",
    }
    result = {}
    for part, prefix in parts.items():
        names = [
            n for n in before if n.startswith(prefix) and (part != "vision_tower" or ".merger." not in n)
        ]
        result[part] = any(not torch.equal(before[n], after[n]) for n in names)
    return result


def fixed_batch_loss(model_dir, sources) -> float:
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from base_training.dataset import build_dataset
    from base_training.encode import SFTCollator

    processor = AutoProcessor.from_pretrained(model_dir)
    cfg = OmegaConf.merge(
        compose_config([]), {"data": {"sources": [{"path": str(p), "ratio": r} for p, r in sources]}}
    )
    dataset, _ = build_dataset(cfg.data, processor)
    batch = SFTCollator(processor.tokenizer.pad_token_id)([dataset[i] for i in range(len(dataset))])
    with torch.no_grad():
        return AutoModelForImageTextToText.from_pretrained(model_dir)(**batch).loss.item()


@pytest.fixture(scope="module")
def pipeline(workdir):
    """align_shallow -> align_deep -> instruct -> reasoning (CLI), each init = previous output."""
    root, outs = workdir["root"], {}
    captions = [(workdir["captions"], 1.0)]
    outs["align_shallow"] = run_stage(
        stage_config("align_shallow", workdir["tiny"], root / "s1", captions, 1e-2)
    )
    outs["align_deep"] = run_stage(
        stage_config("align_deep", outs["align_shallow"], root / "s2", captions, 5e-3)
    )
    mixture = [(workdir["synth"], 0.5), (workdir["text"], 0.5)]
    outs["instruct"] = run_stage(
        stage_config("instruct", outs["align_deep"], root / "s3", mixture, 3e-3, **{"data.num_samples": 12})
    )
    rc = main(
        [
            "stage=reasoning",
            f"init={outs['instruct']}",
            f"output_dir={root / 's4'}",
            f"data.sources=[{{path: '{workdir['synth']}', ratio: 1}}]",
            *fast_overrides(**{"train.lr": 3e-3, "train.steps": 2}),
        ]
    )
    assert rc == 0
    outs["reasoning"] = root / "s4"
    return outs


@pytest.mark.parametrize(
    "stage, init, expected",
    [
        ("align_shallow", "tiny", {"projector": True, "vision_tower": False, "language_model": False}),
        ("align_deep", "align_shallow", {"projector": True, "vision_tower": True, "language_model": False}),
        ("instruct", "align_deep", {"projector": True, "vision_tower": True, "language_model": True}),
        ("reasoning", "instruct", {"projector": True, "vision_tower": True, "language_model": True}),
    ],
)
def test_stage_trains_exactly_its_modules(pipeline, workdir, stage, init, expected):
    before = load(workdir["tiny"] if init == "tiny" else pipeline[init])
    after = load(pipeline[stage])
    assert changed_parts(before, after) == expected  # frozen parts are bit-identical


def test_stage_output_is_a_loadable_folder_with_summary(pipeline):
    from transformers import AutoProcessor

    summary = json.loads((pipeline["instruct"] / SUMMARY_FILE).read_text())
    assert summary["stage"] == "instruct" and summary["steps"] == 4
    assert summary["init"] == str(pipeline["align_deep"])
    assert summary["trainable_params"] == summary["total_params"]
    assert [(d["used"], d["ratio"]) for d in summary["data"]] == [(6, 0.5), (6, 0.5)]
    shallow = json.loads((pipeline["align_shallow"] / SUMMARY_FILE).read_text())
    assert [g["name"] for g in shallow["module_groups"]] == ["projector"]
    assert 0 < shallow["trainable_params"] < shallow["total_params"]
    processor = AutoProcessor.from_pretrained(pipeline["reasoning"])
    assert "<|image_pad|>" in processor.apply_chat_template(
        [{"role": "user", "content": "<image>q"}], tokenize=False
    )


def test_loss_goes_down(pipeline, workdir):
    captions = [(workdir["captions"], 1.0)]
    assert fixed_batch_loss(pipeline["align_shallow"], captions) < fixed_batch_loss(workdir["tiny"], captions)
    synth = [(workdir["synth"], 1.0)]
    assert fixed_batch_loss(pipeline["instruct"], synth) < fixed_batch_loss(pipeline["align_deep"], synth)


def test_resume_picks_last_complete_checkpoint_after_a_kill(workdir, capsys):
    out = workdir["root"] / "resume"
    cfg = stage_config("align_shallow", workdir["tiny"], out, [(workdir["captions"], 1.0)], 1e-2)
    run_stage(cfg)
    # simulate a kill while saving step 3: no final output, no checkpoint-4, checkpoint-3 half-written
    (out / SUMMARY_FILE).unlink()
    shutil.rmtree(out / "checkpoints" / "checkpoint-4")
    (out / "checkpoints" / "checkpoint-3").mkdir()
    (out / "checkpoints" / "checkpoint-3" / "config.json").write_text("{}")
    assert last_complete_checkpoint(out / "checkpoints").name == "checkpoint-2"
    run_stage(cfg)
    summary = json.loads((out / SUMMARY_FILE).read_text())
    assert summary["resumed_from"].endswith("checkpoint-2") and summary["steps"] == 4
    stamp = (out / SUMMARY_FILE).stat().st_mtime_ns
    run_stage(cfg)  # a finished stage is not redone
    assert (out / SUMMARY_FILE).stat().st_mtime_ns == stamp
    assert "already complete" in capsys.readouterr().out
    cfg.train.lr = 1e-3
    with pytest.raises(StageConfigError, match="finished stage run with a different config"):
        run_stage(cfg)


def test_sft_warmup_on_rl_parquet(workdir):
    out = sft_warmup(
        workdir["tiny"], workdir["synth"], workdir["root"] / "warm", steps=2, lr=1e-3, batch_size=2
    )
    summary = json.loads((out / SUMMARY_FILE).read_text())
    assert summary["steps"] == 2 and summary["trainable_params"] == summary["total_params"]
    assert (out / "model.safetensors").is_file() and (out / "processor_config.json").is_file()


class TextOnlyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.ModuleDict({"embed_tokens": nn.Embedding(10, 4), "layers": nn.Linear(4, 4)})
        self.lm_head = nn.Linear(4, 10)


def group(name, *patterns, lr=None):
    return type("Group", (), {"name": name, "patterns": list(patterns), "lr": lr})()


def test_error_when_model_lacks_the_named_part():
    with pytest.raises(
        StageConfigError, match=r"pattern '\^model\\\\.visual.*matches no parameter of TextOnlyLM"
    ):
        select_trainable(TextOnlyLM(), [group("projector", r"^model\.visual\.merger\.")], 1e-3)


def test_error_for_everything_frozen_or_a_typo_pattern(workdir):
    from transformers import AutoModelForImageTextToText

    model = AutoModelForImageTextToText.from_pretrained(workdir["tiny"])
    with pytest.raises(StageConfigError, match="trains nothing"):
        select_trainable(model, [], 1e-3)
    with pytest.raises(StageConfigError, match=r"'mergr'.*Its modules are: .*model\.visual"):
        select_trainable(model, [group("projector", "mergr")], 1e-3)
    with pytest.raises(StageConfigError, match="invalid regex"):
        select_trainable(model, [group("projector", "merger(")], 1e-3)
    groups = select_trainable(model, [group("proj", "merger", lr=0.5), group("rest", ".")], 1e-3)
    assert groups[0].lr == 0.5 and groups[1].lr == 1e-3
    assert not set(groups[0].names) & set(groups[1].names)  # first matching group wins


def test_cli_reports_user_errors_without_traceback(workdir, capsys):
    assert main(["stage=nope"]) == 2
    assert "bad configuration" in capsys.readouterr().err
    assert main(["stage=instruct", "train.stepz=3"]) == 2
    assert "stepz" in capsys.readouterr().err
    assert main(["stage=instruct", f"init={workdir['root']}"]) == 2
    assert "is not a model folder" in capsys.readouterr().err
    assert main(["stage=instruct", f"init={workdir['tiny']}", f"output_dir={workdir['root'] / 'e'}"]) == 2
    assert "no training data" in capsys.readouterr().err
    assert main(["--help"]) == 0 and "align_shallow" in capsys.readouterr().out


def test_cli_dry_run_checks_and_prints_the_composed_stage(workdir, capsys):
    source = f"data.sources=[{{path: {workdir['synth']}, ratio: 1}}]"
    assert main(["stage=align_deep", f"init={workdir['tiny']}", source, "dry_run=true"]) == 0
    out = capsys.readouterr().out
    assert "name: align_deep" in out and r"^model\.visual\.merger\." in out and "nothing was trained" in out
    assert main(["stage=align_deep", source, "--cfg"]) == 0  # the old flag, with a notice
    assert "--cfg is now dry_run=true" in capsys.readouterr().err


def test_cli_dry_run_refuses_what_the_run_refuses(workdir, capsys):
    bad = "data.sources=[{path: /no/such.parquet, ratio: 0}, {path: x.csv, ratio: 1, format: weird}]"
    args = ["stage=instruct", f"init={workdir['root']}", bad, "train.resume=sometimes",
            "data.on_error=ignore"]  # fmt: skip
    assert main([*args, "dry_run=true"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rlvr sft: error: stage 'instruct' cannot start:") and "Traceback" not in err
    for expected in ("train.resume='sometimes'", "is not a model folder", "data.on_error='ignore'",
                     "data.sources[0] ('/no/such.parquet'): ratio=0.0 must be > 0", "the file does not exist",
                     "data.sources[1] ('x.csv'): format='weird'"):  # fmt: skip
        assert expected in err
    assert main(args) == 2 and capsys.readouterr().err == err  # the run refuses it with the same words


def test_cli_suggests_the_nearest_key(capsys):
    assert main(["stage=instruct", "train.stepz=3", "dry_run=true"]) == 2
    err = capsys.readouterr().err
    assert "Could not override 'train.stepz'. Did you mean 'train.steps'?" in err


@pytest.mark.gpu
def test_stage_runs_in_bf16_on_gpu(workdir):
    cfg = stage_config(
        "instruct",
        workdir["tiny"],
        workdir["root"] / "gpu",
        [(workdir["synth"], 1.0)],
        1e-3,
        **{"train.bf16": True},
    )
    summary = json.loads((run_stage(cfg) / SUMMARY_FILE).read_text())
    assert summary["steps"] == 4 and summary["final_loss"] == summary["final_loss"]  # not NaN
