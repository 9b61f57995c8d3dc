"""Named prompt templates: the system prompt, the think/answer instruction and how options are listed.

A template turns (question, options, number of images) into verl chat messages; its name and fields
are recorded in each parquet file's metadata so a run can tell which prompt its data was built with.
Images go where the question's ``<image>`` placeholders are when it has one per image (MMMU's
``<image N>`` markers, placed by the converter), else all in front of the question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

IMAGE_PLACEHOLDER = "<image>"  # verl's RLHFDataset splits user content on exactly this token
NEUTRALISED_PLACEHOLDER = "[image]"  # what a placeholder that is not an image position becomes


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
        """The question, the options (if any) and the instruction, with exactly ``n_images`` placeholders.

        When the question and options hold exactly ``n_images`` ``<image>`` placeholders they stay where
        they are (image k at the k-th one); otherwise every literal ``<image>`` is neutralised, as it
        would shift verl's image count, and the placeholders all go in front of the question.
        """
        placed = question.count(IMAGE_PLACEHOLDER) + sum(o.count(IMAGE_PLACEHOLDER) for o in options.values())
        parts = []
        if n_images == 0 or placed != n_images:
            question = question.replace(IMAGE_PLACEHOLDER, NEUTRALISED_PLACEHOLDER)
            options = {k: v.replace(IMAGE_PLACEHOLDER, NEUTRALISED_PLACEHOLDER) for k, v in options.items()}
            parts = [IMAGE_PLACEHOLDER * n_images] if n_images else []
        parts += [question.strip(), self.format_options(options), self.instruction]
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
