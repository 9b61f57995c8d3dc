"""Choose which parameters a stage trains (regex groups over parameter names) and show it as a table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from torch import nn


class StageConfigError(ValueError):
    """The stage's trainable-module configuration does not fit the model."""


@dataclass
class ParamGroup:
    name: str
    lr: float
    names: list[str] = field(default_factory=list)
    numel: int = 0


def _compile(group_name: str, pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as err:
        raise StageConfigError(f"module group {group_name!r}: invalid regex {pattern!r} ({err})") from err


def top_level_modules(model: nn.Module, depth: int = 2) -> list[str]:
    """Module names up to ``depth`` dots, to tell the user what a model actually contains."""
    names = {".".join(name.split(".")[:depth]) for name, _ in model.named_parameters()}
    return sorted(names)


def select_trainable(model: nn.Module, groups, default_lr: float) -> list[ParamGroup]:
    """Freeze everything, then unfreeze each group's matches (first matching group wins).

    Raises StageConfigError when no group is given (everything would stay frozen), a group has no
    pattern, or a pattern matches no parameter (a typo, or a model without that part).
    """
    if not groups:
        raise StageConfigError(
            "the stage trains nothing: stage.trainable is empty. Name at least one module group, "
            "e.g. {name: projector, patterns: ['${parts.projector}']}."
        )
    empty = [g.name for g in groups if not g.patterns]
    if empty:
        raise StageConfigError(
            f"module group(s) {empty} have no patterns; give each group at least one regex."
        )
    compiled = [(g, [_compile(g.name, p) for p in g.patterns]) for g in groups]
    selected = [ParamGroup(name=g.name, lr=float(g.lr if g.lr is not None else default_lr)) for g in groups]
    hits = {(g.name, p.pattern): 0 for g, patterns in compiled for p in patterns}
    for name, param in model.named_parameters():
        param.requires_grad_(False)
        for index, (group, patterns) in enumerate(compiled):
            matched = [p for p in patterns if p.search(name)]
            for pattern in matched:
                hits[(group.name, pattern.pattern)] += 1
            if matched:
                param.requires_grad_(True)
                selected[index].names.append(name)
                selected[index].numel += param.numel()
                break
    missing = [f"group {g!r} pattern {p!r}" for (g, p), n in hits.items() if n == 0]
    if missing:
        raise StageConfigError(
            f"{'; '.join(missing)} matches no parameter of {type(model).__name__}. Its modules are: "
            f"{', '.join(top_level_modules(model))}. Fix the pattern, or set `parts` for this architecture."
        )
    return selected


def trainable_table(model: nn.Module, groups: list[ParamGroup]) -> str:
    """Plain-text table: each group's learning rate and parameter count, then trainable/frozen/total."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(g.numel for g in groups)
    rows = [(g.name, f"{g.lr:.2e}", f"{g.numel:,}", f"{100 * g.numel / total:.1f}%") for g in groups]
    rows.append(("(frozen)", "-", f"{total - trainable:,}", f"{100 * (total - trainable) / total:.1f}%"))
    rows.append(("total", "-", f"{total:,}", "100.0%"))
    header = ("module group", "lr", "params", "share")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    return "\n".join([fmt(header), line, *map(fmt, rows[:-2]), line, *map(fmt, rows[-2:])])
