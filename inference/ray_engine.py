"""The Ray Data engine: a `ray.data.Dataset` of articles -> a Dataset of extractions, dyad rows or event-table rows.

The model runs in an actor pool: each actor loads the checkpoint once (`ExtractionActor`) and extracts a batch
of articles per call, the sentences of the batch sorted by length and batched together as in `parley predict`.
Rows flow between stages with fixed Arrow schemas (`ARTICLE_SCHEMA` in, `RESULT_SCHEMA` out), so that no block's
types depend on which values it happened to hold. A result row is one input record: its place in the input
(`file`, `index`, `line`), `id`, `error` (why it was rejected, else null) and `rows`, the JSON Lines of what
it gave (one JSON object per line, split on "\n" only): its one extraction record (docs/schema.md section 6), its
dyad rows or its event-table rows. They are the very lines a JSONL output holds, so that writing them costs
the one process that writes (the driver) no decoding.

Ray is the optional extra `parley[ray]`; the run over files and the output folder are in ray_run.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from parley.documents import Document
from parley.inference.checkpoint import check_runtime
from parley.inference.news_io import InputRecord, duplicate_ids, iter_records, json_line, validate_record

KINDS = ("extractions", "dyads", "events")
LOCATOR = (("file", pa.string()), ("index", pa.int64()), ("line", pa.int64()), ("id", pa.string()))
ARTICLE_SCHEMA = pa.schema([*LOCATOR, *((name, pa.string()) for name in ("error", "text", "date", "source", "url"))])
RESULT_SCHEMA = pa.schema([*LOCATOR, ("error", pa.string()), ("rows", pa.string())])
# What `file` says for rows of a caller's Dataset, which have no file or line to name them by.
DATASET_FILE = "<dataset>"
# Records per block a reading task yields by default: blocks stay small while a large file streams through.
READ_BLOCK_RECORDS = 1024


@dataclass
class EngineSettings:
    """How the model runs on Ray: the checkpoint, what each article gives, and the actor pool."""

    model: str
    kind: str = "extractions"  # one of KINDS
    batch_size: int = 64  # articles per actor call
    sentence_batch_size: int = 32  # sentences per forward pass, as `parley predict --batch-size`
    actors: int = 1  # 0: as many as the cluster has room for
    gpus_per_actor: float = 0.0
    cpus_per_actor: float = 1.0  # also the actor's torch threads (at least one)
    actor_dictionary: str | None = None  # events only: the actor dictionary (YAML or CSV)
    int8: bool = False
    dtype: str | None = None
    # "auto": static int8 on ONNX Runtime in CPU actors, torch in GPU ones; "torch"; "onnx" (CPU; docs/onnx.md).
    runtime: str = "auto"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: expected one of {KINDS}, got {self.kind!r}")
        for name in ("batch_size", "sentence_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected at least 1, got {getattr(self, name)}")
        if self.actors < 0:
            raise ValueError(f"actors: expected 0 (fill the cluster) or more, got {self.actors}")
        if self.gpus_per_actor < 0 or self.cpus_per_actor <= 0:
            raise ValueError("gpus_per_actor must be >= 0 and cpus_per_actor > 0")
        # Here, on the driver, rather than in every actor of the cluster.
        check_runtime(self.runtime, "cuda" if self.gpus_per_actor > 0 else "cpu", self.dtype)
        if self.actor_dictionary is not None and self.kind != "events":
            raise ValueError("an actor dictionary codes event-table rows: it needs kind='events'")


def extract_dataset(articles, settings: EngineSettings):
    """Map a Dataset of articles (a `text` and an `id` each; `date`, `source`, `url` optional) to result rows.

    A row that breaks the input rules of parley.inference.news_io comes out with its `error` and no `rows`.
    """
    return extract_records(articles.map_batches(_records_from_rows, batch_format="pyarrow"), settings)


def extract_records(records, settings: EngineSettings):
    """Map a Dataset of `ARTICLE_SCHEMA` rows to `RESULT_SCHEMA` rows through a pool of `ExtractionActor`s."""
    from ray.data import ActorPoolStrategy

    return records.map_batches(
        ExtractionActor,
        fn_constructor_kwargs={"settings": settings},
        batch_size=settings.batch_size,
        batch_format="pyarrow",
        compute=ActorPoolStrategy(size=pool_size(settings)),
        num_cpus=settings.cpus_per_actor,
        num_gpus=settings.gpus_per_actor,
    )


def pool_size(settings: EngineSettings) -> int:
    """The number of actors: as set, or for 0 as many as the connected cluster has CPUs (GPUs) for."""
    if settings.actors:
        return settings.actors
    import ray

    resource, each = ("GPU", settings.gpus_per_actor) if settings.gpus_per_actor else ("CPU", settings.cpus_per_actor)
    fits = int(ray.cluster_resources().get(resource, 0) // each)
    if fits < 1:
        raise ValueError(f"the Ray cluster has no room for one actor of {each} {resource}(s)")
    return fits


class ExtractionActor:
    """One model replica: loads the checkpoint once, then turns batches of article rows into result rows."""

    def __init__(self, settings: EngineSettings):
        import torch

        from parley.inference.extractor import EventExtractor

        torch.set_num_threads(max(1, int(settings.cpus_per_actor)))
        # Ray gives a GPU actor its own CUDA_VISIBLE_DEVICES, so "cuda" is that GPU.
        device = "cuda" if settings.gpus_per_actor > 0 else "cpu"
        self.extractor = EventExtractor.from_pretrained(
            settings.model, device=device, int8=settings.int8, dtype=settings.dtype, runtime=settings.runtime
        )
        self.batch_size = settings.sentence_batch_size
        self.rows_of = _row_maker(settings, self.extractor.schema)

    def __call__(self, batch: pa.Table) -> pa.Table:
        records = batch.to_pylist()
        documents = [
            Document(r["id"], r["text"], r["date"], r["source"], r["url"]) for r in records if r["error"] is None
        ]
        extractions = iter(self.extractor.extract(documents, batch_size=self.batch_size))
        results = []
        for record in records:
            rows = None
            if record["error"] is None:
                rows = "".join(json_line(row).decode("utf-8") for row in self.rows_of(next(extractions)))
            results.append({**{name: record[name] for name, _ in LOCATOR}, "error": record["error"], "rows": rows})
        return pa.Table.from_pylist(results, schema=RESULT_SCHEMA)


def _row_maker(settings: EngineSettings, schema) -> Callable[[Any], list[dict[str, Any]]]:
    """What one extraction gives, as a list of JSON-ready rows."""
    if settings.kind == "dyads":
        from parley.inference.dyads import event_rows

        return lambda extraction: event_rows(extraction, schema)
    if settings.kind == "events":
        from parley.inference.actors import ActorCoder
        from parley.inference.event_table import EventTable, model_version

        coder = ActorCoder(settings.actor_dictionary, schema=schema)
        return EventTable(schema, coder, model_version(settings.model)).rows
    return lambda extraction: [extraction.to_record()]


# -- article rows ----------------------------------------------------------------------------------------------


def read_input_files(batch: pa.Table, block_records: int = READ_BLOCK_RECORDS) -> Iterator[pa.Table]:
    """The article rows of each input file named in `batch["file"]`, read as `parley predict` reads them.

    A file that cannot be read at all (no `text` column, unsupported, gone) becomes one rejected row naming it,
    so that one bad file does not stop a run over thousands.
    """
    for path in batch.column("file").to_pylist():
        yield from _file_article_tables(path, block_records)


def _file_article_tables(path: str, block_records: int) -> Iterator[pa.Table]:
    rows: list[dict[str, Any]] = []
    try:
        # Duplicate ids are found over the whole file first, as `parley predict` does.
        duplicates = duplicate_ids(path)
        for record in iter_records(path):
            if record.article is not None and record.index in duplicates:
                record = replace(record, article=None, error=duplicates[record.index])
            rows.append(_article_row(record))
            if len(rows) == block_records:
                yield pa.Table.from_pylist(rows, schema=ARTICLE_SCHEMA)
                rows = []
    except (ValueError, OSError) as err:
        rows.append(_article_row(InputRecord(None, None, path, None, error=f"unreadable file: {err}")))
    yield pa.Table.from_pylist(rows, schema=ARTICLE_SCHEMA)


def _records_from_rows(batch: pa.Table) -> pa.Table:
    rows = []
    for raw in batch.to_pylist():
        record = validate_record(raw, None, None, DATASET_FILE, default_id="")
        if record.article is not None and not record.id:
            record = replace(
                record, id=None, article=None, error="missing 'id' (rows of a Dataset have no line to name them)"
            )
        rows.append(_article_row(record))
    return pa.Table.from_pylist(rows, schema=ARTICLE_SCHEMA)


def _article_row(record: InputRecord) -> dict[str, Any]:
    article = record.article
    fields = {key: getattr(article, key) if article else None for key in ("text", "date", "source", "url")}
    located = {"file": record.file, "index": record.index, "line": record.line, "id": record.id}
    return {**located, "error": record.error, **fields}
