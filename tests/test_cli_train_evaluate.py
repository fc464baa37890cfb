"""`parley train` and `parley evaluate` from the command line, as the README shows them."""

from __future__ import annotations

import json

from parley.cli import main


def test_train_then_evaluate_tiny_encoder(hand_articles, write_articles, tiny_encoder_dir, tmp_path, capsys):
    data = write_articles(hand_articles)
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "configs/train/tiny.yaml",
            f"output_dir={out}",
            f"data.paths={data}",
            f"model.encoder={tiny_encoder_dir}",
            "data.max_length=64",
        ]
    )
    assert code == 0
    assert (out / "model" / "model.safetensors").exists()
    assert "== dev split, end to end" in capsys.readouterr().out

    scores_json = tmp_path / "scores.json"
    assert main(["evaluate", "--model", str(out / "model"), "--data", str(data), "--json", str(scores_json)]) == 0
    table = capsys.readouterr().out
    for row in ("trigger id", "trigger cls", "argument id", "argument cls", "status acc"):
        assert row in table
    scores = json.loads(scores_json.read_text())
    assert scores["trigger_cls"]["fn"] + scores["trigger_cls"]["tp"] == sum(len(a.events) for a in hand_articles)
    # Scored as parley predict runs the model: on this CPU the static int8 encoder, exported on first use.
    assert [p.name.split("-")[1:3] for p in (out / "model" / "onnx").glob("*.onnx")] == [["int8", "static"]]
    torch_json = tmp_path / "torch.json"
    on_torch = ["evaluate", "--model", str(out / "model"), "--data", str(data), "--runtime", "torch"]
    assert main([*on_torch, "--json", str(torch_json)]) == 0
    gold = json.loads(torch_json.read_text())["trigger_cls"]
    assert gold["fn"] + gold["tp"] == scores["trigger_cls"]["fn"] + scores["trigger_cls"]["tp"]


def test_train_with_packaged_minilm_on_the_seeds(tmp_path, capsys):
    """The issue's done-when: tiny.yaml on the packaged encoder writes a self-describing safetensors checkpoint."""
    out = tmp_path / "seeds"
    assert main(["train", "configs/train/tiny.yaml", f"output_dir={out}", "data.paths=data/seeds.jsonl"]) == 0
    config = json.loads((out / "model" / "config.json").read_text())
    assert config["model_type"] == "parley-events"
    assert [t["name"] for t in config["schema"]["event_types"]] == [
        "INVITE",
        "ACCEPT",
        "DECLINE",
        "MEET",
        "ATTEND",
        "BOYCOTT",
    ]
    assert (out / "model" / "model.safetensors").exists() and (out / "model" / "tokenizer.json").exists()
    assert main(["evaluate", "--model", str(out / "model"), "--data", "data/seeds.jsonl"]) == 0
    assert "argument cls" in capsys.readouterr().out


def test_bad_override_names_the_key(capsys):
    assert main(["train", "configs/train/tiny.yaml", "train.learning_rate=abc"]) == 1
    assert "train.learning_rate" in capsys.readouterr().err
