#!/usr/bin/env bash
# Install parley with its test tools and run the offline test suite.
# torch==2.13.0 goes first: an unpinned torch would pull several GB of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q torch==2.13.0
# ray: the Ray engine's tests run in the default suite, on a local Ray; report and serve: the HTML reports'
# and the HTTP server's tests. ONNX Runtime (the default CPU runtime) is a core dependency.
python -m pip install -q -e ".[test,ray,report,serve]"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
python -m pytest -q "$@"
