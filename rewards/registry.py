"""Verifier registry: a dict plus a decorator, entry points and (from trusted config only) dotted paths.

A data row may name only a registered verifier (``get_registered_verifier``); a dotted path is imported
only when it comes from the recipe or the Python API (``get_verifier``), never from data.

A verifier is a plain callable ``(answer, ground_truth, extra_info) -> float`` in [0, 1], where
``answer`` is the final answer already extracted from the model's response (untrusted text, length
capped) and ``extra_info`` the row's metadata (``answer_type``, ``options``, ...).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

Verifier = Callable[[str, str, Mapping[str, Any]], float]

ENTRY_POINT_GROUP = "medrlvr.verifiers"
BUILTIN_MODULES = ("rewards.choice", "rewards.closed", "rewards.numeric", "rewards.open_ended")

_REGISTRY: dict[str, Verifier] = {}
_loaded = False


class VerifierError(LookupError):
    """An unknown, duplicate or unloadable verifier."""


def register_verifier(name: str) -> Callable[[Verifier], Verifier]:
    """Decorator: register ``fn`` under ``name``; a name already taken is an error."""

    def decorate(fn: Verifier) -> Verifier:
        if name in _REGISTRY and _REGISTRY[name] is not fn:
            raise VerifierError(
                f"a verifier named {name!r} is already registered ({_describe(_REGISTRY[name])}); "
                "pick another name"
            )
        _REGISTRY[name] = fn
        return fn

    return decorate


def _describe(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _load_all() -> None:
    """Import the built-in verifiers and the ``medrlvr.verifiers`` entry points, once."""
    global _loaded
    if _loaded:
        return
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            fn = ep.load()
        except Exception as exc:  # name the broken plugin instead of a bare import traceback
            raise VerifierError(
                f"entry point {ep.name!r} = {ep.value!r} in group {ENTRY_POINT_GROUP!r} failed to load: {exc}"
            ) from exc
        register_verifier(ep.name)(fn)  # a no-op if loading it registered it; a clash is an error
    _loaded = True


def load_dotted(path: str) -> Verifier:
    """Import ``pkg.module:function`` or ``pkg.module.function``."""
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise VerifierError(f"{path!r} is not a dotted path; write it as 'package.module:function'")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise VerifierError(f"cannot load verifier {path!r}: {exc}") from exc
    if not callable(fn):
        raise VerifierError(f"verifier {path!r} is not callable")
    return fn


def get_verifier(name: str) -> Verifier:
    """A registered verifier by name, or one loaded from a dotted path (contains '.' or ':').

    For trusted names only (``RewardConfig.verifier``: a recipe or the Python API); a name that comes
    from data goes through ``get_registered_verifier``.
    """
    _load_all()
    if name in _REGISTRY:
        return _REGISTRY[name]
    if "." in name or ":" in name:
        return load_dotted(name)
    raise VerifierError(f"unknown verifier {name!r}; known verifiers: {_known()}")


def get_registered_verifier(name: object, where: str = "extra_info['verifier']") -> Verifier:
    """The verifier registered as ``name``; anything else (a dotted path, an unknown name, a non-string) is
    a ``VerifierError``. Nothing is imported: ``name`` comes from data, which is not trusted."""
    _load_all()
    if isinstance(name, str) and name in _REGISTRY:
        return _REGISTRY[name]
    if not isinstance(name, str):
        problem = f"{where}={name!r} is not a verifier name (a string)"
    elif "." in name or ":" in name:
        problem = f"{where}={name!r} is a dotted path, which a data row may not name (it would import code)"
    else:
        problem = f"unknown verifier {name!r} in {where}"
    raise VerifierError(
        f"{problem}; a data row may name only a registered verifier: {_known()}. Register yours with "
        f"@register_verifier or a {ENTRY_POINT_GROUP!r} entry point, or set the dotted path in the recipe "
        "(reward.custom_verifier) or RewardConfig(verifier=...)"
    )


def _known() -> str:
    return ", ".join(sorted(_REGISTRY)) or "(none)"


def list_verifiers() -> dict[str, Verifier]:
    """All registered verifiers, built-ins and entry points included, by name."""
    _load_all()
    return dict(sorted(_REGISTRY.items()))
