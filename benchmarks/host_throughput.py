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
Then the run with each `--workers` count, printing articles/s, ms per article per busy core, and the main
process's own CPU time per article (its serial part: reading, the stubbed pass with its decoding, writing
and handing chunks to workers), which bounds what more workers can give. Every run's output is compared
with the 0-worker run's, byte for byte. The last line is `host_ms_per_article=X articles_per_s_by_workers=...`.
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

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return input_ids.unsqueeze(-1).float()

    def score_relations(self, states, trigger_spans, trigger_types, mention_spans, mention_labels):
        labels = self.config.label_space
        size, n_t, n_m = trigger_spans.shape[0], trigger_spans.shape[1], mention_spans.shape[1]
        return torch.zeros((size, n_t, n_m, len(labels.roles))), torch.zeros((size, n_t, len(labels.statuses)))


def stub_extractor(model_dir: str) -> EventExtractor:
    """The checkpoint's tokenizer, schema, windows and thresholds around `StubModel`."""
    real = EventExtractor.from_pretrained(model_dir, device="cpu")
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


def _run(model_dir: str, dump: Path, output: Path, workers: int, chunk_size: int, extractor) -> int:
    options = PredictOptions(
        model=model_dir,
        input=str(dump),
        output=str(output),
        chunk_size=chunk_size,
        progress=False,
        overwrite=True,
        workers=workers,
    )
    return predict_file(options, extractor=extractor).articles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--model", default=None, help="a model folder (default: throughput.py's built one)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
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
    print("\nstages of a 0-worker run, CPU ms per article (where a run with workers does them):")
    for name, value, where in rows:
        print(f"  {name:<36}{value:7.2f}  {where}")
    print(f"  {'total':<36}{per['total']:7.2f}")
    worker_ms = sum(value for _, value, where in rows if where == "worker")

    print(f"\n{'workers':>8}{'articles/s':>12}{'wall ms/article':>17}{'main CPU ms/article':>21}")
    reference, rates, main_ms = None, {}, {}
    for workers in args.workers:
        extractor = stub_extractor(model_dir)
        output = work / f"out-{workers}.jsonl"
        clock, cpu = time.perf_counter(), time.process_time()
        articles = _run(model_dir, dump, output, workers, args.chunk_size, extractor)
        seconds, main_cpu = time.perf_counter() - clock, time.process_time() - cpu
        rates[workers], main_ms[workers] = articles / seconds, 1000 * main_cpu / articles
        same = ""
        if reference is None:
            reference = output.read_bytes()
        else:
            same = "  same bytes as 0 workers" if output.read_bytes() == reference else "  OUTPUT DIFFERS"
        print(f"{workers:>8}{rates[workers]:>12.1f}{1000 * seconds / articles:>17.2f}{main_ms[workers]:>21.2f}{same}")
    serial = main_ms[max(main_ms)]
    cores = 16
    limit = min((cores - 1) * 1000 / worker_ms, 1000 / serial)
    print(
        f"with workers the main process keeps {serial:.2f} CPU ms per article (its serial part) and each worker takes "
        f"{worker_ms:.2f}: on {cores} cores (15 workers) the host would prepare about {limit:,.0f} articles/s "
        f"(min of 15 x {1000 / worker_ms:,.0f} and {1000 / serial:,.0f})"
    )
    print(
        f"host_ms_per_article={per['total']:.2f} worker_ms_per_article={worker_ms:.2f} "
        f"main_ms_per_article={serial:.2f} articles_per_s_16_cores={limit:.0f} articles_per_s_by_workers="
        + ",".join(f"{w}:{r:.0f}" for w, r in rates.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
