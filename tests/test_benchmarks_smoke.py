"""The throughput benchmarks run end to end at a tiny size and print their tables and closing lines.

The scripts run as the lead runs them (subprocesses, tables, closing lines) on 1-layer models, both started
at the top of the module: nearly all of their time is five interpreters importing torch and transformers, which
overlap. tests/test_throughput_levers.py checks the lever variants themselves.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_checkpoint import build_checkpoint

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import throughput  # noqa: E402
import train_throughput  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return build_checkpoint(tmp_path_factory.mktemp("keyword-model"))


@pytest.fixture(scope="module", autouse=True)
def scripts(model_dir, tiny_encoder_dir, hand_articles, tmp_path_factory) -> dict[str, subprocess.Popen]:
    """Both benchmark scripts at a tiny size, running in the background while the other tests go on."""
    from parley.formats.jsonl import write_jsonl

    work = tmp_path_factory.mktemp("benchmarks")
    data = work / "hand.jsonl"
    write_jsonl(hand_articles, data)
    small = ["--articles", "2", "--model", str(model_dir), "--threads", "1"]
    commands = {
        "throughput": ("throughput", [*small, "--work", str(work / "t")]),
        # The half-precision path a GPU run takes; bfloat16 runs on a CPU too.
        "throughput_bf16": ("throughput", [*small, "--work", str(work / "bf16"), "--dtype", "bfloat16"]),
        # On parley predict's default runtime (static int8 on ONNX Runtime, on this CPU).
        "throughput_rss": (
            "throughput",
            ["--articles", "2", "3", *small[2:], "--work", str(work / "rss"), "--rss-only", "--runtime", "auto"],
        ),
        "host_throughput": (
            "host_throughput",
            ["--articles", "12", "--chunk-size", "4", "--model", str(model_dir), "--workers", "0", "1"]
            + ["--work", str(work / "host")],
        ),
        "train_throughput": (
            "train_throughput",
            [
                *("--config", str(BENCHMARKS.parent / "configs" / "train" / "tiny.yaml")),
                *("--steps", "2", "--threads", "1", "--work", str(work / "train")),
                *(f"model.encoder={tiny_encoder_dir}", f"data.paths=[{data}]"),
            ],
        ),
    }
    running = {
        name: subprocess.Popen(
            [sys.executable, str(BENCHMARKS / f"{script}.py"), *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=work,
        )
        for name, (script, arguments) in commands.items()
    }
    yield running
    for process in running.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


def _output(process: subprocess.Popen) -> str:
    stdout, stderr = process.communicate(timeout=180)
    assert process.returncode == 0, stderr[-3000:]
    return stdout


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dump") / "dump.jsonl"
    throughput.make_dump(path, 4)
    return path


def test_dump_is_deterministic_and_real_length(dump, tmp_path):
    again = tmp_path / "again.jsonl"
    throughput.make_dump(again, 4)
    assert again.read_bytes() == dump.read_bytes()
    texts = [json.loads(line)["text"] for line in dump.read_text(encoding="utf-8").splitlines()]
    # Half to all of a seed article's length: about 1,000 to 3,500 characters, a few hundred tokens.
    assert all(1000 < len(text) < 4000 for text in texts)


def test_throughput_script_prints_the_table_and_the_ratio_line(scripts):
    out = _output(scripts["throughput"])
    for title in throughput.TITLES.values():
        assert re.search(rf"^{re.escape(title)}\s+\d+\.\d+\s+[\d,]+\s+[\d,]+", out, re.MULTILINE), out
        assert re.search(rf"^{re.escape(title)}: done in \d+ s$", out, re.MULTILINE), out  # progress as it goes
    share = re.search(r"^\(c\) spends (\d+\.\d)% in the encoder; the rest of the pass", out, re.MULTILINE)
    assert share and 0 < float(share[1]) < 100, out  # what the encoder alone takes of (c), beside (a)
    last = out.strip().splitlines()[-1]
    match = re.fullmatch(r"ratio_vs_limit=(\d+\.\d+) ratio_vs_pipeline=(\d+\.\d+) peak_rss_mb=(\d+)", last)
    assert match, out
    assert float(match[1]) > 0 and float(match[2]) > 0 and 100 < int(match[3]) < 1500


def test_throughput_in_bfloat16_reports_its_accuracy_change(scripts):
    out = _output(scripts["throughput_bf16"])
    assert "model precision: bfloat16" in out
    change = re.search(r"^bfloat16 on the labeled articles of seeds.jsonl \(F1, fp32 -> bfloat16\): (.*)$", out, re.M)
    assert change, out
    scores = re.findall(r"(\w+) (\d\.\d+) -> (\d\.\d+)", change[1])
    assert [name for name, *_ in scores] == ["mentions", "trigger_cls", "argument_cls"]
    # The keyword checkpoint finds the seeds' keywords in either precision: a real score, the same score.
    assert all(float(full) > 0.1 and abs(float(full) - float(half)) < 0.05 for _, full, half in scores), out
    assert re.fullmatch(
        r"ratio_vs_limit=\d+\.\d+ ratio_vs_pipeline=\d+\.\d+ peak_rss_mb=\d+", out.strip().splitlines()[-1]
    )


def test_rss_only_runs_parley_predict_at_each_size(scripts, model_dir):
    out = _output(scripts["throughput_rss"])
    assert "runtime of (a) and (c): auto" in out
    assert any((model_dir / "onnx").glob("encoder-int8-static-*.onnx"))  # auto ran static int8 on this CPU
    assert re.search(r"^\(c\) parley predict, N=2\s", out, re.M) and re.search(
        r"^\(c\) parley predict, N=3\s", out, re.M
    )
    assert "(a) limit" not in out and "(b) peer" not in out
    last = re.fullmatch(r"peak_rss_mb_by_n=2:(\d+),3:(\d+)", out.strip().splitlines()[-1])
    assert last and all(100 < int(mb) < 1500 for mb in last.groups()), out


def test_train_throughput_script_compares_both_runs(scripts):
    out = _output(scripts["train_throughput"])
    for title, _ in train_throughput.RUNS.values():
        row = re.search(rf"^{re.escape(title)}\s+(\d+)\s+([\d,]+)", out, re.MULTILINE)
        assert row, f"no {title} row in:\n{out}"
        assert int(row[1]) == 2 and int(row[2].replace(",", "")) > 0  # two steps, some tokens
    assert re.fullmatch(r"train_ratio_vs_trainer=\d+\.\d+", out.strip().splitlines()[-1]), out


def test_host_throughput_prints_stages_workers_and_the_closing_line(scripts):
    out = _output(scripts["host_throughput"])
    assert re.search(r"^  tokenizer \(one call per chunk\)\s+\d+\.\d+  worker$", out, re.MULTILINE), out
    assert re.search(r"^    of which torch operators\s+\d+\.\d+  \(on a GPU: the device's\)$", out, re.MULTILINE), out
    row = r"^\s+1" + r"\s+\d+\.\d+" * 5 + "  same bytes as 0 workers$"  # rate, steady rate, start, wall ms, main ms
    assert re.search(row, out, re.MULTILINE), out
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(
        r"host_ms_per_article=\d+\.\d+ worker_ms_per_article=\d+\.\d+ main_ms_per_article=\d+\.\d+ "
        r"main_host_ms_per_article=-?\d+\.\d+ articles_per_s_16_cores=\d+ articles_per_s_16_cores_gpu=-?\d+ "
        r"steady_articles_per_s_by_workers=0:\d+,1:\d+",
        last,
    ), out
