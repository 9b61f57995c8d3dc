"""Small SFT data drawn in the test (PIL) and a fast stage config, shared by the base_training tests."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image, ImageDraw

COLORS = {"red": (220, 40, 40), "green": (40, 200, 60), "blue": (40, 60, 220), "white": (240, 240, 240)}


def draw_png(color: str, shape: str = "circle", size: int = 56) -> bytes:
    image = Image.new("RGB", (size, size), (20, 20, 20))
    draw = ImageDraw.Draw(image)
    box = (12, 12, size - 12, size - 12)
    (draw.ellipse if shape == "circle" else draw.rectangle)(box, fill=COLORS[color])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def write_captions(folder: Path, n: int = 8) -> Path:
    """Caption rows {image: relative png path, caption}; the caption names the drawn color and shape."""
    (folder / "img").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        color, shape = list(COLORS)[i % len(COLORS)], ("circle", "square")[i % 2]
        (folder / "img" / f"{i}.png").write_bytes(draw_png(color, shape))
        rows.append({"image": f"img/{i}.png", "caption": f"A {color} {shape} on a dark CT image."})
    return write_jsonl(folder / "captions.jsonl", rows)


def write_text_chat(folder: Path, n: int = 6) -> Path:
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"Is {k} more than five?"},
                {"role": "assistant", "content": "yes" if k > 5 else "no"},
            ]
        }
        for k in range(n)
    ]
    return write_jsonl(folder / "text_chat.jsonl", rows)


def fast_overrides(**extra) -> list[str]:
    """Hydra overrides for a few-step CPU run; ``extra`` adds/overrides key=value pairs."""
    values = {
        "train.steps": 4,
        "train.batch_size": 4,
        "train.logging_steps": 1,
        "train.save_steps": 2,
        "train.lr_scheduler": "constant",
        "data.max_length": 256,
    }
    values.update(extra)
    return [f"{k}={v}" for k, v in values.items()]
