"""benchmarks/active_learning.py: the held-out sets stay out of the pool, the curves and the
labels-to-match line, and a whole run at a tiny size on the tiny random encoder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from parley.formats.readers import read_articles
from parley.text import split_sentences

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import active_learning  # noqa: E402


def test_held_out_sets_share_no_sentence_with_the_pool(schema):
    corpus = read_articles(["data/synthetic/"], schema).articles
    held_out, dev, pool = active_learning.split_corpus(corpus, eval_size=30, dev_size=10, pool_size=100)
    assert len(held_out) >= 30 and len(dev) >= 10 and len(pool) == 100

    def sentences(articles):
        return {" ".join(a.text[s:e].split()) for a in articles for s, e in split_sentences(a.text)}

    assert not sentences(held_out) & sentences(pool)
    assert not sentences(dev) & sentences(pool)


def _row(strategy: str, round_number: int, seed: int, f1: float) -> dict:
    scores = dict.fromkeys(active_learning.MEASURES, f1)
    return {"strategy": strategy, "round": round_number, "seed": seed, "passages": 10 * (round_number + 1)} | {
        "events": 5,
        "words": 100,
        **scores,
    }


def test_curves_average_seeds_and_report_when_uncertainty_catches_up(capsys):
    rows = [
        _row("random", 0, 0, 0.1), _row("random", 0, 1, 0.3), _row("random", 1, 0, 0.4), _row("random", 1, 1, 0.6),
        _row("uncertainty", 0, 0, 0.1), _row("uncertainty", 0, 1, 0.3),
        _row("uncertainty", 1, 0, 0.5), _row("uncertainty", 1, 1, 0.7),
    ]  # fmt: skip
    curves = active_learning.curves(rows)
    assert [p["seeds_trigger_cls"] for p in curves["random"]] == pytest.approx([0.2, 0.5])
    assert (
        active_learning.passages_to_match(curves["uncertainty"], 0.5, "seeds_trigger_cls")
        == "reaches it at 20 passages"
    )
    assert active_learning.passages_to_match(curves["uncertainty"], 0.9, "seeds_trigger_cls").startswith(
        "does not reach"
    )
    active_learning.print_summary(rows)
    assert "seeds_trigger_cls: random 0.500; uncertainty reaches it at 20 passages" in capsys.readouterr().out


def test_a_tiny_run_prints_both_curves(tiny_encoder_dir, tmp_path):
    command = [
        sys.executable, str(BENCHMARKS / "active_learning.py"),
        "--config", "configs/train/tiny.yaml", "--epochs", "1", "--max-length", "32",
        "--start", "2", "--step", "2", "--rounds", "1", "--seeds", "0",
        "--pool-size", "8", "--eval-size", "2", "--dev-size", "2", "--work", str(tmp_path / "work"),
        f"model.encoder={tiny_encoder_dir}", "train.max_steps=1",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "data: pool=8 eval=2 dev=2 seeds=5" in out
    assert "round=1 uncertainty passages=4" in out and "round=1 random      passages=4" in out
    assert "Labels uncertainty needs to match random's final score (random at 4 passages)" in out


def test_printed_rows_read_back_as_rows(capsys):
    """`--summarize` accepts a run's printed output: each printed row comes back, the start row for every strategy."""
    rows = [_row("uncertainty", 1, 0, 0.25), _row("random", 2, 1, 0.5)]
    start = _row("uncertainty", 0, 0, 0.125) | {"strategy": "start"}
    for row in (start, *rows):
        active_learning._print_row(row | {"seconds": 3.0})
    back = active_learning.rows_from_log("run: header line\n" + capsys.readouterr().out)
    assert [(r["strategy"], r["round"], r["seed"]) for r in back] == [
        ("uncertainty", 0, 0), ("random", 0, 0), ("uncertainty", 1, 0), ("random", 2, 1),
    ]  # fmt: skip
    assert back[2] == pytest.approx(rows[0]) and back[3] == pytest.approx(rows[1])
    assert back[0]["seeds_trigger_cls"] == pytest.approx(0.125, abs=1e-3)
