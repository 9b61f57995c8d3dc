"""``rlvr rewards score`` / ``explain`` / ``list``: summary table, malformed rows reported and skipped,
one score explained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rewards
from rewards.cli import main
from rewards.score import SCORE_KEYS
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


# ---- rlvr rewards explain / score --explain ----

CONFLICTING = "<think>t</think><answer>B</answer><answer>C</answer>"
LIST_OPTIONS = json.dumps({"options": ["CT", "MRI", "PET"]})


def test_explain_prints_answer_source_verifier_rules_and_every_score(capsys):
    argv = ["explain", "--response", CONFLICTING, "--ground-truth", "B", "--extra-info", LIST_OPTIONS]
    assert rlvr_main(["rewards", *argv]) == 0
    out = capsys.readouterr().out
    assert "answer:      'C'" in out
    assert "found in:    the last <answer> block" in out
    assert "verifier:    choice (inferred: the row has options)" in out
    assert "answers:     'C' | 'B' (another <answer> block)" in out
    assert "rules:       conflict: another <answer> block" in out
    assert all(f"{key}=" in out for key in SCORE_KEYS)
    assert "acc=0.000" in out


def test_explain_reads_a_jsonl_row_and_prints_json(capsys, tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(r) for r in [
        {"response": "<answer>yes</answer>", "ground_truth": "yes", "extra_info": {"answer_type": "closed"}},
        {"response": "Reasoning.\nThe answer is 4.5 cm.", "ground_truth": "45 mm", "extra_info": None},
    ]) + "\n")
    assert main(["explain", "--file", str(rows), "--line", "2", "--json"]) == 0
    explained = json.loads(capsys.readouterr().out)
    assert explained["where"] == f"{rows}:2"
    assert explained["answer"] == "4.5 cm"
    assert explained["found_in"] == "'the answer is ...' in the response"
    assert explained["verifier"] == "numeric"
    assert explained["verifier_reason"].startswith("inferred from the ground truth")
    assert explained["scores"]["acc"] == 1.0 and set(explained["scores"]) == set(SCORE_KEYS)


INLINE = ["--response", "x", "--ground-truth", "y"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([*INLINE, "--extra-info", "{bad"], "--extra-info is not valid JSON"),
        ([*INLINE, "--extra-info", "[1]"], "--extra-info must be a JSON object"),
        (["--response", "x"], "give --response and --ground-truth"),
        (["--file", "missing.jsonl"], "no such file: missing.jsonl"),
        ([*INLINE, "--extra-info", '{"verifier": "cProfile:run"}'],
         "command line: extra_info['verifier']='cProfile:run' is a dotted path"),
        ([*INLINE, "--extra-info", '{"numeric_rtol": 1e308}'],
         "a data row may set numeric_rtol to a number in [0, 0.05]"),
        ([*INLINE, "--format-weight", "-1"], "format_weight=-1.0 must be >= 0"),
    ],
)
def test_explain_mistakes_are_one_clear_line(argv, message, capsys):
    assert main(["explain", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rlvr rewards explain: ") and message in err


def test_explain_names_a_line_the_file_does_not_have(capsys, tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"response": "yes", "ground_truth": "yes"}) + "\n\n{oops\n")
    assert main(["explain", "--file", str(rows), "--line", "2"]) == 2
    assert f"{rows} has no row on line 2" in capsys.readouterr().err
    assert main(["explain", "--file", str(rows), "--line", "3"]) == 2
    assert f"{rows}:3: not valid JSON" in capsys.readouterr().err


def test_score_explain_prints_each_row_then_the_table(capsys, tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(r) for r in [
        {"response": CONFLICTING, "ground_truth": "B", "extra_info": json.loads(LIST_OPTIONS)},
        {"response": "<answer>no</answer>", "ground_truth": "yes", "extra_info": {"verifier": "a.b:c"}},
    ]) + "\n")
    assert main(["score", str(rows), "--workers", "0", "--explain", "--max-error-rate", "0.5"]) == 0
    captured = capsys.readouterr()
    assert f"== {rows}:1\nanswer:      'C'" in captured.out
    assert f"== {rows}:2\nerror: {rows}:2: extra_info['verifier']='a.b:c' is a dotted path" in captured.out
    assert f"{rows}:2: error: VerifierError" in captured.err  # a bad row is reported, not scored 0
    assert captured.out.strip().endswith("malformed rows skipped: 0")
