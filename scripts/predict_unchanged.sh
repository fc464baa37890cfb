#!/usr/bin/env bash
# Show that `parley predict` writes the same bytes at two commits:
#   bash scripts/predict_unchanged.sh REF MODEL_DIR [FLAG ...]
# Runs predict at REF (in a temporary worktree with its own editable install) and in this checkout, over
# data/seeds.jsonl and examples/new_articles.jsonl, as event records and as dyad rows, and compares with cmp.
# FLAGs go to this checkout's runs only: `--runtime torch` against a REF from before static int8 became the CPU
# default (2026-12-06), whose predict knows no --runtime or ran torch by default.
set -euo pipefail
ref=${1:?usage: scripts/predict_unchanged.sh REF MODEL_DIR}
model=$(realpath "${2:?usage: scripts/predict_unchanged.sh REF MODEL_DIR [FLAG ...]}")
shift 2
flags=("$@")
repo=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$work/ref" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

git -C "$repo" worktree add --detach "$work/ref" "$ref" >/dev/null
python -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install -q --no-deps -e "$work/ref" 2>/dev/null
# Each run must import its own checkout's code (an editable install elsewhere or PYTHONPATH could win).
check_code() {  # check_code PYTHON CHECKOUT
    local where
    where=$(cd "$2" && "$1" -c "import parley, parley.model; print(parley.__file__, parley.model.__file__)")
    for file in $where; do
        [[ $file == "$2/"* ]] || { echo "a run in $2 would import $file, not that checkout's code" >&2; exit 2; }
    done
}
check_code "$work/venv/bin/python" "$work/ref"
check_code python "$repo"

entry="import sys; from parley.cli import main; sys.exit(main(sys.argv[1:]))"
run() {  # run PYTHON CHECKOUT OUTDIR [FLAG ...]
    local python=$1 checkout=$2 out=$3
    shift 3
    mkdir -p "$out"
    for input in data/seeds.jsonl examples/new_articles.jsonl; do
        name=$(basename "$input" .jsonl)
        (cd "$checkout" && "$python" -c "$entry" predict --quiet --model "$model" --input "$repo/$input" --output "$out/$name.jsonl" "$@" >/dev/null)
        (cd "$checkout" && "$python" -c "$entry" predict --quiet --model "$model" --input "$repo/$input" --output "$out/${name}_dyads.jsonl" --dyads "$@" >/dev/null)
    done
}
run "$work/venv/bin/python" "$work/ref" "$work/before"
run python "$repo" "$work/after" ${flags[@]+"${flags[@]}"}
status=0
for file in "$work"/before/*.jsonl; do
    name=$(basename "$file")
    [[ $name == *rejects* ]] && continue
    if cmp -s "$file" "$work/after/$name"; then echo "identical: $name"; else echo "DIFFERENT: $name"; status=1; fi
done
exit $status
