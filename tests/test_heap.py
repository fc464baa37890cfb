"""Memory housekeeping of long runs (inference/heap.py)."""

from __future__ import annotations

import gc
import json
import weakref

from parley.inference.batch import PredictOptions, predict_file
from parley.inference.heap import long_lived_objects_frozen


class _Node:
    """An object in a reference cycle: only the cycle collector frees it."""

    def __init__(self):
        self.me = self


def test_objects_alive_on_entry_are_frozen_inside_and_returned_after():
    kept = [_Node() for _ in range(10)]
    assert gc.get_freeze_count() == 0
    with long_lived_objects_frozen():
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0


def test_garbage_frozen_with_the_rest_is_collected_after():
    dropped = weakref.ref(_Node())  # unreachable at once, but a cycle: alive until a collection
    with long_lived_objects_frozen():
        gc.collect()
        assert dropped() is not None  # frozen: no collection frees it inside
    gc.collect()
    assert dropped() is None  # not kept for good


def test_inside_another_freeze_it_leaves_that_freeze_alone():
    gc.freeze()
    try:
        count = gc.get_freeze_count()
        with long_lived_objects_frozen():
            pass
        assert gc.get_freeze_count() == count
    finally:
        gc.unfreeze()


def test_a_predict_run_freezes_during_the_run_only(extractor, model_dir, tmp_path):
    dump = tmp_path / "news.jsonl"
    dump.write_text(json.dumps({"id": "a", "text": "The minister met the envoy in Geneva."}) + "\n")
    counts = []
    options = PredictOptions(str(model_dir), str(dump), str(tmp_path / "out.jsonl"), progress=False)
    predict_file(options, extractor=extractor, hook=lambda chunk, stage: counts.append(gc.get_freeze_count()))
    assert counts and all(count > 0 for count in counts)
    assert gc.get_freeze_count() == 0
