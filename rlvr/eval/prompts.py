"""Prompts for an evaluation row: MedEvalKit's wording (``prompt=medevalkit``) or the training template
(``prompt=train``). Both give verl chat messages with one ``<image>`` per image, images before the text.

The MedEvalKit strings follow its ``utils/question_formats.py`` (non-reasoning mode), its MMMU
``construct_prompt`` and the per-set ``construct_messages`` (PubMedQA's "Context:" line, option styles).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rlvr.data.schema import build_row
from rlvr.data.templates import IMAGE_PLACEHOLDER, PromptTemplate
from rlvr.eval.benchmarks import Benchmark
from rlvr.eval.loading import EvalItem

Messages = list[dict[str, str]]

# (English, Chinese) instruction per question form
CHOICE_INSTRUCTION = (
    "Answer with the option's letter from the given choices directly.",
    "请直接使用给定选项中的选项字母来回答该问题。",
)
JUDGEMENT_INSTRUCTION = (
    "Please output 'yes' or 'no'(no extra output).",
    "请输出'是'或'否'(不要有任何其它输出)。",
)
SHORT_INSTRUCTION = ("Answer the question using a single word or phrase.", "请用一个单词或者短语回答该问题。")
OPEN_INSTRUCTION = ("Please answer the question concisely.", "请简要回答该问题。")
CHOICE_HEADERS = (("Question:", "Options: "), ("问题：", "选项： "))
_PUBMEDQA_SPLIT = re.compile(r"\A\s*Context:\s*(.*?)\n\s*\n\s*Question:\s*(.*)\Z", re.DOTALL)


def _in(language: str, pair: tuple[str, str]) -> str:
    return pair[1] if language == "zh" else pair[0]


def option_lines(options: Mapping[str, str], option_format: str) -> str:
    return "\n".join(option_format.format(letter=letter, text=text) for letter, text in options.items())


def multiple_choice_text(question: str, options: Mapping[str, str], option_format: str, language: str) -> str:
    """MedEvalKit's ``get_multiple_choice_prompt``: question, the options one per line, the instruction."""
    question_label, options_label = _in(language, CHOICE_HEADERS)  # type: ignore[arg-type]
    return (
        f"\n{question_label} {question}\n{options_label}\n{option_lines(options, option_format)}\n"
        f"{_in(language, CHOICE_INSTRUCTION)}"
    )


def mmmu_text(question: str, options: Mapping[str, str], is_choice: bool) -> str:
    """MMMU's own layout: "(A) option" lines; its stray indentation kept so the wording is the reference's."""
    if is_choice:
        listed = "".join(f"({letter}) {text}\n" for letter, text in options.items())
        return f"\n{question}\n\n{listed}\n\n        {CHOICE_INSTRUCTION[0]}"
    return f"\n{question}\n\n        {SHORT_INSTRUCTION[0]}"


def split_pubmedqa(question: str) -> tuple[str, str]:
    """(context, question) of a PubMedQA row written "Context:\\n...\\n\\nQuestion: ..." by the converter."""
    match = _PUBMEDQA_SPLIT.match(question[:200_000])
    return (match.group(1).strip(), match.group(2).strip()) if match else ("", question)


def medevalkit_text(item: EvalItem, benchmark: Benchmark) -> str:
    """The user text MedEvalKit would send for ``item`` (images go before it)."""
    language = item.language
    if benchmark.layout == "mmmu":
        return mmmu_text(item.question, item.options, item.answer_type == "choice")
    if item.answer_type == "choice":
        if benchmark.layout == "pubmedqa":
            context, question = split_pubmedqa(item.question)
            body = multiple_choice_text(question, item.options, benchmark.option_format, language)
            return f"Context: {context}\n{body}" if context else body
        return multiple_choice_text(item.question, item.options, benchmark.option_format, language)
    if item.answer_type == "closed":
        wording = SHORT_INSTRUCTION if benchmark.closed_prompt == "short" else JUDGEMENT_INSTRUCTION
        return f"{item.question}\n{_in(language, wording)}"
    return f"{item.question}\n{_in(language, OPEN_INSTRUCTION)}"


def image_prefix(count: int) -> str:
    """One placeholder per image; several are labelled "<image_1>: " ... in order, as MedEvalKit does."""
    if count <= 1:
        return IMAGE_PLACEHOLDER * count
    return "".join(f"<image_{i}>: {IMAGE_PLACEHOLDER}" for i in range(1, count + 1))


def medevalkit_messages(item: EvalItem, benchmark: Benchmark) -> Messages:
    text = medevalkit_text(item, benchmark).replace(IMAGE_PLACEHOLDER, "[image]")
    return [{"role": "user", "content": image_prefix(len(item.images)) + text}]


def train_messages(item: EvalItem, template: PromptTemplate) -> Messages:
    """The training template's messages; a synthetic row is rendered exactly as its parquet row was."""
    if item.sample is not None:
        return build_row(item.sample, template, "val", 0)["prompt"]
    return template.messages(item.question, item.options, len(item.images))


def messages_for(
    item: EvalItem, benchmark: Benchmark, mode: str, template: PromptTemplate | None
) -> Messages:
    if mode == "train":
        if template is None:
            raise ValueError(
                "prompt=train needs the training template (from the training parquet's metadata)"
            )
        return train_messages(item, template)
    return medevalkit_messages(item, benchmark)


def template_from_metadata(metadata: Mapping) -> PromptTemplate | None:
    """The template a training parquet recorded under its ``medrlvr`` metadata key, if any."""
    recorded = metadata.get("template")
    if not isinstance(recorded, Mapping):
        return None
    fields = set(PromptTemplate.__dataclass_fields__)
    return PromptTemplate(**{k: str(v) for k, v in recorded.items() if k in fields})
