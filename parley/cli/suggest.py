"""`parley suggest`: the articles to label next, exported as pre-annotated tasks (docs/labeling_loop.md)."""

from __future__ import annotations

import argparse
from pathlib import Path


def _cmd_suggest(args: argparse.Namespace) -> int:
    from parley.formats.writers import check_output
    from parley.inference.extractor import EventExtractor
    from parley.inference.news_io import iter_records
    from parley.inference.suggest import suggest
    from parley.inference.suggest_export import model_version, write_suggestions

    if args.n < 1:
        raise ValueError(f"--n must be at least 1, got {args.n}")
    check_output(args.output, folder=args.format == "brat", overwrite=args.overwrite)
    documents = []
    for record in iter_records(args.input):
        if record.error is not None:
            where = f"{record.file}:{record.line}" if record.line is not None else record.file
            article = f"article {record.id!r}: " if record.id is not None else ""  # a line that is not JSON has none
            raise ValueError(f"{where}: {article}{record.error}")
        documents.append(record.article)
    if not documents:
        raise ValueError(f"{args.input}: no articles to choose from")
    extractor = EventExtractor.from_pretrained(args.model, device=args.device)
    chosen = suggest(extractor, documents, args.n, batch_size=args.batch_size, max_overlap=args.max_overlap)
    written = write_suggestions(chosen, args.output, args.format, model_version(args.model), extractor.schema)
    events = sum(len(s.extraction.events) for s in chosen)
    print(f"{len(chosen)} of {len(documents)} articles to label, {events} predicted events on them: {written}")
    return 0


def add_commands(commands: argparse._SubParsersAction, debug: argparse.ArgumentParser) -> None:
    suggest = commands.add_parser(
        "suggest",
        parents=[debug],
        help="pick the unlabeled articles the model is least sure of and export them pre-annotated for labeling",
    )
    suggest.add_argument("--model", required=True, help="model folder written by parley train")
    suggest.add_argument(
        "--input", required=True, help="unlabeled articles: .jsonl, .jsonl.gz, .csv, .parquet or a folder of .txt"
    )
    suggest.add_argument("--n", type=int, default=50, help="how many articles to pick (default 50)")
    suggest.add_argument(
        "--output", required=True, type=Path, help="Label Studio: a .json task file; brat: a folder of .txt/.ann pairs"
    )
    suggest.add_argument("--format", choices=("labelstudio", "brat"), default="labelstudio")
    suggest.add_argument(
        "--max-overlap",
        type=float,
        default=0.5,
        help="pass over an article whose word 3-shingles overlap a picked one's this much (Jaccard; default 0.5)",
    )
    suggest.add_argument("--batch-size", type=int, default=32, help="sentences per forward pass")
    suggest.add_argument("--device", default=None, help="cpu, cuda, ... (default: GPU if there is one)")
    suggest.add_argument("--overwrite", action="store_true", help="replace an existing output instead of refusing")
    suggest.set_defaults(run=_cmd_suggest)
