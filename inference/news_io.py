"""Read news dumps to predict on (JSONL/JSONL.gz, CSV, Parquet, a folder of .txt) and encode what is written.

Every input record gets an index (its 0-based position among the input's records, blank JSONL lines not
counted) and a line: the file line for JSONL, the row as a spreadsheet numbers it for CSV (header = 1),
the 1-based row for Parquet, none for a .txt file. A record is valid when it is an object whose `text` is
a string; an empty text is a valid article with no events. Optional `id` (string or integer; missing ->
`<file stem>:<line>`), `date` (ISO 8601 date or date-time), `source` and `url` (strings) pass through; any
other field is kept as the `Document`'s metadata. A record that breaks these rules is returned with its
reason so the caller can reject it and go on.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from parley.documents import DOCUMENT_FIELDS, Document
from parley.inference.dyads import DYAD_COLUMNS, FLOAT_COLUMNS, INTEGER_COLUMNS
from parley.inference.time_resolution import parse_publication_date

INPUT_SUFFIXES = (".jsonl.gz", ".jsonl", ".csv", ".parquet")
# Rows per Parquet row group: fixed, so that a merged or resumed file is split exactly like a single run's.
ROW_GROUP_ROWS = 50_000


@dataclass
class InputRecord:
    """One input record: a valid article, or the reason it was rejected."""

    index: int
    line: int | None
    file: str
    id: str | None
    article: Document | None = None
    error: str | None = None
    # Input read up to the end of this record, in the unit of `input_extent` (bytes, or records for Parquet).
    position: int | None = field(default=None, compare=False)

    def reject(self) -> dict[str, Any]:
        """The rejects-file entry of this record."""
        return {"index": self.index, "file": self.file, "line": self.line, "id": self.id, "reason": self.error}


def input_format(path: str | Path) -> str:
    """ "jsonl", "csv", "parquet" or "txt" (a folder of .txt files) for an input path."""
    path = Path(path)
    if path.is_dir():
        return "txt"
    name = path.name.lower()
    for suffix in INPUT_SUFFIXES:
        if name.endswith(suffix):
            return "jsonl" if suffix.startswith(".jsonl") else suffix[1:]
    raise ValueError(f"{path}: unsupported input; expected .jsonl, .jsonl.gz, .csv, .parquet or a folder of .txt files")


def input_stem(path: str | Path) -> str:
    """The file name without its input suffix ("dump.jsonl.gz" -> "dump"), used in default ids."""
    name = Path(path).name
    for suffix in INPUT_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def iter_records(
    path: str | Path, start: int = 0, shard: tuple[int, int] | None = None, block: int = 1
) -> Iterator[InputRecord]:
    """Records of an input from index `start` on; for `shard=(i, n)` only blocks of `block` consecutive
    records whose block number % n == i (block 1: index % n == i).

    Records before `start` or outside the shard are counted but not parsed, so skipping is cheap.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    readers = {"jsonl": _jsonl_raw, "csv": _csv_raw, "parquet": _parquet_raw, "txt": _txt_raw}
    stem = input_stem(path)
    for index, line, file, raw, position in readers[input_format(path)](path):
        if index < start or (shard is not None and (index // block) % shard[1] != shard[0]):
            continue
        default_id = stem if line is None else f"{stem}:{line}"
        record = validate_record(raw() if callable(raw) else raw, index, line, file, default_id)
        yield replace(record, position=position)


def input_extent(path: str | Path) -> tuple[int | None, str]:
    """How much input there is to read, and in what unit: bytes for files and .txt folders, records for Parquet."""
    path = Path(path)
    fmt = input_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows, "article"
    if fmt == "txt":
        return sum(p.stat().st_size for p in _txt_files(path)), "B"
    return path.stat().st_size, "B"


def duplicate_ids(path: str | Path) -> dict[int, str]:
    """Input index -> reason, for each valid record whose id an earlier valid record of the input already has."""
    first_seen: dict[str, str] = {}
    found: dict[int, str] = {}
    for record in iter_records(path):
        if record.article is None:
            continue
        article_id = record.article.id
        if article_id in first_seen:
            found[record.index] = f"duplicate id {article_id!r} (first at {first_seen[article_id]})"
        else:
            first_seen[article_id] = f"line {record.line}" if record.line is not None else record.file
    return found


def validate_record(raw: Any, index: int, line: int | None, file: str, default_id: str) -> InputRecord:
    """Check one raw record (a dict, or an `InputRecord` error already) and normalise its fields."""
    if isinstance(raw, InputRecord):
        return raw
    if not isinstance(raw, dict):
        return InputRecord(index, line, file, None, error=f"expected a JSON object, got {type(raw).__name__}")
    article_id = raw.get("id")
    if isinstance(article_id, int) and not isinstance(article_id, bool):
        article_id = str(article_id)
    elif article_id is not None and not isinstance(article_id, str):
        return InputRecord(
            index, line, file, default_id, error=f"'id' must be a string or an integer, got {type(article_id).__name__}"
        )
    article_id = article_id if article_id not in (None, "") else default_id

    def fail(reason: str) -> InputRecord:
        return InputRecord(index, line, file, article_id, error=reason)

    if "text" not in raw or raw["text"] is None:
        return fail("missing 'text'")
    if not isinstance(raw["text"], str):
        return fail(f"'text' must be a string, got {type(raw['text']).__name__}")
    found: dict[str, str | None] = {"date": None, "source": None, "url": None}
    value = raw.get("date")
    if isinstance(value, datetime | date):
        value = value.isoformat()
    if value not in (None, ""):
        if not isinstance(value, str) or parse_publication_date(value) is None:
            return fail(f"'date' must be an ISO 8601 date (YYYY-MM-DD), got {value!r}")
        found["date"] = value
    for key in ("source", "url"):
        value = raw.get(key)
        if value not in (None, ""):
            if not isinstance(value, str):
                return fail(f"'{key}' must be a string, got {type(value).__name__}")
            found[key] = value
    metadata = {key: value for key, value in raw.items() if key not in DOCUMENT_FIELDS}
    article = Document(id=article_id, text=raw["text"], **found, metadata=metadata)
    return InputRecord(index, line, file, article_id, article=article)


# -- raw readers: (index, line, file, raw record or a thunk that parses it, position) ------------------------------


def _jsonl_raw(path: Path) -> Iterator[tuple[int, int | None, str, Any, int | None]]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    file = str(path)
    index = 0
    # Binary lines: a bad byte rejects one line instead of stopping the stream, and only "\n" ends a line.
    with opener(path, "rb") as handle:
        # The compressed bytes read so far for .gz (what the input size counts), else the file offset.
        raw_handle = getattr(handle, "fileobj", None)
        position = 0
        for line_number, data in enumerate(handle, start=1):
            position = raw_handle.tell() if raw_handle is not None else position + len(data)
            if line_number == 1 and data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8) :]  # a byte-order mark some editors write; not part of the JSON
            if not data.strip():
                continue

            def parse(data: bytes = data, line_number: int = line_number, index: int = index) -> Any:
                try:
                    return json.loads(data.decode("utf-8"))
                except UnicodeDecodeError:
                    return InputRecord(index, line_number, file, None, error="not UTF-8 text")
                except json.JSONDecodeError as err:
                    return InputRecord(
                        index, line_number, file, None, error=f"not valid JSON ({err.msg} at column {err.colno})"
                    )

            yield index, line_number, file, parse, position
            index += 1


