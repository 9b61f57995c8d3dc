"""Every recipe key flipped on each backend: the effective verl config or the local loop's settings change, or
the key is refused with an error naming it. Plus the table's own invariants (every schema key in it once,
every local setting fed by a key and read by the loop) and the generated README table."""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from omegaconf import OmegaConf
from recipe_fixtures import data_overrides, synth_parquet

from rlvr.backends.local.settings import LoopSettings, loop_settings
from rlvr.backends.verl import hydra_value
from rlvr.errors import RecipeError
from rlvr.recipe.compose import compose_recipe, schema_keys
from rlvr.recipe.keymap import ROUTE_BY_KEY, ROUTES, Cli, Refuse
from rlvr.recipe.routing import default_of, markdown_table
from rlvr.recipe.validate import validate_recipe

REPO = Path(__file__).resolve().parents[1]
LOCAL_BASE = "quickstart"
VERL_BASE = "medvqa_grpo_qwen2_5_vl_7b"
# A valid value other than the base recipe's, where adding one, doubling or negating would not do.
FLIPS = {
    "model.path": {"local": "MODEL_DIR", "verl": "Qwen/Qwen2.5-VL-3B-Instruct"},
    "model.tiny": True,
    "model.tiny_overrides": {"hidden_size": 64},
    "model.dtype": "float16",
    "model.target_modules": ["q_proj", "v_proj"],
    "model.exclude_modules": None,
    "data.synth.tasks": ["presence", "count"],
    "data.synth.image_size": 112,
    "data.image_key": "pictures",
    "data.prompt_key": "chat",
    "data.train_batch_size": "double",
    "algorithm.ppo_mini_batch_size": "half",
    "algorithm.adv_estimator": "rloo",
    "algorithm.policy_loss": "gspo",
    "algorithm.policy_loss_args": {"clip_cov_ratio": 0.001},
    "algorithm.kl_penalty": "kl",
    "algorithm.loss_agg_mode": "seq-mean-token-mean",
    "algorithm.gdpo_reward_keys": ["acc"],
    "algorithm.rollout_correction.rollout_is": "token",
    "algorithm.rollout_correction.rollout_rs": "token_k1",
    "algorithm.rollout_correction.rollout_rs_threshold": "0.5_2.0",
    "rollout.n": 4,
    "rollout.top_p": 0.9,
    "rollout.top_k": 20,
    "rollout.name": {"local": "auto", "verl": "hf"},
    "rollout.tensor_model_parallel_size": {"local": 2, "verl": 1},
    "rollout.gpu_memory_utilization": 0.5,
    "rollout.val_kwargs.temperature": 0.5,
    "reward.verifier": "choice",
    "reward.imports": ["rewards.spelling"],
    "reward.equivalences": [str(REPO / "rewards" / "data" / "equivalences.tsv")],
    "reward.qualifiers": [str(REPO / "rewards" / "data" / "qualifiers.tsv")],
    "reward.think_tag": "reason",
    "reward.answer_tag": "final",
    "reward.open_metric": "exact",
    "reward.length_unit": "chars",
    "reward.length_max": 2048,
    "cluster.address": "10.0.0.1:6379",
    "cluster.dashboard_address": "http://head:8265",
    "cluster.n_gpus_per_node": {"local": 1, "verl": 4},
    "cluster.policy_workers": 2,
    "logger.project": "other",
    "logger.experiment": "other",
    "trainer.output_dir": "/tmp/elsewhere",
    "trainer.resume": "never",
    "verl.overrides": ["trainer.balance_batch=false"],
    "data.train_files": ["OTHER_TRAIN"],
    "data.val_files": ["OTHER_VAL"],
}
# Keys whose effect needs another key switched on, in the base and the flipped recipe alike.
OVERLONG = ["reward.overlong_buffer.enable=true", "reward.overlong_buffer.len=8"]
CONTEXT = {
    "reward.overlong_buffer.enable": ["reward.overlong_buffer.len=8"],
    "reward.overlong_buffer.len": OVERLONG,
    "reward.overlong_buffer.penalty_factor": OVERLONG,
    "rollout.val_kwargs.n": ["rollout.val_kwargs.temperature=0.7"],
}
# ... on verl only: files whose rows also carry the renamed columns (base and flip both validate).
RENAMED_COLUMNS = ["data.train_files=[RENAMED_TRAIN]", "data.val_files=[RENAMED_VAL]"]
VERL_CONTEXT = {"data.prompt_key": RENAMED_COLUMNS, "data.image_key": RENAMED_COLUMNS}
# Local flips that validation refuses here only because vLLM is not installed: the settings still change.
NEEDS_VLLM = ("algorithm.rollout_correction.rollout_is", "algorithm.rollout_correction.rollout_rs")
# Values a backend refuses for a key it otherwise honours (verl rolls out with vLLM, never HF generate).
REFUSED_VALUES = {"verl": {"rollout.name"}, "local": set()}


