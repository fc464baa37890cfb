"""`parley predict --format events`: a predict run whose output is the event table (docs/event_table.md).

The run writes the full extractions to `OUT.extractions.jsonl` as any JSONL run does (with its rejects,
state and resume beside it), then codes them into the event table `OUT` (.csv, .tsv, .parquet or .jsonl).
Keeping the extractions means a resumed run picks up where it stopped and the table can be rebuilt with
another actor dictionary (`parley events table OUT.extractions.jsonl --actors ...`) without the model.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from parley.inference.actors import ActorCoder
from parley.inference.batch import PredictOptions, predict_file
from parley.inference.event_table import EventTable, model_version
from parley.inference.event_table_io import table_format, write_event_table
from parley.inference.extraction_records import read_extractions
from parley.inference.run_state import PredictSummary, side_path
from parley.model.configuration import ParleyConfig


def predict_events(options: PredictOptions, actors: str | None = None, extractor=None) -> PredictSummary:
    """Run the model over `options.input` and write the event table to `options.output`."""
    output = Path(options.output)
    table_format(output)  # a bad suffix is refused before the model loads
    if options.dyads or options.shard:
        raise ValueError("--format events: leave out --dyads and --shard (merge shard JSONL, then parley events table)")
    if output.exists() and not (options.overwrite or options.resume):
        raise ValueError(f"{output}: exists; add --overwrite to replace it or --resume to finish it")
    schema = ParleyConfig.from_pretrained(options.model).schema_obj
    coder = ActorCoder(actors, schema=schema)  # a bad actor dictionary is refused before the model runs
    extractions = side_path(output, "extractions.jsonl")
    summary = predict_file(replace(options, output=str(extractions), format="jsonl"), extractor=extractor)
    table = EventTable(schema, coder, model_version(options.model))
    summary.rows = write_event_table(read_extractions(extractions), output, table=table)
    summary.output = output
    return summary
