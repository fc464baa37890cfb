"""`parley predict` gives what it gave before the code was restructured (issue "one-way house").

The fixtures in fixtures/predict_golden/ were written by the code before the restructuring, with the keyword
checkpoint of helpers_checkpoint (max_seq_length 64, so the seed articles' long sentences go through windows),
over data/seeds.jsonl and examples/new_articles.jsonl, as event records and as dyad rows. Everything must be
byte for byte the same except scores, which may move by one unit of their fourth decimal on another CPU.
They were written on torch float32, so the runs here name `--runtime torch` (the CPU default is static int8).
`scripts/predict_unchanged.sh REF MODEL` checks byte identity between two commits with any model.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from parley.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "fixtures" / "predict_golden"
CASES = {
    "seeds.jsonl": ("data/seeds.jsonl", []),
    "seeds_dyads.jsonl": ("data/seeds.jsonl", ["--dyads"]),
    "new.jsonl": ("examples/new_articles.jsonl", []),
    "new_dyads.jsonl": ("examples/new_articles.jsonl", ["--dyads"]),
}


def same_apart_from_score_noise(expected, actual, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), where
        for key in expected:
            same_apart_from_score_noise(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for index, (one, other) in enumerate(zip(expected, actual, strict=True)):
            same_apart_from_score_noise(one, other, f"{where}[{index}]")
    elif isinstance(expected, float):
        assert isinstance(actual, float) and math.isclose(expected, actual, abs_tol=2e-4), where
    else:
        assert expected == actual, where


@pytest.mark.parametrize("name", sorted(CASES))
def test_predict_output_is_unchanged(name, model_dir, tmp_path):
    source, flags = CASES[name]
    output = tmp_path / name
    assert (
        main(
            [
                "predict",
                "--quiet",
                "--model",
                str(model_dir),
                "--input",
                str(REPO / source),
                "--output",
                str(output),
                "--runtime",
                "torch",
                *flags,
            ]
        )
        == 0
    )
    expected = (GOLDEN / name).read_text(encoding="utf-8").splitlines()
    actual = output.read_text(encoding="utf-8").splitlines()
    assert len(actual) == len(expected)
    for number, (want, got) in enumerate(zip(expected, actual, strict=True), start=1):
        same_apart_from_score_noise(json.loads(want), json.loads(got), f"{name}:{number}")
