"""The held-out accuracy report: its config, the ratio + test_paths split it needs, and --quick end to end."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from parley.config import ConfigError, config_from_dict, load_config
from parley.scoring import score_articles
from parley.training.dataset_builder import build_dataset

REPO = Path(__file__).resolve().parents[1]
HELDOUT = REPO / "configs" / "train" / "heldout_seeds.yaml"
DEFAULT = REPO / "configs" / "train" / "default.yaml"

# Benchmark scripts import each other as scripts do, from their own folder.
sys.path.insert(0, str(REPO / "benchmarks"))
import accuracy_report  # noqa: E402
from keyword_baseline import KeywordBaseline  # noqa: E402


def test_heldout_config_trains_on_synthetic_and_tests_on_the_seeds_with_default_settings():
    heldout, default = load_config(HELDOUT), load_config(DEFAULT)
    assert heldout.data.paths == ["data/synthetic/"] and heldout.data.test_paths == ["data/seeds.jsonl"]
    assert heldout.data.train_paths is None and heldout.data.split.test == 0 and heldout.data.split.dev > 0
    assert heldout.model == default.model
    assert replace(heldout.train, output_dir="x") == replace(default.train, output_dir="x")
    assert replace(heldout.data, paths=[], test_paths=None, split=None) == replace(
        default.data, paths=[], test_paths=None, split=None
    )


def test_test_paths_with_paths_needs_a_zero_test_ratio():
    ok = config_from_dict(
        {"data": {"paths": ["a"], "test_paths": ["b"], "split": {"train": 0.9, "dev": 0.1, "test": 0}}}
    )
    assert ok.data.test_paths == ["b"]
    with pytest.raises(ConfigError, match="data.test_paths: .*data.split.test must be 0"):
        config_from_dict({"data": {"paths": ["a"], "test_paths": ["b"]}})
    with pytest.raises(ConfigError, match="data.train_paths: required when data.dev_paths"):
        config_from_dict({"data": {"dev_paths": ["b"], "split": {"train": 1.0, "dev": 0, "test": 0}}})


def test_paths_split_by_ratio_and_test_paths_as_test(hand_articles, write_articles, tiny_encoder_dir):
    pool = write_articles(hand_articles[:4], "pool.jsonl")
    test = write_articles(hand_articles[4:], "test.jsonl")
    split = "data.split={train: 0.5, dev: 0.5, test: 0.0}"
    overrides = [f"data.paths={pool}", f"data.test_paths={test}", split, f"model.encoder={tiny_encoder_dir}"]
    built = build_dataset(load_config(HELDOUT, overrides))
    ids = {name: set(rows["article_id"]) for name, rows in built.datasets.items()}
    assert ids["test"] == {hand_articles[4].id}
    assert ids["train"] and ids["dev"] and ids["train"] | ids["dev"] == {a.id for a in hand_articles[:4]}
    # The same article in both places is an error naming it, never a silent leak.
    both = write_articles(hand_articles[3:], "both.jsonl")
    clash = [f"data.paths={pool}", f"data.test_paths={both}", split, f"model.encoder={tiny_encoder_dir}"]
    with pytest.raises(ValueError, match=f"{hand_articles[3].id}.*both data.paths and data.test_paths"):
        build_dataset(load_config(HELDOUT, clash))


def test_quick_report_end_to_end(hand_articles, write_articles, tiny_encoder_dir, schema, tmp_path, capsys):
    seeds = hand_articles
    # Synthetic stand-ins: the same passages under other ids, twice, so the ratio split has a dev part.
    synthetic = [replace(a, id=f"syn-{copy}-{a.id}") for copy in "ab" for a in hand_articles]
    seeds_file = write_articles(seeds, "seeds.jsonl")
    synthetic_file = write_articles(synthetic, "synthetic.jsonl")
    work, out_json, out_md = tmp_path / "work", tmp_path / "report.json", tmp_path / "report.md"
    code = accuracy_report.main(
        [
            "--quick",
            "--config",
            str(HELDOUT),
            "--work-dir",
            str(work),
            "--json",
            str(out_json),
            "--markdown",
            str(out_md),
            f"data.paths={synthetic_file}",
            f"data.test_paths={seeds_file}",
            f"model.encoder={tiny_encoder_dir}",
            "data.max_length=64",
            "data.split={train: 0.6, dev: 0.4, test: 0.0}",
        ]
    )
    assert code == 0
    report = json.loads(out_json.read_text())
    held_out = [a.id for a in seeds[:2]]
    assert report["meta"]["held_out_articles"] == held_out
    assert report["meta"]["synthetic_dev_articles"] > 0
    settings = report["settings"]
    assert list(settings) == [
        "seeds_only",
        "synthetic",
        "synthetic_plus_seeds",
        "synthetic_25",
        "synthetic_50",
        "keyword_baseline",
    ]
    assert [settings[k]["runs"] for k in settings] == [2, 1, 2, 1, 1, 0]
    assert all(s["scores"]["articles"] == 2 for s in settings.values())
    assert [p["articles"] for p in report["learning_curve"]] == [2, 3, 6]
    assert report["best_model"] != "keyword_baseline" and report["baseline"] == "keyword_baseline"
    assert set(report["confusions"]) == {report["best_model"], "keyword_baseline"}

    # No seed is scored by a model that trained on it, and the synthetic runs see no seed at all.
    seed_ids = {a.id for a in seeds}
    runs = work / "runs"
    for held in held_out:
        for name in (f"seeds_only-{held}", f"synthetic_plus_seeds-{held}"):
            splits = json.loads((runs / name / "splits.json").read_text())
            assert splits["test"] == [held] and held not in splits["train"] + splits["dev"]
            assert seed_ids - {held} <= set(splits["train"])
    for name in ("synthetic", "synthetic_25", "synthetic_50"):
        splits = json.loads((runs / name / "splits.json").read_text())
        assert not seed_ids & set(splits["train"] + splits["dev"])
    assert not (runs / "synthetic" / "model").exists()  # deleted without --keep-models

    # The baseline line is the project scorer on the baseline's predictions of the held-out seeds.
    rules = KeywordBaseline(schema)
    expected = score_articles(seeds[:2], [rules.predict(a) for a in seeds[:2]], schema).to_dict()
    assert settings["keyword_baseline"]["scores"] == json.loads(json.dumps(expected))
    table = {row["setting"]: row for row in report["table"]}
    assert table["(e) keyword baseline"]["argument cls F1"] == expected["argument_cls"]["f1"]

    printed = capsys.readouterr().out
    header = "trigger id F1  trigger cls F1  argument id F1  argument cls F1  mention F1  status acc"
    assert header in printed and "Most common confusions" in printed
    markdown = out_md.read_text()
    assert "| setting | trigger id F1 | trigger cls F1 | argument id F1 | argument cls F1 | mention F1 |" in markdown
    assert markdown.count("\n| (") == len(settings)
