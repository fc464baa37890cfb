"""Progress on stderr: `parley predict` shows the input read of its total with the time left; evaluation (and
so the end-of-training scoring) shows the model inputs done of their total, on a terminal only by default."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from helpers_checkpoint import build_checkpoint
from tqdm import tqdm

from parley.cli import main
from parley.inference import EventExtractor
from parley.inference.batch import PredictOptions, predict_file
from parley.inference.evaluate import score_extractor

TEXT = "Russia invited the opposition to talks in Geneva on Friday. Lavrov met the coalition."


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield build_checkpoint(tmp_path_factory.mktemp("keyword-model"))
    torch.set_num_threads(threads)


def last_bar(err: str) -> str:
    """The last state of the progress bar (tqdm redraws it after carriage returns)."""
    return [part for part in re.split(r"[\r\n]", err) if part.strip()][-1]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".parquet"])
def test_predict_shows_the_total_and_the_time_left(suffix, model_dir, tmp_path, capsys):
    records = [{"id": f"n{i}", "text": TEXT} for i in range(30)]
    dump = tmp_path / f"news{suffix}"
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(records), dump)
        total = "30/30"
    else:
        data = "".join(json.dumps(r) + "\n" for r in records).encode()
        if suffix.endswith(".gz"):
            import gzip

            data = gzip.compress(data)
        dump.write_bytes(data)
        size = tqdm.format_sizeof(dump.stat().st_size, divisor=1024)  # as the bar writes it: 3.22k, 150
        total = f"{size}/{size}"
    predict_file(PredictOptions(str(model_dir), str(dump), str(tmp_path / "out.jsonl"), chunk_size=8, progress=True))
    bar = last_bar(capsys.readouterr().err)
    assert bar.startswith("predict: 100%"), bar
    assert f" {total} " in bar, bar  # what was read of the input's size
    assert re.search(r"\[\d\d:\d\d<\d\d:\d\d", bar), bar  # elapsed < remaining
    assert "articles=30" in bar and "rejected=0" in bar


def test_evaluation_shows_progress_when_asked_and_stays_off_stderr_when_not_a_terminal(
    model_dir, hand_articles, write_articles, capsys
):
    extractor = EventExtractor.from_pretrained(str(model_dir), device="cpu")
    score_extractor(extractor, hand_articles, batch_size=4, progress=True)
    bar = last_bar(capsys.readouterr().err)
    assert re.match(r"extract: 100%.* (\d+)/\1 ", bar), bar
    data = write_articles(hand_articles)
    assert main(["evaluate", "--model", str(model_dir), "--data", str(data)]) == 0
    assert capsys.readouterr().err == ""  # captured stderr is no terminal: no bar in what tests compare
