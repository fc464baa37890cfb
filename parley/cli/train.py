"""`parley build-dataset` and `parley train`."""

from __future__ import annotations

import argparse


def _cmd_build_dataset(args: argparse.Namespace) -> int:
    from parley.config import load_config
    from parley.training.dataset_builder import build_dataset

    config = load_config(args.config, args.overrides)
    built = build_dataset(config)
    built.save(args.output)
    print(built.summary.format())
    print(f"saved to {args.output} (parley train CONFIG --dataset {args.output} trains on it; see build_summary.json)")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    import json

    from parley.config import load_config
    from parley.training.trainer import train

    overrides = list(args.overrides) + (["train.resume=true"] if args.resume else [])
    config = load_config(args.config, overrides)
    model_dir = train(config, force=args.force, dataset=args.dataset)
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


def add_commands(commands: argparse._SubParsersAction, debug: argparse.ArgumentParser) -> None:
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
    train.add_argument(
        "--dataset",
        metavar="DIR",
        help="train on a dataset parley build-dataset saved for this config (refused if built for another one)",
    )
    train.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    train.add_argument(
        "--force", action="store_true", help="with --resume: continue even though the config differs from the run's"
    )
    train.set_defaults(run=_cmd_train)
