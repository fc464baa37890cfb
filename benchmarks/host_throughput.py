"""Host-only throughput of `parley predict`: everything but the model, by number of worker processes.

    python benchmarks/host_throughput.py [--articles N] [--model DIR] [--workers 0 1 2]

The model pass is stubbed out: the encoder returns each token's id as its one "state", and the two tag
heads turn it into tags by a hash of the id, so that about 12% of tokens open or continue a mention and 2%
a trigger, as in news text (the rates of throughput.py's default model); the relation head returns zero
logits of the right shape. Everything else is the shipped run: reading and validating the dump, sentence
splitting, the fast tokenizer, windows, BIO decoding, choosing roles, assembling, time resolution,
serialising, writing and committing. It is a benchmark lever, not a test double: what it measures is the
host's share of a run, which on a GPU decides how busy the GPU can be kept.

First a stage profile with 0 workers (one process, one core): milliseconds per article in each stage.
Then the run with each `--workers` count, printing articles/s over the whole run, the steady rate (from the
first chunk committed to the last full one: the workers' start-up, which spawns processes that import torch
and the tokenizer, and the pipeline's filling are left out; it is what a long dump sees), the start (seconds
to the first commit), and the main process's own CPU time per article (its serial part: reading, the stubbed
pass with its decoding, writing and handing chunks to workers), which bounds what more workers can give.
Every run's output is compared with the 0-worker run's, byte for byte. The last line is
`host_ms_per_article=X ... steady_articles_per_s_by_workers=...`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# The fast tokenizer in the calling thread: one core's work is what is measured.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch  # noqa: E402
from throughput import MENTION_RATE, TRIGGER_RATE, build_default_model, make_dump  # noqa: E402

from parley.inference.batch import PredictOptions, predict_file  # noqa: E402
from parley.inference.extractor import EventExtractor  # noqa: E402


def _hashed(ids: torch.Tensor, salt: int) -> torch.Tensor:
    """A fixed pseudo-random number in [0, 1) per token id (the same word gets the same tags)."""
    return ((ids * 2654435761 + salt) % 1_000_003).float() / 1_000_003


class _StubHead(torch.nn.Module):
    """Tag logits from the token ids: `rate` of the tokens get a B- or I- tag of a label chosen by the hash."""

    def __init__(self, tags: int, rate: float, salt: int):
        super().__init__()
        self.tags, self.rate, self.salt = tags, rate, salt

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        ids = states[..., 0].long()
        draw = _hashed(ids, self.salt)
        logits = torch.zeros((*ids.shape, self.tags))
        chosen = 1 + (draw / self.rate * (self.tags - 1)).long().clamp(max=self.tags - 2)
        tagged = draw < self.rate
        logits[tagged, chosen[tagged]] = 5.0
        return logits


class StubModel(torch.nn.Module):
    """The model's interface with no network behind it: ids in, tags and zero relation logits out."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        labels = config.label_space
        self.mention_head = _StubHead(len(labels.mention_tags), MENTION_RATE, 1)
        self.trigger_head = _StubHead(len(labels.trigger_tags), TRIGGER_RATE, 2)
        # Counted once: `config.label_space` parses the schema each time, which the real heads never do.
        self.roles, self.statuses = len(labels.roles), len(labels.statuses)

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return input_ids.unsqueeze(-1).float()

    def score_relations(self, states, trigger_spans, trigger_types, mention_spans, mention_labels):
        size, n_t, n_m = trigger_spans.shape[0], trigger_spans.shape[1], mention_spans.shape[1]
        return torch.zeros((size, n_t, n_m, self.roles)), torch.zeros((size, n_t, self.statuses))


def stub_extractor(model_dir: str) -> EventExtractor:
    """The checkpoint's tokenizer, schema, windows and thresholds around `StubModel`."""
    real = EventExtractor.from_pretrained(model_dir, device="cpu", runtime="torch")
    return EventExtractor(StubModel(real.model.config), real.tokenizer, device="cpu")


def _timed(owner, name: str, totals: dict, key: str) -> None:
    """Wrap `owner.name` so that the CPU seconds spent in it add up in `totals[key]`."""
    method = getattr(owner, name)

    def timed(*args, **kwargs):
        started = time.process_time()
        try:
            return method(*args, **kwargs)
        finally:
            totals[key] = totals.get(key, 0.0) + time.process_time() - started

    setattr(owner, name, timed)


