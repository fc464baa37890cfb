"""Training levers: name and place swapping, trigger-tag weighting and label smoothing."""

from __future__ import annotations

import random

import torch
from conftest import CONFIGS, article_from_markup

from parley.config import load_config
from parley.documents import article_from_dict
from parley.model import ParleyConfig, ParleyModel
from parley.training.augment import augmented, name_pools, swap_names, swapped_labels
from parley.training.dataset_builder import build_dataset


def test_swap_names_replaces_people_and_places_and_keeps_every_span_valid(hand_articles, schema):
    pools = name_pools(hand_articles, swapped_labels(schema))
    assert "Staffan de Mistura" in pools["PER"] and "Vienna" in pools["GPE"]
    for article in hand_articles:
        copy = swap_names(article, pools, random.Random(3))
        article_from_dict(copy.to_dict(), schema)  # every span's text equals the new text at its offsets
        assert copy.id == f"{article.id}~names1"
        assert [e.type for e in copy.events] == [e.type for e in article.events]
        assert [e.trigger.text for e in copy.events] == [e.trigger.text for e in article.events]
    before = [e.text for e in hand_articles[1].entities]
    after = dict(
        zip(before, (e.text for e in swap_names(hand_articles[1], pools, random.Random(3)).entities), strict=True)
    )
    assert after["Staffan de Mistura"] != "Staffan de Mistura" and after["Geneva"] != "Geneva"
    assert after["U.N."] == "U.N."  # organisation names stay


def test_the_same_name_gets_the_same_replacement_and_pronouns_stay(schema):
    article = article_from_markup(
        "x",
        "[Lavrov](PER a) {met}(MEET asserted agent=a partner=b) [Kerry](PER b) in [Oslo](GPE o). "
        "[He](PER he ->a) and [Lavrov](PER a2) left [Oslo](GPE o2).",
        schema,
    )
    pools = {"PER": ["Ana Ruiz", "Kerry", "Lavrov", "Ola Berg"], "GPE": ["Lima", "Oslo"], "LOC": []}
    copy = swap_names(article, pools, random.Random(0))
    names = [e.text for e in copy.entities]  # Lavrov, Kerry, Oslo, He, Lavrov, Oslo
    assert names[0] == names[4] != "Lavrov"
    assert names[2] == names[5] == "Lima"
    assert names[3] == "He"


def test_augment_names_adds_copies_to_train_only(tmp_path, tiny_encoder_dir, hand_articles, write_articles, schema):
    train = write_articles(hand_articles[:4], "train.jsonl")
    dev = write_articles(hand_articles[4:], "dev.jsonl")
    overrides = [f"model.encoder={tiny_encoder_dir}", f"data.train_paths=[{train}]", f"data.dev_paths=[{dev}]"]
    plain = build_dataset(load_config(CONFIGS / "train" / "tiny.yaml", overrides))
    more = build_dataset(load_config(CONFIGS / "train" / "tiny.yaml", [*overrides, "data.augment_names=2"]))
    assert len(more.datasets["train"]) == 3 * len(plain.datasets["train"])
    assert len(more.datasets["dev"]) == len(plain.datasets["dev"])
    assert len(augmented(hand_articles, 0, seed=1, schema=schema)) == 0


def _batch():
    ids = torch.tensor([[101, 2000, 2001, 2002, 2003, 102]])
    return {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "trigger_tag_labels": torch.tensor([[-100, 0, 1, 0, 0, -100]]),
    }


def test_trigger_tag_weight_and_label_smoothing_change_the_trigger_loss(tiny_bert_config, schema):
    torch.manual_seed(0)
    model = ParleyModel(ParleyConfig(encoder=tiny_bert_config.to_dict(), schema=schema.to_dict())).eval()
    with torch.no_grad():
        plain = model(**_batch()).losses["trigger"]
        weighted = model(**_batch(), trigger_tag_weight=3.0).losses["trigger"]
        smoothed = model(**_batch(), label_smoothing=0.1).losses["trigger"]
        logits = model(**_batch()).trigger_logits[0, 1:5]
    expected = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 0, 0]))
    assert torch.isclose(plain, expected)
    weights = torch.ones(logits.shape[-1]) * 3.0
    weights[0] = 1.0
    assert torch.isclose(
        weighted, torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 0, 0]), weight=weights)
    )
    assert not torch.isclose(smoothed, plain)


def test_length_grouped_order_is_a_permutation_with_short_padding_and_fixed_by_seed_and_epoch():
    from parley.training.trainer import EpochShuffleSampler

    rng = random.Random(0)
    lengths = [rng.choice([3, 5, 8, 40, 60, 90]) for _ in range(1003)]
    grouped = EpochShuffleSampler(len(lengths), seed=1, lengths=lengths, batch_size=16)
    plain = EpochShuffleSampler(len(lengths), seed=1)
    order = list(grouped)
    assert sorted(order) == list(range(len(lengths)))
    assert order == list(grouped)  # the same epoch, the same order (resume)
    grouped.set_epoch(1)
    assert list(grouped) != order

    def padded(indices: list[int]) -> int:
        return sum(
            max(lengths[i] for i in indices[b : b + 16]) * len(indices[b : b + 16]) for b in range(0, len(indices), 16)
        )

    assert padded(order) < 0.75 * padded(list(plain))
    # Every full batch of the loader's cuts is sorted by length (it is one of the sorted batches, whole).
    full = [order[b : b + 16] for b in range(0, len(order) - len(order) % 16, 16)]
    assert all([lengths[i] for i in batch] == sorted((lengths[i] for i in batch), reverse=True) for batch in full)
