"""Verifiers that turn a model's response to a medical VQA question into a reward.

Pure Python: no torch, no verl. ``compute_score`` is the one call most users need.
"""

from rewards.audit import Explanation, explain_score
from rewards.batch import BatchResult, score_batch
from rewards.registry import VerifierError, get_verifier, list_verifiers, plugin_problems, register_verifier
from rewards.row_settings import RowSettingError
from rewards.score import SCORE_KEYS, RewardConfig, VerifierFault, compute_score

__all__ = [
    "SCORE_KEYS",
    "BatchResult",
    "Explanation",
    "RewardConfig",
    "RowSettingError",
    "VerifierError",
    "VerifierFault",
    "compute_score",
    "explain_score",
    "get_verifier",
    "list_verifiers",
    "plugin_problems",
    "register_verifier",
    "score_batch",
]