class _TimedTokenizer:
    """The tokenizer, its calls' CPU seconds added to `totals["tokenizer"]`."""

    def __init__(self, tokenizer, totals: dict):
        self._tokenizer, self._totals = tokenizer, totals

    def __getattr__(self, name: str):
        return getattr(self._tokenizer, name)

    def __call__(self, *args, **kwargs):
        started = time.process_time()
        try:
            return self._tokenizer(*args, **kwargs)
        finally:
            self._totals["tokenizer"] = self._totals.get("tokenizer", 0.0) + time.process_time() - started


def stage_profile(model_dir: str, dump: Path, work: Path, chunk_size: int) -> dict[str, float]:
    """CPU seconds in each stage of a 0-worker run (they nest: tokenizer in split, split in prepare)."""
    import parley.inference.batch as batch

    extractor, totals = stub_extractor(model_dir), {}
    extractor.tokenizer = _TimedTokenizer(extractor.tokenizer, totals)
    for name, key in (("_tokenized_sentences", "split"), ("_units", "prepare"), ("run_units", "model")):
        _timed(extractor, name, totals, key)
    _timed(extractor, "_assemble", totals, "assemble")
    unwrapped = batch.article_output
    _timed(batch, "article_output", totals, "serialise")
    started = time.process_time()
    try:
        _run(model_dir, dump, work / "profile.jsonl", 0, chunk_size, extractor)
    finally:
        batch.article_output = unwrapped
    totals["total"] = time.process_time() - started
    return totals


def tensor_op_ms(model_dir: str, dump: Path, articles: int, batch_size: int = 32) -> float:
    """CPU ms per article that the stub pass spends inside torch operators (softmax, max, nonzero, indexing...).

    On a GPU those run on the device (the host only launches them), so they are not host work; the rest of the
    pass (BIO decoding, span lists, role bookkeeping) is. Measured with torch's profiler, each operator's own
    time (its children excluded, so nothing counts twice), over the dump's first `articles` articles.
    """
    import json

    from torch.profiler import ProfilerActivity, profile

    from parley.documents import Document

    extractor = stub_extractor(model_dir)
    with dump.open(encoding="utf-8") as lines:
        documents = [Document.from_dict(json.loads(line)) for _, line in zip(range(articles), lines, strict=False)]
    units = extractor._units(documents)
    with profile(activities=[ProfilerActivity.CPU]) as profiled:
        extractor.run_units(units, batch_size=batch_size)
    inside = sum(event.self_cpu_time_total for event in profiled.key_averages() if event.key.startswith("aten::"))
    return inside / 1000 / len(documents)


def _run(model_dir: str, dump: Path, output: Path, workers: int, chunk_size: int, extractor, hook=None) -> int:
    options = PredictOptions(
        model=model_dir,
        input=str(dump),
        output=str(output),
        chunk_size=chunk_size,
        progress=False,
        overwrite=True,
        workers=workers,
    )
    return predict_file(options, extractor=extractor, hook=hook).articles


