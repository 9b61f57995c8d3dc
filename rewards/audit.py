"""Explain one score for an audit: the answer and where it was found, the verifier and why, every rule
noted while judging (``rewards.explain.decided_by``) and every score key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rewards.explain import recording
from rewards.score import RewardConfig, score_response


@dataclass(frozen=True)
class Explanation:
    """Why one response got its reward; ``str()`` gives the report ``rlvr rewards explain`` prints."""

    answer: str | None  # the final answer extracted (None: none found, acc is 0)
    found_in: str  # which tag or fallback it came from
    candidates: tuple[str, ...]  # every distinct final answer the response gives (one when consistent)
    conflict: str | None  # what gave more than one answer, if anything
    verifier: str
    verifier_reason: str  # config, the row's verifier, its answer_type, or inferred
    rules: tuple[str, ...]  # rules noted while judging, in order
    scores: dict[str, float]

    def __str__(self) -> str:
        lines = [
            f"answer:      {self.answer!r}",
            f"found in:    {self.found_in}",
            f"verifier:    {self.verifier} ({self.verifier_reason})",
        ]
        if len(self.candidates) > 1:
            lines.append(f"answers:     {' | '.join(map(repr, self.candidates))} ({self.conflict})")
        rules = list(self.rules) or ["(no rule noted: the verifier's plain comparison decided)"]
        lines += [f"{'rules:' if i == 0 else '':<13}{rule}" for i, rule in enumerate(rules)]
        lines.append("scores:      " + "  ".join(f"{key}={value:.3f}" for key, value in self.scores.items()))
        return "\n".join(lines)


def explain_score(
    response: object,
    ground_truth: object,
    extra_info: Mapping[str, Any] | None = None,
    config: RewardConfig | None = None,
) -> Explanation:
    """Score ``response`` as ``rewards.compute_score`` does and say how the score came about (same
    errors for an unknown verifier, a dotted path in a row, or an out-of-range row setting)."""
    with recording() as rules:
        scored = score_response(response, ground_truth, extra_info, config)
    found = scored.found
    return Explanation(
        answer=found.answer if found else None,
        found_in=found.source if found else "",
        candidates=found.candidates if found else (),
        conflict=found.conflict if found else None,
        verifier=scored.verifier,
        verifier_reason=scored.verifier_reason,
        rules=tuple(rules)
        + ((f"fault: verifier {scored.verifier!r} {scored.fault}: no verdict",) if scored.fault else ()),
        scores=dict(scored.scores),
    )
