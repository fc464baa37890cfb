"""`ParleyModel`: an encoder with mention and trigger tagging heads, a relation head and a status head."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoModel, PreTrainedModel
from transformers.utils import ModelOutput, logging

from parley.model.configuration import ParleyConfig
from parley.model.encoding import IGNORE_INDEX


@dataclass
class ParleyOutput(ModelOutput):
    loss: torch.Tensor | None = None
    losses: dict[str, torch.Tensor] | None = None
    mention_logits: torch.Tensor | None = None  # (batch, tokens, mention tags)
    trigger_logits: torch.Tensor | None = None  # (batch, tokens, trigger tags)
    relation_logits: torch.Tensor | None = None  # (batch, triggers, mentions, roles)
    status_logits: torch.Tensor | None = None  # (batch, triggers, statuses)


def pool_spans(states: torch.Tensor, spans: torch.Tensor, how: str) -> torch.Tensor:
    """Represent token spans [start, end) of each sequence: mean of their states, or first and last state.

    states: (batch, tokens, hidden); spans: (batch, n, 2) -> (batch, n, hidden) or (batch, n, 2*hidden).
    Padding spans (start == end == 0) give the first token's state; callers mask them.
    """
    batch, tokens, hidden = states.shape
    start, end = spans[..., 0], spans[..., 1].clamp(min=1)
    if how == "span_endpoints":
        first = torch.gather(states, 1, start.unsqueeze(-1).expand(-1, -1, hidden))
        last = torch.gather(states, 1, (end - 1).unsqueeze(-1).expand(-1, -1, hidden))
        return torch.cat([first, last], dim=-1)
    # Mean over the span through prefix sums: one gather per side, no Python loop over spans.
    prefix = torch.cat([states.new_zeros(batch, 1, hidden), states.cumsum(dim=1)], dim=1)
    total = torch.gather(prefix, 1, end.unsqueeze(-1).expand(-1, -1, hidden)) - torch.gather(
        prefix, 1, start.unsqueeze(-1).expand(-1, -1, hidden)
    )
    width = (end - start).clamp(min=1).unsqueeze(-1).to(states.dtype)
    return total / width


def distance_bucket(trigger_spans: torch.Tensor, mention_spans: torch.Tensor, buckets: int) -> torch.Tensor:
    """Signed token distance between each trigger and mention, log-bucketed: (batch, triggers, mentions)."""
    t = trigger_spans[..., 0].unsqueeze(2).float()
    m = mention_spans[..., 0].unsqueeze(1).float()
    distance = m - t
    half = buckets // 2
    magnitude = torch.log2(distance.abs() + 1).floor().clamp(max=half - 1)
    return (torch.where(distance < 0, half + magnitude, magnitude)).long()


class ParleyModel(PreTrainedModel):
    config_class = ParleyConfig
    base_model_prefix = "parley"
    main_input_name = "input_ids"

    def __init__(self, config: ParleyConfig):
        super().__init__(config)
        labels = config.label_space
        hidden = config.hidden_size
        self.encoder = AutoModel.from_config(config.encoder_config, add_pooling_layer=False)
        self.dropout = nn.Dropout(config.head_dropout)
        self.mention_head = nn.Linear(hidden, len(labels.mention_tags))
        self.trigger_head = nn.Linear(hidden, len(labels.trigger_tags))

        span_size = hidden * (2 if config.relation_representation == "span_endpoints" else 1)
        types = config.type_embedding_size
        self.event_type_embedding = nn.Embedding(len(labels.event_types), types)
        self.mention_label_embedding = nn.Embedding(len(labels.mention_labels), types)
        self.distance_embedding = nn.Embedding(config.distance_buckets, types)
        pair_size = 3 * span_size + 3 * types
        self.relation_head = nn.Sequential(
            nn.Linear(pair_size, config.relation_hidden_size),
            nn.GELU(),
            nn.Dropout(config.head_dropout),
            nn.Linear(config.relation_hidden_size, len(labels.roles)),
        )
        self.status_head = nn.Sequential(
            nn.Linear(span_size + types, config.relation_hidden_size),
            nn.GELU(),
            nn.Dropout(config.head_dropout),
            nn.Linear(config.relation_hidden_size, len(labels.statuses)),
        )
        self.post_init()

    @classmethod
    def from_encoder(cls, encoder_path: str, config: ParleyConfig) -> ParleyModel:
        """A new model whose encoder starts from pretrained weights and whose heads start random."""
        model = cls(config)
        verbosity = logging.get_verbosity()
        logging.set_verbosity_error()  # the pooler weights the encoder ships but we drop are expected
        try:
            pretrained = AutoModel.from_pretrained(encoder_path, add_pooling_layer=False)
        finally:
            logging.set_verbosity(verbosity)
        missing, unexpected = model.encoder.load_state_dict(pretrained.state_dict(), strict=False)
        if missing:
            raise ValueError(f"{encoder_path}: encoder weights lack {missing[:5]}")
        return model

    def encode(self, input_ids, attention_mask, token_type_ids=None) -> torch.Tensor:
        """Contextual token states: (batch, tokens, hidden)."""
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        return self.encoder(**kwargs).last_hidden_state

    def score_relations(self, states, trigger_spans, trigger_types, mention_spans, mention_labels):
        """Role logits for every (trigger, mention) pair and status logits for every trigger, in one batched op."""
        how = self.config.relation_representation
        trigger_rep = self.dropout(pool_spans(states, trigger_spans, how))  # (B, T, S)
        mention_rep = self.dropout(pool_spans(states, mention_spans, how))  # (B, M, S)
        trigger_type = self.event_type_embedding(trigger_types.clamp(min=0))  # (B, T, E)
        mention_type = self.mention_label_embedding(mention_labels.clamp(min=0))  # (B, M, E)
        n_t, n_m = trigger_rep.shape[1], mention_rep.shape[1]
        t = trigger_rep.unsqueeze(2).expand(-1, -1, n_m, -1)
        m = mention_rep.unsqueeze(1).expand(-1, n_t, -1, -1)
        pair = torch.cat(
            [
                t,
                m,
                t * m,
                trigger_type.unsqueeze(2).expand(-1, -1, n_m, -1),
                mention_type.unsqueeze(1).expand(-1, n_t, -1, -1),
                self.distance_embedding(distance_bucket(trigger_spans, mention_spans, self.config.distance_buckets)),
            ],
            dim=-1,
        )
        relation_logits = self.relation_head(pair)
        status_logits = self.status_head(torch.cat([trigger_rep, trigger_type], dim=-1))
        return relation_logits, status_logits

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        trigger_spans: torch.Tensor | None = None,  # (B, T, 2) token offsets, end exclusive
        trigger_types: torch.Tensor | None = None,  # (B, T) event type ids, -100 for padding
        mention_spans: torch.Tensor | None = None,  # (B, M, 2)
        mention_span_labels: torch.Tensor | None = None,  # (B, M) mention label ids, -100 for padding
        mention_tag_labels: torch.Tensor | None = None,  # (B, tokens) BIO ids, -100 ignored
        trigger_tag_labels: torch.Tensor | None = None,  # (B, tokens)
        relation_labels: torch.Tensor | None = None,  # (B, T, M) role ids, -100 for padding
        status_labels: torch.Tensor | None = None,  # (B, T)
        loss_weights: dict[str, float] | None = None,
        label_smoothing: float = 0.0,
        trigger_tag_weight: float = 1.0,
    ) -> ParleyOutput:
        states = self.encode(input_ids, attention_mask, token_type_ids)
        dropped = self.dropout(states)
        mention_logits = self.mention_head(dropped)
        trigger_logits = self.trigger_head(dropped)

        relation_logits = status_logits = None
        if trigger_spans is not None and mention_spans is not None and trigger_spans.shape[1] > 0:
            relation_logits, status_logits = self.score_relations(
                states, trigger_spans, trigger_types, mention_spans, mention_span_labels
            )

        losses: dict[str, torch.Tensor] = {}
        cross_entropy = nn.CrossEntropyLoss(ignore_index=IGNORE_INDEX, label_smoothing=label_smoothing)
        # Trigger tags other than O (index 0) weigh `trigger_tag_weight`: a recall lever for rare trigger forms.
        tag_weights = torch.full((trigger_logits.shape[-1],), trigger_tag_weight, device=trigger_logits.device)
        tag_weights[0] = 1.0
        trigger_entropy = nn.CrossEntropyLoss(
            weight=tag_weights.to(trigger_logits.dtype), ignore_index=IGNORE_INDEX, label_smoothing=label_smoothing
        )
        # A head whose labels are all ignored in this batch adds no loss (its mean would be NaN).
        if mention_tag_labels is not None and (mention_tag_labels != IGNORE_INDEX).any():
            losses["mention"] = cross_entropy(mention_logits.flatten(0, 1), mention_tag_labels.flatten())
        if trigger_tag_labels is not None and (trigger_tag_labels != IGNORE_INDEX).any():
            losses["trigger"] = trigger_entropy(trigger_logits.flatten(0, 1), trigger_tag_labels.flatten())
        if relation_logits is not None and relation_labels is not None and (relation_labels != IGNORE_INDEX).any():
            losses["relation"] = cross_entropy(relation_logits.flatten(0, 2), relation_labels.flatten())
        if status_logits is not None and status_labels is not None and (status_labels != IGNORE_INDEX).any():
            losses["status"] = cross_entropy(status_logits.flatten(0, 1), status_labels.flatten())
        loss = None
        if losses:
            weights = loss_weights or {}
            loss = sum(weights.get(name, 1.0) * value for name, value in losses.items())
        return ParleyOutput(
            loss=loss,
            losses=losses or None,
            mention_logits=mention_logits,
            trigger_logits=trigger_logits,
            relation_logits=relation_logits,
            status_logits=status_logits,
        )
