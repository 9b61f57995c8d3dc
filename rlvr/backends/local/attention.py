"""Attention on CPU without copies of grouped-query key/value heads.

With a padding mask, HF's SDPA attention repeats each key/value head for its query heads before calling
torch (torch's ``enable_gqa`` sends CUDA's masked attention to the slow math kernel). On CPU torch's flash
kernel takes a mask and grouped heads as they are: while decoding left-padded prompts, that copy of the
whole cache in every layer cost more than the attention itself.
"""

from __future__ import annotations

import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

NAME = "sdpa_grouped_on_cpu"


def sdpa_grouped_on_cpu(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs,
) -> tuple[torch.Tensor, None]:
    """HF's SDPA attention; with a mask, on CPU, grouped-query heads go to torch uncopied."""
    if attention_mask is None or query.device.type != "cpu" or not hasattr(module, "num_key_value_groups"):
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, is_causal=is_causal,
            **kwargs,
        )  # fmt: skip
    out = torch.nn.functional.scaled_dot_product_attention(
        query, key, value, attn_mask=attention_mask, dropout_p=dropout, scale=scaling, enable_gqa=True
    )
    return out.transpose(1, 2).contiguous(), None


AttentionInterface.register(NAME, sdpa_grouped_on_cpu)
AttentionMaskInterface.register(NAME, sdpa_mask)  # the masks are SDPA's


def group_query_heads_on_cpu(model: torch.nn.Module) -> None:
    """Switch ``model``'s text decoder from HF's SDPA attention to ``sdpa_grouped_on_cpu`` (other
    attention implementations and the vision tower stay as they are)."""
    text = model.config.get_text_config()
    if text._attn_implementation == "sdpa":
        text._attn_implementation = NAME
