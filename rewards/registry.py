"""Verifier registry: a dict plus a decorator, entry points, user modules to import (``reward.imports``)
and (from trusted config only) dotted paths.

A data row may name only a registered verifier (``get_registered_verifier``); a dotted path is imported
only when it comes from the recipe or the Python API (``get_verifier``), never from data.

A verifier is a plain callable ``(answer, ground_truth, extra_info) -> float`` in [0, 1], where
``answer`` is the final answer already extracted from the model's response (untrusted text, length
capped) and ``extra_info`` the row's metadata (``answer_type``, ``options``, ...).

A broken or name-clashing entry point never breaks the others: it is skipped and recorded in
``plugin_problems()``; asking for it by name is an error that says what is wrong with it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

Verifier = Callable[[str, str, Mapping[str, Any]], float]

ENTRY_POINT_GROUP = "medrlvr.verifiers"
BUILTIN_MODULES = ("rewards.choice", "rewards.closed", "rewards.numeric", "rewards.open_ended")
_MODULE_NAME = re.compile(r"[A-Za-z_]\w{0,99}(?:\.[A-Za-z_]\w{0,99}){0,20}")

_REGISTRY: dict[str, Verifier] = {}
_PROBLEMS: dict[str, str] = {}  # skipped plugin name -> what is wrong with it
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


def _entry_point_source(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    package = f" of package {dist.name!r}" if dist is not None and getattr(dist, "name", None) else ""
    return f"entry point {ep.name!r} = {ep.value!r}{package}"


def _load_entry_points() -> dict[str, str]:
    """Register every loadable, unambiguous entry point; return the skipped ones with the reason."""
    problems: dict[str, str] = {}
    claims: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if all(ep.value != other.value for other in claims.get(ep.name, [])):
            claims.setdefault(ep.name, []).append(ep)
    for name, eps in claims.items():
        if len(eps) > 1:
            sources = " and ".join(_entry_point_source(ep) for ep in eps)
            problems[name] = f"verifier name {name!r} is claimed twice: {sources}; rename one of them"
            continue
        ep = eps[0]
        try:
            fn = ep.load()
        except Exception as exc:  # any import-time failure of a third-party module
            problems[name] = (
                f"{_entry_point_source(ep)} in group {ENTRY_POINT_GROUP!r} failed to load: "
                f"{type(exc).__name__}: {exc}"
            )
            continue
        held = _REGISTRY.get(name)
        if held is not None and held is not fn:
            problems[name] = (
                f"verifier name {name!r} is claimed twice: {_describe(held)} and {_entry_point_source(ep)}; "
                "the entry point is skipped: rename it"
            )
            continue
        if not callable(fn):
            problems[name] = f"{_entry_point_source(ep)} is not callable"
            continue
        _REGISTRY[name] = fn
    return problems


def _load_all() -> None:
    """Import the built-in verifiers and the ``medrlvr.verifiers`` entry points, once."""
    global _loaded, _PROBLEMS
    if _loaded:
        return
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    _PROBLEMS = _load_entry_points()
    _loaded = True


def plugin_problems() -> dict[str, str]:
    """Entry points that were skipped (broken or clashing), by name, with what is wrong."""
    _load_all()
    return dict(sorted(_PROBLEMS.items()))


def check_module_name(name: object) -> str:
    """``name`` if it is a dotted module name such as ``mypkg.verifiers``, else a ``VerifierError``."""
    if not isinstance(name, str) or not _MODULE_NAME.fullmatch(name):
        raise VerifierError(f"{name!r} is not a module name; write it as 'package.module'")
    return name


@lru_cache(maxsize=64)
def import_modules(modules: tuple[str, ...]) -> None:
    """Import the user's modules (``reward.imports``) so their ``@register_verifier`` calls run here."""
    for name in modules:
        try:
            importlib.import_module(check_module_name(name))
        except VerifierError:
            raise
        except Exception as exc:  # an ImportError, or any error raised while the module runs
            raise VerifierError(
                f"reward.imports: cannot import module {name!r}: {type(exc).__name__}: {exc} "
                "(is its package installed, or its folder on PYTHONPATH?)"
            ) from exc


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
    except Exception as exc:  # the module itself raised while it was imported
        raise VerifierError(f"cannot load verifier {path!r}: {type(exc).__name__}: {exc}") from exc
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
    if name in _PROBLEMS:
        raise VerifierError(f"verifier {name!r} cannot be used: {_PROBLEMS[name]}")
    if "." in name or ":" in name:
        return load_dotted(name)
    raise VerifierError(
        f"unknown verifier {name!r}; known verifiers: {_known()} (a verifier registered with "
        "@register_verifier in your own module needs that module in reward.imports)"
    )


def require_verifier(name: str) -> Verifier:
    """``get_verifier`` for a name a recipe or command asks for by name: a skipped plugin of that name is
    an error even when a built-in holds the name (the user may have meant either)."""
    _load_all()
    if name in _PROBLEMS:
        raise VerifierError(f"verifier {name!r} cannot be used: {_PROBLEMS[name]}")
    return get_verifier(name)


def get_registered_verifier(name: object, where: str = "extra_info['verifier']") -> Verifier:
    """The verifier registered as ``name``; anything else (a dotted path, an unknown name, a non-string) is
    a ``VerifierError``. Nothing is imported: ``name`` comes from data, which is not trusted."""
    _load_all()
    if isinstance(name, str) and name in _REGISTRY:
        return _REGISTRY[name]
    if isinstance(name, str) and name in _PROBLEMS:
        raise VerifierError(f"verifier {name!r} in {where} cannot be used: {_PROBLEMS[name]}")
    if not isinstance(name, str):
        problem = f"{where}={name!r} is not a verifier name (a string)"
    elif "." in name or ":" in name:
        problem = f"{where}={name!r} is a dotted path, which a data row may not name (it would import code)"
    else:
        problem = f"unknown verifier {name!r} in {where}"
    raise VerifierError(
        f"{problem}; a data row may name only a registered verifier: {_known()}. Register yours with "
        f"@register_verifier or a {ENTRY_POINT_GROUP!r} entry point (its module in reward.imports), or set "
        "the dotted path in the recipe (reward.custom_verifier) or RewardConfig(verifier=...)"
    )


def _known() -> str:
    skipped = f"; skipped plugins: {', '.join(sorted(_PROBLEMS))}" if _PROBLEMS else ""
    return (", ".join(sorted(_REGISTRY)) or "(none)") + skipped


def list_verifiers() -> dict[str, Verifier]:
    """All registered verifiers, built-ins and loadable entry points included, by name."""
    _load_all()
    return dict(sorted(_REGISTRY.items()))
