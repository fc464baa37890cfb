"""`parley evaluate`, `parley predict` and `parley merge`: commands that run a trained model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from parley.cli.ray_predict import run_ray_predict


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from parley.inference.evaluate import evaluate

    json_path = _writable_file(args.json, "--json") if args.json else None
    scores = evaluate(
        args.model,
        args.data,
        batch_size=args.batch_size,
        device=args.device,
        runtime=args.runtime,
        int8=args.int8,
        dtype=args.dtype,
    )
    print(scores.format_table())
    if json_path is not None:
        json_path.write_text(json.dumps(scores.to_dict(), indent=2), encoding="utf-8")
        print(f"scores written to {json_path}")
    return 0


def _writable_file(path: str, option: str) -> Path:
    """A file path the command will write at its end, checked now so that no work is lost at the end."""
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"{option} {path}: is a folder; name a file")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _cmd_predict(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        return run_ray_predict(args)
    from parley.inference.batch import PredictOptions, predict_file
    from parley.inference.shards import parse_shard, shard_output_path

    shard = parse_shard(args.shard)
    output = args.output
    if args.shard == "auto" and shard is not None:
        output = str(shard_output_path(output, *shard))
    options = PredictOptions(
        model=args.model,
        input=args.input,
        output=output,
        format=args.format,
        dyads=args.dyads,
        batch_size=args.batch_size,
        chunk_size=args.chunk_size,
        resume=args.resume,
        shard=shard,
        device=args.device,
        int8=args.int8,
        dtype=args.dtype,
        runtime=args.runtime,
        progress=not args.quiet,
        overwrite=args.overwrite,
        workers=args.workers,
    )
    if args.format == "events":
        from parley.inference.event_predict import predict_events

        summary = predict_events(options, actors=args.actors)
    else:
        summary = predict_file(options)
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    print(summary.format())
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    from parley.inference.merge import merge_outputs

    summary = merge_outputs(args.output, args.shards, overwrite=args.overwrite)
    print(summary.format())
    return 0


def add_precision_options(predict: argparse.ArgumentParser) -> None:
    """--runtime, --int8 and --dtype: how the model runs (benchmarks/README.md has their speed and F1)."""
    predict.add_argument(
        "--runtime",
        choices=("auto", "torch", "onnx"),
        default="auto",
        help="auto (default): on a CPU the encoder on ONNX Runtime with static int8, 1.7-2.3x torch float32 within "
        "0.01 F1, exported once into MODEL/onnx/; torch on a GPU. torch: the checkpoint as trained (float32). onnx: "
        "ONNX Runtime float32, or static int8 with --int8 (docs/onnx.md)",
    )
    predict.add_argument(
        "--int8",
        action="store_true",
        help="with --runtime torch: every linear layer dynamically quantised, CPU only, lower F1; with --runtime "
        "onnx: static int8 (what auto runs on a CPU)",
    )
    predict.add_argument(
        "--dtype",
        choices=("float32", "float16", "bfloat16"),
        default=None,
        help="cast the model for a GPU's half-precision units (default: the checkpoint's float32)",
    )


def add_commands(commands: argparse._SubParsersAction, debug: argparse.ArgumentParser) -> None:
    evaluate = commands.add_parser(
        "evaluate", parents=[debug], help="score a trained model on labeled articles (docs/schema.md section 7)"
    )
    evaluate.add_argument("--model", required=True, help="model folder written by parley train")
    evaluate.add_argument("--data", required=True, nargs="+", help="labeled files or folders, any supported format")
    evaluate.add_argument("--batch-size", type=int, default=32)
    evaluate.add_argument("--device", default=None, help="cpu, cuda, ... (default: GPU if there is one)")
    add_precision_options(evaluate)  # scored as parley predict runs the model
    evaluate.add_argument("--json", default=None, help="also write the scores to this JSON file")
    evaluate.set_defaults(run=_cmd_evaluate)

    predict = commands.add_parser("predict", parents=[debug], help="extract events from a news dump")
    predict.add_argument("--model", required=True, help="model folder written by parley train")
    predict.add_argument(
        "--input",
        required=True,
        help=".jsonl, .jsonl.gz, .csv or .parquet with a text column, or a folder of .txt files",
    )
    predict.add_argument("--output", required=True, help="output file; rejects, state (and index) files go beside it")
    predict.add_argument(
        "--format",
        choices=("jsonl", "csv", "parquet", "events"),
        default=None,
        help="default: from the output suffix (.jsonl, .csv, .parquet), which it must not contradict; csv and parquet "
        "need --dyads; events: the event table (docs/event_table.md). CSV codes are text (docs/schema.md section 9)",
    )
    predict.add_argument("--actors", default=None, help="with --format events: your actor dictionary (YAML or CSV)")
    predict.add_argument("--dyads", action="store_true", help="write event-data rows (source, target, CAMEO ...)")
    predict.add_argument("--batch-size", type=int, default=32, help="sentences per forward pass")
    predict.add_argument("--chunk-size", type=int, default=64, help="input records per commit (resume granularity)")
    predict.add_argument("--resume", action="store_true", help="continue an interrupted run writing the same output")
    predict.add_argument("--overwrite", action="store_true", help="replace an existing output instead of refusing")
    predict.add_argument(
        "--shard",
        default=None,
        metavar="i/n",
        help="take the chunks of --chunk-size records whose number %% n == i; 'auto' under accelerate launch",
    )
    _add_run_options(predict)
    predict.set_defaults(run=_cmd_predict)

    merge = commands.add_parser(
        "merge", parents=[debug], help="join the outputs of parley predict --shard i/n into one"
    )
    merge.add_argument("output", help="merged output file")
    merge.add_argument("shards", nargs="+", help="the shard outputs, one per shard")
    merge.add_argument("--overwrite", action="store_true", help="replace an existing output instead of refusing")
    merge.set_defaults(run=_cmd_merge)


def _add_run_options(predict: argparse.ArgumentParser) -> None:
    """`parley predict`'s options for where and how the model runs."""
    predict.add_argument("--device", default=None, help="cpu, cuda, ... (default: GPU if there is one)")
    add_precision_options(predict)
    predict.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes that split, tokenise, decode and serialise beside the model pass (same output); 0: none; "
        "default: 0 for a CPU model, one per spare core (at most 8) for a GPU",
    )
    predict.add_argument("--quiet", action="store_true", help="no progress bar")
