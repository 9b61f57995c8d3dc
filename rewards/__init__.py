"""Verifiers that turn a model's response to a medical VQA question into a reward.

Pure Python: no torch, no verl. ``compute_score`` is the one call most users need.
"""

from rewards.registry import get_verifier, list_verifiers, register_verifier

__all__ = ["get_verifier", "list_verifiers", "register_verifier"]
