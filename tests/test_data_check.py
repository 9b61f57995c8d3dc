"""`rlvr data check` / find_overlap: re-encoded images and re-cased questions found, bad input named."""

from __future__ import annotations

import io
import string

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from data_pipeline_fixtures import image_bytes
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from rlvr.data.check import find_overlap
from rlvr.data.cli import main as data_main
from rlvr.data.fingerprints import normalize_question
from rlvr.data.io import write_parquet_files
from rlvr.data.schema import Sample, build_row
from rlvr.data.templates import get_template


def write_set(path, rows: list[tuple[str, list[bytes]]]) -> str:
    """A parquet of (question, images) rows in the `rlvr data` schema."""
    template = get_template("think_answer")
    built = [
        build_row(Sample("t", question, "yes", "closed", images=images), template, "train", i)
        for i, (question, images) in enumerate(rows)
    ]
    write_parquet_files({path: (built, {})})
    return str(path)


def reencode(data: bytes, fmt: str, mode: str | None = None, **save) -> bytes:
    image = Image.open(io.BytesIO(data))
    image = image.convert(mode) if mode else image
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


TRAIN = [(f"Is there a lesion in image {i}?", [image_bytes(i)]) for i in range(6)] + [
    ("What is the first-line treatment of status epilepticus?", []),
]


@pytest.fixture
def train_file(tmp_path):
    return write_set(tmp_path / "train.parquet", TRAIN)


LOSSLESS = {
    "png_other_compression": lambda data: reencode(data, "PNG", compress_level=9),
    "png_as_bmp": lambda data: reencode(data, "BMP"),
    "png_as_tiff": lambda data: reencode(data, "TIFF"),
    "rgb_as_rgba_png": lambda data: reencode(data, "PNG", mode="RGBA"),
}


@pytest.mark.parametrize("recode", sorted(LOSSLESS))
def test_reencoded_image_is_found(tmp_path, train_file, recode):
    copy = LOSSLESS[recode](TRAIN[2][1][0])
    assert copy != TRAIN[2][1][0]
    eval_file = write_set(tmp_path / "eval.parquet", [("A different question?", [copy])])
    report = find_overlap([train_file], [eval_file])
    assert (report.overlapping_rows, report.image_rows, report.shared_images) == (1, 1, 1)
    assert report.examples[0].kind == "image"
    assert report.examples[0].train == f"{train_file}:2" and report.examples[0].eval == f"{eval_file}:0"


def test_jpeg_saved_as_png_matches_the_jpeg(tmp_path):
    jpeg = image_bytes(3, fmt="JPEG")
    train = write_set(tmp_path / "t.parquet", [("q1", [jpeg]), ("q2", [image_bytes(4)])])
    evaluation = write_set(tmp_path / "e.parquet", [("q3", [reencode(jpeg, "PNG")])])
    assert find_overlap([train], [evaluation]).image_rows == 1


def test_greyscale_and_rgb_copies_match(tmp_path):
    grey = image_bytes(5, mode="L")
    train = write_set(tmp_path / "t.parquet", [("q1", [grey])])
    evaluation = write_set(tmp_path / "e.parquet", [("q2", [reencode(grey, "PNG", mode="RGB")])])
    assert find_overlap([train], [evaluation]).image_rows == 1


@pytest.mark.parametrize(
    "variant",
    [
        "WHAT IS THE FIRST-LINE TREATMENT OF STATUS EPILEPTICUS?",
        "what is the first line treatment of status epilepticus",
        "  What is the first‑line   treatment of\tstatus epilepticus ?? ",  # non-breaking hyphen, tabs
        "Ｗhat is the first-line treatment of status epilepticus?",  # full-width W (NFKC)
    ],
)
def test_recased_text_question_is_found(tmp_path, train_file, variant):
    eval_file = write_set(tmp_path / "eval.parquet", [(variant, [])])
    report = find_overlap([train_file], [eval_file])
    assert (report.overlapping_rows, report.question_rows, report.image_rows) == (1, 1, 0)
    assert report.examples[0].kind == "question" and report.examples[0].train == f"{train_file}:6"


