"""The optional judge against a local stub OpenAI-compatible server: answers, failures, timeouts, cache."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from eval_fixtures import ScriptedGenerator, write_vqa_rad

from rlvr.eval.config import JudgeConfig, parse_overrides
from rlvr.eval.judge import CORRECT, INCORRECT, JUDGE_ERROR, Judge, JudgeError, parse_verdict
from rlvr.eval.runner import run_eval


class StubServer:
    """``/v1/chat/completions`` on 127.0.0.1: replies with ``reply``, or fails with ``status``, or sleeps."""

    def __init__(self):
        self.reply, self.status, self.delay, self.requests = "correct", 200, 0.0, []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append((self.path, dict(self.headers), body))
                time.sleep(stub.delay)
                payload = json.dumps({"choices": [{"message": {"content": stub.reply}}]}).encode()
                self.send_response(stub.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.close()


def make_judge(stub, tmp_path, **overrides) -> Judge:
    settings = JudgeConfig(base_url=stub.url, model="judge-x", api_key_env="MEDRLVR_TEST_KEY", timeout_s=2.0,
                           max_retries=2, backoff_s=0.0, **overrides)  # fmt: skip
    return Judge(settings, tmp_path / "cache.jsonl", sleep=lambda s: None)


def test_verdicts_are_asked_once_and_cached_on_disk(stub, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDRLVR_TEST_KEY", "secret-key")
    judge = make_judge(stub, tmp_path)
    assert judge.verdict("Where?", "right lung", "the right lung") == CORRECT
    path, headers, body = stub.requests[0]
    assert path == "/v1/chat/completions" and body["model"] == "judge-x" and body["temperature"] == 0
    assert headers["Authorization"] == "Bearer secret-key"
    assert "right lung" in body["messages"][0]["content"]
    assert judge.verdict("Where?", "right lung", "the right lung") == CORRECT
    assert len(stub.requests) == 1
    again = make_judge(stub, tmp_path)  # a new run reads the cache file
    assert again.verdict("Where?", "right lung", "the right lung") == CORRECT and len(stub.requests) == 1
    stub.reply = "Incorrect."
    assert again.verdict("Where?", "right lung", "left lung") == INCORRECT and len(stub.requests) == 2


def test_the_cache_key_includes_the_judge_model(stub, tmp_path):
    make_judge(stub, tmp_path).verdict("Q", "ref", "ans")
    other = Judge(JudgeConfig(base_url=stub.url, model="judge-y", backoff_s=0.0), tmp_path / "cache.jsonl")
    other.verdict("Q", "ref", "ans")
    assert len(stub.requests) == 2


def test_a_failing_judge_is_a_judge_error_after_bounded_retries_never_wrong(stub, tmp_path):
    stub.status = 500
    judge = make_judge(stub, tmp_path)
    assert judge.verdict("Q", "ref", "ans") == JUDGE_ERROR
    assert len(stub.requests) == 3  # one try + max_retries=2
    assert "HTTP 500" in judge.errors[0]
    stub.status = 200  # an error is not cached: the next run asks again
    assert judge.verdict("Q", "ref", "ans") == CORRECT


def test_a_timeout_is_a_judge_error(stub, tmp_path):
    stub.delay = 1.5
    judge = make_judge(stub, tmp_path, cache=None)
    judge.settings.timeout_s = 0.3
    judge.settings.max_retries = 0
    started = time.monotonic()
    assert judge.verdict("Q", "ref", "ans") == JUDGE_ERROR
    assert time.monotonic() - started < 1.4
    assert "no answer" in judge.errors[0]


def test_backoff_doubles_between_retries(stub, tmp_path):
    stub.status = 503
    waits = []
    settings = JudgeConfig(base_url=stub.url, model="m", max_retries=3, backoff_s=0.5)
    Judge(settings, tmp_path / "c.jsonl", sleep=waits.append).verdict("Q", "r", "a")
    assert waits == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(("reply", "verdict"), [("correct", CORRECT), ("Correct.", CORRECT),
                                                ("INCORRECT", INCORRECT), ("The answer is wrong", INCORRECT),
                                                ("not correct", INCORRECT)])  # fmt: skip
def test_parse_verdict(reply, verdict):
    assert parse_verdict(reply) == verdict


def test_a_reply_without_a_verdict_is_an_error():
    with pytest.raises(JudgeError, match="no verdict"):
        parse_verdict("I am not sure about this one")


def test_a_run_reports_rule_only_and_judged_numbers_and_counts_judge_errors(stub, tmp_path):
    write_vqa_rad(tmp_path / "data", closed=2, open_=2, train=0)
    stub.status = 500  # the judge is down: open rows get judge_error, never "wrong"
    cfg = parse_overrides([
        f"output_dir={tmp_path / 'out'}", f"data_root={tmp_path / 'data'}", "model=tiny", "suite=vqa_rad",
        f"judge.base_url={stub.url}", "judge.model=m", "judge.max_retries=1", "judge.backoff_s=0",
    ])  # fmt: skip
    answers = lambda row: "right lung" if "organ" in row["prompt"][0]["content"] else "yes"  # noqa: E731
    metrics = run_eval(cfg, generator_factory=lambda *a: ScriptedGenerator(answers))["vqa_rad"]
    assert metrics["open"]["accuracy"] == 1.0  # the rule-only number stands beside the judged one
    assert metrics["judged"]["judge_errors"] == 2 and metrics["judged"]["n"] == 2
    assert metrics["judge_calls"] == 4 and "HTTP 500" in metrics["judge_error_messages"][0]
