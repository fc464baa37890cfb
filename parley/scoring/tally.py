"""Counts summed over article pairs, turned into `Scores` at the end."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from parley.documents import Article, LabeledEvent
from parley.scoring.matching import Item, greedy_match
from parley.scoring.mentions import bio_pair, in_labeled_sentences, seqeval_prf
from parley.scoring.report import PRF, Accuracy, Scores, TypeScores


@dataclass
class Counts:
    """True positives, false positives and false negatives of one score."""

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
class TypeCounts:
    """The counts of one event type."""

    triggers: Counts = field(default_factory=Counts)
    argument_id: Counts = field(default_factory=Counts)
    argument_cls: Counts = field(default_factory=Counts)


@dataclass
class Tally:
    """Counts summed over article pairs."""

    label_order: dict[str, int]
    per_type: dict[str, TypeCounts]
    mentions_exact: Counts = field(default_factory=Counts)
    tags_true: list[list[str]] = field(default_factory=list)
    tags_pred: list[list[str]] = field(default_factory=list)
    trigger_id: Counts = field(default_factory=Counts)
    status_correct: int = 0
    status_total: int = 0
    any_trigger: bool = False

    def add_mentions(self, gold: Article, predicted: Article) -> None:
        """Add one article pair's mentions: the exact multiset and the BIO sequences."""
        gold_mentions = [(e.start, e.end, e.label) for e in gold.entities]
        pred_mentions = in_labeled_sentences(gold, [(e.start, e.end, e.label) for e in predicted.entities])
        matched = sum((Counter(gold_mentions) & Counter(pred_mentions)).values())
        self.mentions_exact.add(matched, len(gold_mentions), len(pred_mentions))
        true_seq, pred_seq = bio_pair(gold.text, gold_mentions, pred_mentions, self.label_order)
        self.tags_true.append(true_seq)
        self.tags_pred.append(pred_seq)

    def add_events(self, gold: Article, predicted: Article) -> None:
        """Add one article pair's triggers, arguments and statuses, overall and per event type."""
        gold_events, pred_events = gold.events, predicted.events
        self.any_trigger = self.any_trigger or bool(gold_events or pred_events)
        gold_triggers = [(ev.trigger.start, ev.trigger.end, ev.type) for ev in gold_events]
        pred_triggers = [(ev.trigger.start, ev.trigger.end, ev.type) for ev in pred_events]
        id_pairs = greedy_match(gold_triggers, pred_triggers, same_key=False)
        self.trigger_id.add(len(id_pairs), len(gold_triggers), len(pred_triggers))

        cls_pairs = greedy_match(gold_triggers, pred_triggers, same_key=True)
        gold_args = [argument_spans(gold, ev) for ev in gold_events]
        pred_args = [argument_spans(predicted, ev) for ev in pred_events]
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
        """The scores of everything added so far."""
        if self.status_total:
            status = Accuracy(self.status_correct, self.status_total, self.status_correct / self.status_total)
        else:
            status = Accuracy(0, 0, 0.0 if self.any_trigger else 1.0)
        per_type = self.per_type.values()
        return Scores(
            articles=articles,
            mentions=seqeval_prf(self.tags_true, self.tags_pred),
            mentions_exact=self.mentions_exact.prf(),
            trigger_id=self.trigger_id.prf(),
            trigger_cls=sum_prf([c.triggers for c in per_type]),
            argument_id=sum_prf([c.argument_id for c in per_type]),
            argument_cls=sum_prf([c.argument_cls for c in per_type]),
            status=status,
            per_type={
                name: TypeScores(c.triggers.prf(), c.argument_id.prf(), c.argument_cls.prf())
                for name, c in self.per_type.items()
            },
        )


def argument_spans(article: Article, event: LabeledEvent) -> list[Item]:
    """Each argument of `event` as its mention's span labeled with the role."""
    spans = []
    for argument in event.arguments:
        entity = article.entity(argument.entity)
        spans.append((entity.start, entity.end, argument.role))
    return spans


def sum_prf(counts: list[Counts]) -> PRF:
    """Micro P/R/F1 over several counts (the per-type ones summed to the overall)."""
    return PRF.from_counts(sum(c.tp for c in counts), sum(c.fp for c in counts), sum(c.fn for c in counts))
