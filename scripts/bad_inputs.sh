#!/usr/bin/env bash
# Replay the bad inputs of issue 15 (rows 1-12) against the `parley` command and check that each one behaves:
# refused with one `error: ...` line and exit 1 before anything is touched, or handled (rejected, skipped) with
# exit 0. Exit 0 when every case behaves; each failure is printed. Every case's stderr is kept under
# WORK/stderr, and `grep -rn Traceback WORK/stderr` finds nothing when all is well (this script checks that too).
#
#   bash scripts/bad_inputs.sh [WORK]      # WORK: a scratch folder (default: a new temporary one)
#
# PARLEY and PYTHON name the command and the interpreter (default: `parley` and `python` on the PATH).
# The model is a tiny keyword-spotting checkpoint built on the fly (tests/helpers_checkpoint.py); nothing
# is downloaded.
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
PARLEY=${PARLEY:-parley}
PYTHON=${PYTHON:-python}
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK/stderr" "$WORK/stdout"
failures=0

fail() {
    echo "FAIL $1: $2"
    failures=$((failures + 1))
}

# expect STATUS NAME PATTERN COMMAND...: run COMMAND; it must exit with STATUS, and its stderr must hold PATTERN
# (a grep -E pattern; empty: anything). A refusal (STATUS 1) must say so in exactly one `error:` line.
expect() {
    local want=$1 name=$2 pattern=$3
    shift 3
    "$@" >"$WORK/stdout/$name" 2>"$WORK/stderr/$name"
    local got=$?
    local err="$WORK/stderr/$name"
    if [ "$got" -ne "$want" ]; then
        fail "$name" "exit $got, expected $want: $(tail -n 3 "$err")"
        return
    fi
    if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" "$err"; then
        fail "$name" "stderr lacks /$pattern/: $(tail -n 3 "$err")"
        return
    fi
    if [ "$want" -eq 1 ] && { [ "$(grep -c . "$err")" -ne 1 ] || ! grep -q '^error: ' "$err"; }; then
        fail "$name" "expected one 'error:' line, got: $(cat "$err")"
        return
    fi
    echo "ok   $name"
}

# check NAME PYTHON-CODE: a check written in Python; it fails by raising.
check() {
    local name=$1 code=$2
    if "$PYTHON" -c "$code" >"$WORK/stdout/$name" 2>"$WORK/stderr/$name"; then
        echo "ok   $name"
    else
        fail "$name" "$(tail -n 3 "$WORK/stderr/$name")"
    fi
}

same_bytes() { # NAME FILE COPY: FILE is unchanged
    if cmp -s "$2" "$3"; then echo "ok   $1"; else fail "$1" "$2 was changed"; fi
}

# -- setup: a model, a tiny encoder to train, and the inputs ---------------------------------------------------
"$PYTHON" - "$WORK" >"$WORK/stdout/setup" 2>"$WORK/stderr/setup" <<'EOF' || { echo "setup failed:"; tail -n 20 "$WORK/stderr/setup"; exit 1; }
import json, shutil, sys
from pathlib import Path

sys.path.insert(0, "tests")
from helpers_checkpoint import build_checkpoint
from transformers import AutoTokenizer, BertConfig, BertModel

from parley.encoders import packaged_minilm_path

work = Path(sys.argv[1])
model = build_checkpoint(work / "model")
tokenizer = AutoTokenizer.from_pretrained(packaged_minilm_path())
tiny = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=64, max_position_embeddings=128)
BertModel(tiny).save_pretrained(work / "encoder")
tokenizer.save_pretrained(work / "encoder")

texts = ["Russia invited the opposition to talks in Geneva on Friday.", "The coalition declined the invitation.",
         "Lavrov met the opposition in Moscow on Wednesday.", "Rebels fought near Aleppo."]
