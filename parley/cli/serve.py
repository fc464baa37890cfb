"""`parley serve`: the HTTP server (docs/serving.md), events for articles posted one at a time."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys

from parley.cli.predict import add_precision_options

LOOPBACK_NAMES = ("localhost",)


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from parley.inference.server import TOKEN_ENV, ServeSettings, create_app
    except ImportError as err:
        extra = "pip install 'parley-events[serve]'"
        raise ValueError(f"parley serve needs the serve extra ({err.name} is missing): {extra}") from err
    from parley.inference import EventExtractor

    settings = ServeSettings(
        max_batch_size=args.max_batch_size,
        max_wait_ms=args.max_wait_ms,
        batch_size=args.batch_size,
        max_articles=args.max_articles,
        max_text_chars=args.max_text_chars,
        max_body_bytes=args.max_body_bytes,
        max_queue=args.max_queue,
        token=os.environ.get(TOKEN_ENV) or None,
    )
    for name in ("max_batch_size", "batch_size", "max_articles", "max_text_chars", "max_body_bytes", "max_queue"):
        if getattr(settings, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')}: must be at least 1, got {getattr(settings, name)}")
    if settings.max_wait_ms < 0:
        raise ValueError(f"--max-wait-ms: must be 0 or more, got {settings.max_wait_ms}")
    extractor = EventExtractor.from_pretrained(
        args.model, device=args.device, int8=args.int8, dtype=args.dtype, runtime=args.runtime
    )
    app = create_app(extractor, settings, model_dir=args.model)
    auth = f"bearer token from {TOKEN_ENV}" if settings.token else f"none (set {TOKEN_ENV} to require a token)"
    if settings.token is None and not _is_loopback(args.host):
        print(f"warning: serving on {args.host} without a token: anyone who reaches it can use it", file=sys.stderr)
    print(f"parley serve: http://{args.host}:{args.port} (docs at /docs); auth: {auth}", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def add_commands(commands: argparse._SubParsersAction, debug: argparse.ArgumentParser) -> None:
    serve = commands.add_parser(
        "serve", parents=[debug], help="serve the model over HTTP with micro-batching (docs/serving.md)"
    )
    serve.add_argument("--model", required=True, help="model folder written by parley train")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--max-batch-size", type=int, default=32, help="articles per model call across requests; 1: no batching"
    )
    serve.add_argument(
        "--max-wait-ms", type=float, default=10.0, help="how long a batch waits for other requests in flight"
    )
    serve.add_argument("--batch-size", type=int, default=32, help="sentences per forward pass")
    serve.add_argument("--max-articles", type=int, default=64, help="articles per request (more: 413)")
    serve.add_argument("--max-text-chars", type=int, default=100_000, help="characters per article text (more: 413)")
    serve.add_argument("--max-body-bytes", type=int, default=8 * 1024 * 1024, help="request body size (more: 413)")
    serve.add_argument(
        "--max-queue", type=int, default=256, help="articles waiting for the model; more: 503 with Retry-After"
    )
    serve.add_argument("--device", default=None, help="cpu, cuda, ... (default: GPU if there is one)")
    add_precision_options(serve)  # --int8, --runtime, --dtype: as parley predict
    serve.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"))
    serve.set_defaults(run=_cmd_serve)
