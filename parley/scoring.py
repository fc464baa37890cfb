"""Score predicted articles against gold ones: mentions, triggers, arguments, status (docs/schema.md section 7).

What each number means:

- Mentions, BIO strict (`Scores.mentions`): each article becomes one BIO tag sequence and is scored with
  seqeval in strict IOB2 mode. Words are runs of word characters or single punctuation marks, further cut at
  every gold and predicted mention boundary, so every mention covers whole words and a BIO match is an exact
  character-span match (whitespace aside). BIO holds one layer only: where mentions nest or cross, the
  outermost one is kept (earliest start, then longest, then schema label order) and the mentions overlapping
  it are dropped, on both sides alike.
- Mentions, exact set (`Scores.mentions_exact`): every mention, nested ones included, counted as a
  (start, end, label) multiset per article.
- Which predicted mentions are judged (both mention scores): gold labels name every mention only in
  sentences that hold a trigger, and only role fillers elsewhere (docs/schema.md section 8). A predicted
  mention outside those sentences counts only if it overlaps a gold mention; otherwise it is not judged.
- Trigger identification: a predicted trigger matches a gold one when their spans overlap; classification
  also requires equal event types.
- Argument identification: the argument's event is matched at trigger-classification level and the argument
  mention's span overlaps the gold argument's span; classification also requires equal roles. Arguments of
  unmatched events are all false negatives (gold) or false positives (predicted).
- Status accuracy: over the trigger-classification matches, the share whose statuses are equal.
- Matching: each level is its own one-to-one matching. Candidate pairs (spans overlapping and, for
  classification, labels equal) are taken greedily by largest character overlap, ties broken by the gold
  span's position, then the predicted span's, then list order.
- Per event type: trigger classification and argument identification/classification counted under the
  matched (equal) type, an unmatched item under its own type. The per-type counts add up to the overall ones.

Empty cases: when there is nothing on either side (tp = fp = fn = 0) P, R and F1 are 1.0, since the
prediction agrees with the gold exactly; otherwise a ratio with a zero denominator is 0.0 (nothing predicted:
P = 0; nothing to find: R = 0), and F1 is 0.0 when P + R = 0. Status accuracy with no matched trigger is 1.0
when neither side has a trigger and 0.0 otherwise.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from seqeval.metrics.v1 import precision_recall_fscore_support
from seqeval.scheme import IOB2, Entities

from parley.documents import Article, ArticleError, LabeledEvent
from parley.schema import Schema
from parley.text import split_sentences

_WORD = re.compile(r"\w+|[^\w\s]")

Span = tuple[int, int]
# A span with the label it is matched on: a mention label, an event type or a role.
Item = tuple[int, int, str]


@dataclass(frozen=True)
class PRF:
    """Micro precision, recall and F1 with the counts behind them."""

    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int) -> PRF:
        """P/R/F1 from counts, with the empty-case convention of this module's docstring."""
        if tp + fp + fn == 0:
            return cls(0, 0, 0, 1.0, 1.0, 1.0)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(tp, fp, fn, precision, recall, f1)

    def to_dict(self) -> dict[str, Any]:
        """The counts and ratios as a JSON-ready mapping."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass(frozen=True)
class Accuracy:
    """Share of `total` items that were `correct`."""

    correct: int
    total: int
    value: float

    def to_dict(self) -> dict[str, Any]:
        """The counts and the ratio as a JSON-ready mapping."""
        return {"accuracy": self.value, "correct": self.correct, "total": self.total}


@dataclass(frozen=True)
class TypeScores:
    """Scores of one event type."""

    triggers: PRF
    argument_id: PRF
    argument_cls: PRF

    def to_dict(self) -> dict[str, Any]:
        """The three scores as a JSON-ready mapping."""
        return {
            "trigger_cls": self.triggers.to_dict(),
            "argument_id": self.argument_id.to_dict(),
            "argument_cls": self.argument_cls.to_dict(),
        }


@dataclass(frozen=True)
class Scores:
    """Everything `score_articles` measures, overall and per event type."""

    articles: int
    mentions: PRF
    mentions_exact: PRF
    trigger_id: PRF
    trigger_cls: PRF
    argument_id: PRF
    argument_cls: PRF
    status: Accuracy
    per_type: dict[str, TypeScores]

    def to_dict(self) -> dict[str, Any]:
        """All scores as a JSON-ready mapping."""
        return {
            "articles": self.articles,
            "mentions": self.mentions.to_dict(),
            "mentions_exact": self.mentions_exact.to_dict(),
            "trigger_id": self.trigger_id.to_dict(),
            "trigger_cls": self.trigger_cls.to_dict(),
            "argument_id": self.argument_id.to_dict(),
            "argument_cls": self.argument_cls.to_dict(),
            "status": self.status.to_dict(),
            "per_type": {name: scores.to_dict() for name, scores in self.per_type.items()},
        }

    def format_table(self) -> str:
        """A plain-text table: overall rows, then one row per event type ("-" where a type has no item)."""
        rows = [
            ("mentions (BIO strict)", self.mentions),
            ("mentions (exact set)", self.mentions_exact),
            ("trigger id", self.trigger_id),
            ("trigger cls", self.trigger_cls),
            ("argument id", self.argument_id),
            ("argument cls", self.argument_cls),
        ]
        width = max([len(name) for name, _ in rows] + [len(name) for name in self.per_type] + [len("event type")])
        lines = [
            f"{self.articles} article(s)",
            f"{'':{width}}  {'P':>6} {'R':>6} {'F1':>6} {'tp':>6} {'fp':>6} {'fn':>6}",
        ]
        for name, prf in rows:
            lines.append(
                f"{name:{width}}  {prf.precision:6.3f} {prf.recall:6.3f} {prf.f1:6.3f} "
                f"{prf.tp:6d} {prf.fp:6d} {prf.fn:6d}"
            )
        status = self.status
        lines.append(
            f"{'status acc':{width}}  {status.value:6.3f}   ({status.correct}/{status.total} matched triggers)"
        )
        lines.append("")
        lines.append(
            f"{'event type':{width}}  {'trig F1':>8} {'arg F1':>8} {'gold trig':>10} {'pred trig':>10} "
            f"{'gold arg':>9} {'pred arg':>9}"
        )
        for name, scores in self.per_type.items():
            trig, arg = scores.triggers, scores.argument_cls
            lines.append(
                f"{name:{width}}  {_f1_cell(trig):>8} {_f1_cell(arg):>8} {trig.tp + trig.fn:10d} "
                f"{trig.tp + trig.fp:10d} {arg.tp + arg.fn:9d} {arg.tp + arg.fp:9d}"
            )
        return "\n".join(lines)


def _f1_cell(prf: PRF) -> str:
    # A type absent from gold and predictions scores 1.0 by convention; in a table that reads as a success.
    return "-" if prf.tp + prf.fp + prf.fn == 0 else f"{prf.f1:.3f}"


@dataclass
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, matched: int, gold: int, predicted: int) -> None:
        self.tp += matched
        self.fn += gold - matched
        self.fp += predicted - matched

    def prf(self) -> PRF:
        return PRF.from_counts(self.tp, self.fp, self.fn)


@dataclass
class _TypeCounts:
    triggers: _Counts = field(default_factory=_Counts)
    argument_id: _Counts = field(default_factory=_Counts)
    argument_cls: _Counts = field(default_factory=_Counts)


@dataclass
class _Tally:
    """Counts summed over article pairs."""

    label_order: dict[str, int]
    per_type: dict[str, _TypeCounts]
    mentions_exact: _Counts = field(default_factory=_Counts)
    tags_true: list[list[str]] = field(default_factory=list)
    tags_pred: list[list[str]] = field(default_factory=list)
    trigger_id: _Counts = field(default_factory=_Counts)
    status_correct: int = 0
    status_total: int = 0
    any_trigger: bool = False

    def add_mentions(self, gold: Article, predicted: Article) -> None:
        gold_mentions = [(e.start, e.end, e.label) for e in gold.entities]
        pred_mentions = _in_labeled_sentences(gold, [(e.start, e.end, e.label) for e in predicted.entities])
        matched = sum((Counter(gold_mentions) & Counter(pred_mentions)).values())
        self.mentions_exact.add(matched, len(gold_mentions), len(pred_mentions))
        true_seq, pred_seq = _bio_pair(gold.text, gold_mentions, pred_mentions, self.label_order)
        self.tags_true.append(true_seq)
        self.tags_pred.append(pred_seq)

    def add_events(self, gold: Article, predicted: Article) -> None:
        gold_events, pred_events = gold.events, predicted.events
        self.any_trigger = self.any_trigger or bool(gold_events or pred_events)
        gold_triggers = [(ev.trigger.start, ev.trigger.end, ev.type) for ev in gold_events]
        pred_triggers = [(ev.trigger.start, ev.trigger.end, ev.type) for ev in pred_events]
        id_pairs = greedy_match(gold_triggers, pred_triggers, same_key=False)
        self.trigger_id.add(len(id_pairs), len(gold_triggers), len(pred_triggers))

        cls_pairs = greedy_match(gold_triggers, pred_triggers, same_key=True)
        gold_args = [_argument_spans(gold, ev) for ev in gold_events]
        pred_args = [_argument_spans(predicted, ev) for ev in pred_events]
        for g, p in cls_pairs:
            counts = self.per_type[gold_events[g].type]
            counts.triggers.tp += 1
            self.status_total += 1
            self.status_correct += gold_events[g].status == pred_events[p].status
            g_args, p_args = gold_args[g], pred_args[p]
            arg_id = greedy_match(g_args, p_args, same_key=False)
            arg_cls = greedy_match(g_args, p_args, same_key=True)
            counts.argument_id.add(len(arg_id), len(g_args), len(p_args))
            counts.argument_cls.add(len(arg_cls), len(g_args), len(p_args))

        # Events left unmatched at classification level take all their arguments with them.
        matched_gold = {g for g, _ in cls_pairs}
        for g, event in enumerate(gold_events):
            if g not in matched_gold:
                counts = self.per_type[event.type]
                counts.triggers.fn += 1
                counts.argument_id.fn += len(gold_args[g])
                counts.argument_cls.fn += len(gold_args[g])
        matched_pred = {p for _, p in cls_pairs}
        for p, event in enumerate(pred_events):
            if p not in matched_pred:
                counts = self.per_type[event.type]
                counts.triggers.fp += 1
                counts.argument_id.fp += len(pred_args[p])
                counts.argument_cls.fp += len(pred_args[p])

    def scores(self, articles: int) -> Scores:
        if self.status_total:
            status = Accuracy(self.status_correct, self.status_total, self.status_correct / self.status_total)
        else:
            status = Accuracy(0, 0, 0.0 if self.any_trigger else 1.0)
        per_type = self.per_type.values()
        return Scores(
            articles=articles,
            mentions=_seqeval_prf(self.tags_true, self.tags_pred),
            mentions_exact=self.mentions_exact.prf(),
            trigger_id=self.trigger_id.prf(),
            trigger_cls=_sum_prf([c.triggers for c in per_type]),
            argument_id=_sum_prf([c.argument_id for c in per_type]),
            argument_cls=_sum_prf([c.argument_cls for c in per_type]),
            status=status,
            per_type={
                name: TypeScores(c.triggers.prf(), c.argument_id.prf(), c.argument_cls.prf())
                for name, c in self.per_type.items()
            },
        )


def empty_prediction(gold: Article) -> Article:
    """A prediction with no mentions and no events for a gold article (to score an article the model skipped)."""
    return Article(id=gold.id, text=gold.text)


def score_articles(gold: Sequence[Article], predicted: Sequence[Article], schema: Schema) -> Scores:
    """Compare predicted articles with gold ones, matched by article id, and return micro P/R/F1 scores."""
    pairs = _pair_articles(gold, predicted)
    tally = _Tally(
        label_order={label: i for i, label in enumerate(schema.mention_labels)},
        per_type={name: _TypeCounts() for name in schema.event_types},
    )
    for gold_article, predicted_article in pairs:
        _check_article(gold_article, schema)
        _check_article(predicted_article, schema)
        tally.add_mentions(gold_article, predicted_article)
        tally.add_events(gold_article, predicted_article)
    return tally.scores(len(pairs))


def _pair_articles(gold: Sequence[Article], predicted: Sequence[Article]) -> list[tuple[Article, Article]]:
    gold_by_id = _by_id(gold, "gold")
    pred_by_id = _by_id(predicted, "predicted")
    missing = [article_id for article_id in gold_by_id if article_id not in pred_by_id]
    if missing:
        raise ArticleError(
            f"no prediction for gold article(s) {missing}; pass an empty article (empty_prediction) "
            "for an article the model produced nothing for",
            gold_by_id[missing[0]].origin,
            article_id=missing[0],
        )
    extra = [article_id for article_id in pred_by_id if article_id not in gold_by_id]
    if extra:
        raise ArticleError(
            f"predicted article(s) {extra} have no gold article", pred_by_id[extra[0]].origin, article_id=extra[0]
        )
    pairs = []
    for article_id, gold_article in gold_by_id.items():
        pred_article = pred_by_id[article_id]
        # Offsets only mean the same thing over the same text; an empty prediction may leave the text out.
        has_spans = bool(pred_article.entities or pred_article.events)
        if pred_article.text != gold_article.text and has_spans:
            raise ArticleError(
                f"predicted text differs from the gold text (gold {gold_article.origin or 'in memory'})",
                pred_article.origin,
                article_id=article_id,
            )
        pairs.append((gold_article, pred_article))
    return pairs


def _by_id(articles: Sequence[Article], side: str) -> dict[str, Article]:
    by_id: dict[str, Article] = {}
    for article in articles:
        if article.id in by_id:
            raise ArticleError(f"article id appears twice among the {side} articles", article.origin, None, article.id)
        by_id[article.id] = article
    return by_id


def _check_article(article: Article, schema: Schema) -> None:
    # Predictions may be built in memory without article_from_dict, so check what scoring relies on.
    def fail(message: str) -> ArticleError:
        return ArticleError(message, article.origin, None, article.id)

    for entity in article.entities:
        if entity.label not in schema.mention_labels:
            raise fail(f"mention {entity.id}: unknown mention label {entity.label!r}")
    ids = {entity.id for entity in article.entities}
    for event in article.events:
        if event.type not in schema.event_types:
            raise fail(f"event {event.id}: unknown event type {event.type!r}")
        if event.status not in schema.statuses:
            raise fail(f"event {event.id}: unknown status {event.status!r}")
        for argument in event.arguments:
            if argument.entity not in ids:
                raise fail(f"event {event.id}: argument {argument.role} points to unknown mention {argument.entity!r}")


def _argument_spans(article: Article, event: LabeledEvent) -> list[Item]:
    spans = []
    for argument in event.arguments:
        entity = article.entity(argument.entity)
        spans.append((entity.start, entity.end, argument.role))
    return spans


def greedy_match(gold: list[Item], predicted: list[Item], same_key: bool) -> list[tuple[int, int]]:
    """One-to-one (gold index, predicted index) pairs of overlapping spans, largest character overlap first."""
    candidates = []
    for g, (g_start, g_end, g_key) in enumerate(gold):
        for p, (p_start, p_end, p_key) in enumerate(predicted):
            overlap = min(g_end, p_end) - max(g_start, p_start)
            if overlap > 0 and (g_key == p_key or not same_key):
                candidates.append((-overlap, g_start, g_end, p_start, p_end, g, p))
    candidates.sort()
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    pairs = []
    for *_, g, p in candidates:
        if g not in used_gold and p not in used_pred:
            used_gold.add(g)
            used_pred.add(p)
            pairs.append((g, p))
    return pairs


def _in_labeled_sentences(gold: Article, predicted: list[Item]) -> list[Item]:
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


def _bio_pair(
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


def _seqeval_prf(tags_true: list[list[str]], tags_pred: list[list[str]]) -> PRF:
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


def _sum_prf(counts: list[_Counts]) -> PRF:
    return PRF.from_counts(sum(c.tp for c in counts), sum(c.fp for c in counts), sum(c.fn for c in counts))
