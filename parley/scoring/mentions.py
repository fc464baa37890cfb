"""Mention scoring: which predicted mentions are judged, one BIO layer per article, seqeval strict P/R/F1."""

from __future__ import annotations

import re
from bisect import bisect_right

from seqeval.metrics.v1 import precision_recall_fscore_support
from seqeval.scheme import IOB2, Entities

from parley.documents import Article
from parley.scoring.matching import Item
from parley.scoring.report import PRF
from parley.text import split_sentences

_WORD = re.compile(r"\w+|[^\w\s]")

Span = tuple[int, int]


def in_labeled_sentences(gold: Article, predicted: list[Item]) -> list[Item]:
    """The predicted mentions the gold labels can judge.

    docs/schema.md section 8 labels every mention only in sentences that hold a trigger, and
    elsewhere only role fillers. A predicted mention outside those sentences is scored only
    if it overlaps a gold mention; otherwise a correct name there would count as a false positive.
    """
    sentences = split_sentences(gold.text)
    labeled = [(start, end) for start, end in sentences if any(start <= ev.trigger.start < end for ev in gold.events)]
    gold_spans = [(e.start, e.end) for e in gold.entities]

    def judged(item: Item) -> bool:
        start, end, _ = item
        in_labeled = any(s <= start < e for s, e in labeled)
        return in_labeled or any(min(end, g_end) > max(start, g_start) for g_start, g_end in gold_spans)

    return [item for item in predicted if judged(item)]


def _outermost(mentions: list[Item], label_order: dict[str, int]) -> list[Item]:
    """The one layer of mentions a BIO sequence can hold: each kept mention overlaps no earlier kept one."""
    kept: list[Item] = []
    for start, end, label in sorted(mentions, key=lambda m: (m[0], -m[1], label_order[m[2]])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, label))
    return kept


def bio_pair(
    text: str,
    gold: list[Item],
    predicted: list[Item],
    label_order: dict[str, int],
) -> tuple[list[str], list[str]]:
    """Gold and predicted BIO tags over one shared word sequence of `text`."""
    gold_layer = _outermost(gold, label_order)
    pred_layer = _outermost(predicted, label_order)
    cuts = sorted({offset for start, end, _ in gold_layer + pred_layer for offset in (start, end)})
    words: list[Span] = []
    for match in _WORD.finditer(text):
        start, end = match.span()
        # Cut words at mention boundaries so a span that ends inside a word still maps to whole words.
        for cut in cuts[bisect_right(cuts, start) : bisect_right(cuts, end - 1)]:
            words.append((start, cut))
            start = cut
        words.append((start, end))
    return _bio_tags(words, gold_layer), _bio_tags(words, pred_layer)


def _bio_tags(words: list[Span], mentions: list[Item]) -> list[str]:
    tags = ["O"] * len(words)
    starts = [start for start, _ in words]
    for start, end, label in mentions:
        first = True
        for i in range(bisect_right(starts, start - 1), len(words)):
            if words[i][1] > end:
                break
            tags[i] = f"{'B' if first else 'I'}-{label}"
            first = False
    return tags


def seqeval_prf(tags_true: list[list[str]], tags_pred: list[list[str]]) -> PRF:
    """Micro P/R/F1 of seqeval's strict IOB2 mode, with its entity counts."""
    entities_true = Entities(tags_true, IOB2)
    entities_pred = Entities(tags_pred, IOB2)
    gold = {e.to_tuple() for sequence in entities_true.entities for e in sequence}
    pred = {e.to_tuple() for sequence in entities_pred.entities for e in sequence}
    tp, fp, fn = len(gold & pred), len(pred - gold), len(gold - pred)
    if tp + fp + fn == 0:
        return PRF.from_counts(0, 0, 0)
    precision, recall, f1, _ = precision_recall_fscore_support(
        tags_true,
        tags_pred,
        average="micro",
        zero_division=0,
        scheme=IOB2,
        entities_true=entities_true,
        entities_pred=entities_pred,
    )
    return PRF(tp, fp, fn, float(precision), float(recall), float(f1))
