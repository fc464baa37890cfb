"""Articles to train/dev/test: grouped so that identical sentences never cross splits, then split by ratio."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

from parley.config import SplitRatios

SPLITS = ("train", "dev", "test")


def group_articles(sentence_texts: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Article ids grouped so that articles sharing a sentence text are in one group (union-find)."""
    parent = {article_id: article_id for article_id in sentence_texts}

    def root(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    owner: dict[str, str] = {}
    for article_id, texts in sentence_texts.items():
        for text in texts:
            if text in owner:
                parent[root(article_id)] = root(owner[text])
            else:
                owner[text] = article_id
    groups: dict[str, list[str]] = {}
    for article_id in sentence_texts:
        groups.setdefault(root(article_id), []).append(article_id)
    return sorted((sorted(group) for group in groups.values()), key=lambda group: group[0])


def assign_splits(groups: Sequence[Sequence[str]], ratios: SplitRatios, seed: int) -> dict[str, str]:
    """Split name per article id: groups shuffled with `seed`, each to the split furthest below its share.

    The first group always goes to train, so train is never empty.
    """
    order = [list(group) for group in groups]
    random.Random(seed).shuffle(order)
    total = sum(len(group) for group in order)
    share = {"train": ratios.train, "dev": ratios.dev, "test": ratios.test}
    size = dict.fromkeys(SPLITS, 0)
    assignment: dict[str, str] = {}
    for position, group in enumerate(order):
        if position == 0:
            split = "train"
        else:
            split = max(SPLITS, key=lambda name: share[name] * total - size[name])
        size[split] += len(group)
        for article_id in group:
            assignment[article_id] = split
    return assignment


def normalise_sentence(text: str) -> str:
    """The form in which identical sentences are compared across articles (whitespace collapsed)."""
    return " ".join(text.split())
