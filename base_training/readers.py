"""Read SFT rows (chat, `rlvr data` RL parquet, captions) from JSONL/parquet into one chat-example form."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from PIL import Image

from base_training.chat_template import IMAGE_PLACEHOLDER

FORMATS = ("auto", "chat", "rl", "caption")
FILE_TYPES = (".jsonl", ".json", ".parquet")


class BadRow(ValueError):
    """A row that cannot become a training example; the message says why."""


@dataclass
class ChatExample:
    """Messages whose string contents hold one ``<image>`` per entry of ``images``.

    Images stay encoded (bytes or a file path) until a batch needs them; ``image_sizes`` are (height, width).
    """

    messages: list[dict[str, str]]
    images: list[bytes | Path] = field(default_factory=list)
    image_sizes: list[tuple[int, int]] = field(default_factory=list)
    origin: str = ""  # "file:row", for error messages


@dataclass(frozen=True)
class ReadOptions:
    caption_prompt: str = "<image>Describe the image."
    rl_think_template: str = "I check the image."


def iter_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(1-based row number, row) for a .jsonl/.json-lines or .parquet file."""
    if path.suffix == ".parquet":
        parquet = pq.ParquetFile(path)
        row_number = 0
        for batch in parquet.iter_batches(batch_size=256):
            for row in batch.to_pylist():
                row_number += 1
                yield row_number, row
        return
    with path.open(encoding="utf-8") as handle:
        for row_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield row_number, json.loads(line)
            except json.JSONDecodeError as err:
                yield row_number, BadRow(f"invalid JSON ({err.msg} at column {err.colno})")


def detect_format(row: Mapping) -> str:
    if "messages" in row:
        return "chat"
    if "prompt" in row and "reward_model" in row:
        return "rl"
    if "caption" in row:
        return "caption"
    raise BadRow(
        f"cannot tell the row format from its keys {sorted(row)[:8]}; expected 'messages' (chat), "
        "'prompt'+'reward_model' (rlvr data) or 'image'+'caption'"
    )


def resolve_image(ref: Any, base_dir: Path) -> bytes | Path:
    """An image given as a path (relative to the data file), raw bytes, or {"bytes"|"path": ...}."""
    if isinstance(ref, Mapping):
        ref = ref.get("bytes") or ref.get("path")
    if isinstance(ref, (bytes, bytearray)):
        return bytes(ref)
    if isinstance(ref, str) and ref:
        path = Path(ref) if Path(ref).is_absolute() else base_dir / ref
        if not path.is_file():
            raise BadRow(f"image file not found: {path}")
        return path
    raise BadRow(f"image must be a path, bytes or {{'bytes': ...}}, got {type(ref).__name__}")


def open_image(image: bytes | Path) -> Image.Image:
    """Decode fully (so corrupt data fails here, not mid-training) and convert to RGB."""
    try:
        opened = Image.open(io.BytesIO(image) if isinstance(image, bytes) else image)
        opened.load()
    except Exception as err:  # PIL raises many types for corrupt data
        raise BadRow(f"image cannot be decoded ({type(err).__name__}: {err})") from err
    return opened.convert("RGB")


def _checked_messages(messages: Any) -> list[dict[str, str]]:
    if not isinstance(messages, list) or not messages:
        raise BadRow("'messages' must be a non-empty list of {role, content}")
    checked = []
    for turn, message in enumerate(messages):
        if not isinstance(message, Mapping) or not isinstance(message.get("content"), str):
            raise BadRow(f"messages[{turn}] must have a string 'content'")
        if message.get("role") not in ("system", "user", "assistant"):
            raise BadRow(f"messages[{turn}] has role {message.get('role')!r}; use system, user or assistant")
        checked.append({"role": message["role"], "content": message["content"]})
    if checked[-1]["role"] != "assistant":
        raise BadRow("the last message must be the assistant's answer (the training target)")
    return checked


def _chat(row: Mapping, base_dir: Path, options: ReadOptions) -> tuple[list[dict], list]:
    return _checked_messages(row.get("messages")), list(row.get("images") or [])


def _rl(row: Mapping, base_dir: Path, options: ReadOptions) -> tuple[list[dict], list]:
    ground_truth = (row.get("reward_model") or {}).get("ground_truth")
    if not isinstance(ground_truth, str) or not ground_truth.strip():
        raise BadRow("reward_model.ground_truth is missing or empty")
    extra = row.get("extra_info") or {}
    think = extra.get("reasoning") or extra.get("rationale")
    if not think:
        fields = {**extra, "question": extra.get("question", ""), "answer": ground_truth}
        think = options.rl_think_template.format_map(_KeepMissing(fields))
    answer = {"role": "assistant", "content": f"<think>{think}</think><answer>{ground_truth}</answer>"}
    prompt = list(row.get("prompt") or [])
    return _checked_messages(prompt + [answer]), list(row.get("images") or [])


def _caption(row: Mapping, base_dir: Path, options: ReadOptions) -> tuple[list[dict], list]:
    caption = row.get("caption")
    if not isinstance(caption, str) or not caption.strip():
        raise BadRow("'caption' is missing or empty")
    images = [row["image"]] if row.get("image") is not None else list(row.get("images") or [])
    prompt = options.caption_prompt
    if prompt.count(IMAGE_PLACEHOLDER) != len(images):
        prompt = IMAGE_PLACEHOLDER * len(images) + prompt.replace(IMAGE_PLACEHOLDER, "")
    return [{"role": "user", "content": prompt}, {"role": "assistant", "content": caption}], images


class _KeepMissing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_CONVERTERS = {"chat": _chat, "rl": _rl, "caption": _caption}


def to_example(row: Any, fmt: str, base_dir: Path, options: ReadOptions, origin: str) -> ChatExample:
    """One raw row -> ChatExample; raises BadRow with the reason when the row is unusable."""
    if isinstance(row, BadRow):
        raise row
    if not isinstance(row, Mapping):
        raise BadRow(f"row must be an object, got {type(row).__name__}")
    messages, image_refs = _CONVERTERS[detect_format(row) if fmt == "auto" else fmt](row, base_dir, options)
    placeholders = sum(m["content"].count(IMAGE_PLACEHOLDER) for m in messages)
    if placeholders != len(image_refs):
        raise BadRow(f"{placeholders} '<image>' placeholder(s) but {len(image_refs)} image(s)")
    if any(IMAGE_PLACEHOLDER in m["content"] for m in messages if m["role"] == "assistant"):
        raise BadRow("an assistant message contains '<image>'; images belong to user turns")
    images = [resolve_image(ref, base_dir) for ref in image_refs]
    sizes = [open_image(image).size[::-1] for image in images]
    return ChatExample(messages=messages, images=images, image_sizes=sizes, origin=origin)
