"""`rlvr sweep summary DIR`: a table of each point's overrides and validation results, and a PNG."""

from __future__ import annotations

import json

from rlvr.cli import train
from rlvr.cli.main import main as rlvr
from rlvr.cli.sweep import PLOT_FILE, load_sweep


def write_local_point(point_dir, overrides, val_accs, val_scores):
    point_dir.mkdir(parents=True)
    (point_dir / "point.json").write_text(json.dumps({"index": int(point_dir.name), "overrides": overrides}))
    rows = [{"step": 10 * i, "reward/mean": 0.1} for i in range(len(val_accs))]
    rows += [
        {"step": 10 * i, "val/acc": a, "val/score": s}
        for i, (a, s) in enumerate(zip(val_accs, val_scores, strict=True))
    ]
    (point_dir / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + '\n{"step": 3, "val/ac')


def test_summary_table_has_final_and_best_per_point(tmp_path, capsys):
    write_local_point(tmp_path / "0", ["algorithm.kl_coef=0"], [0.2, 0.6, 0.5], [0.4, 1.0, 0.9])
    write_local_point(tmp_path / "1", ["algorithm.kl_coef=0.01"], [0.2, 0.3], [0.3, 0.5])
    assert rlvr(["sweep", "summary", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "point",
        "overrides",
        "steps",
        "train_reward_final",
        "val_reward_final",
        "val_reward_best",
        "val_acc_final",
        "val_acc_best",
        "best",
    ]
    assert lines[2].split() == [
        "0",
        "algorithm.kl_coef=0",
        "20",
        "0.100",
        "0.900",
        "1.000",
        "0.500",
        "0.600",
        "*",
    ]
    assert lines[3].split() == [
        "1",
        "algorithm.kl_coef=0.01",
        "10",
        "0.100",
        "0.500",
        "0.500",
        "0.300",
        "0.300",
    ]
    assert (tmp_path / PLOT_FILE).stat().st_size > 1000


def test_verl_file_logger_rows_are_read(tmp_path):
    point = tmp_path / "0"
    point.mkdir()
    rows = [
        {"step": 0, "data": {"val-aux/vqa_rad/reward/mean@1": 0.5, "val-core/vqa_rad/acc/mean@1": 0.25}},
        {"step": 5, "data": {"critic/score/mean": 0.7}},
        {"step": 10, "data": {"val-aux/vqa_rad/reward/mean@1": 1.1, "val-core/vqa_rad/acc/mean@1": 0.75}},
    ]
    (point / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    [result] = load_sweep(tmp_path)
    assert (result.steps, result.final("reward"), result.best("acc")) == (10, 1.1, 0.75)


def test_summary_json_alone_is_enough(tmp_path):
    point = tmp_path / "0"
    point.mkdir()
    (point / "summary.json").write_text(json.dumps({"steps": 40, "val_history": [[0, 0.1], [40, 0.7]]}))
    [result] = load_sweep(tmp_path)
    assert (result.steps, result.final("acc"), result.final("reward")) == (40, 0.7, None)


def test_empty_or_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert rlvr(["sweep", "summary", str(tmp_path)]) == 2
    assert "holds no sweep points" in capsys.readouterr().err
    assert rlvr(["sweep", "summary", str(tmp_path / "nope")]) == 2
    assert rlvr(["sweep"]) == 2


def test_multirun_then_summary(tmp_path, monkeypatch, capsys):
    """A real `rlvr train -m` (backend replaced by a stub writing metrics) summarised end to end."""

    def fake_backend(cfg):
        acc = 0.1 + cfg.algorithm.kl_coef * 10 + cfg.rollout.n / 100
        with open(f"{cfg.trainer.output_dir}/metrics.jsonl", "w") as out:
            row = {"step": cfg.trainer.total_training_steps, "val/acc": acc, "val/score": 2 * acc}
            out.write(json.dumps(row) + "\n")
        return {"val_acc_end": acc}

    monkeypatch.setattr(train, "run_backend", fake_backend)
    args = [
        "recipe=quickstart",
        "-m",
        "algorithm.kl_coef=0,0.01",
        "rollout.n=4,8",
        "trainer.total_training_steps=3",
        f"trainer.output_dir={tmp_path}",
    ]
    assert rlvr(["train", *args]) == 0
    sweep_dir = tmp_path / "multirun"
    assert sorted(p.name for p in sweep_dir.iterdir()) == ["0", "1", "2", "3", "sweep.json"]
    capsys.readouterr()
    assert rlvr(["sweep", "summary", str(sweep_dir)]) == 0
    rows = capsys.readouterr().out.splitlines()[2:6]
    assert rows[3].split() == [
        "3",
        "algorithm.kl_coef=0.01",
        "rollout.n=8",
        "3",
        "-",
        "0.560",
        "0.560",
        "0.280",
        "0.280",
        "*",
    ]
