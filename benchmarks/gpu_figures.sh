#!/usr/bin/env bash
# GPU figures on one CUDA GPU: mixed-precision training (bf16 and fp16) and the inference throughput table.
#
#   bash benchmarks/gpu_figures.sh [ENCODER] [LOG_DIR] [ARTICLES ...]
#
# ENCODER: model.encoder for every run (default: the packaged all-MiniLM-L6-v2). LOG_DIR: where each step's
# full output goes (default: a temp folder). ARTICLES: dump sizes for throughput.py (default: 2000).
# Steps, each printing its table:
#   1. train_figures.py on configs/train/gpu.yaml (bf16), with the GPU's mean utilisation while it trains;
#   2. the same config in fp16 (loss scaling) for 3 epochs: the fp16 path trains and scores;
#   3. train_throughput.py: parley train vs transformers Trainer, bf16, 200 steps;
#   4. throughput.py --device cuda in float32, bfloat16 and float16, on the model of step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
encoder=${1:-all-MiniLM-L6-v2}
logs=${2:-$(mktemp -d)}
shift $(($# < 2 ? $# : 2))
articles=("${@:-2000}")
mkdir -p "$logs"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv

# The GPU's utilisation (share of time a kernel ran, as NVML samples it) while a command runs.
with_utilisation() {
    local name=$1
    shift
    nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 200 >"$logs/$name.util" &
    local sampler=$!
    "$@"
    kill "$sampler"
    awk -v name="$name" '{s += $1; n++} END {if (n) printf "%s: mean GPU utilisation %.0f%% over %d samples\n", name, s / n, n}' \
        "$logs/$name.util"
}

echo "== 1. training, bf16 (configs/train/gpu.yaml)"
with_utilisation train_bf16 python benchmarks/train_figures.py --config configs/train/gpu.yaml \
    --json "$logs/train_bf16.json" model.encoder="$encoder" 2>"$logs/train_bf16.err"
model=$(python -c "import json, sys; print(json.load(open(sys.argv[1]))['run_dir'])" "$logs/train_bf16.json")/model

echo "== 2. training, fp16 with loss scaling, 3 epochs"
with_utilisation train_fp16 python benchmarks/train_figures.py --config configs/train/gpu.yaml \
    --json "$logs/train_fp16.json" model.encoder="$encoder" train.mixed_precision=fp16 train.epochs=3 \
    2>"$logs/train_fp16.err"

echo "== 3. training throughput, bf16"
python benchmarks/train_throughput.py --config configs/train/gpu.yaml --steps 200 model.encoder="$encoder" \
    2>"$logs/train_throughput.err"

for dtype in bfloat16 float32 float16; do
    echo "== 4. inference throughput, $dtype"
    # GPU batches: 256 sentences a forward pass, 1024 articles a chunk (the CLI defaults suit a CPU).
    python benchmarks/throughput.py --device cuda --dtype "$dtype" --model "$model" --articles "${articles[@]}" \
        --batch-size 256 --chunk-size 1024 --work "$logs/throughput-$dtype" 2>"$logs/throughput-$dtype.err" \
        | tee "$logs/throughput-$dtype.txt"
    rm -f "$logs/throughput-$dtype"/*.jsonl
done
