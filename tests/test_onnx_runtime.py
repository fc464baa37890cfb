"""The ONNX Runtime path: the exported encoder agrees with torch, the export is cached and keyed by the weights.

Also what runtime "auto" (the default) picks, and what it does without onnxruntime.
"""

from __future__ import annotations

import json
import shutil
import sys

import pytest
import torch

from parley.cli import main
from parley.inference import EventExtractor

pytestmark = pytest.mark.usefixtures("one_thread")

TEXTS = [
    "Russia invited the opposition to talks in Moscow on Monday.",
    "Lavrov met the coalition in Geneva on Friday. He said the opposition declined to attend.",
    "Nothing happened here.",
]


def _events(extractor: EventExtractor) -> list[list[tuple]]:
    return [
        [
            (
                e.type,
                e.status,
                e.trigger.start,
                e.trigger.end,
                e.score,
                [(a.role, a.mention.start, a.score) for a in e.arguments],
            )
            for e in events
        ]
        for events in extractor.predict(TEXTS)
    ]


def _same_events(expected: list, found: list, tolerance: float, statuses: bool = True) -> None:
    """Same events, triggers, statuses (unless `statuses` is false) and arguments; every score within `tolerance`."""
    assert len(found) == len(expected)
    for want, got in zip(expected, found, strict=True):
        kept = slice(0, 4) if statuses else slice(2, 4)
        assert [(e[0], e[kept]) for e in got] == [(e[0], e[kept]) for e in want]
        for w, g in zip(want, got, strict=True):
            assert g[4] == pytest.approx(w[4], abs=tolerance)
            assert [a[:2] for a in g[5]] == [a[:2] for a in w[5]]
            assert [a[2] for a in g[5]] == pytest.approx([a[2] for a in w[5]], abs=tolerance)


@pytest.fixture(scope="module")
def onnx_model_dir(model_dir, tmp_path_factory):
    """A copy of the keyword checkpoint, so that its onnx/ cache starts empty for this module."""
    folder = tmp_path_factory.mktemp("onnx-model") / "model"
    shutil.copytree(model_dir, folder, ignore=shutil.ignore_patterns("onnx"))  # another test may have exported
    return folder


def test_onnx_fp32_finds_the_events_torch_finds_with_the_same_scores(onnx_model_dir):
    torch_events = _events(EventExtractor.from_pretrained(str(onnx_model_dir), device="cpu", runtime="torch"))
    onnx_extractor = EventExtractor.from_pretrained(str(onnx_model_dir), runtime="onnx")
    assert any(torch_events), "the keyword model finds events in TEXTS"
    _same_events(torch_events, _events(onnx_extractor), tolerance=1e-4)
    assert onnx_extractor.encoder.path.parent == onnx_model_dir / "onnx"


def test_onnx_dynamic_int8_finds_the_same_events_within_a_score_tolerance(onnx_model_dir):
    torch_events = _events(EventExtractor.from_pretrained(str(onnx_model_dir), device="cpu", runtime="torch"))
    _same_events(torch_events, _events(_static_extractor(onnx_model_dir, "int8")), 0.02)


def test_onnx_encoder_states_match_a_tiny_random_bert_with_padding(tiny_encoder_dir, tmp_path):
    from parley.inference.onnx_runtime import onnx_encoder
    from parley.model import ParleyConfig, ParleyModel
    from parley.schema import load_schema

    config = ParleyConfig(
        encoder=json.loads((tiny_encoder_dir / "config.json").read_text()), schema=load_schema().to_dict()
    )
    model = ParleyModel.from_encoder(str(tiny_encoder_dir), config).eval()
    model.save_pretrained(tmp_path)
    encoder = onnx_encoder(tmp_path, model, "fp32")
    ids = torch.randint(1000, 5000, (3, 23), generator=torch.Generator().manual_seed(0))
    attention = torch.ones_like(ids)
    attention[1, 9:], attention[2, 17:] = 0, 0  # rows of other lengths than the export's example
    with torch.inference_mode():
        expected = model.encode(ids, attention)
    found = encoder(ids, attention)
    mask = attention.bool()
    assert found.shape == expected.shape
    assert torch.allclose(found[mask], expected[mask], atol=1e-4)


