"""Loading a parley checkpoint for inference: the folder checked, its precision chosen (int8, half)."""

from __future__ import annotations

import importlib.util
import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from safetensors import safe_open
from transformers.utils import logging as hf_logging

from parley.model import ParleyConfig, ParleyModel


def quantize_int8(model: ParleyModel) -> ParleyModel:
    """`model` with every `nn.Linear` dynamically quantised to int8 weights, in place (faster on CPUs, less exact)."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch marks eager-mode quantisation deprecated in favour of torchao, which is not a dependency.
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=UserWarning)
        return quantize_dynamic(model.eval(), {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


# "auto": ONNX Runtime with static int8 on a CPU, torch elsewhere (`resolve_runtime`).
RUNTIMES = ("auto", "torch", "onnx")


def check_runtime(runtime: str, device: str | torch.device | None, dtype: str | torch.dtype | None) -> None:
    """Refuse a runtime that is unknown, or ONNX Runtime with a GPU device or a half-precision dtype."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; expected one of {RUNTIMES}")
    if runtime == "onnx":
        if device is not None and torch.device(device).type != "cpu":
            raise ValueError(f"runtime='onnx' runs on the CPU only, got device={str(device)!r}")
        if dtype is not None and model_dtype(dtype) != torch.float32:
            raise ValueError(f"runtime='onnx' runs float32 (or int8), got dtype={dtype!r}")


def resolve_runtime(
    runtime: str, int8: bool, device: str | torch.device | None, dtype: str | torch.dtype | None
) -> tuple[str, bool]:
    """The (runtime, int8) that `runtime` means for a model on `device` (None: a GPU if there is one) at `dtype`.

    "auto" is ONNX Runtime with static int8 for a float32 model on a CPU: 1.7-2.3x torch float32 within 0.007
    F1, and batch-independent (docs/onnx.md); on a GPU, or cast to half precision, it is torch. Without
    onnxruntime and onnx installed it falls back to torch with a warning. Other runtimes are returned as given.
    """
    check_runtime(runtime, device, dtype)
    if runtime != "auto":
        return runtime, int8
    place = torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if place.type != "cpu" or (dtype is not None and model_dtype(dtype) != torch.float32):
        return "torch", int8
    missing = [name for name in ("onnxruntime", "onnx") if importlib.util.find_spec(name) is None]
    if missing:
        warnings.warn(
            f"runtime 'auto': {' and '.join(missing)} not installed, so the model runs on torch float32 "
            "(pip install onnxruntime onnx gives the faster CPU path; --runtime torch silences this)",
            stacklevel=2,
        )
        return "torch", int8
    return "onnx", True


def run_runtime(
    runtime: str,
    int8: bool,
    device: str | torch.device | None,
    dtype: str | torch.dtype | None,
    recorded: tuple[str, bool] | None,
) -> tuple[str, bool]:
    """The (runtime, int8) a `parley predict` or Ray run runs and records. Under "auto", a run that goes on
    (resumed, or rerun into its folder) keeps the pair it `recorded`: a run begun on torch ends as an unbroken
    torch run would. A fresh one gets what "auto" means on `device` (`resolve_runtime`). Others: as given."""
    if runtime != "auto":
        return runtime, int8
    if recorded is not None:
        return recorded
    return resolve_runtime(runtime, int8, device, dtype)


MODEL_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def model_dtype(name: str | torch.dtype) -> torch.dtype:
    """The torch dtype named `name` ("float32", "float16", "bfloat16", or "fp16"/"bf16"/"fp32")."""
    if isinstance(name, torch.dtype):
        if name not in MODEL_DTYPES.values():
            raise ValueError(f"dtype {name} is not one of {sorted(MODEL_DTYPES)}")
        return name
    short = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
    key = short.get(str(name).lower(), str(name).lower())
    if key not in MODEL_DTYPES:
        raise ValueError(f"unknown dtype {name!r}; expected one of {sorted(MODEL_DTYPES)} (or fp32, fp16, bf16)")
    return MODEL_DTYPES[key]


@contextmanager
def quiet_loading() -> Iterator[None]:
    """No transformers progress bar while a checkpoint loads: it would be noise on every command's stderr."""
    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


class ModelFolderError(ValueError):
    """A `--model` folder that is not a loadable parley checkpoint; the message names the folder and why."""


def check_model_folder(path: str | Path) -> Path:
    """The folder of a parley checkpoint, checked: it exists, its config.json describes a parley model, its
    weights file is complete and its tokenizer is there; else `ModelFolderError` saying what is wrong."""
    folder = Path(path)
    hint = "point it at the model/ folder that parley train writes"
    if not folder.exists():
        raise ModelFolderError(f"{path}: no such model folder ({hint})")
    if not folder.is_dir():
        raise ModelFolderError(f"{path}: is a file, not a model folder ({hint})")
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise ModelFolderError(f"{path}: no config.json, not a model folder ({hint})")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFolderError(f"{config_file}: not valid JSON ({err})") from None
    model_type = config.get("model_type") if isinstance(config, dict) else None
    if model_type != ParleyConfig.model_type:
        raise ModelFolderError(
            f"{path}: config.json describes a {model_type!r} model, not a parley checkpoint "
            f"(model_type {ParleyConfig.model_type!r}); an encoder goes in a training config's model.encoder"
        )
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise ModelFolderError(f"{path}: no model.safetensors (the weights); was the run interrupted before saving?")
    try:
        with safe_open(str(weights), "pt"):
            pass
    except Exception as err:  # safetensors raises its own error type for a truncated or corrupt file
        raise ModelFolderError(f"{weights}: unreadable weights, truncated or corrupt ({err})") from None
    if not any((folder / name).is_file() for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json")):
        raise ModelFolderError(f"{path}: no tokenizer files (tokenizer.json) beside the weights")
    return folder
