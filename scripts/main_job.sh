#!/usr/bin/env bash
# The main job on a fresh machine: install parley, check the labeled data, build the dataset,
# train the default config, score it, and extract events from sample articles it never saw.
# Usage: bash scripts/main_job.sh [key=value ...]   (overrides for configs/train/default.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q torch==2.13.0
python -m pip install -q -e .
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
out=runs/main
parley validate data/
parley build-dataset configs/train/default.yaml "$@" --output "$out/dataset"
# Trains on that dataset (refused if the config or overrides differ from the build's), then prints end-to-end
# scores (docs/schema.md section 7) on the run's dev and test articles.
parley train configs/train/default.yaml output_dir="$out" "$@" --dataset "$out/dataset"
python scripts/show_events.py "$out/model" examples/new_articles.jsonl
