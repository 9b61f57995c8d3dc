"""Compose a shipped recipe (``pkg://recipes``) with command-line overrides into a typed config.

User mistakes (an unknown recipe, a key that does not exist, a value of the wrong type) become a
``RecipeError`` whose message says what was wrong and what to do, never a Hydra traceback.
"""

from __future__ import annotations

import difflib
import re
from importlib import resources
from pathlib import Path

from hydra import compose, initialize_config_dir, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from rlvr.errors import RecipeError
from rlvr.recipe.schema import SCHEMA_NAME, RLConfig, register_configs

RECIPES_PACKAGE = "recipes"
_NOT_OVERRIDABLE = re.compile(r"Could not override '([^']{1,200})'")
_GROUP_OPTION = re.compile(r"Could not find '([^']{1,200})'")


def list_recipes() -> list[str]:
    """Names of the shipped top-level recipes (``recipes/*.yaml``), sorted."""
    root = resources.files(RECIPES_PACKAGE)
    return sorted(p.name[: -len(".yaml")] for p in root.iterdir() if p.name.endswith(".yaml"))


def list_group_options(group: str) -> list[str]:
    root = resources.files(RECIPES_PACKAGE).joinpath(group)
    if not root.is_dir():
        return []
    return sorted(p.name[: -len(".yaml")] for p in root.iterdir() if p.name.endswith(".yaml"))


def schema_keys(schema: type = RLConfig) -> list[str]:
    """Every dotted key a structured schema declares (default: the RL schema), e.g. ``algorithm.kl_coef``."""
    keys: list[str] = []

    def walk(node: DictConfig, prefix: str) -> None:
        for key in node.keys():
            full = f"{prefix}{key}"
            child = node._get_node(key)
            if isinstance(child, DictConfig) and not _is_free_dict(child):
                walk(child, full + ".")
            else:
                keys.append(full)

    walk(OmegaConf.structured(schema), "")
    return keys


def _is_free_dict(node: DictConfig) -> bool:
    return node._metadata.object_type in (None, dict)


def suggest_key(key: str, keys: list[str] | None = None) -> str:
    """' Did you mean X?' for the nearest of ``keys`` (default: the RL schema's), or '' if none is."""
    keys = schema_keys() if keys is None else keys
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.6)
    if not close:  # compare the last part alone: `klcoef` -> algorithm.kl_coef
        leaf = key.rpartition(".")[2]
        close = [
            k
            for k in keys
            if k.rpartition(".")[2]
            in difflib.get_close_matches(leaf, [k.rpartition(".")[2] for k in keys], n=3, cutoff=0.6)
        ][:3]
    return f" Did you mean: {', '.join(close)}?" if close else ""


def compose_recipe(name: str, overrides: list[str] | tuple[str, ...] = ()) -> DictConfig:
    """Compose recipe ``name`` with Hydra ``overrides``; raise ``RecipeError`` on user mistakes.

    ``name`` is a shipped recipe, or the path of the user's own ``.yaml`` recipe, which may use the
    shipped groups (``model: qwen2_5_vl_7b`` ...) because ``pkg://recipes`` is put on its search path.
    """
    register_configs()
    GlobalHydra.instance().clear()  # the initialize_* calls below register themselves when constructed
    if name.endswith((".yaml", ".yml")):
        file = Path(name).expanduser().resolve()
        if not file.is_file():
            raise RecipeError(f"recipe file {name!r} does not exist")
        if SCHEMA_NAME not in file.read_text():
            raise RecipeError(
                f"recipe {name!r} does not build on the schema: put `- {SCHEMA_NAME}` first in its defaults "
                "list (see any shipped recipe, e.g. quickstart.yaml)"
            )
        config_name, search = file.stem, initialize_config_dir(config_dir=str(file.parent), version_base=None)
        overrides = [*overrides, f"hydra.searchpath=[pkg://{RECIPES_PACKAGE}]"]
    else:
        _require_shipped(name)
        config_name, search = name, initialize_config_module(config_module=RECIPES_PACKAGE, version_base=None)
    try:
        with search:
            cfg = compose(config_name=config_name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as exc:
        raise RecipeError(explain_composition_error(exc, config_name)) from None
    finally:
        GlobalHydra.instance().clear()
    _reject_undeclared_keys(cfg, config_name)  # `+new_key=...` appends past the schema; refuse it here
    cfg.recipe = config_name
    return cfg


def _require_shipped(name: str) -> None:
    known = list_recipes()
    if name not in known:
        near = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise RecipeError(
            f"unknown recipe {name!r}.{hint} Shipped recipes: {', '.join(known)} "
            "(list them with `rlvr recipes`), or give the path of your own recipe .yaml."
        )


def _reject_undeclared_keys(cfg: DictConfig, recipe: str) -> None:
    declared = set(schema_keys())
    prefixes = {k.rpartition(".")[0] for k in declared}
    stack: list[tuple[DictConfig, str]] = [(cfg, "")]
    while stack:
        node, prefix = stack.pop()
        for key in node.keys():
            full = f"{prefix}{key}"
            if full in declared:
                continue
            child = node._get_node(key)
            if full in prefixes and isinstance(child, DictConfig):
                stack.append((child, full + "."))
            else:
                raise RecipeError(f"recipe {recipe!r} has no key {full!r}.{suggest_key(full)}")


def explain_composition_error(exc: BaseException, recipe: str) -> str:
    """Turn a Hydra/OmegaConf exception into one actionable sentence."""
    keyed = _keyed_cause(exc)
    if keyed is not None:
        key, cause = keyed
        if isinstance(cause, (ConfigKeyError, ConfigAttributeError)):
            return f"recipe {recipe!r} has no key {key!r}.{suggest_key(key)}"
        return f"recipe {recipe!r}: bad value for {key!r}: {_first_line(cause)}"
    bad_key = _NOT_OVERRIDABLE.search(str(exc))
    if bad_key:
        key = bad_key.group(1).lstrip("+~")
        return f"recipe {recipe!r} has no key {key!r}.{suggest_key(key)}"
    option = _GROUP_OPTION.search(str(exc))
    if option:
        group = option.group(1).split("/")[0]
        options = list_group_options(group)
        known = f" Options for {group!r}: {', '.join(options)}." if options else ""
        return f"recipe {recipe!r}: {_first_line(exc)}.{known}"
    return f"recipe {recipe!r} could not be composed: {_first_line(exc)}"


def _keyed_cause(exc: BaseException) -> tuple[str, BaseException] | None:
    """The first exception in the chain that names the offending key (OmegaConf sets ``full_key``)."""
    seen: BaseException | None = exc
    while seen is not None:
        key = getattr(seen, "full_key", None)
        if key:
            return str(key), seen
        seen = seen.__cause__ or seen.__context__
    return None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
