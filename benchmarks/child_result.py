"""One measurement in a fresh interpreter: the child prints one RESULT line, the parent reads it.

A fresh interpreter per measurement gives each its own peak RSS (`ru_maxrss`) and keeps one run's warm
caches and threads out of the next. Used by throughput.py and train_throughput.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

PREFIX = "RESULT "


def print_result(result: dict) -> None:
    """In the child: hand `result` to the parent."""
    print(PREFIX + json.dumps(result), flush=True)


def run_child(arguments: list[str], env: dict[str, str], what: str) -> dict:
    """Run `python ARGUMENTS` and return the result it printed; fail with its output's tail naming `what`."""
    done = subprocess.run([sys.executable, *arguments], env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(PREFIX)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"{what} failed (exit {done.returncode}, {len(lines)} result lines):\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )
    return json.loads(lines[-1][len(PREFIX) :])
