"""Inference throughput: the bare encoder (the limit), a transformers pipeline (the peer) and `parley predict`.

    python benchmarks/throughput.py [--articles N [N ...]] [--model DIR] [--threads T] [--levers]

One dump of N real-length articles is made from the seed articles (their sentences shuffled with a fixed
seed) and measured three ways, each in its own subprocess so each reports its own peak RSS:

(a) limit: `ParleyModel.encode` alone over exactly the tokens parley feeds it (pre-tokenised, sorted by
    length, the best of a few batch sizes on a sample);
(b) peer: `pipeline("token-classification")` over the same sentence windows' text, with a
    token-classification model holding the same encoder weights and the mention head, batch size tuned;
(c) `parley predict` end to end: read, split, tokenise, both heads, relations, decode, write JSONL.

Tokens are the subword tokens parley feeds the encoder (special tokens in, padding out), counted once and
used for every row, so tokens/s and articles/s give the same ratios. Every extra N after the first runs
(c) alone, to show that its peak RSS stays flat. `--levers` runs (c) again once per speed lever switched
off (benchmarks/throughput_levers.py; plus 1 thread and passive OpenMP waiting when --threads > 1), side by
side with the shipped path, on a dump of `--lever-articles`. The last line is
`ratio_vs_limit=X ratio_vs_pipeline=Y peak_rss_mb=Z` ((c) over (a), (c) over (b), the largest (c) RSS).

On a GPU (`--device cuda [--dtype bfloat16|float16]`) every mode runs there in that precision, and each row
adds the GPU's mean utilisation while it ran (NVML, sampled every 50 ms) and its peak allocated memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # throughput_levers.py, child_result.py, beside this file
from child_result import print_result, run_child  # noqa: E402

SEEDS = REPO / "data" / "seeds.jsonl"
ENCODER_BATCH_SIZES = (8, 16, 32, 64, 128)
PIPELINE_BATCH_SIZES = (1, 8, 16, 32, 64)
# A GPU keeps gaining from larger batches long after a CPU stops.
GPU_ENCODER_BATCH_SIZES = (32, 64, 128, 256, 512, 1024)
GPU_PIPELINE_BATCH_SIZES = (8, 32, 64, 128, 256)
# Tokens each batch size is tried on before the full run (a sample of the dump).
TUNING_TOKENS = 20_000
# Share of tokens the untrained default model tags (news text: about one word in eight is inside a mention,
# one in fifty is an event trigger); enough spans and pairs that decoding and relation scoring cost what they do.
MENTION_RATE, TRIGGER_RATE = 0.12, 0.02


# -- inputs --------------------------------------------------------------------------------------------------------


def make_dump(path: str | Path, n: int, seed: int = 0) -> None:
    """Write `n` articles of a few hundred tokens each, made of shuffled seed-article sentences, as JSONL."""
    from parley.text import split_sentences

    seeds = [json.loads(line) for line in SEEDS.read_text(encoding="utf-8").splitlines() if line.strip()]
    pools = [[s["text"][a:b] for a, b in split_sentences(s["text"])] for s in seeds]
    lengths = [len(s["text"]) for s in seeds]
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            k = i % len(seeds)
            pool = pools[k][:]
            rng.shuffle(pool)
            # Between half and the whole of a seed's length, as wire copy varies.
            target = rng.randint(lengths[k] // 2, lengths[k])
            paragraphs, size, j = [], 0, 0
            while size < target:
                take = rng.randint(1, 3)  # sentences per paragraph
                paragraph = " ".join(pool[(j + t) % len(pool)] for t in range(take))
                paragraphs.append(paragraph)
                size += len(paragraph) + 1
                j += take
            record = {"id": f"bench-{i:06d}", "text": "\n".join(paragraphs), "date": seeds[k].get("date")}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def build_default_model(folder: str | Path, max_length: int = 128, seed: int = 0) -> Path:
    """The packaged MiniLM with untrained heads whose "O" biases leave few spans; saved with its tokenizer."""
    import torch
    from transformers import AutoConfig, AutoTokenizer

    from parley.encoders import DEFAULT_ENCODER, packaged_minilm_path
    from parley.model import ParleyConfig, ParleyModel
    from parley.schema import load_schema
    from parley.text import split_sentences

    torch.manual_seed(seed)
    path = packaged_minilm_path()
    config = ParleyConfig(
        encoder=AutoConfig.from_pretrained(path).to_dict(),
        encoder_name=DEFAULT_ENCODER,
        schema=load_schema().to_dict(),
        max_seq_length=max_length,
    )
    model = ParleyModel.from_encoder(path, config).eval()
    tokenizer = AutoTokenizer.from_pretrained(path)
    texts = [json.loads(line)["text"] for line in SEEDS.read_text(encoding="utf-8").splitlines() if line.strip()]
    sentences = [text[a:b] for text in texts for a, b in split_sentences(text)]
    encoded = tokenizer(sentences, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.no_grad():
        states = model.encode(encoded["input_ids"], encoded["attention_mask"])[encoded["attention_mask"].bool()]
        # Raise the O bias to the quantile that leaves the wanted share of tokens tagged.
        for head, rate in ((model.mention_head, MENTION_RATE), (model.trigger_head, TRIGGER_RATE)):
            logits = head(states)
            margin = logits[:, 1:].max(-1).values - logits[:, 0]
            head.bias[0] += torch.quantile(margin, 1 - rate)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return Path(folder)


def _read_dump(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _peak_rss_mb() -> float:
    # Linux carries the peak RSS of the process that spawned this one over fork and exec into ru_maxrss,
    # so the parent stays small (no torch, no model) for each mode's figure to be its own.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _synchronize(device) -> None:
    """Wait for the GPU's queued work, so that a host clock read after it counts that work."""
    if device.type == "cuda":
        import torch

        torch.cuda.synchronize(device)