def _commit_clock(times: list[float]):
    """A predict hook that notes when each chunk is committed."""

    def hook(chunk: int, stage: str) -> None:
        if stage == "committed":
            times.append(time.perf_counter())

    return hook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--model", default=None, help="a model folder (default: throughput.py's built one)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    if args.articles < 3 * args.chunk_size:
        parser.error(f"--articles: at least 3 chunks ({3 * args.chunk_size}) for a steady rate")
    torch.set_num_threads(1)
    work = Path(args.work or tempfile.mkdtemp(prefix="parley-host-"))
    work.mkdir(parents=True, exist_ok=True)
    model_dir = args.model or str(build_default_model(work / "model"))
    dump = work / f"dump-{args.articles}.jsonl"
    make_dump(dump, args.articles)
    print(f"{os.cpu_count()} logical cores; model {model_dir} (its tokenizer and schema; the model pass stubbed)")
    print(f"dump: {args.articles} articles ({dump.stat().st_size / 1e6:.1f} MB), chunk size {args.chunk_size}")

    stages = stage_profile(model_dir, dump, work, args.chunk_size)
    per = {key: 1000 * value / args.articles for key, value in stages.items()}
    rows = [
        ("sentence and word split", per["split"] - per["tokenizer"], "worker"),
        ("tokenizer (one call per chunk)", per["tokenizer"], "worker"),
        ("windows and units", per["prepare"] - per["split"], "worker"),
        ("stub pass: tags, BIO spans, roles", per["model"], "main"),
        ("assemble, resolve times", per["assemble"], "worker"),
        ("dyad rows / records, JSON", per["serialise"], "worker"),
        (
            "read, validate, write, commit",
            per["total"] - per["prepare"] - per["model"] - per["assemble"] - per["serialise"],
            "main",
        ),
    ]
    tensor_ms = tensor_op_ms(model_dir, dump, min(args.articles, 512))
    print("\nstages of a 0-worker run, CPU ms per article (where a run with workers does them):")
    for name, value, where in rows:
        print(f"  {name:<36}{value:7.2f}  {where}")
        if name.startswith("stub pass"):
            print(f"    {'of which torch operators':<34}{tensor_ms:7.2f}  (on a GPU: the device's)")
    print(f"  {'total':<36}{per['total']:7.2f}")
    worker_ms = sum(value for _, value, where in rows if where == "worker")

    print(
        f"\n{'workers':>8}{'articles/s':>12}{'steady/s':>10}{'start s':>9}{'wall ms/article':>17}"
        f"{'main CPU ms/article':>21}"
    )
    reference, rates, steady, main_ms = None, {}, {}, {}
    for workers in args.workers:
        extractor = stub_extractor(model_dir)
        output = work / f"out-{workers}.jsonl"
        committed: list[float] = []
        hook = _commit_clock(committed)
        clock, cpu = time.perf_counter(), time.process_time()
        articles = _run(model_dir, dump, output, workers, args.chunk_size, extractor, hook)
        seconds, main_cpu = time.perf_counter() - clock, time.process_time() - cpu
        rates[workers], main_ms[workers] = articles / seconds, 1000 * main_cpu / articles
        # Steady: from the first chunk committed to the last, so the workers' start-up (spawning, importing
        # torch and the tokenizer) and the pipeline's filling are left out; every chunk but the last is full.
        steady[workers] = (len(committed) - 2) * args.chunk_size / (committed[-2] - committed[0])
        start = committed[0] - clock
        same = ""
        if reference is None:
            reference = output.read_bytes()
        else:
            same = "  same bytes as 0 workers" if output.read_bytes() == reference else "  OUTPUT DIFFERS"
        print(
            f"{workers:>8}{rates[workers]:>12.1f}{steady[workers]:>10.1f}{start:>9.2f}"
            f"{1000 * seconds / articles:>17.2f}{main_ms[workers]:>21.2f}{same}"
        )
    serial = main_ms[max(main_ms)]
    host_serial = serial - tensor_ms  # on a GPU the stub's torch operators are the device's work
    cores = 16
    limit = min((cores - 1) * 1000 / worker_ms, 1000 / serial)
    gpu_limit = min((cores - 1) * 1000 / worker_ms, 1000 / max(host_serial, 1e-3))
    print(
        f"with workers the main process keeps {serial:.2f} CPU ms per article (its serial part; {host_serial:.2f} "
        f"without the torch operators a GPU would run) and each worker takes {worker_ms:.2f}: on {cores} cores "
        f"(15 workers) the host would prepare about {limit:,.0f} articles/s with the operators on the host, "
        f"{gpu_limit:,.0f} with them on a GPU (min of 15 x {1000 / worker_ms:,.0f} and 1000 / main ms)"
    )
    print(
        f"host_ms_per_article={per['total']:.2f} worker_ms_per_article={worker_ms:.2f} "
        f"main_ms_per_article={serial:.2f} main_host_ms_per_article={host_serial:.2f} "
        f"articles_per_s_16_cores={limit:.0f} articles_per_s_16_cores_gpu={gpu_limit:.0f} "
        "steady_articles_per_s_by_workers=" + ",".join(f"{w}:{r:.0f}" for w, r in steady.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
