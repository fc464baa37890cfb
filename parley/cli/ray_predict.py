"""`parley predict --engine ray`: the options of the Ray engine and the run they start (docs/ray.md)."""

from __future__ import annotations

import argparse
import sys


def add_commands(commands: argparse._SubParsersAction, debug: argparse.ArgumentParser) -> None:
    """No command of its own: the Ray engine's options join `parley predict` (which runs `run_ray_predict`)."""
    add_ray_arguments(commands.choices["predict"])


def add_ray_arguments(predict: argparse.ArgumentParser) -> None:
    """The Ray engine's options of `parley predict`."""
    predict.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="ray: Ray Data over a file, folder or glob of dumps, shards into the --output folder (docs/ray.md; "
        "needs parley[ray])",
    )
    predict.add_argument(
        "--ray-address", default=None, help="with --engine ray: an existing cluster (auto, or ray://HEAD:10001)"
    )
    predict.add_argument(
        "--num-actors", type=int, default=0, help="with --engine ray: model replicas (default 0: as many as fit)"
    )
    predict.add_argument("--gpus-per-actor", type=float, default=0.0, help="with --engine ray: 1 for one GPU each")
    predict.add_argument(
        "--cpus-per-actor", type=float, default=1.0, help="with --engine ray: CPUs (and torch threads) per actor"
    )


def run_ray_predict(args: argparse.Namespace) -> int:
    """`parley predict --engine ray`: --chunk-size is the articles per actor call, --batch-size as for local."""
    from parley.inference.ray_engine import EngineSettings
    from parley.inference.ray_run import RayPredictOptions, predict_with_ray

    if args.shard is not None:
        raise ValueError("--engine ray: leave out --shard; Ray spreads the work over its actors")
    if args.device is not None:
        raise ValueError("--engine ray: leave out --device; --gpus-per-actor 1 gives each actor a GPU of its own")
    if args.format not in (None, "jsonl", "parquet", "events"):
        raise ValueError(f"--engine ray: --format {args.format} is not written; use jsonl, parquet or events")
    if args.actors is not None and args.format != "events":
        raise ValueError("--actors (an actor dictionary) codes the event table: add --format events")
    kind = "events" if args.format == "events" else "dyads" if args.dyads else "extractions"
    settings = EngineSettings(
        model=args.model,
        kind=kind,
        batch_size=args.chunk_size,
        sentence_batch_size=args.batch_size,
        actors=args.num_actors,
        gpus_per_actor=args.gpus_per_actor,
        cpus_per_actor=args.cpus_per_actor,
        actor_dictionary=args.actors,
        int8=args.int8,
        dtype=args.dtype,
        runtime=args.runtime,
    )
    options = RayPredictOptions(
        input=args.input,
        output=args.output,
        settings=settings,
        # The event table is analysts' data: typed Parquet, readable as one table from the folder.
        format="parquet" if args.format in ("parquet", "events") else "jsonl",
        address=args.ray_address,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    summary = predict_with_ray(options)
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    print(summary.format())
    return 0