class GpuSampler:
    """While the block runs: the GPU's utilisation (NVML, every 50 ms) and torch's peak allocated memory.

    On the CPU it does nothing and `result()` is empty. Utilisation is NVML's share of time in which a
    kernel ran, so a GPU waiting on Python, the tokenizer or transfers shows up as a low figure.
    """

    def __init__(self, device, interval: float = 0.05):
        self.device, self.interval = device, interval
        self.samples: list[int] = []
        self._stop = None

    def __enter__(self) -> GpuSampler:
        if self.device.type != "cuda":
            return self
        import threading

        import torch

        torch.cuda.reset_peak_memory_stats(self.device)
        try:
            import pynvml

            pynvml.nvmlInit()
            index = self.device.index if self.device.index is not None else torch.cuda.current_device()
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        except Exception as err:  # no NVML: memory is still reported
            print(f"note: no GPU utilisation ({err})", file=sys.stderr)
            return self
        self._stop = threading.Event()

        def sample() -> None:
            while not self._stop.wait(self.interval):
                self.samples.append(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        if self._stop is not None:
            self._stop.set()
            self._thread.join()

    def result(self) -> dict:
        if self.device.type != "cuda":
            return {}
        import torch

        util = sum(self.samples) / len(self.samples) if self.samples else None
        return {"gpu_util_pct": util, "gpu_peak_mb": torch.cuda.max_memory_allocated(self.device) / 2**20}


def _units(extractor, articles: list[dict], chunk: int) -> list:
    """The model inputs parley builds for the articles, chunk by chunk as `parley predict` does; each unit's
    `article` is its index in `articles`."""
    from parley.documents import as_documents

    units = []
    for begin in range(0, len(articles), chunk):
        found = extractor._units(as_documents(articles[begin : begin + chunk]))
        # A unit's article number counts within its chunk; callers index the whole dump with it.
        for unit in found:
            unit.article += begin
        units += found
    return units


# -- (a) the limit -------------------------------------------------------------------------------------------------


def measure_limit(args: argparse.Namespace) -> dict:
    """Time `ParleyModel.encode` alone over parley's own inputs, at the best batch size."""
    import torch

    from parley.inference.extractor import EventExtractor

    extractor = EventExtractor.from_pretrained(args.model, device=args.device, dtype=args.dtype, runtime=args.runtime)
    articles = _read_dump(args.dump)
    units = _units(extractor, articles, args.chunk_size)
    inputs = sorted((u.input_ids for u in units), key=len)
    pad = extractor.tokenizer.pad_token_id or 0
    total = sum(map(len, inputs))
    device = extractor.device

    @torch.inference_mode()
    def run(batch_list) -> float:
        started = time.perf_counter()
        for ids, mask in batch_list:
            extractor.encoder(ids, mask)  # the model's own encode, or the ONNX Runtime session
        _synchronize(device)
        return time.perf_counter() - started

    def padded(size: int, share: float = 1.0) -> list:
        starts = range(0, len(inputs), size)
        # An even sample of the length-sorted batches, so every size sees short and long inputs alike.
        keep = max(1, round(len(starts) * share))
        chosen = starts[:: max(1, len(starts) // keep)][:keep]
        # Moved to the device before the clock starts: the limit is the forward pass alone.
        return [tuple(t.to(device) for t in _pad(inputs[b : b + size], pad)) for b in chosen]

    sizes = GPU_ENCODER_BATCH_SIZES if device.type == "cuda" else ENCODER_BATCH_SIZES
    run(padded(sizes[0], 0.0))  # warm-up
    share = min(1.0, TUNING_TOKENS * (10 if device.type == "cuda" else 1) / total)
    tuning = {}
    for size in sizes:
        sample = padded(size, share)
        tuning[size] = sum(int(mask.sum()) for _, mask in sample) / run(sample)
    best = max(tuning, key=tuning.get)
    batches = padded(best)
    with GpuSampler(device) as gpu:
        seconds = run(batches)
    return {
        **gpu.result(),
        "seconds": seconds,
        "articles": len(articles),
        "tokens": total,
        "inputs": len(inputs),
        "batch_size": best,
        "tuning_tokens_per_s": tuning,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _pad(rows: list[list[int]], pad: int):
    import torch

    ids = torch.full((len(rows), max(map(len, rows))), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


# -- (b) the peer --------------------------------------------------------------------------------------------------


def peer_model(model_dir: str | Path):
    """A transformers token-classification model with the checkpoint's encoder and mention head, and its tokenizer."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from parley.model import ParleyModel

    parley = ParleyModel.from_pretrained(str(model_dir))
    tags = parley.config.label_space.mention_tags
    config = parley.config.encoder_config
    config.num_labels = len(tags)
    config.id2label = dict(enumerate(tags))
    config.label2id = {tag: i for i, tag in enumerate(tags)}
    peer = AutoModelForTokenClassification.from_config(config)
    missing, unexpected = peer.base_model.load_state_dict(parley.encoder.state_dict(), strict=False)
    if missing or unexpected:
        raise ValueError(f"{model_dir}: encoder weights do not fit {type(peer).__name__}: {missing or unexpected}")
    with torch.no_grad():
        peer.classifier.weight.copy_(parley.mention_head.weight)
        peer.classifier.bias.copy_(parley.mention_head.bias)
    return peer.eval(), AutoTokenizer.from_pretrained(str(model_dir))


def measure_peer(args: argparse.Namespace) -> dict:
    """Time `pipeline("token-classification")` over the text of every window parley feeds its encoder."""
    from transformers import pipeline

    from parley.inference.extractor import EventExtractor

    extractor = EventExtractor.from_pretrained(args.model, device="cpu", runtime="torch")
    articles = _read_dump(args.dump)
    texts = [
        articles[u.article]["text"][u.words[0][0] : u.words[-1][1]]
        for u in _units(extractor, articles, args.chunk_size)
    ]
    del extractor
    import torch

    from parley.inference.checkpoint import model_dtype

    model, tokenizer = peer_model(args.model)
    device = torch.device(args.device)
    model = model.to(device, model_dtype(args.dtype or "float32"))
    # "first": a word takes its first subword's tag, as parley decodes.
    classify = pipeline(
        "token-classification", model=model, tokenizer=tokenizer, device=device, aggregation_strategy="first"
    )
    classify(texts[:8], batch_size=8)  # warm-up
    cuda = device.type == "cuda"
    sample = texts[:: max(1, len(texts) // (2048 if cuda else 256))][: 2048 if cuda else 256]
    tuning = {}
    for size in GPU_PIPELINE_BATCH_SIZES if cuda else PIPELINE_BATCH_SIZES:
        started = time.perf_counter()
        classify(sample, batch_size=size)
        tuning[size] = len(sample) / (time.perf_counter() - started)
    best = max(tuning, key=tuning.get)
    with GpuSampler(device) as gpu:
        started = time.perf_counter()
        found = classify(texts, batch_size=best)
        seconds = time.perf_counter() - started
    return {
        **gpu.result(),
        "seconds": seconds,
        "articles": len(articles),
        "inputs": len(texts),
        "spans": sum(map(len, found)),
        "batch_size": best,
        "tuning_inputs_per_s": tuning,
        "peak_rss_mb": _peak_rss_mb(),
    }


# -- (c) parley predict --------------------------------------------------------------------------------------------


def measure_predict(args: argparse.Namespace) -> dict:
    """Time `predict_file` (the `parley predict` run) over the dump, with one lever switched off if asked."""
    from parley.inference.batch import PredictOptions, predict_file
    from parley.inference.host_pool import default_workers

    extractor = lever_extractor(args.model, args.lever, args.device, args.dtype, args.runtime)
    extractor.extract(_read_first(args.dump, 2), batch_size=args.batch_size)  # warm-up
    # With workers the main process calls the model pass alone; without, `extract` (units, pass, assembly).
    workers = default_workers(extractor.device.type) if args.workers is None else args.workers
    model_pass = _time_calls(extractor, "run_units" if workers else "extract")
    encoder_pass = _time_calls(extractor, "encoder")  # inside the model pass: what (a) measures alone
    output = Path(args.work) / f"predict-{args.lever}-{args.articles_label}.jsonl"
    options = PredictOptions(
        model=args.model,
        input=args.dump,
        output=str(output),
        batch_size=args.batch_size,
        chunk_size=args.chunk_size,
        device=args.device,
        dtype=args.dtype,
        progress=False,
        overwrite=True,  # a rerun measures again into the same work folder
        workers=args.workers,
    )
    with GpuSampler(extractor.device) as gpu:
        started = time.perf_counter()
        summary = predict_file(options, extractor=extractor)
        seconds = time.perf_counter() - started
    result = {
        **gpu.result(),
        "seconds": seconds,
        "model_pass_seconds": model_pass["seconds"],
        "encoder_seconds": encoder_pass["seconds"],
        "articles": summary.articles,
        "output": str(output),
        "peak_rss_mb": _peak_rss_mb(),
    }
    if args.lever == "int8":
        result["gold"] = _gold_scores(args.model, extractor, args.gold, "int8")
    elif args.dtype not in (None, "float32") and args.lever == "shipped":
        result["gold"] = _gold_scores(args.model, extractor, args.gold, args.dtype)
    return result


def _time_calls(obj, name: str) -> dict:
    """Wrap `obj.name` so that the seconds spent in it add up in the returned dict."""
    method, total = getattr(obj, name), {"seconds": 0.0}

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            total["seconds"] += time.perf_counter() - started

    setattr(obj, name, timed)
    return total


def _gold_scores(model_dir: str, reduced, gold_path: str, name: str) -> dict:
    """Scores on labeled articles of the float32 model and of `reduced` (int8 or half precision), same device."""
    from parley.formats.readers import read_articles
    from parley.inference.evaluate import score_extractor
    from parley.inference.extractor import EventExtractor

    gold = read_articles([gold_path], reduced.schema).articles
    full = EventExtractor.from_pretrained(model_dir, device=reduced.device, runtime="torch")
    scores = {}
    for label, extractor in (("fp32", full), (name, reduced)):
        found = score_extractor(extractor, gold).to_dict()
        scores[label] = {key: found[key]["f1"] for key in ("mentions", "trigger_cls", "argument_cls")}
    return scores


def _read_first(path: str | Path, n: int) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for _, line in zip(range(n), lines, strict=False)]


# -- comparing outputs ---------------------------------------------------------------------------------------------


def output_items(path: str | Path) -> dict[str, set]:
    """Mentions, events (trigger and type) and arguments of a `parley predict` JSONL output, as sets."""
    items: dict[str, set] = {"mentions": set(), "events": set(), "arguments": set()}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            entities = {e["id"]: (e["start"], e["end"], e["label"]) for e in record["entities"]}
            items["mentions"].update((record["id"], *span) for span in entities.values())
            for event in record["events"]:
                trigger = (record["id"], event["trigger"]["start"], event["trigger"]["end"], event["type"])
                items["events"].add(trigger)
                items["arguments"].update((*trigger, a["role"], *entities[a["entity"]]) for a in event["arguments"])
    return items


def agreement(reference: str | Path, other: str | Path) -> dict[str, float]:
    """F1 of `other`'s mentions, events and arguments against `reference`'s (1.0: the same predictions)."""
    ref, new = output_items(reference), output_items(other)
    return {k: 2 * len(ref[k] & new[k]) / max(1, len(ref[k]) + len(new[k])) for k in ref}


# -- the run -------------------------------------------------------------------------------------------------------


MODES = {"a": measure_limit, "b": measure_peer, "c": measure_predict}
TITLES = {
    "a": "(a) limit: bare encoder",
    "b": "(b) peer: token-cls pipeline",
    "c": "(c) parley predict",
}


def lever_extractor(model_dir: str, lever: str, device: str = "cpu", dtype: str | None = None, runtime: str = "torch"):
    """The extractor with lever `lever` switched off (benchmarks/throughput_levers.py)."""
    from throughput_levers import lever_extractor as build

    return build(model_dir, lever, device, dtype, runtime)


def spawn(
    mode: str,
    args: argparse.Namespace,
    dump: Path,
    threads: int,
    lever: str = "shipped",
    label: str = "",
    env: dict[str, str] | None = None,
) -> dict:
    """Run one measurement in a fresh interpreter and return what it reports."""
    command = [
        str(Path(__file__).resolve()),
        "--mode",
        mode,
        "--dump",
        str(dump),
        "--model",
        args.model,
        "--threads",
        str(threads),
        "--batch-size",
        str(args.batch_size),
        "--chunk-size",
        str(args.chunk_size),
        "--work",
        str(args.work),
        *([] if args.workers is None else ["--workers", str(args.workers)]),
        "--lever",
        lever,
        "--articles-label",
        label or "main",
        "--gold",
        args.gold,
        "--device",
        args.device,
        *(["--dtype", args.dtype] if args.dtype else []),
        "--runtime",
        args.runtime,
    ]
    # The fast tokenizer's thread pool gets the same count as torch.
    env = {**os.environ, "RAYON_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "true", **(env or {})}
    return run_child(command, env, f"--mode {mode} --lever {lever}")


def machine(device: str = "cpu") -> str:
    """CPU model, cores, library versions and the GPU's name, for the table's heading."""
    from importlib.metadata import version

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    described = (
        f"{cpu}, {os.cpu_count()} logical cores, Python {platform.python_version()}, torch {version('torch')}, "
        f"transformers {version('transformers')}"
    )
    if device != "cpu":
        described += "; GPU: " + _in_child("-c", "import torch; print(torch.cuda.get_device_name())")
    return described


def _row(title: str, result: dict, tokens: int | None) -> str:
    rate = result["articles"] / result["seconds"]
    token_rate = f"{tokens / result['seconds']:>11,.0f}" if tokens else f"{'-':>11}"
    batch = result.get("batch_size", "")
    row = f"{title:<32}{rate:>11.2f}{token_rate}{result['peak_rss_mb']:>12,.0f}{result['seconds']:>10.1f}{batch!s:>7}"
    if "gpu_peak_mb" in result:
        util = result["gpu_util_pct"]
        row += f"{'-' if util is None else f'{util:.0f}%':>10}{result['gpu_peak_mb']:>12,.0f}"
    return row


def _in_child(*arguments: str) -> str:
    """The last line a Python child prints: torch stays out of the parent (see `_peak_rss_mb`)."""
    done = subprocess.run([sys.executable, *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{arguments} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[2000], help="dump sizes: the first gets a/b/c")
    parser.add_argument("--model", default=None, help="a folder written by parley train (default: built, untrained)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads in every mode (default: torch's)")
    parser.add_argument("--batch-size", type=int, default=32, help="parley predict's sentences per forward pass")
    parser.add_argument("--chunk-size", type=int, default=64, help="parley predict's records per commit")
    parser.add_argument(
        "--workers", type=int, default=None, help="parley predict --workers (default: its own, 0 on the CPU)"
    )
    parser.add_argument("--levers", action="store_true", help="also run (c) with each speed lever switched off")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each lever variant, best kept")
    parser.add_argument(
        "--lever-articles", type=int, default=200, help="articles of the levers' dump (the first of --articles at most)"
    )
    parser.add_argument("--gold", default=str(SEEDS), help="labeled articles the int8 lever is scored on")
    parser.add_argument(
        "--rss-only", action="store_true", help="run only (c) at each N and print its peak RSS by N (no ratios)"
    )
    parser.add_argument("--device", default="cpu", help="where every mode runs: cpu (default) or cuda")
    parser.add_argument(
        "--dtype", choices=("float32", "float16", "bfloat16"), default=None, help="every mode's model precision"
    )
    parser.add_argument(
        "--runtime",
        choices=("torch", "auto"),
        default="torch",
        help="the runtime of (a) and (c): torch (default; the tables of benchmarks/README.md) or auto, parley "
        "predict's default (on a CPU the encoder as static int8 on ONNX Runtime); (b) is always torch",
    )
    parser.add_argument("--work", default=None, help="folder for the dump and outputs (default: a temp folder)")
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--build-model", help=argparse.SUPPRESS)
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    parser.add_argument("--lever", default="shipped", help=argparse.SUPPRESS)
    parser.add_argument("--articles-label", default="main", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.build_model:
        build_default_model(args.build_model)
        return 0
    if args.mode:
        import torch

        torch.set_num_threads(args.threads)
        print_result(MODES[args.mode](args))
        return 0

    threads = args.threads or int(_in_child("-c", "import torch; print(torch.get_num_threads())"))
    args.work = args.work or tempfile.mkdtemp(prefix="parley-throughput-")
    Path(args.work).mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine(args.device)}")
    print(f"threads: {threads} (torch intra-op and the tokenizer, every mode); work folder: {args.work}")
    print(f"device: {args.device}; model precision: {args.dtype or 'float32'}; runtime of (a) and (c): {args.runtime}")
    if args.model is None:
        folder = Path(args.work) / "model"
        _in_child(str(Path(__file__).resolve()), "--build-model", str(folder))
        args.model = str(folder)
        print(
            f"model: none given, so built {args.model}: the packaged all-MiniLM-L6-v2 with untrained heads whose "
            f"O biases leave about {MENTION_RATE:.0%} of tokens in mentions and {TRIGGER_RATE:.0%} in triggers"
        )
    else:
        print(f"model: {args.model}")
    if args.rss_only:
        return rss_by_size(args, threads)
    n = args.articles[0]
    dump = Path(args.work) / f"dump-{n}.jsonl"
    make_dump(dump, n)
    print(
        f"dump: {n} articles from {SEEDS.name} ({dump.stat().st_size / 1e6:.1f} MB); measuring a, b, c ...", flush=True
    )
    results = {}
    for mode in MODES:
        started = time.perf_counter()
        results[mode] = spawn(mode, args, dump, threads)
        print(f"{TITLES[mode]}: done in {time.perf_counter() - started:.0f} s", flush=True)
    limit, peer, ours = results["a"], results["b"], results["c"]
    tokens = limit["tokens"]
    print(
        f"\n{n} articles, {limit['inputs']} model inputs (sentences and windows), {tokens:,} tokens "
        f"({tokens / n:.0f} per article); parley predict batch size {args.batch_size}, chunk size {args.chunk_size}"
    )
    gpu_columns = f"{'GPU util':>10}{'GPU MB':>12}" if args.device != "cpu" else ""
    print(f"{'':<32}{'articles/s':>11}{'tokens/s':>11}{'peak RSS MB':>12}{'seconds':>10}{'batch':>7}{gpu_columns}")
    for mode, result in results.items():
        print(_row(TITLES[mode], result, tokens))
    share = ours["model_pass_seconds"] / ours["seconds"]
    print(f"(c) spends {share:.1%} of its time in the model pass; the rest is reading, validating and writing")
    encoder_share = ours["encoder_seconds"] / ours["seconds"]
    # On a GPU the encoder's kernels run on after its call returns: the share lands where CUDA next waits.
    print(f"(c) spends {encoder_share:.1%} in the encoder; the rest of the pass: tokenising, heads, decoding")
    tuned = ", ".join(f"{size}: {rate:,.0f}" for size, rate in limit["tuning_tokens_per_s"].items())
    print(f"(a) tokens/s by batch size on a sample: {tuned}")

    rss = [ours["peak_rss_mb"]]
    for more in args.articles[1:]:
        extra = Path(args.work) / f"dump-{more}.jsonl"
        make_dump(extra, more)
        result = spawn("c", args, extra, threads, label=str(more))
        rss.append(result["peak_rss_mb"])
        print(_row(f"(c) parley predict, N={more}", result, None), flush=True)
        extra.unlink()

    if args.levers:
        size = min(n, args.lever_articles)
        if size < n:
            dump = Path(args.work) / f"dump-{size}.jsonl"
            make_dump(dump, size)
        print_levers(args, dump, threads, size)

    if "gold" in ours:
        gold = ours["gold"]
        print(
            f"{args.dtype} on the labeled articles of {Path(args.gold).name} (F1, fp32 -> {args.dtype}): "
            + ", ".join(f"{k} {gold['fp32'][k]:.3f} -> {gold[args.dtype][k]:.3f}" for k in gold["fp32"])
        )
    rate = ours["articles"] / ours["seconds"]
    print(
        f"ratio_vs_limit={rate / (limit['articles'] / limit['seconds']):.3f} "
        f"ratio_vs_pipeline={rate / (peer['articles'] / peer['seconds']):.3f} peak_rss_mb={max(rss):.0f}"
    )
    return 0


def rss_by_size(args: argparse.Namespace, threads: int) -> int:
    """(c) alone on a dump of each size: is its peak RSS flat in N?"""
    print(f"{'':<32}{'articles/s':>11}{'tokens/s':>11}{'peak RSS MB':>12}{'seconds':>10}", flush=True)
    peaks = []
    for n in args.articles:
        dump = Path(args.work) / f"dump-{n}.jsonl"
        make_dump(dump, n)
        result = spawn("c", args, dump, threads, label=str(n))
        peaks.append(f"{n}:{result['peak_rss_mb']:.0f}")
        print(_row(f"(c) parley predict, N={n}", result, None), flush=True)
        dump.unlink()
        Path(result["output"]).unlink()
    print("peak_rss_mb_by_n=" + ",".join(peaks))
    return 0


def print_levers(args: argparse.Namespace, dump: Path, threads: int, size: int) -> None:
    """(c) once per lever switched off, interleaved over `--repeats` rounds; the best run of each is shown."""
    from throughput_levers import VARIANTS

    # (name, lever, threads, environment): the thread levers run the shipped path.
    runs = [(lever, lever, threads, None) for lever in VARIANTS]
    if threads > 1:
        runs[1:1] = [
            ("threads-1", "shipped", 1, None),
            # OpenMP threads that sleep instead of spinning while they wait: no core burnt on a busy machine.
            ("omp-wait-passive", "shipped", threads, {"OMP_WAIT_POLICY": "PASSIVE"}),
        ]
    best: dict[str, dict] = {}
    for _ in range(args.repeats):
        for name, lever, count, env in runs:
            result = spawn("c", args, dump, count, lever=lever, label=name, env=env)
            if name not in best or result["seconds"] < best[name]["seconds"]:
                best[name] = result
    shipped = best["shipped"]
    print(f"\nlevers: (c) on {size} articles with one lever off, best of {args.repeats} interleaved run(s) each")
    print("(model pass: the share of (c)'s time inside the extractor; the rest is reading and writing)")
    print(f"{'variant':<24}{'articles/s':>11}{'vs shipped':>11}{'model pass':>11}{'peak RSS MB':>12}  agreement")
    for name, result in best.items():
        rate = result["articles"] / result["seconds"]
        speed = rate / (shipped["articles"] / shipped["seconds"])
        agree = agreement(shipped["output"], result["output"])
        same = (
            "identical bytes"
            if Path(shipped["output"]).read_bytes() == Path(result["output"]).read_bytes()
            else (" ".join(f"{k}={v:.3f}" for k, v in agree.items()))
        )
        print(
            f"{name:<24}{rate:>11.2f}{speed:>11.2f}{result['model_pass_seconds'] / result['seconds']:>11.1%}"
            f"{result['peak_rss_mb']:>12,.0f}  {same}"
        )
    if "gold" in best.get("int8", {}):
        gold = best["int8"]["gold"]
        print(
            f"int8 on the labeled articles of {Path(args.gold).name} (F1, fp32 -> int8): "
            + ", ".join(f"{k} {gold['fp32'][k]:.3f} -> {gold['int8'][k]:.3f}" for k in gold["fp32"])
        )


if __name__ == "__main__":
    sys.exit(main())