def flipped_value(key: str, current, backend: str):
    wanted = FLIPS.get(key)
    if isinstance(wanted, dict) and set(wanted) == {"local", "verl"}:
        return wanted[backend]
    if wanted == "double":
        return current * 2
    if wanted == "half":
        return current // 2
    if key in FLIPS:
        return wanted
    if isinstance(current, bool):
        return not current
    if isinstance(current, int):
        return current + 1
    if isinstance(current, float):
        return current * 2 if current else 0.5
    if isinstance(current, str):
        return current + "_other"
    raise AssertionError(f"give {key} a flip value in FLIPS")


def compose_pair(backend: str, key: str, data: dict) -> tuple:
    base_name, extra = (VERL_BASE, data_overrides(data)) if backend == "verl" else (LOCAL_BASE, [])
    if backend == "local" and key.startswith("data.") and key.endswith("_files"):
        extra = ["data.synth.n=0", *data_overrides(data)]  # the synthetic task replaces the files
    extra = [*extra, *CONTEXT.get(key, [])]
    if backend == "verl":
        extra = [*extra, *placed(VERL_CONTEXT.get(key, []), data)]
    base = compose_recipe(base_name, extra)
    current = OmegaConf.select(base, key)
    current = OmegaConf.to_container(current, resolve=True) if OmegaConf.is_config(current) else current
    value = placed(flipped_value(key, current, backend), data)
    if isinstance(value, dict):  # a dict override would merge into the old one
        flipped = compose_recipe(base_name, extra)
        OmegaConf.update(flipped, key, value, merge=False)
    else:
        flipped = compose_recipe(base_name, [*extra, f"{key}={hydra_value(value)}"])
    return base, flipped


def placed(value, data: dict):
    """Stand-ins for files the test writes (FLIPS names them before they exist)."""
    names = {
        "MODEL_DIR": str(data["model"]),
        "OTHER_TRAIN": str(data["other_train"]),
        "OTHER_VAL": str(data["other_val"]),
        "RENAMED_TRAIN": str(data["renamed_train"]),
        "RENAMED_VAL": str(data["renamed_val"]),
    }
    if isinstance(value, list):
        return [placed(v, data) for v in value]
    if isinstance(value, str):
        for name, path in names.items():
            value = value.replace(name, path)
    return value


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    paths = dict(synth_parquet(tmp_path_factory.mktemp("data")))
    other = synth_parquet(tmp_path_factory.mktemp("other"))
    model = tmp_path_factory.mktemp("model")
    for name in ("config.json", "tokenizer_config.json"):  # a saved model folder, as far as validation looks
        (model / name).write_text("{}")
    (model / "model.safetensors").write_bytes(b"")
    renamed = tmp_path_factory.mktemp("renamed")
    for split in ("train", "val"):
        table = pq.read_table(paths[split])
        table = table.append_column("chat", table["prompt"]).append_column("pictures", table["images"])
        pq.write_table(table, renamed / f"{split}.parquet")
    return {
        **paths, "other_train": other["train"], "other_val": other["val"], "model": model,
        "renamed_train": renamed / "train.parquet", "renamed_val": renamed / "val.parquet",
    }  # fmt: skip


ROUTED = [route for route in ROUTES if not isinstance(route.verl, Cli)]


