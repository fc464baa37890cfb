"""What a run starts from: its inputs checked before anything is written, its device, and its new model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoTokenizer

from parley.config import RunConfig
from parley.encoders import resolve_encoder
from parley.model import ParleyConfig, ParleyModel
from parley.training.checkpoints import check_resumable


def runs_on_cpu(config: RunConfig) -> bool:
    """Whether accelerate should run on the CPU; refuses a CUDA device that torch cannot see."""
    # device auto without a GPU is the CPU; saying so lets accelerate join launched CPU processes (gloo).
    no_accelerator = not torch.cuda.is_available() and not torch.backends.mps.is_available()
    if config.device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device: {config.device!r} asked for, but torch sees no CUDA GPU (use device=auto or cpu)")
    return config.device == "cpu" or (config.device == "auto" and no_accelerator)


def check_inputs(config: RunConfig, force: bool = False) -> None:
    """Refuse, before anything is written, an output_dir that is a file, a resume under another config, missing data."""
    out = Path(config.train.output_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"train.output_dir {out}: is a file, not a folder")
    if config.train.resume and not force:
        check_resumable(config, out)
    data = config.data
    used = {"data.train_paths": data.train_paths} if data.train_paths else {"data.paths": data.paths}
    used.update({"data.dev_paths": data.dev_paths or [], "data.test_paths": data.test_paths or []})
    for key, paths in used.items():
        for path in paths:
            if not Path(path).exists():
                # A typo must not leave an empty output_dir behind.
                raise FileNotFoundError(f"{key}: {path}: no such file or folder")


def build_model(config: RunConfig, schema_dict: dict) -> tuple[ParleyModel, Any]:
    """A new model on the configured encoder (pretrained weights, random heads) and its tokenizer."""
    encoder_path = resolve_encoder(config.model.encoder)
    model_config = ParleyConfig(
        encoder=AutoConfig.from_pretrained(encoder_path).to_dict(),
        encoder_name=config.model.encoder,
        schema=schema_dict,
        relation_representation=config.model.relation_representation,
        head_dropout=config.model.dropout,
        max_seq_length=config.data.max_length,
        # Saved with the model, so the extractor windows text with the stride the model was trained on.
        window_stride=config.data.window_stride,
    )
    return ParleyModel.from_encoder(encoder_path, model_config), AutoTokenizer.from_pretrained(encoder_path)
