"""Old key names that users' scripts still pass: renamed keys keep working (with a one-line notice to stderr),
removed keys get an error that says what replaced them."""

from __future__ import annotations

import re
import sys
from functools import cache

from rlvr.errors import RecipeError

# old name -> verl's leaf name, which the schema now uses
RENAMED = {
    "trainer.total_steps": "trainer.total_training_steps",
    "trainer.max_checkpoints_to_keep": "trainer.max_actor_ckpt_to_keep",
    "rollout.engine": "rollout.name",
    "rollout.tensor_parallel_size": "rollout.tensor_model_parallel_size",
    "rollout.val_temperature": "rollout.val_kwargs.temperature",
    "cluster.nodes": "cluster.nnodes",
    "cluster.gpus_per_node": "cluster.n_gpus_per_node",
    "reward.custom_verifier": "reward.verifier",
}
REMOVED = {
    "algorithm.name": "the algorithm group picks the algorithm (algorithm=grpo or algorithm=ppo), and "
    "algorithm.adv_estimator=gae is what trains a critic",
}
# an override: optional +, ++ or ~, a dotted key, then =value (or nothing, for ~key)
_OVERRIDE = re.compile(r"^(\+{0,2}|~)([A-Za-z_][A-Za-z0-9_.]{0,200})(=.*)?$", re.DOTALL)


def resolve_alias(key: str) -> str:
    """The schema's name for ``key``: renamed keys map to their new name, others are returned as they are."""
    return RENAMED.get(key, key)


def translate_overrides(overrides: list[str] | tuple[str, ...]) -> list[str]:
    """Command-line overrides with old key names rewritten to the schema's; a removed key is an error."""
    out = []
    for override in overrides:
        match = _OVERRIDE.match(override)
        if match is None:
            out.append(override)
            continue
        prefix, key, rest = match.group(1), match.group(2), match.group(3) or ""
        if key in REMOVED:
            raise RecipeError(f"{key} was removed: {REMOVED[key]}")
        if key in RENAMED:
            notice_rename(key)
            key = RENAMED[key]
        out.append(f"{prefix}{key}{rest}")
    return out


@cache
def notice_rename(old: str) -> None:
    """One line per old name and process, however many sweep points repeat it."""
    print(f"note: {old} is now {RENAMED[old]} (verl's name); the old name still works", file=sys.stderr)


def explain_old_name(key: str) -> str:
    """' It is now called X.' for a renamed key (in a recipe file, where old names are errors), else ''."""
    if key in RENAMED:
        return f" It is now called {RENAMED[key]} (verl's name); rename it in the recipe."
    if key in REMOVED:
        return f" It was removed: {REMOVED[key]}."
    return ""
