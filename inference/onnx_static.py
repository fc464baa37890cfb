"""Static int8 for the ONNX encoder: fixed passages run through the fp32 graph fix each activation's int8 scale.

Dynamic int8 computes an activation's scale per call over the whole batch, so an article's scores move with its
batch neighbours; with scales fixed here, each row is quantised alone and they do not.

The packaged passages (`calibration.jsonl` beside this file) are news-style articles written for parley, taken
from the training split of the default model's run (scripts/calibration_passages.py): never the seed articles
or a test split, which measure accuracy. They are the same for every checkpoint, so the quantised file depends
only on the weights and these texts; both are in its cache key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from parley.text import split_sentences, split_words

CALIBRATION_FILE = Path(__file__).with_name("calibration.jsonl")


def calibration_texts(path: str | Path = CALIBRATION_FILE) -> list[str]:
    """The texts of a JSONL file of {"id", "text"} passages (default: the packaged ones)."""
    texts = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}, line {number}: not JSON ({err.msg})") from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not record["text"].strip():
                raise ValueError(f'{path}, line {number}: expected an object with a non-empty "text" string')
            texts.append(record["text"])
    if not texts:
        raise ValueError(f"{path}: no calibration passages")
    return texts


def texts_digest(texts: Sequence[str]) -> str:
    """A hash of the calibration texts: a changed set quantises again."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def calibration_inputs(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Each sentence of `texts` as the token ids the extractor feeds the encoder (special tokens in, cut to fit)."""
    sentences = []
    for text in texts:
        for start, end in split_sentences(text):
            words = [text[a:b] for a, b in split_words(text, start, end)]
            if words:
                sentences.append(words)
    encoded = tokenizer(sentences, is_split_into_words=True, truncation=True, max_length=max_length)
    return [list(ids) for ids in encoded["input_ids"]]


class SentenceFeed:
    """Calibration data for onnxruntime's `quantize_static`: one unpadded sentence per call of `get_next`.

    One sentence a run keeps padding out of the activation ranges: padded positions never reach a real token.
    """

    def __init__(self, inputs: Sequence[Sequence[int]]):
        self._inputs: Iterator[Sequence[int]] = iter(inputs)

    def get_next(self) -> dict[str, np.ndarray] | None:
        ids = next(self._inputs, None)
        if ids is None:
            return None
        row = np.asarray([ids], dtype=np.int64)
        return {"input_ids": row, "attention_mask": np.ones_like(row)}


def quantize_static_int8(
    source: Path, target: Path, per_channel: bool, excluded: list[str], feed: SentenceFeed
) -> None:
    """Static int8 (QDQ) of the inputs of the MatMuls with a weight matrix in `source`, ranges from `feed` (min-max).

    Only those inputs are quantised: the MatMuls' outputs, layer norm, softmax, GELU, the residual sums and
    attention's own products (two activations) stay fp32. Quantising the MatMul outputs too (the quantiser's
    default, which also rounds the residual sums) lost 0.012 test argument F1 on the default model.
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    graph = onnx.load(str(source), load_external_data=False).graph
    weights = {initializer.name for initializer in graph.initializer}
    products = [n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] not in weights]
    with written_whole(target) as partial, warnings.catch_warnings(), quiet_root_logger():
        warnings.simplefilter("ignore")
        quantize_static(
            str(source),
            str(partial),
            feed,
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["MatMul"],
            per_channel=per_channel,
            # uint8 activations with a zero point: GELU outputs are far from symmetric (int8 around 0 lost 0.1 F1).
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=[*excluded, *products],
            # Min-max keeps the rare large activations, which matter: percentile clipping lost accuracy.
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={
                "MatMulConstBOnly": True,
                "OpTypesToExcludeOutputQuantization": ["MatMul"],
                "DefaultTensorType": onnx.TensorProto.FLOAT,
            },
        )


@contextmanager
def quiet_root_logger() -> Iterator[None]:
    """The quantisers log advice on the root logger ("consider pre-processing"); not the user's business."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


@contextmanager
def written_whole(target: Path) -> Iterator[Path]:
    """A temporary path beside `target` to write, moved onto it once the write is complete: a process reading
    the cache never finds half a file, and two processes exporting at once do not clash."""
    partial = target.with_name(target.name + f".{os.getpid()}.tmp")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
