"""The typed settings of ``rlvr eval`` and their ``key=value`` parsing (unknown key -> "did you mean")."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from rlvr.errors import RecipeError
from rlvr.recipe.compose import schema_keys, suggest_key

PROMPT_MODES = ("auto", "medevalkit", "train")
BACKENDS = ("auto", "hf", "vllm")
OPEN_METRICS = ("exact", "f1", "recall")


@dataclass
class SynthSuiteConfig:
    """The synthetic task's validation rows (``rlvr.data.synth``); null fields come from the model's run."""

    rows: int = 200
    seed: int | None = None
    tasks: list[str] | None = None
    image_size: int | None = None


@dataclass
class JudgeConfig:
    """Optional LLM judge for open answers: any OpenAI-compatible ``/v1/chat/completions`` endpoint."""

    base_url: str | None = None  # e.g. http://localhost:8000/v1 ; null = no judge
    model: str = ""
    api_key_env: str = "OPENAI_API_KEY"  # the key is read from this environment variable, never from argv
    timeout_s: float = 30.0
    max_retries: int = 3
    backoff_s: float = 1.0  # first retry waits this long, then twice as long each time
    cache: str | None = None  # verdict cache file; null = <output_dir>/judge_cache.jsonl


@dataclass
class EvalConfig:
    model: str = "tiny"  # HF folder | rlvr run or checkpoint folder | tiny
    suite: str = "synth"  # lingshu_mm | lingshu_text | lingshu | synth | comma-separated benchmark names
    data_root: str = "data/benchmarks"
    output_dir: str = "outputs/eval"
    prompt: str = "auto"  # auto: the training template when the model's run records one, else medevalkit
    backend: str = "auto"  # auto: vLLM when installed and a GPU is visible, else HF generate
    batch_size: int = 8
    max_new_tokens: int | None = None  # null: the run's data.max_response_length, else 1024
    max_prompt_length: int = 8192
    seed: int = 0
    limit: int = 0  # first N rows of each benchmark (0 = all): for smoke tests, flagged in the table
    open_metric: str = "exact"  # what counts as a correct open answer (f1 and recall are reported beside)
    train_files: list[str] = field(default_factory=list)  # contamination check; default: the model's run's
    allow_overlap: bool = False
    bootstrap_resamples: int = 1000
    dry_run: bool = False
    synth: SynthSuiteConfig = field(default_factory=SynthSuiteConfig)
    judge: JudgeConfig = field(default_factory=JudgeConfig)


CHOICES = {"prompt": PROMPT_MODES, "backend": BACKENDS, "open_metric": OPEN_METRICS}


def parse_overrides(args: list[str]) -> EvalConfig:
    """``key=value`` arguments merged onto the defaults; a user mistake is a ``RecipeError``."""
    keys = schema_keys(EvalConfig)
    base = OmegaConf.structured(EvalConfig)
    for arg in args:
        key, sep, _ = arg.partition("=")
        if not sep or not key:
            raise RecipeError(f"argument {arg!r} is not key=value (e.g. suite=synth model=tiny)")
        top = key.lstrip("+~")
        if top not in keys and not any(k.startswith(top + ".") for k in keys):
            raise RecipeError(f"rlvr eval has no key {top!r}.{suggest_key(top, keys)}")
    try:
        merged = OmegaConf.merge(base, OmegaConf.from_dotlist(list(args)))
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", "") or "?"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RecipeError(f"rlvr eval: bad value for {key!r}: {reason}") from None
    cfg: EvalConfig = OmegaConf.to_object(merged)  # type: ignore[assignment]
    check_values(cfg)
    return cfg


def check_values(cfg: EvalConfig) -> None:
    problems = [
        f"{key}={getattr(cfg, key)!r} is not one of: {', '.join(allowed)}"
        for key, allowed in CHOICES.items()
        if getattr(cfg, key) not in allowed
    ]
    for key in ("batch_size", "max_prompt_length", "bootstrap_resamples", "synth.rows"):
        value = OmegaConf.select(OmegaConf.structured(cfg), key)
        if value < 1:
            problems.append(f"{key} must be >= 1 (got {value})")
    if cfg.max_new_tokens is not None and cfg.max_new_tokens < 1:
        problems.append(f"max_new_tokens must be >= 1 (got {cfg.max_new_tokens})")
    if cfg.limit < 0:
        problems.append(f"limit must be >= 0 (got {cfg.limit})")
    if cfg.judge.base_url and not cfg.judge.model:
        problems.append("judge.base_url is set but judge.model is empty: name the judge model")
    if cfg.judge.max_retries < 0 or cfg.judge.timeout_s <= 0:
        problems.append("judge.max_retries must be >= 0 and judge.timeout_s > 0")
    if problems:
        raise RecipeError("rlvr eval settings are not usable:\n  - " + "\n  - ".join(problems))
