"""The speed levers of `benchmarks/throughput.py --levers`: switched off, each gives the shipped extractor's output.

The variants (benchmarks/throughput_levers.py) run in-process on the keyword-spotting checkpoint of
helpers_checkpoint, which finds events in the benchmark's dump articles.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers_checkpoint import build_checkpoint

from parley.inference.batch import PredictOptions, predict_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import throughput  # noqa: E402
import throughput_levers  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return build_checkpoint(tmp_path_factory.mktemp("keyword-model"))


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dump") / "dump.jsonl"
    throughput.make_dump(path, 4)
    return path


def test_levers_off_give_the_same_output(model_dir, dump, tmp_path):
    outputs = {}
    for variant in ("shipped", "tokenizer-per-sentence", "decode-per-token", "relations-per-pair", "unsorted"):
        extractor = throughput_levers.lever_extractor(str(model_dir), variant)
        outputs[variant] = tmp_path / f"{variant}.jsonl"
        options = PredictOptions(str(model_dir), str(dump), str(outputs[variant]), progress=False)
        predict_file(options, extractor=extractor)
    shipped = outputs.pop("shipped")
    assert throughput.output_items(shipped)["arguments"]  # the keyword model finds events in these articles
    for variant, output in outputs.items():
        if variant in ("tokenizer-per-sentence", "decode-per-token"):
            # The same computation organised differently: byte for byte the same file.
            assert output.read_bytes() == shipped.read_bytes(), variant
        else:
            same = {"mentions": 1.0, "events": 1.0, "arguments": 1.0}
            assert throughput.agreement(shipped, output) == same, variant


def test_a_word_the_tokenizer_drops_does_not_shift_the_tags_after_it(model_dir):
    # U+FFFD (mojibake in scraped news) is a word to the splitter but no token to BERT's tokenizer. The old
    # per-token loops read the next word's tag for it: they tagged "the", "in", "on" in the first text and
    # raised KeyError on the second, whose "Geneva" span landed on the dropped word.
    shipped = throughput_levers.lever_extractor(str(model_dir), "shipped")
    old = throughput_levers.lever_extractor(str(model_dir), "decode-per-token")
    first, second = "Lavrov met \ufffd the opposition in Geneva on Friday.", "Lavrov met \ufffd Geneva officials."
    assert [m.text for m in shipped.extract([first])[0].mentions] == ["Lavrov", "opposition", "Geneva", "Friday"]
    assert [m.text for m in old.extract([first])[0].mentions] == ["Lavrov", "the", "in", "on"]
    assert [m.text for m in shipped.extract([second])[0].mentions] == ["Lavrov", "Geneva"]
    with pytest.raises(KeyError):
        old.extract([second])


def test_int8_is_an_option_of_the_extractor(model_dir):
    import torch

    from parley.inference import EventExtractor

    extractor = throughput_levers.lever_extractor(str(model_dir), "int8")
    assert type(extractor.model.mention_head) is not torch.nn.Linear
    assert "quantized" in type(extractor.model.mention_head).__module__
    assert extractor.device.type == "cpu" and extractor.extract(["Lavrov met the opposition."])[0].mentions
    with pytest.raises(ValueError, match="CPU only"):
        EventExtractor.from_pretrained(str(model_dir), device="cuda", int8=True)
