"""The labeled articles of a run config, read and each assigned to train, dev or test."""

from __future__ import annotations

from dataclasses import dataclass, field

from parley.config import RunConfig
from parley.documents import Article
from parley.formats.readers import read_articles
from parley.schema import Schema
from parley.text import split_sentences
from parley.training.augment import augmented
from parley.training.splits import SPLITS, assign_splits, group_articles, normalise_sentence


@dataclass
class SplitArticles:
    """Articles with their split, the errors of the ones skipped, notes for the summary, and the group count."""

    articles: list[Article] = field(default_factory=list)
    split_of: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    groups: int = 0

    def add(self, paths: list[str], split: str, schema: Schema, lenient: bool, both: str = "") -> list[Article]:
        """Read `paths` into `split`; an article id met twice is an error naming both places (`both` if given)."""
        result = read_articles(paths, schema, lenient=lenient)
        self.skipped += [str(error) for error in result.errors]
        for article in result.articles:
            if article.id in self.split_of:
                places = both or f"{self.split_of[article.id]} and {split}"
                raise ValueError(f"{article.origin}: article {article.id!r} is in both {places}")
            self.split_of[article.id] = split
            self.articles.append(article)
        return result.articles


def read_split_articles(config: RunConfig, schema: Schema) -> SplitArticles:
    """Read the run's labeled articles and split them (explicit paths, or data.paths by ratio), then augment."""
    data = config.data
    found = _explicit_splits(config, schema) if data.train_paths is not None else _ratio_split(config, schema)
    if "train" not in found.split_of.values():
        where = data.train_paths if data.train_paths is not None else data.paths
        raise ValueError(f"no valid labeled articles for train under {where}")
    if data.augment_names:
        train = [a for a in found.articles if found.split_of[a.id] == "train"]
        copies = augmented(train, data.augment_names, data.split_seed, schema)
        found.split_of.update((copy.id, "train") for copy in copies)
        found.articles += copies
        found.notes.append(f"{len(copies)} name-swapped cop(ies) of training articles added (data.augment_names)")
    return found


def _explicit_splits(config: RunConfig, schema: Schema) -> SplitArticles:
    data = config.data
    found = SplitArticles()
    for name, paths in zip(SPLITS, (data.train_paths, data.dev_paths, data.test_paths), strict=True):
        found.add(paths or [], name, schema, data.lenient)
    found.notes.append("splits come from data.train_paths/dev_paths/test_paths; data.paths and data.split are unused")
    found.groups = len(found.articles)
    return found


def _ratio_split(config: RunConfig, schema: Schema) -> SplitArticles:
    data = config.data
    found = SplitArticles()
    result = read_articles(data.paths, schema, lenient=data.lenient)
    found.skipped = [str(error) for error in result.errors]
    found.articles = result.articles
    texts = {a.id: {normalise_sentence(a.text[s:e]) for s, e in split_sentences(a.text)} for a in found.articles}
    grouped = group_articles(texts)
    found.split_of = assign_splits(grouped, data.split, data.split_seed)
    found.groups = len(grouped)
    if data.test_paths is not None:
        # data.paths is split into train/dev by ratio (split.test is 0); the test split is data.test_paths.
        tests = found.add(data.test_paths, "test", schema, data.lenient, "data.paths and data.test_paths")
        found.notes.append("test split comes from data.test_paths; data.paths is split into train/dev by ratio")
        found.groups += len(tests)
    return found
