"""Checks that make a validated recipe really start: no contradicting keys, a complete model, a verifier
that resolves, GPUs for verl, and no silent resume of a run with other settings.

``preflight_problems`` is called from the one validation pass (``validate_recipe``), so the dry run, the
sweep's up-front check and the real run refuse the same recipes (exit 2).
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from rlvr.recipe.run_config import resume_conflict

WEIGHT_FILES = ("*.safetensors", "*.bin", "*.safetensors.index.json", "*.pt")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


def preflight_problems(cfg: DictConfig) -> list[str]:
    return [
        *check_model_choice(cfg),
        *check_model_files(cfg),
        *check_data_choice(cfg),
        *check_verifier(cfg),
        *check_verl_gpus(cfg),
        *check_resume(cfg),
    ]


def check_model_choice(cfg: DictConfig) -> list[str]:
    """``model.path`` decides; ``model.tiny`` may only agree with it (``tiny`` builds the tiny model)."""
    tiny, path = cfg.model.tiny, str(cfg.model.path)
    if tiny is True and path != "tiny":
        return [
            f"model.tiny=true builds the tiny model, but model.path={path!r} names another: drop "
            "model.tiny (a given model.path is used) or set model.path=tiny"
        ]
    if tiny is False and path == "tiny":
        return ["model.tiny=false, but model.path=tiny: give model.path=<saved model folder or hub id>"]
    return []


def _hub_id(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 2 and all(parts) and not path.startswith((".", "~")) and not Path(path).exists()


def check_model_files(cfg: DictConfig) -> list[str]:
    """A hub id the run cannot fetch, and a folder that is not a complete saved model."""
    path = str(cfg.model.path)
    if path == "tiny":
        return []
    if _hub_id(path):  # verl's workers download it; the local backend reads folders only
        if cfg.backend == "local":
            return [
                f"model.path {path!r} is a hub id; the local backend loads a folder from disk: download it "
                f"(`huggingface-cli download {path} --local-dir DIR`) and pass model.path=DIR"
            ]
        return []
    folder = Path(path).expanduser()
    if not (folder / "config.json").is_file():
        return []  # validate.check_model names a missing folder or config.json
    missing = []
    if not any(next(folder.glob(pattern), None) for pattern in WEIGHT_FILES):
        missing.append("weights (*.safetensors or *.bin)")
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        missing.append("tokenizer files (tokenizer.json or tokenizer_config.json)")
    if missing:
        return [
            f"model.path {path!r} has config.json but no {' and no '.join(missing)}: point it at a folder "
            "that save_pretrained wrote with its processor (an SFT stage's output)"
        ]
    return []


def check_data_choice(cfg: DictConfig) -> list[str]:
    if cfg.data.synth.n > 0 and (list(cfg.data.train_files) or list(cfg.data.val_files)):
        return [
            f"data.synth.n={cfg.data.synth.n} (the synthetic task) and data.train_files both give training "
            "data (or data.val_files validation data): set data.synth.n=0 to train on the files, or drop them"
        ]
    return []


def check_verifier(cfg: DictConfig) -> list[str]:
    """``reward.imports`` import and ``reward.verifier`` resolves here, before any step runs."""
    from rewards.faults import check_max_error_rate
    from rewards.registry import VerifierError, import_modules, require_verifier

    problems = []
    try:
        check_max_error_rate(cfg.reward.max_error_rate)
    except ValueError as exc:
        problems.append(str(exc))
    try:
        import_modules(tuple(str(name) for name in cfg.reward.imports))
        if cfg.reward.verifier:
            require_verifier(str(cfg.reward.verifier))
    except VerifierError as exc:
        problems.append(f"reward.verifier / reward.imports: {exc}")
    return problems


def check_verl_gpus(cfg: DictConfig) -> list[str]:
    if cfg.backend == "verl" and (cfg.cluster.n_gpus_per_node < 1 or cfg.cluster.nnodes < 1):
        return [
            f"backend=verl trains on GPUs, and cluster.nnodes={cfg.cluster.nnodes} x cluster.n_gpus_per_node="
            f"{cfg.cluster.n_gpus_per_node} gives none: set cluster.n_gpus_per_node to each node's GPU count "
            "(e.g. cluster=1x8gpu), or use backend=local to train on CPU"
        ]
    return []


def check_resume(cfg: DictConfig) -> list[str]:
    conflict = resume_conflict(cfg)
    return [conflict] if conflict else []
