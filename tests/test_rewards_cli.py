"""``rlvr rewards score`` / ``rlvr rewards list``: summary table, malformed rows reported and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import rewards
from rewards.cli import main
from rlvr.cli.main import main as rlvr_main

DEMO = Path(rewards.__file__).parent / "samples" / "demo_responses.jsonl"


def _table(stdout: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in stdout.splitlines() if line.strip()}


def test_demo_file_scores_every_row_with_all_four_types(capsys, tmp_path):
    out = tmp_path / "scored.jsonl"
    assert main(["score", str(DEMO), "--workers", "0", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    table = _table(captured.out)
    total = sum(1 for line in DEMO.read_text().splitlines() if line.strip())
    assert table["all"][0] == str(total)
    assert {"choice", "closed", "numeric", "open"} <= set(table)
    assert captured.out.strip().endswith("malformed rows skipped: 0")
    scored = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(scored) == total
    assert all(set(row["scores"]) >= {"score", "acc", "format"} and row["error"] is None for row in scored)
    hacks = [row for row in scored if row["note"].startswith("hacking")]
    assert len(hacks) >= 10
    assert all(row["scores"]["acc"] == 0.0 for row in hacks if row["verifier"] != "open")
    assert all(row["scores"]["acc"] <= 0.5 for row in hacks)  # keyword stuffing keeps F1's partial credit


def test_malformed_rows_are_reported_with_file_and_line_and_counted(capsys, tmp_path):
    data = tmp_path / "mixed.jsonl"
    data.write_text(
        "\n".join(
            [
                json.dumps({"response": "<answer>yes</answer>", "ground_truth": "yes",
                            "extra_info": {"answer_type": "closed"}}),
                "{not json",
                json.dumps({"response": "<answer>no</answer>"}),
                "",
                json.dumps([1, 2]),
                json.dumps({"response": "r", "ground_truth": "g", "extra_info": "closed"}),
                json.dumps({"response": "<answer>no</answer>", "ground_truth": "yes",
                            "extra_info": {"answer_type": "closed"}}),
            ]
        )
    )
    assert main(["score", str(data), "--format-weight", "0"]) == 0
    captured = capsys.readouterr()
    assert f"{data}:2: skipped: not valid JSON" in captured.err
    assert f"{data}:3: skipped: missing key(s) ground_truth" in captured.err
    assert f"{data}:5: skipped: expected a JSON object, got list" in captured.err
    assert f"{data}:6: skipped: extra_info must be a JSON object or null" in captured.err
    table = _table(captured.out)
    assert table["closed"][:4] == ["2", "0.500", "0.000", "0.500"]  # n, acc, format, score (format weight 0)
    assert "malformed rows skipped: 4" in captured.out


def test_missing_file_bad_setting_and_unknown_verifier_are_clear_errors(capsys, tmp_path):
    assert main(["score", str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["score", str(DEMO), "--format-weight", "-1"]) == 2
    assert "format_weight=-1.0 must be >= 0" in capsys.readouterr().err
    assert main(["score", str(DEMO), "--workers", "0", "--verifier", "nope"]) == 2
    assert "unknown verifier 'nope'; known verifiers:" in capsys.readouterr().err
    assert main(["score", str(DEMO), "--timeout", "0"]) == 2
    assert "timeout_s=0.0 must be > 0 seconds" in capsys.readouterr().err


def test_list_shows_name_module_and_description_through_rlvr(capsys):
    assert rlvr_main(["rewards", "list"]) == 0
    rows = _table(capsys.readouterr().out)
    for name, module in [("choice", "rewards.choice"), ("closed", "rewards.closed"),
                         ("numeric", "rewards.numeric"), ("open", "rewards.open_ended")]:
        assert rows[name][0] == module
        assert len(rows[name]) > 1  # a description follows the module
