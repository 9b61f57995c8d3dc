"""verl's custom reward function: ``reward.custom_reward_function.path=pkg://rewards.verl_adapter``.

Speaks verl's signature only (imports nothing from verl); ``reward_kwargs`` are ``RewardConfig`` fields
(``imports`` among them: the user's verifier modules are imported in verl's reward workers). A verifier
fault raises ``rewards.score.VerifierFault``: verl's plain managers stop on it; rlvr's manager counts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rewards.options import normalize_options
from rewards.score import RewardConfig
from rewards.score import compute_score as score_one

# keyword arguments verl's reward managers add on their own; they carry nothing the verifiers use
VERL_RUNTIME_KWARGS = frozenset({"reward_router_address", "reward_model_tokenizer"})
MAX_DEPTH = 8  # extra_info nesting normalised; deeper values are passed on untouched


def to_plain(value: Any, depth: int = 0) -> Any:
    """numpy arrays/scalars -> lists/Python scalars, mappings -> dicts, recursively (parquet round-trips)."""
    if depth > MAX_DEPTH or isinstance(value, str | bytes | int | float | bool) or value is None:
        return value
    if hasattr(value, "tolist"):  # numpy array or numpy scalar
        value = value.tolist()
        if not isinstance(value, list | tuple | dict):
            return value
    if isinstance(value, Mapping):
        return {str(k): to_plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v, depth + 1) for v in value]
    return value


def normalize_extra_info(extra_info: Any, data_source: Any = None) -> dict[str, Any]:
    """A plain-Python ``extra_info`` dict, its options as ``{letter: text}`` by the same
    ``rewards.options.normalize_options`` that ``rewards.compute_score`` applies (a dict, a list, a JSON
    string, parquet's map pairs or all-letters struct); ``None`` and non-mappings become ``{}``."""
    info = to_plain(extra_info) if isinstance(extra_info, Mapping) else {}
    if "options" in info:
        info["options"] = normalize_options(info["options"])
    if data_source is not None:
        info.setdefault("data_source", to_plain(data_source))
    return info


def _ground_truth(value: Any) -> Any:
    value = to_plain(value)
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


@lru_cache(maxsize=64)
def _cached_config(settings: tuple[tuple[str, Any], ...]) -> RewardConfig:
    return RewardConfig.from_mapping(dict(settings), where="verl reward_kwargs")


def _frozen(value: Any) -> Any:
    """Lists as tuples (``imports``), so that the settings can key the cache."""
    return tuple(value) if isinstance(value, list) else value


def config_from_kwargs(kwargs: Mapping[str, Any]) -> RewardConfig:
    """``RewardConfig`` from verl's ``reward_kwargs`` (its runtime kwargs ignored); unknown keys raise.

    Built once per distinct setting (verl calls once per sample with the same kwargs)."""
    settings = tuple(
        sorted((k, _frozen(to_plain(v))) for k, v in kwargs.items() if k not in VERL_RUNTIME_KWARGS)
    )
    try:
        hash(settings)
    except TypeError:  # a list-valued setting: no cache, same validation
        return RewardConfig.from_mapping(dict(settings), where="verl reward_kwargs")
    return _cached_config(settings)


def compute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: Any = None,
    **kwargs: Any,
) -> dict[str, float]:
    """verl entry point: the scores of ``rewards.score.compute_score`` (``score`` is the reward)."""
    config = config_from_kwargs(kwargs)
    info = normalize_extra_info(extra_info, data_source)
    return score_one(solution_str, _ground_truth(ground_truth), info, config)
