"""Named prompt templates: the system prompt, the think/answer instruction and how options are listed.

A template turns (question, options, number of images) into verl chat messages; its name and fields
are recorded in each parquet file's metadata so a run can tell which prompt its data was built with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

IMAGE_PLACEHOLDER = "<image>"  # verl's RLHFDataset splits user content on exactly this token


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    system_prompt: str
    instruction: str
    option_format: str = "{letter}. {text}"  # one line per option
    options_header: str = "Options:"

    def format_options(self, options: Mapping[str, str]) -> str:
        if not options:
            return ""
        lines = [self.option_format.format(letter=letter, text=text) for letter, text in options.items()]
        return "\n".join([self.options_header, *lines] if self.options_header else lines)

    def user_content(self, question: str, options: Mapping[str, str], n_images: int) -> str:
        """``<image>`` once per image, then the question, the options (if any) and the instruction."""
        # A literal "<image>" inside the question would shift verl's placeholder count; neutralise it.
        question = question.replace(IMAGE_PLACEHOLDER, "[image]").strip()
        parts = [IMAGE_PLACEHOLDER * n_images] if n_images else []
        parts += [question, self.format_options(options), self.instruction]
        return "\n".join(part for part in parts if part)

    def messages(self, question: str, options: Mapping[str, str], n_images: int) -> list[dict[str, str]]:
        user = {"role": "user", "content": self.user_content(question, options, n_images)}
        if not self.system_prompt:
            return [user]
        return [{"role": "system", "content": self.system_prompt}, user]

    def to_metadata(self) -> dict[str, str]:
        return asdict(self)


TEMPLATES: dict[str, PromptTemplate] = {}
DEFAULT_TEMPLATE = "think_answer"


def register_template(template: PromptTemplate) -> PromptTemplate:
    if template.name in TEMPLATES and TEMPLATES[template.name] != template:
        raise ValueError(
            f"a prompt template named {template.name!r} is already registered; pick another name"
        )
    TEMPLATES[template.name] = template
    return template


def get_template(name: str) -> PromptTemplate:
    if name not in TEMPLATES:
        known = ", ".join(sorted(TEMPLATES))
        raise KeyError(f"unknown prompt template {name!r}; known templates: {known}")
    return TEMPLATES[name]


_THINK_ANSWER = (
    "First think step by step inside <think> </think> tags, then give only the final answer inside "
    "<answer> </answer> tags."
)

register_template(
    PromptTemplate(
        name="think_answer",
        system_prompt=(
            "You are a medical imaging assistant. You reason carefully about the image and the question "
            "before answering."
        ),
        instruction=_THINK_ANSWER,
    )
)
register_template(
    PromptTemplate(
        name="think_answer_choice_letter",
        system_prompt=(
            "You are a medical imaging assistant. You reason carefully about the image and the question "
            "before answering."
        ),
        instruction=_THINK_ANSWER + " For multiple-choice questions answer with the option letter only.",
    )
)
register_template(
    PromptTemplate(
        name="think_answer_no_system",
        system_prompt="",
        instruction=_THINK_ANSWER,
    )
)
