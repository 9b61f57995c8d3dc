"""The Qwen2.5-VL chat template (string contents may hold ``<image>`` placeholders) and message conversion."""

from __future__ import annotations

IMAGE_PLACEHOLDER = "<image>"
VISION_SPAN = "<|vision_start|><|image_pad|><|vision_end|>"

# Same shape as the released Qwen2.5-VL template (system default, image/video parts, add_vision_id),
# plus: a string content has each "<image>" replaced by the vision span, so verl-style rows render as is.
QWEN2_5_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}"
    "{{ message['content'] | replace('" + IMAGE_PLACEHOLDER + "', '" + VISION_SPAN + "') }}<|im_end|>\n"
    "{% else %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}"
    "{% endif %}"
    "{% endfor %}<|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def to_qwen_messages(messages: list[dict]) -> list[dict]:
    """Turn string contents with ``<image>`` placeholders into Qwen's list of {type: image|text} parts."""
    converted = []
    for message in messages:
        content = message["content"]
        if not isinstance(content, str):
            converted.append(dict(message))
            continue
        parts: list[dict] = []
        for index, piece in enumerate(content.split(IMAGE_PLACEHOLDER)):
            if index > 0:
                parts.append({"type": "image"})
            if piece:
                parts.append({"type": "text", "text": piece})
        converted.append({**message, "content": parts})
    return converted
