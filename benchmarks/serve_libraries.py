"""Which serving library: parley serve (FastAPI + uvicorn + parley's micro-batcher) against LitServe, same load.

    python benchmarks/serve_libraries.py [--model DIR] [--requests 300] [--concurrency 8] [--sentences K]

Both servers hold the same `EventExtractor`, batch up to 32 articles waiting up to 10 ms, and take the same
requests from serve_load.py's client (one article per request, keep-alive connections); LitServe runs its
model in a worker process behind its API-server process, as it is built to. Install size is what each stack
adds on top of parley's own dependencies: the files of every installed distribution it needs (found from
the packages' metadata, so both must be installed). The last line is `litserve_over_fastapi_req_per_s=X
fastapi_mb=A litserve_mb=B`.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # serve_load.py, beside this file
from serve_load import (  # noqa: E402
    DEFAULT_MODEL,
    TABLE_HEAD,
    format_row,
    measure_servers,
    request_bodies,
    server_env,
)

LITSERVE_APP = Path(__file__).resolve().parent / "litserve_app.py"
MAX_BATCH_SIZE = 32
MAX_WAIT_MS = 10


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def closure(names: list[str]) -> set[str]:
    """The installed distributions `names` need, themselves included (requirements behind an extra left out)."""
    seen: set[str] = set()
    stack = [name.lower() for name in names]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue  # not installed: a platform-only or optional requirement
        seen.add(name)
        stack.extend(_name(r) for r in requires if "extra ==" not in r)
    return seen


def installed_mb(names: set[str]) -> float:
    total = 0
    for name in names:
        for file in metadata.distribution(name).files or []:
            path = file.locate()
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8])
    parser.add_argument("--sentences", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1, help="each server's torch/OpenMP threads")
    args = parser.parse_args(argv)

    base = closure(["parley-events"])
    stacks = {"fastapi": closure(["fastapi", "uvicorn"]) - base, "litserve": closure(["litserve"]) - base}
    sizes = {name: installed_mb(names) for name, names in stacks.items()}
    for name, names in stacks.items():
        print(f"{name}: {sizes[name]:.1f} MB over parley's dependencies ({', '.join(sorted(names))})")

    bodies = request_bodies(args.sentences)
    env = server_env(args.threads)
    print(TABLE_HEAD)
    servers = {
        # The LitServe app runs torch float32: so does parley serve here, one model against the other.
        "fastapi": [sys.executable, "-m", "parley.cli", "serve", "--runtime", "torch"],
        "litserve": [sys.executable, str(LITSERVE_APP)],
    }
    for command in servers.values():
        command += ["--model", args.model, "--port", "{port}"]
        command += ["--max-batch-size", str(MAX_BATCH_SIZE), "--max-wait-ms", str(MAX_WAIT_MS)]
    results = measure_servers(servers, env, bodies, args.requests, args.concurrency, "/v1/extract")
    for name, result in results.items():
        for row in result["rows"]:
            print(format_row(f"{name} (RSS {result['rss_after_mb']:.0f} MB)", row), flush=True)
    speeds = {name: result["rows"][-1]["req_per_s"] for name, result in results.items()}
    ratio = speeds["litserve"] / speeds["fastapi"]
    mb = f"fastapi_mb={sizes['fastapi']:.1f} litserve_mb={sizes['litserve']:.1f}"
    print(f"litserve_over_fastapi_req_per_s={ratio:.2f} {mb}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
