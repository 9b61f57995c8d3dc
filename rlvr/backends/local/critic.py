"""The PPO critic (``adv_estimator=gae``): a copy of the policy backbone with a scalar value head."""

from __future__ import annotations

from pathlib import Path

import torch


class Critic:
    """Per-token values for the response positions; trained with verl's clipped value loss."""

    def __init__(self, backbone: torch.nn.Module, lr: float):
        self.backbone = backbone
        hidden = backbone.config.get_text_config().hidden_size
        self.head = torch.nn.Linear(hidden, 1).to(next(backbone.parameters()).device)
        torch.nn.init.zeros_(self.head.weight)
        torch.nn.init.zeros_(self.head.bias)
        params = [*self.backbone.parameters(), *self.head.parameters()]
        self.optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)

    def values(self, inputs: dict[str, torch.Tensor], width: int, grad: bool = False) -> torch.Tensor:
        """Value of each of the last ``width`` (response) tokens, read from the hidden state before it."""
        self.backbone.train(grad)  # gradient checkpointing (model.enable_gradient_checkpointing) in training
        with torch.set_grad_enabled(grad):
            out = self.backbone(**inputs, output_hidden_states=True, logits_to_keep=1, use_cache=False)
            # the head stays float32 whatever model.dtype the backbone runs in
            return self.head(out.hidden_states[-1][:, -width - 1 : -1].float()).squeeze(-1)

    def zero_grad(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)

    def step(self) -> None:
        """Clip and apply the gradients accumulated since ``zero_grad``."""
        torch.nn.utils.clip_grad_norm_([*self.backbone.parameters(), *self.head.parameters()], 1.0)
        self.optimizer.step()

    def save(self, path: Path) -> None:
        torch.save(
            {
                "backbone": self.backbone.state_dict(),
                "head": self.head.state_dict(),
                "optim": self.optimizer.state_dict(),
            },
            path,
        )

    def load(self, path: Path) -> None:
        state = torch.load(path, weights_only=False)
        self.backbone.load_state_dict(state["backbone"])
        self.head.load_state_dict(state["head"])
        self.optimizer.load_state_dict(state["optim"])
