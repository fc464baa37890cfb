"""What a `parley predict` run is asked to do (`PredictOptions`), and the checks and choices made on it before
anything is read or written: the output format, the output path, the runtime that runs."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from parley.inference.checkpoint import run_runtime
from parley.inference.run_state import SIDE_FILES, read_state, side_path

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")
# The output suffixes that name a format; any other suffix takes --format (default jsonl).
SUFFIX_FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}


@dataclass
class PredictOptions:
    """One `parley predict` run."""

    model: str
    input: str
    output: str
    format: str | None = None  # None: from the output's suffix (.csv, .parquet, else jsonl)
    dyads: bool = False
    batch_size: int = 32
    chunk_size: int = 64  # records per commit
    resume: bool = False
    shard: tuple[int, int] | None = None
    device: str | None = None
    progress: bool = True
    overwrite: bool = False  # replace an existing output; without it (and without resume) one is refused
    int8: bool = False  # int8 dynamically quantised linear layers: faster on CPUs, slightly less accurate
    dtype: str | None = None  # "float16"/"bfloat16": the model cast to half precision (GPUs); None: float32
    # "auto": static int8 on ONNX Runtime on a CPU, torch on a GPU; "torch"; "onnx" (CPU; docs/onnx.md).
    runtime: str = "auto"
    # Processes that prepare inputs and write outputs beside the model pass (host_pool.py); 0: all in this
    # process; None: none beside a CPU model, one per spare core (at most 8) beside a GPU. Output is the same.
    workers: int | None = None


def output_format(options: PredictOptions) -> str:
    """The output format: given, or from the output suffix; a format that contradicts the suffix is an error.

    CSV and Parquet hold dyad rows only.
    """
    name = Path(options.output).name.lower()
    if name.endswith(".gz"):
        raise ValueError(
            f"--output {options.output}: compressed output is not written; name it .jsonl, .csv or .parquet"
        )
    suffix = Path(name).suffix
    implied = SUFFIX_FORMATS.get(suffix)
    fmt = options.format or implied or "jsonl"
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"--format: expected one of {OUTPUT_FORMATS}, got {fmt!r}")
    if implied is not None and fmt != implied:
        raise ValueError(
            f"--format {fmt} contradicts the output name {options.output} ({suffix} is {implied}); "
            f"name the output .{fmt} or leave --format out"
        )
    if fmt != "jsonl" and not options.dyads:
        raise ValueError(f"--format {fmt} writes dyad rows: add --dyads (full extractions are written as JSONL)")
    return fmt


def check_output_path(input_path: Path, output: Path) -> None:
    """Refuse an output (or a file kept beside it) that is the input itself, reached by any path."""
    if output.is_dir():
        raise ValueError(f"--output {output}: is a folder; name a file (e.g. {output / 'events.jsonl'})")
    for target in (output, *(side_path(output, what) for what in SIDE_FILES)):
        resolved = target.resolve()
        same = resolved == input_path or (
            target.exists() and input_path.exists() and os.path.samefile(target, input_path)
        )
        # A folder input reads every .txt in it: an output written there would be read back as an article.
        inside = input_path.is_dir() and resolved.parent == input_path and resolved.suffix.lower() == ".txt"
        if same or inside:
            raise ValueError(
                f"--output {output}: {'is' if target == output else f'its {target.name} would be'} "
                f"{'the input' if same else 'inside the input folder'} {input_path}; nothing was written"
            )


def chosen_runtime(options: PredictOptions, device: str | None, extractor, output: Path) -> PredictOptions:
    """`options` with "auto" replaced by the runtime that runs, so the state records it: a given extractor's
    own, else `run_runtime`'s (the interrupted run's when resuming)."""
    if options.runtime == "auto" and extractor is not None:  # one built by hand may not say: "custom"
        return replace(options, runtime=getattr(extractor, "runtime", "custom"), int8=getattr(extractor, "int8", False))
    existing = read_state(output) if options.resume and options.runtime == "auto" else None
    recorded = (existing.runtime, existing.int8) if existing is not None else None
    runtime, int8 = run_runtime(options.runtime, options.int8, device, options.dtype, recorded)
    return replace(options, runtime=runtime, int8=int8)
