"""The scores `score_articles` returns: micro P/R/F1, accuracy, per event type, as a dict or a table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