def test_text_eval_row_matching_an_image_rows_question_is_overlap(tmp_path, train_file):
    eval_file = write_set(tmp_path / "eval.parquet", [("is there a LESION in image 1", [])])
    assert find_overlap([train_file], [eval_file]).question_rows == 1


def test_same_question_about_another_image_is_not_overlap(tmp_path, train_file):
    eval_file = write_set(tmp_path / "eval.parquet", [("Is there a lesion in image 1?", [image_bytes(99)])])
    report = find_overlap([train_file], [eval_file])
    assert not report.found and report.same_question_other_image == 1


def test_clean_sets_and_lossy_copies(tmp_path, train_file):
    lossy = reencode(TRAIN[0][1][0], "JPEG", quality=70)  # changes the pixels: documented as not matched
    eval_file = write_set(
        tmp_path / "eval.parquet", [("New?", [image_bytes(50)]), ("Other?", [lossy]), ("", [])]
    )
    report = find_overlap([train_file], [eval_file])
    assert not report.found and report.eval_rows == 3 and report.train_rows == len(TRAIN)


def test_cli_exit_codes_folders_and_globs(tmp_path, train_file, capsys):
    evals = tmp_path / "evals"
    evals.mkdir()
    write_set(evals / "clean.parquet", [("New?", [image_bytes(70)])])
    assert data_main(["check", "--train", train_file, "--eval", str(evals)]) == 0
    assert "overlapping      0 eval rows" in capsys.readouterr().out

    write_set(evals / "dirty.parquet", [("Fresh?", [TRAIN[4][1][0]])])
    assert data_main(["check", "--train", str(tmp_path / "t*.parquet"), "--eval", str(evals)]) == 1
    out = capsys.readouterr().out
    assert (
        "overlapping      1 eval rows" in out
        and f"image    {train_file}:4 <- {evals / 'dirty.parquet'}:0" in out
    )


def _bad_inputs(tmp_path, train_file):
    not_parquet = tmp_path / "notes.parquet"
    not_parquet.write_text("hello")
    other_schema = tmp_path / "other.parquet"
    pq.write_table(pa.table({"question": ["q"]}), other_schema)
    broken_image = write_set(tmp_path / "broken.parquet", [("q", [b"\x89PNG\r\n\x1a\n truncated"])])
    return [
        ([str(tmp_path / "missing.parquet")], "no such file, and no parquet files match it"),
        ([str(tmp_path / "nothing*.parquet")], "no parquet files match it"),
        ([str(not_parquet)], f"{not_parquet}: not a readable parquet file"),
        ([str(other_schema)], f"{other_schema}: not an `rlvr data` parquet file"),
        ([broken_image], f"{broken_image}:0: image 1: not a readable image"),
        ([train_file], "is given both as training and as evaluation data"),
    ]


def test_bad_input_exits_2_naming_the_file(tmp_path, train_file, capsys):
    for eval_paths, message in _bad_inputs(tmp_path, train_file):
        assert data_main(["check", "--train", train_file, "--eval", *eval_paths]) == 2, message
        err = capsys.readouterr().err
        assert message in err and "BytesIO" not in err, err
        with pytest.raises(ValueError, match="."):
            find_overlap([train_file], eval_paths)


LETTERS = string.ascii_letters + string.digits + "éüßçñøæœαβγδλωабвгджяЖ是否有没对不正常异肝脾"
WORDS = st.text(alphabet=LETTERS, min_size=1, max_size=12)
SEPARATORS = st.text(alphabet=" \t\n.,;:!?-_()\u00a0\u3000", min_size=1, max_size=4)


@given(st.lists(WORDS, min_size=1, max_size=8), st.lists(SEPARATORS, min_size=8, max_size=8))
def test_normalisation_ignores_case_spacing_and_punctuation(words, separators):
    plain = " ".join(words)
    noisy = "".join(word + sep for word, sep in zip(words, separators, strict=False))
    assert normalize_question(noisy.upper()) == normalize_question(plain.lower()) == normalize_question(plain)
