"""The event model: heads, span pooling, save/load round trip and the Auto-class registration."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoConfig, AutoModel

from parley.model import ParleyConfig, ParleyModel
from parley.model.modeling import distance_bucket, pool_spans


@pytest.fixture
def model(tiny_bert_config, schema):
    torch.manual_seed(0)
    return ParleyModel(ParleyConfig(encoder=tiny_bert_config.to_dict(), schema=schema.to_dict())).eval()


def _inputs():
    ids = torch.tensor([[101, 2000, 2001, 2002, 2003, 102], [101, 2004, 2005, 102, 0, 0]])
    return {
        "input_ids": ids,
        "attention_mask": (ids != 0).long(),
        "trigger_spans": torch.tensor([[[1, 2]], [[2, 3]]]),
        "trigger_types": torch.tensor([[0], [3]]),
        "mention_spans": torch.tensor([[[2, 4], [4, 5]], [[1, 2], [0, 0]]]),
        "mention_span_labels": torch.tensor([[0, 1], [2, -100]]),
    }


def test_pool_spans_mean_and_endpoints():
    states = torch.arange(12, dtype=torch.float).view(1, 4, 3)  # token t has states [3t, 3t+1, 3t+2]
    spans = torch.tensor([[[1, 3], [2, 3]]])
    mean = pool_spans(states, spans, "span_pool")
    assert torch.equal(mean[0, 0], torch.tensor([4.5, 5.5, 6.5]))
    assert torch.equal(mean[0, 1], states[0, 2])
    ends = pool_spans(states, spans, "span_endpoints")
    assert torch.equal(ends[0, 0], torch.cat([states[0, 1], states[0, 2]]))


def test_distance_buckets_separate_left_and_right():
    trigger = torch.tensor([[[5, 6]]])
    mentions = torch.tensor([[[5, 6], [6, 7], [1, 2], [40, 41]]])
    buckets = distance_bucket(trigger, mentions, 16)[0, 0].tolist()
    assert buckets[0] == 0 and buckets[1] == 1
    assert buckets[2] >= 8  # left of the trigger
    assert buckets[3] < 8 and buckets[3] > buckets[1]


def test_heads_have_schema_sized_outputs(model, schema):
    out = model(**_inputs())
    labels = model.config.label_space
    assert out.mention_logits.shape == (2, 6, 1 + 2 * len(schema.mention_labels))
    assert out.trigger_logits.shape == (2, 6, 1 + 2 * len(schema.event_types))
    assert out.relation_logits.shape == (2, 1, 2, len(labels.roles))
    assert out.status_logits.shape == (2, 1, len(schema.statuses))


def test_loss_skips_heads_without_labels(model):
    inputs = _inputs()
    out = model(**inputs, mention_tag_labels=torch.full((2, 6), -100), trigger_tag_labels=torch.zeros(2, 6).long())
    assert set(out.losses) == {"trigger"}
    assert torch.isfinite(out.loss)


def test_save_and_load_give_identical_outputs(model, tmp_path):
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    loaded = AutoModel.from_pretrained(tmp_path).eval()
    assert isinstance(loaded, ParleyModel)
    assert AutoConfig.from_pretrained(tmp_path).label_space == model.config.label_space
    a, b = model(**_inputs()), loaded(**_inputs())
    for name in ("mention_logits", "trigger_logits", "relation_logits", "status_logits"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name


def test_from_encoder_copies_pretrained_weights(tiny_encoder_dir, tiny_bert_config, schema):
    config = ParleyConfig(encoder=tiny_bert_config.to_dict(), schema=schema.to_dict())
    model = ParleyModel.from_encoder(str(tiny_encoder_dir), config)
    pretrained = AutoModel.from_pretrained(tiny_encoder_dir)
    name = "embeddings.word_embeddings.weight"
    assert torch.equal(model.encoder.state_dict()[name], pretrained.state_dict()[name])


def test_unknown_relation_representation_fails(tiny_bert_config, schema):
    with pytest.raises(ValueError, match="relation_representation"):
        ParleyConfig(encoder=tiny_bert_config.to_dict(), schema=schema.to_dict(), relation_representation="markers")
