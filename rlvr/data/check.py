"""`rlvr data check`: which evaluation rows the training files already contain (train/eval overlap).

An eval row overlaps when it shares an image with a training row, compared by a digest of the
decoded pixels: a lossless re-encoding of a picture (PNG at another compression level, a JPEG saved
as PNG, greyscale saved as RGB) still matches; a lossy one (a JPEG saved again as JPEG) changes the
pixels and does not. Or when its normalised question (NFKC, case-folded, punctuation and whitespace
collapsed) equals a training row's and one of the two rows has no image. Two image rows asking the
same question about different images do not overlap ("Is this a CT?" is asked of hundreds of
images); they are counted apart, for information.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from rlvr.data.fingerprints import digest, normalize_question, question_digest
from rlvr.data.images import ImageError, decode_image, pixel_digest

MAX_EXAMPLES = 5
ROW_BITS = 40  # a location is file id << ROW_BITS | row number
BATCH_ROWS = 64


@dataclass(frozen=True)
class OverlapExample:
    kind: str  # "image" or "question"
    train: str  # "file:row" of the training row
    eval: str  # "file:row" of the evaluation row


@dataclass
class OverlapReport:
    train_rows: int = 0
    eval_rows: int = 0
    overlapping_rows: int = 0  # eval rows overlapping for either reason
    image_rows: int = 0  # eval rows with an image that a training row has
    shared_images: int = 0  # distinct images in both
    question_rows: int = 0  # eval rows whose question a training row asks (one of the two text-only)
    same_question_other_image: int = 0  # eval image rows asking a training image row's question: not overlap
    examples: list[OverlapExample] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.overlapping_rows > 0

    def to_dict(self) -> dict:
        return {
            "train_rows": self.train_rows,
            "eval_rows": self.eval_rows,
            "overlapping_rows": self.overlapping_rows,
            "image_rows": self.image_rows,
            "shared_images": self.shared_images,
            "question_rows": self.question_rows,
            "same_question_other_image": self.same_question_other_image,
            "examples": [vars(example) for example in self.examples],
        }

    def format(self) -> str:
        lines = [
            f"train rows       {self.train_rows}",
            f"eval rows        {self.eval_rows}",
            f"overlapping      {self.overlapping_rows} eval rows",
            f"  same image     {self.image_rows} eval rows ({self.shared_images} distinct images)",
            f"  same question  {self.question_rows} eval rows (text-only on one side)",
            f"same question about another image (not overlap): {self.same_question_other_image}",
        ]
        if self.examples:
            lines.append("examples (train <- eval):")
            lines += [f"  {e.kind:<8} {e.train} <- {e.eval}" for e in self.examples]
        return "\n".join(lines)


def _question_key(question: str) -> int | None:
    """The question's digest, None when it is empty once normalised (nothing to compare)."""
    return question_digest(question) if normalize_question(question) else None


class OverlapIndex:
    """Training rows' image and question digests, and evaluation rows to match against them.

    A row is located by (file, row number), kept as one int per row so that 150k rows cost a few MB.
    """

    def __init__(self) -> None:
        self.train_rows = 0
        self._files: dict[str, int] = {}
        self._images: dict[bytes, int] = {}  # image key -> first training row with it
        self._text_questions: dict[int, int] = {}  # question of a text-only training row -> the row
        self._image_questions: dict[int, int] = {}  # question of a training row with images -> the row
        self._eval: list[tuple[int, tuple[bytes, ...], int | None]] = []

    def _location(self, file: str, row: int) -> int:
        return self._files.setdefault(file, len(self._files)) << ROW_BITS | row

    def _where(self, location: int) -> str:
        names = list(self._files)
        return f"{names[location >> ROW_BITS]}:{location & ((1 << ROW_BITS) - 1)}"

    def add_train(self, file: str, row: int, image_keys: Sequence[bytes], question: str) -> None:
        self.train_rows += 1
        location = self._location(file, row)
        for key in image_keys:
            self._images.setdefault(key, location)
        q = _question_key(question)
        if q is not None:
            (self._image_questions if image_keys else self._text_questions).setdefault(q, location)

    def add_eval(self, file: str, row: int, image_keys: Sequence[bytes], question: str) -> None:
        self._eval.append((self._location(file, row), tuple(image_keys), _question_key(question)))

    def _question_match(self, has_images: bool, q: int | None) -> int | None:
        """The training row sharing the question, when one of the two is text-only."""
        if q is None:
            return None
        if q in self._text_questions:
            return self._text_questions[q]
        return None if has_images else self._image_questions.get(q)

    def report(self) -> OverlapReport:
        report = OverlapReport(train_rows=self.train_rows, eval_rows=len(self._eval))
        shared: set[bytes] = set()
        for location, keys, q in self._eval:
            seen = [key for key in keys if key in self._images]
            shared.update(seen)
            question_match = self._question_match(bool(keys), q)
            report.image_rows += bool(seen)
            report.question_rows += question_match is not None
            report.overlapping_rows += bool(seen) or question_match is not None
            if keys and not seen and question_match is None and q in self._image_questions:
                report.same_question_other_image += 1
            matches = [("image", self._images[key]) for key in seen[:1]]
            matches += [("question", question_match)] if question_match is not None else []
            for kind, train_location in matches:
                if len(report.examples) < MAX_EXAMPLES:
                    example = OverlapExample(kind, self._where(train_location), self._where(location))
                    report.examples.append(example)
        report.shared_images = len(shared)
        return report


