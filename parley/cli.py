"""The `parley` command: thin argument parsing around the library's functions."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _cmd_validate(args: argparse.Namespace) -> int:
    from parley.schema import load_schema
    from parley.training.readers import read_articles

    schema = load_schema(args.schema)
    try:
        # A validator reports every bad article, not just the first.
        result = read_articles(args.paths, schema, lenient=True)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    n_events = sum(len(a.events) for a in result.articles)
    n_mentions = sum(len(a.entities) for a in result.articles)
    print(
        f"{len(result.articles)} valid article(s), {n_events} event(s), {n_mentions} mention(s); "
        f"{len(result.errors)} rejected"
    )
    return 1 if result.errors else 0


def _cmd_build_dataset(args: argparse.Namespace) -> int:
    from parley.training.config import ConfigError, load_config
    from parley.training.dataset_builder import build_dataset

    try:
        config = load_config(args.config, args.overrides)
        built = build_dataset(config)
    except (ConfigError, ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    built.save(args.output)
    print(built.summary.format())
    print(f"saved to {args.output} (datasets.load_from_disk; summary in build_summary.json)")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    import json

    from parley.training.config import ConfigError, load_config
    from parley.training.trainer import train

    overrides = list(args.overrides) + (["train.resume=true"] if args.resume else [])
    try:
        config = load_config(args.config, overrides)
    except (ConfigError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    model_dir = train(config)
    print(f"model saved to {model_dir}")
    from parley.inference.evaluate import evaluate_run

    if config.train.tune_thresholds:
        from parley.inference.thresholds import tune_run_thresholds

        print(f"score thresholds tuned on dev: {tune_run_thresholds(model_dir.parent)}")

    for split, scores in evaluate_run(model_dir.parent).items():
        print(f"\n== {split} split, end to end (SCHEMA.md section 7)")
        print(scores.format_table())
        (model_dir.parent / f"scores_{split}.json").write_text(json.dumps(scores.to_dict(), indent=2))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from parley.inference.evaluate import evaluate

    scores = evaluate(args.model, args.data, batch_size=args.batch_size, device=args.device)
    print(scores.format_table())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(scores.to_dict(), handle, indent=2)
        print(f"scores written to {args.json}")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from parley.inference.batch import PredictOptions, parse_shard, predict_file, shard_output_path

    try:
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
            progress=not args.quiet,
        )
        summary = predict_file(options)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    print(summary.format())
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    from parley.inference.batch import merge_outputs

    try:
        summary = merge_outputs(args.output, args.shards)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(summary.format())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="Extract diplomatic events from news.")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check labeled-article files or folders against the schema")
    validate.add_argument("paths", nargs="+", help="files (.jsonl, .jsonl.gz, .ann, .json) or folders")
    validate.add_argument("--schema", default=None, help="schema YAML (default: the shipped configs/schema.yaml)")
    validate.set_defaults(run=_cmd_validate)

    build = commands.add_parser("build-dataset", help="turn labeled articles into a tokenised train/dev/test dataset")
    build.add_argument("config", help="run config YAML (e.g. configs/train/default.yaml)")
    build.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. data.max_length=64")
    build.add_argument("--output", required=True, help="folder to save the DatasetDict to")
    build.set_defaults(run=_cmd_build_dataset)

    train = commands.add_parser("train", help="fine-tune the event model from a run config")
    train.add_argument("config", help="run config YAML (e.g. configs/train/default.yaml)")
    train.add_argument(
        "overrides", nargs="*", metavar="key=value", help="config overrides, e.g. train.epochs=3 or output_dir=/tmp/m"
    )
    train.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    train.set_defaults(run=_cmd_train)

    evaluate = commands.add_parser("evaluate", help="score a trained model on labeled articles (SCHEMA.md section 7)")
    evaluate.add_argument("--model", required=True, help="model folder written by parley train")
    evaluate.add_argument("--data", required=True, nargs="+", help="labeled files or folders, any supported format")
    evaluate.add_argument("--batch-size", type=int, default=32)
    evaluate.add_argument("--device", default=None, help="cpu, cuda, ... (default: GPU if there is one)")
    evaluate.add_argument("--json", default=None, help="also write the scores to this JSON file")
    evaluate.set_defaults(run=_cmd_evaluate)

    predict = commands.add_parser("predict", help="extract events from a news dump")
    predict.add_argument("--model", required=True, help="model folder written by parley train")
    predict.add_argument(
        "--input",
        required=True,
        help=".jsonl, .jsonl.gz, .csv or .parquet with a text column, or a folder of .txt files",
    )
    predict.add_argument("--output", required=True, help="output file; rejects, state (and index) files go beside it")
    predict.add_argument(
        "--format",
        choices=("jsonl", "csv", "parquet"),
        default=None,
        help="default: from the output suffix; csv and parquet need --dyads",
    )
    predict.add_argument("--dyads", action="store_true", help="write event-data rows (source, target, CAMEO ...)")
    predict.add_argument("--batch-size", type=int, default=32, help="sentences per forward pass")
    predict.add_argument("--chunk-size", type=int, default=64, help="input records per commit (resume granularity)")
    predict.add_argument("--resume", action="store_true", help="continue an interrupted run writing the same output")
    predict.add_argument(
        "--shard",
        default=None,
        metavar="i/n",
        help="take the chunks of --chunk-size records whose number %% n == i; 'auto' under accelerate launch",
    )
    predict.add_argument("--device", default=None, help="cpu, cuda, ... (default: GPU if there is one)")
    predict.add_argument(
        "--int8",
        action="store_true",
        help="CPU only: int8 dynamic quantisation, about 2x faster, slightly lower F1 (benchmarks/README.md)",
    )
    predict.add_argument(
        "--dtype",
        choices=("float32", "float16", "bfloat16"),
        default=None,
        help="cast the model for a GPU's half-precision units (default: the checkpoint's float32)",
    )
    predict.add_argument("--quiet", action="store_true", help="no progress bar")
    predict.set_defaults(run=_cmd_predict)

    merge = commands.add_parser("merge", help="join the outputs of parley predict --shard i/n into one")
    merge.add_argument("output", help="merged output file")
    merge.add_argument("shards", nargs="+", help="the shard outputs, one per shard")
    merge.set_defaults(run=_cmd_merge)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
