"""``reward.equivalences`` / ``reward.qualifiers``: the user's TSV tables reach every verifier, once."""

from __future__ import annotations

import pytest

from rewards import compute_score
from rewards.medical_terms import reset_equivalences
from rewards.qualifiers import reset_qualifiers
from rewards.score import RewardConfig, score_response
from rewards.term_tables import load_term_tables

OPEN = {"question": "Which agent was given?", "answer_type": "open"}


@pytest.fixture(autouse=True)
def fresh_tables(monkeypatch):
    monkeypatch.setattr("rewards.term_tables._loaded", set())
    yield
    reset_equivalences()
    reset_qualifiers()


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_an_equivalence_table_makes_a_synonym_right(tmp_path):
    table = write(tmp_path, "eq.tsv", "concept\tkind\tspellings\nzorblax\tfinding\tzorblax|quintophan\n")
    answer = "<think>.</think><answer>quintophan</answer>"
    assert compute_score(answer, "zorblax", OPEN)["acc"] == 0
    scored = score_response(answer, "zorblax", OPEN, RewardConfig(equivalences=(table,)))
    assert scored.scores["acc"] == 1


def test_a_qualifier_table_answers_a_closed_question_by_its_contradiction(tmp_path):
    """Scored once before the table is loaded: a verdict cached then must not survive the extension."""
    table = write(tmp_path, "q.tsv", "axis\tvalue\tterms\nflavour\tfrob\tfrobnic\nflavour\tblorp\tblorpic\n")
    closed = {"question": "Is the nodule frobnic?", "answer_type": "closed"}
    answer = "<think>.</think><answer>The nodule is blorpic.</answer>"
    assert compute_score(answer, "no", closed)["acc"] == 0
    assert score_response(answer, "no", closed, RewardConfig(qualifiers=(table,))).scores["acc"] == 1


def test_a_table_is_loaded_once_per_process(tmp_path, monkeypatch):
    table = write(tmp_path, "eq.tsv", "concept\tspellings\nzorblax\tzorblax|quintophan\n")
    calls = []
    monkeypatch.setattr("rewards.term_tables.extend_equivalences", lambda path: calls.append(path) or 1)
    for _ in range(3):
        load_term_tables([table], [])
    assert len(calls) == 1


@pytest.mark.parametrize("setting", ["equivalences", "qualifiers"])
def test_a_missing_file_or_a_bare_string_is_refused_naming_the_setting(tmp_path, setting):
    with pytest.raises(ValueError, match=f"{setting}.*not a file"):
        RewardConfig(**{setting: (str(tmp_path / "absent.tsv"),)})
    with pytest.raises(ValueError, match=f"{setting}=.*list of TSV file paths"):
        RewardConfig(**{setting: str(tmp_path / "absent.tsv")})


def test_a_bad_row_is_an_error_naming_the_file_and_line(tmp_path):
    table = write(tmp_path, "eq.tsv", "concept\tspellings\nzorblax\t\n")
    with pytest.raises(ValueError, match=r"reward.equivalences: .*eq.tsv:2"):
        load_term_tables([table], [])
