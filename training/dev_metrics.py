"""Quick dev-set metrics during training, on gold spans (the full end-to-end scorer is `parley evaluate`)."""

from __future__ import annotations

import torch
from seqeval.metrics import f1_score
from seqeval.scheme import IOB2

from parley.model.encoding import IGNORE_INDEX


def _tag_sequences(logits: torch.Tensor, labels: torch.Tensor, tags: list[str]) -> tuple[list, list]:
    predicted = logits.argmax(-1)
    gold_seqs, pred_seqs = [], []
    for row_labels, row_pred in zip(labels.tolist(), predicted.tolist(), strict=False):
        keep = [i for i, label in enumerate(row_labels) if label != IGNORE_INDEX]
        gold_seqs.append([tags[row_labels[i]] for i in keep])
        pred_seqs.append([tags[row_pred[i]] for i in keep])
    return gold_seqs, pred_seqs


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


@torch.inference_mode()
def dev_metrics(model, loader, loss_weights: dict[str, float]) -> dict[str, float]:
    """Loss, mention/trigger tag F1 (seqeval strict), argument F1 and status accuracy with gold spans given."""
    was_training = model.training
    model.eval()
    labels = model.config.label_space
    schema = model.config.schema_obj
    roles = list(labels.roles)
    # allowed[label_id, role_id]: whether a mention of that label may take that role ("none" always may).
    allowed = torch.tensor(
        [[role == roles[0] or schema.allows(role, label) for role in roles] for label in labels.mention_labels]
    )
    gold_m, pred_m, gold_t, pred_t = [], [], [], []
    tp = fp = fn = 0
    status_right = status_total = 0
    loss_sum, batches = 0.0, 0
    device = next(model.parameters()).device
    for batch in loader:
        batch = {k: v.to(device) for k, v in batch.items()}
        out = model(**batch, loss_weights=loss_weights)
        loss_sum += float(out.loss)
        batches += 1
        g, p = _tag_sequences(out.mention_logits, batch["mention_tag_labels"], list(labels.mention_tags))
        gold_m += g
        pred_m += p
        g, p = _tag_sequences(out.trigger_logits, batch["trigger_tag_labels"], list(labels.trigger_tags))
        gold_t += g
        pred_t += p
        if out.relation_logits is not None:
            gold = batch["relation_labels"]
            mention_label = batch["mention_span_labels"].clamp(min=0)
            mask = allowed.to(device)[mention_label]  # (B, M, roles)
            logits = out.relation_logits.masked_fill(~mask.unsqueeze(1), float("-inf"))
            pred = logits.argmax(-1)
            valid = gold != IGNORE_INDEX
            tp += int(((pred == gold) & (gold > 0) & valid).sum())
            fp += int(((pred > 0) & (pred != gold) & valid).sum())
            fn += int(((gold > 0) & (pred != gold) & valid).sum())
            status_gold = batch["status_labels"]
            status_valid = status_gold != IGNORE_INDEX
            status_right += int(((out.status_logits.argmax(-1) == status_gold) & status_valid).sum())
            status_total += int(status_valid.sum())
    model.train(was_training)
    return {
        "loss": loss_sum / max(batches, 1),
        "mention_f1": float(f1_score(gold_m, pred_m, mode="strict", scheme=IOB2)) if gold_m else 0.0,
        "trigger_classification_f1": float(f1_score(gold_t, pred_t, mode="strict", scheme=IOB2)) if gold_t else 0.0,
        "argument_classification_f1": _f1(tp, fp, fn),
        "status_accuracy": status_right / status_total if status_total else 0.0,
    }