def _csv_raw(path: Path) -> Iterator[tuple[int, int | None, str, Any, int | None]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # article texts outgrow the 128 KiB default
    file = str(path)
    # surrogateescape: a bad byte rejects its row (it shows up as a lone surrogate) instead of the whole file.
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "text" not in reader.fieldnames:
            raise ValueError(f"{path}: no 'text' column; columns are {reader.fieldnames or []}")
        index = 0
        for row in reader:
            line = index + 2  # the header is row 1
            # The buffered byte offset: ahead of the row by at most a read block, close enough for a progress bar.
            position = handle.buffer.tell()
            fields = {k: v for k, v in row.items() if k in DOCUMENT_FIELDS}
            if any(isinstance(v, str) and _has_surrogates(v) for v in fields.values()):
                fields = InputRecord(index, line, file, None, error="not UTF-8 text")
            elif None in row:
                fields = InputRecord(
                    index, line, file, None, error=f"{len(row[None])} more field(s) than the header has"
                )
            yield index, line, file, fields, position
            index += 1


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _parquet_raw(path: Path) -> Iterator[tuple[int, int | None, str, Any, int | None]]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    names = parquet.schema_arrow.names
    if "text" not in names:
        raise ValueError(f"{path}: no 'text' column; columns are {names}")
    columns = [name for name in DOCUMENT_FIELDS if name in names]
    index = 0
    for batch in parquet.iter_batches(batch_size=1024, columns=columns):
        for row in batch.to_pylist():
            yield index, index + 1, str(path), row, index + 1
            index += 1


def _txt_files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".txt")