def expand_paths(specs: Iterable[str | Path], flag: str) -> list[Path]:
    """Parquet files named by ``specs``: files, folders (their ``*.parquet``, recursively) or globs."""
    found: list[Path] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*.parquet") if not p.name.startswith("."))
        elif path.is_file():
            matches = [path]
        else:
            matches = sorted(Path(p) for p in glob.glob(str(spec), recursive=True) if Path(p).is_file())
        if not matches:
            raise ValueError(f"{flag} {spec}: no such file, and no parquet files match it")
        found += [match for match in matches if match not in found]
    return found


class _PixelKeys:
    """Image bytes -> pixel digest, decoding each distinct encoded image once."""

    def __init__(self) -> None:
        self._memo: dict[bytes, bytes] = {}

    def __call__(self, data: bytes, where: str, number: int) -> bytes:
        raw = digest(b"raw", data)
        if raw not in self._memo:
            try:
                self._memo[raw] = pixel_digest(decode_image(data))
            except ImageError as exc:
                raise ValueError(f"{where}: image {number}: {exc}") from None
        return self._memo[raw]


def iter_rows(path: Path) -> Iterator[tuple[int, list[bytes], str]]:
    """(row number, encoded images, question) for each row of an `rlvr data` parquet file."""
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not parquet
        raise ValueError(f"{path}: not a readable parquet file ({exc})") from None
    schema = parquet.schema_arrow
    extra = schema.field("extra_info").type if "extra_info" in schema.names else None
    if "images" not in schema.names or not pa.types.is_struct(extra) or extra.get_field_index("question") < 0:
        raise ValueError(
            f"{path}: not an `rlvr data` parquet file: it needs the columns 'images' and "
            "'extra_info.question' (write it with `rlvr data prepare`)"
        )
    index = 0
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=["images", "extra_info"]):
            for row in batch.to_pylist():
                images = [image["bytes"] for image in row["images"] or [] if image and image.get("bytes")]
                yield index, images, str((row["extra_info"] or {}).get("question") or "")
                index += 1
    except (OSError, pa.ArrowException, TypeError) as exc:
        raise ValueError(f"{path}: unreadable after row {index} ({exc})") from None


def find_overlap(train_paths: Iterable[str | Path], eval_paths: Iterable[str | Path]) -> OverlapReport:
    """Evaluation rows that the training files contain (see the module docstring); ValueError naming the
    file for bad input (no files, not parquet, not the `rlvr data` schema, an unreadable image)."""
    train_files = expand_paths(train_paths, "--train")
    eval_files = expand_paths(eval_paths, "--eval")
    both = sorted({p.resolve() for p in train_files} & {p.resolve() for p in eval_files})
    if both:
        raise ValueError(f"{both[0]} is given both as training and as evaluation data")
    index, keys = OverlapIndex(), _PixelKeys()
    for files, add in ((train_files, index.add_train), (eval_files, index.add_eval)):
        for path in files:
            for row, images, question in iter_rows(path):
                where = f"{path}:{row}"
                add(
                    str(path), row, [keys(data, where, k) for k, data in enumerate(images, start=1)], question
                )
    return index.report()
