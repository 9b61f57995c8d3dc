"""Optional LLM judge of open answers: any OpenAI-compatible ``/chat/completions`` endpoint (stdlib HTTP).

Verdicts are cached on disk keyed by (question, reference, extracted answer, judge model); retries are bounded
with exponential backoff; a call that still fails is a ``judge_error``: counted and reported, never "wrong".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from rlvr.eval.config import JudgeConfig

CORRECT, INCORRECT, JUDGE_ERROR = "correct", "incorrect", "judge_error"
MAX_FIELD_CHARS = 4000  # question/reference/answer sent to the judge, each cut to this
MAX_REPLY_CHARS = 200_000
_VERDICT = re.compile(r"\b(not\s{1,8})?(correct|incorrect|wrong|right)\b", re.IGNORECASE)

JUDGE_PROMPT = (
    "You grade a medical question answered by a model. Decide whether the model's answer means the same as "
    "the reference answer (synonyms, abbreviations and extra harmless words are fine; a different or "
    "contradicting finding is not).\n\nQuestion: {question}\nReference answer: {reference}\n"
    "Model answer: {answer}\n\nReply with exactly one word: correct or incorrect."
)


class JudgeError(RuntimeError):
    """One judge call failed (HTTP error, timeout, or a reply that names no verdict)."""


def cache_key(question: str, reference: str, answer: str, model: str) -> str:
    payload = json.dumps([question, reference, answer, model], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def parse_verdict(reply: str) -> str:
    """The verdict in the judge's reply (its first verdict word); JudgeError when there is none."""
    match = _VERDICT.search(reply[:MAX_REPLY_CHARS])
    if match is None:
        raise JudgeError(f"the judge's reply names no verdict: {reply[:80]!r}")
    positive = match.group(2).lower() in ("correct", "right")
    return CORRECT if positive and not match.group(1) else INCORRECT


class Judge:
    """Grades open answers; ``verdict`` never raises: a failure after the retries returns ``judge_error``."""

    def __init__(self, settings: JudgeConfig, cache_path: Path, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.cache_path = Path(cache_path)
        self.sleep = sleep
        self.calls = 0
        self.errors: list[str] = []
        self.cache: dict[str, str] = {}
        if self.cache_path.is_file():
            for line in self.cache_path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    self.cache[entry["key"]] = entry["verdict"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue  # a line cut off by a kill: that verdict is asked again

    def verdict(self, question: str, reference: str, answer: str) -> str:
        key = cache_key(question, reference, answer, self.settings.model)
        if key in self.cache:
            return self.cache[key]
        try:
            verdict = self._ask_with_retries(question, reference, answer)
        except JudgeError as exc:
            self.errors.append(str(exc))
            return JUDGE_ERROR  # not cached: a later run asks again
        self.cache[key] = verdict
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        with self.cache_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"key": key, "verdict": verdict, "model": self.settings.model}) + "\n")
        return verdict

    def _ask_with_retries(self, question: str, reference: str, answer: str) -> str:
        attempts = self.settings.max_retries + 1
        for attempt in range(attempts):
            try:
                return parse_verdict(self._ask(question, reference, answer))
            except JudgeError:
                if attempt == attempts - 1:
                    raise
                self.sleep(self.settings.backoff_s * 2**attempt)
        raise JudgeError("no attempt was made")  # unreachable: attempts >= 1

    def _ask(self, question: str, reference: str, answer: str) -> str:
        self.calls += 1
        prompt = JUDGE_PROMPT.format(
            question=question[:MAX_FIELD_CHARS],
            reference=reference[:MAX_FIELD_CHARS],
            answer=answer[:MAX_FIELD_CHARS],
        )
        body = {
            "model": self.settings.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0,
            "max_tokens": 8,
        }
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.settings.api_key_env, "")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = str(self.settings.base_url).rstrip("/") + "/chat/completions"
        request = urllib.request.Request(url, json.dumps(body).encode("utf-8"), headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout_s) as response:
                payload = json.loads(response.read(MAX_REPLY_CHARS))
            return str(payload["choices"][0]["message"]["content"] or "")
        except urllib.error.HTTPError as exc:
            raise JudgeError(f"HTTP {exc.code} from {url}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise JudgeError(f"no answer from {url}: {exc}") from None
        except (json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
            raise JudgeError(f"unexpected reply from {url}: {type(exc).__name__}") from None