def _txt_raw(path: Path) -> Iterator[tuple[int, int | None, str, Any, int | None]]:
    position = 0
    for index, file in enumerate(_txt_files(path)):

        def read(file: Path = file, index: int = index) -> Any:
            try:
                text = file.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError:
                return InputRecord(index, None, str(file), file.stem, error="not UTF-8 text")
            return {"id": file.stem, "text": text}

        position += file.stat().st_size
        yield index, None, str(file), read, position


# -- encoding what is written --------------------------------------------------------------------------------------


def json_line(value: Any) -> bytes:
    """One JSON Lines line, non-ASCII text kept readable."""
    return (json.dumps(value, ensure_ascii=False) + "\n").encode("utf-8")


def csv_header() -> bytes:
    """The header line of a dyads CSV."""
    return csv_rows([{column: column for column in DYAD_COLUMNS}])


def csv_rows(rows: Iterable[dict[str, Any]]) -> bytes:
    """Dyad rows as CSV lines ("\\n"-terminated, minimal quoting)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in DYAD_COLUMNS])
    return buffer.getvalue().encode("utf-8")


def dyad_arrow_schema():
    """The Arrow schema of dyad rows in Parquet."""
    import pyarrow as pa

    def kind(column: str):
        if column in INTEGER_COLUMNS:
            return pa.int64()
        return pa.float64() if column in FLOAT_COLUMNS else pa.string()

    return pa.schema([(column, kind(column)) for column in DYAD_COLUMNS])


class ParquetRowWriter:
    """Write dict rows to Parquet in row groups of exactly `ROW_GROUP_ROWS` rows (the last one shorter)."""

    def __init__(self, path: str | Path, row_group_rows: int = ROW_GROUP_ROWS):
        import pyarrow.parquet as pq

        self.schema = dyad_arrow_schema()
        self.row_group_rows = row_group_rows
        self._writer = pq.ParquetWriter(str(path), self.schema)
        self._buffer: list[dict[str, Any]] = []
        self.rows = 0

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self._buffer.append(row)
            if len(self._buffer) >= self.row_group_rows:
                self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._buffer:
            self._writer.write_table(
                pa.Table.from_pylist(self._buffer, schema=self.schema), row_group_size=self.row_group_rows
            )
            self.rows += len(self._buffer)
            self._buffer = []

    def close(self) -> None:
        self._flush()
        self._writer.close()

    def __enter__(self) -> ParquetRowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_parquet_rows(path: str | Path) -> Iterator[dict[str, Any]]:
    """The rows of a Parquet file as dicts, a batch at a time."""
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
        yield from batch.to_pylist()
