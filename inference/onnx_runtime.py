"""The encoder pass on ONNX Runtime (CPU): exported once per checkpoint, cached beside it, fp32 or int8.

Only the encoder runs in ONNX Runtime: it is nearly all of the model's arithmetic. The tagging, relation and
status heads stay in torch float32 on its output, so int8 never touches them. The export is cached under
`<model>/onnx/` (or `~/.cache/parley/onnx/` when the model folder is read-only), in a file whose name holds a
hash of the weights, the config, the variant and the library versions: a changed checkpoint exports again.

Variants: "fp32" is the exported graph with onnxruntime's transformer fusions (attention, layer norm, GELU)
and its full graph optimisation; "int8" quantises that graph's weights to int8 with activations quantised on
the fly (dynamic quantisation), except the layers named in `VARIANTS["int8"].keep_fp32`. Dynamic activation
scales are computed per call over the whole batch, so an article's scores depend on its batch neighbours;
"int8-static" fixes every activation scale beforehand from calibration passages (`onnx_static`), so they
do not.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import torch

from parley.inference.checkpoint import quiet_loading
from parley.inference.onnx_static import (
    SentenceFeed,
    calibration_inputs,
    calibration_texts,
    quantize_static_int8,
    quiet_root_logger,
    texts_digest,
    written_whole,
)
from parley.model import ParleyModel

EXPORT_VERSION = 1  # bump when the export itself changes: every cached file is then made again
OPSET = 17
INSTALL_HINT = "pip install onnxruntime onnx (dependencies of parley-events; --runtime torch runs without them)"


@dataclass(frozen=True)
class OnnxVariant:
    """How the exported encoder is turned into the graph that runs: fused fp32, or int8 with some layers kept."""

    name: str
    int8: bool = False
    per_channel: bool = False  # int8 scales per output channel instead of per weight matrix
    # Regular expressions: a node whose name matches one stays fp32 (r"layer\.5/|Attention_5$": a BERT's 6th layer).
    keep_fp32: tuple[str, ...] = ()
    # Activation scales fixed beforehand by calibration (`onnx_static`) instead of computed per call.
    static: bool = False

    def describe(self) -> str:
        kept = f", {','.join(self.keep_fp32)} kept fp32" if self.keep_fp32 else ""
        return f"{self.name} (int8={self.int8}, per_channel={self.per_channel}, static={self.static}{kept})"


VARIANTS = {
    "fp32": OnnxVariant("fp32"),
    # Per-channel scales: measured closest to fp32 of the int8 variants (benchmarks/cpu_paths.py).
    "int8": OnnxVariant("int8", int8=True, per_channel=True),
    # Calibrated activation scales: an article's scores do not depend on its batch (benchmarks/batch_independence.py).
    "int8-static": OnnxVariant("int8-static", int8=True, per_channel=True, static=True),
}


class OnnxEncoder:
    """An ONNX Runtime session standing in for `ParleyModel.encode`: (input ids, attention mask) -> states."""

    def __init__(self, path: Path, threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle ORT threads sleep instead of spinning: between encoder calls the torch heads need those cores
        # (cpu_paths.py, static int8 at 2 threads: 1.44x -> 1.68x torch fp32).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = path
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        # The fusions may turn the int64 inputs into int32 ones: feed what the graph declares.
        self._types = {i.name: (torch.int32 if "int32" in i.type else torch.int64) for i in self.session.get_inputs()}

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        feed = {"input_ids": input_ids, "attention_mask": attention_mask}
        arrays = {name: feed[name].to(dtype).cpu().numpy() for name, dtype in self._types.items()}
        return torch.from_numpy(self.session.run(["states"], arrays)[0])


def onnx_encoder(
    folder: str | Path,
    model: ParleyModel,
    variant: str | OnnxVariant = "fp32",
    threads: int | None = None,
    cache_dir: str | Path | None = None,
    calibration: Sequence[str] | None = None,
) -> OnnxEncoder:
    """The ONNX Runtime encoder of the checkpoint in `folder` (whose loaded model is `model`), exported if needed.

    `calibration`: the texts whose activations fix static int8's scales (default: the packaged passages).
    """
    _require_onnxruntime()
    chosen = VARIANTS[variant] if isinstance(variant, str) and variant in VARIANTS else variant
    if not isinstance(chosen, OnnxVariant):
        raise ValueError(f"unknown ONNX variant {variant!r}; expected one of {sorted(VARIANTS)}")
    return OnnxEncoder(exported_encoder(folder, model, chosen, cache_dir, calibration), threads)


def export_encoder(folder: str | Path, int8: bool) -> Path:
    """Make (or find) the cached encoder that `runtime="onnx"` loads for the checkpoint in `folder`: static int8
    with `int8`, else fp32. For a Ray driver, so that its actors load one file instead of each making it."""
    _require_onnxruntime()
    with quiet_loading():
        model = ParleyModel.from_pretrained(str(folder))
    return exported_encoder(folder, model, VARIANTS["int8-static" if int8 else "fp32"])


def exported_encoder(
    folder: str | Path,
    model: ParleyModel,
    variant: OnnxVariant,
    cache_dir: str | Path | None = None,
    calibration: Sequence[str] | None = None,
) -> Path:
    """The cached ONNX file of `variant` for the checkpoint in `folder`, made first if it is missing."""
    weights = weights_digest(folder)
    cache = Path(cache_dir) if cache_dir is not None else _cache_folder(Path(folder))
    cache.mkdir(parents=True, exist_ok=True)
    texts = (list(calibration) if calibration is not None else calibration_texts()) if variant.static else []
    if variant.static and not any(text.strip() for text in texts):
        raise ValueError(f"{variant.name}: static int8 needs calibration texts, got none")
    fused = cache / f"encoder-fp32-{variant_key(weights, VARIANTS['fp32'])}.onnx"
    key = variant_key(weights, variant, texts_digest(texts) if texts else "")
    target = cache / f"encoder-{variant.name}-{key}.onnx" if variant.int8 else fused
    if target.is_file():
        return target
    if variant.static:
        # The traced graph, not the fused one: ORT's static (QDQ) quantiser has no rule for the fused Attention
        # operator, and ORT fuses the quantised MatMuls itself when it loads the result.
        with _raw_export(model, cache, weights) as raw:
            feed = _calibration_feed(folder, model, texts)
            quantize_static_int8(raw, target, variant.per_channel, _kept_fp32(raw, variant), feed)
        return target
    if not fused.is_file():
        with _raw_export(model, cache, weights) as raw:
            _fuse(raw, fused, model)
    if variant.int8:
        _quantize(fused, target, variant)
    return target


def weights_digest(folder: str | Path) -> str:
    """A hash of the checkpoint's weights and config: what makes its export stale when it changes."""
    digest = hashlib.sha256()
    for name in ("model.safetensors", "config.json"):
        with open(Path(folder) / name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


def variant_key(weights: str, variant: OnnxVariant, calibration: str = "") -> str:
    """The cache key of one variant: the weights' hash, the variant, the calibration texts' hash (static int8),
    the export code and the library versions."""
    libraries = [version(name) for name in ("torch", "transformers", "onnx", "onnxruntime")]
    facts = (weights, EXPORT_VERSION, OPSET, libraries, variant, calibration)
    return hashlib.sha256(repr(facts if calibration else facts[:-1]).encode()).hexdigest()[:16]


def _cache_folder(folder: Path) -> Path:
    """`<model>/onnx`, or a per-user cache when the model folder cannot be written."""
    beside = folder / "onnx"
    try:
        beside.mkdir(exist_ok=True)
        probe = beside / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
        return beside
    except OSError:
        home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        fallback = home / "parley" / "onnx"
        try:
            fallback.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OSError(
                f"{folder}: the ONNX Runtime encoder has nowhere to be cached: neither {beside} nor {fallback} can "
                f"be written ({err}); set XDG_CACHE_HOME to a writable folder, or run with --runtime torch"
            ) from err
        return fallback


class _EncoderOnly(torch.nn.Module):
    def __init__(self, model: ParleyModel):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model.encode(input_ids, attention_mask)


@contextmanager
def _raw_export(model: ParleyModel, cache: Path, weights: str) -> Iterator[Path]:
    """The encoder traced to ONNX in a file of this process's own, removed afterwards."""
    raw = cache / f"encoder-raw-{weights[:16]}.{os.getpid()}.onnx"
    try:
        _export(model, raw)
        yield raw
    finally:
        raw.unlink(missing_ok=True)


def _export(model: ParleyModel, path: Path) -> None:
    """Trace the encoder to ONNX with batch and length left free (eager attention: the form the fusions know)."""
    encoder = model.encoder
    before = getattr(encoder.config, "_attn_implementation", None)
    ids = torch.tensor([[101, 2000, 2001, 2002, 102, 0], [101, 2003, 102, 0, 0, 0]])
    free = {0: "batch", 1: "tokens"}
    try:
        if before not in (None, "eager"):
            encoder.set_attn_implementation("eager")
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the tracer's notes on Python control flow it freezes
            # A new module is in training mode, and export restores that mode recursively: eval() first.
            torch.onnx.export(
                _EncoderOnly(model).eval(),
                (ids, (ids != 0).long()),
                str(path),
                input_names=["input_ids", "attention_mask"],
                output_names=["states"],
                dynamic_axes={"input_ids": free, "attention_mask": free, "states": free},
                opset_version=OPSET,
                dynamo=False,
            )
    finally:
        if before not in (None, "eager"):
            encoder.set_attn_implementation(before)
        model.eval()


def _fuse(raw: Path, target: Path, model: ParleyModel) -> None:
    """onnxruntime's transformer fusions (attention, skip layer norm, GELU) offline, written atomically."""
    from onnxruntime.transformers.optimizer import optimize_model

    config = model.config.encoder_config
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fused = optimize_model(
            str(raw),
            model_type="bert",
            num_heads=int(getattr(config, "num_attention_heads", 0) or 0),
            hidden_size=int(getattr(config, "hidden_size", 0) or 0),
            opt_level=0,
        )
    with written_whole(target) as partial:
        fused.save_model_to_file(str(partial))


def _quantize(fused: Path, target: Path, variant: OnnxVariant) -> None:
    """int8 weights (dynamic quantisation) of the fused graph, except the nodes `variant` keeps in fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    excluded = _kept_fp32(fused, variant)
    with written_whole(target) as partial, warnings.catch_warnings(), quiet_root_logger():
        warnings.simplefilter("ignore")
        quantize_dynamic(
            str(fused),
            str(partial),
            weight_type=QuantType.QInt8,
            per_channel=variant.per_channel,
            nodes_to_exclude=excluded,
            # The fused operators are outside ONNX's shape inference; their outputs are float32.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def _calibration_feed(folder: str | Path, model: ParleyModel, texts: Sequence[str]) -> SentenceFeed:
    """The calibration sentences as the checkpoint's tokenizer turns them into encoder input."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    return SentenceFeed(calibration_inputs(tokenizer, texts, int(model.config.max_seq_length)))


def _kept_fp32(graph: Path, variant: OnnxVariant) -> list[str]:
    """The names of the nodes of `graph` that `variant` keeps in fp32."""
    import onnx

    names = [node.name for node in onnx.load(str(graph), load_external_data=False).graph.node]
    return [name for name in names if any(re.search(pattern, name) for pattern in variant.keep_fp32)]


def _require_onnxruntime() -> None:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as err:
        raise ImportError(
            f"runtime='onnx' needs onnxruntime and onnx ({err.name} is missing): {INSTALL_HINT}"
        ) from None
