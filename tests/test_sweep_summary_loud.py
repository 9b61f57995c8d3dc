"""`rlvr sweep summary` ranks points by what training did (not step 0), shows overlapping curves apart,
marks the best point and adds the training reward; sweeps refuse bad points and write where they say."""

from __future__ import annotations

import json
import os

from hypothesis import given
from hypothesis import strategies as st

from rlvr.cli import train
from rlvr.cli.main import main as rlvr
from rlvr.cli.sweep import load_sweep
from rlvr.cli.sweep_plot import identical_groups, offsets
from rlvr.recipe.multirun import job_entrypoints, plan_sweep


def write_point(sweep_dir, name, overrides, val_acc, val_score=None, train_reward=None):
    point = sweep_dir / name
    point.mkdir(parents=True)
    (point / "point.json").write_text(json.dumps({"index": int(name), "overrides": overrides}))
    rows = [{"step": step, "val/acc": acc} for step, acc in val_acc]
    rows += [{"step": step, "val/score": score} for step, score in val_score or []]
    rows += [{"step": step, "data": {"critic/score/mean": r}} for step, r in train_reward or []]  # verl's
    (point / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))


def table_rows(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split() for line in out.splitlines()[2:] if line.strip()[:1].isdigit()}


def test_best_leaves_out_step_zero_and_marks_the_best_point(tmp_path, capsys):
    write_point(tmp_path, "0", ["kl=0"], [(0, 0.9), (10, 0.3), (20, 0.4)], [(0, 2.0), (10, 0.9), (20, 1.2)])
    write_point(tmp_path, "1", ["kl=0.1"], [(0, 0.9), (10, 0.6), (20, 0.5)], [(0, 2.0), (10, 0.8), (20, 1.0)])
    write_point(tmp_path, "2", ["kl=1"], [(0, 0.9)], [(0, 2.0)])  # never trained
    assert rlvr(["sweep", "summary", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = table_rows(out)
    assert rows["0"][6:] == ["0.400", "0.400"]  # final and best accuracy; no mark
    assert rows["1"][7:] == ["0.600", "*"]  # val_acc_best after step 0, and the mark
    assert rows["2"][5] == "-" and rows["2"][7] == "-"  # no best without training
    assert "best point by val_acc (after step 0): 1 (kl=0.1) = 0.600 at step 10" in out
    assert rlvr(["sweep", "summary", str(tmp_path), "--metric", "reward"]) == 0
    by_reward = capsys.readouterr().out
    assert table_rows(by_reward)["0"][-1] == "*" and "= 1.200 at step 20" in by_reward


def test_training_reward_comes_from_either_backends_log(tmp_path):
    write_point(tmp_path, "0", [], [(10, 0.5)], train_reward=[(5, 0.25), (10, 0.75)])
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "metrics.jsonl").write_text(json.dumps({"step": 3, "reward/mean": 0.4}) + "\n")
    verl, local = load_sweep(tmp_path)
    assert verl.final("train_reward") == 0.75 and local.final("train_reward") == 0.4


CURVE = st.lists(st.tuples(st.integers(0, 50), st.floats(0, 1)), max_size=4)


@given(curves=st.lists(st.sampled_from([[], [(0, 0.5), (10, 0.7)], [(0, 0.5)], [(5, 0.1)]]) | CURVE,
                       max_size=6), span=st.floats(0.1, 10))  # fmt: skip
def test_property_identical_curves_are_drawn_apart_and_others_untouched(curves, span):
    shifts = offsets(curves, span)
    grouped = {i for members in identical_groups(curves) for i in members}
    for i in range(len(curves)):
        if i not in grouped:
            assert shifts[i] == 0.0
    for members in identical_groups(curves):
        drawn = {shifts[i] for i in members}
        assert len(drawn) == len(members)  # every copy at its own height
        assert all(abs(s) < 0.1 * span for s in drawn)  # close to the true values


def test_identical_points_still_plot(tmp_path, capsys):
    for name in ("0", "1"):
        write_point(tmp_path, name, [f"seed={name}"], [(0, 0.5), (10, 0.7)], [(0, 1.0), (10, 1.2)])
    assert rlvr(["sweep", "summary", str(tmp_path)]) == 0
    assert (tmp_path / "sweep_summary.png").stat().st_size > 5000


def test_sweep_dir_is_absolute_and_jobs_run_from_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sweep = plan_sweep("quickstart", ["trainer.output_dir=rel/out", "rollout.n=4,8"], lambda cfg: None)
    assert sweep.sweep_dir == tmp_path / "rel" / "out" / "multirun"
    for entry, point in zip(job_entrypoints(sweep), sweep.points, strict=True):
        assert entry.startswith(f"cd {os.fspath(tmp_path)} && ")
        assert f"trainer.output_dir={point.output_dir}" in entry and point.output_dir.is_absolute()


def test_a_bad_verifier_stops_the_sweep_before_any_point_runs(tmp_path, monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(train, "run_backend", lambda cfg: ran.append(cfg) or {})
    args = ["recipe=quickstart", "-m", "reward.custom_verifier=closed,no_such_module_xyz:fn",
            f"trainer.output_dir={tmp_path}"]  # fmt: skip
    assert rlvr(["train", *args]) == 2
    err = capsys.readouterr().err
    assert "cannot load verifier 'no_such_module_xyz:fn'" in err
    assert ran == [] and not (tmp_path / "multirun").exists()
