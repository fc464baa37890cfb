"""Pad built dataset rows into the tensors `ParleyModel.forward` takes."""

from __future__ import annotations

from typing import Any

import torch

from parley.model.encoding import IGNORE_INDEX


class Collator:
    """Dynamic padding of a batch of rows: tokens to the longest row, spans to the most triggers and mentions."""

    def __init__(self, pad_token_id: int | None):
        self.pad_token_id = pad_token_id or 0

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        size = len(rows)
        width = max(len(r["input_ids"]) for r in rows)
        n_t = max(len(r["triggers"]) for r in rows)
        n_m = max(len(r["mentions"]) for r in rows)
        batch = {
            "input_ids": torch.full((size, width), self.pad_token_id, dtype=torch.long),
            "attention_mask": torch.zeros((size, width), dtype=torch.long),
            "mention_tag_labels": torch.full((size, width), IGNORE_INDEX, dtype=torch.long),
            "trigger_tag_labels": torch.full((size, width), IGNORE_INDEX, dtype=torch.long),
            "trigger_spans": torch.zeros((size, n_t, 2), dtype=torch.long),
            "trigger_types": torch.full((size, n_t), IGNORE_INDEX, dtype=torch.long),
            "status_labels": torch.full((size, n_t), IGNORE_INDEX, dtype=torch.long),
            "mention_spans": torch.zeros((size, n_m, 2), dtype=torch.long),
            "mention_span_labels": torch.full((size, n_m), IGNORE_INDEX, dtype=torch.long),
            "relation_labels": torch.full((size, n_t, n_m), IGNORE_INDEX, dtype=torch.long),
        }
        has_types = "token_type_ids" in rows[0]
        if has_types:
            batch["token_type_ids"] = torch.zeros((size, width), dtype=torch.long)
        for i, row in enumerate(rows):
            n = len(row["input_ids"])
            batch["input_ids"][i, :n] = torch.tensor(row["input_ids"])
            batch["attention_mask"][i, :n] = torch.tensor(row.get("attention_mask") or [1] * n)
            if has_types:
                batch["token_type_ids"][i, :n] = torch.tensor(row["token_type_ids"])
            batch["mention_tag_labels"][i, :n] = torch.tensor(row["mention_labels"])
            batch["trigger_tag_labels"][i, :n] = torch.tensor(row["trigger_labels"])
            # A span with no tokens (token_start -1) is left as padding: no loss, no pairs.
            usable_t = set()
            for j, trig in enumerate(row["triggers"]):
                if trig["token_start"] >= 0:
                    usable_t.add(j)
                    batch["trigger_spans"][i, j] = torch.tensor([trig["token_start"], trig["token_end"]])
                    batch["trigger_types"][i, j] = trig["type"]
                    batch["status_labels"][i, j] = trig["status"]
            usable_m = set()
            for k, mention in enumerate(row["mentions"]):
                if mention["token_start"] >= 0:
                    usable_m.add(k)
                    batch["mention_spans"][i, k] = torch.tensor([mention["token_start"], mention["token_end"]])
                    batch["mention_span_labels"][i, k] = mention["label"]
            for relation in row["relations"]:
                if relation["trigger"] in usable_t and relation["mention"] in usable_m:
                    batch["relation_labels"][i, relation["trigger"], relation["mention"]] = relation["role"]
        return batch
