"""Write and read event tables: CSV, TSV, Parquet or JSON Lines, chosen by the file's suffix.

Codes stay text in every format: a CAMEO code such as "040" keeps its leading zero, a COW code or a GeoNames
id is an identifier, not a number. CSV and TSV leave a missing value empty; Parquet keeps the types
(strings, int64 quad_class and sentence_number, float64 goldstein, coordinates and confidence, nulls for
missing numbers). pandas: `pd.read_parquet(path)`, or for CSV
`pd.read_csv(path, dtype=EVENT_DTYPES, keep_default_na=False, na_values=EVENT_NA_VALUES)`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from parley.inference.event_table import EVENT_COLUMNS, FLOAT_COLUMNS, INTEGER_COLUMNS, EventTable
from parley.inference.events import Extraction
from parley.schema import Schema, load_schema

TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".jsonl": "jsonl"}
# For readers that guess types from CSV text: pandas.read_csv(path, dtype=EVENT_DTYPES, keep_default_na=False,
# na_values=EVENT_NA_VALUES) keeps every code as text ("040") and reads an empty number as missing.
EVENT_DTYPES = {
    column: "Int64" if column in INTEGER_COLUMNS else "float64" if column in FLOAT_COLUMNS else "str"
    for column in EVENT_COLUMNS
}
EVENT_NA_VALUES = {column: [""] for column in (*INTEGER_COLUMNS, *FLOAT_COLUMNS)}
ROW_GROUP_ROWS = 10_000
# Integer columns of de-duplicated and aggregated tables.
COUNT_COLUMNS = ("story_count", "events", "stories")


def table_format(path: str | Path) -> str:
    """The format a table file's suffix names; any other suffix is refused."""
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise ValueError(f"{path}: name the event table .csv, .tsv, .parquet or .jsonl (got {suffix or 'no suffix'!r})")
    return TABLE_FORMATS[suffix]


def write_event_table(
    extractions: Iterable[Extraction],
    path: str | Path,
    schema: Schema | None = None,
    table: EventTable | None = None,
    model_version: str = "",
) -> int:
    """Write the event-table rows of `extractions` to `path` (format from its suffix); returns the row count."""
    table = table or EventTable(schema or load_schema(), model_version=model_version)
    return write_rows((row for extraction in extractions for row in table.rows(extraction)), path, EVENT_COLUMNS)


def write_rows(rows: Iterable[dict[str, Any]], path: str | Path, columns: Sequence[str]) -> int:
    """Write rows with `columns` to a table file; returns the row count."""
    fmt = table_format(path)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        return _write_parquet(rows, path, columns)
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
        if fmt != "jsonl":
            writer.writerow(columns)
        for row in rows:
            count += 1
            if fmt == "jsonl":
                handle.write(json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False) + "\n")
            else:
                writer.writerow([_cell(row.get(c), fmt) for c in columns])
    return count


def _cell(value: Any, fmt: str) -> Any:
    if value is None:
        return ""
    # TSV has no quoting: a tab or newline inside a sentence would start a new cell or row.
    return " ".join(str(value).split()) if fmt == "tsv" and isinstance(value, str) else value


def arrow_schema(columns: Sequence[str]):
    """The Arrow types of table columns: int64 and float64 where `INTEGER_COLUMNS`/`FLOAT_COLUMNS` say, else text."""
    import pyarrow as pa

    integers, floats = {*INTEGER_COLUMNS, *COUNT_COLUMNS}, set(FLOAT_COLUMNS)
    kinds = [pa.int64() if c in integers else pa.float64() if c in floats else pa.string() for c in columns]
    return pa.schema(list(zip(columns, kinds, strict=True)))


def _write_parquet(rows: Iterable[dict[str, Any]], path: str | Path, columns: Sequence[str]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema, count, buffer = arrow_schema(columns), 0, []
    with pq.ParquetWriter(str(path), schema) as writer:
        for row in rows:
            buffer.append({c: row.get(c) for c in columns})
            if len(buffer) == ROW_GROUP_ROWS:
                writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
                count, buffer = count + len(buffer), []
        # An empty table still gets its columns.
        writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
    return count + len(buffer)


def read_event_table(path: str | Path) -> list[dict[str, Any]]:
    """The rows of an event table (any of the formats), numbers typed and missing values None."""
    fmt = table_format(path)
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such event table")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(str(path)).to_pylist()
    if fmt == "jsonl":
        return list(_jsonl_rows(path))
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t" if fmt == "tsv" else ",")
        missing = [c for c in ("event_date", "event_type") if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: line 1: not an event table, the header lacks {missing}")
        return [_typed(row, path, line) for line, row in enumerate(reader, start=2)]


def _jsonl_rows(path: str | Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line, text in enumerate(handle, start=1):
            if text.strip():
                try:
                    yield json.loads(text)
                except json.JSONDecodeError as err:
                    raise ValueError(f"{path}:{line}: not valid JSON: {err.msg}") from err


def _typed(row: dict[str, str], path: str | Path, line: int) -> dict[str, Any]:
    typed: dict[str, Any] = dict(row)
    for column, kind in [(c, int) for c in (*INTEGER_COLUMNS, *COUNT_COLUMNS)] + [(c, float) for c in FLOAT_COLUMNS]:
        value = row.get(column)
        if value is None:
            continue
        try:
            typed[column] = kind(value) if value != "" else None
        except ValueError as err:
            raise ValueError(f"{path}:{line}: column {column}: expected a number, got {value!r}") from err
    return typed


def table_text(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as tab-separated text with a header (what `parley events aggregate` prints)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if row.get(c) is None else row.get(c) for c in columns] for row in rows])
    return buffer.getvalue()