def test_the_export_is_reused_and_made_again_when_the_weights_change(onnx_model_dir, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(onnx_model_dir, folder)  # its onnx/ cache comes along: no export needed
    first = EventExtractor.from_pretrained(str(folder), runtime="onnx").encoder.path
    stamp = first.stat().st_mtime_ns
    again = EventExtractor.from_pretrained(str(folder), runtime="onnx").encoder.path
    assert again == first and again.stat().st_mtime_ns == stamp

    changed = EventExtractor.from_pretrained(str(folder), device="cpu", runtime="torch").model
    with torch.no_grad():
        changed.encoder.embeddings.word_embeddings.weight.mul_(0.5)
    changed.save_pretrained(folder)
    retrained = EventExtractor.from_pretrained(str(folder), runtime="onnx")
    assert retrained.encoder.path != first
    _same_events(
        _events(EventExtractor.from_pretrained(str(folder), device="cpu", runtime="torch")), _events(retrained), 1e-4
    )


def test_predict_runtime_onnx_writes_what_torch_writes(onnx_model_dir, tmp_path):
    dump = tmp_path / "in.jsonl"
    dump.write_text("".join(json.dumps({"id": f"a{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    outputs = {}
    for runtime in ("torch", "onnx"):
        out = tmp_path / f"{runtime}.jsonl"
        args = ["predict", "--model", str(onnx_model_dir), "--input", str(dump), "--output", str(out), "--quiet"]
        assert main([*args, "--runtime", runtime]) == 0
        outputs[runtime] = [json.loads(line) for line in out.read_text().splitlines()]
    spans = [[(e["type"], e["trigger"]["start"], len(e["arguments"])) for e in r["events"]] for r in outputs["torch"]]
    assert spans == [
        [(e["type"], e["trigger"]["start"], len(e["arguments"])) for e in r["events"]] for r in outputs["onnx"]
    ]
    assert any(spans)


def test_predict_by_default_runs_static_int8_on_a_cpu_and_records_it(onnx_model_dir, tmp_path):
    from parley.inference.run_state import read_state

    dump = tmp_path / "in.jsonl"
    dump.write_text("".join(json.dumps({"id": f"a{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    args = ["predict", "--model", str(onnx_model_dir), "--input", str(dump), "--quiet", "--device", "cpu"]
    assert main([*args, "--output", str(tmp_path / "default.jsonl")]) == 0
    assert main([*args, "--output", str(tmp_path / "static.jsonl"), "--runtime", "onnx", "--int8"]) == 0
    assert (tmp_path / "default.jsonl").read_bytes() == (tmp_path / "static.jsonl").read_bytes()
    state = read_state(tmp_path / "default.jsonl")
    assert (state.runtime, state.int8) == ("onnx", True)


def test_a_run_records_the_runtime_of_the_extractor_it_is_given(model_dir, tmp_path):
    from parley.inference.batch import PredictOptions, predict_file
    from parley.inference.run_state import read_state

    dump = tmp_path / "in.jsonl"
    dump.write_text("".join(json.dumps({"id": f"a{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    extractor = EventExtractor.from_pretrained(str(model_dir), device="cpu", runtime="torch", int8=True)
    predict_file(PredictOptions(str(model_dir), str(dump), str(tmp_path / "a.jsonl"), progress=False), extractor)
    assert (read_state(tmp_path / "a.jsonl").runtime, read_state(tmp_path / "a.jsonl").int8) == ("torch", True)
    del extractor.runtime, extractor.int8  # as on an extractor-like object built by hand
    predict_file(PredictOptions(str(model_dir), str(dump), str(tmp_path / "b.jsonl"), progress=False), extractor)
    assert (read_state(tmp_path / "b.jsonl").runtime, read_state(tmp_path / "b.jsonl").int8) == ("custom", False)


def test_resuming_a_run_begun_on_torch_goes_on_on_torch(onnx_model_dir, tmp_path, capsys):
    from parley.inference.batch import PredictOptions, predict_file
    from parley.inference.run_state import read_state

    dump = tmp_path / "in.jsonl"
    dump.write_text("".join(json.dumps({"id": f"a{i}", "text": TEXTS[i % 3]}) + "\n" for i in range(6)))
    unbroken, broken = tmp_path / "unbroken.jsonl", tmp_path / "broken.jsonl"
    torch_run = {"chunk_size": 2, "device": "cpu", "runtime": "torch", "progress": False}
    predict_file(PredictOptions(str(onnx_model_dir), str(dump), str(unbroken), **torch_run))

    def crash(chunk: int, stage: str) -> None:
        if chunk == 1 and stage == "committed":
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        predict_file(PredictOptions(str(onnx_model_dir), str(dump), str(broken), **torch_run), hook=crash)
    # The default runtime on resume is the interrupted run's own, not what "auto" would pick today.
    args = ["predict", "--model", str(onnx_model_dir), "--input", str(dump), "--output", str(broken)]
    assert main([*args, "--quiet", "--device", "cpu", "--chunk-size", "2", "--resume"]) == 0
    assert broken.read_bytes() == unbroken.read_bytes()
    assert (read_state(broken).runtime, read_state(broken).int8) == ("torch", False)
    # Named explicitly, another runtime is refused as before.
    capsys.readouterr()
    assert main([*args, "--quiet", "--device", "cpu", "--chunk-size", "2", "--resume", "--runtime", "onnx"]) != 0
    assert "cannot resume, the run differs in ['runtime']" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"runtime": "tensorrt"}, "unknown runtime 'tensorrt'"),
        ({"runtime": "onnx", "device": "cuda"}, "CPU only"),
        ({"runtime": "onnx", "dtype": "float16"}, "float32"),
    ],
)
def test_bad_runtime_options_are_refused_before_loading(model_dir, kwargs, message):
    with pytest.raises(ValueError, match=message):
        EventExtractor.from_pretrained(str(model_dir), **kwargs)


def test_a_missing_onnxruntime_is_named_and_auto_falls_back_to_torch(model_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if it were not installed
    with pytest.raises(ImportError, match=r"pip install onnxruntime onnx"):
        EventExtractor.from_pretrained(str(model_dir), runtime="onnx")
    with pytest.warns(UserWarning, match="onnxruntime not installed, so the model runs on torch float32"):
        extractor = EventExtractor.from_pretrained(str(model_dir), device="cpu")
    assert (extractor.runtime, extractor.int8) == ("torch", False)
    assert extractor.encoder == extractor.model.encode


def test_export_encoder_makes_the_file_the_extractor_then_loads(model_dir, tmp_path):
    from parley.inference.onnx_runtime import export_encoder

    folder = shutil.copytree(model_dir, tmp_path / "model", ignore=shutil.ignore_patterns("onnx"))
    made = export_encoder(folder, int8=True)  # as a Ray driver does before its actors start
    stamp = made.stat().st_mtime_ns
    assert made.name.startswith("encoder-int8-static-") and made.parent == folder / "onnx"
    loaded = EventExtractor.from_pretrained(str(folder), device="cpu").encoder.path
    assert loaded == made and loaded.stat().st_mtime_ns == stamp


def test_no_writable_cache_is_an_error_that_names_both_places_and_the_way_out(model_dir, tmp_path, monkeypatch):
    folder = shutil.copytree(model_dir, tmp_path / "model", ignore=shutil.ignore_patterns("onnx"))
    (folder / "onnx").write_text("a file where the cache folder would go")  # even root cannot mkdir there
    (tmp_path / "cache").write_text("not a folder either")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(OSError, match=r"nowhere to be cached: neither .*model/onnx nor .*cache/parley/onnx") as err:
        EventExtractor.from_pretrained(str(folder), device="cpu")
    assert "--runtime torch" in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "chosen"),
    [
        ({"device": "cpu"}, ("onnx", True)),
        ({"device": "cpu", "int8": True}, ("onnx", True)),
        ({"device": "cpu", "dtype": "float32"}, ("onnx", True)),
        ({"device": "cuda"}, ("torch", False)),
        ({"device": "cuda:1", "dtype": "bfloat16"}, ("torch", False)),
        ({"device": "cpu", "dtype": "bfloat16"}, ("torch", False)),
        ({"device": "cpu", "runtime": "torch"}, ("torch", False)),
        ({"device": "cpu", "runtime": "torch", "int8": True}, ("torch", True)),
        ({"device": "cpu", "runtime": "onnx"}, ("onnx", False)),
    ],
)
def test_auto_is_static_int8_on_a_float32_cpu_model_and_torch_elsewhere(kwargs, chosen):
    from parley.inference.checkpoint import resolve_runtime

    args = {"runtime": "auto", "int8": False, "dtype": None, **kwargs}
    assert resolve_runtime(args["runtime"], args["int8"], args["device"], args["dtype"]) == chosen


def test_the_default_extractor_on_a_cpu_runs_static_int8(onnx_model_dir):
    extractor = EventExtractor.from_pretrained(str(onnx_model_dir), device="cpu")
    assert (extractor.runtime, extractor.int8) == ("onnx", True)
    assert "int8-static" in extractor.encoder.path.name


def test_cpu_paths_benchmark_prints_every_path_and_names_a_winner_or_none(onnx_model_dir, tmp_path):
    import re
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "cpu_paths.py"
    arguments = ["--model", str(onnx_model_dir), "--articles", "3", "--threads", "1", "--repeats", "1"]
    done = subprocess.run(
        [sys.executable, str(script), *arguments, "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    for path in (
        "torch-fp32",
        "torch-int8",
        "onnx-fp32",
        "onnx-int8 (shipped: per-channel)",
        "onnx-int8-static (shipped)",
    ):
        rows = [line for line in lines if line.startswith(path + " ")]
        assert len(rows) == 2, done.stdout  # a speed row and an F1 row
        assert re.search(r"\d+\.\d+ \(\d+\.\d+x\)", rows[0]) and re.search(r"\d\.\d{3} \([+-]\d\.\d{3}\)", rows[1])
    assert re.match(r"winner: (none qualifies|.+: \d+\.\d+x torch fp32)", lines[-1]), done.stdout


# Longer sentences of other words: batched with TEXTS, they widen the padding and the activations' range.
NEIGHBOURS = [
    "The delegations of the coalition and the government arrived in Geneva late on Friday evening, officials said, "
    "after three weeks of shuttle diplomacy between the capitals of the region and a failed ceasefire in the north.",
    "Lavrov met the envoy. Russia invited the opposition and the coalition to Moscow, and he said talks would follow.",
]


def _static_extractor(folder, variant: str = "int8-static", **kwargs) -> EventExtractor:
    from parley.inference.onnx_runtime import onnx_encoder

    base = EventExtractor.from_pretrained(str(folder), device="cpu", runtime="torch")
    encoder = onnx_encoder(folder, base.model, variant, **kwargs)
    return EventExtractor(base.model, base.tokenizer, device="cpu", encoder=encoder)


def _outline(extraction) -> tuple[list, list]:
    """Labels, spans, types, statuses and roles of one article's output, and its scores in the same order."""
    shape, scores = [], []
    for m in extraction.mentions:
        shape.append((m.label, m.start, m.end))
        scores.append(m.score)
    for e in extraction.events:
        shape.append((e.type, e.status, e.trigger.start, [(a.role, a.mention.start) for a in e.arguments]))
        scores += [e.score, e.status_score, *(a.score for a in e.arguments)]
    return shape, scores


def test_onnx_int8_static_finds_the_events_torch_finds_within_a_score_tolerance(onnx_model_dir):
    torch_events = _events(EventExtractor.from_pretrained(str(onnx_model_dir), device="cpu", runtime="torch"))
    static = EventExtractor.from_pretrained(str(onnx_model_dir), runtime="onnx", int8=True)  # --runtime onnx --int8
    assert static.encoder.path.name.startswith("encoder-int8-static-")
    # The keyword model's status head is untrained: its four statuses score within 0.002 of each other, so any
    # int8 rounding may pick another one. Types, triggers, arguments and scores must still agree.
    _same_events(torch_events, _events(static), 0.02, statuses=False)


@pytest.mark.parametrize(("variant", "independent"), [("int8-static", True), ("int8", False)])
def test_static_int8_scores_an_article_alone_as_in_a_batch_where_dynamic_int8_does_not(
    onnx_model_dir, variant, independent
):
    extractor = _static_extractor(onnx_model_dir, variant)
    articles = TEXTS + NEIGHBOURS
    batched = extractor.extract(articles, batch_size=32)
    largest = 0.0
    for article, together in zip(articles, batched, strict=True):
        alone_shape, alone_scores = _outline(extractor.extract([article])[0])
        shape, scores = _outline(together)
        if independent:
            assert alone_shape == shape, article
        if alone_shape == shape:
            largest = max([largest, *(abs(a - b) for a, b in zip(alone_scores, scores, strict=True))])
    # Static: float rounding only. Dynamic: the batch's range sets every activation scale, and scores move.
    assert (largest <= 1e-5) == independent, largest


def test_static_int8_is_cached_and_quantised_again_for_other_calibration_texts(onnx_model_dir, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(onnx_model_dir, folder)
    first = _static_extractor(folder).encoder.path
    stamp = first.stat().st_mtime_ns
    again = _static_extractor(folder).encoder.path
    assert again == first and again.stat().st_mtime_ns == stamp
    other = _static_extractor(folder, calibration=["Lavrov met the opposition in Geneva on Friday."]).encoder.path
    assert other != first and other.is_file() and first.is_file()
    with pytest.raises(ValueError, match="needs calibration texts"):
        _static_extractor(folder, calibration=[" "])


def test_the_packaged_calibration_passages_are_training_side_synthetic_articles():
    from parley.inference.onnx_static import CALIBRATION_FILE, calibration_texts

    records = [json.loads(line) for line in CALIBRATION_FILE.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(calibration_texts()) >= 20
    assert all(r["id"].startswith("synth-") for r in records)  # never a seed article: those measure accuracy
    seeds = (__import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "seeds.jsonl").read_text()
    assert not any(r["text"][:200] in seeds for r in records)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{broken\n", "line 1: not JSON"),
        ('{"id": "a", "text": "x"}\n{"id": "b"}\n', "line 2: expected an object"),
        ("\n", "no calibration"),
    ],
)
def test_a_bad_calibration_file_is_named_with_its_line(tmp_path, content, message):
    from parley.inference.onnx_static import calibration_texts

    path = tmp_path / "calibration.jsonl"
    path.write_text(content)
    with pytest.raises(ValueError, match=f"{path}.*{message}"):
        calibration_texts(path)


def test_batch_independence_benchmark_prints_every_path_and_finds_static_int8_independent(onnx_model_dir, tmp_path):
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "batch_independence.py"
    done = subprocess_run([sys.executable, str(script), "--model", str(onnx_model_dir), "--articles", "4"])
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("first-run export (fresh cache): onnx-fp32 ")
    for path in ("torch-fp32", "onnx-fp32", "onnx-int8 (dynamic)", "onnx-int8-static"):
        assert sum(line.startswith(path + " ") for line in lines) == 1, done.stdout
    assert lines[-1].startswith("batch-independent (same outputs, scores within 1e-05): ")
    assert "onnx-int8-static" in lines[-1], done.stdout


def subprocess_run(command: list[str]):
    import subprocess

    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
