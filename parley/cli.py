"""The `parley` command: thin argument parsing around the library's functions."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

# What bad input, a missing file or a refused action raises: reported as one `error:` line. Anything else is
# a bug in parley, reported the same way but saying so (the traceback is one `--debug` away).
EXPECTED_ERRORS = (ValueError, OSError)


def _cmd_validate(args: argparse.Namespace) -> int:
    from parley.formats.readers import read_articles
    from parley.schema import load_schema

    schema = load_schema(args.schema)
    # A validator reports every bad article, not just the first.
    result = read_articles(args.paths, schema, lenient=True)
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
    from parley.config import load_config
    from parley.training.dataset_builder import build_dataset

    config = load_config(args.config, args.overrides)
    built = build_dataset(config)
    built.save(args.output)
    print(built.summary.format())
    print(f"saved to {args.output} (datasets.load_from_disk; summary in build_summary.json)")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    import json

    from parley.config import load_config
    from parley.training.trainer import train

    overrides = list(args.overrides) + (["train.resume=true"] if args.resume else [])
    config = load_config(args.config, overrides)
    model_dir = train(config, force=args.force)
    from accelerate import PartialState

    if not PartialState().is_main_process:
        return 0  # under accelerate launch, one process reports the scores
    print(f"model saved to {model_dir}")
    from parley.inference.evaluate import evaluate_run

    if config.train.tune_thresholds:
        from parley.inference.thresholds import tune_run_thresholds

        print(f"score thresholds tuned on dev: {tune_run_thresholds(model_dir.parent)}")

    for split, scores in evaluate_run(model_dir.parent).items():
        print(f"\n== {split} split, end to end (docs/schema.md section 7)")
        print(scores.format_table())
        (model_dir.parent / f"scores_{split}.json").write_text(json.dumps(scores.to_dict(), indent=2))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from parley.inference.evaluate import evaluate

    json_path = _writable_file(args.json, "--json") if args.json else None
    scores = evaluate(args.model, args.data, batch_size=args.batch_size, device=args.device)
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
    from parley.inference.batch import PredictOptions, parse_shard, predict_file, shard_output_path

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
        overwrite=args.overwrite,
    )
    summary = predict_file(options)
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    print(summary.format())
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    from parley.inference.batch import merge_outputs

    summary = merge_outputs(args.output, args.shards, overwrite=args.overwrite)
    print(summary.format())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="Extract diplomatic events from news.")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    # Also accepted after the command (`parley predict ... --debug`); SUPPRESS keeps the one given before it.
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser(
        "validate", parents=[debug], help="check labeled-article files or folders against the schema"
    )
    validate.add_argument("paths", nargs="+", help="files (.jsonl, .jsonl.gz, .ann, .json) or folders")
    validate.add_argument("--schema", default=None, help="schema YAML (default: the shipped configs/schema.yaml)")
    validate.set_defaults(run=_cmd_validate)

    build = commands.add_parser(
        "build-dataset", parents=[debug], help="turn labeled articles into a tokenised train/dev/test dataset"
    )
    build.add_argument("config", help="run config YAML (e.g. configs/train/default.yaml)")
    build.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. data.max_length=64")
    build.add_argument("--output", required=True, help="folder to save the DatasetDict to")
    build.set_defaults(run=_cmd_build_dataset)

    train = commands.add_parser("train", parents=[debug], help="fine-tune the event model from a run config")
    train.add_argument("config", help="run config YAML (e.g. configs/train/default.yaml)")
    train.add_argument(
        "overrides", nargs="*", metavar="key=value", help="config overrides, e.g. train.epochs=3 or output_dir=/tmp/m"
    )
    train.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    train.add_argument(
        "--force", action="store_true", help="with --resume: continue even though the config differs from the run's"
    )
    train.set_defaults(run=_cmd_train)

    evaluate = commands.add_parser(
        "evaluate", parents=[debug], help="score a trained model on labeled articles (docs/schema.md section 7)"
    )
    evaluate.add_argument("--model", required=True, help="model folder written by parley train")
    evaluate.add_argument("--data", required=True, nargs="+", help="labeled files or folders, any supported format")
    evaluate.add_argument("--batch-size", type=int, default=32)
    evaluate.add_argument("--device", default=None, help="cpu, cuda, ... (default: GPU if there is one)")
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
        choices=("jsonl", "csv", "parquet"),
        default=None,
        help="default: from the output suffix (.jsonl, .csv, .parquet), which it must not contradict; csv and parquet "
        "need --dyads. CSV codes are text: read them as such (docs/schema.md section 9)",
    )
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

    merge = commands.add_parser(
        "merge", parents=[debug], help="join the outputs of parley predict --shard i/n into one"
    )
    merge.add_argument("output", help="merged output file")
    merge.add_argument("shards", nargs="+", help="the shard outputs, one per shard")
    merge.add_argument("--overwrite", action="store_true", help="replace an existing output instead of refusing")
    merge.set_defaults(run=_cmd_merge)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `parley` command; errors become one `error: ...` line on stderr and exit status 1."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if args.debug:
            raise
        if isinstance(err, EXPECTED_ERRORS):
            print(f"error: {_message(err)}", file=sys.stderr)
        else:
            where = traceback.extract_tb(err.__traceback__)[-1]
            print(
                f"error: internal error, {type(err).__name__}: {err} (at {Path(where.filename).name}:{where.lineno}); "
                "rerun with --debug for the traceback and report it",
                file=sys.stderr,
            )
        return 1


def _message(err: BaseException) -> str:
    """An error as one line ("path: reason" for an OS error that names its file)."""
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        return f"{err.filename}: {err.strerror}"
    text = str(err).strip() or type(err).__name__
    return " ".join(text.splitlines()) if "\n" in text else text


if __name__ == "__main__":
    sys.exit(main())
