"""`ParleyConfig`: everything a checkpoint needs to describe itself (encoder, labels, schema)."""

from __future__ import annotations

from typing import Any

from transformers import AutoConfig, PretrainedConfig

from parley.model.labels import LabelSpace
from parley.schema import Schema

RELATION_REPRESENTATIONS = ("span_pool", "span_endpoints")


class ParleyConfig(PretrainedConfig):
    model_type = "parley-events"

    def __init__(
        self,
        encoder: dict[str, Any] | None = None,
        encoder_name: str | None = None,
        schema: dict[str, Any] | None = None,
        relation_representation: str = "span_endpoints",
        type_embedding_size: int = 32,
        distance_buckets: int = 16,
        relation_hidden_size: int = 256,
        head_dropout: float = 0.1,
        max_seq_length: int = 128,
        window_stride: int = 16,
        thresholds: dict[str, float] | None = None,
        **kwargs: Any,
    ):
        if relation_representation not in RELATION_REPRESENTATIONS:
            raise ValueError(
                f"relation_representation: expected one of {RELATION_REPRESENTATIONS}, got {relation_representation!r}"
            )
        self.encoder = encoder or {}
        self.encoder_name = encoder_name
        self.schema = schema or {}
        self.relation_representation = relation_representation
        self.type_embedding_size = type_embedding_size
        self.distance_buckets = distance_buckets
        self.relation_hidden_size = relation_hidden_size
        self.head_dropout = head_dropout
        self.max_seq_length = max_seq_length
        # Words shared by consecutive windows of a long sentence (data.window_stride); 16 in checkpoints older
        # than this field, which is what inference used before it was saved.
        self.window_stride = window_stride
        # Decoding thresholds (trigger, mention, argument) tuned on dev after training; None: keep every span.
        self.thresholds = thresholds
        super().__init__(**kwargs)

    @property
    def schema_obj(self) -> Schema:
        return Schema.from_dict(self.schema, origin="checkpoint config")

    @property
    def label_space(self) -> LabelSpace:
        return LabelSpace.from_schema(self.schema_obj)

    @property
    def encoder_config(self) -> PretrainedConfig:
        encoder = dict(self.encoder)
        return AutoConfig.for_model(encoder.pop("model_type"), **encoder)

    @property
    def hidden_size(self) -> int:
        return int(self.encoder["hidden_size"])