@pytest.mark.parametrize("route", ROUTED, ids=lambda r: r.key)
def test_verl_honours_or_refuses_every_key(route, data):
    base, flipped = compose_pair("verl", route.key, data)
    if isinstance(route.verl, Refuse) or route.key in REFUSED_VALUES["verl"]:
        with pytest.raises(RecipeError, match=re.escape(route.key)):
            validate_recipe(flipped)
        return
    before = OmegaConf.to_container(validate_recipe(base), resolve=True)
    after = OmegaConf.to_container(validate_recipe(flipped), resolve=True)
    assert after != before, f"{route.key} changed nothing in verl's config"


@pytest.mark.parametrize("route", [r for r in ROUTES if not isinstance(r.local, Cli)], ids=lambda r: r.key)
def test_local_backend_honours_or_refuses_every_key(route, data):
    base, flipped = compose_pair("local", route.key, data)
    if isinstance(route.local, Refuse):
        with pytest.raises(RecipeError, match=re.escape(route.key)):
            validate_recipe(flipped)
        return
    targets = (route.local,) if isinstance(route.local, str) else route.local
    before, after = loop_settings(base), loop_settings(flipped)
    for target in targets:
        assert field_at(after, target) != field_at(before, target), f"{route.key} did not reach {target}"
    if route.key not in NEEDS_VLLM:
        validate_recipe(flipped)  # and the run would accept it


def field_at(settings, path: str):
    for part in path.split("."):
        settings = getattr(settings, part) if not isinstance(settings, dict) else settings[part]
    return settings


def test_every_schema_key_is_in_the_table_once():
    keys = [route.key for route in ROUTES]
    assert sorted(keys) == sorted(set(keys)) == sorted(schema_keys())


def leaf_fields(cls: type, prefix: str = "") -> set[str]:
    hints = typing.get_type_hints(cls)
    out = set()
    for field in dataclasses.fields(cls):
        kind = hints[field.name]
        if dataclasses.is_dataclass(kind) and kind.__module__.startswith("rlvr"):
            out |= leaf_fields(kind, f"{prefix}{field.name}.")
        else:
            out.add(f"{prefix}{field.name}")
    return out


def test_every_local_setting_comes_from_a_key_and_is_read_by_the_loop():
    fed = set()
    for route in ROUTES:
        if isinstance(route.local, str | tuple):
            fed |= {route.local} if isinstance(route.local, str) else set(route.local)
    fields = leaf_fields(LoopSettings)
    fed_fields = {t if t in fields else t.rsplit(".", 1)[0] for t in fed}  # dict-valued settings hold keys
    assert fields <= fed_fields | {"reward.config"}, sorted(fields - fed_fields)
    source = "\n".join(
        p.read_text() for p in (REPO / "rlvr" / "backends" / "local").glob("*.py") if p.name != "settings.py"
    )
    unread = sorted(f for f in fields if f".{f.rsplit('.', 1)[-1]}" not in source)
    assert not unread, f"LoopSettings fields no part of the loop reads: {unread}"


def test_refusals_name_the_key_and_the_reason():
    cfg = compose_recipe(LOCAL_BASE, ["model.use_remove_padding=true", "verl.overrides=['x=1']"])
    with pytest.raises(RecipeError) as err:
        validate_recipe(cfg)
    message = str(err.value)
    assert "model.use_remove_padding=True is not supported by backend=local: the local loop pads" in message
    assert "verl.overrides=['x=1'] is not supported by backend=local" in message


def test_defaults_live_in_the_schema_only():
    for group in (REPO / "recipes").glob("*/*.yaml"):
        block = OmegaConf.load(group)
        name = group.parent.name
        for key, value in OmegaConf.to_container(block).items():
            full = key if name in ("backend",) else f"{name}.{key}"
            if full == "backend":
                continue  # backend=local picks the local group option: naming it is the option's job
            if full in ROUTE_BY_KEY and not isinstance(value, dict):
                assert value != default_of(full), f"{group} restates the schema default of {full}"


def test_readme_table_is_up_to_date():
    readme = (REPO / "README.md").read_text()
    assert markdown_table() in readme, "regenerate it: `rlvr recipes --keys` and paste it into README.md"
