"""Apply the key table (``keymap.ROUTES``) to a composed recipe: verl's settings, the local loop's values, the
keys a backend refuses, and the table itself as Markdown for the README."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from omegaconf import DictConfig, OmegaConf

from rlvr.recipe.keymap import ROUTES, VERL_FIXED, Cli, Refuse, Route
from rlvr.recipe.schema import RLConfig

BACKENDS = ("verl", "local")


@lru_cache(maxsize=1)
def schema_defaults() -> DictConfig:
    """The schema's own defaults (interpolations left as written)."""
    return OmegaConf.structured(RLConfig)


def default_of(key: str) -> Any:
    node = OmegaConf.select(schema_defaults(), key, throw_on_resolution_failure=False)
    return OmegaConf.to_container(node) if OmegaConf.is_config(node) else node


def value_of(cfg: DictConfig, key: str) -> Any:
    node = OmegaConf.select(cfg, key)
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node


def rule_for(route: Route, backend: str) -> Any:
    return route.verl if backend == "verl" else route.local


def refusals(cfg: DictConfig, backend: str) -> list[str]:
    """One message per key that ``backend`` cannot honour and the recipe sets away from its default."""
    problems = []
    for route in ROUTES:
        rule = rule_for(route, backend)
        if isinstance(rule, Refuse) and value_of(cfg, route.key) != default_of(route.key):
            shown = value_of(cfg, route.key)
            problems.append(f"{route.key}={shown!r} is not supported by backend={backend}: {rule.reason}")
    return problems


def verl_settings(cfg: DictConfig) -> dict[str, Any]:
    """verl ``ppo_trainer`` key -> value for ``cfg`` (Hydra override keys, ``+`` where verl lacks one)."""
    settings: dict[str, Any] = dict(VERL_FIXED)
    for route in ROUTES:
        rule = route.verl
        if isinstance(rule, Refuse | Cli):
            continue
        if callable(rule):
            settings.update(rule(cfg))
            continue
        for target in (rule,) if isinstance(rule, str) else rule:
            settings[target] = value_of(cfg, route.key)
    return settings


def local_values(cfg: DictConfig) -> dict[str, Any]:
    """The local loop's settings as nested keyword arguments (``loss.kl_coef`` -> ``{"loss": {...}}``)."""
    values: dict[str, Any] = {}
    for route in ROUTES:
        if isinstance(route.local, Refuse | Cli):
            continue
        for target in (route.local,) if isinstance(route.local, str) else route.local:
            *parents, leaf = target.split(".")
            node = values
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = value_of(cfg, route.key)
    return values


def describe(rule: Any, defaults: DictConfig) -> str:
    """A table cell: the target key(s), the refusal, or what uses the key."""
    if isinstance(rule, Refuse):
        return f"refused: {rule.reason}"
    if isinstance(rule, Cli):
        return f"`rlvr train`: {rule.where}"
    if callable(rule):
        targets = sorted(rule(defaults))
    else:
        targets = [rule] if isinstance(rule, str) else list(rule)
    return "<br>".join(f"`{target.lstrip('+')}`" for target in targets)


def markdown_table() -> str:
    """The key table as Markdown: recipe key, default, verl's key(s), the local loop's setting."""
    # the defaults, with the switches on that decide whether some verl keys are set at all
    sample = OmegaConf.merge(
        schema_defaults(),
        {"reward": {"overlong_buffer": {"enable": True}}, "cluster": {"address": "head:6379"}},
    )
    lines = [
        "| recipe key | default | verl (`ppo_trainer`) | local (`LoopSettings`) |",
        "| --- | --- | --- | --- |",
    ]
    for route in ROUTES:
        default = default_of(route.key)
        verl = describe(route.verl, sample).replace("|", "\\|")
        local = describe(route.local, sample).replace("|", "\\|")
        lines.append(f"| `{route.key}` | `{default!r}` | {verl} | {local} |")
    return "\n".join(lines)
