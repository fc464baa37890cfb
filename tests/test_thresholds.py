"""Score thresholds tuned on dev, saved with the model and read back as the extractor's defaults."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from parley.config import load_config
from parley.inference.extractor import EventExtractor, Thresholds
from parley.inference.thresholds import GRID, tune_run_thresholds, tune_thresholds
from parley.scoring import score_articles
from parley.training.trainer import train

REPO = Path(__file__).resolve().parents[1]


def test_tuned_thresholds_are_the_best_of_the_grid_and_travel_with_the_model(
    hand_articles, write_articles, tiny_encoder_dir, tmp_path
):
    pool = write_articles([replace(a, id=f"{c}-{a.id}") for c in "abc" for a in hand_articles], "pool.jsonl")
    overrides = [
        f"data.paths=[{pool}]",
        f"model.encoder={tiny_encoder_dir}",
        "data.split={train: 0.6, dev: 0.4, test: 0.0}",
        "train.max_steps=3",
        "train.epochs=1",
        f"train.output_dir={tmp_path / 'run'}",
    ]
    model_dir = train(load_config(REPO / "configs" / "train" / "tiny.yaml", overrides), quiet=True)
    assert EventExtractor.from_pretrained(str(model_dir)).thresholds == Thresholds()  # nothing saved yet

    best = tune_run_thresholds(model_dir.parent)
    saved = json.loads((model_dir / "config.json").read_text())["thresholds"]
    assert saved == {"trigger": best.trigger, "mention": 0.0, "argument": best.argument}
    assert best.trigger in GRID and best.argument in GRID
    loaded = EventExtractor.from_pretrained(str(model_dir))
    assert loaded.thresholds == best
    assert EventExtractor.from_pretrained(str(model_dir), thresholds=Thresholds()).thresholds == Thresholds()

    # No other grid point does better on the dev articles than the one chosen.
    dev_ids = set(json.loads((model_dir.parent / "splits.json").read_text())["dev"])
    from parley.formats.readers import read_articles

    dev = [a for a in read_articles([pool], loaded.schema).articles if a.id in dev_ids]

    def total(thresholds: Thresholds) -> float:
        loaded.thresholds = thresholds
        s = score_articles(dev, [x.to_article() for x in loaded.extract(dev)], loaded.schema)
        return s.trigger_cls.f1 + s.argument_cls.f1

    chosen = total(best)
    assert all(total(Thresholds(trigger=t, argument=a)) <= chosen + 1e-9 for t in GRID for a in GRID)
    assert tune_thresholds(loaded, dev) == best


def test_parley_train_tunes_and_saves_thresholds_when_the_config_asks(
    hand_articles, write_articles, tiny_encoder_dir, tmp_path, capsys
):
    from parley.cli import main

    pool = write_articles([replace(a, id=f"{c}-{a.id}") for c in "abc" for a in hand_articles], "pool.jsonl")
    common = ["configs/train/tiny.yaml", f"data.paths=[{pool}]", f"model.encoder={tiny_encoder_dir}"]
    assert main(["train", *common, f"output_dir={tmp_path / 'plain'}"]) == 0
    assert json.loads((tmp_path / "plain" / "model" / "config.json").read_text()).get("thresholds") is None
    assert main(["train", *common, f"output_dir={tmp_path / 'tuned'}", "train.tune_thresholds=true"]) == 0
    assert "score thresholds tuned on dev: Thresholds(" in capsys.readouterr().out
    saved = json.loads((tmp_path / "tuned" / "model" / "config.json").read_text())["thresholds"]
    assert set(saved) == {"trigger", "mention", "argument"}