lines = [json.dumps({"id": f"n{i}", "text": texts[i % 4], "date": "2017-01-25"}) for i in range(12)]
(work / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
(work / "bom.jsonl").write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
dups = ["a", "dup", "b", "dup", "c", "dup"]
(work / "dups.jsonl").write_text("".join(json.dumps({"id": i, "text": texts[0]}) + "\n" for i in dups))

def labeled(article_id, text):
    return json.dumps({"id": article_id, "text": text, "entities": [], "events": []}).encode()

rows = [labeled(f"a{i}", f"Article {i}.") for i in range(4)]
rows[2] = labeled("a2", "Caf\u00e9 talks.").replace(b"\\u00e9", b"\xe9")  # a Latin-1 byte
(work / "latin1.jsonl").write_bytes(b"\n".join(rows) + b"\n")
(work / "bad_labels.jsonl").write_bytes(labeled("x1", "Fine.") + b"\n" + b'{"id": "x2", "text": 5}\n')
(work / "gold.jsonl").write_bytes(labeled("g1", texts[0]) + b"\n")
(work / "bom_labeled.jsonl").write_bytes(b"\xef\xbb\xbf" + labeled("b1", texts[0]) + b"\n")
(work / "empty").mkdir()

broken = {"plain_bert": work / "encoder", "no_config": work / "no_config", "truncated": work / "truncated"}
for name in ("no_config", "truncated"):
    shutil.copytree(model, work / name)
(work / "no_config" / "config.json").unlink()
weights = work / "truncated" / "model.safetensors"
weights.write_bytes(weights.read_bytes()[:1000])

# An interrupted run: two chunks committed, then the process died.
from parley.inference.batch import PredictOptions, predict_file

def crash(chunk, at):
    if chunk == 2 and at == "committed":
        raise KeyboardInterrupt

try:
    predict_file(PredictOptions(str(model), str(work / "news.jsonl"), str(work / "interrupted.jsonl"), chunk_size=4,
                                progress=False), hook=crash)
except KeyboardInterrupt:
    pass
EOF
M="$WORK/model"
N="$WORK/news.jsonl"
cp "$N" "$WORK/news.copy"

# -- 1: an output that is the input --------------------------------------------------------------------------------
mkdir -p "$WORK/sub"
ln -sf "$N" "$WORK/link.jsonl"
expect 1 row01-same "is the input" "$PARLEY" predict --model "$M" --input "$N" --output "$N" --quiet
expect 1 row01-dotdot "is the input" "$PARLEY" predict --model "$M" --input "$N" --output "$WORK/sub/../news.jsonl" --quiet
expect 1 row01-symlink "is the input" "$PARLEY" predict --model "$M" --input "$N" --output "$WORK/link.jsonl" --quiet
same_bytes row01-untouched "$N" "$WORK/news.copy"

# -- 2 and 10 (API): what predict takes --------------------------------------------------------------------------
check row02-row10-api "
from parley.inference import EventExtractor
x = EventExtractor.from_pretrained('$M', device='cpu')
events = x.predict({'id': 'a1', 'text': 'Russia invited the opposition to talks on Friday.'})
assert events and all(type(e).__name__ == 'Event' for e in events), events
for bad, named in ((None, 'NoneType'), (5, 'int'), (b'Russia invited', 'bytes')):
    try:
        x.predict(bad)
    except TypeError as err:
        assert named in str(err) and 'expected' in str(err), err
    else:
        raise AssertionError(f'predict({bad!r}) did not raise TypeError')
"

# -- 3: evaluate on an empty folder ------------------------------------------------------------------------------
expect 1 row03-empty "no labeled articles found" "$PARLEY" evaluate --model "$M" --data "$WORK/empty"

# -- 4: a non-UTF-8 byte ---------------------------------------------------------------------------------------------
expect 1 row04-validate "latin1.jsonl:3, article 'a2': not UTF-8 text" "$PARLEY" validate "$WORK/latin1.jsonl"
grep -q "3 valid article(s)" "$WORK/stdout/row04-validate" && echo "ok   row04-others-kept" ||
    fail row04-others-kept "$(cat "$WORK/stdout/row04-validate")"
expect 1 row04-evaluate "latin1.jsonl:3, article 'a2'" "$PARLEY" evaluate --model "$M" --data "$WORK/latin1.jsonl"

# -- 5: codes in the dyad outputs ----------------------------------------------------------------------------------
expect 0 row05-csv "" "$PARLEY" predict --model "$M" --input "$N" --output "$WORK/dyads.csv" --dyads --quiet
expect 0 row05-parquet "" "$PARLEY" predict --model "$M" --input "$N" --output "$WORK/dyads.parquet" --dyads --quiet
check row05-codes "
import csv
from parley.inference.dyads import DYAD_DTYPES
rows = list(csv.DictReader(open('$WORK/dyads.csv', encoding='utf-8')))
assert '040' in {r['cameo'] for r in rows}, rows
try:
    import pandas as pd
except ImportError:
    pd = None
if pd is not None:
    assert '040' in set(pd.read_csv('$WORK/dyads.csv', dtype=DYAD_DTYPES, keep_default_na=False)['cameo'])
    assert '040' in set(pd.read_parquet('$WORK/dyads.parquet')['cameo'])
"

# -- 6: an existing output -----------------------------------------------------------------------------------------
cp "$WORK/interrupted.jsonl" "$WORK/interrupted.copy"
expect 1 row06-interrupted "--resume continues it" "$PARLEY" predict --model "$M" --input "$N" --output "$WORK/interrupted.jsonl" --chunk-size 4 --quiet
same_bytes row06-untouched "$WORK/interrupted.jsonl" "$WORK/interrupted.copy"
expect 0 row06-resume "" "$PARLEY" predict --model "$M" --input "$N" --output "$WORK/interrupted.jsonl" --chunk-size 4 --resume --quiet
expect 1 row06-finished "already exists" "$PARLEY" predict --model "$M" --input "$N" --output "$WORK/interrupted.jsonl" --chunk-size 4 --quiet

# -- 7: duplicate ids ----------------------------------------------------------------------------------------------
expect 0 row07-dups "" "$PARLEY" predict --model "$M" --input "$WORK/dups.jsonl" --output "$WORK/dups.out.jsonl" --quiet
check row07-reported "
import json
rejects = [json.loads(l) for l in open('$WORK/dups.out.jsonl.rejects.jsonl')]
assert [(r['line'], r['reason']) for r in rejects] == [(4, \"duplicate id 'dup' (first at line 2)\"), (6, \"duplicate id 'dup' (first at line 2)\")], rejects
assert [json.loads(l)['id'] for l in open('$WORK/dups.out.jsonl')] == ['a', 'dup', 'b', 'c']
"

# -- 8: broken model folders ---------------------------------------------------------------------------------------
expect 1 row08-missing "$WORK/nowhere: no such model folder" "$PARLEY" predict --model "$WORK/nowhere" --input "$N" --output "$WORK/o8.jsonl" --quiet
expect 1 row08-plain-bert "$WORK/encoder: config.json describes a 'bert' model" "$PARLEY" predict --model "$WORK/encoder" --input "$N" --output "$WORK/o8.jsonl" --quiet
expect 1 row08-no-config "$WORK/no_config: no config.json" "$PARLEY" predict --model "$WORK/no_config" --input "$N" --output "$WORK/o8.jsonl" --quiet
expect 1 row08-truncated "truncated or corrupt" "$PARLEY" predict --model "$WORK/truncated" --input "$N" --output "$WORK/o8.jsonl" --quiet

# -- 9: a byte-order mark ------------------------------------------------------------------------------------------
expect 0 row09-validate "" "$PARLEY" validate "$WORK/bom_labeled.jsonl"
expect 0 row09-predict "" "$PARLEY" predict --model "$M" --input "$WORK/bom.jsonl" --output "$WORK/bom.out.jsonl" --quiet
[ ! -s "$WORK/bom.out.jsonl.rejects.jsonl" ] && echo "ok   row09-nothing-rejected" ||
    fail row09-nothing-rejected "$(cat "$WORK/bom.out.jsonl.rejects.jsonl")"

# -- 10: other bad input -------------------------------------------------------------------------------------------
expect 1 row10-evaluate-bad-data "bad_labels.jsonl:2, article 'x2'" "$PARLEY" evaluate --model "$M" --data "$WORK/bad_labels.jsonl"
expect 1 row10-json-folder "is a folder" "$PARLEY" evaluate --model "$M" --data "$WORK/gold.jsonl" --json "$WORK"
expect 0 row10-json-new-folder "" "$PARLEY" evaluate --model "$M" --data "$WORK/gold.jsonl" --json "$WORK/new/scores.json"
expect 1 row10-train-missing-data "data.paths: $WORK/nope: no such file" "$PARLEY" train configs/train/tiny.yaml "output_dir=$WORK/run-nope" "data.paths=$WORK/nope"
[ ! -e "$WORK/run-nope" ] && echo "ok   row10-no-output-dir" || fail row10-no-output-dir "$WORK/run-nope was created"
expect 1 row10-output-folder "is a folder" "$PARLEY" predict --model "$M" --input "$N" --output "$WORK" --quiet

# -- 11: format and suffix -----------------------------------------------------------------------------------------
expect 1 row11-csv-into-jsonl "contradicts the output name" "$PARLEY" predict --model "$M" --input "$N" --output "$WORK/o11.jsonl" --format csv --dyads --quiet
expect 1 row11-gz "compressed output is not written" "$PARLEY" predict --model "$M" --input "$N" --output "$WORK/o11.jsonl.gz" --quiet
[ ! -e "$WORK/o11.jsonl" ] && echo "ok   row11-nothing-written" || fail row11-nothing-written "$WORK/o11.jsonl exists"

# -- 12: resuming training with a changed config -------------------------------------------------------------------
RUN=("configs/train/tiny.yaml" "output_dir=$WORK/run" "data.paths=data/seeds.jsonl" "model.encoder=$WORK/encoder" "train.eval_every_steps=2")
expect 0 row12-train "" "$PARLEY" train "${RUN[@]}"
expect 1 row12-changed "train.learning_rate: 0.001 -> 0.01" "$PARLEY" train "${RUN[@]}" train.learning_rate=0.01 --resume
expect 0 row12-forced "" "$PARLEY" train "${RUN[@]}" train.learning_rate=0.01 --resume --force

# -- no traceback anywhere ---------------------------------------------------------------------------------------
if grep -rln Traceback "$WORK/stderr"; then
    fail traceback "a traceback in the stderr of the case(s) above"
else
    echo "ok   no-traceback"
fi
if [ "$failures" -ne 0 ]; then
    echo "$failures case(s) misbehaved (stderr of each case in $WORK/stderr)"
    exit 1
fi
echo "every case behaved (stderr of each case in $WORK/stderr)"
